//! racelint's rules. Each rule lives in a module of its own under [`rules`] with its
//! metadata and documentation; [`registry::RULES`] is the code table. A rule turns the
//! whole-program [`Analysis`] into [`Finding`]s; the linter turns findings into diagnostics
//! once it has the sources at hand.

mod describe;
pub mod fix;
pub mod registry;
pub mod rules;

use racelint_analysis::Analysis;
use racelint_diagnostics::TextRange;
use racelint_index::{Loc, ModuleSummary};

pub use registry::{rule, Rule, Selection, RULES};

/// A finding before it is tied to file text: module index and byte ranges.
#[derive(Clone, Debug)]
pub struct Finding {
    pub rule: &'static Rule,
    pub module: u32,
    pub range: TextRange,
    pub message: String,
    pub label: String,
    /// Secondary locations: module index, range, label.
    pub related: Vec<(u32, TextRange, String)>,
    pub notes: Vec<String>,
    /// What a fix would need to know, for rules that offer one.
    pub fix: Option<FixRequest>,
}

/// The facts a fix for a race needs: what to wrap, which state, and which lock guards it.
#[derive(Clone, Debug)]
pub struct FixRequest {
    /// The statements to wrap in `with <lock>:`.
    pub stmt: TextRange,
    pub loc: Loc,
    /// A lock already guarding this state elsewhere: its text as written there, its
    /// location and the module it is written in.
    pub guard: Option<(String, Loc, u32)>,
    /// The function containing the race (qualified name) and its class, if a method.
    pub function: String,
    pub class: Option<String>,
    /// For an iteration (RL401): iterate a snapshot taken under this lock instead of wrapping.
    pub snapshot: Option<Snapshot>,
}

/// Take `list(<iter>)` under `lock` before the loop and iterate that.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// The loop's iterable expression (`self._callbacks`, `d.items()`).
    pub iter: TextRange,
    /// The container as written, to name the snapshot.
    pub container: String,
    /// The lock that guards the container's mutations, as written at the loop.
    pub lock: String,
}

/// Runs every selected rule.
///
/// The rules are independent of each other: they run side by side on the current rayon pool,
/// and their findings come out in rule order, as if run one after another.
pub fn check(analysis: &Analysis<'_>, selection: &Selection) -> Vec<Finding> {
    type Check = fn(&Analysis<'_>, &mut Vec<Finding>);
    let run = |code: &str, check: Check| {
        let mut out = Vec::new();
        if selection.is_enabled(code) {
            check(analysis, &mut out);
        }
        out
    };
    let syntax = || {
        let mut out = Vec::new();
        if selection.is_enabled(rules::syntax_error::RULE.code) {
            for (mi, m) in analysis.modules().iter().enumerate() {
                rules::syntax_error::check(mi as u32, m, &mut out);
            }
        }
        out
    };
    let ((syntax, rmw), ((check_then_act, lazy), iteration)) = rayon::join(
        || {
            rayon::join(syntax, || {
                run(rules::unlocked_rmw::RULE.code, rules::unlocked_rmw::check)
            })
        },
        || {
            rayon::join(
                || {
                    rayon::join(
                        || {
                            run(
                                rules::check_then_act::RULE.code,
                                rules::check_then_act::check,
                            )
                        },
                        || run(rules::lazy_init::RULE.code, rules::lazy_init::check),
                    )
                },
                || run(rules::iteration::RULE.code, rules::iteration::check),
            )
        },
    );
    let mut findings = syntax;
    for mut more in [rmw, check_then_act, lazy, iteration] {
        findings.append(&mut more);
    }
    findings
}

/// RL001 alone, for one module (used when a file is checked without the rest).
pub fn check_syntax(module: u32, summary: &ModuleSummary, out: &mut Vec<Finding>) {
    rules::syntax_error::check(module, summary, out);
}

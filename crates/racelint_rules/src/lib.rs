//! racelint's rules. Each rule lives in a module of its own under [`rules`] with its
//! metadata and documentation; [`registry::RULES`] is the code table. A rule turns the
//! whole-program [`Analysis`] into [`Finding`]s; the linter turns findings into diagnostics
//! once it has the sources at hand.

mod describe;
pub mod fix;
pub mod registry;
pub mod rules;

use racelint_analysis::{Analysis, FnId};
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
    /// For a race: the function, the state and the statements it spans.
    pub span: Option<RaceSpan>,
}

/// Where a race finding sits, to fold the findings of one race into one.
#[derive(Clone, Debug)]
pub struct RaceSpan {
    pub func: FnId,
    /// The state, by its root location (`d` for `d[k]`).
    pub state: Loc,
    /// From the test to the act for a check; the statement for an update.
    pub stmt: TextRange,
    /// The act of a check.
    pub act: Option<TextRange>,
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
    fold_nested(&mut findings);
    findings
}

/// Drops the findings on state that a reported check of the same state, in the same
/// function, spans: `if not fqdn: fqdn = lookup()` followed, inside the same `if`, by
/// `if fqdn == "localhost": fqdn = fallback()` and `fqdn = fqdn.lower()` is one race, and
/// the lock the outer finding asks for covers them all. The check's own act stays reported.
fn fold_nested(findings: &mut Vec<Finding>) {
    let is_check = |f: &Finding| {
        f.rule.code == rules::check_then_act::RULE.code
            || f.rule.code == rules::lazy_init::RULE.code
    };
    let folds = |f: &Finding| is_check(f) || f.rule.code == rules::unlocked_rmw::RULE.code;
    let outer: Vec<(usize, &RaceSpan)> = findings
        .iter()
        .enumerate()
        .filter(|(_, f)| is_check(f))
        .filter_map(|(i, f)| Some((i, f.span.as_ref()?)))
        .collect();
    if outer.is_empty() {
        return;
    }
    let inner: Vec<bool> = findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let Some(span) = f.span.as_ref().filter(|_| folds(f)) else {
                return false;
            };
            outer.iter().any(|(j, o)| {
                *j != i
                    && o.func == span.func
                    && o.state == span.state
                    && o.stmt.contains_range(f.range)
                    && o.stmt != span.stmt
                    && o.stmt.contains_range(span.stmt)
                    // The act of the check itself (`if n >= limit: raise` … `n += 1`) is an
                    // update that can be lost on its own.
                    && o.act.is_none_or(|act| act.intersect(f.range).is_none())
            })
        })
        .collect();
    let mut index = 0;
    findings.retain(|_| {
        index += 1;
        !inner[index - 1]
    });
}

/// RL001 alone, for one module (used when a file is checked without the rest).
pub fn check_syntax(module: u32, summary: &ModuleSummary, out: &mut Vec<Finding>) {
    rules::syntax_error::check(module, summary, out);
}

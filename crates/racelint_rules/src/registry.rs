//! The code table: every rule's code, name, one-line summary and documentation, in one place.
//! Selection, `racelint rule`, and the pages under `rules/` all derive from it.

use racelint_diagnostics::Severity;

use crate::rules;

#[derive(Debug)]
pub struct Rule {
    /// Stable once released.
    pub code: &'static str,
    pub name: &'static str,
    pub summary: &'static str,
    pub severity: Severity,
    /// Whether the rule offers fixes.
    pub fixable: bool,
    /// Markdown: why it is a race, an example, what to write instead, fix safety.
    pub doc: &'static str,
}

pub static RULES: &[Rule] = &[
    rules::syntax_error::RULE,
    rules::unlocked_rmw::RULE,
    rules::check_then_act::RULE,
    rules::lazy_init::RULE,
    rules::iteration::RULE,
    rules::unused_suppression::RULE,
];

/// Rules that run only when selected explicitly (by code, name, prefix or `ALL`), never by
/// default.
pub static OPT_IN: &[&str] = &[rules::unused_suppression::RULE.code];

/// Looks a rule up by code (`RL101`) or name (`unlocked-read-modify-write`), ignoring case.
pub fn rule(code_or_name: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| {
        r.code.eq_ignore_ascii_case(code_or_name) || r.name.eq_ignore_ascii_case(code_or_name)
    })
}

impl Rule {
    /// The page rendered to `rules/<CODE>.md` and printed by `racelint rule <CODE>`.
    pub fn page(&self) -> String {
        let fix = if self.fixable {
            "Fix: available."
        } else {
            "Fix: none."
        };
        format!(
            "# {code} {name}\n\n{summary}\n\n{fix}\n\n{doc}",
            code = self.code,
            name = self.name,
            summary = self.summary,
            doc = self.doc.trim_start()
        )
    }
}

/// Which rules a run reports: a code prefix selects every rule it starts (`RL1`, `RL`).
#[derive(Clone, Debug)]
pub struct Selection {
    enabled: Vec<&'static str>,
}

impl Default for Selection {
    fn default() -> Self {
        Selection {
            enabled: default_codes(),
        }
    }
}

impl Selection {
    /// `select` (or all rules when empty), plus `extend`, minus `ignore`. Unknown selectors
    /// are returned as errors.
    pub fn new(
        select: &[String],
        extend: &[String],
        ignore: &[String],
    ) -> Result<Selection, String> {
        let matching = |selector: &str| -> Result<Vec<&'static str>, String> {
            let s = selector.trim();
            if s.eq_ignore_ascii_case("ALL") {
                return Ok(RULES.iter().map(|r| r.code).collect());
            }
            let found: Vec<&'static str> = RULES
                .iter()
                .filter(|r| {
                    r.code.starts_with(&s.to_ascii_uppercase()) || r.name.eq_ignore_ascii_case(s)
                })
                .map(|r| r.code)
                .collect();
            if found.is_empty() {
                Err(format!(
                    "unknown rule selector `{s}` (see `racelint rule --all`)"
                ))
            } else {
                Ok(found)
            }
        };
        let mut enabled: Vec<&'static str> = if select.is_empty() {
            default_codes()
        } else {
            let mut v = Vec::new();
            for s in select {
                v.extend(matching(s)?);
            }
            v
        };
        for s in extend {
            enabled.extend(matching(s)?);
        }
        for s in ignore {
            let drop = matching(s)?;
            enabled.retain(|c| !drop.contains(c));
        }
        enabled.sort_unstable();
        enabled.dedup();
        Ok(Selection { enabled })
    }

    pub fn is_enabled(&self, code: &str) -> bool {
        self.enabled.contains(&code)
    }

    /// The enabled codes, sorted.
    pub fn codes(&self) -> &[&'static str] {
        &self.enabled
    }
}

/// Every rule that runs when nothing is selected: all but the opt-in ones.
fn default_codes() -> Vec<&'static str> {
    RULES
        .iter()
        .map(|r| r.code)
        .filter(|c| !OPT_IN.contains(c))
        .collect()
}

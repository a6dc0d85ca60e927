use racelint_diagnostics::{Severity, TextRange, TextSize};
use racelint_index::ModuleSummary;

use crate::{Finding, Rule};

pub const RULE: Rule = Rule {
    code: "RL001",
    name: "syntax-error",
    summary: "A file that racelint could not parse or read; the rest of the run goes on.",
    severity: Severity::Error,
    fixable: false,
    doc: r#"
## What it does
Reports each syntax error of a file, with its location, and files that cannot be analysed
at all: not valid UTF-8 (and no latin-1 coding declaration), larger than 10 MiB, or nested
more deeply than CPython itself accepts (more than 200 brackets).

## Why it matters
racelint can only reason about code it can read. Where the parser recovers from an error, the
rest of the file is still analysed, so races elsewhere in it are still reported; a file that
cannot be read at all contributes nothing to the analysis of the project.

## Example
```python
def broken(:
    pass
```

## What to do
Fix the syntax error. Syntax up to Python 3.14 is accepted (`match`, PEP 695 type parameters,
t-strings).
"#,
};

pub fn check(module: u32, summary: &ModuleSummary, out: &mut Vec<Finding>) {
    if let Some(problem) = &summary.problem {
        let at = TextSize::try_from(problem.offset()).unwrap_or_default();
        out.push(Finding {
            rule: &RULE,
            module,
            range: TextRange::empty(at),
            message: problem.to_string(),
            label: "here".into(),
            related: Vec::new(),
            notes: Vec::new(),
            fix: None,
            span: None,
        });
    }
    for error in &summary.syntax_errors {
        out.push(Finding {
            rule: &RULE,
            module,
            range: error.range,
            message: format!("syntax error: {}", error.message),
            label: error.message.clone(),
            related: Vec::new(),
            notes: Vec::new(),
            fix: None,
            span: None,
        });
    }
}

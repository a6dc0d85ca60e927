//! RL900: suppression comments that silence nothing. The check itself runs in the linter,
//! after the other rules, because it needs to know which suppressions they used.

use racelint_diagnostics::Severity;

use crate::Rule;

pub const RULE: Rule = Rule {
    code: "RL900",
    name: "unused-suppression",
    summary:
        "A racelint suppression comment that silences nothing, or names a rule that does not exist.",
    severity: Severity::Warning,
    fixable: true,
    doc: r#"
## What it does
Reports racelint suppression comments that no longer silence anything:
`# noqa: RL101` or `# racelint: ignore[RL101]` on a line where RL101 reports nothing, a
`# racelint: ignore` or file-level `# racelint: noqa` with nothing to silence, and codes in
those comments that name no racelint rule (`# noqa: RL999`, `# racelint: ignore[typo]`).

This rule is opt-in: enable it with `--extend-select RL900` or
`extend-select = ["RL900"]` in the configuration.

## Why it matters
A suppression outlives the race it silenced: once the code is fixed (or the race moves to
another line), the stale comment would silently hide the next real race on that line. A
misspelt code silences nothing at all.

A bare `# noqa` is shared with other linters (flake8, ruff), so it is never reported. Codes of
other tools in a `# noqa` list (`E501`) are left alone. A code whose rule is not selected in
this run, or switched off for the file by `per-file-ignores`, is not reported either.

## Example
```python
import threading

counter = 0
lock = threading.Lock()

def work():
    global counter
    with lock:
        counter += 1  # noqa: RL101
```

## Use instead
```python
import threading

counter = 0
lock = threading.Lock()

def work():
    global counter
    with lock:
        counter += 1
```

## Fix safety
The fix deletes the unused part of the comment (the whole comment, or its line when nothing
else is on it) and keeps the codes still in use; it is safe.
"#,
};

use racelint_analysis::Analysis;
use racelint_diagnostics::Severity;
use racelint_index::AccessKind;

use crate::describe::race_parts;
use crate::{Finding, Rule};

pub const RULE: Rule = Rule {
    code: "RL202",
    name: "unlocked-lazy-init",
    summary: "Shared state is initialized on first use without a lock, so several threads can initialize it at once.",
    severity: Severity::Warning,
    fixable: true,
    doc: r#"
## What it does
Finds lazy initialization of shared state with no lock held across the test and the
assignment: `if x is None: x = make()`, `if not x: x = ...`,
`if not hasattr(self, "_x"): self._x = ...`, `if self._cache is None: self._cache = {}`,
`if key not in cache: cache[key] = build(key)`.

## Why is this bad?
Two threads both see the value missing, both build it and both store it. Each gets its own
object — two "singletons", two connection pools, a cache entry built twice with the first
copy's updates lost.

## Example
```python
_instance = None

def instance():
    global _instance
    if _instance is None:
        _instance = Registry()
    return _instance
```

Taking the lock only around the assignment does not help: both threads still pass the test.

## Use instead
Double-checked locking: test, take the lock, test again, assign.

```python
_instance = None
_instance_lock = threading.Lock()

def instance():
    global _instance
    if _instance is None:
        with _instance_lock:
            if _instance is None:
                _instance = Registry()
    return _instance
```

`functools.cache` on a function is not a replacement on free-threaded builds: it may call
the function more than once.

## Not reported
Initialization under a lock held across the test and the assignment, correct double-checked
locking, state owned by one thread, and code no two threads run at once. A guard clause that
compares state with a value other than `None` (`if self.state != STOPPED: raise ...`, then
`self.state = RUNNING`) is not an initialization: it is reported as a check-then-act (RL201).

A cache whose entries are interchangeable (a string or number computed from the key, where
a second copy is as good as the first) is still reported: racelint cannot tell that no one
keeps or mutates the first copy. When building twice is only wasted work, say so where it
happens: `# noqa: RL202  (both threads compute the same value)`.
"#,
};

pub fn check(analysis: &Analysis<'_>, out: &mut Vec<Finding>) {
    for race in analysis.unlocked_races(&[AccessKind::LazyInit]) {
        let access = analysis.access(race.access);
        let mut parts = race_parts(analysis, &race, "the test and the assignment");
        let act_locked = analysis
            .linker
            .function(race.access.func)
            .accesses
            .iter()
            .any(|a| {
                Some(a.range) == access.second
                    && a.locks.iter().any(racelint_index::is_effective_lock)
            });
        if let Some(act) = access.second {
            parts.related.insert(
                0,
                (
                    race.access.func.module,
                    act,
                    "initialized here; another thread may have done it already".into(),
                ),
            );
        }
        if act_locked {
            parts.notes.insert(0, "the lock is taken after the test: test again once the lock is held (double-checked locking)".into());
        }
        let message = format!(
            "lazy initialization of {} without a lock: {}",
            parts.state, parts.why
        );
        let mut finding = parts.finding(
            &RULE,
            &race,
            access.range,
            message,
            "tested here with no lock held",
        );
        if act_locked {
            // Wrapping the test in the lock the assignment already takes would nest it.
            finding.fix = None;
        }
        out.push(finding);
    }
}

use racelint_analysis::Analysis;
use racelint_diagnostics::Severity;
use racelint_index::AccessKind;

use crate::describe::race_parts;
use crate::{Finding, Rule};

pub const RULE: Rule = Rule {
    code: "RL201",
    name: "unlocked-check-then-act",
    summary: "A test of shared state is followed by an action that relies on it, with no lock held across both, in code that runs in several threads at once.",
    severity: Severity::Warning,
    fixable: true,
    doc: r#"
## What it does
Finds a test of shared state followed by an action that is only right while the test still
holds, with no lock held across the two:

```python
if key not in cache:          # test
    cache[key] = value        # act
if key in cache:
    del cache[key]            # or: return cache[key]
if len(queue) > 0:
    queue.pop()
if self._count >= self._max:
    raise Full()
self._count += 1
try:
    return cache[key]
except KeyError:
    cache[key] = make()
if not self._started:
    self._started = True
    start()
```

## Why is this bad?
Between the test and the act another thread can change the state: two threads both find the
key missing and both insert (one value is lost), both see the limit not reached and both
pass it, both see `_started` false and both start. A test followed by a read
(`if key in d: return d[key]`) fails with `KeyError` when another thread deletes the key in
between, so it is reported when some concurrent code removes items.

## Example
```python
def remember(key, value):
    if key not in _seen:
        _seen[key] = value
```

## Use instead
One atomic operation, or one lock held across the test and the act:

```python
def remember(key, value):
    _seen.setdefault(key, value)

def remember_locked(key, value):
    with _seen_lock:
        if key not in _seen:
            _seen[key] = value
```

## Not reported
`d.setdefault(k, v)`, `d.get(k)`, `d.pop(k, None)` and other single container operations;
tests and acts under one lock; state only the current thread writes; code that no two
threads run at once; ownership tests (`if self._owner == threading.get_ident():`), whose
outcome no other thread can change. Lazy initialization (`if x is None: x = make()`) is RL202.
"#,
};

pub fn check(analysis: &Analysis<'_>, out: &mut Vec<Finding>) {
    for race in analysis.unlocked_races(&[AccessKind::CheckThenAct, AccessKind::CheckThenRead]) {
        let access = analysis.access(race.access);
        let mut parts = race_parts(analysis, &race, "the test and the act");
        let reads = access.kind == AccessKind::CheckThenRead;
        if let Some(act) = access.second {
            let label = if reads {
                "relies on the test here: the item may be gone by now"
            } else {
                "acts here, assuming the test still holds"
            };
            parts
                .related
                .insert(0, (race.access.func.module, act, label.into()));
        }
        if reads {
            if let Some(conflict) = &race.conflict {
                let other = analysis.access(conflict.access);
                parts.related.push((
                    conflict.access.func.module,
                    other.range,
                    "removed here concurrently".into(),
                ));
            }
        }
        let message = format!(
            "check-then-act on {} with no lock held across the test and the act: {}",
            parts.state, parts.why
        );
        out.push(parts.finding(&RULE, &race, access.range, message, "tested here"));
    }
}

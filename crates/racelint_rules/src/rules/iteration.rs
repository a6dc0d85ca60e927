use racelint_analysis::Analysis;
use racelint_diagnostics::Severity;

use racelint_analysis::AccessId;
use racelint_index::Loc;

use crate::describe::{conflict_entry, function_name, race_parts};
use crate::{Finding, Rule, Snapshot};

pub const RULE: Rule = Rule {
    code: "RL401",
    name: "iteration-over-shared-mutable",
    summary: "A shared dict, set or list is iterated while another thread may add or remove items, with no lock in common.",
    severity: Severity::Warning,
    fixable: true,
    doc: r#"
## What it does
Finds iteration over a shared container — `for k in d`, `for k, v in d.items()`,
comprehensions — in code that can run while another thread inserts into it or removes
from it (`d[k] = v`, `del d[k]`, `pop`, `clear`, `update`, `add`, `discard`, `insert`,
`remove` …) with no lock held by both.

## Why is this bad?
Iterating a dict or set that changes size raises
`RuntimeError: dictionary changed size during iteration`, and a deque that changes raises
`RuntimeError: deque mutated during iteration`; a list that loses or gains an item before
the loop's position is walked past an item or over the same one twice. With the GIL this
needed a thread switch at an unlucky moment; on free-threaded CPython both threads really
run at once.

## Example
```python
def report():
    for name, hits in counters.items():
        print(name, hits)

def record(name):
    with counters_lock:
        counters[name] = counters.get(name, 0) + 1
```

## Use instead
Take a snapshot under the lock that guards the mutations, then iterate the snapshot:

```python
def report():
    with counters_lock:
        items = list(counters.items())
    for name, hits in items:
        print(name, hits)
```

`list(d)`, `sorted(d)`, `d.copy()` make a snapshot in one step and are not reported.

## Not reported
Iteration and mutation under one lock, containers owned by one thread, and iteration in code
that nothing mutates concurrently. Appending to a list (`append`, `extend`) is not such a
mutation: a loop over the list sees the new items or not, but never skips or repeats one,
on free-threaded CPython as well. That holds only where the container is known to be a list:
every place the project binds it assigns a new one (`[]`, a comprehension, `list(...)`, or
a copy swapped in: a local built as a list, `kept = []` … `self._items = kept`, or a slice
of the list itself, `self._items = self._items[1:]`); a container passed in from elsewhere
may be a deque, whose appends are reported. Nor is iteration after a closing flag: a
`shutdown` that sets `self._shutdown = True` holding the lock under which every mutation
first tests the flag and gives up when it is set (`with self._lock: if self._shutdown: raise
...`), and that nothing sets back, joins its threads afterwards without the lock (the shape of
`concurrent.futures.ThreadPoolExecutor.shutdown`).
"#,
};

pub fn check(analysis: &Analysis<'_>, out: &mut Vec<Finding>) {
    for race in analysis.iteration_races() {
        let access = analysis.access(race.access);
        let mut parts = race_parts(
            analysis,
            &race,
            "the iteration (or take a snapshot under it)",
        );
        let Some(conflict) = &race.conflict else {
            continue;
        };
        let mutation = analysis.access(conflict.access);
        let mutator = function_name(analysis, conflict.access.func);
        // A helper reached from an entry: name the entry, whose call holds no lock in
        // common with the iteration.
        let entry = conflict
            .context
            .map(|cj| conflict_entry(analysis, cj, conflict.access.func))
            .filter(|root| *root != conflict.access.func);
        let label = match entry {
            Some(root) => format!(
                "{mutator} changes it here with no lock in common (called from {})",
                function_name(analysis, root)
            ),
            None => format!("{mutator} changes it here with no lock in common"),
        };
        parts
            .related
            .insert(0, (conflict.access.func.module, mutation.stmt, label));
        let lock = snapshot_lock(analysis, race.access, conflict.access);
        parts.fix.snapshot = lock.map(|lock| Snapshot {
            iter: access.range,
            container: access.text.clone(),
            lock,
        });
        let container = parts.state.trim_start_matches("an item of ").to_string();
        let message = format!(
            "iteration over {container} while another thread may change it: {}",
            parts.why
        );
        let mut finding = parts.finding(&RULE, &race, access.range, message, "iterated here");
        if finding.fix.as_ref().is_some_and(|f| f.snapshot.is_none()) {
            // Without a lock that guards the mutations there is nothing to snapshot under.
            finding.fix = None;
        }
        out.push(finding);
    }
}

/// The lock the mutation holds, when the same text names the same lock at the loop: `self.X`
/// in a method of the same class hierarchy, or a module-level lock of the same module.
fn snapshot_lock(
    analysis: &Analysis<'_>,
    iteration: AccessId,
    mutation: AccessId,
) -> Option<String> {
    let held = analysis.access(mutation);
    let at_loop = analysis.linker.function(iteration.func);
    held.locks
        .iter()
        .filter(|l| racelint_index::is_effective_lock(l))
        .find_map(|lock| match &lock.loc {
            Loc::Instance { class, .. } if lock.text.starts_with("self.") => {
                let loop_class = at_loop.class.map(|ci| {
                    analysis.modules()[iteration.func.module as usize].classes[ci]
                        .qualname
                        .clone()
                })?;
                (analysis.linker.state_owner(&loop_class) == analysis.linker.state_owner(class))
                    .then(|| lock.text.clone())
            }
            Loc::Global(_)
                if iteration.func.module == mutation.func.module && !lock.text.contains('.') =>
            {
                Some(lock.text.clone())
            }
            _ => None,
        })
}

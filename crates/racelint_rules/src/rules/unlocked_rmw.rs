use racelint_analysis::Analysis;
use racelint_diagnostics::Severity;
use racelint_index::{AccessKind, Loc};

use racelint_diagnostics::TextRange;

use crate::describe::race_parts;
use crate::{Finding, Rule};

pub const RULE: Rule = Rule {
    code: "RL101",
    name: "unlocked-read-modify-write",
    summary: "Shared state is read, modified and written back with no lock held, in code that runs in several threads at once.",
    severity: Severity::Warning,
    fixable: true,
    doc: r#"
## What it does
Finds read-modify-write updates of shared state — `x += 1`, `x = x + 1`, `self.n -= 1`,
`d[k] = d.get(k, 0) + 1`, `lst[i] *= 2`, `self.total = max(self.total, v)` — in code that
can run in two threads at once, with no lock held. Also an update split over statements:
a value read into a local and written back later (`n = self.n` … `self.n = n + 1`,
`seen = d.get(k, 0)` … `d[k] = seen + 1`, or saved, replaced and restored in a `finally`:
`old = mod.f` … `mod.f = old`), or
written to a sibling kept in step with state the function changed in between
(`n = len(self.items)` … `self.items.append(x)` … `self.count = n + 1`). A list stored back
over itself as a copy (`rest = self.items[1:]` … `self.items = rest`, or a `kept` list a
loop over `self.items` builds, then `self.items = kept`) is such an update too, and it
races with a thread that appends to or removes from the list, whose change the copy loses. And the standard
library's functions that rearrange a list in several steps: `heapq.heappush`, `heappop`,
`heappushpop`, `heapreplace`, `heapify` and `bisect.insort` (two threads pushing onto one
heap at once can lose an item or break its order).

State is shared when it outlives one call: module globals, class attributes, attributes of
an object several threads use, locals captured by nested functions that run in threads,
objects a start passes to each thread it runs (`args=(counts,)`, followed into the helpers
the target hands them on to), and the items of
containers stored in any of these.

Code runs concurrently when racelint sees it reached (through calls it can resolve, across
modules) from a thread entry point that can run alongside itself — a `threading.Thread`
started in a loop or from several places, a task of a `ThreadPoolExecutor` or
`multiprocessing` `ThreadPool`, `loop.run_in_executor`, `asyncio.to_thread`, the request
handler of a threading server — or alongside code that writes the same state, such as the
thread that started it. A class that holds or uses a lock declares that it is meant for
several threads, so its public methods count as entry points too (constructors are exempt);
so do the public functions of a module that takes a module-level lock. In a class of eight
methods or more, that covers only the attributes the lock guards somewhere: a larger class
whose lock keeps to one corner leaves the rest of the object to one thread. So does a class
whose only locks belong to another object (`with self.pool.lock:`).

## Why is this bad?
`counter += 1` is three steps: read `counter`, add one, store the result. Two threads can
both read the old value and both store the same new one; one update is lost. Under the GIL
the window was narrow and switches happened rarely inside it; on free-threaded CPython
(PEP 703, the `3.13t` and `3.14t` builds) threads truly run at the same time and updates are
lost routinely. The bug never raises: counts drift, caches double-build, limits are exceeded.

## Example
```python
import threading

hits = 0

def worker():
    global hits
    for _ in range(1000):
        hits += 1

threads = [threading.Thread(target=worker) for _ in range(8)]
```

## Use instead
```python
import threading

hits = 0
hits_lock = threading.Lock()

def worker():
    global hits
    for _ in range(1000):
        with hits_lock:
            hits += 1
```

Hold the same lock everywhere the state is updated. A helper whose every concurrent caller
holds a lock is protected by it; racelint follows locks into the functions called under them.

## Not reported
Updates under `with lock:` (any `threading` lock, `RLock`, `Condition`, `Semaphore`) or
between `lock.acquire()` and `lock.release()` (also after a polling loop
`while not lock.acquire(timeout=0.1): ...` that no `break` leaves); state owned by one
thread (locals, objects the thread creates, `threading.local()` attributes, the object's state where an ownership test
such as `if self._owner == threading.get_ident():` holds); constructors; code no thread reaches; a
thread started once whose state no other running code writes; writing back the value just
read (`self.x = self.x`, `self.x = typing.cast(T, self.x)`), which changes nothing; an item
read under one key and stored under another (`f = cache[base]` … `cache[kind] = f`), which
copies a value rather than updating one.
"#,
};

pub fn check(analysis: &Analysis<'_>, out: &mut Vec<Finding>) {
    for race in analysis.unlocked_races(&[AccessKind::ReadModifyWrite]) {
        let access = analysis.access(race.access);
        let mut parts = race_parts(analysis, &race, "this update");
        let (message, label) = match access.second {
            // Read into a local by one statement, written back by a later one.
            Some(read) => {
                parts.related.insert(
                    0,
                    (
                        race.access.func.module,
                        read,
                        "read here; the value written back is made from it".into(),
                    ),
                );
                (
                    format!(
                        "unsynchronized read-modify-write of {}, split over statements: {}",
                        parts.state, parts.why
                    ),
                    "written back here from a value read earlier, with no lock held",
                )
            }
            // `heapq.heappush(queue, item)`: the access is the list itself, its items the
            // state (an update of one item is spelled with its subscript).
            None if matches!(access.loc, Loc::Item(_)) && !access.text.ends_with(']') => (
                format!(
                    "unsynchronized read-modify-write of {}: {}",
                    parts
                        .state
                        .strip_prefix("an item of ")
                        .map_or_else(|| parts.state.clone(), |s| format!("the items of {s}")),
                    parts.why
                ),
                "the list is read and rearranged in several steps with no lock held",
            ),
            None => (
                format!(
                    "unsynchronized read-modify-write of {}: {}",
                    parts.state, parts.why
                ),
                "read, modified and written back with no lock held",
            ),
        };
        let range = match access.second {
            Some(_) => TextRange::new(access.range.start(), access.stmt.end()),
            None => access.stmt,
        };
        out.push(parts.finding(&RULE, &race, range, message, label));
    }
}

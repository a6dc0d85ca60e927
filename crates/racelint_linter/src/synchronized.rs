//! `synchronized-decorators`: decorators that make the functions they wrap run holding a lock
//! (`@synchronized`, `@with_lock(_lock)`, a framework's serializing decorator).
//!
//! The body of such a function runs under a lock whose identity racelint cannot see, so every
//! access and call in it is marked as holding a lock of unknown identity. Unknown locks are
//! assumed to be the lock that matters: two decorated functions never race with each other,
//! and the callees they reach inherit the lock. A decorated function still races with code
//! that takes no lock at all.
//!
//! Decorators the project defines itself in the plain shape (a wrapper whose body is one
//! `with self._lock:` or `with _module_lock:` around the call of the wrapped function) need no
//! configuration: [`apply_detected`] marks the functions they wrap as holding that very lock.

use std::collections::HashMap;

use racelint_index::{DecoratorLock, HeldLock, Loc, ModuleSummary};

/// Marks the bodies of functions decorated with one of `decorators` as holding a lock.
pub(crate) fn apply(summary: &mut ModuleSummary, decorators: &[String]) {
    if decorators.is_empty() {
        return;
    }
    for function in &mut summary.functions {
        let Some(decorator) = function
            .decorators
            .iter()
            .find(|d| decorators.iter().any(|c| c == *d))
        else {
            continue;
        };
        let lock = HeldLock {
            loc: Loc::Unknown(format!("@{decorator}")),
            text: format!("@{decorator}"),
            range: function.name_range,
        };
        for access in &mut function.accesses {
            access.locks.push(lock.clone());
        }
        for call in &mut function.calls {
            call.locks.push(lock.clone());
        }
    }
}

/// The modules with functions wrapped by a decorator that some module of the project
/// defines as running what it wraps under a lock ([`ModuleSummary::synchronizing`]), each
/// copied with those functions' bodies marked as holding that lock. The summaries
/// themselves stay as their files made them, so an editor that re-reads one file never sees
/// a lock another file's decorator once added.
pub(crate) fn apply_detected(summaries: &[ModuleSummary]) -> Vec<(usize, ModuleSummary)> {
    let mut detected: HashMap<String, &DecoratorLock> = summaries
        .iter()
        .flat_map(|m| {
            m.synchronizing
                .iter()
                .map(|(path, lock)| (path.clone(), lock))
        })
        .collect();
    if detected.is_empty() {
        return Vec::new();
    }
    // Re-exported by a package (`from .util import synchronized` in `pkg/__init__.py`), a
    // decorator is also imported as `pkg.synchronized`.
    let reexported: Vec<(String, &DecoratorLock)> = summaries
        .iter()
        .filter(|m| m.is_package)
        .flat_map(|m| {
            let detected = &detected;
            m.imports.iter().filter_map(move |(local, target)| {
                let lock = detected.get(target.as_str())?;
                Some((format!("{}.{local}", m.module), *lock))
            })
        })
        .collect();
    detected.extend(reexported);
    let uses = |m: &ModuleSummary| {
        m.functions.iter().any(|f| {
            f.decorators
                .iter()
                .any(|d| detected.contains_key(d.as_str()))
        })
    };
    summaries
        .iter()
        .enumerate()
        .filter(|(_, m)| uses(m))
        .map(|(i, m)| {
            let mut patched = m.clone();
            let ModuleSummary {
                functions, classes, ..
            } = &mut patched;
            for function in functions.iter_mut() {
                let Some(lock) = function
                    .decorators
                    .iter()
                    .find_map(|d| detected.get(d.as_str()))
                else {
                    continue;
                };
                let (loc, text) = match lock {
                    DecoratorLock::SelfAttr(attr) => {
                        let Some(class) = function.class.and_then(|c| classes.get(c)) else {
                            continue;
                        };
                        let loc = Loc::Instance {
                            class: class.qualname.clone(),
                            attr: attr.clone(),
                        };
                        (loc, format!("self.{attr}"))
                    }
                    DecoratorLock::Global(path) => {
                        let name = path.rsplit('.').next().unwrap_or(path);
                        (Loc::Global(path.clone()), name.to_owned())
                    }
                };
                let lock = HeldLock {
                    loc,
                    text,
                    range: function.name_range,
                };
                for access in &mut function.accesses {
                    access.locks.push(lock.clone());
                }
                for call in &mut function.calls {
                    call.locks.push(lock.clone());
                }
                function.acquires.push(lock);
            }
            (i, patched)
        })
        .collect()
}

//! `synchronized-decorators`: decorators that make the functions they wrap run holding a lock
//! (`@synchronized`, `@with_lock(_lock)`, a framework's serializing decorator).
//!
//! The body of such a function runs under a lock whose identity racelint cannot see, so every
//! access and call in it is marked as holding a lock of unknown identity. Unknown locks are
//! assumed to be the lock that matters: two decorated functions never race with each other,
//! and the callees they reach inherit the lock. A decorated function still races with code
//! that takes no lock at all.

use racelint_index::{HeldLock, Loc, ModuleSummary};

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

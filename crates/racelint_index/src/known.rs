//! The standard library's threading vocabulary, by qualified name.

/// How a function reaches another thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SpawnKind {
    Thread,
    Timer,
    Executor,
    RunInExecutor,
    ToThread,
    ThreadPool,
    StartNewThread,
    /// `run` of a `threading.Thread` subclass, started when the class is instantiated.
    ThreadSubclass,
    /// A request-handler method of a threading server.
    ServerHandler,
    /// A callable named in the `thread-entry-points` configuration.
    Configured,
}

impl SpawnKind {
    /// Whether every start through this kind may run alongside another start of the same
    /// target: pools run many tasks at once, servers handle many requests at once.
    pub fn is_pool(self) -> bool {
        matches!(
            self,
            SpawnKind::Executor
                | SpawnKind::RunInExecutor
                | SpawnKind::ToThread
                | SpawnKind::ThreadPool
                | SpawnKind::ServerHandler
        )
    }

    /// How a message names this way of starting a thread.
    pub fn describe(self) -> &'static str {
        match self {
            SpawnKind::Thread => "threading.Thread",
            SpawnKind::Timer => "threading.Timer",
            SpawnKind::Executor => "a ThreadPoolExecutor",
            SpawnKind::RunInExecutor => "loop.run_in_executor",
            SpawnKind::ToThread => "asyncio.to_thread",
            SpawnKind::ThreadPool => "a multiprocessing ThreadPool",
            SpawnKind::StartNewThread => "_thread.start_new_thread",
            SpawnKind::ThreadSubclass => "a threading.Thread subclass",
            SpawnKind::ServerHandler => "a threading server",
            SpawnKind::Configured => "a configured thread entry point",
        }
    }
}

const LOCK_FACTORIES: &[&str] = &[
    "threading.Lock",
    "threading.RLock",
    "threading.Condition",
    "threading.Semaphore",
    "threading.BoundedSemaphore",
    "threading._RLock",
    "threading._allocate_lock",
    "_thread.allocate_lock",
    "_thread.allocate",
    "_thread.RLock",
    "multiprocessing.Lock",
    "multiprocessing.RLock",
    "multiprocessing.Condition",
    "multiprocessing.Semaphore",
    "multiprocessing.BoundedSemaphore",
    "multiprocessing.synchronize.Lock",
    "multiprocessing.synchronize.RLock",
    "multiprocessing.synchronize.Condition",
    "multiprocessing.synchronize.Semaphore",
    "multiprocessing.synchronize.BoundedSemaphore",
    "multiprocessing.dummy.Lock",
    "multiprocessing.dummy.RLock",
];

/// Whether calling `path` makes a lock.
pub fn is_lock_factory(path: &str, extra: &[String]) -> bool {
    LOCK_FACTORIES.contains(&path) || extra.iter().any(|e| e == path)
}

/// Whether calling `path` makes a thread-local namespace.
pub fn is_thread_local_factory(path: &str) -> bool {
    matches!(
        path,
        "threading.local" | "_threading_local.local" | "_thread._local"
    )
}

/// Whether `path` belongs to an async library (`asyncio.Lock`, `anyio.Semaphore`,
/// `trio.Lock`): its locks order the coroutines of one event loop and exclude no thread.
pub(crate) fn is_async_library(path: &str) -> bool {
    let library = path.split('.').next().unwrap_or_default();
    matches!(library, "asyncio" | "anyio" | "trio")
}

/// Whether calling `path` tells which thread is running (`threading.get_ident()`,
/// `threading.current_thread()`): a value only the calling thread can hold.
pub(crate) fn is_thread_identity(path: &str) -> bool {
    matches!(
        path,
        "threading.get_ident"
            | "threading.get_native_id"
            | "threading.current_thread"
            | "threading.currentThread"
            | "_thread.get_ident"
            | "_thread.get_native_id"
    )
}

pub(crate) fn is_executor_factory(path: &str) -> bool {
    matches!(
        path,
        "concurrent.futures.ThreadPoolExecutor" | "concurrent.futures.thread.ThreadPoolExecutor"
    )
}

pub(crate) fn is_thread_pool_factory(path: &str) -> bool {
    matches!(
        path,
        "multiprocessing.pool.ThreadPool"
            | "multiprocessing.dummy.Pool"
            | "multiprocessing.ThreadPool"
    )
}

pub(crate) const POOL_METHODS: &[&str] = &[
    "apply",
    "apply_async",
    "map",
    "map_async",
    "imap",
    "imap_unordered",
    "starmap",
    "starmap_async",
];

/// Methods that mutate a container in place.
/// Functions of the standard library that rearrange the list given as their first argument
/// in several steps (`heapq.heappush` appends, then sifts the new item up): two threads
/// running them on one list at once can lose an item or break the heap's order, so each
/// is a read-modify-write of the list's items.
pub(crate) const LIST_REARRANGERS: &[&str] = &[
    "heapq.heappush",
    "heapq.heappop",
    "heapq.heappushpop",
    "heapq.heapreplace",
    "heapq.heapify",
    "bisect.insort",
    "bisect.insort_left",
    "bisect.insort_right",
];

/// Whether a call's last name can be one of [`LIST_REARRANGERS`].
pub(crate) fn may_rearrange_list(name: &str) -> bool {
    name.starts_with("heap") || name.starts_with("insort")
}

pub(crate) const MUTATORS: &[&str] = &[
    "append",
    "extend",
    "insert",
    "remove",
    "pop",
    "popitem",
    "clear",
    "update",
    "setdefault",
    "add",
    "discard",
    "sort",
    "reverse",
    "appendleft",
    "extendleft",
    "popleft",
    "rotate",
    "difference_update",
    "intersection_update",
    "symmetric_difference_update",
];

/// Whether `haystack` contains `needle` (lowercase ASCII), ignoring ASCII case, without
/// allocating a lowercased copy.
pub(crate) fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    let (haystack, needle) = (haystack.as_bytes(), needle.as_bytes());
    haystack.len() >= needle.len()
        && haystack
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Whether a name suggests a lock (used for locks the summarizer cannot trace to a factory,
/// such as one passed in or created in another module).
pub(crate) fn looks_like_lock(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let lower = lower.trim_start_matches('_');
    lower.contains("lock")
        || lower.contains("mutex")
        || lower == "cv"
        || lower == "cond"
        || lower.ends_with("_cv")
        || lower.ends_with("_cond")
        || lower.contains("condition")
        || lower.contains("semaphore")
        || lower == "sem"
        || lower.ends_with("_sem")
}

/// Mutators that remove items.
pub(crate) fn is_removal(method: &str) -> bool {
    matches!(
        method,
        "pop"
            | "popitem"
            | "remove"
            | "discard"
            | "clear"
            | "popleft"
            | "difference_update"
            | "intersection_update"
    )
}

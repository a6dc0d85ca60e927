//! What runs concurrently: thread entry contexts (visible thread starts and thread-safety
//! contracts), and what each context reaches through calls with the locks it must hold.

use std::collections::{HashMap, VecDeque};

use rayon::prelude::*;

use racelint_index::fxhash::{FxHashMap, FxHashSet};
use racelint_index::{
    ClassSummary, HeldLock, Loc, ModuleSummary, Receiver, SpawnKind, TextRange, TextSize,
};

use crate::link::{ClassCall, ClassId, Edge, FnId, Linker, Site, Target};

/// Standard-library servers that handle each request in a thread of its own.
const THREADING_SERVERS: &[&str] = &[
    "socketserver.ThreadingTCPServer",
    "socketserver.ThreadingUDPServer",
    "socketserver.ThreadingUnixStreamServer",
    "socketserver.ThreadingUnixDatagramServer",
    "socketserver.ThreadingMixIn",
    "http.server.ThreadingHTTPServer",
];

/// Why a class's lock speaks only for the state it guards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Narrow {
    /// The lock keeps to a corner of a large class (see [`keeps_to_a_corner`]).
    LargeClass,
    /// Every lock the class's methods take belongs to another object (`self.pool.lock`):
    /// the other object is shared, which says nothing of the class's own state.
    OtherObjectsLock,
    /// The class's own lock guards only state of other objects (`with self._lock:
    /// listeners = list(self._session._listeners)`), never an attribute of its own.
    OtherObjectsState,
}

/// Why a context's code runs concurrently.
#[derive(Clone, Debug)]
pub enum Evidence {
    /// A visible thread start.
    Start {
        kind: SpawnKind,
        site: Site,
        spawner: FnId,
        stmt_start: TextSize,
        /// Why several runs may overlap, if they may.
        repeated: Option<&'static str>,
    },
    /// A class that holds or uses a lock declares itself meant for several threads.
    ClassContract {
        class: ClassId,
        lock: Option<(Site, String)>,
        declared: bool,
        /// Why only the state the class's locks guard is taken to be shared, if so.
        narrow: Option<Narrow>,
    },
    /// A module whose functions take a module-level lock.
    ModuleContract { module: u32, lock: (Site, String) },
    /// A function decorated with a configured thread entry point.
    Decorated { site: Site, decorator: String },
}

#[derive(Clone, Debug)]
pub struct Context {
    pub roots: Vec<FnId>,
    pub evidence: Evidence,
    /// Whether the context's code may run in several threads at once.
    pub repeated: bool,
    /// Whether the roots' `self` is one object shared by those threads.
    pub self_shared: bool,
    /// Whether the threads that make the context repeated may run on one `self`: not when
    /// each of several start sites made its own object (`Receiver::Fresh`).
    pub self_repeated: bool,
    /// Whether the roots run on an object their start site made (`Receiver::Fresh`): no
    /// thread of another context can hold that `self`.
    pub fresh_self: bool,
}

impl Context {
    /// Whether two threads of this context may touch `loc` at once: the context runs in
    /// several threads, and for state of `self`, on one object.
    pub fn runs_alongside_itself(&self, loc: &Loc) -> bool {
        self.repeated
            && (self.self_repeated || !matches!(loc.root(), Loc::Instance { .. }))
            && !racelint_index::per_iteration(loc)
    }
}

/// How a context reaches one function.
#[derive(Clone, Debug)]
pub struct Reach {
    /// Canonical locks held on every path from a root to the function.
    pub locks: Vec<Loc>,
    /// The caller and call-site index through which the function was first reached.
    pub parent: Option<(FnId, u32)>,
    /// Whether the function's `self` may be the shared object.
    pub self_shared: bool,
}

pub use racelint_index::is_effective_lock;

/// Locks whose identity is unknown (passed in, reached through an unknown object) are
/// assumed to be the lock that matters, so they never cause a report on their own.
pub fn is_wildcard_lock(loc: &Loc) -> bool {
    matches!(loc, Loc::Param { .. } | Loc::Unknown(_))
}

pub fn canonical_locks(linker: &Linker<'_>, locks: &[HeldLock]) -> Vec<Loc> {
    let mut out: Vec<Loc> = Vec::new();
    for lock in locks.iter().filter(|l| is_effective_lock(l)) {
        match &lock.loc {
            // The locks the context manager holds for the body; none if it holds none.
            Loc::Via(callee) => {
                for f in linker.callees(FnId { module: 0, func: 0 }, callee) {
                    for provided in &linker.function(f).provides_locks {
                        if !matches!(provided.loc, Loc::Via(_)) {
                            out.push(linker.canonical_loc(&provided.loc));
                        }
                    }
                }
            }
            other => out.push(linker.canonical_loc(other)),
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Finds every context of the program.
///
/// `class_calls` are the calls that name a project class, per module (from
/// [`Linker::call_graph`]).
pub(crate) fn contexts(
    linker: &Linker<'_>,
    class_calls: &[Vec<ClassCall>],
    decorator_entry_points: &[String],
) -> Vec<Context> {
    let mut out = Vec::new();
    start_contexts(linker, &mut out);
    thread_subclass_contexts(linker, class_calls, &mut out);
    server_contexts(linker, &mut out);
    contract_contexts(linker, &mut out);
    decorated_contexts(linker, decorator_entry_points, &mut out);
    out
}

fn start_contexts(linker: &Linker<'_>, out: &mut Vec<Context>) {
    let first = out.len();
    // Per context pushed here: whether every target runs on an object its start made.
    let mut fresh: Vec<bool> = Vec::new();
    // Per context pushed here: the function whose start it is.
    let mut spawners: Vec<FnId> = Vec::new();
    for (mi, m) in linker.modules.iter().enumerate() {
        for (fi, f) in m.functions.iter().enumerate() {
            let spawner = FnId {
                module: mi as u32,
                func: fi as u32,
            };
            for spawn in &f.spawns {
                let targets = linker.callees_with_receiver(spawner, &spawn.target, spawn.receiver);
                if targets.is_empty() {
                    continue;
                }
                let roots: Vec<FnId> = targets.iter().map(|(f, _)| *f).collect();
                let repeated = if spawn.serial {
                    None
                } else if spawn.kind.is_pool() {
                    Some(match spawn.kind {
                        SpawnKind::ServerHandler => "handles each request in a thread of its own",
                        _ => "runs on a thread pool, several tasks at a time",
                    })
                } else if spawn.repeated {
                    Some("started in a loop")
                } else {
                    None
                };
                let self_shared = targets.iter().any(|(_, r)| {
                    matches!(r, Receiver::SelfObject | Receiver::Shared | Receiver::Fresh)
                });
                spawners.push(spawner);
                fresh.push(
                    targets
                        .iter()
                        .all(|(_, r)| matches!(r, Receiver::Fresh | Receiver::Owned)),
                );
                out.push(Context {
                    roots,
                    evidence: Evidence::Start {
                        kind: spawn.kind,
                        site: Site::new(mi as u32, spawn.range),
                        spawner,
                        stmt_start: spawn.stmt_start,
                        repeated,
                    },
                    repeated: repeated.is_some(),
                    self_shared,
                    self_repeated: repeated.is_some(),
                    fresh_self: *fresh.last().unwrap_or(&false),
                });
            }
        }
    }
    // The same target started from several places runs alongside itself: on one `self`
    // only if two of those starts may use the same object, not when each made its own, nor
    // when they are in a method and its override (an object runs one of them).
    let mut by_root: HashMap<FnId, Vec<usize>> = HashMap::new();
    for (i, c) in out.iter().enumerate().skip(first) {
        for r in &c.roots {
            by_root.entry(*r).or_default().push(i);
        }
    }
    for indices in by_root.values().filter(|v| v.len() > 1) {
        let shares_self = |i: usize| {
            !fresh[i - first]
                && indices.iter().any(|&j| {
                    j != i
                        && !fresh[j - first]
                        && !alternatives(linker, spawners[i - first], spawners[j - first])
                })
        };
        let shared: Vec<bool> = indices.iter().map(|&i| shares_self(i)).collect();
        for (&i, shared) in indices.iter().zip(shared) {
            let c = &mut out[i];
            if !c.repeated {
                c.repeated = true;
                c.self_repeated = shared;
                if let Evidence::Start { repeated, .. } = &mut c.evidence {
                    *repeated = Some("started from several places");
                }
            }
        }
    }
}

/// Whether two methods are alternatives for one object: methods of one name in different
/// classes (a method and its override, or two siblings' overrides), neither calling the
/// other (`super().start()`). An object runs the one its class resolves the name to.
pub(crate) fn alternatives(linker: &Linker<'_>, a: FnId, b: FnId) -> bool {
    let (fa, fb) = (linker.function(a), linker.function(b));
    let (Some(ca), Some(cb)) = (fa.class, fb.class) else {
        return false;
    };
    let class = |f: FnId, c: usize| ClassId {
        module: f.module,
        class: c as u32,
    };
    if a == b || fa.name != fb.name || class(a, ca) == class(b, cb) {
        return false;
    }
    let calls = |from: FnId, to: FnId| {
        let m = linker.modules[from.module as usize];
        linker.function(from).calls.iter().any(|call| {
            m.callees
                .get(call.callee as usize)
                .is_some_and(|callee| linker.callees(from, callee).contains(&to))
        })
    };
    !calls(a, b) && !calls(b, a)
}

fn thread_subclass_contexts(
    linker: &Linker<'_>,
    class_calls: &[Vec<ClassCall>],
    out: &mut Vec<Context>,
) {
    // The project's thread classes that have a `run`, in program order (each module's
    // classes are looked at in parallel).
    let threads: Vec<Vec<(ClassId, FnId)>> = linker
        .modules
        .par_iter()
        .enumerate()
        .map(|(mi, m)| {
            (0..m.classes.len())
                .filter_map(|ci| {
                    let id = ClassId {
                        module: mi as u32,
                        class: ci as u32,
                    };
                    if !linker.inherits_from(id, &["threading.Thread"]) {
                        return None;
                    }
                    linker.lookup_method(id, "run").map(|run| (id, run))
                })
                .collect()
        })
        .collect();
    let threads: Vec<(ClassId, FnId)> = threads.into_iter().flatten().collect();
    if threads.is_empty() {
        return;
    }
    let wanted: FxHashSet<ClassId> = threads.iter().map(|(id, _)| *id).collect();
    // Every call of one of those classes, in program order: the call graph has already
    // resolved every call, and kept those whose path names a project class.
    let mut instantiations: FxHashMap<ClassId, Vec<(Site, FnId, TextSize, bool)>> =
        FxHashMap::default();
    for (mi, calls) in class_calls.iter().enumerate() {
        for cc in calls.iter().filter(|cc| wanted.contains(&cc.class)) {
            let caller = FnId {
                module: mi as u32,
                func: cc.func,
            };
            let call = &linker.function(caller).calls[cc.call as usize];
            instantiations.entry(cc.class).or_default().push((
                Site::new(mi as u32, call.range),
                caller,
                call.stmt_start,
                call.in_loop,
            ));
        }
    }
    for (id, run) in threads {
        let c = linker.class(id);
        let mi = id.module;
        let sites = instantiations.remove(&id).unwrap_or_default();
        if sites.is_empty() {
            out.push(Context {
                roots: vec![run],
                evidence: Evidence::Start {
                    kind: SpawnKind::ThreadSubclass,
                    site: Site::new(mi, c.name_range),
                    spawner: run,
                    stmt_start: TextSize::default(),
                    repeated: None,
                },
                repeated: false,
                self_shared: false,
                self_repeated: false,
                fresh_self: false,
            });
            continue;
        }
        let several = sites.len() > 1;
        for (site, spawner, stmt_start, in_loop) in sites {
            let repeated = if in_loop {
                Some("started in a loop")
            } else if several {
                Some("started from several places")
            } else {
                None
            };
            out.push(Context {
                roots: vec![run],
                evidence: Evidence::Start {
                    kind: SpawnKind::ThreadSubclass,
                    site,
                    spawner,
                    stmt_start,
                    repeated,
                },
                repeated: repeated.is_some(),
                // Each start has its own Thread object.
                self_shared: false,
                self_repeated: repeated.is_some(),
                fresh_self: false,
            });
        }
    }
}

fn server_contexts(linker: &Linker<'_>, out: &mut Vec<Context>) {
    for (mi, m) in linker.modules.iter().enumerate() {
        for (fi, f) in m.functions.iter().enumerate() {
            for server in &f.servers {
                let threading = match linker.target(&server.server) {
                    Target::External(p) => THREADING_SERVERS.contains(&&*p),
                    Target::Class(c) => linker.inherits_from(c, THREADING_SERVERS),
                    _ => false,
                };
                if !threading {
                    continue;
                }
                let Target::Class(handler) = linker.target(&server.handler) else {
                    continue;
                };
                let mut roots: Vec<FnId> = ["handle", "setup", "finish"]
                    .iter()
                    .filter_map(|name| linker.lookup_method(handler, name))
                    .collect();
                for (name, fi) in &linker.class(handler).methods {
                    if name.starts_with("do_") {
                        roots.push(FnId {
                            module: handler.module,
                            func: *fi as u32,
                        });
                    }
                }
                if roots.is_empty() {
                    continue;
                }
                out.push(Context {
                    roots,
                    evidence: Evidence::Start {
                        kind: SpawnKind::ServerHandler,
                        site: Site::new(mi as u32, server.range),
                        spawner: FnId {
                            module: mi as u32,
                            func: fi as u32,
                        },
                        stmt_start: server.range.start(),
                        repeated: Some("handles each request in a thread of its own"),
                    },
                    repeated: true,
                    // A new handler object serves each request.
                    self_shared: false,
                    self_repeated: true,
                    fresh_self: false,
                });
            }
        }
    }
}

/// Whether a held lock is the class's lock attribute `name`, however it was reached
/// (`self._lock`, `cls._lock`, `Class._lock`).
fn names_lock(loc: &Loc, name: &str) -> bool {
    match loc {
        Loc::Instance { attr, .. } => attr == name,
        Loc::Global(path) => path.rsplit('.').next() == Some(name),
        _ => false,
    }
}

const CONSTRUCTORS: &[&str] = &[
    "__init__",
    "__new__",
    "__post_init__",
    "__init_subclass__",
    "__del__",
    "__set_name__",
];

/// Code that sets state up before other threads can see it: a constructor, or a module's
/// own top-level code.
pub(crate) fn is_initializer(name: &str) -> bool {
    CONSTRUCTORS.contains(&name) || name == "<module>"
}

/// Methods a user of the class may call from any thread.
fn is_public_method(name: &str) -> bool {
    if CONSTRUCTORS.contains(&name) {
        return false;
    }
    !name.starts_with('_') || (name.starts_with("__") && name.ends_with("__"))
}

/// The fewest methods a class has before the state its lock never guards is left to one
/// thread.
const CORNER_MIN_METHODS: usize = 8;

/// Whether only the state a class's lock guards is taken to be shared. A small class with a
/// lock is a thread-safe object as a whole: a lazily made attribute or a counter beside the
/// guarded state was most likely forgotten. In a larger class, state that no code touches
/// holding a lock is state its authors left to the one thread that uses it (the lock being
/// for one purpose: handing results over from a helper thread, counting the threads sharing
/// the object, a reentrancy guard).
fn keeps_to_a_corner(c: &ClassSummary) -> bool {
    c.methods.len() >= CORNER_MIN_METHODS
}

/// Whether a class holds no lock of its own and its methods take only locks kept in an
/// attribute of another object (`with self.pool.lock:`).
fn takes_only_other_objects_locks(c: &ClassSummary, m: &ModuleSummary) -> bool {
    c.lock_attrs.is_empty()
        && c.methods.iter().all(|(_, fi)| {
            m.functions[*fi]
                .acquires
                .iter()
                .all(|lock| match &lock.loc {
                    Loc::Instance { attr, .. } => attr.contains('.'),
                    _ => true,
                })
        })
}

/// Whether a class's own locks guard state, and only state reached through its attributes
/// (`self._session._listeners`) or elsewhere, never an attribute of its own object: such a
/// lock is kept for the other object's sake.
fn guards_only_other_objects(c: &ClassSummary, m: &ModuleSummary) -> bool {
    if c.lock_attrs.is_empty() {
        return false;
    }
    let mut guarded = c.methods.iter().flat_map(|(_, fi)| {
        m.functions[*fi].accesses.iter().filter(|a| {
            a.locks.iter().any(|l| {
                c.lock_attrs
                    .iter()
                    .any(|(name, _)| names_lock(&l.loc, name))
            })
        })
    });
    let mut any = false;
    let only_others = guarded.all(|a| {
        any = true;
        !matches!(a.loc.root(), Loc::Instance { class, attr }
            if *class == c.qualname && !attr.contains('.'))
    });
    any && only_others
}

fn contract_contexts(linker: &Linker<'_>, out: &mut Vec<Context>) {
    for (mi, m) in linker.modules.iter().enumerate() {
        for (ci, c) in m.classes.iter().enumerate() {
            let id = ClassId {
                module: mi as u32,
                class: ci as u32,
            };
            // Evidence: a lock attribute, or a method that takes a lock held on `self`.
            let in_a_method = |range: &TextRange| {
                c.methods
                    .iter()
                    .any(|(_, fi)| m.functions[*fi].range.contains_range(*range))
            };
            let mut lock: Option<(Site, String)> = c.lock_attrs.first().map(|(name, range)| {
                let owner = if in_a_method(range) { "self" } else { &c.name };
                (Site::new(mi as u32, *range), format!("{owner}.{name}"))
            });
            if lock.is_none() {
                'methods: for (_, fi) in &c.methods {
                    for acquired in &m.functions[*fi].acquires {
                        if matches!(acquired.loc, Loc::Instance { .. }) {
                            lock =
                                Some((Site::new(mi as u32, acquired.range), acquired.text.clone()));
                            break 'methods;
                        }
                    }
                }
            }
            if lock.is_none() && !c.declared_thread_safe {
                continue;
            }
            // A lock in the class body (`_cache_lock = threading.Lock()`) is one for all the
            // instances: unless it guards some instance's own state, it says that the methods
            // may run at once on different objects (sharing class attributes and globals),
            // not that one object is shared.
            let guards_instance_state = |name: &str| {
                c.methods.iter().any(|(_, fi)| {
                    m.functions[*fi].accesses.iter().any(|a| {
                        matches!(a.loc.root(), Loc::Instance { class, .. } if *class == c.qualname)
                            && a.locks.iter().any(|l| names_lock(&l.loc, name))
                    })
                })
            };
            let self_shared = c.declared_thread_safe
                || c.lock_attrs.is_empty()
                || c.lock_attrs
                    .iter()
                    .any(|(name, range)| in_a_method(range) || guards_instance_state(name));
            // The plain methods run in any number of threads at once. The coroutines run on
            // their event loop's one thread: alongside those threads, but not alongside each
            // other (they interleave only at `await`, which a thread lock cannot order).
            let (coroutines, plain): (Vec<FnId>, Vec<FnId>) = c
                .methods
                .iter()
                .filter(|(name, _)| is_public_method(name))
                .map(|(_, fi)| FnId {
                    module: mi as u32,
                    func: *fi as u32,
                })
                .partition(|f| linker.function(*f).is_async);
            let evidence = Evidence::ClassContract {
                class: id,
                lock,
                declared: c.declared_thread_safe,
                narrow: if c.declared_thread_safe {
                    None
                } else if keeps_to_a_corner(c) {
                    Some(Narrow::LargeClass)
                } else if takes_only_other_objects_locks(c, m) {
                    Some(Narrow::OtherObjectsLock)
                } else if guards_only_other_objects(c, m) {
                    Some(Narrow::OtherObjectsState)
                } else {
                    None
                },
            };
            for (roots, repeated) in [(plain, true), (coroutines, false)] {
                if roots.is_empty() {
                    continue;
                }
                out.push(Context {
                    roots,
                    evidence: evidence.clone(),
                    repeated,
                    self_shared,
                    self_repeated: repeated,
                    fresh_self: false,
                });
            }
        }
        // A module whose functions take one of its module-level locks.
        if m.lock_globals.is_empty() {
            continue;
        }
        let lock_paths: Vec<String> = m
            .lock_globals
            .iter()
            .map(|(n, _)| format!("{}.{n}", m.module))
            .collect();
        let used = m
            .functions
            .iter()
            .skip(1)
            .flat_map(|f| f.acquires.iter())
            .find(|l| matches!(&l.loc, Loc::Global(p) if lock_paths.contains(p)));
        let Some(used) = used else { continue };
        let roots: Vec<FnId> = m
            .functions
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, f)| {
                // A top-level function: its qualname is `<module>.<name>` (compared piece by
                // piece rather than spelled out).
                f.class.is_none()
                    && !f.is_async
                    && f.qualname
                        .strip_prefix(m.module.as_str())
                        .and_then(|rest| rest.strip_prefix('.'))
                        == Some(f.name.as_str())
                    && !f.name.starts_with('_')
            })
            .map(|(fi, _)| FnId {
                module: mi as u32,
                func: fi as u32,
            })
            .collect();
        if roots.is_empty() {
            continue;
        }
        out.push(Context {
            roots,
            evidence: Evidence::ModuleContract {
                module: mi as u32,
                lock: (Site::new(mi as u32, used.range), used.text.clone()),
            },
            repeated: true,
            self_shared: false,
            self_repeated: true,
            fresh_self: false,
        });
    }
}

fn decorated_contexts(linker: &Linker<'_>, decorators: &[String], out: &mut Vec<Context>) {
    if decorators.is_empty() {
        return;
    }
    for (mi, m) in linker.modules.iter().enumerate() {
        for (fi, f) in m.functions.iter().enumerate() {
            if let Some(d) = f.decorators.iter().find(|d| {
                let canonical = linker.canonical_str(d);
                decorators.iter().any(|e| *e == canonical)
            }) {
                out.push(Context {
                    roots: vec![FnId {
                        module: mi as u32,
                        func: fi as u32,
                    }],
                    evidence: Evidence::Decorated {
                        site: Site::new(mi as u32, f.name_range),
                        decorator: d.clone(),
                    },
                    repeated: true,
                    self_shared: false,
                    self_repeated: true,
                    fresh_self: false,
                });
            }
        }
    }
}

/// Everything a context reaches, with must-hold locksets (intersection over call paths) and
/// may-share flags for `self` (union over call paths).
pub fn reach(
    linker: &Linker<'_>,
    edges: &[Vec<Vec<Edge>>],
    context: &Context,
) -> FxHashMap<FnId, Reach> {
    let mut reached: FxHashMap<FnId, Reach> = FxHashMap::default();
    let mut queue: VecDeque<FnId> = VecDeque::new();
    for root in &context.roots {
        reached.insert(
            *root,
            Reach {
                locks: Vec::new(),
                parent: None,
                self_shared: context.self_shared,
            },
        );
        queue.push_back(*root);
    }
    while let Some(f) = queue.pop_front() {
        let here = reached[&f].clone();
        let summary = linker.function(f);
        for edge in &edges[f.module as usize][f.func as usize] {
            let call = &summary.calls[edge.call as usize];
            let mut locks = here.locks.clone();
            locks.extend(canonical_locks(linker, &call.locks));
            locks.sort();
            locks.dedup();
            let self_shared = match edge.receiver {
                Receiver::SelfObject => here.self_shared,
                Receiver::Shared | Receiver::Fresh => true,
                Receiver::Owned | Receiver::None => false,
            };
            match reached.get(&edge.to) {
                None => {
                    reached.insert(
                        edge.to,
                        Reach {
                            locks,
                            parent: Some((f, edge.call)),
                            self_shared,
                        },
                    );
                    queue.push_back(edge.to);
                }
                Some(existing) => {
                    // A path holding fewer of the locks becomes the one a call path shows:
                    // showing a caller that holds a lock, when another does not, would
                    // point at the wrong caller.
                    let fewer = existing.locks.len() > locks.len()
                        && locks.iter().all(|l| existing.locks.contains(l))
                        && !context.roots.contains(&edge.to)
                        && !leads_through(&reached, f, edge.to);
                    let existing = reached.get_mut(&edge.to).expect("reached");
                    if fewer {
                        existing.parent = Some((f, edge.call));
                    }
                    let before = (existing.locks.len(), existing.self_shared);
                    if !context.roots.contains(&edge.to) {
                        existing.locks.retain(|l| locks.contains(l));
                    }
                    existing.self_shared |= self_shared;
                    if (existing.locks.len(), existing.self_shared) != before {
                        queue.push_back(edge.to);
                    }
                }
            }
        }
    }
    reached
}

/// Whether `target` is on the chain of callers through which `f` was reached (so that
/// making `f` its caller would close a loop).
fn leads_through(reached: &FxHashMap<FnId, Reach>, f: FnId, target: FnId) -> bool {
    let mut current = f;
    for _ in 0..64 {
        if current == target {
            return true;
        }
        match reached.get(&current).and_then(|r| r.parent) {
            Some((parent, _)) => current = parent,
            None => return false,
        }
    }
    true
}

/// The functions the spawning thread runs while a started thread may still be running: the
/// rest of the spawning function up to the first wait, and what it calls from there.
pub fn main_window(
    linker: &Linker<'_>,
    edges: &[Vec<Vec<Edge>>],
    spawner: FnId,
    stmt_start: TextSize,
) -> (TextRange, Vec<FnId>) {
    let f = linker.function(spawner);
    let end = f
        .joins
        .iter()
        .copied()
        .filter(|j| *j > stmt_start)
        .min()
        .unwrap_or(f.range.end());
    let window = TextRange::new(stmt_start, end.max(stmt_start));
    let mut seen: Vec<FnId> = Vec::new();
    let mut queue: VecDeque<FnId> = VecDeque::new();
    for edge in &edges[spawner.module as usize][spawner.func as usize] {
        let call = &f.calls[edge.call as usize];
        if call.stmt_start > stmt_start && call.stmt_start < end && !seen.contains(&edge.to) {
            seen.push(edge.to);
            queue.push_back(edge.to);
        }
    }
    while let Some(g) = queue.pop_front() {
        for edge in &edges[g.module as usize][g.func as usize] {
            if !seen.contains(&edge.to) && seen.len() < 10_000 {
                seen.push(edge.to);
                queue.push_back(edge.to);
            }
        }
    }
    (window, seen)
}

//! Whole-program analysis over module summaries: link modules, find thread entry contexts,
//! propagate locksets through calls, and answer the questions rules ask ("can this access
//! run in two threads at once with no common lock?").

mod concurrency;
mod link;

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use rayon::prelude::*;

use racelint_index::fxhash::{FxHashMap, FxHashSet};
use racelint_index::{Access, AccessKind, ArgSlot, HeldLock, Loc, ModuleSummary, Receiver};

pub use concurrency::{
    canonical_locks, is_effective_lock, is_wildcard_lock, Context, Evidence, Narrow, Reach,
};
use link::Target;
pub use link::{ClassId, Edge, FnId, Linker, Resolved, Site};

/// Settings of the analysis.
#[derive(Clone, Debug, Default)]
pub struct AnalysisOptions {
    /// Decorators (dotted paths) whose functions run in threads (framework callbacks).
    pub entry_decorators: Vec<String>,
}

/// An access to state (function and index into its `accesses`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccessId {
    pub func: FnId,
    pub index: u32,
}

/// Another access the reported one races with.
#[derive(Clone, Debug)]
pub struct Conflict {
    pub access: AccessId,
    /// The context of the other access, or `None` for the spawning thread itself.
    pub context: Option<u32>,
}

/// An access that can run in two threads at once with no lock in common.
#[derive(Clone, Debug)]
pub struct Race {
    pub access: AccessId,
    /// The canonical location.
    pub loc: Loc,
    /// The context whose threads reach the access.
    pub context: u32,
    /// `None` when the context runs alongside itself; otherwise the access it races with.
    pub conflict: Option<Conflict>,
    /// The access is in the function that starts the context's thread, after the start:
    /// it races with the thread (`conflict` is the thread's access).
    pub in_spawner: bool,
}

pub struct Analysis<'p> {
    pub linker: Linker<'p>,
    pub edges: Vec<Vec<Vec<Edge>>>,
    pub contexts: Vec<Context>,
    // Tables private to the analysis: looked up, or iterated only to sort what comes out, so
    // their order never shows and they can use the fast hasher.
    reaches: Vec<FxHashMap<FnId, Reach>>,
    by_function: FxHashMap<FnId, Vec<u32>>,
    writes: FxHashMap<Loc, Vec<AccessId>>,
    guards: FxHashMap<Loc, (AccessId, usize)>,
    /// The functions some call site calls while holding a lock, worked out on first use.
    called_locked: std::sync::OnceLock<FxHashSet<FnId>>,
    /// The instance attributes some access touches holding a lock, worked out on first use.
    lock_guarded: std::sync::OnceLock<LockGuarded<'p>>,
    /// Module globals holding an object of a `threading.local` subclass of another module
    /// (`pkg.app._ctx`), worked out on first use.
    thread_local_objects: std::sync::OnceLock<FxHashSet<String>>,
    /// Attributes of `self` holding an object of a `threading.local` subclass of another
    /// module, by the class that owns the state: `(owner, attribute)`.
    thread_local_members: std::sync::OnceLock<FxHashSet<(String, String)>>,
    /// For the functions the starts that pass objects reach: the call sites calling each
    /// (caller, call index, receiver), worked out on first use.
    passing_callers: std::sync::OnceLock<PassingCallers>,
}

/// By function, the call sites that call it passing a parameter of their own on: caller,
/// index of the call, and how the call reaches the callee's `self`.
type PassingCallers = FxHashMap<FnId, Vec<(FnId, u32, Receiver)>>;

/// Instance attributes touched holding a lock, by the class owning the state and the
/// attribute's first name: each lock held there, with the module of the access and the
/// class whose method makes it (see [`Analysis::lock_guarded`]).
type LockGuarded<'p> = FxHashMap<(String, &'p str), Vec<(u32, &'p str, Loc)>>;

/// Links the summaries and computes every context and what it reaches.
pub fn analyze<'p>(modules: &'p [&'p ModuleSummary], options: &AnalysisOptions) -> Analysis<'p> {
    let linker = Linker::new(modules);
    // Two passes over every module that need only the linker, each parallel over modules:
    // the call graph, and the accesses grouped by canonical location. Joined, a worker that
    // is done with its share of one helps with the other.
    let ((edges, class_calls), groups) =
        rayon::join(|| linker.call_graph(), || group_accesses(&linker));
    // Two serial steps that need different inputs run side by side: the contexts and what
    // they reach (from the call graph), and the tables of writes and guards (from the
    // groups).
    let ((contexts, reaches, by_function), (writes, guards)) = rayon::join(
        || {
            let contexts = concurrency::contexts(&linker, &class_calls, &options.entry_decorators);
            let reaches: Vec<FxHashMap<FnId, Reach>> = contexts
                .iter()
                .map(|c| concurrency::reach(&linker, &edges, c))
                .collect();
            let by_function = contexts_by_function(&reaches);
            (contexts, reaches, by_function)
        },
        || writes_and_guards(groups),
    );
    let mut analysis = Analysis {
        linker,
        edges,
        contexts,
        reaches,
        by_function,
        writes,
        guards,
        called_locked: std::sync::OnceLock::new(),
        lock_guarded: std::sync::OnceLock::new(),
        thread_local_objects: std::sync::OnceLock::new(),
        thread_local_members: std::sync::OnceLock::new(),
        passing_callers: std::sync::OnceLock::new(),
    };
    analysis.add_passed_writes();
    analysis
}

/// One module's accesses to one canonical location that matter to the tables of writes and
/// guards.
struct LocGroup {
    loc: Loc,
    /// The writes, in program order.
    writes: Vec<AccessId>,
    /// The first access holding a lock that can tell how the location is guarded, and the
    /// index of that lock.
    guard: Option<Guard>,
}

/// An access holding a lock on a location, and the index of that lock in its `locks`.
type Guard = (AccessId, usize);

/// The accesses that can guard or conflict, grouped per module by canonical location (in the
/// order the locations are first met). Modules are worked on in parallel.
fn group_accesses<'p>(linker: &Linker<'p>) -> Vec<Vec<LocGroup>> {
    // Per worker, reused from one module to the next: the group of each spelling of a
    // location met in the module (the same `self.x` appears in many methods, and is made
    // canonical once), and the group of each canonical location.
    type Seen<'p> = (FxHashMap<&'p Loc, usize>, FxHashMap<Loc, usize>);
    linker
        .modules
        .par_iter()
        .enumerate()
        .map_init(Seen::default, |(spellings, canonical), (mi, m)| {
            spellings.clear();
            canonical.clear();
            let mut groups: Vec<(Vec<AccessId>, Option<Guard>)> = Vec::new();
            for (fi, f) in m.functions.iter().enumerate() {
                for (ai, a) in f.accesses.iter().enumerate() {
                    // Only writes, and accesses that hold a lock, end up in the tables.
                    let is_write = a.kind.is_write();
                    if !is_write && !a.locks.iter().any(is_effective_lock) {
                        continue;
                    }
                    let gi = match spellings.entry(&a.loc) {
                        Entry::Occupied(e) => *e.get(),
                        Entry::Vacant(e) => {
                            let next = canonical.len();
                            let gi = *canonical
                                .entry(linker.canonical_loc(&a.loc))
                                .or_insert(next);
                            if gi == next {
                                groups.push((Vec::new(), None));
                            }
                            *e.insert(gi)
                        }
                    };
                    let id = AccessId {
                        func: FnId {
                            module: mi as u32,
                            func: fi as u32,
                        },
                        index: ai as u32,
                    };
                    let (writes, guard) = &mut groups[gi];
                    if guard.is_none() {
                        // A context manager that holds no lock (`with self.cursor():`) guards
                        // nothing.
                        *guard = a
                            .locks
                            .iter()
                            .position(|l| {
                                is_effective_lock(l)
                                    && !is_wildcard_lock(&l.loc)
                                    && (!matches!(l.loc, Loc::Via(_))
                                        || !canonical_locks(linker, std::slice::from_ref(l))
                                            .is_empty())
                            })
                            .map(|li| (id, li));
                    }
                    if is_write {
                        writes.push(id);
                    }
                }
            }
            // Each group takes its location back from the table, by index (every group has
            // one).
            let mut locs: Vec<Option<Loc>> = (0..groups.len()).map(|_| None).collect();
            for (loc, gi) in canonical.drain() {
                locs[gi] = Some(loc);
            }
            locs.into_iter()
                .zip(groups)
                .filter_map(|(loc, (writes, guard))| {
                    Some(LocGroup {
                        loc: loc?,
                        writes,
                        guard,
                    })
                })
                .collect()
        })
        .collect()
}

/// The writes to each location, in program order, and the first access that holds a lock
/// telling how the location is guarded: the modules' groups merged in module order.
fn writes_and_guards(
    groups: Vec<Vec<LocGroup>>,
) -> (FxHashMap<Loc, Vec<AccessId>>, FxHashMap<Loc, Guard>) {
    let mut writes: FxHashMap<Loc, Vec<AccessId>> = FxHashMap::default();
    let mut guards: FxHashMap<Loc, Guard> = FxHashMap::default();
    for group in groups.into_iter().flatten() {
        if let Some(guard) = group.guard {
            // The location is copied only for the first guard seen.
            if !guards.contains_key(&group.loc) {
                guards.insert(group.loc.clone(), guard);
            }
        }
        if !group.writes.is_empty() {
            match writes.entry(group.loc) {
                Entry::Occupied(e) => e.into_mut().extend(group.writes),
                Entry::Vacant(e) => {
                    e.insert(group.writes);
                }
            }
        }
    }
    (writes, guards)
}

/// The contexts that reach each function, in increasing order.
fn contexts_by_function(reaches: &[FxHashMap<FnId, Reach>]) -> FxHashMap<FnId, Vec<u32>> {
    let mut by_function: FxHashMap<FnId, Vec<u32>> = FxHashMap::default();
    for (ci, r) in reaches.iter().enumerate() {
        for f in r.keys() {
            by_function.entry(*f).or_default().push(ci as u32);
        }
    }
    for v in by_function.values_mut() {
        v.sort_unstable();
    }
    by_function
}

impl<'p> Analysis<'p> {
    pub fn modules(&self) -> &'p [&'p ModuleSummary] {
        self.linker.modules
    }

    pub fn access(&self, id: AccessId) -> &'p Access {
        &self.linker.function(id.func).accesses[id.index as usize]
    }

    /// How context `ci` reaches `f`, if it does.
    pub fn reach(&self, ci: u32, f: FnId) -> Option<&Reach> {
        self.reaches[ci as usize].get(&f)
    }

    /// The contexts that reach `f`.
    pub fn contexts_of(&self, f: FnId) -> &[u32] {
        self.by_function.get(&f).map_or(&[], Vec::as_slice)
    }

    /// The calls from a root of context `ci` down to `f`: each step is a function and the
    /// call site in it that leads to the next step (`None` for the last).
    pub fn call_path(&self, ci: u32, f: FnId) -> Vec<(FnId, Option<u32>)> {
        let reach = &self.reaches[ci as usize];
        let mut path = vec![(f, None)];
        let mut current = f;
        while let Some((parent, call)) = reach.get(&current).and_then(|r| r.parent) {
            if path.iter().any(|(p, _)| *p == parent) || path.len() > 64 {
                break;
            }
            path.push((parent, Some(call)));
            current = parent;
        }
        path.reverse();
        path
    }

    /// The locks held at an access when it runs in context `ci`: its own and its callers'.
    pub fn held_locks(&self, ci: u32, access: AccessId) -> Vec<Loc> {
        let mut locks = canonical_locks(&self.linker, &self.access(access).locks);
        if let Some(r) = self.reach(ci, access.func) {
            locks.extend(r.locks.iter().cloned());
        }
        locks.sort();
        locks.dedup();
        locks
    }

    /// Whether some call site calls `f` while holding a lock. Wrapping the body of such a
    /// function in a lock can deadlock (the caller's lock, taken again, when it is not
    /// reentrant), so fixes stay away from it.
    pub fn called_holding_a_lock(&self, f: FnId) -> bool {
        self.called_locked
            .get_or_init(|| {
                let mut out = FxHashSet::default();
                for (mi, functions) in self.edges.iter().enumerate() {
                    for (fi, edges) in functions.iter().enumerate() {
                        let caller = self.linker.function(FnId {
                            module: mi as u32,
                            func: fi as u32,
                        });
                        for edge in edges {
                            let locks = &caller.calls[edge.call as usize].locks;
                            if locks.iter().any(is_effective_lock) {
                                out.insert(edge.to);
                            }
                        }
                    }
                }
                out
            })
            .contains(&f)
    }

    /// A lock held at some access to `loc`, as evidence of how that state is meant to be
    /// guarded: the access and the index of the lock in its `locks`, for the state `access`
    /// touches (a file that only shares its module name with another has other state, and a
    /// sibling class other objects).
    pub fn guard_of(&self, loc: &Loc, access: AccessId) -> Option<(AccessId, &'p HeldLock)> {
        let (id, li) = self.guards.get(loc).or_else(|| match loc {
            Loc::Item(inner) => self.guards.get(inner),
            other => self.guards.get(&Loc::Item(Box::new(other.clone()))),
        })?;
        if self
            .linker
            .distinct_copies(loc, access.func.module, id.func.module)
            || !self.same_instances(access, *id)
        {
            return None;
        }
        Some((*id, &self.access(*id).locks[*li]))
    }

    /// Whether two accesses to the same instance attribute can touch the same object: the
    /// classes whose methods make them are one, or one derives from the other. Instance
    /// state is keyed by the topmost class of a hierarchy, so that `self.n` is one
    /// attribute in a base and its subclasses; two subclasses of one base share the name,
    /// never an object. Any other pair of accesses can.
    fn same_instances(&self, a: AccessId, b: AccessId) -> bool {
        match (self.access(a).loc.root(), self.access(b).loc.root()) {
            (Loc::Instance { class: ca, .. }, Loc::Instance { class: cb, .. }) if ca != cb => {
                match self.linker.target(ca) {
                    Target::Class(k) => self.same_objects(k, cb),
                    _ => true,
                }
            }
            _ => true,
        }
    }

    /// Whether an access's location is shared between the threads of context `ci`.
    fn shared_in(&self, loc: &Loc, reach: &Reach, ci: u32) -> bool {
        match loc.root() {
            Loc::Global(path) => !self.in_thread_local_object(path),
            Loc::Captured { function, .. } => self.captured_shared(ci, function),
            Loc::Instance { class, attr } => {
                reach.self_shared
                    && self.contract_covers(ci, loc)
                    && !self.in_thread_local_member(class, attr)
            }
            Loc::Param { .. } | Loc::Unknown(_) | Loc::Via(_) | Loc::Item(_) => false,
        }
    }

    /// Whether the evidence of context `ci` speaks for `loc`. The lock of a class whose
    /// locking keeps to a corner of it says that its methods may run at once only about the
    /// state that lock guards: an instance attribute that no access touches holding one of
    /// the class's locks stays with the thread that uses the object (a subclass guarding an
    /// inherited attribute with a lock of its own says nothing about the class's objects).
    /// Every other kind of evidence speaks for all state.
    pub fn contract_covers(&self, ci: u32, loc: &Loc) -> bool {
        let Evidence::ClassContract {
            class,
            narrow: Some(_),
            ..
        } = &self.contexts[ci as usize].evidence
        else {
            return true;
        };
        let Loc::Instance { class: owner, attr } = loc.root() else {
            return true;
        };
        let Some(guards) = self
            .lock_guarded()
            .get(&(owner.clone(), first_attribute(attr)))
        else {
            return false;
        };
        let own = self.class_locks(*class);
        guards.iter().any(|(module, guarded_in, lock)| {
            !self.linker.distinct_copies(loc, class.module, *module)
                && (is_wildcard_lock(lock) || own.contains(lock))
                && self.same_objects(*class, guarded_in)
        })
    }

    /// Whether instances of `class` and of the class named `other` can be the same object:
    /// one is the other or derives from it. (Two subclasses of one base share the names of
    /// their attributes, not their objects.)
    fn same_objects(&self, class: ClassId, other: &str) -> bool {
        if self.linker.class_and_ancestors(class).contains(&other) {
            return true;
        }
        let Target::Class(k) = self.linker.target(other) else {
            // Not a class the linker knows: nothing to tell them apart by.
            return true;
        };
        let name = self.linker.class(class).qualname.as_str();
        self.linker.class_and_ancestors(k).contains(&name)
    }

    /// The canonical locks a class holds: its lock attributes, and the locks its methods
    /// and those of its bases take.
    fn class_locks(&self, class: ClassId) -> Vec<Loc> {
        let mut out = Vec::new();
        let c = self.linker.class(class);
        for (name, _) in &c.lock_attrs {
            out.push(self.linker.canonical_loc(&Loc::Instance {
                class: c.qualname.clone(),
                attr: name.clone(),
            }));
        }
        for name in self.linker.class_and_ancestors(class) {
            let Target::Class(k) = self.linker.target(name) else {
                continue;
            };
            let m = &self.linker.modules[k.module as usize];
            for (_, fi) in &self.linker.class(k).methods {
                out.extend(canonical_locks(&self.linker, &m.functions[*fi].acquires));
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// The instance attributes that some access touches holding a lock (its own, or one
    /// that every caller holds in some context), by the class owning the state and the
    /// attribute's first name: the locks held there, each with the module of the access (a
    /// file that only shares its module name with another has other state).
    fn lock_guarded(&self) -> &LockGuarded<'p> {
        self.lock_guarded.get_or_init(|| {
            let mut out = LockGuarded::default();
            let mut add = |module: u32, loc: &'p Loc, locks: &[Loc]| {
                if let Loc::Instance { class, attr } = loc.root() {
                    let owner = self.linker.state_owner(class);
                    let held = out.entry((owner, first_attribute(attr))).or_default();
                    for lock in locks {
                        let lock = (module, class.as_str(), lock.clone());
                        if !held.contains(&lock) {
                            held.push(lock);
                        }
                    }
                }
            };
            for (mi, m) in self.linker.modules.iter().enumerate() {
                for f in &m.functions {
                    for a in &f.accesses {
                        if a.locks.iter().any(is_effective_lock) {
                            add(mi as u32, &a.loc, &canonical_locks(&self.linker, &a.locks));
                        }
                    }
                }
            }
            for reaches in &self.reaches {
                for (f, reach) in reaches {
                    if reach.locks.is_empty() {
                        continue;
                    }
                    for a in &self.linker.function(*f).accesses {
                        add(f.module, &a.loc, &reach.locks);
                    }
                }
            }
            out
        })
    }

    /// The writes a started target makes through a parameter to an object its start passes
    /// (`out.append(x)` with `args=(items,)`) are writes to that object, which another
    /// thread's code may race with.
    fn add_passed_writes(&mut self) {
        let mut found: Vec<(Loc, AccessId)> = Vec::new();
        for (ci, context) in self.contexts.iter().enumerate() {
            if !matches!(context.evidence, Evidence::Start { .. }) {
                continue;
            }
            if self.passed_args(ci as u32).is_none() {
                continue;
            }
            // The roots, and the helpers they hand what they were passed on to.
            let mut reached: Vec<FnId> = self.reaches[ci].keys().copied().collect();
            reached.sort_unstable();
            for f in reached {
                for (ai, a) in self.linker.function(f).accesses.iter().enumerate() {
                    if !a.kind.is_write() || !matches!(a.loc.root(), Loc::Param { .. }) {
                        continue;
                    }
                    if let Some(loc) = self.through_args(ci as u32, f, &a.loc) {
                        let id = AccessId {
                            func: f,
                            index: ai as u32,
                        };
                        found.push((loc, id));
                    }
                }
            }
        }
        for (loc, id) in found {
            let writes = self.writes.entry(loc).or_default();
            if !writes.contains(&id) {
                writes.push(id);
            }
        }
    }

    /// The canonical state an access of function `f` touches when it runs in context `ci`
    /// (see [`Analysis::through_args`] for state reached through a parameter).
    fn state_in(&self, ci: u32, f: FnId, loc: &Loc) -> Option<Loc> {
        if matches!(loc.root(), Loc::Param { .. }) {
            self.through_args(ci, f, loc)
        } else {
            Some(self.linker.canonical_loc(loc))
        }
    }

    /// The state a location reached through a parameter is in context `ci`: for a root of
    /// a start that passes a shared object to that parameter (`args=(counts,)`), the
    /// object's; `None` otherwise (the caller's object, which this context cannot name).
    ///
    /// In a function the root calls, a parameter the call passes the root's parameter to
    /// (`add(counts, w)`, through any number of calls) is that same object, unless the
    /// call holds a lock: then the helper runs guarded, and its updates are left alone.
    pub fn through_args(&self, ci: u32, f: FnId, loc: &Loc) -> Option<Loc> {
        // A parameter's state is spelled without its function: the access's own.
        let Loc::Param { name, .. } = loc.root() else {
            return None;
        };
        let args = self.passed_args(ci)?;
        let (param, rest) = match name.split_once('.') {
            Some((param, rest)) => (param, Some(rest)),
            None => (name.as_str(), None),
        };
        let base = self.passed_to(ci, args, f, param, &mut Vec::new())?;
        let extend = |path: &str| match rest {
            Some(rest) => format!("{path}.{rest}"),
            None => path.to_owned(),
        };
        let root = match base.root() {
            Loc::Global(p) => Loc::Global(extend(p)),
            Loc::Instance { class, attr } => Loc::Instance {
                class: class.clone(),
                attr: extend(attr),
            },
            Loc::Captured { function, name } => Loc::Captured {
                function: function.clone(),
                name: extend(name),
            },
            _ => return None,
        };
        // The items the parameter's path went into, then those of the argument itself.
        let mut out = root;
        for _ in 0..item_depth(base) + item_depth(loc) {
            out = Loc::Item(Box::new(out));
        }
        Some(self.linker.canonical_loc(&out))
    }

    /// The objects the start of context `ci` passes to its target, if it passes any.
    fn passed_args(&self, ci: u32) -> Option<&'p [(ArgSlot, Loc)]> {
        let Evidence::Start { site, spawner, .. } = &self.contexts[ci as usize].evidence else {
            return None;
        };
        let spawn = self
            .linker
            .function(*spawner)
            .spawns
            .iter()
            .find(|s| s.range == site.range)?;
        (!spawn.args.is_empty()).then_some(spawn.args.as_slice())
    }

    /// What the start passes to parameter `param` of `f`: directly, when `f` is the target,
    /// or through the calls that hand a parameter of their own on to it, holding no lock.
    fn passed_to<'a>(
        &self,
        ci: u32,
        args: &'a [(ArgSlot, Loc)],
        f: FnId,
        param: &str,
        seen: &mut Vec<FnId>,
    ) -> Option<&'a Loc> {
        /// How many calls deep an object handed on is followed.
        const MAX_HANDED_ON: usize = 8;
        let target = self.linker.function(f);
        let index = target.params.iter().position(|p| p == param)?;
        // Called on an object or started as `self.run` / `obj.run`, a method has its
        // `self` bound.
        let method = target.class.is_some()
            && !target
                .decorators
                .iter()
                .any(|d| d.ends_with("staticmethod"));
        let slot_of = |bound: bool| {
            let position = if bound {
                index.checked_sub(1)
            } else {
                Some(index)
            };
            move |slot: &ArgSlot| match slot {
                ArgSlot::Positional(i) => Some(*i as usize) == position,
                ArgSlot::Keyword(k) => k == param,
            }
        };
        if self.contexts[ci as usize].roots.contains(&f) {
            let matches = slot_of(method);
            if let Some((_, base)) = args.iter().find(|(slot, _)| matches(slot)) {
                return Some(base);
            }
        }
        if seen.len() >= MAX_HANDED_ON || seen.contains(&f) {
            return None;
        }
        seen.push(f);
        let reach = &self.reaches[ci as usize];
        let callers = self
            .passing_callers()
            .get(&f)
            .map_or(&[][..], Vec::as_slice);
        for (g, call, receiver) in callers {
            if !reach.contains_key(g) {
                continue;
            }
            let caller = self.linker.function(*g);
            let site = &caller.calls[*call as usize];
            if site.locks.iter().any(is_effective_lock) {
                continue;
            }
            let matches = slot_of(method && *receiver != Receiver::None);
            let passed = caller
                .passes
                .iter()
                .find(|(c, slot, _)| c == call && matches(slot));
            let Some((_, _, j)) = passed else {
                continue;
            };
            let Some(handed) = caller.params.get(*j as usize) else {
                continue;
            };
            if let Some(base) = self.passed_to(ci, args, *g, handed, seen) {
                return Some(base);
            }
        }
        None
    }

    /// The flags the function of `access` sets, holding a lock, before it (`with L:
    /// self._shutdown = True`, then the access): each with the locks held there, canonical.
    /// Only flags nothing sets back: every other write to one is in a constructor or in the
    /// module's top-level code.
    fn closings_before(&self, access: AccessId) -> Vec<(Loc, Vec<Loc>)> {
        let f = self.linker.function(access.func);
        if f.closings.is_empty() {
            return Vec::new();
        }
        let at = self.access(access).range.start();
        f.closings
            .iter()
            .filter(|c| c.at.end() <= at)
            .filter_map(|c| {
                let flag = self.linker.canonical_loc(&c.flag);
                let reopened = self.writes.get(&flag).is_some_and(|writes| {
                    writes.iter().any(|w| {
                        let writer = self.linker.function(w.func);
                        let closes = writer
                            .closings
                            .iter()
                            .any(|other| other.at == self.access(*w).range);
                        !closes && !concurrency::is_initializer(&writer.name)
                    })
                });
                (!reopened).then(|| (flag, canonical_locks(&self.linker, &c.locks)))
            })
            .collect()
    }

    /// Whether write `other`, as context `cj` reaches it, runs only while `flag` is unset,
    /// tested holding one of `locks`: the write itself sits past such a test, or every way
    /// the context calls its function does (see [`racelint_index::Gate`]).
    fn gated(&self, cj: u32, other: AccessId, flag: &Loc, locks: &[Loc]) -> bool {
        self.gated_at(other.func, self.access(other).range, flag, locks)
            || self.always_called_gated(cj, other.func, flag, locks, &mut Vec::new())
    }

    /// Whether what is at `at` in function `f` (a call or a written target) sits past a test
    /// of `flag` made holding one of `locks`.
    fn gated_at(&self, f: FnId, at: racelint_index::TextRange, flag: &Loc, locks: &[Loc]) -> bool {
        self.linker.function(f).gates.iter().any(|gate| {
            gate.at == at
                && self.linker.canonical_loc(&gate.flag) == *flag
                && locks_intersect(&canonical_locks(&self.linker, &gate.locks), locks)
        })
    }

    /// Whether every call through which context `cj` reaches `f` is gated by `flag`, or
    /// made from a function that is itself only ever called so. A root of the context is
    /// entered directly, gated by nothing.
    fn always_called_gated(
        &self,
        cj: u32,
        f: FnId,
        flag: &Loc,
        locks: &[Loc],
        seen: &mut Vec<FnId>,
    ) -> bool {
        /// How many functions up the calls are followed.
        const MAX_CALLERS: usize = 16;
        if self.contexts[cj as usize].roots.contains(&f) {
            return false;
        }
        if seen.contains(&f) {
            // A cycle adds no way in that the other callers do not already show.
            return true;
        }
        if seen.len() >= MAX_CALLERS {
            return false;
        }
        seen.push(f);
        // The callers are looked for among what the context reaches: this is asked only
        // about writes that a closing flag may order, which are few.
        let mut callers: Vec<(FnId, u32)> = self.reaches[cj as usize]
            .keys()
            .flat_map(|g| {
                self.edges[g.module as usize][g.func as usize]
                    .iter()
                    .filter(|edge| edge.to == f)
                    .map(move |edge| (*g, edge.call))
            })
            .collect();
        callers.sort_unstable();
        callers.dedup();
        !callers.is_empty()
            && callers.iter().all(|(g, call)| {
                let site = &self.linker.function(*g).calls[*call as usize];
                self.gated_at(*g, site.range, flag, locks)
                    || self.always_called_gated(cj, *g, flag, locks, seen)
            })
    }

    /// For every function the starts that pass objects reach, the call sites calling it that
    /// pass a parameter of their own on, built on first use.
    fn passing_callers(&self) -> &PassingCallers {
        self.passing_callers.get_or_init(|| {
            let mut out = PassingCallers::default();
            for ci in 0..self.contexts.len() {
                if self.passed_args(ci as u32).is_none() {
                    continue;
                }
                for g in self.reaches[ci].keys() {
                    let passes = &self.linker.function(*g).passes;
                    if passes.is_empty() {
                        continue;
                    }
                    for edge in &self.edges[g.module as usize][g.func as usize] {
                        if !passes.iter().any(|(call, ..)| *call == edge.call) {
                            continue;
                        }
                        let entry = (*g, edge.call, edge.receiver);
                        let callers = out.entry(edge.to).or_default();
                        if !callers.contains(&entry) {
                            callers.push(entry);
                        }
                    }
                }
            }
            for callers in out.values_mut() {
                callers.sort_unstable_by_key(|(g, call, _)| (*g, *call));
            }
            out
        })
    }

    /// Whether a global path is an attribute of a module-level object of a subclass of
    /// `threading.local` (one defined in another module: the summarizer already leaves out
    /// those of its own), whose attributes are per thread.
    fn in_thread_local_object(&self, path: &str) -> bool {
        let objects = self.thread_local_objects.get_or_init(|| {
            let mut out = FxHashSet::default();
            for (mi, m) in self.linker.modules.iter().enumerate() {
                for (name, class) in &m.instances {
                    if let Target::Class(c) = self.linker.target_from(mi as u32, class) {
                        if self
                            .linker
                            .inherits_from(c, &["threading.local", "_threading_local.local"])
                        {
                            out.insert(format!("{}.{name}", m.module));
                        }
                    }
                }
            }
            out
        });
        !objects.is_empty()
            && path
                .match_indices('.')
                .any(|(i, _)| objects.contains(&path[..i]))
    }

    /// Whether an instance attribute path is an attribute of an object of a subclass of
    /// `threading.local` kept on `self` (`self._local.depth`, the class defined in another
    /// module: the summarizer already leaves out those of its own), which is per thread.
    fn in_thread_local_member(&self, class: &str, attr: &str) -> bool {
        let Some((member, _)) = attr.split_once('.') else {
            return false;
        };
        let members = self.thread_local_members.get_or_init(|| {
            let mut out = FxHashSet::default();
            for (mi, m) in self.linker.modules.iter().enumerate() {
                for c in &m.classes {
                    for (attr, path) in &c.instance_attrs {
                        if let Target::Class(k) = self.linker.target_from(mi as u32, path) {
                            if self
                                .linker
                                .inherits_from(k, &["threading.local", "_threading_local.local"])
                            {
                                out.insert((self.linker.state_owner(&c.qualname), attr.clone()));
                            }
                        }
                    }
                }
            }
            out
        });
        !members.is_empty() && members.contains(&(class.to_owned(), member.to_owned()))
    }

    /// A local of `function` captured by nested functions is shared between threads only
    /// when a thread is started from inside that function (each call has its own cell).
    fn captured_shared(&self, ci: u32, function: &str) -> bool {
        match &self.contexts[ci as usize].evidence {
            Evidence::Start { spawner, .. } => {
                let spawner = &self.linker.function(*spawner).qualname;
                spawner == function
                    || spawner
                        .strip_prefix(function)
                        .is_some_and(|r| r.starts_with('.'))
            }
            _ => false,
        }
    }

    /// Every access of one of `kinds` that can run in two threads at once with no lock
    /// held, each with the best evidence found (one race per access).
    pub fn unlocked_races(&self, kinds: &[AccessKind]) -> Vec<Race> {
        let mut best: HashMap<AccessId, (u8, usize, Race)> = HashMap::new();
        let mut windows: HashMap<u32, (racelint_index::TextRange, Vec<FnId>)> = HashMap::new();
        for (ci, context) in self.contexts.iter().enumerate() {
            let ci = ci as u32;
            let mut funcs: Vec<(&FnId, &Reach)> = self.reaches[ci as usize].iter().collect();
            funcs.sort_by_key(|(f, _)| **f);
            for (f, reach) in funcs {
                let summary = self.linker.function(*f);
                for (ai, a) in summary.accesses.iter().enumerate() {
                    if !kinds.contains(&a.kind) {
                        continue;
                    }
                    let id = AccessId {
                        func: *f,
                        index: ai as u32,
                    };
                    if !reach.locks.is_empty()
                        || !canonical_locks(&self.linker, &a.locks).is_empty()
                    {
                        continue;
                    }
                    let Some(loc) = self.state_in(ci, *f, &a.loc) else {
                        continue;
                    };
                    if !self.shared_in(&loc, reach, ci) {
                        continue;
                    }
                    // A test followed by a read races only with a removal.
                    let needs_removal = a.kind == AccessKind::CheckThenRead;
                    let (score, conflict) = if context.runs_alongside_itself(&loc) && !needs_removal
                    {
                        (3, None)
                    } else {
                        let accept = |k: AccessKind| {
                            if needs_removal {
                                k == AccessKind::Remove
                            } else {
                                k.is_write()
                            }
                        };
                        match self.find_conflict(ci, id, &loc, &mut windows, &accept) {
                            Some(c) => (2, Some(c)),
                            None => continue,
                        }
                    };
                    let score = if matches!(
                        context.evidence,
                        Evidence::ClassContract { .. } | Evidence::ModuleContract { .. }
                    ) {
                        score - 2
                    } else {
                        score
                    };
                    let depth = self.call_path(ci, *f).len();
                    let race = Race {
                        access: id,
                        loc,
                        context: ci,
                        conflict,
                        in_spawner: false,
                    };
                    match best.get(&id) {
                        Some((s, d, _))
                            if (*s, std::cmp::Reverse(*d)) >= (score, std::cmp::Reverse(depth)) => {
                        }
                        _ => {
                            best.insert(id, (score, depth, race));
                        }
                    }
                }
            }
        }
        for race in self.spawner_races(kinds, &mut windows) {
            best.entry(race.access).or_insert((2, 1, race));
        }
        let mut races: Vec<Race> = best.into_values().map(|(_, _, r)| r).collect();
        races.sort_by_key(|r| r.access);
        races
    }

    /// Accesses the starting thread makes after a start, while the started thread may write
    /// the same state.
    fn spawner_races(
        &self,
        kinds: &[AccessKind],
        windows: &mut HashMap<u32, (racelint_index::TextRange, Vec<FnId>)>,
    ) -> Vec<Race> {
        let mut out = Vec::new();
        for (ci, context) in self.contexts.iter().enumerate() {
            let ci = ci as u32;
            let Evidence::Start {
                spawner,
                stmt_start,
                ..
            } = &context.evidence
            else {
                continue;
            };
            let (window, _) = windows.entry(ci).or_insert_with(|| {
                concurrency::main_window(&self.linker, &self.edges, *spawner, *stmt_start)
            });
            let window = *window;
            let summary = self.linker.function(*spawner);
            for (ai, a) in summary.accesses.iter().enumerate() {
                if !kinds.contains(&a.kind)
                    || a.stmt.start() <= *stmt_start
                    || !window.contains(a.stmt.start())
                    || !canonical_locks(&self.linker, &a.locks).is_empty()
                {
                    continue;
                }
                let loc = self.linker.canonical_loc(&a.loc);
                let instance = matches!(loc.root(), Loc::Instance { .. });
                if instance && !context.self_shared {
                    continue;
                }
                if let Loc::Captured { function, .. } = loc.root() {
                    if !self.captured_shared(ci, function) {
                        continue;
                    }
                }
                let Some(writers) = self.writes.get(&loc) else {
                    continue;
                };
                let id = AccessId {
                    func: *spawner,
                    index: ai as u32,
                };
                let thread_write = writers.iter().find(|w| {
                    !self
                        .linker
                        .distinct_copies(&loc, spawner.module, w.func.module)
                        && self.same_instances(id, **w)
                        && self.reaches[ci as usize]
                            .get(&w.func)
                            .is_some_and(|r| !instance || r.self_shared)
                });
                if let Some(w) = thread_write {
                    out.push(Race {
                        access: id,
                        loc,
                        context: ci,
                        conflict: Some(Conflict {
                            access: *w,
                            context: Some(ci),
                        }),
                        in_spawner: true,
                    });
                }
            }
        }
        out
    }

    /// Whether two contexts are starts in a method and its override: one object runs one of
    /// them, so their threads never share a `self`.
    fn alternative_starts(&self, ci: u32, cj: u32) -> bool {
        match (
            &self.contexts[ci as usize].evidence,
            &self.contexts[cj as usize].evidence,
        ) {
            (Evidence::Start { spawner: a, .. }, Evidence::Start { spawner: b, .. }) => {
                concurrency::alternatives(&self.linker, *a, *b)
            }
            _ => false,
        }
    }

    /// For a context that runs once: a write to the same state made concurrently by the
    /// spawning thread after the start, or by another context, with no common lock.
    fn find_conflict(
        &self,
        ci: u32,
        access: AccessId,
        loc: &Loc,
        windows: &mut HashMap<u32, (racelint_index::TextRange, Vec<FnId>)>,
        accept: &dyn Fn(AccessKind) -> bool,
    ) -> Option<Conflict> {
        let context = &self.contexts[ci as usize];
        if matches!(loc.root(), Loc::Instance { .. }) && !context.self_shared {
            return None;
        }
        // Rebinding a list to a copy of itself (`self._items = self._items[1:]`, a copy
        // built by a loop over it) loses what another thread put into it meanwhile. (`+=`
        // extends a list in place: no copy, nothing lost.)
        let items = (self.access(access).kind == AccessKind::ReadModifyWrite
            && self.access(access).new_list
            && !matches!(loc, Loc::Item(_)))
        .then(|| self.writes.get(&Loc::Item(Box::new(loc.clone()))))
        .flatten();
        let direct = self.writes.get(loc);
        if direct.is_none() && items.is_none() {
            return None;
        }
        let held = self.held_locks(ci, access);
        for other in direct
            .into_iter()
            .flatten()
            .chain(items.into_iter().flatten())
        {
            let b = self.access(*other);
            if *other == access
                || !accept(b.kind)
                || self
                    .linker
                    .distinct_copies(loc, access.func.module, other.func.module)
                || !self.same_instances(access, *other)
            {
                continue;
            }
            // Set to closing before this access, a flag that gates the other one.
            let closers = self.closings_before(access);
            if let Evidence::Start {
                spawner,
                stmt_start,
                ..
            } = &context.evidence
            {
                let (window, funcs) = windows.entry(ci).or_insert_with(|| {
                    concurrency::main_window(&self.linker, &self.edges, *spawner, *stmt_start)
                });
                let in_window = (other.func == *spawner
                    && window.contains(b.stmt.start())
                    && b.stmt.start() > *stmt_start)
                    || funcs.contains(&other.func);
                if in_window && !locks_intersect(&held, &canonical_locks(&self.linker, &b.locks)) {
                    return Some(Conflict {
                        access: *other,
                        context: None,
                    });
                }
            }
            for &cj in self.contexts_of(other.func) {
                // The same context conflicts with itself only when several threads run it.
                if cj == ci && !context.runs_alongside_itself(loc) {
                    continue;
                }
                // Another context's thread cannot hold a `self` that a start site made for
                // its own thread.
                if cj != ci
                    && matches!(loc.root(), Loc::Instance { .. })
                    && (context.fresh_self
                        || self.contexts[cj as usize].fresh_self
                        || self.alternative_starts(ci, cj))
                {
                    continue;
                }
                let reach = &self.reaches[cj as usize][&other.func];
                if matches!(loc.root(), Loc::Instance { .. })
                    && !(reach.self_shared && self.contract_covers(cj, loc))
                {
                    continue;
                }
                if !locks_intersect(&held, &self.held_locks(cj, *other))
                    && !closers
                        .iter()
                        .any(|(flag, locks)| self.gated(cj, *other, flag, locks))
                {
                    return Some(Conflict {
                        access: *other,
                        context: Some(cj),
                    });
                }
            }
        }
        None
    }
}

impl Analysis<'_> {
    /// Iterations over a shared container that another thread may mutate at the same time
    /// with no lock in common: the iteration, and the mutation it races with.
    /// Whether every binding of `container` the project makes is a new list (and there is
    /// one): then appending to it is all `append` and `extend` can do.
    fn always_a_list(&self, container: &Loc) -> bool {
        let mut bound = false;
        for w in self.writes.get(container).into_iter().flatten() {
            let a = self.access(*w);
            if a.kind == AccessKind::Write {
                if !a.new_list {
                    return false;
                }
                bound = true;
            }
        }
        bound
    }

    pub fn iteration_races(&self) -> Vec<Race> {
        let mut best: HashMap<AccessId, Race> = HashMap::new();
        let mut windows: HashMap<u32, (racelint_index::TextRange, Vec<FnId>)> = HashMap::new();
        for (ci, _) in self.contexts.iter().enumerate() {
            let ci = ci as u32;
            let mut funcs: Vec<(&FnId, &Reach)> = self.reaches[ci as usize].iter().collect();
            funcs.sort_by_key(|(f, _)| **f);
            for (f, reach) in funcs {
                for (ai, a) in self.linker.function(*f).accesses.iter().enumerate() {
                    if a.kind != AccessKind::Iterate {
                        continue;
                    }
                    let id = AccessId {
                        func: *f,
                        index: ai as u32,
                    };
                    if best.contains_key(&id) {
                        continue;
                    }
                    let Some(loc) = self.state_in(ci, *f, &a.loc) else {
                        continue;
                    };
                    if !self.shared_in(&loc, reach, ci) {
                        continue;
                    }
                    // Inserting or removing items; `d[k] = d.get(k, 0) + 1` may insert.
                    // Appending to a list leaves a loop over it well defined.
                    let list = match &loc {
                        Loc::Item(container) => self.always_a_list(container),
                        _ => false,
                    };
                    let accept = |k: AccessKind| k.is_write() && !(list && k == AccessKind::Append);
                    if let Some(conflict) = self.find_conflict(ci, id, &loc, &mut windows, &accept)
                    {
                        best.insert(
                            id,
                            Race {
                                access: id,
                                loc,
                                context: ci,
                                conflict: Some(conflict),
                                in_spawner: false,
                            },
                        );
                    }
                }
            }
        }
        let mut races: Vec<Race> = best.into_values().collect();
        races.sort_by_key(|r| r.access);
        races
    }
}

/// How many `Item` wrappers a location has.
fn item_depth(loc: &Loc) -> usize {
    match loc {
        Loc::Item(inner) => 1 + item_depth(inner),
        _ => 0,
    }
}

/// `stats` of `stats.hits`: the attribute of `self` a dotted instance attribute starts at.
fn first_attribute(attr: &str) -> &str {
    attr.split('.').next().unwrap_or(attr)
}

/// Whether two locksets share a lock (a lock of unknown identity matches any lock).
pub fn locks_intersect(a: &[Loc], b: &[Loc]) -> bool {
    a.iter().any(|x| {
        b.iter()
            .any(|y| x == y || is_wildcard_lock(x) || is_wildcard_lock(y))
    })
}

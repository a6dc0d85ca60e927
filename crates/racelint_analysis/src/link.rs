//! Linking: resolve dotted paths across modules (imports, re-exports, packages), classes and
//! their bases, methods, and the call graph.

use rayon::prelude::*;
use std::borrow::Cow;

use racelint_index::fxhash::{FxHashMap, FxHashSet};
use racelint_index::{Callee, Loc, ModuleSummary, Receiver, TextRange};

/// A function of the program: module index and function index within it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FnId {
    pub module: u32,
    pub func: u32,
}

/// A class of the program: module index and class index within it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClassId {
    pub module: u32,
    pub class: u32,
}

/// What a dotted path names once imports are followed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    Function(FnId),
    Class(ClassId),
    Module(u32),
    /// Not defined in the project (the standard library, a dependency) or an attribute path;
    /// the string is the canonical path.
    External(String),
}

/// What [`Linker::resolve`] finds, with an external path borrowed when it can be (from the
/// path asked about or from the linker's tables) instead of copied.
pub(crate) enum Target<'a> {
    Function(FnId),
    Class(ClassId),
    Module(u32),
    External(Cow<'a, str>),
}

impl Target<'_> {
    fn into_resolved(self) -> Resolved {
        match self {
            Target::Function(f) => Resolved::Function(f),
            Target::Class(c) => Resolved::Class(c),
            Target::Module(m) => Resolved::Module(m),
            Target::External(p) => Resolved::External(p.into_owned()),
        }
    }
}

/// A resolved call from one function to another.
#[derive(Clone, Debug)]
pub struct Edge {
    pub to: FnId,
    /// Index of the call site in the caller's `calls`.
    pub call: u32,
    pub receiver: Receiver,
}

pub struct Linker<'p> {
    pub modules: &'p [&'p ModuleSummary],
    by_module: FxHashMap<&'p str, Vec<u32>>,
    functions: FxHashMap<&'p str, FnId>,
    classes: FxHashMap<&'p str, ClassId>,
    imports: Vec<FxHashMap<&'p str, &'p str>>,
    /// The resolved bases of every class (module, class, base), filled once linking works.
    class_bases: Vec<Vec<Vec<Resolved>>>,
    /// Module names that several files share (`main` for `examples/a/main.py` and
    /// `examples/b/main.py`, neither in a package): a path of such a module, used inside it,
    /// names its own definition, not the first file's.
    duplicated: FxHashSet<&'p str>,
}

const MAX_ALIAS_HOPS: usize = 16;

impl<'p> Linker<'p> {
    pub fn new(modules: &'p [&'p ModuleSummary]) -> Self {
        // The tables of names are independent of each other: the functions (the largest) are
        // filled on one worker while the rest are on another. Each table is filled in module
        // order, so the first definition of a name still wins.
        let (functions, (by_module, classes, imports)) = rayon::join(
            || {
                let count = modules.iter().map(|m| m.functions.len()).sum();
                let mut functions = FxHashMap::default();
                functions.reserve(count);
                for (mi, m) in modules.iter().enumerate() {
                    for (fi, f) in m.functions.iter().enumerate() {
                        functions.entry(f.qualname.as_str()).or_insert(FnId {
                            module: mi as u32,
                            func: fi as u32,
                        });
                    }
                }
                functions
            },
            || {
                let mut by_module: FxHashMap<&str, Vec<u32>> = FxHashMap::default();
                by_module.reserve(modules.len());
                let count = modules.iter().map(|m| m.classes.len()).sum();
                let mut classes = FxHashMap::default();
                classes.reserve(count);
                for (mi, m) in modules.iter().enumerate() {
                    by_module
                        .entry(m.module.as_str())
                        .or_default()
                        .push(mi as u32);
                    for (ci, c) in m.classes.iter().enumerate() {
                        classes.entry(c.qualname.as_str()).or_insert(ClassId {
                            module: mi as u32,
                            class: ci as u32,
                        });
                    }
                }
                let imports: Vec<FxHashMap<&str, &str>> = modules
                    .iter()
                    .map(|m| {
                        m.imports
                            .iter()
                            .map(|(a, b)| (a.as_str(), b.as_str()))
                            .collect()
                    })
                    .collect();
                (by_module, classes, imports)
            },
        );
        let duplicated = by_module
            .iter()
            .filter(|(_, ms)| ms.len() > 1)
            .map(|(name, _)| *name)
            .collect();
        let mut linker = Linker {
            modules,
            by_module,
            functions,
            classes,
            imports,
            class_bases: Vec::new(),
            duplicated,
        };
        // The bases of each module's classes, resolved in parallel (while the table is
        // empty, lookups resolve bases on the spot).
        linker.class_bases = modules
            .par_iter()
            .enumerate()
            .map(|(mi, m)| {
                m.classes
                    .iter()
                    .map(|c| {
                        c.bases
                            .iter()
                            .map(|b| linker.target_from(mi as u32, b).into_resolved())
                            .collect()
                    })
                    .collect()
            })
            .collect();
        linker
    }

    /// [`Linker::target`] for a path used in module `from`: when several files share that
    /// module's name, a path into it names the definition of this very file.
    pub(crate) fn target_from<'a>(&'a self, from: u32, path: &'a str) -> Target<'a> {
        if !self.duplicated.is_empty() {
            if let Some(local) = self.local_definition(from, path) {
                return local;
            }
        }
        self.target(path)
    }

    /// Whether `loc`, touched from modules `a` and `b`, is two different pieces of state: the
    /// same name in two files that share a module name (see `duplicated`).
    pub fn distinct_copies(&self, loc: &Loc, a: u32, b: u32) -> bool {
        if a == b || self.duplicated.is_empty() {
            return false;
        }
        let (Some(ma), Some(mb)) = (self.modules.get(a as usize), self.modules.get(b as usize))
        else {
            return false;
        };
        let name = ma.module.as_str();
        if name != mb.module || !self.duplicated.contains(name) {
            return false;
        }
        let path = match loc.root() {
            Loc::Global(p) => p,
            Loc::Instance { class, .. } => class,
            _ => return false,
        };
        path.strip_prefix(name)
            .is_some_and(|rest| rest.starts_with('.'))
    }

    fn local_definition(&self, from: u32, path: &str) -> Option<Target<'static>> {
        let m = self.modules.get(from as usize)?;
        if !self.duplicated.contains(m.module.as_str()) {
            return None;
        }
        path.strip_prefix(m.module.as_str())?.strip_prefix('.')?;
        if let Some(fi) = m.functions.iter().position(|f| f.qualname == path) {
            return Some(Target::Function(FnId {
                module: from,
                func: fi as u32,
            }));
        }
        let ci = m.classes.iter().position(|c| c.qualname == path)?;
        Some(Target::Class(ClassId {
            module: from,
            class: ci as u32,
        }))
    }

    pub fn function(&self, id: FnId) -> &'p racelint_index::FunctionSummary {
        &self.modules[id.module as usize].functions[id.func as usize]
    }

    pub fn class(&self, id: ClassId) -> &'p racelint_index::ClassSummary {
        &self.modules[id.module as usize].classes[id.class as usize]
    }

    /// Follows imports and re-exports until the path names a definition, a module, or
    /// something outside the project.
    pub fn resolve(&self, path: &str) -> Resolved {
        self.target(path).into_resolved()
    }

    /// [`Linker::resolve`] without the cost of owning the result: the path is only copied
    /// when an alias has to be spelled out anew (`target.rest`), so the many callers that
    /// merely ask what a path names allocate nothing in the common case.
    pub(crate) fn target<'a>(&'a self, path: &'a str) -> Target<'a> {
        let mut path = Cow::Borrowed(path);
        for _ in 0..MAX_ALIAS_HOPS {
            if let Some(f) = self.functions.get(&*path) {
                return Target::Function(*f);
            }
            if let Some(c) = self.classes.get(&*path) {
                return Target::Class(*c);
            }
            if let Some(ms) = self.by_module.get(&*path) {
                return Target::Module(ms[0]);
            }
            match self.rewrite_once(&path) {
                Some(next) if next != path => path = next,
                _ => return Target::External(path),
            }
        }
        Target::External(path)
    }

    /// Rewrites the first alias on the path: `pkg.name.rest` where `pkg` imports `name`
    /// becomes `<target of name>.rest`; `pkg.Class.attr` where `attr` is inherited becomes
    /// `Base.attr`. The result borrows from the linker's tables when nothing follows the
    /// alias.
    fn rewrite_once(&self, path: &str) -> Option<Cow<'p, str>> {
        // Longest prefix first: each dot, from the right, splits `prefix.name.rest`.
        let bytes = path.as_bytes();
        let mut end = bytes.len();
        while let Some(dot) = bytes[..end].iter().rposition(|&b| b == b'.') {
            end = dot;
            let prefix = &path[..dot];
            let after = &path[dot + 1..];
            let (name, rest) = match after.find('.') {
                Some(end) => (&after[..end], Some(&after[end..])),
                None => (after, None),
            };
            if let Some(ms) = self.by_module.get(prefix) {
                for &m in ms {
                    if let Some(&target) = self.imports[m as usize].get(name) {
                        return Some(match rest {
                            None => Cow::Borrowed(target),
                            Some(rest) => {
                                let mut out = String::with_capacity(target.len() + rest.len());
                                out.push_str(target);
                                out.push_str(rest);
                                Cow::Owned(out)
                            }
                        });
                    }
                }
                return self.star_source(ms, name).map(|star| {
                    let rest = rest.unwrap_or_default();
                    Cow::Owned(format!("{star}.{name}{rest}"))
                });
            }
            if let Some(class) = self.classes.get(prefix) {
                // `Class.method` defined on a base class.
                if rest.is_none() {
                    if let Some(f) = self.lookup_method(*class, name) {
                        return Some(Cow::Borrowed(&self.function(f).qualname));
                    }
                }
                return None;
            }
        }
        None
    }

    /// The module a name not bound in a module comes from through its star imports
    /// (`from .utils import *`): the last one written that defines or imports the name.
    /// Names with a leading underscore are not exported that way. (A variable assigned in
    /// the star-imported module is not found: no table here lists module variables, and
    /// guessing would also move the importing module's own variables.)
    fn star_source(&self, modules: &[u32], name: &str) -> Option<&'p str> {
        if name.starts_with('_') {
            return None;
        }
        modules
            .iter()
            .flat_map(|&m| self.modules[m as usize].star_imports.iter().rev())
            .find(|star| {
                let full = format!("{star}.{name}");
                self.functions.contains_key(full.as_str())
                    || self.classes.contains_key(full.as_str())
                    || self.by_module.contains_key(full.as_str())
                    || self.by_module.get(star.as_str()).is_some_and(|ms| {
                        ms.iter()
                            .any(|&m| self.imports[m as usize].contains_key(name))
                    })
            })
            .map(String::as_str)
    }

    /// The canonical spelling of a dotted path (for comparing locations across modules).
    pub fn canonical_path(&self, path: &str) -> String {
        self.canonical_str(path).into_owned()
    }

    /// [`Linker::canonical_path`], borrowed from the linker or from `path` where it can be.
    pub(crate) fn canonical_str<'a>(&'a self, path: &'a str) -> Cow<'a, str> {
        match self.target(path) {
            Target::Function(f) => Cow::Borrowed(&self.function(f).qualname),
            Target::Class(c) => Cow::Borrowed(&self.class(c).qualname),
            Target::Module(m) => Cow::Borrowed(&self.modules[m as usize].module),
            Target::External(p) => p,
        }
    }

    /// The project classes that are bases of `class` (direct bases only).
    pub fn bases(&self, class: ClassId) -> impl Iterator<Item = Resolved> + '_ {
        self.resolved_bases(class).into_owned().into_iter()
    }

    /// The resolved bases of a class: from the table once it is built, resolved on the spot
    /// while it is being built.
    fn resolved_bases(&self, class: ClassId) -> Cow<'_, [Resolved]> {
        match self
            .class_bases
            .get(class.module as usize)
            .and_then(|m| m.get(class.class as usize))
        {
            Some(bases) => Cow::Borrowed(bases),
            None => Cow::Owned(
                self.class(class)
                    .bases
                    .iter()
                    .map(|b| self.resolve(b))
                    .collect(),
            ),
        }
    }

    /// Whether the class or one of its ancestors is the external class `path`.
    pub fn inherits_from(&self, class: ClassId, paths: &[&str]) -> bool {
        self.inherits_from_at(class, paths, 0)
    }

    /// [`Linker::inherits_from`] from a class `depth` bases below the one asked about
    /// (bounded, and recursive, like [`Linker::lookup_method_at`]).
    fn inherits_from_at(&self, class: ClassId, paths: &[&str], depth: usize) -> bool {
        if depth > MAX_ALIAS_HOPS {
            return false;
        }
        self.resolved_bases(class).iter().any(|base| match base {
            // Linting the standard library itself: `threading.Thread` is a project class.
            Resolved::Class(b) => {
                paths.contains(&self.class(*b).qualname.as_str())
                    || self.inherits_from_at(*b, paths, depth + 1)
            }
            Resolved::External(p) => paths.contains(&p.as_str()),
            _ => false,
        })
    }

    /// The qualified names of a class and of its project ancestors (bounded, since bases can
    /// form a cycle).
    pub fn class_and_ancestors(&self, class: ClassId) -> Vec<&'p str> {
        let mut out: Vec<&'p str> = Vec::new();
        let mut todo = vec![(class, 0)];
        while let Some((c, depth)) = todo.pop() {
            let name = self.class(c).qualname.as_str();
            if out.contains(&name) {
                continue;
            }
            out.push(name);
            if depth < MAX_ALIAS_HOPS {
                for base in self.resolved_bases(c).iter() {
                    if let Resolved::Class(b) = base {
                        todo.push((*b, depth + 1));
                    }
                }
            }
        }
        out
    }

    /// Finds a method on the class or its bases (depth-first, left to right).
    pub fn lookup_method(&self, class: ClassId, name: &str) -> Option<FnId> {
        self.lookup_method_at(class, name, 0)
    }

    /// [`Linker::lookup_method`] from a class `depth` bases below the one asked about. The
    /// depth is bounded since bases can form a cycle; the search recurses instead of keeping
    /// a stack of its own, so that a lookup (there is one per method call) allocates nothing.
    fn lookup_method_at(&self, class: ClassId, name: &str, depth: usize) -> Option<FnId> {
        if depth > MAX_ALIAS_HOPS {
            return None;
        }
        let summary = self.class(class);
        if let Some((_, fi)) = summary.methods.iter().find(|(n, _)| n == name) {
            return Some(FnId {
                module: class.module,
                func: *fi as u32,
            });
        }
        self.resolved_bases(class)
            .iter()
            .find_map(|base| match base {
                Resolved::Class(b) => self.lookup_method_at(*b, name, depth + 1),
                _ => None,
            })
    }

    /// The class that owns instance state of `class`: its topmost project ancestor along the
    /// first bases, so that `self.n` means the same in a base and a subclass.
    pub fn state_owner(&self, class: &str) -> String {
        let Target::Class(mut c) = self.target(class) else {
            return class.to_string();
        };
        for _ in 0..MAX_ALIAS_HOPS {
            match self.resolved_bases(c).first() {
                Some(Resolved::Class(b)) => c = *b,
                _ => break,
            }
        }
        self.class(c).qualname.clone()
    }

    /// The canonical form of a location, equal for every spelling of the same state.
    pub fn canonical_loc(&self, loc: &Loc) -> Loc {
        match loc {
            Loc::Global(p) => Loc::Global(self.canonical_path(p)),
            Loc::Instance { class, attr } => Loc::Instance {
                class: self.state_owner(class),
                attr: attr.clone(),
            },
            Loc::Item(inner) => Loc::Item(Box::new(self.canonical_loc(inner))),
            other => other.clone(),
        }
    }

    /// A method called on a module-level instance of a project class, spelled as a path:
    /// `METRICS.observe` where `METRICS = Metrics()` in some module.
    fn instance_method(&self, path: &str) -> Option<FnId> {
        let (object, method) = path.rsplit_once('.')?;
        let Target::External(object) = self.target(object) else {
            return None;
        };
        let (module, name) = object.rsplit_once('.')?;
        let ms = self.by_module.get(module)?;
        let class = ms.iter().find_map(|&m| {
            self.modules[m as usize]
                .instances
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, class)| class.as_str())
        })?;
        match self.target(class) {
            Target::Class(c) => self.lookup_method(c, method),
            _ => None,
        }
    }

    /// The functions a call may run, and how the callee's `self` relates to the caller.
    pub fn callees_with_receiver(
        &self,
        from: FnId,
        callee: &Callee,
        receiver: Receiver,
    ) -> Vec<(FnId, Receiver)> {
        let resolution = self.resolve_callee(from, callee);
        let receiver = resolution.receiver(receiver);
        resolution.callees.iter().map(|&f| (f, receiver)).collect()
    }

    /// What a callee of a function in `from.module` resolves to, whatever the receiver of
    /// the call (it depends on the module, not on the function).
    fn resolve_callee(&self, from: FnId, callee: &Callee) -> Resolution {
        match callee {
            // The path is resolved once, here, rather than again by `callees`.
            Callee::Path(p) => match self.target_from(from.module, p) {
                // The object is shared state: a module global.
                Target::External(_) => Resolution {
                    class: None,
                    callees: self.instance_method(p).into_iter().collect(),
                    on_global_object: true,
                },
                target => Resolution {
                    class: match target {
                        Target::Class(c) => Some(c),
                        _ => None,
                    },
                    callees: self.target_callees(&target),
                    on_global_object: false,
                },
            },
            _ => Resolution {
                class: None,
                callees: self.few_callees(from, callee),
                on_global_object: false,
            },
        }
    }

    /// The functions a call may run.
    pub fn callees(&self, from: FnId, callee: &Callee) -> Vec<FnId> {
        self.few_callees(from, callee).to_vec()
    }

    /// [`Linker::callees`], kept inline.
    fn few_callees(&self, from: FnId, callee: &Callee) -> Callees {
        match callee {
            Callee::Function(i) => Callees::one(FnId {
                module: from.module,
                func: *i as u32,
            }),
            Callee::Path(p) => self.target_callees(&self.target_from(from.module, p)),
            Callee::Method { class, name } => match self.target_from(from.module, class) {
                Target::Class(c) => self.lookup_method(c, name).into_iter().collect(),
                _ => Callees::default(),
            },
        }
    }

    /// The functions a call of a resolved path runs: the function, or a class's constructor.
    fn target_callees(&self, target: &Target<'_>) -> Callees {
        match *target {
            Target::Function(f) => Callees::one(f),
            Target::Class(c) => ["__init__", "__post_init__"]
                .iter()
                .filter_map(|m| self.lookup_method(c, m))
                .collect(),
            _ => Callees::default(),
        }
    }

    /// The call graph (the resolved edges of every function), and per module the calls
    /// whose path names a project class (what finding the starts of thread subclasses
    /// needs, worked out here where every call is resolved anyway).
    pub(crate) fn call_graph(&self) -> (Vec<Vec<Vec<Edge>>>, Vec<Vec<ClassCall>>) {
        // A module's call sites name each callee by its index in the module's table of
        // callees: each is resolved once per module, on first use. The table of resolutions
        // is emptied but kept allocated from one module to the next.
        let per_module: Vec<(Vec<Vec<Edge>>, Vec<ClassCall>)> = self
            .modules
            .par_iter()
            .enumerate()
            .map_init(Vec::<Option<Resolution>>::new, |known, (mi, m)| {
                known.clear();
                known.resize(m.callees.len(), None);
                let mut class_calls = Vec::new();
                // Each function's edges are gathered here, then copied out at their exact
                // size (no growing a vector per function).
                let mut scratch: Vec<Edge> = Vec::new();
                let edges = m
                    .functions
                    .iter()
                    .enumerate()
                    .map(|(fi, f)| {
                        let from = FnId {
                            module: mi as u32,
                            func: fi as u32,
                        };
                        scratch.clear();
                        for (ci, call) in f.calls.iter().enumerate() {
                            let Some(callee) = m.callees.get(call.callee as usize) else {
                                continue;
                            };
                            let resolved = *known[call.callee as usize]
                                .get_or_insert_with(|| self.resolve_callee(from, callee));
                            let receiver = resolved.receiver(call.receiver);
                            scratch.extend(resolved.callees.iter().map(|&to| Edge {
                                to,
                                call: ci as u32,
                                receiver,
                            }));
                            if let Some(class) = resolved.class {
                                class_calls.push(ClassCall {
                                    class,
                                    func: fi as u32,
                                    call: ci as u32,
                                });
                            }
                        }
                        scratch.to_vec()
                    })
                    .collect();
                (edges, class_calls)
            })
            .collect();
        per_module.into_iter().unzip()
    }
}

/// The functions one call may run: at most two (a class's `__init__` and `__post_init__`),
/// kept inline so that resolving a call allocates nothing.
#[derive(Clone, Copy)]
struct Callees {
    fns: [FnId; 2],
    len: u8,
}

impl Default for Callees {
    fn default() -> Self {
        let none = FnId { module: 0, func: 0 };
        Callees {
            fns: [none; 2],
            len: 0,
        }
    }
}

impl Callees {
    fn one(f: FnId) -> Self {
        let mut callees = Callees::default();
        callees.fns[0] = f;
        callees.len = 1;
        callees
    }

    fn iter(&self) -> std::slice::Iter<'_, FnId> {
        self.fns[..self.len as usize].iter()
    }

    fn to_vec(self) -> Vec<FnId> {
        self.fns[..self.len as usize].to_vec()
    }
}

impl FromIterator<FnId> for Callees {
    /// Keeps the first two functions: no call resolves to more (a constructor is at most
    /// `__init__` and `__post_init__`).
    fn from_iter<I: IntoIterator<Item = FnId>>(iter: I) -> Self {
        let mut callees = Callees::default();
        for f in iter.into_iter().take(2) {
            callees.fns[callees.len as usize] = f;
            callees.len += 1;
        }
        callees
    }
}

/// What a callee resolves to, for any call of it from its module.
#[derive(Clone, Copy)]
struct Resolution {
    /// The project class the callee's path names (a call makes an instance).
    class: Option<ClassId>,
    callees: Callees,
    /// The callee is a method of an object held in a module global (`METRICS.observe`).
    on_global_object: bool,
}

impl Resolution {
    /// How the callees' `self` relates to the caller's, for a call with `receiver`.
    fn receiver(&self, receiver: Receiver) -> Receiver {
        if self.on_global_object {
            Receiver::Shared
        } else {
            receiver
        }
    }
}

/// A call whose path names a project class: `Worker(...)`.
pub(crate) struct ClassCall {
    pub class: ClassId,
    /// The calling function (in the module the list belongs to).
    pub func: u32,
    /// Index of the call site in the caller's `calls`.
    pub call: u32,
}

/// A source position in some module, for labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    pub module: u32,
    pub range: TextRange,
}

impl Site {
    pub fn new(module: u32, range: TextRange) -> Site {
        Site { module, range }
    }
}

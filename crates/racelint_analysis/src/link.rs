//! Linking: resolve dotted paths across modules (imports, re-exports, packages), classes and
//! their bases, methods, and the call graph.

use rayon::prelude::*;
use std::borrow::Cow;

use racelint_index::fxhash::FxHashMap;
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

/// A resolved call from one function to another.
#[derive(Clone, Debug)]
pub struct Edge {
    pub to: FnId,
    /// Index of the call site in the caller's `calls`.
    pub call: u32,
    pub receiver: Receiver,
}

pub struct Linker<'p> {
    pub modules: &'p [ModuleSummary],
    by_module: FxHashMap<&'p str, Vec<u32>>,
    functions: FxHashMap<&'p str, FnId>,
    classes: FxHashMap<&'p str, ClassId>,
    imports: Vec<FxHashMap<&'p str, &'p str>>,
    /// The resolved bases of every class (module, class, base), filled once linking works.
    class_bases: Vec<Vec<Vec<Resolved>>>,
}

const MAX_ALIAS_HOPS: usize = 16;

impl<'p> Linker<'p> {
    pub fn new(modules: &'p [ModuleSummary]) -> Self {
        let function_count = modules.iter().map(|m| m.functions.len()).sum();
        let class_count = modules.iter().map(|m| m.classes.len()).sum();
        let mut by_module: FxHashMap<&str, Vec<u32>> = FxHashMap::default();
        by_module.reserve(modules.len());
        let mut functions = FxHashMap::default();
        functions.reserve(function_count);
        let mut classes = FxHashMap::default();
        classes.reserve(class_count);
        let mut imports = Vec::with_capacity(modules.len());
        for (mi, m) in modules.iter().enumerate() {
            by_module
                .entry(m.module.as_str())
                .or_default()
                .push(mi as u32);
            for (fi, f) in m.functions.iter().enumerate() {
                functions.entry(f.qualname.as_str()).or_insert(FnId {
                    module: mi as u32,
                    func: fi as u32,
                });
            }
            for (ci, c) in m.classes.iter().enumerate() {
                classes.entry(c.qualname.as_str()).or_insert(ClassId {
                    module: mi as u32,
                    class: ci as u32,
                });
            }
            imports.push(
                m.imports
                    .iter()
                    .map(|(a, b)| (a.as_str(), b.as_str()))
                    .collect(),
            );
        }
        let mut linker = Linker {
            modules,
            by_module,
            functions,
            classes,
            imports,
            class_bases: Vec::new(),
        };
        linker.class_bases = modules
            .iter()
            .map(|m| {
                m.classes
                    .iter()
                    .map(|c| c.bases.iter().map(|b| linker.resolve(b)).collect())
                    .collect()
            })
            .collect();
        linker
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
        let mut path = path.to_string();
        for _ in 0..MAX_ALIAS_HOPS {
            if let Some(f) = self.functions.get(path.as_str()) {
                return Resolved::Function(*f);
            }
            if let Some(c) = self.classes.get(path.as_str()) {
                return Resolved::Class(*c);
            }
            if let Some(ms) = self.by_module.get(path.as_str()) {
                return Resolved::Module(ms[0]);
            }
            match self.rewrite_once(&path) {
                Some(next) if next != path => path = next,
                _ => return Resolved::External(path),
            }
        }
        Resolved::External(path)
    }

    /// Rewrites the first alias on the path: `pkg.name.rest` where `pkg` imports `name`
    /// becomes `<target of name>.rest`; `pkg.Class.attr` where `attr` is inherited becomes
    /// `Base.attr`.
    fn rewrite_once(&self, path: &str) -> Option<String> {
        // Longest prefix first: each dot, from the right, splits `prefix.name.rest`.
        for (dot, _) in path.rmatch_indices('.') {
            let prefix = &path[..dot];
            let after = &path[dot + 1..];
            let (name, rest) = match after.find('.') {
                Some(end) => (&after[..end], Some(&after[end..])),
                None => (after, None),
            };
            if let Some(ms) = self.by_module.get(prefix) {
                for &m in ms {
                    if let Some(target) = self.imports[m as usize].get(name) {
                        let mut out =
                            String::with_capacity(target.len() + rest.map_or(0, str::len));
                        out.push_str(target);
                        out.push_str(rest.unwrap_or_default());
                        return Some(out);
                    }
                }
                return None;
            }
            if let Some(class) = self.classes.get(prefix) {
                // `Class.method` defined on a base class.
                if rest.is_none() {
                    if let Some(f) = self.lookup_method(*class, name) {
                        return Some(self.function(f).qualname.clone());
                    }
                }
                return None;
            }
        }
        None
    }

    /// The canonical spelling of a dotted path (for comparing locations across modules).
    pub fn canonical_path(&self, path: &str) -> String {
        match self.resolve(path) {
            Resolved::Function(f) => self.function(f).qualname.clone(),
            Resolved::Class(c) => self.class(c).qualname.clone(),
            Resolved::Module(m) => self.modules[m as usize].module.clone(),
            Resolved::External(p) => p,
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
        let mut stack = vec![(class, 0usize)];
        while let Some((c, depth)) = stack.pop() {
            if depth > MAX_ALIAS_HOPS {
                continue;
            }
            for base in self.resolved_bases(c).iter() {
                match base {
                    // Linting the standard library itself: `threading.Thread` is a project class.
                    Resolved::Class(b) if paths.contains(&self.class(*b).qualname.as_str()) => {
                        return true
                    }
                    Resolved::Class(b) => stack.push((*b, depth + 1)),
                    Resolved::External(p) if paths.contains(&p.as_str()) => return true,
                    _ => {}
                }
            }
        }
        false
    }

    /// Finds a method on the class or its bases (depth-first, left to right).
    pub fn lookup_method(&self, class: ClassId, name: &str) -> Option<FnId> {
        let mut stack = vec![(class, 0usize)];
        while let Some((c, depth)) = stack.pop() {
            if depth > MAX_ALIAS_HOPS {
                continue;
            }
            let summary = self.class(c);
            if let Some((_, fi)) = summary.methods.iter().find(|(n, _)| n == name) {
                return Some(FnId {
                    module: c.module,
                    func: *fi as u32,
                });
            }
            for base in self.resolved_bases(c).iter().rev() {
                if let Resolved::Class(b) = base {
                    stack.push((*b, depth + 1));
                }
            }
        }
        None
    }

    /// The class that owns instance state of `class`: its topmost project ancestor along the
    /// first bases, so that `self.n` means the same in a base and a subclass.
    pub fn state_owner(&self, class: &str) -> String {
        let Resolved::Class(mut c) = self.resolve(class) else {
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
        let Resolved::External(object) = self.resolve(object) else {
            return None;
        };
        let (module, name) = object.rsplit_once('.')?;
        let ms = self.by_module.get(module)?;
        let class = ms.iter().find_map(|&m| {
            self.modules[m as usize]
                .instances
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, class)| class.clone())
        })?;
        match self.resolve(&class) {
            Resolved::Class(c) => self.lookup_method(c, method),
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
        if let Callee::Path(p) = callee {
            if let Resolved::External(_) = self.resolve(p) {
                // The object is shared state: a module global.
                return self
                    .instance_method(p)
                    .map(|f| (f, Receiver::Shared))
                    .into_iter()
                    .collect();
            }
        }
        self.callees(from, callee)
            .into_iter()
            .map(|f| (f, receiver))
            .collect()
    }

    /// The functions a call may run.
    pub fn callees(&self, from: FnId, callee: &Callee) -> Vec<FnId> {
        match callee {
            Callee::Function(i) => vec![FnId {
                module: from.module,
                func: *i as u32,
            }],
            Callee::Path(p) => match self.resolve(p) {
                Resolved::Function(f) => vec![f],
                Resolved::Class(c) => ["__init__", "__post_init__"]
                    .iter()
                    .filter_map(|m| self.lookup_method(c, m))
                    .collect(),
                _ => Vec::new(),
            },
            Callee::Method { class, name } => match self.resolve(class) {
                Resolved::Class(c) => self.lookup_method(c, name).into_iter().collect(),
                _ => Vec::new(),
            },
        }
    }

    /// The call graph: resolved edges of every function.
    pub fn edges(&self) -> Vec<Vec<Vec<Edge>>> {
        // Many call sites name the same callee; resolve each (callee, receiver) once per
        // worker. A `Function` callee is an index into its own module, so it is not shared.
        type Known<'p> = FxHashMap<(&'p Callee, Receiver), Vec<(FnId, Receiver)>>;
        self.modules
            .par_iter()
            .enumerate()
            .map_init(Known::default, |known, (mi, m)| {
                m.functions
                    .iter()
                    .enumerate()
                    .map(|(fi, f)| {
                        let from = FnId {
                            module: mi as u32,
                            func: fi as u32,
                        };
                        let mut out = Vec::new();
                        for (ci, call) in f.calls.iter().enumerate() {
                            let mut push = |targets: &[(FnId, Receiver)]| {
                                out.extend(targets.iter().map(|&(to, receiver)| Edge {
                                    to,
                                    call: ci as u32,
                                    receiver,
                                }))
                            };
                            if let Callee::Function(_) = call.callee {
                                push(&self.callees_with_receiver(
                                    from,
                                    &call.callee,
                                    call.receiver,
                                ));
                                continue;
                            }
                            let targets = known
                                .entry((&call.callee, call.receiver))
                                .or_insert_with(|| {
                                    self.callees_with_receiver(from, &call.callee, call.receiver)
                                });
                            push(targets);
                        }
                        out
                    })
                    .collect()
            })
            .collect()
    }
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

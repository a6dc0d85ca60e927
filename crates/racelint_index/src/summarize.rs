//! The walk that turns one parsed file into a [`ModuleSummary`].
//!
//! Names are resolved as Python scopes them: a name assigned in a function is local unless
//! declared `global` or `nonlocal`; free names come from enclosing functions (captures), then
//! from the module (globals, definitions, imports). Class bodies are not enclosing scopes.

use crate::fxhash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::borrow::Cow;
use std::path::PathBuf;

use ruff_python_ast::comparable::ComparableExpr;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, PySourceType, PythonVersion, Stmt};
use ruff_python_parser::{parse_unchecked, ParseOptions};
use ruff_text_size::{Ranged, TextRange, TextSize};

mod checks;

use checks::{leaves_block, made_of, ActiveCheck, Made};

use crate::guard::prescan;
use crate::known::{
    contains_ignore_case, is_async_library, is_executor_factory, is_lock_factory,
    is_thread_identity, is_thread_local_factory, is_thread_pool_factory, looks_like_lock,
    may_rearrange_list, LIST_REARRANGERS, MUTATORS, POOL_METHODS,
};
use crate::{
    Access, AccessKind, ArgSlot, CallSite, Callee, ClassSummary, DecoratorLock, FunctionSummary,
    HeldLock, Loc, ModuleSummary, Receiver, ServerCall, Spawn, SpawnKind, SyntaxError,
};

/// Settings that change what the summarizer recognizes.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Extra dotted paths whose call makes a lock.
    pub lock_factories: Vec<String>,
    /// Extra dotted paths whose callable argument runs in another thread.
    pub thread_entry_points: Vec<String>,
}

/// Deepest expression nesting the walk descends into; deeper parts are not summarized.
const MAX_EXPR_DEPTH: usize = 400;

/// Parses `source` and summarizes it. Never panics on any input that passed [`prescan`];
/// input that does not is summarized as a file with a problem.
pub fn summarize(
    path: PathBuf,
    module: String,
    is_package: bool,
    source: &str,
    options: &Options,
) -> ModuleSummary {
    if let Err(problem) = prescan(source) {
        return ModuleSummary::unreadable(path, module, problem);
    }
    let parse_options =
        ParseOptions::from(PySourceType::Python).with_target_version(PythonVersion::PY314);
    let parsed = racelint_alloc::trees(|| parse_unchecked(source, parse_options));
    let syntax_errors = parsed
        .errors()
        .iter()
        .map(|e| SyntaxError {
            range: e.location,
            message: e.error.to_string(),
        })
        .collect();
    let body: &[Stmt] = match parsed.syntax() {
        ast::Mod::Module(m) => &m.body,
        ast::Mod::Expression(_) => &[],
    };

    let mut s = Summarizer::new(source, &module, is_package, options);
    s.module_prepass(body);
    s.summarize_module(body);
    let synchronizing = s.synchronizing_decorators(body);
    let Summarizer {
        functions,
        classes,
        module_scope,
        callee_ids,
        ..
    } = s;
    // Each callee back in the place its index gives it.
    let mut callees: Vec<Option<Callee>> = (0..callee_ids.len()).map(|_| None).collect();
    for (callee, id) in callee_ids {
        callees[id as usize] = Some(callee);
    }
    let callees: Vec<Callee> = callees.into_iter().flatten().collect();
    let mut imports: Vec<(String, String)> = module_scope.imports.into_iter().collect();
    imports.sort();
    let mut instances: Vec<(String, String)> = module_scope
        .variables
        .iter()
        .filter_map(|(name, holds)| match holds {
            Holds::Instance(class) => Some((name.clone(), class.clone())),
            _ => None,
        })
        .collect();
    instances.sort();
    ModuleSummary {
        path,
        module,
        is_package,
        syntax_errors,
        problem: None,
        imports,
        functions: exact_size(functions),
        callees,
        classes: exact_size(classes),
        lock_globals: module_scope.lock_globals,
        synchronizing,
        instances,
        star_imports: module_scope.star_imports,
    }
}

/// Whether an executor constructor's arguments give it one worker: `max_workers=1`, or `1`
/// as the first positional argument (`ThreadPoolExecutor(1)`).
fn one_worker(call: &ast::ExprCall) -> bool {
    let workers = call
        .arguments
        .find_keyword("max_workers")
        .map(|k| &k.value)
        .or_else(|| call.arguments.args.first());
    matches!(
        workers,
        Some(Expr::NumberLiteral(n)) if matches!(&n.value, ast::Number::Int(i) if i.as_u64() == Some(1))
    )
}

/// What a module-level or local name is known to hold.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Holds {
    /// A lock that excludes: `Lock`, `RLock`, `Condition` and configured lock factories.
    Lock,
    /// A semaphore that starts above zero: counted as a lock, but one thread may release
    /// what another took.
    Semaphore,
    ThreadLocal,
    Executor,
    /// An executor of one worker (`ThreadPoolExecutor(max_workers=1)`): its tasks run one
    /// at a time, in order.
    SerialExecutor,
    ThreadPool,
    /// The running thread's identity (`me = threading.get_ident()`): kept for locals only,
    /// since only the thread that made it holds it.
    ThreadId,
    /// An instance of the class at this dotted path.
    Instance(String),
    Other,
}

#[derive(Default)]
struct ModuleScope {
    imports: HashMap<String, String>,
    /// Functions and classes defined at module level.
    defs: HashSet<String>,
    /// Module-level variables and what they hold.
    variables: HashMap<String, Holds>,
    lock_globals: Vec<(String, TextRange)>,
    thread_local_globals: HashSet<String>,
    /// `cond = threading.Condition(lock)`: `cond` is `lock`.
    lock_aliases: HashMap<String, String>,
    /// Module-level classes (by qualified name) and the attributes their methods store a
    /// lock in: `_STATE.gate` is a lock where `_STATE = _State()`.
    object_locks: HashMap<String, HashSet<String>>,
    /// Module-level subclasses of `threading.local` (qualified names): their objects'
    /// attributes are per thread, as those of `threading.local()` are.
    thread_local_classes: HashSet<String>,
    /// What each module-level name resolves to, built once after the pre-pass: imports
    /// first, then definitions, then variables.
    names: HashMap<String, ModuleName>,
    /// `from m import *`: the modules, in the order written.
    star_imports: Vec<String>,
}

/// A module-level name with its dotted path worked out.
enum ModuleName {
    /// An import, function or class.
    Path(String),
    Variable(String),
}

/// The vector moved into an allocation of its exact length. Summaries live until the
/// analysis, and a vector grown by doubling can leave up to half of its allocation unused
/// (shrinking in place does not return that memory to the allocator).
fn exact_size<T>(mut items: Vec<T>) -> Vec<T> {
    if items.capacity() == items.len() {
        return items;
    }
    let mut exact = Vec::with_capacity(items.len());
    exact.append(&mut items);
    exact
}

/// The paths whose call starts a thread, as [`Summarizer::detect_spawn`] matches them.
const THREAD_START_PATHS: &[&str] = &[
    "threading.Thread",
    "threading.Timer",
    "_thread.start_new_thread",
    "_thread.start_new",
    "thread.start_new_thread",
    "asyncio.to_thread",
    "asyncio.threads.to_thread",
];

/// Whether `last` is the last part of one of [`THREAD_START_PATHS`] (spelled out: this is
/// asked for every method call; a test keeps the two lists in step).
fn ends_a_thread_start_path(last: &str) -> bool {
    matches!(
        last,
        "Thread" | "Timer" | "start_new_thread" | "start_new" | "to_thread"
    )
}

/// `base.attr` in one allocation.
fn dotted(base: &str, attr: &str) -> String {
    let mut path = String::with_capacity(base.len() + 1 + attr.len());
    path.push_str(base);
    path.push('.');
    path.push_str(attr);
    path
}

#[derive(Default)]
struct ClassInfo {
    index: usize,
    qualname: String,
    first_base: Option<String>,
    attrs: HashMap<String, Holds>,
    /// `self._cond = threading.Condition(self._lock)`: `_cond` is `_lock`.
    lock_aliases: HashMap<String, String>,
    /// Attributes holding a function that tells the running thread
    /// (`self._current = threading.current_thread`, or a parameter defaulting to one).
    thread_identity_attrs: HashSet<String>,
    /// Properties that stand for an attribute path of `self`: a getter `return
    /// self._local.depth`, with no setter or one that assigns that same path (dotted, as
    /// instance locations are). Through one over a thread-local, a value is per thread.
    property_paths: HashMap<String, String>,
}

/// One function being summarized.
#[derive(Default)]
struct FnScope<'a> {
    index: usize,
    qualname: String,
    class: Option<usize>,
    self_name: Option<&'a str>,
    cls_name: Option<&'a str>,
    locals: HashSet<&'a str>,
    params: HashSet<&'a str>,
    /// The parameters by position, as [`FunctionSummary::params`] lists them (a lambda's
    /// stay empty).
    param_order: Vec<&'a str>,
    globals: HashSet<&'a str>,
    nonlocals: HashSet<&'a str>,
    imports: HashMap<&'a str, String>,
    nested: HashMap<&'a str, String>,
    /// Locals known to hold something: executors, locks, aliases of shared state.
    holds: HashMap<&'a str, Holds>,
    /// Each with the expression it was read from (`close = self._close`), to spell it.
    aliases: HashMap<&'a str, (Loc, String)>,
    /// Locals holding a value read from shared state: for reads and writes split over
    /// statements (`n = self.n` … `self.n = n + 1`).
    snapshots: HashMap<&'a str, Snapshot>,
    /// Tests of shared state whose act may follow.
    checks: Vec<ActiveCheck>,
    /// Locals last assigned the result of a call (`image = render(...)`).
    built: HashSet<&'a str>,
    /// The blocks (statement lists) being walked, innermost last.
    blocks: Vec<usize>,
    /// Blocks that run whenever the block around them does (`with` bodies).
    unconditional: Vec<usize>,
    next_block: usize,
    /// Names bound by enclosing comprehensions (they shadow everything else).
    comprehension: Vec<HashSet<&'a str>>,
    locks: Vec<HeldLock>,
    /// Ranges of the loops (and comprehensions) enclosing the current point.
    loops: Vec<TextRange>,
    /// The innermost loop each local was last bound in (`None`: outside any loop).
    bound_in: HashMap<&'a str, Option<TextRange>>,
    /// Locals holding the result of taking a lock (`got = L.acquire(timeout=1)`): while
    /// one is true, the lock is held.
    acquired_into: HashMap<&'a str, HeldLock>,
    /// How many enclosing `if self.owner == threading.get_ident():` bodies there are: only
    /// the thread that owns the object runs them (see [`Summarizer::ownership_test`]).
    owned: usize,
    /// Blocks whose rest runs only in the owning thread, after a guard clause
    /// `if self.owner != threading.get_ident(): raise ...`.
    owned_blocks: Vec<usize>,
    stmt: TextRange,
    is_module: bool,
    /// The function's call sites and accesses so far. They move to its summary when the
    /// function is done, copied at their exact size (a summary lives until the analysis);
    /// these vectors keep their capacity for the next function.
    calls: Vec<CallSite>,
    accesses: Vec<Access>,
    /// How many enclosing `try` bodies of this function catch `KeyError`.
    key_error_tries: usize,
    /// Threads made and bound to a name (`t = Thread(target=f)`, `self._t = ...`) but not
    /// started yet, with the index of their spawn: they start at `t.start()`. Also where
    /// the function first hands the thread on or calls a method of its object, either of
    /// which may start it.
    unstarted: Vec<(&'a str, usize, Option<TextSize>)>,
    /// Locals holding a list: one made here, or a slice of the state named (a copy made to
    /// be swapped in: `new = self._items[1:]` … `self._items = new`).
    lists: HashMap<&'a str, ListOrigin>,
    /// Shared containers the function has looped over (`for m in self._items:`), as reads a
    /// copy built in the loop and stored back (`self._items = kept`) is made from.
    iterated: Vec<Snapshot>,
}

/// Where a local's list comes from.
#[derive(Clone, Debug, PartialEq)]
enum ListOrigin {
    /// A display, a comprehension, `list(...)`, `sorted(...)`.
    New,
    /// A slice of this state: a list whenever the state is.
    SliceOf(Loc),
}

impl FnScope<'_> {
    /// Empties the scope for another function, keeping the capacity of its tables.
    fn clear(&mut self) {
        // Every field named, so that a new one cannot be forgotten here.
        let FnScope {
            index,
            qualname,
            class,
            self_name,
            cls_name,
            locals,
            params,
            param_order,
            globals,
            nonlocals,
            imports,
            nested,
            holds,
            aliases,
            snapshots,
            checks,
            built,
            blocks,
            unconditional,
            next_block,
            comprehension,
            locks,
            loops,
            bound_in,
            acquired_into,
            owned,
            owned_blocks,
            stmt,
            is_module,
            calls,
            accesses,
            key_error_tries,
            unstarted,
            lists,
            iterated,
        } = self;
        *index = 0;
        qualname.clear();
        *class = None;
        *self_name = None;
        *cls_name = None;
        locals.clear();
        params.clear();
        param_order.clear();
        globals.clear();
        nonlocals.clear();
        imports.clear();
        nested.clear();
        holds.clear();
        aliases.clear();
        snapshots.clear();
        checks.clear();
        built.clear();
        blocks.clear();
        unconditional.clear();
        *next_block = 0;
        comprehension.clear();
        locks.clear();
        loops.clear();
        bound_in.clear();
        acquired_into.clear();
        *owned = 0;
        owned_blocks.clear();
        *stmt = TextRange::default();
        *is_module = false;
        calls.clear();
        accesses.clear();
        *key_error_tries = 0;
        unstarted.clear();
        lists.clear();
        iterated.clear();
    }
}

/// A local holding a value read from shared state.
#[derive(Clone, Debug)]
struct Snapshot {
    loc: Loc,
    /// The key of an item read (`d[k]`: the range of `k`).
    key: Option<TextRange>,
    stmt: TextRange,
    block: usize,
    locked: bool,
}

enum NameRes<'s> {
    /// A local or parameter of the current function.
    Local,
    Captured(Loc),
    /// A module-level variable.
    Variable(&'s str),
    /// A definition or import: a dotted path to a function, class or module.
    Path(&'s str),
    Unknown,
}

struct Summarizer<'a> {
    source: &'a str,
    module: &'a str,
    /// The package relative imports start from.
    package: String,
    options: &'a Options,
    functions: Vec<FunctionSummary>,
    classes: Vec<ClassSummary>,
    module_scope: ModuleScope,
    class_stack: Vec<ClassInfo>,
    scopes: Vec<FnScope<'a>>,
    /// The index of each callee in the module's table of callees.
    callee_ids: HashMap<Callee, u32>,
    /// Scopes of functions already summarized, emptied, for the next functions to reuse.
    spare_scopes: Vec<FnScope<'a>>,
    /// Dotted paths of the enclosing definitions (functions and classes).
    prefixes: Vec<String>,
    depth: usize,
    /// Offsets of every `:=` in the source (some may sit in strings or comments).
    walrus: Vec<TextSize>,
}

impl<'a> Summarizer<'a> {
    fn new(source: &'a str, module: &'a str, is_package: bool, options: &'a Options) -> Self {
        let package = if is_package {
            module.to_string()
        } else {
            module
                .rsplit_once('.')
                .map(|(p, _)| p.to_string())
                .unwrap_or_default()
        };
        Summarizer {
            source,
            module,
            package,
            options,
            functions: Vec::new(),
            classes: Vec::new(),
            module_scope: ModuleScope::default(),
            class_stack: Vec::new(),
            scopes: Vec::new(),
            callee_ids: HashMap::default(),
            spare_scopes: Vec::new(),
            prefixes: Vec::new(),
            depth: 0,
            walrus: memchr::memmem::find_iter(source.as_bytes(), b":=")
                .map(|i| TextSize::new(u32::try_from(i).unwrap_or(u32::MAX)))
                .collect(),
        }
    }

    fn text(&self, range: TextRange) -> &'a str {
        self.source.get(range.to_std_range()).unwrap_or("")
    }

    /// An expression as the state it stands for is written: through a local that holds
    /// shared state (`close = self._close`), `close` is spelled `self._close` and `c[k]` (after
    /// `c = self.cache`) `self.cache[k]`. Anything else as written.
    fn spelling(&self, expr: &Expr) -> Cow<'a, str> {
        let mut root = expr;
        while let Expr::Attribute(ast::ExprAttribute { value, .. })
        | Expr::Subscript(ast::ExprSubscript { value, .. }) = root
        {
            root = value;
        }
        let written = self.text(expr.range());
        let Expr::Name(name) = root else {
            return Cow::Borrowed(written);
        };
        match self
            .scopes
            .last()
            .and_then(|scope| scope.aliases.get(name.id.as_str()))
        {
            Some((_, spelled)) => {
                let rest = TextRange::new(name.range.end(), expr.range().end());
                Cow::Owned(format!("{spelled}{}", self.text(rest)))
            }
            None => Cow::Borrowed(written),
        }
    }

    /// [`Summarizer::spelling`] for source text whose expression is gone: a leading local
    /// that holds state read elsewhere is spelled as that state (`core.x` → `self._core.x`).
    fn spell_text(&self, text: &str) -> String {
        let name_end = text
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(text.len());
        let aliased = self
            .scopes
            .last()
            .and_then(|scope| scope.aliases.get(&text[..name_end]));
        match aliased {
            Some((_, spelled)) => format!("{spelled}{}", &text[name_end..]),
            None => text.to_owned(),
        }
    }

    // ----- imports ------------------------------------------------------------------------

    /// Resolves `from <module> import` with `level` leading dots to an absolute module path.
    fn import_base(&self, module: Option<&str>, level: u32) -> String {
        if level == 0 {
            return module.unwrap_or_default().to_string();
        }
        let mut base: Vec<&str> = if self.package.is_empty() {
            Vec::new()
        } else {
            self.package.split('.').collect()
        };
        for _ in 1..level {
            base.pop();
        }
        let mut base = base.join(".");
        if let Some(m) = module {
            if !base.is_empty() {
                base.push('.');
            }
            base.push_str(m);
        }
        base
    }

    /// The names an import statement binds (borrowed from the tree), with their dotted
    /// targets.
    fn import_bindings(&self, stmt: &'a Stmt) -> Vec<(&'a str, String)> {
        match stmt {
            Stmt::Import(ast::StmtImport { names, .. }) => names
                .iter()
                .map(|alias| match &alias.asname {
                    Some(asname) => (asname.id.as_str(), alias.name.id.as_str().to_owned()),
                    None => {
                        let first = alias.name.id.split('.').next().unwrap_or_default();
                        (first, first.to_owned())
                    }
                })
                .collect(),
            Stmt::ImportFrom(ast::StmtImportFrom {
                module,
                names,
                level,
                ..
            }) => {
                let base = self.import_base(module.as_ref().map(|m| m.id.as_str()), *level);
                names
                    .iter()
                    .filter(|alias| alias.name.id.as_str() != "*")
                    .map(|alias| {
                        let local = alias.asname.as_ref().unwrap_or(&alias.name).id.as_str();
                        let target = if base.is_empty() {
                            alias.name.id.as_str().to_owned()
                        } else {
                            format!("{base}.{}", alias.name.id)
                        };
                        (local, target)
                    })
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    // ----- module pre-pass ----------------------------------------------------------------

    /// Collects module-level imports, definitions and variables (looking into module-level
    /// `if`/`try` blocks), so that functions can resolve names defined after them.
    fn module_prepass(&mut self, body: &'a [Stmt]) {
        let mut stack: Vec<&[Stmt]> = vec![body];
        let mut assigns: Vec<(&Expr, Option<&Expr>)> = Vec::new();
        let mut classes: Vec<&'a ast::StmtClassDef> = Vec::new();
        while let Some(block) = stack.pop() {
            for stmt in block {
                match stmt {
                    Stmt::Import(_) | Stmt::ImportFrom(_) => {
                        for (local, target) in self.import_bindings(stmt) {
                            self.module_scope.imports.insert(local.to_owned(), target);
                        }
                        if let Stmt::ImportFrom(from) = stmt {
                            if from.names.iter().any(|a| a.name.id.as_str() == "*") {
                                let base = self.import_base(
                                    from.module.as_ref().map(|m| m.id.as_str()),
                                    from.level,
                                );
                                if !base.is_empty() {
                                    self.module_scope.star_imports.push(base);
                                }
                            }
                        }
                    }
                    Stmt::FunctionDef(f) => {
                        self.module_scope.defs.insert(f.name.id.as_str().to_owned());
                    }
                    Stmt::ClassDef(c) => {
                        self.module_scope.defs.insert(c.name.id.as_str().to_owned());
                        classes.push(c);
                    }
                    Stmt::Assign(a) => {
                        for t in &a.targets {
                            assigns.push((t, Some(&a.value)));
                        }
                    }
                    Stmt::AnnAssign(a) => assigns.push((&a.target, a.value.as_deref())),
                    Stmt::AugAssign(a) => assigns.push((&a.target, None)),
                    Stmt::For(f) => {
                        assigns.push((&f.target, None));
                        stack.push(&f.body);
                        stack.push(&f.orelse);
                    }
                    Stmt::While(w) => {
                        stack.push(&w.body);
                        stack.push(&w.orelse);
                    }
                    Stmt::With(w) => {
                        for item in &w.items {
                            if let Some(v) = &item.optional_vars {
                                assigns.push((v, None));
                            }
                        }
                        stack.push(&w.body);
                    }
                    Stmt::If(i) => {
                        stack.push(&i.body);
                        for clause in &i.elif_else_clauses {
                            stack.push(&clause.body);
                        }
                    }
                    Stmt::Try(t) => {
                        stack.push(&t.body);
                        for ast::ExceptHandler::ExceptHandler(h) in &t.handlers {
                            stack.push(&h.body);
                        }
                        stack.push(&t.orelse);
                        stack.push(&t.finalbody);
                    }
                    _ => {}
                }
            }
        }
        // Subclasses of `threading.local`, also through other classes of this module.
        loop {
            let before = self.module_scope.thread_local_classes.len();
            for c in &classes {
                let local = c.arguments.as_ref().is_some_and(|args| {
                    args.args.iter().any(|base| {
                        self.module_path_of(base).is_some_and(|p| {
                            is_thread_local_factory(&p)
                                || self.module_scope.thread_local_classes.contains(&p)
                        })
                    })
                });
                if local {
                    let qualname = dotted(self.module, c.name.id.as_str());
                    self.module_scope.thread_local_classes.insert(qualname);
                }
            }
            if self.module_scope.thread_local_classes.len() == before {
                break;
            }
        }
        for (target, value) in assigns {
            let mut names = Vec::new();
            collect_bound_names(target, &mut names);
            let holds = match (target, value) {
                (Expr::Name(_), Some(value)) => self.classify_value_at_module(value),
                _ => Holds::Other,
            };
            if let (Expr::Name(t), Some(Expr::Name(base))) =
                (target, value.and_then(|v| self.condition_base(v)))
            {
                self.module_scope
                    .lock_aliases
                    .insert(t.id.as_str().to_owned(), base.id.as_str().to_owned());
            }
            for (name, range) in names {
                if self.module_scope.defs.contains(&name)
                    || self.module_scope.imports.contains_key(&name)
                {
                    continue;
                }
                match holds {
                    Holds::Lock | Holds::Semaphore => {
                        self.module_scope.lock_globals.push((name.clone(), range))
                    }
                    Holds::ThreadLocal => {
                        self.module_scope.thread_local_globals.insert(name.clone());
                    }
                    _ => {}
                }
                let entry = self
                    .module_scope
                    .variables
                    .entry(name)
                    .or_insert(Holds::Other);
                if *entry == Holds::Other {
                    *entry = holds.clone();
                }
            }
        }
        let scope = &mut self.module_scope;
        let module = self.module;
        for name in scope.variables.keys() {
            let path = ModuleName::Variable(dotted(module, name));
            scope.names.insert(name.clone(), path);
        }
        for name in &scope.defs {
            scope
                .names
                .insert(name.clone(), ModuleName::Path(dotted(module, name)));
        }
        for (name, target) in &scope.imports {
            scope
                .names
                .insert(name.clone(), ModuleName::Path(target.clone()));
        }
        // Once every import and variable is known: the lock attributes of the module-level
        // classes some module-level variable holds an object of.
        if classes.is_empty() {
            return;
        }
        let mut found: Vec<(String, HashSet<String>)> = Vec::new();
        {
            let held: HashSet<&str> = self
                .module_scope
                .variables
                .values()
                .filter_map(|h| match h {
                    Holds::Instance(class) => Some(class.as_str()),
                    _ => None,
                })
                .collect();
            for c in classes {
                let qualname = dotted(self.module, c.name.id.as_str());
                if !held.contains(qualname.as_str()) {
                    continue;
                }
                let mut locks = HashSet::default();
                for stmt in &c.body {
                    let Stmt::FunctionDef(f) = stmt else { continue };
                    let Some(first) = f.parameters.iter_non_variadic_params().next() else {
                        continue;
                    };
                    let mut finder = SelfAssignFinder {
                        self_name: first.parameter.name.id.as_str(),
                        found: Vec::new(),
                    };
                    finder.visit_body(&f.body);
                    for (attr, value, _) in finder.found {
                        if matches!(
                            self.classify_value_at_module(value),
                            Holds::Lock | Holds::Semaphore
                        ) {
                            locks.insert(attr);
                        }
                    }
                }
                if !locks.is_empty() {
                    found.push((qualname, locks));
                }
            }
        }
        self.module_scope.object_locks.extend(found);
    }

    fn module_path_of(&self, expr: &'a Expr) -> Option<String> {
        match expr {
            Expr::Name(n) => {
                let id = n.id.as_str();
                if let Some(target) = self.module_scope.imports.get(id) {
                    Some(target.clone())
                } else if self.module_scope.defs.contains(id) {
                    Some(format!("{}.{id}", self.module))
                } else {
                    None
                }
            }
            Expr::Attribute(a) => self
                .module_path_of(&a.value)
                .map(|p| format!("{p}.{}", a.attr.id)),
            _ => None,
        }
    }

    fn classify_value_at_module(&self, value: &'a Expr) -> Holds {
        match value {
            Expr::Call(call) => match self.module_path_of(&call.func) {
                Some(path) => self.classify_call(call, &path),
                None => Holds::Other,
            },
            _ => Holds::Other,
        }
    }

    /// What calling `path` with these arguments makes. A semaphore that starts at zero is
    /// a signal one thread gives another, not a lock.
    fn classify_call(&self, call: &'a ast::ExprCall, path: &str) -> Holds {
        let starts_empty = path.ends_with("Semaphore")
            && matches!(
                call.arguments.args.first().or_else(|| call.arguments.find_keyword("value").map(|k| &k.value)),
                Some(Expr::NumberLiteral(n)) if matches!(&n.value, ast::Number::Int(i) if *i == ast::Int::ZERO)
            );
        if starts_empty {
            return Holds::Other;
        }
        match self.classify_factory(path) {
            Holds::Executor if one_worker(call) => Holds::SerialExecutor,
            holds => holds,
        }
    }

    fn classify_factory(&self, path: &str) -> Holds {
        if is_lock_factory(path, &self.options.lock_factories) {
            if path.ends_with("Semaphore") {
                Holds::Semaphore
            } else {
                Holds::Lock
            }
        } else if is_thread_local_factory(path)
            || self.module_scope.thread_local_classes.contains(path)
        {
            Holds::ThreadLocal
        } else if is_executor_factory(path) {
            Holds::Executor
        } else if is_thread_pool_factory(path) {
            Holds::ThreadPool
        } else if is_thread_identity(path) {
            Holds::ThreadId
        } else if path
            .rsplit('.')
            .next()
            // A class by its name (`Stats`, private `_State`).
            .is_some_and(|last| {
                last.trim_start_matches('_')
                    .starts_with(|c: char| c.is_ascii_uppercase())
            })
        {
            Holds::Instance(path.to_string())
        } else {
            Holds::Other
        }
    }

    // ----- module and definitions ---------------------------------------------------------

    fn summarize_module(&mut self, body: &'a [Stmt]) {
        let range = TextRange::up_to(TextSize::of(self.source));
        let index = self.new_function(
            format!("{}.<module>", self.module),
            "<module>".into(),
            None,
            TextRange::empty(TextSize::default()),
            range,
            Vec::new(),
        );
        let mut scope = self.new_scope(
            index,
            format!("{}.<module>", self.module),
            None,
            None,
            None,
            [],
        );
        scope.stmt = range;
        scope.is_module = true;
        self.scopes.push(scope);
        self.prefixes.push(self.module.to_string());
        self.walk_body(body);
        self.finish_scope();
    }

    /// The module-level decorators that run what they wrap holding a lock (see
    /// [`DecoratorLock`]). Only the plain shape is recognized: the returned wrapper's body is
    /// one `with` on a lock of the wrapped method's `self` or a module-level lock, and calls
    /// the wrapped function inside it.
    fn synchronizing_decorators(&self, body: &'a [Stmt]) -> Vec<(String, DecoratorLock)> {
        body.iter()
            .filter_map(|stmt| match stmt {
                Stmt::FunctionDef(f) if !f.is_async => {
                    let lock = self.decorator_lock(f)?;
                    Some((dotted(self.module, f.name.id.as_str()), lock))
                }
                _ => None,
            })
            .collect()
    }

    fn decorator_lock(&self, f: &'a ast::StmtFunctionDef) -> Option<DecoratorLock> {
        let first_param = |f: &'a ast::StmtFunctionDef| {
            f.parameters
                .iter_non_variadic_params()
                .next()
                .map(|p| p.parameter.name.id.as_str())
        };
        let wrapped = first_param(f)?;
        let returned = f.body.iter().rev().find_map(|s| match s {
            Stmt::Return(ast::StmtReturn { value: Some(v), .. }) => match &**v {
                Expr::Name(n) => Some(n.id.as_str()),
                _ => None,
            },
            _ => None,
        })?;
        let wrapper = f.body.iter().find_map(|s| match s {
            Stmt::FunctionDef(w) if w.name.id.as_str() == returned && !w.is_async => Some(w),
            _ => None,
        })?;
        let statements = match wrapper.body.split_first() {
            Some((Stmt::Expr(e), rest)) if e.value.is_string_literal_expr() => rest,
            _ => &wrapper.body[..],
        };
        let [Stmt::With(with)] = statements else {
            return None;
        };
        let [item] = &with.items[..] else {
            return None;
        };
        if with.is_async || !with.body.iter().any(|s| calls_name(s, wrapped)) {
            return None;
        }
        match &item.context_expr {
            Expr::Attribute(a) => {
                let on_self = matches!(&*a.value, Expr::Name(n) if Some(n.id.as_str()) == first_param(wrapper));
                (on_self && looks_like_lock(a.attr.id.as_str()))
                    .then(|| DecoratorLock::SelfAttr(a.attr.id.to_string()))
            }
            Expr::Name(n) => {
                let name = n.id.as_str();
                self.module_scope
                    .lock_globals
                    .iter()
                    .any(|(g, _)| g == name)
                    .then(|| DecoratorLock::Global(dotted(self.module, name)))
            }
            _ => None,
        }
    }

    fn new_function(
        &mut self,
        qualname: String,
        name: String,
        class: Option<usize>,
        name_range: TextRange,
        range: TextRange,
        decorators: Vec<String>,
    ) -> usize {
        self.functions.push(FunctionSummary {
            qualname,
            name,
            class,
            name_range,
            range,
            decorators,
            calls: Vec::new(),
            accesses: Vec::new(),
            spawns: Vec::new(),
            servers: Vec::new(),
            joins: Vec::new(),
            acquires: Vec::new(),
            provides_locks: Vec::new(),
            gates: Vec::new(),
            closings: Vec::new(),
            passes: Vec::new(),
            is_async: false,
            params: Vec::new(),
        });
        self.functions.len() - 1
    }

    fn finish_scope(&mut self) {
        if let Some(mut scope) = self.scopes.pop() {
            // A plain read matters to the walk (tests of check-then-act, `try`/`except
            // KeyError`) but not later, unless a lock is held: then it shows which lock
            // guards the state. Dropping the rest keeps summaries small.
            scope.accesses.retain(|a| {
                a.kind != AccessKind::Read || a.locks.iter().any(crate::is_effective_lock)
            });
            let function = &mut self.functions[scope.index];
            // A thread made here and never started here starts after this function, or where
            // it first went to code that may start it.
            for (_, spawn, handoff) in scope.unstarted.drain(..) {
                let end = function.range.end();
                if let Some(spawn) = function.spawns.get_mut(spawn) {
                    spawn.stmt_start = spawn.stmt_start.max(handoff.unwrap_or(end));
                }
            }
            function.accesses = scope.accesses.drain(..).collect();
            function.calls = scope.calls.drain(..).collect();
            scope.clear();
            self.spare_scopes.push(scope);
        }
        self.prefixes.pop();
    }

    /// The dotted path of the scope that contains new definitions.
    fn current_prefix(&self) -> &str {
        self.prefixes.last().map_or(self.module, String::as_str)
    }

    fn decorator_paths(&self, decorators: &[ast::Decorator]) -> Vec<String> {
        decorators
            .iter()
            .filter_map(|d| {
                let expr = match &d.expression {
                    Expr::Call(call) => &*call.func,
                    other => other,
                };
                self.path_of(expr)
                    .map(Cow::into_owned)
                    .or_else(|| match expr {
                        Expr::Name(n) => Some(n.id.as_str().to_owned()),
                        Expr::Attribute(a) => Some(a.attr.id.as_str().to_owned()),
                        _ => None,
                    })
            })
            .collect()
    }

    fn walk_function(&mut self, f: &'a ast::StmtFunctionDef, in_class: Option<usize>) {
        for d in &f.decorator_list {
            self.walk_expr(&d.expression);
        }
        let qualname = dotted(self.current_prefix(), f.name.id.as_str());
        let decorators = self.decorator_paths(&f.decorator_list);
        let is_static = decorators.iter().any(|d| d.ends_with("staticmethod"));
        let is_classmethod = decorators.iter().any(|d| d.ends_with("classmethod"));
        let first = f
            .parameters
            .iter_non_variadic_params()
            .next()
            .map(|p| p.parameter.name.id.as_str());
        let (self_name, cls_name) = match (in_class, is_static, is_classmethod) {
            (Some(_), false, false)
                if f.name.id.as_str() == "__new__" || f.name.id.as_str() == "__init_subclass__" =>
            {
                (None, first)
            }
            (Some(_), false, false) => (first, None),
            (Some(_), false, true) => (None, first),
            _ => (None, None),
        };
        let index = self.new_function(
            qualname.clone(),
            f.name.id.as_str().to_owned(),
            in_class,
            f.name.range,
            f.range,
            decorators,
        );
        self.functions[index].is_async = f.is_async;
        if let Some(scope) = self.scopes.last_mut() {
            if !scope.is_module && in_class.is_none() {
                scope.nested.insert(f.name.id.as_str(), qualname.clone());
                scope.locals.insert(f.name.id.as_str());
            }
        }
        if let Some(ci) = in_class {
            self.classes[ci]
                .methods
                .push((f.name.id.as_str().to_owned(), index));
        }
        for p in f.parameters.iter() {
            if let Some(default) = p.default() {
                self.walk_expr(default);
            }
        }
        let mut scope = self.new_scope(
            index,
            qualname.clone(),
            in_class,
            self_name,
            cls_name,
            f.parameters.iter().map(|p| p.name().id.as_str()),
        );
        scope.param_order.extend(
            f.parameters
                .iter_non_variadic_params()
                .map(|p| p.parameter.name.id.as_str()),
        );
        if in_class.is_none() {
            // A function nested in a method sees the method's `self` as a capture.
            if let Some(outer) = self.scopes.last() {
                if outer
                    .self_name
                    .as_ref()
                    .is_some_and(|s| !scope.params.contains(s))
                {
                    scope.self_name = outer.self_name;
                    scope.class = outer.class;
                }
            }
        }
        declare_locals(&f.body, &mut scope, &self.walrus);
        self.scopes.push(scope);
        self.prefixes.push(qualname);
        self.walk_body(&f.body);
        if self.func().provides_locks.is_empty() {
            // Locks acquired and not released: held by the body of a `with` on an object
            // whose `__enter__` this is, or after a call to a helper like `_acquire_lock()`.
            let held: Vec<HeldLock> = self
                .scope()
                .locks
                .iter()
                .filter(|l| crate::is_effective_lock(l))
                .cloned()
                .collect();
            self.func().provides_locks = held;
        }
        // The parameters by position, for a start that passes objects to them.
        let through_params = self
            .scope()
            .accesses
            .iter()
            .any(|a| matches!(a.loc.root(), Loc::Param { .. }));
        if through_params || !self.func().passes.is_empty() {
            self.func().params = f
                .parameters
                .iter_non_variadic_params()
                .map(|p| p.parameter.name.id.as_str().to_owned())
                .collect();
        }
        self.finish_scope();
    }

    /// The scope of a function about to be walked: a spare one when there is one (its
    /// tables keep their capacity, so most functions fill them without growing them).
    fn new_scope(
        &mut self,
        index: usize,
        qualname: String,
        class: Option<usize>,
        self_name: Option<&'a str>,
        cls_name: Option<&'a str>,
        params: impl IntoIterator<Item = &'a str>,
    ) -> FnScope<'a> {
        let mut scope = self.spare_scopes.pop().unwrap_or_default();
        scope.index = index;
        scope.qualname = qualname;
        scope.class = class;
        scope.self_name = self_name;
        scope.cls_name = cls_name;
        for name in params {
            // Parameters are locals too: one lookup answers "is this name local?".
            scope.params.insert(name);
            scope.locals.insert(name);
        }
        scope
    }

    fn walk_class(&mut self, c: &'a ast::StmtClassDef) {
        for d in &c.decorator_list {
            self.walk_expr(&d.expression);
        }
        let qualname = dotted(self.current_prefix(), c.name.id.as_str());
        let bases: Vec<String> = c
            .arguments
            .as_ref()
            .map(|args| {
                args.args
                    .iter()
                    .filter_map(|b| self.path_of(b).map(Cow::into_owned))
                    .collect()
            })
            .unwrap_or_default();
        let declared_thread_safe = self.class_line_marks_thread_safe(c);
        let index = self.classes.len();
        self.classes.push(ClassSummary {
            qualname: qualname.clone(),
            name: c.name.id.as_str().to_owned(),
            name_range: c.name.range,
            range: c.range,
            bases: bases.clone(),
            methods: Vec::new(),
            lock_attrs: Vec::new(),
            thread_local_attrs: Vec::new(),
            instance_attrs: Vec::new(),
            declared_thread_safe,
        });
        let mut info = ClassInfo {
            index,
            qualname,
            first_base: bases.first().cloned(),
            attrs: HashMap::default(),
            lock_aliases: HashMap::default(),
            thread_identity_attrs: HashSet::default(),
            property_paths: HashMap::default(),
        };
        self.class_prepass(c, &mut info);
        if let Some(scope) = self.scopes.last_mut() {
            if !scope.is_module {
                scope.locals.insert(c.name.id.as_str());
                scope
                    .nested
                    .insert(c.name.id.as_str(), info.qualname.clone());
            }
        }
        self.prefixes.push(info.qualname.clone());
        self.class_stack.push(info);
        for stmt in &c.body {
            match stmt {
                Stmt::FunctionDef(f) => self.walk_function(f, Some(index)),
                Stmt::ClassDef(inner) => self.walk_class(inner),
                _ => {}
            }
        }
        self.class_stack.pop();
        self.prefixes.pop();
    }

    /// `# racelint: thread-safe` on the `class` line or the line above it.
    fn class_line_marks_thread_safe(&self, c: &'a ast::StmtClassDef) -> bool {
        let start = usize::from(c.range.start());
        let line_end = self.source[start..]
            .find('\n')
            .map_or(self.source.len(), |i| start + i);
        let prev_start = self.source[..start.saturating_sub(1)]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let window = &self.source[prev_start.min(start)..line_end];
        window.contains("racelint: thread-safe")
    }

    /// Finds which attributes of the class hold locks, thread-locals, executors or instances.
    fn class_prepass(&mut self, c: &'a ast::StmtClassDef, info: &mut ClassInfo) {
        let mut getters: Vec<(&str, Option<String>)> = Vec::new();
        let mut setters: Vec<(&str, Option<String>)> = Vec::new();
        for stmt in &c.body {
            match stmt {
                Stmt::Assign(a) => {
                    if let [Expr::Name(n)] = a.targets.as_slice() {
                        let holds = self.classify_value_at_module(&a.value);
                        self.note_class_attr(info, n.id.as_str(), holds, n.range);
                    }
                }
                Stmt::AnnAssign(a) => {
                    if let (Expr::Name(n), Some(v)) = (&*a.target, &a.value) {
                        let holds = self.classify_value_at_module(v);
                        self.note_class_attr(info, n.id.as_str(), holds, n.range);
                    }
                }
                Stmt::FunctionDef(f) => {
                    let Some(self_name) = f.parameters.iter_non_variadic_params().next() else {
                        continue;
                    };
                    let self_name = self_name.parameter.name.id.as_str();
                    match property_role(f, self_name) {
                        Some(PropertyRole::Getter(path)) => {
                            getters.push((f.name.id.as_str(), path));
                        }
                        Some(PropertyRole::Setter(property, path)) => {
                            setters.push((property, path));
                        }
                        None => {}
                    }
                    let mut finder = SelfAssignFinder {
                        self_name,
                        found: Vec::new(),
                    };
                    finder.visit_body(&f.body);
                    for (attr, value, range) in finder.found {
                        if let Some(Expr::Attribute(base)) = self.condition_base(value) {
                            if matches!(&*base.value, Expr::Name(n) if n.id.as_str() == self_name) {
                                info.lock_aliases
                                    .insert(attr.clone(), base.attr.id.as_str().to_owned());
                            }
                        }
                        if self.is_thread_identity_function(value, f) {
                            info.thread_identity_attrs.insert(attr.clone());
                        }
                        let holds = self.classify_value_at_module(value);
                        self.note_class_attr(info, &attr, holds, range);
                    }
                }
                _ => {}
            }
        }
        for (name, path) in getters {
            let Some(path) = path else {
                continue;
            };
            // A setter storing elsewhere, or two definitions of the property: left alone.
            let agrees = setters
                .iter()
                .filter(|(n, _)| *n == name)
                .all(|(_, stored)| stored.as_deref() == Some(path.as_str()));
            if agrees && info.property_paths.insert(name.to_owned(), path).is_some() {
                info.property_paths.remove(name);
            }
        }
        // A property standing for another property is left alone (no chains, no cycles).
        let names: Vec<String> = info.property_paths.keys().cloned().collect();
        info.property_paths.retain(|_, path| {
            let first = path.split('.').next().unwrap_or_default();
            !names.iter().any(|n| n == first)
        });
    }

    /// Whether `value`, assigned in method `f`, is a function that tells the running thread:
    /// `threading.get_ident` itself, or a parameter of `f` that defaults to such a function
    /// (`current_thread_functor=threading.current_thread`).
    fn is_thread_identity_function(&self, value: &'a Expr, f: &'a ast::StmtFunctionDef) -> bool {
        let value = match value {
            Expr::Name(n) => f
                .parameters
                .iter_non_variadic_params()
                .find(|p| p.parameter.name.id.as_str() == n.id.as_str())
                .map_or(value, |p| p.default.as_deref().unwrap_or(value)),
            other => other,
        };
        matches!(value, Expr::Name(_) | Expr::Attribute(_))
            && self
                .path_of(value)
                .is_some_and(|path| is_thread_identity(&path))
    }

    fn note_class_attr(
        &mut self,
        info: &mut ClassInfo,
        attr: &str,
        holds: Holds,
        range: TextRange,
    ) {
        match &holds {
            Holds::Lock | Holds::Semaphore => {
                let class = &mut self.classes[info.index];
                if !class.lock_attrs.iter().any(|(a, _)| a == attr) {
                    class.lock_attrs.push((attr.to_string(), range));
                }
            }
            Holds::ThreadLocal => {
                let class = &mut self.classes[info.index];
                if !class.thread_local_attrs.iter().any(|a| a == attr) {
                    class.thread_local_attrs.push(attr.to_string());
                }
            }
            Holds::Instance(class) => {
                let same_package = class.split('.').next() == self.module.split('.').next();
                let summary = &mut self.classes[info.index];
                if same_package
                    && !summary
                        .instance_attrs
                        .iter()
                        .any(|(a, c)| a == attr && c == class)
                {
                    summary
                        .instance_attrs
                        .push((attr.to_string(), class.clone()));
                }
            }
            // An attribute that stores a thread's identity is shared state like any other.
            Holds::Other | Holds::ThreadId => return,
            _ => {}
        }
        info.attrs.entry(attr.to_string()).or_insert(holds);
    }

    // ----- names --------------------------------------------------------------------------

    fn resolve_name(&self, name: &str) -> NameRes<'_> {
        let Some(current) = self.scopes.last() else {
            return NameRes::Unknown;
        };
        if current.comprehension.iter().any(|c| c.contains(name)) {
            return NameRes::Local;
        }
        if !current.is_module {
            if current.globals.contains(name) {
                return self.module_name(name);
            }
            if current.nonlocals.contains(name) {
                return self.enclosing_name(name, true);
            }
            if let Some(target) = current.imports.get(name) {
                return NameRes::Path(target);
            }
            if let Some(q) = current.nested.get(name) {
                return NameRes::Path(q);
            }
            if current.locals.contains(name) {
                return NameRes::Local;
            }
            if let res @ NameRes::Captured(_) | res @ NameRes::Path(_) =
                self.enclosing_name(name, false)
            {
                return res;
            }
        }
        self.module_name(name)
    }

    /// Looks a name up in the enclosing functions (not the current one).
    fn enclosing_name(&self, name: &str, declared_nonlocal: bool) -> NameRes<'_> {
        for scope in self.scopes.iter().rev().skip(1) {
            if scope.is_module {
                break;
            }
            if let Some(q) = scope.nested.get(name) {
                if !declared_nonlocal {
                    return NameRes::Path(q);
                }
            }
            if scope.locals.contains(name) {
                if scope.globals.contains(name) {
                    return self.module_name(name);
                }
                return NameRes::Captured(Loc::Captured {
                    function: scope.qualname.clone(),
                    name: name.to_string(),
                });
            }
        }
        NameRes::Unknown
    }

    fn module_name(&self, name: &str) -> NameRes<'_> {
        match self.module_scope.names.get(name) {
            Some(ModuleName::Path(p)) => NameRes::Path(p),
            Some(ModuleName::Variable(p)) => NameRes::Variable(p),
            None => NameRes::Unknown,
        }
    }

    /// The dotted path an expression names, when it names a definition, import or global.
    fn path_of(&self, expr: &'a Expr) -> Option<Cow<'_, str>> {
        match expr {
            Expr::Name(n) => match self.resolve_name(n.id.as_str()) {
                NameRes::Path(p) | NameRes::Variable(p) => Some(Cow::Borrowed(p)),
                _ => None,
            },
            Expr::Attribute(a) => self
                .path_of(&a.value)
                .map(|p| Cow::Owned(dotted(&p, a.attr.id.as_str()))),
            _ => None,
        }
    }

    fn current_class(&self) -> Option<&ClassInfo> {
        let scope = self.scopes.last()?;
        let ci = scope.class?;
        self.class_stack.iter().rev().find(|c| c.index == ci)
    }

    fn is_self(&self, expr: &'a Expr) -> bool {
        matches!(expr, Expr::Name(n) if self.scopes.last().and_then(|s| s.self_name) == Some(n.id.as_str()))
    }

    /// `cls`, `type(self)` or `self.__class__`: the class object of the current method.
    fn is_class_object(&self, expr: &'a Expr) -> bool {
        match expr {
            Expr::Name(n) => self.scopes.last().and_then(|s| s.cls_name) == Some(n.id.as_str()),
            Expr::Attribute(a) => a.attr.id.as_str() == "__class__" && self.is_self(&a.value),
            Expr::Call(c) => {
                matches!(&*c.func, Expr::Name(n) if n.id.as_str() == "type")
                    && c.arguments.args.len() == 1
                    && self.is_self(&c.arguments.args[0])
            }
            _ => false,
        }
    }

    /// `_acquire_lock()` / `_release_lock()`: helpers that take or drop a lock for their
    /// caller. The linker learns which locks the helper leaves held.
    fn lock_helper_statement(&mut self, call: &'a ast::ExprCall, name: &str) -> bool {
        if contains_ignore_case(name, "acquire") {
            let Some((callee, _)) = self.callee_of(&call.func) else {
                return false;
            };
            self.walk_call(call);
            let lock = HeldLock {
                loc: Loc::Via(Box::new(callee)),
                text: self.text(call.range()).to_string(),
                range: call.range(),
            };
            self.scope().locks.push(lock);
            return true;
        }
        if contains_ignore_case(name, "release") {
            let scope = self.scope();
            if let Some(pos) = scope
                .locks
                .iter()
                .rposition(|l| matches!(l.loc, Loc::Via(_)))
            {
                scope.locks.remove(pos);
            }
        }
        false
    }

    /// The shared location an expression denotes, if it denotes one.
    fn loc_of(&self, expr: &'a Expr) -> Option<Loc> {
        match expr {
            Expr::Name(n) => {
                let id = n.id.as_str();
                if let Some(scope) = self.scopes.last() {
                    if scope.is_module && !scope.comprehension.iter().any(|c| c.contains(id)) {
                        return self
                            .module_scope
                            .variables
                            .contains_key(id)
                            .then(|| self.global_loc(id));
                    }
                    if let Some((alias, _)) = scope.aliases.get(id) {
                        return Some(alias.clone());
                    }
                    // A parameter still holding what the caller passed: the object is the
                    // caller's (a start may pass the same one to every thread).
                    if scope.params.contains(id)
                        && scope.self_name != Some(id)
                        && scope.cls_name != Some(id)
                        && !scope.bound_in.contains_key(id)
                    {
                        // The function is the one the access belongs to: not spelled
                        // out again in every location (no allocation).
                        return Some(Loc::Param {
                            function: String::new(),
                            name: id.to_owned(),
                        });
                    }
                }
                match self.resolve_name(id) {
                    NameRes::Variable(p) => self.not_thread_local_global(p),
                    NameRes::Captured(loc) => Some(loc),
                    NameRes::Path(p) => Some(Loc::Global(p.to_string())),
                    _ => None,
                }
            }
            Expr::Attribute(a) => {
                let attr = a.attr.id.as_str();
                if self.is_self(&a.value) {
                    let class = self.current_class()?;
                    // Through a property, the attribute that holds the value (the location
                    // stays the property's: subclasses, which do not see the property
                    // here, name it so too).
                    let held = class.property_paths.get(attr).map_or(attr, String::as_str);
                    let first = held.split('.').next().unwrap_or(held);
                    if self.classes[class.index]
                        .thread_local_attrs
                        .iter()
                        .any(|t| t == first)
                    {
                        return None;
                    }
                    return Some(Loc::Instance {
                        class: class.qualname.clone(),
                        attr: attr.to_string(),
                    });
                }
                if self.is_class_object(&a.value) {
                    let class = self.current_class()?;
                    return Some(Loc::Global(dotted(&class.qualname, attr)));
                }
                match self.loc_of(&a.value)? {
                    Loc::Global(p) => {
                        let module_global_thread_local = p
                            .strip_prefix(self.module)
                            .and_then(|rest| rest.strip_prefix('.'))
                            .is_some_and(|name| {
                                self.module_scope.thread_local_globals.contains(name)
                            });
                        if module_global_thread_local {
                            return None;
                        }
                        Some(Loc::Global(dotted(&p, attr)))
                    }
                    Loc::Instance { class, attr: base } => {
                        let thread_local = self.current_class().is_some_and(|c| {
                            self.classes[c.index].thread_local_attrs.contains(&base)
                        });
                        if thread_local {
                            return None;
                        }
                        Some(Loc::Instance {
                            class,
                            attr: dotted(&base, attr),
                        })
                    }
                    Loc::Captured { function, name } => Some(Loc::Captured {
                        function,
                        name: dotted(&name, attr),
                    }),
                    Loc::Param { function, name } => Some(Loc::Param {
                        function,
                        name: dotted(&name, attr),
                    }),
                    _ => None,
                }
            }
            Expr::Subscript(s) => self.loc_of(&s.value).map(|l| Loc::Item(Box::new(l))),
            _ => None,
        }
    }

    fn global_loc(&self, name: &str) -> Loc {
        Loc::Global(dotted(self.module, name))
    }

    fn not_thread_local_global(&self, path: &str) -> Option<Loc> {
        let local = path
            .strip_prefix(self.module)
            .and_then(|r| r.strip_prefix('.'));
        if local.is_some_and(|l| self.module_scope.thread_local_globals.contains(l)) {
            return None;
        }
        Some(Loc::Global(path.to_string()))
    }

    /// What a local, attribute or global expression is known to hold.
    fn holds_of(&self, expr: &'a Expr) -> Option<Holds> {
        match expr {
            Expr::Name(n) => {
                let id = n.id.as_str();
                if let Some(scope) = self.scopes.last() {
                    if let Some(h) = scope.holds.get(id) {
                        return Some(h.clone());
                    }
                    if scope.locals.contains(id) {
                        return None;
                    }
                }
                self.module_scope.variables.get(id).cloned()
            }
            Expr::Attribute(a) if self.is_self(&a.value) || self.is_class_object(&a.value) => {
                self.current_class()?.attrs.get(a.attr.id.as_str()).cloned()
            }
            // `_STATE.gate` where `_STATE = _State()` holds an object of a module-level
            // class whose methods store a lock in `gate`.
            Expr::Attribute(a) => match self.holds_of(&a.value)? {
                Holds::Instance(class) => self
                    .module_scope
                    .object_locks
                    .get(&class)?
                    .contains(a.attr.id.as_str())
                    .then_some(Holds::Lock),
                _ => None,
            },
            _ => None,
        }
    }

    // ----- statements ---------------------------------------------------------------------

    fn scope(&mut self) -> &mut FnScope<'a> {
        self.scopes
            .last_mut()
            .expect("a scope is always open while walking")
    }

    fn func(&mut self) -> &mut FunctionSummary {
        let index = self.scopes.last().map_or(0, |s| s.index);
        &mut self.functions[index]
    }

    fn walk_body(&mut self, body: &'a [Stmt]) {
        let block = {
            let scope = self.scope();
            scope.next_block += 1;
            let block = scope.next_block;
            scope.blocks.push(block);
            block
        };
        for stmt in body {
            self.walk_stmt(stmt);
        }
        self.close_block_checks(block);
        let scope = self.scope();
        scope.blocks.pop();
        while scope.owned_blocks.last() == Some(&block) {
            scope.owned_blocks.pop();
        }
    }

    fn walk_stmt(&mut self, stmt: &'a Stmt) {
        let outer_stmt = self.scope().stmt;
        if !is_compound(stmt) {
            self.scope().stmt = stmt.range();
        } else {
            self.scope().stmt = header_range(stmt);
        }
        match stmt {
            Stmt::FunctionDef(f) => {
                let in_class = None;
                self.walk_function(f, in_class);
            }
            Stmt::ClassDef(c) => self.walk_class(c),
            Stmt::Import(_) | Stmt::ImportFrom(_) => {
                if !self.scope().is_module {
                    for (local, target) in self.import_bindings(stmt) {
                        self.scope().imports.insert(local, target);
                    }
                }
            }
            Stmt::Global(g) => {
                for n in &g.names {
                    let scope = self.scope();
                    scope.globals.insert(n.id.as_str());
                    scope.locals.remove(n.id.as_str());
                }
            }
            Stmt::Nonlocal(n) => {
                for name in &n.names {
                    let scope = self.scope();
                    scope.nonlocals.insert(name.id.as_str());
                    scope.locals.remove(name.id.as_str());
                }
            }
            Stmt::AugAssign(a) => {
                self.walk_target_parts(&a.target);
                self.walk_expr(&a.value);
                if let Expr::Name(n) = &*a.target {
                    if self.is_local_name(n.id.as_str()) {
                        // Rebinding a local: not the state it was read from.
                        let scope = self.scope();
                        scope.aliases.remove(n.id.as_str());
                        scope.snapshots.remove(n.id.as_str());
                        return self.scope().stmt = outer_stmt;
                    }
                }
                if let Some(loc) = self.loc_of(&a.target) {
                    self.record(loc, AccessKind::ReadModifyWrite, &a.target);
                }
            }
            Stmt::Assign(a) => {
                let spawns = self.func().spawns.len();
                self.walk_expr(&a.value);
                if let [target] = &a.targets[..] {
                    self.bind_unstarted(target, &a.value, spawns);
                }
                for target in &a.targets {
                    self.walk_assign_target(target, Some(&a.value));
                }
            }
            Stmt::AnnAssign(a) => {
                if let Some(value) = &a.value {
                    let spawns = self.func().spawns.len();
                    self.walk_expr(value);
                    self.bind_unstarted(&a.target, value, spawns);
                    self.walk_assign_target(&a.target, Some(value));
                }
            }
            Stmt::Delete(d) => {
                for target in &d.targets {
                    self.walk_target_parts(target);
                    if let Some(loc) = self.loc_of(target) {
                        let kind = if matches!(loc, Loc::Item(_)) {
                            AccessKind::Remove
                        } else {
                            AccessKind::Write
                        };
                        self.record(loc, kind, target);
                    }
                }
            }
            Stmt::Expr(e) => {
                if !self.lock_statement(&e.value) {
                    self.walk_expr(&e.value);
                }
            }
            Stmt::Return(r) => {
                if let Some(v) = &r.value {
                    self.walk_expr(v);
                    // `def get_lock(): return _lock`: `with get_lock():` holds `_lock`.
                    if let Some(lock) = self.lock_of(v).filter(crate::is_effective_lock) {
                        let provides = &mut self.func().provides_locks;
                        if !provides.iter().any(|l| l.loc == lock.loc) {
                            provides.push(lock);
                        }
                    }
                }
            }
            Stmt::If(i) => {
                let acquired = self.acquire_in_test(&i.test);
                let owner = self.ownership_test(&i.test);
                self.walk_expr(&i.test);
                let checks = self.open_checks(&i.test, i.range.start());
                let saved = self.scope().locks.clone();
                if let Some((lock, negated)) = &acquired {
                    if !negated {
                        self.scope().locks.push(lock.clone());
                    }
                }
                if owner == Some(true) {
                    self.scope().owned += 1;
                }
                self.walk_body(&i.body);
                if owner == Some(true) {
                    self.scope().owned -= 1;
                }
                // Locks a branch acquires and keeps (`if _lock: _lock.acquire()`) may be held
                // after the `if`: counted as held, so no race is reported because of them.
                let mut kept = extra_locks(&self.scope().locks, &saved);
                self.scope().locks = saved.clone();
                for clause in &i.elif_else_clauses {
                    if let Some(t) = &clause.test {
                        self.walk_expr(t);
                    }
                    // `if not L.acquire(False): ... else: <held>`
                    if let (None, Some((lock, true))) = (&clause.test, &acquired) {
                        self.scope().locks.push(lock.clone());
                    }
                    self.walk_body(&clause.body);
                    kept.extend(extra_locks(&self.scope().locks, &saved));
                    self.scope().locks = saved.clone();
                }
                for lock in kept {
                    if !self.scope().locks.iter().any(|l| l.loc == lock.loc) {
                        self.scope().locks.push(lock);
                    }
                }
                let leaves: &[Stmt] = if i.elif_else_clauses.is_empty() {
                    &i.body
                } else {
                    &[]
                };
                self.close_checks(checks, leaves, i.range.end());
                // `if self.owner != get_ident(): raise ...`: the rest of the block runs in
                // the owning thread only.
                if owner == Some(false) && leaves_block(&i.body) && i.elif_else_clauses.is_empty() {
                    let scope = self.scope();
                    if let Some(&block) = scope.blocks.last() {
                        scope.owned_blocks.push(block);
                    }
                }
                // `if not L.acquire(...): return` leaves the lock held afterwards.
                if let Some((lock, true)) = acquired {
                    self.scope().locks.push(lock);
                }
            }
            Stmt::For(f) => {
                self.walk_expr(&f.iter);
                self.note_iteration(&f.iter, header_range(stmt));
                self.scope().loops.push(f.range);
                self.walk_assign_target(&f.target, None);
                let saved = self.scope().locks.clone();
                self.walk_body(&f.body);
                self.scope().locks = saved.clone();
                self.scope().loops.pop();
                self.walk_body(&f.orelse);
                self.scope().locks = saved;
            }
            Stmt::While(w) => {
                // `while not L.acquire(timeout=...): ...` polls for the lock (to stay
                // cancellable) and leaves the loop holding it, unless a `break` can leave
                // it first.
                let polled = match self.acquire_in_test(&w.test) {
                    Some((lock, true)) if !breaks_out(&w.body) => Some(lock),
                    _ => None,
                };
                self.scope().loops.push(w.range);
                self.walk_expr(&w.test);
                let saved = self.scope().locks.clone();
                self.walk_body(&w.body);
                self.scope().locks = saved.clone();
                self.scope().loops.pop();
                if let Some(lock) = &polled {
                    self.scope().locks.push(lock.clone());
                }
                self.walk_body(&w.orelse);
                self.scope().locks = saved;
                if let Some(lock) = polled {
                    self.scope().locks.push(lock);
                }
            }
            Stmt::With(w) => self.walk_with(w),
            Stmt::Try(t) => {
                let first_access = self.scope().accesses.len();
                let catches_key_error = checks::catches_key_error(t);
                self.scope().key_error_tries += usize::from(catches_key_error);
                self.walk_body(&t.body);
                self.scope().key_error_tries -= usize::from(catches_key_error);
                let checks = self.open_key_error_checks(t, first_access);
                let after_body = self.scope().locks.clone();
                for ast::ExceptHandler::ExceptHandler(h) in &t.handlers {
                    if let Some(ty) = &h.type_ {
                        self.walk_expr(ty);
                    }
                    if let Some(name) = &h.name {
                        self.scope().locals.insert(name.id.as_str());
                    }
                    self.walk_body(&h.body);
                    self.scope().locks = after_body.clone();
                }
                self.close_checks(checks, &[], t.range.end());
                self.walk_body(&t.orelse);
                self.walk_body(&t.finalbody);
            }
            Stmt::Match(m) => {
                self.walk_expr(&m.subject);
                let saved = self.scope().locks.clone();
                for case in &m.cases {
                    if let Some(g) = &case.guard {
                        self.walk_expr(g);
                    }
                    self.walk_body(&case.body);
                    self.scope().locks = saved.clone();
                }
            }
            Stmt::Raise(r) => {
                if let Some(e) = &r.exc {
                    self.walk_expr(e);
                }
            }
            Stmt::Assert(a) => {
                self.walk_expr(&a.test);
                self.asserted_lock(&a.test);
            }
            Stmt::TypeAlias(_)
            | Stmt::Pass(_)
            | Stmt::Break(_)
            | Stmt::Continue(_)
            | Stmt::IpyEscapeCommand(_) => {}
        }
        self.scope().stmt = outer_stmt;
    }

    /// Handles `L.acquire()` and `L.release()` statements; returns whether it did.
    fn lock_statement(&mut self, expr: &'a Expr) -> bool {
        let Expr::Call(call) = expr else { return false };
        let attr = match &*call.func {
            Expr::Attribute(attr) => attr,
            Expr::Name(n) => return self.lock_helper_statement(call, n.id.as_str()),
            _ => return false,
        };
        match attr.attr.id.as_str() {
            "acquire" => {
                if let Some(lock) = self.lock_of(&attr.value) {
                    self.func().acquires.push(lock.clone());
                    self.scope().locks.push(lock);
                    self.walk_expr(expr);
                    return true;
                }
                false
            }
            "release" => {
                if let Some(lock) = self.lock_of(&attr.value) {
                    let scope = self.scope();
                    // A local that said the lock was taken no longer does.
                    if !scope.acquired_into.is_empty() {
                        scope.acquired_into.retain(|_, taken| taken.loc != lock.loc);
                    }
                    if let Some(pos) = scope.locks.iter().rposition(|l| l.loc == lock.loc) {
                        scope.locks.remove(pos);
                    } else if self.held_on_entry(&attr.value, &lock) {
                        self.hold_from_entry(&lock);
                    }
                    return true;
                }
                false
            }
            name => self.lock_helper_statement(call, name),
        }
    }

    /// Whether releasing `lock` here means the function was called holding it: it is not
    /// held here by anything this function did, and releasing a lock one does not hold
    /// raises (`Lock`, `RLock`, `Condition`), so every caller that gets this far holds it.
    /// Not for semaphores, which one thread may release for another, nor for a lock made
    /// on the spot.
    fn held_on_entry(&mut self, expr: &'a Expr, lock: &HeldLock) -> bool {
        if !crate::is_effective_lock(lock) || self.func().acquires.iter().any(|l| l.loc == lock.loc)
        {
            return false;
        }
        match self.holds_of(expr) {
            Some(Holds::Lock) => true,
            Some(_) => false,
            // Known by its name only: trusted unless the name says semaphore.
            None => !contains_ignore_case(&lock.text, "sem"),
        }
    }

    /// `assert L.locked()` in the function's own block (not inside an `if` or a loop): the
    /// function is meant to run holding `L`, and past this statement it does (or the
    /// assertion fails), so `L` counts as held from its start to its end.
    fn asserted_lock(&mut self, test: &'a Expr) {
        if self.scope().blocks.len() != 1 {
            return;
        }
        let Expr::Call(call) = test else { return };
        let Expr::Attribute(attr) = &*call.func else {
            return;
        };
        if attr.attr.id.as_str() != "locked" || !call.arguments.is_empty() {
            return;
        }
        let Some(lock) = self.lock_of(&attr.value) else {
            return;
        };
        if !crate::is_effective_lock(&lock) || self.scope().locks.iter().any(|l| l.loc == lock.loc)
        {
            return;
        }
        self.hold_from_entry(&lock);
        self.scope().locks.push(lock);
    }

    /// Counts `lock` as held from the start of the function up to here: by every access,
    /// call and open test met so far.
    fn hold_from_entry(&mut self, lock: &HeldLock) {
        let scope = self.scope();
        let add = |locks: &mut Vec<HeldLock>| {
            if !locks.iter().any(|l| l.loc == lock.loc) {
                locks.push(lock.clone());
            }
        };
        scope.accesses.iter_mut().for_each(|a| add(&mut a.locks));
        scope.calls.iter_mut().for_each(|c| add(&mut c.locks));
        scope.checks.iter_mut().for_each(|c| add(&mut c.locks));
    }

    /// Whether an expression is the running thread's identity: a call of
    /// `threading.get_ident()`, `threading.current_thread()` (or its `.ident`), or a local
    /// holding one. Only the thread that made such a value holds it.
    fn is_thread_identity(&self, expr: &'a Expr) -> bool {
        match expr {
            // `self._current_thread()`, an attribute holding such a function.
            Expr::Call(call)
                if call.arguments.is_empty()
                    && matches!(&*call.func, Expr::Attribute(a)
                    if self.is_self(&a.value)
                        && self.current_class().is_some_and(|c| {
                            c.thread_identity_attrs.contains(a.attr.id.as_str())
                        })) =>
            {
                true
            }
            Expr::Call(call) if call.arguments.is_empty() => self
                .path_of(&call.func)
                .is_some_and(|path| is_thread_identity(&path)),
            Expr::Attribute(a) if matches!(a.attr.id.as_str(), "ident" | "native_id") => {
                self.is_thread_identity(&a.value)
            }
            Expr::Name(n) => self
                .scopes
                .last()
                .is_some_and(|scope| scope.holds.get(n.id.as_str()) == Some(&Holds::ThreadId)),
            _ => false,
        }
    }

    /// An ownership test: `self.owner == threading.get_ident()` (`Some(true)`) or
    /// `self.owner is not me` (`Some(false)`), comparing an attribute of `self` with the
    /// running thread's identity. Where it holds, this thread owns the object: no other
    /// thread can make the attribute equal to this thread's identity, and the owner is the
    /// one that took the object's lock (a reentrant lock written by hand), so its accesses
    /// to the object's state there do not race.
    fn ownership_test(&self, test: &'a Expr) -> Option<bool> {
        let Expr::Compare(c) = test else {
            return None;
        };
        let ([op], [right]) = (&*c.ops, &*c.comparators) else {
            return None;
        };
        let positive = match op {
            ast::CmpOp::Eq | ast::CmpOp::Is => true,
            ast::CmpOp::NotEq | ast::CmpOp::IsNot => false,
            _ => return None,
        };
        // `self.owner`, `self._thread.ident`.
        let is_self_attr = |mut e: &'a Expr| {
            let mut attributes = 0;
            while let Expr::Attribute(a) = e {
                e = &a.value;
                attributes += 1;
            }
            attributes > 0 && self.is_self(e)
        };
        let owner = (is_self_attr(&c.left) && self.is_thread_identity(right))
            || (is_self_attr(right) && self.is_thread_identity(&c.left));
        owner.then_some(positive)
    }

    /// Whether `loc` is state of the object the running thread owns at this point (see
    /// [`Summarizer::ownership_test`]).
    fn is_owned_here(&self, loc: &Loc) -> bool {
        let Some(scope) = self.scopes.last() else {
            return false;
        };
        if scope.owned == 0 && scope.owned_blocks.is_empty() {
            return false;
        }
        match (loc.root(), self.current_class()) {
            (Loc::Instance { class, .. }, Some(current)) => *class == current.qualname,
            _ => false,
        }
    }

    /// `if L.acquire(...)` (lock held in the body) or `if not L.acquire(...)` (held after),
    /// and the same through a local that holds the result (`got = L.acquire(timeout=1)`
    /// … `if got:`).
    fn acquire_in_test(&mut self, test: &'a Expr) -> Option<(HeldLock, bool)> {
        let (tested, negated) = match test {
            Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not => (&*u.operand, true),
            other => (other, false),
        };
        if let Expr::Name(n) = tested {
            let lock = self.scopes.last()?.acquired_into.get(n.id.as_str())?;
            return Some((lock.clone(), negated));
        }
        let lock = self.acquire_call(tested)?;
        self.func().acquires.push(lock.clone());
        Some((lock, negated))
    }

    /// The lock `L.acquire(...)` takes, when `L` looks like a lock.
    fn acquire_call(&self, expr: &'a Expr) -> Option<HeldLock> {
        let Expr::Call(call) = expr else {
            return None;
        };
        let Expr::Attribute(attr) = &*call.func else {
            return None;
        };
        if attr.attr.id.as_str() != "acquire" {
            return None;
        }
        self.lock_of(&attr.value)
    }

    /// The lock an expression denotes, if it looks like one.
    fn lock_of(&self, expr: &'a Expr) -> Option<HeldLock> {
        let holds = self.holds_of(expr);
        if matches!(&holds, Some(Holds::Instance(class)) if is_async_library(class)) {
            // `self._lock = asyncio.Lock()`: whatever its name, no thread lock.
            return None;
        }
        let text = self.spelling(expr).into_owned();
        let known = matches!(holds, Some(Holds::Lock | Holds::Semaphore));
        let fresh = matches!(expr, Expr::Call(c) if self.path_of(&c.func).is_some_and(|p| is_lock_factory(&p, &self.options.lock_factories)));
        let named = match expr {
            Expr::Name(n) => looks_like_lock(n.id.as_str()),
            Expr::Attribute(a) => looks_like_lock(a.attr.id.as_str()),
            _ => false,
        };
        // One of a table of locks (`with self.locks[key]:`, lock striping): a lock whose
        // identity depends on the key, so of unknown identity.
        let striped = match expr {
            Expr::Subscript(sub) => match &*sub.value {
                Expr::Name(n) => looks_like_lock(n.id.as_str()),
                Expr::Attribute(a) => looks_like_lock(a.attr.id.as_str()),
                _ => false,
            },
            _ => false,
        };
        if striped {
            return Some(HeldLock {
                loc: Loc::Unknown(text.clone()),
                text,
                range: expr.range(),
            });
        }
        if !(known || fresh || named) {
            return None;
        }
        let loc = if fresh {
            // A lock made on the spot protects nothing.
            Loc::Unknown(format!("fresh:{text}@{}", u32::from(expr.range().start())))
        } else {
            match expr {
                Expr::Name(n) if self.is_local_name(n.id.as_str()) => {
                    let scope = self.scopes.last()?;
                    if let Some((alias, _)) = scope.aliases.get(n.id.as_str()) {
                        alias.clone()
                    } else if scope.params.contains(n.id.as_str()) {
                        Loc::Param {
                            function: scope.qualname.clone(),
                            name: n.id.as_str().to_owned(),
                        }
                    } else {
                        // A local lock: the same object nested functions capture.
                        Loc::Captured {
                            function: scope.qualname.clone(),
                            name: n.id.as_str().to_owned(),
                        }
                    }
                }
                _ => self
                    .loc_of(expr)
                    .unwrap_or_else(|| Loc::Unknown(text.clone())),
            }
        };
        let loc = self.unalias_lock(loc);
        Some(HeldLock {
            loc,
            text,
            range: expr.range(),
        })
    }

    /// A context manager that may hold a lock for its body: `with self.atomic():` or
    /// `with self._guard:` (an object of a class with `__enter__`). The linker decides.
    fn provided_lock(&self, expr: &'a Expr) -> Option<HeldLock> {
        let callee = match expr {
            Expr::Call(c) => self.callee_of(&c.func)?.0,
            other => match self.holds_of(other)? {
                Holds::Instance(class) => Callee::Method {
                    class,
                    name: "__enter__".into(),
                },
                _ => return None,
            },
        };
        Some(HeldLock {
            loc: Loc::Via(Box::new(callee)),
            text: self.spelling(expr).into_owned(),
            range: expr.range(),
        })
    }

    /// A condition built on a lock is that lock.
    fn unalias_lock(&self, loc: Loc) -> Loc {
        match &loc {
            Loc::Instance { class, attr } => {
                let target = self
                    .class_stack
                    .iter()
                    .rev()
                    .find(|c| &c.qualname == class)
                    .and_then(|c| c.lock_aliases.get(attr));
                match target {
                    Some(t) => Loc::Instance {
                        class: class.clone(),
                        attr: t.clone(),
                    },
                    None => loc,
                }
            }
            Loc::Global(path) => {
                let name = path
                    .strip_prefix(self.module)
                    .and_then(|r| r.strip_prefix('.'));
                match name.and_then(|n| self.module_scope.lock_aliases.get(n)) {
                    Some(t) => Loc::Global(format!("{}.{t}", self.module)),
                    None => loc,
                }
            }
            _ => loc,
        }
    }

    /// `threading.Condition(<lock>)`: the expression of the lock it is built on. Also a
    /// condition made by a factory of the project (`_create_condition(self._lock)`, as
    /// pymongo wraps `Condition` to track its locks across `fork`): a function whose name
    /// says it makes a condition, given a lock as its first argument.
    fn condition_base<'e>(&self, value: &'e Expr) -> Option<&'e Expr> {
        let Expr::Call(call) = value else { return None };
        let path = self.module_path_of(&call.func)?;
        let base = call
            .arguments
            .args
            .first()
            .or_else(|| call.arguments.find_keyword("lock").map(|k| &k.value))?;
        if path.ends_with(".Condition") {
            return Some(base);
        }
        let function = path.rsplit('.').next().unwrap_or(&path);
        let names_a_lock = match base {
            Expr::Name(n) => looks_like_lock(n.id.as_str()),
            Expr::Attribute(a) => looks_like_lock(a.attr.id.as_str()),
            _ => false,
        };
        (contains_ignore_case(function, "condition") && !is_async_library(&path) && names_a_lock)
            .then_some(base)
    }

    fn is_local_name(&self, name: &str) -> bool {
        self.scopes
            .last()
            .is_some_and(|s| !s.is_module && s.locals.contains(name))
    }

    fn walk_with(&mut self, w: &'a ast::StmtWith) {
        let saved = self.scope().locks.clone();
        let mut executor_block = false;
        for item in &w.items {
            self.walk_expr(&item.context_expr);
            let holds = match &item.context_expr {
                Expr::Call(c) => self.path_of(&c.func).map(|p| self.classify_call(c, &p)),
                other => self.holds_of(other),
            };
            let executor = matches!(
                holds,
                Some(Holds::Executor | Holds::SerialExecutor | Holds::ThreadPool)
            );
            executor_block |= executor;
            // `async with` takes an asyncio (or anyio, trio) lock: it orders the coroutines
            // of one event loop, which runs in one thread, and excludes no other thread
            // (a `threading` lock cannot be used with `async with`). An executor's block
            // holds no lock either: leaving it waits for the tasks.
            let lock = if w.is_async || executor {
                None
            } else if let Some(lock) = self.lock_of(&item.context_expr) {
                self.func().acquires.push(lock.clone());
                Some(lock)
            } else {
                self.provided_lock(&item.context_expr)
            };
            if let Some(lock) = lock {
                self.scope().locks.push(lock);
            }
            if let Some(vars) = &item.optional_vars {
                self.walk_assign_target(vars, None);
                if let (Expr::Name(n), Some(h)) = (&**vars, holds) {
                    if matches!(
                        h,
                        Holds::Executor | Holds::SerialExecutor | Holds::ThreadPool
                    ) {
                        self.scope().holds.insert(n.id.as_str(), h);
                    }
                }
            }
        }
        let body = self.scope().next_block + 1;
        self.scope().unconditional.push(body);
        self.walk_body(&w.body);
        self.scope().locks = saved;
        if executor_block {
            let end = w.range.end();
            self.func().joins.push(end);
        }
    }

    /// Visits the sub-expressions of an assignment target that are read (`d[k]` reads `k`).
    fn walk_target_parts(&mut self, target: &'a Expr) {
        match target {
            Expr::Attribute(a) => self.walk_target_parts(&a.value),
            Expr::Subscript(s) => {
                self.walk_target_parts(&s.value);
                self.walk_expr(&s.slice);
            }
            Expr::Tuple(t) => t.elts.iter().for_each(|e| self.walk_target_parts(e)),
            Expr::List(l) => l.elts.iter().for_each(|e| self.walk_target_parts(e)),
            Expr::Starred(s) => self.walk_target_parts(&s.value),
            _ => {}
        }
    }

    fn walk_assign_target(&mut self, target: &'a Expr, value: Option<&'a Expr>) {
        match target {
            Expr::Tuple(t) => {
                for e in &t.elts {
                    self.walk_assign_target(e, None);
                }
                return;
            }
            Expr::List(l) => {
                for e in &l.elts {
                    self.walk_assign_target(e, None);
                }
                return;
            }
            Expr::Starred(s) => return self.walk_assign_target(&s.value, None),
            _ => {}
        }
        self.walk_target_parts(target);
        if let Expr::Name(n) = target {
            let id = n.id.as_str();
            let scope_is_local = self.is_local_name(id);
            if scope_is_local {
                // A local: remember what it holds, drop stale knowledge.
                let holds = value.and_then(|v| match v {
                    Expr::Call(c) => self
                        .path_of(&c.func)
                        .map(|p| self.classify_call(c, &p))
                        .or_else(|| self.is_thread_identity(v).then_some(Holds::ThreadId)),
                    _ => None,
                });
                let alias = value.and_then(|v| match v {
                    Expr::Name(_) | Expr::Attribute(_) => self
                        .loc_of(v)
                        .map(|loc| (loc, self.spelling(v).into_owned())),
                    _ => None,
                });
                let snapshot =
                    value.and_then(|v| self.snapshot_of(v).or_else(|| self.derived_snapshot(v)));
                let is_call = value.is_some_and(|v| made_of(v) == Made::Call);
                let list = value.and_then(|v| self.list_origin(v));
                let scope = self.scope();
                // Bound on several paths: a list of the one origin they share, if any.
                match (list, scope.lists.get(id)) {
                    (Some(new), Some(old)) if *old != new && *old != ListOrigin::New => {
                        if new != ListOrigin::New {
                            scope.lists.remove(id);
                        }
                    }
                    (Some(new), _) => {
                        scope.lists.insert(id, new);
                    }
                    (None, _) => {
                        scope.lists.remove(id);
                    }
                }
                let acquired = value.and_then(|v| self.acquire_call(v));
                if let Some(lock) = &acquired {
                    self.func().acquires.push(lock.clone());
                }
                let scope = self.scope();
                match acquired {
                    Some(lock) => scope.acquired_into.insert(id, lock),
                    None => scope.acquired_into.remove(id),
                };
                if is_call {
                    scope.built.insert(id);
                } else {
                    scope.built.remove(id);
                }
                match snapshot {
                    Some(snapshot) => scope.snapshots.insert(id, snapshot),
                    None => scope.snapshots.remove(id),
                };
                let innermost_loop = scope.loops.last().copied();
                scope.bound_in.insert(id, innermost_loop);
                match alias {
                    Some(alias) => scope.aliases.insert(id, alias),
                    None => scope.aliases.remove(id),
                };
                match holds {
                    Some(h) => scope.holds.insert(id, h),
                    None => scope.holds.remove(id),
                };
                return;
            }
        }
        let Some(loc) = self.loc_of(target) else {
            return;
        };
        if value.is_some_and(|v| self.same_value(v, target)) {
            // `self.x = self.x`, `self.x = cast(T, self.x)`: nothing changes, nothing is lost.
            return;
        }
        if matches!(value, Some(Expr::BooleanLiteral(b)) if b.value)
            && matches!(loc, Loc::Instance { .. } | Loc::Global(_))
        {
            self.note_closing(&loc, target.range());
        }
        let (kind, split) = match value {
            Some(v) if reads_target(v, target) => (AccessKind::ReadModifyWrite, None),
            Some(v) => match self.split_read(v, target, &loc) {
                Some(snap) => (AccessKind::ReadModifyWrite, Some(snap)),
                None => (AccessKind::Write, None),
            },
            None => (AccessKind::Write, None),
        };
        let made = value.map(|v| match v {
            Expr::Name(n)
                if self
                    .scopes
                    .last()
                    .is_some_and(|s| s.built.contains(n.id.as_str())) =>
            {
                Made::Call
            }
            other => made_of(other),
        });
        let recorded = self.scopes.last().map_or(0, |s| s.accesses.len());
        let new_list = matches!(kind, AccessKind::Write | AccessKind::ReadModifyWrite)
            && value
                .and_then(|v| self.list_origin(v))
                .is_some_and(|origin| match origin {
                    ListOrigin::New => true,
                    ListOrigin::SliceOf(of) => of == loc,
                });
        self.record_made(loc, kind, target, made, split.as_ref());
        if new_list {
            if let Some(access) = self.scope().accesses.get_mut(recorded) {
                access.new_list = true;
            }
        }
    }

    /// Where the list `value` is comes from, if it is one: made here ([`Self::is_new_list`]),
    /// a slice of some state (`self._items[1:]`), or a local holding either.
    fn list_origin(&self, value: &'a Expr) -> Option<ListOrigin> {
        match value {
            Expr::Name(n) => self.scopes.last()?.lists.get(n.id.as_str()).cloned(),
            Expr::Subscript(sub) if matches!(&*sub.slice, Expr::Slice(_)) => {
                self.loc_of(&sub.value).map(ListOrigin::SliceOf)
            }
            v => self.is_new_list(v).then_some(ListOrigin::New),
        }
    }

    /// Whether `value` makes a new list: a display, a comprehension, `list(...)`,
    /// `sorted(...)`, or a display repeated (`[None] * n`).
    fn is_new_list(&self, value: &Expr) -> bool {
        match value {
            Expr::List(_) | Expr::ListComp(_) => true,
            Expr::Call(c) => matches!(&*c.func, Expr::Name(n)
                if matches!(n.id.as_str(), "list" | "sorted")
                    && matches!(self.resolve_name(n.id.as_str()), NameRes::Unknown)),
            Expr::BinOp(b) if b.op == ruff_python_ast::Operator::Mult => {
                matches!(&*b.left, Expr::List(_)) || matches!(&*b.right, Expr::List(_))
            }
            _ => false,
        }
    }

    /// Whether `value` is `target` itself, as written or through `typing.cast(T, ...)`,
    /// which returns its argument.
    fn same_value(&self, value: &'a Expr, target: &Expr) -> bool {
        let mut value = value;
        while let Expr::Call(call) = value {
            let [_, inner] = &*call.arguments.args else {
                return false;
            };
            if !call.arguments.keywords.is_empty()
                || self.path_of(&call.func).as_deref() != Some("typing.cast")
            {
                return false;
            }
            value = inner;
        }
        same_outer_node(value, target)
            && ComparableExpr::from(value) == ComparableExpr::from(target)
    }

    /// A local computed from a snapshot in the same block carries it: `m = n + 1`.
    fn derived_snapshot(&self, value: &'a Expr) -> Option<Snapshot> {
        let scope = self.scopes.last()?;
        if scope.snapshots.is_empty() {
            return None;
        }
        let block = scope.blocks.last().copied()?;
        let mut names = Vec::new();
        collect_names(value, &mut names);
        names
            .into_iter()
            .find_map(|n| scope.snapshots.get(n).filter(|s| s.block == block).cloned())
    }

    /// A local assigned a value read from shared state: `n = self.n`, `n = len(self.items)`.
    fn snapshot_of(&self, value: &'a Expr) -> Option<Snapshot> {
        let read = match value {
            Expr::Call(c)
                if matches!(&*c.func, Expr::Name(n) if n.id.as_str() == "len")
                    && c.arguments.args.len() == 1 =>
            {
                &c.arguments.args[0]
            }
            other => other,
        };
        let (loc, key) = match read {
            Expr::Name(_) | Expr::Attribute(_) => (self.loc_of(read)?, None),
            // `rest = self.items[1:]`: a copy of the container, to be stored back.
            Expr::Subscript(sub) if matches!(&*sub.slice, Expr::Slice(_)) => {
                (self.loc_of(&sub.value)?, None)
            }
            Expr::Subscript(sub) => (self.loc_of(read)?, Some(sub.slice.range())),
            // `seen = d.get(k, 0)`: the item under `k`.
            Expr::Call(c) => {
                let Expr::Attribute(method) = &*c.func else {
                    return None;
                };
                let key = c.arguments.args.first()?;
                if method.attr.id.as_str() != "get"
                    || c.arguments.args.len() > 2
                    || !c.arguments.keywords.is_empty()
                    || !matches!(&*method.value, Expr::Name(_) | Expr::Attribute(_))
                {
                    return None;
                }
                let container = self.loc_of(&method.value)?;
                (Loc::Item(Box::new(container)), Some(key.range()))
            }
            _ => return None,
        };
        if !self.is_variable_path(&loc) {
            return None;
        }
        let scope = self.scopes.last()?;
        Some(Snapshot {
            loc,
            key,
            stmt: scope.stmt,
            block: scope.blocks.last().copied()?,
            locked: scope.locks.iter().any(crate::is_effective_lock),
        })
    }

    /// Whether a plain read recorded here would be used: it holds a lock (and stays in the
    /// summary), a test of shared state is open (the read may be its act), or it sits in a
    /// `try` body that catches `KeyError` (the read may be the test). Any other plain read
    /// would be dropped unused when the function is summarized, so it is not even located.
    fn reads_matter(&self) -> bool {
        self.scopes.last().is_some_and(|scope| {
            !scope.checks.is_empty()
                || scope.key_error_tries > 0
                || scope.locks.iter().any(crate::is_effective_lock)
        })
    }

    /// `flag = True` holding a lock (see [`crate::Closing`]), in code that runs whenever the
    /// function does: inside nothing but `with` blocks, so that everything after it in the
    /// function runs once it is set.
    fn note_closing(&mut self, flag: &Loc, at: TextRange) {
        let scope = self.scope();
        let always = scope
            .blocks
            .iter()
            .skip(1)
            .all(|b| scope.unconditional.contains(b));
        if !always {
            return;
        }
        let locks: Vec<HeldLock> = self
            .scope()
            .locks
            .iter()
            .filter(|l| crate::is_effective_lock(l))
            .cloned()
            .collect();
        if !locks.is_empty() {
            self.func().closings.push(crate::Closing {
                at,
                flag: flag.clone(),
                locks,
            });
        }
    }

    fn record(&mut self, loc: Loc, kind: AccessKind, target: &'a Expr) {
        self.record_made(loc, kind, target, None, None);
    }

    /// Records an access; `made` says how a written value was made, `split` is the read of a
    /// read-modify-write split over statements.
    fn record_made(
        &mut self,
        loc: Loc,
        kind: AccessKind,
        target: &'a Expr,
        made: Option<Made>,
        split: Option<&Snapshot>,
    ) {
        if self.is_owned_here(&loc) {
            return;
        }
        if kind.is_write() {
            self.note_gates(target.range());
        }
        self.note_act(&loc, kind, target.range(), made);
        if kind == AccessKind::Write && !matches!(loc, Loc::Item(_)) {
            // `items = self.items; self.items = []`: the local now holds a detached object.
            if let Some(scope) = self.scopes.last_mut() {
                scope.aliases.retain(|_, (aliased, _)| aliased != &loc);
            }
        }
        let scope = self.scopes.last().expect("scope");
        // A plain read without a lock is dropped when the function is summarized (see
        // `finish_scope`): until then only its range is used, so its text is not copied.
        let kept = kind != AccessKind::Read || scope.locks.iter().any(crate::is_effective_lock);
        let text = if kept {
            self.spelling(target).into_owned()
        } else {
            String::new()
        };
        let (stmt, second) = match split {
            Some(snap) => (
                TextRange::new(snap.stmt.start(), scope.stmt.end()),
                Some(snap.stmt),
            ),
            None => (scope.stmt, None),
        };
        let access = Access {
            loc,
            kind,
            new_list: false,
            range: target.range(),
            stmt,
            locks: scope.locks.clone(),
            text,
            second,
        };
        self.scope().accesses.push(access);
    }

    /// The read a written value relies on, when the read was made by an earlier statement of
    /// the same block, or of a block enclosing this one (`old = C.f` … `finally: C.f = old`),
    /// into a local, and neither holds a lock.
    ///
    /// An item read under one key and one written under another (`f = cache[base]` …
    /// `cache[kind] = f`) are different items: nothing written was read.
    fn split_read(&self, value: &'a Expr, target: &'a Expr, written: &Loc) -> Option<Snapshot> {
        let scope = self.scopes.last()?;
        if (scope.snapshots.is_empty() && scope.iterated.is_empty())
            || scope.locks.iter().any(crate::is_effective_lock)
        {
            return None;
        }
        // A list built here stored back over a container a loop here went through, with no
        // lock (`kept = []`, `for m in self._items: ... kept.append(m)`, `self._items = kept`):
        // what another thread added in between is lost.
        if let Expr::Name(n) = value {
            if scope.lists.get(n.id.as_str()) == Some(&ListOrigin::New) {
                let read = scope.iterated.iter().rev().find(|snap| {
                    snap.loc == *written && !snap.locked && scope.blocks.contains(&snap.block)
                });
                if let Some(read) = read {
                    return Some(read.clone());
                }
            }
        }
        let mut names = Vec::new();
        collect_names(value, &mut names);
        names.into_iter().find_map(|name| {
            let snap = scope.snapshots.get(name)?;
            let related = snap.loc == *written
                || (same_owner(&snap.loc, written) && updated_since(&scope.accesses, snap));
            let other_key = match (snap.key, target) {
                (Some(read), Expr::Subscript(sub)) => {
                    self.text(read) != self.text(sub.slice.range())
                }
                _ => false,
            };
            (scope.blocks.contains(&snap.block) && !snap.locked && related && !other_key)
                .then(|| snap.clone())
        })
    }

    // ----- expressions --------------------------------------------------------------------

    fn walk_expr(&mut self, expr: &'a Expr) {
        if self.depth > MAX_EXPR_DEPTH {
            return;
        }
        self.depth += 1;
        self.walk_expr_inner(expr);
        self.depth -= 1;
    }

    fn walk_expr_inner(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Call(call) => self.walk_call(call),
            // A plain local has no location: `loc_of` says so as cheaply as asking first.
            Expr::Name(_) | Expr::Attribute(_) | Expr::Subscript(_) => {
                if let Some(loc) = self.reads_matter().then(|| self.loc_of(expr)).flatten() {
                    if matches!(loc.root(), Loc::Global(_)) && !self.is_variable_path(&loc) {
                        // A function, class or module, not state.
                    } else {
                        self.record(loc, AccessKind::Read, expr);
                    }
                }
                match expr {
                    Expr::Attribute(a) if !is_pure_path(&a.value) => self.walk_expr(&a.value),
                    Expr::Subscript(s) => {
                        if !is_pure_path(&s.value) {
                            self.walk_expr(&s.value);
                        }
                        self.walk_expr(&s.slice);
                    }
                    _ => {}
                }
            }
            Expr::Lambda(l) => {
                self.summarize_lambda(l);
            }
            Expr::ListComp(c) => self.walk_comprehension(&c.generators, &[&c.elt]),
            Expr::SetComp(c) => self.walk_comprehension(&c.generators, &[&c.elt]),
            Expr::Generator(c) => self.walk_comprehension(&c.generators, &[&c.elt]),
            Expr::DictComp(c) => {
                let mut elts: Vec<&Expr> = vec![&c.value];
                if let Some(k) = &c.key {
                    elts.push(k);
                }
                self.walk_comprehension(&c.generators, &elts)
            }
            Expr::Yield(y) => {
                if let Some(v) = &y.value {
                    self.walk_expr(v);
                }
                self.note_yield();
            }
            Expr::Named(n) => {
                self.walk_expr(&n.value);
                self.walk_assign_target(&n.target, Some(&n.value));
            }
            _ => visitor::walk_expr(&mut ChildExprs(self), expr),
        }
    }

    /// The first `yield` of a `@contextmanager`: the locks held there are held by the body of
    /// a `with` on it.
    fn note_yield(&mut self) {
        let index = self.scopes.last().map_or(0, |s| s.index);
        let is_context_manager = self.functions[index]
            .decorators
            .iter()
            .any(|d| d.ends_with("contextmanager"));
        if !is_context_manager || !self.functions[index].provides_locks.is_empty() {
            return;
        }
        let held: Vec<HeldLock> = self
            .scope()
            .locks
            .iter()
            .filter(|l| crate::is_effective_lock(l))
            .cloned()
            .collect();
        self.functions[index].provides_locks = held;
    }

    /// Whether a global location is a variable (not a function, class or module path).
    fn is_variable_path(&self, loc: &Loc) -> bool {
        let Loc::Global(path) = loc.root() else {
            return true;
        };
        let Some(rest) = path
            .strip_prefix(self.module)
            .and_then(|r| r.strip_prefix('.'))
        else {
            // Another module's attribute: state only if it is not obviously a callable or module.
            let last = path.rsplit('.').next().unwrap_or_default();
            return !last.is_empty() && matches!(loc, Loc::Item(_))
                || path.contains('.') && is_state_like(last);
        };
        let first = rest.split('.').next().unwrap_or_default();
        if self.module_scope.variables.contains_key(first) {
            return true;
        }
        // A class attribute (`Class.count`) is state; the class itself is not.
        self.module_scope.defs.contains(first)
            && rest.contains('.')
            && is_state_like(rest.rsplit('.').next().unwrap_or_default())
    }

    fn walk_comprehension(&mut self, generators: &'a [ast::Comprehension], elts: &[&'a Expr]) {
        let mut bound = HashSet::default();
        let range = generators.first().map(|g| g.range).unwrap_or_default();
        for (i, g) in generators.iter().enumerate() {
            if i == 0 {
                self.walk_expr(&g.iter);
                self.note_iteration(&g.iter, g.range);
            }
            let mut names = Vec::new();
            bound_names(&g.target, &mut names);
            bound.extend(names);
            self.scope().comprehension.push(bound.clone());
            if i > 0 {
                self.walk_expr(&g.iter);
            }
            for cond in &g.ifs {
                self.walk_expr(cond);
            }
            self.scope().comprehension.pop();
        }
        self.scope().comprehension.push(bound);
        self.scope().loops.push(range);
        for e in elts {
            self.walk_expr(e);
        }
        self.scope().loops.pop();
        self.scope().comprehension.pop();
    }

    fn summarize_lambda(&mut self, l: &'a ast::ExprLambda) -> usize {
        let parent = self
            .scopes
            .last()
            .map(|s| s.qualname.clone())
            .unwrap_or_default();
        let parent = parent
            .strip_suffix(".<module>")
            .map(str::to_string)
            .unwrap_or(parent);
        let qualname = format!("{parent}.<lambda:{}>", u32::from(l.range.start()));
        let names: Vec<&'a str> = l
            .parameters
            .iter()
            .flat_map(|p| p.iter().map(|p| p.name().id.as_str()))
            .collect();
        let index = self.new_function(
            qualname.clone(),
            "<lambda>".into(),
            None,
            l.range,
            l.range,
            Vec::new(),
        );
        let mut scope = self.new_scope(index, qualname.clone(), None, None, None, names);
        scope.stmt = l.range;
        self.prefixes.push(qualname);
        // A lambda inherits the enclosing method's `self` as a capture.
        if let Some(outer) = self.scopes.last() {
            scope.self_name = outer.self_name;
            scope.class = outer.class;
        }
        self.scopes.push(scope);
        self.walk_expr(&l.body);
        self.finish_scope();
        index
    }

    fn walk_call(&mut self, call: &'a ast::ExprCall) {
        // The callee expression: its receiver may be state that is read.
        match &*call.func {
            Expr::Attribute(a) => {
                let method = a.attr.id.as_str();
                let mutator = MUTATORS.contains(&method);
                if !is_pure_path(&a.value) {
                    self.walk_expr(&a.value);
                    if mutator {
                        if let Some(loc) = self.loc_of(&a.value) {
                            if self.is_variable_path(&loc) {
                                self.record_mutation(loc, &a.value, method);
                            }
                        }
                    }
                } else if let Some(loc) = (mutator || self.reads_matter())
                    .then(|| self.loc_of(&a.value))
                    .flatten()
                {
                    // The receiver is read (as `walk_expr` would record it), then perhaps
                    // mutated: its location is worked out once for both.
                    let variable = self.is_variable_path(&loc);
                    if variable && mutator {
                        self.record(loc.clone(), AccessKind::Read, &a.value);
                        self.record_mutation(loc, &a.value, method);
                    } else if variable || !matches!(loc.root(), Loc::Global(_)) {
                        self.record(loc, AccessKind::Read, &a.value);
                    }
                }
            }
            Expr::Name(_) => {}
            other => self.walk_expr(other),
        }
        // A plain name called is resolved once, for the three questions below (walking the
        // arguments cannot change what it resolves to).
        let name_path: Option<(String, bool)> = match &*call.func {
            Expr::Name(n) => match self.resolve_name(n.id.as_str()) {
                NameRes::Path(p) => Some((p.to_owned(), true)),
                NameRes::Variable(p) => Some((p.to_owned(), false)),
                _ => None,
            },
            _ => None,
        };
        let name = name_path.as_ref().map(|(p, _)| p.as_str());
        let spawned = self.detect_spawn(call, name);
        if !self.scope().unstarted.is_empty() {
            self.note_start(call);
        }
        for (i, arg) in call.arguments.args.iter().enumerate() {
            if spawned == Some(ArgRole::Positional(i)) {
                continue;
            }
            self.walk_expr(arg);
        }
        for kw in &call.arguments.keywords {
            if spawned == Some(ArgRole::Keyword)
                && kw
                    .arg
                    .as_ref()
                    .is_some_and(|a| matches!(a.id.as_str(), "target" | "function"))
            {
                continue;
            }
            self.walk_expr(&kw.value);
        }
        self.detect_join(call, name);
        self.detect_list_rearranging(call, name);
        let callee = match &*call.func {
            // A module-level variable called is not a definition to link to.
            Expr::Name(_) => name_path
                .filter(|(_, is_path)| *is_path)
                .map(|(p, _)| (Callee::Path(p), Receiver::None)),
            func => self.callee_of(func),
        };
        if let Some((callee, receiver)) = callee {
            let next = self.callee_ids.len() as u32;
            let callee = *self.callee_ids.entry(callee).or_insert(next);
            let passes = self.passed_params(call);
            let scope = self.scopes.last().expect("scope");
            let index = scope.calls.len() as u32;
            let function = scope.index;
            let site = CallSite {
                callee,
                receiver,
                range: call.range(),
                stmt_start: scope.stmt.start(),
                locks: scope.locks.clone(),
                in_loop: !scope.loops.is_empty(),
            };
            self.scope().calls.push(site);
            self.functions[function]
                .passes
                .extend(passes.into_iter().map(|(slot, param)| (index, slot, param)));
            self.note_gates(call.range());
        }
    }

    /// The arguments of a call that are parameters of this function still holding what its
    /// caller passed (see [`FunctionSummary::passes`]).
    fn passed_params(&self, call: &'a ast::ExprCall) -> Vec<(ArgSlot, u32)> {
        let Some(scope) = self.scopes.last() else {
            return Vec::new();
        };
        if scope.params.is_empty() {
            return Vec::new();
        }
        let param = |arg: &Expr| match arg {
            Expr::Name(n) => {
                let id = n.id.as_str();
                let passed = scope.params.contains(id)
                    && scope.self_name != Some(id)
                    && scope.cls_name != Some(id)
                    && !scope.bound_in.contains_key(id)
                    && !scope.aliases.contains_key(id);
                passed
                    .then(|| scope.param_order.iter().position(|p| *p == id))
                    .flatten()
                    .map(|i| i as u32)
            }
            _ => None,
        };
        let mut out = Vec::new();
        for (i, arg) in call.arguments.args.iter().enumerate() {
            if matches!(arg, Expr::Starred(_)) {
                break;
            }
            if let Some(index) = param(arg) {
                out.push((ArgSlot::Positional(i as u32), index));
            }
        }
        for kw in &call.arguments.keywords {
            if let (Some(name), Some(index)) = (&kw.arg, param(&kw.value)) {
                out.push((ArgSlot::Keyword(name.id.as_str().to_owned()), index));
            }
        }
        out
    }

    /// `heapq.heappush(self.queue, item)` and the like: a read-modify-write of the items of
    /// the list passed first (see [`LIST_REARRANGERS`]). `name` is the path of a plain name
    /// called.
    fn detect_list_rearranging(&mut self, call: &'a ast::ExprCall, name: Option<&str>) {
        let path = match &*call.func {
            Expr::Name(_) => name.map(Cow::Borrowed),
            Expr::Attribute(a) if may_rearrange_list(a.attr.id.as_str()) => {
                self.path_of(&call.func)
            }
            _ => None,
        };
        if !path.is_some_and(|p| LIST_REARRANGERS.contains(&p.as_ref())) {
            return;
        }
        let Some(list) = call.arguments.args.first() else {
            return;
        };
        if let Some(loc) = self.loc_of(list) {
            if self.is_variable_path(&loc) {
                self.record(Loc::Item(Box::new(loc)), AccessKind::ReadModifyWrite, list);
            }
        }
    }

    fn record_mutation(&mut self, loc: Loc, container: &'a Expr, method: &str) {
        let item = Loc::Item(Box::new(loc));
        self.record(item, Self::mutation_kind(method), container);
    }

    /// What a call's function expression refers to.
    fn callee_of(&self, func: &'a Expr) -> Option<(Callee, Receiver)> {
        match func {
            Expr::Name(n) => match self.resolve_name(n.id.as_str()) {
                NameRes::Path(p) => Some((Callee::Path(p.to_string()), Receiver::None)),
                _ => None,
            },
            Expr::Attribute(a) => {
                let name = a.attr.id.as_str();
                if self.is_self(&a.value) {
                    let class = self.current_class()?;
                    return Some((
                        Callee::Method {
                            class: class.qualname.clone(),
                            name: name.to_owned(),
                        },
                        Receiver::SelfObject,
                    ));
                }
                if self.is_class_object(&a.value) {
                    let class = self.current_class()?;
                    return Some((
                        Callee::Method {
                            class: class.qualname.clone(),
                            name: name.to_owned(),
                        },
                        Receiver::None,
                    ));
                }
                // super().method(...)
                if let Expr::Call(c) = &*a.value {
                    if matches!(&*c.func, Expr::Name(n) if n.id.as_str() == "super") {
                        let base = self.current_class()?.first_base.clone()?;
                        return Some((
                            Callee::Method {
                                class: base,
                                name: name.to_owned(),
                            },
                            Receiver::SelfObject,
                        ));
                    }
                }
                match self.holds_of(&a.value) {
                    Some(Holds::Instance(class)) => {
                        let receiver = match &*a.value {
                            Expr::Name(n) if self.is_local_name(n.id.as_str()) => Receiver::Owned,
                            _ => Receiver::Shared,
                        };
                        return Some((
                            Callee::Method {
                                class,
                                name: name.to_owned(),
                            },
                            receiver,
                        ));
                    }
                    Some(_) => return None,
                    None => {}
                }
                match &*a.value {
                    Expr::Name(n) => match self.resolve_name(n.id.as_str()) {
                        NameRes::Path(p) => Some((Callee::Path(dotted(p, name)), Receiver::None)),
                        _ => None,
                    },
                    // `Class(...).method()`: a method of a fresh object.
                    Expr::Call(c) => {
                        let class = self.path_of(&c.func)?;
                        let last = class.rsplit('.').next().unwrap_or_default();
                        last.starts_with(|ch: char| ch.is_ascii_uppercase())
                            .then(|| {
                                (
                                    Callee::Method {
                                        class: class.into_owned(),
                                        name: name.to_owned(),
                                    },
                                    Receiver::Owned,
                                )
                            })
                    }
                    Expr::Attribute(_) => self
                        .path_of(&a.value)
                        .map(|p| (Callee::Path(dotted(&p, name)), Receiver::None)),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// Turns the callable handed to a thread into a callee.
    fn target_of(&mut self, expr: &'a Expr) -> Option<(Callee, Receiver)> {
        match expr {
            Expr::Lambda(l) => {
                let index = self.summarize_lambda(l);
                Some((Callee::Function(index), Receiver::None))
            }
            Expr::Call(c) => {
                let path = self.path_of(&c.func)?;
                if path == "functools.partial" {
                    let first = c.arguments.args.first()?;
                    for arg in c.arguments.args.iter().skip(1) {
                        self.walk_expr(arg);
                    }
                    return self.target_of(first);
                }
                None
            }
            Expr::Attribute(a) if !self.is_self(&a.value) => {
                let (callee, receiver) = self.callee_of(expr)?;
                // An object made fresh for each start is not shared between the threads.
                let receiver = match (&*a.value, receiver) {
                    (Expr::Name(n), Receiver::Owned)
                        if self.bound_in_current_loop(n.id.as_str()) =>
                    {
                        Receiver::Owned
                    }
                    (_, Receiver::Owned) => Receiver::Fresh,
                    (_, r) => r,
                };
                Some((callee, receiver))
            }
            other => self.callee_of(other),
        }
    }

    /// The shared objects a start passes to its target, by where they go: `args=(…)` and
    /// `kwargs={…}` of a `Thread` or `Timer`, the arguments after the callable of `submit`,
    /// `run_in_executor`, `to_thread` and `start_new_thread`, and `args` of a thread pool's
    /// `apply_async`.
    fn spawn_args(
        &self,
        kind: SpawnKind,
        method: Option<&str>,
        call: &'a ast::ExprCall,
        target: &'a Expr,
    ) -> Vec<(ArgSlot, Loc)> {
        let arguments = &call.arguments;
        let elements = |e: &'a Expr| -> &'a [Expr] {
            match e {
                Expr::Tuple(t) => &t.elts,
                Expr::List(l) => &l.elts,
                _ => &[],
            }
        };
        let keyword = |name: &str| arguments.find_keyword(name).map(|k| &k.value);
        let (positional, keywords): (&[Expr], Option<&Expr>) = match kind {
            SpawnKind::Thread | SpawnKind::Timer => (
                keyword("args")
                    .or_else(|| {
                        (kind == SpawnKind::Timer)
                            .then(|| arguments.args.get(2))
                            .flatten()
                    })
                    .map_or(&[], elements),
                keyword("kwargs"),
            ),
            SpawnKind::StartNewThread => (
                arguments.args.get(1).map_or(&[], elements),
                arguments.args.get(2),
            ),
            SpawnKind::Executor if method == Some("submit") => {
                (arguments.args.get(1..).unwrap_or(&[]), None)
            }
            SpawnKind::ToThread => (arguments.args.get(1..).unwrap_or(&[]), None),
            SpawnKind::RunInExecutor => (arguments.args.get(2..).unwrap_or(&[]), None),
            SpawnKind::ThreadPool if matches!(method, Some("apply_async" | "apply")) => (
                keyword("args")
                    .or_else(|| arguments.args.get(1))
                    .map_or(&[], elements),
                keyword("kwds").or_else(|| arguments.args.get(2)),
            ),
            _ => (&[], None),
        };
        let mut out = Vec::new();
        // `functools.partial(f, counts)` passes its own arguments first.
        let mut bound: &[Expr] = &[];
        if let Expr::Call(p) = target {
            if self.path_of(&p.func).as_deref() == Some("functools.partial") {
                bound = p.arguments.args.get(1..).unwrap_or(&[]);
                for kw in &p.arguments.keywords {
                    if let (Some(name), Some(loc)) = (&kw.arg, self.shared_arg(&kw.value)) {
                        out.push((ArgSlot::Keyword(name.id.as_str().to_owned()), loc));
                    }
                }
            }
        }
        for (i, arg) in bound.iter().chain(positional).enumerate() {
            if let Some(loc) = self.shared_arg(arg) {
                out.push((ArgSlot::Positional(i as u32), loc));
            }
        }
        // Keywords of the call itself go to the target too (`submit(f, x=counts)`).
        let direct = matches!(
            kind,
            SpawnKind::Executor | SpawnKind::ToThread | SpawnKind::RunInExecutor
        );
        if direct {
            for kw in &arguments.keywords {
                if let (Some(name), Some(loc)) = (&kw.arg, self.shared_arg(&kw.value)) {
                    out.push((ArgSlot::Keyword(name.id.as_str().to_owned()), loc));
                }
            }
        }
        if let Some(Expr::Dict(d)) = keywords {
            for item in &d.items {
                if let (Some(Expr::StringLiteral(key)), Some(loc)) =
                    (&item.key, self.shared_arg(&item.value))
                {
                    out.push((ArgSlot::Keyword(key.value.to_str().to_owned()), loc));
                }
            }
        }
        out
    }

    /// The state an argument of a start is, when the started thread shares it: a module
    /// global, an attribute, or a local of the starting function (every thread of the start
    /// receives the same object; one made in the loop that starts the threads is marked as
    /// that iteration's).
    fn shared_arg(&self, arg: &'a Expr) -> Option<Loc> {
        if let Expr::Name(n) = arg {
            let id = n.id.as_str();
            let scope = self.scopes.last()?;
            // A comprehension's variable is a new element in each iteration (`[submit(build,
            // ext) for ext in exts]`), even where it shadows a local of the function.
            if scope.comprehension.iter().any(|bound| bound.contains(id)) {
                let each = scope.loops.last()?;
                return (!scope.is_module).then(|| Loc::Captured {
                    function: scope.qualname.clone(),
                    name: format!("{id}{}{}", crate::PER_ITERATION, u32::from(each.start())),
                });
            }
            if self.is_local_name(id) {
                let scope = self.scopes.last()?;
                // Locks, executors, thread-locals and thread identities are no state.
                let special = scope
                    .holds
                    .get(id)
                    .is_some_and(|h| !matches!(h, Holds::Instance(_) | Holds::Other));
                if scope.params.contains(id) || special || scope.self_name == Some(id) {
                    return None;
                }
                // An object made in the loop that starts the threads belongs to one
                // iteration: the threads started in that iteration share it, not those of
                // the next (see [`crate::per_iteration`]).
                let name = match (self.bound_in_current_loop(id), scope.loops.last()) {
                    (true, Some(each)) => {
                        format!("{id}{}{}", crate::PER_ITERATION, u32::from(each.start()))
                    }
                    _ => id.to_owned(),
                };
                return Some(Loc::Captured {
                    function: scope.qualname.clone(),
                    name,
                });
            }
        }
        let loc = self.loc_of(arg)?;
        (matches!(
            loc.root(),
            Loc::Global(_) | Loc::Instance { .. } | Loc::Captured { .. }
        ) && self.is_variable_path(&loc))
        .then_some(loc)
    }

    /// Whether a local was bound in the innermost loop around this point, so that each
    /// iteration has its own object.
    fn bound_in_current_loop(&self, name: &str) -> bool {
        let Some(scope) = self.scopes.last() else {
            return false;
        };
        match (scope.bound_in.get(name), scope.loops.last()) {
            (Some(Some(bound)), Some(current)) => bound == current,
            (_, None) => true,
            _ => false,
        }
    }

    /// `name_path` is what the called expression resolves to when it is a plain name.
    fn detect_spawn(
        &mut self,
        call: &'a ast::ExprCall,
        name_path: Option<&str>,
    ) -> Option<ArgRole> {
        let args = &call.arguments;
        let keyword = |name: &str| {
            args.keywords
                .iter()
                .find(|k| k.arg.as_ref().is_some_and(|a| a.id.as_str() == name))
        };
        let path = match &*call.func {
            // The path of `x.attr` ends with `attr`: when none of the paths looked for below
            // can end that way, the receiver is not resolved at all (most method calls).
            Expr::Attribute(a) if !self.spawn_path_may_end_with(a.attr.id.as_str()) => None,
            Expr::Name(_) => name_path.map(Cow::Borrowed),
            func => self.path_of(func),
        };
        // Only a constructor named like a server can start one (see `detect_server`).
        let server = path
            .as_deref()
            .filter(|p| p.rsplit('.').next().is_some_and(|n| n.contains("Server")))
            .map(str::to_owned);
        let method = match &*call.func {
            Expr::Attribute(a) => Some(a.attr.id.as_str()),
            _ => None,
        };
        // Set for a task given to an executor of one worker.
        let mut serial = false;
        let (kind, target, role): (SpawnKind, &Expr, ArgRole) = match (path.as_deref(), method) {
            (Some("threading.Thread"), _) => {
                if let Some(k) = keyword("target") {
                    (SpawnKind::Thread, &k.value, ArgRole::Keyword)
                } else if args.args.len() >= 2 {
                    (SpawnKind::Thread, &args.args[1], ArgRole::Positional(1))
                } else {
                    return None;
                }
            }
            (Some("threading.Timer"), _) => {
                if let Some(k) = keyword("function") {
                    (SpawnKind::Timer, &k.value, ArgRole::Keyword)
                } else if args.args.len() >= 2 {
                    (SpawnKind::Timer, &args.args[1], ArgRole::Positional(1))
                } else {
                    return None;
                }
            }
            (
                Some("_thread.start_new_thread" | "_thread.start_new" | "thread.start_new_thread"),
                _,
            ) => (
                SpawnKind::StartNewThread,
                args.args.first()?,
                ArgRole::Positional(0),
            ),
            (Some("asyncio.to_thread" | "asyncio.threads.to_thread"), _) => (
                SpawnKind::ToThread,
                args.args.first()?,
                ArgRole::Positional(0),
            ),
            (Some(p), _) if self.options.thread_entry_points.iter().any(|e| e == p) => (
                SpawnKind::Configured,
                args.args.first()?,
                ArgRole::Positional(0),
            ),
            (_, Some("run_in_executor")) => (
                SpawnKind::RunInExecutor,
                args.args.get(1)?,
                ArgRole::Positional(1),
            ),
            (_, Some(m)) if m == "submit" || m == "map" || POOL_METHODS.contains(&m) => {
                let Expr::Attribute(a) = &*call.func else {
                    return None;
                };
                let holds = self.holds_of(&a.value);
                let receiver_name = match &*a.value {
                    Expr::Name(n) => n.id.as_str(),
                    Expr::Attribute(inner) => inner.attr.id.as_str(),
                    _ => "",
                };
                let ends_with_pool = receiver_name.len() >= 4
                    && receiver_name.as_bytes()[receiver_name.len() - 4..]
                        .eq_ignore_ascii_case(b"pool");
                let known_executor = matches!(holds, Some(Holds::Executor | Holds::SerialExecutor));
                serial = matches!(holds, Some(Holds::SerialExecutor));
                let executor_like = known_executor
                    || (holds.is_none()
                        && (contains_ignore_case(receiver_name, "executor") || ends_with_pool));
                if executor_like && (m == "submit" || (m == "map" && known_executor)) {
                    (
                        SpawnKind::Executor,
                        args.args.first()?,
                        ArgRole::Positional(0),
                    )
                } else if matches!(holds, Some(Holds::ThreadPool)) && POOL_METHODS.contains(&m) {
                    (
                        SpawnKind::ThreadPool,
                        args.args.first()?,
                        ArgRole::Positional(0),
                    )
                } else {
                    return self.detect_server(call, server);
                }
            }
            _ => return self.detect_server(call, server),
        };
        // The shortcut at the top skips resolving `x.attr(...)` unless `attr` can end one of
        // these paths: an arm added above must be listed there too.
        debug_assert!(
            !matches!(
                kind,
                SpawnKind::Thread
                    | SpawnKind::Timer
                    | SpawnKind::StartNewThread
                    | SpawnKind::ToThread
            ) || path
                .as_deref()
                .is_some_and(|p| THREAD_START_PATHS.contains(&p)),
            "{path:?} starts a thread but is missing from THREAD_START_PATHS"
        );
        let (callee, receiver) = self.target_of(target)?;
        let args = self.spawn_args(kind, method, call, target);
        let scope = self.scopes.last().expect("scope");
        let spawn = Spawn {
            kind,
            target: callee,
            receiver,
            range: call.range(),
            stmt_start: scope.stmt.start(),
            repeated: !scope.loops.is_empty(),
            serial,
            args,
        };
        self.func().spawns.push(spawn);
        Some(role)
    }

    /// Whether a path [`Summarizer::detect_spawn`] looks for (a thread start, a configured
    /// entry point, a server) can end with `last`.
    fn spawn_path_may_end_with(&self, last: &str) -> bool {
        ends_a_thread_start_path(last)
            || last.contains("Server")
            || self
                .options
                .thread_entry_points
                .iter()
                .any(|e| e.rsplit('.').next() == Some(last))
    }

    /// `SomeServer(address, Handler)`: remembered so the linker can tell whether the server
    /// handles requests in threads.
    /// `server` is the constructor's path, given only when its last part names a server.
    fn detect_server(
        &mut self,
        call: &'a ast::ExprCall,
        server: Option<String>,
    ) -> Option<ArgRole> {
        let server = server?;
        let handler = call
            .arguments
            .keywords
            .iter()
            .find(|k| {
                k.arg
                    .as_ref()
                    .is_some_and(|a| a.id.as_str() == "RequestHandlerClass")
            })
            .map(|k| &k.value)
            .or_else(|| call.arguments.args.get(1))?;
        let handler = self.path_of(handler)?.into_owned();
        self.func().servers.push(ServerCall {
            server,
            handler,
            range: call.range(),
        });
        None
    }

    /// After `target = value` whose value made a thread (the one spawn recorded since there
    /// were `spawns`): the thread starts at `target.start()`, if this function calls it.
    fn bind_unstarted(&mut self, target: &'a Expr, value: &'a Expr, spawns: usize) {
        let Expr::Call(call) = value else {
            return;
        };
        if !matches!(target, Expr::Name(_) | Expr::Attribute(_)) {
            return;
        }
        let made = self.func().spawns.get(spawns).is_some_and(|spawn| {
            spawn.range == call.range()
                && matches!(spawn.kind, SpawnKind::Thread | SpawnKind::Timer)
        });
        if made && self.func().spawns.len() == spawns + 1 {
            let name = self.text(target.range());
            let scope = self.scope();
            scope.unstarted.retain(|(n, _, _)| *n != name);
            scope.unstarted.push((name, spawns, None));
        }
    }

    /// `t.start()` of a thread made earlier in the function: the thread runs from here, so
    /// what the function does before it does not overlap the thread. A call that passes the
    /// thread on (`threads.append(t)`, `register(t)`) or calls a method of `self` may start
    /// it too: the thread runs from the first of those, if `t.start()` never comes.
    fn note_start(&mut self, call: &'a ast::ExprCall) {
        let here = self
            .scopes
            .last()
            .map_or(TextSize::default(), |s| s.stmt.start());
        let hands_on = match &*call.func {
            Expr::Attribute(a) => self.is_self(&a.value),
            _ => false,
        };
        let passed: Vec<&'a str> = call
            .arguments
            .args
            .iter()
            .map(|arg| self.text(arg.range()))
            .collect();
        for (name, _, handoff) in self.scope().unstarted.iter_mut() {
            if handoff.is_none() && (hands_on || passed.contains(name)) {
                *handoff = Some(here);
            }
        }
        let Expr::Attribute(a) = &*call.func else {
            return;
        };
        if a.attr.id.as_str() != "start" || !call.arguments.is_empty() {
            return;
        }
        let name = self.text(a.value.range());
        let scope = self.scope();
        let Some(at) = scope.unstarted.iter().position(|(n, _, _)| *n == name) else {
            return;
        };
        let (_, spawn, _) = scope.unstarted.remove(at);
        if let Some(spawn) = self.func().spawns.get_mut(spawn) {
            spawn.stmt_start = spawn.stmt_start.max(here);
        }
    }

    /// `name_path` is what the called expression resolves to when it is a plain name.
    fn detect_join(&mut self, call: &'a ast::ExprCall, name_path: Option<&str>) {
        let Expr::Attribute(a) = &*call.func else {
            // Only a plain name can resolve to a path here (`path_of` of anything else that
            // is not an attribute is nothing).
            if let Some(p) = name_path {
                if p == "concurrent.futures.wait" {
                    let end = self
                        .scopes
                        .last()
                        .map_or(call.range().end(), |s| s.stmt.end());
                    self.func().joins.push(end);
                }
            }
            return;
        };
        let is_join = match a.attr.id.as_str() {
            // `t.join()` / `t.join(timeout)`, not `", ".join(parts)`.
            "join" => {
                !matches!(&*a.value, Expr::StringLiteral(_))
                    && (call.arguments.args.is_empty()
                        || matches!(call.arguments.args.first(), Some(Expr::NumberLiteral(_))))
            }
            "shutdown" => true,
            _ => false,
        };
        if is_join {
            let scope = self.scopes.last().expect("scope");
            let end = scope.stmt.end();
            let in_loop = scope.loops.last().copied();
            self.func().joins.push(end);
            // A thread joined in the same loop that starts it runs one at a time.
            if let Some(loop_range) = in_loop {
                let f = self.func();
                for spawn in f.spawns.iter_mut() {
                    if loop_range.contains_range(spawn.range) && spawn.range.end() <= end {
                        spawn.repeated = false;
                    }
                }
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ArgRole {
    Positional(usize),
    Keyword,
}

/// Hands each direct child expression of an expression to the summarizer's walk.
struct ChildExprs<'s, 'a>(&'s mut Summarizer<'a>);

impl<'a> Visitor<'a> for ChildExprs<'_, 'a> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        self.0.walk_expr(expr);
    }
    fn visit_stmt(&mut self, _stmt: &'a Stmt) {}
}

/// Finds `self.X = <value>` anywhere in a method body.
struct SelfAssignFinder<'s, 'a> {
    self_name: &'s str,
    found: Vec<(String, &'a Expr, TextRange)>,
}

impl<'a> Visitor<'a> for SelfAssignFinder<'_, 'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        let (targets, value): (Vec<&Expr>, Option<&Expr>) = match stmt {
            Stmt::Assign(a) => (a.targets.iter().collect(), Some(&a.value)),
            Stmt::AnnAssign(a) => (vec![&a.target], a.value.as_deref()),
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => return,
            _ => (Vec::new(), None),
        };
        if let Some(value) = value {
            for t in targets {
                if let Expr::Attribute(attr) = t {
                    if matches!(&*attr.value, Expr::Name(n) if n.id.as_str() == self.self_name) {
                        self.found
                            .push((attr.attr.id.as_str().to_owned(), value, attr.range));
                    }
                }
            }
        }
        visitor::walk_stmt(self, stmt);
    }
    fn visit_expr(&mut self, _expr: &'a Expr) {}
}

/// Marks every name a function body binds as local (Python decides scope per function).
///
/// Only an assignment expression (`:=`) binds a name inside an expression, so an expression
/// is searched only when one of the `walrus` offsets (sorted) lies in it.
fn declare_locals<'a>(body: &'a [Stmt], scope: &mut FnScope<'a>, walrus: &[TextSize]) {
    struct Binder<'s, 'a> {
        locals: &'s mut HashSet<&'a str>,
        globals: HashSet<&'a str>,
        nonlocals: HashSet<&'a str>,
        walrus: &'s [TextSize],
    }
    impl<'a> Binder<'_, 'a> {
        fn bind(&mut self, name: &'a str) {
            self.locals.insert(name);
        }

        /// Whether one of the `:=` offsets lies in `range`.
        fn walrus_in(&self, range: TextRange) -> bool {
            let first_after = self.walrus.partition_point(|w| *w < range.start());
            self.walrus
                .get(first_after)
                .is_some_and(|w| *w < range.end())
        }
    }
    impl<'a> Visitor<'a> for Binder<'_, 'a> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            let mut names: Vec<&'a str> = Vec::new();
            match stmt {
                Stmt::FunctionDef(f) => {
                    self.bind(f.name.id.as_str());
                    return;
                }
                Stmt::ClassDef(c) => {
                    self.bind(c.name.id.as_str());
                    return;
                }
                Stmt::Global(g) => self.globals.extend(g.names.iter().map(|n| n.id.as_str())),
                Stmt::Nonlocal(n) => self.nonlocals.extend(n.names.iter().map(|n| n.id.as_str())),
                Stmt::Assign(a) => a.targets.iter().for_each(|t| bound_names(t, &mut names)),
                Stmt::AnnAssign(a) => bound_names(&a.target, &mut names),
                Stmt::AugAssign(a) => bound_names(&a.target, &mut names),
                Stmt::For(f) => bound_names(&f.target, &mut names),
                Stmt::With(w) => {
                    for item in &w.items {
                        if let Some(v) = &item.optional_vars {
                            bound_names(v, &mut names);
                        }
                    }
                }
                Stmt::Import(_) | Stmt::ImportFrom(_) => {}
                Stmt::Delete(d) => d.targets.iter().for_each(|t| bound_names(t, &mut names)),
                Stmt::Try(t) => {
                    for ast::ExceptHandler::ExceptHandler(h) in &t.handlers {
                        if let Some(n) = &h.name {
                            self.bind(n.id.as_str());
                        }
                    }
                }
                _ => {}
            }
            if let Stmt::Import(i) = stmt {
                for alias in &i.names {
                    let local = match &alias.asname {
                        Some(a) => a.id.as_str(),
                        None => alias.name.id.split('.').next().unwrap_or_default(),
                    };
                    self.bind(local);
                }
            }
            if let Stmt::ImportFrom(i) = stmt {
                for alias in &i.names {
                    self.bind(alias.asname.as_ref().unwrap_or(&alias.name).id.as_str());
                }
            }
            for n in names {
                self.bind(n);
            }
            // A simple statement holds no statements: only a `:=` in its expressions could
            // bind more.
            if is_compound(stmt) || self.walrus_in(stmt.range()) {
                visitor::walk_stmt(self, stmt);
            }
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            if !self.walrus_in(expr.range()) {
                return;
            }
            match expr {
                Expr::Named(n) => {
                    let mut names: Vec<&'a str> = Vec::new();
                    bound_names(&n.target, &mut names);
                    for n in names {
                        self.bind(n);
                    }
                    visitor::walk_expr(self, expr);
                }
                Expr::Lambda(_)
                | Expr::ListComp(_)
                | Expr::SetComp(_)
                | Expr::DictComp(_)
                | Expr::Generator(_) => {
                    // Their own scopes (walrus inside still binds here, but that is rare).
                }
                _ => visitor::walk_expr(self, expr),
            }
        }
    }
    let mut binder = Binder {
        locals: &mut scope.locals,
        globals: HashSet::default(),
        nonlocals: HashSet::default(),
        walrus,
    };
    binder.visit_body(body);
    let (globals, nonlocals) = (binder.globals, binder.nonlocals);
    for g in &globals {
        scope.locals.remove(g);
    }
    for n in &nonlocals {
        scope.locals.remove(n);
    }
    scope.globals = globals;
    scope.nonlocals = nonlocals;
}

/// Names bound by an assignment target, borrowed from it.
fn bound_names<'e>(target: &'e Expr, out: &mut Vec<&'e str>) {
    match target {
        Expr::Name(n) => out.push(n.id.as_str()),
        Expr::Tuple(t) => t.elts.iter().for_each(|e| bound_names(e, out)),
        Expr::List(l) => l.elts.iter().for_each(|e| bound_names(e, out)),
        Expr::Starred(s) => bound_names(&s.value, out),
        _ => {}
    }
}

/// Names bound by an assignment target, with their ranges.
fn collect_bound_names(target: &Expr, out: &mut Vec<(String, TextRange)>) {
    match target {
        Expr::Name(n) => out.push((n.id.as_str().to_owned(), n.range)),
        Expr::Tuple(t) => t.elts.iter().for_each(|e| collect_bound_names(e, out)),
        Expr::List(l) => l.elts.iter().for_each(|e| collect_bound_names(e, out)),
        Expr::Starred(s) => collect_bound_names(&s.value, out),
        _ => {}
    }
}

/// `a`, `a.b.c`: no calls or subscripts, nothing else to visit inside.
fn is_pure_path(expr: &Expr) -> bool {
    match expr {
        Expr::Name(_) => true,
        Expr::Attribute(a) => is_pure_path(&a.value),
        _ => false,
    }
}

/// A lowercase or `_`-prefixed name looks like data; CapWords and dunders look like types.
fn is_state_like(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with("__")
        && !name.starts_with(|c: char| c.is_ascii_uppercase())
}

/// Whether a `break` in a loop's body can leave that loop (one in a nested loop or
/// function leaves only that).
fn breaks_out(body: &[Stmt]) -> bool {
    body.iter().any(|stmt| match stmt {
        Stmt::Break(_) => true,
        Stmt::If(i) => {
            breaks_out(&i.body) || i.elif_else_clauses.iter().any(|c| breaks_out(&c.body))
        }
        Stmt::With(w) => breaks_out(&w.body),
        Stmt::Try(t) => {
            breaks_out(&t.body)
                || breaks_out(&t.orelse)
                || breaks_out(&t.finalbody)
                || t.handlers.iter().any(|h| {
                    let ast::ExceptHandler::ExceptHandler(h) = h;
                    breaks_out(&h.body)
                })
        }
        Stmt::Match(m) => m.cases.iter().any(|c| breaks_out(&c.body)),
        // A loop's `else` runs once the loop is done: a `break` there leaves the outer one.
        Stmt::For(f) => breaks_out(&f.orelse),
        Stmt::While(w) => breaks_out(&w.orelse),
        _ => false,
    })
}

fn is_compound(stmt: &Stmt) -> bool {
    matches!(
        stmt,
        Stmt::If(_)
            | Stmt::For(_)
            | Stmt::While(_)
            | Stmt::With(_)
            | Stmt::Try(_)
            | Stmt::Match(_)
            | Stmt::FunctionDef(_)
            | Stmt::ClassDef(_)
    )
}

/// The header of a compound statement: from its keyword to the end of its first line.
fn header_range(stmt: &Stmt) -> TextRange {
    let end = match stmt {
        Stmt::If(i) => i.test.range().end(),
        Stmt::While(w) => w.test.range().end(),
        Stmt::For(f) => f.iter.range().end(),
        Stmt::With(w) => w.items.last().map_or(w.range.start(), |i| i.range.end()),
        Stmt::Match(m) => m.subject.range().end(),
        _ => stmt.range().start(),
    };
    TextRange::new(stmt.range().start(), end.max(stmt.range().start()))
}

/// Whether `value` reads the location `target` writes: `x + 1` for `x`, `d.get(k, 0) + 1`
/// for `d[k]`, `max(self.n, v)` for `self.n`.
/// Whether two expressions may be the same, by their outermost node: building the
/// comparable form that tells for sure allocates, and this rules out nearly every pair.
fn same_outer_node(a: &Expr, b: &Expr) -> bool {
    match (a, b) {
        (Expr::Name(a), Expr::Name(b)) => a.id == b.id,
        (Expr::Attribute(a), Expr::Attribute(b)) => a.attr.id == b.attr.id,
        (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
    }
}

fn reads_target(value: &Expr, target: &Expr) -> bool {
    /// An expression to look for: as written, and in the form that ignores formatting.
    struct Wanted<'t>(&'t Expr, ComparableExpr<'t>);
    impl Wanted<'_> {
        fn matches(&self, expr: &Expr) -> bool {
            same_outer_node(self.0, expr) && ComparableExpr::from(expr) == self.1
        }
    }
    struct Finder<'t> {
        target: Wanted<'t>,
        subscript: Option<(Wanted<'t>, Wanted<'t>)>,
        found: bool,
        depth: usize,
    }
    impl<'a> Visitor<'a> for Finder<'_> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if self.found || self.depth > MAX_EXPR_DEPTH {
                return;
            }
            if self.target.matches(expr) {
                self.found = true;
                return;
            }
            if let (Some((base, key)), Expr::Call(call)) = (&self.subscript, expr) {
                if let Expr::Attribute(a) = &*call.func {
                    if matches!(a.attr.id.as_str(), "get" | "setdefault" | "pop")
                        && base.matches(&a.value)
                        && call.arguments.args.first().is_some_and(|k| key.matches(k))
                    {
                        self.found = true;
                        return;
                    }
                }
            }
            if matches!(expr, Expr::Lambda(_)) {
                return;
            }
            self.depth += 1;
            visitor::walk_expr(self, expr);
            self.depth -= 1;
        }
    }
    fn wanted(e: &Expr) -> Wanted<'_> {
        Wanted(e, ComparableExpr::from(e))
    }
    let subscript = match target {
        Expr::Subscript(s) => Some((wanted(&s.value), wanted(&s.slice))),
        _ => None,
    };
    let mut finder = Finder {
        target: wanted(target),
        subscript,
        found: false,
        depth: 0,
    };
    finder.visit_expr(value);
    finder.found
}

/// Names read anywhere in an expression.
fn collect_names<'e>(expr: &'e Expr, out: &mut Vec<&'e str>) {
    struct Names<'o, 'e>(&'o mut Vec<&'e str>);
    impl<'e> Visitor<'e> for Names<'_, 'e> {
        fn visit_expr(&mut self, expr: &'e Expr) {
            if let Expr::Name(n) = expr {
                self.0.push(n.id.as_str());
            }
            if !matches!(expr, Expr::Lambda(_)) {
                visitor::walk_expr(self, expr);
            }
        }
    }
    Names(out).visit_expr(expr);
}

/// Whether a write to `written` can lose an update made to `read` (the same state, or a
/// sibling attribute of the same object or module kept in step with it).
fn same_owner(read: &Loc, written: &Loc) -> bool {
    if read == written {
        return true;
    }
    match (read.root(), written.root()) {
        (Loc::Instance { class: a, .. }, Loc::Instance { class: b, .. }) => a == b,
        (Loc::Global(a), Loc::Global(b)) => {
            a.rsplit_once('.').map(|x| x.0) == b.rsplit_once('.').map(|x| x.0)
        }
        _ => false,
    }
}

/// Whether the function changed the state a snapshot was read from after reading it
/// (`n = len(self.items)` … `self.items.append(x)`): only then is a sibling written from
/// the snapshot (`self.count = n + 1`) kept in step with it. A local read from an attribute
/// the function leaves alone (`pool = self._pool`) says nothing about a sibling.
fn updated_since(accesses: &[Access], snap: &Snapshot) -> bool {
    accesses.iter().any(|a| {
        a.kind.is_write() && a.range.start() >= snap.stmt.end() && a.loc.root() == snap.loc.root()
    })
}

/// Whether a statement calls the function named `name` directly: `return name(...)`,
/// `name(...)`, `result = name(...)`.
fn calls_name(stmt: &Stmt, name: &str) -> bool {
    let value = match stmt {
        Stmt::Return(r) => r.value.as_deref(),
        Stmt::Expr(e) => Some(&*e.value),
        Stmt::Assign(a) => Some(&*a.value),
        _ => None,
    };
    matches!(value, Some(Expr::Call(c)) if matches!(&*c.func, Expr::Name(n) if n.id.as_str() == name))
}

/// The locks of `now` that `before` did not hold.
fn extra_locks(now: &[HeldLock], before: &[HeldLock]) -> Vec<HeldLock> {
    now.iter()
        .filter(|l| !before.iter().any(|b| b.loc == l.loc))
        .cloned()
        .collect()
}

/// What a method is to a property of its class.
enum PropertyRole<'a> {
    /// `@property`: the attribute path of `self` it returns, if that is all it does.
    Getter(Option<String>),
    /// `@name.setter`: the attribute path of `self` its one assignment stores into, if it
    /// makes one and only one (what it stores is not looked at).
    Setter(&'a str, Option<String>),
}

fn property_role<'a>(f: &'a ast::StmtFunctionDef, self_name: &str) -> Option<PropertyRole<'a>> {
    let body = match f.body.as_slice() {
        [Stmt::Expr(e), rest @ ..] if matches!(&*e.value, Expr::StringLiteral(_)) => rest,
        body => body,
    };
    for d in &f.decorator_list {
        match &d.expression {
            Expr::Name(n) if n.id.as_str() == "property" => {
                let path = match body {
                    [Stmt::Return(ast::StmtReturn {
                        value: Some(value), ..
                    })] => self_path(value, self_name),
                    _ => None,
                };
                return Some(PropertyRole::Getter(path));
            }
            Expr::Attribute(a) if a.attr.id.as_str() == "setter" => {
                let Expr::Name(property) = &*a.value else {
                    return None;
                };
                let mut stored = body.iter().filter_map(|stmt| match stmt {
                    Stmt::Assign(assign) => match assign.targets.as_slice() {
                        [target] => Some(self_path(target, self_name)),
                        _ => Some(None),
                    },
                    _ => None,
                });
                let path = match (stored.next(), stored.next()) {
                    (Some(path), None) => path,
                    _ => None,
                };
                return Some(PropertyRole::Setter(property.id.as_str(), path));
            }
            _ => {}
        }
    }
    None
}

/// `self.a.b` as `a.b`, when `self` is the method's first parameter.
fn self_path(expr: &Expr, self_name: &str) -> Option<String> {
    match expr {
        Expr::Attribute(a) => match &*a.value {
            Expr::Name(n) if n.id.as_str() == self_name => Some(a.attr.id.as_str().to_owned()),
            inner => Some(dotted(&self_path(inner, self_name)?, a.attr.id.as_str())),
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_thread_start_path_ends_in_a_recognized_name() {
        for path in THREAD_START_PATHS {
            let last = path.rsplit('.').next().unwrap_or(path);
            assert!(ends_a_thread_start_path(last), "{path}");
        }
        assert!(!ends_a_thread_start_path("append"));
    }
}

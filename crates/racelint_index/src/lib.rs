//! Parse one Python file and reduce it to a [`ModuleSummary`]: its imports, definitions,
//! thread starts, call sites, and every access to possibly-shared state together with the
//! locks held at that point. No syntax tree outlives [`summarize`]; everything later in the
//! pipeline works on summaries only.

pub mod fxhash;
mod guard;
mod known;
mod summarize;

use std::fmt;
use std::path::PathBuf;

pub use guard::{prescan, InputProblem, MAX_FILE_BYTES, MAX_NESTING};
pub use known::{is_lock_factory, is_thread_local_factory, SpawnKind};
pub use ruff_source_file::LineIndex;
pub use ruff_text_size::{TextRange, TextSize};
pub use summarize::{summarize, Options};

/// An abstract memory location that several threads might share.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Loc {
    /// A dotted path starting at a module: a module global (`app.counter`), an attribute of an
    /// object held in one (`app.stats.hits`) or a class attribute (`app.Stats.total`). The
    /// linker canonicalizes the path through imports and re-exports.
    Global(String),
    /// An attribute of `self` (`attr` may be dotted: `stats.hits` for `self.stats.hits`),
    /// keyed by the class whose method touches it.
    Instance { class: String, attr: String },
    /// A local of an enclosing function captured by a nested one (`nonlocal`, or a captured
    /// container mutated in place).
    Captured { function: String, name: String },
    /// An item of the container stored in a location: `d[k]`, `self.cache[key]`.
    Item(Box<Loc>),
    /// A parameter of a function: a lock passed in as an argument (with its function), or
    /// state reached through a parameter (`counter[k]`, `stats.count`: `name` dotted, and
    /// `function` empty, since it is the access's own), which a start may pass a shared
    /// object to.
    Param { function: String, name: String },
    /// Something the summarizer could not name (used only for locks).
    Unknown(String),
    /// A lock taken by entering a context manager: `with self.atomic():` where `atomic` is a
    /// `@contextmanager` that yields holding a lock, or an object whose `__enter__` takes one.
    Via(Box<Callee>),
}

/// Marks the name of a `Loc::Captured` that is an object made anew in each iteration of the
/// loop that starts threads and passed to them (`mine@<loop offset>`): the threads of one
/// iteration share it, a thread of another iteration has its own.
pub const PER_ITERATION: char = '@';

/// Whether a location is an object made anew in each iteration of a loop that starts
/// threads (see [`PER_ITERATION`]).
pub fn per_iteration(loc: &Loc) -> bool {
    matches!(loc.root(), Loc::Captured { name, .. } if name.contains(PER_ITERATION))
}

impl Loc {
    /// The location without any `Item` wrappers: the variable or attribute holding the data.
    pub fn root(&self) -> &Loc {
        match self {
            Loc::Item(inner) => inner.root(),
            other => other,
        }
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Loc::Global(path) => write!(f, "{path}"),
            Loc::Instance { class, attr } => write!(f, "{class}.{attr} (instance attribute)"),
            Loc::Captured { function, name } => write!(f, "{name} (local of {function})"),
            Loc::Item(inner) => write!(f, "items of {inner}"),
            Loc::Param { function, name } => write!(f, "{name} (parameter of {function})"),
            Loc::Unknown(text) => write!(f, "{text}"),
            Loc::Via(callee) => write!(f, "the lock taken by {callee:?}"),
        }
    }
}

/// A lock held at some point of a function, as written in the source.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HeldLock {
    pub loc: Loc,
    /// The expression as written, e.g. `self._lock`.
    pub text: String,
    /// Where it is taken (`with` item or `acquire()` call).
    pub range: TextRange,
}

/// Whether a held lock protects anything: a lock created on the spot does not.
pub fn is_effective_lock(lock: &HeldLock) -> bool {
    !matches!(&lock.loc, Loc::Unknown(t) if t.starts_with("fresh:"))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccessKind {
    /// The location's value is read.
    Read,
    /// The location is rebound, deleted or mutated in place without reading it first.
    Write,
    /// Read, computed on, and written back: `x += 1`, `x = x + 1`, `d[k] = d.get(k, 0) + 1`,
    /// or split over statements: `n = self.n` … `self.n = n + 1`.
    ReadModifyWrite,
    /// Items removed from a container: `del d[k]`, `d.pop(k)`, `s.discard(x)`, `d.clear()`.
    Remove,
    /// Items added at the end of a sequence: `items.append(x)`, `items.extend(more)`. A
    /// loop over a list sees the new items or not, but never skips or repeats one, so for
    /// iteration this counts only when the container may not be a list (a `deque` raises).
    Append,
    /// A test of shared state followed by a write that relies on it, with the locks held at
    /// the test: `if k not in d: d[k] = v`, `if not self._started: self._started = True`.
    CheckThenAct,
    /// A test followed by a read that relies on it: `if k in d: return d[k]`.
    CheckThenRead,
    /// A lazy initialization: `if x is None: x = make()`.
    LazyInit,
    /// Iteration over a container (`for k in d`, `d.items()`, comprehensions).
    Iterate,
}

impl AccessKind {
    /// Whether the access changes the location (for conflicts between threads).
    pub fn is_write(self) -> bool {
        matches!(
            self,
            AccessKind::Write
                | AccessKind::ReadModifyWrite
                | AccessKind::Remove
                | AccessKind::Append
        )
    }
}

/// One access to possibly-shared state.
#[derive(Clone, Debug)]
pub struct Access {
    pub loc: Loc,
    pub kind: AccessKind,
    /// A write that binds the location to a new list (`[]`, `[x for x in xs]`, `list(xs)`),
    /// or an update that binds it to a copy of itself (`self.items = self.items[1:]`).
    pub new_list: bool,
    /// The target expression (`counter`, `self.n`, `d[k]`).
    pub range: TextRange,
    /// The innermost simple statement containing the access.
    pub stmt: TextRange,
    /// The locks held at this point of the function.
    pub locks: Vec<HeldLock>,
    /// The target expression as written.
    pub text: String,
    /// A second place that belongs to the access: the act of a check-then-act, the read of
    /// a read-modify-write split over statements.
    pub second: Option<TextRange>,
}

/// How a call reaches its callee's `self`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Receiver {
    /// A plain function call, or a call on a class.
    None,
    /// `self.method()`: the callee sees the caller's `self`.
    SelfObject,
    /// A method called on an object stored in shared state (a module global, an attribute).
    Shared,
    /// A method called on an object this function created and keeps to itself.
    Owned,
    /// A thread target on an object the starting function created before the loop that
    /// starts it (`server = Server()`, then `Thread(target=server.serve)` in a loop): shared
    /// by that function and its threads, but no other start site can reach it. (Made at the
    /// level of the start itself, the object is `Owned` by the one thread.)
    Fresh,
}

/// What a call or a thread start refers to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Callee {
    /// A dotted path: a function of this or another module, a class (its constructor), or a
    /// nested function (`mod.outer.inner`).
    Path(String),
    /// A method looked up on a class and its bases.
    Method { class: String, name: String },
    /// A lambda, summarized as a function of its own (index into `functions`).
    Function(usize),
}

#[derive(Clone, Debug)]
pub struct CallSite {
    /// What is called: an index into the module's [`ModuleSummary::callees`] (a module
    /// calls the same few hundred things from thousands of places).
    pub callee: u32,
    pub receiver: Receiver,
    pub range: TextRange,
    /// Start of the statement containing the call (orders calls against thread starts).
    pub stmt_start: TextSize,
    pub locks: Vec<HeldLock>,
    /// Whether the call sits in a loop or comprehension of this function.
    pub in_loop: bool,
}

/// A place where a function is handed to another thread.
#[derive(Clone, Debug)]
pub struct Spawn {
    pub kind: SpawnKind,
    pub target: Callee,
    /// Whether the target's `self` (for `obj.method` targets) is shared with other instances
    /// of the same start: `self.method` and objects stored in shared state are.
    pub receiver: Receiver,
    /// The whole call that starts the thread.
    pub range: TextRange,
    pub stmt_start: TextSize,
    /// Started repeatedly: in a loop or comprehension with no `join()` in the same loop.
    pub repeated: bool,
    /// Given to an executor of one worker (`ThreadPoolExecutor(max_workers=1)`): its tasks
    /// run one at a time, alongside the submitting thread but never alongside each other.
    pub serial: bool,
    /// Shared objects the start passes to the target (`args=(counts,)`): where each goes,
    /// and the state it is (a module global, an attribute, or a local of the starting
    /// function that every thread this start runs receives).
    pub args: Vec<(ArgSlot, Loc)>,
}

/// Where an argument of a start goes among the target's parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArgSlot {
    /// The n-th argument after the bound `self`, if any.
    Positional(u32),
    Keyword(String),
}

/// A call that passes a request-handler class to a server constructor:
/// `ThreadingTCPServer(addr, Handler)`.
#[derive(Clone, Debug)]
pub struct ServerCall {
    pub server: String,
    pub handler: String,
    pub range: TextRange,
}

#[derive(Clone, Debug)]
pub struct FunctionSummary {
    /// `pkg.mod.Class.method`, `pkg.mod.func`, `pkg.mod.outer.inner`, `pkg.mod.<module>`.
    pub qualname: String,
    pub name: String,
    /// The class this function is a method of (index into `classes`).
    pub class: Option<usize>,
    /// The name of the `def` (or the lambda, or the whole module for `<module>`).
    pub name_range: TextRange,
    pub range: TextRange,
    /// Resolved dotted paths of decorators (`functools.cache`, `contextlib.contextmanager`).
    pub decorators: Vec<String>,
    /// An `async def`: a coroutine, run by an event loop.
    pub is_async: bool,
    /// The names of the parameters, in order, `self` included; only for a function with
    /// accesses to state reached through a parameter (`Loc::Param`) or calls that pass a
    /// parameter on ([`FunctionSummary::passes`]), which a start may map to the objects it
    /// passes.
    pub params: Vec<String>,
    pub calls: Vec<CallSite>,
    /// The parameters calls pass on as they are (`add(counts, w)`): the index of the call in
    /// `calls`, where the argument goes among the callee's parameters, and its index in
    /// `params`. An object a start passes to this function is shared in the callee too.
    pub passes: Vec<(u32, ArgSlot, u32)>,
    /// Accesses to state. Plain reads are kept only where a lock is held (they tell which
    /// lock guards a location); every other kind is kept.
    pub accesses: Vec<Access>,
    pub spawns: Vec<Spawn>,
    pub servers: Vec<ServerCall>,
    /// Ends of statements that wait for started threads (`t.join()`, `ex.shutdown()`, the end
    /// of a `with ThreadPoolExecutor()` block).
    pub joins: Vec<TextSize>,
    /// Every lock this function acquires (`with L:` or `L.acquire()`).
    pub acquires: Vec<HeldLock>,
    /// The locks a `with` on this function's result holds: those held at the `yield` of a
    /// `@contextmanager`, or still held when an `__enter__` returns.
    pub provides_locks: Vec<HeldLock>,
    /// Call sites and writes made only while a flag is unset, tested holding a lock that is
    /// still held (`with L: if self._shutdown: raise ...` … `self._threads.add(t)`).
    pub gates: Vec<Gate>,
    /// Flags set holding a lock (`with L: self._shutdown = True`): see [`Closing`].
    pub closings: Vec<Closing>,
}

/// A call site or write that runs only while `flag` is unset, tested holding `locks`,
/// which are still held there.
#[derive(Clone, Debug)]
pub struct Gate {
    /// The call, or the written target.
    pub at: TextRange,
    pub flag: Loc,
    pub locks: Vec<HeldLock>,
}

/// A flag set to `True` holding `locks`. Once it is set, the code it gates under the same
/// lock ([`Gate`]) no longer runs, and what it did before is over: the rest of the function
/// cannot overlap it.
#[derive(Clone, Debug)]
pub struct Closing {
    /// The written target.
    pub at: TextRange,
    pub flag: Loc,
    pub locks: Vec<HeldLock>,
}

#[derive(Clone, Debug)]
pub struct ClassSummary {
    pub qualname: String,
    pub name: String,
    pub name_range: TextRange,
    pub range: TextRange,
    /// Resolved dotted paths of the bases.
    pub bases: Vec<String>,
    /// Methods defined in the body: name and index into `functions`.
    pub methods: Vec<(String, usize)>,
    /// Attributes assigned a lock (`self._lock = threading.Lock()` or a class attribute).
    pub lock_attrs: Vec<(String, TextRange)>,
    /// Attributes holding `threading.local()` objects.
    pub thread_local_attrs: Vec<String>,
    /// Attributes assigned an object of a class of the same top-level package
    /// (`self._local = DbLocal()`), with the class's dotted path: whether that class derives
    /// from `threading.local` through another module is for the linker to tell.
    pub instance_attrs: Vec<(String, String)>,
    /// `# racelint: thread-safe` on the class line.
    pub declared_thread_safe: bool,
}

/// The lock a decorator holds while the function it wraps runs, for a decorator written as
/// `def synchronized(func): def wrapper(self, *args, **kwargs): with self._lock: return
/// func(self, *args, **kwargs)` … `return wrapper`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecoratorLock {
    /// An attribute of the wrapped method's `self` (`self._lock`).
    SelfAttr(String),
    /// A module-level lock, by dotted path.
    Global(String),
}

/// A syntax error of the file.
#[derive(Clone, Debug)]
pub struct SyntaxError {
    pub range: TextRange,
    pub message: String,
}

#[derive(Clone, Debug)]
pub struct ModuleSummary {
    pub path: PathBuf,
    /// Dotted module name (`pkg.sub.mod`; `pkg.sub` for `pkg/sub/__init__.py`).
    pub module: String,
    pub is_package: bool,
    pub syntax_errors: Vec<SyntaxError>,
    /// Why the file was not analysed at all (too large, too deeply nested, not UTF-8).
    pub problem: Option<InputProblem>,
    /// Module-level names bound by imports: local name and dotted target.
    pub imports: Vec<(String, String)>,
    /// Index 0 is the `<module>` pseudo-function holding module-level code.
    pub functions: Vec<FunctionSummary>,
    /// Everything the module's call sites call, each once ([`CallSite::callee`] indexes it).
    pub callees: Vec<Callee>,
    pub classes: Vec<ClassSummary>,
    /// Module-level names assigned a lock.
    pub lock_globals: Vec<(String, TextRange)>,
    /// Module-level decorators that run the function they wrap holding a lock: dotted path
    /// and the lock.
    pub synchronizing: Vec<(String, DecoratorLock)>,
    /// Module-level variables holding an instance made by calling a class: name and the
    /// class's dotted path (`METRICS = Metrics()`).
    pub instances: Vec<(String, String)>,
    /// Modules imported whole at module level (`from .utils import *`), in the order written:
    /// a name not bound here may come from one of them.
    pub star_imports: Vec<String>,
}

impl ModuleSummary {
    /// A summary for a file that could not be analysed at all.
    pub fn unreadable(path: PathBuf, module: String, problem: InputProblem) -> ModuleSummary {
        ModuleSummary {
            path,
            module,
            is_package: false,
            syntax_errors: Vec::new(),
            problem: Some(problem),
            imports: Vec::new(),
            functions: Vec::new(),
            callees: Vec::new(),
            classes: Vec::new(),
            lock_globals: Vec::new(),
            synchronizing: Vec::new(),
            instances: Vec::new(),
            star_imports: Vec::new(),
        }
    }
}

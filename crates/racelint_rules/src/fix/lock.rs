//! Which lock a fix holds, in order of preference: the lock already guarding the same state
//! elsewhere, a suitable lock already in scope, or a new dedicated lock (with the edits that
//! create it and, when needed, import `threading`).

use racelint_diagnostics::Edit;
use racelint_index::Loc;
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextSize};

use super::text::{contains_word, is_dotted_name};
use super::tree::{assignment, dotted, first_param, has_decorator, skip_docstring, walk_stmts};
use super::Ctx;

/// What kind of lock an existing lock object is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LockKind {
    /// `threading.Lock()`: taking it twice in one thread deadlocks.
    Plain,
    /// `threading.RLock()` or a `Condition()` over one.
    Reentrant,
    /// A semaphore: it may let several threads in at once.
    Semaphore,
    /// A lock whose factory racelint does not know (treated like `Plain`).
    Unknown,
}

pub(crate) enum Origin {
    /// Guards the same state elsewhere.
    Guard,
    /// Already in scope, not seen guarding this state.
    InScope,
    /// Created by the fix.
    New,
}

pub(crate) struct Choice {
    /// The lock as written in `with <text>:`.
    pub text: String,
    /// Edits creating the lock (and importing `threading`), when it is new.
    pub edits: Vec<Edit>,
    pub kind: LockKind,
    pub origin: Origin,
    /// Where a new lock lives, for the fix message.
    pub place: &'static str,
}

/// The state a race touches, as the fix needs to know it.
enum State {
    /// A module global of this file (the variable holding the data).
    Global(String),
    /// An attribute of a top-level class of this file.
    ClassAttr { class: String, attr: String },
    /// An attribute of `self`.
    Instance(String),
    /// A local of an enclosing function shared with nested ones.
    Captured { function: String, name: String },
}

pub(crate) fn choose(ctx: &Ctx<'_>) -> Option<Choice> {
    if let Some(choice) = from_guard(ctx) {
        return Some(choice);
    }
    let state = classify(ctx)?;
    in_scope(ctx, &state).or_else(|| new_lock(ctx, &state))
}

fn classify(ctx: &Ctx<'_>) -> Option<State> {
    match ctx.request.loc.root() {
        Loc::Global(path) => {
            let rest = path
                .strip_prefix(ctx.summary.module.as_str())?
                .strip_prefix('.')?;
            let mut parts = rest.split('.');
            let first = parts.next()?;
            if let Some(attr) = parts.next() {
                if ctx.top_class(first).is_some() {
                    return Some(State::ClassAttr {
                        class: first.to_string(),
                        attr: attr.to_string(),
                    });
                }
            }
            Some(State::Global(first.to_string()))
        }
        Loc::Instance { attr, .. } => Some(State::Instance(attr.split('.').next()?.to_string())),
        Loc::Captured { function, name } => Some(State::Captured {
            function: function.clone(),
            name: name.split('.').next()?.to_string(),
        }),
        Loc::Item(_) | Loc::Param { .. } | Loc::Unknown(_) | Loc::Via(_) => None,
    }
}

/// (a) The lock the analysis saw guarding this state, when its text means the same lock here.
fn from_guard(ctx: &Ctx<'_>) -> Option<Choice> {
    let (text, loc, module) = ctx.request.guard.as_ref()?;
    if *module != ctx.module_idx || !is_dotted_name(text) {
        return None;
    }
    let (head, tail) = match text.split_once('.') {
        Some((h, t)) => (h, Some(t)),
        None => (text.as_str(), None),
    };
    let method = ctx.located.method();
    let receiver = method.and_then(|(_, def)| ctx.receiver(def));
    let (written, kind) = match loc {
        Loc::Instance { class, .. } => {
            let (class_def, _) = method?;
            if &ctx.class_summary(class_def)?.qualname != class {
                return None;
            }
            let tail = tail?;
            let attr = tail.split('.').next()?;
            (
                format!("{}.{tail}", receiver?),
                ctx.attr_lock_kind(class_def, attr),
            )
        }
        Loc::Global(path) => {
            if ctx.top_names.contains(head) && !ctx.bound_locally(head) {
                let kind = match tail {
                    None => ctx.module_lock_kind(head),
                    Some(attr) => match ctx.top_class(head) {
                        Some(class_def) => ctx.attr_lock_kind(class_def, attr),
                        None => LockKind::Unknown,
                    },
                };
                (text.clone(), kind)
            } else {
                let (class_def, _) = method?;
                let tail = tail?;
                if *path != format!("{}.{tail}", ctx.class_summary(class_def)?.qualname) {
                    return None;
                }
                (
                    format!("{}.{tail}", receiver?),
                    ctx.attr_lock_kind(class_def, tail),
                )
            }
        }
        Loc::Captured { function, name } => {
            if tail.is_some()
                || head != name
                || !ctx.request.function.starts_with(&format!("{function}."))
            {
                return None;
            }
            let outer = ctx.outer_function(function)?;
            (text.clone(), ctx.local_lock_kind(outer, name))
        }
        Loc::Item(_) | Loc::Param { .. } | Loc::Unknown(_) | Loc::Via(_) => return None,
    };
    Some(Choice {
        text: written,
        edits: Vec::new(),
        kind,
        origin: Origin::Guard,
        place: "",
    })
}

/// (b) A lock already in scope that suits the state.
fn in_scope(ctx: &Ctx<'_>, state: &State) -> Option<Choice> {
    let existing = |text: String, kind: LockKind| Choice {
        text,
        edits: Vec::new(),
        kind,
        origin: Origin::InScope,
        place: "",
    };
    match state {
        State::Global(name) => {
            let lock = module_lock(ctx, name)?;
            Some(existing(lock.clone(), ctx.module_lock_kind(&lock)))
        }
        State::ClassAttr { class, attr } => {
            let class_def = ctx.top_class(class)?;
            let locks: Vec<String> = class_def
                .body
                .iter()
                .filter_map(|s| {
                    let (targets, value) = assignment(s)?;
                    let [Expr::Name(n)] = targets else {
                        return None;
                    };
                    let summary_says = ctx
                        .class_summary(class_def)
                        .is_some_and(|c| c.lock_attrs.iter().any(|(a, _)| a == n.id.as_str()));
                    (summary_says || ctx.call_lock_kind(value).is_some()).then(|| n.id.to_string())
                })
                .collect();
            match pick(&locks, attr, false) {
                Some(lock) => Some(existing(
                    format!("{class}.{lock}"),
                    ctx.attr_lock_kind(class_def, &lock),
                )),
                None => {
                    let lock = module_lock(ctx, attr)?;
                    Some(existing(lock.clone(), ctx.module_lock_kind(&lock)))
                }
            }
        }
        State::Instance(attr) => {
            let (class_def, method) = ctx.located.method()?;
            let receiver = ctx.receiver(method)?;
            let summary = ctx.class_summary(class_def)?;
            let locks: Vec<String> = summary.lock_attrs.iter().map(|(a, _)| a.clone()).collect();
            let lock = pick(&locks, attr, true)?;
            Some(existing(
                format!("{receiver}.{lock}"),
                ctx.attr_lock_kind(class_def, &lock),
            ))
        }
        State::Captured { function, name } => {
            let outer = ctx.outer_function(function)?;
            let mut locks = Vec::new();
            walk_stmts(&outer.body, false, &mut |s| {
                if let Some(([Expr::Name(n)], value)) = assignment(s) {
                    if ctx.call_lock_kind(value).is_some() && !locks.contains(&n.id.to_string()) {
                        locks.push(n.id.to_string());
                    }
                }
            });
            let lock = pick(&locks, name, false)?;
            let kind = ctx.local_lock_kind(outer, &lock);
            Some(existing(lock, kind))
        }
    }
}

/// A module-level lock suiting `state`, defined before the race when the race runs at
/// module level, and not shadowed in the function holding the race.
fn module_lock(ctx: &Ctx<'_>, state: &str) -> Option<String> {
    let at_module_level = ctx.located.function().is_none();
    let mut locks: Vec<String> = Vec::new();
    for (name, range) in &ctx.summary.lock_globals {
        if at_module_level && range.start() >= ctx.located.range().start() {
            continue;
        }
        if ctx.bound_locally(name) || locks.contains(name) {
            continue;
        }
        locks.push(name.clone());
    }
    pick(&locks, state, false)
}

/// A lock named after the state (`counter_lock` for `counter`), else one with a generic
/// lock name (`lock`, `_mutex`), else — when `single` — the only lock there is.
fn pick(locks: &[String], state: &str, single: bool) -> Option<String> {
    let norm = |s: &str| s.trim_matches('_').to_ascii_lowercase();
    let state = norm(state);
    if !state.is_empty() {
        if let Some(l) = locks.iter().find(|l| norm(l).contains(&state)) {
            return Some(l.clone());
        }
    }
    const GENERIC: &[&str] = &[
        "lock",
        "rlock",
        "mutex",
        "mu",
        "mtx",
        "guard",
        "glock",
        "global_lock",
        "module_lock",
        "state_lock",
        "instance_lock",
        "lck",
    ];
    if let Some(l) = locks.iter().find(|l| GENERIC.contains(&norm(l).as_str())) {
        return Some(l.clone());
    }
    if single && locks.len() == 1 {
        return Some(locks[0].clone());
    }
    None
}

/// `_counter_lock` for `counter`, `_stats_lock` for `_stats`, `_max_lock` for `MAX`.
fn lock_name(state: &str) -> String {
    let trimmed = state.trim_start_matches('_');
    let base = if trimmed.is_empty() { state } else { trimmed };
    let base = if base.chars().any(|c| c.is_lowercase()) {
        base.to_string()
    } else {
        base.to_lowercase()
    };
    format!("_{base}_lock")
}

fn unique(base: String, taken: impl Fn(&str) -> bool) -> String {
    if !taken(&base) {
        return base;
    }
    (2..)
        .map(|i| format!("{base}{i}"))
        .find(|n| !taken(n))
        .unwrap_or(base)
}

/// (c) A new lock dedicated to the state.
fn new_lock(ctx: &Ctx<'_>, state: &State) -> Option<Choice> {
    match state {
        State::Global(name) | State::ClassAttr { attr: name, .. } => new_module_lock(ctx, name),
        State::Instance(attr) => new_instance_lock(ctx, attr),
        State::Captured { function, name } => new_local_lock(ctx, function, name),
    }
}

fn new_module_lock(ctx: &Ctx<'_>, state: &str) -> Option<Choice> {
    let text = ctx.text;
    let limit = text.line_start(ctx.located.top_level());
    let name = unique(lock_name(state), |n| contains_word(text.src, n));
    let (point, after_imports) = ctx.import_point(limit)?;
    if point > limit {
        return None;
    }
    let (factory, mut edits) = ctx.factory(limit)?;
    let nl = text.nl;
    // After the blank line that ends the imports; when two blank lines separate the imports
    // from a definition, the definition keeps its two.
    let (at, spacing) = if !after_imports {
        (point, if ctx.definition_first() { "\n\n" } else { "" })
    } else if point < limit && text.is_blank_line(point) {
        let at = text.next_line(point).filter(|&n| n <= limit)?;
        let two = at < limit && text.is_blank_line(at);
        (at, if two { "\n" } else { "" })
    } else {
        (point, "")
    };
    let spacing = spacing.replace('\n', nl);
    edits.push(Edit::insertion(
        at,
        format!("{name} = {factory}{nl}{spacing}"),
    ));
    Some(Choice {
        text: name,
        edits,
        kind: LockKind::Plain,
        origin: Origin::New,
        place: "a new module-level lock",
    })
}

fn new_instance_lock(ctx: &Ctx<'_>, state: &str) -> Option<Choice> {
    let text = ctx.text;
    let nl = text.nl;
    let (class_def, method) = ctx.located.method()?;
    let receiver = ctx.receiver(method)?;
    let class_text = text.slice(class_def.range());
    // A base class racelint cannot see may use `_lock` for something else: name the lock
    // after the state there.
    let has_bases = class_def.arguments.as_ref().is_some_and(|a| {
        !a.keywords.is_empty()
            || a.args
                .iter()
                .any(|b| !matches!(b, Expr::Name(n) if n.id.as_str() == "object"))
    });
    let names = if has_bases {
        vec![lock_name(state)]
    } else {
        vec!["_lock".to_string(), lock_name(state)]
    };
    let attr = names.into_iter().find(|n| !contains_word(class_text, n))?;
    let (factory, mut edits) = ctx.factory(ctx.located.top_level())?;
    let init = class_def.body.iter().rev().find_map(|s| match s {
        Stmt::FunctionDef(f) if f.name.as_str() == "__init__" => Some(f),
        _ => None,
    });
    match init {
        Some(init) => {
            let init_self = first_param(init)?;
            let body = skip_docstring(&init.body);
            let (at, ind) = match body.first() {
                Some(first) => {
                    if !text.starts_line(first.start()) {
                        return None;
                    }
                    (
                        text.line_start(first.start()),
                        text.indentation(first.start()),
                    )
                }
                None => {
                    let doc = init.body.first()?;
                    if !text.starts_line(doc.start()) {
                        return None;
                    }
                    (text.next_line(doc.end())?, text.indentation(doc.start()))
                }
            };
            edits.push(Edit::insertion(
                at,
                format!("{ind}{init_self}.{attr} = {factory}{nl}"),
            ));
        }
        None => {
            if !may_add_init(class_def) {
                return None;
            }
            let first_def = class_def
                .body
                .iter()
                .find(|s| matches!(s, Stmt::FunctionDef(_)))?;
            if !text.starts_line(first_def.start()) {
                return None;
            }
            let ind = text.indentation(first_def.start());
            let mut at = text.line_start(first_def.start());
            // Keep comments introducing the first method attached to it.
            while at > class_def.start() {
                let prev = text.line_start(at - TextSize::new(1));
                if prev <= class_def.start()
                    || !text.is_comment_line(prev)
                    || text.indentation(prev) != ind
                {
                    break;
                }
                at = prev;
            }
            let unit = &text.unit;
            edits.push(Edit::insertion(
                at,
                format!("{ind}def __init__(self):{nl}{ind}{unit}self.{attr} = {factory}{nl}{nl}"),
            ));
        }
    }
    Some(Choice {
        text: format!("{receiver}.{attr}"),
        edits,
        kind: LockKind::Plain,
        origin: Origin::New,
        place: "a new lock set in `__init__`",
    })
}

/// Whether adding `def __init__(self)` keeps the class working: no decorators (dataclasses
/// generate their own), no base but `object`, no metaclass, no `__slots__`, no `__new__`.
fn may_add_init(class_def: &ast::StmtClassDef) -> bool {
    if !class_def.decorator_list.is_empty() {
        return false;
    }
    if let Some(arguments) = &class_def.arguments {
        let only_object = arguments.keywords.is_empty()
            && arguments
                .args
                .iter()
                .all(|a| matches!(a, Expr::Name(n) if n.id.as_str() == "object"));
        if !only_object {
            return false;
        }
    }
    !class_def.body.iter().any(|s| match s {
        Stmt::FunctionDef(f) => f.name.as_str() == "__new__",
        other => assignment(other).is_some_and(|(targets, _)| {
            targets
                .iter()
                .any(|t| matches!(t, Expr::Name(n) if n.id.as_str() == "__slots__"))
        }),
    })
}

fn new_local_lock(ctx: &Ctx<'_>, function: &str, state: &str) -> Option<Choice> {
    let text = ctx.text;
    let outer = ctx.outer_function(function)?;
    let first = skip_docstring(&outer.body).first()?;
    if !text.starts_line(first.start()) {
        return None;
    }
    let outer_text = text.slice(outer.range());
    let name = unique(lock_name(state), |n| {
        contains_word(outer_text, n) || ctx.top_names.contains(n)
    });
    let (factory, mut edits) = ctx.factory(ctx.located.top_level())?;
    let ind = text.indentation(first.start());
    edits.push(Edit::insertion(
        text.line_start(first.start()),
        format!("{ind}{name} = {factory}{}", text.nl),
    ));
    Some(Choice {
        text: name,
        edits,
        kind: LockKind::Plain,
        origin: Origin::New,
        place: "a new lock local to the enclosing function",
    })
}

impl Ctx<'_> {
    /// The lock kind of a call, or `None` when the call does not make a lock.
    pub(crate) fn call_lock_kind(&self, value: &Expr) -> Option<LockKind> {
        let Expr::Call(call) = value else { return None };
        let path = self.resolve(&dotted(&call.func)?);
        if !racelint_index::is_lock_factory(&path, &[]) {
            return None;
        }
        let last = path.rsplit('.').next().unwrap_or(&path);
        Some(match last {
            "RLock" | "_RLock" => LockKind::Reentrant,
            "Condition" if call.arguments.args.is_empty() && call.arguments.keywords.is_empty() => {
                LockKind::Reentrant
            }
            "Semaphore" | "BoundedSemaphore" => LockKind::Semaphore,
            "Lock" | "allocate_lock" | "_allocate_lock" | "allocate" => LockKind::Plain,
            _ => LockKind::Unknown,
        })
    }

    /// A dotted name with its first part replaced by what a module-level import binds it to.
    fn resolve(&self, path: &str) -> String {
        let (head, rest) = match path.split_once('.') {
            Some((h, r)) => (h, Some(r)),
            None => (path, None),
        };
        match self.summary.imports.iter().find(|(local, _)| local == head) {
            Some((_, target)) => match rest {
                Some(rest) => format!("{target}.{rest}"),
                None => target.clone(),
            },
            None => path.to_string(),
        }
    }

    fn module_lock_kind(&self, name: &str) -> LockKind {
        self.module_body
            .iter()
            .filter_map(assignment)
            .filter(|(targets, _)| {
                targets
                    .iter()
                    .any(|t| matches!(t, Expr::Name(n) if n.id.as_str() == name))
            })
            .find_map(|(_, value)| self.call_lock_kind(value))
            .unwrap_or(LockKind::Unknown)
    }

    /// The kind of the lock a class keeps in `attr` (class body or any method).
    fn attr_lock_kind(&self, class_def: &ast::StmtClassDef, attr: &str) -> LockKind {
        let mut kind = None;
        walk_stmts(&class_def.body, true, &mut |s| {
            if kind.is_some() {
                return;
            }
            if let Some((targets, value)) = assignment(s) {
                let names_attr = targets.iter().any(|t| match t {
                    Expr::Attribute(a) => a.attr.as_str() == attr,
                    Expr::Name(n) => n.id.as_str() == attr,
                    _ => false,
                });
                if names_attr {
                    kind = self.call_lock_kind(value);
                }
            }
        });
        kind.unwrap_or(LockKind::Unknown)
    }

    fn local_lock_kind(&self, function: &ast::StmtFunctionDef, name: &str) -> LockKind {
        let mut kind = None;
        walk_stmts(&function.body, false, &mut |s| {
            if let Some(([Expr::Name(n)], value)) = assignment(s) {
                if kind.is_none() && n.id.as_str() == name {
                    kind = self.call_lock_kind(value);
                }
            }
        });
        kind.unwrap_or(LockKind::Unknown)
    }

    /// Where module-level code may be inserted so that it runs after the imports and before
    /// the top-level statement at `limit`: after the last top-level import before `limit`
    /// (`true`), or before the first statement after the docstring (`false`).
    fn import_point(&self, limit: TextSize) -> Option<(TextSize, bool)> {
        let last_import = self
            .module_body
            .iter()
            .filter(|s| s.end() <= limit && matches!(s, Stmt::Import(_) | Stmt::ImportFrom(_)))
            .last();
        if let Some(import) = last_import {
            return Some((self.text.next_line(import.end())?, true));
        }
        let first = skip_docstring(self.module_body).first()?;
        if !self.text.starts_line(first.start()) {
            return None;
        }
        Some((self.text.line_start(first.start()), false))
    }

    /// How to call `threading.Lock` in code placed before `limit`'s statement, and the edit
    /// importing it when the module does not yet: `threading.Lock()` after `import threading`,
    /// `Lock()` after `from threading import Lock` (or with `Lock` added to an existing
    /// `from threading import …`).
    fn factory(&self, limit: TextSize) -> Option<(String, Vec<Edit>)> {
        let (point, after_imports) = self.import_point(limit)?;
        let mut from_import: Option<&ast::StmtImportFrom> = None;
        for stmt in self.module_body.iter().filter(|s| s.end() <= point) {
            match stmt {
                Stmt::Import(i) => {
                    for alias in &i.names {
                        if alias.name.as_str() == "threading" {
                            let bound = alias.asname.as_ref().unwrap_or(&alias.name);
                            return Some((format!("{bound}.Lock()"), Vec::new()));
                        }
                    }
                }
                Stmt::ImportFrom(f)
                    if f.level == 0
                        && f.module.as_ref().is_some_and(|m| m.as_str() == "threading") =>
                {
                    for alias in &f.names {
                        match alias.name.as_str() {
                            "*" => return Some(("Lock()".to_string(), Vec::new())),
                            "Lock" => {
                                let bound = alias.asname.as_ref().unwrap_or(&alias.name);
                                return Some((format!("{bound}()"), Vec::new()));
                            }
                            _ => {}
                        }
                    }
                    from_import.get_or_insert(f);
                }
                _ => {}
            }
        }
        if let Some(f) = from_import {
            if !self.top_names.contains("Lock") && !f.names.is_empty() {
                let edit = match f.names.iter().find(|a| a.name.as_str() > "Lock") {
                    Some(a) => Edit::insertion(a.start(), "Lock, "),
                    None => Edit::insertion(f.names.last()?.end(), ", Lock"),
                };
                return Some(("Lock()".to_string(), vec![edit]));
            }
        }
        let nl = self.text.nl;
        let content = if after_imports {
            format!("import threading{nl}")
        } else if self.definition_first() {
            format!("import threading{nl}{nl}{nl}")
        } else {
            format!("import threading{nl}{nl}")
        };
        Some((
            "threading.Lock()".to_string(),
            vec![Edit::insertion(point, content)],
        ))
    }

    /// Whether the module's first statement after its docstring is a `def` or a `class`
    /// (which PEP 8 sets off by two blank lines).
    fn definition_first(&self) -> bool {
        matches!(
            skip_docstring(self.module_body).first(),
            Some(Stmt::FunctionDef(_) | Stmt::ClassDef(_))
        )
    }

    /// The name a method uses for its instance (`None` for static and class methods).
    pub(crate) fn receiver<'d>(&self, def: &'d ast::StmtFunctionDef) -> Option<&'d str> {
        if has_decorator(def, &["staticmethod", "classmethod"]) {
            return None;
        }
        first_param(def)
    }

    /// The function around the race whose qualified name is `function` (matched by its last
    /// part, among the functions enclosing the race's own).
    fn outer_function(&self, function: &str) -> Option<&ast::StmtFunctionDef> {
        let name = function.rsplit('.').next()?;
        let functions: Vec<_> = self.located.functions().collect();
        let (_, outer) = functions.split_last()?;
        outer
            .iter()
            .rev()
            .find(|f| f.name.as_str() == name)
            .copied()
    }
}

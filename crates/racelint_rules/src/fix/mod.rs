//! Fixes for races: put the racing statements under `with <lock>:`.
//!
//! A fix is data — edits of the diagnostic's own file plus an applicability — so the command
//! line (`--fix`) and the editor (quick fixes) apply the same thing. [`FileFixer`] re-parses a
//! file once and builds the fix of each finding in it from the finding's [`FixRequest`]:
//! which statements to wrap, which state they touch and which lock guards it elsewhere.
//!
//! The lock, in order of preference: the lock the analysis saw guarding the same state
//! (when its text means the same lock at the race), a suitable lock already in scope, or a
//! new dedicated one. Reusing a lock is unsafe when the wrapped code calls something that
//! might take the same non-reentrant lock (a deadlock); a new lock is safe. Code that
//! `await`s or `yield`s is never wrapped, nor code that takes the chosen non-reentrant lock
//! itself; code that `return`s, or runs in an `async def`, gets an unsafe fix.

mod lock;
mod snapshot;
mod text;
mod tree;
mod wrap;

use std::collections::HashSet;

use racelint_diagnostics::{Applicability, Fix};
use racelint_index::ModuleSummary;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, PySourceType, PythonVersion, Stmt};
use ruff_python_parser::{parse_unchecked, ParseOptions, Parsed};
use ruff_text_size::{Ranged, TextRange};

use crate::{Finding, FixRequest};
use lock::{LockKind, Origin};
use text::Text;
use tree::{assignment, locate, Located};

#[cfg(test)]
mod tests;

fn parse(source: &str) -> Option<Parsed<ast::ModModule>> {
    racelint_index::prescan(source).ok()?;
    let options =
        ParseOptions::from(PySourceType::Python).with_target_version(PythonVersion::PY314);
    let parsed = parse_unchecked(source, options).try_into_module()?;
    parsed.has_no_syntax_errors().then_some(parsed)
}

/// Whether `source` parses with no syntax error (the check every fixed file must pass before
/// it is written). Deeply nested input that the parser could not survive counts as failing.
pub fn parses_cleanly(source: &str) -> bool {
    parse(source).is_some()
}

/// Builds the fixes of the findings of one file.
pub struct FileFixer<'a> {
    summary: &'a ModuleSummary,
    module: u32,
    parsed: Parsed<ast::ModModule>,
    text: Text<'a>,
    top_names: HashSet<String>,
}

impl<'a> FileFixer<'a> {
    /// Parses `source`, the text of module `module` summarized as `summary`. `None` when
    /// the file has syntax errors: racelint does not rewrite a file it cannot fully read.
    pub fn new(source: &'a str, summary: &'a ModuleSummary, module: u32) -> Option<FileFixer<'a>> {
        let parsed = parse(source)?;
        let text = Text::new(source, parsed.tokens());
        let top_names = top_level_names(&parsed.syntax().body);
        Some(FileFixer {
            summary,
            module,
            parsed,
            text,
            top_names,
        })
    }

    /// The fix of a finding of this file, if its rule asks for one and one can be built.
    pub fn fix(&self, finding: &Finding) -> Option<Fix> {
        if finding.module != self.module {
            return None;
        }
        let request = finding.fix.as_ref()?;
        match &request.snapshot {
            Some(snapshot) => self.snapshot(request.stmt, snapshot),
            None => self.wrap_in_lock(request),
        }
    }

    /// Wraps the statements of `request.stmt` in `with <lock>:`, choosing the lock and
    /// creating it when needed.
    pub fn wrap_in_lock(&self, request: &FixRequest) -> Option<Fix> {
        let body = &self.parsed.syntax().body;
        let located = locate(body, request.stmt)?;
        // The statements must start where the request says (a stale text would not).
        if located.stmts()[0].start() != request.stmt.start() {
            return None;
        }
        let located = join_updates_of_the_same_target(&self.text, located);
        // A threading lock held across `await` blocks the event loop; held across `yield`
        // it stays taken while the generator is suspended. Neither is offered.
        let effects = Effects::of(located.stmts());
        if effects.awaits || effects.yields {
            return None;
        }
        let ctx = Ctx {
            text: &self.text,
            summary: self.summary,
            module_body: body,
            module_idx: self.module,
            located: &located,
            request,
            top_names: &self.top_names,
        };
        let choice = lock::choose(&ctx)?;
        // Taking a non-reentrant lock around code that takes it again deadlocks for sure.
        if choice.kind != LockKind::Reentrant && effects.takes.contains(&choice.text) {
            return None;
        }
        let mut applicability = match (&choice.origin, choice.kind) {
            (Origin::New, _) | (_, LockKind::Reentrant) => Applicability::Safe,
            (_, LockKind::Semaphore) => Applicability::Unsafe,
            (_, LockKind::Plain | LockKind::Unknown) if effects.calls => Applicability::Unsafe,
            _ => Applicability::Safe,
        };
        let function = located.function().map(|(_, f)| f);
        let in_async = function.is_some_and(|f| f.is_async);
        if effects.returns || in_async {
            applicability = Applicability::Unsafe;
        }
        // A function that takes locks by hand (`L.acquire()`, `_acquire_lock()`) may already
        // hold the reused lock where the race is, which racelint cannot always tell.
        if !matches!(choice.origin, Origin::New)
            && choice.kind != LockKind::Reentrant
            && function.is_some_and(takes_locks_by_hand)
        {
            applicability = Applicability::Unsafe;
        }
        let wrap = wrap::wrap(&self.text, &located, &choice.text)?;
        let mut message = format!("wrap in `with {}:`", choice.text);
        match choice.origin {
            Origin::Guard => message.push_str(", the lock that guards this state elsewhere"),
            Origin::InScope => {}
            Origin::New => {
                message.push_str(", ");
                message.push_str(choice.place);
            }
        }
        let mut edits = choice.edits;
        edits.push(wrap);
        Fix::new(message, applicability, edits)
    }
}

/// What a fix needs to know while choosing the lock.
pub(crate) struct Ctx<'a> {
    pub text: &'a Text<'a>,
    pub summary: &'a ModuleSummary,
    pub module_body: &'a [Stmt],
    pub module_idx: u32,
    pub located: &'a Located<'a>,
    pub request: &'a FixRequest,
    pub top_names: &'a HashSet<String>,
}

impl Ctx<'_> {
    fn top_class(&self, name: &str) -> Option<&ast::StmtClassDef> {
        self.module_body.iter().find_map(|s| match s {
            Stmt::ClassDef(c) if c.name.as_str() == name => Some(c),
            _ => None,
        })
    }

    fn class_summary(
        &self,
        class_def: &ast::StmtClassDef,
    ) -> Option<&racelint_index::ClassSummary> {
        self.summary
            .classes
            .iter()
            .find(|c| c.range == class_def.range)
    }

    /// Whether a function around the race binds `name` itself (a parameter or a local),
    /// hiding the module-level name.
    fn bound_locally(&self, name: &str) -> bool {
        self.located.functions().any(|f| {
            let param = f.parameters.iter().any(|p| p.name().as_str() == name);
            let mut global = false;
            let mut assigned = false;
            tree::walk_stmts(&f.body, false, &mut |s| match s {
                Stmt::Global(g) if g.names.iter().any(|n| n.as_str() == name) => global = true,
                other => {
                    if let Some((targets, _)) = assignment(other) {
                        if targets
                            .iter()
                            .any(|t| matches!(t, Expr::Name(n) if n.id.as_str() == name))
                        {
                            assigned = true;
                        }
                    }
                }
            });
            param || (assigned && !global)
        })
    }
}

/// Widens a single assignment to the neighbouring statements that assign the same target
/// (`key1 = key1 + k` followed by `key1 = key1 * 3`), each on lines of its own, so that
/// their fixes (identical edits) put them under one `with` instead of one each.
fn join_updates_of_the_same_target<'a>(text: &Text<'_>, mut located: Located<'a>) -> Located<'a> {
    let target = |stmt: &Stmt| -> Option<String> {
        let expr = match stmt {
            Stmt::AugAssign(a) => &*a.target,
            Stmt::Assign(a) if a.targets.len() == 1 => &a.targets[0],
            _ => return None,
        };
        Some(text.slice(expr.range()).to_string())
    };
    if located.first != located.last {
        return located;
    }
    let body = located.body;
    let Some(wanted) = target(&body[located.first]) else {
        return located;
    };
    let own_lines = |i: usize| -> bool {
        text.starts_line(body[i].start())
            && (i + 1 >= body.len()
                || text.has_line_break(TextRange::new(body[i].end(), body[i + 1].start())))
            && (i == 0 || text.has_line_break(TextRange::new(body[i - 1].end(), body[i].start())))
    };
    if !own_lines(located.first) {
        return located;
    }
    while located.first > 0
        && own_lines(located.first - 1)
        && target(&body[located.first - 1]).as_ref() == Some(&wanted)
    {
        located.first -= 1;
    }
    while located.last + 1 < body.len()
        && own_lines(located.last + 1)
        && target(&body[located.last + 1]).as_ref() == Some(&wanted)
    {
        located.last += 1;
    }
    located
}

/// Whether a function's own code (not its nested functions) acquires or releases a lock by
/// calling something: `L.acquire()`, `L.release()`, a helper such as `_acquireLock()`.
fn takes_locks_by_hand(function: &ast::StmtFunctionDef) -> bool {
    struct Finder(bool);
    impl<'a> Visitor<'a> for Finder {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) && !self.0 {
                visitor::walk_stmt(self, stmt);
            }
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            if self.0 || matches!(expr, Expr::Lambda(_)) {
                return;
            }
            if let Expr::Call(call) = expr {
                let name = match &*call.func {
                    Expr::Attribute(a) => a.attr.as_str(),
                    Expr::Name(n) => n.id.as_str(),
                    _ => "",
                };
                let lower = name.to_ascii_lowercase();
                let factory = matches!(name, "Lock" | "RLock" | "allocate_lock" | "_allocate_lock");
                if !factory
                    && (lower == "release" || lower.contains("acquire") || lower.contains("lock"))
                {
                    self.0 = true;
                    return;
                }
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut finder = Finder(false);
    for stmt in &function.body {
        finder.visit_stmt(stmt);
    }
    finder.0
}

/// Names bound at module level: assignments, definitions, imports (also inside top-level
/// `if`/`try` blocks).
fn top_level_names(body: &[Stmt]) -> HashSet<String> {
    fn targets(expr: &Expr, out: &mut HashSet<String>) {
        match expr {
            Expr::Name(n) => {
                out.insert(n.id.to_string());
            }
            Expr::Tuple(t) => t.elts.iter().for_each(|e| targets(e, out)),
            Expr::List(l) => l.elts.iter().for_each(|e| targets(e, out)),
            Expr::Starred(s) => targets(&s.value, out),
            _ => {}
        }
    }
    let mut out = HashSet::new();
    tree::walk_stmts(body, false, &mut |s| match s {
        Stmt::FunctionDef(f) => {
            out.insert(f.name.to_string());
        }
        Stmt::ClassDef(c) => {
            out.insert(c.name.to_string());
        }
        Stmt::Import(i) => {
            for a in &i.names {
                let bound = match &a.asname {
                    Some(n) => n.to_string(),
                    None => a.name.split('.').next().unwrap_or_default().to_string(),
                };
                out.insert(bound);
            }
        }
        Stmt::ImportFrom(i) => {
            for a in &i.names {
                out.insert(a.asname.as_ref().unwrap_or(&a.name).to_string());
            }
        }
        Stmt::AugAssign(a) => targets(&a.target, &mut out),
        Stmt::For(f) => targets(&f.target, &mut out),
        Stmt::With(w) => {
            for item in &w.items {
                if let Some(v) = &item.optional_vars {
                    targets(v, &mut out);
                }
            }
        }
        other => {
            if let Some((ts, _)) = assignment(other) {
                ts.iter().for_each(|t| targets(t, &mut out));
            }
        }
    });
    out
}

/// What running the wrapped statements may do besides touching the state.
#[derive(Default)]
struct Effects {
    /// Calls something that might take a lock (anything but a few builtins and container
    /// methods).
    calls: bool,
    awaits: bool,
    yields: bool,
    returns: bool,
    /// Locks taken inside (`with L:`, `L.acquire()`), as written.
    takes: Vec<String>,
}

impl Effects {
    fn of(stmts: &[Stmt]) -> Effects {
        let mut effects = Effects::default();
        for stmt in stmts {
            effects.visit_stmt(stmt);
        }
        effects
    }
}

/// Builtins that never run code that could take a lock of the program.
const HARMLESS_BUILTINS: &[&str] = &[
    "abs",
    "all",
    "any",
    "bool",
    "bytes",
    "callable",
    "chr",
    "dict",
    "divmod",
    "enumerate",
    "float",
    "frozenset",
    "hash",
    "hex",
    "id",
    "int",
    "isinstance",
    "issubclass",
    "len",
    "list",
    "max",
    "min",
    "oct",
    "ord",
    "pow",
    "range",
    "reversed",
    "round",
    "set",
    "sorted",
    "str",
    "sum",
    "tuple",
    "type",
    "zip",
];

/// Methods of the built-in containers (and strings) that do not call back into the program.
const HARMLESS_METHODS: &[&str] = &[
    "add",
    "append",
    "appendleft",
    "clear",
    "copy",
    "count",
    "difference",
    "discard",
    "extend",
    "get",
    "index",
    "insert",
    "intersection",
    "items",
    "join",
    "keys",
    "lower",
    "pop",
    "popitem",
    "popleft",
    "remove",
    "setdefault",
    "split",
    "strip",
    "union",
    "update",
    "upper",
    "values",
];

impl<'a> Visitor<'a> for Effects {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            Stmt::Return(_) => {
                self.returns = true;
                visitor::walk_stmt(self, stmt);
            }
            Stmt::With(w) => {
                for item in &w.items {
                    if let Some(text) = tree::dotted(&item.context_expr) {
                        self.takes.push(text);
                    }
                }
                visitor::walk_stmt(self, stmt);
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Lambda(_) => return,
            Expr::Await(_) => self.awaits = true,
            Expr::Yield(_) | Expr::YieldFrom(_) => self.yields = true,
            Expr::Call(call) => {
                if let Expr::Attribute(a) = &*call.func {
                    if a.attr.as_str() == "acquire" {
                        if let Some(text) = tree::dotted(&a.value) {
                            self.takes.push(text);
                        }
                    }
                }
                let harmless = match &*call.func {
                    Expr::Name(n) => HARMLESS_BUILTINS.contains(&n.id.as_str()),
                    Expr::Attribute(a) => HARMLESS_METHODS.contains(&a.attr.as_str()),
                    _ => false,
                };
                if !harmless {
                    self.calls = true;
                }
            }
            _ => {}
        }
        visitor::walk_expr(self, expr);
    }
}

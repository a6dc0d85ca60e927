//! Finding the statements a fix wraps in the re-parsed file, and what surrounds them: the
//! bodies, functions and classes they sit in.

use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};

/// One level of nesting: a compound statement whose body holds the next level.
#[derive(Clone, Copy)]
pub(crate) struct Frame<'a> {
    pub owner: &'a Stmt,
    /// Where the clause owning `body` starts (`case` clauses start on their own line; every
    /// other clause lines up with its statement).
    pub clause_start: TextSize,
}

/// The statements covering a range: `body[first..=last]`, inside `frames` (outermost first).
pub(crate) struct Located<'a> {
    pub frames: Vec<Frame<'a>>,
    pub body: &'a [Stmt],
    pub first: usize,
    pub last: usize,
}

impl<'a> Located<'a> {
    pub fn stmts(&self) -> &'a [Stmt] {
        &self.body[self.first..=self.last]
    }

    pub fn range(&self) -> TextRange {
        TextRange::new(self.body[self.first].start(), self.body[self.last].end())
    }

    /// The innermost function around the statements, with the frames outside it.
    pub fn function(&self) -> Option<(usize, &'a ast::StmtFunctionDef)> {
        self.frames
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, f)| f.owner.as_function_def_stmt().map(|d| (i, d)))
    }

    /// The method around the statements (the innermost function defined directly in a
    /// class body) and its class.
    pub fn method(&self) -> Option<(&'a ast::StmtClassDef, &'a ast::StmtFunctionDef)> {
        for i in (1..self.frames.len()).rev() {
            if let (Some(def), Some(class)) = (
                self.frames[i].owner.as_function_def_stmt(),
                self.frames[i - 1].owner.as_class_def_stmt(),
            ) {
                return Some((class, def));
            }
        }
        None
    }

    /// The top-level statement holding the located statements.
    pub fn top_level(&self) -> TextSize {
        self.frames
            .first()
            .map_or(self.body[self.first].start(), |f| f.owner.start())
    }

    /// The functions around the statements, outermost first.
    pub fn functions(&self) -> impl Iterator<Item = &'a ast::StmtFunctionDef> + '_ {
        self.frames
            .iter()
            .filter_map(|f| f.owner.as_function_def_stmt())
    }
}

/// The bodies of a compound statement, each with the start of its clause.
pub(crate) fn child_bodies(stmt: &Stmt) -> Vec<(TextSize, &[Stmt])> {
    let start = stmt.start();
    match stmt {
        Stmt::FunctionDef(f) => vec![(start, &f.body[..])],
        Stmt::ClassDef(c) => vec![(start, &c.body[..])],
        Stmt::If(i) => {
            let mut out = vec![(start, &i.body[..])];
            out.extend(i.elif_else_clauses.iter().map(|c| (start, &c.body[..])));
            out
        }
        Stmt::For(f) => vec![(start, &f.body[..]), (start, &f.orelse[..])],
        Stmt::While(w) => vec![(start, &w.body[..]), (start, &w.orelse[..])],
        Stmt::With(w) => vec![(start, &w.body[..])],
        Stmt::Try(t) => {
            let mut out = vec![(start, &t.body[..])];
            for ast::ExceptHandler::ExceptHandler(h) in &t.handlers {
                out.push((start, &h.body[..]));
            }
            out.push((start, &t.orelse[..]));
            out.push((start, &t.finalbody[..]));
            out
        }
        Stmt::Match(m) => m.cases.iter().map(|c| (c.start(), &c.body[..])).collect(),
        _ => Vec::new(),
    }
}

fn touches(stmt: &Stmt, range: TextRange) -> bool {
    if range.is_empty() {
        stmt.start() <= range.start() && range.start() < stmt.end()
    } else {
        stmt.start() < range.end() && range.start() < stmt.end()
    }
}

/// The smallest run of sibling statements covering `range`. A range inside one body of a
/// compound statement descends into it; a range in a compound statement's header (or across
/// its bodies) takes the whole compound statement.
pub(crate) fn locate(module: &[Stmt], range: TextRange) -> Option<Located<'_>> {
    let mut frames = Vec::new();
    let mut body = module;
    loop {
        let first = body.iter().position(|s| touches(s, range))?;
        let last = body.iter().rposition(|s| touches(s, range))?;
        if first == last {
            let stmt = &body[first];
            let inner = child_bodies(stmt).into_iter().find(|(_, b)| {
                b.first().is_some_and(|s| s.start() <= range.start())
                    && b.last().is_some_and(|s| range.end() <= s.end())
            });
            if let Some((clause_start, inner)) = inner {
                frames.push(Frame {
                    owner: stmt,
                    clause_start,
                });
                body = inner;
                continue;
            }
        }
        return Some(Located {
            frames,
            body,
            first,
            last,
        });
    }
}

/// The dotted text of a name or attribute chain: `threading.Lock`, `self._lock`.
pub(crate) fn dotted(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Name(n) => Some(n.id.to_string()),
        Expr::Attribute(a) => Some(format!("{}.{}", dotted(&a.value)?, a.attr.id)),
        _ => None,
    }
}

/// The first positional parameter of a function (`self` of a method).
pub(crate) fn first_param(def: &ast::StmtFunctionDef) -> Option<&str> {
    def.parameters
        .posonlyargs
        .first()
        .or_else(|| def.parameters.args.first())
        .map(|p| p.parameter.name.id.as_str())
}

/// Whether a function is decorated with one of `names` (by last dotted segment).
pub(crate) fn has_decorator(def: &ast::StmtFunctionDef, names: &[&str]) -> bool {
    def.decorator_list.iter().any(|d| {
        let expr = match &d.expression {
            Expr::Call(c) => &*c.func,
            other => other,
        };
        dotted(expr).is_some_and(|p| names.contains(&p.rsplit('.').next().unwrap_or(&p)))
    })
}

/// The statements of a body after its docstring.
pub(crate) fn skip_docstring(body: &[Stmt]) -> &[Stmt] {
    match body.first() {
        Some(first) if ruff_python_ast::helpers::is_docstring_stmt(first) => &body[1..],
        _ => body,
    }
}

/// Visits every statement below `body` (not entering nested functions or classes unless
/// `enter_defs`), calling `f` on each.
pub(crate) fn walk_stmts<'a>(body: &'a [Stmt], enter_defs: bool, f: &mut dyn FnMut(&'a Stmt)) {
    for stmt in body {
        f(stmt);
        if !enter_defs && matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
            continue;
        }
        for (_, inner) in child_bodies(stmt) {
            walk_stmts(inner, enter_defs, f);
        }
    }
}

/// The value assigned to a target by a simple assignment statement: `target = value` or
/// `target: T = value`.
pub(crate) fn assignment(stmt: &Stmt) -> Option<(&[Expr], &Expr)> {
    match stmt {
        Stmt::Assign(a) => Some((&a.targets[..], &a.value)),
        Stmt::AnnAssign(a) => a
            .value
            .as_deref()
            .map(|v| (std::slice::from_ref(&*a.target), v)),
        _ => None,
    }
}

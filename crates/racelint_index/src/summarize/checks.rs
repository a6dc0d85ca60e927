//! Races that span more than one expression: a test of shared state and the act that relies
//! on it (check-then-act, lazy initialization, double-checked locking), reads and writes of
//! the same state split over statements, and iteration over shared containers.

use ruff_python_ast::{self as ast, CmpOp, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};

use super::{Snapshot, Summarizer};
use crate::known::is_removal;
use crate::{Access, AccessKind, HeldLock, Loc};

/// What a test looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shape {
    /// `k in d`: the act is on `d[k]`.
    Contains,
    /// `k not in d`.
    NotContains,
    /// `x is None`, `not x`, `not hasattr(obj, "x")`: lazy initialization when `x` is then set.
    Missing,
    /// A test of the value that, failed, says the value is missing: `if x:`,
    /// `x is not None`, `hasattr(obj, "x")`.
    Value,
    /// A comparison with something other than `None`: `x >= limit`, `len(q) > 0`,
    /// `self.state != STOPPED`. Failed, it says nothing of the value being missing.
    Compared,
}

/// How the value an act stores was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Made {
    /// A literal: `True`, `1`, `"x"`, `None`.
    Literal,
    /// A call: something built (`make()`, `Registry()`).
    Call,
    /// Anything else: a name, a collection, an expression.
    Other,
}

/// A test of shared state whose act may follow, inside its body or (for a guard clause
/// that leaves the block) later in the same block.
#[derive(Clone, Debug)]
pub(super) struct ActiveCheck {
    pub loc: Loc,
    pub shape: Shape,
    pub test: TextRange,
    pub locks: Vec<HeldLock>,
    pub start: TextSize,
    /// The block the check belongs to once it became a guard clause.
    pub guard_block: Option<usize>,
    /// The first act: its kind, where it is, and where its statement ends.
    pub act: Option<(AccessKind, TextRange, TextSize)>,
    /// An inner re-check under a lock covers the act (double-checked locking).
    pub covered: bool,
    pub text: String,
}

/// Whether a block ends by leaving it (`raise`, `return`, `continue`, `break`).
pub(super) fn leaves_block(body: &[Stmt]) -> bool {
    body.last().is_some_and(|s| {
        matches!(
            s,
            Stmt::Raise(_) | Stmt::Return(_) | Stmt::Continue(_) | Stmt::Break(_)
        )
    })
}

impl Summarizer<'_> {
    /// The shared state a test looks at, and how.
    pub(super) fn checks_of(&self, test: &Expr) -> Vec<(Loc, Shape, TextRange, String)> {
        let mut out = Vec::new();
        self.collect_checks(test, false, &mut out);
        out
    }

    fn collect_checks(
        &self,
        test: &Expr,
        negated: bool,
        out: &mut Vec<(Loc, Shape, TextRange, String)>,
    ) {
        let text = |e: &Expr| self.spelling(e).into_owned();
        match test {
            Expr::BoolOp(b) => {
                for v in &b.values {
                    self.collect_checks(v, negated, out);
                }
            }
            Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not => {
                self.collect_checks(&u.operand, !negated, out)
            }
            Expr::Compare(c) if c.ops.len() == 1 => {
                let right = &c.comparators[0];
                match c.ops[0] {
                    CmpOp::In | CmpOp::NotIn => {
                        if let Some(loc) = self.loc_of(right) {
                            let positive = (c.ops[0] == CmpOp::In) != negated;
                            let shape = if positive {
                                Shape::Contains
                            } else {
                                Shape::NotContains
                            };
                            out.push((Loc::Item(Box::new(loc)), shape, test.range(), text(right)));
                        }
                    }
                    CmpOp::Is | CmpOp::IsNot | CmpOp::Eq | CmpOp::NotEq
                        if matches!(right, Expr::NoneLiteral(_)) =>
                    {
                        if let Some(loc) = self.loc_of(&c.left) {
                            let is_none = matches!(c.ops[0], CmpOp::Is | CmpOp::Eq) != negated;
                            let shape = if is_none {
                                Shape::Missing
                            } else {
                                Shape::Value
                            };
                            out.push((loc, shape, test.range(), text(&c.left)));
                        }
                    }
                    // `self.owner == threading.get_ident()`: no other thread can change the
                    // outcome for this one (see `ownership_test`).
                    CmpOp::Is | CmpOp::IsNot | CmpOp::Eq | CmpOp::NotEq
                        if self.is_thread_identity(&c.left) || self.is_thread_identity(right) => {}
                    _ => {
                        for side in [&*c.left, right] {
                            if let Some((loc, t)) = self.value_tested(side) {
                                out.push((loc, Shape::Compared, test.range(), t));
                            }
                        }
                    }
                }
            }
            Expr::Call(call)
                if is_builtin(self, &call.func, "hasattr") && call.arguments.args.len() == 2 =>
            {
                let (Some(Expr::StringLiteral(name)), Some(obj)) =
                    (call.arguments.args.get(1), call.arguments.args.first())
                else {
                    return;
                };
                let attr = name.value.to_str().to_string();
                let loc = if self.is_self(obj) {
                    self.current_class().map(|c| Loc::Instance {
                        class: c.qualname.clone(),
                        attr: attr.clone(),
                    })
                } else {
                    match self.loc_of(obj) {
                        Some(Loc::Global(p)) => Some(Loc::Global(format!("{p}.{attr}"))),
                        _ => None,
                    }
                };
                if let Some(loc) = loc {
                    let shape = if negated {
                        Shape::Missing
                    } else {
                        Shape::Value
                    };
                    out.push((loc, shape, test.range(), format!("{}.{attr}", text(obj))));
                }
            }
            other => {
                if let Some((loc, t)) = self.value_tested(other) {
                    let shape = if negated {
                        Shape::Missing
                    } else {
                        Shape::Value
                    };
                    out.push((loc, shape, test.range(), t));
                }
            }
        }
    }

    /// `x`, `self.x`, `len(q)` (the items of `q`) as tested values.
    fn value_tested(&self, expr: &Expr) -> Option<(Loc, String)> {
        match expr {
            Expr::Name(_) | Expr::Attribute(_) | Expr::Subscript(_) => {
                let loc = self.loc_of(expr)?;
                self.is_variable_path(&loc)
                    .then(|| (loc, self.spelling(expr).into_owned()))
            }
            Expr::Call(call)
                if is_builtin(self, &call.func, "len") && call.arguments.args.len() == 1 =>
            {
                let arg = &call.arguments.args[0];
                let loc = self.loc_of(arg)?;
                Some((Loc::Item(Box::new(loc)), self.spelling(arg).into_owned()))
            }
            _ => None,
        }
    }

    /// Opens the checks of an `if` test.
    pub(super) fn open_checks(&mut self, test: &Expr, start: TextSize) -> usize {
        let locks = self
            .scopes
            .last()
            .map(|s| s.locks.clone())
            .unwrap_or_default();
        let mut checks = self.checks_of(test);
        checks.retain(|(loc, ..)| !self.is_owned_here(loc));
        let n = checks.len();
        for (loc, shape, range, text) in checks {
            self.scope().checks.push(ActiveCheck {
                loc,
                shape,
                test: range,
                locks: locks.clone(),
                start,
                guard_block: None,
                act: None,
                covered: false,
                text,
            });
        }
        n
    }

    /// Closes the `n` innermost checks after an `if` body. A check whose body leaves the
    /// block without acting (`if full: raise`) stays open as a guard for the rest of it.
    pub(super) fn close_checks(&mut self, n: usize, body: &[Stmt], end: TextSize) {
        let leaves = leaves_block(body);
        let block = self
            .scopes
            .last()
            .and_then(|s| s.blocks.last().copied())
            .unwrap_or(0);
        let at = self.scope().checks.len().saturating_sub(n);
        let closed: Vec<ActiveCheck> = self.scope().checks.drain(at..).collect();
        for mut check in closed {
            let read_only = matches!(check.act, Some((AccessKind::CheckThenRead, _, _)));
            if leaves && !check.covered && (check.act.is_none() || read_only) {
                // `if k in d: return d[k]` … `d[k] = v`: past the guard the test is false.
                check.shape = match check.shape {
                    Shape::Contains => Shape::NotContains,
                    Shape::NotContains => Shape::Contains,
                    Shape::Missing => Shape::Value,
                    Shape::Value => Shape::Missing,
                    Shape::Compared => Shape::Compared,
                };
                check.guard_block = Some(block);
                self.scope().checks.push(check);
            } else if check.act.is_some() || check.covered {
                self.finish_check(check, end);
            }
        }
    }

    /// Records that what is at `at` (a call, or a written target) runs only while the flags
    /// of the open guard clauses are unset (`if self._shutdown: raise ...` before it), where
    /// such a clause was tested holding a lock still held here (see [`crate::Gate`]).
    pub(super) fn note_gates(&mut self, at: TextRange) {
        let Some(scope) = self.scopes.last() else {
            return;
        };
        if scope.checks.is_empty() {
            return;
        }
        let gates: Vec<crate::Gate> = scope
            .checks
            .iter()
            .filter(|c| {
                c.guard_block.is_some()
                    && c.shape == Shape::Missing
                    && matches!(c.loc, Loc::Instance { .. } | Loc::Global(_))
            })
            .filter_map(|c| {
                let locks: Vec<HeldLock> = c
                    .locks
                    .iter()
                    .filter(|l| {
                        crate::is_effective_lock(l) && scope.locks.iter().any(|h| h.loc == l.loc)
                    })
                    .cloned()
                    .collect();
                (!locks.is_empty()).then(|| crate::Gate {
                    at,
                    flag: c.loc.clone(),
                    locks,
                })
            })
            .collect();
        let index = scope.index;
        self.functions[index].gates.extend(gates);
    }

    /// Closes the guard checks of a block that ends.
    pub(super) fn close_block_checks(&mut self, block: usize) {
        let Some(scope) = self.scopes.last_mut() else {
            return;
        };
        let (done, keep): (Vec<ActiveCheck>, Vec<ActiveCheck>) = scope
            .checks
            .drain(..)
            .partition(|c| c.guard_block == Some(block));
        scope.checks = keep;
        for check in done {
            if check.act.is_some() {
                let end = check.act.map_or(check.start, |(_, _, e)| e);
                self.finish_check(check, end);
            }
        }
    }

    fn finish_check(&mut self, check: ActiveCheck, end: TextSize) {
        let Some((kind, act, act_end)) = check.act else {
            return;
        };
        if check.covered {
            return;
        }
        let end = end.max(act_end);
        let access = Access {
            loc: check.loc,
            kind,
            new_list: false,
            range: check.test,
            stmt: TextRange::new(check.start, end.max(check.start)),
            locks: check.locks,
            text: check.text,
            second: Some(act),
        };
        self.scope().accesses.push(access);
    }

    /// Notes an access as the act of the open checks on the same state. `made` says how a
    /// written value was made.
    pub(super) fn note_act(
        &mut self,
        loc: &Loc,
        kind: AccessKind,
        range: TextRange,
        made: Option<Made>,
    ) {
        let Some(scope) = self.scopes.last_mut() else {
            return;
        };
        if scope.checks.is_empty() {
            return;
        }
        let stmt_end = scope.stmt.end();
        let locked_here = scope.locks.iter().any(crate::is_effective_lock);
        let mut covered = false;
        for check in scope.checks.iter_mut().rev() {
            if &check.loc != loc {
                continue;
            }
            let act = match (check.shape, kind) {
                (
                    _,
                    AccessKind::Write
                    | AccessKind::ReadModifyWrite
                    | AccessKind::Remove
                    | AccessKind::Append,
                ) => {
                    let lazy = check.shape == Shape::Missing
                        || (check.shape == Shape::NotContains && made == Some(Made::Call));
                    if lazy && kind == AccessKind::Write && made != Some(Made::Literal) {
                        Some(AccessKind::LazyInit)
                    } else {
                        Some(AccessKind::CheckThenAct)
                    }
                }
                (Shape::Contains, AccessKind::Read) => Some(AccessKind::CheckThenRead),
                _ => None,
            };
            let Some(act) = act else { continue };
            if covered {
                check.covered = true;
                continue;
            }
            // A write that relies on the test matters more than a read that does.
            let replaces = match check.act {
                None => true,
                Some((AccessKind::CheckThenRead, _, _)) => act != AccessKind::CheckThenRead,
                Some(_) => false,
            };
            if replaces {
                check.act = Some((act, range, stmt_end));
            }
            // A re-check under a lock makes the outer checks' acts safe.
            if check.locks.iter().any(crate::is_effective_lock) && locked_here {
                covered = true;
            }
        }
    }

    /// `try: ... d[k] ... except KeyError: d[k] = ...`: the read in the body is the test.
    pub(super) fn open_key_error_checks(&mut self, t: &ast::StmtTry, first_access: usize) -> usize {
        if !catches_key_error(t) {
            return 0;
        }
        let locks = self
            .scopes
            .last()
            .map(|s| s.locks.clone())
            .unwrap_or_default();
        let reads: Vec<(Loc, TextRange, String)> = self
            .scopes
            .last()
            .map_or(&[][..], |s| &s.accesses[first_access..])
            .iter()
            .filter(|a| a.kind == AccessKind::Read && matches!(a.loc, Loc::Item(_)))
            .map(|a| (a.loc.clone(), a.range, self.spell_text(self.text(a.range))))
            .collect();
        let n = reads.len();
        for (loc, range, text) in reads {
            self.scope().checks.push(ActiveCheck {
                loc,
                shape: Shape::NotContains,
                test: range,
                locks: locks.clone(),
                start: t.range.start(),
                guard_block: None,
                act: None,
                covered: false,
                text,
            });
        }
        n
    }

    /// Records iteration over a shared container: `for x in d`, `d.items()`, comprehensions.
    pub(super) fn note_iteration(&mut self, iter: &Expr, stmt: TextRange) {
        let container = match iter {
            Expr::Call(call) if call.arguments.is_empty() => match &*call.func {
                Expr::Attribute(a) if matches!(a.attr.id.as_str(), "items" | "keys" | "values") => {
                    &*a.value
                }
                _ => return,
            },
            Expr::Name(_) | Expr::Attribute(_) | Expr::Subscript(_) => iter,
            _ => return,
        };
        let Some(loc) = self.loc_of(container) else {
            return;
        };
        if !self.is_variable_path(&loc) || self.is_owned_here(&loc) {
            return;
        }
        let locks = self
            .scopes
            .last()
            .map(|s| s.locks.clone())
            .unwrap_or_default();
        if let Some(block) = self.scopes.last().and_then(|s| s.blocks.last().copied()) {
            let locked = locks.iter().any(crate::is_effective_lock);
            self.scope().iterated.push(Snapshot {
                loc: loc.clone(),
                key: None,
                stmt,
                block,
                locked,
            });
        }
        let access = Access {
            loc: Loc::Item(Box::new(loc)),
            kind: AccessKind::Iterate,
            new_list: false,
            range: iter.range(),
            stmt,
            locks,
            text: self.spelling(container).into_owned(),
            second: None,
        };
        self.scope().accesses.push(access);
    }

    /// The kind of a container mutation by method name.
    pub(super) fn mutation_kind(method: &str) -> AccessKind {
        if is_removal(method) {
            AccessKind::Remove
        } else if matches!(method, "append" | "extend") {
            AccessKind::Append
        } else {
            AccessKind::Write
        }
    }
}

fn names_key_error(ty: &Expr) -> bool {
    match ty {
        Expr::Name(n) => matches!(n.id.as_str(), "KeyError" | "LookupError" | "IndexError"),
        Expr::Tuple(t) => t.elts.iter().any(names_key_error),
        _ => false,
    }
}

fn is_builtin(s: &Summarizer<'_>, func: &Expr, name: &str) -> bool {
    matches!(func, Expr::Name(n) if n.id.as_str() == name && matches!(s.resolve_name(name), super::NameRes::Unknown))
}

/// How an assigned value was made.
pub(super) fn made_of(value: &Expr) -> Made {
    match value {
        Expr::BooleanLiteral(_)
        | Expr::NumberLiteral(_)
        | Expr::NoneLiteral(_)
        | Expr::StringLiteral(_)
        | Expr::BytesLiteral(_) => Made::Literal,
        Expr::UnaryOp(u) if matches!(&*u.operand, Expr::NumberLiteral(_)) => Made::Literal,
        Expr::Call(_) | Expr::Await(_) => Made::Call,
        _ => Made::Other,
    }
}

/// Whether one of the `except` clauses of a `try` catches `KeyError`.
pub(super) fn catches_key_error(t: &ast::StmtTry) -> bool {
    t.handlers
        .iter()
        .any(|ast::ExceptHandler::ExceptHandler(h)| h.type_.as_deref().is_some_and(names_key_error))
}

//! The fix builder on its own: lock choice, applicability, refusals, layout. (The end-to-end
//! guarantees are proved by the fixture pairs under `fixtures/fix/`.)

use std::path::PathBuf;

use racelint_diagnostics::{Applicability, Fix, TextRange, TextSize};
use racelint_index::{summarize, Loc, Options};

use super::text::Text;
use super::FileFixer;
use crate::FixRequest;

fn global(name: &str) -> Loc {
    Loc::Global(format!("m.{name}"))
}

fn instance(class: &str, attr: &str) -> Loc {
    Loc::Instance {
        class: format!("m.{class}"),
        attr: attr.into(),
    }
}

struct Req<'a> {
    stmt: &'a str,
    loc: Loc,
    guard: Option<(&'a str, Loc, u32)>,
    function: &'a str,
    class: Option<&'a str>,
}

fn req<'a>(stmt: &'a str, loc: Loc, function: &'a str) -> Req<'a> {
    Req {
        stmt,
        loc,
        guard: None,
        function,
        class: None,
    }
}

fn build(src: &str, r: Req<'_>) -> Option<Fix> {
    let summary = summarize(
        PathBuf::from("m.py"),
        "m".into(),
        false,
        src,
        &Options::default(),
    );
    let start = src.find(r.stmt).expect("statement in source");
    let range = TextRange::at(TextSize::try_from(start).unwrap(), TextSize::of(r.stmt));
    let request = FixRequest {
        snapshot: None,
        stmt: range,
        loc: r.loc,
        guard: r.guard.map(|(t, l, m)| (t.to_string(), l, m)),
        function: format!("m.{}", r.function),
        class: r.class.map(|c| format!("m.{c}")),
    };
    FileFixer::new(src, &summary, 0)?.wrap_in_lock(&request)
}

fn applied(src: &str, fix: &Fix) -> String {
    let out = fix.apply(src);
    assert!(
        super::parses_cleanly(&out),
        "fixed source does not parse:\n{out}"
    );
    out
}

const GLOBAL: &str = "import threading

counter = 0


def work():
    global counter
    counter += 1
";

#[test]
fn new_module_lock_is_safe_and_named_after_the_state() {
    let fix = build(GLOBAL, req("counter += 1", global("counter"), "work")).unwrap();
    assert_eq!(fix.applicability, Applicability::Safe);
    assert_eq!(
        fix.message,
        "wrap in `with _counter_lock:`, a new module-level lock"
    );
    let out = applied(GLOBAL, &fix);
    assert!(out.contains("\n_counter_lock = threading.Lock()\ncounter = 0\n"));
    assert!(out.contains("    with _counter_lock:\n        counter += 1\n"));
}

#[test]
fn a_guard_of_another_module_or_class_is_not_reused() {
    let mut r = req("counter += 1", global("counter"), "work");
    r.guard = Some(("_lock", Loc::Global("other._lock".into()), 3));
    let fix = build(GLOBAL, r).unwrap();
    assert!(fix.message.contains("_counter_lock"), "{}", fix.message);

    let src = "import threading


class A:
    def __init__(self):
        self._lock = threading.Lock()
        self.n = 0


class B:
    def __init__(self):
        self.n = 0

    def bump(self):
        self.n += 1
";
    let mut r = req("self.n += 1", instance("B", "n"), "B.bump");
    r.class = Some("B");
    r.guard = Some(("self._lock", instance("A", "_lock"), 0));
    let fix = build(src, r).unwrap();
    assert_eq!(
        fix.message,
        "wrap in `with self._lock:`, a new lock set in `__init__`"
    );
    let out = applied(src, &fix);
    assert!(out.contains(
        "class B:\n    def __init__(self):\n        self._lock = threading.Lock()\n        self.n = 0"
    ));
}

const GUARDED: &str = "import threading

_lock = threading.LOCKKIND()
total = 0


def add(n):
    global total
    with _lock:
        total += n


def add_more(n):
    global total
    total += STEP
";

fn guarded(kind: &str, step: &str) -> Option<Fix> {
    let src = GUARDED.replace("LOCKKIND", kind).replace("STEP", step);
    let stmt = format!("total += {step}");
    let mut r = req(&stmt, global("total"), "add_more");
    r.guard = Some(("_lock", global("_lock"), 0));
    let fix = build(&src, r)?;
    applied(&src, &fix);
    Some(fix)
}

#[test]
fn reusing_a_lock_is_unsafe_only_when_the_code_calls_out() {
    let plain = guarded("Lock", "n").unwrap();
    assert_eq!(plain.applicability, Applicability::Safe);
    assert_eq!(
        plain.message,
        "wrap in `with _lock:`, the lock that guards this state elsewhere"
    );
    assert_eq!(
        guarded("Lock", "compute(n)").unwrap().applicability,
        Applicability::Unsafe
    );
    // Builtins and container methods do not call back into the program.
    assert_eq!(
        guarded("Lock", "len(str(n))").unwrap().applicability,
        Applicability::Safe
    );
    // A reentrant lock cannot deadlock its own thread.
    assert_eq!(
        guarded("RLock", "compute(n)").unwrap().applicability,
        Applicability::Safe
    );
    // A semaphore may let several threads in.
    assert_eq!(
        guarded("Semaphore", "n").unwrap().applicability,
        Applicability::Unsafe
    );
}

#[test]
fn never_wraps_code_that_takes_the_same_plain_lock() {
    let src = "import threading

_lock = threading.Lock()
config = None


def load():
    global config
    with _lock:
        config = 1


def get():
    global config
    if config is None:
        with _lock:
            config = 2
";
    let stmt = "if config is None:\n        with _lock:\n            config = 2";
    let mut r = req(stmt, global("config"), "get");
    r.guard = Some(("_lock", global("_lock"), 0));
    assert!(build(src, r).is_none());
    let reentrant = src.replace("threading.Lock()", "threading.RLock()");
    let mut r = req(stmt, global("config"), "get");
    r.guard = Some(("_lock", global("_lock"), 0));
    assert!(build(&reentrant, r).is_some());
}

#[test]
fn await_and_yield_are_not_wrapped_and_return_is_unsafe() {
    let src = "import threading

total = 0


async def a():
    global total
    total += await f()


def g():
    global total
    total += yield


async def h():
    global total
    total += 1


def r(d, k):
    if k not in d:
        d[k] = 1
        return True
";
    assert!(build(src, req("total += await f()", global("total"), "a")).is_none());
    assert!(build(src, req("total += yield", global("total"), "g")).is_none());
    let in_async = build(src, req("total += 1", global("total"), "h")).unwrap();
    assert_eq!(in_async.applicability, Applicability::Unsafe);
    let stmt = "if k not in d:\n        d[k] = 1\n        return True";
    let returns = build(src, req(stmt, Loc::Item(Box::new(global("d"))), "r")).unwrap();
    assert_eq!(returns.applicability, Applicability::Unsafe);
    let out = applied(src, &returns);
    assert!(out.contains(
        "    with _d_lock:\n        if k not in d:\n            d[k] = 1\n            return True\n"
    ));
}

#[test]
fn init_is_only_created_where_that_is_harmless() {
    let body = "\n    def bump(self):\n        self.n += 1\n";
    let plain = format!("import threading\n\n\nclass C:{body}");
    let mut r = req("self.n += 1", instance("C", "n"), "C.bump");
    r.class = Some("C");
    let fix = build(&plain, r).unwrap();
    assert!(applied(&plain, &fix).contains("    def __init__(self):\n        self._lock"));
    for header in [
        "@dataclass\nclass C:",
        "class C(Base):",
        "class C(metaclass=M):",
        "class C:\n    __slots__ = ('n',)\n",
    ] {
        let src = format!("import threading\n\n\n{header}{body}");
        let mut r = req("self.n += 1", instance("C", "n"), "C.bump");
        r.class = Some("C");
        assert!(build(&src, r).is_none(), "offered a fix for `{header}`");
    }
}

#[test]
fn a_stale_range_or_a_broken_file_gets_no_fix() {
    let src = GLOBAL.replace("counter += 1", "counter += 1\n    x = (");
    let summary = summarize(
        PathBuf::from("m.py"),
        "m".into(),
        false,
        &src,
        &Options::default(),
    );
    assert!(FileFixer::new(&src, &summary, 0).is_none());
    // A range that no longer starts a statement (the file changed since it was summarized).
    let summary = summarize(
        PathBuf::from("m.py"),
        "m".into(),
        false,
        GLOBAL,
        &Options::default(),
    );
    let fixer = FileFixer::new(GLOBAL, &summary, 0).unwrap();
    let at = TextSize::try_from(GLOBAL.find("counter += 1").unwrap() + 2).unwrap();
    let request = FixRequest {
        snapshot: None,
        stmt: TextRange::at(at, TextSize::new(5)),
        loc: global("counter"),
        guard: None,
        function: "m.work".into(),
        class: None,
    };
    assert!(fixer.wrap_in_lock(&request).is_none());
}

#[test]
fn new_names_do_not_collide_and_imports_respect_the_module() {
    let src = "from threading import Thread

Lock = object
_counter_lock = 'taken'
counter = 0


def work():
    global counter
    counter += 1
";
    let fix = build(src, req("counter += 1", global("counter"), "work")).unwrap();
    let out = applied(src, &fix);
    // `Lock` means something else here, so `threading` is imported instead.
    assert!(out.starts_with("from threading import Thread\nimport threading\n"));
    assert!(out.contains("_counter_lock2 = threading.Lock()"));
    assert!(out.contains("with _counter_lock2:"));
}

#[test]
fn several_statements_go_under_one_with() {
    let src = "import threading

balance = 0


def move(n):
    global balance
    old = balance
    balance = old + n
";
    let stmt = "old = balance\n    balance = old + n";
    let fix = build(src, req(stmt, global("balance"), "move")).unwrap();
    let out = applied(src, &fix);
    assert!(
        out.contains("    with _balance_lock:\n        old = balance\n        balance = old + n\n")
    );
}

#[test]
fn reindent_leaves_multiline_strings_and_blank_lines_alone() {
    let src = "x = f(\n    a,\n\n    '''one\ntwo''',\n)\n";
    let parsed = super::parse(src).unwrap();
    let text = Text::new(src, parsed.tokens());
    let range = TextRange::up_to(TextSize::of(src.trim_end()));
    assert_eq!(
        text.reindent(range),
        "x = f(\n        a,\n\n        '''one\ntwo''',\n    )"
    );
}

#[test]
fn line_starts_skip_a_byte_order_mark() {
    let src = "\u{feff}x = 1\n";
    let parsed = super::parse(src).unwrap();
    let text = Text::new(src, parsed.tokens());
    assert_eq!(text.line_start(TextSize::new(5)), TextSize::new(3));
}

#[test]
fn reusing_a_lock_in_a_function_that_takes_locks_by_hand_is_unsafe() {
    // `release` holds `_block` already when it updates `_count` (it checked the owner first).
    let src = "import threading


class Reentrant:
    def __init__(self):
        self._block = threading.Lock()
        self._count = 0

    def acquire(self):
        self._block.acquire()
        self._count = 1

    def release(self):
        self._count -= 1
        if not self._count:
            self._block.release()
";
    let mut r = req(
        "self._count -= 1",
        instance("Reentrant", "_count"),
        "Reentrant.release",
    );
    r.class = Some("Reentrant");
    r.guard = Some(("self._block", instance("Reentrant", "_block"), 0));
    let fix = build(src, r).unwrap();
    assert_eq!(
        fix.message,
        "wrap in `with self._block:`, the lock that guards this state elsewhere"
    );
    assert_eq!(fix.applicability, Applicability::Unsafe);
}

#[test]
fn a_class_with_a_base_gets_a_lock_named_after_the_state() {
    let src = "import threading

from base import Worker


class Pool(Worker):
    def __init__(self):
        super().__init__()
        self.served = 0

    def serve(self):
        self.served += 1
";
    let mut r = req("self.served += 1", instance("Pool", "served"), "Pool.serve");
    r.class = Some("Pool");
    let fix = build(src, r).unwrap();
    let out = applied(src, &fix);
    assert!(out.contains(
        "    def __init__(self):\n        self._served_lock = threading.Lock()\n        super().__init__()\n"
    ));
    assert!(out.contains("        with self._served_lock:\n            self.served += 1\n"));
}

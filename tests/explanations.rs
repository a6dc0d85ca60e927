//! What a diagnostic says: the state it names, the thread entry and the call path it gives,
//! and the lock it points to. The fixtures pin which lines are reported; these tests pin
//! the words users read.

mod common;

use std::path::PathBuf;

use racelint_diagnostics::Diagnostic;
use racelint_linter::{check_paths, Settings};

fn check(root: PathBuf) -> Vec<Diagnostic> {
    check_paths(&[root], &Settings::new())
        .expect("the check runs")
        .diagnostics
}

fn described(d: &Diagnostic) -> String {
    let related: Vec<&str> = d.related.iter().map(|r| r.message.as_str()).collect();
    format!(
        "{} {}\nlabel: {}\nrelated: {related:?}\nnotes: {:?}\nfix: {:?}",
        d.code,
        d.message,
        d.label,
        d.notes,
        d.fix.as_ref().map(|f| &f.message)
    )
}

/// Every diagnostic described, for assertion messages and for searching the words.
fn described_all(diagnostics: &[Diagnostic]) -> String {
    let all: Vec<String> = diagnostics.iter().map(described).collect();
    all.join("\n\n")
}

/// The diagnostic of `code` that starts on `line`, described; the test fails, showing every
/// diagnostic, when there is none.
fn described_at(diagnostics: &[Diagnostic], code: &str, line: u32) -> String {
    diagnostics
        .iter()
        .find(|d| d.code == code && d.span.start.line == line)
        .map(described)
        .unwrap_or_else(|| {
            panic!(
                "no {code} on line {line} in:\n{}",
                described_all(diagnostics)
            )
        })
}

/// State read into a local (`cache = self.cache`, `lock = self._lock`) is named as the
/// attribute, never as the local: the local means nothing in another method, and a fix or a
/// hint that said `with lock:` there would not even run.
#[test]
fn state_and_locks_read_into_locals_are_named_as_written_at_the_source() {
    let dir = common::project(&[(
        "counter.py",
        "\
import threading


class Counter:
    def __init__(self):
        self._lock = threading.Lock()
        self.n = 0
        self.cache = {}

    def locked(self):
        lock = self._lock
        with lock:
            self.n += 1

    def bump(self):
        self.n += 1

    def remember(self, k):
        cache = self.cache
        if k not in cache:
            cache[k] = 1

    def close(self):
        close = self._close
        if close:
            self._close = None
            close()

    def lookup(self, k):
        cache = self.cache
        try:
            return cache[k]
        except KeyError:
            cache[k] = 0

    def reset(self):
        # The lock guards every attribute above: state it never guards stays with the
        # thread that uses the object.
        with self._lock:
            self.cache = {}
            self._close = None
",
    )]);
    let diagnostics = check(dir.path().to_path_buf());
    let find = |code: &str, line: u32| described_at(&diagnostics, code, line);

    let bump = find("RL101", 16);
    assert!(
        bump.contains("`self._lock` guards `self.n` here"),
        "the lock is named as the attribute:\n{bump}"
    );
    assert!(
        bump.contains("hold `self._lock` around this update"),
        "{bump}"
    );
    assert!(!bump.contains("`lock`"), "the local leaks into:\n{bump}");

    let remember = find("RL201", 20);
    assert!(
        remember.contains("an item of instance attribute `self.cache` of `Counter`"),
        "the container is named as the attribute:\n{remember}"
    );

    let close = find("RL201", 25);
    assert!(
        close.contains("instance attribute `self._close` of `Counter`"),
        "the tested local is named as the attribute it holds:\n{close}"
    );
    let lookup = find("RL201", 32);
    assert!(
        lookup.contains("an item of instance attribute `self.cache` of `Counter`"),
        "a read that a `try` tests is named as the attribute too:\n{lookup}"
    );
    assert_eq!(diagnostics.len(), 4, "{}", described_all(&diagnostics));
}

/// The shipped demo: each finding names the state, the function a thread runs, where that
/// thread is started (in another file) and the calls from there to the statement.
#[test]
fn demo_findings_name_the_entry_the_start_site_and_the_call_path() {
    let demo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    let diagnostics = check(demo);
    let lazy = diagnostics
        .iter()
        .find(|d| d.code == "RL202")
        .expect("the demo has a lazy initialization");
    let text = described(lazy);
    assert!(
        lazy.message
            .starts_with("lazy initialization of an item of module global `_thumbnails`"),
        "{text}"
    );
    assert!(
        lazy.message
            .ends_with("`_one` runs in several threads at once"),
        "{text}"
    );
    assert!(
        lazy.notes
            .iter()
            .any(|n| n == "call path: prerender → _one → thumbnail"),
        "{text}"
    );
    assert!(
        lazy.notes
            .iter()
            .any(|n| n.starts_with("evidence: thread start")),
        "{text}"
    );
    let start = lazy
        .related
        .iter()
        .find(|r| r.message.starts_with("`_one` is started here"))
        .unwrap_or_else(|| panic!("no thread start among the related spans:\n{text}"));
    assert!(start.span.path.ends_with("thumbs/batch.py"), "{text}");
    assert!(
        lazy.related
            .iter()
            .any(|r| r.message == "`_one` calls `thumbnail` here"),
        "{text}"
    );
}

/// In a larger class the contract covers only the state its lock guards; a finding under it
/// says so, and a small class's finding does not.
#[test]
fn a_contract_narrowed_to_guarded_state_says_so() {
    let dir = common::project(&[(
        "classes.py",
        "\
import threading


class Big:
    def __init__(self):
        self._lock = threading.Lock()
        self.total = 0

    def add(self):
        with self._lock:
            self.total += 1

    def undo(self):
        self.total -= 1

    def a(self): pass
    def b(self): pass
    def c(self): pass
    def d(self): pass
    def e(self): pass


class Small:
    def __init__(self):
        self._lock = threading.Lock()
        self.total = 0
        self.misses = 0

    def add(self):
        with self._lock:
            self.total += 1

    def miss(self):
        self.misses += 1
",
    )]);
    let diagnostics = check(dir.path().to_path_buf());
    let all = described_all(&diagnostics);
    let on_line = |line: u32| described_at(&diagnostics, "RL101", line);
    let narrowed = "in a class this large that holds for the state its lock guards somewhere";
    let big = on_line(14);
    assert!(big.contains(narrowed), "{big}");
    let small = on_line(34);
    assert!(!small.contains(narrowed), "{small}");
    assert_eq!(diagnostics.len(), 2, "{all}");
}

/// A race in the thread that submits a task names the task it races with, and the
/// executor's `with` block is not named as a lock that guards anything.
#[test]
fn a_race_in_the_submitting_thread_names_the_task() {
    let dir = common::project(&[(
        "flush.py",
        "\
from concurrent.futures import ThreadPoolExecutor

written = 0


def write_block(block):
    global written
    written += len(block)


def flush_all(blocks):
    global written
    with ThreadPoolExecutor(max_workers=1) as ex:
        for block in blocks:
            ex.submit(write_block, block)
        written += 1
",
    )]);
    let diagnostics = check(dir.path().to_path_buf());
    let all = described_all(&diagnostics);
    let spawner = described_at(&diagnostics, "RL101", 16);
    assert!(
        spawner.contains("while the thread it started (`write_block`) writes it too"),
        "{spawner}"
    );
    assert!(!all.contains("guards `written`"), "{all}");
    assert!(!all.contains("several tasks at a time"), "{all}");
}

/// The call path shown is one on which the lock is not held: a caller that holds it would
/// point at the wrong place.
#[test]
fn the_call_path_goes_through_the_caller_that_holds_no_lock() {
    let dir = common::project(&[(
        "paths.py",
        "\
import threading

lock = threading.Lock()
count = 0


def bump():
    global count
    count += 1


def locked_path():
    with lock:
        bump()


def unlocked_path():
    bump()


def worker():
    locked_path()
    unlocked_path()


for _ in range(4):
    threading.Thread(target=worker).start()
",
    )]);
    let diagnostics = check(dir.path().to_path_buf());
    let bump = described_at(&diagnostics, "RL101", 9);
    assert!(
        bump.contains("worker → unlocked_path → bump"),
        "the path through the unlocked caller:\n{bump}"
    );
}

/// A context manager that holds no lock is never named as the lock that guards state.
#[test]
fn a_context_manager_that_holds_no_lock_guards_nothing() {
    let dir = common::project(&[(
        "db.py",
        "\
import threading


class Conn:
    def __init__(self):
        self._lock = threading.Lock()
        self.queries = 0

    def cursor(self):
        return object()

    def run(self, sql):
        with self.cursor():
            self.queries += 1

    def other(self):
        with self._lock:
            pass

    def count(self):
        self.queries += 1
",
    )]);
    let diagnostics = check(dir.path().to_path_buf());
    let all = described_all(&diagnostics);
    assert_eq!(diagnostics.len(), 2, "{all}");
    assert!(!all.contains("self.cursor()"), "{all}");
}

/// State reached through a parameter is named as the code spells it, and as the object the
/// start passes.
#[test]
fn state_passed_to_threads_names_the_object_passed() {
    let dir = common::project(&[(
        "words.py",
        "\
import threading


def count_words(counter, words):
    for word in words:
        counter[word] = counter.get(word, 0) + 1


def main(chunks):
    counts = {}
    for chunk in chunks:
        threading.Thread(target=count_words, args=(counts, chunk)).start()
",
    )]);
    let diagnostics = check(dir.path().to_path_buf());
    let all = described_all(&diagnostics);
    assert_eq!(diagnostics.len(), 1, "{all}");
    assert!(
        all.contains("an item of `counter` (`counter` is the local `counts` of `main`, which the start passes to each thread it runs)"),
        "{all}"
    );
}

/// A write in another thread is attributed to the entry point that reaches it, not to the
/// first entry of its context.
#[test]
fn the_other_thread_is_named_by_the_entry_that_reaches_the_write() {
    let dir = common::project(&[(
        "svc.py",
        "\
import threading


class Svc:
    def __init__(self):
        self._lock = threading.Lock()
        self.state = None
        self._thread = None

    def name(self):
        return 'svc'

    def start(self):
        self._thread = threading.Thread(target=self._run)
        self._thread.start()

    def _run(self):
        if self.state is None:
            self.state = 'running'

    def reset(self):
        self._clear()

    def _clear(self):
        self.state = None

    def locked(self):
        with self._lock:
            pass
",
    )]);
    let diagnostics = check(dir.path().to_path_buf());
    let all = described_all(&diagnostics);
    assert!(all.contains("(entry `Svc.reset`)"), "{all}");
    assert!(!all.contains("(entry `Svc.name`)"), "{all}");
}

/// When a container is changed in a helper, the iteration's label names the entry whose call
/// of the helper holds no lock in common with the loop: the helper alone does not say which
/// caller to fix.
#[test]
fn a_change_in_a_helper_names_the_entry_that_calls_it_unlocked() {
    let dir = common::project(&[(
        "observer.py",
        "\
import threading


class Observer:
    def __init__(self):
        self._lock = threading.RLock()
        self._emitters = set()

    def _remove(self, emitter):
        self._emitters.discard(emitter)

    def unschedule(self, emitter):
        with self._lock:
            self._remove(emitter)

    def on_start(self, emitter):
        self._remove(emitter)

    def stop_all(self):
        with self._lock:
            for emitter in self._emitters:
                emitter.stop()
",
    )]);
    let diagnostics = check(dir.path().to_path_buf());
    let all = described_all(&diagnostics);
    assert!(
        all.contains(
            "`Observer._remove` changes it here with no lock in common (called from `Observer.on_start`)"
        ),
        "{all}"
    );
    assert!(
        !all.contains("(called from `Observer.unschedule`)"),
        "{all}"
    );
}

/// A class that only takes a lock kept in another object is held to the state that lock
/// guards, and the evidence says why.
#[test]
fn a_contract_from_another_objects_lock_says_so() {
    let dir = common::project(&[(
        "lease.py",
        "\
import threading


class Pool:
    def __init__(self):
        self.lock = threading.Lock()
        self.in_use = 0


class Lease:
    def __init__(self, pool):
        self.pool = pool
        self.returned = 0

    def take(self):
        with self.pool.lock:
            self.pool.in_use += 1

    def give_back(self):
        self.pool.in_use -= 1
        self.returned += 1
",
    )]);
    let diagnostics = check(dir.path().to_path_buf());
    let all = described_all(&diagnostics);
    assert_eq!(diagnostics.len(), 1, "{all}");
    assert!(all.contains("`self.pool.in_use`"), "{all}");
    assert!(
        all.contains(
            "the lock belongs to another object, so that holds for the state it guards somewhere"
        ),
        "{all}"
    );
}

/// State of a module outside the project is named as an attribute of that module, not as a
/// global of the project.
#[test]
fn state_of_a_library_module_is_named_as_such() {
    let dir = common::project(&[(
        "patch.py",
        "\
import threading
from urllib3 import filepost


def patched():
    original = filepost.choose_boundary
    filepost.choose_boundary = lambda: 'x'
    print('patched')
    filepost.choose_boundary = original


for _ in range(4):
    threading.Thread(target=patched).start()
",
    )]);
    let diagnostics = check(dir.path().to_path_buf());
    let all = described_all(&diagnostics);
    assert!(
        all.contains(
            "`filepost.choose_boundary` (attribute `choose_boundary` of `urllib3.filepost`, outside the project)"
        ),
        "{all}"
    );
    assert!(!all.contains("module global `urllib3`"), "{all}");
}

/// The narrowing of a large class's contract is about the object's own attributes. A
/// global that its methods update is shared by threads that each use an object of their
/// own, and the note says so rather than claiming the class's lock guards it.
#[test]
fn a_narrowed_contract_on_global_state_says_why_it_is_shared() {
    let dir = common::project(&[(
        "big.py",
        "\
import threading

_registry = None


class Big:
    def __init__(self):
        self._lock = threading.Lock()
        self.total = 0

    def add(self):
        with self._lock:
            self.total += 1

    def registry(self):
        global _registry
        if _registry is None:
            _registry = {}
        return _registry

    def a(self): pass
    def b(self): pass
    def c(self): pass
    def d(self): pass
    def e(self): pass
",
    )]);
    let diagnostics = check(dir.path().to_path_buf());
    let all = described_all(&diagnostics);
    let lazy = described_at(&diagnostics, "RL202", 17);
    assert!(
        lazy.contains("this state belongs to no one object, so threads that each use an object of their own share it"),
        "{lazy}"
    );
    assert!(!lazy.contains("as it guards this"), "{lazy}");
    assert_eq!(diagnostics.len(), 1, "{all}");
}

/// A list copied and stored back loses what another thread appends meanwhile: the other
/// thread is said to change its contents, not to write it (it never rebinds the list).
#[test]
fn a_copy_stored_back_names_the_thread_that_changes_the_contents() {
    let dir = common::project(&[(
        "log.py",
        "\
import threading


class Log:
    def __init__(self):
        self.lines = []

    def add(self, line):
        self.lines.append(line)

    def trim(self):
        self.lines = self.lines[-100:]


log = Log()
for i in range(4):
    threading.Thread(target=log.add, args=(str(i),)).start()
threading.Thread(target=log.trim).start()
",
    )]);
    let diagnostics = check(dir.path().to_path_buf());
    let all = described_all(&diagnostics);
    assert_eq!(diagnostics.len(), 1, "{all}");
    assert_eq!(diagnostics[0].code, "RL101", "{all}");
    assert!(
        all.contains(
            "`Log.trim` runs in a thread while `Log.add` changes its contents in another thread"
        ),
        "{all}"
    );
    assert!(
        all.contains("its contents changed here by `Log.add`, with no lock in common"),
        "{all}"
    );
}

/// A contract narrowed because the class's lock guards only other objects' state says so,
/// rather than claiming the whole object is meant for several threads.
#[test]
fn a_lock_kept_for_another_object_narrows_the_contract_and_says_why() {
    let dir = common::project(&[(
        "parser.py",
        "\
import threading


class Parser:
    def __init__(self, session):
        self._session = session
        self._lock = threading.Lock()
        self._depth = 0

    def start_element(self, tag):
        with self._lock:
            listeners = list(self._session.listeners)
        self._depth += 1
        return listeners

    def add_listener(self, listener):
        self._session.listeners += [listener]
",
    )]);
    let diagnostics = check(dir.path().to_path_buf());
    let all = described_all(&diagnostics);
    assert_eq!(diagnostics.len(), 1, "{all}");
    assert!(all.contains("self._session.listeners"), "{all}");
    assert!(
        all.contains("its lock guards only state of other objects"),
        "{all}"
    );
}

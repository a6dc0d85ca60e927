//! Configuration through the command line: discovery, `--config`, `--isolated`, overrides,
//! excludes, `--force-exclude`, `respect-gitignore`, the domain keys, and errors (exit 2).

mod common;

use common::project;
use std::path::Path;
use std::process::{Command, Output};

const RACY: &str = "\
import threading

counter = 0


def work():
    global counter
    counter += 1


threads = [threading.Thread(target=work) for _ in range(4)]
";

fn racelint(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_racelint"))
        .current_dir(dir)
        .arg("check")
        .args(["--output-format", "concise"])
        .args(args)
        .output()
        .expect("racelint runs")
}

fn shown(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `path:line: CODE` of every diagnostic, in output order.
fn reported(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(": RL"))
        .map(|l| {
            let mut parts = l.splitn(4, ':');
            let file = parts.next().unwrap_or_default();
            let line = parts.next().unwrap_or_default();
            let _col = parts.next();
            let code = parts
                .next()
                .unwrap_or_default()
                .split_whitespace()
                .next()
                .unwrap_or_default();
            format!("{file}:{line}: {code}")
        })
        .collect()
}

#[test]
fn pyproject_is_found_from_a_checked_subdirectory_file() {
    let dir = project(&[
        (
            "pyproject.toml",
            "[project]\nname = \"demo\"\n\n[tool.racelint]\nignore = [\"RL101\"]\n",
        ),
        ("src/pkg/racy.py", RACY),
    ]);
    let out = racelint(&dir.path().join("src"), &["pkg/racy.py"]);
    assert_eq!(out.status.code(), Some(0), "{}", shown(&out));
    assert!(reported(&out).is_empty());
    let out = racelint(&dir.path().join("src"), &["pkg/racy.py", "--isolated"]);
    assert_eq!(
        reported(&out),
        vec!["pkg/racy.py:8: RL101"],
        "{}",
        shown(&out)
    );
}

#[test]
fn explicit_config_and_isolated() {
    let dir = project(&[
        ("racelint.toml", "ignore = [\"RL101\"]\n"),
        ("ci/strict.toml", "select = [\"ALL\"]\n"),
        ("racy.py", RACY),
    ]);
    assert!(reported(&racelint(dir.path(), &[])).is_empty());
    let out = racelint(dir.path(), &["--config", "ci/strict.toml"]);
    assert_eq!(reported(&out), vec!["racy.py:8: RL101"], "{}", shown(&out));
    let out = racelint(dir.path(), &["--isolated"]);
    assert_eq!(reported(&out), vec!["racy.py:8: RL101"]);
    let out = racelint(dir.path(), &["--isolated", "--config", "ci/strict.toml"]);
    assert_eq!(out.status.code(), Some(2), "{}", shown(&out));
}

#[test]
fn command_line_selection_overrides_the_file() {
    let dir = project(&[
        ("racelint.toml", "select = [\"RL001\"]\n"),
        ("racy.py", RACY),
        ("bad.py", "def f(:\n"),
    ]);
    let out = racelint(dir.path(), &[]);
    assert!(
        reported(&out).iter().all(|r| r.ends_with("RL001")),
        "{}",
        shown(&out)
    );
    let out = racelint(dir.path(), &["--select", "RL101"]);
    assert_eq!(reported(&out), vec!["racy.py:8: RL101"], "{}", shown(&out));
    let out = racelint(
        dir.path(),
        &["--extend-select", "RL101", "--ignore", "RL001"],
    );
    assert_eq!(reported(&out), vec!["racy.py:8: RL101"], "{}", shown(&out));
}

#[test]
fn excludes_from_file_and_command_line() {
    let files = [
        ("racy.py", RACY),
        ("generated/gen.py", RACY),
        ("pkg/legacy/old.py", RACY),
        ("build/out.py", RACY),
    ];
    // The built-in excludes skip `build`.
    let dir = project(&files);
    let out = racelint(dir.path(), &[]);
    assert_eq!(
        reported(&out),
        vec![
            "generated/gen.py:8: RL101",
            "pkg/legacy/old.py:8: RL101",
            "racy.py:8: RL101"
        ],
        "{}",
        shown(&out)
    );
    let dir = project(&[
        files[0],
        files[1],
        files[2],
        files[3],
        (
            "pyproject.toml",
            "[tool.racelint]\nextend-exclude = [\"generated\", \"pkg/*/old.py\"]\n",
        ),
    ]);
    let out = racelint(dir.path(), &[]);
    assert_eq!(reported(&out), vec!["racy.py:8: RL101"], "{}", shown(&out));
    // `--exclude` replaces `exclude` (and so the built-in list); `extend-exclude` still applies.
    let out = racelint(dir.path(), &["--exclude", "racy.py"]);
    assert_eq!(
        reported(&out),
        vec!["build/out.py:8: RL101"],
        "{}",
        shown(&out)
    );
    let out = racelint(dir.path(), &["--extend-exclude", "racy.py"]);
    assert!(reported(&out).is_empty(), "{}", shown(&out));
}

#[test]
fn force_exclude_applies_excludes_to_named_files() {
    let dir = project(&[
        ("racelint.toml", "extend-exclude = [\"generated\"]\n"),
        ("generated/gen.py", RACY),
        ("racy.py", RACY),
    ]);
    let out = racelint(dir.path(), &["generated/gen.py"]);
    assert_eq!(
        reported(&out),
        vec!["generated/gen.py:8: RL101"],
        "{}",
        shown(&out)
    );
    let out = racelint(dir.path(), &["generated/gen.py", "--force-exclude"]);
    assert_eq!(out.status.code(), Some(0), "{}", shown(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("(0 files checked)"));
    let out = racelint(
        dir.path(),
        &["generated/gen.py", "racy.py", "--force-exclude"],
    );
    assert_eq!(reported(&out), vec!["racy.py:8: RL101"], "{}", shown(&out));
}

#[test]
fn respect_gitignore_can_be_switched_off() {
    let dir = project(&[
        (".gitignore", "ignored/\n"),
        ("ignored/racy.py", RACY),
        ("racelint.toml", "respect-gitignore = true\n"),
    ]);
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    assert!(reported(&racelint(dir.path(), &[])).is_empty());
    let out = racelint(dir.path(), &["--no-respect-gitignore"]);
    assert_eq!(
        reported(&out),
        vec!["ignored/racy.py:8: RL101"],
        "{}",
        shown(&out)
    );
    std::fs::write(
        dir.path().join("racelint.toml"),
        "respect-gitignore = false\n",
    )
    .unwrap();
    let out = racelint(dir.path(), &[]);
    assert_eq!(
        reported(&out),
        vec!["ignored/racy.py:8: RL101"],
        "{}",
        shown(&out)
    );
}

const FRAMEWORK: &str = "\
def background(fn):
    return fn


def spawn(fn):
    fn()
";

const LOCKS: &str = "\
import threading


def make_lock():
    return threading.Lock()


def synchronized(fn):
    lock = threading.Lock()

    def wrapper(*args):
        with lock:
            return fn(*args)

    return wrapper
";

const JOBS: &str = "\
from myapp.framework import background, spawn

total = 0
count = 0


@background
def on_event():
    global total
    total += 1


def tick():
    global count
    count += 1


for _ in range(3):
    spawn(tick)
";

const REGISTRY: &str = "\
from myapp.locks import make_lock

_lock = make_lock()
items = []
size = 0


def add(item):
    with _lock:
        items.append(item)


def grow():
    global size
    size += 1
";

const GUARDED: &str = "\
import threading

from myapp.locks import synchronized

other = 0


@synchronized
def work():
    global other
    other += 1


for _ in range(3):
    threading.Thread(target=work).start()
";

fn domain_project(config: &str) -> tempfile::TempDir {
    project(&[
        ("racelint.toml", config),
        ("myapp/__init__.py", ""),
        ("myapp/framework.py", FRAMEWORK),
        ("myapp/locks.py", LOCKS),
        ("myapp/jobs.py", JOBS),
        ("myapp/registry.py", REGISTRY),
        ("myapp/guarded.py", GUARDED),
    ])
}

#[test]
fn domain_keys_change_what_runs_in_threads_and_what_is_a_lock() {
    let none = domain_project("");
    let out = racelint(none.path(), &[]);
    assert_eq!(
        reported(&out),
        vec!["myapp/guarded.py:11: RL101"],
        "{}",
        shown(&out)
    );

    let all = domain_project(
        "thread-entry-points = [\"myapp.framework.background\", \"myapp.framework.spawn\"]\n\
         lock-factories = [\"myapp.locks.make_lock\"]\n\
         synchronized-decorators = [\"myapp.locks.synchronized\"]\n",
    );
    let out = racelint(all.path(), &[]);
    assert_eq!(
        reported(&out),
        vec![
            // thread-entry-points: a decorator, and a callable taking the function to run.
            "myapp/jobs.py:10: RL101",
            "myapp/jobs.py:15: RL101",
            // lock-factories: `_lock` is a module-level lock, so the module's public
            // functions are meant for several threads.
            "myapp/registry.py:15: RL101",
            // synchronized-decorators: `work` runs under the decorator's lock (gone).
        ],
        "{}",
        shown(&out)
    );
}

#[test]
fn configuration_errors_exit_with_two_and_name_file_line_and_key() {
    let cases = [
        ("pyproject.toml", "[project]\nname = \"x\"\n\n[tool.racelint]\nselect = [\"RL101\"]\nextend-selct = [\"RL900\"]\n",
         "pyproject.toml:6: `tool.racelint.extend-selct`: unknown key (did you mean `extend-select`?)"),
        ("racelint.toml", "ignore = [\"RL101\",\n  \"RL9999\"]\n",
         "racelint.toml:2: `ignore`: unknown rule selector `RL9999`"),
        (".racelint.toml", "respect-gitignore = 1\n",
         ".racelint.toml:1: `respect-gitignore`: expected `true` or `false`, found the integer 1"),
        ("racelint.toml", "[per-file-ignores]\n\"tests/**\" = [\"RL101\"]\n\"[\" = [\"RL101\"]\n",
         "racelint.toml:3: `per-file-ignores.\"[\"`: invalid glob `[`"),
        ("racelint.toml", "thread-entry-points = [\"not a path\"]\n",
         "racelint.toml:1: `thread-entry-points`: `not a path` is not a dotted path"),
        ("racelint.toml", "select = [\n", "racelint.toml:1: invalid TOML"),
    ];
    for (name, text, expected) in cases {
        let dir = project(&[(name, text), ("racy.py", RACY)]);
        let out = racelint(dir.path(), &[]);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", shown(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(
            stderr.starts_with(&format!("racelint: error: {expected}")),
            "expected {expected:?}, got {stderr:?}"
        );
        assert!(out.stdout.is_empty(), "{}", shown(&out));
    }
    // Bad options are one-line errors too.
    let dir = project(&[("racy.py", RACY)]);
    for args in [
        &["--select", "RL7"][..],
        &["--exclude", "a/[b"][..],
        &["--config", "missing.toml"][..],
    ] {
        let out = racelint(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", shown(&out));
        assert_eq!(
            String::from_utf8_lossy(&out.stderr).lines().count(),
            1,
            "{}",
            shown(&out)
        );
    }
}

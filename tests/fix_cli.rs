//! `racelint check --fix`, `--unsafe-fixes`, `--diff` and `--fix-only`, end to end through
//! the real binary: what is printed, what is written, and the exit codes.

mod common;

use common::project;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn racelint(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_racelint"))
        .arg("check")
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("racelint runs")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const COUNTER: &str = "import threading

counter = 0


def worker():
    global counter
    counter += 1


for _ in range(4):
    threading.Thread(target=worker).start()
";

const COUNTER_FIXED: &str = "import threading

_counter_lock = threading.Lock()
counter = 0


def worker():
    global counter
    with _counter_lock:
        counter += 1


for _ in range(4):
    threading.Thread(target=worker).start()
";

/// One race with a safe fix (`hits`: the module's lock `_lock` around plain arithmetic) and
/// one whose fix reuses `_lock` around a call (unsafe: the call might take `_lock` itself).
const MIXED: &str = "import threading

_lock = threading.Lock()
hits = 0
total = 0


def add(n):
    global total
    with _lock:
        total += n


def work(n):
    global hits, total
    hits += 1
    total += compute(n)


def compute(n):
    return n


for _ in range(4):
    threading.Thread(target=work, args=(1,)).start()
    threading.Thread(target=add, args=(2,)).start()
";

#[test]
fn without_a_fix_flag_the_fix_is_announced_with_its_lock() {
    let dir = project(&[("m.py", COUNTER)]);
    let full = racelint(dir.path(), &["."]);
    assert_eq!(full.status.code(), Some(1));
    let text = out(&full);
    assert!(
        text.contains("runs in several threads at once [*]"),
        "{text}"
    );
    assert!(
        text.contains(
            "help: wrap in `with _counter_lock:`, a new module-level lock (fix available: run with `--fix`)"
        ),
        "{text}"
    );
    let concise = out(&racelint(dir.path(), &["--output-format", "concise", "."]));
    assert!(concise.contains("m.py:8:5: RL101 [*] "), "{concise}");
    assert_eq!(
        fs::read_to_string(dir.path().join("m.py")).unwrap(),
        COUNTER
    );
}

#[test]
fn fix_writes_the_file_and_counts_what_it_fixed() {
    let dir = project(&[("m.py", COUNTER)]);
    let run = racelint(dir.path(), &["--fix", "."]);
    assert_eq!(run.status.code(), Some(0), "{}{}", out(&run), err(&run));
    assert_eq!(
        out(&run).trim(),
        "Fixed 1 issue in 1 file, 0 remaining (1 file checked)."
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("m.py")).unwrap(),
        COUNTER_FIXED
    );
    let again = racelint(dir.path(), &["."]);
    assert_eq!(again.status.code(), Some(0), "{}", out(&again));
}

#[test]
fn unsafe_fixes_wait_for_the_flag() {
    let dir = project(&[("m.py", MIXED)]);
    let run = racelint(dir.path(), &["--fix", "--output-format", "concise", "."]);
    assert_eq!(run.status.code(), Some(1));
    let text = out(&run);
    // Positions are those of the fixed file.
    assert!(text.contains("m.py:18:5: RL101 unsynchronized"), "{text}");
    assert!(
        text.contains(
            "Fixed 1 issue in 1 file, 1 remaining in 1 file (1 file checked). 1 more is fixable with `--unsafe-fixes`."
        ),
        "{text}"
    );
    let fixed = fs::read_to_string(dir.path().join("m.py")).unwrap();
    assert!(fixed.contains("    with _lock:\n        hits += 1\n"));
    assert!(fixed.contains("\n    total += compute(n)\n"));

    let run = racelint(dir.path(), &["--fix", "--unsafe-fixes", "."]);
    assert_eq!(run.status.code(), Some(0), "{}", out(&run));
    assert!(out(&run).contains("Fixed 1 issue in 1 file, 0 remaining"));
    let fixed = fs::read_to_string(dir.path().join("m.py")).unwrap();
    assert!(fixed.contains("    with _lock:\n        total += compute(n)\n"));
}

#[test]
fn diff_prints_the_change_and_writes_nothing() {
    let dir = project(&[("m.py", COUNTER), ("clean.py", "x = 1\n")]);
    let run = racelint(dir.path(), &["--diff", "."]);
    assert_eq!(run.status.code(), Some(1));
    let diff = out(&run);
    assert!(diff.starts_with("--- m.py\n+++ m.py\n@@ "), "{diff}");
    assert!(
        diff.contains("\n+_counter_lock = threading.Lock()\n"),
        "{diff}"
    );
    assert!(diff.contains("\n-    counter += 1\n+    with _counter_lock:\n+        counter += 1\n"));
    assert!(!diff.contains("clean.py"));
    assert!(err(&run).contains("Would fix 1 issue in 1 file."));
    assert_eq!(
        fs::read_to_string(dir.path().join("m.py")).unwrap(),
        COUNTER
    );

    let clean = project(&[("clean.py", "x = 1\n")]);
    let run = racelint(clean.path(), &["--diff", "."]);
    assert_eq!(run.status.code(), Some(0));
    assert!(out(&run).is_empty());
}

#[test]
fn fix_only_reports_the_fixes_not_the_rest() {
    let dir = project(&[("m.py", MIXED)]);
    let run = racelint(dir.path(), &["--fix-only", "."]);
    assert_eq!(run.status.code(), Some(0));
    assert_eq!(out(&run).trim(), "Fixed 1 issue in 1 file.");
    let quiet = racelint(dir.path(), &["--fix-only", "--quiet", "."]);
    assert_eq!(quiet.status.code(), Some(0));
    assert!(out(&quiet).is_empty());
}

#[test]
fn fixes_across_a_project_reuse_the_lock_written_in_the_module() {
    let dir = project(&[
        ("app/__init__.py", ""),
        (
            "app/state.py",
            "import threading\n\n_lock = threading.Lock()\nhits = 0\n",
        ),
        (
            "app/worker.py",
            "import threading\n\nfrom app import state\n\n\ndef safe_hit():\n    with state._lock:\n        state.hits += 1\n\n\ndef hit():\n    state.hits += 1\n\n\ndef main():\n    for _ in range(4):\n        threading.Thread(target=hit).start()\n        threading.Thread(target=safe_hit).start()\n",
        ),
    ]);
    let run = racelint(dir.path(), &["--fix", "."]);
    assert_eq!(run.status.code(), Some(0), "{}", out(&run));
    let worker = fs::read_to_string(dir.path().join("app/worker.py")).unwrap();
    assert!(worker.contains("def hit():\n    with state._lock:\n        state.hits += 1\n"));
    let state = fs::read_to_string(dir.path().join("app/state.py")).unwrap();
    assert_eq!(
        state,
        "import threading\n\n_lock = threading.Lock()\nhits = 0\n"
    );
}

#[test]
fn a_fix_the_file_would_not_survive_is_dropped_and_reported() {
    // The fix itself is fine, but it would push the file past the 10 MiB racelint reads: the
    // parse check refuses the result, so nothing is written and the drop is reported.
    let limit = 10 * 1024 * 1024;
    let mut text = COUNTER.to_string();
    let pad = format!("# {}\n", "x".repeat(77));
    while text.len() + pad.len() < limit - 8 {
        text.push_str(&pad);
    }
    let dir = project(&[("big.py", &text)]);
    let run = racelint(dir.path(), &["--fix", "--output-format", "concise", "."]);
    assert_eq!(run.status.code(), Some(1));
    assert!(
        err(&run).contains(
            "big.py:8:5: RL101 fix dropped, the file would not parse with it: wrap in `with _counter_lock:`"
        ),
        "{}",
        err(&run)
    );
    assert!(out(&run).contains("big.py:8:5: RL101 unsynchronized"));
    assert!(out(&run).contains("Fixed 0 issues, 1 remaining"));
    assert_eq!(fs::read_to_string(dir.path().join("big.py")).unwrap(), text);
}

#[cfg(unix)]
#[test]
fn a_read_only_file_is_left_alone_with_an_error() {
    use std::os::unix::fs::PermissionsExt;
    let dir = project(&[("m.py", COUNTER)]);
    let file = dir.path().join("m.py");
    fs::set_permissions(&file, fs::Permissions::from_mode(0o444)).unwrap();
    let run = racelint(dir.path(), &["--fix", "."]);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        err(&run).contains("m.py: not written: the file is read-only"),
        "{}",
        err(&run)
    );
    assert_eq!(fs::read_to_string(&file).unwrap(), COUNTER);
}

#[test]
fn with_a_machine_format_the_summary_goes_to_stderr() {
    let dir = project(&[("m.py", MIXED)]);
    let run = racelint(dir.path(), &["--fix", "--output-format", "json", "."]);
    assert_eq!(run.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).expect("JSON on stdout");
    let text = json.to_string();
    assert!(text.contains("RL101"), "{text}");
    assert!(
        err(&run).contains("Fixed 1 issue in 1 file, 1 remaining in 1 file"),
        "{}",
        err(&run)
    );
}

#[test]
fn a_named_file_is_fixed_with_its_project_around_it() {
    // The thread starts in `main.py`; only `work.py` is named, as pre-commit would name it.
    let dir = project(&[
        ("pyproject.toml", "[project]\nname = \"p\"\n"),
        (
            "work.py",
            "import threading\n\ncount = 0\n\n\ndef work():\n    global count\n    count += 1\n",
        ),
        (
            "main.py",
            "import threading\n\nfrom work import work\n\nfor _ in range(4):\n    threading.Thread(target=work).start()\n",
        ),
    ]);
    let run = racelint(dir.path(), &["--fix", "work.py"]);
    assert_eq!(run.status.code(), Some(0), "{}{}", out(&run), err(&run));
    assert!(out(&run).contains("Fixed 1 issue in 1 file, 0 remaining (1 file checked)."));
    let work = fs::read_to_string(dir.path().join("work.py")).unwrap();
    assert!(
        work.contains("    with _count_lock:\n        count += 1\n"),
        "{work}"
    );
}

//! Checking some files of a project (as pre-commit does) gives, for those files, exactly the
//! diagnostics a check of the whole project gives: racelint reads the rest of the project
//! (up to `pyproject.toml` or `.git`) to resolve imports and thread entry points, and
//! reports on the named files only.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::project;
use serde_json::Value;

const COUNTER: &str = "\
hits = 0


def bump():
    global hits
    hits += 1
";

const WORKERS: &str = "\
import threading

from app.counter import bump

done = 0


def run():
    global done
    bump()
    done += 1


threads = [threading.Thread(target=run) for _ in range(8)]
";

fn check(dir: &Path, args: &[&str]) -> (Output, Vec<Value>) {
    let out = Command::new(env!("CARGO_BIN_EXE_racelint"))
        .current_dir(dir)
        .args(["check", "--output-format", "json"])
        .args(args)
        .output()
        .expect("racelint runs");
    assert_ne!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let items: Value = serde_json::from_slice(&out.stdout).unwrap();
    (out, items.as_array().unwrap().clone())
}

fn files_and_lines(items: &[Value]) -> Vec<(String, u64)> {
    items
        .iter()
        .map(|d| {
            (
                d["file"].as_str().unwrap().to_string(),
                d["start"]["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_named_file_is_checked_with_its_project() {
    for marker in ["pyproject.toml", ".git/HEAD"] {
        let dir = project(&[
            (marker, ""),
            ("app/__init__.py", ""),
            ("app/counter.py", COUNTER),
            ("app/workers.py", WORKERS),
        ]);
        let (_, whole) = check(dir.path(), &[]);
        assert_eq!(
            files_and_lines(&whole),
            vec![("app/counter.py".into(), 6), ("app/workers.py".into(), 11)],
            "{marker}"
        );
        let (out, only) = check(dir.path(), &["app/counter.py"]);
        assert_eq!(out.status.code(), Some(1));
        let from_whole: Vec<&Value> = whole
            .iter()
            .filter(|d| d["file"] == "app/counter.py")
            .collect();
        assert_eq!(only.iter().collect::<Vec<_>>(), from_whole, "{marker}");

        // From another directory of the project, with the path spelled differently.
        let (_, nested) = check(&dir.path().join("app"), &["./counter.py"]);
        assert_eq!(
            files_and_lines(&nested),
            vec![("counter.py".into(), 6)],
            "{marker}"
        );
    }
}

#[test]
fn without_a_project_root_only_the_named_files_are_read() {
    let dir = tempfile::tempdir().unwrap();
    // Make sure no marker sits above the temporary directory for this test to be meaningful.
    let has_root = dir
        .path()
        .ancestors()
        .any(|a| a.join("pyproject.toml").exists() || a.join(".git").exists());
    if has_root {
        panic!(
            "a project marker above {} makes this test meaningless",
            dir.path().display()
        );
    }
    for (rel, text) in [
        ("app/__init__.py", ""),
        ("app/counter.py", COUNTER),
        ("app/workers.py", WORKERS),
    ] {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let (out, items) = check(dir.path(), &["app/counter.py"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(items.is_empty(), "{items:?}");
}

#[test]
fn excluded_files_still_give_context_but_are_not_reported() {
    let dir = project(&[
        (
            "pyproject.toml",
            "[tool.racelint]\nextend-exclude = [\"app/workers.py\"]\n",
        ),
        ("app/__init__.py", ""),
        ("app/counter.py", COUNTER),
        ("app/workers.py", WORKERS),
    ]);
    // The excluded file is not read for context either: exclusion means "not part of the
    // project" for racelint, so the named file alone shows no race.
    let (_, items) = check(dir.path(), &["app/counter.py"]);
    assert!(items.is_empty(), "{items:?}");
    let dir = project(&[
        (
            "pyproject.toml",
            "[tool.racelint]\nextend-exclude = [\"app/counter.py\"]\n",
        ),
        ("app/__init__.py", ""),
        ("app/counter.py", COUNTER),
        ("app/workers.py", WORKERS),
    ]);
    let (_, items) = check(dir.path(), &["app/workers.py"]);
    assert_eq!(files_and_lines(&items), vec![("app/workers.py".into(), 11)]);
}

//! The pre-commit hooks of `.pre-commit-hooks.yaml`, driven by the real pre-commit
//! (`pre-commit try-repo`) against a repository holding the current tree: `racelint` fails
//! on a racy file, `racelint-fix` fixes it, excluded files pass with `--force-exclude`, and a
//! file passed alone is checked with the rest of its project.
//!
//! pre-commit installs the hook with `pip install .` (a release build through maturin); the
//! build shares `target/python-build` with `tests/packaging.rs` so the second one is short.

mod tools;

use std::path::Path;
use std::process::{Command, Output};

const COUNTER: &str = "\
import threading

hits = 0


def bump():
    global hits
    hits += 1
";

const WORKERS: &str = "\
import threading

from app.counter import bump


def run():
    for _ in range(1000):
        bump()


threads = [threading.Thread(target=run) for _ in range(8)]
for t in threads:
    t.start()
";

const GENERATED: &str = "\
import threading

total = 0


def add():
    global total
    total += 1


threads = [threading.Thread(target=add) for _ in range(8)]
";

fn try_repo(pre_commit: &Path, hooks: &Path, project: &Path, home: &Path, args: &[&str]) -> Output {
    tools::run(
        Command::new(pre_commit)
            .current_dir(project)
            .arg("try-repo")
            .arg(hooks)
            .args(args)
            .env("PRE_COMMIT_HOME", home)
            .env("PRE_COMMIT_COLOR", "never")
            .env("CARGO_TARGET_DIR", tools::python_build_target())
            .env("CARGO_TERM_COLOR", "never")
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "racelint tests")
            .env("GIT_AUTHOR_EMAIL", "tests@racelint.invalid")
            .env("GIT_COMMITTER_NAME", "racelint tests")
            .env("GIT_COMMITTER_EMAIL", "tests@racelint.invalid"),
    )
}

fn output(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn hooks_fail_on_races_fix_them_and_see_the_whole_project() {
    let pre_commit = tools::tool("pre-commit");
    let tmp = tempfile::tempdir().unwrap();
    let hooks = tmp.path().join("hooks");
    tools::snapshot_repo(&hooks);
    // try-repo keeps its own store; PRE_COMMIT_HOME only keeps pre-commit's other state out
    // of the user's home.
    let home = tmp.path().join("pre-commit-home");

    let project = tmp.path().join("project");
    tools::write_files(
        &project,
        &[
            (
                "pyproject.toml",
                "[project]\nname = \"demo\"\n\n[tool.racelint]\nextend-exclude = [\"generated\"]\n",
            ),
            ("app/__init__.py", ""),
            ("app/counter.py", COUNTER),
            ("app/workers.py", WORKERS),
            ("generated/gen.py", GENERATED),
            ("clean.py", "x = 1\n"),
        ],
    );
    tools::git_ok(&project, &["init", "-q", "-b", "main"]);
    tools::git_ok(&project, &["add", "-A"]);

    // Every `try-repo` installs the hooks afresh (a release build), so the test makes one
    // call: both hooks on some of the files, as pre-commit passes staged files. `racelint`
    // runs first and fails on the race in `app/counter.py`, although the thread that calls
    // `bump` starts in `app/workers.py`, which is not passed; `generated/gen.py` is excluded
    // by the configuration and `--force-exclude`. Then `racelint-fix` fixes the race
    // (pre-commit fails a hook that modifies files).
    let out = try_repo(
        &pre_commit,
        &hooks,
        &project,
        &home,
        &["--files", "app/counter.py", "generated/gen.py", "clean.py"],
    );
    let text = output(&out);
    assert!(!out.status.success(), "the hooks must fail:\n{text}");
    let check_part = text
        .split("- hook id: racelint-fix")
        .next()
        .unwrap_or_default();
    assert!(check_part.contains("- hook id: racelint\n"), "{text}");
    assert!(check_part.contains("app/counter.py:8:5"), "{text}");
    assert!(check_part.contains("RL101"), "{text}");
    assert!(
        check_part.contains("Found 1 issue in 1 file (2 files checked)."),
        "only the named, not excluded files are reported (the other one explains the race):\n{text}"
    );
    assert!(!check_part.contains("generated/gen.py:"), "{text}");
    assert!(text.contains("- hook id: racelint-fix"), "{text}");
    assert!(
        text.contains("- files were modified by this hook"),
        "{text}"
    );
    let fixed = std::fs::read_to_string(project.join("app/counter.py")).unwrap();
    assert_ne!(fixed, COUNTER, "racelint-fix changed nothing:\n{text}");
    assert!(fixed.contains("with "), "{fixed}");
    assert!(fixed.contains("threading.Lock()"), "{fixed}");
    for (file, original) in [("generated/gen.py", GENERATED), ("app/workers.py", WORKERS)] {
        assert_eq!(
            std::fs::read_to_string(project.join(file)).unwrap(),
            original,
            "{file}: excluded or not passed, so left alone"
        );
    }

    // The fixed project passes the hook's command (run with the binary under test, so no
    // second installation), and the fix is idempotent.
    let hook_command = |extra: &[&str]| {
        let out = tools::run(
            Command::new(env!("CARGO_BIN_EXE_racelint"))
                .current_dir(&project)
                .args(["check", "--force-exclude"])
                .args(extra)
                .args(["app/__init__.py", "app/counter.py", "app/workers.py"])
                .args(["generated/gen.py", "clean.py"]),
        );
        assert!(
            out.status.success(),
            "after the fix:\n{}\n{fixed}",
            tools::text(&out)
        );
    };
    hook_command(&[]);
    hook_command(&["--fix"]);
    assert_eq!(
        std::fs::read_to_string(project.join("app/counter.py")).unwrap(),
        fixed
    );
}

#[test]
fn hooks_file_declares_both_hooks() {
    let text = std::fs::read_to_string(tools::repo_root().join(".pre-commit-hooks.yaml")).unwrap();
    for (id, entry) in [
        ("racelint", "racelint check --force-exclude"),
        ("racelint-fix", "racelint check --fix --force-exclude"),
    ] {
        let block = text
            .split("- id: ")
            .find(|b| b.starts_with(&format!("{id}\n")))
            .unwrap_or_else(|| panic!("no hook {id}"));
        assert!(block.contains(&format!("entry: {entry}\n")), "{block}");
        assert!(block.contains("types_or: [python, pyi]"), "{block}");
        assert!(block.contains("language: python"), "{block}");
        assert!(!block.contains("pass_filenames: false"), "{block}");
    }
}

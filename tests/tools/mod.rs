//! The outside tools the end-to-end tests drive (pre-commit, pip and maturin, a SARIF schema
//! validator) live in one virtualenv, made by `.ci/run`:
//!
//! ```sh
//! python3 -m venv target/tools-venv
//! target/tools-venv/bin/pip install -r tests/tools/requirements.txt
//! ```
//!
//! `RACELINT_TOOLS_VENV` names another virtualenv. A test whose tool is missing fails and
//! says how to install it: a test that silently passes without its tool would prove nothing.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The virtualenv holding the tools.
pub fn venv() -> PathBuf {
    match std::env::var_os("RACELINT_TOOLS_VENV") {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => repo_root().join("target").join("tools-venv"),
    }
}

/// An executable of the tools virtualenv; fails the test with setup instructions if absent.
pub fn tool(name: &str) -> PathBuf {
    let venv = venv();
    let path = venv.join("bin").join(name);
    assert!(
        path.is_file(),
        "`{name}` not found at {}.\n\
         This test drives the real tool. Install the test tools with:\n\
         \x20   python3 -m venv target/tools-venv && \
         target/tools-venv/bin/pip install -r tests/tools/requirements.txt\n\
         (or point RACELINT_TOOLS_VENV at a virtualenv that has them; `.ci/run` does this).",
        path.display()
    );
    path
}

/// Where maturin builds the binary for Python packages. Shared by the packaging and
/// pre-commit tests so that the second build reuses the first one's compiled dependencies,
/// and kept apart from the target directory `cargo test` holds locked.
pub fn python_build_target() -> PathBuf {
    repo_root().join("target").join("python-build")
}

/// Runs a command, failing the test with its output when it cannot start.
pub fn run(cmd: &mut Command) -> Output {
    let shown = format!("{cmd:?}");
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"))
}

pub fn text(output: &Output) -> String {
    format!(
        "exit status: {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A git command with a fixed identity and no user or system configuration.
pub fn git(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "racelint tests")
        .env("GIT_AUTHOR_EMAIL", "tests@racelint.invalid")
        .env("GIT_COMMITTER_NAME", "racelint tests")
        .env("GIT_COMMITTER_EMAIL", "tests@racelint.invalid");
    cmd
}

pub fn git_ok(dir: &Path, args: &[&str]) -> String {
    let out = run(git(dir).args(args));
    assert!(out.status.success(), "git {args:?} failed:\n{}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A git repository holding the current working tree of this checkout (tracked files and
/// untracked ones that are not ignored), committed, so that tools that clone a repository
/// (`pre-commit try-repo`) see exactly the code under test.
pub fn snapshot_repo(dest: &Path) {
    let root = repo_root();
    let listed = git_ok(
        &root,
        &[
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
    );
    std::fs::create_dir_all(dest).unwrap();
    for rel in listed.split('\0').filter(|s| !s.is_empty()) {
        let from = root.join(rel);
        if !from.is_file() {
            continue; // deleted in the working tree
        }
        let to = dest.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap_or_else(|e| panic!("copy {rel}: {e}"));
    }
    git_ok(dest, &["init", "-q", "-b", "main"]);
    git_ok(dest, &["add", "-A"]);
    git_ok(dest, &["commit", "-q", "-m", "racelint under test"]);
}

/// Writes `files` (relative path, contents) below `dir`.
pub fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (rel, text) in files {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

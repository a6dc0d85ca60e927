//! Bad input never stops a run: each case below gives a clear diagnostic or error, never a
//! panic, and the other files are still checked.

use std::path::Path;
use std::process::{Command, Output};

fn racelint(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_racelint"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("racelint runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A racy file that must still be reported next to the broken one.
const RACY: &str = "import threading\n\nn = 0\n\n\ndef work():\n    global n\n    n += 1\n\n\nfor _ in range(2):\n    threading.Thread(target=work).start()\n";

fn assert_no_panic(out: &Output) {
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("panicked"), "racelint panicked:\n{stderr}");
}

#[test]
fn syntax_error_is_reported_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.py"), "def f(:\n    pass\n").unwrap();
    std::fs::write(dir.path().join("racy.py"), RACY).unwrap();
    let out = racelint(&["check", ".", "--output-format", "concise"], dir.path());
    assert_no_panic(&out);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("broken.py:1:7: RL001 syntax error"),
        "{stdout}"
    );
    assert!(stdout.contains("racy.py:8:5: RL101"), "{stdout}");
    assert!(stdout.contains("(2 files checked)"), "{stdout}");
}

#[test]
fn non_utf8_file_is_a_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("latin.py"), b"x = 1\ns = '\xff\xfe'\n").unwrap();
    std::fs::write(dir.path().join("racy.py"), RACY).unwrap();
    let out = racelint(&["check", ".", "--output-format", "concise"], dir.path());
    assert_no_panic(&out);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("latin.py:2:6: RL001 file is not valid UTF-8"),
        "{stdout}"
    );
    assert!(stdout.contains("racy.py:8:5: RL101"), "{stdout}");
    // The full format renders a snippet of the lossy text without failing.
    let full = racelint(&["check", "latin.py"], dir.path());
    assert_no_panic(&full);
    assert!(
        text(&full.stdout).contains("RL001"),
        "{}",
        text(&full.stdout)
    );
}

#[test]
fn declared_latin1_file_is_analysed() {
    let dir = tempfile::tempdir().unwrap();
    let mut source = b"# -*- coding: latin-1 -*-\n# caf\xe9\n".to_vec();
    source.extend_from_slice(RACY.as_bytes());
    std::fs::write(dir.path().join("declared.py"), source).unwrap();
    let out = racelint(
        &["check", "declared.py", "--output-format", "concise"],
        dir.path(),
    );
    assert_no_panic(&out);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("declared.py:10:5: RL101"), "{stdout}");
    assert!(!stdout.contains("RL001"), "{stdout}");
}

#[test]
fn empty_file_is_clean() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.py"), "").unwrap();
    let out = racelint(&["check", "empty.py"], dir.path());
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("All checks passed (1 file checked)."));
}

#[test]
fn deeply_nested_expression_is_a_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    let depth = 50_000;
    let source = format!("x = {}1{}\n", "(".repeat(depth), ")".repeat(depth));
    std::fs::write(dir.path().join("deep.py"), source).unwrap();
    // Chains that nest without brackets: prefix operators and very long binary chains.
    std::fs::write(
        dir.path().join("prefix.py"),
        format!("x = {}1\n", "-".repeat(depth)),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("chain.py"),
        format!("x = 1{}\n", " + 1".repeat(depth)),
    )
    .unwrap();
    std::fs::write(dir.path().join("racy.py"), RACY).unwrap();
    let out = racelint(&["check", ".", "--output-format", "concise"], dir.path());
    assert_no_panic(&out);
    let stdout = text(&out.stdout);
    for file in ["deep.py", "prefix.py", "chain.py"] {
        assert!(
            stdout.contains(&format!("{file}:1:")) && stdout.contains("too deeply nested"),
            "{file}: {stdout}"
        );
    }
    assert!(stdout.contains("racy.py:8:5: RL101"), "{stdout}");
}

#[test]
fn moderately_deep_code_is_still_analysed() {
    // 150 nested brackets is legal Python (CPython allows 200): it must parse and be checked.
    let dir = tempfile::tempdir().unwrap();
    let nested = format!("{}1{}", "(".repeat(150), ")".repeat(150));
    let source = format!("{RACY}\ny = {nested}\n");
    std::fs::write(dir.path().join("nested.py"), source).unwrap();
    let out = racelint(&["check", ".", "--output-format", "concise"], dir.path());
    assert_no_panic(&out);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("nested.py:8:5: RL101"), "{stdout}");
    assert!(!stdout.contains("RL001"), "{stdout}");
}

#[test]
fn huge_file_is_a_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    let line = "x = 1\n";
    let big = line.repeat(11 * 1024 * 1024 / line.len() + 1);
    std::fs::write(dir.path().join("huge.py"), big).unwrap();
    std::fs::write(dir.path().join("racy.py"), RACY).unwrap();
    let out = racelint(&["check", ".", "--output-format", "concise"], dir.path());
    assert_no_panic(&out);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("huge.py:1:1: RL001 file is") && stdout.contains("over the limit"),
        "{stdout}"
    );
    assert!(stdout.contains("racy.py:8:5: RL101"), "{stdout}");
}

#[cfg(unix)]
#[test]
fn directory_symlink_loop_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("pkg");
    std::fs::create_dir(&pkg).unwrap();
    std::fs::write(pkg.join("racy.py"), RACY).unwrap();
    std::os::unix::fs::symlink(dir.path(), pkg.join("loop")).unwrap();
    let out = racelint(&["check", ".", "--output-format", "concise"], dir.path());
    assert_no_panic(&out);
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("warning: skipped a directory symlink loop"),
        "{stderr}"
    );
    assert!(stdout.contains("racy.py:8:5: RL101"), "{stdout}");
    assert!(stdout.contains("(1 file checked)"), "{stdout}");
}

#[test]
fn missing_path_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = racelint(&["check", "no/such/place.py"], dir.path());
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert_eq!(
        stderr.trim(),
        "racelint: error: path `no/such/place.py` does not exist"
    );
}

#[test]
fn bad_option_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = racelint(&["check", "--select", "RL7"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown rule selector `RL7`"));
    let out = racelint(&["check", "--no-such-flag"], dir.path());
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn explicitly_named_files_are_checked_whatever_their_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("build")).unwrap();
    std::fs::write(dir.path().join("build/script"), RACY).unwrap();
    std::fs::write(dir.path().join("build/ignored.py"), RACY).unwrap();
    let out = racelint(
        &["check", "build/script", "--output-format", "concise"],
        dir.path(),
    );
    let stdout = text(&out.stdout);
    assert!(stdout.contains("build/script:8:5: RL101"), "{stdout}");
    // A default-excluded directory is not descended into from a parent.
    let out = racelint(&["check", ".", "--output-format", "concise"], dir.path());
    assert!(
        text(&out.stdout).contains("All checks passed (0 files checked)."),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn gitignore_is_honoured_and_stubs_skipped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".gitignore"), "generated/\n").unwrap();
    std::fs::create_dir(dir.path().join("generated")).unwrap();
    std::fs::write(dir.path().join("generated/racy.py"), RACY).unwrap();
    std::fs::write(dir.path().join("stub.pyi"), "def f() -> int: ...\n").unwrap();
    std::fs::write(dir.path().join("ok.py"), "x = 1\n").unwrap();
    let out = racelint(&["check", "."], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("(1 file checked)"),
        "{}",
        text(&out.stdout)
    );
    let out = racelint(
        &[
            "check",
            ".",
            "--no-respect-gitignore",
            "--include-stubs",
            "--output-format",
            "concise",
        ],
        dir.path(),
    );
    assert!(
        text(&out.stdout).contains("(3 files checked)"),
        "{}",
        text(&out.stdout)
    );
}

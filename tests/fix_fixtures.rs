//! The fix fixture pairs: each `fixtures/fix/<case>.py` is copied alone into a fresh
//! directory and fixed by the real binary (`racelint check --fix`); the result must equal
//! `<case>.fixed.py` byte for byte. Every pair is also held to the fix guarantees: the fixed
//! file parses (racelint's parser, and CPython when one is installed), fixing it again changes
//! nothing, checking it again reports none of the races it had, its comments, line endings, coding
//! declaration and permissions survive.
//!
//! Conventions: a case whose name contains `unsafe` is fixed with `--unsafe-fixes` (and a
//! plain `--fix` must leave it alone); a case whose `.fixed.py` equals its input documents a
//! race for which no fix is offered.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The rules whose races a fix pair may be about.
const FIXABLE: &[&str] = &["RL101", "RL201", "RL202", "RL401"];

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fix")
}

fn racelint(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_racelint"))
        .arg("check")
        .args(args)
        .arg(".")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("racelint runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

struct Case {
    name: String,
    input: Vec<u8>,
    expected: Vec<u8>,
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for entry in fs::read_dir(fixtures_dir()).unwrap() {
        let path = entry.unwrap().path();
        let Some(file) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !file.ends_with(".py") || file.ends_with(".fixed.py") {
            continue;
        }
        let name = file.trim_end_matches(".py").to_string();
        let fixed = path.with_file_name(format!("{name}.fixed.py"));
        let expected = fs::read(&fixed)
            .unwrap_or_else(|_| panic!("{name}.py has no expected result {name}.fixed.py"));
        cases.push(Case {
            name,
            input: fs::read(&path).unwrap(),
            expected,
        });
    }
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

/// UTF-8, or latin-1 (the one other encoding the fixtures use, declared in them).
fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// The comments of a source (`# ...` to the end of its line, outside strings as far as a
/// line-based look can tell).
fn comments(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let at = line.find('#')?;
            let before = &line[..at];
            (before.matches('"').count() % 2 == 0 && before.matches('\'').count() % 2 == 0)
                .then(|| line[at..].trim_end().to_string())
        })
        .collect()
}

fn unified(expected: &str, actual: &str) -> String {
    let mut out = String::new();
    for (i, (e, a)) in expected.lines().zip(actual.lines()).enumerate() {
        if e != a {
            out.push_str(&format!(
                "line {}:\n  expected: {e:?}\n  actual:   {a:?}\n",
                i + 1
            ));
        }
    }
    if expected.lines().count() != actual.lines().count() {
        out.push_str(&format!(
            "expected {} lines, got {}\n",
            expected.lines().count(),
            actual.lines().count()
        ));
    }
    out
}

fn python3() -> Option<&'static str> {
    ["python3", "python"].into_iter().find(|p| {
        Command::new(p)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// Checks one case; returns what is wrong with it.
fn check_case(case: &Case, python: Option<&str>) -> Vec<String> {
    let mut problems = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(format!("{}.py", case.name));
    fs::write(&file, &case.input).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).unwrap();
    }
    let unsafe_case = case.name.contains("unsafe");
    let changes = case.expected != case.input;

    let before = stdout(&racelint(dir.path(), &["--output-format", "concise"]));
    // The races the case is about: every fixable rule reported before fixing.
    let mut codes: Vec<&str> = before
        .lines()
        .filter_map(|l| {
            FIXABLE
                .iter()
                .copied()
                .find(|c| l.contains(&format!(" {c}")))
        })
        .collect();
    codes.sort_unstable();
    codes.dedup();
    if codes.is_empty() {
        problems.push(format!("no race reported before fixing:\n{before}"));
    }
    let selected = codes.join(",");
    let races: Vec<&str> = before
        .lines()
        .filter(|l| codes.iter().any(|c| l.contains(&format!(" {c}"))))
        .collect();
    if unsafe_case {
        racelint(dir.path(), &["--fix"]);
        if fs::read(&file).unwrap() != case.input {
            problems.push("a plain `--fix` applied an unsafe fix".into());
        }
    }
    let mut fix_args = vec!["--fix"];
    if unsafe_case {
        fix_args.push("--unsafe-fixes");
    }
    let first = racelint(dir.path(), &fix_args);
    let fixed = fs::read(&file).unwrap();
    if fixed != case.expected {
        problems.push(format!(
            "result differs from {}.fixed.py:\n{}",
            case.name,
            unified(&decode(&case.expected), &decode(&fixed))
        ));
    }

    if !changes {
        // No fix on offer: the race is still reported, without a fix marker.
        if races.iter().any(|l| l.contains("[*]")) {
            problems.push("a race with no fix is marked fixable".into());
        }
        let again = racelint(dir.path(), &["--fix", "--unsafe-fixes"]);
        if fs::read(&file).unwrap() != case.input || again.status.code() != Some(1) {
            problems.push("a case with no fix was changed, or stopped being reported".into());
        }
        return problems;
    }

    let first_out = stdout(&first);
    if !first_out.contains("Fixed ") || first_out.contains("Fixed 0 issues") {
        problems.push(format!(
            "the summary does not count the fixes:\n{first_out}"
        ));
    }
    let text = decode(&fixed);
    if !racelint_rules::fix::parses_cleanly(&text) {
        problems.push("the fixed file does not parse".into());
    }
    if let Some(python) = python {
        let compiled = Command::new(python)
            .args(["-m", "py_compile"])
            .arg(&file)
            .output()
            .unwrap();
        if !compiled.status.success() {
            problems.push(format!(
                "CPython cannot compile the fixed file: {}",
                String::from_utf8_lossy(&compiled.stderr)
            ));
        }
    }
    let recheck = racelint(
        dir.path(),
        &["--select", &selected, "--output-format", "concise"],
    );
    if recheck.status.code() != Some(0) {
        problems.push(format!(
            "{selected} still reported after fixing:\n{}",
            stdout(&recheck)
        ));
    }
    let second = racelint(dir.path(), &fix_args);
    if fs::read(&file).unwrap() != fixed || !stdout(&second).contains("Fixed 0 issues") {
        problems.push(format!(
            "fixing twice changed something:\n{}",
            stdout(&second)
        ));
    }

    let input = decode(&case.input);
    for comment in comments(&input) {
        if !text.contains(&comment) {
            problems.push(format!("comment lost: {comment}"));
        }
    }
    let crlf = |s: &str| s.matches("\r\n").count();
    let lf = |s: &str| s.matches('\n').count();
    if crlf(&input) == lf(&input) && crlf(&text) != lf(&text) {
        problems.push("CRLF line endings were not kept".into());
    }
    if crlf(&input) == 0 && crlf(&text) > 0 {
        problems.push("LF line endings were not kept".into());
    }
    let head = |s: &str| s.lines().take(2).map(str::to_string).collect::<Vec<_>>();
    if head(&input).iter().any(|l| l.contains("coding")) && head(&input) != head(&text) {
        problems.push("the coding declaration moved".into());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        if mode != 0o640 {
            problems.push(format!("permissions changed to {mode:o}"));
        }
    }
    let leftovers: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != &format!("{}.py", case.name) && n != "__pycache__")
        .collect();
    if !leftovers.is_empty() {
        problems.push(format!("files left beside the fixed one: {leftovers:?}"));
    }
    problems
}

#[test]
fn fixture_pairs() {
    let cases = cases();
    let python = python3();
    let mut failures = Vec::new();
    for case in &cases {
        let problems = check_case(case, python);
        if !problems.is_empty() {
            failures.push(format!("{}:\n  {}", case.name, problems.join("\n  ")));
        }
    }
    eprintln!(
        "fix fixtures: {} pairs checked{}",
        cases.len(),
        if python.is_some() {
            " (also compiled by CPython)"
        } else {
            ""
        }
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_required_case_has_a_pair() {
    let names: Vec<String> = cases().into_iter().map(|c| c.name).collect();
    for required in [
        "global_counter",
        "dict_item",
        "self_attribute",
        "self_attribute_no_init",
        "class_attribute",
        "nonlocal_counter",
        "existing_lock",
        "existing_rlock",
        "from_import_lock",
        "from_import_thread",
        "no_threading_import",
        "no_imports_at_all",
        "two_races_one_function",
        "crlf",
        "latin1",
        "trailing_comment",
        "one_line_compound",
        "semicolons",
        "try_except",
        "multiline_statement",
        "unsafe_reused_lock_call",
        "consecutive_updates",
    ] {
        assert!(
            names.iter().any(|n| n == required),
            "missing fixture pair {required}"
        );
    }
}

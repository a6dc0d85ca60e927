//! Suppression comments (`# noqa`, `# racelint: ignore[...]`, file-level `# racelint: noqa`),
//! the suppressed count, `--show-suppressed`, `per-file-ignores`, and RL900
//! unused-suppression.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::project;
use serde_json::Value;

/// Eight racy updates, one per line, in a function run by many threads; `{N}` marks the
/// comment slot of each line.
fn racy(comments: &[&str; 8]) -> String {
    let mut text = String::from("import threading\n\n");
    for i in 0..8 {
        text.push_str(&format!("v{i} = 0\n"));
    }
    text.push_str("\n\ndef work():\n    global v0, v1, v2, v3, v4, v5, v6, v7\n");
    for (i, c) in comments.iter().enumerate() {
        if c.is_empty() {
            text.push_str(&format!("    v{i} += 1\n"));
        } else {
            text.push_str(&format!("    v{i} += 1  {c}\n"));
        }
    }
    text.push_str("\n\nthreads = [threading.Thread(target=work) for _ in range(4)]\n");
    text
}

/// The line of `v{i} += 1`.
fn line_of(i: usize) -> u64 {
    15 + i as u64
}

fn racelint(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_racelint"))
        .current_dir(dir)
        .arg("check")
        .args(args)
        .output()
        .expect("racelint runs")
}

fn json(dir: &Path, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["--output-format", "json"];
    all.extend_from_slice(args);
    let out = racelint(dir, &all);
    assert_ne!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// (code, line, suppressed) of each diagnostic.
fn found(items: &[Value]) -> Vec<(String, u64, bool)> {
    items
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["start"]["line"].as_u64().unwrap(),
                d["suppressed"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn line_directives_silence_what_they_name() {
    let text = racy(&[
        "",
        "# noqa",
        "# noqa: RL101",
        "# NOQA:RL101,E501",
        "# noqa: E501",
        "# racelint: ignore[RL101]",
        "# racelint: ignore[unlocked-read-modify-write]",
        "# racelint: ignore[RL201]",
    ]);
    let dir = project(&[("m.py", &text)]);
    let reported = found(&json(dir.path(), &[]));
    assert_eq!(
        reported,
        vec![
            ("RL101".into(), line_of(0), false),
            ("RL101".into(), line_of(4), false),
            ("RL101".into(), line_of(7), false),
        ],
        "{text}"
    );
    let all = found(&json(dir.path(), &["--show-suppressed"]));
    let suppressed: Vec<u64> = all.iter().filter(|d| d.2).map(|d| d.1).collect();
    assert_eq!(
        suppressed,
        vec![line_of(1), line_of(2), line_of(3), line_of(5), line_of(6)]
    );

    let out = racelint(dir.path(), &["--output-format", "concise"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.ends_with("Found 3 issues in 1 file (1 file checked, 5 suppressed).\n"),
        "{stdout}"
    );
    let out = racelint(
        dir.path(),
        &["--output-format", "concise", "--show-suppressed"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let (_, after) = stdout
        .split_once("Suppressed by comments (not counted):\n")
        .expect("a suppressed section");
    assert_eq!(after.matches(": RL101").count(), 5, "{stdout}");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn file_level_directives() {
    let mut text = racy(&["", "", "", "", "", "", "", ""]);
    text.insert_str(0, "# racelint: noqa\n");
    let dir = project(&[("m.py", &text)]);
    assert!(found(&json(dir.path(), &[])).is_empty());
    let out = racelint(dir.path(), &["--output-format", "concise"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("All checks passed (1 file checked, 8 suppressed)."));

    let text = format!(
        "{}\n# racelint: noqa: RL201\n",
        racy(&["", "", "", "", "", "", "", ""])
    );
    let dir = project(&[("m.py", &text)]);
    assert_eq!(
        found(&json(dir.path(), &[])).len(),
        8,
        "other rules stay silenced only"
    );
    let text = format!(
        "{}\n# racelint: noqa: RL101\n",
        racy(&["", "", "", "", "", "", "", ""])
    );
    let dir = project(&[("m.py", &text)]);
    assert!(found(&json(dir.path(), &[])).is_empty());
}

#[test]
fn comments_in_strings_are_not_directives() {
    let text = racy(&["", "", "", "", "", "", "", ""]).replace(
        "import threading\n",
        "import threading\nDOC = \"\"\"\n# racelint: noqa\n\"\"\"\n",
    );
    let text = text.replace("    v3 += 1\n", "    v3 += 1; s = '# noqa'\n");
    let dir = project(&[("m.py", &text)]);
    assert_eq!(found(&json(dir.path(), &[])).len(), 8, "{text}");
}

#[test]
fn syntax_errors_cannot_be_silenced_by_comments() {
    let dir = project(&[(
        "bad.py",
        "def broken(:  # noqa\n    pass\n# racelint: noqa\n",
    )]);
    let items = found(&json(dir.path(), &[]));
    assert!(
        !items.is_empty() && items.iter().all(|d| d.0 == "RL001" && !d.2),
        "{items:?}"
    );
}

#[test]
fn per_file_ignores_switch_rules_off_by_glob() {
    let text = racy(&["", "", "", "", "", "", "", ""]);
    let dir = project(&[
        ("pkg/a.py", &text),
        ("tests/test_a.py", &text),
        (
            "pyproject.toml",
            "[tool.racelint.per-file-ignores]\n\"tests/*\" = [\"RL1\"]\n",
        ),
    ]);
    let items = json(dir.path(), &[]);
    assert_eq!(items.len(), 8);
    assert!(items.iter().all(|d| d["file"] == "pkg/a.py"));
    // Not counted as suppressed by comments.
    let out = racelint(dir.path(), &["--output-format", "concise"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("(2 files checked)."));
}

#[test]
fn unused_suppressions_are_reported_only_when_selected() {
    let text = "\
import threading

counter = 0
lock = threading.Lock()


def work():
    global counter
    with lock:
        counter += 1  # noqa: RL101
    x = 1  # noqa
    y = 2  # noqa: E501, RL999
    z = 3  # racelint: ignore[RL101, typo]
    w = 4  # type: ignore  # racelint: ignore


threads = [threading.Thread(target=work) for _ in range(4)]
";
    let dir = project(&[("m.py", text)]);
    assert!(json(dir.path(), &[]).is_empty(), "RL900 is opt-in");
    let items = json(dir.path(), &["--extend-select", "RL900"]);
    let got: Vec<(u64, u64, &str)> = items
        .iter()
        .map(|d| {
            assert_eq!(d["code"], "RL900");
            assert_eq!(d["name"], "unused-suppression");
            (
                d["start"]["line"].as_u64().unwrap(),
                d["start"]["column"].as_u64().unwrap(),
                d["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (10, 31, "Unused suppression: `RL101` silences nothing here"),
            (12, 26, "Unused suppression: `RL999` names no racelint rule"),
            (
                13,
                31,
                "Unused suppression: `RL101` silences nothing here; `typo` names no racelint rule"
            ),
            (
                14,
                28,
                "Unused suppression: `racelint: ignore` silences nothing on this line"
            ),
        ],
        "{items:#?}"
    );
    // A code whose rule is not selected is not "unused".
    let items = json(
        dir.path(),
        &["--extend-select", "RL900", "--ignore", "RL101"],
    );
    let lines: Vec<u64> = items
        .iter()
        .map(|d| d["start"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![12, 13, 14]);
    // RL900 can itself be silenced.
    let quiet = text.replace("# noqa: RL101", "# noqa: RL101, RL900");
    let dir2 = project(&[("m.py", &quiet)]);
    let lines: Vec<u64> = json(dir2.path(), &["--extend-select", "RL900"])
        .iter()
        .map(|d| d["start"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![12, 13, 14]);
}

#[test]
fn unused_suppression_fixes_remove_what_is_unused() {
    let text = "\
x = 1  # noqa: RL101
# racelint: noqa
y = 2  # noqa: RL101, E501
z = 3  # type: ignore  # racelint: ignore[RL101]
";
    let dir = project(&[("m.py", text)]);
    let items = json(dir.path(), &["--select", "RL900,RL101"]);
    assert_eq!(items.len(), 4, "{items:#?}");
    let mut fixed = text.to_string();
    // Apply the edits from the last to the first so offsets stay valid.
    let mut edits: Vec<(u64, u64, u64, u64, String)> = Vec::new();
    for d in &items {
        assert_eq!(d["fix"]["applicability"], "safe", "{d:#?}");
        for e in d["fix"]["edits"].as_array().unwrap() {
            edits.push((
                e["start"]["line"].as_u64().unwrap(),
                e["start"]["column"].as_u64().unwrap(),
                e["end"]["line"].as_u64().unwrap(),
                e["end"]["column"].as_u64().unwrap(),
                e["content"].as_str().unwrap().to_string(),
            ));
        }
    }
    edits.sort();
    let offset = |text: &str, line: u64, column: u64| -> usize {
        let start: usize = text
            .split_inclusive('\n')
            .take(line as usize - 1)
            .map(str::len)
            .sum();
        start + column as usize - 1
    };
    for (sl, sc, el, ec, content) in edits.into_iter().rev() {
        let (a, b) = (offset(text, sl, sc), offset(text, el, ec));
        fixed.replace_range(a..b, &content);
    }
    assert_eq!(fixed, "x = 1\ny = 2  # noqa: E501\nz = 3  # type: ignore\n");
}

//! `racelint check` output: every `--output-format`, `--output-file`, `--exit-zero`,
//! `--statistics`, deterministic order, and the summary line.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const WORKER: &str = "\
import threading

counter = 0


def work():
    global counter
    counter += 1


threads = [threading.Thread(target=work) for _ in range(4)]
";

const POOL: &str = "\
from concurrent.futures import ThreadPoolExecutor

totals = {}
seen = 0


def task(k):
    global seen
    seen += 1
    totals[k] = totals.get(k, 0) + 1


with ThreadPoolExecutor() as ex:
    ex.map(task, range(10))
";

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (rel, text) in [
        ("b_pool.py", POOL),
        ("a_worker.py", WORKER),
        ("clean.py", "x = 1\n"),
    ] {
        std::fs::write(dir.path().join(rel), text).unwrap();
    }
    dir
}

fn racelint(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_racelint"))
        .current_dir(dir)
        .arg("check")
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("racelint runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn shown(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        stdout(out),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn json_has_one_object_per_diagnostic_in_file_line_column_order() {
    let dir = project();
    let out = racelint(dir.path(), &["--output-format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", shown(&out));
    let items: Value = serde_json::from_slice(&out.stdout).expect("stdout is only JSON");
    let items = items.as_array().unwrap();
    let keys: Vec<(String, u64, u64, String)> = items
        .iter()
        .map(|d| {
            (
                d["file"].as_str().unwrap().to_string(),
                d["start"]["line"].as_u64().unwrap(),
                d["start"]["column"].as_u64().unwrap(),
                d["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        vec![
            ("a_worker.py".into(), 8, 5, "RL101".into()),
            ("b_pool.py".into(), 9, 5, "RL101".into()),
            ("b_pool.py".into(), 10, 5, "RL101".into()),
        ]
    );
    let first = &items[0];
    assert_eq!(first["name"], "unlocked-read-modify-write");
    assert_eq!(first["severity"], "warning");
    assert_eq!(first["end"], serde_json::json!({"line": 8, "column": 17}));
    assert!(first["message"].as_str().unwrap().contains("counter"));
    assert_eq!(first["suppressed"], false);
    let related = first["related"].as_array().unwrap();
    assert!(
        related
            .iter()
            .any(|r| r["file"] == "a_worker.py" && r["start"]["line"] == 11),
        "the thread start is related: {related:?}"
    );
    // Fixes, when a rule offers one, carry positioned edits and an applicability.
    for d in items {
        if let Some(fix) = d["fix"].as_object() {
            assert!(["safe", "unsafe"].contains(&fix["applicability"].as_str().unwrap()));
            for e in fix["edits"].as_array().unwrap() {
                assert!(e["content"].is_string());
                assert!(e["start"]["line"].as_u64().unwrap() >= 1);
                let (s, t) = (&e["start"], &e["end"]);
                assert!(
                    (s["line"].as_u64(), s["column"].as_u64())
                        <= (t["line"].as_u64(), t["column"].as_u64())
                );
            }
        } else {
            assert!(d["fix"].is_null());
        }
    }
}

#[test]
fn output_is_deterministic() {
    let dir = project();
    for format in ["json", "sarif", "github", "junit", "concise", "full"] {
        let a = racelint(dir.path(), &["--output-format", format]);
        let b = racelint(dir.path(), &["--output-format", format]);
        assert_eq!(a.stdout, b.stdout, "{format} output differs between runs");
        assert_eq!(a.status.code(), Some(1), "{format}: {}", shown(&a));
    }
}

#[test]
fn github_annotations() {
    let dir = project();
    let out = racelint(dir.path(), &["--output-format", "github"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with(
            "::warning title=racelint RL101 (unlocked-read-modify-write),file=a_worker.py,line=8,col=5,endLine=8,endColumn=17::a_worker.py:8:5: RL101 "
        ),
        "{}",
        lines[0]
    );
    assert!(lines[1].contains("file=b_pool.py,line=9,"), "{}", lines[1]);
}

#[test]
fn junit_report() {
    let dir = project();
    let out = racelint(dir.path(), &["--output-format", "junit"]);
    assert_eq!(out.status.code(), Some(1));
    let xml = stdout(&out);
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
        "{xml}"
    );
    assert!(
        xml.contains("<testsuites name=\"racelint\" tests=\"3\" failures=\"3\" errors=\"0\">"),
        "{xml}"
    );
    assert!(
        xml.contains("<testsuite name=\"a_worker.py\" tests=\"1\" failures=\"1\""),
        "{xml}"
    );
    assert!(
        xml.contains("<testsuite name=\"b_pool.py\" tests=\"2\" failures=\"2\""),
        "{xml}"
    );
    assert_eq!(xml.matches("<failure ").count(), 3);
    assert!(xml.contains("line=\"9\""));
    assert!(xml.trim_end().ends_with("</testsuites>"));

    let clean = tempfile::tempdir().unwrap();
    std::fs::write(clean.path().join("ok.py"), "x = 1\n").unwrap();
    let out = racelint(clean.path(), &["--output-format", "junit"]);
    assert_eq!(out.status.code(), Some(0));
    let xml = stdout(&out);
    assert!(xml.contains("tests=\"1\" failures=\"0\""), "{xml}");
    assert_eq!(xml.matches("<failure").count(), 0);
}

#[test]
fn machine_formats_print_no_summary_line() {
    let dir = project();
    for format in ["json", "sarif", "github", "junit"] {
        let out = racelint(dir.path(), &["--output-format", format]);
        let text = stdout(&out);
        assert!(!text.contains("Found 3 issues"), "{format}: {text}");
    }
    let out = racelint(dir.path(), &["--output-format", "concise"]);
    assert!(
        stdout(&out).ends_with("Found 3 issues in 2 files (3 files checked).\n"),
        "{}",
        shown(&out)
    );
}

#[test]
fn output_file_receives_everything() {
    let dir = project();
    let target = dir.path().join("reports/out.json");
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    let out = racelint(
        dir.path(),
        &[
            "--output-format",
            "json",
            "--output-file",
            "reports/out.json",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", shown(&out));
    assert!(out.stdout.is_empty(), "{}", shown(&out));
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
    assert_eq!(written.as_array().unwrap().len(), 3);

    let out = racelint(
        dir.path(),
        &["--output-format", "concise", "--output-file", "c.txt"],
    );
    assert!(out.stdout.is_empty());
    let text = std::fs::read_to_string(dir.path().join("c.txt")).unwrap();
    assert!(text.contains("a_worker.py:8:5: RL101"), "{text}");
    assert!(text.ends_with("(3 files checked).\n"), "{text}");

    let out = racelint(dir.path(), &["--output-file", "no/such/dir/out.txt"]);
    assert_eq!(out.status.code(), Some(2), "{}", shown(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write `no/such/dir/out.txt`"));
}

#[test]
fn exit_zero_keeps_errors_at_two() {
    let dir = project();
    let out = racelint(dir.path(), &["--exit-zero", "--output-format", "concise"]);
    assert_eq!(out.status.code(), Some(0), "{}", shown(&out));
    assert!(stdout(&out).contains("Found 3 issues"));
    let out = racelint(dir.path(), &["--exit-zero", "missing.py"]);
    assert_eq!(out.status.code(), Some(2), "{}", shown(&out));
    let out = racelint(dir.path(), &["--output-format", "xml"]);
    assert_eq!(out.status.code(), Some(2), "{}", shown(&out));
}

#[test]
fn statistics_count_per_rule() {
    let dir = project();
    let out = racelint(dir.path(), &["--statistics"]);
    assert_eq!(out.status.code(), Some(1), "{}", shown(&out));
    let text = stdout(&out);
    let line = text.lines().next().unwrap_or_default();
    assert!(
        line.starts_with("3  RL101  unlocked-read-modify-write"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 1, "{text}");
    let out = racelint(dir.path(), &["--statistics", "--output-format", "json"]);
    let stats: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats[0]["code"], "RL101");
    assert_eq!(stats[0]["count"], 3);
}

/// `racelint check | head`: when the reader stops reading, the run ends quietly with the exit
/// code its diagnostics call for, in every format, rather than with an error about the pipe.
#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    // Enough diagnostics that the output cannot fit in the pipe's buffer.
    let mut source =
        String::from("import threading\n\ncounter = 0\n\n\ndef work():\n    global counter\n");
    for _ in 0..600 {
        source.push_str("    counter += 1\n");
    }
    source.push_str("\n\nthreads = [threading.Thread(target=work) for _ in range(4)]\n");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("many.py"), source).unwrap();
    for format in ["full", "concise", "json", "sarif", "github", "junit"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_racelint"))
            .current_dir(dir.path())
            .args(["check", "--output-format", format])
            .env("NO_COLOR", "1")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("racelint runs");
        // Read a little, as `head -c` would, then stop.
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 16];
        std::io::Read::read_exact(&mut stdout, &mut first).expect("some output");
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{format}: {stderr}");
        assert!(stderr.is_empty(), "{format}: {stderr}");
    }
}

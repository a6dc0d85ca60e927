//! The fixture harness: every Python file under `fixtures/` (but `fixtures/fix/`, which has a
//! harness of its own) states its expected diagnostics inline, `# expect: RL101` on the line
//! where the diagnostic starts. Missing and unexpected diagnostics both fail.
//!
//! A project is a direct child of a `flagged/` or `safe/` directory (a file, or a directory
//! analysed as one project), or `fixtures/demo/`. Projects under `safe/` must expect nothing;
//! projects under `flagged/` must expect something.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use racelint_linter::{check_paths, Settings};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone, Copy)]
enum Kind {
    Flagged,
    Safe,
}

fn projects() -> Vec<(PathBuf, Kind)> {
    let mut out = Vec::new();
    let mut stack = vec![fixtures_dir()];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
            .map(|e| e.expect("directory entry").path())
            .collect();
        entries.sort();
        for entry in entries {
            let name = entry.file_name().unwrap().to_string_lossy().to_string();
            if !entry.is_dir() || name == "fix" {
                continue;
            }
            let kind = match name.as_str() {
                "flagged" => Some(Kind::Flagged),
                "safe" => Some(Kind::Safe),
                _ => None,
            };
            match kind {
                Some(kind) => {
                    let mut children: Vec<PathBuf> = std::fs::read_dir(&entry)
                        .unwrap()
                        .map(|e| e.unwrap().path())
                        .filter(|p| p.is_dir() || p.extension().is_some_and(|e| e == "py"))
                        .collect();
                    children.sort();
                    out.extend(children.into_iter().map(|c| (c, kind)));
                }
                None if name == "demo" => out.push((entry, Kind::Flagged)),
                None => stack.push(entry),
            }
        }
    }
    out.sort();
    out
}

/// `(file, line) -> codes` expected by the inline comments of every file of a project.
fn expectations(project: &Path) -> BTreeMap<(PathBuf, u32), Vec<String>> {
    let mut files = Vec::new();
    if project.is_dir() {
        let mut stack = vec![project.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let p = entry.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|e| e == "py") {
                    files.push(p);
                }
            }
        }
    } else {
        files.push(project.to_path_buf());
    }
    let mut out = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (i, line) in text.lines().enumerate() {
            if let Some(at) = line.find("# expect:") {
                let codes: Vec<String> = line[at + "# expect:".len()..]
                    .split(',')
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty())
                    .collect();
                let mut codes = codes;
                codes.sort();
                out.insert((std::path::absolute(&file).unwrap(), i as u32 + 1), codes);
            }
        }
    }
    out
}

#[test]
fn every_fixture_reports_exactly_what_it_expects() {
    let projects = projects();
    let mut failures = Vec::new();
    let (mut flagged, mut safe, mut expected_total) = (0, 0, 0);
    for (project, kind) in &projects {
        let expected = expectations(project);
        let count: usize = expected.values().map(Vec::len).sum();
        expected_total += count;
        match kind {
            Kind::Flagged => {
                flagged += 1;
                if count == 0 {
                    failures.push(format!(
                        "{}: a flagged fixture that expects nothing",
                        project.display()
                    ));
                }
            }
            Kind::Safe => {
                safe += 1;
                if count != 0 {
                    failures.push(format!(
                        "{}: a safe fixture must expect nothing",
                        project.display()
                    ));
                }
            }
        }
        let report = check_paths(std::slice::from_ref(project), &Settings::new())
            .expect("fixture check runs");
        let mut actual: BTreeMap<(PathBuf, u32), Vec<(String, String)>> = BTreeMap::new();
        for d in &report.diagnostics {
            actual
                .entry((d.span.path.clone(), d.span.start.line))
                .or_default()
                .push((d.code.to_string(), d.message.clone()));
        }
        for ((file, line), codes) in &expected {
            let mut got: Vec<String> = actual
                .get(&(file.clone(), *line))
                .map(|v| v.iter().map(|(c, _)| c.clone()).collect())
                .unwrap_or_default();
            got.sort();
            if &got != codes {
                failures.push(format!(
                    "{}:{line}: expected {:?}, got {:?}",
                    file.display(),
                    codes,
                    got
                ));
            }
        }
        for ((file, line), diags) in &actual {
            if !expected.contains_key(&(file.clone(), *line)) {
                for (code, message) in diags {
                    failures.push(format!(
                        "{}:{line}: unexpected {code}: {message}",
                        file.display()
                    ));
                }
            }
        }
    }
    eprintln!("fixtures: {flagged} flagged projects, {safe} safe projects, {expected_total} expected diagnostics");
    assert!(
        flagged >= 10 && safe >= 10,
        "too few fixtures found: {flagged} flagged, {safe} safe"
    );
    assert!(
        failures.is_empty(),
        "fixture mismatches:\n{}",
        failures.join("\n")
    );
}

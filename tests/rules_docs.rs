//! `rules/` holds one page per rule, rendered from the documentation in the code table. This
//! test fails when a page is missing, stale, or left over from a rule that no longer exists.
//! Regenerate with `RACELINT_UPDATE_RULES=1 cargo test --test rules_docs`.

use std::collections::BTreeMap;
use std::path::Path;

use racelint_rules::RULES;

fn expected_pages() -> BTreeMap<String, String> {
    let mut pages = BTreeMap::new();
    let mut index = String::from(
        "# racelint rules\n\nOne page per rule, rendered from the code (`racelint rule CODE` prints the same text).\n\n| code | name | summary |\n|---|---|---|\n",
    );
    for rule in RULES {
        pages.insert(format!("{}.md", rule.code), rule.page());
        index.push_str(&format!(
            "| [{code}]({code}.md) | {} | {} |\n",
            rule.name,
            rule.summary,
            code = rule.code
        ));
    }
    pages.insert("README.md".into(), index);
    pages
}

#[test]
fn rule_pages_are_up_to_date() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let expected = expected_pages();
    if std::env::var_os("RACELINT_UPDATE_RULES").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if name.ends_with(".md") && !expected.contains_key(&name) {
                std::fs::remove_file(&path).unwrap();
            }
        }
        for (name, text) in &expected {
            std::fs::write(dir.join(name), text).unwrap();
        }
    }
    let mut problems = Vec::new();
    for (name, text) in &expected {
        match std::fs::read_to_string(dir.join(name)) {
            Ok(actual) if &actual == text => {}
            Ok(_) => problems.push(format!("rules/{name} is stale")),
            Err(_) => problems.push(format!("rules/{name} is missing")),
        }
    }
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if name.ends_with(".md") && !expected.contains_key(&name) {
            problems.push(format!("rules/{name} belongs to no rule"));
        }
    }
    assert!(
        problems.is_empty(),
        "{}\nregenerate with: RACELINT_UPDATE_RULES=1 cargo test --test rules_docs",
        problems.join("\n")
    );
}

#[test]
fn rule_command_prints_the_page() {
    let exe = env!("CARGO_BIN_EXE_racelint");
    for rule in RULES {
        let out = std::process::Command::new(exe)
            .args(["rule", rule.code])
            .output()
            .unwrap();
        assert!(out.status.success());
        assert_eq!(String::from_utf8(out.stdout).unwrap(), rule.page());
    }
    let unknown = std::process::Command::new(exe)
        .args(["rule", "RL999"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown rule `RL999`"));
}

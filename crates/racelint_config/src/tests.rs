use std::path::{Path, PathBuf};

use super::*;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path
}

fn parse_err(name: &str, text: &str) -> ConfigError {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), name, text);
    load(dir.path(), Some(&path), false).expect_err("configuration should be rejected")
}

#[test]
fn every_key_is_read_from_pyproject() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "pyproject.toml",
        r#"
[project]
name = "demo"

[tool.racelint]
select = ["RL1"]
extend-select = ["RL900"]
ignore = ["RL001"]
exclude = ["generated"]
extend-exclude = ["legacy/*.py"]
respect-gitignore = false
thread-entry-points = ["myframework.background", "myframework.on_event"]
lock-factories = ["myapp.locks.make_lock"]
synchronized-decorators = ["myapp.locks.synchronized"]

[tool.racelint.per-file-ignores]
"tests/*" = ["RL101"]
"__init__.py" = ["unlocked-read-modify-write", "RL9"]
"#,
    );
    let config = load(dir.path(), None, false).unwrap();
    assert_eq!(
        config.file.as_deref(),
        Some(dir.path().join("pyproject.toml").as_path())
    );
    let o = &config.options;
    assert_eq!(o.select, Some(vec!["RL1".to_string()]));
    assert_eq!(o.extend_select, vec!["RL900"]);
    assert_eq!(o.ignore, vec!["RL001"]);
    assert_eq!(o.exclude, Some(vec!["generated".to_string()]));
    assert_eq!(o.extend_exclude, vec!["legacy/*.py"]);
    assert_eq!(o.respect_gitignore, Some(false));
    assert_eq!(
        o.thread_entry_points,
        vec!["myframework.background", "myframework.on_event"]
    );
    assert_eq!(o.lock_factories, vec!["myapp.locks.make_lock"]);
    assert_eq!(o.synchronized_decorators, vec!["myapp.locks.synchronized"]);
    assert_eq!(
        o.per_file_ignores,
        vec![
            ("tests/*".to_string(), vec!["RL101".to_string()]),
            (
                "__init__.py".to_string(),
                vec!["unlocked-read-modify-write".to_string(), "RL9".to_string()]
            ),
        ]
    );

    let s = config.settings(&Overrides::default(), dir.path()).unwrap();
    assert!(s.selection.is_enabled("RL101"));
    assert!(s.selection.is_enabled("RL900"));
    assert!(!s.selection.is_enabled("RL001"));
    assert!(!s.respect_gitignore);
    assert_eq!(s.index.lock_factories, vec!["myapp.locks.make_lock"]);
    assert_eq!(s.index.thread_entry_points, o.thread_entry_points);
    assert_eq!(s.analysis.entry_decorators, o.thread_entry_points);
    assert_eq!(s.synchronized_decorators, vec!["myapp.locks.synchronized"]);
    let root = dir.path();
    assert!(s.excludes.excludes(&root.join("pkg/generated/x.py")));
    assert!(s.excludes.excludes(&root.join("legacy/old.py")));
    assert!(!s.excludes.excludes(&root.join("pkg/legacy/old.py")));
    // `exclude` replaces the built-in list.
    assert!(!s.excludes.excludes(&root.join("build/x.py")));
    assert_eq!(s.per_file_ignores.len(), 2);
    assert!(s.per_file_ignores[0]
        .patterns
        .matches(&root.join("tests/test_a.py")));
    assert_eq!(s.per_file_ignores[0].codes, vec!["RL101"]);
    assert_eq!(s.per_file_ignores[1].codes, vec!["RL101", "RL900"]);
}

#[test]
fn racelint_toml_takes_top_level_keys_and_wins_over_pyproject() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "pyproject.toml",
        "[tool.racelint]\nselect = [\"RL001\"]\n",
    );
    write(dir.path(), "racelint.toml", "select = [\"RL101\"]\n");
    let config = load(dir.path(), None, false).unwrap();
    assert_eq!(config.file.unwrap().file_name().unwrap(), "racelint.toml");
    assert_eq!(config.options.select, Some(vec!["RL101".into()]));
    write(dir.path(), ".racelint.toml", "ignore = [\"RL101\"]\n");
    let config = load(dir.path(), None, false).unwrap();
    assert_eq!(config.file.unwrap().file_name().unwrap(), ".racelint.toml");
    assert_eq!(config.options.ignore, vec!["RL101"]);
}

#[test]
fn search_walks_up_and_skips_pyprojects_without_the_table() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "pyproject.toml",
        "[tool.racelint]\nignore = [\"RL101\"]\n",
    );
    write(
        dir.path(),
        "pkg/pyproject.toml",
        "[project]\nname = \"inner\"\n",
    );
    write(dir.path(), "pkg/sub/mod.py", "x = 1\n");
    let config = load(&dir.path().join("pkg/sub/mod.py"), None, false).unwrap();
    assert_eq!(
        config.file.as_deref(),
        Some(dir.path().join("pyproject.toml").as_path())
    );
    assert_eq!(config.root, dir.path());
    // A pyproject that mentions racelint elsewhere but has no table is passed over too.
    write(
        dir.path(),
        "pkg/pyproject.toml",
        "[project]\nname = \"inner\"\ndependencies = [\"racelint\"]\n",
    );
    let config = load(&dir.path().join("pkg/sub"), None, false).unwrap();
    assert_eq!(config.root, dir.path());
}

#[test]
fn isolated_ignores_files_and_explicit_config_wins() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "racelint.toml", "ignore = [\"RL101\"]\n");
    let other = write(dir.path(), "conf/custom.toml", "select = [\"RL001\"]\n");
    let isolated = load(dir.path(), None, true).unwrap();
    assert!(isolated.file.is_none());
    assert_eq!(isolated.options, Options::default());
    let explicit = load(dir.path(), Some(&other), false).unwrap();
    assert_eq!(explicit.options.select, Some(vec!["RL001".into()]));
    assert_eq!(explicit.root, dir.path().join("conf"));
    let err = load(dir.path(), Some(&dir.path().join("missing.toml")), false).unwrap_err();
    assert!(err.message.starts_with("cannot read"), "{err}");
    let bare = write(
        dir.path(),
        "sub/pyproject.toml",
        "[project]\nname = \"x\"\n",
    );
    let err = load(dir.path(), Some(&bare), false).unwrap_err();
    assert!(
        err.to_string().contains("no `[tool.racelint]` table"),
        "{err}"
    );
}

#[test]
fn no_configuration_gives_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let config = load(dir.path(), None, false).unwrap();
    assert!(config.file.is_none());
    let s = config.settings(&Overrides::default(), dir.path()).unwrap();
    assert!(s.selection.is_enabled("RL101"));
    assert!(!s.selection.is_enabled("RL900"), "RL900 is opt-in");
    assert!(s.respect_gitignore);
    assert!(s.excludes.excludes(&dir.path().join(".venv/lib/x.py")));
}

#[test]
fn command_line_overrides_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "racelint.toml",
        "select = [\"RL001\"]\nignore = [\"RL900\"]\nexclude = [\"gen\"]\nrespect-gitignore = true\n",
    );
    let config = load(dir.path(), None, false).unwrap();
    let overrides = Overrides {
        select: Some(vec!["RL1".into()]),
        extend_select: vec!["RL900".into()],
        ignore: vec![],
        exclude: Some(vec!["other".into()]),
        extend_exclude: vec!["more".into()],
        respect_gitignore: Some(false),
        force_exclude: true,
    };
    let s = config.settings(&overrides, dir.path()).unwrap();
    assert!(s.selection.is_enabled("RL101"));
    assert!(!s.selection.is_enabled("RL001"), "--select replaces select");
    assert!(
        !s.selection.is_enabled("RL900"),
        "the file's ignore still applies"
    );
    assert!(!s.respect_gitignore);
    assert!(s.force_exclude);
    assert!(!s.excludes.excludes(&dir.path().join("gen/a.py")));
    assert!(s.excludes.excludes(&dir.path().join("other/a.py")));
    assert!(s.excludes.excludes(&dir.path().join("more/a.py")));
    let ignored = Overrides {
        ignore: vec!["RL101".into()],
        select: Some(vec!["ALL".into()]),
        ..Overrides::default()
    };
    let s = config.settings(&ignored, dir.path()).unwrap();
    assert!(!s.selection.is_enabled("RL101"));
    assert!(s.selection.is_enabled("RL001"));
    let bad = Overrides {
        select: Some(vec!["RL777".into()]),
        ..Overrides::default()
    };
    let err = config.settings(&bad, dir.path()).unwrap_err();
    assert!(err.contains("RL777"), "{err}");
}

#[test]
fn empty_select_selects_nothing_but_extend_select() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "racelint.toml",
        "select = []\nextend-select = [\"RL001\"]\n",
    );
    let s = load(dir.path(), None, false)
        .unwrap()
        .settings(&Overrides::default(), dir.path())
        .unwrap();
    assert_eq!(s.selection.codes(), &["RL001"]);
}

/// Each bad configuration, the line and key the error must name, and a word of the message.
#[test]
fn bad_values_name_the_file_line_and_key() {
    let cases: &[(&str, &str, usize, &str, &str)] = &[
        (
            "racelint.toml",
            "select = [\"RL101\"]\nselectt = [\"RL1\"]\n",
            2,
            "selectt",
            "did you mean `select`",
        ),
        (
            "racelint.toml",
            "\n\nselect = \"RL101\"\n",
            3,
            "select",
            "expected an array of strings",
        ),
        (
            "racelint.toml",
            "ignore = [\"RL101\", 3]\n",
            1,
            "ignore",
            "expected a string, found the integer 3",
        ),
        (
            "racelint.toml",
            "extend-select = [\n  \"RL101\",\n  \"RL999\",\n]\n",
            3,
            "extend-select",
            "unknown rule selector `RL999`",
        ),
        (
            "racelint.toml",
            "exclude = [\"a/[b\"]\n",
            1,
            "exclude",
            "invalid glob",
        ),
        (
            "racelint.toml",
            "extend-exclude = [\"\"]\n",
            1,
            "extend-exclude",
            "empty pattern",
        ),
        (
            "racelint.toml",
            "respect-gitignore = \"yes\"\n",
            1,
            "respect-gitignore",
            "expected `true` or `false`",
        ),
        (
            "racelint.toml",
            "per-file-ignores = [\"tests/*\"]\n",
            1,
            "per-file-ignores",
            "expected a table",
        ),
        (
            "racelint.toml",
            "[per-file-ignores]\n\"tests/*\" = [\"RL1\"]\n\"x/[\" = [\"RL101\"]\n",
            3,
            "per-file-ignores.\"x/[\"",
            "invalid glob",
        ),
        (
            "racelint.toml",
            "[per-file-ignores]\n\"tests/*\" = [\"nope\"]\n",
            2,
            "per-file-ignores.\"tests/*\"",
            "unknown rule selector `nope`",
        ),
        (
            "racelint.toml",
            "[per-file-ignores]\n\"tests/*\" = \"RL101\"\n",
            2,
            "per-file-ignores.\"tests/*\"",
            "expected an array",
        ),
        (
            "racelint.toml",
            "thread-entry-points = [\"my app.run\"]\n",
            1,
            "thread-entry-points",
            "not a dotted path",
        ),
        (
            "racelint.toml",
            "lock-factories = [\"a..b\"]\n",
            1,
            "lock-factories",
            "not a dotted path",
        ),
        (
            "racelint.toml",
            "synchronized-decorators = [\"@sync\"]\n",
            1,
            "synchronized-decorators",
            "not a dotted path",
        ),
        (
            "racelint.toml",
            "synchronized-decorators = true\n",
            1,
            "synchronized-decorators",
            "found `true`",
        ),
        (
            "pyproject.toml",
            "[project]\nname = \"x\"\n\n[tool.racelint]\nlock_factories = [\"a.b\"]\n",
            5,
            "tool.racelint.lock_factories",
            "did you mean `lock-factories`",
        ),
        (
            "pyproject.toml",
            "[tool]\nracelint = 3\n",
            2,
            "tool.racelint",
            "must be a table",
        ),
        (
            "pyproject.toml",
            "[tool.racelint]\nselect = [\"RL101\"\n",
            2,
            "",
            "invalid TOML",
        ),
    ];
    for (name, text, line, key, word) in cases {
        let err = parse_err(name, text);
        let shown = err.to_string();
        assert_eq!(err.line, Some(*line), "line for {text:?}: {shown}");
        if key.is_empty() {
            assert_eq!(err.key, None, "{shown}");
        } else {
            assert_eq!(err.key.as_deref(), Some(*key), "{shown}");
            assert!(shown.contains(&format!("`{key}`")), "{shown}");
        }
        assert!(shown.contains(word), "{word:?} missing from: {shown}");
        assert!(shown.contains(name), "file missing from: {shown}");
        assert!(!shown.contains('\n'), "one line: {shown}");
    }
}

#[test]
fn common_start_is_the_deepest_shared_directory() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "proj/a/x.py", "");
    let b = write(dir.path(), "proj/b/c/y.py", "");
    assert_eq!(common_start(&[a.clone(), b]), dir.path().join("proj"));
    assert_eq!(common_start(&[a]), dir.path().join("proj/a"));
}

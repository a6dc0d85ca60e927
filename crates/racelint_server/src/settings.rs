//! The editor's settings (`initializationOptions`, `workspace/didChangeConfiguration`,
//! `workspace/configuration`) and how they combine with the project's own configuration.

use std::path::PathBuf;

use racelint_config::Overrides;
use racelint_linter::Settings;
use serde_json::Value;

use crate::log::Level;

/// What the editor may set. Every field is optional; an absent field keeps its default.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClientSettings {
    /// Offer unsafe fixes as quick fixes and apply them in "Fix all".
    pub unsafe_fixes: Option<bool>,
    /// Rules to report (codes, prefixes, names); replaces the project's selection.
    pub select: Option<Vec<String>>,
    /// Rules not to report.
    pub ignore: Option<Vec<String>>,
    pub log_level: Option<Level>,
}

impl ClientSettings {
    /// Reads settings from what a client sent: `{"racelint": {...}}`, `{"settings": {...}}`
    /// or the settings object itself. Returns the settings and a complaint per unusable field.
    pub fn from_value(value: &Value) -> (ClientSettings, Vec<String>) {
        let mut problems = Vec::new();
        let mut object = value;
        for key in ["racelint", "settings"] {
            if let Some(inner) = object.get(key).filter(|v| v.is_object()) {
                object = inner;
            }
        }
        let mut settings = ClientSettings::default();
        let Value::Object(map) = object else {
            if !object.is_null() {
                problems.push(format!("settings must be an object, not `{object}`"));
            }
            return (settings, problems);
        };
        for (key, v) in map {
            match key.as_str() {
                "unsafeFixes" => match v {
                    Value::Bool(b) => settings.unsafe_fixes = Some(*b),
                    Value::Null => {}
                    _ => problems.push(format!("`unsafeFixes` must be true or false, not `{v}`")),
                },
                "select" | "ignore" => {
                    let list = match v {
                        Value::Null => continue,
                        Value::String(s) => Some(split_list(s)),
                        Value::Array(items) => items
                            .iter()
                            .map(|i| i.as_str().map(str::to_string))
                            .collect::<Option<Vec<_>>>(),
                        _ => None,
                    };
                    match list {
                        Some(list) if key == "select" => settings.select = Some(list),
                        Some(list) => settings.ignore = Some(list),
                        None => problems.push(format!(
                            "`{key}` must be a list of rule codes or names, not `{v}`"
                        )),
                    }
                }
                "logLevel" => match v.as_str().and_then(Level::parse) {
                    Some(level) => settings.log_level = Some(level),
                    None if v.is_null() => {}
                    None => problems.push(format!(
                        "`logLevel` must be one of error, warn, info, debug, trace; not `{v}`"
                    )),
                },
                // Settings of other tools, or of later versions: not ours to judge.
                _ => {}
            }
        }
        (settings, problems)
    }
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The settings a lint run uses.
#[derive(Clone, Debug)]
pub struct Effective {
    pub linter: Settings,
    pub unsafe_fixes: bool,
}

/// Names of files whose change means the project configuration may have changed.
pub use racelint_config::CONFIG_FILES;

/// The project's configuration (`.racelint.toml`, `racelint.toml`, `[tool.racelint]` in
/// `pyproject.toml`, found from the first root upwards) with the editor's settings on top, as
/// the command line's options go on top of it: an editor `select` replaces the project's
/// selection, an editor `ignore` adds to the project's. A broken configuration file or a bad
/// editor selector is reported and left out; the rest still applies.
pub fn resolve(roots: &[PathBuf], client: &ClientSettings) -> (Effective, Vec<String>) {
    let mut problems = Vec::new();
    let start = roots
        .first()
        .cloned()
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_default();
    let config = match racelint_config::load(&start, None, false) {
        Ok(config) => config,
        Err(e) => {
            problems.push(format!("configuration: {e}"));
            racelint_config::load(&start, None, true).unwrap_or_default()
        }
    };
    let overrides = Overrides {
        select: client.select.clone(),
        ignore: client.ignore.clone().unwrap_or_default(),
        ..Overrides::default()
    };
    let linter = match config.settings(&overrides, &start) {
        Ok(settings) => settings,
        Err(e) => {
            problems.push(format!("editor settings: {e}"));
            match config.settings(&Overrides::default(), &start) {
                Ok(settings) => settings,
                Err(e) => {
                    problems.push(format!("configuration: {e}"));
                    Settings::new()
                }
            }
        }
    };
    (
        Effective {
            linter,
            unsafe_fixes: client.unsafe_fixes.unwrap_or(false),
        },
        problems,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_nested_and_flat_settings() {
        let (s, problems) = ClientSettings::from_value(
            &json!({"settings": {"unsafeFixes": true, "select": "RL1, RL001", "logLevel": "debug"}}),
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(s.unsafe_fixes, Some(true));
        assert_eq!(s.select, Some(vec!["RL1".to_string(), "RL001".to_string()]));
        assert_eq!(s.log_level, Some(Level::Debug));
        let (s, _) = ClientSettings::from_value(&json!({"racelint": {"ignore": ["RL101"]}}));
        assert_eq!(s.ignore, Some(vec!["RL101".to_string()]));
    }

    #[test]
    fn reports_bad_fields_and_keeps_good_ones() {
        let (s, problems) = ClientSettings::from_value(
            &json!({"unsafeFixes": "yes", "select": [1], "logLevel": "loud", "ignore": ["RL001"]}),
        );
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert_eq!(s.ignore, Some(vec!["RL001".to_string()]));
        assert_eq!(s.unsafe_fixes, None);
    }

    /// An empty directory of its own (no configuration in it).
    fn temp_root(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("racelint-server-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn editor_selection_applies_and_unknown_rules_are_reported() {
        let roots = vec![temp_root("selection")];
        let client = ClientSettings {
            ignore: Some(vec!["RL101".into()]),
            ..ClientSettings::default()
        };
        let (effective, problems) = resolve(&roots, &client);
        assert!(problems.is_empty());
        assert!(!effective.linter.selection.is_enabled("RL101"));
        assert!(effective.linter.selection.is_enabled("RL001"));
        let client = ClientSettings {
            select: Some(vec!["RL999".into()]),
            ..ClientSettings::default()
        };
        let (effective, problems) = resolve(&roots, &client);
        assert_eq!(problems.len(), 1);
        assert!(effective.linter.selection.is_enabled("RL101"));
        let _ = std::fs::remove_dir_all(&roots[0]);
    }

    #[test]
    fn project_configuration_comes_first_and_editor_settings_on_top() {
        let dir = temp_root("config");
        std::fs::write(dir.join("racelint.toml"), "ignore = [\"RL101\"]\n").unwrap();
        let roots = vec![dir.clone()];
        let (effective, problems) = resolve(&roots, &ClientSettings::default());
        assert!(problems.is_empty(), "{problems:?}");
        assert!(!effective.linter.selection.is_enabled("RL101"));
        assert!(effective.linter.selection.is_enabled("RL001"));
        // The editor's `select` replaces the project's selection; its `ignore` adds to it.
        let client = ClientSettings {
            select: Some(vec!["RL101".into()]),
            ..ClientSettings::default()
        };
        let (effective, _) = resolve(&roots, &client);
        assert!(!effective.linter.selection.is_enabled("RL001"));
        std::fs::write(dir.join("racelint.toml"), "select = \"not a list\"\n").unwrap();
        let (effective, problems) = resolve(&roots, &ClientSettings::default());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("racelint.toml"), "{problems:?}");
        assert!(effective.linter.selection.is_enabled("RL101"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}

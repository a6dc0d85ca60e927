//! The editor's settings (`initializationOptions`, `workspace/didChangeConfiguration`,
//! `workspace/configuration`) and how they combine with the project's own configuration.

use std::path::Path;

use racelint_linter::Settings;
use racelint_rules::{Selection, RULES};
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

/// Project configuration (`pyproject.toml` `[tool.racelint]`, `racelint.toml`) of a root.
///
/// HOOK: `racelint_linter` has no configuration loader yet. When it gains one, call it here
/// and return the project's settings; `Ok(None)` means "no configuration file, defaults".
pub fn project_config_hook(_root: &Path) -> Result<Option<Settings>, String> {
    Ok(None)
}

/// Names of files whose change means the project configuration may have changed.
pub const CONFIG_FILES: &[&str] = &["pyproject.toml", "racelint.toml", ".racelint.toml"];

/// The project's settings (from the first root that has a configuration) with the editor's
/// on top: an editor `select` replaces the project's selection, an editor `ignore` removes
/// rules from whatever is selected.
pub fn resolve(roots: &[std::path::PathBuf], client: &ClientSettings) -> (Effective, Vec<String>) {
    let mut problems = Vec::new();
    let mut linter = None;
    for root in roots {
        match project_config_hook(root) {
            Ok(Some(settings)) => {
                linter = Some(settings);
                break;
            }
            Ok(None) => {}
            Err(e) => problems.push(e),
        }
    }
    let mut linter = linter.unwrap_or_else(Settings::new);
    if client.select.is_some() || client.ignore.is_some() {
        let select: Vec<String> = match &client.select {
            Some(select) => select.clone(),
            None => RULES
                .iter()
                .filter(|r| linter.selection.is_enabled(r.code))
                .map(|r| r.code.to_string())
                .collect(),
        };
        let ignore = client.ignore.clone().unwrap_or_default();
        if select.is_empty() && client.select.is_none() {
            // The project selects nothing; the editor's ignore cannot add anything.
            linter.selection =
                Selection::new(&["RL".into()], &[], &["RL".into()]).unwrap_or_default();
        } else {
            match Selection::new(&select, &[], &ignore) {
                Ok(selection) => linter.selection = selection,
                Err(e) => problems.push(format!("editor settings: {e}")),
            }
        }
    }
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

    #[test]
    fn editor_selection_applies_and_unknown_rules_are_reported() {
        let client = ClientSettings {
            ignore: Some(vec!["RL101".into()]),
            ..ClientSettings::default()
        };
        let (effective, problems) = resolve(&[], &client);
        assert!(problems.is_empty());
        assert!(!effective.linter.selection.is_enabled("RL101"));
        assert!(effective.linter.selection.is_enabled("RL001"));
        let client = ClientSettings {
            select: Some(vec!["RL999".into()]),
            ..ClientSettings::default()
        };
        let (effective, problems) = resolve(&[], &client);
        assert_eq!(problems.len(), 1);
        assert!(effective.linter.selection.is_enabled("RL101"));
    }
}

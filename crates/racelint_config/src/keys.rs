//! The keys of a configuration file, their types, and their checks.

use std::path::Path;

use racelint_linter::FilePatterns;
use racelint_rules::Selection;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::ConfigError;

/// Every key, with what it takes. Errors list them; the README documents them.
pub const KEYS: &[(&str, &str)] = &[
    ("select", "rule codes, prefixes or names to report (default: every rule but the opt-in ones)"),
    ("extend-select", "rules to report in addition to `select`"),
    ("ignore", "rules not to report"),
    ("exclude", "path globs never checked, replacing the built-in list (`.venv`, `build`, …)"),
    ("extend-exclude", "path globs never checked, in addition to `exclude`"),
    ("per-file-ignores", "a table: path glob = [rules not reported in matching files]"),
    ("respect-gitignore", "skip files ignored by `.gitignore` (default: true)"),
    ("thread-entry-points", "dotted paths of callables whose callable argument, or whose decorated function, runs in a thread"),
    ("lock-factories", "dotted paths of callables that make locks"),
    ("synchronized-decorators", "dotted paths of decorators whose functions run holding a lock"),
];

/// The values of a configuration file, checked but not yet resolved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub select: Option<Vec<String>>,
    pub extend_select: Vec<String>,
    pub ignore: Vec<String>,
    pub exclude: Option<Vec<String>>,
    pub extend_exclude: Vec<String>,
    /// Glob and rule selectors, in file order.
    pub per_file_ignores: Vec<(String, Vec<String>)>,
    pub respect_gitignore: Option<bool>,
    pub thread_entry_points: Vec<String>,
    pub lock_factories: Vec<String>,
    pub synchronized_decorators: Vec<String>,
}

struct Ctx<'a> {
    file: &'a Path,
    text: &'a str,
    prefix: &'static str,
}

impl Ctx<'_> {
    fn line(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        self.text.as_bytes()[..offset]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1
    }

    fn error(&self, offset: usize, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.file.to_path_buf(),
            line: Some(self.line(offset)),
            key: Some(format!("{}{key}", self.prefix)),
            message: message.into(),
        }
    }
}

/// Reads a configuration file. `Ok(None)` for a `pyproject.toml` without `[tool.racelint]`.
pub fn parse(path: &Path, text: &str) -> Result<Option<Options>, ConfigError> {
    let is_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
    let root = DeTable::parse(text).map_err(|e| {
        let line = e.span().map(|s| {
            text.as_bytes()[..s.start.min(text.len())]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1
        });
        ConfigError {
            file: path.to_path_buf(),
            line,
            key: None,
            message: format!(
                "invalid TOML: {}",
                e.message().split_whitespace().collect::<Vec<_>>().join(" ")
            ),
        }
    })?;
    let root = root.get_ref();
    if is_pyproject {
        let ctx = Ctx {
            file: path,
            text,
            prefix: "tool.",
        };
        let Some(tool) = root.get("tool") else {
            return Ok(None);
        };
        let DeValue::Table(tool) = tool.get_ref() else {
            return Ok(None);
        };
        let Some((key, section)) = tool.get_key_value("racelint") else {
            return Ok(None);
        };
        let DeValue::Table(table) = section.get_ref() else {
            return Err(ctx.error(key.span().start, "racelint", "must be a table"));
        };
        let ctx = Ctx {
            file: path,
            text,
            prefix: "tool.racelint.",
        };
        options(&ctx, table).map(Some)
    } else {
        let ctx = Ctx {
            file: path,
            text,
            prefix: "",
        };
        options(&ctx, root).map(Some)
    }
}

fn options(ctx: &Ctx<'_>, table: &DeTable<'_>) -> Result<Options, ConfigError> {
    let mut o = Options::default();
    let mut entries: Vec<(&Spanned<std::borrow::Cow<'_, str>>, &Spanned<DeValue<'_>>)> =
        table.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    for (key, value) in entries {
        let name: &str = key.get_ref();
        match name {
            "select" => o.select = Some(selectors(ctx, name, value)?),
            "extend-select" => o.extend_select = selectors(ctx, name, value)?,
            "ignore" => o.ignore = selectors(ctx, name, value)?,
            "exclude" => o.exclude = Some(globs(ctx, name, value)?),
            "extend-exclude" => o.extend_exclude = globs(ctx, name, value)?,
            "per-file-ignores" => o.per_file_ignores = per_file_ignores(ctx, name, value)?,
            "respect-gitignore" => match value.get_ref() {
                DeValue::Boolean(b) => o.respect_gitignore = Some(*b),
                other => {
                    return Err(ctx.error(
                        value.span().start,
                        name,
                        format!("expected `true` or `false`, found {}", describe(other)),
                    ))
                }
            },
            "thread-entry-points" => o.thread_entry_points = dotted_paths(ctx, name, value)?,
            "lock-factories" => o.lock_factories = dotted_paths(ctx, name, value)?,
            "synchronized-decorators" => {
                o.synchronized_decorators = dotted_paths(ctx, name, value)?
            }
            _ => {
                let mut message = "unknown key".to_string();
                if let Some(near) = nearest_key(name) {
                    message.push_str(&format!(" (did you mean `{near}`?)"));
                }
                let known: Vec<&str> = KEYS.iter().map(|(k, _)| *k).collect();
                message.push_str(&format!("; known keys: {}", known.join(", ")));
                return Err(ctx.error(key.span().start, name, message));
            }
        }
    }
    Ok(o)
}

fn describe(value: &DeValue<'_>) -> String {
    match value {
        DeValue::String(s) => format!("the string \"{s}\""),
        DeValue::Integer(i) => format!("the integer {}", i.as_str()),
        DeValue::Float(f) => format!("the float {}", f.as_str()),
        DeValue::Boolean(b) => format!("`{b}`"),
        DeValue::Datetime(_) => "a date-time".to_string(),
        DeValue::Array(_) => "an array".to_string(),
        DeValue::Table(_) => "a table".to_string(),
    }
}

/// An array of strings, each with the offset of its value.
fn strings(
    ctx: &Ctx<'_>,
    key: &str,
    value: &Spanned<DeValue<'_>>,
) -> Result<Vec<(String, usize)>, ConfigError> {
    let DeValue::Array(items) = value.get_ref() else {
        return Err(ctx.error(
            value.span().start,
            key,
            format!(
                "expected an array of strings, found {}",
                describe(value.get_ref())
            ),
        ));
    };
    items
        .iter()
        .map(|item| match item.get_ref() {
            DeValue::String(s) => Ok((s.to_string(), item.span().start)),
            other => Err(ctx.error(
                item.span().start,
                key,
                format!("expected a string, found {}", describe(other)),
            )),
        })
        .collect()
}

fn selectors(
    ctx: &Ctx<'_>,
    key: &str,
    value: &Spanned<DeValue<'_>>,
) -> Result<Vec<String>, ConfigError> {
    let items = strings(ctx, key, value)?;
    for (s, at) in &items {
        check_selector(ctx, key, s, *at)?;
    }
    Ok(items.into_iter().map(|(s, _)| s).collect())
}

fn check_selector(ctx: &Ctx<'_>, key: &str, s: &str, at: usize) -> Result<(), ConfigError> {
    Selection::new(&[s.to_string()], &[], &[])
        .map(|_| ())
        .map_err(|e| ctx.error(at, key, e))
}

fn check_glob(ctx: &Ctx<'_>, key: &str, g: &str, at: usize) -> Result<(), ConfigError> {
    FilePatterns::new(Path::new("/"), &[g.to_string()])
        .map(|_| ())
        .map_err(|(_, e)| ctx.error(at, key, e))
}

fn globs(
    ctx: &Ctx<'_>,
    key: &str,
    value: &Spanned<DeValue<'_>>,
) -> Result<Vec<String>, ConfigError> {
    let items = strings(ctx, key, value)?;
    for (g, at) in &items {
        check_glob(ctx, key, g, *at)?;
    }
    Ok(items.into_iter().map(|(s, _)| s).collect())
}

fn per_file_ignores(
    ctx: &Ctx<'_>,
    key: &str,
    value: &Spanned<DeValue<'_>>,
) -> Result<Vec<(String, Vec<String>)>, ConfigError> {
    let DeValue::Table(table) = value.get_ref() else {
        return Err(ctx.error(
            value.span().start,
            key,
            format!(
                "expected a table of glob = [rules], found {}",
                describe(value.get_ref())
            ),
        ));
    };
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    let mut out = Vec::new();
    for (glob, rules) in entries {
        let glob_text: &str = glob.get_ref();
        let entry_key = format!("{key}.\"{glob_text}\"");
        check_glob(ctx, &entry_key, glob_text, glob.span().start)?;
        let rules = selectors(ctx, &entry_key, rules)?;
        out.push((glob_text.to_string(), rules));
    }
    Ok(out)
}

fn dotted_paths(
    ctx: &Ctx<'_>,
    key: &str,
    value: &Spanned<DeValue<'_>>,
) -> Result<Vec<String>, ConfigError> {
    let items = strings(ctx, key, value)?;
    for (p, at) in &items {
        let ok = !p.is_empty()
            && p.split('.').all(|part| {
                let mut chars = part.chars();
                chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
                    && chars.all(|c| c == '_' || c.is_alphanumeric())
            });
        if !ok {
            return Err(ctx.error(
                *at,
                key,
                format!(
                    "`{p}` is not a dotted path such as `package.module.name` (as it is imported)"
                ),
            ));
        }
    }
    Ok(items.into_iter().map(|(s, _)| s).collect())
}

/// The known key closest to a misspelt one, if any is close.
fn nearest_key(name: &str) -> Option<&'static str> {
    let normalized = name.replace('_', "-").to_ascii_lowercase();
    KEYS.iter()
        .map(|(k, _)| (*k, distance(&normalized, k)))
        .filter(|(k, d)| *d <= 2.max(k.len() / 4))
        .min_by_key(|(_, d)| *d)
        .map(|(k, _)| k)
}

/// Levenshtein distance.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

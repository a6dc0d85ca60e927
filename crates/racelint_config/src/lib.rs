//! racelint's configuration: where it lives, what it may say, and the [`Settings`] it makes.
//!
//! Configuration is read from the first of these found in the directory the check starts
//! from, then in each directory above it:
//!
//! 1. `.racelint.toml` (top-level keys),
//! 2. `racelint.toml` (top-level keys),
//! 3. `pyproject.toml` with a `[tool.racelint]` table (a `pyproject.toml` without one is
//!    passed over).
//!
//! `--config PATH` names the file instead; `--isolated` ignores every file. Relative paths
//! and globs in a file are relative to the file's directory. Every key is checked: an unknown
//! key or a bad value is an error naming the file, the line and the key.

mod keys;

use std::fmt;
use std::path::{Path, PathBuf};

use racelint_linter::{Excludes, FilePatterns, PerFileIgnore, Settings};
use racelint_rules::Selection;

pub use keys::{Options, KEYS};

/// The configuration files looked for in each directory, in order of precedence.
pub const CONFIG_FILES: &[&str] = &[".racelint.toml", "racelint.toml", "pyproject.toml"];

/// A configuration problem: which file, which line, which key, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    /// 1-based; `None` when the problem is the file as a whole.
    pub line: Option<usize>,
    /// The key as a user would write it (`tool.racelint.select`), if the problem is a key's.
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": ")?;
        if let Some(key) = &self.key {
            write!(f, "`{key}`: ")?;
        }
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// A loaded configuration.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The file it came from; `None` when no file was found or `--isolated` was given.
    pub file: Option<PathBuf>,
    /// The directory relative paths and globs are resolved from.
    pub root: PathBuf,
    pub options: Options,
}

/// Finds and reads the configuration for a check starting at `start` (a directory or a file).
/// `explicit` (`--config`) names the file to use; `isolated` ignores every file.
pub fn load(start: &Path, explicit: Option<&Path>, isolated: bool) -> Result<Config, ConfigError> {
    let start_dir = absolute(start);
    let start_dir = if start_dir.is_file() {
        start_dir
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or(start_dir)
    } else {
        start_dir
    };
    if isolated {
        return Ok(Config {
            file: None,
            root: start_dir,
            options: Options::default(),
        });
    }
    if let Some(path) = explicit {
        let path = absolute(path);
        let text = read(&path)?;
        let options = keys::parse(&path, &text)?.ok_or_else(|| ConfigError {
            file: path.clone(),
            line: None,
            key: None,
            message: "has no `[tool.racelint]` table".to_string(),
        })?;
        let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
        return Ok(Config {
            file: Some(path),
            root,
            options,
        });
    }
    let mut dir = Some(start_dir.as_path());
    while let Some(d) = dir {
        for name in CONFIG_FILES {
            let path = d.join(name);
            if !path.is_file() {
                continue;
            }
            let text = read(&path)?;
            if *name == "pyproject.toml" && !text.contains("racelint") {
                continue;
            }
            if let Some(options) = keys::parse(&path, &text)? {
                return Ok(Config {
                    file: Some(path),
                    root: d.to_path_buf(),
                    options,
                });
            }
        }
        dir = d.parent();
    }
    Ok(Config {
        file: None,
        root: start_dir,
        options: Options::default(),
    })
}

/// The directory a check of `paths` starts its search for configuration from: the deepest
/// directory holding every path.
pub fn common_start(paths: &[PathBuf]) -> PathBuf {
    let mut dirs = paths.iter().map(|p| {
        let abs = absolute(p);
        if abs.is_dir() {
            abs
        } else {
            abs.parent().map(Path::to_path_buf).unwrap_or(abs)
        }
    });
    let Some(mut common) = dirs.next() else {
        return absolute(Path::new("."));
    };
    for d in dirs {
        while !d.starts_with(&common) {
            match common.parent() {
                Some(p) => common = p.to_path_buf(),
                None => break,
            }
        }
    }
    common
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: path.to_path_buf(),
        line: None,
        key: None,
        message: format!("cannot read: {e}"),
    })
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// What the command line says, overriding the configuration file.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--select`: replaces the file's `select`.
    pub select: Option<Vec<String>>,
    /// `--extend-select`, `--ignore`: added to the file's.
    pub extend_select: Vec<String>,
    pub ignore: Vec<String>,
    /// `--exclude`: replaces the file's `exclude`; `--extend-exclude` adds to it. Relative to
    /// the working directory.
    pub exclude: Option<Vec<String>>,
    pub extend_exclude: Vec<String>,
    /// `--no-respect-gitignore` (`Some(false)`).
    pub respect_gitignore: Option<bool>,
    pub force_exclude: bool,
}

impl Config {
    /// The settings of a run: this configuration with the command line's overrides applied.
    /// `cwd` anchors the command line's globs. Errors are one line, naming the option.
    pub fn settings(&self, overrides: &Overrides, cwd: &Path) -> Result<Settings, String> {
        let o = &self.options;
        let select: Vec<String> = overrides
            .select
            .clone()
            .or_else(|| o.select.clone())
            .unwrap_or_default();
        let select_given = overrides.select.is_some() || o.select.is_some();
        let mut extend = o.extend_select.clone();
        extend.extend(overrides.extend_select.iter().cloned());
        let mut ignore = o.ignore.clone();
        ignore.extend(overrides.ignore.iter().cloned());
        let selection = if select_given && select.is_empty() {
            // `select = []` selects nothing; `extend-select` may still add rules.
            if extend.is_empty() {
                let all = ["ALL".to_string()];
                Selection::new(&all, &[], &all)?
            } else {
                Selection::new(&extend, &[], &ignore)?
            }
        } else {
            Selection::new(&select, &extend, &ignore)?
        };

        let mut settings = Settings::new();
        settings.selection = selection;
        if let Some(r) = overrides.respect_gitignore.or(o.respect_gitignore) {
            settings.respect_gitignore = r;
        }
        settings.force_exclude = overrides.force_exclude;

        let compile = |root: &Path, patterns: &[String], option: &str| {
            FilePatterns::new(root, patterns).map_err(|(_, e)| format!("`{option}`: {e}"))
        };
        let exclude = match (&overrides.exclude, &o.exclude) {
            (Some(cli), _) => Some(vec![compile(cwd, cli, "--exclude")?]),
            (None, Some(file)) => Some(vec![compile(&self.root, file, "exclude")?]),
            (None, None) => Some(vec![FilePatterns::names(
                &self.root,
                racelint_linter::DEFAULT_EXCLUDES,
            )]),
        };
        let mut extend_exclude = Vec::new();
        if !o.extend_exclude.is_empty() {
            extend_exclude.push(compile(&self.root, &o.extend_exclude, "extend-exclude")?);
        }
        if !overrides.extend_exclude.is_empty() {
            extend_exclude.push(compile(cwd, &overrides.extend_exclude, "--extend-exclude")?);
        }
        settings.excludes = Excludes {
            exclude,
            extend_exclude,
        };

        for (pattern, selectors) in &o.per_file_ignores {
            let patterns = compile(
                &self.root,
                std::slice::from_ref(pattern),
                "per-file-ignores",
            )?;
            let mut codes = Vec::new();
            for s in selectors {
                codes.extend_from_slice(Selection::new(std::slice::from_ref(s), &[], &[])?.codes());
            }
            codes.sort_unstable();
            codes.dedup();
            settings
                .per_file_ignores
                .push(PerFileIgnore { patterns, codes });
        }

        settings.index.lock_factories = o.lock_factories.clone();
        settings.index.thread_entry_points = o.thread_entry_points.clone();
        settings.analysis.entry_decorators = o.thread_entry_points.clone();
        settings.synchronized_decorators = o.synchronized_decorators.clone();
        Ok(settings)
    }
}

#[cfg(test)]
mod tests;

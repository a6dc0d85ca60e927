//! Finding the files to check, and naming their modules.

use std::path::{Path, PathBuf};

use crate::Settings;

/// Directory names never descended into (explicitly named files are still checked).
pub const DEFAULT_EXCLUDES: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    "__pycache__",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".eggs",
];

pub struct Discovery {
    /// Sorted, without duplicates.
    pub files: Vec<PathBuf>,
    pub warnings: Vec<String>,
}

/// Expands paths into the Python files to check. A path that does not exist is an error.
pub fn discover(paths: &[PathBuf], settings: &Settings) -> Result<Discovery, String> {
    let mut files = Vec::new();
    let mut warnings = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!("path `{}` does not exist", path.display()),
            _ => format!("cannot read `{}`: {e}", path.display()),
        })?;
        if meta.is_file() {
            files.push(absolute(path));
            continue;
        }
        let mut walk = ignore::WalkBuilder::new(path);
        walk.hidden(false)
            .follow_links(true)
            .git_ignore(settings.respect_gitignore)
            .git_global(settings.respect_gitignore)
            .git_exclude(settings.respect_gitignore)
            .ignore(settings.respect_gitignore)
            .parents(settings.respect_gitignore)
            .require_git(false)
            .filter_entry(|entry| {
                let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                !(is_dir
                    && entry.depth() > 0
                    && DEFAULT_EXCLUDES.contains(&entry.file_name().to_string_lossy().as_ref()))
            });
        for entry in walk.build() {
            match entry {
                Ok(entry) => {
                    if !entry.file_type().is_some_and(|t| t.is_file()) {
                        continue;
                    }
                    let p = entry.path();
                    let wanted = match p.extension().and_then(|e| e.to_str()) {
                        Some("py") => true,
                        Some("pyi") => settings.include_stubs,
                        _ => false,
                    };
                    if wanted {
                        files.push(absolute(p));
                    }
                }
                Err(err) => warnings.push(describe_walk_error(&err)),
            }
        }
    }
    files.sort();
    files.dedup();
    Ok(Discovery { files, warnings })
}

fn describe_walk_error(err: &ignore::Error) -> String {
    let text = err.to_string();
    if text.contains("File system loop") {
        format!("skipped a directory symlink loop: {text}")
    } else {
        format!("skipped an entry that could not be read: {text}")
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The dotted module name of a file, from the packages (`__init__.py`) around it, and whether
/// the file is a package's `__init__`.
pub fn module_name(path: &Path) -> (String, bool) {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("module");
    let is_package = stem == "__init__";
    let mut parts: Vec<String> = Vec::new();
    if !is_package {
        parts.push(sanitize(stem));
    }
    let mut dir = path.parent();
    let mut hops = 0;
    while let Some(d) = dir {
        if hops > 64 || !d.join("__init__.py").is_file() {
            break;
        }
        match d.file_name().and_then(|n| n.to_str()) {
            Some(name) => parts.push(sanitize(name)),
            None => break,
        }
        dir = d.parent();
        hops += 1;
    }
    if parts.is_empty() {
        parts.push(sanitize(stem));
    }
    parts.reverse();
    (parts.join("."), is_package)
}

/// Module names are dotted identifiers; file names with dots or dashes still need one.
fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| if c == '.' { '_' } else { c })
        .collect()
}

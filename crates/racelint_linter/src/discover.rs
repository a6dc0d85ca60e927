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
/// Paths named here are checked even when `exclude` matches them, unless
/// `settings.force_exclude` is set.
pub fn discover(paths: &[PathBuf], settings: &Settings) -> Result<Discovery, String> {
    let mut files = Vec::new();
    let mut warnings = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!("path `{}` does not exist", path.display()),
            _ => format!("cannot read `{}`: {e}", path.display()),
        })?;
        if settings.force_exclude && settings.excludes.excludes(path) {
            continue;
        }
        if meta.is_file() {
            files.push(absolute(path));
            continue;
        }
        let excludes = settings.excludes.clone();
        let mut walk = ignore::WalkBuilder::new(path);
        walk.hidden(false)
            .follow_links(true)
            .git_ignore(settings.respect_gitignore)
            .git_global(settings.respect_gitignore)
            .git_exclude(settings.respect_gitignore)
            .ignore(settings.respect_gitignore)
            .parents(settings.respect_gitignore)
            .require_git(false)
            .filter_entry(move |entry| {
                entry.depth() == 0 || !excludes.excludes_entry(entry.path())
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

/// The files of the projects around explicitly named files, for context: when only some
/// files of a project are checked (as pre-commit does), imports and thread entry points still
/// resolve through the rest of the project. Returns the project's files that `named` lacks.
/// A file's project is the nearest directory above it holding `pyproject.toml`,
/// `racelint.toml`, `.racelint.toml` or `.git`; a file outside any project adds nothing.
pub fn project_context(paths: &[PathBuf], named: &[PathBuf], settings: &Settings) -> Discovery {
    let mut roots: Vec<PathBuf> = Vec::new();
    for path in paths {
        if !path.is_file() {
            continue;
        }
        let path = absolute(path);
        if let Some(root) = path.parent().and_then(project_root) {
            if !roots.contains(&root) {
                roots.push(root);
            }
        }
    }
    // A root inside another root adds nothing the outer one does not.
    let outer: Vec<PathBuf> = roots
        .iter()
        .filter(|r| !roots.iter().any(|o| o != *r && r.starts_with(o)))
        .cloned()
        .collect();
    let context = Settings {
        force_exclude: false,
        ..settings.clone()
    };
    match discover(&outer, &context) {
        Ok(Discovery { files, warnings }) => Discovery {
            files: files
                .into_iter()
                .filter(|f| named.binary_search(f).is_err())
                .collect(),
            warnings,
        },
        Err(e) => Discovery {
            files: Vec::new(),
            warnings: vec![format!("could not read the rest of the project: {e}")],
        },
    }
}

/// The nearest directory at or above `dir` that marks a project root.
pub fn project_root(dir: &Path) -> Option<PathBuf> {
    const MARKERS: &[&str] = &["pyproject.toml", "racelint.toml", ".racelint.toml", ".git"];
    let mut current = Some(dir);
    while let Some(d) = current {
        if MARKERS.iter().any(|m| d.join(m).exists()) {
            return Some(d.to_path_buf());
        }
        current = d.parent();
    }
    None
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

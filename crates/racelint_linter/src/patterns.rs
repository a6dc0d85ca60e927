//! Path patterns, as `exclude`, `extend-exclude` and `per-file-ignores` take them.
//!
//! A pattern without a `/` (`build`, `*_pb2.py`) matches a file or directory name anywhere.
//! A pattern with a `/` (`src/generated`, `tests/**/fixtures`) is a glob anchored at the
//! directory the pattern comes from (the configuration file's directory, or the working
//! directory for command-line options). `*` stays within one path component, `**` crosses
//! them. A pattern that matches a directory matches everything below it.

use std::path::{Component, Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};

#[derive(Clone, Debug)]
struct Pattern {
    text: String,
    matcher: GlobMatcher,
    /// Whether the pattern names a path from the root rather than a name anywhere.
    anchored: bool,
}

/// A set of path patterns relative to one directory.
#[derive(Clone, Debug, Default)]
pub struct FilePatterns {
    root: PathBuf,
    patterns: Vec<Pattern>,
}

impl FilePatterns {
    /// Compiles `patterns`, anchored at `root`. On a bad pattern, returns its index and why.
    pub fn new(root: &Path, patterns: &[String]) -> Result<FilePatterns, (usize, String)> {
        let mut out = FilePatterns {
            root: std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf()),
            patterns: Vec::new(),
        };
        for (i, text) in patterns.iter().enumerate() {
            out.push(text).map_err(|e| (i, e))?;
        }
        Ok(out)
    }

    /// Names matched anywhere below `root` (the working directory when empty), e.g. the
    /// built-in directory excludes.
    pub fn names(root: &Path, names: &[&str]) -> FilePatterns {
        let mut out = FilePatterns {
            root: if root.as_os_str().is_empty() {
                PathBuf::new()
            } else {
                std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf())
            },
            patterns: Vec::new(),
        };
        for name in names {
            // Built-in names contain no glob syntax, so they always compile.
            let _ = out.push(name);
        }
        out
    }

    fn push(&mut self, text: &str) -> Result<(), String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err("an empty pattern matches nothing".to_string());
        }
        let normalized = trimmed.replace('\\', "/");
        let mut body = normalized.as_str();
        while let Some(rest) = body.strip_prefix("./") {
            body = rest;
        }
        let body = body.trim_end_matches('/');
        let anchored = body.contains('/');
        let body = if Path::new(body).is_absolute() {
            body.to_string()
        } else {
            body.trim_start_matches('/').to_string()
        };
        if body.is_empty() {
            return Err(format!("`{trimmed}` matches nothing"));
        }
        let glob = GlobBuilder::new(&body)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .map_err(|e| format!("invalid glob `{trimmed}`: {}", e.kind()))?;
        self.patterns.push(Pattern {
            text: trimmed.to_string(),
            matcher: glob.compile_matcher(),
            anchored,
        });
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The patterns as written.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.patterns.iter().map(|p| p.text.as_str())
    }

    /// Whether the name of one entry met during a walk matches a name pattern, or its whole
    /// path an anchored one.
    pub fn matches_entry(&self, path: &Path) -> bool {
        let name = path.file_name().map(Path::new);
        let mut rel: Option<Option<PathBuf>> = None;
        self.patterns.iter().any(|p| {
            if p.anchored {
                let rel = rel.get_or_insert_with(|| self.relative(path));
                self.anchored_match(p, path, rel.as_deref())
            } else {
                name.is_some_and(|n| p.matcher.is_match(n))
            }
        })
    }

    /// Whether `path` or any directory above it (up to the root) matches.
    pub fn matches(&self, path: &Path) -> bool {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let rel = self.relative(&path);
        let components: Vec<&std::ffi::OsStr> = match &rel {
            Some(r) => r
                .components()
                .filter_map(|c| match c {
                    Component::Normal(s) => Some(s),
                    _ => None,
                })
                .collect(),
            None => path.file_name().into_iter().collect(),
        };
        for p in &self.patterns {
            if p.anchored {
                // The path itself or a directory above it.
                let mut prefix = PathBuf::new();
                for c in &components {
                    prefix.push(c);
                    if rel.is_some() && p.matcher.is_match(&prefix) {
                        return true;
                    }
                }
                if p.matcher.is_match(&path) {
                    return true;
                }
                let mut ancestor = path.parent();
                while let Some(a) = ancestor {
                    if p.matcher.is_match(a) {
                        return true;
                    }
                    ancestor = a.parent();
                }
            } else if components.iter().any(|c| p.matcher.is_match(Path::new(c))) {
                return true;
            }
        }
        false
    }

    fn anchored_match(&self, p: &Pattern, path: &Path, rel: Option<&Path>) -> bool {
        rel.is_some_and(|r| p.matcher.is_match(r)) || p.matcher.is_match(path)
    }

    /// The path below the root; patterns without a root (the built-in names) are relative to
    /// the working directory.
    fn relative(&self, path: &Path) -> Option<PathBuf> {
        let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        if self.root.as_os_str().is_empty() {
            let cwd = std::env::current_dir().ok()?;
            return abs.strip_prefix(&cwd).ok().map(Path::to_path_buf);
        }
        abs.strip_prefix(&self.root).ok().map(Path::to_path_buf)
    }
}

/// Which paths discovery skips: `exclude` (the built-in names when unset) plus
/// `extend-exclude`, each list keeping the root its patterns are relative to.
#[derive(Clone, Debug, Default)]
pub struct Excludes {
    /// Replaces the built-in excludes when set.
    pub exclude: Option<Vec<FilePatterns>>,
    pub extend_exclude: Vec<FilePatterns>,
}

impl Excludes {
    fn lists(&self) -> impl Iterator<Item = &FilePatterns> {
        static DEFAULTS: std::sync::OnceLock<FilePatterns> = std::sync::OnceLock::new();
        let base: Vec<&FilePatterns> = match &self.exclude {
            Some(lists) => lists.iter().collect(),
            None => vec![DEFAULTS
                .get_or_init(|| FilePatterns::names(Path::new(""), crate::DEFAULT_EXCLUDES))],
        };
        base.into_iter().chain(self.extend_exclude.iter())
    }

    /// Whether an entry met while walking a directory is skipped (with everything below it).
    pub fn excludes_entry(&self, path: &Path) -> bool {
        self.lists().any(|l| l.matches_entry(path))
    }

    /// Whether a path, or a directory above it, is excluded.
    pub fn excludes(&self, path: &Path) -> bool {
        self.lists().any(|l| l.matches(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pats(root: &str, p: &[&str]) -> FilePatterns {
        FilePatterns::new(
            Path::new(root),
            &p.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )
        .unwrap()
    }

    #[test]
    fn names_match_anywhere_below_the_root() {
        let p = pats("/proj", &["build", "*_pb2.py"]);
        assert!(p.matches(Path::new("/proj/build/x.py")));
        assert!(p.matches(Path::new("/proj/pkg/build/sub/x.py")));
        assert!(p.matches(Path::new("/proj/pkg/api_pb2.py")));
        assert!(!p.matches(Path::new("/proj/pkg/builder.py")));
        assert!(!p.matches(Path::new("/proj/pkg/api_pb2.pyi")));
        // Directories above the root do not count.
        assert!(!pats("/build/proj", &["build"]).matches(Path::new("/build/proj/a.py")));
    }

    #[test]
    fn anchored_patterns_match_from_the_root_and_cover_directories() {
        let p = pats(
            "/proj",
            &["src/generated", "tests/*/data", "./scripts/*.py"],
        );
        assert!(p.matches(Path::new("/proj/src/generated/a.py")));
        assert!(p.matches(Path::new("/proj/src/generated")));
        assert!(!p.matches(Path::new("/proj/lib/src/generated/a.py")));
        assert!(p.matches(Path::new("/proj/tests/unit/data/x.py")));
        assert!(!p.matches(Path::new("/proj/tests/unit/deep/data/x.py")));
        assert!(p.matches(Path::new("/proj/scripts/run.py")));
        assert!(!p.matches(Path::new("/proj/scripts/sub/run.py")));
        let deep = pats("/proj", &["tests/**/data"]);
        assert!(deep.matches(Path::new("/proj/tests/unit/deep/data/x.py")));
    }

    #[test]
    fn entries_met_during_a_walk() {
        let p = pats("/proj", &["build", "src/gen"]);
        assert!(p.matches_entry(Path::new("/proj/a/build")));
        assert!(p.matches_entry(Path::new("/proj/src/gen")));
        assert!(!p.matches_entry(Path::new("/proj/src/general")));
    }

    #[test]
    fn bad_patterns_are_reported_with_their_index() {
        let err = FilePatterns::new(Path::new("/p"), &["ok".into(), "a/[b".into()]).unwrap_err();
        assert_eq!(err.0, 1);
        assert!(err.1.contains("a/[b"), "{}", err.1);
        assert!(FilePatterns::new(Path::new("/p"), &["  ".into()]).is_err());
    }
}

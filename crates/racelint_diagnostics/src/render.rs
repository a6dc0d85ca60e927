//! Renderers: one function per output format over the same diagnostics.

mod github;
mod json;
mod junit;
mod sarif;

pub use github::github;
pub use json::json;
pub use junit::junit;
pub use sarif::{sarif, RuleInfo};

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label, Severity as CsSeverity};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor::WriteColor, Config};

use crate::{Applicability, Diagnostic, Severity};

/// Returns a file's text for rendering snippets; `None` when it cannot be read any more.
pub type SourceLookup<'a> = &'a dyn Fn(&Path) -> Option<String>;

/// The `full` format: each diagnostic with its source snippet, labels and notes.
pub fn full(
    diagnostics: &[Diagnostic],
    sources: SourceLookup<'_>,
    show_fix_hints: bool,
    out: &mut dyn WriteColor,
) -> io::Result<()> {
    let mut files = SimpleFiles::new();
    let mut ids: HashMap<PathBuf, Option<usize>> = HashMap::new();
    let mut file_id = |path: &Path, files: &mut SimpleFiles<String, String>| -> Option<usize> {
        *ids.entry(path.to_path_buf())
            .or_insert_with(|| sources(path).map(|text| files.add(display_path(path), text)))
    };
    let config = Config::default();
    for diagnostic in diagnostics {
        let Some(primary) = file_id(&diagnostic.span.path, &mut files) else {
            // The file vanished between checking and rendering: fall back to one line.
            writeln!(out, "{}", concise_line(diagnostic, show_fix_hints))?;
            continue;
        };
        let mut labels = vec![Label::primary(primary, to_range(diagnostic.span.range))
            .with_message(diagnostic.label.clone())];
        for related in &diagnostic.related {
            if let Some(id) = file_id(&related.span.path, &mut files) {
                labels.push(
                    Label::secondary(id, to_range(related.span.range))
                        .with_message(related.message.clone()),
                );
            }
        }
        let mut notes = diagnostic.notes.clone();
        if show_fix_hints {
            if let Some(fix) = &diagnostic.fix {
                notes.push(match fix.applicability {
                    Applicability::Safe => {
                        format!("help: {} (fix available: run with `--fix`)", fix.message)
                    }
                    Applicability::Unsafe => {
                        format!(
                            "help: {} (unsafe fix available: run with `--fix --unsafe-fixes`)",
                            fix.message
                        )
                    }
                });
            }
        }
        let severity = match diagnostic.severity {
            Severity::Error => CsSeverity::Error,
            Severity::Warning => CsSeverity::Warning,
        };
        let marker = if show_fix_hints && is_fixable_by_default(diagnostic) {
            " [*]"
        } else {
            ""
        };
        let cs = CsDiagnostic::new(severity)
            .with_code(diagnostic.code)
            .with_message(format!("{}{}", diagnostic.message, marker))
            .with_labels(labels)
            .with_notes(notes);
        term::emit(out, &config, &files, &cs).map_err(|e| match e {
            // Keep the kind (a closed pipe is told apart by it).
            codespan_reporting::files::Error::Io(e) => e,
            other => io::Error::other(other.to_string()),
        })?;
    }
    Ok(())
}

/// The `concise` format: `path:line:col: CODE message`, one line per diagnostic.
pub fn concise(
    diagnostics: &[Diagnostic],
    show_fix_hints: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    for diagnostic in diagnostics {
        writeln!(out, "{}", concise_line(diagnostic, show_fix_hints))?;
    }
    Ok(())
}

/// Reported and suppressed diagnostics together in output order, each with whether it was
/// suppressed (for the machine formats, which show both).
fn with_suppressed<'d>(
    diagnostics: &'d [Diagnostic],
    suppressed: &'d [Diagnostic],
) -> Vec<(&'d Diagnostic, bool)> {
    let mut all: Vec<(&Diagnostic, bool)> = diagnostics
        .iter()
        .map(|d| (d, false))
        .chain(suppressed.iter().map(|d| (d, true)))
        .collect();
    all.sort_by(|a, b| a.0.sort_key().cmp(&b.0.sort_key()));
    all
}

fn concise_line(d: &Diagnostic, show_fix_hints: bool) -> String {
    let marker = if show_fix_hints && is_fixable_by_default(d) {
        " [*]"
    } else {
        ""
    };
    format!(
        "{}:{}:{}: {}{} {}",
        display_path(&d.span.path),
        d.span.start.line,
        d.span.start.column,
        d.code,
        marker,
        d.message
    )
}

fn is_fixable_by_default(d: &Diagnostic) -> bool {
    d.fix
        .as_ref()
        .is_some_and(|f| f.applicability == Applicability::Safe)
}

fn to_range(range: ruff_text_size::TextRange) -> std::ops::Range<usize> {
    usize::from(range.start())..usize::from(range.end())
}

/// Paths as the user should read them: relative to the working directory when below it.
pub fn display_path(path: &Path) -> String {
    let shown = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf());
    let text = shown.to_string_lossy().into_owned();
    text.strip_prefix("./").map(str::to_owned).unwrap_or(text)
}

//! The diagnostic model shared by every part of racelint: what a finding is, where it points,
//! what it explains, and how it can be fixed. Renderers turn a list of diagnostics into text
//! for people (`full`, `concise`) or for machines.

mod fix;
pub mod render;

use std::path::PathBuf;

pub use fix::{apply_edits, Applicability, Edit, Fix};
use ruff_source_file::LineIndex;
pub use ruff_text_size::{TextRange, TextSize};

/// A 1-based line and 1-based column counted in Unicode scalar values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

impl Position {
    /// The position of `offset` in `source`, as people count lines and columns.
    pub fn of(offset: TextSize, source: &str, index: &LineIndex) -> Position {
        let offset = offset.min(TextSize::of(source));
        let lc = index.line_column(offset, source);
        Position {
            line: lc.line.get() as u32,
            column: lc.column.get() as u32,
        }
    }
}

/// A range of one file, with its byte offsets and its human positions.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    pub path: PathBuf,
    pub range: TextRange,
    pub start: Position,
    pub end: Position,
}

impl Span {
    pub fn new(path: PathBuf, range: TextRange, source: &str, index: &LineIndex) -> Span {
        Span {
            path,
            range,
            start: Position::of(range.start(), source, index),
            end: Position::of(range.end(), source, index),
        }
    }
}

/// A secondary location that explains a diagnostic: where the thread starts, a step of the
/// call path, the lock that guards the same state elsewhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The stable rule code, e.g. `RL101`.
    pub code: &'static str,
    /// The rule's kebab-case name, e.g. `unlocked-read-modify-write`.
    pub name: &'static str,
    pub severity: Severity,
    /// One sentence saying what is wrong.
    pub message: String,
    pub span: Span,
    /// The label on the primary span.
    pub label: String,
    pub related: Vec<Related>,
    /// Further explanation: the call path, the evidence that the code runs concurrently.
    pub notes: Vec<String>,
    pub fix: Option<Fix>,
}

impl Diagnostic {
    /// The order of diagnostics in every output: by file, line, column, then code.
    pub fn sort_key(&self) -> (&std::path::Path, Position, &'static str, TextSize) {
        (
            &self.span.path,
            self.span.start,
            self.code,
            self.span.range.end(),
        )
    }
}

/// Sorts diagnostics into their output order and drops exact duplicates.
pub fn sort_diagnostics(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| {
        a.sort_key()
            .cmp(&b.sort_key())
            .then_with(|| a.message.cmp(&b.message))
    });
    diagnostics.dedup_by(|a, b| a.code == b.code && a.span == b.span && a.message == b.message);
}

//! The `json` format: an array with one object per diagnostic.
//!
//! ```json
//! [{"code": "RL101", "name": "unlocked-read-modify-write", "severity": "warning",
//!   "message": "...", "file": "app/stats.py",
//!   "start": {"line": 9, "column": 9}, "end": {"line": 9, "column": 14},
//!   "label": "...", "notes": ["..."],
//!   "related": [{"file": "...", "start": {...}, "end": {...}, "message": "..."}],
//!   "fix": {"message": "...", "applicability": "safe",
//!           "edits": [{"content": "...", "start": {...}, "end": {...}}]} | null,
//!   "suppressed": false}]
//! ```
//!
//! Lines and columns are 1-based; columns count Unicode characters. Edits are positioned the
//! same way, with `end` exclusive; an insertion has `start == end`.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::{display_path, SourceLookup};
use crate::{Diagnostic, Position, TextSize};

/// Writes `diagnostics` (reported) and `suppressed` (silenced by comments, shown with
/// `--show-suppressed`) as one JSON array, in output order.
pub fn json(
    diagnostics: &[Diagnostic],
    suppressed: &[Diagnostic],
    sources: SourceLookup<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut positions = Positions::new(sources);
    let all = super::with_suppressed(diagnostics, suppressed);
    let items: Vec<Value> = all
        .into_iter()
        .map(|(d, s)| diagnostic_value(d, s, &mut positions))
        .collect();
    serde_json::to_writer_pretty(&mut *out, &Value::Array(items)).map_err(io::Error::from)?;
    writeln!(out)
}

#[derive(Serialize)]
struct JsonPosition {
    line: u32,
    column: u32,
}

impl From<Position> for JsonPosition {
    fn from(p: Position) -> JsonPosition {
        JsonPosition {
            line: p.line,
            column: p.column,
        }
    }
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    file: String,
    start: JsonPosition,
    end: JsonPosition,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonEdit<'a> {
    content: &'a str,
    start: Option<JsonPosition>,
    end: Option<JsonPosition>,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    message: &'a str,
    applicability: crate::Applicability,
    edits: Vec<JsonEdit<'a>>,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'a str,
    name: &'a str,
    severity: crate::Severity,
    message: &'a str,
    file: String,
    start: JsonPosition,
    end: JsonPosition,
    label: &'a str,
    notes: &'a [String],
    related: Vec<JsonRelated<'a>>,
    fix: Option<JsonFix<'a>>,
    suppressed: bool,
}

fn diagnostic_value(d: &Diagnostic, suppressed: bool, positions: &mut Positions<'_>) -> Value {
    let related = d
        .related
        .iter()
        .map(|r| JsonRelated {
            file: display_path(&r.span.path),
            start: r.span.start.into(),
            end: r.span.end.into(),
            message: &r.message,
        })
        .collect();
    let fix = d.fix.as_ref().map(|fix| JsonFix {
        message: &fix.message,
        applicability: fix.applicability,
        edits: fix
            .edits()
            .iter()
            .map(|e| {
                let start = positions.at(&d.span.path, e.range.start());
                let end = positions.at(&d.span.path, e.range.end());
                let (start, end) = match (start, end) {
                    (Some(s), Some(t)) => (Some(s.into()), Some(t.into())),
                    _ => (None, None),
                };
                JsonEdit {
                    content: &e.content,
                    start,
                    end,
                }
            })
            .collect(),
    });
    let value = JsonDiagnostic {
        code: d.code,
        name: d.name,
        severity: d.severity,
        message: &d.message,
        file: display_path(&d.span.path),
        start: d.span.start.into(),
        end: d.span.end.into(),
        label: &d.label,
        notes: &d.notes,
        related,
        fix,
        suppressed,
    };
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Turns byte offsets of files into positions, reading each file once.
pub(crate) struct Positions<'a> {
    sources: SourceLookup<'a>,
    files: HashMap<PathBuf, Option<(String, ruff_source_file::LineIndex)>>,
}

impl<'a> Positions<'a> {
    pub(crate) fn new(sources: SourceLookup<'a>) -> Positions<'a> {
        Positions {
            sources,
            files: HashMap::new(),
        }
    }

    pub(crate) fn at(&mut self, path: &Path, offset: TextSize) -> Option<Position> {
        let sources = self.sources;
        let entry = self.files.entry(path.to_path_buf()).or_insert_with(|| {
            sources(path).map(|text| {
                let index = ruff_source_file::LineIndex::from_source_text(&text);
                (text, index)
            })
        });
        let (text, index) = entry.as_ref()?;
        if usize::from(offset) > text.len() || !text.is_char_boundary(usize::from(offset)) {
            return None;
        }
        Some(Position::of(offset, text, index))
    }
}

//! racelint diagnostics as LSP diagnostics. Each carries what a code action needs in its
//! `data` (the fix's edits, already in editor positions, and the document version they
//! apply to), so answering a code action needs no analysis.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lsp_types::{
    DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, TextEdit, Uri,
};
use racelint_diagnostics::{Applicability, Diagnostic, Severity};
use ruff_source_file::LineIndex;
use serde::{Deserialize, Serialize};

use crate::convert::{path_to_uri, Encoding, Text};

pub const SOURCE: &str = "racelint";

/// What travels in `Diagnostic.data`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiagnosticData {
    /// The document version the positions (of the diagnostic and its fix) refer to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<FixData>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FixData {
    /// What the fix does, e.g. "Wrap in `with _counter_lock:`".
    pub title: String,
    /// `safe` or `unsafe`.
    pub applicability: String,
    pub edits: Vec<TextEdit>,
}

impl FixData {
    pub fn is_safe(&self) -> bool {
        self.applicability == "safe"
    }
}

impl DiagnosticData {
    pub fn of(diagnostic: &lsp_types::Diagnostic) -> Option<DiagnosticData> {
        serde_json::from_value(diagnostic.data.clone()?).ok()
    }
}

/// A file's text as the analysis saw it, with what converting positions needs.
pub struct FileText {
    pub uri: Uri,
    pub text: Arc<str>,
    pub index: LineIndex,
    /// The document version, for open documents.
    pub version: Option<i32>,
}

impl FileText {
    pub fn new(uri: Uri, text: Arc<str>, version: Option<i32>) -> FileText {
        let index = LineIndex::from_source_text(&text);
        FileText {
            uri,
            text,
            index,
            version,
        }
    }

    pub fn at(&self, encoding: Encoding) -> Text<'_> {
        Text {
            text: &self.text,
            index: &self.index,
            encoding,
        }
    }
}

/// Texts of the files a batch of diagnostics points into, loaded once each.
pub struct Files<'a> {
    load: &'a dyn Fn(&Path) -> Option<FileText>,
    cache: HashMap<PathBuf, Option<Arc<FileText>>>,
}

impl<'a> Files<'a> {
    pub fn new(load: &'a dyn Fn(&Path) -> Option<FileText>) -> Files<'a> {
        Files {
            load,
            cache: HashMap::new(),
        }
    }

    pub fn get(&mut self, path: &Path) -> Option<Arc<FileText>> {
        if let Some(found) = self.cache.get(path) {
            return found.clone();
        }
        let loaded = (self.load)(path).map(Arc::new);
        self.cache.insert(path.to_path_buf(), loaded.clone());
        loaded
    }
}

/// Converts one diagnostic of the file `file`.
pub fn to_lsp(
    diagnostic: &Diagnostic,
    file: &FileText,
    files: &mut Files<'_>,
    encoding: Encoding,
) -> lsp_types::Diagnostic {
    let text = file.at(encoding);
    let mut message = diagnostic.message.clone();
    for note in &diagnostic.notes {
        message.push('\n');
        message.push_str(note);
    }
    let mut related = Vec::with_capacity(diagnostic.related.len());
    for r in &diagnostic.related {
        let location = if r.span.path == diagnostic.span.path {
            Some(Location {
                uri: file.uri.clone(),
                range: text.range(r.span.range),
            })
        } else {
            files.get(&r.span.path).map(|other| Location {
                uri: other.uri.clone(),
                range: other.at(encoding).range(r.span.range),
            })
        };
        if let Some(location) = location {
            related.push(DiagnosticRelatedInformation {
                location,
                message: r.message.clone(),
            });
        }
    }
    let fix = diagnostic.fix.as_ref().map(|fix| FixData {
        title: fix.message.clone(),
        applicability: match fix.applicability {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
        }
        .to_string(),
        edits: fix
            .edits()
            .iter()
            .map(|edit| TextEdit {
                range: text.range(edit.range),
                new_text: edit.content.clone(),
            })
            .collect(),
    });
    let data = DiagnosticData {
        version: file.version,
        fix,
    };
    lsp_types::Diagnostic {
        range: text.range(diagnostic.span.range),
        severity: Some(match diagnostic.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(diagnostic.code.to_string())),
        code_description: None,
        source: Some(SOURCE.to_string()),
        message,
        related_information: Some(related),
        tags: None,
        data: serde_json::to_value(&data).ok(),
    }
}

/// The URI to use for a path that is not open in the editor.
pub fn uri_for(path: &Path) -> Option<Uri> {
    path_to_uri(path)
}

/// The rule code of an LSP diagnostic, when it is one of ours.
pub fn code_of(diagnostic: &lsp_types::Diagnostic) -> Option<&str> {
    if diagnostic.source.as_deref().is_some_and(|s| s != SOURCE) {
        return None;
    }
    match &diagnostic.code {
        Some(NumberOrString::String(code)) => Some(code.as_str()),
        _ => None,
    }
}

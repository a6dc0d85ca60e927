//! Code actions: a quick fix per diagnostic from the fix carried in its `data`, a
//! "suppress with `# noqa`" action, and `source.fixAll.racelint`.

use std::collections::HashMap;

use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, OneOf,
    OptionalVersionedTextDocumentIdentifier, TextDocumentEdit, TextEdit, Uri, WorkspaceEdit,
};
use ruff_python_ast::token::TokenKind;
use ruff_python_ast::PySourceType;
use ruff_source_file::LineIndex;
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::convert::{Encoding, Text};
use crate::diagnostics::{code_of, DiagnosticData};

/// The kind of racelint's "Fix all" source action.
pub fn fix_all_kind() -> CodeActionKind {
    CodeActionKind::new("source.fixAll.racelint")
}

/// Which kinds a code-action request asks for.
#[derive(Clone, Copy, Debug)]
pub struct Wanted {
    pub quickfix: bool,
    pub fix_all: bool,
}

impl Wanted {
    /// Everything when `only` is absent; otherwise the kinds `only` names or contains
    /// (`source` and `source.fixAll` include `source.fixAll.racelint`).
    pub fn from_only(only: Option<&[CodeActionKind]>) -> Wanted {
        let Some(only) = only else {
            return Wanted {
                quickfix: true,
                fix_all: true,
            };
        };
        let covers = |kind: &str| {
            only.iter().any(|o| {
                let o = o.as_str();
                o.is_empty() || kind == o || kind.starts_with(&format!("{o}."))
            })
        };
        Wanted {
            quickfix: covers("quickfix"),
            fix_all: covers("source.fixAll.racelint"),
        }
    }
}

/// How edits are sent: versioned `documentChanges` when the client supports them (so an
/// edit computed for an older version is refused), plain `changes` otherwise.
pub fn workspace_edit(
    uri: &Uri,
    version: Option<i32>,
    edits: Vec<TextEdit>,
    document_changes: bool,
) -> WorkspaceEdit {
    if document_changes {
        WorkspaceEdit {
            changes: None,
            document_changes: Some(lsp_types::DocumentChanges::Edits(vec![TextDocumentEdit {
                text_document: OptionalVersionedTextDocumentIdentifier {
                    uri: uri.clone(),
                    version,
                },
                edits: edits.into_iter().map(OneOf::Left).collect(),
            }])),
            change_annotations: None,
        }
    } else {
        WorkspaceEdit {
            changes: Some(HashMap::from([(uri.clone(), edits)])),
            document_changes: None,
            change_annotations: None,
        }
    }
}

/// An open document as the code-action handler sees it.
pub struct DocumentView<'a> {
    pub uri: &'a Uri,
    pub version: i32,
    pub text: &'a str,
}

/// Quick fixes and suppressions for the diagnostics of a code-action request.
/// `cached` supplies `data` for diagnostics a client sent back without it.
pub fn quick_fixes(
    diagnostics: &[lsp_types::Diagnostic],
    doc: Option<&DocumentView<'_>>,
    uri: &Uri,
    cached: &[lsp_types::Diagnostic],
    unsafe_fixes: bool,
    encoding: Encoding,
    document_changes: bool,
) -> Vec<CodeActionOrCommand> {
    let mut fixes = Vec::new();
    let mut suppressions = Vec::new();
    let index = doc.map(|d| LineIndex::from_source_text(d.text));
    for diagnostic in diagnostics {
        let Some(code) = code_of(diagnostic) else {
            continue;
        };
        let data = DiagnosticData::of(diagnostic).or_else(|| {
            cached
                .iter()
                .find(|c| c.range == diagnostic.range && code_of(c) == Some(code))
                .and_then(DiagnosticData::of)
        });
        // Without versioned edits a client would apply a fix computed for an older text to
        // the new one: offer fixes only for the text they were computed for.
        let current = match (data.as_ref().and_then(|d| d.version), doc) {
            (Some(version), Some(doc)) => document_changes || version == doc.version,
            _ => document_changes,
        };
        if let Some(fix) = data.as_ref().and_then(|d| d.fix.as_ref()) {
            if current && (fix.is_safe() || unsafe_fixes) {
                let title = if fix.is_safe() {
                    fix.title.clone()
                } else {
                    format!("{} (unsafe fix)", fix.title)
                };
                fixes.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title,
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![diagnostic.clone()]),
                    edit: Some(workspace_edit(
                        uri,
                        data.as_ref().and_then(|d| d.version),
                        fix.edits.clone(),
                        document_changes,
                    )),
                    command: None,
                    is_preferred: Some(fix.is_safe()),
                    disabled: None,
                    data: None,
                }));
            }
        }
        if let (Some(doc), Some(index)) = (doc, index.as_ref()) {
            // The line is looked up in the current text: only for a current diagnostic.
            let stale = data
                .as_ref()
                .and_then(|d| d.version)
                .is_some_and(|v| v != doc.version);
            if stale || code == racelint_rules::rules::syntax_error::RULE.code {
                continue;
            }
            let text = Text {
                text: doc.text,
                index,
                encoding,
            };
            let line = diagnostic.range.start.line;
            if let Some((range, content)) = noqa_edit(doc.text, index, line, code) {
                let title = format!("Suppress {code} on this line with `# noqa: {code}`");
                if suppressions.iter().any(|a: &CodeActionOrCommand| {
                    matches!(a, CodeActionOrCommand::CodeAction(c) if c.title == title)
                }) {
                    continue;
                }
                suppressions.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title,
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![diagnostic.clone()]),
                    edit: Some(workspace_edit(
                        uri,
                        Some(doc.version),
                        vec![TextEdit {
                            range: text.range(range),
                            new_text: content,
                        }],
                        document_changes,
                    )),
                    command: None,
                    is_preferred: Some(false),
                    disabled: None,
                    data: None,
                }));
            }
        }
    }
    fixes.extend(suppressions);
    fixes
}

/// The edit that suppresses `code` on `line` (0-based): `  # noqa: CODE` at the end of the
/// line, or `, CODE` added to a `# noqa:` list already there. `None` when the line cannot
/// take a comment (it ends inside a string or with a `\` continuation), when a blanket
/// `# noqa` or the code is already there, or when the text cannot be tokenized safely.
pub fn noqa_edit(
    text: &str,
    index: &LineIndex,
    line: u32,
    code: &str,
) -> Option<(TextRange, String)> {
    let starts = index.line_starts();
    let start = starts.get(line as usize)?.to_usize();
    let next = starts
        .get(line as usize + 1)
        .map_or(text.len(), |s| s.to_usize());
    let content = text.get(start..next)?.trim_end_matches(['\n', '\r']);
    let end = start + content.len();
    if content.trim_end().ends_with('\\') {
        return None;
    }
    racelint_index::prescan(text).ok()?;
    // Tokenizing recurses on nested brackets; run it where stacks are big.
    let comment = racelint_linter::pool().install(|| {
        let parsed = ruff_python_parser::parse_unchecked_source(text, PySourceType::Python);
        let mut comment = None;
        for token in parsed.tokens().iter() {
            let range = token.range();
            let (s, e) = (range.start().to_usize(), range.end().to_usize());
            if token.kind() == TokenKind::Comment {
                if s >= start && s < end {
                    comment = Some(range);
                }
            } else if s < end && e > end {
                // A string (or other token) runs on past the end of the line.
                return Err(());
            }
        }
        Ok(comment)
    });
    let comment = comment.ok()?;
    if let Some(comment) = comment {
        let comment_text = &text[comment];
        if let Some(list) = find_noqa(comment_text) {
            let Some(list) = list else {
                // A blanket `# noqa` already suppresses everything on the line.
                return None;
            };
            if list.codes.iter().any(|c| c.eq_ignore_ascii_case(code)) {
                return None;
            }
            let at = comment.start() + TextSize::new(list.end as u32);
            let insertion = if list.codes.is_empty() {
                format!(" {code}")
            } else {
                format!(", {code}")
            };
            return Some((TextRange::empty(at), insertion));
        }
    }
    let trimmed = content.trim_end();
    let from = TextSize::new((start + trimmed.len()) as u32);
    let to = TextSize::new(end as u32);
    let separator = if trimmed.trim_start().is_empty() {
        ""
    } else {
        "  "
    };
    Some((
        TextRange::new(from, to),
        format!("{separator}# noqa: {code}"),
    ))
}

/// The codes of a `# noqa: A, B` list and where the list ends (offset in the comment).
struct NoqaList {
    codes: Vec<String>,
    end: usize,
}

/// Finds a `# noqa` directive in a comment: `Some(None)` for a blanket one, `Some(list)`
/// when a colon and codes follow.
fn find_noqa(comment: &str) -> Option<Option<NoqaList>> {
    let lower = comment.to_ascii_lowercase();
    let mut search = 0;
    while let Some(found) = lower[search..].find("noqa") {
        let at = search + found;
        search = at + 4;
        // Preceded by `#` and optional spaces.
        let before = lower[..at].trim_end_matches([' ', '\t']);
        if !before.ends_with('#') {
            continue;
        }
        let after = &comment[at + 4..];
        if after
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            continue;
        }
        let rest = after.trim_start_matches([' ', '\t']);
        let Some(list) = rest.strip_prefix(':') else {
            return Some(None);
        };
        let list_start = comment.len() - list.len();
        let mut codes = Vec::new();
        let mut end = list_start;
        let mut i = list_start;
        let bytes = comment.as_bytes();
        loop {
            while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b',') {
                i += 1;
            }
            let code_start = i;
            while i < bytes.len() && bytes[i].is_ascii_uppercase() {
                i += 1;
            }
            let letters = i - code_start;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if letters == 0 || i == code_start + letters {
                break;
            }
            codes.push(comment[code_start..i].to_string());
            end = i;
        }
        return Some(Some(NoqaList { codes, end }));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suppress(source: &str, line: u32) -> Option<String> {
        let index = LineIndex::from_source_text(source);
        let (range, content) = noqa_edit(source, &index, line, "RL101")?;
        let mut out = source.to_string();
        out.replace_range(range.start().to_usize()..range.end().to_usize(), &content);
        Some(out)
    }

    #[test]
    fn appends_a_noqa_comment() {
        assert_eq!(
            suppress("x = 1\ncounter += 1   \ny = 2\n", 1).unwrap(),
            "x = 1\ncounter += 1  # noqa: RL101\ny = 2\n"
        );
        assert_eq!(
            suppress("counter += 1  # count it\n", 0).unwrap(),
            "counter += 1  # count it  # noqa: RL101\n"
        );
        assert_eq!(
            suppress("counter += 1", 0).unwrap(),
            "counter += 1  # noqa: RL101"
        );
    }

    #[test]
    fn extends_an_existing_noqa_list() {
        assert_eq!(
            suppress("counter += 1  # noqa: RL001 (old)\n", 0).unwrap(),
            "counter += 1  # noqa: RL001, RL101 (old)\n"
        );
        assert_eq!(
            suppress("counter += 1  #NOQA:RL001,RL002\n", 0).unwrap(),
            "counter += 1  #NOQA:RL001,RL002, RL101\n"
        );
        assert!(suppress("counter += 1  # noqa: RL101\n", 0).is_none());
        assert!(suppress("counter += 1  # noqa\n", 0).is_none());
    }

    #[test]
    fn refuses_lines_that_cannot_take_a_comment() {
        assert!(suppress("s += '''a\nb'''\n", 0).is_none());
        assert!(suppress("x = 1 + \\\n    2\n", 0).is_none());
        // A `# noqa` inside a string is not a directive.
        assert_eq!(
            suppress("n += len('# noqa')\n", 0).unwrap(),
            "n += len('# noqa')  # noqa: RL101\n"
        );
    }

    #[test]
    fn wanted_kinds_follow_only() {
        let w = Wanted::from_only(Some(&[CodeActionKind::SOURCE_FIX_ALL]));
        assert!(w.fix_all && !w.quickfix);
        let w = Wanted::from_only(Some(&[CodeActionKind::QUICKFIX]));
        assert!(!w.fix_all && w.quickfix);
        let w = Wanted::from_only(Some(&[CodeActionKind::new("source.organizeImports")]));
        assert!(!w.fix_all && !w.quickfix);
        let w = Wanted::from_only(None);
        assert!(w.fix_all && w.quickfix);
    }
}

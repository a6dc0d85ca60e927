//! Hover: a rule's documentation, over a rule code in a comment (`# noqa: RL101`) or over
//! the range of one of racelint's diagnostics.

use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind, Position, Range};
use ruff_source_file::LineIndex;

use crate::convert::{Encoding, Text};
use crate::diagnostics::code_of;

/// The hover at `position` of `text`; `diagnostics` are the document's current ones.
pub fn hover(
    text: &str,
    position: Position,
    diagnostics: &[lsp_types::Diagnostic],
    encoding: Encoding,
) -> Option<Hover> {
    let index = LineIndex::from_source_text(text);
    let view = Text {
        text,
        index: &index,
        encoding,
    };
    if let Some((rule, range)) = code_in_comment(&view, position) {
        return Some(markdown(rule.page(), Some(range)));
    }
    let mut pages: Vec<&'static racelint_rules::Rule> = Vec::new();
    let mut range = None;
    for d in diagnostics {
        if !contains(&d.range, position) {
            continue;
        }
        let Some(rule) = code_of(d).and_then(racelint_rules::rule) else {
            continue;
        };
        if !pages.iter().any(|r| r.code == rule.code) {
            pages.push(rule);
            range.get_or_insert(d.range);
        }
    }
    if pages.is_empty() {
        return None;
    }
    let body = pages
        .iter()
        .map(|r| r.page())
        .collect::<Vec<_>>()
        .join("\n\n---\n\n");
    Some(markdown(body, range))
}

fn markdown(value: String, range: Option<Range>) -> Hover {
    Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value,
        }),
        range,
    }
}

/// Whether `position` lies in `range` (an empty range contains its own position).
fn contains(range: &Range, position: Position) -> bool {
    let after_start =
        (position.line, position.character) >= (range.start.line, range.start.character);
    let before_end = (position.line, position.character) <= (range.end.line, range.end.character);
    after_start && before_end
}

/// A rule code under the cursor that sits after a `#` on its line.
fn code_in_comment(
    text: &Text<'_>,
    position: Position,
) -> Option<(&'static racelint_rules::Rule, Range)> {
    let offset = text.offset(position).to_usize();
    let source = text.text;
    let line_start = source[..offset].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let start = source[..offset]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c))
        .last()
        .map_or(offset, |(i, _)| i);
    let end = source[offset..]
        .char_indices()
        .find(|(_, c)| !is_word(*c))
        .map_or(source.len(), |(i, _)| offset + i);
    if start == end || !source[line_start..start].contains('#') {
        return None;
    }
    let word = &source[start..end];
    let rule = racelint_rules::RULES
        .iter()
        .find(|r| r.code.eq_ignore_ascii_case(word))?;
    let range = Range {
        start: text.position(ruff_text_size::TextSize::new(start as u32)),
        end: text.position(ruff_text_size::TextSize::new(end as u32)),
    };
    Some((rule, range))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(h: Hover) -> String {
        match h.contents {
            HoverContents::Markup(m) => m.value,
            other => panic!("unexpected hover {other:?}"),
        }
    }

    #[test]
    fn hovers_a_code_in_a_noqa_comment() {
        let text = "x = 'é'  # noqa: RL101, RL001\n";
        // UTF-16: `RL101` starts at column 17 (the `é` is one unit).
        let h = hover(text, Position::new(0, 19), &[], Encoding::Utf16).unwrap();
        assert!(value(h.clone()).starts_with("# RL101 unlocked-read-modify-write"));
        assert_eq!(
            h.range,
            Some(Range::new(Position::new(0, 17), Position::new(0, 22)))
        );
        let h = hover(text, Position::new(0, 25), &[], Encoding::Utf16).unwrap();
        assert!(value(h).starts_with("# RL001 syntax-error"));
        // Outside a comment, a code is just a name.
        assert!(hover("RL101 = 1\n", Position::new(0, 2), &[], Encoding::Utf16).is_none());
        assert!(hover(text, Position::new(0, 1), &[], Encoding::Utf16).is_none());
    }

    #[test]
    fn hovers_a_diagnostic_range() {
        let d = lsp_types::Diagnostic {
            range: Range::new(Position::new(1, 4), Position::new(1, 16)),
            code: Some(lsp_types::NumberOrString::String("RL101".into())),
            source: Some("racelint".into()),
            message: "m".into(),
            ..Default::default()
        };
        let text = "def f():\n    counter += 1\n";
        let h = hover(
            text,
            Position::new(1, 6),
            std::slice::from_ref(&d),
            Encoding::Utf16,
        )
        .unwrap();
        assert!(value(h).contains("## Why is this bad?"));
        assert!(hover(text, Position::new(0, 1), &[d], Encoding::Utf16).is_none());
    }
}

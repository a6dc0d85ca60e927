//! Text facts a fix needs: lines, indentation, the file's line ending and indentation unit,
//! and the parts of the file (string literals) whose lines must never be re-indented.

use ruff_python_ast::token::{TokenKind, Tokens};
use ruff_text_size::{Ranged, TextRange, TextSize};

pub(crate) struct Text<'a> {
    pub src: &'a str,
    /// The file's line ending, as found on its first line break.
    pub nl: &'static str,
    /// One level of indentation, as the file's first indented block writes it.
    pub unit: String,
    /// String literals (and whole f-/t-strings) spanning several lines, sorted.
    protected: Vec<TextRange>,
}

impl<'a> Text<'a> {
    pub fn new(src: &'a str, tokens: &Tokens) -> Text<'a> {
        let nl = match src.find(['\n', '\r']) {
            Some(i) if src[i..].starts_with("\r\n") => "\r\n",
            Some(i) if src[i..].starts_with('\r') => "\r",
            _ => "\n",
        };
        let mut unit = None;
        let mut protected = Vec::new();
        let mut open: Vec<TextSize> = Vec::new();
        for token in tokens.iter() {
            match token.kind() {
                TokenKind::Indent if unit.is_none() => {
                    let text = &src[token.range()];
                    if !text.is_empty() && text.chars().all(|c| c == ' ' || c == '\t') {
                        unit = Some(text.to_string());
                    }
                }
                TokenKind::String if has_line_break(&src[token.range()]) => {
                    protected.push(token.range());
                }
                TokenKind::FStringStart | TokenKind::TStringStart => open.push(token.start()),
                TokenKind::FStringEnd | TokenKind::TStringEnd => {
                    if let Some(start) = open.pop() {
                        let range = TextRange::new(start, token.end());
                        if open.is_empty() && has_line_break(&src[range]) {
                            protected.push(range);
                        }
                    }
                }
                _ => {}
            }
        }
        protected.sort_by_key(|r| r.start());
        Text {
            src,
            nl,
            unit: unit.unwrap_or_else(|| "    ".to_string()),
            protected,
        }
    }

    pub fn len(&self) -> TextSize {
        TextSize::of(self.src)
    }

    pub fn slice(&self, range: TextRange) -> &'a str {
        &self.src[range]
    }

    /// The start of the line holding `at` (after a byte-order mark on the first line).
    pub fn line_start(&self, at: TextSize) -> TextSize {
        let at = at.min(self.len()).to_usize();
        let start = self.src[..at].rfind(['\n', '\r']).map_or(0, |i| i + 1);
        if start == 0 && self.src.starts_with('\u{feff}') {
            return TextSize::new(3).min(TextSize::try_from(at).unwrap_or_default());
        }
        TextSize::try_from(start).unwrap_or_default()
    }

    /// The end of the line holding `at`, before its line break.
    pub fn line_end(&self, at: TextSize) -> TextSize {
        let at = at.min(self.len()).to_usize();
        let end = self.src[at..]
            .find(['\n', '\r'])
            .map_or(self.src.len(), |i| at + i);
        TextSize::try_from(end).unwrap_or_default()
    }

    /// The start of the line after the one holding `at`; `None` when that line is the last
    /// and has no line break.
    pub fn next_line(&self, at: TextSize) -> Option<TextSize> {
        let end = self.line_end(at).to_usize();
        let rest = &self.src[end..];
        let brk = if rest.starts_with("\r\n") {
            2
        } else if rest.starts_with(['\n', '\r']) {
            1
        } else {
            return None;
        };
        TextSize::try_from(end + brk).ok()
    }

    /// The leading whitespace of the line holding `at`.
    pub fn indentation(&self, at: TextSize) -> &'a str {
        let start = self.line_start(at).to_usize();
        let line = &self.src[start..self.line_end(at).to_usize()];
        let n = line.len() - line.trim_start_matches([' ', '\t', '\x0c']).len();
        &line[..n]
    }

    /// Whether only whitespace stands between the start of its line and `at`.
    pub fn starts_line(&self, at: TextSize) -> bool {
        let start = self.line_start(at);
        self.src[TextRange::new(start, at.max(start))]
            .chars()
            .all(|c| matches!(c, ' ' | '\t' | '\x0c'))
    }

    /// Whether the line starting at `start` holds only whitespace.
    pub fn is_blank_line(&self, start: TextSize) -> bool {
        self.src[TextRange::new(start, self.line_end(start))]
            .trim()
            .is_empty()
    }

    /// Whether the line starting at `start` holds only a comment.
    pub fn is_comment_line(&self, start: TextSize) -> bool {
        self.src[TextRange::new(start, self.line_end(start))]
            .trim_start()
            .starts_with('#')
    }

    pub fn has_line_break(&self, range: TextRange) -> bool {
        has_line_break(&self.src[range])
    }

    fn is_protected(&self, at: TextSize) -> bool {
        self.protected
            .iter()
            .take_while(|r| r.start() < at)
            .any(|r| at < r.end())
    }

    /// The text of `range` with `unit` added in front of each of its lines after the first,
    /// except blank lines and lines that start inside a string literal.
    pub fn reindent(&self, range: TextRange) -> String {
        let text = &self.src[range];
        let base = range.start().to_usize();
        let mut out = String::with_capacity(text.len() + 16);
        let mut rest = 0;
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'\n' || b == b'\r' {
                let mut next = i + 1;
                if b == b'\r' && bytes.get(next) == Some(&b'\n') {
                    next += 1;
                }
                out.push_str(&text[rest..next]);
                rest = next;
                let at = TextSize::try_from(base + next).unwrap_or_default();
                let line_end = self.line_end(at).to_usize().min(base + text.len());
                let blank = self.src[base + next..line_end].trim().is_empty();
                if next < text.len() && !blank && !self.is_protected(at) {
                    out.push_str(&self.unit);
                }
                i = next;
            } else {
                i += 1;
            }
        }
        out.push_str(&text[rest..]);
        out
    }
}

fn has_line_break(text: &str) -> bool {
    text.contains(['\n', '\r'])
}

/// Whether `name` is a Python identifier (ASCII letters, digits, `_`, or any non-ASCII
/// letter; not starting with a digit).
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

/// Whether `text` is a dotted name such as `self._lock` or `mod.LOCK`.
pub(crate) fn is_dotted_name(text: &str) -> bool {
    !text.is_empty() && text.split('.').all(is_identifier)
}

/// Whether `word` occurs in `text` as a whole identifier.
pub(crate) fn contains_word(text: &str, word: &str) -> bool {
    let is_ident = |c: char| c == '_' || c.is_alphanumeric();
    let mut from = 0;
    while let Some(i) = text[from..].find(word) {
        let at = from + i;
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        if !before.is_some_and(is_ident) && !after.is_some_and(is_ident) {
            return true;
        }
        from = at + word.len();
    }
    false
}

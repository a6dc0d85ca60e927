//! Conversions between racelint's world (paths, byte offsets) and the editor's (URIs,
//! line/character positions in the negotiated encoding).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use lsp_types::{Position, Range, Uri};
use ruff_source_file::{LineIndex, PositionEncoding};
use ruff_text_size::{TextRange, TextSize};

/// How `Position.character` counts: UTF-16 code units (the LSP default) or bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf16,
    Utf8,
}

impl Encoding {
    fn ruff(self) -> PositionEncoding {
        match self {
            Encoding::Utf16 => PositionEncoding::Utf16,
            Encoding::Utf8 => PositionEncoding::Utf8,
        }
    }

    /// UTF-8 when the client offers it, UTF-16 otherwise.
    pub fn negotiate(offered: Option<&[lsp_types::PositionEncodingKind]>) -> Encoding {
        match offered {
            Some(kinds) if kinds.contains(&lsp_types::PositionEncodingKind::UTF8) => Encoding::Utf8,
            _ => Encoding::Utf16,
        }
    }

    pub fn kind(self) -> lsp_types::PositionEncodingKind {
        match self {
            Encoding::Utf16 => lsp_types::PositionEncodingKind::UTF16,
            Encoding::Utf8 => lsp_types::PositionEncodingKind::UTF8,
        }
    }
}

/// A text and its line index, for converting many offsets.
pub struct Text<'a> {
    pub text: &'a str,
    pub index: &'a LineIndex,
    pub encoding: Encoding,
}

impl Text<'_> {
    /// The editor position of a byte offset (clamped to the text and to a char boundary).
    pub fn position(&self, offset: TextSize) -> Position {
        let mut at = offset.to_usize().min(self.text.len());
        while !self.text.is_char_boundary(at) {
            at -= 1;
        }
        let location =
            self.index
                .source_location(TextSize::new(at as u32), self.text, self.encoding.ruff());
        Position {
            line: u32::try_from(location.line.to_zero_indexed()).unwrap_or(u32::MAX),
            character: u32::try_from(location.character_offset.to_zero_indexed())
                .unwrap_or(u32::MAX),
        }
    }

    pub fn range(&self, range: TextRange) -> Range {
        Range {
            start: self.position(range.start()),
            end: self.position(range.end()),
        }
    }

    /// The byte offset of an editor position. Positions past the end of a line mean its end
    /// (before the line break); lines past the end of the text mean its end; a position
    /// inside a character means the character's start.
    pub fn offset(&self, position: Position) -> TextSize {
        let starts = self.index.line_starts();
        let line = position.line as usize;
        let len = self.text.len();
        if line >= starts.len() {
            return TextSize::new(len as u32);
        }
        let start = starts[line].to_usize().min(len);
        let next = starts.get(line + 1).map_or(len, |s| s.to_usize().min(len));
        let content = self.text[start..next].trim_end_matches(['\n', '\r']);
        let wanted = position.character as usize;
        let mut units = 0usize;
        let mut bytes = 0usize;
        for c in content.chars() {
            let width = match self.encoding {
                Encoding::Utf16 => c.len_utf16(),
                Encoding::Utf8 => c.len_utf8(),
            };
            if units + width > wanted {
                break;
            }
            units += width;
            bytes += c.len_utf8();
        }
        TextSize::new((start + bytes) as u32)
    }

    pub fn text_range(&self, range: Range) -> TextRange {
        let start = self.offset(range.start);
        let end = self.offset(range.end).max(start);
        TextRange::new(start, end)
    }
}

/// Applies one `didChange` content change to a text.
pub fn apply_change(
    text: &mut String,
    change: &lsp_types::TextDocumentContentChangeEvent,
    encoding: Encoding,
) {
    match change.range {
        None => *text = change.text.clone(),
        Some(range) => {
            let index = LineIndex::from_source_text(text);
            let target = Text {
                text,
                index: &index,
                encoding,
            }
            .text_range(range);
            text.replace_range(
                target.start().to_usize()..target.end().to_usize(),
                &change.text,
            );
        }
    }
}

/// The path of a `file:` URI; `None` for other schemes and URIs that name no local file.
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    let text = uri.as_str();
    let rest = text
        .strip_prefix("file://")
        .or_else(|| text.strip_prefix("FILE://"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => return None,
    };
    if !(authority.is_empty() || authority.eq_ignore_ascii_case("localhost")) {
        return None;
    }
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let bytes = percent_decode(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        Some(PathBuf::from(std::ffi::OsString::from_vec(bytes)))
    }
    #[cfg(not(unix))]
    {
        let decoded = String::from_utf8(bytes).ok()?;
        // `/C:/dir/file.py` names `C:/dir/file.py`.
        let trimmed = match decoded.as_bytes() {
            [b'/', drive, b':', ..] if drive.is_ascii_alphabetic() => decoded[1..].to_string(),
            _ => decoded,
        };
        Some(PathBuf::from(trimmed))
    }
}

/// The `file:` URI of a path.
pub fn path_to_uri(path: &Path) -> Option<Uri> {
    let absolute = std::path::absolute(path).ok()?;
    #[cfg(unix)]
    let bytes = {
        use std::os::unix::ffi::OsStrExt;
        absolute.as_os_str().as_bytes().to_vec()
    };
    #[cfg(not(unix))]
    let bytes = {
        let s = absolute.to_string_lossy().replace('\\', "/");
        if s.starts_with('/') {
            s.into_bytes()
        } else {
            format!("/{s}").into_bytes()
        }
    };
    let mut uri = String::from("file://");
    for b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~') {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    Uri::from_str(&uri).ok()
}

fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(source: &str, encoding: Encoding) -> (String, LineIndex, Encoding) {
        (
            source.to_string(),
            LineIndex::from_source_text(source),
            encoding,
        )
    }

    #[test]
    fn positions_on_a_non_ascii_line_follow_the_encoding() {
        // `é` is 2 bytes / 1 UTF-16 unit; `😀` is 4 bytes / 2 UTF-16 units.
        let source = "x = 1\ns = 'é😀'; counter += 1\n";
        let offset = source.find("counter").unwrap() as u32;
        for (encoding, character) in [(Encoding::Utf16, 11), (Encoding::Utf8, 14)] {
            let (t, index, enc) = text_of(source, encoding);
            let text = Text {
                text: &t,
                index: &index,
                encoding: enc,
            };
            let position = text.position(TextSize::new(offset));
            assert_eq!(position, Position::new(1, character), "{encoding:?}");
            assert_eq!(text.offset(position), TextSize::new(offset), "{encoding:?}");
        }
    }

    #[test]
    fn offsets_clamp_to_lines_and_characters() {
        let (t, index, enc) = text_of("ab\r\né\n", Encoding::Utf16);
        let text = Text {
            text: &t,
            index: &index,
            encoding: enc,
        };
        assert_eq!(text.offset(Position::new(0, 99)), TextSize::new(2));
        assert_eq!(text.offset(Position::new(9, 0)), TextSize::new(7));
        let (t, index, _) = text_of("é\n", Encoding::Utf8);
        let text = Text {
            text: &t,
            index: &index,
            encoding: Encoding::Utf8,
        };
        // Inside the two bytes of `é`: its start.
        assert_eq!(text.offset(Position::new(0, 1)), TextSize::new(0));
        assert_eq!(text.position(TextSize::new(1)), Position::new(0, 0));
    }

    #[test]
    fn applies_incremental_changes_in_utf16() {
        let mut text = String::from("s = 'é😀'\nx = 1\n");
        let change = lsp_types::TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(0, 6), Position::new(0, 8))),
            range_length: None,
            text: "!".into(),
        };
        apply_change(&mut text, &change, Encoding::Utf16);
        assert_eq!(text, "s = 'é!'\nx = 1\n");
    }

    #[test]
    fn file_uris_round_trip() {
        let uri = Uri::from_str("file:///tmp/a%20b/caf%C3%A9.py").unwrap();
        let path = uri_to_path(&uri).unwrap();
        assert_eq!(path, PathBuf::from("/tmp/a b/café.py"));
        assert_eq!(path_to_uri(&path).unwrap().as_str(), uri.as_str());
        assert!(uri_to_path(&Uri::from_str("untitled:Untitled-1").unwrap()).is_none());
        assert_eq!(
            uri_to_path(&Uri::from_str("file://localhost/x.py").unwrap()),
            Some(PathBuf::from("/x.py"))
        );
    }
}

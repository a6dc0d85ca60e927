//! Reading Python source files: UTF-8 (with or without BOM), or latin-1 when the file
//! declares it in a coding comment, as PEP 263 allows.

use std::path::Path;

use racelint_index::{InputProblem, MAX_FILE_BYTES};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Latin1,
}

#[derive(Clone, Debug)]
pub struct SourceText {
    pub text: String,
    pub encoding: Encoding,
}

impl SourceText {
    /// Encodes text back to the file's encoding (for writing fixes). `None` when a character
    /// cannot be represented.
    pub fn encode(&self, text: &str) -> Option<Vec<u8>> {
        match self.encoding {
            Encoding::Utf8 => Some(text.as_bytes().to_vec()),
            Encoding::Latin1 => text
                .chars()
                .map(|c| u8::try_from(u32::from(c)).ok())
                .collect(),
        }
    }
}

/// Reads a source file. On failure returns the problem and a lossy text to point into.
pub fn read_source(path: &Path) -> Result<SourceText, (InputProblem, String)> {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if size > MAX_FILE_BYTES as u64 {
        return Err((
            InputProblem::TooLarge {
                bytes: size as usize,
            },
            String::new(),
        ));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| (InputProblem::Unreadable(e.to_string()), String::new()))?;
    decode(bytes)
}

/// The text of a file to point into and show: decoded, or lossy when it cannot be decoded.
pub fn display_text(path: &Path) -> Option<String> {
    match read_source(path) {
        Ok(source) => Some(source.text),
        Err((_, lossy)) if !lossy.is_empty() => Some(lossy),
        Err(_) => None,
    }
}

/// Decodes the bytes of a source file.
pub fn decode(bytes: Vec<u8>) -> Result<SourceText, (InputProblem, String)> {
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SourceText {
            text,
            encoding: Encoding::Utf8,
        }),
        Err(err) => {
            let offset = err.utf8_error().valid_up_to();
            let bytes = err.into_bytes();
            if declares_latin1(&bytes) {
                return Ok(SourceText {
                    text: bytes.iter().map(|&b| char::from(b)).collect(),
                    encoding: Encoding::Latin1,
                });
            }
            let lossy = String::from_utf8_lossy(&bytes).into_owned();
            // Point at the same place in the lossy text.
            let lossy_offset = String::from_utf8_lossy(&bytes[..offset]).len();
            Err((
                InputProblem::NotUtf8 {
                    offset: lossy_offset,
                },
                lossy,
            ))
        }
    }
}

/// Whether one of the first two lines is a PEP 263 coding comment naming latin-1.
fn declares_latin1(bytes: &[u8]) -> bool {
    bytes
        .split(|&b| b == b'\n')
        .take(2)
        .filter_map(|line| std::str::from_utf8(line).ok())
        .filter(|line| line.trim_start().starts_with('#'))
        .filter_map(|line| {
            let at = line.find("coding")?;
            let rest = line[at + 6..].trim_start_matches([':', '=']).trim_start();
            Some(
                rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                    .next()?
                    .to_ascii_lowercase(),
            )
        })
        .any(|enc| {
            matches!(
                enc.as_str(),
                "latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "l1" | "iso-latin-1"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_utf8_and_declared_latin1() {
        assert_eq!(
            decode(b"x = 1\n".to_vec()).unwrap().encoding,
            Encoding::Utf8
        );
        let latin = b"# -*- coding: latin-1 -*-\ns = '\xe9'\n".to_vec();
        let decoded = decode(latin).unwrap();
        assert_eq!(decoded.encoding, Encoding::Latin1);
        assert!(decoded.text.contains('\u{e9}'));
        assert_eq!(decoded.encode(&decoded.text).unwrap()[..2], *b"# ");
    }

    #[test]
    fn reports_invalid_utf8_with_an_offset() {
        let (problem, lossy) = decode(b"x = 1\ny = '\xff'\n".to_vec()).unwrap_err();
        assert_eq!(problem, InputProblem::NotUtf8 { offset: 11 });
        assert!(lossy.starts_with("x = 1\n"));
    }
}

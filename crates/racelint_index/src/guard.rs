//! Cheap checks made before parsing, so that pathological input becomes a diagnostic instead
//! of exhausting the stack or the memory of the parser (which recurses without a limit).

use std::fmt;

/// Files larger than this are reported and skipped.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

/// Brackets nested deeper than this are reported and the file skipped. CPython itself refuses
/// more than 200 nested parentheses, so no valid program is lost.
pub const MAX_NESTING: usize = 200;

/// Longest chain of prefix operators (`not not ...`, `- - ...`) accepted.
const MAX_PREFIX_CHAIN: usize = 1_000;

/// Most binary operators accepted in one logical line (each adds a level to the tree).
const MAX_OPERATORS_PER_LINE: usize = 20_000;

/// Why a file was not analysed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputProblem {
    NotUtf8 { offset: usize },
    TooLarge { bytes: usize },
    TooDeep { offset: usize, what: &'static str },
    Unreadable(String),
}

impl InputProblem {
    /// The byte offset the problem points at, where there is one.
    pub fn offset(&self) -> usize {
        match self {
            InputProblem::NotUtf8 { offset } | InputProblem::TooDeep { offset, .. } => *offset,
            _ => 0,
        }
    }
}

impl fmt::Display for InputProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputProblem::NotUtf8 { offset } => {
                write!(f, "file is not valid UTF-8 (first invalid byte at offset {offset}); it was not analysed")
            }
            InputProblem::TooLarge { bytes } => write!(
                f,
                "file is {bytes} bytes, over the limit of {MAX_FILE_BYTES} bytes; it was not analysed"
            ),
            InputProblem::TooDeep { what, .. } => {
                write!(f, "file is too deeply nested to analyse ({what}); it was not analysed")
            }
            InputProblem::Unreadable(err) => write!(f, "file could not be read: {err}"),
        }
    }
}

/// Checks a decoded source for nesting the parser could not survive.
pub fn prescan(source: &str) -> Result<(), InputProblem> {
    if source.len() > MAX_FILE_BYTES {
        return Err(InputProblem::TooLarge {
            bytes: source.len(),
        });
    }
    let bytes = source.as_bytes();
    let mut depth = 0usize;
    let mut prefix_chain = 0usize;
    let mut operators = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'#' => {
                i = memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |at| i + at);
                continue;
            }
            b'\'' | b'"' => {
                i = skip_string(bytes, i);
                prefix_chain = 0;
                continue;
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(InputProblem::TooDeep {
                        offset: i,
                        what: "more than 200 nested brackets",
                    });
                }
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                prefix_chain = 0;
            }
            b'-' | b'+' | b'~' | b'*' | b'/' | b'%' | b'|' | b'&' | b'^' | b'@' => {
                operators += 1;
                if matches!(c, b'-' | b'+' | b'~') {
                    prefix_chain += 1;
                }
                check(prefix_chain, operators, i)?;
            }
            b'\n' => {
                if depth == 0 && !ends_with_continuation(bytes, i) {
                    operators = 0;
                }
            }
            b' ' => {
                // Indentation and spacing come in runs.
                while i < bytes.len() && bytes[i] == b' ' {
                    i += 1;
                }
                continue;
            }
            b'\t' | b'\r' | b'\\' => {}
            _ if is_word_byte(c) => {
                let start = i;
                while i < bytes.len() && is_word_byte(bytes[i]) {
                    i += 1;
                }
                match &bytes[start..i] {
                    b"not" | b"await" | b"lambda" => {
                        prefix_chain += 1;
                        check(prefix_chain, operators, start)?;
                    }
                    b"and" | b"or" | b"if" | b"else" => {
                        operators += 1;
                        prefix_chain = 0;
                        check(prefix_chain, operators, start)?;
                    }
                    // A string prefix such as r"", b'', f"": the string follows.
                    word if word.len() <= 3 && matches!(bytes.get(i), Some(b'\'' | b'"')) => {}
                    _ => prefix_chain = 0,
                }
                continue;
            }
            _ => prefix_chain = 0,
        }
        i += 1;
    }
    Ok(())
}

/// Letters, digits, `_` and any byte of a non-ASCII character: the bytes of a name.
#[inline]
fn is_word_byte(c: u8) -> bool {
    WORD_BYTES[c as usize]
}

const WORD_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
        c += 1;
    }
    table
};

fn check(prefix_chain: usize, operators: usize, offset: usize) -> Result<(), InputProblem> {
    if prefix_chain > MAX_PREFIX_CHAIN {
        return Err(InputProblem::TooDeep {
            offset,
            what: "a chain of more than 1000 prefix operators",
        });
    }
    if operators > MAX_OPERATORS_PER_LINE {
        return Err(InputProblem::TooDeep {
            offset,
            what: "more than 20000 operators in one statement",
        });
    }
    Ok(())
}

fn ends_with_continuation(bytes: &[u8], newline: usize) -> bool {
    let mut j = newline;
    while j > 0 && (bytes[j - 1] == b'\r' || bytes[j - 1] == b' ' || bytes[j - 1] == b'\t') {
        j -= 1;
    }
    j > 0 && bytes[j - 1] == b'\\'
}

/// Returns the offset just after the string literal starting at `start`.
fn skip_string(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let triple = bytes.len() >= start + 3 && bytes[start + 1] == quote && bytes[start + 2] == quote;
    let mut i = start + if triple { 3 } else { 1 };
    loop {
        // Jump to the next byte that can end the string or escape one that would.
        let rest = &bytes[i.min(bytes.len())..];
        let next = if triple {
            memchr::memchr2(quote, b'\\', rest)
        } else {
            memchr::memchr3(quote, b'\\', b'\n', rest)
        };
        let Some(at) = next else {
            return bytes.len();
        };
        i += at;
        let c = bytes[i];
        if c == b'\\' {
            i += 2;
            continue;
        }
        if c == b'\n' {
            return i; // unterminated single-line string: the parser reports it
        }
        if !triple {
            return i + 1;
        }
        if bytes.get(i + 1) == Some(&quote) && bytes.get(i + 2) == Some(&quote) {
            return i + 3;
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_code() {
        assert_eq!(
            prescan("x = (1 + [2, {3: '(((('}])\n# ((((\ny = -1\n"),
            Ok(())
        );
    }

    #[test]
    fn rejects_deep_brackets() {
        let src = format!("x = {}1{}\n", "(".repeat(50_000), ")".repeat(50_000));
        assert!(matches!(prescan(&src), Err(InputProblem::TooDeep { .. })));
    }

    #[test]
    fn rejects_long_prefix_chains() {
        let src = format!("x = {}1\n", "not ".repeat(5_000));
        assert!(matches!(prescan(&src), Err(InputProblem::TooDeep { .. })));
        let src = format!("x = {}1\n", "-".repeat(5_000));
        assert!(matches!(prescan(&src), Err(InputProblem::TooDeep { .. })));
    }

    #[test]
    fn rejects_giant_operator_chains_but_resets_per_line() {
        let long = format!("x = 1{}\n", " + 1".repeat(30_000));
        assert!(prescan(&long).is_err());
        let many_lines = "x = 1 + 1\n".repeat(30_000);
        assert_eq!(prescan(&many_lines), Ok(()));
    }
}

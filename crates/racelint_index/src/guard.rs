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
///
/// The answer is always the one [`exact_scan`] gives, but most files are settled by the much
/// cheaper [`quick_scan`]: only when that one cannot be sure does the exact walk run.
pub fn prescan(source: &str) -> Result<(), InputProblem> {
    if source.len() > MAX_FILE_BYTES {
        return Err(InputProblem::TooLarge {
            bytes: source.len(),
        });
    }
    let bytes = source.as_bytes();
    quick_scan(bytes).unwrap_or_else(|| exact_scan(bytes))
}

/// How far [`quick_scan`]'s bound on the operators of a logical line may fall behind before
/// it looks for a line end that resets it.
const OPS_SLACK: usize = 1024;

/// [`exact_scan`] with its two counters replaced by upper bounds, so that it only has to
/// stop at quotes, `#` and brackets, and can pass over everything else (names, numbers,
/// spaces, operators, line ends) eight bytes at a time.
///
/// Strings, comments and the bracket depth are followed exactly as the exact walk follows
/// them. The tokens in between are not looked at, but every prefix operator and every
/// counted operator is a token that starts at a byte of its own, outside strings and
/// comments. So since a counter was last reset, it has grown by at most the number of such
/// bytes:
/// - `at - ops_from` bounds the operators of the logical line. `ops_from` is just after a
///   line end outside brackets, where the exact walk resets that counter, moved forward by
///   the length of every string or comment passed since. Line ends are not looked at one by
///   one: once `ops_from` lags `OPS_SLACK` bytes behind, [`later_ops_reset`] finds a recent
///   one.
/// - `at - chain_from` bounds the chain of prefix operators. `chain_from` is just after the
///   last closing bracket or string, both of which reset the chain in the exact walk. Where
///   that is too coarse, [`chain_stays_short`] looks closer.
///
/// A bound only grows until it is moved to a later reset, so checking it just before that,
/// before reporting a bracket and at the end covers every point where the exact walk
/// checks the counter.
///
/// Returns `None` when a bound could exceed its limit: only the exact walk can tell then.
fn quick_scan(bytes: &[u8]) -> Option<Result<(), InputProblem>> {
    let mut depth = 0usize;
    let mut chain_from = 0usize;
    let mut ops_from = 0usize;
    // Where the last bracket, string or comment ended: between there and the candidate at
    // hand there is only plain code, at the current depth.
    let mut plain_from = 0usize;
    // The eight bytes from `chunk`, and the candidates among them not yet handled.
    let mut chunk = 0;
    let mut word = load8(bytes, chunk);
    let mut found = candidates(word);
    loop {
        while found == 0 {
            // Two groups of eight a round where there is room, which halves the bookkeeping.
            if let Some(sixteen) = bytes.get(chunk + 8..chunk + 24) {
                word = u64::from_le_bytes(sixteen[..8].try_into().unwrap());
                found = candidates(word);
                chunk += 8;
                if found != 0 {
                    break;
                }
                word = u64::from_le_bytes(sixteen[8..].try_into().unwrap());
                found = candidates(word);
                chunk += 8;
                continue;
            }
            chunk += 8;
            if chunk >= bytes.len() {
                let end = bytes.len();
                if depth == 0 && end - ops_from > OPS_SLACK {
                    ops_from = later_ops_reset(bytes, plain_from, end, ops_from)?;
                }
                if end - ops_from > MAX_OPERATORS_PER_LINE {
                    return None;
                }
                if end - chain_from > MAX_PREFIX_CHAIN && !chain_stays_short(bytes, chain_from, end)
                {
                    return None;
                }
                return Some(Ok(()));
            }
            word = load8(bytes, chunk);
            found = candidates(word);
        }
        // Each candidate is marked by the high bit of its byte.
        let mark = found.trailing_zeros();
        found &= found - 1;
        let at = chunk + (mark / 8) as usize;
        // (Closing brackets do not catch up: they come at depth 0 only in broken code.)
        let lagging = depth == 0 && at - ops_from > OPS_SLACK;
        match (word >> (mark & !7)) as u8 {
            b'(' | b'[' | b'{' => {
                if lagging {
                    ops_from = later_ops_reset(bytes, plain_from, at, ops_from)?;
                }
                depth += 1;
                if depth > MAX_NESTING {
                    // The exact walk stops here too, unless a counter went over before.
                    if at - ops_from > MAX_OPERATORS_PER_LINE {
                        return None;
                    }
                    if at - chain_from > MAX_PREFIX_CHAIN
                        && !chain_stays_short(bytes, chain_from, at)
                    {
                        return None;
                    }
                    return Some(Err(too_many_brackets(at)));
                }
                plain_from = at + 1;
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                if at - chain_from > MAX_PREFIX_CHAIN && !chain_stays_short(bytes, chain_from, at) {
                    return None;
                }
                chain_from = at + 1;
                plain_from = at + 1;
            }
            b'\'' | b'"' => {
                if lagging {
                    ops_from = later_ops_reset(bytes, plain_from, at, ops_from)?;
                }
                if at - chain_from > MAX_PREFIX_CHAIN && !chain_stays_short(bytes, chain_from, at) {
                    return None;
                }
                chunk = skip_string(bytes, at);
                chain_from = chunk;
                // Strings hold no operators, nor do comments below.
                ops_from += chunk - at;
                plain_from = chunk;
                word = load8(bytes, chunk);
                found = candidates(word);
            }
            b'#' => {
                if lagging {
                    ops_from = later_ops_reset(bytes, plain_from, at, ops_from)?;
                }
                chunk = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |n| at + n);
                ops_from += chunk - at;
                plain_from = chunk;
                word = load8(bytes, chunk);
                found = candidates(word);
            }
            // A tab or one of the other rare bytes `candidates` also marks.
            _ => {}
        }
    }
}

/// For [`quick_scan`] at depth 0, at `at`, with plain code since `from`: returns `ops_from`
/// moved to just after the last line end in there that resets the count of operators, if
/// there is one, or `None` if the bound does not hold up to that line end. The line ends
/// of plain code are real ones (not in a string or comment), at the same depth, 0.
#[cold]
#[inline(never)]
fn later_ops_reset(bytes: &[u8], from: usize, at: usize, ops_from: usize) -> Option<usize> {
    match memchr::memrchr(b'\n', &bytes[from..at]) {
        Some(n) if !ends_with_continuation(bytes, from + n) => {
            let line_end = from + n;
            if line_end - ops_from > MAX_OPERATORS_PER_LINE {
                return None;
            }
            Some(line_end + 1)
        }
        _ => Some(ops_from),
    }
}

/// Whether the chain of prefix operators stays within its limit from `from`, where the
/// exact walk resets it, to `to`, with no string or closing bracket in between: so every
/// line end there is a real one, and a `#` at the start of a line begins a comment. The
/// chain is also reset by a word that begins a line, unless that is `not`, `await` or
/// `lambda`. (A string prefix such as `rb` does not reset it, but the string right after it
/// does, with nothing in between.) Between two resets the chain grows by at most the number
/// of bytes outside comment lines.
#[cold]
#[inline(never)]
fn chain_stays_short(bytes: &[u8], from: usize, to: usize) -> bool {
    let mut reset = from;
    let mut comments = 0; // bytes of comment lines since `reset`
    for line_end in memchr::memchr_iter(b'\n', &bytes[from..to]) {
        let first = skip_spaces(bytes, from + line_end + 1);
        let rest = &bytes[first.min(to)..to];
        let word_len = rest
            .iter()
            .position(|&c| !is_word_byte(c))
            .unwrap_or(rest.len());
        if word_len > 0 && !matches!(&rest[..word_len], b"not" | b"await" | b"lambda") {
            if first - reset - comments > MAX_PREFIX_CHAIN {
                return false;
            }
            reset = first;
            comments = 0;
        } else if rest.first() == Some(&b'#') {
            comments += memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        }
    }
    to - reset - comments <= MAX_PREFIX_CHAIN
}

/// Eight copies of a byte, one in each byte of a `u64`.
const fn splat(byte: u8) -> u64 {
    byte as u64 * 0x0101_0101_0101_0101
}

/// The eight bytes at `from` as a little-endian `u64`, padded with spaces (which are never
/// candidates) past the end.
#[inline]
fn load8(bytes: &[u8], from: usize) -> u64 {
    match bytes.get(from..from + 8) {
        Some(eight) => u64::from_le_bytes(eight.try_into().unwrap()),
        None => {
            let mut padded = [b' '; 8];
            let rest = bytes.get(from..).unwrap_or_default();
            padded[..rest.len()].copy_from_slice(rest);
            u64::from_le_bytes(padded)
        }
    }
}

/// Sets the high bit of each byte of `word` that [`quick_scan`] has to look at, and clears
/// every other bit. Those are quotes, `#` and brackets, and also a few bytes that are rare
/// outside strings and comments: `$`, `%`, `&`, `\`, `|`, control characters from 0x02 to
/// 0x09 (the tab among them), and some bytes from 0x80 up. Spaces, line ends, letters,
/// digits and all other punctuation are never marked.
#[inline]
fn candidates(word: u64) -> u64 {
    // Clearing bits 0x80 and 0x20 of each byte leaves `"#$%&'()` as 0x02 to 0x09 and
    // `[\]{|}` as 0x5B to 0x5D: two ranges. After that, adding up to 0x7E to a byte cannot
    // carry into the next one, so a range test is done in all eight bytes at once, and the
    // high bit of each sum tells whether that byte is past a bound.
    let folded = word & splat(0x5f);
    let in_range = |low: u8, high: u8| {
        // At least `low`, and (without borrowing, as `folded <= 0x5F`) at most `high`.
        (folded + splat(0x80 - low)) & (splat(0x80 + high) - folded)
    };
    (in_range(0x02, 0x09) | in_range(0x5b, 0x5d)) & splat(0x80)
}

/// The end of the run of spaces starting at `from`.
fn skip_spaces(bytes: &[u8], mut from: usize) -> usize {
    while let Some(eight) = bytes.get(from..from + 8) {
        let not_spaces = u64::from_le_bytes(eight.try_into().unwrap()) ^ splat(b' ');
        if not_spaces != 0 {
            return from + (not_spaces.trailing_zeros() / 8) as usize;
        }
        from += 8;
    }
    while bytes.get(from) == Some(&b' ') {
        from += 1;
    }
    from
}

fn too_many_brackets(offset: usize) -> InputProblem {
    InputProblem::TooDeep {
        offset,
        what: "more than 200 nested brackets",
    }
}

/// The definition of what [`prescan`] accepts: a walk over the tokens that counts bracket
/// depth, the current chain of prefix operators and the operators of the current logical
/// line, skipping comments and strings.
fn exact_scan(bytes: &[u8]) -> Result<(), InputProblem> {
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
                    return Err(too_many_brackets(i));
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
    // One copy for each quote, so that the byte patterns below are constants.
    match bytes[start] {
        b'"' => skip_quoted::<b'"'>(bytes, start),
        _ => skip_quoted::<b'\''>(bytes, start),
    }
}

/// [`skip_string`] for a string quoted with `QUOTE`.
fn skip_quoted<const QUOTE: u8>(bytes: &[u8], start: usize) -> usize {
    let triple = bytes.len() >= start + 3 && bytes[start + 1] == QUOTE && bytes[start + 2] == QUOTE;
    let mut i = start + if triple { 3 } else { 1 };
    // Only a one-line string ends at a line end; a triple-quoted one looks for its quote twice.
    let line_end = if triple { QUOTE } else { b'\n' };
    loop {
        // Jump to the next byte that can end the string or escape one that would.
        let Some(at) = find_string_stop::<QUOTE>(bytes, i, line_end) else {
            return bytes.len();
        };
        i = at;
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
        if bytes.get(i + 1) == Some(&QUOTE) && bytes.get(i + 2) == Some(&QUOTE) {
            return i + 3;
        }
        i += 1;
    }
}

/// The first `QUOTE`, backslash or `line_end` at or after `from`. Most strings are short, so
/// the first 16 bytes are looked at here, eight at a time, before `memchr3` takes over (its
/// setup costs more than a short string does).
#[inline]
fn find_string_stop<const QUOTE: u8>(bytes: &[u8], from: usize, line_end: u8) -> Option<usize> {
    let line_ends = if line_end == b'\n' {
        splat(b'\n')
    } else {
        splat(QUOTE)
    };
    let mut i = from;
    for _ in 0..2 {
        let Some(eight) = bytes.get(i..i + 8) else {
            break;
        };
        let word = u64::from_le_bytes(eight.try_into().unwrap());
        let stops = zero_bytes(word ^ splat(QUOTE))
            | zero_bytes(word ^ splat(b'\\'))
            | zero_bytes(word ^ line_ends);
        if stops != 0 {
            return Some(i + (stops.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    memchr::memchr3(QUOTE, b'\\', line_end, bytes.get(i..).unwrap_or_default()).map(|n| i + n)
}

/// Sets the high bit of the lowest zero byte of `word` (and perhaps of some bytes above it,
/// where the subtraction borrowed), and of no byte below it.
#[inline]
fn zero_bytes(word: u64) -> u64 {
    word.wrapping_sub(splat(1)) & !word & splat(0x80)
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
    fn candidates_marks_the_bytes_quick_scan_needs_and_few_others() {
        let marked = |byte: u8| candidates(u64::from(byte)) != 0;
        for byte in 0..=255u8 {
            if b"\"'#()[]{}".contains(&byte) {
                assert!(marked(byte), "{byte:#x}");
            }
            if byte.is_ascii_alphanumeric() || b" \n\r_.,:;=+-*/<>!?@^~`".contains(&byte) {
                assert!(!marked(byte), "{byte:#x}");
            }
            // Each byte is judged alone, whatever its neighbours.
            for lane in 0..8 {
                for neighbour in [b' ', b'a', b'(', 0x00, 0x7f, 0xff] {
                    let word =
                        splat(neighbour) & !(0xff << (8 * lane)) | u64::from(byte) << (8 * lane);
                    let expected = candidates(splat(neighbour)) & !(0xff << (8 * lane))
                        | u64::from(marked(byte)) << (8 * lane + 7);
                    assert_eq!(
                        candidates(word),
                        expected,
                        "{byte:#x} in lane {lane} among {neighbour:#x}"
                    );
                }
            }
        }
    }

    #[test]
    fn quick_scan_settles_ordinary_code() {
        let code =
            "def f(a, b=-1):\n    \"\"\"Doc.\"\"\"\n    # note\n    return [a + b, {'k': not a}]\n";
        let long = code.repeat(5_000);
        assert_eq!(quick_scan(long.as_bytes()), Some(Ok(())));
    }

    /// `quick_scan` either leaves the answer to `exact_scan` or gives the same one, on inputs
    /// built to reach the limits in many ways.
    #[test]
    fn quick_scan_agrees_with_exact_scan() {
        // Pieces that push a counter or the depth up, and others.
        #[rustfmt::skip]
        const RISING: &[&str] = &["-", "- ", "~", "not ", "await ", " and ", " or x", "+1", "(", "[", "{"];
        #[rustfmt::skip]
        const OTHER: &[&str] = &[
            ")", "]", "}", "\n", "\\\n", "    ", "\t", "# c'\n", "'s'", "\"\"\"-\n(\"\"\"", "'", "\"",
            "\\", "x", "rb", "not", "lambda: ", "@", "1", "é", ";",
        ];
        fn piece(below: &mut impl FnMut(usize) -> usize) -> &'static str {
            match below(4) {
                0 => OTHER[below(OTHER.len())],
                _ => RISING[below(RISING.len())],
            }
        }
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut below = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for round in 0..600 {
            // A few pieces repeated (to reach a limit), among more or fewer random ones.
            let favourites: Vec<&str> = (0..1 + below(3)).map(|_| piece(&mut below)).collect();
            let noise = [4, 40, 400][round % 3];
            let mut src = String::new();
            while src.len() < [40, 2_500, 25_000, 70_000][round % 4] {
                if below(noise) == 0 {
                    src.push_str(piece(&mut below));
                } else {
                    src.push_str(favourites[below(favourites.len())]);
                }
            }
            if let Some(answer) = quick_scan(src.as_bytes()) {
                assert_eq!(answer, exact_scan(src.as_bytes()), "{src:?}");
            }
        }
    }

    #[test]
    fn rejects_giant_operator_chains_but_resets_per_line() {
        let long = format!("x = 1{}\n", " + 1".repeat(30_000));
        assert!(prescan(&long).is_err());
        let many_lines = "x = 1 + 1\n".repeat(30_000);
        assert_eq!(prescan(&many_lines), Ok(()));
    }
}

//! Silencing diagnostics: `per-file-ignores` from configuration, and comments in the code.
//!
//! Comments understood (case-insensitive, spaces optional):
//! - `# noqa` — every racelint diagnostic that starts on this line (shared with flake8 and
//!   ruff, so racelint never reports it as unused);
//! - `# noqa: RL101, E501` — the listed racelint codes on this line (other tools' codes are
//!   left to them);
//! - `# racelint: ignore[RL101, unlocked-check-then-act]` — the listed rules (codes or names)
//!   on this line; `# racelint: ignore` alone silences every rule on the line;
//! - `# racelint: noqa` anywhere in a file — the whole file; `# racelint: noqa: RL101` — one
//!   rule in the whole file.
//!
//! A directive applies to a diagnostic whose primary span starts or ends on its line. Syntax
//! errors (RL001) cannot be silenced by comments; exclude the file or use `per-file-ignores`.
//! When RL900 (unused-suppression) is selected, racelint directives that silence nothing, or
//! name codes that do not exist, are reported, with a fix that removes them.

use std::path::{Path, PathBuf};

use racelint_diagnostics::{Applicability, Diagnostic, Edit, Fix, Span, TextRange, TextSize};
use racelint_index::ModuleSummary;
use racelint_rules::rules::unused_suppression;
use rayon::prelude::*;
use ruff_python_ast::token::TokenKind;
use ruff_python_ast::PySourceType;
use ruff_python_parser::{parse_unchecked, ParseOptions};

use crate::{FilePatterns, Settings};

/// Rules switched off for the files matching `patterns`.
#[derive(Clone, Debug)]
pub struct PerFileIgnore {
    pub patterns: FilePatterns,
    pub codes: Vec<&'static str>,
}

impl PerFileIgnore {
    fn ignores(&self, path: &Path, code: &str) -> bool {
        self.codes.contains(&code) && self.patterns.matches(path)
    }
}

/// Diagnostics after suppression: those to report, and those comments silenced.
#[derive(Clone, Debug, Default)]
pub struct Linted {
    pub diagnostics: Vec<Diagnostic>,
    pub suppressed: Vec<Diagnostic>,
}

const SYNTAX_ERROR: &str = "RL001";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// `# noqa`, `# noqa: CODES`.
    Noqa,
    /// `# racelint: ignore`, `# racelint: ignore[CODES]`.
    Ignore,
    /// `# racelint: noqa`, `# racelint: noqa: CODES` (whole file).
    File,
}

#[derive(Clone, Debug)]
struct CodeRef {
    text: String,
    range: TextRange,
    /// The racelint rule it names; `None` for another tool's code or an unknown one.
    rule: Option<&'static str>,
    used: bool,
}

impl CodeRef {
    fn is_racelint(&self, kind: Kind) -> bool {
        // In `# noqa` lists only RL codes are ours; `# racelint:` lists are all ours.
        kind != Kind::Noqa || is_rl_code(&self.text)
    }
}

#[derive(Clone, Debug)]
struct Directive {
    kind: Kind,
    /// `None` silences every rule.
    codes: Option<Vec<CodeRef>>,
    /// From the segment's `#` to the end of the directive (codes included).
    range: TextRange,
    /// The directive's own text after `#` (`noqa: RL101`), its start.
    body_start: TextSize,
    /// The whole comment containing it, and whether the comment is alone on its line.
    comment: TextRange,
    own_line: bool,
    index_in_comment: usize,
    line: u32,
    used: bool,
}

/// Applies `per-file-ignores` and suppression comments, and reports RL900 if selected.
pub(crate) fn apply(
    diagnostics: Vec<Diagnostic>,
    summaries: &[ModuleSummary],
    report_on: Option<&[u32]>,
    settings: &Settings,
    sources: &(dyn Fn(&Path) -> Option<String> + Sync),
) -> Linted {
    let mut diagnostics: Vec<Diagnostic> = diagnostics
        .into_iter()
        .filter(|d| {
            !settings
                .per_file_ignores
                .iter()
                .any(|p| p.ignores(&d.span.path, d.code))
        })
        .collect();
    let report_unused = settings.selection.is_enabled(unused_suppression::RULE.code);

    // The files whose comments matter: those with diagnostics, and with RL900 every
    // reported file.
    let mut files: Vec<PathBuf> = diagnostics.iter().map(|d| d.span.path.clone()).collect();
    if report_unused {
        let modules: Vec<u32> = match report_on {
            Some(m) => m.to_vec(),
            None => (0..summaries.len() as u32).collect(),
        };
        files.extend(
            modules
                .iter()
                .filter_map(|m| summaries.get(*m as usize))
                .filter(|s| s.problem.is_none())
                .map(|s| s.path.clone()),
        );
    }
    files.sort();
    files.dedup();
    let scanned: Vec<(PathBuf, String, Vec<Directive>)> = crate::pool().install(|| {
        files
            .par_iter()
            .filter_map(|path| {
                let text = sources(path)?;
                let directives = directives(&text);
                (!directives.is_empty()).then(|| (path.clone(), text, directives))
            })
            .collect()
    });
    if scanned.is_empty() {
        return Linted {
            diagnostics,
            suppressed: Vec::new(),
        };
    }

    let mut by_file: std::collections::HashMap<PathBuf, (String, Vec<Directive>)> =
        scanned.into_iter().map(|(p, t, d)| (p, (t, d))).collect();
    let mut kept = Vec::with_capacity(diagnostics.len());
    let mut suppressed = Vec::new();
    for d in diagnostics.drain(..) {
        let silenced = by_file
            .get_mut(&d.span.path)
            .is_some_and(|(_, directives)| silence(&d, directives));
        if silenced {
            suppressed.push(d);
        } else {
            kept.push(d);
        }
    }

    if report_unused {
        let mut unused = Vec::new();
        let mut paths: Vec<&PathBuf> = by_file.keys().collect();
        paths.sort();
        for path in paths {
            let (text, directives) = &by_file[path];
            unused.extend(unused_diagnostics(path, text, directives, settings));
        }
        // Only a directive naming RL900 silences RL900: a bare one would silence its own report.
        for d in unused {
            let silenced = by_file
                .get_mut(&d.span.path)
                .is_some_and(|(_, directives)| silence_explicitly(&d, directives));
            if silenced {
                suppressed.push(d);
            } else {
                kept.push(d);
            }
        }
    }
    Linted {
        diagnostics: kept,
        suppressed,
    }
}

/// Whether a directive silences `d`; marks what was used.
fn silence(d: &Diagnostic, directives: &mut [Directive]) -> bool {
    if d.code == SYNTAX_ERROR {
        return false;
    }
    let mut silenced = false;
    for directive in directives.iter_mut() {
        let applies = match directive.kind {
            Kind::File => true,
            Kind::Noqa | Kind::Ignore => {
                directive.line == d.span.start.line || directive.line == d.span.end.line
            }
        };
        if !applies {
            continue;
        }
        match &mut directive.codes {
            None => {
                directive.used = true;
                silenced = true;
            }
            Some(codes) => {
                for c in codes.iter_mut() {
                    if c.rule == Some(d.code) {
                        c.used = true;
                        directive.used = true;
                        silenced = true;
                    }
                }
            }
        }
    }
    silenced
}

/// Whether a directive that names `d`'s code explicitly silences it; marks what was used.
fn silence_explicitly(d: &Diagnostic, directives: &mut [Directive]) -> bool {
    let mut silenced = false;
    for directive in directives.iter_mut() {
        let applies = directive.kind == Kind::File
            || directive.line == d.span.start.line
            || directive.line == d.span.end.line;
        if !applies {
            continue;
        }
        for c in directive.codes.iter_mut().flatten() {
            if c.rule == Some(d.code) {
                c.used = true;
                directive.used = true;
                silenced = true;
            }
        }
    }
    silenced
}

fn is_rl_code(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() > 2 && b[..2].eq_ignore_ascii_case(b"RL") && b[2..].iter().all(u8::is_ascii_digit)
}

/// Every suppression directive in the comments of `text`.
fn directives(text: &str) -> Vec<Directive> {
    let lower = text.to_ascii_lowercase();
    if !lower.contains("noqa") && !lower.contains("racelint") {
        return Vec::new();
    }
    if racelint_index::prescan(text).is_err() {
        return Vec::new();
    }
    let parsed = parse_unchecked(text, ParseOptions::from(PySourceType::Python));
    let index = racelint_index::LineIndex::from_source_text(text);
    let mut out = Vec::new();
    for token in parsed.tokens().iter() {
        if token.kind() != TokenKind::Comment {
            continue;
        }
        let range = ruff_text_size::Ranged::range(token);
        let start = usize::from(range.start());
        let comment = &text[start..usize::from(range.end())];
        let line_start = usize::from(index.line_start(index.line_index(range.start()), text));
        let own_line = text[line_start..start].trim().is_empty();
        let line = index.line_index(range.start()).get() as u32;
        // Split the comment at each `#` into segments.
        let marks: Vec<usize> = comment.match_indices('#').map(|(i, _)| i).collect();
        for (i, &at) in marks.iter().enumerate() {
            let end = marks.get(i + 1).copied().unwrap_or(comment.len());
            let segment = &comment[at + 1..end];
            if let Some(mut d) = parse_segment(segment, start + at + 1) {
                d.range = TextRange::new(
                    TextSize::try_from(start + at).unwrap_or_default(),
                    d.range.end(),
                );
                d.comment = range;
                d.own_line = own_line;
                d.index_in_comment = i;
                d.line = line;
                out.push(d);
            }
        }
    }
    out
}

fn size(n: usize) -> TextSize {
    TextSize::try_from(n).unwrap_or_default()
}

/// Parses the text after one `#`; `offset` is where that text starts in the file.
fn parse_segment(segment: &str, offset: usize) -> Option<Directive> {
    let lead = segment.len() - segment.trim_start().len();
    let body = &segment[lead..];
    let body_start = offset + lead;
    let lower = body.to_ascii_lowercase();
    let directive = |kind, codes, end: usize| Directive {
        kind,
        codes,
        range: TextRange::new(size(body_start), size(body_start + end)),
        body_start: size(body_start),
        comment: TextRange::default(),
        own_line: false,
        index_in_comment: 0,
        line: 0,
        used: false,
    };
    if let Some(rest) = lower.strip_prefix("noqa") {
        // `noqa` must end the word: `noqa`, `noqa:`, `noqa ...`.
        if rest
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            return None;
        }
        let after = &body[4..];
        let trimmed = after.trim_start();
        if let Some(list) = trimmed.strip_prefix(':') {
            let list_start = body_start + 4 + (after.len() - trimmed.len()) + 1;
            let (codes, end) = code_list(list, list_start, Kind::Noqa);
            if codes.is_empty() {
                return Some(directive(Kind::Noqa, None, 4));
            }
            return Some(directive(Kind::Noqa, Some(codes), end - body_start));
        }
        return Some(directive(Kind::Noqa, None, 4));
    }
    let rest = lower.strip_prefix("racelint")?;
    let rest_trim = rest.trim_start();
    let rest_trim = rest_trim.strip_prefix(':')?;
    let word_at = body.len() - rest_trim.trim_start().len();
    let word = &lower[word_at..];
    if let Some(after) = word.strip_prefix("ignore") {
        if after.starts_with('[') {
            let close = after.find(']')?;
            let list_start = body_start + word_at + "ignore[".len();
            let list = &body[word_at + "ignore[".len()..word_at + "ignore".len() + close];
            let (codes, _) = code_list(list, list_start, Kind::Ignore);
            let end = word_at + "ignore".len() + close + 1;
            if codes.is_empty() {
                return Some(directive(Kind::Ignore, None, end));
            }
            return Some(directive(Kind::Ignore, Some(codes), end));
        }
        if after
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '-' || c == '_')
        {
            return None;
        }
        return Some(directive(Kind::Ignore, None, word_at + "ignore".len()));
    }
    if let Some(after) = word.strip_prefix("noqa") {
        if after
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            return None;
        }
        let tail = &body[word_at + 4..];
        let trimmed = tail.trim_start();
        if let Some(list) = trimmed.strip_prefix(':') {
            let list_start = body_start + word_at + 4 + (tail.len() - trimmed.len()) + 1;
            let (codes, end) = code_list(list, list_start, Kind::File);
            if !codes.is_empty() {
                return Some(directive(Kind::File, Some(codes), end - body_start));
            }
        }
        return Some(directive(Kind::File, None, word_at + 4));
    }
    None
}

/// Reads `A, B C` codes (or rule names in `racelint:` lists); returns them and where the list
/// ends in the file.
fn code_list(list: &str, offset: usize, kind: Kind) -> (Vec<CodeRef>, usize) {
    let mut codes = Vec::new();
    let mut end = offset;
    let mut pos = 0;
    let bytes = list.as_bytes();
    while pos < bytes.len() {
        while pos < bytes.len() && (bytes[pos] == b',' || bytes[pos].is_ascii_whitespace()) {
            pos += 1;
        }
        let start = pos;
        while pos < bytes.len()
            && (bytes[pos].is_ascii_alphanumeric() || bytes[pos] == b'-' || bytes[pos] == b'_')
        {
            pos += 1;
        }
        if pos == start {
            break;
        }
        let word = &list[start..pos];
        let looks_like_code = word.len() > 1
            && word.as_bytes()[0].is_ascii_alphabetic()
            && word.as_bytes().iter().any(u8::is_ascii_digit);
        let allowed = match kind {
            Kind::Noqa | Kind::File => looks_like_code,
            Kind::Ignore => true,
        };
        if !allowed {
            break;
        }
        let rule = racelint_rules::rule(word).map(|r| r.code);
        codes.push(CodeRef {
            text: word.to_string(),
            range: TextRange::new(size(offset + start), size(offset + pos)),
            rule,
            used: false,
        });
        end = offset + pos;
    }
    (codes, end)
}

/// RL900 diagnostics for the directives of one file that silenced nothing or name unknown
/// codes.
fn unused_diagnostics(
    path: &Path,
    text: &str,
    directives: &[Directive],
    settings: &Settings,
) -> Vec<Diagnostic> {
    let enabled = |code: &str| {
        settings.selection.is_enabled(code)
            && !settings
                .per_file_ignores
                .iter()
                .any(|p| p.ignores(path, code))
    };
    let index = racelint_index::LineIndex::from_source_text(text);
    let mut out = Vec::new();
    for d in directives {
        let mut at = d.range;
        let (message, fix_edit) = match &d.codes {
            None => {
                // A bare `# noqa` belongs to every linter; never report it.
                if d.kind == Kind::Noqa || d.used {
                    continue;
                }
                let what = match d.kind {
                    Kind::File => {
                        "Unused suppression: `racelint: noqa` silences nothing in this file"
                    }
                    _ => "Unused suppression: `racelint: ignore` silences nothing on this line",
                };
                (what.to_string(), remove_directive(text, d))
            }
            Some(codes) => {
                let mut unknown = Vec::new();
                let mut unused = Vec::new();
                let mut keep = Vec::new();
                for c in codes {
                    if !c.is_racelint(d.kind) {
                        keep.push(c.text.clone());
                        continue;
                    }
                    let flagged = match c.rule {
                        None => true,
                        Some(code) => {
                            code != unused_suppression::RULE.code && !c.used && enabled(code)
                        }
                    };
                    if flagged && unknown.is_empty() && unused.is_empty() {
                        at = c.range;
                    }
                    match c.rule {
                        None => unknown.push(c.text.clone()),
                        Some(code) if code == unused_suppression::RULE.code => {
                            keep.push(c.text.clone())
                        }
                        Some(code) if !c.used && enabled(code) => unused.push(c.text.clone()),
                        Some(_) => keep.push(c.text.clone()),
                    }
                }
                if unknown.is_empty() && unused.is_empty() {
                    continue;
                }
                let mut parts = Vec::new();
                if !unused.is_empty() {
                    parts.push(format!(
                        "{} nothing here",
                        list_phrase(&unused, "silences", "silence")
                    ));
                }
                if !unknown.is_empty() {
                    parts.push(format!(
                        "{} no racelint rule",
                        list_phrase(&unknown, "names", "name")
                    ));
                }
                let message = format!("Unused suppression: {}", parts.join("; "));
                let edit = if keep.is_empty() {
                    remove_directive(text, d)
                } else {
                    Some(rewrite_directive(d, &keep))
                };
                (message, edit)
            }
        };
        let fix = fix_edit.and_then(|edit| {
            Fix::new(
                "Remove the unused suppression",
                Applicability::Safe,
                vec![edit],
            )
        });
        out.push(Diagnostic {
            code: unused_suppression::RULE.code,
            name: unused_suppression::RULE.name,
            severity: unused_suppression::RULE.severity,
            message,
            span: Span::new(path.to_path_buf(), at, text, &index),
            label: "unused suppression".to_string(),
            related: Vec::new(),
            notes: Vec::new(),
            fix,
        });
    }
    out
}

fn list_phrase(items: &[String], one: &str, many: &str) -> String {
    let quoted: Vec<String> = items.iter().map(|c| format!("`{c}`")).collect();
    if items.len() == 1 {
        format!("{} {one}", quoted[0])
    } else {
        format!("{} {many}", quoted.join(", "))
    }
}

/// An edit keeping only `keep` in the directive's code list.
fn rewrite_directive(d: &Directive, keep: &[String]) -> Edit {
    let body = match d.kind {
        Kind::Noqa => format!("noqa: {}", keep.join(", ")),
        Kind::Ignore => format!("racelint: ignore[{}]", keep.join(", ")),
        Kind::File => format!("racelint: noqa: {}", keep.join(", ")),
    };
    Edit::replacement(TextRange::new(d.body_start, d.range.end()), body)
}

/// An edit deleting the directive: its whole line when the comment is alone on it and holds
/// nothing else, the comment with the blanks before it when it follows code, or just its
/// segment when the comment holds other text too.
fn remove_directive(text: &str, d: &Directive) -> Option<Edit> {
    let comment_start = usize::from(d.comment.start());
    let comment_end = usize::from(d.comment.end());
    let start = usize::from(d.range.start());
    let end = usize::from(d.range.end());
    // Text of the comment besides this directive (other segments, explanations).
    let before = text.get(comment_start..start)?;
    let after = text.get(end..comment_end)?;
    if before.trim().is_empty() && after.trim().is_empty() {
        if d.own_line {
            let line_start = text[..comment_start].rfind('\n').map_or(0, |i| i + 1);
            let line_end = text[comment_end..]
                .find('\n')
                .map_or(text.len(), |i| comment_end + i + 1);
            return Some(Edit::replacement(
                TextRange::new(size(line_start), size(line_end)),
                "",
            ));
        }
        let trimmed = text[..comment_start].trim_end_matches([' ', '\t']).len();
        return Some(Edit::replacement(
            TextRange::new(size(trimmed), size(comment_end)),
            "",
        ));
    }
    if d.index_in_comment == 0 {
        // `# noqa: RL101  # type: ignore` → `# type: ignore`.
        let next = after.find('#').map(|i| end + i)?;
        return Some(Edit::replacement(
            TextRange::new(size(start), size(next)),
            "",
        ));
    }
    // `# type: ignore  # noqa: RL101` → `# type: ignore`; keep what follows the directive.
    let trimmed = text[..start].trim_end_matches([' ', '\t']).len();
    Some(Edit::replacement(
        TextRange::new(size(trimmed), size(end)),
        "",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, Option<Vec<String>>, u32)> {
        directives(text)
            .into_iter()
            .map(|d| {
                (
                    d.kind,
                    d.codes
                        .map(|c| c.into_iter().map(|c| c.text).collect::<Vec<_>>()),
                    d.line,
                )
            })
            .collect()
    }

    #[test]
    fn reads_every_form() {
        let text = "x = 1  # noqa\n\
                    y = 2  # NOQA:RL101,E501\n\
                    z = 3  # noqa : RL101 RL202 because\n\
                    w = 4  # racelint: ignore[RL101, unlocked-read-modify-write]\n\
                    v = 5  # racelint:ignore\n\
                    # racelint: noqa\n\
                    # racelint: noqa: RL101\n\
                    u = 6  # type: ignore  # noqa: RL101\n";
        let got = kinds(text);
        let s = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            got,
            vec![
                (Kind::Noqa, None, 1),
                (Kind::Noqa, s(&["RL101", "E501"]), 2),
                (Kind::Noqa, s(&["RL101", "RL202"]), 3),
                (Kind::Ignore, s(&["RL101", "unlocked-read-modify-write"]), 4),
                (Kind::Ignore, None, 5),
                (Kind::File, None, 6),
                (Kind::File, s(&["RL101"]), 7),
                (Kind::Noqa, s(&["RL101"]), 8),
            ]
        );
    }

    #[test]
    fn ignores_look_alikes_and_strings() {
        let text = "s = '# noqa'\n\
                    t = \"\"\"\n# racelint: noqa\n\"\"\"\n\
                    x = 1  # noqaxyz\n\
                    y = 1  # racelint: thread-safe\n\
                    z = 1  # racelint: ignored\n";
        assert!(kinds(text).is_empty(), "{:?}", kinds(text));
    }

    #[test]
    fn removes_whole_comments_lines_and_segments() {
        let apply = |text: &str| {
            let d = directives(text).into_iter().next().unwrap();
            let edit = remove_directive(text, &d).unwrap();
            racelint_diagnostics::apply_edits(text, std::iter::once(&edit))
        };
        assert_eq!(apply("x += 1  # noqa: RL101\ny = 2\n"), "x += 1\ny = 2\n");
        assert_eq!(apply("a = 1\n# racelint: noqa\nb = 2\n"), "a = 1\nb = 2\n");
        assert_eq!(
            apply("x = 1  # type: ignore  # noqa: RL101\n"),
            "x = 1  # type: ignore\n"
        );
        assert_eq!(
            apply("x = 1  # racelint: ignore[RL101]  # why\n"),
            "x = 1  # why\n"
        );
    }
}

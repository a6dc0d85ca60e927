//! The edit that puts statements under `with <lock>:`, keeping their indentation, comments,
//! blank lines and string literals, and the file's line endings.

use racelint_diagnostics::Edit;
use ruff_text_size::{Ranged, TextRange, TextSize};

use super::text::Text;
use super::tree::Located;

/// Wraps the located statements in `with <lock>:`. Statements alone on their lines are
/// indented one level under a new `with` line; statements sharing a line with others
/// (`a(); counter += 1`) or forming a one-line body (`if x: counter += 1`) are first split
/// onto lines of their own. `None` when the layout is too unusual to rewrite safely.
pub(crate) fn wrap(text: &Text<'_>, located: &Located<'_>, lock: &str) -> Option<Edit> {
    let body = located.body;
    let (first, last) = (located.first, located.last);
    let joined = |a: usize, b: usize| -> bool {
        !text.has_line_break(TextRange::new(body[a].end(), body[b].start()))
    };
    let mut group_first = first;
    while group_first > 0 && joined(group_first - 1, group_first) {
        group_first -= 1;
    }
    let mut group_last = last;
    while group_last + 1 < body.len() && joined(group_last, group_last + 1) {
        group_last += 1;
    }
    let inline = !text.starts_line(body[group_first].start());
    let nl = text.nl;
    let unit = &text.unit;

    if group_first == first && group_last == last && !inline {
        let range = located.range();
        let ind = text.indentation(range.start());
        let content = format!("with {lock}:{nl}{ind}{unit}{}", text.reindent(range));
        return Some(Edit::replacement(range, content));
    }

    // Statements sharing lines with others: only rewritten when they all sit on one line.
    if (first..last).any(|i| !joined(i, i + 1)) {
        return None;
    }
    let (ind, region_start, mut content) = if inline {
        let frame = located.frames.last()?;
        let ind = format!("{}{unit}", text.indentation(frame.clause_start));
        let before = &text.src[..body[group_first].start().to_usize()];
        let trimmed = before.trim_end_matches([' ', '\t']);
        if !trimmed.ends_with(':') {
            return None;
        }
        let start = TextSize::try_from(trimmed.len()).ok()?;
        (ind.clone(), start, format!("{nl}{ind}"))
    } else {
        let ind = text.indentation(body[group_first].start()).to_string();
        (ind, body[group_first].start(), String::new())
    };
    for (i, node) in body
        .iter()
        .enumerate()
        .take(group_last + 1)
        .skip(group_first)
    {
        let covered = (first..=last).contains(&i);
        let stmt = if covered {
            text.reindent(node.range())
        } else {
            text.slice(node.range()).to_string()
        };
        if i == first {
            if i != group_first {
                content.push_str(&format!("{nl}{ind}"));
            }
            content.push_str(&format!("with {lock}:{nl}{ind}{unit}{stmt}"));
        } else if covered {
            content.push_str(&format!("{nl}{ind}{unit}{stmt}"));
        } else {
            if i != group_first {
                content.push_str(&format!("{nl}{ind}"));
            }
            content.push_str(&stmt);
        }
    }
    Some(Edit::replacement(
        TextRange::new(region_start, body[group_last].end()),
        content,
    ))
}

use ruff_text_size::{TextRange, TextSize};

/// How confident a fix is that it keeps the program's meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// May change behaviour (e.g. could deadlock on a non-reentrant lock); only applied with
    /// `--unsafe-fixes`.
    Unsafe,
    /// Keeps behaviour; applied by `--fix`.
    Safe,
}

/// Replace `range` of a file with `content` (an insertion when the range is empty).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Edit {
    pub range: TextRange,
    pub content: String,
}

impl Edit {
    pub fn insertion(at: TextSize, content: impl Into<String>) -> Edit {
        Edit {
            range: TextRange::empty(at),
            content: content.into(),
        }
    }
    pub fn replacement(range: TextRange, content: impl Into<String>) -> Edit {
        Edit {
            range,
            content: content.into(),
        }
    }
}

/// A fix: sorted, non-overlapping edits of one file, what they do, and how safe they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub message: String,
    pub applicability: Applicability,
    edits: Vec<Edit>,
}

impl Fix {
    /// Builds a fix; the edits are sorted. Returns `None` when two edits overlap, since such a
    /// fix could not be applied in one pass.
    pub fn new(
        message: impl Into<String>,
        applicability: Applicability,
        mut edits: Vec<Edit>,
    ) -> Option<Fix> {
        edits.sort_by_key(|e| (e.range.start(), e.range.end()));
        for pair in edits.windows(2) {
            if pair[0].range.end() > pair[1].range.start() {
                return None;
            }
        }
        Some(Fix {
            message: message.into(),
            applicability,
            edits,
        })
    }

    pub fn edits(&self) -> &[Edit] {
        &self.edits
    }

    /// The smallest range covering every edit.
    pub fn range(&self) -> TextRange {
        let start = self
            .edits
            .first()
            .map_or(TextSize::default(), |e| e.range.start());
        let end = self
            .edits
            .iter()
            .map(|e| e.range.end())
            .max()
            .unwrap_or(start);
        TextRange::new(start, end)
    }

    /// Applies the fix to `source`. The caller guarantees the edits belong to this source.
    pub fn apply(&self, source: &str) -> String {
        apply_edits(source, self.edits.iter())
    }
}

/// Applies sorted, non-overlapping edits to `source`.
pub fn apply_edits<'a>(source: &str, edits: impl Iterator<Item = &'a Edit>) -> String {
    let mut out = String::with_capacity(source.len() + 64);
    let mut last = 0usize;
    for edit in edits {
        let start = usize::from(edit.range.start());
        let end = usize::from(edit.range.end());
        out.push_str(&source[last..start]);
        out.push_str(&edit.content);
        last = end;
    }
    out.push_str(&source[last..]);
    out
}

//! The fix of an iteration over a shared container (RL401): take a snapshot of it under the
//! lock that guards its mutations, and iterate the snapshot.
//!
//! ```python
//! for callback in self._callbacks:        with self._lock:
//!     callback(event)               →         callbacks_snapshot = list(self._callbacks)
//!                                         for callback in callbacks_snapshot:
//!                                             callback(event)
//! ```
//!
//! Always unsafe: the loop now sees the container as it was when the snapshot was taken,
//! which is what the code needs, but changes what it observes.

use racelint_diagnostics::{Applicability, Edit, Fix};
use ruff_python_ast::Stmt;
use ruff_text_size::{Ranged, TextRange};

use super::tree::locate;
use super::FileFixer;
use crate::Snapshot;

impl FileFixer<'_> {
    pub(super) fn snapshot(&self, stmt: TextRange, snapshot: &Snapshot) -> Option<Fix> {
        let body = &self.parsed.syntax().body;
        let located = locate(body, stmt)?;
        let [Stmt::For(for_stmt)] = located.stmts() else {
            return None;
        };
        if for_stmt.range.start() != stmt.start()
            || for_stmt.iter.range() != snapshot.iter
            || for_stmt.is_async
        {
            return None;
        }
        if !self.text.starts_line(for_stmt.range.start()) {
            return None;
        }
        let name = self.fresh_name(&snapshot.container);
        let nl = self.text.nl;
        let unit = &self.text.unit;
        let indent = self.text.indentation(for_stmt.range.start());
        let iter_text = self.text.slice(snapshot.iter);
        let line_start = self.text.line_start(for_stmt.range.start());
        let insertion = format!(
            "{indent}with {lock}:{nl}{indent}{unit}{name} = list({iter_text}){nl}",
            lock = snapshot.lock
        );
        Fix::new(
            format!("iterate a snapshot taken under `{}`", snapshot.lock),
            Applicability::Unsafe,
            vec![
                Edit::insertion(line_start, insertion),
                Edit::replacement(snapshot.iter, name),
            ],
        )
    }

    /// `<container>_snapshot`, made unique in the file.
    fn fresh_name(&self, container: &str) -> String {
        let base: String = container
            .rsplit(['.', '['])
            .next()
            .unwrap_or("items")
            .trim_start_matches('_')
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let base = if base.is_empty() {
            "items".to_string()
        } else {
            base
        };
        let source = self.text.slice(TextRange::up_to(self.text.len()));
        let mut name = format!("{base}_snapshot");
        let mut n = 2;
        while source.contains(&name) {
            name = format!("{base}_snapshot{n}");
            n += 1;
        }
        name
    }
}

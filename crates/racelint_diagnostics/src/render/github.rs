//! The `github` format: GitHub Actions workflow commands, which GitHub shows as annotations
//! on the lines of a pull request's diff.

use std::io::{self, Write};

use super::display_path;
use crate::{Diagnostic, Severity};

pub fn github(diagnostics: &[Diagnostic], out: &mut dyn Write) -> io::Result<()> {
    for d in diagnostics {
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let path = display_path(&d.span.path);
        let title = format!("racelint {} ({})", d.code, d.name);
        writeln!(
            out,
            "::{level} title={},file={},line={},col={},endLine={},endColumn={}::{}",
            property(&title),
            property(&path),
            d.span.start.line,
            d.span.start.column,
            d.span.end.line,
            d.span.end.column,
            data(&format!(
                "{path}:{}:{}: {} {}",
                d.span.start.line, d.span.start.column, d.code, d.message
            )),
        )?;
    }
    Ok(())
}

/// Escapes the message of a workflow command.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value of a workflow command.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_workflow_commands_reserve() {
        assert_eq!(data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}

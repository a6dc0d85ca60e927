//! The `junit` format: JUnit XML, one test suite per file with diagnostics and one failing
//! test case per diagnostic, for CI systems that show test reports. A clean run is one
//! passing test case.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::display_path;
use crate::Diagnostic;

pub fn junit(diagnostics: &[Diagnostic], out: &mut dyn Write) -> io::Result<()> {
    let mut by_file: BTreeMap<String, Vec<&Diagnostic>> = BTreeMap::new();
    for d in diagnostics {
        by_file
            .entry(display_path(&d.span.path))
            .or_default()
            .push(d);
    }
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    let total = diagnostics.len().max(1);
    writeln!(
        out,
        r#"<testsuites name="racelint" tests="{total}" failures="{}" errors="0">"#,
        diagnostics.len()
    )?;
    if diagnostics.is_empty() {
        writeln!(
            out,
            r#"  <testsuite name="racelint" tests="1" failures="0" errors="0">"#
        )?;
        writeln!(
            out,
            r#"    <testcase name="no races found" classname="racelint"/>"#
        )?;
        writeln!(out, "  </testsuite>")?;
    }
    for (file, diags) in &by_file {
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{n}" failures="{n}" errors="0">"#,
            escape(file),
            n = diags.len()
        )?;
        for d in diags {
            let (line, column) = (d.span.start.line, d.span.start.column);
            writeln!(
                out,
                r#"    <testcase name="{code} {name} at line {line}, column {column}" classname="{file}" file="{file}" line="{line}">"#,
                code = d.code,
                name = d.name,
                file = escape(file),
            )?;
            let mut body = format!("{file}:{line}:{column}: {} {}", d.code, d.message);
            for note in &d.notes {
                body.push('\n');
                body.push_str(note);
            }
            writeln!(
                out,
                r#"      <failure message="{}" type="{}">{}</failure>"#,
                escape(&d.message),
                d.code,
                escape_text(&body)
            )?;
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

/// Escapes text for an XML attribute value.
fn escape(text: &str) -> String {
    escape_with(text, true)
}

/// Escapes text for XML element content (line breaks stay as they are).
fn escape_text(text: &str) -> String {
    escape_with(text, false)
}

/// Escapes markup; drops characters XML 1.0 cannot hold.
fn escape_with(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\n' | '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{escape, escape_text};

    #[test]
    fn escapes_markup_and_drops_control_characters() {
        assert_eq!(
            escape("a<b & \"c\"\u{1}\n"),
            "a&lt;b &amp; &quot;c&quot;&#10;"
        );
        assert_eq!(escape_text("a<b \"c\"\n"), "a&lt;b \"c\"\n");
    }
}

//! The `sarif` format: SARIF 2.1.0, as GitHub code scanning and other code-quality services
//! take it. One run; the driver lists every rule with its documentation; each result has its
//! location, related locations (where the thread starts, the call path, the guarding lock)
//! and its fix. Paths below the working directory are relative to `%SRCROOT%`.

use std::io::{self, Write};
use std::path::Path;

use serde_json::{json, Value};

use super::json::Positions;
use super::SourceLookup;
use crate::{Diagnostic, Position, Severity, Span};

/// What SARIF says about a rule.
#[derive(Clone, Debug)]
pub struct RuleInfo {
    pub code: String,
    pub name: String,
    pub summary: String,
    /// The rule's documentation page, in Markdown.
    pub help: String,
    pub severity: Severity,
}

/// Writes one SARIF log. `suppressed` diagnostics (with `--show-suppressed`) are included with
/// an in-source suppression, which code-scanning services show as dismissed.
pub fn sarif(
    diagnostics: &[Diagnostic],
    suppressed: &[Diagnostic],
    rules: &[RuleInfo],
    tool_version: &str,
    sources: SourceLookup<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let cwd = std::env::current_dir().ok();
    let base = cwd.as_deref();
    let mut positions = Positions::new(sources);
    let all = super::with_suppressed(diagnostics, suppressed);
    let results: Vec<Value> = all
        .into_iter()
        .map(|(d, s)| result(d, s, rules, base, &mut positions))
        .collect();
    let rule_values: Vec<Value> = rules.iter().map(rule).collect();
    let mut run = json!({
        "tool": {
            "driver": {
                "name": "racelint",
                "version": tool_version,
                "semanticVersion": tool_version,
                "rules": rule_values,
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": results,
    });
    if let Some(cwd) = base {
        run["originalUriBaseIds"] = json!({
            "%SRCROOT%": {"uri": format!("{}/", file_uri(cwd).trim_end_matches('/'))}
        });
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    });
    serde_json::to_writer_pretty(&mut *out, &log).map_err(io::Error::from)?;
    writeln!(out)
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn rule(r: &RuleInfo) -> Value {
    json!({
        "id": r.code,
        "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": r.summary},
        "help": {"text": r.help, "markdown": r.help},
        "defaultConfiguration": {"level": level(r.severity)},
        "properties": {"tags": ["concurrency", "race-condition", "free-threading"]},
    })
}

fn result(
    d: &Diagnostic,
    suppressed: bool,
    rules: &[RuleInfo],
    base: Option<&Path>,
    positions: &mut Positions<'_>,
) -> Value {
    let mut text = d.message.clone();
    for note in &d.notes {
        text.push('\n');
        text.push_str(note);
    }
    let related: Vec<Value> = d
        .related
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut location = location(&r.span, base);
            location["id"] = json!(i);
            location["message"] = json!({"text": r.message});
            location
        })
        .collect();
    let mut value = json!({
        "ruleId": d.code,
        "level": level(d.severity),
        "message": {"text": text},
        "locations": [location(&d.span, base)],
    });
    if let Some(index) = rules.iter().position(|r| r.code == d.code) {
        value["ruleIndex"] = json!(index);
    }
    if !related.is_empty() {
        value["relatedLocations"] = Value::Array(related);
    }
    if let Some(fix) = &d.fix {
        let replacements: Option<Vec<Value>> = fix
            .edits()
            .iter()
            .map(|e| {
                let start = positions.at(&d.span.path, e.range.start())?;
                let end = positions.at(&d.span.path, e.range.end())?;
                Some(json!({
                    "deletedRegion": region(start, end),
                    "insertedContent": {"text": e.content},
                }))
            })
            .collect();
        if let Some(replacements) = replacements {
            value["fixes"] = json!([{
                "description": {"text": fix.message},
                "artifactChanges": [{
                    "artifactLocation": artifact(&d.span.path, base),
                    "replacements": replacements,
                }],
            }]);
        }
    }
    if suppressed {
        value["suppressions"] = json!([{"kind": "inSource"}]);
    }
    value
}

fn region(start: Position, end: Position) -> Value {
    json!({
        "startLine": start.line,
        "startColumn": start.column,
        "endLine": end.line,
        "endColumn": end.column,
    })
}

fn location(span: &Span, base: Option<&Path>) -> Value {
    json!({
        "physicalLocation": {
            "artifactLocation": artifact(&span.path, base),
            "region": region(span.start, span.end),
        }
    })
}

fn artifact(path: &Path, base: Option<&Path>) -> Value {
    match base.and_then(|b| path.strip_prefix(b).ok()) {
        Some(rel) => json!({"uri": encode_path(rel), "uriBaseId": "%SRCROOT%"}),
        None => json!({"uri": file_uri(path)}),
    }
}

/// A `file://` URI for an absolute path.
fn file_uri(path: &Path) -> String {
    let encoded = encode_path(path);
    if encoded.starts_with('/') {
        format!("file://{encoded}")
    } else {
        format!("file:///{encoded}")
    }
}

/// Percent-encodes a path for a URI, keeping `/` as the separator.
fn encode_path(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uris() {
        assert_eq!(encode_path(Path::new("a b/ü#.py")), "a%20b/%C3%BC%23.py");
        assert_eq!(file_uri(Path::new("/tmp/x y")), "file:///tmp/x%20y");
        let base = Path::new("/proj");
        assert_eq!(
            artifact(Path::new("/proj/pkg/m.py"), Some(base)),
            json!({"uri": "pkg/m.py", "uriBaseId": "%SRCROOT%"})
        );
        assert_eq!(
            artifact(Path::new("/elsewhere/m.py"), Some(base)),
            json!({"uri": "file:///elsewhere/m.py"})
        );
    }
}

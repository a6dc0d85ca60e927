//! `racelint check --fix`, `--fix-only`, `--diff` and `--unsafe-fixes`.

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};
use racelint_diagnostics::render::{self, display_path};
use racelint_linter::fix::{fix_paths, unified_diff, FixOptions, FixReport, MAX_PASSES};
use racelint_linter::Settings;

use crate::cli::{CheckArgs, OutputFormat};

/// Whether the command line asks for fixes.
pub fn requested(args: &CheckArgs) -> bool {
    args.fix || args.fix_only || args.diff
}

pub fn run(
    args: CheckArgs,
    paths: &[PathBuf],
    settings: &Settings,
) -> Result<ExitCode, String> {
    let options = FixOptions {
        unsafe_fixes: args.unsafe_fixes,
        write: !args.diff,
        max_passes: MAX_PASSES,
    };
    let report = fix_paths(paths, settings, options)?;
    for warning in report.warnings.iter().chain(&report.dropped) {
        eprintln!("racelint: warning: {warning}");
    }
    if !report.converged {
        eprintln!(
            "racelint: warning: fixes kept applying for {MAX_PASSES} passes; run again to continue"
        );
    }
    for error in &report.write_errors {
        eprintln!("racelint: error: {error}");
    }
    let io_error = |e: std::io::Error| format!("cannot write output: {e}");

    if args.diff {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        for change in &report.changes {
            write!(out, "{}", unified_diff(change, &display_path(&change.path)))
                .map_err(io_error)?;
        }
        out.flush().map_err(io_error)?;
        if !args.quiet {
            eprintln!(
                "Would fix {} in {}.",
                plural(report.fixed, "issue"),
                plural(report.changes.len(), "file")
            );
        }
        return Ok(if report.changes.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }

    let failed = !report.write_errors.is_empty();
    if args.fix_only {
        if !args.quiet {
            println!("{}", fixed_phrase(&report));
        }
        return Ok(if failed {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        });
    }

    // `--fix`: report what remains as `check` would, with a summary that counts the fixes.
    let lookup = |p: &std::path::Path| racelint_linter::display_text(p);
    let stdout = std::io::stdout();
    // Machine formats arrive with `check`'s renderer; until then they print concisely.
    if args.output_format == OutputFormat::Full {
        let color = if std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
            ColorChoice::Auto
        } else {
            ColorChoice::Never
        };
        let mut out = StandardStream::stdout(color);
        render::full(&report.remaining, &lookup, true, &mut out)
    } else {
        render::concise(&report.remaining, true, &mut stdout.lock())
    }
    .map_err(io_error)?;
    if !args.quiet {
        println!("{}", summary_line(&report));
    }
    Ok(if failed {
        ExitCode::from(2)
    } else if report.remaining.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `Fixed 3 issues in 2 files`.
fn fixed_phrase(report: &FixReport) -> String {
    let written = report.changes.iter().filter(|c| c.written).count();
    format!(
        "Fixed {} in {}.",
        plural(report.fixed, "issue"),
        plural(written, "file")
    )
    .replace(" in 0 files.", ".")
}

/// `Fixed 3 issues in 2 files, 1 remaining in 1 file (12 files checked).`
fn summary_line(report: &FixReport) -> String {
    let fixed = fixed_phrase(report);
    let fixed = fixed.trim_end_matches('.');
    let files: BTreeSet<&std::path::Path> = report
        .remaining
        .iter()
        .map(|d| d.span.path.as_path())
        .collect();
    let remaining = if report.remaining.is_empty() {
        "0 remaining".to_string()
    } else {
        format!(
            "{} remaining in {}",
            report.remaining.len(),
            plural(files.len(), "file")
        )
    };
    let mut line = format!(
        "{fixed}, {remaining} ({} checked).",
        plural(report.files_checked, "file")
    );
    let unsafe_left = report.fixable_with_unsafe();
    if unsafe_left > 0 {
        let verb = if unsafe_left == 1 { "is" } else { "are" };
        line.push_str(&format!(
            " {unsafe_left} more {verb} fixable with `--unsafe-fixes`."
        ));
    }
    line
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

//! `racelint check --fix`, `--fix-only`, `--diff` and `--unsafe-fixes`.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use racelint_diagnostics::render::display_path;
use racelint_linter::fix::{fix_paths, unified_diff, FixOptions, FixReport, MAX_PASSES};
use racelint_linter::{Report, Settings};

use crate::cli::{CheckArgs, OutputFormat};

/// Whether the command line asks for fixes.
pub fn requested(args: &CheckArgs) -> bool {
    args.fix || args.fix_only || args.diff
}

pub fn run(
    mut args: CheckArgs,
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
    let io_error = crate::check::output_error;

    if args.diff {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        let written = report
            .changes
            .iter()
            .try_for_each(|change| {
                write!(out, "{}", unified_diff(change, &display_path(&change.path)))
            })
            .and_then(|()| out.flush())
            .map_err(io_error);
        crate::check::quiet_if_closed(written)?;
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
    let remaining = Report {
        diagnostics: report.remaining.clone(),
        files_checked: report.files_checked,
        ..Report::default()
    };
    let quiet = args.quiet;
    args.quiet = true;
    crate::check::quiet_if_closed(crate::check::write_report(&args, &remaining))?;
    if !quiet {
        let line = summary_line(&report);
        if matches!(
            args.output_format,
            OutputFormat::Full | OutputFormat::Concise
        ) && args.output_file.is_none()
        {
            println!("{line}");
        } else {
            eprintln!("{line}");
        }
    }
    Ok(if failed {
        ExitCode::from(2)
    } else if report.remaining.is_empty() || args.exit_zero {
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

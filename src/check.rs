//! `racelint check`.

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use codespan_reporting::term::termcolor::{ColorChoice, NoColor, StandardStream, WriteColor};
use racelint_diagnostics::{render, Diagnostic};
use racelint_linter::{check_paths_keeping_summaries, Report, Settings};

use crate::cli::{CheckArgs, OutputFormat};

pub fn run(args: CheckArgs) -> Result<ExitCode, String> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let settings = settings(&args, &paths)?;
    if crate::fix::requested(&args) {
        return crate::fix::run(args, &paths, &settings);
    }
    let (report, summaries) = check_paths_keeping_summaries(&paths, &settings)?;
    // The process ends once the report is written: freeing every summary first would only
    // make it end later.
    summaries.leave_to_exit();
    for warning in &report.warnings {
        eprintln!("racelint: warning: {warning}");
    }
    quiet_if_closed(write_report(&args, &report))?;
    Ok(if report.diagnostics.is_empty() || args.exit_zero {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The settings of this run: the configuration file found for `paths` (or named by
/// `--config`), overridden by the command line.
pub fn settings(args: &CheckArgs, paths: &[PathBuf]) -> Result<Settings, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the working directory: {e}"))?;
    let start = racelint_config::common_start(paths);
    let config =
        racelint_config::load(&start, args.config.as_deref(), args.isolated).map_err(|e| {
            racelint_config::ConfigError {
                file: PathBuf::from(render::display_path(&e.file)),
                ..e
            }
            .to_string()
        })?;
    let overrides = racelint_config::Overrides {
        select: args.select.clone(),
        extend_select: args.extend_select.clone(),
        ignore: args.ignore.clone(),
        exclude: args.exclude.clone(),
        extend_exclude: args.extend_exclude.clone(),
        respect_gitignore: args.no_respect_gitignore.then_some(false),
        force_exclude: args.force_exclude,
    };
    let mut settings = config.settings(&overrides, &cwd)?;
    settings.include_stubs = args.include_stubs;
    settings.project_context = true;
    Ok(settings)
}

/// Renders the report in the chosen format to standard output or `--output-file`.
/// The error a failed write of the output becomes; see [`quiet_if_closed`].
pub(crate) fn output_error(e: std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        CLOSED.to_owned()
    } else {
        format!("cannot write output: {e}")
    }
}

const CLOSED: &str = "the output was closed";

/// A reader that stops reading (`racelint check | head`) is no error: the run ends with the
/// exit code its diagnostics call for and says nothing more, as other command-line tools do.
pub(crate) fn quiet_if_closed(written: Result<(), String>) -> Result<(), String> {
    match written {
        Err(message) if message == CLOSED => Ok(()),
        other => other,
    }
}

pub(crate) fn write_report(args: &CheckArgs, report: &Report) -> Result<(), String> {
    let lookup = |p: &Path| racelint_linter::display_text(p);
    let shown_suppressed: &[Diagnostic] = if args.show_suppressed {
        &report.suppressed
    } else {
        &[]
    };
    let mut out: Box<dyn WriteColor> = match &args.output_file {
        Some(path) => {
            let file = std::fs::File::create(path)
                .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
            Box::new(NoColor::new(std::io::BufWriter::new(file)))
        }
        None => {
            let color = if args.output_format == OutputFormat::Full
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
            {
                ColorChoice::Auto
            } else {
                ColorChoice::Never
            };
            Box::new(StandardStream::stdout(color))
        }
    };
    let io_error = output_error;
    if args.statistics {
        statistics(args.output_format, &report.diagnostics, &mut out).map_err(io_error)?;
        return out.flush().map_err(io_error);
    }
    match args.output_format {
        OutputFormat::Full | OutputFormat::Concise => {
            let full = args.output_format == OutputFormat::Full;
            if full {
                render::full(&report.diagnostics, &lookup, true, &mut out)
            } else {
                render::concise(&report.diagnostics, true, &mut out)
            }
            .map_err(io_error)?;
            if !shown_suppressed.is_empty() {
                writeln!(out, "Suppressed by comments (not counted):").map_err(io_error)?;
                if full {
                    render::full(shown_suppressed, &lookup, false, &mut out)
                } else {
                    render::concise(shown_suppressed, false, &mut out)
                }
                .map_err(io_error)?;
            }
            if !args.quiet {
                writeln!(out, "{}", summary_line(report)).map_err(io_error)?;
            }
        }
        OutputFormat::Json => {
            render::json(&report.diagnostics, shown_suppressed, &lookup, &mut out)
                .map_err(io_error)?
        }
        OutputFormat::Sarif => {
            let rules: Vec<render::RuleInfo> = racelint_rules::RULES
                .iter()
                .map(|r| render::RuleInfo {
                    code: r.code.to_string(),
                    name: r.name.to_string(),
                    summary: r.summary.to_string(),
                    help: r.page(),
                    severity: r.severity,
                })
                .collect();
            render::sarif(
                &report.diagnostics,
                shown_suppressed,
                &rules,
                env!("CARGO_PKG_VERSION"),
                &lookup,
                &mut out,
            )
            .map_err(io_error)?
        }
        OutputFormat::Github => render::github(&report.diagnostics, &mut out).map_err(io_error)?,
        OutputFormat::Junit => render::junit(&report.diagnostics, &mut out).map_err(io_error)?,
    }
    out.flush().map_err(io_error)
}

/// `Found 3 issues in 2 files (12 files checked, 1 suppressed).`
fn summary_line(report: &Report) -> String {
    let files: BTreeSet<&Path> = report
        .diagnostics
        .iter()
        .map(|d| d.span.path.as_path())
        .collect();
    let mut checked = format!("{} checked", plural(report.files_checked, "file"));
    if !report.suppressed.is_empty() {
        checked.push_str(&format!(", {} suppressed", report.suppressed.len()));
    }
    if report.diagnostics.is_empty() {
        format!("All checks passed ({checked}).")
    } else {
        format!(
            "Found {} in {} ({checked}).",
            plural(report.diagnostics.len(), "issue"),
            plural(files.len(), "file")
        )
    }
}

/// `--statistics`: how many diagnostics each rule reported, most first.
fn statistics(
    format: OutputFormat,
    diagnostics: &[Diagnostic],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut counts: Vec<(&'static str, &'static str, usize, usize)> = Vec::new();
    for d in diagnostics {
        let fixable = usize::from(
            d.fix
                .as_ref()
                .is_some_and(|f| f.applicability == racelint_diagnostics::Applicability::Safe),
        );
        match counts.iter_mut().find(|c| c.0 == d.code) {
            Some(c) => {
                c.2 += 1;
                c.3 += fixable;
            }
            None => counts.push((d.code, d.name, 1, fixable)),
        }
    }
    counts.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)));
    if format == OutputFormat::Json {
        let items: Vec<serde_json::Value> = counts
            .iter()
            .map(|(code, name, count, fixable)| {
                serde_json::json!({"code": code, "name": name, "count": count, "fixable": fixable})
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &items).map_err(std::io::Error::other)?;
        return writeln!(out);
    }
    let width = counts
        .iter()
        .map(|c| c.2.to_string().len())
        .max()
        .unwrap_or(1);
    for (code, name, count, fixable) in &counts {
        let marker = if *fixable > 0 { " [*]" } else { "" };
        writeln!(out, "{count:>width$}  {code:<6} {name}{marker}")?;
    }
    Ok(())
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

//! `racelint check`.

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use racelint_diagnostics::render;
use racelint_linter::{check_paths, Settings};
use racelint_rules::Selection;

use crate::cli::{CheckArgs, OutputFormat};

pub fn run(args: CheckArgs) -> Result<ExitCode, String> {
    let mut settings = Settings::new();
    settings.selection = Selection::new(&args.select, &args.extend_select, &args.ignore)?;
    settings.include_stubs = args.include_stubs;
    settings.respect_gitignore = !args.no_respect_gitignore;
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    if crate::fix::requested(&args) {
        return crate::fix::run(args, &paths, &settings);
    }
    let report = check_paths(&paths, &settings)?;
    for warning in &report.warnings {
        eprintln!("racelint: warning: {warning}");
    }

    let stdout = std::io::stdout();
    let color = if std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        codespan_color::ColorChoice::Auto
    } else {
        codespan_color::ColorChoice::Never
    };
    let io_result = match args.output_format {
        OutputFormat::Full => {
            let mut out = codespan_color::StandardStream::stdout(color);
            let lookup = |p: &std::path::Path| racelint_linter::display_text(p);
            render::full(&report.diagnostics, &lookup, true, &mut out)
        }
        OutputFormat::Concise => render::concise(&report.diagnostics, true, &mut stdout.lock()),
    };
    io_result.map_err(|e| format!("cannot write output: {e}"))?;

    if !args.quiet {
        let files: BTreeSet<&std::path::Path> = report
            .diagnostics
            .iter()
            .map(|d| d.span.path.as_path())
            .collect();
        let mut out = stdout.lock();
        let checked = plural(report.files_checked, "file");
        let line = if report.diagnostics.is_empty() {
            format!("All checks passed ({checked} checked).")
        } else {
            format!(
                "Found {} in {} ({checked} checked).",
                plural(report.diagnostics.len(), "issue"),
                plural(files.len(), "file")
            )
        };
        writeln!(out, "{line}").map_err(|e| format!("cannot write output: {e}"))?;
    }
    Ok(if report.diagnostics.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

mod codespan_color {
    pub use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};
}

//! Runs racelint over a set of files: discover them, read and summarize each in parallel,
//! analyse the summaries together, run the rules, and turn findings into diagnostics.
//! Used by the command line and by the language server.

mod discover;
pub mod fix;
mod patterns;
mod source;
mod suppress;
mod synchronized;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::OnceLock;

use racelint_analysis::{analyze, AnalysisOptions};
use racelint_diagnostics::{Diagnostic, Related, Span};
use racelint_index::{summarize, LineIndex, ModuleSummary};
use racelint_rules::{Finding, Selection};
use rayon::prelude::*;

pub use discover::{
    discover, module_name, project_context, project_root, Discovery, DEFAULT_EXCLUDES,
};
pub use patterns::{Excludes, FilePatterns};
pub use source::{display_text, read_source, Encoding, SourceText};
pub use suppress::{Linted, PerFileIgnore};

/// Everything that changes what a run finds.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub selection: Selection,
    pub index: racelint_index::Options,
    pub analysis: AnalysisOptions,
    /// Check `*.pyi` stubs found in directories too.
    pub include_stubs: bool,
    /// Honour `.gitignore` and friends while discovering files.
    pub respect_gitignore: bool,
    /// Paths discovery skips.
    pub excludes: Excludes,
    /// Apply `excludes` to paths named explicitly too (pre-commit names every file).
    pub force_exclude: bool,
    /// Rules switched off for the files matching a pattern.
    pub per_file_ignores: Vec<PerFileIgnore>,
    /// Decorators (dotted paths) whose functions run holding a lock.
    pub synchronized_decorators: Vec<String>,
    /// When files are named explicitly, analyse the rest of their project with them (so that
    /// imports and thread entry points resolve) and report on the named files only.
    pub project_context: bool,
}

impl Settings {
    pub fn new() -> Settings {
        Settings {
            respect_gitignore: true,
            ..Settings::default()
        }
    }
}

/// The result of checking a set of files.
#[derive(Debug, Default)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
    pub files_checked: usize,
    /// Problems met while discovering files (symlink loops, unreadable directories).
    pub warnings: Vec<String>,
    /// Diagnostics silenced by `# noqa` or `# racelint:` comments.
    pub suppressed: Vec<Diagnostic>,
}

/// A stack big enough for the parser on the most deeply nested input `prescan` lets through.
const WORKER_STACK: usize = 64 * 1024 * 1024;

/// The thread pool that summarizes files.
pub fn pool() -> &'static rayon::ThreadPool {
    static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .stack_size(WORKER_STACK)
            .thread_name(|i| format!("racelint-{i}"))
            .build()
            .unwrap_or_else(|_| {
                rayon::ThreadPoolBuilder::new()
                    .build()
                    .expect("a rayon pool")
            })
    })
}

/// Reads and summarizes one file. A file that cannot be read or decoded becomes a summary
/// with a problem, reported as RL001.
pub fn summarize_path(path: &Path, overlay: Option<&str>, settings: &Settings) -> ModuleSummary {
    let mut summary = summarize_unsynchronized(path, overlay, settings);
    synchronized::apply(&mut summary, &settings.synchronized_decorators);
    summary
}

fn summarize_unsynchronized(
    path: &Path,
    overlay: Option<&str>,
    settings: &Settings,
) -> ModuleSummary {
    let (module, is_package) = module_name(path);
    match overlay {
        Some(text) => summarize(
            path.to_path_buf(),
            module,
            is_package,
            text,
            &settings.index,
        ),
        None => match read_source(path) {
            Ok(source) => summarize(
                path.to_path_buf(),
                module,
                is_package,
                &source.text,
                &settings.index,
            ),
            Err((problem, _)) => ModuleSummary::unreadable(path.to_path_buf(), module, problem),
        },
    }
}

/// The files to check, the rest of their project read as context (when
/// `settings.project_context` asks for it), and what discovery warned about.
type WithContext = (Vec<PathBuf>, Vec<PathBuf>, Vec<String>);

/// Discovers the files to check and, when asked, the rest of their project (see
/// [`WithContext`]).
pub(crate) fn discover_with_context(
    paths: &[PathBuf],
    settings: &Settings,
) -> Result<WithContext, String> {
    let Discovery {
        files,
        mut warnings,
    } = discover(paths, settings)?;
    let context = if settings.project_context {
        let context = project_context(paths, &files, settings);
        warnings.extend(context.warnings);
        context.files
    } else {
        Vec::new()
    };
    Ok((files, context, warnings))
}

/// Checks files and directories from disk.
pub fn check_paths(paths: &[PathBuf], settings: &Settings) -> Result<Report, String> {
    check_paths_keeping_summaries(paths, settings).map(|(report, _summaries)| report)
}

/// The summaries of every file a check read, handed back by
/// [`check_paths_keeping_summaries`]. Dropping them frees them on the pool (a project's
/// summaries are about a million small allocations: freeing them takes as long as the
/// rules); a process about to exit can [`Summaries::leave_to_exit`] instead.
pub struct Summaries(Vec<ModuleSummary>);

impl Summaries {
    /// Never frees the summaries: for a process that exits next, where the system takes
    /// the memory back at once.
    pub fn leave_to_exit(self) {
        std::mem::forget(self);
    }
}

impl Drop for Summaries {
    fn drop(&mut self) {
        let summaries = std::mem::take(&mut self.0);
        pool().install(|| summaries.into_par_iter().for_each(drop));
    }
}

/// [`check_paths`], handing back the summaries instead of freeing them, so that the caller
/// decides when (and whether) that work is done.
pub fn check_paths_keeping_summaries(
    paths: &[PathBuf],
    settings: &Settings,
) -> Result<(Report, Summaries), String> {
    let (files, context, warnings) = discover_with_context(paths, settings)?;
    let all: Vec<&PathBuf> = files.iter().chain(context.iter()).collect();
    let summaries: Vec<ModuleSummary> = pool().install(|| {
        all.par_iter()
            .map(|p| summarize_path(p, None, settings))
            .collect()
    });
    let report_on: Vec<u32> = (0..files.len() as u32).collect();
    let report_on = (!context.is_empty()).then_some(report_on.as_slice());
    let linted = lint_summaries_with_suppressed(&summaries, report_on, settings, &display_text);
    let report = Report {
        diagnostics: linted.diagnostics,
        files_checked: files.len(),
        warnings,
        suppressed: linted.suppressed,
    };
    Ok((report, Summaries(summaries)))
}

/// Analyses summaries together and returns the diagnostics of the modules in `report_on`
/// (all when `None`). `sources` gives the text of a file for positions and fixes.
pub fn lint_summaries(
    summaries: &[ModuleSummary],
    report_on: Option<&[u32]>,
    settings: &Settings,
    sources: &(dyn Fn(&Path) -> Option<String> + Sync),
) -> Vec<Diagnostic> {
    lint_summaries_with_suppressed(summaries, report_on, settings, sources).diagnostics
}

/// [`lint_summaries`], also returning the diagnostics that `per-file-ignores` and suppression
/// comments silenced (`# noqa`, `# racelint: ignore[...]`; see [`suppress`]).
pub fn lint_summaries_with_suppressed(
    summaries: &[ModuleSummary],
    report_on: Option<&[u32]>,
    settings: &Settings,
    sources: &(dyn Fn(&Path) -> Option<String> + Sync),
) -> Linted {
    // Functions wrapped by the project's own synchronizing decorators, in patched copies.
    let patched = synchronized::apply_detected(summaries);
    let mut views: Vec<&ModuleSummary> = summaries.iter().collect();
    for (i, module) in &patched {
        views[*i] = module;
    }
    // The analysis runs some steps in parallel, and the rules side by side: on the same
    // pool as the summaries.
    let mut findings = pool().install(|| {
        let analysis = analyze(&views, &settings.analysis);
        racelint_rules::check(&analysis, &settings.selection)
    });
    if let Some(modules) = report_on {
        findings.retain(|f| modules.contains(&f.module));
    }
    let diagnostics = materialize(summaries, findings, sources);
    let mut linted = suppress::apply(diagnostics, summaries, report_on, settings, sources);
    racelint_diagnostics::sort_diagnostics(&mut linted.diagnostics);
    racelint_diagnostics::sort_diagnostics(&mut linted.suppressed);
    linted
}

/// Ties findings to file text: line and column positions, related locations.
fn materialize(
    summaries: &[ModuleSummary],
    findings: Vec<Finding>,
    sources: &(dyn Fn(&Path) -> Option<String> + Sync),
) -> Vec<Diagnostic> {
    // Each file with a finding is read once more, for its text and line starts.
    let mut texts: HashMap<u32, Rc<(String, LineIndex)>> = HashMap::new();
    let mut text_of = |module: u32| {
        texts
            .entry(module)
            .or_insert_with(|| {
                let text = sources(&summaries[module as usize].path).unwrap_or_default();
                let index = LineIndex::from_source_text(&text);
                Rc::new((text, index))
            })
            .clone()
    };
    let mut fixes = fix::build_fixes(summaries, &findings, sources).into_iter();
    let mut out = Vec::with_capacity(findings.len());
    for finding in findings {
        let summary = &summaries[finding.module as usize];
        let text = text_of(finding.module);
        let span = span_in(summary, finding.range, &text.0, &text.1);
        let related = finding
            .related
            .iter()
            .map(|(m, range, message)| {
                let other = &summaries[*m as usize];
                let other_text = text_of(*m);
                Related {
                    span: span_in(other, *range, &other_text.0, &other_text.1),
                    message: message.clone(),
                }
            })
            .collect();
        out.push(Diagnostic {
            code: finding.rule.code,
            name: finding.rule.name,
            severity: finding.rule.severity,
            message: finding.message,
            span,
            label: finding.label,
            related,
            notes: finding.notes,
            fix: fixes.next().flatten(),
        });
    }
    out
}

/// A span of a module, clamped to its text (a file changed since it was read stays safe).
fn span_in(
    summary: &ModuleSummary,
    range: ruff_text_size::TextRange,
    text: &str,
    index: &LineIndex,
) -> Span {
    let len = ruff_text_size::TextSize::of(text);
    let start = range.start().min(len);
    let end = range.end().min(len).max(start);
    let mut start = start;
    while !text.is_char_boundary(start.to_usize()) {
        start -= ruff_text_size::TextSize::from(1);
    }
    let mut end = end;
    while !text.is_char_boundary(end.to_usize()) {
        end += ruff_text_size::TextSize::from(1);
    }
    Span::new(
        summary.path.clone(),
        ruff_text_size::TextRange::new(start, end),
        text,
        index,
    )
}

//! Applying fixes to files: lint, apply every compatible fix of each file at once, check that
//! the result still parses, re-lint the whole project (a fix in one file changes what another
//! file's races look like), and repeat until nothing more applies or a pass limit is reached.
//! Nothing touches the disk until the loop is over; then each changed file is replaced
//! atomically (a temporary file beside it, renamed over it, keeping its permissions).

use std::collections::{HashMap, HashSet};
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use racelint_diagnostics::{apply_edits, Applicability, Diagnostic, Edit, Fix};
use racelint_index::ModuleSummary;
use racelint_rules::fix::{parses_cleanly, FileFixer};
use racelint_rules::Finding;
use rayon::prelude::*;

use crate::{display_text, lint_summaries, pool, read_source, summarize_path};
use crate::{Settings, SourceText};

/// Builds the fix of every finding that asks for one (`None` for the others), in the order
/// of `findings`. Each file with such findings is re-parsed once, on the parser's pool.
pub fn build_fixes(
    summaries: &[ModuleSummary],
    findings: &[Finding],
    sources: &(dyn Fn(&Path) -> Option<String> + Sync),
) -> Vec<Option<Fix>> {
    let mut by_module: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, finding) in findings.iter().enumerate() {
        if finding.fix.is_some() && finding.rule.fixable {
            by_module.entry(finding.module).or_default().push(i);
        }
    }
    let mut groups: Vec<(u32, Vec<usize>)> = by_module.into_iter().collect();
    groups.sort_unstable_by_key(|(m, _)| *m);
    let built: Vec<Vec<(usize, Option<Fix>)>> = pool().install(|| {
        groups
            .par_iter()
            .map(|(module, indices)| {
                let Some(summary) = summaries.get(*module as usize) else {
                    return Vec::new();
                };
                let Some(text) = sources(&summary.path) else {
                    return Vec::new();
                };
                let Some(fixer) = FileFixer::new(&text, summary, *module) else {
                    return Vec::new();
                };
                indices
                    .iter()
                    .map(|&i| (i, fixer.fix(&findings[i])))
                    .collect()
            })
            .collect()
    });
    let mut out = vec![None; findings.len()];
    for (i, fix) in built.into_iter().flatten() {
        out[i] = fix;
    }
    out
}

/// How to fix.
#[derive(Clone, Copy, Debug)]
pub struct FixOptions {
    /// Apply unsafe fixes too.
    pub unsafe_fixes: bool,
    /// Write the fixed files (`false` computes the changes only, as `--diff` does).
    pub write: bool,
    /// Most lint-and-fix passes over the project.
    pub max_passes: usize,
}

impl Default for FixOptions {
    fn default() -> FixOptions {
        FixOptions {
            unsafe_fixes: false,
            write: true,
            max_passes: MAX_PASSES,
        }
    }
}

/// Passes before giving up on fixes that keep producing new fixable diagnostics.
pub const MAX_PASSES: usize = 16;

/// A file whose text the fixes changed.
#[derive(Clone, Debug)]
pub struct FileChange {
    pub path: PathBuf,
    pub original: String,
    pub fixed: String,
    /// How many fixes were applied to it.
    pub fixes: usize,
    /// Whether it was written (always `false` without [`FixOptions::write`]).
    pub written: bool,
}

/// What fixing did.
#[derive(Debug, Default)]
pub struct FixReport {
    /// Fixes applied (or, without writing, that would be).
    pub fixed: usize,
    pub changes: Vec<FileChange>,
    /// The diagnostics of the fixed code: what remains.
    pub remaining: Vec<Diagnostic>,
    pub files_checked: usize,
    /// Problems met while discovering files.
    pub warnings: Vec<String>,
    /// Fixes dropped because the file would not parse with them applied.
    pub dropped: Vec<String>,
    /// Files that could not be written.
    pub write_errors: Vec<String>,
    /// Whether the passes stopped because nothing more applied (not at the pass limit).
    pub converged: bool,
}

impl FixReport {
    /// Remaining diagnostics that have a fix the options left out (unsafe ones).
    pub fn fixable_with_unsafe(&self) -> usize {
        self.remaining
            .iter()
            .filter(|d| {
                d.fix
                    .as_ref()
                    .is_some_and(|f| f.applicability == Applicability::Unsafe)
            })
            .count()
    }
}

struct FileState {
    source: SourceText,
    /// The bytes read, to notice a file changed by someone else before writing it.
    bytes: Vec<u8>,
    text: String,
    fixes: usize,
}

/// Discovers the files under `paths` and fixes them, analysed with the rest of their project
/// when `settings.project_context` asks for it (as `check` does).
pub fn fix_paths(
    paths: &[PathBuf],
    settings: &Settings,
    options: FixOptions,
) -> Result<FixReport, String> {
    let (files, context, warnings) = crate::discover_with_context(paths, settings)?;
    let mut report = fix_files(&files, &context, settings, options);
    report.warnings.extend(warnings);
    Ok(report)
}

/// Fixes `files`, analysed together with `context` (files read for their definitions but
/// neither reported on nor changed), and, with [`FixOptions::write`], writes the changed ones.
pub fn fix_files(
    files: &[PathBuf],
    context: &[PathBuf],
    settings: &Settings,
    options: FixOptions,
) -> FixReport {
    let mut states: HashMap<PathBuf, FileState> = pool().install(|| {
        files
            .par_iter()
            .filter_map(|path| {
                let bytes = fs::read(path).ok()?;
                let source = read_source(path).ok()?;
                let text = source.text.clone();
                Some((
                    path.clone(),
                    FileState {
                        source,
                        bytes,
                        text,
                        fixes: 0,
                    },
                ))
            })
            .collect()
    });
    let mut report = FixReport {
        files_checked: files.len(),
        ..FixReport::default()
    };
    let mut rejected: HashSet<(PathBuf, &'static str, String, String)> = HashSet::new();
    let mut passes = 0;
    loop {
        let diagnostics = lint_in_memory(files, context, &states, settings);
        if passes >= options.max_passes.max(1) {
            report.remaining = diagnostics;
            break;
        }
        passes += 1;
        // The fixes to try, per file, in diagnostic order.
        let mut wanted: HashMap<&Path, Vec<(&Diagnostic, &Fix)>> = HashMap::new();
        for d in &diagnostics {
            let Some(fix) = &d.fix else { continue };
            if fix.applicability == Applicability::Unsafe && !options.unsafe_fixes {
                continue;
            }
            let Some(state) = states.get(&d.span.path) else {
                continue;
            };
            if rejected.contains(&rejection_key(d, fix, &state.text)) {
                continue;
            }
            wanted
                .entry(d.span.path.as_path())
                .or_default()
                .push((d, fix));
        }
        let mut work: Vec<(&Path, Vec<(&Diagnostic, &Fix)>)> = wanted.into_iter().collect();
        work.sort_by(|a, b| a.0.cmp(b.0));
        let results: Vec<(PathBuf, Applied)> = pool().install(|| {
            work.par_iter()
                .filter_map(|(path, fixes)| {
                    let state = states.get(*path)?;
                    let only: Vec<&Fix> = fixes.iter().map(|(_, f)| *f).collect();
                    Some((path.to_path_buf(), apply_fixes(&state.text, &only)))
                })
                .collect()
        });
        let mut applied_any = false;
        for (path, applied) in results {
            let fixes = &work
                .iter()
                .find(|(p, _)| *p == path.as_path())
                .map(|(_, f)| f.clone())
                .unwrap_or_default();
            let Some(state) = states.get_mut(&path) else {
                continue;
            };
            for &i in &applied.dropped {
                let (d, fix) = fixes[i];
                report.dropped.push(format!(
                    "{}:{}:{}: {} fix dropped, the file would not parse with it: {}",
                    racelint_diagnostics::render::display_path(&path),
                    d.span.start.line,
                    d.span.start.column,
                    d.code,
                    fix.message
                ));
                rejected.insert(rejection_key(d, fix, &state.text));
            }
            if applied.count > 0 {
                applied_any = true;
                state.text = applied.text;
                state.fixes += applied.count;
                report.fixed += applied.count;
            }
        }
        if !applied_any {
            report.remaining = diagnostics;
            report.converged = true;
            break;
        }
    }
    // A dropped fix is no longer on offer.
    for d in &mut report.remaining {
        let dropped = match (&d.fix, states.get(&d.span.path)) {
            (Some(fix), Some(state)) => rejected.contains(&rejection_key(d, fix, &state.text)),
            _ => false,
        };
        if dropped {
            d.fix = None;
        }
    }

    let mut changes: Vec<FileChange> = Vec::new();
    for path in files {
        let Some(state) = states.get(path) else {
            continue;
        };
        if state.text == state.source.text {
            continue;
        }
        let mut change = FileChange {
            path: path.clone(),
            original: state.source.text.clone(),
            fixed: state.text.clone(),
            fixes: state.fixes,
            written: false,
        };
        if options.write {
            match write_fixed(path, state) {
                Ok(()) => change.written = true,
                Err(err) => report.write_errors.push(format!(
                    "{}: not written: {err}",
                    racelint_diagnostics::render::display_path(path)
                )),
            }
        }
        changes.push(change);
    }
    report.changes = changes;
    report
}

/// Lints the project with the files' current (possibly fixed) texts.
fn lint_in_memory(
    files: &[PathBuf],
    context: &[PathBuf],
    states: &HashMap<PathBuf, FileState>,
    settings: &Settings,
) -> Vec<Diagnostic> {
    let all: Vec<&PathBuf> = files.iter().chain(context).collect();
    let summaries: Vec<ModuleSummary> = pool().install(|| {
        all.par_iter()
            .map(|p| summarize_path(p, states.get(*p).map(|s| s.text.as_str()), settings))
            .collect()
    });
    let sources = |p: &Path| match states.get(p) {
        Some(state) => Some(state.text.clone()),
        None => display_text(p),
    };
    let report_on: Vec<u32> = (0..files.len() as u32).collect();
    let report_on = (!context.is_empty()).then_some(report_on.as_slice());
    lint_summaries(&summaries, report_on, settings, &sources)
}

/// Identifies a fix across passes (its offsets move as other fixes land; its text does not).
fn rejection_key(d: &Diagnostic, fix: &Fix, text: &str) -> (PathBuf, &'static str, String, String) {
    let span = text
        .get(d.span.range.start().to_usize()..d.span.range.end().to_usize())
        .unwrap_or_default();
    (
        d.span.path.clone(),
        d.code,
        fix.message.clone(),
        span.to_string(),
    )
}

/// The result of applying the fixes of one file.
#[derive(Debug)]
pub struct Applied {
    pub text: String,
    /// How many fixes were applied.
    pub count: usize,
    /// Indices of fixes dropped because the file would not parse with them.
    pub dropped: Vec<usize>,
}

/// Applies as many of `fixes` (in order of preference) as do not conflict with each other,
/// keeping the result parseable: when the fixes together break the file, each is tried in
/// turn and those that break it are dropped. Fixes that conflict with an accepted one are
/// left for the next pass. Identical edits of several fixes (the same new lock, the same
/// `import threading`) are made once.
pub fn apply_fixes(source: &str, fixes: &[&Fix]) -> Applied {
    let chosen = compatible(fixes, &[]);
    if chosen.is_empty() {
        return Applied {
            text: source.to_string(),
            count: 0,
            dropped: Vec::new(),
        };
    }
    let text = apply_chosen(source, fixes, &chosen);
    if parses_cleanly(&text) {
        return Applied {
            text,
            count: chosen.len(),
            dropped: Vec::new(),
        };
    }
    // One at a time, keeping those that leave the file parseable.
    let mut accepted: Vec<usize> = Vec::new();
    let mut dropped = Vec::new();
    for &i in &chosen {
        let mut trial = accepted.clone();
        trial.push(i);
        if parses_cleanly(&apply_chosen(source, fixes, &trial)) {
            accepted = trial;
        } else {
            dropped.push(i);
        }
    }
    Applied {
        text: apply_chosen(source, fixes, &accepted),
        count: accepted.len(),
        dropped,
    }
}

/// The fixes, in order, that conflict neither with each other nor with `taken`.
fn compatible(fixes: &[&Fix], taken: &[Edit]) -> Vec<usize> {
    let mut edits: Vec<&Edit> = taken.iter().collect();
    let mut chosen = Vec::new();
    for (i, fix) in fixes.iter().enumerate() {
        let fits = fix
            .edits()
            .iter()
            .all(|e| edits.contains(&e) || !edits.iter().any(|f| conflict(e, f)));
        if fits {
            for e in fix.edits() {
                if !edits.contains(&e) {
                    edits.push(e);
                }
            }
            chosen.push(i);
        }
    }
    chosen
}

/// Whether two different edits cannot both be made: they replace overlapping text, or one
/// inserts inside text the other replaces. Insertions at one point are all made, in order.
fn conflict(a: &Edit, b: &Edit) -> bool {
    let (ra, rb) = (a.range, b.range);
    match (ra.is_empty(), rb.is_empty()) {
        (false, false) => ra.start() < rb.end() && rb.start() < ra.end(),
        (true, false) => rb.start() < ra.start() && ra.start() < rb.end(),
        (false, true) => ra.start() < rb.start() && rb.start() < ra.end(),
        (true, true) => false,
    }
}

fn apply_chosen(source: &str, fixes: &[&Fix], chosen: &[usize]) -> String {
    let mut edits: Vec<&Edit> = Vec::new();
    for &i in chosen {
        for e in fixes[i].edits() {
            if !edits.contains(&e) {
                edits.push(e);
            }
        }
    }
    // Stable: insertions at one point keep the order in which the fixes chose them.
    edits.sort_by_key(|e| (e.range.start(), e.range.end()));
    apply_edits(source, edits.into_iter())
}

/// Encodes a fixed text back to its file's encoding and writes it, unless the file changed
/// on disk since it was read.
fn write_fixed(path: &Path, state: &FileState) -> Result<(), String> {
    let bytes = state
        .source
        .encode(&state.text)
        .ok_or_else(|| "the fixed text cannot be encoded in the file's encoding".to_string())?;
    match fs::read(path) {
        Ok(now) if now == state.bytes => {}
        Ok(_) => return Err("the file changed on disk while racelint was fixing it".into()),
        Err(err) => return Err(err.to_string()),
    }
    write_atomically(path, &bytes).map_err(|e| e.to_string())
}

/// Replaces a file's content atomically: the bytes go to a new file in the same directory,
/// which takes the original's permissions (and, on Unix, its owner where allowed) and is then
/// renamed over it. A symbolic link is followed, so the link stays a link. A read-only file
/// is refused.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let target = fs::canonicalize(path)?;
    let meta = fs::metadata(&target)?;
    if meta.permissions().readonly() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "the file is read-only",
        ));
    }
    let dir = target
        .parent()
        .ok_or_else(|| io::Error::other("the file has no directory"))?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut attempt = 0u32;
    let (tmp, mut file) = loop {
        let tmp = dir.join(format!(
            ".{name}.racelint-{}-{attempt}.tmp",
            std::process::id()
        ));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(file) => break (tmp, file),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1;
            }
            Err(err) => return Err(err),
        }
    };
    let result = (|| {
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::set_permissions(&tmp, meta.permissions())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            // Only root may give a file away; for others this is a no-op or refused.
            let _ = std::os::unix::fs::chown(&tmp, Some(meta.uid()), Some(meta.gid()));
        }
        fs::rename(&tmp, &target)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// A unified diff of a change, with `name` in its headers.
pub fn unified_diff(change: &FileChange, name: &str) -> String {
    similar::TextDiff::from_lines(&change.original, &change.fixed)
        .unified_diff()
        .context_radius(3)
        .header(name, name)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use racelint_diagnostics::{TextRange, TextSize};

    fn fix(edits: Vec<Edit>) -> Fix {
        Fix::new("test", Applicability::Safe, edits).unwrap()
    }

    fn at(n: u32) -> TextSize {
        TextSize::new(n)
    }

    #[test]
    fn shares_identical_edits_and_defers_conflicts() {
        let src = "a = 1\nb = 2\n";
        let import = Edit::insertion(at(0), "import x\n");
        let f1 = fix(vec![
            import.clone(),
            Edit::replacement(TextRange::new(at(0), at(5)), "a = 10"),
        ]);
        let f2 = fix(vec![
            import.clone(),
            Edit::replacement(TextRange::new(at(6), at(11)), "b = 20"),
        ]);
        let f3 = fix(vec![Edit::replacement(TextRange::new(at(4), at(5)), "3")]);
        let applied = apply_fixes(src, &[&f1, &f2, &f3]);
        assert_eq!(applied.text, "import x\na = 10\nb = 20\n");
        assert_eq!(applied.count, 2);
        assert!(applied.dropped.is_empty());
    }

    #[test]
    fn drops_a_fix_that_breaks_the_syntax() {
        let src = "a = 1\nb = 2\n";
        let good = fix(vec![Edit::replacement(TextRange::new(at(4), at(5)), "10")]);
        let bad = fix(vec![Edit::replacement(TextRange::new(at(10), at(11)), "(")]);
        let applied = apply_fixes(src, &[&good, &bad]);
        assert_eq!(applied.text, "a = 10\nb = 2\n");
        assert_eq!(applied.count, 1);
        assert_eq!(applied.dropped, vec![1]);
    }

    #[test]
    fn insertions_at_one_point_all_land_in_order() {
        let src = "x = 1\n";
        let f1 = fix(vec![Edit::insertion(at(0), "a = 1\n")]);
        let f2 = fix(vec![Edit::insertion(at(0), "b = 2\n")]);
        let applied = apply_fixes(src, &[&f1, &f2]);
        assert_eq!(applied.text, "a = 1\nb = 2\nx = 1\n");
    }

    #[cfg(unix)]
    #[test]
    fn atomic_write_keeps_permissions_and_links() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("racelint-write-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let file = dir.join("m.py");
        fs::write(&file, "old\n").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o750)).unwrap();
        let link = dir.join("link.py");
        let _ = fs::remove_file(&link);
        std::os::unix::fs::symlink(&file, &link).unwrap();
        write_atomically(&link, b"new\n").unwrap();
        assert_eq!(fs::read_to_string(&file).unwrap(), "new\n");
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        let mode = fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o750);
        let leftovers: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }
}

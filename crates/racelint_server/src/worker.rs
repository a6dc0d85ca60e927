//! The analysis worker: owns the module summaries of the whole workspace, re-summarizes only
//! what changed, re-runs the (cheap) whole-program analysis, and publishes diagnostics.
//!
//! The main loop forwards every change to the worker as a [`Job`] and never waits for it.
//! The worker takes every job queued before it starts a run, so a burst of edits becomes one
//! run; when edits arrive while a run is going, its results are stale and are dropped, and
//! the worker runs again on the newest text. Requests that need current results (pull
//! diagnostics, "Fix all") queue behind the changes sent before them and are answered after
//! the run that includes those changes.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use lsp_server::{ErrorCode, RequestId, Response};
use lsp_types::{
    CodeAction, CodeActionOrCommand, DocumentDiagnosticReport, DocumentDiagnosticReportResult,
    FullDocumentDiagnosticReport, PublishDiagnosticsParams, RelatedFullDocumentDiagnosticReport,
    RelatedUnchangedDocumentDiagnosticReport, TextEdit, UnchangedDocumentDiagnosticReport, Uri,
};
use racelint_diagnostics::{Applicability, Diagnostic};
use racelint_index::ModuleSummary;
use racelint_linter::{discover, lint_summaries, pool, read_source, summarize_path};
use rayon::prelude::*;
use ruff_text_size::{TextRange, TextSize};

use crate::actions::{fix_all_kind, workspace_edit};
use crate::convert::Encoding;
use crate::diagnostics::{to_lsp, uri_for, FileText, Files};
use crate::log::Client;
use crate::settings::Effective;

/// Work for the worker, in the order the client sent it.
pub enum Job {
    Open {
        path: PathBuf,
        uri: Uri,
        version: i32,
        text: Arc<str>,
    },
    Change {
        path: PathBuf,
        version: i32,
        text: Arc<str>,
    },
    Save {
        path: PathBuf,
    },
    Close {
        path: PathBuf,
    },
    /// Files changed on disk (watched-file notifications).
    Files {
        changed: Vec<PathBuf>,
        deleted: Vec<PathBuf>,
        created: bool,
    },
    Settings(Box<Effective>),
    /// The workspace roots changed (or the project configuration did): index again.
    Roots(Vec<PathBuf>),
    Pull {
        id: RequestId,
        path: Option<PathBuf>,
        previous: Option<String>,
    },
    /// A code-action request that wants "Fix all": the worker adds it to `actions` (the
    /// quick fixes the main loop found) and answers.
    FixAll {
        id: RequestId,
        path: PathBuf,
        actions: Vec<CodeActionOrCommand>,
    },
    Cancel(RequestId),
}

/// The diagnostics last computed for each open document, shared with the main loop for
/// hovers and for code actions on diagnostics sent back without `data`.
#[derive(Default)]
pub struct Published {
    pub by_path: HashMap<PathBuf, (i32, Vec<lsp_types::Diagnostic>)>,
}

pub type Shared = Arc<Mutex<Published>>;

struct OpenDoc {
    uri: Uri,
    version: i32,
    text: Arc<str>,
}

enum Pending {
    Pull {
        id: RequestId,
        path: Option<PathBuf>,
        previous: Option<String>,
    },
    FixAll {
        id: RequestId,
        path: PathBuf,
        actions: Vec<CodeActionOrCommand>,
    },
}

impl Pending {
    fn id(&self) -> &RequestId {
        match self {
            Pending::Pull { id, .. } | Pending::FixAll { id, .. } => id,
        }
    }
}

/// How a client receives diagnostics.
#[derive(Clone, Copy, Debug)]
pub struct Delivery {
    /// The client pulls (`textDocument/diagnostic`); otherwise the server publishes.
    pub pull: bool,
    /// The client accepts `workspace/diagnostic/refresh`.
    pub refresh: bool,
    /// The client accepts versioned `documentChanges` in workspace edits.
    pub document_changes: bool,
}

/// Quiet time after an edit before a run starts.
const DEBOUNCE: Duration = Duration::from_millis(3);
/// The longest a run waits for edits to stop.
const DEBOUNCE_LIMIT: Duration = Duration::from_millis(25);

/// Results older than this are published even while edits keep arriving, so a client that
/// types without pause still sees diagnostics now and then.
const MAX_STALENESS: Duration = Duration::from_millis(1000);

/// Passes of "Fix all": fixes that touch the same place are applied in later passes.
const MAX_FIX_PASSES: usize = 10;

pub struct Worker {
    client: Client,
    jobs: Receiver<Job>,
    encoding: Encoding,
    delivery: Delivery,
    settings: Effective,
    roots: Vec<PathBuf>,
    modules: Vec<ModuleSummary>,
    by_path: HashMap<PathBuf, usize>,
    /// Files found by discovering the roots (closed files outside them are not analysed).
    indexed: HashSet<PathBuf>,
    open: HashMap<PathBuf, OpenDoc>,
    dirty: HashSet<PathBuf>,
    needs_index: bool,
    needs_lint: bool,
    /// Open documents to publish even when their diagnostics did not change.
    force_publish: HashSet<PathBuf>,
    /// Documents edited since the last publish (stale-result detection, pull refresh).
    edited: HashSet<PathBuf>,
    edits_seen: u64,
    /// What was last published (push) or computed (pull) per open document.
    last: HashMap<PathBuf, Vec<lsp_types::Diagnostic>>,
    /// Pull: the result id the client holds per document.
    reported: HashMap<PathBuf, String>,
    /// racelint diagnostics of the last run per open document (for "Fix all").
    results: HashMap<PathBuf, Vec<Diagnostic>>,
    pending: Vec<Pending>,
    shared: Shared,
}

impl Worker {
    pub fn new(
        client: Client,
        jobs: Receiver<Job>,
        encoding: Encoding,
        delivery: Delivery,
        settings: Effective,
        roots: Vec<PathBuf>,
        shared: Shared,
    ) -> Worker {
        Worker {
            client,
            jobs,
            encoding,
            delivery,
            settings,
            roots,
            modules: Vec::new(),
            by_path: HashMap::new(),
            indexed: HashSet::new(),
            open: HashMap::new(),
            dirty: HashSet::new(),
            needs_index: true,
            needs_lint: false,
            force_publish: HashSet::new(),
            edited: HashSet::new(),
            edits_seen: 0,
            last: HashMap::new(),
            reported: HashMap::new(),
            results: HashMap::new(),
            pending: Vec::new(),
            shared,
        }
    }

    /// Runs until the main loop goes away.
    pub fn run(mut self) {
        while let Ok(job) = self.jobs.recv() {
            let edit = matches!(job, Job::Change { .. });
            self.apply(job);
            if edit {
                self.debounce();
            }
            self.drain();
            let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| self.work()));
            if outcome.is_err() {
                // A run may have stopped half-way through changing the workspace model:
                // rebuild it from scratch before the next run.
                self.client
                    .error("internal error while analysing; indexing the workspace again");
                self.fail_pending("internal error while analysing");
                self.needs_index = true;
                self.needs_lint = true;
                if std::panic::catch_unwind(AssertUnwindSafe(|| self.work())).is_err() {
                    self.needs_lint = false;
                    self.fail_pending("internal error while analysing");
                }
            }
        }
    }

    /// After an edit, waits until the edits stop for [`DEBOUNCE`] (at most
    /// [`DEBOUNCE_LIMIT`] in all), so that a burst of keystrokes becomes one run.
    fn debounce(&mut self) {
        let started = Instant::now();
        while started.elapsed() < DEBOUNCE_LIMIT {
            match self.jobs.recv_timeout(DEBOUNCE) {
                Ok(job) => {
                    let urgent = matches!(job, Job::Pull { .. } | Job::FixAll { .. });
                    self.apply(job);
                    if urgent {
                        return;
                    }
                }
                Err(_) => return,
            }
        }
    }

    /// Takes every job already queued.
    fn drain(&mut self) {
        while let Ok(job) = self.jobs.try_recv() {
            self.apply(job);
        }
    }

    fn apply(&mut self, job: Job) {
        match job {
            Job::Open {
                path,
                uri,
                version,
                text,
            } => {
                self.open
                    .insert(path.clone(), OpenDoc { uri, version, text });
                self.touch(path.clone());
                self.force_publish.insert(path);
            }
            Job::Change {
                path,
                version,
                text,
            } => {
                if let Some(doc) = self.open.get_mut(&path) {
                    doc.version = version;
                    doc.text = text;
                    self.touch(path.clone());
                    self.force_publish.insert(path);
                }
            }
            Job::Save { path } => {
                if self.open.contains_key(&path) {
                    self.force_publish.insert(path);
                    self.needs_lint = true;
                }
            }
            Job::Close { path } => {
                if let Some(doc) = self.open.remove(&path) {
                    self.last.remove(&path);
                    self.reported.remove(&path);
                    self.results.remove(&path);
                    self.force_publish.remove(&path);
                    if let Ok(mut shared) = self.shared.lock() {
                        shared.by_path.remove(&path);
                    }
                    if !self.delivery.pull {
                        self.client
                            .notify::<lsp_types::notification::PublishDiagnostics>(
                                PublishDiagnosticsParams {
                                    uri: doc.uri,
                                    diagnostics: Vec::new(),
                                    version: None,
                                },
                            );
                    }
                    // The file on disk may differ from the closed buffer, or not exist.
                    self.touch(path);
                }
            }
            Job::Files {
                changed,
                deleted,
                created,
            } => {
                for path in changed.into_iter().chain(deleted) {
                    if !self.open.contains_key(&path)
                        && (self.indexed.contains(&path) || self.by_path.contains_key(&path))
                    {
                        self.dirty.insert(path);
                        self.needs_lint = true;
                    }
                }
                if created {
                    self.discover_new_files();
                }
            }
            Job::Settings(settings) => {
                // A new rule selection needs a new analysis only; anything else (what the
                // summarizer recognizes, which files are discovered) a new index.
                let reindex = index_key(&settings.linter) != index_key(&self.settings.linter);
                self.settings = *settings;
                if reindex {
                    self.needs_index = true;
                }
                self.needs_lint = true;
            }
            Job::Roots(roots) => {
                self.roots = roots;
                self.needs_index = true;
            }
            Job::Pull { id, path, previous } => {
                self.pending.push(Pending::Pull { id, path, previous });
            }
            Job::FixAll { id, path, actions } => {
                self.pending.push(Pending::FixAll { id, path, actions });
            }
            Job::Cancel(id) => {
                if let Some(i) = self.pending.iter().position(|p| p.id() == &id) {
                    let pending = self.pending.remove(i);
                    self.client.respond(Response::new_err(
                        pending.id().clone(),
                        ErrorCode::RequestCanceled as i32,
                        "canceled".into(),
                    ));
                }
            }
        }
    }

    fn touch(&mut self, path: PathBuf) {
        self.edited.insert(path.clone());
        self.edits_seen += 1;
        self.dirty.insert(path);
        self.needs_lint = true;
    }

    fn work(&mut self) {
        while self.needs_index {
            self.needs_index = false;
            self.index();
            self.drain();
        }
        let mut first_dropped: Option<Instant> = None;
        while self.needs_lint {
            self.needs_lint = false;
            let edits_before = self.edits_seen;
            let outcome = self.lint();
            self.drain();
            let stale = self.edits_seen != edits_before;
            if stale && !self.needs_index {
                let since = *first_dropped.get_or_insert_with(Instant::now);
                if since.elapsed() < MAX_STALENESS {
                    self.client
                        .debug("dropped a stale run; newer edits arrived");
                    continue;
                }
            }
            self.publish(outcome);
            first_dropped = None;
            while self.needs_index {
                self.needs_index = false;
                self.index();
                self.drain();
            }
        }
        self.answer_pending();
    }

    /// Discovers the roots and summarizes every file, in parallel.
    fn index(&mut self) {
        let started = Instant::now();
        let found = if self.roots.is_empty() {
            Vec::new()
        } else {
            match discover(&self.roots, &self.settings.linter) {
                Ok(d) => {
                    for w in &d.warnings {
                        self.client.warn(w);
                    }
                    d.files
                }
                Err(e) => {
                    self.client.warn(format!("cannot index the workspace: {e}"));
                    Vec::new()
                }
            }
        };
        let mut paths: Vec<PathBuf> = found.clone();
        for path in self.open.keys() {
            if !paths.contains(path) {
                paths.push(path.clone());
            }
        }
        let open = &self.open;
        let settings = &self.settings.linter;
        let modules: Vec<ModuleSummary> = pool().install(|| {
            paths
                .par_iter()
                .map(|p| summarize_path(p, open.get(p).map(|d| &*d.text), settings))
                .collect()
        });
        self.indexed = found.into_iter().collect();
        self.by_path = modules
            .iter()
            .enumerate()
            .map(|(i, m)| (m.path.clone(), i))
            .collect();
        self.modules = modules;
        self.dirty.clear();
        self.needs_lint = true;
        self.client.info(format!(
            "indexed {} files in {} ms",
            self.modules.len(),
            started.elapsed().as_millis()
        ));
    }

    /// Adds files created in the roots since the last index.
    fn discover_new_files(&mut self) {
        if self.roots.is_empty() {
            return;
        }
        if let Ok(d) = discover(&self.roots, &self.settings.linter) {
            for path in d.files {
                if self.indexed.insert(path.clone()) {
                    self.dirty.insert(path);
                    self.needs_lint = true;
                }
            }
        }
    }

    /// Re-summarizes the files that changed; drops those that are gone.
    fn resummarize(&mut self) {
        if self.dirty.is_empty() {
            return;
        }
        let work: Vec<(PathBuf, Option<Arc<str>>)> = self
            .dirty
            .drain()
            .map(|p| {
                let text = self.open.get(&p).map(|d| d.text.clone());
                (p, text)
            })
            .collect();
        let settings = &self.settings.linter;
        let indexed = &self.indexed;
        let fresh: Vec<(PathBuf, Option<ModuleSummary>)> = pool().install(|| {
            work.into_par_iter()
                .map(|(path, text)| {
                    let summary = match text {
                        Some(text) => Some(summarize_path(&path, Some(&text), settings)),
                        None if indexed.contains(&path) && path.is_file() => {
                            Some(summarize_path(&path, None, settings))
                        }
                        None => None,
                    };
                    (path, summary)
                })
                .collect()
        });
        for (path, summary) in fresh {
            match (summary, self.by_path.get(&path).copied()) {
                (Some(summary), Some(i)) => self.modules[i] = summary,
                (Some(summary), None) => {
                    self.by_path.insert(path, self.modules.len());
                    self.modules.push(summary);
                }
                (None, Some(i)) => {
                    self.indexed.remove(&path);
                    self.by_path.remove(&path);
                    self.modules.swap_remove(i);
                    if let Some(moved) = self.modules.get(i) {
                        self.by_path.insert(moved.path.clone(), i);
                    }
                }
                (None, None) => {}
            }
        }
    }

    /// The text a path has for the analysis: the editor's for open documents, else the disk's.
    fn source_of(open: &HashMap<PathBuf, OpenDoc>, path: &Path) -> Option<String> {
        match open.get(path) {
            Some(doc) => Some(doc.text.to_string()),
            None => read_source(path).ok().map(|s| s.text),
        }
    }

    /// Analyses the workspace; returns the diagnostics of the open documents.
    fn lint(&mut self) -> HashMap<PathBuf, Vec<Diagnostic>> {
        let started = Instant::now();
        let resummarized = self.dirty.len();
        self.resummarize();
        let summarized = started.elapsed();
        let report_on: Vec<u32> = self
            .open
            .keys()
            .filter_map(|p| self.by_path.get(p).map(|&i| i as u32))
            .collect();
        let outcome = self.lint_modules(&report_on);
        if self.client.enabled(crate::log::Level::Debug) {
            self.client.debug(format!(
                "run: summarized {resummarized} files in {:.1} ms, analysed {} modules in {:.1} ms",
                summarized.as_secs_f64() * 1000.0,
                self.modules.len(),
                (started.elapsed() - summarized).as_secs_f64() * 1000.0
            ));
        }
        outcome
    }

    fn lint_modules(&self, report_on: &[u32]) -> HashMap<PathBuf, Vec<Diagnostic>> {
        let open = &self.open;
        let sources = |p: &Path| Self::source_of(open, p);
        let diagnostics = lint_summaries(
            &self.modules,
            Some(report_on),
            &self.settings.linter,
            &sources,
        );
        let mut by_path: HashMap<PathBuf, Vec<Diagnostic>> = HashMap::new();
        for d in diagnostics {
            by_path.entry(d.span.path.clone()).or_default().push(d);
        }
        by_path
    }

    fn load_file(&self, path: &Path) -> Option<FileText> {
        match self.open.get(path) {
            Some(doc) => Some(FileText::new(
                doc.uri.clone(),
                doc.text.clone(),
                Some(doc.version),
            )),
            None => {
                let text = read_source(path).ok()?.text;
                Some(FileText::new(uri_for(path)?, text.into(), None))
            }
        }
    }

    fn convert(
        &self,
        diagnostics: &[Diagnostic],
        files: &mut Files<'_>,
        path: &Path,
    ) -> Vec<lsp_types::Diagnostic> {
        let Some(file) = files.get(path) else {
            return Vec::new();
        };
        diagnostics
            .iter()
            .map(|d| to_lsp(d, &file, files, self.encoding))
            .collect()
    }

    fn publish(&mut self, mut outcome: HashMap<PathBuf, Vec<Diagnostic>>) {
        let started = Instant::now();
        let load = |p: &Path| self.load_file(p);
        let mut files = Files::new(&load);
        let mut refresh = false;
        let mut converted = Vec::new();
        let mut publish = Vec::new();
        for (path, doc) in &self.open {
            let diagnostics = outcome.remove(path).unwrap_or_default();
            let lsp = self.convert(&diagnostics, &mut files, path);
            let changed = self.last.get(path) != Some(&lsp);
            if self.delivery.pull {
                let unseen_change = !self.edited.contains(path)
                    && self
                        .reported
                        .get(path)
                        .is_some_and(|id| *id != result_id(&lsp));
                refresh |= unseen_change;
            } else if changed || self.force_publish.contains(path) {
                publish.push(PublishDiagnosticsParams {
                    uri: doc.uri.clone(),
                    diagnostics: lsp.clone(),
                    version: Some(doc.version),
                });
            }
            converted.push((path.clone(), doc.version, diagnostics, lsp));
        }
        drop(files);
        // Stored before they are published: a client that asks for code actions as soon as
        // it sees the diagnostics must find them.
        if let Ok(mut shared) = self.shared.lock() {
            for (path, version, _, lsp) in &converted {
                shared.by_path.insert(path.clone(), (*version, lsp.clone()));
            }
        }
        for params in publish {
            self.client
                .notify::<lsp_types::notification::PublishDiagnostics>(params);
        }
        for (path, _, diagnostics, lsp) in converted {
            self.results.insert(path.clone(), diagnostics);
            self.last.insert(path, lsp);
        }
        self.force_publish.clear();
        self.edited.clear();
        if self.client.enabled(crate::log::Level::Debug) {
            self.client.debug(format!(
                "run: converted and published in {:.1} ms",
                started.elapsed().as_secs_f64() * 1000.0
            ));
        }
        if refresh && self.delivery.refresh {
            self.client
                .request::<lsp_types::request::WorkspaceDiagnosticRefresh>("refresh", ());
        }
    }

    fn fail_pending(&mut self, message: &str) {
        for pending in std::mem::take(&mut self.pending) {
            self.client.respond(Response::new_err(
                pending.id().clone(),
                ErrorCode::InternalError as i32,
                message.to_string(),
            ));
        }
    }

    fn answer_pending(&mut self) {
        for pending in std::mem::take(&mut self.pending) {
            match pending {
                Pending::Pull { id, path, previous } => {
                    let report = self.pull(path.as_deref(), previous);
                    self.client.respond(Response::new_ok(id, report));
                }
                Pending::FixAll {
                    id,
                    path,
                    mut actions,
                } => {
                    if let Some(action) = self.fix_all_action(&path) {
                        actions.push(CodeActionOrCommand::CodeAction(action));
                    }
                    self.client.respond(Response::new_ok(id, actions));
                }
            }
        }
    }

    /// A pull report: the open document's current diagnostics, or a closed indexed file's.
    fn pull(
        &mut self,
        path: Option<&Path>,
        previous: Option<String>,
    ) -> DocumentDiagnosticReportResult {
        let items = match path {
            Some(path) if self.open.contains_key(path) => {
                self.last.get(path).cloned().unwrap_or_default()
            }
            Some(path) => match self.by_path.get(path) {
                Some(&i) => {
                    let mut outcome = self.lint_modules(&[i as u32]);
                    let diagnostics = outcome.remove(path).unwrap_or_default();
                    let load = |p: &Path| self.load_file(p);
                    let mut files = Files::new(&load);
                    self.convert(&diagnostics, &mut files, path)
                }
                None => Vec::new(),
            },
            None => Vec::new(),
        };
        let id = result_id(&items);
        if let Some(path) = path.filter(|p| self.open.contains_key(*p)) {
            self.reported.insert(path.to_path_buf(), id.clone());
        }
        if previous.as_deref() == Some(id.as_str()) {
            return DocumentDiagnosticReportResult::Report(DocumentDiagnosticReport::Unchanged(
                RelatedUnchangedDocumentDiagnosticReport {
                    related_documents: None,
                    unchanged_document_diagnostic_report: UnchangedDocumentDiagnosticReport {
                        result_id: id,
                    },
                },
            ));
        }
        DocumentDiagnosticReportResult::Report(DocumentDiagnosticReport::Full(
            RelatedFullDocumentDiagnosticReport {
                related_documents: None,
                full_document_diagnostic_report: FullDocumentDiagnosticReport {
                    result_id: Some(id),
                    items,
                },
            },
        ))
    }

    /// "Fix all": applies the applicable fixes of the document, re-analysing between passes
    /// so fixes that touch the same place (two new locks after the imports) are each applied
    /// once, until nothing is left to fix. One edit replaces the part of the text that
    /// changed. `None` when there is nothing to fix.
    fn fix_all_action(&mut self, path: &Path) -> Option<CodeAction> {
        let doc = self.open.get(path)?;
        let (uri, version, original) = (doc.uri.clone(), doc.version, doc.text.clone());
        let index = *self.by_path.get(path)?;
        let allow_unsafe = self.settings.unsafe_fixes;
        let applicable = |d: &Diagnostic| {
            d.fix
                .as_ref()
                .is_some_and(|f| f.applicability == Applicability::Safe || allow_unsafe)
        };
        let mut diagnostics: Vec<Diagnostic> = self
            .results
            .get(path)
            .map(|ds| ds.iter().filter(|d| applicable(d)).cloned().collect())
            .unwrap_or_default();
        if diagnostics.is_empty() {
            return None;
        }
        let saved = self.modules[index].clone();
        let saved_doc_text = original.clone();
        let mut text = original.to_string();
        let syntax_errors_before = saved.syntax_errors.len();
        let mut ok = true;
        for _ in 0..MAX_FIX_PASSES {
            let mut fixes: Vec<&racelint_diagnostics::Fix> =
                diagnostics.iter().filter_map(|d| d.fix.as_ref()).collect();
            if fixes.is_empty() {
                break;
            }
            fixes.sort_by_key(|f| (f.range().start(), f.range().end()));
            let mut edits = Vec::new();
            let mut last_end: Option<TextSize> = None;
            for fix in fixes {
                if last_end.is_some_and(|end| fix.range().start() <= end) {
                    continue;
                }
                if fix
                    .edits()
                    .iter()
                    .any(|e| e.range.end().to_usize() > text.len())
                {
                    continue;
                }
                last_end = Some(fix.range().end());
                edits.extend(fix.edits().iter().cloned());
            }
            text = racelint_diagnostics::apply_edits(&text, edits.iter());
            let summary = summarize_path(path, Some(&text), &self.settings.linter);
            if summary.syntax_errors.len() > syntax_errors_before || summary.problem.is_some() {
                ok = false;
                break;
            }
            self.modules[index] = summary;
            if let Some(doc) = self.open.get_mut(path) {
                doc.text = text.as_str().into();
            }
            let mut outcome = self.lint_modules(&[index as u32]);
            diagnostics = outcome
                .remove(path)
                .unwrap_or_default()
                .into_iter()
                .filter(|d| applicable(d))
                .collect();
        }
        // Put the workspace back as the editor has it.
        self.modules[index] = saved;
        if let Some(doc) = self.open.get_mut(path) {
            doc.text = saved_doc_text;
        }
        if !ok {
            self.client
                .warn("\"Fix all\" would introduce a syntax error; nothing was changed");
            return None;
        }
        if text == *original {
            return None;
        }
        let (range, replacement) = minimal_replacement(&original, &text);
        let file = FileText::new(uri.clone(), original, Some(version));
        let edit = TextEdit {
            range: file.at(self.encoding).range(range),
            new_text: replacement,
        };
        Some(CodeAction {
            title: "Apply every racelint fix".into(),
            kind: Some(fix_all_kind()),
            diagnostics: None,
            edit: Some(workspace_edit(
                &uri,
                Some(version),
                vec![edit],
                self.delivery.document_changes,
            )),
            command: None,
            is_preferred: None,
            disabled: None,
            data: None,
        })
    }
}

/// The settings that shape summaries and discovery, as text (everything but the selection).
fn index_key(settings: &racelint_linter::Settings) -> String {
    let mut settings = settings.clone();
    settings.selection = Default::default();
    format!("{settings:?}")
}

/// The smallest range of `old` to replace (and its replacement) to turn it into `new`.
fn minimal_replacement(old: &str, new: &str) -> (TextRange, String) {
    let prefix = old
        .char_indices()
        .zip(new.chars())
        .take_while(|((_, a), b)| a == b)
        .last()
        .map_or(0, |((i, a), _)| i + a.len_utf8());
    let old_rest = &old[prefix..];
    let new_rest = &new[prefix..];
    let suffix = old_rest
        .chars()
        .rev()
        .zip(new_rest.chars().rev())
        .take_while(|(a, b)| a == b)
        .map(|(a, _)| a.len_utf8())
        .sum::<usize>();
    let old_end = old.len() - suffix;
    let new_end = new.len() - suffix;
    (
        TextRange::new(TextSize::new(prefix as u32), TextSize::new(old_end as u32)),
        new[prefix..new_end].to_string(),
    )
}

/// A result id for a set of diagnostics: equal sets, equal ids.
fn result_id(items: &[lsp_types::Diagnostic]) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    serde_json::to_string(items)
        .unwrap_or_default()
        .hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_replacement_covers_only_the_change() {
        let (range, text) = minimal_replacement("a = 1\nb = 2\n", "a = 1\nwith l:\n    b = 2\n");
        assert_eq!(range, TextRange::new(TextSize::new(6), TextSize::new(6)));
        assert_eq!(text, "with l:\n    ");
        let (range, text) = minimal_replacement("é1é", "é2é");
        assert_eq!(range, TextRange::new(TextSize::new(2), TextSize::new(3)));
        assert_eq!(text, "2");
        let (range, text) = minimal_replacement("aaa", "aa");
        assert_eq!(range.len(), TextSize::new(1));
        assert_eq!(text, "");
    }
}

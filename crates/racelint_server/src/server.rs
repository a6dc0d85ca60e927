//! The main loop: the LSP lifecycle, documents, settings, and dispatch. Mutations (open,
//! change, close, settings) update the loop's own copy of the documents and are forwarded to
//! the analysis worker; hovers and quick fixes are answered here at once from the document
//! text and the diagnostics' `data`; requests that need fresh analysis go to the worker.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::Sender;
use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionParams, CodeActionProviderCapability,
    DiagnosticOptions, DiagnosticServerCapabilities, DidChangeTextDocumentParams,
    DidChangeWatchedFilesParams, DidChangeWatchedFilesRegistrationOptions,
    DidChangeWorkspaceFoldersParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    DidSaveTextDocumentParams, DocumentDiagnosticParams, FileChangeType, FileSystemWatcher,
    GlobPattern, HoverParams, HoverProviderCapability, InitializeResult, Registration,
    RegistrationParams, SaveOptions, ServerCapabilities, ServerInfo, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextDocumentSyncOptions, TextDocumentSyncSaveOptions, Uri,
    WorkDoneProgressOptions, WorkspaceFoldersServerCapabilities, WorkspaceServerCapabilities,
};
use serde_json::Value;

use crate::actions::{fix_all_kind, quick_fixes, DocumentView, Wanted};
use crate::convert::{apply_change, uri_to_path, Encoding};
use crate::log::{Client, Level};
use crate::settings::{resolve, ClientSettings, Effective, CONFIG_FILES};
use crate::transport::{error_response, Incoming, Transport};
use crate::worker::{Delivery, Job, Published, Shared, Worker};

/// Files whose changes the server asks the client to report.
const WATCHED: &[&str] = &[
    "**/*.py",
    "**/*.pyi",
    "**/pyproject.toml",
    "**/racelint.toml",
    "**/.racelint.toml",
];

/// What the client said it can do, read leniently from `initialize`.
#[derive(Clone, Copy, Debug, Default)]
struct Capabilities {
    pull: bool,
    refresh: bool,
    document_changes: bool,
    watch_files: bool,
    configuration: bool,
}

struct Document {
    uri: Uri,
    /// `None` for documents that are not files (`untitled:`); those are not analysed.
    path: Option<PathBuf>,
    version: i32,
    text: String,
}

struct Session {
    client: Client,
    encoding: Encoding,
    caps: Capabilities,
    roots: Vec<PathBuf>,
    docs: HashMap<String, Document>,
    client_settings: ClientSettings,
    effective: Effective,
    jobs: Sender<Job>,
    shared: Shared,
    shutdown: bool,
}

/// Runs a server on a transport until `exit` or the end of the input. Returns the process
/// exit code: 0 after `shutdown` then `exit`, 1 otherwise (as LSP specifies).
pub fn run(transport: Transport) -> u8 {
    let client = Client::new(transport.sender.clone());
    let incoming = transport.receiver;

    // Until `initialize`: only `initialize` and `exit` mean something.
    let (mut session, worker) = loop {
        let Ok(message) = incoming.recv() else {
            return 1;
        };
        match message {
            Incoming::Malformed { id, code, message } => {
                client.send_raw(error_response(id, code, &message));
            }
            Incoming::Message(Message::Request(request)) if request.method == "initialize" => {
                match initialize(&client, request.params) {
                    Ok((result, session_and_worker)) => {
                        client.respond(Response::new_ok(request.id, result));
                        break session_and_worker;
                    }
                    Err(message) => client.respond(Response::new_err(
                        request.id,
                        ErrorCode::InvalidParams as i32,
                        message,
                    )),
                }
            }
            Incoming::Message(Message::Request(request)) => {
                client.respond(Response::new_err(
                    request.id,
                    ErrorCode::ServerNotInitialized as i32,
                    format!("`{}` before `initialize`", request.method),
                ));
            }
            Incoming::Message(Message::Notification(n)) if n.method == "exit" => {
                return 1;
            }
            Incoming::Message(_) => {}
        }
    };
    let worker_thread = std::thread::Builder::new()
        .name("racelint-analysis".into())
        .stack_size(64 * 1024 * 1024)
        .spawn(move || worker.run());
    if let Err(e) = worker_thread {
        eprintln!("racelint server: cannot start the analysis thread: {e}");
        return 1;
    }

    let code = loop {
        let Ok(message) = incoming.recv() else {
            break if session.shutdown { 0 } else { 1 };
        };
        match message {
            Incoming::Malformed { id, code, message } => {
                session.client.warn(format!("malformed message: {message}"));
                session.client.send_raw(error_response(id, code, &message));
            }
            Incoming::Message(Message::Notification(n)) if n.method == "exit" => {
                break if session.shutdown { 0 } else { 1 };
            }
            Incoming::Message(Message::Request(request)) => {
                let id = request.id.clone();
                let method = request.method.clone();
                let outcome =
                    std::panic::catch_unwind(AssertUnwindSafe(|| session.request(request)));
                if outcome.is_err() {
                    session
                        .client
                        .error(format!("internal error handling `{method}`"));
                    session.client.respond(Response::new_err(
                        id,
                        ErrorCode::InternalError as i32,
                        format!("internal error handling `{method}`"),
                    ));
                }
            }
            Incoming::Message(Message::Notification(n)) => {
                let method = n.method.clone();
                let outcome =
                    std::panic::catch_unwind(AssertUnwindSafe(|| session.notification(n)));
                if outcome.is_err() {
                    session
                        .client
                        .error(format!("internal error handling `{method}`"));
                }
            }
            Incoming::Message(Message::Response(response)) => session.response(response),
        }
    };
    session.client.flush(Duration::from_secs(2));
    code
}

/// Reads `initialize`, answers with the server's capabilities, and prepares the session and
/// the worker (which starts indexing the roots at once).
fn initialize(
    client: &Client,
    params: Value,
) -> Result<(InitializeResult, (Session, Worker)), String> {
    if !(params.is_object() || params.is_null()) {
        return Err("`initialize` params must be an object".into());
    }
    let caps_value = params.get("capabilities").cloned().unwrap_or(Value::Null);
    let flag = |path: &[&str]| -> bool {
        let mut v = &caps_value;
        for key in path {
            match v.get(key) {
                Some(next) => v = next,
                None => return false,
            }
        }
        v.as_bool().unwrap_or(false)
    };
    let present = |path: &[&str]| -> bool {
        let mut v = &caps_value;
        for key in path {
            match v.get(key) {
                Some(next) => v = next,
                None => return false,
            }
        }
        v.is_object()
    };
    let caps = Capabilities {
        pull: present(&["textDocument", "diagnostic"]),
        refresh: flag(&["workspace", "diagnostics", "refreshSupport"]),
        document_changes: flag(&["workspace", "workspaceEdit", "documentChanges"]),
        watch_files: flag(&["workspace", "didChangeWatchedFiles", "dynamicRegistration"]),
        configuration: flag(&["workspace", "configuration"]),
    };
    let offered: Option<Vec<lsp_types::PositionEncodingKind>> = caps_value
        .pointer("/general/positionEncodings")
        .and_then(|v| serde_json::from_value(v.clone()).ok());
    let encoding = Encoding::negotiate(offered.as_deref());

    let mut roots = Vec::new();
    if let Some(Value::Array(folders)) = params.get("workspaceFolders") {
        for folder in folders {
            if let Some(path) = folder
                .get("uri")
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<Uri>().ok())
                .and_then(|u| uri_to_path(&u))
            {
                roots.push(path);
            }
        }
    }
    if roots.is_empty() {
        if let Some(path) = params
            .get("rootUri")
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<Uri>().ok())
            .and_then(|u| uri_to_path(&u))
        {
            roots.push(path);
        } else if let Some(path) = params.get("rootPath").and_then(Value::as_str) {
            roots.push(PathBuf::from(path));
        }
    }
    roots.retain(|r| r.is_dir());
    roots.dedup();

    let (client_settings, problems) =
        ClientSettings::from_value(params.get("initializationOptions").unwrap_or(&Value::Null));
    if let Some(level) = client_settings.log_level {
        client.set_level(level);
    }
    for p in problems {
        client.show(Level::Warn, format!("initializationOptions: {p}"));
    }
    let (effective, problems) = resolve(&roots, &client_settings);
    for p in problems {
        client.show(Level::Warn, p);
    }

    let (jobs_tx, jobs_rx) = crossbeam_channel::unbounded();
    let shared: Shared = Arc::new(std::sync::Mutex::new(Published::default()));
    let worker = Worker::new(
        client.clone(),
        jobs_rx,
        encoding,
        Delivery {
            pull: caps.pull,
            refresh: caps.refresh,
            document_changes: caps.document_changes,
        },
        effective.clone(),
        roots.clone(),
        shared.clone(),
    );
    client.info(format!(
        "racelint {} starting; roots: {}; positions in {:?}; diagnostics by {}",
        env!("CARGO_PKG_VERSION"),
        if roots.is_empty() {
            "none".to_string()
        } else {
            roots
                .iter()
                .map(|r| r.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        },
        encoding,
        if caps.pull { "pull" } else { "push" },
    ));

    let capabilities = ServerCapabilities {
        position_encoding: Some(encoding.kind()),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                will_save: None,
                will_save_wait_until: None,
                save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                    include_text: Some(false),
                })),
            },
        )),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX, fix_all_kind()]),
            work_done_progress_options: WorkDoneProgressOptions::default(),
            resolve_provider: Some(false),
        })),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        diagnostic_provider: caps.pull.then(|| {
            DiagnosticServerCapabilities::Options(DiagnosticOptions {
                identifier: Some("racelint".into()),
                inter_file_dependencies: true,
                workspace_diagnostics: false,
                work_done_progress_options: WorkDoneProgressOptions::default(),
            })
        }),
        workspace: Some(WorkspaceServerCapabilities {
            workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                supported: Some(true),
                change_notifications: Some(lsp_types::OneOf::Left(true)),
            }),
            file_operations: None,
        }),
        ..ServerCapabilities::default()
    };
    let result = InitializeResult {
        capabilities,
        server_info: Some(ServerInfo {
            name: "racelint".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
    };
    let session = Session {
        client: client.clone(),
        encoding,
        caps,
        roots,
        docs: HashMap::new(),
        client_settings,
        effective,
        jobs: jobs_tx,
        shared,
        shutdown: false,
    };
    Ok((result, (session, worker)))
}

/// Reads params; a bad shape is an `InvalidParams` answer for requests, a log line for
/// notifications.
fn params<P: serde::de::DeserializeOwned>(value: Value, method: &str) -> Result<P, String> {
    serde_json::from_value(value).map_err(|e| format!("invalid params for `{method}`: {e}"))
}

impl Session {
    fn send_job(&self, job: Job) {
        let _ = self.jobs.send(job);
    }

    fn request(&mut self, request: Request) {
        let Request {
            id,
            method,
            params: value,
        } = request;
        if self.shutdown {
            self.client.respond(Response::new_err(
                id,
                ErrorCode::InvalidRequest as i32,
                format!("`{method}` after `shutdown`"),
            ));
            return;
        }
        let invalid = |client: &Client, id: RequestId, message: String| {
            client.respond(Response::new_err(
                id,
                ErrorCode::InvalidParams as i32,
                message,
            ));
        };
        match method.as_str() {
            "initialize" => self.client.respond(Response::new_err(
                id,
                ErrorCode::InvalidRequest as i32,
                "the server is already initialized".into(),
            )),
            "shutdown" => {
                self.shutdown = true;
                self.client.respond(Response::new_ok(id, Value::Null));
            }
            "textDocument/hover" => match params::<HoverParams>(value, &method) {
                Ok(p) => {
                    let result = self.hover(&p);
                    self.client.respond(Response::new_ok(id, result));
                }
                Err(e) => invalid(&self.client, id, e),
            },
            "textDocument/codeAction" => match params::<CodeActionParams>(value, &method) {
                Ok(p) => self.code_action(id, p),
                Err(e) => invalid(&self.client, id, e),
            },
            "textDocument/diagnostic" => match params::<DocumentDiagnosticParams>(value, &method) {
                Ok(p) => {
                    let path = self.path_of(&p.text_document.uri);
                    self.send_job(Job::Pull {
                        id,
                        path,
                        previous: p.previous_result_id,
                    });
                }
                Err(e) => invalid(&self.client, id, e),
            },
            _ => self.client.respond(Response::new_err(
                id,
                ErrorCode::MethodNotFound as i32,
                format!("racelint does not handle `{method}`"),
            )),
        }
    }

    /// The path of a document: the open document's, or the URI's for a closed file.
    fn path_of(&self, uri: &Uri) -> Option<PathBuf> {
        match self.docs.get(uri.as_str()) {
            Some(doc) => doc.path.clone(),
            None => uri_to_path(uri),
        }
    }

    fn hover(&self, p: &HoverParams) -> Option<lsp_types::Hover> {
        let uri = &p.text_document_position_params.text_document.uri;
        let doc = self.docs.get(uri.as_str())?;
        let diagnostics = self.current_diagnostics(doc);
        crate::hover::hover(
            &doc.text,
            p.text_document_position_params.position,
            &diagnostics,
            self.encoding,
        )
    }

    /// The diagnostics last computed for a document, when they belong to its current text.
    fn current_diagnostics(&self, doc: &Document) -> Vec<lsp_types::Diagnostic> {
        let Some(path) = &doc.path else {
            return Vec::new();
        };
        let Ok(shared) = self.shared.lock() else {
            return Vec::new();
        };
        match shared.by_path.get(path) {
            Some((version, diagnostics)) if *version == doc.version => diagnostics.clone(),
            _ => Vec::new(),
        }
    }

    fn code_action(&mut self, id: RequestId, p: CodeActionParams) {
        let uri = p.text_document.uri.clone();
        let wanted = Wanted::from_only(p.context.only.as_deref());
        let doc = self.docs.get(uri.as_str());
        let mut actions = Vec::new();
        if wanted.quickfix {
            let cached = doc.map(|d| self.current_diagnostics(d)).unwrap_or_default();
            let view = doc.map(|d| DocumentView {
                uri: &d.uri,
                version: d.version,
                text: &d.text,
            });
            actions = quick_fixes(
                &p.context.diagnostics,
                view.as_ref(),
                &uri,
                &cached,
                self.effective.unsafe_fixes,
                self.encoding,
                self.caps.document_changes,
            );
        }
        match doc.and_then(|d| d.path.clone()) {
            Some(path) if wanted.fix_all => self.send_job(Job::FixAll { id, path, actions }),
            _ => self.client.respond(Response::new_ok(id, actions)),
        }
    }

    fn notification(&mut self, n: Notification) {
        let Notification {
            method,
            params: value,
        } = n;
        if self.shutdown {
            return;
        }
        let result = match method.as_str() {
            "initialized" => {
                self.initialized();
                Ok(())
            }
            "textDocument/didOpen" => {
                params::<DidOpenTextDocumentParams>(value, &method).map(|p| self.did_open(p))
            }
            "textDocument/didChange" => {
                params::<DidChangeTextDocumentParams>(value, &method).map(|p| self.did_change(p))
            }
            "textDocument/didSave" => {
                params::<DidSaveTextDocumentParams>(value, &method).map(|p| self.did_save(p))
            }
            "textDocument/didClose" => {
                params::<DidCloseTextDocumentParams>(value, &method).map(|p| self.did_close(p))
            }
            "workspace/didChangeConfiguration" => {
                let settings = value.get("settings").cloned().unwrap_or(Value::Null);
                self.did_change_configuration(settings);
                Ok(())
            }
            "workspace/didChangeWatchedFiles" => {
                params::<DidChangeWatchedFilesParams>(value, &method)
                    .map(|p| self.did_change_watched_files(p))
            }
            "workspace/didChangeWorkspaceFolders" => {
                params::<DidChangeWorkspaceFoldersParams>(value, &method)
                    .map(|p| self.did_change_workspace_folders(p))
            }
            "$/cancelRequest" => {
                if let Some(id) = value
                    .get("id")
                    .and_then(|v| serde_json::from_value(v.clone()).ok())
                {
                    self.send_job(Job::Cancel(id));
                }
                Ok(())
            }
            m if m.starts_with("$/") => Ok(()),
            other => {
                self.client.debug(format!("ignored notification `{other}`"));
                Ok(())
            }
        };
        if let Err(e) = result {
            self.client.warn(e);
        }
    }

    fn initialized(&mut self) {
        if self.caps.watch_files {
            let watchers: Vec<FileSystemWatcher> = WATCHED
                .iter()
                .map(|g| FileSystemWatcher {
                    glob_pattern: GlobPattern::String((*g).to_string()),
                    kind: None,
                })
                .collect();
            let options = DidChangeWatchedFilesRegistrationOptions { watchers };
            self.client
                .request::<lsp_types::request::RegisterCapability>(
                    "register",
                    RegistrationParams {
                        registrations: vec![Registration {
                            id: "racelint-watched-files".into(),
                            method: "workspace/didChangeWatchedFiles".into(),
                            register_options: serde_json::to_value(options).ok(),
                        }],
                    },
                );
        }
        if self.caps.configuration {
            self.ask_configuration();
        }
    }

    fn ask_configuration(&self) {
        self.client
            .request::<lsp_types::request::WorkspaceConfiguration>(
                "configuration",
                lsp_types::ConfigurationParams {
                    items: vec![lsp_types::ConfigurationItem {
                        scope_uri: None,
                        section: Some("racelint".into()),
                    }],
                },
            );
    }

    fn response(&mut self, response: Response) {
        let id = response.id.to_string();
        if let Some(error) = &response.error {
            self.client.debug(format!(
                "the client answered {id} with an error: {}",
                error.message
            ));
            return;
        }
        if id.contains("racelint/configuration/") {
            let value = response.result.unwrap_or(Value::Null);
            // An array with one entry per item asked for.
            let settings = match value {
                Value::Array(mut items) if !items.is_empty() => items.swap_remove(0),
                other => other,
            };
            if settings.is_object() {
                self.apply_settings(&settings, true);
            }
        }
    }

    /// Applies settings from the editor. With `merge`, fields the editor leaves out keep the
    /// values they have (answers to `workspace/configuration` add to `initializationOptions`).
    fn apply_settings(&mut self, value: &Value, merge: bool) {
        let (mut new, problems) = ClientSettings::from_value(value);
        for p in problems {
            self.client.show(Level::Warn, format!("settings: {p}"));
        }
        if merge {
            let old = &self.client_settings;
            new.unsafe_fixes = new.unsafe_fixes.or(old.unsafe_fixes);
            new.select = new.select.or_else(|| old.select.clone());
            new.ignore = new.ignore.or_else(|| old.ignore.clone());
            new.log_level = new.log_level.or(old.log_level);
        }
        if new == self.client_settings {
            return;
        }
        self.client_settings = new;
        self.client
            .set_level(self.client_settings.log_level.unwrap_or(Level::Info));
        self.reload_settings();
    }

    fn reload_settings(&mut self) {
        let (effective, problems) = resolve(&self.roots, &self.client_settings);
        for p in problems {
            self.client.show(Level::Warn, p);
        }
        self.effective = effective.clone();
        self.client.info(format!(
            "settings: unsafe fixes {}; rules {}",
            if effective.unsafe_fixes { "on" } else { "off" },
            racelint_rules::RULES
                .iter()
                .filter(|r| effective.linter.selection.is_enabled(r.code))
                .map(|r| r.code)
                .collect::<Vec<_>>()
                .join(", ")
        ));
        self.send_job(Job::Settings(Box::new(effective)));
    }

    fn did_change_configuration(&mut self, settings: Value) {
        let ours = settings.get("racelint").is_some()
            || ["unsafeFixes", "select", "ignore", "logLevel", "settings"]
                .iter()
                .any(|k| settings.get(k).is_some());
        if ours {
            self.apply_settings(&settings, false);
        } else if self.caps.configuration {
            self.ask_configuration();
        }
    }

    fn did_open(&mut self, p: DidOpenTextDocumentParams) {
        let doc = p.text_document;
        let path = uri_to_path(&doc.uri).filter(|path| {
            doc.language_id == "python"
                || matches!(
                    path.extension().and_then(|e| e.to_str()),
                    Some("py" | "pyi")
                )
        });
        if let Some(path) = &path {
            self.adopt_root(path);
            self.send_job(Job::Open {
                path: path.clone(),
                uri: doc.uri.clone(),
                version: doc.version,
                text: Arc::from(doc.text.as_str()),
            });
        }
        self.docs.insert(
            doc.uri.as_str().to_string(),
            Document {
                uri: doc.uri,
                path,
                version: doc.version,
                text: doc.text,
            },
        );
    }

    /// A file opened outside every root (an editor started without a workspace) brings its
    /// project in: the nearest directory above it with a project marker.
    fn adopt_root(&mut self, path: &Path) {
        if self.roots.iter().any(|r| path.starts_with(r)) {
            return;
        }
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let mut dir = path.parent();
        while let Some(d) = dir {
            if d.parent().is_none() || Some(d) == home.as_deref() {
                return;
            }
            let marked = CONFIG_FILES
                .iter()
                .chain(&["setup.py", "setup.cfg", ".git"])
                .any(|m| d.join(m).exists());
            if marked {
                self.client
                    .info(format!("adding the project root {}", d.display()));
                self.roots.push(d.to_path_buf());
                // The project may have a configuration of its own.
                self.reload_settings();
                self.send_job(Job::Roots(self.roots.clone()));
                return;
            }
            dir = d.parent();
        }
    }

    fn did_change(&mut self, p: DidChangeTextDocumentParams) {
        let uri = p.text_document.uri;
        let Some(doc) = self.docs.get_mut(uri.as_str()) else {
            self.client.warn(format!(
                "didChange for a document that is not open: {}",
                uri.as_str()
            ));
            return;
        };
        for change in &p.content_changes {
            apply_change(&mut doc.text, change, self.encoding);
        }
        doc.version = p.text_document.version;
        if let Some(path) = &doc.path {
            let job = Job::Change {
                path: path.clone(),
                version: doc.version,
                text: Arc::from(doc.text.as_str()),
            };
            let _ = self.jobs.send(job);
        }
    }

    fn did_save(&mut self, p: DidSaveTextDocumentParams) {
        if let Some(path) = self
            .docs
            .get(p.text_document.uri.as_str())
            .and_then(|d| d.path.clone())
        {
            self.send_job(Job::Save { path });
        }
    }

    fn did_close(&mut self, p: DidCloseTextDocumentParams) {
        match self.docs.remove(p.text_document.uri.as_str()) {
            Some(Document {
                path: Some(path), ..
            }) => self.send_job(Job::Close { path }),
            Some(_) => {}
            None => self.client.debug(format!(
                "didClose for a document that is not open: {}",
                p.text_document.uri.as_str()
            )),
        }
    }

    fn did_change_watched_files(&mut self, p: DidChangeWatchedFilesParams) {
        let mut changed = Vec::new();
        let mut deleted = Vec::new();
        let mut created = false;
        let mut config = false;
        for event in p.changes {
            let Some(path) = uri_to_path(&event.uri) else {
                continue;
            };
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if CONFIG_FILES.contains(&name) {
                config = true;
                continue;
            }
            if event.typ == FileChangeType::DELETED {
                deleted.push(path);
            } else {
                if event.typ == FileChangeType::CREATED {
                    created = true;
                }
                changed.push(path);
            }
        }
        if config {
            self.client
                .info("project configuration changed; indexing again");
            self.reload_settings();
            self.send_job(Job::Roots(self.roots.clone()));
        }
        if !(changed.is_empty() && deleted.is_empty()) {
            self.send_job(Job::Files {
                changed,
                deleted,
                created,
            });
        }
    }

    fn did_change_workspace_folders(&mut self, p: DidChangeWorkspaceFoldersParams) {
        for removed in &p.event.removed {
            if let Some(path) = uri_to_path(&removed.uri) {
                self.roots.retain(|r| r != &path);
            }
        }
        for added in &p.event.added {
            if let Some(path) = uri_to_path(&added.uri) {
                if path.is_dir() && !self.roots.contains(&path) {
                    self.roots.push(path);
                }
            }
        }
        self.reload_settings();
        self.send_job(Job::Roots(self.roots.clone()));
    }
}

//! A small LSP client for the end-to-end tests: runs the real `racelint server` binary over
//! stdio, answers the server's own requests, and checks that stdout carries nothing but
//! framed messages.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How long any single wait may take before the test fails (debug builds on a busy machine).
pub const TIMEOUT: Duration = Duration::from_secs(30);

pub struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    incoming: Receiver<Value>,
    /// Notifications and server requests read while waiting for something else.
    backlog: Vec<Value>,
    next_id: i64,
    stderr: Arc<Mutex<String>>,
    /// Lines on stdout that were not part of a framed message.
    violations: Arc<Mutex<Vec<String>>>,
    /// What to answer `workspace/configuration` with.
    pub configuration: Value,
    /// Server requests seen (method names), e.g. `workspace/diagnostic/refresh`.
    pub server_requests: Vec<String>,
}

pub fn file_uri(path: &Path) -> String {
    let mut uri = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri
}

/// A client capability set like a modern editor's, without pull diagnostics.
pub fn default_capabilities() -> Value {
    json!({
        "general": { "positionEncodings": ["utf-16"] },
        "textDocument": {
            "publishDiagnostics": { "relatedInformation": true, "versionSupport": true },
            "codeAction": { "codeActionLiteralSupport": { "codeActionKind": { "valueSet": ["quickfix", "source.fixAll"] } } },
            "hover": { "contentFormat": ["markdown", "plaintext"] }
        },
        "workspace": {
            "workspaceEdit": { "documentChanges": true },
            "didChangeWatchedFiles": { "dynamicRegistration": true },
            "configuration": true
        }
    })
}

impl Server {
    /// Starts the server without initializing it.
    pub fn spawn() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_racelint"))
            .arg("server")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the racelint binary starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut stderr_pipe = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let violations = Arc::new(Mutex::new(Vec::new()));
        let v = violations.clone();
        std::thread::spawn(move || read_frames(BufReader::new(stdout), tx, v));
        let stderr = Arc::new(Mutex::new(String::new()));
        let e = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = String::new();
            let _ = stderr_pipe.read_to_string(&mut buf);
            e.lock().unwrap().push_str(&buf);
        });
        Server {
            child,
            stdin: Some(stdin),
            incoming: rx,
            backlog: Vec::new(),
            next_id: 1,
            stderr,
            violations,
            configuration: Value::Null,
            server_requests: Vec::new(),
        }
    }

    /// Starts and initializes a server for `root` (`params` are merged into `initialize`).
    pub fn start(root: Option<&Path>, extra: Value) -> (Server, Value) {
        let mut server = Server::spawn();
        let mut params = json!({
            "processId": null,
            "capabilities": default_capabilities(),
        });
        if let Some(root) = root {
            params["rootUri"] = json!(file_uri(root));
            params["workspaceFolders"] = json!([{ "uri": file_uri(root), "name": "root" }]);
        }
        if let (Value::Object(p), Value::Object(e)) = (&mut params, extra) {
            for (k, v) in e {
                p.insert(k, v);
            }
        }
        let response = server.request("initialize", params);
        assert!(
            response.get("error").is_none(),
            "initialize failed: {response}"
        );
        server.notify("initialized", json!({}));
        (server, response["result"].clone())
    }

    pub fn send(&mut self, message: &Value) {
        self.send_bytes(message.to_string().as_bytes());
    }

    /// Sends a body in a frame, valid JSON or not.
    pub fn send_bytes(&mut self, body: &[u8]) {
        let mut frame = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        frame.extend_from_slice(body);
        self.send_raw(&frame);
    }

    /// Sends raw bytes as they are (broken framing).
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        stdin.write_all(bytes).expect("server stdin open");
        stdin.flush().unwrap();
    }

    /// Ends the server's input, as a client that goes away does.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and returns its id without waiting.
    pub fn request_async(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        id
    }

    /// Sends a request and waits for its response (the whole message).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.request_async(method, params);
        self.response(&json!(id))
    }

    /// Waits for the response with `id`.
    pub fn response(&mut self, id: &Value) -> Value {
        self.wait_for(&format!("the response to request {id}"), |m| {
            m.get("method").is_none() && m.get("id") == Some(id)
        })
    }

    /// The next message read, answering server requests on the way; `None` on timeout.
    fn next(&mut self, deadline: Instant) -> Option<Value> {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.incoming.recv_timeout(left) {
            Ok(message) => {
                if let (Some(method), Some(id)) = (message.get("method"), message.get("id")) {
                    let method = method.as_str().unwrap_or_default().to_string();
                    let result = match method.as_str() {
                        "workspace/configuration" => {
                            let n = message["params"]["items"].as_array().map_or(1, Vec::len);
                            Value::Array(vec![self.configuration.clone(); n])
                        }
                        _ => Value::Null,
                    };
                    let id = id.clone();
                    self.server_requests.push(method);
                    self.send(&json!({ "jsonrpc": "2.0", "id": id, "result": result }));
                }
                Some(message)
            }
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => panic!(
                "the server closed stdout; stderr:\n{}",
                self.stderr.lock().unwrap()
            ),
        }
    }

    /// Waits for a message matching `pred` (looking at the backlog first); other messages
    /// go to the backlog.
    pub fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        self.try_wait_for(TIMEOUT, &pred)
            .unwrap_or_else(|| panic!("timed out waiting for {what}; backlog: {:#?}", self.backlog))
    }

    pub fn try_wait_for(
        &mut self,
        timeout: Duration,
        pred: &dyn Fn(&Value) -> bool,
    ) -> Option<Value> {
        if let Some(i) = self.backlog.iter().position(pred) {
            return Some(self.backlog.remove(i));
        }
        let deadline = Instant::now() + timeout;
        while let Some(message) = self.next(deadline) {
            if pred(&message) {
                return Some(message);
            }
            self.backlog.push(message);
        }
        None
    }

    /// Waits for diagnostics of `uri` published for document `version` and matching `pred`
    /// (earlier publications for the same version are passed over).
    pub fn diagnostics(
        &mut self,
        uri: &str,
        version: i64,
        pred: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let message = self.wait_for(&format!("diagnostics of {uri} (version {version})"), |m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["version"] == version
                && pred(
                    m["params"]["diagnostics"]
                        .as_array()
                        .map_or(&[], Vec::as_slice),
                )
        });
        message["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Forgets publications seen so far.
    pub fn clear_backlog(&mut self) {
        self.backlog
            .retain(|m| m["method"] != "textDocument/publishDiagnostics");
    }

    pub fn open(&mut self, path: &Path, version: i64) -> String {
        let text = std::fs::read_to_string(path).unwrap();
        self.open_text(path, version, &text)
    }

    pub fn open_text(&mut self, path: &Path, version: i64, text: &str) -> String {
        let uri = file_uri(path);
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "python", "version": version, "text": text } }),
        );
        uri
    }

    pub fn change_full(&mut self, uri: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": text }] }),
        );
    }

    /// `shutdown` then `exit`; the exit status of the server.
    pub fn shutdown(mut self) -> ExitStatus {
        let response = self.request("shutdown", Value::Null);
        assert!(
            response.get("error").is_none(),
            "shutdown failed: {response}"
        );
        assert!(response["result"].is_null());
        self.notify("exit", Value::Null);
        self.wait_exit()
    }

    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let violations = self.violations.lock().unwrap().clone();
                assert!(
                    violations.is_empty(),
                    "stdout carried more than messages: {violations:?}"
                );
                return status;
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Versions of the diagnostics published for `uri` that are still in the backlog.
    pub fn published_versions(&self, uri: &str) -> Vec<i64> {
        self.backlog
            .iter()
            .filter(|m| {
                m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
            })
            .filter_map(|m| m["params"]["version"].as_i64())
            .collect()
    }

    /// Log messages (`window/logMessage`) seen so far in the backlog.
    pub fn logs(&self) -> Vec<String> {
        self.backlog
            .iter()
            .filter(|m| m["method"] == "window/logMessage")
            .map(|m| {
                m["params"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_frames(
    mut out: impl BufRead,
    tx: mpsc::Sender<Value>,
    violations: Arc<Mutex<Vec<String>>>,
) {
    loop {
        let mut length = None;
        loop {
            let mut line = String::new();
            match out.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let header = line.trim_end_matches(['\r', '\n']);
            if header.is_empty() {
                if length.is_some() {
                    break;
                }
                violations.lock().unwrap().push(line.clone());
                continue;
            }
            match header.split_once(": ") {
                Some((name, value)) if name.eq_ignore_ascii_case("content-length") => {
                    length = value.trim().parse::<usize>().ok();
                }
                Some((name, _)) if name.eq_ignore_ascii_case("content-type") => {}
                _ => violations.lock().unwrap().push(line.clone()),
            }
        }
        let mut body = vec![0; length.unwrap()];
        if out.read_exact(&mut body).is_err() {
            return;
        }
        match serde_json::from_slice::<Value>(&body) {
            Ok(v) => {
                if v["jsonrpc"] != "2.0" {
                    violations
                        .lock()
                        .unwrap()
                        .push(format!("not JSON-RPC 2.0: {v}"));
                }
                if tx.send(v).is_err() {
                    return;
                }
            }
            Err(_) => violations
                .lock()
                .unwrap()
                .push(String::from_utf8_lossy(&body).into_owned()),
        }
    }
}

/// Writes `files` (relative path, text) under `root`.
pub fn write_files(root: &Path, files: &[(&str, &str)]) -> Vec<PathBuf> {
    files
        .iter()
        .map(|(rel, text)| {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect()
}

/// Applies LSP text edits (UTF-16 positions) to a text, as an editor would.
pub fn apply_text_edits(text: &str, edits: &[Value]) -> String {
    let mut resolved: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            (
                utf16_offset(text, &e["range"]["start"]),
                utf16_offset(text, &e["range"]["end"]),
                e["newText"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    resolved.sort_by_key(|(s, e, _)| (*s, *e));
    let mut out = String::new();
    let mut last = 0;
    for (s, e, new) in resolved {
        assert!(s >= last, "overlapping edits");
        out.push_str(&text[last..s]);
        out.push_str(&new);
        last = e;
    }
    out.push_str(&text[last..]);
    out
}

/// The byte offset of an LSP position with UTF-16 characters.
pub fn utf16_offset(text: &str, position: &Value) -> usize {
    let line = position["line"].as_u64().unwrap() as usize;
    let character = position["character"].as_u64().unwrap() as usize;
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i == line {
            let mut units = 0;
            for (b, c) in l.char_indices() {
                if units >= character || c == '\n' || c == '\r' {
                    return offset + b;
                }
                units += c.len_utf16();
            }
            return offset + l.trim_end_matches(['\n', '\r']).len();
        }
        offset += l.len();
    }
    text.len()
}

/// The edits of a workspace edit for one document (either shape).
pub fn edits_for(edit: &Value, uri: &str) -> Vec<Value> {
    if let Some(changes) = edit["documentChanges"].as_array() {
        return changes
            .iter()
            .filter(|c| c["textDocument"]["uri"] == uri)
            .flat_map(|c| c["edits"].as_array().cloned().unwrap_or_default())
            .collect();
    }
    edit["changes"][uri].as_array().cloned().unwrap_or_default()
}

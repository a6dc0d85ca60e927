//! `racelint server` under bad input: malformed JSON-RPC, unknown methods and documents,
//! syntax errors, floods of changes, and clients that break the lifecycle. Every request
//! gets an answer, and the server never exits on its own.

#[path = "server/client.rs"]
mod client;

use client::{write_files, Server};
use serde_json::{json, Value};

const RACY: &str = "import threading

counter = 0


def worker():
    global counter
    counter += 1


threads = [threading.Thread(target=worker) for _ in range(4)]
";

const SAFE: &str = "import threading

counter = 0
lock = threading.Lock()


def worker():
    global counter
    with lock:
        counter += 1


threads = [threading.Thread(target=worker) for _ in range(4)]
";

fn project() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let paths = write_files(dir.path(), &[("app.py", RACY)]);
    (dir, paths[0].clone())
}

fn error_code(response: &Value) -> i64 {
    response["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("expected an error response, got {response}"))
}

/// A request the server must still answer: proof it is alive and reading.
fn assert_alive(server: &mut Server) {
    let response = server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": "file:///nowhere/x.py" }, "position": { "line": 0, "character": 0 } }),
    );
    assert!(response.get("error").is_none(), "{response}");
    assert!(response["result"].is_null());
}

#[test]
fn malformed_messages_get_error_responses() {
    let (dir, _) = project();
    let (mut server, _) = Server::start(Some(dir.path()), json!({}));

    server.send_bytes(b"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": ");
    let parse_error = server.wait_for("a parse error", |m| m["error"]["code"] == -32700);
    assert!(parse_error["id"].is_null());

    server.send_bytes(b"[1, 2, 3]");
    let invalid = server.wait_for("an invalid request", |m| m["error"]["code"] == -32600);
    assert!(invalid["id"].is_null());

    server.send(&json!({ "jsonrpc": "2.0", "id": 77, "method": 12 }));
    let invalid = server.wait_for("an invalid request with its id", |m| m["id"] == 77);
    assert_eq!(error_code(&invalid), -32600);

    server
        .send(&json!({ "jsonrpc": "2.0", "id": 78, "method": "textDocument/hover", "params": 5 }));
    assert_eq!(error_code(&server.response(&json!(78))), -32600);

    // Not UTF-8, and a frame without Content-Length.
    server.send_bytes(&[0xff, 0xfe, 0x00]);
    server.wait_for("a parse error for bytes", |m| m["error"]["code"] == -32700);
    server.send_raw(b"X-Nonsense: yes\r\n\r\n");
    server.wait_for("a parse error for a missing length", |m| {
        m["error"]["code"] == -32700
            && m["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("Content-Length")
    });

    assert_alive(&mut server);
    assert_eq!(server.shutdown().code(), Some(0));
}

#[test]
fn unknown_methods_and_bad_params() {
    let (dir, _) = project();
    let (mut server, _) = Server::start(Some(dir.path()), json!({}));
    let response = server.request("textDocument/completion", json!({}));
    assert_eq!(error_code(&response), -32601);
    let response = server.request("racelint/doesNotExist", Value::Null);
    assert_eq!(error_code(&response), -32601);
    server.notify("racelint/unknownNotification", json!({ "x": 1 }));
    server.notify("$/setTrace", json!({ "value": "off" }));
    // Wrong shapes of known methods.
    let response = server.request("textDocument/hover", json!({ "textDocument": 3 }));
    assert_eq!(error_code(&response), -32602);
    let response = server.request("textDocument/codeAction", json!({}));
    assert_eq!(error_code(&response), -32602);
    server.notify("textDocument/didOpen", json!({ "textDocument": "nope" }));
    server.notify("textDocument/didChange", json!([1, 2]));
    // A second `initialize` is refused.
    let response = server.request("initialize", json!({ "capabilities": {} }));
    assert_eq!(error_code(&response), -32600);
    assert_alive(&mut server);
    assert_eq!(server.shutdown().code(), Some(0));
}

#[test]
fn requests_about_unknown_documents() {
    let (dir, path) = project();
    let (mut server, _) = Server::start(Some(dir.path()), json!({}));
    let unknown = "file:///definitely/not/here.py";
    let range =
        json!({ "start": { "line": 0, "character": 0 }, "end": { "line": 3, "character": 0 } });
    let actions = server.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": unknown }, "range": range, "context": { "diagnostics": [] } }),
    );
    assert_eq!(actions["result"], json!([]), "{actions}");
    let pulled = server.request(
        "textDocument/diagnostic",
        json!({ "textDocument": { "uri": unknown } }),
    );
    assert_eq!(pulled["result"]["kind"], "full");
    assert_eq!(pulled["result"]["items"], json!([]));
    let pulled = server.request(
        "textDocument/diagnostic",
        json!({ "textDocument": { "uri": "untitled:Untitled-1" } }),
    );
    assert_eq!(pulled["result"]["items"], json!([]));
    server.change_full(unknown, 2, "x = 1\n");
    server.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": unknown } }),
    );
    server.notify(
        "textDocument/didSave",
        json!({ "textDocument": { "uri": unknown } }),
    );
    // A document that is not a file is kept but not analysed.
    server.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": "untitled:Untitled-2", "languageId": "python", "version": 1, "text": RACY } }),
    );
    assert_alive(&mut server);
    // The real file still works afterwards.
    let uri = server.open(&path, 1);
    let ds = server.diagnostics(&uri, 1, |ds| !ds.is_empty());
    assert_eq!(ds[0]["code"], "RL101");
    assert_eq!(server.shutdown().code(), Some(0));
}

#[test]
fn files_with_syntax_errors_are_diagnosed() {
    let (dir, path) = project();
    let broken = "def worker(:\n    counter += 1\n\nclass (\n";
    std::fs::write(&path, broken).unwrap();
    let (mut server, _) = Server::start(Some(dir.path()), json!({}));
    let uri = server.open(&path, 1);
    let ds = server.diagnostics(&uri, 1, |ds| !ds.is_empty());
    assert!(ds.iter().all(|d| d["code"] == "RL001"), "{ds:#?}");
    assert_eq!(ds[0]["severity"], 1);
    // No `# noqa` for syntax errors: comments cannot silence them.
    let response = server.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": ds[0]["range"], "context": { "diagnostics": [ds[0]] } }),
    );
    assert_eq!(response["result"], json!([]));
    // Pathological input is a diagnostic too, never a crash.
    let deep = format!("x = {}1{}\n", "(".repeat(5000), ")".repeat(5000));
    server.change_full(&uri, 2, &deep);
    let ds = server.diagnostics(&uri, 2, |ds| !ds.is_empty());
    assert_eq!(ds[0]["code"], "RL001");
    server.change_full(&uri, 3, RACY);
    let ds = server.diagnostics(&uri, 3, |ds| !ds.is_empty());
    assert_eq!(ds[0]["code"], "RL101");
    assert_eq!(server.shutdown().code(), Some(0));
}

#[test]
fn a_flood_of_changes_ends_with_the_last_version() {
    let (dir, path) = project();
    let (mut server, _) = Server::start(Some(dir.path()), json!({}));
    let uri = server.open(&path, 1);
    server.diagnostics(&uri, 1, |ds| !ds.is_empty());
    // A hundred edits at once, alternating safe and racy; the last is racy.
    for version in 2..=101 {
        let text = if version % 2 == 1 { RACY } else { SAFE };
        server.change_full(&uri, version, text);
    }
    let last = server.diagnostics(&uri, 101, |ds| !ds.is_empty());
    assert_eq!(last[0]["code"], "RL101");
    // Whatever was published on the way came in version order, and stale runs were dropped
    // rather than published (a hundred edits queued at once coalesce).
    let published = server.published_versions(&uri);
    assert!(published.windows(2).all(|w| w[0] <= w[1]), "{published:?}");
    assert!(published.len() < 100, "{published:?}");
    // Then one more: the server still follows.
    server.change_full(&uri, 102, SAFE);
    server.diagnostics(&uri, 102, |ds| ds.is_empty());
    assert_eq!(server.shutdown().code(), Some(0));
}

#[test]
fn requests_before_initialize_and_exit_without_shutdown() {
    let mut server = Server::spawn();
    let response = server.request("textDocument/hover", json!({}));
    assert_eq!(error_code(&response), -32002);
    server.notify("textDocument/didOpen", json!({}));
    let response = server.request("initialize", json!({ "capabilities": {}, "rootUri": null }));
    assert!(response["result"]["capabilities"].is_object(), "{response}");
    server.notify("exit", Value::Null);
    // Exit without shutdown is an error exit, as LSP specifies.
    assert_eq!(server.wait_exit().code(), Some(1));
}

#[test]
fn requests_after_shutdown_are_refused() {
    let (dir, _) = project();
    let (mut server, _) = Server::start(Some(dir.path()), json!({}));
    let response = server.request("shutdown", Value::Null);
    assert!(response["result"].is_null());
    let response = server.request("textDocument/hover", json!({}));
    assert_eq!(error_code(&response), -32600);
    server.notify("exit", Value::Null);
    assert_eq!(server.wait_exit().code(), Some(0));
}

#[test]
fn the_server_exits_when_its_input_ends() {
    let (dir, _) = project();
    let (mut server, _) = Server::start(Some(dir.path()), json!({}));
    assert_alive(&mut server);
    server.close_stdin();
    assert_eq!(server.wait_exit().code(), Some(1));
}

#[test]
fn nothing_but_messages_on_stdout_even_when_verbose() {
    let (dir, path) = project();
    let (mut server, _) = Server::start(
        Some(dir.path()),
        json!({ "initializationOptions": { "logLevel": "trace" } }),
    );
    let uri = server.open(&path, 1);
    server.diagnostics(&uri, 1, |ds| !ds.is_empty());
    server.notify(
        "textDocument/didSave",
        json!({ "textDocument": { "uri": uri } }),
    );
    server.diagnostics(&uri, 1, |ds| !ds.is_empty());
    assert!(
        server.logs().iter().any(|l| l.contains("indexed")),
        "{:?}",
        server.logs()
    );
    // `shutdown` checks that stdout carried nothing else.
    assert_eq!(server.shutdown().code(), Some(0));
}

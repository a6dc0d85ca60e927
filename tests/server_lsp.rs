//! End-to-end tests of `racelint server` over stdio: the lifecycle, diagnostics across
//! files, code actions, pull diagnostics, positions, hover, settings and watched files.

#[path = "server/client.rs"]
mod client;

use client::{apply_text_edits, edits_for, file_uri, write_files, Server};
use serde_json::{json, Value};

const STATE: &str = "counter = 0


def bump():
    global counter
    counter += 1
";

const MAIN_RACY: &str = "import threading

from pkg.state import bump


def worker():
    bump()


threads = [threading.Thread(target=worker) for _ in range(4)]
";

const MAIN_SAFE: &str = "import threading

from pkg.state import bump


def worker():
    bump()
";

/// A package whose `state.bump` runs in four threads started from `main`.
fn racy_project() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let paths = write_files(
        dir.path(),
        &[
            ("pkg/__init__.py", ""),
            ("pkg/state.py", STATE),
            ("pkg/main.py", MAIN_RACY),
        ],
    );
    let state = paths[1].clone();
    let main = paths[2].clone();
    (dir, state, main)
}

fn codes(diagnostics: &[Value]) -> Vec<&str> {
    diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default())
        .collect()
}

fn has(code: &'static str) -> impl Fn(&[Value]) -> bool {
    move |ds: &[Value]| ds.iter().any(|d| d["code"] == code)
}

fn empty(ds: &[Value]) -> bool {
    ds.is_empty()
}

fn code_actions(
    server: &mut Server,
    uri: &str,
    diagnostics: &[Value],
    only: Option<Value>,
) -> Vec<Value> {
    let range = diagnostics.first().map(|d| d["range"].clone()).unwrap_or(
        json!({"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}),
    );
    let mut context = json!({ "diagnostics": diagnostics });
    if let Some(only) = only {
        context["only"] = only;
    }
    let response = server.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": range, "context": context }),
    );
    assert!(response.get("error").is_none(), "{response}");
    response["result"].as_array().cloned().unwrap_or_default()
}

#[test]
fn initialize_advertises_capabilities_and_shuts_down_cleanly() {
    let (dir, _, _) = racy_project();
    let (server, result) = Server::start(Some(dir.path()), json!({}));
    let caps = &result["capabilities"];
    assert_eq!(caps["positionEncoding"], "utf-16");
    assert_eq!(caps["textDocumentSync"]["change"], 2);
    assert_eq!(caps["hoverProvider"], true);
    let kinds = caps["codeActionProvider"]["codeActionKinds"]
        .as_array()
        .unwrap();
    assert!(kinds.contains(&json!("quickfix")));
    assert!(kinds.contains(&json!("source.fixAll.racelint")));
    // Without pull support in the client, the server pushes.
    assert!(caps.get("diagnosticProvider").is_none());
    assert_eq!(result["serverInfo"]["name"], "racelint");
    let status = server.shutdown();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn open_publish_suppress_and_clear() {
    let (dir, state, main) = racy_project();
    let (mut server, _) = Server::start(Some(dir.path()), json!({}));
    let uri = server.open(&state, 1);
    let diagnostics = server.diagnostics(&uri, 1, has("RL101"));
    assert_eq!(codes(&diagnostics), vec!["RL101"]);
    let d = &diagnostics[0];
    assert_eq!(d["source"], "racelint");
    assert_eq!(d["severity"], 2);
    assert_eq!(d["range"]["start"], json!({"line": 5, "character": 4}));
    assert_eq!(d["range"]["end"], json!({"line": 5, "character": 16}));
    assert!(d["message"].as_str().unwrap().contains("counter"));
    assert_eq!(d["data"]["version"], 1);

    // The thread start and the call path are in another, closed file.
    let related = d["relatedInformation"].as_array().unwrap();
    let main_uri = file_uri(&main);
    let in_main: Vec<&Value> = related
        .iter()
        .filter(|r| r["location"]["uri"] == main_uri)
        .collect();
    assert!(
        in_main
            .iter()
            .any(|r| r["location"]["range"]["start"]["line"] == 9
                && r["message"].as_str().unwrap().contains("started")),
        "no thread start in {related:#?}"
    );
    assert!(
        in_main
            .iter()
            .any(|r| r["location"]["range"]["start"]["line"] == 6
                && r["message"].as_str().unwrap().contains("calls")),
        "no call step in {related:#?}"
    );

    let actions = code_actions(&mut server, &uri, &diagnostics, None);
    let noqa = actions
        .iter()
        .find(|a| a["title"].as_str().unwrap().contains("# noqa: RL101"))
        .unwrap_or_else(|| panic!("no suppression in {actions:#?}"));
    assert_eq!(noqa["kind"], "quickfix");
    assert_eq!(noqa["diagnostics"][0]["code"], "RL101");
    let edits = edits_for(&noqa["edit"], &uri);
    assert_eq!(
        noqa["edit"]["documentChanges"][0]["textDocument"]["version"],
        1
    );
    let suppressed = apply_text_edits(STATE, &edits);
    assert!(
        suppressed.contains("    counter += 1  # noqa: RL101\n"),
        "{suppressed}"
    );

    server.change_full(&uri, 2, &suppressed);
    server.diagnostics(&uri, 2, empty);
    assert_eq!(server.shutdown().code(), Some(0));
}

#[test]
fn quick_fix_from_diagnostic_data_clears_the_race() {
    let (dir, state, _) = racy_project();
    let (mut server, _) = Server::start(Some(dir.path()), json!({}));
    let uri = server.open(&state, 1);
    let diagnostics = server.diagnostics(&uri, 1, has("RL101"));
    let fix = diagnostics[0]["data"]["fix"].clone();
    assert!(
        fix.is_object(),
        "RL101 carries no fix: {:#?}",
        diagnostics[0]
    );
    let actions = code_actions(&mut server, &uri, &diagnostics, Some(json!(["quickfix"])));
    let preferred: Vec<&Value> = actions
        .iter()
        .filter(|a| a["isPreferred"] == true)
        .collect();
    assert_eq!(preferred.len(), 1, "{actions:#?}");
    let action = preferred[0];
    assert_eq!(action["title"], fix["title"]);
    assert_eq!(action["kind"], "quickfix");
    let fixed = apply_text_edits(STATE, &edits_for(&action["edit"], &uri));
    assert!(fixed.contains("with "), "{fixed}");
    server.change_full(&uri, 2, &fixed);
    server.diagnostics(&uri, 2, empty);
    assert_eq!(server.shutdown().code(), Some(0));
}

#[test]
fn code_actions_without_data_use_the_last_results() {
    let (dir, state, _) = racy_project();
    let (mut server, _) = Server::start(Some(dir.path()), json!({}));
    let uri = server.open(&state, 1);
    let mut diagnostics = server.diagnostics(&uri, 1, has("RL101"));
    let had_fix = diagnostics[0]["data"]["fix"].is_object();
    diagnostics[0].as_object_mut().unwrap().remove("data");
    let actions = code_actions(&mut server, &uri, &diagnostics, None);
    assert!(actions
        .iter()
        .any(|a| a["title"].as_str().unwrap().contains("noqa")));
    assert_eq!(actions.iter().any(|a| a["isPreferred"] == true), had_fix);
}

#[test]
fn fix_all_applies_every_safe_fix() {
    let dir = tempfile::tempdir().unwrap();
    let source = "import threading

hits = 0
misses = 0


def worker():
    global hits, misses
    hits += 1
    misses += 1


threads = [threading.Thread(target=worker) for _ in range(4)]
";
    let paths = write_files(dir.path(), &[("app.py", source)]);
    let (mut server, _) = Server::start(Some(dir.path()), json!({}));
    let uri = server.open(&paths[0], 1);
    let diagnostics = server.diagnostics(&uri, 1, |ds| ds.len() == 2);
    assert_eq!(codes(&diagnostics), vec!["RL101", "RL101"]);
    let actions = code_actions(&mut server, &uri, &[], Some(json!(["source.fixAll"])));
    assert_eq!(actions.len(), 1, "{actions:#?}");
    let action = &actions[0];
    assert_eq!(action["kind"], "source.fixAll.racelint");
    let fixed = apply_text_edits(source, &edits_for(&action["edit"], &uri));
    assert_eq!(fixed.matches("with ").count(), 2, "{fixed}");
    server.change_full(&uri, 2, &fixed);
    server.diagnostics(&uri, 2, empty);
    // Nothing left: no "Fix all" offered.
    let actions = code_actions(
        &mut server,
        &uri,
        &[],
        Some(json!(["source.fixAll.racelint"])),
    );
    assert!(actions.is_empty(), "{actions:#?}");
    assert_eq!(server.shutdown().code(), Some(0));
}

#[test]
fn edits_in_one_file_update_the_diagnostics_of_another() {
    let (dir, state, main) = racy_project();
    let (mut server, _) = Server::start(Some(dir.path()), json!({}));
    let state_uri = server.open(&state, 1);
    server.diagnostics(&state_uri, 1, has("RL101"));
    let main_uri = server.open(&main, 1);
    server.diagnostics(&main_uri, 1, empty);

    // Removing the thread start in main.py makes bump() single-threaded.
    server.change_full(&main_uri, 2, MAIN_SAFE);
    server.diagnostics(&state_uri, 1, empty);
    // And bringing it back brings the race back.
    server.change_full(&main_uri, 3, MAIN_RACY);
    let again = server.diagnostics(&state_uri, 1, has("RL101"));
    // The related information points into main.py's unsaved text.
    assert!(again[0]["relatedInformation"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["location"]["uri"] == main_uri));
    assert_eq!(server.shutdown().code(), Some(0));
}

#[test]
fn closing_a_document_clears_it_and_falls_back_to_disk() {
    let (dir, state, main) = racy_project();
    let (mut server, _) = Server::start(Some(dir.path()), json!({}));
    let state_uri = server.open(&state, 1);
    server.diagnostics(&state_uri, 1, has("RL101"));
    let main_uri = server.open(&main, 1);
    server.change_full(&main_uri, 2, MAIN_SAFE);
    server.diagnostics(&state_uri, 1, empty);
    // Closing main.py without saving: the file on disk (racy) counts again.
    server.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": main_uri } }),
    );
    // Cleared with no version: they belong to no open document any more.
    server.wait_for("main.py's diagnostics cleared", |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == main_uri
            && m["params"]["diagnostics"] == json!([])
            && m["params"]["version"].is_null()
    });
    server.diagnostics(&state_uri, 1, has("RL101"));
}

#[test]
fn pull_diagnostics_when_the_client_supports_them() {
    let (dir, state, main) = racy_project();
    let mut caps = client::default_capabilities();
    caps["textDocument"]["diagnostic"] =
        json!({ "dynamicRegistration": false, "relatedDocumentSupport": false });
    caps["workspace"]["diagnostics"] = json!({ "refreshSupport": true });
    let (mut server, result) = Server::start(Some(dir.path()), json!({ "capabilities": caps }));
    let provider = &result["capabilities"]["diagnosticProvider"];
    assert_eq!(provider["identifier"], "racelint");
    assert_eq!(provider["interFileDependencies"], true);

    let uri = server.open(&state, 1);
    let report = server.request(
        "textDocument/diagnostic",
        json!({ "textDocument": { "uri": uri } }),
    );
    let report = &report["result"];
    assert_eq!(report["kind"], "full");
    assert_eq!(codes(report["items"].as_array().unwrap()), vec!["RL101"]);
    let result_id = report["resultId"].as_str().unwrap().to_string();

    let again = server.request(
        "textDocument/diagnostic",
        json!({ "textDocument": { "uri": uri }, "previousResultId": result_id }),
    );
    assert_eq!(again["result"]["kind"], "unchanged");
    assert_eq!(again["result"]["resultId"], result_id.as_str());

    // A closed file of the workspace can be pulled too.
    let main_report = server.request(
        "textDocument/diagnostic",
        json!({ "textDocument": { "uri": file_uri(&main) } }),
    );
    assert_eq!(main_report["result"]["items"], json!([]));

    // An edit elsewhere changes this document's results: the client is asked to pull again.
    let main_uri = server.open(&main, 1);
    server.change_full(&main_uri, 2, MAIN_SAFE);
    server.wait_for("a diagnostic refresh request", |m| {
        m["method"] == "workspace/diagnostic/refresh"
    });
    let after = server.request(
        "textDocument/diagnostic",
        json!({ "textDocument": { "uri": uri }, "previousResultId": result_id }),
    );
    assert_eq!(after["result"]["kind"], "full");
    assert_eq!(after["result"]["items"], json!([]));

    // In pull mode nothing is pushed.
    assert!(server
        .try_wait_for(std::time::Duration::from_millis(300), &|m| {
            m["method"] == "textDocument/publishDiagnostics"
        })
        .is_none());
    assert_eq!(server.shutdown().code(), Some(0));
}

/// `bump` with a non-ASCII string before the race on the same line.
const STATE_NON_ASCII: &str = "counter = 0


def bump():
    global counter
    label = 'é😀'; counter += 1
";

fn race_column(encoding: &str) -> u64 {
    let line = STATE_NON_ASCII.lines().nth(5).unwrap();
    let prefix = &line[..line.find("counter").unwrap()];
    match encoding {
        "utf-8" => prefix.len() as u64,
        _ => prefix.encode_utf16().count() as u64,
    }
}

fn diagnostics_in(encodings: Value) -> (String, Vec<Value>, Server, tempfile::TempDir) {
    let (dir, state, _) = racy_project();
    std::fs::write(&state, STATE_NON_ASCII).unwrap();
    let mut caps = client::default_capabilities();
    caps["general"]["positionEncodings"] = encodings;
    let (mut server, result) = Server::start(Some(dir.path()), json!({ "capabilities": caps }));
    let encoding = result["capabilities"]["positionEncoding"]
        .as_str()
        .unwrap()
        .to_string();
    let uri = server.open(&state, 1);
    let diagnostics = server.diagnostics(&uri, 1, has("RL101"));
    (encoding, diagnostics, server, dir)
}

#[test]
fn positions_on_non_ascii_lines_use_the_negotiated_encoding() {
    let (encoding, diagnostics, server, _dir) = diagnostics_in(json!(["utf-16"]));
    assert_eq!(encoding, "utf-16");
    assert_eq!(race_column("utf-16"), 19);
    assert_eq!(
        diagnostics[0]["range"]["start"],
        json!({"line": 5, "character": 19})
    );
    assert_eq!(
        diagnostics[0]["range"]["end"],
        json!({"line": 5, "character": 31})
    );
    drop(server);

    let (encoding, diagnostics, server, _dir) = diagnostics_in(json!(["utf-8", "utf-16"]));
    assert_eq!(encoding, "utf-8");
    assert_eq!(race_column("utf-8"), 22);
    assert_eq!(
        diagnostics[0]["range"]["start"],
        json!({"line": 5, "character": 22})
    );
    drop(server);
}

#[test]
fn incremental_changes_use_the_negotiated_encoding() {
    let (dir, state, _) = racy_project();
    std::fs::write(&state, STATE_NON_ASCII).unwrap();
    let (mut server, _) = Server::start(Some(dir.path()), json!({}));
    let uri = server.open(&state, 1);
    server.diagnostics(&uri, 1, has("RL101"));
    // Replace `counter += 1` (UTF-16 columns 19..31) with `pass`: the race is gone.
    server.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri, "version": 2 },
            "contentChanges": [{
                "range": { "start": { "line": 5, "character": 19 }, "end": { "line": 5, "character": 31 } },
                "text": "pass"
            }]
        }),
    );
    server.diagnostics(&uri, 2, empty);
    // And an insertion at the end of the same line brings one back.
    server.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri, "version": 3 },
            "contentChanges": [{
                "range": { "start": { "line": 5, "character": 23 }, "end": { "line": 5, "character": 23 } },
                "text": "; counter -= 1"
            }]
        }),
    );
    let ds = server.diagnostics(&uri, 3, has("RL101"));
    assert_eq!(ds[0]["range"]["start"], json!({"line": 5, "character": 25}));
}

#[test]
fn hover_shows_rule_documentation() {
    let (dir, state, _) = racy_project();
    let text = format!("{STATE}\n\nvalue = 1  # noqa: RL001\n");
    std::fs::write(&state, &text).unwrap();
    let (mut server, _) = Server::start(Some(dir.path()), json!({}));
    let uri = server.open(&state, 1);
    server.diagnostics(&uri, 1, has("RL101"));
    let hover = server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 5, "character": 6 } }),
    );
    let value = hover["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(
        value.starts_with("# RL101 unlocked-read-modify-write"),
        "{hover}"
    );
    assert_eq!(hover["result"]["contents"]["kind"], "markdown");
    let hover = server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 8, "character": 21 } }),
    );
    let value = hover["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(value.starts_with("# RL001 syntax-error"), "{hover}");
    let nothing = server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 0, "character": 1 } }),
    );
    assert!(nothing["result"].is_null(), "{nothing}");
}

#[test]
fn settings_select_and_ignore_rules() {
    let (dir, state, _) = racy_project();
    let (mut server, _) = Server::start(
        Some(dir.path()),
        json!({ "initializationOptions": { "settings": { "ignore": ["RL101"], "logLevel": "debug" } } }),
    );
    let uri = server.open(&state, 1);
    server.diagnostics(&uri, 1, empty);
    // The editor changes its mind.
    server.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "racelint": { "ignore": [] } } }),
    );
    server.diagnostics(&uri, 1, has("RL101"));
    // A selector that names no rule is reported to the user, and changes nothing.
    server.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "racelint": { "select": ["RL999"] } } }),
    );
    let shown = server.wait_for("a message about the bad selector", |m| {
        m["method"] == "window/showMessage"
            && m["params"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("RL999")
    });
    assert_eq!(shown["params"]["type"], 2);
    // Settings can also come from `workspace/configuration` when the client is asked.
    server.configuration = json!({ "select": ["RL001"] });
    server.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": null }),
    );
    server.diagnostics(&uri, 1, empty);
    assert!(server
        .server_requests
        .iter()
        .any(|m| m == "workspace/configuration"));
    assert_eq!(server.shutdown().code(), Some(0));
}

#[test]
fn unsafe_fixes_are_offered_only_when_enabled() {
    // RL101 fixes that reuse an existing non-reentrant lock in a function may deadlock;
    // whatever the fix's applicability, the quick fix must follow the setting.
    let (dir, state, _) = racy_project();
    for unsafe_fixes in [false, true] {
        let (mut server, _) = Server::start(
            Some(dir.path()),
            json!({ "initializationOptions": { "unsafeFixes": unsafe_fixes } }),
        );
        let uri = server.open(&state, 1);
        let mut diagnostics = server.diagnostics(&uri, 1, has("RL101"));
        // Whatever the rule produced, present its fix as unsafe.
        let fix = json!({
            "title": "Wrap in `with lock:`",
            "applicability": "unsafe",
            "edits": [{ "range": { "start": { "line": 5, "character": 4 }, "end": { "line": 5, "character": 4 } }, "newText": "" }]
        });
        diagnostics[0]["data"] = json!({ "version": 1, "fix": fix });
        let actions = code_actions(&mut server, &uri, &diagnostics, Some(json!(["quickfix"])));
        let offered: Vec<&Value> = actions
            .iter()
            .filter(|a| {
                a["title"]
                    .as_str()
                    .unwrap()
                    .starts_with("Wrap in `with lock:`")
            })
            .collect();
        if unsafe_fixes {
            assert_eq!(offered.len(), 1, "{actions:#?}");
            assert!(offered[0]["title"].as_str().unwrap().contains("unsafe"));
            assert_eq!(offered[0]["isPreferred"], false);
        } else {
            assert!(offered.is_empty(), "{actions:#?}");
        }
    }
}

#[test]
fn watched_file_changes_are_picked_up() {
    let (dir, state, main) = racy_project();
    let (mut server, _) = Server::start(Some(dir.path()), json!({}));
    server.wait_for("the file watcher registration", |m| {
        m["method"] == "client/registerCapability"
            && m["params"]["registrations"][0]["method"] == "workspace/didChangeWatchedFiles"
    });
    let uri = server.open(&state, 1);
    server.diagnostics(&uri, 1, has("RL101"));

    std::fs::write(&main, MAIN_SAFE).unwrap();
    server.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": file_uri(&main), "type": 2 }] }),
    );
    server.diagnostics(&uri, 1, empty);

    // A new module that starts threads on bump() is found when it is created.
    let extra = dir.path().join("pkg/extra.py");
    std::fs::write(&extra, MAIN_RACY).unwrap();
    server.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": file_uri(&extra), "type": 1 }] }),
    );
    server.diagnostics(&uri, 1, has("RL101"));

    std::fs::remove_file(&extra).unwrap();
    server.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": file_uri(&extra), "type": 3 }] }),
    );
    server.diagnostics(&uri, 1, empty);
    assert_eq!(server.shutdown().code(), Some(0));
}

#[test]
fn a_file_opened_without_a_workspace_brings_its_project() {
    let (dir, state, _) = racy_project();
    std::fs::write(
        dir.path().join("pyproject.toml"),
        "[project]\nname = \"demo\"\n",
    )
    .unwrap();
    let (mut server, _) = Server::start(None, json!({}));
    let uri = server.open(&state, 1);
    // The race needs main.py, which is found through the project root.
    server.diagnostics(&uri, 1, has("RL101"));
}

#[test]
fn an_adopted_project_brings_its_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let source = "import threading

counter = 0


def worker():
    global counter
    counter += 1


threads = [threading.Thread(target=worker) for _ in range(4)]
";
    let paths = write_files(
        dir.path(),
        &[
            ("app.py", source),
            ("racelint.toml", "ignore = [\"RL101\"]\n"),
        ],
    );
    let (mut server, _) = Server::start(None, json!({}));
    let uri = server.open(&paths[0], 1);
    server.diagnostics(&uri, 1, empty);
    // The same file with the configuration gone: the race is reported.
    std::fs::remove_file(&paths[1]).unwrap();
    server.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": file_uri(&paths[1]), "type": 3 }] }),
    );
    server.diagnostics(&uri, 1, has("RL101"));
}

#[test]
fn project_configuration_applies_and_its_changes_are_picked_up() {
    let (dir, state, _) = racy_project();
    let config = dir.path().join("racelint.toml");
    std::fs::write(&config, "ignore = [\"RL101\"]\n").unwrap();
    let (mut server, _) = Server::start(Some(dir.path()), json!({}));
    let uri = server.open(&state, 1);
    server.diagnostics(&uri, 1, empty);

    std::fs::write(&config, "select = [\"RL1\"]\n").unwrap();
    server.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": file_uri(&config), "type": 2 }] }),
    );
    server.diagnostics(&uri, 1, has("RL101"));

    // A broken configuration is shown to the user; the server keeps working.
    std::fs::write(&config, "select = 3\n").unwrap();
    server.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": file_uri(&config), "type": 2 }] }),
    );
    let shown = server.wait_for("a message about the broken configuration", |m| {
        m["method"] == "window/showMessage"
            && m["params"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("racelint.toml")
    });
    assert_eq!(shown["params"]["type"], 2);
    assert_eq!(server.shutdown().code(), Some(0));
}

#[test]
fn clients_without_versioned_edits_get_fixes_for_the_current_text_only() {
    let (dir, state, _) = racy_project();
    let mut caps = client::default_capabilities();
    caps["workspace"]["workspaceEdit"]["documentChanges"] = json!(false);
    let (mut server, _) = Server::start(Some(dir.path()), json!({ "capabilities": caps }));
    let uri = server.open(&state, 1);
    let diagnostics = server.diagnostics(&uri, 1, has("RL101"));
    let actions = code_actions(&mut server, &uri, &diagnostics, Some(json!(["quickfix"])));
    let fix = actions
        .iter()
        .find(|a| a["isPreferred"] == true)
        .unwrap_or_else(|| panic!("no fix in {actions:#?}"));
    assert!(fix["edit"]["documentChanges"].is_null());
    let fixed = apply_text_edits(STATE, &edits_for(&fix["edit"], &uri));
    assert!(fixed.contains("with "), "{fixed}");

    // The document moves on (a blank line on top); the old diagnostic's fix and suppression
    // would land on the wrong line, and are not offered.
    let moved = format!("\n{STATE}");
    server.change_full(&uri, 2, &moved);
    server.diagnostics(&uri, 2, has("RL101"));
    let actions = code_actions(&mut server, &uri, &diagnostics, Some(json!(["quickfix"])));
    assert!(actions.is_empty(), "{actions:#?}");
    assert_eq!(server.shutdown().code(), Some(0));
}

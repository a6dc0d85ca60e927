//! Responsiveness benchmark of the language server: the time from `didChange` to the
//! `publishDiagnostics` of that version, for a 2,000-line file in a workspace of 500 files.
//!
//! ```text
//! cargo run --release -p racelint_server --example latency
//! cargo run --release -p racelint_server --example latency -- --binary target/release/racelint
//! ```
//!
//! By default the server runs in this process over in-memory channels; with `--binary` the
//! real `racelint server` runs as a child process over stdio. Options: `--files N` (500),
//! `--lines N` (2000), `--edits N` (60), `--depth N` (10: length of the cross-module call
//! chains), `--keep` (keep the generated workspace).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use lsp_server::{Message, Notification, Request, RequestId};
use racelint_server::transport::{self, Incoming, Outgoing};
use serde_json::{json, Value};

struct Options {
    files: usize,
    lines: usize,
    edits: usize,
    binary: Option<PathBuf>,
    keep: bool,
    depth: usize,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        files: 500,
        lines: 2000,
        edits: 60,
        binary: None,
        keep: false,
        depth: 10,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("`{arg}` needs a value"));
        match arg.as_str() {
            "--files" => options.files = value()?.parse().map_err(|e| format!("--files: {e}"))?,
            "--lines" => options.lines = value()?.parse().map_err(|e| format!("--lines: {e}"))?,
            "--edits" => options.edits = value()?.parse().map_err(|e| format!("--edits: {e}"))?,
            "--binary" => options.binary = Some(PathBuf::from(value()?)),
            "--keep" => options.keep = true,
            "--depth" => options.depth = value()?.parse().map_err(|e| format!("--depth: {e}"))?,
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    if options.files < 4 || options.lines < 100 || options.edits == 0 || options.depth == 0 {
        return Err("need --files >= 4, --lines >= 100, --edits >= 1, --depth >= 1".into());
    }
    Ok(options)
}

/// A module of the generated workspace: a lock-using class, a helper that calls the
/// helper of the module before it (call chains `depth` modules deep, across files), and
/// every tenth module starting threads.
fn small_module(i: usize, depth: usize) -> String {
    let chained = !i.is_multiple_of(depth);
    let mut s = String::new();
    s.push_str("import threading\n");
    if chained {
        s.push_str(&format!(
            "from app.pkg_{:02}.mod_{:03} import helper_{:03}\n",
            (i - 1) / 10,
            i - 1,
            i - 1
        ));
    }
    s.push_str(&format!(
        "\n\ncount_{i:03} = 0\nlock_{i:03} = threading.Lock()\n\n\n\
         class Store{i:03}:\n    def __init__(self):\n        self._lock = threading.Lock()\n        self.items = {{}}\n        self.hits = 0\n\n\
         \x20   def put(self, key, value):\n        with self._lock:\n            self.items[key] = value\n            self.hits += 1\n\n\
         \x20   def get(self, key):\n        with self._lock:\n            return self.items.get(key)\n\n\n\
         def helper_{i:03}(n):\n    global count_{i:03}\n    with lock_{i:03}:\n        count_{i:03} += n\n"
    ));
    if chained {
        s.push_str(&format!("    helper_{:03}(n)\n", i - 1));
    }
    s.push_str(&format!(
        "    return count_{i:03}\n\n\ndef compute_{i:03}(values):\n    total = 0\n    for v in values:\n        total += v * 2\n    return total\n"
    ));
    if i % 10 == 9 {
        s.push_str(&format!(
            "\n\ndef run_{i:03}():\n    threads = [threading.Thread(target=helper_{i:03}, args=(k,)) for k in range(4)]\n    for t in threads:\n        t.start()\n    for t in threads:\n        t.join()\n"
        ));
    }
    s
}

/// Where module `i` lives.
fn module_path(i: usize) -> String {
    format!("pkg_{:02}/mod_{i:03}.py", i / 10)
}

/// The big file: many functions, some of them thread targets, a few racy on purpose.
fn big_module(lines: usize, previous: usize) -> String {
    let mut s = format!(
        "import threading\nfrom app.pkg_{:02}.mod_{previous:03} import helper_{previous:03}\n\nstats = {{}}\ncounter = 0\nstats_lock = threading.Lock()\n\n\n",
        previous / 10
    );
    let mut k = 0;
    while s.lines().count() + 24 < lines {
        s.push_str(&format!(
            "def task_{k:04}(items):\n    \"\"\"Work item {k}: é 😀 (non-ASCII on purpose).\"\"\"\n    local = []\n    for item in items:\n        if item % 3 == 0:\n            local.append(item)\n        elif item % 5 == 0:\n            local.append(item * 2)\n        else:\n            local.append(-item)\n    with stats_lock:\n        stats[{k}] = len(local)\n    helper_{previous:03}(len(local))\n    return local\n\n\n"
        ));
        if k % 25 == 0 {
            s.push_str(&format!(
                "def start_{k:04}():\n    for _ in range(4):\n        threading.Thread(target=task_{k:04}, args=([1, 2, 3],)).start()\n\n\n"
            ));
        }
        k += 1;
    }
    s.push_str("def racy():\n    global counter\n    counter += 1\n\n\nthreads = [threading.Thread(target=racy) for _ in range(4)]\n");
    while s.lines().count() < lines {
        s.push_str("# padding\n");
    }
    s
}

fn generate(root: &Path, options: &Options) -> PathBuf {
    let app = root.join("app");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(app.join("__init__.py"), "").unwrap();
    // `options.files` in all: app/__init__.py, big.py, the modules and their packages'
    // `__init__.py` files.
    let mut small = options.files - 2;
    while small > 0 && 2 + small + small.div_ceil(10) > options.files {
        small -= 1;
    }
    for i in 0..small {
        let path = app.join(module_path(i));
        if i % 10 == 0 {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path.with_file_name("__init__.py"), "").unwrap();
        }
        std::fs::write(&path, small_module(i, options.depth)).unwrap();
    }
    let big = app.join("big.py");
    std::fs::write(&big, big_module(options.lines, small.saturating_sub(1))).unwrap();
    big
}

/// Either end of a connection to a server.
trait Connection {
    fn send(&mut self, message: Message);
    fn recv(&mut self, timeout: Duration) -> Option<Value>;
}

struct InProcess {
    client: transport::ClientEnd,
    _server: std::thread::JoinHandle<u8>,
}

impl Connection for InProcess {
    fn send(&mut self, message: Message) {
        self.client.sender.send(Incoming::Message(message)).unwrap();
    }
    fn recv(&mut self, timeout: Duration) -> Option<Value> {
        match self.client.receiver.recv_timeout(timeout).ok()? {
            Outgoing::Message(m) => serde_json::to_value(m).ok(),
            Outgoing::Raw(v) => Some(v),
            Outgoing::Flush(done) => {
                let _ = done.send(());
                Some(Value::Null)
            }
        }
    }
}

struct Process {
    child: Child,
    stdin: ChildStdin,
    incoming: mpsc::Receiver<Value>,
}

impl Connection for Process {
    fn send(&mut self, message: Message) {
        message.write(&mut self.stdin).unwrap();
    }
    fn recv(&mut self, timeout: Duration) -> Option<Value> {
        self.incoming.recv_timeout(timeout).ok()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(binary: &Path) -> Process {
    let mut child = Command::new(binary)
        .arg("server")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()));
    let stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || loop {
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            if stdout.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(v) = line.strip_prefix("Content-Length: ") {
                length = v.parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if stdout.read_exact(&mut body).is_err() {
            return;
        }
        if let Ok(v) = serde_json::from_slice(&body) {
            if tx.send(v).is_err() {
                return;
            }
        }
    });
    Process {
        child,
        stdin,
        incoming: rx,
    }
}

fn uri(path: &Path) -> String {
    racelint_server::convert::path_to_uri(path)
        .map(|u| u.as_str().to_string())
        .unwrap()
}

fn notification(method: &str, params: Value) -> Message {
    Message::Notification(Notification::new(method.to_string(), params))
}

/// Waits for the diagnostics of `uri` at `version`; answers requests from the server.
fn wait_publish(
    conn: &mut dyn Connection,
    uri: &str,
    version: i64,
    logs: &mut Vec<String>,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Some(message) = conn.recv(left) else {
            panic!("no diagnostics for version {version} within two minutes");
        };
        if message["method"] == "window/logMessage" {
            logs.push(
                message["params"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
        }
        if message["method"] == "textDocument/publishDiagnostics"
            && message["params"]["uri"] == uri
            && message["params"]["version"] == version
        {
            return message;
        }
    }
}

fn main() {
    let options = match parse_options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("latency: {e}");
            std::process::exit(2);
        }
    };
    let root = std::env::temp_dir().join(format!("racelint-latency-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let big = generate(&root, &options);
    let text = std::fs::read_to_string(&big).unwrap();
    let big_lines = text.lines().count();
    let files_written = racelint_linter::discover(
        std::slice::from_ref(&root),
        &racelint_linter::Settings::new(),
    )
    .map_or(0, |d| d.files.len());

    let mut conn: Box<dyn Connection> = match &options.binary {
        Some(binary) => Box::new(spawn(binary)),
        None => {
            let (server_end, client_end) = transport::memory();
            let server = std::thread::spawn(move || racelint_server::server::run(server_end));
            Box::new(InProcess {
                client: client_end,
                _server: server,
            })
        }
    };

    let started = Instant::now();
    conn.send(Message::Request(Request::new(
        RequestId::from(1),
        "initialize".into(),
        json!({
            "processId": null,
            "rootUri": uri(&root),
            "capabilities": {},
            "initializationOptions": { "logLevel": "debug" },
        }),
    )));
    conn.send(notification("initialized", json!({})));
    let big_uri = uri(&big);
    conn.send(notification(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": big_uri, "languageId": "python", "version": 1, "text": text } }),
    ));
    let mut logs = Vec::new();
    let first = wait_publish(conn.as_mut(), &big_uri, 1, &mut logs);
    let first_ms = started.elapsed().as_secs_f64() * 1000.0;
    let count = first["params"]["diagnostics"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(count > 0, "the generated workspace has no race to report");

    // Edits as an editor sends them: incremental, on the line before the end of `racy()`.
    let racy_line = text
        .lines()
        .position(|l| l == "    counter += 1")
        .expect("the racy line") as u64;
    let mut samples = Vec::with_capacity(options.edits);
    for i in 0..options.edits {
        let version = i as i64 + 2;
        // Alternate: make the race safe (`pass`), then racy again.
        let (old_len, new_text) = if i % 2 == 0 {
            (16, "    pass")
        } else {
            (8, "    counter += 1")
        };
        let change = json!({
            "textDocument": { "uri": big_uri, "version": version },
            "contentChanges": [{
                "range": { "start": { "line": racy_line, "character": 0 }, "end": { "line": racy_line, "character": old_len } },
                "text": new_text
            }]
        });
        let sent = Instant::now();
        conn.send(notification("textDocument/didChange", change));
        let published = wait_publish(conn.as_mut(), &big_uri, version, &mut logs);
        samples.push(sent.elapsed().as_secs_f64() * 1000.0);
        let n = published["params"]["diagnostics"]
            .as_array()
            .map_or(0, Vec::len);
        let expected = if i % 2 == 0 { count - 1 } else { count };
        assert_eq!(n, expected, "wrong diagnostics after edit {version}");
        // Typing speed: a pause between keystrokes, so each edit is measured on its own.
        std::thread::sleep(Duration::from_millis(20));
    }
    conn.send(Message::Request(Request::new(
        RequestId::from(2),
        "shutdown".into(),
        Value::Null,
    )));
    conn.send(notification("exit", Value::Null));
    if options.keep {
        println!("workspace kept in {}", root.display());
    } else {
        let _ = std::fs::remove_dir_all(&root);
    }

    samples.sort_by(f64::total_cmp);
    let pick = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "workspace: {} files ({} lines in the edited file, call chains {} modules deep), server {}",
        files_written,
        big_lines,
        options.depth,
        if options.binary.is_some() {
            "over stdio"
        } else {
            "in process"
        }
    );
    println!("first diagnostics after open (index included): {first_ms:.1} ms");
    let runs: Vec<&String> = logs.iter().filter(|l| l.contains("run:")).collect();
    for line in &runs[runs.len().saturating_sub(4)..] {
        println!("  last runs, from the server's log: {line}");
    }
    println!(
        "didChange -> publishDiagnostics over {} edits: median {:.1} ms, p90 {:.1} ms, max {:.1} ms",
        samples.len(),
        pick(0.5),
        pick(0.9),
        pick(1.0)
    );
}

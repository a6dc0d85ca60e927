//! A real editor as the client: headless Neovim (Debian's `neovim` package, installed by
//! `.ci/run`) opens a racy file with `racelint server` as its language server. The test
//! fails when Neovim is missing, when no diagnostics arrive, or when they are wrong.

#[path = "server/client.rs"]
mod client;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const STATE: &str = "counter = 0


def bump():
    global counter
    counter += 1
";

const MAIN: &str = "import threading

from pkg.state import bump


def worker():
    bump()


threads = [threading.Thread(target=worker) for _ in range(4)]
";

fn nvim() -> String {
    let candidate = std::env::var("RACELINT_NVIM").unwrap_or_else(|_| "nvim".to_string());
    let found = Command::new(&candidate)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "Neovim (`{candidate}`) is needed for this test: `apt-get install neovim` (as .ci/run does), \
         or point RACELINT_NVIM at an nvim binary"
    );
    candidate
}

fn run_neovim(root: &Path, file: &Path) -> Value {
    let result = root.join("nvim-result.json");
    let home = root.join("nvim-home");
    std::fs::create_dir_all(&home).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/server/neovim.lua");
    let mut child = Command::new(nvim())
        .args(["--headless", "--clean", "-n", "-i", "NONE", "-c"])
        .arg(format!("luafile {}", script.display()))
        .env("RACELINT_BIN", env!("CARGO_BIN_EXE_racelint"))
        .env("RACELINT_FILE", file)
        .env("RACELINT_ROOT", root)
        .env("RACELINT_RESULT", &result)
        .env("RACELINT_TIMEOUT_MS", "30000")
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_STATE_HOME", home.join("state"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("nvim starts");
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "Neovim did not finish; it got as far as: {}",
                std::fs::read_to_string(&result).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let text = std::fs::read_to_string(&result)
        .unwrap_or_else(|_| panic!("Neovim wrote no result (exit status {status})"));
    let value: Value = serde_json::from_str(&text).expect("the result is JSON");
    assert!(status.success(), "Neovim failed ({status}): {value:#}");
    value
}

#[test]
fn neovim_receives_diagnostics_fixes_and_hovers() {
    let dir = tempfile::tempdir().unwrap();
    let paths = client::write_files(
        dir.path(),
        &[
            ("pkg/__init__.py", ""),
            ("pkg/state.py", STATE),
            ("pkg/main.py", MAIN),
        ],
    );
    let seen = run_neovim(dir.path(), &paths[1]);

    let diagnostics = seen["diagnostics"].as_array().cloned().unwrap_or_default();
    assert!(
        !diagnostics.is_empty(),
        "no diagnostics arrived in Neovim: {seen:#}"
    );
    assert_eq!(diagnostics.len(), 1, "{seen:#}");
    let d = &diagnostics[0];
    assert_eq!(d["code"], "RL101", "{seen:#}");
    assert_eq!(d["source"], "racelint");
    assert_eq!(d["lnum"], 5);
    assert_eq!(d["col"], 4);
    assert_eq!(d["end_col"], 16);
    // Neovim's severity 2 is a warning.
    assert_eq!(d["severity"], 2);
    assert!(d["message"].as_str().unwrap().contains("counter"));
    assert!(d["related"].as_u64().unwrap() >= 2, "{seen:#}");

    let hover = seen["hover"].as_str().unwrap_or_default();
    assert!(
        hover.contains("RL101 unlocked-read-modify-write"),
        "{seen:#}"
    );

    let actions = seen["actions"].as_array().cloned().unwrap_or_default();
    assert!(
        actions.iter().any(|a| a["title"]
            .as_str()
            .unwrap_or_default()
            .contains("# noqa: RL101")),
        "{seen:#}"
    );
    // The preferred quick fix is the rule's own fix; applying it clears the diagnostics.
    assert!(d["has_fix"] == true, "{seen:#}");
    assert_eq!(
        actions.iter().filter(|a| a["preferred"] == true).count(),
        1,
        "{seen:#}"
    );
    assert_eq!(seen["cleared"], true, "{seen:#}");
    assert!(
        seen["fixed_text"].as_str().unwrap().contains("with "),
        "{seen:#}"
    );
    assert_eq!(seen["steps"].as_array().unwrap().last().unwrap(), "stopped");
}

//! `pip install .` builds a wheel with the `racelint` binary (maturin, `bindings = "bin"`)
//! and puts `racelint` on the virtualenv's PATH. Drives the real pip into a fresh
//! virtualenv; pip fetches maturin as the build backend. The build is a release build of the
//! whole binary, kept in `target/python-build` (shared with `tests/precommit.rs`).

mod tools;

use std::process::Command;

#[test]
fn pip_install_gives_a_working_racelint() {
    let python = tools::tool("python");
    let tmp = tempfile::tempdir().unwrap();
    let venv = tmp.path().join("venv");
    let out = tools::run(Command::new(&python).args(["-m", "venv"]).arg(&venv));
    assert!(out.status.success(), "venv: {}", tools::text(&out));

    let pip = venv.join("bin").join("pip");
    let out = tools::run(
        Command::new(&pip)
            .args([
                "install",
                "--disable-pip-version-check",
                "--no-input",
                "--quiet",
            ])
            .arg(tools::repo_root())
            .env("CARGO_TARGET_DIR", tools::python_build_target())
            .env("CARGO_TERM_COLOR", "never"),
    );
    assert!(
        out.status.success(),
        "pip install . failed:\n{}",
        tools::text(&out)
    );

    let racelint = venv.join("bin").join("racelint");
    assert!(
        racelint.is_file(),
        "pip put no racelint in {}",
        venv.display()
    );
    let out = tools::run(Command::new(&racelint).arg("--version"));
    assert!(out.status.success(), "{}", tools::text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("racelint {}", env!("CARGO_PKG_VERSION"))
    );

    // The package metadata carries the crate's version.
    let out = tools::run(Command::new(&pip).args(["show", "racelint"]));
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains(&format!("Version: {}", env!("CARGO_PKG_VERSION"))),
        "{shown}"
    );

    // Found on PATH inside the virtualenv, and it checks code.
    let project = tmp.path().join("project");
    std::fs::create_dir(&project).unwrap();
    std::fs::write(
        project.join("racy.py"),
        "import threading\n\nn = 0\n\n\ndef work():\n    global n\n    n += 1\n\n\n\
         threads = [threading.Thread(target=work) for _ in range(2)]\n",
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        venv.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = tools::run(
        Command::new("racelint")
            .args(["check", "--output-format", "concise", "racy.py"])
            .current_dir(&project)
            .env("PATH", path),
    );
    assert_eq!(out.status.code(), Some(1), "{}", tools::text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("racy.py:8:5: RL101"),
        "{}",
        tools::text(&out)
    );
}

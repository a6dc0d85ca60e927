//! racelint's language server: the same diagnostics, explanations and fixes as the command
//! line, in any editor that speaks the Language Server Protocol.
//!
//! - [`transport`]: JSON-RPC framing over stdio that survives malformed input.
//! - [`server`]: lifecycle, documents, settings, dispatch (the main loop).
//! - [`worker`]: the analysis thread: module summaries of the workspace, re-summarized per
//!   changed file, whole-program analysis per run, diagnostics published or pulled.
//! - [`diagnostics`], [`actions`], [`hover`]: what the editor shows.
//! - [`convert`]: URIs and paths, byte offsets and UTF-16/UTF-8 positions.
//! - [`settings`]: editor settings and the project configuration hook.

pub mod actions;
pub mod convert;
pub mod diagnostics;
pub mod hover;
pub mod log;
pub mod server;
pub mod settings;
pub mod transport;
pub mod worker;

/// Runs the server over stdin and stdout until the client says `exit` (or stdin ends).
/// The exit code is 0 after a clean `shutdown` and `exit`, 1 otherwise.
pub fn run_stdio() -> std::process::ExitCode {
    let code = server::run(transport::stdio());
    std::process::ExitCode::from(code)
}

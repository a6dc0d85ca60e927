use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// A static race-condition linter for Python, for code meeting free-threaded CPython.
#[derive(Debug, Parser)]
#[command(name = "racelint", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check Python files and directories for races.
    Check(CheckArgs),
    /// Show a rule's documentation, or list every rule.
    Rule(RuleArgs),
    /// Run the language server (LSP over stdin and stdout) for editors.
    Server(ServerArgs),
}

#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Accepted for clients that pass it; stdio is the only transport.
    #[arg(long, hide = true)]
    pub stdio: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Each diagnostic with its source snippet, labels and notes.
    Full,
    /// One line per diagnostic: `path:line:col: CODE message`.
    Concise,
    /// A JSON array, one object per diagnostic (positions, related locations, fix).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other code-quality services.
    Sarif,
    /// GitHub Actions workflow commands (annotations on pull requests).
    Github,
    /// JUnit XML, one failing test case per diagnostic.
    Junit,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or directories to check [default: .]
    pub paths: Vec<PathBuf>,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = OutputFormat::Full)]
    pub output_format: OutputFormat,
    /// Only report these rules (codes, prefixes such as `RL1`, or names), comma-separated;
    /// replaces `select` from the configuration.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Option<Vec<String>>,
    /// Report these rules in addition to the selected ones.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub extend_select: Vec<String>,
    /// Do not report these rules.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,
    /// Also check `*.pyi` stub files found in directories.
    #[arg(long)]
    pub include_stubs: bool,
    /// Descend into files that `.gitignore` excludes.
    #[arg(long)]
    pub no_respect_gitignore: bool,
    /// Print only the diagnostics, without the summary line.
    #[arg(long, short)]
    pub quiet: bool,
    /// Write the output to this file instead of standard output.
    #[arg(long, value_name = "PATH")]
    pub output_file: Option<PathBuf>,
    /// Exit with 0 even when issues are found (errors still exit with 2).
    #[arg(long)]
    pub exit_zero: bool,
    /// Print how many issues each rule found, instead of the issues.
    #[arg(long)]
    pub statistics: bool,
    /// Use this configuration file (`racelint.toml`, or a `pyproject.toml` with
    /// `[tool.racelint]`) instead of searching for one.
    #[arg(long, value_name = "PATH", conflicts_with = "isolated")]
    pub config: Option<PathBuf>,
    /// Ignore every configuration file.
    #[arg(long)]
    pub isolated: bool,
    /// Path globs never checked, comma-separated; replaces `exclude` from the configuration.
    #[arg(long, value_delimiter = ',', value_name = "GLOBS")]
    pub exclude: Option<Vec<String>>,
    /// Path globs never checked, in addition to `exclude`.
    #[arg(long, value_delimiter = ',', value_name = "GLOBS")]
    pub extend_exclude: Vec<String>,
    /// Apply `exclude` to files named on the command line too (as pre-commit names them).
    #[arg(long)]
    pub force_exclude: bool,
    /// Also show the issues that suppression comments silence (they do not count).
    #[arg(long)]
    pub show_suppressed: bool,
    /// Apply the safe fixes (wrapping races in `with <lock>:`), then report what remains.
    #[arg(long)]
    pub fix: bool,
    /// Apply the unsafe fixes too (with `--fix`, `--fix-only` or `--diff`).
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Print a unified diff of what the fixes would change and write nothing; exit 1 when
    /// there is a change.
    #[arg(long)]
    pub diff: bool,
    /// Apply the fixes without reporting the issues that remain.
    #[arg(long)]
    pub fix_only: bool,
}

#[derive(Debug, Args)]
pub struct RuleArgs {
    /// A rule code (`RL101`) or name (`unlocked-read-modify-write`).
    pub code: Option<String>,
    /// List every rule.
    #[arg(long, conflicts_with = "code")]
    pub all: bool,
}

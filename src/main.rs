//! The `racelint` command line.

/// glibc's allocator spends a quarter of a run in malloc and free on many threads.
#[global_allocator]
static GLOBAL: racelint_alloc::Allocator = racelint_alloc::Allocator;

mod check;
mod cli;
mod fix;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Rule(args) => rule(args),
        Command::Server(_) => return racelint_server::run_stdio(),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("racelint: error: {message}");
            ExitCode::from(2)
        }
    }
}

fn rule(args: cli::RuleArgs) -> Result<ExitCode, String> {
    if args.all || args.code.is_none() {
        for rule in racelint_rules::RULES {
            println!("{:<7} {:<28} {}", rule.code, rule.name, rule.summary);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let code = args.code.unwrap_or_default();
    let rule = racelint_rules::rule(&code)
        .ok_or_else(|| format!("unknown rule `{code}` (see `racelint rule --all`)"))?;
    print!("{}", rule.page());
    Ok(ExitCode::SUCCESS)
}

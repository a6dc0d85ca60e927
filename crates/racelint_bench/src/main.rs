//! `racelint_bench`: how far `racelint check` is from the cost of merely parsing.
//!
//! Over one corpus (the standard library of the machine's `python3` unless paths are given),
//! two phases are timed, each a few times, best run kept:
//!
//! - **parse-only**, the floor: discover the files, read each from disk and parse it with the
//!   options the summarizer uses, dropping each tree;
//! - **full check**: what `racelint check` runs, with the settings it uses by default:
//!   [`racelint_linter::check_paths_keeping_summaries`] — discovery, summaries, analysis,
//!   rules and materialized diagnostics (not printed; counted per rule). Like the command,
//!   which exits without freeing the summaries, the clock stops before they are freed; they
//!   are freed after it, untimed.
//!
//! Both phases discover the same files and run on the same pool ([`racelint_linter::pool`]).

/// glibc's allocator spends a quarter of a run in malloc and free on many threads.
#[global_allocator]
static GLOBAL: racelint_alloc::Allocator = racelint_alloc::Allocator;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use racelint_analysis::analyze;
use racelint_linter::{
    check_paths_keeping_summaries, discover, lint_summaries, pool, read_source, summarize_path,
    Report, Settings,
};
use rayon::prelude::*;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{PySourceType, PythonVersion};
use ruff_python_parser::{parse_unchecked, ParseOptions};

const USAGE: &str = "usage: racelint_bench [PATH ...] [--runs N] [--stages]";

const HELP: &str = "\
Times `racelint check` against a parse-only floor over a corpus of Python files.

usage: racelint_bench [PATH ...] [--runs N] [--stages]

  PATH        files or directories to use (default: the standard library of `python3`)
  --runs N    timed runs of each phase; the best is reported (default: 3)
  --stages    also time the stages of one full check (summaries, analysis, rules,
              diagnostics) to see where the time goes, and what a walk that does
              nothing but visit every node would cost
  -h, --help  print this help";

struct Args {
    paths: Vec<PathBuf>,
    runs: usize,
    stages: bool,
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("racelint_bench: {message} ({USAGE})");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("racelint_bench: {message}");
            ExitCode::from(2)
        }
    }
}

/// `Ok(None)` when help was asked for.
fn parse_args(mut argv: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut paths = Vec::new();
    let mut runs = 3;
    let mut stages = false;
    while let Some(arg) = argv.next() {
        let runs_value = if arg == "--runs" {
            Some(argv.next().ok_or("`--runs` needs a number")?)
        } else {
            arg.strip_prefix("--runs=").map(str::to_owned)
        };
        if let Some(value) = runs_value {
            runs = match value.parse::<usize>() {
                Ok(n) if n > 0 => n,
                _ => return Err(format!("`--runs` needs a positive number, not `{value}`")),
            };
        } else if arg == "--stages" {
            stages = true;
        } else if arg == "-h" || arg == "--help" {
            return Ok(None);
        } else if arg.starts_with('-') && arg != "-" {
            return Err(format!("unknown option `{arg}`"));
        } else {
            paths.push(PathBuf::from(arg));
        }
    }
    Ok(Some(Args {
        paths,
        runs,
        stages,
    }))
}

fn run(args: Args) -> Result<(), String> {
    let paths = if args.paths.is_empty() {
        vec![python_stdlib()?]
    } else {
        args.paths
    };
    // Exactly what `racelint check` starts from when no option is given.
    let settings = Settings::new();

    let started = Instant::now();
    let files = discover(&paths, &settings)?.files;
    let discovery = started.elapsed();
    if files.is_empty() {
        return Err("no Python files found".to_owned());
    }
    // One untimed read of every file: counts lines and warms the page cache, so the first
    // timed run of either phase does not pay for the disk.
    let lines: usize = pool().install(|| {
        files
            .par_iter()
            .map(|p| read_source(p).map_or(0, |s| count_lines(&s.text)))
            .sum()
    });

    let corpus = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" ");
    println!("corpus: {corpus}");
    println!(
        "files: {}   lines: {}   threads: {}   runs per phase: {} (best reported)",
        group(files.len() as u64),
        group(lines as u64),
        pool().current_num_threads(),
        args.runs
    );
    println!("discovery alone: {}", seconds(discovery));
    println!();

    let mut parse_phase = Phase::new("parse-only");
    let mut syntax_error_files = 0;
    for _ in 0..args.runs {
        let (elapsed, (checked, with_errors)) = parse_phase.time(|| parse_only(&paths, &settings));
        if checked != files.len() {
            return Err(format!(
                "parse-only saw {checked} files, discovery {}",
                files.len()
            ));
        }
        syntax_error_files = with_errors;
        parse_phase.runs.push(elapsed);
    }

    let mut full_phase = Phase::new("full check");
    let mut last: Option<Report> = None;
    for _ in 0..args.runs {
        drop(last.take());
        let (elapsed, checked) =
            full_phase.time(|| check_paths_keeping_summaries(&paths, &settings));
        let (report, summaries) = checked?;
        drop(summaries);
        if report.files_checked != files.len() {
            return Err(format!(
                "the check saw {} files, discovery {}",
                report.files_checked,
                files.len()
            ));
        }
        full_phase.runs.push(elapsed);
        last = Some(report);
    }
    let report = last.unwrap_or_default();

    println!(
        "{:<12} {:>10} {:>10} {:>14} {:>10} {:>12}",
        "phase", "best", "median", "lines/s", "cpu", "peak RSS"
    );
    for phase in [&parse_phase, &full_phase] {
        println!(
            "{:<12} {:>10} {:>10} {:>14} {:>10} {:>12}",
            phase.name,
            seconds(phase.best()),
            seconds(phase.median()),
            group((lines as f64 / phase.best().as_secs_f64().max(1e-9)) as u64),
            phase.best_cpu().map_or_else(|| "n/a".to_owned(), seconds),
            phase
                .peak
                .map_or_else(|| "n/a".to_owned(), |b| format!("{:.1} MiB", mib(b))),
        );
    }
    for phase in [&parse_phase, &full_phase] {
        let all: Vec<String> = phase.runs.iter().map(|d| seconds(*d)).collect();
        println!("{} runs: {}", phase.name, all.join(", "));
    }
    println!();

    let ratio = full_phase.best().as_secs_f64() / parse_phase.best().as_secs_f64().max(1e-9);
    let verdict = if ratio <= 1.5 { "met" } else { "NOT met" };
    println!("full / parse-only: {ratio:.2}x wall clock (target <= 1.50x: {verdict})");
    if let (Some(full), Some(parse)) = (full_phase.best_cpu(), parse_phase.best_cpu()) {
        let cpu_ratio = full.as_secs_f64() / parse.as_secs_f64().max(1e-9);
        println!("full / parse-only: {cpu_ratio:.2}x processor time");
    }
    if let Some(peak) = process_peak() {
        println!("process peak RSS: {:.1} MiB", mib(peak));
    }
    println!("files with syntax errors (parser): {syntax_error_files}");

    let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for diagnostic in &report.diagnostics {
        *per_rule.entry(diagnostic.code).or_default() += 1;
    }
    let breakdown: Vec<String> = per_rule
        .iter()
        .map(|(code, n)| format!("{code} {}", group(*n as u64)))
        .collect();
    println!(
        "diagnostics: {}{}",
        group(report.diagnostics.len() as u64),
        if breakdown.is_empty() {
            String::new()
        } else {
            format!(" ({})", breakdown.join(", "))
        }
    );
    for warning in &report.warnings {
        println!("discovery warning: {warning}");
    }
    if args.stages {
        println!();
        stage_breakdown(&paths, &settings)?;
    }
    Ok(())
}

/// One full check taken apart into its stages, each timed by wall clock. It follows
/// [`check_paths_keeping_summaries`] step by step through public functions, so the sum is
/// close to, not exactly, one full run.
fn stage_breakdown(paths: &[PathBuf], settings: &Settings) -> Result<(), String> {
    let mut laps = Laps::default();
    let files = discover(paths, settings)?.files;
    laps.lap("discover");
    let summaries: Vec<_> = pool().install(|| {
        files
            .par_iter()
            .map(|p| summarize_path(p, None, settings))
            .collect()
    });
    laps.lap("read + summarize (parallel)");
    let functions: usize = summaries.iter().map(|m| m.functions.len()).sum();
    let calls: usize = summaries
        .iter()
        .flat_map(|m| &m.functions)
        .map(|f| f.calls.len())
        .sum();
    let accesses: usize = summaries
        .iter()
        .flat_map(|m| &m.functions)
        .map(|f| f.accesses.len())
        .sum();
    // On the same pool as `racelint check`: the analysis runs some steps in parallel.
    // (Without the patched copies for synchronizing decorators, which the stdlib has none
    // of: `lint_summaries` below makes them.)
    let views: Vec<&_> = summaries.iter().collect();
    let analysis = pool().install(|| analyze(&views, &settings.analysis));
    laps.lap("analyze");
    let findings = pool().install(|| racelint_rules::check(&analysis, &settings.selection));
    laps.lap("rules (side by side)");
    drop(analysis);
    laps.lap("drop analysis");
    let analysis_and_rules = laps.total_since(2);
    let diagnostics = lint_summaries(&summaries, None, settings, &|p| {
        read_source(p).ok().map(|s| s.text)
    });
    let lint = laps.lap("lint_summaries (all of the above)");
    drop(diagnostics);
    drop(summaries);
    laps.lap("drop summaries");

    println!(
        "summaries: {} functions, {} call sites, {} accesses; rules found {}",
        group(functions as u64),
        group(calls as u64),
        group(accesses as u64),
        group(findings.len() as u64)
    );
    println!("stages of one full check (wall clock):");
    for (name, d) in &laps.stages {
        println!("  {name:<36} {:>10}", seconds(*d));
    }
    println!(
        "  {:<36} {:>10}",
        "so diagnostics + sorting take about",
        seconds(lint.saturating_sub(analysis_and_rules)),
    );
    let (parse, visit, nodes) = traversal_floor(paths, settings);
    println!("what reaching every node costs (best of 3, wall clock):");
    println!("  {:<36} {:>10}", "read + parse", seconds(parse));
    println!(
        "  {:<36} {:>10}   ({} statements and expressions)",
        "read + parse + visit every node",
        seconds(visit),
        group(nodes as u64)
    );
    Ok(())
}

/// Consecutive wall-clock laps.
struct Laps {
    clock: Instant,
    stages: Vec<(&'static str, Duration)>,
}

impl Default for Laps {
    fn default() -> Laps {
        Laps {
            clock: Instant::now(),
            stages: Vec::new(),
        }
    }
}

impl Laps {
    fn lap(&mut self, name: &'static str) -> Duration {
        let elapsed = self.clock.elapsed();
        self.stages.push((name, elapsed));
        self.clock = Instant::now();
        elapsed
    }

    /// The laps from index `from` on, together.
    fn total_since(&self, from: usize) -> Duration {
        self.stages.iter().skip(from).map(|(_, d)| *d).sum()
    }
}

/// The floor: discover, read and parse every file in parallel, dropping each tree. Returns
/// the number of files and how many had syntax errors.
fn parse_only(paths: &[PathBuf], settings: &Settings) -> (usize, usize) {
    parse_and(paths, settings, |_| {})
}

/// [`parse_only`], handing each tree to `look` before it is dropped.
fn parse_and(
    paths: &[PathBuf],
    settings: &Settings,
    look: impl Fn(&ruff_python_ast::Mod) + Sync,
) -> (usize, usize) {
    let files = match discover(paths, settings) {
        Ok(discovery) => discovery.files,
        Err(_) => return (0, 0),
    };
    let with_errors = pool().install(|| {
        files
            .par_iter()
            .map(|path| {
                let Ok(source) = read_source(path) else {
                    return 0;
                };
                let options = ParseOptions::from(PySourceType::Python)
                    .with_target_version(PythonVersion::PY314);
                let parsed = racelint_alloc::trees(|| parse_unchecked(&source.text, options));
                look(parsed.syntax());
                usize::from(!parsed.errors().is_empty())
            })
            .sum()
    });
    (files.len(), with_errors)
}

/// Visits every statement and expression of a tree and does nothing else: what merely
/// reaching the nodes costs, the floor of any walk over them.
#[derive(Default)]
struct NodeCounter(usize);

impl<'a> Visitor<'a> for NodeCounter {
    fn visit_stmt(&mut self, stmt: &'a ruff_python_ast::Stmt) {
        self.0 += 1;
        visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a ruff_python_ast::Expr) {
        self.0 += 1;
        visitor::walk_expr(self, expr);
    }
}

/// The best of three wall-clock runs of parse-only, and of parse-only visiting every node.
fn traversal_floor(paths: &[PathBuf], settings: &Settings) -> (Duration, Duration, usize) {
    let nodes = std::sync::atomic::AtomicUsize::new(0);
    let best = |work: &dyn Fn()| {
        (0..3)
            .map(|_| {
                let started = Instant::now();
                work();
                started.elapsed()
            })
            .min()
            .unwrap_or_default()
    };
    let parse = best(&|| {
        parse_only(paths, settings);
    });
    let visit = best(&|| {
        nodes.store(0, std::sync::atomic::Ordering::Relaxed);
        parse_and(paths, settings, |tree| {
            let mut counter = NodeCounter::default();
            if let ruff_python_ast::Mod::Module(module) = tree {
                counter.visit_body(&module.body);
            }
            nodes.fetch_add(counter.0, std::sync::atomic::Ordering::Relaxed);
        });
    });
    (parse, visit, nodes.into_inner())
}

/// Timings of one phase and the highest resident memory seen while it ran.
struct Phase {
    name: &'static str,
    runs: Vec<Duration>,
    /// Processor time (user + system, all threads) of each run.
    cpu: Vec<Duration>,
    peak: Option<u64>,
}

impl Phase {
    fn new(name: &'static str) -> Phase {
        Phase {
            name,
            runs: Vec::new(),
            cpu: Vec::new(),
            peak: None,
        }
    }

    /// Runs `work` once, timing it by wall clock and recording the peak resident memory of
    /// the run (when the kernel lets the high-water mark be reset; otherwise the process
    /// peak so far).
    fn time<T>(&mut self, work: impl FnOnce() -> T) -> (Duration, T) {
        reset_peak();
        let cpu_before = process_cpu();
        let started = Instant::now();
        let out = work();
        let elapsed = started.elapsed();
        if let (Some(before), Some(after)) = (cpu_before, process_cpu()) {
            self.cpu.push(after.saturating_sub(before));
        }
        if let Some(peak) = process_peak() {
            self.peak = Some(self.peak.map_or(peak, |p| p.max(peak)));
        }
        (elapsed, out)
    }

    fn best(&self) -> Duration {
        self.runs.iter().copied().min().unwrap_or_default()
    }

    fn best_cpu(&self) -> Option<Duration> {
        self.cpu.iter().copied().min()
    }

    fn median(&self) -> Duration {
        let mut sorted = self.runs.clone();
        sorted.sort();
        sorted.get(sorted.len() / 2).copied().unwrap_or_default()
    }
}

/// Resets the kernel's resident-memory high-water mark of this process (Linux 4.0+), so the
/// next reading is the peak of one phase. Best effort.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Processor time used by this process so far, user and system, all threads.
fn process_cpu() -> Option<Duration> {
    // SAFETY: getrusage only writes into the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return None;
    }
    let time = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
    };
    Some(time(usage.ru_utime) + time(usage.ru_stime))
}

/// The peak resident memory of this process in bytes: `VmHWM`, else `ru_maxrss`.
fn process_peak() -> Option<u64> {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        let hwm = status.lines().find_map(|line| {
            let kib = line.strip_prefix("VmHWM:")?.trim().strip_suffix("kB")?;
            kib.trim().parse::<u64>().ok()
        });
        if let Some(kib) = hwm {
            return Some(kib * 1024);
        }
    }
    // SAFETY: getrusage only writes into the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return None;
    }
    let maxrss = u64::try_from(usage.ru_maxrss).ok()?;
    // Kilobytes everywhere but on macOS, where it is bytes.
    Some(if cfg!(target_os = "macos") {
        maxrss
    } else {
        maxrss * 1024
    })
}

/// The standard library directory of the machine's `python3`.
fn python_stdlib() -> Result<PathBuf, String> {
    let output = std::process::Command::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['stdlib'])",
        ])
        .output()
        .map_err(|e| format!("cannot run python3 to find its standard library: {e}"))?;
    let path = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if !output.status.success() || path.is_empty() {
        return Err("python3 did not name its standard library; give a path".to_owned());
    }
    Ok(PathBuf::from(path))
}

fn count_lines(text: &str) -> usize {
    let newlines = text.bytes().filter(|&b| b == b'\n').count();
    newlines + usize::from(!text.is_empty() && !text.ends_with('\n'))
}

fn seconds(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// `1234567` as `1,234,567`.
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Option<Args>, String> {
        parse_args(list.iter().map(|s| s.to_string()))
    }

    #[test]
    fn reads_paths_and_runs() {
        let parsed = args(&["a", "--runs", "5", "b"]).unwrap().unwrap();
        assert_eq!(parsed.paths, [PathBuf::from("a"), PathBuf::from("b")]);
        assert_eq!(parsed.runs, 5);
        assert!(!parsed.stages);
        assert!(args(&["--stages"]).unwrap().unwrap().stages);
        assert_eq!(args(&["--runs=2"]).unwrap().unwrap().runs, 2);
        assert_eq!(args(&[]).unwrap().unwrap().runs, 3);
        assert!(args(&["--help"]).unwrap().is_none());
    }

    #[test]
    fn rejects_bad_options() {
        assert!(args(&["--runs", "0"]).is_err());
        assert!(args(&["--runs"]).is_err());
        assert!(args(&["--runs", "x"]).is_err());
        assert!(args(&["--fast"]).is_err());
    }

    #[test]
    fn counts_lines_and_groups_digits() {
        assert_eq!(count_lines(""), 0);
        assert_eq!(count_lines("a\nb\n"), 2);
        assert_eq!(count_lines("a\nb"), 2);
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(1234567), "1,234,567");
    }
}

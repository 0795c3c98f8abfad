//! Phase breakdown of a tollgate scan through the library, as the CLI runs
//! it: engine build (load and analyse the bundled rules), discovery, read,
//! parse and evaluate (Terraform modules, templates, policies), graph
//! build, Rego input conversion, rule evaluation, and JSON output.
//!
//! Usage: phases [--runs N] [--json] PATH...
//!
//! Every phase is the median over N runs (default 5), in milliseconds. The
//! scan phases come from `ScanOutput::timings`: the module calls of every
//! Terraform directory are found first (a lexical scan, in parallel), then
//! units are parsed, evaluated and their graphs built in parallel (each
//! directory parsed once); `(sum)` rows (and `rules (sum)`, from
//! `Report::rule_stats`) add up the worker threads, so they can exceed the
//! wall time of their phase. The evaluation phases (input conversion,
//! rules) come from `Summary::eval_timings` of the report; a second table
//! gives each rule's evaluation time summed over the units (`Report::rule_stats`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use tollgate_benches::median;
use tollgate_core::ScanOptions;
use tollgate_policy::Engine;

struct Args {
    runs: usize,
    json: bool,
    paths: Vec<PathBuf>,
}

/// The allocator of the `tollgate` binary, with its settings (`configure` in `main`).
#[global_allocator]
static ALLOC: tollgate_cli::allocator::Allocator = mimalloc::MiMalloc;

fn parse_args() -> Result<Args, String> {
    let mut args = Args { runs: 5, json: false, paths: Vec::new() };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--runs" => {
                let n = it.next().ok_or("--runs needs a number")?;
                args.runs = n.parse().map_err(|_| format!("--runs: not a number: {n}"))?;
            }
            "--json" => args.json = true,
            "-h" | "--help" => return Err(String::new()),
            _ => args.paths.push(PathBuf::from(a)),
        }
    }
    if args.paths.is_empty() || args.runs == 0 {
        return Err(String::new());
    }
    Ok(args)
}

fn micros(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// Peak resident set size of this process so far (VmHWM), in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

const PHASES: [&str; 13] = [
    "engine build",
    "discovery",
    "read",
    "module-call scan (wall)",
    "evaluate (sum)",
    "graph build (sum)",
    "evaluate+graph (wall)",
    "scan total",
    "input conversion (sum)",
    "rules (sum)",
    "evaluation (wall)",
    "check total (wall)",
    "json output",
];

fn run() -> Result<(), String> {
    let args = parse_args()
        .map_err(|e| if e.is_empty() { "usage: phases [--runs N] [--json] PATH...".to_string() } else { e })?;
    let mut samples: BTreeMap<&str, Vec<u64>> = PHASES.iter().map(|p| (*p, Vec::new())).collect();
    let mut push = |phase: &'static str, v: u64| {
        if let Some(s) = samples.get_mut(phase) {
            s.push(v);
        }
    };
    let mut per_rule: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut last = (0, 0, 0, 0);
    let total_start = Instant::now();
    for _ in 0..args.runs {
        let t = Instant::now();
        let engine = Engine::builder().build().map_err(|e| e.to_string())?;
        push("engine build", micros(t));

        let output = tollgate_core::scan_paths(&args.paths, &ScanOptions::default()).map_err(|e| e.to_string())?;
        let st = output.timings;
        push("discovery", st.discovery_micros);
        push("read", st.read_micros);
        push("module-call scan (wall)", st.terraform_parse_micros);
        push("evaluate (sum)", st.parse_micros);
        push("graph build (sum)", st.graph_micros);
        push("evaluate+graph (wall)", st.units_wall_micros);
        push("scan total", st.total_micros);

        let stats = output.stats.clone();
        let t = Instant::now();
        let report = engine.check(output);
        push("check total (wall)", micros(t));
        let et = report.summary.eval_timings;
        push("input conversion (sum)", et.input_micros);
        push("rules (sum)", et.rules_micros);
        push("evaluation (wall)", et.wall_micros);
        for stat in &report.rule_stats {
            per_rule.entry(stat.rule_id.clone()).or_default().push(stat.eval_micros);
        }

        let t = Instant::now();
        let text = serde_json::to_string(&report).map_err(|e| e.to_string())?;
        push("json output", micros(t));
        last = (stats.files_scanned, stats.units, stats.resources, report.findings.len());
        drop(text);
    }
    let medians: Vec<(&str, f64)> =
        PHASES.iter().map(|p| (*p, samples.get_mut(p).map(|s| median(s)).unwrap_or(0) as f64 / 1000.0)).collect();
    let rules: Vec<(String, f64)> =
        per_rule.into_iter().map(|(id, mut s)| (id, median(&mut s) as f64 / 1000.0)).collect();
    let (files, units, resources, findings) = last;
    let rss = peak_rss_kib();
    if args.json {
        let phases: serde_json::Map<String, serde_json::Value> =
            medians.iter().map(|(p, ms)| ((*p).to_string(), serde_json::json!(ms))).collect();
        let out = serde_json::json!({
            "runs": args.runs,
            "files_scanned": files,
            "units": units,
            "resources": resources,
            "findings": findings,
            "peak_rss_kib": rss,
            "threads": rayon::current_num_threads(),
            "phases_ms": phases,
            "rules_ms": rules.iter().map(|(id, ms)| (id.clone(), serde_json::json!(ms))).collect::<serde_json::Map<_, _>>(),
        });
        println!("{out}");
    } else {
        println!(
            "{} runs, {files} files, {units} units, {resources} resources, {findings} findings, {} threads, \
             peak RSS {} MiB, {:.1} s in all",
            args.runs,
            rayon::current_num_threads(),
            rss / 1024,
            total_start.elapsed().as_secs_f64()
        );
        println!("| phase | median ms |\n|---|---:|");
        for (p, ms) in medians {
            println!("| {p} | {ms:.2} |");
        }
        println!("\n| rule (sum over units) | median ms |\n|---|---:|");
        for (id, ms) in rules {
            println!("| {id} | {ms:.2} |");
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    tollgate_cli::allocator::configure();
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

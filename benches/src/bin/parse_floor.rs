//! The parse-only floor: discovers the files tollgate would read under the
//! given paths, reads them and parses in parallel the ones tollgate parses
//! (hcl-edit for HCL, serde_json for JSON, saphyr for YAML; documents that
//! cannot be a template, a policy or a plan are read and skipped, as
//! tollgate skips them) and stops there: no evaluation, no graph, no rules.
//! Prints one line: files, bytes, skipped, failures, wall time.
//!
//! Usage: parse_floor PATH...

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// The allocator of the `tollgate` binary, with its settings (`configure` in `main`).
#[global_allocator]
static ALLOC: tollgate_cli::allocator::Allocator = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tollgate_cli::allocator::configure();
    let roots: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if roots.is_empty() {
        eprintln!("usage: parse_floor PATH...");
        return ExitCode::from(2);
    }
    let start = Instant::now();
    let stats = tollgate_benches::parse_floor(&roots);
    println!(
        "files={} bytes={} skipped={} failed={} wall_ms={:.1}",
        stats.files,
        stats.bytes,
        stats.skipped,
        stats.failed,
        start.elapsed().as_secs_f64() * 1000.0
    );
    ExitCode::SUCCESS
}

//! Scans paths with the bundled rules and prints one line per finding and
//! error, then the per-rule counts and times.
//!
//! `cargo run -p tollgate-policy --example scan -- PATH...`

use std::path::PathBuf;

fn main() -> Result<(), tollgate_policy::Error> {
    let paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let engine = tollgate_policy::Engine::builder().build()?;
    let report = engine.scan(&paths, &Default::default())?;
    let mut out = String::new();
    for f in &report.findings {
        out.push_str(&format!(
            "{}:{}-{} {} {} [{}] {}\n",
            f.file, f.line, f.end_line, f.rule_id, f.severity, f.resource, f.message
        ));
    }
    for e in &report.errors {
        out.push_str(&format!("error {}:{:?} {} {}\n", e.file, e.line, e.code, e.message));
    }
    for s in &report.rule_stats {
        out.push_str(&format!(
            "{} findings={} errors={} eval_ms={:.1}\n",
            s.rule_id,
            s.findings,
            s.errors,
            s.eval_micros as f64 / 1000.0
        ));
    }
    out.push_str(&format!("{:?}\n", report.summary));
    std::io::Write::write_all(&mut std::io::stdout(), out.as_bytes())
        .map_err(|source| tollgate_policy::Error::Io { path: PathBuf::from("<stdout>"), source })
}

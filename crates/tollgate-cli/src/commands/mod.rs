//! One module per subcommand: a clap struct with the raw flags, a typed
//! config checked and converted from it (`TryFrom`), and `execute`.
//! Flags and helpers shared by several commands live here.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use tollgate_core::ScanOptions;
use tollgate_policy::{Engine, EngineBuilder, Severity};

use crate::error::CliError;
use crate::exit;
use crate::paths::PathStyle;
use crate::render::escape::visible;

pub(crate) mod catalog;
pub(crate) mod check;
pub(crate) mod eval;
pub(crate) mod explain;
pub(crate) mod graph;
pub(crate) mod rules;

/// Which rules to load.
#[derive(Debug, Clone, Args)]
pub(crate) struct PolicyArgs {
    /// Also load the `.rego` rules under DIR (repeatable; searched recursively).
    #[arg(long = "policy", value_name = "DIR")]
    pub(crate) policy_dirs: Vec<PathBuf>,
    /// Do not load the bundled rules (only `--policy` rules run).
    #[arg(long)]
    pub(crate) no_bundled: bool,
}

impl PolicyArgs {
    pub(crate) fn builder(&self) -> EngineBuilder {
        let mut builder = Engine::builder();
        if self.no_bundled {
            builder = builder.without_bundled();
        }
        for dir in &self.policy_dirs {
            builder = builder.policy_dir(dir);
        }
        builder
    }

    /// The engine of a command that has no report to carry load errors
    /// (`rules`, `explain`, `eval`). A custom rule file that fails to load
    /// is printed to `err` (`error: FILE:LINE: message`) and left out, and
    /// the rules that loaded are used; the exit code is then
    /// [`exit::ERROR`], else [`exit::SUCCESS`].
    pub(crate) fn build_keep_going(&self, err: &mut dyn Write) -> Result<(Engine, i32), CliError> {
        let engine = self.builder().keep_going().build()?;
        let paths = PathStyle::from_current_dir();
        for d in engine.load_errors() {
            let at = match d.line {
                Some(line) => format!("{}:{line}", paths.display(&d.file)),
                None => paths.display(&d.file),
            };
            // Nothing more can be done when stderr itself is gone.
            let _ = writeln!(err, "error: {}: {}", visible(&at), visible(&d.message));
        }
        let code = if engine.load_errors().is_empty() { exit::SUCCESS } else { exit::ERROR };
        Ok((engine, code))
    }
}

/// How input is read and evaluated.
#[derive(Debug, Clone, Args)]
pub(crate) struct ScanArgs {
    /// Terraform variables file applied to every root module (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    pub(crate) var_files: Vec<PathBuf>,
    /// CloudFormation parameter override KEY=VALUE (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub(crate) params: Vec<String>,
    /// CloudFormation parameters file (repeatable; applied before --param).
    #[arg(long = "param-file", value_name = "FILE")]
    pub(crate) param_files: Vec<PathBuf>,
    /// Follow symlinks out of the scanned paths and let file(), templatefile()
    /// and modules read there (never /proc, /sys, /dev).
    #[arg(long)]
    pub(crate) allow_outside_root: bool,
    /// Terraform configuration directory for plan files.
    #[arg(long, value_name = "DIR")]
    pub(crate) config_dir: Option<PathBuf>,
    /// IAM action catalog file to use instead of the embedded one (see `tollgate catalog info`).
    #[arg(long, value_name = "FILE")]
    pub(crate) catalog: Option<PathBuf>,
}

impl TryFrom<&ScanArgs> for ScanOptions {
    type Error = CliError;

    fn try_from(args: &ScanArgs) -> Result<Self, CliError> {
        Ok(ScanOptions {
            var_files: args.var_files.clone(),
            params: parse_params(&args.params)?,
            param_files: args.param_files.clone(),
            allow_outside_root: args.allow_outside_root,
            config_dir: args.config_dir.clone(),
            catalog: match &args.catalog {
                Some(path) => Some(std::sync::Arc::new(tollgate_catalog::Catalog::from_file(path)?)),
                None => None,
            },
            ..ScanOptions::default()
        })
    }
}

fn parse_params(raw: &[String]) -> Result<BTreeMap<String, String>, CliError> {
    let mut params = BTreeMap::new();
    for arg in raw {
        match arg.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                params.insert(key.trim().to_string(), value.to_string());
            }
            _ => return Err(CliError::Usage(format!("invalid --param `{arg}`: expected KEY=VALUE"))),
        }
    }
    Ok(params)
}

/// A severity as written on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SeverityArg {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl From<SeverityArg> for Severity {
    fn from(s: SeverityArg) -> Self {
        match s {
            SeverityArg::Info => Severity::Info,
            SeverityArg::Low => Severity::Low,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::High => Severity::High,
            SeverityArg::Critical => Severity::Critical,
        }
    }
}

/// Where a command's report goes: standard output, or `--output FILE`.
pub(crate) enum Destination {
    Stdout,
    File(PathBuf),
}

impl Destination {
    pub(crate) fn new(output: Option<&PathBuf>) -> Self {
        match output {
            Some(path) if path.as_os_str() != "-" => Destination::File(path.clone()),
            _ => Destination::Stdout,
        }
    }

    /// Runs `write` against the destination; a file is created first and
    /// flushed after.
    pub(crate) fn write_with(
        &self,
        stdout: &mut dyn Write,
        write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<(), CliError> {
        match self {
            Destination::Stdout => write(stdout).map_err(CliError::Io),
            Destination::File(path) => {
                let wrap = |source| CliError::Output { path: path.clone(), source };
                let mut file = BufWriter::new(File::create(path).map_err(wrap)?);
                write(&mut file).map_err(wrap)?;
                file.flush().map_err(wrap)
            }
        }
    }

    pub(crate) fn is_stdout(&self) -> bool {
        matches!(self, Destination::Stdout)
    }
}

/// Runs `work` on a pool of `threads` workers (the scan's rayon parallelism
/// happens inside it), or on rayon's global pool when not set. A scoped
/// pool rather than `build_global`: the library can be driven more than
/// once per process (tests), and the global pool can be set only once.
pub(crate) fn in_pool<T: Send>(threads: Option<usize>, work: impl FnOnce() -> T + Send) -> Result<T, CliError> {
    match threads {
        None => Ok(work()),
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| CliError::Usage(format!("cannot start {n} threads: {e}")))?;
            Ok(pool.install(work))
        }
    }
}

/// The exit code of a command that has a verdict (`check`, `eval`), once
/// its report is `written`: the verdict stands when the reader stops early
/// (`tollgate check | head -1`), so a gate under `set -o pipefail` still
/// fails on its findings; any other write error is the command's error.
pub(crate) fn verdict(written: Result<(), CliError>, code: i32) -> Result<i32, CliError> {
    match written {
        Err(e) if !e.is_broken_pipe() => Err(e),
        _ => Ok(code),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_need_a_key_and_an_equals_sign() {
        let ok = parse_params(&["Env=prod".into(), "Cidr=10.0.0.0/8=x".into(), "Empty=".into()]).unwrap();
        assert_eq!(ok.get("Env").map(String::as_str), Some("prod"));
        assert_eq!(ok.get("Cidr").map(String::as_str), Some("10.0.0.0/8=x"));
        assert_eq!(ok.get("Empty").map(String::as_str), Some(""));
        assert!(matches!(parse_params(&["novalue".into()]), Err(CliError::Usage(_))));
        assert!(matches!(parse_params(&["=x".into()]), Err(CliError::Usage(_))));
    }

    #[test]
    fn pool_runs_the_work() {
        assert_eq!(in_pool(Some(2), rayon::current_num_threads).unwrap(), 2);
        assert_eq!(in_pool(None, || 5).unwrap(), 5);
    }
}

//! tollgate-cli: the `tollgate` and `cargo tollgate` commands, a thin layer
//! over [`tollgate_policy::Engine`] and the [`tollgate_policy::Report`] it
//! returns. Everything printed comes from the report; this crate only
//! chooses what to print and how (text, JSON, SARIF, markdown).
//!
//! Each subcommand is a module under `commands/` with a clap struct (the raw
//! flags), a typed config checked and converted from it, and an `execute`
//! function that writes to the [`Console`] it is given, so tests run the
//! commands with in-memory writers. Exit codes are the constants in [`exit`].
//!
//! ```
//! let (mut out, mut err) = (Vec::new(), Vec::new());
//! let code = tollgate_cli::run(["tollgate", "--version"], &mut tollgate_cli::Console::captured(&mut out, &mut err));
//! assert_eq!(code, tollgate_cli::exit::SUCCESS);
//! assert!(String::from_utf8_lossy(&out).starts_with("tollgate "));
//! ```

use std::ffi::OsString;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::Path;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

pub mod allocator;
mod commands;
mod error;
pub mod exit;
mod paths;
mod progress;
mod render;

pub use error::CliError;

/// Where a command writes, and what it may assume about the terminal.
pub struct Console<'a> {
    /// Standard output (or a capture buffer): the report.
    pub out: &'a mut dyn Write,
    /// Standard error: usage errors and the progress spinner.
    pub err: &'a mut dyn Write,
    /// Standard output is a terminal: colour is allowed there.
    pub out_is_terminal: bool,
    /// Standard error is a terminal: the progress spinner is allowed there.
    pub err_is_terminal: bool,
    /// `NO_COLOR` is set to a non-empty value (<https://no-color.org>).
    pub no_color_env: bool,
}

impl<'a> Console<'a> {
    /// A console writing to two buffers, with no terminal (no colour, no progress).
    pub fn captured(out: &'a mut dyn Write, err: &'a mut dyn Write) -> Self {
        Console { out, err, out_is_terminal: false, err_is_terminal: false, no_color_env: false }
    }
}

const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  no finding at or above --fail-on (eval: every threshold met)
  1  findings at or above --fail-on (eval: a threshold missed)
  2  usage error, a rule that failed to load, a file that could not be
     read or parsed, or input cut by a limit (the other findings are
     still printed)";

/// Least-privilege checks for infrastructure code (Terraform, CloudFormation, IAM JSON).
#[derive(Debug, Parser)]
#[command(name = "tollgate", version, after_help = EXIT_CODES_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan files and directories and report findings (default path: `.`).
    Check(commands::check::CheckArgs),
    /// Print the normalized resource graph as JSON, with diagnostics.
    Graph(commands::graph::GraphArgs),
    /// List the loaded rules.
    Rules(commands::rules::RulesArgs),
    /// Show a rule's description, remediation and references.
    Explain(commands::explain::ExplainArgs),
    /// Score the rules against labelled directories (expected.json).
    Eval(commands::eval::EvalArgs),
    /// Inspect the embedded IAM action catalog (`catalog info`).
    Catalog(commands::catalog::CatalogArgs),
}

/// When invoked as `cargo tollgate ARGS`, cargo runs `cargo-tollgate tollgate
/// ARGS`: drop the extra word. Returns the arguments and whether this is the
/// cargo form (for the name shown in help).
fn cargo_args(mut args: Vec<OsString>) -> (Vec<OsString>, bool) {
    let is_cargo = args
        .first()
        .and_then(|a| Path::new(a).file_stem())
        .is_some_and(|stem| stem.to_string_lossy().eq_ignore_ascii_case("cargo-tollgate"));
    if is_cargo && args.get(1).is_some_and(|a| a == "tollgate") {
        args.remove(1);
    }
    (args, is_cargo)
}

/// The binaries' entry point: runs the process's command line against the
/// real stdout/stderr and returns the exit code.
pub fn main_with_stdio() -> i32 {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let out_is_terminal = stdout.is_terminal();
    let err_is_terminal = stderr.is_terminal();
    let mut out = BufWriter::new(stdout.lock());
    // Not locked for the whole run: the progress spinner draws on stderr
    // from its own thread.
    let mut err = stderr;
    let code = {
        let mut console = Console {
            out: &mut out,
            err: &mut err,
            out_is_terminal,
            err_is_terminal,
            no_color_env: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        };
        run(std::env::args_os(), &mut console)
    };
    // `run` has flushed; a failure here is a closed pipe, which is success.
    let _ = out.flush();
    code
}

/// Runs one command line (including the program name) and returns the exit
/// code. Usage errors go to `console.err`; help and version to `console.out`.
pub fn run<I, T>(args: I, console: &mut Console<'_>) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let (args, is_cargo) = cargo_args(args.into_iter().map(Into::into).collect());
    let mut command = Cli::command();
    if is_cargo {
        command = command.bin_name("cargo tollgate");
    }
    let cli = match command.try_get_matches_from(args).and_then(|m| Cli::from_arg_matches(&m)) {
        Ok(cli) => cli,
        Err(e) => return report_clap_error(&e, console),
    };
    let result = match &cli.command {
        Command::Check(args) => args.execute(console),
        Command::Graph(args) => args.execute(console),
        Command::Rules(args) => args.execute(console),
        Command::Explain(args) => args.execute(console),
        Command::Eval(args) => args.execute(console),
        Command::Catalog(args) => args.execute(console),
    };
    let flushed = console.out.flush().map_err(CliError::Io);
    match (result, flushed) {
        // A reader that stopped early (`tollgate check | head -1`) does not
        // change the verdict: the exit code is the command's, so a gate
        // under `set -o pipefail` still fails on its findings.
        (Ok(code), Ok(())) => code,
        (Ok(code), Err(e)) if e.is_broken_pipe() => code,
        // A command stopped by the broken pipe before it had a verdict.
        (Err(e), _) if e.is_broken_pipe() => exit::SUCCESS,
        (Err(e), _) | (Ok(_), Err(e)) => {
            // Nothing more can be done when stderr itself is gone.
            let _ = writeln!(console.err, "error: {}", render::escape::visible(&e.to_string()));
            exit::ERROR
        }
    }
}

fn report_clap_error(e: &clap::Error, console: &mut Console<'_>) -> i32 {
    use clap::error::ErrorKind;
    let text = e.render().to_string();
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = console.out.write_all(text.as_bytes());
            exit::SUCCESS
        }
        _ => {
            let _ = console.err.write_all(text.as_bytes());
            exit::ERROR
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn cargo_form_drops_the_subcommand_word() {
        assert_eq!(
            cargo_args(os(&["/bin/cargo-tollgate", "tollgate", "rules"])),
            (os(&["/bin/cargo-tollgate", "rules"]), true)
        );
        assert_eq!(cargo_args(os(&["cargo-tollgate", "rules"])), (os(&["cargo-tollgate", "rules"]), true));
        assert_eq!(cargo_args(os(&["tollgate", "tollgate"])), (os(&["tollgate", "tollgate"]), false));
        assert_eq!(cargo_args(os(&["cargo-tollgate.exe", "tollgate", "x"])), (os(&["cargo-tollgate.exe", "x"]), true));
    }

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}

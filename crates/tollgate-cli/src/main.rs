//! `tollgate`: least-privilege checks for infrastructure code.

fn main() {
    std::process::exit(tollgate_cli::main_with_stdio());
}

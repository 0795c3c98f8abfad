//! `cargo tollgate`: cargo runs `cargo-tollgate tollgate ARGS`; the same
//! commands as `tollgate`.

fn main() {
    std::process::exit(tollgate_cli::main_with_stdio());
}

//! `cargo tollgate`: cargo runs `cargo-tollgate tollgate ARGS`; the same
//! commands as `tollgate`.

#[global_allocator]
static ALLOC: tollgate_cli::allocator::Allocator = mimalloc::MiMalloc;

fn main() {
    tollgate_cli::allocator::configure();
    std::process::exit(tollgate_cli::main_with_stdio());
}

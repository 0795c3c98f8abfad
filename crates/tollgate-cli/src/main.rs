//! The `tollgate` and `cargo tollgate` commands.

fn main() {}

//! The binaries' global allocator: mimalloc (its v2 line, whose segments
//! are committed as they are used: the v3 line commits whole arenas and
//! added ~30 MB to the peak memory of a corpus scan at the same speed).
//! A scan allocates and frees many small values (parse trees, graph
//! values, regorus values); with the system allocator about a third of a
//! scan's instructions were spent in malloc and free (callgrind,
//! benches/PROFILE.md), and mimalloc cut the scan's wall time by ~30 %.

/// The allocator; each binary declares it with `#[global_allocator]`.
pub type Allocator = mimalloc::MiMalloc;

//! The binaries' global allocator: mimalloc (its v2 line, whose segments
//! are committed as they are used: the v3 line commits whole arenas and
//! added ~30 MB to the peak memory of a corpus scan at the same speed).
//! A scan allocates and frees many small values (parse trees, graph
//! values, regorus values); with the system allocator about a third of a
//! scan's instructions were spent in malloc and free (callgrind,
//! benches/PROFILE.md), and mimalloc cut the scan's wall time by ~30 %.
//!
//! [`configure`] turns transparent huge pages off for the process: a
//! short run touches each page once, and on a virtual machine whose free
//! memory goes back to the host a fresh 2 MiB page costs milliseconds to
//! fault in. Measured on the corpus with 1.5 s between runs (cold pages):
//! median wall 236 ms with huge pages (149–312 ms) and 168 ms without
//! (151–193 ms); back to back (warm pages) within a few percent of each
//! other (benches/PROFILE.md).

/// The allocator; each binary declares it with `#[global_allocator]`.
pub type Allocator = mimalloc::MiMalloc;

/// Process-wide memory settings, first thing in `main`. `MIMALLOC_ALLOW_THP`
/// in the environment (mimalloc's own switch) is left to mimalloc.
pub fn configure() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // Best effort: a kernel without the flag keeps its default.
        let _ = rustix::thread::disable_transparent_huge_pages(true);
    }
}

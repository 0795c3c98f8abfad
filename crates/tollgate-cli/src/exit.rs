//! Exit codes of `tollgate` (also printed by `tollgate --help`).

/// No reported finding at or above `--fail-on`, and no scan error.
/// For `tollgate eval`: every threshold met.
pub const SUCCESS: i32 = 0;

/// At least one reported finding at or above `--fail-on` (default `high`).
/// For `tollgate eval`: a precision or recall threshold was missed.
pub const FINDINGS: i32 = 1;

/// A usage error, a rule that failed to load, an unwritable output, a file
/// that could not be read or parsed, or input cut by a limit (any
/// error-level diagnostic). In the last three cases every other finding is
/// still printed. Takes precedence over [`FINDINGS`].
pub const ERROR: i32 = 2;

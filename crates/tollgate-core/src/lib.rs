//! tollgate-core: reads Terraform (HCL, JSON, plans), CloudFormation (YAML
//! and JSON) and raw IAM policy JSON into one normalized resource graph with
//! a source location for everything a finding can point at.
//!
//! The entry points are [`scan_paths`] and [`scan_sources`]; both return a
//! [`ScanOutput`] with one [`Unit`] (and its [`Graph`]) per root module,
//! template or policy file, plus [`Diagnostic`]s for input that could not be
//! read. Bad input never fails the scan: it becomes a diagnostic and every
//! other file is still read. [`prepare_paths`] splits a scan on disk in
//! two: the files found and read ([`PreparedScan`]), then parsed and
//! evaluated ([`PreparedScan::run`]), for a caller with set-up of its own
//! to do beside the first part.
//!
//! # Layout
//!
//! A lower layer never imports a higher one: `scan` drives `parse`, which
//! takes its context from `parse::context`; `graph` knows neither.
//!
//! | module | concern |
//! |---|---|
//! | `scan/` | entry points and output types (`mod.rs`), options (`options.rs`), discovery and classification (`discover.rs`), units to graphs (`run.rs`), scheduling (`schedule.rs`) |
//! | `parse/context.rs` | what a parser gets: file access, command-line inputs, the unit's evaluation budget |
//! | `parse/terraform/` | grouping into units (`units.rs`), module calls (`calls.rs`), the evaluator (`eval/`: module, resource, expressions, references, templates, calls, budget), built-ins by family behind one table (`funcs/`), plans, `aws_iam_policy_document`, Terraform JSON |
//! | `parse/cloudformation/` | YAML and JSON templates, intrinsic functions, `Fn::ForEach` |
//! | `parse/iam/`, `parse/json.rs` | raw IAM policy JSON; JSON with locations |
//! | `graph/` | the normalized graph and its derived views (IAM, grants, network, buckets) |
//! | `source.rs`, `span.rs`, `value.rs`, `diagnostic.rs` | guarded file access, locations, evaluated values, diagnostics |

mod diagnostic;
mod error;
pub mod graph;
mod parse;
mod scan;
mod source;
mod span;
mod value;

pub use diagnostic::{Diagnostic, DiagnosticLevel};
pub use error::{Error, Result};
pub use graph::Graph;
pub use scan::{
    DEFAULT_FILE_TIME_LIMIT, DEFAULT_MAX_EVAL_STEPS, DEFAULT_MAX_FILE_BYTES, PreparedScan, ScanOptions, ScanOutput,
    ScanStats, ScanTimings, Unit, parses_file, prepare_paths, scan_paths, scan_paths_with, scan_sources,
    scan_sources_with,
};
pub use source::SourceFile;
pub use span::{LineIndex, Span};
pub use value::{UNKNOWN_KEY, Value};

//! tollgate-policy: evaluates Rego rules (bundled and user-supplied) over the
//! graph built by `tollgate-core` and returns a [`Report`] of findings.

mod engine;
mod error;
mod report;

pub use engine::{Engine, EngineBuilder, RuleMeta};
pub use error::Error;
pub use report::{Finding, Report, Severity, Summary, Zone};

//! tollgate-policy: evaluates Rego rules (bundled and user-supplied) over the
//! graph built by `tollgate-core` and returns a [`Report`] of findings.
//!
//! Build an [`Engine`] once (it loads and analyses every rule), then scan
//! as often as needed; the engine is `Send + Sync + Clone`.
//!
//! ```
//! use std::collections::BTreeMap;
//! use std::path::PathBuf;
//!
//! use tollgate_policy::{Engine, Severity};
//!
//! let engine = Engine::builder().build()?;
//! let mut files = BTreeMap::new();
//! files.insert(
//!     PathBuf::from("main.tf"),
//!     r#"
//! resource "aws_iam_policy" "admin" {
//!   name = "admin"
//!   policy = jsonencode({
//!     Version = "2012-10-17"
//!     Statement = [{
//!       Effect   = "Allow"
//!       Action   = "*"
//!       Resource = "*"
//!     }]
//!   })
//! }
//! "#
//!     .to_string(),
//! );
//! let report = engine.scan_sources(files, &Default::default())?;
//! let f = report.findings.iter().find(|f| f.rule_id == "IAM001").expect("an IAM001 finding");
//! assert_eq!(f.severity, Severity::Critical);
//! assert_eq!(f.resource, "aws_iam_policy.admin");
//! assert_eq!(f.message, r#"Action "*" allows every action on every service"#);
//! # Ok::<(), tollgate_policy::Error>(())
//! ```
//!
//! Rules and the finding contract are documented in `policies/README.md`.
//!
//! # Layout
//!
//! Each module points down the list, never up:
//!
//! - `engine/`: the [`Engine`] and its [`EngineBuilder`], one file per
//!   concern (loading, selection, compilation, running, the finding
//!   contract, assembling the report; see its module doc);
//! - `report`: what a scan returns ([`Report`], [`Finding`], [`Summary`],
//!   [`RuleStat`], [`EvalTimings`]);
//! - `rule`: a rule's metadata ([`RuleMeta`], [`Severity`], [`Zone`]), and
//!   `rule/metadata.rs`, the reader of a rule file's `# METADATA` block;
//! - `input`: a unit's graph converted into the rules' input;
//! - `guard`, `recursion`: the limits custom rules run under (built-ins
//!   whose output would be too large; recursive functions);
//! - `error`: the typed [`Error`] of loading rules;
//! - [`labels`]: the reader of a labelled case's `expected.json`, shared
//!   by `tollgate eval` and the rule tests.

mod engine;
mod error;
mod guard;
mod input;
pub mod labels;
mod recursion;
mod report;
mod rule;

pub use engine::{DEFAULT_RULE_TIME_LIMIT, Engine, EngineBuilder};
pub use error::Error;
pub use report::{EvalTimings, Finding, Report, RuleStat, Summary};
pub use rule::{RuleMeta, Severity, Zone};

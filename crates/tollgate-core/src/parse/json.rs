//! JSON with source spans (for `.tf.json`, CloudFormation JSON, raw IAM
//! policies and plans).

use std::sync::Arc;

use crate::diagnostic::Diagnostic;

/// A parsed JSON document with byte ranges. (Implementation pending.)
#[derive(Debug, Clone)]
pub(crate) struct Node;

pub(crate) fn parse(_text: &str, file: &Arc<str>) -> Result<Node, Diagnostic> {
    Err(Diagnostic::error(file.clone(), "parse", "JSON parsing not implemented yet"))
}

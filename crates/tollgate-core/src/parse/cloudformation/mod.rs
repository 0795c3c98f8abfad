//! CloudFormation templates in YAML (with short-form tags) and JSON.

use crate::diagnostic::Diagnostic;
use crate::parse::UnitOutput;
use crate::parse::json::Node;
use crate::scan::ScanContext;
use crate::source::SourceFile;

pub(crate) fn is_template_json(_node: &Node) -> bool {
    false
}

pub(crate) fn load_json(_ctx: &ScanContext, _file: &SourceFile, _node: &Node) -> UnitOutput {
    UnitOutput::default()
}

/// Cheap text check before a YAML file is parsed.
pub(crate) fn sniff_yaml(text: &str) -> bool {
    text.contains("AWSTemplateFormatVersion") || text.contains("Resources:")
}

/// `Ok(None)` when the YAML parses but is not a template.
pub(crate) fn load_yaml(_ctx: &ScanContext, _file: &SourceFile) -> Result<Option<UnitOutput>, Diagnostic> {
    Ok(None)
}

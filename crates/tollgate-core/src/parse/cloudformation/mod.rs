//! CloudFormation templates in YAML (with short-form tags) and JSON.
//!
//! Both formats are read into one [`tree::Tree`] (YAML short forms such as
//! `!Ref X` or `!GetAtt A.B` become their long forms), then
//! [`eval::evaluate`] resolves parameters, conditions and intrinsic
//! functions and emits one resource per entry of `Resources`: address =
//! logical ID, type = `AWS::…`, attributes = the evaluated `Properties`,
//! spans for every path under `Properties`, and edges for `Ref`, `Fn::GetAtt`,
//! `Fn::Sub` references and `DependsOn`. `Fn::ForEach` loops in `Resources`
//! are expanded first (see [`foreach`]).

use crate::diagnostic::Diagnostic;
use crate::parse::UnitOutput;
use crate::parse::context::ParseContext;
use crate::parse::json::Node;
use crate::source::SourceFile;
use crate::span::LineIndex;

mod eval;
mod foreach;
mod tree;
mod yaml;

use tree::Tree;

/// True when a JSON document is a template (see [`eval::is_template`]).
pub(crate) fn is_template_json(node: &Node) -> bool {
    if node.get("AWSTemplateFormatVersion").is_some() {
        return true;
    }
    let aws = |n: &Node| n.as_str().is_some_and(|s| s.starts_with("AWS::"));
    let aws_transform = node.get("Transform").is_some_and(|t| aws(t) || t.items().any(aws));
    if aws_transform && node.get("Resources").is_some_and(Node::is_object) {
        return true;
    }
    node.get("Resources").is_some_and(|r| {
        r.entries().any(|(_, res)| res.get("Type").and_then(Node::as_str).is_some_and(|t| t.starts_with("AWS::")))
    })
}

/// Loads a JSON template (already recognised by [`is_template_json`]).
pub(crate) fn load_json(ctx: &ParseContext, file: &SourceFile, node: &Node) -> UnitOutput {
    let index = LineIndex::new(&file.text);
    let diagnostics = node.duplicate_keys(&file.path, &index);
    let root = Tree::from_json(node, &index);
    eval::evaluate(&file.path, &root, &ctx.params, diagnostics)
}

/// Cheap text check before a YAML file is parsed.
pub(crate) fn sniff_yaml(text: &str) -> bool {
    text.contains("AWSTemplateFormatVersion") || text.contains("Resources")
}

/// Loads a YAML template. `Ok(None)` when the YAML is not a template, or is
/// broken and does not mention anything CloudFormation-like (`AWS::`).
pub(crate) fn load_yaml(ctx: &ParseContext, file: &SourceFile) -> Result<Option<UnitOutput>, Diagnostic> {
    let parsed = match yaml::parse_lenient(&file.text, &file.path) {
        Ok(p) => p,
        Err(d) if file.text.contains("AWSTemplateFormatVersion") || file.text.contains("AWS::") => return Err(d),
        Err(_) => return Ok(None),
    };
    let Some(root) = parsed.root.filter(eval::is_template) else {
        return Ok(None);
    };
    Ok(Some(eval::evaluate(&file.path, &root, &ctx.params, parsed.warnings)))
}

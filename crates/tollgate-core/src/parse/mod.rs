//! Parsers: one folder per input format. Each turns source files into
//! resources and edges of one unit; `graph::Graph::build` derives the rest.

use crate::diagnostic::Diagnostic;
use crate::graph::{Edge, Resource, SourceKind};
use crate::parse::context::ParseContext;
use crate::source::SourceFile;

pub(crate) mod cloudformation;
pub(crate) mod codec;
pub(crate) mod context;
pub(crate) mod iam;
pub(crate) mod json;
pub(crate) mod terraform;

/// What a parser produced for one unit.
#[derive(Debug, Default)]
pub(crate) struct UnitOutput {
    pub(crate) resources: Vec<Resource>,
    pub(crate) edges: Vec<Edge>,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

/// The outcome of loading one JSON or YAML document.
#[derive(Debug)]
pub(crate) enum Document {
    /// Recognised and loaded as a unit of this kind.
    Unit(SourceKind, UnitOutput),
    /// Not infrastructure code we understand (package.json, k8s YAML…).
    Skipped,
    /// Looks like ours but could not be parsed: one diagnostic.
    Failed(Diagnostic),
}

/// The format a document file is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DocFormat {
    Json,
    Yaml,
}

/// Recognises and loads a `.json`, `.yaml`, `.yml` or `.template` file as a
/// CloudFormation template, a raw IAM policy or a Terraform plan.
pub(crate) fn load_document(ctx: &ParseContext, file: &SourceFile, format: DocFormat) -> Document {
    match format {
        DocFormat::Json if !may_be_ours_json(&file.text) => Document::Skipped,
        DocFormat::Json => match json::parse(&file.text, &file.path) {
            Ok(node) => {
                if terraform::plan::is_plan(&node) {
                    Document::Unit(SourceKind::TerraformPlan, terraform::plan::load(ctx, file, &node))
                } else if cloudformation::is_template_json(&node) {
                    Document::Unit(SourceKind::Cloudformation, cloudformation::load_json(ctx, file, &node))
                } else if iam::is_policy(&node) {
                    Document::Unit(SourceKind::IamJson, iam::load(ctx, file, &node))
                } else {
                    Document::Skipped
                }
            }
            Err(diag) if looks_like_ours(&file.text) => Document::Failed(diag),
            Err(_) => Document::Skipped,
        },
        DocFormat::Yaml => {
            if !cloudformation::sniff_yaml(&file.text) {
                return Document::Skipped;
            }
            match cloudformation::load_yaml(ctx, file) {
                Ok(Some(out)) => Document::Unit(SourceKind::Cloudformation, out),
                Ok(None) => Document::Skipped,
                Err(diag) => Document::Failed(diag),
            }
        }
    }
}

/// Whether a JSON text can be a template, a policy or a plan: each has a
/// key named in this list (a text with `\u` escapes, which could spell one,
/// is parsed to be sure). Other JSON (`package-lock.json`…) is skipped
/// without being parsed. Every text [`looks_like_ours`] names passes, so a
/// broken document that would be reported is never skipped unparsed.
pub(crate) fn may_be_ours_json(text: &str) -> bool {
    text.contains("\\u")
        || [
            "Statement",
            "Resources",
            "AWSTemplateFormatVersion",
            "format_version",
            "planned_values",
            "resource_changes",
        ]
        .iter()
        .any(|k| text.contains(k))
}

/// A broken JSON file is only reported when it looks like a template, a
/// policy or a plan; other broken JSON is not ours to judge.
fn looks_like_ours(text: &str) -> bool {
    ["AWSTemplateFormatVersion", "\"Resources\"", "\"Statement\"", "\"planned_values\"", "\"resource_changes\""]
        .iter()
        .any(|needle| text.contains(needle))
}

#[cfg(test)]
mod tests {
    use super::{looks_like_ours, may_be_ours_json};

    #[test]
    fn json_that_names_no_key_of_ours_is_not_parsed() {
        assert!(!may_be_ours_json(r#"{"name": "app", "lockfileVersion": 3, "packages": {}}"#));
        assert!(may_be_ours_json(r#"{"Version": "2012-10-17", "Statement": []}"#));
        assert!(may_be_ours_json(r#"{"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}"#));
        assert!(may_be_ours_json(r#"{"AWSTemplateFormatVersion": "2010-09-09"}"#));
        assert!(may_be_ours_json(r#"{"format_version": "1.2", "planned_values": {}}"#));
        // An escape could spell a key: such text is parsed to be sure.
        assert!(may_be_ours_json(r#"{"St\u0061tement": []}"#));
    }

    /// What a broken document is reported for is never skipped unparsed.
    #[test]
    fn broken_documents_worth_reporting_are_parsed() {
        for text in [
            r#"{"AWSTemplateFormatVersion": "#,
            r#"{"Resources": {"#,
            r#"{"Statement": ["#,
            r#"{"planned_values": {"#,
            r#"{"resource_changes": ["#,
        ] {
            assert!(looks_like_ours(text), "{text}");
            assert!(may_be_ours_json(text), "{text}");
        }
    }
}

//! Parsers: one folder per input format. Each turns source files into
//! resources and edges of one unit; `graph::Graph::build` derives the rest.

use crate::diagnostic::Diagnostic;
use crate::graph::{Edge, Resource, SourceKind};
use crate::scan::ScanContext;
use crate::source::SourceFile;

pub(crate) mod cloudformation;
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
pub(crate) fn load_document(ctx: &ScanContext, file: &SourceFile, format: DocFormat) -> Document {
    match format {
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

/// A broken JSON file is only reported when it looks like a template, a
/// policy or a plan; other broken JSON is not ours to judge.
fn looks_like_ours(text: &str) -> bool {
    ["AWSTemplateFormatVersion", "\"Resources\"", "\"Statement\"", "\"planned_values\"", "\"resource_changes\""]
        .iter()
        .any(|needle| text.contains(needle))
}

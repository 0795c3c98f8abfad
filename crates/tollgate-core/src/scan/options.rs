//! The options of a scan, and the parser context built from them (the
//! variable and parameter files read once).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::parse::context::ParseContext;
use crate::source::{self, FileAccess, ReadError, SourceFile};

/// Default limit on the size of one input file.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Default wall-clock budget for evaluating one unit (a root module with its
/// children, or one template).
pub const DEFAULT_FILE_TIME_LIMIT: Duration = Duration::from_secs(10);

/// Default budget of evaluation steps for one unit. Deterministic, unlike
/// the time limit: the same input stops at the same place on every machine.
pub const DEFAULT_MAX_EVAL_STEPS: u64 = 10_000_000;

/// Options of a scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Extra Terraform variable files (`--var-file`), applied after the
    /// auto-loaded `terraform.tfvars` and `*.auto.tfvars` of every root.
    pub var_files: Vec<PathBuf>,
    /// CloudFormation parameter overrides (`--param KEY=VALUE`), applied
    /// after `param_files`.
    pub params: BTreeMap<String, String>,
    /// CloudFormation parameter files: `[{"ParameterKey": k, "ParameterValue": v}]`
    /// or `{"Parameters": {k: v}}` or `{k: v}`.
    pub param_files: Vec<PathBuf>,
    /// Follow symlinks out of the scan roots and let `file()`/`templatefile()`
    /// and modules read there (the kernel's pseudo file systems never).
    pub allow_outside_root: bool,
    /// Files larger than this are reported and not parsed.
    pub max_file_bytes: u64,
    /// Configuration directory for Terraform plans (`--config-dir`).
    pub config_dir: Option<PathBuf>,
    /// Action catalog for the IAM `grants` summaries (`--catalog FILE`);
    /// `None` uses the embedded one.
    pub catalog: Option<Arc<tollgate_catalog::Catalog>>,
    /// Wall-clock budget for evaluating one unit; a unit over it stops with
    /// a `limit` diagnostic and its remaining values are unknown.
    pub file_time_limit: Duration,
    /// Evaluation steps allowed for one unit (same effect as the time limit).
    pub max_eval_steps: u64,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            var_files: Vec::new(),
            params: BTreeMap::new(),
            param_files: Vec::new(),
            allow_outside_root: false,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            config_dir: None,
            catalog: None,
            file_time_limit: DEFAULT_FILE_TIME_LIMIT,
            max_eval_steps: DEFAULT_MAX_EVAL_STEPS,
        }
    }
}

pub(super) fn parse_context(
    files: FileAccess,
    options: &ScanOptions,
    read: impl Fn(&Path) -> std::result::Result<Arc<str>, ReadError>,
) -> Result<ParseContext> {
    let mut extra_var_files = Vec::new();
    for p in &options.var_files {
        let text = read(p).map_err(|e| Error::InvalidVarFile { path: p.clone(), message: e.to_string() })?;
        extra_var_files.push(SourceFile { path: source::display_path(p), fs_path: p.clone(), text });
    }
    let mut params = BTreeMap::new();
    for p in &options.param_files {
        let text = read(p).map_err(|e| Error::InvalidVarFile { path: p.clone(), message: e.to_string() })?;
        params.extend(parse_param_file(&text).map_err(|message| Error::InvalidVarFile { path: p.clone(), message })?);
    }
    params.extend(options.params.clone());
    Ok(ParseContext {
        files,
        extra_var_files,
        params,
        config_dir: options.config_dir.clone(),
        max_eval_steps: options.max_eval_steps,
        file_time_limit: options.file_time_limit,
    })
}

/// Reads a CloudFormation parameters file in any of the three common shapes.
fn parse_param_file(text: &str) -> std::result::Result<BTreeMap<String, String>, String> {
    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let scalar = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut out = BTreeMap::new();
    match &json {
        serde_json::Value::Array(items) => {
            for item in items {
                let k = item.get("ParameterKey").and_then(|k| k.as_str());
                let v = item.get("ParameterValue");
                match (k, v) {
                    (Some(k), Some(v)) => {
                        out.insert(k.to_string(), scalar(v));
                    }
                    _ => return Err("expected objects with ParameterKey and ParameterValue".into()),
                }
            }
        }
        serde_json::Value::Object(map) => {
            let map = match map.get("Parameters").and_then(|p| p.as_object()) {
                Some(inner) => inner,
                None => map,
            };
            for (k, v) in map {
                out.insert(k.clone(), scalar(v));
            }
        }
        _ => return Err("expected a list or an object of parameters".into()),
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn param_files_in_three_shapes() {
        let a = parse_param_file(r#"[{"ParameterKey":"A","ParameterValue":"1"}]"#).unwrap();
        let b = parse_param_file(r#"{"Parameters":{"A":"1"}}"#).unwrap();
        let c = parse_param_file(r#"{"A":1}"#).unwrap();
        assert_eq!(a, b);
        assert_eq!(b, c);
        assert!(parse_param_file("[1]").is_err());
    }
}

//! Terraform: HCL and JSON configuration, variables, modules and plans.

use std::path::PathBuf;
use std::sync::Arc;

use crate::parse::UnitOutput;
use crate::scan::ScanContext;
use crate::source::SourceFile;

pub(crate) mod plan;

/// The Terraform files of one directory.
#[derive(Debug, Clone)]
pub(crate) struct TerraformDir {
    /// Filesystem path of the directory.
    pub(crate) dir: PathBuf,
    /// Display path of the directory.
    pub(crate) display: Arc<str>,
    /// `.tf` and `.tf.json` files, sorted by path.
    pub(crate) files: Vec<SourceFile>,
    /// `terraform.tfvars`, `*.auto.tfvars` (and `.json`) in load order.
    pub(crate) var_files: Vec<SourceFile>,
}

/// Indexes of the directories to evaluate as root modules: every directory
/// that is not only ever used as a child module of another scanned directory.
pub(crate) fn roots(_ctx: &ScanContext, dirs: &[TerraformDir]) -> Vec<usize> {
    (0..dirs.len()).collect()
}

/// Evaluates one root module (with its children) into resources and edges.
pub(crate) fn load(_ctx: &ScanContext, _root: &TerraformDir, _all: &[TerraformDir]) -> UnitOutput {
    UnitOutput::default()
}

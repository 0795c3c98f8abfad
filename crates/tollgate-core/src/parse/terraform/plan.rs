//! `terraform show -json` plans.

use crate::parse::UnitOutput;
use crate::parse::json::Node;
use crate::scan::ScanContext;
use crate::source::SourceFile;

pub(crate) fn is_plan(_node: &Node) -> bool {
    false
}

pub(crate) fn load(_ctx: &ScanContext, _file: &SourceFile, _node: &Node) -> UnitOutput {
    UnitOutput::default()
}

//! Encodings and address arithmetic shared by the Terraform built-ins and
//! the CloudFormation intrinsics. Each format keeps its own argument
//! handling and error messages; these only compute.

pub(crate) mod base64;
pub(crate) mod cidr;

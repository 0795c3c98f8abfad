//! S3 buckets with their ACLs, policies and public access blocks.
//!
//! Each managed `aws_s3_bucket` / `AWS::S3::Bucket` is one [`Bucket`].
//! Separate resources (`aws_s3_bucket_acl`, `aws_s3_bucket_public_access_block`,
//! `aws_s3_bucket_policy`, `AWS::S3::BucketPolicy`) are linked to it by an
//! edge through their `bucket`/`Bucket` attribute first, then by a literal
//! bucket name equal to the bucket's `bucket`/`BucketName`.

use std::collections::BTreeMap;

use super::index::{Index, Target};
use super::{Bucket, BucketAcl, Mode, Policy, PolicyRole, PublicAccessBlock, Resource};
use crate::value::Value;

const TF_BUCKET: Target<'static> = Target { types: &["aws_s3_bucket"], name_attrs: &["bucket"] };

/// Terraform's spelling of CloudFormation's `AccessControl` canned ACLs.
const CFN_ACLS: &[(&str, &str)] = &[
    ("AuthenticatedRead", "authenticated-read"),
    ("AwsExecRead", "aws-exec-read"),
    ("BucketOwnerFullControl", "bucket-owner-full-control"),
    ("BucketOwnerRead", "bucket-owner-read"),
    ("LogDeliveryWrite", "log-delivery-write"),
    ("Private", "private"),
    ("PublicRead", "public-read"),
    ("PublicReadWrite", "public-read-write"),
];

const TF_PAB_FLAGS: [&str; 4] =
    ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"];
const CFN_PAB_FLAGS: [&str; 4] = ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"];

/// Derives `buckets` from resources (in graph order), edges and the derived policies.
pub(crate) fn derive(index: &Index<'_>, resources: &[Resource], policies: &[Policy]) -> Vec<Bucket> {
    let mut buckets: Vec<Bucket> = Vec::new();
    let mut by_address: BTreeMap<&str, usize> = BTreeMap::new();
    let managed = || resources.iter().filter(|r| r.mode == Mode::Managed);
    for r in managed() {
        let bucket = match r.resource_type.as_str() {
            "aws_s3_bucket" => terraform_bucket(r),
            "AWS::S3::Bucket" => cloudformation_bucket(r),
            _ => continue,
        };
        by_address.insert(r.address.as_str(), buckets.len());
        buckets.push(bucket);
    }
    for r in managed() {
        let is_acl = r.resource_type == "aws_s3_bucket_acl";
        if !is_acl && r.resource_type != "aws_s3_bucket_public_access_block" {
            continue;
        }
        let name = r.attributes.get("bucket").cloned().unwrap_or(Value::Null);
        let Some(target) = index.resolve(r, &name, "bucket", &TF_BUCKET, true).into_iter().find_map(|x| x.resource)
        else {
            continue;
        };
        let Some(bucket) = by_address.get(target.address.as_str()).and_then(|i| buckets.get_mut(*i)) else {
            continue;
        };
        if is_acl {
            // An `access_control_policy` (explicit grants) has no canned ACL.
            if let Some(acl) = r.attributes.get("acl").filter(|v| **v != Value::Null) {
                bucket.acls.push(BucketAcl { acl: acl.clone(), owner: r.address.clone(), loc: r.loc_of("acl") });
            }
        } else {
            bucket.public_access_blocks.push(access_block(r, &r.attributes, &TF_PAB_FLAGS, r.loc.clone()));
        }
    }
    for p in policies.iter().filter(|p| p.role == PolicyRole::Resource) {
        if let Some(bucket) = p.target.as_deref().and_then(|t| by_address.get(t)).and_then(|i| buckets.get_mut(*i)) {
            bucket.policies.push(p.id.clone());
        }
    }
    for b in &mut buckets {
        b.acls.sort_by(|x, y| (&x.loc.file, x.loc.line, &x.owner).cmp(&(&y.loc.file, y.loc.line, &y.owner)));
        b.public_access_blocks
            .sort_by(|x, y| (&x.loc.file, x.loc.line, &x.owner).cmp(&(&y.loc.file, y.loc.line, &y.owner)));
    }
    buckets
}

fn terraform_bucket(r: &Resource) -> Bucket {
    let name = match r.attributes.get("bucket") {
        Some(v) if *v != Value::Null => v.clone(),
        // No name: AWS generates one (from `bucket_prefix` if set).
        _ => Value::unknown(format!("{}.bucket", r.address)),
    };
    let mut acls = Vec::new();
    if let Some(acl) = r.attributes.get("acl").filter(|v| **v != Value::Null) {
        acls.push(BucketAcl { acl: acl.clone(), owner: r.address.clone(), loc: r.loc_of("acl") });
    }
    Bucket {
        address: r.address.clone(),
        name,
        acls,
        policies: Vec::new(),
        public_access_blocks: Vec::new(),
        loc: r.loc.clone(),
    }
}

fn cloudformation_bucket(r: &Resource) -> Bucket {
    let name = match r.attributes.get("BucketName") {
        Some(v) if *v != Value::Null => v.clone(),
        // What `Ref` returns: the generated name.
        _ => Value::unknown(r.address.clone()),
    };
    let mut acls = Vec::new();
    if let Some(acl) = r.attributes.get("AccessControl").filter(|v| **v != Value::Null) {
        acls.push(BucketAcl { acl: cfn_acl(acl), owner: r.address.clone(), loc: r.loc_of("AccessControl") });
    }
    let mut public_access_blocks = Vec::new();
    if let Some(config) = r.attributes.get("PublicAccessBlockConfiguration")
        && matches!(config, Value::Map(_) | Value::Unknown(_))
    {
        let loc = r.loc_of("PublicAccessBlockConfiguration");
        public_access_blocks.push(access_block(r, config, &CFN_PAB_FLAGS, loc));
    }
    Bucket { address: r.address.clone(), name, acls, policies: Vec::new(), public_access_blocks, loc: r.loc.clone() }
}

/// CloudFormation's `AccessControl` in Terraform's spelling; other values as written.
pub(crate) fn cfn_acl(value: &Value) -> Value {
    match value.as_str().and_then(|s| CFN_ACLS.iter().find(|(cfn, _)| *cfn == s)) {
        Some((_, tf)) => Value::from(*tf),
        None => value.clone(),
    }
}

fn access_block(owner: &Resource, config: &Value, flags: &[&str; 4], loc: super::Location) -> PublicAccessBlock {
    let flag = |name: &str| -> Value {
        match config {
            Value::Unknown(_) => config.clone(),
            _ => match config.get(name) {
                None | Some(Value::Null) => Value::Bool(false),
                Some(v) => v.as_bool().map(Value::Bool).unwrap_or_else(|| v.clone()),
            },
        }
    };
    let [acls, policy, ignore, restrict] = flags;
    PublicAccessBlock {
        block_public_acls: flag(acls),
        block_public_policy: flag(policy),
        ignore_public_acls: flag(ignore),
        restrict_public_buckets: flag(restrict),
        owner: owner.address.clone(),
        loc,
    }
}

#[cfg(test)]
mod tests;

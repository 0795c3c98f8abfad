use serde_json::json;

use super::*;
use crate::graph::Graph;
use crate::graph::index::test_support::{at, edge, res, spans};

fn s(x: &str) -> Value {
    Value::from(x)
}

fn flags(b: &PublicAccessBlock) -> [Value; 4] {
    [
        b.block_public_acls.clone(),
        b.block_public_policy.clone(),
        b.ignore_public_acls.clone(),
        b.restrict_public_buckets.clone(),
    ]
}

#[test]
fn terraform_bucket_gathers_acls_policies_and_blocks() {
    let public_doc =
        json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]}).to_string();
    let bucket = spans(
        res(
            "aws_s3_bucket.site",
            "aws_s3_bucket",
            1,
            10,
            json!({"bucket": "site", "acl": "public-read", "policy": public_doc}),
        ),
        &[("acl", 3, 3), ("policy", 4, 8)],
    );
    let other = res("aws_s3_bucket.other", "aws_s3_bucket", 12, 14, json!({"bucket_prefix": "tmp-"}));
    let acl = spans(
        res(
            "aws_s3_bucket_acl.a",
            "aws_s3_bucket_acl",
            16,
            19,
            json!({"bucket": {"$unknown": "aws_s3_bucket.site.id"}, "acl": "private"}),
        ),
        &[("acl", 18, 18)],
    );
    let grants = res(
        "aws_s3_bucket_acl.g",
        "aws_s3_bucket_acl",
        21,
        30,
        json!({"bucket": "site", "access_control_policy": [{"grant": []}]}),
    );
    let pab = res(
        "aws_s3_bucket_public_access_block.p",
        "aws_s3_bucket_public_access_block",
        32,
        38,
        json!({"bucket": "site", "block_public_acls": true, "block_public_policy": {"$unknown": "var.b"}, "ignore_public_acls": "true"}),
    );
    let policy = res(
        "aws_s3_bucket_policy.p",
        "aws_s3_bucket_policy",
        40,
        45,
        json!({"bucket": {"$unknown": "aws_s3_bucket.site.bucket"}, "policy": "{\"Statement\": []}"}),
    );
    let elsewhere = res(
        "aws_s3_bucket_public_access_block.x",
        "aws_s3_bucket_public_access_block",
        47,
        50,
        json!({"bucket": "not-here"}),
    );
    let edges = vec![
        edge("aws_s3_bucket_acl.a", "aws_s3_bucket.site", "bucket"),
        edge("aws_s3_bucket_policy.p", "aws_s3_bucket.site", "bucket"),
    ];
    let g = Graph::build(vec![bucket, other, acl, grants, pab, policy, elsewhere], edges);
    assert_eq!(g.buckets.len(), 2);
    let b = &g.buckets[0];
    assert_eq!(b.address, "aws_s3_bucket.site");
    assert_eq!(b.name, s("site"));
    let acls: Vec<(Value, &str, u32)> = b.acls.iter().map(|a| (a.acl.clone(), a.owner.as_str(), a.loc.line)).collect();
    assert_eq!(acls, vec![(s("public-read"), "aws_s3_bucket.site", 3), (s("private"), "aws_s3_bucket_acl.a", 18)]);
    assert_eq!(b.policies, vec!["aws_s3_bucket.site#policy".to_string(), "aws_s3_bucket_policy.p#policy".to_string()]);
    assert_eq!(b.public_access_blocks.len(), 1);
    let pab = &b.public_access_blocks[0];
    assert_eq!(pab.owner, "aws_s3_bucket_public_access_block.p");
    assert_eq!(flags(pab), [Value::Bool(true), Value::unknown("var.b"), Value::Bool(true), Value::Bool(false)]);
    assert_eq!(at(&pab.loc), ("main.tf", 32, 38));
    assert_eq!(at(&b.loc), ("main.tf", 1, 10));

    let o = &g.buckets[1];
    assert_eq!(o.name, Value::unknown("aws_s3_bucket.other.bucket"));
    assert!(o.acls.is_empty() && o.policies.is_empty() && o.public_access_blocks.is_empty());
}

#[test]
fn cloudformation_bucket_normalizes_access_control() {
    let bucket = spans(
        res(
            "Site",
            "AWS::S3::Bucket",
            5,
            20,
            json!({
                "BucketName": "site",
                "AccessControl": "PublicReadWrite",
                "PublicAccessBlockConfiguration": {"BlockPublicAcls": true, "RestrictPublicBuckets": "false"}
            }),
        ),
        &[("AccessControl", 8, 8), ("PublicAccessBlockConfiguration", 9, 12)],
    );
    let unknown = res(
        "Logs",
        "AWS::S3::Bucket",
        22,
        26,
        json!({"AccessControl": {"$unknown": "Acl"}, "PublicAccessBlockConfiguration": {"$unknown": "Fn::If X"}}),
    );
    let policy = res(
        "SitePolicy",
        "AWS::S3::BucketPolicy",
        28,
        35,
        json!({"Bucket": "site", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]}}),
    );
    let ref_policy = res(
        "LogsPolicy",
        "AWS::S3::BucketPolicy",
        37,
        40,
        json!({"Bucket": {"$unknown": "Logs"}, "PolicyDocument": {"Statement": []}}),
    );
    let edges = vec![edge("LogsPolicy", "Logs", "Bucket")];
    let g = Graph::build(vec![policy, ref_policy, unknown, bucket], edges);
    let site = &g.buckets[0];
    assert_eq!((site.address.as_str(), &site.name), ("Site", &s("site")));
    assert_eq!(
        site.acls.iter().map(|a| (a.acl.clone(), a.loc.line)).collect::<Vec<_>>(),
        vec![(s("public-read-write"), 8)]
    );
    assert_eq!(site.policies, vec!["SitePolicy#PolicyDocument".to_string()]);
    assert_eq!(
        flags(&site.public_access_blocks[0]),
        [Value::Bool(true), Value::Bool(false), Value::Bool(false), Value::Bool(false)]
    );
    assert_eq!(site.public_access_blocks[0].owner, "Site");
    assert_eq!(at(&site.public_access_blocks[0].loc), ("t.yaml", 9, 12));

    let logs = &g.buckets[1];
    assert_eq!(logs.name, Value::unknown("Logs"));
    assert_eq!(logs.acls[0].acl, Value::unknown("Acl"));
    assert_eq!(logs.policies, vec!["LogsPolicy#PolicyDocument".to_string()]);
    assert_eq!(flags(&logs.public_access_blocks[0]), [0, 1, 2, 3].map(|_| Value::unknown("Fn::If X")));
}

#[test]
fn access_control_spellings() {
    let cases = [
        ("Private", "private"),
        ("PublicRead", "public-read"),
        ("PublicReadWrite", "public-read-write"),
        ("AuthenticatedRead", "authenticated-read"),
        ("LogDeliveryWrite", "log-delivery-write"),
        ("BucketOwnerRead", "bucket-owner-read"),
        ("BucketOwnerFullControl", "bucket-owner-full-control"),
        ("AwsExecRead", "aws-exec-read"),
        ("public-read", "public-read"),
    ];
    for (cfn, tf) in cases {
        assert_eq!(cfn_acl(&s(cfn)), s(tf));
    }
}

#[test]
fn data_source_buckets_are_not_buckets() {
    let data = res("data.aws_s3_bucket.x", "aws_s3_bucket", 1, 3, json!({"bucket": "x"}));
    assert!(Graph::build(vec![data], vec![]).buckets.is_empty());
}

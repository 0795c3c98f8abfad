//! Cost of loading the catalog and of expanding action patterns.
//! Numbers are recorded in `benches/README.md`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tollgate_catalog::Catalog;

/// Action lists of a 20-statement policy of the shapes seen in real
/// Terraform and CloudFormation: literals, service wildcards, prefixes,
/// infix wildcards and one NotAction.
const POLICY: [&[&str]; 20] = [
    &["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
    &["s3:*"],
    &["ec2:Describe*"],
    &["iam:*Policy*"],
    &["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
    &["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem"],
    &["kms:Decrypt", "kms:GenerateDataKey*"],
    &["sqs:*"],
    &["sns:Publish"],
    &["lambda:InvokeFunction", "lambda:Get*", "lambda:List*"],
    &["cloudwatch:PutMetricData"],
    &["ssm:GetParameter*"],
    &["secretsmanager:GetSecretValue"],
    &["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
    &["sts:AssumeRole"],
    &["iam:PassRole"],
    &["ec2:*"],
    &["*"],
    &["autoscaling:*", "elasticloadbalancing:*"],
    &["iam:*", "organizations:*", "account:*"],
];

fn bench(c: &mut Criterion) {
    let catalog = match Catalog::embedded() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("catalog: {e}");
            return;
        }
    };
    let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/data/catalog.tsv.gz")).unwrap_or_default();
    c.bench_function("load_catalog_eager", |b| b.iter(|| Catalog::from_bytes(black_box(&data), "bench")));
    // What `Catalog::embedded()` does: decode the image's tables now, the
    // managed policies on first use.
    c.bench_function("load_embedded_catalog", |b| b.iter(Catalog::decode_embedded));
    c.bench_function("load_embedded_then_managed_policies", |b| {
        b.iter(|| Catalog::decode_embedded().map(|c| c.managed_policy(black_box("AdministratorAccess")).is_some()))
    });
    c.bench_function("expand_star", |b| b.iter(|| catalog.expand(black_box("*"))));
    c.bench_function("expand_s3_star", |b| b.iter(|| catalog.expand(black_box("s3:*"))));
    c.bench_function("expand_iam_infix", |b| b.iter(|| catalog.expand(black_box("iam:*Policy*"))));
    c.bench_function("expand_case_insensitive_service_glob", |b| b.iter(|| catalog.expand(black_box("EC?:Describe*"))));
    c.bench_function("expand_20_statement_policy", |b| {
        b.iter(|| {
            let mut total = 0usize;
            for (i, actions) in POLICY.iter().enumerate() {
                let (set, unmatched) = catalog.expand_all(actions.iter().copied());
                // Statement 19 is written as NotAction.
                let granted = if i == 19 { catalog.complement(&set) } else { set };
                total += granted.len() + unmatched.len();
            }
            total
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

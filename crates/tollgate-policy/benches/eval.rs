//! Policy evaluation cost on a synthetic graph.
//!
//! Builds one unit with `N` resources (a quarter each: identity policies
//! with a mix of wildcard and scoped statements, security groups with open
//! and private ingress, buckets, public access blocks), then measures:
//!
//! - `input/N`: converting the graph to the rules' input (once per unit);
//! - `all_rules/N`: conversion plus all 13 bundled rules (what a scan pays
//!   after parsing), reported per resource in the bench notes;
//! - `rule/<ID>/N`: one rule alone.
//!
//! Run: `cargo bench -p tollgate-policy --bench eval`.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use tollgate_core::graph::{Graph, Location, Mode, Resource, SourceKind};
use tollgate_core::{ScanOutput, ScanStats, Span, Unit, Value};
use tollgate_policy::Engine;

fn map(pairs: Vec<(&str, Value)>) -> Value {
    Value::Map(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn resource(file: &Arc<str>, line: u32, ty: &str, name: String, attributes: Value) -> Resource {
    let address = format!("{ty}.{name}");
    let span = Span::new(file.clone(), line, 1, line + 5);
    Resource {
        address: address.clone(),
        resource_type: ty.to_string(),
        kind: SourceKind::Terraform,
        mode: Mode::Managed,
        attributes,
        loc: Location::new(address, &span, &[]),
        spans: Default::default(),
    }
}

/// A graph of `n` resources.
fn synthetic(n: usize) -> Graph {
    let file: Arc<str> = Arc::from("bench/main.tf");
    let mut resources = Vec::with_capacity(n);
    for i in 0..n {
        let line = u32::try_from(i * 10 + 1).unwrap_or(u32::MAX);
        let name = format!("r{i}");
        let r = match i % 4 {
            0 => {
                let action = ["*", "s3:*", "s3:GetObject", "iam:PassRole"][i / 4 % 4];
                let doc = format!(
                    r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["{action}","ec2:Describe*"],"Resource":"*"}},{{"Effect":"Deny","Action":"*","Resource":"arn:aws:s3:::secret/*"}}]}}"#
                );
                resource(&file, line, "aws_iam_policy", name, map(vec![("policy", Value::String(doc))]))
            }
            1 => {
                let cidr = if i / 4 % 2 == 0 { "0.0.0.0/0" } else { "10.0.0.0/8" };
                let port = [22_i64, 443, 5432][i / 4 % 3];
                let ingress = map(vec![
                    ("from_port", Value::from(port)),
                    ("to_port", Value::from(port)),
                    ("protocol", Value::from("tcp")),
                    ("cidr_blocks", Value::List(vec![Value::from(cidr)])),
                ]);
                resource(&file, line, "aws_security_group", name, map(vec![("ingress", Value::List(vec![ingress]))]))
            }
            2 => {
                let acl = if i / 4 % 3 == 0 { "public-read" } else { "private" };
                resource(
                    &file,
                    line,
                    "aws_s3_bucket",
                    name,
                    map(vec![("bucket", Value::String(format!("b{i}"))), ("acl", Value::from(acl))]),
                )
            }
            _ => {
                let bucket = Value::String(format!("b{}", i - 1));
                resource(
                    &file,
                    line,
                    "aws_s3_bucket_public_access_block",
                    name,
                    map(vec![
                        ("bucket", bucket),
                        ("block_public_acls", Value::from(true)),
                        ("block_public_policy", Value::from(i % 8 != 3)),
                    ]),
                )
            }
        };
        resources.push(r);
    }
    Graph::build(resources, Vec::new())
}

fn output(graph: Graph) -> ScanOutput {
    let resources = graph.resources.len();
    ScanOutput {
        units: vec![Unit { kind: SourceKind::Terraform, root: Arc::from("bench"), graph }],
        diagnostics: Vec::new(),
        stats: ScanStats { files_scanned: 1, units: 1, resources, ..ScanStats::default() },
        sources: Default::default(),
        timings: Default::default(),
    }
}

fn bench(c: &mut Criterion) {
    let n = 1_000;
    let graph = synthetic(n);
    let engine = match Engine::builder().build() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("cannot build the engine: {e}");
            return;
        }
    };
    let out = output(graph.clone());
    let report = engine.check(out.clone());
    eprintln!(
        "synthetic graph: {} resources, {} policies, {} network rules, {} buckets; {} findings",
        graph.resources.len(),
        graph.policies.len(),
        graph.network_rules.len(),
        graph.buckets.len(),
        report.findings.len()
    );

    let mut group = c.benchmark_group("policy");
    group.sample_size(20);
    group.bench_function(format!("input/{n}"), |b| {
        b.iter(|| {
            let json = serde_json::to_string(black_box(&graph)).unwrap_or_default();
            regorus::Value::from_json_str(&json).unwrap_or(regorus::Value::Null)
        })
    });
    group.bench_function(format!("input_via_json_value/{n}"), |b| {
        b.iter(|| serde_json::to_value(black_box(&graph)).map(regorus::Value::from).unwrap_or(regorus::Value::Null))
    });
    group.bench_function(format!("all_rules/{n}"), |b| b.iter(|| engine.check(black_box(out.clone()))));
    for rule in engine.rules() {
        let Ok(one) = Engine::builder().only_rule(&rule.id).build() else { continue };
        group.bench_function(format!("rule/{}/{n}", rule.id), |b| b.iter(|| one.check(black_box(out.clone()))));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Parse per format, graph build, and whole scans. Inputs: `benches/data`
//! (see its SOURCES.md) and the repository's `fixtures/`. Write-up and the
//! latest numbers: `benches/README.md`.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use tollgate_benches::{data_dir, fixtures_dir, load_tree};
use tollgate_core::graph::Graph;
use tollgate_core::{ScanOptions, scan_paths, scan_sources};
use tollgate_policy::Engine;

fn bytes(tree: &BTreeMap<PathBuf, String>) -> u64 {
    tree.values().map(|t| t.len() as u64).sum()
}

/// One file of `benches/data` as a one-file tree.
fn one_file(rel: &str) -> BTreeMap<PathBuf, String> {
    let text = std::fs::read_to_string(data_dir().join(rel)).unwrap_or_default();
    BTreeMap::from([(PathBuf::from(rel), text)])
}

/// Parse (and evaluate, and build the graph of) each format through
/// `scan_sources` on an in-memory tree.
fn parse(c: &mut Criterion) {
    let data = data_dir();
    let mut iam = one_file("iam/kms-admin.json");
    iam.extend(one_file("iam/stackCreationPolicy.json"));
    let inputs: [(&str, BTreeMap<PathBuf, String>); 6] = [
        ("terraform_hcl/iam-role", load_tree(&data.join("terraform/iam-role"), "iam-role")),
        ("terraform_hcl/terragoat-aws", load_tree(&data.join("terraform/terragoat-aws"), "terragoat-aws")),
        ("terraform_hcl/fixtures", load_tree(&fixtures_dir().join("terraform"), "terraform")),
        ("cfn_yaml/Neptune", one_file("cloudformation/Neptune.yaml")),
        ("cfn_json/DMSAurora", one_file("cloudformation/DMSAuroraToS3FullLoadAndOngoingReplication.json")),
        ("iam_json/two-policies", iam),
    ];
    let mut group = c.benchmark_group("parse");
    for (name, tree) in inputs {
        if tree.is_empty() {
            eprintln!("parse/{name}: no input");
            continue;
        }
        group.throughput(Throughput::Bytes(bytes(&tree)));
        let options = ScanOptions::default();
        group.bench_function(name, |b| {
            b.iter_batched(|| tree.clone(), |t| black_box(scan_sources(t, &options)), BatchSize::SmallInput)
        });
    }
    group.finish();
}

/// `Graph::build` alone: derive policies, attachments, network rules and
/// buckets from the resources and edges of already parsed units.
fn graph_build(c: &mut Criterion) {
    let mut group = c.benchmark_group("graph_build");
    for (name, root) in [("terragoat-aws", data_dir().join("terraform/terragoat-aws")), ("fixtures", fixtures_dir())] {
        let Ok(output) = scan_paths(&[root], &ScanOptions::default()) else {
            eprintln!("graph_build/{name}: scan failed");
            continue;
        };
        let parts: Vec<_> = output.units.iter().map(|u| (u.graph.resources.clone(), u.graph.edges.clone())).collect();
        group.throughput(Throughput::Elements(parts.iter().map(|(r, _)| r.len() as u64).sum()));
        group.bench_function(name, |b| {
            b.iter_batched(
                || parts.clone(),
                |parts| {
                    for (resources, edges) in parts {
                        black_box(Graph::build(resources, edges));
                    }
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

/// Whole scans from disk: the scan alone, and the scan with every bundled
/// rule (as `tollgate check` runs it, less rendering).
fn whole_scan(c: &mut Criterion) {
    let Ok(engine) = Engine::builder().build() else {
        eprintln!("scan: the bundled rules do not load");
        return;
    };
    let mut group = c.benchmark_group("scan");
    for (name, root) in [("fixtures", fixtures_dir()), ("bench-data", data_dir())] {
        let roots = [root];
        let options = ScanOptions::default();
        group.bench_function(format!("{name}/graph"), |b| b.iter(|| black_box(scan_paths(&roots, &options))));
        group.bench_function(format!("{name}/rules"), |b| b.iter(|| black_box(engine.scan(&roots, &options))));
    }
    group.bench_function("engine_build", |b| b.iter(|| black_box(Engine::builder().build())));
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! { name = benches; config = config(); targets = parse, graph_build, whole_scan }
criterion_main!(benches);

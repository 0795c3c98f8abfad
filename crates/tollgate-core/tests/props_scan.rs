//! Properties of the whole scan: normalization is idempotent, the order of
//! blocks, files and statements never changes the graph beyond order and
//! positions, and the output is byte-identical across runs and across rayon
//! thread counts.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::Value as Json;
use tollgate_core::{Graph, ScanOptions, ScanOutput, scan_sources};

// ---------------------------------------------------------------------------
// Generated infrastructure code

const ACTIONS: &[&str] =
    &["*", "s3:*", "s3:GetObject", "iam:PassRole", "ec2:Describe*", "sts:AssumeRole", "kms:Decrypt"];
const RESOURCES: &[&str] = &["*", "arn:aws:s3:::b/*", "arn:aws:iam::123456789012:role/r"];
const CIDRS: &[&str] = &["0.0.0.0/0", "10.0.0.0/8", "192.168.1.0/24"];

/// One IAM statement: effect, actions, resources.
#[derive(Debug, Clone)]
struct Stmt {
    allow: bool,
    actions: Vec<&'static str>,
    resources: Vec<&'static str>,
}

fn stmt() -> impl Strategy<Value = Stmt> {
    (any::<bool>(), prop::collection::vec(select(ACTIONS), 1..3), prop::collection::vec(select(RESOURCES), 1..3))
        .prop_map(|(allow, actions, resources)| Stmt { allow, actions, resources })
}

fn quoted(items: &[&str]) -> String {
    let q: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
    format!("[{}]", q.join(", "))
}

impl Stmt {
    fn json(&self) -> String {
        format!(
            r#"{{"Effect": "{}", "Action": {}, "Resource": {}}}"#,
            if self.allow { "Allow" } else { "Deny" },
            quoted(&self.actions),
            quoted(&self.resources)
        )
    }

    fn hcl(&self) -> String {
        format!(
            "{{ Effect = \"{}\", Action = {}, Resource = {} }}",
            if self.allow { "Allow" } else { "Deny" },
            quoted(&self.actions),
            quoted(&self.resources)
        )
    }
}

/// One Terraform block (its text), named `r{i}`.
#[derive(Debug, Clone)]
enum Block {
    Policy(Vec<Stmt>),
    SecurityGroup { port: u16, cidr: &'static str },
    Bucket { blocked: bool },
}

fn block() -> impl Strategy<Value = Block> {
    prop_oneof![
        prop::collection::vec(stmt(), 1..4).prop_map(Block::Policy),
        (select(&[22u16, 80, 443, 3389][..]), select(CIDRS))
            .prop_map(|(port, cidr)| Block::SecurityGroup { port, cidr }),
        any::<bool>().prop_map(|blocked| Block::Bucket { blocked }),
    ]
}

impl Block {
    fn hcl(&self, i: usize) -> String {
        match self {
            Block::Policy(stmts) => {
                let s: Vec<String> = stmts.iter().map(Stmt::hcl).collect();
                format!(
                    "resource \"aws_iam_policy\" \"r{i}\" {{\n  name = \"r{i}\"\n  policy = jsonencode({{\n    Version = \"2012-10-17\"\n    Statement = [\n      {}\n    ]\n  }})\n}}\n",
                    s.join(",\n      ")
                )
            }
            Block::SecurityGroup { port, cidr } => format!(
                "resource \"aws_security_group\" \"r{i}\" {{\n  name = \"r{i}\"\n  ingress {{\n    from_port   = {port}\n    to_port     = {port}\n    protocol    = \"tcp\"\n    cidr_blocks = [\"{cidr}\"]\n  }}\n}}\n"
            ),
            Block::Bucket { blocked } => format!(
                "resource \"aws_s3_bucket\" \"r{i}\" {{\n  bucket = \"bucket-r{i}\"\n}}\n\nresource \"aws_s3_bucket_public_access_block\" \"r{i}\" {{\n  bucket              = aws_s3_bucket.r{i}.id\n  block_public_acls   = {blocked}\n  block_public_policy = {blocked}\n}}\n"
            ),
        }
    }
}

fn policy_json(stmts: &[Stmt]) -> String {
    let s: Vec<String> = stmts.iter().map(Stmt::json).collect();
    format!("{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {}\n  ]\n}}\n", s.join(",\n    "))
}

fn template_yaml(topics: &[(String, Vec<Stmt>)]) -> String {
    let mut out = String::from("AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n");
    for (name, stmts) in topics {
        let s: Vec<String> = stmts.iter().map(Stmt::json).collect();
        out.push_str(&format!(
            "  {name}:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument: {{\"Version\": \"2012-10-17\", \"Statement\": [{}]}}\n",
            s.join(", ")
        ));
    }
    out
}

/// A tree: Terraform blocks spread over `files` files of module `m`, one raw
/// policy and one CloudFormation template.
#[derive(Debug, Clone)]
struct Tree {
    blocks: Vec<Block>,
    files: usize,
    policy: Vec<Stmt>,
    template: Vec<(String, Vec<Stmt>)>,
}

fn tree() -> impl Strategy<Value = Tree> {
    (
        prop::collection::vec(block(), 1..6),
        1usize..4,
        prop::collection::vec(stmt(), 1..5),
        prop::collection::vec(prop::collection::vec(stmt(), 1..3), 1..4),
    )
        .prop_map(|(blocks, files, policy, template)| Tree {
            blocks,
            files,
            policy,
            template: template.into_iter().enumerate().map(|(i, s)| (format!("Policy{i}"), s)).collect(),
        })
}

impl Tree {
    /// The files, with block `i` (by `order`) in file `order_pos % files`.
    fn render(&self, order: &[usize], stmt_order: &[usize], res_order: &[usize]) -> BTreeMap<PathBuf, String> {
        let mut files = BTreeMap::new();
        for (pos, &i) in order.iter().enumerate() {
            let text: &mut String = files.entry(PathBuf::from(format!("m/f{}.tf", pos % self.files))).or_default();
            text.push_str(&self.blocks[i].hcl(i));
            text.push('\n');
        }
        let stmts: Vec<Stmt> = stmt_order.iter().map(|&i| self.policy[i].clone()).collect();
        files.insert(PathBuf::from("p/policy.json"), policy_json(&stmts));
        let resources: Vec<(String, Vec<Stmt>)> = res_order.iter().map(|&i| self.template[i].clone()).collect();
        files.insert(PathBuf::from("t/template.yaml"), template_yaml(&resources));
        files
    }

    fn identity(&self) -> BTreeMap<PathBuf, String> {
        let ids = |n: usize| (0..n).collect::<Vec<_>>();
        self.render(&ids(self.blocks.len()), &ids(self.policy.len()), &ids(self.template.len()))
    }
}

/// A permutation of `0..n` from a seed (proptest shrinks the seed).
fn permutation(n: usize, mut seed: u64) -> Vec<usize> {
    let mut v: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let j = (seed >> 33) as usize % (i + 1);
        v.swap(i, j);
    }
    v
}

// ---------------------------------------------------------------------------
// Comparison helpers

fn scan(files: BTreeMap<PathBuf, String>) -> ScanOutput {
    scan_sources(files, &ScanOptions::default()).unwrap()
}

/// What a scan decides, without positions and order: every key naming a
/// location is dropped, statement indexes too, and every list is sorted.
fn canonical(out: &ScanOutput) -> Json {
    let mut units: Vec<Json> = out.units.iter().map(|u| serde_json::to_value(&u.graph).unwrap()).collect();
    for u in &mut units {
        strip(u);
    }
    units.sort_by_key(|u| u.to_string());
    let diagnostics: Vec<(String, &str)> = out.diagnostics.iter().map(|d| (d.file.to_string(), d.code)).collect();
    serde_json::json!({"units": units, "diagnostics": diagnostics})
}

fn strip(v: &mut Json) {
    match v {
        Json::Object(m) => {
            for k in ["loc", "spans", "line", "end_line", "column", "index", "call_sites", "statement_index"] {
                m.remove(k);
            }
            m.values_mut().for_each(strip);
        }
        Json::Array(items) => {
            items.iter_mut().for_each(strip);
            items.sort_by_key(|i| i.to_string());
        }
        _ => {}
    }
}

/// The serialized output as `tollgate graph` would print it (no timings).
fn bytes(out: &ScanOutput) -> String {
    serde_json::to_string(&(out, out.merged_graph())).unwrap()
}

fn config() -> ProptestConfig {
    ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    /// Building a graph from an already built graph's resources and edges
    /// changes nothing: derivation and sorting are idempotent.
    #[test]
    fn graph_normalization_is_idempotent(t in tree()) {
        let out = scan(t.identity());
        for u in &out.units {
            let again = Graph::build(u.graph.resources.clone(), u.graph.edges.clone());
            prop_assert_eq!(serde_json::to_string(&again).unwrap(), serde_json::to_string(&u.graph).unwrap());
        }
    }

    /// Shuffling Terraform blocks (and moving them between files), policy
    /// statements and template resources never changes the graph beyond
    /// order and positions.
    #[test]
    fn order_does_not_matter(t in tree(), s1 in any::<u64>(), s2 in any::<u64>(), s3 in any::<u64>()) {
        let base = canonical(&scan(t.identity()));
        let shuffled = t.render(
            &permutation(t.blocks.len(), s1),
            &permutation(t.policy.len(), s2),
            &permutation(t.template.len(), s3),
        );
        prop_assert_eq!(canonical(&scan(shuffled)), base);
    }

    /// The same input gives byte-identical output on 1 and 4 threads.
    #[test]
    fn output_is_identical_across_thread_counts(t in tree()) {
        let files = t.identity();
        let one = pool(1).install(|| bytes(&scan(files.clone())));
        let four = pool(4).install(|| bytes(&scan(files.clone())));
        prop_assert_eq!(one, four);
    }
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap()
}

/// Every fixture of the repository in memory (the malformed ones included).
fn fixture_tree() -> BTreeMap<PathBuf, String> {
    fn walk(dir: &Path, rel: &Path, out: &mut BTreeMap<PathBuf, String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let path = e.path();
            let rel = rel.join(e.file_name());
            if path.is_dir() {
                walk(&path, &rel, out);
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                out.insert(rel, text);
            }
        }
    }
    let mut out = BTreeMap::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    // Every input form; `fixtures/rules` repeats them (and is scanned by the rule tests).
    for dir in ["cloudformation", "examples", "iam", "malformed", "modules", "plan", "terraform"] {
        walk(&root.join(dir), &Path::new("fixtures").join(dir), &mut out);
    }
    out
}

#[test]
fn all_fixtures_are_byte_identical_across_runs_and_thread_counts() {
    let files = fixture_tree();
    assert!(files.len() > 40, "{} fixture files", files.len());
    let first = pool(4).install(|| bytes(&scan(files.clone())));
    let second = pool(4).install(|| bytes(&scan(files.clone())));
    assert!(first == second, "two runs on 4 threads differ");
    let one = pool(1).install(|| bytes(&scan(files.clone())));
    assert!(one == first, "1 thread differs from 4 threads");
}

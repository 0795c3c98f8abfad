//! End-to-end: real Terraform, CloudFormation and raw IAM sources through
//! `scan_sources`, asserting the derived views (policies, attachments,
//! network rules, buckets) exactly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{Value as Json, json};
use tollgate_core::graph::Graph;
use tollgate_core::{ScanOptions, scan_sources};

fn scan(files: &[(&str, &str)]) -> Graph {
    let files: BTreeMap<PathBuf, String> = files.iter().map(|(p, t)| (PathBuf::from(p), (*t).to_string())).collect();
    let out = scan_sources(files, &ScanOptions::default()).unwrap();
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    out.merged_graph()
}

fn to_json<T: serde::Serialize>(v: &T) -> Json {
    serde_json::to_value(v).unwrap()
}

/// `file:line-end_line`
fn at(loc: &tollgate_core::graph::Location) -> String {
    format!("{}:{}-{}", loc.file, loc.line, loc.end_line)
}

fn policies(g: &Graph) -> Json {
    Json::Array(
        g.policies
            .iter()
            .map(|p| {
                json!({
                    "id": p.id, "role": to_json(&p.role), "principals": p.principals, "target": p.target,
                    "unknown": p.unknown, "at": at(&p.loc),
                    "statements": p.statements.iter().map(|s| json!({
                        "effect": to_json(&s.effect), "actions": to_json(&s.actions), "not_actions": to_json(&s.not_actions),
                        "resources": to_json(&s.resources), "principals": to_json(&s.principals),
                        "conditions": to_json(&s.conditions), "at": format!("{} {}", s.loc.address, at(&s.loc)),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

fn attachments(g: &Graph) -> Json {
    Json::Array(
        g.attachments
            .iter()
            .map(|a| {
                json!([a.owner, a.principal_type, to_json(&a.principal), to_json(&a.policy_arn), a.policy, at(&a.loc)])
            })
            .collect(),
    )
}

fn network_rules(g: &Graph) -> Json {
    Json::Array(
        g.network_rules
            .iter()
            .map(|r| {
                json!({
                    "dir": to_json(&r.direction), "proto": to_json(&r.protocol),
                    "ports": [to_json(&r.from_port), to_json(&r.to_port)],
                    "v4": to_json(&r.cidr_ipv4), "v6": to_json(&r.cidr_ipv6), "groups": to_json(&r.source_groups),
                    "sg": to_json(&r.security_group), "owner": r.owner, "at": at(&r.loc),
                    "via": r.loc.call_sites.iter().map(|c| c.module.clone()).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

fn buckets(g: &Graph) -> Json {
    Json::Array(
        g.buckets
            .iter()
            .map(|b| {
                json!({
                    "address": b.address, "name": to_json(&b.name),
                    "acls": b.acls.iter().map(|a| json!([to_json(&a.acl), a.owner, at(&a.loc)])).collect::<Vec<_>>(),
                    "policies": b.policies,
                    "blocks": b.public_access_blocks.iter().map(|p| json!([
                        to_json(&p.block_public_acls), to_json(&p.block_public_policy),
                        to_json(&p.ignore_public_acls), to_json(&p.restrict_public_buckets), p.owner, at(&p.loc)
                    ])).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

#[test]
fn terraform_root_and_module() {
    let g = scan(&[
        ("main.tf", include_str!("graph_e2e/main.tf")),
        ("modules/sg/main.tf", include_str!("graph_e2e/modules/sg/main.tf")),
    ]);
    assert_eq!(
        policies(&g),
        json!([
            {"id": "aws_iam_role.app#assume_role_policy", "role": "trust", "principals": [], "target": null, "unknown": false,
             "at": "main.tf:3-10", "statements": [
                {"effect": "Allow", "actions": ["sts:AssumeRole"], "not_actions": [], "resources": [],
                 "principals": {"AWS": ["*"]}, "conditions": [], "at": "aws_iam_role.app main.tf:5-9"}]},
            {"id": "aws_iam_policy.admin#policy", "role": "identity", "principals": ["aws_iam_role.app"], "target": null,
             "unknown": false, "at": "main.tf:27-27", "statements": [
                {"effect": "Allow", "actions": ["*"], "not_actions": [], "resources": ["*"], "principals": {}, "conditions": [],
                 "at": "aws_iam_policy.admin main.tf:14-17"},
                {"effect": "Deny", "actions": ["s3:DeleteBucket"], "not_actions": [], "resources": ["*"], "principals": {},
                 "conditions": [], "at": "aws_iam_policy.admin main.tf:18-22"}]},
            {"id": "aws_s3_bucket_policy.site#policy", "role": "resource", "principals": [], "target": "aws_s3_bucket.site",
             "unknown": false, "at": "main.tf:70-81", "statements": [
                {"effect": "Allow", "actions": ["s3:GetObject"], "not_actions": [], "resources": ["arn:aws:s3:::site-bucket/*"],
                 "principals": {"AWS": ["*"]}, "conditions": [], "at": "aws_s3_bucket_policy.site main.tf:73-78"}]},
            {"id": "aws_iam_role.ci#assume_role_policy", "role": "trust", "principals": [], "target": null, "unknown": false,
             "at": "main.tf:91-91", "statements": [
                {"effect": "Allow", "actions": ["sts:AssumeRoleWithWebIdentity"], "not_actions": [], "resources": [],
                 "principals": {"Federated": ["arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"]},
                 "conditions": [{"operator": "StringLike", "key": "token.actions.githubusercontent.com:sub", "values": ["repo:org/*"]}],
                 "at": "aws_iam_role.ci main.tf:103-114"}]},
            {"id": "aws_iam_role.ci#inline_policy[0].policy", "role": "identity", "principals": ["aws_iam_role.ci"],
             "target": null, "unknown": false, "at": "main.tf:94-98", "statements": [
                {"effect": "Allow", "actions": ["s3:PutObject", "iam:PassRole"], "not_actions": [], "resources": ["*"],
                 "principals": {}, "conditions": [], "at": "aws_iam_role.ci main.tf:96-96"}]},
        ])
    );
    assert_eq!(
        attachments(&g),
        json!([[
            "aws_iam_role_policy_attachment.a", "role", "aws_iam_role.app", {"$unknown": "aws_iam_policy.admin.arn"},
            "aws_iam_policy.admin", "main.tf:32-32"
        ]])
    );
    assert_eq!(
        network_rules(&g),
        json!([
            {"dir": "ingress", "proto": "tcp", "ports": [22, 22], "v4": ["0.0.0.0/0"], "v6": [], "groups": [],
             "sg": "aws_security_group.web", "owner": "aws_security_group.web", "at": "main.tf:37-42", "via": []},
            {"dir": "ingress", "proto": "all", "ports": [0, 65535], "v4": [], "v6": ["::/0"], "groups": [],
             "sg": "aws_security_group.web", "owner": "aws_security_group_rule.all", "at": "main.tf:45-52", "via": []},
            {"dir": "ingress", "proto": "tcp", "ports": [3389, 3389], "v4": ["0.0.0.0/0"], "v6": [], "groups": [],
             "sg": "module.sg.aws_security_group.this", "owner": "module.sg.aws_security_group_rule.admin",
             "at": "modules/sg/main.tf:9-16", "via": ["module.sg"]},
            {"dir": "ingress", "proto": "udp", "ports": [53, 53], "v4": [], "v6": [], "groups": ["module.sg.aws_security_group.this"],
             "sg": "module.sg.aws_security_group.this", "owner": "module.sg.aws_vpc_security_group_ingress_rule.peer",
             "at": "modules/sg/main.tf:18-24", "via": ["module.sg"]},
        ])
    );
    assert_eq!(
        buckets(&g),
        json!([{
            "address": "aws_s3_bucket.site", "name": "site-bucket",
            "acls": [["public-read", "aws_s3_bucket_acl.site", "main.tf:60-60"]],
            "policies": ["aws_s3_bucket_policy.site#policy"],
            "blocks": [[false, false, false, false, "aws_s3_bucket_public_access_block.site", "main.tf:63-66"]],
        }])
    );
}

#[test]
fn cloudformation_template() {
    let g = scan(&[("template.yaml", include_str!("graph_e2e/template.yaml"))]);
    assert_eq!(
        policies(&g),
        json!([
            {"id": "SitePolicy#PolicyDocument", "role": "resource", "principals": [], "target": "Site", "unknown": false,
             "at": "template.yaml:13-18", "statements": [
                {"effect": "Allow", "actions": ["s3:GetObject"], "not_actions": [], "resources": [{"$unknown": "arn:aws:s3:::${Site}/*"}],
                 "principals": {"AWS": ["*"]}, "conditions": [], "at": "SitePolicy template.yaml:15-18"}]},
            {"id": "AppRole#AssumeRolePolicyDocument", "role": "trust", "principals": [], "target": null, "unknown": false,
             "at": "template.yaml:22-27", "statements": [
                {"effect": "Allow", "actions": ["sts:AssumeRole"], "not_actions": [], "resources": [],
                 "principals": {"Service": ["ec2.amazonaws.com"]}, "conditions": [], "at": "AppRole template.yaml:24-27"}]},
            {"id": "AppRole#Policies[0].PolicyDocument", "role": "identity", "principals": ["AppRole"], "target": null,
             "unknown": false, "at": "template.yaml:33-37", "statements": [
                {"effect": "Allow", "actions": ["iam:*"], "not_actions": [], "resources": ["*"], "principals": {},
                 "conditions": [], "at": "AppRole template.yaml:35-37"}]},
            {"id": "Managed#PolicyDocument", "role": "identity", "principals": ["AppRole"], "target": null, "unknown": false,
             "at": "template.yaml:41-45", "statements": [
                {"effect": "Allow", "actions": ["s3:GetObject"], "not_actions": [], "resources": ["*"], "principals": {},
                 "conditions": [], "at": "Managed template.yaml:43-45"}]},
        ])
    );
    assert_eq!(
        attachments(&g),
        json!([
            ["AppRole", "role", "AppRole", "arn:aws:iam::aws:policy/AdministratorAccess", null, "template.yaml:29-29"],
            ["AppRole", "role", "AppRole", {"$unknown": "Managed"}, "Managed", "template.yaml:30-30"],
        ])
    );
    assert_eq!(
        network_rules(&g),
        json!([
            {"dir": "ingress", "proto": "tcp", "ports": [3389, 3389], "v4": ["0.0.0.0/0"], "v6": [], "groups": [],
             "sg": "WebSG", "owner": "WebSG", "at": "template.yaml:51-54", "via": []},
            {"dir": "ingress", "proto": "tcp", "ports": [22, 22], "v4": [], "v6": ["::/0"], "groups": [],
             "sg": "WebSG", "owner": "SshIn", "at": "template.yaml:55-62", "via": []},
        ])
    );
    assert_eq!(
        buckets(&g),
        json!([{
            "address": "Site", "name": {"$unknown": "Site"},
            "acls": [["public-read", "Site", "template.yaml:6-6"]],
            "policies": ["SitePolicy#PolicyDocument"],
            "blocks": [[true, false, false, false, "Site", "template.yaml:7-8"]],
        }])
    );
}

#[test]
fn cloudformation_json_template() {
    let template = r#"{
  "Resources": {
    "Queue": {"Type": "AWS::SQS::Queue", "Properties": {}},
    "QueuePolicy": {
      "Type": "AWS::SQS::QueuePolicy",
      "Properties": {
        "Queues": [{"Ref": "Queue"}],
        "PolicyDocument": {
          "Statement": {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sqs:SendMessage",
                        "Condition": {"ArnEquals": {"aws:SourceArn": {"Fn::Sub": "arn:aws:sns:${AWS::Region}:${AWS::AccountId}:t"}}}}
        }
      }
    },
    "Sg": {
      "Type": "AWS::EC2::SecurityGroup",
      "Properties": {
        "GroupDescription": "x",
        "SecurityGroupEgress": [{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}]
      }
    }
  }
}"#;
    let g = scan(&[("t.json", template)]);
    let p = &g.policies[0];
    assert_eq!((p.id.as_str(), p.target.as_deref()), ("QueuePolicy#PolicyDocument", Some("Queue")));
    assert_eq!(to_json(&p.statements[0].principals), json!({"AWS": ["*"]}));
    assert_eq!(
        to_json(&p.statements[0].conditions),
        json!([{"operator": "ArnEquals", "key": "aws:SourceArn", "values": [{"$unknown": "arn:aws:sns:${AWS::Region}:${AWS::AccountId}:t"}]}])
    );
    assert_eq!(at(&p.statements[0].loc), "t.json:9-10");
    assert_eq!(
        network_rules(&g),
        json!([{"dir": "egress", "proto": "all", "ports": [0, 65535], "v4": ["0.0.0.0/0"], "v6": [], "groups": [],
                "sg": "Sg", "owner": "Sg", "at": "t.json:18-18", "via": []}])
    );
}

#[test]
fn raw_iam_documents() {
    let identity = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"},
    {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}
  ]
}"#;
    let trust = r#"{"Role": {"AssumeRolePolicyDocument": {
  "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]
}}}"#;
    let bucket = r#"{"Policy": "{\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}]}"}"#;
    let g = scan(&[("identity.json", identity), ("trust.json", trust), ("bucket.json", bucket)]);
    let summary: Vec<Json> = g
        .policies
        .iter()
        .map(|p| {
            json!([
                p.id,
                to_json(&p.role),
                p.statements.len(),
                p.statements.iter().map(|s| at(&s.loc)).collect::<Vec<_>>()
            ])
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            json!(["bucket.json", "resource", 1, ["bucket.json:1-1"]]),
            json!(["identity.json", "identity", 2, ["identity.json:4-4", "identity.json:5-5"]]),
            json!(["trust.json", "trust", 1, ["trust.json:2-2"]]),
        ]
    );
    let deny = &g.policies[0].statements[0];
    assert_eq!(to_json(&deny.principals), json!({"AWS": ["*"]}));
    assert_eq!(
        to_json(&deny.conditions),
        json!([{"operator": "Bool", "key": "aws:SecureTransport", "values": ["false"]}])
    );
    assert_eq!(to_json(&g.policies[1].statements[1].not_actions), json!(["iam:*"]));
}

/// Cost of the derivations alone on the shared corpus (not part of CI):
/// `cargo test -p tollgate-core --release --test graph_views -- --ignored --nocapture`.
#[test]
#[ignore = "needs ../shared/corpus; prints timings"]
fn derivation_cost_on_corpus() {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if !corpus.is_dir() {
        return;
    }
    let start = std::time::Instant::now();
    let out = tollgate_core::scan_paths(&[corpus], &ScanOptions::default()).unwrap();
    let scan = start.elapsed();
    let inputs: Vec<_> = out.units.iter().map(|u| (u.graph.resources.clone(), u.graph.edges.clone())).collect();
    let resources: usize = inputs.iter().map(|(r, _)| r.len()).sum();
    let start = std::time::Instant::now();
    let mut derived = 0;
    for (r, e) in inputs {
        let g = Graph::build(r, e);
        derived += g.policies.len() + g.attachments.len() + g.network_rules.len() + g.buckets.len();
    }
    let build = start.elapsed();
    println!(
        "units {} resources {resources} derived {derived}: scan {scan:?}, Graph::build of all units {build:?}",
        out.units.len()
    );
}

#[test]
fn terraform_plan() {
    let g = scan(&[("plan.json", include_str!("graph_e2e/plan.json"))]);
    let summary: Vec<Json> = g
        .policies
        .iter()
        .map(|p| {
            json!([p.id, to_json(&p.role), p.principals, at(&p.statements[0].loc), to_json(&p.statements[0].actions)])
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            json!(["aws_iam_role_policy.p#policy", "identity", ["aws_iam_role.app"], "plan.json:27-27", ["*"]]),
            json!(["aws_iam_role.app#assume_role_policy", "trust", [], "plan.json:35-35", ["sts:AssumeRole"]]),
        ]
    );
    assert_eq!(
        network_rules(&g),
        json!([{"dir": "ingress", "proto": "tcp", "ports": [22, 22], "v4": ["0.0.0.0/0"], "v6": [], "groups": [],
                "sg": "aws_security_group.x", "owner": "aws_security_group.x", "at": "plan.json:15-15", "via": []}])
    );
}

/// Every field name the graph serializes is documented in
/// `docs/graph-schema.md` (keys of data maps such as `attributes` aside).
#[test]
fn schema_doc_names_every_field() {
    let doc = include_str!("../../../docs/graph-schema.md");
    let g = scan(&[
        ("main.tf", include_str!("graph_e2e/main.tf")),
        ("modules/sg/main.tf", include_str!("graph_e2e/modules/sg/main.tf")),
        ("template.yaml", include_str!("graph_e2e/template.yaml")),
        ("plan/plan.json", include_str!("graph_e2e/plan.json")),
    ]);
    fn walk(v: &Json, keys: &mut std::collections::BTreeSet<String>) {
        match v {
            Json::Object(m) => {
                for (k, v) in m {
                    keys.insert(k.clone());
                    // Maps whose keys are data, not schema.
                    if !matches!(k.as_str(), "attributes" | "spans" | "principals" | "not_principals" | "access_levels")
                    {
                        walk(v, keys);
                    }
                }
            }
            Json::Array(items) => items.iter().for_each(|i| walk(i, keys)),
            _ => {}
        }
    }
    let mut keys = std::collections::BTreeSet::new();
    walk(&to_json(&g), &mut keys);
    let missing: Vec<&String> = keys.iter().filter(|k| !doc.contains(&format!("`{k}`"))).collect();
    assert!(missing.is_empty(), "fields missing from docs/graph-schema.md: {missing:?}");
    assert!(keys.len() > 60, "walked {} keys", keys.len());
}

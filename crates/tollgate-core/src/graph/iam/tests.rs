use std::collections::BTreeMap;

use serde_json::json;

use super::*;
use crate::graph::Edge;
use crate::graph::index::test_support::{at, edge, res, spans, val};
use crate::graph::{Condition, Graph, Statement};

fn s(x: &str) -> Value {
    Value::from(x)
}

/// (owner, principal type, principal, policy ARN, policy, line)
type AttRow<'a> = (&'a str, &'a str, Value, Value, Option<&'a str>, u32);

/// (id, role, principals, target, line)
type PolicyRow<'a> = (&'a str, PolicyRole, Vec<&'a str>, Option<&'a str>, u32);

fn build(resources: Vec<Resource>, edges: Vec<Edge>) -> Graph {
    Graph::build(resources, edges)
}

#[test]
fn terraform_policy_statements_are_normalized_exactly() {
    let doc = json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Read",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": ["arn:aws:s3:::b/*", "arn:aws:s3:::c/*"],
                "Condition": {
                    "StringEquals": {"aws:SourceVpce": "vpce-1", "aws:PrincipalOrgID": ["o-1", "o-2"]},
                    "Bool": {"aws:SecureTransport": "true"}
                }
            },
            {"Effect": "Deny", "NotAction": ["IAM:*"], "NotResource": "*"}
        ]
    });
    let policy = spans(
        res("aws_iam_policy.p", "aws_iam_policy", 1, 20, json!({"name": "p", "policy": doc.to_string()})),
        &[("policy", 3, 19), ("policy.Statement[0]", 5, 12), ("policy.Statement[1]", 13, 18)],
    );
    let g = build(vec![policy], vec![]);
    assert_eq!(g.policies.len(), 1);
    let p = &g.policies[0];
    assert_eq!(p.id, "aws_iam_policy.p#policy");
    assert_eq!(p.owner, "aws_iam_policy.p");
    assert_eq!(p.owner_type, "aws_iam_policy");
    assert_eq!(p.attribute, "policy");
    assert_eq!(p.role, PolicyRole::Identity);
    assert!(!p.unknown);
    assert_eq!(p.principals, Vec::<String>::new());
    assert_eq!(p.target, None);
    assert_eq!(at(&p.loc), ("main.tf", 3, 19));
    let loc0 = p.loc.with_span(&crate::span::Span::new(p.loc.file.clone(), 5, 1, 12));
    assert_eq!(
        p.statements[0],
        Statement {
            index: 0,
            sid: Some("Read".into()),
            effect: s("Allow"),
            actions: vec![s("s3:GetObject")],
            not_actions: vec![],
            resources: vec![s("arn:aws:s3:::b/*"), s("arn:aws:s3:::c/*")],
            not_resources: vec![],
            principals: BTreeMap::new(),
            not_principals: BTreeMap::new(),
            conditions: vec![
                Condition { operator: "Bool".into(), key: "aws:SecureTransport".into(), values: vec![s("true")] },
                Condition {
                    operator: "StringEquals".into(),
                    key: "aws:PrincipalOrgID".into(),
                    values: vec![s("o-1"), s("o-2")]
                },
                Condition { operator: "StringEquals".into(), key: "aws:SourceVpce".into(), values: vec![s("vpce-1")] },
            ],
            loc: loc0,
            grants: p.statements[0].grants.clone(),
        }
    );
    let st1 = &p.statements[1];
    assert_eq!(st1.effect, s("Deny"));
    assert_eq!(st1.not_actions, vec![s("IAM:*")], "action case is kept");
    assert_eq!(st1.not_resources, vec![s("*")]);
    assert_eq!(at(&st1.loc), ("main.tf", 13, 18));
}

#[test]
fn single_statement_object_and_principal_forms() {
    let doc = json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "sqs:*", "Resource": "*"}});
    let q = res("aws_sqs_queue.q", "aws_sqs_queue", 1, 9, json!({"policy": doc.to_string()}));
    let q = spans(q, &[("policy", 2, 8), ("policy.Statement", 3, 7)]);
    let g = build(vec![q], vec![]);
    let p = &g.policies[0];
    assert_eq!(p.role, PolicyRole::Resource);
    assert_eq!(p.target.as_deref(), Some("aws_sqs_queue.q"));
    assert_eq!(p.statements.len(), 1);
    let st = &p.statements[0];
    assert_eq!(st.principals, BTreeMap::from([("AWS".to_string(), vec![s("*")])]));
    assert_eq!(at(&st.loc), ("main.tf", 3, 7), "statement span of the single-object form");

    // The same principal in its other spellings.
    for principal in [json!({"AWS": "*"}), json!({"AWS": ["*"]}), json!(["*"])] {
        let doc = json!({"Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sqs:*"}]});
        let q = res("aws_sqs_queue.q", "aws_sqs_queue", 1, 9, json!({"policy": doc.to_string()}));
        let g = build(vec![q], vec![]);
        assert_eq!(g.policies[0].statements[0].principals, BTreeMap::from([("AWS".to_string(), vec![s("*")])]));
    }
    let doc = json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com", "AWS": ["arn:aws:iam::1:root"]}, "NotPrincipal": {"Federated": "cognito"}}]});
    let q = res("aws_sqs_queue.q", "aws_sqs_queue", 1, 9, json!({"policy": doc.to_string()}));
    let st = &build(vec![q], vec![]).policies[0].statements[0];
    assert_eq!(
        st.principals,
        BTreeMap::from([
            ("AWS".to_string(), vec![s("arn:aws:iam::1:root")]),
            ("Service".to_string(), vec![s("lambda.amazonaws.com")]),
        ])
    );
    assert_eq!(st.not_principals, BTreeMap::from([("Federated".to_string(), vec![s("cognito")])]));
}

#[test]
fn unknown_parts_stay_unknown() {
    let doc = json!({"Statement": [
        {"Effect": {"$unknown": "var.effect"}, "Action": ["s3:GetObject", {"$unknown": "var.action"}],
         "Resource": {"$unknown": "aws_s3_bucket.b.arn"}, "Principal": {"$unknown": "var.who"},
         "Condition": {"StringEquals": {"$unknown": "var.cond"}}},
        {"$unknown": "local.extra"},
        "garbage"
    ]});
    let r = res("x.json", "iam_policy", 1, 30, doc);
    let g = build(vec![r], vec![]);
    let p = &g.policies[0];
    assert_eq!(p.id, "x.json");
    assert_eq!(p.attribute, "");
    assert_eq!(p.role, PolicyRole::Resource, "a principal makes it a resource policy");
    let st = &p.statements[0];
    assert_eq!(st.effect, Value::unknown("var.effect"));
    assert_eq!(st.actions, vec![s("s3:GetObject"), Value::unknown("var.action")]);
    assert_eq!(st.resources, vec![Value::unknown("aws_s3_bucket.b.arn")]);
    assert_eq!(st.principals, BTreeMap::from([("$unknown".to_string(), vec![Value::unknown("var.who")])]));
    assert_eq!(
        st.conditions,
        vec![Condition {
            operator: "StringEquals".into(),
            key: "$unknown".into(),
            values: vec![Value::unknown("var.cond")]
        }]
    );
    let whole = &p.statements[1];
    assert_eq!(whole.index, 1);
    assert_eq!(whole.effect, Value::unknown("local.extra"));
    assert_eq!(whole.actions, vec![Value::unknown("local.extra")]);
    assert_eq!(whole.resources, vec![Value::unknown("local.extra")]);
    let junk = &p.statements[2];
    assert_eq!((junk.index, &junk.effect, junk.actions.len()), (2, &Value::Null, 0));
}

#[test]
fn unknown_invalid_and_absent_documents() {
    let unknown = res("aws_iam_policy.u", "aws_iam_policy", 1, 3, json!({"policy": {"$unknown": "data.http.p.body"}}));
    let invalid = res("aws_iam_policy.i", "aws_iam_policy", 5, 7, json!({"policy": "{not json"}));
    let no_statement =
        res("aws_iam_policy.n", "aws_iam_policy", 9, 11, json!({"policy": "{\"Version\": \"2012-10-17\"}"}));
    let unknown_list =
        res("aws_iam_policy.l", "aws_iam_policy", 13, 15, json!({"policy": {"Statement": {"$unknown": "x"}}}));
    let bucket = res("aws_s3_bucket.b", "aws_s3_bucket", 17, 19, json!({"bucket": "b"}));
    let g = build(vec![unknown, invalid, no_statement, unknown_list, bucket], vec![]);
    let summary: Vec<(&str, bool, usize)> =
        g.policies.iter().map(|p| (p.owner.as_str(), p.unknown, p.statements.len())).collect();
    assert_eq!(
        summary,
        vec![
            ("aws_iam_policy.u", true, 0),
            ("aws_iam_policy.i", false, 0),
            ("aws_iam_policy.n", false, 0),
            ("aws_iam_policy.l", true, 0),
        ],
        "a bucket without a policy attribute has no policy"
    );
}

#[test]
fn data_policy_document_gives_statement_locations() {
    let rendered = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}
    ]})
    .to_string();
    let mut data =
        res("data.aws_iam_policy_document.d", "aws_iam_policy_document", 30, 45, json!({"json": rendered.clone()}));
    data.loc.file = "data.tf".into();
    let data = spans(data, &[("statement[0]", 31, 35), ("statement[1]", 36, 44)]);
    let role_policy = spans(
        res(
            "aws_iam_role_policy.rp",
            "aws_iam_role_policy",
            1,
            5,
            json!({"role": {"$unknown": "aws_iam_role.r.id"}, "policy": rendered}),
        ),
        &[("policy", 3, 3)],
    );
    let role = res("aws_iam_role.r", "aws_iam_role", 7, 12, json!({"name": "r"}));
    let edges = vec![
        edge("aws_iam_role_policy.rp", "data.aws_iam_policy_document.d", "policy"),
        edge("aws_iam_role_policy.rp", "aws_iam_role.r", "role"),
    ];
    let g = build(vec![role_policy, role, data], edges);
    assert_eq!(g.policies.len(), 1, "the data source itself is not a policy");
    let p = &g.policies[0];
    assert_eq!(p.owner, "aws_iam_role_policy.rp");
    assert_eq!(p.principals, vec!["aws_iam_role.r".to_string()]);
    assert_eq!(at(&p.loc), ("main.tf", 3, 3));
    let locs: Vec<_> = p.statements.iter().map(|s| (s.loc.address.as_str(), at(&s.loc))).collect();
    assert_eq!(
        locs,
        vec![("aws_iam_role_policy.rp", ("data.tf", 31, 35)), ("aws_iam_role_policy.rp", ("data.tf", 36, 44)),]
    );
}

#[test]
fn role_trust_inline_and_managed_attachments_terraform() {
    let trust = json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    let inline = json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    let role = spans(
        res(
            "aws_iam_role.r",
            "aws_iam_role",
            1,
            20,
            json!({
                "name": "app",
                "assume_role_policy": trust.to_string(),
                "inline_policy": [{"name": "a", "policy": inline.to_string()}, {}],
                "managed_policy_arns": ["arn:aws:iam::aws:policy/ReadOnlyAccess", {"$unknown": "aws_iam_policy.p.arn"}]
            }),
        ),
        &[("assume_role_policy", 3, 3), ("inline_policy[0]", 4, 7), ("managed_policy_arns[1]", 9, 9)],
    );
    let policy = res("aws_iam_policy.p", "aws_iam_policy", 22, 30, json!({"policy": inline.to_string()}));
    let attach = res(
        "aws_iam_role_policy_attachment.a",
        "aws_iam_role_policy_attachment",
        32,
        35,
        json!({"role": "app", "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
    );
    let edges = vec![edge("aws_iam_role.r", "aws_iam_policy.p", "managed_policy_arns")];
    let g = build(vec![policy, attach, role], edges);
    let ids: Vec<(&str, PolicyRole, &[String])> =
        g.policies.iter().map(|p| (p.id.as_str(), p.role, p.principals.as_slice())).collect();
    let r = ["aws_iam_role.r".to_string()];
    assert_eq!(
        ids,
        vec![
            ("aws_iam_role.r#assume_role_policy", PolicyRole::Trust, &[][..]),
            ("aws_iam_role.r#inline_policy[0].policy", PolicyRole::Identity, &r[..]),
            ("aws_iam_policy.p#policy", PolicyRole::Identity, &r[..]),
        ]
    );
    let trust_st = &g.policies[0].statements[0];
    assert_eq!(trust_st.principals, BTreeMap::from([("Service".to_string(), vec![s("ec2.amazonaws.com")])]));
    assert_eq!(at(&g.policies[1].loc), ("main.tf", 4, 7));

    let atts: Vec<AttRow<'_>> = g
        .attachments
        .iter()
        .map(|a| {
            (
                a.owner.as_str(),
                a.principal_type.as_str(),
                a.principal.clone(),
                a.policy_arn.clone(),
                a.policy.as_deref(),
                a.loc.line,
            )
        })
        .collect();
    assert_eq!(
        atts,
        vec![
            ("aws_iam_role.r", "role", s("aws_iam_role.r"), s("arn:aws:iam::aws:policy/ReadOnlyAccess"), None, 1),
            (
                "aws_iam_role.r",
                "role",
                s("aws_iam_role.r"),
                Value::unknown("aws_iam_policy.p.arn"),
                Some("aws_iam_policy.p"),
                9
            ),
            (
                "aws_iam_role_policy_attachment.a",
                "role",
                s("aws_iam_role.r"),
                s("arn:aws:iam::aws:policy/AdministratorAccess"),
                None,
                32
            ),
        ]
    );
}

#[test]
fn policy_attachment_lists_and_unresolved_principals() {
    let policy = res("aws_iam_policy.p", "aws_iam_policy", 1, 3, json!({"policy": "{\"Statement\": []}"}));
    let user = res("aws_iam_user.u", "aws_iam_user", 5, 6, json!({"name": "alice"}));
    let attach = spans(
        res(
            "aws_iam_policy_attachment.a",
            "aws_iam_policy_attachment",
            8,
            14,
            json!({
                "policy_arn": {"$unknown": "aws_iam_policy.p.arn"},
                "users": ["alice", "bob"],
                "groups": [{"$unknown": "aws_iam_group.g.name"}]
            }),
        ),
        &[("policy_arn", 9, 9), ("users[0]", 10, 10)],
    );
    let edges = vec![edge("aws_iam_policy_attachment.a", "aws_iam_policy.p", "policy_arn")];
    let g = build(vec![policy, user, attach], edges);
    let atts: Vec<(&str, Value, Option<&str>)> =
        g.attachments.iter().map(|a| (a.principal_type.as_str(), a.principal.clone(), a.policy.as_deref())).collect();
    assert_eq!(
        atts,
        vec![
            ("user", s("aws_iam_user.u"), Some("aws_iam_policy.p")),
            ("user", s("bob"), Some("aws_iam_policy.p")),
            ("group", Value::unknown("aws_iam_group.g.name"), Some("aws_iam_policy.p")),
        ]
    );
    assert!(g.attachments.iter().all(|a| a.loc.line == 9));
    assert_eq!(g.policies[0].principals, vec!["aws_iam_user.u".to_string()]);
}

#[test]
fn bucket_policy_targets_by_edge_and_by_name() {
    let doc = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::logs/*"}]}).to_string();
    let b1 = res("aws_s3_bucket.logs", "aws_s3_bucket", 1, 3, json!({"bucket": "logs"}));
    let b2 = res("aws_s3_bucket.data", "aws_s3_bucket", 5, 7, json!({"bucket": {"$unknown": "var.name"}}));
    let by_name =
        res("aws_s3_bucket_policy.n", "aws_s3_bucket_policy", 9, 12, json!({"bucket": "logs", "policy": doc}));
    let by_edge = res(
        "aws_s3_bucket_policy.e",
        "aws_s3_bucket_policy",
        14,
        17,
        json!({"bucket": {"$unknown": "aws_s3_bucket.data.id"}, "policy": doc}),
    );
    let nowhere =
        res("aws_s3_bucket_policy.x", "aws_s3_bucket_policy", 19, 22, json!({"bucket": "elsewhere", "policy": doc}));
    let edges = vec![edge("aws_s3_bucket_policy.e", "aws_s3_bucket.data", "bucket")];
    let g = build(vec![b1, b2, by_name, by_edge, nowhere], edges);
    let targets: Vec<(&str, Option<&str>)> =
        g.policies.iter().map(|p| (p.owner.as_str(), p.target.as_deref())).collect();
    assert_eq!(
        targets,
        vec![
            ("aws_s3_bucket_policy.n", Some("aws_s3_bucket.logs")),
            ("aws_s3_bucket_policy.e", Some("aws_s3_bucket.data")),
            ("aws_s3_bucket_policy.x", None),
        ]
    );
}

#[test]
fn cloudformation_documents_and_attachments() {
    let role = spans(
        res(
            "AppRole",
            "AWS::IAM::Role",
            10,
            40,
            json!({
                "RoleName": "app",
                "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]},
                "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": ["iam:PassRole"], "Resource": "*"}]}}],
                "ManagedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess", {"$unknown": "Managed"}]
            }),
        ),
        &[
            ("AssumeRolePolicyDocument", 13, 18),
            ("AssumeRolePolicyDocument.Statement[0]", 15, 18),
            ("Policies[0].PolicyDocument", 21, 27),
            ("Policies[0].PolicyDocument.Statement[0]", 23, 27),
            ("ManagedPolicyArns[0]", 29, 29),
            ("ManagedPolicyArns[1]", 30, 30),
        ],
    );
    let managed = res(
        "Managed",
        "AWS::IAM::ManagedPolicy",
        42,
        55,
        json!({"PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}, "Users": ["bob"], "Groups": [{"$unknown": "Admins"}]}),
    );
    let group = res("Admins", "AWS::IAM::Group", 57, 60, json!({}));
    let inline =
        res("Inline", "AWS::IAM::Policy", 62, 70, json!({"PolicyDocument": {"Statement": []}, "Roles": ["app"]}));
    let bucket = res("Bucket", "AWS::S3::Bucket", 72, 74, json!({}));
    let bucket_policy = res(
        "BucketPolicy",
        "AWS::S3::BucketPolicy",
        76,
        85,
        json!({"Bucket": {"$unknown": "Bucket"}, "PolicyDocument": {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*"}]}}),
    );
    let key = res("Key", "AWS::KMS::Key", 87, 95, json!({"KeyPolicy": {"Statement": []}}));
    let edges = vec![
        edge("AppRole", "Managed", "ManagedPolicyArns"),
        edge("Managed", "Admins", "Groups"),
        edge("BucketPolicy", "Bucket", "Bucket"),
    ];
    let g = build(vec![bucket_policy, key, role, managed, group, inline, bucket], edges);
    let summary: Vec<PolicyRow<'_>> = g
        .policies
        .iter()
        .map(|p| {
            (p.id.as_str(), p.role, p.principals.iter().map(String::as_str).collect(), p.target.as_deref(), p.loc.line)
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("AppRole#AssumeRolePolicyDocument", PolicyRole::Trust, vec![], None, 13),
            ("AppRole#Policies[0].PolicyDocument", PolicyRole::Identity, vec!["AppRole"], None, 21),
            ("Managed#PolicyDocument", PolicyRole::Identity, vec!["Admins", "AppRole"], None, 42),
            ("Inline#PolicyDocument", PolicyRole::Identity, vec!["AppRole"], None, 62),
            ("BucketPolicy#PolicyDocument", PolicyRole::Resource, vec![], Some("Bucket"), 76),
            ("Key#KeyPolicy", PolicyRole::Resource, vec![], Some("Key"), 87),
        ]
    );
    assert_eq!(g.policies[0].statements[0].principals, BTreeMap::from([("AWS".to_string(), vec![s("*")])]));
    assert_eq!(at(&g.policies[1].statements[0].loc), ("t.yaml", 23, 27));
    let atts: Vec<AttRow<'_>> = g
        .attachments
        .iter()
        .map(|a| {
            (
                a.owner.as_str(),
                a.principal_type.as_str(),
                a.principal.clone(),
                a.policy_arn.clone(),
                a.policy.as_deref(),
                a.loc.line,
            )
        })
        .collect();
    assert_eq!(
        atts,
        vec![
            ("AppRole", "role", s("AppRole"), s("arn:aws:iam::aws:policy/AdministratorAccess"), None, 29),
            ("AppRole", "role", s("AppRole"), Value::unknown("Managed"), Some("Managed"), 30),
            ("Managed", "user", s("bob"), Value::unknown("Managed"), Some("Managed"), 42),
            ("Managed", "group", s("Admins"), Value::unknown("Managed"), Some("Managed"), 42),
        ]
    );
}

#[test]
fn cloudformation_string_documents_are_parsed() {
    let logs = res(
        "LogPolicy",
        "AWS::Logs::ResourcePolicy",
        1,
        5,
        json!({"PolicyName": "x", "PolicyDocument": "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"es.amazonaws.com\"},\"Action\":\"logs:PutLogEvents\"}]}"}),
    );
    let g = build(vec![logs], vec![]);
    let st = &g.policies[0].statements[0];
    assert_eq!(st.actions, vec![s("logs:PutLogEvents")]);
    assert_eq!(g.policies[0].target, None);
}

#[test]
fn identity_raw_policy_and_sorting() {
    let a = res(
        "b.json",
        "iam_policy",
        1,
        5,
        json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
    );
    let a = spans(a, &[("Statement[0]", 2, 4)]);
    let mut z = res("a.json", "iam_policy", 1, 5, json!({"Statement": []}));
    z.loc.file = "a.json".into();
    let g = build(vec![a, z], vec![]);
    let order: Vec<(&str, PolicyRole)> = g.policies.iter().map(|p| (p.owner.as_str(), p.role)).collect();
    assert_eq!(order, vec![("a.json", PolicyRole::Identity), ("b.json", PolicyRole::Identity)]);
    assert_eq!(at(&g.policies[1].statements[0].loc), ("p.json", 2, 4));
    let v = val(json!({"$unknown": "x"}));
    assert_eq!(v, Value::unknown("x"));
}

#[test]
fn raw_trust_policy_is_recognised() {
    let trust = res(
        "trust.json",
        "iam_policy",
        1,
        9,
        json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]}),
    );
    let bucket = res(
        "bucket.json",
        "iam_policy",
        1,
        9,
        json!({"Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}
        ]}),
    );
    let g = build(vec![trust, bucket], vec![]);
    let roles: Vec<(&str, PolicyRole)> = g.policies.iter().map(|p| (p.owner.as_str(), p.role)).collect();
    assert_eq!(roles, vec![("bucket.json", PolicyRole::Resource), ("trust.json", PolicyRole::Trust)]);
}

#[test]
fn unknown_markers_in_document_text_are_unknowns() {
    // What `jsonencode` writes for unknown values inside a document.
    let text = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":{"$unknown":"var.account"}},"Action":"s3:GetObject","Resource":{"$unknown":"aws_s3_bucket.b.arn"},"Condition":{"StringEquals":{"aws:SourceVpce":{"$unknown":"var.vpce"}}}}]}"#;
    let b = res("aws_s3_bucket_policy.p", "aws_s3_bucket_policy", 1, 5, json!({"policy": text}));
    let g = build(vec![b], vec![]);
    let st = &g.policies[0].statements[0];
    assert_eq!(st.resources, vec![Value::unknown("aws_s3_bucket.b.arn")]);
    assert_eq!(st.principals, BTreeMap::from([("AWS".to_string(), vec![Value::unknown("var.account")])]));
    assert_eq!(st.conditions[0].values, vec![Value::unknown("var.vpce")]);
    // A two-key object is an ordinary map.
    let text = r#"{"Statement":[{"Effect":"Allow","Action":{"$unknown":"x","y":1}}]}"#;
    let p = res("aws_iam_policy.q", "aws_iam_policy", 7, 9, json!({"policy": text}));
    let g = build(vec![p], vec![]);
    assert_eq!(g.policies[0].statements[0].actions, vec![val(json!({"$unknown": "x", "y": 1}))]);
}

/// (address, type, groups, memberships, boundary (arn, policy, resolved))
fn principal_rows(g: &Graph) -> Vec<serde_json::Value> {
    g.iam_principals
        .iter()
        .map(|p| {
            json!([
                p.address,
                p.principal_type,
                p.groups,
                p.memberships,
                p.permissions_boundary.as_ref().map(|b| json!([b.arn, b.policy, b.resolved, at(&b.loc)]))
            ])
        })
        .collect()
}

#[test]
fn terraform_group_memberships_and_boundaries() {
    let tf = |a: &str, t: &str, line: u32, attrs: serde_json::Value| res(a, t, line, line + 1, attrs);
    let g = build(
        vec![
            spans(
                tf(
                    "aws_iam_user.dev",
                    "aws_iam_user",
                    1,
                    json!({"name": "dev", "permissions_boundary": {"$unknown": "aws_iam_policy.cap.arn"}}),
                ),
                &[("permissions_boundary", 2, 2)],
            ),
            tf(
                "aws_iam_user.ops",
                "aws_iam_user",
                3,
                json!({"name": "ops", "permissions_boundary": "arn:aws:iam::aws:policy/PowerUserAccess"}),
            ),
            tf(
                "aws_iam_user.ext",
                "aws_iam_user",
                5,
                json!({"name": "ext", "permissions_boundary": "arn:aws:iam::123456789012:policy/outside"}),
            ),
            tf("aws_iam_group.deploy", "aws_iam_group", 7, json!({"name": "deploy"})),
            tf("aws_iam_policy.cap", "aws_iam_policy", 9, json!({"name": "cap", "policy": "{}"})),
            tf(
                "aws_iam_group_membership.deploy",
                "aws_iam_group_membership",
                11,
                json!({"group": {"$unknown": "aws_iam_group.deploy.name"}, "users": [{"$unknown": "aws_iam_user.dev.name"}, "ops"]}),
            ),
            tf(
                "aws_iam_user_group_membership.ext",
                "aws_iam_user_group_membership",
                13,
                json!({"user": "ext", "groups": ["deploy", "legacy"]}),
            ),
            tf("aws_iam_role.app", "aws_iam_role", 15, json!({"name": "app", "permissions_boundary": null})),
        ],
        vec![
            edge("aws_iam_user.dev", "aws_iam_policy.cap", "permissions_boundary"),
            edge("aws_iam_group_membership.deploy", "aws_iam_group.deploy", "group"),
            edge("aws_iam_group_membership.deploy", "aws_iam_user.dev", "users"),
        ],
    );
    assert_eq!(
        principal_rows(&g),
        vec![
            json!(["aws_iam_user.dev", "user", ["aws_iam_group.deploy"], ["aws_iam_group_membership.deploy"],
                   [{"$unknown": "aws_iam_policy.cap.arn"}, "aws_iam_policy.cap", true, ["main.tf", 2, 2]]]),
            json!([
                "aws_iam_user.ops",
                "user",
                ["aws_iam_group.deploy"],
                ["aws_iam_group_membership.deploy"],
                ["arn:aws:iam::aws:policy/PowerUserAccess", null, true, ["main.tf", 3, 4]]
            ]),
            json!([
                "aws_iam_user.ext",
                "user",
                ["aws_iam_group.deploy", "legacy"],
                ["aws_iam_user_group_membership.ext"],
                ["arn:aws:iam::123456789012:policy/outside", null, false, ["main.tf", 5, 6]]
            ]),
            json!(["aws_iam_group.deploy", "group", [], [], null]),
            json!(["aws_iam_role.app", "role", [], [], null]),
        ]
    );
    // The AWS-managed boundary is looked up in the catalog and listed.
    let power = g.aws_managed_policies.iter().find(|m| m.name == "PowerUserAccess").expect("listed");
    assert_eq!(power.boundary_of, ["aws_iam_user.ops"]);
    assert!(power.known && power.principals.is_empty() && power.attached_by.is_empty());
}

#[test]
fn cloudformation_group_memberships_and_boundaries() {
    let g = build(
        vec![
            res(
                "Dev",
                "AWS::IAM::User",
                1,
                9,
                json!({"Groups": [{"$unknown": "Deployers"}, "legacy"], "PermissionsBoundary": {"$unknown": "Cap"}}),
            ),
            res(
                "Ops",
                "AWS::IAM::User",
                10,
                12,
                json!({"UserName": "ops", "PermissionsBoundary": {"$unknown": "BoundaryParam"}}),
            ),
            res("Deployers", "AWS::IAM::Group", 13, 14, json!({})),
            res("Cap", "AWS::IAM::ManagedPolicy", 15, 20, json!({"PolicyDocument": {"Statement": []}})),
            res(
                "AddOps",
                "AWS::IAM::UserToGroupAddition",
                21,
                25,
                json!({"GroupName": {"$unknown": "Deployers"}, "Users": ["ops"]}),
            ),
            res(
                "Role",
                "AWS::IAM::Role",
                26,
                30,
                json!({"PermissionsBoundary": "arn:aws:iam::aws:policy/NoSuchPolicy"}),
            ),
        ],
        vec![
            edge("Dev", "Deployers", "Groups"),
            edge("Dev", "Cap", "PermissionsBoundary"),
            edge("AddOps", "Deployers", "GroupName"),
        ],
    );
    assert_eq!(
        principal_rows(&g),
        vec![
            json!(["Dev", "user", ["Deployers", "legacy"], [], [{"$unknown": "Cap"}, "Cap", true, ["t.yaml", 1, 9]]]),
            json!(["Ops", "user", ["Deployers"], ["AddOps"], [{"$unknown": "BoundaryParam"}, null, false, ["t.yaml", 10, 12]]]),
            json!(["Deployers", "group", [], [], null]),
            json!(["Role", "role", [], [], ["arn:aws:iam::aws:policy/NoSuchPolicy", null, false, ["t.yaml", 26, 30]]]),
        ]
    );
}

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::json;
use tollgate_catalog::{Catalog, PatternStatus};

use super::*;
use crate::graph::Location;

fn catalog() -> &'static Catalog {
    Catalog::embedded().expect("embedded catalog")
}

fn loc() -> Location {
    Location { address: "p".into(), file: Arc::from("p.json"), line: 1, end_line: 1, call_sites: vec![] }
}

/// Normalizes and annotates a policy document.
fn annotate(doc: serde_json::Value) -> Vec<Statement> {
    let (_, mut st) = normalize::statements(&Value::from_json(&doc), |_| loc());
    annotate_statements(&mut st, catalog(), &mut PatternCache::with_budget(MAX_WILDCARD_EXPANSIONS), Detail::Patterns);
    st
}

fn grants_of(doc: serde_json::Value) -> Grants {
    annotate(doc).into_iter().find_map(|s| s.grants).expect("an Allow statement")
}

#[test]
fn star_grants_everything_without_listing_it() {
    let g = grants_of(json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}));
    assert!(g.all_actions);
    assert_eq!(g.count, catalog().len());
    assert_eq!(g.services_count, catalog().info().services);
    assert_eq!(g.services_full.len(), LIST_CAP);
    assert_eq!(g.services_full_count, catalog().info().services);
    assert_eq!(g.access_levels.values().sum::<usize>(), catalog().len());
    assert_eq!(g.constrainable_write.len(), LIST_CAP);
    assert_eq!(g.constrainable_write_count, 9_195);
    assert!(g.escalation.contains(&"iam:PassRole".to_string()));
    assert!(g.credentials_exposure.contains(&"iam:CreateAccessKey".to_string()));
    assert!(g.data_exfiltration.contains(&"s3:GetObject".to_string()));
    assert!(g.any_resource && !g.conditional && !g.indeterminate);
    assert_eq!(g.patterns.len(), 1);
    assert_eq!(g.patterns[0].count, catalog().len());
    assert_eq!(g.patterns[0].sample.len(), SAMPLE_CAP);
}

#[test]
fn wildcard_pattern_shows_its_expansion() {
    let g = grants_of(
        json!({"Statement": [{"Effect": "Allow", "Action": ["iam:Put*Policy", "s3:GetObject"], "Resource": "*"}]}),
    );
    assert!(!g.all_actions);
    assert_eq!(g.count, 4);
    assert_eq!(g.access_levels, BTreeMap::from([("Permissions management", 3), ("Read", 1)]));
    assert_eq!(g.services_full, Vec::<String>::new());
    assert_eq!(g.constrainable_write, ["iam:PutGroupPolicy", "iam:PutRolePolicy", "iam:PutUserPolicy"]);
    assert_eq!(g.escalation, ["iam:PutGroupPolicy", "iam:PutRolePolicy", "iam:PutUserPolicy"]);
    assert_eq!(g.data_exfiltration, ["s3:GetObject"]);
    let p = &g.patterns[0];
    assert_eq!(
        (p.pattern.as_str(), p.not, p.wildcard, p.count, p.service_full, p.constrainable_write),
        ("iam:Put*Policy", false, true, 3, false, 3)
    );
    assert_eq!(p.services, ["iam"]);
    assert_eq!(p.sample, ["iam:PutGroupPolicy", "iam:PutRolePolicy", "iam:PutUserPolicy"]);
    let lit = &g.patterns[1];
    assert_eq!((lit.wildcard, lit.count, lit.constrainable_write), (false, 1, 0));
    assert_eq!(lit.sample, ["s3:GetObject"]);
    assert_eq!(lit.access_levels, BTreeMap::from([("Read", 1)]));
    assert_eq!(lit.services, ["s3"]);
    // The literal fast path agrees with the general one.
    let general = {
        let e = catalog().expand("s3:GetObject");
        (e.actions.len(), levels(&e.actions, catalog()), constrainable_write(&e.actions, catalog()).len())
    };
    assert_eq!((lit.count, lit.access_levels.clone(), lit.constrainable_write), general);
    let put = pattern_grant("S3:putobject", false, catalog()).expect("known");
    assert_eq!((put.constrainable_write, put.sample.clone()), (1, vec!["s3:PutObject".to_string()]));
}

#[test]
fn service_wildcard_is_full_service() {
    let g = grants_of(json!({"Statement": {"Effect": "Allow", "Action": "S3:*", "Resource": "arn:aws:s3:::b/*"}}));
    assert_eq!(g.services_full, ["s3"]);
    assert_eq!(g.services_full_count, 1);
    assert!(g.patterns[0].service_full);
    assert!(!g.any_resource);
}

#[test]
fn not_action_grants_the_complement() {
    let g = grants_of(
        json!({"Statement": {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"}}),
    );
    let c = catalog();
    let excluded = ["iam", "organizations", "account"].iter().filter_map(|s| c.service_actions(s)).map(|s| s.len());
    assert_eq!(g.count, c.len() - excluded.sum::<usize>());
    assert!(!g.all_actions);
    assert_eq!(g.services_full_count, c.info().services - 3);
    assert!(g.escalation.contains(&"lambda:CreateFunction".to_string()));
    assert!(!g.escalation.iter().any(|a| a.starts_with("iam:")));
    assert!(g.patterns.iter().all(|p| p.not && p.service_full));
}

#[test]
fn unconditional_deny_in_the_same_policy_is_subtracted() {
    let st = annotate(json!({"Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}},
        {"Effect": "Deny", "Action": "ec2:*", "Resource": "arn:aws:ec2:*:*:instance/*"}
    ]}));
    let g = st[0].grants.as_ref().expect("allow");
    assert_eq!(g.denied, 190);
    assert_eq!(g.count, catalog().len() - 190);
    assert!(!g.all_actions);
    assert!(!g.escalation.iter().any(|a| a.starts_with("iam:")));
    assert!(g.data_exfiltration.contains(&"s3:GetObject".to_string()), "conditional deny is not subtracted");
    assert!(st[1..].iter().all(|s| s.grants.is_none()), "only Allow statements are annotated");
}

#[test]
fn unknown_and_invalid_patterns_are_reported() {
    let g = grants_of(
        json!({"Statement": {"Effect": "Allow", "Action": ["s3:GetObjekt", "s4:*", "s3:Get:Object", "s3:GetObject"], "Resource": "*"}}),
    );
    let got: Vec<_> = g.unknown_patterns.iter().map(|u| (u.pattern.as_str(), u.reason)).collect();
    assert_eq!(
        got,
        [
            ("s3:GetObjekt", PatternStatus::UnknownAction),
            ("s4:*", PatternStatus::UnknownService),
            ("s3:Get:Object", PatternStatus::Invalid)
        ]
    );
    assert_eq!(g.count, 1);
    let json = serde_json::to_value(&g.unknown_patterns[0]).expect("json");
    assert_eq!(json, json!({"pattern": "s3:GetObjekt", "reason": "unknown_action"}));
}

#[test]
fn unknown_action_values_make_the_summary_indeterminate() {
    let mut st = annotate(json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}));
    st[0].actions.push(Value::unknown("var.actions"));
    annotate_statements(&mut st, catalog(), &mut PatternCache::with_budget(MAX_WILDCARD_EXPANSIONS), Detail::Patterns);
    let g = st[0].grants.as_ref().expect("allow");
    assert!(g.indeterminate);
    assert_eq!(g.count, 1);
    let mut st = annotate(json!({"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}));
    st[0].effect = Value::unknown("var.effect");
    annotate_statements(&mut st, catalog(), &mut PatternCache::with_budget(MAX_WILDCARD_EXPANSIONS), Detail::Patterns);
    assert!(st[0].grants.is_none(), "an unknown effect is not an Allow");
}

#[test]
fn conditional_and_not_resource() {
    let g = grants_of(
        json!({"Statement": {"Effect": "Allow", "Action": "s3:PutObject", "NotResource": "arn:aws:s3:::secret/*",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}}}),
    );
    assert!(g.any_resource && g.conditional);
    assert_eq!(g.constrainable_write, ["s3:PutObject"]);
}

#[test]
fn grants_serialize_compactly() {
    let g = grants_of(json!({"Statement": {"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*"}}));
    let v = serde_json::to_value(&g).expect("json");
    assert_eq!(
        v,
        json!({
            "count": 1,
            "access_levels": {"Write": 1},
            "services_count": 1,
            "constrainable_write": ["cloudwatch:PutMetricData"],
            "constrainable_write_count": 1,
            "patterns": [{
                "pattern": "cloudwatch:PutMetricData",
                "count": 1,
                "access_levels": {"Write": 1},
                "services": ["cloudwatch"],
                "services_count": 1,
                "constrainable_write": 1,
                "sample": ["cloudwatch:PutMetricData"]
            }],
            "any_resource": true
        }),
        "false flags, zeros and empty lists are left out"
    );
}

fn attachment(owner: &str, principal: &str, arn: Value) -> Attachment {
    Attachment {
        owner: owner.into(),
        owner_type: "aws_iam_role_policy_attachment".into(),
        principal_type: "role".into(),
        principal: Value::from(principal),
        policy_arn: arn,
        policy: None,
        loc: Location { address: owner.into(), ..loc() },
    }
}

#[test]
fn aws_managed_policies_are_looked_up_and_annotated() {
    let atts = vec![
        attachment("a1", "aws_iam_role.app", Value::from("arn:aws:iam::aws:policy/AdministratorAccess")),
        attachment("a2", "aws_iam_role.ops", Value::from("arn:aws-us-gov:iam::aws:policy/AdministratorAccess")),
        attachment(
            "a3",
            "aws_iam_role.app",
            Value::from("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"),
        ),
        attachment("a4", "aws_iam_role.app", Value::from("arn:aws:iam::aws:policy/NoSuchPolicy")),
        attachment("a5", "aws_iam_role.app", Value::from("arn:aws:iam::123456789012:policy/mine")),
        attachment("a6", "aws_iam_role.app", Value::unknown("aws_iam_policy.x.arn")),
    ];
    let m = aws_managed_policies(&atts, &mut [], catalog());
    let names: Vec<_> = m.iter().map(|p| (p.name.as_str(), p.known)).collect();
    assert_eq!(names, [("AdministratorAccess", true), ("NoSuchPolicy", false), ("AWSLambdaBasicExecutionRole", true)]);
    let admin = &m[0];
    assert_eq!(admin.arn, "arn:aws:iam::aws:policy/AdministratorAccess");
    assert_eq!(admin.principals, [Value::from("aws_iam_role.app"), Value::from("aws_iam_role.ops")]);
    assert_eq!(admin.attached_by, ["a1", "a2"]);
    assert_eq!(admin.version.as_deref(), Some("v1"));
    assert_eq!(admin.loc.address, "a1");
    assert!(admin.statements[0].grants.as_ref().is_some_and(|g| g.all_actions));
    assert!(m[1].statements.is_empty() && m[1].version.is_none());
    let lambda = &m[2];
    assert_eq!(lambda.path, "service-role/AWSLambdaBasicExecutionRole");
    let g = lambda.statements[0].grants.as_ref().expect("allow");
    assert!(g.access_levels.contains_key("Write"));
    assert!(!g.all_actions);
    assert!(g.patterns.is_empty(), "no per-pattern detail for AWS-managed documents");
}

#[test]
fn aws_managed_statements_are_computed_once_and_located_at_each_use() {
    let arn = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    let first = aws_managed_policies(&[attachment("first", "aws_iam_role.a", Value::from(arn))], &mut [], catalog());
    let second = aws_managed_policies(&[attachment("second", "aws_iam_role.b", Value::from(arn))], &mut [], catalog());
    let (first, second) = (&first[0], &second[0]);
    assert!(!first.statements.is_empty());
    // The same annotated statements, each at its own attachment.
    assert!(first.statements.iter().all(|s| s.loc.address == "first"));
    assert!(second.statements.iter().all(|s| s.loc.address == "second"));
    let relocated: Vec<Statement> =
        second.statements.iter().cloned().map(|s| Statement { loc: first.loc.clone(), ..s }).collect();
    assert_eq!(first.statements, relocated);
    // Computed once for this catalog and ARN; another catalog has its own entry.
    let cache = MANAGED_STATEMENTS.get().expect("filled").lock().expect("not poisoned");
    assert!(cache.contains_key(&(catalog().id(), arn.to_owned())));
    drop(cache);
    let other = catalog().clone();
    assert_eq!(other.id(), catalog().id(), "a clone has the same contents");
    let fresh = Catalog::decode_embedded().expect("embedded catalog");
    assert_ne!(fresh.id(), catalog().id(), "a catalog decoded again is another catalog");
}

#[test]
fn scan_annotates_raw_policy_files() {
    let files = BTreeMap::from([(
        PathBuf::from("policy.json"),
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*Policy*", "Resource": "*"}]}"#
            .to_string(),
    )]);
    let out = crate::scan_sources(files, &crate::ScanOptions::default()).expect("scan");
    let graph = out.merged_graph();
    let g = graph.policies[0].statements[0].grants.as_ref().expect("grants");
    assert_eq!(g.count, 35);
    assert_eq!(g.patterns[0].services, ["iam"]);
    assert!(g.escalation.contains(&"iam:CreatePolicyVersion".to_string()));
}

/// Annotation cost at corpus scale; run with `cargo test --release -p tollgate-core corpus_annotation_cost
/// -- --ignored --nocapture` (needs `../shared/corpus` beside the repository).
#[test]
#[ignore]
fn corpus_annotation_cost() {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus"));
    let out = crate::scan_paths(&[root], &crate::ScanOptions::default()).expect("scan");
    let mut graph = out.merged_graph();
    let statements: usize = graph.policies.iter().map(|p| p.statements.len()).sum();
    let c = catalog();
    let mut best = std::time::Duration::MAX;
    for _ in 0..5 {
        let t = std::time::Instant::now();
        graph.annotate_grants(c);
        best = best.min(t.elapsed());
    }
    let mut policies_only = std::time::Duration::MAX;
    for _ in 0..5 {
        let t = std::time::Instant::now();
        annotate_policies(&mut graph.policies, c);
        policies_only = policies_only.min(t.elapsed());
    }
    eprintln!("policies only: {policies_only:?}");
    let bytes = serde_json::to_string(&graph.policies).map(|s| s.len()).unwrap_or(0);
    let mut bare = graph.policies.clone();
    bare.iter_mut().flat_map(|p| p.statements.iter_mut()).for_each(|s| s.grants = None);
    let bare_bytes = serde_json::to_string(&bare).map(|s| s.len()).unwrap_or(0);
    eprintln!("policies JSON without grants {bare_bytes} bytes");
    let managed_bytes = serde_json::to_string(&graph.aws_managed_policies).map(|s| s.len()).unwrap_or(0);
    eprintln!("AWS-managed view JSON {managed_bytes} bytes");
    eprintln!(
        "{} units, {} policies, {statements} statements, {} attachments, {} AWS-managed: annotate {best:?}; policies JSON {bytes} bytes",
        out.units.len(),
        graph.policies.len(),
        graph.attachments.len(),
        graph.aws_managed_policies.len()
    );
}

#[test]
fn wildcard_expansions_are_bounded_per_unit() {
    // A new wildcard costs two expansions (its set, its pattern detail);
    // literals cost nothing. Budget 4: the first statement spends 2, the
    // second needs 4 more and gets no grants.
    let doc = json!({"Statement": [
        {"Effect": "Allow", "Action": ["s3:Get*", "s3:GetObject"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["iam:Put*", "ec2:Describe*"], "Resource": "*"}
    ]});
    let (_, mut st) = normalize::statements(&Value::from_json(&doc), |_| loc());
    let mut cache = PatternCache::with_budget(4);
    annotate_statements(&mut st, catalog(), &mut cache, Detail::Patterns);
    assert!(st[0].grants.as_ref().is_some_and(|g| g.count > 0));
    assert!(st[1].grants.is_none());
}

fn allow_grants(st: &[Statement], i: usize) -> &Grants {
    st[i].grants.as_ref().expect("an annotated Allow statement")
}

#[test]
fn deny_on_a_covering_resource_removes_the_action() {
    let st = annotate(json!({"Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::b/x*"},
        {"Effect": "Deny", "Action": "s3:Put*", "Resource": "arn:aws:s3:::b/*"}
    ]}));
    let g = allow_grants(&st, 0);
    assert_eq!(g.count, 1);
    assert_eq!((g.denied, g.denied_by.as_slice()), (1, &[DeniedBy { statement_index: 1, count: 1 }][..]));
    assert!(g.deny_limits.is_empty());
    assert_eq!(g.constrainable_write_count, 0);
    // The literal pattern shows that all of it is denied.
    let put = &g.patterns[1];
    assert_eq!((put.pattern.as_str(), put.count, put.denied, put.constrainable_write), ("s3:PutObject", 0, 1, 0));
    assert_eq!(g.patterns[0].denied, 0);
}

#[test]
fn deny_on_a_narrower_resource_is_a_limit_not_a_removal() {
    let st = annotate(json!({"Statement": [
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"},
        {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/x*"},
        {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::other/*"}
    ]}));
    let g = allow_grants(&st, 0);
    assert_eq!((g.count, g.denied), (1, 0));
    assert!(g.denied_by.is_empty());
    assert_eq!(g.deny_limits.len(), 1, "a Deny on another bucket does not touch the grant");
    let l = &g.deny_limits[0];
    assert_eq!((l.statement_index, l.count, l.actions.as_slice()), (1, 1, &["s3:PutObject".to_string()][..]));
    assert_eq!(l.resources, [Value::from("arn:aws:s3:::b/x*")]);
    assert!(l.conditions.is_empty());
}

#[test]
fn conditional_deny_is_recorded_with_its_condition() {
    let st = annotate(json!({"Statement": [
        {"Effect": "Allow", "Action": ["iam:PassRole", "s3:GetObject"], "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:*", "Resource": "*",
         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}
    ]}));
    let g = allow_grants(&st, 0);
    assert_eq!((g.count, g.denied), (2, 0));
    assert_eq!(g.escalation, ["iam:PassRole"]);
    let l = &g.deny_limits[0];
    assert_eq!((l.statement_index, l.count), (1, 1));
    assert_eq!(l.actions, ["iam:PassRole"]);
    assert!(l.resources.is_empty(), "it covers every resource of the Allow");
    assert_eq!(l.conditions[0].key, "aws:MultiFactorAuthPresent");
    let v = serde_json::to_value(l).expect("json");
    assert_eq!(
        v,
        json!({"statement_index": 1, "count": 1, "actions": ["iam:PassRole"],
               "conditions": [{"operator": "Bool", "key": "aws:MultiFactorAuthPresent", "values": ["false"]}]})
    );
}

#[test]
fn whole_services_are_grouped_in_limits() {
    let st = annotate(json!({"Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "NotAction": ["s3:*"], "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}}
    ]}));
    let g = allow_grants(&st, 0);
    assert!(g.all_actions);
    let l = &g.deny_limits[0];
    assert_eq!(l.count, catalog().len() - catalog().service_len("s3").expect("s3"));
    assert_eq!(l.actions.len(), LIST_CAP);
    assert!(l.actions.iter().all(|a| a.ends_with(":*")), "{:?}", l.actions);
}

#[test]
fn not_resource_and_not_action_denies() {
    // Deny everything outside bucket b: an Allow on bucket c is fully denied,
    // an Allow on bucket b untouched.
    let st = annotate(json!({"Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::c/*"},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
        {"Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]}
    ]}));
    assert_eq!((allow_grants(&st, 0).count, allow_grants(&st, 0).denied), (0, 1));
    assert!(allow_grants(&st, 1).deny_limits.is_empty() && allow_grants(&st, 1).denied == 0);
    // NotResource vs NotResource: the Deny spares only what the Allow excludes anyway.
    let st = annotate(json!({"Statement": [
        {"Effect": "Allow", "Action": "sqs:SendMessage", "NotResource": "arn:aws:sqs:*:*:keep-*"},
        {"Effect": "Deny", "NotAction": "s3:*", "NotResource": "arn:aws:sqs:*:*:keep-1"}
    ]}));
    assert_eq!(allow_grants(&st, 0).count, 0);
    // The other way round only limits.
    let st = annotate(json!({"Statement": [
        {"Effect": "Allow", "Action": "sqs:SendMessage", "NotResource": "arn:aws:sqs:*:*:keep-1"},
        {"Effect": "Deny", "Action": "sqs:*", "NotResource": "arn:aws:sqs:*:*:keep-*"}
    ]}));
    let g = allow_grants(&st, 0);
    assert_eq!((g.count, g.deny_limits.len()), (1, 1));
    assert_eq!(g.deny_limits[0].not_resources, [Value::from("arn:aws:sqs:*:*:keep-*")]);
}

#[test]
fn arns_are_case_sensitive_and_actions_are_not() {
    let st = annotate(json!({"Statement": [
        {"Effect": "Allow", "Action": "S3:PUTOBJECT", "Resource": "arn:aws:s3:::B/*"},
        {"Effect": "Deny", "Action": "s3:putobject", "Resource": "arn:aws:s3:::b/*"},
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}
    ]}));
    assert_eq!(allow_grants(&st, 0).count, 1, "bucket B is not bucket b");
    assert_eq!(allow_grants(&st, 2).count, 0);
}

#[test]
fn unknowns_and_principals_never_remove() {
    let mut st = annotate(json!({"Statement": [
        {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:Encrypt"], "Resource": "*"},
        {"Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*", "Principal": {"AWS": "arn:aws:iam::1:root"}},
        {"Effect": "Deny", "NotAction": "kms:Encrypt", "Resource": "*"},
        {"Effect": "Deny", "Action": ["kms:Encrypt"], "Resource": "*"}
    ]}));
    // An unknown NotAction entry makes the Deny an upper bound; an unknown
    // Action entry leaves the known ones denied.
    st[2].not_actions.push(Value::unknown("var.keep"));
    st[3].actions.push(Value::unknown("var.more"));
    annotate_statements(&mut st, catalog(), &mut PatternCache::with_budget(MAX_WILDCARD_EXPANSIONS), Detail::Patterns);
    let g = allow_grants(&st, 0);
    assert_eq!((g.count, g.denied, g.denied_by.as_slice()), (1, 1, &[DeniedBy { statement_index: 3, count: 1 }][..]));
    let by: Vec<_> = g.deny_limits.iter().map(|l| (l.statement_index, l.principal_scoped, l.indeterminate)).collect();
    assert_eq!(by, [(1, true, false), (2, false, true)]);
    // An unknown resource in the Allow is covered only by a Deny on `*`.
    let mut st = annotate(json!({"Statement": [
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "x"},
        {"Effect": "Deny", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:*"}
    ]}));
    st[0].resources = vec![Value::unknown("aws_sqs_queue.q.arn")];
    annotate_statements(&mut st, catalog(), &mut PatternCache::with_budget(MAX_WILDCARD_EXPANSIONS), Detail::Patterns);
    let g = allow_grants(&st, 0);
    assert_eq!((g.count, g.deny_limits.len()), (1, 1));
}

#[test]
fn glob_cover_examples() {
    assert!(glob_covers("arn:aws:s3:::b/*", "arn:aws:s3:::b/x*"));
    assert!(!glob_covers("arn:aws:s3:::b/x*", "arn:aws:s3:::b/*"));
    assert!(glob_covers("*", "anything?*"));
    assert!(glob_covers("a?c", "a?c"));
    assert!(!glob_covers("a?c", "a*c"));
    assert!(glob_covers("a*c", "a?c"));
    assert!(!glob_covers("abc", "ab?"));
    assert!(globs_disjoint("arn:aws:s3:::a/*", "arn:aws:s3:::b/*"));
    assert!(!globs_disjoint("arn:aws:s3:::a*", "arn:aws:s3:::ab/*"));
    assert!(globs_disjoint("*.json", "*.yaml"));
}

/// A reference glob matcher (backtracking), for the properties below.
fn glob_match(p: &[u8], t: &[u8]) -> bool {
    match p.split_first() {
        None => t.is_empty(),
        Some((b'*', rest)) => (0..=t.len()).any(|k| glob_match(rest, &t[k..])),
        Some((b'?', rest)) => !t.is_empty() && glob_match(rest, &t[1..]),
        Some((c, rest)) => t.first() == Some(c) && glob_match(rest, &t[1..]),
    }
}

const SERVICES: &[&str] =
    &["s3:*", "s3:Get*", "s3:PutObject", "iam:*", "iam:Pass*", "iam:*Policy*", "ec2:Describe*", "*"];

proptest::proptest! {
    /// The summary of a small set read from its members equals the one
    /// computed with whole-set operations.
    #[test]
    fn sparse_summaries_equal_dense_ones(ids in proptest::collection::vec(0usize..22_321, 0..300), risks: bool) {
        let c = catalog();
        let all: Vec<_> = c.all().iter().collect();
        let mut set = c.empty_set();
        for i in ids {
            set.add(all[i]);
        }
        let n = set.len();
        proptest::prop_assert_eq!(Summary::sparse(&set, c, risks, n), Summary::dense(&set, c, risks, n));
    }

    #[test]
    fn covered_globs_match_a_superset(outer in "[ab*?]{0,5}", inner in "[ab*?]{0,5}", text in "[ab]{0,6}") {
        if glob_covers(&outer, &inner) && glob_match(inner.as_bytes(), text.as_bytes()) {
            proptest::prop_assert!(glob_match(outer.as_bytes(), text.as_bytes()));
        }
        proptest::prop_assert!(glob_covers(&inner, &inner));
    }

    #[test]
    fn disjoint_globs_share_no_match(a in "[ab*?]{0,5}", b in "[ab*?]{0,5}", text in "[ab]{0,6}") {
        if globs_disjoint(&a, &b) {
            proptest::prop_assert!(!(glob_match(a.as_bytes(), text.as_bytes()) && glob_match(b.as_bytes(), text.as_bytes())));
        }
    }

    /// An unconditional Deny whose resource covers the Allow's removes
    /// exactly the intersection of the two action sets; one on a
    /// resource that does not cover it removes nothing.
    #[test]
    fn subtraction_is_the_set_difference(
        allow in proptest::sample::select(SERVICES),
        deny in proptest::sample::select(SERVICES),
        covering in proptest::bool::ANY,
    ) {
        let deny_resource = if covering { "arn:aws:s3:::b/*" } else { "arn:aws:s3:::b/x/*" };
        let st = annotate(json!({"Statement": [
            {"Effect": "Allow", "Action": allow, "Resource": "arn:aws:s3:::b/x*"},
            {"Effect": "Deny", "Action": deny, "Resource": deny_resource}
        ]}));
        let (a, d) = (catalog().expand(allow).actions, catalog().expand(deny).actions);
        let mut rest = a.clone();
        rest.subtract(&d);
        let g = allow_grants(&st, 0);
        let overlap = a.intersection_len(&d);
        if covering {
            proptest::prop_assert_eq!(g.count, rest.len());
            proptest::prop_assert_eq!(g.denied, overlap);
            proptest::prop_assert!(g.deny_limits.is_empty());
        } else {
            proptest::prop_assert_eq!(g.count, a.len());
            proptest::prop_assert_eq!(g.deny_limits.first().map_or(0, |l| l.count), overlap);
        }
    }
}

#[test]
fn resource_comparisons_are_bounded_per_unit() {
    let doc = json!({"Statement": [
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/x*"},
        {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}
    ]});
    let (_, mut st) = normalize::statements(&Value::from_json(&doc), |_| loc());
    let mut cache = PatternCache::with_budget(MAX_WILDCARD_EXPANSIONS);
    cache.globs = Globs(10);
    annotate_statements(&mut st, catalog(), &mut cache, Detail::Patterns);
    // Over budget: the Deny is not seen to cover, and is kept as a possible limit.
    let g = allow_grants(&st, 0);
    assert_eq!((g.count, g.denied, g.deny_limits.len()), (1, 0, 1));
    // A Deny on `*` needs no comparison.
    let doc = json!({"Statement": [
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/x*"},
        {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "*"}
    ]});
    let (_, mut st) = normalize::statements(&Value::from_json(&doc), |_| loc());
    annotate_statements(&mut st, catalog(), &mut cache, Detail::Patterns);
    assert_eq!(allow_grants(&st, 0).count, 0);
}

/// Regression: many long resource patterns on many Allow and Deny
/// statements of one document stay within the comparison budget.
#[test]
fn hostile_resource_lists_do_not_stall_annotation() {
    let long = |tag: &str, i: usize| format!("arn:aws:s3:::{}{tag}{i}*", "a*".repeat(200));
    let resources = |tag: &str| (0..40).map(|i| json!(long(tag, i))).collect::<Vec<_>>();
    let mut statements: Vec<serde_json::Value> =
        (0..150).map(|_| json!({"Effect": "Allow", "Action": "s3:PutObject", "Resource": resources("x")})).collect();
    statements.extend(
        (0..MAX_DENY_STATEMENTS + 10).map(|_| json!({"Effect": "Deny", "Action": "s3:*", "Resource": resources("y")})),
    );
    let started = std::time::Instant::now();
    let st = annotate(json!({"Statement": statements}));
    assert!(st[0].grants.is_some() && st[149].grants.is_some());
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "took {:?}", started.elapsed());
}

#[test]
fn patterns_name_the_risk_lists_of_what_they_grant() {
    let st = annotate(json!({"Statement": [
        {"Effect": "Allow", "Action": ["iam:PassRole", "s3:Get*", "ec2:Describe*", "iam:Create*"], "Resource": "*"},
        {"Effect": "Deny", "Action": ["s3:GetObject*", "s3:GetBucketObjectLockConfiguration"], "Resource": "*"},
    ]}));
    let g = allow_grants(&st, 0);
    let risks: Vec<(&str, &[&str])> = g.patterns.iter().map(|p| (p.pattern.as_str(), p.risks.as_slice())).collect();
    assert_eq!(
        risks,
        [
            ("iam:PassRole", &["escalation"][..]),
            // The Deny takes s3:GetObject: no data-exfiltration action is left.
            ("s3:Get*", &[][..]),
            ("ec2:Describe*", &[][..]),
            ("iam:Create*", &["escalation", "credentials_exposure"][..]),
        ]
    );
    assert!(g.data_exfiltration.is_empty(), "{:?}", g.data_exfiltration);
    let without_deny = grants_of(json!({"Statement": {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}}));
    assert_eq!(without_deny.patterns[0].risks, ["data_exfiltration"]);
    assert!(without_deny.data_exfiltration.contains(&"s3:GetObject".to_string()));
}

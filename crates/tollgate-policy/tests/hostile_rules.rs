//! Hostile custom rules (the "hostile pull request" issue): a rule that
//! recurses without end, builds a huge value, fails to load, or points a
//! finding at a file outside the scan is an error of that rule, located
//! where it can be, and every other rule's findings are still reported.
//! The rule files are generated into a temporary directory.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tollgate_policy::{Engine, Error, Report};

const GRAPH: &str = r#"{
  "resources": [
    {"address": "aws_s3_bucket.a", "type": "aws_s3_bucket", "loc": {"address": "aws_s3_bucket.a", "file": "main.tf", "line": 1, "end_line": 3}}
  ],
  "policies": [], "attachments": [], "network_rules": [], "buckets": []
}"#;

/// The metadata block of a rule `id` (8 lines), then `package custom.<id>`.
fn rule(id: &str, body: &str) -> String {
    format!(
        "# METADATA\n# title: T\n# description: d\n# custom:\n#   id: {id}\n#   severity: high\n#   hazard_zone: C\n#   remediation: r\npackage custom.{id}\n\nimport rego.v1\n\n{body}\n"
    )
}

/// A rule that reports every resource: its findings must survive.
const GOOD: &str = "deny contains {\"msg\": \"ok\", \"loc\": r.loc} if some r in input.resources";

/// A directory of generated rule files, removed on drop.
struct Rules {
    dir: PathBuf,
}

impl Rules {
    fn new(name: &str, files: &[(&str, String)]) -> Rules {
        let dir = std::env::temp_dir().join(format!("tollgate-hostile-rules-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("GOOD001.rego"), rule("GOOD001", GOOD)).unwrap();
        for (file, text) in files {
            std::fs::write(dir.join(file), text).unwrap();
        }
        Rules { dir }
    }

    fn engine(&self) -> Engine {
        Engine::builder().without_bundled().policy_dir(&self.dir).keep_going().build().unwrap()
    }

    fn path(&self, file: &str) -> String {
        self.dir.join(file).to_string_lossy().into_owned()
    }
}

impl Drop for Rules {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn good_findings(report: &Report) -> usize {
    report.findings.iter().filter(|f| f.rule_id == "GOOD001").count()
}

#[test]
fn a_recursive_function_is_an_error_of_its_rule_at_load() {
    let body = "f(x) := y if {\n\ty := f(x + 1)\n}\n\ndeny contains {\"msg\": \"x\", \"loc\": r.loc} if {\n\tsome r in input.resources\n\tf(1)\n}";
    let rules = Rules::new("recursion", &[("REC001.rego", rule("REC001", body))]);
    let engine = rules.engine();
    let errors = engine.load_errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = &errors[0];
    assert_eq!((&*e.file, e.line, e.code), (rules.path("REC001.rego").as_str(), Some(13), "rule"));
    assert!(e.message.starts_with("rule REC001 not loaded: "), "{}", e.message);
    assert!(e.message.contains("data.custom.REC001.f"), "{}", e.message);
    let t = Instant::now();
    let report = engine.evaluate_graph_json(GRAPH, "main").unwrap();
    assert!(t.elapsed() < Duration::from_secs(10));
    assert_eq!(good_findings(&report), 1);
    assert!(report.errors.iter().any(|d| d.message.starts_with("rule REC001 ")), "{:?}", report.errors);
    // Without keep_going, loading fails with that error.
    let strict = Engine::builder().without_bundled().policy_dir(&rules.dir).build();
    assert!(matches!(strict, Err(Error::RecursiveFunction { line: 13, .. })), "{strict:?}");
}

#[test]
fn builtins_that_allocate_by_argument_are_bounded() {
    let cases = [
        ("RNG001", "count(numbers.range(1, 200000000)) > 0", "numbers.range"),
        ("STP001", "count(numbers.range_step(1, 2000000000, 2)) > 0", "numbers.range_step"),
        (
            "CAT001",
            "count(concat(concat(\"\", [\"x\" | some _ in numbers.range(1, 100000)]), [\"a\" | some _ in numbers.range(1, 100000)])) > 0",
            "concat",
        ),
        ("SPF001", "count(sprintf(\"%0999999999d\", [1])) > 0", "sprintf"),
        (
            "REP001",
            "count(replace(concat(\"\", [\"xx\" | some _ in numbers.range(1, 100000)]), \"x\", concat(\"\", [\"y\" | some _ in numbers.range(1, 1000)]))) > 0",
            "replace",
        ),
    ];
    let files: Vec<(String, String)> = cases
        .iter()
        .map(|(id, cond, _)| {
            let body = format!(
                "deny contains {{\"msg\": \"big\", \"loc\": r.loc}} if {{\n\tsome r in input.resources\n\t{cond}\n}}"
            );
            (format!("{id}.rego"), rule(id, &body))
        })
        .collect();
    let refs: Vec<(&str, String)> = files.iter().map(|(f, t)| (f.as_str(), t.clone())).collect();
    let rules = Rules::new("builtins", &refs);
    let engine = rules.engine();
    assert!(engine.load_errors().is_empty(), "{:?}", engine.load_errors());
    let t = Instant::now();
    let report = engine.evaluate_graph_json(GRAPH, "main").unwrap();
    assert!(t.elapsed() < Duration::from_secs(30), "{:?}", t.elapsed());
    assert_eq!(good_findings(&report), 1, "{:?}", report.findings);
    assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
    for (id, _, builtin) in cases {
        let e = report.errors.iter().find(|e| e.message.starts_with(&format!("rule {id}: "))).unwrap_or_else(|| {
            panic!("{id}: {:?}", report.errors);
        });
        assert!(e.message.contains(&format!("{builtin} would build")), "{id}: {}", e.message);
    }
}

#[test]
fn ordinary_uses_of_guarded_builtins_still_work() {
    let body = "deny contains {\"msg\": m, \"loc\": r.loc} if {\n\tsome r in input.resources\n\tm := sprintf(\"%s %d %v\", [concat(\"-\", [\"a\", \"b\"]), count(numbers.range(1, 10)), replace(\"xy\", \"x\", \"z\")])\n}";
    let rules = Rules::new("ordinary", &[("USE001.rego", rule("USE001", body))]);
    let report = rules.engine().evaluate_graph_json(GRAPH, "main").unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let f = report.findings.iter().find(|f| f.rule_id == "USE001").unwrap();
    assert_eq!(f.message, "a-b 10 zy");
}

#[test]
fn every_rule_that_fails_to_load_is_reported_and_the_others_run() {
    let rules = Rules::new(
        "load",
        &[
            (
                "BAD001.rego",
                rule("BAD001", "deny contains 1 if {")
                    .replace("#   severity: high", "#   severity: high\n#   owner: me"),
            ),
            ("BAD002.rego", rule("BAD002", "deny contains x if {\n\tx := \n}")),
            ("BAD003.rego", rule("BAD003", "allow := true")),
            ("ZZZ004.rego", rule("GOOD001", GOOD).replace("package custom.GOOD001", "package custom.dup")),
        ],
    );
    let engine = rules.engine();
    let got: Vec<(String, Option<u32>)> = engine.load_errors().iter().map(|d| (d.file.to_string(), d.line)).collect();
    assert_eq!(
        got,
        [
            (rules.path("BAD001.rego"), Some(7)),
            (rules.path("BAD002.rego"), Some(14)),
            (rules.path("BAD003.rego"), None),
            (rules.path("ZZZ004.rego"), None),
        ],
        "{:?}",
        engine.load_errors()
    );
    assert!(engine.load_errors()[1].message.contains("BAD002"), "{}", engine.load_errors()[1].message);
    let report = engine.evaluate_graph_json(GRAPH, "main").unwrap();
    assert_eq!(good_findings(&report), 1);
    assert_eq!(report.errors.len(), 4, "{:?}", report.errors);
}

#[test]
fn a_finding_outside_the_scan_is_an_error_of_its_rule() {
    let body =
        "deny contains {\"msg\": \"leak\", \"loc\": {\"address\": \"x\", \"file\": \"/etc/passwd\", \"line\": 1}}";
    let rules = Rules::new("outside", &[("OUT001.rego", rule("OUT001", body))]);
    let report = rules.engine().evaluate_graph_json(GRAPH, "main").unwrap();
    assert_eq!(good_findings(&report), 1);
    assert!(report.findings.iter().all(|f| f.file == "main.tf"), "{:?}", report.findings);
    let e = report.errors.iter().find(|e| e.message.starts_with("rule OUT001: ")).unwrap();
    assert_eq!(&*e.file, rules.path("OUT001.rego"));
    assert!(e.message.contains("/etc/passwd"), "{}", e.message);
}

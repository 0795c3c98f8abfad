//! Rule behaviour on hand-written graphs (`cases/graph_cases.json`): each
//! case has a note, a graph in its JSON form, and the exact findings
//! `[rule_id, line, message, severity?]` the bundled rules must produce.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] fns

use tollgate_policy::Engine;

#[test]
fn graph_cases() {
    let engine = Engine::builder().build().unwrap();
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cases/graph_cases.json")).unwrap();
    let cases: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let mut failures = Vec::new();
    for case in &cases {
        let note = case["note"].as_str().unwrap();
        let report = engine.evaluate_graph_json(&case["graph"].to_string(), "case").unwrap();
        assert!(report.errors.is_empty(), "{note}: {:?}", report.errors);
        let mut want: Vec<(String, u32, String, Option<String>)> = case["want"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| {
                (
                    w[0].as_str().unwrap().to_string(),
                    w[1].as_u64().unwrap() as u32,
                    w[2].as_str().unwrap().to_string(),
                    w.get(3).and_then(|s| s.as_str()).map(str::to_string),
                )
            })
            .collect();
        // Severity is compared only where the case states it.
        let mut got: Vec<(String, u32, String, Option<String>)> = report
            .findings
            .iter()
            .map(|f| {
                let stated =
                    want.iter().any(|w| (&w.0, w.1, &w.2) == (&f.rule_id, f.line, &f.message) && w.3.is_some());
                (f.rule_id.clone(), f.line, f.message.clone(), stated.then(|| f.severity.to_string()))
            })
            .collect();
        got.sort();
        want.sort();
        if got != want {
            failures.push(format!("{note}\n  got:  {got:?}\n  want: {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

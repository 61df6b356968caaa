//! The matcher against independently computed expectations.
//!
//! `tests/telemetry/expected.json` holds, for every telemetry fixture and every catalog
//! rule, the rows the rule's query returns, computed by a separate evaluator
//! (`tests/telemetry/expected.py`) from the KQL semantics notes. rulecat's output must
//! equal it exactly: the same groups, sets, counts and times.

use std::collections::BTreeMap;

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;

/// Times compare as instants (`...00Z` == `...00.0000000Z`).
fn normalize(v: &Value) -> Value {
    match v {
        Value::String(s) => match rulecat::kql::time::parse(s) {
            Some(t) if s.len() >= 20 && s.as_bytes()[10] == b'T' => {
                Value::String(rulecat::kql::time::format(t))
            }
            _ => v.clone(),
        },
        Value::Array(a) => Value::Array(a.iter().map(normalize).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (k.clone(), normalize(v))).collect())
        }
        other => other.clone(),
    }
}

#[test]
fn matcher_output_equals_independent_expectations() {
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string("tests/telemetry/expected.json").unwrap())
            .unwrap();
    let now = expected["now"].as_str().unwrap();
    // Rule file stem -> id.
    let mut ids = BTreeMap::new();
    for e in std::fs::read_dir("catalog/RemoteManagementMonitoring").unwrap() {
        let p = e.unwrap().path();
        if !rulecat::loading::discover::is_rule_file(&p) {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        let id = text
            .lines()
            .find_map(|l| l.strip_prefix("id: "))
            .unwrap()
            .trim()
            .to_string();
        ids.insert(p.file_stem().unwrap().to_string_lossy().into_owned(), id);
    }
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle.json");
    let out = cargo_bin_cmd!("rulecat")
        .args(["compile", "catalog", "-o", bundle.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut checked = 0;
    for (fixture, rules) in expected["fixtures"].as_object().unwrap() {
        let out = cargo_bin_cmd!("rulecat")
            .args([
                "match",
                "--bundle",
                bundle.to_str().unwrap(),
                "--now",
                now,
                "--format",
                "jsonl",
            ])
            .arg(format!("tests/telemetry/{fixture}"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{fixture}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut got: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for line in String::from_utf8(out.stdout).unwrap().lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            got.entry(v["rule"].as_str().unwrap().to_string())
                .or_default()
                .push(normalize(&v["row"]));
        }
        for (stem, rows) in rules.as_object().unwrap() {
            let id = &ids[stem];
            let mut want: Vec<Value> = rows.as_array().unwrap().iter().map(normalize).collect();
            let mut have = got.remove(id).unwrap_or_default();
            let key = |v: &Value| v.to_string();
            want.sort_by_key(key);
            have.sort_by_key(key);
            assert_eq!(have, want, "fixture {fixture}, rule {stem}");
            checked += 1;
        }
        assert!(
            got.is_empty(),
            "{fixture}: unexpected results for {:?}",
            got.keys()
        );
    }
    assert_eq!(checked, expected["fixtures"].as_object().unwrap().len() * 4);
}

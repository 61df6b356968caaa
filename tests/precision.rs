//! Precision and recall of the lints on the hand-built corpus in `tests/precision/`.
//!
//! Every lint the manifest names must be a registered lint (a planted defect of a lint that
//! does not exist, or is not registered, fails the test), every planted defect in
//! `expected.toml` must be found on its file and line, and no diagnostic of a lint may
//! appear anywhere else (a false positive). The per-lint table is printed, so
//! `cargo test --test precision -- --nocapture` shows the figures.

use std::collections::{BTreeMap, BTreeSet};

use assert_cmd::cargo::cargo_bin_cmd;
use serde::Deserialize;

#[derive(Deserialize)]
struct Manifest {
    clean: Vec<String>,
    defect: Vec<Defect>,
}

#[derive(Deserialize)]
struct Defect {
    file: String,
    lint: String,
    line: u64,
}

const ROOT: &str = "tests/precision/catalog/";

#[test]
fn planted_defects_are_found_without_false_positives() {
    let manifest: Manifest =
        toml::from_str(&std::fs::read_to_string("tests/precision/expected.toml").unwrap()).unwrap();
    let out = cargo_bin_cmd!("rulecat")
        .args(["lint", "tests/precision/catalog", "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["summary"]["files"], 116);

    let implemented: BTreeSet<String> = rulecat::lint::registry()
        .iter()
        .map(|c| c.name.to_string())
        .collect();
    // (file, lint) -> lines found
    let mut found: BTreeMap<(String, String), BTreeSet<u64>> = BTreeMap::new();
    for d in report["diagnostics"].as_array().unwrap() {
        let file = d["file"]
            .as_str()
            .unwrap()
            .trim_start_matches(ROOT)
            .to_string();
        let name = d["name"].as_str().unwrap().to_string();
        found
            .entry((file, name))
            .or_default()
            .insert(d["line"].as_u64().unwrap());
    }

    #[derive(Default)]
    struct Score {
        planted: usize,
        found: usize,
        false_pos: usize,
    }
    let mut scores: BTreeMap<String, Score> = BTreeMap::new();
    let mut problems = Vec::new();
    for d in &manifest.defect {
        if !implemented.contains(&d.lint) {
            let known = rulecat::codes::all().iter().any(|c| c.name == d.lint);
            problems.push(format!(
                "{}: `{}` at {}:{}",
                if known {
                    "a code the manifest plants is not a registered lint"
                } else {
                    "the manifest names a lint that does not exist"
                },
                d.lint,
                d.file,
                d.line
            ));
        }
    }
    let mut expected: BTreeMap<(String, String), BTreeSet<u64>> = BTreeMap::new();
    for d in &manifest.defect {
        expected
            .entry((d.file.clone(), d.lint.clone()))
            .or_default()
            .insert(d.line);
    }
    for ((file, lint), lines) in &expected {
        let s = scores.entry(lint.clone()).or_default();
        s.planted += lines.len();
        let got = found.get(&(file.clone(), lint.clone()));
        for line in lines {
            if got.is_some_and(|g| g.contains(line)) {
                s.found += 1;
            } else {
                problems.push(format!("missed: {lint} at {file}:{line}"));
            }
        }
    }
    for ((file, lint), lines) in &found {
        let exp = expected.get(&(file.clone(), lint.clone()));
        for line in lines {
            if !exp.is_some_and(|e| e.contains(line)) {
                scores.entry(lint.clone()).or_default().false_pos += 1;
                let on = if manifest.clean.contains(file) {
                    "clean rule"
                } else {
                    "rule"
                };
                problems.push(format!("false positive: {lint} at {file}:{line} ({on})"));
            }
        }
    }
    println!(
        "{:<24} {:>8} {:>6} {:>6}",
        "lint", "planted", "found", "false+"
    );
    for (lint, s) in &scores {
        println!(
            "{lint:<24} {:>8} {:>6} {:>6}",
            s.planted, s.found, s.false_pos
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

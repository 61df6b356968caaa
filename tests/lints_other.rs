//! Fixtures of the KQL lints (K codes), the suppression checks (A codes) and id-changed
//! (C0004): every `fail_*` fixture is snapshotted and must raise its lint; every `pass_*`
//! fixture must raise none of it.

use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;

#[macro_use]
mod common;

fn run(args: &[&str]) -> String {
    let out = cargo_bin_cmd!("rulecat")
        .args(args)
        .output()
        .expect("rulecat runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn names(json: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_string())
        .collect()
}

fn fixtures(lint: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(Path::new("tests/fixtures/lints").join(lint))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    v.sort();
    v
}

fn check_lint(lint: &str, extra: &[&str]) {
    let files = fixtures(lint);
    assert!(files.iter().any(|f| {
        f.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("fail_")
    }));
    assert!(files.iter().any(|f| {
        f.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("pass_")
    }));
    for f in files {
        let p = f.to_str().unwrap();
        let stem = f.file_stem().unwrap().to_string_lossy().into_owned();
        let mut args = vec!["lint", p, "--format", "json"];
        args.extend_from_slice(extra);
        let found = names(&run(&args));
        if stem.starts_with("fail_") {
            assert!(
                found.iter().any(|n| n == lint),
                "{p}: expected {lint}, got {found:?}"
            );
            let mut args = vec!["lint", p, "--color", "never"];
            args.extend_from_slice(extra);
            snap!(
                format!("lint_{}_{stem}", lint.replace('-', "_")),
                run(&args)
            );
        } else {
            assert!(
                !found.iter().any(|n| n == lint),
                "{p}: unexpected {lint}: {found:?}"
            );
        }
    }
}

#[test]
fn kql_syntax() {
    check_lint("kql-syntax", &[]);
}

#[test]
fn unknown_table() {
    check_lint("unknown-table", &[]);
}

#[test]
fn undeclared_custom_table() {
    // The workspace fixture's rulecat.toml declares Okta_CL, not Duo_CL.
    check_lint(
        "undeclared-custom-table",
        &["--config", "tests/fixtures/workspace/rulecat.toml"],
    );
}

#[test]
fn resource_graph_table() {
    check_lint("resource-graph-table", &[]);
}

#[test]
fn solution_parser() {
    // The workspace fixture declares its own `Cloudflare` function, which takes precedence.
    check_lint(
        "solution-parser",
        &["--config", "tests/fixtures/workspace/rulecat.toml"],
    );
}

#[test]
fn unknown_column() {
    check_lint("unknown-column", &[]);
}

#[test]
fn undefined_name() {
    check_lint("undefined-name", &[]);
}

#[test]
fn unused_let() {
    check_lint("unused-let", &[]);
}

#[test]
fn engine_unsupported() {
    check_lint("engine-unsupported", &[]);
}

#[test]
fn solution_parser_call_is_reported_once() {
    // K0011 leaves a solution parser call to K0009, which names the solution to install.
    let found = names(&run(&[
        "lint",
        "tests/fixtures/lints/engine-unsupported/pass_solution_parser_reported_once.yaml",
        "--format",
        "json",
    ]));
    assert!(found.iter().any(|n| n == "solution-parser"), "{found:?}");
    assert!(
        !found.iter().any(|n| n == "engine-unsupported"),
        "{found:?}"
    );
}

#[test]
fn operator_type() {
    check_lint("operator-type", &[]);
}

#[test]
fn non_term_has() {
    check_lint("non-term-has", &[]);
}

#[test]
fn invalid_suppression() {
    check_lint("invalid-suppression", &[]);
}

#[test]
fn unused_suppression() {
    check_lint("unused-suppression", &[]);
}

#[test]
fn id_changed() {
    let baseline = "tests/fixtures/lints/id-changed/baseline.json";
    let fail = run(&[
        "lint",
        "tests/fixtures/lints/id-changed/fail",
        "--baseline",
        baseline,
        "--format",
        "json",
    ]);
    assert!(names(&fail).contains(&"id-changed".to_string()));
    let pass = run(&[
        "lint",
        "tests/fixtures/lints/id-changed/pass",
        "--baseline",
        baseline,
        "--format",
        "json",
    ]);
    assert!(!names(&pass).contains(&"id-changed".to_string()));
    snap!(
        "lint_id_changed_fail",
        run(&[
            "lint",
            "tests/fixtures/lints/id-changed/fail",
            "--baseline",
            baseline,
            "--color",
            "never"
        ])
    );
}

/// The example: a YAML rule whose query misspells `Timestmap` points at that word
/// in the file with `did you mean Timestamp`.
#[test]
fn timestmap_points_at_the_word() {
    let out = run(&[
        "lint",
        "tests/fixtures/lints/unknown-column/fail_timestmap.yaml",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let d = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "unknown-column")
        .unwrap();
    let text =
        std::fs::read_to_string("tests/fixtures/lints/unknown-column/fail_timestmap.yaml").unwrap();
    let line = text
        .lines()
        .nth(d["line"].as_u64().unwrap() as usize - 1)
        .unwrap();
    let col = d["column"].as_u64().unwrap() as usize - 1;
    assert_eq!(&line[col..col + "Timestmap".len()], "Timestmap");
    assert_eq!(d["help"], "did you mean `Timestamp`?");
}

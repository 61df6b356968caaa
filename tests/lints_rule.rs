//! Rule, catalog and style lints (R0002-R0006, C0001-C0003, F0001-F0004) on their
//! fixtures in `tests/fixtures/lints/<lint-name>/`: every `fail_*` fixture (a file, or a
//! folder for catalog-wide lints) is linted by the real binary and its human report is
//! snapshotted into `snapshots/lint_<name>_<fixture>.snap`; every `pass_*` fixture must
//! have no diagnostic of that lint.

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin_cmd;

#[macro_use]
mod common;

fn rulecat() -> Command {
    let mut c = cargo_bin_cmd!("rulecat");
    c.env_remove("NO_COLOR");
    c
}

/// The fixtures of one lint whose name starts with `prefix`, sorted.
fn fixtures(lint: &str, prefix: &str) -> Vec<String> {
    let dir = format!("tests/fixtures/lints/{lint}");
    let mut v: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "{dir} has no {prefix}* fixture");
    v
}

/// Names of the lints reported on `path`, one per diagnostic.
fn reported(path: &str) -> Vec<String> {
    let out = rulecat()
        .args(["lint", path, "--format", "json"])
        .output()
        .expect("rulecat runs");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{path}: bad JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_string())
        .collect()
}

fn check_lint(lint: &str) {
    for name in fixtures(lint, "fail_") {
        let path = format!("tests/fixtures/lints/{lint}/{name}");
        assert!(
            reported(&path).iter().any(|n| n == lint),
            "{path}: expected a `{lint}` diagnostic"
        );
        let out = rulecat()
            .args(["lint", &path, "--color", "never"])
            .output()
            .expect("rulecat runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stem = name.trim_end_matches(".yaml");
        snap!(format!("lint_{}_{stem}", lint.replace('-', "_")), stdout);
    }
    for name in fixtures(lint, "pass_") {
        let path = format!("tests/fixtures/lints/{lint}/{name}");
        let got = reported(&path);
        assert!(
            !got.iter().any(|n| n == lint),
            "{path}: unexpected `{lint}` diagnostic (all: {got:?})"
        );
    }
}

#[test]
fn result_columns() {
    check_lint("result-columns");
}

#[test]
fn invalid_id() {
    check_lint("invalid-id");
}

#[test]
fn placeholder_text() {
    check_lint("placeholder-text");
}

#[test]
fn attack_mapping() {
    check_lint("attack-mapping");
}

#[test]
fn connector_mismatch() {
    check_lint("connector-mismatch");
}

#[test]
fn scalar_tactics() {
    check_lint("scalar-tactics");
}

#[test]
fn duplicate_id() {
    check_lint("duplicate-id");
}

#[test]
fn duplicate_rule() {
    check_lint("duplicate-rule");
}

#[test]
fn duplicate_name() {
    check_lint("duplicate-name");
}

#[test]
fn ascii_only() {
    check_lint("ascii-only");
}

#[test]
fn trailing_whitespace() {
    check_lint("trailing-whitespace");
}

#[test]
fn tab_indent() {
    check_lint("tab-indent");
}

#[test]
fn final_newline() {
    check_lint("final-newline");
}

/// Identical copies are `duplicate-rule` only: never also `duplicate-id` or
/// `duplicate-name`.
#[test]
fn identical_copies_are_reported_once() {
    for path in [
        "tests/fixtures/lints/duplicate-rule/fail_copies",
        "tests/fixtures/lints/duplicate-rule/fail_reformatted",
    ] {
        let got = reported(path);
        assert_eq!(got, ["duplicate-rule", "duplicate-rule"], "{path}");
    }
}

/// The `explain` text of every new code has the four sections.
#[test]
fn explain_texts_have_their_sections() {
    for code in [
        "R0002", "R0003", "R0004", "R0005", "R0006", "C0001", "C0002", "C0003", "F0001", "F0002",
        "F0003", "F0004",
    ] {
        let out = rulecat().args(["explain", code]).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{code}: {text}");
        for section in ["What it finds", "Why it matters", "Example", "How to fix"] {
            assert!(text.contains(section), "{code} lacks `{section}`:\n{text}");
        }
    }
}

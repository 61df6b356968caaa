//! `rulecat test`: per-rule tests beside the rules (`x.tests.yaml` beside `x.yaml`), run
//! through the binary. The bundled catalog's tests run here, so CI runs them.

#[macro_use]
mod common;

use assert_cmd::Command;

fn rulecat() -> Command {
    let mut c = Command::cargo_bin("rulecat").expect("binary");
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = rulecat().args(args).output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn the_bundled_catalog_passes_its_tests() {
    let (code, out, err) = run(&["test", "catalog/"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("4 of 4 rules have tests"),
        "every bundled rule has tests: {out}"
    );
    snap!("rule_test_catalog", out);
}

#[test]
fn a_failing_test_shows_a_diff_and_exits_1() {
    let (code, out, err) = run(&["test", "tests/fixtures/ruletest/failing"]);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(err, "");
    snap!("rule_test_failing", out);
}

#[test]
fn json_and_junit_reports() {
    let (code, out, _) = run(&[
        "test",
        "--format",
        "json",
        "tests/fixtures/ruletest/failing",
    ]);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(doc["summary"]["passed"], 1);
    assert_eq!(doc["summary"]["failed"], 4);
    assert_eq!(
        doc["untested"],
        serde_json::json!(["tests/fixtures/ruletest/failing/untested.kql"])
    );
    snap!("rule_test_failing_json", out);
    let (code, out, _) = run(&[
        "test",
        "--format",
        "junit",
        "tests/fixtures/ruletest/failing",
    ]);
    assert_eq!(code, 1);
    assert!(out.starts_with("<?xml"));
    assert_eq!(
        out.matches("<testcase ").count(),
        6,
        "5 tests + 1 untested rule"
    );
    snap!("rule_test_failing_junit", out);
}

#[test]
fn require_tests_fails_on_an_untested_rule() {
    // Only the passing and untested rules: one file of the failing folder, named alone,
    // and the untested rule.
    let (code, out, _) = run(&["test", "tests/fixtures/ruletest/failing/untested.kql"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("rules without tests (1)"));
    let (code, _, _) = run(&[
        "test",
        "--require-tests",
        "tests/fixtures/ruletest/failing/untested.kql",
    ]);
    assert_eq!(code, 1);
}

#[test]
fn malformed_tests_files_are_located_and_exit_2() {
    let (code, _, err) = run(&["test", "tests/fixtures/ruletest/malformed"]);
    assert_eq!(code, 2);
    snap!("rule_test_malformed", err);
    let (code, _, err) = run(&["test", "tests/fixtures/ruletest/orphan"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("gone.tests.yaml: a tests file with no rule beside it"),
        "{err}"
    );
}

#[test]
fn tests_that_would_pass_for_the_wrong_reason_are_refused() {
    let (code, _, err) = run(&["test", "tests/fixtures/ruletest/badcolumn"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("has no column `Signr`; did you mean `Signer`?"),
        "{err}"
    );
    assert!(
        err.contains("the rule's query does not read a table `DeviceProcessEvents`"),
        "{err}"
    );
}

#[test]
fn a_tests_file_names_its_rule() {
    let (code, out, _) = run(&[
        "test",
        "catalog/RemoteManagementMonitoring/rmm_Action1_filesig.tests.yaml",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("3 passed, 0 failed; 1 of 1 rules have tests"),
        "{out}"
    );
}

#[test]
fn tests_files_are_never_linted_as_rules() {
    // Walked: the catalog's tests files are not rule files.
    let (code, out, _) = run(&["lint", "--format", "json", "catalog/"]);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["summary"]["files"], 4, "{out}");
    // Named explicitly (as pre-commit names changed files): skipped, not an error.
    let (code, _, err) = run(&[
        "lint",
        "catalog/RemoteManagementMonitoring/rmm_ZohoAssist_netconn.tests.yaml",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("excluded"), "{err}");
}

#[test]
fn missing_paths_are_usage_errors() {
    let (code, _, err) = run(&["test", "no/such/folder"]);
    assert_eq!(code, 2);
    assert!(err.contains("no/such/folder"), "{err}");
}

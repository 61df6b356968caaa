//! Integration tests that drive the real `rulecat` binary.
//!
//! Snapshots live in the top-level `snapshots/` folder. Under `CI=true` a missing or
//! changed snapshot fails the test (insta writes nothing there).

use std::path::Path;

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin_cmd;

#[macro_use]
mod common;

fn rulecat() -> Command {
    let mut c = cargo_bin_cmd!("rulecat");
    c.env_remove("NO_COLOR");
    c
}

/// Runs rulecat, returning (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let out = rulecat().args(args).output().expect("rulecat runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const FIXTURES: &str = "tests/fixtures/load";

fn fixture_names() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(FIXTURES)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    v.sort();
    v
}

#[test]
fn catalog_loads_all_four_rules() {
    let (code, stdout, _) = run(&["lint", "catalog", "--color", "never", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["summary"]["files"], 4);
    assert_eq!(v["summary"]["rules"], 4, "{stdout}");
    assert_eq!(v["summary"]["skipped"], 0);
    assert!(code == 0 || code == 1, "exit code {code}");
}

#[test]
fn catalog_human_report() {
    let (_, stdout, _) = run(&["lint", "catalog", "--color", "never"]);
    snap!("catalog_human", stdout);
}

/// Every bad-input fixture gets its own diagnostic with file:line:col, exit code 1.
#[test]
fn each_bad_fixture_has_its_diagnostic() {
    for name in fixture_names() {
        let path = format!("{FIXTURES}/{name}");
        let (code, stdout, stderr) = run(&["lint", &path, "--color", "never"]);
        let stem = name.trim_end_matches(".yaml");
        if stem == "crlf_bom_tabs" {
            assert_eq!(code, 0, "{name} should load cleanly: {stdout}{stderr}");
        } else {
            assert_eq!(code, 1, "{name}: expected findings, got:\n{stdout}{stderr}");
            assert!(
                stdout.contains(&format!("┌─ {path}:")),
                "{name}: diagnostic lacks a file:line:col location:\n{stdout}"
            );
        }
        snap!(format!("load_{stem}"), stdout);
    }
}

#[test]
fn bad_files_do_not_stop_the_others() {
    let (code, stdout, _) = run(&["lint", FIXTURES, "catalog", "--format", "json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let n = fixture_names().len();
    assert_eq!(v["summary"]["files"], n + 4);
    // A file that is a YAML mapping loads whatever its schema problems (its query is still
    // checked): the four catalog rules and six fixtures. The other twelve are not YAML
    // mappings (syntax errors, limits, empty, lists...).
    assert_eq!(v["summary"]["rules"], 10);
    assert_eq!(v["summary"]["skipped"], n - 6);
    assert_eq!(v["summary"]["kinds"]["hunting-query"], 9);
    assert_eq!(v["summary"]["kinds"]["scheduled"], 1);
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 10);
    let scheduled: Vec<&str> = files
        .iter()
        .filter(|f| f["kind"] == "scheduled")
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(scheduled, ["tests/fixtures/load/missing_keys.yaml"]);
}

#[test]
fn machine_formats() {
    let (_, json, _) = run(&["lint", FIXTURES, "--format", "json"]);
    snap!("fixtures_json", json.clone());
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    for d in v["diagnostics"].as_array().unwrap() {
        assert!(d["line"].as_u64().unwrap() >= 1);
        assert!(d["column"].as_u64().unwrap() >= 1);
        assert!(d["code"].as_str().unwrap().len() == 5);
    }

    let (_, sarif, _) = run(&["lint", FIXTURES, "--format", "sarif"]);
    let s: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(s["version"], "2.1.0");
    let results = s["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), v["diagnostics"].as_array().unwrap().len());
    let rules = s["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    for r in results {
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], r["ruleId"]);
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64().unwrap() >= 1);
    }
    snap!("fixtures_sarif", sarif);

    let (_, github, _) = run(&["lint", FIXTURES, "--format", "github"]);
    for line in github.lines().filter(|l| l.starts_with("::")) {
        assert!(
            ["::error", "::warning", "::notice"]
                .iter()
                .any(|l| line.starts_with(&format!("{l} file=tests/fixtures/load/"))),
            "{line}"
        );
        assert!(line.contains(",line=") && line.contains(",col="), "{line}");
    }
    snap!("fixtures_github", github);
}

#[test]
fn output_is_deterministic_in_any_argument_order() {
    let mut names = fixture_names()
        .into_iter()
        .map(|n| format!("{FIXTURES}/{n}"))
        .collect::<Vec<_>>();
    let mut args: Vec<&str> = vec!["lint", "--format", "json"];
    args.extend(names.iter().map(String::as_str));
    let (_, a, _) = run(&args);
    names.reverse();
    let mut args: Vec<&str> = vec!["lint", "--format", "json"];
    args.extend(names.iter().map(String::as_str));
    let (_, b, _) = run(&args);
    assert_eq!(a, b);
    let (_, c, _) = run(&["lint", "--format", "json", FIXTURES]);
    assert_eq!(a, c);
}

#[test]
fn exit_codes() {
    // Usage and I/O failures: 2.
    let (code, _, stderr) = run(&["lint", "does/not/exist"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("does/not/exist"), "{stderr}");
    let (code, _, stderr) = run(&["lint", "catalog", "--exclude", "a[b"]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, _) = run(&["lint", "--format", "xml"]);
    assert_eq!(code, 2);
    let (code, _, _) = run(&["explain", "Z9999"]);
    assert_eq!(code, 2);
    // Findings at error level: 1.
    let (code, _, _) = run(&["lint", "tests/fixtures/load/duplicate_key.yaml"]);
    assert_eq!(code, 1);
    // Clean: 0.
    let (code, _, _) = run(&["lint", "tests/fixtures/load/crlf_bom_tabs.yaml"]);
    assert_eq!(code, 0);
}

#[test]
fn exclude_globs() {
    let (_, stdout, _) = run(&[
        "lint",
        FIXTURES,
        "--format",
        "json",
        "--exclude",
        "**/deep_*",
        "--exclude",
        "alias_bomb.yaml",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["summary"]["excluded"], 3);
    assert!(!stdout.contains("deep_nesting"));
    assert!(!stdout.contains("alias_bomb"));
}

#[test]
fn size_limit_is_configurable() {
    let (code, stdout, _) = run(&[
        "lint",
        "catalog/RemoteManagementMonitoring/rmm_Action1_filesig.yaml",
        "--max-file-size",
        "100",
        "--color",
        "never",
    ]);
    assert_eq!(code, 1);
    assert!(stdout.contains("error[Y0003]"), "{stdout}");
    assert!(stdout.contains("over the 100-byte limit"), "{stdout}");
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_hidden_folders() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("rules/.hidden")).unwrap();
    std::fs::copy(
        "catalog/RemoteManagementMonitoring/rmm_Action1_filesig.yaml",
        root.join("rules/a.yaml"),
    )
    .unwrap();
    std::fs::write(root.join("rules/.hidden/broken.yaml"), "a: [").unwrap();
    std::fs::write(root.join("rules/notes.txt"), "not a rule").unwrap();
    std::os::unix::fs::symlink(root.join("rules"), root.join("rules/loop")).unwrap();
    let rules = root.join("rules");
    let (code, stdout, stderr) = run(&["lint", rules.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["summary"]["rules"], 1, "{stdout}");
    let d = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "D0001")
        .expect("the loop is reported");
    assert!(
        d["message"].as_str().unwrap().contains("symlink loop"),
        "{d}"
    );
    assert!(!stdout.contains("broken.yaml"));
}

#[test]
fn report_to_file_is_written_whole() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.sarif");
    let (code, stdout, stderr) = run(&[
        "lint",
        FIXTURES,
        "--format",
        "sarif",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert!(stderr.contains("errors"), "{stderr}");
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(written["version"], "2.1.0");
    // No temp files left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn deny_warnings_fails_on_warnings() {
    // The CRLF/BOM fixture loads, with warnings only (the BOM, the misspelling).
    let (code, _, _) = run(&["lint", "tests/fixtures/load/crlf_bom_tabs.yaml"]);
    assert_eq!(code, 0);
    let (code, _, _) = run(&[
        "lint",
        "tests/fixtures/load/crlf_bom_tabs.yaml",
        "--deny",
        "warnings",
    ]);
    assert_eq!(code, 1);
}

#[test]
fn schema_command_and_committed_schemas_agree() {
    let dir = tempfile::tempdir().unwrap();
    let mut names = Vec::new();
    for s in rulecat::loading::schema::kind_schemas() {
        let kind = s.kinds[0].name();
        let (code, stdout, _) = run(&["schema", kind]);
        assert_eq!(code, 0, "{kind}");
        let path = format!("{}/{}", rulecat::loading::schema::SCHEMA_DIR, s.file);
        let committed = std::fs::read_to_string(&path).unwrap();
        assert!(
            stdout == committed,
            "{path} is stale: run `cargo run -- schema --write`"
        );
        std::fs::write(dir.path().join(s.file), &committed).unwrap();
        names.push(s.file);
    }
    assert!(names.contains(&"scheduled.schema.json"), "{names:?}");
    let (code, default, _) = run(&["schema"]);
    assert_eq!(code, 0);
    assert!(
        default.contains("hunting query"),
        "the default is the hunting-query schema"
    );
    let (_, bundle, _) = run(&["schema", "bundle"]);
    let committed_bundle = std::fs::read_to_string(rulecat::compile::BUNDLE_SCHEMA_PATH).unwrap();
    assert!(
        bundle == committed_bundle,
        "schema/bundle.schema.json is stale: run `cargo run -- schema --write`"
    );
    let (code, _, _) = run(&["schema", "--check"]);
    assert_eq!(code, 0);
    let (code, _, stderr) = run(&["schema", "no-such-kind"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("schemas: hunting-query, scheduled"),
        "{stderr}"
    );
    // A stale file fails the check.
    let nrt = dir.path().join("nrt.schema.json");
    let text = std::fs::read_to_string(&nrt).unwrap();
    std::fs::write(&nrt, text.replace("NRT", "nrt")).unwrap();
    std::fs::write(dir.path().join("bundle.schema.json"), &committed_bundle).unwrap();
    let (code, _, stderr) = run(&["schema", "--check", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stderr.contains("nrt.schema.json` is stale"), "{stderr}");
    assert!(
        stderr.contains("scheduled.schema.json` is up to date"),
        "{stderr}"
    );
}

#[test]
fn explain_prints_docs() {
    let (code, stdout, _) = run(&["explain", "S0001"]);
    assert_eq!(code, 0);
    snap!("explain_S0001", stdout);
    let (code, by_name, _) = run(&["explain", "unknown-key"]);
    assert_eq!(code, 0);
    assert!(by_name.starts_with("S0001 (unknown-key)"));
    let (code, list, _) = run(&["explain", "--list"]);
    assert_eq!(code, 0);
    for c in rulecat::codes::all() {
        assert!(list.contains(c.code), "{} missing from --list", c.code);
        let (code, text, _) = run(&["explain", c.code]);
        assert_eq!(code, 0);
        assert!(text.contains("## How to fix"), "{}", c.code);
    }
}

#[test]
fn color_always_emits_ansi() {
    let (_, stdout, _) = run(&[
        "lint",
        "tests/fixtures/load/duplicate_key.yaml",
        "--color",
        "always",
    ]);
    assert!(stdout.contains("\u{1b}["));
    let (_, stdout, _) = run(&[
        "lint",
        "tests/fixtures/load/duplicate_key.yaml",
        "--color",
        "never",
    ]);
    assert!(!stdout.contains("\u{1b}["));
}

#[test]
fn fixtures_exist_for_every_failure_mode() {
    for f in [
        "misindented_datatypes",
        "toplevel_datatypes",
        "duplicate_key",
        "multi_document",
        "empty",
        "list_root",
        "invalid_utf8",
        "alias_bomb",
        "deep_nesting",
        "crlf_bom_tabs",
    ] {
        assert!(Path::new(&format!("{FIXTURES}/{f}.yaml")).exists(), "{f}");
    }
}

/// `rulecat coverage` on the bundled catalog: Zoho Assist by file signature and network
/// (its two rules), Action1 and Remote Utilities by file signature; every other tool of
/// the knowledge file is listed with no means.
#[test]
fn coverage_of_the_bundled_catalog() {
    let out = assert_cmd::cargo::cargo_bin_cmd!("rulecat")
        .args(["coverage", "catalog", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rules"], 4);
    let entry = |name: &str| {
        v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["tool"] == name)
            .unwrap_or_else(|| panic!("{name} missing"))
            .clone()
    };
    let zoho = entry("Zoho Assist");
    assert!(zoho["means"]["signature"].is_array(), "{zoho}");
    assert!(zoho["means"]["network"].is_array(), "{zoho}");
    assert!(entry("Action1")["means"]["signature"].is_array());
    assert_eq!(entry("TeamViewer")["means"], serde_json::json!({}));
    let table = assert_cmd::cargo::cargo_bin_cmd!("rulecat")
        .args(["coverage", "catalog"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.starts_with(&format!("{} of {} tools", v["covered"], v["tools"])),
        "{text}"
    );
}

//! `rulecat compile` and `rulecat match` driven through the real binary.

use std::path::Path;

use assert_cmd::cargo::cargo_bin_cmd;

#[macro_use]
mod common;

const NOW: &str = "2026-11-27T00:00:00Z";

fn run_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = cargo_bin_cmd!("rulecat");
    cmd.env_remove("SOURCE_DATE_EPOCH");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.args(args).output().expect("rulecat runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn run(args: &[&str]) -> (i32, String, String) {
    run_env(args, &[])
}

fn compile_to(dir: &Path, catalog: &str) -> std::path::PathBuf {
    let out = dir.join("bundle.json");
    let (code, _, stderr) = run(&["compile", catalog, "-o", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    out
}

#[test]
fn catalog_bundle() {
    let (code, bundle, stderr) = run(&["compile", "catalog"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("compiled 4 rule files into 4 rules"),
        "{stderr}"
    );
    let v: serde_json::Value = serde_json::from_str(&bundle).unwrap();
    // The bundle validates against the committed bundle schema.
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("schema/bundle.schema.json").unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert!(
        v.get("created").is_none(),
        "no wall-clock time without SOURCE_DATE_EPOCH"
    );
    // Every indicator once, with the rules using it.
    let inds = v["indicators"].as_array().unwrap();
    let zoho = inds
        .iter()
        .find(|i| i["field"] == "Signer" && i["value"] == "zoho")
        .expect("the Zoho signer indicator");
    assert_eq!(zoho["kind"], "signer");
    assert_eq!(zoho["rules"][0], "ba1e02dc-2731-4f65-bdd3-b293e0490e9a");
    snap!("bundle_catalog", bundle);
}

#[test]
fn bundles_are_byte_identical_in_any_file_order() {
    let dir = tempfile::tempdir().unwrap();
    let a = std::fs::read(compile_to(dir.path(), "catalog")).unwrap();
    let b = std::fs::read(compile_to(dir.path(), "catalog")).unwrap();
    assert_eq!(a, b, "compiling twice differs");

    // A copy under another root, files written in reverse order.
    let copy = dir.path().join("elsewhere/rules");
    let sub = copy.join("RemoteManagementMonitoring");
    std::fs::create_dir_all(&sub).unwrap();
    // The rule files (not their `rulecat test` files).
    let mut files: Vec<_> = std::fs::read_dir("catalog/RemoteManagementMonitoring")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| rulecat::loading::discover::is_rule_file(p))
        .collect();
    files.sort();
    files.reverse();
    for f in &files {
        std::fs::copy(f, sub.join(f.file_name().unwrap())).unwrap();
    }
    let out = dir.path().join("copy.json");
    let (code, _, stderr) = run(&[
        "compile",
        copy.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        a,
        std::fs::read(&out).unwrap(),
        "a copy in another folder differs"
    );

    // Renamed files: the same catalog hash, indicators and logic; only `sources` differ.
    let renamed = dir.path().join("renamed");
    std::fs::create_dir_all(&renamed).unwrap();
    for (i, f) in files.iter().enumerate() {
        std::fs::copy(f, renamed.join(format!("rule_{i}.yml"))).unwrap();
    }
    let out2 = dir.path().join("renamed.json");
    let (code, _, stderr) = run(&[
        "compile",
        renamed.to_str().unwrap(),
        "-o",
        out2.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let mut x: serde_json::Value = serde_json::from_slice(&a).unwrap();
    let mut y: serde_json::Value = serde_json::from_slice(&std::fs::read(&out2).unwrap()).unwrap();
    for v in [&mut x, &mut y] {
        for r in v["rules"].as_array_mut().unwrap() {
            r.as_object_mut().unwrap().remove("sources");
        }
    }
    assert_eq!(x, y);
}

#[test]
fn identical_rules_collapse() {
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("cat");
    std::fs::create_dir_all(&cat).unwrap();
    for f in std::fs::read_dir("catalog/RemoteManagementMonitoring").unwrap() {
        let p = f.unwrap().path();
        std::fs::copy(&p, cat.join(p.file_name().unwrap())).unwrap();
    }
    std::fs::copy(
        "catalog/RemoteManagementMonitoring/rmm_Action1_filesig.yaml",
        cat.join("zz_copy_of_action1.yaml"),
    )
    .unwrap();
    let (code, bundle, stderr) = run(&["compile", cat.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("5 rule files into 4 rules (1 identical collapsed)"),
        "{stderr}"
    );
    let v: serde_json::Value = serde_json::from_str(&bundle).unwrap();
    assert_eq!(v["stats"]["duplicate_rules"], 1);
    let action1 = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "1525a733-192f-41f2-96ba-d3f631ca00d0")
        .unwrap();
    assert_eq!(
        action1["sources"],
        serde_json::json!(["rmm_Action1_filesig.yaml", "zz_copy_of_action1.yaml"])
    );
    // The Action1 signer indicator is listed once.
    let n = v["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["value"] == "action1 corporation")
        .count();
    assert_eq!(n, 1);
}

#[test]
fn source_date_epoch_stamps_the_bundle() {
    let (code, bundle, _) = run_env(
        &["compile", "catalog"],
        &[("SOURCE_DATE_EPOCH", "1767225600")],
    );
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&bundle).unwrap();
    assert_eq!(v["created"], "2026-01-01T00:00:00Z");
}

#[test]
fn stix_indicators() {
    // A fixed time: without it the times come from git (tests/stix.rs), which depends on
    // the clone's history.
    let (code, stix, _) = run_env(
        &["compile", "catalog", "--format", "stix"],
        &[("SOURCE_DATE_EPOCH", "1767225600")],
    );
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&stix).unwrap();
    assert_eq!(v["type"], "bundle");
    let patterns: Vec<&str> = v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["pattern"].as_str().unwrap())
        .collect();
    assert!(
        patterns.contains(
            &r"[domain-name:value MATCHES '(?i)(^|[\\W_])assist\\.zoho\\.com([\\W_]|$)']"
        ),
        "{patterns:?}"
    );
    assert!(
        patterns.contains(&r"[x509-certificate:subject MATCHES '(?i)(^|[\\W_])zoho([\\W_]|$)']"),
        "{patterns:?}"
    );
    for o in v["objects"].as_array().unwrap() {
        assert_eq!(o["spec_version"], "2.1");
        assert!(o["id"].as_str().unwrap().starts_with("indicator--"));
        assert_eq!(o["created"], "2026-01-01T00:00:00.000Z");
    }
    snap!("stix_catalog", stix);
}

/// A `join` rule (beyond the fast matcher) compiles with its query and indicators, and
/// `match` runs it with the engine over both tables of the same inputs. Expected rows
/// computed by hand from tests/telemetry/sample (6 AnyDesk.exe processes, 3 network
/// events with `RemoteUrl has 'anydesk.com'`, 2 pairs on the same DeviceId).
#[test]
fn join_rules_compile_and_match_with_the_engine() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = compile_to(tmp.path(), "tests/fixtures/compile/join.yaml");
    let b: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&bundle).unwrap()).unwrap();
    let rule = &b["rules"][0];
    assert!(rule.get("logic").is_none(), "{rule}");
    assert!(
        rule["query"]
            .as_str()
            .unwrap()
            .contains("| join kind=inner")
    );
    assert_eq!(
        rule["tables"],
        serde_json::json!(["DeviceNetworkEvents", "DeviceProcessEvents"])
    );
    // Both tables' leading filters are kept as indicators.
    let indicators: Vec<(&str, &str)> = b["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["field"].as_str().unwrap(), i["value"].as_str().unwrap()))
        .collect();
    assert_eq!(
        indicators,
        vec![("FileName", "anydesk.exe"), ("RemoteUrl", "anydesk.com")]
    );
    let (code, stdout, stderr) = run(&[
        "match",
        "--bundle",
        bundle.to_str().unwrap(),
        "--now",
        NOW,
        "--format",
        "jsonl",
        "tests/telemetry/sample",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let rows: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["row"].clone())
        .collect();
    assert_eq!(
        rows,
        vec![
            serde_json::json!({"Timestamp": "2026-11-20T03:00:14.1559746Z", "DeviceName": "lt-1039.contoso.local", "RemoteUrl": "relay-a1b2c3d4.net.anydesk.com"}),
            serde_json::json!({"Timestamp": "2026-11-24T06:43:57.7211787Z", "DeviceName": "wks-0128.contoso.local", "RemoteUrl": "relay-a1b2c3d4.net.anydesk.com"}),
        ],
        "{stdout}"
    );
}

/// A construct the engine cannot run refuses the bundle, naming the rule and the
/// construct; `--allow-partial` keeps the rule marked, and `match` says it did not run.
#[test]
fn unsupported_constructs_need_allow_partial() {
    let rule = "tests/fixtures/lints/engine-unsupported/fail_plugin.yaml";
    let (code, stdout, stderr) = run(&["compile", rule, "--color", "never"]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.is_empty(), "no bundle is written");
    // K0011 is a warning at lint time; compile refuses the rule itself (B0001).
    assert!(stderr.contains("error[B0001]"), "{stderr}");
    assert!(
        stderr.contains("rule `2f0c5a47-1d0e-4d8e-9f6a-6f1a3c2b7e10` cannot be compiled: rulecat's KQL engine cannot run the `autocluster` plugin of `evaluate`"),
        "{stderr}"
    );

    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("bundle.json");
    let (code, _, stderr) = run(&[
        "compile",
        rule,
        "--allow-partial",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(
            "rule `2f0c5a47-1d0e-4d8e-9f6a-6f1a3c2b7e10` is in the bundle marked not executable"
        ),
        "{stderr}"
    );
    let b: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(
        b["rules"][0]["unsupported"],
        serde_json::json!(["the `autocluster` plugin of `evaluate`"])
    );
    let (code, stdout, stderr) = run(&[
        "match",
        "--bundle",
        out.to_str().unwrap(),
        "--now",
        NOW,
        "tests/telemetry/sample",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("not run: compiled with --allow-partial, and rulecat's KQL engine cannot run the `autocluster` plugin"),
        "{stdout}"
    );
}

fn match_fixture(dir: &str, format: &str) -> (String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = compile_to(tmp.path(), "catalog");
    let (code, stdout, stderr) = run(&[
        "match",
        "--bundle",
        bundle.to_str().unwrap(),
        "--now",
        NOW,
        "--format",
        format,
        dir,
    ]);
    assert_eq!(code, 0, "{stderr}");
    (stdout, stderr)
}

#[test]
fn match_telemetry_fixtures() {
    for dir in [
        "zoho_filesig",
        "zoho_netconn",
        "zoho_netconn_csv",
        "action1_filesig",
        "remoteutilities_filesig",
        "mixed_by_type",
        "sample",
    ] {
        let (stdout, stderr) = match_fixture(&format!("tests/telemetry/{dir}"), "table");
        snap!(
            format!("match_{dir}"),
            format!("{stdout}\n--- stderr ---\n{stderr}")
        );
    }
}

#[test]
fn match_near_misses_do_not_match() {
    let (stdout, _) = match_fixture("tests/telemetry/zoho_netconn", "jsonl");
    for line in stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let url = v["row"]["RemoteUrl"].as_str().unwrap_or("").to_lowercase();
        assert!(!url.contains("myzoho.com"), "{line}");
        assert!(!url.contains("zoho.community"), "{line}");
    }
    assert!(
        stdout.contains("\"RemoteUrl\":\"ASSIST.ZOHO.COM\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("\"RemoteUrl\":\"https://assist.zoho.com/x\""),
        "{stdout}"
    );
}

#[test]
fn malformed_telemetry_is_reported_and_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = compile_to(tmp.path(), "catalog");
    let mut all = String::new();
    for (file, table) in [
        ("malformed_badjson.jsonl", "DeviceNetworkEvents"),
        ("malformed_types.jsonl", "DeviceFileCertificateInfo"),
        ("malformed_unclosed_quote.csv", "DeviceFileCertificateInfo"),
    ] {
        let path = format!("tests/telemetry/malformed/{file}");
        let (code, stdout, stderr) = run(&[
            "match",
            "--bundle",
            bundle.to_str().unwrap(),
            "--now",
            NOW,
            "--table",
            table,
            &path,
        ]);
        assert_eq!(code, 0, "a malformed line never stops the run: {stderr}");
        for line in stderr.lines().filter(|l| l.starts_with("warning: ")) {
            assert!(line.starts_with(&format!("warning: {path}:")), "{line}");
        }
        all.push_str(&format!(
            "== {file} ({table})\n{stdout}--- stderr ---\n{stderr}\n"
        ));
    }
    assert!(
        all.contains("malformed_badjson.jsonl:2: not a JSON object"),
        "{all}"
    );
    assert!(
        all.contains("malformed_types.jsonl:2: `Timestamp` is not a datetime"),
        "{all}"
    );
    snap!("match_malformed", all);
}

//! Rule kinds: each kind is detected, validated to its own contract, and its query is
//! checked whatever the schema says. Also the files that hide (`x,yaml`), `[kinds]` in
//! `rulecat.toml`, and the certain fix for the upstream `dataTypes` indentation slip.

use assert_cmd::cargo::cargo_bin_cmd;

#[macro_use]
mod common;

const KINDS: &str = "tests/fixtures/kinds";

fn run(args: &[&str]) -> (i32, String, String) {
    let mut c = cargo_bin_cmd!("rulecat");
    c.env_remove("NO_COLOR");
    let out = c.args(args).output().expect("rulecat runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json_of(args: &[&str]) -> serde_json::Value {
    let mut a = vec!["lint", "--format", "json"];
    a.extend_from_slice(args);
    let (_, stdout, stderr) = run(&a);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"))
}

/// Each fixture, the kind it must be read as.
const CASES: &[(&str, &str)] = &[
    ("hunting", "hunting-query"),
    ("scheduled", "scheduled"),
    ("nrt", "nrt"),
    ("fusion", "fusion"),
    ("function", "function"),
    ("summary", "summary-rule"),
    ("custom_detection", "custom-detection"),
    ("arm_template", "arm-template"),
    ("query", "query"),
];

fn fixture(stem: &str, valid: bool) -> String {
    let ext = if stem == "query" { "kql" } else { "yaml" };
    let which = if valid { "valid" } else { "invalid" };
    format!("{KINDS}/{stem}_{which}.{ext}")
}

#[test]
fn each_kind_is_detected_and_its_valid_file_is_clean() {
    for (stem, kind) in CASES {
        for valid in [true, false] {
            let path = fixture(stem, valid);
            let v = json_of(&[&path]);
            assert_eq!(v["summary"]["skipped"], 0, "{path} must load: {v}");
            assert_eq!(v["files"][0]["kind"], *kind, "{path}");
            let diags = v["diagnostics"].as_array().unwrap();
            if valid {
                assert!(diags.is_empty(), "{path} should be clean: {diags:#?}");
            } else {
                assert!(
                    diags.iter().any(|d| d["severity"] == "error"),
                    "{path} should have errors: {diags:#?}"
                );
            }
        }
    }
}

#[test]
fn invalid_files_report_their_contract() {
    for (stem, _) in CASES {
        let path = fixture(stem, false);
        let (code, stdout, _) = run(&["lint", &path, "--color", "never"]);
        assert_eq!(code, 1, "{path}");
        snap!(format!("kinds_{stem}_invalid"), stdout);
    }
}

#[test]
fn scheduled_contract_in_detail() {
    let v = json_of(&[&fixture("scheduled", false)]);
    let messages: Vec<(&str, &str)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["code"].as_str().unwrap(), d["message"].as_str().unwrap()))
        .collect();
    let has = |code: &str, text: &str| messages.iter().any(|(c, m)| *c == code && m.contains(text));
    assert!(has("S0008", "`high` is accepted"), "{messages:#?}");
    assert!(has("S0005", "`datatypes`"), "{messages:#?}");
    assert!(
        has("S0004", "shorter than `queryFrequency`"),
        "{messages:#?}"
    );
    assert!(has("S0004", "`greater` is not one of"), "{messages:#?}");
    assert!(has("S0004", "20000 is greater than the maximum of 10000"));
    assert!(has("S0007", "`Acount` is not a Sentinel entity type"));
    assert!(has("S0005", "`identifies`"));
    assert!(has("S0007", "`Host` mapping maps none"));
    assert!(has("S0004", "has 30 characters; Sentinel allows 20"));
    assert!(has("S0004", "`2ndKey` must start with a letter"));
    assert!(has("S0004", "4 `{{column}}` placeholders"));
    // An unknown key that resembles nothing is a warning, not an error.
    let owner = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["message"].as_str().unwrap().contains("`owner`"))
        .unwrap();
    assert_eq!(owner["code"], "S0001");
    assert_eq!(owner["severity"], "warning");
}

#[test]
fn a_schema_problem_never_hides_the_query() {
    // The scheduled rule breaks a dozen contract rules; its query is still analyzed.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("scheduled", false))
        .unwrap()
        .replace("| where ResultType == 0", "| where ResultTyp == 0");
    let path = dir.path().join("rule.yaml");
    std::fs::write(&path, text).unwrap();
    let v = json_of(&[path.to_str().unwrap()]);
    let unknown_column = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["code"] == "K0003" && d["message"].as_str().unwrap().contains("ResultTyp"));
    assert!(unknown_column, "{v:#}");
}

#[test]
fn kinds_can_be_set_per_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("Parsers")).unwrap();
    // A function file whose keys say nothing of its kind: only `query`.
    std::fs::write(
        dir.path().join("Parsers/p.yaml"),
        "id: 4a1b2c3d-5e6f-4a7b-8c9d-0e1f2a3b4c5e\nFunctionName: P\nquery: |\n  SigninLogs | take 1\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("q.yaml"),
        "id: 4a1b2c3d-5e6f-4a7b-8c9d-0e1f2a3b4c5f\nname: q\nquery: |\n  SigninLogs | take 1\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("rulecat.toml"),
        "[kinds]\n\"Parsers/**\" = \"function\"\n\"*.yaml\" = \"hunting-query\"\n",
    )
    .unwrap();
    let v = json_of(&[dir.path().to_str().unwrap()]);
    let kinds: Vec<(String, String)> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let file = f["file"].as_str().unwrap();
            let short = file
                .rsplit_once(dir.path().file_name().unwrap().to_str().unwrap())
                .unwrap()
                .1;
            (short.to_string(), f["kind"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("/Parsers/p.yaml".to_string(), "function".to_string()),
            ("/q.yaml".to_string(), "hunting-query".to_string())
        ]
    );
    // An unknown kind name in the configuration is a usage error.
    std::fs::write(
        dir.path().join("rulecat.toml"),
        "[kinds]\n\"*.yaml\" = \"hunt\"\n",
    )
    .unwrap();
    let (code, _, stderr) = run(&["lint", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown kind `hunt`"), "{stderr}");
}

#[test]
fn files_that_hide_are_reported_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let rule = std::fs::read_to_string(fixture("hunting", true)).unwrap();
    std::fs::write(dir.path().join("CVE-2022-30190,yaml"), &rule).unwrap();
    std::fs::write(
        dir.path().join("NoExtension"),
        rule.replace(
            "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
            "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1c",
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("README"), "Not a rule.\nid: maybe\n").unwrap();
    std::fs::write(dir.path().join("notes.txt"), &rule).unwrap();
    std::fs::write(
        dir.path().join("bare.csl"),
        "SigninLogs | where ResultTyp == 0\n",
    )
    .unwrap();
    let v = json_of(&[dir.path().to_str().unwrap()]);
    assert_eq!(v["summary"]["files"], 3, "{v:#}");
    let hidden: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "D0002")
        .map(|d| d["file"].as_str().unwrap())
        .collect();
    assert_eq!(hidden.len(), 2, "{v:#}");
    assert!(hidden[0].ends_with("CVE-2022-30190,yaml"));
    assert!(hidden[1].ends_with("NoExtension"));
    // The .csl file is linted as a bare query: its unknown column is found.
    assert!(
        v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["code"] == "K0003" && d["file"].as_str().unwrap().ends_with("bare.csl"))
    );
}

#[test]
fn bare_queries_get_only_query_and_style_lints() {
    let v = json_of(&[&fixture("query", false)]);
    let codes: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["K0005", "K0003"], "{v:#}");
    // Positions are the file's own lines and columns.
    let col = &v["diagnostics"][1];
    assert_eq!(col["line"], 3);
    assert_eq!(col["column"], 9);
}

#[test]
fn misindented_data_types_are_fixed_then_linted_in_the_same_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rmm.yaml");
    std::fs::copy("tests/fixtures/load/misindented_datatypes.yaml", &path).unwrap();
    let (code, diff, _) = run(&["lint", "--diff", path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        diff.contains("-  dataTypes:\n-    - DeviceFileCertificateInfo\n+    dataTypes:\n+      - DeviceFileCertificateInfo\n"),
        "{diff}"
    );
    let (_, stdout, stderr) = run(&["lint", "--fix", "--color", "never", path.to_str().unwrap()]);
    let fixed = std::fs::read_to_string(&path).unwrap();
    assert!(
        fixed.contains("  - connectorId: MicrosoftThreatProtection\n    dataTypes:\n      - DeviceFileCertificateInfo\ntactics:"),
        "{fixed}"
    );
    // The same run went on to lint the repaired file: its query and spelling were checked.
    assert!(!stdout.contains("Y0001"), "{stdout}{stderr}");
    let v = json_of(&[path.to_str().unwrap()]);
    assert_eq!(v["summary"]["rules"], 1);
    assert_eq!(v["summary"]["skipped"], 0);
}

#[test]
fn a_list_at_the_keys_own_indentation_moves_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.yaml");
    std::fs::write(
        &path,
        "id: 9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1d\nname: r\nrequiredDataConnectors:\n  - connectorId: MicrosoftThreatProtection\n  dataTypes:\n  - DeviceProcessEvents\n  - connectorId: AzureActiveDirectory\n    dataTypes:\n      - SigninLogs\nquery: |\n  DeviceProcessEvents | take 1\n",
    )
    .unwrap();
    run(&["lint", "--fix", path.to_str().unwrap()]);
    let fixed = std::fs::read_to_string(&path).unwrap();
    assert!(
        fixed.contains("  - connectorId: MicrosoftThreatProtection\n    dataTypes:\n    - DeviceProcessEvents\n  - connectorId: AzureActiveDirectory\n"),
        "{fixed}"
    );
    let v = json_of(&[path.to_str().unwrap()]);
    assert_eq!(v["summary"]["rules"], 1, "{v:#}");
}

#[test]
fn raw_kql_saved_as_yaml_is_reported_and_checked_as_a_query() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("raw.yaml");
    std::fs::write(
        &path,
        "// a query saved without its rule\nSigninLogs\n| where ResultTyp == 0\n",
    )
    .unwrap();
    let v = json_of(&[path.to_str().unwrap()]);
    let codes: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["Y0005", "K0003"], "{v:#}");
    assert_eq!(v["files"][0]["kind"], "query");
}

#[test]
fn functions_of_the_catalog_are_callable_from_its_rules() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("parser.yaml"),
        "Function:\n  Title: Failed sign-ins\n  Version: '1.0.0'\nCategory: Microsoft Sentinel Parser\nFunctionName: FailedSignins\nFunctionAlias: FailedSigninsAlias\nFunctionParams:\n  - Name: lookback\n    Type: timespan\n    Default: 1d\nFunctionQuery: |\n  SigninLogs\n  | where TimeGenerated > ago(lookback)\n  | where ResultType != 0\n  | project TimeGenerated, UserPrincipalName, IPAddress\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("rule.yaml"),
        "id: 3c2b1a0f-9e8d-4c7b-a6f5-e4d3c2b1a0f9\nname: Failed sign-ins per user\nquery: |\n  FailedSignins(2d)\n  | summarize count() by UserPrincipalName, ResultType\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("alias.kql"),
        "FailedSigninsAlias | where IPAddress startswith '10.'\n",
    )
    .unwrap();
    let v = json_of(&[dir.path().to_str().unwrap()]);
    let found: Vec<(String, String)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"].as_str().unwrap().starts_with('K'))
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // The engine runs the catalog's functions by their bodies: no K0011 for the calls.
    assert!(!found.iter().any(|(c, _)| c == "K0011"), "{found:#?}");
    // The function's own output schema flows into the rule: `ResultType` was projected away.
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].0, "K0003");
    assert!(found[0].1.contains("ResultType"), "{found:#?}");
}

#[test]
fn every_alert_rule_of_an_arm_template_is_checked() {
    // The second resource's query misspells a column; the first is clean.
    let v = json_of(&[&format!("{KINDS}/arm_template_two_rules.yaml")]);
    let diags = v["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0]["code"], "K0003");
    assert!(diags[0]["message"].as_str().unwrap().contains("ResultTyp"));
    assert_eq!(diags[0]["line"], 17);
    assert_eq!(v["summary"]["kinds"]["arm-template"], 1, "one file: {v}");
}

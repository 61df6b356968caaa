//! `_GetWatchlist` end to end: `rulecat query` with the watchlist given as `--table ALIAS=`,
//! and `compile` + `match` with the watchlist as a file named after its alias (the bundle
//! lists the alias with the rule's tables). Expected rows are computed by hand.

use assert_cmd::Command;

fn rulecat() -> Command {
    Command::cargo_bin("rulecat").expect("binary")
}

/// `compile` of the catalog `cat` into a bundle in `dir`, then `match` of that bundle over
/// the telemetry folder `tel` at 2025-01-01T01:00:00Z, as JSON lines: the bundle and the
/// match run's output.
fn compile_and_match(
    dir: &std::path::Path,
    cat: &std::path::Path,
    tel: &std::path::Path,
) -> (serde_json::Value, std::process::Output) {
    let bundle = dir.join("b.json");
    rulecat()
        .arg("compile")
        .arg(cat)
        .arg("-o")
        .arg(&bundle)
        .assert()
        .success();
    let b = serde_json::from_str(&std::fs::read_to_string(&bundle).unwrap()).unwrap();
    let out = rulecat()
        .args([
            "match",
            "--now",
            "2025-01-01T01:00:00Z",
            "--format",
            "jsonl",
            "--bundle",
        ])
        .arg(&bundle)
        .arg(tel)
        .assert()
        .success()
        .get_output()
        .clone();
    (b, out)
}

const VIP_CSV: &str =
    "UserPrincipalName,Department\nalice@contoso.com,Finance\nbob@contoso.com,IT\n";
const SIGNINS: &str = "{\"TimeGenerated\":\"2025-01-01T00:30:00Z\",\"UserPrincipalName\":\"alice@contoso.com\",\"IPAddress\":\"10.0.0.1\"}\n\
{\"TimeGenerated\":\"2025-01-01T00:40:00Z\",\"UserPrincipalName\":\"carol@contoso.com\",\"IPAddress\":\"10.0.0.2\"}\n\
{\"TimeGenerated\":\"2024-12-30T00:40:00Z\",\"UserPrincipalName\":\"bob@contoso.com\",\"IPAddress\":\"10.0.0.3\"}\n";
const QUERY: &str = "let vips = _GetWatchlist('VIPUsers') | project SearchKey, Department;\n\
SigninLogs\n\
| where TimeGenerated > ago(1h)\n\
| join kind=inner vips on $left.UserPrincipalName == $right.SearchKey\n\
| project TimeGenerated, UserPrincipalName, Department\n";

#[test]
fn query_reads_a_watchlist_from_its_alias_input() {
    let dir = tempfile::tempdir().unwrap();
    let vip = dir.path().join("vip.csv");
    let signins = dir.path().join("s.jsonl");
    std::fs::write(&vip, VIP_CSV).unwrap();
    std::fs::write(&signins, SIGNINS).unwrap();
    let out = rulecat()
        .args([
            "query",
            "-",
            "--now",
            "2025-01-01T01:00:00Z",
            "--format",
            "csv",
        ])
        .arg("--table")
        .arg(format!("VIPUsers={}", vip.display()))
        .arg("--table")
        .arg(format!("SigninLogs={}", signins.display()))
        .write_stdin(QUERY)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "TimeGenerated,UserPrincipalName,Department\n2025-01-01 00:30:00.0000000,alice@contoso.com,Finance\n"
    );
    // Without the watchlist's input: an error naming the input to give.
    let err = rulecat()
        .args(["query", "-", "--table"])
        .arg(format!("SigninLogs={}", signins.display()))
        .write_stdin(QUERY)
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(err).unwrap();
    assert!(err.contains("--table VIPUsers=FILE.csv"), "{err}");
}

#[test]
fn compile_and_match_read_the_watchlist_file() {
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("cat");
    let tel = dir.path().join("tel");
    std::fs::create_dir_all(&cat).unwrap();
    std::fs::create_dir_all(&tel).unwrap();
    let indented: String = QUERY.lines().map(|l| format!("  {l}\n")).collect();
    std::fs::write(
        cat.join("vip.yaml"),
        format!(
            "id: 0b9d8e2a-1111-4c3b-9a61-5d4c1f0e7a11\nname: VIP sign-in\ndescription: Sign-ins by watchlisted users.\nseverity: Medium\nrequiredDataConnectors: []\nqueryFrequency: 1h\nqueryPeriod: 1h\ntriggerOperator: gt\ntriggerThreshold: 0\ntactics:\n  - InitialAccess\nrelevantTechniques:\n  - T1078\nquery: |\n{indented}version: 1.0.0\nkind: Scheduled\n"
        ),
    )
    .unwrap();
    std::fs::write(tel.join("VIPUsers.csv"), VIP_CSV).unwrap();
    std::fs::write(tel.join("SigninLogs.jsonl"), SIGNINS).unwrap();
    let (b, out) = compile_and_match(dir.path(), &cat, &tel);
    assert_eq!(
        b["rules"][0]["tables"],
        serde_json::json!(["SigninLogs", "VIPUsers"])
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "{\"rule\":\"0b9d8e2a-1111-4c3b-9a61-5d4c1f0e7a11\",\"name\":\"VIP sign-in\",\"table\":\"SigninLogs, VIPUsers\",\"row\":{\"TimeGenerated\":\"2025-01-01T00:30:00Z\",\"UserPrincipalName\":\"alice@contoso.com\",\"Department\":\"Finance\"}}\n"
    );
    // The watchlist's rows are not reported as rows of an unknown table.
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("0 of unknown table"), "{err}");
}

/// A function file of the catalog (a Sentinel parser with parameters) runs by its body in
/// `match`: the bundle carries the body and lists the tables it reads.
#[test]
fn compile_and_match_run_catalog_functions() {
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("cat");
    let tel = dir.path().join("tel");
    std::fs::create_dir_all(&cat).unwrap();
    std::fs::create_dir_all(&tel).unwrap();
    std::fs::write(
        cat.join("SigninsOf.yaml"),
        "id: 4a1b2c3d-5e6f-4a7b-8c9d-0e1f2a3b4c5d\nFunction:\n  Title: Parser for sign-ins of one user\n  Version: '1.0.0'\n  LastUpdated: '2026-11-30'\nCategory: Microsoft Sentinel Parser\nFunctionName: SigninsOf\nFunctionAlias: SigninsOf\nFunctionParams:\n  - Name: upn\n    Type: string\n    Default: ''\n  - Name: lookback\n    Type: timespan\n    Default: 1d\nFunctionQuery: |\n  SigninLogs\n  | where TimeGenerated > ago(lookback)\n  | where isempty(upn) or UserPrincipalName =~ upn\n  | project TimeGenerated, UserPrincipalName, IPAddress\n",
    )
    .unwrap();
    let rule = |id: &str, name: &str, query: &str| {
        format!(
            "id: {id}\nname: {name}\ndescription: Uses the SigninsOf parser.\nseverity: Low\nrequiredDataConnectors: []\nqueryFrequency: 1h\nqueryPeriod: 1d\ntriggerOperator: gt\ntriggerThreshold: 0\ntactics:\n  - InitialAccess\nrelevantTechniques:\n  - T1078\nquery: |\n  {query}\nversion: 1.0.0\nkind: Scheduled\n"
        )
    };
    std::fs::write(
        cat.join("one.yaml"),
        rule(
            "1b9d8e2a-1111-4c3b-9a61-5d4c1f0e7a11",
            "One user",
            "SigninsOf('ALICE@contoso.com', 2h) | summarize n = count() by IPAddress",
        ),
    )
    .unwrap();
    std::fs::write(
        cat.join("all.yaml"),
        rule(
            "2b9d8e2a-1111-4c3b-9a61-5d4c1f0e7a11",
            "All users",
            "SigninsOf() | summarize n = count()",
        ),
    )
    .unwrap();
    std::fs::write(tel.join("SigninLogs.jsonl"), SIGNINS).unwrap();
    let (b, out) = compile_and_match(dir.path(), &cat, &tel);
    assert_eq!(b["rules"][0]["tables"], serde_json::json!(["SigninLogs"]));
    assert_eq!(b["rules"][0]["functions"][0]["name"], "SigninsOf");
    // Within 2h, alice (case-insensitive `=~`) once; within the default 1d, alice and
    // carol (bob's sign-in is two days old).
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "{\"rule\":\"1b9d8e2a-1111-4c3b-9a61-5d4c1f0e7a11\",\"name\":\"One user\",\"table\":\"SigninLogs\",\"row\":{\"IPAddress\":\"10.0.0.1\",\"n\":1}}\n\
         {\"rule\":\"2b9d8e2a-1111-4c3b-9a61-5d4c1f0e7a11\",\"name\":\"All users\",\"table\":\"SigninLogs\",\"row\":{\"n\":2}}\n"
    );
}

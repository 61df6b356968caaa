//! The matcher's evaluation of `dcount`, `make_list`, `take_any`, `project`, `not()`,
//! `isempty`/`isnotempty` and numeric `between`, through `rulecat compile` + `rulecat
//! match`, against results computed by hand from the rows below (each row says which
//! rule keeps it and why), not from rulecat's output.

use std::collections::BTreeMap;

use assert_cmd::Command;
use serde_json::{Value, json};

fn rulecat() -> Command {
    Command::cargo_bin("rulecat").expect("binary")
}

fn rule(id: &str, name: &str, query: &str) -> String {
    let q: String = query.lines().map(|l| format!("  {l}\n")).collect();
    format!(
        "id: {id}\nname: {name}\ndescription: |\n  Evaluation test.\nrequiredDataConnectors:\n- connectorId: MicrosoftThreatProtection\n  dataTypes:\n  - DeviceNetworkEvents\ntactics:\n- CommandAndControl\nrelevantTechniques:\n- T1219\nquery: |\n{q}"
    )
}

const AGG_ID: &str = "6f1c2a0e-3d4b-4c5d-8e9f-a0b1c2d3e4f5";
const PROJ_ID: &str = "7a2d3b1f-4e5c-4d6e-9fa0-b1c2d3e4f5a6";

/// Rows (ReportId: what each tests). `A` = the aggregate rule keeps it, `B` = the
/// project rule keeps it.
///  1 d1 a.example.com 443 x.exe           A (443 in 440..445)
///  2 d1 b.example.com 443 x.exe           A
///  3 d1 a.example.com 445 x.exe           A (upper bound inclusive)
///  4 d1 login.microsoft.com 443 x.exe     - (has 'microsoft': not() drops it)
///  5 d2 c.example.com 440 (no process)    A (lower bound inclusive); B drops it: 440 in range
///  6 d2 c.example.com 446 (no process)    - for A (446 > 445); B keeps it
///  7 d2 (no RemoteUrl) 443 (no process)   - for A (isnotempty); B drops it: 443 in range
///  8 d3 d.example.com 439 "" process      - for A (439 < 440); B keeps it ("" is empty)
///  9 d3 microsoftonline.com 443 x.exe     A (`microsoftonline` is one term: no `microsoft`)
const ROWS: &str = r#"{"Timestamp":"2026-11-26T01:00:00Z","DeviceId":"d1","DeviceName":"host1","RemoteUrl":"a.example.com","RemotePort":443,"InitiatingProcessFileName":"x.exe","ReportId":1}
{"Timestamp":"2026-11-26T02:00:00Z","DeviceId":"d1","DeviceName":"host1","RemoteUrl":"b.example.com","RemotePort":443,"InitiatingProcessFileName":"x.exe","ReportId":2}
{"Timestamp":"2026-11-26T03:00:00Z","DeviceId":"d1","DeviceName":"host1","RemoteUrl":"a.example.com","RemotePort":445,"InitiatingProcessFileName":"x.exe","ReportId":3}
{"Timestamp":"2026-11-26T04:00:00Z","DeviceId":"d1","DeviceName":"host1","RemoteUrl":"login.microsoft.com","RemotePort":443,"InitiatingProcessFileName":"x.exe","ReportId":4}
{"Timestamp":"2026-11-26T05:00:00Z","DeviceId":"d2","DeviceName":"host2","RemoteUrl":"c.example.com","RemotePort":440,"ReportId":5}
{"Timestamp":"2026-11-26T06:00:00Z","DeviceId":"d2","DeviceName":"host2","RemoteUrl":"c.example.com","RemotePort":446,"ReportId":6}
{"Timestamp":"2026-11-26T07:00:00Z","DeviceId":"d2","DeviceName":"host2","RemotePort":443,"ReportId":7}
{"Timestamp":"2026-11-26T08:00:00Z","DeviceId":"d3","DeviceName":"host3","RemoteUrl":"d.example.com","RemotePort":439,"InitiatingProcessFileName":"","ReportId":8}
{"Timestamp":"2026-11-26T09:00:00Z","DeviceId":"d3","DeviceName":"host3","RemoteUrl":"microsoftonline.com","RemotePort":443,"InitiatingProcessFileName":"x.exe","ReportId":9}
"#;

/// Result rows per rule id, from `rulecat match --format jsonl`.
fn run() -> BTreeMap<String, Vec<Value>> {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("agg.yaml"),
        rule(
            AGG_ID,
            "Evaluation - aggregates",
            "DeviceNetworkEvents\n| where RemotePort between (440 .. 445)\n| where not(RemoteUrl has 'microsoft')\n| where isnotempty(RemoteUrl)\n| summarize Urls = dcount(RemoteUrl), Ports = make_list(RemotePort), AnyName = take_any(DeviceName), Count = count() by DeviceId",
        ),
    )
    .unwrap();
    std::fs::write(
        rules.join("proj.yaml"),
        rule(
            PROJ_ID,
            "Evaluation - project",
            "DeviceNetworkEvents\n| where isempty(InitiatingProcessFileName)\n| where not(RemotePort between (440 .. 445))\n| project DeviceName, RemoteUrl, RemotePort",
        ),
    )
    .unwrap();
    let bundle = dir.path().join("bundle.json");
    let out = rulecat()
        .args(["compile"])
        .arg(&rules)
        .arg("-o")
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events = dir.path().join("DeviceNetworkEvents.jsonl");
    std::fs::write(&events, ROWS).unwrap();
    let out = rulecat()
        .args(["match", "--bundle"])
        .arg(&bundle)
        .args(["--now", "2026-11-27T00:00:00Z", "--format", "jsonl"])
        .arg(&events)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut by_rule: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        by_rule
            .entry(v["rule"].as_str().unwrap().to_string())
            .or_default()
            .push(v["row"].clone());
    }
    by_rule
}

#[test]
fn aggregates_not_isempty_and_numeric_between() {
    let results = run();
    let mut agg = results.get(AGG_ID).cloned().unwrap_or_default();
    // KQL leaves group order and make_list order undefined: compare groups by DeviceId
    // and the list as a multiset.
    for r in &mut agg {
        if let Some(Value::Array(a)) = r.get_mut("Ports") {
            a.sort_by_key(|v| v.as_i64());
        }
    }
    agg.sort_by_key(|r| r["DeviceId"].as_str().unwrap_or("").to_string());
    assert_eq!(
        agg,
        vec![
            // rows 1, 2, 3: two distinct URLs, the duplicate port kept by make_list
            json!({"DeviceId": "d1", "Urls": 2, "Ports": [443, 443, 445], "AnyName": "host1", "Count": 3}),
            // row 5 only
            json!({"DeviceId": "d2", "Urls": 1, "Ports": [440], "AnyName": "host2", "Count": 1}),
            // row 9 only
            json!({"DeviceId": "d3", "Urls": 1, "Ports": [443], "AnyName": "host3", "Count": 1}),
        ]
    );
}

#[test]
fn project_keeps_its_columns_in_order() {
    let results = run();
    let mut proj = results.get(PROJ_ID).cloned().unwrap_or_default();
    proj.sort_by_key(|r| r["RemotePort"].as_i64());
    assert_eq!(
        proj,
        vec![
            json!({"DeviceName": "host3", "RemoteUrl": "d.example.com", "RemotePort": 439}),
            json!({"DeviceName": "host2", "RemoteUrl": "c.example.com", "RemotePort": 446}),
        ]
    );
    let keys: Vec<&String> = proj[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["DeviceName", "RemoteUrl", "RemotePort"]);
}

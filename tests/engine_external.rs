//! `externaldata` end to end: the engine reads an external source from the local file
//! bound to its URL (`rulecat query --external`, `[external]` in rulecat.toml, `external:`
//! in a rule test, `rulecat match --external`), parsed by the declared schema and the
//! `format` property; without a binding the run names the URL and how to bind it. Also
//! `rulecat query` and `rulecat test` calling the functions rulecat.toml `[workspace]`
//! declares. Expected rows are written by hand.

use std::path::Path;

use assert_cmd::Command;

fn rulecat() -> Command {
    Command::cargo_bin("rulecat").expect("binary")
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, text).unwrap();
    p
}

/// The exit code, standard output and standard error of a finished run.
fn texts(out: std::process::Output) -> (i32, String, String) {
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// `rulecat query` of `q` (written to `dir/q.kql`) from `dir`, as CSV.
fn query(dir: &Path, q: &str, args: &[String]) -> (i32, String, String) {
    let file = write(dir, "q.kql", q);
    texts(
        rulecat()
            .current_dir(dir)
            .arg("query")
            .arg(&file)
            .args(["--format", "csv"])
            .args(args)
            .output()
            .unwrap(),
    )
}

/// `--external URL=FILE`.
fn external(url: &str, file: &str) -> Vec<String> {
    vec!["--external".into(), format!("{url}={file}")]
}

/// `rulecat compile CATALOG -o BUNDLE` from `dir`: whether it succeeded, and its stderr.
fn compile(dir: &Path, catalog: &Path, bundle: &Path) -> (bool, String) {
    let (code, _, err) = texts(
        rulecat()
            .current_dir(dir)
            .arg("compile")
            .arg(catalog)
            .arg("-o")
            .arg(bundle)
            .output()
            .unwrap(),
    );
    (code == 0, err)
}

#[test]
fn csv_with_a_header_and_typed_columns() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "feed.csv",
        "Domain,Score,Seen\nevil.com,5,2026-01-02T03:04:05Z\n\"bad,org\",,nope\nonly.net\n",
    );
    let (code, out, err) = query(
        dir.path(),
        "externaldata (Domain: string, Score: long, Seen: datetime) [@\"https://example.org/feed.csv\"] with (format=\"csv\", ignoreFirstRecord=true)\n| extend Twice = Score * 2",
        &external("https://example.org/feed.csv", "feed.csv"),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "Domain,Score,Seen,Twice\nevil.com,5,2026-01-02 03:04:05.0000000,10\n\"bad,org\",,,\nonly.net,,,\n"
    );
    // Without `ignoreFirstRecord` the header is a record: `Score` is not a number there.
    let (code, out, err) = query(
        dir.path(),
        "externaldata (Domain: string, Score: long) [\"https://example.org/feed.csv\"] | take 1",
        &external("https://example.org/feed.csv", "feed.csv"),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "Domain,Score\nDomain,\n");
}

#[test]
fn json_and_txt_formats() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "iocs.json",
        "[{\"ioc\": \"1.2.3.4\", \"score\": \"7\", \"tags\": [\"c2\"]},\n {\"ioc\": \"5.6.7.8\"}]\n{\"ioc\": \"9.9.9.9\", \"score\": 1.0}\n",
    );
    write(
        dir.path(),
        "list.txt",
        "# a comment\nevil.com\n\nbad.org, with a comma\n",
    );
    let (code, out, err) = query(
        dir.path(),
        "externaldata (ioc: string, score: long, tags: dynamic) [h@'https://example.org/iocs' h'?sig=secret'] with (format='multijson')",
        &external("https://example.org/iocs", "iocs.json"),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "ioc,score,tags\n1.2.3.4,7,\"[\"\"c2\"\"]\"\n5.6.7.8,,\n9.9.9.9,1,\n"
    );
    let (code, out, err) = query(
        dir.path(),
        "externaldata (line: string) ['https://example.org/list.txt'] with (format=txt) | where line !startswith '#'",
        &external("https://example.org/list.txt", "list.txt"),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "line\nevil.com\n\"bad.org, with a comma\"\n");
}

#[test]
fn a_missing_binding_names_the_url_and_how_to_bind_it() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = query(
        dir.path(),
        "let L = externaldata (x: string) [h@'https://example.org/l.csv?sig=secret'];\nprint n = toscalar(L | count)",
        &[],
    );
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert!(err.contains("query:1:35:"), "{err}");
    assert!(
        err.contains("`https://example.org/l.csv` (query string not shown)"),
        "{err}"
    );
    assert!(
        err.contains("--external 'https://example.org/l.csv=PATH'"),
        "{err}"
    );
    assert!(!err.contains("secret"), "{err}");
    // A bound file that is not there.
    let (code, _, err) = query(
        dir.path(),
        "externaldata (x: string) ['https://example.org/l.csv']",
        &external("https://example.org/l.csv", "nope.csv"),
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("is bound to `nope.csv`, which cannot be read"),
        "{err}"
    );
}

#[test]
fn rulecat_toml_binds_urls_and_declares_functions_for_query() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "rulecat.toml",
        "[workspace]\nfunctions = [\"functions\"]\n\n[external]\n\"https://example.org/feed.csv\" = \"data/feed.csv\"\n",
    );
    write(dir.path(), "data/feed.csv", "Domain\nevil.com\n");
    write(
        dir.path(),
        "functions/Feed.kql",
        "// Feed(suffix: string)\nexternaldata (Domain: string) ['https://example.org/feed.csv'] | where Domain endswith suffix\n",
    );
    // Run from another folder: the configuration is found from the query file's folder.
    let elsewhere = tempfile::tempdir().unwrap();
    let q = write(
        dir.path(),
        "q.kql",
        "Feed('.com') | extend n = strlen(Domain)",
    );
    let out = rulecat()
        .current_dir(elsewhere.path())
        .arg("query")
        .arg(&q)
        .args(["--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "Domain,n\nevil.com,8\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const RULE: &str = "id: 6a1f0d52-2f4e-4a52-9d3c-7f0a2b1c9e01\nname: Connections to listed domains\ndescription: Connections to domains of a public block list.\nseverity: Medium\nrequiredDataConnectors: []\nqueryFrequency: 1h\nqueryPeriod: 1h\ntriggerOperator: gt\ntriggerThreshold: 0\ntactics:\n  - CommandAndControl\nrelevantTechniques:\n  - T1071\nquery: |\n  let Blocked = externaldata (Domain: string) [@\"https://example.org/block.txt\"] with (format=\"txt\");\n  DeviceNetworkEvents\n  | where Timestamp > ago(1h)\n  | where RemoteUrl in~ (Blocked)\n  | project DeviceId, RemoteUrl\nversion: 1.0.0\nkind: Scheduled\n";

#[test]
fn lint_compile_and_match_with_and_without_the_binding() {
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("cat");
    write(&cat, "block.yaml", RULE);
    let tel = dir.path().join("tel");
    write(
        &tel,
        "DeviceNetworkEvents.jsonl",
        "{\"Timestamp\":\"2026-01-01T00:30:00Z\",\"DeviceId\":\"d1\",\"RemoteUrl\":\"EVIL.com\"}\n{\"Timestamp\":\"2026-01-01T00:40:00Z\",\"DeviceId\":\"d2\",\"RemoteUrl\":\"good.com\"}\n",
    );
    write(dir.path(), "block.txt", "evil.com\n");
    // The construct compiles: no engine-unsupported finding.
    let lint = rulecat()
        .arg("lint")
        .arg(&cat)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let lint = String::from_utf8(lint.stdout).unwrap();
    assert!(!lint.contains("K0011"), "{lint}");
    let bundle = dir.path().join("b.json");
    let (ok, err) = compile(dir.path(), &cat, &bundle);
    assert!(ok, "{err}");
    assert!(
        err.contains("warning: rule `6a1f0d52-2f4e-4a52-9d3c-7f0a2b1c9e01` reads `externaldata` from `https://example.org/block.txt` with no local file bound"),
        "{err}"
    );
    let b: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&bundle).unwrap()).unwrap();
    assert_eq!(
        b["rules"][0]["external"],
        serde_json::json!(["https://example.org/block.txt"])
    );
    let run = |extra: &[&str]| {
        let out = rulecat()
            .current_dir(dir.path())
            .args([
                "match",
                "--now",
                "2026-01-01T01:00:00Z",
                "--format",
                "jsonl",
            ])
            .arg("--bundle")
            .arg(&bundle)
            .arg(&tel)
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success());
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    // Unbound: the rule is reported not run, never silently empty.
    let (_, err) = run(&[]);
    assert!(
        err.contains("warning: rule `6a1f0d52-2f4e-4a52-9d3c-7f0a2b1c9e01` not run: no local file is bound to the external data it reads: its `externaldata` reads `https://example.org/block.txt`"),
        "{err}"
    );
    let (out, err) = run(&["--external", "https://example.org/block.txt=block.txt"]);
    assert_eq!(
        out,
        "{\"rule\":\"6a1f0d52-2f4e-4a52-9d3c-7f0a2b1c9e01\",\"name\":\"Connections to listed domains\",\"table\":\"DeviceNetworkEvents\",\"row\":{\"DeviceId\":\"d1\",\"RemoteUrl\":\"EVIL.com\"}}\n",
        "{err}"
    );
    // The same binding from rulecat.toml (found from the current folder).
    write(
        dir.path(),
        "rulecat.toml",
        "[external]\n\"https://example.org/block.txt\" = \"block.txt\"\n",
    );
    let (out2, _) = run(&[]);
    assert_eq!(out2, out);
    let (ok, err) = compile(dir.path(), &cat, &bundle);
    assert!(ok, "{err}");
    assert!(!err.contains("no local file bound"), "{err}");
}

#[test]
fn rule_tests_bind_external_data_and_use_workspace_functions() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "rulecat.toml",
        "[workspace]\nfunctions = [\"functions\"]\n",
    );
    write(
        dir.path(),
        "functions/IsListed.kql",
        "// IsListed(d: string)\nd in~ ('evil.com', 'bad.org')\n",
    );
    let rule = RULE.replace(
        "  | where RemoteUrl in~ (Blocked)\n",
        "  | where RemoteUrl in~ (Blocked) and IsListed(RemoteUrl)\n",
    );
    write(dir.path(), "rules/block.yaml", &rule);
    write(dir.path(), "rules/block.txt", "evil.com\nother.org\n");
    write(
        dir.path(),
        "rules/block.tests.yaml",
        "now: 2026-01-01T01:00:00Z\ntests:\n  - name: a listed domain\n    external:\n      https://example.org/block.txt: block.txt\n    tables:\n      DeviceNetworkEvents:\n        - {Timestamp: 2026-01-01T00:30:00Z, DeviceId: d1, RemoteUrl: evil.com}\n        - {Timestamp: 2026-01-01T00:30:00Z, DeviceId: d2, RemoteUrl: other.org}\n    expect:\n      - {DeviceId: d1}\n  - name: without the block list\n    tables:\n      DeviceNetworkEvents:\n        - {Timestamp: 2026-01-01T00:30:00Z, DeviceId: d1, RemoteUrl: evil.com}\n    expect: []\n",
    );
    let out = rulecat()
        .arg("test")
        .arg(dir.path().join("rules"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tests = report["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 2, "{report:#}");
    assert_eq!(tests[0]["status"], "pass", "{report:#}");
    // The second test does not bind the URL: an error naming it, not an empty pass.
    assert_eq!(tests[1]["status"], "error", "{report:#}");
    let msg = tests[1]["message"].as_str().unwrap();
    assert!(msg.contains("rules/block.yaml:15:48:"), "{msg}");
    assert!(msg.contains("https://example.org/block.txt"), "{msg}");
    assert_eq!(out.status.code(), Some(1));
}

//! The lint engine around the lints: --fix/--diff, rulecat.toml, inline suppressions,
//! --baseline (id-changed) and the generated lint docs.

use std::path::Path;

use assert_cmd::cargo::cargo_bin_cmd;

#[macro_use]
mod common;

fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = cargo_bin_cmd!("rulecat")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("rulecat runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A copy of the bundled catalog in a temporary folder.
fn catalog_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("catalog/RemoteManagementMonitoring");
    std::fs::create_dir_all(&sub).unwrap();
    for f in std::fs::read_dir("catalog/RemoteManagementMonitoring").unwrap() {
        let p = f.unwrap().path();
        std::fs::copy(&p, sub.join(p.file_name().unwrap())).unwrap();
    }
    dir
}

fn codes(json: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_string())
        .collect()
}

const ACTION1: &str = "catalog/RemoteManagementMonitoring/rmm_Action1_filesig.yaml";

#[test]
fn fix_corrects_the_misspelling_and_keeps_the_rest() {
    let dir = catalog_copy();
    let before = std::fs::read_to_string(dir.path().join(ACTION1)).unwrap();
    assert!(before.contains("Montioring"));

    let (code, diff, _) = run_in(dir.path(), &["lint", "catalog", "--diff"]);
    assert_eq!(code, 1, "fixes are available");
    assert!(
        diff.contains("-name: Remote Management and Montioring tool - Action1 - File Signature"),
        "{diff}"
    );
    assert!(
        diff.contains("+name: Remote Management and Monitoring tool - Action1 - File Signature"),
        "{diff}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join(ACTION1)).unwrap(),
        before,
        "--diff writes nothing"
    );

    let (_, _, stderr) = run_in(
        dir.path(),
        &["lint", "catalog", "--fix", "--format", "json"],
    );
    assert!(stderr.contains("applied"), "{stderr}");
    let after = std::fs::read_to_string(dir.path().join(ACTION1)).unwrap();
    assert!(
        after.contains("name: Remote Management and Monitoring tool - Action1 - File Signature")
    );
    assert!(!after.contains("Montioring"));
    // Exactly the certain fixes, nothing else: the misspelling, the scalar tactics and
    // techniques as lists, the trailing space.
    let expected = before
        .replace("Montioring", "Monitoring")
        .replace(
            "tactics: CommandAndControl\n",
            "tactics:\n- CommandAndControl\n",
        )
        .replace(
            "relevantTechniques: T1219\n",
            "relevantTechniques:\n- T1219\n",
        )
        .replace("LastSeen=max(Timestamp), \n", "LastSeen=max(Timestamp),\n");
    assert_eq!(after, expected);
    // Nothing fixable is left.
    let (code, diff, _) = run_in(dir.path(), &["lint", "catalog", "--diff"]);
    assert_eq!(code, 0, "{diff}");
}

#[test]
fn config_levels_excludes_and_errors() {
    let dir = catalog_copy();
    let (_, json, _) = run_in(dir.path(), &["lint", "catalog", "--format", "json"]);
    assert!(codes(&json).contains(&"spelling".to_string()));
    std::fs::write(
        dir.path().join("rulecat.toml"),
        "[lints]\nspelling = \"allow\"\noverbroad-signer = \"error\"\n[paths]\nexclude = [\"**/rmm_RemoteUtilities_filesig.yaml\"]\n",
    )
    .unwrap();
    let (code, json, stderr) = run_in(dir.path(), &["lint", "catalog", "--format", "json"]);
    assert_eq!(code, 1, "overbroad-signer is now an error: {stderr}");
    let found = codes(&json);
    assert!(!found.contains(&"spelling".to_string()), "{found:?}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["summary"]["excluded"], 1);
    let ob = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "overbroad-signer")
        .unwrap();
    assert_eq!(ob["severity"], "error");

    // Unknown keys and lints in the configuration are usage errors (exit 2).
    std::fs::write(dir.path().join("rulecat.toml"), "[lintz]\n").unwrap();
    let (code, _, stderr) = run_in(dir.path(), &["lint", "catalog"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown field `lintz`"), "{stderr}");
    std::fs::write(
        dir.path().join("rulecat.toml"),
        "[lints]\nspeling = \"allow\"\n",
    )
    .unwrap();
    let (code, _, stderr) = run_in(dir.path(), &["lint", "catalog"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("did you mean `spelling`"), "{stderr}");
}

#[test]
fn inline_suppressions() {
    let dir = catalog_copy();
    let path = dir
        .path()
        .join("catalog/RemoteManagementMonitoring/rmm_ZohoAssist_filesig.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    // A reasoned suppression on the line before the finding, inside the query.
    let suppressed = text.replace(
        "  | where Signer has 'Zoho'\n",
        "  // rulecat: allow(overbroad-signer) -- every Zoho-signed tool is in scope for this hunt\n  | where Signer has 'Zoho'\n",
    );
    std::fs::write(&path, &suppressed).unwrap();
    let (_, json, _) = run_in(dir.path(), &["lint", "catalog", "--format", "json"]);
    assert!(
        !codes(&json).contains(&"overbroad-signer".to_string()),
        "{json}"
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["summary"]["suppressed"], 1);

    // No reason: invalid, and the finding stays.
    std::fs::write(
        &path,
        text.replace(
            "  | where Signer has 'Zoho'\n",
            "  // rulecat: allow(overbroad-signer)\n  | where Signer has 'Zoho'\n",
        ),
    )
    .unwrap();
    let (code, json, _) = run_in(dir.path(), &["lint", "catalog", "--format", "json"]);
    assert_eq!(code, 1);
    let c = codes(&json);
    assert!(c.contains(&"invalid-suppression".to_string()), "{c:?}");
    assert!(c.contains(&"overbroad-signer".to_string()), "{c:?}");

    // A suppression that suppresses nothing is reported; an unknown lint is invalid.
    std::fs::write(
        &path,
        format!("# rulecat: allow(duplicate-id) -- nothing to hide\n# rulecat: allow(overbroad-signr) -- typo\n{text}"),
    )
    .unwrap();
    let (_, human, _) = run_in(
        dir.path(),
        &[
            "lint",
            "catalog/RemoteManagementMonitoring/rmm_ZohoAssist_filesig.yaml",
            "--color",
            "never",
        ],
    );
    assert!(
        human.contains("warning[A0002]: this suppression suppresses nothing"),
        "{human}"
    );
    assert!(
        human.contains("unknown lint `overbroad-signr` in a suppression"),
        "{human}"
    );
    assert!(
        human.contains("did you mean `overbroad-signer`?"),
        "{human}"
    );
}

#[test]
fn baseline_catches_changed_ids() {
    let dir = catalog_copy();
    let (code, _, stderr) = run_in(dir.path(), &["compile", "catalog", "-o", "baseline.json"]);
    assert_eq!(code, 0, "{stderr}");
    let (_, json, _) = run_in(
        dir.path(),
        &[
            "lint",
            "catalog",
            "--baseline",
            "baseline.json",
            "--format",
            "json",
        ],
    );
    assert!(!codes(&json).contains(&"id-changed".to_string()));

    let path = dir.path().join(ACTION1);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace(
            "1525a733-192f-41f2-96ba-d3f631ca00d0",
            "2525a733-192f-41f2-96ba-d3f631ca00d0",
        ),
    )
    .unwrap();
    let (code, human, _) = run_in(
        dir.path(),
        &[
            "lint",
            "catalog",
            "--baseline",
            "baseline.json",
            "--color",
            "never",
        ],
    );
    assert_eq!(code, 1);
    assert!(human.contains("error[C0004]: the id of `RemoteManagementMonitoring/rmm_Action1_filesig.yaml` changed since the baseline"), "{human}");
    assert!(
        human.contains("was `1525a733-192f-41f2-96ba-d3f631ca00d0`"),
        "{human}"
    );

    let (code, _, stderr) = run_in(
        dir.path(),
        &["lint", "catalog", "--baseline", "missing.json"],
    );
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn lint_docs_are_current() {
    let (code, md, _) = run_in(Path::new("."), &["explain", "--markdown"]);
    assert_eq!(code, 0);
    let committed = std::fs::read_to_string("docs/lints.md").unwrap();
    assert!(
        md == committed,
        "docs/lints.md is stale: run `cargo run -- explain --markdown > docs/lints.md`"
    );
    for c in rulecat::codes::all() {
        assert!(
            md.contains(&format!("\n## {}\n", c.code)),
            "{} missing",
            c.code
        );
    }
}

#[test]
fn explain_a_lint() {
    let (code, text, _) = run_in(Path::new("."), &["explain", "overbroad-signer"]);
    assert_eq!(code, 0);
    snap!("explain_overbroad_signer", text);
}

/// A lint that does not keep syntax trees (the CLI's `lint`: each rule's query tree is
/// dropped and its YAML tree trimmed once its per-rule checks have run) finds exactly what
/// a check that keeps them finds, catalog-wide lints included, in the same order.
#[test]
fn lint_without_trees_finds_the_same() {
    use rulecat::run::{CheckOptions, check};
    let paths = ["catalog", "tests/precision/catalog", "tests/fixtures/lints"];
    let mut codes = std::collections::BTreeSet::new();
    for path in paths {
        let full = check(&CheckOptions::new(vec![path.into()])).unwrap();
        let mut opts = CheckOptions::new(vec![path.into()]);
        opts.keep_trees = false;
        let lean = check(&opts).unwrap();
        assert_eq!(full.analyzed.len(), full.rules.len());
        assert!(lean.analyzed.is_empty());
        assert!(!full.diagnostics.is_empty(), "{path}: no findings");
        assert_eq!(
            format!("{:?}", full.diagnostics),
            format!("{:?}", lean.diagnostics),
            "{path}"
        );
        codes.extend(full.diagnostics.iter().map(|d| d.code.name));
    }
    // The lints whose catalog-wide part reads what the per-rule pass kept all fired.
    for name in [
        "spelling",
        "overbroad-signer",
        "copied-signer",
        "duplicate-id",
        "duplicate-rule",
        "duplicate-name",
    ] {
        assert!(codes.contains(name), "{name} never fired");
    }
}

/// A lint without trees loads the files that may hold the catalog's functions first and
/// lints each other file as it loads it; a function its pre-scan misses (keys spelt with
/// escapes) must still be callable from the rules: the lint then loads everything first.
#[test]
fn lint_without_trees_sees_functions_the_prescan_misses() {
    use rulecat::run::{CheckOptions, check};
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a_fn.yaml"),
        "id: 6f2c1d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f\n\"\\x46unctionName\": MyLookup\n\"\\x46unctionQuery\": |\n  DeviceProcessEvents\n  | project DeviceName, FileName\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b_rule.yaml"),
        "id: 7a3d2e0f-4c5b-4d6e-9f80-1b2c3d4e5f60\nname: Uses the catalog's lookup\ndescription: |\n  Looks up the devices the catalog's lookup lists.\nrequiredDataConnectors: []\ntactics:\n  - Execution\nrelevantTechniques:\n  - T1059\nquery: |\n  MyLookup\n  | where DeviceName == \"host1\"\n",
    )
    .unwrap();
    let full = check(&CheckOptions::new(vec![dir.path().into()])).unwrap();
    let mut opts = CheckOptions::new(vec![dir.path().into()]);
    opts.keep_trees = false;
    let lean = check(&opts).unwrap();
    assert_eq!(
        format!("{:?}", full.diagnostics),
        format!("{:?}", lean.diagnostics)
    );
    assert!(
        lean.diagnostics
            .iter()
            .all(|d| !d.message.contains("MyLookup")),
        "{:?}",
        lean.diagnostics
    );
    // Without the function file the rule's call is reported: the test can fail.
    std::fs::remove_file(dir.path().join("a_fn.yaml")).unwrap();
    let alone = check(&opts).unwrap();
    assert!(
        alone
            .diagnostics
            .iter()
            .any(|d| d.message.contains("MyLookup"))
    );
}

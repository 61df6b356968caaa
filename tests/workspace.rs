//! What a workspace declares in `rulecat.toml` (`tests/fixtures/workspace/`): custom tables,
//! functions and parsers (YAML and `.kql`), watchlists, and the built-in ASIM parsers and
//! `_GetWatchlist`. Unusable workspace files are reported (`tests/fixtures/workspace-broken/`).

use assert_cmd::cargo::cargo_bin_cmd;

#[macro_use]
mod common;

fn lint(path: &str, format: &str) -> String {
    let out = cargo_bin_cmd!("rulecat")
        .env_remove("NO_COLOR")
        .args(["lint", path, "--color", "never", "--format", format])
        .output()
        .expect("rulecat runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn codes(path: &str) -> Vec<(String, String)> {
    let v: serde_json::Value = serde_json::from_str(&lint(path, "json")).unwrap();
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["file"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
                d["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn declared_sources_resolve_and_their_columns_are_checked() {
    // Every source of this rule is declared or built in: no name finding at all.
    let clean = codes("tests/fixtures/workspace/rules/sources_resolve.yaml");
    let names: Vec<&str> = clean.iter().map(|(_, n)| n.as_str()).collect();
    for bad in [
        "unknown-table",
        "unknown-column",
        "undefined-name",
        "undeclared-custom-table",
    ] {
        assert!(!names.contains(&bad), "{bad} in {clean:?}");
    }
    let found = codes("tests/fixtures/workspace/rules/mistakes_found.yaml");
    let count = |n: &str| found.iter().filter(|(_, c)| c == n).count();
    // Country (function result), Title (watchlist), actor_displayName_s (custom table),
    // SrcIpAdr and DnsRespone (ASIM Dns schema).
    assert_eq!(count("unknown-column"), 5, "{found:?}");
    assert_eq!(count("undeclared-custom-table"), 1, "{found:?}");
    assert_eq!(count("unknown-table"), 0, "{found:?}");
    snap!(
        "workspace_mistakes_found",
        lint("tests/fixtures/workspace/rules", "human")
    );
}

#[test]
fn unusable_workspace_files_are_reported() {
    let found = codes("tests/fixtures/workspace-broken/rules");
    let files: Vec<&str> = found
        .iter()
        .filter(|(_, c)| c == "workspace-file")
        .map(|(f, _)| f.as_str())
        .collect();
    assert_eq!(
        files,
        vec![
            "Broken_CL.json",
            "Odd_CL.json",
            "not-a-function.yaml",
            "missing-folder",
            "rulecat.toml"
        ],
        "{found:?}"
    );
    snap!(
        "workspace_broken",
        lint("tests/fixtures/workspace-broken/rules", "human")
    );
}

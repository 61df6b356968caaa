//! `--format sarif` against the official SARIF 2.1.0 JSON schema (tests/sarif/SOURCE.md),
//! with paths that need percent-encoding, and every code as a reporting descriptor.

use std::path::Path;

use assert_cmd::cargo::cargo_bin_cmd;

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sarif/sarif-schema-2.1.0.json"),
    )
    .unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    // The schema declares draft-04, which predates the `uri-reference` format it uses
    // (added in draft-06); evaluated as draft-07 the format is checked. The schema uses no
    // keyword whose meaning differs between the two (no `exclusiveMinimum`/`Maximum`;
    // every `$ref` is local).
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn errors(v: &serde_json::Value) -> Vec<String> {
    schema()
        .iter_errors(v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// A catalog whose folder names need encoding, as upstream Sentinel's do.
fn awkward_catalog() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("Hunting Queries/100% Remote");
    std::fs::create_dir_all(&sub).unwrap();
    for f in std::fs::read_dir(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog/RemoteManagementMonitoring"),
    )
    .unwrap()
    {
        let p = f.unwrap().path();
        std::fs::copy(&p, sub.join(p.file_name().unwrap())).unwrap();
    }
    dir
}

fn sarif_of(dir: &Path, args: &[&str]) -> serde_json::Value {
    let out = cargo_bin_cmd!("rulecat")
        .current_dir(dir)
        .args(["lint", "--format", "sarif"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.code().unwrap() <= 1, "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_validator_rejects_what_it_should() {
    // The format check is on: an unencoded space in a URI is an error.
    let bad = serde_json::json!({
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": { "name": "x" } },
            "results": [{
                "message": { "text": "m" },
                "locations": [{ "physicalLocation": {
                    "artifactLocation": { "uri": "Hunting Queries/a b.yaml" } } }]
            }]
        }]
    });
    assert!(
        !errors(&bad).is_empty(),
        "an unencoded URI must fail the schema"
    );
    let good = serde_json::json!({"version": "2.1.0", "runs": []});
    assert_eq!(errors(&good), Vec::<String>::new());
}

#[test]
fn sarif_output_is_valid_with_encoded_relative_uris() {
    let dir = awkward_catalog();
    let v = sarif_of(dir.path(), &["Hunting Queries"]);
    assert_eq!(errors(&v), Vec::<String>::new());
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        let loc = &r["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(loc["uriBaseId"], "%SRCROOT%", "{r}");
        let uri = loc["uri"].as_str().unwrap();
        assert!(
            uri.starts_with("Hunting%20Queries/100%25%20Remote/rmm_"),
            "{uri}"
        );
    }
    assert!(v["runs"][0]["originalUriBaseIds"]["%SRCROOT%"].is_object());

    // An absolute path outside the working folder: a file:// URI, still valid.
    let other = tempfile::tempdir().unwrap();
    let abs = dir.path().join("Hunting Queries");
    let v = sarif_of(other.path(), &[abs.to_str().unwrap()]);
    assert_eq!(errors(&v), Vec::<String>::new());
    let uri =
        v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
    assert!(uri.starts_with("file:///"), "{uri}");
    assert!(uri.contains("/Hunting%20Queries/100%25%20Remote/"), "{uri}");
}

#[test]
fn every_code_is_a_reporting_descriptor_with_help() {
    let dir = awkward_catalog();
    let v = sarif_of(dir.path(), &["Hunting Queries"]);
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let out = cargo_bin_cmd!("rulecat")
        .args(["explain", "--list"])
        .output()
        .unwrap();
    let listed: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "every code, in code order");
    for r in rules {
        let help = r["help"]["text"].as_str().unwrap();
        assert!(help.contains("rulecat explain"), "{r}");
        assert!(help.len() > 100, "help is the explain text: {r}");
        assert!(!r["help"]["markdown"].as_str().unwrap().is_empty());
        assert!(!r["shortDescription"]["text"].as_str().unwrap().is_empty());
    }
    // ruleIndex points at the result's own descriptor.
    for res in v["runs"][0]["results"].as_array().unwrap() {
        let i = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], res["ruleId"]);
    }
    // A clean run lists them too.
    let clean = sarif_of(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &["tests/fixtures/load/crlf_bom_tabs.yaml"],
    );
    assert_eq!(
        clean["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        rules.len()
    );
    assert_eq!(errors(&clean), Vec::<String>::new());
}

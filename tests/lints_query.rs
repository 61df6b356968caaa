//! The query content lints (spelling and Q codes) on their fixtures in
//! `tests/fixtures/lints/<lint-name>/`: every `fail_*` fixture (a file, or a folder linted
//! as one catalog) is snapshotted in human form into the top-level `snapshots/` folder and
//! must raise the lint; every `pass_*` fixture (also inside sub-folders that carry their
//! own `rulecat.toml`) must raise none. Certain fixes are applied and checked byte for byte.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin_cmd;

#[macro_use]
mod common;

const FIXTURES: &str = "tests/fixtures/lints";

fn rulecat() -> Command {
    let mut c = cargo_bin_cmd!("rulecat");
    c.env_remove("NO_COLOR");
    c
}

fn human(path: &Path) -> String {
    let out = rulecat()
        .args(["lint", path.to_str().unwrap(), "--color", "never"])
        .output()
        .expect("rulecat runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// (line, message) of every diagnostic of `lint` when linting `path`.
fn findings(path: &Path, lint: &str) -> Vec<(u64, String)> {
    let out = rulecat()
        .args(["lint", path.to_str().unwrap(), "--format", "json"])
        .output()
        .expect("rulecat runs");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("JSON from {}: {e}", path.display()));
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["name"] == lint)
        .map(|d| {
            (
                d["line"].as_u64().unwrap(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The help text of every diagnostic of `lint` when linting `path`.
fn findings_help(path: &Path, lint: &str) -> Vec<String> {
    let out = rulecat()
        .args(["lint", path.to_str().unwrap(), "--format", "json"])
        .output()
        .expect("rulecat runs");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["name"] == lint)
        .map(|d| d["help"].as_str().unwrap_or("").to_string())
        .collect()
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn stem(p: &Path) -> String {
    p.file_stem().unwrap().to_string_lossy().into_owned()
}

/// Snapshots every `fail_*` fixture of a lint and checks every `pass_*` fixture is clean.
fn check_lint(lint: &str) {
    let dir = Path::new(FIXTURES).join(lint);
    let mut fails = 0;
    let mut passes = 0;
    for entry in entries(&dir) {
        let name = stem(&entry);
        if name.starts_with("fail_") {
            fails += 1;
            assert!(
                !findings(&entry, lint).is_empty(),
                "{} should raise {lint}",
                entry.display()
            );
            snap!(
                format!("lint_{}_{}", lint.replace('-', "_"), name),
                human(&entry)
            );
        } else if entry.is_dir() {
            // A sub-folder with its own rulecat.toml: its pass_* files must be clean.
            for f in entries(&entry) {
                if stem(&f).starts_with("pass_") {
                    passes += 1;
                    assert_eq!(findings(&f, lint), vec![], "{}", f.display());
                }
            }
        } else if name.starts_with("pass_") {
            passes += 1;
            assert_eq!(findings(&entry, lint), vec![], "{}", entry.display());
        }
    }
    assert!(
        fails > 0 && passes > 0,
        "{lint}: {fails} failing, {passes} passing fixtures"
    );
}

#[test]
fn spelling_fixtures() {
    check_lint("spelling");
}

#[test]
fn overbroad_signer_fixtures() {
    check_lint("overbroad-signer");
}

#[test]
fn duplicate_list_value_fixtures() {
    check_lint("duplicate-list-value");
}

#[test]
fn indicator_shape_fixtures() {
    check_lint("indicator-shape");
}

#[test]
fn title_filter_mismatch_fixtures() {
    check_lint("title-filter-mismatch");
}

#[test]
fn copied_signer_fixtures() {
    check_lint("copied-signer");
}

#[test]
fn foreign_domain_fixtures() {
    check_lint("foreign-domain");
}

#[test]
fn indicator_coverage_fixtures() {
    check_lint("indicator-coverage");
}

/// A misspelling repeated in every file of a catalog is reported once per file (however
/// many rules repeat it), and `--fix` corrects every occurrence, keeping each one's case.
#[test]
fn repeated_misspelling_is_reported_per_file_and_fixed_everywhere() {
    let dir = Path::new(FIXTURES).join("spelling/fail_repeated_catalog");
    let found = findings(&dir, "spelling");
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(
        found
            .iter()
            .all(|(l, m)| *l == 4 && m.contains("`persistance`")),
        "{found:#?}"
    );
    for f in entries(&dir) {
        let after = fixed(&f);
        assert!(after.contains("maintain persistence or"), "{after}");
        assert!(after.contains("Persistence is the goal"), "{after}");
        fixed_is_clean(&after, "spelling");
    }
}

#[test]
fn query_window_fixtures() {
    check_lint("query-window");
}

/// Copies `path` to a scratch folder, runs `rulecat lint --fix` on the copy, and returns
/// the fixed text.
fn fixed(path: &Path) -> String {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join(path.file_name().unwrap());
    std::fs::copy(path, &copy).unwrap();
    rulecat()
        .args(["lint", copy.to_str().unwrap(), "--fix", "--color", "never"])
        .output()
        .expect("rulecat runs");
    std::fs::read_to_string(&copy).unwrap()
}

/// Applies the fixes to a copy and checks the result lints clean for `lint`.
fn fixed_is_clean(fixed: &str, lint: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fixed.yaml");
    std::fs::write(&path, fixed).unwrap();
    assert_eq!(findings(&path, lint), vec![]);
}

#[test]
fn spelling_fix_keeps_case_and_only_touches_the_word() {
    let path = Path::new(FIXTURES).join("spelling/fail_description.yaml");
    let before = std::fs::read_to_string(&path).unwrap();
    let after = fixed(&path);
    // `processe` has two corrections, so it gets no fix.
    let expected = before
        .replace("that recieve commands", "that receive commands")
        .replace("MONTIORING agents", "MONITORING agents");
    assert_eq!(after, expected);

    let path = Path::new(FIXTURES).join("spelling/fail_name.yaml");
    let before = std::fs::read_to_string(&path).unwrap();
    let after = fixed(&path);
    assert_eq!(after, before.replace("Montioring", "Monitoring"));
    fixed_is_clean(&after, "spelling");

    // Inside a quoted scalar, only the word's bytes change.
    let path = Path::new(FIXTURES).join("spelling/fail_quoted_name.yaml");
    let before = std::fs::read_to_string(&path).unwrap();
    let after = fixed(&path);
    assert_eq!(
        after,
        before.replace("'Remote Managment and", "'Remote Management and")
    );
    fixed_is_clean(&after, "spelling");
}

#[test]
fn duplicate_fix_deletes_the_element_and_its_separator() {
    let path = Path::new(FIXTURES).join("duplicate-list-value/fail_in_ci.yaml");
    let before = std::fs::read_to_string(&path).unwrap();
    let after = fixed(&path);
    let expected = before
        .replace(
            "('AnyDesk.exe', 'TeamViewer.exe', 'anydesk.exe', 'rustdesk.exe')",
            "('AnyDesk.exe', 'TeamViewer.exe', 'rustdesk.exe')",
        )
        .replace(
            "('cmd.exe', 'powershell.exe', 'cmd.exe')",
            "('cmd.exe', 'powershell.exe')",
        );
    assert_eq!(after, expected);
    fixed_is_clean(&after, "duplicate-list-value");

    let path = Path::new(FIXTURES).join("duplicate-list-value/fail_has_any_multiline.yaml");
    let before = std::fs::read_to_string(&path).unwrap();
    let after = fixed(&path);
    let expected = before.replace(
        "'bomgarcloud.com',\n      'BeyondTrustCloud.com'\n      )",
        "'bomgarcloud.com'\n      )",
    );
    assert_eq!(after, expected);
    fixed_is_clean(&after, "duplicate-list-value");
}

/// On the bundled catalog, the query content lints find exactly the real upstream
/// problems: the `Montioring` typo (with a fix), Zoho's overbroad signer (with the exact
/// subject), the Zoho domain list's redundant `assist.zoho.com.au` (which
/// `'assist.zoho.com'` already matches) and the Zoho domains the list misses.
#[test]
fn bundled_catalog_findings() {
    let ours = [
        "spelling",
        "overbroad-signer",
        "duplicate-list-value",
        "indicator-shape",
        "title-filter-mismatch",
        "query-window",
        "copied-signer",
        "foreign-domain",
        "indicator-coverage",
    ];
    let catalog = Path::new("catalog");
    let mut found = Vec::new();
    for lint in ours {
        for (line, message) in findings(catalog, lint) {
            found.push((lint, line, message));
        }
    }
    assert_eq!(found.len(), 4, "{found:#?}");
    assert_eq!(found[0].0, "spelling");
    assert_eq!(found[0].1, 2);
    assert!(found[0].2.contains("`Montioring`"), "{}", found[0].2);
    assert_eq!(found[1].0, "overbroad-signer");
    assert_eq!(found[1].1, 20);
    assert!(
        found[1].2.starts_with("`Signer has 'Zoho'`"),
        "{}",
        found[1].2
    );
    let help = findings_help(catalog, "overbroad-signer");
    assert!(
        help[0].contains("Signer == 'ZOHO Corporation Private Limited'"),
        "{help:?}"
    );
    assert_eq!(found[2].0, "indicator-shape");
    assert!(
        found[2].2.contains("`'assist.zoho.com.au'`"),
        "{}",
        found[2].2
    );
    assert_eq!(found[3].0, "indicator-coverage");

    // `--fix` applies every lint's fixes (other lints fix this file's scalar tactics and
    // trailing whitespace too): check the name line.
    let path = catalog.join("RemoteManagementMonitoring/rmm_Action1_filesig.yaml");
    let after = fixed(&path);
    assert!(
        after
            .contains("\nname: Remote Management and Monitoring tool - Action1 - File Signature\n"),
        "{after}"
    );
    assert!(!after.contains("Montioring"), "{after}");
}

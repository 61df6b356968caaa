//! The independent expectation scripts run here, so CI runs them and expectations cannot
//! quietly be regenerated from rulecat's own output:
//! - `tests/telemetry/expected.py`: a stdlib-only Python evaluator of the catalog's rules
//!   over the telemetry fixtures; fails when `tests/telemetry/expected.json` (which
//!   `tests/match_expected.rs` holds the matcher to) differs from what it computes.
//! - `tests/precision/check_manifest.py`: the precision corpus's manifest against its files
//!   and a small reference linter, with the reference facts of `../shared/reference`.
//!
//! Without python3 (3.11+, for tomllib) the tests are skipped with a message locally and
//! fail under `CI=true`; so does a missing `../shared/reference`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// python3 if it runs and is 3.11 or newer; else skip (locally) or fail (CI).
fn python() -> Option<&'static str> {
    let ok = Command::new("python3")
        .args([
            "-c",
            "import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)",
        ])
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return Some("python3");
    }
    let msg = "python3 3.11+ is not available: the independent expectation scripts did not run";
    assert!(!ci(), "{msg} (CI=true)");
    eprintln!("SKIPPED: {msg}");
    None
}

fn run_script(script: &Path, args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg(script)
        .args(args)
        .current_dir(root())
        .output()
        .expect("python3 runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{} failed:\n{text}", script.display());
    text
}

#[test]
fn telemetry_expectations_match_the_python_evaluator() {
    if python().is_none() {
        return;
    }
    let out = run_script(&root().join("tests/telemetry/expected.py"), &[]);
    assert!(out.contains("expected.json matches the fixtures"), "{out}");
}

#[test]
fn precision_manifest_agrees_with_the_reference_linter() {
    if python().is_none() {
        return;
    }
    let reference = root().join("../shared/reference");
    let mut args = Vec::new();
    let shown = reference.to_string_lossy().to_string();
    if reference.join("defender-tables").is_dir() {
        args.extend(["--reference", shown.as_str()]);
    } else {
        let msg = format!(
            "{} is missing: the manifest's table and ATT&CK checks did not run",
            reference.display()
        );
        assert!(!ci(), "{msg} (CI=true)");
        eprintln!("SKIPPED (partly): {msg}");
    }
    let out = run_script(&root().join("tests/precision/check_manifest.py"), &args);
    assert!(out.contains(" 0 errors"), "{out}");
}

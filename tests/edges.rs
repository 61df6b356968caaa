//! Regression tests for the defects a new user hit (issue 12): file modes and symlinks on
//! write, exclude globs, `--deny` saying why, empty inputs, standard input.

use std::path::Path;
use std::process::Stdio;

use assert_cmd::cargo::cargo_bin_cmd;

/// Runs rulecat in `dir` with `stdin` as input; returns (exit code, stdout, stderr).
fn run_with(dir: &Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    let out = cargo_bin_cmd!("rulecat")
        .current_dir(dir)
        .env_remove("SOURCE_DATE_EPOCH")
        .args(args)
        .write_stdin(stdin.as_bytes().to_vec())
        .output()
        .expect("rulecat runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    run_with(dir, args, "")
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

const ACTION1: &str = "catalog/RemoteManagementMonitoring/rmm_Action1_filesig.yaml";
const ZOHO_NET: &str = "catalog/RemoteManagementMonitoring/rmm_ZohoAssist_netconn.yaml";

/// A copy of the bundled catalog in a temporary folder.
fn catalog_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("catalog/RemoteManagementMonitoring");
    std::fs::create_dir_all(&sub).unwrap();
    for f in std::fs::read_dir(repo().join("catalog/RemoteManagementMonitoring")).unwrap() {
        let p = f.unwrap().path();
        std::fs::copy(&p, sub.join(p.file_name().unwrap())).unwrap();
    }
    dir
}

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

// ---- 1. atomic writes keep the mode and write through symlinks ----

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Runs rulecat under `sh` with umask 022.
#[cfg(unix)]
fn run_umask(dir: &Path, args: &[&str]) -> i32 {
    let bin = assert_cmd::cargo::cargo_bin!("rulecat");
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg("umask 022 && exec \"$0\" \"$@\"")
        .arg(bin)
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    status.code().unwrap_or(-1)
}

#[cfg(unix)]
#[test]
fn fix_keeps_mode_and_symlinks_and_outputs_follow_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = catalog_copy();
    // The rule lives elsewhere; the catalog holds a symlink to it.
    let real = dir.path().join("store/action1.yaml");
    std::fs::create_dir_all(real.parent().unwrap()).unwrap();
    std::fs::rename(dir.path().join(ACTION1), &real).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.path().join(ACTION1);
    std::os::unix::fs::symlink("../../store/action1.yaml", &link).unwrap();
    let before = std::fs::read_to_string(&real).unwrap();
    assert!(
        before.contains("Montioring"),
        "the fixture has a fixable typo"
    );

    assert!(run_umask(dir.path(), &["lint", "catalog", "--fix"]) <= 1);
    assert!(
        std::fs::symlink_metadata(&link).unwrap().is_symlink(),
        "the symlink was replaced by a regular file"
    );
    let after = std::fs::read_to_string(&real).unwrap();
    assert!(
        !after.contains("Montioring"),
        "the fix went through the link"
    );
    assert_eq!(mode(&real), 0o640, "the fixed file keeps its mode");

    // New outputs get 0666 less the umask, like any file the user creates.
    for (args, out) in [
        (
            &["lint", "catalog", "--format", "sarif", "-o", "r.sarif"][..],
            "r.sarif",
        ),
        (
            &["compile", "catalog", "-o", "bundle.json"][..],
            "bundle.json",
        ),
    ] {
        let code = run_umask(dir.path(), args);
        assert!(code <= 1, "{args:?}: exit {code}");
        assert_eq!(mode(&dir.path().join(out)), 0o644, "{out}");
    }
    // Overwriting an output keeps the mode it was given.
    std::fs::set_permissions(
        dir.path().join("bundle.json"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    assert_eq!(
        run_umask(dir.path(), &["compile", "catalog", "-o", "bundle.json"]),
        0
    );
    assert_eq!(mode(&dir.path().join("bundle.json")), 0o600);
}

// ---- 2. excludes relative to the catalog root and the config's folder ----

fn with_drafts() -> tempfile::TempDir {
    let dir = catalog_copy();
    let drafts = dir.path().join("catalog/drafts");
    std::fs::create_dir_all(&drafts).unwrap();
    std::fs::copy(dir.path().join(ACTION1), drafts.join("draft.yaml")).unwrap();
    dir
}

fn files_and_excluded(dir: &Path, args: &[&str]) -> (u64, u64) {
    let (code, out, err) = run_in(dir, args);
    assert!(code <= 1, "{args:?}: {err}");
    let v = json(&out);
    (
        v["summary"]["files"].as_u64().unwrap(),
        v["summary"]["excluded"].as_u64().unwrap(),
    )
}

#[test]
fn exclude_globs_are_relative_to_the_catalog_root() {
    let dir = with_drafts();
    let d = dir.path();
    let base = ["lint", "catalog", "--format", "json"];
    assert_eq!(files_and_excluded(d, &base), (5, 0));
    for glob in [
        "drafts/**",
        "drafts",
        "drafts/",
        "./drafts/*.yaml",
        "**/draft.yaml",
    ] {
        let mut args = base.to_vec();
        args.extend(["--exclude", glob]);
        assert_eq!(files_and_excluded(d, &args), (4, 1), "--exclude {glob}");
    }
    // The path as given still works (`catalog/drafts/**` from the working folder).
    let mut args = base.to_vec();
    args.extend(["--exclude", "catalog/drafts/**"]);
    assert_eq!(files_and_excluded(d, &args), (4, 1));
    // A glob that names another folder excludes nothing.
    let mut args = base.to_vec();
    args.extend(["--exclude", "rafts/**"]);
    assert_eq!(files_and_excluded(d, &args), (5, 0));
}

#[test]
fn config_excludes_are_relative_to_the_config_folder() {
    let dir = with_drafts();
    let d = dir.path();
    std::fs::write(
        d.join("catalog/rulecat.toml"),
        "[paths]\nexclude = [\"drafts/**\"]\n",
    )
    .unwrap();
    assert_eq!(
        files_and_excluded(d, &["lint", "catalog", "--format", "json"]),
        (4, 1)
    );
    // Linting from inside the catalog, or only the drafts folder, gives the same answer.
    assert_eq!(
        files_and_excluded(&d.join("catalog"), &["lint", ".", "--format", "json"]),
        (4, 1)
    );
    // At the repository root, the same glob means `<root>/drafts/**`: not the catalog's.
    std::fs::rename(d.join("catalog/rulecat.toml"), d.join("rulecat.toml")).unwrap();
    assert_eq!(
        files_and_excluded(d, &["lint", "catalog", "--format", "json"]),
        (5, 0)
    );
    std::fs::write(
        d.join("rulecat.toml"),
        "[paths]\nexclude = [\"catalog/drafts/**\"]\n",
    )
    .unwrap();
    assert_eq!(
        files_and_excluded(d, &["lint", "catalog", "--format", "json"]),
        (4, 1)
    );
}

#[test]
fn explicit_files_obey_excludes_with_force_exclude() {
    let dir = with_drafts();
    let d = dir.path();
    std::fs::write(
        d.join("catalog/rulecat.toml"),
        "[paths]\nexclude = [\"drafts/**\"]\n",
    )
    .unwrap();
    let draft = "catalog/drafts/draft.yaml";
    // As pre-commit passes files: each named explicitly.
    let args = ["lint", "--format", "json", ACTION1, draft];
    assert_eq!(
        files_and_excluded(d, &args),
        (2, 0),
        "named files are checked"
    );
    let mut forced = args.to_vec();
    forced.push("--force-exclude");
    assert_eq!(files_and_excluded(d, &forced), (1, 1));
    let mut undone = forced.clone();
    undone.push("--no-force-exclude");
    assert_eq!(files_and_excluded(d, &undone), (2, 0));
    // `--exclude` on the command line too.
    assert_eq!(
        files_and_excluded(
            d,
            &[
                "lint",
                "--format",
                "json",
                "--force-exclude",
                "--exclude",
                "drafts",
                ACTION1,
                draft
            ]
        ),
        (1, 1)
    );
    // `[paths] force-exclude = true` in the configuration.
    std::fs::write(
        d.join("catalog/rulecat.toml"),
        "[paths]\nexclude = [\"drafts/**\"]\nforce-exclude = true\n",
    )
    .unwrap();
    assert_eq!(files_and_excluded(d, &args), (1, 1));
    // Every named file excluded: a warning, not a failure.
    let (code, _, err) = run_in(d, &["lint", draft]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("excluded"), "{err}");
}

// ---- 4. --deny says why ----

#[test]
fn deny_warnings_says_why() {
    let d = repo();
    let (code, out, _) = run_in(d, &["lint", ACTION1, "--color", "never"]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("--deny"), "{out}");
    let (code, out, _) = run_in(
        d,
        &["lint", ACTION1, "--color", "never", "--deny", "warnings"],
    );
    assert_eq!(code, 1);
    let last = out.lines().last().unwrap();
    assert!(
        last.ends_with("; failed: --deny warnings: 1 warning fails the run"),
        "{last}"
    );
    let (code, out, _) = run_in(
        d,
        &["lint", ZOHO_NET, "--format", "github", "--deny", "notes"],
    );
    assert_eq!(code, 1);
    assert!(
        out.lines()
            .any(|l| l.starts_with("::error title=rulecat::--deny notes: ")
                && l.ends_with("fail the run")),
        "{out}"
    );
    // With -o, the summary on stderr says it too.
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("r.sarif");
    let (code, _, err) = run_in(
        d,
        &[
            "lint",
            ACTION1,
            "--deny",
            "warnings",
            "--format",
            "sarif",
            "-o",
            sarif.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1);
    assert!(err.contains("failed: --deny warnings"), "{err}");
}

// ---- 5. empty and silent inputs ----

#[test]
fn nothing_found_is_a_usage_error_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    std::fs::write(dir.path().join("empty/notes.txt"), "not a rule").unwrap();
    let d = dir.path();
    let (code, _, err) = run_in(d, &["lint", "empty"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("no rule files (.yaml/.yml) found in `empty`"),
        "{err}"
    );
    assert!(err.contains("--allow-empty"), "{err}");
    let (code, _, err) = run_in(d, &["lint", "empty", "--allow-empty"]);
    assert_eq!(code, 0, "{err}");
    // compile does not write an empty bundle.
    let (code, out, err) = run_in(d, &["compile", "empty", "-o", "bundle.json"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("no rule files"), "{err}");
    assert!(!d.join("bundle.json").exists());
}

#[test]
fn dev_stdin_and_dash_read_standard_input() {
    let rule = std::fs::read_to_string(repo().join(ACTION1)).unwrap();
    let d = repo();
    for args in [
        &["lint", "/dev/stdin", "--format", "json"][..],
        &["lint", "-", "--format", "json"][..],
    ] {
        let (code, out, err) = run_with(d, args, &rule);
        assert!(code <= 1, "{args:?}: {err}");
        let v = json(&out);
        assert_eq!(v["summary"]["files"], 1, "{args:?}");
        assert_eq!(v["summary"]["rules"], 1, "{args:?}");
        assert!(
            v["diagnostics"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["name"] == "spelling"),
            "{out}"
        );
    }
    // --stdin-filename: messages name the file, and rulecat.toml is found from it.
    let dir = catalog_copy();
    std::fs::write(
        dir.path().join("catalog/rulecat.toml"),
        "[lints]\nspelling = \"allow\"\n",
    )
    .unwrap();
    let (code, out, err) = run_with(
        dir.path(),
        &["lint", "-", "--stdin-filename", ACTION1, "--format", "json"],
        &rule,
    );
    assert!(code <= 1, "{err}");
    let v = json(&out);
    let diags = v["diagnostics"].as_array().unwrap();
    assert!(!diags.is_empty());
    assert!(diags.iter().all(|d| d["file"] == ACTION1), "{out}");
    assert!(
        diags.iter().all(|d| d["name"] != "spelling"),
        "config found from --stdin-filename: {out}"
    );
    // ...and excludes apply to it with --force-exclude (ruff's convention).
    let (code, out, err) = run_with(
        dir.path(),
        &[
            "lint",
            "-",
            "--stdin-filename",
            ACTION1,
            "--format",
            "json",
            "--force-exclude",
            "--exclude",
            "*Action1*",
        ],
        &rule,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(json(&out)["summary"]["excluded"], 1);
    // Usage errors.
    let (code, _, err) = run_with(d, &["lint", "-", "catalog"], &rule);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run_with(d, &["lint", "--stdin-filename", "x.yaml", "catalog"], "");
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run_with(d, &["lint", "-", "--fix"], &rule);
    assert_eq!(code, 2, "{err}");
}

// ---- 5, 9. SOURCE_DATE_EPOCH: rejected when malformed, checked arithmetic ----

#[test]
fn source_date_epoch_is_validated() {
    let d = repo();
    for bad in [
        "abc",
        "-1",
        "1.5",
        "99999999999999999",
        "9223372036854775807",
        "253402300800",
    ] {
        let out = cargo_bin_cmd!("rulecat")
            .current_dir(d)
            .env("SOURCE_DATE_EPOCH", bad)
            .args(["compile", "catalog"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {err}");
        assert!(
            err.contains(&format!("SOURCE_DATE_EPOCH `{bad}` is not a time")),
            "{bad}: {err}"
        );
        assert!(out.stdout.is_empty(), "{bad}: nothing is written");
    }
    for (good, created) in [
        ("0", "1970-01-01T00:00:00Z"),
        (" 1767225600 ", "2026-01-01T00:00:00Z"),
        ("253402300799", "9999-12-31T23:59:59Z"),
    ] {
        let out = cargo_bin_cmd!("rulecat")
            .current_dir(d)
            .env("SOURCE_DATE_EPOCH", good)
            .args(["compile", "catalog"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{good}: {out:?}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["created"], created, "{good}");
    }
    // Empty means unset.
    let out = cargo_bin_cmd!("rulecat")
        .current_dir(d)
        .env("SOURCE_DATE_EPOCH", "")
        .args(["compile", "catalog"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.get("created").is_none());
}

// ---- 8. a bundle with a dangling reference is rejected, not a panic ----

fn tamper(bundle: &mut serde_json::Value, what: &str) {
    /// The JSON pointer of the first indicator reference under `p`.
    fn first_indicator(p: &serde_json::Value, at: String) -> Option<String> {
        if p.get("indicator").is_some() {
            return Some(format!("{at}/indicator"));
        }
        for k in ["all", "any"] {
            if let Some(v) = p.get(k).and_then(|v| v.as_array()) {
                for (i, q) in v.iter().enumerate() {
                    if let Some(found) = first_indicator(q, format!("{at}/{k}/{i}")) {
                        return Some(found);
                    }
                }
            }
        }
        p.get("not")
            .and_then(|q| first_indicator(q, format!("{at}/not")))
    }
    match what {
        "predicate" => {
            let at = "/rules/0/logic/predicate".to_string();
            let ptr = first_indicator(bundle.pointer(&at).unwrap(), at).unwrap();
            *bundle.pointer_mut(&ptr).unwrap() = serde_json::json!(100_000);
        }
        "id" => bundle["indicators"][1]["id"] = serde_json::json!(7),
        "rule" => bundle["indicators"][0]["rules"] = serde_json::json!(["no-such-rule"]),
        _ => unreachable!(),
    }
}

#[test]
fn bundles_with_dangling_references_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (code, _, err) = run_in(
        repo(),
        &[
            "compile",
            "catalog",
            "-o",
            d.join("bundle.json").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let good: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("bundle.json")).unwrap()).unwrap();
    let telemetry = repo().join("tests/telemetry/sample");
    for (what, expect) in [
        (
            "predicate",
            "refers to indicator 100000 at rules[0].logic.predicate",
        ),
        ("id", "indicators[1] has id 7"),
        ("rule", "used by rule `no-such-rule`"),
    ] {
        let mut b = good.clone();
        tamper(&mut b, what);
        let path = d.join(format!("{what}.json"));
        std::fs::write(&path, serde_json::to_string(&b).unwrap()).unwrap();
        let (code, _, err) = run_in(
            repo(),
            &[
                "match",
                "--bundle",
                path.to_str().unwrap(),
                "--now",
                "2026-11-27T00:00:00Z",
                telemetry.to_str().unwrap(),
            ],
        );
        assert_eq!(code, 2, "{what}: {err}");
        assert!(err.contains("is not a valid bundle"), "{what}: {err}");
        assert!(err.contains(expect), "{what}: {err}");
        assert!(!err.contains("panicked"), "{what}: {err}");
        // --baseline reads bundles the same way.
        let (code, _, err) = run_in(
            repo(),
            &["lint", "catalog", "--baseline", path.to_str().unwrap()],
        );
        assert_eq!(code, 2, "{what}: {err}");
    }
}

// ---- 5. match: unknown --table, everything outside the window, and stdin ----

fn bundle_in(dir: &Path) -> String {
    let path = dir.join("bundle.json");
    let (code, _, err) = run_in(
        repo(),
        &["compile", "catalog", "-o", path.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    path.to_str().unwrap().to_string()
}

#[test]
fn match_names_unknown_tables_and_explains_empty_windows() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = bundle_in(dir.path());
    let sample = "tests/telemetry/sample/";
    let (code, _, err) = run_in(
        repo(),
        &[
            "match",
            "--bundle",
            &bundle,
            "--table",
            "DeviceFileCertInfo",
            sample,
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--table `DeviceFileCertInfo` is not a known table; did you mean `DeviceFileCertificateInfo`?"),
        "{err}"
    );
    // The sample telemetry is from November 2026: a `now` a year later excludes it all.
    let (code, _, err) = run_in(
        repo(),
        &[
            "match",
            "--bundle",
            &bundle,
            "--now",
            "2027-11-27T00:00:00Z",
            sample,
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("note: 4 rules returned nothing: all 606 rows of DeviceFileCertificateInfo, DeviceNetworkEvents fell outside their time windows (now = 2027-11-27T00:00:00Z)"),
        "{err}"
    );
    assert!(err.contains("pass --now"), "{err}");
    let (code, _, err) = run_in(
        repo(),
        &[
            "match",
            "--bundle",
            &bundle,
            "--now",
            "2026-11-27T00:00:00Z",
            sample,
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("outside"), "{err}");
}

#[test]
fn match_reads_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = bundle_in(dir.path());
    let now = "2026-11-27T00:00:00Z";
    for (file, table) in [
        ("DeviceNetworkEvents.jsonl", "DeviceNetworkEvents"),
        (
            "DeviceFileCertificateInfo.jsonl",
            "DeviceFileCertificateInfo",
        ),
    ] {
        let path = repo().join("tests/telemetry/sample").join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let from_file = run_in(
            repo(),
            &[
                "match",
                "--bundle",
                &bundle,
                "--now",
                now,
                "--format",
                "jsonl",
                path.to_str().unwrap(),
            ],
        );
        let from_stdin = run_with(
            repo(),
            &[
                "match", "--bundle", &bundle, "--now", now, "--format", "jsonl", "--table", table,
                "-",
            ],
            &text,
        );
        assert_eq!(from_stdin.0, 0, "{}", from_stdin.2);
        assert!(!from_file.1.is_empty());
        assert_eq!(from_file.1, from_stdin.1, "{file}");
    }
    // CSV on standard input.
    let csv = "Timestamp,DeviceId,DeviceName,RemoteUrl,InitiatingProcessVersionInfoCompanyName,InitiatingProcessVersionInfoProductName,ReportId\n\
               2026-11-26T10:00:00Z,d1,host1,https://assist.zoho.com/x,Zoho Corporation,Zoho Assist,7\n";
    let (code, out, err) = run_with(
        repo(),
        &[
            "match",
            "--bundle",
            &bundle,
            "--now",
            now,
            "--format",
            "jsonl",
            "--table",
            "DeviceNetworkEvents",
            "-",
        ],
        csv,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("host1"), "{out}{err}");
}

// ---- 7. no follow-on findings after a syntax error ----

fn lint_codes(path: &str) -> Vec<String> {
    let (_, out, err) = run_in(repo(), &["lint", path, "--format", "json"]);
    json(
        &format!("{out}{err}")
            .lines()
            .next()
            .map(|_| out.clone())
            .unwrap(),
    )["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn syntax_errors_do_not_cause_follow_on_findings() {
    // The use of `lookback` is in the statement the parser skipped.
    assert_eq!(
        lint_codes("tests/fixtures/edges/syntax_error_hides_let_use.yaml"),
        ["K0001"]
    );
    // The `let` itself did not parse: its later use is not an unknown column.
    assert_eq!(
        lint_codes("tests/fixtures/edges/broken_let_then_use.yaml"),
        ["K0001"]
    );
    // A let that is really unused is still reported next to the syntax error.
    let mut codes = lint_codes("tests/fixtures/edges/syntax_error_and_unused_let.yaml");
    codes.sort();
    assert_eq!(codes, ["K0001", "K0005"]);
}

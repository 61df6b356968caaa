//! The pre-commit hooks (`.pre-commit-hooks.yaml`) and the GitHub Action (`action.yml`)
//! work as documented: the hook entries run on a fake catalog the way pre-commit runs them,
//! and the Action's steps run in a dry run (the install step replaced by the built binary,
//! the SARIF upload stubbed), for a failing and a clean catalog. Also: `cargo install`
//! installs only `rulecat`, completions and man pages generate.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bin() -> PathBuf {
    PathBuf::from(assert_cmd::cargo::cargo_bin!("rulecat"))
}

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(repo().join(path)).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

const ACTION1: &str = "catalog/RemoteManagementMonitoring/rmm_Action1_filesig.yaml";

/// A repository with a catalog (the bundled one), a draft excluded by rulecat.toml, a
/// rule with an error, a copy of a rule under another name (a duplicate id), and YAML
/// that is not a rule outside the catalog.
fn fake_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sub = d.join("catalog/RemoteManagementMonitoring");
    std::fs::create_dir_all(&sub).unwrap();
    for f in std::fs::read_dir(repo().join("catalog/RemoteManagementMonitoring")).unwrap() {
        let p = f.unwrap().path();
        // Rule files and their tests files (not the tests' data folder).
        if p.is_file() {
            std::fs::copy(&p, sub.join(p.file_name().unwrap())).unwrap();
        }
    }
    std::fs::create_dir_all(d.join("catalog/drafts")).unwrap();
    std::fs::write(d.join("catalog/drafts/wip.yaml"), "name: [unfinished\n").unwrap();
    std::fs::write(
        d.join("catalog/rulecat.toml"),
        "[paths]\nexclude = [\"drafts/**\"]\n",
    )
    .unwrap();
    std::fs::create_dir_all(d.join(".github/workflows")).unwrap();
    std::fs::write(d.join(".github/workflows/ci.yml"), "on: push\n").unwrap();
    dir
}

fn files_under(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in walk(root) {
        out.push(
            e.strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/"),
        );
    }
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn hook(id: &str) -> Value {
    let hooks = yaml(".pre-commit-hooks.yaml");
    hooks
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == id)
        .unwrap_or_else(|| panic!("no hook {id}"))
        .clone()
}

/// Runs a hook as pre-commit does: `entry` split on spaces, then `args`, then the files
/// that match `files` (unless `pass_filenames: false`). Returns (exit code, output).
fn run_hook(h: &Value, root: &Path, staged: &[String]) -> (i32, String) {
    assert_eq!(h["language"], "rust");
    let entry: Vec<&str> = h["entry"].as_str().unwrap().split_whitespace().collect();
    assert_eq!(entry[0], "rulecat", "the installed binary is `rulecat`");
    let files_re = regex::Regex::new(h["files"].as_str().unwrap()).unwrap();
    let exclude_re = h["exclude"].as_str().map(|e| regex::Regex::new(e).unwrap());
    let mut cmd = Command::new(bin());
    cmd.current_dir(root).args(&entry[1..]);
    if let Some(args) = h["args"].as_array() {
        cmd.args(args.iter().map(|a| a.as_str().unwrap()));
    }
    if h["pass_filenames"] != false {
        cmd.args(staged.iter().filter(|f| {
            files_re.is_match(f) && !exclude_re.as_ref().is_some_and(|e| e.is_match(f))
        }));
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn pre_commit_hooks_run_on_a_fake_catalog() {
    let dir = fake_repo();
    let d = dir.path();
    let all = files_under(d);
    let per_file = hook("rulecat");
    assert_eq!(per_file["require_serial"], true);
    let re = regex::Regex::new(per_file["files"].as_str().unwrap()).unwrap();
    assert!(re.is_match(ACTION1));
    assert!(!re.is_match(".github/workflows/ci.yml"), "only rule files");
    assert!(!re.is_match("catalog/rulecat.toml"));

    // Every file staged: the draft is excluded by rulecat.toml although pre-commit names
    // it (--force-exclude), the workflow file is not passed; the bundled catalog is clean.
    let (code, out) = run_hook(&per_file, d, &all);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("in 4 files (1 excluded)"), "{out}");
    assert!(!out.contains("wip.yaml"), "{out}");

    // A broken rule fails the commit and is named.
    std::fs::write(
        d.join("catalog/RemoteManagementMonitoring/broken.yaml"),
        "id: x\nname: [\n",
    )
    .unwrap();
    let staged = vec!["catalog/RemoteManagementMonitoring/broken.yaml".to_string()];
    let (code, out) = run_hook(&per_file, d, &staged);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("broken.yaml"), "{out}");
    std::fs::remove_file(d.join("catalog/RemoteManagementMonitoring/broken.yaml")).unwrap();

    // A copy of a rule staged alone: the per-file hook cannot see the clash, the
    // catalog hook does (the documented split).
    let copy = std::fs::read_to_string(d.join(ACTION1))
        .unwrap()
        .replace("name: Remote Management", "name: Another Remote Management");
    std::fs::write(d.join("catalog/RemoteManagementMonitoring/copy.yaml"), copy).unwrap();
    let staged = vec!["catalog/RemoteManagementMonitoring/copy.yaml".to_string()];
    let (_, out) = run_hook(&per_file, d, &staged);
    assert!(!out.contains("duplicate-id"), "{out}");
    let whole = hook("rulecat-catalog");
    assert_eq!(whole["pass_filenames"], false);
    let (code, out) = run_hook(&whole, d, &staged);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("C0001"), "duplicate id across files: {out}");
}

/// Evaluates the `${{ ... }}` expressions the Action uses; any other is a test failure,
/// so the Action cannot depend on something this dry run does not model.
fn expand(text: &str, ctx: &BTreeMap<String, String>) -> String {
    let re = regex::Regex::new(r"\$\{\{\s*(.+?)\s*\}\}").unwrap();
    re.replace_all(text, |c: &regex::Captures<'_>| {
        let key = &c[1];
        match ctx.get(key) {
            Some(v) => v.clone(),
            None if key.starts_with("steps.") => String::new(),
            None => panic!("the dry run does not model `{key}`"),
        }
    })
    .into_owned()
}

struct ActionRun {
    /// Step id → exit code (None: not run).
    codes: BTreeMap<String, Option<i32>>,
    output: String,
    uploaded: Option<Value>,
    /// The fake `curl` and `cargo` calls of the install step, one a line.
    calls: Vec<String>,
}

/// The runner the dry run pretends to be, and what its fake network serves.
struct Runner<'a> {
    os: &'a str,
    arch: &'a str,
    /// `github.action_ref`: how the workflow named the Action (`main`, `v0.1.0`).
    action_ref: &'a str,
    /// A folder the fake `curl` serves: `https://H/P` is `releases/H/P`.
    releases: Option<&'a Path>,
    /// Stop after this step.
    stop_after: Option<&'a str>,
}

const LINUX: Runner<'static> = Runner {
    os: "Linux",
    arch: "X64",
    action_ref: "main",
    releases: None,
    stop_after: None,
};

/// A fake `curl` (serves `$FAKE_RELEASES/<url without https://>`, else fails as curl
/// --fail does on a 404) and a fake `cargo` (`cargo install --root R` puts the binary
/// under test in R/bin); both log their calls to `$FAKE_LOG`.
fn fake_tools(dir: &Path) {
    let curl = r#"#!/usr/bin/env bash
out=""; url=""
while [ $# -gt 0 ]; do
  case "$1" in
    -o|--output|--retry) [ "$1" = --retry ] || out="$2"; shift 2 ;;
    -*) shift ;;
    *) url="$1"; shift ;;
  esac
done
echo "curl $url" >> "$FAKE_LOG"
file="$FAKE_RELEASES/${url#https://}"
if [ -n "$FAKE_RELEASES" ] && [ -f "$file" ]; then cp "$file" "$out"; exit 0; fi
echo "curl: (22) The requested URL returned error: 404" >&2
exit 22
"#;
    let cargo = r#"#!/usr/bin/env bash
echo "cargo $*" >> "$FAKE_LOG"
root=""
while [ $# -gt 0 ]; do
  case "$1" in --root) root="$2"; shift 2 ;; *) shift ;; esac
done
mkdir -p "$root/bin" && ln -sf "$FAKE_BUILT" "$root/bin/rulecat"
"#;
    for (name, text) in [("curl", curl), ("cargo", cargo)] {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
}

/// Runs one `run:` step as the runner does (bash -eo pipefail, the step's env expanded);
/// returns its exit code and the outputs it wrote to `$GITHUB_OUTPUT`.
fn run_step(
    step: &Value,
    ctx: &BTreeMap<String, String>,
    dir: &Path,
    env: &[(&str, String)],
    output: &mut String,
) -> (i32, Vec<(String, String)>) {
    assert_eq!(step["shell"], "bash");
    let scratch = tempfile::tempdir().unwrap();
    let output_file = scratch.path().join("output");
    std::fs::write(&output_file, "").unwrap();
    let script = expand(step["run"].as_str().unwrap(), ctx);
    let mut cmd = Command::new("bash");
    cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &script])
        .current_dir(dir)
        .env("GITHUB_OUTPUT", &output_file);
    for (k, v) in env {
        cmd.env(k, v);
    }
    if let Some(env) = step["env"].as_object() {
        for (k, v) in env {
            cmd.env(k, expand(v.as_str().unwrap(), ctx));
        }
    }
    let out = cmd.output().unwrap();
    output.push_str(&String::from_utf8_lossy(&out.stdout));
    output.push_str(&String::from_utf8_lossy(&out.stderr));
    let outputs = std::fs::read_to_string(&output_file)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    (out.status.code().unwrap_or(-1), outputs)
}

/// Runs action.yml's steps in `workspace` with the default runner (Linux x64, the Action
/// used at `main`, so it builds: the fake cargo installs the binary under test).
fn dry_run(workspace: &Path, inputs: &[(&str, &str)]) -> ActionRun {
    dry_run_on(workspace, inputs, &LINUX)
}

/// Runs action.yml's steps in `workspace`, all of them for real (bash, as the runner
/// does) but for `curl` and `cargo`, which are faked (see `fake_tools`), and the `uses:`
/// steps, which are stubbed (the upload records the SARIF it would send). Folders the
/// steps add to `$GITHUB_PATH` are on PATH for the following steps, as on a runner; the
/// binary under test is not, so the lint runs the binary the install step installed.
fn dry_run_on(workspace: &Path, inputs: &[(&str, &str)], runner: &Runner<'_>) -> ActionRun {
    let action = yaml("action.yml");
    assert_eq!(action["runs"]["using"], "composite");
    let temp = tempfile::tempdir().unwrap();
    let tools = temp.path().join("fake-tools");
    std::fs::create_dir_all(&tools).unwrap();
    fake_tools(&tools);
    let log = temp.path().join("calls.log");
    std::fs::write(&log, "").unwrap();
    let github_path = temp.path().join("github-path");
    std::fs::write(&github_path, "").unwrap();
    let mut ctx: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in action["inputs"].as_object().unwrap() {
        let default = v["default"].as_str().unwrap_or("").to_string();
        ctx.insert(format!("inputs.{k}"), default);
    }
    for (k, v) in inputs {
        assert!(ctx.contains_key(&format!("inputs.{k}")), "no input {k}");
        ctx.insert(format!("inputs.{k}"), v.to_string());
    }
    for (k, v) in [
        ("github.action_path", repo().to_string_lossy().into_owned()),
        ("github.action_ref", runner.action_ref.to_string()),
        ("runner.temp", temp.path().to_string_lossy().into_owned()),
        ("runner.os", runner.os.to_string()),
        ("runner.arch", runner.arch.to_string()),
    ] {
        ctx.insert(k.into(), v);
    }
    let system_path = std::env::var("PATH").unwrap_or_default();
    let releases = runner
        .releases
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut run = ActionRun {
        codes: BTreeMap::new(),
        output: String::new(),
        uploaded: None,
        calls: Vec::new(),
    };
    let mut failed = false;
    for step in action["runs"]["steps"].as_array().unwrap() {
        let id = step["id"]
            .as_str()
            .expect("every step has an id")
            .to_string();
        let cond = step["if"].as_str().unwrap_or("");
        let always = cond.contains("always()");
        if failed && !always {
            run.codes.insert(id, None);
            continue;
        }
        if let Some(uses) = step["uses"].as_str() {
            assert!(
                uses.starts_with("github/codeql-action/upload-sarif@"),
                "{uses}"
            );
            assert!(always, "the upload runs even when the lint fails: {cond}");
            let sarif = expand(step["with"]["sarif_file"].as_str().unwrap(), &ctx);
            let text = std::fs::read_to_string(workspace.join(&sarif))
                .unwrap_or_else(|e| panic!("no SARIF to upload at {sarif}: {e}"));
            run.uploaded = Some(serde_json::from_str(&text).unwrap());
            run.codes.insert(id, Some(0));
            continue;
        }
        // As on a runner: what earlier steps added to $GITHUB_PATH comes first.
        let mut path: Vec<String> = std::fs::read_to_string(&github_path)
            .unwrap()
            .lines()
            .rev()
            .map(str::to_string)
            .collect();
        path.push(tools.to_string_lossy().into_owned());
        path.push(system_path.clone());
        let env = [
            ("PATH", path.join(":")),
            ("GITHUB_PATH", github_path.to_string_lossy().into_owned()),
            ("FAKE_LOG", log.to_string_lossy().into_owned()),
            ("FAKE_RELEASES", releases.clone()),
            ("FAKE_BUILT", bin().to_string_lossy().into_owned()),
        ];
        let (code, outputs) = run_step(step, &ctx, workspace, &env, &mut run.output);
        for (k, v) in outputs {
            ctx.insert(format!("steps.{id}.outputs.{k}"), v);
        }
        failed |= code != 0;
        let stop = runner.stop_after == Some(id.as_str());
        run.codes.insert(id, Some(code));
        if stop {
            break;
        }
    }
    run.calls = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    run
}

#[test]
fn action_dry_run_fails_after_uploading_sarif() {
    let dir = fake_repo();
    let d = dir.path();
    // A catalog folder with a space, as upstream Sentinel's, holding a broken rule.
    let hq = d.join("Hunting Queries");
    std::fs::create_dir_all(&hq).unwrap();
    std::fs::copy(d.join(ACTION1), hq.join("ok.yaml")).unwrap();
    std::fs::write(hq.join("broken.yaml"), "id: x\nname: [\n").unwrap();

    let run = dry_run(d, &[("paths", "Hunting Queries\ncatalog")]);
    assert_eq!(
        run.codes["lint"],
        Some(0),
        "the lint step records, never fails"
    );
    assert_eq!(run.codes["verdict"], Some(1), "{}", run.output);
    assert!(
        run.output
            .contains("::error file=Hunting Queries/broken.yaml"),
        "{}",
        run.output
    );
    assert!(
        run.output
            .contains("::error title=rulecat::rulecat lint exited with 1")
    );
    let sarif = run
        .uploaded
        .expect("SARIF uploaded although the lint failed");
    let uris: Vec<String> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(
        uris.contains(&"Hunting%20Queries/broken.yaml".to_string()),
        "{uris:?}"
    );
}

#[test]
fn action_dry_run_passes_a_clean_catalog() {
    let dir = fake_repo();
    let run = dry_run(
        dir.path(),
        &[("args", "--deny warnings"), ("paths", ACTION1)],
    );
    // The Action1 rule has a warning: --deny warnings makes it fail, and says why.
    assert_eq!(run.codes["verdict"], Some(1), "{}", run.output);
    assert!(
        run.output
            .contains("--deny warnings: 1 warning fails the run"),
        "{}",
        run.output
    );
    let run = dry_run(dir.path(), &[]);
    assert_eq!(run.codes["verdict"], Some(0), "{}", run.output);
    assert!(run.uploaded.is_some());
    // Without the upload.
    let run = dry_run(dir.path(), &[("upload-sarif", "false")]);
    assert_eq!(run.codes["verdict"], Some(0), "{}", run.output);
}

/// Cargo.toml's `version` and `repository`.
fn crate_version_and_repository() -> (String, String) {
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(repo().join("Cargo.toml")).unwrap()).unwrap();
    let package = &manifest["package"];
    (
        package["version"].as_str().unwrap().to_string(),
        package["repository"].as_str().unwrap().to_string(),
    )
}

/// The targets release.yml builds.
fn release_targets() -> Vec<String> {
    let release = yaml(".github/workflows/release.yml");
    release["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["target"].as_str().unwrap().to_string())
        .collect()
}

/// `[package.metadata.binstall]` expanded for `target` as cargo-binstall does:
/// (download URL, the binary's path inside the archive).
fn binstall_names(target: &str, version: &str, repository: &str) -> (String, String) {
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(repo().join("Cargo.toml")).unwrap()).unwrap();
    let meta = &manifest["package"]["metadata"]["binstall"];
    let get = |key: &str| {
        meta.get("overrides")
            .and_then(|o| o.get(target))
            .and_then(|o| o.get(key))
            .or_else(|| meta.get(key))
            .and_then(|v| v.as_str())
            .unwrap()
            .to_string()
    };
    let exe = if target.contains("windows") {
        ".exe"
    } else {
        ""
    };
    let fill = |t: String| {
        t.replace("{ repo }", repository)
            .replace("{ version }", version)
            .replace("{ name }", "rulecat")
            .replace("{ target }", target)
            .replace("{ bin }", "rulecat")
            .replace("{ binary-ext }", exe)
    };
    let fmt = get("pkg-fmt");
    let url = fill(get("pkg-url"));
    assert!(!url.contains('{'), "{url}");
    match fmt.as_str() {
        "tgz" => assert!(url.ends_with(".tar.gz"), "{url}"),
        "zip" => assert!(url.ends_with(".zip"), "{url}"),
        other => panic!("unexpected pkg-fmt {other}"),
    }
    (url, fill(get("bin-dir")))
}

/// Runs release.yml's `version` and `package` steps for `target` on a tag push of
/// `tag`, with the binary under test as the build. Returns (the version step's exit
/// code, the folder holding dist/, the output).
fn release_package(target: &str, tag: &str) -> (i32, tempfile::TempDir, String) {
    let release = yaml(".github/workflows/release.yml");
    let steps = release["jobs"]["build"]["steps"].as_array().unwrap();
    let step = |id: &str| {
        steps
            .iter()
            .find(|s| s["id"] == id)
            .unwrap_or_else(|| panic!("no step {id}"))
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for f in ["Cargo.toml", "README.md", "LICENSE"] {
        std::fs::copy(repo().join(f), d.join(f)).unwrap();
    }
    let built = d.join(format!("target/{target}/release"));
    std::fs::create_dir_all(&built).unwrap();
    std::fs::copy(bin(), built.join("rulecat")).unwrap();
    let mut ctx = BTreeMap::new();
    ctx.insert("matrix.target".to_string(), target.to_string());
    ctx.insert("github.ref_type".to_string(), "tag".to_string());
    ctx.insert("github.ref_name".to_string(), tag.to_string());
    let mut output = String::new();
    let env = [("PATH", std::env::var("PATH").unwrap_or_default())];
    let (code, outputs) = run_step(step("version"), &ctx, d, &env, &mut output);
    if code != 0 {
        return (code, dir, output);
    }
    for (k, v) in outputs {
        ctx.insert(format!("steps.version.outputs.{k}"), v);
    }
    let (code, _) = run_step(step("package"), &ctx, d, &env, &mut output);
    assert_eq!(code, 0, "{output}");
    (0, dir, output)
}

#[test]
fn release_archive_installs_through_the_action_and_binstall_finds_it() {
    let (version, repository) = crate_version_and_repository();
    let target = "x86_64-unknown-linux-gnu";
    let (code, built, output) = release_package(target, &format!("v{version}"));
    assert_eq!(code, 0, "{output}");
    let name = format!("rulecat-v{version}-{target}");
    let dist = built.path().join("dist");
    let mut files: Vec<String> = std::fs::read_dir(&dist)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [format!("{name}.tar.gz"), format!("{name}.tar.gz.sha256")]
    );
    let check = Command::new("sha256sum")
        .args(["--check", &format!("{name}.tar.gz.sha256")])
        .current_dir(&dist)
        .output()
        .unwrap();
    assert!(check.status.success(), "{check:?}");
    let list = Command::new("tar")
        .args(["-tzf", &format!("{name}.tar.gz")])
        .current_dir(&dist)
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&list.stdout);
    let (url, bin_dir) = binstall_names(target, &version, &repository);
    for entry in [
        bin_dir.clone(),
        format!("{name}/README.md"),
        format!("{name}/LICENSE"),
        format!("{name}/completions/rulecat.bash"),
        format!("{name}/completions/_rulecat"),
        format!("{name}/completions/rulecat.fish"),
        format!("{name}/completions/_rulecat.ps1"),
        format!("{name}/completions/rulecat.elv"),
        format!("{name}/man/rulecat.1"),
        format!("{name}/man/rulecat-lint.1"),
    ] {
        assert!(list.lines().any(|l| l == entry), "{entry} not in\n{list}");
    }

    // Publish it where the fake network serves it, and use the Action at the tag.
    let releases = tempfile::tempdir().unwrap();
    let at = releases.path().join(
        url.strip_prefix("https://")
            .unwrap()
            .rsplit_once('/')
            .unwrap()
            .0,
    );
    std::fs::create_dir_all(&at).unwrap();
    for f in &files {
        std::fs::copy(dist.join(f), at.join(f)).unwrap();
    }
    let catalog = fake_repo();
    let tag = format!("v{version}");
    let runner = Runner {
        action_ref: &tag,
        releases: Some(releases.path()),
        ..LINUX
    };
    let run = dry_run_on(catalog.path(), &[], &runner);
    assert_eq!(run.codes["install"], Some(0), "{}", run.output);
    assert_eq!(
        run.calls,
        [format!("curl {url}"), format!("curl {url}.sha256")],
        "downloads the archive binstall names, and no build: {}",
        run.output
    );
    assert!(
        run.output.contains(&format!("rulecat {version}")),
        "{}",
        run.output
    );
    assert_eq!(run.codes["verdict"], Some(0), "{}", run.output);
    assert!(run.uploaded.is_some());

    // A tampered archive is refused, not built around.
    std::fs::write(
        at.join(format!("{name}.tar.gz.sha256")),
        format!("{}  {name}.tar.gz\n", "0".repeat(64)),
    )
    .unwrap();
    let run = dry_run_on(catalog.path(), &[], &runner);
    assert_eq!(run.codes["install"], Some(1), "{}", run.output);
    assert!(
        run.output.contains("does not match its published SHA-256"),
        "{}",
        run.output
    );
    assert!(
        !run.calls.iter().any(|c| c.starts_with("cargo")),
        "{:?}",
        run.calls
    );
    assert_eq!(run.codes["lint"], None);
}

#[test]
fn release_workflow_refuses_a_tag_that_is_not_the_version() {
    let (code, _dir, output) = release_package("x86_64-unknown-linux-gnu", "v99.0.0");
    assert_eq!(code, 1, "{output}");
    assert!(
        output.contains("does not match Cargo.toml's version"),
        "{output}"
    );
}

#[test]
fn action_install_downloads_the_runners_release_or_builds() {
    let (version, repository) = crate_version_and_repository();
    let action = std::fs::read_to_string(repo().join("action.yml")).unwrap();
    let re = regex::Regex::new(r"(\w+)/(\w+)\) target=([\w-]+) ;;").unwrap();
    let runners: Vec<(String, String, String)> = re
        .captures_iter(&action)
        .map(|c| (c[1].to_string(), c[2].to_string(), c[3].to_string()))
        .collect();
    let mut targets: Vec<String> = runners.iter().map(|r| r.2.clone()).collect();
    targets.sort();
    let mut released = release_targets();
    released.sort();
    assert_eq!(
        targets, released,
        "the Action downloads what release.yml builds"
    );

    let dir = fake_repo();
    let build = format!("cargo install --locked --path {} --root ", repo().display());
    let tag = format!("v{version}");
    for (os, arch, target) in &runners {
        let (url, _) = binstall_names(target, &version, &repository);
        // Asked for by version; nothing published: a warning, then the build.
        let runner = Runner {
            os,
            arch,
            stop_after: Some("install"),
            ..LINUX
        };
        let run = dry_run_on(dir.path(), &[("version", &version)], &runner);
        assert_eq!(run.codes["install"], Some(0), "{}", run.output);
        assert_eq!(run.calls.len(), 2, "{:?}", run.calls);
        assert_eq!(run.calls[0], format!("curl {url}"), "{os}/{arch}");
        assert!(run.calls[1].starts_with(&build), "{:?}", run.calls);
        assert!(
            run.output.contains(&format!(
                "::warning title=rulecat::no prebuilt rulecat at {url}"
            )),
            "{}",
            run.output
        );
        // At the release tag, the same download.
        let run = dry_run_on(
            dir.path(),
            &[],
            &Runner {
                action_ref: &tag,
                ..runner
            },
        );
        assert_eq!(run.calls[0], format!("curl {url}"), "{os}/{arch}");
    }

    let only_build = |inputs: &[(&str, &str)], runner: Runner<'_>| {
        let run = dry_run_on(
            dir.path(),
            inputs,
            &Runner {
                stop_after: Some("install"),
                ..runner
            },
        );
        assert_eq!(run.codes["install"], Some(0), "{}", run.output);
        assert_eq!(run.calls.len(), 1, "{:?}", run.calls);
        assert!(run.calls[0].starts_with(&build), "{:?}", run.calls);
    };
    // At a branch or a commit: the checkout is built.
    only_build(&[], LINUX);
    // At a tag that is not this version, or told to build.
    only_build(
        &[],
        Runner {
            action_ref: "v0.0.1-rc",
            ..LINUX
        },
    );
    only_build(
        &[("version", "build")],
        Runner {
            action_ref: &tag,
            ..LINUX
        },
    );
    // A runner no release is built for.
    only_build(
        &[("version", &version)],
        Runner {
            os: "Windows",
            arch: "ARM64",
            ..LINUX
        },
    );
    // `v` is optional in the input.
    let run = dry_run_on(
        dir.path(),
        &[("version", "v9.9.9")],
        &Runner {
            stop_after: Some("install"),
            ..LINUX
        },
    );
    assert_eq!(
        run.calls[0],
        format!(
            "curl {repository}/releases/download/v9.9.9/rulecat-v9.9.9-x86_64-unknown-linux-gnu.tar.gz"
        )
    );
}

#[test]
fn cargo_install_installs_only_rulecat() {
    assert!(
        !repo().join("src/bin").exists(),
        "src/bin would be installed too"
    );
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(repo().join("Cargo.toml")).unwrap()).unwrap();
    let bins: Vec<&str> = manifest["bin"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(bins, ["rulecat"]);
    assert_eq!(manifest["package"]["license"].as_str(), Some("MIT"));
    let license = std::fs::read_to_string(repo().join("LICENSE")).unwrap();
    assert!(license.starts_with("MIT License"));
    assert!(manifest["package"]["rust-version"].as_str().is_some());
}

#[test]
fn completions_and_man_pages_generate() {
    for (shell, marker) in [
        ("bash", "_rulecat()"),
        ("zsh", "#compdef rulecat"),
        ("fish", "complete -c rulecat"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[rulecat]"),
    ] {
        let out = Command::new(bin())
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(marker), "{shell}: {text}");
        assert!(
            text.contains("force-exclude"),
            "{shell}: flags of subcommands"
        );
    }
    let out = Command::new(bin()).arg("manpage").output().unwrap();
    assert!(out.status.success());
    let man = String::from_utf8_lossy(&out.stdout);
    assert!(man.contains(".TH rulecat 1"), "{man}");
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(bin())
        .args(["manpage", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    for page in [
        "rulecat.1",
        "rulecat-lint.1",
        "rulecat-compile.1",
        "rulecat-match.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(page)).unwrap();
        assert!(text.starts_with(".ie"), "{page}");
    }
}

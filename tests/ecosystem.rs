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
        std::fs::copy(&p, sub.join(p.file_name().unwrap())).unwrap();
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
    let mut cmd = Command::new(bin());
    cmd.current_dir(root).args(&entry[1..]);
    if let Some(args) = h["args"].as_array() {
        cmd.args(args.iter().map(|a| a.as_str().unwrap()));
    }
    if h["pass_filenames"] != false {
        cmd.args(staged.iter().filter(|f| files_re.is_match(f)));
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
}

/// Runs action.yml's steps in `workspace`: `install` is replaced by putting the built
/// binary on PATH, `uses:` steps are stubbed (the upload records the SARIF it would send).
fn dry_run(workspace: &Path, inputs: &[(&str, &str)]) -> ActionRun {
    let action = yaml("action.yml");
    assert_eq!(action["runs"]["using"], "composite");
    let temp = tempfile::tempdir().unwrap();
    let mut ctx: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in action["inputs"].as_object().unwrap() {
        let default = v["default"].as_str().unwrap_or("").to_string();
        ctx.insert(format!("inputs.{k}"), default);
    }
    for (k, v) in inputs {
        assert!(ctx.contains_key(&format!("inputs.{k}")), "no input {k}");
        ctx.insert(format!("inputs.{k}"), v.to_string());
    }
    ctx.insert(
        "github.action_path".into(),
        repo().to_string_lossy().into_owned(),
    );
    ctx.insert(
        "runner.temp".into(),
        temp.path().to_string_lossy().into_owned(),
    );
    let path = format!(
        "{}:{}",
        bin().parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut run = ActionRun {
        codes: BTreeMap::new(),
        output: String::new(),
        uploaded: None,
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
        if id == "install" {
            // Stubbed: the binary under test is on PATH already.
            assert!(
                step["run"]
                    .as_str()
                    .unwrap()
                    .contains("cargo install --locked --path")
            );
            run.codes.insert(id, Some(0));
            continue;
        }
        assert_eq!(step["shell"], "bash");
        let output_file = temp.path().join(format!("{id}.out"));
        std::fs::write(&output_file, "").unwrap();
        let script = expand(step["run"].as_str().unwrap(), &ctx);
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &script])
            .current_dir(workspace)
            .env("PATH", &path)
            .env("GITHUB_OUTPUT", &output_file)
            .env("GITHUB_PATH", temp.path().join("path"));
        if let Some(env) = step["env"].as_object() {
            for (k, v) in env {
                cmd.env(k, expand(v.as_str().unwrap(), &ctx));
            }
        }
        let out = cmd.output().unwrap();
        run.output.push_str(&String::from_utf8_lossy(&out.stdout));
        run.output.push_str(&String::from_utf8_lossy(&out.stderr));
        let code = out.status.code().unwrap_or(-1);
        for line in std::fs::read_to_string(&output_file).unwrap().lines() {
            if let Some((k, v)) = line.split_once('=') {
                ctx.insert(format!("steps.{id}.outputs.{k}"), v.to_string());
            }
        }
        failed |= code != 0;
        run.codes.insert(id, Some(code));
    }
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

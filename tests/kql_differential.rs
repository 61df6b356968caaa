//! Differential test of rulecat's KQL parser against Microsoft's own parser.
//!
//! The oracle is Kusto.Language (npm `@kusto/language-service-next`, driven by
//! `tests/oracle/verdicts.js`). For every query of
//!
//! * the corpus `tests/kql/corpus/*.kql`, and
//! * every `query` of every YAML rule under `catalog/`,
//!
//! rulecat's syntax verdict must agree with Kusto's: both accept, or both
//! reject with the FIRST error on the same LINE (the two parsers may place an
//! error a token apart; the line is the contract).
//!
//! Kusto's conventions worth matching (see tests/oracle/README.md):
//! * a missing token/expression is reported as a zero-length error at the END
//!   of the previous token (so `T | where\n` fails on line 1, not at EOF);
//! * an unterminated string/multi-line literal runs to the end of its line
//!   (`'`/`"`) or to the end of the text (```` ``` ````).
//!
//! Known, explained disagreements are listed in `tests/oracle/allowlist.toml`:
//!
//! ```toml
//! [[allow]]
//! file = "tests/kql/corpus/ok_something.kql"   # or "catalog/dir/rule.yaml"
//! reason = "why rulecat deliberately differs"
//! ```
//!
//! An allow-list entry that no longer disagrees (or names no query) fails the
//! test, so the list only ever shrinks.
//!
//! Needs `node` and `npm ci --prefix tests/oracle`. When either is missing the
//! test FAILS if `CI` is set, and is skipped (loudly) otherwise.
//!
//! Environment knobs:
//! * `NODE` — node binary to use (default `node`).
//! * `RULECAT_KQL_DIFF_SUGGEST=1` — also print allow-list stanzas for every
//!   unexplained disagreement (to paste into allowlist.toml, with a reason).
//! * `RULECAT_KQL_DIFF_FILTER=substr` — only check queries whose name contains
//!   `substr` (the allow-list staleness check is then limited to those names).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

const CORPUS_DIR: &str = "tests/kql/corpus";
const CATALOG_DIR: &str = "catalog";
const ORACLE_DIR: &str = "tests/oracle";
const ALLOWLIST: &str = "tests/oracle/allowlist.toml";
const ORACLE_PACKAGE: &str = "node_modules/@kusto/language-service-next";

/// One query to check.
struct Case {
    /// Stable, repo-relative name: `tests/kql/corpus/x.kql`, `catalog/a/b.yaml`
    /// or `catalog/a/b.yaml#/pointer/to/query` when the query is not at `/query`.
    name: String,
    /// The query text exactly as given to both parsers.
    text: String,
    /// The file handed to the oracle (holds exactly `text`).
    oracle_path: PathBuf,
}

/// A syntax verdict: `None` = accepted, `Some(first error)` = rejected.
#[derive(Clone, Debug)]
struct FirstError {
    start: usize,
    len: usize,
    message: String,
}

#[derive(Deserialize)]
struct OracleLine {
    file: String,
    ok: bool,
    errors: Vec<OracleError>,
}

#[derive(Deserialize)]
struct OracleError {
    start: usize,
    len: usize,
    message: String,
}

#[derive(Deserialize, Default)]
struct AllowList {
    #[serde(default)]
    allow: Vec<Allow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Allow {
    file: String,
    reason: String,
}

/// Writes straight to the process's stderr: unlike `eprintln!`, this is not
/// captured by the test harness, so skips and the summary show on success too.
fn loud(msg: &str) {
    use std::io::Write as _;
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{msg}");
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn ci_is_set() -> bool {
    match std::env::var_os("CI") {
        Some(v) => {
            let v = v.to_string_lossy().to_ascii_lowercase();
            !(v.is_empty() || v == "0" || v == "false")
        }
        None => false,
    }
}

/// Returns `Some(reason)` when the oracle cannot run here.
fn oracle_unavailable(node: &str, oracle_dir: &Path) -> Option<String> {
    match Command::new(node).arg("--version").output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            return Some(format!(
                "`{node} --version` failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Err(e) => return Some(format!("cannot run `{node}`: {e}")),
    }
    if !oracle_dir.join(ORACLE_PACKAGE).is_dir() {
        return Some(format!(
            "{}/{ORACLE_PACKAGE} is missing (run `npm ci --prefix {ORACLE_DIR}`)",
            oracle_dir.display()
        ));
    }
    None
}

// ------------------------------------------------------------------ cases

fn corpus_cases(root: &Path) -> Vec<Case> {
    let dir = root.join(CORPUS_DIR);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read corpus dir {}: {e}", dir.display()))
        .map(|e| {
            e.expect("corpus dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".kql"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let path = dir.join(&n);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            Case {
                name: format!("{CORPUS_DIR}/{n}"),
                text,
                oracle_path: path,
            }
        })
        .collect()
}

/// Every string value under a `query` key, with its JSON pointer.
fn collect_queries(v: &serde_json::Value, pointer: &str, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, child) in map {
                let p = format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1"));
                match child {
                    serde_json::Value::String(s) if k == "query" => out.push((p, s.clone())),
                    _ => collect_queries(child, &p, out),
                }
            }
        }
        serde_json::Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                collect_queries(child, &format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let entry = entry.expect("catalog dir entry");
        let path = entry.path();
        let ft = entry.file_type().expect("file type");
        if ft.is_dir() {
            yaml_files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            out.push(path);
        }
    }
}

/// Extracts the catalog queries into `tmp` (one file per query, for node).
/// Returns the cases and warnings about YAML files that could not be read.
fn catalog_cases(root: &Path, tmp: &Path) -> (Vec<Case>, Vec<String>) {
    let mut files = Vec::new();
    yaml_files(&root.join(CATALOG_DIR), &mut files);
    files.sort();
    let mut cases = Vec::new();
    let mut warnings = Vec::new();
    for path in files {
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        let src = match std::fs::read_to_string(&path) {
            Ok(s) => s,
            Err(e) => {
                warnings.push(format!("{rel}: cannot read: {e}"));
                continue;
            }
        };
        let docs: Vec<serde_json::Value> =
            match serde_saphyr::from_multiple::<serde_json::Value>(&src) {
                Ok(d) => d,
                Err(e) => {
                    warnings.push(format!("{rel}: not valid YAML, skipped: {e}"));
                    continue;
                }
            };
        let mut queries = Vec::new();
        for (i, doc) in docs.iter().enumerate() {
            let prefix = if docs.len() > 1 {
                format!("/{i}")
            } else {
                String::new()
            };
            collect_queries(doc, &prefix, &mut queries);
        }
        for (pointer, text) in queries {
            let name = if pointer == "/query" {
                rel.clone()
            } else {
                format!("{rel}#{pointer}")
            };
            let oracle_path = tmp.join(format!("q{:05}.kql", cases.len()));
            std::fs::write(&oracle_path, &text)
                .unwrap_or_else(|e| panic!("cannot write {}: {e}", oracle_path.display()));
            cases.push(Case {
                name,
                text,
                oracle_path,
            });
        }
    }
    (cases, warnings)
}

// ------------------------------------------------------------------ verdicts

fn run_oracle(node: &str, root: &Path, tmp: &Path, cases: &[Case]) -> Vec<Option<FirstError>> {
    let list = tmp.join("oracle-inputs.txt");
    let mut listing = String::new();
    for c in cases {
        let p = c.oracle_path.to_str().expect("utf-8 path");
        assert!(!p.contains('\n'), "newline in path {p:?}");
        listing.push_str(p);
        listing.push('\n');
    }
    std::fs::write(&list, listing).expect("write oracle input list");
    let script = root.join(ORACLE_DIR).join("verdicts.js");
    let out = Command::new(node)
        .arg(&script)
        .arg("--files-from")
        .arg(&list)
        .current_dir(root)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {node} {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "oracle failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("oracle output is UTF-8");
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        cases.len(),
        "oracle printed {} verdicts for {} inputs",
        lines.len(),
        cases.len()
    );
    lines
        .iter()
        .zip(cases)
        .map(|(line, case)| {
            let v: OracleLine = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("bad oracle line {line:?}: {e}"));
            assert_eq!(
                Path::new(&v.file),
                case.oracle_path.as_path(),
                "oracle output out of order"
            );
            assert_eq!(
                v.ok,
                v.errors.is_empty(),
                "inconsistent oracle line {line:?}"
            );
            v.errors.into_iter().next().map(|e| FirstError {
                start: e.start,
                len: e.len,
                message: e.message,
            })
        })
        .collect()
}

fn rulecat_verdict(text: &str) -> Option<FirstError> {
    let parsed = rulecat::kql::parse(text);
    parsed
        .errors
        .iter()
        .min_by_key(|e| e.span.start)
        .map(|e| FirstError {
            start: e.span.start as usize,
            len: e.span.end.saturating_sub(e.span.start) as usize,
            message: e.message.clone(),
        })
}

/// 1-based (line, column) of a UTF-8 byte offset; the column counts chars.
/// Lines are separated by `\n` (a `\r` before it belongs to the line it ends).
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    let offset = offset.min(bytes.len());
    let before = &bytes[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let col = String::from_utf8_lossy(&bytes[line_start..offset])
        .chars()
        .count()
        + 1;
    (line, col)
}

fn describe(text: &str, v: &Option<FirstError>) -> String {
    match v {
        None => "accepts".to_string(),
        Some(e) => {
            let (l, c) = line_col(text, e.start);
            format!(
                "rejects — first error at {l}:{c} (byte {}, len {}): {}",
                e.start, e.len, e.message
            )
        }
    }
}

fn agree(text: &str, kusto: &Option<FirstError>, rulecat: &Option<FirstError>) -> bool {
    match (kusto, rulecat) {
        (None, None) => true,
        (Some(k), Some(r)) => line_col(text, k.start).0 == line_col(text, r.start).0,
        _ => false,
    }
}

fn load_allowlist(root: &Path) -> Vec<Allow> {
    let path = root.join(ALLOWLIST);
    let src = match std::fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    };
    let list: AllowList =
        toml::from_str(&src).unwrap_or_else(|e| panic!("{} is not valid: {e}", path.display()));
    list.allow
}

// ------------------------------------------------------------------ the test

#[test]
fn kql_parser_agrees_with_kusto_language() {
    let root = repo_root();
    let node = std::env::var("NODE").unwrap_or_else(|_| "node".to_string());
    if let Some(why) = oracle_unavailable(&node, &root.join(ORACLE_DIR)) {
        if ci_is_set() {
            panic!(
                "KQL differential test cannot run on CI: {why}.\n\
                 CI must install node and run `npm ci --prefix {ORACLE_DIR}` before `cargo test`."
            );
        }
        loud(&format!(
            "\n************************************************************************\n\
             ** SKIPPED kql_differential: {why}\n\
             ** Install node and run `npm ci --prefix {ORACLE_DIR}` to enable it.\n\
             ** (With CI set, this is a failure.)\n\
             ************************************************************************\n"
        ));
        return;
    }

    let tmp = tempfile::tempdir().expect("temp dir");
    let mut cases = corpus_cases(&root);
    let corpus_count = cases.len();
    assert!(corpus_count > 0, "no .kql files in {CORPUS_DIR}");
    let (catalog, warnings) = catalog_cases(&root, tmp.path());
    let catalog_count = catalog.len();
    cases.extend(catalog);
    for w in &warnings {
        loud(&format!("kql_differential: warning: {w}"));
    }

    {
        let mut seen = BTreeSet::new();
        for c in &cases {
            assert!(
                seen.insert(c.name.as_str()),
                "duplicate query name {}",
                c.name
            );
        }
    }

    let filter = std::env::var("RULECAT_KQL_DIFF_FILTER")
        .ok()
        .filter(|f| !f.is_empty());
    if let Some(f) = &filter {
        cases.retain(|c| c.name.contains(f.as_str()));
        eprintln!(
            "RULECAT_KQL_DIFF_FILTER={f}: checking {} queries",
            cases.len()
        );
    }

    let kusto = run_oracle(&node, &root, tmp.path(), &cases);

    let allow = load_allowlist(&root);
    let mut allowed: BTreeMap<&str, &str> = BTreeMap::new();
    let mut problems = Vec::new();
    for a in &allow {
        if a.reason.trim().is_empty() {
            problems.push(format!("allow-list entry {:?} has an empty reason", a.file));
        }
        if allowed.insert(a.file.as_str(), a.reason.as_str()).is_some() {
            problems.push(format!("allow-list entry {:?} is listed twice", a.file));
        }
    }

    // The corpus names state the intent; the oracle is the authority.
    for (c, k) in cases.iter().zip(&kusto) {
        let base = c.name.rsplit('/').next().unwrap_or(&c.name);
        if !c.name.starts_with(CORPUS_DIR) {
            continue;
        }
        let expect_ok = base.starts_with("ok_");
        let expect_err = base.starts_with("err_");
        if (expect_ok && k.is_some()) || (expect_err && k.is_none()) {
            problems.push(format!(
                "corpus file {} is named {} but Kusto.Language {} (rename it)",
                c.name,
                if expect_ok { "ok_*" } else { "err_*" },
                describe(&c.text, k)
            ));
        } else if !expect_ok && !expect_err {
            problems.push(format!(
                "corpus file {} must be named ok_* or err_*",
                c.name
            ));
        }
    }

    let (mut agreed, mut tolerated) = (0usize, 0usize);
    let mut disagreements = Vec::new();
    let mut used_allow = BTreeSet::new();
    let mut suggest = String::new();
    for (c, k) in cases.iter().zip(&kusto) {
        let r = rulecat_verdict(&c.text);
        let same = agree(&c.text, k, &r);
        match (same, allowed.get(c.name.as_str())) {
            (true, Some(_)) => {
                used_allow.insert(c.name.as_str());
                agreed += 1;
                problems.push(format!(
                    "stale allow-list entry {:?}: rulecat now agrees with Kusto.Language \
                     ({}); remove it from {ALLOWLIST}",
                    c.name,
                    describe(&c.text, k)
                ));
            }
            (true, None) => agreed += 1,
            (false, Some(_)) => {
                used_allow.insert(c.name.as_str());
                tolerated += 1;
            }
            (false, None) => {
                let mut msg = format!("DISAGREE {}\n", c.name);
                let _ = writeln!(msg, "    kusto:   {}", describe(&c.text, k));
                let _ = writeln!(msg, "    rulecat: {}", describe(&c.text, &r));
                for (who, v) in [("kusto", k), ("rulecat", &r)] {
                    if let Some(e) = v {
                        let (l, _) = line_col(&c.text, e.start);
                        match c.text.lines().nth(l - 1) {
                            Some(src) => {
                                let _ = writeln!(msg, "    {who:7} line {l}: {src}");
                            }
                            None => {
                                let _ = writeln!(msg, "    {who:7} line {l}: <end of text>");
                            }
                        }
                    }
                }
                disagreements.push(msg);
                let _ = writeln!(
                    suggest,
                    "[[allow]]\nfile = {:?}\nreason = \"TODO\"\n",
                    c.name
                );
            }
        }
    }
    for a in &allow {
        let in_scope = filter.as_deref().is_none_or(|f| a.file.contains(f));
        if in_scope
            && !used_allow.contains(a.file.as_str())
            && !cases.iter().any(|c| c.name == a.file)
        {
            problems.push(format!(
                "stale allow-list entry {:?}: no such query in the corpus or catalog",
                a.file
            ));
        }
    }

    for d in &disagreements {
        eprintln!("{d}");
    }
    for p in &problems {
        eprintln!("PROBLEM {p}");
    }
    if !suggest.is_empty() && std::env::var_os("RULECAT_KQL_DIFF_SUGGEST").is_some() {
        eprintln!("# allow-list stanzas for the disagreements above:\n{suggest}");
    }
    let summary = format!(
        "{} queries: {agreed} agree, {tolerated} allowed, {} disagree \
         ({} corpus, {} catalog; {} problems)",
        cases.len(),
        disagreements.len(),
        if filter.is_some() {
            cases
                .iter()
                .filter(|c| c.name.starts_with(CORPUS_DIR))
                .count()
        } else {
            corpus_count
        },
        if filter.is_some() {
            cases
                .iter()
                .filter(|c| !c.name.starts_with(CORPUS_DIR))
                .count()
        } else {
            catalog_count
        },
        problems.len()
    );
    loud(&format!("kql_differential: {summary}"));
    assert!(
        disagreements.is_empty() && problems.is_empty(),
        "rulecat's KQL parser disagrees with Kusto.Language: {summary}"
    );
}

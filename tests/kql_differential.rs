//! Differential test of rulecat's KQL parser against Microsoft's own parser.
//!
//! The oracle is Kusto.Language (npm `@kusto/language-service-next`, driven by
//! `tests/oracle/verdicts.js`). For every query of
//!
//! * the corpus `tests/kql/corpus/*.kql`,
//! * every `query` of every YAML rule under `catalog/`,
//! * the real public content in `../shared/corpus/` (see its README): every
//!   `community/*.kql`, and every query string (`query`, `FunctionQuery`,
//!   `ParserQuery`) of the YAML files in `sentinel/`,
//!
//! rulecat's syntax verdict must agree with Kusto's: both accept, or both
//! reject with the FIRST error on the same LINE (the two parsers may place an
//! error a token apart; the line is the contract). There is no allow-list:
//! every disagreement fails the test.
//!
//! Kusto's conventions worth matching (see tests/oracle/README.md):
//! * a missing token/expression is reported as a zero-length error at the END
//!   of the previous token (so `T | where\n` fails on line 1, not at EOF);
//! * an unterminated string/multi-line literal runs to the end of its line
//!   (`'`/`"`) or to the end of the text (```` ``` ````).
//!
//! ## Stored verdicts
//!
//! The oracle's verdicts are also stored, so the test compares every query
//! without node:
//!
//! * `tests/oracle/expected-verdicts.jsonl`: the project's own queries (corpus
//!   and catalog);
//! * `tests/oracle/shared-verdicts.jsonl`: the shared corpus, keyed by the
//!   corpus-relative file name and the SHA-256 of the exact query text, with
//!   the verdict only (never the text, nor Kusto's message, which may quote it).
//!
//! With the oracle installed, the test checks that both files are current and
//! FAILS when an entry is missing, extra, for another text, or for another
//! verdict; `RULECAT_KQL_DIFF_BLESS=1` rewrites them. Without the oracle (node
//! or `tests/oracle/node_modules` missing), the test compares rulecat against
//! the stored verdicts, and fails on any query without a current stored
//! verdict. With `CI` set, a missing oracle or a missing `../shared/corpus` is
//! a failure; locally a missing shared corpus is skipped with a message.
//!
//! Environment knobs:
//! * `NODE`: node binary to use (default `node`).
//! * `RULECAT_KQL_DIFF_FILTER=substr`: only check queries whose name contains
//!   `substr` (the staleness checks are then limited to those queries).
//! * `RULECAT_KQL_DIFF_BLESS=1`: rewrite the stored verdicts from the oracle.
//! * `RULECAT_SHARED_CORPUS=dir`: the shared corpus (default `../shared/corpus`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const CORPUS_DIR: &str = "tests/kql/corpus";
const CATALOG_DIR: &str = "catalog";
const ORACLE_DIR: &str = "tests/oracle";
const ORACLE_PACKAGE: &str = "node_modules/@kusto/language-service-next";
const OWN_VERDICTS: &str = "tests/oracle/expected-verdicts.jsonl";
const SHARED_VERDICTS: &str = "tests/oracle/shared-verdicts.jsonl";
/// Display prefix of shared-corpus query names.
const SHARED_PREFIX: &str = "shared:";
/// Keys whose string values are KQL queries in rule, hunting-query and parser files.
const QUERY_KEYS: &[&str] = &["query", "FunctionQuery", "ParserQuery"];
const BLESS_HINT: &str = "regenerate with the oracle installed: \
     `npm ci --prefix tests/oracle && RULECAT_KQL_DIFF_BLESS=1 cargo test --test kql_differential`";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    Corpus,
    Catalog,
    Sentinel,
    Community,
}

impl Source {
    const ALL: [Source; 4] = [
        Source::Corpus,
        Source::Catalog,
        Source::Sentinel,
        Source::Community,
    ];

    fn label(self) -> &'static str {
        match self {
            Source::Corpus => "own corpus",
            Source::Catalog => "catalog",
            Source::Sentinel => "shared sentinel YAML",
            Source::Community => "shared community",
        }
    }

    fn shared(self) -> bool {
        matches!(self, Source::Sentinel | Source::Community)
    }
}

/// One query to check.
struct Case {
    source: Source,
    /// Stable name, unique over all cases: `tests/kql/corpus/x.kql`,
    /// `catalog/a/b.yaml` (`#/pointer` appended when the query is not at
    /// `/query`), `shared:sentinel/x.yaml`, `shared:community/x.kql`.
    name: String,
    /// The query text exactly as given to both parsers.
    text: String,
    /// Hex SHA-256 of `text`.
    hash: String,
    /// The file handed to the oracle (holds exactly `text`).
    oracle_path: PathBuf,
}

impl Case {
    fn new(source: Source, name: String, text: String, oracle_path: PathBuf) -> Case {
        Case {
            source,
            hash: sha256_hex(&text),
            name,
            text,
            oracle_path,
        }
    }

    /// The key of this query in its stored-verdicts file.
    fn key(&self) -> &str {
        self.name.strip_prefix(SHARED_PREFIX).unwrap_or(&self.name)
    }
}

/// A syntax verdict: `None` = accepted, `Some(first error)` = rejected.
#[derive(Clone, Debug, PartialEq)]
struct FirstError {
    start: usize,
    len: usize,
    /// Kusto's message; `None` for stored shared-corpus verdicts.
    message: Option<String>,
}

type Verdict = Option<FirstError>;

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

/// One line of a stored-verdicts file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    file: String,
    sha256: String,
    ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    start: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    len: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

impl Stored {
    fn of(case: &Case, v: &Verdict) -> Stored {
        let keep_message = !case.source.shared();
        Stored {
            file: case.key().to_string(),
            sha256: case.hash.clone(),
            ok: v.is_none(),
            start: v.as_ref().map(|e| e.start),
            len: v.as_ref().map(|e| e.len),
            message: v
                .as_ref()
                .and_then(|e| e.message.clone())
                .filter(|_| keep_message),
        }
    }

    fn verdict(&self) -> Verdict {
        if self.ok {
            None
        } else {
            Some(FirstError {
                start: self.start.unwrap_or(0),
                len: self.len.unwrap_or(0),
                message: self.message.clone(),
            })
        }
    }
}

fn sha256_hex(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut s = String::with_capacity(64);
    for b in digest {
        let _ = write!(s, "{b:02x}");
    }
    s
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

fn env_flag(name: &str) -> bool {
    match std::env::var_os(name) {
        Some(v) => {
            let v = v.to_string_lossy().to_ascii_lowercase();
            !(v.is_empty() || v == "0" || v == "false")
        }
        None => false,
    }
}

fn ci_is_set() -> bool {
    env_flag("CI")
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

/// The files of `dir` (not recursive) whose extension satisfies `keep`, sorted.
fn files_in(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| keep(&e.to_ascii_lowercase()))
        })
        .collect();
    out.sort();
    out
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .expect("file name")
        .to_string_lossy()
        .into_owned()
}

/// Whole `.kql` files, one query each.
fn kql_file_cases(source: Source, dir: &Path, prefix: &str) -> Vec<Case> {
    files_in(dir, |e| e == "kql")
        .into_iter()
        .map(|path| {
            let name = format!("{prefix}/{}", file_name(&path));
            Case::new(source, name, read(&path), path)
        })
        .collect()
}

/// Every string under a [`QUERY_KEYS`] key of the YAML span tree, with its
/// JSON pointer.
fn collect_queries(
    node: &rulecat::loading::yaml::Node,
    pointer: &str,
    out: &mut Vec<(String, String)>,
) {
    use rulecat::loading::yaml::Value;
    match &node.value {
        Value::Map(entries) => {
            for e in entries {
                let p = format!("{pointer}/{}", e.key.replace('~', "~0").replace('/', "~1"));
                match e.value.as_str() {
                    Some(s) if QUERY_KEYS.contains(&e.key.as_str()) => {
                        out.push((p, s.to_string()));
                    }
                    _ => collect_queries(&e.value, &p, out),
                }
            }
        }
        Value::Seq(items) => {
            for (i, child) in items.iter().enumerate() {
                collect_queries(child, &format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn yaml_files_recursive(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            yaml_files_recursive(&path, out);
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "yaml" | "yml"))
            // `rulecat test`'s files are not rules.
            && !rulecat::loading::discover::is_tests_file(&path)
        {
            out.push(path);
        }
    }
}

/// The queries of YAML files, read with rulecat's YAML span tree. `rel` names
/// a file (without the `shared:` prefix). Each query is written to `tmp` for
/// node. Returns the cases and the names of files that are not valid YAML.
fn yaml_cases(
    source: Source,
    files: &[PathBuf],
    rel: impl Fn(&Path) -> String,
    tmp: &Path,
    first_index: usize,
) -> (Vec<Case>, Vec<String>) {
    let mut cases = Vec::new();
    let mut invalid = Vec::new();
    for path in files {
        let rel = rel(path);
        let src = read(path);
        let tree =
            match rulecat::loading::yaml::parse(&src, rulecat::loading::yaml::Limits::default()) {
                Ok(t) => t,
                Err(e) => {
                    invalid.push(format!("{rel}: {}", e.message));
                    continue;
                }
            };
        let mut queries = Vec::new();
        collect_queries(&tree, "", &mut queries);
        for (pointer, text) in queries {
            let mut name = if source.shared() {
                format!("{SHARED_PREFIX}{rel}")
            } else {
                rel.clone()
            };
            if pointer != "/query" {
                name.push('#');
                name.push_str(&pointer);
            }
            let oracle_path = tmp.join(format!("q{:05}.kql", first_index + cases.len()));
            std::fs::write(&oracle_path, &text)
                .unwrap_or_else(|e| panic!("cannot write {}: {e}", oracle_path.display()));
            cases.push(Case::new(source, name, text, oracle_path));
        }
    }
    (cases, invalid)
}

fn catalog_cases(root: &Path, tmp: &Path) -> (Vec<Case>, Vec<String>) {
    let mut files = Vec::new();
    yaml_files_recursive(&root.join(CATALOG_DIR), &mut files);
    files.sort();
    let rel = |p: &Path| {
        p.strip_prefix(root)
            .unwrap_or(p)
            .to_string_lossy()
            .replace('\\', "/")
    };
    yaml_cases(Source::Catalog, &files, rel, tmp, 0)
}

/// The shared corpus, or why it is not there.
fn shared_corpus_dir(root: &Path) -> Result<PathBuf, String> {
    let dir = match std::env::var_os("RULECAT_SHARED_CORPUS") {
        Some(d) => PathBuf::from(d),
        None => root.join("../shared/corpus"),
    };
    for sub in ["sentinel", "community"] {
        if !dir.join(sub).is_dir() {
            return Err(format!("{} is missing", dir.join(sub).display()));
        }
    }
    Ok(dir)
}

// ------------------------------------------------------------------ verdicts

fn run_oracle(node: &str, root: &Path, tmp: &Path, cases: &[Case]) -> Vec<Verdict> {
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
                message: Some(e.message),
            })
        })
        .collect()
}

fn rulecat_verdict(text: &str) -> Verdict {
    let parsed = rulecat::kql::parse(text);
    parsed
        .errors
        .iter()
        .min_by_key(|e| e.span.start)
        .map(|e| FirstError {
            start: e.span.start as usize,
            len: e.span.end.saturating_sub(e.span.start) as usize,
            message: Some(e.message.clone()),
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

fn describe(text: &str, v: &Verdict) -> String {
    match v {
        None => "accepts".to_string(),
        Some(e) => {
            let (l, c) = line_col(text, e.start);
            format!(
                "rejects, first error at {l}:{c} (byte {}, len {}): {}",
                e.start,
                e.len,
                e.message.as_deref().unwrap_or("(message not stored)")
            )
        }
    }
}

fn agree(text: &str, kusto: &Verdict, rulecat: &Verdict) -> bool {
    match (kusto, rulecat) {
        (None, None) => true,
        (Some(k), Some(r)) => line_col(text, k.start).0 == line_col(text, r.start).0,
        _ => false,
    }
}

// ------------------------------------------------------------------ stored verdicts

fn load_stored(root: &Path, rel: &str) -> BTreeMap<String, Stored> {
    let path = root.join(rel);
    let src = match std::fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return BTreeMap::new(),
        Err(e) => panic!("cannot read {}: {e}", path.display()),
    };
    let mut out = BTreeMap::new();
    for (i, line) in src.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let s: Stored = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{rel}:{}: not a stored verdict: {e}", i + 1));
        if let Some(old) = out.insert(s.file.clone(), s) {
            panic!(
                "{rel}:{}: {:?} is stored twice; {BLESS_HINT}",
                i + 1,
                old.file
            );
        }
    }
    out
}

fn write_stored(root: &Path, rel: &str, entries: &[Stored]) {
    let mut sorted: Vec<&Stored> = entries.iter().collect();
    sorted.sort_by(|a, b| a.file.cmp(&b.file));
    let mut out = String::new();
    for s in sorted {
        out.push_str(&serde_json::to_string(s).expect("serialize verdict"));
        out.push('\n');
    }
    let path = root.join(rel);
    std::fs::write(&path, out).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// Staleness of one stored-verdicts file against fresh oracle verdicts.
/// `complete`: every query of the file's sources is among `fresh` (no filter),
/// so an entry naming no query is stale too.
fn check_stored(
    rel: &str,
    stored: &BTreeMap<String, Stored>,
    fresh: &[Stored],
    complete: bool,
    problems: &mut Vec<String>,
) {
    let mut stale = Vec::new();
    for f in fresh {
        match stored.get(&f.file) {
            None => stale.push(format!("missing entry for {:?}", f.file)),
            Some(s) if s.sha256 != f.sha256 => stale.push(format!(
                "{:?} is stored for another text (hash {} != {})",
                f.file, s.sha256, f.sha256
            )),
            Some(s) if s != f => stale.push(format!(
                "{:?}: stored verdict {} but Kusto.Language now gives {}",
                f.file,
                serde_json::to_string(s).expect("json"),
                serde_json::to_string(f).expect("json")
            )),
            Some(_) => {}
        }
    }
    if complete {
        let names: BTreeSet<&str> = fresh.iter().map(|f| f.file.as_str()).collect();
        for k in stored.keys() {
            if !names.contains(k.as_str()) {
                stale.push(format!("entry {k:?} names no query"));
            }
        }
    }
    if !stale.is_empty() {
        let shown: Vec<&str> = stale.iter().take(20).map(String::as_str).collect();
        problems.push(format!(
            "{rel} is stale ({} entries): {}{}\n    {BLESS_HINT}",
            stale.len(),
            shown.join("; "),
            if stale.len() > shown.len() {
                "; ..."
            } else {
                ""
            }
        ));
    }
}

// ------------------------------------------------------------------ the test

#[test]
fn kql_parser_agrees_with_kusto_language() {
    let started = Instant::now();
    let root = repo_root();
    let node = std::env::var("NODE").unwrap_or_else(|_| "node".to_string());
    let bless = env_flag("RULECAT_KQL_DIFF_BLESS");
    let oracle_missing = oracle_unavailable(&node, &root.join(ORACLE_DIR));
    if let Some(why) = &oracle_missing {
        if ci_is_set() {
            panic!(
                "KQL differential test cannot run on CI: {why}.\n\
                 CI must install node and run `npm ci --prefix {ORACLE_DIR}` before `cargo test`."
            );
        }
        assert!(!bless, "RULECAT_KQL_DIFF_BLESS needs the oracle: {why}");
        loud(&format!(
            "kql_differential: Kusto.Language oracle unavailable ({why});\n\
             kql_differential: comparing against the stored verdicts in {OWN_VERDICTS} and {SHARED_VERDICTS}"
        ));
    }

    let tmp = tempfile::tempdir().expect("temp dir");
    let mut cases = kql_file_cases(Source::Corpus, &root.join(CORPUS_DIR), CORPUS_DIR);
    assert!(!cases.is_empty(), "no .kql files in {CORPUS_DIR}");
    let (catalog, catalog_invalid) = catalog_cases(&root, tmp.path());
    for w in &catalog_invalid {
        loud(&format!(
            "kql_differential: warning: not valid YAML, skipped: {w}"
        ));
    }
    cases.extend(catalog);

    let mut shared_present = false;
    let mut sentinel_invalid = Vec::new();
    match shared_corpus_dir(&root) {
        Ok(dir) => {
            shared_present = true;
            let files = files_in(&dir.join("sentinel"), |e| e == "yaml" || e == "yml");
            let rel = |p: &Path| format!("sentinel/{}", file_name(p));
            let (sentinel, invalid) =
                yaml_cases(Source::Sentinel, &files, rel, tmp.path(), cases.len());
            sentinel_invalid = invalid;
            cases.extend(sentinel);
            cases.extend(kql_file_cases(
                Source::Community,
                &dir.join("community"),
                &format!("{SHARED_PREFIX}community"),
            ));
        }
        Err(why) if ci_is_set() => panic!(
            "KQL differential test needs the shared corpus on CI: {why} \
             (or set RULECAT_SHARED_CORPUS)"
        ),
        Err(why) => loud(&format!(
            "\n************************************************************************\n\
             ** kql_differential: SKIPPING the shared corpus: {why}\n\
             ** (only the project's own corpus and catalog are checked; with CI set, this fails)\n\
             ************************************************************************\n"
        )),
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
        assert!(
            !bless,
            "RULECAT_KQL_DIFF_BLESS cannot be combined with a filter"
        );
        cases.retain(|c| c.name.contains(f.as_str()));
        loud(&format!(
            "RULECAT_KQL_DIFF_FILTER={f}: checking {} queries",
            cases.len()
        ));
    }

    // Blessing rewrites the files: their old content does not matter.
    let (own_stored, shared_stored) = if bless {
        (BTreeMap::new(), BTreeMap::new())
    } else {
        (
            load_stored(&root, OWN_VERDICTS),
            load_stored(&root, SHARED_VERDICTS),
        )
    };
    let mut problems = Vec::new();

    // Kusto's verdicts: from the oracle, or from the stored files.
    let kusto: Vec<Verdict> = if oracle_missing.is_none() {
        let fresh = run_oracle(&node, &root, tmp.path(), &cases);
        let own: Vec<Stored> = cases
            .iter()
            .zip(&fresh)
            .filter(|(c, _)| !c.source.shared())
            .map(|(c, v)| Stored::of(c, v))
            .collect();
        let shared: Vec<Stored> = cases
            .iter()
            .zip(&fresh)
            .filter(|(c, _)| c.source.shared())
            .map(|(c, v)| Stored::of(c, v))
            .collect();
        if bless {
            write_stored(&root, OWN_VERDICTS, &own);
            loud(&format!("kql_differential: wrote {OWN_VERDICTS}"));
            if shared_present {
                write_stored(&root, SHARED_VERDICTS, &shared);
                loud(&format!("kql_differential: wrote {SHARED_VERDICTS}"));
            }
        } else {
            let complete = filter.is_none();
            check_stored(OWN_VERDICTS, &own_stored, &own, complete, &mut problems);
            if shared_present {
                check_stored(
                    SHARED_VERDICTS,
                    &shared_stored,
                    &shared,
                    complete,
                    &mut problems,
                );
            }
        }
        fresh
    } else {
        let mut missing = Vec::new();
        let verdicts = cases
            .iter()
            .map(|c| {
                let store = if c.source.shared() {
                    &shared_stored
                } else {
                    &own_stored
                };
                match store.get(c.key()) {
                    Some(s) if s.sha256 == c.hash => s.verdict(),
                    Some(_) => {
                        missing.push(format!("{} (stored for another text)", c.name));
                        None
                    }
                    None => {
                        missing.push(format!("{} (no entry)", c.name));
                        None
                    }
                }
            })
            .collect();
        if !missing.is_empty() {
            let shown: Vec<&str> = missing.iter().take(20).map(String::as_str).collect();
            problems.push(format!(
                "{} queries have no current stored verdict, so they cannot be compared \
                 without the oracle: {}{}\n    {BLESS_HINT}",
                missing.len(),
                shown.join("; "),
                if missing.len() > shown.len() {
                    "; ..."
                } else {
                    ""
                }
            ));
        }
        verdicts
    };

    // The corpus names state the intent; Kusto is the authority.
    for (c, k) in cases.iter().zip(&kusto) {
        if c.source != Source::Corpus {
            continue;
        }
        let base = c.name.rsplit('/').next().unwrap_or(&c.name);
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

    let mut tally: BTreeMap<Source, (usize, usize)> = BTreeMap::new();
    let mut disagreements = Vec::new();
    for (c, k) in cases.iter().zip(&kusto) {
        let r = rulecat_verdict(&c.text);
        let same = agree(&c.text, k, &r);
        let t = tally.entry(c.source).or_default();
        t.1 += 1;
        if same {
            t.0 += 1;
            continue;
        }
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
    }

    for d in &disagreements {
        eprintln!("{d}");
    }
    for p in &problems {
        eprintln!("PROBLEM {p}");
    }
    let mut summary = String::new();
    for s in Source::ALL {
        if let Some((agreed, total)) = tally.get(&s) {
            let _ = write!(summary, "{}: {agreed}/{total} agree; ", s.label());
        }
    }
    if !sentinel_invalid.is_empty() {
        let _ = write!(
            summary,
            "{} sentinel files not valid YAML (skipped); ",
            sentinel_invalid.len()
        );
    }
    let _ = write!(
        summary,
        "{} disagree, {} problems; verdicts from {}; {:.1}s",
        disagreements.len(),
        problems.len(),
        if oracle_missing.is_none() {
            "Kusto.Language"
        } else {
            "stored files"
        },
        started.elapsed().as_secs_f64()
    );
    loud(&format!("kql_differential: {summary}"));
    for w in &sentinel_invalid {
        loud(&format!("kql_differential: not valid YAML, skipped: {w}"));
    }
    assert!(
        disagreements.is_empty() && problems.is_empty(),
        "rulecat's KQL parser disagrees with Kusto.Language: {summary}"
    );
}

//! `rulecat test`: per-rule tests kept beside the rules.
//!
//! A rule `x.yaml` (or `x.kql`) is tested by `x.tests.yaml` in the same folder. Rule files
//! stay untouched (no new keys, so they still import into Sentinel), and discovery never
//! takes a tests file for a rule ([`crate::loading::discover::is_tests_file`]).
//!
//! ```yaml
//! now: 2026-11-27T00:00:00Z          # optional: now() for every test of the file
//! tests:
//!   - name: Zoho Assist reaching assist.zoho.com
//!     now: 2026-11-27T00:00:00Z      # optional: overrides the file's `now`
//!     tables:
//!       DeviceNetworkEvents:         # inline rows (a YAML list of mappings)
//!         - {Timestamp: 2026-11-24T09:15:02Z, DeviceId: d1, RemoteUrl: assist.zoho.com}
//!       DeviceFileCertificateInfo: rmm_x.tests.csv   # or a file beside the tests file
//!     external:                      # optional: the local file `externaldata` reads for a URL
//!       https://example.org/feed.csv: feed.tests.csv  # (beside the tests file)
//!     expect:                        # rows, compared on the columns they name
//!       - {DeviceId: d1, Count: 1}
//!   - name: myzoho.com is not a Zoho host
//!     tables: ...
//!     expect: []                     # no rows
//! ```
//!
//! Semantics: each test runs the rule's query with the engine ([`crate::engine`]) over
//! the tables it gives, with the workspace functions and `[external]` files of the
//! `rulecat.toml` found from the rule's folder (a test's `external` wins). A table the catalog knows gets every catalog column (a column the
//! rows leave out is null, as in Kusto); a catalog table the query names but the test
//! does not give is empty. Expected rows are compared on the columns they name (all
//! result columns when `expect: []`), each expected value converted to the result
//! column's type (so `2026-11-24T09:15:02Z` equals a datetime, `1` a real `1.0`); rows
//! compare as a multiset unless the test says `ordered: true`. A failure shows a unified
//! diff of the expected and actual rows, one JSON object per line.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;
use serde_json::{Map, Value as Json};

use crate::engine::{self, Database, Table, Value};
use crate::loading::discover::{self, Excludes, display_path};
use crate::loading::yaml::{self, Node, Value as Y};

/// Name endings that mark a tests file.
pub const SUFFIXES: [&str; 2] = [".tests.yaml", ".tests.yml"];

/// The tests file of a rule file, if one exists beside it.
pub fn tests_file_for(rule: &Path) -> Option<PathBuf> {
    let stem = rule.file_stem()?.to_str()?;
    let dir = rule.parent().unwrap_or(Path::new(""));
    SUFFIXES
        .iter()
        .map(|s| dir.join(format!("{stem}{s}")))
        .find(|p| p.is_file())
}

/// The rule file a tests file belongs to, if one exists beside it.
pub fn rule_file_for(tests: &Path) -> Option<PathBuf> {
    let name = tests.file_name()?.to_str()?;
    let lower = name.to_ascii_lowercase();
    let suffix = SUFFIXES.iter().find(|s| lower.ends_with(*s))?;
    let stem = &name[..name.len() - suffix.len()];
    let dir = tests.parent().unwrap_or(Path::new(""));
    ["yaml", "yml", "kql", "csl"]
        .iter()
        .map(|e| dir.join(format!("{stem}.{e}")))
        .find(|p| p.is_file())
}

/// Options of one `rulecat test` run.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub paths: Vec<PathBuf>,
    pub exclude: Vec<String>,
    /// Show a progress bar on stderr when it is a terminal.
    pub progress: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    /// The rows differ.
    Fail,
    /// The query did not run (an engine error): a failure too.
    Error,
}

/// The outcome of one test.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    pub rule: String,
    pub tests_file: String,
    pub name: String,
    /// One-based line of the test in its tests file.
    pub line: usize,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

/// Everything a run found.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub tests: Vec<Outcome>,
    /// Rules with a query and no tests file.
    pub untested: Vec<String>,
    /// Malformed tests files, tests files without a rule, unreadable inputs: located
    /// messages (`file:line:col: message`). Any of them makes the run exit 2.
    pub problems: Vec<String>,
    pub summary: Summary,
}

#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub rules: usize,
    pub tested_rules: usize,
    pub tests: usize,
    pub passed: usize,
    pub failed: usize,
}

impl Report {
    pub fn failed(&self) -> bool {
        self.tests.iter().any(|t| t.status != Status::Pass)
    }
}

/// One test as read from a tests file.
#[derive(Debug, Clone)]
struct Case {
    name: String,
    line: usize,
    now: Option<i64>,
    tables: Vec<(String, Source, usize)>,
    /// `externaldata` URL → local file (beside the tests file).
    external: Vec<(String, PathBuf)>,
    expect: Vec<Map<String, Json>>,
    ordered: bool,
}

#[derive(Debug, Clone)]
enum Source {
    Rows(Vec<Map<String, Json>>),
    File(PathBuf),
}

/// Line and column (one-based) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line = text[..offset].matches('\n').count() + 1;
    let start = text[..offset].rfind('\n').map_or(0, |p| p + 1);
    (line, text[start..offset].chars().count() + 1)
}

struct Parser<'a> {
    path: String,
    dir: PathBuf,
    text: &'a str,
    problems: Vec<String>,
}

impl Parser<'_> {
    fn err(&mut self, offset: usize, msg: impl std::fmt::Display) {
        let (l, c) = line_col(self.text, offset);
        self.problems.push(format!("{}:{l}:{c}: {msg}", self.path));
    }

    fn check_keys(&mut self, node: &Node, allowed: &[&str], what: &str) {
        let Some(map) = node.as_map() else { return };
        for e in map {
            if !allowed.contains(&e.key.as_str()) {
                let hint = allowed
                    .iter()
                    .map(|a| (strsim::jaro_winkler(a, &e.key), *a))
                    .filter(|(s, _)| *s >= 0.8)
                    .max_by(|a, b| a.0.total_cmp(&b.0))
                    .map(|(_, a)| format!("; did you mean `{a}`?"))
                    .unwrap_or_default();
                self.err(
                    e.key_span.start,
                    format!(
                        "unknown key `{}` in {what}{hint} (keys: {})",
                        e.key,
                        allowed.join(", ")
                    ),
                );
            }
        }
    }

    fn now(&mut self, node: &Node) -> Option<i64> {
        match node.as_str().and_then(crate::kql::time::parse) {
            Some(t) => Some(t),
            None => {
                self.err(
                    node.span.start,
                    "`now` must be an ISO 8601 time such as 2026-11-27T00:00:00Z",
                );
                None
            }
        }
    }

    fn rows(&mut self, node: &Node, what: &str) -> Option<Vec<Map<String, Json>>> {
        let Y::Seq(items) = &node.value else {
            self.err(
                node.span.start,
                format!(
                    "{what} must be a list of rows (mappings), not {}",
                    node.value.kind()
                ),
            );
            return None;
        };
        let mut rows = Vec::new();
        for item in items {
            match item.to_json() {
                Json::Object(m) => rows.push(m),
                _ => {
                    self.err(
                        item.span.start,
                        format!(
                            "a row of {what} must be a mapping of column: value, not {}",
                            item.value.kind()
                        ),
                    );
                    return None;
                }
            }
        }
        Some(rows)
    }

    fn case(&mut self, node: &Node, file_now: Option<i64>) -> Option<Case> {
        let start_problems = self.problems.len();
        let line = line_col(self.text, node.span.start).0;
        if node.as_map().is_none() {
            self.err(
                node.span.start,
                format!("a test must be a mapping, not {}", node.value.kind()),
            );
            return None;
        }
        self.check_keys(
            node,
            &["name", "now", "tables", "external", "expect", "ordered"],
            "a test",
        );
        let name = match node.get("name") {
            Some(e) => match e.value.as_str() {
                Some(s) if !s.trim().is_empty() => s.to_string(),
                _ => {
                    self.err(e.value.span.start, "`name` must be a non-empty string");
                    String::new()
                }
            },
            None => {
                self.err(node.span.start, "a test needs a `name`");
                String::new()
            }
        };
        let now = match node.get("now") {
            Some(e) => self.now(&e.value),
            None => file_now,
        };
        let mut tables = Vec::new();
        if let Some(e) = node.get("tables") {
            match e.value.as_map() {
                Some(entries) => {
                    for t in entries {
                        let at = t.key_span.start;
                        match &t.value.value {
                            Y::String(p) => {
                                tables.push((t.key.clone(), Source::File(self.dir.join(p)), at))
                            }
                            Y::Seq(_) => {
                                if let Some(rows) =
                                    self.rows(&t.value, &format!("table `{}`", t.key))
                                {
                                    tables.push((t.key.clone(), Source::Rows(rows), at));
                                }
                            }
                            Y::Null => tables.push((t.key.clone(), Source::Rows(Vec::new()), at)),
                            other => self.err(
                                t.value.span.start,
                                format!(
                                    "table `{}` must be a list of rows or the path of a .jsonl or .csv file, not {}",
                                    t.key,
                                    other.kind()
                                ),
                            ),
                        }
                    }
                }
                None => self.err(
                    e.value.span.start,
                    format!(
                        "`tables` must map table names to rows or files, not {}",
                        e.value.value.kind()
                    ),
                ),
            }
        }
        let mut external = Vec::new();
        if let Some(e) = node.get("external") {
            match e.value.as_map() {
                Some(entries) => {
                    for t in entries {
                        match t.value.as_str() {
                            Some(p) if !p.is_empty() => {
                                external.push((t.key.clone(), self.dir.join(p)))
                            }
                            _ => self.err(
                                t.value.span.start,
                                format!(
                                    "external `{}` must be the path of a local file (beside the tests file), not {}",
                                    t.key,
                                    t.value.value.kind()
                                ),
                            ),
                        }
                    }
                }
                None => self.err(
                    e.value.span.start,
                    format!(
                        "`external` must map `externaldata` URLs to local files, not {}",
                        e.value.value.kind()
                    ),
                ),
            }
        }
        let expect = match node.get("expect") {
            Some(e) => match &e.value.value {
                Y::String(p) => {
                    let path = self.dir.join(p);
                    match read_rows_file(&path) {
                        Ok(rows) => rows,
                        Err(msg) => {
                            self.err(e.value.span.start, msg);
                            Vec::new()
                        }
                    }
                }
                _ => self.rows(&e.value, "`expect`").unwrap_or_default(),
            },
            None => {
                self.err(
                    node.span.start,
                    "a test needs `expect`: the expected rows, or `[]` for no rows",
                );
                Vec::new()
            }
        };
        let ordered = match node.get("ordered") {
            Some(e) => match e.value.value {
                Y::Bool(b) => b,
                _ => {
                    self.err(e.value.span.start, "`ordered` must be true or false");
                    false
                }
            },
            None => false,
        };
        (self.problems.len() == start_problems).then_some(Case {
            name,
            line,
            now,
            tables,
            external,
            expect,
            ordered,
        })
    }
}

/// Reads expected rows from a JSON lines or CSV file.
fn read_rows_file(path: &Path) -> Result<Vec<Map<String, Json>>, String> {
    let t = engine::input::read_table("", path).map_err(|e| e.message)?;
    Ok(t.rows
        .iter()
        .map(|r| {
            t.cols
                .iter()
                .zip(r)
                .map(|(c, v)| (c.name.clone(), engine::cli::cell_json(v)))
                .collect()
        })
        .collect())
}

/// Parses one tests file; problems are located messages.
fn parse_file(path: &Path) -> Result<Vec<Case>, Vec<String>> {
    let shown = display_path(path);
    let text = std::fs::read_to_string(path)
        .map_err(|e| vec![format!("{shown}: cannot read: {}", discover::io_reason(&e))])?;
    let root = yaml::parse(&text, yaml::Limits::default()).map_err(|e| {
        let (l, c) = line_col(&text, e.offset.unwrap_or(0));
        vec![format!("{shown}:{l}:{c}: not valid YAML: {}", e.message)]
    })?;
    let mut p = Parser {
        path: shown,
        dir: path.parent().unwrap_or(Path::new("")).to_path_buf(),
        text: &text,
        problems: Vec::new(),
    };
    if root.as_map().is_none() {
        p.err(
            root.span.start,
            format!(
                "a tests file is a mapping with `tests:` (a list of tests), not {}",
                root.value.kind()
            ),
        );
        return Err(p.problems);
    }
    p.check_keys(&root, &["now", "tests"], "a tests file");
    let file_now = root.get("now").and_then(|e| p.now(&e.value));
    let mut cases = Vec::new();
    match root.get("tests").map(|e| &e.value) {
        Some(Node {
            value: Y::Seq(items),
            ..
        }) => {
            let mut names = HashSet::new();
            for item in items {
                if let Some(c) = p.case(item, file_now) {
                    if !names.insert(c.name.clone()) {
                        p.err(item.span.start, format!("two tests are named `{}`", c.name));
                    }
                    cases.push(c);
                }
            }
            if items.is_empty() {
                p.err(root.span.start, "`tests` is empty");
            }
        }
        Some(n) => p.err(
            n.span.start,
            format!("`tests` must be a list of tests, not {}", n.value.kind()),
        ),
        None => p.err(
            root.span.start,
            "a tests file needs `tests:` (a list of tests)",
        ),
    }
    if p.problems.is_empty() {
        Ok(cases)
    } else {
        Err(p.problems)
    }
}

/// A rule's query with what is needed to place engine errors in the rule file.
struct RuleQuery {
    shown: String,
    file_text: String,
    query: crate::loading::load::QueryText,
    /// What the rule's `rulecat.toml` gives the engine (workspace functions, `[external]`).
    config: std::sync::Arc<crate::config::EngineInputs>,
}

fn load_rule(
    path: &Path,
    config: std::sync::Arc<crate::config::EngineInputs>,
) -> Result<RuleQuery, String> {
    let loaded =
        crate::loading::load::load_file(path, 0, &crate::loading::load::LoadOptions::default());
    let shown = display_path(path);
    let Some(rule) = loaded.rule else {
        let why = loaded
            .diagnostics
            .first()
            .map(|d| d.message.clone())
            .unwrap_or_else(|| "it does not load".into());
        return Err(format!("{shown}: the rule does not load: {why}"));
    };
    if !rule.has_query || rule.query.text.trim().is_empty() {
        return Err(format!("{shown}: the rule has tests but no query"));
    }
    Ok(RuleQuery {
        shown,
        file_text: loaded.text.to_string(),
        query: rule.query,
        config,
    })
}

/// Adds the catalog columns a table lacks (null), and empty catalog tables the query
/// names but the test does not give.
fn complete(db: &mut Database, query: &str) {
    let catalog = crate::knowledge::tables::builtin();
    for (name, t) in db.tables.iter_mut() {
        let Some(known) = catalog.table(name) else {
            continue;
        };
        for c in &known.columns {
            if t.col(&c.name).is_none() {
                let ty = engine::Ty::parse(c.ty.as_str()).unwrap_or(engine::Ty::String);
                let t = std::rc::Rc::make_mut(t);
                t.cols.push(engine::table::Col::new(c.name.as_str(), ty));
                for r in &mut t.rows {
                    r.push(Value::Null);
                }
            }
        }
    }
    let words: BTreeSet<&str> = query
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    for w in words {
        if db.tables.contains_key(w) {
            continue;
        }
        if let Some(known) = catalog.table(w) {
            let cols = known
                .columns
                .iter()
                .map(|c| {
                    engine::table::Col::new(
                        c.name.as_str(),
                        engine::Ty::parse(c.ty.as_str()).unwrap_or(engine::Ty::String),
                    )
                })
                .collect();
            db.tables
                .insert(w.to_string(), std::rc::Rc::new(Table::new(cols)));
        }
    }
}

/// Refuses what would make a test pass for the wrong reason: a table the query does not
/// name, or a column the catalog's table does not have (a misspelt column is null in
/// every row, so a negative test would pass whatever the rule does).
fn check_table(name: &str, t: &Table, query: &str) -> Result<(), String> {
    let named = query
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|w| w == name);
    if !named {
        return Err(format!("the rule's query does not read a table `{name}`"));
    }
    let Some(known) = crate::knowledge::tables::builtin().table(name) else {
        return Ok(());
    };
    if known.open {
        return Ok(());
    }
    for c in &t.cols {
        if known.column(&c.name).is_none() {
            let hint = known
                .suggest_column(&c.name)
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            return Err(format!("`{name}` has no column `{}`{hint}", c.name));
        }
    }
    Ok(())
}

/// One expected or actual row as a line of the diff.
fn render_row(cols: &[String], cells: &[Json]) -> String {
    let m: Map<String, Json> = cols.iter().cloned().zip(cells.iter().cloned()).collect();
    Json::Object(m).to_string()
}

/// Runs one test; `Err` is a problem with its inputs (exit 2), not a failure.
fn run_case(rule: &RuleQuery, tests_shown: &str, case: &Case) -> Result<Outcome, String> {
    let mut db = Database {
        now: case.now.unwrap_or_else(crate::kql::time::now),
        functions: rule.config.functions.clone(),
        external: rule.config.external.clone(),
        ..Database::default()
    };
    db.external.extend(case.external.iter().cloned());
    for (name, src, _) in &case.tables {
        let t = match src {
            Source::Rows(rows) => engine::input::from_objects(name, rows.clone()),
            Source::File(p) => engine::input::read_table(name, p)
                .map_err(|e| format!("{tests_shown}: test `{}`: {}", case.name, e.message))?,
        };
        check_table(name, &t, &rule.query.text)
            .map_err(|m| format!("{tests_shown}:{}: test `{}`: {m}", case.line, case.name))?;
        db.tables.insert(name.clone(), std::rc::Rc::new(t));
    }
    complete(&mut db, &rule.query.text);
    let mut out = Outcome {
        rule: rule.shown.clone(),
        tests_file: tests_shown.to_string(),
        name: case.name.clone(),
        line: case.line,
        status: Status::Pass,
        message: None,
        diff: None,
    };
    let actual = match engine::run(&rule.query.text, &db) {
        Ok(t) => t,
        Err(e) => {
            let at = e.span.map(|s| {
                let (l, c) = line_col(&rule.file_text, rule.query.to_file(s.start as usize));
                format!("{}:{l}:{c}: ", rule.shown)
            });
            out.status = Status::Error;
            out.message = Some(format!(
                "the query did not run: {}{}",
                at.unwrap_or_default(),
                e.message
            ));
            return Ok(out);
        }
    };
    // The columns compared: those the expected rows name, else all result columns.
    let mut cols: Vec<String> = Vec::new();
    for r in &case.expect {
        for k in r.keys() {
            if !cols.contains(k) {
                cols.push(k.clone());
            }
        }
    }
    if case.expect.is_empty() {
        cols = actual.names();
    }
    let missing: Vec<&String> = cols.iter().filter(|c| actual.col(c).is_none()).collect();
    if !missing.is_empty() {
        out.status = Status::Fail;
        out.message = Some(format!(
            "the result has no column {} (its columns: {})",
            missing
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", "),
            actual.names().join(", ")
        ));
        return Ok(out);
    }
    let idx: Vec<usize> = cols.iter().filter_map(|c| actual.col(c)).collect();
    let mut act: Vec<String> = actual
        .rows
        .iter()
        .map(|r| {
            let cells: Vec<Json> = idx.iter().map(|&i| engine::cli::cell_json(&r[i])).collect();
            render_row(&cols, &cells)
        })
        .collect();
    let mut exp: Vec<String> = case
        .expect
        .iter()
        .map(|r| {
            let cells: Vec<Json> = idx
                .iter()
                .zip(&cols)
                .map(|(&i, c)| {
                    let j = r.get(c).cloned().unwrap_or(Json::Null);
                    let v = match j {
                        Json::String(s) => Value::str(s),
                        other => Value::dynamic(other).undyn(),
                    };
                    engine::cli::cell_json(&engine::table::coerce(v, actual.cols[i].ty))
                })
                .collect();
            render_row(&cols, &cells)
        })
        .collect();
    if !case.ordered {
        act.sort();
        exp.sort();
    }
    if act != exp {
        out.status = Status::Fail;
        let n = |k: usize| format!("{k} row{}", if k == 1 { "" } else { "s" });
        out.message = Some(format!(
            "the rows differ: expected {}, got {}{}",
            n(exp.len()),
            n(act.len()),
            if exp.len() == act.len() && !case.ordered {
                " (compared in any order)"
            } else {
                ""
            }
        ));
        let e = exp.join("\n") + if exp.is_empty() { "" } else { "\n" };
        let a = act.join("\n") + if act.is_empty() { "" } else { "\n" };
        out.diff = Some(
            similar::TextDiff::from_lines(&e, &a)
                .unified_diff()
                .context_radius(3)
                .header("expected", "actual")
                .to_string(),
        );
    }
    Ok(out)
}

/// Finds the rules and tests files under the paths and runs every test.
pub fn run(opts: &Options) -> Result<Report, String> {
    let excludes = Excludes::new(&opts.exclude, None, false).map_err(|e| e.0)?;
    let found = discover::discover(&opts.paths, &excludes).map_err(|e| e.0)?;
    let mut report = Report::default();
    for (_, why) in &found.problems {
        report.problems.push(why.clone());
    }
    // Rule file → its tests file (if any).
    let mut rules: BTreeMap<PathBuf, Option<PathBuf>> = BTreeMap::new();
    for f in &found.files {
        rules.insert(f.clone(), tests_file_for(f));
    }
    for t in &found.tests {
        match rule_file_for(t) {
            Some(r) => {
                rules.insert(r, Some(t.clone()));
            }
            None => report.problems.push(format!(
                "{}: a tests file with no rule beside it (expected `{}` with .yaml, .yml or .kql)",
                display_path(t),
                {
                    let n = t.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    let lower = n.to_ascii_lowercase();
                    let cut = SUFFIXES
                        .iter()
                        .find(|s| lower.ends_with(*s))
                        .map_or(0, |s| s.len());
                    n[..n.len() - cut].to_string()
                }
            )),
        }
    }
    // Each rule's `rulecat.toml` (found from its folder), read once per folder.
    let mut configs: BTreeMap<PathBuf, std::sync::Arc<crate::config::EngineInputs>> =
        BTreeMap::new();
    // Load rules and parse tests files.
    let mut jobs: Vec<(std::sync::Arc<RuleQuery>, String, Case)> = Vec::new();
    for (rule, tests) in &rules {
        report.summary.rules += 1;
        let Some(tests) = tests else {
            // A rule without a query (e.g. a Fusion rule) has nothing to test.
            let loaded = crate::loading::load::load_file(
                rule,
                0,
                &crate::loading::load::LoadOptions::default(),
            );
            if loaded.rule.is_some_and(|r| r.has_query) {
                report.untested.push(display_path(rule));
            } else {
                report.summary.rules -= 1;
            }
            continue;
        };
        report.summary.tested_rules += 1;
        let cases = match parse_file(tests) {
            Ok(c) => c,
            Err(ps) => {
                report.problems.extend(ps);
                continue;
            }
        };
        let dir = rule.parent().unwrap_or(Path::new(".")).to_path_buf();
        let config = match configs.get(&dir) {
            Some(c) => c.clone(),
            None => {
                let dir_or_cwd = if dir.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    dir.clone()
                };
                let c = match crate::config::Config::discover(&dir_or_cwd) {
                    Ok(c) => c.engine_inputs(),
                    Err(e) => {
                        report.problems.push(e.0);
                        crate::config::EngineInputs::default()
                    }
                };
                for p in &c.problems {
                    let p = format!("rulecat.toml [workspace]: {p}");
                    if !report.problems.contains(&p) {
                        report.problems.push(p);
                    }
                }
                let c = std::sync::Arc::new(c);
                configs.insert(dir, c.clone());
                c
            }
        };
        let rq = match load_rule(rule, config) {
            Ok(r) => std::sync::Arc::new(r),
            Err(p) => {
                report.problems.push(p);
                continue;
            }
        };
        let shown = display_path(tests);
        for c in cases {
            jobs.push((rq.clone(), shown.clone(), c));
        }
    }
    let pb = (opts.progress && jobs.len() >= 20 && std::io::stderr().is_terminal()).then(|| {
        let pb = indicatif::ProgressBar::new(jobs.len() as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "testing rules [{bar:30}] {pos}/{len} tests {per_sec} eta {eta}",
        ) {
            pb.set_style(style.progress_chars("=> "));
        }
        pb
    });
    let results: Vec<Result<Outcome, String>> = jobs
        .par_iter()
        .map(|(rq, shown, c)| {
            let r = run_case(rq, shown, c);
            if let Some(pb) = &pb {
                pb.inc(1);
            }
            r
        })
        .collect();
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    for r in results {
        match r {
            Ok(o) => report.tests.push(o),
            Err(p) => report.problems.push(p),
        }
    }
    let s = &mut report.summary;
    s.tests = report.tests.len();
    s.passed = report
        .tests
        .iter()
        .filter(|t| t.status == Status::Pass)
        .count();
    s.failed = s.tests - s.passed;
    Ok(report)
}

/// Output formats of `rulecat test`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per test, diffs of the failures, a summary.
    Human,
    /// The whole report as one JSON document.
    Json,
    /// JUnit XML (one testsuite per rule; rules without tests as skipped test cases).
    Junit,
}

pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Human => render_human(report),
        Format::Json => serde_json::to_string_pretty(report).unwrap_or_default() + "\n",
        Format::Junit => render_junit(report),
    }
}

fn render_human(r: &Report) -> String {
    let mut out = String::new();
    let mut last = "";
    for t in &r.tests {
        if t.tests_file != last {
            out.push_str(&format!("{} ({})\n", t.rule, t.tests_file));
            last = &t.tests_file;
        }
        let tag = match t.status {
            Status::Pass => "ok  ",
            Status::Fail => "FAIL",
            Status::Error => "ERROR",
        };
        out.push_str(&format!("  {tag} {} (line {})\n", t.name, t.line));
        if let Some(m) = &t.message {
            out.push_str(&format!("       {m}\n"));
        }
        if let Some(d) = &t.diff {
            for l in d.lines() {
                out.push_str(&format!("       {l}\n"));
            }
        }
    }
    if !r.untested.is_empty() {
        out.push_str(&format!("rules without tests ({}):\n", r.untested.len()));
        for u in &r.untested {
            out.push_str(&format!("  {u}\n"));
        }
    }
    let s = &r.summary;
    out.push_str(&format!(
        "test result: {}. {} passed, {} failed; {} of {} rules have tests\n",
        if r.failed() || !r.problems.is_empty() {
            "FAILED"
        } else {
            "ok"
        },
        s.passed,
        s.failed,
        s.tested_rules,
        s.rules
    ));
    out
}

fn xml_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            // Characters XML 1.0 cannot hold.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {
                o.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => o.push(c),
        }
    }
    o
}

fn render_junit(r: &Report) -> String {
    let mut suites: BTreeMap<&str, Vec<&Outcome>> = BTreeMap::new();
    for t in &r.tests {
        suites.entry(t.rule.as_str()).or_default().push(t);
    }
    let s = &r.summary;
    let errors = r.tests.iter().filter(|t| t.status == Status::Error).count();
    let mut o = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    o.push_str(&format!(
        "<testsuites name=\"rulecat test\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n",
        s.tests + r.untested.len(),
        s.failed - errors,
        errors,
        r.untested.len()
    ));
    for (rule, tests) in &suites {
        let f = tests.iter().filter(|t| t.status == Status::Fail).count();
        let e = tests.iter().filter(|t| t.status == Status::Error).count();
        o.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\" errors=\"{e}\">\n",
            xml_escape(rule),
            tests.len()
        ));
        for t in tests {
            o.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\"",
                xml_escape(rule),
                xml_escape(&t.name),
                xml_escape(&t.tests_file),
                t.line
            ));
            match t.status {
                Status::Pass => o.push_str("/>\n"),
                Status::Fail | Status::Error => {
                    let tag = if t.status == Status::Fail {
                        "failure"
                    } else {
                        "error"
                    };
                    let msg = t.message.as_deref().unwrap_or("");
                    o.push_str(&format!(
                        ">\n      <{tag} message=\"{}\">{}</{tag}>\n    </testcase>\n",
                        xml_escape(msg),
                        xml_escape(t.diff.as_deref().unwrap_or(msg))
                    ));
                }
            }
        }
        o.push_str("  </testsuite>\n");
    }
    if !r.untested.is_empty() {
        o.push_str(&format!(
            "  <testsuite name=\"rules without tests\" tests=\"{0}\" skipped=\"{0}\">\n",
            r.untested.len()
        ));
        for u in &r.untested {
            o.push_str(&format!(
                "    <testcase classname=\"{0}\" name=\"{0}\">\n      <skipped message=\"no tests file\"/>\n    </testcase>\n",
                xml_escape(u)
            ));
        }
        o.push_str("  </testsuite>\n");
    }
    o.push_str("</testsuites>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
    }

    #[test]
    fn xml_escape_escapes_markup_and_control_characters() {
        assert_eq!(
            xml_escape("a<b>&\"'\u{1}"),
            "a&lt;b&gt;&amp;&quot;&apos;\\u{1}"
        );
    }
}

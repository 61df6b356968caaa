//! `gen-solution-parsers`: derives `knowledge/solution-parsers.txt` (see
//! `rulecat::knowledge::solution_parsers` for the format) from Microsoft Sentinel's parser
//! functions, gathered into a folder outside the repository:
//!
//! ```text
//! /tmp/sentinel-parsers/index.csv      the parser index of oshezaf/sentinelninja
//!                                      (`Tools/Solutions Analyzer/parsers.csv`): every
//!                                      parser file of Azure/Azure-Sentinel, its function
//!                                      name and solution
//! /tmp/sentinel-parsers/index.version  `<commit> <date>` of that index
//! /tmp/sentinel-parsers/files/<path>   parser YAML files read from Azure/Azure-Sentinel
//!                                      (path as upstream)
//! /tmp/sentinel-parsers/commits.tsv    `<path>\t<commit>`: the commit each file was read at
//! /tmp/sentinel-parsers/listing.tsv    optional: `<path>\t<commit>[\t<name>]`, parser files
//!                                      listed in Azure/Azure-Sentinel (at that commit) that
//!                                      the index lacks; the name is the file's stem unless
//!                                      given
//!
//! cargo run --example gen-solution-parsers -- --dir /tmp/sentinel-parsers
//! ```
//!
//! Names, solutions and paths come from the index; a file present under `files/` adds its
//! `FunctionName`/`FunctionAlias` and, when rulecat's analyzer can compute it, the schema
//! its `FunctionQuery` returns (parameters bound as `let`s, as Sentinel binds them; other
//! gathered parsers callable). Only names, paths, commits and column names and types are
//! written: no query text.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use rulecat::knowledge::tables::ColumnType;
use rulecat::loading::workspace::{Function, Workspace};

#[derive(Parser)]
#[command(
    name = "gen-solution-parsers",
    about = "Derive knowledge/solution-parsers.txt from Microsoft Sentinel's parser files"
)]
struct Args {
    /// The gathered material (index.csv, index.version, files/, commits.tsv).
    #[arg(long, default_value = "/tmp/sentinel-parsers")]
    dir: PathBuf,
    /// Output file.
    #[arg(long, default_value = "knowledge/solution-parsers.txt")]
    out: PathBuf,
}

struct Entry {
    names: Vec<String>,
    solution: Option<String>,
    path: String,
    commit: Option<String>,
    columns: Option<Vec<(String, Option<ColumnType>)>>,
    /// Sort key among entries of one name: lower wins.
    rank: (u8, u8, u8),
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn solution_of(path: &str) -> Option<String> {
    path.strip_prefix("Solutions/")
        .and_then(|rest| rest.split_once('/'))
        .map(|(s, _)| s.to_string())
}

fn main() -> ExitCode {
    match run(&Args::parse()) {
        Ok(summary) => {
            eprintln!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen-solution-parsers: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<String, String> {
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
    let version = read(&args.dir.join("index.version"))?;
    let version = version.trim();
    let commits: BTreeMap<String, String> = read(&args.dir.join("commits.tsv"))?
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(p, c)| (p.to_string(), c.trim().to_string()))
        .collect();
    let catalog = rulecat::knowledge::tables::builtin();
    let usable = |name: &str| {
        is_ident(name)
            && !name.ends_with("_CL")
            && catalog.table(name).is_none()
            && rulecat::loading::workspace::asim_parser(name).is_none()
    };

    // The index: one entry per parser file.
    let mut entries: Vec<Entry> = Vec::new();
    let mut rdr = csv::Reader::from_path(args.dir.join("index.csv")).map_err(|e| e.to_string())?;
    let headers = rdr.headers().map_err(|e| e.to_string())?.clone();
    let col = |h: &str| {
        headers
            .iter()
            .position(|x| x == h)
            .ok_or_else(|| format!("index.csv has no `{h}` column"))
    };
    let (i_name, i_path, i_loc, i_type, i_disc) = (
        col("parser_name")?,
        col("source_file")?,
        col("location")?,
        col("file_type")?,
        col("discovered")?,
    );
    for rec in rdr.records() {
        let rec = rec.map_err(|e| e.to_string())?;
        let name = rec.get(i_name).unwrap_or("").trim().to_string();
        let path = rec.get(i_path).unwrap_or("").trim().to_string();
        if path.is_empty() {
            continue;
        }
        let rank = (
            u8::from(rec.get(i_loc) != Some("solution")),
            u8::from(rec.get(i_disc) == Some("true")),
            u8::from(rec.get(i_type) != Some("yaml")),
        );
        entries.push(Entry {
            names: vec![name],
            solution: solution_of(&path),
            commit: None,
            columns: None,
            path,
            rank,
        });
    }

    // Files listed in Azure/Azure-Sentinel that the index lacks.
    let listing = args.dir.join("listing.tsv");
    if listing.exists() {
        for line in read(&listing)?.lines().filter(|l| !l.trim().is_empty()) {
            let mut f = line.split('\t').map(str::trim);
            let (Some(path), Some(commit)) = (f.next(), f.next()) else {
                return Err(format!("listing.tsv: not `path<TAB>commit`: {line}"));
            };
            let given = f.next().filter(|n| !n.is_empty());
            if let Some(e) = entries.iter_mut().find(|e| e.path == path) {
                // A name its usage notes give (a legacy .txt parser's file name is not it).
                if let Some(n) = given {
                    e.names.insert(0, n.to_string());
                    e.commit.get_or_insert_with(|| commit.to_string());
                }
                continue;
            }
            let stem = Path::new(path)
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("");
            let name = given.unwrap_or(stem);
            entries.push(Entry {
                names: vec![name.to_string()],
                solution: solution_of(path),
                path: path.to_string(),
                commit: Some(commit.to_string()),
                columns: None,
                rank: (u8::from(!path.starts_with("Solutions/")), 1, 1),
            });
        }
    }

    // The files read from Azure/Azure-Sentinel: their names, aliases and queries.
    let files_dir = args.dir.join("files");
    let mut functions: Vec<(String, Function, Vec<String>)> = Vec::new();
    for e in walkdir::WalkDir::new(&files_dir).sort_by_file_name() {
        let e = e.map_err(|e| e.to_string())?;
        if !e.file_type().is_file() {
            continue;
        }
        let rel = e
            .path()
            .strip_prefix(&files_dir)
            .map_err(|e| e.to_string())?
            .to_string_lossy()
            .replace('\\', "/");
        let text = read(e.path())?;
        match rulecat::loading::workspace::parse_function_yaml(&text, e.path()) {
            Ok((f, aliases)) => functions.push((rel, f, aliases)),
            Err(err) => eprintln!("{rel}: skipped: {err}"),
        }
    }
    let mut ws = Workspace::default();
    for (_, f, aliases) in &functions {
        for n in std::iter::once(&f.name).chain(aliases) {
            ws.functions.entry(n.clone()).or_insert_with(|| f.clone());
        }
    }
    let mut analyzed = 0;
    let mut with_columns = 0;
    for (rel, f, aliases) in &functions {
        analyzed += 1;
        let parsed = rulecat::kql::parse(&f.body);
        let columns = if parsed.errors.is_empty() {
            let params: Vec<(String, String)> = f
                .params
                .iter()
                .map(|p| (p.name.clone(), p.ty.clone()))
                .collect();
            rulecat::kql::analyze::analyze_in(&parsed.query, catalog, &ws, &params)
                .output_schema
                .filter(|cols| {
                    !cols.is_empty()
                        && cols
                            .iter()
                            .all(|(n, _)| !n.is_empty() && !n.contains([',', ':', '\t', '\n']))
                })
        } else {
            None
        };
        with_columns += usize::from(columns.is_some());
        let mut names = vec![f.name.clone()];
        for a in aliases {
            if !names.contains(a) {
                names.push(a.clone());
            }
        }
        let entry = match entries.iter_mut().find(|e| &e.path == rel) {
            Some(e) => e,
            None => {
                entries.push(Entry {
                    names: Vec::new(),
                    solution: solution_of(rel),
                    path: rel.clone(),
                    commit: None,
                    columns: None,
                    rank: (u8::from(!rel.starts_with("Solutions/")), 0, 0),
                });
                entries.last_mut().expect("just pushed")
            }
        };
        for n in entry.names.drain(..) {
            if !names.contains(&n) {
                names.push(n);
            }
        }
        entry.names = names;
        entry.columns = columns;
        entry.commit = commits.get(rel).cloned();
    }

    // One line per name: the best-ranked file that defines it.
    entries.sort_by(|a, b| a.rank.cmp(&b.rank).then(a.path.cmp(&b.path)));
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut written_with_columns = 0;
    let mut lines: BTreeMap<String, String> = BTreeMap::new();
    for e in &entries {
        let names: Vec<&String> = e
            .names
            .iter()
            .filter(|n| usable(n) && !taken.contains(*n))
            .collect();
        if names.is_empty() {
            continue;
        }
        for n in &names {
            taken.insert((*n).clone());
        }
        written_with_columns += usize::from(e.columns.is_some());
        let cols = match &e.columns {
            Some(cols) => cols
                .iter()
                .map(|(n, t)| match t {
                    Some(t) => format!("{n}:{}", t.as_str()),
                    None => n.clone(),
                })
                .collect::<Vec<_>>()
                .join(","),
            None => "-".into(),
        };
        let names_field = names
            .iter()
            .map(|n| n.as_str())
            .collect::<Vec<_>>()
            .join(",");
        lines.insert(
            names[0].to_ascii_lowercase() + "\t" + names[0],
            format!(
                "{names_field}\t{}\t{}\t{}\t{cols}",
                e.solution.as_deref().unwrap_or("-"),
                e.path,
                e.commit.as_deref().unwrap_or("-"),
            ),
        );
    }
    let (index_commit, index_date) = version.split_once(' ').unwrap_or((version, "?"));
    let mut out = String::new();
    out.push_str(&format!(
        "# Parser functions that Microsoft Sentinel solutions (and the top-level `Parsers` folder) of
# Azure/Azure-Sentinel (MIT) ship. Generated by examples/gen-solution-parsers.rs: do not edit.
# Format: rulecat::knowledge::solution_parsers (names, solution, path, commit, columns).
# Sources:
# - Names, solutions and paths: the parser index of oshezaf/sentinelninja
#   (`Tools/Solutions Analyzer/parsers.csv` at commit {index_commit}, {index_date}), which lists
#   the parser files of Azure/Azure-Sentinel's master branch.
# - Paths the index lacks: a listing of Azure/Azure-Sentinel's files at the commit given
#   (the function name is the file's stem, or the name its usage notes give).
# - Files read from Azure/Azure-Sentinel at the commit given (comments and metadata may be
#   trimmed): their FunctionName/FunctionAlias, and as columns rulecat's own analysis of their
#   FunctionQuery (FunctionParams bound as lets); `-` when the schema is open or unknown.
# Not included: names that are built-in tables or ASIM parsers, names ending in _CL, and
# names that are not KQL identifiers. {} functions ({written_with_columns} with columns); {analyzed} files read.
",
        lines.len()
    ));
    for l in lines.values() {
        out.push_str(l);
        out.push('\n');
    }
    rulecat::fsutil::write_atomic(&args.out, out.as_bytes())
        .map_err(|e| format!("{}: {e}", args.out.display()))?;
    Ok(format!(
        "{}: {} functions ({written_with_columns} with columns); {analyzed} files read, {with_columns} of them with columns",
        args.out.display(),
        lines.len()
    ))
}

//! What a workspace adds to the built-in table catalog, declared in `rulecat.toml`:
//!
//! ```toml
//! [workspace]
//! tables = ["schemas/custom"]      # folders (or files) of custom table JSON
//! functions = ["parsers"]          # Sentinel parser/function YAML, or .kql with a signature
//! [workspace.watchlists.VIPUsers]  # a watchlist alias and its columns
//! UserPrincipalName = "string"
//! Department = "string"
//! ```
//!
//! - Custom tables use the JSON Sentinel content authors write
//!   (`{"Name": "Okta_CL", "Properties": [{"Name": "ip_s", "Type": "string"}]}`).
//! - Functions: a YAML file with `FunctionName`/`ParserName`, optional `FunctionAlias`,
//!   `FunctionParams`/`ParserParams` (`Name`, `Type`, `Default`) and
//!   `FunctionQuery`/`ParserQuery`; or a `.kql`/`.csl` file whose first line is a signature
//!   comment `// Name(p1:type, p2:type = default)` (a bare `// Name` for no parameters) and
//!   whose rest is the body. A call returns the schema its body produces, analyzed with the
//!   parameters bound as `let`s.
//! - Watchlists: `_GetWatchlist('alias')` returns the standard columns (`_DTItemId`,
//!   `LastUpdatedTimeUTC`, `SearchKey`, `WatchlistItem`) plus the declared ones; an
//!   undeclared alias returns an open row.
//!
//! Built in (no declaration needed): the ASIM parsers (`schema/catalog/asim.txt`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, OnceLock};

use serde::Deserialize;

use crate::declare_code;
use crate::knowledge::tables::{Catalog, Column, ColumnType, Table};

declare_code! {
    /// A file that `rulecat.toml`'s `[workspace]` section declares cannot be used.
    ///
    /// ## What it finds
    /// A declared folder or file that does not exist, a custom table definition that is not
    /// `{"Name": ..., "Properties": [{"Name": ..., "Type": ...}]}` JSON, a column type that is
    /// not a KQL type, a function YAML without `FunctionName`/`ParserName` or a query, a
    /// `.kql` function without its signature line (`// Name(param:type, ...)`).
    ///
    /// ## Why it matters
    /// Queries that use the table or function are checked without it: its columns are
    /// unknown and its name may be reported as an unknown table.
    ///
    /// ## How to fix
    /// Fix the file or the path in `rulecat.toml`, as the message says.
    pub static WORKSPACE_FILE = {
        code: "W0001",
        name: "workspace-file",
        level: Error,
        summary: "a custom table, function or watchlist declared in rulecat.toml cannot be read",
    }
}

/// The `[workspace]` section of `rulecat.toml`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceConfig {
    /// Folders or files of custom table definitions (JSON).
    #[serde(default)]
    pub tables: Vec<String>,
    /// Folders or files of functions and parsers (YAML, `.kql`, `.csl`).
    #[serde(default)]
    pub functions: Vec<String>,
    /// Watchlist alias → column name → type.
    #[serde(default)]
    pub watchlists: BTreeMap<String, BTreeMap<String, String>>,
}

/// A declared function or parser.
#[derive(Clone, Debug)]
pub struct Function {
    pub name: String,
    pub params: Vec<Param>,
    /// The body (KQL). Not to be changed once [`Function::parsed`] has read it.
    pub body: String,
    pub source: PathBuf,
    /// The body parsed on first use, shared by every clone of this function (its aliases,
    /// an analysis's list of called functions): a function is parsed once however often
    /// queries call it.
    parsed: ParsedBody,
    /// The function as a whole declaration (`let Name = (params) { body };`, the text the
    /// engine binds) parsed on first use, shared like `parsed`.
    declaration: ParsedBody,
}

#[derive(Clone, Default)]
struct ParsedBody(Arc<OnceLock<crate::kql::Parsed>>);

impl std::fmt::Debug for ParsedBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ParsedBody(..)")
    }
}

#[derive(Clone, Debug)]
pub struct Param {
    pub name: String,
    /// The declared type (`string`, `datetime`, `dynamic`, `table:(...)`...).
    pub ty: String,
    pub default: Option<String>,
}

impl Function {
    /// A function declared elsewhere (a `function` file of the catalog, a bundle's
    /// function): its parameters given as `(name, type, default)` as written there. The one
    /// place such declarations become workspace functions the engine binds.
    pub fn declared<'a>(
        name: &str,
        params: impl IntoIterator<Item = (&'a str, &'a str, Option<&'a str>)>,
        body: &str,
        source: PathBuf,
    ) -> Function {
        Function {
            name: name.to_string(),
            params: params
                .into_iter()
                .map(|(name, ty, default)| Param {
                    name: name.to_string(),
                    ty: ty.to_string(),
                    default: default.map(str::to_string),
                })
                .collect(),
            body: body.to_string(),
            source,
            parsed: ParsedBody::default(),
            declaration: ParsedBody::default(),
        }
    }

    /// The body parsed (once: later calls, on this function or any clone of it, share
    /// that parse).
    pub fn parsed(&self) -> &crate::kql::Parsed {
        self.parsed.0.get_or_init(|| crate::kql::parse(&self.body))
    }

    /// The function's declaration, written as KQL by `text` (called once, on first use),
    /// parsed once and shared by every clone: a query run binds the function without
    /// parsing it again. Every caller must write the same declaration for a function.
    pub fn declaration_parsed(
        &self,
        text: impl FnOnce(&Function) -> String,
    ) -> &crate::kql::Parsed {
        self.declaration
            .0
            .get_or_init(|| crate::kql::parse(&text(self)))
    }

    /// Whether this function's body (or a clone's) has been parsed already.
    pub fn is_parsed(&self) -> bool {
        self.parsed.0.get().is_some()
    }

    /// Whether `other` is a clone of this function, sharing its parsed body.
    pub fn shares_parse_with(&self, other: &Function) -> bool {
        Arc::ptr_eq(&self.parsed.0, &other.parsed.0)
    }
}

/// A problem reading a workspace file: reported, and the rest is still read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: PathBuf,
    pub message: String,
    /// Byte offset in the file, when known.
    pub offset: Option<usize>,
}

/// Everything a workspace declares.
#[derive(Clone, Debug, Default)]
pub struct Workspace {
    pub tables: Catalog,
    /// By name and by alias.
    pub functions: BTreeMap<String, Function>,
    pub watchlists: BTreeMap<String, Vec<Column>>,
    pub problems: Vec<Problem>,
}

/// The columns every `_GetWatchlist` result has.
pub const WATCHLIST_COLUMNS: &[(&str, ColumnType)] = &[
    ("_DTItemId", ColumnType::String),
    ("LastUpdatedTimeUTC", ColumnType::Datetime),
    ("SearchKey", ColumnType::String),
    ("WatchlistItem", ColumnType::Dynamic),
];

impl Workspace {
    /// An empty workspace (nothing declared).
    pub fn empty() -> &'static Workspace {
        static EMPTY: LazyLock<Workspace> = LazyLock::new(Workspace::default);
        &EMPTY
    }

    /// Reads what `config` declares; paths are relative to `base` (the folder of
    /// `rulecat.toml`).
    pub fn load(config: &WorkspaceConfig, base: &Path) -> Workspace {
        let mut ws = Workspace::default();
        let mut tables = Vec::new();
        for entry in &config.tables {
            for path in files_under(&base.join(entry), &["json"], &mut ws.problems) {
                match std::fs::read_to_string(&path) {
                    Ok(text) => match parse_table_json(&text) {
                        Ok((t, warnings)) => {
                            for w in warnings {
                                ws.problems.push(Problem {
                                    path: path.clone(),
                                    message: w,
                                    offset: None,
                                });
                            }
                            tables.push(t);
                        }
                        Err((e, offset)) => ws.problems.push(Problem {
                            path: path.clone(),
                            message: e,
                            offset,
                        }),
                    },
                    Err(e) => ws.problems.push(Problem {
                        path: path.clone(),
                        message: format!("cannot read: {e}"),
                        offset: None,
                    }),
                }
            }
        }
        ws.tables = Catalog::from_tables(tables);
        for entry in &config.functions {
            let exts = ["yaml", "yml", "kql", "csl"];
            for path in files_under(&base.join(entry), &exts, &mut ws.problems) {
                let text = match std::fs::read_to_string(&path) {
                    Ok(t) => t,
                    Err(e) => {
                        ws.problems.push(Problem {
                            path: path.clone(),
                            message: format!("cannot read: {e}"),
                            offset: None,
                        });
                        continue;
                    }
                };
                let is_kql = path.extension().is_some_and(|e| {
                    e.eq_ignore_ascii_case("kql") || e.eq_ignore_ascii_case("csl")
                });
                let parsed = if is_kql {
                    parse_function_kql(&text, &path)
                } else {
                    parse_function_yaml(&text, &path)
                };
                match parsed {
                    Ok((f, aliases)) => {
                        for name in std::iter::once(f.name.clone()).chain(aliases) {
                            ws.functions.insert(name, f.clone());
                        }
                    }
                    Err(e) => ws.problems.push(Problem {
                        path: path.clone(),
                        message: e,
                        offset: None,
                    }),
                }
            }
        }
        for (alias, cols) in &config.watchlists {
            let mut columns = Vec::new();
            for (name, ty) in cols {
                let t = ColumnType::from_name(ty).unwrap_or_else(|| {
                    ws.problems.push(Problem {
                        path: base.join(super::CONFIG_FILE),
                        message: format!(
                            "[workspace.watchlists.{alias}]: `{name}` has unknown type `{ty}`; read as dynamic"
                        ),
                        offset: None,
                    });
                    ColumnType::Dynamic
                });
                columns.push(column(name, t));
            }
            ws.watchlists.insert(alias.clone(), columns);
        }
        ws.problems
            .sort_by(|a, b| a.path.cmp(&b.path).then(a.message.cmp(&b.message)));
        ws
    }

    /// The declared function or parser called `name`.
    pub fn function(&self, name: &str) -> Option<&Function> {
        self.functions.get(name)
    }
}

fn column(name: &str, ty: ColumnType) -> Column {
    Column {
        name: name.to_string(),
        ty,
        description: String::new(),
        sentinel_only: false,
    }
}

/// The files under a folder (sorted, recursively) with one of `exts`, or the path itself if
/// it is a file.
fn files_under(path: &Path, exts: &[&str], problems: &mut Vec<Problem>) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    if !path.is_dir() {
        problems.push(Problem {
            path: path.to_path_buf(),
            message: "declared in rulecat.toml [workspace], but not found".into(),
            offset: None,
        });
        return Vec::new();
    }
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(path).sort_by_file_name() {
        match e {
            Ok(e) if e.file_type().is_file() => {
                let ok = e
                    .path()
                    .extension()
                    .and_then(|x| x.to_str())
                    .is_some_and(|x| exts.iter().any(|w| x.eq_ignore_ascii_case(w)));
                if ok {
                    out.push(e.path().to_path_buf());
                }
            }
            Ok(_) => {}
            Err(err) => problems.push(Problem {
                path: path.to_path_buf(),
                message: format!("cannot walk: {err}"),
                offset: None,
            }),
        }
    }
    out
}

#[derive(Deserialize)]
struct TableJson {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Properties", default)]
    properties: Vec<PropertyJson>,
}

#[derive(Deserialize)]
struct PropertyJson {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Type")]
    ty: String,
}

/// Parses one custom table definition; unknown column types are read as dynamic, with a
/// warning each.
pub fn parse_table_json(text: &str) -> Result<(Table, Vec<String>), (String, Option<usize>)> {
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let raw: TableJson = serde_json::from_str(&text[bom..]).map_err(|e| {
        let offset = line_col_offset(&text[bom..], e.line(), e.column()).map(|o| o + bom);
        (
            format!("not a table definition ({{\"Name\", \"Properties\"}}): {e}"),
            offset,
        )
    })?;
    if raw.name.trim().is_empty() {
        return Err(("table definition with an empty `Name`".into(), None));
    }
    let mut warnings = Vec::new();
    let mut columns: Vec<Column> = Vec::new();
    for p in raw.properties {
        let ty = ColumnType::from_name(&p.ty).unwrap_or_else(|| {
            warnings.push(format!(
                "column `{}` has unknown type `{}`; read as dynamic",
                p.name, p.ty
            ));
            ColumnType::Dynamic
        });
        if columns.iter().all(|c| c.name != p.name) {
            columns.push(column(&p.name, ty));
        }
    }
    Ok((
        Table {
            name: raw.name,
            description: String::new(),
            sources: vec!["workspace table definition".into()],
            columns,
            open: false,
        },
        warnings,
    ))
}

/// The byte offset of a 1-based line and column (serde_json's error position).
fn line_col_offset(text: &str, line: usize, col: usize) -> Option<usize> {
    if line == 0 {
        return None;
    }
    let start: usize = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    Some((start + col.saturating_sub(1)).min(text.len()))
}

/// Parses a Sentinel function/parser YAML: (function, aliases).
pub fn parse_function_yaml(text: &str, path: &Path) -> Result<(Function, Vec<String>), String> {
    let node = crate::loading::yaml::parse(text, crate::loading::yaml::Limits::default())
        .map_err(|e| format!("invalid YAML: {}", e.message))?;
    let get = |k: &str| {
        node.get(k)
            .and_then(|e| e.value.as_str())
            .map(str::to_string)
    };
    let name = get("FunctionName")
        .or_else(|| get("ParserName"))
        .ok_or("no `FunctionName` or `ParserName`")?;
    let body = get("FunctionQuery")
        .or_else(|| get("ParserQuery"))
        .or_else(|| get("query"))
        .ok_or("no `FunctionQuery` or `ParserQuery`")?;
    let mut aliases = Vec::new();
    if let Some(a) = get("FunctionAlias") {
        aliases.push(a);
    }
    if let Some(a) = get("EquivalentBuiltInParser") {
        aliases.push(a.trim().to_string());
    }
    let mut params = Vec::new();
    let list = node
        .get("FunctionParams")
        .or_else(|| node.get("ParserParams"));
    if let Some(entry) = list
        && let crate::loading::yaml::Value::Seq(items) = &entry.value.value
    {
        for item in items {
            let field = |k: &str| -> Option<String> {
                let v = &item.get(k)?.value;
                match &v.value {
                    crate::loading::yaml::Value::String(s) => Some(s.clone()),
                    crate::loading::yaml::Value::Bool(b) => Some(b.to_string()),
                    crate::loading::yaml::Value::Int(i) => Some(i.to_string()),
                    crate::loading::yaml::Value::Float(f) => Some(f.to_string()),
                    _ => None,
                }
            };
            let Some(pname) = field("Name") else {
                return Err("a parameter without `Name`".into());
            };
            params.push(Param {
                name: pname,
                ty: field("Type").unwrap_or_else(|| "dynamic".into()),
                default: field("Default"),
            });
        }
    }
    Ok((
        Function {
            name,
            params,
            body,
            source: path.to_path_buf(),
            parsed: ParsedBody::default(),
            declaration: ParsedBody::default(),
        },
        aliases,
    ))
}

/// Parses a `.kql` function: first line `// Name(p:type, q:type = default)`.
pub fn parse_function_kql(text: &str, path: &Path) -> Result<(Function, Vec<String>), String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (first, body) = text.split_once('\n').unwrap_or((text, ""));
    let sig = first
        .trim()
        .strip_prefix("//")
        .map(str::trim)
        .ok_or("a .kql function starts with a signature comment: `// Name(param:type, ...)`")?;
    let (name, params_text) = match sig.split_once('(') {
        Some((n, rest)) => (
            n.trim(),
            rest.trim_end()
                .strip_suffix(')')
                .ok_or("the signature's parameter list has no closing `)`")?,
        ),
        None => (sig, ""),
    };
    if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return Err(format!("`{name}` is not a function name"));
    }
    let mut params = Vec::new();
    for p in params_text
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (decl, default) = match p.split_once('=') {
            Some((d, v)) => (d.trim(), Some(v.trim().to_string())),
            None => (p, None),
        };
        let (pname, ty) = decl
            .split_once(':')
            .ok_or_else(|| format!("parameter `{decl}` has no `:type`"))?;
        params.push(Param {
            name: pname.trim().to_string(),
            ty: ty.trim().to_string(),
            default,
        });
    }
    Ok((
        Function {
            name: name.to_string(),
            params,
            body: body.to_string(),
            source: path.to_path_buf(),
            parsed: ParsedBody::default(),
            declaration: ParsedBody::default(),
        },
        Vec::new(),
    ))
}

/// One ASIM schema: its fields.
#[derive(Debug)]
pub struct AsimSchema {
    pub name: String,
    /// The physical table holding the schema's normalized rows (`ASimDnsActivityLogs`),
    /// if it has one.
    pub table: Option<String>,
    pub prefixes: Vec<String>,
    pub columns: Vec<Column>,
}

const ASIM_TEXT: &str = include_str!("../../schema/catalog/asim.txt");

fn parse_fields(words: &[&str]) -> Vec<Column> {
    words
        .iter()
        .filter_map(|w| {
            let (n, t) = w.rsplit_once(':')?;
            Some(column(n, ColumnType::from_name(t)?))
        })
        .collect()
}

static ASIM: LazyLock<Vec<AsimSchema>> = LazyLock::new(|| {
    let mut common = Vec::new();
    let mut out = Vec::new();
    for line in ASIM_TEXT.lines().filter(|l| !l.starts_with('#')) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["common", rest @ ..] => common = parse_fields(rest),
            ["schema", name, table, prefixes, rest @ ..] => {
                let mut columns: Vec<Column> = Vec::new();
                let mut add = |c: Column| {
                    if columns.iter().all(|x| x.name != c.name) {
                        columns.push(c);
                    }
                };
                if let Some(t) = crate::knowledge::tables::builtin().table(table) {
                    for c in &t.columns {
                        add(Column {
                            sentinel_only: false,
                            ..c.clone()
                        });
                    }
                }
                for c in common.iter().cloned().chain(parse_fields(rest)) {
                    add(c);
                }
                out.push(AsimSchema {
                    name: name.to_string(),
                    table: (*table != "-").then(|| table.to_string()),
                    prefixes: prefixes.split(',').map(str::to_string).collect(),
                    columns,
                });
            }
            _ => {}
        }
    }
    out
});

/// What a built-in ASIM parser name is, for running it: the unifying parser of a schema
/// (`_Im_Dns`, `imDns`, `_ASim_Dns`, `ASimDns`) or its native source parser
/// (`ASimDnsNative`, `vimDnsNative`, `_Im_Dns_Native`), which read the schema's
/// physical table; or its empty parser (`vimDnsEmpty`, `_Im_Dns_Empty`), which returns
/// no rows. Source parsers of other products and the `Create`/`Terminate` variants are
/// not built in (their bodies read the product's own tables).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AsimRole {
    Unifying,
    Empty,
}

/// The schema and role of a built-in ASIM parser name ([`AsimRole`]).
pub fn asim_builtin(name: &str) -> Option<(&'static AsimSchema, AsimRole)> {
    let rest = ["_Im_", "_ASim_", "ASim", "vim", "im"]
        .iter()
        .find_map(|p| name.strip_prefix(p))?;
    let (base, role) = if let Some(b) = rest
        .strip_suffix("_Empty")
        .or_else(|| rest.strip_suffix("Empty"))
    {
        (b, AsimRole::Empty)
    } else if let Some(b) = rest
        .strip_suffix("_Native")
        .or_else(|| rest.strip_suffix("Native"))
    {
        (b, AsimRole::Unifying)
    } else {
        (rest, AsimRole::Unifying)
    };
    if base.ends_with("Create") || base.ends_with("Terminate") {
        return None;
    }
    asim_schemas()
        .iter()
        .find(|s| s.prefixes.iter().any(|p| p == base))
        .map(|s| (s, role))
}

/// Every ASIM schema.
pub fn asim_schemas() -> &'static [AsimSchema] {
    &ASIM
}

/// The ASIM schema a parser name returns: `_Im_NetworkSession`, `imAuthentication`,
/// `_ASim_Dns_...`, `ASimFileEventMicrosoft365D`, `vimRegistryEventEmpty`.
pub fn asim_parser(name: &str) -> Option<&'static AsimSchema> {
    let rest = ["_Im_", "_ASim_", "ASim", "vim", "im"]
        .iter()
        .find_map(|p| name.strip_prefix(p))?;
    asim_schemas()
        .iter()
        .flat_map(|s| s.prefixes.iter().map(move |p| (p, s)))
        .filter(|(p, _)| {
            rest.strip_prefix(p.as_str()).is_some_and(|after| {
                after.is_empty()
                    || after.starts_with('_')
                    || after.starts_with(|c: char| c.is_ascii_uppercase())
            })
        })
        .max_by_key(|(p, _)| p.len())
        .map(|(_, s)| s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asim_parsers_resolve() {
        assert_eq!(
            asim_parser("_Im_NetworkSession").unwrap().name,
            "NetworkSession"
        );
        assert_eq!(
            asim_parser("imAuthentication").unwrap().name,
            "Authentication"
        );
        assert_eq!(asim_parser("_ASim_Dns").unwrap().name, "Dns");
        assert_eq!(asim_parser("imDns").unwrap().name, "Dns");
        assert_eq!(
            asim_parser("_Im_NetworkSession_EmptyV03").unwrap().name,
            "NetworkSession"
        );
        assert_eq!(
            asim_parser("vimRegistryEventMicrosoftSysmon").unwrap().name,
            "RegistryEvent"
        );
        assert_eq!(asim_parser("imProcessCreate").unwrap().name, "ProcessEvent");
        assert_eq!(
            asim_parser("_ASim_ProcessEvent_Create").unwrap().name,
            "ProcessEvent"
        );
        assert_eq!(asim_parser("imFileEvent").unwrap().name, "FileEvent");
        assert_eq!(asim_parser("_Im_AlertEvent").unwrap().name, "AlertEvent");
        assert!(asim_parser("imaginary").is_none());
        assert!(asim_parser("SigninLogs").is_none());
        let ns = asim_parser("_Im_NetworkSession").unwrap();
        for f in [
            "SrcIpAddr",
            "DstPortNumber",
            "Src",
            "Dst",
            "IpAddr",
            "EventSchema",
            "TimeGenerated",
            "Dvc",
        ] {
            assert!(ns.columns.iter().any(|c| c.name == f), "{f}");
        }
        assert_eq!(asim_schemas().len(), 11);
        for s in asim_schemas() {
            assert!(s.columns.len() > 40, "{}: {}", s.name, s.columns.len());
        }
    }

    #[test]
    fn table_json() {
        let (t, w) = parse_table_json(
            r#"{"Name": "Okta_CL", "Properties": [{"Name": "ip_s", "Type": "String"}, {"Name": "TimeGenerated", "Type": "DateTime"}, {"Name": "odd", "Type": "blob"}]}"#,
        )
        .unwrap();
        assert_eq!(t.name, "Okta_CL");
        assert_eq!(t.columns.len(), 3);
        assert_eq!(t.column("TimeGenerated").unwrap().ty, ColumnType::Datetime);
        assert_eq!(w.len(), 1);
        assert!(parse_table_json("{}").is_err());
        assert!(parse_table_json("not json").is_err());
    }

    #[test]
    fn function_files() {
        let (f, aliases) = parse_function_yaml(
            "FunctionName: MyParser\nFunctionAlias: MyAlias\nFunctionParams:\n  - Name: starttime\n    Type: datetime\n    Default: datetime(null)\n  - Name: disabled\n    Type: bool\n    Default: false\nFunctionQuery: |\n  SigninLogs | project UserPrincipalName\n",
            Path::new("p.yaml"),
        )
        .unwrap();
        assert_eq!(f.name, "MyParser");
        assert_eq!(aliases, vec!["MyAlias".to_string()]);
        assert_eq!(f.params.len(), 2);
        assert_eq!(f.params[1].default.as_deref(), Some("false"));
        assert!(parse_function_yaml("Foo: 1\n", Path::new("x.yaml")).is_err());
        let (k, _) = parse_function_kql(
            "// Suspicious(lookback:timespan = 1d, user:string)\nSigninLogs | where TimeGenerated > ago(lookback)\n",
            Path::new("s.kql"),
        )
        .unwrap();
        assert_eq!(k.name, "Suspicious");
        assert_eq!(k.params.len(), 2);
        assert_eq!(k.params[0].default.as_deref(), Some("1d"));
        assert!(parse_function_kql("SigninLogs\n", Path::new("s.kql")).is_err());
    }
}

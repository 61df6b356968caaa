//! The indicator bundle: what `rulecat compile` writes and `rulecat match` reads.
//!
//! Its JSON Schema is generated from these types into `schema/bundle.schema.json`.
//! Everything in it is sorted, so the same catalog always gives the same bytes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Version of the bundle layout; bumped on any incompatible change.
pub const BUNDLE_FORMAT_VERSION: u32 = 2;

/// A compiled catalog.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "rulecat indicator bundle")]
pub struct Bundle {
    pub format_version: u32,
    pub rulecat_version: String,
    /// SHA-256 over the sorted content hashes of the rules: the same rules give the same
    /// hash whatever the file names or order.
    pub catalog_hash: String,
    /// Build time, only when `SOURCE_DATE_EPOCH` is set (reproducible builds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    pub stats: BundleStats,
    /// Every indicator once, sorted by (field, operator, value); `id` is the index.
    pub indicators: Vec<Indicator>,
    /// Every rule once, sorted by id.
    pub rules: Vec<CompiledRule>,
}

/// How much the compiler deduplicated.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BundleStats {
    /// Rule files compiled.
    pub rule_files: usize,
    /// Distinct rules in the bundle.
    pub rules: usize,
    /// Files whose rule was identical to another file's and was collapsed into it.
    pub duplicate_rules: usize,
    /// Indicator uses across all rules (before deduplication).
    pub indicator_uses: usize,
    /// Distinct indicators in the bundle.
    pub indicators: usize,
}

/// One literal a rule matches on: a field, an operator and a normalized value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub id: usize,
    pub kind: IndicatorKind,
    /// The column the value is matched against.
    pub field: String,
    /// KQL string operator: `has`, `has_cs`, `contains`, `startswith`, `==`, `=~`, ...
    pub operator: String,
    /// The value, case-folded (simple Unicode lowercase) for case-insensitive operators.
    pub value: String,
    /// Ids of the rules that use it, sorted.
    pub rules: Vec<String>,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum IndicatorKind {
    Signer,
    Domain,
    Url,
    Company,
    Product,
    Process,
    File,
    Hash,
    Ip,
    Path,
    CommandLine,
    Account,
    Other,
}

/// A rule with its compiled logic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompiledRule {
    pub id: String,
    pub name: String,
    pub tactics: Vec<String>,
    pub techniques: Vec<String>,
    /// Source files, relative to the catalog root given to `compile` (several when
    /// identical rules were collapsed).
    pub sources: Vec<String>,
    /// SHA-256 of the rule's content (its canonical JSON form).
    pub content_hash: String,
    /// The tables the query reads, and the watchlists it reads by alias (`_GetWatchlist`;
    /// `rulecat match` reads their items from the input of that name), sorted.
    pub tables: Vec<String>,
    /// The rule's query as written: what `rulecat match` runs with its KQL engine when
    /// there is no `logic`.
    pub query: String,
    /// The query lowered to the fast matcher's form, when it lowers completely (one
    /// table, filters, then one `summarize`/`project`); otherwise the engine runs `query`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logic: Option<Logic>,
    /// For a rule the engine runs: per table, a filter every row the query uses from that
    /// table passes (the leading `where`s on each of its uses, where they lower). The
    /// indicators of the rule are these filters' (and `logic`'s).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefilters: Vec<Prefilter>,
    /// Constructs the engine cannot run (`compile --allow-partial` only): the rule is in
    /// the bundle with its indicators, but `rulecat match` does not run it and says so.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unsupported: Vec<String>,
    /// The workspace functions the query calls (declared in `rulecat.toml` or files of the
    /// catalog), with their bodies, sorted by name: `rulecat match` runs them as Sentinel
    /// would.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub functions: Vec<BundleFunction>,
    /// The URLs the query reads with `externaldata`, sorted: `rulecat match` reads each
    /// from the local file bound to it (`--external URL=PATH`, `[external]` in
    /// rulecat.toml) and reports the rule not run when one is not bound.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external: Vec<String>,
}

/// A workspace function a rule calls.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BundleFunction {
    pub name: String,
    pub params: Vec<BundleParam>,
    /// The body (KQL).
    pub body: String,
}

/// A parameter of a workspace function.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BundleParam {
    pub name: String,
    /// The declared type (`string`, `datetime`, `dynamic`, ...).
    #[serde(rename = "type")]
    pub ty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

/// A filter on one table's rows that is implied by a query (a necessary condition).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Prefilter {
    pub table: String,
    pub predicate: Predicate,
}

/// What the query does, in a form the matcher executes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Logic {
    /// The table the query reads.
    pub table: String,
    /// The time window of the query's time filter, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
    /// Every `where` of the query, in order, as one predicate.
    pub predicate: Predicate,
    pub output: Output,
    /// `take`/`limit` at the end of the query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

/// `Timestamp between (from .. to)` (inclusive) or `Timestamp > from`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub column: String,
    pub from: Option<TimePoint>,
    pub to: Option<TimePoint>,
}

/// A point in time: relative to the run's "now", or absolute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TimePoint {
    /// `now()` plus `offset_ticks` (100 ns ticks; negative for the past: `now(-5d)`,
    /// `ago(5d)`).
    Now { offset_ticks: i64 },
    /// Ticks since 1970-01-01T00:00:00Z.
    Absolute { ticks: i64 },
}

/// A constant operand.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Scalar {
    String(String),
    Long(i64),
    Real(f64),
    Bool(bool),
    Time(TimePoint),
    /// 100 ns ticks.
    Timespan(i64),
    Null,
}

/// The predicate tree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Predicate {
    True,
    And {
        all: Vec<Predicate>,
    },
    Or {
        any: Vec<Predicate>,
    },
    Not {
        not: Box<Predicate>,
    },
    /// The indicator with this id matches its field.
    Indicator {
        indicator: usize,
    },
    /// `column <cmp> value` for numbers, datetimes and strings.
    Compare {
        column: String,
        cmp: Cmp,
        value: Scalar,
    },
    /// `column between (low .. high)`, inclusive.
    Between {
        column: String,
        low: Scalar,
        high: Scalar,
    },
    /// `isempty(column)`.
    IsEmpty {
        column: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Cmp {
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
}

/// The shape of what the query returns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Output {
    /// Matching rows, all columns.
    Rows,
    /// `project`: output column name and the input column it comes from.
    Project { columns: Vec<ProjectColumn> },
    /// `summarize aggregates by keys`.
    Summarize {
        by: Vec<String>,
        aggregates: Vec<Aggregate>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectColumn {
    pub name: String,
    pub source: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Aggregate {
    /// Output column name.
    pub name: String,
    pub function: AggFunction,
    /// The input column (`None` for `count()`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AggFunction {
    Count,
    Dcount,
    Min,
    Max,
    Sum,
    MakeSet,
    MakeList,
    TakeAny,
}

/// The path of `file` relative to whichever input root contains it.
pub fn relative_source(file: &std::path::Path, roots: &[std::path::PathBuf]) -> String {
    let shown = crate::loading::discover::display_path(file);
    for root in roots {
        let r = crate::loading::discover::display_path(root);
        let r = r.trim_end_matches('/');
        if let Some(rest) = shown.strip_prefix(r)
            && (rest.is_empty() || rest.starts_with('/'))
        {
            let rest = rest.trim_start_matches('/');
            return if rest.is_empty() {
                file.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or(shown.clone())
            } else {
                rest.to_string()
            };
        }
    }
    shown
}

/// Compiles the checked catalog. Returns the bundle, or the diagnostics of the rules
/// that cannot be compiled. A rule whose query lowers completely gets the fast matcher's
/// `logic`; any other rule keeps its query for the engine, with the filters it implies
/// per table (`prefilters`). A rule using a construct the engine cannot run
/// ([`crate::engine::support`]) is an error, unless `allow_partial`: then it is kept,
/// marked `unsupported`, and `match` reports it as not run.
/// The URLs of `urls` that no binding of `bound` (URL → local file) serves, each shown
/// without its query string (a binding of the URL without it serves too, see
/// [`crate::engine::external`]).
pub fn unbound_external(
    urls: &[String],
    bound: &std::collections::BTreeMap<String, std::path::PathBuf>,
) -> Vec<String> {
    urls.iter()
        .filter(|u| {
            !bound.contains_key(u.as_str())
                && !u
                    .split_once('?')
                    .is_some_and(|(base, _)| bound.contains_key(base))
        })
        .map(|u| u.split_once('?').map_or(u.as_str(), |(b, _)| b).to_string())
        .collect()
}

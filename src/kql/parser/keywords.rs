//! Word lists: operator names, reserved and soft keywords, type names
//! (from Kusto.Language's `SyntaxFacts` and `QueryParser`).

use super::*;

/// Operator names that are known (implemented).
pub(super) const KNOWN_OPS: &[&str] = &[
    "where",
    "filter",
    "project",
    "project-away",
    "project-keep",
    "project-rename",
    "project-reorder",
    "project-by-names",
    "extend",
    "summarize",
    "distinct",
    "top",
    "top-nested",
    "top-hitters",
    "sort",
    "order",
    "take",
    "limit",
    "count",
    "parse",
    "parse-where",
    "parse-kv",
    "mv-expand",
    "mv-apply",
    "mvexpand",
    "mvapply",
    "make-series",
    "evaluate",
    "invoke",
    "as",
    "serialize",
    "sample",
    "sample-distinct",
    "getschema",
    "render",
    "search",
    "union",
    "join",
    "lookup",
    "find",
    "reduce",
    "facet",
    "fork",
    "partition",
    "consume",
    "print",
    "range",
    "scan",
    "make-graph",
    "graph-match",
    "graph-shortest-paths",
    "graph-to-table",
    "graph-mark-components",
];

/// Operators Kusto has that this parser does not implement.
pub(super) const UNSUPPORTED_OPS: &[&str] = &[
    "graph-merge",
    "macro-expand",
    "project-smart",
    "execute-and-cache",
    "assert-schema",
];

pub(super) const STR_NEGATABLE: &[&str] = &[
    "has",
    "has_cs",
    "hasprefix",
    "hasprefix_cs",
    "hassuffix",
    "hassuffix_cs",
    "contains",
    "contains_cs",
    "startswith",
    "startswith_cs",
    "endswith",
    "endswith_cs",
];

pub(super) fn str_op_word(w: &str) -> Option<StrOp> {
    use StrOpKind::*;
    let (kind, negated, case_sensitive) = match w {
        "has" => (Has, false, false),
        "has_cs" => (Has, false, true),
        "hasprefix" => (HasPrefix, false, false),
        "hasprefix_cs" => (HasPrefix, false, true),
        "hassuffix" => (HasSuffix, false, false),
        "hassuffix_cs" => (HasSuffix, false, true),
        "contains" => (Contains, false, false),
        "contains_cs" | "containscs" => (Contains, false, true),
        "notcontains" => (Contains, true, false),
        "notcontainscs" => (Contains, true, true),
        "startswith" => (StartsWith, false, false),
        "startswith_cs" => (StartsWith, false, true),
        "endswith" => (EndsWith, false, false),
        "endswith_cs" => (EndsWith, false, true),
        _ => return None,
    };
    Some(StrOp {
        kind,
        negated,
        case_sensitive,
    })
}

/// Words that are binary operators (never the start of an operand after an operand).
pub(super) fn is_operator_word(w: &str) -> bool {
    matches!(
        w,
        "and" | "or" | "in" | "has_any" | "has_all" | "between" | "matches"
    ) || str_op_word(w).is_some()
}

/// Keywords Kusto does not accept as a bare name in an expression (they must be
/// written `['x']`), from Kusto.Language's `SyntaxFacts.CanBeIdentifier`.
/// Special forms (`datetime(...)`, `dynamic(...)`, `toscalar(...)`, `print`,
/// `union`, binary operators...) are recognised before this check.
pub(super) fn is_reserved_word(w: &str) -> bool {
    matches!(
        w,
        "3Dchart"
            | "accumulate"
            | "and"
            | "anomalychart"
            | "areachart"
            | "as"
            | "asc"
            | "bagexpansion"
            | "barchart"
            | "between"
            | "bin_legacy"
            | "boolean"
            | "by"
            | "byte"
            | "cachingpolicy"
            | "callout"
            | "cancel"
            | "card"
            | "char"
            | "columnchart"
            | "contains"
            | "contains_cs"
            | "containscs"
            | "cycles"
            | "dataexport"
            | "datascope"
            | "datatable"
            | "date"
            | "datetime"
            | "decimal"
            | "decodeblocks"
            | "desc"
            | "double"
            | "dynamic"
            | "earliest"
            | "encodingpolicy"
            | "endswith"
            | "endswith_cs"
            | "expandoutput"
            | "extent_tags_retention"
            | "external_data"
            | "externaldata"
            | "find"
            | "first"
            | "flags"
            | "float"
            | "force_remote"
            | "harddelete"
            | "hardretention"
            | "has"
            | "has_all"
            | "has_any"
            | "has_cs"
            | "hasprefix"
            | "hasprefix_cs"
            | "hassuffix"
            | "hassuffix_cs"
            | "hotcache"
            | "in"
            | "int"
            | "int16"
            | "int32"
            | "int64"
            | "int8"
            | "invoke"
            | "isfuzzy"
            | "journal"
            | "ladderchart"
            | "last"
            | "latest"
            | "like"
            | "likecs"
            | "linechart"
            | "long"
            | "materialize"
            | "mdm"
            | "missing"
            | "nooptimization"
            | "notcontains"
            | "notcontainscs"
            | "notlike"
            | "notlikecs"
            | "of"
            | "or"
            | "others"
            | "pathformat"
            | "piechart"
            | "pivotchart"
            | "print"
            | "project"
            | "queries"
            | "query_results"
            | "real"
            | "relaxed"
            | "restricted_view_access"
            | "row_level_security"
            | "rowstore"
            | "rowstore_references"
            | "rowstore_sealinfo"
            | "rowstorepolicy"
            | "rowstores"
            | "sample"
            | "scatterchart"
            | "seal"
            | "seals"
            | "search"
            | "set"
            | "shards"
            | "simple"
            | "softdelete"
            | "softretention"
            | "sql"
            | "stackedareachart"
            | "startswith"
            | "startswith_cs"
            | "statistics"
            | "storedqueryresultcontainers"
            | "string"
            | "tablepurge"
            | "time"
            | "timechart"
            | "timeline"
            | "timepivot"
            | "timespan"
            | "title"
            | "to"
            | "toscalar"
            | "totable"
            | "treemap"
            | "uint"
            | "uint16"
            | "uint32"
            | "uint64"
            | "uint8"
            | "ulong"
            | "union"
            | "uniqueid"
            | "unrestrictedviewers"
            | "verbose"
            | "viewers"
            | "views"
            | "where"
            | "with_itemindex"
            | "with_match_id"
            | "with_step_name"
            | "writeaheadlog"
            | "__contextual_datatable"
            | "__crossCluster"
            | "__crossDB"
            | "__executeAndCache"
            | "__id"
            | "__isFuzzy"
            | "__noWithSource"
            | "__packedColumn"
            | "__projectAway"
            | "__sourceColumnIndex"
    )
}

/// Scalar type names Kusto accepts in schemas, parameters and `parse` patterns.
pub(super) fn is_type_name(w: &str) -> bool {
    matches!(
        w,
        "bool"
            | "boolean"
            | "int"
            | "int32"
            | "long"
            | "int64"
            | "real"
            | "double"
            | "decimal"
            | "string"
            | "datetime"
            | "date"
            | "timespan"
            | "time"
            | "guid"
            | "uuid"
            | "uniqueid"
            | "dynamic"
    )
}

/// The types `typeof(T)` takes (Kusto.Language's `ScanParamTypeExtended`).
pub(super) fn is_typeof_type(w: &str) -> bool {
    matches!(
        w,
        "bool"
            | "boolean"
            | "date"
            | "datetime"
            | "decimal"
            | "double"
            | "dynamic"
            | "guid"
            | "int"
            | "int64"
            | "int8"
            | "long"
            | "real"
            | "string"
            | "time"
            | "timespan"
            | "uniqueid"
            | "float"
            | "int16"
            | "int32"
            | "uint"
            | "uint8"
            | "uint16"
            | "uint32"
            | "uint64"
            | "ulong"
    )
}

/// Keywords Kusto also accepts as names (`SyntaxFacts`' `canBeIdentifier`
/// keywords): not reserved, but not a plain identifier where Kusto wants one
/// (`count as count`, `typeof(count)`).
pub(super) fn is_soft_keyword(w: &str) -> bool {
    matches!(
        w,
        "__partitionby"
            | "access"
            | "alias"
            | "best_effort"
            | "bin"
            | "bool"
            | "consume"
            | "count"
            | "database"
            | "dataformat"
            | "datetime_pattern"
            | "default"
            | "distinct"
            | "edges"
            | "entity_group"
            | "evaluate"
            | "extend"
            | "facet"
            | "filter"
            | "fork"
            | "from"
            | "getschema"
            | "graph"
            | "guid"
            | "id"
            | "inline_external_table"
            | "join"
            | "let"
            | "limit"
            | "lookup"
            | "mvapply"
            | "mvexpand"
            | "nodes"
            | "null"
            | "nulls"
            | "on"
            | "optional"
            | "order"
            | "output"
            | "pack"
            | "parse"
            | "partition"
            | "pattern"
            | "plotly"
            | "query_parameters"
            | "range"
            | "reduce"
            | "regex"
            | "render"
            | "restrict"
            | "scan"
            | "serialize"
            | "sort"
            | "step"
            | "summarize"
            | "take"
            | "top"
            | "typeof"
            | "uuid"
            | "view"
            | "with"
            | "with_node_id"
    )
}

/// A word Kusto lexes as an identifier: neither reserved nor a soft keyword.
pub(super) fn is_plain_identifier(w: &str) -> bool {
    !is_reserved_word(w) && !is_soft_keyword(w)
}

/// Reserved words Kusto still accepts as the declared name in `Name = expr`
/// (`extend title = 1`).
pub(super) fn is_declarable_keyword(w: &str) -> bool {
    matches!(
        w,
        "accumulate"
            | "as"
            | "by"
            | "contains"
            | "datatable"
            | "earliest"
            | "externaldata"
            | "find"
            | "has"
            | "in"
            | "invoke"
            | "latest"
            | "materialize"
            | "mdm"
            | "of"
            | "print"
            | "sample"
            | "search"
            | "set"
            | "sql"
            | "title"
            | "to"
            | "toscalar"
            | "totable"
            | "verbose"
            | "viewers"
            | "where"
    )
}

/// Reserved words that are still callable: `dynamic(...)`, `toscalar(...)`, ...
pub(super) fn is_callable_keyword(w: &str) -> bool {
    matches!(
        w,
        "dynamic" | "datatable" | "externaldata" | "external_data" | "toscalar" | "totable"
    )
}

/// Operators that may start a query without a source (`where x == 1 | take 1`),
/// as Kusto accepts. Operators whose keyword can also be a name (`take`,
/// `extend`, `summarize`...) are read as names there, as in Kusto.
pub(super) const SOURCELESS_OPS: &[&str] = &[
    "where",
    "project",
    "project-away",
    "project-keep",
    "project-rename",
    "project-reorder",
    "top-nested",
    "top-hitters",
    "parse-where",
    "parse-kv",
    "mv-expand",
    "mv-apply",
    "make-series",
    "invoke",
    "as",
    "sample",
    "sample-distinct",
    "serialize",
    "getschema",
    "render",
    "reduce",
    "facet",
    "partition",
    "consume",
    "evaluate",
    "range",
];

pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

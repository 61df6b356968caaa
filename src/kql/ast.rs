//! The KQL syntax tree. Every node carries a byte [`Span`] into the parsed text.
//!
//! Shape overview:
//! - [`Query`] is a list of [`Statement`]s (`let`, `set`, `declare query_parameters`,
//!   and query statements).
//! - Tabular and scalar expressions share one type, [`Expr`]: a table name is an
//!   [`Expr::Name`], `T | where ...` is an [`Expr::Pipeline`], `(T | take 1)` is an
//!   [`Expr::Paren`] around a pipeline.
//! - Each tabular operator after a `|` is a [`PipeOp`] whose `op` is an [`Operator`].

use super::Span;
use serde::Serialize;

/// A name as written (bracketed names such as `['my col']` are decoded).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Query {
    pub statements: Vec<Statement>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Statement {
    /// `let name = value`
    Let(LetStmt),
    /// `set name [= value]`
    Set(SetStmt),
    /// `declare query_parameters(...)`
    DeclareQueryParameters(DeclareStmt),
    /// `declare pattern Name [= (params)[[path]] { (args).[path] = { query }; ... }]`
    DeclarePattern(PatternStmt),
    /// A query (tabular or scalar expression), usually the last statement.
    Query(Expr),
    /// A statement that could not be parsed (an error was reported).
    Error(Span),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LetStmt {
    pub name: Ident,
    pub value: LetValue,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum LetValue {
    /// A scalar or tabular expression.
    Expr(Expr),
    /// `(params) { body }` or `view (params) { body }`.
    Function(FunctionDef),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FunctionDef {
    pub is_view: bool,
    pub params: Vec<Param>,
    /// The statements of the body; the last one is usually a [`Statement::Query`].
    pub body: Vec<Statement>,
    pub body_span: Span,
    pub span: Span,
}

/// A function or query parameter: `name:type [= default]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Param {
    pub name: Ident,
    pub ty: ParamType,
    pub default: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum ParamType {
    /// `string`, `int`, `dynamic`, ...
    Scalar(Ident),
    /// `(*)`, `(a:string, b:int)`, `(a:string, *)`.
    Tabular {
        columns: Vec<ColumnDecl>,
        /// `*` was given: any other columns are allowed.
        open: bool,
        span: Span,
    },
}

/// `: (Col:type, ..., *)` after an `evaluate` plugin call.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EvaluateSchema {
    pub columns: Vec<ColumnDecl>,
    /// A `*` among the columns.
    pub open: bool,
    pub span: Span,
}

/// `name:type` in `datatable(...)`, `externaldata(...)`, tabular parameters.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ColumnDecl {
    pub name: Ident,
    pub ty: Ident,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SetStmt {
    pub name: Ident,
    pub value: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeclareStmt {
    pub params: Vec<Param>,
    pub span: Span,
}

/// `declare pattern Name = (p:type, ...)[path:type] { (v, ...).[path] = { query }; ... }`
/// (pattern-statement.md); the definition part is optional (`declare pattern Name`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PatternStmt {
    pub name: Ident,
    pub params: Vec<Param>,
    /// The `[path:type]` parameter, when the pattern has one.
    pub path: Option<Param>,
    pub rules: Vec<PatternRule>,
    pub span: Span,
}

/// One `(v, ...).[path] = { query }` of a pattern.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PatternRule {
    pub args: Vec<Expr>,
    pub path: Option<Expr>,
    pub body: Vec<Statement>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Expr {
    Literal(Literal),
    /// A column, table, `let` or parameter name, `$left`/`$right`, `['bracketed']`.
    Name(Ident),
    /// `*` as in `arg_max(T, *)` or `search * has "x"`.
    Star(Span),
    /// A table name pattern with wildcards, as in `union Device*`.
    Wildcard(NamePattern),
    /// `( inner )`; `inner` may be a tabular [`Expr::Pipeline`].
    Paren {
        inner: Box<Expr>,
        span: Span,
    },
    /// `-x`, `+x`
    Unary {
        op: UnaryOp,
        op_span: Span,
        operand: Box<Expr>,
        span: Span,
    },
    /// Arithmetic and comparison: `+ - * / % == != <> < <= > >=`.
    Binary {
        op: BinOp,
        op_span: Span,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
        span: Span,
    },
    /// `a and b and c` / `a or b`: flat list of two or more operands.
    Logical {
        op: LogicalOp,
        operands: Vec<Expr>,
        span: Span,
    },
    /// String operators: `has`, `!contains_cs`, `=~`, `matches regex`, ...
    StringOp {
        op: StrOp,
        op_span: Span,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
        span: Span,
    },
    /// `in`, `!in`, `in~`, `!in~`, `has_any`, `has_all` with a parenthesized list
    /// (whose single element may be a subquery, a `dynamic([...])` or a `let` name).
    In {
        op: ListOp,
        op_span: Span,
        lhs: Box<Expr>,
        list: Vec<Expr>,
        list_span: Span,
        span: Span,
    },
    /// `x between (low .. high)`, `x !between (low .. high)`.
    Between {
        negated: bool,
        op_span: Span,
        lhs: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        span: Span,
    },
    /// `f(args)`; includes `materialize(...)`, `toscalar(...)`, `table('x')`, `not(x)`.
    Call {
        func: Ident,
        args: Vec<Expr>,
        span: Span,
    },
    /// `target.f(args)`, as in `cluster('c').database('d')`.
    MethodCall {
        target: Box<Expr>,
        func: Ident,
        args: Vec<Expr>,
        span: Span,
    },
    /// `target.member`, as in `$left.Col`, `database('x').T`, `bag.key`.
    Member {
        target: Box<Expr>,
        member: Ident,
        span: Span,
    },
    /// `target[index]`
    Index {
        target: Box<Expr>,
        index: Box<Expr>,
        span: Span,
    },
    /// `datatable(a:string, b:int) [ 'x', 1, ... ]`
    Datatable {
        columns: Vec<ColumnDecl>,
        values: Vec<Expr>,
        span: Span,
    },
    /// `externaldata(a:string) [ h@'https://...' ] with (format='csv')`
    ExternalData {
        columns: Vec<ColumnDecl>,
        uris: Vec<Expr>,
        with: Vec<OpParam>,
        span: Span,
    },
    /// `source | op | op ...`
    Pipeline(Box<Pipeline>),
    /// A tabular operator that starts a query: `print`, `union`, `range`, `search`,
    /// `find`, `evaluate`.
    TabularOp(Box<PipeOp>),
    /// `typeof(string)`, `typeof(a:string, b:long)`, `typeof(*)`: a type given
    /// as a value (`extractjson(p, x, typeof(long))`, `mv-expand x to typeof(long)`).
    TypeOf {
        /// The one type of `typeof(T)` (Kusto accepts any name there).
        ty: Option<Ident>,
        /// The columns of a tabular `typeof(a:string, ...)`.
        columns: Vec<ColumnDecl>,
        /// A `*` among the columns: any further columns.
        open: bool,
        span: Span,
    },
    /// Placeholder for an expression that could not be parsed (an error was
    /// reported), or a typed literal whose content rulecat cannot read but Kusto
    /// parses (`int(abc)`, `time(abc)`: only Kusto's semantic check rejects them;
    /// no syntax error is reported).
    Error(Span),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum UnaryOp {
    Neg,
    Plus,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum LogicalOp {
    And,
    Or,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    /// `==`
    Eq,
    /// `!=` or `<>`
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl BinOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
        }
    }

    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum StrOpKind {
    /// `=~` / `!~` (always case-insensitive).
    Equals,
    Has,
    HasPrefix,
    HasSuffix,
    Contains,
    StartsWith,
    EndsWith,
    /// `matches regex` (always case-sensitive, never negated).
    MatchesRegex,
}

/// A string operator, e.g. `!has_cs` is `{ kind: Has, negated: true, case_sensitive: true }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct StrOp {
    pub kind: StrOpKind,
    pub negated: bool,
    pub case_sensitive: bool,
}

impl StrOp {
    pub fn is_case_sensitive(self) -> bool {
        self.case_sensitive
    }

    pub fn is_negated(self) -> bool {
        self.negated
    }

    /// The `has` family (`has`, `hasprefix`, `hassuffix` and variants): they match
    /// whole terms and can use the term index.
    pub fn is_term_operator(self) -> bool {
        matches!(
            self.kind,
            StrOpKind::Has | StrOpKind::HasPrefix | StrOpKind::HasSuffix
        )
    }

    /// The canonical spelling, e.g. `!contains_cs` (the written text is at `op_span`;
    /// legacy spellings such as `notcontains` normalize to `!contains`).
    pub fn as_str(self) -> &'static str {
        use StrOpKind::*;
        let (n, cs) = (self.negated, self.case_sensitive);
        match (self.kind, n, cs) {
            (Equals, false, _) => "=~",
            (Equals, true, _) => "!~",
            (MatchesRegex, _, _) => "matches regex",
            (Has, false, false) => "has",
            (Has, true, false) => "!has",
            (Has, false, true) => "has_cs",
            (Has, true, true) => "!has_cs",
            (HasPrefix, false, false) => "hasprefix",
            (HasPrefix, true, false) => "!hasprefix",
            (HasPrefix, false, true) => "hasprefix_cs",
            (HasPrefix, true, true) => "!hasprefix_cs",
            (HasSuffix, false, false) => "hassuffix",
            (HasSuffix, true, false) => "!hassuffix",
            (HasSuffix, false, true) => "hassuffix_cs",
            (HasSuffix, true, true) => "!hassuffix_cs",
            (Contains, false, false) => "contains",
            (Contains, true, false) => "!contains",
            (Contains, false, true) => "contains_cs",
            (Contains, true, true) => "!contains_cs",
            (StartsWith, false, false) => "startswith",
            (StartsWith, true, false) => "!startswith",
            (StartsWith, false, true) => "startswith_cs",
            (StartsWith, true, true) => "!startswith_cs",
            (EndsWith, false, false) => "endswith",
            (EndsWith, true, false) => "!endswith",
            (EndsWith, false, true) => "endswith_cs",
            (EndsWith, true, true) => "!endswith_cs",
        }
    }
}

/// Operators whose right-hand side is a parenthesized list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum ListOp {
    /// `in` (case-sensitive)
    In,
    /// `!in`
    NotIn,
    /// `in~`
    InCi,
    /// `!in~`
    NotInCi,
    HasAny,
    HasAll,
}

impl ListOp {
    pub fn as_str(self) -> &'static str {
        match self {
            ListOp::In => "in",
            ListOp::NotIn => "!in",
            ListOp::InCi => "in~",
            ListOp::NotInCi => "!in~",
            ListOp::HasAny => "has_any",
            ListOp::HasAll => "has_all",
        }
    }

    pub fn is_negated(self) -> bool {
        matches!(self, ListOp::NotIn | ListOp::NotInCi)
    }

    pub fn is_case_sensitive(self) -> bool {
        matches!(self, ListOp::In | ListOp::NotIn)
    }

    pub fn is_term_operator(self) -> bool {
        matches!(self, ListOp::HasAny | ListOp::HasAll)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Literal {
    pub value: LitValue,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum LitValue {
    /// Decoded string value (adjacent literals concatenated). `obfuscated` for `h'...'`.
    String {
        value: String,
        obfuscated: bool,
    },
    /// Integer literal (`1`, `0x1F`, `long(1)`).
    Long(i64),
    /// `int(1)`
    Int(i64),
    /// `1.5`, `1e3`, `real(nan)`
    Real(f64),
    /// `decimal(1.5)`: the text inside the parentheses.
    Decimal(String),
    Bool(bool),
    /// A timespan in 100-ns ticks: `5d`, `time(1.02:03:04)`.
    Timespan(i64),
    /// `datetime(...)`: 100-ns ticks since 1970-01-01T00:00:00Z when the format was
    /// recognised (`None` otherwise; the raw text is at the literal's span).
    Datetime(Option<i64>),
    /// `guid(...)`: the text inside the parentheses.
    Guid(String),
    /// A typed null: `int(null)`, `datetime(null)`, `dynamic(null)` has `Dynamic`.
    /// The payload is the type name as written.
    Null(String),
    /// `dynamic(...)`
    Dynamic(DynValue),
}

/// A value inside `dynamic(...)`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DynValue {
    pub kind: DynKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum DynKind {
    Null,
    Bool(bool),
    Long(i64),
    Real(f64),
    String(String),
    Array(Vec<DynValue>),
    Object(Vec<DynEntry>),
    /// Another literal inside a dynamic value, e.g. `datetime(...)` or `1d`.
    Scalar(Box<Literal>),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DynEntry {
    pub key: String,
    pub key_span: Span,
    pub value: DynValue,
}

/// `source | op1 | op2 ...`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Pipeline {
    pub source: Expr,
    pub ops: Vec<PipeOp>,
    pub span: Span,
}

/// One tabular operator, with its keyword.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PipeOp {
    /// The `|` before it (`None` for the first operator of a query like `print x=1`,
    /// or of an operator-only subquery such as `mv-apply ... on (top 1 by x)`).
    pub pipe_span: Option<Span>,
    /// The keyword as written, e.g. `where`, `filter`, `project-away`, `order`.
    pub name: String,
    pub keyword_span: Span,
    pub op: Operator,
    /// From the keyword to the end of the operator.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Operator {
    /// `where pred` / `filter pred`
    Where { pred: Expr },
    /// `project a, B = expr`
    Project { cols: Vec<NamedExpr> },
    /// `project-away a, b*`
    ProjectAway { cols: Vec<NamePattern> },
    /// `project-keep a, b*`
    ProjectKeep { cols: Vec<NamePattern> },
    /// `project-rename New = Old, ...`
    ProjectRename { renames: Vec<Rename> },
    /// `project-reorder a, b* asc`
    ProjectReorder { cols: Vec<ReorderCol> },
    /// `extend a = expr, expr`
    Extend { cols: Vec<NamedExpr> },
    /// `summarize [hints] aggs [by groups]`
    Summarize {
        params: Vec<OpParam>,
        aggs: Vec<NamedExpr>,
        by: Vec<NamedExpr>,
        by_span: Option<Span>,
    },
    /// `distinct a, b` / `distinct *`
    Distinct {
        params: Vec<OpParam>,
        /// `*` is a column whose expression is [`Expr::Star`].
        cols: Vec<NamedExpr>,
    },
    /// `top N by expr [asc|desc] [nulls first|last]`
    Top { count: Expr, by: SortKey },
    /// `top-nested N of X [with others = v] by Agg [asc|desc], ...`
    TopNested { clauses: Vec<TopNestedClause> },
    /// `top-hitters N of X [by Y]`
    TopHitters {
        count: Expr,
        of: Expr,
        by: Option<Expr>,
    },
    /// `sort by ...` / `order by ...`
    Sort {
        params: Vec<OpParam>,
        keys: Vec<SortKey>,
    },
    /// `take N` / `limit N`
    Take { count: Expr },
    /// `count [as Name]`
    Count { name: Option<Ident> },
    /// `parse` / `parse-where` (`filter` is true for `parse-where`).
    Parse {
        filter: bool,
        params: Vec<OpParam>,
        source: Expr,
        pattern: Vec<ParsePart>,
    },
    /// `parse-kv Expr as (Col:type, ...) with (param=value, ...)`
    ParseKv {
        source: Expr,
        columns: Vec<ColumnDecl>,
        with: Vec<OpParam>,
    },
    /// `mv-expand [params] Col [to typeof(t)], ... [limit N]`
    MvExpand {
        params: Vec<OpParam>,
        items: Vec<MvItem>,
        limit: Option<Expr>,
    },
    /// `mv-apply [params] items [limit N] on ( subquery )`
    MvApply {
        params: Vec<OpParam>,
        items: Vec<MvItem>,
        limit: Option<Expr>,
        on: Vec<PipeOp>,
        on_span: Span,
    },
    /// `make-series aggs on Col [from a] [to b] step s | in range(a, b, s) [by ...]`
    MakeSeries {
        params: Vec<OpParam>,
        aggs: Vec<MakeSeriesAgg>,
        on: Expr,
        range: SeriesRange,
        by: Vec<NamedExpr>,
    },
    /// `evaluate plugin(args)`
    /// `evaluate [params] plugin(args) [: (Col:type, ...)]`: the optional
    /// schema of the plugin's output (`*` in it: any further columns).
    Evaluate {
        params: Vec<OpParam>,
        call: Expr,
        schema: Option<EvaluateSchema>,
    },
    /// `invoke f(args)`
    Invoke { call: Expr },
    /// `as [hint.materialized=true] Name`
    As { params: Vec<OpParam>, name: Ident },
    /// `serialize [a = expr, ...]`
    Serialize { cols: Vec<NamedExpr> },
    /// `sample N`
    Sample { count: Expr },
    /// `sample-distinct N of Col`
    SampleDistinct { count: Expr, of: Expr },
    /// `getschema`
    GetSchema,
    /// `render chart [with (k=v, ...)]`; the deprecated forms `render chart
    /// kind=k title=t accumulate=b` are in `with` too, `with 'x'` and `by a, b`
    /// (columns) in `legacy`.
    Render {
        chart: Ident,
        with: Vec<OpParam>,
        legacy: Vec<OpParam>,
    },
    /// `search [kind=...] [in (T1, T2)] pred`
    Search {
        params: Vec<OpParam>,
        tables: Vec<Expr>,
        pred: Expr,
    },
    /// `union [params] T1, T2*, (subquery)`
    Union {
        params: Vec<OpParam>,
        tables: Vec<Expr>,
    },
    /// `join [kind=..] [hint.*=..] Right on keys`
    Join {
        params: Vec<OpParam>,
        right: Expr,
        on: Vec<Expr>,
    },
    /// `lookup [kind=..] Right on keys`
    Lookup {
        params: Vec<OpParam>,
        right: Expr,
        on: Vec<Expr>,
    },
    /// `find [withsource=X] [in (T1, ...)] where pred [project a, b | project-smart]`
    Find {
        params: Vec<OpParam>,
        tables: Vec<Expr>,
        pred: Expr,
        project: Option<Vec<Expr>>,
    },
    /// `reduce by Col [with k=v, ...]`
    Reduce {
        params: Vec<OpParam>,
        by: Expr,
        with: Vec<OpParam>,
    },
    /// `facet by a, b [with ( ops )]`
    Facet { by: Vec<Expr>, with: Vec<PipeOp> },
    /// `fork ( ops ) ( ops ) ...` (each branch may be named `Name = (ops)`)
    Fork { branches: Vec<ForkBranch> },
    /// `partition [params] by Col ( ops )`
    Partition {
        params: Vec<OpParam>,
        by: Expr,
        sub: Vec<PipeOp>,
    },
    /// `consume [params]`
    Consume { params: Vec<OpParam> },
    /// `print a = expr, ...`
    Print { cols: Vec<NamedExpr> },
    /// `range x from a to b step s`
    Range {
        name: Ident,
        from: Expr,
        to: Expr,
        step: Expr,
    },
    /// `scan [with_match_id=Id] [declare (Col:type [= default], ...)]
    /// with (step Name [optional | output=all|last|none]: Cond [=> Col = expr, ...]; ...)`
    Scan {
        params: Vec<OpParam>,
        declare: Vec<Param>,
        steps: Vec<ScanStep>,
    },
    /// `project-by-names Spec, ...`: column names, name patterns (`"C*"`) or dynamic
    /// arrays of names, as strings or expressions (`column_names_of(T)`).
    ProjectByNames { cols: Vec<Expr> },
    /// `make-graph [kind=...] Src --> Dst [with T on Key, ...] [with_node_id = Name]`
    /// (`--` for an undirected graph).
    MakeGraph {
        params: Vec<OpParam>,
        source: Ident,
        directed: bool,
        target: Ident,
        /// `with T on Key, ...`: node tables and their key columns.
        nodes: Vec<(Expr, Ident)>,
        /// `with_node_id = Name`: nodes made from the edges' endpoints, named so.
        node_id: Option<Ident>,
    },
    /// `graph-match [cycles=...] Pattern, ... [where Pred] [project Cols]`, and
    /// `graph-shortest-paths [output=...]` with the same clauses (`shortest`).
    GraphMatch {
        shortest: bool,
        params: Vec<OpParam>,
        patterns: Vec<GraphPattern>,
        pred: Option<Expr>,
        project: Vec<NamedExpr>,
    },
    /// `graph-to-table nodes [as N] [with_node_id=C] [, edges [as E] [with_source_id=C]
    /// [with_target_id=C]]` (either part first).
    GraphToTable { parts: Vec<GraphToTablePart> },
    /// `graph-mark-components [kind=weak|strong] [with_component_id=Name]`
    GraphMarkComponents { params: Vec<OpParam> },
    /// An operator that could not be parsed (an error was reported).
    Error,
}

/// One path of a `graph-match` pattern: `(a)-[e]->(b)<-[f*1..3]-(c)`: `nodes` has one
/// more element than `edges`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GraphPattern {
    pub nodes: Vec<Option<Ident>>,
    pub edges: Vec<GraphEdge>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum EdgeDir {
    /// `-[e]->`
    Out,
    /// `<-[e]-`
    In,
    /// `-[e]-`
    Any,
}

/// One edge of a [`GraphPattern`]; `hops` is `*min..max` (absent: exactly one edge).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GraphEdge {
    pub name: Option<Ident>,
    pub dir: EdgeDir,
    pub hops: Option<(u32, u32)>,
    pub span: Span,
}

/// `nodes`/`edges` with its `as` name and `with_*` parameters, in `graph-to-table`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GraphToTablePart {
    pub edges: bool,
    pub alias: Option<Ident>,
    pub params: Vec<OpParam>,
}

/// One `step` of `scan`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScanStep {
    pub name: Ident,
    pub optional: bool,
    /// `output=all|last|none` (absent: `all`).
    pub output: Option<Ident>,
    pub cond: Expr,
    /// `=> Col = expr, ...`
    pub assigns: Vec<NamedExpr>,
}

/// `name=value` operator parameters such as `kind=inner`, `hint.strategy=shuffle`,
/// `withsource=T`, `isfuzzy=true`, `with_itemindex=i`, and `with (...)` properties.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OpParam {
    /// Dotted names are joined: `hint.strategy`.
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

/// `expr`, `Name = expr` or `(A, B) = expr`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NamedExpr {
    /// Empty when no name was given.
    pub names: Vec<Ident>,
    pub expr: Expr,
    pub span: Span,
}

/// A column (or table) name that may contain `*` wildcards.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NamePattern {
    pub text: String,
    pub span: Span,
}

impl NamePattern {
    pub fn is_wildcard(&self) -> bool {
        self.text.contains('*')
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rename {
    pub new: Ident,
    pub old: Ident,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReorderCol {
    pub pattern: NamePattern,
    /// `asc`, `desc`, `granny-asc`, `granny-desc`.
    pub order: Option<Ident>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum SortOrder {
    Asc,
    Desc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum NullsOrder {
    First,
    Last,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SortKey {
    pub expr: Expr,
    pub order: Option<SortOrder>,
    pub nulls: Option<NullsOrder>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TopNestedClause {
    pub count: Option<Expr>,
    pub of: NamedExpr,
    pub others: Option<Expr>,
    pub by: NamedExpr,
    pub order: Option<SortOrder>,
    pub span: Span,
}

/// A piece of a `parse` pattern.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum ParsePart {
    /// A string to match.
    Literal(Literal),
    /// `Col` or `Col:type`: a column to extract.
    Column {
        name: Ident,
        ty: Option<Ident>,
        span: Span,
    },
    /// `*`: skip anything.
    Star(Span),
}

/// `Col [to typeof(t)]` in `mv-expand` / `mv-apply`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MvItem {
    pub expr: NamedExpr,
    pub to_type: Option<Ident>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MakeSeriesAgg {
    pub expr: NamedExpr,
    pub default: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum SeriesRange {
    /// `[from a] [to b] step s`
    FromTo {
        from: Option<Expr>,
        to: Option<Expr>,
        step: Expr,
    },
    /// `in range(a, b, s)`
    InRange { start: Expr, stop: Expr, step: Expr },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ForkBranch {
    pub name: Option<Ident>,
    pub ops: Vec<PipeOp>,
    pub span: Span,
}

impl Expr {
    pub fn span(&self) -> Span {
        match self {
            Expr::Literal(l) => l.span,
            Expr::Name(i) => i.span,
            Expr::Star(s) | Expr::Error(s) => *s,
            Expr::Wildcard(p) => p.span,
            Expr::Paren { span, .. }
            | Expr::Unary { span, .. }
            | Expr::Binary { span, .. }
            | Expr::Logical { span, .. }
            | Expr::StringOp { span, .. }
            | Expr::In { span, .. }
            | Expr::Between { span, .. }
            | Expr::Call { span, .. }
            | Expr::MethodCall { span, .. }
            | Expr::Member { span, .. }
            | Expr::Index { span, .. }
            | Expr::Datatable { span, .. }
            | Expr::ExternalData { span, .. }
            | Expr::TypeOf { span, .. } => *span,
            Expr::Pipeline(p) => p.span,
            Expr::TabularOp(op) => op.span,
        }
    }

    /// The name if this is a plain [`Expr::Name`].
    pub fn as_name(&self) -> Option<&str> {
        match self {
            Expr::Name(i) => Some(&i.name),
            _ => None,
        }
    }

    /// The top-level `and` operands of a predicate (itself when it is not an `and`).
    pub fn conjuncts(&self) -> Vec<&Expr> {
        match self.unparen() {
            Expr::Logical {
                op: LogicalOp::And,
                operands,
                ..
            } => operands.iter().flat_map(Expr::conjuncts).collect(),
            other => vec![other],
        }
    }

    /// Strips any number of enclosing parentheses.
    pub fn unparen(&self) -> &Expr {
        let mut e = self;
        while let Expr::Paren { inner, .. } = e {
            e = inner;
        }
        e
    }
}

impl Statement {
    pub fn span(&self) -> Span {
        match self {
            Statement::Let(l) => l.span,
            Statement::Set(s) => s.span,
            Statement::DeclareQueryParameters(d) => d.span,
            Statement::DeclarePattern(p) => p.span,
            Statement::Query(e) => e.span(),
            Statement::Error(s) => *s,
        }
    }
}

impl Literal {
    /// The decoded string value, if this is a string literal.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            LitValue::String { value, .. } => Some(value),
            _ => None,
        }
    }
}

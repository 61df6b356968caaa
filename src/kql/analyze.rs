//! Stage 4: semantic analysis of a parsed KQL query.
//!
//! Resolves names through the pipeline: the row schema (columns and their types) flows
//! from the source table through `project`, `extend`, `summarize`, `join`, `union`...
//! so a column dropped by `project` and used later is reported. `let` bindings are
//! scoped and their use is tracked. The result is a list of [`Finding`]s (each becomes a
//! lint diagnostic) and facts later stages need: the tables the query reads.
//!
//! The analysis is deliberately conservative: where KQL semantics are not modelled (a
//! plugin's output, `mv-apply` subqueries, an unknown table) the row schema becomes
//! *open* and no column is reported as unknown, so the linter stays quiet rather than
//! guessing.

use crate::knowledge::tables::{Catalog, Column, ColumnType};
use crate::kql::Span;
use crate::kql::ast::*;
use crate::loading::workspace::{Function, Workspace};

/// How deep functions may call functions before their result is taken as open.
const MAX_FUNCTION_DEPTH: usize = 8;

/// What kind of problem a finding is; each maps to one lint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FindingKind {
    UnknownTable,
    /// A `*_CL` custom log table that the workspace does not declare.
    UndeclaredCustomTable,
    /// An Azure Resource Graph table named as if it were a Log Analytics table.
    ResourceGraphTable,
    /// A parser function a Sentinel solution ships that the workspace does not declare.
    SolutionParser,
    UnknownColumn,
    UndefinedName,
    UnusedLet,
    OperatorType,
    NonTermHas,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub kind: FindingKind,
    /// Byte span in the query text.
    pub span: Span,
    pub message: String,
    pub label: String,
    pub notes: Vec<String>,
    pub help: Option<String>,
}

/// A table the query reads from the built-in catalog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableRef {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, Default)]
pub struct Analysis {
    pub findings: Vec<Finding>,
    /// Built-in tables the query reads, in order of appearance (a table once per use).
    pub tables: Vec<TableRef>,
    /// The columns of the query's result, when they are all known (`None` when the
    /// result's schema is open: an unknown table, a plugin without a schema...).
    pub output: Option<Vec<String>>,
    /// The same columns with their types (`None` where a type is not known).
    pub output_schema: Option<Vec<(String, Option<ColumnType>)>>,
    /// Workspace functions (declared, or files of the catalog) the query calls, directly
    /// or through one another, once per use: what the engine runs by their bodies.
    pub functions: Vec<Function>,
    /// The built-in tables those functions read.
    pub function_tables: Vec<String>,
}

impl Analysis {
    pub fn of_kind(&self, kind: FindingKind) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.kind == kind)
    }
}

/// Analyzes a parsed query against a table catalog.
pub fn analyze(query: &Query, catalog: &Catalog) -> Analysis {
    analyze_with_params(query, catalog, &[])
}

/// Analyzes the body of a function or parser whose parameters (name, KQL type as
/// written) are in scope as `let`s: `FunctionParams`/`ParserParams` become lets in
/// Sentinel too. A tabular parameter (`table:(...)`) binds an open row.
pub fn analyze_with_params(
    query: &Query,
    catalog: &Catalog,
    params: &[(String, String)],
) -> Analysis {
    analyze_in(query, catalog, Workspace::empty(), params)
}

/// Analyzes a parsed query against a table catalog and what a workspace declares (custom
/// tables, functions and parsers, watchlists), with `params` bound as in
/// [`analyze_with_params`].
pub fn analyze_in(
    query: &Query,
    catalog: &Catalog,
    ws: &Workspace,
    params: &[(String, String)],
) -> Analysis {
    let mut a = Analyzer::new(catalog, ws, 0);
    for (name, ty) in params {
        let ty = ty.trim();
        let binding = if ty.starts_with("table") || ty == "(*)" {
            Binding::Tabular(Row::open())
        } else {
            Binding::Scalar(scalar_type_name(ty))
        };
        let ident = Ident {
            name: name.clone(),
            span: Span { start: 0, end: 0 },
        };
        a.bind(&ident, binding, true);
    }
    let result = a.statements(&query.statements);
    a.out.output_schema = result.filter(|r| !r.open).map(|r| r.cols);
    a.out.output = a
        .out
        .output_schema
        .as_ref()
        .map(|cols| cols.iter().map(|(n, _)| n.clone()).collect());
    a.report_unused(0);
    a.out.findings.sort_by(|x, y| {
        (x.span.start, x.span.end, x.kind).cmp(&(y.span.start, y.span.end, y.kind))
    });
    a.out
        .findings
        .dedup_by(|x, y| x.span == y.span && x.kind == y.kind);
    a.out
}

/// A column type, or `None` when not known.
type Ty = Option<ColumnType>;

/// The columns of the rows flowing through a pipeline.
#[derive(Clone, Debug, Default)]
struct Row {
    cols: Vec<(String, Ty)>,
    /// Columns not listed may exist (unknown table, plugin output...): do not report.
    open: bool,
    /// The source table, for messages.
    table: Option<String>,
}

impl Row {
    fn open() -> Row {
        Row {
            open: true,
            ..Row::default()
        }
    }

    /// The row of a scalar context outside any operator (a `let x = ...;`): no columns.
    fn none() -> Row {
        Row::default()
    }

    /// A declared table's row: its columns, open when the table is.
    fn of_table(t: &crate::knowledge::tables::Table) -> Row {
        Row {
            cols: t
                .columns
                .iter()
                .map(|c| (c.name.clone(), Some(c.ty)))
                .collect(),
            open: t.open,
            table: Some(t.name.clone()),
        }
    }

    /// No columns yet, open and from the same table as `self`: what `project`,
    /// `distinct` and `summarize` build their output on.
    fn emptied(&self) -> Row {
        Row {
            open: self.open,
            table: self.table.clone(),
            ..Row::default()
        }
    }

    fn get(&self, name: &str) -> Option<Ty> {
        self.cols.iter().find(|(n, _)| n == name).map(|(_, t)| *t)
    }

    fn has(&self, name: &str) -> bool {
        self.cols.iter().any(|(n, _)| n == name)
    }

    fn add(&mut self, name: String, ty: Ty) {
        if let Some(c) = self.cols.iter_mut().find(|(n, _)| *n == name) {
            c.1 = ty;
        } else {
            self.cols.push((name, ty));
        }
    }

    fn names(&self) -> impl Iterator<Item = &str> + Clone {
        self.cols.iter().map(|(n, _)| n.as_str())
    }
}

#[derive(Clone, Debug)]
enum Binding {
    Scalar(Ty),
    Tabular(Row),
    /// A user function; `Some(row)` when its body is tabular.
    Function(Option<Row>),
}

#[derive(Debug)]
struct LetInfo {
    name: String,
    span: Span,
    binding: Binding,
    used: bool,
    /// Parameters are bindings too, but an unused parameter is not reported.
    is_param: bool,
}

struct Analyzer<'c> {
    catalog: &'c Catalog,
    ws: &'c Workspace,
    /// Nesting of workspace function bodies being analyzed.
    depth: usize,
    lets: Vec<LetInfo>,
    /// Indices into `lets` that are in scope, innermost last.
    scope: Vec<usize>,
    out: Analysis,
}

fn ty_name(t: ColumnType) -> &'static str {
    t.as_str()
}

/// Whether `name` matches a KQL name pattern, where `*` matches any run of characters
/// (`project-away Initiating*`, `union Device*`).
pub fn wildcard_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name;
    for (i, p) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(p) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(p);
        } else if let Some(idx) = rest.find(p) {
            rest = &rest[idx + p.len()..];
        } else {
            return false;
        }
    }
    true
}

impl<'c> Analyzer<'c> {
    fn new(catalog: &'c Catalog, ws: &'c Workspace, depth: usize) -> Analyzer<'c> {
        Analyzer {
            catalog,
            ws,
            depth,
            lets: Vec::new(),
            scope: Vec::new(),
            out: Analysis::default(),
        }
    }

    /// Whether `name` (not a `let`) names a table, a declared function or a built-in
    /// parser: something a pipeline can start from.
    fn is_source_name(&self, name: &str) -> bool {
        self.catalog.name_ci(name).is_some()
            || self.ws.tables.name_ci(name).is_some()
            || self.ws.function(name).is_some()
            || crate::loading::workspace::asim_parser(name).is_some()
            || crate::knowledge::solution_parsers::get(name).is_some()
    }

    /// The rows a declared function returns: its body analyzed with the parameters bound.
    fn function_row(&mut self, f: &Function) -> Row {
        if self.depth >= MAX_FUNCTION_DEPTH {
            return Row::open();
        }
        let parsed = f.parsed();
        if !parsed.errors.is_empty() {
            return Row::open();
        }
        let mut sub = Analyzer::new(self.catalog, self.ws, self.depth + 1);
        for p in &f.params {
            let ty = p.ty.trim();
            let binding = if ty.to_ascii_lowercase().starts_with("table") {
                Binding::Tabular(Row::open())
            } else {
                Binding::Scalar(scalar_type_name(ty))
            };
            let id = Ident {
                name: p.name.clone(),
                span: Span::default(),
            };
            sub.bind(&id, binding, true);
        }
        let mut row = sub
            .statements(&parsed.query.statements)
            .unwrap_or_else(Row::open);
        row.table = Some(f.name.clone());
        self.out.functions.push(f.clone());
        self.out.functions.append(&mut sub.out.functions);
        self.out
            .function_tables
            .extend(sub.out.tables.iter().map(|t| t.name.clone()));
        self.out
            .function_tables
            .append(&mut sub.out.function_tables);
        row
    }

    /// A built-in function's or parser's rows, if `name` is one; `span` is where the name
    /// is written (a solution parser the workspace does not declare is reported there).
    fn builtin_source(&mut self, name: &str, args: &[Expr], span: Span) -> Option<Row> {
        if name == "_GetWatchlist" {
            let alias = match args.first().map(Expr::unparen) {
                Some(Expr::Literal(l)) => l.as_str().map(str::to_string),
                _ => None,
            };
            let mut row = Row {
                cols: crate::loading::workspace::WATCHLIST_COLUMNS
                    .iter()
                    .map(|(n, t)| (n.to_string(), Some(*t)))
                    .collect(),
                open: true,
                table: alias.as_ref().map(|a| format!("_GetWatchlist('{a}')")),
            };
            if let Some(cols) = alias.as_ref().and_then(|a| self.ws.watchlists.get(a)) {
                row.open = false;
                for c in cols {
                    row.add(c.name.clone(), Some(c.ty));
                }
            }
            return Some(row);
        }
        if let Some(f) = self.ws.function(name) {
            let f = f.clone();
            return Some(self.function_row(&f));
        }
        if let Some(f) = crate::knowledge::azure_services::system_function(name) {
            return Some(Row {
                cols: f
                    .columns
                    .iter()
                    .map(|(n, t)| (n.clone(), Some(*t)))
                    .collect(),
                open: false,
                table: Some(name.to_string()),
            });
        }
        let Some(schema) = crate::loading::workspace::asim_parser(name) else {
            return self.solution_parser(name, span);
        };
        Some(Row {
            cols: schema
                .columns
                .iter()
                .map(|c: &Column| (c.name.clone(), Some(c.ty)))
                .collect(),
            open: false,
            table: Some(name.to_string()),
        })
    }

    /// A parser function that a Sentinel solution ships (`knowledge/solution-parsers.txt`):
    /// reported as not declared, and its rows (open when its columns are not known).
    fn solution_parser(&mut self, name: &str, span: Span) -> Option<Row> {
        let p = crate::knowledge::solution_parsers::get(name)?;
        let from = match p.solution {
            Some(s) => format!("the Microsoft Sentinel solution `{s}`"),
            None => "Microsoft Sentinel (the Azure-Sentinel `Parsers` folder)".to_string(),
        };
        let f = self.finding(
            FindingKind::SolutionParser,
            span,
            format!("`{name}` is a parser function of {from}, not a table; rulecat.toml does not declare it"),
            "a solution parser rulecat.toml does not declare",
        );
        f.notes.push(match p.commit {
            Some(c) => format!(
                "defined in Azure/Azure-Sentinel `{}` (commit {})",
                p.path,
                &c[..c.len().min(12)]
            ),
            None => format!("defined in Azure/Azure-Sentinel `{}`", p.path),
        });
        f.notes.push(if p.columns.is_some() {
            "its columns are those its upstream query returns: they are checked".into()
        } else {
            "its columns are not known: every column of it is accepted".into()
        });
        f.help = Some(match p.solution {
            Some(s) => format!(
                "declare it: put `{}` (or your own version) in a folder listed in rulecat.toml `[workspace] functions`; in Sentinel, install the `{s}` solution",
                p.path.rsplit('/').next().unwrap_or(p.path)
            ),
            None => format!(
                "declare it: put `{}` (or your own version) in a folder listed in rulecat.toml `[workspace] functions`",
                p.path.rsplit('/').next().unwrap_or(p.path)
            ),
        });
        Some(match p.columns {
            Some(cols) => Row {
                cols: cols.into_iter().map(|(n, t)| (n.to_string(), t)).collect(),
                open: false,
                table: Some(p.name.to_string()),
            },
            None => Row {
                cols: Vec::new(),
                open: true,
                table: Some(p.name.to_string()),
            },
        })
    }

    fn finding(
        &mut self,
        kind: FindingKind,
        span: Span,
        message: String,
        label: impl Into<String>,
    ) -> &mut Finding {
        self.out.findings.push(Finding {
            kind,
            span,
            message,
            label: label.into(),
            notes: Vec::new(),
            help: None,
        });
        self.out.findings.last_mut().expect("just pushed")
    }

    fn lookup(&mut self, name: &str) -> Option<Binding> {
        let idx = self
            .scope
            .iter()
            .rev()
            .copied()
            .find(|&i| self.lets[i].name == name)?;
        self.lets[idx].used = true;
        Some(self.lets[idx].binding.clone())
    }

    fn peek(&self, name: &str) -> Option<&Binding> {
        self.scope
            .iter()
            .rev()
            .map(|&i| &self.lets[i])
            .find(|l| l.name == name)
            .map(|l| &l.binding)
    }

    fn bind(&mut self, name: &Ident, binding: Binding, is_param: bool) {
        self.lets.push(LetInfo {
            name: name.name.clone(),
            span: name.span,
            binding,
            used: false,
            is_param,
        });
        self.scope.push(self.lets.len() - 1);
    }

    /// Reports `let`s bound at scope depth >= `from` that were never used, then drops them.
    fn report_unused(&mut self, from: usize) {
        let unused: Vec<(String, Span)> = self.scope[from..]
            .iter()
            .map(|&i| &self.lets[i])
            .filter(|l| !l.used && !l.is_param && !l.name.starts_with('_'))
            .map(|l| (l.name.clone(), l.span))
            .collect();
        for (name, span) in unused {
            let f = self.finding(
                FindingKind::UnusedLet,
                span,
                format!("`{name}` is defined but never used"),
                "never used",
            );
            f.help = Some(format!(
                "use `{name}` where it was meant to apply, or remove the `let`"
            ));
        }
        self.scope.truncate(from);
    }

    fn statements(&mut self, stmts: &[Statement]) -> Option<Row> {
        let mut result = None;
        for s in stmts {
            match s {
                Statement::Let(l) => {
                    let binding = match &l.value {
                        LetValue::Expr(e) => {
                            if self.is_tabular(e) {
                                Binding::Tabular(self.tabular(e))
                            } else {
                                Binding::Scalar(self.scalar(e, &Row::none()))
                            }
                        }
                        LetValue::Function(f) => Binding::Function(self.function(f)),
                    };
                    self.bind(&l.name, binding, false);
                }
                Statement::Query(e) => {
                    result = if self.is_tabular(e) {
                        Some(self.tabular(e))
                    } else {
                        self.scalar(e, &Row::none());
                        None
                    };
                }
                Statement::DeclareQueryParameters(d) => {
                    for p in &d.params {
                        let b = self.param_binding(p);
                        self.bind(&p.name, b, true);
                    }
                }
                Statement::Set(_) | Statement::DeclarePattern(_) | Statement::Error(_) => {}
            }
        }
        result
    }

    fn param_binding(&mut self, p: &Param) -> Binding {
        if let Some(d) = &p.default {
            self.scalar(d, &Row::none());
        }
        match &p.ty {
            ParamType::Scalar(t) => Binding::Scalar(scalar_type_name(&t.name)),
            ParamType::Tabular { columns, open, .. } => Binding::Tabular(Row {
                cols: columns
                    .iter()
                    .map(|c| (c.name.name.clone(), scalar_type_name(&c.ty.name)))
                    .collect(),
                open: *open,
                table: None,
            }),
        }
    }

    fn function(&mut self, f: &FunctionDef) -> Option<Row> {
        let mark = self.scope.len();
        for p in &f.params {
            let b = self.param_binding(p);
            self.bind(&p.name, b, true);
        }
        let row = self.statements(&f.body);
        self.report_unused(mark);
        row
    }

    /// Whether an expression denotes a table rather than a scalar.
    fn is_tabular(&self, e: &Expr) -> bool {
        match e {
            Expr::Pipeline(_)
            | Expr::TabularOp(_)
            | Expr::Datatable { .. }
            | Expr::ExternalData { .. } => true,
            Expr::Wildcard(_) => true,
            Expr::Paren { inner, .. } => self.is_tabular(inner),
            Expr::Name(id) => match self.peek(&id.name) {
                Some(Binding::Tabular(_)) => true,
                Some(Binding::Function(r)) => r.is_some(),
                Some(Binding::Scalar(_)) => false,
                None => self.is_source_name(&id.name),
            },
            Expr::Call { func, .. } => match func.name.as_str() {
                "materialize" | "table" | "view" | "_GetWatchlist" => true,
                other => match self.peek(other) {
                    Some(b) => matches!(b, Binding::Function(Some(_))),
                    None => {
                        self.ws.function(other).is_some()
                            || crate::loading::workspace::asim_parser(other).is_some()
                            || crate::knowledge::solution_parsers::get(other).is_some()
                    }
                },
            },
            Expr::MethodCall { func, .. } => func.name == "table",
            Expr::Member { target, .. } => {
                matches!(target.unparen(), Expr::Call { func, .. } | Expr::MethodCall { func, .. } if func.name == "database")
            }
            _ => false,
        }
    }

    /// Analyzes a tabular expression, returning the schema of its rows.
    fn tabular(&mut self, e: &Expr) -> Row {
        match e {
            Expr::Name(id) => self.table_name(id),
            Expr::Paren { inner, .. } => self.tabular(inner),
            Expr::Pipeline(p) => {
                let mut row = self.tabular(&p.source);
                for op in &p.ops {
                    row = self.op(op, row);
                }
                row
            }
            Expr::TabularOp(op) => self.op(op, Row::none()),
            Expr::Datatable {
                columns, values, ..
            } => {
                for v in values {
                    self.scalar(v, &Row::none());
                }
                decl_row(columns)
            }
            Expr::ExternalData { columns, .. } => decl_row(columns),
            Expr::Wildcard(p) => {
                let mut row = Row::open();
                for name in self.catalog.names() {
                    if wildcard_match(&p.text, name)
                        && let Some(t) = self.catalog.table(name)
                    {
                        for c in &t.columns {
                            row.add(c.name.clone(), Some(c.ty));
                        }
                    }
                }
                row
            }
            Expr::Call { func, args, .. } => match func.name.as_str() {
                "materialize" => match args.first() {
                    Some(a) => self.tabular(a),
                    None => Row::open(),
                },
                "table" => {
                    if let Some(Expr::Literal(l)) = args.first()
                        && let Some(name) = l.as_str()
                    {
                        let id = Ident {
                            name: name.to_string(),
                            span: l.span,
                        };
                        return self.table_name(&id);
                    }
                    Row::open()
                }
                other => {
                    for a in args {
                        if self.is_tabular(a) {
                            self.tabular(a);
                        } else {
                            self.scalar(a, &Row::none());
                        }
                    }
                    match self.lookup(other) {
                        Some(Binding::Function(Some(row))) | Some(Binding::Tabular(row)) => row,
                        Some(_) => Row::open(),
                        None => self
                            .builtin_source(other, args, func.span)
                            .unwrap_or_else(Row::open),
                    }
                }
            },
            other => {
                // database('x').T, cluster(...)...: outside the catalog.
                self.scalar(other, &Row::none());
                Row::open()
            }
        }
    }

    fn table_name(&mut self, id: &Ident) -> Row {
        match self.lookup(&id.name) {
            Some(Binding::Tabular(row)) | Some(Binding::Function(Some(row))) => return row,
            Some(_) => return Row::open(),
            None => {}
        }
        if let Some(t) = self.ws.tables.table(&id.name) {
            return Row::of_table(t);
        }
        if let Some(row) = self.builtin_source(&id.name, &[], id.span) {
            return row;
        }
        if let Some(t) = self.catalog.table(&id.name) {
            self.out.tables.push(TableRef {
                name: t.name.clone(),
                span: id.span,
            });
            let mut row = Row::of_table(t);
            if row.has("TimeGenerated") {
                // Azure Monitor's standard columns that the table references leave out.
                for (n, ty) in [
                    ("_TimeReceived", ColumnType::Datetime),
                    ("_ItemId", ColumnType::String),
                ] {
                    if !row.has(n) {
                        row.add(n.to_string(), Some(ty));
                    }
                }
            }
            return row;
        }
        let suggestion = self
            .catalog
            .table_ci(&id.name)
            .map(|t| t.name.clone())
            .or_else(|| self.catalog.suggest_table(&id.name).map(str::to_string));
        let let_names: Vec<String> = self
            .scope
            .iter()
            .map(|&i| self.lets[i].name.clone())
            .collect();
        let let_suggestion =
            crate::suggest::closest(&id.name, let_names.iter().map(String::as_str))
                .map(str::to_string);
        let name = id.name.clone();
        if name.ends_with("_CL") {
            let f = self.finding(
                FindingKind::UndeclaredCustomTable,
                id.span,
                format!("custom table `{name}` is not declared"),
                "a custom log table rulecat.toml does not declare",
            );
            f.notes
                .push("its columns cannot be checked: every column of it is accepted".into());
            if let Some(s) = &suggestion {
                f.notes
                    .push(format!("a built-in table has a similar name: `{s}`"));
            }
            f.help = Some(format!(
                "declare it: add its definition (`{{\"Name\": \"{name}\", \"Properties\": [{{\"Name\": ..., \"Type\": ...}}]}}`) to a folder listed in rulecat.toml `[workspace] tables`"
            ));
            return Row::open();
        }
        if let Some(l) = let_suggestion.filter(|_| suggestion.is_none()) {
            let f = self.finding(
                FindingKind::UndefinedName,
                id.span,
                format!("`{name}` is not defined"),
                "not a table or a `let` name",
            );
            f.help = Some(format!("did you mean `{l}`?"));
            return Row::open();
        }
        if let Some(arg) = crate::knowledge::azure_services::resource_graph_table(&name) {
            let f = self.finding(
                FindingKind::ResourceGraphTable,
                id.span,
                format!("`{name}` is an Azure Resource Graph table, not a Log Analytics table"),
                "Resource Graph table",
            );
            f.notes.push(
                "Sentinel runs rules in Log Analytics, which reaches Resource Graph only through `arg(\"\")`".into(),
            );
            f.help = Some(format!(
                "write `arg(\"\").{arg}`; a query meant for Resource Graph Explorer is not a Sentinel rule"
            ));
            return Row::open();
        }
        if let Some(retired) = crate::knowledge::retired_tables::get(&name) {
            let now = retired
                .replaced_by
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(" and ");
            let f = self.finding(
                FindingKind::UnknownTable,
                id.span,
                format!("`{name}` is a retired advanced-hunting table: its data is in {now}"),
                "retired table",
            );
            f.notes.push(
                "Microsoft renamed or retired this table; queries on the old name no longer run"
                    .into(),
            );
            f.help = Some(match retired.replaced_by.as_slice() {
                [one] => format!("query `{one}` (check the columns: some were renamed too)"),
                _ => format!("query {now} (the columns are split between them)"),
            });
            return Row::open();
        }
        let f = self.finding(
            FindingKind::UnknownTable,
            id.span,
            format!("unknown table `{name}`"),
            "not a Defender XDR or Sentinel table rulecat knows",
        );
        if let Some(s) = suggestion {
            if s.eq_ignore_ascii_case(&name) {
                f.notes.push("table names are case-sensitive in KQL".into());
            }
            f.help = Some(format!("did you mean `{s}`?"));
        } else {
            f.notes.push(
                "if this is a custom table, declare it in rulecat.toml so rulecat can check its columns".into(),
            );
        }
        Row::open()
    }

    /// Reports a name that is neither a column of the row nor a binding.
    fn unknown_name(&mut self, id: &Ident, row: &Row) {
        if row.open {
            return;
        }
        let name = id.name.clone();
        let let_names: Vec<String> = self
            .scope
            .iter()
            .map(|&i| self.lets[i].name.clone())
            .collect();
        let col_ci = row
            .cols
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(&name))
            .map(|(n, _)| n.clone());
        let col_near = col_ci
            .clone()
            .or_else(|| crate::suggest::closest(&name, row.names()).map(str::to_string));
        let let_near = crate::suggest::closest(&name, let_names.iter().map(String::as_str))
            .map(str::to_string);
        if row.cols.is_empty() || (col_near.is_none() && let_near.is_some()) {
            let f = self.finding(
                FindingKind::UndefinedName,
                id.span,
                format!("`{name}` is not defined"),
                "not a column or a `let` name",
            );
            if let Some(l) = let_near {
                f.help = Some(format!("did you mean `{l}`?"));
            }
            return;
        }
        let whose = match &row.table {
            Some(t) => format!(" of `{t}`"),
            None => String::new(),
        };
        let f = self.finding(
            FindingKind::UnknownColumn,
            id.span,
            format!("unknown column `{name}`"),
            format!("not a column{whose} at this point of the query"),
        );
        if let Some(ci) = col_ci {
            f.notes.push(format!(
                "column names are case-sensitive in KQL: `{name}` and `{ci}` are different names"
            ));
            f.help = Some(format!("did you mean `{ci}`?"));
        } else if let Some(near) = col_near {
            f.help = Some(format!("did you mean `{near}`?"));
        }
    }

    /// Resolves a name in a scalar context.
    fn name(&mut self, id: &Ident, row: &Row) -> Ty {
        if let Some(t) = row.get(&id.name) {
            // A column; a `let` of the same name counts as used too (KQL resolves
            // such clashes by context).
            if let Some(idx) = self
                .scope
                .iter()
                .rev()
                .copied()
                .find(|&i| self.lets[i].name == id.name)
            {
                self.lets[idx].used = true;
            }
            return t;
        }
        match self.lookup(&id.name) {
            Some(Binding::Scalar(t)) => return t,
            Some(_) => return None,
            None => {}
        }
        if self.catalog.contains(&id.name) || self.ws.tables.contains(&id.name) {
            // A table used as a scalar (e.g. `x in (T)` without a subquery).
            return None;
        }
        self.unknown_name(id, row);
        None
    }

    fn scalar(&mut self, e: &Expr, row: &Row) -> Ty {
        match e {
            Expr::Literal(l) => literal_type(l),
            Expr::Name(id) => self.name(id, row),
            Expr::Star(_) | Expr::Error(_) | Expr::Wildcard(_) | Expr::TypeOf { .. } => None,
            Expr::Paren { inner, .. } => {
                if self.is_tabular(inner) {
                    self.tabular(inner);
                    None
                } else {
                    self.scalar(inner, row)
                }
            }
            Expr::Unary { operand, .. } => self.scalar(operand, row),
            Expr::Binary { op, lhs, rhs, .. } => {
                let l = self.scalar(lhs, row);
                let r = self.scalar(rhs, row);
                if op.is_comparison() {
                    Some(ColumnType::Bool)
                } else {
                    arith_type(*op, l, r)
                }
            }
            Expr::Logical { operands, .. } => {
                for o in operands {
                    self.scalar(o, row);
                }
                Some(ColumnType::Bool)
            }
            Expr::StringOp {
                op,
                op_span,
                lhs,
                rhs,
                ..
            } => {
                let lt = self.scalar(lhs, row);
                self.scalar(rhs, row);
                self.check_string_operand(op.as_str(), *op_span, lhs, lt);
                if op.is_term_operator() {
                    self.check_term(op.as_str(), rhs);
                }
                Some(ColumnType::Bool)
            }
            Expr::In {
                op,
                op_span,
                lhs,
                list,
                ..
            } => {
                let lt = self.scalar(lhs, row);
                for item in list {
                    if self.is_tabular(item) {
                        self.tabular(item);
                    } else if let Expr::Name(id) = item.unparen()
                        && !row.has(&id.name)
                        && self.peek(&id.name).is_none()
                        && !row.open
                    {
                        // A bare name as the whole list is meant to be a `let` (a list or
                        // a table), not a column.
                        let f = self.finding(
                            FindingKind::UndefinedName,
                            id.span,
                            format!("`{}` is not defined", id.name),
                            "no `let` defines this list",
                        );
                        f.help = Some(format!(
                            "define it before the query, e.g. `let {} = dynamic([...]);`",
                            id.name
                        ));
                    } else {
                        self.scalar(item, row);
                    }
                }
                if op.is_term_operator() {
                    self.check_string_operand(op.as_str(), *op_span, lhs, lt);
                    for item in list {
                        self.check_term(op.as_str(), item);
                    }
                }
                Some(ColumnType::Bool)
            }
            Expr::Between { lhs, low, high, .. } => {
                self.scalar(lhs, row);
                self.scalar(low, row);
                self.scalar(high, row);
                Some(ColumnType::Bool)
            }
            Expr::Call { func, args, .. } => self.call(func, args, row),
            Expr::MethodCall { target, args, .. } => {
                self.scalar(target, row);
                for a in args {
                    self.scalar(a, row);
                }
                None
            }
            Expr::Member { target, .. } => {
                if let Expr::Name(id) = target.unparen()
                    && (id.name == "$left" || id.name == "$right")
                {
                    return None;
                }
                self.scalar(target, row);
                Some(ColumnType::Dynamic)
            }
            Expr::Index { target, index, .. } => {
                self.scalar(target, row);
                self.scalar(index, row);
                Some(ColumnType::Dynamic)
            }
            Expr::Pipeline(_)
            | Expr::TabularOp(_)
            | Expr::Datatable { .. }
            | Expr::ExternalData { .. } => {
                self.tabular(e);
                None
            }
        }
    }

    fn call(&mut self, func: &Ident, args: &[Expr], row: &Row) -> Ty {
        let name = func.name.as_str();
        match name {
            "toscalar" | "materialize" => {
                for a in args {
                    if self.is_tabular(a) {
                        self.tabular(a);
                    } else {
                        self.scalar(a, row);
                    }
                }
                return None;
            }
            "table" => return None,
            _ => {}
        }
        let mut arg_types = Vec::with_capacity(args.len());
        for a in args {
            arg_types.push(if self.is_tabular(a) {
                self.tabular(a);
                None
            } else {
                self.scalar(a, row)
            });
        }
        if let Some(b) = self.lookup(name) {
            return match b {
                Binding::Scalar(t) => t,
                _ => None,
            };
        }
        function_type(name, &arg_types)
    }

    /// `has` and friends on a column whose type is not a string.
    fn check_string_operand(&mut self, op: &str, op_span: Span, lhs: &Expr, ty: Ty) {
        let Some(t) = ty else { return };
        if matches!(t, ColumnType::String | ColumnType::Dynamic) {
            return;
        }
        let article = if matches!(t, ColumnType::Int) {
            "an"
        } else {
            "a"
        };
        let what = match lhs.unparen() {
            Expr::Name(id) => format!("`{}` is {article} {} column", id.name, ty_name(t)),
            _ => format!("the left side is {article} {}", ty_name(t)),
        };
        let f = self.finding(
            FindingKind::OperatorType,
            op_span,
            format!("`{op}` is a string operator, but {what}"),
            format!("string operator on a {} value", ty_name(t)),
        );
        f.notes.push(format!(
            "Kusto converts the {} to text first, which is slow and rarely what was meant",
            ty_name(t)
        ));
        f.help = Some(match t {
            ColumnType::Datetime => "compare datetimes with `between`, `>`, `<` or `==`, or use `format_datetime()` explicitly".to_string(),
            _ => format!("compare with `==` or `in`, or convert explicitly: `tostring({})`", expr_text(lhs)),
        });
    }

    /// `has 'ab'` or `has '*.exe'`: a right side that cannot be a term match.
    fn check_term(&mut self, op: &str, rhs: &Expr) {
        let Expr::Literal(l) = rhs.unparen() else {
            return;
        };
        let Some(v) = l.as_str() else { return };
        if v.contains('*') {
            let f = self.finding(
                FindingKind::NonTermHas,
                l.span,
                format!("`{op}` does not expand wildcards: `*` in `{v}` is matched as a term boundary, not as \"anything\""),
                "`*` is not a wildcard here",
            );
            f.help = Some(
                "use `contains`, `startswith`/`endswith`, or `matches regex` for a pattern".into(),
            );
            return;
        }
        let alnum = v.chars().filter(|c| c.is_alphanumeric()).count();
        if alnum < 3 {
            let f = self.finding(
                FindingKind::NonTermHas,
                l.span,
                format!("`{op}` with `{v}`: terms shorter than 3 characters are not indexed"),
                "shorter than a term",
            );
            f.notes.push("Kusto indexes terms of 3 or more alphanumeric characters; shorter values force a scan of every row and often match more than intended".into());
            f.help = Some("use `==` for an exact value, or a longer, more specific term".into());
        }
    }

    fn named_exprs(&mut self, items: &[NamedExpr], row: &Row, out: &mut Row, default_prefix: &str) {
        for (i, ne) in items.iter().enumerate() {
            let ty = self.scalar(&ne.expr, row);
            if ne.names.len() > 1 {
                for n in &ne.names {
                    out.add(n.name.clone(), None);
                }
            } else if let Some(n) = ne.names.first() {
                out.add(n.name.clone(), ty);
            } else {
                out.add(default_name(&ne.expr, default_prefix, i), ty);
            }
        }
    }

    /// The arguments of an `evaluate`/`invoke` call: subqueries and scalars.
    fn plugin_args(&mut self, call: &Expr, row: &Row) {
        if let Expr::Call { func, args, .. } = call {
            // ipv4_lookup(Lookup, SourceKey, LookupKey...): from the third argument on,
            // the names are columns of the lookup table.
            let lookup = matches!(func.name.as_str(), "ipv4_lookup" | "ipv6_lookup");
            for (i, a) in args.iter().enumerate() {
                if self.is_tabular(a) {
                    self.tabular(a);
                } else if lookup && i >= 2 {
                    self.scalar(a, &Row::open());
                } else {
                    self.scalar(a, row);
                }
            }
        }
    }

    fn param<'p>(params: &'p [OpParam], name: &str) -> Option<&'p Expr> {
        params
            .iter()
            .find(|p| p.name.name == name)
            .map(|p| &p.value)
    }

    fn op(&mut self, op: &PipeOp, row: Row) -> Row {
        match &op.op {
            Operator::Where { pred } => {
                self.scalar(pred, &row);
                row
            }
            Operator::Project { cols } => {
                let mut out = row.emptied();
                self.named_exprs(cols, &row, &mut out, "Column");
                out
            }
            Operator::Extend { cols } | Operator::Serialize { cols } => {
                let mut out = row.clone();
                self.named_exprs(cols, &row, &mut out, "Column");
                out
            }
            Operator::ProjectAway { cols } => {
                let mut out = row.clone();
                for p in cols {
                    self.check_pattern(p, &row);
                    out.cols.retain(|(n, _)| !wildcard_match(&p.text, n));
                }
                out
            }
            Operator::ProjectKeep { cols } => {
                let mut out = row.clone();
                for p in cols {
                    self.check_pattern(p, &row);
                }
                out.cols
                    .retain(|(n, _)| cols.iter().any(|p| wildcard_match(&p.text, n)));
                out
            }
            Operator::ProjectRename { renames } => {
                let mut out = row.clone();
                for r in renames {
                    let ty = self.name(&r.old, &row);
                    out.cols.retain(|(n, _)| *n != r.old.name);
                    out.add(r.new.name.clone(), ty);
                }
                out
            }
            Operator::ProjectReorder { cols } => {
                for c in cols {
                    self.check_pattern(&c.pattern, &row);
                }
                row
            }
            Operator::Summarize { aggs, by, .. } => {
                let mut out = row.emptied();
                let mut by_row = Row::default();
                self.named_exprs(by, &row, &mut by_row, "Column");
                out.cols.extend(by_row.cols);
                for (i, ne) in aggs.iter().enumerate() {
                    if let Some(cols) = arg_extreme_star(&ne.expr) {
                        // arg_max(x, *) keeps every column; `(n) = arg_max(x, *)` renames x.
                        self.scalar(&ne.expr, &row);
                        let renamed = match (&ne.expr, ne.names.first()) {
                            (Expr::Call { args, .. }, Some(n)) => {
                                args.first().and_then(|a| a.as_name()).map(|x| (x, n))
                            }
                            _ => None,
                        };
                        for c in &row.cols {
                            match renamed {
                                Some((x, n)) if c.0 == x => out.add(n.name.clone(), c.1),
                                _ => add_unique(&mut out, c.0.clone(), c.1),
                            }
                        }
                        out.add(cols, None);
                        continue;
                    }
                    if let Expr::Call { func, args, .. } = &ne.expr
                        && matches!(func.name.as_str(), "take_any" | "any")
                        && args.iter().any(|a| matches!(a, Expr::Star(_)))
                    {
                        // take_any(*) keeps every column.
                        for c in &row.cols {
                            add_unique(&mut out, c.0.clone(), c.1);
                        }
                        continue;
                    }
                    if let Expr::Call { func, args, .. } = &ne.expr
                        && (matches!(func.name.as_str(), "arg_max" | "arg_min")
                            || func.name == "take_any")
                        && args.len() > 1
                    {
                        // arg_max(x, a, b) and take_any(a, b): the columns x, a, b (renamed
                        // by `(n1, n2) =`; a name the row already has gets a `1` suffix).
                        let mut names = ne.names.iter();
                        for (j, a) in args.iter().enumerate() {
                            let ty = self.scalar(a, &row);
                            match names.next() {
                                Some(n) => out.add(n.name.clone(), ty),
                                None => add_unique(&mut out, default_name(a, "Column", i + j), ty),
                            }
                        }
                        continue;
                    }
                    let ty = self.scalar(&ne.expr, &row);
                    match ne.names.as_slice() {
                        [] => out.add(default_name(&ne.expr, "Column", i), ty),
                        [n] => out.add(n.name.clone(), ty),
                        many => {
                            for n in many {
                                out.add(n.name.clone(), None);
                            }
                        }
                    }
                }
                out
            }
            Operator::Distinct { cols, .. } => {
                if cols.iter().any(|c| matches!(c.expr, Expr::Star(_))) {
                    return row;
                }
                let mut out = row.emptied();
                self.named_exprs(cols, &row, &mut out, "Column");
                out
            }
            Operator::Top { count, by } => {
                self.scalar(count, &Row::none());
                self.scalar(&by.expr, &row);
                row
            }
            Operator::Sort { keys, .. } => {
                for k in keys {
                    self.scalar(&k.expr, &row);
                }
                row
            }
            Operator::Take { count } | Operator::Sample { count } => {
                self.scalar(count, &Row::none());
                row
            }
            Operator::Count { name } => Row {
                cols: vec![(
                    name.as_ref()
                        .map_or_else(|| "Count".into(), |n| n.name.clone()),
                    Some(ColumnType::Long),
                )],
                open: false,
                table: None,
            },
            Operator::GetSchema => Row {
                cols: ["ColumnName", "ColumnOrdinal", "DataType", "ColumnType"]
                    .iter()
                    .map(|n| (n.to_string(), None))
                    .collect(),
                open: false,
                table: None,
            },
            Operator::As { name, .. } => {
                self.bind(name, Binding::Tabular(row.clone()), true);
                row
            }
            Operator::Render { .. } => row,
            Operator::Parse {
                source, pattern, ..
            } => {
                self.scalar(source, &row);
                let mut out = row;
                for part in pattern {
                    if let ParsePart::Column { name, ty, .. } = part {
                        out.add(
                            name.name.clone(),
                            ty.as_ref()
                                .map_or(Some(ColumnType::String), |t| scalar_type_name(&t.name)),
                        );
                    }
                }
                out
            }
            Operator::ParseKv {
                source, columns, ..
            } => {
                self.scalar(source, &row);
                let mut out = row;
                for c in columns {
                    out.add(c.name.name.clone(), scalar_type_name(&c.ty.name));
                }
                out
            }
            Operator::MvExpand { items, limit, .. } => {
                if let Some(l) = limit {
                    self.scalar(l, &Row::none());
                }
                let mut out = row.clone();
                for it in items {
                    self.scalar(&it.expr.expr, &row);
                    let ty = it
                        .to_type
                        .as_ref()
                        .and_then(|t| scalar_type_name(&t.name))
                        .or(Some(ColumnType::Dynamic));
                    match it.expr.names.first() {
                        Some(n) => out.add(n.name.clone(), ty),
                        None => out.add(default_name(&it.expr.expr, "Column", 0), ty),
                    }
                }
                out
            }
            Operator::MvApply { items, .. } => {
                for it in items {
                    self.scalar(&it.expr.expr, &row);
                }
                let mut out = row;
                out.open = true;
                out
            }
            Operator::MakeSeries { aggs, on, by, .. } => {
                let mut out = Row {
                    open: true,
                    ..Row::default()
                };
                for a in aggs {
                    self.scalar(&a.expr.expr, &row);
                }
                self.scalar(on, &row);
                self.named_exprs(by, &row, &mut out, "Column");
                out
            }
            Operator::Join { params, right, on } | Operator::Lookup { params, right, on } => {
                let right_row = self.tabular(right);
                for key in on {
                    self.join_key(key, &row, &right_row);
                }
                let kind = Self::param(params, "kind")
                    .and_then(|e| e.as_name())
                    .unwrap_or("innerunique")
                    .to_ascii_lowercase();
                match kind.as_str() {
                    "leftanti" | "anti" | "leftantisemi" | "leftsemi" | "semi" => row,
                    "rightanti" | "rightantisemi" | "rightsemi" => right_row,
                    _ => {
                        let mut out = row;
                        out.open |= right_row.open;
                        for (n, t) in right_row.cols {
                            if out.has(&n) {
                                // Kusto renames the right side's clashing column.
                                let is_key = on.iter().any(|k| k.as_name() == Some(n.as_str()));
                                if !is_key || matches!(op.op, Operator::Join { .. }) {
                                    out.add(format!("{n}1"), t);
                                }
                            } else {
                                out.add(n, t);
                            }
                        }
                        out
                    }
                }
            }
            Operator::Union { params, tables } => {
                let mut out = row;
                if Self::param(params, "isfuzzy").is_some() {
                    out.open = true;
                }
                for t in tables {
                    let r = self.tabular(t);
                    out.open |= r.open;
                    for (n, ty) in r.cols {
                        out.add(n, ty);
                    }
                }
                if let Some(Expr::Name(ws)) = Self::param(params, "withsource") {
                    out.add(ws.name.clone(), Some(ColumnType::String));
                }
                out.table = None;
                out
            }
            Operator::Search { tables, pred, .. } => {
                for t in tables {
                    self.tabular(t);
                }
                self.scalar(pred, &Row::open());
                Row::open()
            }
            Operator::Find { tables, pred, .. } => {
                for t in tables {
                    self.tabular(t);
                }
                self.scalar(pred, &Row::open());
                Row::open()
            }
            Operator::Print { cols } => {
                let mut out = Row::default();
                self.named_exprs(cols, &Row::none(), &mut out, "print_");
                out
            }
            Operator::Range {
                name,
                from,
                to,
                step,
            } => {
                self.scalar(from, &Row::none());
                self.scalar(to, &Row::none());
                self.scalar(step, &Row::none());
                Row {
                    cols: vec![(name.name.clone(), None)],
                    open: false,
                    table: None,
                }
            }
            Operator::Evaluate { call, schema, .. } => {
                self.plugin_args(call, &row);
                match schema {
                    // `evaluate f(...) : (a:string, ...)` declares its output.
                    Some(s) => Row {
                        open: s.open,
                        ..decl_row(&s.columns)
                    },
                    None => Row::open(),
                }
            }
            Operator::Invoke { call } => {
                self.plugin_args(call, &row);
                Row::open()
            }
            Operator::TopNested { .. }
            | Operator::TopHitters { .. }
            | Operator::SampleDistinct { .. }
            | Operator::Reduce { .. }
            | Operator::ProjectByNames { .. }
            | Operator::MakeGraph { .. }
            | Operator::GraphMatch { .. }
            | Operator::GraphToTable { .. }
            | Operator::GraphMarkComponents { .. }
            | Operator::Facet { .. }
            | Operator::Fork { .. }
            | Operator::Partition { .. }
            | Operator::Consume { .. }
            | Operator::Scan { .. }
            | Operator::Error => Row::open(),
        }
    }

    fn check_pattern(&mut self, p: &NamePattern, row: &Row) {
        if row.open || p.is_wildcard() {
            return;
        }
        if !row.has(&p.text) {
            let id = Ident {
                name: p.text.clone(),
                span: p.span,
            };
            self.unknown_name(&id, row);
        }
    }

    fn join_key(&mut self, key: &Expr, left: &Row, right: &Row) {
        match key.unparen() {
            Expr::Name(id) => {
                // `on Col`: the column must exist on both sides.
                if !left.has(&id.name) {
                    self.unknown_name(id, left);
                } else if !right.has(&id.name) {
                    self.unknown_name(id, right);
                }
            }
            Expr::Logical { operands, .. } => {
                for o in operands {
                    self.join_key(o, left, right);
                }
            }
            Expr::Binary { lhs, rhs, .. } => {
                self.join_side(lhs, left, right);
                self.join_side(rhs, left, right);
            }
            other => {
                self.scalar(other, &Row::open());
            }
        }
    }

    fn join_side(&mut self, e: &Expr, left: &Row, right: &Row) {
        if let Expr::Member { target, member, .. } = e.unparen()
            && let Expr::Name(side) = target.unparen()
        {
            match side.name.as_str() {
                "$left" => {
                    if !left.has(&member.name) {
                        self.unknown_name(member, left);
                    }
                    return;
                }
                "$right" => {
                    if !right.has(&member.name) {
                        self.unknown_name(member, right);
                    }
                    return;
                }
                _ => {}
            }
        }
        self.scalar(e, &Row::open());
    }
}

fn decl_row(columns: &[ColumnDecl]) -> Row {
    Row {
        cols: columns
            .iter()
            .map(|c| (c.name.name.clone(), scalar_type_name(&c.ty.name)))
            .collect(),
        open: false,
        table: None,
    }
}

/// Adds a column as Kusto does when an output already has the name: with a `1` suffix.
fn add_unique(out: &mut Row, name: String, ty: Ty) {
    if out.has(&name) {
        out.add(format!("{name}1"), ty);
    } else {
        out.add(name, ty);
    }
}

/// For `arg_max(x, *)` / `arg_min(x, *)`: the name of the extreme column.
fn arg_extreme_star(e: &Expr) -> Option<String> {
    if let Expr::Call { func, args, .. } = e
        && matches!(func.name.as_str(), "arg_max" | "arg_min")
        && args.iter().any(|a| matches!(a, Expr::Star(_)))
    {
        let prefix = if func.name == "arg_max" { "max" } else { "min" };
        return Some(match args.first() {
            Some(Expr::Name(id)) => format!("{prefix}_{}", id.name),
            _ => format!("{prefix}_"),
        });
    }
    None
}

/// The column name Kusto gives an unnamed expression.
fn default_name(e: &Expr, prefix: &str, index: usize) -> String {
    match e.unparen() {
        Expr::Name(id) => id.name.clone(),
        Expr::Member { target, member, .. } => format!("{}_{}", expr_text(target), member.name),
        Expr::Call { func, args, .. } => {
            let arg = args.first().map(expr_text).unwrap_or_default();
            match func.name.as_str() {
                "bin" | "floor" | "bin_at" | "bin_auto" => arg,
                "count" => "count_".into(),
                "countif" => "countif_".into(),
                "make_set" | "makeset" => format!("set_{arg}"),
                "make_list" | "makelist" => format!("list_{arg}"),
                "make_bag" => format!("bag_{arg}"),
                "any" => format!("any_{arg}"),
                // take_any(x) and take_anyif(x, p) keep the column's name.
                "take_any" | "take_anyif" => arg,
                // A conversion keeps the name of what it converts (`by tostring(X)` is `X`).
                "tostring" | "toint" | "tolong" | "todouble" | "toreal" | "tobool"
                | "toboolean" | "todatetime" | "totimespan" | "toguid" | "todynamic"
                | "todecimal" => match args.first() {
                    Some(a) => default_name(a, prefix, index),
                    None => format!("{prefix}{}", index + 1),
                },
                f => format!("{f}_{arg}"),
            }
        }
        _ => format!("{prefix}{}", index + 1),
    }
}

fn expr_text(e: &Expr) -> String {
    match e.unparen() {
        Expr::Name(id) => id.name.clone(),
        Expr::Member { target, member, .. } => format!("{}_{}", expr_text(target), member.name),
        _ => String::new(),
    }
}

fn literal_type(l: &Literal) -> Ty {
    Some(match &l.value {
        LitValue::String { .. } => ColumnType::String,
        LitValue::Long(_) => ColumnType::Long,
        LitValue::Int(_) => ColumnType::Int,
        LitValue::Real(_) => ColumnType::Real,
        LitValue::Decimal(_) => ColumnType::Decimal,
        LitValue::Bool(_) => ColumnType::Bool,
        LitValue::Timespan(_) => ColumnType::Timespan,
        LitValue::Datetime(_) => ColumnType::Datetime,
        LitValue::Guid(_) => ColumnType::Guid,
        LitValue::Null(t) => return scalar_type_name(t),
        LitValue::Dynamic(_) => ColumnType::Dynamic,
    })
}

/// A KQL scalar type name (`string`, `long`, `datetime`, `date`, `bool`, `boolean`...).
pub fn scalar_type_name(name: &str) -> Ty {
    Some(match name.to_ascii_lowercase().as_str() {
        "string" => ColumnType::String,
        "int" | "int32" => ColumnType::Int,
        "long" | "int64" => ColumnType::Long,
        "real" | "double" => ColumnType::Real,
        "bool" | "boolean" => ColumnType::Bool,
        "datetime" | "date" => ColumnType::Datetime,
        "timespan" | "time" => ColumnType::Timespan,
        "guid" | "uniqueid" => ColumnType::Guid,
        "dynamic" => ColumnType::Dynamic,
        "decimal" => ColumnType::Decimal,
        _ => return None,
    })
}

fn arith_type(op: BinOp, l: Ty, r: Ty) -> Ty {
    use ColumnType::*;
    match (op, l?, r?) {
        (BinOp::Sub, Datetime, Datetime) => Some(Timespan),
        (BinOp::Add | BinOp::Sub, Datetime, Timespan) | (BinOp::Add, Timespan, Datetime) => {
            Some(Datetime)
        }
        (_, Timespan, Timespan) => Some(Timespan),
        (_, Timespan, Long | Int | Real) | (_, Long | Int | Real, Timespan) => Some(Timespan),
        (_, Real, _) | (_, _, Real) => Some(Real),
        (_, Long, Long | Int) | (_, Int, Long) => Some(Long),
        (_, Int, Int) => Some(Int),
        _ => None,
    }
}

/// Result types of common functions; `None` where it depends on more than we model.
fn function_type(name: &str, args: &[Ty]) -> Ty {
    use ColumnType::*;
    let first = args.first().copied().flatten();
    Some(match name {
        "now"
        | "ago"
        | "todatetime"
        | "datetime_add"
        | "startofday"
        | "startofweek"
        | "startofmonth"
        | "startofyear"
        | "endofday"
        | "endofweek"
        | "endofmonth"
        | "endofyear"
        | "make_datetime"
        | "unixtime_seconds_todatetime"
        | "unixtime_milliseconds_todatetime"
        | "datetime_utc_to_local"
        | "datetime_local_to_utc" => Datetime,
        "parse_path" => Dynamic,
        "new_guid" => Guid,
        "tostring"
        | "strcat"
        | "strcat_delim"
        | "tolower"
        | "toupper"
        | "trim"
        | "trim_start"
        | "trim_end"
        | "substring"
        | "replace"
        | "replace_string"
        | "replace_regex"
        | "extract"
        | "format_datetime"
        | "format_timespan"
        | "url_decode"
        | "url_encode"
        | "base64_decode_tostring"
        | "base64_encode_tostring"
        | "hash_sha256"
        | "hash_md5"
        | "hash_sha1"
        | "strrep"
        | "reverse"
        | "gettype"
        | "tohex"
        | "translate"
        | "unicode_codepoints_to_string" => String,
        "toint" => Int,
        "strlen" | "indexof" | "countof" => Long,
        "hourofday" | "dayofmonth" | "dayofyear" | "getmonth" | "getyear" | "week_of_year"
        | "monthofyear" => Int,
        "tolong" | "count" | "countif" | "dcount" | "dcountif" | "array_length" | "hash"
        | "bitset_count_ones" | "estimate_data_size" | "row_number" => Long,
        "todouble" | "toreal" | "avg" | "avgif" | "stdev" | "variance" | "log" | "log10"
        | "log2" | "exp" | "sqrt" | "pow" | "rand" | "percentile" | "round" | "series_stats" => {
            Real
        }
        "tobool"
        | "toboolean"
        | "isempty"
        | "isnotempty"
        | "isnull"
        | "isnotnull"
        | "not"
        | "ipv4_is_private"
        | "ipv4_is_in_range"
        | "ipv4_is_match"
        | "ipv6_is_match"
        | "has_any_ipv4"
        | "has_ipv4"
        | "has_any_ipv4_prefix"
        | "ipv4_is_in_any_range"
        | "isnan"
        | "isinf"
        | "isfinite"
        | "isascii"
        | "isutf8" => Bool,
        "totimespan" | "time" => Timespan,
        "toguid" => Guid,
        "todynamic" | "parse_json" | "todynamic_" | "make_set" | "make_list" | "make_bag"
        | "makeset" | "makelist" | "make_set_if" | "make_list_if" | "pack" | "bag_pack"
        | "pack_array" | "split" | "extract_all" | "parse_url" | "parse_xml" | "array_concat"
        | "set_union" | "set_intersect" | "set_difference" | "array_slice" | "bag_keys"
        | "parse_command_line" | "zip" | "range" | "array_sort_asc" | "array_sort_desc"
        | "parse_ipv4_mask" => Dynamic,
        "min" | "max" | "sum" | "any" | "take_any" | "minif" | "maxif" | "sumif" | "abs"
        | "bin" | "floor" | "coalesce" | "arg_max" | "arg_min" | "bin_at" | "bin_auto" => {
            return first;
        }
        // The branches' type (the first argument is a predicate), when they agree.
        "iff" | "iif" | "case" => {
            let mut values = args
                .iter()
                .enumerate()
                .filter(|(i, _)| i % 2 == 1 || *i == args.len() - 1)
                .map(|(_, t)| *t);
            let t = values.next().flatten();
            return if values.all(|v| v == t) { t } else { None };
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kql;

    fn findings(q: &str) -> Vec<(FindingKind, String)> {
        let parsed = kql::parse(q);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let a = analyze(&parsed.query, crate::knowledge::tables::builtin());
        a.findings
            .iter()
            .map(|f| (f.kind, f.span.text(q).to_string()))
            .collect()
    }

    #[test]
    fn catalog_query_is_clean() {
        let q = "let Time_start = now(-5d);\nlet Time_end = now();\nDeviceFileCertificateInfo\n| where Timestamp between (Time_start..Time_end)\n| where Signer has 'Zoho'\n| summarize FirstSeen=min(Timestamp), LastSeen=max(Timestamp),\n    Report=make_set(ReportId), Count=count() by DeviceId, DeviceName";
        assert_eq!(findings(q), vec![]);
    }

    #[test]
    fn misspelled_column_and_case() {
        let f = findings("DeviceNetworkEvents | where Timestmap > ago(1d)");
        assert_eq!(f, vec![(FindingKind::UnknownColumn, "Timestmap".into())]);
        let f = findings("DeviceFileCertificateInfo | where Sha1 == 'x'");
        assert_eq!(f, vec![(FindingKind::UnknownColumn, "Sha1".into())]);
    }

    #[test]
    fn projected_away_column_is_unknown_later() {
        let f = findings("DeviceProcessEvents | project DeviceName | where FileName == 'a.exe'");
        assert_eq!(f, vec![(FindingKind::UnknownColumn, "FileName".into())]);
        let f = findings(
            "DeviceProcessEvents | summarize c=count() by DeviceName | where c > 1 and DeviceName != ''",
        );
        assert_eq!(f, vec![]);
        let f = findings(
            "DeviceProcessEvents | summarize count() by DeviceName | where count_ > 1 | where FileName has 'xyz'",
        );
        assert_eq!(f, vec![(FindingKind::UnknownColumn, "FileName".into())]);
    }

    #[test]
    fn lets_undefined_and_unused() {
        let f = findings(
            "let Time_start = ago(5d);\nlet unused = 3;\nDeviceEvents | where Timestamp > Time_strat",
        );
        assert_eq!(
            f,
            vec![
                (FindingKind::UnusedLet, "Time_start".into()),
                (FindingKind::UnusedLet, "unused".into()),
                (FindingKind::UndefinedName, "Time_strat".into()),
            ]
        );
    }

    #[test]
    fn real_content_forms_shape_the_row() {
        // `distinct a = b` and `count as Name` name their output columns.
        let f = findings(
            "DeviceProcessEvents | distinct Dev = DeviceName, FileName | where Dev != '' and FileName != '' and AccountName != ''",
        );
        assert_eq!(f, vec![(FindingKind::UnknownColumn, "AccountName".into())]);
        let f = findings("DeviceProcessEvents | count as Total | where Total > 1 and Count > 1");
        assert_eq!(f, vec![(FindingKind::UnknownColumn, "Count".into())]);
        // `evaluate f() : (schema)` declares the plugin's output; `*` leaves it open.
        let f = findings(
            "DeviceEvents | evaluate bag_unpack(AdditionalFields) : (Reason:string) | where Reason != '' and Other != ''",
        );
        assert_eq!(f, vec![(FindingKind::UnknownColumn, "Other".into())]);
        let f = findings(
            "DeviceEvents | evaluate bag_unpack(AdditionalFields) : (*, Reason:string) | where Other != ''",
        );
        assert_eq!(f, vec![]);
        // A type as an argument is not a column.
        let f = findings(
            "DeviceEvents | extend R = extractjson('$.R', AdditionalFields, typeof(string))",
        );
        assert_eq!(f, vec![]);
    }

    #[test]
    fn unknown_table_suggests() {
        let f = findings("DeviceProcesEvents | take 1");
        assert_eq!(
            f,
            vec![(FindingKind::UnknownTable, "DeviceProcesEvents".into())]
        );
    }

    #[test]
    fn operator_types_and_terms() {
        let f = findings(
            "DeviceNetworkEvents | where RemotePort contains '443' | where RemoteUrl has 'ab' | where RemoteUrl has_any ('*.zoho.com', 'assist.zoho.com')",
        );
        assert_eq!(
            f,
            vec![
                (FindingKind::OperatorType, "contains".into()),
                (FindingKind::NonTermHas, "'ab'".into()),
                (FindingKind::NonTermHas, "'*.zoho.com'".into()),
            ]
        );
    }

    #[test]
    fn iff_and_case_have_their_branches_type() {
        // The predicate's type (bool) is not the result's: no operator-type finding.
        let f = findings(
            "DeviceProcessEvents | extend A = iff(FileName == 'a', FolderPath, 'x'), B = case(ProcessId > 1, 'y', FileName) | where A contains 'p' and B contains 'q'",
        );
        assert_eq!(f, vec![]);
        let f = findings(
            "DeviceProcessEvents | extend A = iif(FileName == 'a', ProcessId, 0) | where A contains '1'",
        );
        assert_eq!(f, vec![(FindingKind::OperatorType, "contains".into())]);
    }

    #[test]
    fn joins_and_lets_of_tables() {
        let q = "let procs = DeviceProcessEvents | where FileName =~ 'anydesk.exe' | project DeviceId, FileName;\nDeviceNetworkEvents\n| join kind=inner (procs) on DeviceId\n| where FileName has 'anydesk' and RemoteUrl has 'anydesk.com'\n| join kind=leftouter (DeviceInfo | project DeviceId, OSPlatform) on $left.DeviceId == $right.DeviceId\n| project DeviceName, OSPlatform, DeviceId1";
        assert_eq!(findings(q), vec![]);
    }

    #[test]
    fn summarize_outputs_kusto_names() {
        // take_any(*), take_any(a, b), take_anyif(x, p), arg_max with listed columns and
        // a clash with a `by` column, a named arg_min(x, *), conversions in `by`.
        let q = "SigninLogs | summarize take_any(*) by UserPrincipalName | project TimeGenerated, IPAddress";
        assert_eq!(findings(q), vec![]);
        let q = "AzureActivity | summarize take_any(TenantId, SubscriptionId), take_anyif(Caller, isnotempty(Caller)) by OperationNameValue | project TenantId, SubscriptionId, Caller";
        assert_eq!(findings(q), vec![]);
        let q = "DeviceInfo | extend D = DeviceId | summarize arg_max(Timestamp, D, DeviceName) by D | project-away D1";
        assert_eq!(findings(q), vec![]);
        let q = "SecurityEvent | summarize StartTime = arg_min(TimeGenerated, *) by Computer | project StartTime, Account";
        assert_eq!(findings(q), vec![]);
        let q = "DeviceTvmHardwareFirmware | project F = parse_json(AdditionalFields)['Family'] | summarize count() by tostring(F) | sort by F asc";
        assert_eq!(findings(q), vec![]);
        let q = "SigninLogs | summarize take_any(*) by UserPrincipalName | project Nope";
        assert_eq!(
            findings(q),
            vec![(FindingKind::UnknownColumn, "Nope".into())]
        );
    }

    #[test]
    fn lookup_plugin_columns_and_standard_columns() {
        let q = "let Subnets = datatable(subnet: string)['10.0.0.0/8'];\nSecurityEvent | evaluate ipv4_lookup(Subnets, IpAddress, subnet) | extend T = _TimeReceived";
        assert_eq!(findings(q), vec![]);
        let q = "SecurityEvent | evaluate ipv4_lookup(datatable(subnet: string)['10.0.0.0/8'], IpAdress, subnet)";
        assert_eq!(
            findings(q),
            vec![(FindingKind::UnknownColumn, "IpAdress".into())]
        );
    }

    /// A workspace function called many times is parsed once: every call (and every
    /// entry of the analysis's list of called functions) reads the one parsed body.
    #[test]
    fn workspace_function_body_is_parsed_once() {
        let (f, _) = crate::loading::workspace::parse_function_kql(
            "// Logons()\nSecurityEvent | where EventID == 4624 | project Account, Computer",
            std::path::Path::new("f.kql"),
        )
        .unwrap();
        let mut ws = Workspace::default();
        ws.functions.insert("Logons".into(), f);
        let calls = vec!["Logons()"; 200].join(", ");
        let q = kql::parse(&format!("union {calls} | summarize count() by Account"));
        assert!(q.errors.is_empty(), "{:?}", q.errors);
        let declared = ws.function("Logons").unwrap();
        assert!(!declared.is_parsed());
        let a = analyze_in(&q.query, crate::knowledge::tables::builtin(), &ws, &[]);
        assert!(a.findings.is_empty(), "{:?}", a.findings);
        assert_eq!(
            a.output.as_deref(),
            Some(&["Account".into(), "count_".into()][..])
        );
        assert!(declared.is_parsed());
        assert_eq!(a.functions.len(), 200);
        assert!(a.functions.iter().all(|f| f.shares_parse_with(declared)));
        assert!(std::ptr::eq(a.functions[0].parsed(), declared.parsed()));
    }
}

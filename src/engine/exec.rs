//! Statements, `let` scopes, user functions and tabular expressions.

use std::cell::Cell;
use std::rc::Rc;

use super::table::{Col, Table, coerce};
use super::value::{Json, Ty, Value};
use super::{Database, Error, Result, eval, ops};
use crate::kql::ast::*;

/// What a name is bound to.
#[derive(Clone, Debug)]
pub enum Binding {
    Scalar(Value),
    Table(Rc<Table>),
    /// A user function with the scope it was defined in.
    Func(Rc<FunctionDef>, Env),
    /// A `declare pattern` with the scope it was declared in.
    Pattern(Rc<PatternStmt>, Env),
}

/// A scalar or a table: what an expression or function body yields.
#[derive(Clone, Debug)]
pub enum Thing {
    Scalar(Value),
    Table(Rc<Table>),
}

/// A persistent (shared-tail) list of bindings, innermost first.
#[derive(Clone, Debug, Default)]
pub struct Env(Option<Rc<Frame>>);

#[derive(Debug)]
pub struct Frame {
    name: String,
    binding: Binding,
    parent: Env,
}

impl Env {
    pub fn get(&self, name: &str) -> Option<&Binding> {
        let mut e = self;
        while let Some(f) = &e.0 {
            if f.name == name {
                return Some(&f.binding);
            }
            e = &f.parent;
        }
        None
    }

    /// The names of the parameterless views (`let v = view () {...}`) in scope,
    /// innermost binding of each name only: `search` and `union *` read them as tables.
    pub fn views(&self) -> Vec<String> {
        let mut seen: Vec<&str> = Vec::new();
        let mut out = Vec::new();
        let mut e = self;
        while let Some(f) = &e.0 {
            if !seen.contains(&f.name.as_str()) {
                seen.push(&f.name);
                if let Binding::Func(def, _) = &f.binding
                    && def.is_view
                    && def.params.is_empty()
                {
                    out.push(f.name.clone());
                }
            }
            e = &f.parent;
        }
        out
    }

    pub fn with(&self, name: &str, binding: Binding) -> Env {
        Env(Some(Rc::new(Frame {
            name: name.to_string(),
            binding,
            parent: self.clone(),
        })))
    }
}

/// The context every evaluation sees: the database, the `let` scope, the query's
/// random-number state and nesting depth.
#[derive(Clone)]
pub struct Ctx<'a> {
    pub db: &'a Database,
    pub env: Env,
    pub rng: Rc<Cell<u64>>,
    pub depth: usize,
    /// The query text (to read argument names, which the syntax tree does not keep).
    pub source: Rc<str>,
    /// Running window functions' state per call site (see `eval::running`).
    pub running:
        Rc<std::cell::RefCell<std::collections::HashMap<(u32, u32), super::eval::Running>>>,
}

/// Limit on nested function calls (recursion is not allowed in KQL anyway).
const MAX_DEPTH: usize = 64;

impl<'a> Ctx<'a> {
    pub fn new(db: &'a Database, source: &str) -> Ctx<'a> {
        Ctx {
            db,
            env: Env::default(),
            rng: Rc::new(Cell::new(0x9E37_79B9_7F4A_7C15)),
            depth: 0,
            source: Rc::from(source),
            running: Rc::default(),
        }
    }

    /// The name of a named argument (`f(name = value)`): the parser keeps only the
    /// value, so the name is read from the text just before it.
    pub fn arg_name(&self, arg: &Expr) -> Option<&str> {
        let start = arg.span().start as usize;
        let before = self.source.get(..start)?.trim_end();
        let before = before.strip_suffix('=')?;
        if before.ends_with(['=', '!', '<', '>']) {
            return None;
        }
        let before = before.trim_end();
        let name_start = before
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
            .last()
            .map(|(i, _)| i)?;
        Some(&before[name_start..])
    }

    pub fn with(&self, name: &str, binding: Binding) -> Ctx<'a> {
        Ctx {
            env: self.env.with(name, binding),
            ..self.clone()
        }
    }

    /// The next pseudo-random number in [0, 1) (xorshift; deterministic per query).
    pub fn rand(&self) -> f64 {
        let mut x = self.rng.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng.set(x);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Runs a parsed query: its statements in order; the result is the last query
/// statement's table (a scalar query statement gives a one-cell table).
pub fn run_query(q: &Query, db: &Database, source: &str) -> Result<Table> {
    let mut cx = Ctx::new(db, source);
    bind_workspace_functions(q, &mut cx)?;
    match run_statements(&q.statements, &cx)? {
        Thing::Table(t) => Ok(Rc::try_unwrap(t).unwrap_or_else(|t| (*t).clone())),
        Thing::Scalar(v) => Ok(scalar_table("print_0", v)),
    }
}

/// Binds the workspace functions `q` calls (directly or through one another) as `let`
/// functions, each after the ones its body calls. Errors inside a function's body carry
/// positions in that body's text.
fn bind_workspace_functions(q: &Query, cx: &mut Ctx) -> Result<()> {
    fn names(q: &Query) -> Vec<String> {
        let mut out = Vec::new();
        crate::kql::visit::for_each_expr(q, |e| match e {
            Expr::Name(id) => out.push(id.name.clone()),
            Expr::Call { func, .. } => out.push(func.name.clone()),
            _ => {}
        });
        out
    }
    fn visit<'a>(
        name: &str,
        db: &'a Database,
        seen: &mut std::collections::HashSet<String>,
        order: &mut Vec<(String, &'a crate::kql::Parsed)>,
    ) -> Result<()> {
        let Some(f) = db.functions.get(name) else {
            return Ok(());
        };
        if !seen.insert(name.to_string()) {
            return Ok(());
        }
        // Bound under `name`; the declaration's own name is not used, so every alias of
        // a function shares one parse.
        let parsed = f.declaration_parsed(|f| function_let("__rulecat_function", f));
        if let Some(e) = parsed.errors.first() {
            return Err(Error::new(format!(
                "the workspace function `{name}` ({}) does not parse: {}",
                f.source.display(),
                e.message
            )));
        }
        for n in names(&parsed.query) {
            visit(&n, db, seen, order)?;
        }
        order.push((name.to_string(), parsed));
        Ok(())
    }
    if cx.db.functions.is_empty() {
        return Ok(());
    }
    let mut seen = std::collections::HashSet::new();
    let mut order = Vec::new();
    for n in names(q) {
        visit(&n, cx.db, &mut seen, &mut order)?;
    }
    for (name, parsed) in order {
        for s in &parsed.query.statements {
            if let Statement::Let(l) = s
                && let LetValue::Function(f) = &l.value
            {
                let b = Binding::Func(Rc::new(f.clone()), cx.env.clone());
                *cx = cx.with(&name, b);
            }
        }
    }
    Ok(())
}

/// A workspace function as a `let` statement: `let Name = (p: type = default) { body };`
/// (a `table...` parameter type becomes `(*)`, any table).
fn function_let(name: &str, f: &crate::loading::workspace::Function) -> String {
    let params: Vec<String> = f
        .params
        .iter()
        .map(|p| {
            let ty = if p.ty.trim().to_ascii_lowercase().starts_with("table") {
                "(*)".to_string()
            } else {
                p.ty.trim().to_string()
            };
            match p.default.as_deref().map(str::trim) {
                Some(d) => format!("{}: {ty} = {}", p.name, default_literal(&ty, d)),
                None => format!("{}: {ty}", p.name),
            }
        })
        .collect();
    format!("let {name} = ({}) {{\n{}\n}};\n", params.join(", "), f.body)
}

/// A parameter's default as KQL: Sentinel's function YAML writes a string default as the
/// bare value (`Default: '*'` is the string `*`), a `.kql` signature as a literal; an
/// empty default of another type is that type's null.
fn default_literal(ty: &str, d: &str) -> String {
    let quoted = d.len() >= 2
        && ((d.starts_with('\'') && d.ends_with('\'')) || (d.starts_with('"') && d.ends_with('"')));
    if ty.eq_ignore_ascii_case("string") {
        if quoted {
            d.to_string()
        } else {
            Value::str(d).to_json().to_string()
        }
    } else if d.is_empty() {
        format!("{ty}(null)")
    } else {
        d.to_string()
    }
}

fn scalar_table(name: &str, v: Value) -> Table {
    let ty = v.ty().unwrap_or(Ty::String);
    Table {
        cols: vec![Col::new(name, ty)],
        rows: vec![vec![v]],
    }
}

/// The prefix of the names query options (`set NAME = value`) are bound under.
pub const SET_PREFIX: &str = "set ";

/// The value of the query option `name` set by a `set` statement, if any.
pub fn query_option<'c>(cx: &'c Ctx, name: &str) -> Option<&'c Value> {
    match cx.env.get(&format!("{SET_PREFIX}{name}")) {
        Some(Binding::Scalar(v)) => Some(v),
        _ => None,
    }
}

/// Runs statements; returns what the last query statement yields.
pub fn run_statements(stmts: &[Statement], cx: &Ctx) -> Result<Thing> {
    let mut cx = cx.clone();
    let mut result = None;
    for s in stmts {
        match s {
            Statement::Let(l) => {
                let b = match &l.value {
                    LetValue::Function(f) => Binding::Func(Rc::new(f.clone()), cx.env.clone()),
                    LetValue::Expr(e) => match thing(e, &cx)? {
                        Thing::Scalar(v) => Binding::Scalar(v),
                        Thing::Table(t) => Binding::Table(t),
                    },
                };
                cx = cx.with(&l.name.name, b);
            }
            // Query options are bound under `set NAME` (no identifier has a space), for
            // the functions that read them (`bin_auto`).
            Statement::Set(s) => {
                if let Some(e) = &s.value {
                    let v = eval::eval_scalar(e, &cx)?;
                    cx = cx.with(&format!("{SET_PREFIX}{}", s.name.name), Binding::Scalar(v));
                }
            }
            Statement::DeclareQueryParameters(d) => {
                for p in &d.params {
                    let v = match &p.default {
                        Some(e) => eval::eval_scalar(e, &cx)?,
                        None => Value::Null,
                    };
                    cx = cx.with(&p.name.name, Binding::Scalar(v));
                }
            }
            Statement::DeclarePattern(p) => {
                let b = Binding::Pattern(Rc::new(p.clone()), cx.env.clone());
                cx = cx.with(&p.name.name, b);
            }
            Statement::Query(e) => result = Some(thing(e, &cx)?),
            Statement::Error(span) => {
                return Err(Error::at(*span, "statement could not be parsed"));
            }
        }
    }
    result.ok_or_else(|| Error::new("the query has no query statement (only `let`s)"))
}

/// Whether `e` is a tabular expression (by its shape and what its names are bound to).
pub fn is_tabular(e: &Expr, cx: &Ctx) -> bool {
    match e {
        Expr::Pipeline(_)
        | Expr::Datatable { .. }
        | Expr::TabularOp(_)
        | Expr::ExternalData { .. } => true,
        Expr::Paren { inner, .. } => is_tabular(inner, cx),
        Expr::Member { target, .. } => {
            resource_graph_table(e).is_some() || pattern_call(target, cx).is_some()
        }
        Expr::Name(i) => match cx.env.get(&i.name) {
            Some(Binding::Table(_)) => true,
            Some(Binding::Func(f, _)) => f.params.is_empty(),
            Some(Binding::Pattern(..)) => true,
            Some(Binding::Scalar(_)) => false,
            None => cx.db.tables.contains_key(&i.name) || super::asim::is_builtin(&i.name),
        },
        Expr::Call { func, .. } => match cx.env.get(&func.name) {
            Some(Binding::Func(f, _)) => returns_table(f),
            Some(Binding::Pattern(..)) => true,
            Some(_) => false,
            None => {
                matches!(
                    func.name.as_str(),
                    "materialize" | "table" | "view" | "_GetWatchlist"
                ) || super::asim::is_builtin(&func.name)
            }
        },
        _ => false,
    }
}

/// `arg("").Table`: a table of Azure Resource Graph, which a Log Analytics query reaches
/// through `arg("")`; offline its rows are the input table of the same name. The name.
pub fn resource_graph_table(e: &Expr) -> Option<&Ident> {
    match e.unparen() {
        Expr::Member { target, member, .. } => match target.unparen() {
            Expr::Call { func, args, .. } if func.name == "arg" && args.len() == 1 => Some(member),
            _ => None,
        },
        _ => None,
    }
}

/// Whether a function's body ends in a tabular expression (by its shape).
fn returns_table(f: &FunctionDef) -> bool {
    match f.body.last() {
        Some(Statement::Query(e)) => matches!(
            e.unparen(),
            Expr::Pipeline(_)
                | Expr::Datatable { .. }
                | Expr::TabularOp(_)
                | Expr::ExternalData { .. }
        ),
        _ => false,
    }
}

/// Evaluates an expression that may be tabular or scalar.
pub fn thing(e: &Expr, cx: &Ctx) -> Result<Thing> {
    if let Expr::Call { func, args, span } = e
        && let Some(Binding::Func(f, env)) = cx.env.get(&func.name)
    {
        let (f, env) = (f.clone(), env.clone());
        return call_function(&f, &env, args, None, cx).map_err(|e| e.or_at(*span));
    }
    if is_tabular(e, cx) {
        return Ok(Thing::Table(tabular(e, cx)?));
    }
    Ok(Thing::Scalar(eval::eval_scalar(e, cx)?))
}

/// Invokes a user function. Scalar arguments are evaluated in `row` (or with no row);
/// tabular parameters take tables. `input` is the piped table for `invoke`.
pub fn call_function(
    f: &FunctionDef,
    def_env: &Env,
    args: &[Expr],
    row: Option<&eval::Row>,
    cx: &Ctx,
) -> Result<Thing> {
    call_function_with_input(f, def_env, args, row, None, cx)
}

pub fn call_function_with_input(
    f: &FunctionDef,
    def_env: &Env,
    args: &[Expr],
    row: Option<&eval::Row>,
    input: Option<Rc<Table>>,
    cx: &Ctx,
) -> Result<Thing> {
    if cx.depth >= MAX_DEPTH {
        return Err(Error::new("function calls nested too deeply"));
    }
    let mut inner = Ctx {
        db: cx.db,
        env: def_env.clone(),
        rng: cx.rng.clone(),
        depth: cx.depth + 1,
        source: cx.source.clone(),
        running: cx.running.clone(),
    };
    // Named arguments go to their parameter; the others fill the rest in order.
    let named: Vec<(Option<&str>, &Expr)> = args
        .iter()
        .map(|a| {
            let n = cx
                .arg_name(a)
                .filter(|n| f.params.iter().any(|p| p.name.name == *n));
            (n, a)
        })
        .collect();
    let mut positional = named.iter().filter(|(n, _)| n.is_none()).map(|(_, a)| *a);
    let mut input = input;
    for p in &f.params {
        let by_name = named
            .iter()
            .find(|(n, _)| *n == Some(p.name.name.as_str()))
            .map(|(_, a)| *a);
        let mut args_iter = by_name.into_iter().chain(&mut positional);
        let b = match &p.ty {
            ParamType::Tabular { .. } => {
                if let Some(t) = input.take() {
                    Binding::Table(t)
                } else {
                    let a = args_iter.next().ok_or_else(|| {
                        Error::at(p.span, format!("missing argument `{}`", p.name.name))
                    })?;
                    Binding::Table(tabular(a, cx)?)
                }
            }
            ParamType::Scalar(ty) => {
                let v = match args_iter.next() {
                    Some(a) => match row {
                        Some(r) => eval::eval(a, r, cx)?,
                        None => eval::eval_scalar(a, cx)?,
                    },
                    None => match &p.default {
                        Some(d) => eval::eval_scalar(d, cx)?,
                        None => {
                            return Err(Error::at(
                                p.span,
                                format!("missing argument `{}`", p.name.name),
                            ));
                        }
                    },
                };
                let v = match Ty::parse(&ty.name) {
                    Some(t) => coerce(v, t),
                    None => v,
                };
                Binding::Scalar(v)
            }
        };
        inner = inner.with(&p.name.name, b);
    }
    run_statements(&f.body, &inner)
}

/// `Name(args)` when `Name` is a declared pattern: the pattern, its scope, the args.
fn pattern_call<'e>(e: &'e Expr, cx: &Ctx) -> Option<(Rc<PatternStmt>, Env, &'e [Expr])> {
    let Expr::Call { func, args, .. } = e.unparen() else {
        return None;
    };
    match cx.env.get(&func.name) {
        Some(Binding::Pattern(p, env)) => Some((p.clone(), env.clone(), args.as_slice())),
        _ => None,
    }
}

/// Runs the definition of pattern `p` whose argument values (and path, for
/// `Name(args).Path`) equal the invocation's (pattern-statement.md); an invocation no
/// definition matches is an error, as in Kusto.
fn invoke_pattern(
    p: &PatternStmt,
    env: &Env,
    args: &[Expr],
    path: Option<Value>,
    span: crate::kql::Span,
    cx: &Ctx,
) -> Result<Rc<Table>> {
    if args.len() != p.params.len() {
        return Err(Error::at(
            span,
            format!(
                "the pattern `{}` takes {} arguments, not {}",
                p.name.name,
                p.params.len(),
                args.len()
            ),
        ));
    }
    let vals: Vec<Value> = args
        .iter()
        .map(|a| eval::eval_scalar(a, cx))
        .collect::<Result<_>>()?;
    let same = |a: &Value, b: &Value| {
        a.is_null() == b.is_null() && crate::engine::value::compare(a, b).is_eq()
    };
    let mut defs = Ctx {
        env: env.clone(),
        ..cx.clone()
    };
    for rule in &p.rules {
        let rvals: Vec<Value> = rule
            .args
            .iter()
            .map(|a| eval::eval_scalar(a, &defs))
            .collect::<Result<_>>()?;
        let rpath = match &rule.path {
            Some(e) => Some(eval::eval_scalar(e, &defs)?),
            None => None,
        };
        let path_ok = match (&path, &rpath) {
            (None, None) => true,
            (Some(a), Some(b)) => same(a, b),
            _ => false,
        };
        if path_ok && rvals.len() == vals.len() && rvals.iter().zip(&vals).all(|(a, b)| same(a, b))
        {
            for (param, v) in p.params.iter().zip(&vals) {
                defs = defs.with(&param.name.name, Binding::Scalar(v.clone()));
            }
            if let (Some(param), Some(v)) = (&p.path, &path) {
                defs = defs.with(&param.name.name, Binding::Scalar(v.clone()));
            }
            return as_table(run_statements(&rule.body, &defs)?, span);
        }
    }
    let shown: Vec<String> = vals.iter().map(Value::to_kusto_string).collect();
    let path = path
        .map(|v| format!(".{}", v.to_kusto_string()))
        .unwrap_or_default();
    Err(Error::at(
        span,
        format!(
            "the pattern `{}` has no definition for ({}){path}",
            p.name.name,
            shown.join(", ")
        ),
    ))
}

/// Evaluates a tabular expression.
pub fn tabular(e: &Expr, cx: &Ctx) -> Result<Rc<Table>> {
    match e {
        Expr::Paren { inner, .. } => tabular(inner, cx),
        Expr::Name(i) => match cx.env.get(&i.name) {
            Some(Binding::Table(t)) => Ok(t.clone()),
            Some(Binding::Func(f, env)) => {
                let (f, env) = (f.clone(), env.clone());
                as_table(call_function(&f, &env, &[], None, cx)?, i.span)
            }
            Some(Binding::Pattern(p, env)) => {
                let (p, env) = (p.clone(), env.clone());
                invoke_pattern(&p, &env, &[], None, i.span, cx)
            }
            Some(Binding::Scalar(_)) => Err(Error::at(
                i.span,
                format!("`{}` is a scalar, not a table", i.name),
            )),
            None => match cx.db.tables.get(&i.name) {
                Some(t) => Ok(t.clone()),
                None if super::asim::is_builtin(&i.name) => {
                    super::asim::run(&i.name, &[], i.span, cx).map(Rc::new)
                }
                None => Err(Error::at(i.span, format!("unknown table `{}`", i.name))),
            },
        },
        Expr::Call { func, args, span } => match func.name.as_str() {
            "materialize" | "view" if args.len() == 1 => tabular(&args[0], cx),
            "table" if args.len() == 1 => {
                let name = eval::eval_scalar(&args[0], cx)?.to_kusto_string();
                let id = Ident {
                    name,
                    span: func.span,
                };
                tabular(&Expr::Name(id), cx)
            }
            "_GetWatchlist" if args.len() == 1 => {
                let alias = eval::eval_scalar(&args[0], cx)?.to_kusto_string();
                watchlist(&alias, cx)
                    .map(Rc::new)
                    .map_err(|e| e.or_at(*span))
            }
            _ => match cx.env.get(&func.name) {
                Some(Binding::Func(f, env)) => {
                    let (f, env) = (f.clone(), env.clone());
                    as_table(call_function(&f, &env, args, None, cx)?, *span)
                }
                Some(Binding::Pattern(p, env)) => {
                    let (p, env) = (p.clone(), env.clone());
                    invoke_pattern(&p, &env, args, None, *span, cx)
                }
                None if super::asim::is_builtin(&func.name) => {
                    super::asim::run(&func.name, args, *span, cx).map(Rc::new)
                }
                _ => Err(Error::at(
                    *span,
                    format!(
                        "`{}(...)` is not a tabular function rulecat knows",
                        func.name
                    ),
                )),
            },
        },
        Expr::Member { member, .. } if resource_graph_table(e).is_some() => {
            cx.db.tables.get(&member.name).cloned().ok_or_else(|| {
                Error::at(
                    member.span,
                    format!(
                        "`arg(\"\").{0}` reads Azure Resource Graph, which is not available offline: give its rows as the table `{0}` (e.g. `--table {0}=FILE.jsonl`)",
                        member.name
                    ),
                )
            })
        }
        Expr::Member {
            target,
            member,
            span,
        } if pattern_call(target, cx).is_some() => {
            let Some((p, env, args)) = pattern_call(target, cx) else {
                return Err(Error::at(*span, "expected a pattern invocation"));
            };
            let path = Value::str(member.name.as_str());
            invoke_pattern(&p, &env, args, Some(path), *span, cx)
        }
        Expr::Datatable {
            columns, values, ..
        } => datatable(columns, values, cx).map(Rc::new),
        Expr::ExternalData {
            columns,
            uris,
            with,
            ..
        } => super::external::run(columns, uris, with, cx).map(Rc::new),
        Expr::Pipeline(p) => {
            let mut t = tabular(&p.source, cx)?;
            let mut cx = cx.clone();
            let mut i = 0;
            while i < p.ops.len() {
                if let Operator::MakeGraph { .. } = &p.ops[i].op {
                    let (g, used) = ops::graph::run(t, &p.ops[i..], &cx)?;
                    t = g;
                    i += used;
                    continue;
                }
                if let Some(next) = p.ops.get(i + 1)
                    && let Some(r) = ops::apply_pair(&t, &p.ops[i], next, &cx)
                {
                    t = r?;
                    i += 2;
                    continue;
                }
                t = ops::apply(t, &p.ops[i], &mut cx)?;
                i += 1;
            }
            Ok(t)
        }
        Expr::TabularOp(op) => {
            let mut cx = cx.clone();
            ops::apply(Rc::new(Table::unit()), op, &mut cx)
        }
        other => Err(Error::at(other.span(), "expected a tabular expression")),
    }
}

/// `_GetWatchlist('alias')`: the watchlist's items from the input table named `alias` (one
/// row per item, the watchlist's own columns as the input types them), shaped as
/// Sentinel returns them: `_DTItemId` (the input's `_DTItemId` column, else the item's
/// position, 1-based), `LastUpdatedTimeUTC` (the input's column, else null), `SearchKey`
/// (the input's `SearchKey` column, else the first of its own columns), `WatchlistItem`
/// (a bag of the own columns), then the own columns.
pub fn watchlist(alias: &str, cx: &Ctx) -> Result<Table> {
    const STANDARD: [&str; 4] = [
        "_DTItemId",
        "LastUpdatedTimeUTC",
        "SearchKey",
        "WatchlistItem",
    ];
    let input = cx.db.tables.get(alias).ok_or_else(|| {
        Error::new(format!(
            "no items for the watchlist `{alias}`: give them as the table `{alias}` (e.g. `--table {alias}=FILE.csv`)"
        ))
    })?;
    let own: Vec<usize> = (0..input.cols.len())
        .filter(|&i| !STANDARD.contains(&input.cols[i].name.as_str()))
        .collect();
    let mut cols = vec![
        Col::new("_DTItemId", Ty::String),
        Col::new("LastUpdatedTimeUTC", Ty::DateTime),
        Col::new("SearchKey", Ty::String),
        Col::new("WatchlistItem", Ty::Dynamic),
    ];
    cols.extend(own.iter().map(|&i| input.cols[i].clone()));
    let mut out = Table::new(cols);
    let (id, updated, key) = (
        input.col("_DTItemId"),
        input.col("LastUpdatedTimeUTC"),
        input.col("SearchKey").or(own.first().copied()),
    );
    for (n, row) in input.rows.iter().enumerate() {
        let cell = |c: Option<usize>| c.and_then(|c| row.get(c)).cloned().unwrap_or(Value::Null);
        let item_id = match cell(id) {
            Value::Null => Value::str((n + 1).to_string()),
            v => Value::str(v.to_kusto_string()),
        };
        let key = match cell(key) {
            Value::Null => Value::Null,
            v => Value::str(v.to_kusto_string()),
        };
        let bag: serde_json::Map<String, Json> = own
            .iter()
            .map(|&i| (input.cols[i].name.clone(), row[i].to_json()))
            .collect();
        let mut r = vec![
            item_id,
            super::funcs::call("todatetime", vec![cell(updated)], cx)?,
            key,
            Value::dynamic(Json::Object(bag)),
        ];
        r.extend(own.iter().map(|&i| row[i].clone()));
        out.rows.push(r);
    }
    Ok(out)
}

fn as_table(t: Thing, span: crate::kql::Span) -> Result<Rc<Table>> {
    match t {
        Thing::Table(t) => Ok(t),
        Thing::Scalar(_) => Err(Error::at(
            span,
            "the function returns a scalar, not a table",
        )),
    }
}

fn datatable(columns: &[ColumnDecl], values: &[Expr], cx: &Ctx) -> Result<Table> {
    let mut cols = Vec::with_capacity(columns.len());
    for c in columns {
        let ty = Ty::parse(&c.ty.name)
            .ok_or_else(|| Error::at(c.ty.span, format!("unknown type `{}`", c.ty.name)))?;
        cols.push(Col::new(&c.name.name, ty));
    }
    if cols.is_empty() {
        return Ok(Table::new(cols));
    }
    if !values.len().is_multiple_of(cols.len()) {
        return Err(Error::new(format!(
            "datatable has {} values, not a multiple of its {} columns",
            values.len(),
            cols.len()
        )));
    }
    let mut t = Table::new(cols);
    for chunk in values.chunks(t.cols.len()) {
        let mut row = Vec::with_capacity(chunk.len());
        for (e, c) in chunk.iter().zip(&t.cols) {
            let v = eval::eval_scalar(e, cx)?;
            row.push(coerce(v, c.ty));
        }
        t.rows.push(row);
    }
    Ok(t)
}

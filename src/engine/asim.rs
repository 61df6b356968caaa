//! The built-in ASIM parsers ([`crate::loading::workspace::asim_builtin`]) as the engine runs them
//! offline, when the workspace does not declare them.
//!
//! A unifying parser (`_Im_Dns(...)`, `imDns`, `ASimDns`, `_ASim_Dns`) and a native
//! source parser (`ASimDnsNative`) read the schema's normalized rows from its physical
//! table (`ASimDnsActivityLogs`, given as an input of that name): offline, rulecat does
//! not have the source parsers that normalize each product's own table, so the rows
//! given are taken as already normalized (as a workspace's `ASim*Logs` table holds
//! them). The result has the schema's fields in order (a field the input lacks is null,
//! including alias fields such as `Src` or `Dvc` the parsers compute), then the input's
//! other columns. An empty parser (`vimDnsEmpty`) returns no rows with those fields.
//!
//! The filtering parameters are applied as the ASIM parsers document them, by name:
//! `starttime` (`TimeGenerated >= starttime`), `endtime` (`TimeGenerated <= endtime`),
//! `<field>_has_any` (`Field has_any (list)`), `<field>_has_any_prefix`
//! (`has_any_ipv4_prefix(Field, list)`), and a field's value (`eventresult='Failure'`:
//! `EventResult == 'Failure'`; in the Dns schema `responsecodename` is
//! `DnsResponseCodeName` and `domain_has_any` filters `DnsQuery`). A null, empty or `'*'` value and an empty list filter nothing,
//! as in the parsers; `disabled` and `pack` change nothing offline. A parameter rulecat
//! cannot map to a field, or one given by position, is an error, never ignored.

use std::rc::Rc;

use super::exec::{Binding, Ctx, tabular};
use super::table::{Col, Table, coerce};
use super::value::{Ty, Value};
use super::{Error, Result, eval};
use crate::kql::Span;
use crate::kql::ast::{Expr, Statement};
use crate::loading::workspace::{AsimRole, AsimSchema};

/// Whether `name` is a built-in ASIM parser the engine runs.
pub fn is_builtin(name: &str) -> bool {
    crate::loading::workspace::asim_builtin(name).is_some()
}

/// The physical table a built-in ASIM parser reads, if it reads one.
pub fn input_table(name: &str) -> Option<&'static str> {
    match crate::loading::workspace::asim_builtin(name)? {
        (s, AsimRole::Unifying) => s.table.as_deref(),
        (_, AsimRole::Empty) => None,
    }
}

fn columns(schema: &AsimSchema) -> Vec<Col> {
    schema
        .columns
        .iter()
        .map(|c| {
            Col::new(
                c.name.as_str(),
                Ty::parse(c.ty.as_str()).unwrap_or(Ty::String),
            )
        })
        .collect()
}

/// Runs the built-in ASIM parser `name` with the (named) arguments `args`.
pub fn run(name: &str, args: &[Expr], span: Span, cx: &Ctx) -> Result<Table> {
    let Some((schema, role)) = crate::loading::workspace::asim_builtin(name) else {
        return Err(Error::at(
            span,
            format!("`{name}` is no ASIM parser rulecat has"),
        ));
    };
    let cols = columns(schema);
    if role == AsimRole::Empty {
        return Ok(Table::new(cols));
    }
    let Some(table) = schema.table.as_deref() else {
        return Err(Error::at(
            span,
            format!(
                "the ASIM {} schema has no table of normalized rows: rulecat cannot run `{name}`",
                schema.name
            ),
        ));
    };
    let input = cx.db.tables.get(table).ok_or_else(|| {
        Error::at(
            span,
            format!(
                "the ASIM parser `{name}` reads normalized {} rows: give them as the table `{table}` (e.g. `--table {table}=FILE.jsonl`)",
                schema.name
            ),
        )
    })?;
    // The schema's fields (from the input where it has them), then its other columns.
    let mut out_cols = cols.clone();
    for c in &input.cols {
        if out_cols.iter().all(|o| o.name != c.name) {
            out_cols.push(c.clone());
        }
    }
    let at: Vec<Option<usize>> = out_cols.iter().map(|c| input.col(&c.name)).collect();
    let mut shaped = Table::new(out_cols);
    for row in &input.rows {
        shaped.rows.push(
            at.iter()
                .zip(&shaped.cols)
                .map(|(i, c)| i.map_or(Value::Null, |i| coerce(row[i].clone(), c.ty)))
                .collect(),
        );
    }
    // The parameters as a filter over the shaped rows.
    let mut conds: Vec<String> = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    for a in args {
        let Some(param) = cx.arg_name(a) else {
            return Err(Error::at(
                a.span(),
                format!(
                    "rulecat applies the parameters of the ASIM parser `{name}` by name: write `param=value`"
                ),
            ));
        };
        let p = param.to_ascii_lowercase();
        let v = eval::eval_scalar(a, cx)?;
        let field = |base: &str| -> Result<String> {
            field_for(&shaped.cols, &schema.name, base).ok_or_else(|| {
                Error::at(
                    a.span(),
                    format!(
                        "rulecat does not know which field the parameter `{param}` of the ASIM parser `{name}` filters"
                    ),
                )
            })
        };
        let var = format!("__asim_p{}", values.len());
        let cond = match p.as_str() {
            "disabled" | "pack" => None,
            "starttime" => (!v.is_null()).then(|| format!("TimeGenerated >= {var}")),
            "endtime" => (!v.is_null()).then(|| format!("TimeGenerated <= {var}")),
            _ => {
                if let Some(base) = p.strip_suffix("_has_any_prefix") {
                    let f = field(base)?;
                    non_empty_list(&v).then(|| format!("has_any_ipv4_prefix(['{f}'], {var})"))
                } else if let Some(base) = p.strip_suffix("_has_any") {
                    let f = field(base)?;
                    non_empty_list(&v).then(|| format!("['{f}'] has_any ({var})"))
                } else {
                    let f = field(&p)?;
                    let s = v.to_kusto_string();
                    (!v.is_null() && !s.is_empty() && s != "*").then(|| format!("['{f}'] == {var}"))
                }
            }
        };
        if let Some(c) = cond {
            conds.push(c);
            values.push(v);
        }
    }
    if conds.is_empty() {
        return Ok(shaped);
    }
    let text = format!("__asim_rows | where {}", conds.join(" and "));
    let parsed = crate::kql::parse(&text);
    let Some(Statement::Query(e)) = parsed.query.statements.last() else {
        return Err(Error::at(span, "internal: the ASIM filter does not parse"));
    };
    let mut inner = Ctx::new(cx.db, &text).with("__asim_rows", Binding::Table(Rc::new(shaped)));
    for (i, v) in values.into_iter().enumerate() {
        inner = inner.with(&format!("__asim_p{i}"), Binding::Scalar(v));
    }
    let t = tabular(e, &inner).map_err(|e| Error::at(span, e.message))?;
    Ok(Rc::try_unwrap(t).unwrap_or_else(|t| (*t).clone()))
}

/// The field a parameter names: the one of that name (any case), else the schema's name
/// followed by it (`responsecodename` in the Dns schema: `DnsResponseCodeName`); the DNS
/// parsers' `domain` filters `DnsQuery`, as they document.
fn field_for(cols: &[Col], schema: &str, base: &str) -> Option<String> {
    let find = |n: &str| {
        cols.iter()
            .find(|c| c.name.eq_ignore_ascii_case(n))
            .map(|c| c.name.clone())
    };
    if schema == "Dns" && base == "domain" {
        return find("DnsQuery");
    }
    find(base).or_else(|| find(&format!("{schema}{base}")))
}

fn non_empty_list(v: &Value) -> bool {
    match v.as_json() {
        Some(super::value::Json::Array(a)) => !a.is_empty(),
        _ => !v.is_null(),
    }
}

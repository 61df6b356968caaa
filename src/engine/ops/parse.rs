//! `parse` / `parse-where` (simple, relaxed and regex kinds) and `parse-kv`.

use super::basic::set_column;
use crate::engine::eval::{Row, eval, eval_scalar};
use crate::engine::exec::Ctx;
use crate::engine::funcs::string::regex;
use crate::engine::table::{Table, coerce};
use crate::engine::value::{Ty, Value};
use crate::engine::{Error, Result};
use crate::kql::ast::*;

fn param_str(params: &[OpParam], name: &str, cx: &Ctx) -> Result<Option<String>> {
    match params.iter().find(|p| p.name.name == name) {
        Some(p) => Ok(Some(match p.value.as_name() {
            Some(n) => n.to_string(),
            None => eval_scalar(&p.value, cx)?.to_kusto_string(),
        })),
        None => Ok(None),
    }
}

fn type_regex(ty: Ty) -> &'static str {
    match ty {
        Ty::Int | Ty::Long => r"[-+]?\d+",
        Ty::Real | Ty::Decimal => r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?",
        Ty::Bool => r"(?i:true|false)",
        Ty::Guid => {
            r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
        }
        _ => ".*?",
    }
}

pub fn parse(
    t: &Table,
    filter: bool,
    params: &[OpParam],
    source: &Expr,
    pattern: &[ParsePart],
    cx: &Ctx,
) -> Result<Table> {
    let kind = param_str(params, "kind", cx)?.unwrap_or_else(|| "simple".into());
    let flags = param_str(params, "flags", cx)?.unwrap_or_default();
    let mut re = String::new();
    if !flags.is_empty() {
        re.push_str(&format!("(?{flags})"));
    }
    if kind != "regex" {
        re.push('^');
    }
    let mut cols: Vec<(String, Ty)> = Vec::new();
    let n = pattern.len();
    for (k, part) in pattern.iter().enumerate() {
        let last = k + 1 == n;
        match part {
            ParsePart::Literal(l) => {
                let s = l.as_str().unwrap_or_default();
                if kind == "regex" {
                    re.push_str(s);
                } else {
                    re.push_str(&regex::escape(s));
                }
            }
            // In regex mode `*` and string columns are greedy `.*` (the `U` flag makes
            // them lazy); in simple mode they are lazy except at the end.
            ParsePart::Star(_) => re.push_str(if last || kind == "regex" { ".*" } else { ".*?" }),
            ParsePart::Column { name, ty, .. } => {
                let ty = match ty {
                    Some(t) => Ty::parse(&t.name)
                        .ok_or_else(|| Error::at(t.span, format!("unknown type `{}`", t.name)))?,
                    None => Ty::String,
                };
                let body = if ty == Ty::String {
                    if last || kind == "regex" { ".*" } else { ".*?" }
                } else {
                    type_regex(ty)
                };
                re.push_str(&format!("({body})"));
                cols.push((name.name.clone(), ty));
            }
        }
    }
    if kind == "simple" && matches!(pattern.last(), Some(ParsePart::Literal(_))) {
        re.push('$');
    }
    let re = regex(&re)?;
    let mut out = t.clone();
    let mut vals: Vec<Vec<Value>> = vec![Vec::with_capacity(t.rows.len()); cols.len()];
    let mut keep = Vec::with_capacity(t.rows.len());
    for i in 0..t.rows.len() {
        let text = eval(source, &Row::new(t, i), cx)?.to_kusto_string();
        let caps = re.captures(&text);
        let mut ok = caps.is_some();
        for (k, (_, ty)) in cols.iter().enumerate() {
            let v = match caps.as_ref().and_then(|c| c.get(k + 1)) {
                Some(m) => {
                    let v = convert(m.as_str(), *ty);
                    if v.is_null() && *ty != Ty::String {
                        ok = false;
                    }
                    v
                }
                None => {
                    if *ty == Ty::String {
                        Value::str("")
                    } else {
                        Value::Null
                    }
                }
            };
            vals[k].push(v);
        }
        keep.push(ok);
    }
    for ((name, ty), v) in cols.iter().zip(vals) {
        set_column(&mut out, name, v, *ty);
    }
    if filter {
        out.rows = out
            .rows
            .into_iter()
            .zip(keep)
            .filter_map(|(r, k)| k.then_some(r))
            .collect();
    }
    Ok(out)
}

fn convert(s: &str, ty: Ty) -> Value {
    match ty {
        Ty::String => Value::str(s),
        Ty::Long => s
            .trim_start_matches('+')
            .parse()
            .map_or(Value::Null, Value::Long),
        Ty::Int => s
            .trim_start_matches('+')
            .parse()
            .map_or(Value::Null, Value::Int),
        Ty::Real => s.parse().map_or(Value::Null, Value::Real),
        Ty::Decimal => s.parse().map_or(Value::Null, Value::Decimal),
        other => coerce(Value::str(s), other),
    }
}

pub fn parse_kv(
    t: &Table,
    source: &Expr,
    columns: &[ColumnDecl],
    with: &[OpParam],
    cx: &Ctx,
) -> Result<Table> {
    let pair = param_str(with, "pair_delimiter", cx)?;
    let kv = param_str(with, "kv_delimiter", cx)?;
    let quote = param_str(with, "quote", cx)?.unwrap_or_default();
    let escape = param_str(with, "escape", cx)?;
    let greedy = param_str(with, "greedy", cx)?.as_deref() == Some("true");
    let regex_param = param_str(with, "regex", cx)?;
    let mut cols = Vec::new();
    for c in columns {
        let ty = Ty::parse(&c.ty.name)
            .ok_or_else(|| Error::at(c.ty.span, format!("unknown type `{}`", c.ty.name)))?;
        cols.push((c.name.name.clone(), ty));
    }
    let mut vals: Vec<Vec<Value>> = vec![Vec::new(); cols.len()];
    for i in 0..t.rows.len() {
        let text = eval(source, &Row::new(t, i), cx)?.to_kusto_string();
        let found: Vec<(String, String)> = match &regex_param {
            Some(r) => {
                let re = regex(r)?;
                re.captures_iter(&text)
                    .filter_map(|c| {
                        Some((
                            c.get(1)?.as_str().to_string(),
                            c.get(2)?.as_str().to_string(),
                        ))
                    })
                    .collect()
            }
            None => split_pairs(
                &text,
                pair.as_deref().unwrap_or(" "),
                kv.as_deref().unwrap_or("="),
                &quote,
                escape.as_deref(),
                greedy,
            ),
        };
        for (k, (name, ty)) in cols.iter().enumerate() {
            let v = found
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, v)| convert(v, *ty))
                .unwrap_or(if *ty == Ty::String {
                    Value::str("")
                } else {
                    Value::Null
                });
            vals[k].push(v);
        }
    }
    let mut out = t.clone();
    for ((name, ty), v) in cols.iter().zip(vals) {
        set_column(&mut out, name, v, *ty);
    }
    Ok(out)
}

/// Splits `text` into key-value pairs. Values may be quoted with any character of
/// `quotes`; with `greedy`, an unquoted value runs to the next key.
fn split_pairs(
    text: &str,
    pair: &str,
    kv: &str,
    quotes: &str,
    escape: Option<&str>,
    greedy: bool,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let s: String = chars.iter().collect();
    let mut pos = 0;
    let bytes = s.as_str();
    let esc = escape.and_then(|e| e.chars().next());
    while pos < bytes.len() {
        // Skip pair delimiters and spaces before a key.
        while bytes[pos..].starts_with(pair) || bytes[pos..].starts_with(' ') {
            pos += if bytes[pos..].starts_with(pair) {
                pair.len()
            } else {
                1
            };
            if pos >= bytes.len() {
                return out;
            }
        }
        let Some(kpos) = bytes[pos..].find(kv) else {
            break;
        };
        let key_text = &bytes[pos..pos + kpos];
        let key = key_text
            .rfind(pair)
            .map_or(key_text, |i| &key_text[i + pair.len()..])
            .trim()
            .to_string();
        pos += kpos + kv.len();
        let rest = &bytes[pos..];
        let first = rest.chars().next();
        if let Some(q) = first.filter(|c| quotes.contains(*c)) {
            let mut val = String::new();
            let mut it = rest[q.len_utf8()..].char_indices();
            let mut end = rest.len();
            while let Some((j, c)) = it.next() {
                if Some(c) == esc {
                    if let Some((_, n)) = it.next() {
                        val.push(n);
                    }
                    continue;
                }
                if c == q {
                    end = q.len_utf8() + j + c.len_utf8();
                    break;
                }
                val.push(c);
            }
            out.push((key, val));
            pos += end;
        } else {
            let end = if greedy {
                // Up to the pair delimiter that precedes the next `key=`.
                let mut e = rest.len();
                let mut from = 0;
                while let Some(p) = rest[from..].find(pair) {
                    let after = &rest[from + p + pair.len()..];
                    if let Some(k) = after.find(kv)
                        && !after[..k].contains(pair)
                    {
                        e = from + p;
                        break;
                    }
                    from += p + pair.len();
                }
                e
            } else {
                rest.find(pair).unwrap_or(rest.len())
            };
            out.push((key, rest[..end].to_string()));
            pos += end;
        }
    }
    out
}

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
                // `relaxed`: a typed column takes its type's text, else any text; text
                // that does not convert makes that column null and the rest of the row
                // still parses. In regex mode a datetime or timespan column is `.*`.
                let any = if last || kind == "regex" { ".*" } else { ".*?" };
                let typed = type_regex(ty);
                let body = if ty == Ty::String || (typed == ".*?" && kind == "regex") {
                    any.to_string()
                } else if kind == "relaxed" && typed != ".*?" {
                    format!("{typed}|{any}")
                } else {
                    typed.to_string()
                };
                // Named groups: in regex mode the pattern's own groups do not count.
                re.push_str(&format!("(?P<rulecat_c{}>{body})", cols.len()));
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
            let v = match caps.as_ref().and_then(|c| c.name(&format!("rulecat_c{k}"))) {
                Some(m) => {
                    let v = convert(m.as_str(), *ty);
                    if v.is_null() && *ty != Ty::String && kind != "relaxed" {
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
            None if pair.is_none() && kv.is_none() => auto_pairs(&text, &quote, escape.as_deref())?,
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

/// The opening and closing quote characters: `quote='()'` is a pair, otherwise each
/// character both opens and closes.
fn quote_pairs(quotes: &str) -> Vec<(char, char)> {
    let q: Vec<char> = quotes.chars().collect();
    match q.as_slice() {
        ['(', ')'] | ['[', ']'] | ['{', '}'] | ['<', '>'] => vec![(q[0], q[1])],
        _ => q.iter().map(|&c| (c, c)).collect(),
    }
}

/// Reads a quoted run starting at `chars[i]` (an opening quote); returns the text and
/// the index after the closing quote.
fn read_quoted(chars: &[char], i: usize, close: char, esc: Option<char>) -> (String, usize) {
    let mut out = String::new();
    let mut j = i + 1;
    while j < chars.len() {
        let c = chars[j];
        if Some(c) == esc && j + 1 < chars.len() {
            out.push(chars[j + 1]);
            j += 2;
            continue;
        }
        if c == close {
            return (out, j + 1);
        }
        out.push(c);
        j += 1;
    }
    (out, j)
}

fn starts_at(chars: &[char], i: usize, pat: &[char]) -> bool {
    !pat.is_empty() && chars.len() >= i + pat.len() && chars[i..i + pat.len()] == *pat
}

fn find_from(chars: &[char], from: usize, pat: &[char]) -> Option<usize> {
    (from..chars.len()).find(|&k| starts_at(chars, k, pat))
}

/// Splits `text` into key-value pairs. Keys and values may be quoted (see
/// [`quote_pairs`]); with `greedy`, an unquoted value runs to the pair delimiter before
/// the next `key<kv>`.
fn split_pairs(
    text: &str,
    pair: &str,
    kv: &str,
    quotes: &str,
    escape: Option<&str>,
    greedy: bool,
) -> Vec<(String, String)> {
    let chars: Vec<char> = text.chars().collect();
    let (pair, kv): (Vec<char>, Vec<char>) = (pair.chars().collect(), kv.chars().collect());
    let qs = quote_pairs(quotes);
    let esc = escape.and_then(|e| e.chars().next());
    let close_of = |c: char| qs.iter().find(|q| q.0 == c).map(|q| q.1);
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if starts_at(&chars, i, &pair) {
            i += pair.len();
            continue;
        }
        if chars[i] == ' ' {
            i += 1;
            continue;
        }
        let key = if let Some(close) = close_of(chars[i]) {
            let (k, next) = read_quoted(&chars, i, close, esc);
            if !starts_at(&chars, next, &kv) {
                i = next;
                continue;
            }
            i = next + kv.len();
            k
        } else {
            let Some(k) = find_from(&chars, i, &kv) else {
                break;
            };
            let mut start = i;
            while let Some(p) = find_from(&chars, start, &pair).filter(|&p| p < k) {
                start = p + pair.len();
            }
            let key: String = chars[start..k].iter().collect();
            i = k + kv.len();
            key.trim().to_string()
        };
        let value = if let Some(close) = chars.get(i).and_then(|&c| close_of(c)) {
            let (v, next) = read_quoted(&chars, i, close, esc);
            i = next;
            v
        } else {
            let end = if greedy {
                let mut e = chars.len();
                let mut from = i;
                while let Some(p) = find_from(&chars, from, &pair) {
                    let after = p + pair.len();
                    match (
                        find_from(&chars, after, &kv),
                        find_from(&chars, after, &pair),
                    ) {
                        (Some(k), next_pair) if next_pair.is_none_or(|np| k < np) => {
                            e = p;
                            break;
                        }
                        _ => from = after,
                    }
                }
                e
            } else {
                find_from(&chars, i, &pair).unwrap_or(chars.len())
            };
            let v: String = chars[i..end].iter().collect();
            i = end;
            v
        };
        out.push((key, value));
    }
    out
}

/// Without delimiters, `parse-kv` finds `key: value` / `key=value` pairs itself:
/// keys are words, values quoted (with `quote`/`escape`) or runs up to a space, `,`
/// or `;`.
fn auto_pairs(text: &str, quotes: &str, escape: Option<&str>) -> Result<Vec<(String, String)>> {
    let esc = escape.and_then(|e| e.chars().next());
    let mut alts = Vec::new();
    for (o, c) in quote_pairs(quotes) {
        let (o, c) = (regex::escape(&o.to_string()), regex::escape(&c.to_string()));
        match esc {
            Some(e) => {
                let e = regex::escape(&e.to_string());
                alts.push(format!("{o}((?:[^{c}{e}]|{e}.)*){c}"));
            }
            None => alts.push(format!("{o}([^{c}]*){c}")),
        }
    }
    alts.push(r"([^\s,;]*)".to_string());
    let re = regex(&format!(r"([\w.\-]+)\s*[:=]\s*(?:{})", alts.join("|")))?;
    let mut out = Vec::new();
    for c in re.captures_iter(text) {
        let key = c.get(1).map_or("", |m| m.as_str()).to_string();
        let raw = (2..c.len())
            .find_map(|g| c.get(g))
            .map_or("", |m| m.as_str());
        let value = match esc {
            Some(e) => {
                let mut v = String::new();
                let mut it = raw.chars();
                while let Some(ch) = it.next() {
                    if ch == e {
                        v.extend(it.next());
                    } else {
                        v.push(ch);
                    }
                }
                v
            }
            None => raw.to_string(),
        };
        out.push((key, value));
    }
    Ok(out)
}

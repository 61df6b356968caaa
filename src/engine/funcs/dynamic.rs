//! Dynamic (JSON) values: member and index access, arrays, property bags, sets.

use super::{arg, long};
use crate::engine::value::{self, Json, Value};
use crate::engine::{Error, Result};

/// `x.key` / `x['key']`: the member of a bag (null when absent or not a bag).
pub fn get_key(v: &Value, key: &str) -> Value {
    match v.as_json() {
        Some(Json::Object(m)) => m.get(key).cloned().map_or(Value::Null, Value::dynamic),
        _ => Value::Null,
    }
}

/// `x[i]` (negative counts from the end) or `x['key']`.
pub fn index(v: &Value, i: &Value) -> Value {
    match (v.as_json(), i.clone().undyn_scalar()) {
        (Some(Json::Array(a)), idx) => match idx.as_i64() {
            Some(n) => {
                let n = if n < 0 { a.len() as i64 + n } else { n };
                usize::try_from(n)
                    .ok()
                    .and_then(|n| a.get(n))
                    .cloned()
                    .map_or(Value::Null, Value::dynamic)
            }
            None => Value::Null,
        },
        (Some(Json::Object(_)), Value::Str(k)) => get_key(v, &k),
        _ => Value::Null,
    }
}

/// `j` with every bag's properties sorted by name, at every depth (`dynamic_to_json`'s
/// canonical form).
fn canonical(j: &Json) -> Json {
    match j {
        Json::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Json::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), canonical(&m[k])))
                    .collect(),
            )
        }
        Json::Array(a) => Json::Array(a.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

fn arr(v: &Value) -> Option<&Vec<Json>> {
    v.as_json().and_then(Json::as_array)
}

fn dyn_arr(items: Vec<Json>) -> Value {
    Value::Dyn(std::sync::Arc::new(Json::Array(items)))
}

fn set_key(j: &Json) -> String {
    crate::engine::format::json_compact(j)
}

/// Looks up a JSONPath-like key (`$.a.b`, `$['a']`) or a plain key in a bag.
fn path_parts(key: &str) -> Vec<String> {
    match key.strip_prefix('$') {
        Some(rest) => rest
            .split(['.', '[', ']'])
            .map(|p| p.trim_matches(['\'', '"']))
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect(),
        None => vec![key.to_string()],
    }
}

fn remove_path(j: &mut Json, path: &[String]) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    if let Json::Object(m) = j {
        if rest.is_empty() {
            m.shift_remove(first);
        } else if let Some(child) = m.get_mut(first) {
            remove_path(child, rest);
        }
    }
}

/// `range(start, stop [, step])`: an array (at most a million elements).
fn range_array(a: &[Value]) -> Result<Value> {
    use crate::kql::ast::BinOp;
    let (start, stop) = (arg(a, 0), arg(a, 1));
    let step = match a.get(2) {
        Some(s) => s.clone().undyn_scalar(),
        None => Value::Long(1),
    };
    if start.is_null() || stop.is_null() || step.is_null() {
        return Ok(Value::Null);
    }
    let zero = crate::engine::arith::binary(BinOp::Sub, &step, &step)?;
    let up = value::compare(&step, &zero);
    if up.is_eq() {
        return Ok(Value::Null);
    }
    let mut out = Vec::new();
    let mut v = start;
    while out.len() < 1_000_000 {
        let o = value::compare(&v, &stop);
        if (up.is_gt() && o.is_gt()) || (up.is_lt() && o.is_lt()) {
            break;
        }
        out.push(v.to_json());
        v = crate::engine::arith::binary(BinOp::Add, &v, &step)?;
    }
    Ok(dyn_arr(out))
}

pub fn call(name: &str, a: &[Value]) -> Option<Result<Value>> {
    let v = match name {
        "range" => return Some(range_array(a)),
        "dynamic_to_json" => match a.first() {
            Some(v @ Value::Dyn(_)) => match v.as_json() {
                Some(j) => Value::str(crate::engine::format::json_compact(&canonical(j))),
                None => Value::str(v.to_kusto_string()),
            },
            Some(v) => Value::str(v.to_kusto_string()),
            None => return None,
        },
        "array_length" => arr(a.first()?).map_or(Value::Null, |x| Value::Long(x.len() as i64)),
        "bag_keys" => match a.first().and_then(Value::as_json) {
            Some(Json::Object(m)) => dyn_arr(m.keys().map(|k| Json::String(k.clone())).collect()),
            _ => Value::Null,
        },
        "bag_has_key" => {
            let mut cur = a.first().and_then(Value::as_json);
            for p in path_parts(&super::s(a, 1)) {
                cur = cur.and_then(|j| match j {
                    Json::Object(m) => m.get(&p),
                    Json::Array(x) => p.parse::<usize>().ok().and_then(|i| x.get(i)),
                    _ => None,
                });
            }
            Value::Bool(cur.is_some())
        }
        "pack" | "bag_pack" | "pack_dictionary" => {
            if !a.len().is_multiple_of(2) {
                return Some(Err(Error::new(format!(
                    "`{name}()` takes key-value pairs (an even number of arguments)"
                ))));
            }
            let mut m = serde_json::Map::new();
            for kv in a.chunks(2) {
                m.insert(kv[0].to_kusto_string(), kv[1].to_json());
            }
            Value::dynamic(Json::Object(m))
        }
        "pack_array" => dyn_arr(a.iter().map(Value::to_json).collect()),
        "bag_merge" => {
            let mut m = serde_json::Map::new();
            for v in a {
                if let Some(Json::Object(o)) = v.as_json() {
                    for (k, x) in o {
                        m.entry(k.clone()).or_insert_with(|| x.clone());
                    }
                }
            }
            Value::dynamic(Json::Object(m))
        }
        "bag_remove_keys" => match a.first().and_then(Value::as_json) {
            Some(j @ Json::Object(_)) => {
                let mut j = j.clone();
                for k in a.get(1).and_then(arr).into_iter().flatten() {
                    if let Some(k) = k.as_str() {
                        remove_path(&mut j, &path_parts(k));
                    }
                }
                Value::dynamic(j)
            }
            _ => Value::Null,
        },
        "array_concat" => {
            let mut out = Vec::new();
            for v in a {
                match arr(v) {
                    Some(x) => out.extend(x.iter().cloned()),
                    None => return Some(Ok(Value::Null)),
                }
            }
            dyn_arr(out)
        }
        "array_slice" => match arr(a.first()?) {
            Some(x) => {
                let n = x.len() as i64;
                let norm = |i: i64| if i < 0 { n + i } else { i };
                let start = norm(long(a, 1).unwrap_or(0)).max(0);
                let end = norm(long(a, 2).unwrap_or(-1)).min(n - 1);
                if start > end || start >= n {
                    dyn_arr(Vec::new())
                } else {
                    dyn_arr(x[start as usize..=end as usize].to_vec())
                }
            }
            None => Value::Null,
        },
        "array_reverse" => {
            arr(a.first()?).map_or(Value::Null, |x| dyn_arr(x.iter().rev().cloned().collect()))
        }
        "array_sort_asc" | "array_sort_desc" => match arr(a.first()?) {
            Some(x) => {
                // Further arrays of the same length are reordered like the first;
                // with several arrays the result is the array of sorted arrays (what
                // Kusto's tuple result indexes as `[k]`).
                let others: Vec<&Vec<Json>> = a[1..].iter().map_while(arr).collect();
                if others.iter().any(|o| o.len() != x.len()) {
                    return Some(Ok(Value::Null));
                }
                let nulls_last = match a.get(1 + others.len()) {
                    Some(Value::Bool(b)) => *b,
                    _ => true,
                };
                let mut idx: Vec<usize> = (0..x.len()).filter(|&i| !x[i].is_null()).collect();
                let null_idx: Vec<usize> = (0..x.len()).filter(|&i| x[i].is_null()).collect();
                idx.sort_by(|&p, &q| {
                    let o = value::compare(
                        &Value::dynamic(x[p].clone()),
                        &Value::dynamic(x[q].clone()),
                    );
                    if name == "array_sort_desc" {
                        o.reverse()
                    } else {
                        o
                    }
                });
                let order: Vec<usize> = if nulls_last {
                    idx.into_iter().chain(null_idx).collect()
                } else {
                    null_idx.into_iter().chain(idx).collect()
                };
                let pick = |v: &Vec<Json>| order.iter().map(|&i| v[i].clone()).collect::<Vec<_>>();
                if others.is_empty() {
                    dyn_arr(pick(x))
                } else {
                    let mut all = vec![Json::Array(pick(x))];
                    all.extend(others.iter().map(|o| Json::Array(pick(o))));
                    dyn_arr(all)
                }
            }
            None => Value::Null,
        },
        "array_sum" => match arr(a.first()?) {
            Some(x) => {
                let mut s = 0.0;
                for j in x {
                    match j.as_f64() {
                        Some(f) => s += f,
                        None => return Some(Ok(Value::Null)),
                    }
                }
                Value::Real(s)
            }
            None => Value::Null,
        },
        "array_index_of" => match arr(a.first()?) {
            Some(x) => {
                let target = arg(a, 1);
                let n = x.len() as i64;
                let start = long(a, 2).unwrap_or(0);
                let start = if start < 0 { (n + start).max(0) } else { start };
                let len = long(a, 3).unwrap_or(-1);
                let end = if len < 0 { n } else { (start + len).min(n) };
                let occ = long(a, 4).unwrap_or(1).max(1);
                let mut seen = 0;
                let mut found = -1;
                for i in start..end {
                    let item = Value::dynamic(x[i as usize].clone()).undyn();
                    if value::equals(&item, &target) {
                        seen += 1;
                        if seen == occ {
                            found = i;
                            break;
                        }
                    }
                }
                Value::Long(found)
            }
            None => Value::Null,
        },
        "set_union" | "set_intersect" | "set_difference" | "set_has_element" => {
            if name == "set_has_element" {
                let target = arg(a, 1);
                return Some(Ok(Value::Bool(arr(a.first()?).is_some_and(|x| {
                    x.iter()
                        .any(|j| value::equals(&Value::dynamic(j.clone()).undyn(), &target))
                }))));
            }
            let mut arrays = Vec::new();
            for v in a {
                match arr(v) {
                    Some(x) => arrays.push(x),
                    None => return Some(Ok(Value::Null)),
                }
            }
            let Some((first, rest)) = arrays.split_first() else {
                return Some(Ok(dyn_arr(Vec::new())));
            };
            let mut seen = std::collections::HashSet::new();
            let mut out = Vec::new();
            let mut push = |j: &Json, out: &mut Vec<Json>| {
                if seen.insert(set_key(j)) {
                    out.push(j.clone());
                }
            };
            match name {
                "set_union" => {
                    for x in &arrays {
                        for j in x.iter() {
                            push(j, &mut out);
                        }
                    }
                }
                "set_intersect" => {
                    for j in first.iter() {
                        let k = set_key(j);
                        if rest.iter().all(|x| x.iter().any(|y| set_key(y) == k)) {
                            push(j, &mut out);
                        }
                    }
                }
                _ => {
                    for j in first.iter() {
                        let k = set_key(j);
                        if !rest.iter().any(|x| x.iter().any(|y| set_key(y) == k)) {
                            push(j, &mut out);
                        }
                    }
                }
            }
            dyn_arr(out)
        }
        "array_shift_left" | "array_shift_right" | "array_rotate_left" | "array_rotate_right" => {
            match arr(a.first()?) {
                Some(x) => {
                    let n = x.len() as i64;
                    // Clamped so that shifting and negating cannot overflow.
                    let k = long(a, 1).unwrap_or(0).clamp(-(n + 1), n + 1);
                    let k = if name.ends_with("right") { -k } else { k };
                    let fill = a.get(2).map_or(Json::Null, Value::to_json);
                    let out = (0..n)
                        .map(|i| {
                            let j = i + k;
                            if name.starts_with("array_rotate") {
                                if n == 0 {
                                    Json::Null
                                } else {
                                    x[j.rem_euclid(n) as usize].clone()
                                }
                            } else if (0..n).contains(&j) {
                                x[j as usize].clone()
                            } else {
                                fill.clone()
                            }
                        })
                        .collect();
                    dyn_arr(out)
                }
                None => Value::Null,
            }
        }
        "array_split" => match arr(a.first()?) {
            Some(x) => {
                let mut idx: Vec<i64> = match a.get(1) {
                    Some(v) if arr(v).is_some() => arr(v)
                        .into_iter()
                        .flatten()
                        .filter_map(Json::as_i64)
                        .collect(),
                    Some(v) => v.as_i64().into_iter().collect(),
                    None => Vec::new(),
                };
                let n = x.len() as i64;
                for i in &mut idx {
                    if *i < 0 {
                        *i += n;
                    }
                    *i = (*i).clamp(0, n);
                }
                let mut out = Vec::new();
                let mut prev = 0;
                for i in idx.into_iter().chain([n]) {
                    let i = i.max(prev);
                    out.push(Json::Array(x[prev as usize..i as usize].to_vec()));
                    prev = i;
                }
                dyn_arr(out)
            }
            None => Value::Null,
        },
        "zip" => {
            let arrays: Vec<&Vec<Json>> = a.iter().filter_map(arr).collect();
            let n = arrays.iter().map(|x| x.len()).max().unwrap_or(0);
            dyn_arr(
                (0..n)
                    .map(|i| {
                        Json::Array(
                            arrays
                                .iter()
                                .map(|x| x.get(i).cloned().unwrap_or(Json::Null))
                                .collect(),
                        )
                    })
                    .collect(),
            )
        }
        "array_iff" | "array_iif" => match (arr(a.first()?), a.get(1), a.get(2)) {
            (Some(c), Some(t), Some(f)) => {
                let pick = |v: &Value, i: usize| match arr(v) {
                    Some(x) => x.get(i).cloned().unwrap_or(Json::Null),
                    None => v.to_json(),
                };
                dyn_arr(
                    c.iter()
                        .enumerate()
                        .map(|(i, b)| match b {
                            Json::Bool(true) => pick(t, i),
                            Json::Bool(false) => pick(f, i),
                            Json::Number(n) if n.as_f64().is_some_and(|f| f != 0.0) => pick(t, i),
                            Json::Number(_) => pick(f, i),
                            _ => Json::Null,
                        })
                        .collect(),
                )
            }
            _ => Value::Null,
        },
        "jaccard_index" => match (a.first().and_then(arr), a.get(1).and_then(arr)) {
            (Some(x), Some(y)) => {
                let sx: std::collections::HashSet<String> = x.iter().map(set_key).collect();
                let sy: std::collections::HashSet<String> = y.iter().map(set_key).collect();
                let u = sx.union(&sy).count();
                Value::Real(if u == 0 {
                    0.0
                } else {
                    sx.intersection(&sy).count() as f64 / u as f64
                })
            }
            _ => Value::Null,
        },
        _ => return None,
    };
    Some(Ok(v))
}

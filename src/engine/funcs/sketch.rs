//! Scalar functions over `tdigest()` and `hll()` results ([`crate::engine::sketch`]).

use super::arg;
use crate::engine::Result;
use crate::engine::sketch::{self, TDigest};
use crate::engine::value::{Json, Value};

pub fn call(name: &str, a: &[Value]) -> Option<Result<Value>> {
    let digest = || a.first().and_then(TDigest::from_value);
    let v = match name {
        "merge_tdigest" => TDigest::merge(a.iter().filter_map(TDigest::from_value))
            .map_or(Value::Null, |d| d.to_value()),
        // percentile_tdigest(digest, p [, typeof(T)])
        "percentile_tdigest" => match (digest(), arg(a, 1).as_f64()) {
            (Some(d), Some(p)) => {
                let ty = a.get(2).map(Value::to_kusto_string);
                sketch::as_type(d.percentile(p), ty.as_deref())
            }
            _ => Value::Null,
        },
        // percentiles_array_tdigest(digest, p1 [, p2, ...]) or (digest, dynamic([p1, ...]))
        "percentiles_array_tdigest" => match digest() {
            Some(d) => {
                let mut ps = Vec::new();
                for v in &a[1.min(a.len())..] {
                    match v.as_json() {
                        Some(Json::Array(items)) => ps.extend(items.iter().map(Json::as_f64)),
                        _ => ps.push(v.clone().undyn_scalar().as_f64()),
                    }
                }
                Value::dynamic(Json::Array(
                    ps.into_iter()
                        .map(|p| p.map_or(Json::Null, |p| d.percentile(p).to_json()))
                        .collect(),
                ))
            }
            None => Value::Null,
        },
        // rank_tdigest(digest, v): how many values are <= v (an array of ranks for an
        // array of values).
        "rank_tdigest" => match digest() {
            Some(d) => {
                let rank = |v: &Value| d.rank(v).map_or(Value::Null, whole);
                match a.get(1).and_then(Value::as_json) {
                    Some(Json::Array(items)) => Value::dynamic(Json::Array(
                        items
                            .iter()
                            .map(|j| rank(&Value::dynamic(j.clone()).undyn_scalar()).to_json())
                            .collect(),
                    )),
                    _ => rank(&arg(a, 1)),
                }
            }
            None => Value::Null,
        },
        "dcount_hll" => match a.first() {
            Some(v) if v.is_null() => Value::Long(0),
            Some(v) => sketch::hll_set(v).map_or(Value::Null, |s| Value::Long(s.len() as i64)),
            None => Value::Null,
        },
        "hll_merge" => sketch::hll_merge(a),
        _ => return None,
    };
    Some(Ok(v))
}

fn whole(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9e15 {
        Value::Long(x as i64)
    } else {
        Value::Real(x)
    }
}

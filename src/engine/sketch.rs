//! Intermediate results of `tdigest()`/`hll()` and the schema of `buildschema()`.
//!
//! Kusto's `tdigest()` and `hll()` results are internal, undocumented formats, so
//! rulecat has its own (a dynamic bag, stable across runs): only what the functions
//! reading them return (`percentile_tdigest`, `rank_tdigest`, `dcount_hll`,
//! `dcount_intersect`, ...) is meant to match Kusto.
//!
//! - A t-digest is `{"rulecat_tdigest": {"type": T, "centroids": [[value, weight], ...]}}`
//!   with the centroids sorted by value: exact (one centroid per distinct value) up to
//!   [`TDIGEST_MAX`] distinct values, then adjacent centroids are merged into their
//!   weighted mean, so percentiles stay within one centroid of the exact ones (Kusto's
//!   T-Digest is likewise exact on small inputs).
//! - An HLL is `{"rulecat_hll": [hash, ...]}`: the sorted, distinct 64-bit hashes of
//!   the values, so `dcount_hll` is exact (as rulecat's `dcount` is), up to hash
//!   collisions (2^-64 per pair). The accuracy argument of `hll()` is accepted and
//!   does not change the result.

use std::collections::BTreeSet;

use super::table::coerce;
use super::value::{self, Json, Ty, Value};

/// Distinct values a t-digest keeps exactly.
pub const TDIGEST_MAX: usize = 65_536;

const TD_KEY: &str = "rulecat_tdigest";
const HLL_KEY: &str = "rulecat_hll";

/// A t-digest: its value type and its centroids (value, weight), sorted by value.
#[derive(Clone, Debug)]
pub struct TDigest {
    pub ty: Ty,
    pub centroids: Vec<(Value, f64)>,
}

impl TDigest {
    /// The digest of (value, weight) pairs; nulls, non-numeric values and
    /// non-positive weights are skipped. `None` when no value remains.
    pub fn build(vals: impl IntoIterator<Item = (Value, f64)>) -> Option<TDigest> {
        let mut ty = None;
        let mut items = Vec::new();
        for (v, w) in vals {
            let v = v.undyn_scalar();
            let t = match v.ty() {
                Some(t @ (Ty::Int | Ty::Long | Ty::Real | Ty::Decimal)) => t,
                Some(t @ (Ty::DateTime | Ty::Timespan)) => t,
                _ => continue,
            };
            if w.is_nan() || w <= 0.0 {
                continue;
            }
            ty = Some(match (ty, t) {
                (None, t) => t,
                (Some(a), b) if a == b => a,
                // Mixed numbers widen to real.
                (Some(a), b) if a.is_numeric() && b.is_numeric() => Ty::Real,
                (Some(a), _) => a,
            });
            items.push((v, w));
        }
        let ty = ty?;
        let mut d = TDigest {
            ty,
            centroids: items,
        };
        d.normalize();
        Some(d)
    }

    /// Sorts, merges equal values, and compresses beyond [`TDIGEST_MAX`].
    fn normalize(&mut self) {
        self.centroids
            .retain(|(v, _)| num(v).is_some_and(f64::is_finite));
        self.centroids.sort_by(|a, b| value::compare(&a.0, &b.0));
        let mut out: Vec<(Value, f64)> = Vec::with_capacity(self.centroids.len());
        for (v, w) in self.centroids.drain(..) {
            match out.last_mut() {
                Some(last) if value::compare(&last.0, &v).is_eq() => last.1 += w,
                _ => out.push((v, w)),
            }
        }
        while out.len() > TDIGEST_MAX {
            out = out
                .chunks(2)
                .map(|c| match c {
                    [a, b] => {
                        let (x, y) = (num(&a.0).unwrap_or(0.0), num(&b.0).unwrap_or(0.0));
                        let w = a.1 + b.1;
                        let mean = (x * a.1 + y * b.1) / w;
                        (from_f64(mean, self.ty), w)
                    }
                    _ => c[0].clone(),
                })
                .collect();
        }
        self.centroids = out;
    }

    /// Merges digests (of the same or numeric types).
    pub fn merge(ds: impl IntoIterator<Item = TDigest>) -> Option<TDigest> {
        let mut ty: Option<Ty> = None;
        let mut centroids = Vec::new();
        for d in ds {
            ty = Some(match ty {
                None => d.ty,
                Some(a) if a == d.ty => a,
                Some(a) if a.is_numeric() && d.ty.is_numeric() => Ty::Real,
                Some(a) => a,
            });
            centroids.extend(d.centroids);
        }
        let mut d = TDigest { ty: ty?, centroids };
        d.normalize();
        Some(d)
    }

    pub fn to_value(&self) -> Value {
        let cs = self
            .centroids
            .iter()
            .map(|(v, w)| Json::Array(vec![num_json(v), weight_json(*w)]))
            .collect();
        let mut inner = serde_json::Map::new();
        inner.insert("type".into(), Json::from(self.ty.name()));
        inner.insert("centroids".into(), Json::Array(cs));
        let mut m = serde_json::Map::new();
        m.insert(TD_KEY.into(), Json::Object(inner));
        Value::dynamic(Json::Object(m))
    }

    /// Reads a digest made by [`TDigest::to_value`]; `None` for anything else.
    pub fn from_value(v: &Value) -> Option<TDigest> {
        let inner = v.as_json()?.as_object()?.get(TD_KEY)?.as_object()?;
        let ty = Ty::parse(inner.get("type")?.as_str()?)?;
        let mut centroids = Vec::new();
        for c in inner.get("centroids")?.as_array()? {
            let [x, w] = c.as_array()?.as_slice() else {
                return None;
            };
            centroids.push((from_json(x, ty)?, w.as_f64()?));
        }
        Some(TDigest { ty, centroids })
    }

    fn total(&self) -> f64 {
        self.centroids.iter().map(|c| c.1).sum()
    }

    /// The nearest-rank percentile `p` (0..=100), as the aggregate `percentile` gives.
    pub fn percentile(&self, p: f64) -> Value {
        let total = self.total();
        if total <= 0.0 || p.is_nan() {
            return Value::Null;
        }
        let rank = ((p.clamp(0.0, 100.0) / 100.0) * total).ceil().max(1.0);
        let mut acc = 0.0;
        for (v, w) in &self.centroids {
            acc += w;
            if acc >= rank - 1e-9 {
                return v.clone();
            }
        }
        self.centroids
            .last()
            .map(|c| c.0.clone())
            .unwrap_or(Value::Null)
    }

    /// The weight of the values less than or equal to `v` (rank_tdigest).
    pub fn rank(&self, v: &Value) -> Option<f64> {
        num(v)?;
        Some(
            self.centroids
                .iter()
                .filter(|c| value::compare(&c.0, v).is_le())
                .map(|c| c.1)
                .sum(),
        )
    }
}

/// A number, datetime (ticks) or timespan (ticks) as `f64`.
fn num(v: &Value) -> Option<f64> {
    match v {
        Value::DateTime(t) | Value::Timespan(t) => Some(*t as f64),
        other => other.as_f64(),
    }
}

fn weight_json(w: f64) -> Json {
    if w.fract() == 0.0 && w.abs() < 9e15 {
        Json::from(w as i64)
    } else {
        Json::from(w)
    }
}

/// A value as a JSON number (datetimes and timespans as ticks).
fn num_json(v: &Value) -> Json {
    match v {
        Value::Int(i) => Json::from(*i),
        Value::Long(i) | Value::DateTime(i) | Value::Timespan(i) => Json::from(*i),
        other => other
            .as_f64()
            .and_then(|x| serde_json::Number::from_f64(x).map(Json::Number))
            .unwrap_or(Json::Null),
    }
}

fn from_json(j: &Json, ty: Ty) -> Option<Value> {
    Some(match ty {
        Ty::DateTime => Value::DateTime(j.as_i64()?),
        Ty::Timespan => Value::Timespan(j.as_i64()?),
        Ty::Int => Value::Int(i32::try_from(j.as_i64()?).ok()?),
        Ty::Long => Value::Long(j.as_i64()?),
        Ty::Decimal => Value::Decimal(j.as_f64()?),
        _ => Value::Real(j.as_f64()?),
    })
}

fn from_f64(x: f64, ty: Ty) -> Value {
    match ty {
        Ty::DateTime => Value::DateTime(x.round() as i64),
        Ty::Timespan => Value::Timespan(x.round() as i64),
        Ty::Decimal => Value::Decimal(x),
        // A merged centroid of integers is a real mean.
        _ => Value::Real(x),
    }
}

/// Converts a percentile to the type named by `typeof(T)` (given as its name).
pub fn as_type(v: Value, ty_name: Option<&str>) -> Value {
    match ty_name.and_then(Ty::parse) {
        Some(Ty::Long) => v.as_f64().map_or(Value::Null, |x| Value::Long(x as i64)),
        Some(Ty::Int) => v.as_f64().map_or(Value::Null, |x| Value::Int(x as i32)),
        Some(Ty::Real) => v.as_f64().map_or(Value::Null, Value::Real),
        Some(t) => coerce(v, t),
        None => v,
    }
}

/// The 64-bit hash an HLL keeps for a value (by its type and text, so `1` and `'1'`
/// differ, and an int equals the same long).
fn value_hash(v: &Value) -> u64 {
    use xxhash_rust::xxh64::xxh64;
    let v = v.clone().undyn_scalar();
    let tag = match v.ty() {
        Some(Ty::Int | Ty::Long) => "long",
        Some(t) => t.name(),
        None => "null",
    };
    let text = match &v {
        Value::Dyn(j) => super::format::json_compact(j),
        other => other.to_kusto_string(),
    };
    xxh64(format!("{tag}:{text}").as_bytes(), 0)
}

/// The HLL (rulecat's exact form) of values; nulls are skipped.
pub fn hll_of(vals: &[Value]) -> Value {
    hll_value(
        vals.iter()
            .filter(|v| !v.is_null())
            .map(value_hash)
            .collect(),
    )
}

pub fn hll_value(set: BTreeSet<u64>) -> Value {
    let mut m = serde_json::Map::new();
    m.insert(
        HLL_KEY.into(),
        Json::Array(set.into_iter().map(Json::from).collect()),
    );
    Value::dynamic(Json::Object(m))
}

/// Reads an HLL made by [`hll_value`]; `None` for anything else.
pub fn hll_set(v: &Value) -> Option<BTreeSet<u64>> {
    let a = v.as_json()?.as_object()?.get(HLL_KEY)?.as_array()?;
    a.iter().map(Json::as_u64).collect()
}

/// Merges HLLs (non-HLL values are skipped).
pub fn hll_merge(vals: &[Value]) -> Value {
    let mut all = BTreeSet::new();
    for v in vals {
        if let Some(s) = hll_set(v) {
            all.extend(s);
        }
    }
    hll_value(all)
}

/// `buildschema`: the minimal schema admitting every value. A scalar's schema is its
/// type name (`long` for whole numbers, `double` for others, `string`, `bool`,
/// `datetime`, ...), an array's is `{"`indexer`": schema of its items}`, a bag's is a
/// bag of its properties' schemas; several kinds at one place give an array of the
/// alternatives in first-seen order (buildschema-aggregation-function.md). Nulls add
/// nothing; `None` when no value was seen.
pub fn build_schema(vals: &[Value]) -> Option<Json> {
    let mut acc: Option<Json> = None;
    for v in vals {
        if let Some(s) = schema_of(&v.to_json()) {
            acc = Some(match acc {
                None => s,
                Some(a) => union_schema(a, s),
            });
        }
    }
    acc
}

const INDEXER: &str = "`indexer`";

fn schema_of(j: &Json) -> Option<Json> {
    Some(match j {
        Json::Null => return None,
        Json::Bool(_) => Json::from("bool"),
        Json::Number(n) if n.is_i64() || n.is_u64() => Json::from("long"),
        Json::Number(_) => Json::from("double"),
        Json::String(_) => Json::from("string"),
        Json::Array(items) => {
            let mut m = serde_json::Map::new();
            let mut inner: Option<Json> = None;
            for it in items {
                if let Some(s) = schema_of(it) {
                    inner = Some(match inner {
                        None => s,
                        Some(a) => union_schema(a, s),
                    });
                }
            }
            if let Some(i) = inner {
                m.insert(INDEXER.into(), i);
            }
            Json::Object(m)
        }
        Json::Object(o) => {
            let mut m = serde_json::Map::new();
            for (k, x) in o {
                if let Some(s) = schema_of(x) {
                    m.insert(k.clone(), s);
                }
            }
            Json::Object(m)
        }
    })
}

/// The alternatives of a schema (an array of them, or the one).
fn alternatives(s: Json) -> Vec<Json> {
    match s {
        Json::Array(a) => a,
        other => vec![other],
    }
}

fn union_schema(a: Json, b: Json) -> Json {
    let mut alts = alternatives(a);
    for s in alternatives(b) {
        match s {
            Json::Object(o) => match alts.iter_mut().find(|x| x.is_object()) {
                Some(Json::Object(existing)) => {
                    for (k, v) in o {
                        match existing.get_mut(&k) {
                            Some(old) => *old = union_schema(std::mem::take(old), v),
                            None => {
                                existing.insert(k, v);
                            }
                        }
                    }
                }
                _ => alts.push(Json::Object(o)),
            },
            other => {
                if !alts.contains(&other) {
                    alts.push(other);
                }
            }
        }
    }
    if alts.len() == 1 {
        alts.pop().unwrap_or(Json::Null)
    } else {
        Json::Array(alts)
    }
}

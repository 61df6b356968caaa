//! Values and types as Kusto has them.
//!
//! Every scalar type has a null ([`Value::Null`]; the column's [`Ty`] says which null it
//! is). Strings are never null in Kusto: a missing string is the empty string. `decimal`
//! is approximated by `f64` (Kusto's is a 128-bit decimal): sums of many decimals may
//! differ from Kusto's in the last digits. `dynamic` holds a JSON value
//! (`serde_json::Value`, keys in insertion order); a dynamic JSON `null` is the dynamic
//! null.

use std::cmp::Ordering;
use std::sync::Arc;

pub type Json = serde_json::Value;

/// A scalar type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ty {
    Bool,
    Int,
    Long,
    Real,
    Decimal,
    String,
    DateTime,
    Timespan,
    Guid,
    Dynamic,
}

impl Ty {
    /// Kusto's name of the type, as `getschema` and result-set metadata show it.
    pub fn name(self) -> &'static str {
        match self {
            Ty::Bool => "bool",
            Ty::Int => "int",
            Ty::Long => "long",
            Ty::Real => "real",
            Ty::Decimal => "decimal",
            Ty::String => "string",
            Ty::DateTime => "datetime",
            Ty::Timespan => "timespan",
            Ty::Guid => "guid",
            Ty::Dynamic => "dynamic",
        }
    }

    /// A type name as written in KQL (`string`, `int`, `double`, `date`, `time`, ...).
    pub fn parse(s: &str) -> Option<Ty> {
        Some(match s.to_ascii_lowercase().as_str() {
            "bool" | "boolean" => Ty::Bool,
            "int" | "int32" => Ty::Int,
            "long" | "int64" => Ty::Long,
            "real" | "double" | "float" => Ty::Real,
            "decimal" => Ty::Decimal,
            "string" => Ty::String,
            "datetime" | "date" => Ty::DateTime,
            "timespan" | "time" => Ty::Timespan,
            "guid" | "uuid" | "uniqueid" => Ty::Guid,
            "dynamic" => Ty::Dynamic,
            _ => return None,
        })
    }

    pub fn is_numeric(self) -> bool {
        matches!(self, Ty::Int | Ty::Long | Ty::Real | Ty::Decimal)
    }
}

/// One scalar value.
#[derive(Clone, Debug)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i32),
    Long(i64),
    Real(f64),
    /// Approximated by `f64` (see the module docs).
    Decimal(f64),
    Str(Arc<str>),
    /// 100 ns ticks since 1970-01-01T00:00:00Z.
    DateTime(i64),
    /// 100 ns ticks.
    Timespan(i64),
    Guid(u128),
    /// A non-null JSON value.
    Dyn(Arc<Json>),
}

impl Value {
    pub fn str(s: impl Into<Arc<str>>) -> Value {
        Value::Str(s.into())
    }

    /// A dynamic value; JSON `null` becomes [`Value::Null`].
    pub fn dynamic(j: Json) -> Value {
        if j.is_null() {
            Value::Null
        } else {
            Value::Dyn(Arc::new(j))
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The type of a non-null value (`None` for null).
    pub fn ty(&self) -> Option<Ty> {
        Some(match self {
            Value::Null => return None,
            Value::Bool(_) => Ty::Bool,
            Value::Int(_) => Ty::Int,
            Value::Long(_) => Ty::Long,
            Value::Real(_) => Ty::Real,
            Value::Decimal(_) => Ty::Decimal,
            Value::Str(_) => Ty::String,
            Value::DateTime(_) => Ty::DateTime,
            Value::Timespan(_) => Ty::Timespan,
            Value::Guid(_) => Ty::Guid,
            Value::Dyn(_) => Ty::Dynamic,
        })
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Dyn(j) => j.as_bool(),
            _ => None,
        }
    }

    /// An integer view of a numeric value (reals truncate toward zero).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(v) => Some(i64::from(*v)),
            Value::Long(v) => Some(*v),
            Value::Real(v) | Value::Decimal(v) if v.is_finite() => Some(v.trunc() as i64),
            Value::Bool(b) => Some(i64::from(*b)),
            Value::Dyn(j) => match &**j {
                Json::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(v) => Some(f64::from(*v)),
            Value::Long(v) => Some(*v as f64),
            Value::Real(v) | Value::Decimal(v) => Some(*v),
            Value::Dyn(j) => j.as_f64(),
            _ => None,
        }
    }

    /// The string inside a string value (or a dynamic string).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            Value::Dyn(j) => j.as_str(),
            _ => None,
        }
    }

    /// The JSON inside a dynamic value.
    pub fn as_json(&self) -> Option<&Json> {
        match self {
            Value::Dyn(j) => Some(j),
            _ => None,
        }
    }

    /// Unwraps a dynamic scalar into the matching plain value (a JSON string stays a
    /// string, numbers become long or real, bools bool); arrays and bags stay dynamic.
    pub fn undyn(&self) -> Value {
        match self {
            Value::Dyn(j) => match &**j {
                Json::Bool(b) => Value::Bool(*b),
                Json::Number(n) => match n.as_i64() {
                    Some(i) => Value::Long(i),
                    None => Value::Real(n.as_f64().unwrap_or(f64::NAN)),
                },
                Json::String(s) => Value::str(s.as_str()),
                Json::Null => Value::Null,
                _ => self.clone(),
            },
            _ => self.clone(),
        }
    }

    /// The value as JSON (for dynamic construction and JSON output).
    pub fn to_json(&self) -> Json {
        match self {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(v) => Json::from(*v),
            Value::Long(v) => Json::from(*v),
            Value::Real(v) | Value::Decimal(v) => real_json(*v),
            Value::Dyn(j) => (**j).clone(),
            Value::DateTime(t) => Json::String(super::format::datetime_iso(*t)),
            other => Json::String(super::format::display(other)),
        }
    }

    /// Kusto's `tostring`: the text shown in result tables, except that datetimes use
    /// ISO 8601 (`2020-01-01T00:00:00Z`) and dynamic values are compact JSON.
    pub fn to_kusto_string(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Str(s) => s.to_string(),
            Value::DateTime(t) => super::format::datetime_iso(*t),
            Value::Dyn(j) => match &**j {
                Json::String(s) => s.clone(),
                other => super::format::json_compact(other),
            },
            other => super::format::display(other),
        }
    }
}

/// A real as JSON: a number when finite, else the string Kusto prints (`NaN`, `Infinity`).
pub fn real_json(v: f64) -> Json {
    if v.is_finite() {
        if v.fract() == 0.0 && v.abs() < 9e15 {
            // Keep reals looking like reals in JSON output.
            serde_json::Number::from_f64(v)
                .map(Json::Number)
                .unwrap_or(Json::Null)
        } else {
            serde_json::Number::from_f64(v)
                .map(Json::Number)
                .unwrap_or(Json::Null)
        }
    } else {
        Json::String(super::format::real(v))
    }
}

/// Kusto's total order within one type, used by `sort`, `min`/`max`, `arg_max`.
/// Nulls compare equal to each other and below every value (callers place them per
/// `nulls first|last`). Values of different types compare numerically when both are
/// numbers, else by their strings.
pub fn compare(a: &Value, b: &Value) -> Ordering {
    use Value::*;
    match (a, b) {
        (Null, Null) => Ordering::Equal,
        (Null, _) => Ordering::Less,
        (_, Null) => Ordering::Greater,
        (Bool(x), Bool(y)) => x.cmp(y),
        (Int(_) | Long(_), Int(_) | Long(_)) => a.as_i64().cmp(&b.as_i64()),
        (Str(x), Str(y)) => x.as_bytes().cmp(y.as_bytes()),
        (DateTime(x), DateTime(y)) | (Timespan(x), Timespan(y)) => x.cmp(y),
        (Guid(x), Guid(y)) => x.cmp(y),
        (Dyn(x), Dyn(y)) => match (&**x, &**y) {
            (Json::Number(_), Json::Number(_)) => {
                f64_total(x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0))
            }
            (Json::String(p), Json::String(q)) => p.cmp(q),
            _ => super::format::json_compact(x).cmp(&super::format::json_compact(y)),
        },
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => f64_total(x, y),
            _ => a.to_kusto_string().cmp(&b.to_kusto_string()),
        },
    }
}

fn f64_total(x: f64, y: f64) -> Ordering {
    x.partial_cmp(&y)
        .unwrap_or_else(|| x.is_nan().cmp(&y.is_nan()))
}

/// Equality as `==` has it for two non-null values (numbers across int/long/real,
/// strings case-sensitively, dynamic by JSON value).
pub fn equals(a: &Value, b: &Value) -> bool {
    use Value::*;
    match (a, b) {
        (Null, _) | (_, Null) => false,
        (Str(x), Str(y)) => x == y,
        (Int(_) | Long(_), Int(_) | Long(_)) => a.as_i64() == b.as_i64(),
        (Dyn(x), Dyn(y)) => x == y,
        (Dyn(x), other) | (other, Dyn(x)) => {
            equals(&Value::Dyn(x.clone()).undyn(), other)
                && !matches!(&**x, Json::Array(_) | Json::Object(_))
        }
        _ => {
            if let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) {
                x == y
            } else {
                compare(a, b) == Ordering::Equal && a.ty() == b.ty()
            }
        }
    }
}

/// A key for grouping and distinct: equal keys for values `summarize by` puts in one
/// group (all nulls of a column form one group).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    Null,
    Bool(bool),
    Int(i64),
    Real(u64),
    Str(Arc<str>),
    Time(i64),
    Guid(u128),
    Dyn(String),
}

impl Value {
    pub fn key(&self) -> Key {
        match self {
            Value::Null => Key::Null,
            Value::Bool(b) => Key::Bool(*b),
            Value::Int(v) => Key::Int(i64::from(*v)),
            Value::Long(v) => Key::Int(*v),
            Value::Real(v) | Value::Decimal(v) => {
                let v = if *v == 0.0 { 0.0 } else { *v };
                Key::Real(v.to_bits())
            }
            Value::Str(s) => Key::Str(s.clone()),
            Value::DateTime(t) | Value::Timespan(t) => Key::Time(*t),
            Value::Guid(g) => Key::Guid(*g),
            Value::Dyn(j) => Key::Dyn(super::format::json_compact(j)),
        }
    }
}

/// Parses a guid (32 hex digits, hyphens optional).
pub fn parse_guid(s: &str) -> Option<u128> {
    let s = s.trim().trim_start_matches('{').trim_end_matches('}');
    let hex: String = s.chars().filter(|c| *c != '-').collect();
    // Kusto accepts 32 hex digits with hyphens anywhere (toguid docs:
    // `0123456789ab-cdef-0123-456789abcdef` is a guid).
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u128::from_str_radix(&hex, 16).ok()
}

/// Common supertype of two column types (for `union`, `iff`, `case`, `coalesce`).
pub fn unify(a: Option<Ty>, b: Option<Ty>) -> Option<Ty> {
    match (a, b) {
        (None, t) | (t, None) => t,
        (Some(x), Some(y)) if x == y => Some(x),
        (Some(x), Some(y)) if x.is_numeric() && y.is_numeric() => Some(x.max(y)),
        _ => Some(Ty::Dynamic),
    }
}

//! Conversions and null tests: `tostring`, `toint`, `tolong`, `toreal`, `tobool`,
//! `toguid`, `todatetime`, `totimespan`, `todynamic`/`parse_json`, `isnull`, `isempty`,
//! `gettype`, `not`.

use super::{arg, s};
use crate::engine::Result;
use crate::engine::value::{Json, Value, parse_guid};

pub fn call(name: &str, a: &[Value]) -> Option<Result<Value>> {
    let v = arg(a, 0);
    let r = match name {
        "tostring" => Value::str(a.first().map(Value::to_kusto_string).unwrap_or_default()),
        "toint" | "int" => to_long(&v).map_or(Value::Null, |i| {
            i32::try_from(i).map_or(Value::Null, Value::Int)
        }),
        "tolong" | "long" => to_long(&v).map_or(Value::Null, Value::Long),
        "toreal" | "todouble" | "real" | "double" => to_real(&v).map_or(Value::Null, Value::Real),
        "todecimal" | "decimal" => to_real(&v).map_or(Value::Null, Value::Decimal),
        "tobool" | "toboolean" | "bool" => match &v {
            Value::Bool(_) => v.clone(),
            Value::Str(t) => match t.trim().to_ascii_lowercase().as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => match t.trim().parse::<i64>() {
                    Ok(i) => Value::Bool(i != 0),
                    Err(_) => Value::Null,
                },
            },
            other => other.as_i64().map_or(Value::Null, |i| Value::Bool(i != 0)),
        },
        "toguid" => match &v {
            Value::Guid(_) => v.clone(),
            other => parse_guid(&other.to_kusto_string()).map_or(Value::Null, Value::Guid),
        },
        "todatetime" | "datetime" => match &v {
            Value::DateTime(_) => v.clone(),
            Value::Str(t) => crate::kql::time::parse(t)
                .or_else(|| crate::engine::eval::us_datetime(t))
                .map_or(Value::Null, Value::DateTime),
            _ => Value::Null,
        },
        "totimespan" | "timespan" | "time" => match &v {
            Value::Timespan(_) => v.clone(),
            Value::Str(t) => crate::kql::literal::decode_timespan_text(t.trim())
                .or_else(|| crate::kql::literal::decode_timespan_token(t.trim()).ok())
                .map_or(Value::Null, Value::Timespan),
            Value::Long(_) | Value::Int(_) => Value::Timespan(v.as_i64().unwrap_or(0)),
            _ => Value::Null,
        },
        "todynamic" | "parse_json" | "parsejson" | "toobject" | "parse_xml" => match a.first() {
            Some(Value::Str(t)) => match serde_json::from_str::<Json>(t) {
                Ok(j) => Value::dynamic(j),
                Err(_) => Value::dynamic(Json::String(t.to_string())),
            },
            Some(Value::Dyn(j)) => match &**j {
                Json::String(t) => match serde_json::from_str::<Json>(t) {
                    Ok(j) => Value::dynamic(j),
                    Err(_) => Value::Dyn(j.clone()),
                },
                _ => Value::Dyn(j.clone()),
            },
            Some(other) => Value::dynamic(other.to_json()),
            None => Value::Null,
        },
        "isnull" => Value::Bool(a.first().is_none_or(Value::is_null)),
        "isnotnull" => Value::Bool(a.first().is_some_and(|v| !v.is_null())),
        "isempty" => Value::Bool(is_empty(a.first())),
        "isnotempty" => Value::Bool(!is_empty(a.first())),
        "not" => match &v {
            Value::Null => Value::Null,
            other => match crate::engine::eval::truth(other) {
                Some(b) => Value::Bool(!b),
                None => Value::Null,
            },
        },
        "gettype" => Value::str(gettype(a.first().unwrap_or(&Value::Null))),
        "to_utf8" => Value::dynamic(Json::Array(s(a, 0).bytes().map(Json::from).collect())),
        _ => return None,
    };
    Some(Ok(r))
}

fn is_empty(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Str(s)) => s.is_empty(),
        Some(Value::Dyn(j)) => j.as_str().is_some_and(str::is_empty),
        _ => false,
    }
}

pub fn to_long(v: &Value) -> Option<i64> {
    match v {
        Value::Str(t) => {
            let t = t.trim();
            t.parse::<i64>().ok().or_else(|| {
                t.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(|f| f as i64)
            })
        }
        Value::DateTime(t) | Value::Timespan(t) => Some(*t),
        Value::Real(r) | Value::Decimal(r) if !r.is_finite() => None,
        other => other.as_i64(),
    }
}

pub fn to_real(v: &Value) -> Option<f64> {
    match v {
        Value::Str(t) => match t.trim() {
            "NaN" | "nan" => Some(f64::NAN),
            "Infinity" | "inf" => Some(f64::INFINITY),
            "-Infinity" | "-inf" => Some(f64::NEG_INFINITY),
            x => x.parse::<f64>().ok(),
        },
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        Value::DateTime(t) | Value::Timespan(t) => Some(*t as f64),
        other => other.as_f64(),
    }
}

pub fn gettype(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Dyn(j) => match &**j {
            Json::Array(_) => "array",
            Json::Object(_) => "dictionary",
            Json::Bool(_) => "bool",
            Json::Number(n) if n.is_i64() || n.is_u64() => "long",
            Json::Number(_) => "real",
            Json::String(_) => "string",
            Json::Null => "null",
        },
        other => other.ty().map_or("null", |t| match t.name() {
            "real" => "real",
            n => n,
        }),
    }
}

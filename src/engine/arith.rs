//! Arithmetic and comparison operators with Kusto's type rules: `int op int` is `int`,
//! with a `long` it is `long`, with a `real` it is `real`; `datetime - datetime` is a
//! `timespan`, `datetime ± timespan` a `datetime`, `timespan / timespan` a `real`.
//! Any null operand gives null; integer division by zero gives null.

use super::value::{self, Value};
use super::{Error, Result};
use crate::kql::ast::BinOp;

pub fn negate(v: &Value) -> Result<Value> {
    Ok(match v.undyn() {
        Value::Null => Value::Null,
        Value::Int(i) => Value::Int(i.wrapping_neg()),
        Value::Long(i) => Value::Long(i.wrapping_neg()),
        Value::Real(r) => Value::Real(-r),
        Value::Decimal(r) => Value::Decimal(-r),
        Value::Timespan(t) => Value::Timespan(t.wrapping_neg()),
        other => {
            return Err(Error::new(format!(
                "cannot negate a {}",
                other.ty().map_or("null", |t| t.name())
            )));
        }
    })
}

pub fn binary(op: BinOp, a: &Value, b: &Value) -> Result<Value> {
    let (a, b) = (a.undyn(), b.undyn());
    if op.is_comparison() {
        return Ok(compare(op, &a, &b));
    }
    if a.is_null() || b.is_null() {
        return Ok(Value::Null);
    }
    use Value::*;
    let r = match (&a, &b) {
        (DateTime(x), DateTime(y)) if op == BinOp::Sub => Timespan(x.wrapping_sub(*y)),
        (DateTime(x), Timespan(y)) | (Timespan(y), DateTime(x)) if op == BinOp::Add => {
            DateTime(x.wrapping_add(*y))
        }
        (DateTime(x), Timespan(y)) if op == BinOp::Sub => DateTime(x.wrapping_sub(*y)),
        (Timespan(x), Timespan(y)) => match op {
            BinOp::Add => Timespan(x.wrapping_add(*y)),
            BinOp::Sub => Timespan(x.wrapping_sub(*y)),
            BinOp::Div => Real(*x as f64 / *y as f64),
            BinOp::Mod if *y != 0 => Timespan(x % y),
            BinOp::Mod => Null,
            BinOp::Mul => return Err(bad(op, &a, &b)),
            _ => unreachable_cmp(),
        },
        (Timespan(x), n) | (n, Timespan(x)) if n.ty().is_some_and(|t| t.is_numeric()) => {
            let f = n.as_f64().unwrap_or(0.0);
            match op {
                BinOp::Mul => Timespan((*x as f64 * f).round() as i64),
                BinOp::Div if matches!(a, Timespan(_)) => {
                    if f == 0.0 {
                        Null
                    } else {
                        Timespan((*x as f64 / f).round() as i64)
                    }
                }
                _ => return Err(bad(op, &a, &b)),
            }
        }
        (Int(x), Int(y)) => match int_op(op, i64::from(*x), i64::from(*y)) {
            Some(v) => Int(v as i32),
            None => Null,
        },
        (Int(_) | Long(_) | Bool(_), Int(_) | Long(_) | Bool(_)) => {
            match int_op(op, a.as_i64().unwrap_or(0), b.as_i64().unwrap_or(0)) {
                Some(v) => Long(v),
                None => Null,
            }
        }
        (Int(_) | Long(_) | Real(_) | Decimal(_), Int(_) | Long(_) | Real(_) | Decimal(_)) => {
            let (x, y) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
            let r = real_op(op, x, y);
            if matches!(a, Decimal(_)) || matches!(b, Decimal(_)) {
                Decimal(r)
            } else {
                Real(r)
            }
        }
        _ => return Err(bad(op, &a, &b)),
    };
    Ok(r)
}

fn unreachable_cmp() -> Value {
    Value::Null
}

fn bad(op: BinOp, a: &Value, b: &Value) -> Error {
    let n = |v: &Value| v.ty().map_or("null", |t| t.name());
    Error::new(format!(
        "operator `{}` cannot be applied to {} and {}",
        op.as_str(),
        n(a),
        n(b)
    ))
}

fn int_op(op: BinOp, x: i64, y: i64) -> Option<i64> {
    Some(match op {
        BinOp::Add => x.wrapping_add(y),
        BinOp::Sub => x.wrapping_sub(y),
        BinOp::Mul => x.wrapping_mul(y),
        BinOp::Div => x.checked_div(y)?,
        BinOp::Mod => x.checked_rem(y)?,
        _ => return None,
    })
}

fn real_op(op: BinOp, x: f64, y: f64) -> f64 {
    match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div => x / y,
        BinOp::Mod => x % y,
        _ => f64::NAN,
    }
}

/// Comparison, with nulls as the null-values docs show them: a value `==` null is
/// false and `!=` null is true (so `where ival != 5` keeps the null row); null against
/// null, and `<`/`>` with a null, are null. A string compared with a datetime is read
/// as a datetime.
pub fn compare(op: BinOp, a: &Value, b: &Value) -> Value {
    if a.is_null() || b.is_null() {
        return match op {
            BinOp::Eq | BinOp::Ne if a.is_null() != b.is_null() => Value::Bool(op == BinOp::Ne),
            _ => Value::Null,
        };
    }
    let (a, b) = coerce_pair(a, b);
    let r = match op {
        BinOp::Eq => value::equals(&a, &b),
        BinOp::Ne => !value::equals(&a, &b),
        _ => {
            let o = value::compare(&a, &b);
            match op {
                BinOp::Lt => o.is_lt(),
                BinOp::Le => o.is_le(),
                BinOp::Gt => o.is_gt(),
                _ => o.is_ge(),
            }
        }
    };
    Value::Bool(r)
}

fn coerce_pair(a: &Value, b: &Value) -> (Value, Value) {
    match (a, b) {
        (Value::DateTime(_), Value::Str(s)) => (
            a.clone(),
            crate::kql::time::parse(s).map_or(b.clone(), Value::DateTime),
        ),
        (Value::Str(s), Value::DateTime(_)) => (
            crate::kql::time::parse(s).map_or(a.clone(), Value::DateTime),
            b.clone(),
        ),
        (Value::Guid(_), Value::Str(s)) => (
            a.clone(),
            value::parse_guid(s).map_or(b.clone(), Value::Guid),
        ),
        (Value::Str(s), Value::Guid(_)) => (
            value::parse_guid(s).map_or(a.clone(), Value::Guid),
            b.clone(),
        ),
        _ => (a.clone(), b.clone()),
    }
}

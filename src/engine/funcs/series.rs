//! `series_*` functions over dynamic numeric arrays: element-wise math and
//! comparisons, sums and products, and the `series_fill_*` gap fillers. Non-numeric
//! elements are null in the result.

use super::real;
use crate::engine::Result;
use crate::engine::value::{Json, Value};

fn nums(v: &Value) -> Option<Vec<Option<f64>>> {
    match v.as_json() {
        Some(Json::Array(a)) => Some(a.iter().map(Json::as_f64).collect()),
        _ => None,
    }
}

fn num_json(x: Option<f64>) -> Json {
    match x {
        Some(f) if f.is_finite() => {
            if f.fract() == 0.0 && f.abs() < 9e15 {
                Json::from(f as i64)
            } else {
                serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number)
            }
        }
        Some(f) => Json::String(crate::engine::format::real(f)),
        None => Json::Null,
    }
}

fn real_json(x: Option<f64>) -> Json {
    match x {
        Some(f) if f.is_finite() => {
            serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number)
        }
        Some(f) => Json::String(crate::engine::format::real(f)),
        None => Json::Null,
    }
}

fn arr(items: Vec<Json>) -> Value {
    Value::dynamic(Json::Array(items))
}

/// The second operand: an array, or a scalar applied to every element.
fn operand(v: Option<&Value>, n: usize) -> Option<Vec<Option<f64>>> {
    let v = v?;
    match nums(v) {
        Some(a) => Some(a),
        None => v.as_f64().map(|x| vec![Some(x); n]),
    }
}

pub fn call(name: &str, a: &[Value]) -> Option<Result<Value>> {
    let unary: Option<fn(f64) -> f64> = match name {
        "series_abs" => Some(f64::abs),
        "series_acos" => Some(f64::acos),
        "series_asin" => Some(f64::asin),
        "series_atan" => Some(f64::atan),
        "series_ceiling" => Some(f64::ceil),
        "series_floor" => Some(f64::floor),
        "series_cos" => Some(f64::cos),
        "series_sin" => Some(f64::sin),
        "series_tan" => Some(f64::tan),
        "series_exp" => Some(f64::exp),
        "series_log" => Some(f64::ln),
        "series_sqrt" => Some(f64::sqrt),
        "series_sign" => Some(|x: f64| {
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            }
        }),
        _ => None,
    };
    let first = a.first().and_then(nums);
    if let Some(f) = unary {
        let Some(xs) = first else {
            return Some(Ok(Value::Null));
        };
        // Functions that keep integers integral print like the docs (`[6.5,0,8.2]`).
        let keep_int = matches!(
            name,
            "series_abs" | "series_ceiling" | "series_floor" | "series_sign"
        );
        let out = xs
            .into_iter()
            .map(|x| {
                let y = x.map(f);
                if keep_int { num_json(y) } else { real_json(y) }
            })
            .collect();
        return Some(Ok(arr(out)));
    }
    let binary: Option<fn(f64, f64) -> Json> = match name {
        "series_add" => Some(|x, y| num_json(Some(x + y))),
        "series_subtract" => Some(|x, y| num_json(Some(x - y))),
        "series_multiply" => Some(|x, y| num_json(Some(x * y))),
        "series_divide" => Some(|x, y| real_json(Some(x / y))),
        "series_pow" => Some(|x, y| real_json(Some(x.powf(y)))),
        "series_equals" => Some(|x, y| Json::Bool(x == y)),
        "series_not_equals" => Some(|x, y| Json::Bool(x != y)),
        "series_greater" => Some(|x, y| Json::Bool(x > y)),
        "series_greater_equals" => Some(|x, y| Json::Bool(x >= y)),
        "series_less" => Some(|x, y| Json::Bool(x < y)),
        "series_less_equals" => Some(|x, y| Json::Bool(x <= y)),
        _ => None,
    };
    if let Some(f) = binary {
        let Some(xs) = first else {
            return Some(Ok(Value::Null));
        };
        let Some(ys) = operand(a.get(1), xs.len()) else {
            return Some(Ok(Value::Null));
        };
        let n = xs.len().max(ys.len());
        let out = (0..n)
            .map(
                |i| match (xs.get(i).copied().flatten(), ys.get(i).copied().flatten()) {
                    (Some(x), Some(y)) => f(x, y),
                    _ => Json::Null,
                },
            )
            .collect();
        return Some(Ok(arr(out)));
    }
    let r = match name {
        "series_sum" | "series_product" | "series_magnitude" => {
            let Some(xs) = first else {
                return Some(Ok(Value::Null));
            };
            let xs = xs.into_iter().flatten();
            Value::Real(match name {
                "series_sum" => xs.sum(),
                "series_product" => xs.product(),
                _ => xs.map(|x| x * x).sum::<f64>().sqrt(),
            })
        }
        "series_fill_forward" | "series_fill_backward" | "series_fill_const" => {
            let Some(Json::Array(items)) = a.first().and_then(Value::as_json) else {
                return Some(Ok(Value::Null));
            };
            let mut items = items.clone();
            match name {
                "series_fill_const" => {
                    let c = a.get(1).map_or(Json::from(0), Value::to_json);
                    for x in &mut items {
                        if x.is_null() {
                            *x = c.clone();
                        }
                    }
                }
                "series_fill_forward" => {
                    let mut last = Json::Null;
                    for x in &mut items {
                        if x.is_null() {
                            *x = last.clone();
                        } else {
                            last = x.clone();
                        }
                    }
                }
                _ => {
                    let mut next = Json::Null;
                    for x in items.iter_mut().rev() {
                        if x.is_null() {
                            *x = next.clone();
                        } else {
                            next = x.clone();
                        }
                    }
                }
            }
            arr(items)
        }
        "series_fill_linear" => {
            let Some(xs) = first else {
                return Some(Ok(Value::Null));
            };
            let fill_edges = a.get(2).and_then(Value::as_bool).unwrap_or(true);
            let constant = real(a, 3);
            let known: Vec<usize> = (0..xs.len()).filter(|&i| xs[i].is_some()).collect();
            let mut out: Vec<Option<f64>> = xs.clone();
            for i in 0..xs.len() {
                if xs[i].is_some() {
                    continue;
                }
                let before = known.iter().rev().find(|&&k| k < i).copied();
                let after = known.iter().find(|&&k| k > i).copied();
                out[i] = match (before, after) {
                    (Some(b), Some(e)) => {
                        let (yb, ye) = (xs[b].unwrap_or(0.0), xs[e].unwrap_or(0.0));
                        Some(yb + (ye - yb) * (i - b) as f64 / (e - b) as f64)
                    }
                    (Some(b), None) if fill_edges => xs[b],
                    (None, Some(e)) if fill_edges => xs[e],
                    _ => constant,
                };
            }
            if known.is_empty() {
                return Some(Ok(arr(xs
                    .into_iter()
                    .map(|_| num_json(constant))
                    .collect())));
            }
            arr(out.into_iter().map(num_json).collect())
        }
        _ => return None,
    };
    Some(Ok(r))
}

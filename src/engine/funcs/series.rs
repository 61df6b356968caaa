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
    match name {
        "series_iir" => return Some(Ok(iir(a))),
        "series_seasonal" => return Some(Ok(seasonal(a))),
        _ => {}
    }
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

/// `series_iir(x, numerators, denominators)`: the filter
/// `a0·y[n] = Σ b[k]·x[n-k] - Σ_{k≥1} a[k]·y[n-k]`; nulls count as 0.
fn iir(a: &[Value]) -> Value {
    let (Some(x), Some(b), Some(den)) = (
        a.first().and_then(nums),
        a.get(1).and_then(nums),
        a.get(2).and_then(nums),
    ) else {
        return Value::Null;
    };
    let b: Vec<f64> = b.into_iter().map(|v| v.unwrap_or(0.0)).collect();
    let den: Vec<f64> = den.into_iter().map(|v| v.unwrap_or(0.0)).collect();
    let a0 = match den.first() {
        Some(&a0) if a0 != 0.0 => a0,
        _ => return Value::Null,
    };
    let x: Vec<f64> = x.into_iter().map(|v| v.unwrap_or(0.0)).collect();
    let mut y: Vec<f64> = Vec::with_capacity(x.len());
    for n in 0..x.len() {
        let mut acc = 0.0;
        for (k, bk) in b.iter().enumerate().take(n + 1) {
            acc += bk * x[n - k];
        }
        for (k, ak) in den.iter().enumerate().skip(1).take(n) {
            acc -= ak * y[n - k];
        }
        y.push(acc / a0);
    }
    arr(y.into_iter().map(|v| real_json(Some(v))).collect())
}

/// `series_seasonal(s, period)`: each element replaced by the median of the elements
/// at the same phase of the period. Without a period (automatic detection) or with a
/// period below 2, no seasonality is found: zeros.
fn seasonal(a: &[Value]) -> Value {
    let Some(s) = a.first().and_then(nums) else {
        return Value::Null;
    };
    let period = a.get(1).and_then(Value::as_i64).unwrap_or(-1);
    if period < 2 || period as usize > s.len() {
        return arr(s.iter().map(|_| real_json(Some(0.0))).collect());
    }
    let p = period as usize;
    let medians: Vec<Option<f64>> = (0..p)
        .map(|ph| {
            let mut v: Vec<f64> = s.iter().skip(ph).step_by(p).flatten().copied().collect();
            v.sort_by(f64::total_cmp);
            match v.len() {
                0 => None,
                n if n % 2 == 1 => Some(v[n / 2]),
                n => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
            }
        })
        .collect();
    arr((0..s.len()).map(|i| real_json(medians[i % p])).collect())
}

//! Math and conditional functions: `abs`, `round`, `floor`/`bin`, `ceiling`, `log*`,
//! `exp*`, `pow`, `sqrt`, trigonometry, `rand` (seeded per query), `max_of`, `min_of`,
//! `coalesce`, bitwise `binary_*`, `tohex`.

use super::{arg, long, real};
use crate::engine::exec::Ctx;
use crate::engine::value::{self, Value};
use crate::engine::{Error, Result};

/// Ticks from 0001-01-01 to 1970-01-01: Kusto bins datetimes from .NET's epoch.
pub const NET_EPOCH_OFFSET: i64 = 621_355_968_000_000_000;

fn r(x: f64) -> Value {
    Value::Real(x)
}

pub fn call(name: &str, a: &[Value], cx: &Ctx) -> Option<Result<Value>> {
    let x = real(a, 0);
    let f1 = |f: fn(f64) -> f64| x.map_or(Value::Null, |x| r(f(x)));
    let v = match name {
        "abs" => match arg(a, 0) {
            Value::Int(i) => Value::Int(i.wrapping_abs()),
            Value::Long(i) => Value::Long(i.wrapping_abs()),
            Value::Timespan(t) => Value::Timespan(t.wrapping_abs()),
            Value::Decimal(d) => Value::Decimal(d.abs()),
            other => other.as_f64().map_or(Value::Null, |x| r(x.abs())),
        },
        "sign" => x.map_or(Value::Null, |x| {
            r(if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            })
        }),
        "round" => {
            let d = long(a, 1).unwrap_or(0).clamp(-15, 15) as i32;
            match arg(a, 0) {
                Value::Null => Value::Null,
                Value::Int(i) if d >= 0 => Value::Int(i),
                Value::Long(i) if d >= 0 => Value::Long(i),
                other => {
                    let x = other.as_f64().unwrap_or(f64::NAN);
                    let m = 10f64.powi(d);
                    let y = (x * m).round() / m;
                    match other {
                        Value::Long(_) | Value::Int(_) => Value::Long(y as i64),
                        Value::Decimal(_) => Value::Decimal(y),
                        _ => r(y),
                    }
                }
            }
        }
        "floor" | "bin" if a.len() == 2 => return Some(bin(&arg(a, 0), &arg(a, 1))),
        // bin_auto(v): bin(v, size) aligned at `at`, both set as query options
        // (`set query_bin_auto_size = 1h; set query_bin_auto_at = ...`; `at` defaults to
        // 0, i.e. `bin`).
        "bin_auto" if a.len() == 1 => {
            use crate::engine::exec::query_option;
            let Some(size) = query_option(cx, "query_bin_auto_size") else {
                return Some(Err(Error::new(
                    "`bin_auto()` needs the bin size: `set query_bin_auto_size = ...;` before the query",
                )));
            };
            let (v, size) = (arg(a, 0), size.clone().undyn_scalar());
            return Some(match query_option(cx, "query_bin_auto_at") {
                Some(at) => call("bin_at", &[v, size, at.clone().undyn_scalar()], cx)
                    .unwrap_or(Ok(Value::Null)),
                None => bin(&v, &size),
            });
        }
        "floor" => f1(f64::floor),
        "bin_at" if a.len() == 3 => {
            // bin_at(v, size, at): bins of `size` aligned so that one starts at `at`.
            let (v, size, at) = (arg(a, 0), arg(a, 1), arg(a, 2));
            match (&v, &size, &at) {
                (Value::DateTime(t), Value::Timespan(s), Value::DateTime(t0))
                | (Value::Timespan(t), Value::Timespan(s), Value::Timespan(t0))
                    if *s > 0 =>
                {
                    let (t, t0, s) = (i128::from(*t), i128::from(*t0), i128::from(*s));
                    match i64::try_from(t0 + (t - t0).div_euclid(s) * s) {
                        Ok(b) if matches!(v, Value::DateTime(_)) => Value::DateTime(b),
                        Ok(b) => Value::Timespan(b),
                        Err(_) => Value::Null,
                    }
                }
                _ => match (v.as_f64(), size.as_f64(), at.as_f64()) {
                    (Some(x), Some(s), Some(x0)) if s > 0.0 => {
                        let b = x0 + ((x - x0) / s).floor() * s;
                        match v {
                            Value::Long(_) | Value::Int(_) => Value::Long(b as i64),
                            _ => r(b),
                        }
                    }
                    _ => Value::Null,
                },
            }
        }
        "ceiling" => f1(f64::ceil),
        "sqrt" => f1(f64::sqrt),
        "exp" => f1(f64::exp),
        "exp2" => f1(f64::exp2),
        "exp10" => f1(|x| 10f64.powf(x)),
        "log" => f1(f64::ln),
        "log2" => f1(f64::log2),
        "log10" => f1(f64::log10),
        "pow" => match (x, real(a, 1)) {
            (Some(b), Some(e)) => match (arg(a, 0), arg(a, 1)) {
                (Value::Int(_) | Value::Long(_), Value::Int(_) | Value::Long(_)) => r(b.powf(e)),
                _ => r(b.powf(e)),
            },
            _ => Value::Null,
        },
        "sin" => f1(f64::sin),
        "cos" => f1(f64::cos),
        "tan" => f1(f64::tan),
        "asin" => f1(f64::asin),
        "acos" => f1(f64::acos),
        "atan" => f1(f64::atan),
        "cot" => f1(|x| 1.0 / x.tan()),
        "atan2" => match (x, real(a, 1)) {
            (Some(y), Some(x)) => r(y.atan2(x)),
            _ => Value::Null,
        },
        "degrees" => f1(f64::to_degrees),
        "radians" => f1(f64::to_radians),
        "pi" => r(std::f64::consts::PI),
        "gamma" => f1(gamma),
        "loggamma" => f1(|x| gamma(x).abs().ln()),
        "format_bytes" => match x {
            Some(size) => {
                let precision = long(a, 1).unwrap_or(0).clamp(0, 15) as usize;
                let units = ["Bytes", "KB", "MB", "GB", "TB", "PB", "EB"];
                let wanted = super::s(a, 2);
                let k = match units.iter().position(|u| u.eq_ignore_ascii_case(&wanted)) {
                    Some(k) => k,
                    None => {
                        let mut k = 0;
                        while k + 1 < units.len() && size.abs() >= 1024f64.powi(k as i32 + 1) {
                            k += 1;
                        }
                        k
                    }
                };
                let v = size / 1024f64.powi(k as i32);
                Value::str(format!("{v:.precision$} {}", units[k]))
            }
            None => Value::str(""),
        },
        "isnan" => Value::Bool(x.is_some_and(f64::is_nan)),
        "isinf" => Value::Bool(x.is_some_and(f64::is_infinite)),
        "isfinite" => Value::Bool(x.is_some_and(f64::is_finite)),
        "rand" => match long(a, 0) {
            Some(n) if n > 0 => Value::Long((cx.rand() * n as f64) as i64),
            _ => r(cx.rand()),
        },
        "max_of" | "min_of" => {
            let mut best: Option<Value> = None;
            for v in a.iter().map(|v| v.clone().undyn_scalar()) {
                if v.is_null() {
                    continue;
                }
                best = Some(match best {
                    None => v,
                    Some(b) => {
                        let o = value::compare(&v, &b);
                        if (name == "max_of" && o.is_gt()) || (name == "min_of" && o.is_lt()) {
                            v
                        } else {
                            b
                        }
                    }
                });
            }
            best.unwrap_or(Value::Null)
        }
        "coalesce" => a
            .iter()
            .find(|v| !v.is_null() && !matches!(v, Value::Str(s) if s.is_empty()))
            .cloned()
            .unwrap_or_else(|| a.last().cloned().unwrap_or(Value::Null)),
        "binary_and" | "binary_or" | "binary_xor" | "binary_shift_left" | "binary_shift_right" => {
            match (long(a, 0), long(a, 1)) {
                (Some(p), Some(q)) => Value::Long(match name {
                    "binary_and" => p & q,
                    "binary_or" => p | q,
                    "binary_xor" => p ^ q,
                    "binary_shift_left" => p.wrapping_shl(q as u32),
                    _ => p.wrapping_shr(q as u32),
                }),
                _ => Value::Null,
            }
        }
        "binary_not" => long(a, 0).map_or(Value::Null, |p| Value::Long(!p)),
        "bitset_count_ones" => {
            long(a, 0).map_or(Value::Null, |p| Value::Long(p.count_ones().into()))
        }
        "tohex" => match long(a, 0) {
            Some(p) => {
                let w = long(a, 1).unwrap_or(0).clamp(0, 64) as usize;
                let h = match arg(a, 0) {
                    Value::Int(i) => format!("{:x}", i as u32),
                    _ => format!("{p:x}"),
                };
                Value::str(format!("{h:0>w$}"))
            }
            None => Value::Null,
        },
        "gcd" | "lcm" => match (long(a, 0), long(a, 1)) {
            (Some(p), Some(q)) => {
                let g = gcd(p.unsigned_abs(), q.unsigned_abs()) as i64;
                Value::Long(if name == "gcd" {
                    g
                } else if g == 0 {
                    0
                } else {
                    (p / g * q).abs()
                })
            }
            _ => Value::Null,
        },
        _ => return None,
    };
    Some(Ok(v))
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// `bin(datetime, timespan)` in 64-bit arithmetic: `None` for a step that is not
/// positive or a result outside that range (then [`bin`]'s general path decides).
pub(crate) fn bin_time(t: i64, step: i64) -> Option<i64> {
    if step <= 0 {
        return None;
    }
    let n = t.checked_add(NET_EPOCH_OFFSET)?;
    n.div_euclid(step)
        .checked_mul(step)?
        .checked_sub(NET_EPOCH_OFFSET)
}

/// `bin(value, size)`: rounds down to a multiple of `size` (datetimes from 0001-01-01).
pub fn bin(v: &Value, size: &Value) -> Result<Value> {
    // The usual time key first, in 64-bit arithmetic and without copying either value;
    // the general path below for anything else or a result out of that range.
    if let (Value::DateTime(t), Value::Timespan(s)) = (v, size)
        && let Some(b) = bin_time(*t, *s)
    {
        return Ok(Value::DateTime(b));
    }
    let (v, size) = (v.clone().undyn_scalar(), size.clone().undyn_scalar());
    Ok(match (&v, &size) {
        (Value::Null, _) | (_, Value::Null) => Value::Null,
        (Value::DateTime(t), Value::Timespan(s)) => {
            if *s <= 0 {
                return Ok(Value::Null);
            }
            let n = i128::from(*t) + i128::from(NET_EPOCH_OFFSET);
            let s = i128::from(*s);
            i64::try_from(n.div_euclid(s) * s - i128::from(NET_EPOCH_OFFSET))
                .map_or(Value::Null, Value::DateTime)
        }
        (Value::Timespan(t), Value::Timespan(s)) => {
            if *s <= 0 {
                return Ok(Value::Null);
            }
            i64::try_from(i128::from(*t).div_euclid(i128::from(*s)) * i128::from(*s))
                .map_or(Value::Null, Value::Timespan)
        }
        (Value::Int(_) | Value::Long(_), Value::Int(_) | Value::Long(_)) => {
            let (x, s) = (v.as_i64().unwrap_or(0), size.as_i64().unwrap_or(0));
            if s <= 0 {
                return Ok(Value::Null);
            }
            let b = i128::from(x).div_euclid(i128::from(s)) * i128::from(s);
            match (v, i64::try_from(b)) {
                (_, Err(_)) => Value::Null,
                (Value::Int(_), Ok(b)) => i32::try_from(b).map_or(Value::Null, Value::Int),
                (_, Ok(b)) => Value::Long(b),
            }
        }
        _ => match (v.as_f64(), size.as_f64()) {
            (Some(x), Some(s)) if s > 0.0 => {
                let b = (x / s).floor() * s;
                match v {
                    Value::Long(_) | Value::Int(_) => Value::Long(b as i64),
                    Value::Decimal(_) => Value::Decimal(b),
                    _ => Value::Real(b),
                }
            }
            (Some(_), Some(_)) => Value::Null,
            _ => return Err(Error::new("bin() needs a number, datetime or timespan")),
        },
    })
}

/// The gamma function (Lanczos approximation, g = 7).
pub fn gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        return std::f64::consts::PI / ((std::f64::consts::PI * x).sin() * gamma(1.0 - x));
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    (2.0 * std::f64::consts::PI).sqrt() * t.powf(x + 0.5) * (-t).exp() * a
}

//! Time-series analysis over dynamic numeric arrays: `series_stats`,
//! `series_stats_dynamic`, `series_outliers`, `series_fit_line`, `series_decompose` and
//! `series_decompose_anomalies`.
//!
//! Functions with several results (`series_stats`, `series_fit_line`,
//! `series_decompose`, `series_decompose_anomalies`) return them as one dynamic array,
//! which `extend (a, b, ...) = f(x)` splits into columns; unnamed, the columns are
//! `f_x_min`, ... ([`outputs`]), and one name takes the first result, as Kusto does.
//!
//! Where the documentation leaves the arithmetic open, rulecat's reading (tested by
//! hand-computed examples, not against Kusto's output):
//! - Percentiles interpolate linearly between the sorted values (position `p/100·(n-1)`).
//! - `series_outliers` scores a point above the range `[P_lo, P_hi]` (10th/90th
//!   percentiles for `ctukey`, or the given ones; quartiles for `tukey`) by
//!   `(x - P_hi) / (P_hi - P_lo)`, below it by `(x - P_lo) / (P_hi - P_lo)`, inside it 0;
//!   nulls, the ignored value, and every point of a series with an empty range score 0.
//! - `series_decompose*` with seasonality `-1` (detect): rulecat does not detect periods
//!   (no `series_periods_detect`), so it finds no seasonality, as `0` would; a positive
//!   period takes, per phase, the median of the points of that phase (as
//!   `series_seasonal`). Trend `avg` is the mean of the deseasonalised series, `linefit`
//!   its least-squares line, `none` zero; `Test_points` at the end are left out of the
//!   fit (the trend line is extended over them). `ad_flag` is 1 where the residual's
//!   outlier score exceeds the threshold, -1 where it is below its negative, else 0.

use crate::engine::Result;
use crate::engine::value::{Json, Value};

/// The results of a multi-result series function, in order: the suffixes of the
/// columns an unnamed call produces (`series_stats_x_min`, ...).
pub fn outputs(name: &str) -> Option<&'static [&'static str]> {
    Some(match name {
        "series_stats" => &[
            "min", "min_idx", "max", "max_idx", "avg", "stdev", "variance",
        ],
        "series_fit_line" => &[
            "rsquare",
            "slope",
            "variance",
            "rvariance",
            "interception",
            "line_fit",
        ],
        "series_decompose" => &["baseline", "seasonal", "trend", "residual"],
        "series_decompose_anomalies" => &["ad_flag", "ad_score", "baseline"],
        _ => return None,
    })
}

fn nums(v: &Value) -> Option<Vec<Option<f64>>> {
    match v.as_json() {
        Some(Json::Array(a)) => Some(a.iter().map(Json::as_f64).collect()),
        _ => None,
    }
}

fn real(x: f64) -> Json {
    if x.is_finite() {
        serde_json::Number::from_f64(x).map_or(Json::Null, Json::Number)
    } else {
        Json::Null
    }
}

fn reals(xs: &[f64]) -> Json {
    Json::Array(xs.iter().map(|&x| real(x)).collect())
}

fn arg_f64(a: &[Value], i: usize) -> Option<f64> {
    a.get(i).filter(|v| !v.is_null()).and_then(Value::as_f64)
}

fn arg_str(a: &[Value], i: usize) -> Option<String> {
    a.get(i)
        .filter(|v| !v.is_null())
        .map(Value::to_kusto_string)
}

pub fn call(name: &str, a: &[Value]) -> Option<Result<Value>> {
    let f = match name {
        "series_stats" | "series_stats_dynamic" => stats,
        "series_outliers" => outliers,
        "series_fit_line" => fit_line,
        "series_decompose" => decompose,
        "series_decompose_anomalies" => decompose_anomalies,
        _ => return None,
    };
    Some(Ok(match a.first().and_then(nums) {
        Some(s) => f(name, &s, a),
        None => Value::Null,
    }))
}

/// Linear-interpolation percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = (p / 100.0).clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

fn stats(name: &str, s: &[Option<f64>], a: &[Value]) -> Value {
    let ignore_nonfinite = a.get(1).is_some_and(|v| matches!(v, Value::Bool(true)));
    let mut vals: Vec<(usize, f64)> = Vec::with_capacity(s.len());
    let mut nonfinite = false;
    for (i, x) in s.iter().enumerate() {
        match x {
            Some(x) if x.is_finite() => vals.push((i, *x)),
            _ => nonfinite = true,
        }
    }
    let n = vals.len() as f64;
    let ok = !vals.is_empty() && (ignore_nonfinite || !nonfinite);
    let (mut min, mut min_i, mut max, mut max_i) = (f64::INFINITY, 0, f64::NEG_INFINITY, 0);
    for &(i, x) in &vals {
        if x < min {
            (min, min_i) = (x, i);
        }
        if x > max {
            (max, max_i) = (x, i);
        }
    }
    let sum: f64 = vals.iter().map(|v| v.1).sum();
    let avg = sum / n;
    let variance = if vals.len() > 1 {
        vals.iter().map(|v| (v.1 - avg).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    let stdev = variance.sqrt();
    let num = |x: f64| if ok { real(x) } else { Json::Null };
    let idx = |i: usize| if ok { Json::from(i as i64) } else { Json::Null };
    if name == "series_stats_dynamic" {
        let mut m = serde_json::Map::new();
        m.insert("min".into(), num(min));
        m.insert("min_idx".into(), idx(min_i));
        m.insert("max".into(), num(max));
        m.insert("max_idx".into(), idx(max_i));
        m.insert("avg".into(), num(avg));
        m.insert("stdev".into(), num(stdev));
        m.insert("variance".into(), num(variance));
        m.insert("sum".into(), num(sum));
        m.insert("len".into(), Json::from(s.len() as i64));
        return Value::dynamic(Json::Object(m));
    }
    Value::dynamic(Json::Array(vec![
        num(min),
        idx(min_i),
        num(max),
        idx(max_i),
        num(avg),
        num(stdev),
        num(variance),
    ]))
}

/// Outlier scores of `s` (see the module documentation).
fn scores(s: &[Option<f64>], kind: &str, ignore: Option<f64>, lo_p: f64, hi_p: f64) -> Vec<f64> {
    let used = |x: &Option<f64>| x.filter(|x| x.is_finite() && Some(*x) != ignore);
    let mut sorted: Vec<f64> = s.iter().filter_map(used).collect();
    sorted.sort_by(f64::total_cmp);
    let (lo_p, hi_p) = if kind == "tukey" {
        (25.0, 75.0)
    } else {
        (lo_p, hi_p)
    };
    let (lo, hi) = (percentile(&sorted, lo_p), percentile(&sorted, hi_p));
    let range = hi - lo;
    s.iter()
        .map(|x| match used(x) {
            Some(x) if range > 0.0 && x > hi => (x - hi) / range,
            Some(x) if range > 0.0 && x < lo => (x - lo) / range,
            _ => 0.0,
        })
        .collect()
}

fn outliers(_: &str, s: &[Option<f64>], a: &[Value]) -> Value {
    let kind = arg_str(a, 1).unwrap_or_else(|| "ctukey".into());
    let ignore = arg_f64(a, 2);
    let lo = arg_f64(a, 3).unwrap_or(10.0);
    let hi = arg_f64(a, 4).unwrap_or(90.0);
    Value::dynamic(reals(&scores(s, &kind, ignore, lo, hi)))
}

/// Least-squares line through the points `(i, y_i)` of `xs` (nulls left out):
/// `(slope, intercept)`.
fn line(ys: &[Option<f64>]) -> Option<(f64, f64)> {
    let pts: Vec<(f64, f64)> = ys
        .iter()
        .enumerate()
        .filter_map(|(i, y)| y.filter(|y| y.is_finite()).map(|y| (i as f64, y)))
        .collect();
    if pts.is_empty() {
        return None;
    }
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    Some((slope, my - slope * mx))
}

fn fit_line(_: &str, s: &[Option<f64>], _: &[Value]) -> Value {
    let Some((slope, icpt)) = line(s) else {
        return Value::dynamic(Json::Array(vec![Json::Null; 6]));
    };
    let fit: Vec<f64> = (0..s.len()).map(|i| icpt + slope * i as f64).collect();
    let ys: Vec<(f64, f64)> = s
        .iter()
        .zip(&fit)
        .filter_map(|(y, f)| y.map(|y| (y, *f)))
        .collect();
    let n = ys.len() as f64;
    let my = ys.iter().map(|p| p.0).sum::<f64>() / n;
    let variance = ys.iter().map(|p| (p.0 - my).powi(2)).sum::<f64>() / n;
    let rvariance = ys.iter().map(|p| (p.0 - p.1).powi(2)).sum::<f64>() / n;
    let rsquare = if variance > 0.0 {
        1.0 - rvariance / variance
    } else {
        1.0
    };
    Value::dynamic(Json::Array(vec![
        real(rsquare),
        real(slope),
        real(variance),
        real(rvariance),
        real(icpt),
        reals(&fit),
    ]))
}

/// `(baseline, seasonal, trend, residual)` of `s`; arguments from `first` on are
/// `Seasonality, Trend, Test_points`.
fn components(s: &[Option<f64>], a: &[Value], first: usize) -> [Vec<f64>; 4] {
    let n = s.len();
    let period = a.get(first).and_then(Value::as_i64).unwrap_or(-1);
    let trend_kind = arg_str(a, first + 1).unwrap_or_else(|| "avg".into());
    let test_points = a
        .get(first + 2)
        .and_then(Value::as_i64)
        .unwrap_or(0)
        .clamp(0, n as i64) as usize;
    let train = n - test_points;
    let mut seasonal = vec![0.0; n];
    if period >= 2 && (period as usize) <= train {
        let p = period as usize;
        for ph in 0..p {
            let mut v: Vec<f64> = s[..train]
                .iter()
                .skip(ph)
                .step_by(p)
                .flatten()
                .copied()
                .collect();
            v.sort_by(f64::total_cmp);
            let m = match v.len() {
                0 => 0.0,
                k if k % 2 == 1 => v[k / 2],
                k => (v[k / 2 - 1] + v[k / 2]) / 2.0,
            };
            for i in (ph..n).step_by(p) {
                seasonal[i] = m;
            }
        }
    }
    let deseason: Vec<Option<f64>> = s
        .iter()
        .zip(&seasonal)
        .take(train)
        .map(|(x, se)| x.map(|x| x - se))
        .collect();
    let trend: Vec<f64> = match trend_kind.as_str() {
        "linefit" => match line(&deseason) {
            Some((slope, icpt)) => (0..n).map(|i| icpt + slope * i as f64).collect(),
            None => vec![0.0; n],
        },
        "none" => vec![0.0; n],
        _ => {
            let v: Vec<f64> = deseason.iter().flatten().copied().collect();
            let avg = if v.is_empty() {
                0.0
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            };
            vec![avg; n]
        }
    };
    let baseline: Vec<f64> = seasonal.iter().zip(&trend).map(|(a, b)| a + b).collect();
    let residual: Vec<f64> = s
        .iter()
        .zip(&baseline)
        .map(|(x, b)| x.map_or(0.0, |x| x - b))
        .collect();
    [baseline, seasonal, trend, residual]
}

fn decompose(_: &str, s: &[Option<f64>], a: &[Value]) -> Value {
    let parts = components(s, a, 1);
    Value::dynamic(Json::Array(parts.iter().map(|p| reals(p)).collect()))
}

/// `series_decompose_anomalies(Series, Threshold, Seasonality, Trend, Test_points,
/// AD_method)`.
fn decompose_anomalies(_: &str, s: &[Option<f64>], a: &[Value]) -> Value {
    let threshold = arg_f64(a, 1).unwrap_or(1.5);
    let [baseline, _, _, residual] = components(s, a, 2);
    let method = arg_str(a, 5).unwrap_or_else(|| "ctukey".into());
    let res: Vec<Option<f64>> = residual.iter().map(|&r| Some(r)).collect();
    let score = scores(&res, &method, None, 10.0, 90.0);
    let flag: Vec<Json> = score
        .iter()
        .map(|&sc| {
            Json::from(if sc > threshold {
                1
            } else if sc < -threshold {
                -1
            } else {
                0
            })
        })
        .collect();
    Value::dynamic(Json::Array(vec![
        Json::Array(flag),
        reals(&score),
        reals(&baseline),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(name: &str, args: &[Value]) -> Json {
        call(name, args).unwrap().unwrap().to_json()
    }

    fn arr(xs: &[f64]) -> Value {
        Value::dynamic(reals(xs))
    }

    #[test]
    fn stats_match_the_documented_example() {
        // The example of series-stats-function.md: min 2 at 8, max 87 at 3, avg 32.8,
        // stdev 28.5036338535483, variance 812.457142857143.
        let x = arr(&[
            23.0, 46.0, 23.0, 87.0, 4.0, 8.0, 3.0, 75.0, 2.0, 56.0, 13.0, 75.0, 32.0, 16.0, 29.0,
        ]);
        let j = run("series_stats", std::slice::from_ref(&x));
        assert_eq!(j[0], 2.0);
        assert_eq!(j[1], 8);
        assert_eq!(j[2], 87.0);
        assert_eq!(j[3], 3);
        assert!((j[4].as_f64().unwrap() - 32.8).abs() < 1e-12);
        assert!((j[5].as_f64().unwrap() - 28.5036338535483).abs() < 1e-9);
        assert!((j[6].as_f64().unwrap() - 812.457142857143).abs() < 1e-9);
        let d = run("series_stats_dynamic", &[x]);
        assert_eq!(d["sum"], 492.0);
        assert_eq!(d["len"], 15);
        // A null makes every statistic null unless non-finite values are ignored.
        let with_null = Value::dynamic(serde_json::json!([1, null, 3]));
        assert_eq!(
            run("series_stats", std::slice::from_ref(&with_null))[4],
            Json::Null
        );
        assert_eq!(run("series_stats", &[with_null, Value::Bool(true)])[4], 2.0);
    }

    #[test]
    fn outlier_scores_by_hand() {
        // 0..=10: P10 = 1, P90 = 9, range 8; 30 is (30 - 9) / 8 = 2.625 above.
        let mut xs: Vec<f64> = (0..=9).map(f64::from).collect();
        xs.push(30.0);
        // Sorted 0..9, 30 (11 values): P10 at 1.0 -> 1, P90 at 9.0 -> 9.
        let j = run("series_outliers", &[arr(&xs)]);
        assert_eq!(j[10], 2.625);
        assert_eq!(j[5], 0.0);
        assert_eq!(j[0], -0.125);
        // tukey: quartiles 2.5 and 7.5, range 5: 30 scores (30 - 7.5) / 5 = 4.5.
        let j = run("series_outliers", &[arr(&xs), Value::str("tukey")]);
        assert_eq!(j[10], 4.5);
    }

    #[test]
    fn fit_line_and_decompose_anomalies_by_hand() {
        // y = 2x + 1 exactly.
        let j = run("series_fit_line", &[arr(&[1.0, 3.0, 5.0, 7.0])]);
        assert_eq!(j[0], 1.0);
        assert_eq!(j[1], 2.0);
        assert_eq!(j[4], 1.0);
        assert_eq!(j[5], serde_json::json!([1.0, 3.0, 5.0, 7.0]));
        // A flat series of 10 with one spike: trend `avg` is 12, residuals are -2 except
        // 18 at the spike; P10 = -2, P90 = -2 + 0.1 * 20 = 0, so the spike scores
        // (18 - 0) / 2 = 9 and is flagged, the rest score 0.
        let mut xs = vec![10.0; 10];
        xs[4] = 30.0;
        let j = run("series_decompose_anomalies", &[arr(&xs)]);
        assert_eq!(j[2][0], 12.0);
        assert!((j[1][4].as_f64().unwrap() - 9.0).abs() < 1e-9);
        assert_eq!(j[0][4], 1);
        assert_eq!(j[0][3], 0);
        // With a linear trend and noise the spike is flagged: residuals of
        // 1,2,1,2,... around the line, the spike far above.
        let mut ys: Vec<f64> = (0..20)
            .map(|i| 10.0 + i as f64 + if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        ys[12] += 40.0;
        let j = run(
            "series_decompose_anomalies",
            &[
                arr(&ys),
                Value::Real(1.5),
                Value::Long(-1),
                Value::str("linefit"),
            ],
        );
        let flags: Vec<i64> = j[0]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        assert_eq!(flags.iter().filter(|f| **f != 0).count(), 1, "{flags:?}");
        assert_eq!(flags[12], 1);
    }
}

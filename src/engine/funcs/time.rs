//! Datetime and timespan functions. Weeks start on Sunday, as in Kusto.

use super::{arg, long, s};
use crate::engine::exec::Ctx;
use crate::engine::value::Value;
use crate::engine::{Error, Result};
use crate::kql::literal::{
    TICKS_PER_DAY, TICKS_PER_HOUR, TICKS_PER_MICROSECOND, TICKS_PER_MILLISECOND, TICKS_PER_MINUTE,
    TICKS_PER_SECOND,
};
use crate::kql::time::{civil_from_days, days_from_civil};

fn ymd(t: i64) -> (i64, u32, u32) {
    civil_from_days(t.div_euclid(TICKS_PER_DAY))
}

fn day_start(t: i64) -> i64 {
    t.div_euclid(TICKS_PER_DAY) * TICKS_PER_DAY
}

/// Ticks of a civil date (saturating: years far outside 1..9999 give the i64 bounds,
/// which [`dt_value`] turns into null).
fn from_ymd(y: i64, m: i64, d: i64) -> i64 {
    let y = y.clamp(-3_000_000, 3_000_000);
    days_from_civil(y, m, d).saturating_mul(TICKS_PER_DAY)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    days_from_civil(ny, nm, 1) - days_from_civil(y, m, 1)
}

/// [`add_months`] for any month count: months that leave the datetime range give a
/// value outside it (the caller turns it into null).
fn add_months128(t: i64, months: i64) -> i128 {
    if months.abs() > 200_000 {
        return if months > 0 { i128::MAX } else { i128::MIN };
    }
    i128::from(add_months(t, months))
}

/// Adds months, clamping the day to the month's length.
fn add_months(t: i64, months: i64) -> i64 {
    let (y, m, d) = ymd(t);
    let total = y * 12 + (i64::from(m) - 1) + months;
    let (ny, nm) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    let nd = i64::from(d).min(days_in_month(ny, nm));
    from_ymd(ny, nm, nd).saturating_add(t.rem_euclid(TICKS_PER_DAY))
}

/// Day of week, Sunday = 0.
fn weekday(t: i64) -> i64 {
    (t.div_euclid(TICKS_PER_DAY) + 4).rem_euclid(7)
}

fn unit_ticks(part: &str) -> Option<i64> {
    Some(match part.to_ascii_lowercase().as_str() {
        "week" | "weeks" => 7 * TICKS_PER_DAY,
        "day" | "days" => TICKS_PER_DAY,
        "hour" | "hours" => TICKS_PER_HOUR,
        "minute" | "minutes" => TICKS_PER_MINUTE,
        "second" | "seconds" => TICKS_PER_SECOND,
        "millisecond" | "milliseconds" => TICKS_PER_MILLISECOND,
        "microsecond" | "microseconds" => TICKS_PER_MICROSECOND,
        "nanosecond" | "nanoseconds" => 1,
        _ => return None,
    })
}

fn dt(v: &Value) -> Option<i64> {
    match v {
        Value::DateTime(t) => Some(*t),
        Value::Str(t) => crate::kql::time::parse(t),
        _ => None,
    }
    .filter(|t| (MIN_T..=MAX_T).contains(t))
}

/// Kusto's datetime range: 0001-01-01 to 9999-12-31 23:59:59.9999999.
const MIN_T: i64 = -62_135_596_800 * TICKS_PER_SECOND;
const MAX_T: i64 = 253_402_300_800 * TICKS_PER_SECOND - 1;

/// A datetime computed in wide arithmetic: null outside Kusto's range.
fn dt_value(t: i128) -> Value {
    if (i128::from(MIN_T)..=i128::from(MAX_T)).contains(&t) {
        Value::DateTime(t as i64)
    } else {
        Value::Null
    }
}

/// Offsets in months, days or years: beyond ±1,000,000 they leave the datetime range.
fn clamp_offset(n: i64) -> i64 {
    n.clamp(-1_000_000, 1_000_000)
}

pub fn call(name: &str, a: &[Value], cx: &Ctx) -> Option<Result<Value>> {
    let t0 = dt(&arg(a, 0));
    let off = clamp_offset(long(a, 1).unwrap_or(0));
    let d = |f: &dyn Fn(i64) -> i128| t0.map_or(Value::Null, |t| dt_value(f(t)));
    let (o, day) = (i128::from(off), i128::from(TICKS_PER_DAY));
    let ds = |t: i64| i128::from(day_start(t) - weekday(t) * TICKS_PER_DAY);
    let v = match name {
        "now" => dt_value(i128::from(cx.db.now) + i128::from(ts(a, 0).unwrap_or(0))),
        "ago" => match ts(a, 0) {
            Some(x) => dt_value(i128::from(cx.db.now) - i128::from(x)),
            None => Value::Null,
        },
        "startofday" => d(&|t| i128::from(day_start(t)) + o * day),
        "endofday" => d(&|t| i128::from(day_start(t)) + (o + 1) * day - 1),
        "startofweek" => d(&|t| ds(t) + o * 7 * day),
        "endofweek" => d(&|t| ds(t) + (o + 1) * 7 * day - 1),
        "startofmonth" => d(&|t| {
            let (y, m, _) = ymd(t);
            add_months128(from_ymd(y, i64::from(m), 1), off)
        }),
        "endofmonth" => d(&|t| {
            let (y, m, _) = ymd(t);
            add_months128(from_ymd(y, i64::from(m), 1), off + 1) - 1
        }),
        "startofyear" => d(&|t| i128::from(from_ymd(ymd(t).0 + off, 1, 1))),
        "endofyear" => d(&|t| i128::from(from_ymd(ymd(t).0 + off + 1, 1, 1)) - 1),
        "dayofweek" => t0.map_or(Value::Null, |t| Value::Timespan(weekday(t) * TICKS_PER_DAY)),
        "dayofmonth" => t0.map_or(Value::Null, |t| Value::Int(ymd(t).2 as i32)),
        "dayofyear" => t0.map_or(Value::Null, |t| {
            let (y, _, _) = ymd(t);
            Value::Int(((t - from_ymd(y, 1, 1)).div_euclid(TICKS_PER_DAY) + 1) as i32)
        }),
        "hourofday" => t0.map_or(Value::Null, |t| {
            Value::Int((t.rem_euclid(TICKS_PER_DAY) / TICKS_PER_HOUR) as i32)
        }),
        "getyear" => t0.map_or(Value::Null, |t| Value::Int(ymd(t).0 as i32)),
        "getmonth" | "monthofyear" => t0.map_or(Value::Null, |t| Value::Int(ymd(t).1 as i32)),
        "week_of_year" => t0.map_or(Value::Null, |t| Value::Int(iso_week(t) as i32)),
        "datetime_add" => {
            let part = s(a, 0).to_ascii_lowercase();
            let n = long(a, 1);
            match (dt(&arg(a, 2)), n) {
                (Some(t), Some(n)) => dt_value(match part.as_str() {
                    "year" => add_months128(t, clamp_offset(n).saturating_mul(12)),
                    "quarter" => add_months128(t, clamp_offset(n).saturating_mul(3)),
                    "month" => add_months128(t, clamp_offset(n)),
                    p => match unit_ticks(p) {
                        Some(u) => i128::from(t) + i128::from(n) * i128::from(u),
                        None => return Some(Err(Error::new(format!("unknown period `{p}`")))),
                    },
                }),
                _ => Value::Null,
            }
        }
        "datetime_diff" => {
            let part = s(a, 0).to_ascii_lowercase();
            match (dt(&arg(a, 1)), dt(&arg(a, 2))) {
                (Some(x), Some(y)) => {
                    let ((y1, m1, _), (y2, m2, _)) = (ymd(x), ymd(y));
                    let months = (y1 * 12 + i64::from(m1)) - (y2 * 12 + i64::from(m2));
                    Value::Long(match part.as_str() {
                        "year" => y1 - y2,
                        "quarter" => {
                            (y1 * 4 + (i64::from(m1) - 1) / 3) - (y2 * 4 + (i64::from(m2) - 1) / 3)
                        }
                        "month" => months,
                        "week" => {
                            let w = |t: i64| {
                                (day_start(t) - weekday(t) * TICKS_PER_DAY) / TICKS_PER_DAY
                            };
                            (w(x) - w(y)) / 7
                        }
                        "nanosecond" | "nanoseconds" => (x - y).saturating_mul(100),
                        p => match unit_ticks(p) {
                            Some(u) => x.div_euclid(u) - y.div_euclid(u),
                            None => return Some(Err(Error::new(format!("unknown period `{p}`")))),
                        },
                    })
                }
                _ => Value::Null,
            }
        }
        // `datepart` is the deprecated name of `datetime_part`.
        "datetime_part" | "datepart" => {
            let part = s(a, 0).to_ascii_lowercase();
            match dt(&arg(a, 1)) {
                Some(t) => {
                    let (y, m, dd) = ymd(t);
                    let r = t.rem_euclid(TICKS_PER_DAY);
                    Value::Int(match part.as_str() {
                        "year" => y,
                        "quarter" => (i64::from(m) - 1) / 3 + 1,
                        "month" => i64::from(m),
                        "week_of_year" | "weekofyear" => iso_week(t),
                        "day" => i64::from(dd),
                        "dayofyear" => (t - from_ymd(y, 1, 1)).div_euclid(TICKS_PER_DAY) + 1,
                        "hour" => r / TICKS_PER_HOUR,
                        "minute" => r / TICKS_PER_MINUTE % 60,
                        "second" => r / TICKS_PER_SECOND % 60,
                        "millisecond" => r % TICKS_PER_SECOND / TICKS_PER_MILLISECOND,
                        "microsecond" => r % TICKS_PER_SECOND / TICKS_PER_MICROSECOND,
                        "nanosecond" => r % TICKS_PER_SECOND * 100,
                        p => return Some(Err(Error::new(format!("unknown part `{p}`")))),
                    } as i32)
                }
                None => Value::Null,
            }
        }
        "make_datetime" => {
            let n = |i: usize, dflt: f64| super::real(a, i).unwrap_or(dflt);
            let (y, m, dd) = (n(0, f64::NAN), n(1, 1.0), n(2, 1.0));
            if !(1.0..=9999.0).contains(&y)
                || !(1.0..=12.0).contains(&m)
                || dd < 1.0
                || dd > days_in_month(y as i64, m as i64) as f64
            {
                Value::Null
            } else {
                let secs = n(3, 0.0) * 3600.0 + n(4, 0.0) * 60.0 + n(5, 0.0);
                dt_value(
                    i128::from(from_ymd(y as i64, m as i64, dd as i64))
                        + i128::from((secs * TICKS_PER_SECOND as f64).round() as i64),
                )
            }
        }
        "make_timespan" => {
            let n: Vec<f64> = (0..a.len())
                .map(|i| super::real(a, i).unwrap_or(0.0))
                .collect();
            let (d, h, m, sec) = match n.len() {
                2 => (0.0, n[0], n[1], 0.0),
                3 => (0.0, n[0], n[1], n[2]),
                4 => (n[0], n[1], n[2], n[3]),
                _ => return Some(Err(Error::new("make_timespan() takes 2 to 4 arguments"))),
            };
            let secs = ((d * 24.0 + h) * 60.0 + m) * 60.0 + sec;
            Value::Timespan((secs * TICKS_PER_SECOND as f64).round() as i64)
        }
        "unixtime_seconds_todatetime" => unix(a, TICKS_PER_SECOND as f64),
        "unixtime_milliseconds_todatetime" => unix(a, TICKS_PER_MILLISECOND as f64),
        "unixtime_microseconds_todatetime" => unix(a, TICKS_PER_MICROSECOND as f64),
        "unixtime_nanoseconds_todatetime" => unix(a, 0.01),
        "format_datetime" => match t0 {
            Some(t) => Value::str(format_datetime(t, &s(a, 1))),
            None => Value::str(""),
        },
        "datetime_utc_to_local" => match t0 {
            Some(t) => tz_shift(t, &s(a, 1), false),
            None => Value::Null,
        },
        "datetime_local_to_utc" => match t0 {
            Some(t) => tz_shift(t, &s(a, 1), true),
            None => Value::Null,
        },
        "format_timespan" => match ts(a, 0) {
            Some(t) => Value::str(format_timespan(t, &s(a, 1))),
            None => Value::str(""),
        },
        _ => return None,
    };
    Some(Ok(v))
}

/// `datetime_utc_to_local` (`to_utc` false) and `datetime_local_to_utc` (`to_utc` true)
/// with the IANA time-zone database (chrono-tz): null for an unknown zone. A local time
/// that occurs twice (clocks set back) is read as standard time, and one that does not
/// occur (clocks set forward) with the offset before the change, as .NET's
/// `TimeZoneInfo.ConvertTimeToUtc` does; the docs note that such a time converted to UTC
/// and back moves by the hour skipped.
fn tz_shift(t: i64, zone: &str, to_utc: bool) -> Value {
    use chrono::{LocalResult, Offset, TimeZone};
    let Ok(tz) = zone.trim().parse::<chrono_tz::Tz>() else {
        return Value::Null;
    };
    let secs = t.div_euclid(TICKS_PER_SECOND);
    let frac = t.rem_euclid(TICKS_PER_SECOND);
    let Some(at) = chrono::DateTime::from_timestamp(secs, 0) else {
        return Value::Null;
    };
    let offset_secs = if to_utc {
        let local = at.naive_utc();
        match tz.from_local_datetime(&local) {
            LocalResult::Single(d) => d.offset().fix().local_minus_utc(),
            // Two instants: the later one is in standard time.
            LocalResult::Ambiguous(a, b) => {
                let (a, b) = (a.offset().fix(), b.offset().fix());
                a.local_minus_utc().min(b.local_minus_utc())
            }
            // In the gap: the offset in force before it.
            LocalResult::None => {
                let before = local - chrono::Duration::hours(6);
                tz.offset_from_utc_datetime(&before).fix().local_minus_utc()
            }
        }
    } else {
        tz.offset_from_utc_datetime(&at.naive_utc())
            .fix()
            .local_minus_utc()
    };
    let shift = i128::from(offset_secs) * i128::from(TICKS_PER_SECOND);
    let base = i128::from(secs) * i128::from(TICKS_PER_SECOND) + i128::from(frac);
    dt_value(if to_utc { base - shift } else { base + shift })
}

fn ts(a: &[Value], i: usize) -> Option<i64> {
    match arg(a, i) {
        Value::Timespan(t) => Some(t),
        Value::Str(t) => crate::kql::literal::decode_timespan_text(t.trim()),
        _ => None,
    }
}

fn unix(a: &[Value], ticks_per_unit: f64) -> Value {
    match super::real(a, 0) {
        Some(x) if x.is_finite() => Value::DateTime((x * ticks_per_unit).round() as i64),
        _ => Value::Null,
    }
}

/// ISO 8601 week number.
fn iso_week(t: i64) -> i64 {
    let days = t.div_euclid(TICKS_PER_DAY);
    let wd = (days + 3).rem_euclid(7); // Monday = 0
    let thursday = days - wd + 3;
    let (y, _, _) = civil_from_days(thursday);
    (thursday - days_from_civil(y, 1, 1)) / 7 + 1
}

/// Splits a .NET-style format into runs of one letter (`yyyy`, `MM`, `fff`) and
/// literal text.
fn tokens(fmt: &str) -> Vec<(char, usize)> {
    let mut out: Vec<(char, usize)> = Vec::new();
    for c in fmt.chars() {
        match out.last_mut() {
            Some((p, n)) if *p == c && c.is_ascii_alphabetic() => *n += 1,
            _ => out.push((c, 1)),
        }
    }
    out
}

fn frac(ticks_in_sec: i64, n: usize, trim: bool) -> String {
    let s = format!("{ticks_in_sec:07}");
    let s = &s[..n.min(7)];
    if trim {
        s.trim_end_matches('0').to_string()
    } else {
        s.to_string()
    }
}

pub fn format_datetime(t: i64, fmt: &str) -> String {
    let (y, m, d) = ymd(t);
    let r = t.rem_euclid(TICKS_PER_DAY);
    let (hh, mi, ss, fr) = (
        r / TICKS_PER_HOUR,
        r / TICKS_PER_MINUTE % 60,
        r / TICKS_PER_SECOND % 60,
        r % TICKS_PER_SECOND,
    );
    let mut out = String::new();
    for (c, n) in tokens(fmt) {
        let piece = match c {
            'y' => match n {
                1 => (y % 100).to_string(),
                2 => format!("{:02}", y % 100),
                _ => format!("{y:0n$}"),
            },
            'M' => pad(i64::from(m), n),
            'd' => pad(i64::from(d), n),
            'H' => pad(hh, n),
            'h' => pad(if hh % 12 == 0 { 12 } else { hh % 12 }, n),
            'm' => pad(mi, n),
            's' => pad(ss, n),
            'f' => frac(fr, n, false),
            'F' => frac(fr, n, true),
            't' => {
                let s = if hh < 12 { "AM" } else { "PM" };
                s[..n.min(2)].to_string()
            }
            other => std::iter::repeat_n(other, n).collect(),
        };
        out.push_str(&piece);
    }
    out
}

fn pad(v: i64, n: usize) -> String {
    format!("{v:0w$}", w = n.min(2))
}

pub fn format_timespan(t: i64, fmt: &str) -> String {
    let neg = t < 0;
    let t = t.unsigned_abs() as i64;
    let (d, r) = (t / TICKS_PER_DAY, t % TICKS_PER_DAY);
    let (hh, mi, ss, fr) = (
        r / TICKS_PER_HOUR,
        r / TICKS_PER_MINUTE % 60,
        r / TICKS_PER_SECOND % 60,
        r % TICKS_PER_SECOND,
    );
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    for (c, n) in tokens(fmt) {
        let piece = match c {
            'd' => format!("{d:0n$}"),
            'h' | 'H' => pad(hh, n),
            'm' => pad(mi, n),
            's' => pad(ss, n),
            'f' => frac(fr, n, false),
            'F' => frac(fr, n, true),
            other => std::iter::repeat_n(other, n).collect(),
        };
        out.push_str(&piece);
    }
    out
}

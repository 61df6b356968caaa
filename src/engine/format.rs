//! Kusto's text for values in result tables: datetimes `2018-07-01 00:00:00.0000000`,
//! timespans `1.00:00:00` / `00:30:00.5000000`, reals in shortest round-trip form
//! (`0.5`, `2`, `NaN`, `Infinity`), dynamic values as compact JSON, nulls empty.

use super::value::{Json, Value};
use crate::kql::time::{TICKS_PER_DAY, TICKS_PER_SECOND, civil_from_days};

/// The cell text of a value.
pub fn display(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Long(i) => i.to_string(),
        Value::Real(r) | Value::Decimal(r) => real(*r),
        Value::Str(s) => s.to_string(),
        Value::DateTime(t) => datetime(*t),
        Value::Timespan(t) => timespan(*t),
        Value::Guid(g) => guid(*g),
        Value::Dyn(j) => match &**j {
            Json::String(s) => s.clone(),
            other => json_compact(other),
        },
    }
}

/// A real as .NET's round-trip formatting shows it.
pub fn real(r: f64) -> String {
    if r.is_nan() {
        return "NaN".into();
    }
    if r.is_infinite() {
        return if r > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let a = r.abs();
    if a != 0.0 && !(1e-5..1e15).contains(&a) {
        // 1E+21, 1.5E-07
        let s = format!("{r:e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let e: i32 = e.parse().unwrap_or(0);
        let sign = if e < 0 { '-' } else { '+' };
        return format!("{m}E{sign}{:02}", e.abs());
    }
    let s = format!("{r}");
    if s == "-0" { "0".into() } else { s }
}

fn civil(ticks: i64) -> (i64, u32, u32, i64, i64, i64, i64) {
    let days = ticks.div_euclid(TICKS_PER_DAY);
    let rem = ticks.rem_euclid(TICKS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let secs = rem / TICKS_PER_SECOND;
    (
        y,
        m,
        d,
        secs / 3600,
        (secs / 60) % 60,
        secs % 60,
        rem % TICKS_PER_SECOND,
    )
}

/// `2018-07-01 00:00:00.0000000`
pub fn datetime(ticks: i64) -> String {
    let (y, m, d, hh, mm, ss, f) = civil(ticks);
    format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}.{f:07}")
}

/// `2018-07-01T00:00:00.0000000Z` (what `tostring` gives).
pub fn datetime_iso(ticks: i64) -> String {
    let (y, m, d, hh, mm, ss, f) = civil(ticks);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{f:07}Z")
}

/// `[-][d.]hh:mm:ss[.fffffff]`
pub fn timespan(ticks: i64) -> String {
    let sign = if ticks < 0 { "-" } else { "" };
    let t = ticks.unsigned_abs();
    let day = TICKS_PER_DAY as u64;
    let sec = TICKS_PER_SECOND as u64;
    let (d, rem) = (t / day, t % day);
    let secs = rem / sec;
    let frac = rem % sec;
    let mut s = String::from(sign);
    if d > 0 {
        s.push_str(&format!("{d}."));
    }
    s.push_str(&format!(
        "{:02}:{:02}:{:02}",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    ));
    if frac > 0 {
        s.push_str(&format!(".{frac:07}"));
    }
    s
}

pub fn guid(g: u128) -> String {
    let h = format!("{g:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Compact JSON (`{"a":1,"b":[1,2]}`).
pub fn json_compact(j: &Json) -> String {
    serde_json::to_string(j).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kql::time::parse;

    #[test]
    fn formats_as_kusto_tables_show() {
        // Values from the docs' output tables.
        assert_eq!(
            datetime(parse("2018-07-01").unwrap()),
            "2018-07-01 00:00:00.0000000"
        );
        assert_eq!(timespan(TICKS_PER_DAY), "1.00:00:00");
        assert_eq!(timespan(30 * 60 * TICKS_PER_SECOND), "00:30:00");
        assert_eq!(timespan(-90 * TICKS_PER_SECOND), "-00:01:30");
        assert_eq!(timespan(15_000_000), "00:00:01.5000000");
        assert_eq!(real(2.0), "2");
        assert_eq!(real(0.1), "0.1");
        assert_eq!(real(f64::NAN), "NaN");
        assert_eq!(real(1e21), "1E+21");
        assert_eq!(
            guid(0x74be27de_1e4e_49d9_b579_fe0b331d3642),
            "74be27de-1e4e-49d9-b579-fe0b331d3642"
        );
    }
}

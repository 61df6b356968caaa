//! Datetimes as KQL has them: 100 ns ticks since 1970-01-01T00:00:00Z (UTC).

/// Ticks in one second.
pub const TICKS_PER_SECOND: i64 = 10_000_000;
/// Ticks in one day.
pub const TICKS_PER_DAY: i64 = 86_400 * TICKS_PER_SECOND;

/// Parses an ISO 8601 datetime (`2026-11-27T00:00:00Z`, `2026-11-27 10:00:00.123`,
/// `2026-11-27T00:00:00+02:00`, `2026-11-27`) into ticks.
pub fn parse(s: &str) -> Option<i64> {
    crate::kql::literal::decode_datetime(s)
}

/// Days since 1970-01-01 for a civil date (proleptic Gregorian; Howard Hinnant's
/// algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date (year, month, day) from days since the epoch (Howard Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Formats ticks as `2026-11-27T00:00:00Z`, with a fraction only when there is one
/// (`2026-11-27T00:00:00.1234567Z`).
pub fn format(ticks: i64) -> String {
    let days = ticks.div_euclid(TICKS_PER_DAY);
    let rem = ticks.rem_euclid(TICKS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let secs = rem / TICKS_PER_SECOND;
    let frac = rem % TICKS_PER_SECOND;
    let (hh, mm, ss) = (secs / 3600, (secs / 60) % 60, secs % 60);
    if frac == 0 {
        format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
    } else {
        let f = format!("{frac:07}");
        format!(
            "{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{}Z",
            f.trim_end_matches('0')
        )
    }
}

/// Formats a timespan in ticks the way KQL literals are written: `5d`, `1h`, `30m`,
/// `10s`, `-5d`, or `d.hh:mm:ss` when it is not whole.
pub fn format_timespan(ticks: i64) -> String {
    let sign = if ticks < 0 { "-" } else { "" };
    let t = ticks.unsigned_abs() as i64;
    for (unit, size) in [
        ("d", TICKS_PER_DAY),
        ("h", 3600 * TICKS_PER_SECOND),
        ("m", 60 * TICKS_PER_SECOND),
        ("s", TICKS_PER_SECOND),
    ] {
        if t % size == 0 {
            return format!("{sign}{}{unit}", t / size);
        }
    }
    format!("{sign}{}tick", t)
}

/// The current time in ticks.
pub fn now() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    d.as_secs() as i64 * TICKS_PER_SECOND + i64::from(d.subsec_nanos()) / 100
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for s in [
            "2026-11-27T00:00:00Z",
            "1970-01-01T00:00:00Z",
            "2024-02-29T23:59:59.5Z",
            "1969-12-31T23:00:00Z",
        ] {
            assert_eq!(format(parse(s).unwrap()), s);
        }
        assert_eq!(format_timespan(-5 * TICKS_PER_DAY), "-5d");
        assert_eq!(format_timespan(90 * 60 * TICKS_PER_SECOND), "90m");
    }
}

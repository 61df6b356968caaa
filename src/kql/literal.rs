//! Decoding of literal text: strings, numbers, timespans, datetimes.

use crate::kql::time::days_from_civil;

/// 100-ns ticks per unit.
pub const TICKS_PER_MICROSECOND: i64 = 10;
pub const TICKS_PER_MILLISECOND: i64 = 10_000;
pub const TICKS_PER_SECOND: i64 = 10_000_000;
pub const TICKS_PER_MINUTE: i64 = 60 * TICKS_PER_SECOND;
pub const TICKS_PER_HOUR: i64 = 60 * TICKS_PER_MINUTE;
pub const TICKS_PER_DAY: i64 = 24 * TICKS_PER_HOUR;

/// Decode one string literal token's text (with its quotes and prefix).
/// Returns the value and whether it was obfuscated (`h'...'`).
/// Errors describe a bad escape sequence.
pub fn decode_string(raw: &str) -> (String, bool, Option<String>) {
    let mut s = raw;
    let mut obfuscated = false;
    if s.starts_with('h') || s.starts_with('H') {
        obfuscated = true;
        s = &s[1..];
    }
    if let Some(body) = s.strip_prefix("```") {
        let body = body.strip_suffix("```").unwrap_or(body);
        return (body.to_string(), obfuscated, None);
    }
    if let Some(rest) = s.strip_prefix('@') {
        let Some(q) = rest.chars().next() else {
            return (String::new(), obfuscated, None);
        };
        let body = &rest[1..];
        let body = body.strip_suffix(q).unwrap_or(body);
        let mut out = String::with_capacity(body.len());
        let mut chars = body.chars().peekable();
        while let Some(c) = chars.next() {
            out.push(c);
            if c == q && chars.peek() == Some(&q) {
                chars.next();
            }
        }
        return (out, obfuscated, None);
    }
    let Some(q) = s.chars().next() else {
        return (String::new(), obfuscated, None);
    };
    let body = &s[1..];
    // An unterminated string has no closing quote; a string ending in `\'` is not closed.
    let body =
        if !body.is_empty() && body.ends_with(q) && !ends_with_escape(&body[..body.len() - 1]) {
            &body[..body.len() - 1]
        } else {
            body
        };
    if !body.contains('\\') {
        return (body.to_string(), obfuscated, None);
    }
    let mut out = String::with_capacity(body.len());
    let mut err = None;
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('a') => out.push('\u{7}'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('v') => out.push('\u{b}'),
            Some('\\') => out.push('\\'),
            Some('\'') => out.push('\''),
            Some('"') => out.push('"'),
            Some(d @ '0'..='7') => {
                // Octal: up to three digits (`\0`, `\101`).
                let mut v = d as u32 - '0' as u32;
                for _ in 0..2 {
                    match chars.clone().next() {
                        Some(c @ '0'..='7') => {
                            v = v * 8 + (c as u32 - '0' as u32);
                            chars.next();
                        }
                        _ => break,
                    }
                }
                out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
            }
            Some(e @ ('u' | 'U' | 'x')) => {
                let n = match e {
                    'u' => 4,
                    'U' => 8,
                    _ => 2,
                };
                let hex: String = chars.clone().take(n).collect();
                match (hex.len() == n && hex.chars().all(|c| c.is_ascii_hexdigit()))
                    .then(|| u32::from_str_radix(&hex, 16).ok())
                    .flatten()
                    .and_then(char::from_u32)
                {
                    Some(ch) => {
                        out.push(ch);
                        for _ in 0..n {
                            chars.next();
                        }
                    }
                    None => {
                        first_err(
                            &mut err,
                            format!("invalid `\\{e}` escape: expected {n} hex digits"),
                        );
                        out.push('\\');
                        out.push(e);
                    }
                }
            }
            Some(other) => {
                // Kusto rejects unknown escapes such as `\d` (regexes belong in
                // verbatim strings: @"\d+").
                first_err(
                    &mut err,
                    format!(
                        "invalid escape sequence `\\{other}` in a string literal (use a verbatim string such as @'...\\{other}...')"
                    ),
                );
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    (out, obfuscated, err)
}

fn first_err(err: &mut Option<String>, what: String) {
    if err.is_none() {
        *err = Some(what);
    }
}

fn ends_with_escape(s: &str) -> bool {
    let n = s.bytes().rev().take_while(|&b| b == b'\\').count();
    n % 2 == 1
}

/// Ticks per timespan unit suffix, `None` if Kusto does not know it.
pub fn timespan_unit_ticks(unit: &str) -> Option<f64> {
    Some(match unit {
        "d" | "day" | "days" => TICKS_PER_DAY as f64,
        "h" | "hr" | "hrs" | "hour" | "hours" => TICKS_PER_HOUR as f64,
        "m" | "min" | "minute" | "minutes" => TICKS_PER_MINUTE as f64,
        "s" | "sec" | "second" | "seconds" => TICKS_PER_SECOND as f64,
        "ms" | "milli" | "millis" | "millisec" | "millisecond" | "milliseconds" => {
            TICKS_PER_MILLISECOND as f64
        }
        "microsec" | "microsecond" | "microseconds" => TICKS_PER_MICROSECOND as f64,
        "nanosec" | "nanosecond" | "nanoseconds" => 0.01,
        "tick" | "ticks" => 1.0,
        _ => return None,
    })
}

fn to_ticks(v: f64) -> Option<i64> {
    let t = v.round();
    if t.is_finite() && t.abs() < 9.2e18 {
        Some(t as i64)
    } else {
        None
    }
}

/// A number with a unit suffix, e.g. `2.5h`: `Ok(ticks)` or an error message.
pub fn decode_timespan_token(text: &str) -> Result<i64, String> {
    let b = text.as_bytes();
    let (end, hex) = super::lexer::number_prefix_end(b, 0);
    let (num, unit) = text.split_at(end);
    if hex {
        return Err(format!("invalid number `{text}`"));
    }
    let Some(per) = timespan_unit_ticks(unit) else {
        let hint = if unit == "w" || unit.starts_with("week") {
            " (weeks are not supported; use `7d`)"
        } else {
            ""
        };
        return Err(format!("unknown timespan unit `{unit}` in `{text}`{hint}"));
    };
    let v: f64 = num.parse().map_err(|_| format!("invalid number `{num}`"))?;
    to_ticks(v * per).ok_or_else(|| format!("timespan `{text}` is out of range"))
}

/// A plain number token: integer (`Ok(Ok(i))`) or real (`Ok(Err(f))`).
pub fn decode_number(text: &str) -> Result<Result<i64, f64>, String> {
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return match u64::from_str_radix(hex, 16) {
            Ok(v) => Ok(Ok(v as i64)),
            Err(_) => Err(format!("hex literal `{text}` is out of range")),
        };
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return match text.parse::<i64>() {
            Ok(v) => Ok(Ok(v)),
            Err(_) => match text.parse::<f64>() {
                Ok(f) => Ok(Err(f)),
                Err(_) => Err(format!("invalid number `{text}`")),
            },
        };
    }
    text.parse::<f64>()
        .map(Err)
        .map_err(|_| format!("invalid number `{text}`"))
}

/// Content of `time(...)` / `timespan(...)`: `1.02:03:04.5`, `02:03`, `1d`, `2` (days),
/// `15 seconds`. Returns `None` for unrecognised text.
pub fn decode_timespan_text(content: &str) -> Option<i64> {
    let t = content.trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let v = decode_timespan_unsigned(t)?;
    Some(if neg { -v } else { v })
}

fn decode_timespan_unsigned(t: &str) -> Option<i64> {
    if t.is_empty() {
        return None;
    }
    if t.contains(':') {
        // [d.]hh:mm[:ss[.fffffff]]
        let parts: Vec<&str> = t.split(':').collect();
        if parts.len() < 2 || parts.len() > 3 {
            return None;
        }
        let (days, hours) = match parts[0].split_once('.') {
            Some((d, h)) => (parse_u(d)?, parse_u(h)?),
            None => (0, parse_u(parts[0])?),
        };
        let mins = parse_u(parts[1])?;
        let secs_ticks = if parts.len() == 3 {
            let s = parts[2];
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                return None;
            }
            to_ticks(s.parse::<f64>().ok()? * TICKS_PER_SECOND as f64)?
        } else {
            0
        };
        if mins >= 60 || hours >= 24 && parts[0].contains('.') {
            return None;
        }
        return days
            .checked_mul(TICKS_PER_DAY)?
            .checked_add(hours.checked_mul(TICKS_PER_HOUR)?)?
            .checked_add(mins * TICKS_PER_MINUTE)?
            .checked_add(secs_ticks);
    }
    // `15 seconds`
    if let Some((num, unit)) = t.split_once(char::is_whitespace) {
        let per = timespan_unit_ticks(unit.trim())?;
        return to_ticks(num.parse::<f64>().ok()? * per);
    }
    let b = t.as_bytes();
    let (end, hex) = super::lexer::number_prefix_end(b, 0);
    if end == 0 || hex {
        return None;
    }
    let (num, unit) = t.split_at(end);
    let v: f64 = num.parse().ok()?;
    if unit.is_empty() {
        return to_ticks(v * TICKS_PER_DAY as f64);
    }
    to_ticks(v * timespan_unit_ticks(unit)?)
}

fn parse_u(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 {
                29
            } else {
                28
            }
        }
    }
}

/// Content of `datetime(...)`: ISO-8601-like forms (`2024-01-01`,
/// `2024-01-01T10:00:00Z`, `2024-01-01 10:00:00.123`, with optional `Z` or
/// `+hh:mm` offset). Returns 100-ns ticks since the Unix epoch, `None` if the
/// format is not recognised.
pub fn decode_datetime(content: &str) -> Option<i64> {
    // Telemetry timestamps are nearly always `YYYY-MM-DDTHH:MM:SS[.f{1,7}]Z`: read that
    // form by position (the matcher parses one or more per row), everything else below.
    if let Some(ticks) = decode_iso_utc(content.as_bytes()) {
        return Some(ticks);
    }
    decode_datetime_general(content)
}

/// Every form [`decode_datetime`] accepts.
fn decode_datetime_general(content: &str) -> Option<i64> {
    let t = content.trim();
    let b = t.as_bytes();
    // Date: YYYY-MM-DD (also YYYY/MM/DD)
    if b.len() < 8 {
        return None;
    }
    let mut i = 0;
    let year = take_digits(b, &mut i, 4, 4)?;
    let sep = *b.get(i)?;
    if sep != b'-' && sep != b'/' {
        return None;
    }
    i += 1;
    let month = take_digits(b, &mut i, 1, 2)?;
    if *b.get(i)? != sep {
        return None;
    }
    i += 1;
    let day = take_digits(b, &mut i, 1, 2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut ticks = days_from_civil(year, month, day) * TICKS_PER_DAY;
    if i == b.len() {
        return Some(ticks);
    }
    if b[i] != b'T' && b[i] != b' ' {
        return None;
    }
    i += 1;
    while i < b.len() && b[i] == b' ' {
        i += 1;
    }
    if i == b.len() {
        return Some(ticks);
    }
    let hour = take_digits(b, &mut i, 1, 2)?;
    if b.get(i) != Some(&b':') {
        return None;
    }
    i += 1;
    let min = take_digits(b, &mut i, 1, 2)?;
    let mut sec = 0;
    let mut frac_ticks = 0;
    if b.get(i) == Some(&b':') {
        i += 1;
        sec = take_digits(b, &mut i, 1, 2)?;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == start {
                return None;
            }
            let digits = &t[start..i];
            let mut f = 0i64;
            for (k, ch) in digits.bytes().enumerate() {
                if k < 7 {
                    f = f * 10 + (ch - b'0') as i64;
                }
            }
            for _ in digits.len()..7 {
                f *= 10;
            }
            frac_ticks = f;
        }
    }
    if hour > 23 || min > 59 || sec > 59 {
        return None;
    }
    ticks += hour * TICKS_PER_HOUR + min * TICKS_PER_MINUTE + sec * TICKS_PER_SECOND + frac_ticks;
    let rest = t[i..].trim();
    match rest {
        "" | "Z" | "z" => Some(ticks),
        _ => {
            let (sign, off) = if let Some(o) = rest.strip_prefix('+') {
                (-1, o)
            } else if let Some(o) = rest.strip_prefix('-') {
                (1, o)
            } else {
                return None;
            };
            let ob = off.as_bytes();
            let mut j = 0;
            let oh = take_digits(ob, &mut j, 2, 2)?;
            if ob.get(j) == Some(&b':') {
                j += 1;
            }
            let om = take_digits(ob, &mut j, 2, 2)?;
            if j != ob.len() || oh > 14 || om > 59 {
                return None;
            }
            Some(ticks + sign * (oh * TICKS_PER_HOUR + om * TICKS_PER_MINUTE))
        }
    }
}

/// The fraction of a second of `YYYY-MM-DDTHH:MM:SS[.f{1,7}]Z` (`b`, 20 to 28 bytes
/// ending in `Z`) in ticks: nothing after the seconds is 0, else `.` and one to seven
/// digits; `None` for anything else there.
#[inline]
pub(crate) fn iso_fraction_ticks(b: &[u8]) -> Option<i64> {
    let mut frac = 0i64;
    if b.len() > 20 {
        if b[19] != b'.' || b.len() == 21 {
            return None;
        }
        let digits = &b[20..b.len() - 1];
        for &c in digits {
            if !c.is_ascii_digit() {
                return None;
            }
            frac = frac * 10 + i64::from(c - b'0');
        }
        for _ in digits.len()..7 {
            frac *= 10;
        }
    }
    Some(frac)
}

/// `YYYY-MM-DDTHH:MM:SSZ` or `YYYY-MM-DDTHH:MM:SS.fZ` with one to seven fraction digits,
/// read by position; `None` for any other text (the general parser then decides, so
/// this only has to agree with it on what it accepts).
fn decode_iso_utc(b: &[u8]) -> Option<i64> {
    if b.len() < 20 || b.len() > 28 || b[b.len() - 1] != b'Z' {
        return None;
    }
    // Bytes 0..8 `YYYY-MM-`, 8..16 `DDTHH:MM`, 11..19 `HH:MM:SS`, eight at a time: the
    // separators compared at once, each digit checked and turned into its value (SWAR).
    let word = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"));
    let (w0, w1, w2) = (word(0), word(8), word(11));
    // Separator bytes (little-endian: byte i is bits 8i..8i+8).
    const SEP0: u64 = 0xff00_00ff_0000_0000; // bytes 4 `-`, 7 `-`
    // Bytes 10 `T` and 13 `:` of the second word; 13 `:` and 16 `:` of the third.
    const SEP1: u64 = 0x0000_ff00_00ff_0000;
    if w0 & SEP0 != u64::from_le_bytes(*b"\0\0\0\0-\0\0-")
        || w1 & SEP1 != u64::from_le_bytes(*b"\0\0T\0\0:\0\0")
        || w2 & SEP1 != u64::from_le_bytes(*b"\0\0:\0\0:\0\0")
    {
        return None;
    }
    // Digit bytes become their values; a byte that is not a digit becomes 10 or more,
    // or 0x80 and above, which the check below sees (no carry between bytes when every
    // value is below 0x80).
    let digits = |w: u64, sep: u64| -> Option<u64> {
        let d = (w ^ 0x3030_3030_3030_3030) & !sep;
        ((d.wrapping_add(0x7676_7676_7676_7676) | d) & 0x8080_8080_8080_8080 & !sep == 0)
            .then_some(d)
    };
    let (d0, d1, d2) = (digits(w0, SEP0)?, digits(w1, SEP1)?, digits(w2, SEP1)?);
    let at = |d: u64, i: u32| ((d >> (8 * i)) & 0xff) as i64;
    let two = |d: u64, i: u32| at(d, i) * 10 + at(d, i + 1);
    let year = two(d0, 0) * 100 + two(d0, 2);
    let (month, day) = (two(d0, 5), two(d1, 0));
    let (hour, min, sec) = (two(d2, 0), two(d2, 3), two(d2, 6));
    let frac = iso_fraction_ticks(b)?;
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || min > 59
        || sec > 59
    {
        return None;
    }
    Some(
        days_from_civil(year, month, day) * TICKS_PER_DAY
            + hour * TICKS_PER_HOUR
            + min * TICKS_PER_MINUTE
            + sec * TICKS_PER_SECOND
            + frac,
    )
}

fn take_digits(b: &[u8], i: &mut usize, min: usize, max: usize) -> Option<i64> {
    let start = *i;
    let mut v = 0i64;
    while *i < b.len() && b[*i].is_ascii_digit() && *i - start < max {
        v = v * 10 + (b[*i] - b'0') as i64;
        *i += 1;
    }
    if *i - start < min { None } else { Some(v) }
}

#[cfg(test)]
mod datetime_fast_path_tests {
    use super::*;

    /// The by-position reader agrees with the general parser wherever it answers, and
    /// answers for the usual forms.
    #[test]
    fn iso_utc_fast_path_agrees_with_the_general_parser() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let (mut fast, mut total) = (0, 0);
        for _ in 0..200_000 {
            let mut text = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                1600 + next(900),
                next(14),
                next(33),
                next(26),
                next(62),
                next(62)
            );
            match next(4) {
                0 => {}
                _ => {
                    text.push('.');
                    for _ in 0..next(9) {
                        text.push((b'0' + next(10) as u8) as char);
                    }
                }
            }
            text.push(['Z', 'Z', 'Z', 'z', '+'][next(5)]);
            // Damage one byte now and then.
            if next(6) == 0 {
                let mut bytes = text.into_bytes();
                let at = next(bytes.len());
                bytes[at] = b"0123456789-:.TZ x"[next(17)];
                text = String::from_utf8(bytes).expect("ASCII");
            }
            total += 1;
            if let Some(t) = decode_iso_utc(text.as_bytes()) {
                fast += 1;
                assert_eq!(Some(t), decode_datetime_general(&text), "{text}");
            }
            assert_eq!(
                decode_datetime(&text),
                decode_datetime_general(&text),
                "{text}"
            );
        }
        assert!(fast * 4 > total, "fast path took {fast} of {total}");
        assert_eq!(
            decode_iso_utc(b"2026-11-20T00:00:00.5104928Z"),
            decode_datetime_general("2026-11-20T00:00:00.5104928Z")
        );
        assert!(decode_iso_utc(b"2026-11-20T00:00:00.5104928Z").is_some());
    }
}

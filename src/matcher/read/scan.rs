//! The fast JSON-lines path: a byte scanner over one line that walks the top-level
//! object once, checks its syntax, and notes where the needed values are.
//!
//! Contract (checked by the property test below): when [`scan_row`] returns `true`,
//! serde_json would have accepted the line too and produced the same cells; when it is
//! not sure it returns `false` and the caller runs the serde_json path. It is stricter
//! than JSON on purpose: escapes in keys, `\u` escapes of surrogates, numbers with an
//! exponent or longer than 20 bytes, nesting deeper than 100 and duplicate needed keys
//! all go to the reference path.

use std::borrow::Cow;

use serde::Deserialize;

use super::CellValue;

/// Where a needed value is, as byte offsets into the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Span {
    Missing,
    Null,
    True,
    False,
    /// A string without escapes: the text between the quotes.
    Str(usize, usize),
    /// An integer that prints back as itself (`-?(0|[1-9][0-9]*)`, at most 18
    /// digits, not `-0`).
    Int(usize, usize),
    /// A string with escapes (quotes included), another number, an array or an
    /// object: decoded by serde_json, exactly as the reference path would.
    Other(usize, usize),
    /// Same as `Other` but known to be a JSON string.
    EscStr(usize, usize),
}

/// The needed keys of one table, bucketed by length; `Type` and `$table` come after
/// the slots (their values are validated like needed values, as the reference does).
pub(super) struct KeyIndex {
    by_len: Vec<Vec<(Box<[u8]>, usize)>>,
    /// Number of slots; `Type` is target `width`, `$table` is `width + 1` unless
    /// they are slots themselves.
    width: usize,
    type_target: usize,
    dollar_target: usize,
}

impl KeyIndex {
    pub(super) fn new(slot_names: &[String]) -> KeyIndex {
        let width = slot_names.len();
        let mut by_len: Vec<Vec<(Box<[u8]>, usize)>> = Vec::new();
        let mut add = |name: &str, target: usize| {
            let b = name.as_bytes();
            if by_len.len() <= b.len() {
                by_len.resize_with(b.len() + 1, Vec::new);
            }
            by_len[b.len()].push((b.into(), target));
        };
        for (slot, name) in slot_names.iter().enumerate() {
            add(name, slot);
        }
        let type_target = slot_names
            .iter()
            .position(|n| n == "Type")
            .unwrap_or_else(|| {
                add("Type", width);
                width
            });
        let dollar_target = slot_names
            .iter()
            .position(|n| n == "$table")
            .unwrap_or_else(|| {
                add("$table", width + 1);
                width + 1
            });
        KeyIndex {
            by_len,
            width,
            type_target,
            dollar_target,
        }
    }

    #[inline]
    fn get(&self, key: &[u8]) -> Option<usize> {
        self.by_len
            .get(key.len())?
            .iter()
            .find(|(k, _)| **k == *key)
            .map(|&(_, t)| t)
    }
}

/// Scans one line with the engine's keys into `cells` / `seen`; `false` = not sure.
pub(super) fn scan_row<'a>(
    line: &'a str,
    keys: &KeyIndex,
    spans: &mut Vec<Span>,
    seen: &mut [bool],
    cells: &mut [Option<Cow<'a, str>>],
) -> bool {
    spans.clear();
    spans.resize(keys.width + 2, Span::Missing);
    if scan(line.as_bytes(), keys, spans).is_none() {
        return false;
    }
    for (target, &span) in spans.iter().enumerate() {
        let cell = match span {
            Span::Missing => continue,
            Span::Null => None,
            Span::True => Some(Cow::Borrowed("true")),
            Span::False => Some(Cow::Borrowed("false")),
            Span::Str(s, e) | Span::Int(s, e) => Some(Cow::Borrowed(&line[s..e])),
            Span::Other(s, e) | Span::EscStr(s, e) => {
                let mut de = serde_json::Deserializer::from_str(&line[s..e]);
                match CellValue::deserialize(&mut de).and_then(|v| de.end().map(|()| v)) {
                    Ok(v) => v.0,
                    Err(_) => return false,
                }
            }
        };
        if target < keys.width {
            cells[target] = cell;
            seen[target] = true;
        }
    }
    true
}

/// The row's table from `Type` / `$table`, as `v.get("Type").or_else(|| v.get("$table"))
/// .and_then(as_str)` on the parsed line: `None` = not sure, `Some(None)` = no table.
pub(super) fn row_table<'a>(
    line: &'a str,
    keys: &KeyIndex,
    spans: &mut Vec<Span>,
) -> Option<Option<Cow<'a, str>>> {
    spans.clear();
    spans.resize(keys.width + 2, Span::Missing);
    scan(line.as_bytes(), keys, spans)?;
    let span = match spans[keys.type_target] {
        Span::Missing => spans[keys.dollar_target],
        s => s,
    };
    Some(match span {
        Span::Str(s, e) => Some(Cow::Borrowed(&line[s..e])),
        Span::EscStr(s, e) => Some(Cow::Owned(
            serde_json::from_str::<String>(&line[s..e]).ok()?,
        )),
        // Validate what the reference would have parsed, then: not a string.
        Span::Other(s, e) => {
            serde_json::from_str::<serde_json::Value>(&line[s..e]).ok()?;
            None
        }
        _ => None,
    })
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// The first byte at or after `i` that is `"`, `\` or a control character (< 0x20),
/// or `b.len()`: sixteen bytes at a time with SSE2 (part of the x86-64 baseline),
/// eight at a time (SWAR) elsewhere and for the tail.
#[inline]
fn find_special(b: &[u8], mut i: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE2 is part of the x86-64 baseline, so the intrinsics are available;
    // the only memory access is the unaligned 16-byte load at `i`, and
    // `i + 16 <= b.len()` keeps it inside `b`.
    unsafe {
        use std::arch::x86_64::*;
        let quote = _mm_set1_epi8(b'"' as i8);
        let backslash = _mm_set1_epi8(b'\\' as i8);
        let below = _mm_set1_epi8(0x1f);
        while i + 16 <= b.len() {
            let x = _mm_loadu_si128(b.as_ptr().add(i).cast::<__m128i>());
            let m = _mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)),
                // x <= 0x1f (unsigned) <=> max(x, 0x1f) == 0x1f
                _mm_cmpeq_epi8(_mm_max_epu8(x, below), below),
            );
            let mask = _mm_movemask_epi8(m) as u32;
            if mask != 0 {
                return i + mask.trailing_zeros() as usize;
            }
            i += 16;
        }
    }
    while i + 8 <= b.len() {
        let x = u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        let q = x ^ (LO * u64::from(b'"'));
        let s = x ^ (LO * u64::from(b'\\'));
        // The lowest flagged byte of a word is always a true match (borrows only
        // run upwards from a true match).
        let m = ((q.wrapping_sub(LO) & !q)
            | (s.wrapping_sub(LO) & !s)
            | (x.wrapping_sub(LO * 0x20) & !x))
            & HI;
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && !matches!(b[i], b'"' | b'\\' | 0..=0x1f) {
        i += 1;
    }
    i
}

#[inline]
fn ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// Walks the top-level object, filling `spans`; `None` = not sure.
fn scan(b: &[u8], keys: &KeyIndex, spans: &mut [Span]) -> Option<()> {
    let mut i = ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = ws(b, i + 1);
    if b.get(i) == Some(&b'}') {
        i += 1;
    } else {
        loop {
            if b.get(i) != Some(&b'"') {
                return None;
            }
            let ks = i + 1;
            let ke = find_special(b, ks);
            if b.get(ke) != Some(&b'"') {
                return None; // an escape or a control character in the key, or EOF
            }
            i = ws(b, ke + 1);
            if b.get(i) != Some(&b':') {
                return None;
            }
            i = ws(b, i + 1);
            match keys.get(&b[ks..ke]) {
                Some(target) => {
                    if spans[target] != Span::Missing {
                        return None; // a duplicate: the reference decides
                    }
                    let (span, end) = value(b, i)?;
                    spans[target] = span;
                    i = end;
                }
                None => i = skip_value(b, i, 1)?,
            }
            i = ws(b, i);
            match b.get(i) {
                Some(b',') => i = ws(b, i + 1),
                Some(b'}') => {
                    i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    (ws(b, i) == b.len()).then_some(())
}

/// A needed value at `i` (no whitespace before it): its span and end.
fn value(b: &[u8], i: usize) -> Option<(Span, usize)> {
    match *b.get(i)? {
        b'"' => {
            let e = find_special(b, i + 1);
            if b.get(e) == Some(&b'"') {
                Some((Span::Str(i + 1, e), e + 1))
            } else {
                let end = skip_str(b, i)?;
                Some((Span::EscStr(i, end), end))
            }
        }
        b'-' | b'0'..=b'9' => {
            let (end, simple) = number(b, i)?;
            let span = if simple {
                Span::Int(i, end)
            } else {
                Span::Other(i, end)
            };
            Some((span, end))
        }
        b'{' | b'[' => {
            let end = skip_value(b, i, 1)?;
            Some((Span::Other(i, end), end))
        }
        b't' => lit(b, i, b"true").map(|e| (Span::True, e)),
        b'f' => lit(b, i, b"false").map(|e| (Span::False, e)),
        b'n' => lit(b, i, b"null").map(|e| (Span::Null, e)),
        _ => None,
    }
}

#[inline]
fn lit(b: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    b[i..].starts_with(word).then_some(i + word.len())
}

/// A JSON string starting at the quote at `i`: the index after its closing quote.
#[inline]
fn skip_str(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        j = find_special(b, j);
        match *b.get(j)? {
            b'"' => return Some(j + 1),
            b'\\' => match *b.get(j + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => j += 2,
                b'u' => {
                    let hex = b.get(j + 2..j + 6)?;
                    if !hex.iter().all(u8::is_ascii_hexdigit) {
                        return None;
                    }
                    // Surrogates: the reference decides (lone ones are errors when
                    // a string is decoded, not when it is skipped).
                    if matches!(hex[0], b'd' | b'D')
                        && matches!(hex[1], b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F')
                    {
                        return None;
                    }
                    j += 6;
                }
                _ => return None,
            },
            _ => return None, // a control character
        }
    }
}

/// A JSON number at `i`: its end, and whether it is a simple integer. Exponents and
/// numbers longer than 20 bytes are left to the reference (out-of-range checks).
fn number(b: &[u8], i: usize) -> Option<(usize, bool)> {
    let mut j = i;
    if b[j] == b'-' {
        j += 1;
    }
    let digits = j;
    match *b.get(j)? {
        b'0' => j += 1,
        b'1'..=b'9' => {
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
        }
        _ => return None,
    }
    let int_end = j;
    if b.get(j) == Some(&b'.') {
        j += 1;
        let f = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j == f {
            return None;
        }
    }
    if matches!(b.get(j), Some(b'e' | b'E')) || j - i > 20 {
        return None;
    }
    let simple = j == int_end && int_end - digits <= 18 && &b[i..j] != b"-0";
    Some((j, simple))
}

/// Skips any JSON value at `i` (no whitespace before it); `None` = not sure.
fn skip_value(b: &[u8], i: usize, depth: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => skip_str(b, i),
        b'-' | b'0'..=b'9' => number(b, i).map(|(e, _)| e),
        b't' => lit(b, i, b"true"),
        b'f' => lit(b, i, b"false"),
        b'n' => lit(b, i, b"null"),
        open @ (b'{' | b'[') => {
            if depth > 100 {
                return None;
            }
            let close = if open == b'{' { b'}' } else { b']' };
            let mut j = ws(b, i + 1);
            if b.get(j) == Some(&close) {
                return Some(j + 1);
            }
            loop {
                if open == b'{' {
                    if b.get(j) != Some(&b'"') {
                        return None;
                    }
                    j = ws(b, skip_str(b, j)?);
                    if b.get(j) != Some(&b':') {
                        return None;
                    }
                    j = ws(b, j + 1);
                }
                j = ws(b, skip_value(b, j, depth + 1)?);
                match *b.get(j)? {
                    b',' => j = ws(b, j + 1),
                    c if c == close => return Some(j + 1),
                    _ => return None,
                }
            }
        }
        _ => None,
    }
}

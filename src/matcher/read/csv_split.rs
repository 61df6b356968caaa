//! The fast CSV path: a record splitter for well-formed RFC 4180 records, 64 bytes at a
//! time (SSE2 on x86_64, a scalar loop elsewhere).
//!
//! Contract (checked by the property test below): when [`split_record`] returns
//! [`Split::Record`], the `csv` crate as `read_csv` configures it (flexible, `,`, `"`
//! with `""` escapes, CR / LF / CRLF terminators) would have read the same record with
//! the same fields, consumed the same bytes and counted the same newlines; when it is
//! not sure it returns [`Split::Unsure`] and the caller lets the `csv` crate read that
//! record. It only accepts records where every quote opens a field (at its start) or
//! closes it (followed by `,`, a terminator, the end of the input or the `"` of a `""`),
//! and where a quoted field is closed before the end of the input; `ab"c`, `"ab"c` or
//! an unterminated quote go to the reference. UTF-8 is not checked here.

use std::borrow::Cow;

/// What the bytes from a record's start hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Split {
    /// A record: its fields are delimited by `starts` (see [`split_record`]). `term` is
    /// where its last field ends (its terminator, or the end of the input), `end` where
    /// the next record's bytes start, `newlines` the `\n` bytes in between the start
    /// and `end` (blank lines before the record, newlines in quoted fields, an LF
    /// terminator).
    Record {
        body: usize,
        term: usize,
        end: usize,
        newlines: u64,
    },
    /// Only blank lines up to the end of the input: no more records.
    End,
    /// The record goes on past the end of the buffer: more input is needed.
    Incomplete,
    /// Not sure: the reference reads this record.
    Unsure,
}

/// Bit `i` set where byte `i` of a 64-byte block is a quote, a comma, a CR or LF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Masks {
    quote: u64,
    comma: u64,
    newline: u64,
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn classify(block: &[u8; 64]) -> Masks {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let mut m = Masks {
        quote: 0,
        comma: 0,
        newline: 0,
    };
    for (k, chunk) in block.chunks_exact(16).enumerate() {
        let shift = 16 * k as u32;
        // SAFETY: `chunk` is 16 readable bytes (`chunks_exact(16)` of a 64-byte array)
        // and `_mm_loadu_si128` has no alignment requirement; SSE2 is part of the
        // x86_64 baseline, so every intrinsic here is available on every x86_64 CPU.
        let (quote, comma, newline) = unsafe {
            let v = _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>());
            let eq = |c: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(c as i8));
            (
                _mm_movemask_epi8(eq(b'"')),
                _mm_movemask_epi8(eq(b',')),
                _mm_movemask_epi8(_mm_or_si128(eq(b'\n'), eq(b'\r'))),
            )
        };
        m.quote |= u64::from(quote as u16) << shift;
        m.comma |= u64::from(comma as u16) << shift;
        m.newline |= u64::from(newline as u16) << shift;
    }
    m
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn classify(block: &[u8; 64]) -> Masks {
    classify_scalar(block)
}

/// The portable [`classify`] (also the SIMD one's reference in the tests).
#[cfg(any(test, not(target_arch = "x86_64")))]
#[inline(always)]
fn classify_scalar(block: &[u8; 64]) -> Masks {
    let mut m = Masks {
        quote: 0,
        comma: 0,
        newline: 0,
    };
    for (i, &b) in block.iter().enumerate() {
        m.quote |= u64::from(b == b'"') << i;
        m.comma |= u64::from(b == b',') << i;
        m.newline |= u64::from(b == b'\n' || b == b'\r') << i;
    }
    m
}

/// Bit `i` of the result is the parity of the set bits `0..=i` of `x`.
#[inline(always)]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// Splits the record whose bytes start at `buf[start]` (where the reference's
/// previous record ended); `eof` says that `buf` ends where the input does. On
/// [`Split::Record`], `starts` holds where each field starts plus, last, `term + 1`:
/// field `k`'s raw bytes (quotes included) are `starts[k]..starts[k + 1] - 1`.
pub(super) fn split_record(buf: &[u8], start: usize, eof: bool, starts: &mut Vec<usize>) -> Split {
    starts.clear();
    // The reference skips CR and LF at the start of a record (blank lines, the LF of a
    // CRLF whose CR ended the previous record).
    let mut newlines = 0u64;
    let mut body = start;
    while let Some(&b) = buf.get(body) {
        match b {
            b'\n' => newlines += 1,
            b'\r' => {}
            _ => break,
        }
        body += 1;
    }
    if body >= buf.len() {
        return if eof { Split::End } else { Split::Incomplete };
    }
    starts.push(body);
    // Carries from one block to the next: inside a quoted field (all ones / zero), the
    // last byte was a comma or a closing quote (or this is the record's first byte),
    // the last byte was a closing quote.
    let mut inside = 0u64;
    let mut field_start = 1u64;
    let mut after_close = 0u64;
    let mut pos = body;
    loop {
        let avail = buf.len() - pos;
        let (m, valid) = match buf.get(pos..pos + 64) {
            Some(b) => {
                let block: &[u8; 64] = match b.try_into() {
                    Ok(block) => block,
                    Err(_) => return Split::Unsure,
                };
                (classify(block), !0u64)
            }
            None => {
                let mut block = [0u8; 64];
                block[..avail].copy_from_slice(&buf[pos..]);
                (classify(&block), (1u64 << avail) - 1)
            }
        };
        let ins = prefix_xor(m.quote) ^ inside;
        let open = m.quote & ins;
        let close = m.quote & !ins;
        let terms = m.newline & !ins & valid;
        // Bits of this block that belong to the record (before its terminator).
        let (upto, found) = if terms != 0 {
            ((1u64 << terms.trailing_zeros()) - 1, true)
        } else {
            (valid, false)
        };
        // Every opening quote starts a field; every closing quote is followed by a
        // comma, a terminator or the quote of a `""`.
        let prev_ok = ((m.comma | close) << 1) | field_start;
        let after = (close << 1) | after_close;
        let bad = (open & !prev_ok & upto)
            | (after & !(m.quote | m.comma | m.newline) & (upto | (terms & terms.wrapping_neg())));
        if bad != 0 {
            return Split::Unsure;
        }
        let mut c = m.comma & !ins & upto;
        while c != 0 {
            starts.push(pos + c.trailing_zeros() as usize + 1);
            c &= c - 1;
        }
        let quoted_newlines = m.newline & ins & upto;
        if quoted_newlines != 0 {
            let mut q = quoted_newlines;
            while q != 0 {
                let i = pos + q.trailing_zeros() as usize;
                newlines += u64::from(buf.get(i) == Some(&b'\n'));
                q &= q - 1;
            }
        }
        if found {
            let term = pos + terms.trailing_zeros() as usize;
            starts.push(term + 1);
            let lf = buf.get(term) == Some(&b'\n');
            return Split::Record {
                body,
                term,
                end: term + 1,
                newlines: newlines + u64::from(lf),
            };
        }
        if valid != !0u64 {
            // The input ends in this block.
            if !eof {
                return Split::Incomplete;
            }
            if (ins >> avail.saturating_sub(1)) & 1 != 0 {
                // An unterminated quoted field: the reference takes the rest.
                return Split::Unsure;
            }
            starts.push(buf.len() + 1);
            return Split::Record {
                body,
                term: buf.len(),
                end: buf.len(),
                newlines,
            };
        }
        inside = if ins >> 63 != 0 { !0 } else { 0 };
        field_start = (m.comma | close) >> 63;
        after_close = close >> 63;
        pos += 64;
        if pos == buf.len() {
            if !eof {
                return Split::Incomplete;
            }
            if inside != 0 {
                return Split::Unsure;
            }
            starts.push(buf.len() + 1);
            return Split::Record {
                body,
                term: buf.len(),
                end: buf.len(),
                newlines,
            };
        }
    }
}

/// Field `k` of a record split by [`split_record`], from the record's text `text`
/// (the bytes `body..term`): unquoted, `""` unescaped, borrowed when it can be.
#[inline]
pub(super) fn field<'a>(
    text: &'a str,
    body: usize,
    starts: &[usize],
    k: usize,
) -> Option<Cow<'a, str>> {
    let s = starts.get(k)?.checked_sub(body)?;
    let e = starts.get(k + 1)?.checked_sub(body + 1)?;
    let raw = text.get(s..e)?;
    match raw.strip_prefix('"') {
        None => Some(Cow::Borrowed(raw)),
        Some(rest) => {
            let inner = rest.strip_suffix('"')?;
            if memchr::memchr(b'"', inner.as_bytes()).is_some() {
                Some(Cow::Owned(inner.replace("\"\"", "\"")))
            } else {
                Some(Cow::Borrowed(inner))
            }
        }
    }
}

/// Number of fields of a record split by [`split_record`].
#[inline]
pub(super) fn field_count(starts: &[usize]) -> usize {
    starts.len().saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record of `doc` (input complete), as fields and the newlines consumed, until
    /// the end or the first record the splitter leaves to the reference.
    fn split_all(doc: &[u8]) -> (Vec<(Vec<String>, u64)>, Split) {
        let mut starts = Vec::new();
        let mut out = Vec::new();
        let mut at = 0;
        loop {
            match split_record(doc, at, true, &mut starts) {
                Split::Record {
                    body,
                    term,
                    end,
                    newlines,
                } => {
                    let text = std::str::from_utf8(&doc[body..term]).expect("UTF-8 test input");
                    let fields = (0..field_count(&starts))
                        .map(|k| field(text, body, &starts, k).expect("a field").into_owned())
                        .collect();
                    out.push((fields, newlines));
                    at = end;
                }
                other => return (out, other),
            }
        }
    }

    fn rec(fields: &[&str], newlines: u64) -> (Vec<String>, u64) {
        (fields.iter().map(|f| f.to_string()).collect(), newlines)
    }

    #[test]
    fn classify_agrees_with_the_scalar_loop() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let bytes = [
            b'"',
            b',',
            b'\n',
            b'\r',
            b'a',
            0,
            0x80,
            0xff,
            b'"' + 128,
            b',' + 128,
        ];
        for _ in 0..20_000 {
            let mut block = [0u8; 64];
            for b in &mut block {
                // xorshift64
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *b = if state.is_multiple_of(4) {
                    (state >> 8) as u8
                } else {
                    bytes[(state >> 8) as usize % bytes.len()]
                };
            }
            assert_eq!(classify(&block), classify_scalar(&block), "{block:?}");
        }
        assert_eq!(prefix_xor(0b1001), 0b0111);
        assert_eq!(prefix_xor(0b10), !0b1);
    }

    #[test]
    fn splits_plain_and_quoted_fields() {
        let (recs, last) = split_all(b"a,b\n\"a,b\",\"c\"\"d\",\"\"\n,\n\"\"\"\"\n");
        assert_eq!(last, Split::End);
        assert_eq!(
            recs,
            [
                rec(&["a", "b"], 1),
                rec(&["a,b", "c\"d", ""], 1),
                rec(&["", ""], 1),
                rec(&["\""], 1),
            ]
        );
    }

    #[test]
    fn terminators_and_blank_lines() {
        // CR ends a record; the LF of a CRLF is consumed with the next record, as are
        // blank lines, whose newlines count towards the next record's.
        let doc = b"a\r\nb\rc\n\n\r\nd\r\n\r\n";
        let mut starts = Vec::new();
        let first = split_record(doc, 0, true, &mut starts);
        assert_eq!(
            first,
            Split::Record {
                body: 0,
                term: 1,
                end: 2,
                newlines: 0
            }
        );
        let second = split_record(doc, 2, true, &mut starts);
        assert_eq!(
            second,
            Split::Record {
                body: 3,
                term: 4,
                end: 5,
                newlines: 1
            }
        );
        let (recs, last) = split_all(doc);
        assert_eq!(last, Split::End);
        assert_eq!(
            recs,
            [
                rec(&["a"], 0),
                rec(&["b"], 1),
                rec(&["c"], 1),
                rec(&["d"], 2)
            ]
        );
        assert_eq!(split_record(b"\r\n\n", 0, true, &mut starts), Split::End);
        assert_eq!(
            split_record(b"\r\n\n", 0, false, &mut starts),
            Split::Incomplete
        );
    }

    #[test]
    fn newlines_in_quoted_fields_are_counted() {
        let (recs, _) = split_all(b"\"x\ny\r\nz\",\"\r\"\n");
        assert_eq!(recs, [rec(&["x\ny\r\nz", "\r"], 3)]);
    }

    #[test]
    fn the_end_of_the_input() {
        let mut starts = Vec::new();
        // Without a final newline: a record at the end of the file, more input needed
        // otherwise.
        for doc in [&b"a,b"[..], b"a,\"b\"", b"a,", b"\"\""] {
            assert!(matches!(
                split_record(doc, 0, true, &mut starts),
                Split::Record { end, .. } if end == doc.len()
            ));
            assert_eq!(split_record(doc, 0, false, &mut starts), Split::Incomplete);
        }
        assert_eq!(split_all(b"a,").0, [rec(&["a", ""], 0)]);
        assert_eq!(split_all(b"x,\"y\"\"\"").0, [rec(&["x", "y\""], 0)]);
        // A quote left open: the reference reads the rest of the file.
        assert_eq!(
            split_record(b"a,\"b\n", 0, true, &mut starts),
            Split::Unsure
        );
        assert_eq!(
            split_record(b"a,\"b\n", 0, false, &mut starts),
            Split::Incomplete
        );
    }

    #[test]
    fn unusual_quotes_go_to_the_reference() {
        let mut starts = Vec::new();
        for doc in [
            &b"a\"b,c\n"[..],
            b"\"ab\"c,d\n",
            b"\"ab\" ,d\n",
            b"x,a\"\n",
            b"\"a\"\"\"b\n",
            b"\"a\"x",
        ] {
            assert_eq!(
                split_record(doc, 0, true, &mut starts),
                Split::Unsure,
                "{:?}",
                String::from_utf8_lossy(doc)
            );
        }
        // The next record's oddities are not this record's.
        assert!(matches!(
            split_record(b"a,b\na\"b\n", 0, true, &mut starts),
            Split::Record { end: 4, .. }
        ));
    }

    #[test]
    fn quotes_and_commas_on_every_block_offset() {
        for n in 0..200 {
            let pad = "x".repeat(n);
            let doc = format!("{pad},\"q\"\"q,\nq\",\"\",z\r\n{pad}\"\n");
            let (recs, last) = split_all(doc.as_bytes());
            assert_eq!(recs, [rec(&[&pad, "q\"q,\nq", "", "z"], 1)], "{n}");
            // The second line has a bare quote.
            assert_eq!(last, Split::Unsure, "{n}");
            let doc = format!("\"{pad}\"");
            assert_eq!(split_all(doc.as_bytes()).0, [rec(&[&pad], 0)], "{n}");
        }
    }
}

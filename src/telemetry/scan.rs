//! The fast JSON-lines path: a byte scanner over one line that walks the top-level
//! object once, checks its syntax, and notes where the needed values are.
//!
//! Contract (checked by the property tests in `tests.rs` and the `scan_jsonl` fuzz
//! target): when [`scan_row`] returns `true`,
//! serde_json would have accepted the line too and produced the same cells; when it is
//! not sure it returns `false` and the caller runs the serde_json path. It is stricter
//! than JSON on purpose: escapes in keys, `\u` escapes of surrogates, numbers with an
//! exponent or longer than 20 bytes, nesting deeper than 100 and duplicate needed keys
//! all go to the reference path.
//!
//! Rows of one export have the same keys in the same order and the same whitespace, so
//! the scanner remembers the layout of the last row it walked ([`Shape`]): for each
//! field, the bytes between the previous value and this one (`,"Key":`, the *gap*) and
//! where its value goes. While a row follows that layout, each gap is one or two vector
//! compares of known bytes (the remembered gap was checked when it was learned, so equal
//! bytes are valid); a gap whose whitespace differs is walked (whitespace, `,`, the key's
//! bytes); at the first other difference the row is walked again key by key
//! ([`scan_generic`]) and becomes the new layout.
//!
//! Strings are skipped 32 bytes at a time: with SSE2 (the x86-64 baseline), or with
//! AVX2 in a second build of the scanner ([`scan_avx2`]) chosen at run time.

use std::borrow::Cow;

use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};

/// Where a needed value is, as byte offsets into the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Span {
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
pub(crate) struct KeyIndex {
    by_len: Vec<Vec<(Box<[u8]>, usize)>>,
    /// The layout of the last row walked key by key.
    shape: Shape,
    /// The fields of the row being walked key by key (kept for its allocation).
    fields: Vec<FieldAt>,
    /// Scan with AVX2 (the CPU has it).
    avx2: bool,
    /// Rows accepted by following the shape (for tests and curiosity).
    shaped_rows: u64,
    /// Number of slots; `Type` is target `width`, `$table` is `width + 1` unless
    /// they are slots themselves.
    width: usize,
    type_target: usize,
    dollar_target: usize,
}

impl KeyIndex {
    pub(crate) fn new(slot_names: &[String]) -> KeyIndex {
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
            shape: Shape::default(),
            fields: Vec::new(),
            avx2: has_avx2(),
            shaped_rows: 0,
            width,
            type_target,
            dollar_target,
        }
    }

    /// Scans without AVX2 even when the CPU has it (tests and fuzzing run both paths).
    pub(crate) fn disable_avx2(&mut self) {
        self.avx2 = false;
    }

    /// How many rows were accepted by following the remembered shape.
    #[cfg(test)]
    pub(crate) fn shaped_rows(&self) -> u64 {
        self.shaped_rows
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

/// The scanner for the query engine's reader (`engine::input`): where the values of the
/// named keys are in one line, under the same contract as [`scan_row`] (`None` = not
/// sure: the caller parses the line with serde_json, the reference).
pub(crate) struct LineScanner {
    keys: KeyIndex,
    spans: Vec<Span>,
}

impl LineScanner {
    pub(crate) fn new(names: &[String]) -> LineScanner {
        LineScanner {
            keys: KeyIndex::new(names),
            spans: Vec::new(),
        }
    }

    /// The span of each name's value (in the order of `names`), or `None` when not sure.
    pub(crate) fn scan(&mut self, line: &str) -> Option<&[Span]> {
        let width = self.keys.width;
        self.spans.clear();
        self.spans.resize(width + 2, Span::Missing);
        scan(line.as_bytes(), &mut self.keys, &mut self.spans)?;
        Some(&self.spans[..width])
    }
}

/// Scans one line with the engine's keys into `cells` / `seen`; `false` = not sure.
pub(crate) fn scan_row<'a>(
    line: &'a str,
    keys: &mut KeyIndex,
    spans: &mut Vec<Span>,
    seen: &mut [bool],
    cells: &mut [Option<Cow<'a, str>>],
) -> bool {
    spans.clear();
    spans.resize(keys.width + 2, Span::Missing);
    if scan(line.as_bytes(), keys, spans).is_none() {
        return false;
    }
    let (needed, extra) = spans.split_at(keys.width);
    for ((&span, cell), seen) in needed.iter().zip(cells.iter_mut()).zip(seen.iter_mut()) {
        if span == Span::Missing {
            continue;
        }
        let Some(value) = span_cell(line, span) else {
            return false;
        };
        *cell = value;
        *seen = true;
    }
    // `Type` and `$table` when they are not slots: decoded only to validate them.
    extra
        .iter()
        .all(|&span| span == Span::Missing || span_cell(line, span).is_some())
}

/// The cell of a found value (not `Span::Missing`); `None` when serde_json rejects it.
#[inline(always)]
fn span_cell(line: &str, span: Span) -> Option<Option<Cow<'_, str>>> {
    Some(match span {
        Span::Missing | Span::Null => None,
        Span::True => Some(Cow::Borrowed("true")),
        Span::False => Some(Cow::Borrowed("false")),
        Span::Str(s, e) | Span::Int(s, e) => Some(Cow::Borrowed(&line[s..e])),
        Span::Other(s, e) | Span::EscStr(s, e) => decoded_cell(&line[s..e])?,
    })
}

/// A value with escapes, a float or a nested value, decoded by serde_json (rare).
#[cold]
#[inline(never)]
fn decoded_cell(text: &str) -> Option<Option<Cow<'_, str>>> {
    let mut de = serde_json::Deserializer::from_str(text);
    CellValue::deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .ok()
        .map(|v| v.0)
}

/// The row's table from `Type` / `$table`, as `v.get("Type").or_else(|| v.get("$table"))
/// .and_then(as_str)` on the parsed line: `None` = not sure, `Some(None)` = no table.
pub(crate) fn row_table<'a>(
    line: &'a str,
    keys: &mut KeyIndex,
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

/// Walks the top-level object (see [`scan_impl`]), with AVX2 when the CPU has it.
fn scan(b: &[u8], keys: &mut KeyIndex, spans: &mut [Span]) -> Option<()> {
    #[cfg(target_arch = "x86_64")]
    if keys.avx2 {
        // SAFETY: `keys.avx2` is set only when `is_x86_feature_detected!` found every
        // feature `scan_avx2` is compiled for.
        return unsafe { scan_avx2(b, keys, spans) };
    }
    scan_impl::<false>(b, keys, spans)
}

/// [`scan_impl`] compiled for AVX2 (and BMI, POPCNT, LZCNT): the helpers it inlines use
/// 32-byte vectors and the newer bit instructions.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,bmi1,bmi2,popcnt,lzcnt")]
fn scan_avx2(b: &[u8], keys: &mut KeyIndex, spans: &mut [Span]) -> Option<()> {
    scan_impl::<true>(b, keys, spans)
}

/// Whether this CPU has AVX2 and `RULECAT_NO_AVX2` is not set in the environment (it
/// turns every AVX2 path off, to time or debug the SSE2 ones): the JSON scanner and the
/// matcher's line reader ask this.
pub(crate) fn avx2_allowed() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::env::var_os("RULECAT_NO_AVX2").is_none() && is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether this CPU has every feature [`scan_avx2`] is compiled for (`RULECAT_NO_AVX2`
/// in the environment turns the AVX2 build off, to time or debug the SSE2 one).
fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        avx2_allowed()
            && is_x86_feature_detected!("bmi1")
            && is_x86_feature_detected!("bmi2")
            && is_x86_feature_detected!("popcnt")
            && is_x86_feature_detected!("lzcnt")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// [`find_special_sse2`], or its AVX2 form when `AVX2` (only inside [`scan_avx2`]).
#[inline(always)]
fn find_special<const AVX2: bool>(b: &[u8], i: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        // SAFETY: `AVX2` is true only in code reached from `scan_avx2`, which runs only
        // after `has_avx2` found the features.
        return unsafe { find_special_avx2(b, i) };
    }
    find_special_sse2(b, i)
}

/// The first byte at or after `i` that is `"`, `\` or a control character, or
/// `b.len()`: 32 bytes at a time with AVX2, then [`find_special_sse2`] for the tail.
///
/// # Safety
///
/// The CPU must have AVX2. Not a `#[target_feature]` function so that it can be inlined
/// into [`scan_avx2`], which has the feature; reached only from there.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn find_special_avx2(b: &[u8], mut i: usize) -> usize {
    use std::arch::x86_64::*;
    // SAFETY (every intrinsic below): the caller guarantees AVX2; the only memory
    // access is an unaligned 32-byte load at `i`, and `i + 32 <= b.len()` keeps it
    // inside `b`.
    unsafe {
        let quote = _mm256_set1_epi8(b'"' as i8);
        let backslash = _mm256_set1_epi8(b'\\' as i8);
        let below = _mm256_set1_epi8(0x1f);
        while i + 32 <= b.len() {
            let x = _mm256_loadu_si256(b.as_ptr().add(i).cast::<__m256i>());
            let m = _mm256_or_si256(
                _mm256_or_si256(_mm256_cmpeq_epi8(x, quote), _mm256_cmpeq_epi8(x, backslash)),
                // x <= 0x1f (unsigned) <=> max(x, 0x1f) == 0x1f
                _mm256_cmpeq_epi8(_mm256_max_epu8(x, below), below),
            );
            let mask = _mm256_movemask_epi8(m) as u32;
            if mask != 0 {
                return i + mask.trailing_zeros() as usize;
            }
            i += 32;
        }
    }
    find_special_sse2(b, i)
}

/// The first byte at or after `i` that is `"`, `\` or a control character (< 0x20),
/// or `b.len()`: 32 then 16 bytes at a time with SSE2 (part of the x86-64 baseline),
/// eight at a time (SWAR) elsewhere and for the tail.
#[inline]
fn find_special_sse2(b: &[u8], mut i: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE2 is part of the x86-64 baseline, so the intrinsics are available;
    // the only memory accesses are unaligned 16-byte loads at `i` and `i + 16`, and
    // `i + 32 <= b.len()` (`i + 16 <= b.len()` for the single load) keeps them inside `b`.
    unsafe {
        use std::arch::x86_64::*;
        let quote = _mm_set1_epi8(b'"' as i8);
        let backslash = _mm_set1_epi8(b'\\' as i8);
        let below = _mm_set1_epi8(0x1f);
        let special = |x: __m128i| {
            _mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)),
                // x <= 0x1f (unsigned) <=> max(x, 0x1f) == 0x1f
                _mm_cmpeq_epi8(_mm_max_epu8(x, below), below),
            )
        };
        // Thirty-two bytes a step: most keys and values end within the first step, so
        // the loop's exit is predictable.
        while i + 32 <= b.len() {
            let x0 = _mm_loadu_si128(b.as_ptr().add(i).cast::<__m128i>());
            let x1 = _mm_loadu_si128(b.as_ptr().add(i + 16).cast::<__m128i>());
            let mask = (_mm_movemask_epi8(special(x0)) as u32)
                | ((_mm_movemask_epi8(special(x1)) as u32) << 16);
            if mask != 0 {
                return i + mask.trailing_zeros() as usize;
            }
            i += 32;
        }
        if i + 16 <= b.len() {
            let x = _mm_loadu_si128(b.as_ptr().add(i).cast::<__m128i>());
            let mask = _mm_movemask_epi8(special(x)) as u32;
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

/// The layout of the last row that had to be walked key by key ([`scan_generic`]): for
/// each field, its *gap* (the bytes from the previous value's end, or the line's start,
/// to its value: whitespace, `{` or `,`, the key in quotes, `:`), where in the gap the key
/// is (from its opening quote to after its colon) and the value's target; then the
/// *tail* (the bytes after the last value: `}` and whitespace). All gaps are in `bytes`,
/// which ends with [`PAD`] bytes of padding so that vector loads at a gap stay inside it.
#[derive(Default)]
struct Shape {
    known: bool,
    bytes: Vec<u8>,
    fields: Vec<ShapeField>,
    /// The tail: `bytes[tail.0..tail.0 + tail.1]`.
    tail: (usize, usize),
}

#[derive(Clone, Copy)]
struct ShapeField {
    /// The gap: `bytes[gap..gap + len]`.
    gap: usize,
    len: usize,
    /// The key, relative to the gap's start.
    key: (usize, usize),
    target: Option<usize>,
    /// The gap's first 64 bytes (zeros after its end) and a bit for each of them
    /// (`len` bits): with AVX2, a gap of up to 64 bytes is compared in one step
    /// ([`gap_eq64`]).
    head: [u8; 64],
    want: u64,
}

/// Padding after the gaps of a [`Shape`] (one vector load).
const PAD: usize = 32;

/// One field of a row being walked by [`scan_generic`]: the key from its opening quote to
/// after its colon, the value, as offsets into the line.
#[derive(Clone, Copy)]
struct FieldAt {
    key: (usize, usize),
    value: (usize, usize),
    target: Option<usize>,
}

impl Shape {
    /// Learns the layout of row `b`, whose fields [`scan_generic`] found at `fields`.
    #[cold]
    fn learn(&mut self, b: &[u8], fields: &[FieldAt]) {
        RELEARNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.bytes.clear();
        self.fields.clear();
        let mut prev = 0;
        for f in fields {
            let gap = self.bytes.len();
            let gap_bytes = &b[prev..f.value.0];
            self.bytes.extend_from_slice(gap_bytes);
            let mut head = [0; 64];
            let n = gap_bytes.len().min(64);
            head[..n].copy_from_slice(&gap_bytes[..n]);
            self.fields.push(ShapeField {
                gap,
                len: gap_bytes.len(),
                key: (f.key.0 - prev, f.key.1 - prev),
                target: f.target,
                head,
                want: if n == 64 { u64::MAX } else { (1u64 << n) - 1 },
            });
            prev = f.value.1;
        }
        self.tail = (self.bytes.len(), b.len() - prev);
        self.bytes.extend_from_slice(&b[prev..]);
        self.bytes.extend_from_slice(&[0; PAD]);
        self.known = true;
    }
}

/// `b[i..i + n]` equals `bytes[off..off + n]` (`bytes` has [`PAD`] more bytes after the
/// gap): one or two vector compares for the usual gaps, whose lengths are 2 to 60 bytes.
#[inline(always)]
fn gap_eq<const AVX2: bool>(b: &[u8], i: usize, bytes: &[u8], off: usize, n: usize) -> bool {
    #[cfg(target_arch = "x86_64")]
    if AVX2 && n <= 32 && i + 32 <= b.len() {
        let Some(gap) = bytes.get(off..off + 32) else {
            return false;
        };
        use std::arch::x86_64::*;
        // SAFETY: `AVX2` is true only in code reached from `scan_avx2`, which runs only
        // after `has_avx2` found the feature; the loads are 32 bytes at the start of
        // `b[i..i + 32]` and of `gap`, both 32 bytes long.
        let mask = unsafe {
            _mm256_movemask_epi8(_mm256_cmpeq_epi8(
                _mm256_loadu_si256(b.as_ptr().add(i).cast::<__m256i>()),
                _mm256_loadu_si256(gap.as_ptr().cast::<__m256i>()),
            )) as u32
        };
        // The first `n` bytes are equal (`n <= 32`: no overflow in 64 bits).
        let want = ((1u64 << n) - 1) as u32;
        return mask & want == want;
    }
    #[cfg(target_arch = "x86_64")]
    if n <= 32 && i + 32 <= b.len() {
        let Some(gap) = bytes.get(off..off + 32) else {
            return false;
        };
        use std::arch::x86_64::*;
        // SAFETY: SSE2 is part of the x86-64 baseline; the four loads are 16 bytes at
        // offsets 0 and 16 of `b[i..i + 32]` and of `gap`, both 32 bytes long.
        let mask = unsafe {
            let (p, q) = (b.as_ptr().add(i), gap.as_ptr());
            let lo = _mm_cmpeq_epi8(
                _mm_loadu_si128(p.cast::<__m128i>()),
                _mm_loadu_si128(q.cast::<__m128i>()),
            );
            let hi = _mm_cmpeq_epi8(
                _mm_loadu_si128(p.add(16).cast::<__m128i>()),
                _mm_loadu_si128(q.add(16).cast::<__m128i>()),
            );
            (_mm_movemask_epi8(lo) as u32) | ((_mm_movemask_epi8(hi) as u32) << 16)
        };
        // The first `n` bytes are equal.
        let want = if n == 32 { u32::MAX } else { (1u32 << n) - 1 };
        return mask & want == want;
    }
    #[cfg(target_arch = "x86_64")]
    if AVX2 && n <= 64 && i + n <= b.len() && n > 32 {
        let (Some(gap), Some(row)) = (bytes.get(off..off + n), b.get(i..i + n)) else {
            return false;
        };
        use std::arch::x86_64::*;
        // SAFETY: `AVX2` is true only in code reached from `scan_avx2`, which runs only
        // after `has_avx2` found the feature; the loads are 32 bytes at offsets 0 and
        // `n - 32` (32 < n <= 64) of `gap` and `row`, both `n` bytes long.
        return unsafe {
            let (p, q) = (row.as_ptr(), gap.as_ptr());
            let head = _mm256_cmpeq_epi8(
                _mm256_loadu_si256(p.cast::<__m256i>()),
                _mm256_loadu_si256(q.cast::<__m256i>()),
            );
            let last = _mm256_cmpeq_epi8(
                _mm256_loadu_si256(p.add(n - 32).cast::<__m256i>()),
                _mm256_loadu_si256(q.add(n - 32).cast::<__m256i>()),
            );
            _mm256_movemask_epi8(_mm256_and_si256(head, last)) == -1
        };
    }
    match bytes.get(off..off + n) {
        Some(gap) => starts_with_at(b, i, gap),
        None => false,
    }
}

/// With AVX2: the bytes of `b[i..i + 64]` whose bits are set in `want` equal those of
/// `head` (a gap of up to 64 bytes, see [`ShapeField`]); `false` when not sure (no AVX2,
/// fewer than 64 bytes left: the caller uses [`gap_eq`]).
#[inline(always)]
fn gap_eq64<const AVX2: bool>(b: &[u8], i: usize, head: &[u8; 64], want: u64) -> bool {
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        let Some(row) = b.get(i..i + 64) else {
            return false;
        };
        use std::arch::x86_64::*;
        // SAFETY: `AVX2` is true only in code reached from `scan_avx2`, which runs only
        // after `has_avx2` found the feature; the loads are 32 bytes at offsets 0 and 32
        // of `row` and `head`, both 64 bytes long.
        let mask = unsafe {
            let (p, q) = (row.as_ptr(), head.as_ptr());
            let lo = _mm256_cmpeq_epi8(
                _mm256_loadu_si256(p.cast::<__m256i>()),
                _mm256_loadu_si256(q.cast::<__m256i>()),
            );
            let hi = _mm256_cmpeq_epi8(
                _mm256_loadu_si256(p.add(32).cast::<__m256i>()),
                _mm256_loadu_si256(q.add(32).cast::<__m256i>()),
            );
            u64::from(_mm256_movemask_epi8(lo) as u32)
                | (u64::from(_mm256_movemask_epi8(hi) as u32) << 32)
        };
        return mask & want == want;
    }
    let _ = (b, i, head, want);
    false
}

/// `b[i..]` starts with `key`: sixteen bytes a compare (the last one overlapping the one
/// before), no library call; keys are 4 to 60 bytes.
#[inline(always)]
fn starts_with_at(b: &[u8], i: usize, key: &[u8]) -> bool {
    let n = key.len();
    let Some(hay) = b.get(i..i + n) else {
        return false;
    };
    if n < 16 {
        let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8"));
        return if n >= 8 {
            // Two overlapping words.
            word(hay, 0) == word(key, 0) && word(hay, n - 8) == word(key, n - 8)
        } else {
            hay.iter().zip(key).all(|(a, b)| a == b)
        };
    }
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        let eq16 = |at: usize| {
            // SAFETY: SSE2 is part of the x86-64 baseline; both loads are 16 bytes at
            // `at <= n - 16` of slices of length `n`.
            unsafe {
                let x = _mm_loadu_si128(hay.as_ptr().add(at).cast::<__m128i>());
                let y = _mm_loadu_si128(key.as_ptr().add(at).cast::<__m128i>());
                _mm_movemask_epi8(_mm_cmpeq_epi8(x, y)) == 0xffff
            }
        };
        let mut at = 0;
        while at + 16 < n {
            if !eq16(at) {
                return false;
            }
            at += 16;
        }
        eq16(n - 16)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        hay == key
    }
}

/// Walks the top-level object, filling `spans`; `None` = not sure. Follows the remembered
/// shape when the row does, and learns this row's shape when it does not.
#[inline(always)]
fn scan_impl<const AVX2: bool>(b: &[u8], keys: &mut KeyIndex, spans: &mut [Span]) -> Option<()> {
    if keys.shape.known {
        if scan_shaped::<AVX2>(b, &keys.shape, spans).is_some() {
            keys.shaped_rows += 1;
            return Some(());
        }
        spans.fill(Span::Missing);
    }
    scan_generic::<AVX2>(b, keys, spans)
}

/// The row as the remembered shape says it is: the same keys in the same order. Each gap
/// is first compared as bytes with the remembered one (which was checked when it was
/// learned, so equal bytes are valid JSON); when the whitespace differs, the gap is
/// walked (whitespace, `{` or `,`, whitespace, the key's bytes, whitespace). `None` at the
/// first difference (then the caller starts over with [`scan_generic`], which learns the
/// new shape).
#[inline(always)]
fn scan_shaped<const AVX2: bool>(b: &[u8], shape: &Shape, spans: &mut [Span]) -> Option<()> {
    let bytes = &shape.bytes[..];
    let mut i = 0;
    for (f, field) in shape.fields.iter().enumerate() {
        let same = if AVX2 && field.len <= 64 && i + 64 <= b.len() {
            gap_eq64::<AVX2>(b, i, &field.head, field.want)
        } else {
            gap_eq::<AVX2>(b, i, bytes, field.gap, field.len)
        };
        if same {
            i += field.len;
            // The gap may end before whitespace this row has.
            if b.get(i).is_some_and(|&c| c <= b' ') {
                i = ws(b, i);
            }
        } else {
            i = ws(b, i);
            if b.get(i) != Some(if f == 0 { &b'{' } else { &b',' }) {
                return None;
            }
            i = ws(b, i + 1);
            let key = bytes.get(field.gap + field.key.0..field.gap + field.key.1)?;
            if !starts_with_at(b, i, key) {
                return None;
            }
            i = ws(b, i + key.len());
        }
        i = field_value::<AVX2>(b, i, field.target, spans)?;
    }
    let (tail, n) = shape.tail;
    if i + n == b.len() && gap_eq::<AVX2>(b, i, bytes, tail, n) {
        return Some(());
    }
    i = ws(b, i);
    if shape.fields.is_empty() {
        if b.get(i) != Some(&b'{') {
            return None;
        }
        i = ws(b, i + 1);
    }
    if b.get(i) != Some(&b'}') {
        return None;
    }
    (ws(b, i + 1) == b.len()).then_some(())
}

/// Walks the top-level object key by key, looking each key up, and learns the row's
/// shape when it parses.
#[inline(always)]
fn scan_generic<const AVX2: bool>(b: &[u8], keys: &mut KeyIndex, spans: &mut [Span]) -> Option<()> {
    let mut i = ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = ws(b, i + 1);
    let mut fields = std::mem::take(&mut keys.fields);
    fields.clear();
    let walked = walk_fields::<AVX2>(b, i, keys, spans, &mut fields);
    if walked.is_some() {
        if b.len() > u32::MAX as usize {
            // A line over 4 GiB is not worth remembering.
            keys.shape = Shape::default();
        } else {
            keys.shape.learn(b, &fields);
        }
    }
    keys.fields = fields;
    walked
}

/// The members of the top-level object from `i` (after its `{` and whitespace) to the
/// end of the line, recorded in `fields`.
#[inline(always)]
fn walk_fields<const AVX2: bool>(
    b: &[u8],
    mut i: usize,
    keys: &KeyIndex,
    spans: &mut [Span],
    fields: &mut Vec<FieldAt>,
) -> Option<()> {
    if b.get(i) == Some(&b'}') {
        i += 1;
    } else {
        loop {
            if b.get(i) != Some(&b'"') {
                return None;
            }
            let start = i;
            let ks = i + 1;
            let ke = find_special::<AVX2>(b, ks);
            if b.get(ke) != Some(&b'"') {
                return None; // an escape or a control character in the key, or EOF
            }
            i = ws(b, ke + 1);
            if b.get(i) != Some(&b':') {
                return None;
            }
            i += 1;
            let key = (start, i);
            let target = keys.get(&b[ks..ke]);
            if b.get(i).is_some_and(|&c| c <= b' ') {
                i = ws(b, i);
            }
            let vs = i;
            i = field_value::<AVX2>(b, i, target, spans)?;
            fields.push(FieldAt {
                key,
                value: (vs, i),
                target,
            });
            // `,` or `}`, usually right after the value.
            if b.get(i).is_some_and(|&c| c <= b' ') {
                i = ws(b, i);
            }
            match b.get(i) {
                Some(b',') => {
                    i += 1;
                    if b.get(i).is_some_and(|&c| c <= b' ') {
                        i = ws(b, i);
                    }
                }
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

/// The value of a field at `i`: noted in `spans` when the field is needed (a second
/// needed value for the same slot is a duplicate key: the reference decides), skipped
/// otherwise, strings and numbers inline (most values are one or the other). Its end.
#[inline(always)]
fn field_value<const AVX2: bool>(
    b: &[u8],
    i: usize,
    target: Option<usize>,
    spans: &mut [Span],
) -> Option<usize> {
    match target {
        Some(target) => {
            if spans[target] != Span::Missing {
                return None;
            }
            let (span, end) = value::<AVX2>(b, i)?;
            spans[target] = span;
            Some(end)
        }
        None => match *b.get(i)? {
            b'"' => {
                let e = find_special::<AVX2>(b, i + 1);
                if b.get(e) == Some(&b'"') {
                    Some(e + 1)
                } else {
                    skip_str::<AVX2>(b, i)
                }
            }
            b'-' | b'0'..=b'9' => number(b, i).map(|(e, _)| e),
            _ => skip_value::<AVX2>(b, i, 1),
        },
    }
}

/// A needed value at `i` (no whitespace before it): its span and end.
#[inline(always)]
fn value<const AVX2: bool>(b: &[u8], i: usize) -> Option<(Span, usize)> {
    match *b.get(i)? {
        b'"' => {
            let e = find_special::<AVX2>(b, i + 1);
            if b.get(e) == Some(&b'"') {
                Some((Span::Str(i + 1, e), e + 1))
            } else {
                let end = skip_str::<AVX2>(b, i)?;
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
            let end = skip_value::<AVX2>(b, i, 1)?;
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
#[inline(always)]
fn skip_str<const AVX2: bool>(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        j = find_special::<AVX2>(b, j);
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
#[inline]
fn number(b: &[u8], i: usize) -> Option<(usize, bool)> {
    let mut j = i;
    let neg = b.get(j) == Some(&b'-');
    if neg {
        j += 1;
    }
    let digits = j;
    let first = *b.get(j)?;
    j += 1;
    match first {
        b'0' => {}
        b'1'..=b'9' => {
            while b.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
        }
        _ => return None,
    }
    let int_end = j;
    match b.get(j) {
        Some(b'.') => {
            j += 1;
            let f = j;
            while b.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
            if j == f || matches!(b.get(j), Some(b'e' | b'E')) {
                return None;
            }
        }
        Some(b'e' | b'E') => return None,
        _ => {}
    }
    if j - i > 20 {
        return None;
    }
    // `-0` prints back as `0`: not simple.
    let simple = j == int_end && int_end - digits <= 18 && !(neg && first == b'0');
    Some((j, simple))
}

/// Skips any JSON value at `i` (no whitespace before it); `None` = not sure.
fn skip_value<const AVX2: bool>(b: &[u8], i: usize, depth: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => skip_str::<AVX2>(b, i),
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
                    j = ws(b, skip_str::<AVX2>(b, j)?);
                    if b.get(j) != Some(&b':') {
                        return None;
                    }
                    j = ws(b, j + 1);
                }
                j = ws(b, skip_value::<AVX2>(b, j, depth + 1)?);
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

pub(crate) static RELEARNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A JSON value as the text the matcher compares (`None` for null).
pub(crate) struct CellValue<'de>(pub(crate) Option<Cow<'de, str>>);

impl<'de> serde::Deserialize<'de> for CellValue<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CellValue<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CellValue(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CellValue(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(CellValue(Some(Cow::Owned(v))))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(CellValue(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(CellValue(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(CellValue(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
                Ok(CellValue(Some(Cow::Borrowed(if v {
                    "true"
                } else {
                    "false"
                }))))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(CellValue(None))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(CellValue(None))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(v) = a.next_element::<serde_json::Value>()? {
                    items.push(v);
                }
                Ok(CellValue(Some(Cow::Owned(
                    serde_json::Value::Array(items).to_string(),
                ))))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                let mut m = serde_json::Map::new();
                while let Some((k, v)) = a.next_entry::<String, serde_json::Value>()? {
                    m.insert(k, v);
                }
                Ok(CellValue(Some(Cow::Owned(
                    serde_json::Value::Object(m).to_string(),
                ))))
            }
        }
        d.deserialize_any(V)
    }
}

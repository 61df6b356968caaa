//! Line splitting for JSON lines: one buffer, no copy per line, and one pass over each
//! line's bytes that finds its newline and notes where its non-ASCII bytes are, so that
//! UTF-8 validation looks only at those.

use std::io::Read;

/// One line (with its `\n`, the last one maybe without) and where its non-ASCII bytes
/// are: every byte outside `raw[lo..hi]` is ASCII (`lo == hi`: all of them are).
pub(super) struct Line<'a> {
    pub(super) raw: &'a [u8],
    lo: usize,
    hi: usize,
}

impl<'a> Line<'a> {
    /// The line as text, or the error `std::str::from_utf8` gives for it. Only the bytes
    /// from the first non-ASCII byte to the last are validated: the byte before that range
    /// and the byte after it are ASCII (or the line's ends), so no character straddles
    /// its edges, and the line is valid UTF-8 exactly when the range is.
    pub(super) fn text(&self) -> Result<&'a str, std::str::Utf8Error> {
        if self.lo == self.hi || simdutf8::basic::from_utf8(&self.raw[self.lo..self.hi]).is_ok() {
            debug_assert!(std::str::from_utf8(self.raw).is_ok());
            // SAFETY: the bytes outside `lo..hi` are ASCII and `raw[lo..hi]`, bounded by
            // ASCII bytes or the line's ends, is valid UTF-8 (checked just above), so the
            // whole line is valid UTF-8.
            return Ok(unsafe { std::str::from_utf8_unchecked(self.raw) });
        }
        std::str::from_utf8(self.raw)
    }
}

/// Hands out the lines of a file from one buffer: no copy per line. The buffer is
/// small enough (256 KiB) for what `read` copies into it to be still in the cache when
/// the line is scanned; a longer line grows it.
pub(super) struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Bytes from `start` known to hold no newline.
    scanned: usize,
    /// The non-ASCII range of the line being found, relative to `start` (`lo == hi`:
    /// none yet).
    lo: usize,
    hi: usize,
    eof: bool,
    /// Search with AVX2 (the CPU has it).
    avx2: bool,
}

impl<R: Read> LineReader<R> {
    pub(super) fn new(inner: R) -> Self {
        Self::with_capacity(inner, 1 << 18)
    }

    pub(super) fn with_capacity(inner: R, capacity: usize) -> Self {
        LineReader {
            inner,
            buf: vec![0; capacity.max(1)],
            start: 0,
            end: 0,
            scanned: 0,
            lo: 0,
            hi: 0,
            eof: false,
            avx2: crate::telemetry::scan::avx2_allowed(),
        }
    }

    /// Searches without AVX2 even when the CPU has it (tests run both paths).
    #[cfg(test)]
    pub(super) fn disable_avx2(&mut self) {
        self.avx2 = false;
    }

    pub(super) fn next_line(&mut self) -> std::io::Result<Option<Line<'_>>> {
        loop {
            let from = self.start + self.scanned;
            let found = find_line_end(
                &self.buf[from..self.end],
                self.scanned,
                &mut self.lo,
                &mut self.hi,
                self.avx2,
            );
            if let Some(m) = found {
                let s = self.start;
                let e = from + m + 1;
                self.start = e;
                return Ok(Some(self.take(s, e)));
            }
            self.scanned = self.end - self.start;
            if self.eof {
                if self.start < self.end {
                    let (s, e) = (self.start, self.end);
                    self.start = self.end;
                    return Ok(Some(self.take(s, e)));
                }
                return Ok(None);
            }
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if self.end == self.buf.len() {
                self.buf.resize(self.buf.len() * 2, 0);
            }
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// The line `buf[s..e]`, resetting the per-line state.
    fn take(&mut self, s: usize, e: usize) -> Line<'_> {
        let (lo, hi) = (self.lo, self.hi);
        self.scanned = 0;
        self.lo = 0;
        self.hi = 0;
        Line {
            raw: &self.buf[s..e],
            lo,
            hi,
        }
    }
}

/// The index in `hay` of its first `\n`, or `None`; widens `lo..hi` (offsets from the
/// line's start, which is `base` bytes before `hay`) to cover every non-ASCII byte
/// before the newline.
fn find_line_end(
    hay: &[u8],
    base: usize,
    lo: &mut usize,
    hi: &mut usize,
    avx2: bool,
) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if avx2 {
        // SAFETY: `avx2` is set only when `has_avx2` found the feature.
        return unsafe { find_line_end_avx2(hay, base, lo, hi) };
    }
    let _ = avx2;
    find_line_end_from(hay, 0, base, lo, hi)
}

/// Notes the non-ASCII bytes flagged in `mask` (bit `k` = byte `at + k` of `hay`).
#[inline(always)]
fn note_non_ascii(mask: u64, at: usize, base: usize, lo: &mut usize, hi: &mut usize) {
    if mask == 0 {
        return;
    }
    let first = base + at + mask.trailing_zeros() as usize;
    let last = base + at + 63 - mask.leading_zeros() as usize;
    if *lo == *hi {
        *lo = first;
    }
    *hi = last + 1;
}

/// [`find_line_end`] 64 bytes a step with AVX2, then [`find_line_end_from`] for the tail.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn find_line_end_avx2(hay: &[u8], base: usize, lo: &mut usize, hi: &mut usize) -> Option<usize> {
    use std::arch::x86_64::*;
    let mut i = 0;
    let nl = _mm256_set1_epi8(b'\n' as i8);
    while i + 64 <= hay.len() {
        // SAFETY: two 32-byte loads at `i` and `i + 32`, and `i + 64 <= hay.len()`.
        let (x0, x1) = unsafe {
            let p = hay.as_ptr().add(i);
            (
                _mm256_loadu_si256(p.cast::<__m256i>()),
                _mm256_loadu_si256(p.add(32).cast::<__m256i>()),
            )
        };
        let e0 = _mm256_cmpeq_epi8(x0, nl);
        let e1 = _mm256_cmpeq_epi8(x1, nl);
        let any_nl = _mm256_movemask_epi8(_mm256_or_si256(e0, e1));
        let any_high = _mm256_movemask_epi8(_mm256_or_si256(x0, x1));
        if (any_nl | any_high) != 0 {
            let high = u64::from(_mm256_movemask_epi8(x0) as u32)
                | (u64::from(_mm256_movemask_epi8(x1) as u32) << 32);
            if any_nl != 0 {
                let nls = u64::from(_mm256_movemask_epi8(e0) as u32)
                    | (u64::from(_mm256_movemask_epi8(e1) as u32) << 32);
                let k = nls.trailing_zeros();
                // The non-ASCII bytes before the newline.
                note_non_ascii(high & ((1u64 << k) - 1), i, base, lo, hi);
                return Some(i + k as usize);
            }
            note_non_ascii(high, i, base, lo, hi);
        }
        i += 64;
    }
    find_line_end_from(hay, i, base, lo, hi)
}

/// [`find_line_end`] from `i`, eight bytes a step (SWAR).
fn find_line_end_from(
    hay: &[u8],
    mut i: usize,
    base: usize,
    lo: &mut usize,
    hi: &mut usize,
) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    while i + 8 <= hay.len() {
        let x = u64::from_le_bytes(hay[i..i + 8].try_into().expect("8 bytes"));
        let q = x ^ (LO * u64::from(b'\n'));
        // The lowest flagged byte is always a true newline (borrows run upwards only).
        let nl = q.wrapping_sub(LO) & !q & HI;
        let high = x & HI;
        if (nl | high) != 0 {
            let (k, before) = if nl != 0 {
                let k = (nl.trailing_zeros() / 8) as usize;
                (Some(k), (1u64 << (k * 8)) - 1)
            } else {
                (None, u64::MAX)
            };
            // One bit a byte, as the vector path has it.
            let mut mask = 0u64;
            for j in 0..8 {
                if (high & before) >> (j * 8 + 7) & 1 == 1 {
                    mask |= 1 << j;
                }
            }
            note_non_ascii(mask, i, base, lo, hi);
            if let Some(k) = k {
                return Some(i + k);
            }
        }
        i += 8;
    }
    while i < hay.len() {
        let c = hay[i];
        if c == b'\n' {
            return Some(i);
        }
        if c >= 0x80 {
            note_non_ascii(1, i, base, lo, hi);
        }
        i += 1;
    }
    None
}

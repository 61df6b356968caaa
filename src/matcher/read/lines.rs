//! Line splitting for JSON lines: one large buffer, no copy per line.

use std::io::Read;

/// Hands out the lines of a file (each with its `\n`, the last one maybe without),
/// from one large buffer: no copy per line. Newlines are found with `memchr`.
pub(super) struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Bytes from `start` known to hold no newline.
    scanned: usize,
    eof: bool,
}

impl<R: Read> LineReader<R> {
    pub(super) fn new(inner: R) -> Self {
        Self::with_capacity(inner, 1 << 22)
    }

    pub(super) fn with_capacity(inner: R, capacity: usize) -> Self {
        LineReader {
            inner,
            buf: vec![0; capacity.max(1)],
            start: 0,
            end: 0,
            scanned: 0,
            eof: false,
        }
    }

    pub(super) fn next_line(&mut self) -> std::io::Result<Option<&[u8]>> {
        loop {
            let from = self.start + self.scanned;
            if let Some(m) = memchr::memchr(b'\n', &self.buf[from..self.end]) {
                let s = self.start;
                let e = from + m + 1;
                self.start = e;
                self.scanned = 0;
                return Ok(Some(&self.buf[s..e]));
            }
            self.scanned = self.end - self.start;
            if self.eof {
                if self.start < self.end {
                    let s = self.start;
                    self.start = self.end;
                    self.scanned = 0;
                    return Ok(Some(&self.buf[s..self.end]));
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
}

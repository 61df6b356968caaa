//! CSV exports: a fast record splitter in front of the `csv` crate, only the needed
//! columns kept.
//!
//! The file is read in large blocks into one buffer. The header is read by the `csv`
//! crate (BOM, errors and all, exactly as before). Then each record goes through
//! [`csv_split::split_record`], which finds its fields 64 bytes at a time; the record's
//! bytes are checked as UTF-8 in one go and the needed fields are sliced out of the
//! buffer (unquoted, `""` unescaped only when present). Anything the splitter is not
//! sure about (a quote inside an unquoted field, text after a closing quote, an
//! unterminated quote) and any record that is not valid UTF-8 is read by the `csv`
//! crate, the reference, positioned at that record's byte, line and record index, so
//! its fields, its problem message and the position where the next record starts are
//! the reference's own.
//!
//! Blocks rather than a memory map: mapping saved only the kernel's copy (a few percent
//! here), while it would put the whole file in the resident set and turn a file
//! truncated while being read into a SIGBUS. Memory stays at one block, or the longest
//! record.

use std::borrow::Cow;
use std::io::{Read, Seek, SeekFrom};

use ::csv::{ByteRecord, Position, StringRecord};

use super::csv_split::{self, Split};
use super::*;

/// The first read size; the buffer doubles when one record does not fit.
const BLOCK: usize = 1 << 20;

pub(super) fn read_csv(
    reading: Reading<'_, '_>,
    file: impl std::io::Read,
    file_table: Option<String>,
) -> Result<(), MatchError> {
    let mut input = Input::new(file, BLOCK);
    let (headers, start) = match read_header(&mut input) {
        Ok(h) => h,
        Err(e) => {
            reading.problems.push(Problem {
                file: reading.path.to_path_buf(),
                line: 1,
                kind: ProblemKind::BadRecord,
                message: format!("cannot read the CSV header: {e}; file skipped"),
            });
            return Ok(());
        }
    };
    let mut sink = Sink {
        type_col: headers.iter().position(|h| h == "Type" || h == "$table"),
        headers,
        file_table,
        positions: Vec::new(),
        last_table: 0,
        store: Vec::new(),
        reading,
    };
    read_records(&mut input, &start, |event, read_so_far| match event {
        Event::Fast(at, rec) => sink.record(at.line, &rec, read_so_far),
        Event::Slow(at, rec) => sink.record(at.line, &rec, read_so_far),
        Event::Bad(e) => sink.bad_record(&e),
    });
    sink.reading.stats.bytes_read += input.read_so_far();
    Ok(())
}

/// Where a record starts, as the `csv` crate counts: the byte after the previous
/// record's terminator, the line there, the number of records before (header included).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct At {
    byte: u64,
    line: u64,
    record: u64,
}

/// What [`read_records`] hands out.
enum Event<'e> {
    /// A record split by the fast path.
    Fast(At, FastRecord<'e>),
    /// A record read by the `csv` crate.
    Slow(At, &'e StringRecord),
    /// The `csv` crate's error for a record (not UTF-8), or a read error (then the end).
    Bad(::csv::Error),
}

/// The records after the header (which ends at `start`), in order, to `f` with the
/// number of bytes read so far (for the progress bar).
fn read_records<R: Read>(
    input: &mut Input<R>,
    start: &Position,
    mut f: impl FnMut(Event<'_>, u64),
) {
    let mut at = input.index(start.byte());
    let mut line = start.line();
    let mut record_no = start.record();
    let mut starts: Vec<usize> = Vec::new();
    let mut slow_record = StringRecord::new();
    loop {
        let read_so_far = input.read_so_far();
        let (data, base, eof) = (input.data(), input.base, input.eof);
        // The reference's reader over this buffer, made on first use (making one costs
        // more than reading a record) and positioned at each record it reads.
        let mut slow: Option<::csv::Reader<Window<'_>>> = None;
        // The records of this buffer; then `true` when more input is needed.
        let more = loop {
            let here = At {
                byte: base + at as u64,
                line,
                record: record_no,
            };
            match csv_split::split_record(data, at, eof, &mut starts) {
                Split::Record {
                    body,
                    term,
                    end,
                    newlines,
                } => {
                    if let Ok(text) = simdutf8::basic::from_utf8(&data[body..term]) {
                        let rec = FastRecord {
                            text,
                            body,
                            starts: &starts,
                        };
                        f(Event::Fast(here, rec), read_so_far);
                        at = end;
                        line += newlines;
                        record_no += 1;
                        continue;
                    }
                    // Not UTF-8: the reference reads it and says where.
                }
                Split::End => break false,
                Split::Incomplete => break true,
                Split::Unsure => {}
            }
            let rdr = slow.get_or_insert_with(|| slow_reader(data, base, eof));
            let mut pos = Position::new();
            pos.set_byte(here.byte).set_line(line).set_record(record_no);
            match read_slow(rdr, pos, &mut slow_record) {
                Slow::Read(result, next) => {
                    match result {
                        Ok(()) => f(Event::Slow(here, &slow_record), read_so_far),
                        Err(e) => f(Event::Bad(e), read_so_far),
                    }
                    at = input.index(next.byte());
                    line = next.line();
                    record_no = next.record();
                }
                Slow::End => break false,
                Slow::NeedMore => break true,
                Slow::Failed(e) => {
                    f(Event::Bad(e), read_so_far);
                    break false;
                }
            }
        };
        drop(slow);
        if !more {
            return;
        }
        if let Err(e) = input.refill(at) {
            f(Event::Bad(e.into()), read_so_far);
            return;
        }
        at = 0;
    }
}

/// The file, read in blocks into one buffer: `buf[..filled]` holds the file's bytes
/// from byte `base` on.
struct Input<R> {
    file: R,
    buf: Vec<u8>,
    base: u64,
    filled: usize,
    eof: bool,
    /// A read error after some bytes, reported by the next `refill`.
    failed: Option<std::io::Error>,
}

impl<R: Read> Input<R> {
    fn new(file: R, capacity: usize) -> Self {
        Input {
            file,
            buf: vec![0; capacity.max(1)],
            base: 0,
            filled: 0,
            eof: false,
            failed: None,
        }
    }

    fn data(&self) -> &[u8] {
        &self.buf[..self.filled]
    }

    fn read_so_far(&self) -> u64 {
        self.base + self.filled as u64
    }

    /// The index in the buffer of the file's byte `byte` (at most the end).
    fn index(&self, byte: u64) -> usize {
        usize::try_from(byte.saturating_sub(self.base)).map_or(self.filled, |i| i.min(self.filled))
    }

    /// Drops the bytes before `keep` and reads until the buffer is full or the file
    /// ends; the buffer doubles when the bytes from `keep` fill it.
    fn refill(&mut self, keep: usize) -> std::io::Result<()> {
        let keep = keep.min(self.filled);
        if keep > 0 {
            self.buf.copy_within(keep..self.filled, 0);
            self.filled -= keep;
            self.base += keep as u64;
        }
        if self.filled == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        let before = self.filled;
        while self.filled < self.buf.len() && !self.eof {
            match self.file.read(&mut self.buf[self.filled..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                // The records read before the error come first, as with the `csv` crate.
                Err(e) if self.filled > before => {
                    self.failed = Some(e);
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// A record split by the fast path: its text (`body..term` of the buffer) and where
/// its fields start.
struct FastRecord<'a> {
    text: &'a str,
    body: usize,
    starts: &'a [usize],
}

/// The fields of one record, from either path.
trait Fields<'a> {
    fn len(&self) -> usize;
    fn get(&self, i: usize) -> Option<Cow<'a, str>>;
}

impl<'a> Fields<'a> for FastRecord<'a> {
    fn len(&self) -> usize {
        csv_split::field_count(self.starts)
    }
    fn get(&self, i: usize) -> Option<Cow<'a, str>> {
        csv_split::field(self.text, self.body, self.starts, i)
    }
}

impl<'a> Fields<'a> for &'a StringRecord {
    fn len(&self) -> usize {
        StringRecord::len(self)
    }
    fn get(&self, i: usize) -> Option<Cow<'a, str>> {
        StringRecord::get(self, i).map(Cow::Borrowed)
    }
}

/// Where the records go: the engines, the counts and the problems.
struct Sink<'r, 'b> {
    reading: Reading<'r, 'b>,
    headers: StringRecord,
    type_col: Option<usize>,
    file_table: Option<String>,
    /// Column positions per table, computed on first use, and the last one used.
    positions: Vec<(String, Vec<Option<usize>>)>,
    last_table: usize,
    /// The cells vector, recycled from row to row, as in `read_jsonl`.
    store: Vec<Option<Cow<'static, str>>>,
}

impl Sink<'_, '_> {
    fn bad_record(&mut self, e: &::csv::Error) {
        let r = &mut self.reading;
        r.stats.rows_read += 1;
        r.stats.rows_malformed += 1;
        let line = e.position().map_or(0, |p| p.line());
        r.problems.push(Problem {
            file: r.path.to_path_buf(),
            line,
            kind: ProblemKind::BadRecord,
            message: format!("not a CSV record: {e}; skipped"),
        });
    }

    /// One record read without error, starting on `line`; `read_so_far` is for the
    /// progress bar.
    fn record<'a>(&mut self, line: u64, record: &impl Fields<'a>, read_so_far: u64) {
        let Reading {
            path,
            opts,
            engines,
            hits,
            stats,
            problems,
            pb,
        } = &mut self.reading;
        stats.rows_read += 1;
        if let Some(pb) = pb
            && stats.rows_read.is_multiple_of(65_536)
        {
            pb.set_position(read_so_far);
        }
        if record.len() != self.headers.len() {
            stats.rows_malformed += 1;
            problems.push(Problem {
                file: path.to_path_buf(),
                line,
                kind: ProblemKind::BadRecord,
                message: format!(
                    "{} fields where the header has {}; row skipped",
                    record.len(),
                    self.headers.len()
                ),
            });
            return;
        }
        let row_table = match &self.file_table {
            Some(_) => None,
            None => self.type_col.and_then(|i| record.get(i)),
        };
        let table: &str = match (&self.file_table, &row_table) {
            (Some(t), _) => t,
            (None, Some(t)) if !t.is_empty() => t,
            _ => {
                stats.rows_unknown_table += 1;
                problems.push(unknown_table(path, line));
                return;
            }
        };
        let Some(engine) = engines.get_mut(table) else {
            stats.rows_other_tables += 1;
            return;
        };
        // The last table's positions first: files usually hold one table.
        let known = match self.positions.get(self.last_table) {
            Some((t, _)) if t == table => Some(self.last_table),
            _ => self.positions.iter().position(|(t, _)| t == table),
        };
        let index = match known {
            Some(i) => i,
            None => {
                let p: Vec<Option<usize>> = engine
                    .slot_names
                    .iter()
                    .map(|n| self.headers.iter().position(|h| h == n))
                    .collect();
                for (i, found) in p.iter().enumerate() {
                    if found.is_none() && !engine.optional[i] {
                        problems.push(Problem {
                            file: path.to_path_buf(),
                            line: 1,
                            kind: ProblemKind::MissingColumn,
                            message: format!(
                                "column `{}` is not in the header; read as empty in every row",
                                engine.slot_names[i]
                            ),
                        });
                    }
                }
                self.positions.push((table.to_string(), p));
                self.positions.len() - 1
            }
        };
        self.last_table = index;
        let pos = &self.positions[index].1;
        // CSV cannot tell null from empty: an empty typed cell is null.
        let mut cells = recycle(std::mem::take(&mut self.store));
        cells.extend(pos.iter().enumerate().map(|(slot, p)| {
            let v = p.and_then(|i| record.get(i))?;
            if v.is_empty() && engine.slot_kinds[slot] != crate::matcher::Kind::String {
                None
            } else {
                Some(v)
            }
        }));
        let row = Row { cells };
        if let Err(msg) = engine.checked_row(&row, hits, opts.now) {
            stats.rows_malformed += 1;
            problems.push(Problem {
                file: path.to_path_buf(),
                line,
                kind: ProblemKind::WrongType,
                message: format!("{msg}; row skipped"),
            });
        }
        self.store = recycle(row.cells);
    }
}

/// The header, read by the `csv` crate from the start of the file (so a BOM is
/// stripped, and a problem reported, exactly as before), and the position after it.
fn read_header<R: Read>(input: &mut Input<R>) -> Result<(StringRecord, Position), ::csv::Error> {
    loop {
        // The `csv` parser strips a BOM from its first input when that has 3 bytes or
        // more, and takes an input that is only a BOM for the end of the file: start it
        // on more than that.
        if input.data() == b"\xef\xbb\xbf" && !input.eof {
            if input.refill(0).is_err() {
                // The reference, reading the BOM alone, never saw the error either.
                input.eof = true;
            }
            continue;
        }
        let mut rdr = ::csv::ReaderBuilder::new()
            .flexible(true)
            .buffer_capacity(64 << 10)
            .from_reader(Window::new(input.data(), 0, input.eof));
        let result = rdr.headers().cloned();
        if !rdr.get_ref().hit_end {
            return result.map(|h| (h, rdr.position().clone()));
        }
        drop(rdr);
        input.refill(0)?;
    }
}

enum Slow {
    /// A record (or the reference's error for it), and the position after it.
    Read(Result<(), ::csv::Error>, Position),
    /// No record left.
    End,
    /// The record goes on past the buffer.
    NeedMore,
    /// The reference could not be positioned (not expected).
    Failed(::csv::Error),
}

/// The reference's reader over the buffer `data`, which holds the file from byte `base`.
fn slow_reader<'w>(data: &'w [u8], base: u64, eof: bool) -> ::csv::Reader<Window<'w>> {
    let mut rdr = ::csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .buffer_capacity(8 << 10)
        .from_reader(Window::new(data, base, eof));
    // Known headers: `seek_raw` must not read a record for them.
    rdr.set_byte_headers(ByteRecord::new());
    rdr
}

/// The reference path: the `csv` crate reads the one record at `pos`, as the reader
/// running from the start of the file would have (same fields, same error, same
/// position after it).
fn read_slow(rdr: &mut ::csv::Reader<Window<'_>>, pos: Position, out: &mut StringRecord) -> Slow {
    // Right after its own previous record (the fast path took none since), it goes on
    // as the reader running from the start would; otherwise (and when new: at record 0,
    // the header's) it is positioned.
    if *rdr.position() != pos
        && let Err(e) = rdr.seek_raw(SeekFrom::Start(pos.byte()), pos)
    {
        return Slow::Failed(e);
    }
    let result = rdr.read_record(out);
    if rdr.get_ref().hit_end {
        return Slow::NeedMore;
    }
    match result {
        Ok(true) => Slow::Read(Ok(()), rdr.position().clone()),
        Ok(false) => Slow::End,
        Err(e) => Slow::Read(Err(e), rdr.position().clone()),
    }
}

/// The buffer as a seekable reader for the `csv` crate: the file's bytes from `base`.
/// Past its end it reports an error (and `hit_end`) unless the file ends there too.
/// The first read after a seek returns one byte, so that the `csv` parser, reset by
/// `seek_raw`, does not take a UTF-8 BOM at that record's start for the file's (it
/// only strips one from an input of at least 3 bytes in its first call).
struct Window<'w> {
    data: &'w [u8],
    base: u64,
    at: usize,
    eof: bool,
    trickle: bool,
    hit_end: bool,
}

impl<'w> Window<'w> {
    fn new(data: &'w [u8], base: u64, eof: bool) -> Self {
        Window {
            data,
            base,
            at: 0,
            eof,
            trickle: false,
            hit_end: false,
        }
    }
}

impl Read for Window<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let rest = self.data.get(self.at..).unwrap_or_default();
        if rest.is_empty() {
            if self.eof {
                return Ok(0);
            }
            self.hit_end = true;
            return Err(std::io::Error::other("more input needed"));
        }
        let mut n = rest.len().min(out.len());
        if self.trickle {
            n = n.min(1);
            self.trickle = false;
        }
        out[..n].copy_from_slice(&rest[..n]);
        self.at += n;
        Ok(n)
    }
}

impl Seek for Window<'_> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => n.checked_sub(self.base),
            _ => None,
        };
        match target.and_then(|t| usize::try_from(t).ok()) {
            Some(t) if t <= self.data.len() => {
                self.at = t;
                self.trickle = true;
                self.hit_end = false;
                Ok(self.base + t as u64)
            }
            _ => Err(std::io::Error::other("seek outside the buffer")),
        }
    }
}

/// The fast reader and the `csv` crate side by side, for the property test below and the
/// `scan_csv` fuzz target.
pub(super) mod agree {
    use super::*;

    /// What a reader saw, in order.
    #[derive(Debug, PartialEq, Eq)]
    pub(in crate::matcher::read) enum Seen {
        Header(Result<Vec<String>, String>),
        Record(At, Vec<String>),
        Bad(u64, String),
    }

    /// The reference: the `csv` crate over the whole input, as the old `read_csv`
    /// used it.
    pub(in crate::matcher::read) fn reference(reader: impl Read) -> Vec<Seen> {
        let mut rdr = ::csv::ReaderBuilder::new()
            .flexible(true)
            .buffer_capacity(1 << 20)
            .from_reader(reader);
        let mut seen = Vec::new();
        match rdr.headers() {
            Ok(h) => seen.push(Seen::Header(Ok(h.iter().map(String::from).collect()))),
            Err(e) => {
                seen.push(Seen::Header(Err(e.to_string())));
                return seen;
            }
        }
        let mut rec = StringRecord::new();
        loop {
            match rdr.read_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => {
                    let p = rec.position().cloned().unwrap_or_else(Position::new);
                    let at = At {
                        byte: p.byte(),
                        line: p.line(),
                        record: p.record(),
                    };
                    seen.push(Seen::Record(at, rec.iter().map(String::from).collect()));
                }
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    seen.push(Seen::Bad(line, e.to_string()));
                }
            }
        }
        seen
    }

    /// The new reader: header, then fast path and fallback; also the number of records
    /// each path read and the bytes read.
    pub(in crate::matcher::read) fn fast(
        reader: impl Read,
        capacity: usize,
    ) -> (Vec<Seen>, usize, usize, u64) {
        let mut input = Input::new(reader, capacity);
        let mut seen = Vec::new();
        let (headers, start) = match read_header(&mut input) {
            Ok(h) => h,
            Err(e) => {
                seen.push(Seen::Header(Err(e.to_string())));
                return (seen, 0, 0, input.read_so_far());
            }
        };
        seen.push(Seen::Header(Ok(headers.iter().map(String::from).collect())));
        let (mut n_fast, mut n_slow) = (0, 0);
        read_records(&mut input, &start, |event, _| match event {
            Event::Fast(at, rec) => {
                n_fast += 1;
                let fields = (0..rec.len())
                    .map(|i| rec.get(i).expect("a field").into_owned())
                    .collect();
                seen.push(Seen::Record(at, fields));
            }
            Event::Slow(at, rec) => {
                n_slow += 1;
                seen.push(Seen::Record(at, rec.iter().map(String::from).collect()));
            }
            Event::Bad(e) => {
                let line = e.position().map_or(0, |p| p.line());
                seen.push(Seen::Bad(line, e.to_string()));
            }
        });
        (seen, n_fast, n_slow, input.read_so_far())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testrng::Rng;
    use super::agree::*;
    use super::*;

    /// Hands out at most `max` bytes per read, and fails at byte `fail_at`.
    struct Chunked<'d> {
        data: &'d [u8],
        at: usize,
        max: usize,
        fail_at: Option<usize>,
    }

    impl Read for Chunked<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let mut end = self.data.len().min(self.at + self.max.min(out.len()));
            if let Some(f) = self.fail_at {
                if self.at >= f {
                    return Err(std::io::Error::other("disk on fire"));
                }
                end = end.min(f);
            }
            let n = end - self.at;
            out[..n].copy_from_slice(&self.data[self.at..end]);
            self.at = end;
            Ok(n)
        }
    }

    fn chunked(data: &[u8], max: usize, fail_at: Option<usize>) -> Chunked<'_> {
        Chunked {
            data,
            at: 0,
            max,
            fail_at,
        }
    }

    /// Pieces of unquoted fields (no quote, comma, CR or LF).
    const PLAIN: &[&[u8]] = &[
        b"a",
        b"abc",
        b"assist.zoho.com",
        b" ",
        b"\t",
        b"12",
        "é".as_bytes(),
        "😀".as_bytes(),
        "®".as_bytes(),
        "\u{feff}".as_bytes(),
        b"C:\\Windows\\System32",
        b"Type",
        b"DeviceNetworkEvents",
        b"0123456789abcdef0123456789abcdef",
    ];

    /// Pieces of quoted fields (between the quotes).
    const QUOTED: &[&[u8]] = &[
        b"a",
        b",",
        b",,",
        b"\n",
        b"\r",
        b"\r\n",
        b"\"\"",
        b"\"\"\"\"",
        b" -k NetworkService",
        "é".as_bytes(),
        "😀".as_bytes(),
        b"0123456789abcdef0123456789abcdef",
    ];

    /// What makes a record unusual: bare quotes, text after a closing quote, invalid
    /// UTF-8 (alone and split by a quote or a comma).
    const ODD: &[&[u8]] = &[
        b"a\"b",
        b"\"",
        b"\"ab\"c",
        b"\"ab\" ",
        b"\"a\"\"\"b",
        b"\xff",
        b"\xc3",
        b"\xc3\"",
        b"\xe2\x82",
        b"\xed\xa0\x80",
        b"\xf0\x9f\x98",
        b"\xc0\xaf",
        b"\x80",
        b"\"\xa9\"",
    ];

    const TERMINATORS: &[&[u8]] = &[
        b"\n",
        b"\n",
        b"\n",
        b"\r\n",
        b"\r\n",
        b"\r",
        b"\n\n",
        b"\r\n\r\n",
        b"\n\r",
        b"\r\r\n",
    ];

    fn gen_field(r: &mut Rng, odd: bool, out: &mut Vec<u8>) {
        if odd && r.chance(15) {
            // Sometimes where a field starts, sometimes inside one.
            if r.chance(50) {
                out.extend_from_slice(r.pick(PLAIN));
            }
            out.extend_from_slice(r.pick(ODD));
            if r.chance(30) {
                out.extend_from_slice(r.pick(PLAIN));
            }
            return;
        }
        match r.below(6) {
            0 => {}
            1..=3 => {
                for _ in 0..r.below(4) {
                    out.extend_from_slice(r.pick(PLAIN));
                }
            }
            4 => {
                out.push(b'"');
                for _ in 0..r.below(5) {
                    out.extend_from_slice(r.pick(QUOTED));
                }
                // A quoted field left open at the end of the input, now and then.
                if !(odd && r.chance(3)) {
                    out.push(b'"');
                }
            }
            _ => {
                // Long: quotes and commas land on every offset of the 64-byte blocks.
                let quoted = r.chance(50);
                if quoted {
                    out.push(b'"');
                }
                for _ in 0..r.below(70) {
                    out.push(b'x');
                }
                if quoted {
                    for _ in 0..r.below(3) {
                        out.extend_from_slice(r.pick(QUOTED));
                    }
                    out.push(b'"');
                }
            }
        }
    }

    /// A CSV document; `odd` ones also hold unusual and invalid records.
    fn gen_doc(r: &mut Rng, odd: bool) -> Vec<u8> {
        let mut d = Vec::new();
        if r.chance(5) {
            d.extend_from_slice("\u{feff}".as_bytes());
        }
        if r.chance(5) {
            d.extend_from_slice(r.pick(TERMINATORS));
        }
        let width = 1 + r.below(5);
        let records = r.below(14);
        for i in 0..=records {
            let n = if i == 0 || r.chance(80) {
                width
            } else {
                1 + r.below(7)
            };
            for k in 0..n {
                if k > 0 {
                    d.push(b',');
                }
                gen_field(r, odd, &mut d);
            }
            if i < records || r.chance(70) {
                d.extend_from_slice(r.pick(TERMINATORS));
            }
        }
        d
    }

    /// The contract: record by record, the fast path and the fallback give what the
    /// `csv` crate alone gives (header, fields, byte / line / record index where each
    /// record starts, every error message), whatever the read sizes and the buffer
    /// size; and the fast path takes every record of well-formed documents.
    #[test]
    fn fast_path_agrees_with_the_csv_crate() {
        let mut r = Rng(0x5eed_c5f0);
        let (mut fast_clean, mut total_clean) = (0usize, 0usize);
        let (mut fast_odd, mut total_odd) = (0usize, 0usize);
        let mut slow_seen = 0usize;
        let mut bad_seen = 0usize;
        for case in 0..40_000 {
            let odd = case % 2 == 1;
            let doc = gen_doc(&mut r, odd);
            let capacity = [1, 2, 3, 7, 16, 63, 64, 65, 200, 4096][r.below(10)];
            let max_read = [1, 5, 64, 1000, usize::MAX][r.below(5)];
            let fail_at = if r.chance(3) {
                Some(r.below(doc.len() + 1))
            } else {
                None
            };
            let want = reference(chunked(&doc, usize::MAX, fail_at));
            let (got, n_fast, n_slow, bytes) = fast(chunked(&doc, max_read, fail_at), capacity);
            assert_eq!(
                got,
                want,
                "case {case}, capacity {capacity}, reads of {max_read}, failing at {fail_at:?}: {:?}",
                String::from_utf8_lossy(&doc)
            );
            if matches!(want.first(), Some(Seen::Header(Ok(_)))) {
                assert_eq!(bytes, fail_at.unwrap_or(doc.len()) as u64, "case {case}");
            }
            bad_seen += want.iter().filter(|s| matches!(s, Seen::Bad(..))).count();
            slow_seen += n_slow;
            if fail_at.is_some() {
                continue;
            }
            if odd {
                fast_odd += n_fast;
                total_odd += n_fast + n_slow;
            } else {
                assert_eq!(
                    n_slow,
                    0,
                    "case {case}: {:?}",
                    String::from_utf8_lossy(&doc)
                );
                fast_clean += n_fast;
                total_clean += n_fast;
            }
        }
        eprintln!(
            "well-formed: {fast_clean} of {total_clean} records by the fast path; odd: \
             {fast_odd} of {total_odd}; {slow_seen} records by the reference, {bad_seen} errors"
        );
        // The generators reach every path.
        assert!(total_clean > 100_000, "{total_clean}");
        assert_eq!(fast_clean, total_clean);
        assert!(slow_seen > 5_000, "{slow_seen}");
        assert!(bad_seen > 5_000, "{bad_seen}");
        // Odd documents: the fast path still takes the ordinary records.
        assert!(
            fast_odd * 100 > total_odd * 50,
            "fast path took {fast_odd} of {total_odd} records of odd documents"
        );
    }
}

#[cfg(test)]
mod edge_tests {
    use super::*;

    /// (line, fields) of every record, or the error message, by the new reader with a
    /// small buffer; checked against the `csv` crate's.
    type Got = Result<(u64, Vec<String>), String>;

    fn read(doc: &[u8], capacity: usize) -> (Vec<Got>, usize) {
        let mut input = Input::new(doc, capacity);
        let (_, start) = read_header(&mut input).expect("a header");
        let mut out = Vec::new();
        let mut slow = 0;
        read_records(&mut input, &start, |event, _| match event {
            Event::Fast(at, rec) => out.push(Ok((
                at.line,
                (0..rec.len())
                    .map(|i| rec.get(i).unwrap_or_default().into_owned())
                    .collect(),
            ))),
            Event::Slow(at, rec) => {
                slow += 1;
                out.push(Ok((at.line, rec.iter().map(String::from).collect())));
            }
            Event::Bad(e) => out.push(Err(e.to_string())),
        });
        let mut rdr = ::csv::ReaderBuilder::new().flexible(true).from_reader(doc);
        rdr.headers().expect("a header");
        let mut want = Vec::new();
        let mut rec = StringRecord::new();
        loop {
            match rdr.read_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => want.push(Ok((
                    rec.position().map_or(0, |p| p.line()),
                    rec.iter().map(String::from).collect(),
                ))),
                Err(e) => want.push(Err(e.to_string())),
            }
        }
        assert_eq!(out, want);
        (out, slow)
    }

    fn ok(line: u64, fields: &[&str]) -> Got {
        Ok((line, fields.iter().map(|f| f.to_string()).collect()))
    }

    #[test]
    fn line_numbers_as_the_csv_crate_counts_them() {
        // A record's line is the line where the previous one's terminator ended: with
        // CRLF, the line before; newlines in quoted fields and blank lines count.
        let doc = b"h1,h2\r\na,b\r\n\"x\r\ny\",c\r\n\r\nd,e\nf,g";
        for capacity in [1, 4, 64, 1 << 20] {
            let (recs, slow) = read(doc, capacity);
            assert_eq!(
                recs,
                [
                    ok(1, &["a", "b"]),
                    ok(2, &["x\r\ny", "c"]),
                    ok(4, &["d", "e"]),
                    ok(7, &["f", "g"])
                ]
            );
            assert_eq!(slow, 0);
        }
    }

    #[test]
    fn invalid_utf8_is_reported_by_the_reference() {
        let doc = b"h1,h2\na,b\nc,\"d\xffe\"\nf,g\n";
        let (recs, slow) = read(doc, 1 << 20);
        assert_eq!(
            recs,
            [
                ok(2, &["a", "b"]),
                Err(
                    "CSV parse error: record 2 (line 3, field: 1, byte: 10): invalid utf-8: \
                     invalid UTF-8 in field 1 near byte index 1"
                        .into()
                ),
                ok(4, &["f", "g"]),
            ]
        );
        assert_eq!(slow, 0);
    }

    #[test]
    fn a_bom_is_stripped_from_the_header_only() {
        let doc = "\u{feff}h1,h2\n\u{feff}a,b\n\u{feff}a\"b,c\n".as_bytes();
        let mut input = Input::new(doc, 1 << 20);
        let (headers, _) = read_header(&mut input).expect("a header");
        assert_eq!(headers.iter().collect::<Vec<_>>(), ["h1", "h2"]);
        let (recs, slow) = read(doc, 1 << 20);
        assert_eq!(
            recs,
            [ok(2, &["\u{feff}a", "b"]), ok(3, &["\u{feff}a\"b", "c"])]
        );
        // The second went to the reference, which kept its BOM.
        assert_eq!(slow, 1);
    }

    #[test]
    fn the_fast_path_resumes_after_the_reference() {
        let doc = b"h\n\"a\"b\nc\nd\n";
        let (recs, slow) = read(doc, 1 << 20);
        assert_eq!(recs, [ok(2, &["ab"]), ok(3, &["c"]), ok(4, &["d"])]);
        assert_eq!(slow, 1);
    }

    #[test]
    fn records_longer_than_the_buffer() {
        let big = "y,\"\"".repeat(100_000);
        let doc = format!("h1,h2\n\"{big}\",z\n{big}\"\n");
        let (recs, slow) = read(doc.as_bytes(), 16);
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0], ok(2, &[&big.replace("\"\"", "\""), "z"]));
        // The second, with its bare quotes, by the reference.
        assert_eq!(slow, 1);
    }

    #[test]
    fn empty_and_header_only_files() {
        for doc in [&b""[..], b"h1,h2", b"h1,h2\r\n", b"\xef\xbb\xbf", b"\n\n"] {
            let (recs, slow) = read(doc, 1);
            assert!(recs.is_empty());
            assert_eq!(slow, 0);
        }
    }

    #[test]
    fn a_bad_header_is_the_csv_crates_error() {
        let mut input = Input::new(&b"a,\xff\nb,c\n"[..], 2);
        let e = read_header(&mut input).expect_err("not UTF-8");
        let mut rdr = ::csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(&b"a,\xff\nb,c\n"[..]);
        let want = rdr.headers().expect_err("not UTF-8").to_string();
        assert_eq!(e.to_string(), want);
    }
}

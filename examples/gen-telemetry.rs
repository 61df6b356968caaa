//! `gen-telemetry`: synthetic Microsoft Defender XDR telemetry for exercising
//! rulecat's matcher (and for benchmarks).
//!
//! Writes realistic rows of `DeviceNetworkEvents`, `DeviceFileCertificateInfo`
//! or `DeviceProcessEvents` as JSON lines or CSV. Every column of the table
//! schema (`schema/tables/<Table>.toml`) is written, in schema order; columns
//! Defender leaves empty are empty strings (string columns) or `null` (other
//! types), as in an advanced-hunting export.
//!
//! * Deterministic: the same arguments give byte-identical output (own
//!   splitmix64 PRNG; no `rand`).
//! * Streaming: one reusable row buffer and a `BufWriter`; memory use does not
//!   grow with `--rows`.
//! * `--hit-rate` is the fraction of rows that match one of the catalog rules
//!   in `catalog/RemoteManagementMonitoring/` (assuming the rules' `now(-5d)`
//!   window and `now() = --now`). The generator evaluates those rules' filters
//!   on every row it writes (term-based `has` / `has_any`, as in
//!   `/work/shared/notes/kql-semantics.md`) and reports the per-rule counts on
//!   stderr; it fails if a row it did not intend as a hit matches a rule (or
//!   vice versa). No catalog rule reads `DeviceProcessEvents`; there the
//!   "hits" are process creations of the same RMM tools.
//! * A similar number of near misses is mixed in: RMM-looking rows that must
//!   not match (a browser visiting `assist.zoho.com`, a ManageEngine agent
//!   signed by Zoho fetching from `downloads.zohocdn.com`, Zoho Assist traffic
//!   older than five days, ...).
//!
//! This file is self-contained (std + clap); it does not use the rulecat
//! library, so it can be developed and built on its own.

use std::fmt::{self, Write as _};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use rulecat::kql::time::{civil_from_days, days_from_civil};

// ---------------------------------------------------------------------------
// CLI

/// Variant names are the Defender table names.
#[allow(clippy::enum_variant_names)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Table {
    #[value(name = "DeviceNetworkEvents")]
    DeviceNetworkEvents,
    #[value(name = "DeviceFileCertificateInfo")]
    DeviceFileCertificateInfo,
    #[value(name = "DeviceProcessEvents")]
    DeviceProcessEvents,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::DeviceNetworkEvents => "DeviceNetworkEvents",
            Table::DeviceFileCertificateInfo => "DeviceFileCertificateInfo",
            Table::DeviceProcessEvents => "DeviceProcessEvents",
        }
    }

    fn columns(self) -> &'static [Col] {
        match self {
            Table::DeviceNetworkEvents => DNE_COLS,
            Table::DeviceFileCertificateInfo => DFCI_COLS,
            Table::DeviceProcessEvents => DPE_COLS,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// One JSON object per line, column names as keys, typed values.
    Jsonl,
    /// RFC 4180 CSV with a header row of column names.
    Csv,
}

/// Generate synthetic Defender XDR telemetry (JSON lines or CSV) for rulecat's matcher.
#[derive(Parser, Debug)]
#[command(name = "gen-telemetry", version, about, long_about = None)]
struct Cli {
    /// Table to generate.
    #[arg(long, value_enum, ignore_case = true)]
    table: Table,

    /// Number of rows to write.
    #[arg(long, default_value_t = 1000)]
    rows: u64,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    format: Format,

    /// Output file; `-` writes to stdout.
    #[arg(long)]
    out: PathBuf,

    /// PRNG seed; the same seed and arguments give byte-identical output.
    #[arg(long, default_value_t = 7)]
    seed: u64,

    /// The query time `now()`: timestamps are spread over `--days` before it.
    /// ISO 8601 UTC, e.g. 2026-11-27T00:00:00Z.
    #[arg(long, default_value = "2026-11-27T00:00:00Z", value_parser = parse_datetime)]
    now: i64,

    /// Time span covered by the rows, ending at `--now` (fractions allowed).
    #[arg(long, default_value_t = 7.0, value_parser = parse_days)]
    days: f64,

    /// Fraction of rows that match some catalog rule (0..=1). Only rows in
    /// the rules' five-day window can match, so with `--days` D > 5 at most
    /// 5/D of the rows can be hits. For DeviceProcessEvents, which no rule
    /// reads: the fraction of RMM-tool process creations.
    #[arg(long, default_value_t = 0.001, value_parser = parse_rate)]
    hit_rate: f64,

    /// Number of devices in the simulated fleet.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    devices: u32,

    /// ReportId of the first row; ReportIds increase from there.
    #[arg(long, default_value_t = 1)]
    first_report_id: i64,

    /// Leave out the Sentinel-only columns (TimeGenerated, TenantId,
    /// SourceSystem, MachineGroup, Type), as in a Defender portal export.
    #[arg(long)]
    no_sentinel_columns: bool,

    /// End lines with CRLF instead of LF.
    #[arg(long)]
    crlf: bool,

    /// Do not print the summary on stderr.
    #[arg(long, short)]
    quiet: bool,
}

fn parse_days(s: &str) -> Result<f64, String> {
    let d: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if d.is_finite() && d > 0.0 && d <= 36_500.0 {
        Ok(d)
    } else {
        Err("must be a number of days in (0, 36500]".into())
    }
}

fn parse_rate(s: &str) -> Result<f64, String> {
    let r: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if (0.0..=1.0).contains(&r) {
        Ok(r)
    } else {
        Err("must be between 0 and 1".into())
    }
}

// ---------------------------------------------------------------------------
// Time: 100 ns ticks since the Unix epoch (KQL datetimes have tick precision).

const TICK: i64 = 1;
const SEC: i64 = 10_000_000 * TICK;
const MIN: i64 = 60 * SEC;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;

/// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS[.fffffff]]Z` (UTC only).
fn parse_datetime(s: &str) -> Result<i64, String> {
    let err = || format!("`{s}` is not an ISO 8601 UTC datetime like 2026-11-27T00:00:00Z");
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Result<i64, String> {
        let part = s.get(r).ok_or_else(err)?;
        if part.is_empty() || !part.bytes().all(|c| c.is_ascii_digit()) {
            return Err(err());
        }
        part.parse::<i64>().map_err(|_| err())
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(err());
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
        return Err(err());
    }
    let mut t = days_from_civil(y, mo, d) * DAY;
    if b.len() == 10 {
        return Ok(t);
    }
    if !(b[10] == b'T' || b[10] == b't' || b[10] == b' ') || !s.ends_with(['Z', 'z']) {
        return Err(err());
    }
    let rest = &s[11..s.len() - 1];
    let (hms, frac) = match rest.split_once('.') {
        Some((a, f)) => (a, Some(f)),
        None => (rest, None),
    };
    let parts: Vec<&str> = hms.split(':').collect();
    if parts.len() < 2 || parts.len() > 3 || parts.iter().any(|p| p.len() != 2) {
        return Err(err());
    }
    let field = |p: &str, max: i64| -> Result<i64, String> {
        let v: i64 = p.parse().map_err(|_| err())?;
        if p.bytes().all(|c| c.is_ascii_digit()) && v <= max {
            Ok(v)
        } else {
            Err(err())
        }
    };
    t += field(parts[0], 23)? * HOUR + field(parts[1], 59)? * MIN;
    if let Some(sec) = parts.get(2) {
        t += field(sec, 59)? * SEC;
    }
    if let Some(f) = frac {
        if f.is_empty() || f.len() > 7 || !f.bytes().all(|c| c.is_ascii_digit()) || parts.len() != 3
        {
            return Err(err());
        }
        let mut v: i64 = f.parse().map_err(|_| err())?;
        for _ in f.len()..7 {
            v *= 10;
        }
        t += v;
    }
    Ok(t)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// `2026-11-24T09:15:02.1234567Z` (always seven fractional digits, like Kusto).
fn write_datetime(out: &mut Vec<u8>, t: i64) {
    let days = t.div_euclid(DAY);
    let rem = t.rem_euclid(DAY);
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss, frac) = (rem / HOUR, rem % HOUR / MIN, rem % MIN / SEC, rem % SEC);
    let mut buf = *b"0000-00-00T00:00:00.0000000Z";
    let y = y.clamp(0, 9999);
    put_digits(&mut buf[0..4], y as u64);
    put_digits(&mut buf[5..7], m as u64);
    put_digits(&mut buf[8..10], d as u64);
    put_digits(&mut buf[11..13], hh as u64);
    put_digits(&mut buf[14..16], mm as u64);
    put_digits(&mut buf[17..19], ss as u64);
    put_digits(&mut buf[20..27], frac as u64);
    out.extend_from_slice(&buf);
}

fn put_digits(dst: &mut [u8], mut v: u64) {
    for slot in dst.iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

fn write_int(out: &mut Vec<u8>, v: i64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut u = v.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    if v < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[i..]);
}

// ---------------------------------------------------------------------------
// PRNG: splitmix64.

#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }
    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
    fn range(&mut self, lo: i64, hi_excl: i64) -> i64 {
        lo + self.below((hi_excl - lo).max(1) as u64) as i64
    }
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn pick<'a, T>(&mut self, s: &'a [T]) -> &'a T {
        &s[self.below(s.len() as u64) as usize]
    }
}

fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for p in parts {
        for &b in p.as_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01B3);
        }
        h ^= 0xFF;
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}

/// `n` lowercase hex digits derived from `key` (stable fake hashes and ids).
fn hex_of(key: u64, n: usize) -> String {
    let mut s = String::with_capacity(n);
    let mut state = key;
    while s.len() < n {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let _ = write!(s, "{:016x}", mix64(state));
    }
    s.truncate(n);
    s
}

fn guid_of(key: u64) -> String {
    let h = hex_of(key, 32);
    format!(
        "{}-{}-4{}-{}{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        ["8", "9", "a", "b"][(key % 4) as usize],
        &h[17..20],
        &h[20..32]
    )
}

// ---------------------------------------------------------------------------
// Table schemas (from schema/tables/*.toml, in order; the last five columns
// of each table are Sentinel-only).

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    DateTime,
    Str,
    Int,
    Long,
    Bool,
}

struct Col {
    name: &'static str,
    ty: Ty,
}

const SENTINEL_ONLY: usize = 5;

macro_rules! cols {
    ($($name:ident : $ty:ident),* $(,)?) => {
        &[$(Col { name: stringify!($name), ty: Ty::$ty }),*]
    };
}

const DNE_COLS: &[Col] = cols![
    Timestamp: DateTime, DeviceId: Str, DeviceName: Str, ActionType: Str, RemoteIP: Str,
    RemotePort: Int, RemoteUrl: Str, LocalIP: Str, LocalPort: Int, Protocol: Str,
    LocalIPType: Str, RemoteIPType: Str, InitiatingProcessSHA1: Str,
    InitiatingProcessSHA256: Str, InitiatingProcessMD5: Str, InitiatingProcessFileName: Str,
    InitiatingProcessFileSize: Long, InitiatingProcessVersionInfoCompanyName: Str,
    InitiatingProcessVersionInfoProductName: Str, InitiatingProcessVersionInfoProductVersion: Str,
    InitiatingProcessVersionInfoInternalFileName: Str,
    InitiatingProcessVersionInfoOriginalFileName: Str,
    InitiatingProcessVersionInfoFileDescription: Str, InitiatingProcessId: Long,
    InitiatingProcessCommandLine: Str, InitiatingProcessCreationTime: DateTime,
    InitiatingProcessFolderPath: Str, InitiatingProcessParentFileName: Str,
    InitiatingProcessParentId: Long, InitiatingProcessParentCreationTime: DateTime,
    InitiatingProcessAccountDomain: Str, InitiatingProcessAccountName: Str,
    InitiatingProcessAccountSid: Str, InitiatingProcessAccountUpn: Str,
    InitiatingProcessAccountObjectId: Str, InitiatingProcessIntegrityLevel: Str,
    InitiatingProcessTokenElevation: Str, ReportId: Long, AppGuardContainerId: Str,
    AdditionalFields: Str, InitiatingProcessSessionId: Long,
    IsInitiatingProcessRemoteSession: Bool, InitiatingProcessRemoteSessionDeviceName: Str,
    InitiatingProcessRemoteSessionIP: Str, TimeGenerated: DateTime, TenantId: Str,
    SourceSystem: Str, MachineGroup: Str, Type: Str,
];

const DFCI_COLS: &[Col] = cols![
    Timestamp: DateTime, DeviceId: Str, DeviceName: Str, SHA1: Str, IsSigned: Bool,
    SignatureType: Str, Signer: Str, SignerHash: Str, Issuer: Str, IssuerHash: Str,
    CertificateSerialNumber: Str, CrlDistributionPointUrls: Str,
    CertificateCreationTime: DateTime, CertificateExpirationTime: DateTime,
    CertificateCountersignatureTime: DateTime, IsTrusted: Bool, IsRootSignerMicrosoft: Bool,
    ReportId: Long, TimeGenerated: DateTime, TenantId: Str, SourceSystem: Str,
    MachineGroup: Str, Type: Str,
];

const DPE_COLS: &[Col] = cols![
    Timestamp: DateTime, DeviceId: Str, DeviceName: Str, ActionType: Str, FileName: Str,
    FolderPath: Str, SHA1: Str, SHA256: Str, MD5: Str, FileSize: Long,
    ProcessVersionInfoCompanyName: Str, ProcessVersionInfoProductName: Str,
    ProcessVersionInfoProductVersion: Str, ProcessVersionInfoInternalFileName: Str,
    ProcessVersionInfoOriginalFileName: Str, ProcessVersionInfoFileDescription: Str,
    ProcessId: Long, ProcessCommandLine: Str, ProcessIntegrityLevel: Str,
    ProcessTokenElevation: Str, ProcessCreationTime: DateTime, AccountDomain: Str,
    AccountName: Str, AccountSid: Str, AccountUpn: Str, AccountObjectId: Str, LogonId: Long,
    InitiatingProcessAccountDomain: Str, InitiatingProcessAccountName: Str,
    InitiatingProcessAccountSid: Str, InitiatingProcessAccountUpn: Str,
    InitiatingProcessAccountObjectId: Str, InitiatingProcessLogonId: Long,
    InitiatingProcessIntegrityLevel: Str, InitiatingProcessTokenElevation: Str,
    InitiatingProcessSHA1: Str, InitiatingProcessSHA256: Str, InitiatingProcessMD5: Str,
    InitiatingProcessFileName: Str, InitiatingProcessFileSize: Long,
    InitiatingProcessVersionInfoCompanyName: Str, InitiatingProcessVersionInfoProductName: Str,
    InitiatingProcessVersionInfoProductVersion: Str,
    InitiatingProcessVersionInfoInternalFileName: Str,
    InitiatingProcessVersionInfoOriginalFileName: Str,
    InitiatingProcessVersionInfoFileDescription: Str, InitiatingProcessId: Long,
    InitiatingProcessCommandLine: Str, InitiatingProcessCreationTime: DateTime,
    InitiatingProcessFolderPath: Str, InitiatingProcessParentId: Long,
    InitiatingProcessParentFileName: Str, InitiatingProcessParentCreationTime: DateTime,
    InitiatingProcessSignerType: Str, InitiatingProcessSignatureStatus: Str, ReportId: Long,
    AppGuardContainerId: Str, AdditionalFields: Str, InitiatingProcessSessionId: Long,
    IsInitiatingProcessRemoteSession: Bool, InitiatingProcessRemoteSessionDeviceName: Str,
    InitiatingProcessRemoteSessionIP: Str, CreatedProcessSessionId: Long,
    IsProcessRemoteSession: Bool, ProcessRemoteSessionDeviceName: Str,
    ProcessRemoteSessionIP: Str, TimeGenerated: DateTime, TenantId: Str, SourceSystem: Str,
    MachineGroup: Str, Type: Str,
];

// ---------------------------------------------------------------------------
// One row: values pushed in schema order; strings that are not 'static live
// in a scratch buffer that is reused for every row.

#[derive(Clone, Copy)]
enum V {
    Null,
    S(&'static str),
    Scratch(u32, u32),
    I(i64),
    B(bool),
    T(i64),
}

struct Row {
    cols: &'static [Col],
    vals: Vec<V>,
    scratch: String,
}

impl Row {
    fn new(cols: &'static [Col]) -> Self {
        Row {
            cols,
            vals: Vec::with_capacity(cols.len()),
            scratch: String::with_capacity(4096),
        }
    }

    fn clear(&mut self) {
        self.vals.clear();
        self.scratch.clear();
    }

    #[inline]
    fn push(&mut self, name: &str, v: V) {
        debug_assert_eq!(
            self.cols.get(self.vals.len()).map(|c| c.name),
            Some(name),
            "column order"
        );
        debug_assert!(
            match v {
                V::Null => true,
                V::S(_) | V::Scratch(..) => self.cols[self.vals.len()].ty == Ty::Str,
                V::I(_) => matches!(self.cols[self.vals.len()].ty, Ty::Int | Ty::Long),
                V::B(_) => self.cols[self.vals.len()].ty == Ty::Bool,
                V::T(_) => self.cols[self.vals.len()].ty == Ty::DateTime,
            },
            "type of {name}"
        );
        self.vals.push(v);
    }

    fn s(&mut self, name: &str, s: &'static str) {
        self.push(name, V::S(s));
    }
    fn st(&mut self, name: &str, s: &str) {
        let a = self.scratch.len() as u32;
        self.scratch.push_str(s);
        self.push(name, V::Scratch(a, self.scratch.len() as u32));
    }
    fn f(&mut self, name: &str, args: fmt::Arguments<'_>) {
        let a = self.scratch.len() as u32;
        let _ = self.scratch.write_fmt(args);
        self.push(name, V::Scratch(a, self.scratch.len() as u32));
    }
    fn i(&mut self, name: &str, v: i64) {
        self.push(name, V::I(v));
    }
    fn b(&mut self, name: &str, v: bool) {
        self.push(name, V::B(v));
    }
    fn t(&mut self, name: &str, v: i64) {
        self.push(name, V::T(v));
    }
    fn null(&mut self, name: &str) {
        self.push(name, V::Null);
    }

    fn str_at(&self, idx: usize) -> &str {
        match self.vals[idx] {
            V::S(s) => s,
            V::Scratch(a, b) => &self.scratch[a as usize..b as usize],
            _ => "",
        }
    }
    fn time_at(&self, idx: usize) -> Option<i64> {
        match self.vals[idx] {
            V::T(t) => Some(t),
            _ => None,
        }
    }
    fn get(&self, idx: usize) -> Val<'_> {
        match self.vals[idx] {
            V::Null => Val::Null,
            V::S(s) => Val::Str(s),
            V::Scratch(a, b) => Val::Str(&self.scratch[a as usize..b as usize]),
            V::I(i) => Val::Int(i),
            V::B(b) => Val::Bool(b),
            V::T(t) => Val::Time(t),
        }
    }
}

enum Val<'a> {
    Null,
    Str(&'a str),
    Int(i64),
    Bool(bool),
    Time(i64),
}

// ---------------------------------------------------------------------------
// Output encoders.

fn json_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &c) in bytes.iter().enumerate() {
        let esc: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if esc.is_empty() {
            out.extend_from_slice(format!("\\u{c:04x}").as_bytes());
        } else {
            out.extend_from_slice(esc);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

fn csv_field(out: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|c| matches!(c, b',' | b'"' | b'\n' | b'\r')) {
        out.push(b'"');
        for part in s.split('"').enumerate() {
            if part.0 > 0 {
                out.extend_from_slice(b"\"\"");
            }
            out.extend_from_slice(part.1.as_bytes());
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

struct Encoder {
    format: Format,
    cols: &'static [Col],
    ncols: usize,
    eol: &'static [u8],
    line: Vec<u8>,
}

impl Encoder {
    fn header(&mut self) -> &[u8] {
        self.line.clear();
        if self.format == Format::Csv {
            for (i, c) in self.cols[..self.ncols].iter().enumerate() {
                if i > 0 {
                    self.line.push(b',');
                }
                csv_field(&mut self.line, c.name);
            }
            self.line.extend_from_slice(self.eol);
        }
        &self.line
    }

    fn encode(&mut self, row: &Row) -> &[u8] {
        debug_assert_eq!(row.vals.len(), self.cols.len(), "row is missing columns");
        let out = &mut self.line;
        out.clear();
        match self.format {
            Format::Jsonl => {
                out.push(b'{');
                for (i, c) in self.cols[..self.ncols].iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.push(b'"');
                    out.extend_from_slice(c.name.as_bytes());
                    out.extend_from_slice(b"\":");
                    match row.get(i) {
                        Val::Null => out.extend_from_slice(b"null"),
                        Val::Str(s) => json_string(out, s),
                        Val::Int(v) => write_int(out, v),
                        Val::Bool(v) => out.extend_from_slice(if v { b"true" } else { b"false" }),
                        Val::Time(t) => {
                            out.push(b'"');
                            write_datetime(out, t);
                            out.push(b'"');
                        }
                    }
                }
                out.push(b'}');
            }
            Format::Csv => {
                for i in 0..self.ncols {
                    if i > 0 {
                        out.push(b',');
                    }
                    match row.get(i) {
                        Val::Null => {}
                        Val::Str(s) => csv_field(out, s),
                        Val::Int(v) => write_int(out, v),
                        Val::Bool(v) => out.extend_from_slice(if v { b"true" } else { b"false" }),
                        Val::Time(t) => write_datetime(out, t),
                    }
                }
            }
        }
        out.extend_from_slice(self.eol);
        &self.line
    }
}

// ---------------------------------------------------------------------------
// KQL term matching, for the self-check against the catalog rules
// (see /work/shared/notes/kql-semantics.md): `has` with a right-hand side of
// several terms is a case-insensitive match of the literal text that begins
// and ends on term boundaries (non-alphanumeric characters or the ends of the
// value); so `Zoho-Assist` does not have 'Zoho Assist'.

fn kql_has(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() || n.len() > h.len() {
        return n.is_empty();
    }
    let is_term = |c: u8| c.is_ascii_alphanumeric() || c >= 0x80;
    (0..=h.len() - n.len()).any(|i| {
        h[i..i + n.len()].eq_ignore_ascii_case(n)
            && (i == 0 || !is_term(h[i - 1]) || !is_term(n[0]))
            && (i + n.len() == h.len() || !is_term(h[i + n.len()]) || !is_term(n[n.len() - 1]))
    })
}

/// RemoteUrl list of rmm_ZohoAssist_netconn.yaml.
const ZOHO_NETCONN_URLS: &[&str] = &[
    "assist.zoho.com",
    "assist.zoho.eu",
    "assist.zoho.com.au",
    "assist.zoho.in",
    "assist.zoho.jp",
    "assist.zoho.uk",
    "assistlab.zoho.com",
    "downloads.zohocdn.com",
    "download-accl.zoho.in",
    "zohoassist.com",
    "zohopublic.com",
    "zohopublic.eu",
    "meeting.zoho.com",
    "meeting.zoho.eu",
    "static.zohocdn.com",
    "zohodl.com.cn",
    "zohowebstatic.com",
    "zohostatic.in",
];

#[derive(Clone, Copy)]
enum Rule {
    ZohoNetconn,
    ZohoFilesig,
    Action1Filesig,
    RemoteUtilitiesFilesig,
}

impl Rule {
    fn file(self) -> &'static str {
        match self {
            Rule::ZohoNetconn => "rmm_ZohoAssist_netconn",
            Rule::ZohoFilesig => "rmm_ZohoAssist_filesig",
            Rule::Action1Filesig => "rmm_Action1_filesig",
            Rule::RemoteUtilitiesFilesig => "rmm_RemoteUtilities_filesig",
        }
    }
    fn for_table(t: Table) -> &'static [Rule] {
        match t {
            Table::DeviceNetworkEvents => &[Rule::ZohoNetconn],
            Table::DeviceFileCertificateInfo => &[
                Rule::ZohoFilesig,
                Rule::Action1Filesig,
                Rule::RemoteUtilitiesFilesig,
            ],
            Table::DeviceProcessEvents => &[],
        }
    }
}

struct RuleCheck {
    window: (i64, i64),
    ts: usize,
    url: usize,
    company: usize,
    product: usize,
    signer: usize,
}

impl RuleCheck {
    fn new(table: Table, now: i64) -> Self {
        let cols = table.columns();
        let find = |n| cols.iter().position(|c| c.name == n).unwrap_or(usize::MAX);
        RuleCheck {
            window: (now - 5 * DAY, now),
            ts: find("Timestamp"),
            url: find("RemoteUrl"),
            company: find("InitiatingProcessVersionInfoCompanyName"),
            product: find("InitiatingProcessVersionInfoProductName"),
            signer: find("Signer"),
        }
    }

    fn matches(&self, rule: Rule, row: &Row) -> bool {
        let in_window = row
            .time_at(self.ts)
            .is_some_and(|t| t >= self.window.0 && t <= self.window.1);
        in_window
            && match rule {
                Rule::ZohoNetconn => {
                    let url = row.str_at(self.url);
                    ZOHO_NETCONN_URLS.iter().any(|u| kql_has(url, u))
                        && kql_has(row.str_at(self.company), "Zoho")
                        && kql_has(row.str_at(self.product), "Zoho Assist")
                }
                Rule::ZohoFilesig => kql_has(row.str_at(self.signer), "Zoho"),
                Rule::Action1Filesig => kql_has(row.str_at(self.signer), "Action1 Corporation"),
                Rule::RemoteUtilitiesFilesig => {
                    kql_has(row.str_at(self.signer), "Remote Utilities")
                }
            }
    }
}

// ---------------------------------------------------------------------------
// World model: publishers, processes, devices, users.

struct Issuer {
    name: &'static str,
    crls: &'static str,
}

const ISSUERS: &[Issuer] = &[
    Issuer {
        name: "Microsoft Code Signing PCA 2011",
        crls: r#"["http://www.microsoft.com/pkiops/crl/MicCodSigPCA2011_2011-07-08.crl"]"#,
    },
    Issuer {
        name: "Microsoft Windows Production PCA 2011",
        crls: r#"["http://www.microsoft.com/pkiops/crl/MicWinProPCA2011_2011-10-19.crl"]"#,
    },
    Issuer {
        name: "DigiCert Trusted G4 Code Signing RSA4096 SHA384 2021 CA1",
        crls: r#"["http://crl3.digicert.com/DigiCertTrustedG4CodeSigningRSA4096SHA3842021CA1.crl","http://crl4.digicert.com/DigiCertTrustedG4CodeSigningRSA4096SHA3842021CA1.crl"]"#,
    },
    Issuer {
        name: "Sectigo Public Code Signing CA R36",
        crls: r#"["http://crl.sectigo.com/SectigoPublicCodeSigningCAR36.crl"]"#,
    },
    Issuer {
        name: "Sectigo Public Code Signing CA EV R36",
        crls: r#"["http://crl.sectigo.com/SectigoPublicCodeSigningCAEVR36.crl"]"#,
    },
    Issuer {
        name: "GlobalSign GCC R45 EV CodeSigning CA 2020",
        crls: r#"["http://crl.globalsign.com/gsgccr45evcodesignca2020.crl"]"#,
    },
    Issuer {
        name: "Entrust Extended Validation Code Signing CA - EVCS2",
        crls: r#"["http://crl.entrust.net/evcs2.crl"]"#,
    },
];

/// (signer, issuer index)
const PUBLISHERS: &[(&str, usize)] = &[
    ("Microsoft Corporation", 0),
    ("Microsoft Windows", 1),
    ("Google LLC", 2),
    ("Mozilla Corporation", 2),
    ("Adobe Inc.", 2),
    ("Zoom Communications, Inc.", 2),
    ("Slack Technologies, LLC", 2),
    ("Dropbox, Inc", 2),
    ("Python Software Foundation", 2),
    ("Oracle America, Inc.", 2),
    ("Intel Corporation", 2),
    ("NVIDIA Corporation", 6),
    ("Realtek Semiconductor Corp.", 2),
    ("Dell Inc", 2),
    ("VMware, Inc.", 2),
    ("Cisco Systems, Inc.", 2),
    ("Notepad++", 3),
    ("Johannes Schindelin", 3),
    ("TeamViewer Germany GmbH", 2),
    ("AnyDesk Software GmbH", 5),
    ("ConnectWise, LLC", 2),
    // Publishers the catalog's file-signature rules look for.
    ("Zoho Corporation Private Limited", 2),
    ("Action1 Corporation", 4),
    ("Remote Utilities LLC", 3),
    ("REMOTE UTILITIES PTE. LTD.", 3),
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ctx {
    User,
    Elevated,
    System,
    NetworkService,
    LocalService,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    /// Everyday software; background traffic.
    Benign,
    /// Windows plumbing used as parents.
    Shell,
    /// Zoho Assist: network hits (listed URLs), Zoho-signed.
    ZohoAssist,
    /// Other Zoho software: Zoho-signed (file-signature hits), network near misses.
    ZohoOther,
    Action1,
    RemoteUtilities,
    /// RMM tools no catalog rule looks for.
    OtherRmm,
    /// Signed files that only show up in DeviceFileCertificateInfo.
    FileOnly,
}

struct Proc {
    file: &'static str,
    /// Folder, `{u}` = account name.
    dir: &'static str,
    company: &'static str,
    product: &'static str,
    version: &'static str,
    desc: &'static str,
    size: i64,
    args: &'static str,
    ctx: Ctx,
    parent: &'static str,
    signer: &'static str,
    hosts: &'static [&'static str],
    role: Role,
    /// Background weight on workstations / servers.
    ws: u32,
    srv: u32,
}

const WEB: &[&str] = &[
    "www.google.com",
    "www.bing.com",
    "login.microsoftonline.com",
    "outlook.office365.com",
    "www.office.com",
    "contoso.sharepoint.com",
    "www.youtube.com",
    "github.com",
    "www.linkedin.com",
    "en.wikipedia.org",
    "stackoverflow.com",
    "www.amazon.com",
    "cdn.jsdelivr.net",
    "fonts.gstatic.com",
    "www.reddit.com",
    "news.ycombinator.com",
    "docs.python.org",
    "learn.microsoft.com",
    "www.zoho.com",
    "www.nytimes.com",
    "www.bbc.co.uk",
    "ajax.googleapis.com",
    "update.googleapis.com",
    "clients2.google.com",
    "www.salesforce.com",
    "zoom.us",
];

/// Hosts Zoho Assist talks to; every one matches the rule's `has_any` list.
const ZA_HOSTS: &[&str] = &[
    "assist.zoho.com",
    "assist.zoho.com",
    "assist.zoho.eu",
    "assist.zoho.com.au",
    "assist.zoho.in",
    "downloads.zohocdn.com",
    "static.zohocdn.com",
    "zohoassist.com",
    "gateway.zohoassist.com",
    "us4-files.zohopublic.com",
    "meeting.zoho.com",
];

#[rustfmt::skip]
const PROCS: &[Proc] = &[
    // --- Windows shell / parents
    Proc { file: "explorer.exe", dir: r"C:\Windows", company: "Microsoft Corporation", product: "Microsoft® Windows® Operating System", version: "10.0.22621.4541", desc: "Windows Explorer", size: 5_410_672, args: "", ctx: Ctx::User, parent: "userinit.exe", signer: "Microsoft Windows", hosts: &[], role: Role::Shell, ws: 0, srv: 0 },
    Proc { file: "userinit.exe", dir: r"C:\Windows\System32", company: "Microsoft Corporation", product: "Microsoft® Windows® Operating System", version: "10.0.22621.1", desc: "Userinit Logon Application", size: 36_864, args: "", ctx: Ctx::User, parent: "winlogon.exe", signer: "Microsoft Windows", hosts: &[], role: Role::Shell, ws: 0, srv: 0 },
    Proc { file: "services.exe", dir: r"C:\Windows\System32", company: "Microsoft Corporation", product: "Microsoft® Windows® Operating System", version: "10.0.22621.4391", desc: "Services and Controller app", size: 720_632, args: "", ctx: Ctx::System, parent: "wininit.exe", signer: "Microsoft Windows", hosts: &[], role: Role::Shell, ws: 0, srv: 0 },
    Proc { file: "cmd.exe", dir: r"C:\Windows\System32", company: "Microsoft Corporation", product: "Microsoft® Windows® Operating System", version: "10.0.22621.4541", desc: "Windows Command Processor", size: 323_584, args: "/c", ctx: Ctx::User, parent: "explorer.exe", signer: "Microsoft Windows", hosts: &[], role: Role::Shell, ws: 0, srv: 0 },
    Proc { file: "svchost.exe", dir: r"C:\Windows\System32", company: "Microsoft Corporation", product: "Microsoft® Windows® Operating System", version: "10.0.22621.4391", desc: "Host Process for Windows Services", size: 57_360, args: "-k netsvcs -p -s wuauserv", ctx: Ctx::System, parent: "services.exe", signer: "Microsoft Windows", hosts: &["settings-win.data.microsoft.com", "ctldl.windowsupdate.com", "dl.delivery.mp.microsoft.com", "fe3cr.delivery.mp.microsoft.com", "slscr.update.microsoft.com"], role: Role::Benign, ws: 14, srv: 30 },
    Proc { file: "svchost.exe", dir: r"C:\Windows\System32", company: "Microsoft Corporation", product: "Microsoft® Windows® Operating System", version: "10.0.22621.4391", desc: "Host Process for Windows Services", size: 57_360, args: "-k NetworkService -p -s Dnscache", ctx: Ctx::NetworkService, parent: "services.exe", signer: "Microsoft Windows", hosts: &[], role: Role::Benign, ws: 10, srv: 20 },
    Proc { file: "svchost.exe", dir: r"C:\Windows\System32", company: "Microsoft Corporation", product: "Microsoft® Windows® Operating System", version: "10.0.22621.4391", desc: "Host Process for Windows Services", size: 57_360, args: "-k LocalService -s W32Time", ctx: Ctx::LocalService, parent: "services.exe", signer: "Microsoft Windows", hosts: &["time.windows.com"], role: Role::Benign, ws: 2, srv: 3 },
    Proc { file: "powershell.exe", dir: r"C:\Windows\System32\WindowsPowerShell\v1.0", company: "Microsoft Corporation", product: "Microsoft® Windows® Operating System", version: "10.0.22621.3672", desc: "Windows PowerShell", size: 455_680, args: "-NoProfile -ExecutionPolicy Bypass -File C:\\ProgramData\\Contoso\\Scripts\\inventory.ps1", ctx: Ctx::Elevated, parent: "cmd.exe", signer: "Microsoft Windows", hosts: &["www.powershellgallery.com", "aka.ms"], role: Role::Benign, ws: 1, srv: 2 },
    // --- Security stack
    Proc { file: "MsMpEng.exe", dir: r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24090.11-0", company: "Microsoft Corporation", product: "Microsoft® Windows® Operating System", version: "4.18.24090.11", desc: "Antimalware Service Executable", size: 133_608, args: "", ctx: Ctx::System, parent: "services.exe", signer: "Microsoft Corporation", hosts: &["wdcp.microsoft.com", "definitionupdates.microsoft.com", "go.microsoft.com"], role: Role::Benign, ws: 6, srv: 8 },
    Proc { file: "MsSense.exe", dir: r"C:\Program Files\Windows Defender Advanced Threat Protection", company: "Microsoft Corporation", product: "Microsoft® Windows® Operating System", version: "10.8760.22621.1016", desc: "Windows Defender Advanced Threat Protection Service Executable", size: 5_237_192, args: "", ctx: Ctx::System, parent: "services.exe", signer: "Microsoft Corporation", hosts: &["winatp-gw-eus.microsoft.com", "us-v20.events.data.microsoft.com", "edr-eus.us.endpoint.security.microsoft.com"], role: Role::Benign, ws: 8, srv: 10 },
    // --- Browsers and user apps
    Proc { file: "chrome.exe", dir: r"C:\Program Files\Google\Chrome\Application", company: "Google LLC", product: "Google Chrome", version: "131.0.6778.86", desc: "Google Chrome", size: 2_827_544, args: "--type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US --service-sandbox-type=none", ctx: Ctx::User, parent: "explorer.exe", signer: "Google LLC", hosts: WEB, role: Role::Benign, ws: 30, srv: 1 },
    Proc { file: "msedge.exe", dir: r"C:\Program Files (x86)\Microsoft\Edge\Application", company: "Microsoft Corporation", product: "Microsoft Edge", version: "131.0.2903.70", desc: "Microsoft Edge", size: 4_154_384, args: "--type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US --service-sandbox-type=none", ctx: Ctx::User, parent: "explorer.exe", signer: "Microsoft Corporation", hosts: WEB, role: Role::Benign, ws: 20, srv: 2 },
    Proc { file: "firefox.exe", dir: r"C:\Program Files\Mozilla Firefox", company: "Mozilla Corporation", product: "Firefox", version: "133.0.0", desc: "Firefox", size: 678_968, args: "-contentproc -parentBuildID 20241125231112 -prefsLen 31090 -isForBrowser", ctx: Ctx::User, parent: "explorer.exe", signer: "Mozilla Corporation", hosts: WEB, role: Role::Benign, ws: 5, srv: 0 },
    Proc { file: "ms-teams.exe", dir: r"C:\Program Files\WindowsApps\MSTeams_24295.605.3225.8804_x64__8wekyb3d8bbwe", company: "Microsoft Corporation", product: "Microsoft Teams", version: "24295.605.3225.8804", desc: "Microsoft Teams", size: 1_056_112, args: "", ctx: Ctx::User, parent: "explorer.exe", signer: "Microsoft Corporation", hosts: &["teams.microsoft.com", "statics.teams.cdn.office.net", "teams.events.data.microsoft.com", "presence.teams.microsoft.com"], role: Role::Benign, ws: 10, srv: 0 },
    Proc { file: "OneDrive.exe", dir: r"C:\Users\{u}\AppData\Local\Microsoft\OneDrive", company: "Microsoft Corporation", product: "Microsoft OneDrive", version: "24.226.1110.0004", desc: "Microsoft OneDrive", size: 4_069_688, args: "/background", ctx: Ctx::User, parent: "explorer.exe", signer: "Microsoft Corporation", hosts: &["contoso-my.sharepoint.com", "g.live.com", "skyapi.live.net", "oneclient.sfx.ms"], role: Role::Benign, ws: 6, srv: 0 },
    Proc { file: "OUTLOOK.EXE", dir: r"C:\Program Files\Microsoft Office\root\Office16", company: "Microsoft Corporation", product: "Microsoft Outlook", version: "16.0.18129.20158", desc: "Microsoft Outlook", size: 44_233_088, args: "", ctx: Ctx::User, parent: "explorer.exe", signer: "Microsoft Corporation", hosts: &["outlook.office365.com", "outlook.office.com", "substrate.office.com", "ecs.office.com"], role: Role::Benign, ws: 8, srv: 0 },
    Proc { file: "Zoom.exe", dir: r"C:\Users\{u}\AppData\Roaming\Zoom\bin", company: "Zoom Video Communications, Inc.", product: "Zoom Workplace", version: "6.2.11.55041", desc: "Zoom Workplace", size: 537_536, args: "--action=join", ctx: Ctx::User, parent: "explorer.exe", signer: "Zoom Communications, Inc.", hosts: &["zoom.us", "us04web.zoom.us", "us05web.zoom.us"], role: Role::Benign, ws: 3, srv: 0 },
    Proc { file: "slack.exe", dir: r"C:\Users\{u}\AppData\Local\slack\app-4.41.105", company: "Slack Technologies Inc.", product: "Slack", version: "4.41.105", desc: "Slack", size: 177_549_824, args: "--process-start-args --startup", ctx: Ctx::User, parent: "explorer.exe", signer: "Slack Technologies, LLC", hosts: &["slack.com", "wss-primary.slack.com", "edgeapi.slack.com", "a.slack-edge.com"], role: Role::Benign, ws: 3, srv: 0 },
    Proc { file: "Code.exe", dir: r"C:\Users\{u}\AppData\Local\Programs\Microsoft VS Code", company: "Microsoft Corporation", product: "Visual Studio Code", version: "1.95.3", desc: "Visual Studio Code", size: 182_104_632, args: "--type=utility --utility-sub-type=node.mojom.NodeService", ctx: Ctx::User, parent: "explorer.exe", signer: "Microsoft Corporation", hosts: &["marketplace.visualstudio.com", "update.code.visualstudio.com", "vscode.download.prss.microsoft.com"], role: Role::Benign, ws: 2, srv: 0 },
    Proc { file: "Dropbox.exe", dir: r"C:\Program Files (x86)\Dropbox\Client\212.4.5767", company: "Dropbox, Inc.", product: "Dropbox", version: "212.4.5767", desc: "Dropbox", size: 5_920_152, args: "/systemstartup", ctx: Ctx::User, parent: "explorer.exe", signer: "Dropbox, Inc", hosts: &["client.dropbox.com", "bolt.dropbox.com", "d.dropbox.com"], role: Role::Benign, ws: 2, srv: 0 },
    Proc { file: "AcroCEF.exe", dir: r"C:\Program Files\Adobe\Acrobat DC\Acrobat\acrocef_1", company: "Adobe Systems Incorporated", product: "Adobe Acrobat", version: "24.4.20272.0", desc: "Adobe AcroCEF", size: 3_101_168, args: "--type=renderer --log-severity=disable", ctx: Ctx::User, parent: "explorer.exe", signer: "Adobe Inc.", hosts: &["acroipm2.adobe.com", "cc-api-data.adobe.io", "ims-na1.adobelogin.com"], role: Role::Benign, ws: 2, srv: 0 },
    Proc { file: "python.exe", dir: r"C:\Users\{u}\AppData\Local\Programs\Python\Python312", company: "Python Software Foundation", product: "Python", version: "3.12.7", desc: "Python", size: 103_192, args: "-m pip install --upgrade requests", ctx: Ctx::User, parent: "cmd.exe", signer: "Python Software Foundation", hosts: &["pypi.org", "files.pythonhosted.org"], role: Role::Benign, ws: 1, srv: 1 },
    Proc { file: "git-remote-https.exe", dir: r"C:\Program Files\Git\mingw64\libexec\git-core", company: "The Git Development Community", product: "Git", version: "2.47.0.2", desc: "Git for Windows", size: 2_142_112, args: "origin https://github.com/contoso/inventory.git", ctx: Ctx::User, parent: "cmd.exe", signer: "Johannes Schindelin", hosts: &["github.com", "codeload.github.com"], role: Role::Benign, ws: 1, srv: 0 },
    // --- Servers
    Proc { file: "sqlservr.exe", dir: r"C:\Program Files\Microsoft SQL Server\MSSQL16.MSSQLSERVER\MSSQL\Binn", company: "Microsoft Corporation", product: "Microsoft SQL Server", version: "2022.160.4155.4", desc: "SQL Server Windows NT - 64 Bit", size: 479_088, args: "-sMSSQLSERVER", ctx: Ctx::NetworkService, parent: "services.exe", signer: "Microsoft Corporation", hosts: &[], role: Role::Benign, ws: 0, srv: 8 },
    Proc { file: "w3wp.exe", dir: r"C:\Windows\System32\inetsrv", company: "Microsoft Corporation", product: "Internet Information Services", version: "10.0.20348.2849", desc: "IIS Worker Process", size: 29_696, args: "-ap \"DefaultAppPool\" -v \"v4.0\" -l \"webengine4.dll\" -a \\\\.\\pipe\\iisipm", ctx: Ctx::NetworkService, parent: "svchost.exe", signer: "Microsoft Windows", hosts: &["api.contoso.com", "login.microsoftonline.com"], role: Role::Benign, ws: 0, srv: 6 },
    Proc { file: "java.exe", dir: r"C:\Program Files\Java\jre-1.8\bin", company: "Oracle Corporation", product: "Java(TM) Platform SE 8", version: "8.0.4310.10", desc: "Java(TM) Platform SE binary", size: 278_552, args: "-Xmx2g -jar C:\\Apps\\inventory\\inventory-service.jar", ctx: Ctx::NetworkService, parent: "services.exe", signer: "Oracle America, Inc.", hosts: &["repo.maven.apache.org", "api.contoso.com"], role: Role::Benign, ws: 0, srv: 3 },
    // --- Zoho Assist (hits of rmm_ZohoAssist_netconn and rmm_ZohoAssist_filesig)
    Proc { file: "ZohoURS.exe", dir: r"C:\Program Files (x86)\ZohoMeeting\UnAttended\ZohoMeeting", company: "Zoho Corporation Pvt. Ltd.", product: "Zoho Assist", version: "1.0.0.154", desc: "Zoho Assist Unattended Remote Support", size: 4_823_912, args: "-service", ctx: Ctx::System, parent: "services.exe", signer: "Zoho Corporation Private Limited", hosts: ZA_HOSTS, role: Role::ZohoAssist, ws: 0, srv: 0 },
    Proc { file: "ZohoTray.exe", dir: r"C:\Program Files (x86)\ZohoMeeting\UnAttended\ZohoMeeting", company: "Zoho Corporation Pvt. Ltd.", product: "Zoho Assist", version: "1.0.0.154", desc: "Zoho Assist Tray", size: 2_101_128, args: "", ctx: Ctx::User, parent: "explorer.exe", signer: "Zoho Corporation Private Limited", hosts: ZA_HOSTS, role: Role::ZohoAssist, ws: 0, srv: 0 },
    Proc { file: "ZA_Connect.exe", dir: r"C:\Users\{u}\AppData\Local\ZohoMeeting\Agent", company: "Zoho Corporation Pvt. Ltd.", product: "Zoho Assist", version: "11.0.3.27", desc: "Zoho Assist - Customer", size: 7_342_504, args: "-session 482 193 771", ctx: Ctx::User, parent: "explorer.exe", signer: "Zoho Corporation Private Limited", hosts: ZA_HOSTS, role: Role::ZohoAssist, ws: 0, srv: 0 },
    // --- Other Zoho-signed software (file-signature hits, network near misses)
    Proc { file: "dcagentservice.exe", dir: r"C:\Program Files (x86)\ManageEngine\UEMS_Agent\bin", company: "Zoho Corporation Pvt. Ltd.", product: "ManageEngine Endpoint Central", version: "11.3.2416.4", desc: "ManageEngine UEMS Agent Service", size: 3_556_648, args: "", ctx: Ctx::System, parent: "services.exe", signer: "Zoho Corporation Private Limited", hosts: &["downloads.zohocdn.com", "patchdb.manageengine.com", "uems.contoso.local"], role: Role::ZohoOther, ws: 0, srv: 0 },
    Proc { file: "ZohoWorkDrive.exe", dir: r"C:\Users\{u}\AppData\Local\Zoho\WorkDrive", company: "Zoho Corporation Pvt. Ltd.", product: "Zoho WorkDrive", version: "3.2.6", desc: "Zoho WorkDrive TrueSync", size: 88_143_112, args: "--autostart", ctx: Ctx::User, parent: "explorer.exe", signer: "Zoho Corporation Private Limited", hosts: &["workdrive.zoho.com", "static.zohocdn.com", "accounts.zoho.com"], role: Role::ZohoOther, ws: 0, srv: 0 },
    // --- Action1 (hits of rmm_Action1_filesig)
    Proc { file: "action1_agent.exe", dir: r"C:\Windows\Action1", company: "Action1 Corporation", product: "Action1 Endpoint Agent", version: "5.254.688.1", desc: "Action1 Agent", size: 11_480_064, args: "", ctx: Ctx::System, parent: "services.exe", signer: "Action1 Corporation", hosts: &["server.action1.com", "app.action1.com", "a1-backend-packages.s3.amazonaws.com"], role: Role::Action1, ws: 0, srv: 0 },
    Proc { file: "action1_remote.exe", dir: r"C:\Windows\Action1", company: "Action1 Corporation", product: "Action1 Endpoint Agent", version: "5.254.688.1", desc: "Action1 Remote Desktop", size: 6_912_000, args: "-connect", ctx: Ctx::System, parent: "action1_agent.exe", signer: "Action1 Corporation", hosts: &["server.action1.com"], role: Role::Action1, ws: 0, srv: 0 },
    // --- Remote Utilities (hits of rmm_RemoteUtilities_filesig)
    Proc { file: "rutserv.exe", dir: r"C:\Program Files (x86)\Remote Utilities - Host", company: "Remote Utilities LLC", product: "Remote Utilities - Host", version: "7.2.2.0", desc: "Remote Utilities - Host", size: 20_431_872, args: "-service", ctx: Ctx::System, parent: "services.exe", signer: "Remote Utilities LLC", hosts: &["id.remoteutilities.com", "update.remoteutilities.com"], role: Role::RemoteUtilities, ws: 0, srv: 0 },
    Proc { file: "rfusclient.exe", dir: r"C:\Program Files (x86)\Remote Utilities - Host", company: "Remote Utilities Pte. Ltd.", product: "Remote Utilities - Host", version: "7.5.1.0", desc: "Remote Utilities - Host client module", size: 9_870_336, args: "-msi", ctx: Ctx::User, parent: "rutserv.exe", signer: "REMOTE UTILITIES PTE. LTD.", hosts: &["id.remoteutilities.com"], role: Role::RemoteUtilities, ws: 0, srv: 0 },
    // --- RMM tools no catalog rule covers
    Proc { file: "TeamViewer_Service.exe", dir: r"C:\Program Files\TeamViewer", company: "TeamViewer Germany GmbH", product: "TeamViewer", version: "15.59.5.0", desc: "TeamViewer 15", size: 17_829_592, args: "", ctx: Ctx::System, parent: "services.exe", signer: "TeamViewer Germany GmbH", hosts: &["router15.teamviewer.com", "master1.teamviewer.com", "client.teamviewer.com"], role: Role::OtherRmm, ws: 1, srv: 1 },
    Proc { file: "AnyDesk.exe", dir: r"C:\Program Files (x86)\AnyDesk", company: "AnyDesk Software GmbH", product: "AnyDesk", version: "8.1.0", desc: "AnyDesk", size: 5_256_472, args: "--service", ctx: Ctx::System, parent: "services.exe", signer: "AnyDesk Software GmbH", hosts: &["relay-a1b2c3d4.net.anydesk.com", "boot.net.anydesk.com"], role: Role::OtherRmm, ws: 1, srv: 0 },
    Proc { file: "ScreenConnect.ClientService.exe", dir: r"C:\Program Files (x86)\ScreenConnect Client (5e1b0c2d8a7f4e3b)", company: "ConnectWise, LLC", product: "ScreenConnect", version: "24.3.7.9067", desc: "ScreenConnect Client Service", size: 94_160, args: "?e=Access&y=Guest&h=instance-xyz-relay.screenconnect.com&p=443", ctx: Ctx::System, parent: "services.exe", signer: "ConnectWise, LLC", hosts: &["instance-xyz-relay.screenconnect.com"], role: Role::OtherRmm, ws: 0, srv: 1 },
    // --- Signed files seen only in certificate info
    Proc { file: "igfxEM.exe", dir: r"C:\Windows\System32\DriverStore\FileRepository\iigd_dch.inf_amd64_5f0e6b3a", company: "Intel Corporation", product: "Intel(R) Common User Interface", version: "31.0.101.5590", desc: "igfxEM Module", size: 1_122_344, args: "", ctx: Ctx::User, parent: "explorer.exe", signer: "Intel Corporation", hosts: &[], role: Role::FileOnly, ws: 4, srv: 0 },
    Proc { file: "nvcontainer.exe", dir: r"C:\Program Files\NVIDIA Corporation\NvContainer", company: "NVIDIA Corporation", product: "NVIDIA Container", version: "1.41.3012.2", desc: "NVIDIA Container", size: 1_304_248, args: "", ctx: Ctx::System, parent: "services.exe", signer: "NVIDIA Corporation", hosts: &[], role: Role::FileOnly, ws: 2, srv: 0 },
    Proc { file: "RtkAudUService64.exe", dir: r"C:\Windows\System32\DriverStore\FileRepository\realtekservice.inf_amd64_0c2f7d1b", company: "Realtek Semiconductor", product: "Realtek Audio Universal Service", version: "1.0.0.761", desc: "Realtek Audio Universal Service", size: 1_241_568, args: "", ctx: Ctx::System, parent: "services.exe", signer: "Realtek Semiconductor Corp.", hosts: &[], role: Role::FileOnly, ws: 3, srv: 0 },
    Proc { file: "SupportAssistAgent.exe", dir: r"C:\Program Files\Dell\SupportAssistAgent\bin", company: "Dell Inc.", product: "SupportAssist", version: "4.5.2.22553", desc: "Dell SupportAssist Agent", size: 393_776, args: "", ctx: Ctx::System, parent: "services.exe", signer: "Dell Inc", hosts: &[], role: Role::FileOnly, ws: 2, srv: 0 },
    Proc { file: "vmtoolsd.exe", dir: r"C:\Program Files\VMware\VMware Tools", company: "VMware, Inc.", product: "VMware Tools", version: "12.4.5.54197", desc: "VMware Tools Core Service", size: 96_136, args: "", ctx: Ctx::System, parent: "services.exe", signer: "VMware, Inc.", hosts: &[], role: Role::FileOnly, ws: 0, srv: 6 },
    Proc { file: "vpnui.exe", dir: r"C:\Program Files (x86)\Cisco\Cisco Secure Client", company: "Cisco Systems, Inc.", product: "Cisco Secure Client", version: "5.1.5.65", desc: "Cisco Secure Client User Interface", size: 1_212_040, args: "", ctx: Ctx::User, parent: "explorer.exe", signer: "Cisco Systems, Inc.", hosts: &[], role: Role::FileOnly, ws: 3, srv: 0 },
    Proc { file: "notepad++.exe", dir: r"C:\Program Files\Notepad++", company: "Don HO don.h@free.fr", product: "Notepad++", version: "8.7.1", desc: "Notepad++", size: 6_480_696, args: "", ctx: Ctx::User, parent: "explorer.exe", signer: "Notepad++", hosts: &[], role: Role::FileOnly, ws: 1, srv: 0 },
];

/// Per-process values derived once: hashes, paths, publisher.
struct ProcInfo {
    sha1: String,
    sha256: String,
    md5: String,
    stem: String,
    publisher: usize,
    parent: usize,
}

struct User {
    name: String,
    sid: String,
    upn: String,
    object_id: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Workstation,
    Laptop,
    Server,
}

struct Device {
    id: String,
    name: String,
    short: String,
    ip: String,
    kind: Kind,
    user: usize,
    group: &'static str,
    /// Role of the RMM tool installed on it, if any.
    rmm: Option<Role>,
    logon_id: i64,
}

const FIRST: &[&str] = &[
    "aaron", "adele", "alex", "amir", "anna", "ben", "carla", "chen", "daniel", "diego", "elena",
    "fatima", "grace", "hana", "ivan", "jamal", "julia", "kenji", "laura", "lucas", "maria",
    "megan", "nadia", "nils", "olga", "omar", "priya", "raj", "rosa", "sam", "sofia", "tom", "uma",
    "victor", "wei", "yusuf", "zoe",
];
const LAST: &[&str] = &[
    "adams", "baker", "brown", "chan", "costa", "davis", "evans", "garcia", "gupta", "hall", "ito",
    "jones", "khan", "kim", "lee", "lopez", "martin", "meyer", "miller", "moore", "nguyen",
    "novak", "patel", "reyes", "rossi", "sato", "schmidt", "silva", "smith", "taylor", "walker",
    "wang", "white", "wilson", "young",
];
const SERVER_ROLES: &[&str] = &[
    "app", "sql", "web", "file", "print", "dc", "ca", "sccm", "iis",
];

struct World {
    procs: Vec<ProcInfo>,
    users: Vec<User>,
    devices: Vec<Device>,
    /// Background picks: cumulative weights over PROCS.
    ws_weights: Vec<(u32, usize)>,
    srv_weights: Vec<(u32, usize)>,
    tenant: String,
    issuer_hashes: Vec<String>,
    signer_hashes: Vec<String>,
    serials: Vec<String>,
    /// (creation, expiration) per publisher.
    cert_times: Vec<(i64, i64)>,
}

fn proc_by_name(name: &str) -> Option<usize> {
    PROCS.iter().position(|p| p.file == name)
}

fn procs_with(role: Role) -> Vec<usize> {
    (0..PROCS.len())
        .filter(|&i| PROCS[i].role == role)
        .collect()
}

impl World {
    fn new(seed: u64, ndev: u32, now: i64) -> Self {
        let mut rng = Rng::new(seed.wrapping_mul(31).wrapping_add(1));
        let procs = PROCS
            .iter()
            .map(|p| {
                let h = fnv1a(&[p.file, p.version, p.company]);
                ProcInfo {
                    sha1: hex_of(h, 40),
                    sha256: hex_of(h ^ 0x256, 64),
                    md5: hex_of(h ^ 0x5, 32),
                    stem: p.file.rsplit_once('.').map_or(p.file, |x| x.0).to_string(),
                    publisher: PUBLISHERS
                        .iter()
                        .position(|(s, _)| *s == p.signer)
                        .unwrap_or_else(|| panic!("no publisher {}", p.signer)),
                    parent: proc_by_name(p.parent).unwrap_or(0),
                }
            })
            .collect();
        let nusers = (ndev as usize).clamp(8, 5000);
        let users = (0..nusers)
            .map(|i| {
                let f = FIRST[i % FIRST.len()];
                let l = LAST[(i / FIRST.len()) % LAST.len()];
                let name = if i < FIRST.len() * LAST.len() {
                    format!("{f}.{l}")
                } else {
                    format!("{f}.{l}{i}")
                };
                User {
                    sid: format!("S-1-5-21-1004336348-1177238915-682003330-{}", 1104 + i),
                    upn: format!("{name}@contoso.com"),
                    object_id: guid_of(fnv1a(&["user", &name]) ^ seed),
                    name,
                }
            })
            .collect::<Vec<_>>();
        let mut devices = Vec::with_capacity(ndev as usize);
        let (mut nws, mut nlt, mut nsrv) = (0u32, 0u32, 0u32);
        for i in 0..ndev {
            let r = rng.below(100);
            let kind = if r < 55 {
                Kind::Workstation
            } else if r < 85 {
                Kind::Laptop
            } else {
                Kind::Server
            };
            let short = match kind {
                Kind::Workstation => {
                    nws += 1;
                    format!("wks-{:04}", 100 + nws * 3 + (rng.below(3) as u32))
                }
                Kind::Laptop => {
                    nlt += 1;
                    format!("lt-{:04}", 1000 + nlt * 7 + (rng.below(7) as u32))
                }
                Kind::Server => {
                    nsrv += 1;
                    let role = SERVER_ROLES[(nsrv as usize - 1) % SERVER_ROLES.len()];
                    format!(
                        "srv-{role}-{:02}",
                        1 + (nsrv as usize - 1) / SERVER_ROLES.len()
                    )
                }
            };
            let ip = match kind {
                Kind::Server => format!("10.10.{}.{}", 1 + i / 240 % 250, 10 + i % 240),
                _ => format!("10.20.{}.{}", i / 250 % 256, 2 + i % 250),
            };
            let group = if rng.below(10) == 0 {
                "UnassignedGroup"
            } else {
                match kind {
                    Kind::Workstation => "Workstations",
                    Kind::Laptop => "Laptops",
                    Kind::Server => "Servers - Tier 1",
                }
            };
            devices.push(Device {
                id: hex_of(rng.next_u64(), 40),
                name: format!("{short}.contoso.local"),
                short,
                ip,
                kind,
                user: rng.below(nusers as u64) as usize,
                group,
                rmm: None,
                logon_id: rng.range(0x2_0000, 0x40_0000),
            });
        }
        // RMM tools on a few devices (at least one of each kind).
        let nrmm = (ndev as usize / 30).max(5).min(ndev as usize);
        let kinds = [
            Role::ZohoAssist,
            Role::Action1,
            Role::RemoteUtilities,
            Role::ZohoOther,
            Role::ZohoAssist,
        ];
        let mut order: Vec<usize> = (0..devices.len()).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i as u64 + 1) as usize);
        }
        for (k, &d) in order.iter().take(nrmm).enumerate() {
            devices[d].rmm = Some(kinds[k % kinds.len()]);
        }
        let weights = |srv: bool| {
            let mut acc = 0;
            PROCS
                .iter()
                .enumerate()
                .filter_map(|(i, p)| {
                    let w = if srv { p.srv } else { p.ws };
                    (w > 0).then(|| {
                        acc += w;
                        (acc, i)
                    })
                })
                .collect::<Vec<_>>()
        };
        World {
            procs,
            users,
            devices,
            ws_weights: weights(false),
            srv_weights: weights(true),
            tenant: guid_of(seed ^ 0x007E_4A47),
            issuer_hashes: ISSUERS
                .iter()
                .map(|i| hex_of(fnv1a(&["issuer", i.name]), 40))
                .collect(),
            signer_hashes: PUBLISHERS
                .iter()
                .map(|p| hex_of(fnv1a(&["signer", p.0]), 40))
                .collect(),
            serials: PUBLISHERS
                .iter()
                .map(|p| hex_of(fnv1a(&["serial", p.0]), 32))
                .collect(),
            cert_times: PUBLISHERS
                .iter()
                .map(|p| {
                    let h = fnv1a(&["cert", p.0]);
                    let created = now - (60 + (h % 600) as i64) * DAY + (h >> 20) as i64 % DAY;
                    let life = if p.0.starts_with("Microsoft") {
                        400
                    } else {
                        1095
                    };
                    (created, created + life * DAY)
                })
                .collect(),
        }
    }

    fn background_proc(&self, rng: &mut Rng, kind: Kind) -> usize {
        let w = if kind == Kind::Server {
            &self.srv_weights
        } else {
            &self.ws_weights
        };
        let total = w.last().map_or(1, |x| x.0);
        let r = rng.below(u64::from(total)) as u32;
        w[w.partition_point(|&(acc, _)| acc <= r)].1
    }

    fn devices_with(&self, role: Role) -> Vec<usize> {
        (0..self.devices.len())
            .filter(|&d| self.devices[d].rmm == Some(role))
            .collect()
    }
}

// ---------------------------------------------------------------------------
// Row generation.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind2 {
    Background,
    Hit,
    NearMiss,
}

struct Gen {
    table: Table,
    rng: Rng,
    world: World,
    now: i64,
    report_id: i64,
    /// Devices with the RMM tool installed, per role.
    za_devs: Vec<usize>,
    zoho_other_devs: Vec<usize>,
    za_procs: Vec<usize>,
    zoho_other_procs: Vec<usize>,
    rule_procs: Vec<usize>,
    other_rmm_procs: Vec<usize>,
    browsers: Vec<usize>,
    file_procs: Vec<usize>,
}

impl Gen {
    fn new(table: Table, seed: u64, ndev: u32, now: i64, first_report_id: i64) -> Self {
        let world = World::new(seed, ndev, now);
        let za_devs = world.devices_with(Role::ZohoAssist);
        let zoho_other_devs = world.devices_with(Role::ZohoOther);
        let mut rule_procs = procs_with(Role::ZohoAssist);
        rule_procs.extend(procs_with(Role::ZohoOther));
        rule_procs.extend(procs_with(Role::Action1));
        rule_procs.extend(procs_with(Role::RemoteUtilities));
        Gen {
            table,
            rng: Rng::new(seed),
            world,
            now,
            report_id: first_report_id,
            za_devs,
            zoho_other_devs,
            za_procs: procs_with(Role::ZohoAssist),
            zoho_other_procs: procs_with(Role::ZohoOther),
            rule_procs,
            other_rmm_procs: procs_with(Role::OtherRmm),
            browsers: ["chrome.exe", "msedge.exe", "firefox.exe"]
                .iter()
                .filter_map(|n| proc_by_name(n))
                .collect(),
            file_procs: (0..PROCS.len())
                .filter(|&i| matches!(PROCS[i].role, Role::Benign | Role::FileOnly | Role::Shell))
                .collect(),
        }
    }

    fn next_report_id(&mut self) -> i64 {
        let id = self.report_id;
        self.report_id += 1 + self.rng.below(4) as i64;
        id
    }

    fn random_device(&mut self) -> usize {
        self.rng.below(self.world.devices.len() as u64) as usize
    }

    /// Device that runs the RMM tool(s) of `procs`' role.
    fn rmm_device(&mut self, p: usize) -> usize {
        let role = PROCS[p].role;
        let cands: Vec<usize> = match role {
            Role::ZohoAssist => self.za_devs.clone(),
            Role::ZohoOther => self.zoho_other_devs.clone(),
            _ => self.world.devices_with(role),
        };
        if cands.is_empty() {
            self.random_device()
        } else {
            *self.rng.pick(&cands)
        }
    }

    fn row(&mut self, r: &mut Row, ts: i64, kind: Kind2, in_window: bool) {
        r.clear();
        match self.table {
            Table::DeviceNetworkEvents => self.dne(r, ts, kind, in_window),
            Table::DeviceFileCertificateInfo => self.dfci(r, ts, kind),
            Table::DeviceProcessEvents => self.dpe(r, ts, kind),
        }
    }

    fn common_tail(&mut self, r: &mut Row, ts: i64, d: usize) {
        let delay = self.rng.range(SEC, 4 * MIN);
        r.t("TimeGenerated", (ts + delay).min(self.now.max(ts)));
        r.st("TenantId", &self.world.tenant);
        r.s("SourceSystem", "");
        r.s("MachineGroup", self.world.devices[d].group);
        r.s("Type", self.table.name());
    }

    /// Account columns for a process running in `ctx` on device `d`
    /// (Domain, Name, Sid, Upn, ObjectId).
    fn account(&self, r: &mut Row, prefix: &str, ctx: Ctx, d: usize) {
        let names: [&str; 5] = if prefix.is_empty() {
            [
                "AccountDomain",
                "AccountName",
                "AccountSid",
                "AccountUpn",
                "AccountObjectId",
            ]
        } else {
            [
                "InitiatingProcessAccountDomain",
                "InitiatingProcessAccountName",
                "InitiatingProcessAccountSid",
                "InitiatingProcessAccountUpn",
                "InitiatingProcessAccountObjectId",
            ]
        };
        match ctx {
            Ctx::User | Ctx::Elevated => {
                let u = &self.world.users[self.world.devices[d].user];
                r.s(names[0], "contoso");
                r.st(names[1], &u.name);
                r.st(names[2], &u.sid);
                r.st(names[3], &u.upn);
                r.st(names[4], &u.object_id);
            }
            _ => {
                let (name, sid) = match ctx {
                    Ctx::NetworkService => ("network service", "S-1-5-20"),
                    Ctx::LocalService => ("local service", "S-1-5-19"),
                    _ => ("system", "S-1-5-18"),
                };
                r.s(names[0], "nt authority");
                r.s(names[1], name);
                r.s(names[2], sid);
                r.s(names[3], "");
                r.s(names[4], "");
            }
        }
    }

    fn dir_of(&self, p: usize, d: usize) -> String {
        let dir = PROCS[p].dir;
        if dir.contains("{u}") {
            dir.replace("{u}", &self.world.users[self.world.devices[d].user].name)
        } else {
            dir.to_string()
        }
    }

    fn pid(&mut self) -> i64 {
        4 * self.rng.range(100, 12_000)
    }

    fn integrity(ctx: Ctx) -> (&'static str, &'static str) {
        match ctx {
            Ctx::User => ("Medium", "TokenElevationTypeLimited"),
            Ctx::Elevated => ("High", "TokenElevationTypeFull"),
            _ => ("System", "TokenElevationTypeDefault"),
        }
    }

    /// Session id and RDP source for a process on device `d`.
    fn session(&mut self, ctx: Ctx, d: usize) -> (i64, Option<usize>) {
        match ctx {
            Ctx::User | Ctx::Elevated => {
                if self.world.devices[d].kind == Kind::Server {
                    let src = self.random_device();
                    (2 + self.rng.below(3) as i64, Some(src))
                } else {
                    (1, None)
                }
            }
            _ => (0, None),
        }
    }

    /// The InitiatingProcess* image columns shared by DNE and DPE, from
    /// InitiatingProcessSHA1 to InitiatingProcessVersionInfoFileDescription.
    fn image_cols(&mut self, r: &mut Row, p: usize) {
        let pr = &PROCS[p];
        let info = &self.world.procs[p];
        r.st("InitiatingProcessSHA1", &info.sha1);
        if self.rng.chance(0.35) {
            r.st("InitiatingProcessSHA256", &info.sha256);
        } else {
            r.s("InitiatingProcessSHA256", "");
        }
        r.st("InitiatingProcessMD5", &info.md5);
        r.s("InitiatingProcessFileName", pr.file);
        r.i("InitiatingProcessFileSize", pr.size);
        r.s("InitiatingProcessVersionInfoCompanyName", pr.company);
        r.s("InitiatingProcessVersionInfoProductName", pr.product);
        r.s("InitiatingProcessVersionInfoProductVersion", pr.version);
        r.st("InitiatingProcessVersionInfoInternalFileName", &info.stem);
        r.s("InitiatingProcessVersionInfoOriginalFileName", pr.file);
        r.s("InitiatingProcessVersionInfoFileDescription", pr.desc);
    }

    fn command_line(&self, r: &mut Row, col: &str, p: usize, d: usize) {
        let pr = &PROCS[p];
        let dir = self.dir_of(p, d);
        if pr.args.is_empty() {
            r.f(col, format_args!("\"{}\"", pr.file));
        } else {
            r.f(col, format_args!("\"{dir}\\{}\" {}", pr.file, pr.args));
        }
    }

    // --- DeviceNetworkEvents --------------------------------------------

    fn dne(&mut self, r: &mut Row, ts: i64, kind: Kind2, in_window: bool) {
        // Pick device, initiating process and remote host.
        let (d, p, host): (usize, usize, &'static str) = match kind {
            Kind2::Hit => {
                let p = *self.rng.pick(&self.za_procs);
                let d = self.rmm_device(p);
                (d, p, *self.rng.pick(ZA_HOSTS))
            }
            Kind2::NearMiss if !in_window => {
                // Zoho Assist traffic that is older than the rules' window.
                let p = *self.rng.pick(&self.za_procs);
                let d = self.rmm_device(p);
                (d, p, *self.rng.pick(ZA_HOSTS))
            }
            Kind2::NearMiss => match self.rng.below(4) {
                0 => {
                    // A user opening the Zoho Assist web console in a browser.
                    let p = *self.rng.pick(&self.browsers);
                    let d = self.random_device();
                    (
                        d,
                        p,
                        *self
                            .rng
                            .pick(&["assist.zoho.com", "assist.zoho.eu", "zohoassist.com"]),
                    )
                }
                1 => {
                    // Zoho-signed, Zoho company, listed URL, but not Zoho Assist.
                    let p = *self.rng.pick(&self.zoho_other_procs);
                    let d = self.rmm_device(p);
                    let h = *self.rng.pick(PROCS[p].hosts);
                    (d, p, h)
                }
                2 => {
                    // Zoho Assist talking to a Zoho host that is not in the list.
                    let p = *self.rng.pick(&self.za_procs);
                    let d = self.rmm_device(p);
                    (
                        d,
                        p,
                        *self
                            .rng
                            .pick(&["accounts.zoho.com", "www.zoho.com", "crm.zoho.com"]),
                    )
                }
                _ => {
                    // Other RMM tools (no netconn rule in the catalog).
                    let mut c = self.other_rmm_procs.clone();
                    c.extend(procs_with(Role::Action1));
                    c.extend(procs_with(Role::RemoteUtilities));
                    let p = *self.rng.pick(&c);
                    let d = if PROCS[p].role == Role::OtherRmm {
                        self.random_device()
                    } else {
                        self.rmm_device(p)
                    };
                    let h = *self.rng.pick(PROCS[p].hosts);
                    (d, p, h)
                }
            },
            Kind2::Background => {
                let d = self.random_device();
                let p = loop {
                    let p = self
                        .world
                        .background_proc(&mut self.rng, self.world.devices[d].kind);
                    if PROCS[p].role == Role::Benign || PROCS[p].role == Role::OtherRmm {
                        break p;
                    }
                };
                let h = if PROCS[p].hosts.is_empty() || self.rng.chance(0.08) {
                    ""
                } else {
                    *self.rng.pick(PROCS[p].hosts)
                };
                (d, p, h)
            }
        };
        let pr = &PROCS[p];
        let dev_kind = self.world.devices[d].kind;
        // Shape of the connection.
        let roll = self.rng.below(100);
        let (action, inbound) = if kind == Kind2::Background && host.is_empty() {
            if dev_kind == Kind::Server && roll < 45 {
                ("InboundConnectionAccepted", true)
            } else if roll < 92 {
                ("ConnectionSuccess", false)
            } else {
                ("ConnectionFailed", false)
            }
        } else if kind == Kind2::Background && self.browsers.contains(&p) && roll < 6 {
            (
                [
                    "SslConnectionInspected",
                    "HttpConnectionInspected",
                    "DnsConnectionInspected",
                ][(roll % 3) as usize],
                false,
            )
        } else if roll < 95 {
            ("ConnectionSuccess", false)
        } else {
            ("ConnectionFailed", false)
        };
        let internal_dns = action == "DnsConnectionInspected"
            || (host.is_empty() && !inbound && pr.ctx == Ctx::NetworkService);
        let (remote_ip, remote_port, proto, remote_type): (String, i64, &str, &str) = if inbound {
            let src = self.random_device();
            let port = *self.rng.pick(&[445i64, 443, 1433, 3389, 135, 5985]);
            (self.world.devices[src].ip.clone(), port, "Tcp", "Private")
        } else if internal_dns {
            ("10.10.0.10".to_string(), 53, "Udp", "Private")
        } else if host.is_empty() {
            let ip = if self.rng.chance(0.5) {
                format!("10.10.{}.{}", self.rng.range(1, 4), self.rng.range(10, 60))
            } else {
                public_ip(self.rng.next_u64())
            };
            let private = ip.starts_with("10.");
            let port = if private {
                *self.rng.pick(&[445i64, 135, 389, 88, 443])
            } else {
                443
            };
            (ip, port, "Tcp", if private { "Private" } else { "Public" })
        } else if host.ends_with(".contoso.local") {
            let ip = format!(
                "10.10.{}.{}",
                2 + fnv1a(&[host]) % 3,
                20 + fnv1a(&[host]) % 200
            );
            (ip, 443, "Tcp", "Private")
        } else if host == "time.windows.com" {
            (host_ip(host, self.rng.below(4)), 123, "Udp", "Public")
        } else {
            let port = if action == "HttpConnectionInspected" {
                80
            } else {
                443
            };
            (host_ip(host, self.rng.below(4)), port, "Tcp", "Public")
        };
        let dev = &self.world.devices[d];
        let local_port = if inbound {
            remote_port
        } else {
            self.rng.range(49_152, 65_536)
        };
        let (remote_port, remote_ip_for_row, local_ip) = if inbound {
            (self.rng.range(49_152, 65_536), remote_ip, dev.ip.clone())
        } else {
            (remote_port, remote_ip, dev.ip.clone())
        };
        // Defender writes the FQDN; browsers occasionally report a full URL.
        let url_is_full = !host.is_empty() && self.browsers.contains(&p) && self.rng.chance(0.05);

        r.t("Timestamp", ts);
        r.st("DeviceId", &self.world.devices[d].id);
        r.st("DeviceName", &self.world.devices[d].name);
        r.s("ActionType", action);
        r.st("RemoteIP", &remote_ip_for_row);
        r.i("RemotePort", remote_port);
        if action == "DnsConnectionInspected" {
            r.s("RemoteUrl", "");
        } else if url_is_full {
            r.f("RemoteUrl", format_args!("https://{host}/"));
        } else {
            r.s("RemoteUrl", host);
        }
        r.st("LocalIP", &local_ip);
        r.i("LocalPort", local_port);
        r.s("Protocol", proto);
        r.s("LocalIPType", "Private");
        r.s("RemoteIPType", remote_type);
        self.image_cols(r, p);
        let pid = self.pid();
        r.i("InitiatingProcessId", pid);
        self.command_line(r, "InitiatingProcessCommandLine", p, d);
        let created = ts - self.rng.range(2 * SEC, 10 * HOUR);
        r.t("InitiatingProcessCreationTime", created);
        let dir = self.dir_of(p, d).to_lowercase();
        r.f(
            "InitiatingProcessFolderPath",
            format_args!("{dir}\\{}", pr.file.to_lowercase()),
        );
        r.s("InitiatingProcessParentFileName", pr.parent);
        let ppid = self.pid();
        r.i("InitiatingProcessParentId", ppid);
        let pcreated = created - self.rng.range(SEC, 3 * DAY);
        r.t("InitiatingProcessParentCreationTime", pcreated);
        self.account(r, "InitiatingProcess", pr.ctx, d);
        let (il, te) = Self::integrity(pr.ctx);
        r.s("InitiatingProcessIntegrityLevel", il);
        r.s("InitiatingProcessTokenElevation", te);
        let rid = self.next_report_id();
        r.i("ReportId", rid);
        r.s("AppGuardContainerId", "");
        match action {
            "SslConnectionInspected" => {
                let cr = hex_of(self.rng.next_u64(), 64);
                r.f(
                    "AdditionalFields",
                    format_args!(
                        r#"{{"version":"TLS 1.3","client_random":"{cr}","server_name":"{host}","established":true,"direction":"Out"}}"#
                    ),
                );
            }
            "HttpConnectionInspected" => {
                r.f(
                    "AdditionalFields",
                    format_args!(
                        r#"{{"direction":"Out","host":"{host}","method":"GET","status_code":"200","uri":"/","user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"}}"#
                    ),
                );
            }
            "DnsConnectionInspected" => {
                r.f(
                    "AdditionalFields",
                    format_args!(
                        r#"{{"direction":"Out","query":"{host}","query_type":"A","rcode":"NOERROR","answers":["{}"]}}"#,
                        host_ip(host, 0)
                    ),
                );
            }
            _ => r.s("AdditionalFields", ""),
        }
        let (sess, rdp) = self.session(pr.ctx, d);
        r.i("InitiatingProcessSessionId", sess);
        r.b("IsInitiatingProcessRemoteSession", rdp.is_some());
        match rdp {
            Some(src) => {
                r.st(
                    "InitiatingProcessRemoteSessionDeviceName",
                    &self.world.devices[src].short,
                );
                r.st(
                    "InitiatingProcessRemoteSessionIP",
                    &self.world.devices[src].ip,
                );
            }
            None => {
                r.s("InitiatingProcessRemoteSessionDeviceName", "");
                r.s("InitiatingProcessRemoteSessionIP", "");
            }
        }
        self.common_tail(r, ts, d);
    }

    // --- DeviceFileCertificateInfo ----------------------------------------

    fn dfci(&mut self, r: &mut Row, ts: i64, kind: Kind2) {
        let (d, p) = match kind {
            Kind2::Hit => {
                // Any file signed by Zoho (incl. ManageEngine: the Zoho rule is
                // overbroad), Action1 or Remote Utilities.
                let p = *self.rng.pick(&self.rule_procs);
                (self.rmm_device(p), p)
            }
            Kind2::NearMiss => {
                // In the window: RMM tools no rule covers; outside it: the
                // rules' publishers (handled by the caller's timestamp).
                if ts >= self.now - 5 * DAY {
                    let p = *self.rng.pick(&self.other_rmm_procs);
                    (self.random_device(), p)
                } else {
                    let p = *self.rng.pick(&self.rule_procs);
                    (self.rmm_device(p), p)
                }
            }
            Kind2::Background => {
                let d = self.random_device();
                let p = loop {
                    let p = if self.rng.chance(0.3) {
                        *self.rng.pick(&self.file_procs)
                    } else {
                        self.world
                            .background_proc(&mut self.rng, self.world.devices[d].kind)
                    };
                    if matches!(
                        PROCS[p].role,
                        Role::Benign | Role::FileOnly | Role::OtherRmm | Role::Shell
                    ) {
                        break p;
                    }
                };
                (d, p)
            }
        };
        let info = &self.world.procs[p];
        let pubi = info.publisher;
        let (signer, issuer_idx) = PUBLISHERS[pubi];
        let issuer = &ISSUERS[issuer_idx];
        let (created, expires) = self.world.cert_times[pubi];
        let windows = signer == "Microsoft Windows";

        r.t("Timestamp", ts);
        r.st("DeviceId", &self.world.devices[d].id);
        r.st("DeviceName", &self.world.devices[d].name);
        r.st("SHA1", &self.world.procs[p].sha1);
        r.b("IsSigned", true);
        r.s(
            "SignatureType",
            if windows && self.rng.chance(0.5) {
                "Catalog"
            } else {
                "Embedded"
            },
        );
        r.s("Signer", signer);
        r.st("SignerHash", &self.world.signer_hashes[pubi]);
        r.s("Issuer", issuer.name);
        r.st("IssuerHash", &self.world.issuer_hashes[issuer_idx]);
        r.st("CertificateSerialNumber", &self.world.serials[pubi]);
        r.s("CrlDistributionPointUrls", issuer.crls);
        r.t("CertificateCreationTime", created);
        r.t("CertificateExpirationTime", expires);
        let h = fnv1a(&[PROCS[p].file, PROCS[p].version]);
        if h.is_multiple_of(20) {
            r.null("CertificateCountersignatureTime");
        } else {
            let span = (expires.min(self.now) - created).max(DAY);
            r.t(
                "CertificateCountersignatureTime",
                created + (h >> 8) as i64 % span,
            );
        }
        r.b("IsTrusted", expires > ts || !h.is_multiple_of(20));
        r.b("IsRootSignerMicrosoft", windows);
        let rid = self.next_report_id();
        r.i("ReportId", rid);
        self.common_tail(r, ts, d);
    }

    // --- DeviceProcessEvents ----------------------------------------------

    fn dpe(&mut self, r: &mut Row, ts: i64, kind: Kind2) {
        let (d, p) = match kind {
            Kind2::Hit => {
                let p = *self.rng.pick(&self.rule_procs);
                (self.rmm_device(p), p)
            }
            _ => {
                let d = self.random_device();
                let p = loop {
                    let p = if kind == Kind2::NearMiss {
                        *self.rng.pick(&self.other_rmm_procs)
                    } else {
                        self.world
                            .background_proc(&mut self.rng, self.world.devices[d].kind)
                    };
                    if PROCS[p].role != Role::Shell {
                        break p;
                    }
                };
                (d, p)
            }
        };
        let pr = &PROCS[p];
        let info = &self.world.procs[p];
        let q = info.parent;
        let par = &PROCS[q];
        let dir = self.dir_of(p, d);

        r.t("Timestamp", ts);
        r.st("DeviceId", &self.world.devices[d].id);
        r.st("DeviceName", &self.world.devices[d].name);
        r.s("ActionType", "ProcessCreated");
        r.s("FileName", pr.file);
        r.f("FolderPath", format_args!("{dir}\\{}", pr.file));
        r.st("SHA1", &self.world.procs[p].sha1);
        r.st("SHA256", &self.world.procs[p].sha256);
        r.st("MD5", &self.world.procs[p].md5);
        r.i("FileSize", pr.size);
        r.s("ProcessVersionInfoCompanyName", pr.company);
        r.s("ProcessVersionInfoProductName", pr.product);
        r.s("ProcessVersionInfoProductVersion", pr.version);
        r.st(
            "ProcessVersionInfoInternalFileName",
            &self.world.procs[p].stem,
        );
        r.s("ProcessVersionInfoOriginalFileName", pr.file);
        r.s("ProcessVersionInfoFileDescription", pr.desc);
        let pid = self.pid();
        r.i("ProcessId", pid);
        self.command_line(r, "ProcessCommandLine", p, d);
        let (il, te) = Self::integrity(pr.ctx);
        r.s("ProcessIntegrityLevel", il);
        r.s("ProcessTokenElevation", te);
        r.t("ProcessCreationTime", ts);
        self.account(r, "", pr.ctx, d);
        r.i("LogonId", logon_id(pr.ctx, &self.world.devices[d]));
        self.account(r, "InitiatingProcess", par.ctx, d);
        r.i(
            "InitiatingProcessLogonId",
            logon_id(par.ctx, &self.world.devices[d]),
        );
        let (pil, pte) = Self::integrity(par.ctx);
        r.s("InitiatingProcessIntegrityLevel", pil);
        r.s("InitiatingProcessTokenElevation", pte);
        self.image_cols(r, q);
        let ppid = self.pid();
        r.i("InitiatingProcessId", ppid);
        self.command_line(r, "InitiatingProcessCommandLine", q, d);
        let pcreated = ts - self.rng.range(5 * SEC, 2 * DAY);
        r.t("InitiatingProcessCreationTime", pcreated);
        let pdir = self.dir_of(q, d).to_lowercase();
        r.f(
            "InitiatingProcessFolderPath",
            format_args!("{pdir}\\{}", par.file.to_lowercase()),
        );
        let gpid = self.pid();
        r.i("InitiatingProcessParentId", gpid);
        r.s("InitiatingProcessParentFileName", par.parent);
        let gcreated = pcreated - self.rng.range(SEC, 3 * DAY);
        r.t("InitiatingProcessParentCreationTime", gcreated);
        let os = PUBLISHERS[self.world.procs[q].publisher].0 == "Microsoft Windows";
        r.s(
            "InitiatingProcessSignerType",
            if os { "OsVendor" } else { "ThirdParty" },
        );
        r.s("InitiatingProcessSignatureStatus", "Valid");
        let rid = self.next_report_id();
        r.i("ReportId", rid);
        r.s("AppGuardContainerId", "");
        r.s("AdditionalFields", "");
        let (psess, prdp) = self.session(par.ctx, d);
        r.i("InitiatingProcessSessionId", psess);
        r.b("IsInitiatingProcessRemoteSession", prdp.is_some());
        self.rdp_cols(
            r,
            prdp,
            "InitiatingProcessRemoteSessionDeviceName",
            "InitiatingProcessRemoteSessionIP",
        );
        let (sess, rdp) = if pr.ctx == par.ctx {
            (psess, prdp)
        } else {
            self.session(pr.ctx, d)
        };
        r.i("CreatedProcessSessionId", sess);
        r.b("IsProcessRemoteSession", rdp.is_some());
        self.rdp_cols(
            r,
            rdp,
            "ProcessRemoteSessionDeviceName",
            "ProcessRemoteSessionIP",
        );
        self.common_tail(r, ts, d);
    }

    fn rdp_cols(&self, r: &mut Row, rdp: Option<usize>, name_col: &str, ip_col: &str) {
        match rdp {
            Some(src) => {
                r.st(name_col, &self.world.devices[src].short);
                r.st(ip_col, &self.world.devices[src].ip);
            }
            None => {
                r.s(name_col, "");
                r.s(ip_col, "");
            }
        }
    }
}

fn logon_id(ctx: Ctx, dev: &Device) -> i64 {
    match ctx {
        Ctx::System => 999,
        Ctx::NetworkService => 996,
        Ctx::LocalService => 997,
        Ctx::User => dev.logon_id,
        Ctx::Elevated => dev.logon_id + 1,
    }
}

fn host_ip(host: &str, variant: u64) -> String {
    let h = fnv1a(&[host]) ^ variant.wrapping_mul(0x9E37);
    let h2 = mix64(h);
    if host.contains("zoho") {
        return format!("136.143.{}.{}", 176 + h2 % 16, 1 + (h2 >> 8) % 254);
    }
    let prefixes = [
        "13.107", "20.190", "23.45", "34.117", "40.126", "52.96", "104.18", "142.250", "151.101",
        "185.199", "199.232", "172.217",
    ];
    format!(
        "{}.{}.{}",
        prefixes[(h2 % prefixes.len() as u64) as usize],
        (h2 >> 8) % 256,
        1 + (h2 >> 16) % 254
    )
}

fn public_ip(x: u64) -> String {
    host_ip("", x)
}

// ---------------------------------------------------------------------------
// Driver.

struct CountingWriter<W: Write> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

struct Stats {
    rows: u64,
    intended_hits: u64,
    near_misses: u64,
    rule_hits: Vec<(Rule, u64)>,
    mismatches: u64,
    first_mismatch: Option<u64>,
}

fn run(cli: &Cli) -> Result<(Stats, u64, f64), String> {
    let sink: Box<dyn Write> = if cli.out.as_os_str() == "-" {
        Box::new(io::stdout().lock())
    } else {
        Box::new(
            File::create(&cli.out)
                .map_err(|e| format!("cannot create {}: {e}", cli.out.display()))?,
        )
    };
    let mut w = BufWriter::with_capacity(
        1 << 20,
        CountingWriter {
            inner: sink,
            bytes: 0,
        },
    );
    let cols = cli.table.columns();
    let mut enc = Encoder {
        format: cli.format,
        cols,
        ncols: if cli.no_sentinel_columns {
            cols.len() - SENTINEL_ONLY
        } else {
            cols.len()
        },
        eol: if cli.crlf { b"\r\n" } else { b"\n" },
        line: Vec::with_capacity(8192),
    };
    let werr = |e: io::Error| format!("write {}: {e}", cli.out.display());
    w.write_all(enc.header()).map_err(werr)?;

    let span = ((cli.days * DAY as f64) as i64).max(1);
    let start = cli.now - span;
    let window_start = cli.now - 5 * DAY;
    let window_len = cli.now - window_start.max(start);
    // Hits can only be in the window (DNE, DFCI): raise the per-row chance
    // there so the overall fraction is --hit-rate.
    let hit_p_window = if cli.table == Table::DeviceProcessEvents {
        cli.hit_rate
    } else {
        (cli.hit_rate * span as f64 / window_len as f64).min(1.0)
    };
    let mut g = Gen::new(
        cli.table,
        cli.seed,
        cli.devices,
        cli.now,
        cli.first_report_id,
    );
    let check = RuleCheck::new(cli.table, cli.now);
    let rules = Rule::for_table(cli.table);
    let mut stats = Stats {
        rows: cli.rows,
        intended_hits: 0,
        near_misses: 0,
        rule_hits: rules.iter().map(|&r| (r, 0)).collect(),
        mismatches: 0,
        first_mismatch: None,
    };
    let mut row = Row::new(cols);
    let t0 = Instant::now();
    for i in 0..cli.rows {
        // Ascending timestamps over [now - days, now), with jitter.
        let base = (i128::from(span) * i128::from(i) / i128::from(cli.rows.max(1))) as i64;
        let step = (span / cli.rows.max(1) as i64).max(1);
        let ts = start + base + g.rng.below(step as u64) as i64;
        let in_window = ts >= window_start;
        let u = g.rng.unit();
        let p_hit = if cli.table == Table::DeviceProcessEvents || in_window {
            hit_p_window
        } else {
            0.0
        };
        let kind = if u < p_hit {
            Kind2::Hit
        } else if u < p_hit + cli.hit_rate {
            Kind2::NearMiss
        } else {
            Kind2::Background
        };
        g.row(&mut row, ts, kind, in_window);
        let mut matched = false;
        for (rule, n) in stats.rule_hits.iter_mut() {
            if check.matches(*rule, &row) {
                *n += 1;
                matched = true;
            }
        }
        match kind {
            Kind2::Hit => stats.intended_hits += 1,
            Kind2::NearMiss => stats.near_misses += 1,
            Kind2::Background => {}
        }
        if !rules.is_empty() && matched != (kind == Kind2::Hit) {
            stats.mismatches += 1;
            stats.first_mismatch.get_or_insert(i);
        }
        w.write_all(enc.encode(&row)).map_err(werr)?;
    }
    w.flush().map_err(werr)?;
    let bytes = w.get_ref().bytes;
    Ok((stats, bytes, t0.elapsed().as_secs_f64()))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (stats, bytes, secs) = match run(&cli) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("gen-telemetry: error: {e}");
            return ExitCode::from(2);
        }
    };
    if !cli.quiet {
        let mut now = Vec::new();
        write_datetime(&mut now, cli.now);
        let secs_nz = secs.max(1e-9);
        eprintln!(
            "gen-telemetry: {} rows of {} ({}) -> {}: {:.1} MB in {:.2} s = {:.0} rows/s, {:.1} MB/s",
            stats.rows,
            cli.table.name(),
            match cli.format {
                Format::Jsonl => "jsonl",
                Format::Csv => "csv",
            },
            cli.out.display(),
            bytes as f64 / 1e6,
            secs,
            stats.rows as f64 / secs_nz,
            bytes as f64 / 1e6 / secs_nz,
        );
        eprintln!(
            "gen-telemetry: seed {} now {} days {} devices {}; intended hits {} (hit-rate {}), near misses {}",
            cli.seed,
            String::from_utf8_lossy(&now),
            cli.days,
            cli.devices,
            stats.intended_hits,
            cli.hit_rate,
            stats.near_misses,
        );
        if stats.rule_hits.is_empty() {
            eprintln!(
                "gen-telemetry: no catalog rule reads {}; the hits are RMM process creations",
                cli.table.name()
            );
        }
        for (rule, n) in &stats.rule_hits {
            eprintln!("gen-telemetry: rows matching {}: {n}", rule.file());
        }
    }
    if stats.mismatches > 0 {
        eprintln!(
            "gen-telemetry: internal error: {} rows disagree with the intended hit/miss (first: row {})",
            stats.mismatches,
            stats.first_mismatch.unwrap_or(0)
        );
        return ExitCode::from(3);
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_semantics() {
        assert!(kql_has("assist.zoho.com", "zoho.com"));
        assert!(!kql_has("myzoho.com", "zoho.com"));
        assert!(kql_has("https://ASSIST.ZOHO.COM/x", "assist.zoho.com"));
        assert!(!kql_has("assist.zoho.community", "assist.zoho.com"));
        assert!(kql_has("assist.zoho.com.au", "assist.zoho.com"));
        assert!(!kql_has("Zoho-Assist", "Zoho Assist"));
        assert!(!kql_has("ZohoAssistant", "Zoho Assist"));
        assert!(kql_has("Zoho Assist Technician", "zoho assist"));
        assert!(kql_has("Zoho_Corp", "Zoho"));
        assert!(!kql_has("Action1 Corp", "Action1 Corporation"));
        assert!(kql_has("Action1 Corporation Ltd", "Action1 Corporation"));
        assert!(!kql_has("RemoteUtilities", "Remote Utilities"));
        assert!(!kql_has("", "Zoho"));
    }

    #[test]
    fn datetimes_round_trip() {
        for s in [
            "2026-11-27T00:00:00.0000000Z",
            "2024-02-29T23:59:59.9999999Z",
            "1970-01-01T00:00:00.0000000Z",
        ] {
            let t = parse_datetime(s).unwrap();
            let mut out = Vec::new();
            write_datetime(&mut out, t);
            assert_eq!(String::from_utf8(out).unwrap(), s);
        }
        assert_eq!(
            parse_datetime("2026-11-27T00:00:00Z").unwrap(),
            parse_datetime("2026-11-27").unwrap()
        );
        assert!(parse_datetime("2026-02-30T00:00:00Z").is_err());
        assert!(parse_datetime("2026-11-27T00:00:00+01:00").is_err());
    }

    #[test]
    fn csv_quoting() {
        let mut out = Vec::new();
        csv_field(&mut out, r#"a,"b""#);
        assert_eq!(out, br#""a,""b""""#);
    }
}

//! The generator of the built-in catalog, `schema/catalog/tables.txt`.
//!
//! ```text
//! cargo run --example gen-tables                 # reads ../shared/reference/log-analytics-tables
//! cargo run --example gen-tables -- --check      # fails when the committed file is stale
//! cargo run --example gen-tables -- --reference DIR --out FILE
//! ```
//!
//! Inputs, merged in this order:
//! 1. Microsoft's Azure Monitor Logs table reference as a TSV of (table, column, type)
//!    (`log-analytics-tables/columns.tsv` of the shared reference folder): every table
//!    Microsoft Sentinel can query, origin `la`.
//! 2. The Defender XDR advanced-hunting tables of `schema/tables/*.toml` (descriptions
//!    and sources there), origin `xdr`: their columns first, in the reference's order, with
//!    their Defender-vs-Sentinel distinction; a column only the Log Analytics copy has is
//!    appended and marked Sentinel-only.
//! 3. The Defender XDR tables added after the Log Analytics reference was taken,
//!    `schema/catalog/defender-xdr-additions.txt` (each with its page and commit), origin
//!    `xdr-new`, merged the same way.
//!
//! Every Defender table with a `Timestamp` gets a Sentinel-only `TimeGenerated` if its
//! sources list none, so both time columns resolve. The output is a pure function of the
//! inputs (no dates or paths from the machine), so a test regenerates it and compares.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use super::{Column, ColumnType, Table, compact, parse_table};

/// The Log Analytics reference the TSV was taken from (see the shared reference README).
pub const LA_SOURCE: &str = "Azure Monitor Logs table reference (MicrosoftDocs/azure-reference-other, folder azure-monitor-ref/tables, commit bea53845fef9, 2024-11-20), as the TSV log-analytics-tables/columns.tsv";

/// Tables whose columns depend on what writes to them: open (no column is unknown).
pub const OPEN_TABLES: &[(&str, &str)] = &[(
    "AzureDiagnostics",
    "Azure Monitor resource logs in Azure diagnostics mode: each resource provider adds its own columns (with type suffixes such as _s, _d, _b, _g, _t); Microsoft's reference lists only a few",
)];

/// The additions file, embedded so that generation needs only the TSV.
pub const ADDITIONS: &str = include_str!("../../../schema/catalog/defender-xdr-additions.txt");

/// The embedded table files: (table name = file stem, TOML text).
pub(crate) const TABLE_FILES: &[(&str, &str)] = &[
    (
        "AlertEvidence",
        include_str!("../../../schema/tables/AlertEvidence.toml"),
    ),
    (
        "AlertInfo",
        include_str!("../../../schema/tables/AlertInfo.toml"),
    ),
    (
        "CloudAppEvents",
        include_str!("../../../schema/tables/CloudAppEvents.toml"),
    ),
    (
        "DeviceBaselineComplianceAssessment",
        include_str!("../../../schema/tables/DeviceBaselineComplianceAssessment.toml"),
    ),
    (
        "DeviceBaselineComplianceAssessmentKB",
        include_str!("../../../schema/tables/DeviceBaselineComplianceAssessmentKB.toml"),
    ),
    (
        "DeviceBaselineComplianceProfiles",
        include_str!("../../../schema/tables/DeviceBaselineComplianceProfiles.toml"),
    ),
    (
        "DeviceEvents",
        include_str!("../../../schema/tables/DeviceEvents.toml"),
    ),
    (
        "DeviceFileCertificateInfo",
        include_str!("../../../schema/tables/DeviceFileCertificateInfo.toml"),
    ),
    (
        "DeviceFileEvents",
        include_str!("../../../schema/tables/DeviceFileEvents.toml"),
    ),
    (
        "DeviceImageLoadEvents",
        include_str!("../../../schema/tables/DeviceImageLoadEvents.toml"),
    ),
    (
        "DeviceInfo",
        include_str!("../../../schema/tables/DeviceInfo.toml"),
    ),
    (
        "DeviceLogonEvents",
        include_str!("../../../schema/tables/DeviceLogonEvents.toml"),
    ),
    (
        "DeviceNetworkEvents",
        include_str!("../../../schema/tables/DeviceNetworkEvents.toml"),
    ),
    (
        "DeviceNetworkInfo",
        include_str!("../../../schema/tables/DeviceNetworkInfo.toml"),
    ),
    (
        "DeviceProcessEvents",
        include_str!("../../../schema/tables/DeviceProcessEvents.toml"),
    ),
    (
        "DeviceRegistryEvents",
        include_str!("../../../schema/tables/DeviceRegistryEvents.toml"),
    ),
    (
        "DeviceTvmBrowserExtensions",
        include_str!("../../../schema/tables/DeviceTvmBrowserExtensions.toml"),
    ),
    (
        "DeviceTvmBrowserExtensionsKB",
        include_str!("../../../schema/tables/DeviceTvmBrowserExtensionsKB.toml"),
    ),
    (
        "DeviceTvmCertificateInfo",
        include_str!("../../../schema/tables/DeviceTvmCertificateInfo.toml"),
    ),
    (
        "DeviceTvmHardwareFirmware",
        include_str!("../../../schema/tables/DeviceTvmHardwareFirmware.toml"),
    ),
    (
        "DeviceTvmInfoGathering",
        include_str!("../../../schema/tables/DeviceTvmInfoGathering.toml"),
    ),
    (
        "DeviceTvmInfoGatheringKB",
        include_str!("../../../schema/tables/DeviceTvmInfoGatheringKB.toml"),
    ),
    (
        "DeviceTvmSecureConfigurationAssessment",
        include_str!("../../../schema/tables/DeviceTvmSecureConfigurationAssessment.toml"),
    ),
    (
        "DeviceTvmSecureConfigurationAssessmentKB",
        include_str!("../../../schema/tables/DeviceTvmSecureConfigurationAssessmentKB.toml"),
    ),
    (
        "DeviceTvmSoftwareEvidenceBeta",
        include_str!("../../../schema/tables/DeviceTvmSoftwareEvidenceBeta.toml"),
    ),
    (
        "DeviceTvmSoftwareInventory",
        include_str!("../../../schema/tables/DeviceTvmSoftwareInventory.toml"),
    ),
    (
        "DeviceTvmSoftwareVulnerabilities",
        include_str!("../../../schema/tables/DeviceTvmSoftwareVulnerabilities.toml"),
    ),
    (
        "DeviceTvmSoftwareVulnerabilitiesKB",
        include_str!("../../../schema/tables/DeviceTvmSoftwareVulnerabilitiesKB.toml"),
    ),
    (
        "EmailAttachmentInfo",
        include_str!("../../../schema/tables/EmailAttachmentInfo.toml"),
    ),
    (
        "EmailEvents",
        include_str!("../../../schema/tables/EmailEvents.toml"),
    ),
    (
        "EmailPostDeliveryEvents",
        include_str!("../../../schema/tables/EmailPostDeliveryEvents.toml"),
    ),
    (
        "EmailUrlInfo",
        include_str!("../../../schema/tables/EmailUrlInfo.toml"),
    ),
    (
        "IdentityDirectoryEvents",
        include_str!("../../../schema/tables/IdentityDirectoryEvents.toml"),
    ),
    (
        "IdentityInfo",
        include_str!("../../../schema/tables/IdentityInfo.toml"),
    ),
    (
        "IdentityLogonEvents",
        include_str!("../../../schema/tables/IdentityLogonEvents.toml"),
    ),
    (
        "IdentityQueryEvents",
        include_str!("../../../schema/tables/IdentityQueryEvents.toml"),
    ),
    (
        "UrlClickEvents",
        include_str!("../../../schema/tables/UrlClickEvents.toml"),
    ),
];

/// The Defender XDR tables of `schema/tables/*.toml`, parsed.
pub fn defender_tables() -> Result<Vec<Table>, String> {
    TABLE_FILES
        .iter()
        .map(|(file, src)| parse_table(src).map_err(|e| format!("schema/tables/{file}.toml: {e}")))
        .collect()
}

/// The names of the embedded `schema/tables/*.toml` files.
pub fn defender_table_files() -> impl Iterator<Item = &'static str> {
    TABLE_FILES.iter().map(|(f, _)| *f)
}

/// A table of the additions file, with its recorded source.
#[derive(Debug, Clone)]
pub struct Addition {
    pub table: Table,
    pub source: String,
    /// `extend <table>`: columns added to a table the other inputs already have.
    pub extend: bool,
}

/// Parses `schema/catalog/defender-xdr-additions.txt`.
pub fn parse_additions(text: &str) -> Result<Vec<Addition>, String> {
    let mut out: Vec<Addition> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = || format!("additions line {}", i + 1);
        let header = line
            .strip_prefix("table ")
            .map(|n| (n, false))
            .or_else(|| line.strip_prefix("extend ").map(|n| (n, true)));
        if let Some((name, extend)) = header {
            out.push(Addition {
                extend,
                table: Table {
                    name: name.trim().to_string(),
                    description: String::new(),
                    sources: Vec::new(),
                    columns: Vec::new(),
                    open: false,
                },
                source: String::new(),
            });
            continue;
        }
        let cur = out
            .last_mut()
            .ok_or_else(|| format!("{}: before the first `table` line", at()))?;
        if let Some(src) = line.strip_prefix("source ") {
            if !cur.source.is_empty() {
                cur.source.push_str("; ");
            }
            cur.source.push_str(src.trim());
            continue;
        }
        let mut words = line.split_whitespace();
        let (Some(name), Some(ty)) = (words.next(), words.next()) else {
            return Err(format!("{}: expected `<column> <type>`", at()));
        };
        let sentinel_only = match words.next() {
            None => false,
            Some("sentinel") => true,
            Some(w) => return Err(format!("{}: unexpected `{w}`", at())),
        };
        let ty =
            ColumnType::from_name(ty).ok_or_else(|| format!("{}: unknown type `{ty}`", at()))?;
        if cur.table.column(name).is_some() {
            return Err(format!("{}: duplicate column `{name}`", at()));
        }
        cur.table.columns.push(Column {
            name: name.to_string(),
            ty,
            description: String::new(),
            sentinel_only,
        });
    }
    for a in &out {
        if a.source.is_empty() || a.table.columns.is_empty() {
            return Err(format!(
                "additions: table {} needs a source and columns",
                a.table.name
            ));
        }
    }
    Ok(out)
}

/// Parses the (table, column, type) TSV of the Log Analytics reference.
pub fn parse_la_columns(tsv: &str) -> Result<BTreeMap<String, Vec<Column>>, String> {
    let mut tables: BTreeMap<String, Vec<Column>> = BTreeMap::new();
    for (i, line) in tsv.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if i == 0 && line.starts_with("table\t") || line.is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let [table, column, ty] = f[..] else {
            return Err(format!("columns.tsv line {}: expected 3 fields", i + 1));
        };
        if column.is_empty() || column.contains(char::is_whitespace) {
            return Err(format!(
                "columns.tsv line {}: bad column name `{column}`",
                i + 1
            ));
        }
        let ty = ColumnType::from_name(ty)
            .ok_or_else(|| format!("columns.tsv line {}: unknown type `{ty}`", i + 1))?;
        let cols = tables.entry(table.to_string()).or_default();
        if cols.iter().all(|c| c.name != column) {
            cols.push(Column {
                name: column.to_string(),
                ty,
                description: String::new(),
                sentinel_only: false,
            });
        }
    }
    Ok(tables)
}

/// Merges a Defender table with its Log Analytics copy (if any), see the module docs.
fn merge_defender(mut t: Table, la: Option<&Vec<Column>>) -> Table {
    if let Some(la) = la {
        for c in la {
            if t.column(&c.name).is_none() {
                t.columns.push(Column {
                    sentinel_only: true,
                    ..c.clone()
                });
            }
        }
    }
    if t.column("Timestamp").is_some() && t.column("TimeGenerated").is_none() {
        t.columns.push(Column {
            name: "TimeGenerated".into(),
            ty: ColumnType::Datetime,
            description: String::new(),
            sentinel_only: true,
        });
    }
    t
}

/// Generates the catalog text from the Log Analytics TSV.
pub fn generate(la_columns_tsv: &str) -> Result<String, String> {
    let la = parse_la_columns(la_columns_tsv)?;
    let defender = defender_tables()?;
    let additions = parse_additions(ADDITIONS)?;
    let mut out_tables: BTreeMap<String, (Table, &'static str)> = BTreeMap::new();
    for (name, cols) in &la {
        let t = Table {
            name: name.clone(),
            description: String::new(),
            sources: Vec::new(),
            columns: cols.clone(),
            open: OPEN_TABLES.iter().any(|(n, _)| n == name),
        };
        out_tables.insert(name.clone(), (t, "la"));
    }
    for t in defender {
        let name = t.name.clone();
        let merged = merge_defender(t, la.get(&name));
        out_tables.insert(name, (merged, "xdr"));
    }
    for a in additions {
        let name = a.table.name.clone();
        if a.extend {
            let Some((t, _)) = out_tables.get_mut(&name) else {
                return Err(format!("additions: `extend {name}`: no such table"));
            };
            let at = t
                .columns
                .iter()
                .position(|c| c.sentinel_only)
                .unwrap_or(t.columns.len());
            let new: Vec<Column> = a
                .table
                .columns
                .into_iter()
                .filter(|c| t.column(&c.name).is_none())
                .collect();
            t.columns.splice(at..at, new);
            continue;
        }
        if out_tables.get(&name).is_some_and(|(_, o)| *o == "xdr") {
            return Err(format!("additions: {name} is already in schema/tables/"));
        }
        let merged = merge_defender(a.table, la.get(&name));
        out_tables.insert(name, (merged, "xdr-new"));
    }

    let columns: usize = out_tables.values().map(|(t, _)| t.columns.len()).sum();
    let digest = Sha256::digest(la_columns_tsv.as_bytes());
    let mut out = String::new();
    out.push_str("# rulecat table catalog. Generated by `cargo run --example gen-tables` (src/knowledge/tables/generate.rs); do not edit.\n");
    out.push_str("# Format: see src/knowledge/tables/compact.rs. One line per table: name, origin, columns as name:type; `+` = only in the Sentinel copy.\n");
    let _ = writeln!(
        out,
        "# {} tables, {} columns. Log Analytics TSV sha256 {}.",
        out_tables.len(),
        columns,
        hex(&digest)
    );
    let _ = writeln!(out, "#! la {LA_SOURCE}");
    out.push_str("#! xdr Defender XDR advanced-hunting schema reference as recorded in schema/tables/<table>.toml (sources listed per file), merged with the table's Log Analytics copy\n");
    out.push_str("#! xdr-new Defender XDR advanced-hunting schema reference (MicrosoftDocs/defender-docs), tables added since November 2024, as recorded in schema/catalog/defender-xdr-additions.txt (page and commit per table)\n");
    for (name, why) in OPEN_TABLES {
        let _ = writeln!(out, "# open table {name}: {why}");
    }
    for (t, origin) in out_tables.values() {
        compact::write_line(&mut out, t, origin);
    }
    Ok(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

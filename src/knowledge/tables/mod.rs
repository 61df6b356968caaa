//! The table catalog: every table a Defender XDR or Microsoft Sentinel query can read.
//!
//! The built-in catalog is one generated text file, `schema/catalog/tables.txt` (see
//! [`compact`] for the format and [`generate`] for how it is made from Microsoft's Azure Monitor
//! Logs table reference, the Defender XDR tables under `schema/tables/*.toml` and the
//! Defender XDR tables added since, `schema/catalog/defender-xdr-additions.txt`). It is
//! embedded in the binary; on first use only its table names are indexed, and a table's
//! columns are parsed the first time that table is looked up.
//!
//! Column and table names are case-sensitive (KQL is); the `*_ci` lookups and the
//! `suggest_*` functions exist to produce "did you mean" hints.

pub mod compact;
pub mod generate;

use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock};

use serde::{Deserialize, Serialize};

/// KQL scalar type of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    String,
    Int,
    Long,
    Real,
    Bool,
    Datetime,
    Timespan,
    Guid,
    Dynamic,
    Decimal,
}

impl ColumnType {
    /// The KQL spelling of the type (`string`, `datetime`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnType::String => "string",
            ColumnType::Int => "int",
            ColumnType::Long => "long",
            ColumnType::Real => "real",
            ColumnType::Bool => "bool",
            ColumnType::Datetime => "datetime",
            ColumnType::Timespan => "timespan",
            ColumnType::Guid => "guid",
            ColumnType::Dynamic => "dynamic",
            ColumnType::Decimal => "decimal",
        }
    }

    /// The type named by a KQL type keyword or a schema file's type (`string`, `int`,
    /// `long`, `real`/`double`, `bool`/`boolean`, `datetime`/`date`, `timespan`/`time`,
    /// `guid`/`uniqueid`, `dynamic`, `decimal`), any case.
    pub fn from_name(name: &str) -> Option<ColumnType> {
        Some(match name.to_ascii_lowercase().as_str() {
            "string" => ColumnType::String,
            "int" | "int32" | "integer" => ColumnType::Int,
            "long" | "int64" => ColumnType::Long,
            "real" | "double" | "float" => ColumnType::Real,
            "bool" | "boolean" => ColumnType::Bool,
            "datetime" | "date" => ColumnType::Datetime,
            "timespan" | "time" => ColumnType::Timespan,
            "guid" | "uniqueid" => ColumnType::Guid,
            "dynamic" => ColumnType::Dynamic,
            "decimal" => ColumnType::Decimal,
            _ => return None,
        })
    }
}

impl std::fmt::Display for ColumnType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One column of a table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: ColumnType,
    #[serde(default)]
    pub description: String,
    /// Present only in the Microsoft Sentinel (Log Analytics) copy of the table,
    /// not in Defender XDR advanced hunting (e.g. `TimeGenerated`, `TenantId`).
    #[serde(default)]
    pub sentinel_only: bool,
}

/// One table: its columns in the order of Microsoft's reference, Sentinel-only
/// columns last.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Where the facts in this table come from.
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(rename(deserialize = "column"), default)]
    pub columns: Vec<Column>,
    /// Columns not listed may exist: a table whose schema depends on what writes to it
    /// (`AzureDiagnostics`), so no column of it is reported as unknown.
    #[serde(default)]
    pub open: bool,
}

impl Table {
    /// The column with exactly this name (case-sensitive, as in KQL).
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The column whose name equals `name` ignoring ASCII case.
    pub fn column_ci(&self, name: &str) -> Option<&Column> {
        self.column(name).or_else(|| {
            self.columns
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(name))
        })
    }

    /// A column name to suggest for an unknown `name`: the case-insensitive match
    /// if any, else the closest name within a small edit distance.
    pub fn suggest_column(&self, name: &str) -> Option<&str> {
        suggest(name, self.columns.iter().map(|c| c.name.as_str()))
    }

    /// Whether the table exists in Defender XDR advanced hunting with a
    /// `Timestamp` column (event and state tables do; knowledge-base tables don't).
    pub fn has_timestamp(&self) -> bool {
        self.column("Timestamp").is_some()
    }
}

/// Parse one table description in the `schema/tables/*.toml` format.
pub fn parse_table(src: &str) -> Result<Table, toml::de::Error> {
    toml::from_str(src)
}

/// A set of tables, sorted by name. A table given as a line of the compact catalog
/// format is parsed the first time it is looked up.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    entries: Vec<Entry>,
    by_name: HashMap<String, usize>,
    by_lower: HashMap<String, usize>,
}

#[derive(Clone, Debug)]
struct Entry {
    name: String,
    /// The table's line in a compact catalog, with the catalog's origin descriptions.
    line: Option<(&'static str, &'static compact::Origins)>,
    table: OnceLock<Table>,
}

impl Entry {
    fn table(&self) -> &Table {
        self.table.get_or_init(|| match self.line {
            Some((line, origins)) => compact::parse_line(line, origins).unwrap_or_else(|e| {
                // The embedded catalog is checked by the unit tests; never panic at run time.
                Table {
                    name: self.name.clone(),
                    description: String::new(),
                    sources: vec![format!("unreadable catalog line: {e}")],
                    columns: Vec::new(),
                    open: true,
                }
            }),
            None => Table {
                name: self.name.clone(),
                description: String::new(),
                sources: Vec::new(),
                columns: Vec::new(),
                open: true,
            },
        })
    }
}

impl Catalog {
    /// Build a catalog from tables (sorted by name; on duplicate names the last wins).
    pub fn from_tables(tables: impl IntoIterator<Item = Table>) -> Catalog {
        Catalog::from_entries(tables.into_iter().map(|t| Entry {
            name: t.name.clone(),
            line: None,
            table: OnceLock::from(t),
        }))
    }

    /// A catalog over the table lines of a compact catalog text (see [`compact`]); each
    /// line is parsed when its table is first looked up.
    pub fn from_compact(text: &'static str, origins: &'static compact::Origins) -> Catalog {
        Catalog::from_entries(compact::table_lines(text).map(|(name, line)| Entry {
            name: name.to_string(),
            line: Some((line, origins)),
            table: OnceLock::new(),
        }))
    }

    fn from_entries(entries: impl Iterator<Item = Entry>) -> Catalog {
        let mut entries: Vec<Entry> = entries.collect();
        // Keep the last of equal names: a stable sort keeps input order among equals.
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        let mut deduped: Vec<Entry> = Vec::with_capacity(entries.len());
        for e in entries {
            match deduped.last_mut() {
                Some(last) if last.name == e.name => *last = e,
                _ => deduped.push(e),
            }
        }
        let mut by_name = HashMap::with_capacity(deduped.len());
        let mut by_lower = HashMap::with_capacity(deduped.len());
        for (i, e) in deduped.iter().enumerate() {
            by_name.insert(e.name.clone(), i);
            by_lower.entry(e.name.to_ascii_lowercase()).or_insert(i);
        }
        Catalog {
            entries: deduped,
            by_name,
            by_lower,
        }
    }

    /// The table with exactly this name (case-sensitive).
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.by_name.get(name).map(|&i| self.entries[i].table())
    }

    /// Whether a table of exactly this name exists (without parsing its columns).
    pub fn contains(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    /// The table whose name equals `name` ignoring ASCII case.
    pub fn table_ci(&self, name: &str) -> Option<&Table> {
        self.table(name).or_else(|| {
            self.by_lower
                .get(&name.to_ascii_lowercase())
                .map(|&i| self.entries[i].table())
        })
    }

    /// The name of the table whose name equals `name` ignoring ASCII case.
    pub fn name_ci(&self, name: &str) -> Option<&str> {
        self.by_name
            .get(name)
            .or_else(|| self.by_lower.get(&name.to_ascii_lowercase()))
            .map(|&i| self.entries[i].name.as_str())
    }

    /// All tables, sorted by name (parses every table: prefer [`Catalog::names`]).
    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.entries.iter().map(Entry::table)
    }

    /// All table names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> + Clone {
        self.entries.iter().map(|e| e.name.as_str())
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// A table name to suggest for an unknown `name`: the case-insensitive match
    /// if any, else the closest name within a small edit distance.
    pub fn suggest_table(&self, name: &str) -> Option<&str> {
        suggest(name, self.names())
    }
}

/// The generated catalog (see [`generate`]).
pub const CATALOG_TEXT: &str = include_str!("../../../schema/catalog/tables.txt");

static ORIGINS: LazyLock<compact::Origins> =
    LazyLock::new(|| compact::Origins::from_header(CATALOG_TEXT));

static BUILTIN: LazyLock<Catalog> = LazyLock::new(|| Catalog::from_compact(CATALOG_TEXT, &ORIGINS));

/// The built-in catalog: every Azure Monitor Logs table Microsoft Sentinel can query and
/// every Defender XDR advanced-hunting table.
pub fn builtin() -> &'static Catalog {
    &BUILTIN
}

/// Every table and column name of the built-in catalog (with repeats), read straight
/// from the catalog text without building tables.
pub fn builtin_names() -> impl Iterator<Item = &'static str> {
    compact::table_lines(CATALOG_TEXT).flat_map(|(name, line)| {
        let cols = line.splitn(3, '\t').nth(2).unwrap_or("");
        std::iter::once(name).chain(
            cols.split(' ')
                .filter_map(|c| c.rsplit_once(':').map(|(n, _)| n)),
        )
    })
}

/// Suggestion shared by tables and columns (see [`crate::suggest::closest`]: an exact
/// case-insensitive match first, else the closest within a small edit distance).
fn suggest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    if name.is_empty() {
        return None;
    }
    crate::suggest::closest(name, candidates)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_embedded_table_parses_and_is_consistent() {
        let mut seen = HashSet::new();
        for (file, src) in generate::TABLE_FILES {
            let t = parse_table(src).unwrap_or_else(|e| panic!("{file}.toml: {e}"));
            assert_eq!(&t.name, file, "table name must match its file name");
            assert!(seen.insert(t.name.clone()), "{file} listed twice");
            assert!(!t.columns.is_empty(), "{file}: no columns");
            assert!(!t.description.is_empty(), "{file}: no description");
            assert!(!t.sources.is_empty(), "{file}: no sources");
            let mut cols = HashSet::new();
            for c in &t.columns {
                assert!(
                    cols.insert(c.name.as_str()),
                    "{file}: duplicate column {}",
                    c.name
                );
                assert!(!c.name.is_empty() && !c.name.contains(char::is_whitespace));
            }
            // Sentinel-only columns come last.
            let first_sentinel = t.columns.iter().position(|c| c.sentinel_only);
            if let Some(p) = first_sentinel {
                assert!(t.columns[p..].iter().all(|c| c.sentinel_only), "{file}");
            }
        }
        for (file, _) in generate::TABLE_FILES {
            assert!(
                builtin().contains(file),
                "{file} is not in the generated catalog"
            );
        }
    }

    #[test]
    fn every_file_in_schema_dir_is_embedded() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/tables");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return; // source tree not available (e.g. packaged build)
        };
        let embedded: HashSet<&str> = generate::defender_table_files().collect();
        for e in entries {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "toml") {
                let stem = p.file_stem().unwrap().to_str().unwrap();
                assert!(
                    embedded.contains(stem),
                    "{} is not in TABLE_FILES",
                    p.display()
                );
            }
        }
    }

    #[test]
    fn required_tables_present() {
        let cat = builtin();
        for name in [
            "DeviceEvents",
            "DeviceFileEvents",
            "DeviceFileCertificateInfo",
            "DeviceImageLoadEvents",
            "DeviceInfo",
            "DeviceLogonEvents",
            "DeviceNetworkEvents",
            "DeviceNetworkInfo",
            "DeviceProcessEvents",
            "DeviceRegistryEvents",
            "DeviceTvmSoftwareInventory",
            "DeviceTvmSoftwareVulnerabilities",
            "DeviceTvmSoftwareVulnerabilitiesKB",
            "DeviceTvmSecureConfigurationAssessment",
            "DeviceTvmSecureConfigurationAssessmentKB",
            "DeviceTvmSoftwareEvidenceBeta",
            "DeviceTvmInfoGathering",
            "DeviceTvmInfoGatheringKB",
            "DeviceTvmCertificateInfo",
            "DeviceTvmBrowserExtensions",
            "DeviceTvmBrowserExtensionsKB",
            "DeviceTvmHardwareFirmware",
            "EmailEvents",
            "EmailAttachmentInfo",
            "EmailUrlInfo",
            "EmailPostDeliveryEvents",
            "IdentityLogonEvents",
            "IdentityQueryEvents",
            "IdentityDirectoryEvents",
            "IdentityInfo",
            "AlertInfo",
            "AlertEvidence",
            "CloudAppEvents",
            "UrlClickEvents",
        ] {
            assert!(cat.table(name).is_some(), "missing table {name}");
        }
        let names: Vec<&str> = cat.tables().map(|t| t.name.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
    }

    #[test]
    fn device_event_tables_have_timestamp_and_version_info() {
        let version_info = [
            "CompanyName",
            "ProductName",
            "ProductVersion",
            "InternalFileName",
            "OriginalFileName",
            "FileDescription",
        ];
        let mut n = 0;
        for t in builtin().tables() {
            if t.name.starts_with("Device")
                && t.name.ends_with("Events")
                && t.sources[0].starts_with("xdr")
            {
                n += 1;
                assert!(t.has_timestamp(), "{} lacks Timestamp", t.name);
                let ts = t.column("TimeGenerated").expect("TimeGenerated");
                assert!(ts.sentinel_only && ts.ty == ColumnType::Datetime);
            }
            if t.name.starts_with("Device")
                && t.sources[0].starts_with("xdr")
                && t.columns
                    .iter()
                    .any(|c| c.name.starts_with("InitiatingProcess"))
            {
                for v in version_info {
                    let col = format!("InitiatingProcessVersionInfo{v}");
                    assert!(t.column(&col).is_some(), "{} lacks {col}", t.name);
                }
            }
        }
        assert_eq!(n, 7);
        let dpe = builtin().table("DeviceProcessEvents").unwrap();
        for v in version_info {
            assert!(dpe.column(&format!("ProcessVersionInfo{v}")).is_some());
        }
    }

    #[test]
    fn file_certificate_info() {
        let t = builtin().table("DeviceFileCertificateInfo").unwrap();
        for c in [
            "Signer",
            "SHA1",
            "IsSigned",
            "ReportId",
            "Timestamp",
            "IsTrusted",
        ] {
            assert!(t.column(c).is_some(), "missing {c}");
        }
        assert_eq!(t.column("IsSigned").unwrap().ty, ColumnType::Bool);
        assert_eq!(t.column("ReportId").unwrap().ty, ColumnType::Long);
        assert!(
            t.column("Sha1").is_none(),
            "column lookup is case-sensitive"
        );
        assert_eq!(t.column_ci("Sha1").unwrap().name, "SHA1");
        assert_eq!(t.suggest_column("Sha1"), Some("SHA1"));
        for c in [
            "TimeGenerated",
            "TenantId",
            "SourceSystem",
            "MachineGroup",
            "Type",
        ] {
            assert!(t.column(c).unwrap().sentinel_only, "{c}");
        }
        assert!(!t.column("Signer").unwrap().sentinel_only);
    }

    #[test]
    fn network_events() {
        let t = builtin().table("DeviceNetworkEvents").unwrap();
        assert!(
            t.column("InitiatingProcessVersionInfoCompanyName")
                .is_some()
        );
        assert!(t.column("RemoteUrl").is_some());
        assert!(t.column("InitiatingProcessAccountUpn").is_some());
        assert!(t.column("AccountUpn").is_none());
        assert_eq!(t.column("RemotePort").unwrap().ty, ColumnType::Int);
        assert_eq!(t.suggest_column("RemoteURL"), Some("RemoteUrl"));
        assert_eq!(t.suggest_column("RemoteUlr"), Some("RemoteUrl"));
        assert_eq!(t.suggest_column("Completely different"), None);
    }

    #[test]
    fn table_lookup_and_suggestions() {
        let cat = builtin();
        assert!(cat.table("devicenetworkevents").is_none());
        assert_eq!(
            cat.table_ci("devicenetworkevents").unwrap().name,
            "DeviceNetworkEvents"
        );
        assert_eq!(
            cat.suggest_table("devicenetworkevents"),
            Some("DeviceNetworkEvents")
        );
        assert_eq!(
            cat.suggest_table("DeviceProcesEvents"),
            Some("DeviceProcessEvents")
        );
        assert_eq!(
            cat.suggest_table("DeviceRegistyEvent"),
            Some("DeviceRegistryEvents")
        );
        assert_eq!(cat.suggest_table("SignInLogs"), Some("SigninLogs"));
        assert_eq!(cat.suggest_table("NoSuchTableAnywhere"), None);
        assert_eq!(cat.suggest_table(""), None);
    }

    #[test]
    fn suggestion_threshold() {
        let names = ["Timestamp", "ActionType", "SHA1", "MD5"];
        // len 3 -> limit 1
        assert_eq!(suggest("MD6", names.iter().copied()), Some("MD5"));
        assert_eq!(suggest("XY5", names.iter().copied()), None);
        // transposition counts as one edit
        assert_eq!(
            suggest("Timestmap", names.iter().copied()),
            Some("Timestamp")
        );
        assert_eq!(
            suggest("Tmestamp", names.iter().copied()),
            Some("Timestamp")
        );
        assert_eq!(suggest("Time", names.iter().copied()), None);
    }

    #[test]
    fn sentinel_and_defender_time_columns_both_resolve() {
        let cat = builtin();
        for name in [
            "DeviceProcessEvents",
            "EmailEvents",
            "IdentityLogonEvents",
            "AlertInfo",
        ] {
            let t = cat.table(name).unwrap();
            assert!(!t.column("Timestamp").unwrap().sentinel_only, "{name}");
            assert!(t.column("TimeGenerated").unwrap().sentinel_only, "{name}");
        }
    }

    /// The shared reference folder (`../shared/reference/...` beside the project), or `None`
    /// with a printed skip message; under `CI=true` a missing folder fails the test.
    fn shared_reference(rel: &str) -> Option<std::path::PathBuf> {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/reference")
            .join(rel);
        if p.exists() {
            return Some(p);
        }
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{} is missing (required under CI=true)", p.display());
        }
        eprintln!("skipped: {} not present", p.display());
        None
    }

    #[test]
    fn generated_catalog_is_current() {
        let Some(tsv) = shared_reference("log-analytics-tables/columns.tsv") else {
            return;
        };
        let tsv = std::fs::read_to_string(tsv).unwrap();
        let fresh = generate::generate(&tsv).unwrap();
        assert!(
            fresh == CATALOG_TEXT,
            "schema/catalog/tables.txt is stale: run `cargo run --example gen-tables`"
        );
    }

    #[test]
    fn catalog_counts_and_every_line_parses() {
        let cat = builtin();
        // 699 Log Analytics tables with columns, the Defender-only tables of
        // schema/tables/, and the Defender tables added since.
        assert!(cat.len() >= 730, "{}", cat.len());
        let mut columns = 0;
        for (name, line) in compact::table_lines(CATALOG_TEXT) {
            let t = compact::parse_line(line, &ORIGINS).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(t.name, name);
            assert!(!t.columns.is_empty(), "{name}: no columns");
            let mut seen = HashSet::new();
            for c in &t.columns {
                assert!(seen.insert(c.name.as_str()), "{name}: duplicate {}", c.name);
            }
            columns += t.columns.len();
        }
        assert!(columns >= 19_118, "{columns}");
        let names: Vec<&str> = cat.names().collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
    }

    #[test]
    fn tables_from_every_family() {
        let cat = builtin();
        let check = |table: &str, cols: &[(&str, ColumnType)]| {
            let t = cat
                .table(table)
                .unwrap_or_else(|| panic!("missing {table}"));
            for (c, ty) in cols {
                let col = t.column(c).unwrap_or_else(|| panic!("{table} lacks {c}"));
                assert_eq!(col.ty, *ty, "{table}.{c}");
            }
        };
        use ColumnType::*;
        check(
            "SigninLogs",
            &[
                ("UserPrincipalName", String),
                ("ResultType", String),
                ("TimeGenerated", Datetime),
                ("LocationDetails", Dynamic),
            ],
        );
        check(
            "SecurityEvent",
            &[("EventID", Int), ("Account", String), ("Computer", String)],
        );
        check(
            "Syslog",
            &[
                ("SyslogMessage", String),
                ("Facility", String),
                ("HostName", String),
            ],
        );
        check(
            "AuditLogs",
            &[
                ("OperationName", String),
                ("TargetResources", Dynamic),
                ("InitiatedBy", Dynamic),
            ],
        );
        check(
            "OfficeActivity",
            &[("Operation", String), ("UserId", String)],
        );
        check(
            "AzureActivity",
            &[("OperationNameValue", String), ("Caller", String)],
        );
        check(
            "AWSCloudTrail",
            &[("EventName", String), ("SourceIpAddress", String)],
        );
        check("AzureDiagnostics", &[("Category", String)]);
        assert!(cat.table("AzureDiagnostics").unwrap().open);
        assert!(!cat.table("SigninLogs").unwrap().open);
        check(
            "SecurityIncident",
            &[("IncidentNumber", Int), ("Status", String)],
        );
        check(
            "SecurityAlert",
            &[("AlertName", String), ("Entities", String)],
        );
        check(
            "AADNonInteractiveUserSignInLogs",
            &[("UserPrincipalName", String)],
        );
        check(
            "CommonSecurityLog",
            &[("DeviceVendor", String), ("DestinationPort", Int)],
        );
        check("ThreatIntelligenceIndicator", &[("NetworkIP", String)]);
        check(
            "ASimNetworkSessionLogs",
            &[("SrcIpAddr", String), ("DstPortNumber", Int)],
        );
        // Added to Defender XDR after the Log Analytics reference was taken.
        check(
            "EntraIdSignInEvents",
            &[
                ("AccountUpn", String),
                ("ErrorCode", Int),
                ("Timestamp", Datetime),
            ],
        );
        check("EntraIdSpnSignInEvents", &[("ServicePrincipalId", String)]);
        check(
            "GraphApiAuditEvents",
            &[("RequestUri", String), ("ResponseSize", Int)],
        );
        check("CloudAuditEvents", &[("RawEventData", Dynamic)]);
        check("CloudProcessEvents", &[("ProcessId", Long)]);
        check(
            "DeviceProcessEvents",
            &[
                ("ProcessUniqueId", String),
                ("InitiatingProcessUniqueId", String),
            ],
        );
        assert!(
            !cat.table("DeviceNetworkEvents")
                .unwrap()
                .column("InitiatingProcessUniqueId")
                .unwrap()
                .sentinel_only
        );
        check("MessageEvents", &[("RecipientDetails", Dynamic)]);
        check("CampaignInfo", &[("CampaignId", String)]);
        assert!(cat.table("AADSignInEventsBeta").is_some());
        // A Defender table keeps its description-bearing source and gains the Log
        // Analytics copy's billing columns as Sentinel-only.
        let dpe = cat.table("DeviceProcessEvents").unwrap();
        assert!(dpe.sources[0].starts_with("xdr:"), "{:?}", dpe.sources);
        assert!(dpe.column("_BilledSize").unwrap().sentinel_only);
        assert!(!dpe.column("ProcessCommandLine").unwrap().sentinel_only);
    }

    #[test]
    fn timestamp_and_time_generated_resolve_on_every_defender_table() {
        let cat = builtin();
        let mut n = 0;
        for t in cat.tables() {
            if !t.sources[0].starts_with("xdr") {
                continue;
            }
            if let Some(ts) = t.column("Timestamp") {
                n += 1;
                assert_eq!(ts.ty, ColumnType::Datetime, "{}", t.name);
                let tg = t
                    .column("TimeGenerated")
                    .unwrap_or_else(|| panic!("{} lacks TimeGenerated", t.name));
                assert!(tg.sentinel_only, "{}", t.name);
            }
        }
        assert!(n >= 40, "{n}");
        // Log Analytics tables keep their own time column only.
        let s = cat.table("SigninLogs").unwrap();
        assert!(s.column("TimeGenerated").is_some() && s.column("Timestamp").is_none());
    }

    #[test]
    fn additions_file_parses_with_a_source_per_table() {
        let adds = generate::parse_additions(generate::ADDITIONS).unwrap();
        assert!(adds.len() >= 20, "{}", adds.len());
        for a in &adds {
            assert!(
                a.source.contains("defender-xdr/advanced-hunting-"),
                "{}",
                a.table.name
            );
            assert!(
                a.extend || a.source.contains('@'),
                "{}: no commit",
                a.table.name
            );
        }
        assert!(generate::parse_additions("col string\n").is_err());
        assert!(generate::parse_additions("table T\nsource s\nA nosuchtype\n").is_err());
    }
}

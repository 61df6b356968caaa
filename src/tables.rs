//! Built-in catalog of Microsoft Defender XDR advanced-hunting tables (and their
//! Microsoft Sentinel copies).
//!
//! Each table is described by one TOML file under `schema/tables/`, embedded in
//! the binary with `include_str!` and parsed once on first use. The files record
//! where their facts come from (`sources`); see `schema/tables/*.toml`.
//!
//! Column and table names are case-sensitive (KQL is); the `*_ci` lookups and the
//! `suggest_*` functions exist to produce "did you mean" hints.

use std::collections::HashMap;
use std::sync::LazyLock;

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

/// A set of tables, sorted by name.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    tables: Vec<Table>,
    by_name: HashMap<String, usize>,
    by_lower: HashMap<String, usize>,
}

impl Catalog {
    /// Build a catalog from tables (sorted by name; on duplicate names the last wins).
    pub fn from_tables(tables: impl IntoIterator<Item = Table>) -> Catalog {
        let mut tables: Vec<Table> = tables.into_iter().collect();
        tables.sort_by(|a, b| a.name.cmp(&b.name));
        // Keep the last of equal names: dedup_by keeps the first, so reverse around it.
        tables.reverse();
        tables.dedup_by(|a, b| a.name == b.name);
        tables.reverse();
        let mut by_name = HashMap::with_capacity(tables.len());
        let mut by_lower = HashMap::with_capacity(tables.len());
        for (i, t) in tables.iter().enumerate() {
            by_name.insert(t.name.clone(), i);
            by_lower.entry(t.name.to_ascii_lowercase()).or_insert(i);
        }
        Catalog {
            tables,
            by_name,
            by_lower,
        }
    }

    /// The table with exactly this name (case-sensitive).
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.by_name.get(name).map(|&i| &self.tables[i])
    }

    /// The table whose name equals `name` ignoring ASCII case.
    pub fn table_ci(&self, name: &str) -> Option<&Table> {
        self.table(name).or_else(|| {
            self.by_lower
                .get(&name.to_ascii_lowercase())
                .map(|&i| &self.tables[i])
        })
    }

    /// All tables, sorted by name.
    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.tables.iter()
    }

    pub fn len(&self) -> usize {
        self.tables.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    /// A table name to suggest for an unknown `name`: the case-insensitive match
    /// if any, else the closest name within a small edit distance.
    pub fn suggest_table(&self, name: &str) -> Option<&str> {
        suggest(name, self.tables.iter().map(|t| t.name.as_str()))
    }
}

/// The embedded table files: (table name = file stem, TOML text).
const TABLE_FILES: &[(&str, &str)] = &[
    (
        "AlertEvidence",
        include_str!("../schema/tables/AlertEvidence.toml"),
    ),
    ("AlertInfo", include_str!("../schema/tables/AlertInfo.toml")),
    (
        "CloudAppEvents",
        include_str!("../schema/tables/CloudAppEvents.toml"),
    ),
    (
        "DeviceBaselineComplianceAssessment",
        include_str!("../schema/tables/DeviceBaselineComplianceAssessment.toml"),
    ),
    (
        "DeviceBaselineComplianceAssessmentKB",
        include_str!("../schema/tables/DeviceBaselineComplianceAssessmentKB.toml"),
    ),
    (
        "DeviceBaselineComplianceProfiles",
        include_str!("../schema/tables/DeviceBaselineComplianceProfiles.toml"),
    ),
    (
        "DeviceEvents",
        include_str!("../schema/tables/DeviceEvents.toml"),
    ),
    (
        "DeviceFileCertificateInfo",
        include_str!("../schema/tables/DeviceFileCertificateInfo.toml"),
    ),
    (
        "DeviceFileEvents",
        include_str!("../schema/tables/DeviceFileEvents.toml"),
    ),
    (
        "DeviceImageLoadEvents",
        include_str!("../schema/tables/DeviceImageLoadEvents.toml"),
    ),
    (
        "DeviceInfo",
        include_str!("../schema/tables/DeviceInfo.toml"),
    ),
    (
        "DeviceLogonEvents",
        include_str!("../schema/tables/DeviceLogonEvents.toml"),
    ),
    (
        "DeviceNetworkEvents",
        include_str!("../schema/tables/DeviceNetworkEvents.toml"),
    ),
    (
        "DeviceNetworkInfo",
        include_str!("../schema/tables/DeviceNetworkInfo.toml"),
    ),
    (
        "DeviceProcessEvents",
        include_str!("../schema/tables/DeviceProcessEvents.toml"),
    ),
    (
        "DeviceRegistryEvents",
        include_str!("../schema/tables/DeviceRegistryEvents.toml"),
    ),
    (
        "DeviceTvmBrowserExtensions",
        include_str!("../schema/tables/DeviceTvmBrowserExtensions.toml"),
    ),
    (
        "DeviceTvmBrowserExtensionsKB",
        include_str!("../schema/tables/DeviceTvmBrowserExtensionsKB.toml"),
    ),
    (
        "DeviceTvmCertificateInfo",
        include_str!("../schema/tables/DeviceTvmCertificateInfo.toml"),
    ),
    (
        "DeviceTvmHardwareFirmware",
        include_str!("../schema/tables/DeviceTvmHardwareFirmware.toml"),
    ),
    (
        "DeviceTvmInfoGathering",
        include_str!("../schema/tables/DeviceTvmInfoGathering.toml"),
    ),
    (
        "DeviceTvmInfoGatheringKB",
        include_str!("../schema/tables/DeviceTvmInfoGatheringKB.toml"),
    ),
    (
        "DeviceTvmSecureConfigurationAssessment",
        include_str!("../schema/tables/DeviceTvmSecureConfigurationAssessment.toml"),
    ),
    (
        "DeviceTvmSecureConfigurationAssessmentKB",
        include_str!("../schema/tables/DeviceTvmSecureConfigurationAssessmentKB.toml"),
    ),
    (
        "DeviceTvmSoftwareEvidenceBeta",
        include_str!("../schema/tables/DeviceTvmSoftwareEvidenceBeta.toml"),
    ),
    (
        "DeviceTvmSoftwareInventory",
        include_str!("../schema/tables/DeviceTvmSoftwareInventory.toml"),
    ),
    (
        "DeviceTvmSoftwareVulnerabilities",
        include_str!("../schema/tables/DeviceTvmSoftwareVulnerabilities.toml"),
    ),
    (
        "DeviceTvmSoftwareVulnerabilitiesKB",
        include_str!("../schema/tables/DeviceTvmSoftwareVulnerabilitiesKB.toml"),
    ),
    (
        "EmailAttachmentInfo",
        include_str!("../schema/tables/EmailAttachmentInfo.toml"),
    ),
    (
        "EmailEvents",
        include_str!("../schema/tables/EmailEvents.toml"),
    ),
    (
        "EmailPostDeliveryEvents",
        include_str!("../schema/tables/EmailPostDeliveryEvents.toml"),
    ),
    (
        "EmailUrlInfo",
        include_str!("../schema/tables/EmailUrlInfo.toml"),
    ),
    (
        "IdentityDirectoryEvents",
        include_str!("../schema/tables/IdentityDirectoryEvents.toml"),
    ),
    (
        "IdentityInfo",
        include_str!("../schema/tables/IdentityInfo.toml"),
    ),
    (
        "IdentityLogonEvents",
        include_str!("../schema/tables/IdentityLogonEvents.toml"),
    ),
    (
        "IdentityQueryEvents",
        include_str!("../schema/tables/IdentityQueryEvents.toml"),
    ),
    (
        "UrlClickEvents",
        include_str!("../schema/tables/UrlClickEvents.toml"),
    ),
];

static BUILTIN: LazyLock<Catalog> = LazyLock::new(|| {
    Catalog::from_tables(TABLE_FILES.iter().map(|(file, src)| {
        // A malformed embedded file is a programming error, caught by the unit tests.
        parse_table(src).unwrap_or_else(|e| panic!("schema/tables/{file}.toml: {e}"))
    }))
});

/// The built-in catalog of Defender XDR advanced-hunting tables.
pub fn builtin() -> &'static Catalog {
    &BUILTIN
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
        for (file, src) in TABLE_FILES {
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
        assert_eq!(builtin().len(), TABLE_FILES.len());
    }

    #[test]
    fn every_file_in_schema_dir_is_embedded() {
        let dir = std::path::Path::new(file!())
            .parent()
            .unwrap()
            .join("../schema/tables");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return; // source tree not available (e.g. packaged build)
        };
        let embedded: HashSet<&str> = TABLE_FILES.iter().map(|(f, _)| *f).collect();
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
            if t.name.starts_with("Device") && t.name.ends_with("Events") {
                n += 1;
                assert!(t.has_timestamp(), "{} lacks Timestamp", t.name);
                let ts = t.column("TimeGenerated").expect("TimeGenerated");
                assert!(ts.sentinel_only && ts.ty == ColumnType::Datetime);
            }
            if t.columns
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
        assert_eq!(cat.suggest_table("SigninLogs"), None);
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
}

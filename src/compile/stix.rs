//! `rulecat compile --format stix`: the bundle's indicators as a STIX 2.1 bundle, so
//! threat-intelligence platforms can ingest them.
//!
//! Ids are deterministic (UUIDs derived from a SHA-256 of the indicator), and the
//! timestamps come from `SOURCE_DATE_EPOCH` when set, else the Unix epoch, so the output
//! is reproducible like the bundle.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::bundle::{Bundle, Indicator, IndicatorKind};

#[derive(Serialize)]
struct StixBundle {
    #[serde(rename = "type")]
    ty: &'static str,
    id: String,
    objects: Vec<StixIndicator>,
}

#[derive(Serialize)]
struct StixIndicator {
    #[serde(rename = "type")]
    ty: &'static str,
    spec_version: &'static str,
    id: String,
    created: String,
    modified: String,
    name: String,
    description: String,
    indicator_types: Vec<&'static str>,
    pattern: String,
    pattern_type: &'static str,
    valid_from: String,
    labels: Vec<String>,
    external_references: Vec<ExternalReference>,
}

#[derive(Serialize)]
struct ExternalReference {
    source_name: String,
    external_id: String,
}

/// A UUID (version 5 layout) derived from the SHA-256 of `key`.
fn stable_uuid(key: &str) -> String {
    let h = Sha256::digest(key.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(b).hyphenated().to_string()
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The STIX object path for an indicator's field, if it has one.
fn object_path(ind: &Indicator) -> Option<&'static str> {
    let f = ind.field.to_ascii_lowercase();
    Some(match ind.kind {
        IndicatorKind::Signer if f == "issuer" => "x509-certificate:issuer",
        IndicatorKind::Signer => "x509-certificate:subject",
        IndicatorKind::Domain => "domain-name:value",
        IndicatorKind::Url => "url:value",
        IndicatorKind::Company => "software:vendor",
        IndicatorKind::Product => "software:name",
        IndicatorKind::Process | IndicatorKind::File => "file:name",
        IndicatorKind::Hash if f.ends_with("sha256") => "file:hashes.'SHA-256'",
        IndicatorKind::Hash if f.ends_with("md5") => "file:hashes.MD5",
        IndicatorKind::Hash => "file:hashes.'SHA-1'",
        IndicatorKind::Ip if ind.value.contains(':') => "ipv6-addr:value",
        IndicatorKind::Ip => "ipv4-addr:value",
        IndicatorKind::Path => "directory:path",
        IndicatorKind::CommandLine => "process:command_line",
        IndicatorKind::Account => "user-account:user_id",
        IndicatorKind::Other => return None,
    })
}

/// The STIX pattern for an indicator: `[domain-name:value = 'assist.zoho.com']`.
pub fn pattern(ind: &Indicator) -> Option<String> {
    let path = object_path(ind)?;
    let v = &ind.value;
    let body = match (ind.kind, ind.operator.as_str()) {
        // A domain matched as a term means that domain (and, by term semantics, its
        // subdomains): STIX's equality on domain-name is the conventional form.
        (IndicatorKind::Domain, "has" | "has_cs" | "==" | "=~") => format!("{path} = {}", quote(v)),
        (_, "==" | "=~") => format!("{path} = {}", quote(v)),
        (_, "has" | "has_cs" | "contains" | "contains_cs") => {
            format!("{path} LIKE {}", quote(&format!("%{v}%")))
        }
        (_, "startswith" | "startswith_cs" | "hasprefix" | "hasprefix_cs") => {
            format!("{path} LIKE {}", quote(&format!("{v}%")))
        }
        (_, "endswith" | "endswith_cs" | "hassuffix" | "hassuffix_cs") => {
            format!("{path} LIKE {}", quote(&format!("%{v}")))
        }
        (_, "matches regex") => format!("{path} MATCHES {}", quote(v)),
        _ => return None,
    };
    Some(format!("[{body}]"))
}

/// Renders the STIX bundle; returns the JSON and how many indicators had no STIX form.
pub fn render(bundle: &Bundle) -> (String, usize) {
    // STIX wants millisecond precision on created/modified.
    let when = bundle
        .created
        .as_deref()
        .map(|c| c.replacen('Z', ".000Z", 1))
        .unwrap_or_else(|| "1970-01-01T00:00:00.000Z".into());
    let mut skipped = 0;
    let mut objects = Vec::new();
    for ind in &bundle.indicators {
        let Some(pattern) = pattern(ind) else {
            skipped += 1;
            continue;
        };
        let key = format!("{}\u{0}{}\u{0}{}", ind.field, ind.operator, ind.value);
        let names: Vec<String> = ind
            .rules
            .iter()
            .filter_map(|id| bundle.rules.iter().find(|r| &r.id == id))
            .map(|r| r.name.clone())
            .collect();
        objects.push(StixIndicator {
            ty: "indicator",
            spec_version: "2.1",
            id: format!("indicator--{}", stable_uuid(&key)),
            created: when.clone(),
            modified: when.clone(),
            name: format!("{} {} {}", ind.field, ind.operator, ind.value),
            description: format!("Used by: {}", names.join("; ")),
            indicator_types: vec!["attribution"],
            pattern,
            pattern_type: "stix",
            valid_from: when.clone(),
            labels: vec![format!("{:?}", ind.kind).to_lowercase()],
            external_references: ind
                .rules
                .iter()
                .map(|id| ExternalReference {
                    source_name: "rulecat-rule".into(),
                    external_id: id.clone(),
                })
                .collect(),
        });
    }
    let b = StixBundle {
        ty: "bundle",
        id: format!("bundle--{}", stable_uuid(&bundle.catalog_hash)),
        objects,
    };
    let mut s = serde_json::to_string_pretty(&b).expect("STIX serializes");
    s.push('\n');
    (s, skipped)
}

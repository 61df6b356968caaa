//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning accepts it.
//!
//! * Every rulecat code is a reporting descriptor (`tool.driver.rules`, in code order),
//!   with its summary, its `explain` text as help, and its default level, whether or not
//!   it has results; `ruleIndex` points into that list.
//! * Artifact locations are relative URIs against `%SRCROOT%` (the folder rulecat ran
//!   in, which is the repository root in CI), percent-encoded as RFC 3986 requires: a
//!   space is `%20`, `%` is `%25`. A file outside the working folder gets an absolute
//!   `file://` URI.
//! * Output is validated against the official SARIF 2.1.0 JSON schema (OASIS errata 01)
//!   in `tests/sarif.rs`.

use serde_sarif::sarif::{
    ArtifactLocation, Location, Message, MultiformatMessageString, PhysicalLocation, Region,
    ReportingConfiguration, ReportingDescriptor, Result as SarifResult, ResultLevel, Run, Sarif,
    Tool, ToolComponent,
};

use super::position;
use crate::diagnostics::{Diagnostic, Severity};
use crate::source::SourceMap;

fn result_level(s: Severity) -> ResultLevel {
    match s {
        Severity::Error => ResultLevel::Error,
        Severity::Warning => ResultLevel::Warning,
        Severity::Note => ResultLevel::Note,
    }
}

const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// The base every relative artifact URI is resolved against.
pub const SRCROOT: &str = "%SRCROOT%";

/// Percent-encodes a path for a URI: everything but RFC 3986's unreserved characters and
/// `/` is written as `%XX` of its UTF-8 bytes.
pub fn percent_encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The artifact location of a file as rulecat names it (a path relative to the working
/// folder, or absolute).
fn artifact_location(name: &str) -> ArtifactLocation {
    let path = std::path::Path::new(name);
    let relative = if path.is_absolute() {
        std::env::current_dir()
            .ok()
            .and_then(|cwd| path.strip_prefix(cwd).ok().map(|p| p.to_path_buf()))
    } else {
        Some(path.to_path_buf())
    };
    match relative {
        Some(rel) => {
            let rel = crate::loading::discover::display_path(&rel);
            ArtifactLocation::builder()
                .uri(percent_encode_path(&rel))
                .uri_base_id(SRCROOT)
                .build()
        }
        None => {
            let abs = crate::loading::discover::display_path(path);
            let abs = if abs.starts_with('/') {
                abs
            } else {
                format!("/{abs}")
            };
            ArtifactLocation::builder()
                .uri(format!("file://{}", percent_encode_path(&abs)))
                .build()
        }
    }
}

/// A code's documentation without the doc comment's leading space on each line.
fn docs_text(c: &crate::diagnostics::CodeInfo) -> String {
    c.docs
        .lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

pub(super) fn render(diags: &[Diagnostic], sources: &SourceMap) -> String {
    // Every code is a reporting descriptor, in code order.
    let mut codes = crate::codes::all();
    codes.sort_by_key(|c| c.code);
    codes.dedup_by_key(|c| c.code);
    let rules: Vec<ReportingDescriptor> = codes
        .iter()
        .map(|c| {
            ReportingDescriptor::builder()
                .id(c.code)
                .name(c.name)
                .short_description(MultiformatMessageString::builder().text(c.summary).build())
                .full_description(
                    MultiformatMessageString::builder()
                        .text(docs_text(c))
                        .build(),
                )
                .help(
                    MultiformatMessageString::builder()
                        .text(format!(
                            "{}\n\n(`rulecat explain {}` prints this.)",
                            docs_text(c),
                            c.code
                        ))
                        .markdown(format!(
                            "{}\n\n`rulecat explain {}` prints this.",
                            docs_text(c),
                            c.code
                        ))
                        .build(),
                )
                .default_configuration(
                    ReportingConfiguration::builder()
                        .level(serde_json::json!(level(c.level)))
                        .build(),
                )
                .build()
        })
        .collect();
    let results: Vec<SarifResult> = diags
        .iter()
        .map(|d| {
            let index = codes
                .iter()
                .position(|c| c.code == d.code.code)
                .unwrap_or(0);
            let mut text = d.message.clone();
            for n in &d.notes {
                text.push_str(&format!("\nnote: {n}"));
            }
            if let Some(h) = &d.help {
                text.push_str(&format!("\nhelp: {h}"));
            }
            let locations: Vec<Location> = d
                .primary()
                .map(|l| {
                    let p = position(sources, l.file, &l.span);
                    vec![
                        Location::builder()
                            .physical_location(
                                PhysicalLocation::builder()
                                    .artifact_location(artifact_location(&p.file))
                                    .region(
                                        Region::builder()
                                            .start_line(p.line as i64)
                                            .start_column(p.column as i64)
                                            .end_line(p.end_line as i64)
                                            .end_column(p.end_column.max(p.column) as i64)
                                            .build(),
                                    )
                                    .build(),
                            )
                            .build(),
                    ]
                })
                .or_else(|| {
                    d.file.map(|f| {
                        vec![
                            Location::builder()
                                .physical_location(
                                    PhysicalLocation::builder()
                                        .artifact_location(artifact_location(&sources.get(f).name))
                                        .build(),
                                )
                                .build(),
                        ]
                    })
                })
                .unwrap_or_default();
            SarifResult::builder()
                .rule_id(d.code.code)
                .rule_index(index as i64)
                .level(result_level(d.severity))
                .message(Message::builder().text(text).build())
                .locations(locations)
                .build()
        })
        .collect();
    let run = Run::builder()
        .tool(
            Tool::builder()
                .driver(
                    ToolComponent::builder()
                        .name("rulecat")
                        .version(env!("CARGO_PKG_VERSION"))
                        .information_uri("https://github.com/rulecat/rulecat")
                        .rules(rules)
                        .build(),
                )
                .build(),
        )
        .column_kind(serde_json::json!("unicodeCodePoints"))
        .original_uri_base_ids(std::collections::BTreeMap::from([(
            SRCROOT.to_string(),
            ArtifactLocation::builder()
                .description(
                    Message::builder()
                        .text("The folder rulecat ran in (the repository root in CI).")
                        .build(),
                )
                .build(),
        )]))
        .results(results)
        .build();
    let sarif = Sarif::builder()
        .schema(SARIF_SCHEMA)
        .version(serde_json::json!("2.1.0"))
        .runs(vec![run])
        .build();
    let mut s = serde_json::to_string_pretty(&sarif).expect("SARIF serializes");
    s.push('\n');
    s
}

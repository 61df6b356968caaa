//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning accepts it.

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

pub(super) fn render(diags: &[Diagnostic], sources: &SourceMap) -> String {
    // The reporting descriptors of the codes that occur, in code order.
    let mut codes: Vec<&crate::diagnostics::CodeInfo> = diags.iter().map(|d| d.code).collect();
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
                        .text(c.docs.trim())
                        .build(),
                )
                .help(
                    MultiformatMessageString::builder()
                        .text(format!("rulecat explain {}", c.code))
                        .markdown(c.docs.trim())
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
                                    .artifact_location(
                                        ArtifactLocation::builder().uri(p.file).build(),
                                    )
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
                                        .artifact_location(
                                            ArtifactLocation::builder()
                                                .uri(sources.get(f).name.clone())
                                                .build(),
                                        )
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

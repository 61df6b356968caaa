//! `--format github`: GitHub Actions workflow commands, shown as annotations on the diff.

use super::{Summary, position};
use crate::diagnostics::{Diagnostic, Severity};
use crate::source::SourceMap;

pub(super) fn render(diags: &[Diagnostic], sources: &SourceMap, summary: &Summary) -> String {
    let mut out = String::new();
    for d in diags {
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut props = Vec::new();
        if let Some(l) = d.primary() {
            let p = position(sources, l.file, &l.span);
            props.push(format!("file={}", escape_property(&p.file)));
            props.push(format!("line={}", p.line));
            props.push(format!("col={}", p.column));
            if p.end_line >= p.line {
                props.push(format!("endLine={}", p.end_line));
            }
            if p.end_line == p.line && p.end_column > p.column {
                props.push(format!("endColumn={}", p.end_column));
            }
        } else if let Some(f) = d.file {
            props.push(format!("file={}", escape_property(&sources.get(f).name)));
        }
        props.push(format!(
            "title={}",
            escape_property(&format!("{} {}", d.code.code, d.code.name))
        ));
        let mut msg = d.message.clone();
        if let Some(h) = &d.help {
            msg.push_str(&format!("\nhelp: {h}"));
        }
        out.push_str(&format!(
            "::{level} {}::{}\n",
            props.join(","),
            escape_data(&msg)
        ));
    }
    if let Some(d) = &summary.denied {
        out.push_str(&format!("::error title=rulecat::{}\n", escape_data(d)));
    }
    out.push_str(&format!("rulecat: {}\n", summary.line()));
    out
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

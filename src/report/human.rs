//! rustc-style output through codespan-reporting.

use std::io::IsTerminal;

use codespan_reporting::diagnostic::{
    Diagnostic as CsDiagnostic, Label as CsLabel, Severity as CsSeverity,
};
use codespan_reporting::term::termcolor::{Buffer, ColorChoice as TcChoice, WriteColor};
use codespan_reporting::term::{self, Config};

use super::Summary;
use crate::diagnostics::{Diagnostic, Severity};
use crate::source::SourceMap;

/// `--color auto|always|never`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is not set.
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    pub fn enabled(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

pub(super) fn render(
    diags: &[Diagnostic],
    sources: &SourceMap,
    summary: &Summary,
    color: ColorChoice,
) -> String {
    let _ = TcChoice::Never;
    let mut buf = if color.enabled() {
        Buffer::ansi()
    } else {
        Buffer::no_color()
    };
    let config = Config::default();
    for d in diags {
        let cs = to_codespan(d);
        if term::emit_to_write_style(&mut buf, &config, sources, &cs).is_err() {
            // A label outside its file cannot be drawn; show the message alone.
            let _ = std::io::Write::write_all(
                &mut buf,
                format!(
                    "{}[{}]: {}\n\n",
                    d.severity.as_str(),
                    d.code.code,
                    d.message
                )
                .as_bytes(),
            );
        }
    }
    let line = summary.line();
    let _ = if summary.errors > 0 || summary.denied.is_some() {
        buf.set_color(
            codespan_reporting::term::termcolor::ColorSpec::new()
                .set_bold(true)
                .set_fg(Some(codespan_reporting::term::termcolor::Color::Red)),
        )
    } else {
        buf.set_color(codespan_reporting::term::termcolor::ColorSpec::new().set_bold(true))
    };
    let _ = std::io::Write::write_all(&mut buf, line.as_bytes());
    let _ = buf.reset();
    let _ = std::io::Write::write_all(&mut buf, b"\n");
    String::from_utf8_lossy(buf.as_slice()).into_owned()
}

fn to_codespan(d: &Diagnostic) -> CsDiagnostic<usize> {
    let severity = match d.severity {
        Severity::Error => CsSeverity::Error,
        Severity::Warning => CsSeverity::Warning,
        Severity::Note => CsSeverity::Note,
    };
    let mut notes = d.notes.clone();
    if let Some(h) = &d.help {
        notes.push(format!("help: {h}"));
    }
    notes.push(format!(
        "see: rulecat explain {} ({})",
        d.code.code, d.code.name
    ));
    CsDiagnostic::new(severity)
        .with_code(d.code.code)
        .with_message(&d.message)
        .with_labels(
            d.labels
                .iter()
                .map(|l| {
                    let label = if l.primary {
                        CsLabel::primary(l.file, l.span.clone())
                    } else {
                        CsLabel::secondary(l.file, l.span.clone())
                    };
                    label.with_message(&l.message)
                })
                .collect(),
        )
        .with_notes(notes)
}

use super::{Lint, RuleCtx, Scope};
use crate::declare_code;
use crate::diagnostics::{Diagnostic, Edit};
use crate::loading::yaml::{Entry, Node, Value};

declare_code! {
    /// `tactics` or `relevantTechniques` is written as a single string instead of a list.
    ///
    /// ## What it finds
    /// `tactics: CommandAndControl` or `relevantTechniques: T1219`: one value written as a
    /// plain string where the rule format and most of the catalog use a list.
    ///
    /// ## Why it matters
    /// Sentinel accepts both forms, but tools that read the catalog (coverage reports,
    /// converters, scripts that append a tactic) expect a list and may treat the string as
    /// a list of characters or drop it. Adding a second tactic to the string form also
    /// invites `tactics: CommandAndControl, Persistence`, a single (invalid) tactic name.
    ///
    /// ## Example
    /// ```yaml
    /// tactics: CommandAndControl
    /// ```
    /// Fixed:
    /// ```yaml
    /// tactics:
    /// - CommandAndControl
    /// ```
    ///
    /// ## How to fix
    /// Write the value as a one-item block list; `rulecat lint --fix` does this, indenting
    /// the item the way the file's other lists are indented.
    pub static CODE = {
        code: "R0006",
        name: "scalar-tactics",
        level: Note,
        summary: "tactics or relevantTechniques written as a single string instead of a list",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    scope: Scope::Rule,
    check_rule: Some(check),
    check_catalog: None,
};

fn check(ctx: &RuleCtx<'_>, out: &mut Vec<Diagnostic>) {
    for key in ["tactics", "relevantTechniques"] {
        let Some(entry) = ctx.rule.root.get(key) else {
            continue;
        };
        let Value::String(value) = &entry.value.value else {
            continue;
        };
        let mut d = Diagnostic::new(
            &CODE,
            format!("`{key}` is a single string; write it as a list"),
        )
        .at(
            ctx.rule.file,
            entry.value.span.clone(),
            "a single string, not a list",
        );
        match list_fix(ctx.text, &ctx.rule.root, entry) {
            Some(edit) => {
                d = d
                    .with_fix(format!("write `{key}` as a one-item list"), vec![edit])
                    .help("write it as a one-item block list (`rulecat lint --fix` does)");
            }
            None => {
                d = d.help(format!("write it as a list:\n{key}:\n- {value}"));
            }
        }
        out.push(d);
    }
}

/// Column of a byte offset (bytes since the start of its line).
fn column(text: &str, offset: usize) -> usize {
    offset - text[..offset].rfind('\n').map_or(0, |i| i + 1)
}

/// The edit turning `key: value` into `key:` + a block list item holding `value`.
fn list_fix(text: &str, root: &Node, entry: &Entry) -> Option<Edit> {
    let value = entry.value.span.clone();
    let between = text.get(entry.key_span.end..value.start)?;
    let rest = between.strip_prefix(':')?;
    if !rest.chars().all(|c| c == ' ' || c == '\t') {
        return None;
    }
    if text.get(value.clone())?.contains('\n') {
        return None;
    }
    let key_start = entry.key_span.start;
    let line_start = text[..key_start].rfind('\n').map_or(0, |i| i + 1);
    if !text[line_start..key_start].chars().all(|c| c == ' ') {
        return None;
    }
    let indent = key_start - line_start + list_offset(text, root).unwrap_or(0);
    let eol = line_ending(text, key_start);
    Some(Edit {
        span: entry.key_span.end..value.start,
        replacement: format!(":{eol}{}- ", " ".repeat(indent)),
    })
}

/// How far the file indents a block list's `- ` beyond its key: the first block list in
/// the file decides.
fn list_offset(text: &str, node: &Node) -> Option<usize> {
    let Value::Map(entries) = &node.value else {
        return None;
    };
    for e in entries {
        match &e.value.value {
            Value::Seq(items) if !items.is_empty() => {
                let start = e.value.span.start;
                if text.as_bytes().get(start) == Some(&b'-') {
                    let dash = column(text, start);
                    let key = column(text, e.key_span.start);
                    if dash >= key {
                        return Some(dash - key);
                    }
                }
                for item in items {
                    if let Some(o) = list_offset(text, item) {
                        return Some(o);
                    }
                }
            }
            Value::Map(_) => {
                if let Some(o) = list_offset(text, &e.value) {
                    return Some(o);
                }
            }
            _ => {}
        }
    }
    None
}

/// The line ending of the line at `offset` (or of the file's first line).
pub(super) fn line_ending(text: &str, offset: usize) -> &'static str {
    let nl = text[offset..]
        .find('\n')
        .map(|i| offset + i)
        .or_else(|| text.find('\n'));
    match nl {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// Helpers for the unit tests of the rule, catalog and style lints.
#[cfg(test)]
pub(super) mod test_support {
    use crate::diagnostics::Diagnostic;

    /// Loads `text` as one rule file and runs every lint over it; returns the diagnostics
    /// of lint `name`.
    pub fn lint(text: &str, name: &str) -> Vec<Diagnostic> {
        let loaded = crate::loading::load::load_bytes(
            "t.yaml".into(),
            text.as_bytes(),
            0,
            &Default::default(),
        );
        let rule = loaded
            .rule
            .unwrap_or_else(|| panic!("does not load: {:?}", loaded.diagnostics));
        let mut sources = crate::source::SourceMap::new();
        sources.add(loaded.name, loaded.text);
        let rules = vec![rule];
        let config = crate::config::Config::default();
        let env = crate::lint::LintEnv {
            config: &config,
            baseline: None,
            roots: &[],
        };
        crate::lint::run(
            &rules,
            &sources,
            crate::loading::workspace::Workspace::empty(),
            &env,
        )
        .into_iter()
        .filter(|d| d.code.name == name)
        .collect()
    }

    /// Applies every fix of `diags` to `text`.
    pub fn apply(text: &str, diags: &[Diagnostic]) -> String {
        let mut edits: Vec<_> = diags
            .iter()
            .filter_map(|d| d.fix.as_ref())
            .flat_map(|f| f.edits.iter().cloned())
            .collect();
        edits.sort_by_key(|e| std::cmp::Reverse((e.span.start, e.span.end)));
        let mut s = text.to_string();
        for e in edits {
            s.replace_range(e.span, &e.replacement);
        }
        s
    }

    /// A valid rule with `{}` replaced by `extra` lines (tactics and techniques).
    pub fn rule(head: &str, mapping: &str, query: &str) -> String {
        format!(
            "id: 1525a733-192f-41f2-96ba-d3f631ca00d0\nname: Test rule\ndescription: |\n  A test.\n{head}requiredDataConnectors:\n- connectorId: MicrosoftThreatProtection\n  dataTypes:\n  - DeviceFileCertificateInfo\n{mapping}query: |\n{query}"
        )
    }

    pub const QUERY: &str = "  DeviceFileCertificateInfo\n  | where Timestamp > ago(1d)\n  | where Signer has 'Action1 Corporation'\n";
    pub const MAPPING: &str = "tactics:\n- CommandAndControl\nrelevantTechniques:\n- T1219\n";
}

#[cfg(test)]
mod tests {
    use super::test_support::*;

    #[test]
    fn fix_writes_a_block_list_in_the_file_style() {
        let text = rule(
            "",
            "tactics: CommandAndControl  # c2\nrelevantTechniques:\n- T1219\n",
            QUERY,
        );
        let d = lint(&text, "scalar-tactics");
        assert_eq!(d.len(), 1);
        let fixed = apply(&text, &d);
        assert_eq!(
            fixed,
            text.replace(
                "tactics: CommandAndControl  # c2\n",
                "tactics:\n- CommandAndControl  # c2\n"
            )
        );
        assert!(lint(&fixed, "scalar-tactics").is_empty());
    }

    #[test]
    fn fix_keeps_crlf_quotes_and_indented_lists() {
        let text = rule(
            "",
            "tactics: 'CommandAndControl'\nrelevantTechniques: \"T1219\"\n",
            QUERY,
        )
        .replace("- connectorId", "  - connectorId")
        .replace("  dataTypes", "    dataTypes")
        .replace("  - DeviceFile", "      - DeviceFile")
        .replace('\n', "\r\n");
        let d = lint(&text, "scalar-tactics");
        assert_eq!(d.len(), 2);
        let fixed = apply(&text, &d);
        assert!(
            fixed.contains(
                "tactics:\r\n  - 'CommandAndControl'\r\nrelevantTechniques:\r\n  - \"T1219\"\r\n"
            ),
            "{fixed}"
        );
        assert!(lint(&fixed, "scalar-tactics").is_empty());
    }
}

//! `rulecat lint --fix` / `--diff`: apply the certain fixes attached to diagnostics.
//!
//! Edits are applied per file, from the end backwards so earlier offsets stay valid;
//! an edit that overlaps one already taken is left for the next run. Everything outside
//! the edits is kept byte for byte. Files are written atomically.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::diagnostics::{Diagnostic, Edit, FileId};
use crate::source::SourceMap;

/// The fixed text of one file.
#[derive(Debug, Clone, PartialEq)]
pub struct FixedFile {
    pub file: FileId,
    pub path: PathBuf,
    pub before: String,
    pub after: String,
    /// How many diagnostics' fixes were applied.
    pub fixes: usize,
}

/// Computes the fixed text of every file that has fixes.
pub fn plan(diags: &[Diagnostic], sources: &SourceMap) -> Vec<FixedFile> {
    let mut by_file: BTreeMap<FileId, Vec<&Diagnostic>> = BTreeMap::new();
    for d in diags {
        if let (Some(f), Some(_)) = (d.file, &d.fix) {
            by_file.entry(f).or_default().push(d);
        }
    }
    let mut out = Vec::new();
    for (file, ds) in by_file {
        let src = sources.get(file);
        let text: &str = &src.text;
        // Take whole fixes (all of a diagnostic's edits) in order; skip any that overlap.
        let mut taken: Vec<&Edit> = Vec::new();
        let mut fixes = 0;
        let mut ordered: Vec<&Diagnostic> = ds;
        ordered.sort_by_key(|d| {
            d.fix
                .as_ref()
                .and_then(|f| f.edits.iter().map(|e| e.span.start).min())
        });
        for d in ordered {
            let fix = d.fix.as_ref().expect("filtered on fixes");
            let valid = fix.edits.iter().all(|e| {
                e.span.start <= e.span.end
                    && e.span.end <= text.len()
                    && text.is_char_boundary(e.span.start)
                    && text.is_char_boundary(e.span.end)
            });
            let overlaps = fix.edits.iter().any(|e| {
                taken.iter().any(|t| {
                    e.span.start < t.span.end && t.span.start < e.span.end
                        || (e.span.is_empty() || t.span.is_empty()) && e.span.start == t.span.start
                })
            });
            if valid && !overlaps {
                taken.extend(fix.edits.iter());
                fixes += 1;
            }
        }
        if fixes == 0 {
            continue;
        }
        taken.sort_by_key(|e| (e.span.start, e.span.end));
        let mut after = String::with_capacity(text.len());
        let mut pos = 0;
        for e in &taken {
            after.push_str(&text[pos..e.span.start]);
            after.push_str(&e.replacement);
            pos = e.span.end;
        }
        after.push_str(&text[pos..]);
        out.push(FixedFile {
            file,
            path: PathBuf::from(&src.name),
            before: text.to_string(),
            after,
            fixes,
        });
    }
    out
}

/// A unified diff of the planned fixes.
pub fn diff(files: &[FixedFile]) -> String {
    let mut out = String::new();
    for f in files {
        let name = crate::loading::discover::display_path(&f.path);
        let d = similar::TextDiff::from_lines(&f.before, &f.after);
        out.push_str(
            &d.unified_diff()
                .context_radius(2)
                .header(&format!("a/{name}"), &format!("b/{name}"))
                .to_string(),
        );
    }
    out
}

/// Writes the fixed files (atomically). Returns the number of fixes applied.
pub fn apply(files: &[FixedFile]) -> std::io::Result<usize> {
    let mut n = 0;
    for f in files {
        crate::fsutil::write_atomic(&f.path, f.after.as_bytes())?;
        n += f.fixes;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Diagnostic;

    #[test]
    fn applies_non_overlapping_edits_and_keeps_the_rest() {
        let mut sources = SourceMap::new();
        let text = "name: Remote Montioring tool  \nx: 1";
        let f = sources.add("r.yaml".into(), text.into());
        let code = &crate::loading::schema::UNKNOWN_KEY;
        let d1 = Diagnostic::new(code, "a").at(f, 13..23, "").with_fix(
            "fix",
            vec![Edit {
                span: 13..23,
                replacement: "Monitoring".into(),
            }],
        );
        let d2 = Diagnostic::new(code, "b").at(f, 28..30, "").with_fix(
            "fix",
            vec![Edit {
                span: 28..30,
                replacement: String::new(),
            }],
        );
        let overlapping = Diagnostic::new(code, "c").at(f, 14..16, "").with_fix(
            "fix",
            vec![Edit {
                span: 14..16,
                replacement: "XX".into(),
            }],
        );
        let plan = plan(&[d1, overlapping, d2], &sources);
        assert_eq!(plan.len(), 1);
        assert_eq!(plan[0].after, "name: Remote Monitoring tool\nx: 1");
        assert_eq!(plan[0].fixes, 2);
        assert!(diff(&plan).contains("-name: Remote Montioring tool"));
    }
}

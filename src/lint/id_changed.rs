use std::collections::BTreeMap;

use super::{CatalogCtx, Lint, Scope};
use crate::declare_code;
use crate::diagnostics::Diagnostic;

declare_code! {
    /// A rule whose file is the same as in the previous release but whose `id` changed.
    ///
    /// ## What it finds
    /// With `rulecat lint --baseline bundle.json` (the bundle `rulecat compile` made for
    /// the previous release), every rule file that was in the baseline under another `id`.
    ///
    /// ## Why it matters
    /// Sentinel and every downstream consumer key rules by `id`: a changed id makes the
    /// rule look deleted and a new one added, losing its history, tuning and
    /// suppressions. Upstream catalogs forbid changing ids for that reason.
    ///
    /// ## Example
    /// Baseline: `RemoteManagementMonitoring/rmm_Action1_filesig.yaml` had
    /// `id: 1525a733-192f-41f2-96ba-d3f631ca00d0`; the file now says
    /// `id: 9d2f...`.
    ///
    /// Fixed: restore the original id:
    /// ```yaml
    /// id: 1525a733-192f-41f2-96ba-d3f631ca00d0
    /// ```
    ///
    /// ## How to fix
    /// Put the old id back. If the rule really is a different rule now, give it a new file
    /// name as well, and keep the old file (or delete it deliberately).
    pub static CODE = {
        code: "C0004",
        name: "id-changed",
        level: Error,
        summary: "a rule file whose id differs from the previous release's bundle",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    scope: Scope::Rule,
    check_rule: None,
    check_catalog: Some(check),
};

fn check(ctx: &CatalogCtx<'_>, out: &mut Vec<Diagnostic>) {
    let Some(baseline) = ctx.baseline else { return };
    let mut by_source: BTreeMap<&str, &str> = BTreeMap::new();
    for r in &baseline.rules {
        for s in &r.sources {
            by_source.insert(s.as_str(), r.id.as_str());
        }
    }
    for rc in ctx.rules {
        let source = crate::compile::bundle::relative_source(&rc.rule.path, ctx.roots);
        let Some(&old) = by_source.get(source.as_str()) else {
            continue;
        };
        if old.eq_ignore_ascii_case(&rc.rule.rule.id) {
            continue;
        }
        let span = rc
            .rule
            .root
            .get("id")
            .map(|e| e.value.span.clone())
            .unwrap_or(0..0);
        out.push(
            Diagnostic::new(
                &CODE,
                format!("the id of `{source}` changed since the baseline"),
            )
            .at(rc.rule.file, span, format!("was `{old}`"))
            .note(format!("the baseline bundle has this file as rule `{old}`"))
            .help(format!(
                "restore `id: {old}`; ids must never change once published"
            )),
        );
    }
}

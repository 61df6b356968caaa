use super::duplicate_rule::{file_list, report_conflicts};
use super::{CatalogCtx, Lint, Scope};
use crate::declare_code;
use crate::diagnostics::Diagnostic;

declare_code! {
    /// Two different rules have the same `id`.
    ///
    /// ## What it finds
    /// Rules in different files whose `id` is the same (compared without regard to case)
    /// but whose content differs. Each of them is reported, pointing at the others.
    /// Identical copies are `duplicate-rule` instead.
    ///
    /// ## Why it matters
    /// Sentinel and Content Hub identify a rule by its `id`: importing the catalog keeps
    /// one of the two rules and silently drops the other, and the one kept depends on the
    /// order of the import. Usually a file was copied to make a new rule and its id was
    /// not regenerated.
    ///
    /// ## Example
    /// ```yaml
    /// # Execution/OfficeSpawnsLolbin.yaml
    /// id: dcef41fa-1154-4759-9b70-2b76cb207cc2
    /// # Execution/OfficeSpawnsScriptHost.yaml
    /// id: dcef41fa-1154-4759-9b70-2b76cb207cc2
    /// ```
    ///
    /// ## How to fix
    /// Keep the id on the rule that was published with it and give the other rule a new
    /// UUID (`uuidgen`, or `[guid]::NewGuid()` in PowerShell).
    pub static CODE = {
        code: "C0001",
        name: "duplicate-id",
        level: Error,
        summary: "two different rules with the same id",
    }
}

pub static LINT: Lint = Lint {
    info: &CODE,
    scope: Scope::Rule,
    check_rule: None,
    check_catalog: Some(check),
};

fn check(ctx: &CatalogCtx<'_>, out: &mut Vec<Diagnostic>) {
    let keys: Vec<Option<String>> = ctx
        .rules
        .iter()
        .map(|r| {
            // Files without an id (functions, bare queries) cannot collide.
            let id = r.rule.rule.id.trim();
            (!id.is_empty()).then(|| id.to_ascii_lowercase())
        })
        .collect();
    report_conflicts(
        ctx,
        &keys,
        "id",
        |i, names| {
            Diagnostic::new(
                &CODE,
                format!(
                    "id `{}` is also used by a different rule in {}",
                    ctx.rules[i].rule.rule.id,
                    file_list(names)
                ),
            )
            .note("Sentinel keys rules by id: importing the catalog keeps only one of them")
            .help("give one of the rules a new UUID (keep the published rule's id)")
        },
        out,
    );
}

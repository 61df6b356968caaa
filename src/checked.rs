//! The checked catalog: every file's text, the rules that loaded with their analyzed
//! queries, and all diagnostics. It is what the check stage ([`crate::run::check`])
//! produces and what the stages after it read (`compile`, `coverage`, `ruletest`), so it
//! lives below all of them: those stages never import the driver.

use crate::config::Config;
use crate::diagnostics::Summary;
use crate::diagnostics::{Diagnostic, Severity};
use crate::loading::load::LoadedRule;
use crate::source::SourceMap;

/// The result of a check: every file's text, the rules that loaded, and all diagnostics.
#[derive(Debug)]
pub struct Checked {
    pub config: Config,
    pub sources: SourceMap,
    /// The rules that loaded (without `CheckOptions::keep_trees`, each cut to what the
    /// catalog-wide lints read: `LoadedRule::trim`).
    pub rules: Vec<LoadedRule>,
    /// Each rule's parsed and analyzed query, index-aligned with `rules` (empty when the
    /// check was asked not to keep them, `CheckOptions::keep_trees`).
    pub analyzed: Vec<crate::lint::Analyzed>,
    pub diagnostics: Vec<Diagnostic>,
    pub summary: Summary,
}

impl Checked {
    /// The worst severity found, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.diagnostics.iter().map(|d| d.severity).max()
    }
}

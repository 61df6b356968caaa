//! Stage 5: lints over loaded rules and the catalog as a whole.
//!
//! Each lint lives in its own file with a stable code, a kebab-case name, a default level,
//! a one-line summary and a doc comment that `rulecat explain CODE` prints.

use crate::diagnostics::CodeInfo;

/// Every lint's code info.
pub fn registry() -> Vec<&'static CodeInfo> {
    Vec::new()
}

/// Runs every lint over the loaded rules.
pub fn run(
    _rules: &[crate::load::LoadedRule],
    _sources: &crate::source::SourceMap,
) -> Vec<crate::diagnostics::Diagnostic> {
    Vec::new()
}

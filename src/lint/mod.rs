//! Stage 5: lints over loaded rules and over the catalog as a whole.
//!
//! Each lint lives in its own file with a stable code, a kebab-case name, a default level,
//! a one-line summary and a doc comment (what it finds, why it matters, an example, how
//! to fix) that `rulecat explain CODE` prints. A lint is a [`Lint`] value: a per-rule
//! check, a catalog-wide check, or both.

use std::ops::Range;

use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostics::{CodeInfo, Diagnostic};
use crate::kql::analyze::{Analysis, FindingKind};
use crate::kql::{self, Span};
use crate::loading::load::LoadedRule;
use crate::source::SourceMap;

mod engine_unsupported;
mod id_changed;
mod kql_syntax;
mod non_term_has;
mod operator_type;
mod resource_graph_table;
mod solution_parser;
mod undeclared_custom_table;
mod undefined_name;
mod unknown_column;
mod unknown_table;
mod unused_let;
// -- rule, catalog and style lints (R, C, F codes) --
mod ascii_only;
mod attack_mapping;
mod connector_mismatch;
mod duplicate_id;
mod duplicate_name;
mod duplicate_rule;
mod final_newline;
mod invalid_id;
mod placeholder_text;
mod result_columns;
mod scalar_tactics;
mod tab_indent;
mod trailing_whitespace;
// -- end rule, catalog and style lints --
// -- query content lints (Q codes, spelling) --
mod copied_signer;
mod duplicate_list_value;
mod foreign_domain;
mod indicator_coverage;
mod indicator_shape;
mod overbroad_signer;
mod query_window;
pub mod rmm;
mod spelling;
mod title_filter_mismatch;
// -- end query content lints --

/// A rule with its parsed and analyzed query: what per-rule lints see.
#[derive(Debug)]
pub struct RuleCtx<'a> {
    pub rule: &'a LoadedRule,
    pub config: &'a Config,
    /// The file's text.
    pub text: &'a str,
    pub parsed: &'a kql::Parsed,
    pub analysis: &'a Analysis,
    /// What the run's per-rule checks share (worked out once from the configuration).
    pub shared: &'a Shared,
    /// What the title says the rule is about, worked out on first use (several lints ask).
    subject: std::sync::OnceLock<rmm::TitleSubject>,
}

/// What every rule's checks share, worked out once per run from the configuration.
#[derive(Debug)]
pub struct Shared {
    /// The spelling lint's accepted words (`[vocabulary]`, knowledge file words).
    spelling_words: std::collections::HashSet<String>,
    /// overbroad-signer's accepted values (`[overbroad-signer] accepted`), lowercased.
    overbroad_accepted: std::collections::BTreeSet<String>,
}

impl Shared {
    pub fn new(config: &Config) -> Shared {
        Shared {
            spelling_words: spelling::configured(config),
            overbroad_accepted: overbroad_signer::accepted(config),
        }
    }
}

/// What the catalog-wide checks keep of one rule once its per-rule checks have run and its
/// query's syntax tree and analysis are dropped.
#[derive(Debug, Default)]
pub struct RuleFacts {
    /// What the title says the rule is about.
    subject: Option<rmm::TitleSubject>,
    copied_signer: copied_signer::Facts,
    overbroad_signer: overbroad_signer::Facts,
}

impl RuleFacts {
    fn of(ctx: &RuleCtx<'_>) -> RuleFacts {
        RuleFacts {
            subject: Some(ctx.title_subject().clone()),
            copied_signer: copied_signer::facts(ctx),
            overbroad_signer: overbroad_signer::facts(ctx),
        }
    }

    /// What the rule's title says it is about.
    fn subject(&self) -> &rmm::TitleSubject {
        self.subject.as_ref().unwrap_or(&rmm::TitleSubject::None)
    }
}

impl RuleCtx<'_> {
    /// What the rule's title says it is about ([`rmm::title_subject`] with the configured
    /// knowledge), computed once per rule.
    pub fn title_subject(&self) -> &rmm::TitleSubject {
        self.subject
            .get_or_init(|| rmm::title_subject(self.config.knowledge(), &self.rule.rule.name))
    }

    /// Maps a span in the query to a byte range in the file.
    pub fn query_span(&self, span: Span) -> Range<usize> {
        self.rule
            .query
            .span_to_file(span.start as usize..span.end as usize)
    }

    /// Turns the analyzer's findings of one kind into diagnostics of one code.
    pub fn emit_findings(
        &self,
        kind: FindingKind,
        code: &'static CodeInfo,
        out: &mut Vec<Diagnostic>,
    ) {
        let tokens = if self.parsed.is_ok() {
            Vec::new()
        } else {
            kql::lexer::tokenize(&self.rule.query.text)
        };
        for f in self.analysis.of_kind(kind) {
            if !self.parsed.is_ok() && self.explained_by_syntax_error(f, &tokens) {
                continue;
            }
            let mut d = Diagnostic::new(code, f.message.clone()).at(
                self.rule.file,
                self.query_span(f.span),
                f.label.clone(),
            );
            d.notes.extend(f.notes.iter().cloned());
            d.help = f.help.clone();
            out.push(d);
        }
    }
}

impl RuleCtx<'_> {
    /// Whether a finding in a query with syntax errors may be an artefact of the parser's
    /// recovery, which skips to the next statement or pipe: the skipped text is invisible
    /// to the analysis. Such findings are not reported; the syntax error (K0001) is, and
    /// fixing it brings the real answer.
    ///
    /// * an unused `let` whose name still occurs after it in the text (the use was in
    ///   skipped text);
    /// * an unknown column or undefined name that a `let` in the text declares (the `let`
    ///   itself did not parse).
    fn explained_by_syntax_error(
        &self,
        f: &crate::kql::analyze::Finding,
        tokens: &[kql::lexer::Token],
    ) -> bool {
        use crate::kql::analyze::FindingKind;
        use kql::lexer::TokenKind;
        let text = self.rule.query.text.as_str();
        let Some(name) = text.get(f.span.start as usize..f.span.end as usize) else {
            return false;
        };
        let ident =
            |t: &kql::lexer::Token, s: &str| t.kind == TokenKind::Ident && t.text(text) == s;
        match f.kind {
            FindingKind::UnusedLet => tokens
                .iter()
                .any(|t| t.span.start >= f.span.end && ident(t, name)),
            FindingKind::UnknownColumn | FindingKind::UndefinedName => tokens
                .windows(2)
                .any(|w| ident(&w[0], "let") && ident(&w[1], name)),
            _ => false,
        }
    }
}

/// One rule as catalog-wide lints see it: the loaded rule and what its per-rule pass kept.
#[derive(Debug)]
pub struct CatalogRule<'a> {
    pub rule: &'a LoadedRule,
    pub facts: &'a RuleFacts,
}

/// Every rule of the catalog: what catalog-wide lints see.
#[derive(Debug)]
pub struct CatalogCtx<'a> {
    pub rules: &'a [CatalogRule<'a>],
    pub sources: &'a SourceMap,
    pub config: &'a Config,
    /// The previous release's bundle (`--baseline`), for id-changed.
    pub baseline: Option<&'a crate::compile::bundle::Bundle>,
    /// The input paths, to compute each rule's source path as the compiler does.
    pub roots: &'a [std::path::PathBuf],
}

/// What the run brings to the lints besides the rules.
#[derive(Debug, Clone, Copy)]
pub struct LintEnv<'a> {
    pub config: &'a Config,
    pub baseline: Option<&'a crate::compile::bundle::Bundle>,
    pub roots: &'a [std::path::PathBuf],
}

type RuleCheck = fn(&RuleCtx<'_>, &mut Vec<Diagnostic>);
type CatalogCheck = fn(&CatalogCtx<'_>, &mut Vec<Diagnostic>);

/// Which rules a lint's per-rule check looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every file, bare `.kql` queries included (text and style lints).
    Any,
    /// Every rule file with metadata (YAML, JSON, ARM): not bare queries.
    Rule,
    /// Every file that carries a query, bare queries included.
    Query,
    /// Rule files with metadata that carry a query (the lint compares the two).
    QueryRule,
    /// Rule files that carry a query and declare `requiredDataConnectors` (hunting
    /// queries may omit the key; functions, Defender XDR detections and templates never
    /// have it).
    Connectors,
}

/// One lint: its code, which rules it looks at and its checks.
pub struct Lint {
    pub info: &'static CodeInfo,
    pub scope: Scope,
    pub check_rule: Option<RuleCheck>,
    pub check_catalog: Option<CatalogCheck>,
}

/// Every lint, in code order.
pub static LINTS: &[&Lint] = &[
    &kql_syntax::LINT,
    &unknown_table::LINT,
    &undeclared_custom_table::LINT,
    &resource_graph_table::LINT,
    &solution_parser::LINT,
    &unknown_column::LINT,
    &undefined_name::LINT,
    &unused_let::LINT,
    &operator_type::LINT,
    &non_term_has::LINT,
    &engine_unsupported::LINT,
    &id_changed::LINT,
    // -- rule, catalog and style lints (R, C, F codes) --
    &invalid_id::LINT,
    &placeholder_text::LINT,
    &attack_mapping::LINT,
    &connector_mismatch::LINT,
    &scalar_tactics::LINT,
    &result_columns::LINT,
    &duplicate_id::LINT,
    &duplicate_rule::LINT,
    &duplicate_name::LINT,
    &ascii_only::LINT,
    &trailing_whitespace::LINT,
    &tab_indent::LINT,
    &final_newline::LINT,
    // -- end rule, catalog and style lints --
    // -- query content lints (Q codes, spelling) --
    &spelling::LINT,
    &overbroad_signer::LINT,
    &duplicate_list_value::LINT,
    &indicator_shape::LINT,
    &title_filter_mismatch::LINT,
    &query_window::LINT,
    &copied_signer::LINT,
    &foreign_domain::LINT,
    &indicator_coverage::LINT,
    // -- end query content lints --
];

/// Every lint's code info.
pub fn registry() -> Vec<&'static CodeInfo> {
    LINTS.iter().map(|l| l.info).collect()
}

/// A rule's query, parsed and analyzed.
#[derive(Debug, Clone)]
pub struct Analyzed {
    pub parsed: kql::Parsed,
    pub analysis: Analysis,
}

/// Parses and analyzes one rule's query (an empty parse for a rule without one).
pub fn analyze(rule: &LoadedRule, workspace: &crate::loading::workspace::Workspace) -> Analyzed {
    if !rule.has_query {
        return Analyzed {
            parsed: kql::Parsed::default(),
            analysis: Analysis::default(),
        };
    }
    let parsed = kql::parse(&rule.query.text);
    let params: Vec<(String, String)> = rule
        .rule
        .params
        .iter()
        .map(|p| (p.name.clone(), p.ty.clone()))
        .collect();
    let analysis = crate::kql::analyze::analyze_in(
        &parsed.query,
        crate::knowledge::tables::builtin(),
        workspace,
        &params,
    );
    Analyzed { parsed, analysis }
}

/// Whether a per-rule lint of the given [`Scope`] applies to a file.
pub fn applies(scope: Scope, rule: &LoadedRule) -> bool {
    let bare = rule.kind == crate::loading::model::RuleKind::Query;
    match scope {
        Scope::Any => true,
        Scope::Rule => !bare,
        Scope::Query => rule.has_query,
        Scope::QueryRule => rule.has_query && !bare,
        Scope::Connectors => {
            rule.has_query && !bare && rule.root.get("requiredDataConnectors").is_some()
        }
    }
}

/// What the per-rule pass produces for one rule.
#[derive(Debug)]
pub struct RuleOutcome {
    /// The per-rule checks' findings.
    pub diagnostics: Vec<Diagnostic>,
    /// What the catalog-wide checks need of the rule.
    pub facts: RuleFacts,
    /// The parsed and analyzed query, when asked to keep it.
    pub analyzed: Option<Analyzed>,
}

/// The per-rule pass over one rule: parses and analyzes its query, runs every per-rule
/// check, and keeps what the catalog-wide checks need. The syntax tree and analysis are
/// dropped unless `keep` asks for them, so a run over many rules holds one tree per thread.
pub fn check_rule(
    rule: &LoadedRule,
    text: &str,
    workspace: &crate::loading::workspace::Workspace,
    config: &Config,
    shared: &Shared,
    keep: bool,
) -> RuleOutcome {
    let a = analyze(rule, workspace);
    let ctx = RuleCtx {
        rule,
        config,
        text,
        parsed: &a.parsed,
        analysis: &a.analysis,
        shared,
        subject: std::sync::OnceLock::new(),
    };
    let mut diagnostics = Vec::new();
    for lint in LINTS {
        if let Some(check) = lint.check_rule
            && applies(lint.scope, rule)
        {
            check(&ctx, &mut diagnostics);
        }
    }
    let facts = RuleFacts::of(&ctx);
    RuleOutcome {
        diagnostics,
        facts,
        analyzed: keep.then_some(a),
    }
}

/// The catalog-wide checks, over every rule and what its per-rule pass kept (`facts`,
/// index-aligned with `rules`), in lint order.
pub fn check_catalog(
    rules: &[LoadedRule],
    facts: &[RuleFacts],
    sources: &SourceMap,
    env: &LintEnv<'_>,
) -> Vec<Diagnostic> {
    let ctxs: Vec<CatalogRule<'_>> = rules
        .iter()
        .zip(facts)
        .map(|(rule, facts)| CatalogRule { rule, facts })
        .collect();
    let catalog = CatalogCtx {
        rules: &ctxs,
        sources,
        config: env.config,
        baseline: env.baseline,
        roots: env.roots,
    };
    let by_lint: Vec<Vec<Diagnostic>> = LINTS
        .par_iter()
        .filter_map(|lint| {
            let check = lint.check_catalog?;
            let mut d = Vec::new();
            check(&catalog, &mut d);
            Some(d)
        })
        .collect();
    by_lint.into_iter().flatten().collect()
}

/// Runs every lint over the loaded rules: the per-rule pass (in parallel), then the
/// catalog-wide checks.
pub fn run(
    rules: &[LoadedRule],
    sources: &SourceMap,
    workspace: &crate::loading::workspace::Workspace,
    env: &LintEnv<'_>,
) -> Vec<Diagnostic> {
    let shared = Shared::new(env.config);
    let (mut out, facts): (Vec<Vec<Diagnostic>>, Vec<RuleFacts>) = rules
        .par_iter()
        .map(|r| {
            let o = check_rule(
                r,
                &sources.get(r.file).text,
                workspace,
                env.config,
                &shared,
                false,
            );
            (o.diagnostics, o.facts)
        })
        .unzip();
    out.push(check_catalog(rules, &facts, sources, env));
    out.into_iter().flatten().collect()
}

//! What the engine can run, decided before running: the constructs of a query that
//! [`super::run_query`] would refuse whatever the data (an operator or plugin it does not
//! implement, a function it does not know, `externaldata`, an ASIM parser or a
//! cross-cluster reference). The `engine-unsupported` lint and `rulecat compile` use it,
//! so a lint-clean rule is a rule the engine runs.
//!
//! Operators and plugins are listed by [`super::ops::supported`] and
//! [`super::ops::plugin_supported`], next to the dispatch they describe; functions are
//! probed through the engine's own function table ([`super::funcs::call`]), so a
//! function added there is supported here at once.

use std::collections::HashSet as StdHashSet;

/// Sets of names and spans here hash with foldhash (short keys, no untrusted-input DoS).
type HashSet<T> = StdHashSet<T, foldhash::fast::FixedState>;

use super::exec::Ctx;
use super::{Database, aggs, ops};
use crate::kql::Span;
use crate::kql::ast::*;
use crate::kql::visit::{self, Visitor};

/// A construct the engine cannot run, with its place in the query.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unsupported {
    pub span: Span,
    /// What it is, as a phrase: "the `find` operator", "the function `foo()`".
    pub construct: String,
    /// A short, stable name for counting: `find`, `foo()`, `evaluate foo`.
    pub key: String,
}

/// Names the evaluator handles itself before the function table (they need the row,
/// the table or unevaluated arguments), and the tabular functions of `exec`.
const EVALUATOR_NAMES: &[&str] = &[
    "toscalar",
    "column_names_of",
    "new_guid",
    "row_number",
    "prev",
    "next",
    "row_cumsum",
    "pack_all",
    "column_ifexists",
    "columnifexists",
    "iff",
    "iif",
    "case",
    "materialize",
    "table",
    "view",
    "ingestion_time",
    "_GetWatchlist",
];

/// Whether the engine knows the scalar or aggregate function `name` called with `arity`
/// arguments (families match on the argument count, so the probe passes that many nulls).
pub fn function_known(name: &str, arity: usize) -> bool {
    // Defender's `invoke FileProfile(x, y)` (`ops::file_profile`); `arg("")`, only the
    // target of `arg("").Table` (`exec::resource_graph_table`).
    if (name == "FileProfile" && arity <= 2)
        || (name == "arg" && arity == 1)
        || super::asim::is_builtin(name)
    {
        return true;
    }
    if EVALUATOR_NAMES.contains(&name) || aggs::is_aggregate(name) {
        return true;
    }
    let db = Database::default();
    let cx = Ctx::new(&db, "");
    match super::funcs::call(name, vec![super::Value::Null; arity], &cx) {
        Ok(_) => true,
        Err(e) => !e.message.starts_with("unknown function"),
    }
}

/// The watchlists `q` reads: the aliases of its `_GetWatchlist('alias')` calls (with a
/// literal alias), sorted. The engine reads a watchlist's items from the input table
/// named after its alias, so `compile` lists them with the rule's tables.
pub fn watchlists(q: &Query) -> Vec<String> {
    let mut out = Vec::new();
    visit::for_each_expr(q, |e| {
        if let Expr::Call { func, args, .. } = e
            && func.name == "_GetWatchlist"
            && let [arg] = args.as_slice()
            && let Expr::Literal(l) = arg.unparen()
            && let Some(alias) = l.as_str()
        {
            out.push(alias.to_string());
        }
    });
    out.sort();
    out.dedup();
    out
}

/// Whether `q` calls Defender's `FileProfile()`: it reads the profiles from the input
/// table named `FileProfile` ([`super::ops::file_profile`]), so `compile` lists that
/// table with the rule's.
pub fn reads_file_profile(q: &Query) -> bool {
    let mut found = false;
    visit::for_each_op(q, |op| {
        if let Operator::Invoke { call } = &op.op
            && let Expr::Call { func, .. } = call.unparen()
            && func.name == "FileProfile"
        {
            found = true;
        }
    });
    found
}

/// The Azure Resource Graph tables `q` reads (`arg("").Resources`), sorted: the engine
/// reads each from the input table of that name, so `compile` lists them.
pub fn resource_graph_tables(q: &Query) -> Vec<String> {
    let mut out = Vec::new();
    visit::for_each_expr(q, |e| {
        if let Some(t) = super::exec::resource_graph_table(e) {
            out.push(t.name.clone());
        }
    });
    out.sort();
    out.dedup();
    out
}

/// The physical tables of the built-in ASIM parsers `q` uses (`_Im_Dns` reads
/// `ASimDnsActivityLogs`, [`super::asim`]), sorted, so `compile` lists them.
pub fn asim_tables(q: &Query) -> Vec<String> {
    let mut out = Vec::new();
    visit::for_each_expr(q, |e| {
        let name = match e {
            Expr::Name(id) => &id.name,
            Expr::Call { func, .. } => &func.name,
            _ => return,
        };
        if crate::knowledge::tables::builtin().table(name).is_none()
            && let Some(t) = super::asim::input_table(name)
        {
            out.push(t.to_string());
        }
    });
    out.sort();
    out.dedup();
    out
}

/// The URLs `q` reads with `externaldata` (those written as string literals, adjacent
/// literals joined as KQL joins them), sorted: the engine reads each from the local file
/// bound to it, so `compile` and `match` list them and report the unbound ones.
pub fn external_urls(q: &Query) -> Vec<String> {
    let mut out = Vec::new();
    visit::for_each_expr(q, |e| {
        if let Expr::ExternalData { uris, .. } = e {
            for u in uris {
                if let Expr::Literal(l) = u.unparen()
                    && let Some(url) = l.as_str()
                {
                    out.push(url.to_string());
                }
            }
        }
    });
    out.sort();
    out.dedup();
    out
}

/// Every construct of `q` the engine cannot run, sorted by place.
pub fn unsupported(q: &Query) -> Vec<Unsupported> {
    unsupported_with(q, &[])
}

/// Every construct of `q` the engine cannot run, where `functions` are the workspace
/// functions it calls (the analysis finds them): calls to them run by their bodies, and
/// what a body cannot run is reported at the query's first use of a function.
pub fn unsupported_with(
    q: &Query,
    functions: &[crate::loading::workspace::Function],
) -> Vec<Unsupported> {
    let names: HashSet<&str> = functions.iter().map(|f| f.name.as_str()).collect();
    let mut out = unsupported_bound(q, &names);
    if functions.is_empty() {
        return out;
    }
    // Where the query first names each function (else its first function use).
    let mut first: std::collections::HashMap<&str, Span> = Default::default();
    visit::for_each_expr(q, |e| {
        let (n, s) = match e {
            Expr::Name(id) => (id.name.as_str(), id.span),
            Expr::Call { func, .. } => (func.name.as_str(), func.span),
            _ => return,
        };
        if names.contains(n) {
            first.entry(n).or_insert(s);
        }
    });
    let fallback = first.values().min().copied().unwrap_or_default();
    let mut done: HashSet<&str> = HashSet::default();
    for f in functions {
        if !done.insert(f.name.as_str()) {
            continue;
        }
        let parsed = f.parsed();
        let span = first.get(f.name.as_str()).copied().unwrap_or(fallback);
        if !parsed.errors.is_empty() {
            out.push(Unsupported {
                span,
                construct: format!(
                    "the workspace function `{}` (its body does not parse)",
                    f.name
                ),
                key: format!("{}()", f.name),
            });
            continue;
        }
        let mut bound = names.clone();
        bound.extend(f.params.iter().map(|p| p.name.as_str()));
        for u in unsupported_bound(&parsed.query, &bound) {
            out.push(Unsupported {
                span,
                construct: format!("{} (in the workspace function `{}`)", u.construct, f.name),
                key: u.key,
            });
        }
    }
    out.sort();
    out.dedup();
    out
}

fn unsupported_bound(q: &Query, extra: &HashSet<&str>) -> Vec<Unsupported> {
    // Every name a `let` (at any depth) or a function parameter binds: calls to them are
    // user functions, sources named by them are let-bound tables.
    let mut bound: HashSet<&str> = extra.clone();
    struct Lets<'a, 'b>(&'b mut HashSet<&'a str>);
    impl<'a> Visitor<'a> for Lets<'a, '_> {
        fn visit_statement(&mut self, s: &'a Statement) {
            if let Statement::Let(l) = s {
                self.0.insert(&l.name.name);
                if let LetValue::Function(f) = &l.value {
                    for p in &f.params {
                        self.0.insert(&p.name.name);
                    }
                }
            }
            if let Statement::DeclareQueryParameters(d) = s {
                for p in &d.params {
                    self.0.insert(&p.name.name);
                }
            }
            if let Statement::DeclarePattern(p) = s {
                self.0.insert(&p.name.name);
            }
        }
        fn visit_op(&mut self, op: &'a PipeOp) {
            if let Operator::As { name, .. } = &op.op {
                self.0.insert(&name.name);
            }
        }
    }
    visit::walk_query(&mut Lets(&mut bound), q);

    let mut out = Vec::new();
    let mut known_fn: std::collections::HashMap<(&str, usize), bool, foldhash::fast::FixedState> =
        Default::default();
    // What each unbound name that is not a table is (`None`: nothing to report), worked
    // out once per name: column names repeat throughout a query.
    let mut name_kind: std::collections::HashMap<
        &str,
        Option<&'static str>,
        foldhash::fast::FixedState,
    > = Default::default();
    // `evaluate plugin(...)`: the call names a plugin, not a function.
    let mut plugin_calls: HashSet<Span> = HashSet::default();
    visit::for_each_op(q, |op| {
        if !ops::supported(&op.op, &op.name) {
            out.push(Unsupported {
                span: op.keyword_span,
                construct: format!("the `{}` operator", op.name),
                key: op.name.clone(),
            });
        }
        if let Operator::Evaluate { call, .. } = &op.op {
            if let Expr::Call { span, .. } = call.unparen() {
                plugin_calls.insert(*span);
            }
            if let Expr::Call { func, .. } = call.unparen()
                && !ops::plugin_supported(&func.name)
            {
                out.push(Unsupported {
                    span: func.span,
                    construct: format!("the `{}` plugin of `evaluate`", func.name),
                    key: format!("evaluate {}", func.name),
                });
            }
        }
    });
    visit::for_each_expr(q, |e| match e {
        // A parser function named like a table (the engine has only tables).
        Expr::Name(id) if !bound.contains(id.name.as_str()) => {
            let kind = *name_kind.entry(id.name.as_str()).or_insert_with(|| {
                if crate::knowledge::tables::builtin()
                    .table(&id.name)
                    .is_some()
                    // The built-in ASIM parsers run (`engine::asim`); a product's source
                    // parser does not.
                    || super::asim::is_builtin(&id.name)
                {
                    None
                } else if crate::loading::workspace::asim_parser(&id.name).is_some() {
                    Some("ASIM parser")
                } else if crate::knowledge::solution_parsers::get(&id.name).is_some() {
                    Some("Sentinel solution parser")
                } else {
                    None
                }
            });
            let Some(what) = kind else {
                return;
            };
            out.push(Unsupported {
                span: id.span,
                construct: format!(
                    "the {what} `{}` (a workspace function, not a table)",
                    id.name
                ),
                key: format!("{what} {}", id.name),
            });
        }
        Expr::Call { func, args, span }
            if !bound.contains(func.name.as_str()) && !plugin_calls.contains(span) =>
        {
            let known = *known_fn
                .entry((func.name.as_str(), args.len()))
                .or_insert_with(|| function_known(&func.name, args.len()));
            if !known {
                out.push(Unsupported {
                    span: func.span,
                    construct: format!("the function `{}()`", func.name),
                    key: format!("{}()", func.name),
                });
            }
        }
        _ => {}
    });
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(q: &str) -> Vec<String> {
        let p = crate::kql::parse(q);
        assert!(p.errors.is_empty(), "{q}: {:?}", p.errors);
        unsupported(&p.query).into_iter().map(|u| u.key).collect()
    }

    #[test]
    fn runnable_queries_have_nothing_unsupported() {
        for q in [
            "DeviceEvents | extend x = tolower(FileName) | where x has 'a' | summarize count() by bin(Timestamp, 1h)",
            "let f = (t: string) { strlen(t) }; DeviceEvents | extend n = f(FileName) | join kind=leftouter (DeviceInfo | summarize arg_max(Timestamp, *) by DeviceId) on DeviceId",
            "union DeviceEvents, DeviceProcessEvents | mv-expand x = parse_json(AdditionalFields) | parse FileName with a '.' b | evaluate bag_unpack(x)",
            "let T = DeviceEvents | take 1; T | as X | project iff(isempty(FileName), 'a', 'b'), toscalar(X | count)",
        ] {
            assert_eq!(keys(q), Vec::<String>::new(), "{q}");
        }
    }

    #[test]
    fn workspace_functions_run_by_their_bodies() {
        let f = |name: &str, body: &str| {
            crate::loading::workspace::Function::declared(
                name,
                [("upn", "string", Some(""))],
                body,
                "f.yaml".into(),
            )
        };
        let q = crate::kql::parse("TomcatEvent | where x == 1 | extend y = Lookup(upn2)");
        let keys = |fs: &[crate::loading::workspace::Function]| -> Vec<(String, String)> {
            unsupported_with(&q.query, fs)
                .into_iter()
                .map(|u| (u.key, u.construct))
                .collect()
        };
        // Declared: neither the parser used as a table nor the function call is flagged.
        let ok = [
            f("TomcatEvent", "Syslog | where SyslogMessage has upn"),
            f("Lookup", "strlen(upn)"),
        ];
        assert_eq!(keys(&ok), vec![]);
        // What a body cannot run is reported, naming the function.
        let bad = [
            f("TomcatEvent", "Syslog | extend y = no_such_function(upn)"),
            f("Lookup", "strlen(upn)"),
        ];
        assert_eq!(
            keys(&bad),
            vec![(
                "no_such_function()".to_string(),
                "the function `no_such_function()` (in the workspace function `TomcatEvent`)"
                    .to_string()
            )]
        );
    }

    #[test]
    fn unsupported_constructs_are_named() {
        // `externaldata` runs from a bound local file: not unsupported, but listed.
        assert_eq!(
            keys("externaldata (a: string) [@'https://x/y.csv'] | where a == 'b'"),
            Vec::<String>::new()
        );
        let p = crate::kql::parse(
            "let a = externaldata (a: string) [h@'https://x/y.csv' h'?sig=s'] with (format=csv); externaldata (b: string) ['https://x/b.txt'] | join a on $left.b == $right.a",
        );
        assert_eq!(
            external_urls(&p.query),
            vec!["https://x/b.txt", "https://x/y.csv?sig=s"]
        );
        assert_eq!(
            keys("DeviceEvents | extend y = no_such_function(FileName)"),
            vec!["no_such_function()"]
        );
        assert_eq!(
            keys("DeviceEvents | evaluate no_such_plugin(FileName)"),
            vec!["evaluate no_such_plugin"]
        );
        assert_eq!(keys("DeviceEvents | facet by FileName"), vec!["facet"]);
        assert!(keys("cluster('x').database('y').T | take 1").contains(&"cluster()".to_string()));
        // Azure Resource Graph tables and Defender's FileProfile() run over inputs.
        assert_eq!(
            keys("arg('').Resources | join (arg('').ResourceContainers) on subscriptionId"),
            Vec::<String>::new()
        );
        let p = crate::kql::parse("arg('').Resources | join (arg('').ResourceContainers) on id");
        assert_eq!(
            resource_graph_tables(&p.query),
            vec!["ResourceContainers", "Resources"]
        );
        assert_eq!(
            keys("DeviceFileEvents | invoke FileProfile(SHA1, 1000)"),
            Vec::<String>::new()
        );
        // Built-in ASIM parsers run; a product's source parser does not.
        assert_eq!(
            keys("_Im_Dns(starttime=ago(1h)) | union vimDnsEmpty, imNetworkSession"),
            Vec::<String>::new()
        );
        assert_eq!(
            keys("ASimDnsInfobloxNIOS | take 1"),
            vec!["ASIM parser ASimDnsInfobloxNIOS"]
        );
        let p =
            crate::kql::parse("_Im_Dns(starttime=ago(1h)) | union vimDnsEmpty, imNetworkSession");
        assert_eq!(
            asim_tables(&p.query),
            vec!["ASimDnsActivityLogs", "ASimNetworkSessionLogs"]
        );
    }
}

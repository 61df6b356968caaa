//! Which columns a query can read, from its syntax tree: one analysis, [`column_use`],
//! for the two places that need it. Projection pushdown for `rulecat query`
//! ([`needed_columns`]: the reader, [`super::input`], decodes only those columns of an
//! input table) and the `join` → `summarize` fusion (`ops::join`: whether the
//! `summarize` reads one side of the join only).
//!
//! Conservative by construction: a table gets a column set only when every place the
//! query names it is the source of a pipeline that runs only `where`, `extend`, `join`,
//! `lookup`, `sort`, `take` and `top` before a `project`, `summarize`, `count` or
//! `distinct` (so no other column can reach the output), counted by comparing the
//! pipelines found with the table's uses as a name in the tree. The set is then every
//! column name the query writes (names, `['bracketed']` names, the `x` of `$left.x` and
//! `$right.x`), each also without trailing digits (`SHA11`, the right side's `SHA1`
//! after a `join`, keeps `SHA1`). Anything that can read a column without naming it
//! (`*`, `pack_all()`, `column_ifexists()`, `table()`, a `Device*` pattern, a call of a
//! user or workspace function or a `let` name), or any other use of the table, and the
//! table is read whole.

use std::collections::BTreeSet;

use crate::kql::ast::*;

/// What expressions can read of the rows they run on.
#[derive(Debug, Default)]
pub struct ColumnUse<'a> {
    /// The column names they write: names (`x`, `['a b']`) and the members of `$left.x`
    /// and `$right.x`. A superset: table, `let` and parameter names are names too.
    pub names: BTreeSet<&'a str>,
    /// They can read columns they do not name: `*`, `pack_all()`, `column_ifexists()`
    /// (`columnifexists()`), `table()`, a table name pattern, or a call of a function
    /// `is_function` knows (user functions, whose bodies can read anything).
    pub unnamed: bool,
    /// They read something of the row beyond its cells: other rows by position
    /// (`prev()`, `next()`, `row_number()`, `row_*`) or `ingestion_time()`.
    pub row_context: bool,
}

/// What `exprs` (and every expression inside them, subqueries included) can read.
pub fn column_use<'a>(
    exprs: impl IntoIterator<Item = &'a Expr>,
    is_function: impl Fn(&str) -> bool,
) -> ColumnUse<'a> {
    let mut u = ColumnUse::default();
    for e in exprs {
        crate::kql::visit::for_each_expr_in(e, |e| use_of(e, &is_function, &mut u));
    }
    u
}

fn use_of<'a>(e: &'a Expr, is_function: &impl Fn(&str) -> bool, u: &mut ColumnUse<'a>) {
    match e {
        Expr::Name(i) => {
            u.names.insert(&i.name);
        }
        Expr::Member { target, member, .. } if matches!(target.unparen(), Expr::Name(n) if n.name == "$left" || n.name == "$right") =>
        {
            u.names.insert(&member.name);
        }
        Expr::Star(_) | Expr::Wildcard(_) => u.unnamed = true,
        Expr::Call { func, .. } | Expr::MethodCall { func, .. } => {
            let f = func.name.as_str();
            if is_function(f)
                || matches!(
                    f,
                    "pack_all" | "column_ifexists" | "columnifexists" | "table"
                )
            {
                u.unnamed = true;
            }
            if f.starts_with("row_") || matches!(f, "prev" | "next" | "ingestion_time") {
                u.row_context = true;
            }
        }
        _ => {}
    }
}

/// Every expression of a statement, subexpressions included, pre-order.
fn statement_exprs(s: &Statement) -> Vec<&Expr> {
    let mut out = Vec::new();
    let mut v = ExprsOf(&mut out);
    crate::kql::visit::walk_statement(&mut v, s);
    out
}

struct ExprsOf<'o, 'a>(&'o mut Vec<&'a Expr>);

impl<'a> crate::kql::visit::Visitor<'a> for ExprsOf<'_, 'a> {
    fn visit_expr(&mut self, e: &'a Expr) {
        self.0.push(e);
    }
}

/// The columns of `table` that `query` can read, or `None` for all of them.
/// `is_function` tells the names of functions defined outside the query (workspace
/// functions); the query's own `let` and `declare pattern` names count as functions too.
pub fn needed_columns(
    query: &Query,
    table: &str,
    is_function: impl Fn(&str) -> bool,
) -> Option<BTreeSet<String>> {
    let declared: BTreeSet<&str> = query
        .statements
        .iter()
        .filter_map(|s| match s {
            Statement::Let(l) => Some(l.name.name.as_str()),
            Statement::DeclarePattern(p) => Some(p.name.name.as_str()),
            _ => None,
        })
        .collect();
    let is_function = |f: &str| declared.contains(f) || is_function(f);
    // Every expression once (pre-order lists each subexpression too: count only names).
    let mut all: Vec<&Expr> = Vec::new();
    for s in &query.statements {
        all.extend(statement_exprs(s));
    }
    let mut u = ColumnUse::default();
    let mut uses = 0;
    for e in &all {
        use_of(e, &is_function, &mut u);
        if matches!(e, Expr::Name(i) if i.name == table) {
            uses += 1;
        }
    }
    if u.unnamed {
        return None;
    }
    let mut closed = 0;
    for s in &query.statements {
        match s {
            Statement::Query(e) => count_closed(e, table, &mut closed),
            Statement::Let(l) => {
                if let LetValue::Expr(e) = &l.value {
                    count_closed(e, table, &mut closed);
                }
            }
            _ => {}
        }
    }
    if uses == 0 || closed != uses {
        return None;
    }
    let mut set = BTreeSet::new();
    for w in u.names {
        set.insert(w.to_string());
        let base = w.trim_end_matches(|c: char| c.is_ascii_digit());
        if !base.is_empty() {
            set.insert(base.to_string());
        }
    }
    Some(set)
}

/// Counts the pipelines in `e` (and in the right sides of their joins) that start at
/// `table` and close its columns.
fn count_closed(e: &Expr, table: &str, closed: &mut usize) {
    match e {
        Expr::Paren { inner, .. } => count_closed(inner, table, closed),
        Expr::Pipeline(p) => {
            if let Expr::Name(i) = p.source.unparen()
                && i.name == table
                && closes(&p.ops)
            {
                *closed += 1;
            } else {
                count_closed(&p.source, table, closed);
            }
            for op in &p.ops {
                if let Operator::Join { right, .. } | Operator::Lookup { right, .. } = &op.op {
                    count_closed(right, table, closed);
                }
            }
        }
        _ => {}
    }
}

/// Whether the operators reach a column-closing one through row-wise ones only.
fn closes(ops: &[PipeOp]) -> bool {
    for op in ops {
        match op.op {
            Operator::Project { .. }
            | Operator::Summarize { .. }
            | Operator::Count { .. }
            | Operator::Distinct { .. } => return true,
            Operator::Where { .. }
            | Operator::Extend { .. }
            | Operator::Join { .. }
            | Operator::Lookup { .. }
            | Operator::Sort { .. }
            | Operator::Take { .. }
            | Operator::Top { .. } => {}
            _ => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols_with(text: &str, table: &str, functions: &[&str]) -> Option<Vec<String>> {
        let q = crate::kql::parse(text);
        assert!(q.errors.is_empty(), "{text}: {:?}", q.errors);
        needed_columns(&q.query, table, |f| functions.contains(&f)).map(|s| s.into_iter().collect())
    }

    fn cols(text: &str, table: &str) -> Option<Vec<String>> {
        cols_with(text, table, &[])
    }

    fn has(c: &Option<Vec<String>>, name: &str) -> bool {
        c.as_ref().is_some_and(|c| c.iter().any(|x| x == name))
    }

    #[test]
    fn closed_pipelines_read_only_the_names_of_the_query() {
        let q = "A | join kind=inner (B | project SHA1, Signer) on SHA1 | summarize n = count() by Signer";
        let a = cols(q, "A");
        assert!(has(&a, "SHA1") && has(&a, "Signer"), "{a:?}");
        assert!(!has(&a, "DeviceName"));
        assert!(cols(q, "B").is_some());
        let x11 = cols("A | project X11", "A");
        assert!(has(&x11, "X") && has(&x11, "X11"), "{x11:?}");
        let lr = cols(
            "A | join (B | project k2, v) on $left.k1 == $right.k2 | project v",
            "A",
        );
        assert!(has(&lr, "k1") && has(&lr, "k2") && has(&lr, "v"), "{lr:?}");
    }

    /// Where the former word scan of the query text and the tree disagree: words in
    /// strings and comments are no columns, a multiplication is no `*` column, a
    /// bracketed name is a name, and a member of a dynamic column is not a column.
    #[test]
    fn the_tree_not_the_words_decides() {
        let s = cols("A | where Name has \"DeviceName\" | project Name", "A");
        assert_eq!(s, Some(vec!["A".to_string(), "Name".to_string()]));
        let c = cols("A | project Name // pack_all() DeviceName\n", "A");
        assert_eq!(c, Some(vec!["A".to_string(), "Name".to_string()]));
        let m = cols("A | project y = x * 2", "A");
        assert!(has(&m, "x") && !has(&m, "y2"), "{m:?}");
        let b = cols("A | project ['a b'], c", "A");
        assert!(has(&b, "a b") && has(&b, "c"), "{b:?}");
        let d = cols("A | project v = bag.inner", "A");
        assert!(has(&d, "bag") && !has(&d, "inner"), "{d:?}");
    }

    #[test]
    fn anything_else_reads_every_column() {
        for q in [
            "A | where x > 1",
            "A | summarize arg_max(T, *) by K",
            "A | where * has \"x\" | project y",
            "A | project-away x | count",
            "A | extend b = pack_all() | project b",
            "A | where y == column_ifexists(\"z\", 1) | project y",
            "A | where y == columnifexists(\"z\", 1) | project y",
            "let t = A; t | project x",
            "A | project x | union A",
            "A | project x | union (table(\"A\") | project y)",
            "A | project x | union B*",
            "A | join (A) on x | project x",
            "A | mv-expand x | project x",
            "print \"A\" | project A",
            "print x = 1",
            "let f = () { A }; A | project x | union (f() | project y)",
            "let f = (n: long) { n + 1 }; A | project x = f(y)",
            "let m = materialize(A); A | project x | union (m | project y)",
            "A | project x | where x in ((A | where z > 1) | project x)",
        ] {
            assert_eq!(cols(q, "A"), None, "{q}");
        }
        // A workspace function's body can read any table.
        assert_eq!(
            cols_with("A | project x | union (F() | project y)", "A", &["F"]),
            None
        );
        assert!(cols_with("A | project x", "A", &["F"]).is_some());
    }

    #[test]
    fn column_use_flags() {
        let q =
            crate::kql::parse("T | summarize a = count(), b = max(prev(x)), c = dcount(z) by k");
        let Some(Statement::Query(Expr::Pipeline(p))) = q.query.statements.first() else {
            panic!("a pipeline");
        };
        let Operator::Summarize { aggs, by, .. } = &p.ops[0].op else {
            panic!("summarize");
        };
        let u = column_use(aggs.iter().chain(by).map(|n| &n.expr), |f| f == "g");
        assert!(u.row_context && !u.unnamed);
        assert!(u.names.contains("x") && u.names.contains("z") && u.names.contains("k"));
        let e = crate::kql::parse("print g(1) + pack_all()");
        let mut all = Vec::new();
        crate::kql::visit::for_each_expr(&e.query, |e| all.push(e));
        assert!(column_use(all.iter().copied(), |_| false).unnamed);
        let plain = crate::kql::parse("print h(1)");
        let Some(Statement::Query(e)) = plain.query.statements.first() else {
            panic!("a query");
        };
        assert!(!column_use([e], |_| false).unnamed);
        assert!(column_use([e], |f| f == "h").unnamed);
    }
}

//! Projection pushdown for `rulecat query`: which columns of an input table a query can
//! read, so that the reader ([`super::input`]) decodes only those.
//!
//! Conservative by construction: a table gets a column set only when every place the
//! query text names it is the source of a pipeline that runs only `where`, `extend`,
//! `join`, `lookup`, `sort`, `take` and `top` before a `project`, `summarize`, `count`
//! or `distinct` (so no other column can reach the output), counted by comparing the
//! pipelines found with the table's word count in the text. The set is then every word
//! of the query text (identifiers, words inside strings and comments), each also without
//! trailing digits (`SHA11`, the right side's `SHA1` after a `join`, keeps `SHA1`). Any
//! `*`, `['bracketed']` name, `pack_all` or `column_ifexists` in the text, or any other
//! use of the table, and the table is read whole.

use std::collections::BTreeSet;

use crate::kql::ast::*;

/// The columns of `table` that `query` (whose text is `text`) can read, or `None` for
/// all of them.
pub fn needed_columns(query: &Query, text: &str, table: &str) -> Option<BTreeSet<String>> {
    if text.contains('*') || text.contains("['") || text.contains("[\"") {
        return None;
    }
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    if words
        .iter()
        .any(|w| matches!(*w, "pack_all" | "column_ifexists" | "columnifexists"))
    {
        return None;
    }
    let uses = words.iter().filter(|w| **w == table).count();
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
    for w in words {
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

    fn cols(text: &str, table: &str) -> Option<Vec<String>> {
        let q = crate::kql::parse(text);
        needed_columns(&q.query, text, table).map(|s| s.into_iter().collect())
    }

    #[test]
    fn closed_pipelines_read_only_the_words_of_the_query() {
        let q = "A | join kind=inner (B | project SHA1, Signer) on SHA1 | summarize n = count() by Signer";
        let a = cols(q, "A").expect("A closes");
        assert!(a.contains(&"SHA1".to_string()) && a.contains(&"Signer".to_string()));
        assert!(!a.contains(&"DeviceName".to_string()));
        assert!(cols(q, "B").is_some());
        assert_eq!(
            cols("A | project X11", "A").map(|c| c.contains(&"X".to_string())),
            Some(true)
        );
    }

    #[test]
    fn anything_else_reads_every_column() {
        for q in [
            "A | where x > 1",
            "A | summarize arg_max(T, *) by K",
            "A | project-away x | count",
            "A | extend b = pack_all() | project b",
            "A | project ['a b']",
            "let t = A; t | project x",
            "A | project x | union A",
            "A | join (A) on x | project x",
            "A | where y == column_ifexists(\"z\", 1) | project y",
            "A | mv-expand x | project x",
            "print \"A\" | project A",
        ] {
            assert_eq!(cols(q, "A"), None, "{q}");
        }
    }
}

//! `union`, `join` and `lookup`, and the table references they (and
//! `search in`/`find in`) take.

use super::*;

impl<'a> Parser<'a> {
    /// `union [params] T1, T2, ...` after the keyword.
    pub(super) fn union_op(&mut self) -> PResult<Operator> {
        let params = self.op_params(&["kind", "withsource", "isfuzzy"])?;
        let mut tables = vec![self.table_ref("a table after `union`")?];
        while self.eat(K::Comma).is_some() {
            tables.push(self.table_ref("a table after `,`")?);
        }
        Ok(Operator::Union { params, tables })
    }

    /// `join`/`lookup` (`name`) `[kind=...] Right on Keys` after the keyword.
    pub(super) fn join_op(&mut self, name: &str) -> PResult<Operator> {
        let params = self.op_params(&["kind"])?;
        let right = self.table_ref(&format!("a table or `(subquery)` after `{name}`"))?;
        // Kusto accepts `join` without `on` (not `lookup`).
        let mut on = Vec::new();
        if name == "lookup" || self.at_word("on") {
            self.expect_word(
                "on",
                &format!("`on` and join keys after the `{name}` table"),
            )?;
            on.push(self.expr_required("a join condition after `on`")?);
            while self.eat(K::Comma).is_some() {
                on.push(self.expr_required("a join condition after `,`")?);
            }
        }
        Ok(if name == "join" {
            Operator::Join { params, right, on }
        } else {
            Operator::Lookup { params, right, on }
        })
    }

    /// A table in `union`/`join`/`lookup`/`search in`/`find in`: a name, a
    /// wildcard pattern, a call such as `table('x')`, or `(subquery)`.
    pub(super) fn table_ref(&mut self, what: &str) -> PResult<Expr> {
        let t = self.tok();
        let n = self.nth(1);
        let wildcard = t.kind == K::Star
            || (t.kind == K::Ident && n.kind == K::Star && n.span.start == t.span.end);
        if wildcard {
            return Ok(Expr::Wildcard(self.name_pattern(what)?));
        }
        if !self.can_start_expr() || t.kind == K::Minus || t.kind == K::Plus {
            return self.expected(what);
        }
        self.postfix()
    }

    /// Optional `in (T1, T2, ...)` of `search`/`find`.
    pub(super) fn opt_in_tables(&mut self) -> PResult<Vec<Expr>> {
        if !(self.at_word("in") && self.nth(1).kind == K::LParen) {
            return Ok(Vec::new());
        }
        self.bump();
        let open = self.bump();
        let mut tables = vec![self.table_ref("a table name")?];
        while self.eat(K::Comma).is_some() {
            tables.push(self.table_ref("a table name after `,`")?);
        }
        self.expect_close(open)?;
        Ok(tables)
    }
}

//! Pipelines: `source | op | op`, operators that start a query, hyphenated
//! operator names and `( ops )` subqueries.

use super::*;

impl<'a> Parser<'a> {
    /// A tabular or scalar expression, optionally followed by `| operators`.
    pub(super) fn pipe_expr(&mut self, ctx: Ctx) -> PResult<Expr> {
        let start = self.tok().span;
        let source = if self.at_source_operator() {
            Expr::TabularOp(Box::new(self.operator(None)?))
        } else {
            if !self.can_start_expr() {
                return self.expected("a query or expression");
            }
            self.expr()?
        };
        let mut ops = Vec::new();
        loop {
            if self.at(K::Pipe) {
                let pipe = self.bump();
                let op_start = self.pos;
                let kw = self.tok();
                match self.operator(Some(pipe.span)) {
                    Ok(op) => ops.push(op),
                    Err(()) => {
                        self.recover(op_start, true, ctx);
                        ops.push(PipeOp {
                            pipe_span: Some(pipe.span),
                            name: if kw.kind == K::Ident {
                                self.text(kw).to_string()
                            } else {
                                String::new()
                            },
                            keyword_span: kw.span,
                            op: Operator::Error,
                            span: self.span_from(kw.span),
                        });
                    }
                }
                continue;
            }
            if ctx == Ctx::Nested {
                break;
            }
            match self.kind() {
                K::Semi | K::Eof => break,
                K::RBrace if ctx == Ctx::Body => break,
                _ => {
                    self.unexpected_after("`|` or `;`");
                    let p = self.pos;
                    self.recover(p, true, ctx);
                    if !self.at(K::Pipe) {
                        break;
                    }
                }
            }
        }
        if ops.is_empty() {
            return Ok(source);
        }
        Ok(Expr::Pipeline(Box::new(Pipeline {
            source,
            ops,
            span: self.span_from(start),
        })))
    }

    /// Operators that can start a query (`print x`, `union A, B`, `where x`...).
    pub(super) fn at_source_operator(&self) -> bool {
        let t = self.tok();
        if t.kind != K::Ident {
            return false;
        }
        let n = self.nth(1);
        match self.text(t) {
            "print" | "union" | "search" | "find" => {
                !matches!(
                    n.kind,
                    K::Eq
                        | K::EqEq
                        | K::BangEq
                        | K::Dot
                        | K::Comma
                        | K::RParen
                        | K::RBracket
                        | K::Lt
                        | K::Gt
                        | K::Le
                        | K::Ge
                        | K::EqTilde
                        | K::BangTilde
                ) && !(n.kind == K::Ident
                    && is_operator_word(self.text(n))
                    && !(self.text(n) == "in" && self.nth(2).kind == K::LParen))
            }
            "range" => n.kind == K::Ident && !is_operator_word(self.text(n)),
            _ => {
                let (span, ntoks) = self.op_name_span();
                let name = span.text(self.src);
                if !SOURCELESS_OPS.contains(&name) {
                    return false;
                }
                if ntoks > 1 || is_reserved_word(name) {
                    return true;
                }
                // A keyword that can also be a name (`render`, `serialize`...):
                // an operator only when a word or the end of the query follows.
                let n = self.nth(1);
                match n.kind {
                    K::Eof | K::Pipe | K::Semi => true,
                    K::Ident => !is_operator_word(self.text(n)),
                    _ => false,
                }
            }
        }
    }

    /// The operator name at the current token, hyphenated names such as
    /// `project-away` composed (no spaces around the `-`): its span and tokens.
    pub(super) fn op_name_span(&self) -> (Span, usize) {
        let kw = self.tok();
        let mut end = kw.span.end;
        let mut ntoks = 1;
        // The longest complete name seen (a prefix alone is no name).
        let mut found = (end, ntoks);
        loop {
            let (m, w) = (self.nth(ntoks), self.nth(ntoks + 1));
            if m.kind == K::Minus
                && m.span.start == end
                && w.kind == K::Ident
                && w.span.start == m.span.end
            {
                let cand = Span::new(kw.span.start, w.span.end).text(self.src);
                if KNOWN_OPS.contains(&cand) || UNSUPPORTED_OPS.contains(&cand) {
                    end = w.span.end;
                    ntoks += 2;
                    found = (end, ntoks);
                    continue;
                }
                // A prefix of a longer name (`graph-to` of `graph-to-table`).
                let prefix = |o: &&str| {
                    o.len() > cand.len() + 1
                        && o.starts_with(cand)
                        && o.as_bytes()[cand.len()] == b'-'
                };
                if KNOWN_OPS.iter().any(prefix) || UNSUPPORTED_OPS.iter().any(prefix) {
                    end = w.span.end;
                    ntoks += 2;
                    continue;
                }
            }
            break;
        }
        let (end, ntoks) = found;
        (Span::new(kw.span.start, end), ntoks)
    }

    /// Operators separated by `|`, the first one without a `|` (as in
    /// `mv-apply ... on (top 1 by x)`), up to (not including) a `)`.
    pub(super) fn op_seq(&mut self) -> PResult<Vec<PipeOp>> {
        let mut ops = Vec::new();
        let mut pipe = None;
        loop {
            let op_start = self.pos;
            let kw = self.tok();
            match self.operator(pipe) {
                Ok(op) => ops.push(op),
                Err(()) => {
                    if self.too_deep {
                        return Err(());
                    }
                    self.recover(op_start, true, Ctx::Nested);
                    ops.push(PipeOp {
                        pipe_span: pipe,
                        name: self.text(kw).to_string(),
                        keyword_span: kw.span,
                        op: Operator::Error,
                        span: self.span_from(kw.span),
                    });
                }
            }
            match self.eat(K::Pipe) {
                Some(p) => pipe = Some(p.span),
                None => break,
            }
        }
        Ok(ops)
    }

    /// `( ops )` with depth accounting.
    pub(super) fn paren_op_seq(&mut self, what: &str) -> PResult<(Vec<PipeOp>, Span)> {
        let open = self.expect(K::LParen, what)?;
        self.enter()?;
        let r = self.op_seq();
        let r = r.and_then(|ops| self.expect_close(open).map(|_| ops));
        self.leave();
        let ops = r?;
        Ok((ops, self.span_from(open.span)))
    }
}

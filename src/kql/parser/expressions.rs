//! Scalar expressions: precedence climbing over the binary operators,
//! unary signs, postfix member/index/call chains, primaries and named
//! expressions (`Name = expr`, `(A, B) = expr`).

use super::*;

#[derive(Clone, Copy, Debug)]
enum BinTok {
    Logical(LogicalOp),
    Bin(BinOp),
    Str(StrOp),
    List(ListOp),
    Between(bool),
}

// Kusto's levels: `==`/`!=`/`in`/`has_any`/`between` < string operators
// (`=~`, `has`, `contains`, `matches regex`, `:`...) < `<`/`>=`... < `+` < `*`.
// The three comparison levels are non-associative: `a == b == c` and
// `a has b has c` are errors, `a has b == c` is `(a has b) == c`.
const PREC_OR: u8 = 1;
const PREC_AND: u8 = 2;
const PREC_EQ: u8 = 3;
const PREC_STR: u8 = 4;
const PREC_REL: u8 = 5;
const PREC_ADD: u8 = 6;
const PREC_MUL: u8 = 7;

impl<'a> Parser<'a> {
    /// `expr`, `Name = expr`, `(A, B) = expr`
    pub(super) fn named_expr(&mut self, what: &str) -> PResult<NamedExpr> {
        let start = self.tok().span;
        let mut names = Vec::new();
        let t = self.tok();
        if t.kind == K::Ident && self.nth(1).kind == K::Eq {
            let w = self.text(t);
            if (is_reserved_word(w) && !is_declarable_keyword(w))
                || matches!(w, "kind" | "withsource" | "with_source")
            {
                let msg = format!(
                    "the name `{w}` is a keyword: write it as `['{w}']` to use it as a name"
                );
                self.error(t.span, msg);
                return Err(());
            }
            names.push(self.name(what)?);
            self.bump();
        } else if t.kind == K::LBracket
            && self.nth(1).kind == K::String
            && self.nth(2).kind == K::RBracket
            && self.nth(3).kind == K::Eq
        {
            names.push(self.bracket_name()?);
            self.bump();
        } else if t.kind == K::LParen && self.is_tuple_target() {
            self.bump();
            loop {
                names.push(self.name("a column name")?);
                if self.eat(K::Comma).is_none() {
                    break;
                }
            }
            self.bump(); // `)`
            self.bump(); // `=`
        }
        if !self.can_start_expr() {
            if names.is_empty() {
                return self.expected(what);
            }
            return self.expected("an expression after `=`");
        }
        let expr = self.expr()?;
        Ok(NamedExpr {
            names,
            expr,
            span: self.span_from(start),
        })
    }

    /// At `(`: is this `(A, B, ...) =`?
    pub(super) fn is_tuple_target(&self) -> bool {
        let mut k = 1;
        loop {
            if self.nth(k).kind != K::Ident {
                return false;
            }
            k += 1;
            match self.nth(k).kind {
                K::Comma => k += 1,
                K::RParen => return self.nth(k + 1).kind == K::Eq,
                _ => return false,
            }
            if k > 64 {
                return false;
            }
        }
    }

    pub(super) fn named_list(&mut self, what: &str) -> PResult<Vec<NamedExpr>> {
        let mut out = vec![self.named_expr(what)?];
        while self.eat(K::Comma).is_some() {
            out.push(self.named_expr("an expression after `,`")?);
        }
        Ok(out)
    }

    pub(super) fn can_start_expr(&self) -> bool {
        match self.kind() {
            K::Ident => !is_reserved_word(self.text(self.tok())) || self.at_keyword_form(),
            K::Number
            | K::NumberWithSuffix
            | K::String
            | K::UnterminatedString
            | K::LParen
            | K::Star
            | K::Minus
            | K::Plus => true,
            K::LBracket => self.nth(1).kind == K::String,
            _ => false,
        }
    }

    /// At a reserved word that is used correctly: a typed literal
    /// (`datetime(`...), or a callable keyword (`dynamic(`, `toscalar(`...).
    pub(super) fn at_keyword_form(&self) -> bool {
        let t = self.tok();
        let w = self.text(t);
        let n = self.nth(1);
        (lexer::is_raw_literal_word(w) && n.kind == K::LParen && n.span.start == t.span.end)
            || (is_callable_keyword(w) && n.kind == K::LParen)
    }

    /// At `*`: is it followed by a comparison (`* has "x"`, `* == 1`)?
    pub(super) fn star_operand_ok(&self) -> bool {
        let n = self.nth(1);
        match n.kind {
            K::EqEq
            | K::BangEq
            | K::LtGt
            | K::EqTilde
            | K::BangTilde
            | K::Lt
            | K::Le
            | K::Gt
            | K::Ge
            | K::Colon => true,
            K::Ident => {
                let w = self.text(n);
                is_operator_word(w) && !matches!(w, "and" | "or")
            }
            K::Bang => self.nth(2).kind == K::Ident && self.nth(2).span.start == n.span.end,
            _ => false,
        }
    }

    /// Whether `t` (the token after an operand) would continue an expression.
    pub(super) fn continues_expr(&self, t: Token) -> bool {
        match t.kind {
            K::Dot
            | K::LBracket
            | K::EqEq
            | K::BangEq
            | K::LtGt
            | K::EqTilde
            | K::BangTilde
            | K::Lt
            | K::Le
            | K::Gt
            | K::Ge
            | K::Plus
            | K::Minus
            | K::Star
            | K::Slash
            | K::Percent
            | K::Colon => true,
            K::Ident => is_operator_word(self.text(t)),
            _ => false,
        }
    }

    /// Could the current token start a statement (so a `;` or `|` is missing)?
    pub(super) fn can_start_statement(&self) -> bool {
        self.can_start_expr()
            || self.at_source_operator()
            || self.at_word("let")
            || self.at_word("set")
            || self.at_word("declare")
    }

    pub(super) fn expr_required(&mut self, what: &str) -> PResult<Expr> {
        if !self.can_start_expr() {
            return self.expected(what);
        }
        self.expr()
    }

    pub(crate) fn expr(&mut self) -> PResult<Expr> {
        self.binary(0)
    }

    /// The binary operator at the current position, its precedence and token count.
    fn peek_binop(&self) -> Option<(BinTok, u8, usize)> {
        let t = self.tok();
        Some(match t.kind {
            K::EqEq => (BinTok::Bin(BinOp::Eq), PREC_EQ, 1),
            K::BangEq | K::LtGt => (BinTok::Bin(BinOp::Ne), PREC_EQ, 1),
            K::EqTilde | K::BangTilde => (
                BinTok::Str(StrOp {
                    kind: StrOpKind::Equals,
                    negated: t.kind == K::BangTilde,
                    case_sensitive: false,
                }),
                PREC_STR,
                1,
            ),
            K::Lt => (BinTok::Bin(BinOp::Lt), PREC_REL, 1),
            K::Le => (BinTok::Bin(BinOp::Le), PREC_REL, 1),
            K::Gt => (BinTok::Bin(BinOp::Gt), PREC_REL, 1),
            K::Ge => (BinTok::Bin(BinOp::Ge), PREC_REL, 1),
            K::Plus => (BinTok::Bin(BinOp::Add), PREC_ADD, 1),
            K::Minus => (BinTok::Bin(BinOp::Sub), PREC_ADD, 1),
            K::Star => (BinTok::Bin(BinOp::Mul), PREC_MUL, 1),
            K::Slash => (BinTok::Bin(BinOp::Div), PREC_MUL, 1),
            K::Percent => (BinTok::Bin(BinOp::Mod), PREC_MUL, 1),
            // `search Col:"x"` (also accepted by Kusto elsewhere): `has`.
            K::Colon => (
                BinTok::Str(StrOp {
                    kind: StrOpKind::Has,
                    negated: false,
                    case_sensitive: false,
                }),
                PREC_STR,
                1,
            ),
            K::Ident => {
                let w = self.text(t);
                match w {
                    "or" => (BinTok::Logical(LogicalOp::Or), PREC_OR, 1),
                    "and" => (BinTok::Logical(LogicalOp::And), PREC_AND, 1),
                    "in" => {
                        let n = self.nth(1);
                        if n.kind == K::Tilde && n.span.start == t.span.end {
                            (BinTok::List(ListOp::InCi), PREC_EQ, 2)
                        } else if self.is_word(n, "range") {
                            // `make-series ... on T in range(a, b, c)`
                            return None;
                        } else {
                            (BinTok::List(ListOp::In), PREC_EQ, 1)
                        }
                    }
                    "has_any" => (BinTok::List(ListOp::HasAny), PREC_EQ, 1),
                    "has_all" => (BinTok::List(ListOp::HasAll), PREC_EQ, 1),
                    "between" => (BinTok::Between(false), PREC_EQ, 1),
                    "matches" if self.is_word(self.nth(1), "regex") => (
                        BinTok::Str(StrOp {
                            kind: StrOpKind::MatchesRegex,
                            negated: false,
                            case_sensitive: true,
                        }),
                        PREC_STR,
                        2,
                    ),
                    _ => (BinTok::Str(str_op_word(w)?), PREC_STR, 1),
                }
            }
            K::Bang => {
                let n = self.nth(1);
                if n.kind != K::Ident || n.span.start != t.span.end {
                    return None;
                }
                let w = self.text(n);
                match w {
                    "in" => {
                        let n2 = self.nth(2);
                        if n2.kind == K::Tilde && n2.span.start == n.span.end {
                            (BinTok::List(ListOp::NotInCi), PREC_EQ, 3)
                        } else {
                            (BinTok::List(ListOp::NotIn), PREC_EQ, 2)
                        }
                    }
                    "between" => (BinTok::Between(true), PREC_EQ, 2),
                    _ if STR_NEGATABLE.contains(&w) => {
                        let mut op = str_op_word(w)?;
                        op.negated = true;
                        (BinTok::Str(op), PREC_STR, 2)
                    }
                    _ => return None,
                }
            }
            _ => return None,
        })
    }

    pub(super) fn binary(&mut self, min_prec: u8) -> PResult<Expr> {
        let lhs = self.unary()?;
        let mut wraps = 0u32;
        let r = self.binary_loop(lhs, min_prec, &mut wraps);
        self.depth = self.depth.saturating_sub(wraps);
        r
    }

    pub(super) fn binary_loop(
        &mut self,
        mut lhs: Expr,
        min_prec: u8,
        wraps: &mut u32,
    ) -> PResult<Expr> {
        // Operators at or above `ceiling` may not follow (non-associative levels).
        let mut ceiling = u8::MAX;
        loop {
            let Some((bt, prec, ntoks)) = self.peek_binop() else {
                return Ok(lhs);
            };
            if prec < min_prec || prec >= ceiling {
                return Ok(lhs);
            }
            if (PREC_EQ..=PREC_REL).contains(&prec) {
                ceiling = prec;
            }
            let first = self.tok();
            for _ in 1..ntoks {
                self.bump();
            }
            let last = self.bump();
            let op_span = Span::new(first.span.start, last.span.end);
            let op_text = op_span.text(self.src);
            self.enter()?;
            *wraps += 1;
            let start = lhs.span();
            lhs = match bt {
                BinTok::Logical(op) => {
                    let mut operands = vec![lhs];
                    operands.push(self.operand_after(prec + 1, op_text)?);
                    while let Some((BinTok::Logical(o2), _, _)) = self.peek_binop() {
                        if o2 != op {
                            break;
                        }
                        let t = self.bump();
                        let w = self.text(t);
                        operands.push(self.operand_after(prec + 1, w)?);
                    }
                    Expr::Logical {
                        op,
                        operands,
                        span: self.span_from(start),
                    }
                }
                BinTok::Bin(op) => {
                    let rhs = self.operand_after(prec + 1, op_text)?;
                    Expr::Binary {
                        op,
                        op_span,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                        span: self.span_from(start),
                    }
                }
                BinTok::Str(op) => {
                    let rhs = self.operand_after(prec + 1, op_text)?;
                    Expr::StringOp {
                        op,
                        op_span,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                        span: self.span_from(start),
                    }
                }
                BinTok::List(op) => {
                    let (list, list_span) = self.paren_list(op_text)?;
                    Expr::In {
                        op,
                        op_span,
                        lhs: Box::new(lhs),
                        list,
                        list_span,
                        span: self.span_from(start),
                    }
                }
                BinTok::Between(negated) => {
                    let open = self.expect(K::LParen, &format!("`(` after `{op_text}`"))?;
                    let low = self.expr_required("a lower bound in `between (low .. high)`")?;
                    self.expect(K::DotDot, "`..` between the bounds of `between`")?;
                    let high = self.expr_required("an upper bound after `..`")?;
                    self.expect_close(open)?;
                    Expr::Between {
                        negated,
                        op_span,
                        lhs: Box::new(lhs),
                        low: Box::new(low),
                        high: Box::new(high),
                        span: self.span_from(start),
                    }
                }
            };
        }
    }

    pub(super) fn operand_after(&mut self, prec: u8, op_text: &str) -> PResult<Expr> {
        if !self.can_start_expr() {
            return self.expected(&format!("an expression after `{op_text}`"));
        }
        self.binary(prec)
    }

    /// `( a, b, ... )` after `in`/`has_any`/...: elements may be subqueries.
    pub(super) fn paren_list(&mut self, op_text: &str) -> PResult<(Vec<Expr>, Span)> {
        let open = self.expect(K::LParen, &format!("`(` and a list after `{op_text}`"))?;
        self.enter()?;
        let r = self.paren_list_inner(open, op_text);
        self.leave();
        let list = r?;
        Ok((list, self.span_from(open.span)))
    }

    pub(super) fn paren_list_inner(&mut self, open: Token, op_text: &str) -> PResult<Vec<Expr>> {
        let mut list = Vec::new();
        if self.at(K::RParen) {
            return self.expected(&format!("a value in the `{op_text}` list"));
        }
        loop {
            // Only the first element may be a subquery (`x in (T | project y)`).
            let first = list.is_empty();
            if !(self.can_start_expr() || (first && self.at_source_operator())) {
                return self.expected("a value in the list");
            }
            list.push(if first {
                self.pipe_expr(Ctx::Nested)?
            } else {
                self.expr()?
            });
            if self.eat(K::Comma).is_none() {
                break;
            }
        }
        self.expect_close(open)?;
        Ok(list)
    }

    pub(super) fn unary(&mut self) -> PResult<Expr> {
        match self.kind() {
            K::Minus | K::Plus => {
                let t = self.bump();
                let op = if t.kind == K::Minus {
                    UnaryOp::Neg
                } else {
                    UnaryOp::Plus
                };
                self.enter()?;
                // Kusto does not stack signs: `- -x` is an error (`T - -x` is fine).
                let r = if self.can_start_expr() && !matches!(self.kind(), K::Minus | K::Plus) {
                    self.postfix()
                } else {
                    let s = self.text(t);
                    self.expected(&format!("an expression after `{s}`"))
                };
                self.leave();
                let operand = r?;
                Ok(Expr::Unary {
                    op,
                    op_span: t.span,
                    span: self.span_from(t.span),
                    operand: Box::new(operand),
                })
            }
            _ => self.postfix(),
        }
    }

    pub(super) fn postfix(&mut self) -> PResult<Expr> {
        let e = self.primary()?;
        let mut wraps = 0u32;
        let r = self.postfix_loop(e, &mut wraps);
        self.depth = self.depth.saturating_sub(wraps);
        r
    }

    pub(super) fn postfix_loop(&mut self, mut e: Expr, wraps: &mut u32) -> PResult<Expr> {
        loop {
            let start = e.span();
            match self.kind() {
                K::Dot => {
                    let n = self.nth(1);
                    let member = match n.kind {
                        K::Ident => {
                            self.bump();
                            self.bump();
                            Ident {
                                name: self.text(n).to_string(),
                                span: n.span,
                            }
                        }
                        K::LBracket
                            if self.nth(2).kind == K::String && self.nth(3).kind == K::RBracket =>
                        {
                            self.bump();
                            self.bump_bracket_name()?
                        }
                        // `x.[0]`, `x.['a' + b]`: Kusto reads `.[expr]` as `[expr]`.
                        K::LBracket => {
                            self.bump();
                            continue;
                        }
                        _ => {
                            self.bump();
                            return self.expected("a member name after `.`");
                        }
                    };
                    self.enter()?;
                    *wraps += 1;
                    if self.at(K::LParen) {
                        let args = self.call_args(false)?;
                        e = Expr::MethodCall {
                            target: Box::new(e),
                            func: member,
                            args,
                            span: self.span_from(start),
                        };
                    } else {
                        e = Expr::Member {
                            target: Box::new(e),
                            member,
                            span: self.span_from(start),
                        };
                    }
                }
                K::LBracket => {
                    let open = self.bump();
                    self.enter()?;
                    *wraps += 1;
                    let index = self.expr_required("an index expression inside `[ ]`")?;
                    self.expect_close(open)?;
                    e = Expr::Index {
                        target: Box::new(e),
                        index: Box::new(index),
                        span: self.span_from(start),
                    };
                }
                K::LParen if matches!(e, Expr::Name(_)) => {
                    let Expr::Name(func) = e else {
                        return Err(());
                    };
                    self.enter()?;
                    *wraps += 1;
                    let needs_arg =
                        matches!(func.name.as_str(), "toscalar" | "totable" | "materialize");
                    let args = self.call_args(needs_arg)?;
                    e = Expr::Call {
                        func,
                        args,
                        span: self.span_from(start),
                    };
                }
                _ => return Ok(e),
            }
        }
    }

    pub(super) fn bump_bracket_name(&mut self) -> PResult<Ident> {
        self.bracket_name()
    }

    /// `( args )`; `needs_arg` for `toscalar(...)` and the like. A named
    /// argument `name = value` keeps only its value.
    pub(super) fn call_args(&mut self, needs_arg: bool) -> PResult<Vec<Expr>> {
        let open = self.bump();
        let mut args = Vec::new();
        if !needs_arg && self.eat(K::RParen).is_some() {
            return Ok(args);
        }
        loop {
            if self.at(K::Star) && matches!(self.nth(1).kind, K::Comma | K::RParen) {
                // `count(*)`, `arg_max(T, *)`
                args.push(Expr::Star(self.bump().span));
                if self.eat(K::Comma).is_none() {
                    break;
                }
                continue;
            }
            let sub = needs_arg && args.is_empty();
            let what = if args.is_empty() {
                "an argument or `)`"
            } else {
                "an argument after `,`"
            };
            // Only `toscalar(...)` and the like take a subquery; any other
            // argument may be named: `f(x, name = value)`, `f((a, b) = g())`.
            if sub {
                if !(self.can_start_expr() || self.at_source_operator()) {
                    return self.expected(what);
                }
                args.push(self.pipe_expr(Ctx::Nested)?);
            } else {
                args.push(self.named_expr(what)?.expr);
            }
            if self.eat(K::Comma).is_none() {
                break;
            }
        }
        self.expect_close(open)?;
        Ok(args)
    }

    pub(super) fn primary(&mut self) -> PResult<Expr> {
        let t = self.tok();
        match t.kind {
            K::Number => {
                self.bump();
                let text = self.text(t);
                let value = match literal::decode_number(text) {
                    Ok(Ok(i)) => LitValue::Long(i),
                    Ok(Err(f)) => LitValue::Real(f),
                    Err(m) => {
                        self.pos -= 1;
                        self.error(t.span, m);
                        self.pos += 1;
                        return Ok(Expr::Error(t.span));
                    }
                };
                Ok(Expr::Literal(Literal {
                    value,
                    span: t.span,
                }))
            }
            K::NumberWithSuffix => {
                self.bump();
                match literal::decode_timespan_token(self.text(t)) {
                    Ok(ticks) => Ok(Expr::Literal(Literal {
                        value: LitValue::Timespan(ticks),
                        span: t.span,
                    })),
                    Err(m) => {
                        self.pos -= 1;
                        self.error(t.span, m);
                        self.pos += 1;
                        Ok(Expr::Error(t.span))
                    }
                }
            }
            K::String | K::UnterminatedString => Ok(self.string_literal()),
            K::Ident => {
                let w = self.text(t);
                let n = self.nth(1);
                if n.kind == K::LParen {
                    if w == "typeof" {
                        return self.typeof_literal();
                    }
                    if lexer::is_raw_literal_word(w) && n.span.start == t.span.end {
                        return self.typed_literal();
                    }
                    match w {
                        "dynamic" => return self.dynamic_literal(),
                        "datatable" => return self.datatable(),
                        "externaldata" | "external_data" => return self.externaldata(),
                        _ => {}
                    }
                }
                if is_reserved_word(w) && !self.at_keyword_form() {
                    return self.expected("an expression");
                }
                self.bump();
                match w {
                    "true" | "false" | "True" | "False" | "TRUE" | "FALSE" => {
                        Ok(Expr::Literal(Literal {
                            value: LitValue::Bool(w.eq_ignore_ascii_case("true")),
                            span: t.span,
                        }))
                    }
                    _ => Ok(Expr::Name(Ident {
                        name: w.to_string(),
                        span: t.span,
                    })),
                }
            }
            K::LBracket if self.nth(1).kind == K::String => Ok(Expr::Name(self.bracket_name()?)),
            K::LParen => {
                let open = self.bump();
                self.enter()?;
                let r = self.paren_inner(open);
                self.leave();
                r
            }
            // `*` is an operand only before a comparison (`where * has "x"`);
            // a whole call argument `f(*)` is handled by `call_args`.
            K::Star if self.star_operand_ok() => {
                self.bump();
                Ok(Expr::Star(t.span))
            }
            _ => self.expected("an expression"),
        }
    }

    pub(super) fn paren_inner(&mut self, open: Token) -> PResult<Expr> {
        if !self.can_start_expr() && !self.at_source_operator() {
            return self.expected("an expression or subquery inside `( )`");
        }
        let inner = self.pipe_expr(Ctx::Nested)?;
        self.expect_close(open)?;
        Ok(Expr::Paren {
            inner: Box::new(inner),
            span: self.span_from(open.span),
        })
    }
}

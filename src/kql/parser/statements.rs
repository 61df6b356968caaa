//! Statements: the query's `;`-separated list, `let` (scalars, tabular
//! values, functions and their parameters), `set`, `declare query_parameters`.

use super::*;

impl<'a> Parser<'a> {
    pub(super) fn query(&mut self) -> Query {
        let statements = self.statements(Ctx::Top);
        let end = self.toks.last().map_or(0, |t| t.span.end);
        Query {
            statements,
            span: Span::new(0, end),
        }
    }

    pub(super) fn statements(&mut self, ctx: Ctx) -> Vec<Statement> {
        let mut out = Vec::new();
        loop {
            // Kusto rejects empty statements: `;` alone, `;;`.
            while self.at(K::Semi) {
                let t = self.bump();
                self.pos -= 1;
                self.error(t.span, "unexpected `;`: no statement before it");
                self.pos += 1;
            }
            match self.kind() {
                K::Eof => break,
                K::RBrace if ctx == Ctx::Body => break,
                _ => {}
            }
            let start = self.pos;
            let start_span = self.tok().span;
            let st = match self.statement(ctx) {
                Ok(s) => s,
                Err(()) => {
                    self.recover(start, false, ctx);
                    Statement::Error(self.span_from(start_span))
                }
            };
            let is_query = matches!(st, Statement::Query(_));
            out.push(st);
            match self.kind() {
                K::Semi => {
                    self.bump();
                    if ctx == Ctx::Body && is_query {
                        // A function body ends with its one query: `}` must follow.
                        break;
                    }
                }
                K::Eof => break,
                K::RBrace if ctx == Ctx::Body => break,
                _ => {
                    let what = if ctx == Ctx::Body {
                        "`;` or `}` after the statement"
                    } else {
                        "`;` or `|` after the statement"
                    };
                    self.unexpected_after(what);
                    let p = self.pos;
                    self.recover(p, false, ctx);
                    if self.at(K::Semi) {
                        // the `;` that ends the broken statement
                        self.bump();
                    } else if self.pos == p {
                        // Could not move (unmatched `}` at top level etc.): skip one token.
                        if self.at(K::Eof) || (ctx == Ctx::Body && self.at(K::RBrace)) {
                            break;
                        }
                        self.bump();
                    }
                }
            }
        }
        out
    }

    pub(super) fn statement(&mut self, ctx: Ctx) -> PResult<Statement> {
        if !self.can_start_statement() && !matches!(self.kind(), K::Unknown | K::UnterminatedString)
        {
            // `T; | take 1`: Kusto reports the stray token itself.
            let t = self.tok();
            let msg = format!(
                "unexpected {}: expected a query or statement",
                self.describe(t)
            );
            self.error(t.span, msg);
            return Err(());
        }
        let n1 = self.nth(1);
        if self.at_word("let") && matches!(n1.kind, K::Ident | K::LBracket) {
            return self.let_stmt(ctx);
        }
        if self.at_word("set") && n1.kind == K::Ident {
            return self.set_stmt();
        }
        if self.at_word("declare") && self.is_word(n1, "query_parameters") {
            return self.declare_stmt();
        }
        if self.at_word("declare") && self.is_word(n1, "pattern") {
            return self.pattern_stmt();
        }
        let e = self.pipe_expr(ctx)?;
        Ok(Statement::Query(e))
    }

    pub(super) fn let_stmt(&mut self, ctx: Ctx) -> PResult<Statement> {
        let kw = self.bump();
        let t = self.tok();
        if t.kind == K::Ident && is_reserved_word(self.text(t)) {
            let w = self.text(t);
            let msg = format!("`{w}` is a keyword: write `let ['{w}'] = ...` to use it as a name");
            self.error(t.span, msg);
            return Err(());
        }
        let name = self.name("a name after `let`")?;
        self.expect(K::Eq, "`=` after the `let` name")?;
        let value = if self.at_word("view") && self.nth(1).kind == K::LParen {
            let v = self.bump();
            LetValue::Function(self.function_def(Some(v.span))?)
        } else if self.at(K::LParen) && self.looks_like_lambda() {
            LetValue::Function(self.function_def(None)?)
        } else if self.at_word("materialize") && self.nth(1).kind == K::LParen {
            // Only allowed as the whole value of a `let`, with nothing piped after it.
            let t = self.bump();
            self.enter()?;
            let r = self.call_args(true);
            self.leave();
            let args = r?;
            LetValue::Expr(Expr::Call {
                func: Ident {
                    name: "materialize".into(),
                    span: t.span,
                },
                args,
                span: self.span_from(t.span),
            })
        } else {
            if !self.can_start_expr() && !self.at_source_operator() {
                return self.expected("an expression after `=`");
            }
            LetValue::Expr(self.pipe_expr(ctx)?)
        };
        Ok(Statement::Let(LetStmt {
            name,
            value,
            span: self.span_from(kw.span),
        }))
    }

    pub(super) fn looks_like_lambda(&self) -> bool {
        let (a, b, c) = (self.nth(1), self.nth(2), self.nth(3));
        (a.kind == K::RParen && b.kind == K::LBrace)
            || (a.kind == K::Ident && b.kind == K::Colon)
            || (a.kind == K::LBracket && c.kind == K::RBracket && self.nth(4).kind == K::Colon)
    }

    pub(super) fn function_def(&mut self, view: Option<Span>) -> PResult<FunctionDef> {
        let open = self.expect(K::LParen, "`(` to start the parameter list")?;
        let start = view.unwrap_or(open.span);
        let params = self.param_list(open)?;
        let lbrace = self.expect(K::LBrace, "`{` to start the function body")?;
        self.enter()?;
        let body = self.statements(Ctx::Body);
        let close = self.expect_close(lbrace);
        self.leave();
        close?;
        Ok(FunctionDef {
            is_view: view.is_some(),
            params,
            body,
            body_span: self.span_from(lbrace.span),
            span: self.span_from(start),
        })
    }

    /// Parameters after `(` up to and including `)`.
    pub(super) fn param_list(&mut self, open: Token) -> PResult<Vec<Param>> {
        let mut params = Vec::new();
        if self.eat(K::RParen).is_some() {
            return Ok(params);
        }
        loop {
            params.push(self.param()?);
            if self.eat(K::Comma).is_none() {
                break;
            }
        }
        self.expect_close(open)?;
        Ok(params)
    }

    pub(super) fn param(&mut self) -> PResult<Param> {
        let t = self.tok();
        if t.kind == K::Ident && is_reserved_word(self.text(t)) {
            return self.expected("a parameter name");
        }
        let name = self.name("a parameter name")?;
        self.expect(K::Colon, "`:` and a type after the parameter name")?;
        let ty = if self.at(K::LParen) {
            let open = self.bump();
            let mut columns = Vec::new();
            let mut open_schema = false;
            // `(*)` (any table) or `(a:string, b:long)`; Kusto does not mix them.
            if self.at(K::Star) {
                self.bump();
                open_schema = true;
            } else if !self.at(K::RParen) {
                loop {
                    columns.push(self.column_decl()?);
                    if self.eat(K::Comma).is_none() {
                        break;
                    }
                }
            }
            self.expect_close(open)?;
            ParamType::Tabular {
                columns,
                open: open_schema,
                span: self.span_from(open.span),
            }
        } else {
            ParamType::Scalar(self.type_name()?)
        };
        let default = if self.eat(K::Eq).is_some() {
            if !self.can_start_expr() {
                return self.expected("a default value after `=`");
            }
            Some(self.expr()?)
        } else {
            None
        };
        Ok(Param {
            span: self.span_from(name.span),
            name,
            ty,
            default,
        })
    }

    pub(super) fn set_stmt(&mut self) -> PResult<Statement> {
        let kw = self.bump();
        let name = self.dotted_name("an option name after `set`")?;
        let value = if self.eat(K::Eq).is_some() {
            if !self.can_start_expr() {
                return self.expected("a value after `=`");
            }
            Some(self.expr()?)
        } else {
            None
        };
        Ok(Statement::Set(SetStmt {
            name,
            value,
            span: self.span_from(kw.span),
        }))
    }

    /// `declare pattern Name [= (params)[[path:type]] { (args)[.[path]] = { body }; ... }]`
    pub(super) fn pattern_stmt(&mut self) -> PResult<Statement> {
        let kw = self.bump();
        self.bump(); // pattern
        let name = self.name("a pattern name after `declare pattern`")?;
        let (mut params, mut path, mut rules) = (Vec::new(), None, Vec::new());
        if self.eat(K::Eq).is_some() {
            let open = self.expect(K::LParen, "`(` and the pattern's parameters")?;
            params = self.param_list(open)?;
            if self.at(K::LBracket) {
                let o = self.bump();
                path = Some(self.param()?);
                self.expect_close(o)?;
            }
            let lbrace = self.expect(K::LBrace, "`{` and the pattern's definitions")?;
            self.enter()?;
            let r = self.pattern_rules();
            self.leave();
            rules = r?;
            self.expect_close(lbrace)?;
        }
        Ok(Statement::DeclarePattern(PatternStmt {
            name,
            params,
            path,
            rules,
            span: self.span_from(kw.span),
        }))
    }

    fn pattern_rules(&mut self) -> PResult<Vec<PatternRule>> {
        let mut rules = Vec::new();
        while !self.at(K::RBrace) && !self.at(K::Eof) {
            let start = self.tok().span;
            let open = self.expect(K::LParen, "`(` and the argument values of a definition")?;
            let mut args = Vec::new();
            if self.eat(K::RParen).is_none() {
                loop {
                    args.push(self.expr()?);
                    if self.eat(K::Comma).is_none() {
                        break;
                    }
                }
                self.expect_close(open)?;
            }
            let path = if self.eat(K::Dot).is_some() {
                let o = self.expect(K::LBracket, "`[` and the path value after `.`")?;
                let e = self.expr()?;
                self.expect_close(o)?;
                Some(e)
            } else {
                None
            };
            self.expect(K::Eq, "`=` and the definition's query")?;
            let lbrace = self.expect(K::LBrace, "`{` to start the definition's query")?;
            let body = self.statements(Ctx::Body);
            self.expect_close(lbrace)?;
            rules.push(PatternRule {
                args,
                path,
                body,
                span: self.span_from(start),
            });
            self.eat(K::Semi);
        }
        Ok(rules)
    }

    pub(super) fn declare_stmt(&mut self) -> PResult<Statement> {
        let kw = self.bump();
        self.bump(); // query_parameters
        let open = self.expect(K::LParen, "`(` after `declare query_parameters`")?;
        let params = self.param_list(open)?;
        Ok(Statement::DeclareQueryParameters(DeclareStmt {
            params,
            span: self.span_from(kw.span),
        }))
    }
}

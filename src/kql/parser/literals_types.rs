//! Literals and types: strings, typed literals (`datetime(...)`...),
//! `typeof(...)`, `dynamic(...)`, `datatable`, `externaldata`, type names and
//! column declarations.

use super::*;

impl<'a> Parser<'a> {
    pub(super) fn type_name(&mut self) -> PResult<Ident> {
        let t = self.tok();
        if t.kind != K::Ident {
            return self.expected("a type name");
        }
        if !is_type_name(self.text(t)) {
            let msg = format!(
                "`{}` is not a type: expected bool, int, long, real, decimal, string, datetime, timespan, guid or dynamic",
                self.text(t)
            );
            self.error(t.span, msg);
            return Err(());
        }
        self.bump();
        Ok(Ident {
            name: self.text(t).to_string(),
            span: t.span,
        })
    }

    pub(super) fn column_decl(&mut self) -> PResult<ColumnDecl> {
        let name = self.name("a column name")?;
        self.expect(K::Colon, "`:` and a type after the column name")?;
        let ty = self.type_name()?;
        Ok(ColumnDecl {
            span: self.span_from(name.span),
            name,
            ty,
        })
    }

    /// `( name:type, ... )`; `trailing_comma`: a `,` may end the list (as in a
    /// `datatable` schema).
    pub(super) fn column_decls(&mut self, trailing_comma: bool) -> PResult<Vec<ColumnDecl>> {
        let open = self.expect(K::LParen, "`(` and a column list")?;
        let mut cols = Vec::new();
        if self.eat(K::RParen).is_some() {
            return Ok(cols);
        }
        loop {
            if trailing_comma && !cols.is_empty() && self.at(K::RParen) {
                break;
            }
            cols.push(self.column_decl()?);
            if self.eat(K::Comma).is_none() {
                break;
            }
        }
        self.expect_close(open)?;
        Ok(cols)
    }

    pub(super) fn string_literal(&mut self) -> Expr {
        let first = self.tok();
        let mut value = String::new();
        let mut obfuscated = false;
        let mut end = first.span.end;
        let mut err: Option<(Span, String)> = None;
        while matches!(self.kind(), K::String | K::UnterminatedString) {
            let t = self.bump();
            end = t.span.end;
            if t.kind == K::UnterminatedString {
                let save = self.pos;
                self.pos -= 1;
                self.unterminated(t);
                self.pos = save;
            }
            let (v, obf, e) = literal::decode_string(self.text(t));
            value.push_str(&v);
            obfuscated |= obf;
            if let (Some(m), None) = (e, &err) {
                err = Some((t.span, m));
            }
        }
        if let Some((span, m)) = err {
            self.error(span, m);
        }
        Expr::Literal(Literal {
            value: LitValue::String { value, obfuscated },
            span: Span::new(first.span.start, end),
        })
    }

    /// `datetime(...)`, `int(...)`, ...: the lexer made the content one
    /// [`K::LiteralText`] token. Kusto checks the content only semantically, so
    /// content rulecat cannot read is not a syntax error: such a literal becomes
    /// [`Expr::Error`] (a `datetime` one `LitValue::Datetime(None)`).
    pub(super) fn typed_literal(&mut self) -> PResult<Expr> {
        let name = self.bump();
        let open = self.bump();
        let (content, end) = match self.eat(K::LiteralText) {
            Some(t) => (self.text(t).trim(), t.span.end),
            None => ("", open.span.end),
        };
        // The `)` must be on the same line: the lexer stopped the content there.
        if self.at(K::RParen) && self.tok().span.start != end {
            let msg = format!(
                "expected `)` to close `{}(` on the same line",
                self.text(name)
            );
            self.error(Span::empty(self.prev_end()), msg);
            return Err(());
        }
        self.expect_close(open)?;
        let ty = self.text(name);
        let span = self.span_from(name.span);
        let lit = |value| Ok(Expr::Literal(Literal { value, span }));
        if content == "null" {
            return lit(LitValue::Null(ty.to_string()));
        }
        // Content rulecat cannot read: not a syntax error (see above).
        let bad = || Ok(Expr::Error(span));
        match ty {
            "datetime" | "date" => match literal::decode_datetime(content) {
                Some(t) => lit(LitValue::Datetime(Some(t))),
                None => lit(LitValue::Datetime(None)),
            },
            "time" | "timespan" => match literal::decode_timespan_text(content) {
                Some(t) => lit(LitValue::Timespan(t)),
                None => bad(),
            },
            "guid" | "uuid" | "uniqueid" => {
                let hex = content.bytes().filter(u8::is_ascii_hexdigit).count();
                if hex == 32 && content.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
                    lit(LitValue::Guid(content.to_string()))
                } else {
                    bad()
                }
            }
            "int" | "int32" | "long" | "int64" => {
                let (neg, digits) = match content.strip_prefix('-') {
                    Some(d) => (true, d.trim_start()),
                    None => (
                        false,
                        content.strip_prefix('+').unwrap_or(content).trim_start(),
                    ),
                };
                match literal::decode_number(digits) {
                    Ok(Ok(v)) if !digits.is_empty() => {
                        let v = if neg { v.wrapping_neg() } else { v };
                        if ty.starts_with("int") && ty != "int64" {
                            lit(LitValue::Int(v))
                        } else {
                            lit(LitValue::Long(v))
                        }
                    }
                    _ => bad(),
                }
            }
            "real" | "double" => {
                let v = match content {
                    "nan" | "NaN" => Some(f64::NAN),
                    "inf" | "+inf" | "Infinity" | "+Infinity" => Some(f64::INFINITY),
                    "-inf" | "-Infinity" => Some(f64::NEG_INFINITY),
                    c if !c.is_empty()
                        && c.bytes()
                            .all(|b| b.is_ascii_digit() || b"+-.eE ".contains(&b)) =>
                    {
                        c.replace(' ', "").parse::<f64>().ok()
                    }
                    _ => None,
                };
                match v {
                    Some(v) => lit(LitValue::Real(v)),
                    None => bad(),
                }
            }
            "bool" | "boolean" => match content {
                "true" | "True" | "TRUE" | "1" => lit(LitValue::Bool(true)),
                "false" | "False" | "FALSE" | "0" => lit(LitValue::Bool(false)),
                _ => bad(),
            },
            _ => {
                // decimal
                let c = content.replace(' ', "");
                if !c.is_empty() && (c.parse::<f64>().is_ok() || c == "nan") {
                    lit(LitValue::Decimal(content.to_string()))
                } else {
                    bad()
                }
            }
        }
    }

    /// `typeof(T)` (one type, or any name) or `typeof(a:string, *, ...)`
    /// (columns; `typeof()` is accepted), at `typeof` followed by `(`.
    pub(super) fn typeof_literal(&mut self) -> PResult<Expr> {
        let kw = self.bump();
        let open = self.bump();
        let (t, n) = (self.tok(), self.nth(1));
        let mut ty = None;
        let mut columns = Vec::new();
        let mut open_schema = false;
        if t.kind == K::Ident
            && (is_typeof_type(self.text(t))
                || (n.kind == K::RParen && is_plain_identifier(self.text(t))))
        {
            self.bump();
            ty = Some(Ident {
                name: self.text(t).to_string(),
                span: t.span,
            });
        } else if !self.at(K::RParen) {
            loop {
                if self.at(K::Star) {
                    self.bump();
                    open_schema = true;
                } else {
                    columns.push(self.column_decl()?);
                }
                if self.eat(K::Comma).is_none() {
                    break;
                }
            }
        }
        self.expect_close(open)?;
        Ok(Expr::TypeOf {
            ty,
            columns,
            open: open_schema,
            span: self.span_from(kw.span),
        })
    }

    pub(super) fn dynamic_literal(&mut self) -> PResult<Expr> {
        let name = self.bump();
        let open = self.bump();
        let value = if self.at(K::RParen) {
            return self.expected("a value inside `dynamic()`");
        } else {
            self.dyn_value()?
        };
        self.expect_close(open)?;
        let span = self.span_from(name.span);
        if matches!(value.kind, DynKind::Null) {
            return Ok(Expr::Literal(Literal {
                value: LitValue::Dynamic(value),
                span,
            }));
        }
        Ok(Expr::Literal(Literal {
            value: LitValue::Dynamic(value),
            span,
        }))
    }

    pub(super) fn dyn_value(&mut self) -> PResult<DynValue> {
        let t = self.tok();
        let kind = match t.kind {
            K::LBracket => {
                let open = self.bump();
                self.enter()?;
                let r = self.dyn_array(open);
                self.leave();
                r?
            }
            K::LBrace => {
                let open = self.bump();
                self.enter()?;
                let r = self.dyn_object(open);
                self.leave();
                r?
            }
            K::Ident if self.nth(1).kind != K::LParen => {
                self.bump();
                match self.text(t) {
                    "null" => DynKind::Null,
                    "true" => DynKind::Bool(true),
                    "false" => DynKind::Bool(false),
                    _ => {
                        self.pos -= 1;
                        return self.expected(
                            "a JSON value (string, number, bool, null, `[...]` or `{...}`)",
                        );
                    }
                }
            }
            K::String | K::UnterminatedString => match self.string_literal() {
                Expr::Literal(Literal {
                    value: LitValue::String { value, .. },
                    ..
                }) => DynKind::String(value),
                _ => DynKind::Null,
            },
            K::Number | K::NumberWithSuffix | K::Minus | K::Plus | K::Ident => {
                let e = self.unary()?;
                match e {
                    Expr::Literal(Literal {
                        value: LitValue::Long(v),
                        ..
                    }) => DynKind::Long(v),
                    Expr::Literal(Literal {
                        value: LitValue::Real(v),
                        ..
                    }) => DynKind::Real(v),
                    Expr::Unary {
                        op: UnaryOp::Neg,
                        operand,
                        ..
                    } if matches!(
                        *operand,
                        Expr::Literal(Literal {
                            value: LitValue::Long(_) | LitValue::Real(_),
                            ..
                        })
                    ) =>
                    {
                        match *operand {
                            Expr::Literal(Literal {
                                value: LitValue::Long(v),
                                ..
                            }) => DynKind::Long(v.wrapping_neg()),
                            Expr::Literal(Literal {
                                value: LitValue::Real(v),
                                ..
                            }) => DynKind::Real(-v),
                            _ => DynKind::Null,
                        }
                    }
                    Expr::Literal(l) => DynKind::Scalar(Box::new(l)),
                    Expr::Error(_) => DynKind::Null,
                    other => {
                        self.error(other.span(), "expected a constant inside `dynamic()`");
                        return Err(());
                    }
                }
            }
            _ => {
                return self
                    .expected("a JSON value (string, number, bool, null, `[...]` or `{...}`)");
            }
        };
        Ok(DynValue {
            kind,
            span: self.span_from(t.span),
        })
    }

    pub(super) fn dyn_array(&mut self, open: Token) -> PResult<DynKind> {
        let mut items = Vec::new();
        loop {
            // `[]` is fine, a trailing comma is not.
            if items.is_empty() && self.at(K::RBracket) {
                break;
            }
            items.push(self.dyn_value()?);
            if self.eat(K::Comma).is_none() {
                break;
            }
        }
        self.expect_close(open)?;
        Ok(DynKind::Array(items))
    }

    pub(super) fn dyn_object(&mut self, open: Token) -> PResult<DynKind> {
        let mut entries = Vec::new();
        loop {
            // `{}` is fine, a trailing comma is not.
            if entries.is_empty() && self.at(K::RBrace) {
                break;
            }
            let k = self.tok();
            let key = match k.kind {
                K::String => {
                    self.bump();
                    literal::decode_string(self.text(k)).0
                }
                _ => return self.expected("a quoted key in the `dynamic` object"),
            };
            self.expect(K::Colon, "`:` after the key")?;
            let value = self.dyn_value()?;
            entries.push(DynEntry {
                key,
                key_span: k.span,
                value,
            });
            if self.eat(K::Comma).is_none() {
                break;
            }
        }
        self.expect_close(open)?;
        Ok(DynKind::Object(entries))
    }

    pub(super) fn datatable(&mut self) -> PResult<Expr> {
        let kw = self.bump();
        let columns = self.column_decls(true)?;
        let open = self.expect(K::LBracket, "`[` and the values of the `datatable`")?;
        self.enter()?;
        let r = self.value_list(open);
        self.leave();
        let values = r?;
        Ok(Expr::Datatable {
            columns,
            values,
            span: self.span_from(kw.span),
        })
    }

    /// Values after `[` up to `]` (a trailing comma is allowed).
    pub(super) fn value_list(&mut self, open: Token) -> PResult<Vec<Expr>> {
        let mut values = Vec::new();
        loop {
            if self.at(K::RBracket) {
                break;
            }
            values.push(self.expr_required("a value")?);
            if self.eat(K::Comma).is_none() {
                break;
            }
        }
        self.expect_close(open)?;
        Ok(values)
    }

    pub(super) fn externaldata(&mut self) -> PResult<Expr> {
        let kw = self.bump();
        let columns = self.column_decls(false)?;
        let open = self.expect(K::LBracket, "`[` and the storage URIs of `externaldata`")?;
        self.enter()?;
        let r = self.value_list(open);
        self.leave();
        let uris = r?;
        let with = if self.eat_word("with").is_some() {
            self.with_props()?
        } else {
            Vec::new()
        };
        Ok(Expr::ExternalData {
            columns,
            uris,
            with,
            span: self.span_from(kw.span),
        })
    }
}

//! Tabular operators after `|`: the per-operator grammar and its clauses
//! (`op_params`, `with (...)`, sort keys, `parse` patterns, `mv-expand` items...).

use super::*;

impl<'a> Parser<'a> {
    pub(super) fn operator(&mut self, pipe: Option<Span>) -> PResult<PipeOp> {
        let kw = self.tok();
        if kw.kind != K::Ident {
            let what = if pipe.is_some() {
                "a tabular operator after `|`"
            } else {
                "a tabular operator"
            };
            return self.expected(what);
        }
        // Compose hyphenated names such as `project-away`.
        let (kw_span, ntoks) = self.op_name_span();
        let name = kw_span.text(self.src);
        for _ in 0..ntoks {
            self.bump();
        }
        if UNSUPPORTED_OPS.contains(&name) {
            self.pos -= ntoks; // report at the keyword
            let msg = format!("the `{name}` operator is not supported by rulecat");
            self.error(kw_span, msg);
            self.pos += ntoks;
            return Err(());
        }
        let op = match name {
            "where" | "filter" => Operator::Where {
                pred: self.where_pred(name)?,
            },
            // Kusto accepts a bare `project`.
            "project" => Operator::Project {
                cols: if self.can_start_expr() {
                    self.named_list("a column after `project`")?
                } else {
                    Vec::new()
                },
            },
            "project-by-names" => {
                let mut cols = vec![self.expr_required("a column name after `project-by-names`")?];
                while self.eat(K::Comma).is_some() {
                    cols.push(self.expr_required("a column name after `,`")?);
                }
                Operator::ProjectByNames { cols }
            }
            "extend" => Operator::Extend {
                cols: self.named_list("a column after `extend`")?,
            },
            "project-away" | "project-keep" => {
                // Kusto accepts these with no column at all.
                let mut cols = Vec::new();
                if self.at_name_pattern() {
                    cols.push(self.name_pattern(&format!("a column after `{name}`"))?);
                }
                while !cols.is_empty() && self.eat(K::Comma).is_some() {
                    cols.push(self.name_pattern("a column after `,`")?);
                }
                if name == "project-away" {
                    Operator::ProjectAway { cols }
                } else {
                    Operator::ProjectKeep { cols }
                }
            }
            "project-rename" => {
                let mut renames = Vec::new();
                let mut first = true;
                loop {
                    let what = if first {
                        "`NewName = OldName` after `project-rename`"
                    } else {
                        "`NewName = OldName` after `,`"
                    };
                    if first && !self.is_name_start() {
                        // Kusto accepts `project-rename` with nothing to rename.
                        break;
                    }
                    first = false;
                    if !self.is_name_start() {
                        return self.expected(what);
                    }
                    let new = self.name(what)?;
                    if !self.at(K::Eq) {
                        // `project-rename a`: accepted by Kusto, renames nothing.
                        if self.eat(K::Comma).is_none() {
                            break;
                        }
                        continue;
                    }
                    self.expect(K::Eq, "`=` after the new column name")?;
                    let old = self.name("the old column name after `=`")?;
                    renames.push(Rename {
                        span: self.span_from(new.span),
                        new,
                        old,
                    });
                    if self.eat(K::Comma).is_none() {
                        break;
                    }
                }
                Operator::ProjectRename { renames }
            }
            "project-reorder" => {
                let mut cols = Vec::new();
                loop {
                    if cols.is_empty() && !self.at_name_pattern() {
                        // Kusto accepts `project-reorder` with no column.
                        break;
                    }
                    let pattern = self.name_pattern("a column after `project-reorder`")?;
                    let order = self.reorder_order();
                    cols.push(ReorderCol { pattern, order });
                    if self.eat(K::Comma).is_none() {
                        break;
                    }
                }
                Operator::ProjectReorder { cols }
            }
            "summarize" => {
                let params = self.op_params(&[])?;
                // Kusto accepts a bare `summarize`.
                let aggs = if self.can_start_expr() {
                    self.named_list("an aggregation")?
                } else {
                    Vec::new()
                };
                let (by, by_span) = match self.eat_word("by") {
                    Some(b) => (
                        self.named_list("a group-by expression after `by`")?,
                        Some(b.span),
                    ),
                    None => (Vec::new(), None),
                };
                Operator::Summarize {
                    params,
                    aggs,
                    by,
                    by_span,
                }
            }
            "distinct" => {
                let params = self.op_params(&[])?;
                let mut cols = Vec::new();
                loop {
                    if self.at(K::Star) && !self.star_operand_ok() {
                        let t = self.bump();
                        cols.push(NamedExpr {
                            names: Vec::new(),
                            expr: Expr::Star(t.span),
                            span: t.span,
                        });
                    } else {
                        let what = if cols.is_empty() {
                            "a column or `*` after `distinct`"
                        } else {
                            "a column after `,`"
                        };
                        cols.push(self.named_expr(what)?);
                    }
                    if self.eat(K::Comma).is_none() {
                        break;
                    }
                }
                Operator::Distinct { params, cols }
            }
            "top" => {
                let count = self.expr_required("a row count after `top`")?;
                self.expect_word("by", "`by` after the row count of `top`")?;
                let by = self.sort_key()?;
                Operator::Top { count, by }
            }
            "top-nested" => Operator::TopNested {
                clauses: self.top_nested()?,
            },
            "top-hitters" => {
                let count = self.expr_required("a row count after `top-hitters`")?;
                self.expect_word("of", "`of` after the row count of `top-hitters`")?;
                let of = self.expr_required("an expression after `of`")?;
                let by = match self.eat_word("by") {
                    Some(_) => Some(self.expr_required("an expression after `by`")?),
                    None => None,
                };
                Operator::TopHitters { count, of, by }
            }
            "sort" | "order" => {
                let params = self.op_params(&[])?;
                self.expect_word("by", &format!("`by` after `{name}`"))?;
                let mut keys = vec![self.sort_key()?];
                while self.eat(K::Comma).is_some() {
                    keys.push(self.sort_key()?);
                }
                Operator::Sort { params, keys }
            }
            "take" | "limit" => {
                let _ = self.op_params(&[])?;
                Operator::Take {
                    count: self.expr_required(&format!("a row count after `{name}`"))?,
                }
            }
            "count" => {
                // `count as Name` (Name must be a plain identifier).
                let name = if self.eat_word("as").is_some() {
                    let t = self.tok();
                    if t.kind != K::Ident || !is_plain_identifier(self.text(t)) {
                        return self.expected("a name after `as`");
                    }
                    Some(self.name("a name after `as`")?)
                } else {
                    None
                };
                Operator::Count { name }
            }
            "parse" | "parse-where" => self.parse_op(name)?,
            "parse-kv" => {
                let source = self.expr_required("an expression after `parse-kv`")?;
                self.expect_word("as", "`as` and a column list after the `parse-kv` source")?;
                let columns = self.column_decls(false)?;
                let with = if self.eat_word("with").is_some() {
                    self.with_props()?
                } else {
                    Vec::new()
                };
                Operator::ParseKv {
                    source,
                    columns,
                    with,
                }
            }
            // `mvexpand`/`mvapply`: the deprecated spellings Kusto still accepts.
            "mv-expand" | "mvexpand" => {
                let params = self.op_params(&["bagexpansion", "with_itemindex", "kind"])?;
                let items = self.mv_items(name)?;
                let limit = self.opt_limit()?;
                Operator::MvExpand {
                    params,
                    items,
                    limit,
                }
            }
            "mv-apply" | "mvapply" => {
                let params = self.op_params(&["with_itemindex", "kind", "bagexpansion"])?;
                let items = self.mv_items(name)?;
                let limit = self.opt_limit()?;
                self.expect_word("on", "`on` and a subquery after the `mv-apply` items")?;
                let (on, on_span) = self.paren_op_seq("`(` and a subquery after `on`")?;
                Operator::MvApply {
                    params,
                    items,
                    limit,
                    on,
                    on_span,
                }
            }
            "make-series" => self.make_series()?,
            "evaluate" => {
                let params = self.op_params(&[])?;
                if self.kind() != K::Ident {
                    return self.expected("a plugin call after `evaluate`");
                }
                let call = self.postfix()?;
                if !matches!(call, Expr::Call { .. } | Expr::MethodCall { .. }) {
                    self.error(
                        call.span(),
                        "expected a plugin call such as `bag_unpack(Col)` after `evaluate`",
                    );
                    return Err(());
                }
                let schema = if self.at(K::Colon) {
                    self.bump();
                    Some(self.evaluate_schema()?)
                } else {
                    None
                };
                Operator::Evaluate {
                    params,
                    call,
                    schema,
                }
            }
            "invoke" => {
                if self.kind() != K::Ident {
                    return self.expected("a function call after `invoke`");
                }
                let call = self.postfix()?;
                if !matches!(call, Expr::Call { .. } | Expr::MethodCall { .. }) {
                    self.error(call.span(), "expected a function call after `invoke`");
                    return Err(());
                }
                Operator::Invoke { call }
            }
            "as" => {
                let params = self.op_params(&[])?;
                let name = self.name("a name after `as`")?;
                Operator::As { params, name }
            }
            "serialize" => Operator::Serialize {
                cols: if self.can_start_expr() {
                    self.named_list("a column after `serialize`")?
                } else {
                    Vec::new()
                },
            },
            "sample" => Operator::Sample {
                count: self.expr_required("a row count after `sample`")?,
            },
            "sample-distinct" => {
                let count = self.expr_required("a count after `sample-distinct`")?;
                self.expect_word("of", "`of` after the count of `sample-distinct`")?;
                let of = self.expr_required("a column after `of`")?;
                Operator::SampleDistinct { count, of }
            }
            "getschema" => Operator::GetSchema,
            "render" => {
                let chart = self.name("a chart type after `render`")?;
                let (mut with, legacy) = self.render_legacy_props()?;
                if self.eat_word("with").is_some() {
                    with.extend(self.with_props()?);
                }
                Operator::Render {
                    chart,
                    with,
                    legacy,
                }
            }
            "search" => {
                let params = self.op_params(&["kind"])?;
                let tables = self.opt_in_tables()?;
                let pred = self.expr_required("a search predicate")?;
                Operator::Search {
                    params,
                    tables,
                    pred,
                }
            }
            "union" => self.union_op()?,
            "join" | "lookup" => self.join_op(name)?,
            "find" => {
                let params = self.op_params(&["withsource", "datascope", "kind"])?;
                let tables = self.opt_in_tables()?;
                // `find where pred`, or just `find pred` when no `in (...)`.
                if tables.is_empty() {
                    self.eat_word("where");
                } else {
                    self.expect_word("where", "`where` after the tables of `find`")?;
                }
                let pred = self.expr_required("a predicate after `find`")?;
                let project = if self.at_word("project-smart")
                    || (self.at_word("project")
                        && self.nth(1).kind == K::Minus
                        && self.is_word(self.nth(2), "smart"))
                {
                    self.bump();
                    if self.at(K::Minus) {
                        self.bump();
                        self.bump();
                    }
                    Some(Vec::new())
                } else if self.eat_word("project").is_some() {
                    let mut cols = vec![self.expr_required("a column after `project`")?];
                    while self.eat(K::Comma).is_some() {
                        cols.push(self.expr_required("a column after `,`")?);
                    }
                    Some(cols)
                } else {
                    None
                };
                Operator::Find {
                    params,
                    tables,
                    pred,
                    project,
                }
            }
            "reduce" => {
                let params = self.op_params(&["kind"])?;
                self.expect_word("by", "`by` after `reduce`")?;
                let by = self.expr_required("an expression after `by`")?;
                let mut with = Vec::new();
                if self.eat_word("with").is_some() {
                    loop {
                        with.push(self.prop()?);
                        if self.eat(K::Comma).is_none() {
                            break;
                        }
                    }
                }
                Operator::Reduce { params, by, with }
            }
            "facet" => {
                self.expect_word("by", "`by` after `facet`")?;
                let mut by = vec![self.expr_required("a column after `by`")?];
                while self.eat(K::Comma).is_some() {
                    by.push(self.expr_required("a column after `,`")?);
                }
                let with = if self.eat_word("with").is_some() {
                    self.paren_op_seq("`(` and a subquery after `with`")?.0
                } else {
                    Vec::new()
                };
                Operator::Facet { by, with }
            }
            "fork" => {
                let mut branches = Vec::new();
                loop {
                    let start = self.tok().span;
                    let bname = if self.kind() == K::Ident && self.nth(1).kind == K::Eq {
                        let n = self.name("a branch name")?;
                        self.bump();
                        Some(n)
                    } else {
                        None
                    };
                    if !self.at(K::LParen) {
                        if branches.is_empty() || bname.is_some() {
                            return self.expected("`(` and a subquery");
                        }
                        break;
                    }
                    let (ops, _) = self.paren_op_seq("`(` and a subquery")?;
                    branches.push(ForkBranch {
                        name: bname,
                        ops,
                        span: self.span_from(start),
                    });
                }
                Operator::Fork { branches }
            }
            "partition" => {
                let params = self.op_params(&[])?;
                self.expect_word("by", "`by` after `partition`")?;
                if !self.is_name_start() {
                    return self.expected("a column after `by`");
                }
                let by = Expr::Name(self.name("a column after `by`")?);
                let (sub, _) =
                    self.paren_op_seq("`(` and a subquery after the partition column")?;
                Operator::Partition { params, by, sub }
            }
            "scan" => self.scan_op()?,
            "make-graph" => self.make_graph()?,
            "graph-match" => self.graph_match(false)?,
            "graph-shortest-paths" => self.graph_match(true)?,
            "graph-to-table" => self.graph_to_table()?,
            "graph-mark-components" => Operator::GraphMarkComponents {
                params: self.op_params(&["kind", "with_component_id"])?,
            },
            "consume" => Operator::Consume {
                params: self.op_params(&["decodeblocks"])?,
            },
            "print" => Operator::Print {
                cols: self.named_list("an expression after `print`")?,
            },
            "range" => {
                let rname = self.name("a column name after `range`")?;
                self.expect_word("from", "`from` after the `range` column")?;
                let from = self.expr_required("a start value after `from`")?;
                self.expect_word("to", "`to` after the `range` start")?;
                let to = self.expr_required("an end value after `to`")?;
                self.expect_word("step", "`step` after the `range` end")?;
                let step = self.expr_required("a step after `step`")?;
                Operator::Range {
                    name: rname,
                    from,
                    to,
                    step,
                }
            }
            _ => {
                let suggestion = KNOWN_OPS
                    .iter()
                    .map(|k| (edit_distance(name, k), *k))
                    .filter(|(d, _)| *d <= 2)
                    .min();
                let msg = match suggestion {
                    Some((_, s)) => {
                        format!("unknown tabular operator `{name}`; did you mean `{s}`?")
                    }
                    None => format!("unknown tabular operator `{name}`"),
                };
                self.pos -= ntoks;
                self.error(kw_span, msg);
                self.pos += ntoks;
                return Err(());
            }
        };
        Ok(PipeOp {
            pipe_span: pipe,
            name: name.to_string(),
            keyword_span: kw_span,
            op,
            span: self.span_from(kw_span),
        })
    }

    /// `kind=inner`, `hint.strategy=shuffle`, ... (only the names in `allowed`
    /// and any `hint.*`).
    pub(super) fn op_params(&mut self, allowed: &[&str]) -> PResult<Vec<OpParam>> {
        let mut out = Vec::new();
        loop {
            let t = self.tok();
            if t.kind != K::Ident {
                break;
            }
            let mut k = 1;
            let mut end = t.span.end;
            while self.nth(k).kind == K::Dot
                && self.nth(k).span.start == end
                && self.nth(k + 1).kind == K::Ident
                && self.nth(k + 1).span.start == self.nth(k).span.end
            {
                end = self.nth(k + 1).span.end;
                k += 2;
            }
            if self.nth(k).kind != K::Eq {
                break;
            }
            let span = Span::new(t.span.start, end);
            let pname = span.text(self.src);
            if !(allowed.contains(&pname) || pname.starts_with("hint.")) {
                break;
            }
            for _ in 0..=k {
                self.bump();
            }
            let value = self.param_value(pname)?;
            out.push(OpParam {
                name: Ident {
                    name: pname.to_string(),
                    span,
                },
                value,
                span: self.span_from(span),
            });
        }
        Ok(out)
    }

    /// A simple value: literal, name or negative number.
    pub(super) fn param_value(&mut self, pname: &str) -> PResult<Expr> {
        match self.kind() {
            K::String | K::UnterminatedString | K::Number | K::NumberWithSuffix => self.primary(),
            K::Minus | K::Plus => self.unary(),
            K::Ident => {
                let t = self.tok();
                if self.nth(1).kind == K::LParen {
                    // typed literals such as `time(1h)`
                    return self.primary();
                }
                self.bump();
                let w = self.text(t);
                Ok(match w {
                    "true" | "false" => Expr::Literal(Literal {
                        value: LitValue::Bool(w == "true"),
                        span: t.span,
                    }),
                    _ => Expr::Name(Ident {
                        name: w.to_string(),
                        span: t.span,
                    }),
                })
            }
            _ => self.expected(&format!("a value after `{pname}=`")),
        }
    }

    /// The deprecated properties after `render chart`, in any order and
    /// repeated: `kind=k`, `title=t`, `accumulate=b` (returned first, as the
    /// `with (...)` properties they are), `with 'x'` (no `=`, no `(`) and
    /// `by Col, Col` (returned second).
    pub(super) fn render_legacy_props(&mut self) -> PResult<(Vec<OpParam>, Vec<OpParam>)> {
        let (mut props, mut legacy) = (Vec::new(), Vec::new());
        loop {
            let t = self.tok();
            if t.kind != K::Ident {
                break;
            }
            let w = self.text(t);
            let name = Ident {
                name: w.to_string(),
                span: t.span,
            };
            match w {
                "kind" | "title" | "accumulate" if self.nth(1).kind == K::Eq => {
                    self.bump();
                    self.bump();
                    let value = if w == "title" {
                        if !self.can_start_expr() {
                            return self.expected("a title after `title=`");
                        }
                        self.postfix()?
                    } else {
                        self.param_value(w)?
                    };
                    props.push(OpParam {
                        span: self.span_from(t.span),
                        name,
                        value,
                    });
                }
                "with" if self.nth(1).kind != K::LParen => {
                    self.bump();
                    let value = self.param_value(w)?;
                    legacy.push(OpParam {
                        span: self.span_from(t.span),
                        name,
                        value,
                    });
                }
                "by" => {
                    self.bump();
                    loop {
                        let col = self.name("a column after `by`")?;
                        legacy.push(OpParam {
                            span: self.span_from(t.span),
                            name: name.clone(),
                            value: Expr::Name(col),
                        });
                        if !(self.at(K::Comma) && self.nth(1).kind == K::Ident)
                            || matches!(
                                self.text(self.nth(1)),
                                "kind" | "title" | "accumulate" | "with" | "by"
                            )
                        {
                            break;
                        }
                        self.bump();
                    }
                }
                _ => break,
            }
        }
        Ok((props, legacy))
    }

    /// The schema after `evaluate plugin(...) :`: `( [*,] Col:type, ... )`,
    /// a trailing comma allowed.
    pub(super) fn evaluate_schema(&mut self) -> PResult<EvaluateSchema> {
        let open = self.expect(K::LParen, "`(` and the output schema after `:`")?;
        self.eat(K::Comma);
        let star = self.eat(K::Star).is_some();
        if star {
            self.eat(K::Comma);
        }
        let mut columns = Vec::new();
        while !self.at(K::RParen) {
            columns.push(self.column_decl()?);
            if self.eat(K::Comma).is_none() {
                break;
            }
        }
        self.expect_close(open)?;
        Ok(EvaluateSchema {
            columns,
            open: star,
            span: self.span_from(open.span),
        })
    }

    /// `with ( name = value, ... )`
    pub(super) fn with_props(&mut self) -> PResult<Vec<OpParam>> {
        let open = self.expect(K::LParen, "`(` after `with`")?;
        let mut out = Vec::new();
        if self.eat(K::RParen).is_some() {
            return Ok(out);
        }
        loop {
            out.push(self.prop()?);
            if self.eat(K::Comma).is_none() {
                break;
            }
        }
        self.expect_close(open)?;
        Ok(out)
    }

    pub(super) fn prop(&mut self) -> PResult<OpParam> {
        let name = self.dotted_name("a property name")?;
        self.expect(K::Eq, "`=` after the property name")?;
        let value = self.expr_required("a property value after `=`")?;
        Ok(OpParam {
            span: self.span_from(name.span),
            name,
            value,
        })
    }

    pub(super) fn reorder_order(&mut self) -> Option<Ident> {
        let t = self.tok();
        if t.kind != K::Ident {
            return None;
        }
        let w = self.text(t);
        if w == "asc" || w == "desc" {
            self.bump();
            return Some(Ident {
                name: w.to_string(),
                span: t.span,
            });
        }
        if w == "granny"
            && self.nth(1).kind == K::Minus
            && matches!(self.text(self.nth(2)), "asc" | "desc")
        {
            self.bump();
            self.bump();
            let e = self.bump();
            let span = Span::new(t.span.start, e.span.end);
            return Some(Ident {
                name: span.text(self.src).to_string(),
                span,
            });
        }
        None
    }

    /// `scan [with_match_id=Id] [declare (Col:type [= default], ...)]
    /// with ( step Name [optional | output=all|last|none]: Cond [=> Col = expr, ...]; ... )`
    pub(super) fn scan_op(&mut self) -> PResult<Operator> {
        let params = self.op_params(&["with_match_id"])?;
        let mut declare = Vec::new();
        if self.at_word("declare") && self.nth(1).kind == K::LParen {
            self.bump();
            let open = self.bump();
            declare = self.param_list(open)?;
        }
        self.expect_word("with", "`with` and the steps of `scan`")?;
        let open = self.expect(K::LParen, "`(` and the steps of `scan`")?;
        self.enter()?;
        let r = self.scan_steps();
        self.leave();
        let steps = r?;
        self.expect_close(open)?;
        Ok(Operator::Scan {
            params,
            declare,
            steps,
        })
    }

    pub(super) fn scan_steps(&mut self) -> PResult<Vec<ScanStep>> {
        let mut steps = Vec::new();
        loop {
            self.expect_word("step", "`step` and a step definition")?;
            let name = self.name("a step name after `step`")?;
            let mut output = None;
            let optional = self.eat_word("optional").is_some();
            if !optional && self.at_word("output") && self.nth(1).kind == K::Eq {
                self.bump();
                self.bump();
                output = Some(self.name("`all`, `last` or `none` after `output=`")?);
            }
            self.expect(K::Colon, "`:` and a condition after the step name")?;
            let cond = self.expr_required("a step condition after `:`")?;
            let mut assigns = Vec::new();
            if self.eat(K::Arrow).is_some() {
                loop {
                    assigns.push(self.named_expr("an assignment after `=>`")?);
                    if self.eat(K::Comma).is_none() {
                        break;
                    }
                }
            }
            self.expect(K::Semi, "`;` after the step")?;
            steps.push(ScanStep {
                name,
                optional,
                output,
                cond,
                assigns,
            });
            if !self.at_word("step") {
                return Ok(steps);
            }
        }
    }

    /// The predicate of `where`: Kusto also accepts `Name = expr` there (a
    /// single `=`), read as `Name == expr`.
    pub(super) fn where_pred(&mut self, opname: &str) -> PResult<Expr> {
        let t = self.tok();
        let assign =
            (t.kind == K::Ident && self.nth(1).kind == K::Eq && !is_reserved_word(self.text(t)))
                || (t.kind == K::LBracket
                    && self.nth(1).kind == K::String
                    && self.nth(2).kind == K::RBracket
                    && self.nth(3).kind == K::Eq);
        if !assign {
            return self.expr_required(&format!("a predicate after `{opname}`"));
        }
        let lhs = Expr::Name(self.name("a column name")?);
        let eq = self.bump();
        let rhs = self.expr_required("an expression after `=`")?;
        Ok(Expr::Binary {
            op: BinOp::Eq,
            op_span: eq.span,
            span: self.span_from(t.span),
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        })
    }

    pub(super) fn at_name_pattern(&self) -> bool {
        match self.kind() {
            K::Ident | K::Star => true,
            K::LBracket => self.nth(1).kind == K::String,
            _ => false,
        }
    }

    /// A column name that may contain `*` wildcards: `Col*`, `*Id`, `['a b']`.
    pub(super) fn name_pattern(&mut self, what: &str) -> PResult<NamePattern> {
        let t = self.tok();
        if t.kind == K::LBracket && self.nth(1).kind == K::String {
            let id = self.bracket_name()?;
            return Ok(NamePattern {
                text: id.name,
                span: id.span,
            });
        }
        if !matches!(t.kind, K::Ident | K::Star) {
            return self.expected(what);
        }
        self.bump();
        let mut end = t.span.end;
        while matches!(
            self.kind(),
            K::Ident | K::Star | K::Number | K::NumberWithSuffix
        ) && self.tok().span.start == end
        {
            end = self.bump().span.end;
        }
        let span = Span::new(t.span.start, end);
        Ok(NamePattern {
            text: span.text(self.src).to_string(),
            span,
        })
    }

    pub(super) fn sort_key(&mut self) -> PResult<SortKey> {
        let start = self.tok().span;
        let expr = self.expr_required("a sort expression")?;
        let order = if self.eat_word("asc").is_some() {
            Some(SortOrder::Asc)
        } else if self.eat_word("desc").is_some() {
            Some(SortOrder::Desc)
        } else {
            None
        };
        let nulls = if self.eat_word("nulls").is_some() {
            if self.eat_word("first").is_some() {
                Some(NullsOrder::First)
            } else if self.eat_word("last").is_some() {
                Some(NullsOrder::Last)
            } else {
                return self.expected("`first` or `last` after `nulls`");
            }
        } else {
            None
        };
        Ok(SortKey {
            expr,
            order,
            nulls,
            span: self.span_from(start),
        })
    }

    pub(super) fn top_nested(&mut self) -> PResult<Vec<TopNestedClause>> {
        let mut clauses = Vec::new();
        loop {
            if !clauses.is_empty() {
                // each later clause repeats the keyword
                if self.at_word("top")
                    && self.nth(1).kind == K::Minus
                    && self.is_word(self.nth(2), "nested")
                {
                    self.bump();
                    self.bump();
                    self.bump();
                } else {
                    return self.expected("`top-nested` after `,`");
                }
            }
            let start = self.tok().span;
            let count = if self.at_word("of") {
                None
            } else {
                Some(self.expr_required("a count after `top-nested`")?)
            };
            self.expect_word("of", "`of` in the `top-nested` clause")?;
            let of = self.named_expr("an expression after `of`")?;
            let others = if self.at_word("with") && self.is_word(self.nth(1), "others") {
                self.bump();
                self.bump();
                self.expect(K::Eq, "`=` after `with others`")?;
                Some(self.expr_required("a value after `with others =`")?)
            } else {
                None
            };
            self.expect_word("by", "`by` and an aggregation in the `top-nested` clause")?;
            let by = self.named_expr("an aggregation after `by`")?;
            let order = if self.eat_word("asc").is_some() {
                Some(SortOrder::Asc)
            } else if self.eat_word("desc").is_some() {
                Some(SortOrder::Desc)
            } else {
                None
            };
            clauses.push(TopNestedClause {
                count,
                of,
                others,
                by,
                order,
                span: self.span_from(start),
            });
            if self.eat(K::Comma).is_none() {
                break;
            }
        }
        Ok(clauses)
    }

    pub(super) fn parse_op(&mut self, name: &str) -> PResult<Operator> {
        let params = self.op_params(&["kind", "flags"])?;
        let source = self.expr_required(&format!("an expression to parse after `{name}`"))?;
        self.expect_word("with", "`with` and a pattern after the expression to parse")?;
        let mut pattern = Vec::new();
        loop {
            match self.kind() {
                K::Pipe | K::Semi | K::Eof | K::RParen | K::RBrace | K::RBracket => break,
                K::String | K::UnterminatedString => {
                    if let Expr::Literal(l) = self.string_literal() {
                        pattern.push(ParsePart::Literal(l));
                    }
                }
                K::Star => {
                    let t = self.bump();
                    pattern.push(ParsePart::Star(t.span));
                }
                K::Ident if is_reserved_word(self.text(self.tok())) => break,
                K::Ident | K::LBracket => {
                    let col = self.name("a column name in the `parse` pattern")?;
                    let ty = if self.eat(K::Colon).is_some() {
                        Some(self.type_name()?)
                    } else {
                        None
                    };
                    pattern.push(ParsePart::Column {
                        span: self.span_from(col.span),
                        name: col,
                        ty,
                    });
                }
                _ => {
                    return self.expected("a string, `*` or a column name in the `parse` pattern");
                }
            }
        }
        Ok(Operator::Parse {
            filter: name == "parse-where",
            params,
            source,
            pattern,
        })
    }

    pub(super) fn mv_items(&mut self, opname: &str) -> PResult<Vec<MvItem>> {
        let mut items = Vec::new();
        loop {
            let what = if items.is_empty() {
                format!("a column after `{opname}`")
            } else {
                "a column after `,`".to_string()
            };
            let expr = self.named_expr(&what)?;
            let to_type = if self.at_word("to") && self.is_word(self.nth(1), "typeof") {
                self.bump();
                if self.nth(1).kind != K::LParen {
                    self.bump();
                    return self.expected("`(` after `typeof`");
                }
                match self.typeof_literal()? {
                    Expr::TypeOf { ty, .. } => ty,
                    _ => None,
                }
            } else {
                None
            };
            items.push(MvItem {
                span: self.span_from(expr.span),
                expr,
                to_type,
            });
            if self.eat(K::Comma).is_none() {
                break;
            }
        }
        Ok(items)
    }

    pub(super) fn opt_limit(&mut self) -> PResult<Option<Expr>> {
        if self.eat_word("limit").is_some() {
            Ok(Some(self.expr_required("a number after `limit`")?))
        } else {
            Ok(None)
        }
    }

    pub(super) fn make_series(&mut self) -> PResult<Operator> {
        let params = self.op_params(&["kind"])?;
        let mut aggs = Vec::new();
        loop {
            let expr = self.named_expr("an aggregation after `make-series`")?;
            let default = if self.at_word("default") && self.nth(1).kind == K::Eq {
                self.bump();
                self.bump();
                Some(self.expr_required("a value after `default=`")?)
            } else {
                None
            };
            aggs.push(MakeSeriesAgg {
                span: self.span_from(expr.span),
                expr,
                default,
            });
            if self.eat(K::Comma).is_none() {
                break;
            }
        }
        self.expect_word(
            "on",
            "`on` and a time column after the `make-series` aggregations",
        )?;
        let on = self.expr_required("an axis column after `on`")?;
        let range = if self.at_word("in") && self.is_word(self.nth(1), "range") {
            self.bump();
            self.bump();
            let open = self.expect(K::LParen, "`(` after `range`")?;
            let start = self.expr_required("a start value")?;
            self.expect(K::Comma, "`,` after the range start")?;
            let stop = self.expr_required("a stop value")?;
            self.expect(K::Comma, "`,` after the range stop")?;
            let step = self.expr_required("a step value")?;
            self.expect_close(open)?;
            SeriesRange::InRange { start, stop, step }
        } else {
            let from = match self.eat_word("from") {
                Some(_) => Some(self.expr_required("a start value after `from`")?),
                None => None,
            };
            let to = match self.eat_word("to") {
                Some(_) => Some(self.expr_required("an end value after `to`")?),
                None => None,
            };
            self.expect_word("step", "`step` and a bin size in `make-series`")?;
            let step = self.expr_required("a bin size after `step`")?;
            SeriesRange::FromTo { from, to, step }
        };
        let by = if self.eat_word("by").is_some() {
            self.named_list("a group-by expression after `by`")?
        } else {
            Vec::new()
        };
        Ok(Operator::MakeSeries {
            params,
            aggs,
            on,
            range,
            by,
        })
    }
}

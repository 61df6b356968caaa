//! Unit tests for the KQL front end.

use super::ast::*;
use super::lexer::tokenize;
use super::literal;
use super::visit;
use super::{Parsed, Span, parse};

const ZOHO_1: &str = "let Time_start = now(-5d);
let Time_end = now();
//
// *Will return all binaries signed by Zoho, not just Zoho Assist*
// 
DeviceFileCertificateInfo
| where Timestamp between (Time_start..Time_end)
| where Signer has 'Zoho'
| summarize FirstSeen=min(Timestamp), LastSeen=max(Timestamp), 
    Report=make_set(ReportId), Count=count() by DeviceId, DeviceName
";

const ZOHO_2: &str = "DeviceNetworkEvents
| where Timestamp > ago(7d)
| where RemoteUrl has_any ('assist.zoho.com', 'assist.zoho.eu', 'assist.zoho.com.au', 'assist.zoho.in', 'assist.zoho.jp')
and InitiatingProcessVersionInfoCompanyName has 'Zoho'
and InitiatingProcessVersionInfoProductName has 'Zoho Assist'
| summarize FirstSeen=min(Timestamp), LastSeen=max(Timestamp), Count=count() by DeviceId, DeviceName,
RemoteUrl
";

const HUNT_3: &str = r#"let lookback = 14d;
let SuspiciousProcs = dynamic(["powershell.exe", "cmd.exe", "rundll32.exe"]);
let Allow = datatable(Account:string, Reason:string)[
  "svc_backup", "backup job",
  "svc_scan", "scanner",
];
DeviceProcessEvents
| where Timestamp > ago(lookback)
| where FileName in~ (SuspiciousProcs) and ProcessCommandLine matches regex @"(?i)-enc(odedcommand)?\s"
| where AccountName !in ((Allow | project Account))
| extend Decoded = base64_decode_tostring(extract(@"\s([A-Za-z0-9+/=]{20,})", 1, ProcessCommandLine))
| join kind=leftouter (
    DeviceNetworkEvents
    | where Timestamp > ago(lookback)
    | summarize Urls = make_set(RemoteUrl, 100) by DeviceId
  ) on DeviceId
| mv-expand Url = Urls to typeof(string)
| parse Url with "https://" Host:string "/" *
| summarize arg_max(Timestamp, *) by DeviceId, Host
| project-away Urls*
| top 100 by Timestamp desc nulls last
"#;

const HUNT_4: &str = r#"// Rare parent/child pairs
let MinCount = 3;
let Pairs = (T:(*), n:int = 3) {
    T
    | summarize Count = count() by InitiatingProcessFileName, FileName
    | where Count < n
};
union withsource=SourceTable isfuzzy=true DeviceProcessEvents, DeviceEvents
| where Timestamp between (datetime(2024-01-01T00:00:00Z) .. datetime(2024-01-31))
| invoke Pairs(MinCount)
| lookup kind=leftouter (DeviceInfo | distinct DeviceId, OSPlatform) on DeviceId
| make-series Hits = count() default = 0 on Timestamp from ago(30d) to now() step 1d by FileName
| render timechart with (title = "Rare pairs")
"#;

fn ok(q: &str) -> Parsed {
    let p = parse(q);
    assert!(
        p.errors.is_empty(),
        "unexpected errors for {q:?}: {:#?}",
        p.errors
    );
    p
}

fn errs(q: &str) -> Vec<super::SyntaxError> {
    parse(q).errors
}

fn one_err(q: &str) -> super::SyntaxError {
    let e = errs(q);
    assert_eq!(
        e.len(),
        1,
        "expected exactly one error for {q:?}, got {e:#?}"
    );
    e.into_iter().next().unwrap()
}

/// The query statement's expression (last statement).
fn last_expr(p: &Parsed) -> &Expr {
    match p.query.statements.last() {
        Some(Statement::Query(e)) => e,
        other => panic!("expected a query statement, got {other:?}"),
    }
}

fn pipeline(p: &Parsed) -> &Pipeline {
    match last_expr(p) {
        Expr::Pipeline(pl) => pl,
        other => panic!("expected a pipeline, got {other:?}"),
    }
}

fn first_op(q: &str) -> Operator {
    let p = ok(q);
    pipeline(&p).ops[0].op.clone()
}

fn where_pred(q: &str) -> Expr {
    match first_op(q) {
        Operator::Where { pred } => pred,
        other => panic!("expected where, got {other:?}"),
    }
}

fn extend_expr(q: &str) -> Expr {
    match first_op(q) {
        Operator::Extend { cols } => cols[0].expr.clone(),
        other => panic!("expected extend, got {other:?}"),
    }
}

fn lit(e: &Expr) -> &LitValue {
    match e {
        Expr::Literal(l) => &l.value,
        other => panic!("expected a literal, got {other:?}"),
    }
}

#[test]
fn catalog_queries_parse_cleanly() {
    for q in [ZOHO_1, ZOHO_2, HUNT_3, HUNT_4] {
        ok(q);
    }
    let p = ok(ZOHO_1);
    assert_eq!(p.comments.len(), 3);
    assert_eq!(p.query.statements.len(), 3);
    let pl = pipeline(&p);
    assert_eq!(pl.source.as_name(), Some("DeviceFileCertificateInfo"));
    assert_eq!(pl.ops.len(), 3);
    match &pl.ops[2].op {
        Operator::Summarize { aggs, by, .. } => {
            assert_eq!(aggs.len(), 4);
            assert_eq!(aggs[3].names[0].name, "Count");
            assert_eq!(by.len(), 2);
        }
        other => panic!("{other:?}"),
    }
    let p = ok(ZOHO_2);
    match &pipeline(&p).ops[1].op {
        Operator::Where {
            pred: Expr::Logical { op, operands, .. },
        } => {
            assert_eq!(*op, LogicalOp::And);
            assert_eq!(operands.len(), 3);
            assert!(
                matches!(&operands[0], Expr::In { op: ListOp::HasAny, list, .. } if list.len() == 5)
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn spans_point_into_text() {
    let p = ok(ZOHO_1);
    let pl = pipeline(&p);
    let op = &pl.ops[0];
    assert_eq!(op.keyword_span.text(ZOHO_1), "where");
    assert_eq!(op.pipe_span.unwrap().text(ZOHO_1), "|");
    if let Operator::Where { pred } = &op.op {
        assert_eq!(
            pred.span().text(ZOHO_1),
            "Timestamp between (Time_start..Time_end)"
        );
    }
    for c in &p.comments {
        assert!(c.text(ZOHO_1).starts_with("//"));
    }
}

#[test]
fn precedence() {
    // or < and < comparison < additive < multiplicative
    let e = where_pred("T | where a or b and c == d + e * f");
    let Expr::Logical { op, operands, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(*op, LogicalOp::Or);
    let Expr::Logical { op, operands, .. } = &operands[1] else {
        panic!()
    };
    assert_eq!(*op, LogicalOp::And);
    let Expr::Binary { op, rhs, .. } = &operands[1] else {
        panic!()
    };
    assert_eq!(*op, BinOp::Eq);
    let Expr::Binary { op, rhs, .. } = &**rhs else {
        panic!()
    };
    assert_eq!(*op, BinOp::Add);
    assert!(matches!(&**rhs, Expr::Binary { op: BinOp::Mul, .. }));
    // left associativity
    let e = extend_expr("T | extend x = a - b - c");
    let Expr::Binary { lhs, .. } = &e else {
        panic!()
    };
    assert!(matches!(&**lhs, Expr::Binary { op: BinOp::Sub, .. }));
    // unary and postfix
    let e = extend_expr("T | extend x = -a.b[0]");
    let Expr::Unary { operand, .. } = &e else {
        panic!()
    };
    assert!(matches!(&**operand, Expr::Index { .. }));
}

#[test]
fn string_operators() {
    let cases = [
        ("has", StrOpKind::Has, false, false),
        ("!has", StrOpKind::Has, true, false),
        ("has_cs", StrOpKind::Has, false, true),
        ("!has_cs", StrOpKind::Has, true, true),
        ("hasprefix", StrOpKind::HasPrefix, false, false),
        ("!hasprefix", StrOpKind::HasPrefix, true, false),
        ("hasprefix_cs", StrOpKind::HasPrefix, false, true),
        ("hassuffix", StrOpKind::HasSuffix, false, false),
        ("!hassuffix", StrOpKind::HasSuffix, true, false),
        ("hassuffix_cs", StrOpKind::HasSuffix, false, true),
        ("contains", StrOpKind::Contains, false, false),
        ("!contains", StrOpKind::Contains, true, false),
        ("contains_cs", StrOpKind::Contains, false, true),
        ("!contains_cs", StrOpKind::Contains, true, true),
        ("startswith", StrOpKind::StartsWith, false, false),
        ("!startswith", StrOpKind::StartsWith, true, false),
        ("startswith_cs", StrOpKind::StartsWith, false, true),
        ("!startswith_cs", StrOpKind::StartsWith, true, true),
        ("endswith", StrOpKind::EndsWith, false, false),
        ("!endswith", StrOpKind::EndsWith, true, false),
        ("endswith_cs", StrOpKind::EndsWith, false, true),
        ("!endswith_cs", StrOpKind::EndsWith, true, true),
        ("=~", StrOpKind::Equals, false, false),
        ("!~", StrOpKind::Equals, true, false),
        ("matches regex", StrOpKind::MatchesRegex, false, true),
    ];
    for (text, kind, neg, cs) in cases {
        let q = format!("T | where Col {text} 'x'");
        let e = where_pred(&q);
        let Expr::StringOp { op, op_span, .. } = &e else {
            panic!("{text}: {e:?}")
        };
        assert_eq!(op.kind, kind, "{text}");
        assert_eq!(op.is_negated(), neg, "{text}");
        assert_eq!(op.is_case_sensitive(), cs, "{text}");
        assert_eq!(op.as_str(), text);
        assert_eq!(op_span.text(&q), text);
        assert_eq!(
            op.is_term_operator(),
            matches!(
                kind,
                StrOpKind::Has | StrOpKind::HasPrefix | StrOpKind::HasSuffix
            )
        );
    }
}

#[test]
fn list_operators_and_between() {
    for (text, op) in [
        ("in", ListOp::In),
        ("!in", ListOp::NotIn),
        ("in~", ListOp::InCi),
        ("!in~", ListOp::NotInCi),
        ("has_any", ListOp::HasAny),
        ("has_all", ListOp::HasAll),
    ] {
        let q = format!("T | where Col {text} ('a', 'b')");
        let e = where_pred(&q);
        let Expr::In {
            op: got,
            list,
            op_span,
            ..
        } = &e
        else {
            panic!("{e:?}")
        };
        assert_eq!(*got, op);
        assert_eq!(list.len(), 2);
        assert_eq!(op_span.text(&q), text);
        assert_eq!(got.as_str(), text);
    }
    // subquery, dynamic array and let name on the right
    let e = where_pred("T | where a in ((T2 | project x))");
    let Expr::In { list, .. } = &e else { panic!() };
    assert!(matches!(list[0].unparen(), Expr::Pipeline(_)));
    let e = where_pred("T | where a in (T2 | project x)");
    let Expr::In { list, .. } = &e else { panic!() };
    assert!(matches!(&list[0], Expr::Pipeline(_)));
    let e = where_pred("T | where a has_any (dynamic(['x', 'y']))");
    let Expr::In { list, .. } = &e else { panic!() };
    assert!(matches!(lit(&list[0]), LitValue::Dynamic(_)));
    ok("let L = dynamic(['a']); T | where a has_any (L)");
    let e = where_pred("T | where t !between (1 .. 10)");
    assert!(matches!(e, Expr::Between { negated: true, .. }));
    let e = where_pred("T | where Timestamp between (ago(1d)..now())");
    assert!(matches!(e, Expr::Between { negated: false, .. }));
}

#[test]
fn literals() {
    let cases: &[(&str, LitValue)] = &[
        ("1", LitValue::Long(1)),
        ("0x1F", LitValue::Long(31)),
        ("1.5", LitValue::Real(1.5)),
        ("1e3", LitValue::Real(1000.0)),
        ("true", LitValue::Bool(true)),
        ("false", LitValue::Bool(false)),
        ("5d", LitValue::Timespan(5 * literal::TICKS_PER_DAY)),
        ("1h", LitValue::Timespan(literal::TICKS_PER_HOUR)),
        ("30m", LitValue::Timespan(30 * literal::TICKS_PER_MINUTE)),
        ("10s", LitValue::Timespan(10 * literal::TICKS_PER_SECOND)),
        (
            "100ms",
            LitValue::Timespan(100 * literal::TICKS_PER_MILLISECOND),
        ),
        ("10microsecond", LitValue::Timespan(100)),
        ("1tick", LitValue::Timespan(1)),
        (
            "2.5h",
            LitValue::Timespan(25 * literal::TICKS_PER_HOUR / 10),
        ),
        ("1min", LitValue::Timespan(literal::TICKS_PER_MINUTE)),
        (
            "time(1.02:03:04)",
            LitValue::Timespan(
                literal::TICKS_PER_DAY
                    + 2 * literal::TICKS_PER_HOUR
                    + 3 * literal::TICKS_PER_MINUTE
                    + 4 * literal::TICKS_PER_SECOND,
            ),
        ),
        (
            "timespan(2)",
            LitValue::Timespan(2 * literal::TICKS_PER_DAY),
        ),
        (
            "time(15 seconds)",
            LitValue::Timespan(15 * literal::TICKS_PER_SECOND),
        ),
        (
            "datetime(1970-01-02)",
            LitValue::Datetime(Some(literal::TICKS_PER_DAY)),
        ),
        (
            "datetime(2024-01-01T10:00:00Z)",
            LitValue::Datetime(Some(
                1_704_067_200 * literal::TICKS_PER_SECOND + 10 * literal::TICKS_PER_HOUR,
            )),
        ),
        (
            "datetime(2024-01-01 10:00:00.5)",
            LitValue::Datetime(Some(
                1_704_067_200 * literal::TICKS_PER_SECOND
                    + 10 * literal::TICKS_PER_HOUR
                    + 5_000_000,
            )),
        ),
        ("datetime(null)", LitValue::Null("datetime".into())),
        ("int(null)", LitValue::Null("int".into())),
        ("long(1)", LitValue::Long(1)),
        ("int(-3)", LitValue::Int(-3)),
        ("bool(true)", LitValue::Bool(true)),
        ("decimal(1.5)", LitValue::Decimal("1.5".into())),
        (
            "guid(74be27de-1e4e-49d9-b579-fe0b331d3642)",
            LitValue::Guid("74be27de-1e4e-49d9-b579-fe0b331d3642".into()),
        ),
    ];
    for (text, want) in cases {
        let q = format!("print x = {text}");
        let p = ok(&q);
        let Expr::TabularOp(op) = last_expr(&p) else {
            panic!()
        };
        let Operator::Print { cols } = &op.op else {
            panic!()
        };
        assert_eq!(lit(&cols[0].expr), want, "{text}");
        assert_eq!(cols[0].expr.span().text(&q), *text);
    }
    let e = extend_expr("T | extend x = real(nan)");
    assert!(matches!(lit(&e), LitValue::Real(v) if v.is_nan()));
}

#[test]
fn string_literals() {
    let cases = [
        (r#"'a\'b'"#, "a'b", false),
        (r#""a\"b\\c\n\t\u0041""#, "a\"b\\c\n\tA", false),
        (r#"@'C:\path''s'"#, r"C:\path's", false),
        (r#"@"x""y""#, "x\"y", false),
        (r#"h'secret'"#, "secret", true),
        (r#"H@"a\b""#, r"a\b", true),
        ("```multi\nline```", "multi\nline", false),
        ("'a' 'b' \"c\"", "abc", false),
    ];
    for (text, want, obf) in cases {
        let q = format!("T | extend x = {text}");
        let e = extend_expr(&q);
        assert_eq!(
            lit(&e),
            &LitValue::String {
                value: want.to_string(),
                obfuscated: obf
            },
            "{text}"
        );
        assert_eq!(e.span().text(&q), text);
    }
}

#[test]
fn dynamic_literals() {
    let e = extend_expr(
        r#"T | extend x = dynamic({"a": [1, -2, 'x', {"b": null}], "c": true, "d": 1.5})"#,
    );
    let LitValue::Dynamic(v) = lit(&e) else {
        panic!()
    };
    let DynKind::Object(entries) = &v.kind else {
        panic!()
    };
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0].key, "a");
    let DynKind::Array(items) = &entries[0].value.kind else {
        panic!()
    };
    assert_eq!(items[1].kind, DynKind::Long(-2));
    assert_eq!(items[2].kind, DynKind::String("x".into()));
    let e = extend_expr("T | extend x = dynamic(null)");
    assert!(matches!(
        lit(&e),
        LitValue::Dynamic(DynValue {
            kind: DynKind::Null,
            ..
        })
    ));
    ok("T | extend x = dynamic([datetime(2024-01-01), 1d])");
    ok("T | extend x = dynamic([])");
    ok("T | extend x = dynamic({})");
    // Kusto: keys are quoted, no trailing commas, no empty value.
    one_err("T | extend x = dynamic({a: 1})");
    one_err("T | extend x = dynamic([1, 2,])");
    one_err(r#"T | extend x = dynamic({"a": 1,})"#);
    one_err("T | extend x = dynamic()");
}

#[test]
fn tabular_operators() {
    let p = ok(
        "T | project a, B = b + 1 | project-away Col*, *Id | project-keep X* \
         | project-rename New = Old | project-reorder A, B* desc | extend c = 1",
    );
    let ops = &pipeline(&p).ops;
    assert!(
        matches!(&ops[0].op, Operator::Project { cols } if cols.len() == 2 && cols[1].names[0].name == "B")
    );
    match &ops[1].op {
        Operator::ProjectAway { cols } => {
            assert_eq!(cols[0].text, "Col*");
            assert!(cols[0].is_wildcard());
            assert_eq!(cols[1].text, "*Id");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(ops[1].name, "project-away");
    assert!(
        matches!(&ops[3].op, Operator::ProjectRename { renames } if renames[0].new.name == "New" && renames[0].old.name == "Old")
    );
    assert!(
        matches!(&ops[4].op, Operator::ProjectReorder { cols } if cols[1].order.as_ref().unwrap().name == "desc")
    );

    match first_op(
        "T | join kind=leftouter hint.strategy=broadcast (T2 | where x > 1) on $left.A == $right.B, C",
    ) {
        Operator::Join { params, right, on } => {
            assert_eq!(params.len(), 2);
            assert_eq!(params[0].name.name, "kind");
            assert_eq!(params[0].value.as_name(), Some("leftouter"));
            assert_eq!(params[1].name.name, "hint.strategy");
            assert!(matches!(right.unparen(), Expr::Pipeline(_)));
            assert_eq!(on.len(), 2);
            assert!(
                matches!(&on[0], Expr::Binary { op: BinOp::Eq, lhs, .. } if matches!(&**lhs, Expr::Member { .. }))
            );
        }
        other => panic!("{other:?}"),
    }
    match first_op("T | union withsource=Src isfuzzy=true Device*, (T2), table('x')") {
        Operator::Union { params, tables } => {
            assert_eq!(params.len(), 2);
            assert!(matches!(&tables[0], Expr::Wildcard(p) if p.text == "Device*"));
            assert!(matches!(&tables[1], Expr::Paren { .. }));
            assert!(matches!(&tables[2], Expr::Call { .. }));
        }
        other => panic!("{other:?}"),
    }
    match first_op("T | summarize Count = count(), dcount(x) by bin(Timestamp, 1h), DeviceId") {
        Operator::Summarize {
            aggs, by, by_span, ..
        } => {
            assert_eq!(aggs.len(), 2);
            assert_eq!(by.len(), 2);
            assert!(by_span.is_some());
        }
        other => panic!("{other:?}"),
    }
    match first_op("T | top 10 by Count desc nulls last") {
        Operator::Top { by, .. } => {
            assert_eq!(by.order, Some(SortOrder::Desc));
            assert_eq!(by.nulls, Some(NullsOrder::Last));
        }
        other => panic!("{other:?}"),
    }
    match first_op("T | sort by A asc nulls first, B") {
        Operator::Sort { keys, .. } => assert_eq!(keys.len(), 2),
        other => panic!("{other:?}"),
    }
    match first_op(r#"T | parse kind=regex flags=Ui Msg with * "user=" User:string "," Rest"#) {
        Operator::Parse {
            filter,
            params,
            pattern,
            ..
        } => {
            assert!(!filter);
            assert_eq!(params.len(), 2);
            assert_eq!(pattern.len(), 5);
            assert!(
                matches!(&pattern[2], ParsePart::Column { name, ty: Some(t), .. } if name.name == "User" && t.name == "string")
            );
        }
        other => panic!("{other:?}"),
    }
    match first_op("T | mv-expand with_itemindex=i x = Arr to typeof(string), B limit 10") {
        Operator::MvExpand {
            params,
            items,
            limit,
        } => {
            assert_eq!(params.len(), 1);
            assert_eq!(items.len(), 2);
            assert_eq!(items[0].to_type.as_ref().unwrap().name, "string");
            assert!(limit.is_some());
        }
        other => panic!("{other:?}"),
    }
    match first_op("T | mv-apply x = Arr to typeof(long) on (top 1 by x | project x)") {
        Operator::MvApply { on, .. } => {
            assert_eq!(on.len(), 2);
            assert!(on[0].pipe_span.is_none());
        }
        other => panic!("{other:?}"),
    }
    match first_op(
        "T | make-series C = count() default = 0 on Timestamp in range(ago(1d), now(), 1h) by D",
    ) {
        Operator::MakeSeries {
            aggs, range, by, ..
        } => {
            assert!(aggs[0].default.is_some());
            assert!(matches!(range, SeriesRange::InRange { .. }));
            assert_eq!(by.len(), 1);
        }
        other => panic!("{other:?}"),
    }
    match first_op("T | make-series avg(x) on Timestamp step 1h") {
        Operator::MakeSeries { range, .. } => {
            assert!(matches!(
                range,
                SeriesRange::FromTo {
                    from: None,
                    to: None,
                    ..
                }
            ))
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        first_op("T | evaluate bag_unpack(Col)"),
        Operator::Evaluate { .. }
    ));
    assert!(matches!(
        first_op("T | invoke f()"),
        Operator::Invoke { .. }
    ));
    assert!(
        matches!(first_op("T | as hint.materialized=true X"), Operator::As { name, .. } if name.name == "X")
    );
    assert!(
        matches!(first_op("T | render timechart with (title='x')"), Operator::Render { chart, with, .. } if chart.name == "timechart" && with.len() == 1)
    );
    assert!(matches!(
        first_op("T | lookup kind=inner T2 on A"),
        Operator::Lookup { .. }
    ));
    assert!(
        matches!(first_op("T | distinct *"), Operator::Distinct { cols, .. } if matches!(cols[0].expr, Expr::Star(_)))
    );
    assert!(matches!(first_op("T | take 5"), Operator::Take { .. }));
    assert!(matches!(first_op("T | limit 5"), Operator::Take { .. }));
    assert!(matches!(
        first_op("T | count"),
        Operator::Count { name: None }
    ));
    assert!(matches!(first_op("T | getschema"), Operator::GetSchema));
    assert!(matches!(
        first_op("T | serialize"),
        Operator::Serialize { .. }
    ));
    assert!(matches!(first_op("T | sample 5"), Operator::Sample { .. }));
    assert!(matches!(
        first_op("T | sample-distinct 5 of C"),
        Operator::SampleDistinct { .. }
    ));
    assert!(matches!(
        first_op("T | search 'x'"),
        Operator::Search { .. }
    ));
    assert!(matches!(
        first_op("T | reduce by Msg with threshold=0.5"),
        Operator::Reduce { .. }
    ));
    assert!(matches!(
        first_op("T | facet by A with (take 3)"),
        Operator::Facet { .. }
    ));
    assert!(
        matches!(first_op("T | fork (take 1) (count)"), Operator::Fork { branches } if branches.len() == 2)
    );
    assert!(matches!(
        first_op("T | partition by C (top 3 by x)"),
        Operator::Partition { .. }
    ));
    assert!(
        matches!(first_op("T | top-nested 3 of A by count(), top-nested 2 of B by sum(x)"), Operator::TopNested { clauses } if clauses.len() == 2)
    );
    assert!(matches!(
        first_op("T | parse-where M with 'a' X:int"),
        Operator::Parse { filter: true, .. }
    ));
    assert!(matches!(
        first_op("T | filter x > 1"),
        Operator::Where { .. }
    ));
    assert!(matches!(first_op("T | order by x"), Operator::Sort { .. }));
}

#[test]
fn source_operators_and_tables() {
    let p = ok("search in (T1, T2) Col has 'x'");
    let Expr::TabularOp(op) = last_expr(&p) else {
        panic!()
    };
    assert!(matches!(&op.op, Operator::Search { tables, .. } if tables.len() == 2));
    let p = ok("union isfuzzy=true Device*, T | where x > 1");
    let pl = pipeline(&p);
    assert!(matches!(&pl.source, Expr::TabularOp(_)));
    ok("range x from 1 to 10 step 1 | extend y = x * 2");
    ok("print a = 1, 'b'");
    ok("find withsource=S in (T1, T2) where x has 'a' project a, b");
    let p = ok("datatable(a:string, b:int)[ 'x', 1, 'y', 2, ]");
    assert!(
        matches!(last_expr(&p), Expr::Datatable { columns, values, .. } if columns.len() == 2 && values.len() == 4)
    );
    let p = ok("externaldata(a:string)[h@'https://example.com/a.csv'] with(format='csv')");
    assert!(
        matches!(last_expr(&p), Expr::ExternalData { uris, with, .. } if uris.len() == 1 && with.len() == 1)
    );
    ok("['My Table'] | take 1");
    ok("table('T') | take 1");
    ok("database('db').T | take 1");
    ok("cluster('c').database('d').T | take 1");
    // `materialize(...)` is only accepted as the whole value of a `let`.
    ok("let m = materialize(T | take 1); m | take 1");
    one_err("materialize(T | take 1) | take 1");
    one_err("let m = materialize(T) | take 1; m");
    one_err("let m = materialize(); m");
    ok("let x = toscalar(T | summarize count()); T | where c > x");
    ok("(T | where a > 1) | take 1");
    ok("T | join (datatable(a:int)[1]) on a");
}

#[test]
fn statements() {
    let p = ok("let f = (a:string, b:int = 3) { T | where c == a | take b }; f('x')");
    let Statement::Let(l) = &p.query.statements[0] else {
        panic!()
    };
    assert_eq!(l.name.name, "f");
    let LetValue::Function(f) = &l.value else {
        panic!()
    };
    assert_eq!(f.params.len(), 2);
    assert!(f.params[1].default.is_some());
    assert_eq!(f.body.len(), 1);
    // Kusto takes `(*)` or a column list, not both (`(a:string, *)` is an error).
    one_err("let T2 = (x:(*), y:(a:string, *)) { x | take 1 }; T2(T, T)");
    let p = ok("let T2 = (x:(*), y:(a:string)) { x | take 1 }; T2(T, T)");
    let Statement::Let(LetStmt {
        value: LetValue::Function(f),
        ..
    }) = &p.query.statements[0]
    else {
        panic!()
    };
    assert!(
        matches!(&f.params[0].ty, ParamType::Tabular { open: true, columns, .. } if columns.is_empty())
    );
    assert!(
        matches!(&f.params[1].ty, ParamType::Tabular { open: false, columns, .. } if columns.len() == 1)
    );
    let p = ok("let v = view () { T | take 1 }; v");
    assert!(matches!(
        &p.query.statements[0],
        Statement::Let(LetStmt {
            value: LetValue::Function(FunctionDef { is_view: true, .. }),
            ..
        })
    ));
    let p = ok("let f = () { let y = 1; T | take y }; f()");
    let Statement::Let(LetStmt {
        value: LetValue::Function(f),
        ..
    }) = &p.query.statements[0]
    else {
        panic!()
    };
    assert_eq!(f.body.len(), 2);
    let p = ok("set querytrace; set query_now = datetime(2024-01-01); T | take 1;");
    assert!(matches!(&p.query.statements[0], Statement::Set(s) if s.value.is_none()));
    assert!(matches!(&p.query.statements[1], Statement::Set(s) if s.value.is_some()));
    assert_eq!(p.query.statements.len(), 3);
    let p = ok("declare query_parameters(a:string = 'x', b:int); T | where x == a");
    assert!(
        matches!(&p.query.statements[0], Statement::DeclareQueryParameters(d) if d.params.len() == 2)
    );
    let p = ok("let x = (1 + 2); print x");
    assert!(matches!(
        &p.query.statements[0],
        Statement::Let(LetStmt {
            value: LetValue::Expr(Expr::Paren { .. }),
            ..
        })
    ));
}

#[test]
fn contextual_keywords_are_names() {
    ok("T | extend title = 2, type = 3, by2 = 4 | where kind == 1 | project kind, type");
    ok("T | summarize count() by kind");
    ok("T | where on == 1 and with == 2");
    ok("T | extend ['time'] = now() | where ['time'] > ago(1h)");
    ok("T | project take, top, sort, join, extend, summarize, render, range, bool, guid");
}

#[test]
fn reserved_keywords_need_brackets() {
    // Kusto wants these written `['x']`.
    for w in [
        "title", "where", "project", "has", "in", "by", "to", "string", "dynamic",
    ] {
        let q = format!("T | project DeviceName, {w}");
        let e = one_err(&q);
        // a missing expression: at the end of the `,`
        assert_eq!(e.span, Span::empty(23), "{q}: {e:?}");
    }
    let q = "T | where where == 1";
    assert_eq!(one_err(q).span.text(q), "where");
    one_err("T | extend time = now()");
    one_err("T | extend kind = 1");
    one_err("let where = 1; print 1");
    one_err("print s = string(null)");
    one_err("print b = boolean(false)");
    one_err("print x = toscalar");
    one_err("let n = toscalar(); print n");
    ok("T | extend title = 1, where = 2");
    ok("print int(1), long(2), real(1.5), bool(true), guid(null), time(1h), date(2020-01-01)");
}

#[test]
fn errors_point_at_the_right_place() {
    let q = "T | wher x == 1";
    let e = one_err(q);
    assert_eq!(e.span.text(q), "wher");
    assert!(
        e.message.contains("unknown tabular operator `wher`"),
        "{}",
        e.message
    );

    let q = "T | where x ==";
    let e = one_err(q);
    assert!(
        e.message.contains("expected an expression after `==`"),
        "{}",
        e.message
    );
    assert_eq!(e.span.start as usize, q.len());

    // Like Kusto, a missing token is reported at the end of the previous one.
    let q = "T | where (x == 1 | take 1";
    let e = one_err(q);
    assert_eq!(e.span, Span::empty(q.len() as u32));
    assert!(
        e.message.contains("expected `)` to close the `(` at 1:11"),
        "{}",
        e.message
    );

    let q = "T | where\n| take 1";
    let e = one_err(q);
    assert_eq!(e.span, Span::empty(9));

    // an unclosed string ends at the end of its line
    let q = "T | where x == 'abc\n| take 1";
    let e = one_err(q);
    assert_eq!(e.span, Span::empty(19));
    assert!(e.message.contains("unterminated string"), "{}", e.message);

    // a digit-led word that is no number or timespan is a name
    ok("T | extend x = 1w");

    let q = "T | where x in (1, 2";
    let e = one_err(q);
    assert_eq!(e.span, Span::empty(q.len() as u32));

    let q = "T | where a > 1 ) | take 1";
    let e = one_err(q);
    assert_eq!(e.span.text(q), ")");

    let q = "T | project a b";
    let e = one_err(q);
    assert_eq!(e.span, Span::empty(13));

    let q = "T | where a # b";
    let e = one_err(q);
    assert_eq!(e.span.text(q), "#");

    let q = "T | scan with (step s: true)";
    let e = one_err(q);
    assert!(e.message.contains("`;` after the step"), "{}", e.message);

    let q = "T | graph-merge G2";
    let e = one_err(q);
    assert!(e.message.contains("not supported"));

    // accepted by Kusto
    ok("T | join T2");
    ok("T | summarize");
    ok("T | extend x = datetime(hello)");
    ok("T | where x == 1 | project-away");
    one_err("let x = ; T");
    one_err("T | extend x = f(1,");
    one_err("T | take");
    one_err("T | where x has_any 'a'");
    one_err("T | where x between (1, 2)");
    one_err("print x = dynamic([1, 2)");
    one_err("let f = (a:string { a }; f('x')");
}

#[test]
fn recovery_keeps_good_clauses() {
    let q = "T | wher x == 1 | project a | extend b = (1 + ) | take 5";
    let p = parse(q);
    assert_eq!(p.errors.len(), 2, "{:#?}", p.errors);
    assert!(p.errors[0].span.start < p.errors[1].span.start);
    let pl = pipeline(&p);
    assert_eq!(pl.ops.len(), 4);
    assert!(matches!(pl.ops[0].op, Operator::Error));
    assert!(matches!(pl.ops[1].op, Operator::Project { .. }));
    assert!(matches!(pl.ops[2].op, Operator::Error));
    assert!(matches!(pl.ops[3].op, Operator::Take { .. }));

    // errors in two statements
    let q = "let a = 1 +; let b = 2; T | where | take 1";
    let p = parse(q);
    assert_eq!(p.errors.len(), 2, "{:#?}", p.errors);
    assert_eq!(p.query.statements.len(), 3);
    assert!(matches!(p.query.statements[1], Statement::Let(_)));

    // error inside a subquery recovers inside the parentheses
    let q = "T | join (T2 | wher x | take 1) on A | take 2";
    let p = parse(q);
    assert_eq!(p.errors.len(), 1, "{:#?}", p.errors);
    let pl = pipeline(&p);
    assert_eq!(pl.ops.len(), 2);
    assert!(matches!(pl.ops[0].op, Operator::Join { .. }));

    // a single typo never cascades
    let q = "T | where x = = 1 and y == 2 or (z | project a";
    assert_eq!(parse(q).errors.len(), 1, "{:#?}", parse(q).errors);
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let start = std::time::Instant::now();
    let q = "(".repeat(10_000) + &")".repeat(10_000);
    let e = one_err(&q);
    assert_eq!(e.message, "query nests too deeply (more than 256 levels)");
    let q = format!("T | where {}1", "-(".repeat(10_000));
    assert!(one_err(&q).message.contains("nests too deeply"));
    // Kusto does not stack signs
    one_err(&format!("T | where {}1", "-".repeat(10_000)));
    let q = format!("print dynamic({}", "[".repeat(10_000));
    assert!(one_err(&q).message.contains("nests too deeply"));
    let q = format!("print {}1{}", "f(".repeat(5_000), ")".repeat(5_000));
    assert!(one_err(&q).message.contains("nests too deeply"));
    let q = format!("T{}", " | mv-apply x on (take 1".repeat(400));
    assert!(one_err(&q).message.contains("nests too deeply"));
    let q = "let f = () {".repeat(1000);
    assert!(one_err(&q).message.contains("nests too deeply"));
    assert!(start.elapsed().as_secs() < 5);
    // just below the limit is fine
    let q = format!("print {}1{}", "(".repeat(250), ")".repeat(250));
    ok(&q);
    let q = format!("print {}1{}", "f(".repeat(120), ")".repeat(120));
    ok(&q);
}

#[test]
fn long_flat_chains() {
    let mut q = String::from("T | where a");
    for _ in 0..100_000 {
        q.push_str(" or a");
    }
    let p = ok(&q);
    match &pipeline(&p).ops[0].op {
        Operator::Where {
            pred: Expr::Logical { operands, .. },
        } => assert_eq!(operands.len(), 100_001),
        other => panic!("{other:?}"),
    }
    let mut q = String::from("T");
    for _ in 0..100_000 {
        q.push_str(" | where x > 1");
    }
    let p = ok(&q);
    assert_eq!(pipeline(&p).ops.len(), 100_000);
    let q = "let x = 1;\n".repeat(50_000) + "print x";
    assert_eq!(ok(&q).query.statements.len(), 50_001);
}

#[test]
fn one_megabyte_query() {
    let mut q = String::from("DeviceProcessEvents\n");
    while q.len() < 1_000_000 {
        q.push_str("| where FileName has_any ('a.exe', 'b.exe') and ProcessCommandLine contains \"-enc\" | extend X = strcat(A, '-', tostring(B))\n");
    }
    let start = std::time::Instant::now();
    let p = ok(&q);
    assert!(pipeline(&p).ops.len() > 10_000);
    // generous bound: debug build
    assert!(start.elapsed().as_secs() < 10);
}

#[test]
fn visit_walks_everything() {
    let p = ok(HUNT_3);
    let mut names = Vec::new();
    visit::for_each_expr(&p.query, |e| {
        if let Expr::Name(i) = e {
            names.push(i.name.clone());
        }
    });
    assert!(names.contains(&"DeviceNetworkEvents".to_string()));
    assert!(names.contains(&"ProcessCommandLine".to_string()));
    let mut ops = Vec::new();
    visit::for_each_op(&p.query, |op| ops.push(op.name.clone()));
    assert!(ops.contains(&"join".to_string()));
    assert!(ops.contains(&"summarize".to_string()));
    assert_eq!(ops.iter().filter(|o| *o == "summarize").count(), 2);
    let mut pipelines = 0;
    visit::for_each_pipeline(&p.query, |_| pipelines += 1);
    assert!(pipelines >= 3);
    let mut str_ops = 0;
    visit::for_each_expr(&p.query, |e| {
        if matches!(e, Expr::StringOp { .. } | Expr::In { .. }) {
            str_ops += 1;
        }
    });
    assert_eq!(str_ops, 3);
}

#[test]
fn serializes_to_json() {
    let p = ok(HUNT_4);
    let json = serde_json::to_string(&p).unwrap();
    assert!(json.contains("\"make-series\""));
}

/// Tiny deterministic PRNG (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn check_invariants(q: &str) {
    let p = parse(q);
    for w in p.errors.windows(2) {
        assert!(
            w[0].span.start <= w[1].span.start,
            "errors not sorted for {q:?}"
        );
    }
    for e in &p.errors {
        assert!(
            e.span.start <= e.span.end && e.span.end as usize <= q.len(),
            "{q:?}: {e:?}"
        );
        assert!(!e.message.is_empty());
    }
    let _ = tokenize(q);
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let alphabet: &[u8] = b"abT|()[]{}'\"@h$,.;:=!~<>+-*/% \n0123456789xe`\\#";
    for _ in 0..3_000 {
        let len = rng.below(120);
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                if rng.below(10) == 0 {
                    rng.next() as u8
                } else {
                    alphabet[rng.below(alphabet.len())]
                }
            })
            .collect();
        let s = String::from_utf8_lossy(&bytes);
        check_invariants(&s);
    }
}

#[test]
fn random_token_soup_never_panics() {
    let mut rng = Rng(42);
    let words = [
        "T",
        "|",
        "where",
        "project",
        "project-away",
        "summarize",
        "by",
        "join",
        "kind",
        "=",
        "inner",
        "on",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ",",
        ";",
        "let",
        "x",
        "==",
        "has",
        "!has",
        "in",
        "!in~",
        "between",
        "..",
        "and",
        "or",
        "not",
        "'s'",
        "\"d\"",
        "1",
        "5d",
        "1w",
        "datetime(2024-01-01)",
        "dynamic(",
        "mv-expand",
        "to",
        "typeof",
        "make-series",
        "step",
        "parse",
        "with",
        "*",
        "-",
        "+",
        "union",
        "print",
        "range",
        "from",
        "$left",
        ".",
        "A",
        "evaluate",
        "bag_unpack",
        "mv-apply",
        "top",
        "asc",
        "nulls",
        "last",
        "datatable",
        "externaldata",
        "h'x'",
        "@'y'",
        "search",
        "find",
        "view",
        "set",
        "declare",
        "query_parameters",
        ":",
        "string",
        "//c\n",
        "```",
        "'unterminated",
    ];
    for _ in 0..5_000 {
        let n = rng.below(40);
        let mut s = String::new();
        for _ in 0..n {
            s.push_str(words[rng.below(words.len())]);
            if rng.below(3) != 0 {
                s.push(' ');
            }
        }
        check_invariants(&s);
    }
}

#[test]
fn mutated_catalog_queries_never_panic() {
    let mut rng = Rng(7);
    for base in [ZOHO_1, ZOHO_2, HUNT_3, HUNT_4] {
        let b = base.as_bytes();
        for _ in 0..500 {
            let mut v = b.to_vec();
            for _ in 0..1 + rng.below(4) {
                match rng.below(3) {
                    0 if !v.is_empty() => {
                        let i = rng.below(v.len());
                        v.remove(i);
                    }
                    1 => {
                        let i = rng.below(v.len() + 1);
                        v.insert(i, b"()[]'\"|;,=!"[rng.below(11)]);
                    }
                    _ if !v.is_empty() => {
                        let (i, j) = (rng.below(v.len()), rng.below(v.len()));
                        v.truncate(i.max(j));
                    }
                    _ => {}
                }
            }
            check_invariants(&String::from_utf8_lossy(&v));
        }
    }
}

#[test]
fn nesting_just_below_the_big_stack_threshold() {
    // Parsed on the caller's (small, test-thread) stack: must still fit in debug builds.
    let q = format!(
        "T{}{}",
        " | mv-apply x on (take 1".repeat(12),
        ")".repeat(12)
    );
    ok(&q);
    let q = format!("print {}1{}", "f(-".repeat(12), ")".repeat(12));
    ok(&q);
    let q = format!(
        "T | where x in ({}1{})",
        "(T | where y in (".repeat(6),
        "))".repeat(6)
    );
    ok(&q);
}

/// Forms found in real content that Kusto.Language accepts (tests/kql_differential.rs
/// runs them against it): each keeps a useful tree.
#[test]
fn real_content_forms() {
    // Kusto's whitespace: Unicode spaces, the zero-width space and the BOM.
    ok("T\u{a0}|\u{200b}where x == 1\u{3000}|\u{180e}take 1\u{feff}");
    // ...but not the format characters Kusto does not skip, nor VT or U+2028.
    for bad in ["T\u{200c}| take 1", "T\u{0b}| take 1", "T\u{2028}| take 1"] {
        assert_eq!(one_err(bad).span.start, 1, "{bad:?}");
    }

    // `x.[0]` is `x[0]`; `x.['k']` is still a member.
    match extend_expr("T | extend a = x.[0].b") {
        Expr::Member { target, member, .. } => {
            assert_eq!(member.name, "b");
            assert!(matches!(*target, Expr::Index { .. }));
        }
        other => panic!("expected a member of an index, got {other:?}"),
    }
    assert!(matches!(
        extend_expr("T | extend a = x.['k']"),
        Expr::Member { member, .. } if member.name == "k"
    ));
    assert!(matches!(
        extend_expr("T | extend a = x.['a' + 'b']"),
        Expr::Index { .. }
    ));

    // `typeof(...)` is a type, whatever the keyword.
    match extend_expr("T | extend a = extractjson('$.a', x, typeof(string))") {
        Expr::Call { args, .. } => assert!(matches!(
            &args[2],
            Expr::TypeOf { ty: Some(t), .. } if t.name == "string"
        )),
        other => panic!("expected a call, got {other:?}"),
    }
    assert!(matches!(
        extend_expr("T | extend a = typeof(a:string, *)"),
        Expr::TypeOf { ty: None, columns, open: true, .. } if columns.len() == 1
    ));
    assert!(!errs("print typeof(count)").is_empty());

    // The deprecated operator spellings.
    assert!(matches!(
        first_op("T | mvexpand x to typeof(long) limit 5"),
        Operator::MvExpand { items, limit: Some(_), .. }
            if items[0].to_type.as_ref().is_some_and(|t| t.name == "long")
    ));
    assert!(matches!(
        first_op("T | mvapply x on (take 1)"),
        Operator::MvApply { .. }
    ));

    // Named arguments keep their value; `kind` must be bracketed there.
    match extend_expr("T | extend a = f(x, name = 1)") {
        Expr::Call { args, .. } => assert!(matches!(lit(&args[1]), LitValue::Long(1))),
        other => panic!("expected a call, got {other:?}"),
    }
    assert_eq!(one_err("T | extend a = f(x, kind = 1)").span.start, 20);

    // `distinct` names its columns; `*` anywhere.
    assert!(matches!(
        first_op("T | distinct a = b, c, *"),
        Operator::Distinct { cols, .. }
            if cols[0].names[0].name == "a" && matches!(cols[2].expr, Expr::Star(_))
    ));

    // `count as Name`, not a keyword.
    assert!(matches!(
        first_op("T | count as Total"),
        Operator::Count { name: Some(n) } if n.name == "Total"
    ));
    assert!(!errs("T | count as count").is_empty());

    // `evaluate f() : (schema)`.
    assert!(matches!(
        first_op("T | evaluate bag_unpack(x) : (*, a:string,)"),
        Operator::Evaluate { schema: Some(s), .. } if s.open && s.columns.len() == 1
    ));
    assert!(!errs("T | evaluate bag_unpack(x) : (a:string, *)").is_empty());

    // The deprecated `render` properties.
    match first_op("T | render areachart kind=stacked title='x' by A, B with 'y'") {
        Operator::Render { with, legacy, .. } => {
            let names: Vec<_> = with.iter().map(|p| p.name.name.as_str()).collect();
            assert_eq!(names, ["kind", "title"]);
            let names: Vec<_> = legacy.iter().map(|p| p.name.name.as_str()).collect();
            assert_eq!(names, ["by", "by", "with"]);
        }
        other => panic!("expected render, got {other:?}"),
    }
}

#[test]
fn graph_operators() {
    let q = "E | make-graph a --> b with N on name, M on id | graph-match cycles=none \
             (x)-[e*1..3]->(y)<--(z), (y)-[f]-() where x.n == 1 project x.n, c = f.k \
             | graph-to-table nodes as N with_node_id=Id, edges as X with_source_id=S";
    let parsed = ok(q);
    let ops = &pipeline(&parsed).ops;
    match &ops[0].op {
        Operator::MakeGraph {
            source,
            directed,
            target,
            nodes,
            node_id,
            ..
        } => {
            assert_eq!((source.name.as_str(), target.name.as_str()), ("a", "b"));
            assert!(*directed);
            assert_eq!(nodes.len(), 2);
            assert!(node_id.is_none());
        }
        other => panic!("{other:?}"),
    }
    match &ops[1].op {
        Operator::GraphMatch {
            shortest,
            params,
            patterns,
            pred,
            project,
        } => {
            assert!(!shortest);
            assert_eq!(params[0].name.name, "cycles");
            assert_eq!(patterns.len(), 2);
            let p = &patterns[0];
            assert_eq!(p.nodes.len(), 3);
            assert_eq!(p.edges[0].dir, EdgeDir::Out);
            assert_eq!(p.edges[0].hops, Some((1, 3)));
            assert_eq!(p.edges[1].dir, EdgeDir::In);
            assert!(p.edges[1].name.is_none());
            assert_eq!(patterns[1].edges[0].dir, EdgeDir::Any);
            assert_eq!(patterns[1].nodes[1], None);
            assert!(pred.is_some());
            assert_eq!(project.len(), 2);
        }
        other => panic!("{other:?}"),
    }
    match &ops[2].op {
        Operator::GraphToTable { parts } => {
            assert_eq!(parts.len(), 2);
            assert!(!parts[0].edges && parts[1].edges);
            assert_eq!(parts[0].alias.as_ref().map(|a| a.name.as_str()), Some("N"));
            assert_eq!(parts[1].params[0].name.name, "with_source_id");
        }
        other => panic!("{other:?}"),
    }
    let parsed = ok("E | make-graph a -- b with_node_id=n | graph-mark-components kind=weak");
    assert!(matches!(
        pipeline(&parsed).ops[0].op,
        Operator::MakeGraph {
            directed: false,
            ..
        }
    ));
    one_err("E | make-graph a -> b");
    one_err("G | graph-match (a)<-[e]->(b)");
    one_err("G | graph-match (a)-[e*3..1]->(b)");
    one_err("G | graph-to-table nodes, nodes");
}

#[test]
fn project_by_names() {
    match first_op("T | project-by-names 'a', dynamic(['b']), column_names_of(U)") {
        Operator::ProjectByNames { cols } => assert_eq!(cols.len(), 3),
        other => panic!("{other:?}"),
    }
    one_err("T | project-by-names");
}

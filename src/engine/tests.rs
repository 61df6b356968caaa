//! Engine unit tests. Expectations are written by hand (from the KQL docs' examples
//! and hand-computed tables), never from the engine's own output.

use super::format::display;
use super::{Database, run};

pub(super) fn db() -> Database {
    Database {
        now: crate::kql::time::parse("2025-01-01T00:00:00Z").unwrap(),
        ..Database::default()
    }
}

/// Runs a query and renders the table as `col,col|v,v|v,v` for compact assertions.
pub(super) fn q(text: &str) -> String {
    let t = run(text, &db()).unwrap_or_else(|e| panic!("{text}: {e}"));
    let mut out = vec![t.names().join(",")];
    for r in &t.rows {
        out.push(r.iter().map(display).collect::<Vec<_>>().join(","));
    }
    out.join("|")
}

fn err(text: &str) -> String {
    run(text, &db()).expect_err(text).message
}

#[test]
fn print_and_literals() {
    assert_eq!(q("print x = 1, y = 2.5, s = 'a'"), "x,y,s|1,2.5,a");
    assert_eq!(q("print 1, 2"), "print_0,print_1|1,2");
    assert_eq!(
        q("print d = datetime(2018-07-01), t = 1d + 2h"),
        "d,t|2018-07-01 00:00:00.0000000,1.02:00:00"
    );
    assert_eq!(q("print n = int(null), b = true"), "n,b|,true");
}

#[test]
fn arithmetic_follows_kusto_types() {
    // int / int is integer division; a real operand makes it real.
    assert_eq!(
        q("print a = 7 / 2, b = 7 / 2.0, c = 7 % 3, d = -7 / 2"),
        "a,b,c,d|3,3.5,1,-3"
    );
    assert_eq!(
        q("print x = datetime(2020-01-02) - datetime(2020-01-01)"),
        "x|1.00:00:00"
    );
    assert_eq!(q("print x = 1h / 30m"), "x|2");
    assert_eq!(q("print x = 1 / 0"), "x|");
    assert_eq!(q("print x = long(null) + 1"), "x|");
}

#[test]
fn datatable_where_project_extend() {
    let t = "datatable(a:long, b:string)[1,'x', 2,'y', 3,'x']";
    assert_eq!(q(&format!("{t} | where b == 'x' | project a")), "a|1|3");
    assert_eq!(
        q(&format!(
            "{t} | extend c = a * 10, d = c + 1 | project-away b"
        )),
        "a,c,d|1,10,11|2,20,21|3,30,31"
    );
    assert_eq!(
        q(&format!("{t} | project-rename B = b | take 1")),
        "a,B|1,x"
    );
    assert_eq!(q(&format!("{t} | project-reorder b | take 1")), "b,a|x,1");
    assert_eq!(q(&format!("{t} | count")), "Count|3");
    assert_eq!(q(&format!("{t} | distinct b")), "b|x|y");
}

#[test]
fn sort_and_top_nulls() {
    let t = "datatable(a:long)[2, long(null), 1, 3]";
    // Default is descending with nulls last; ascending puts nulls first.
    assert_eq!(q(&format!("{t} | sort by a")), "a|3|2|1|");
    assert_eq!(q(&format!("{t} | sort by a asc")), "a||1|2|3");
    assert_eq!(q(&format!("{t} | sort by a asc nulls last")), "a|1|2|3|");
    assert_eq!(q(&format!("{t} | top 2 by a")), "a|3|2");
}

#[test]
fn summarize_groups_and_aggregates() {
    let t = "datatable(k:string, v:long)['a',1, 'b',2, 'a',3, 'b',4, 'a',5]";
    assert_eq!(
        q(&format!(
            "{t} | summarize count(), sum(v), avg(v), min(v), max(v) by k"
        )),
        "k,count_,sum_v,avg_v,min_v,max_v|a,3,9,3,1,5|b,2,6,3,2,4"
    );
    assert_eq!(
        q(&format!(
            "{t} | summarize c = countif(v > 2), d = dcount(k), l = make_list(v)"
        )),
        "c,d,l|3,2,[1,2,3,4,5]"
    );
    assert_eq!(q(&format!("{t} | summarize arg_max(v, k)")), "v,k|5,a");
    // No `by` over no rows: one row; with `by`: no rows.
    assert_eq!(q("datatable(v:long)[] | summarize count()"), "count_|0");
    assert_eq!(
        q("datatable(v:long)[] | summarize count() by v"),
        "v,count_"
    );
}

#[test]
fn summarize_by_bin() {
    let t = "datatable(t:datetime)[datetime(2020-01-01 00:10), datetime(2020-01-01 00:50), datetime(2020-01-01 01:05)]";
    assert_eq!(
        q(&format!("{t} | summarize n = count() by bin(t, 1h)")),
        "t,n|2020-01-01 00:00:00.0000000,2|2020-01-01 01:00:00.0000000,1"
    );
}

#[test]
fn range_and_let() {
    assert_eq!(q("range x from 1 to 3 step 1"), "x|1|2|3");
    assert_eq!(
        q("let n = 2; range x from 1 to 10 step 3 | where x > n"),
        "x|4|7|10"
    );
    assert_eq!(
        q("let f = (a:long, b:long = 10) { a + b }; print f(1), f(1, 2)"),
        "print_0,print_1|11,3"
    );
    assert_eq!(
        q(
            "let T = datatable(x:long)[1,2,3]; let g = (t:(x:long)) { t | where x > 1 }; g(T) | count"
        ),
        "Count|2"
    );
}

#[test]
fn joins() {
    let l = "datatable(k:string, a:long)['x',1, 'y',2, 'y',3]";
    let r = "datatable(k:string, b:long)['y',10, 'z',20]";
    assert_eq!(
        q(&format!("{l} | join kind=inner {r} on k")),
        "k,a,k1,b|y,2,y,10|y,3,y,10"
    );
    assert_eq!(q(&format!("{l} | join {r} on k")), "k,a,k1,b|y,2,y,10");
    assert_eq!(
        q(&format!("{l} | join kind=leftouter {r} on k")),
        "k,a,k1,b|x,1,,|y,2,y,10|y,3,y,10"
    );
    assert_eq!(q(&format!("{l} | join kind=leftanti {r} on k")), "k,a|x,1");
    assert_eq!(
        q(&format!("{l} | join kind=rightanti {r} on k")),
        "k,b|z,20"
    );
    assert_eq!(
        q(&format!(
            "{l} | join kind=inner ({r}) on $left.k == $right.k | project a, b"
        )),
        "a,b|2,10|3,10"
    );
    assert_eq!(
        q(&format!("{l} | lookup ({r}) on k")),
        "k,a,b|x,1,|y,2,10|y,3,10"
    );
}

#[test]
fn summarize_min_max_of_a_column_per_group() {
    // Groups interleaved, nulls skipped, a group of nulls only is null, no rows at all
    // gives one null row without `by`.
    let t = "datatable(g:string, x:long, d:datetime)['a',3,datetime(2025-01-02), 'b',long(null),datetime(null), 'a',7,datetime(2025-01-01), 'c',5,datetime(null), 'a',long(null),datetime(2025-01-03), 'c',1,datetime(null)]";
    assert_eq!(
        q(&format!(
            "{t} | summarize mx = max(x), mn = min(x), latest = max(d), n = count() by g"
        )),
        "g,mx,mn,latest,n|a,7,3,2025-01-03 00:00:00.0000000,3|b,,,,1|c,5,1,,2"
    );
    assert_eq!(
        q(&format!("{t} | where x > 100 | summarize max(x), min(d)")),
        "max_x,min_d|,"
    );
}

#[test]
fn join_keys_match_by_value_across_types_and_duplicates() {
    // A dynamic string key matches the equal string; a dynamic number matches the long;
    // null keys never match (an empty string is a value: `tostring(null)` matches '');
    // duplicate keys on both sides give every pair, in left order then
    // right order; 1 (long) and 1.0 (real) are different keys, as in `summarize by`.
    let l = "datatable(k:string, a:long)['y',1, '',2, 'x',3, 'y',4]";
    let r = "datatable(d:dynamic, b:long)[dynamic('y'),10, dynamic('x'),20, dynamic('y'),30, dynamic(null),40]";
    let r = format!("{r} | extend k = tostring(d) | project k, b");
    assert_eq!(
        q(&format!("{l} | join kind=inner ({r}) on k")),
        "k,a,k1,b|y,1,y,10|y,1,y,30|,2,,40|x,3,x,20|y,4,y,10|y,4,y,30"
    );
    let rd = "datatable(d:dynamic, b:long)[dynamic('y'),10, dynamic('x'),20, dynamic(null),40]";
    assert_eq!(
        q(&format!(
            "{l} | join kind=inner ({rd}) on $left.k == $right.d | project a, b"
        )),
        "a,b|1,10|3,20|4,10"
    );
    assert_eq!(
        q(&format!(
            "{l} | join kind=innerunique ({rd}) on $left.k == $right.d | project a, b"
        )),
        "a,b|1,10|3,20"
    );
    assert_eq!(
        q(&format!(
            "{l} | join kind=leftsemi ({rd}) on $left.k == $right.d"
        )),
        "k,a|y,1|x,3|y,4"
    );
    assert_eq!(
        q(&format!(
            "{l} | join kind=leftanti ({rd}) on $left.k == $right.d"
        )),
        "k,a|,2"
    );
    assert_eq!(
        q(&format!(
            "{l} | join kind=rightsemi ({rd}) on $left.k == $right.d"
        )),
        "d,b|y,10|x,20"
    );
    assert_eq!(
        q(&format!(
            "{l} | join kind=rightanti ({rd}) on $left.k == $right.d"
        )),
        "d,b|,40"
    );
    let n = "datatable(n:long, a:long)[1,1, 2,2]";
    let m =
        "datatable(n:real, b:long)[1.0,10] | union (datatable(n:dynamic, b:long)[dynamic(2),20])";
    assert_eq!(
        q(&format!("{n} | join kind=inner ({m}) on n | project a, b")),
        "a,b|2,20"
    );
    // Two key columns (computed keys) and an identity project before the join.
    let l2 = "datatable(k:string, j:long, a:long)['y',1,1, 'y',2,2]";
    let r2 = "datatable(k:string, j:long, b:long)['y',2,10, 'y',1,20]";
    assert_eq!(
        q(&format!(
            "{l2} | join kind=inner ({r2} | project k, j, b) on k, j | project a, b"
        )),
        "a,b|1,20|2,10"
    );
}

#[test]
fn summarize_and_count_right_after_a_join() {
    // Hand-computed: the inner join pairs are (y,2,10) (x,1,30) (x,1,40) (y,3,10),
    // in left order then right order; leftouter adds (w,4,null); rightouter adds
    // (null,z 50); fullouter both. A summarize reading one side runs over that side's
    // rows as the join pairs them: a right row matched twice counts twice.
    let l = "datatable(k:string, a:long)['y',2, 'x',1, 'y',3, 'w',4]";
    let r = "datatable(k:string, b:long, s:string)['y',10,'p', 'z',50,'q', 'x',30,'p', 'x',40,'q']";
    let j = |kind: &str, tail: &str| q(&format!("{l} | join kind={kind} ({r}) on k | {tail}"));
    assert_eq!(j("inner", "count"), "Count|4");
    assert_eq!(j("leftouter", "count"), "Count|5");
    assert_eq!(j("rightouter", "count"), "Count|5");
    assert_eq!(j("fullouter", "count"), "Count|6");
    assert_eq!(j("innerunique", "count"), "Count|3");
    assert_eq!(j("leftsemi", "count"), "Count|3");
    assert_eq!(
        j(
            "inner",
            "summarize n = count(), total = sum(b), mx = max(b), l = make_list(b) by s"
        ),
        "s,n,total,mx,l|p,3,50,30,[10,30,10]|q,1,40,40,[40]"
    );
    // Left columns only; a left row matched twice counts twice.
    assert_eq!(
        j(
            "inner",
            "summarize n = count(), l = make_list(a), m = min(a) by k"
        ),
        "k,n,l,m|y,2,[2,3],2|x,2,[1,1],1"
    );
    assert_eq!(
        j("leftouter", "summarize n = count(), l = make_list(a) by k"),
        "k,n,l|y,2,[2,3]|x,2,[1,1]|w,1,[4]"
    );
    // Right columns of a right outer join: the unmatched right row comes last.
    assert_eq!(j("rightouter", "summarize n = count() by s"), "s,n|p,3|q,2");
    // Both sides, a renamed right column (`k1`), `*`: the joined rows are built.
    assert_eq!(
        j("inner", "summarize n = count() by s, a"),
        "s,a,n|p,2,1|p,1,1|q,1,1|p,3,1"
    );
    assert_eq!(
        j("fullouter", "summarize n = count() by k1"),
        "k1,n|y,2|x,2|,1|z,1"
    );
    assert_eq!(
        j("inner", "summarize arg_max(b, *)"),
        "b,k,a,k1,s|40,x,1,x,q"
    );
    assert_eq!(
        j("inner", "summarize n = count() by bin(b, 20)"),
        "b,n|0,2|20,1|40,1"
    );
}

#[test]
fn union_and_mv_expand() {
    assert_eq!(
        q("union withsource=S (datatable(a:long)[1]), (datatable(b:string)['x'])"),
        "S,a,b|union_arg0,1,|union_arg1,,x"
    );
    assert_eq!(
        q("datatable(a:long, d:dynamic)[1, dynamic([10, 20])] | mv-expand d to typeof(long)"),
        "a,d|1,10|1,20"
    );
    assert_eq!(
        q("print d = dynamic({'a': 1, 'b': 2}) | mv-expand kind=array d"),
        "d|[\"a\",1]|[\"b\",2]"
    );
}

#[test]
fn parse_operator() {
    // From the parse-operator docs: simple mode with typed columns.
    assert_eq!(
        q(
            "print s = 'Event: NotifySliceRelease (resourceName=PipelineScheduler, totalSlices=27)' | parse s with * 'resourceName=' name ', totalSlices=' total:long ')' | project name, total"
        ),
        "name,total|PipelineScheduler,27"
    );
    assert_eq!(
        q("datatable(s:string)['a=1', 'b'] | parse-where s with k '=' v:long"),
        "s,k,v|a=1,a,1"
    );
}

#[test]
fn string_functions() {
    assert_eq!(
        q("print strlen('hello'), toupper('ab'), substring('abcdef', 1, 3)"),
        "print_0,print_1,print_2|5,AB,bcd"
    );
    assert_eq!(
        q("print split('a,b,c', ',')"),
        "print_0|[\"a\",\"b\",\"c\"]"
    );
    assert_eq!(
        q("print extract('x=([0-9]+)', 1, 'a x=42 b')"),
        "print_0|42"
    );
    // The rewrite's `\1` is the first capture group.
    assert_eq!(
        q("print replace_regex('abc', '(b)', '[\\\\1]')"),
        "print_0|a[b]c"
    );
    // countof counts overlapping matches in plain mode (docs: countof("aaa", "aa") is 2).
    assert_eq!(
        q("print countof('aaa', 'aa'), countof('aaa', 'a')"),
        "print_0,print_1|2,3"
    );
    assert_eq!(
        q("print 'North America' has 'america', 'KustoExplorer' has 'Explorer'"),
        "print_0,print_1|true,false"
    );
    assert_eq!(
        q("print trim('--', '--a--'), trim_end('x+', 'abxx')"),
        "print_0,print_1|a,ab"
    );
    assert_eq!(
        q("print hash_sha256('')"),
        "print_0|e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn datetime_functions() {
    let d = "datetime(2017-01-05 13:14:15)";
    assert_eq!(
        q(&format!(
            "print startofday({d}), startofweek({d}), startofmonth({d}), endofyear({d})"
        )),
        "print_0,print_1,print_2,print_3|2017-01-05 00:00:00.0000000,2017-01-01 00:00:00.0000000,2017-01-01 00:00:00.0000000,2017-12-31 23:59:59.9999999"
    );
    assert_eq!(
        q(&format!(
            "print dayofweek({d}), getmonth({d}), hourofday({d})"
        )),
        "print_0,print_1,print_2|4.00:00:00,1,13"
    );
    assert_eq!(
        q(
            "print datetime_add('month', 1, datetime(2017-01-31)), datetime_diff('day', datetime(2017-01-03), datetime(2017-01-01))"
        ),
        "print_0,print_1|2017-02-28 00:00:00.0000000,2"
    );
    assert_eq!(q("print ago(1d)"), "print_0|2024-12-31 00:00:00.0000000");
    assert_eq!(
        q(&format!("print format_datetime({d}, 'yyyy-MM-dd [HH:mm]')")),
        "print_0|2017-01-05 [13:14]"
    );
}

#[test]
fn conversions_and_dynamic() {
    assert_eq!(
        q("print toint('12'), tolong('x'), toreal('1.5'), tobool('true')"),
        "print_0,print_1,print_2,print_3|12,,1.5,true"
    );
    assert_eq!(
        q("print gettype(1), gettype(int(1)), gettype(dynamic([])), gettype('')"),
        "print_0,print_1,print_2,print_3|long,int,array,string"
    );
    assert_eq!(
        q(
            "print d = parse_json('{\"a\":{\"b\":[5,6]}}') | project x = d.a.b[-1], y = d['a']['b'][0]"
        ),
        "x,y|6,5"
    );
    assert_eq!(
        q("print array_length(dynamic([1,2,3])), bag_keys(dynamic({'a':1,'b':2}))"),
        "print_0,print_1|3,[\"a\",\"b\"]"
    );
    assert_eq!(
        q("print set_difference(dynamic([1,2,3]), dynamic([2]))"),
        "print_0|[1,3]"
    );
    assert_eq!(
        q("print isnull(int(null)), isempty(''), isnotempty('a')"),
        "print_0,print_1,print_2|true,true,true"
    );
}

#[test]
fn ip_and_conditional_functions() {
    assert_eq!(
        q(
            "print ipv4_is_in_range('192.168.1.6', '192.168.1.1/24'), ipv4_is_private('10.1.2.3'), ipv4_is_private('8.8.8.8')"
        ),
        "print_0,print_1,print_2|true,true,false"
    );
    assert_eq!(q("print parse_ipv4('127.0.0.1')"), "print_0|2130706433");
    assert_eq!(
        q(
            "print iff(1 > 2, 'a', 'b'), case(false, 1, true, 2, 3), coalesce('', 'x'), max_of(1, 5, 3)"
        ),
        "print_0,print_1,print_2,print_3|b,2,x,5"
    );
}

#[test]
fn serialize_prev_next() {
    assert_eq!(
        q(
            "range x from 1 to 3 step 1 | serialize | extend p = prev(x), n = next(x), r = row_number()"
        ),
        "x,p,n,r|1,,2,1|2,1,3,2|3,2,,3"
    );
}

#[test]
fn errors_are_located_not_panics() {
    assert!(err("print x = nosuch(1)").contains("unknown function"));
    assert!(err("T | take 1").contains("unknown table"));
    assert!(err("externaldata(a:string)['https://x'] | take 1").contains("no local file is bound"));
    assert!(err("print x = 1 +").starts_with("syntax error"));
}

#[test]
fn null_comparisons_follow_the_null_values_docs() {
    // null-values docs: 5 == int(null) is false, 5 != int(null) true; null > 3 is null;
    // `where ival != 5` keeps the null row.
    assert_eq!(
        q(
            "datatable(v:int)[5, int(null)] | extend eq = v == int(null), ne = v != int(null), gt = v > 3"
        ),
        "v,eq,ne,gt|5,false,true,true|,,,"
    );
    assert_eq!(
        q("datatable(v:int)[5, int(null)] | where v != 5 | count"),
        "Count|1"
    );
}

#[test]
fn named_arguments_and_defaults() {
    // user-defined-functions docs: f(c=7, a=12) and f(12, c=7) both give 12-b.default-7.
    let f = "let f = (a:long, b:string = 'b.default', c:long = 0) { strcat(a, '-', b, '-', c) };";
    assert_eq!(
        q(&format!("{f} print x = f(c=7, a=12), y = f(12, c=7)")),
        "x,y|12-b.default-7,12-b.default-7"
    );
}

#[test]
fn series_and_ipv6_functions() {
    assert_eq!(
        q("print series_add(dynamic([1,2,3]), dynamic([10,20,30]))"),
        "print_0|[11,22,33]"
    );
    assert_eq!(
        q("print series_greater(dynamic([1,5]), 2)"),
        "print_0|[false,true]"
    );
    assert_eq!(
        q("print series_fill_forward(dynamic([null,1,null,3]))"),
        "print_0|[null,1,1,3]"
    );
    assert_eq!(
        q("print ipv6_is_match('::ffff:7f00:1', '127.0.0.1'), ipv6_compare('fe80::1', 'fe80::2')"),
        "print_0,print_1|true,-1"
    );
}

#[test]
fn loose_datetime_forms() {
    assert_eq!(
        q("print datetime('12-02-2022'), datetime(2025, 6, 15), todatetime('02/17/2016 08:40:01')"),
        "print_0,print_1,print_2|2022-12-02 00:00:00.0000000,2025-06-15 00:00:00.0000000,2016-02-17 08:40:01.0000000"
    );
}

#[test]
fn hostile_inputs_do_not_panic() {
    let max = "9223372036854775807";
    let queries = [
        format!("print datetime_add('year', {max}, datetime(2020-01-01))"),
        format!("print datetime_add('day', {max}, datetime(2020-01-01))"),
        format!("print startofday(datetime(2020-01-01), {max}), endofweek(datetime(2020-01-01), {max})"),
        format!("print startofmonth(datetime(2020-01-01), {max}), startofyear(datetime(2020-01-01), -{max})"),
        "print datetime_diff('nanosecond', datetime(9999-12-31), datetime(0001-01-01))".to_string(),
        "print bin(datetime(9999-12-31), 1tick), bin(-9223372036854775807, 3)".to_string(),
        format!("print {max} + 1, -{max} - 2, {max} * 2, (-{max} - 1) / -1, (-{max} - 1) % -1"),
        format!("print abs(-{max} - 1), toint(1e30), tolong(1e300), round(1e300, 15)"),
        format!("print range(1, {max}, 4611686018427387904), array_slice(dynamic([1,2]), -{max}, {max})"),
        format!("print substring('abc', {max}, {max}), substring('abc', -{max}), strrep('ab', {max})"),
        format!("print 1d * 1e300, 1d / 0, datetime(2020-01-01) + {max}d"),
        format!("print make_timespan({max}, {max}), make_datetime({max}, 1, 1), unixtime_seconds_todatetime(1e300)"),
        format!("print tohex({max}, {max}), indexof('abc', 'b', {max}), array_index_of(dynamic([1]), 1, -{max})"),
        format!("print array_shift_left(dynamic([1,2,3]), {max}), array_rotate_right(dynamic([1,2,3]), -{max} - 1)"),
        format!("print format_datetime(datetime(2020-01-01), 'yyyyyyyyyyyyyyyyyyy'), format_timespan(-{max}tick, 'd.hh')"),
        "print extract('(', 1, 'x'), replace_regex('a', '[', 'b'), 'a' matches regex '('".to_string(),
        format!("range x from 1 to 3 step 1 | take {max} | mv-expand y = range(1, 3) limit {max}"),
        format!("print x = dynamic([1,2]) | mv-expand x | serialize | extend p = prev(x, {max}), n = next(x, -{max} - 1)"),
        "print parse_path('C:'), parse_path('\\\\\\\\server'), parse_url('a://'), parse_path('é:x')".to_string(),
        format!("print series_fill_linear(dynamic([null, null])), gamma(-{max}), percentile_x = 1"),
        format!("datatable(a:long)[1, 2] | summarize percentile(a, {max}), percentiles_array(a, -1, 1e300)"),
        format!("print bin_at(datetime(2020-01-01), 1d, datetime(0001-01-01)), bin_at({max}, 7, -{max})"),
    ];
    for q in &queries {
        let r = std::panic::catch_unwind(|| run(q, &db()));
        assert!(r.is_ok(), "panicked: {q}");
    }
}

#[test]
fn forms_from_real_content() {
    // `count as Name`, `distinct Name = expr`, `mvexpand` (the deprecated spelling).
    assert_eq!(q("datatable(a:long)[1, 2, 2] | count as Total"), "Total|3");
    assert_eq!(
        q("datatable(a:long)[1, 2, 2] | distinct b = a * 10"),
        "b|10|20"
    );
    assert_eq!(
        q("datatable(d:dynamic)[dynamic([1, 2])] | mvexpand d to typeof(long)"),
        "d|1|2"
    );
    // `typeof(T)` as a value, and `x.[i]` as `x[i]`.
    assert_eq!(q("print t = typeof(string)"), "t|string");
    assert_eq!(q("print v = dynamic([5, 6]).[1]"), "v|6");
}

#[test]
fn plugins_pivot_and_ipv4_lookup() {
    // Hand-computed: two users, actions a/b.
    let t = "datatable(u:string, a:string)['x','a', 'x','b', 'x','a', 'y','b']";
    assert_eq!(
        q(&format!("{t} | evaluate pivot(a, count(), u)")),
        "u,a,b|x,2,1|y,0,1"
    );
    let l =
        "let R = datatable(net:string, tag:string)['10.0.0.0/8','ten', '10.1.0.0/16','ten-one'];";
    assert_eq!(
        q(&format!(
            "{l} datatable(ip:string)['10.1.2.3', '10.9.9.9', '8.8.8.8'] | evaluate ipv4_lookup(R, ip, net)"
        )),
        "net,tag,ip|10.1.0.0/16,ten-one,10.1.2.3|10.0.0.0/8,ten,10.9.9.9"
    );
}

#[test]
fn search_terms_and_columns() {
    let t = "datatable(a:string, b:string)['Green apple','x', 'red','Greenish', 'blue','y']";
    assert_eq!(q(&format!("{t} | search 'green'")), "a,b|Green apple,x");
    assert_eq!(
        q(&format!("{t} | search 'green*'")),
        "a,b|Green apple,x|red,Greenish"
    );
    assert_eq!(
        q(&format!("{t} | search b:'y' or a:'red'")),
        "a,b|red,Greenish|blue,y"
    );
}

#[test]
fn make_series_fills_bins_with_defaults() {
    let t = "datatable(t:datetime, v:long)[datetime(2020-01-01), 1, datetime(2020-01-01 12:00), 2, datetime(2020-01-03), 5]";
    assert_eq!(
        q(&format!(
            "{t} | make-series s = sum(v) default = 0 on t from datetime(2020-01-01) to datetime(2020-01-04) step 1d"
        )),
        "s,t|[3,0,5],[\"2020-01-01T00:00:00.0000000Z\",\"2020-01-02T00:00:00.0000000Z\",\"2020-01-03T00:00:00.0000000Z\"]"
    );
    assert_eq!(
        q("datatable(t:datetime, v:long)[] | make-series count() on t step 1d"),
        "count_,t"
    );
}

#[test]
fn parse_kv_modes() {
    // parse-kv docs: non-greedy values stop at the pair delimiter; greedy ones run to
    // the next key.
    let s = "print str='name=John Doe phone=555 5555 city=New York'";
    let cols = "as (name:string, phone:string, city:string)";
    assert_eq!(
        q(&format!(
            "{s} | parse-kv str {cols} with (pair_delimiter=' ', kv_delimiter='=') | project-away str"
        )),
        "name,phone,city|John,555,New"
    );
    assert_eq!(
        q(&format!(
            "{s} | parse-kv str {cols} with (pair_delimiter=' ', kv_delimiter='=', greedy=true) | project-away str"
        )),
        "name,phone,city|John Doe,555 5555,New York"
    );
    // Without delimiters the pairs are found automatically; quoted keys and values.
    assert_eq!(
        q(
            "print s='x [INFO] Id:42, Host:n1' | parse-kv s as (Id:long, Host:string) | project-away s"
        ),
        "Id,Host|42,n1"
    );
    assert_eq!(
        q(
            "print s='a=1 \"b c\"=\"x y\"' | parse-kv s as (a:long, ['b c']:string) with (pair_delimiter=' ', kv_delimiter='=', quote='\"') | project-away s"
        ),
        "a,b c|1,x y"
    );
}

#[test]
fn row_window_functions() {
    // Hand-computed: ranks restart per category; equal values share the lower rank.
    assert_eq!(
        q(
            "datatable(c:string, v:long)['A',5,'A',10,'A',10,'A',20,'B',7] \
           | serialize | extend r = row_rank_min(v, c != prev(c)), d = row_rank_dense(v, c != prev(c)) \
           | project r, d"
        ),
        "r,d|1,1|2,2|2,2|4,3|1,1"
    );
    // Sessions: a gap over 5m or 1h from the session's start opens a new one.
    assert_eq!(
        q("datatable(t:long)[0, 3, 20, 22, 100] | serialize \
           | extend s = row_window_session(t, 50, 5) | project s"),
        "s|0|0|20|20|100"
    );
}

#[test]
fn running_window_functions_restart_per_table() {
    // Hand-computed: each mv-apply subtable (three rows, built one after the other)
    // starts its own running sum; the state kept between rows must not leak across them.
    assert_eq!(
        q("range x from 1 to 3 step 1 \
           | mv-apply y = pack_array(x, x * 10, x * 100) to typeof(long) \
             on (serialize | extend s = row_cumsum(y)) | project s"),
        "s|1|11|111|2|22|222|3|33|333"
    );
    // A filter between two running columns: the second sees the filtered table.
    assert_eq!(
        q(
            "range x from 1 to 6 step 1 | serialize | extend a = row_cumsum(x) \
           | where x % 2 == 0 | serialize | extend b = row_cumsum(x), r = row_rank_dense(a) \
           | project a, b, r"
        ),
        "a,b,r|3,2,1|10,6,2|21,12,3"
    );
}

#[test]
fn series_filters_and_seasons() {
    // A running sum is the IIR filter b=[1], a=[1,-1].
    assert_eq!(
        q("print y = series_iir(dynamic([1,2,3,4]), dynamic([1]), dynamic([1,-1]))"),
        "y|[1.0,3.0,6.0,10.0]"
    );
    // Median per phase of period 3 (series-seasonal docs).
    assert_eq!(
        q("print y = series_seasonal(dynamic([1,3,5,1,3,5,2,4,6]), 3)"),
        "y|[1.0,3.0,5.0,1.0,3.0,5.0,1.0,3.0,5.0]"
    );
}

#[test]
fn sort_several_arrays_and_empty_series() {
    assert_eq!(
        q("print s = array_sort_asc(dynamic([3,1,2]), dynamic(['c','a','b']))"),
        "s|[[1,2,3],[\"a\",\"b\",\"c\"]]"
    );
    assert_eq!(
        q(
            "datatable(t:long, v:long)[] | make-series kind=nonempty sum(v) default=7 on t from 0 to 3 step 1"
        ),
        "sum_v,t|[7,7,7],[0,1,2]"
    );
}

#[test]
fn scan_sequences() {
    // Running sum (scan docs) and a two-step start/stop match, hand-computed.
    assert_eq!(
        q(
            "range x from 1 to 4 step 1 | scan declare (c:long=0) with (step s: true => c = x + s.c;) | project c"
        ),
        "c|1|3|6|10"
    );
    assert_eq!(
        q(
            "datatable(t:long, e:string)[1,'go',2,'x',3,'end',4,'x',5,'go',6,'end'] \
           | scan with_match_id=m declare (d:long) with ( \
               step a output=none: e == 'go'; \
               step b: e == 'end' => d = t - a.t; )"
        ),
        "t,e,d,m|3,end,2,0|6,end,1,1"
    );
}

#[test]
fn geo_line_lookup_joins_near_lines() {
    // A point 0.001° (about 111 m) north of an east-west line matches within 200 m,
    // not within 50 m; the unmatched row is kept only when asked.
    let base = "let L = datatable(n:string, l:dynamic)['a', dynamic({\"type\":\"LineString\",\"coordinates\":[[0,0],[1,0]]})]; \
                datatable(p:string, x:real, y:real)['q', 0.5, 0.001] ";
    assert_eq!(
        q(&format!(
            "{base} | evaluate geo_line_lookup(L, l, x, y, 200)"
        )),
        "p,x,y,n|q,0.5,0.001,a"
    );
    assert_eq!(
        q(&format!(
            "{base} | evaluate geo_line_lookup(L, l, x, y, 50)"
        )),
        "p,x,y,n"
    );
    assert_eq!(
        q(&format!(
            "{base} | evaluate geo_line_lookup(L, l, x, y, 50, return_unmatched = true)"
        )),
        "p,x,y,n|q,0.5,0.001,"
    );
}

#[test]
fn graph_operators() {
    // a→b→c→a is a cycle; c→d leaves it.
    let g = "datatable(s:string, d:string, w:long)['a','b',1, 'b','c',2, 'c','a',3, 'c','d',4] \
             | make-graph s --> d with_node_id=name";
    // Nodes in order of first appearance, source before target.
    assert_eq!(q(&format!("{g} | graph-to-table nodes")), "name|a|b|c|d");
    assert_eq!(
        q(&format!(
            "{g} | graph-to-table edges with_source_id=S | where w == 1 | project S, s"
        )),
        format!(
            "S,s|{},a",
            q("print hash('a')").trim_start_matches("print_0|")
        )
    );
    // Paths of exactly two edges from a: a→b→c only.
    assert_eq!(
        q(&format!(
            "{g} | graph-match (x)-[e*2..2]->(y) where x.name == 'a' \
             project y = y.name, ws = map(e, w), via = map(inner_nodes(e), name)"
        )),
        "y,ws,via|c,[1,2],[\"b\"]"
    );
    // Back to a: unique edges allow a→b→c→a; every cycle (all) also allows it twice
    // round; cycles=none forbids revisiting a.
    let back = "(x)-[e*1..6]->(x) where x.name == 'a' project n = array_length(map(e, w))";
    assert_eq!(q(&format!("{g} | graph-match {back}")), "n|3");
    assert_eq!(q(&format!("{g} | graph-match cycles=all {back}")), "n|3|6");
    assert_eq!(q(&format!("{g} | graph-match cycles=none {back}")), "n");
    // Degrees, node ids, all/any, single-edge properties, edges against the arrow.
    assert_eq!(
        q(&format!(
            "{g} | graph-match (x)<-[e]-(y) where x.name == 'c' \
             project node_degree_in(x), o = node_degree_out(x), id = node_id(y), e.w"
        )),
        "node_degree_in,o,id,e_w|1,2,b,2"
    );
    assert_eq!(
        q(&format!(
            "{g} | graph-match (x)-[e*1..3]->(y) where y.name == 'd' and all(e, w > 1) \
             and any(inner_nodes(e), node_degree_out() == 2) project x.name"
        )),
        "x_name|b"
    );
    // Shortest paths: a→c directly beats a→b→c.
    let t = "datatable(s:string, d:string)['a','b', 'b','c', 'a','c'] | make-graph s --> d with_node_id=n";
    assert_eq!(
        q(&format!(
            "{t} | graph-shortest-paths (x)-[e*1..3]->(y) where x.n == 'a' and y.n == 'c' \
             project k = array_length(map(e, s))"
        )),
        "k|1"
    );
    // Components: weak joins a–b and c–d; strong splits a from b.
    let c = "datatable(s:string, d:string)['a','b', 'c','d', 'd','c'] | make-graph s --> d with_node_id=n";
    assert_eq!(
        q(&format!(
            "{c} | graph-mark-components | graph-to-table nodes"
        )),
        "n,ComponentId|a,0|b,0|c,1|d,1"
    );
    assert_eq!(
        q(&format!(
            "{c} | graph-mark-components kind=strong with_component_id=k | graph-to-table nodes"
        )),
        "n,k|a,0|b,1|c,2|d,2"
    );
    // Node tables: their rows first, then endpoints no table names (key column only).
    assert_eq!(
        q(
            "let N = datatable(name:string, age:long)['b', 30, 'a', 20]; \
           datatable(s:string, d:string)['a','c'] | make-graph s --> d with N on name \
           | graph-to-table nodes"
        ),
        "name,age|b,30|a,20|c,"
    );
    assert!(err("datatable(s:string)['a'] | make-graph s --> x").contains("unknown column"));
    assert!(
        err("datatable(s:string, d:string)['a','b'] | make-graph s --> d with_node_id=n")
            .contains("ends in a graph")
    );
    assert!(err("datatable(s:string)['a'] | graph-to-table nodes").contains("make-graph"));
}

#[test]
fn top_nested_levels_and_others() {
    // Sums by g: a = 6, b = 10, c = 4.
    let t = "datatable(g:string, s:string, v:long)['a','x',1, 'a','y',5, 'b','x',10, 'c','x',2, 'c','z',2]";
    assert_eq!(
        q(&format!(
            "{t} | top-nested 2 of g with others = 'rest' by sum(v)"
        )),
        "g,sum_v|b,10|a,6|rest,4"
    );
    assert_eq!(
        q(&format!(
            "{t} | top-nested 2 of g by sum(v), top-nested 1 of s by m = max(v)"
        )),
        "g,sum_v,s,m|b,10,x,10|a,6,y,5"
    );
    assert_eq!(
        q(&format!("{t} | top-nested 1 of g by sum(v) asc")),
        "g,sum_v|c,4"
    );
    // Without N every group stays, in rank order (ties in order of appearance).
    assert_eq!(
        q(&format!(
            "{t} | where g == 'c' | top-nested of s by count()"
        )),
        "s,count_|x,1|z,1"
    );
}

#[test]
fn project_by_names_orders_and_ignores_unknown() {
    let t = "datatable(Name:string, Age:int, City:string, Country:string)['P', 39, 'NY', 'US']";
    assert_eq!(
        q(&format!(
            "{t} | project-by-names 'C*', 'Name', dynamic(['Age', 'Nope', 'City'])"
        )),
        "City,Country,Name,Age|NY,US,P,39"
    );
    assert_eq!(q(&format!("{t} | project-by-names 'Nope'")), "|");
}

#[test]
fn parse_regex_groups_and_relaxed() {
    // The pattern's own group `(a)` is not a column.
    assert_eq!(
        q(
            r#"print s = "a=1, b=x" | parse kind=regex s with "(a)=" a: long ", b=" b | project a, b"#
        ),
        "a,b|1,x"
    );
    // relaxed: a value that does not convert nulls its column only; simple: the row.
    let t = r#"print s = "n=x1, m=5" | parse kind=KIND s with "n=" n: long ", m=" m: long | project n, m"#;
    assert_eq!(q(&t.replace("KIND", "relaxed")), "n,m|,5");
    assert_eq!(q(&t.replace("KIND", "simple")), "n,m|,");
    // regex: a datetime column is greedy like a string one.
    assert_eq!(
        q(
            r#"print s = "t=2016-02-17 08:40:00 x" | parse kind=regex s with "t=" t: datetime "(.*?)x" | project t"#
        ),
        "t|2016-02-17 08:40:00.0000000"
    );
}

#[test]
fn search_reads_views_in_scope() {
    assert_eq!(
        q("let W = view () { datatable(a:long, b:string)[5, 'x'] }; \
           let V = view () { datatable(a:long)[1, 5] }; \
           let F = () { datatable(a:long)[5] }; \
           search a == 5"),
        "$table,a,b|V,5,|W,5,x"
    );
}

#[test]
fn array_sort_of_several_arrays_makes_columns() {
    // The first array's order (desc: 3, 2, 1) reorders the second.
    assert_eq!(
        q(
            "let a = dynamic([1, 3, 2]); let b = dynamic(['x', 'y', 'z']); print array_sort_desc(a, b)"
        ),
        "a_sorted,b_sorted|[3,2,1],[\"y\",\"z\",\"x\"]"
    );
    assert_eq!(
        q("print x = 1 | extend array_sort_asc(dynamic([2, 1]), dynamic([5, 6]), false)"),
        "x,Column1_sorted,Column2_sorted|1,[1,2],[6,5]"
    );
}

#[test]
fn window_plugins() {
    let v = "datatable(v:long)[1, 2, 3, 4, 5, 6, 7]";
    assert_eq!(
        q(&format!("{v} | evaluate rows_near(v == 4, 1)")),
        "v|3|4|5"
    );
    assert_eq!(
        q(&format!("{v} | evaluate rows_near(v == 1, 1, 2)")),
        "v|1|2|3"
    );
    let t = "datatable(u:string, ts:datetime)['a', datetime(2020-01-01), 'b', datetime(2020-01-01), \
             'a', datetime(2020-01-02), 'c', datetime(2020-01-04)]";
    // Two-day windows ending with each day.
    assert_eq!(
        q(&format!(
            "{t} | evaluate sliding_window_counts(u, ts, datetime(2020-01-01), datetime(2020-01-04), 2d, 1d)"
        )),
        "ts,Count,dcount|2020-01-01 00:00:00.0000000,2,2|2020-01-02 00:00:00.0000000,3,2\
         |2020-01-03 00:00:00.0000000,1,1|2020-01-04 00:00:00.0000000,1,1"
    );
    assert_eq!(
        q(&format!(
            "{t} | evaluate activity_counts_metrics(u, ts, datetime(2020-01-01), datetime(2020-01-04), 1d)"
        )),
        "ts,count,dcount,new_dcount,aggregated_dcount|2020-01-01 00:00:00.0000000,2,2,2,2\
         |2020-01-02 00:00:00.0000000,1,1,0,2|2020-01-03 00:00:00.0000000,0,0,0,2\
         |2020-01-04 00:00:00.0000000,1,1,1,3"
    );
    // Day 1 holds 1, 2; day 2 3, 4; day 3 5, 6. Median (nearest rank) of two days.
    assert_eq!(
        q(
            "range x from 1 to 6 step 1 | project ts = datetime(2020-01-01) + (x - 1) * 12h, val = x \
           | evaluate rolling_percentile(val, 50, ts, 1d, 2)"
        ),
        "ts,rolling_2_percentile_val_50|2020-01-01 00:00:00.0000000,1\
         |2020-01-02 00:00:00.0000000,2|2020-01-03 00:00:00.0000000,4"
    );
}

#[test]
fn workspace_function_is_parsed_once_across_query_runs_and_aliases() {
    use crate::loading::workspace::Function;
    let f = Function::declared(
        "Doubled",
        [("n", "long", Some("2"))],
        "print v = n * 2",
        std::path::PathBuf::from("Doubled.kql"),
    );
    let mut db = db();
    // An alias is a clone: it shares the parse with the original.
    db.functions.insert("Doubled".into(), f.clone());
    db.functions.insert("DoubledAlias".into(), f.clone());
    let show = |t: super::Table| {
        t.rows
            .iter()
            .map(|r| r.iter().map(display).collect::<Vec<_>>().join(","))
            .collect::<Vec<_>>()
            .join("|")
    };
    assert_eq!(show(run("Doubled(3)", &db).unwrap()), "6");
    assert_eq!(show(run("DoubledAlias()", &db).unwrap()), "4");
    assert_eq!(show(run("Doubled(5)", &db).unwrap()), "10");
    // The declaration is cached: asking again must not build (and parse) it anew.
    let cached = f.declaration_parsed(|_| panic!("the declaration was parsed again"));
    assert!(cached.errors.is_empty());
}

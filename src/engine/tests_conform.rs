//! Unit tests of the functions and operators added for the documented examples
//! (issue 11, item 3). Expectations are hand-computed or taken from the KQL docs,
//! never from the engine's own output.

use super::run;
use super::tests::{db, q};

#[test]
fn time_zones_follow_the_iana_database() {
    // datetime-local-to-utc-function.md: winter offsets of Paris (+1), Chicago (-6) and
    // Los Angeles (-8).
    assert_eq!(
        q(
            "print a = datetime_local_to_utc(datetime(2020-02-02 20:02:20), 'Europe/Paris'), \
           b = datetime_local_to_utc(datetime(2020-02-02 20:02:20), 'America/Chicago'), \
           c = datetime_local_to_utc(datetime(2020-02-02 20:02:20), 'US/Pacific')"
        ),
        "a,b,c|2020-02-02 19:02:20.0000000,2020-02-03 02:02:20.0000000,2020-02-03 04:02:20.0000000"
    );
    // datetime-utc-to-local-function.md: 2022-07-11 22:18:48 UTC in summer, Pacific -7,
    // Canberra +10 (southern winter).
    assert_eq!(
        q("let dt = datetime(2022-07-11 22:18:48.4678620); \
           print p = datetime_utc_to_local(dt, 'US/Pacific'), c = datetime_utc_to_local(dt, 'Australia/Canberra')"),
        "p,c|2022-07-11 15:18:48.4678620,2022-07-12 08:18:48.4678620"
    );
    // Brussels sets clocks forward at 02:00 local on 2022-03-27 (01:00 UTC): 02:30 does
    // not exist and is read with the winter offset (+1); 2022-10-30 02:30 occurs twice
    // and is read as winter time (+1); an unknown zone gives null.
    assert_eq!(
        q(
            "print g = datetime_local_to_utc(datetime(2022-03-27 02:30), 'Europe/Brussels'), \
           a = datetime_local_to_utc(datetime(2022-10-30 02:30), 'Europe/Brussels'), \
           n = datetime_local_to_utc(datetime(2022-10-30 02:30), 'Mars/Olympus')"
        ),
        "g,a,n|2022-03-27 01:30:00.0000000,2022-10-30 01:30:00.0000000,"
    );
}

#[test]
fn bin_auto_reads_the_query_options() {
    // bin-auto-function.md: 1 h bins aligned at 00:05; 00:05..01:04 is 60 minutes,
    // 01:05..02:00 is 56.
    assert_eq!(
        q("set query_bin_auto_size=1h;
           set query_bin_auto_at=datetime(2017-01-01 00:05);
           range Timestamp from datetime(2017-01-01 00:05) to datetime(2017-01-01 02:00) step 1m
           | summarize count() by bin_auto(Timestamp)"),
        "Timestamp,count_|2017-01-01 00:05:00.0000000,60|2017-01-01 01:05:00.0000000,56"
    );
    // Without `query_bin_auto_at` the bins start at 0, as `bin` does: 7 -> 5, 12 -> 10.
    assert_eq!(
        q("set query_bin_auto_size=5; print a = bin_auto(7), b = bin_auto(12)"),
        "a,b|5,10"
    );
    let e = run("print bin_auto(7)", &db()).expect_err("no size set");
    assert!(e.message.contains("query_bin_auto_size"), "{}", e.message);
}

#[test]
fn tdigest_percentiles_and_ranks() {
    // merge-tdigest-function.md: the merged digest of 1..10 and 11..20 has 20 as its
    // 100th percentile.
    assert_eq!(
        q("range x from 1 to 10 step 1 | extend y = x + 10
           | summarize tdigestX = tdigest(x), tdigestY = tdigest(y)
           | project merged = merge_tdigest(tdigestX, tdigestY)
           | project percentile_tdigest(merged, 100, typeof(long))"),
        "percentile_tdigest_merged|20"
    );
    // rank-tdigest-function.md: 685 values of 1..1000 are <= 685.
    assert_eq!(
        q("range x from 1 to 1000 step 1 | summarize t_x=tdigest(x)
           | project rank_of_685=rank_tdigest(t_x, 685)"),
        "rank_of_685|685"
    );
    // Nearest rank over 1..5 with weights 1,1,1,1,6 (total 10): the 50th percentile
    // is the 5th value by weight (5), the 30th the 3rd (3); ranks of 2 and 4.5 are 2
    // and 4; an array of percentiles and a non-digest give null.
    assert_eq!(
        q("datatable(v:long, w:long)[1,1, 2,1, 3,1, 4,1, 5,6]
           | summarize d = tdigest(v, w)
           | project p50 = percentile_tdigest(d, 50), p30 = percentile_tdigest(d, 30),
             ps = percentiles_array_tdigest(d, 30, 50), r = rank_tdigest(d, dynamic([2, 4.5])),
             n = percentile_tdigest(dynamic([1]), 50)"),
        "p50,p30,ps,r,n|5,3,[3,5],[2,4],"
    );
    // Datetimes keep their type and ticks.
    assert_eq!(
        q(
            "datatable(t:datetime)[datetime(2020-01-01 00:00:00.0000001), datetime(2021-01-01)]
           | summarize d = tdigest(t) | project p = percentile_tdigest(d, 1)"
        ),
        "p|2020-01-01 00:00:00.0000001"
    );
}

#[test]
fn hll_counts_and_intersections() {
    // dcount-intersect-plugin.md: among 1..100 (0 added to each set), evens: 50 + 1,
    // evens that are multiples of 3: 16 + 1, and of 3 and 5: 3 + 1.
    assert_eq!(
        q("range x from 1 to 100 step 1
           | extend isEven = (x % 2 == 0), isMod3 = (x % 3 == 0), isMod5 = (x % 5 == 0)
           | summarize hll_even = hll(iif(isEven, x, 0), 2),
                       hll_mod3 = hll(iif(isMod3, x, 0), 2),
                       hll_mod5 = hll(iif(isMod5, x, 0), 2)
           | evaluate dcount_intersect(hll_even, hll_mod3, hll_mod5)
           | project s0, s1, s2"),
        "s0,s1,s2|51,17,4"
    );
    // Merging the HLLs of {a, b} and {b, c} counts 3; by group, 2 and 1.
    assert_eq!(
        q(
            "datatable(g:string, v:string)['x','a', 'x','b', 'y','b', 'y','c', 'y','c']
           | summarize h = hll(v) by g
           | summarize m = hll_merge(h)
           | project n = dcount_hll(m)"
        ),
        "n|3"
    );
    assert_eq!(
        q(
            "datatable(g:string, v:string)['x','a', 'x','b', 'y','c', 'y','c']
           | summarize h = hll(v) by g | project g, n = dcount_hll(h)"
        ),
        "g,n|x,2|y,1"
    );
}

#[test]
fn buildschema_unions_the_shapes() {
    // buildschema-aggregation-function.md.
    assert_eq!(
        q(r#"datatable(value: dynamic) [
            dynamic({"x":1, "y":3.5}),
            dynamic({"x":"somevalue", "z":[1, 2, 3]}),
            dynamic({"y":{"w":"zzz"}, "t":["aa", "bb"], "z":["foo"]})
        ] | summarize buildschema(value)"#),
        r#"schema_value|{"x":["long","string"],"y":["double",{"w":"string"}],"z":{"`indexer`":["long","string"]},"t":{"`indexer`":"string"}}"#
    );
    // Two bags merge their properties; nulls add nothing.
    assert_eq!(
        q(
            r#"datatable(v: dynamic) [dynamic({"a":{"b":1}}), dynamic(null), dynamic({"a":{"c":true}})]
           | summarize s = buildschema(v)"#
        ),
        r#"s|{"a":{"b":"long","c":"bool"}}"#
    );
}

#[test]
fn active_users_count_follows_the_docs() {
    // active-users-count-plugin.md: users seen on >= 3 distinct days within the 8 days
    // before an appearance, per week of July 2018. B is active on 07-04 (06-29, 06-30,
    // 07-04) and A on 07-17 and 07-20 (07-10, 07-14, 07-17 / 07-14, 07-17, 07-20); B's
    // 07-08 window (06-30, 07-08] holds only two days.
    assert_eq!(
        q("let T = datatable(User:string, Timestamp:datetime)[
             'B', datetime(2018-06-29), 'B', datetime(2018-06-30), 'A', datetime(2018-07-02),
             'B', datetime(2018-07-04), 'B', datetime(2018-07-08), 'A', datetime(2018-07-10),
             'A', datetime(2018-07-14), 'A', datetime(2018-07-17), 'A', datetime(2018-07-20),
             'B', datetime(2018-07-24)];
           T | evaluate active_users_count(User, Timestamp, datetime(2018-07-01), datetime(2018-07-31), 8d, 1d, 3, 7d)"),
        "Timestamp,dcount|2018-07-01 00:00:00.0000000,1|2018-07-15 00:00:00.0000000,1"
    );
}

#[test]
fn reduce_groups_by_shared_terms() {
    // reduce-operator.md: with the default separators `fooZ1`..`fooZ10` are single,
    // distinct terms, none in more than 10% of the values: all are `others`.
    assert_eq!(
        q(
            "range x from 1 to 10 step 1 | project str = strcat('foo', 'Z', tostring(x)) | reduce by str"
        ),
        "Pattern,Count,Representative|others,10,"
    );
    // With `Z` as the separator `foo` is in every value.
    assert_eq!(
        q(
            "range x from 1 to 10 step 1 | project str = strcat('foo', 'Z', tostring(x))
           | reduce by str with characters='Z'"
        ),
        "Pattern,Count,Representative|foo*,10,fooZ1"
    );
    // The docs' city examples: separators next to a wildcard stay with the default
    // separators; values of other lengths and terms below the threshold.
    assert_eq!(
        q(
            "datatable(c:string)['San Bernard', 'San Jose', 'San Diego', 'One -on- One',
             'Two -on- Two', 'Paris', 'Paris', 'Paris', 'Lyon', 'Nice']
           | reduce by c with threshold=0.15"
        ),
        "Pattern,Count,Representative|San *,3,San Bernard|Paris,3,Paris|* -on- *,2,One -on- One|others,2,"
    );
    // kind=source appends the pattern to each row.
    assert_eq!(
        q("datatable(c:string)['a-1', 'a-2', 'b'] | reduce kind=source by c with threshold=0.5"),
        "c,Pattern|a-1,a-*|a-2,a-*|b,others"
    );
}

#[test]
fn declared_patterns_resolve_by_argument_and_path() {
    // pattern-statement.md: a pattern with a path, and one without.
    let country = r#"declare pattern country = (name:string)[state:string]
        {
          ("USA").["New York"] = { print Capital = "Albany" };
          ("USA").["Washington"] = { print Capital = "Olympia" };
          ("Canada").["Alberta"] = { print Capital = "Edmonton" };
        };
        "#;
    assert_eq!(
        q(&format!("{country}country('Canada').Alberta")),
        "Capital|Edmonton"
    );
    assert_eq!(
        q(&format!(
            "{country}union country('USA').Washington, country('USA').['New York'] | order by Capital asc"
        )),
        "Capital|Albany|Olympia"
    );
    assert_eq!(
        q(r#"declare pattern map_ip_to_longlat = (address:string)
             { ("10.10.10.10") = { print Lat=37.405992, Long=-122.078515 }; };
             map_ip_to_longlat("10.10.10.10")"#),
        "Lat,Long|37.405992,-122.078515"
    );
    // An invocation no definition matches is an error naming it.
    let e = run(&format!("{country}country('France').Paris"), &db()).expect_err("no definition");
    assert!(
        e.message.contains("no definition for (France).Paris"),
        "{}",
        e.message
    );
    // The statement parses with and without a body.
    let p = crate::kql::parse("declare pattern P; print 1");
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert!(matches!(
        &p.query.statements[0],
        crate::kql::ast::Statement::DeclarePattern(s) if s.name.name == "P" && s.rules.is_empty()
    ));
}

/// The coordinates of a GeoJSON line result, rounded to 1e-9 degrees.
fn coords_of(text: &str) -> (String, Vec<Vec<(f64, f64)>>) {
    let t = run(text, &db()).unwrap_or_else(|e| panic!("{text}: {e}"));
    let j = t.rows[0][0].to_json();
    let ty = j["type"].as_str().unwrap_or_default().to_string();
    let r = |x: &serde_json::Value| (x.as_f64().unwrap() * 1e9).round() / 1e9;
    let line = |l: &serde_json::Value| -> Vec<(f64, f64)> {
        l.as_array()
            .unwrap()
            .iter()
            .map(|p| (r(&p[0]), r(&p[1])))
            .collect()
    };
    let lines = match ty.as_str() {
        "LineString" => vec![line(&j["coordinates"])],
        "MultiLineString" => j["coordinates"]
            .as_array()
            .unwrap()
            .iter()
            .map(line)
            .collect(),
        _ => vec![],
    };
    (ty, lines)
}

#[test]
fn lines_are_clipped_by_polygons() {
    // Along the equator through a square over longitudes 0..2 with a hole over
    // 0.5..1.5 (latitudes -0.5..0.5): meridian edges cross the equator at their own
    // longitude, so the parts are 0..0.5 and 1.5..2, in the line's direction.
    let sq = "dynamic({'type':'Polygon','coordinates':[[[0,-1],[2,-1],[2,1],[0,1],[0,-1]],[[0.5,-0.5],[0.5,0.5],[1.5,0.5],[1.5,-0.5],[0.5,-0.5]]]})";
    assert_eq!(
        coords_of(&format!(
            "print geo_intersection_line_with_polygon(dynamic({{'type':'LineString','coordinates':[[-1,0],[3,0]]}}), {sq})"
        )),
        (
            "MultiLineString".to_string(),
            vec![vec![(0.0, 0.0), (0.5, 0.0)], vec![(1.5, 0.0), (2.0, 0.0)]]
        )
    );
    // A line ending inside keeps its own last vertex.
    assert_eq!(
        coords_of(&format!(
            "print geo_intersection_line_with_polygon(dynamic({{'type':'LineString','coordinates':[[-1,0],[0.25,0]]}}), {sq})"
        )),
        (
            "LineString".to_string(),
            vec![vec![(0.0, 0.0), (0.25, 0.0)]]
        )
    );
    // Outside: an empty collection; an invalid line: null.
    assert_eq!(
        q(&format!(
            "print a = geo_intersection_line_with_polygon(dynamic({{'type':'LineString','coordinates':[[5,5],[6,6]]}}), {sq}),
                   b = isnull(geo_intersection_line_with_polygon(dynamic({{'type':'LineString','coordinates':[[5,5]]}}), {sq}))"
        )),
        r#"a,b|{"type":"GeometryCollection","geometries":[]},true"#
    );
}

#[test]
fn point_buffers_and_polygon_lookup() {
    // 1 km around (0, 0) with 1 m tolerance: a 71-gon (pi / acos(1000 / 1001) = 70.3),
    // holding a point 999 m east and not one 1002 m north (degrees at the equator:
    // m / 6,371,010 m in radians).
    assert_eq!(
        q("let b = geo_point_buffer(0, 0, 1000, 1);
           print n = array_length(b.coordinates[0]),
                 east = geo_point_in_polygon(0.00898420874140352, 0, b),
                 north = geo_point_in_polygon(0, 0.00901118834723356, b),
                 bad = isnull(geo_point_buffer(0, 0, -5))"),
        "n,east,north,bad|72,true,false,true"
    );
    // geo_polygon_lookup: each point with the polygons holding it; unmatched rows only
    // when asked for.
    let lookup = "let areas = datatable(area:string, poly:dynamic)[
        'west', dynamic({'type':'Polygon','coordinates':[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}),
        'both', dynamic({'type':'Polygon','coordinates':[[[0.5,0],[2,0],[2,1],[0.5,1],[0.5,0]]]})];
        let pts = datatable(name:string, lng:real, lat:real)['a', 0.25, 0.5, 'b', 0.75, 0.5, 'c', 5.0, 5.0];";
    assert_eq!(
        q(&format!(
            "{lookup} pts | evaluate geo_polygon_lookup(areas, poly, lng, lat) | project name, area"
        )),
        "name,area|a,west|b,west|b,both"
    );
    assert_eq!(
        q(&format!(
            "{lookup} pts | where name == 'c' | evaluate geo_polygon_lookup(areas, poly, lng, lat, return_unmatched = true)"
        )),
        "name,lng,lat,area|c,5,5,"
    );
}

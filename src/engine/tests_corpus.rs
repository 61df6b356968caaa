//! Engine unit tests for what real Sentinel rules use beyond the documented examples:
//! `_GetWatchlist`, `ingestion_time()`, and the functions the public corpus calls
//! (`replace_strings`, `dynamic_to_json`, `regex_quote`, `has_any_ipv4_prefix`,
//! `parse_ipv6`, deprecated aliases). Expectations are computed by hand from the KQL
//! documentation, never from the engine's output.

use super::format::display;
use super::{Database, input, run};

fn db_with(tables: &[(&str, &str)]) -> Database {
    let mut db = Database {
        now: crate::kql::time::parse("2025-01-02T00:00:00Z").unwrap(),
        ..Database::default()
    };
    for (name, jsonl) in tables {
        let objs = jsonl
            .lines()
            .map(|l| match serde_json::from_str(l).unwrap() {
                serde_json::Value::Object(m) => m,
                _ => panic!("not an object: {l}"),
            })
            .collect();
        db.tables
            .insert(name.to_string(), input::from_objects(name, objs).into());
    }
    db
}

/// Runs a query and renders the table as `col,col|v,v|v,v`.
fn q_in(db: &Database, text: &str) -> String {
    let t = run(text, db).unwrap_or_else(|e| panic!("{text}: {e}"));
    let mut out = vec![t.names().join(",")];
    for r in &t.rows {
        out.push(r.iter().map(display).collect::<Vec<_>>().join(","));
    }
    out.join("|")
}

fn q(text: &str) -> String {
    q_in(&db_with(&[]), text)
}

const VIP: &str = r#"{"UserPrincipalName":"alice@contoso.com","Department":"Finance","Notes":"[Privileged]"}
{"UserPrincipalName":"bob@contoso.com","Department":"IT","Notes":""}"#;

#[test]
fn watchlist_rows_have_sentinels_columns() {
    let db = db_with(&[("VIPUsers", VIP)]);
    // The standard columns first, then the watchlist's own; SearchKey is the first own
    // column when the input has no SearchKey column; _DTItemId the item's position.
    assert_eq!(
        q_in(
            &db,
            "_GetWatchlist('VIPUsers') | project-away WatchlistItem"
        ),
        "_DTItemId,LastUpdatedTimeUTC,SearchKey,UserPrincipalName,Department,Notes\
         |1,,alice@contoso.com,alice@contoso.com,Finance,[Privileged]\
         |2,,bob@contoso.com,bob@contoso.com,IT,"
    );
    assert_eq!(
        q_in(
            &db,
            "_GetWatchlist('VIPUsers') | where SearchKey == 'bob@contoso.com' | project d = tostring(WatchlistItem.Department), n = array_length(bag_keys(WatchlistItem))"
        ),
        "d,n|IT,3"
    );
    // An input SearchKey / _DTItemId / LastUpdatedTimeUTC column is used as given.
    let db = db_with(&[(
        "Hosts",
        r#"{"_DTItemId":"a1","LastUpdatedTimeUTC":"2024-05-01T00:00:00Z","SearchKey":"srv1","Owner":"ops"}"#,
    )]);
    assert_eq!(
        q_in(
            &db,
            "_GetWatchlist('Hosts') | project _DTItemId, LastUpdatedTimeUTC, SearchKey, Owner"
        ),
        "_DTItemId,LastUpdatedTimeUTC,SearchKey,Owner|a1,2024-05-01 00:00:00.0000000,srv1,ops"
    );
}

#[test]
fn watchlist_in_real_shaped_rules() {
    let signins = r#"{"TimeGenerated":"2025-01-01T10:00:00Z","UserPrincipalName":"alice@contoso.com","IPAddress":"10.0.0.1"}
{"TimeGenerated":"2025-01-01T11:00:00Z","UserPrincipalName":"carol@contoso.com","IPAddress":"10.0.0.2"}
{"TimeGenerated":"2025-01-01T12:00:00Z","UserPrincipalName":"alice@contoso.com","IPAddress":"10.0.0.3"}"#;
    let db = db_with(&[("VIPUsers", VIP), ("SigninLogs", signins)]);
    // The `toscalar(... | summarize make_list(...))` exclusion-list pattern.
    assert_eq!(
        q_in(
            &db,
            "let _Privileged = toscalar(_GetWatchlist('VIPUsers') | where Notes has '[Privileged]' | summarize make_list(UserPrincipalName));\n\
             SigninLogs | where UserPrincipalName in (_Privileged) | summarize n = count() by UserPrincipalName"
        ),
        "UserPrincipalName,n|alice@contoso.com,2"
    );
    // The documented join on SearchKey.
    assert_eq!(
        q_in(
            &db,
            "SigninLogs | lookup kind=inner (_GetWatchlist('VIPUsers') | project SearchKey, Department) on $left.UserPrincipalName == $right.SearchKey | project IPAddress, Department"
        ),
        "IPAddress,Department|10.0.0.1,Finance|10.0.0.3,Finance"
    );
    // A watchlist without items given is an error naming the input to give.
    let e = run("_GetWatchlist('Missing') | take 1", &db).unwrap_err();
    assert!(
        e.message.contains("`--table Missing=FILE.csv`"),
        "{}",
        e.message
    );
}

#[test]
fn ingestion_time_reads_the_ingestion_column() {
    let t = r#"{"TimeGenerated":"2025-01-01T10:00:00Z","_IngestionTime":"2025-01-01T10:07:00Z"}
{"TimeGenerated":"2025-01-01T11:00:00Z"}"#;
    let db = db_with(&[("T", t)]);
    assert_eq!(
        q_in(&db, "T | project delay = ingestion_time() - TimeGenerated"),
        "delay|00:07:00|"
    );
    let db = db_with(&[("T", r#"{"IngestionTime":"2025-01-01T10:00:00Z"}"#)]);
    assert_eq!(
        q_in(&db, "T | where ingestion_time() > ago(1d) | count"),
        "Count|1"
    );
    // No ingestion column: null, so a window on it keeps nothing.
    assert_eq!(q("print t = isnull(ingestion_time())"), "t|true");
}

#[test]
fn replace_strings_follows_the_documented_examples() {
    let m = "A magic trick can turn a cat into a dog";
    assert_eq!(
        q(&format!(
            "print r = replace_strings('{m}', dynamic(['cat', 'dog']), dynamic(['dog', 'pigeon']))"
        )),
        "r|A magic trick can turn a dog into a pigeon"
    );
    assert_eq!(
        q(&format!(
            "print r = replace_strings('{m}', dynamic(['turn', ' into a dog']), dynamic(['disappear', '']))"
        )),
        "r|A magic trick can disappear a cat"
    );
    let m = "This is an example of using replace_strings()";
    assert_eq!(
        q(&format!(
            "print a = replace_strings('{m}', dynamic(['This', 'is']), dynamic(['This', 'was'])), b = replace_strings('{m}', dynamic(['is', 'This']), dynamic(['was', 'This']))"
        )),
        "a,b|This was an example of using replace_strings(),Thwas was an example of using replace_strings()"
    );
    // A rewrite that is not a string leaves its matches unchanged.
    assert_eq!(
        q("print r = replace_strings('a-b-c', dynamic(['-', 'c']), dynamic([1, 'C']))"),
        "r|a-b-C"
    );
}

#[test]
fn dynamic_to_json_sorts_properties() {
    assert_eq!(
        q(
            "print r = dynamic_to_json(dynamic({'Y10': {}, 'X8': {'c3': 1, 'd8': 5, 'a4': 6}, 'D1': 114, 'A1': 12, 'B1': 2, 'C1': 3, 'A14': [15, 13, 18]}))"
        ),
        r#"r|{"A1":12,"A14":[15,13,18],"B1":2,"C1":3,"D1":114,"X8":{"a4":6,"c3":1,"d8":5},"Y10":{}}"#
    );
    assert_eq!(q("print r = dynamic_to_json(12)"), "r|12");
    assert_eq!(q("print r = dynamic_to_json('abc')"), "r|abc");
}

#[test]
fn ip_prefix_and_ipv6_functions() {
    let line = "05:04:54 127.0.0.1 GET /favicon.ico 404";
    assert_eq!(
        q(&format!(
            "print a = has_any_ipv4_prefix('{line}', '127.0.', '192.168.'), b = has_any_ipv4_prefix('{line}', dynamic(['127.0.', '192.168.'])), c = has_any_ipv4_prefix('{line}', '127.0'), d = has_any_ipv4_prefix('05:04:54127.0.0.1 GET', '127.0.', '192.')"
        )),
        "a,b,c,d|true,true,false,false"
    );
    assert_eq!(
        q(&format!(
            "print a = has_ipv4_prefix('{line}', '127.0.'), b = has_ipv4_prefix('{line}', '127.0'), c = has_ipv4_prefix('05:04:54 127.0.0.256 GET', '127.0.'), d = has_ipv4_prefix('{line}', '127.0.0.1')"
        )),
        "a,b,c,d|true,false,false,true"
    );
    assert_eq!(
        q(
            "print a = parse_ipv6('192.168.255.255'), b = parse_ipv6('192.168.255.255/24'), c = parse_ipv6('fe80::85d:e82c:9446:7994/120'), d = parse_ipv6('nope')"
        ),
        "a,b,c,d|0000:0000:0000:0000:0000:ffff:c0a8:ffff,0000:0000:0000:0000:0000:ffff:c0a8:ff00,fe80:0000:0000:0000:085d:e82c:9446:7900,"
    );
}

#[test]
fn regex_quote_and_deprecated_aliases() {
    assert_eq!(
        q(r"print r = regex_quote('(so$me.Te^xt)')"),
        r"r|\(so\$me\.Te\^xt\)"
    );
    // The quoted text matches itself literally.
    assert_eq!(
        q(
            r"print r = 'a.b' matches regex regex_quote('a.b'), s = 'axb' matches regex regex_quote('a.b')"
        ),
        "r,s|true,false"
    );
    assert_eq!(
        q(
            "print a = datepart('month', datetime(2020-05-17)), b = parsejson('{\"k\":1}').k, c = make_string(dynamic([75, 117]))"
        ),
        "a,b,c|5,1,Ku"
    );
    assert_eq!(
        q("print x = 1 | extend a = columnifexists('x', 0), b = columnifexists('nope', 7)"),
        "x,a,b|1,1,7"
    );
}

#[test]
fn file_profile_enriches_from_the_profile_input() {
    let files = r#"{"SHA1":"AAA","FileName":"a.exe"}
{"SHA1":"bbb","FileName":"b.exe"}
{"FileName":"c.exe"}"#;
    let profiles = r#"{"SHA1":"aaa","GlobalPrevalence":12,"Signer":"Contoso","IsExecutable":true}"#;
    let q_files = "DeviceFileEvents | invoke FileProfile(SHA1, 1000) | project FileName, GlobalPrevalence, Signer, IsExecutable, ProfileAvailability";
    // Found (hashes compare case-insensitively), not found, no file ID.
    assert_eq!(
        q_in(
            &db_with(&[("DeviceFileEvents", files), ("FileProfile", profiles)]),
            q_files
        ),
        "FileName,GlobalPrevalence,Signer,IsExecutable,ProfileAvailability|a.exe,12,Contoso,true,Available|b.exe,,,,Missing|c.exe,,,,"
    );
    // Without profiles: the documented columns, null.
    let t = run(
        "DeviceFileEvents | invoke FileProfile()",
        &db_with(&[("DeviceFileEvents", files)]),
    )
    .unwrap();
    assert_eq!(
        t.cols.len(),
        2 + super::ops::file_profile::COLUMNS.len() - 1
    );
    assert!(t.rows.iter().all(|r| r[2..].iter().all(|v| v.is_null())));
    // The limit: only the first distinct file is enriched.
    assert_eq!(
        q_in(
            &db_with(&[("DeviceFileEvents", files), ("FileProfile", profiles)]),
            "DeviceFileEvents | invoke FileProfile('SHA1', 1) | project FileName, ProfileAvailability"
        ),
        "FileName,ProfileAvailability|a.exe,Available|b.exe,|c.exe,"
    );
}

#[test]
fn resource_graph_tables_read_their_inputs() {
    let res = r#"{"id":"vm1","subscriptionId":"s1"}
{"id":"vm2","subscriptionId":"s2"}"#;
    let rc = r#"{"subscriptionId":"s1","name":"Prod","type":"microsoft.resources/subscriptions"}"#;
    let db = db_with(&[("Resources", res), ("ResourceContainers", rc)]);
    assert_eq!(
        q_in(
            &db,
            "arg(\"\").Resources | join kind=leftouter (arg(\"\").ResourceContainers | project subscriptionId, sub = name) on subscriptionId | project id, sub"
        ),
        "id,sub|vm1,Prod|vm2,"
    );
    let e = run("arg('').Resources | take 1", &db_with(&[])).unwrap_err();
    assert!(
        e.message.contains("give its rows as the table `Resources`"),
        "{}",
        e.message
    );
}

#[test]
fn series_functions_with_several_results() {
    // series-stats-function.md's example, unnamed: one column per statistic.
    assert_eq!(
        q(
            "print x=dynamic([23, 46, 23, 87, 4, 8, 3, 75, 2, 56, 13, 75, 32, 16, 29]) | project series_stats(x) | project series_stats_x_min, series_stats_x_max_idx, series_stats_x_avg"
        ),
        "series_stats_x_min,series_stats_x_max_idx,series_stats_x_avg|2.0,3,32.8"
    );
    // Named results, and one name taking the first result (ad_flag).
    assert_eq!(
        q(
            "print x=dynamic([10,10,10,10,30,10,10,10,10,10]) | extend (flag, score, baseline) = series_decompose_anomalies(x), one = series_decompose_anomalies(x, 1.5, -1, 'avg') | project flag, one, baseline"
        ),
        "flag,one,baseline|[0,0,0,0,1,0,0,0,0,0],[0,0,0,0,1,0,0,0,0,0],[12.0,12.0,12.0,12.0,12.0,12.0,12.0,12.0,12.0,12.0]"
    );
}

#[test]
fn builtin_asim_parsers_read_the_normalized_table() {
    let dns = r#"{"TimeGenerated":"2025-01-01T23:30:00Z","DnsQuery":"a.ngrok.io","DnsResponseCodeName":"NXDOMAIN","EventResult":"Failure"}
{"TimeGenerated":"2024-12-01T00:30:00Z","DnsQuery":"old.ngrok.io","DnsResponseCodeName":"NXDOMAIN","EventResult":"Failure"}
{"TimeGenerated":"2025-01-01T23:40:00Z","DnsQuery":"b.com","DnsResponseCodeName":"NOERROR","EventResult":"Success"}"#;
    let db = db_with(&[("ASimDnsActivityLogs", dns)]);
    // now() is 2025-01-02: starttime keeps the last day; responsecodename filters
    // DnsResponseCodeName, domain_has_any DnsQuery, eventresult EventResult.
    assert_eq!(
        q_in(
            &db,
            "_Im_Dns(responsecodename='NXDOMAIN', starttime=ago(1d), endtime=now()) | project DnsQuery"
        ),
        "DnsQuery|a.ngrok.io"
    );
    assert_eq!(
        q_in(
            &db,
            "imDns(domain_has_any=dynamic(['ngrok.io']), eventresult='*') | project DnsQuery"
        ),
        "DnsQuery|a.ngrok.io|old.ngrok.io"
    );
    // Empty lists and '*' filter nothing; the empty parser has no rows; fields the input
    // lacks are null.
    assert_eq!(
        q_in(
            &db,
            "union (_Im_Dns(domain_has_any=dynamic([]), eventresult='*')), vimDnsEmpty | summarize count(), countif(isnull(DnsQueryType))"
        ),
        "count_,countif_|3,3"
    );
    // A parameter rulecat cannot map, and a missing input, are errors.
    let e = run("_Im_Dns(foo='x')", &db).unwrap_err();
    assert!(e.message.contains("parameter `foo`"), "{}", e.message);
    let e = run("_Im_NetworkSession(eventresult='Failure')", &db).unwrap_err();
    assert!(
        e.message
            .contains("give them as the table `ASimNetworkSessionLogs`"),
        "{}",
        e.message
    );
}

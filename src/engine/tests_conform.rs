//! Unit tests of the functions and operators added for the documented examples
//! (issue 11, item 3). Expectations are hand-computed or taken from the KQL docs,
//! never from the engine's own output.

use super::format::display;
use super::{Database, run};

fn db() -> Database {
    Database {
        now: crate::time::parse("2025-01-01T00:00:00Z").unwrap(),
        ..Database::default()
    }
}

/// Runs a query and renders the table as `col,col|v,v|v,v`.
fn q(text: &str) -> String {
    let t = run(text, &db()).unwrap_or_else(|e| panic!("{text}: {e}"));
    let mut out = vec![t.names().join(",")];
    for r in &t.rows {
        out.push(r.iter().map(display).collect::<Vec<_>>().join(","));
    }
    out.join("|")
}

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

//! KQL front end benchmark: `cargo bench --bench kql`.
//!
//! Measures, on one thread: queries parsed and analyzed per second over the catalog's
//! and the precision corpus's queries; how the cost grows with query size (10 KB to
//! 1 MB); and the time to reject 10,000 levels of nesting. Prints a Markdown table.

use std::time::{Duration, Instant};

use rulecat::kql;
use rulecat::kql::analyze::analyze;

fn queries() -> Vec<String> {
    let mut out = Vec::new();
    for root in ["catalog", "tests/precision/catalog"] {
        for e in walkdir::WalkDir::new(root).sort_by_file_name() {
            let e = e.unwrap();
            if e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "yaml") {
                let text = std::fs::read_to_string(e.path()).unwrap();
                let v: serde_json::Value = match serde_saphyr::from_str(&text) {
                    Ok(v) => v,
                    Err(_) => continue,
                };
                if let Some(q) = v.get("query").and_then(|q| q.as_str()) {
                    out.push(q.to_string());
                }
            }
        }
    }
    out
}

/// Median of `runs` timings of `f`.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut t: Vec<Duration> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed()
        })
        .collect();
    t.sort();
    t[runs / 2]
}

fn parse_and_analyze(q: &str) -> usize {
    let p = kql::parse(q);
    let a = analyze(&p.query, rulecat::knowledge::tables::builtin());
    p.errors.len() + a.findings.len()
}

fn main() {
    let qs = queries();
    let bytes: usize = qs.iter().map(String::len).sum();
    let _ = rulecat::knowledge::tables::builtin();
    // Warm up.
    for q in &qs {
        std::hint::black_box(parse_and_analyze(q));
    }
    let rounds = 200;
    let t = median(5, || {
        for _ in 0..rounds {
            for q in &qs {
                std::hint::black_box(parse_and_analyze(q));
            }
        }
    });
    let n = (rounds * qs.len()) as f64;
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| catalog + precision queries ({} queries, mean {} bytes), parse + analyze, 1 thread | {:.0} queries/s ({:.1} µs/query, {:.0} MB/s) |",
        qs.len(),
        bytes / qs.len(),
        n / t.as_secs_f64(),
        t.as_secs_f64() * 1e6 / n,
        (rounds * bytes) as f64 / t.as_secs_f64() / 1e6
    );
    let t = median(5, || {
        for _ in 0..rounds {
            for q in &qs {
                std::hint::black_box(kql::parse(q));
            }
        }
    });
    println!(
        "| same, parse only | {:.0} queries/s |",
        n / t.as_secs_f64()
    );

    // Cost against size: a realistic query with a growing has_any list and where chain.
    for size in [10_000usize, 100_000, 1_000_000] {
        let mut q = String::from(
            "let lookback = 7d;\nDeviceNetworkEvents\n| where Timestamp > ago(lookback)\n| where RemoteUrl has_any (",
        );
        let mut i = 0;
        while q.len() < size / 2 {
            q.push_str(&format!("'host{i}.example.com', "));
            i += 1;
        }
        q.push_str("'last.example.com')\n");
        while q.len() < size {
            q.push_str(&format!(
                "| where InitiatingProcessFileName !~ 'tool{i}.exe' and RemotePort != {}\n",
                i % 65_000
            ));
            i += 1;
        }
        q.push_str("| summarize count() by DeviceName, RemoteUrl\n");
        assert!(kql::parse(&q).errors.is_empty());
        let t = median(7, || {
            std::hint::black_box(parse_and_analyze(&q));
        });
        println!(
            "| {} KB query, parse + analyze | {:.2} ms ({:.1} ns/byte) |",
            q.len() / 1000,
            t.as_secs_f64() * 1e3,
            t.as_secs_f64() * 1e9 / q.len() as f64
        );
    }

    // Hostile nesting: a clear error, quickly, no stack overflow.
    let deep = format!("print x = {}1{}", "(".repeat(10_000), ")".repeat(10_000));
    let mut msg = String::new();
    let t = median(7, || {
        let p = kql::parse(&deep);
        msg = p
            .errors
            .first()
            .map(|e| e.message.clone())
            .unwrap_or_default();
    });
    println!(
        "| 10,000 nested parentheses | {:.2} ms, error: \"{msg}\" |",
        t.as_secs_f64() * 1e3
    );
}

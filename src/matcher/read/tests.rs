use super::fuzzing::check_line;
use super::lines::LineReader;
use super::testrng::Rng;
use super::*;

const KEYS: &[&str] = &[
    "Timestamp",
    "RemoteUrl",
    "DeviceId",
    "ReportId",
    "Flag",
    "Dyn",
    "Type",
    "$table",
    "Other",
    "InitiatingProcessCommandLine",
    "Remote\\u0055rl",
    "Time\\\"stamp",
    "Dévice",
    "😀",
    "",
];

const STRING_PIECES: &[&str] = &[
    "assist.zoho.com",
    "Zoho Assist",
    " ",
    "é",
    "😀",
    "\\n",
    "\\\"",
    "\\\\",
    "\\/",
    "\\u00e9",
    "\\ud83d\\ude00",
    "\\ud800",
    "\\udc00x",
    "\\uD83D\\uDE00",
    "\\u12",
    "\\x",
    "\t",
    "\u{1}",
    "2026-11-25T10:00:00Z",
    "C:\\\\Windows\\\\System32",
    "DeviceNetworkEvents",
    "{\\\"a\\\":1}",
    "\u{7f}",
    "\u{a0}",
];

const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "7",
    "-12",
    "1234567890",
    "123456789012345678",
    "1234567890123456789",
    "18446744073709551616",
    "-9223372036854775809",
    "1.5",
    "-0.25",
    "1e5",
    "1E-3",
    "2.5e+3",
    "1e400",
    "01",
    "-",
    "1.",
    ".5",
    "+1",
    "00",
    "12345678901234567890.5",
];

fn gen_string(r: &mut Rng) -> String {
    let mut s = String::from("\"");
    for _ in 0..r.below(5) {
        s.push_str(r.pick(STRING_PIECES));
    }
    if !r.chance(2) {
        s.push('"');
    }
    s
}

fn ws(r: &mut Rng) -> &'static str {
    if r.chance(85) {
        ""
    } else {
        ["", " ", "\t", "\r\n ", "  "][r.below(5)]
    }
}

fn gen_value(r: &mut Rng, depth: usize) -> String {
    match r.below(if depth > 3 { 7 } else { 9 }) {
        0..=2 => gen_string(r),
        3 => r.pick(NUMBERS).to_string(),
        4 => r
            .pick(&["true", "false", "null", "nul", "True", "nulll"])
            .to_string(),
        5 | 6 => {
            if r.chance(50) {
                r.pick(NUMBERS).to_string()
            } else {
                gen_string(r)
            }
        }
        7 => {
            let n = r.below(4);
            let items: Vec<String> = (0..n)
                .map(|_| format!("{}{}{}", ws(r), gen_value(r, depth + 1), ws(r)))
                .collect();
            let tail = if n > 0 && r.chance(3) { "," } else { "" };
            format!("[{}{tail}]", items.join(","))
        }
        _ => {
            let n = r.below(4);
            let items: Vec<String> = (0..n)
                .map(|_| {
                    format!(
                        "{}\"{}\"{}:{}{}",
                        ws(r),
                        r.pick(KEYS),
                        ws(r),
                        ws(r),
                        gen_value(r, depth + 1)
                    )
                })
                .collect();
            format!("{{{}}}", items.join(","))
        }
    }
}

fn gen_line(r: &mut Rng) -> String {
    let n = r.below(9);
    let mut members = Vec::new();
    for _ in 0..n {
        let key = r.pick(KEYS);
        let value = match key {
            "Timestamp" if r.chance(60) => format!("\"2026-11-2{}T00:00:00Z\"", r.below(9)),
            "Type" | "$table" if r.chance(60) => r
                .pick(&["\"DeviceNetworkEvents\"", "\"Device\\u004eetworkEvents\""])
                .to_string(),
            _ => gen_value(r, 1),
        };
        members.push(format!(
            "{}\"{key}\"{}:{}{value}{}",
            ws(r),
            ws(r),
            ws(r),
            ws(r)
        ));
    }
    let line = format!("{}{{{}}}{}", ws(r), members.join(","), ws(r));
    damage(r, line, 8, 40)
}

/// Damages one line in `one_in` with one of the first `kinds` kinds of damage (at most
/// 8): trailing garbage, a missing `:`, a doubled `,`, a cut, an array around it, a
/// trailing `,` in the object, an empty object, a `'` for a `"`.
fn damage(r: &mut Rng, mut line: String, kinds: usize, one_in: usize) -> String {
    let pick = r.below(one_in);
    if pick >= kinds {
        return line;
    }
    match pick {
        0 => line.push_str(" x"),
        1 => line = line.replacen(':', "", 1),
        2 => line = line.replacen(',', ",,", 1),
        3 => {
            let mut cut = r.below(line.len() + 1);
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            line.truncate(cut);
        }
        4 => line = format!("[{line}]"),
        5 => line = line.replacen('}', ",}", 1),
        6 => line = "{}".into(),
        _ => line = line.replacen("\"", "'", 1),
    }
    line
}

fn slots(names: &[&str]) -> (HashMap<String, usize>, Vec<String>) {
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let map = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), i))
        .collect();
    (map, names)
}

/// The fast scanner against the serde_json reference on random rows: whenever the
/// scanner accepts a row, the reference accepts it with the same cells and the same
/// seen columns; and it accepts most well-formed rows.
#[test]
fn fast_scanner_agrees_with_serde_json() {
    let layouts: [&[&str]; 3] = [
        &[
            "Timestamp",
            "RemoteUrl",
            "DeviceId",
            "ReportId",
            "Flag",
            "Dyn",
        ],
        &["RemoteUrl", "Type", "Other"],
        &["$table", "😀", "Dévice", ""],
    ];
    let mut r = Rng(42);
    let (mut fast_ok, mut slow_ok, mut total) = (0, 0, 0);
    let mut spans = Vec::new();
    for layout in layouts {
        let (map, names) = slots(layout);
        let mut keys = scan::KeyIndex::new(&names);
        for _ in 0..40_000 {
            let line = gen_line(&mut r);
            total += 1;
            let (slow, fast) = check_line(&line, &map, &mut keys, &mut spans);
            slow_ok += usize::from(slow);
            fast_ok += usize::from(fast);
        }
    }
    eprintln!("scan_row: {slow_ok} of {total} rows valid, {fast_ok} through the fast path");
    // The generator must exercise both paths.
    assert!(slow_ok > total / 4, "{slow_ok} of {total} rows valid");
    assert!(
        fast_ok * 10 > slow_ok * 6,
        "fast path took {fast_ok} of {slow_ok}"
    );
    assert!(fast_ok < slow_ok, "no row fell back");
}

/// The table of a row (`Type`, else `$table`) against the serde_json `Value` reference.
#[test]
fn fast_row_table_agrees_with_serde_json() {
    let mut r = Rng(7);
    let mut keys = scan::KeyIndex::new(&[]);
    let mut spans = Vec::new();
    let (mut agreed, mut valid) = (0, 0);
    for _ in 0..60_000 {
        let line = gen_line(&mut r);
        let reference = serde_json::from_str::<serde_json::Value>(&line).map(|v| {
            v.get("Type")
                .or_else(|| v.get("$table"))
                .and_then(|t| t.as_str())
                .map(str::to_string)
        });
        valid += usize::from(reference.is_ok());
        if let Some(got) = scan::row_table(&line, &mut keys, &mut spans) {
            agreed += 1;
            match &reference {
                Ok(want) => assert_eq!(got.as_deref(), want.as_deref(), "{line}"),
                Err(e) => panic!("fast accepted, serde_json rejected ({e}): {line}"),
            }
        }
    }
    eprintln!("row_table: fast path took {agreed} of {valid} valid rows");
    assert!(
        agreed * 2 > valid,
        "fast path took {agreed} of {valid} valid rows"
    );
}

/// Generated-looking rows go through the fast path.
#[test]
fn fast_scanner_takes_defender_rows() {
    let line = r#"{"Timestamp":"2026-11-20T00:28:21.6428164Z","DeviceId":"084aff","RemotePort":53,"RemoteUrl":"assist.zoho.com","InitiatingProcessCommandLine":"\"C:\\Windows\\System32\\svchost.exe\" -k NetworkService","ReportId":1,"IsInitiatingProcessRemoteSession":false,"AdditionalFields":{"a":[1,2.5,null,{"b":"\u00e9"}]},"Type":"DeviceNetworkEvents"}"#;
    let (_, names) = slots(&["Timestamp", "RemoteUrl", "ReportId", "Missing"]);
    let mut keys = scan::KeyIndex::new(&names);
    let mut cells = vec![None; 4];
    let mut seen = vec![false; 4];
    assert!(scan::scan_row(
        line,
        &mut keys,
        &mut Vec::new(),
        &mut seen,
        &mut cells
    ));
    assert_eq!(seen, [true, true, true, false]);
    assert_eq!(cells[1].as_deref(), Some("assist.zoho.com"));
    assert!(matches!(cells[1], Some(Cow::Borrowed(_))));
    assert_eq!(cells[2].as_deref(), Some("1"));
}

/// Lines across buffer refills, longer than the buffer, CRLF, no final newline.
#[test]
fn line_reader_splits_lines() {
    let text = b"a\r\n\nbbbbbbbbbbbbbbbbbbbbbbbb\nccc\n\n d";
    for cap in [1, 2, 3, 5, 8, 64] {
        let mut rd = LineReader::with_capacity(&text[..], cap);
        let mut got = Vec::new();
        while let Some(l) = rd.next_line().unwrap() {
            got.push(String::from_utf8(l.raw.to_vec()).unwrap());
        }
        assert_eq!(
            got,
            [
                "a\r\n",
                "\n",
                "bbbbbbbbbbbbbbbbbbbbbbbb\n",
                "ccc\n",
                "\n",
                " d"
            ],
            "capacity {cap}"
        );
    }
    let mut rd = LineReader::with_capacity(&b""[..], 4);
    assert!(rd.next_line().unwrap().is_none());
}

/// The line reader's text is what `std::str::from_utf8` says of the line (the same
/// text, or the same error), whatever the capacity, with and without AVX2: lines with
/// non-ASCII bytes anywhere (in a 64-byte block, in the SWAR tail, across refills),
/// valid and broken sequences, and characters cut by a block's edge.
#[test]
fn line_reader_text_is_std_utf8() {
    let mut rng = super::testrng::Rng(11);
    let pieces: [&[u8]; 10] = [
        b"abc",
        b"{\"k\":\"v\"}",
        "\u{e9}".as_bytes(),
        "\u{20ac}".as_bytes(),
        "\u{1f600}".as_bytes(),
        b"\xff",
        b"\xe2\x82",
        b"\xc3",
        b"0123456789012345678901234567890123456789012345678901234567890123",
        b"\r\n",
    ];
    for round in 0..400 {
        let mut text = Vec::new();
        for _ in 0..rng.below(40) {
            text.extend_from_slice(rng.pick(&pieces));
            if rng.chance(15) {
                text.push(b'\n');
            }
        }
        let want: Vec<(Vec<u8>, Result<(), usize>)> = text
            .split_inclusive(|&c| c == b'\n')
            .map(|l| {
                let r = std::str::from_utf8(l)
                    .map(|_| ())
                    .map_err(|e| e.valid_up_to());
                (l.to_vec(), r)
            })
            .collect();
        for cap in [1, 7, 64, 100, 1 << 18] {
            for avx2 in [true, false] {
                let mut rd = LineReader::with_capacity(&text[..], cap);
                if !avx2 {
                    rd.disable_avx2();
                }
                let mut got = Vec::new();
                while let Some(l) = rd.next_line().unwrap() {
                    let r = l.text();
                    if let Ok(s) = r {
                        assert_eq!(s.as_bytes(), l.raw);
                    }
                    got.push((l.raw.to_vec(), r.map(|_| ()).map_err(|e| e.valid_up_to())));
                }
                assert_eq!(got, want, "round {round}, capacity {cap}, avx2 {avx2}");
            }
        }
    }
}

#[test]
fn recycle_keeps_the_allocation() {
    let mut v: Vec<Option<Cow<'_, str>>> = Vec::with_capacity(64);
    v.push(Some(Cow::Borrowed("x")));
    let cap = v.capacity();
    let w: Vec<Option<Cow<'static, str>>> = recycle(v);
    assert!(w.is_empty());
    assert_eq!(w.capacity(), cap);
}

/// Rows of an export share one layout; the scanner remembers it ([`scan::KeyIndex`]'s
/// shape) and compares keys as bytes while rows follow it. Rows here come from a few
/// layouts, with values and whitespace varying from row to row and, now and then, a key
/// dropped, added, renamed, escaped, duplicated or moved, or the line damaged: whatever
/// the scanner accepts must equal the reference, on both its code paths (AVX2 and not).
#[test]
fn fast_scanner_follows_and_leaves_shapes() {
    let layouts: [&[&str]; 3] = [
        &[
            "Timestamp",
            "DeviceId",
            "RemoteUrl",
            "RemotePort",
            "Flag",
            "Type",
            "ReportId",
        ],
        &["DeviceId", "Timestamp", "Other", "RemoteUrl", "Dyn"],
        &["RemoteUrl"],
    ];
    let (map, names) = slots(&[
        "Timestamp",
        "RemoteUrl",
        "DeviceId",
        "ReportId",
        "Flag",
        "Dyn",
    ]);
    for no_avx2 in [false, true] {
        let mut keys = scan::KeyIndex::new(&names);
        if no_avx2 {
            keys.disable_avx2();
        }
        let mut r = Rng(if no_avx2 { 11 } else { 12 });
        let mut spans = Vec::new();
        let (mut fast_ok, mut slow_ok, mut total) = (0, 0, 0);
        let mut layout = layouts[0].to_vec();
        for _ in 0..30_000 {
            // Switch layouts now and then; mutate the current one less often.
            if r.chance(2) {
                layout = layouts[r.below(layouts.len())].to_vec();
            }
            let mut row_keys: Vec<String> = layout.iter().map(|k| k.to_string()).collect();
            match r.below(30) {
                0 if !row_keys.is_empty() => {
                    row_keys.remove(r.below(row_keys.len()));
                }
                1 => row_keys.insert(r.below(row_keys.len() + 1), "Extra".into()),
                2 if !row_keys.is_empty() => {
                    let k = r.below(row_keys.len());
                    row_keys[k] = row_keys[k].replacen('e', "\\u0065", 1);
                }
                3 if !row_keys.is_empty() => {
                    let k = row_keys[r.below(row_keys.len())].clone();
                    row_keys.push(k);
                }
                4 if row_keys.len() > 1 => row_keys.swap(0, 1),
                5 if !row_keys.is_empty() => {
                    let k = r.below(row_keys.len());
                    row_keys[k].push('x');
                }
                _ => {}
            }
            let members: Vec<String> = row_keys
                .iter()
                .map(|k| {
                    let value = match k.as_str() {
                        "Timestamp" => {
                            format!("\"2026-11-2{}T00:00:0{}Z\"", r.below(9), r.below(9))
                        }
                        "RemotePort" | "ReportId" => r.pick(NUMBERS).to_string(),
                        _ => gen_value(&mut r, 1),
                    };
                    format!(
                        "{}\"{k}\"{}:{}{value}{}",
                        ws(&mut r),
                        ws(&mut r),
                        ws(&mut r),
                        ws(&mut r)
                    )
                })
                .collect();
            let line = damage(&mut r, format!("{{{}}}", members.join(",")), 4, 60);
            total += 1;
            let (slow, fast) = check_line(&line, &map, &mut keys, &mut spans);
            slow_ok += usize::from(slow);
            fast_ok += usize::from(fast);
        }
        let shaped = keys.shaped_rows() as usize;
        eprintln!(
            "shapes (avx2 off: {no_avx2}): {slow_ok} of {total} valid, {fast_ok} fast, {shaped} followed a shape"
        );
        assert!(
            fast_ok * 10 > slow_ok * 6,
            "fast path took {fast_ok} of {slow_ok}"
        );
        assert!(
            shaped * 2 > fast_ok,
            "only {shaped} of {fast_ok} rows followed a shape"
        );
        assert!(shaped < fast_ok, "no accepted row left its shape");
    }
}

/// The fuzz targets' checks run on their seeds (so CI exercises them without a fuzzer).
#[test]
fn fuzz_hooks_agree_on_the_seeds() {
    let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    let run = |target: &str, check: fn(&[u8])| {
        let mut n = 0;
        for entry in std::fs::read_dir(seeds.join(target)).expect("a seed folder") {
            check(&std::fs::read(entry.expect("entry").path()).expect("seed"));
            n += 1;
        }
        assert!(n >= 3, "{n} seeds for {target}");
    };
    run("scan_jsonl", super::fuzzing::jsonl_agrees);
    run("scan_csv", super::fuzzing::csv_agrees);
}

/// Rows written with one whitespace style (`json.dumps`: `": "` and `", "`, or none) follow
/// the learned gaps byte for byte; a row whose whitespace differs here and there (after a
/// gap, before a key, around the braces) is walked through the same shape: whatever the
/// scanner accepts equals the reference, on both code paths.
#[test]
fn fast_scanner_follows_gaps_with_other_whitespace() {
    let (map, names) = slots(&["Timestamp", "RemoteUrl", "ReportId", "Dyn"]);
    let layout = [
        "Timestamp",
        "DeviceId",
        "RemoteUrl",
        "ReportId",
        "Dyn",
        "Other",
    ];
    for no_avx2 in [false, true] {
        for (colon, comma) in [(": ", ", "), (":", ","), (" : ", " ,\t")] {
            let mut keys = scan::KeyIndex::new(&names);
            if no_avx2 {
                keys.disable_avx2();
            }
            let mut r = Rng(if no_avx2 { 21 } else { 22 });
            let mut spans = Vec::new();
            let (mut fast_ok, mut slow_ok) = (0, 0);
            for _ in 0..4_000 {
                let odd = r.chance(5);
                let members: Vec<String> = layout
                    .iter()
                    .map(|k| {
                        let value = match *k {
                            "ReportId" => r.below(100_000).to_string(),
                            "Dyn" if r.chance(20) => gen_value(&mut r, 1),
                            "Dyn" => "[1, {\"a\": \"b\"}]".to_string(),
                            "RemoteUrl" if r.chance(20) => gen_string(&mut r),
                            _ => format!("\"{}\\\\x{}\"", r.pick(&STRING_PIECES[..3]), r.below(99)),
                        };
                        let pad = if odd { ws(&mut r) } else { "" };
                        format!("{pad}\"{k}\"{colon}{pad}{value}{pad}")
                    })
                    .collect();
                let pad = if odd { ws(&mut r) } else { "" };
                let line = format!("{pad}{{{}}}{pad}", members.join(comma));
                let (slow, fast) = check_line(&line, &map, &mut keys, &mut spans);
                slow_ok += usize::from(slow);
                fast_ok += usize::from(fast);
            }
            let shaped = keys.shaped_rows() as usize;
            eprintln!(
                "gaps {colon:?} {comma:?} (avx2 off: {no_avx2}): {slow_ok} valid, {fast_ok} fast, {shaped} shaped"
            );
            assert!(
                fast_ok * 10 > slow_ok * 6,
                "fast path took {fast_ok} of {slow_ok}"
            );
            assert!(
                shaped * 10 > fast_ok * 9,
                "only {shaped} of {fast_ok} rows followed the shape"
            );
        }
    }
}

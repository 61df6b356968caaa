//! The YAML fast path (the span tree built from the parser's events) against serde-saphyr
//! (the reference): on every real file and on edge cases, where the fast path answers, its
//! tree equals serde-saphyr's, and it never answers where serde-saphyr reports an error.
//! `../shared/corpus` is external content read at run time: missing, it is skipped locally
//! and fails under `CI=true`.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use rulecat::loading::yaml::{Limits, parse_fast, parse_lines, parse_with_serde};

const CORPUS: &str = "../shared/corpus";

#[derive(Default, Debug)]
struct Tally {
    fast: usize,
    fallback: usize,
    errors: usize,
    /// Files the line scanner (in front of the event-stream path) read.
    lines: usize,
    /// Print no `fallback:` lines (generated cases fall back by the thousand).
    quiet: bool,
}

/// Compares both paths on `text`; panics with `what` on a difference.
fn compare(what: &str, text: &str, tally: &mut Tally) {
    let limits = Limits::default();
    let fast = parse_fast(text, limits);
    // The line scanner answers only where the event-stream path does, with the same tree.
    if let Some(l) = parse_lines(text, limits) {
        assert!(
            fast.as_ref() == Some(&l),
            "{what}: the line scanner's tree differs\nlines: {l:#?}\nevents: {fast:#?}"
        );
        tally.lines += 1;
    }
    let reference = parse_with_serde(text, limits);
    match (fast, reference) {
        (Some(f), Ok(r)) => {
            assert!(
                f == r,
                "{what}: the fast path's tree differs\nfast: {f:#?}\nserde: {r:#?}"
            );
            tally.fast += 1;
        }
        (Some(f), Err(e)) => {
            panic!("{what}: the fast path accepts what serde-saphyr rejects ({e:?}): {f:?}")
        }
        (None, Ok(_)) => {
            if !tally.quiet {
                eprintln!("fallback: {what}");
            }
            tally.fallback += 1
        }
        (None, Err(_)) => tally.errors += 1,
    }
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else if p
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| matches!(x, "yaml" | "yml" | "json"))
        {
            out.push(p);
        }
    }
}

/// Runs `f` on a thread with the loader's generous stack (hostile fixtures nest deeply).
fn with_big_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(64 * 1024 * 1024)
        .spawn(f)
        .expect("a thread starts")
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e))
}

fn compare_dir(dir: &Path) -> Tally {
    let dir = dir.to_path_buf();
    with_big_stack(move || compare_files(&dir))
}

fn compare_files(dir: &Path) -> Tally {
    let mut files = Vec::new();
    files_under(dir, &mut files);
    files.sort();
    assert!(!files.is_empty(), "no YAML files under {}", dir.display());
    let mut tally = Tally::default();
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue; // not UTF-8: the loader reports it before parsing
        };
        compare(&f.display().to_string(), &text, &mut tally);
    }
    eprintln!("{}: {tally:?}", dir.display());
    tally
}

#[test]
fn corpus_trees_are_equal() {
    if !Path::new(CORPUS).is_dir() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{CORPUS} is missing: the YAML fast-path comparison needs it under CI");
        }
        eprintln!("skipped: {CORPUS} is not present");
        return;
    }
    let t = compare_dir(Path::new(CORPUS));
    // Real rule files are plain YAML: nearly all must take the fast path (else it is
    // broken or too timid to matter).
    assert!(
        t.fast * 100 >= (t.fast + t.fallback) * 95,
        "only {} of {} parsing files took the fast path",
        t.fast,
        t.fast + t.fallback
    );
    // Most take the line scanner in front of it (the rest use comments, folded scalars,
    // flow mappings, ...).
    assert!(
        t.lines * 100 >= t.fast * 70,
        "only {} of {} fast-path files took the line scanner",
        t.lines,
        t.fast
    );
}

#[test]
fn project_trees_are_equal() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixtures = compare_dir(&root.join("tests/fixtures"));
    let catalog = compare_dir(&root.join("catalog"));
    // The rules take the fast path; a rule test file with anchors and merge keys does not.
    assert!(catalog.fast >= 7, "{catalog:?}");
    assert!(fixtures.fast > 0, "{fixtures:?}");
}

#[test]
fn edge_cases_are_equal_or_deferred() {
    let cases = [
        "id: x\nname: y\n",
        "\u{feff}id: x\r\nquery: |\r\n  T\r\n  | take 1\r\n",
        "a: |+\n  keep\n\n\nb: >-\n  folded\n  text\n\n  para\nc: |2\n    indented\n",
        "a: 'single ''quoted'''\nb: \"double \\\"esc\\\" \\u00e9 \\x41\"\nc: plain\n  continued\n",
        "a: ~\nb: null\nc: Null\nd:\ne: ''\nf: \"\"\n",
        "a: yes\nb: No\nc: ON\nd: off\ne: y\nf: N\ng: true\nh: FALSE\ni: Yes please\n",
        "a: 0\nb: 42\nc: 0123\nd: 1.5\ne: 1e3\nf: 1.0.0\ng: 14d\nh: 2024-01-01\ni: 9223372036854775808\n",
        "a: 18446744073709551616\nb: 123456789012345678901234567890\nc: 1.\nd: 1E+2\n",
        "a: -1\nb: +1\nc: .5\nd: .inf\ne: -.inf\nf: .nan\ng: -.nan\nh: 0x1F\ni: 0X1F\nj: 0o17\nk: 0b11\nl: 1_000\nm: 1e999\n",
        "a: inf\nb: nan\nc: Infinity\nd: _x\ne: .NET\nf: -dash\n",
        "a: inf\nb: nan\nc: Infinity\nd: _x\ne: .NET\nf: .5\ng: .5e3\nh: .\ni: .e\n",
        "a: -1\nb: -4320000000000\nc: -9223372036854775808\nd: -9223372036854775809\ne: -12x\n",
        "a: 0b7d0c55-3f0e-4a4c-9d1e-5b2a8c6f7e10\nb: 0X1F\nc: 0Xzz\nd: 0x\ne: 0b\nf: 1_0x\ng: 1__0\nh: 0o9\n",
        "a: 1b212329-6f2c-46ca-9071-de3464f3d88d\nb: 7be944be-487f-11ec-81d3-0242ac130003\nc: 1e5\nd: 1e\n",
        "list:\n- a\n- b: 1\n  c: [1, 2, {d: e}]\n- - nested\n  - list\n- {}\n- []\n",
        "flow: {a: 1, b: [x, y], 'c': \"z\"}\n",
        "# comment\nid: x # trailing\n# between\nname: y\n...\n",
        "---\nid: x\n",
        "---\nid: x\n...\n",
        "id: x\n---\nid: y\n",
        "%YAML 1.2\n---\nid: x\n",
        "a: &anchor 1\nb: *anchor\n",
        "base: &b {x: 1}\nderived:\n  <<: *b\n  y: 2\n",
        "'<<': 1\n",
        "a: !!str 1\nb: !custom x\n",
        "a: 1\na: 2\n",
        "a: 1\n'a': 2\n",
        "1: one\ntrue: yes\n~: nothing\n",
        "? complex\n: value\n? [a, b]\n: seq key\n",
        "a:\n\tb: tab\n",
        "a: b: c\n",
        "key: [unclosed\n",
        "just a scalar | with a pipe\n",
        "- top\n- level\n- list\n",
        "",
        "# only a comment\n",
        "a: \"multi\n  line\n\n  quoted\"\n",
        "unicode: héllo wörld ✓\n\"ключ\": значение\n",
        "a: 'it''s'\nb: \"\\t\\n\"\nc: |-\n\n  leading blank\n",
        "k1: v\nk2: v\nk3: v\nk4: v\nk5: v\nk6: v\nk7: v\nk8: v\nk9: v\nk10: v\nk11: v\nk12: v\nk13: v\nk14: v\nk15: v\nk16: v\nk17: v\nk18: v\nk2: dup\n",
        "a: \rb: lone carriage return\r",
        "a:    spaced   \nb:\n  - x\n  -   y\n",
        // Shapes the line scanner reads (or must leave to the event-stream path).
        "a: |\n  x\n\n  y\n\n\nb: 1\n",
        "a: |-\n  x\n    y\n\nb: |\n  z\n\n",
        "a: |\n  x\n  \n   \nb: |\n\tz\n",
        "a: |\n    deeper\n  less\n",
        "a:\n  - x\n  - 'y'\n  - \"z\"\nb:\n- k: v\n  l: [ \"p\", 'q', r ]\n  m: []\n",
        "a: [x, 1, true, ~, 'it''s', \"a,b\"]\nb: [ x ] # c\nc: [a\n  , b]\n",
        "a: b\n  c\n",
        "- a\n  b\n",
        "a: ''\nb: 'x''y'\nc: \"\"\nd: 'é'\n",
        "a:\n  b:\n    c: d\n  e: f\ng: h\n",
        "a:\n- b\n- c: d\n  e:\n  - f\n",
        "a: |\n  x\nb: c\n  d\n",
        "a: x #c\nb: y#z\nc: y:z\nd: (x)\n",
        "a: [x, 1, true, 'q', \"a,b\", x y , .5, (p)]\nb:\n- [ 'r' ]\n",
        "key-with-dash: 1\nkey_with_us: 2\nkey.dot: 3\n",
        "a: |\n  no newline at the end",
    ];
    let mut tally = Tally::default();
    for (i, text) in cases.iter().enumerate() {
        compare(&format!("case {i} {text:?}"), text, &mut tally);
    }
    eprintln!("edge cases: {tally:?}");
    // The plain ones above take the fast path, the plainest the line scanner.
    assert!(tally.fast >= 20, "{tally:?}");
    assert!(tally.lines >= 8, "{tally:?}");
}

/// Every plain scalar the fast path types itself, one per document (so one deferred
/// scalar does not hide the others), as a value and as a key.
#[test]
fn scalar_typing_is_equal_or_deferred() {
    let scalars = [
        "~",
        "null",
        "Null",
        "NULL",
        "nULL",
        "true",
        "True",
        "TRUE",
        "tRuE",
        "yes",
        "Yes",
        "y",
        "Y",
        "on",
        "On",
        "false",
        "no",
        "NO",
        "n",
        "N",
        "off",
        "OFF",
        "yess",
        "ja",
        "0",
        "1",
        "42",
        "007",
        "00",
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551615",
        "18446744073709551616",
        "123456789012345678901234567890",
        "-1",
        "-0",
        "-01",
        "-4320000000000",
        "-9223372036854775808",
        "-9223372036854775809",
        "-12x",
        "-",
        "-x",
        "+1",
        "+",
        "+x",
        "+.inf",
        "1.5",
        "1.",
        "1e3",
        "1E+2",
        "1e-2",
        "1e",
        "1e999",
        "1.0.0",
        "14d",
        "1h",
        "2024-01-01",
        "2024-01-01T00:00:00Z",
        "12:30",
        "1,000",
        "1_000",
        "1__0",
        "1_0x",
        "_1",
        "0x1F",
        "0x",
        "0xg",
        "0X1F",
        "0Xzz",
        "0o17",
        "0o9",
        "0O17",
        "0b11",
        "0b",
        "0B11",
        "0b7d0c55-3f0e-4a4c-9d1e-5b2a8c6f7e10",
        "1b212329-6f2c-46ca-9071-de3464f3d88d",
        "7be944be-487f-11ec-81d3-0242ac130003",
        ".5",
        ".5e3",
        ".",
        ".e",
        ".inf",
        ".Inf",
        ".INF",
        ".nan",
        ".NaN",
        ".NAN",
        ".iNf",
        ".NET",
        "inf",
        "Inf",
        "infinity",
        "nan",
        "NaN",
        "_x",
        "x",
        "T1059.001",
        "a b c",
        "1 2",
        "é",
        "日本",
        "0.0.0.0",
        "::1",
        "1:2",
        "3e4e5",
        "0e0",
        "0.1e-1",
    ];
    let mut tally = Tally::default();
    for s in scalars {
        compare(&format!("value {s:?}"), &format!("k: {s}\n"), &mut tally);
        compare(&format!("key {s:?}"), &format!("{s}: v\n"), &mut tally);
        compare(&format!("item {s:?}"), &format!("- {s}\n"), &mut tally);
    }
    eprintln!("scalars: {tally:?}");
    assert!(tally.fast >= 200, "{tally:?}");
}

/// One small edit of a rule text (positions and lines are scaled to the text when applied).
#[derive(Debug, Clone)]
enum Mutation {
    Insert(prop::sample::Index, char),
    Replace(prop::sample::Index, char),
    Delete(prop::sample::Index),
    DuplicateLine(prop::sample::Index),
    DeleteLine(prop::sample::Index),
    /// Adds (positive) or removes (negative) up to that many leading spaces of a line.
    Indent(prop::sample::Index, i8),
    /// Inserts a character at most that many bytes into a line (where the indentation,
    /// keys and indicators are: random positions mostly fall inside queries).
    InsertNearLineStart(prop::sample::Index, u8, char),
}

/// The characters YAML gives a meaning (and a few that it does not).
const MUTATION_CHARS: &[char] = &[
    ':', '#', '"', '\'', ' ', '-', '|', '>', '\t', '\r', '\n', '[', ']', '{', '}', ',', '&', '*',
    '!', '?', '%', '@', '`', '\\', 'é',
];

fn mutation_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => prop::sample::select(MUTATION_CHARS),
        1 => prop::char::range('0', '9'),
        1 => prop::char::range('a', 'z'),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<prop::sample::Index>(), mutation_char()).prop_map(|(p, c)| Mutation::Insert(p, c)),
        3 => (any::<prop::sample::Index>(), mutation_char()).prop_map(|(p, c)| Mutation::Replace(p, c)),
        2 => any::<prop::sample::Index>().prop_map(Mutation::Delete),
        1 => any::<prop::sample::Index>().prop_map(Mutation::DuplicateLine),
        1 => any::<prop::sample::Index>().prop_map(Mutation::DeleteLine),
        2 => (any::<prop::sample::Index>(), prop_oneof![-4i8..=-1, 1i8..=4])
            .prop_map(|(p, d)| Mutation::Indent(p, d)),
        3 => (any::<prop::sample::Index>(), 0u8..12, mutation_char())
            .prop_map(|(p, o, c)| Mutation::InsertNearLineStart(p, o, c)),
    ]
}

/// The char boundary at or before byte `i`.
fn boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Byte ranges of the lines of `text`, each with its `\n`.
fn line_ranges(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if c == '\n' {
            out.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < text.len() {
        out.push(start..text.len());
    }
    out
}

fn apply(text: &mut String, m: &Mutation) {
    let at = |p: &prop::sample::Index, text: &str| boundary(text, p.index(text.len() + 1));
    match m {
        Mutation::Insert(p, c) => {
            let i = at(p, text);
            text.insert(i, *c);
        }
        Mutation::Replace(_, c) if text.is_empty() => text.push(*c),
        Mutation::Replace(p, c) => {
            let i = boundary(text, p.index(text.len()));
            text.remove(i);
            text.insert(i, *c);
        }
        Mutation::Delete(p) => {
            if !text.is_empty() {
                let i = boundary(text, p.index(text.len()));
                text.remove(i);
            }
        }
        Mutation::DuplicateLine(p)
        | Mutation::DeleteLine(p)
        | Mutation::Indent(p, _)
        | Mutation::InsertNearLineStart(p, _, _) => {
            let lines = line_ranges(text);
            if lines.is_empty() {
                return;
            }
            let r = lines[p.index(lines.len())].clone();
            match m {
                Mutation::DuplicateLine(_) => {
                    let line = text[r.clone()].to_owned();
                    let line = if line.ends_with('\n') {
                        line
                    } else {
                        format!("\n{line}")
                    };
                    text.insert_str(r.end, &line);
                }
                Mutation::DeleteLine(_) => text.replace_range(r, ""),
                Mutation::Indent(_, d) if *d > 0 => {
                    text.insert_str(r.start, &" ".repeat(*d as usize));
                }
                Mutation::Indent(_, d) => {
                    let spaces = text[r.clone()].bytes().take_while(|&c| c == b' ').count();
                    let n = spaces.min(d.unsigned_abs() as usize);
                    text.replace_range(r.start..r.start + n, "");
                }
                Mutation::InsertNearLineStart(_, o, c) => {
                    let i = boundary(text, (r.start + usize::from(*o)).min(r.end));
                    text.insert(i, *c);
                }
                _ => unreachable!(),
            }
        }
    }
}

/// The rule texts to mutate: the project's parsing YAML files and, when present, every
/// 20th corpus file (read at run time, never copied into the project).
fn mutation_seeds() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    files_under(&root.join("catalog"), &mut files);
    files_under(&root.join("tests/fixtures"), &mut files);
    files.sort();
    let mut corpus = Vec::new();
    files_under(Path::new(CORPUS), &mut corpus);
    corpus.sort();
    files.extend(corpus.into_iter().step_by(20));
    files
        .into_iter()
        .filter_map(|f| {
            let text = std::fs::read_to_string(&f).ok()?;
            (text.len() <= 16 * 1024 && parse_with_serde(&text, Limits::default()).is_ok())
                .then(|| (f.display().to_string(), text))
        })
        .collect()
}

/// Random small edits of real rule texts: wherever the line scanner answers, the
/// event-stream path answers with the same tree and serde-saphyr accepts with the same
/// tree (seeded: every run checks the same cases).
#[test]
fn mutated_rules_are_equal_or_deferred() {
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let seeds = mutation_seeds();
    assert!(
        seeds.len() >= 20,
        "only {} rule texts to mutate",
        seeds.len()
    );
    let tally = with_big_stack(move || {
        let config = Config {
            cases: 2000,
            failure_persistence: None,
            ..Config::default()
        };
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]);
        let mut runner = TestRunner::new_with_rng(config, rng);
        let tally = std::cell::RefCell::new(Tally {
            quiet: true,
            ..Tally::default()
        });
        let strategy = (
            any::<prop::sample::Index>(),
            prop::collection::vec(mutation(), 1..=3),
        );
        let result = runner.run(&strategy, |(file, edits)| {
            let (name, text) = &seeds[file.index(seeds.len())];
            let mut text = text.clone();
            for m in &edits {
                apply(&mut text, m);
            }
            compare(
                &format!("{name} after {edits:?}: {text:?}"),
                &text,
                &mut tally.borrow_mut(),
            );
            Ok(())
        });
        if let Err(e) = result {
            panic!("{e}");
        }
        tally.into_inner()
    });
    eprintln!("mutated rules: {tally:?}");
    // Enough edits leave a file the line scanner still reads for the test to matter.
    assert!(tally.lines >= 200, "{tally:?}");
}

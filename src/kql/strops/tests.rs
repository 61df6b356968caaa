//! Tests of the KQL string operators: the examples of Microsoft's docs and of
//! `shared/notes/kql-semantics.md`, a brute-force reference, property tests of
//! [`PatternSet`] against [`eval`], and an ignored micro-benchmark.

use super::*;
use StrOpKind::*;

/// Asserts `lhs <op> rhs == expected` through [`eval`], a one-pattern [`PatternSet`] and the
/// brute-force [`naive`] reference.
#[track_caller]
fn check(op: StrOpKind, lhs: &str, rhs: &str, expected: bool) {
    assert_eq!(eval(op, lhs, rhs), expected, "eval: {lhs:?} {op} {rhs:?}");
    assert_eq!(naive(op, lhs, rhs), expected, "naive: {lhs:?} {op} {rhs:?}");
    let set = PatternSet::new(&[(op, rhs.to_string())]).unwrap();
    let mut got = Vec::new();
    set.matches(lhs, |i| got.push(i));
    let want: Vec<usize> = if expected { vec![0] } else { vec![] };
    assert_eq!(got, want, "PatternSet: {lhs:?} {op} {rhs:?}");
}

// ---------------------------------------------------------------------------------------------
// Brute-force reference: char vectors, every position, the definitions written out plainly.
// ---------------------------------------------------------------------------------------------

fn naive(op: StrOpKind, lhs: &str, rhs: &str) -> bool {
    let conv = |s: &str| -> Vec<char> {
        if op.is_case_sensitive() {
            s.chars().collect()
        } else {
            s.chars().map(fold_char).collect()
        }
    };
    let (l, r) = (conv(lhs), conv(rhs));
    let alnum = |c: char| c.is_alphanumeric();
    let occurs_at = |i: usize| i + r.len() <= l.len() && l[i..i + r.len()] == r[..];
    // The occurrence at i does not cut a term at its start / end.
    let start_ok = |i: usize| r.is_empty() || !alnum(r[0]) || i == 0 || !alnum(l[i - 1]);
    let end_ok = |i: usize| {
        let j = i + r.len();
        r.is_empty() || !alnum(r[r.len() - 1]) || j == l.len() || !alnum(l[j])
    };
    let any = |f: &dyn Fn(usize) -> bool| (0..=l.len()).any(|i| occurs_at(i) && f(i));
    match op {
        Equals | EqualsCi => l == r,
        Contains | ContainsCs => any(&|_| true),
        StartsWith | StartsWithCs => occurs_at(0),
        EndsWith | EndsWithCs => l.len() >= r.len() && occurs_at(l.len() - r.len()),
        Has | HasCs => any(&|i| start_ok(i) && end_ok(i)),
        HasPrefix | HasPrefixCs => any(&|i| start_ok(i)),
        HasSuffix | HasSuffixCs => any(&|i| end_ok(i)),
        MatchesRegex => cached_regex(rhs).is_match(lhs),
    }
}

/// Compiled regexes, cached: `eval` compiles on every call, which dominates debug-mode runs
/// of the property tests.
fn cached_regex(pattern: &str) -> Regex {
    use std::cell::RefCell;
    thread_local! {
        static CACHE: RefCell<HashMap<String, Regex>> = RefCell::new(HashMap::new());
    }
    CACHE.with(|c| {
        c.borrow_mut()
            .entry(pattern.to_string())
            .or_insert_with(|| Regex::new(pattern).unwrap())
            .clone()
    })
}

/// [`eval`], with `matches regex` through [`cached_regex`] (for the property tests).
fn eval_cached(op: StrOpKind, lhs: &str, rhs: &str) -> bool {
    match op {
        MatchesRegex => cached_regex(rhs).is_match(lhs),
        _ => eval(op, lhs, rhs),
    }
}

/// Property-test iterations: fewer in debug builds, where everything is ~20x slower.
fn iterations(release: usize) -> usize {
    if cfg!(debug_assertions) {
        release / 10
    } else {
        release
    }
}

// ---------------------------------------------------------------------------------------------
// Examples from the notes (shared/notes/kql-semantics.md) and the docs' operator tables
// ---------------------------------------------------------------------------------------------

#[test]
fn notes_terms_example() {
    let s = "ad67d136-c1db-4f9f-88ef-d94f3b6b0b5a;KustoExplorerQueryRun";
    let got: Vec<&str> = terms(s).map(|(_, t)| t).collect();
    assert_eq!(
        got,
        [
            "ad67d136",
            "c1db",
            "4f9f",
            "88ef",
            "d94f3b6b0b5a",
            "KustoExplorerQueryRun"
        ]
    );
    for (off, t) in terms(s) {
        assert_eq!(&s[off..off + t.len()], t);
    }
    // The docs' variant with a leading "Kusto: ".
    let got: Vec<&str> = terms("Kusto: ad67d136-c1db;KustoExplorerQueryRun")
        .map(|(_, t)| t)
        .collect();
    assert_eq!(got, ["Kusto", "ad67d136", "c1db", "KustoExplorerQueryRun"]);
}

#[test]
fn terms_edge_cases() {
    assert!(!is_term_char('·') && !is_term_char('—') && !is_term_char('\u{301}'));
    assert!(is_term_char('٣') && is_term_char('日') && !is_term_char('_'));
    assert_eq!(terms("").count(), 0);
    assert_eq!(terms("--__..").count(), 0);
    let got: Vec<(usize, &str)> = terms("Hello_World").collect();
    assert_eq!(got, [(0, "Hello"), (6, "World")]);
    let got: Vec<(usize, &str)> = terms("_a_").collect();
    assert_eq!(got, [(1, "a")]);
    let got: Vec<(usize, &str)> = terms("Ärger über 3ß").collect();
    assert_eq!(got, [(0, "Ärger"), (7, "über"), (13, "3ß")]);
    let got: Vec<&str> = terms("日本語 テキスト").map(|(_, t)| t).collect();
    assert_eq!(got, ["日本語", "テキスト"]);
}

#[test]
fn notes_explorer_example() {
    check(Has, "KustoExplorerQueryRun", "Explorer", false);
    check(Contains, "KustoExplorerQueryRun", "Explorer", true);
    check(
        Has,
        "ad67d136-c1db-4f9f-88ef-d94f3b6b0b5a;KustoExplorerQueryRun",
        "kustoexplorerqueryrun",
        true,
    );
    check(
        Has,
        "ad67d136-c1db-4f9f-88ef-d94f3b6b0b5a;KustoExplorerQueryRun",
        "4F9F",
        true,
    );
}

#[test]
fn notes_operator_table() {
    check(Equals, "aBc", "aBc", true);
    check(Equals, "abc", "ABC", false); // "abc" != "ABC"
    check(EqualsCi, "abc", "ABC", true);
    check(EqualsCi, "aBc", "xyz", false); // "aBc" !~ "xyz"
    check(Has, "North America", "america", true);
    check(Has, "North America", "amer", false); // !has "amer"
    check(HasCs, "North America", "America", true);
    check(HasCs, "North America", "amer", false);
    // has_any / has_all are built by the caller from `has`.
    let any = ["south", "north"]
        .iter()
        .any(|t| eval(Has, "North America", t));
    assert!(any);
    let all = ["south", "north"]
        .iter()
        .all(|t| eval(Has, "North and South America", t));
    assert!(all);
    check(HasPrefix, "North America", "ame", true);
    check(HasPrefix, "North America", "mer", false);
    check(HasPrefixCs, "North America", "Ame", true);
    check(HasPrefixCs, "North America", "CA", false);
    check(HasSuffix, "North America", "ica", true);
    check(HasSuffix, "North America", "americ", false);
    check(HasSuffixCs, "North America", "ica", true);
    check(HasSuffixCs, "North America", "icA", false);
    check(Contains, "FabriKam", "BRik", true);
    check(Contains, "Fabrikam", "xyz", false);
    check(ContainsCs, "FabriKam", "Kam", true);
    check(ContainsCs, "Fabrikam", "Kam", false);
    check(StartsWith, "Fabrikam", "fab", true);
    check(StartsWith, "Fabrikam", "kam", false);
    check(StartsWithCs, "Fabrikam", "Fab", true);
    check(StartsWithCs, "Fabrikam", "fab", false);
    check(EndsWith, "Fabrikam", "Kam", true);
    check(EndsWith, "Fabrikam", "brik", false);
    check(EndsWithCs, "Fabrikam", "kam", true);
    check(EndsWithCs, "Fabrikam", "brik", false);
    // in / in~ are built by the caller from == / =~.
    assert!(["123", "abc"].iter().any(|t| eval(Equals, "abc", t)));
    assert!(!["123", "abc"].iter().any(|t| eval(Equals, "Abc", t)));
    assert!(["123", "abc"].iter().any(|t| eval(EqualsCi, "Abc", t)));
    check(MatchesRegex, "Fabrikam", "b.*k", true);
    check(MatchesRegex, "Fabrikam", "B.*K", false); // case-sensitive
    check(MatchesRegex, "KANSAS", "K.*S", true); // docs' StormEvents example
    check(MatchesRegex, "LAKE SUPERIOR", "K.*S", true);
}

#[test]
fn notes_zoho_phrase_cases() {
    check(Has, "https://assist.zoho.com/x", "assist.zoho.com", true);
    check(Has, "ASSIST.ZOHO.COM", "assist.zoho.com", true);
    check(Has, "myassist.zoho.com", "assist.zoho.com", false);
    check(Has, "assist.zoho.community", "assist.zoho.com", false);
    check(Has, "Zoho-Assist", "Zoho Assist", false);
    check(Has, "Zoho Assist", "Zoho Assist", true);
    check(Has, "zoho assist", "Zoho Assist", true);
    check(HasCs, "zoho assist", "Zoho Assist", false);
    check(Has, "Zoho Corporation Private Limited", "Zoho", true);
    check(Has, "ZohoAssistant", "Zoho", false);
    check(Has, "ZohoAssistant", "Zoho Assist", false);
    check(Has, "Zoho Assistant", "Zoho Assist", false);
    check(HasPrefix, "Zoho Assistant", "Zoho Assist", true);
    check(HasPrefix, "MyZoho Assistant", "Zoho Assist", false);
    check(HasSuffix, "MyZoho Assist", "Zoho Assist", true);
    check(HasSuffix, "MyZoho Assistant", "Zoho Assist", false);
    check(Has, "dl.assist.zoho.com:443", "assist.zoho.com", true);
}

#[test]
fn notes_underscore_is_a_boundary() {
    check(Has, "Hello_World", "Hello", true);
    check(Has, "Hello_World", "world", true);
    check(Has, "Hello_World", "Hello_World", true);
    check(Has, "HelloWorld", "Hello", false);
    check(HasCs, "Hello_World", "hello", false);
}

#[test]
fn brief_cases() {
    check(Has, "North America", "america", true);
    check(HasCs, "North America", "america", false);
    check(HasPrefix, "North America", "ame", true);
    check(Contains, "FabriKam", "BRik", true);
    check(StartsWith, "FabriKam", "fABR", true);
    check(StartsWith, "FabriKam", "abr", false);
    check(StartsWithCs, "FabriKam", "FabriK", true);
    check(EndsWith, "FabriKam", "RIKAM", true);
    check(EndsWith, "FabriKam", "rika", false);
    check(EndsWithCs, "FabriKam", "Kam", true);
    check(EndsWithCs, "FabriKam", "kam", false);
    check(EqualsCi, "FabriKam", "fabrikam", true);
    check(EqualsCi, "FabriKam", "fabrika", false);
    check(Equals, "FabriKam", "fabrikam", false);
    check(Equals, "FabriKam", "FabriKam", true);
    check(MatchesRegex, "Fabrikam", "b.*k", true);
    check(MatchesRegex, "Fabrikam", "^b.*k", false);
    check(Has, "Remote Utilities LLC", "Remote Utilities", true);
    check(Has, "RemoteUtilities", "Remote Utilities", false);
    check(Has, "Remote-Utilities", "Remote Utilities", false);
    check(Has, "Action1 Corp", "Action1 Corporation", false);
    check(Has, "Action1 Corporation", "Action1 Corp", false);
    check(HasPrefix, "Action1 Corporation", "Action1 Corp", true);
}

#[test]
fn phrase_with_leading_or_trailing_separators() {
    // The boundary rule only constrains alphanumeric ends of the RHS.
    check(Has, "x.zoho.com", ".zoho.com", true);
    check(Has, "x.zoho.community", ".zoho.com", false);
    check(Has, "C:\\Windows\\", "\\Windows\\", true);
    check(Has, "a.b", ".", true);
    check(Has, "ab", ".", false);
    check(HasSuffix, "evil.com.", "com.", true);
    check(HasPrefix, "x/admin", "/adm", true);
}

#[test]
fn overlapping_occurrences_are_all_considered() {
    // The first occurrence fails the boundary test, a later overlapping one passes.
    check(Has, "aba.ba", "ba", true);
    check(Has, "xab.ab", "ab", true);
    check(Has, "xabab", "ab", false);
    check(Has, "a.a.a", "a.a", true);
    check(Has, "aa.a", "a.a", false);
    check(HasPrefix, "bab", "ab", false);
    check(HasSuffix, "abab", "ab", true);
}

#[test]
fn empty_strings() {
    // Empty RHS: substring family true for every LHS (empty string occurs at offset 0).
    for lhs in ["", "abc", "a b", "--"] {
        for op in [
            Has,
            HasCs,
            HasPrefix,
            HasPrefixCs,
            HasSuffix,
            HasSuffixCs,
            Contains,
            ContainsCs,
            StartsWith,
            StartsWithCs,
            EndsWith,
            EndsWithCs,
            MatchesRegex,
        ] {
            check(op, lhs, "", true);
        }
        check(Equals, lhs, "", lhs.is_empty());
        check(EqualsCi, lhs, "", lhs.is_empty());
    }
    // Empty LHS, non-empty RHS.
    for op in StrOpKind::ALL {
        let rhs = if op == MatchesRegex { "a" } else { "abc" };
        check(op, "", rhs, false);
    }
    check(MatchesRegex, "", "^$", true);
    check(MatchesRegex, "", "x*", true);
}

#[test]
fn non_ascii() {
    check(Has, "ÄBC", "äbc", true);
    check(Has, "äbc", "ÄBC", true);
    check(HasCs, "ÄBC", "äbc", false);
    check(EqualsCi, "ÄBC", "äbc", true);
    check(Contains, "GRÜẞE", "üß", true);
    check(Has, "Straße 5", "STRASSE", false); // no full case folding
    check(Has, "Straße 5", "straße", true);
    check(EqualsCi, "ß", "ẞ", true);
    check(EqualsCi, "ı", "I", false); // Turkish dotless i
    check(EqualsCi, "i", "I", true);
    check(EqualsCi, "İ", "i", false); // U+0130 is left unfolded
    check(EqualsCi, "İ", "İ", true);
    check(EqualsCi, "ς", "Σ", true); // final sigma folds to σ
    check(Has, "ΟΔΟΣ 5", "οδος", true); // "οδος" as str::to_lowercase writes it
    check(EqualsCi, "σ", "Σ", true);
    check(EqualsCi, "\u{212A}", "k", true); // Kelvin sign
    check(Has, "5 \u{212A}elvin", "kelvin", true);
    check(Has, "5 kelvin", "\u{212A}ELVIN", true);
    check(Has, "Müller-Lüdenscheidt", "LÜDENSCHEIDT", true);
    check(Has, "Müller-Lüdenscheidt", "ller", false); // ü is a term character
    check(Has, "日本語 テキスト", "テキスト", true);
    check(Has, "日本語テキスト", "テキスト", false);
    check(StartsWith, "Ärger", "äR", true);
    check(EndsWith, "ärgER", "GeR", true);
    check(HasSuffix, "Ärger über", "BER", true);
    check(ContainsCs, "Ärger", "Är", true);
    check(ContainsCs, "Ärger", "är", false);
}

#[test]
fn fold_preserves_term_characters_and_char_count() {
    for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
        let f = fold_char(c);
        assert_eq!(
            is_term_char(c),
            is_term_char(f),
            "{c:?} (U+{:04X}) folds to {f:?}",
            c as u32
        );
        assert_eq!(fold_char(f), f, "fold is idempotent for {c:?}");
    }
    // Pre-lowercasing with str::to_lowercase (as a compiler may do) changes nothing, except
    // for U+0130, whose lowercase is two characters.
    for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
        if c == 'İ' {
            continue;
        }
        for s in [c.to_string(), format!("x{c}")] {
            assert_eq!(fold(&s.to_lowercase()), fold(&s), "{s:?}");
        }
    }
    assert_ne!(fold(&"İ".to_lowercase()), fold("İ"));
    assert_eq!(fold("ABC"), "abc");
    assert!(matches!(fold("abc"), Cow::Borrowed(_)));
    assert!(matches!(fold("äbc"), Cow::Borrowed(_)));
    assert_eq!(fold("ÄBC").chars().count(), 3);
}

#[test]
fn kql_spellings_round_trip() {
    for op in StrOpKind::ALL {
        assert_eq!(StrOpKind::from_kql(op.as_str()), Some(op));
        assert_eq!(op.to_string(), op.as_str());
        // Case-sensitive operators reject "A" against "a"; the others accept it.
        assert_eq!(op.is_case_sensitive(), !eval(op, "A", "a"), "{op}");
    }
    assert_eq!(StrOpKind::from_kql("HAS"), None);
    assert_eq!(StrOpKind::from_kql("!has"), None);
}

// ---------------------------------------------------------------------------------------------
// PatternSet behaviour
// ---------------------------------------------------------------------------------------------

fn hits(set: &PatternSet, value: &str) -> Vec<usize> {
    let mut v = Vec::new();
    set.matches(value, |i| v.push(i));
    v
}

#[test]
fn pattern_set_reports_each_index_once_in_order() {
    let pats: Vec<(StrOpKind, String)> = vec![
        (Contains, "a".into()),     // 0: many occurrences
        (Has, "a".into()),          // 1: shares the needle with 0
        (HasCs, "A".into()),        // 2
        (Equals, "a a A".into()),   // 3
        (EqualsCi, "A A a".into()), // 4
        (MatchesRegex, "a".into()), // 5
        (MatchesRegex, "a".into()), // 6: duplicate regex
        (Contains, "".into()),      // 7: empty needle
        (StartsWith, "A".into()),   // 8
        (EndsWith, "a".into()),     // 9
        (Has, "zzz".into()),        // 10: no hit
    ];
    let set = PatternSet::new(&pats).unwrap();
    assert_eq!(set.len(), 11);
    assert!(!set.is_empty());
    assert_eq!(hits(&set, "a a A"), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert_eq!(hits(&set, "bbb"), [7]);
    assert!(set.is_match("bbb"));
    let empty = PatternSet::new(&[]).unwrap();
    assert!(empty.is_empty());
    assert!(hits(&empty, "x").is_empty());
    assert!(!empty.is_match("x"));
}

#[test]
fn pattern_set_many_hits_spill() {
    let pats: Vec<(StrOpKind, String)> = (0..100)
        .map(|i| (Has, format!("t{i}")))
        .chain((0..100).map(|i| (Contains, format!("T{i}"))))
        .collect();
    let set = PatternSet::new(&pats).unwrap();
    let value: Vec<String> = (0..100).rev().map(|i| format!("t{i}")).collect();
    let value = value.join(" ");
    let got = hits(&set, &value);
    let want: Vec<usize> = (0..200).collect();
    assert_eq!(got, want);
}

#[test]
fn pattern_set_regex_error_names_the_pattern() {
    let err = PatternSet::new(&[
        (MatchesRegex, "ok.*".into()),
        (Has, "x".into()),
        (MatchesRegex, "(unclosed".into()),
    ])
    .unwrap_err();
    assert!(err.contains("(unclosed"), "{err}");
    assert!(err.contains("#2"), "{err}");
    assert!(!eval(MatchesRegex, "(unclosed", "(unclosed"));
}

#[test]
fn pattern_set_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<PatternSet>();
}

#[test]
fn pattern_set_eq_ci_long_and_non_ascii_values() {
    let long = "A".repeat(300);
    let set = PatternSet::new(&[
        (EqualsCi, long.to_lowercase()),
        (EqualsCi, "ÄBC".into()),
        (Has, "\u{212A}".into()),
    ])
    .unwrap();
    assert_eq!(hits(&set, &long), [0]);
    assert_eq!(hits(&set, "äBc"), [1]);
    assert_eq!(hits(&set, "x K y"), [2]);
    assert_eq!(hits(&set, "x \u{212A} y"), [2]);
}

#[test]
fn pattern_set_has_routing_edge_cases() {
    // Term-table needles (term chars at both ends, <= 32 terms) and AC fallbacks side by side.
    let nine = "a b c d e f g h i";
    let pats: Vec<(StrOpKind, String)> = vec![
        (Has, nine.into()),                     // 0: 9 terms
        (Has, "c d e f g h i".into()),          // 1: 7 terms
        (Has, ".zoho.com".into()),              // 2: leading separator
        (Has, "assist.zoho.com".into()),        // 3
        (HasCs, "Assist.Zoho.com".into()),      // 4
        (Has, "https://evil.example/x".into()), // 5: shares "https" with 6
        (Has, "https://good.example/y".into()), // 6
        (Has, "ZOHO".into()),                   // 7
        (Contains, "assist.zoho.com".into()),   // 8: same needle as 3, other family
        (HasPrefix, "assist.zoho.co".into()),   // 9
        (Has, long_phrase()),                   // 10: 40 terms: served by the automaton
    ];
    for set in [
        PatternSet::build(&pats, 0).unwrap(),
        PatternSet::build(&pats, usize::MAX).unwrap(),
    ] {
        has_routing_cases(&set);
    }
}

fn long_phrase() -> String {
    (0..40)
        .map(|i| format!("w{i}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn has_routing_cases(set: &PatternSet) {
    assert_eq!(hits(set, &format!("pre.{}.post", long_phrase())), [10]);
    assert_eq!(
        hits(set, &format!("pre.{}x", long_phrase())),
        Vec::<usize>::new()
    );
    assert_eq!(hits(set, "x a b c d e f g h i y"), [0, 1]);
    assert_eq!(hits(set, "a b c d e f g h ij"), Vec::<usize>::new());
    assert_eq!(hits(set, "https://Assist.Zoho.com/"), [2, 3, 4, 7, 8, 9]);
    assert_eq!(hits(set, "myassist.zoho.community"), [7, 8]);
    assert_eq!(hits(set, "my.assist.zoho.community"), [7, 8, 9]);
    assert_eq!(hits(set, "GET https://evil.example/x?q=1"), [5]);
    assert_eq!(
        hits(set, "GET https://evil.example/xq=1"),
        Vec::<usize>::new()
    );
    assert_eq!(hits(set, "https://good.example/y"), [6]);
    // Values with many repeated first terms keep working (open spans are bounded).
    let long = "https://x ".repeat(50) + "https://good.example/y";
    assert_eq!(hits(set, &long), [6]);
}

// ---------------------------------------------------------------------------------------------
// Property tests (no extra crates: a small xorshift PRNG)
// ---------------------------------------------------------------------------------------------

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// A small alphabet with term characters in both cases, separators (including `_` and the
/// non-ASCII `·`, `—` and combining U+0301), non-ASCII digits, and non-ASCII letters whose
/// folding is interesting.
const ALPHABET: &[char] = &[
    'a', 'b', 'A', 'B', 'a', 'b', '1', ' ', '.', '-', '_', 'ä', 'Ä', 'ß', 'ẞ', 'ı', 'I', 'i', 'İ',
    'σ', 'Σ', 'ς', '\u{212A}', 'k', 'é', '日', '·', '—', '\u{301}', '٣',
];

const REGEXES: &[&str] = &[
    "a",
    "^a",
    "b$",
    "a.b",
    "[aA]+b",
    "ä",
    "(?i)ab",
    r"\.",
    "^$",
    "a|ß",
    r"\d",
    "[[:upper:]]",
];

fn random_string(rng: &mut Rng, max: usize) -> String {
    let len = rng.below(max + 1);
    (0..len).map(|_| rng.pick(ALPHABET)).collect()
}

fn random_pattern(rng: &mut Rng) -> (StrOpKind, String) {
    let op = rng.pick(&StrOpKind::ALL);
    let needle = if op == MatchesRegex {
        rng.pick(REGEXES).to_string()
    } else {
        // Mostly short needles, sometimes phrases of several terms.
        let max = if rng.below(4) == 0 { 9 } else { 4 };
        random_string(rng, max)
    };
    (op, needle)
}

#[test]
fn property_eval_agrees_with_naive() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..iterations(200_000) {
        let (op, rhs) = random_pattern(&mut rng);
        let lhs = random_string(&mut rng, 10);
        assert_eq!(
            eval_cached(op, &lhs, &rhs),
            naive(op, &lhs, &rhs),
            "{lhs:?} {op} {rhs:?}"
        );
    }
}

#[test]
fn property_pattern_set_agrees_with_eval() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let mut checked = 0usize;
    let mut matched = 0usize;
    let sets_to_try = iterations(3_000);
    for _ in 0..sets_to_try {
        let n = 1 + rng.below(24);
        let pats: Vec<(StrOpKind, String)> = (0..n).map(|_| random_pattern(&mut rng)).collect();
        // The default routing, everything in the automata, and every eligible `has` needle in
        // the term tables.
        let sets = [
            PatternSet::new(&pats).unwrap(),
            PatternSet::build(&pats, usize::MAX).unwrap(),
            PatternSet::build(&pats, 0).unwrap(),
        ];
        assert_eq!(sets[0].len(), n);
        for _ in 0..20 {
            // Some values are built from the needles to make hits likely.
            let mut value = random_string(&mut rng, 12);
            if rng.below(2) == 0 {
                let (_, needle) = &pats[rng.below(n)];
                let sep = rng.pick(&["", " ", ".", "x", "_", "Ä"]);
                value = format!("{value}{sep}{needle}{}", random_string(&mut rng, 3));
            }
            let want: Vec<usize> = (0..n)
                .filter(|&i| eval_cached(pats[i].0, &value, &pats[i].1))
                .collect();
            for (k, set) in sets.iter().enumerate() {
                let got = hits(set, &value);
                assert_eq!(got, want, "set {k}, value {value:?}, patterns {pats:?}");
            }
            checked += 1;
            matched += want.len();
        }
    }
    assert!(
        checked == sets_to_try * 20 && matched > checked,
        "{checked} {matched}"
    );
}

// ---------------------------------------------------------------------------------------------
// Micro-benchmark: cargo test --release -- --ignored --nocapture bench_
// ---------------------------------------------------------------------------------------------

const SYLLABLES: &[&str] = &[
    "ka", "zo", "ho", "mi", "cro", "soft", "net", "web", "cloud", "as", "sist", "re", "mote",
    "tech", "data", "sec", "ur", "lo", "gin", "ap", "pi", "dev", "ops", "on",
];
const TLDS: &[&str] = &["com", "net", "org", "io", "co.uk", "de", "ru", "info"];

fn random_domain(rng: &mut Rng) -> String {
    let n = 2 + rng.below(3);
    let name: String = (0..n).map(|_| rng.pick(SYLLABLES)).collect();
    format!("{name}.{}", rng.pick(TLDS))
}

/// A realistic URL: scheme, optional subdomain, a domain, a path and a query string.
fn random_url(rng: &mut Rng, domain: &str) -> String {
    let sub = rng.pick(&["", "www.", "api.", "cdn-2.", "login."]);
    let segs = 1 + rng.below(4);
    let path: Vec<String> = (0..segs)
        .map(|_| {
            let n = 1 + rng.below(3);
            (0..n).map(|_| rng.pick(SYLLABLES)).collect()
        })
        .collect();
    format!(
        "https://{sub}{domain}/{}?id={}&ref=Mail_{}",
        path.join("/"),
        rng.next() % 100_000,
        rng.below(100)
    )
}

/// CPU time of this thread in ns (Linux), so a loaded machine skews the figures less than
/// wall-clock time; falls back to wall-clock time elsewhere.
fn cpu_ns(start: std::time::Instant) -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| start.elapsed().as_nanos() as u64)
}

/// Times `set.matches` over `values`; returns (CPU ns per value, rows hit, total hits).
fn time_set(set: &PatternSet, values: &[String]) -> (f64, usize, usize) {
    let start = std::time::Instant::now();
    let t0 = cpu_ns(start);
    let (mut rows_hit, mut total) = (0usize, 0usize);
    for v in values {
        let mut any = false;
        set.matches(v, |_| {
            any = true;
            total += 1;
        });
        rows_hit += usize::from(any);
    }
    let ns = (cpu_ns(start) - t0) as f64 / values.len() as f64;
    (ns, rows_hit, total)
}

#[test]
#[ignore = "micro-benchmark; run with --release -- --ignored --nocapture"]
fn bench_has_domains() {
    const VALUES: usize = 1_000_000;
    let mut rng = Rng(42);
    // 2,000 distinct visited domains; 1M URLs over them.
    let visited: Vec<String> = (0..2_000).map(|_| random_domain(&mut rng)).collect();
    let urls: Vec<String> = (0..VALUES)
        .map(|_| {
            let d = &visited[rng.below(visited.len())];
            random_url(&mut rng, d)
        })
        .collect();
    let avg_len = urls.iter().map(String::len).sum::<usize>() as f64 / VALUES as f64;
    println!("{VALUES} URL values, average {avg_len:.0} bytes; CPU ns per value");
    let report = |label: &str, pats: &[(StrOpKind, String)]| {
        let start = std::time::Instant::now();
        let set = PatternSet::new(pats).unwrap();
        let build = start.elapsed();
        let (ns, rows_hit, total) = time_set(&set, &urls);
        println!(
            "{label:<28} {:>6}: {ns:>6.1} ns/value ({:>5.2} M values/s), build {:>7.2} ms, rows hit {rows_hit}, hits {total}",
            pats.len(),
            1e3 / ns,
            build.as_secs_f64() * 1e3
        );
        // Spot-check the fast path against the reference on a sample.
        for u in urls.iter().step_by(4999) {
            let want: Vec<usize> = (0..pats.len())
                .filter(|&i| eval(pats[i].0, u, &pats[i].1))
                .collect();
            assert_eq!(hits(&set, u), want, "{u}");
        }
    };
    for size in [10usize, 1_000, 10_000] {
        // Indicators: unseen domains plus ~2% visited ones, in upper case (has is ci).
        let mut pats: Vec<(StrOpKind, String)> =
            (0..size).map(|_| (Has, random_domain(&mut rng))).collect();
        for p in pats.iter_mut().take(size.div_ceil(50)) {
            p.1 = visited[rng.below(visited.len())].to_uppercase();
        }
        report("has <domain>", &pats);
    }
    for size in [10usize, 1_000, 10_000] {
        // Full-URL indicators all starting with "https://" (shared first term).
        let pats: Vec<(StrOpKind, String)> = (0..size)
            .map(|_| {
                let d = random_domain(&mut rng);
                (Has, random_url(&mut rng, &d))
            })
            .collect();
        report("has <url>", &pats);
    }
    for size in [10usize, 1_000, 10_000] {
        // Automaton path: contains / endswith / hasprefix over domains.
        let pats: Vec<(StrOpKind, String)> = (0..size)
            .map(|i| {
                let op = [Contains, EndsWith, HasPrefix][i % 3];
                (op, random_domain(&mut rng))
            })
            .collect();
        report("contains/endswith/hasprefix", &pats);
    }
    // Baseline: the reference `eval` loop over 10 `has` patterns.
    let pats: Vec<String> = (0..10).map(|_| random_domain(&mut rng)).collect();
    let start = std::time::Instant::now();
    let t0 = cpu_ns(start);
    let mut n = 0usize;
    for u in &urls {
        n += usize::from(pats.iter().any(|p| eval(Has, u, p)));
    }
    let ns = (cpu_ns(start) - t0) as f64 / VALUES as f64;
    println!("eval loop (reference) x 10: {ns:>6.1} ns/value (rows hit {n})");
}

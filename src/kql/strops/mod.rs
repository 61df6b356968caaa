//! KQL string-operator semantics and a fast multi-pattern matcher for them.
//!
//! This module is self-contained (std + `regex` + `aho-corasick`). It provides:
//!
//! * [`StrOpKind`]: the string operators of KQL (`==`, `=~`, `has`, `has_cs`, `hasprefix`,
//!   `hasprefix_cs`, `hassuffix`, `hassuffix_cs`, `contains`, `contains_cs`, `startswith`,
//!   `startswith_cs`, `endswith`, `endswith_cs`, `matches regex`). Negations (`!has`, ...) and
//!   list operators (`in`, `in~`, `has_any`, `has_all`) are built by the caller from these.
//! * [`eval`]: one evaluation of `lhs <op> rhs` (reference semantics; zero allocation when both
//!   sides are ASCII, except for `matches regex`, which compiles the regex on every call).
//! * [`terms`]: the KQL term split of a string.
//! * [`PatternSet`]: many `(operator, needle)` patterns evaluated against one value at a time with
//!   one Aho-Corasick pass per case family, a hash lookup for equality and a `RegexSet`.
//!
//! # Semantics and their sources
//!
//! The rules below come from Microsoft's Kusto documentation ("String operators",
//! <https://learn.microsoft.com/kusto/query/datatypes-string-operators>, and the per-operator
//! pages `has-operator`, `hasprefix-operator`, `hassuffix-operator`, `contains-operator`,
//! `startswith-operator`, `endswith-operator`, `matches-regex-operator`, `re2`, `in-operator`)
//! and from the project's specification `shared/notes/kql-semantics.md`.
//!
//! * **Terms.** "Each string value is broken into maximal sequences of alphanumeric characters,
//!   and each of those sequences is made into a term" (String operators, *What is a term?*).
//!   Alphanumeric means [`char::is_alphanumeric`] (Unicode `Alphabetic` or `Numeric`); every
//!   other character, including `_`, is a separator. (Older revisions of the page said "ASCII
//!   alphanumeric"; the current page says "alphanumeric", which we follow. For ASCII text the
//!   two agree.) The term index only holds terms of 3+ characters, but that is a performance
//!   detail: shorter terms are found by scanning, with the same result.
//! * **`has` family.** `has`: "RHS is a whole term in LHS"; `hasprefix`: "RHS is a term prefix
//!   in LHS"; `hassuffix`: "RHS is a term suffix in LHS". When the RHS itself contains
//!   separators (`'assist.zoho.com'`, `'Zoho Assist'`) it is a *phrase*: the RHS must occur
//!   verbatim (modulo case; separators must be equal) and the occurrence must not cut a term of
//!   the LHS in two: at its start for `has`/`hasprefix`, at its end for `has`/`hassuffix`.
//!   Formally, an occurrence `[s, e)` of RHS in LHS *starts on a term boundary* unless both the
//!   character before `s` and the first RHS character are alphanumeric, and *ends on a term
//!   boundary* unless both the last RHS character and the character at `e` are alphanumeric.
//!   (The documentation does not spell out phrases; this is the observed behaviour recorded in
//!   the notes, e.g. `https://assist.zoho.com/x has 'assist.zoho.com'` is true,
//!   `myassist.zoho.com` and `assist.zoho.community` are not, `Zoho-Assist has 'Zoho Assist'`
//!   is false.)
//! * **`contains`**: "RHS occurs as a subsequence of LHS" (a substring), **`startswith`** /
//!   **`endswith`**: "RHS is an initial / closing subsequence of LHS".
//! * **`==`** is case-sensitive equality, **`=~`** case-insensitive equality.
//! * **`matches regex`**: "Filters a record set based on a case-sensitive regular expression";
//!   "the regular expression syntax supported by Kusto is that of the RE2 library". It is true
//!   when the LHS *contains* a match (unanchored), as in the docs' `"Fabrikam" matches regex
//!   "b.*k"`. We use the `regex` crate, whose syntax is RE2's; differences: `\d`, `\w`, `\s`,
//!   `\b` are Unicode-aware in `regex` but ASCII-only in RE2 (write `[0-9]` to be portable).
//! * **Operators with `_cs` are case-sensitive; the others are not** (String operators).
//! * **Empty RHS** (not documented): `contains ""`, `startswith ""`, `endswith ""` are true for
//!   every LHS (the empty string is a substring / prefix / suffix of every string), and so are
//!   `has ""`, `hasprefix ""`, `hassuffix ""` (the empty phrase occurs at offset 0, which is a
//!   term boundary). `== ""` and `=~ ""` are true only for an empty LHS; `matches regex ""` is
//!   true for every LHS.
//!
//! # Case-insensitivity
//!
//! Kusto's in~/`=~` page notes that "case-insensitive operators are currently supported only
//! for ASCII-text". We deliberately go further and fold case with Unicode *simple* lowercase
//! mappings, one character to one character ([`fold_char`]), applied identically to both
//! sides, so `"ÄBC" has "äbc"` is true (with ASCII-only folding it would be false; this module
//! therefore can report a few more matches than Kusto on non-ASCII text, never fewer on ASCII
//! text, where the two are identical). Edge cases of this choice:
//!
//! * `ß` is its own lowercase and is not equal to `ss`/`SS` (no full case folding); `ẞ`
//!   (U+1E9E) folds to `ß`.
//! * Turkish: `I` folds to `i` and `ı` (dotless, U+0131) stays `ı`, so `ı =~ I` is false; `İ`
//!   (U+0130), whose lowercase is the two characters `i̇`, is left unchanged, so `İ =~ i` is
//!   false (keeping the fold one-to-one keeps term boundaries identical before and after it).
//! * Greek final sigma: `ς` folds to `σ` (as in Unicode case folding), and so does `Σ`, so
//!   `ς =~ Σ` is true. This also makes text already lowercased with [`str::to_lowercase`]
//!   (which writes `ς` at the end of a word) fold to the same string as the original: for
//!   every string without `İ`, `fold(&s.to_lowercase()) == fold(s)` (tested).
//! * The Kelvin sign `K` (U+212A) folds to ASCII `k`, and the Ohm sign `Ω` to `ω`.
//!
//! Folding never changes whether a character is alphanumeric (tested over all of Unicode), so
//! term boundaries are the same in a value and in its folded copy.

use std::borrow::Cow;
use std::collections::HashMap;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::{Regex, RegexSet, RegexSetBuilder};

#[cfg(test)]
mod tests;

/// The string operators of KQL (String operators,
/// <https://learn.microsoft.com/kusto/query/datatypes-string-operators>). The negated forms
/// (`!=`, `!~`, `!has`, `!contains`, ...) are the negation of these, built by the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StrOpKind {
    /// `==`: equals, case-sensitive (`"aBc" == "aBc"`).
    Equals,
    /// `=~`: equals, case-insensitive (`"abc" =~ "ABC"`).
    EqualsCi,
    /// `has`: RHS is a whole term (or phrase on term boundaries) in LHS, case-insensitive.
    Has,
    /// `has_cs`: as [`StrOpKind::Has`], case-sensitive.
    HasCs,
    /// `hasprefix`: RHS is a term prefix in LHS, case-insensitive.
    HasPrefix,
    /// `hasprefix_cs`: RHS is a term prefix in LHS, case-sensitive.
    HasPrefixCs,
    /// `hassuffix`: RHS is a term suffix in LHS, case-insensitive.
    HasSuffix,
    /// `hassuffix_cs`: RHS is a term suffix in LHS, case-sensitive.
    HasSuffixCs,
    /// `contains`: RHS occurs as a substring of LHS, case-insensitive.
    Contains,
    /// `contains_cs`: RHS occurs as a substring of LHS, case-sensitive.
    ContainsCs,
    /// `startswith`: RHS is a prefix of the whole LHS, case-insensitive.
    StartsWith,
    /// `startswith_cs`: RHS is a prefix of the whole LHS, case-sensitive.
    StartsWithCs,
    /// `endswith`: RHS is a suffix of the whole LHS, case-insensitive.
    EndsWith,
    /// `endswith_cs`: RHS is a suffix of the whole LHS, case-sensitive.
    EndsWithCs,
    /// `matches regex`: LHS contains a match of the RE2-syntax regex RHS, case-sensitive.
    MatchesRegex,
}

impl StrOpKind {
    /// Every operator, in declaration order.
    pub const ALL: [StrOpKind; 15] = [
        StrOpKind::Equals,
        StrOpKind::EqualsCi,
        StrOpKind::Has,
        StrOpKind::HasCs,
        StrOpKind::HasPrefix,
        StrOpKind::HasPrefixCs,
        StrOpKind::HasSuffix,
        StrOpKind::HasSuffixCs,
        StrOpKind::Contains,
        StrOpKind::ContainsCs,
        StrOpKind::StartsWith,
        StrOpKind::StartsWithCs,
        StrOpKind::EndsWith,
        StrOpKind::EndsWithCs,
        StrOpKind::MatchesRegex,
    ];

    /// The operator as written in KQL (`"has_cs"`, `"=~"`, `"matches regex"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            StrOpKind::Equals => "==",
            StrOpKind::EqualsCi => "=~",
            StrOpKind::Has => "has",
            StrOpKind::HasCs => "has_cs",
            StrOpKind::HasPrefix => "hasprefix",
            StrOpKind::HasPrefixCs => "hasprefix_cs",
            StrOpKind::HasSuffix => "hassuffix",
            StrOpKind::HasSuffixCs => "hassuffix_cs",
            StrOpKind::Contains => "contains",
            StrOpKind::ContainsCs => "contains_cs",
            StrOpKind::StartsWith => "startswith",
            StrOpKind::StartsWithCs => "startswith_cs",
            StrOpKind::EndsWith => "endswith",
            StrOpKind::EndsWithCs => "endswith_cs",
            StrOpKind::MatchesRegex => "matches regex",
        }
    }

    /// Parses the KQL spelling of an operator (exactly as [`StrOpKind::as_str`] writes it; KQL
    /// keywords are case-sensitive). Negated forms (`!has`) are not operators of this enum.
    pub fn from_kql(s: &str) -> Option<StrOpKind> {
        StrOpKind::ALL.into_iter().find(|op| op.as_str() == s)
    }

    /// Whether the operator compares case-sensitively: "operators with `_cs` are
    /// case-sensitive; the others are not", plus `==` and `matches regex`, documented as
    /// case-sensitive (String operators table; matches-regex-operator).
    pub fn is_case_sensitive(self) -> bool {
        !matches!(
            self,
            StrOpKind::EqualsCi
                | StrOpKind::Has
                | StrOpKind::HasPrefix
                | StrOpKind::HasSuffix
                | StrOpKind::Contains
                | StrOpKind::StartsWith
                | StrOpKind::EndsWith
        )
    }

    /// The substring-family shape of the operator (`None` for `==`, `=~`, `matches regex`).
    fn shape(self) -> Option<Shape> {
        Some(match self {
            StrOpKind::Has | StrOpKind::HasCs => Shape::Has,
            StrOpKind::HasPrefix | StrOpKind::HasPrefixCs => Shape::HasPrefix,
            StrOpKind::HasSuffix | StrOpKind::HasSuffixCs => Shape::HasSuffix,
            StrOpKind::Contains | StrOpKind::ContainsCs => Shape::Contains,
            StrOpKind::StartsWith | StrOpKind::StartsWithCs => Shape::StartsWith,
            StrOpKind::EndsWith | StrOpKind::EndsWithCs => Shape::EndsWith,
            StrOpKind::Equals | StrOpKind::EqualsCi | StrOpKind::MatchesRegex => return None,
        })
    }
}

impl std::fmt::Display for StrOpKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an occurrence of the RHS must lie for the operator to hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// Anywhere (`contains`).
    Contains,
    /// At offset 0 (`startswith`).
    StartsWith,
    /// Ending at the end of the value (`endswith`).
    EndsWith,
    /// Starting and ending on term boundaries (`has`).
    Has,
    /// Starting on a term boundary (`hasprefix`).
    HasPrefix,
    /// Ending on a term boundary (`hassuffix`).
    HasSuffix,
}

// ---------------------------------------------------------------------------------------------
// Case folding and terms
// ---------------------------------------------------------------------------------------------

/// Case-folds one character for the case-insensitive operators: its Unicode simple lowercase
/// mapping when that is a single character, else the character itself (only `İ`, U+0130, whose
/// lowercase is `i` + U+0307, is affected); final sigma `ς` folds to `σ`. Kusto documents case-insensitive comparison only
/// for ASCII (in-operator: "Case-insensitive operators are currently supported only for
/// ASCII-text"); see the module docs for why and how we extend it to Unicode.
#[inline]
pub fn fold_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    if c == 'ς' {
        return 'σ';
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// Case-folds a string with [`fold_char`], borrowing when nothing changes (no allocation for
/// already-lowercase text). The result has the same number of characters, and the same
/// alphanumeric/separator pattern, as the input; its byte length can differ (`K` → `k`).
pub fn fold(s: &str) -> Cow<'_, str> {
    let needs = if s.is_ascii() {
        s.bytes().any(|b| b.is_ascii_uppercase())
    } else {
        s.chars().any(|c| fold_char(c) != c)
    };
    if needs {
        Cow::Owned(s.chars().map(fold_char).collect())
    } else {
        Cow::Borrowed(s)
    }
}

/// Whether `s` has a non-ASCII character that [`fold_char`] changes (ASCII upper case is
/// handled by ASCII-case-insensitive comparison without folding).
#[inline]
fn needs_nonascii_fold(s: &str) -> bool {
    !s.is_ascii() && s.chars().any(|c| !c.is_ascii() && fold_char(c) != c)
}

/// Whether `c` is part of a term: "each string value is broken into maximal sequences of
/// alphanumeric characters" (String operators, *What is a term?*). Underscore and all other
/// non-alphanumeric characters are separators.
#[inline]
pub fn is_term_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// The terms of `s` with their byte offsets: "each string value is broken into maximal
/// sequences of alphanumeric characters, and each of those sequences is made into a term"
/// (String operators, *What is a term?*). For
/// `ad67d136-c1db-4f9f-88ef-d94f3b6b0b5a;KustoExplorerQueryRun` this yields `ad67d136`, `c1db`,
/// `4f9f`, `88ef`, `d94f3b6b0b5a`, `KustoExplorerQueryRun`. `_` is a separator
/// (`Hello_World` → `Hello`, `World`).
pub fn terms(s: &str) -> impl Iterator<Item = (usize, &str)> {
    Terms { s, pos: 0 }
}

struct Terms<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Iterator for Terms<'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<(usize, &'a str)> {
        let rest = &self.s[self.pos..];
        let start = self.pos + rest.find(is_term_char)?;
        let len = self.s[start..]
            .find(|c: char| !is_term_char(c))
            .unwrap_or(self.s.len() - start);
        self.pos = start + len;
        Some((start, &self.s[start..start + len]))
    }
}

/// Whether the character ending at byte `i` of `h` is alphanumeric (`false` at offset 0).
/// `i` must be a char boundary.
#[inline]
fn term_char_before(h: &str, i: usize) -> bool {
    if i == 0 {
        return false;
    }
    let b = h.as_bytes()[i - 1];
    if b < 0x80 {
        b.is_ascii_alphanumeric()
    } else {
        h[..i].chars().next_back().is_some_and(is_term_char)
    }
}

/// Whether the character starting at byte `i` of `h` is alphanumeric (`false` at the end).
/// `i` must be a char boundary.
#[inline]
fn term_char_at(h: &str, i: usize) -> bool {
    match h.as_bytes().get(i) {
        None => false,
        Some(&b) if b < 0x80 => b.is_ascii_alphanumeric(),
        Some(_) => h[i..].chars().next().is_some_and(is_term_char),
    }
}

/// The term-boundary facts about a needle that the `has` family needs.
#[derive(Clone, Copy, Debug)]
struct Edges {
    /// The needle's first character is alphanumeric (so it must not follow one).
    first_term: bool,
    /// The needle's last character is alphanumeric (so it must not precede one).
    last_term: bool,
}

impl Edges {
    fn of(needle: &str) -> Edges {
        Edges {
            first_term: needle.chars().next().is_some_and(is_term_char),
            last_term: needle.chars().next_back().is_some_and(is_term_char),
        }
    }

    /// The occurrence starting at `s` does not cut a term of `h` (phrase rule of `has`).
    #[inline]
    fn starts_ok(self, h: &str, s: usize) -> bool {
        !self.first_term || !term_char_before(h, s)
    }

    /// The occurrence ending at `e` does not cut a term of `h` (phrase rule of `has`).
    #[inline]
    fn ends_ok(self, h: &str, e: usize) -> bool {
        !self.last_term || !term_char_at(h, e)
    }
}

impl Shape {
    /// Whether an occurrence `[s, e)` of a needle with `edges` in `h` satisfies the shape.
    #[inline]
    fn accepts(self, h: &str, s: usize, e: usize, edges: Edges) -> bool {
        match self {
            Shape::Contains => true,
            Shape::StartsWith => s == 0,
            Shape::EndsWith => e == h.len(),
            Shape::Has => edges.starts_ok(h, s) && edges.ends_ok(h, e),
            Shape::HasPrefix => edges.starts_ok(h, s),
            Shape::HasSuffix => edges.ends_ok(h, e),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Single evaluation
// ---------------------------------------------------------------------------------------------

/// Evaluates `lhs <op> rhs` with KQL semantics (see the module docs for each rule and its
/// source). Zero allocation when both sides are ASCII or already lowercase (case-insensitive
/// operators fold a copy otherwise); `matches regex` compiles `rhs` on every call and is false
/// when `rhs` is not a valid regex (use [`PatternSet::new`] to see the error).
///
/// This is the reference implementation: [`PatternSet::matches`] must agree with it.
pub fn eval(op: StrOpKind, lhs: &str, rhs: &str) -> bool {
    match op {
        StrOpKind::Equals => lhs == rhs,
        StrOpKind::EqualsCi => eq_ci(lhs, rhs),
        StrOpKind::MatchesRegex => Regex::new(rhs).is_ok_and(|re| re.is_match(lhs)),
        _ => {
            let shape = op.shape().expect("substring-family operator");
            if op.is_case_sensitive() {
                shape_holds(shape, lhs, rhs, false)
            } else if lhs.is_ascii() && rhs.is_ascii() {
                shape_holds(shape, lhs, rhs, true)
            } else {
                shape_holds(shape, &fold(lhs), &fold(rhs), false)
            }
        }
    }
}

/// `=~`: "equals", not case-sensitive (String operators): equal after [`fold_char`] on every
/// character of both sides; no allocation.
fn eq_ci(lhs: &str, rhs: &str) -> bool {
    if lhs.is_ascii() && rhs.is_ascii() {
        lhs.eq_ignore_ascii_case(rhs)
    } else {
        lhs.chars().map(fold_char).eq(rhs.chars().map(fold_char))
    }
}

/// Whether `needle` occurs in `hay` at a place `shape` accepts. With `ascii_ci`, ASCII letters
/// compare case-insensitively (both sides must then be ASCII, or already folded apart from
/// ASCII upper case); otherwise bytes compare exactly.
fn shape_holds(shape: Shape, hay: &str, needle: &str, ascii_ci: bool) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.len() > h.len() {
        return false;
    }
    let eq = |a: &[u8]| {
        if ascii_ci {
            a.eq_ignore_ascii_case(n)
        } else {
            a == n
        }
    };
    match shape {
        Shape::Contains if !ascii_ci => hay.contains(needle),
        Shape::StartsWith => eq(&h[..n.len()]),
        Shape::EndsWith => eq(&h[h.len() - n.len()..]),
        _ => {
            let edges = Edges::of(needle);
            // Every occurrence, overlapping ones included: an earlier occurrence that fails
            // the boundary test must not hide a later one that passes. The first byte is
            // compared on its own first (most positions fail there).
            let Some(&first) = n.first() else {
                return (0..=h.len()).any(|s| shape.accepts(hay, s, s, edges));
            };
            let (a, b) = if ascii_ci {
                (first.to_ascii_lowercase(), first.to_ascii_uppercase())
            } else {
                (first, first)
            };
            // Every start position whose first byte matches, in order (memchr2 skips the
            // others), up to the last one a whole needle fits after.
            let last = h.len() - n.len();
            let mut from = 0;
            while let Some(off) = memchr::memchr2(a, b, &h[from..=last]) {
                let s = from + off;
                if eq(&h[s..s + n.len()]) && shape.accepts(hay, s, s + n.len(), edges) {
                    return true;
                }
                from = s + 1;
                if from > last {
                    break;
                }
            }
            false
        }
    }
}

// ---------------------------------------------------------------------------------------------
// PatternSet
// ---------------------------------------------------------------------------------------------

/// A set of `(operator, needle)` patterns evaluated against one field value at a time.
///
/// Patterns are grouped by family:
///
/// * `has` / `has_cs` needles that begin and end with a term character and have at most 32
///   terms (nearly all indicator lists), when the case family has 100 needles or more: a
///   term-aligned hash index per case mode (see `TermTable`), probed once per term of the
///   value, so its cost does not grow with the number of needles; in smaller families they
///   join the automaton below;
/// * the rest of the case-insensitive substring family (`has`, `hasprefix`, `hassuffix`,
///   `contains`, `startswith`, `endswith`): ONE Aho-Corasick automaton over the folded
///   needles, in ASCII case-insensitive mode, so an ASCII value (or one whose non-ASCII
///   characters are already lowercase) is scanned as is, without copying; other values are
///   scanned as a folded copy (the one allocation of the fast path, documented: values with
///   upper-case non-ASCII letters). Each overlapping occurrence is checked against the
///   operator's anchor or term-boundary condition.
/// * the rest of the case-sensitive substring family (the `_cs` forms): a second automaton,
///   exact bytes.
/// * `==`: a hash map from needle to pattern indices; `=~`: a hash map from folded needle to
///   pattern indices (the value is lowercased into a stack buffer when ASCII and at most 256
///   bytes, otherwise into a `String`).
/// * `matches regex`: a [`RegexSet`], consulted only after its `is_match` says yes.
/// * substring-family patterns with an empty needle match every value.
///
/// Identical needles are shared. A match costs O(value length + occurrences found), almost
/// independent of the number of patterns. `PatternSet` is `Send + Sync`; `matches` takes
/// `&self` and allocates nothing in the common case (ASCII values, fewer than 32 hits).
#[derive(Debug)]
pub struct PatternSet {
    len: usize,
    always: Vec<usize>,
    eq: HashMap<Box<str>, Vec<usize>>,
    eq_ci: HashMap<Box<str>, Vec<usize>>,
    ci: Option<Family>,
    cs: Option<Family>,
    ci_terms: Option<TermTable>,
    cs_terms: Option<TermTable>,
    re: Option<RegexFamily>,
}

/// One Aho-Corasick automaton and, per automaton pattern, the set patterns that use it.
#[derive(Debug)]
struct Family {
    ac: AhoCorasick,
    needles: Vec<Needle>,
}

#[derive(Debug)]
struct Needle {
    edges: Edges,
    /// `(shape, pattern index)`, in increasing index order.
    uses: Vec<(Shape, usize)>,
}

#[derive(Debug)]
struct RegexFamily {
    set: RegexSet,
    /// Per regex of `set`, the pattern indices using it.
    uses: Vec<Vec<usize>>,
}

/// Collects the needles of one family before the automaton is built.
#[derive(Default)]
struct FamilyBuilder {
    ids: HashMap<String, usize>,
    needles: Vec<String>,
    uses: Vec<Vec<(Shape, usize)>>,
}

impl FamilyBuilder {
    fn add(&mut self, needle: String, shape: Shape, index: usize) {
        let id = *self.ids.entry(needle.clone()).or_insert_with(|| {
            self.needles.push(needle);
            self.uses.push(Vec::new());
            self.needles.len() - 1
        });
        self.uses[id].push((shape, index));
    }

    fn build(self, ascii_case_insensitive: bool) -> Result<Option<Family>, String> {
        if self.needles.is_empty() {
            return Ok(None);
        }
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .ascii_case_insensitive(ascii_case_insensitive)
            .build(&self.needles)
            .map_err(|e| format!("cannot build the string matcher: {e}"))?;
        let needles = self
            .needles
            .iter()
            .zip(self.uses)
            .map(|(n, uses)| Needle {
                edges: Edges::of(n),
                uses,
            })
            .collect();
        Ok(Some(Family { ac, needles }))
    }
}

impl Family {
    /// Reports every pattern of this family that holds in `hay` (the value, or its folded copy
    /// for the case-insensitive family).
    #[inline]
    fn scan(&self, hay: &str, hits: &mut Hits) {
        for m in self.ac.find_overlapping_iter(hay) {
            let needle = &self.needles[m.pattern().as_usize()];
            for &(shape, index) in &needle.uses {
                if shape.accepts(hay, m.start(), m.end(), needle.edges) {
                    hits.push(index);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Term-aligned hash index for `has` / `has_cs`
// ---------------------------------------------------------------------------------------------

/// The most terms a `has` needle may have to be served by a [`TermTable`] (longer phrases go
/// to the Aho-Corasick automaton).
const MAX_TABLE_TERMS: u32 = 32;
/// The number of needles in a case family from which its `has` needles use a [`TermTable`]:
/// below it, one Aho-Corasick DFA over all the family's needles is faster (the `aho-corasick`
/// crate picks a DFA for about 100 patterns or fewer, a slower NFA above).
const TERM_TABLE_MIN: usize = 100;
const EMPTY_SLOT: u32 = u32::MAX;
const PIECE_SEED: u64 = 0xcbf2_9ce4_8422_2325;
const SPAN_SEED: u64 = 0x2545_f491_4f6c_dd1d;

/// Which ASCII bytes are term characters.
static ASCII_TERM: [bool; 128] = {
    let mut t = [false; 128];
    let mut i = 0;
    while i < 128 {
        t[i] = (i as u8).is_ascii_alphanumeric();
        i += 1;
    }
    t
};

/// One step of the piece hash: a cheap rotate-xor over bytes (ASCII letters lowercased when
/// `CI`), mixed once per piece by [`piece_finish`]. Collisions only cost a verification.
#[inline(always)]
fn piece_step<const CI: bool>(h: u64, b: u8) -> u64 {
    let b = if CI { b.to_ascii_lowercase() } else { b };
    h.rotate_left(9) ^ u64::from(b)
}

#[inline(always)]
fn piece_finish(h: u64) -> u64 {
    let h = (h ^ (h >> 32)).wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 29)
}

/// Appends a piece hash to a span hash.
#[inline(always)]
fn span_mix(h: u64, piece: u64) -> u64 {
    (h.rotate_left(23) ^ piece).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// Splits `hay` into pieces: maximal runs of term characters (terms) and of separators,
/// calling `f(start, end, is_term, hash)` for each, in order.
#[inline(always)]
fn for_each_piece<const CI: bool>(hay: &str, mut f: impl FnMut(usize, usize, bool, u64)) {
    let b = hay.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let is_term = term_char_at(hay, i);
        let mut h = PIECE_SEED;
        while i < b.len() {
            let x = b[i];
            if x < 0x80 {
                if ASCII_TERM[usize::from(x)] != is_term {
                    break;
                }
                h = piece_step::<CI>(h, x);
                i += 1;
            } else {
                let c = hay[i..].chars().next().unwrap_or_default();
                if is_term_char(c) != is_term {
                    break;
                }
                let end = i + c.len_utf8();
                for &y in &b[i..end] {
                    h = piece_step::<CI>(h, y);
                }
                i = end;
            }
        }
        f(start, i, is_term, piece_finish(h));
    }
}

/// A fixed-size bit set used as a one-hash Bloom filter.
#[derive(Debug)]
struct Bits {
    words: Vec<u64>,
    mask: usize,
}

impl Bits {
    fn new(items: usize) -> Bits {
        let bits = (items * 16).next_power_of_two().clamp(1024, 1 << 20);
        Bits {
            words: vec![0; bits / 64],
            mask: bits - 1,
        }
    }
    #[inline(always)]
    fn index(&self, h: u64) -> usize {
        ((h ^ (h >> 29)) >> 7) as usize & self.mask
    }
    fn insert(&mut self, h: u64) {
        let i = self.index(h);
        self.words[i / 64] |= 1 << (i % 64);
    }
    #[inline(always)]
    fn contains(&self, h: u64) -> bool {
        let i = self.index(h);
        self.words[i / 64] & (1 << (i % 64)) != 0
    }
}

/// `has` needles whose first and last characters are term characters, indexed by the hash of
/// their piece sequence. Such a needle can only occur in a value as a whole run of the value's
/// own pieces, starting at a term start and ending at a term end (which are exactly `has`'s
/// boundary conditions), so the value is scanned once, term by term, hashing the spans of up
/// to [`MAX_TABLE_TERMS`] consecutive terms that begin with a plausible first term: the cost
/// depends on the value's term count, not on the number of needles. Hash hits are verified
/// byte by byte.
#[derive(Debug)]
struct TermTable {
    /// ASCII-case-insensitive (needles folded) or exact.
    ci: bool,
    /// Largest term count of a needle.
    max_terms: u32,
    /// Bit `k` set when some needle has `k` terms.
    count_mask: u32,
    /// Hashes of the needles' first terms.
    first: Bits,
    /// Span hashes of the needles.
    spans: Bits,
    /// Open addressing, linear probing: `(span hash, needle id)`.
    slots: Vec<(u64, u32)>,
    slot_shift: u32,
    needles: Vec<(Box<str>, Vec<usize>)>,
}

impl TermTable {
    /// Whether a `has` needle can be served by the table.
    fn accepts(needle: &str) -> bool {
        let edges = Edges::of(needle);
        edges.first_term && edges.last_term && terms(needle).count() <= MAX_TABLE_TERMS as usize
    }

    fn build(ci: bool, needles: Vec<(String, Vec<usize>)>) -> Option<TermTable> {
        if needles.is_empty() {
            return None;
        }
        let cap = (needles.len() * 2).next_power_of_two().max(16);
        let mut t = TermTable {
            ci,
            max_terms: 0,
            count_mask: 0,
            first: Bits::new(needles.len()),
            spans: Bits::new(needles.len()),
            slots: vec![(0, EMPTY_SLOT); cap],
            slot_shift: 64 - cap.trailing_zeros(),
            needles: Vec::with_capacity(needles.len()),
        };
        for (needle, uses) in needles {
            let (mut first, mut span, mut count) = (None, SPAN_SEED, 0u32);
            let mut piece = |_: usize, _: usize, is_term: bool, h: u64| {
                first.get_or_insert(h);
                span = span_mix(span, h);
                count += u32::from(is_term);
            };
            if ci {
                for_each_piece::<true>(&needle, &mut piece);
            } else {
                for_each_piece::<false>(&needle, &mut piece);
            }
            let first = first.expect("non-empty needle");
            t.first.insert(first);
            t.spans.insert(span);
            t.max_terms = t.max_terms.max(count);
            t.count_mask |= 1 << count;
            let mut i = (span >> t.slot_shift) as usize;
            while t.slots[i].1 != EMPTY_SLOT {
                i = (i + 1) & (cap - 1);
            }
            t.slots[i] = (span, t.needles.len() as u32);
            t.needles.push((needle.into_boxed_str(), uses));
        }
        Some(t)
    }

    fn scan(&self, hay: &str, hits: &mut Hits) {
        if self.ci {
            self.scan_impl::<true>(hay, hits);
        } else {
            self.scan_impl::<false>(hay, hits);
        }
    }

    #[inline(always)]
    fn scan_impl<const CI: bool>(&self, hay: &str, hits: &mut Hits) {
        // Open spans, oldest first: (start offset, terms so far, span hash).
        let mut open = [(0usize, 0u32, 0u64); MAX_TABLE_TERMS as usize];
        let mut n = 0usize;
        for_each_piece::<CI>(hay, |start, end, is_term, h| {
            for span in &mut open[..n] {
                span.1 += u32::from(is_term);
                span.2 = span_mix(span.2, h);
            }
            if !is_term {
                return;
            }
            if n > 0 && open[0].1 > self.max_terms {
                open.copy_within(1..n, 0);
                n -= 1;
            }
            if self.first.contains(h) {
                open[n] = (start, 1, span_mix(SPAN_SEED, h));
                n += 1;
            }
            for &(s, count, sh) in &open[..n] {
                if self.count_mask & (1 << count) != 0 && self.spans.contains(sh) {
                    self.probe::<CI>(&hay.as_bytes()[s..end], sh, hits);
                }
            }
        });
    }

    #[inline]
    fn probe<const CI: bool>(&self, span: &[u8], h: u64, hits: &mut Hits) {
        let mask = self.slots.len() - 1;
        let mut i = (h >> self.slot_shift) as usize;
        loop {
            let (sh, id) = self.slots[i];
            if id == EMPTY_SLOT {
                return;
            }
            if sh == h {
                let (needle, uses) = &self.needles[id as usize];
                let n = needle.as_bytes();
                let eq = if CI {
                    span.eq_ignore_ascii_case(n)
                } else {
                    span == n
                };
                if eq {
                    for &u in uses {
                        hits.push(u);
                    }
                }
            }
            i = (i + 1) & mask;
        }
    }
}

impl PatternSet {
    /// Builds the set. Pattern `i` of `patterns` is reported as index `i` by
    /// [`PatternSet::matches`]. Fails on an invalid regex, naming the pattern and its index.
    pub fn new(patterns: &[(StrOpKind, String)]) -> Result<PatternSet, String> {
        PatternSet::build(patterns, TERM_TABLE_MIN)
    }

    /// [`PatternSet::new`] with the family size from which `has` needles go to a
    /// [`TermTable`] instead of the automaton (tests use 0 and `usize::MAX` to cover both).
    fn build(
        patterns: &[(StrOpKind, String)],
        term_table_min: usize,
    ) -> Result<PatternSet, String> {
        let mut always = Vec::new();
        let mut eq: HashMap<Box<str>, Vec<usize>> = HashMap::new();
        let mut eq_ci: HashMap<Box<str>, Vec<usize>> = HashMap::new();
        let mut ci = FamilyBuilder::default();
        let mut cs = FamilyBuilder::default();
        let mut ci_terms: HashMap<String, Vec<usize>> = HashMap::new();
        let mut cs_terms: HashMap<String, Vec<usize>> = HashMap::new();
        let mut re_ids: HashMap<&str, usize> = HashMap::new();
        let mut re_src: Vec<&str> = Vec::new();
        let mut re_uses: Vec<Vec<usize>> = Vec::new();

        for (i, (op, needle)) in patterns.iter().enumerate() {
            match op {
                StrOpKind::Equals => eq.entry(needle.as_str().into()).or_default().push(i),
                StrOpKind::EqualsCi => eq_ci.entry(fold(needle).into()).or_default().push(i),
                StrOpKind::MatchesRegex => {
                    let id = *re_ids.entry(needle.as_str()).or_insert_with(|| {
                        re_src.push(needle);
                        re_uses.push(Vec::new());
                        re_src.len() - 1
                    });
                    re_uses[id].push(i);
                }
                _ => {
                    let shape = op.shape().expect("substring-family operator");
                    if needle.is_empty() {
                        always.push(i);
                    } else if shape == Shape::Has && TermTable::accepts(needle) {
                        if op.is_case_sensitive() {
                            cs_terms.entry(needle.clone()).or_default().push(i);
                        } else {
                            ci_terms
                                .entry(fold(needle).into_owned())
                                .or_default()
                                .push(i);
                        }
                    } else if op.is_case_sensitive() {
                        cs.add(needle.clone(), shape, i);
                    } else {
                        ci.add(fold(needle).into_owned(), shape, i);
                    }
                }
            }
        }

        let re = if re_src.is_empty() {
            None
        } else {
            let set = RegexSetBuilder::new(&re_src)
                .size_limit(256 << 20)
                .dfa_size_limit(64 << 20)
                .build()
                .map_err(|set_err| {
                    // Name the offending pattern: the set's error does not say which one.
                    for (i, (op, needle)) in patterns.iter().enumerate() {
                        if *op == StrOpKind::MatchesRegex
                            && let Err(e) = Regex::new(needle)
                        {
                            return format!("invalid regex {needle:?} (pattern #{i}): {e}");
                        }
                    }
                    format!("cannot compile the regex set: {set_err}")
                })?;
            Some(RegexFamily { set, uses: re_uses })
        };

        // Small families are faster in one automaton (a DFA); large ones scale better with
        // `has` needles in the term table.
        let table_or_automaton = |terms: HashMap<String, Vec<usize>>, fam: &mut FamilyBuilder| {
            if terms.len() + fam.needles.len() >= term_table_min {
                return terms.into_iter().collect();
            }
            for (needle, uses) in terms {
                for i in uses {
                    fam.add(needle.clone(), Shape::Has, i);
                }
            }
            Vec::new()
        };
        let ci_terms = table_or_automaton(ci_terms, &mut ci);
        let cs_terms = table_or_automaton(cs_terms, &mut cs);

        Ok(PatternSet {
            len: patterns.len(),
            always,
            eq,
            eq_ci,
            ci: ci.build(true)?,
            cs: cs.build(false)?,
            ci_terms: TermTable::build(true, ci_terms),
            cs_terms: TermTable::build(false, cs_terms),
            re,
        })
    }

    /// The number of patterns the set was built from.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the set was built from no patterns.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Calls `hit(i)` for every pattern index `i` whose `eval(op_i, value, needle_i)` is true,
    /// each index exactly once, in increasing order of `i`.
    pub fn matches(&self, value: &str, mut hit: impl FnMut(usize)) {
        let mut hits = Hits::new();
        for &i in &self.always {
            hits.push(i);
        }
        if let Some(ids) = self.eq.get(value) {
            for &i in ids {
                hits.push(i);
            }
        }
        if !self.eq_ci.is_empty() {
            self.match_eq_ci(value, &mut hits);
        }
        if self.ci.is_some() || self.ci_terms.is_some() {
            let folded;
            let hay = if needs_nonascii_fold(value) {
                folded = value.chars().map(fold_char).collect::<String>();
                folded.as_str()
            } else {
                value
            };
            if let Some(ci) = &self.ci {
                ci.scan(hay, &mut hits);
            }
            if let Some(t) = &self.ci_terms {
                t.scan(hay, &mut hits);
            }
        }
        if let Some(cs) = &self.cs {
            cs.scan(value, &mut hits);
        }
        if let Some(t) = &self.cs_terms {
            t.scan(value, &mut hits);
        }
        if let Some(re) = &self.re
            && re.set.is_match(value)
        {
            for r in re.set.matches(value).iter() {
                for &i in &re.uses[r] {
                    hits.push(i);
                }
            }
        }
        hits.finish(&mut hit);
    }

    /// Whether any pattern matches `value` (same semantics as [`PatternSet::matches`]).
    pub fn is_match(&self, value: &str) -> bool {
        let mut any = false;
        self.matches(value, |_| any = true);
        any
    }

    /// `=~` lookup: fold `value` (on the stack when short ASCII) and look it up.
    fn match_eq_ci(&self, value: &str, hits: &mut Hits) {
        const STACK: usize = 256;
        let mut push = |key: &str| {
            if let Some(ids) = self.eq_ci.get(key) {
                for &i in ids {
                    hits.push(i);
                }
            }
        };
        if value.is_ascii() && value.len() <= STACK {
            let mut buf = [0u8; STACK];
            let buf = &mut buf[..value.len()];
            buf.copy_from_slice(value.as_bytes());
            buf.make_ascii_lowercase();
            // ASCII in, ASCII out: always valid UTF-8.
            push(std::str::from_utf8(buf).unwrap_or_default());
        } else {
            push(&fold(value));
        }
    }
}

/// Pattern indices found for one value: a small inline buffer (deduplicated on insertion) that
/// spills to the heap only when a value hits more than `INLINE` distinct patterns.
struct Hits {
    inline: [usize; Hits::INLINE],
    len: usize,
    spill: Vec<usize>,
}

impl Hits {
    const INLINE: usize = 32;

    fn new() -> Hits {
        Hits {
            inline: [0; Hits::INLINE],
            len: 0,
            spill: Vec::new(),
        }
    }

    #[inline]
    fn push(&mut self, i: usize) {
        if self.spill.is_empty() {
            if self.inline[..self.len].contains(&i) {
                return;
            }
            if self.len < Hits::INLINE {
                self.inline[self.len] = i;
                self.len += 1;
                return;
            }
            self.spill.extend_from_slice(&self.inline[..self.len]);
        }
        self.spill.push(i);
    }

    /// Reports the distinct indices in increasing order.
    fn finish(mut self, hit: &mut impl FnMut(usize)) {
        let list: &mut [usize] = if self.spill.is_empty() {
            &mut self.inline[..self.len]
        } else {
            self.spill.sort_unstable();
            self.spill.dedup();
            &mut self.spill
        };
        list.sort_unstable();
        for &i in list.iter() {
            hit(i);
        }
    }
}

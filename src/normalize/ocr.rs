//! OCR tolerance: words of a scanned or faxed page that are not in the dictionaries'
//! vocabulary ("Penici11in", "AMPICH.LIN", "Hypertensiom") are corrected toward the nearest
//! vocabulary word before matching, with a weighted edit distance in which the confusions OCR
//! makes (0/o, 1/l/i, 5/s, e/c, rn/m, vv/w, cl/d) cost half an edit.
//!
//! Only words that could be a misread are touched: never pure numbers ("5 mg" stays), never
//! short words, and only when one vocabulary word is nearest. Longer words may be further off
//! (one confusion up to seven letters, one edit from eight, two from ten). Mentions built on corrected words carry a lower
//! confidence in their evidence.

use fst::raw::{Fst, Node};

use super::KeyText;

static WORDS_FST: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/words.fst"));

/// Costs are in half-edits.
const EQUAL: u16 = 0;
const CONFUSABLE: u16 = 1;
const EDIT: u16 = 2;

/// The longest token the corrector looks at (bytes): far longer than any vocabulary word, and
/// short enough that the edit-distance rows (`u16`, in half-edits) cannot overflow.
const LONGEST_TOKEN: usize = 64;

/// A word the corrector changed: key span (in the corrected key) and confidence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Change {
    /// Start in the key.
    pub start: usize,
    /// End in the key.
    pub end: usize,
    /// How sure the correction is.
    pub confidence: f32,
}

/// Corrects OCR'd words toward the dictionaries' vocabulary.
pub struct Corrector {
    words: fst::Set<&'static [u8]>,
    /// Answers already worked out (documents repeat their words), kept to a bounded size.
    cache: std::sync::Mutex<std::collections::HashMap<String, Option<(String, u16)>>>,
}

/// Words remembered at most.
const CACHE_LIMIT: usize = 10_000;

impl Default for Corrector {
    fn default() -> Self {
        Corrector {
            words: fst::Set::new(WORDS_FST).expect("embedded word automaton is valid"),
            cache: Default::default(),
        }
    }
}

/// The pairs OCR confuses, as a 256×256 table (the walk asks millions of times).
static CONFUSABLE_TABLE: std::sync::LazyLock<Vec<bool>> = std::sync::LazyLock::new(|| {
    let mut t = vec![false; 256 * 256];
    for a in 0..=255u8 {
        for b in 0..=255u8 {
            t[a as usize * 256 + b as usize] = confusable_pair(a, b);
        }
    }
    t
});

/// True when OCR reads one of the two bytes for the other.
#[inline]
pub(crate) fn confusable(a: u8, b: u8) -> bool {
    CONFUSABLE_TABLE[a as usize * 256 + b as usize]
}

/// How far (half-edits) a misread token may be from the word it is corrected to. Short words
/// only through OCR's own confusions: one plain edit turns too many short words into another
/// drug's name ("ppitor" is one edit from Pritor and two from Lipitor).
fn budget(token: &str) -> u16 {
    match token.len() {
        0..=7 => CONFUSABLE,
        8..=9 => EDIT,
        _ => 2 * EDIT,
    }
}

/// Weighted edit distance (half-edits) between a token and a word, OCR confusions at half cost.
fn distance(a: &[u8], b: &[u8]) -> u16 {
    let mut row: Vec<u16> = (0..=b.len() as u16).map(|j| j * EDIT).collect();
    for i in 1..=a.len() {
        let mut prev = row[0];
        row[0] = i as u16 * EDIT;
        for j in 1..=b.len() {
            let sub = if a[i - 1] == b[j - 1] {
                EQUAL
            } else if confusable(a[i - 1], b[j - 1]) {
                CONFUSABLE
            } else {
                EDIT
            };
            let next = (row[j] + EDIT).min(row[j - 1] + EDIT).min(prev + sub);
            prev = row[j];
            row[j] = next;
        }
    }
    row[b.len()]
}

/// Letters OCR reads one for the other (either way round).
const CONFUSIONS: &[(u8, u8)] = &[
    (b'0', b'o'),
    (b'1', b'l'),
    (b'1', b'i'),
    (b'l', b'i'),
    (b'5', b's'),
    (b'e', b'c'),
    (b'8', b'b'),
    (b'6', b'b'),
    (b'u', b'v'),
    (b'n', b'h'),
    (b'a', b'o'),
    (b'g', b'q'),
    (b't', b'f'),
    (b'l', b't'),
    (b'1', b't'),
];

fn confusable_pair(a: u8, b: u8) -> bool {
    CONFUSIONS
        .iter()
        .any(|&(x, y)| (a == x && b == y) || (a == y && b == x))
}

impl Corrector {
    /// True when the folded word is in the vocabulary.
    pub fn is_word(&self, word: &str) -> bool {
        self.words.contains(word)
    }

    /// The best vocabulary word for `token` and its cost in half-edits, when one is nearest
    /// within the budget the token's length allows.
    pub fn fix(&self, token: &str) -> Option<(String, u16)> {
        if let Some(hit) = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(token)
        {
            return hit.clone();
        }
        let answer = self.search(token);
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(token.to_string(), answer.clone());
        answer
    }

    /// True for a token that could be a misread vocabulary word: not a word itself, not short,
    /// and without a digit OCR does not confuse with a letter ("rosve3": a misread number or
    /// code, never made into a word).
    fn could_be_misread(&self, token: &str) -> bool {
        let letters = token.bytes().filter(u8::is_ascii_alphabetic).count();
        letters >= 3
            && token.len() >= 4
            && token.len() <= LONGEST_TOKEN
            && token.is_ascii()
            && !token
                .bytes()
                .any(|b| b.is_ascii_digit() && !(b'a'..=b'z').any(|l| confusable(b, l)))
            && !self.words.contains(token)
    }

    fn search(&self, token: &str) -> Option<(String, u16)> {
        if !self.could_be_misread(token) {
            return None;
        }
        let budget = budget(token);
        // Multi-letter confusions, tried as rewritten variants of the token.
        let mut variants: Vec<(String, u16)> = vec![(token.to_string(), 0)];
        for (from, to) in [
            ("rn", "m"),
            ("vv", "w"),
            ("cl", "d"),
            ("ii", "u"),
            ("li", "h"),
            ("h", "il"),
            ("h", "li"),
        ] {
            if token.contains(from) {
                variants.push((token.replace(from, to), CONFUSABLE));
            }
        }
        let mut best: Option<(u16, String)> = None;
        let mut tied = false;
        for (variant, extra) in &variants {
            if *extra > budget {
                continue;
            }
            let t = variant.as_bytes();
            let fst = self.words.as_fst();
            let row: Vec<u16> = (0..=t.len() as u16).map(|j| j * EDIT).collect();
            let mut prefix = Vec::with_capacity(t.len() + 4);
            let mut visits = 0usize;
            let mut found: Vec<(u16, Vec<u8>)> = Vec::new();
            walk(
                fst,
                fst.root(),
                &row,
                t,
                budget - extra,
                &mut prefix,
                &mut found,
                &mut visits,
            );
            for (cost, word) in found {
                let cost = cost + extra;
                let word = String::from_utf8(word).unwrap_or_default();
                match &best {
                    Some((c, w)) if cost > *c || (cost == *c && *w == word) => {}
                    Some((c, _)) if cost == *c => tied = true,
                    _ => {
                        best = Some((cost, word));
                        tied = false;
                    }
                }
            }
        }
        match best {
            Some((cost, word)) if !tied && cost > 0 => Some((word, cost)),
            _ => None,
        }
    }

    /// The key with misread words corrected, and where it changed. A word that OCR broke with
    /// a stray mark ("AMPICI.LLIN", "PENICILI.IN") is tried whole first.
    pub fn correct(&self, key: &KeyText) -> (KeyText, Vec<Change>) {
        self.correct_where(key, &DocumentWords::default(), |_| true)
    }

    /// As [`Corrector::correct`], only for words whose page-text offset `wanted` accepts
    /// (the stretches where findings can come from).
    pub fn correct_where(
        &self,
        key: &KeyText,
        document: &DocumentWords,
        wanted: impl Fn(usize) -> bool,
    ) -> (KeyText, Vec<Change>) {
        // A word the document itself writes elsewhere is the likelier reading ("Humalin" beside
        // "Humulin", not "Humatin"): it may be one edit further off than any other word.
        let fix = |w: &str| {
            if !self.could_be_misread(w) {
                return None;
            }
            document.nearest(w).or_else(|| self.fix(w))
        };
        let k = key.key.as_bytes();
        let token_end = |i: usize| {
            (i..k.len())
                .find(|&j| super::is_sep(k[j]))
                .unwrap_or(k.len())
        };
        let mut out = KeyText::default();
        let mut changes = Vec::new();
        let mut i = 0;
        while i < k.len() {
            if super::is_sep(k[i]) {
                out.push_span(key, i, i + 1);
                i += 1;
                continue;
            }
            let end = token_end(i);
            let token = &key.key[i..end];
            if !wanted(key.src_start[i] as usize) {
                out.push_span(key, i, end);
                i = end;
                continue;
            }
            // Two pieces with only a mark between them in the page text: one broken word?
            let mut fixed = None;
            if end < k.len() && !self.words.contains(token) {
                let gap = (
                    key.src_end[end - 1] as usize,
                    key.src_start[end + 1..].first().copied().unwrap_or(0) as usize,
                );
                let next_end = token_end(end + 1);
                // (A number after a word is its own token: "ilbuterol 5" is not "ilbuterol5".)
                let piece_has_letters = key.key[end + 1..next_end]
                    .bytes()
                    .any(|b| b.is_ascii_alphabetic());
                if next_end > end + 1 && gap.1 == gap.0 + 1 && piece_has_letters {
                    let joined = format!("{token}{}", &key.key[end + 1..next_end]);
                    if self.words.contains(&joined) {
                        fixed = Some(((joined, CONFUSABLE), next_end));
                    } else if let Some(f) = fix(&joined) {
                        fixed = Some((f, next_end));
                    }
                }
            }
            if fixed.is_none() {
                fixed = fix(token).map(|f| (f, end));
            }
            match fixed {
                Some(((word, cost), until)) => {
                    let start = out.key.len();
                    let (s, e) = (key.src_start[i], key.src_end[until - 1]);
                    for b in word.bytes() {
                        out.push_byte(b, s, e);
                    }
                    changes.push(Change {
                        start,
                        end: out.key.len(),
                        confidence: match cost {
                            0..=1 => 0.9,
                            2 => 0.8,
                            _ => 0.7,
                        },
                    });
                    i = until;
                }
                None => {
                    out.push_span(key, i, end);
                    i = end;
                }
            }
        }
        (out, changes)
    }
}

/// The vocabulary words a document writes correctly somewhere, by first letter and by what
/// follows it.
#[derive(Debug, Default)]
pub struct DocumentWords {
    by_first: std::collections::HashMap<u8, Vec<String>>,
    by_rest: std::collections::HashMap<String, Vec<String>>,
}

impl DocumentWords {
    /// The vocabulary words (five letters or more) among the words of `keys`.
    pub fn new<'a>(corrector: &Corrector, keys: impl IntoIterator<Item = &'a str>) -> Self {
        let mut seen = std::collections::BTreeSet::new();
        for key in keys {
            for word in key.split([' ', '\n']) {
                if word.len() >= 5
                    && word.bytes().all(|b| b.is_ascii_lowercase())
                    && !seen.contains(word)
                    && corrector.is_word(word)
                {
                    seen.insert(word.to_string());
                }
            }
        }
        let mut words = DocumentWords::default();
        for w in seen {
            words
                .by_rest
                .entry(w[1..].to_string())
                .or_default()
                .push(w.clone());
            words.by_first.entry(w.as_bytes()[0]).or_default().push(w);
        }
        words
    }

    /// The document word nearest to `token` within one edit more than the token's budget,
    /// when exactly one is nearest.
    fn nearest(&self, token: &str) -> Option<(String, u16)> {
        let t = token.as_bytes();
        if t.len() > LONGEST_TOKEN {
            return None;
        }
        let limit = budget(token) + EDIT;
        let mut best: Option<(u16, &str)> = None;
        let mut tied = false;
        // Words with the same first letter, or the same letters after a misread first one
        // ("ilbuterol" in a document that writes "albuterol").
        let same_first = self.by_first.get(t.first()?).into_iter().flatten();
        let same_rest = self.by_rest.get(&token[1..]).into_iter().flatten();
        for w in same_first.chain(same_rest) {
            if w.len().abs_diff(t.len()) > 2 || w == token {
                continue;
            }
            let d = distance(t, w.as_bytes());
            match best {
                _ if d > limit => {}
                Some((b, _)) if d > b => {}
                Some((b, _)) if d == b => tied = true,
                _ => {
                    best = Some((d, w));
                    tied = false;
                }
            }
        }
        match best {
            Some((d, w)) if !tied && d > 0 => Some((w.to_string(), d)),
            _ => None,
        }
    }
}

/// Edit-distance walk over the vocabulary automaton (a DP row per automaton edge), pruned when
/// every cell is over budget.
#[allow(clippy::too_many_arguments)]
fn walk(
    fst: &Fst<&[u8]>,
    node: Node<'_>,
    row: &[u16],
    t: &[u8],
    budget: u16,
    prefix: &mut Vec<u8>,
    found: &mut Vec<(u16, Vec<u8>)>,
    visits: &mut usize,
) {
    *visits += 1;
    if *visits > 8_000 {
        return;
    }
    let n = t.len();
    if node.is_final() && row[n] <= budget {
        found.push((row[n], prefix.clone()));
    }
    if row.iter().min().is_some_and(|&m| m > budget) {
        return;
    }
    let mut next = vec![0u16; n + 1];
    for tr in node.transitions() {
        let b = tr.inp;
        // OCR keeps a word's first letter, or confuses it: do not branch on any other.
        if prefix.is_empty() && n > 0 && b != t[0] && !confusable(t[0], b) {
            continue;
        }
        next[0] = row[0] + EDIT;
        for j in 1..=n {
            let sub = if t[j - 1] == b {
                EQUAL
            } else if confusable(t[j - 1], b) {
                CONFUSABLE
            } else {
                EDIT
            };
            next[j] = (row[j] + EDIT)
                .min(next[j - 1] + EDIT)
                .min(row[j - 1] + sub);
        }
        prefix.push(b);
        walk(
            fst,
            fst.node(tr.addr),
            &next,
            t,
            budget,
            prefix,
            found,
            visits,
        );
        prefix.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corrector(words: &[&str]) -> Corrector {
        let mut sorted: Vec<&str> = words.to_vec();
        sorted.sort();
        let mut b = fst::SetBuilder::memory();
        for w in sorted {
            b.insert(w).unwrap();
        }
        let bytes: &'static [u8] = b.into_inner().unwrap().leak();
        Corrector {
            words: fst::Set::new(bytes).unwrap(),
            cache: Default::default(),
        }
    }

    #[test]
    fn misreads_become_words_and_words_stay() {
        let c = corrector(&[
            "penicillin",
            "hypertension",
            "ampicillin",
            "sodium",
            "hives",
            "diabetes",
            "mellitus",
            "ceftriaxone",
            "asthma",
            "lisinopril",
            "tablet",
            "oral",
            "rash",
        ]);
        let cases: &[(&str, Option<&str>)] = &[
            ("penici11in", Some("penicillin")),
            ("pcnicillin", Some("penicillin")),
            ("hypertensiom", Some("hypertension")),
            ("hypertenslon", Some("hypertension")),
            ("ampici11in", Some("ampicillin")),
            ("ampichlin", Some("ampicillin")),
            ("ceffriaxone", Some("ceftriaxone")),
            ("diabctes", Some("diabetes")),
            ("lisinoprll", Some("lisinopril")),
            ("tab1et", Some("tablet")),
            ("penicillin", None),
            ("5", None),
            ("10mg", None),
            ("asthrna", Some("asthma")),
            ("rash", None),
            ("ras", None),
            ("document", None),
            ("patient", None),
            // A digit OCR does not mistake for a letter: a misread number, not a word.
            ("asthm4", None),
            ("hypertensi0n", Some("hypertension")),
        ];
        for (token, want) in cases {
            let got = c.fix(token).map(|(w, _)| w);
            assert_eq!(got.as_deref(), *want, "{token}");
        }
    }

    #[test]
    fn a_word_the_document_writes_is_the_likelier_reading() {
        let c = corrector(&["humulin", "humatin", "insulin"]);
        let misread = KeyText::new("Humalin");
        // Alone, "Humalin" is nearest Humatin (l/t is an OCR confusion) ...
        assert_eq!(c.correct(&misread).0.key, "humatin");
        // ... but a document that writes "Humulin" elsewhere means Humulin.
        let document = DocumentWords::new(&c, ["insulin humulin"]);
        let (fixed, _) = c.correct_where(&misread, &document, |_| true);
        assert_eq!(fixed.key, "humulin");
        // Whatever its first letter.
        let c = corrector(&["albuterol", "ibuterol"]);
        let misread = KeyText::new("ilbuterol");
        assert_eq!(c.correct(&misread).0.key, "ibuterol");
        let document = DocumentWords::new(&c, ["albuterol"]);
        assert_eq!(
            c.correct_where(&misread, &document, |_| true).0.key,
            "albuterol"
        );
        // The strength after it stays its own token.
        let row = KeyText::new("ilbuterol 5 MG/ML");
        assert_eq!(
            c.correct_where(&row, &document, |_| true).0.key,
            "albuterol 5 mg ml"
        );
    }

    #[test]
    fn corrected_key_maps_back_to_the_misread_words() {
        let c = corrector(&["penicillin", "allergy"]);
        let text = "Penici11in allergy";
        let key = KeyText::new(text);
        let (fixed, changes) = c.correct(&key);
        assert_eq!(fixed.key, "penicillin allergy");
        assert_eq!(changes.len(), 1);
        let (s, e) = fixed.source_span(changes[0].start, changes[0].end);
        assert_eq!(&text[s..e], "Penici11in");

        let c = corrector(&["ampicillin", "sodium"]);
        let text = "AMPICI.LLIN SODIUM";
        let (fixed, _) = c.correct(&KeyText::new(text));
        assert_eq!(fixed.key, "ampicillin sodium");
        let text = "Sézary syndrome";
        let (fixed, _) = c.correct(&KeyText::new(text));
        assert_eq!(
            fixed.key, "sezary syndrome",
            "other words pass through unchanged"
        );
    }
}

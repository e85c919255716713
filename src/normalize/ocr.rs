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
/// The length of the longest word below each state of `WORDS_FST`, by address (`build.rs`).
static WORDS_DEPTH: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/words.depth"));

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
    /// Longest word below each state of `words`, when known.
    depths: Option<&'static [u8]>,
    /// Answers already worked out (documents repeat their words), kept to a bounded size.
    cache: std::sync::Mutex<std::collections::HashMap<String, Option<(String, u16)>>>,
}

/// Words remembered at most.
const CACHE_LIMIT: usize = 10_000;

impl Default for Corrector {
    fn default() -> Self {
        Corrector {
            words: fst::Set::new(WORDS_FST).expect("embedded word automaton is valid"),
            depths: Some(WORDS_DEPTH),
            cache: Default::default(),
        }
    }
}

/// The pairs OCR confuses, as a 256×256 table worked out at compile time (the walks ask
/// millions of times).
pub(crate) static CONFUSABLE_TABLE: [[bool; 256]; 256] = {
    let mut t = [[false; 256]; 256];
    let mut i = 0;
    while i < CONFUSIONS.len() {
        let (x, y) = CONFUSIONS[i];
        t[x as usize][y as usize] = true;
        t[y as usize][x as usize] = true;
        i += 1;
    }
    t
};

/// True when OCR reads one of the two bytes for the other.
#[inline]
pub(crate) fn confusable(a: u8, b: u8) -> bool {
    CONFUSABLE_TABLE[a as usize][b as usize]
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

/// [`distance`] when it is at most `limit`, else none: only cells near the diagonal are
/// worked out (each step off it costs an edit), and the rows stop once all are over `limit`.
fn distance_within(a: &[u8], b: &[u8], limit: u16) -> Option<u16> {
    const MAX: usize = 64;
    if b.len() >= MAX {
        let d = distance(a, b);
        return (d <= limit).then_some(d);
    }
    if (a.len().abs_diff(b.len()) as u16) * EDIT > limit {
        return None;
    }
    let width = (limit / EDIT) as usize;
    let mut row = [FAR; MAX + 1];
    let mut next = [FAR; MAX + 1];
    for (j, cell) in row.iter_mut().enumerate().take(b.len().min(width) + 1) {
        *cell = j as u16 * EDIT;
    }
    for i in 1..=a.len() {
        let (lo, hi) = (i.saturating_sub(width), (i + width).min(b.len()));
        next[..=b.len()].fill(FAR);
        let mut min = FAR;
        if lo == 0 {
            next[0] = i as u16 * EDIT;
            min = next[0];
        }
        for j in lo.max(1)..=hi {
            let sub = if a[i - 1] == b[j - 1] {
                EQUAL
            } else if confusable(a[i - 1], b[j - 1]) {
                CONFUSABLE
            } else {
                EDIT
            };
            let v = (row[j] + EDIT)
                .min(next[j - 1] + EDIT)
                .min(row[j - 1] + sub);
            next[j] = v.min(FAR);
            min = min.min(next[j]);
        }
        if min > limit {
            return None;
        }
        std::mem::swap(&mut row, &mut next);
    }
    let d = row[b.len()];
    (d <= limit).then_some(d)
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
            let found = WordWalk::run(
                self.words.as_fst(),
                self.depths,
                variant.as_bytes(),
                budget - extra,
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
        let mut checked = std::collections::HashSet::new();
        for key in keys {
            for word in key.split([' ', '\n']) {
                if word.len() >= 5
                    && word.bytes().all(|b| b.is_ascii_lowercase())
                    && checked.insert(word)
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
            let Some(d) = distance_within(t, w.as_bytes(), limit) else {
                continue;
            };
            match best {
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

/// States visited in one walk at most (bounds the worst case).
const MAX_VISITS: usize = 8_000;

/// Edit-distance walk over the vocabulary automaton (a distance row per automaton edge),
/// pruned where every cell is over budget. Only the cells near the diagonal are worked out
/// (one off it costs an edit), a state whose row could only be over budget is counted as
/// visited without being read, and a state below which every word is too short to take the
/// rest of the token within budget is not entered: the walk answers as the plain one does
/// wherever the plain one stays within its visit limit (it always did on the dev and
/// narrative corpora).
struct WordWalk<'a> {
    fst: &'a Fst<&'static [u8]>,
    /// Longest word below each state, by address.
    depths: Option<&'a [u8]>,
    t: &'a [u8],
    budget: u16,
    /// Cells off the diagonal within budget.
    width: usize,
    /// One row of `t.len() + 1` cells per depth.
    rows: Vec<u16>,
    prefix: Vec<u8>,
    found: Vec<(u16, Vec<u8>)>,
    visits: usize,
}

/// A cell over every budget.
const FAR: u16 = u16::MAX / 4;

impl<'a> WordWalk<'a> {
    /// The vocabulary words within `budget` of `t`, with their costs.
    fn run(
        fst: &'a Fst<&'static [u8]>,
        depths: Option<&'a [u8]>,
        t: &'a [u8],
        budget: u16,
    ) -> Vec<(u16, Vec<u8>)> {
        let n = t.len();
        let width = (budget / EDIT) as usize;
        // A prefix longer than the token by more than `width` is over budget: rows for
        // depths up to n + width + 1 are all the walk writes.
        let deepest = n + width + 2;
        let mut walk = WordWalk {
            fst,
            depths: depths.filter(|d| d.len() > fst.as_bytes().len()),
            t,
            budget,
            width,
            rows: vec![FAR; deepest * (n + 1)],
            prefix: Vec::with_capacity(n + 4),
            found: Vec::new(),
            visits: 0,
        };
        for j in 0..=n.min(width) {
            walk.rows[j] = j as u16 * EDIT;
        }
        walk.walk(fst.root(), 0);
        walk.found
    }

    fn walk(&mut self, node: Node<'_>, depth: usize) {
        self.visits += 1;
        if self.visits > MAX_VISITS {
            return;
        }
        let n = self.t.len();
        let w = n + 1;
        let row = depth * w;
        if node.is_final() && self.rows[row + n] <= self.budget {
            self.found.push((self.rows[row + n], self.prefix.clone()));
        }
        let row_min = self.rows[row..row + w].iter().copied().min().unwrap_or(FAR);
        if row_min > self.budget || (depth + 1) * w + w > self.rows.len() {
            return;
        }
        let d = depth + 1;
        let (lo, hi) = (d.saturating_sub(self.width), (d + self.width).min(n));
        // When a step must cost less than an edit, only a byte equal to or confused with a
        // token byte within reach can keep the prefix within budget.
        let strict = self.budget - row_min < EDIT;
        for tr in node.transitions() {
            let b = tr.inp;
            // OCR keeps a word's first letter, or confuses it: do not branch on any other.
            if self.prefix.is_empty() && n > 0 && b != self.t[0] && !confusable(self.t[0], b) {
                continue;
            }
            if strict
                && !(lo.max(1)..=hi).any(|j| {
                    let c = self.t[j - 1];
                    c == b || confusable(c, b)
                })
            {
                // Its row would be over budget: a visit that ends at once.
                self.visits += 1;
                continue;
            }
            let next = d * w;
            self.rows[next..next + w].fill(FAR);
            if lo == 0 {
                self.rows[next] = self.rows[row] + EDIT;
            }
            for j in lo.max(1)..=hi {
                let c = self.t[j - 1];
                let sub = if c == b {
                    EQUAL
                } else if confusable(c, b) {
                    CONFUSABLE
                } else {
                    EDIT
                };
                let v = (self.rows[row + j] + EDIT)
                    .min(self.rows[next + j - 1] + EDIT)
                    .min(self.rows[row + j - 1] + sub);
                self.rows[next + j] = v.min(FAR);
            }
            if let Some(depths) = self.depths {
                // The words below are at most `below` letters longer: the token's letters
                // past that are gaps, an edit each.
                let below = depths[tr.addr] as usize;
                let reachable = (lo..=hi).any(|j| {
                    self.rows[next + j] + EDIT * n.saturating_sub(j + below) as u16 <= self.budget
                });
                if !reachable {
                    continue;
                }
            }
            self.prefix.push(b);
            let child = self.fst.node(tr.addr);
            self.walk(child, d);
            self.prefix.pop();
        }
    }
}

#[cfg(test)]
mod tests;

//! The approximate walk as it was first written (before the cuts of [`super::approx`]), kept
//! as the oracle that the faster walk is tested against: same answers on every window, in no
//! more visits.
//!
//! Approximate term matching for OCR'd text: a long term whose words OCR damaged beyond what
//! the word corrector mends ("emtncitatine 200 MG / tenofovir disdproxil (umarate 300 MG Oral
//! Tablet") is still found when the whole term is close to the text.
//!
//! The term automaton is walked from a word start with a banded edit-distance row over the text
//! (costs in half-edits: OCR confusions and space slips cost half an edit). A term is accepted
//! when its cost is within a budget that grows with its length (one edit per
//! [`CHARS_PER_EDIT`] characters, from [`MIN_LEN`] characters on), and the walk is pruned where
//! the prefix is already further off than a slightly more generous allowance. Digits never
//! change: a strength or a dose must be read exactly as the term writes it (a confusion such
//! as "O" for "0" aside), because a fuzzy "20 mg" for "10 mg" would be a different drug.

use fst::raw::{Fst, Node};

/// Shortest term (key bytes) matched approximately.
const MIN_LEN: usize = 14;
/// Term characters per edit of the acceptance budget.
const CHARS_PER_EDIT: usize = 12;
/// Most edits the walk allows anywhere (the band of the distance row).
const BAND: usize = 6;
/// Letters before the first misread where an error is still looked for.
const EXACT_SLACK: usize = 3;
/// Automaton states visited from one start at most (bounds the worst case).
const MAX_VISITS: usize = 5_000;

const EQUAL: u16 = 0;
const HALF: u16 = 1;
const EDIT: u16 = 2;
const NEVER: u16 = u16::MAX / 4;

/// The best approximate match from one start: where it ends in the key, its cost in
/// half-edits, and the automaton output (the term's group).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Approximate {
    pub end: usize,
    pub cost: u16,
    pub value: u64,
}

/// Budget (half-edits) of a term `len` key bytes long.
fn accept(len: usize) -> u16 {
    if len < MIN_LEN {
        return 0;
    }
    (((len * EDIT as usize) / CHARS_PER_EDIT) as u16).min(BAND as u16 * EDIT)
}

/// Allowance (half-edits) for a prefix `depth` bytes long: the first letters read (nearly)
/// right — which keeps the walk small — then errors may cluster in one word.
fn allow(depth: usize) -> u16 {
    if depth < 4 {
        return HALF;
    }
    (2 * EDIT + ((depth * EDIT as usize) / 8) as u16).min(BAND as u16 * EDIT)
}

fn is_digit(b: u8) -> bool {
    b.is_ascii_digit()
}

/// Cost of reading term byte `a` as text byte `b`.
fn substitute(a: u8, b: u8) -> u16 {
    if a == b {
        EQUAL
    } else if crate::normalize::ocr::confusable(a, b) || (a == b' ' && b == SOFTENED) {
        HALF
    } else if is_digit(a) || is_digit(b) || a == b'\n' || b == b'\n' {
        NEVER
    } else {
        // A letter for a space or the other way round ("UNTYML" for "UNT/ML") is an edit.
        EDIT
    }
}

/// Cost of a byte present on one side only.
fn gap(b: u8) -> u16 {
    if b == b' ' {
        HALF
    } else if is_digit(b) || b == b'\n' {
        NEVER
    } else {
        EDIT
    }
}

/// A break inside a window that a term may cross at a cost: a `;` or `:` OCR read inside a
/// name ("Epoetin;Alfa"). Other hard breaks end the window (see [`window`]).
const SOFTENED: u8 = b';';

fn word_end(b: u8) -> bool {
    b == b' ' || b == SOFTENED
}

/// The longest term within budget at the start of `text` (a [`window`]); `end` is relative
/// to it. Ties in end: the cheapest; a tie between different terms: none, as nothing says
/// which was written.
pub fn longest<D: AsRef<[u8]>>(fst: &Fst<D>, text: &[u8]) -> (Option<Approximate>, usize) {
    if text.is_empty() {
        return (None, 0);
    }
    // The text reads exactly along the automaton up to where the first misread is: an error
    // is looked for only from a few letters before it (an earlier one would have to be
    // followed by an accidental exact stretch), which keeps the walk small.
    let mut node = fst.root();
    let mut exact = 0usize;
    for &b in text {
        match node.find_input(b) {
            Some(t) => {
                node = fst.node(node.transition(t).addr);
                exact += 1;
            }
            None => break,
        }
    }
    let mut walker = Walker {
        fst,
        text,
        exact_until: exact.saturating_sub(EXACT_SLACK),
        visits: 0,
        best: None,
        tied: false,
    };
    // Row over text positions depth-BAND ..= depth+BAND, stored at index j - depth + BAND.
    let mut row = [NEVER; 2 * BAND + 1];
    for (k, cell) in row.iter_mut().enumerate().skip(BAND) {
        let j = k - BAND;
        if j <= text.len() {
            *cell = text[..j]
                .iter()
                .fold(0u16, |c, &b| c.saturating_add(gap(b)))
                .min(NEVER);
        }
    }
    walker.walk(fst.root(), &row, 0, fst::raw::Output::zero());
    let visits = walker.visits;
    (walker.best.filter(|_| !walker.tied), visits)
}

struct Walker<'a, D: AsRef<[u8]>> {
    fst: &'a Fst<D>,
    text: &'a [u8],
    /// Depth up to which the term must read exactly (see [`longest`]).
    exact_until: usize,
    visits: usize,
    best: Option<Approximate>,
    tied: bool,
}

impl<D: AsRef<[u8]>> Walker<'_, D> {
    fn allow(&self, depth: usize) -> u16 {
        if depth < self.exact_until {
            EQUAL
        } else {
            allow(depth)
        }
    }

    fn walk(
        &mut self,
        node: Node<'_>,
        row: &[u16; 2 * BAND + 1],
        depth: usize,
        out: fst::raw::Output,
    ) {
        self.visits += 1;
        if self.visits > MAX_VISITS {
            return;
        }
        let n = self.text.len();
        if node.is_final() && depth >= MIN_LEN {
            let budget = accept(depth);
            let value = out.cat(node.final_output()).value();
            for (k, &cost) in row.iter().enumerate() {
                let Some(j) = (depth + k).checked_sub(BAND) else {
                    continue;
                };
                // The match must end at a word end of the text.
                if j == 0 || j > n || cost > budget || !(j == n || word_end(self.text[j])) {
                    continue;
                }
                self.offer(Approximate {
                    end: j,
                    cost,
                    value,
                });
            }
        }
        if row.iter().min().is_some_and(|&m| m > self.allow(depth)) {
            return;
        }
        let mut next = [NEVER; 2 * BAND + 1];
        for tr in node.transitions() {
            let b = tr.inp;
            if b == b'\n' {
                continue;
            }
            // OCR keeps a term's first letter or confuses it.
            if depth == 0
                && b != self.text[0]
                && !crate::normalize::ocr::confusable(b, self.text[0])
            {
                continue;
            }
            let d = depth + 1;
            // Cells further off the diagonal than the allowance are out of reach: each step
            // off it costs at least half an edit.
            let reach = (self.allow(d) as usize).min(BAND);
            for k in 0..next.len() {
                next[k] = NEVER;
                if k + reach < BAND || k > BAND + reach {
                    continue;
                }
                let Some(j) = (d + k).checked_sub(BAND) else {
                    continue;
                };
                if j > n {
                    continue;
                }
                // Term byte b not in the text: the row cell for the same j (index k + 1 there).
                let mut c = if k + 1 < row.len() {
                    row[k + 1].saturating_add(gap(b))
                } else {
                    NEVER
                };
                if j > 0 {
                    let t = self.text[j - 1];
                    // Substitution: the row cell for j - 1 (same index k).
                    c = c.min(row[k].saturating_add(substitute(b, t)));
                    // Text byte not in the term: this row's cell for j - 1.
                    if k > 0 {
                        c = c.min(next[k - 1].saturating_add(gap(t)));
                    }
                }
                next[k] = c.min(NEVER);
            }
            // Over the allowance already (a final state here would be over its budget too).
            if next.iter().min().is_some_and(|&m| m > self.allow(d)) {
                continue;
            }
            let node = self.fst.node(tr.addr);
            self.walk(node, &next, d, out.cat(tr.out));
        }
    }

    fn offer(&mut self, cand: Approximate) {
        match self.best {
            None => self.best = Some(cand),
            Some(b) if cand.end > b.end || (cand.end == b.end && cand.cost < b.cost) => {
                self.best = Some(cand);
                self.tied = false;
            }
            Some(b) if cand.end == b.end && cand.cost == b.cost && cand.value != b.value => {
                self.tied = true;
            }
            _ => {}
        }
    }
}

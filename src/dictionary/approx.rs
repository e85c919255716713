//! Approximate term matching for OCR'd text: a long term whose words OCR damaged beyond what
//! the word corrector mends ("emtncitatine 200 MG / tenofovir disdproxil (umarate 300 MG Oral
//! Tablet") is still found when the whole term is close to the text.
//!
//! The term automaton is walked from a word start with a banded edit-distance row over the text
//! (costs in half-edits: OCR confusions and space slips cost half an edit). A term is accepted
//! when its cost is within a budget that grows with its length (one edit per
//! `CHARS_PER_EDIT` characters, from `MIN_LEN` characters on), and the walk is pruned where
//! the prefix is already further off than a slightly more generous allowance. Digits never
//! change: a strength or a dose must be read exactly as the term writes it (a confusion such
//! as "O" for "0" aside), because a fuzzy "20 mg" for "10 mg" would be a different drug.
//!
//! The walk runs from every word start of the stretches where findings come from, clean text
//! included (it also reads "Alzheimer's dementia" as "Alzheimer dementia"), so it is cut
//! wherever nothing within budget can come of it, without changing any answer (the walk as
//! first written is kept as a test oracle): a window too short for a term of [`MIN_LEN`]
//! bytes, a prefix dearer than the budget of the longest term that fits the window or is
//! left below its state (`build.rs` records that length for every state), no term below long
//! enough to end past the exact match; a prefix that must read exactly follows the text's own
//! byte; and where a step must cost less than an edit, only the text's bytes within reach, the
//! bytes OCR confuses with them and a space are looked up.

use fst::raw::{Fst, Node};

/// Shortest term (key bytes) matched approximately.
pub const MIN_LEN: usize = 14;
/// Term characters per edit of the acceptance budget.
const CHARS_PER_EDIT: usize = 12;
/// Most edits the walk allows anywhere (the band of the distance row).
const BAND: usize = 6;
/// Longest stretch of text a term is compared with.
const MAX_TEXT: usize = 320;
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
    /// End of the term within the window.
    pub end: usize,
    /// Cost in half-edits.
    pub cost: u16,
    /// The automaton's value for the term (its group).
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

/// The most a cell can cost and still matter: no allowance or budget is larger, and costs
/// only grow along a path, so a dearer cell is as good as [`NEVER`].
const MOST: u16 = BAND as u16 * EDIT;

/// The longest term that can be accepted against a window of `n` bytes: each term byte
/// without a text byte costs at least half an edit, so a term `d` bytes long needs
/// `d - n <= accept(d)`. `None` when no term of [`MIN_LEN`] or more fits.
fn longest_possible(n: usize) -> Option<usize> {
    // accept() grows by one per 6 bytes: the bound is reached within a few steps past n.
    (MIN_LEN..=n + MOST as usize)
        .rev()
        .find(|&d| d.saturating_sub(n) <= accept(d) as usize)
}

/// Cost of reading term byte `a` as text byte `b`.
const fn substitute(a: u8, b: u8) -> u16 {
    if a == b {
        EQUAL
    } else if crate::normalize::ocr::CONFUSABLE_TABLE[a as usize][b as usize]
        || (a == b' ' && b == SOFTENED)
    {
        HALF
    } else if a.is_ascii_digit() || b.is_ascii_digit() || a == b'\n' || b == b'\n' {
        NEVER
    } else {
        // A letter for a space or the other way round ("UNTYML" for "UNT/ML") is an edit.
        EDIT
    }
}

/// Cost of a byte present on one side only.
const fn gap(b: u8) -> u16 {
    if b == b' ' {
        HALF
    } else if b.is_ascii_digit() || b == b'\n' {
        NEVER
    } else {
        EDIT
    }
}

/// A dead cell of a row (and a cost that rules a step out): over every budget, and two of
/// them still fit in a byte.
const DEAD: u8 = 0x7f;

/// [`substitute`] for every pair, worked out at compile time (the walk asks millions of
/// times), as row cells: `SUBSTITUTE[a][b]`, [`DEAD`] for anything dearer than [`MOST`].
static SUBSTITUTE: [[u8; 256]; 256] = {
    let mut t = [[0u8; 256]; 256];
    let mut a = 0;
    while a < 256 {
        let mut b = 0;
        while b < 256 {
            let c = substitute(a as u8, b as u8);
            t[a][b] = if c > MOST { DEAD } else { c as u8 };
            b += 1;
        }
        a += 1;
    }
    t
};

/// [`gap`] for every byte, as [`SUBSTITUTE`].
static GAP: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = gap(b as u8);
        t[b] = if c > MOST { DEAD } else { c as u8 };
        b += 1;
    }
    t
};

/// The bytes OCR confuses with each byte (and a space for [`SOFTENED`]: reading it costs
/// half an edit too).
static CONFUSED_WITH: [&[u8]; 256] = {
    const fn confused(a: u8) -> ([u8; 8], usize) {
        let mut out = [0u8; 8];
        let mut n = 0;
        let mut b = 0;
        while b < 256 {
            if substitute(b as u8, a) == HALF && n < 8 {
                out[n] = b as u8;
                n += 1;
            }
            b += 1;
        }
        (out, n)
    }
    const ALL: [([u8; 8], usize); 256] = {
        let mut t = [([0u8; 8], 0usize); 256];
        let mut a = 0;
        while a < 256 {
            t[a] = confused(a as u8);
            a += 1;
        }
        t
    };
    let mut t: [&[u8]; 256] = [&[]; 256];
    let mut a = 0;
    while a < 256 {
        let (bytes, n) = &ALL[a];
        t[a] = bytes.split_at(*n).0;
        a += 1;
    }
    t
};

/// The text's bytes in the cells of the next row, and the bytes that cost less than an edit
/// there: those, the bytes OCR confuses with them, and a space (256-bit sets).
fn cheap_bytes(cells: &Cells) -> ([u64; 4], [u64; 4]) {
    let mut equal = [0u64; 4];
    let mut cheap = [0u64; 4];
    let add = |set: &mut [u64; 4], b: u8| set[b as usize / 64] |= 1 << (b % 64);
    add(&mut cheap, b' ');
    for &t in &cells.text[cells.lo..=cells.hi.min(CELLS - 1)] {
        if t == b'\n' {
            continue;
        }
        add(&mut equal, t);
        add(&mut cheap, t);
        for &c in CONFUSED_WITH[t as usize] {
            add(&mut cheap, c);
        }
    }
    (equal, cheap)
}

/// True when byte `b` is in the 256-bit set.
#[inline]
fn has(set: &[u64; 4], b: u8) -> bool {
    set[b as usize / 64] & (1 << (b % 64)) != 0
}

/// A break inside a window that a term may cross at a cost: a `;` or `:` OCR read inside a
/// name ("Epoetin;Alfa"). Other hard breaks end the window (see [`window`]).
pub const SOFTENED: u8 = b';';

/// The stretch of `key` from `start` that a term may cover: up to a hard break (a `;` or `:`
/// in the page text, per `crossable`, is kept as `SOFTENED`) or `MAX_TEXT` bytes.
pub fn window(key: &[u8], start: usize, crossable: impl Fn(usize) -> bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(MAX_TEXT.min(key.len() - start));
    for (i, &b) in key.iter().enumerate().skip(start).take(MAX_TEXT) {
        match b {
            b'\n' if crossable(i) => out.push(SOFTENED),
            b'\n' => break,
            _ => out.push(b),
        }
    }
    out
}

fn word_end(b: u8) -> bool {
    b == b' ' || b == SOFTENED
}

/// The longest term within budget at the start of `text` (a [`window`]); `end` is relative
/// to it. Ties in end: the cheapest; a tie between different terms: none, as nothing says
/// which was written.
pub fn longest<D: AsRef<[u8]>>(fst: &Fst<D>, text: &[u8]) -> Option<Approximate> {
    longest_beyond(fst, None, text, 0)
}

/// As [`longest`], when only a term that ends past `min_end` is of use (an exact match
/// already reaches there): the same answer when [`longest`]'s ends past `min_end`, else none.
/// `depths`, when given, holds for every state of `fst` (by address) the length of the
/// longest term below it (see `build.rs`).
///
/// The walk is cut wherever nothing within budget can come of it — a window too short for
/// any term of [`MIN_LEN`], a prefix already dearer than the budget of any term that fits the
/// window or is left below the state, no term long enough below to end past `min_end` — so
/// it visits fewer states than the plain walk, never with another answer.
pub fn longest_beyond<D: AsRef<[u8]>>(
    fst: &Fst<D>,
    depths: Option<&[u8]>,
    text: &[u8],
    min_end: usize,
) -> Option<Approximate> {
    search(fst, depths, text, min_end).0
}

/// [`longest_beyond`], and the number of states the walk visited.
fn search<D: AsRef<[u8]>>(
    fst: &Fst<D>,
    depths: Option<&[u8]>,
    text: &[u8],
    min_end: usize,
) -> (Option<Approximate>, usize) {
    if text.is_empty() || text.len() <= min_end {
        return (None, 0);
    }
    let Some(longest_term) = longest_possible(text.len()) else {
        return (None, 0);
    };
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
        longest_term,
        ceiling: accept(longest_term),
        depths: depths.filter(|d| d.len() > fst.as_bytes().len()),
        min_end,
        visits: 0,
        best: None,
        tied: false,
    };
    // Row over text positions depth-BAND ..= depth+BAND, stored at index j - depth + BAND.
    let mut row: Row = [DEAD; CELLS + 1];
    for (k, cell) in row.iter_mut().enumerate().take(CELLS).skip(BAND) {
        let j = k - BAND;
        if j <= text.len() {
            let c = text[..j]
                .iter()
                .fold(0u16, |c, &b| c.saturating_add(gap(b)))
                .min(NEVER);
            *cell = if c > MOST { DEAD } else { c as u8 };
        }
    }
    walker.walk(fst.root(), &row, 0, fst::raw::Output::zero());
    (walker.best.filter(|_| !walker.tied), walker.visits)
}

/// Cells of a distance row: text positions depth-BAND ..= depth+BAND.
const CELLS: usize = 2 * BAND + 1;

/// A distance row (half-edits, [`DEAD`] when over every budget), and one dead cell past its
/// end so that a cell's right neighbour is always there.
type Row = [u8; CELLS + 1];

/// What a visit works out once for all the transitions it tries: which cells of the next row
/// are worth working out (`lo..=hi`, and past the last live cell of the row only while a run
/// of skipped text bytes carries on), and per cell the text byte it reads and what skipping
/// that byte costs.
struct Cells {
    lo: usize,
    hi: usize,
    last_live: usize,
    /// The text byte of each cell (a newline, which nothing reads, where there is none).
    text: [u8; CELLS],
    /// [`GAP`] of each cell's text byte.
    skip: [u8; CELLS],
}

struct Walker<'a, D: AsRef<[u8]>> {
    fst: &'a Fst<D>,
    text: &'a [u8],
    /// Depth up to which the term must read exactly (see [`longest`]).
    exact_until: usize,
    /// No term longer than this can be accepted against the window.
    longest_term: usize,
    /// The largest budget of a term that fits the window.
    ceiling: u16,
    /// Longest term below each state, by address.
    depths: Option<&'a [u8]>,
    /// Only ends past this are wanted.
    min_end: usize,
    visits: usize,
    best: Option<Approximate>,
    tied: bool,
}

impl<D: AsRef<[u8]>> Walker<'_, D> {
    fn allow(&self, depth: usize) -> u16 {
        if depth < self.exact_until {
            EQUAL
        } else {
            allow(depth).min(self.ceiling)
        }
    }

    fn walk(&mut self, node: Node<'_>, row: &Row, depth: usize, out: fst::raw::Output) {
        self.visits += 1;
        if self.visits > MAX_VISITS {
            return;
        }
        let n = self.text.len();
        if node.is_final() && depth >= MIN_LEN {
            let budget = accept(depth);
            let value = out.cat(node.final_output()).value();
            for (k, &cost) in row[..CELLS].iter().enumerate() {
                let Some(j) = (depth + k).checked_sub(BAND) else {
                    continue;
                };
                // The match must end at a word end of the text.
                if j <= self.min_end
                    || j > n
                    || cost as u16 > budget
                    || !(j == n || word_end(self.text[j]))
                {
                    continue;
                }
                self.offer(Approximate {
                    end: j,
                    cost: cost as u16,
                    value,
                });
            }
        }
        let row_min = row.iter().copied().min().unwrap_or(DEAD) as u16;
        if depth >= self.longest_term || row_min > self.allow(depth) {
            return;
        }
        let d = depth + 1;
        let allowed = self.allow(d);
        // Cells further off the diagonal than the allowance are out of reach: each step off
        // it costs at least half an edit. Nor can a cell come to be left of the row's first
        // live cell but one, before text position 0 or past the end of the text.
        let reach = (allowed as usize).min(BAND);
        let first_live = row.iter().position(|&c| c < DEAD).unwrap_or(0);
        let last_live = row.iter().rposition(|&c| c < DEAD).unwrap_or(0);
        let lo = (BAND - reach)
            .max(first_live.saturating_sub(1))
            .max(BAND.saturating_sub(d));
        let hi = (BAND + reach).min((n + BAND).saturating_sub(d));
        let mut cells = Cells {
            lo,
            hi,
            last_live,
            text: [b'\n'; CELLS],
            skip: [DEAD; CELLS],
        };
        for k in lo..=hi.min(CELLS - 1) {
            // Text position j = d + k - BAND, reading text byte j - 1 (none at j = 0).
            if let Some(&t) = (d + k).checked_sub(BAND + 1).and_then(|i| self.text.get(i)) {
                cells.text[k] = t;
                cells.skip[k] = GAP[t as usize];
            }
        }
        let mut next: Row = [DEAD; CELLS + 1];
        if d < self.exact_until {
            // Only the text's own next byte keeps a prefix that must read exactly.
            if let Some(i) = node.find_input(self.text[depth]) {
                let tr = node.transition(i);
                if self.step(row, tr.inp, &cells, allowed, &mut next).is_some() {
                    let child = self.fst.node(tr.addr);
                    self.walk(child, &next, d, out.cat(tr.out));
                }
            }
            return;
        }
        // When one more byte may cost less than an edit, only the bytes of the text within
        // reach, the bytes OCR confuses with them and a space can keep the prefix alive:
        // the others need no distance row.
        let strict = allowed.saturating_sub(row_min) < EDIT;
        // What a byte adds at least to the row's least cell: nothing for a byte of the text
        // within reach, half an edit for one OCR confuses with it (or a space), else an edit.
        let bytes = (strict || node.len() >= 3).then(|| cheap_bytes(&cells));
        let floor = |b: u8| match bytes {
            Some((equal, _)) if has(&equal, b) => row_min,
            Some((_, cheap)) if has(&cheap, b) => row_min + HALF,
            Some(_) => row_min + EDIT,
            None => row_min,
        };
        match bytes {
            // Fewer bytes to try than the state has transitions: look them up (in byte
            // order, as the transitions come).
            Some((_, set))
                if strict
                    && set.iter().map(|w| w.count_ones() as usize).sum::<usize>() < node.len() =>
            {
                for (w, &bits) in set.iter().enumerate() {
                    let mut bits = bits;
                    while bits != 0 {
                        let b = (w * 64) as u8 + bits.trailing_zeros() as u8;
                        bits &= bits - 1;
                        if let Some(i) = node.find_input(b) {
                            let tr = node.transition(i);
                            let at_least = floor(b);
                            self.child(tr, row, depth, &cells, allowed, at_least, out, &mut next);
                        }
                    }
                }
            }
            _ => {
                for tr in node.transitions() {
                    let at_least = floor(tr.inp);
                    if at_least > allowed {
                        continue;
                    }
                    self.child(tr, row, depth, &cells, allowed, at_least, out, &mut next);
                }
            }
        }
    }

    /// Follows transition `tr` from a state at `depth` whose row is `row`, unless nothing
    /// within budget can come of it. `at_least` is a floor of the next row's least cell.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn child(
        &mut self,
        tr: fst::raw::Transition,
        row: &Row,
        depth: usize,
        cells: &Cells,
        allowed: u16,
        at_least: u16,
        out: fst::raw::Output,
        next: &mut Row,
    ) {
        let b = tr.inp;
        if b == b'\n' {
            return;
        }
        // OCR keeps a term's first letter or confuses it.
        if depth == 0 && b != self.text[0] && !crate::normalize::ocr::confusable(b, self.text[0]) {
            return;
        }
        let d = depth + 1;
        // The longest term below: too short to be matched, to end past `min_end`, or to
        // afford what the prefix costs (at least, before its row is worked out; then exactly).
        let afford = self.depths.map(|depths| {
            let below = d + depths[tr.addr] as usize;
            if below < MIN_LEN || below + BAND <= self.min_end {
                0
            } else {
                accept(below.min(self.longest_term))
            }
        });
        if afford.is_some_and(|a| a == 0 || at_least > a) {
            return;
        }
        let Some(next_min) = self.step(row, b, cells, allowed, next) else {
            return;
        };
        if afford.is_some_and(|a| next_min > a) {
            return;
        }
        let child = self.fst.node(tr.addr);
        self.walk(child, next, d, out.cat(tr.out));
    }

    /// The distance row after term byte `b` (cells as `cells` says), and its least cell;
    /// none when every cell is over the allowance (nothing within budget comes of it).
    #[inline]
    fn step(&self, row: &Row, b: u8, cells: &Cells, allowed: u16, next: &mut Row) -> Option<u16> {
        let skip_b = GAP[b as usize];
        let sub = &SUBSTITUTE[b as usize];
        next.fill(DEAD);
        let mut min = DEAD;
        let mut left = DEAD;
        for k in cells.lo..=cells.hi.min(CELLS - 1) {
            // Term byte b not in the text (the row's cell for the same text position, one
            // to the right), read as the text byte (the row's cell for the position before),
            // or the text byte not in the term (this row's cell to the left). Two dead cells
            // still fit in a byte.
            let c = (row[k + 1] + skip_b)
                .min(row[k] + sub[cells.text[k] as usize])
                .min(left + cells.skip[k]);
            let c = if c as u16 > MOST { DEAD } else { c };
            next[k] = c;
            left = c;
            min = min.min(c);
            // Past the row's last live cell only the run of skipped text bytes carries on,
            // and it has ended.
            if c == DEAD && k >= cells.last_live {
                break;
            }
        }
        (min as u16 <= allowed).then_some(min as u16)
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

#[cfg(test)]
mod tests;

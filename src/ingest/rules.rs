//! Rule lines out of a page image before OCR. Faxed records are full of table borders and
//! dashed rules; Tesseract reads them as `|`, `—~—CSOSS` or `[`, merges a rule with the header
//! printed against it ("MEDICATIONS sSS—~—CSOSS") or drops that header line altogether — and
//! a lost header puts a whole problem list under the medications before it.
//!
//! A rule is a long, thin run of dark pixels: horizontal runs at least a fifth of the page
//! wide (gaps of a dash allowed, one row of skew either way), vertical runs at least half an
//! inch tall. Only the pixels of the run that are themselves thin are whitened, so a letter
//! touching a rule keeps its strokes.

/// Rows above and below a row that a skewed rule may wander to within one run.
const SKEW: usize = 2;

/// A greyscale image (one byte per pixel).
#[derive(Debug, Clone, PartialEq)]
pub struct Gray {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// The value of white.
    pub maxval: u8,
    /// Pixels, row by row.
    pub pixels: Vec<u8>,
}

impl Gray {
    /// Parses a binary PGM (`P5`, 8-bit), as `pdftoppm -gray` writes it.
    pub fn from_pgm(bytes: &[u8]) -> Option<Gray> {
        let mut fields = Vec::with_capacity(4);
        let mut i = 0;
        while fields.len() < 4 {
            // Whitespace and comments between header fields.
            while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'#') {
                if bytes[i] == b'#' {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                } else {
                    i += 1;
                }
            }
            let start = i;
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if start == i {
                return None;
            }
            fields.push(std::str::from_utf8(&bytes[start..i]).ok()?);
        }
        if fields[0] != "P5" {
            return None;
        }
        let width: usize = fields[1].parse().ok()?;
        let height: usize = fields[2].parse().ok()?;
        let maxval: u16 = fields[3].parse().ok()?;
        if maxval == 0 || maxval > 255 {
            return None;
        }
        let data = bytes.get(i + 1..)?;
        let size = width.checked_mul(height)?;
        (data.len() >= size).then(|| Gray {
            width,
            height,
            maxval: maxval as u8,
            pixels: data[..size].to_vec(),
        })
    }

    /// The image as a binary PGM.
    pub fn to_pgm(&self) -> Vec<u8> {
        let mut out = format!("P5\n{} {}\n{}\n", self.width, self.height, self.maxval).into_bytes();
        out.extend_from_slice(&self.pixels);
        out
    }

    /// Whitens the rule lines of a page scanned at `dpi`; returns how many pixels changed.
    pub fn remove_rules(&mut self, dpi: u32) -> usize {
        let (w, h) = (self.width, self.height);
        if w < 3 || h < 3 {
            return 0;
        }
        let threshold = self.maxval / 2;
        let dark: Vec<bool> = self.pixels.iter().map(|&p| p < threshold).collect();
        // A rule is at most ~0.75 mm thick; dashes leave gaps of about as much.
        let thin = (dpi as usize * 3 / 100).max(2);
        let dash_gap = thin;
        let min_horizontal = w / 5;
        let min_vertical = (dpi as usize / 2).max(20);
        let vertical_run = run_lengths(&dark, w, h, true);
        let horizontal_run = run_lengths(&dark, w, h, false);
        let mut remove = vec![false; w * h];

        // Horizontal rules: over five rows at once, so a skewed rule (a scan is rarely
        // straight: a row every ~100 pixels here) is one long run.
        for y in 0..h {
            let rows = y.saturating_sub(SKEW)..(y + SKEW + 1).min(h);
            let near = |x: usize| rows.clone().any(|r| dark[r * w + x]);
            for (a, b) in long_runs((0..w).map(near), dash_gap, min_horizontal) {
                for x in a..b {
                    let i = y * w + x;
                    if dark[i] && vertical_run[i] as usize <= thin {
                        remove[i] = true;
                    }
                }
            }
        }
        // Vertical rules (table column borders).
        for x in 0..w {
            let column = (0..h).map(|y| dark[y * w + x]);
            for (a, b) in long_runs(column, 2, min_vertical) {
                for y in a..b {
                    let i = y * w + x;
                    if dark[i] && horizontal_run[i] as usize <= thin {
                        remove[i] = true;
                    }
                }
            }
        }
        let mut changed = 0;
        for (p, r) in self.pixels.iter_mut().zip(remove) {
            if r {
                *p = self.maxval;
                changed += 1;
            }
        }
        changed
    }
}

/// Spans `[a, b)` of runs of `true` (gaps of at most `gap` closed) at least `min` long.
fn long_runs(
    cells: impl Iterator<Item = bool>,
    gap: usize,
    min: usize,
) -> impl Iterator<Item = (usize, usize)> {
    let mut spans = Vec::new();
    let mut run: Option<(usize, usize)> = None; // (start, end of the last true cell + 1)
    for (i, on) in cells.enumerate() {
        if !on {
            continue;
        }
        run = match run {
            Some((s, e)) if i - e <= gap => Some((s, i + 1)),
            Some((s, e)) => {
                if e - s >= min {
                    spans.push((s, e));
                }
                Some((i, i + 1))
            }
            None => Some((i, i + 1)),
        };
    }
    if let Some((s, e)) = run
        && e - s >= min
    {
        spans.push((s, e));
    }
    spans.into_iter()
}

/// For each dark pixel, the length of the run of dark pixels it belongs to, down its column
/// (`vertical`) or along its row.
fn run_lengths(dark: &[bool], w: usize, h: usize, vertical: bool) -> Vec<u16> {
    let mut out = vec![0u16; w * h];
    let (lines, len) = if vertical { (w, h) } else { (h, w) };
    let index = |line: usize, k: usize| if vertical { k * w + line } else { line * w + k };
    for line in 0..lines {
        let mut k = 0;
        while k < len {
            if !dark[index(line, k)] {
                k += 1;
                continue;
            }
            let start = k;
            while k < len && dark[index(line, k)] {
                k += 1;
            }
            let n = (k - start).min(u16::MAX as usize) as u16;
            for j in start..k {
                out[index(line, j)] = n;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 400×120 white page at 100 dpi with a word-like block of strokes and the given marks.
    fn page(marks: impl Fn(usize, usize) -> bool) -> Gray {
        let (width, height) = (400, 120);
        let pixels = (0..height)
            .flat_map(|y| (0..width).map(move |x| (y, x)))
            .map(|(y, x)| if marks(x, y) { 0 } else { 255 })
            .collect();
        Gray {
            width,
            height,
            maxval: 255,
            pixels,
        }
    }

    fn letters(x: usize, y: usize) -> bool {
        // Strokes 2 px wide every 6 px, 20 px tall, over 60 px: text, not a rule.
        (40..100).contains(&x) && (50..70).contains(&y) && x % 6 < 2
    }

    fn dark(g: &Gray, x: usize, y: usize) -> bool {
        g.pixels[y * g.width + x] < 128
    }

    #[test]
    fn pgm_round_trip() {
        let g = page(letters);
        let bytes = g.to_pgm();
        assert_eq!(Gray::from_pgm(&bytes), Some(g));
        assert_eq!(Gray::from_pgm(b"P6\n1 1\n255\n\0\0\0"), None);
        assert_eq!(Gray::from_pgm(b"P5\n10 10\n255\n\0"), None);
    }

    #[test]
    fn solid_dashed_skewed_and_vertical_rules_go_letters_stay() {
        let mut g = page(|x, y| {
            letters(x, y)
                // a solid rule, 2 px thick
                || ((10..12).contains(&y) && x > 20)
                // a dashed rule (3 on, 2 off), skewed by a row every 20 px
                || (y == 20 + x / 20 && x % 5 < 3 && (20..380).contains(&x))
                // a column border, 1 px wide, the height of the page
                || x == 300
        });
        g.remove_rules(100);
        // (Where a border crosses a rule, the crossing may stay: it is thick both ways.)
        for x in (21..400).filter(|&x| x != 300) {
            assert!(!dark(&g, x, 10) && !dark(&g, x, 11), "solid rule at x={x}");
            // (the last steps at its ends may stay: they are short within the window)
            if (60..340).contains(&x) {
                assert!(!dark(&g, x, 20 + x / 20), "dashed rule at x={x}");
            }
        }
        for y in (0..120).filter(|y| ![10, 11, 35].contains(y)) {
            assert!(!dark(&g, 300, y), "column border at y={y}");
        }
        for x in 40..100 {
            for y in 50..70 {
                assert_eq!(dark(&g, x, y), letters(x, y), "letter pixel at {x},{y}");
            }
        }
    }

    #[test]
    fn a_letter_crossing_a_rule_keeps_its_stroke() {
        // A tall stroke (a "l") crossing a horizontal rule: the rule goes, the stroke stays.
        let mut g =
            page(|x, y| ((10..12).contains(&y) && x > 20) || (x == 50 && (2..30).contains(&y)));
        g.remove_rules(100);
        assert!(!dark(&g, 100, 10));
        for y in 2..30 {
            assert!(dark(&g, 50, y), "stroke at y={y}");
        }
    }
}

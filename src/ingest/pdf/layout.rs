//! Writes a page's glyphs ([`super::content`]) out in content order with the separators their
//! positions imply: a space for a word gap, `\t` between cells that sit side by side, `\n` for
//! a new line; and finds where table rows start.
//!
//! Content order is kept (like `pdftotext -raw`) because both PDF producers in the field write
//! a table cell's wrapped lines one after the other, so a drug name that wraps inside its cell
//! stays together.

use super::content::Glyph;

/// Writes glyphs out as text: content order, separators from positions.
pub fn assemble(glyphs: &[Glyph]) -> String {
    assemble_rows(glyphs).0
}

#[derive(Clone, Copy, PartialEq)]
enum Move {
    Down,
    Up,
}

/// Writes glyphs out as text and finds where table rows start (byte offsets).
///
/// A move down the page is a wrap inside a table cell, not a new row, when the text soon
/// moves back up into the row (the next cell starts at the row's top); a new row starts
/// below everything before it and never returns. Rows are what a finding's row attributes
/// (status cell, dates, reactions, dosage) and a statement's scope are read from.
pub fn assemble_rows(glyphs: &[Glyph]) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(glyphs.len() + glyphs.len() / 4);
    let mut moves: Vec<(usize, Move, f32, f32)> = Vec::new(); // (offset, move, y, size)
    let mut first_y = None;
    let mut prev: Option<&Glyph> = None;
    for g in glyphs {
        // Blank glyphs, and glyphs the font maps to nothing readable (U+FFFD, often a
        // non-breaking space the producer could not name), separate words.
        if g.text.chars().all(|c| c.is_whitespace() || c == '\u{fffd}') {
            // Space glyphs: the gap they leave speaks for itself, but keep one space when the
            // next glyph follows without a gap of its own.
            if !out.is_empty() && !out.ends_with([' ', '\n', '\t']) {
                out.push(' ');
            }
            prev = Some(g);
            continue;
        }
        if let Some(p) = prev {
            let size = g.size.max(p.size).max(1.0);
            let dy = g.y - p.y;
            let sep = if dy.abs() < 0.5 * size {
                let gap = g.x - p.end_x;
                if gap > 1.2 * size {
                    Some('\t')
                } else if gap > 0.12 * size || gap < -2.0 * size {
                    Some(' ')
                } else {
                    None
                }
            } else if dy > 0.0 {
                // Back up the page: the next cell of a table row, or the next column.
                Some('\t')
            } else {
                Some('\n')
            };
            match sep {
                Some('\n') => {
                    trim_end_spaces(&mut out);
                    out.push('\n');
                    moves.push((out.len(), Move::Down, g.y, size));
                }
                Some('\t') => {
                    trim_end_spaces(&mut out);
                    if !out.ends_with('\n') {
                        out.push('\t');
                    }
                    if dy > 0.0 {
                        moves.push((out.len(), Move::Up, g.y, size));
                    }
                }
                Some(c) if !out.ends_with([' ', '\n', '\t']) => out.push(c),
                _ => {}
            }
        } else {
            first_y = Some(g.y);
        }
        out.push_str(&g.text);
        prev = Some(g);
    }
    trim_end_spaces(&mut out);
    if !out.is_empty() {
        out.push('\n');
    }
    let mut rows = vec![0];
    let mut row_top = first_y.unwrap_or(0.0);
    for (i, &(offset, mv, y, size)) in moves.iter().enumerate() {
        if mv != Move::Down {
            continue;
        }
        let back_up = moves[i + 1..]
            .iter()
            .take(10)
            .find(|m| m.1 == Move::Up)
            .is_some_and(|&(_, _, uy, _)| uy > y + 0.25 * size && uy <= row_top + 0.5 * size);
        if !back_up {
            rows.push(offset.min(out.len()));
            row_top = y;
        }
    }
    (out, rows)
}

fn trim_end_spaces(s: &mut String) {
    while s.ends_with([' ', '\t']) {
        s.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(text: &str, x: f32, y: f32, w: f32) -> Glyph {
        Glyph {
            text: text.into(),
            x,
            y,
            end_x: x + w,
            size: 10.0,
        }
    }

    #[test]
    fn word_gap_becomes_space_and_touching_glyphs_join() {
        let glyphs = [
            g("Me", 0.0, 700.0, 12.0),
            g("ds:", 12.0, 700.0, 14.0),
            g("aspirin", 30.0, 700.0, 30.0),
        ];
        assert_eq!(assemble(&glyphs), "Meds: aspirin\n");
    }

    #[test]
    fn column_gap_becomes_tab() {
        let glyphs = [
            g("Aspirin", 0.0, 700.0, 30.0),
            g("Hives", 100.0, 700.0, 25.0),
        ];
        assert_eq!(assemble(&glyphs), "Aspirin\tHives\n");
    }

    #[test]
    fn lower_line_is_newline_and_back_up_is_next_cell() {
        let glyphs = [
            g("ACETAMINOPHEN", 0.0, 700.0, 60.0),
            g("(Tylenol)", 0.0, 688.0, 40.0),
            g("650", 120.0, 700.0, 15.0),
        ];
        assert_eq!(assemble(&glyphs), "ACETAMINOPHEN\n(Tylenol)\t650\n");
    }

    #[test]
    fn unreadable_glyph_separates_words() {
        let glyphs = [
            g("PENICILLIN", 0.0, 700.0, 50.0),
            g("\u{fffd}", 50.0, 700.0, 3.0),
            g("G", 53.0, 700.0, 5.0),
        ];
        assert_eq!(assemble(&glyphs), "PENICILLIN G\n");
    }

    #[test]
    fn wrapped_cells_stay_in_their_row() {
        // Row 1: "Jun 1, / 2015" | "Jun 9, / 2015" | "Acute bronchitis"; row 2: "Sep 28," …
        let glyphs = [
            g("Jun 1,", 0.0, 700.0, 30.0),
            g("2015", 0.0, 688.0, 20.0),
            g("Jun 9,", 80.0, 700.0, 30.0),
            g("2015", 80.0, 688.0, 20.0),
            g("Acute bronchitis", 160.0, 694.0, 80.0),
            g("Sep 28,", 0.0, 670.0, 30.0),
            g("2015", 0.0, 658.0, 20.0),
            g("Viral sinusitis", 160.0, 664.0, 80.0),
            g("Paragraph line one", 0.0, 640.0, 90.0),
            g("Paragraph line two", 0.0, 628.0, 90.0),
        ];
        let (text, rows) = assemble_rows(&glyphs);
        let row_texts: Vec<&str> = rows
            .iter()
            .zip(rows.iter().skip(1).chain(std::iter::once(&text.len())))
            .map(|(&s, &e)| text[s..e].trim_end())
            .collect();
        assert_eq!(
            row_texts,
            vec![
                "Jun 1,\n2015\tJun 9,\n2015\tAcute bronchitis",
                "Sep 28,\n2015\tViral sinusitis",
                "Paragraph line one",
                "Paragraph line two"
            ]
        );
    }

    #[test]
    fn space_glyphs_do_not_double() {
        let glyphs = [
            g("a", 0.0, 700.0, 5.0),
            g(" ", 5.0, 700.0, 3.0),
            g("b", 9.0, 700.0, 5.0),
        ];
        assert_eq!(assemble(&glyphs), "a b\n");
    }
}

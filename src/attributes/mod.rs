//! Attributes: what stands beside a finding in its row — a medication's strength, dose,
//! route, frequency and dates; an allergy's reactions and severity; a status cell
//! ("Resolved", "Discontinued") or a stop date that ends a problem or a drug.
//!
//! A row is the table row or label record the mention stands in: from the start of the
//! mention's line to the line of the next finding of the same kind in the same section (so a
//! cell that wraps onto several lines stays in its row), at most [`MAX_ROW`] bytes.

pub mod allergy;
pub mod medication;
pub mod units;

use std::sync::LazyLock;

use regex::Regex;

use crate::dates::{self, DATE};
use crate::normalize::KeyText;
use crate::phrases::PhraseTable;
use crate::status::{Applies, Status};
use crate::tables::{self, Table, TableError};

/// The longest row looked at, in bytes.
pub const MAX_ROW: usize = 700;

static ROW_STATUS: LazyLock<PhraseTable<(Status, Applies)>> =
    LazyLock::new(|| tables::shipped(row_status_table()));

/// `dictionaries/row-status.tsv`: status cell words → status, and what they apply to.
pub(crate) fn row_status_table() -> Result<PhraseTable<(Status, Applies)>, TableError> {
    let text = include_str!("../../dictionaries/row-status.tsv");
    PhraseTable::from_table(&Table::parse("row-status.tsv", text)?, |r| {
        Ok((r.parse("status")?, r.parse("applies")?))
    })
}

/// A table header or label that announces an end date (a stop column, "Resolved:").
static END_COLUMN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(stop|end|end date|stop date|date resolved|resolved date|resolution date|resolved|discontinued|date discontinued|\(start - stop\))$")
        .expect("valid regex")
});

/// What a row says beyond the finding itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowFacts {
    /// A status cell.
    pub status: Option<StatusCell>,
    /// Dates written in the row (ISO), in order.
    pub dates: Vec<String>,
    /// The row has an end date under an end-date column or label.
    pub ended: bool,
}

/// A status cell of a row ("Resolved", "Status: Inactive", "Discontinued").
#[derive(Debug, Clone, PartialEq)]
pub struct StatusCell {
    /// What it says.
    pub status: Status,
    /// Which findings it applies to.
    pub applies: Applies,
    /// The words as written.
    pub written: String,
}

/// Where a mention's row starts: the given line start, or for label records ("Start: …", "Stop: …",
/// `Description: <finding>`) the first of the date lines just above it.
pub fn row_start(text: &str, line_start: usize, section_start: usize) -> usize {
    static DATE_LABEL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^\s*(start|stop|end|onset|resolved|date|effective|start date|end date|stop date|onset date|resolved date)\s*:")
            .expect("valid regex")
    });
    let mut start = line_start;
    let line = &text[line_start..];
    if !line.split('\n').next().unwrap_or("").contains(':') {
        return start;
    }
    // (OCR puts blank lines between a record's lines: they are passed over.)
    let mut at = start;
    while at > section_start.max(1) {
        let prev_start = text[..at - 1].rfind('\n').map_or(0, |p| p + 1);
        if prev_start < section_start {
            break;
        }
        let prev = &text[prev_start..at];
        if prev.trim().is_empty() {
            at = prev_start;
            continue;
        }
        if !DATE_LABEL.is_match(prev) {
            break;
        }
        start = prev_start;
        at = prev_start;
    }
    start
}

/// The row of a finding at `start..end` on a page: its table row when the layout gives rows
/// (PDF), else its line and the lines that continue it (not a new date / bullet / label line,
/// at most three). The row is cut before the next finding of the same kind and after the
/// previous one, so "PCN (hives), sulfa (rash)" gives each allergen its own reaction. Label
/// records ("Start: …", "Stop: …", `Description: <finding>`) include their date lines above.
pub fn row_span(
    page: &crate::ingest::Page,
    start: usize,
    prev_end: Option<usize>,
    next_start: Option<usize>,
    section: (usize, usize),
) -> (usize, usize) {
    static NEW_LINE_ITEM: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\s*(?:\d{1,4}[/.\-]\d|[A-Z][a-z]{2}\s+\d{1,2},|[-*\u{2022}•]|[A-Za-z][A-Za-z /]{0,30}:)")
            .expect("valid regex")
    });
    static LABEL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\s*([A-Za-z][A-Za-z /()]{0,30}?)\s*:").expect("valid regex")
    });
    let text = page.text.as_str();
    let (mut s, mut e) = page.row_at(start);
    let line_start = text[..start].rfind('\n').map_or(0, |p| p + 1);
    let next_line = |e: usize| {
        let from = (e + 1).min(text.len());
        let end = text[from..].find('\n').map_or(text.len(), |p| from + p);
        (from, end)
    };
    if let Some(label) = LABEL
        .captures(&text[line_start..])
        .map(|c| c[1].to_ascii_lowercase())
    {
        // A label record: its date lines above ("Start:", "Stop:"), and the lines after it up
        // to the next record (the record's first label again).
        s = row_start(text, line_start.max(section.0), section.0);
        let first = LABEL
            .captures(&text[s..])
            .map(|c| c[1].to_ascii_lowercase())
            .unwrap_or_else(|| label.clone());
        for _ in 0..8 {
            let (from, end) = next_line(e);
            let line = &text[from..end];
            match LABEL.captures(line) {
                Some(c)
                    if c[1].to_ascii_lowercase() != label && c[1].to_ascii_lowercase() != first =>
                {
                    e = end
                }
                _ => break,
            }
        }
    } else if page.rows.is_empty() {
        // Text records: continue onto lines that carry on the row.
        for _ in 0..3 {
            let (from, end) = next_line(e);
            let line = &text[from..end];
            if from >= text.len()
                || line.trim().is_empty()
                || NEW_LINE_ITEM.is_match(line)
                || next_start.is_some_and(|n| n <= end)
            {
                break;
            }
            e = end;
        }
    }
    if let Some(p) = prev_end.filter(|&p| p > s && p <= start) {
        s = p;
    }
    if let Some(n) = next_start.filter(|&n| n < e && n > start) {
        e = n;
    }
    e = e
        .min(section.1.max(start))
        .min(floor_char(text, (start + MAX_ROW).min(text.len())));
    (s.min(start), e.max(start))
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Reads the status cell, dates and end date of a row (`row`), skipping the mention itself.
pub fn row_facts(
    text: &str,
    key: &KeyText,
    row: std::ops::Range<usize>,
    mention: std::ops::Range<usize>,
    section_start: usize,
    has_end_column: bool,
) -> RowFacts {
    let mut facts = RowFacts::default();
    let ks = key.key_offset(row.start);
    let ke = key.key_offset(row.end);
    for hit in ROW_STATUS.find(text, key, ks..ke) {
        if hit.start < mention.end && mention.start < hit.end {
            continue;
        }
        // A status is a cell of its own or a "Status:" value, not a word inside prose.
        if !stands_alone(text, hit.start, hit.end) {
            continue;
        }
        facts.status = Some(StatusCell {
            status: hit.value.0,
            applies: hit.value.1,
            written: text[hit.start..hit.end].to_string(),
        });
        if hit.start >= mention.end {
            break;
        }
    }
    let row_text = &text[row.clone()];
    for m in DATE.find_iter(row_text) {
        if let Some(d) = dates::parse_any(m.as_str()) {
            facts.dates.push(d);
        }
    }
    if facts.dates.is_empty() {
        facts.dates = dates::wrapped(row_text);
    }
    // An end date: under a header with an end column, or after an end label in the row.
    let mut labelled_end = false;
    for line in row_text.lines() {
        if let Some((label, value)) = line.split_once(':')
            && END_COLUMN.is_match(label.trim())
            && DATE.is_match(value)
        {
            labelled_end = true;
        }
    }
    let has_end_column =
        has_end_column || end_column_header(&text[section_start.min(row.start)..row.start]);
    // Two dates under a start/stop header: it ended (on the same day, for a one-day course).
    facts.ended = labelled_end || (has_end_column && facts.dates.len() >= 2);
    // Label records: "Start: …" / "Stop: …" lines before the description belong to the row.
    facts
}

/// True when `text` holds a table header line with an end-date column: a cell "Stop", "End
/// Date", "Resolved" … beside another header cell ("Start", "Description", "Code" …).
pub fn end_column_header(text: &str) -> bool {
    static HEADER_CELL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^(start|start date|onset|onset date|date|dates|description|code|name|problem|condition|medication|substance|status|effective dates)$")
            .expect("valid regex")
    });
    text.lines().rev().take(80).any(|l| {
        let mut cells: Vec<&str> = l.split('\t').map(str::trim).collect();
        // OCR text has no tabs: a line made only of header words is a header row.
        // (OCR may misread one of them: "Start Stop Dascription Code", and leaves marks
        // read off the rules between them: "Start Stop — a, Description . / . Code".)
        if cells.len() == 1 {
            let words: Vec<&str> = l
                .split_whitespace()
                .filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 3)
                .collect();
            // (The cheap tests first: a line of prose is no header row.)
            if (2..=8).contains(&words.len()) && !l.chars().any(|c| c.is_ascii_digit()) {
                let known = words
                    .iter()
                    .filter(|w| {
                        HEADER_CELL.is_match(w)
                            || END_COLUMN.is_match(w)
                            || w.eq_ignore_ascii_case("value")
                    })
                    .count();
                if known * 2 > words.len() {
                    cells = words;
                }
            }
        }
        cells.len() >= 2
            && cells.iter().any(|c| {
                END_COLUMN.is_match(c) || c.to_ascii_lowercase().contains("(start - stop)")
            })
            && cells.iter().any(|c| HEADER_CELL.is_match(c))
    })
}

/// True when the words at `start..end` fill their cell: nothing but spaces, punctuation or a
/// "Status:" label between them and the cell edges (tabs, line ends).
fn stands_alone(text: &str, start: usize, end: usize) -> bool {
    let cell_start = text[..start].rfind(['\t', '\n']).map_or(0, |p| p + 1);
    let cell_end = text[end..]
        .find(['\t', '\n'])
        .map_or(text.len(), |p| end + p);
    let before = text[cell_start..start].trim().trim_end_matches(':').trim();
    let after = text[end..cell_end].trim();
    let before_ok = before.is_empty()
        || before.eq_ignore_ascii_case("status")
        || before.to_ascii_lowercase().ends_with("status")
        || before.chars().all(|c| !c.is_alphanumeric());
    let after_ok = after.is_empty() || after.chars().all(|c| !c.is_alphanumeric());
    before_ok && after_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(text: &str, needle: &str) -> RowFacts {
        let key = KeyText::new(text);
        let s = text.find(needle).unwrap();
        let e = s + needle.len();
        let page = crate::ingest::Page {
            number: 1,
            text: text.to_string(),
            origin: crate::ingest::PageOrigin::TextRecord,
            rows: Vec::new(),
            image: None,
        };
        let (row_start, end) = row_span(&page, s, None, None, (0, text.len()));
        row_facts(text, &key, row_start..end, s..e, 0, false)
    }

    #[test]
    fn status_cells() {
        let f = facts("Asthma\t2010\tResolved\n", "Asthma");
        assert_eq!(f.status.unwrap().status, Status::Resolved);
        let f = facts("Name: Asthma\nStatus: Inactive\n", "Asthma");
        assert_eq!(f.status.unwrap().status, Status::Inactive);
        let f = facts(
            "Asthma, resolved in childhood, now active wheeze\n",
            "Asthma",
        );
        assert!(
            f.status.is_none(),
            "status words inside prose are not cells"
        );
        let f = facts(
            "Active Medications\tDiscontinued\tAspirin 81 mg\tActive\n",
            "Aspirin",
        );
        assert_eq!(
            f.status.unwrap().status,
            Status::Active,
            "the status after the drug wins"
        );
    }

    #[test]
    fn end_dates_need_an_end_column() {
        let table = "Start\tStop\tDescription\tCode\n01/15/2017\t01/21/2018\tStress (finding)\tSNOMED CT 73595000\n";
        assert!(facts(table, "Stress").ended);
        let open =
            "Start\tStop\tDescription\tCode\n02/25/2024\tHydrochlorothiazide 25 MG Oral Tablet\n";
        assert!(!facts(open, "Hydrochlorothiazide").ended);
        let ocr = "Start Stop Description Code\n01/15/2017 01/21/2018 Stress (finding) SNOMED CT 73595000\n";
        assert!(facts(ocr, "Stress").ended);
        let marks = "Start Stop — a, Description . / . Code\n01/15/2017 01/21/2018 Stress (finding) SNOMED CT 73595000\n";
        assert!(facts(marks, "Stress").ended);
        let no_column = "Date\tDescription\n01/15/2017\t01/21/2018\tStress\n";
        assert!(!facts(no_column, "Stress").ended);
        let labels = "Start: 2014-12-22\nStop: 2015-01-04\nDescription: Acute viral pharyngitis\n";
        let key = KeyText::new(labels);
        let s = labels.find("Acute").unwrap();
        let f = row_facts(labels, &key, 0..labels.len(), s..s + 5, 0, false);
        assert!(f.ended);
        assert_eq!(f.dates, vec!["2014-12-22", "2015-01-04"]);
        // Date cells that wrapped: month and day on the row's line, the years below.
        let wrapped = "Start Stop Description Code\nDec 26, Jan 22, Viral sinusitis (disorder) SNOMED CT 444814009\n2017 2018\n";
        let s = wrapped.find("Viral").unwrap();
        let row = wrapped.find("Dec").unwrap()..wrapped.len();
        let key = KeyText::new(wrapped);
        let f = row_facts(wrapped, &key, row, s..s + 15, 0, false);
        assert_eq!(f.dates, vec!["2017-12-26", "2018-01-22"]);
        assert!(f.ended);
        // OCR leaves blank lines between a record's lines.
        let spaced = "Start: 2021-02-26\n\nStop: 2021-03-21\n\nDescription: Nasal congestion\n";
        let s = spaced.find("Nasal").unwrap();
        let line = spaced.rfind("Description").unwrap();
        assert_eq!(row_start(spaced, line, 0), 0);
        let key = KeyText::new(spaced);
        let f = row_facts(spaced, &key, 0..spaced.len(), s..s + 5, 0, false);
        assert!(f.ended);
    }
}

//! Page furniture: running headers and footers, "Page 3 of 50", fax banners. Lines that
//! repeat near the top or bottom of many pages, or that have the shape of a page counter,
//! carry no clinical content; sections do not end at them and no finding comes from them.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use super::fold::term_key;

/// How many lines at the top and at the bottom of a page are looked at.
const EDGE_LINES: usize = 4;

static COUNTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^\s*(
            (page|pg|p)\.?\s*\d+\s*(of|/)\s*\d+
          | \d+\s*/\s*\d+
          | -\s*\d+\s*-
          | page\s+\d+
        )\s*$",
    )
    .expect("valid regex")
});

static FAX_BANNER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(from|fax)\b.{0,80}\bto\b.{0,80}\bp\s*[.:]?\s*[0-9oOdDlI]{1,4}\s*/\s*[0-9oOdDlI]{1,4}\s*$")
        .expect("valid regex")
});

/// Byte ranges of each page's text that are furniture, per page (same order as `pages`).
pub fn detect<S: AsRef<str>>(pages: &[S]) -> Vec<Vec<(usize, usize)>> {
    let mut per_page_lines: Vec<Vec<(usize, usize, String)>> = Vec::with_capacity(pages.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for page in pages {
        let text = page.as_ref();
        let lines: Vec<(usize, usize)> = line_spans(text)
            .filter(|&(s, e)| !text[s..e].trim().is_empty())
            .collect();
        let n = lines.len();
        let mut edge = Vec::new();
        let mut signatures = std::collections::HashSet::new();
        for (i, &(s, e)) in lines.iter().enumerate() {
            if i < EDGE_LINES || i + EDGE_LINES >= n {
                let sig = signature(&text[s..e]);
                if sig.len() >= 4 {
                    signatures.insert(sig.clone());
                }
                edge.push((s, e, sig));
            }
        }
        for sig in signatures {
            *seen.entry(sig).or_default() += 1;
        }
        per_page_lines.push(edge);
    }
    let min_pages = 3.max(pages.len() / 3);
    pages
        .iter()
        .zip(per_page_lines)
        .map(|(page, edge)| {
            let text = page.as_ref();
            let mut out: Vec<(usize, usize)> = Vec::new();
            for (s, e, sig) in edge {
                let line = &text[s..e];
                let repeated = seen.get(&sig).is_some_and(|&c| c >= min_pages);
                if repeated || is_counter_or_banner(line) {
                    out.push((s, e));
                }
            }
            // Counters and banners anywhere on the page, too (OCR may move them).
            for (s, e) in line_spans(text) {
                if !out.contains(&(s, e)) && is_counter_or_banner(&text[s..e]) {
                    out.push((s, e));
                }
            }
            out.sort_unstable();
            out
        })
        .collect()
}

/// True for "Page 3 of 50", "2/3", fax banners.
pub fn is_counter_or_banner(line: &str) -> bool {
    line.split('\t')
        .all(|cell| COUNTER.is_match(cell) || FAX_BANNER.is_match(cell))
}

static COUNTER_INSIDE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(page\s*)?\d+\s*(of|/)\s*\d+\b|\bpage\s*\d+\b").expect("valid regex")
});

/// A line's identity across pages: its key without page counters, so "Printed copy 2/3"
/// ~ "Printed copy 3/3" but two table rows that differ in a dose or a date stay different.
fn signature(line: &str) -> String {
    term_key(&COUNTER_INSIDE.replace_all(line, " "))
}

/// (start, end) of each line, without its newline.
pub fn line_spans(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut start = 0;
    text.split_inclusive('\n').map(move |l| {
        let s = start;
        start += l.len();
        (s, s + l.trim_end_matches(['\n', '\r']).len())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_banners() {
        for line in [
            "Page 3 of 50",
            "page 1/2",
            "2/3",
            "FROM: (565) 442-1288 TO: (655) 811-2084 08/24/2017 16:43 P.OD1/012",
        ] {
            assert!(is_counter_or_banner(line), "{line}");
        }
        for line in ["Penicillin 250 mg", "Page Smith MD", "1/2 tab daily"] {
            assert!(!is_counter_or_banner(line), "{line}");
        }
    }

    #[test]
    fn running_headers_repeat_across_pages() {
        let pages: Vec<String> = (1..=4)
            .map(|i| format!("Jane Doe | DOB: Jan 1, 1970\nMEDICATIONS\nline {i} body\nPrinted copy - confidential\t{i}/4\n"))
            .collect();
        let f = detect(&pages);
        let first = &pages[0];
        let lines: Vec<&str> = f[0].iter().map(|&(s, e)| &first[s..e]).collect();
        assert!(lines.contains(&"Jane Doe | DOB: Jan 1, 1970"));
        assert!(lines.contains(&"Printed copy - confidential\t1/4"));
        assert!(!lines.iter().any(|l| l.contains("body")));
    }
}

//! The generated part of `SOURCES.md`: rows per table, per kind and code system, and what the
//! filters removed, between the count markers.

use std::collections::BTreeMap;

use crate::{BuildReport, COUNTS_BEGIN, COUNTS_END, TERM_HEADER};

/// The generated part of `SOURCES.md`.
pub(crate) fn counts_block(
    texts: &BTreeMap<&str, String>,
    report: &BuildReport,
    rx_origin: &str,
) -> String {
    let mut s = String::new();
    s.push_str(&format!("RxNorm input of this build: {rx_origin}.\n\n"));
    s.push_str("| file | rows | rows by kind and code system |\n|---|---:|---|\n");
    for (file, text) in texts {
        let rows = text.lines().count().saturating_sub(1);
        let mut by: BTreeMap<String, usize> = BTreeMap::new();
        if text.starts_with(TERM_HEADER) {
            for line in text.lines().skip(1) {
                let cols: Vec<&str> = line.split('\t').collect();
                if cols.len() >= 3 {
                    *by.entry(format!("{} {}", cols[1], cols[2])).or_default() += 1;
                }
            }
        }
        let detail: Vec<String> = by
            .iter()
            .map(|(k, n)| format!("{k} {}", thousands(*n)))
            .collect();
        s.push_str(&format!(
            "| `{file}` | {} | {} |\n",
            thousands(rows),
            detail.join("; ")
        ));
    }
    s.push_str("\nCandidate rows the filters removed:\n\n| filter | rows |\n|---|---:|\n");
    for (why, n) in &report.dropped {
        s.push_str(&format!("| {why} | {} |\n", thousands(*n)));
    }
    s
}

/// 12345 → "12,345".
fn thousands(n: usize) -> String {
    let d = n.to_string();
    let mut out = String::new();
    for (i, c) in d.chars().enumerate() {
        if i > 0 && (d.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Replaces the text between the count markers.
pub(crate) fn replace_counts(sources: &str, counts: &str) -> Option<String> {
    let start = sources.find(COUNTS_BEGIN)? + COUNTS_BEGIN.len();
    let end = sources[start..].find(COUNTS_END)? + start;
    Some(format!(
        "{}\n\n{}\n{}",
        &sources[..start],
        counts,
        &sources[end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_markers_are_replaced() {
        let s = format!("# Sources\n{COUNTS_BEGIN}\nold\n{COUNTS_END}\ntail\n");
        let r = replace_counts(&s, "new\n").unwrap();
        assert_eq!(
            r,
            format!("# Sources\n{COUNTS_BEGIN}\n\nnew\n\n{COUNTS_END}\ntail\n")
        );
        assert_eq!(replace_counts(&r, "new\n").unwrap(), r);
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(12), "12");
    }
}

//! Dates as documents write them: finding them in a row, and reading them as `YYYY-MM-DD`.
//!
//! Every date format chart2fhir understands is here, in one place, with one table test:
//! "09/05/2011" (US month/day order), "2011-09-05", "Sep 5, 2011", "September 5, 2011",
//! "05-Sep-2011", "Jun-15-2017", "20120806", "Mon Jun 22 00:00:00 EDT 2015" (a Java
//! `Date.toString()` export), and what OCR makes of them ("Mar 2,2018", "Feb 29,'2020"). A
//! date cell that wrapped in a table ("Dec 26,\n2017") is read by [`wrapped`].
//!
//! ```
//! use chart2fhir::dates;
//! assert_eq!(dates::parse("Sep 5, 2011").as_deref(), Some("2011-09-05"));
//! let row = "Hypertension\t01/15/2017\t20180121";
//! let found: Vec<_> = dates::DATE.find_iter(row).filter_map(|m| dates::parse_any(m.as_str())).collect();
//! assert_eq!(found, ["2017-01-15", "2018-01-21"]);
//! ```

use std::sync::LazyLock;

use regex::Regex;

/// The first three letters of each month, in order.
const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// A whole date written in a row or a line (every format [`parse_any`] reads).
pub static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        \b(?:
            \d{1,2}/\d{1,2}/\d{4}
          | \d{4}-\d{2}-\d{2}
          | (?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?[\s\-]+\d{1,2}(?:,['\s\-]*|[\s\-]+)\d{4}
          | \d{1,2}[\s\-](?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*[\s\-,]+\d{4}
          | (?:mon|tue|wed|thu|fri|sat|sun)\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\s+\d{1,2}\s+[\d:]+\s+[a-z]{2,4}\s+\d{4}
          | \d{8}
        )\b",
    )
    .expect("valid regex")
});

/// The start of an exported date whose year wrapped onto the next line: "Mon Jun 22".
pub static PARTIAL_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:mon|tue|wed|thu|fri|sat|sun)\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s+\d{1,2}(?-u:\b)")
        .expect("valid regex")
});

/// Parses a written date into `YYYY-MM-DD`: "09/05/2011", "Sep 5, 2011", "2011-09-05",
/// "September 5, 2011", "05-Sep-2011". US month/day order for slashed dates. Years outside
/// 1850–2100 are not dates.
pub fn parse(s: &str) -> Option<String> {
    static NUMERIC: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\s*(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})").expect("valid regex")
    });
    static WORDY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^\s*(?:(\d{1,2})[\s\-]+)?([a-z]{3,9})\.?[\s\-]+(\d{1,2})?,?\s*(\d{4})")
            .expect("valid regex")
    });
    let s = s.trim();
    let (y, m, d) = if let Some(c) = NUMERIC.captures(s) {
        let a: u32 = c[1].parse().ok()?;
        let b: u32 = c[2].parse().ok()?;
        let z: u32 = c[3].parse().ok()?;
        if c[1].len() == 4 {
            (a, b, z)
        } else if c[3].len() == 4 {
            (z, a, b)
        } else {
            return None;
        }
    } else if let Some(c) = WORDY.captures(s) {
        let month = MONTHS
            .iter()
            .position(|m| c[2].to_ascii_lowercase().starts_with(m))? as u32
            + 1;
        let day: u32 = c
            .get(1)
            .or(c.get(3))
            .and_then(|d| d.as_str().parse().ok())?;
        (c[4].parse().ok()?, month, day)
    } else {
        return None;
    };
    if !(1850..=2100).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

/// Parses every format [`DATE`] finds into `YYYY-MM-DD`: [`parse`]'s, and the exported,
/// compact and OCR-squeezed ones.
pub fn parse_any(s: &str) -> Option<String> {
    static WEEKDAY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^(?:mon|tue|wed|thu|fri|sat|sun)\s+([a-z]{3})\s+(\d{1,2})\s+[\d:]+\s+[a-z]{2,4}\s+(\d{4})$")
            .expect("valid regex")
    });
    static COMPACT: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(\d{4})(\d{2})(\d{2})$").expect("valid regex"));
    static MON_DAY_YEAR: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^([a-z]{3})[a-z]*-(\d{1,2})-(\d{4})$").expect("valid regex")
    });
    // OCR'd "Mar 2,2018", "Feb 29,'2020".
    static SQUEEZED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^([a-z]{3})[a-z]*\.?\s+(\d{1,2}),['\s]*(\d{4})$").expect("valid regex")
    });
    if let Some(c) = SQUEEZED.captures(s) {
        return parse(&format!("{} {}, {}", &c[1], &c[2], &c[3]));
    }
    if let Some(c) = WEEKDAY.captures(s) {
        return parse(&format!("{} {}, {}", &c[1], &c[2], &c[3]));
    }
    if let Some(c) = COMPACT.captures(s) {
        return parse(&format!("{}-{}-{}", &c[1], &c[2], &c[3]));
    }
    if let Some(c) = MON_DAY_YEAR.captures(s) {
        return parse(&format!("{} {}, {}", &c[1], &c[2], &c[3]));
    }
    parse(s)
}

/// Dates whose cells wrapped, read line by line: "Dec 26, Jan 22, Viral sinusitis\n2017 2018"
/// is Dec 26, 2017 and Jan 22, 2018 (month and day on the row's first line, the years in the
/// same order at the start of the next).
pub fn wrapped(row_text: &str) -> Vec<String> {
    static MONTH_DAY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+(\d{1,2}),",
        )
        .expect("valid regex")
    });
    static YEARS: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^[\s|.,]*((?:\d{4}[\s|.,]+)*\d{4})\b").expect("valid regex"));
    let mut lines = row_text.lines();
    let (Some(first), Some(second)) = (lines.next(), lines.next()) else {
        return Vec::new();
    };
    let days: Vec<(String, String)> = MONTH_DAY
        .captures_iter(first)
        .map(|c| (c[1].to_string(), c[2].to_string()))
        .collect();
    let Some(years) = YEARS.captures(second) else {
        return Vec::new();
    };
    let years: Vec<&str> = years[1]
        .split(|c: char| !c.is_ascii_digit())
        .filter(|y| y.len() == 4)
        .collect();
    if days.is_empty() || days.len() != years.len() {
        return Vec::new();
    }
    days.iter()
        .zip(years)
        .filter_map(|((month, day), year)| parse(&format!("{month} {day}, {year}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Written date → (found whole by `DATE`, what `parse_any` reads, what `parse` reads).
    const CASES: &[(&str, bool, Option<&str>, Option<&str>)] = &[
        ("09/05/2011", true, Some("2011-09-05"), Some("2011-09-05")),
        ("01/21/2018", true, Some("2018-01-21"), Some("2018-01-21")),
        ("2011-09-05", true, Some("2011-09-05"), Some("2011-09-05")),
        ("Sep 5, 2011", true, Some("2011-09-05"), Some("2011-09-05")),
        ("May 27, 2021", true, Some("2021-05-27"), Some("2021-05-27")),
        (
            "September 16, 1979",
            true,
            Some("1979-09-16"),
            Some("1979-09-16"),
        ),
        ("05-Sep-2011", true, Some("2011-09-05"), Some("2011-09-05")),
        ("Jun-15-2017", true, Some("2017-06-15"), None),
        ("20120806", true, Some("2012-08-06"), None),
        (
            "Mon Jun 22 00:00:00 EDT 2015",
            true,
            Some("2015-06-22"),
            None,
        ),
        ("Mar 2,2018", true, Some("2018-03-02"), Some("2018-03-02")),
        ("Feb 29,'2020", true, Some("2020-02-29"), None),
        ("13/45/2011", true, None, None),
        ("1/2/1776", true, None, None),
        ("no date", false, None, None),
    ];

    #[test]
    fn formats() {
        for &(s, whole, any, strict) in CASES {
            assert_eq!(
                DATE.find(s).map(|m| m.as_str() == s),
                whole.then_some(true),
                "DATE finds {s:?} whole"
            );
            assert_eq!(parse_any(s).as_deref(), any, "parse_any({s:?})");
            assert_eq!(parse(s).as_deref(), strict, "parse({s:?})");
        }
    }

    #[test]
    fn partial_and_wrapped_dates() {
        assert!(PARTIAL_DATE.is_match("Take 1 tablet Mon Jun 22"));
        assert_eq!(
            wrapped("Dec 26, Jan 22, Viral sinusitis\n2017 2018\n"),
            ["2017-12-26", "2018-01-22"]
        );
        assert!(wrapped("Dec 26, Viral sinusitis\n2017 2018\n").is_empty());
    }
}

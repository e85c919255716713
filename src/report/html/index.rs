//! The index page of `batch --report`: every input with its status, pages and counts,
//! linked to its report.

use std::fmt::Write;

use super::{CSS, esc};

/// One input of a batch, for the index page.
#[derive(Debug, Clone)]
pub struct IndexRow {
    /// The input path.
    pub input: String,
    /// written | failed | skipped.
    pub status: &'static str,
    /// Why it failed or was skipped.
    pub reason: Option<String>,
    /// Pages read.
    pub pages: Option<usize>,
    /// Allergies, medications, conditions written.
    pub counts: Option<(usize, usize, usize)>,
    /// A link to its report, relative to the index.
    pub report: Option<String>,
}

/// The index of a batch's reports: every input with its status, pages and counts, linked
/// to its report.
pub fn index(rows: &[IndexRow]) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>chart2fhir batch reports</title>\n<style>{CSS}</style>\n</head>\n<body>\n\
         <header><h1>Batch reports</h1>\n"
    );
    let count = |s: &str| rows.iter().filter(|r| r.status == s).count();
    let _ = writeln!(
        out,
        "<p id=\"counts\">{} inputs: {} written, {} failed, {} skipped (already done).</p>\n</header>\n<main>",
        rows.len(),
        count("written"),
        count("failed"),
        count("skipped")
    );
    out.push_str(
        "<table>\n<thead><tr><th scope=\"col\">Input</th><th scope=\"col\">Status</th>\
         <th scope=\"col\">Pages</th><th scope=\"col\">Allergies</th>\
         <th scope=\"col\">Medications</th><th scope=\"col\">Conditions</th>\
         <th scope=\"col\">Why</th></tr></thead>\n<tbody>\n",
    );
    for r in rows {
        let input = match &r.report {
            Some(href) => format!("<a href=\"{}\">{}</a>", esc(href), esc(&r.input)),
            None => esc(&r.input),
        };
        let num = |n: Option<usize>| n.map_or(String::new(), |n| n.to_string());
        let (a, m, c) = match r.counts {
            Some((a, m, c)) => (Some(a), Some(m), Some(c)),
            None => (None, None, None),
        };
        let _ = writeln!(
            out,
            "<tr class=\"{0}\"><td>{input}</td><td><span class=\"label\">{0}</span></td>\
             <td>{1}</td><td>{2}</td><td>{3}</td><td>{4}</td><td>{5}</td></tr>",
            r.status,
            num(r.pages),
            num(a),
            num(m),
            num(c),
            esc(r.reason.as_deref().unwrap_or(""))
        );
    }
    out.push_str("</tbody>\n</table>\n</main>\n</body>\n</html>\n");
    out
}

//! `chart2fhir report`: one self-contained HTML page a person opens from disk to spot-check a
//! document before it is imported — the patient and the document as the bundle states them,
//! every finding in a table, and every page with each finding's words marked where they stand.
//!
//! Pages read by OCR also show the page image with the boxes of the words the scanner saw.
//! The file holds document text by design (it is the spot-check view) but nothing else: no
//! network, no external scripts or fonts; CSS and the small keyboard script are inline.
//!
//! Findings are read only through [`Extraction`], [`Finding`] and [`Mention`] and the FHIR
//! status helpers, so the report says what the bundle says.

use std::fmt::Write;

use base64::Engine;

use crate::consolidate::Finding;
use crate::extraction::Extraction;
use crate::fhir::{collapse_ws, emitted, status};
use crate::ingest::{Document, Page, PageOrigin};
use crate::mention::{Mention, Role};

mod index;
pub use index::{IndexRow, index};

/// What to put in the report.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    /// The bundle also writes negated and possible conditions.
    pub include_unasserted: bool,
    /// The bundle is written even when the headers name different patients.
    pub allow_multiple_patients: bool,
}

/// Escapes text for HTML element content and attribute values.
pub use crate::fhir::escape_html as esc;

fn kind(role: Role) -> &'static str {
    match role {
        Role::Allergy | Role::NoKnownAllergy => "allergy",
        Role::Medication => "medication",
        Role::Condition => "condition",
    }
}

fn origin(o: PageOrigin) -> &'static str {
    match o {
        PageOrigin::TextLayer => "text layer",
        PageOrigin::TextRecord => "text record",
        PageOrigin::Ocr => "OCR of the page image",
    }
}

/// The id of mention `m` of finding `f` (both 0-based), as the marks and links use it.
fn mention_id(f: usize, m: usize) -> String {
    format!("f{f}m{m}")
}

/// One line saying what a finding is, for tooltips and the keyboard panel.
fn describe(f: &Finding, m: &Mention, written: bool) -> String {
    let what = f
        .codings
        .first()
        .map(|c| c.display.clone())
        .unwrap_or_else(|| collapse_ws(&f.text));
    let mut s = format!(
        "{}: {} — {}{}; this mention {}",
        kind(f.role),
        what,
        status::label(f),
        if written { "" } else { " (not written)" },
        m.decision.assertion.as_str()
    );
    if let Some((header, _)) = &m.section {
        let _ = write!(s, ", section '{}'", collapse_ws(header));
    }
    s
}

/// The report of one document: `doc` as read, `x` what was found in it.
pub fn render(doc: &Document, x: &Extraction, options: &ReportOptions) -> String {
    let mut out = String::with_capacity(
        64 * 1024 + doc.pages.iter().map(|p| p.text.len() * 2).sum::<usize>(),
    );
    let title = format!("chart2fhir report: {}", x.document.file_name);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"chart2fhir {}\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n\
         <title>{}</title>\n<style>{}</style>\n</head>\n<body>\n",
        env!("CARGO_PKG_VERSION"),
        esc(&title),
        CSS
    );
    header(&mut out, doc, x, options);
    out.push_str("<main>\n");
    findings_table(&mut out, x, options);
    pages(&mut out, doc, x, options);
    out.push_str("</main>\n");
    out.push_str(
        "<aside id=\"tip\" role=\"status\" aria-live=\"polite\">Move to a marked finding \
         (Tab, or n / p) to see what it is.</aside>\n",
    );
    let _ = writeln!(out, "<script>{JS}</script>\n</body>\n</html>");
    out
}

fn header(out: &mut String, doc: &Document, x: &Extraction, options: &ReportOptions) {
    let _ = write!(
        out,
        "<header>\n<h1>Spot-check report: <span class=\"file\">{}</span></h1>\n",
        esc(&x.document.file_name)
    );
    out.push_str("<dl class=\"facts\">\n");
    let p = &x.patient.patient;
    let patient = if p.is_empty() {
        "not named in the document (the bundle holds a tagged placeholder)".to_string()
    } else {
        let mut parts = vec![p.name.clone().unwrap_or_else(|| "(no name)".into())];
        if let Some(d) = &p.birth_date {
            parts.push(format!("born {d}"));
        }
        if let Some(g) = p.gender {
            parts.push(g.as_str().to_string());
        }
        if let Some(m) = &p.mrn {
            parts.push(format!("MRN {m}"));
        }
        parts.join(", ")
    };
    let _ = writeln!(
        out,
        "<dt>Patient</dt><dd id=\"patient\">{}</dd>",
        esc(&patient)
    );
    let mut origins: Vec<String> = Vec::new();
    for o in [
        PageOrigin::TextLayer,
        PageOrigin::TextRecord,
        PageOrigin::Ocr,
    ] {
        let n = doc.pages.iter().filter(|p| p.origin == o).count();
        if n > 0 {
            origins.push(format!("{n} {}", origin(o)));
        }
    }
    let _ = writeln!(
        out,
        "<dt>Document</dt><dd>{} page(s) ({}), {} bytes, {}</dd>",
        x.page_count,
        esc(&origins.join(", ")),
        x.document.size,
        x.document.content_type
    );
    let _ = writeln!(
        out,
        "<dt>SHA-256</dt><dd><code>{}</code></dd>",
        x.document.sha256_hex()
    );
    let mut counts = [("allergy", 0usize), ("medication", 0), ("condition", 0)];
    let mut left_out = 0;
    for f in &x.findings {
        if !emitted(f, options.include_unasserted) {
            left_out += 1;
            continue;
        }
        if f.role == Role::NoKnownAllergy {
            continue;
        }
        if let Some(c) = counts.iter_mut().find(|(k, _)| *k == kind(f.role)) {
            c.1 += 1;
        }
    }
    let _ = writeln!(
        out,
        "<dt>Findings</dt><dd id=\"counts\">{} allergies, {} medications, {} conditions written; \
         {} read but not written (family history, negated or possible)</dd>",
        counts[0].1, counts[1].1, counts[2].1, left_out
    );
    out.push_str("</dl>\n");
    let mut warnings: Vec<String> = Vec::new();
    if let Some(c) = &x.patient.conflict {
        warnings.push(if options.allow_multiple_patients {
            format!("The headers name different patients: {c}. The bundle is written anyway (--allow-multiple-patients).")
        } else {
            format!(
                "Refused: {c}; the packet may mix two people's records, so extract writes no \
                 bundle for it (unless --allow-multiple-patients)."
            )
        });
    }
    for (i, f) in x.findings.iter().enumerate() {
        if let Some(c) = &f.conflict {
            warnings.push(format!(
                "Conflict ({} <a href=\"#finding-{i}\">{}</a>): {}",
                kind(f.role),
                esc(&collapse_ws(&f.text)),
                esc(c)
            ));
        }
    }
    if !warnings.is_empty() {
        out.push_str(
            "<section class=\"warnings\" aria-labelledby=\"warnings-h\">\n\
             <h2 id=\"warnings-h\">Warnings</h2>\n<ul>\n",
        );
        for w in &warnings {
            // Conflict lines carry their own link markup; the refusal is escaped text.
            let _ = writeln!(
                out,
                "<li>{}</li>",
                if w.starts_with("Conflict") {
                    w.clone()
                } else {
                    esc(w)
                }
            );
        }
        out.push_str("</ul>\n</section>\n");
    }
    out.push_str(
        "<p class=\"keys\">Keys: <kbd>n</kbd> next finding on the pages, <kbd>p</kbd> previous, \
         <kbd>Tab</kbd> moves through them too. Colours mark the assertion, and a label says it \
         for everything that is not asserted (<span class=\"legend a-present\">present</span> \
         <span class=\"legend a-negated\">negated</span> \
         <span class=\"legend a-historical\">historical</span> \
         <span class=\"legend a-family\">family</span> \
         <span class=\"legend a-possible\">possible</span> \
         <span class=\"legend a-hypothetical\">hypothetical</span>).</p>\n</header>\n",
    );
}

fn findings_table(out: &mut String, x: &Extraction, options: &ReportOptions) {
    out.push_str("<section id=\"findings\" aria-labelledby=\"findings-h\">\n<h2 id=\"findings-h\">Findings</h2>\n");
    if x.findings.is_empty() {
        out.push_str("<p>No allergies, medications or conditions found.</p>\n</section>\n");
        return;
    }
    out.push_str(
        "<table>\n<thead><tr><th scope=\"col\">#</th><th scope=\"col\">Kind</th>\
         <th scope=\"col\">What</th><th scope=\"col\">Code</th><th scope=\"col\">Status</th>\
         <th scope=\"col\">Why</th><th scope=\"col\">Dosage / reaction</th>\
         <th scope=\"col\">Evidence</th></tr></thead>\n<tbody>\n",
    );
    for (i, f) in x.findings.iter().enumerate() {
        let written = emitted(f, options.include_unasserted);
        let what = f
            .codings
            .first()
            .map(|c| c.display.clone())
            .unwrap_or_else(|| collapse_ws(&f.text));
        let codes: Vec<String> = f
            .codings
            .iter()
            .map(|c| format!("{} {}", c.system.label(), c.code))
            .collect();
        let mut why: Vec<String> = [f.decided_by.clone(), f.status_rule.clone()]
            .into_iter()
            .flatten()
            .collect();
        if let Some((header, _)) = f.mentions.first().and_then(|m| m.section.as_ref()) {
            why.push(format!("section '{}'", collapse_ws(header)));
        }
        let detail: Vec<String> = match f.role {
            Role::Medication => f.sigs.iter().map(|s| s.text.clone()).collect(),
            Role::Allergy => f
                .reactions
                .iter()
                .map(|r| match &r.severity {
                    Some(s) => format!("{} ({s})", collapse_ws(&r.text)),
                    None => collapse_ws(&r.text),
                })
                .collect(),
            _ => Vec::new(),
        };
        let _ = write!(
            out,
            "<tr id=\"finding-{i}\" class=\"{}\" data-assertion=\"{}\"><td>{}</td><td>{}</td><td>{}<div class=\"as-written\">as written: {}</div></td><td>{}</td>\
             <td><span class=\"status\">{}</span>{}{}</td><td>{}</td><td>{}</td><td>",
            if written { "written" } else { "unwritten" },
            f.assertion.as_str(),
            i + 1,
            kind(f.role),
            esc(&what),
            esc(&collapse_ws(&f.text)),
            esc(&codes.join(", ")),
            status::label(f),
            if f.assertion.as_str() == "present" {
                String::new()
            } else {
                format!(
                    " <span class=\"label a-{0}\">{0}</span>",
                    f.assertion.as_str()
                )
            },
            if written {
                ""
            } else {
                " <span class=\"label\">not written</span>"
            },
            esc(&why.join("; ")),
            esc(&detail.join("; ")),
        );
        for (j, m) in f.mentions.iter().enumerate() {
            let _ = write!(
                out,
                "<a href=\"#{}\" class=\"ev-link\">p.&nbsp;{}</a> ",
                mention_id(i, j),
                m.page
            );
        }
        out.push_str("</td></tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

/// A mention placed on its page: its id, the finding it belongs to, its span in bytes.
struct Placed<'a> {
    id: String,
    finding: usize,
    mention: &'a Mention,
    tip: String,
}

fn pages(out: &mut String, doc: &Document, x: &Extraction, options: &ReportOptions) {
    out.push_str(
        "<section id=\"pages\" aria-labelledby=\"pages-h\">\n<h2 id=\"pages-h\">Pages</h2>\n",
    );
    let mut by_page: std::collections::BTreeMap<u32, Vec<Placed<'_>>> = Default::default();
    for (i, f) in x.findings.iter().enumerate() {
        let written = emitted(f, options.include_unasserted);
        for (j, m) in f.mentions.iter().enumerate() {
            by_page.entry(m.page).or_default().push(Placed {
                id: mention_id(i, j),
                finding: i,
                mention: m,
                tip: describe(f, m, written),
            });
        }
    }
    for page in &doc.pages {
        let placed = by_page.remove(&page.number).unwrap_or_default();
        page_section(out, page, &placed);
    }
    out.push_str("</section>\n");
}

fn page_section(out: &mut String, page: &Page, placed: &[Placed<'_>]) {
    let n = page.number;
    let _ = write!(
        out,
        "<section class=\"page\" id=\"page-{n}\" data-page=\"{n}\" aria-labelledby=\"page-{n}-h\">\n\
         <h3 id=\"page-{n}-h\">Page {n} <small>({}{})</small></h3>\n",
        origin(page.origin),
        match placed.len() {
            0 => String::new(),
            1 => ", 1 mention".into(),
            k => format!(", {k} mentions"),
        }
    );
    if let Some(img) = &page.image {
        scan(out, n, img, placed);
    }
    // The line break after <pre> is dropped by HTML parsers: one is added so that a page
    // that starts with an empty line keeps it.
    out.push_str("<pre class=\"text\">\n");
    marked_text(out, &page.text, placed);
    out.push_str("</pre>\n</section>\n");
}

/// The page image with a box over every word of every mention.
fn scan(out: &mut String, n: u32, img: &crate::ingest::PageImage, placed: &[Placed<'_>]) {
    let (w, h) = (img.width.max(1) as f64, img.height.max(1) as f64);
    let _ = write!(
        out,
        "<figure class=\"scan\"><div class=\"scan-box\" style=\"aspect-ratio: {} / {}\">\
         <img src=\"data:image/png;base64,{}\" alt=\"Page {n} as scanned\" width=\"{}\" height=\"{}\">",
        img.width,
        img.height,
        base64::engine::general_purpose::STANDARD.encode(&img.png),
        img.width,
        img.height
    );
    for p in placed {
        let m = p.mention;
        for word in img
            .words
            .iter()
            .filter(|wd| wd.start < m.end && m.start < wd.end)
        {
            let _ = write!(
                out,
                "<span class=\"box a-{}\" data-mention=\"{}\" data-finding=\"{}\" data-word=\"{}\" \
                 style=\"left:{:.3}%;top:{:.3}%;width:{:.3}%;height:{:.3}%\" title=\"{}\"></span>",
                m.decision.assertion.as_str(),
                p.id,
                p.finding,
                esc(&word.text),
                word.left as f64 * 100.0 / w,
                word.top as f64 * 100.0 / h,
                word.width as f64 * 100.0 / w,
                word.height as f64 * 100.0 / h,
                esc(&p.tip)
            );
        }
    }
    let _ = writeln!(
        out,
        "</div><figcaption>Page {n} as the scanner saw it; boxes: the words of each finding \
         as OCR read them.</figcaption></figure>"
    );
}

/// The page text with every mention inside a `<mark>`. Marks nest when one span holds
/// another; a span that crosses another is split into parts (same `data-mention`).
fn marked_text(out: &mut String, text: &str, placed: &[Placed<'_>]) {
    // Valid spans only (a span that is not on char boundaries of this text is skipped).
    let mut spans: Vec<&Placed<'_>> = placed
        .iter()
        .filter(|p| {
            let m = p.mention;
            m.start < m.end
                && m.end <= text.len()
                && text.is_char_boundary(m.start)
                && text.is_char_boundary(m.end)
        })
        .collect();
    // Outer first: earlier start, then longer.
    spans.sort_by_key(|p| (p.mention.start, std::cmp::Reverse(p.mention.end)));
    let mut bounds: Vec<usize> = spans
        .iter()
        .flat_map(|p| [p.mention.start, p.mention.end])
        .chain([0, text.len()])
        .collect();
    bounds.sort_unstable();
    bounds.dedup();
    let mut stack: Vec<usize> = Vec::new(); // indices into spans, open marks
    let mut opened = vec![false; spans.len()];
    for w in bounds.windows(2) {
        let (a, b) = (w[0], w[1]);
        // Which spans cover [a, b), outer first.
        let active: Vec<usize> = (0..spans.len())
            .filter(|&k| spans[k].mention.start <= a && b <= spans[k].mention.end)
            .collect();
        // Keep the longest prefix of the stack that is still active and in order.
        let keep = stack
            .iter()
            .zip(&active)
            .take_while(|(s, a)| s == a)
            .count();
        while stack.len() > keep {
            stack.pop();
            out.push_str("</mark>");
        }
        for &k in &active[keep..] {
            let p = spans[k];
            let m = p.mention;
            let first = !opened[k];
            opened[k] = true;
            let _ = write!(
                out,
                "<mark class=\"ev a-{}{}\"{} data-mention=\"{}\" data-finding=\"{}\" \
                 data-page=\"{}\" data-start=\"{}\" data-end=\"{}\" data-assertion=\"{}\" \
                 tabindex=\"0\" title=\"{}\">",
                m.decision.assertion.as_str(),
                if first { "" } else { " part" },
                if first {
                    format!(" id=\"{}\"", p.id)
                } else {
                    String::new()
                },
                p.id,
                p.finding,
                m.page,
                m.char_start,
                m.char_end,
                m.decision.assertion.as_str(),
                esc(&p.tip)
            );
            stack.push(k);
        }
        out.push_str(&esc(&text[a..b]));
    }
    for _ in stack {
        out.push_str("</mark>");
    }
}

const CSS: &str = r#"
:root { --fg: #1b1b1b; --bg: #fff; --muted: #555; --line: #ccc;
  --present: #ffe08a; --negated: #c9d7ff; --historical: #d9d9d9; --family: #f6c8f0;
  --possible: #c8f0d2; --hypothetical: #c8f0d2; --other: #fff3c4; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
  background: var(--bg); margin: 0 auto; max-width: 1100px; padding: 1rem 1.25rem 5rem; }
h1 { font-size: 1.4rem; margin: .2rem 0 .8rem; } h1 .file { font-family: ui-monospace, monospace; }
h2 { font-size: 1.2rem; border-bottom: 2px solid var(--line); padding-bottom: .2rem; margin-top: 1.6rem; }
h3 { font-size: 1.05rem; margin: 0 0 .4rem; } h3 small { color: var(--muted); font-weight: normal; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.warnings { border: 2px solid #b00020; border-radius: 4px; padding: .2rem 1rem; margin-top: 1rem; background: #fff5f5; }
.warnings h2 { border: 0; margin: .4rem 0; color: #b00020; }
.keys { color: var(--muted); font-size: .9rem; }
kbd { border: 1px solid var(--line); border-radius: 3px; padding: 0 .3rem; font-family: ui-monospace, monospace; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; padding: .3rem .4rem; }
thead th { position: sticky; top: 0; background: #f4f4f4; }
tr.unwritten td { color: var(--muted); }
.as-written { color: var(--muted); font-size: .8rem; }
.label { display: inline-block; border: 1px solid currentColor; border-radius: 3px; padding: 0 .25rem;
  font-size: .75rem; text-transform: uppercase; letter-spacing: .03em; }
.page { border: 1px solid var(--line); border-radius: 4px; padding: .6rem .8rem; margin: 1rem 0; }
pre.text { white-space: pre-wrap; overflow-wrap: anywhere; tab-size: 4; margin: 0;
  font: 13px/1.5 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
mark.ev { background: var(--other); color: inherit; border-bottom: 2px solid #8a6d00; border-radius: 2px; cursor: help; }
mark.ev:focus { outline: 3px solid #0b57d0; outline-offset: 1px; }
mark.ev.current { outline: 3px solid #0b57d0; }
.a-present { background: var(--present); } .a-negated { background: var(--negated); }
.a-historical { background: var(--historical); } .a-family { background: var(--family); }
.a-possible { background: var(--possible); } .a-hypothetical { background: var(--hypothetical); }
mark.ev.a-negated { border-bottom-style: dashed; } mark.ev.a-historical { border-bottom-style: dotted; }
mark.ev:not(.a-present):not(.part)::after { content: " " attr(data-assertion); font: 600 10px/1 system-ui, sans-serif;
  text-transform: uppercase; vertical-align: super; color: #333; }
.legend { padding: 0 .3rem; border-radius: 2px; }
figure.scan { margin: 0 0 .6rem; } figcaption { color: var(--muted); font-size: .8rem; }
.scan-box { position: relative; width: 100%; max-width: 850px; border: 1px solid var(--line); }
.scan-box img { display: block; width: 100%; height: 100%; image-rendering: auto; }
.scan-box .box { position: absolute; mix-blend-mode: multiply; opacity: .75; outline: 2px solid #8a6d00; }
.scan-box .box.a-negated { outline-style: dashed; }
.scan-box .box.current { outline: 3px solid #0b57d0; opacity: .9; }
#tip { position: fixed; left: 0; right: 0; bottom: 0; background: #1b1b1b; color: #fff; padding: .5rem 1rem;
  font-size: .9rem; }
a { color: #0b57d0; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  #tip, .keys { display: none; }
  thead th { position: static; }
  .page { break-before: page; border: 0; padding: 0; }
  mark.ev { border-bottom: 2px solid #000; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .scan-box { max-width: 100%; } .box { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  a { color: inherit; text-decoration: none; }
}
"#;

const JS: &str = r#"
(function () {
  var marks = Array.prototype.slice.call(document.querySelectorAll('mark.ev[id]'));
  var tip = document.getElementById('tip');
  var current = -1;
  function show(el) {
    var id = el.getAttribute('data-mention');
    document.querySelectorAll('.current').forEach(function (c) { c.classList.remove('current'); });
    document.querySelectorAll('[data-mention="' + id + '"]').forEach(function (c) { c.classList.add('current'); });
    tip.textContent = 'Page ' + el.getAttribute('data-page') + ': ' + (el.getAttribute('title') || '');
  }
  document.addEventListener('focusin', function (e) {
    if (e.target.matches && e.target.matches('mark.ev')) {
      current = marks.indexOf(document.getElementById(e.target.getAttribute('data-mention')));
      show(e.target);
    }
  });
  document.addEventListener('mouseover', function (e) {
    var t = e.target.closest && e.target.closest('mark.ev, .box');
    if (t) { show(t.matches('.box') ? document.getElementById(t.getAttribute('data-mention')) || t : t); }
  });
  document.addEventListener('keydown', function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey || !marks.length) { return; }
    var tag = (e.target.tagName || '').toLowerCase();
    if (tag === 'input' || tag === 'textarea') { return; }
    var step = e.key === 'n' || e.key === 'j' ? 1 : e.key === 'p' || e.key === 'k' ? -1 : 0;
    if (!step) { return; }
    e.preventDefault();
    current = (current + step + marks.length) % marks.length;
    marks[current].focus();
    marks[current].scrollIntoView({ block: 'center' });
  });
})();
"#;

#[cfg(test)]
mod tests;

//! `--summary`: a few lines a person reads to see what was found, on which page, with what
//! status, and what decided it.

use std::fmt::Write;

use crate::extraction::Extraction;
use crate::fhir::{collapse_ws, emitted};
use crate::mention::Role;

/// Renders the summary table. Document words are shown: the person asked for them.
pub fn render(x: &Extraction, include_unasserted: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} page(s), {} finding(s)",
        x.document.file_name,
        x.page_count,
        x.findings
            .iter()
            .filter(|f| emitted(f, include_unasserted))
            .count()
    );
    let p = &x.patient.patient;
    if !p.is_empty() {
        let _ = writeln!(
            out,
            "patient: {}{}{}{}",
            p.name.as_deref().unwrap_or("(no name)"),
            p.birth_date
                .as_deref()
                .map(|d| format!(", born {d}"))
                .unwrap_or_default(),
            p.gender
                .map(|g| format!(", {}", g.as_str()))
                .unwrap_or_default(),
            p.mrn
                .as_deref()
                .map(|m| format!(", MRN {m}"))
                .unwrap_or_default(),
        );
    } else {
        let _ = writeln!(out, "patient: not named in the document (placeholder)");
    }
    if let Some(c) = &x.patient.conflict {
        let _ = writeln!(out, "WARNING: {c}");
    }
    let rows: Vec<[String; 6]> = x
        .findings
        .iter()
        .map(|f| {
            let kind = match f.role {
                Role::Allergy => "allergy",
                Role::NoKnownAllergy => "allergy",
                Role::Medication => "medication",
                Role::Condition => "condition",
            };
            let code = f
                .codings
                .first()
                .map(|c| format!("{} {}", c.system.label(), c.code))
                .unwrap_or_else(|| "-".into());
            let mut pages: Vec<u32> = f.mentions.iter().map(|m| m.page).collect();
            pages.dedup();
            let pages = crate::ingest::pdf::page_list(&pages).replacen("page ", "", 1);
            let status = crate::fhir::status::label(f);
            let mut why = [f.decided_by.clone(), f.status_rule.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("; ");
            if let Some(c) = &f.conflict {
                why = format!(
                    "CONFLICT: {c}{}",
                    if why.is_empty() {
                        String::new()
                    } else {
                        format!("; {why}")
                    }
                );
            }
            if !emitted(f, include_unasserted) {
                why = format!(
                    "not written{}",
                    if why.is_empty() {
                        String::new()
                    } else {
                        format!("; {why}")
                    }
                );
            }
            [
                kind.to_string(),
                collapse_ws(&f.text),
                code,
                pages,
                status.to_string(),
                why,
            ]
        })
        .collect();
    if rows.is_empty() {
        let _ = writeln!(out, "no allergies, medications or conditions found");
        return out;
    }
    let header = ["kind", "what", "code", "page", "status", "why"];
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count().min(48));
        }
    }
    let line = |cells: [&str; 6]| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            let c: String = c.chars().take(48).collect();
            if i == 5 {
                s.push_str(&c);
            } else {
                let _ = write!(s, "{:<w$}  ", c, w = widths[i]);
            }
        }
        s.trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(header));
    for r in &rows {
        let _ = writeln!(out, "{}", line([&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]]));
    }
    out
}

//! The vocabulary of dictated notes, one wording per row: every row of
//! `tests/data/vocabulary-cases.tsv` names a wording as clinicians write it ("DKA", "GI bleed",
//! "senna", "vomit"), the kind of finding it is, and a code the finding must carry. The wording
//! is put where it is usually written — a problem list item, a medication list item, the
//! reaction of an allergy — and read as a born-digital page and as a fax text record.
//!
//! The finding must cover the whole wording (a shorter term inside it, such as "COPD" in "COPD
//! exacerbation", does not pass) and carry the code in its codings. A code written `!CODE`
//! must not be on any finding of the kind (a generic concept that would swallow the wording).

use chart2fhir::ingest::{self, PageOrigin};
use chart2fhir::{Extractor, fhir};
use serde_json::Value;

static EXTRACTOR: std::sync::LazyLock<Extractor> = std::sync::LazyLock::new(Extractor::default);

fn norm(s: &str) -> String {
    s.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The text a wording of this kind is usually written in.
fn text_for(kind: &str, wording: &str) -> String {
    match kind {
        "condition" => format!("Problem list:\n1. {wording}\n"),
        "medication" => format!("Current medications:\n{wording}\n"),
        "reaction" => format!("Allergies:\ncodeine ({wording})\n"),
        other => panic!("unknown kind {other:?}"),
    }
}

/// (words as written, codes) of every finding of the kind.
fn findings(text: &str, kind: &str, origin: PageOrigin) -> Vec<(String, Vec<String>)> {
    let mut doc = ingest::read_bytes(
        std::path::Path::new("note.txt"),
        text.as_bytes(),
        None,
        &Default::default(),
    )
    .expect("a text record");
    for page in &mut doc.pages {
        page.origin = origin;
    }
    let extraction = EXTRACTOR.extract(&doc);
    let options = fhir::BundleOptions {
        include_unasserted: true,
        ..Default::default()
    };
    let bundle = serde_json::to_value(fhir::bundle(&extraction, &options)).unwrap();
    let concept = |c: &Value| {
        (
            c["text"].as_str().unwrap_or_default().to_string(),
            c["coding"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x["code"].as_str().map(str::to_string))
                .collect::<Vec<_>>(),
        )
    };
    let mut out = Vec::new();
    for entry in bundle["entry"].as_array().unwrap() {
        let r = &entry["resource"];
        match (r["resourceType"].as_str().unwrap(), kind) {
            ("Condition", "condition") => out.push(concept(&r["code"])),
            ("MedicationStatement", "medication") => {
                out.push(concept(&r["medicationCodeableConcept"]))
            }
            ("AllergyIntolerance", "reaction") => {
                for reaction in r["reaction"].as_array().into_iter().flatten() {
                    for m in reaction["manifestation"].as_array().into_iter().flatten() {
                        out.push(concept(m));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

#[test]
fn vocabulary_cases() {
    let table = std::fs::read_to_string("tests/data/vocabulary-cases.tsv").unwrap();
    let mut failures = Vec::new();
    let mut wordings = std::collections::BTreeSet::new();
    for (n, line) in table.lines().enumerate().skip(1) {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert!(
            cols.len() >= 4,
            "line {}: kind, wording, system, code",
            n + 1
        );
        let (kind, wording, code) = (cols[0], cols[1], cols[3]);
        wordings.insert((kind, wording));
        let text = text_for(kind, wording);
        for (origin, label) in [
            (PageOrigin::TextLayer, "text layer"),
            (PageOrigin::TextRecord, "fax text"),
        ] {
            let got = findings(&text, kind, origin);
            let problem = if let Some(absent) = code.strip_prefix('!') {
                got.iter()
                    .find(|(_, codes)| codes.iter().any(|c| c == absent))
                    .map(|(t, _)| format!("{t:?} carries {absent}"))
            } else {
                let whole = got
                    .iter()
                    .filter(|(t, _)| {
                        format!(" {} ", norm(t)).contains(&format!(" {} ", norm(wording)))
                    })
                    .collect::<Vec<_>>();
                if whole.is_empty() {
                    Some(format!(
                        "no {kind} covers the wording (found {:?})",
                        got.iter().map(|(t, _)| t).collect::<Vec<_>>()
                    ))
                } else if !whole
                    .iter()
                    .any(|(_, codes)| codes.iter().any(|c| c == code))
                {
                    Some(format!(
                        "coded {:?}, not {code}",
                        whole.iter().map(|(_, c)| c).collect::<Vec<_>>()
                    ))
                } else {
                    None
                }
            };
            if let Some(p) = problem {
                failures.push(format!("line {} ({label}): {kind} {wording:?}: {p}", n + 1));
            }
        }
    }
    assert!(wordings.len() >= 100, "{} wordings", wordings.len());
    assert!(
        failures.is_empty(),
        "{} vocabulary readings fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

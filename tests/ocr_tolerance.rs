//! OCR tolerance, end to end: garbled words still find their finding; close everyday words do
//! not become drugs or diagnoses; and every evidence span, mapped back, is the page's own text.

use chart2fhir::Extractor;
use chart2fhir::ingest::{Document, Page, PageOrigin, SourceInfo};
use chart2fhir::mention::Role;
use chart2fhir::normalize::KeyText;
use chart2fhir::normalize::fold::term_key;
use proptest::prelude::*;

fn ocr_doc(text: &str) -> Document {
    Document {
        source: SourceInfo {
            path: "fax.txt".into(),
            file_name: "fax.txt".into(),
            size: text.len() as u64,
            sha1: [0; 20],
            sha256: [0; 32],
            content_type: "text/plain",
            modified: None,
        },
        pages: vec![Page {
            number: 1,
            text: text.to_string(),
            origin: PageOrigin::Ocr,
            rows: Vec::new(),
            image: None,
        }],
    }
}

fn found(x: &Extractor, section: &str, line: &str) -> Vec<(Role, String)> {
    let doc = ocr_doc(&format!("{section}\n{line}\n"));
    x.extract(&doc)
        .findings
        .iter()
        .map(|f| {
            (
                f.role,
                f.codings
                    .first()
                    .map(|c| c.display.to_lowercase())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn garbled_words_still_match() {
    let x = Extractor::default();
    let cases: &[(&str, &str, Role, &str)] = &[
        (
            "ALLERGIES",
            "Penici11in - hives",
            Role::Allergy,
            "penicillin",
        ),
        (
            "ALLERGIES",
            "AMPICI.LLIN SODIUM (Allergy)",
            Role::Allergy,
            "ampicillin",
        ),
        ("ALLERGIES", "Sulfa - rash", Role::Allergy, "sulfonamide"),
        (
            "MEDICATIONS",
            "ceffRIAXone 10 GM intravenously",
            Role::Medication,
            "ceftriaxone",
        ),
        (
            "MEDICATIONS",
            "Lisinoprll 10 mg tab1et daily",
            Role::Medication,
            "lisinopril",
        ),
        (
            "MEDICATIONS",
            "rnetformin 500 mg BID",
            Role::Medication,
            "metformin",
        ),
        (
            "PROBLEMS",
            "Essential hypertensiom",
            Role::Condition,
            "essential hypertension",
        ),
        (
            "PROBLEMS",
            "Diabetes rnellitus type 2",
            Role::Condition,
            "diabetes",
        ),
        (
            "PROBLEMS",
            "Hypothyroldism",
            Role::Condition,
            "hypothyroidism",
        ),
        ("PR0BLEMS", "Asthrna", Role::Condition, "asthma"),
    ];
    for (section, line, role, display) in cases {
        let got = found(&x, section, line);
        assert!(
            got.iter().any(|(r, d)| r == role && d.contains(display)),
            "{line:?} under {section}: want a {role:?} like {display:?}, got {got:?}"
        );
    }
}

fn codes(x: &Extractor, section: &str, line: &str) -> Vec<String> {
    let doc = ocr_doc(&format!("{section}\n{line}\n"));
    x.extract(&doc)
        .findings
        .iter()
        .flat_map(|f| f.codings.iter().map(|c| c.code.clone()))
        .collect()
}

/// Long terms damaged beyond what word correction mends are still found whole (the clinical
/// drug, not its ingredient fragments); a number is never read as another number.
#[test]
fn long_terms_match_approximately_but_numbers_stay() {
    let x = Extractor::default();
    let cases: &[(&str, &str, &str)] = &[
        (
            "MEDICATIONS",
            "1/23/2015 emtncitatine 200 MG / tenofovir disdproxil (umarate 300 MG Oral Tablet",
            "476556",
        ),
        (
            "MEDICATIONS",
            "insulin isophane, human 70 UNT/ML /insufin, regular, human 30 UNT/ML Injectable Suspension (Humulin)",
            "106892",
        ),
        // A ";" OCR read inside a name does not cut it.
        (
            "MEDICATIONS",
            "12/23/2015 | 1 ML Epoetin;Alfa 4000 UNT/ML Injection [Epogen] RxNorm",
            "205923",
        ),
        (
            "PROBLEMS",
            "06/25/2007 Microalbuminuria due 10 type 2 diabetes mellitus",
            "E11.29",
        ),
    ];
    for (section, line, code) in cases {
        let got = codes(&x, section, line);
        assert!(
            got.iter().any(|c| c == code),
            "{line:?} under {section}: want code {code}, got {got:?}"
        );
    }
    // A mark glued to the first letter ("Jinsulin" for "|insulin"): still the whole product,
    // one finding, not its ingredient pieces.
    let doc = ocr_doc(
        "MEDICATIONS\n11/30/2017 | 12/6/2018 Jinsulin isophane, human 70 UNT/ML / insulin, regular, human 30 UNT/ML Injectable Suspension [Humulin] |\n",
    );
    let findings = x.extract(&doc).findings;
    assert_eq!(
        findings.len(),
        1,
        "{:?}",
        findings.iter().map(|f| &f.text).collect::<Vec<_>>()
    );
    assert!(findings[0].codings.iter().any(|c| c.code == "106892"));
    // "26 MG" is one character from the 25 MG tablet's name, but a strength is not an OCR slip
    // to mend: the drug is coded at ingredient level only.
    let got = codes(&x, "MEDICATIONS", "Hydrochlorothiazide 26 MG Oral Tablet");
    assert!(got.iter().any(|c| c == "5487"), "{got:?}");
    assert!(!got.iter().any(|c| c == "310798"), "{got:?}");
}

#[test]
fn close_everyday_words_stay_words() {
    let x = Extractor::default();
    let lines = [
        "Patient was seen in the clinic today for a follow up visit",
        "Document reviewed and signed by the attending physician",
        "Address: 12 Maple Street, Springfield",
        "Return in two weeks, call if worse",
        "Reason for visit: routine check",
    ];
    for section in ["MEDICATIONS", "PROBLEMS", "ALLERGIES"] {
        for line in lines {
            let got = found(&x, section, line);
            assert!(got.is_empty(), "{line:?} under {section} became {got:?}");
        }
    }
}

proptest! {
    /// Every word of the key maps back to page text whose own key is that word.
    #[test]
    fn key_spans_map_back_to_the_page(text in "[A-Za-z0-9 éüﬁ'’.,;:|\\t\\n/()-]{0,80}") {
        let key = KeyText::new(&text);
        let k = key.key.as_bytes();
        let mut i = 0;
        while i < k.len() {
            if k[i] == b' ' || k[i] == b'\n' {
                i += 1;
                continue;
            }
            let end = (i..k.len()).find(|&j| k[j] == b' ' || k[j] == b'\n').unwrap_or(k.len());
            let (s, e) = key.source_span(i, end);
            prop_assert!(text.is_char_boundary(s) && text.is_char_boundary(e));
            prop_assert_eq!(term_key(&text[s..e]), key.key[i..end].to_string());
            i = end;
        }
    }

    /// Evidence of every finding on an OCR'd page is the page's own characters, even where the
    /// words were corrected before matching.
    #[test]
    fn evidence_is_the_pages_own_text(
        noise in proptest::collection::vec(0usize..6, 3),
        section in prop::sample::select(vec!["ALLERGIES", "MEDICATIONS", "PROBLEMS"]),
    ) {
        let words = ["Penici11in", "hypertensiom", "rnetformin 500 mg", "Asthrna", "ampici.llin", "lisinopril"];
        let line: Vec<&str> = noise.iter().map(|&i| words[i]).collect();
        let text = format!("{section}\n{}\n", line.join(", "));
        let x = Extractor::default().extract(&ocr_doc(&text));
        for f in &x.findings {
            for m in &f.mentions {
                prop_assert_eq!(&text[m.start..m.end], m.text.as_str());
                let chars: String = text.chars().skip(m.char_start).take(m.char_end - m.char_start).collect();
                prop_assert_eq!(chars, m.text.clone());
            }
        }
    }
}

//! Packets written the way documents chart2fhir was not tuned on write them (issue #12): one
//! patient under several spellings, one drug at two strengths and under its brand, an allergy
//! list beside "no known allergies". Each test is one whole packet through the library, the
//! bundle read as an EHR would import it.

use chart2fhir::ingest::{self, PageOrigin};
use chart2fhir::{Extraction, Extractor, fhir};
use serde_json::Value;

static EXTRACTOR: std::sync::LazyLock<Extractor> = std::sync::LazyLock::new(Extractor::default);

/// The extraction of a packet given as pages (a fax text record, pages split by form feeds).
fn extract(pages: &[&str]) -> Extraction {
    let text = pages.join("\u{c}");
    let mut doc = ingest::read_bytes(
        std::path::Path::new("packet.txt"),
        text.as_bytes(),
        None,
        &Default::default(),
    )
    .expect("a text record");
    for page in &mut doc.pages {
        page.origin = PageOrigin::TextLayer;
    }
    EXTRACTOR.extract(&doc)
}

fn bundle(extraction: &Extraction) -> Value {
    serde_json::to_value(fhir::bundle(extraction, &Default::default())).unwrap()
}

fn resources(bundle: &Value, kind: &str) -> Vec<Value> {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"].clone())
        .filter(|r| r["resourceType"] == kind)
        .collect()
}

fn codes(concept: &Value) -> Vec<String> {
    concept["coding"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

// ---------------------------------------------------------------- item 2: per clinical drug

#[test]
fn one_medication_statement_per_clinical_drug() {
    let e = extract(&[
        "Patient: Test Person\nDOB: 01/02/1960\n\nCURRENT MEDICATIONS:\n\
         everolimus 0.5 mg tablet twice daily\n\
         Tylenol Extra Strength 500 MG TAB 1 tab PO every 6 hours as needed\n\
         lisinopril 10 mg tablet daily\n",
        "Patient: Test Person\nDOB: 01/02/1960\n\nMEDICATIONS:\n\
         Zortress 0.5 mg twice daily\n\
         everolimus 0.75 mg twice daily\n\
         lisinopril daily\n",
    ]);
    let b = bundle(&e);
    let meds = resources(&b, "MedicationStatement");
    let by_code = |code: &str| {
        meds.iter()
            .filter(|m| codes(&m["medicationCodeableConcept"]).contains(&code.to_string()))
            .count()
    };
    // everolimus 0.5 MG Oral Tablet (SCD 977434): the generic and its brand Zortress are one.
    assert_eq!(by_code("977434"), 1, "{meds:#?}");
    // everolimus 0.75 MG Oral Tablet (SCD 977438): another strength, another statement.
    assert_eq!(by_code("977438"), 1);
    // Acetaminophen 500 MG Oral Tablet (SCD 198440) first, not just acetaminophen (161).
    let tylenol = meds
        .iter()
        .find(|m| codes(&m["medicationCodeableConcept"]).contains(&"161".to_string()))
        .expect("Tylenol");
    assert_eq!(codes(&tylenol["medicationCodeableConcept"])[0], "198440");
    // "lisinopril" without a strength joins the one lisinopril of the packet.
    assert_eq!(by_code("29046"), 1);
    assert_eq!(meds.len(), 4, "{meds:#?}");
}

#[test]
fn an_ingredient_named_in_general_joins_the_one_drug_it_begins() {
    let e = extract(&[
        "Patient: Test Person\nDOB: 01/02/1960\n\nHOSPITAL COURSE: Potassium chloride 20 mEq was \
         given daily. Insulin glargine 20 units at bedtime was started.\n\nPLAN: Recheck \
         potassium. Continue insulin.\n",
    ]);
    let b = bundle(&e);
    let meds = resources(&b, "MedicationStatement");
    assert_eq!(meds.len(), 2, "{meds:#?}");
}

// ---------------------------------------------------------------- item 3: NKA vs an allergy

#[test]
fn an_allergy_anywhere_in_the_packet_wins_over_no_known_allergies() {
    let e = extract(&[
        "Patient: Test Person\nDOB: 01/02/1960\n\nALLERGIES: NKDA\n\nPROBLEMS:\nHypertension\n",
        "Patient: Test Person\nDOB: 01/02/1960\n\nALLERGIES:\nAspirin - hives\n",
    ]);
    let b = bundle(&e);
    let allergies = resources(&b, "AllergyIntolerance");
    assert_eq!(
        allergies.len(),
        1,
        "no NKA resource beside an allergy: {allergies:#?}"
    );
    let aspirin = &allergies[0];
    assert!(codes(&aspirin["code"]).contains(&"1191".to_string()));
    // The NKA statement is kept as evidence of the conflict, on the allergy.
    let text = aspirin.to_string();
    assert!(text.contains("conflict"), "{aspirin:#}");
    assert!(text.contains("no known allergies"), "{aspirin:#}");
}

#[test]
fn unknown_allergy_information_is_not_no_known_allergies() {
    for wording in [
        "No Known Allergy Information",
        "Allergies not recorded",
        "Unable to obtain",
    ] {
        let e = extract(&[&format!(
            "Patient: Test Person\nDOB: 01/02/1960\n\nALLERGIES: {wording}\n\nPROBLEMS:\nHypertension\n"
        )]);
        let b = bundle(&e);
        assert!(
            resources(&b, "AllergyIntolerance").is_empty(),
            "{wording}: {:#?}",
            resources(&b, "AllergyIntolerance")
        );
    }
    // "None known" under Allergies is NKA.
    let e = extract(&["Patient: Test Person\nDOB: 01/02/1960\n\nALLERGIES: None known.\n"]);
    let b = bundle(&e);
    let allergies = resources(&b, "AllergyIntolerance");
    assert_eq!(allergies.len(), 1);
    assert_eq!(codes(&allergies[0]["code"])[0], "716186003");
}

// ---------------------------------------------------------------- item 1: one patient, many spellings

#[test]
fn one_patient_under_several_spellings_is_one_patient() {
    let e = extract(&[
        "RECORDS RELEASE\nRe: Maria Elena Lopez DOB 05/01/1970\n\nEnclosed are the records.\n",
        "LABORATORY RESULTS\nPatient: Maria Lopez\nDOB: 05/01/1970\n",
        "PROGRESS NOTE\nPatient Name: LOPEZ, MARIA E\nDate of Birth: 05/01/1970\n",
        "DISCHARGE SUMMARY\nPatient: Maria E. Lopez-Garcia\nDOB: 05/01/1970\n",
        "CONSULT\nPatient: MARIA LOPEZ JR\nDOB: 05/01/1970\n",
    ]);
    assert!(e.patient.conflict.is_none(), "{:?}", e.patient.conflict);
}

#[test]
fn one_patient_with_other_facts_on_the_name_line_is_one_patient() {
    // A cover's "Re:" with a subject before the name; a name followed by MRN and DOB on its
    // line; initials and a family name.
    let e = extract(&[
        "Re:\tMedical records: Maria E Lopez, DOB 05/01/1970\n",
        "Name: LOPEZ, MARIA E DOB: 05/01/1970 Age: 55 Sex: F MRN:\n",
        "Patient: Maria Lopez MRN 882164 DOB 5/1/1970\n",
        "Pt: M. Lopez DOB 05/01/1970 MRN 882164\n",
        "Re: Medical records; Maria E Lopez, DOB 05/01/1970\n",
    ]);
    assert!(e.patient.conflict.is_none(), "{:?}", e.patient.conflict);
}

#[test]
fn two_people_are_refused_naming_both_pages() {
    // Same birth date, but neither the family nor the given name can be the same person's.
    let e = extract(&[
        "Patient: Maria Lopez\nDOB: 05/01/1970\n",
        "Patient: Maria Lopez\nDOB: 05/01/1970\n",
        "Patient: James Smith\nDOB: 05/01/1970\n",
    ]);
    let msg = e.patient.conflict.expect("two people");
    assert!(msg.contains("1") && msg.contains("3"), "{msg}");
    assert!(!msg.contains("Maria") && !msg.contains("Smith"));
    // Different birth dates: two people, whatever the names.
    let e = extract(&[
        "Patient: Maria Lopez\nDOB: 05/01/1970\n",
        "Patient: Maria Lopez\nDOB: 11/23/1948\n",
    ]);
    assert!(e.patient.conflict.is_some());
}

// ---------------------------------------------------------------- allergy classes

#[test]
fn a_class_allergy_and_its_member_drugs_are_one_allergy() {
    let e = extract(&[
        "Patient: Test Person\nDOB: 01/02/1960\n\nALLERGIES: Statins (myalgias)\n",
        "Patient: Test Person\nDOB: 01/02/1960\n\nALLERGIES:\nsulfa - rash\n\nHPI: She could not \
         tolerate atorvastatin or rosuvastatin (myalgias).\n",
    ]);
    let b = bundle(&e);
    let allergies = resources(&b, "AllergyIntolerance");
    assert_eq!(allergies.len(), 2, "statins and sulfa: {allergies:#?}");
    let statins = allergies
        .iter()
        .find(|a| codes(&a["code"]).contains(&"96302009".to_string()))
        .expect("the statin class");
    let codes = codes(&statins["code"]);
    assert!(
        codes.contains(&"83367".to_string()),
        "atorvastatin joins: {codes:?}"
    );
}

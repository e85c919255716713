use super::*;

fn rules() -> SectionRules {
    SectionRules::from_tables(
        "header\tsection\tform\nAllergies\tallergies\t\nMedications\tmedications\t\nFamily History\tfamily_history\t\nPatient\tdemographics\t\nDiagnoses\tproblems\talone\nRecords Release\tadministrative\t\n",
        "section\tfinds\timplies\treads\textent\twhy\nadministrative\t-\t-\tnone\tsection\t\nallergies\tallergy\t-\tlist\tsection\t\nmedications\tmedication\t-\tlist\tsection\t\nfamily_history\t-\tfamily\tprose\tsection\t\ndemographics\t-\t-\tnone\tline\t\nother\t-\t-\tprose\tsection\t\nproblems\tcondition\t-\tlist\tsection\t\n",
    )
    .unwrap()
}

fn section_of(
    map: &SectionMap,
    r: &SectionRules,
    page: usize,
    text: &str,
    needle: &str,
) -> Option<String> {
    let off = text.find(needle).unwrap();
    map.at(page, off).map(|s| r.kinds[s.kind].name.clone())
}

#[test]
fn headers_open_sections_that_carry_over_pages() {
    let r = rules();
    let pages = [
        "Intro\nALLERGIES\nPenicillin\tHives\nMEDICATIONS:\nAspirin 81 mg\n",
        "Metformin\nFamily History\nMother: diabetes\n",
    ];
    let furniture = vec![vec![], vec![]];
    let map = SectionMap::build(&r, &pages, &[1, 2], &furniture, &[true, true], None);
    assert_eq!(section_of(&map, &r, 0, pages[0], "Intro"), None);
    assert_eq!(
        section_of(&map, &r, 0, pages[0], "Penicillin").as_deref(),
        Some("allergies")
    );
    assert_eq!(
        section_of(&map, &r, 0, pages[0], "Aspirin").as_deref(),
        Some("medications")
    );
    assert_eq!(
        section_of(&map, &r, 1, pages[1], "Metformin").as_deref(),
        Some("medications")
    );
    assert_eq!(
        section_of(&map, &r, 1, pages[1], "Mother").as_deref(),
        Some("family_history")
    );
}

#[test]
fn inline_header_and_new_document() {
    let r = rules();
    let pages = ["Allergies: penicillin (hives)\nPatient: Jane Doe\nAspirin\n"];
    let map = SectionMap::build(&r, &pages, &[1], &[vec![]], &[true], None);
    assert_eq!(
        section_of(&map, &r, 0, pages[0], "penicillin").as_deref(),
        Some("allergies")
    );
    // A patient header is one line and begins a new document: the allergies end there.
    assert_eq!(
        section_of(&map, &r, 0, pages[0], "Jane").as_deref(),
        Some("demographics")
    );
    assert_eq!(section_of(&map, &r, 0, pages[0], "Aspirin"), None);
}

#[test]
fn a_release_form_goes_on_after_the_patient_line() {
    let r = rules();
    let pages = ["Records Release\nPatient: Jane Doe\n[ ] Substance use disorder records\n"];
    let map = SectionMap::build(&r, &pages, &[1], &[vec![]], &[true], None);
    assert_eq!(
        section_of(&map, &r, 0, pages[0], "Substance").as_deref(),
        Some("administrative")
    );
}

#[test]
fn a_letter_body_is_prose() {
    let r = rules();
    let pages = ["ALLERGIES: Penicillin\nDear Dr. Menon,\nHe takes warfarin.\n"];
    let map = SectionMap::build(&r, &pages, &[1], &[vec![]], &[true], None);
    assert_eq!(
        section_of(&map, &r, 0, pages[0], "warfarin").as_deref(),
        Some("other")
    );
}

#[test]
fn headers_alone_or_inline_and_unknown_headers_by_their_words() {
    let r = SectionRules::builtin();
    let kind = |text: &str, needle: &str| {
        let map = SectionMap::build(&r, &[text], &[1], &[vec![]], &[true], None);
        section_of(&map, &r, 0, text, needle)
    };
    // "Diagnoses" counts alone on its line, not as a row label.
    assert_eq!(
        kind("DIAGNOSES:\nHypertension\n", "Hypertension").as_deref(),
        Some("diagnoses_discharge")
    );
    assert_eq!(
        kind("FAMILY HISTORY\nDiagnosis: diabetes\n", "diabetes").as_deref(),
        Some("family_history")
    );
    // Unknown headers named by their words; parentheses dropped.
    assert_eq!(
        kind(
            "ACTIVE MEDICATION ORDERS (20):\nDonepezil 10 mg\n",
            "Donepezil"
        )
        .as_deref(),
        Some("medications")
    );
    assert_eq!(
        kind("ALLERGIES (UPDATED THIS VISIT): penicillin\n", "penicillin").as_deref(),
        Some("allergies")
    );
    assert_eq!(
        kind("MEDS (per wife's list): aspirin\n", "aspirin").as_deref(),
        Some("medications")
    );
    // A row label beside another cell is not a header.
    assert_eq!(
        kind("PROBLEMS\nMedication review:\tnone\nasthma\n", "asthma").as_deref(),
        Some("problems")
    );
}

#[test]
fn header_words_inside_prose_are_not_headers() {
    let r = rules();
    let pages = ["ALLERGIES\nshe stopped her medications last week\nPenicillin\n"];
    let map = SectionMap::build(&r, &pages, &[1], &[vec![]], &[true], None);
    assert_eq!(
        section_of(&map, &r, 0, pages[0], "Penicillin").as_deref(),
        Some("allergies")
    );
}

#[test]
fn ocr_reads_small_capital_headers_in_lower_case() {
    let r = rules();
    let pages = ["MEDICATIONS\nAspirin\nallergies\nPenicillin\n"];
    let fix = Corrector::default();
    let ocr = SectionMap::build(&r, &pages, &[1], &[vec![]], &[false], Some(&fix));
    assert_eq!(
        section_of(&ocr, &r, 0, pages[0], "Penicillin").as_deref(),
        Some("allergies")
    );
    // A text layer writes its headers as headers: a lower-case line stays content.
    let exact = SectionMap::build(&r, &pages, &[1], &[vec![]], &[true], None);
    assert_eq!(
        section_of(&exact, &r, 0, pages[0], "Penicillin").as_deref(),
        Some("medications")
    );
}

#[test]
fn counter_beside_header_is_allowed() {
    let r = rules();
    let pages = ["Page 2 of 5\tMEDICATIONS\nAspirin\n"];
    let map = SectionMap::build(&r, &pages, &[1], &[vec![]], &[true], None);
    assert_eq!(
        section_of(&map, &r, 0, pages[0], "Aspirin").as_deref(),
        Some("medications")
    );
}

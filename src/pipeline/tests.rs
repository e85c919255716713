//! Tests over the whole pipeline, and the helpers the stages' tests share: the findings read
//! from a short text record.

use super::Extractor;
use crate::mention::Role;

/// The names of the findings of one role read from a text record.
pub(crate) fn names(role: Role, text: &str) -> Vec<String> {
    let doc = crate::ingest::read_bytes(
        std::path::Path::new("t.txt"),
        text.as_bytes(),
        None,
        &Default::default(),
    )
    .unwrap();
    let x = Extractor::default().extract(&doc);
    x.findings
        .iter()
        .filter(|f| f.role == role)
        .map(|f| crate::fhir::collapse_ws(&f.text))
        .collect()
}

pub(crate) fn meds(text: &str) -> Vec<String> {
    names(Role::Medication, text)
}

pub(crate) fn conditions(text: &str) -> Vec<String> {
    names(Role::Condition, text)
}

#[test]
fn a_substance_class_name_is_the_ingredient_the_document_names() {
    let text = "MEDICATIONS\n1 ML Epoetin Alfa 4000 UNT/ML Injection [Epogen]\nEpoetin\n";
    assert_eq!(
        meds(text),
        ["1 ML Epoetin Alfa 4000 UNT/ML Injection [Epogen]"]
    );
}

//! The dictionary matcher: any text, matched exactly and approximately (OCR correction
//! everywhere), against the shipped dictionaries. Nothing may panic, and every match must
//! point inside the text on character boundaries.
#![no_main]

use std::sync::LazyLock;

use chart2fhir::dictionary::Dictionary;
use chart2fhir::dictionary::matcher::{find_terms, find_terms_approximately};
use chart2fhir::normalize::KeyText;
use libfuzzer_sys::fuzz_target;

static DICTIONARY: LazyLock<Dictionary> = LazyLock::new(Dictionary::default);

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let key = KeyText::new(text);
    for m in find_terms(&DICTIONARY, text, &key)
        .into_iter()
        .chain(find_terms_approximately(&DICTIONARY, text, &key, &|_| true))
    {
        assert!(text.get(m.start..m.end).is_some(), "match off the text");
    }
});

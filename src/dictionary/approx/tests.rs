use super::super::{Dictionary, approx_reference};
use super::*;
use proptest::prelude::*;

/// The shipped terms of 14 bytes or more (the ones matched approximately).
fn long_terms() -> &'static [String] {
    static TERMS: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        use fst::Streamer;
        let d = Dictionary::builtin();
        let mut out = Vec::new();
        let mut keys = d.builtin.keys();
        while let Some(k) = keys.next() {
            if k.len() >= MIN_LEN && k.len() <= 120 {
                out.push(String::from_utf8_lossy(k).into_owned());
            }
        }
        out
    });
    &TERMS
}

/// The cut walk and the plain one on the same window: same answer past `min_end`, and
/// never more states visited.
fn same_as_plain(text: &[u8], min_end: usize) -> Result<(), TestCaseError> {
    let d = Dictionary::builtin();
    let fst = d.builtin.as_fst();
    let (got, visits) = search(fst, d.builtin_depths, text, min_end);
    let (plain, plain_visits) = approx_reference::longest(fst, text);
    let plain = plain
        .filter(|a| a.end > min_end)
        .map(|a| (a.end, a.cost, a.value));
    prop_assert_eq!(
        got.map(|a| (a.end, a.cost, a.value)),
        plain,
        "{:?} past {}",
        String::from_utf8_lossy(text),
        min_end
    );
    prop_assert!(visits <= plain_visits, "{visits} > {plain_visits}");
    Ok(())
}

#[test]
fn same_answers_as_the_plain_walk_on_known_misreads() {
    let windows: &[&str] = &[
        "emtncitatine 200 mg tenofovir disdproxil umarate 300 mg oral tablet",
        "insulin isophane human 70 unt ml insufin regular human 30 unt ml injectable suspension humulin",
        "1 ml epoetin;alfa 4000 unt ml injection epogen rxnorm",
        "microalbuminuria due 10 type 2 diabetes mellitus",
        "hydrochlorothiazide 26 mg oral tablet",
        "alzheimers dementia",
        "recurrent urinary tract infections 3",
        "patient was seen in the clinic today for a follow up visit",
        "10 mg po bid through 03 21 2024 then 2",
        "short",
        "",
    ];
    for w in windows {
        for min_end in [0, 5, 14, 30] {
            same_as_plain(w.as_bytes(), min_end).unwrap();
        }
    }
}

/// A window too short for any term of [`MIN_LEN`] bytes within budget is not walked.
#[test]
fn a_window_too_short_for_a_long_term_is_not_walked() {
    let d = Dictionary::builtin();
    for w in ["penicillin", "sulfa drugs", "amoxicillin"] {
        assert_eq!(
            search(d.builtin.as_fst(), d.builtin_depths, w.as_bytes(), 0),
            (None, 0),
            "{w}"
        );
    }
    // Nor one that ends where the exact match already does.
    let w = b"lisinopril 10 mg oral tablet";
    assert_eq!(
        search(d.builtin.as_fst(), d.builtin_depths, w, w.len()),
        (None, 0)
    );
}

/// What OCR does to a term: confusions, dropped and doubled letters, space slips, a mark.
fn damage() -> impl Strategy<Value = (usize, Vec<(usize, u8)>, String, usize)> {
    (
        any::<prop::sample::Index>(),
        prop::collection::vec((any::<usize>(), 0u8..6), 0..5),
        "[a-z0-9 ;]{0,24}",
        0usize..40,
    )
        .prop_map(|(i, edits, tail, min_end)| (i.index(long_terms().len()), edits, tail, min_end))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    /// Damaged shipped terms, with text after them: the cut walk answers as the plain one.
    #[test]
    fn cut_walk_answers_as_the_plain_walk((i, edits, tail, min_end) in damage()) {
        let mut text = long_terms()[i].as_bytes().to_vec();
        for (at, what) in edits {
            if text.is_empty() {
                break;
            }
            let at = at % text.len();
            match what {
                0 => {
                    let c = text[at];
                    if let Some(&o) = CONFUSED_WITH[c as usize].first() {
                        text[at] = o;
                    }
                }
                1 => {
                    text.remove(at);
                }
                2 => text.insert(at, text[at]),
                3 => text.insert(at, b' '),
                4 => text[at] = b'x',
                _ => text.insert(at, SOFTENED),
            }
        }
        text.push(b' ');
        text.extend_from_slice(tail.as_bytes());
        same_as_plain(&text, min_end)?;
    }
}

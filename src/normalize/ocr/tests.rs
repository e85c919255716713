use super::*;

fn corrector(words: &[&str]) -> Corrector {
    let mut sorted: Vec<&str> = words.to_vec();
    sorted.sort();
    let mut b = fst::SetBuilder::memory();
    for w in sorted {
        b.insert(w).unwrap();
    }
    let bytes: &'static [u8] = b.into_inner().unwrap().leak();
    Corrector {
        words: fst::Set::new(bytes).unwrap(),
        depths: None,
        cache: Default::default(),
    }
}

#[test]
fn misreads_become_words_and_words_stay() {
    let c = corrector(&[
        "penicillin",
        "hypertension",
        "ampicillin",
        "sodium",
        "hives",
        "diabetes",
        "mellitus",
        "ceftriaxone",
        "asthma",
        "lisinopril",
        "tablet",
        "oral",
        "rash",
    ]);
    let cases: &[(&str, Option<&str>)] = &[
        ("penici11in", Some("penicillin")),
        ("pcnicillin", Some("penicillin")),
        ("hypertensiom", Some("hypertension")),
        ("hypertenslon", Some("hypertension")),
        ("ampici11in", Some("ampicillin")),
        ("ampichlin", Some("ampicillin")),
        ("ceffriaxone", Some("ceftriaxone")),
        ("diabctes", Some("diabetes")),
        ("lisinoprll", Some("lisinopril")),
        ("tab1et", Some("tablet")),
        ("penicillin", None),
        ("5", None),
        ("10mg", None),
        ("asthrna", Some("asthma")),
        ("rash", None),
        ("ras", None),
        ("document", None),
        ("patient", None),
        // A digit OCR does not mistake for a letter: a misread number, not a word.
        ("asthm4", None),
        ("hypertensi0n", Some("hypertension")),
    ];
    for (token, want) in cases {
        let got = c.fix(token).map(|(w, _)| w);
        assert_eq!(got.as_deref(), *want, "{token}");
    }
}

#[test]
fn a_word_the_document_writes_is_the_likelier_reading() {
    let c = corrector(&["humulin", "humatin", "insulin"]);
    let misread = KeyText::new("Humalin");
    // Alone, "Humalin" is nearest Humatin (l/t is an OCR confusion) ...
    assert_eq!(c.correct(&misread).0.key, "humatin");
    // ... but a document that writes "Humulin" elsewhere means Humulin.
    let document = DocumentWords::new(&c, ["insulin humulin"]);
    let (fixed, _) = c.correct_where(&misread, &document, |_| true);
    assert_eq!(fixed.key, "humulin");
    // Whatever its first letter.
    let c = corrector(&["albuterol", "ibuterol"]);
    let misread = KeyText::new("ilbuterol");
    assert_eq!(c.correct(&misread).0.key, "ibuterol");
    let document = DocumentWords::new(&c, ["albuterol"]);
    assert_eq!(
        c.correct_where(&misread, &document, |_| true).0.key,
        "albuterol"
    );
    // The strength after it stays its own token.
    let row = KeyText::new("ilbuterol 5 MG/ML");
    assert_eq!(
        c.correct_where(&row, &document, |_| true).0.key,
        "albuterol 5 mg ml"
    );
}

/// The word walk as first written (a full distance row per state, allocated per
/// visit): the oracle for [`WordWalk`].
#[allow(clippy::too_many_arguments)]
fn plain_walk(
    fst: &Fst<&[u8]>,
    node: Node<'_>,
    row: &[u16],
    t: &[u8],
    budget: u16,
    prefix: &mut Vec<u8>,
    found: &mut Vec<(u16, Vec<u8>)>,
    visits: &mut usize,
) {
    *visits += 1;
    if *visits > MAX_VISITS {
        return;
    }
    let n = t.len();
    if node.is_final() && row[n] <= budget {
        found.push((row[n], prefix.clone()));
    }
    if row.iter().min().is_some_and(|&m| m > budget) {
        return;
    }
    let mut next = vec![0u16; n + 1];
    for tr in node.transitions() {
        let b = tr.inp;
        if prefix.is_empty() && n > 0 && b != t[0] && !confusable(t[0], b) {
            continue;
        }
        next[0] = row[0] + EDIT;
        for j in 1..=n {
            let sub = if t[j - 1] == b {
                EQUAL
            } else if confusable(t[j - 1], b) {
                CONFUSABLE
            } else {
                EDIT
            };
            next[j] = (row[j] + EDIT)
                .min(next[j - 1] + EDIT)
                .min(row[j - 1] + sub);
        }
        prefix.push(b);
        plain_walk(
            fst,
            fst.node(tr.addr),
            &next,
            t,
            budget,
            prefix,
            found,
            visits,
        );
        prefix.pop();
    }
}

fn vocabulary() -> &'static [String] {
    static WORDS: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        use fst::Streamer;
        let c = Corrector::default();
        let mut out = Vec::new();
        let mut s = c.words.stream();
        while let Some(w) = s.next() {
            if w.len() >= 4 {
                out.push(String::from_utf8_lossy(w).into_owned());
            }
        }
        out
    });
    &WORDS
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
    /// Misread vocabulary words: the banded walk finds what the plain walk finds, in the
    /// same order, within every budget.
    #[test]
    fn banded_walk_finds_what_the_plain_walk_finds(
        i in proptest::prelude::any::<proptest::sample::Index>(),
        edits in proptest::collection::vec((proptest::prelude::any::<usize>(), 0u8..4), 0..4),
        budget in 0u16..5,
    ) {
        let c = Corrector::default();
        let words = vocabulary();
        let mut t = words[i.index(words.len())].as_bytes().to_vec();
        for (at, what) in edits {
            let at = at % t.len().max(1);
            match what {
                0 if !t.is_empty() => {
                    let x = t[at];
                    if let Some(o) = (b'0'..=b'z').find(|&o| o != x && confusable(x, o)) {
                        t[at] = o;
                    }
                }
                1 if t.len() > 1 => {
                    t.remove(at);
                }
                2 => t.insert(at, b'e'),
                _ if !t.is_empty() => t[at] = b'q',
                _ => {}
            }
        }
        let fst = c.words.as_fst();
        let row: Vec<u16> = (0..=t.len() as u16).map(|j| j * EDIT).collect();
        let (mut prefix, mut found, mut visits) = (Vec::new(), Vec::new(), 0);
        plain_walk(fst, fst.root(), &row, &t, budget, &mut prefix, &mut found, &mut visits);
        // (A walk cut short by the visit limit may answer otherwise: the limit is reached
        // later when dead branches are not walked.)
        proptest::prop_assume!(visits <= MAX_VISITS);
        proptest::prop_assert_eq!(WordWalk::run(fst, c.depths, &t, budget), found);
    }

    /// The banded distance is the full one wherever it is within the limit.
    #[test]
    fn banded_distance_is_the_distance(a in "[a-z01 ]{0,14}", b in "[a-z01 ]{0,14}", limit in 0u16..8) {
        let full = distance(a.as_bytes(), b.as_bytes());
        proptest::prop_assert_eq!(
            distance_within(a.as_bytes(), b.as_bytes(), limit),
            (full <= limit).then_some(full)
        );
    }
}

#[test]
fn corrected_key_maps_back_to_the_misread_words() {
    let c = corrector(&["penicillin", "allergy"]);
    let text = "Penici11in allergy";
    let key = KeyText::new(text);
    let (fixed, changes) = c.correct(&key);
    assert_eq!(fixed.key, "penicillin allergy");
    assert_eq!(changes.len(), 1);
    let (s, e) = fixed.source_span(changes[0].start, changes[0].end);
    assert_eq!(&text[s..e], "Penici11in");

    let c = corrector(&["ampicillin", "sodium"]);
    let text = "AMPICI.LLIN SODIUM";
    let (fixed, _) = c.correct(&KeyText::new(text));
    assert_eq!(fixed.key, "ampicillin sodium");
    let text = "Sézary syndrome";
    let (fixed, _) = c.correct(&KeyText::new(text));
    assert_eq!(
        fixed.key, "sezary syndrome",
        "other words pass through unchanged"
    );
}

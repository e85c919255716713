//! ConText assertions, one behaviour per short sentence (medspaCy style): every case in
//! `tests/data/context-cases.tsv` asserts the exact assertion of the exact target.

use chart2fhir::context::{Assertion, ContextRules};
use chart2fhir::normalize::KeyText;
use chart2fhir::normalize::fold::term_key;

fn parse(s: &str) -> Assertion {
    match s {
        "present" => Assertion::Present,
        "negated" => Assertion::Negated,
        "possible" => Assertion::Possible,
        "hypothetical" => Assertion::Hypothetical,
        "historical" => Assertion::Historical,
        "family" => Assertion::Family,
        other => panic!("unknown expected value {other:?}"),
    }
}

/// Runs every row of a case table; returns (failures, total).
fn run_table(path: &str) -> (Vec<String>, usize) {
    let rules = ContextRules::builtin();
    let table = std::fs::read_to_string(path).unwrap();
    let mut failures = Vec::new();
    let mut total = 0;
    for (n, line) in table.lines().enumerate().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (sentence, target, expected) = (cols[0], cols[1], parse(cols[2]));
        total += 1;
        let key = KeyText::new(sentence);
        let start = sentence.find(target).expect("target in sentence");
        let ks = key.key_offset(start);
        let tk = term_key(target);
        let ke = ks + tk.len();
        assert_eq!(&key.key[ks..ke], tk, "line {}: target key", n + 1);
        let ctx = rules.scan(sentence, &key);
        let got = rules.assert(&ctx, &key, ks, ke);
        if got.assertion != expected {
            failures.push(format!(
                "line {}: {sentence:?} / {target:?}: got {} ({}), want {} — {}",
                n + 1,
                got.assertion.as_str(),
                got.rule.unwrap_or_default(),
                expected.as_str(),
                cols.get(3).unwrap_or(&"")
            ));
        }
    }
    (failures, total)
}

/// Every case but those the table marks `hard:` (what a rule engine cannot know without more
/// than the sentence) must pass.
#[test]
fn context_cases() {
    let (failures, total) = run_table("tests/data/context-cases.tsv");
    assert!(total >= 150);
    let (hard, plain): (Vec<&String>, Vec<&String>) =
        failures.iter().partition(|f| f.contains("— hard:"));
    assert!(
        plain.is_empty(),
        "{} of {total} cases fail:\n{}",
        plain.len(),
        plain
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The hard ones are tracked: fewer may fail, never more.
    assert!(
        hard.len() <= 6,
        "{} hard cases fail (at most 6 did):\n{}",
        hard.len(),
        hard.iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Precision and recall of one assertion over a labelled table.
fn precision_recall(rows: &[(Assertion, Assertion)], a: Assertion) -> (f64, f64, usize) {
    let tp = rows.iter().filter(|(g, p)| *g == a && *p == a).count();
    let fp = rows.iter().filter(|(g, p)| *g != a && *p == a).count();
    let fn_ = rows.iter().filter(|(g, p)| *g == a && *p != a).count();
    let p = if tp + fp == 0 {
        1.0
    } else {
        tp as f64 / (tp + fp) as f64
    };
    let r = if tp + fn_ == 0 {
        1.0
    } else {
        tp as f64 / (tp + fn_) as f64
    };
    (p, r, tp + fn_)
}

/// Real lines from the dev documents, labelled by hand. Lines whose status lives outside the
/// line (a section header, a table column) are marked `needs-section:` / `needs-table:` and are
/// left to the section and row stages; the rest measure the trigger rules. Run with
/// `--nocapture` to see the numbers.
#[test]
fn dev_sentences_precision_recall() {
    let rules = ContextRules::builtin();
    let table = std::fs::read_to_string("tests/data/assertion-dev-sentences.tsv").unwrap();
    let mut rows = Vec::new();
    let mut misses = Vec::new();
    for line in table.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols[3].starts_with("needs-section") || cols[3].starts_with("needs-table") {
            continue;
        }
        let (sentence, target, expected) = (cols[0], cols[1], parse(cols[2]));
        let key = KeyText::new(sentence);
        let start = sentence.find(target).unwrap();
        let ks = key.key_offset(start);
        let ke = ks + term_key(target).len();
        let ctx = rules.scan(sentence, &key);
        let got = rules.assert(&ctx, &key, ks, ke).assertion;
        if got != expected {
            misses.push(format!(
                "{sentence:?} / {target:?}: got {}, want {}",
                got.as_str(),
                expected.as_str()
            ));
        }
        rows.push((expected, got));
    }
    let accuracy = rows.iter().filter(|(g, p)| g == p).count() as f64 / rows.len() as f64;
    println!(
        "dev sentences: {} scored, accuracy {accuracy:.3}",
        rows.len()
    );
    for a in [
        Assertion::Negated,
        Assertion::Historical,
        Assertion::Family,
        Assertion::Possible,
        Assertion::Hypothetical,
    ] {
        let (p, r, n) = precision_recall(&rows, a);
        println!(
            "  {:<12} precision {p:.3} recall {r:.3} (gold {n})",
            a.as_str()
        );
    }
    for m in &misses {
        println!("  miss: {m}");
    }
    let (np, nr, _) = precision_recall(&rows, Assertion::Negated);
    let (hp, hr, _) = precision_recall(&rows, Assertion::Historical);
    assert!(
        np >= 0.95 && nr >= 0.9,
        "negated precision {np:.3} recall {nr:.3}"
    );
    assert!(
        hp >= 0.9 && hr >= 0.8,
        "historical precision {hp:.3} recall {hr:.3}"
    );
    assert!(accuracy >= 0.95, "accuracy {accuracy:.3}");
}

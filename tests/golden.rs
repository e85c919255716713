//! Golden outputs, checked by a person against the corpus gold (see `fixtures/expected/README.md`):
//! the summary of each fixture and the whole bundle of one packet. A change in what is found,
//! how it is coded or what status it gets shows up here as a diff.
//!
//! After an intended change: `UPDATE_GOLDEN=1 cargo test --test golden`, then read the diff
//! (`git diff fixtures/expected`) as carefully as the first time.

use std::path::Path;
use std::process::Command;

fn check(name: &str, args: &[&str]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_chart2fhir"))
        .current_dir(root)
        .args(args)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = root.join("fixtures/expected").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &out.stdout).unwrap();
        return;
    }
    let want =
        std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{} is missing", path.display()));
    let got = String::from_utf8(out.stdout).unwrap();
    if let Some(diff) = first_difference(&want, &got) {
        panic!(
            "{name} differs from the checked output ({} vs {} lines); {diff}",
            want.lines().count(),
            got.lines().count(),
        );
    }
}

/// Where two texts first differ: the line number, both lines (or the end of one text) and
/// the lines just before, for orientation. `None` when they are equal.
fn first_difference(want: &str, got: &str) -> Option<String> {
    if want == got {
        return None;
    }
    let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    let i = (0..w.len().max(g.len()))
        .find(|&i| w.get(i) != g.get(i))
        .unwrap_or(w.len().min(g.len())); // only the final line break differs
    let show = |l: Option<&&str>| l.map_or("(end of text)".to_string(), |l| format!("{l:?}"));
    let context: String = w[i.saturating_sub(3)..i.min(w.len())]
        .iter()
        .map(|l| format!("\n  same {l:?}"))
        .collect();
    Some(format!(
        "first difference at line {}:{context}\n  want {}\n  got  {}",
        i + 1,
        show(w.get(i)),
        show(g.get(i))
    ))
}

#[test]
fn the_first_difference_is_reported_with_its_line() {
    assert_eq!(first_difference("a\nb\n", "a\nb\n"), None);
    let d = first_difference("a\nb\nc\nd\n", "a\nb\nx\nc\nd\n").unwrap();
    assert!(d.starts_with("first difference at line 3:"), "{d}");
    assert!(d.contains("want \"c\"\n  got  \"x\""), "{d}");
    let shorter = first_difference("a\nb\n", "a\n").unwrap();
    assert!(
        shorter.contains("line 2:") && shorter.contains("got  (end of text)"),
        "{shorter}"
    );
}

#[test]
fn onc_referral_summary() {
    check(
        "onc-referral.summary.txt",
        &["extract", "--summary", "fixtures/onc-referral.pdf"],
    );
}

#[test]
fn synthea_summary_summary() {
    check(
        "synthea-summary.summary.txt",
        &["extract", "--summary", "fixtures/synthea-summary.pdf"],
    );
}

#[test]
fn onc_referral_fax_text_summary() {
    check(
        "onc-referral.fax.summary.txt",
        &["extract", "--summary", "fixtures/onc-referral.fax.txt"],
    );
}

#[test]
fn onc_referral_bundle() {
    check(
        "onc-referral.bundle.json",
        &[
            "extract",
            "fixtures/onc-referral.pdf",
            "--recorded",
            "2024-01-01T00:00:00Z",
        ],
    );
}

#[test]
fn onc_referral_transaction_bundle() {
    check(
        "onc-referral.transaction.json",
        &[
            "extract",
            "fixtures/onc-referral.pdf",
            "--bundle",
            "transaction",
            "--recorded",
            "2024-01-01T00:00:00Z",
        ],
    );
}

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
    if got != want {
        let diff: Vec<String> = want
            .lines()
            .zip(got.lines())
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .take(10)
            .map(|(i, (a, b))| format!("line {}:\n  want {a}\n  got  {b}", i + 1))
            .collect();
        panic!(
            "{name} differs from the checked output ({} vs {} lines):\n{}",
            want.lines().count(),
            got.lines().count(),
            diff.join("\n")
        );
    }
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

//! No message carries patient data (issue #17): the test corpus — the fixtures, the inputs
//! that once crashed chart2fhir, and inputs with a stage made to panic — goes through
//! `extract` and `batch` (both isolation modes), and no stderr line and no manifest line may
//! hold the patient's name, birth date or any 20-character run of the input's text.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use chart2fhir::Extractor;
use chart2fhir::ingest::{self, IngestOptions, OcrMode};

const RUN: usize = 20;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The inputs: the fixtures (good and bad) and the crash regressions, written to `dir`.
fn corpus(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = [
        "onc-referral.fax.txt",
        "onc-referral.pdf",
        "synthea-summary.pdf",
        "encrypted-empty-password.pdf",
        "bad/truncated.pdf",
        "bad/random.bin",
        "bad/encrypted-user-password.pdf",
    ]
    .iter()
    .map(|f| root().join("fixtures").join(f))
    .collect();
    let fax = std::fs::read_to_string(root().join("fixtures/onc-referral.fax.txt")).unwrap();
    let at = fax.find("Allergies\n").unwrap() + "Allergies\n".len();
    let with = |line: &str| format!("{}{line}\n{}", &fax[..at], &fax[at..]);
    let marks: String = std::iter::repeat_n('\u{a0}', 6).collect();
    for (name, text) in [
        ("long-word.txt", with(&"penicilin".repeat(8_000))),
        (
            "line-separator.txt",
            with("Patient: Alice Example\u{2028}DOB: 01/02/1970\u{2029}Sex: Female"),
        ),
        (
            "section-marks.txt",
            with(&format!("_ {marks} MEDICATIONS{marks}: aspirin")),
        ),
        ("nul.txt", with("No\u{0}Known\u{0}Allergy")),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        files.push(path);
    }
    files
}

/// What must never be printed: every 20-character run of each input's text (as read), and
/// the patient's name and birth date as the extraction found them.
fn secrets(files: &[PathBuf]) -> (HashSet<String>, Vec<String>) {
    let options = IngestOptions {
        ocr: OcrMode::Never,
        ..IngestOptions::default()
    };
    let extractor = Extractor::default();
    let mut runs = HashSet::new();
    let mut words = vec!["Alice Example".to_string(), "01/02/1970".to_string()];
    for f in files {
        let Ok(doc) = ingest::read(f, &options) else {
            continue;
        };
        for page in &doc.pages {
            runs.extend(windows(&page.text));
        }
        let x = extractor.extract(&doc);
        words.extend(x.patient.patient.name.clone());
        words.extend(x.patient.patient.birth_date.clone());
    }
    // The text of the files that cannot be read as documents (the raw bytes are all there is).
    for f in files {
        let bytes = std::fs::read(f).unwrap();
        runs.extend(windows(&String::from_utf8_lossy(&bytes)));
    }
    (runs, words)
}

/// Every run of `RUN` characters with at least one letter (runs of spaces or of "=====" are
/// not document text anyone could recognise).
fn windows(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars
        .windows(RUN)
        .filter(|w| w.iter().filter(|c| c.is_alphabetic()).count() >= 6)
        .map(|w| w.iter().collect())
        .collect()
}

fn check(what: &str, output: &str, runs: &HashSet<String>, words: &[String]) {
    for line in output.lines() {
        for w in words {
            assert!(
                !line.contains(w.as_str()),
                "{what}: a line names the patient (line withheld)"
            );
        }
        for run in windows(line) {
            assert!(
                !runs.contains(&run),
                "{what}: a line quotes {RUN} characters of an input (line withheld)"
            );
        }
    }
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chart2fhir"));
    c.env("SOURCE_DATE_EPOCH", "0");
    c
}

fn run_everywhere(panic_in: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    let files = corpus(&inputs);
    let (runs, words) = secrets(&files);
    let tag = panic_in.unwrap_or("none");
    for f in &files {
        let mut c = bin();
        c.args(["extract", "--ocr", "never", "-o"])
            .arg(dir.path().join("x.json"))
            .arg(f);
        if let Some(stage) = panic_in {
            c.env("CHART2FHIR_TEST_PANIC_IN", stage);
        }
        let out = c.output().unwrap();
        assert_ne!(out.status.code(), Some(101), "extract panicked ({tag})");
        let err = String::from_utf8_lossy(&out.stderr);
        if panic_in.is_some() && f.extension().is_some_and(|e| e == "txt") {
            assert!(err.contains("internal error in stage"), "{tag}: {err}");
        }
        check(&format!("extract stderr ({tag})"), &err, &runs, &words);
    }
    for isolation in ["thread", "process"] {
        let out_dir = dir.path().join(format!("out-{isolation}"));
        let mut c = bin();
        c.args([
            "batch",
            "-q",
            "--ocr",
            "never",
            "--isolation",
            isolation,
            "--out",
        ])
        .arg(&out_dir)
        .arg(&inputs)
        .args(&files[..7]);
        if let Some(stage) = panic_in {
            c.env("CHART2FHIR_TEST_PANIC_IN", stage);
        }
        let out = c.output().unwrap();
        assert_ne!(out.status.code(), Some(101), "batch panicked ({tag})");
        let what = format!("batch --isolation {isolation} ({tag})");
        check(&what, &String::from_utf8_lossy(&out.stderr), &runs, &words);
        check(&what, &String::from_utf8_lossy(&out.stdout), &runs, &words);
        let manifest = std::fs::read_to_string(out_dir.join("manifest.ndjson")).unwrap();
        assert_eq!(manifest.lines().count(), files.len(), "{what}");
        if panic_in.is_some() {
            assert!(manifest.contains("\"internal\""), "{what}");
        }
        check(&what, &manifest, &runs, &words);
    }
}

#[test]
fn no_message_carries_patient_data() {
    run_everywhere(None);
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the stage-panic test hook (CHART2FHIR_TEST_PANIC_IN) exists in debug builds only"
)]
fn a_panicking_stage_is_reported_without_its_message() {
    run_everywhere(Some("sections"));
}

//! Runs the real binary on the fixtures, like a user would.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chart2fhir"));
    c.env_remove("SOURCE_DATE_EPOCH");
    c
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

fn extract_json(file: &str, extra: &[&str]) -> Value {
    let path = fixture(file);
    let mut args = vec![
        "extract",
        path.to_str().unwrap(),
        "--recorded",
        "2024-01-01T00:00:00Z",
    ];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert!(
        out.status.success(),
        "extract {file} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

fn resources<'a>(bundle: &'a Value, kind: &str) -> Vec<&'a Value> {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == kind)
        .collect()
}

#[test]
fn pdf_packet_gives_a_bundle_with_each_kind_of_finding() {
    let b = extract_json("onc-referral.pdf", &[]);
    assert_eq!(b["resourceType"], "Bundle");
    assert_eq!(b["type"], "collection");
    let docs = resources(&b, "DocumentReference");
    assert_eq!(docs.len(), 1);
    let att = &docs[0]["content"][0]["attachment"];
    assert_eq!(att["title"], "onc-referral.pdf");
    assert_eq!(att["contentType"], "application/pdf");
    assert_eq!(
        att["size"],
        std::fs::metadata(fixture("onc-referral.pdf"))
            .unwrap()
            .len()
    );
    for kind in [
        "AllergyIntolerance",
        "MedicationStatement",
        "Condition",
        "Patient",
        "Provenance",
    ] {
        assert!(!resources(&b, kind).is_empty(), "no {kind} in the bundle");
    }
    let patient = resources(&b, "Patient")[0];
    assert_eq!(patient["birthDate"], "1970-08-01");
    assert_eq!(patient["gender"], "female");
}

#[test]
fn every_finding_carries_evidence_that_points_at_the_page_text() {
    let b = extract_json("onc-referral.pdf", &[]);
    let text_out = run(&["text", fixture("onc-referral.pdf").to_str().unwrap()]);
    let text = String::from_utf8(text_out.stdout).unwrap();
    let pages: Vec<&str> = text.split("=== page ").skip(1).collect();
    for kind in ["AllergyIntolerance", "MedicationStatement", "Condition"] {
        for r in resources(&b, kind) {
            let ev: Vec<&Value> = r["extension"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["url"].as_str().unwrap().ends_with("/evidence"))
                .collect();
            assert!(!ev.is_empty(), "{kind} without evidence");
            for e in ev {
                let part = |name: &str| {
                    e["extension"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|p| p["url"] == name)
                        .cloned()
                        .unwrap_or(Value::Null)
                };
                let page = part("page")["valueInteger"].as_u64().unwrap() as usize;
                let start = part("start")["valueInteger"].as_u64().unwrap() as usize;
                let end = part("end")["valueInteger"].as_u64().unwrap() as usize;
                let words = part("text")["valueString"].as_str().unwrap().to_string();
                let body = pages[page - 1].split_once("===\n").unwrap().1;
                let span: String = body.chars().skip(start).take(end - start).collect();
                assert_eq!(span, words, "evidence span of {kind} on page {page}");
            }
        }
    }
}

#[test]
fn fax_text_record_is_read_page_by_page() {
    let b = extract_json("onc-referral.fax.txt", &[]);
    let docs = resources(&b, "DocumentReference");
    assert_eq!(
        docs[0]["content"][0]["attachment"]["contentType"],
        "text/plain"
    );
    assert!(!resources(&b, "Condition").is_empty());
    let pages = docs[0]["extension"][0]["valueInteger"].as_u64().unwrap();
    assert_eq!(pages, 4);
}

#[test]
fn same_input_gives_byte_identical_output() {
    let path = fixture("synthea-summary.pdf");
    let a = run(&["extract", path.to_str().unwrap()]);
    let b = run(&["extract", path.to_str().unwrap()]);
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
    // And with a fixed clock, independent of the file's modification time.
    let c = bin()
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(["extract", path.to_str().unwrap()])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&c.stdout).unwrap();
    assert_eq!(
        resources(&v, "Provenance")[0]["recorded"],
        "2023-11-14T22:13:20Z"
    );
}

#[test]
fn empty_password_encryption_opens_like_the_plain_file() {
    let plain = extract_json("onc-referral.pdf", &[]);
    let enc = extract_json("encrypted-empty-password.pdf", &[]);
    let codes = |b: &Value| -> Vec<String> {
        ["AllergyIntolerance", "MedicationStatement", "Condition"]
            .iter()
            .flat_map(|k| resources(b, k))
            .map(|r| {
                r.get("code")
                    .or(r.get("medicationCodeableConcept"))
                    .unwrap()["text"]
                    .to_string()
            })
            .collect()
    };
    assert_eq!(codes(&plain), codes(&enc));
}

#[test]
fn output_file_is_written_atomically_and_matches_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nested").join("b.json");
    let path = fixture("onc-referral.pdf");
    let r = run(&[
        "extract",
        path.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--recorded",
        "2024-01-01T00:00:00Z",
    ]);
    assert!(r.status.success());
    assert!(r.stdout.is_empty());
    let s = run(&[
        "extract",
        path.to_str().unwrap(),
        "--recorded",
        "2024-01-01T00:00:00Z",
    ]);
    assert_eq!(std::fs::read(&out).unwrap(), s.stdout);
    assert_eq!(
        std::fs::read_dir(out.parent().unwrap()).unwrap().count(),
        1,
        "no temporary file left"
    );
}

/// Each bad input: exit 1, an error naming the file and the problem, nothing written.
#[test]
fn bad_inputs_fail_clearly_and_write_nothing() {
    let cases = [
        ("bad/empty.pdf", "the file is empty"),
        ("bad/random.bin", "not a PDF or a text record"),
        ("bad/truncated.pdf", "damaged or unreadable PDF"),
        (
            "bad/encrypted-user-password.pdf",
            "encrypted and needs a password",
        ),
        ("bad/scanned-page.pdf", "need OCR"),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (file, message) in cases {
        let out = dir.path().join("out.json");
        let path = fixture(file);
        let r = run(&[
            "extract",
            path.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--ocr",
            "never",
        ]);
        let stderr = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(1), "{file}: {stderr}");
        assert!(
            stderr.contains(file.rsplit('/').next().unwrap()),
            "{file}: error names the file: {stderr}"
        );
        assert!(stderr.contains(message), "{file}: {stderr}");
        assert!(!out.exists(), "{file}: no bundle written");
        assert!(r.stdout.is_empty());
    }
}

#[test]
fn missing_file_and_unknown_flag() {
    let r = run(&["extract", "/nonexistent/file.pdf"]);
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("/nonexistent/file.pdf"));
    let r = run(&["extract", "--no-such-flag", "x.pdf"]);
    assert_eq!(r.status.code(), Some(2));
    let r = run(&["extract"]);
    assert_eq!(r.status.code(), Some(2));
}

#[test]
fn patient_id_refers_to_an_existing_patient() {
    let b = extract_json("onc-referral.pdf", &["--patient-id", "123"]);
    assert!(resources(&b, "Patient").is_empty());
    for r in resources(&b, "Condition") {
        assert_eq!(r["subject"]["reference"], "Patient/123");
    }
}

#[test]
fn summary_is_a_short_table() {
    let path = fixture("onc-referral.pdf");
    let r = run(&["extract", "--summary", path.to_str().unwrap()]);
    let s = String::from_utf8(r.stdout).unwrap();
    assert!(s.starts_with("onc-referral.pdf: 4 page(s)"), "{s}");
    assert!(s.contains("kind"));
    assert!(s.contains("allergy"));
}

#[test]
fn help_explains_statuses() {
    let r = run(&["extract", "--help"]);
    let s = String::from_utf8(r.stdout).unwrap();
    assert!(s.contains("refuted"));
    assert!(s.contains("not-taken"));
}

fn have(program: &str) -> bool {
    Command::new(program).arg("--version").output().is_ok()
}

/// A faxed page (image only) is read by OCR when Tesseract is installed (CI installs it);
/// without it, the error says what to install.
#[test]
fn scanned_page_is_read_by_ocr_or_names_what_to_install() {
    let path = fixture("bad/scanned-page.pdf");
    let r = run(&["extract", path.to_str().unwrap(), "--summary"]);
    if have("tesseract") && have("pdftoppm") {
        let s = String::from_utf8_lossy(&r.stdout);
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        assert!(s.starts_with("scanned-page.pdf: 1 page(s)"), "{s}");
        let b = extract_json("bad/scanned-page.pdf", &[]);
        let docs = resources(&b, "DocumentReference");
        assert_eq!(
            docs[0]["content"][0]["attachment"]["contentType"],
            "application/pdf"
        );
        // The authorization page names the patient.
        assert_eq!(resources(&b, "Patient")[0]["birthDate"], "1970-08-01");
    } else {
        assert_eq!(r.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&r.stderr).contains("apt-get install tesseract-ocr"));
    }
}

fn write_dict(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("term\tkind\tsystem\tcode\tdisplay\n{body}")).unwrap();
    p
}

/// A site's own terms are found, coded as given, in the resource type their kind says.
#[test]
fn user_dictionary_terms_are_found_and_coded_as_given() {
    let dir = tempfile::tempdir().unwrap();
    let dict = write_dict(
        dir.path(),
        "site.tsv",
        "Zorblax syndrome\tcondition\tsnomed\t999000001\tZorblax syndrome\n\
         Quixotamab\tmedication\trxnorm\t999000002\tquixotamab\n\
         glitter dust\tallergen\tsnomed\t999000003\tGlitter dust\n",
    );
    let doc = dir.path().join("note.txt");
    std::fs::write(
        &doc,
        "ALLERGIES:\nGlitter dust - hives\n\nMEDICATIONS:\nQuixotamab 10 mg SC weekly\n\nPROBLEM LIST:\nZorblax syndrome\n",
    )
    .unwrap();
    let out = run(&[
        "extract",
        doc.to_str().unwrap(),
        "--dict",
        dict.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let b: Value = serde_json::from_slice(&out.stdout).unwrap();
    let code_of =
        |r: &Value, field: &str| r[field]["coding"][0]["code"].as_str().unwrap().to_string();
    let cond = resources(&b, "Condition");
    assert!(
        cond.iter().any(|r| code_of(r, "code") == "999000001"),
        "condition coded as given"
    );
    let meds = resources(&b, "MedicationStatement");
    assert!(
        meds.iter()
            .any(|r| code_of(r, "medicationCodeableConcept") == "999000002")
    );
    let allergies = resources(&b, "AllergyIntolerance");
    assert!(allergies.iter().any(|r| code_of(r, "code") == "999000003"));
    // Without the table, the made-up terms are not found.
    let plain = run(&["extract", doc.to_str().unwrap()]);
    let b: Value = serde_json::from_slice(&plain.stdout).unwrap();
    assert!(
        !resources(&b, "Condition")
            .iter()
            .any(|r| code_of(r, "code") == "999000001")
    );
}

#[test]
fn bad_dictionary_rows_are_usage_errors_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let doc = fixture("onc-referral.fax.txt");
    let cases = [
        (
            "kind.tsv",
            "ok term\tcondition\tsnomed\t1\tOk\nbad\tdisease\tsnomed\t2\tBad\n",
            "kind.tsv:3",
            "unknown kind",
        ),
        (
            "system.tsv",
            "x\tcondition\tloinc\t1\tX\n",
            "system.tsv:2",
            "unknown code system",
        ),
        (
            "columns.tsv",
            "x\tcondition\tsnomed\n",
            "columns.tsv:2",
            "at least 5",
        ),
        (
            "code.tsv",
            "x\tcondition\tsnomed\t\tX\n",
            "code.tsv:2",
            "code is empty",
        ),
    ];
    for (name, body, place, message) in cases {
        let dict = write_dict(dir.path(), name, body);
        let r = run(&[
            "extract",
            doc.to_str().unwrap(),
            "--dict",
            dict.to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{name}: {err}");
        assert!(
            err.contains(place) && err.contains(message),
            "{name}: {err}"
        );
    }
    let header = dir.path().join("header.tsv");
    std::fs::write(&header, "name\tcode\nx\t1\n").unwrap();
    let r = run(&["dict", "stats", "--dict", header.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("header.tsv:1"));
}

#[test]
fn dict_lookup_and_stats() {
    let r = run(&["dict", "lookup", "HTN"]);
    let s = String::from_utf8(r.stdout).unwrap();
    assert!(r.status.success());
    assert!(s.contains("condition") && s.contains("38341003"), "{s}");
    let r = run(&["dict", "lookup", "not a term at all xyzzy"]);
    assert_eq!(r.status.code(), Some(1));
    let r = run(&["dict", "stats"]);
    let s = String::from_utf8(r.stdout).unwrap();
    assert!(s.contains("medications-rxnorm.tsv\tmedication"), "{s}");
    let total: usize = s
        .lines()
        .last()
        .unwrap()
        .rsplit('\t')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(total > 100_000, "{total} terms");
}

/// Every entry of every bundle has its own fullUrl and id (bdl-7), for every fixture.
#[test]
fn ids_are_unique_within_each_bundle() {
    for f in [
        "onc-referral.pdf",
        "onc-referral.fax.txt",
        "synthea-summary.pdf",
        "bench/packet-51-pages.pdf",
        "bench/packet-51-pages.fax.txt",
    ] {
        let b = extract_json(f, &["--allow-multiple-patients"]);
        let mut urls: Vec<&str> = b["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["fullUrl"].as_str().unwrap())
            .collect();
        let n = urls.len();
        urls.sort();
        urls.dedup();
        assert_eq!(urls.len(), n, "{f}: duplicate fullUrl");
    }
}

/// Two people's packets faxed as one (issue #12): refused, naming a page of each and no name;
/// `--allow-multiple-patients` writes it anyway.
#[test]
fn two_people_in_one_packet_are_refused() {
    let path = fixture("two-patients.fax.txt");
    let r = run(&["extract", path.to_str().unwrap(), "--summary"]);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("pages 1 and 8"), "{stderr}");
    for name in ["Itasca", "ITASCA", "Earle", "EARLE"] {
        assert!(!stderr.contains(name), "the message names no one: {stderr}");
    }
    let r = run(&[
        "extract",
        path.to_str().unwrap(),
        "--summary",
        "--allow-multiple-patients",
    ]);
    assert_eq!(r.status.code(), Some(0));
}

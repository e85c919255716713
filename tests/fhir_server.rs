//! Import into a real FHIR server: a transaction bundle made from a fixture is applied as is,
//! read back, applied again, and nothing is duplicated.
//!
//! Needs a FHIR R4 endpoint in `FHIR_SERVER_URL` (e.g. `../shared/tools/fhir-server 8089` →
//! `http://127.0.0.1:8089/fhir/R4`). Without it the tests print a note and pass, unless
//! `CHART2FHIR_REQUIRE_FHIR_SERVER=1` (CI sets it), where a missing server fails them.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn server() -> Option<String> {
    match std::env::var("FHIR_SERVER_URL") {
        Ok(url) if !url.is_empty() => Some(url.trim_end_matches('/').to_string()),
        _ => {
            assert!(
                std::env::var("CHART2FHIR_REQUIRE_FHIR_SERVER").is_err(),
                "CHART2FHIR_REQUIRE_FHIR_SERVER is set but FHIR_SERVER_URL is not"
            );
            eprintln!("FHIR_SERVER_URL not set: skipping the FHIR server round trip");
            None
        }
    }
}

fn transaction(fixture: &str, extra: &[&str]) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(fixture);
    let out = Command::new(env!("CARGO_BIN_EXE_chart2fhir"))
        .args(["extract", path.to_str().unwrap(), "--bundle", "transaction"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn post(base: &str, bundle: &Value) -> Value {
    let mut resp = ureq::post(base)
        .header("Content-Type", "application/fhir+json")
        .send(bundle.to_string())
        .unwrap_or_else(|e| panic!("POST transaction: {e}"));
    let body: Value = serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(body["resourceType"], "Bundle", "{body}");
    assert_eq!(body["type"], "transaction-response");
    for e in body["entry"].as_array().unwrap() {
        let status = e["response"]["status"].as_str().unwrap_or("");
        assert!(
            status.starts_with("200") || status.starts_with("201"),
            "entry refused: {e}"
        );
    }
    body
}

fn get(base: &str, query: &str) -> Value {
    let mut resp = ureq::get(&format!("{base}/{query}"))
        .call()
        .unwrap_or_else(|e| panic!("GET {query}: {e}"));
    serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap()
}

fn entries_of<'a>(bundle: &'a Value, kind: &str) -> Vec<&'a Value> {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == kind)
        .collect()
}

fn count(base: &str, kind: &str, param: &str, patient: &str) -> usize {
    let r = get(
        base,
        &format!("{kind}?{param}=Patient/{patient}&_count=200"),
    );
    r["entry"].as_array().map_or(0, |e| e.len())
}

#[test]
fn transaction_applies_twice_without_duplicates() {
    let Some(base) = server() else {
        return;
    };
    let bundle = transaction("onc-referral.pdf", &["--recorded", "2024-01-01T00:00:00Z"]);
    let patient = entries_of(&bundle, "Patient")[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    post(&base, &bundle);
    let expected = [
        (
            "Condition",
            "subject",
            entries_of(&bundle, "Condition").len(),
        ),
        (
            "AllergyIntolerance",
            "patient",
            entries_of(&bundle, "AllergyIntolerance").len(),
        ),
        (
            "MedicationStatement",
            "subject",
            entries_of(&bundle, "MedicationStatement").len(),
        ),
    ];
    for (kind, param, n) in expected {
        assert!(n > 0, "the fixture yields {kind}s");
        assert_eq!(
            count(&base, kind, param, &patient),
            n,
            "{kind} after the first import"
        );
    }
    // Read one back as it was sent.
    let cond = entries_of(&bundle, "Condition")[0];
    let back = get(
        &base,
        &format!("Condition/{}", cond["id"].as_str().unwrap()),
    );
    assert_eq!(back["code"], cond["code"]);
    assert_eq!(back["clinicalStatus"], cond["clinicalStatus"]);
    assert_eq!(back["subject"]["reference"], format!("Patient/{patient}"));
    // Again: nothing new.
    post(&base, &bundle);
    for (kind, param, n) in expected {
        assert_eq!(
            count(&base, kind, param, &patient),
            n,
            "{kind} after the second import"
        );
    }
    let docs = get(
        &base,
        &format!("DocumentReference?subject=Patient/{patient}"),
    );
    assert_eq!(docs["entry"].as_array().map_or(0, |e| e.len()), 1);
}

#[test]
fn patient_matched_by_identifier_is_created_once() {
    let Some(base) = server() else {
        return;
    };
    let ident = "urn:oid:2.16.840.1.113883.19.5|chart2fhir-test-42";
    let bundle = transaction("synthea-summary.pdf", &["--patient-identifier", ident]);
    post(&base, &bundle);
    post(&base, &bundle);
    let found = get(
        &base,
        "Patient?identifier=urn:oid:2.16.840.1.113883.19.5|chart2fhir-test-42",
    );
    let patients = found["entry"].as_array().map_or(0, |e| e.len());
    assert_eq!(patients, 1, "{found}");
    let id = found["entry"][0]["resource"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let n = entries_of(&bundle, "Condition").len();
    assert_eq!(count(&base, "Condition", "subject", &id), n);
}

#[test]
fn us_core_transaction_applies() {
    let Some(base) = server() else {
        return;
    };
    let bundle = transaction(
        "onc-referral.pdf",
        &[
            "--recorded",
            "2024-01-01T00:00:00Z",
            "--profile",
            "us-core",
            "--organization",
            "Example Clinic",
        ],
    );
    let patient = entries_of(&bundle, "Patient")[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    post(&base, &bundle);
    post(&base, &bundle);
    let meds = entries_of(&bundle, "MedicationRequest").len();
    assert!(meds > 0);
    assert_eq!(count(&base, "MedicationRequest", "subject", &patient), meds);
    let org = entries_of(&bundle, "Organization")[0];
    let back = get(
        &base,
        &format!("Organization/{}", org["id"].as_str().unwrap()),
    );
    assert_eq!(back["name"], "Example Clinic");
}

//! `--profile us-core`: the shapes a US EHR's import checks (US Core 7.0.0). The profiles
//! themselves are checked by `../shared/tools/validate-fhir --us-core 7.0.0` in CI (.ci/run)
//! over every dev-corpus bundle; these tests pin what the flags do.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use serde_json::Value;

const US_CORE: &str = "http://hl7.org/fhir/us/core/StructureDefinition/";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn extract(file: &str, extra: &[&str]) -> Value {
    let path = fixture(file);
    let out = Command::new(env!("CARGO_BIN_EXE_chart2fhir"))
        .args(["extract", path.to_str().unwrap()])
        .args(["--recorded", "2024-01-01T00:00:00Z"])
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

fn resources<'a>(bundle: &'a Value, kind: &str) -> Vec<&'a Value> {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| kind.is_empty() || r["resourceType"] == kind)
        .collect()
}

#[test]
fn every_resource_claims_its_profile_and_has_a_narrative() {
    let b = extract(
        "onc-referral.pdf",
        &[
            "--profile",
            "us-core",
            "--mrn-system",
            "urn:oid:2.16.840.1.113883.19.5",
            "--organization",
            "Example Clinic",
        ],
    );
    for r in resources(&b, "") {
        let kind = r["resourceType"].as_str().unwrap();
        let div = r["text"]["div"].as_str().unwrap_or_default();
        assert!(
            div.starts_with("<div xmlns=\"http://www.w3.org/1999/xhtml\">"),
            "{kind} has a narrative"
        );
        if kind == "Device" {
            // Software: no US Core profile applies (implantable-device is for implants).
            assert!(r.get("meta").is_none());
            continue;
        }
        let profile = r["meta"]["profile"][0].as_str().unwrap_or_default();
        assert!(
            profile.starts_with(US_CORE),
            "{kind} claims a US Core profile"
        );
    }
    assert!(resources(&b, "MedicationStatement").is_empty());
    let meds = resources(&b, "MedicationRequest");
    assert!(!meds.is_empty());
    for m in meds {
        assert_eq!(m["intent"], "plan");
        assert_eq!(m["reportedBoolean"], true);
        assert!(m["medicationCodeableConcept"]["coding"][0]["code"].is_string());
    }
    let patient = resources(&b, "Patient")[0];
    for i in patient["identifier"].as_array().unwrap() {
        assert_eq!(i["system"], "urn:oid:2.16.840.1.113883.19.5");
    }
    let doc = resources(&b, "DocumentReference")[0];
    assert_eq!(doc["type"]["coding"][0]["system"], "http://loinc.org");
    assert_eq!(doc["category"][0]["coding"][0]["code"], "clinical-note");
    assert_eq!(doc["date"], "2024-01-01T00:00:00Z");
    let url = doc["content"][0]["attachment"]["url"].as_str().unwrap();
    assert!(url.starts_with("file:///") && url.ends_with("/onc-referral.pdf"));
    let org = resources(&b, "Organization")[0];
    assert_eq!(org["name"], "Example Clinic");
    let prov = resources(&b, "Provenance")[0];
    let author = &prov["agent"][0];
    assert_eq!(author["type"]["coding"][0]["code"], "author");
    assert_eq!(
        author["onBehalfOf"]["reference"],
        format!("urn:uuid:{}", org["id"].as_str().unwrap())
    );
    for c in resources(&b, "Condition") {
        let cat = c["category"][0]["coding"][0]["code"].as_str().unwrap();
        let profile = c["meta"]["profile"][0].as_str().unwrap();
        match cat {
            "encounter-diagnosis" => assert!(profile.ends_with("encounter-diagnosis")),
            _ => assert!(profile.ends_with("problems-health-concerns")),
        }
    }
}

#[test]
fn without_the_flag_the_bundle_is_plain_r4() {
    let b = extract("onc-referral.pdf", &[]);
    assert!(!resources(&b, "MedicationStatement").is_empty());
    assert!(resources(&b, "MedicationRequest").is_empty());
    assert!(resources(&b, "Organization").is_empty());
    for r in resources(&b, "") {
        assert!(r.get("text").is_none());
        assert!(r["meta"].get("profile").is_none());
    }
}

#[test]
fn a_document_without_mrn_system_or_organization_says_so() {
    let b = extract("synthea-summary.pdf", &["--profile", "us-core"]);
    let patient = resources(&b, "Patient")[0];
    for i in patient["identifier"].as_array().unwrap() {
        assert!(
            i["system"]
                .as_str()
                .unwrap()
                .starts_with("http://chart2fhir.org/")
        );
    }
    assert!(patient["gender"].is_string());
    let org = resources(&b, "Organization")[0];
    assert_eq!(org["meta"]["tag"][0]["code"], "placeholder-organization");
}

#[test]
fn embed_document_puts_the_file_in_the_attachment() {
    let b = extract(
        "onc-referral.fax.txt",
        &["--profile", "us-core", "--embed-document"],
    );
    let a = &resources(&b, "DocumentReference")[0]["content"][0]["attachment"];
    assert!(a.get("url").is_none());
    let data = base64::engine::general_purpose::STANDARD
        .decode(a["data"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        data,
        std::fs::read(fixture("onc-referral.fax.txt")).unwrap()
    );
}

#[test]
fn us_core_flags_need_the_profile() {
    let out = Command::new(env!("CARGO_BIN_EXE_chart2fhir"))
        .args(["extract", fixture("onc-referral.pdf").to_str().unwrap()])
        .args(["--organization", "X"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

//! `--profile us-core`: the bundle shaped for a US EHR's import (US Core 7.0.0). Every
//! resource claims its profile in `meta.profile` and carries a generated narrative; a
//! medication list entry is a `MedicationRequest` (`intent=plan`, `reportedBoolean=true`);
//! a Condition's category follows its section (encounter diagnoses vs problem list) and it
//! gets the onset / abatement dates the document prints; the DocumentReference gets its LOINC
//! type, category, date and the attachment's `url` (or `data`); the Provenance names an
//! author (chart2fhir's Device, on behalf of an Organization) and a transmitter (the
//! Organization); the Patient always has an identifier with a system, a gender and a name
//! (`unknown` / data-absent-reason when the document does not say).
//!
//! Without `--profile` none of this is written and the bundle is the plain FHIR R4 one.

use super::findings::escape_html;
use serde::{Deserialize, Serialize};

use crate::consolidate::Finding;

use super::ids;
use super::resources::*;
use super::status::MedicationStatus;
use super::types::*;

/// Base of the US Core 7.0.0 profile URLs.
pub const PROFILE_BASE: &str = "http://hl7.org/fhir/us/core/StructureDefinition/";

/// The identifier system of a medical record number when `--mrn-system` is not given: says
/// plainly that the issuer is not known (a local MRN of an unnamed organization).
pub const LOCAL_MRN_SYSTEM: &str = "http://chart2fhir.org/fhir/sid/local-mrn";

/// The identifier system of chart2fhir's own patient id, written when the document gives no
/// MRN (US Core asks for at least one identifier).
pub const PATIENT_ID_SYSTEM: &str = "http://chart2fhir.org/fhir/sid/patient-id";

/// The Organization's name when neither `--organization` nor the document names one.
pub const UNNAMED_ORGANIZATION: &str = "Organization not named (pass --organization)";

const DATA_ABSENT: &str = "http://hl7.org/fhir/StructureDefinition/data-absent-reason";
const DOC_CATEGORY: &str =
    "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category";
const COND_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/condition-category";
const PARTICIPANT: &str = "http://terminology.hl7.org/CodeSystem/provenance-participant-type";
const US_PARTICIPANT: &str =
    "http://hl7.org/fhir/us/core/CodeSystem/us-core-provenance-participant-type";

/// What `--profile us-core` needs beyond the extraction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsCoreOptions {
    /// `Patient.identifier.system` of the MRN (`--mrn-system`); else [`LOCAL_MRN_SYSTEM`].
    pub mrn_system: Option<String>,
    /// The Organization on whose behalf the resources are made (`--organization`).
    pub organization: Option<String>,
    /// Put the document itself in the attachment (`--embed-document`) instead of its `file:`
    /// URL.
    pub embed_document: bool,
}

/// What the bundle writer needs to know about the input for US Core (filled in by
/// [`crate::convert`], which has the document at hand).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsCore {
    /// The options.
    pub options: UsCoreOptions,
    /// The document's LOINC type (code, display), from its title.
    pub document_type: (String, String),
    /// The attachment's `url` (a `file:` URI of the input).
    pub url: Option<String>,
    /// The attachment's `data` (base64), with `--embed-document`.
    pub data: Option<String>,
}

/// Document types by words in a title, most specific first: (words, LOINC code, display).
/// The codes are LOINC document ontology codes of the US Core DocumentReference type set.
const DOCUMENT_TYPES: &[(&str, &str, &str)] = &[
    ("discharge summary", "18842-5", "Discharge summary"),
    ("referral", "57133-1", "Referral note"),
    ("consultation", "11488-4", "Consult note"),
    ("consult note", "11488-4", "Consult note"),
    (
        "history and physical",
        "34117-2",
        "History and physical note",
    ),
    ("progress note", "11506-3", "Progress note"),
    ("summary of care", "34133-9", "Summary of episode note"),
];

/// The LOINC document type of a document from its title (the first lines of its first page):
/// discharge summary, referral note, consult note …, else 34133-9 (summary of episode note).
pub fn document_type(first_page: &str) -> (String, String) {
    let head: String = first_page
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(12)
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    let head = head.split_whitespace().collect::<Vec<_>>().join(" ");
    DOCUMENT_TYPES
        .iter()
        .find(|(words, _, _)| head.contains(words))
        .map(|(_, c, d)| (c.to_string(), d.to_string()))
        .unwrap_or_else(|| ("34133-9".into(), "Summary of episode note".into()))
}

/// A `file:` URI of a path (absolute; bytes outside the unreserved set percent-encoded).
pub fn file_uri(path: &std::path::Path) -> String {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = String::from("file://");
    for b in abs.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn meta(profile: &str) -> Option<Meta> {
    Some(Meta {
        profile: vec![format!("{PROFILE_BASE}{profile}")],
        tag: Vec::new(),
    })
}

fn with_profile(m: &mut Option<Meta>, profile: &str) {
    match m {
        Some(m) => m.profile = vec![format!("{PROFILE_BASE}{profile}")],
        None => *m = meta(profile),
    }
}

/// A generated narrative: one paragraph, the facts given as `label: value` pairs.
fn narrative(title: &str, facts: &[(&str, Option<String>)]) -> Option<Narrative> {
    let mut div = format!(
        "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p><b>{}</b></p><ul>",
        escape_html(title)
    );
    for (label, value) in facts {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            div.push_str(&format!(
                "<li>{}: {}</li>",
                escape_html(label),
                escape_html(v)
            ));
        }
    }
    div.push_str("</ul></div>");
    Some(Narrative {
        status: "generated",
        div,
    })
}

fn concept_text(c: &CodeableConcept) -> Option<String> {
    c.text
        .clone()
        .or_else(|| c.coding.first().and_then(|c| c.display.clone()))
}

fn codes(c: &CodeableConcept) -> Option<String> {
    (!c.coding.is_empty()).then(|| {
        c.coding
            .iter()
            .map(|c| format!("{} {}", system_label(&c.system), c.code))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

fn system_label(uri: &str) -> &str {
    match uri {
        "http://snomed.info/sct" => "SNOMED CT",
        "http://www.nlm.nih.gov/research/umls/rxnorm" => "RxNorm",
        "http://loinc.org" => "LOINC",
        "http://hl7.org/fhir/sid/icd-10-cm" => "ICD-10-CM",
        other => other,
    }
}

fn first_code(c: &Option<CodeableConcept>) -> Option<String> {
    c.as_ref()
        .and_then(|c| c.coding.first())
        .map(|c| c.code.clone())
}

/// A medication list entry as US Core shapes it: `MedicationRequest`, `intent=plan`,
/// `reportedBoolean=true`, the same codes, evidence and dosage.
pub(super) fn medication_request(
    ms: MedicationStatement,
    status: MedicationStatus,
    id: String,
) -> MedicationRequest {
    let (status, reason) = match status {
        MedicationStatus::Active => ("active", None),
        MedicationStatus::Completed => ("completed", None),
        MedicationStatus::Stopped => ("stopped", None),
        MedicationStatus::OnHold => ("on-hold", None),
        // The document says it is not taken: the reported list entry is stopped, and why.
        MedicationStatus::NotTaken => ("stopped", Some("not taken")),
        // Possible or hypothetical (only with --include-unasserted): not yet in force.
        MedicationStatus::Intended => ("draft", Some("intended")),
    };
    MedicationRequest {
        resource_type: "MedicationRequest",
        id,
        meta: meta("us-core-medicationrequest"),
        text: None,
        extension: ms.extension,
        status,
        status_reason: reason.map(|r| CodeableConcept {
            coding: Vec::new(),
            text: Some(r.to_string()),
        }),
        intent: "plan",
        reported_boolean: true,
        medication_codeable_concept: ms.medication_codeable_concept,
        subject: ms.subject,
        supporting_information: ms.derived_from,
        dosage_instruction: ms.dosage,
    }
}

/// Whether a finding is an encounter diagnosis (every mention under a diagnoses section:
/// admission, discharge or encounter diagnoses) rather than a problem-list item.
fn encounter_diagnosis(f: &Finding) -> bool {
    !f.mentions.is_empty()
        && f.mentions.iter().all(|m| {
            m.section
                .as_ref()
                .is_some_and(|(_, kind)| kind.starts_with("diagnoses_"))
        })
}

/// A Condition's US Core category and dates: encounter-diagnosis or problem-list-item;
/// onset the first date the document gives, abatement the last one when the condition
/// ended (and is not active).
pub(super) fn condition(c: &mut Condition, f: &Finding) {
    let encounter = encounter_diagnosis(f);
    c.meta = meta(if encounter {
        "us-core-condition-encounter-diagnosis"
    } else {
        "us-core-condition-problems-health-concerns"
    });
    if encounter {
        c.category = vec![CodeableConcept::code(
            COND_CATEGORY,
            "encounter-diagnosis",
            "Encounter Diagnosis",
        )];
    }
    let mut dates: Vec<&String> = f.dates.iter().filter(|d| is_date(d)).collect();
    dates.sort();
    c.onset_date_time = dates.first().map(|d| d.to_string());
    let abated = c
        .clinical_status
        .as_ref()
        .and_then(|s| s.coding.first())
        .is_some_and(|s| matches!(s.code.as_str(), "inactive" | "resolved" | "remission"));
    if f.ended && abated && dates.len() > 1 {
        c.abatement_date_time = dates.last().map(|d| d.to_string());
    }
}

/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`: what a FHIR dateTime without a time holds.
fn is_date(d: &str) -> bool {
    let b = d.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    match b.len() {
        4 => digits(0..4),
        7 => digits(0..4) && b[4] == b'-' && digits(5..7),
        10 => digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10),
        _ => false,
    }
}

/// The Organization on whose behalf the resources are made.
fn organization(opts: &UsCoreOptions) -> Organization {
    let name = opts
        .organization
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| UNNAMED_ORGANIZATION.to_string());
    let named = opts.organization.is_some();
    let mut m = meta("us-core-organization");
    if !named && let Some(m) = &mut m {
        m.tag = vec![Coding::new(
            &format!("{EXTENSION_BASE}tag"),
            "placeholder-organization",
            Some("No organization was named; pass --organization NAME"),
        )];
    }
    Organization {
        resource_type: "Organization",
        id: ids::uuid("Organization", &[&name]),
        meta: m,
        text: narrative("Organization", &[("Name", Some(name.clone()))]),
        active: true,
        name,
    }
}

/// Shapes a bundle's resources for US Core (see the module's documentation). The findings'
/// resources were already made by [`medication_request`] and [`condition`].
pub(super) fn finish(entries: &mut Vec<Resource>, us: &UsCore, recorded: &str) {
    let org = organization(&us.options);
    let org_ref = Reference::to(&format!("urn:uuid:{}", org.id));
    let mut has_provenance = false;
    for r in entries.iter_mut() {
        match r {
            Resource::Patient(p) => {
                with_profile(&mut p.meta, "us-core-patient");
                for i in &mut p.identifier {
                    if i.system.is_none() {
                        i.system = Some(
                            us.options
                                .mrn_system
                                .clone()
                                .unwrap_or_else(|| LOCAL_MRN_SYSTEM.to_string()),
                        );
                    }
                }
                if p.identifier.is_empty() {
                    p.identifier.push(Identifier {
                        kind: None,
                        system: Some(PATIENT_ID_SYSTEM.into()),
                        value: p.id.clone(),
                    });
                }
                if p.gender.is_none() {
                    p.gender = Some("unknown");
                }
                let named = p
                    .name
                    .iter()
                    .any(|n| n.family.is_some() || !n.given.is_empty());
                if !named {
                    p.name = vec![HumanName {
                        extension: vec![Extension::code(DATA_ABSENT, "unknown")],
                        text: String::new(),
                        family: None,
                        given: Vec::new(),
                    }];
                }
                p.text = narrative(
                    "Patient",
                    &[
                        (
                            "Name",
                            p.name
                                .first()
                                .map(|n| n.text.clone())
                                .filter(|t| !t.is_empty()),
                        ),
                        ("Birth date", p.birth_date.clone()),
                        ("Gender", p.gender.map(str::to_string)),
                        ("Identifier", p.identifier.first().map(|i| i.value.clone())),
                    ],
                );
            }
            Resource::DocumentReference(d) => {
                d.meta = meta("us-core-documentreference");
                let (code, display) = &us.document_type;
                d.kind = Some(CodeableConcept {
                    coding: vec![Coding::new("http://loinc.org", code, Some(display))],
                    text: Some(display.clone()),
                });
                d.category = vec![CodeableConcept::code(
                    DOC_CATEGORY,
                    "clinical-note",
                    "Clinical Note",
                )];
                d.date = Some(recorded.to_string());
                for c in &mut d.content {
                    c.attachment.data = us.data.clone();
                    c.attachment.url = if us.data.is_some() {
                        None
                    } else {
                        us.url.clone()
                    };
                }
                d.text = narrative(
                    "Source document",
                    &[
                        ("Type", Some(display.clone())),
                        (
                            "File",
                            d.content.first().map(|c| c.attachment.title.clone()),
                        ),
                        (
                            "Content type",
                            d.content.first().map(|c| c.attachment.content_type.clone()),
                        ),
                        ("Description", d.description.clone()),
                    ],
                );
            }
            Resource::AllergyIntolerance(a) => {
                a.meta = meta("us-core-allergyintolerance");
                a.text = narrative(
                    "Allergy or intolerance",
                    &[
                        ("Substance", concept_text(&a.code)),
                        ("Codes", codes(&a.code)),
                        ("Clinical status", first_code(&a.clinical_status)),
                        (
                            "Verification",
                            a.verification_status.coding.first().map(|c| c.code.clone()),
                        ),
                        (
                            "Reactions",
                            (!a.reaction.is_empty()).then(|| {
                                a.reaction
                                    .iter()
                                    .filter_map(|r| r.manifestation.first().and_then(concept_text))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            }),
                        ),
                    ],
                );
            }
            Resource::MedicationRequest(m) => {
                m.text = narrative(
                    "Medication (reported)",
                    &[
                        ("Medication", concept_text(&m.medication_codeable_concept)),
                        ("Codes", codes(&m.medication_codeable_concept)),
                        ("Status", Some(m.status.to_string())),
                        (
                            "Dosage",
                            m.dosage_instruction.first().and_then(|d| d.text.clone()),
                        ),
                    ],
                );
            }
            Resource::Condition(c) => {
                c.text = narrative(
                    "Condition",
                    &[
                        ("Condition", concept_text(&c.code)),
                        ("Codes", codes(&c.code)),
                        (
                            "Category",
                            c.category
                                .first()
                                .and_then(|c| c.coding.first())
                                .map(|c| c.code.clone()),
                        ),
                        ("Clinical status", first_code(&c.clinical_status)),
                        (
                            "Verification",
                            c.verification_status.coding.first().map(|c| c.code.clone()),
                        ),
                        ("Onset", c.onset_date_time.clone()),
                        ("Abatement", c.abatement_date_time.clone()),
                    ],
                );
            }
            Resource::Device(d) => {
                // No US Core profile applies to software (us-core-implantable-device is for
                // implants): the Device stays a plain R4 Device.
                d.text = narrative(
                    "Device",
                    &[
                        ("Name", d.device_name.first().map(|n| n.name.clone())),
                        ("Version", d.version.first().map(|v| v.value.clone())),
                    ],
                );
            }
            Resource::Provenance(p) => {
                has_provenance = true;
                p.meta = meta("us-core-provenance");
                let device = p.agent.first().map(|a| a.who.clone());
                p.agent = device
                    .into_iter()
                    .map(|who| ProvenanceAgent {
                        kind: CodeableConcept::code(PARTICIPANT, "author", "Author"),
                        who,
                        on_behalf_of: Some(org_ref.clone()),
                    })
                    .chain(std::iter::once(ProvenanceAgent {
                        kind: CodeableConcept::code(US_PARTICIPANT, "transmitter", "Transmitter"),
                        who: org_ref.clone(),
                        on_behalf_of: None,
                    }))
                    .collect();
                p.text = narrative(
                    "Provenance",
                    &[
                        ("Recorded", Some(p.recorded.clone())),
                        ("Targets", Some(p.target.len().to_string())),
                        (
                            "Author",
                            Some("chart2fhir, from the source document".to_string()),
                        ),
                        ("On behalf of", Some(org.name.clone())),
                    ],
                );
            }
            Resource::MedicationStatement(_)
            | Resource::Organization(_)
            | Resource::FamilyMemberHistory(_) => {}
        }
    }
    if has_provenance {
        let at = entries
            .iter()
            .position(|r| matches!(r, Resource::Device(_)))
            .unwrap_or(entries.len());
        entries.insert(at, Resource::Organization(org));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_type_from_the_title() {
        assert_eq!(
            document_type("\n\nDISCHARGE SUMMARY\nAdmitted: …").0,
            "18842-5"
        );
        assert_eq!(document_type("Referral  Letter\n").0, "57133-1");
        assert_eq!(document_type("Oncology Consultation\n").0, "11488-4");
        assert_eq!(document_type("RECORDS RELEASE\n").0, "34133-9");
    }

    #[test]
    fn file_uris_are_absolute_and_escaped() {
        let u = file_uri(std::path::Path::new("/tmp/a b/x#1.pdf"));
        assert_eq!(u, "file:///tmp/a%20b/x%231.pdf");
    }

    #[test]
    fn narratives_escape_markup() {
        let n = narrative("T", &[("a", Some("<b>&".into())), ("none", None)]).unwrap();
        assert!(n.div.contains("<li>a: &lt;b&gt;&amp;</li>"));
        assert!(!n.div.contains("none"));
    }

    #[test]
    fn dates_are_checked() {
        assert!(is_date("2020") && is_date("2020-07") && is_date("2020-07-05"));
        assert!(!is_date("07/05/2020") && !is_date("2020-7-5"));
    }
}

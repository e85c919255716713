//! The handful of FHIR R4 data types and resources chart2fhir writes, as plain serde structs.
//! Field order is the serialization order, so output is stable byte for byte.

use serde::Serialize;

/// `Coding`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Coding {
    pub system: String,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

impl Coding {
    pub fn new(system: &str, code: &str, display: Option<&str>) -> Coding {
        Coding {
            system: system.to_string(),
            code: code.to_string(),
            display: display.map(str::to_string),
        }
    }
}

/// `CodeableConcept`.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct CodeableConcept {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub coding: Vec<Coding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl CodeableConcept {
    /// A concept with one coding from a FHIR code system.
    pub fn code(system: &str, code: &str, display: &str) -> CodeableConcept {
        CodeableConcept {
            coding: vec![Coding::new(system, code, Some(display))],
            text: None,
        }
    }
}

/// `Reference`.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Reference {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

impl Reference {
    pub fn to(reference: &str) -> Reference {
        Reference {
            reference: Some(reference.to_string()),
            display: None,
        }
    }
}

/// `Extension` with the value types chart2fhir uses.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Extension {
    pub url: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_integer: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_string: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_decimal: Option<serde_json::Number>,
}

impl Extension {
    pub fn complex(url: &str, parts: Vec<Extension>) -> Extension {
        Extension {
            url: url.to_string(),
            extension: parts,
            value_integer: None,
            value_string: None,
            value_code: None,
            value_decimal: None,
        }
    }
    fn bare(url: &str) -> Extension {
        Extension::complex(url, Vec::new())
    }
    pub fn integer(url: &str, v: i64) -> Extension {
        Extension {
            value_integer: Some(v),
            ..Extension::bare(url)
        }
    }
    pub fn string(url: &str, v: &str) -> Extension {
        Extension {
            value_string: Some(v.to_string()),
            ..Extension::bare(url)
        }
    }
    pub fn code(url: &str, v: &str) -> Extension {
        Extension {
            value_code: Some(v.to_string()),
            ..Extension::bare(url)
        }
    }
    /// A decimal with two places (e.g. a confidence), written as a JSON number.
    pub fn decimal(url: &str, v: f32) -> Extension {
        let rounded = (v as f64 * 100.0).round() / 100.0;
        Extension {
            value_decimal: serde_json::Number::from_f64(rounded),
            ..Extension::bare(url)
        }
    }
}

/// `Identifier`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Identifier {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    pub value: String,
}

/// `HumanName`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HumanName {
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub given: Vec<String>,
}

/// `Meta` (tags only).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Meta {
    pub tag: Vec<Coding>,
}

/// `Patient`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Patient {
    pub resource_type: &'static str,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub name: Vec<HumanName>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
}

/// `Attachment`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    pub content_type: String,
    pub size: u64,
    pub hash: String,
    pub title: String,
}

/// `DocumentReference.content`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DocumentContent {
    pub attachment: Attachment,
}

/// `DocumentReference`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DocumentReference {
    pub resource_type: &'static str,
    pub id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub content: Vec<DocumentContent>,
}

/// `AllergyIntolerance.reaction`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Reaction {
    pub manifestation: Vec<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<&'static str>,
}

/// `AllergyIntolerance`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AllergyIntolerance {
    pub resource_type: &'static str,
    pub id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clinical_status: Option<CodeableConcept>,
    pub verification_status: CodeableConcept,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub criticality: Option<&'static str>,
    pub code: CodeableConcept,
    pub patient: Reference,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reaction: Vec<Reaction>,
}

/// `Quantity` (UCUM).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Quantity {
    pub value: serde_json::Number,
    pub unit: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// `Dosage.doseAndRate`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DoseAndRate {
    pub dose_quantity: Quantity,
}

/// `Timing.repeat`.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct TimingRepeat {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<serde_json::Number>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_unit: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub when: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bounds_duration: Option<Duration>,
}

/// `Duration`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Duration {
    pub value: serde_json::Number,
    pub unit: String,
    pub system: String,
    pub code: String,
}

/// `Timing`.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Timing {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat: Option<TimingRepeat>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeableConcept>,
}

/// `Dosage`.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Dosage {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timing: Option<Timing>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_needed_boolean: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_needed_codeable_concept: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dose_and_rate: Vec<DoseAndRate>,
}

/// `Period`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Period {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}

/// `MedicationStatement`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MedicationStatement {
    pub resource_type: &'static str,
    pub id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    pub status: &'static str,
    pub medication_codeable_concept: CodeableConcept,
    pub subject: Reference,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_period: Option<Period>,
    pub derived_from: Vec<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dosage: Vec<Dosage>,
}

/// `Condition.evidence`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConditionEvidence {
    pub detail: Vec<Reference>,
}

/// `Condition`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    pub resource_type: &'static str,
    pub id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clinical_status: Option<CodeableConcept>,
    pub verification_status: CodeableConcept,
    pub category: Vec<CodeableConcept>,
    pub code: CodeableConcept,
    pub subject: Reference,
    pub evidence: Vec<ConditionEvidence>,
}

/// `FamilyMemberHistory.condition`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FamilyCondition {
    pub code: CodeableConcept,
}

/// `FamilyMemberHistory`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FamilyMemberHistory {
    pub resource_type: &'static str,
    pub id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    pub status: &'static str,
    pub patient: Reference,
    pub relationship: CodeableConcept,
    pub condition: Vec<FamilyCondition>,
}

/// `Device.deviceName`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DeviceName {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// `Device.version`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DeviceVersion {
    pub value: String,
}

/// `Device` (chart2fhir itself, as the Provenance agent).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    pub resource_type: &'static str,
    pub id: String,
    pub device_name: Vec<DeviceName>,
    pub version: Vec<DeviceVersion>,
}

/// `Provenance.agent`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProvenanceAgent {
    #[serde(rename = "type")]
    pub kind: CodeableConcept,
    pub who: Reference,
}

/// `Provenance.entity`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProvenanceEntity {
    pub role: &'static str,
    pub what: Reference,
}

/// `Provenance`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Provenance {
    #[serde(rename = "resourceType")]
    pub resource_type: &'static str,
    pub id: String,
    pub target: Vec<Reference>,
    pub recorded: String,
    pub agent: Vec<ProvenanceAgent>,
    pub entity: Vec<ProvenanceEntity>,
}

/// Any resource chart2fhir writes.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Resource {
    Patient(Patient),
    DocumentReference(DocumentReference),
    AllergyIntolerance(AllergyIntolerance),
    MedicationStatement(MedicationStatement),
    Condition(Condition),
    FamilyMemberHistory(FamilyMemberHistory),
    Device(Device),
    Provenance(Provenance),
}

impl Resource {
    pub fn resource_type(&self) -> &'static str {
        match self {
            Resource::Patient(r) => r.resource_type,
            Resource::DocumentReference(r) => r.resource_type,
            Resource::AllergyIntolerance(r) => r.resource_type,
            Resource::MedicationStatement(r) => r.resource_type,
            Resource::Condition(r) => r.resource_type,
            Resource::FamilyMemberHistory(r) => r.resource_type,
            Resource::Device(r) => r.resource_type,
            Resource::Provenance(r) => r.resource_type,
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Resource::Patient(r) => &r.id,
            Resource::DocumentReference(r) => &r.id,
            Resource::AllergyIntolerance(r) => &r.id,
            Resource::MedicationStatement(r) => &r.id,
            Resource::Condition(r) => &r.id,
            Resource::FamilyMemberHistory(r) => &r.id,
            Resource::Device(r) => &r.id,
            Resource::Provenance(r) => &r.id,
        }
    }
}

/// `Bundle.entry.request`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    pub method: &'static str,
    pub url: String,
    /// Conditional create: only when no resource matches this search.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub if_none_exist: Option<String>,
}

/// `Bundle.entry`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BundleEntry {
    pub full_url: String,
    pub resource: Resource,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<Request>,
}

/// `Bundle`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    pub resource_type: &'static str,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub entry: Vec<BundleEntry>,
}

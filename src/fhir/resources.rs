//! The FHIR R4 resources chart2fhir writes, and the Bundle, as plain serde structs. Field order
//! is the serialization order, so output is stable byte for byte.

use serde::Serialize;

use super::types::*;

/// `Patient`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Patient {
    /// `resourceType`: always `"Patient"`.
    pub resource_type: &'static str,
    /// Logical id: deterministic, from the source document and the finding (see [`super::ids`]).
    pub id: String,
    /// `Patient.meta`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// `Patient.text`: a generated narrative (with `--profile us-core`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<Narrative>,
    /// `Patient.extension`: chart2fhir's evidence and conflict extensions (see [`super::EXTENSION_BASE`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `Patient.identifier`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// `Patient.name`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub name: Vec<HumanName>,
    /// `Patient.gender`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<&'static str>,
    /// `Patient.birthDate`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
}

/// `Attachment`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    /// `Attachment.contentType`.
    pub content_type: String,
    /// `Attachment.data`: the document itself, base64 (`--embed-document`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// `Attachment.url`: where the document is (a `file:` URI, with `--profile us-core`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `Attachment.size`.
    pub size: u64,
    /// `Attachment.hash`.
    pub hash: String,
    /// `Attachment.title`.
    pub title: String,
}

/// `DocumentReference.content`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DocumentContent {
    /// `DocumentReference.content.attachment`.
    pub attachment: Attachment,
}

/// `DocumentReference`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DocumentReference {
    /// `resourceType`: always `"DocumentReference"`.
    pub resource_type: &'static str,
    /// Logical id: deterministic, from the source document and the finding (see [`super::ids`]).
    pub id: String,
    /// `DocumentReference.meta` (profiles with `--profile`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// `DocumentReference.text`: a generated narrative (with `--profile us-core`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<Narrative>,
    /// `DocumentReference.extension`: chart2fhir's evidence and conflict extensions (see [`super::EXTENSION_BASE`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `DocumentReference.status`.
    pub status: &'static str,
    /// `DocumentReference.type`: the LOINC document type (with `--profile us-core`).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<CodeableConcept>,
    /// `DocumentReference.category` (with `--profile us-core`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<CodeableConcept>,
    /// `DocumentReference.subject`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Reference>,
    /// `DocumentReference.date`: when the reference was made (with `--profile us-core`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// `DocumentReference.description`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `DocumentReference.content`.
    pub content: Vec<DocumentContent>,
}

/// `AllergyIntolerance.reaction`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Reaction {
    /// `AllergyIntolerance.reaction.manifestation`.
    pub manifestation: Vec<CodeableConcept>,
    /// `AllergyIntolerance.reaction.description`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `AllergyIntolerance.reaction.severity`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<&'static str>,
}

/// `AllergyIntolerance`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AllergyIntolerance {
    /// `resourceType`: always `"AllergyIntolerance"`.
    pub resource_type: &'static str,
    /// Logical id: deterministic, from the source document and the finding (see [`super::ids`]).
    pub id: String,
    /// `AllergyIntolerance.meta` (profiles with `--profile`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// `AllergyIntolerance.text`: a generated narrative (with `--profile us-core`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<Narrative>,
    /// `AllergyIntolerance.extension`: chart2fhir's evidence and conflict extensions (see [`super::EXTENSION_BASE`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `AllergyIntolerance.clinicalStatus`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clinical_status: Option<CodeableConcept>,
    /// `AllergyIntolerance.verificationStatus`.
    pub verification_status: CodeableConcept,
    /// `AllergyIntolerance.type`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    /// `AllergyIntolerance.category`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<String>,
    /// `AllergyIntolerance.criticality`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub criticality: Option<&'static str>,
    /// `AllergyIntolerance.code`.
    pub code: CodeableConcept,
    /// `AllergyIntolerance.patient`.
    pub patient: Reference,
    /// `AllergyIntolerance.reaction`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reaction: Vec<Reaction>,
}

/// `MedicationStatement`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MedicationStatement {
    /// `resourceType`: always `"MedicationStatement"`.
    pub resource_type: &'static str,
    /// Logical id: deterministic, from the source document and the finding (see [`super::ids`]).
    pub id: String,
    /// `MedicationStatement.meta` (profiles with `--profile`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// `MedicationStatement.text`: a generated narrative (with `--profile us-core`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<Narrative>,
    /// `MedicationStatement.extension`: chart2fhir's evidence and conflict extensions (see [`super::EXTENSION_BASE`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `MedicationStatement.status`.
    pub status: &'static str,
    /// `MedicationStatement.medicationCodeableConcept`.
    pub medication_codeable_concept: CodeableConcept,
    /// `MedicationStatement.subject`.
    pub subject: Reference,
    /// `MedicationStatement.effectivePeriod`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_period: Option<Period>,
    /// `MedicationStatement.derivedFrom`.
    pub derived_from: Vec<Reference>,
    /// `MedicationStatement.dosage`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dosage: Vec<Dosage>,
}

/// `Condition.evidence`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConditionEvidence {
    /// `Condition.evidence.detail`.
    pub detail: Vec<Reference>,
}

/// `Condition`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// `resourceType`: always `"Condition"`.
    pub resource_type: &'static str,
    /// Logical id: deterministic, from the source document and the finding (see [`super::ids`]).
    pub id: String,
    /// `Condition.meta` (profiles with `--profile`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// `Condition.text`: a generated narrative (with `--profile us-core`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<Narrative>,
    /// `Condition.extension`: chart2fhir's evidence and conflict extensions (see [`super::EXTENSION_BASE`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `Condition.clinicalStatus`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clinical_status: Option<CodeableConcept>,
    /// `Condition.verificationStatus`.
    pub verification_status: CodeableConcept,
    /// `Condition.category`.
    pub category: Vec<CodeableConcept>,
    /// `Condition.code`.
    pub code: CodeableConcept,
    /// `Condition.subject`.
    pub subject: Reference,
    /// `Condition.onsetDateTime` (with `--profile us-core`, when the document gives it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub onset_date_time: Option<String>,
    /// `Condition.abatementDateTime` (with `--profile us-core`, when the document gives it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abatement_date_time: Option<String>,
    /// `Condition.evidence`.
    pub evidence: Vec<ConditionEvidence>,
}

/// `FamilyMemberHistory.condition`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FamilyCondition {
    /// `FamilyMemberHistory.condition.code`.
    pub code: CodeableConcept,
}

/// `FamilyMemberHistory`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FamilyMemberHistory {
    /// `resourceType`: always `"FamilyMemberHistory"`.
    pub resource_type: &'static str,
    /// Logical id: deterministic, from the source document and the finding (see [`super::ids`]).
    pub id: String,
    /// `FamilyMemberHistory.extension`: chart2fhir's evidence and conflict extensions (see [`super::EXTENSION_BASE`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `FamilyMemberHistory.status`.
    pub status: &'static str,
    /// `FamilyMemberHistory.patient`.
    pub patient: Reference,
    /// `FamilyMemberHistory.relationship`.
    pub relationship: CodeableConcept,
    /// `FamilyMemberHistory.condition`.
    pub condition: Vec<FamilyCondition>,
}

/// `Device.deviceName`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DeviceName {
    /// `Device.deviceName.name`.
    pub name: String,
    /// `Device.deviceName.type`.
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// `Device.version`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DeviceVersion {
    /// `Device.version.value`.
    pub value: String,
}

/// `Device` (chart2fhir itself, as the Provenance agent).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    /// `resourceType`: always `"Device"`.
    pub resource_type: &'static str,
    /// Logical id: deterministic, from the source document and the finding (see [`super::ids`]).
    pub id: String,
    /// `Device.meta` (profiles with `--profile`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// `Device.text`: a generated narrative (with `--profile us-core`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<Narrative>,
    /// `Device.deviceName`.
    pub device_name: Vec<DeviceName>,
    /// `Device.version`.
    pub version: Vec<DeviceVersion>,
}

/// `Provenance.agent`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProvenanceAgent {
    /// `Provenance.agent.type`.
    #[serde(rename = "type")]
    pub kind: CodeableConcept,
    /// `Provenance.agent.who`.
    pub who: Reference,
    /// `Provenance.agent.onBehalfOf` (with `--profile us-core`).
    #[serde(rename = "onBehalfOf", skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<Reference>,
}

/// `Provenance.entity`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProvenanceEntity {
    /// `Provenance.entity.role`.
    pub role: &'static str,
    /// `Provenance.entity.what`.
    pub what: Reference,
}

/// `Provenance`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Provenance {
    /// `resourceType`: always `"Provenance"`.
    #[serde(rename = "resourceType")]
    pub resource_type: &'static str,
    /// Logical id: deterministic, from the source document and the finding (see [`super::ids`]).
    pub id: String,
    /// `Provenance.meta` (profiles with `--profile`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// `Provenance.text`: a generated narrative (with `--profile us-core`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<Narrative>,
    /// `Provenance.target`.
    pub target: Vec<Reference>,
    /// `Provenance.recorded`.
    pub recorded: String,
    /// `Provenance.agent`.
    pub agent: Vec<ProvenanceAgent>,
    /// `Provenance.entity`.
    pub entity: Vec<ProvenanceEntity>,
}

/// `MedicationRequest` (a medication list entry as US Core shapes it: `intent=plan`,
/// `reportedBoolean=true`; with `--profile us-core`).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MedicationRequest {
    /// `resourceType`: always `"MedicationRequest"`.
    pub resource_type: &'static str,
    /// Logical id: deterministic, from the source document and the finding (see [`super::ids`]).
    pub id: String,
    /// `MedicationRequest.meta`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// `MedicationRequest.text`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<Narrative>,
    /// `MedicationRequest.extension`: chart2fhir's evidence and conflict extensions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `MedicationRequest.status`.
    pub status: &'static str,
    /// `MedicationRequest.statusReason`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<CodeableConcept>,
    /// `MedicationRequest.intent`: `plan`.
    pub intent: &'static str,
    /// `MedicationRequest.reportedBoolean`: the list was reported in a document.
    pub reported_boolean: bool,
    /// `MedicationRequest.medicationCodeableConcept`.
    pub medication_codeable_concept: CodeableConcept,
    /// `MedicationRequest.subject`.
    pub subject: Reference,
    /// `MedicationRequest.supportingInformation`: the source document.
    pub supporting_information: Vec<Reference>,
    /// `MedicationRequest.dosageInstruction`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dosage_instruction: Vec<Dosage>,
}

/// `Organization` (on whose behalf chart2fhir made the resources; with `--profile us-core`).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    /// `resourceType`: always `"Organization"`.
    pub resource_type: &'static str,
    /// Logical id: deterministic, from the name.
    pub id: String,
    /// `Organization.meta`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// `Organization.text`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<Narrative>,
    /// `Organization.active`.
    pub active: bool,
    /// `Organization.name`.
    pub name: String,
}

/// Any resource chart2fhir writes.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Resource {
    /// A Patient.
    Patient(Patient),
    /// The source document.
    DocumentReference(DocumentReference),
    /// An allergy (or "no known allergies").
    AllergyIntolerance(AllergyIntolerance),
    /// A medication.
    MedicationStatement(MedicationStatement),
    /// A medication, as US Core shapes a medication list.
    MedicationRequest(MedicationRequest),
    /// On whose behalf the resources were made.
    Organization(Organization),
    /// A condition.
    Condition(Condition),
    /// A relative's condition.
    FamilyMemberHistory(FamilyMemberHistory),
    /// chart2fhir itself.
    Device(Device),
    /// Who made the resources, from what.
    Provenance(Provenance),
}

impl Resource {
    /// The resource type (`"Patient"` …).
    pub fn resource_type(&self) -> &'static str {
        match self {
            Resource::Patient(r) => r.resource_type,
            Resource::DocumentReference(r) => r.resource_type,
            Resource::AllergyIntolerance(r) => r.resource_type,
            Resource::MedicationStatement(r) => r.resource_type,
            Resource::MedicationRequest(r) => r.resource_type,
            Resource::Organization(r) => r.resource_type,
            Resource::Condition(r) => r.resource_type,
            Resource::FamilyMemberHistory(r) => r.resource_type,
            Resource::Device(r) => r.resource_type,
            Resource::Provenance(r) => r.resource_type,
        }
    }

    /// The resource's logical id.
    pub fn id(&self) -> &str {
        match self {
            Resource::Patient(r) => &r.id,
            Resource::DocumentReference(r) => &r.id,
            Resource::AllergyIntolerance(r) => &r.id,
            Resource::MedicationStatement(r) => &r.id,
            Resource::MedicationRequest(r) => &r.id,
            Resource::Organization(r) => &r.id,
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
    /// `Bundle.entry.request.method`.
    pub method: &'static str,
    /// `Bundle.entry.request.url`.
    pub url: String,
    /// Conditional create: only when no resource matches this search.
    #[serde(skip_serializing_if = "Option::is_none")]
    /// `Bundle.entry.request.ifNoneExist`.
    pub if_none_exist: Option<String>,
}

/// `Bundle.entry`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BundleEntry {
    /// `Bundle.entry.fullUrl`.
    pub full_url: String,
    /// `Bundle.entry.resource`.
    pub resource: Resource,
    /// `Bundle.entry.request`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<Request>,
}

/// `Bundle`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    /// `resourceType`: always `"Bundle"`.
    pub resource_type: &'static str,
    /// Logical id: deterministic, from the source document and the finding (see [`super::ids`]).
    pub id: String,
    /// `Bundle.type`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `Bundle.entry`.
    pub entry: Vec<BundleEntry>,
}

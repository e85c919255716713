//! The FHIR statuses of each resource type, as types, and how a finding's assertion and
//! [`Status`] decide them (documented in `chart2fhir extract --help`):
//!
//! - AllergyIntolerance: present or historical → active/confirmed; negated → inactive/refuted;
//!   possible or hypothetical → unconfirmed; resolved → resolved; inactive → inactive.
//! - Condition: present or historical → active/confirmed ("history of hypertension" is the
//!   patient's chronic disease); resolved (a resolution or a past episode stated) → resolved;
//!   inactive → inactive; remission → remission; negated → refuted; possible or hypothetical
//!   → provisional.
//! - MedicationStatement: active; discontinued → stopped; on hold → on-hold; completed → completed;
//!   stated as taken now → active; otherwise historical, inactive or resolved → completed;
//!   negated ("not taking") → not-taken; possible or hypothetical ("consider starting") →
//!   intended.

use crate::consolidate::Finding;
use crate::context::Assertion;
use crate::mention::Role;
use crate::status::Status;

use super::types::CodeableConcept;

/// `AllergyIntolerance.clinicalStatus` (allergyintolerance-clinical).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllergyClinical {
    /// The allergy is current.
    Active,
    /// Listed as inactive, or denied.
    Inactive,
    /// Past or resolved.
    Resolved,
}

/// `AllergyIntolerance.verificationStatus` (allergyintolerance-verification).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllergyVerification {
    /// The document lists it.
    Confirmed,
    /// Possible or suspected.
    Unconfirmed,
    /// The document denies it.
    Refuted,
}

/// `Condition.clinicalStatus` (condition-clinical).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConditionClinical {
    /// On a problem or diagnosis list.
    Active,
    /// Listed as inactive.
    Inactive,
    /// A resolved-problems list, a row marked resolved, an end date.
    Resolved,
    /// "Remission".
    Remission,
}

/// `Condition.verificationStatus` (condition-ver-status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConditionVerification {
    /// The document asserts it.
    Confirmed,
    /// Possible or hypothetical.
    Provisional,
    /// The document denies it.
    Refuted,
}

/// `MedicationStatement.status` (medication-statement-status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MedicationStatus {
    /// On a medication list.
    Active,
    /// Past, given during a stay, or ended.
    Completed,
    /// Discontinued.
    Stopped,
    /// Held.
    OnHold,
    /// The document says it is not taken.
    NotTaken,
    /// Planned or considered, not (yet) taken ("consider starting metformin").
    Intended,
}

impl AllergyClinical {
    /// The FHIR code.
    pub fn as_str(self) -> &'static str {
        match self {
            AllergyClinical::Active => "active",
            AllergyClinical::Inactive => "inactive",
            AllergyClinical::Resolved => "resolved",
        }
    }
}

impl AllergyVerification {
    /// The FHIR code.
    pub fn as_str(self) -> &'static str {
        match self {
            AllergyVerification::Confirmed => "confirmed",
            AllergyVerification::Unconfirmed => "unconfirmed",
            AllergyVerification::Refuted => "refuted",
        }
    }
}

impl ConditionClinical {
    /// The FHIR code.
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionClinical::Active => "active",
            ConditionClinical::Inactive => "inactive",
            ConditionClinical::Resolved => "resolved",
            ConditionClinical::Remission => "remission",
        }
    }
}

impl ConditionVerification {
    /// The FHIR code.
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionVerification::Confirmed => "confirmed",
            ConditionVerification::Provisional => "provisional",
            ConditionVerification::Refuted => "refuted",
        }
    }
}

impl MedicationStatus {
    /// The FHIR code.
    pub fn as_str(self) -> &'static str {
        match self {
            MedicationStatus::Active => "active",
            MedicationStatus::Completed => "completed",
            MedicationStatus::Stopped => "stopped",
            MedicationStatus::OnHold => "on-hold",
            MedicationStatus::NotTaken => "not-taken",
            MedicationStatus::Intended => "intended",
        }
    }
}

/// AllergyIntolerance (clinicalStatus, verificationStatus).
pub fn allergy(f: &Finding) -> (AllergyClinical, AllergyVerification) {
    use AllergyClinical as C;
    use AllergyVerification as V;
    match (f.assertion, f.status) {
        (Assertion::Negated, _) => (C::Inactive, V::Refuted),
        (Assertion::Possible | Assertion::Hypothetical, _) => (C::Active, V::Unconfirmed),
        (_, Some(Status::Inactive)) => (C::Inactive, V::Confirmed),
        // An allergy told as history ("a rash to amoxicillin as a child") is still the
        // patient's allergy: only a stated resolution ends it.
        (_, Some(Status::Resolved)) => (C::Resolved, V::Confirmed),
        _ => (C::Active, V::Confirmed),
    }
}

/// MedicationStatement.status.
pub fn medication(f: &Finding) -> MedicationStatus {
    use MedicationStatus as M;
    match (f.assertion, f.status) {
        (Assertion::Negated, _) | (_, Some(Status::NotTaken)) => M::NotTaken,
        (Assertion::Possible | Assertion::Hypothetical, _) => M::Intended,
        (_, Some(Status::Stopped)) => M::Stopped,
        (_, Some(Status::OnHold)) => M::OnHold,
        (_, Some(Status::Completed)) => M::Completed,
        // A statement that the drug is taken now ("in remission on naltrexone") wins over
        // the history around it.
        (_, Some(Status::Active)) => M::Active,
        (Assertion::Historical, _) => M::Completed,
        (_, Some(Status::Inactive)) | (_, Some(Status::Resolved)) => M::Completed,
        _ => M::Active,
    }
}

/// Condition (clinicalStatus, verificationStatus).
pub fn condition(f: &Finding) -> (ConditionClinical, ConditionVerification) {
    use ConditionClinical as C;
    use ConditionVerification as V;
    match (f.assertion, f.status) {
        (Assertion::Negated, _) => (C::Inactive, V::Refuted),
        (Assertion::Possible | Assertion::Hypothetical, _) => (C::Active, V::Provisional),
        (_, Some(Status::Resolved)) => (C::Resolved, V::Confirmed),
        (_, Some(Status::Remission)) => (C::Remission, V::Confirmed),
        (_, Some(Status::Inactive)) => (C::Inactive, V::Confirmed),
        // "History of hypertension", a past medical history: the patient's chronic disease,
        // active unless the document tells the episode is over (a resolution, a past date).
        _ => (C::Active, V::Confirmed),
    }
}

/// The status written for a finding, in words, for the summary: the clinical status when
/// confirmed, else the verification status.
pub fn label(f: &Finding) -> &'static str {
    match f.role {
        Role::Allergy | Role::NoKnownAllergy => match allergy(f) {
            (c, AllergyVerification::Confirmed) => c.as_str(),
            (_, v) => v.as_str(),
        },
        Role::Medication => medication(f).as_str(),
        Role::Condition => match condition(f) {
            (c, ConditionVerification::Confirmed) => c.as_str(),
            (_, v) => v.as_str(),
        },
    }
}

/// A status as a CodeableConcept of its code system, with its display ("on-hold" → "On
/// hold").
pub(crate) fn concept(system: &str, code: &str) -> CodeableConcept {
    let display = {
        let mut c = code.chars();
        match c.next() {
            Some(f) => f
                .to_uppercase()
                .chain(c)
                .collect::<String>()
                .replace('-', " "),
            None => String::new(),
        }
    };
    CodeableConcept::code(system, code, &display)
}

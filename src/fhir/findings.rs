//! A finding as its resource: AllergyIntolerance (reactions, category, criticality),
//! MedicationStatement (status, effective period, dosage) and Condition, each with its
//! codings, status ([`super::status`]) and evidence.

use crate::consolidate::Finding;
use crate::dictionary::System;
use crate::mention::Role;

use super::resources::*;
use super::status;
use super::types::*;

const CLINICAL_AI: &str = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";
const VERIFY_AI: &str = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification";
const CLINICAL_COND: &str = "http://terminology.hl7.org/CodeSystem/condition-clinical";
const VERIFY_COND: &str = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
const COND_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/condition-category";

fn concept(f: &Finding) -> CodeableConcept {
    CodeableConcept {
        coding: f
            .codings
            .iter()
            .map(|c| Coding::new(c.system.uri(), &c.code, Some(&c.display)))
            .collect(),
        text: Some(collapse_ws(&f.text)),
    }
}

pub(super) fn allergy(f: &Finding, id: String, patient: &Reference) -> AllergyIntolerance {
    let nka = f.role == Role::NoKnownAllergy;
    let (clinical, verification) = status::allergy(f);
    let category = if nka {
        Vec::new()
    } else {
        f.category
            .clone()
            .or_else(|| {
                f.codings
                    .iter()
                    .any(|c| c.system == System::Rxnorm)
                    .then(|| "medication".to_string())
            })
            .into_iter()
            .collect()
    };
    let reaction = f
        .reactions
        .iter()
        .map(|r| Reaction {
            manifestation: vec![CodeableConcept {
                coding: {
                    let mut seen = std::collections::BTreeSet::new();
                    r.entries
                        .iter()
                        .filter(|e| seen.insert((e.system, e.code.clone())))
                        .map(|e| Coding::new(e.system.uri(), &e.code, Some(&e.display)))
                        .collect()
                },
                text: Some(collapse_ws(&r.text)),
            }],
            description: None,
            severity: match r.severity.as_deref() {
                Some("mild") => Some("mild"),
                Some("moderate") => Some("moderate"),
                Some("severe") => Some("severe"),
                _ => None,
            },
        })
        .collect();
    AllergyIntolerance {
        resource_type: "AllergyIntolerance",
        id,
        meta: None,
        text: None,
        extension: evidence(f),
        clinical_status: Some(status::concept(CLINICAL_AI, clinical.as_str())),
        verification_status: status::concept(VERIFY_AI, verification.as_str()),
        kind: match f.allergy_kind.as_deref() {
            Some("intolerance") => Some("intolerance"),
            Some("allergy") => Some("allergy"),
            _ => None,
        },
        category,
        criticality: match f.criticality.as_deref() {
            Some("high") => Some("high"),
            Some("low") => Some("low"),
            _ => None,
        },
        code: concept(f),
        patient: patient.clone(),
        reaction,
    }
}

fn number(v: f64) -> serde_json::Number {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        serde_json::Number::from(v as i64)
    } else {
        serde_json::Number::from_f64((v * 1000.0).round() / 1000.0).unwrap_or_else(|| 0.into())
    }
}

fn dosage(sig: &crate::attributes::medication::Sig) -> Dosage {
    let timing = sig.frequency.as_ref().map(|f| Timing {
        repeat: Some(TimingRepeat {
            frequency: Some(f.frequency),
            period: Some(number(f.period)),
            period_unit: match f.unit.as_str() {
                "h" => Some("h"),
                "d" => Some("d"),
                "wk" => Some("wk"),
                "mo" => Some("mo"),
                _ => None,
            },
            when: match f.when.as_deref() {
                Some("HS") => vec!["HS"],
                Some("MORN") => vec!["MORN"],
                Some("EVE") => vec!["EVE"],
                _ => Vec::new(),
            },
            bounds_duration: sig.duration.as_ref().map(|d| Duration {
                value: number(d.value),
                unit: d.unit.clone(),
                system: "http://unitsofmeasure.org".into(),
                code: d.ucum.clone(),
            }),
        }),
        code: f.code.as_ref().map(|c| CodeableConcept {
            coding: vec![Coding::new(
                "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation",
                c,
                None,
            )],
            text: Some(f.written.clone()),
        }),
    });
    Dosage {
        text: (!sig.text.is_empty()).then(|| sig.text.clone()),
        timing,
        as_needed_boolean: match &sig.as_needed {
            Some(None) => Some(true),
            _ => None,
        },
        as_needed_codeable_concept: match &sig.as_needed {
            Some(Some(reason)) => Some(CodeableConcept {
                coding: Vec::new(),
                text: Some(reason.clone()),
            }),
            _ => None,
        },
        route: sig.route.as_ref().map(|r| CodeableConcept {
            coding: vec![Coding::new(
                "http://snomed.info/sct",
                &r.code,
                Some(&r.display),
            )],
            text: Some(r.written.clone()),
        }),
        dose_and_rate: sig
            .dose
            .iter()
            .map(|d| DoseAndRate {
                dose_quantity: Quantity {
                    value: number(d.value),
                    unit: d.unit.clone(),
                    system: Some("http://unitsofmeasure.org".into()),
                    code: Some(d.ucum.clone()),
                },
            })
            .collect(),
    }
}

pub(super) fn medication(
    f: &Finding,
    id: String,
    patient: &Reference,
    doc: &Reference,
) -> MedicationStatement {
    let status = status::medication(f).as_str();
    let effective_period = f.dates.first().map(|start| Period {
        start: Some(start.clone()),
        end: f
            .ended
            .then(|| f.dates.iter().max().cloned())
            .flatten()
            .filter(|e| e != start),
    });
    MedicationStatement {
        resource_type: "MedicationStatement",
        id,
        meta: None,
        text: None,
        extension: evidence(f),
        status,
        medication_codeable_concept: concept(f),
        subject: patient.clone(),
        effective_period,
        derived_from: vec![doc.clone()],
        dosage: f.sigs.iter().map(dosage).collect(),
    }
}

pub(super) fn condition(
    f: &Finding,
    id: String,
    patient: &Reference,
    doc: &Reference,
) -> Condition {
    let (clinical, verification) = status::condition(f);
    Condition {
        resource_type: "Condition",
        id,
        meta: None,
        text: None,
        extension: evidence(f),
        clinical_status: Some(status::concept(CLINICAL_COND, clinical.as_str())),
        verification_status: status::concept(VERIFY_COND, verification.as_str()),
        category: vec![CodeableConcept::code(
            COND_CATEGORY,
            "problem-list-item",
            "Problem List Item",
        )],
        code: concept(f),
        subject: patient.clone(),
        onset_date_time: None,
        abatement_date_time: None,
        evidence: vec![ConditionEvidence {
            detail: vec![doc.clone()],
        }],
    }
}

/// Words as written, for display: "Shortness of\nbreath" → "Shortness of breath", ligatures
/// and compatibility forms unfolded ("ﬁndings" → "findings"). Evidence keeps the page's own
/// characters.
pub fn collapse_ws(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let s: String = s.nfkc().collect();
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The evidence extensions of a finding: one per mention, and its conflict note.
fn evidence(f: &Finding) -> Vec<Extension> {
    let mut out: Vec<Extension> = f
        .mentions
        .iter()
        .map(|m| {
            let mut parts = vec![
                Extension::integer("page", m.page as i64),
                Extension::integer("start", m.char_start as i64),
                Extension::integer("end", m.char_end as i64),
                Extension::string("text", &m.text),
            ];
            if let Some((header, _)) = &m.section {
                parts.push(Extension::string("section", header));
            }
            parts.push(Extension::code("assertion", m.decision.assertion.as_str()));
            if let Some(rule) = &m.decision.rule {
                parts.push(Extension::string("rule", rule));
            }
            if let Some(rule) = &m.status_rule {
                parts.push(Extension::string("status-rule", rule));
            }
            parts.push(Extension::decimal("confidence", m.confidence));
            Extension::complex(&format!("{EXTENSION_BASE}evidence"), parts)
        })
        .collect();
    if let Some(c) = &f.conflict {
        out.push(Extension::string(&format!("{EXTENSION_BASE}conflict"), c));
    }
    out
}

/// Escapes text for HTML / XHTML element content and attribute values (the US Core
/// narratives and the spot-check report); a control character becomes a space, so character
/// offsets into the text still hold.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

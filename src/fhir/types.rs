//! FHIR R4 data types chart2fhir writes (the resources are [`super::resources`]), as plain
//! serde structs. Field order is the serialization order, so output is stable byte for byte.

use serde::Serialize;

/// Base of chart2fhir's extension URLs.
pub const EXTENSION_BASE: &str = "http://chart2fhir.org/fhir/StructureDefinition/";

/// `Coding`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Coding {
    /// `Coding.system`.
    pub system: String,
    /// `Coding.code`.
    pub code: String,
    /// `Coding.display`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

impl Coding {
    /// A coding of `code` in `system`, with its display when given.
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
    /// `CodeableConcept.coding`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub coding: Vec<Coding>,
    /// `CodeableConcept.text`.
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
    /// `Reference.reference`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// `Reference.display`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

impl Reference {
    /// A reference to `reference` (`Patient/123`, `urn:uuid:…`).
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
    /// `Extension.url`.
    pub url: String,
    /// `Extension.extension`: chart2fhir's evidence and conflict extensions (see [`super::EXTENSION_BASE`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `Extension.valueInteger`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_integer: Option<i64>,
    /// `Extension.valueString`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_string: Option<String>,
    /// `Extension.valueCode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_code: Option<String>,
    /// `Extension.valueDecimal`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_decimal: Option<serde_json::Number>,
}

impl Extension {
    /// An extension made of other extensions (the evidence: page, start, end, text …).
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
    /// An extension with an integer value.
    pub fn integer(url: &str, v: i64) -> Extension {
        Extension {
            value_integer: Some(v),
            ..Extension::bare(url)
        }
    }
    /// An extension with a string value.
    pub fn string(url: &str, v: &str) -> Extension {
        Extension {
            value_string: Some(v.to_string()),
            ..Extension::bare(url)
        }
    }
    /// An extension with a code value.
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
    /// `Identifier.type`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<CodeableConcept>,
    /// `Identifier.system`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// `Identifier.value`.
    pub value: String,
}

/// `HumanName`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HumanName {
    /// `HumanName.extension` (data-absent-reason when the document names no patient, with
    /// `--profile us-core`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// `HumanName.text`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// `HumanName.family`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// `HumanName.given`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub given: Vec<String>,
}

/// `Meta`: the profiles a resource claims (with `--profile`) and its tags.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Meta {
    /// `Meta.profile`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub profile: Vec<String>,
    /// `Meta.tag`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tag: Vec<Coding>,
}

/// `Narrative` (a generated human-readable summary, with `--profile us-core`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Narrative {
    /// `Narrative.status`: always `generated`.
    pub status: &'static str,
    /// `Narrative.div`: XHTML.
    pub div: String,
}

/// `Quantity` (UCUM).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Quantity {
    /// `Quantity.value`.
    pub value: serde_json::Number,
    /// `Quantity.unit`.
    pub unit: String,
    /// `Quantity.system`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// `Quantity.code`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// `Dosage.doseAndRate`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DoseAndRate {
    /// `Dosage.doseAndRate.doseQuantity`.
    pub dose_quantity: Quantity,
}

/// `Timing.repeat`.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct TimingRepeat {
    /// `Timing.repeat.frequency`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency: Option<u32>,
    /// `Timing.repeat.period`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<serde_json::Number>,
    /// `Timing.repeat.periodUnit`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_unit: Option<&'static str>,
    /// `Timing.repeat.when`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub when: Vec<&'static str>,
    /// `Timing.repeat.boundsDuration`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bounds_duration: Option<Duration>,
}

/// `Duration`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Duration {
    /// `Duration.value`.
    pub value: serde_json::Number,
    /// `Duration.unit`.
    pub unit: String,
    /// `Duration.system`.
    pub system: String,
    /// `Duration.code`.
    pub code: String,
}

/// `Timing`.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Timing {
    /// `Timing.repeat`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat: Option<TimingRepeat>,
    /// `Timing.code`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeableConcept>,
}

/// `Dosage`.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Dosage {
    /// `Dosage.text`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// `Dosage.timing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timing: Option<Timing>,
    /// `Dosage.asNeededBoolean`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_needed_boolean: Option<bool>,
    /// `Dosage.asNeededCodeableConcept`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_needed_codeable_concept: Option<CodeableConcept>,
    /// `Dosage.route`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<CodeableConcept>,
    /// `Dosage.doseAndRate`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dose_and_rate: Vec<DoseAndRate>,
}

/// `Period`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Period {
    /// `Period.start`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// `Period.end`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}

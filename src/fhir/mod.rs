//! FHIR R4 output: findings → resources in a Bundle, with deterministic ids and the evidence
//! (page, character span, words as written) of every finding in an extension.

//!
//! The statuses each resource gets are in [`status`].

mod findings;
pub mod ids;
pub mod resources;
pub mod status;
pub mod types;
pub mod uscore;

use crate::consolidate::Finding;
use crate::context::Assertion;
use crate::extraction::Extraction;
use crate::mention::Role;
pub use findings::{collapse_ws, escape_html};
use resources::*;
pub use types::EXTENSION_BASE;
use types::*;

/// Bundle type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BundleKind {
    /// A set of resources to look at.
    #[default]
    Collection,
    /// Entries with `request` (PUT Type/id) for a FHIR server to apply as is.
    Transaction,
}

/// Who the resources are about.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PatientLink {
    /// A Patient resource from the document header (or a placeholder).
    #[default]
    FromDocument,
    /// An existing Patient, by reference (`Patient/123`).
    Reference(String),
    /// A Patient matched on the server by identifier (conditional create in a transaction).
    Identifier {
        /// The identifier's system (a URI).
        system: String,
        /// Its value.
        value: String,
    },
}

impl PatientLink {
    /// An existing Patient: `Patient/123`, or `123` for `Patient/123`.
    pub fn reference(id: &str) -> PatientLink {
        PatientLink::Reference(if id.contains('/') {
            id.to_string()
        } else {
            format!("Patient/{id}")
        })
    }

    /// A Patient matched by identifier, written `SYSTEM|VALUE` (neither part empty). The
    /// error says what was expected, without repeating the value (an identifier is patient
    /// data).
    pub fn identifier(written: &str) -> Result<PatientLink, String> {
        written
            .split_once('|')
            .filter(|(s, v)| !s.is_empty() && !v.is_empty())
            .map(|(system, value)| PatientLink::Identifier {
                system: system.into(),
                value: value.into(),
            })
            .ok_or_else(|| "expected SYSTEM|VALUE (a system URI, '|', the value)".to_string())
    }
}

/// How to write the bundle.
#[derive(Debug, Clone, Default)]
pub struct BundleOptions {
    /// Collection or transaction.
    pub kind: BundleKind,
    /// Who the resources are about.
    pub patient: PatientLink,
    /// Also emit negated / possible / hypothetical conditions (refuted / provisional).
    pub include_unasserted: bool,
    /// `Provenance.recorded` (an instant); deterministic by default (see the CLI).
    pub recorded: String,
    /// `--profile us-core`: US Core 7.0.0 shapes (see [`uscore`]); `None`: plain FHIR R4.
    pub us_core: Option<uscore::UsCore>,
}

/// Whether a finding goes into the bundle.
pub fn emitted(f: &Finding, include_unasserted: bool) -> bool {
    match (f.role, f.assertion) {
        (_, Assertion::Family) => false,
        (Role::Condition, Assertion::Negated | Assertion::Possible | Assertion::Hypothetical) => {
            include_unasserted
        }
        (Role::Medication, Assertion::Possible | Assertion::Hypothetical) => include_unasserted,
        _ => true,
    }
}

struct Ids {
    doc: String,
}

impl Ids {
    fn of(&self, kind: &str, key: &str) -> String {
        ids::uuid(kind, &[&self.doc, key])
    }
}

/// Builds the bundle for one document.
pub fn bundle(x: &Extraction, opts: &BundleOptions) -> Bundle {
    let ids = Ids {
        doc: x.document.sha256_hex(),
    };
    let mut entries: Vec<Resource> = Vec::new();

    // Who it is about.
    let p = &x.patient.patient;
    let (patient_ref, patient_resource) = match &opts.patient {
        PatientLink::Reference(r) => (Reference::to(r), None),
        link => {
            let identity = match link {
                PatientLink::Identifier { system, value } => format!("identifier|{system}|{value}"),
                _ if p.name.is_some() && p.birth_date.is_some() => format!(
                    "person|{}|{}|{}",
                    crate::normalize::fold::term_key(p.name.as_deref().unwrap_or("")),
                    p.birth_date.as_deref().unwrap_or(""),
                    p.mrn.as_deref().unwrap_or("")
                ),
                _ => format!("document|{}", ids.doc),
            };
            let id = ids::uuid("Patient", &[&identity]);
            let mut identifier = Vec::new();
            if let PatientLink::Identifier { system, value } = link {
                identifier.push(Identifier {
                    kind: None,
                    system: Some(system.clone()),
                    value: value.clone(),
                });
            }
            if let Some(mrn) = &p.mrn {
                identifier.push(Identifier {
                    kind: Some(CodeableConcept::code(
                        "http://terminology.hl7.org/CodeSystem/v2-0203",
                        "MR",
                        "Medical record number",
                    )),
                    system: None,
                    value: mrn.clone(),
                });
            }
            let placeholder = p.is_empty() && matches!(link, PatientLink::FromDocument);
            let resource = Patient {
                resource_type: "Patient",
                id: id.clone(),
                text: None,
                meta: placeholder.then(|| Meta {
                    profile: Vec::new(),
                    tag: vec![Coding::new(
                        &format!("{EXTENSION_BASE}tag"),
                        "placeholder-patient",
                        Some("The document names no patient; replace this placeholder or pass --patient-id"),
                    )],
                }),
                extension: Vec::new(),
                identifier,
                name: p
                    .name
                    .as_ref()
                    .map(|n| vec![human_name(n)])
                    .unwrap_or_default(),
                gender: p.gender.map(|g| g.as_str()),
                birth_date: p.birth_date.clone(),
            };
            (Reference::to(&format!("urn:uuid:{id}")), Some(resource))
        }
    };
    if let Some(r) = patient_resource {
        entries.push(Resource::Patient(r));
    }

    // The source file.
    let doc_id = ids.of("DocumentReference", "source");
    let doc_ref = Reference::to(&format!("urn:uuid:{doc_id}"));
    entries.push(Resource::DocumentReference(DocumentReference {
        resource_type: "DocumentReference",
        id: doc_id,
        meta: None,
        text: None,
        extension: vec![Extension::integer(
            &format!("{EXTENSION_BASE}page-count"),
            x.page_count as i64,
        )],
        status: "current",
        kind: None,
        category: Vec::new(),
        subject: Some(patient_ref.clone()),
        date: None,
        description: Some(format!(
            "Source document read by chart2fhir {}",
            env!("CARGO_PKG_VERSION")
        )),
        content: vec![DocumentContent {
            attachment: Attachment {
                content_type: x.document.content_type.to_string(),
                data: None,
                url: None,
                size: x.document.size,
                hash: x.document.sha1_base64(),
                title: x.document.file_name.clone(),
            },
        }],
    }));

    // The findings.
    let mut targets = Vec::new();
    for f in x
        .findings
        .iter()
        .filter(|f| emitted(f, opts.include_unasserted))
    {
        let key = f.identity();
        let resource = match f.role {
            Role::Allergy | Role::NoKnownAllergy => Resource::AllergyIntolerance(
                findings::allergy(f, ids.of("AllergyIntolerance", &key), &patient_ref),
            ),
            Role::Medication if opts.us_core.is_some() => {
                Resource::MedicationRequest(uscore::medication_request(
                    findings::medication(f, String::new(), &patient_ref, &doc_ref),
                    status::medication(f),
                    ids.of("MedicationRequest", &key),
                ))
            }
            Role::Medication => Resource::MedicationStatement(findings::medication(
                f,
                ids.of("MedicationStatement", &key),
                &patient_ref,
                &doc_ref,
            )),
            Role::Condition => {
                let mut c =
                    findings::condition(f, ids.of("Condition", &key), &patient_ref, &doc_ref);
                if opts.us_core.is_some() {
                    uscore::condition(&mut c, f);
                }
                Resource::Condition(c)
            }
        };
        targets.push(Reference::to(&format!("urn:uuid:{}", resource.id())));
        entries.push(resource);
    }

    // Who made them.
    let device_id = ids::uuid("Device", &[env!("CARGO_PKG_VERSION")]);
    entries.push(Resource::Device(Device {
        resource_type: "Device",
        id: device_id.clone(),
        meta: None,
        text: None,
        device_name: vec![DeviceName {
            name: "chart2fhir".into(),
            kind: "manufacturer-name",
        }],
        version: vec![DeviceVersion {
            value: env!("CARGO_PKG_VERSION").into(),
        }],
    }));
    if matches!(
        opts.patient,
        PatientLink::FromDocument | PatientLink::Identifier { .. }
    ) {
        targets.insert(0, patient_ref.clone());
    }
    if !targets.is_empty() {
        entries.push(Resource::Provenance(Provenance {
            resource_type: "Provenance",
            id: ids.of("Provenance", "extraction"),
            meta: None,
            text: None,
            target: targets,
            recorded: opts.recorded.clone(),
            agent: vec![ProvenanceAgent {
                kind: CodeableConcept::code(
                    "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                    "assembler",
                    "Assembler",
                ),
                who: Reference::to(&format!("urn:uuid:{device_id}")),
                on_behalf_of: None,
            }],
            entity: vec![ProvenanceEntity {
                role: "source",
                what: doc_ref.clone(),
            }],
        }));
    }

    if let Some(us) = &opts.us_core {
        uscore::finish(&mut entries, us, &opts.recorded);
    }

    let kind = opts.kind;
    Bundle {
        resource_type: "Bundle",
        id: ids.of(
            "Bundle",
            match kind {
                BundleKind::Collection => "collection",
                BundleKind::Transaction => "transaction",
            },
        ),
        kind: match kind {
            BundleKind::Collection => "collection",
            BundleKind::Transaction => "transaction",
        },
        entry: entries
            .into_iter()
            .map(|r| {
                let request = match (kind, &r, &opts.patient) {
                    (BundleKind::Collection, _, _) => None,
                    (
                        BundleKind::Transaction,
                        Resource::Patient(_),
                        PatientLink::Identifier { system, value },
                    ) => Some(Request {
                        // Conditional create: the server keeps the Patient it already has.
                        method: "POST",
                        url: "Patient".into(),
                        if_none_exist: Some(format!("identifier={system}|{value}")),
                    }),
                    (BundleKind::Transaction, r, _) => Some(Request {
                        method: "PUT",
                        url: format!("{}/{}", r.resource_type(), r.id()),
                        if_none_exist: None,
                    }),
                };
                BundleEntry {
                    full_url: format!("urn:uuid:{}", r.id()),
                    resource: r,
                    request,
                }
            })
            .collect(),
    }
}

/// The Bulk Data shape of a bundle: one NDJSON file per resource type (`Patient.ndjson` …),
/// resources in bundle order, one per line, and a Bulk Data style `manifest.json`
/// (`output[{type, url, count}]`, urls relative to the folder). References between the
/// resources are relative (`Patient/<id>`), not the bundle's `urn:uuid:` full URLs, so a
/// Bulk `$import` of the folder resolves them.
pub fn ndjson(bundle: &Bundle, transaction_time: &str) -> Vec<(String, Vec<u8>)> {
    let local: std::collections::HashMap<String, String> = bundle
        .entry
        .iter()
        .map(|e| {
            (
                e.full_url.clone(),
                format!("{}/{}", e.resource.resource_type(), e.resource.id()),
            )
        })
        .collect();
    let mut files: std::collections::BTreeMap<&str, (Vec<u8>, usize)> = Default::default();
    for e in &bundle.entry {
        let (buf, count) = files.entry(e.resource.resource_type()).or_default();
        let json = serde_json::to_string(&e.resource).expect("resource serializes");
        buf.extend_from_slice(relative_references(&json, &local).as_bytes());
        buf.push(b'\n');
        *count += 1;
    }
    let manifest = BulkManifest {
        transaction_time: transaction_time.to_string(),
        request: "chart2fhir".into(),
        requires_access_token: false,
        output: files
            .iter()
            .map(|(t, (_, count))| BulkOutput {
                kind: t.to_string(),
                url: format!("{t}.ndjson"),
                count: *count,
            })
            .collect(),
        error: Vec::new(),
    };
    let mut out: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .map(|(t, (b, _))| (format!("{t}.ndjson"), b))
        .collect();
    let mut m = serde_json::to_vec_pretty(&manifest).expect("manifest serializes");
    m.push(b'\n');
    out.push((BULK_MANIFEST.to_string(), m));
    out
}

/// The name of the Bulk Data manifest in an NDJSON folder.
pub const BULK_MANIFEST: &str = "manifest.json";

/// A Bulk Data export manifest (the shape `$import` reads).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BulkManifest {
    /// When the data was made (`Provenance.recorded`).
    pub transaction_time: String,
    /// What made it.
    pub request: String,
    /// Always false: the files are local.
    pub requires_access_token: bool,
    /// One entry per file.
    pub output: Vec<BulkOutput>,
    /// Always empty.
    pub error: Vec<BulkOutput>,
}

/// One file of a Bulk Data manifest.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct BulkOutput {
    /// The resource type in the file.
    #[serde(rename = "type")]
    pub kind: String,
    /// The file, relative to the manifest.
    pub url: String,
    /// Resources in the file.
    pub count: usize,
}

/// Rewrites every `reference` (in compact JSON) that names a bundle entry's full URL to
/// `Type/id`. A `"reference":"` with bare quotes cannot occur inside a string value (quotes
/// there are escaped), so this sees only the references themselves.
fn relative_references(json: &str, local: &std::collections::HashMap<String, String>) -> String {
    const KEY: &str = "\"reference\":\"";
    let mut out = String::with_capacity(json.len());
    let mut rest = json;
    while let Some(i) = rest.find(KEY) {
        let (head, tail) = rest.split_at(i + KEY.len());
        out.push_str(head);
        let end = tail.find('"').unwrap_or(tail.len());
        let value = &tail[..end];
        out.push_str(local.get(value).map_or(value, String::as_str));
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

fn human_name(n: &str) -> HumanName {
    let (family, given) = if let Some((fam, giv)) = n.split_once(',') {
        (
            Some(fam.trim().to_string()),
            giv.split_whitespace().map(str::to_string).collect(),
        )
    } else {
        let mut words: Vec<String> = n.split_whitespace().map(str::to_string).collect();
        let family = words.pop();
        (family, words)
    };
    HumanName {
        extension: Vec::new(),
        text: n.to_string(),
        family,
        given,
    }
}

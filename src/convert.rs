//! One input, end to end: a file and the options in, its output (a bundle, Bulk Data NDJSON
//! files or the summary table) and what was learnt about it out. `chart2fhir extract` and
//! every batch job make this one call, so they cannot disagree about how a document is read,
//! when a packet is refused, or what a bundle holds.
//!
//! ```no_run
//! use chart2fhir::convert::{self, Options};
//! let extractor = chart2fhir::Extractor::default();
//! let conversion = convert::convert(&extractor, "packet.pdf".as_ref(), &Options::default());
//! let converted = conversion.result?;
//! converted.output.write_atomic("packet.json".as_ref())?;
//! # Ok::<(), chart2fhir::Error>(())
//! ```

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, enter_stage};
use crate::extraction::Extraction;
use crate::fhir::{self, BundleKind, BundleOptions, PatientLink};
use crate::ingest::{self, IngestOptions};
use crate::mention::Role;
use crate::pipeline::Extractor;
use crate::sink::{write_atomic, write_atomic_unsynced, write_dir_atomic};

/// What to make of one input.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// How to read it: OCR, limits.
    pub ingest: IngestOptions,
    /// What to write.
    pub format: Format,
    /// The bundle's type.
    pub bundle: BundleKind,
    /// Who the resources are about.
    pub patient: PatientLink,
    /// Also write negated and possible conditions (refuted / provisional).
    pub include_unasserted: bool,
    /// Write the output even when the document's headers name different patients.
    pub allow_multiple_patients: bool,
    /// `Provenance.recorded`; `None`: `$SOURCE_DATE_EPOCH`, else the file's modification time
    /// (see [`default_recorded`]).
    pub recorded: Option<String>,
    /// `--profile us-core`: US Core 7.0.0 shapes (see [`fhir::uscore`]); `None`: plain R4.
    pub us_core: Option<fhir::uscore::UsCoreOptions>,

    /// Also make the HTML spot-check report ([`crate::report::html`]); scanned pages keep
    /// their images for it.
    pub report: bool,
}

/// The shape of the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// One bundle, pretty-printed JSON.
    #[default]
    Json,
    /// Bulk Data: one NDJSON file per resource type.
    Ndjson,
    /// The summary table: what was found, on which page, with what status and why.
    Summary,
}

/// An output, in memory until written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// A bundle (JSON, with a final line break).
    Json(Vec<u8>),
    /// NDJSON files by name (`Patient.ndjson` …).
    Ndjson(Vec<(String, Vec<u8>)>),
    /// The summary table.
    Summary(String),
}

impl Output {
    /// Writes the output atomically to `path`: a file, or for NDJSON a folder of files.
    pub fn write_atomic(&self, path: &Path) -> Result<()> {
        match self {
            Output::Json(bytes) => write_atomic(path, bytes),
            Output::Ndjson(files) => write_dir_atomic(path, files),
            Output::Summary(text) => write_atomic(path, text.as_bytes()),
        }
    }

    /// As [`Output::write_atomic`], without waiting for a bundle to reach the disk: batch
    /// syncs its output file system once at the end ([`crate::sink::sync_folder`]).
    pub fn write_unsynced(&self, path: &Path) -> Result<()> {
        match self {
            Output::Json(bytes) => write_atomic_unsynced(path, bytes),
            _ => self.write_atomic(path),
        }
    }

    /// The output as one stream of bytes (NDJSON files one after another, without the
    /// manifest), for standard output.
    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            Output::Json(bytes) => bytes,
            Output::Ndjson(files) => files
                .into_iter()
                .filter(|(name, _)| name != fhir::BULK_MANIFEST)
                .flat_map(|(_, b)| b)
                .collect(),
            Output::Summary(text) => text.into_bytes(),
        }
    }
}

/// Findings written, per kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// AllergyIntolerance resources (not counting "no known allergies").
    pub allergies: usize,
    /// MedicationStatement resources.
    pub medications: usize,
    /// Condition resources.
    pub conditions: usize,
}

/// What is known about an input once it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFacts {
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// Pages read.
    pub pages: usize,
}

/// An input's output and what it holds.
#[derive(Debug, Clone)]
pub struct Converted {
    /// The output, to write or print.
    pub output: Output,
    /// Findings written, per kind.
    pub counts: Counts,
    /// The HTML spot-check report, when asked for.
    pub report: Option<String>,
}

/// What became of one input: what is known about it (once read), and its output or why
/// there is none.
#[derive(Debug)]
pub struct Conversion {
    /// Size, hash and pages, when the input could be read.
    pub source: Option<SourceFacts>,
    /// The output, or the error (naming the file, never its text).
    pub result: Result<Converted>,
}

/// Reads `path`, extracts its findings and renders them as `options` ask.
///
/// A panic in any stage becomes [`Error::Internal`] for this input (naming the stage, never
/// the document's text), so one bad input cannot stop the program or a batch.
pub fn convert(extractor: &Extractor, path: &Path, options: &Options) -> Conversion {
    let mut source = None;
    let result = crate::error::contain(path, || {
        convert_steps(extractor, path, options, &mut source)
    });
    Conversion { source, result }
}

/// [`convert`]'s stages, each marked for [`crate::error::contain`]; `source` is filled in as
/// soon as the input was read.
fn convert_steps(
    extractor: &Extractor,
    path: &Path,
    options: &Options,
    source: &mut Option<SourceFacts>,
) -> Result<Converted> {
    enter_stage("ingest");
    let ingest_options = IngestOptions {
        page_images: options.ingest.page_images || options.report,
        ..options.ingest.clone()
    };
    let doc = ingest::read(path, &ingest_options)?;
    *source = Some(SourceFacts {
        size: doc.source.size,
        sha256: doc.source.sha256_hex(),
        pages: doc.pages.len(),
    });
    let extraction = extractor.extract(&doc);
    enter_stage("us-core");
    let us_core = match &options.us_core {
        None => None,
        Some(o) => Some(us_core(path, &doc, o)?),
    };
    enter_stage("report");
    let report = options.report.then(|| {
        crate::report::html::render(
            &doc,
            &extraction,
            &crate::report::html::ReportOptions {
                include_unasserted: options.include_unasserted,
                allow_multiple_patients: options.allow_multiple_patients,
            },
        )
    });
    drop(doc);
    enter_stage("render");
    render(path, &extraction, options, us_core).map(|mut c| {
        c.report = report;
        c
    })
}

/// What the US Core shapes need from the document itself: its type (from the title on its
/// first page), and its `file:` URL or, with `--embed-document`, its bytes.
fn us_core(
    path: &Path,
    doc: &ingest::Document,
    options: &fhir::uscore::UsCoreOptions,
) -> Result<fhir::uscore::UsCore> {
    use base64::Engine;
    let data = if options.embed_document {
        let bytes = std::fs::read(path).map_err(|e| Error::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        Some(base64::engine::general_purpose::STANDARD.encode(bytes))
    } else {
        None
    };
    Ok(fhir::uscore::UsCore {
        options: options.clone(),
        document_type: fhir::uscore::document_type(
            doc.pages.first().map_or("", |p| p.text.as_str()),
        ),
        url: Some(fhir::uscore::file_uri(path)),
        data,
    })
}

/// The output of an extraction, unless its headers name different patients.
fn render(
    path: &Path,
    x: &Extraction,
    options: &Options,
    us_core: Option<fhir::uscore::UsCore>,
) -> Result<Converted> {
    if let (Some(conflict), false) = (&x.patient.conflict, options.allow_multiple_patients) {
        return Err(Error::Patient {
            path: path.to_path_buf(),
            detail: format!(
                "{conflict}; the packet may mix two people's records. Nothing was written. \
                 Check the document, or pass --allow-multiple-patients to write it anyway."
            ),
        });
    }
    let counts = counts(x, options.include_unasserted);
    let output = match options.format {
        Format::Summary => Output::Summary(crate::report::summary::render(
            x,
            options.include_unasserted,
        )),
        format => {
            let recorded = options
                .recorded
                .clone()
                .unwrap_or_else(|| default_recorded(x.document.modified));
            let bundle = fhir::bundle(
                x,
                &BundleOptions {
                    kind: options.bundle,
                    patient: options.patient.clone(),
                    include_unasserted: options.include_unasserted,
                    recorded: recorded.clone(),
                    us_core,
                },
            );
            if format == Format::Ndjson {
                Output::Ndjson(fhir::ndjson(&bundle, &recorded))
            } else {
                let mut bytes = serde_json::to_vec_pretty(&bundle).expect("bundle serializes");
                bytes.push(b'\n');
                Output::Json(bytes)
            }
        }
    };
    Ok(Converted {
        output,
        counts,
        report: None,
    })
}

/// The findings a bundle of `x` holds, per kind.
fn counts(x: &Extraction, include_unasserted: bool) -> Counts {
    let mut counts = Counts::default();
    for f in x
        .findings
        .iter()
        .filter(|f| fhir::emitted(f, include_unasserted))
    {
        match f.role {
            Role::Allergy => counts.allergies += 1,
            Role::Medication => counts.medications += 1,
            Role::Condition => counts.conditions += 1,
            Role::NoKnownAllergy => {}
        }
    }
    counts
}

/// `Provenance.recorded` when not given: `$SOURCE_DATE_EPOCH`, else the file's modification
/// time, so the same file always gives the same bytes.
pub fn default_recorded(modified: Option<i64>) -> String {
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .or(modified)
        .unwrap_or(0);
    crate::instant(epoch)
}

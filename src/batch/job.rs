//! One input, start to finish: read, extract, write the output atomically, and say what
//! happened. Used in-process and inside worker processes alike.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::fhir::{self, BundleOptions, PatientLink};
use crate::ingest::{self, IngestOptions};
use crate::mention::Role;
use crate::pipeline::Extractor;

use super::inputs::Job;
use super::sink::{write_atomic, write_dir_atomic};

/// Output shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// One bundle per input: `<out>/<relative path>.json`.
    #[default]
    Json,
    /// Bulk Data: `<out>/<relative path>.ndjson/<ResourceType>.ndjson`.
    Ndjson,
}

/// Settings shared by every job of a batch.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct JobOptions {
    pub out_dir: PathBuf,
    pub format: Format,
    pub transaction: bool,
    pub include_unasserted: bool,
    pub allow_multiple_patients: bool,
    /// A fixed `Provenance.recorded`; else `$SOURCE_DATE_EPOCH`, else the file's mtime.
    pub recorded: Option<String>,
    pub max_pages: usize,
    pub max_stream_bytes: usize,
    pub max_file_bytes: u64,
    /// OCR for pages without a text layer.
    pub ocr: ingest::OcrMode,
    /// Pages OCR'd at once within one input (1 in batch: inputs already run in parallel).
    pub ocr_threads: usize,
}

/// How one input ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Written,
    Failed,
    Skipped,
}

/// Findings per kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub allergies: usize,
    pub medications: usize,
    pub conditions: usize,
}

/// One line of the batch manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub input: String,
    pub size: Option<u64>,
    pub sha256: Option<String>,
    pub status: Status,
    /// Why it failed or was skipped (names files and pages, never document text).
    pub reason: Option<String>,
    /// A stable label for the failure (io, empty, bad-pdf, encrypted, needs-ocr, limit, timeout, crash …).
    pub error: Option<String>,
    pub pages: Option<usize>,
    pub counts: Option<Counts>,
    pub output: Option<String>,
    pub elapsed_ms: u64,
}

impl Outcome {
    pub fn failed(input: &Path, error: &str, reason: String, elapsed_ms: u64) -> Outcome {
        Outcome {
            input: input.display().to_string(),
            size: std::fs::metadata(input).ok().map(|m| m.len()),
            sha256: None,
            status: Status::Failed,
            reason: Some(reason),
            error: Some(error.to_string()),
            pages: None,
            counts: None,
            output: None,
            elapsed_ms,
        }
    }
}

/// Where a job's output goes.
pub fn output_path(opts: &JobOptions, relative: &Path) -> PathBuf {
    let mut name = relative.as_os_str().to_os_string();
    name.push(match opts.format {
        Format::Json => ".json",
        Format::Ndjson => ".ndjson",
    });
    opts.out_dir.join(name)
}

/// Runs one job.
pub fn run(extractor: &Extractor, job: &Job, opts: &JobOptions) -> Outcome {
    let started = Instant::now();
    let ms = || started.elapsed().as_millis() as u64;
    let ingest_opts = IngestOptions {
        max_pages: opts.max_pages,
        max_stream_bytes: opts.max_stream_bytes,
        max_file_bytes: opts.max_file_bytes,
        ocr: opts.ocr,
        ocr_threads: opts.ocr_threads.max(1),
    };
    let doc = match ingest::read(&job.path, &ingest_opts) {
        Ok(d) => d,
        Err(e) => return Outcome::failed(&job.path, e.kind(), e.to_string(), ms()),
    };
    let x = extractor.extract(&doc);
    let sha256 = Some(doc.source.sha256_hex());
    let size = Some(doc.source.size);
    let pages = Some(doc.pages.len());
    drop(doc);
    if let (Some(conflict), false) = (&x.patient.conflict, opts.allow_multiple_patients) {
        let mut o = Outcome::failed(
            &job.path,
            "patient",
            format!(
                "{}: {conflict}; nothing was written (--allow-multiple-patients overrides)",
                job.path.display()
            ),
            ms(),
        );
        o.sha256 = sha256;
        o.pages = pages;
        return o;
    }
    let patient = match &job.patient_identifier {
        Some(ident) => match ident.split_once('|') {
            Some((s, v)) if !s.is_empty() && !v.is_empty() => PatientLink::Identifier {
                system: s.into(),
                value: v.into(),
            },
            _ => PatientLink::FromDocument,
        },
        None => PatientLink::FromDocument,
    };
    let bundle_opts = BundleOptions {
        kind: if opts.transaction {
            fhir::BundleKind::Transaction
        } else {
            fhir::BundleKind::Collection
        },
        patient,
        include_unasserted: opts.include_unasserted,
        recorded: opts
            .recorded
            .clone()
            .unwrap_or_else(|| default_recorded(x.document.modified)),
    };
    let bundle = fhir::bundle(&x, &bundle_opts);
    let mut counts = Counts::default();
    for f in x
        .findings
        .iter()
        .filter(|f| fhir::emitted(f, opts.include_unasserted))
    {
        match f.role {
            Role::Allergy => counts.allergies += 1,
            Role::Medication => counts.medications += 1,
            Role::Condition => counts.conditions += 1,
            Role::NoKnownAllergy => {}
        }
    }
    let out = output_path(opts, &job.relative);
    let written = match opts.format {
        Format::Json => {
            let mut bytes = serde_json::to_vec_pretty(&bundle).expect("bundle serializes");
            bytes.push(b'\n');
            write_atomic(&out, &bytes)
        }
        Format::Ndjson => write_dir_atomic(&out, &fhir::ndjson(&bundle)),
    };
    if let Err(e) = written {
        let mut o = Outcome::failed(&job.path, e.kind(), e.to_string(), ms());
        o.sha256 = sha256;
        return o;
    }
    Outcome {
        input: job.path.display().to_string(),
        size,
        sha256,
        status: Status::Written,
        reason: None,
        error: None,
        pages,
        counts: Some(counts),
        output: Some(out.display().to_string()),
        elapsed_ms: ms(),
    }
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

//! One batch job: an input converted ([`crate::convert`]), its output written atomically
//! under the output folder, and the manifest line saying what happened. Used in-process and
//! inside worker processes alike.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::convert::{self, SourceFacts};
pub use crate::convert::{Counts, default_recorded};
use crate::error::Error;
use crate::fhir::{BundleKind, PatientLink};
use crate::ingest::{self, IngestOptions};
use crate::pipeline::Extractor;

use super::inputs::Job;

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
    /// The output folder.
    pub out_dir: PathBuf,
    /// Output shape.
    pub format: Format,
    /// Transaction bundles (else collections).
    pub transaction: bool,
    /// Also write negated and possible conditions.
    pub include_unasserted: bool,
    /// Write bundles even when a document's headers name different patients.
    pub allow_multiple_patients: bool,
    /// A fixed `Provenance.recorded`; else `$SOURCE_DATE_EPOCH`, else the file's mtime.
    pub recorded: Option<String>,
    /// `--profile us-core`: US Core 7.0.0 shapes; `None`: plain FHIR R4.
    #[serde(default)]
    pub us_core: Option<crate::fhir::uscore::UsCoreOptions>,
    /// Refuse inputs with more pages than this.
    pub max_pages: usize,
    /// Refuse any PDF stream that inflates beyond this many bytes.
    pub max_stream_bytes: usize,
    /// Refuse inputs larger than this many bytes.
    pub max_file_bytes: u64,
    /// OCR for pages without a text layer.
    pub ocr: ingest::OcrMode,
    /// Pages OCR'd at once within one input (1 in batch: inputs already run in parallel).
    pub ocr_threads: usize,
    /// Also write each input's HTML spot-check report (`<out>/<relative path>.html`).
    #[serde(default)]
    pub report: bool,
}

/// What a manifest line says about a joined patient (see [`super::patients`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientJoin {
    /// The shared Patient id.
    pub id: String,
    /// The other inputs whose Patient is this one.
    pub joined_with: Vec<String>,
    /// Why (which facts agreed; never their values).
    pub why: String,
}

/// How one input ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The output was written.
    Written,
    /// No output: the reason says why.
    Failed,
    /// Its output was already there for the same content.
    Skipped,
}

/// One line of the batch manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// The input path.
    pub input: String,
    /// Size in bytes, when known.
    pub size: Option<u64>,
    /// SHA-256 of the file, hex, once read.
    pub sha256: Option<String>,
    /// How it ended.
    pub status: Status,
    /// Why it failed or was skipped (names files and pages, never document text).
    pub reason: Option<String>,
    /// A stable label for the failure (io, empty, bad-pdf, encrypted, needs-ocr, limit, timeout, crash …).
    pub error: Option<String>,
    /// Pages read.
    pub pages: Option<usize>,
    /// Findings written, per kind.
    pub counts: Option<Counts>,
    /// Where the output went.
    pub output: Option<String>,
    /// Where its spot-check report went (`batch --report`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<String>,
    /// Wall-clock time spent on it.
    pub elapsed_ms: u64,
    /// Its Patient is another input's too (see [`super::patients`]): the shared id, the
    /// other inputs and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient: Option<PatientJoin>,
}

impl Outcome {
    /// A failed input's line: its label (`error`) and reason.
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
            report: None,
            elapsed_ms,
            patient: None,
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

/// Where a job's spot-check report goes (`batch --report`).
pub fn report_path(opts: &JobOptions, relative: &Path) -> PathBuf {
    let mut name = relative.as_os_str().to_os_string();
    name.push(".html");
    opts.out_dir.join(name)
}

/// Runs one job: the one conversion of [`crate::convert`], its output written under the
/// output folder, and the manifest line saying how it ended.
pub fn run(extractor: &Extractor, job: &Job, opts: &JobOptions) -> Outcome {
    let started = Instant::now();
    let ms = || started.elapsed().as_millis() as u64;
    if let Some(problem) = &job.problem {
        return Outcome::failed(&job.path, "manifest", problem.clone(), ms());
    }
    let patient = match job
        .patient_identifier
        .as_deref()
        .map(PatientLink::identifier)
    {
        None => PatientLink::FromDocument,
        Some(Ok(link)) => link,
        Some(Err(why)) => {
            let reason = format!("{}: patient identifier: {why}", job.path.display());
            return Outcome::failed(&job.path, "manifest", reason, ms());
        }
    };
    let options = convert::Options {
        ingest: IngestOptions {
            max_pages: opts.max_pages,
            max_stream_bytes: opts.max_stream_bytes,
            max_file_bytes: opts.max_file_bytes,
            ocr: opts.ocr,
            ocr_threads: opts.ocr_threads.max(1),
            page_images: false,
        },
        format: match opts.format {
            Format::Json => convert::Format::Json,
            Format::Ndjson => convert::Format::Ndjson,
        },
        bundle: if opts.transaction {
            BundleKind::Transaction
        } else {
            BundleKind::Collection
        },
        patient,
        include_unasserted: opts.include_unasserted,
        allow_multiple_patients: opts.allow_multiple_patients,
        recorded: opts.recorded.clone(),
        us_core: opts.us_core.clone(),
        report: opts.report,
    };
    let conversion = convert::convert(extractor, &job.path, &options);
    let source = conversion.source;
    let failed = |e: Error, source: Option<&SourceFacts>, pages: bool| {
        let mut o = Outcome::failed(&job.path, e.kind(), e.to_string(), ms());
        o.sha256 = source.map(|s| s.sha256.clone());
        o.pages = source.filter(|_| pages).map(|s| s.pages);
        o
    };
    let converted = match conversion.result {
        Ok(c) => c,
        Err(e) => return failed(e, source.as_ref(), true),
    };
    let out = output_path(opts, &job.relative);
    // The report first: an output on disk means its report is there too (resume skips it).
    let report = match &converted.report {
        Some(html) => {
            let path = report_path(opts, &job.relative);
            if let Err(e) = crate::sink::write_atomic(&path, html.as_bytes()) {
                return failed(e, source.as_ref(), false);
            }
            Some(path.display().to_string())
        }
        None => None,
    };
    if let Err(e) = converted.output.write_unsynced(&out) {
        return failed(e, source.as_ref(), false);
    }
    Outcome {
        input: job.path.display().to_string(),
        size: source.as_ref().map(|s| s.size),
        sha256: source.as_ref().map(|s| s.sha256.clone()),
        status: Status::Written,
        reason: None,
        error: None,
        pages: source.as_ref().map(|s| s.pages),
        counts: Some(converted.counts),
        output: Some(out.display().to_string()),
        report,
        elapsed_ms: ms(),
        patient: None,
    }
}

//! Typed errors: what went wrong, with which file (and page, where it applies).
//!
//! Messages name files and pages, never document text: documents are patient data.

use std::path::PathBuf;

/// Why one input could not be turned into a bundle.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read from disk.
    #[error("{path}: cannot read the file: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file has no bytes at all.
    #[error("{path}: the file is empty")]
    Empty { path: PathBuf },
    /// Neither a PDF nor a text record.
    #[error("{path}: not a PDF or a text record ({detail})")]
    UnknownType { path: PathBuf, detail: String },
    /// The PDF structure could not be read.
    #[error("{path}: damaged or unreadable PDF ({detail})")]
    BadPdf { path: PathBuf, detail: String },
    /// The PDF is encrypted and opening it needs a password.
    #[error("{path}: the PDF is encrypted and needs a password to open")]
    Encrypted { path: PathBuf },
    /// Pages without a text layer and no OCR available or allowed.
    #[error("{path}: {count} of {total} page(s) have no text layer and need OCR ({pages}); {hint}")]
    NeedsOcr {
        path: PathBuf,
        count: usize,
        total: usize,
        pages: String,
        hint: String,
    },
    /// OCR ran but failed on a page.
    #[error("{path}: OCR failed on page {page}: {detail}")]
    Ocr {
        path: PathBuf,
        page: u32,
        detail: String,
    },
    /// A resource limit was hit (pages, decompressed size, time).
    #[error("{path}: {detail}")]
    Limit { path: PathBuf, detail: String },
    /// A problem with the patient identity (e.g. two patients in one packet).
    #[error("{path}: {detail}")]
    Patient { path: PathBuf, detail: String },
    /// A dictionary file given with `--dict` is malformed.
    #[error("{path}:{line}: {detail}")]
    Dictionary {
        path: PathBuf,
        line: usize,
        detail: String,
    },
    /// Writing an output failed.
    #[error("{path}: cannot write output: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// A short stable label for the kind of failure, for manifests and summaries.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Io { .. } => "io",
            Error::Empty { .. } => "empty",
            Error::UnknownType { .. } => "unknown-type",
            Error::BadPdf { .. } => "bad-pdf",
            Error::Encrypted { .. } => "encrypted",
            Error::NeedsOcr { .. } => "needs-ocr",
            Error::Ocr { .. } => "ocr",
            Error::Limit { .. } => "limit",
            Error::Patient { .. } => "patient",
            Error::Dictionary { .. } => "dictionary",
            Error::Write { .. } => "write",
        }
    }
}

/// Result with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

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
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The file has no bytes at all.
    #[error("{path}: the file is empty")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// Neither a PDF nor a text record.
    #[error("{path}: not a PDF or a text record ({detail})")]
    UnknownType {
        /// The file.
        path: PathBuf,
        /// What it looks like instead.
        detail: String,
    },
    /// The PDF structure could not be read.
    #[error("{path}: damaged or unreadable PDF ({detail})")]
    BadPdf {
        /// The file.
        path: PathBuf,
        /// What could not be read.
        detail: String,
    },
    /// The PDF is encrypted and opening it needs a password.
    #[error("{path}: the PDF is encrypted and needs a password to open")]
    Encrypted {
        /// The file.
        path: PathBuf,
    },
    /// Pages without a text layer and no OCR available or allowed.
    #[error("{path}: {count} of {total} page(s) have no text layer and need OCR ({pages}); {hint}")]
    NeedsOcr {
        /// The file.
        path: PathBuf,
        /// Pages without a text layer.
        count: usize,
        /// Pages in the file.
        total: usize,
        /// Which pages ("page 1-12").
        pages: String,
        /// What to do (install Tesseract, allow OCR).
        hint: String,
    },
    /// OCR ran but failed on a page.
    #[error("{path}: OCR failed on page {page}: {detail}")]
    Ocr {
        /// The file.
        path: PathBuf,
        /// The page.
        page: u32,
        /// What Tesseract or the renderer said.
        detail: String,
    },
    /// A resource limit was hit (pages, decompressed size, time).
    #[error("{path}: {detail}")]
    Limit {
        /// The file.
        path: PathBuf,
        /// Which limit, and by how much.
        detail: String,
    },
    /// A problem with the patient identity (e.g. two patients in one packet).
    #[error("{path}: {detail}")]
    Patient {
        /// The file.
        path: PathBuf,
        /// Which pages disagree (never the names).
        detail: String,
    },
    /// A dictionary file given with `--dict` is malformed.
    #[error("{path}:{line}: {detail}")]
    Dictionary {
        /// The table.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with the row.
        detail: String,
    },
    /// Writing an output failed.
    #[error("{path}: cannot write output: {source}")]
    Write {
        /// Where the output was going.
        path: PathBuf,
        /// What the system said.
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

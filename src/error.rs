//! Typed errors: what went wrong, with which file (and page, where it applies).
//!
//! Messages name files and pages, never document text: documents are patient data.

use std::cell::{Cell, RefCell};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

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
    /// A bug: a stage of chart2fhir panicked on this input. The input is skipped; the message
    /// names the stage and the source line, never the panic's own text (it may quote the
    /// document).
    #[error(
        "{path}: internal error in stage {stage} (at {at}); the file was skipped. This is a bug \
         in chart2fhir: report it with the stage and the file's SHA-256, never the file"
    )]
    Internal {
        /// The file.
        path: PathBuf,
        /// The stage that failed ("ingest", "sections" …).
        stage: &'static str,
        /// Where in chart2fhir's source (`src/sections.rs:493`).
        at: String,
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
            Error::Internal { .. } => "internal",
        }
    }
}

/// Result with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

thread_local! {
    /// The stage this thread is in, and where the last panic in it happened.
    static STAGE: Cell<&'static str> = const { Cell::new("start") };
    static PANIC_AT: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Marks the stage this thread is entering, so that a panic in it is reported as a failure
/// of that stage (see [`contain`]).
pub fn enter_stage(stage: &'static str) {
    STAGE.with(|s| s.set(stage));
    // Debug builds only: the tests make a stage panic (with a message that quotes "document
    // text") to check that the panic is contained and its message never printed.
    #[cfg(debug_assertions)]
    if std::env::var_os("CHART2FHIR_TEST_PANIC_IN").is_some_and(|s| s == stage) {
        panic!("injected panic in {stage}: Patient: Alice Example, DOB 01/02/1970");
    }
}

/// Runs `f` (all the work on one input), turning a panic anywhere in it into
/// [`Error::Internal`] for `path`: no input can take the program, or the other inputs of a
/// batch, down with it.
pub fn contain<T>(path: &Path, f: impl FnOnce() -> Result<T>) -> Result<T> {
    enter_stage("start");
    PANIC_AT.with(|a| a.borrow_mut().clear());
    let result = std::panic::catch_unwind(AssertUnwindSafe(f));
    let stage = STAGE.with(|s| s.replace("start"));
    result.unwrap_or_else(|_| {
        let at = PANIC_AT.with(|a| std::mem::take(&mut *a.borrow_mut()));
        Err(Error::Internal {
            path: path.to_path_buf(),
            stage,
            at: if at.is_empty() { "unknown".into() } else { at },
        })
    })
}

/// Replaces the default panic hook, which prints the panic's message (it may quote document
/// text: "byte index 13 is not a char boundary … of `<the line>`"), with one that prints only
/// the stage and the source line, and remembers them for [`contain`]. `quiet`: print nothing
/// (a batch worker process, whose parent reports the failure).
pub fn install_panic_hook(quiet: bool) {
    std::panic::set_hook(Box::new(move |info| {
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let stage = STAGE.with(Cell::get);
        if !quiet {
            eprintln!(
                "chart2fhir: internal error in stage {stage} (at {at}); its message is withheld \
                 because it may quote the document"
            );
        }
        PANIC_AT.with(|a| {
            if let Ok(mut a) = a.try_borrow_mut() {
                *a = at;
            }
        });
    }));
}

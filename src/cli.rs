//! The command line: subcommands, flags and their help (clap), and how flags map onto the
//! library's options.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use chart2fhir::fhir::BundleKind;
use chart2fhir::ingest;

pub(crate) const STATUS_HELP: &str = "\
What the statuses in the output mean:
  AllergyIntolerance   active/confirmed: the document lists the allergy
                       refuted: the document denies it (\"no allergy to penicillin\")
                       unconfirmed: possible / suspected
                       resolved: past or resolved allergy
                       code 716186003 / 409137002: \"no known (drug) allergies\"
  Condition            active/confirmed: on a problem list or diagnosis list
                       inactive: past medical history, \"history of\"
                       resolved: a resolved-problems list or a row marked resolved
                       refuted / provisional: negated or possible conditions, only with
                       --include-unasserted (left out by default)
  MedicationStatement  active: on a medication list
                       stopped: under discontinued medications or marked stopped
                       completed: past, or given during a stay (administered)
                       not-taken: the document says it is not taken
Conditions of relatives (family history) are never written as the patient's.
Every resource carries its evidence (page, character span, words as written, section,
the rule that decided its status) in extensions under
http://chart2fhir.org/fhir/StructureDefinition/.";

#[derive(Parser)]
#[command(
    name = "chart2fhir",
    version,
    about = "Clinical documents (PDF, fax/OCR text) in, coded FHIR R4 allergies, medications and conditions out.",
    long_about = "Clinical documents (PDF packets with a text layer, fax / OCR text records) in, \
coded FHIR R4 allergies, medications and conditions out, every finding traceable to its page \
and words. Runs offline; never prints document text except where you ask for it \
(--summary, `text`)."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Read one document and write its FHIR R4 bundle (JSON) or a summary.
    #[command(after_long_help = STATUS_HELP)]
    Extract(ExtractArgs),
    /// Print the text chart2fhir reads from a document, page by page (evidence spans are
    /// character offsets into these page texts).
    Text {
        /// The document (PDF or .txt).
        file: PathBuf,
        /// Only this page.
        #[arg(long)]
        page: Option<u32>,
    },
    /// Read many documents (files, folders, a manifest) in parallel; one output per input,
    /// a manifest of what became of each, resumable.
    #[command(after_long_help = BATCH_HELP)]
    Batch(BatchArgs),
    /// Write a spot-check report: one self-contained HTML page with the patient, every
    /// finding in a table, and every page with each finding's words marked where they stand
    /// (scanned pages: the page image with the words' boxes). Opens from disk; no network.
    Report(ReportArgs),
    /// Look into the dictionaries.
    Dict {
        #[command(subcommand)]
        command: DictCommand,
        /// Add a site's own term table (TSV: term, kind, system, code, display). Repeatable.
        #[arg(long = "dict", value_name = "FILE", global = true)]
        dicts: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
pub(crate) enum DictCommand {
    /// Show what a term maps to (kind, code system, code, display, source table).
    Lookup {
        /// The term, as it would be written in a document.
        term: String,
    },
    /// Count terms per source table and kind.
    Stats,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum BundleArg {
    /// A set of resources to look at.
    Collection,
    /// PUT entries with deterministic ids, for a FHIR server to apply as is (twice, without
    /// duplicates).
    Transaction,
}

pub(crate) const BATCH_HELP: &str = "\
Every input ends as exactly one of: written, failed (with the reason), skipped (already done).
<OUT>/manifest.ndjson has one JSON line per input: input, size, sha256, status, reason,
error, pages, counts, output, elapsed_ms. While a run is going, the lines accumulate in
<OUT>/manifest.ndjson.partial (in input order), so a killed run leaves a readable log.

Run the same command again after a kill (or after adding files): inputs whose output already
holds the same content hash are skipped, the rest are redone, and the outputs are byte for
byte those of an uninterrupted run. --force redoes everything (after an upgrade, or with
another --dict).

Each input is read in a worker process with a memory limit and a time limit (--isolation
process, the default), so a hostile file (a decompression bomb, an endless loop, a crash)
fails alone. Exit status: 0 all written or skipped, 1 some failed, 2 usage error.

Past one machine: give each task its own shard (--shard INDEX/COUNT, e.g. an indexed batch
job's completion index) or pipe paths in (--manifest -) and read outcomes from stdout
(--print-results), e.g. from Spark's RDD.pipe(); processes that share one --out each give
their own --log. spark/chart2fhir_spark.py runs the whole job on Spark this way.";

impl From<BundleArg> for BundleKind {
    fn from(b: BundleArg) -> BundleKind {
        match b {
            BundleArg::Collection => BundleKind::Collection,
            BundleArg::Transaction => BundleKind::Transaction,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum FormatArg {
    /// One bundle (JSON) per input.
    Json,
    /// Bulk Data NDJSON: one file per resource type (a folder per input in batch mode).
    Ndjson,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum ProfileArg {
    /// US Core 7.0.0.
    UsCore,
}

/// The US Core options of the flags, when `--profile us-core` is given.
pub(crate) fn us_core(
    profile: Option<ProfileArg>,
    mrn_system: &Option<String>,
    organization: &Option<String>,
    embed_document: bool,
) -> Option<chart2fhir::fhir::uscore::UsCoreOptions> {
    profile.map(
        |ProfileArg::UsCore| chart2fhir::fhir::uscore::UsCoreOptions {
            mrn_system: mrn_system.clone(),
            organization: organization.clone(),
            embed_document,
        },
    )
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum OcrArg {
    /// OCR pages without a text layer when Tesseract is installed (else a clear error).
    Auto,
    /// Never OCR: pages without a text layer are an error.
    Never,
}

impl From<OcrArg> for ingest::OcrMode {
    fn from(o: OcrArg) -> ingest::OcrMode {
        match o {
            OcrArg::Auto => ingest::OcrMode::Auto,
            OcrArg::Never => ingest::OcrMode::Never,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum IsolationArg {
    /// A worker process per core, with memory and time limits (contains crashes).
    Process,
    /// Threads of this process (contains panics only; for trusted input).
    Thread,
}

#[derive(Args)]
pub(crate) struct BatchArgs {
    /// Files or folders (walked recursively, in sorted order).
    pub(crate) inputs: Vec<PathBuf>,
    /// Output folder: outputs mirror the inputs' relative paths (<OUT>/<path>.json).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// A list of inputs: one path per line, or a CSV with a `path` column and an optional
    /// patient identifier column (SYSTEM|VALUE). `-` reads standard input.
    #[arg(long, value_name = "FILE")]
    pub(crate) manifest: Option<PathBuf>,
    /// Only files whose name or path matches this glob (default: *.{pdf,txt}).
    #[arg(long, value_name = "GLOB", default_value = "*.{pdf,PDF,txt,TXT}")]
    pub(crate) glob: String,
    /// Workers (default: all cores).
    #[arg(short = 'j', long, value_name = "N")]
    pub(crate) jobs: Option<usize>,
    /// Output shape.
    #[arg(long, value_enum, default_value = "json")]
    pub(crate) format: FormatArg,
    /// Bundle type.
    #[arg(long, value_enum, default_value = "collection")]
    pub(crate) bundle: BundleArg,
    /// Also write negated and possible conditions (refuted / provisional).
    #[arg(long)]
    pub(crate) include_unasserted: bool,
    /// Write bundles even when a document's headers name different patients.
    #[arg(long)]
    pub(crate) allow_multiple_patients: bool,
    /// Add a site's own term table. Repeatable.
    #[arg(long = "dict", value_name = "FILE")]
    pub(crate) dicts: Vec<PathBuf>,
    /// Stop reading one input after this many seconds without progress (each OCR'd page
    /// counts as progress, so a long fax is not cut short).
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub(crate) file_timeout: u64,
    /// Fail inputs with more pages than this.
    #[arg(long, value_name = "N", default_value_t = 2000)]
    pub(crate) max_pages: usize,
    /// Fail inputs with a stream that inflates beyond this many MiB.
    #[arg(long, value_name = "MIB", default_value_t = 64)]
    pub(crate) max_stream_mb: usize,
    /// Address-space limit of each worker process, in MiB (0: none).
    #[arg(long, value_name = "MIB", default_value_t = 4096)]
    pub(crate) max_memory_mb: u64,
    /// Where inputs are read.
    #[arg(long, value_enum, default_value = "process")]
    pub(crate) isolation: IsolationArg,
    /// OCR for scanned / faxed pages (needs tesseract and pdftoppm).
    #[arg(long, value_enum, default_value = "auto")]
    pub(crate) ocr: OcrArg,
    /// Redo inputs whose output is already there.
    #[arg(long)]
    pub(crate) force: bool,
    /// Only this shard of the inputs: INDEX/COUNT (0-based), by input position.
    #[arg(long, value_name = "INDEX/COUNT")]
    pub(crate) shard: Option<String>,
    /// Print each input's outcome as a JSON line on standard output.
    #[arg(long)]
    pub(crate) print_results: bool,
    /// Write the outcome log here instead of <OUT>/manifest.ndjson (while running:
    /// FILE.partial). Batch processes that share one --out (Spark tasks) each need their own.
    #[arg(long, value_name = "FILE")]
    pub(crate) log: Option<PathBuf>,
    /// No progress on stderr (the summary is still printed).
    #[arg(short, long)]
    pub(crate) quiet: bool,
    /// One Patient for one person across inputs: after the run, inputs whose patients have
    /// the same name and birth date (MRNs that differ only as OCR misreadings do; never
    /// different birth dates) share one Patient id, said in the manifest's "patient" field.
    /// Needs every input in this one run (not with --shard).
    #[arg(long, conflicts_with = "shard")]
    pub(crate) join_patients: bool,

    /// Also write each input's spot-check report beside its output (<OUT>/<path>.html, see
    /// `chart2fhir report`) and an index of every input with its counts and status
    /// (<OUT>/index.html; with --log, <LOG>.html).
    #[arg(long)]
    pub(crate) report: bool,
    /// Provenance.recorded instant (default: $SOURCE_DATE_EPOCH, else each file's mtime).
    #[arg(long, value_name = "INSTANT")]
    pub(crate) recorded: Option<String>,
    /// Shape the resources for an implementation guide: `us-core` (US Core 7.0.0:
    /// meta.profile, narratives, MedicationRequest for medication lists, document type and
    /// category, Provenance on behalf of an Organization). Default: plain FHIR R4.
    #[arg(long, value_enum)]
    pub(crate) profile: Option<ProfileArg>,
    /// With --profile us-core: the identifier system (a URI) of the MRNs the documents print
    /// (default: http://chart2fhir.org/fhir/sid/local-mrn, an MRN of an unnamed issuer).
    #[arg(long, value_name = "URI", requires = "profile")]
    pub(crate) mrn_system: Option<String>,
    /// With --profile us-core: the Organization on whose behalf the resources are made
    /// (Provenance.agent.onBehalfOf).
    #[arg(long, value_name = "NAME", requires = "profile")]
    pub(crate) organization: Option<String>,
    /// With --profile us-core: put the document itself (base64) in the DocumentReference
    /// instead of its file: URL.
    #[arg(long, requires = "profile")]
    pub(crate) embed_document: bool,
}

#[derive(Args)]
pub(crate) struct ReportArgs {
    /// The document: a PDF (text layer or scanned) or a fax / OCR text record.
    pub(crate) file: PathBuf,
    /// Write the report here (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Count negated and possible conditions as written, as `extract --include-unasserted`
    /// does.
    #[arg(long)]
    pub(crate) include_unasserted: bool,
    /// Say the bundle is written even when the headers name different patients.
    #[arg(long)]
    pub(crate) allow_multiple_patients: bool,
    /// OCR for scanned / faxed pages (needs tesseract and pdftoppm).
    #[arg(long, value_enum, default_value = "auto")]
    pub(crate) ocr: OcrArg,
    /// Pages read by OCR at the same time (default: all cores).
    #[arg(long, value_name = "N")]
    pub(crate) ocr_jobs: Option<usize>,
    /// Add a site's own term table. Repeatable.
    #[arg(long = "dict", value_name = "FILE")]
    pub(crate) dicts: Vec<PathBuf>,
}

#[derive(Args)]
pub(crate) struct ExtractArgs {
    /// The document: a PDF with a text layer, or a fax / OCR text record (.txt, pages split
    /// on form feeds).
    pub(crate) file: PathBuf,
    /// Write the output here (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Print a short table of the findings (kind, what, code, page, status, why) instead of
    /// the bundle.
    #[arg(long)]
    pub(crate) summary: bool,
    /// Bundle type.
    #[arg(long, value_enum, default_value = "collection")]
    pub(crate) bundle: BundleArg,
    /// Output shape: a bundle, or Bulk Data NDJSON (with -o: a folder with one file per
    /// resource type; without: every resource, one per line).
    #[arg(long, value_enum, default_value = "json")]
    pub(crate) format: FormatArg,
    /// Refer to an existing Patient (e.g. `Patient/123` or `123`) instead of writing one from
    /// the document header.
    #[arg(long, value_name = "ID", conflicts_with = "patient_identifier")]
    pub(crate) patient_id: Option<String>,
    /// Match the Patient on the server by identifier (SYSTEM|VALUE); in a transaction it is
    /// created only if none exists.
    #[arg(long, value_name = "SYSTEM|VALUE")]
    pub(crate) patient_identifier: Option<String>,
    /// Also write negated and possible conditions (verificationStatus refuted / provisional)
    /// so a reviewer sees everything that was read.
    #[arg(long)]
    pub(crate) include_unasserted: bool,
    /// Write the bundle even when the document's headers name different patients.
    #[arg(long)]
    pub(crate) allow_multiple_patients: bool,
    /// OCR for scanned / faxed pages (needs tesseract and pdftoppm; pages run in parallel).
    #[arg(long, value_enum, default_value = "auto")]
    pub(crate) ocr: OcrArg,
    /// Pages read by OCR at the same time (default: all cores).
    #[arg(long, value_name = "N")]
    pub(crate) ocr_jobs: Option<usize>,
    /// Add a site's own term table (TSV with header: term, kind, system, code, display;
    /// kind is condition | medication | allergen). Repeatable.
    #[arg(long = "dict", value_name = "FILE")]
    pub(crate) dicts: Vec<PathBuf>,
    /// Provenance.recorded instant. Default: $SOURCE_DATE_EPOCH when set, else the input
    /// file's modification time, so the same file always gives the same bytes.
    #[arg(long, value_name = "INSTANT")]
    pub(crate) recorded: Option<String>,
    /// Shape the resources for an implementation guide: `us-core` (US Core 7.0.0:
    /// meta.profile, narratives, MedicationRequest for medication lists, document type and
    /// category, Provenance on behalf of an Organization). Default: plain FHIR R4.
    #[arg(long, value_enum)]
    pub(crate) profile: Option<ProfileArg>,
    /// With --profile us-core: the identifier system (a URI) of the MRNs the documents print
    /// (default: http://chart2fhir.org/fhir/sid/local-mrn, an MRN of an unnamed issuer).
    #[arg(long, value_name = "URI", requires = "profile")]
    pub(crate) mrn_system: Option<String>,
    /// With --profile us-core: the Organization on whose behalf the resources are made
    /// (Provenance.agent.onBehalfOf).
    #[arg(long, value_name = "NAME", requires = "profile")]
    pub(crate) organization: Option<String>,
    /// With --profile us-core: put the document itself (base64) in the DocumentReference
    /// instead of its file: URL.
    #[arg(long, requires = "profile")]
    pub(crate) embed_document: bool,
}

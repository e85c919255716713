//! The `chart2fhir` command: parses flags and hands the work to the library.
//! Exit status: 0 done, 1 an input failed, 2 usage error.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use chart2fhir::fhir::{BundleKind, PatientLink};
use chart2fhir::{Extractor, convert, ingest};

const STATUS_HELP: &str = "\
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
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
enum DictCommand {
    /// Show what a term maps to (kind, code system, code, display, source table).
    Lookup {
        /// The term, as it would be written in a document.
        term: String,
    },
    /// Count terms per source table and kind.
    Stats,
}

#[derive(Clone, Copy, ValueEnum)]
enum BundleArg {
    /// A set of resources to look at.
    Collection,
    /// PUT entries with deterministic ids, for a FHIR server to apply as is (twice, without
    /// duplicates).
    Transaction,
}

const BATCH_HELP: &str = "\
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
enum FormatArg {
    /// One bundle (JSON) per input.
    Json,
    /// Bulk Data NDJSON: one file per resource type (a folder per input in batch mode).
    Ndjson,
}

#[derive(Clone, Copy, ValueEnum)]
enum ProfileArg {
    /// US Core 7.0.0.
    UsCore,
}

/// The US Core options of the flags, when `--profile us-core` is given.
fn us_core(
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
enum OcrArg {
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
enum IsolationArg {
    /// A worker process per core, with memory and time limits (contains crashes).
    Process,
    /// Threads of this process (contains panics only; for trusted input).
    Thread,
}

#[derive(Args)]
struct BatchArgs {
    /// Files or folders (walked recursively, in sorted order).
    inputs: Vec<PathBuf>,
    /// Output folder: outputs mirror the inputs' relative paths (<OUT>/<path>.json).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// A list of inputs: one path per line, or a CSV with a `path` column and an optional
    /// patient identifier column (SYSTEM|VALUE). `-` reads standard input.
    #[arg(long, value_name = "FILE")]
    manifest: Option<PathBuf>,
    /// Only files whose name or path matches this glob (default: *.{pdf,txt}).
    #[arg(long, value_name = "GLOB", default_value = "*.{pdf,PDF,txt,TXT}")]
    glob: String,
    /// Workers (default: all cores).
    #[arg(short = 'j', long, value_name = "N")]
    jobs: Option<usize>,
    /// Output shape.
    #[arg(long, value_enum, default_value = "json")]
    format: FormatArg,
    /// Bundle type.
    #[arg(long, value_enum, default_value = "collection")]
    bundle: BundleArg,
    /// Also write negated and possible conditions (refuted / provisional).
    #[arg(long)]
    include_unasserted: bool,
    /// Write bundles even when a document's headers name different patients.
    #[arg(long)]
    allow_multiple_patients: bool,
    /// Add a site's own term table. Repeatable.
    #[arg(long = "dict", value_name = "FILE")]
    dicts: Vec<PathBuf>,
    /// Stop reading one input after this many seconds without progress (each OCR'd page
    /// counts as progress, so a long fax is not cut short).
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    file_timeout: u64,
    /// Fail inputs with more pages than this.
    #[arg(long, value_name = "N", default_value_t = 2000)]
    max_pages: usize,
    /// Fail inputs with a stream that inflates beyond this many MiB.
    #[arg(long, value_name = "MIB", default_value_t = 64)]
    max_stream_mb: usize,
    /// Address-space limit of each worker process, in MiB (0: none).
    #[arg(long, value_name = "MIB", default_value_t = 4096)]
    max_memory_mb: u64,
    /// Where inputs are read.
    #[arg(long, value_enum, default_value = "process")]
    isolation: IsolationArg,
    /// OCR for scanned / faxed pages (needs tesseract and pdftoppm).
    #[arg(long, value_enum, default_value = "auto")]
    ocr: OcrArg,
    /// Redo inputs whose output is already there.
    #[arg(long)]
    force: bool,
    /// Only this shard of the inputs: INDEX/COUNT (0-based), by input position.
    #[arg(long, value_name = "INDEX/COUNT")]
    shard: Option<String>,
    /// Print each input's outcome as a JSON line on standard output.
    #[arg(long)]
    print_results: bool,
    /// Write the outcome log here instead of <OUT>/manifest.ndjson (while running:
    /// FILE.partial). Batch processes that share one --out (Spark tasks) each need their own.
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
    /// No progress on stderr (the summary is still printed).
    #[arg(short, long)]
    quiet: bool,
    /// One Patient for one person across inputs: after the run, inputs whose patients have
    /// the same name and birth date (MRNs that differ only as OCR misreadings do; never
    /// different birth dates) share one Patient id, said in the manifest's "patient" field.
    /// Needs every input in this one run (not with --shard).
    #[arg(long, conflicts_with = "shard")]
    join_patients: bool,

    /// Also write each input's spot-check report beside its output (<OUT>/<path>.html, see
    /// `chart2fhir report`) and an index of every input with its counts and status
    /// (<OUT>/index.html; with --log, <LOG>.html).
    #[arg(long)]
    report: bool,
    /// Provenance.recorded instant (default: $SOURCE_DATE_EPOCH, else each file's mtime).
    #[arg(long, value_name = "INSTANT")]
    recorded: Option<String>,
    /// Shape the resources for an implementation guide: `us-core` (US Core 7.0.0:
    /// meta.profile, narratives, MedicationRequest for medication lists, document type and
    /// category, Provenance on behalf of an Organization). Default: plain FHIR R4.
    #[arg(long, value_enum)]
    profile: Option<ProfileArg>,
    /// With --profile us-core: the identifier system (a URI) of the MRNs the documents print
    /// (default: http://chart2fhir.org/fhir/sid/local-mrn, an MRN of an unnamed issuer).
    #[arg(long, value_name = "URI", requires = "profile")]
    mrn_system: Option<String>,
    /// With --profile us-core: the Organization on whose behalf the resources are made
    /// (Provenance.agent.onBehalfOf).
    #[arg(long, value_name = "NAME", requires = "profile")]
    organization: Option<String>,
    /// With --profile us-core: put the document itself (base64) in the DocumentReference
    /// instead of its file: URL.
    #[arg(long, requires = "profile")]
    embed_document: bool,
}

#[derive(Args)]
struct ReportArgs {
    /// The document: a PDF (text layer or scanned) or a fax / OCR text record.
    file: PathBuf,
    /// Write the report here (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Count negated and possible conditions as written, as `extract --include-unasserted`
    /// does.
    #[arg(long)]
    include_unasserted: bool,
    /// Say the bundle is written even when the headers name different patients.
    #[arg(long)]
    allow_multiple_patients: bool,
    /// OCR for scanned / faxed pages (needs tesseract and pdftoppm).
    #[arg(long, value_enum, default_value = "auto")]
    ocr: OcrArg,
    /// Pages read by OCR at the same time (default: all cores).
    #[arg(long, value_name = "N")]
    ocr_jobs: Option<usize>,
    /// Add a site's own term table. Repeatable.
    #[arg(long = "dict", value_name = "FILE")]
    dicts: Vec<PathBuf>,
}

#[derive(Args)]
struct ExtractArgs {
    /// The document: a PDF with a text layer, or a fax / OCR text record (.txt, pages split
    /// on form feeds).
    file: PathBuf,
    /// Write the output here (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Print a short table of the findings (kind, what, code, page, status, why) instead of
    /// the bundle.
    #[arg(long)]
    summary: bool,
    /// Bundle type.
    #[arg(long, value_enum, default_value = "collection")]
    bundle: BundleArg,
    /// Output shape: a bundle, or Bulk Data NDJSON (with -o: a folder with one file per
    /// resource type; without: every resource, one per line).
    #[arg(long, value_enum, default_value = "json")]
    format: FormatArg,
    /// Refer to an existing Patient (e.g. `Patient/123` or `123`) instead of writing one from
    /// the document header.
    #[arg(long, value_name = "ID", conflicts_with = "patient_identifier")]
    patient_id: Option<String>,
    /// Match the Patient on the server by identifier (SYSTEM|VALUE); in a transaction it is
    /// created only if none exists.
    #[arg(long, value_name = "SYSTEM|VALUE")]
    patient_identifier: Option<String>,
    /// Also write negated and possible conditions (verificationStatus refuted / provisional)
    /// so a reviewer sees everything that was read.
    #[arg(long)]
    include_unasserted: bool,
    /// Write the bundle even when the document's headers name different patients.
    #[arg(long)]
    allow_multiple_patients: bool,
    /// OCR for scanned / faxed pages (needs tesseract and pdftoppm; pages run in parallel).
    #[arg(long, value_enum, default_value = "auto")]
    ocr: OcrArg,
    /// Pages read by OCR at the same time (default: all cores).
    #[arg(long, value_name = "N")]
    ocr_jobs: Option<usize>,
    /// Add a site's own term table (TSV with header: term, kind, system, code, display;
    /// kind is condition | medication | allergen). Repeatable.
    #[arg(long = "dict", value_name = "FILE")]
    dicts: Vec<PathBuf>,
    /// Provenance.recorded instant. Default: $SOURCE_DATE_EPOCH when set, else the input
    /// file's modification time, so the same file always gives the same bytes.
    #[arg(long, value_name = "INSTANT")]
    recorded: Option<String>,
    /// Shape the resources for an implementation guide: `us-core` (US Core 7.0.0:
    /// meta.profile, narratives, MedicationRequest for medication lists, document type and
    /// category, Provenance on behalf of an Organization). Default: plain FHIR R4.
    #[arg(long, value_enum)]
    profile: Option<ProfileArg>,
    /// With --profile us-core: the identifier system (a URI) of the MRNs the documents print
    /// (default: http://chart2fhir.org/fhir/sid/local-mrn, an MRN of an unnamed issuer).
    #[arg(long, value_name = "URI", requires = "profile")]
    mrn_system: Option<String>,
    /// With --profile us-core: the Organization on whose behalf the resources are made
    /// (Provenance.agent.onBehalfOf).
    #[arg(long, value_name = "NAME", requires = "profile")]
    organization: Option<String>,
    /// With --profile us-core: put the document itself (base64) in the DocumentReference
    /// instead of its file: URL.
    #[arg(long, requires = "profile")]
    embed_document: bool,
}

fn main() -> ExitCode {
    // `batch` runs each input in a child process of this executable (`__worker`), not a
    // user-facing command.
    if std::env::args().nth(1).as_deref() == Some("__worker") {
        return match chart2fhir::batch::worker::serve() {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::from(2),
        };
    }
    // A panic's message may quote the document: never printed (see `install_panic_hook`).
    chart2fhir::error::install_panic_hook(false);
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Extract(args) => extract(args),
        Command::Batch(args) => batch(args),
        Command::Text { file, page } => text(&file, page),
        Command::Report(args) => report(args),
        Command::Dict { command, dicts } => dict(command, &dicts),
    };
    match result {
        Ok(code) => code,
        Err(Failure::Input(e)) => {
            eprintln!("chart2fhir: {e}");
            ExitCode::from(1)
        }
        Err(Failure::Usage(e)) => {
            eprintln!("chart2fhir: {e}");
            ExitCode::from(2)
        }
        Err(Failure::BrokenPipe) => ExitCode::SUCCESS,
    }
}

enum Failure {
    Input(String),
    Usage(String),
    BrokenPipe,
}

impl From<chart2fhir::Error> for Failure {
    fn from(e: chart2fhir::Error) -> Self {
        match e {
            chart2fhir::Error::Dictionary { .. } => Failure::Usage(e.to_string()),
            other => Failure::Input(other.to_string()),
        }
    }
}

fn stdout_write(bytes: &[u8]) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Failure::BrokenPipe),
        Err(e) => Err(Failure::Input(format!(
            "cannot write to standard output: {e}"
        ))),
    }
}

fn extractor(dicts: &[PathBuf]) -> Result<Extractor, Failure> {
    let mut x = Extractor::default();
    for d in dicts {
        x.dictionary.add_file(d)?;
    }
    Ok(x)
}

fn extract(args: ExtractArgs) -> Result<ExitCode, Failure> {
    let patient = match (&args.patient_id, &args.patient_identifier) {
        (Some(id), _) => PatientLink::reference(id),
        (None, Some(ident)) => PatientLink::identifier(ident)
            .map_err(|why| Failure::Usage(format!("--patient-identifier {ident:?}: {why}")))?,
        (None, None) => PatientLink::FromDocument,
    };
    let extractor = extractor(&args.dicts)?;
    let defaults = ingest::IngestOptions::default();
    let options = convert::Options {
        ingest: ingest::IngestOptions {
            ocr: args.ocr.into(),
            ocr_threads: args.ocr_jobs.unwrap_or(defaults.ocr_threads).max(1),
            ..defaults
        },
        format: match (args.summary, args.format) {
            (true, _) => convert::Format::Summary,
            (false, FormatArg::Json) => convert::Format::Json,
            (false, FormatArg::Ndjson) => convert::Format::Ndjson,
        },
        bundle: args.bundle.into(),
        patient,
        include_unasserted: args.include_unasserted,
        allow_multiple_patients: args.allow_multiple_patients,
        recorded: args.recorded,
        us_core: us_core(
            args.profile,
            &args.mrn_system,
            &args.organization,
            args.embed_document,
        ),
        report: false,
    };
    let converted = convert::convert(&extractor, &args.file, &options).result?;
    match &args.output {
        Some(path) => converted.output.write_atomic(path)?,
        None => stdout_write(&converted.output.into_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}

fn batch(args: BatchArgs) -> Result<ExitCode, Failure> {
    use chart2fhir::batch::{inputs::Source, job, run};
    if args.inputs.is_empty() && args.manifest.is_none() {
        return Err(Failure::Usage(
            "batch: give input files or folders, or --manifest FILE (see --help)".into(),
        ));
    }
    let shard = match &args.shard {
        None => None,
        Some(s) => {
            let parsed = s
                .split_once('/')
                .and_then(|(i, n)| {
                    Some((
                        i.trim().parse::<usize>().ok()?,
                        n.trim().parse::<usize>().ok()?,
                    ))
                })
                .filter(|(i, n)| *n > 0 && i < n);
            Some(parsed.ok_or_else(|| {
                Failure::Usage(format!(
                    "--shard {s:?}: expected INDEX/COUNT with INDEX < COUNT"
                ))
            })?)
        }
    };
    run::check_out_dir(&args.out)?;
    for d in &args.dicts {
        // Bad tables are a usage error before anything starts.
        chart2fhir::dictionary::Dictionary::builtin().add_file(d)?;
    }
    let mut sources: Vec<Source> = Vec::new();
    for p in &args.inputs {
        if !p.exists() {
            return Err(Failure::Usage(format!(
                "{}: no such file or folder",
                p.display()
            )));
        }
        sources.push(Source::Path(p.clone()));
    }
    if let Some(m) = &args.manifest {
        sources.push(Source::Manifest(m.clone()));
    }
    let workers = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let opts = run::BatchOptions {
        sources,
        glob: Some(args.glob.clone()),
        job: job::JobOptions {
            out_dir: args.out.clone(),
            format: match args.format {
                FormatArg::Json => job::Format::Json,
                FormatArg::Ndjson => job::Format::Ndjson,
            },
            transaction: matches!(args.bundle, BundleArg::Transaction),
            include_unasserted: args.include_unasserted,
            allow_multiple_patients: args.allow_multiple_patients,
            recorded: args.recorded.clone(),
            us_core: us_core(
                args.profile,
                &args.mrn_system,
                &args.organization,
                args.embed_document,
            ),
            max_pages: args.max_pages,
            max_stream_bytes: args.max_stream_mb.saturating_mul(1024 * 1024),
            max_file_bytes: 512 * 1024 * 1024,
            ocr: args.ocr.into(),
            ocr_threads: 1,
            report: args.report,
        },
        workers,
        isolation: match args.isolation {
            IsolationArg::Process => run::Isolation::Process,
            IsolationArg::Thread => run::Isolation::Thread,
        },
        file_timeout: std::time::Duration::from_secs(args.file_timeout.max(1)),
        max_memory_mb: args.max_memory_mb,
        dicts: args.dicts.clone(),
        quiet: args.quiet,
        shard,
        force: args.force,
        print_results: args.print_results,
        exe: std::env::current_exe()
            .map_err(|e| Failure::Input(format!("cannot find my own executable: {e}")))?,
        log: args.log.clone(),
        join_patients: args.join_patients,
    };
    let report = run::run(&opts)?;
    eprint!("{}", report.summary());
    Ok(if report.tally.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn report(args: ReportArgs) -> Result<ExitCode, Failure> {
    let extractor = extractor(&args.dicts)?;
    let defaults = ingest::IngestOptions::default();
    let options = ingest::IngestOptions {
        ocr: args.ocr.into(),
        ocr_threads: args.ocr_jobs.unwrap_or(defaults.ocr_threads).max(1),
        page_images: true,
        ..defaults
    };
    let doc = ingest::read(&args.file, &options)?;
    let extraction = extractor.extract(&doc);
    let html = chart2fhir::report::html::render(
        &doc,
        &extraction,
        &chart2fhir::report::html::ReportOptions {
            include_unasserted: args.include_unasserted,
            allow_multiple_patients: args.allow_multiple_patients,
        },
    );
    match &args.output {
        Some(path) => chart2fhir::sink::write_atomic(path, html.as_bytes())?,
        None => stdout_write(html.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}

fn text(file: &Path, page: Option<u32>) -> Result<ExitCode, Failure> {
    let doc = ingest::read(file, &Default::default())?;
    let mut out = String::new();
    for p in &doc.pages {
        if page.is_some_and(|n| n != p.number) {
            continue;
        }
        out.push_str(&format!("=== page {} ===\n{}", p.number, p.text));
        if !p.text.ends_with('\n') {
            out.push('\n');
        }
    }
    if let Some(n) = page
        && !doc.pages.iter().any(|p| p.number == n)
    {
        return Err(Failure::Usage(format!(
            "{}: there is no page {n} (the document has {} pages)",
            file.display(),
            doc.pages.len()
        )));
    }
    stdout_write(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn dict(command: DictCommand, dicts: &[PathBuf]) -> Result<ExitCode, Failure> {
    let x = extractor(dicts)?;
    let mut out = String::new();
    match command {
        DictCommand::Lookup { term } => {
            let entries = x.dictionary.lookup(&term);
            if entries.is_empty() {
                out.push_str(&format!("{term:?}: not in the dictionaries\n"));
                stdout_write(out.as_bytes())?;
                return Ok(ExitCode::from(1));
            }
            out.push_str("kind\tsystem\tcode\tdisplay\tcategory\tflags\tsource\n");
            for e in entries {
                let mut flags = Vec::new();
                if e.case_sensitive {
                    flags.push("cs".to_string());
                }
                if let Some(t) = &e.tty {
                    flags.push(format!("tty={t}"));
                }
                if let Some(v) = &e.via {
                    flags.push(format!("via={v}"));
                }
                if let Some(s) = &e.section {
                    flags.push(format!("section={s}"));
                }
                out.push_str(&format!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                    e.kind,
                    e.system.label(),
                    e.code,
                    e.display,
                    e.category,
                    flags.join(";"),
                    e.source
                ));
            }
        }
        DictCommand::Stats => {
            out.push_str("source\tkind\tterms\n");
            let mut total = 0;
            for (source, kind, n) in x.dictionary.stats() {
                out.push_str(&format!("{source}\t{kind}\t{n}\n"));
                total += n;
            }
            out.push_str(&format!("total\t\t{total}\n"));
        }
    }
    stdout_write(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

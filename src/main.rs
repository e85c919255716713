//! The `chart2fhir` command: parses flags and hands the work to the library.
//! Exit status: 0 done, 1 an input failed, 2 usage error.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use chart2fhir::fhir::{BundleKind, BundleOptions, PatientLink};
use chart2fhir::{Extractor, fhir, ingest};

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
    /// Add a site's own term table (TSV with header: term, kind, system, code, display;
    /// kind is condition | medication | allergen). Repeatable.
    #[arg(long = "dict", value_name = "FILE")]
    dicts: Vec<PathBuf>,
    /// Provenance.recorded instant. Default: $SOURCE_DATE_EPOCH when set, else the input
    /// file's modification time, so the same file always gives the same bytes.
    #[arg(long, value_name = "INSTANT")]
    recorded: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Extract(args) => extract(args),
        Command::Text { file, page } => text(&file, page),
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
        (Some(id), _) => PatientLink::Reference(if id.contains('/') {
            id.clone()
        } else {
            format!("Patient/{id}")
        }),
        (None, Some(ident)) => {
            let (system, value) = ident
                .split_once('|')
                .filter(|(s, v)| !s.is_empty() && !v.is_empty())
                .ok_or_else(|| {
                    Failure::Usage(format!(
                        "--patient-identifier {ident:?}: expected SYSTEM|VALUE"
                    ))
                })?;
            PatientLink::Identifier {
                system: system.into(),
                value: value.into(),
            }
        }
        (None, None) => PatientLink::FromDocument,
    };
    let extractor = extractor(&args.dicts)?;
    let doc = ingest::read(&args.file, &Default::default())?;
    let extraction = extractor.extract(&doc);
    if let (Some(conflict), false) = (&extraction.patient.conflict, args.allow_multiple_patients) {
        return Err(Failure::Input(format!(
            "{}: {conflict}; the packet may mix two people's records. Nothing was written. \
             Check the document, or pass --allow-multiple-patients to write it anyway.",
            args.file.display()
        )));
    }
    let recorded = match args.recorded {
        Some(r) => r,
        None => default_recorded(extraction.document.modified),
    };
    let bytes = if args.summary {
        chart2fhir::report::summary::render(&extraction, args.include_unasserted).into_bytes()
    } else {
        let options = BundleOptions {
            kind: match args.bundle {
                BundleArg::Collection => BundleKind::Collection,
                BundleArg::Transaction => BundleKind::Transaction,
            },
            patient,
            include_unasserted: args.include_unasserted,
            recorded,
        };
        let bundle = fhir::bundle(&extraction, &options);
        let mut s = serde_json::to_vec_pretty(&bundle).expect("bundle serializes");
        s.push(b'\n');
        s
    };
    match &args.output {
        Some(path) => chart2fhir::batch::sink::write_atomic(path, &bytes)?,
        None => stdout_write(&bytes)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn default_recorded(modified: Option<i64>) -> String {
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .or(modified)
        .unwrap_or(0);
    chart2fhir::instant(epoch)
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

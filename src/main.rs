//! The `chart2fhir` command: parses flags and hands the work to the library.
//! Exit status: 0 done, 1 an input failed, 2 usage error.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;

mod cli;
use cli::*;

use chart2fhir::fhir::PatientLink;
use chart2fhir::{Extractor, convert, ingest};

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

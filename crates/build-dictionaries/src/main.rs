//! Rebuilds `dictionaries/` from the raw vocabularies and the curated tables.
//!
//! ```text
//! cargo run --release --bin build-dictionaries -- --vocab ../shared/vocab [--rxnorm-zip RxNorm_full_prescribe_MMDDYYYY.zip] [--out dictionaries]
//! ```
//! Exit status: 0 built, 1 the inputs are wrong (the messages say where), 2 usage.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use build_dictionaries::{BuildOptions, build_with};
use clap::Parser;

/// Rebuild the term dictionaries (dictionaries/*.tsv) from the raw vocabularies.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Folder with the raw vocabularies (SNOMED CT GPS, ICD-10-CM, RxNorm names, UNII names).
    #[arg(long, value_name = "DIR")]
    vocab: PathBuf,
    /// An official RxNorm release zip (RxNorm_full_*.zip) to use instead of rxnorm-names.tsv.
    #[arg(long, value_name = "ZIP")]
    rxnorm_zip: Option<PathBuf>,
    /// Where to write the tables.
    #[arg(long, value_name = "DIR", default_value = "dictionaries")]
    out: PathBuf,
    /// Folder with the curated tables (default: the output folder).
    #[arg(long, value_name = "DIR")]
    curated: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let opts = BuildOptions {
        vocab_dir: args.vocab,
        curated_dir: args.curated.unwrap_or_else(|| args.out.clone()),
        out_dir: args.out,
        rxnorm_zip: args.rxnorm_zip,
    };
    let start = Instant::now();
    match build_with(&opts) {
        Ok(report) => {
            for (file, rows) in &report.files {
                eprintln!("{rows:>8}  {}", opts.out_dir.join(file).display());
            }
            for (why, n) in &report.dropped {
                eprintln!("dropped {n:>7}  {why}");
            }
            if report.displays_fixed > 0 {
                eprintln!(
                    "{} curated display(s) set to the code system's display",
                    report.displays_fixed
                );
            }
            eprintln!("built in {:.1} s", start.elapsed().as_secs_f64());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("build-dictionaries: {e}");
            ExitCode::from(1)
        }
    }
}

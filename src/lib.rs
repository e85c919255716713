//! chart2fhir turns clinical documents — PDF packets with a text layer, fax / OCR text records
//! — into FHIR R4 bundles of coded allergies, medications and conditions, with every finding
//! traceable to its page and words.
//!
//! The data flows one way; each stage is a module of plain functions over plain data, and
//! [`pipeline`] only wires them:
//!
//! ```text
//! path ─► ingest ─► normalize ─► sections ─► dictionary::matcher ─► context
//!      ─► pipeline stages (roles, terms, combinations, wrapped cells, rows + attributes)
//!      ─► consolidate ─► Extraction ─► fhir | report::{summary, html} ─► sink
//! ```
//!
//! One input end to end is one call, [`convert::convert`]: what `chart2fhir extract` and every
//! [`batch`] job do.
//!
//! ```no_run
//! use chart2fhir::convert::{self, Format, Options};
//! let extractor = chart2fhir::Extractor::default();
//! let options = Options { format: Format::Summary, ..Options::default() };
//! let converted = convert::convert(&extractor, "packet.pdf".as_ref(), &options).result?;
//! print!("{}", String::from_utf8_lossy(&converted.output.into_bytes()));
//! # Ok::<(), chart2fhir::Error>(())
//! ```
//!
//! The stages can be run one by one:
//!
//! ```no_run
//! use chart2fhir::{Extractor, fhir};
//! let extractor = Extractor::default();
//! let doc = chart2fhir::ingest::read("packet.pdf".as_ref(), &Default::default())?;
//! let extraction = extractor.extract(&doc);
//! let bundle = fhir::bundle(&extraction, &fhir::BundleOptions::default());
//! println!("{}", serde_json::to_string_pretty(&bundle).unwrap());
//! # Ok::<(), chart2fhir::Error>(())
//! ```
//!
//! Layers, lowest first (a module uses only modules of its own layer or below):
//! - data and tables: [`error`], [`tables`], [`dates`], [`status`], [`normalize`],
//!   [`phrases`], [`dictionary`];
//! - reading: [`ingest`], [`sections`], [`context`], [`patient`], [`attributes`];
//! - findings: [`mention`], [`consolidate`], [`pipeline`], [`extraction`];
//! - output: [`fhir`], [`report`], [`sink`];
//! - one input, many inputs: [`convert`], [`batch`].
//!
//! Everything clinical that a person may want to edit is data under `dictionaries/`,
//! compiled into the binary; [`check_shipped_tables`] loads every table (a test runs it).

#![deny(missing_docs)]

pub mod attributes;
pub mod batch;
pub mod consolidate;
pub mod context;
pub mod convert;
pub mod dates;
pub mod dictionary;
pub mod error;
pub mod extraction;
pub mod fhir;
pub mod ingest;
pub mod mention;
pub mod normalize;
pub mod patient;
pub mod phrases;
pub mod pipeline;
pub mod report;
pub mod sections;
pub mod sink;
pub mod status;
pub mod tables;

pub use error::{Error, Result};
pub use extraction::Extraction;
pub use pipeline::Extractor;

/// Loads every shipped rule and phrase table (`dictionaries/*.tsv` other than the term
/// tables, which `build.rs` checks as it compiles them): the first row that cannot be read is
/// the error, naming its file and line. A test runs this, so a malformed table never ships.
pub fn check_shipped_tables() -> std::result::Result<(), tables::TableError> {
    sections::SectionRules::load()?;
    context::ContextRules::load()?;
    attributes::row_status_table()?;
    attributes::medication::routes_table()?;
    attributes::medication::frequencies_table()?;
    attributes::allergy::severity_table()?;
    attributes::allergy::no_known_allergies_table()?;
    attributes::units::units_table()?;
    attributes::units::number_words_table()?;
    dictionary::vocabulary::term_types_table()?;
    dictionary::vocabulary::allergy_categories_table()?;
    dictionary::clinical::check_tables()?;
    consolidate::allergy_classes_table()?;
    Ok(())
}

/// An instant (`YYYY-MM-DDThh:mm:ssZ`) from seconds since the Unix epoch.
pub fn instant(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_shipped_table_loads() {
        if let Err(e) = super::check_shipped_tables() {
            panic!("{e}");
        }
    }

    #[test]
    fn instants() {
        assert_eq!(super::instant(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::instant(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(super::instant(951_782_400), "2000-02-29T00:00:00Z");
    }
}

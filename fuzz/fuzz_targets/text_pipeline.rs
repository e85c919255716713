//! Text ingest and the whole pipeline: any bytes read as a fax / OCR text record, extracted,
//! and rendered as a bundle and as the summary table. Nothing may panic.
#![no_main]

use std::path::Path;
use std::sync::LazyLock;

use chart2fhir::Extractor;
use chart2fhir::fhir::{self, BundleOptions};
use chart2fhir::ingest::{self, IngestOptions, OcrMode};
use libfuzzer_sys::fuzz_target;

static EXTRACTOR: LazyLock<Extractor> = LazyLock::new(Extractor::default);

fuzz_target!(|data: &[u8]| {
    let options = IngestOptions {
        ocr: OcrMode::Never,
        ..IngestOptions::default()
    };
    let Ok(doc) = ingest::read_bytes(Path::new("fuzz.txt"), data, None, &options) else {
        return;
    };
    let x = EXTRACTOR.extract(&doc);
    let bundle = fhir::bundle(&x, &BundleOptions::default());
    let _ = serde_json::to_vec(&bundle);
    let _ = fhir::ndjson(&bundle);
    let _ = chart2fhir::report::summary::render(&x, true);
});

//! PDF ingest (lopdf and our content-stream lexer), then the pipeline over what was read:
//! any bytes after a `%PDF-` header. OCR is off (no Tesseract in a fuzz loop). Nothing may
//! panic.
#![no_main]

use std::path::Path;
use std::sync::LazyLock;

use chart2fhir::Extractor;
use chart2fhir::ingest::{self, IngestOptions, OcrMode};
use libfuzzer_sys::fuzz_target;

static EXTRACTOR: LazyLock<Extractor> = LazyLock::new(Extractor::default);

fuzz_target!(|data: &[u8]| {
    let options = IngestOptions {
        ocr: OcrMode::Never,
        max_pages: 50,
        max_stream_bytes: 4 * 1024 * 1024,
        ..IngestOptions::default()
    };
    let mut bytes = Vec::with_capacity(data.len() + 5);
    if !data.starts_with(b"%PDF-") {
        bytes.extend_from_slice(b"%PDF-");
    }
    bytes.extend_from_slice(data);
    let Ok(doc) = ingest::read_bytes(Path::new("fuzz.pdf"), &bytes, None, &options) else {
        return;
    };
    let _ = EXTRACTOR.extract(&doc);
});

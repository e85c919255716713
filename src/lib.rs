//! chart2fhir: clinical documents (PDF packets, fax / OCR text) in, FHIR R4 out.
pub mod dictionary;
pub mod error;
pub mod ingest;

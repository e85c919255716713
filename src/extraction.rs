//! What the pipeline found in one document: plain data, the input of the FHIR writer and of
//! the summary (which depend on this, not on the pipeline that made it).

use crate::consolidate::Finding;
use crate::ingest::{PageOrigin, SourceInfo};
use crate::patient::PatientSummary;

/// The findings of one document, its patient and what it was read from.
#[derive(Debug, Clone)]
pub struct Extraction {
    /// The source file (name, size, hashes, content type).
    pub document: SourceInfo,
    /// Pages read.
    pub page_count: usize,
    /// How each page was read.
    pub page_origins: Vec<PageOrigin>,
    /// Who the document is about, and any conflict between its headers.
    pub patient: PatientSummary,
    /// One finding per concept, in document order, every mention kept as evidence.
    pub findings: Vec<Finding>,
    /// Section headers seen, for the summary.
    pub sections_seen: usize,
}

//! Reports for people: the `--summary` table of what was found, where and how sure, and the
//! HTML spot-check report (`chart2fhir report`) with every finding marked on its page.

pub mod html;
pub mod summary;

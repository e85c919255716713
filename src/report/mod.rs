//! Reports for people: the `--summary` table of what was found, where and how sure.

pub mod summary;

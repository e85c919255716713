//! Builds the shipped dictionaries from the raw vocabularies (see `dictionaries/SOURCES.md`).

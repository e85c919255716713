//! Dictionaries: the shipped term tables (`dictionaries/*.tsv`) and the matcher over them.

pub mod build;

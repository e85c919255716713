//! Batch: many inputs, parallel workers, outputs written atomically.

pub mod sink;

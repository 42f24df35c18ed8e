//! Views of results: the console summary, summary.json and timeseries.csv.
//! Reports never compute: they format what [`crate::aggregate`] produced.

pub mod console;
pub mod data;
pub mod document;
pub mod figures;
pub mod files;
pub mod render;
pub mod sweep_figures;

//! Views of results: the console summary, the data files (summary.json, timeseries.csv),
//! the figures of a run and of a sweep, and report.md / report.html.
//! Reports never compute: they format what [`crate::aggregate`] produced.

pub mod bottleneck_view;
pub mod console;
mod console_windows;
pub mod data;
pub mod describe;
pub mod document;
pub mod figures;
pub mod files;
pub mod render;
pub mod sweep_figures;

//! report.md and report.html of a run: the figures and the tables (summary with 95%
//! intervals, thresholds, endpoints, services, databases, errors, checks, accounting).
//!
//! Both are built from one list of blocks, so they always carry the same content.
//! report.md links the figures as relative PNG files (paste the folder into a planning
//! document); report.html is one self-contained file: inline CSS, figures inlined as PNG
//! data URIs, no scripts and no network references.

mod blocks;
mod bottlenecks;
mod cells;
mod html;
mod markdown;
mod windows;

pub use blocks::RenderedFigure;
pub use html::html;
pub use markdown::markdown;

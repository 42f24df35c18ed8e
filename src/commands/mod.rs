//! One file per subcommand: each turns its parsed arguments into library calls, renders
//! through [`crate::report`] (or a report's own text), writes the output files and maps the
//! outcome to an exit code (0 pass, 1 a predicted SLO fails, 2 bad input, returned as an
//! error). The only place that prints or writes output files.

pub mod bench;
pub mod calibrate;
pub mod capacity;
pub mod check;
mod common;
pub mod compare;
pub mod diff;
pub mod hpa;
pub mod merge;
pub mod out_dir;
pub mod plot;
pub mod report;
pub mod run;
pub mod size;
pub mod sweep;
pub mod validate;

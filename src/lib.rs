//! capsim: a discrete-event simulator that predicts how a multi-tier web service behaves
//! under a k6-style load test, replicated many times to give confidence intervals.
//!
//! Data flows one way: file -> [`spec`] -> validated [`model`] -> [`engine`] run ->
//! per-replication results -> [`stats`] across replications -> [`report`].

pub mod aggregate;
pub mod app;
pub mod autoscale;
pub mod cli;
pub mod commands;
pub mod engine;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod gate;
pub mod interrupt;
pub mod model;
pub mod planning;
pub mod progress;
pub mod replicate;
pub mod report;
pub mod run_folder;
pub mod script;
pub mod spec;
pub mod stats;
pub mod suggest;
pub mod theory;
pub mod time;
pub mod workload;

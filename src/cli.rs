//! Command-line interface (clap derive). No logic here.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "capsim", version, about = "Predict a k6 load test of a multi-tier web service before running it", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run an experiment's replications and print a k6-like summary with 95% intervals.
    Run(RunArgs),
    /// Check a model or experiment file without running it.
    Validate {
        /// A model (models/*.yaml) or experiment (experiments/*.yaml) file.
        file: PathBuf,
    },
    /// Measure the engine: events per second and peak memory of one replication.
    Bench(BenchArgs),
    /// HPA dry run: one reconcile of the Kubernetes controller on a snapshot file
    /// (docs/hpa-dry-run.md): desired replicas and the condition reasons.
    Hpa {
        /// The snapshot (HPA manifest, pods, current replicas, history).
        snapshot: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The experiment file.
    pub experiment: PathBuf,
    /// Replications (default: the experiment's, else 8).
    #[arg(long, short = 'n')]
    pub replications: Option<u32>,
    /// Seed of the random streams (default: the experiment's, else 1).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, short = 't')]
    pub threads: Option<usize>,
    /// Folder for summary.json and timeseries.csv.
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
    /// Stop a replication after this many events (a budget for untrusted input).
    #[arg(long)]
    pub max_events: Option<u64>,
    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The experiment to measure (default: the shipped benchmark experiment).
    #[arg(default_value = "experiments/bench.yaml")]
    pub experiment: PathBuf,
    /// Replications to run for the scaling measurement (one per thread by default).
    #[arg(long)]
    pub replications: Option<u32>,
    #[arg(long, short = 't')]
    pub threads: Option<usize>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

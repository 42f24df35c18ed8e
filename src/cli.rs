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
        /// A folder the config's files may also be read from (repeatable). By default every
        /// path a config names must lie in the git work tree holding the file given here (else
        /// its folder): docs/security.md.
        #[arg(long = "allow-path", value_name = "DIR")]
        allow_path: Vec<PathBuf>,
    },
    /// CI gate: exit 0 when every threshold passes with the required probability, 1 when
    /// one fails or is undecided, 2 on bad input.
    Check(CheckArgs),
    /// Compare two configurations with common random numbers (paired intervals).
    Diff(DiffArgs),
    /// Run a grid of overrides; write sweep.csv with Pareto-optimal points.
    Sweep(SweepArgs),
    /// Combine `--shard` outputs into the outputs of one run.
    Merge(MergeArgs),
    /// The highest load factor (along the experiment's own profile) at which every
    /// threshold passes with P(pass) >= level; exit 0 found, 2 bad input or no factor passes.
    Capacity(CapacityArgs),
    /// The cheapest setting of knobs (`--knob PATH=LO..HI`) that meets every threshold with
    /// P(pass) >= level; exit 0 found, 1 infeasible, 2 bad input.
    Size(SizeArgs),
    /// Measure the engine: events per second and peak memory of one replication.
    Bench(BenchArgs),
    /// Redraw every figure, report.md and report.html of a run folder from its saved
    /// results (summary.json, timeseries.csv, latency.csv), without simulating again; in a
    /// sweep folder (sweep.csv), the sweep heatmap and cost-versus-SLO Pareto chart.
    Plot {
        /// A folder written by `capsim run --out` or `capsim sweep --out`.
        dir: PathBuf,
        /// A target request rate drawn on the request-rate figure.
        #[arg(long)]
        target_rps: Option<f64>,
    },
    /// Run a load-test plan's experiments and write its predicted results table, success
    /// criteria verdicts and contradictions (plan-report.md and .json).
    Report(ReportArgs),
    /// Fit model parameters (override paths) to measured metrics, with common random numbers.
    Calibrate(CalibrateArgs),
    /// A run's prediction against a real k6 result (summary export, handleSummary JSON, or
    /// `--out json`/`--out csv` samples); exit 0 every observation inside the predicted band,
    /// 1 one outside, 2 bad input.
    Compare(CompareArgs),
    /// HPA dry run: one reconcile of the Kubernetes controller on a snapshot file
    /// (docs/hpa-dry-run.md): desired replicas and the condition reasons.
    Hpa {
        /// The snapshot (HPA manifest, pods, current replicas, history).
        snapshot: PathBuf,
        /// A folder the config's files may also be read from (repeatable). By default every
        /// path a config names must lie in the git work tree holding the file given here (else
        /// its folder): docs/security.md.
        #[arg(long = "allow-path", value_name = "DIR")]
        allow_path: Vec<PathBuf>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The experiment file, or a k6 script (`.js`, with --model).
    pub experiment: PathBuf,
    /// k6 script options (k6 run's flags, which win over the script's options).
    #[command(flatten)]
    pub k6: K6RunArgs,
    /// A folder the config's files may also be read from (repeatable). By default every
    /// path a config names must lie in the git work tree holding the file given here (else
    /// its folder): docs/security.md.
    #[arg(long = "allow-path", value_name = "DIR")]
    pub allow_path: Vec<PathBuf>,
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
    /// Stop the whole run (exit 2) after this much wall-clock time, e.g. `10m`
    /// (default: no limit; `none` or `0` for none).
    #[arg(long, value_name = "DURATION", value_parser = parse_wall_time)]
    pub max_wall_time: Option<WallTime>,
    /// Memory budget of the command, e.g. `2GiB`, `512MiB` (default: 4GiB; `none` lifts it):
    /// an experiment whose estimate exceeds it is refused before running, and a replication
    /// whose state outgrows its share stops with exit 2 (docs/security.md).
    #[arg(long, value_name = "SIZE", value_parser = parse_memory)]
    pub max_memory: Option<MemoryLimit>,
    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Do not draw the figures and reports into --out.
    #[arg(long)]
    pub no_plots: bool,
    /// A target request rate drawn on the request-rate figure (the plan's 2090).
    #[arg(long)]
    pub target_rps: Option<f64>,
    /// Override a field of the experiment, its model or an HPA manifest (repeatable):
    /// `scenarios.load.vus=800`, `services.api.workers=16`, `hpa.NAME.spec.maxReplicas=20`.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Run only shard K of N (replication indices i with i % N == K-1) and write
    /// OUT/partial.yaml for `capsim merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Sequential stopping: replicate until the metric's 95% interval is this narrow
    /// relative to its mean, e.g. `http_req_duration.p(95)=0.05`.
    #[arg(long, value_name = "METRIC=REL_HALF_WIDTH")]
    pub precision: Option<String>,
    /// Cap on replications under --precision (default 200).
    #[arg(long)]
    pub max_replications: Option<u32>,
}

/// `k6 run`'s flags that change a prediction, for a k6 script (docs/k6-scripts.md).
#[derive(Debug, Args, Clone, Default)]
pub struct K6RunArgs {
    /// The model a k6 script runs on (`capsim run load.js --model models/x.yaml`).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// `__ENV` entry of the script (repeatable), as `k6 run -e`.
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// k6 run --vus.
    #[arg(short = 'u', long)]
    pub vus: Option<u64>,
    /// k6 run --duration, e.g. 10m.
    #[arg(short = 'd', long)]
    pub duration: Option<String>,
    /// k6 run --iterations.
    #[arg(short = 'i', long)]
    pub iterations: Option<u64>,
    /// k6 run --stage DURATION:TARGET (repeatable).
    #[arg(short = 's', long = "stage", value_name = "DURATION:TARGET")]
    pub stage: Vec<String>,
    /// k6 run --rps: the global request-rate cap.
    #[arg(long)]
    pub rps: Option<f64>,
    /// k6 run --batch: at most this many of one http.batch()'s requests in flight (over the
    /// script's `batch` option; at least 1).
    #[arg(long)]
    pub batch: Option<u32>,
    /// k6 run --batch-per-host: at most this many of one http.batch()'s requests in flight to
    /// one host (over the script's `batchPerHost`; 0: no limit).
    #[arg(long)]
    pub batch_per_host: Option<u32>,
    /// Iterations of each scenario function recorded from the script (default 2000).
    #[arg(long)]
    pub samples: Option<u32>,
    /// Make calls into modules capsim does not simulate (k6/ws, ...) no-ops, with a warning.
    #[arg(long)]
    pub ignore_unsupported: bool,
}

/// Options shared by the gate commands (check, diff, sweep).
#[derive(Debug, Args, Clone)]
pub struct GateRunArgs {
    /// A folder the config's files may also be read from (repeatable). By default every
    /// path a config names must lie in the git work tree holding the file given here (else
    /// its folder): docs/security.md.
    #[arg(long = "allow-path", value_name = "DIR")]
    pub allow_path: Vec<PathBuf>,
    /// Override a field (repeatable): `scenarios.load.vus=800`, `services.api.workers=16`,
    /// `model.services.api.replicas=4`, `hpa.NAME.spec.behavior.scaleDown.stabilizationWindowSeconds=600`.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Replications (default: the experiment's, else 8).
    #[arg(long, short = 'n')]
    pub replications: Option<u32>,
    /// Seed of the random streams (default: the experiment's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, short = 't')]
    pub threads: Option<usize>,
    /// Stop a replication after this many events (default 2e9: a bound for untrusted input).
    #[arg(long)]
    pub max_events: Option<u64>,
    /// Stop the whole command (exit 2) after this much wall-clock time, e.g. `30m`
    /// (default: 10m for check and diff, 1h for sweep; `none` or `0` for none).
    #[arg(long, value_name = "DURATION", value_parser = parse_wall_time)]
    pub max_wall_time: Option<WallTime>,
    /// Memory budget of the command, e.g. `1GiB` (default: 2GiB for check and diff, 4GiB
    /// for sweep; `none` lifts it): an experiment whose estimate exceeds it is refused
    /// before running, and a replication whose state outgrows its share stops with exit 2
    /// (docs/security.md).
    #[arg(long, value_name = "SIZE", value_parser = parse_memory)]
    pub max_memory: Option<MemoryLimit>,
}

/// A `--max-wall-time` value: a duration, or no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WallTime {
    Unlimited,
    Limit(std::time::Duration),
}

impl WallTime {
    /// The deadline this limit sets when the work starts now.
    pub fn deadline(self) -> Option<std::time::Instant> {
        match self {
            WallTime::Unlimited => None,
            WallTime::Limit(d) => std::time::Instant::now().checked_add(d),
        }
    }
}

/// A `--max-memory` value: bytes, or no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryLimit {
    Unlimited,
    Bytes(u64),
}

impl MemoryLimit {
    /// The limit in bytes; `default` when the flag was not given.
    pub fn or_default(limit: Option<MemoryLimit>, default: u64) -> Option<u64> {
        match limit {
            None => Some(default),
            Some(MemoryLimit::Unlimited) => None,
            Some(MemoryLimit::Bytes(n)) => Some(n),
        }
    }
}

/// Parses `--max-memory`: `2GiB`, `512MiB`, `4GB`, bytes, or `none`.
pub fn parse_memory(text: &str) -> Result<MemoryLimit, String> {
    crate::engine::memory::parse_size(text)
        .map(|n| n.map_or(MemoryLimit::Unlimited, MemoryLimit::Bytes))
}

/// Parses `--max-wall-time`: a Go/k6 duration (`90s`, `10m`, `1h30m`), or `none`/`0`.
pub fn parse_wall_time(text: &str) -> Result<WallTime, String> {
    if matches!(text.trim(), "none" | "0" | "off") {
        return Ok(WallTime::Unlimited);
    }
    let ns = crate::time::parse_duration(text)?;
    Ok(WallTime::Limit(std::time::Duration::from_nanos(ns)))
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The experiment file.
    pub experiment: PathBuf,
    #[command(flatten)]
    pub run: GateRunArgs,
    /// Probability each threshold must pass with, 0 to 1: a threshold passes when the lower
    /// bound of its P(pass) interval reaches it (by the count or by the values, docs/statistics.md).
    #[arg(long, default_value_t = 0.9)]
    pub level: f64,
    /// Confidence of the intervals on P(pass), 0 to 1.
    #[arg(long, default_value_t = 0.95)]
    pub confidence: f64,
    /// Sequential stopping on a metric, e.g. `http_req_duration.p(95)=0.05`.
    #[arg(long, value_name = "METRIC=REL_HALF_WIDTH")]
    pub precision: Option<String>,
    /// Cap on replications: check doubles the count while a threshold is undecided, up to
    /// this (default 64; 200 under --precision). Equal to -n: no added replications.
    #[arg(long)]
    pub max_replications: Option<u32>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Write JUnit XML (one test case per threshold).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write a Markdown summary (for $GITHUB_STEP_SUMMARY).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Print nothing but errors (the exit code still tells).
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The baseline experiment (A).
    pub a: PathBuf,
    /// The candidate experiment (B); without it, B is A with the --set overrides.
    pub b: Option<PathBuf>,
    #[command(flatten)]
    pub run: GateRunArgs,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Write a Markdown table.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The experiment file (its `sweep:` block gives the grid unless --grid does).
    pub experiment: PathBuf,
    /// A grid axis (repeatable): `PATH=v1,v2,v3`.
    #[arg(long, value_name = "PATH=V1,V2")]
    pub grid: Vec<String>,
    #[command(flatten)]
    pub run: GateRunArgs,
    /// Folder for sweep.csv (or partial.yaml with --shard).
    #[arg(long, short = 'o', default_value = "sweep-out")]
    pub out: PathBuf,
    /// Run only shard K of N (points i with i % N == K-1).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// SLO attainment the recommendation must reach.
    #[arg(long, default_value_t = 0.9)]
    pub level: f64,
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Do not draw sweep_heatmap and sweep_pareto (PNG, SVG) into --out.
    #[arg(long)]
    pub no_plots: bool,
}

#[derive(Debug, Args)]
pub struct CapacityArgs {
    /// The experiment file (its thresholds are the SLOs).
    pub experiment: PathBuf,
    /// Options of the runs; -n is the replications of a factor away from the boundary
    /// (default 5); near it they double up to --max-replications.
    #[command(flatten)]
    pub run: GateRunArgs,
    /// Probability every threshold must pass with, 0 to 1.
    #[arg(long, default_value_t = 0.9)]
    pub level: f64,
    /// Confidence of the intervals on P(pass), 0 to 1.
    #[arg(long, default_value_t = 0.95)]
    pub confidence: f64,
    /// Stop when the bracket [lo, hi] around the limit has hi/lo - 1 at most this.
    #[arg(long, default_value_t = 0.05)]
    pub tolerance: f64,
    /// The first factor tried.
    #[arg(long, default_value_t = 1.0)]
    pub start: f64,
    /// Most factors evaluated.
    #[arg(long, default_value_t = 24)]
    pub max_evaluations: usize,
    /// Most replications of a factor near the boundary.
    #[arg(long, default_value_t = 20)]
    pub max_replications: u32,
    /// Print the answer as JSON.
    #[arg(long)]
    pub json: bool,
    /// Folder for capacity.json and the capacity_curve figure (PNG, SVG).
    #[arg(long, short = 'o', default_value = "capacity-out")]
    pub out: PathBuf,
    /// Do not draw the capacity_curve figure.
    #[arg(long)]
    pub no_plots: bool,
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct SizeArgs {
    /// The experiment file (its load and thresholds are the target).
    pub experiment: PathBuf,
    /// A knob and its range (repeatable): `PATH=LO..HI`, whole numbers or durations, any
    /// `--set` path: `services.api.replicas=2..12`, `databases.postgres.pool_size=10..80`,
    /// `hpa.api.spec.behavior.scaleDown.stabilizationWindowSeconds=0..600`.
    #[arg(long, value_name = "PATH=LO..HI", required = true)]
    pub knob: Vec<String>,
    /// Options of the runs; -n is the replications of a setting away from the boundary
    /// (default 5); near it they double up to --max-replications.
    #[command(flatten)]
    pub run: GateRunArgs,
    /// Probability every threshold must pass with, 0 to 1.
    #[arg(long, default_value_t = 0.9)]
    pub level: f64,
    /// Confidence of the intervals on P(pass), 0 to 1.
    #[arg(long, default_value_t = 0.95)]
    pub confidence: f64,
    /// Most settings evaluated.
    #[arg(long, default_value_t = 60)]
    pub max_evaluations: usize,
    /// Most replications of a setting near the boundary.
    #[arg(long, default_value_t = 20)]
    pub max_replications: u32,
    /// Print the answer as JSON.
    #[arg(long)]
    pub json: bool,
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Folders (or partial.yaml files) written by `--shard` runs.
    #[arg(required = true)]
    pub parts: Vec<PathBuf>,
    /// Folder for the merged outputs.
    #[arg(long, short = 'o')]
    pub out: PathBuf,
    /// A folder the experiment named in the shards (and its files) may also be read from
    /// (repeatable). By default it must lie in the git work tree of the current folder
    /// (else the current folder): docs/security.md.
    #[arg(long = "allow-path", value_name = "DIR")]
    pub allow_path: Vec<PathBuf>,
    /// Sweeps: SLO attainment the recommendation must reach.
    #[arg(long, default_value_t = 0.9)]
    pub level: f64,
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The experiment to measure (default: the shipped benchmark experiment), or a k6
    /// script with --model.
    #[arg(default_value = "experiments/bench.yaml")]
    pub experiment: PathBuf,
    /// k6 script options, as for `capsim run`.
    #[command(flatten)]
    pub k6: K6RunArgs,
    /// A folder the config's files may also be read from (repeatable). By default every
    /// path a config names must lie in the git work tree holding the file given here (else
    /// its folder): docs/security.md.
    #[arg(long = "allow-path", value_name = "DIR")]
    pub allow_path: Vec<PathBuf>,
    /// Replications to run for the scaling measurement (one per thread by default).
    #[arg(long)]
    pub replications: Option<u32>,
    #[arg(long, short = 't')]
    pub threads: Option<usize>,
    /// Memory budget of the command, e.g. `2GiB`, `512MiB` (default: 4GiB; `none` lifts it):
    /// an experiment whose estimate exceeds it is refused before running, and a replication
    /// whose state outgrows its share stops with exit 2 (docs/security.md).
    #[arg(long, value_name = "SIZE", value_parser = parse_memory)]
    pub max_memory: Option<MemoryLimit>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Folder of the plan's experiments (holding plan.yaml).
    pub dir: PathBuf,
    /// The plan file (default: DIR/plan.yaml).
    #[arg(long)]
    pub plan: Option<PathBuf>,
    /// A folder the config's files may also be read from (repeatable). By default every
    /// path a config names must lie in the git work tree holding the file given here (else
    /// its folder): docs/security.md.
    #[arg(long = "allow-path", value_name = "DIR")]
    pub allow_path: Vec<PathBuf>,
    /// Folder for plan-report.md and plan-report.json.
    #[arg(long, short = 'o', default_value = "reports/plan")]
    pub out: PathBuf,
    /// Replications per experiment (default: the plan's, else each experiment's).
    #[arg(long, short = 'n')]
    pub replications: Option<u32>,
    /// Shortened scenarios and few replications (the plan's `quick` overrides): a smoke test.
    #[arg(long)]
    pub quick: bool,
    /// Also answer the plan's `capacity:` questions (how much load the architecture holds,
    /// what breaks first, the cheapest knob settings at the target load): many runs, minutes.
    #[arg(long)]
    pub capacity: bool,
    #[arg(long, short = 't')]
    pub threads: Option<usize>,
    /// Stop a replication after this many events (default 2e9).
    #[arg(long)]
    pub max_events: Option<u64>,
    /// Stop the whole command (exit 2) after this much wall-clock time, e.g. `1h`
    /// (default: no limit; `none` or `0` for none).
    #[arg(long, value_name = "DURATION", value_parser = parse_wall_time)]
    pub max_wall_time: Option<WallTime>,
    /// Memory budget of the command, e.g. `2GiB`, `512MiB` (default: 4GiB; `none` lifts it):
    /// an experiment whose estimate exceeds it is refused before running, and a replication
    /// whose state outgrows its share stops with exit 2 (docs/security.md).
    #[arg(long, value_name = "SIZE", value_parser = parse_memory)]
    pub max_memory: Option<MemoryLimit>,
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// A folder written by `capsim run --out` (replications.csv, else summary.json).
    pub run: PathBuf,
    /// The real test's k6 result file.
    pub result: PathBuf,
    /// Print the comparison as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// The experiment whose model is fitted.
    pub experiment: PathBuf,
    /// A folder the config's files may also be read from (repeatable). By default every
    /// path a config names must lie in the git work tree holding the file given here (else
    /// its folder): docs/security.md.
    #[arg(long = "allow-path", value_name = "DIR")]
    pub allow_path: Vec<PathBuf>,
    /// A parameter and its range (repeatable): `PATH=LO..HI`, e.g.
    /// `model.services.backend.operations.claim[0].work.gamma.mean=100ms..200ms`.
    #[arg(long, value_name = "PATH=LO..HI", required = true)]
    pub param: Vec<String>,
    /// A measured figure to match (repeatable): `http_req_duration.avg=380`,
    /// `http_req_failed.rate=0.007`; with `--observed`, a bare `METRIC` takes its value from
    /// the k6 result.
    #[arg(
        long,
        value_name = "METRIC=VALUE",
        required_unless_present = "observed"
    )]
    pub target: Vec<String>,
    /// A k6 result file (summary export, handleSummary JSON, `--out json` or `--out csv`)
    /// whose values are the targets: the metrics named by `--target METRIC`, else
    /// `http_req_duration.avg`, `http_req_duration.p(95)` and `http_req_failed.rate`.
    #[arg(long, value_name = "K6_RESULT")]
    pub observed: Option<PathBuf>,
    /// Relative tolerance for every target.
    #[arg(long, default_value_t = 0.1)]
    pub tolerance: f64,
    /// Most evaluations (each runs every replication).
    #[arg(long, default_value_t = 60)]
    pub max_evaluations: usize,
    /// Fixed overrides applied before the parameters (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    #[arg(long, short = 'n')]
    pub replications: Option<u32>,
    #[arg(long)]
    pub seed: Option<u64>,
    #[arg(long, short = 't')]
    pub threads: Option<usize>,
    #[arg(long)]
    pub max_events: Option<u64>,
    /// Stop the whole command (exit 2) after this much wall-clock time, e.g. `1h`
    /// (default: no limit; `none` or `0` for none).
    #[arg(long, value_name = "DURATION", value_parser = parse_wall_time)]
    pub max_wall_time: Option<WallTime>,
    /// Memory budget of the command, e.g. `2GiB`, `512MiB` (default: 4GiB; `none` lifts it):
    /// an experiment whose estimate exceeds it is refused before running, and a replication
    /// whose state outgrows its share stops with exit 2 (docs/security.md).
    #[arg(long, value_name = "SIZE", value_parser = parse_memory)]
    pub max_memory: Option<MemoryLimit>,
    /// Write the calibrated values as `--set` lines to this file.
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
    /// Write every iteration and the result as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }
}

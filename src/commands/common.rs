//! What the subcommands share: writing an output file, parsing `--set`, loading an
//! experiment with the command line's seed and replications, the gate commands' runner,
//! and running a fixed count or until `--precision`.

use crate::cli::{GateRunArgs, MemoryLimit, WallTime};
use crate::commands::out_dir::OutputError;
use crate::engine::{Budget, ReplicationResult};
use crate::gate::Runner;
use crate::gate::sequential::{DEFAULT_MAX_REPLICATIONS, check_metric, parse_precision, run_until};
use crate::model::experiment::{Experiment, MAX_REPLICATIONS};
use crate::model::load::load_experiment_with;
use crate::spec::overrides::Overrides;
use anyhow::{Result, anyhow, bail, ensure};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Writes an output file whole (temporary name, then rename); a failure is an
/// [`OutputError`] (exit 3).
pub(crate) fn write_output(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::run_folder::write_atomic(path, bytes).map_err(|source| {
        OutputError {
            path: path.to_path_buf(),
            source,
        }
        .into()
    })
}

/// The `--set` overrides, with the `--allow-path` folders the config's files may name.
pub(crate) fn parse_overrides(set: &[String], allow: &[PathBuf]) -> Result<Overrides> {
    Ok(Overrides::parse(set)
        .map_err(anyhow::Error::msg)?
        .allowing(allow))
}

/// `k6 run`'s flags as the loader takes them.
pub(crate) fn script_flags(
    args: &crate::cli::K6RunArgs,
) -> Result<crate::spec::k6_script::ScriptFlags> {
    use crate::spec::k6_script::{ScriptFlags, parse_env, parse_stage};
    if let Some(d) = &args.duration {
        crate::time::parse_duration(d).map_err(|e| anyhow!("--duration {d}: {e}"))?;
    }
    if args.batch == Some(0) {
        bail!("--batch 0: at least one request of a batch must be in flight; write 1 or more");
    }
    Ok(ScriptFlags {
        model: args.model.clone(),
        env: args
            .env
            .iter()
            .map(|e| parse_env(e))
            .collect::<Result<_, _>>()
            .map_err(anyhow::Error::msg)?,
        vus: args.vus,
        duration: args.duration.clone(),
        iterations: args.iterations,
        stages: args
            .stage
            .iter()
            .map(|s| parse_stage(s))
            .collect::<Result<_, _>>()
            .map_err(anyhow::Error::msg)?,
        rps: args.rps,
        batch: args.batch,
        batch_per_host: args.batch_per_host,
        samples: args.samples,
        ignore_unsupported: args.ignore_unsupported,
    })
}

fn check_replications(n: u32, flag: &str) -> Result<()> {
    ensure!(
        (1..=MAX_REPLICATIONS).contains(&n),
        "{flag} {n}: allowed 1 to {MAX_REPLICATIONS}"
    );
    Ok(())
}

/// Loads an experiment with overrides and the command line's seed and replications.
pub(crate) fn load(
    path: &Path,
    overrides: &Overrides,
    replications: Option<u32>,
    seed: Option<u64>,
) -> Result<Experiment> {
    let mut exp = load_experiment_with(path, overrides)?;
    if let Some(n) = replications {
        check_replications(n, "--replications")?;
        exp.replications = n;
    }
    if let Some(s) = seed {
        exp.seed = s;
    }
    Ok(exp)
}

/// The runner of a gate command; `default_wall_time` and `default_memory` apply without
/// `--max-wall-time` and `--max-memory`.
pub(crate) fn gate_runner(
    args: &GateRunArgs,
    default_wall_time: Duration,
    default_memory: u64,
) -> Runner {
    let wall = args
        .max_wall_time
        .unwrap_or(WallTime::Limit(default_wall_time));
    Runner {
        threads: note_threads(args.threads),
        keep: Default::default(),
        budget: Budget {
            max_events: args
                .max_events
                .unwrap_or(crate::gate::DEFAULT_GATE_MAX_EVENTS),
            deadline: wall.deadline(),
            stop: crate::interrupt::flag(),
            max_memory: MemoryLimit::or_default(args.max_memory, default_memory),
            ..Budget::default()
        },
    }
}

pub(crate) fn all_indices(exp: &Experiment) -> Vec<u32> {
    (0..exp.replications).collect()
}

/// Runs until `--precision` is met (or its cap), else the experiment's count; with
/// `--precision`, also the line that says why it stopped.
pub(crate) fn run_count(
    exp: &Experiment,
    precision: Option<&str>,
    max_replications: Option<u32>,
    runner: &Runner,
) -> Result<(Vec<ReplicationResult>, Option<String>)> {
    match precision {
        Some(p) => {
            let p = parse_precision(p).map_err(anyhow::Error::msg)?;
            check_metric(exp, &p).map_err(|e| anyhow!("--precision: {e}"))?;
            let cap = max_replications.unwrap_or(DEFAULT_MAX_REPLICATIONS);
            check_replications(cap, "--max-replications")?;
            let (results, stop) = run_until(exp, &p, exp.replications.min(cap), cap, runner)?;
            Ok((results, Some(stop.line())))
        }
        None => Ok((runner.run(exp, &all_indices(exp))?, None)),
    }
}

/// `--threads` as given, with a note on stderr when it is above the machine's parallelism
/// (the pools cap it there: [`crate::replicate::cap_threads`]).
pub(crate) fn note_threads(threads: Option<usize>) -> Option<usize> {
    if let Some(n) = threads {
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
        if n > cores {
            eprintln!("note: --threads {n} is above this machine's {cores} cores; using {cores}");
        }
    }
    threads
}

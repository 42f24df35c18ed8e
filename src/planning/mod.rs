//! Planning: run a customer's load-test plan in capsim and predict its results table
//! (`capsim report`), check its success criteria and its internal consistency, and fit
//! model parameters to measured figures (`capsim calibrate`), find the load a system
//! holds (`capsim capacity`) and the cheapest setting that meets the SLOs (`capsim size`).
//!
//! The plan file (see [`plan::PlanSpec`], e.g. `experiments/plan.yaml`) names the
//! experiments that answer each row of the plan's table and the values the plan expects.

pub mod breaks;
pub mod calibrate;
pub mod capacity;
pub mod knob;
pub mod measures;
pub mod plan;
pub mod plan_capacity;
pub mod plan_tune;
pub mod probe;
pub mod report;
pub mod run_all;
pub mod scale_load;
pub mod size;
pub mod size_report;
pub mod verdicts;

use crate::engine::{Budget, ReplicationResult};
use crate::gate::Runner;
use crate::model::experiment::Experiment;
use crate::model::load::load_experiment_with;
use crate::spec::overrides::Overrides;
use crate::spec::read::read_text;
use crate::spec::yaml::parse_yaml;
use anyhow::{Context as _, Result, anyhow, ensure};
use measures::{Context, Measures, measure};
use plan::PlanSpec;
use std::path::{Path, PathBuf};

/// How `capsim report` runs the plan.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Replications per experiment (overrides the plan's and the experiments').
    pub replications: Option<u32>,
    /// Shorter scenarios and fewer replications (the plan's `quick` overrides).
    pub quick: bool,
    pub threads: Option<usize>,
    pub max_events: Option<u64>,
    /// Run only these experiments (and what the report needs of the rest is left out).
    pub only: Vec<String>,
    /// Folders besides the plan's work tree that its files may name (`--allow-path`).
    pub allow: Vec<std::path::PathBuf>,
    /// Wall-clock deadline of the whole plan (`--max-wall-time`).
    pub deadline: Option<std::time::Instant>,
    /// The Ctrl-C/SIGTERM stop flag.
    pub stop: Option<&'static std::sync::atomic::AtomicBool>,
    /// The memory budget in bytes (`--max-memory`), per experiment run.
    pub max_memory: Option<u64>,
}

/// One experiment of the plan, run.
pub struct Ran {
    pub name: String,
    pub file: PathBuf,
    pub overrides: Vec<String>,
    pub exp: Experiment,
    pub results: Vec<ReplicationResult>,
    pub measures: Vec<Measures>,
    pub window: Option<[f64; 2]>,
    /// From its first replication's start to its last one's end (experiments overlap).
    pub wall_s: f64,
    /// From the start of the plan's runs to its last replication's end.
    pub ended_s: f64,
}

impl Ran {
    pub fn values(&self, f: impl Fn(&Measures) -> f64) -> Vec<f64> {
        self.measures.iter().map(f).collect()
    }
}

/// Reads and checks a plan file.
pub fn load_plan(path: &Path) -> Result<PlanSpec> {
    let text = read_text(path)?;
    let plan: PlanSpec = parse_yaml(path, &text)?;
    ensure!(
        plan.level > 0.0 && plan.level < 1.0,
        "{}: level {} must be between 0 and 1",
        path.display(),
        plan.level
    );
    let known = |n: &str| plan.experiments.contains_key(n);
    let mut refs: Vec<&str> = plan.rows.iter().map(|r| r.experiment.as_str()).collect();
    refs.extend(plan.spike.iter().map(|s| s.experiment.as_str()));
    refs.extend(plan.scaling.iter().map(|s| s.experiment.as_str()));
    refs.extend(
        plan.cost
            .iter()
            .flat_map(|c| [c.baseline.as_str(), c.scaled.as_str()]),
    );
    refs.extend(
        plan.criteria
            .iter()
            .flat_map(|c| c.experiments.iter().map(String::as_str)),
    );
    if let Some(c) = &plan.capacity {
        refs.push(c.experiment.as_str());
        refs.extend(c.size.iter().map(|s| s.experiment.as_str()));
    }
    for r in refs {
        ensure!(
            known(r),
            "{}: experiment `{r}` is used but not listed under `experiments:`",
            path.display()
        );
    }
    for c in &plan.criteria {
        ensure!(
            measures::METRIC_NAMES.contains(&c.metric.as_str()),
            "{}: criterion `{}`: unknown metric `{}` (known: {})",
            path.display(),
            c.name,
            c.metric,
            measures::METRIC_NAMES.join(", ")
        );
        ensure!(
            c.below.is_some() != c.at_least.is_some(),
            "{}: criterion `{}`: give exactly one of `below:` and `at_least:`",
            path.display(),
            c.name
        );
    }
    Ok(plan)
}

fn parse_window(w: &[String; 2]) -> Result<[f64; 2]> {
    let s = |t: &str| {
        crate::time::parse_duration(t)
            .map(|n| n as f64 / 1e9)
            .map_err(|e| anyhow!("spike window: {e}"))
    };
    Ok([s(&w[0])?, s(&w[1])?])
}

/// An experiment of the plan, loaded and not yet run.
struct Prepared {
    name: String,
    file: PathBuf,
    overrides: Vec<String>,
    exp: Experiment,
}

/// Loads every experiment of the plan (with `--quick`'s overrides and the replications
/// asked for), so that a wrong file stops the report before any run.
fn prepare(dir: &Path, plan: &PlanSpec, opts: &Options) -> Result<Vec<Prepared>> {
    let files = crate::spec::confine::Files::for_file(&dir.join("plan.yaml"), &opts.allow);
    let mut out = Vec::new();
    for (name, entry) in &plan.experiments {
        if !opts.only.is_empty() && !opts.only.contains(name) {
            continue;
        }
        let file = files
            .resolve(entry.file.clone().unwrap_or_else(|| format!("{name}.yaml")))
            .map_err(|e| anyhow::anyhow!("plan experiment `{name}`: file: {e}"))?;
        ensure!(
            file.exists(),
            "plan experiment `{name}`: {} not found",
            file.display()
        );
        let mut sets = entry.set.clone();
        if opts.quick {
            sets.extend(entry.quick.iter().cloned());
        }
        let overrides = Overrides::parse(&sets)
            .map_err(anyhow::Error::msg)?
            .allowing(&opts.allow);
        let mut exp = load_experiment_with(&file, &overrides)
            .with_context(|| format!("plan experiment `{name}`"))?;
        let n = opts.replications.or(if opts.quick {
            Some(plan.quick.replications.unwrap_or(2))
        } else {
            plan.replications
        });
        if let Some(n) = n {
            ensure!(
                (1..=crate::model::experiment::MAX_REPLICATIONS).contains(&n),
                "replications {n}: allowed 1 to {}",
                crate::model::experiment::MAX_REPLICATIONS
            );
            exp.replications = n;
        }
        out.push(Prepared {
            name: name.clone(),
            file,
            overrides: sets,
            exp,
        });
    }
    Ok(out)
}

/// Runs every experiment of the plan; `progress` hears one line per experiment, in plan
/// order. The replications of all experiments share one set of worker threads
/// ([`run_all`]): the results are those of running the experiments one by one.
pub fn run_plan(
    dir: &Path,
    plan: &PlanSpec,
    opts: &Options,
    progress: &dyn Fn(&str),
) -> Result<Vec<Ran>> {
    let runner = Runner {
        threads: opts.threads,
        keep: Default::default(),
        budget: Budget {
            max_events: opts
                .max_events
                .unwrap_or(crate::gate::DEFAULT_GATE_MAX_EVENTS),
            deadline: opts.deadline,
            stop: opts.stop,
            max_memory: opts.max_memory,
            ..Budget::default()
        },
    };
    let prepared = prepare(dir, plan, opts)?;
    let threads = runner.threads();
    let mut work = Vec::with_capacity(prepared.len());
    for p in &prepared {
        let n = p.exp.replications as usize;
        let budget = runner
            .budget
            .for_run_keeping(&p.exp, threads.min(n), n, runner.keep)
            .with_context(|| format!("plan experiment `{}`", p.name))?;
        work.push(run_all::Work {
            name: &p.name,
            exp: &p.exp,
            budget,
        });
    }
    // The spike window is read before the runs, so a wrong one costs no minutes of runs.
    let spike_window = match plan.spike.as_ref().and_then(|s| s.window.as_ref()) {
        Some(w) => Some(parse_window(w)?),
        None => None,
    };
    let mut finished = Vec::with_capacity(prepared.len());
    run_all::run_all(&runner, &work, threads, &mut |i, f| {
        let p = &prepared[i];
        progress(&format!(
            "  {}: {} replications of {} simulated in {:.1} s",
            p.name,
            p.exp.replications,
            crate::time::format_duration(p.exp.end_time()),
            f.wall_s
        ));
        finished.push(f);
        Ok(())
    })?;
    let mut out = Vec::with_capacity(prepared.len());
    for (p, f) in prepared.into_iter().zip(finished) {
        let spike = plan.spike.as_ref().filter(|s| s.experiment == p.name);
        let window = spike.and(spike_window);
        let limits = spike
            .map(|s| (s.recovery_p95_ms, s.recovery_error_rate))
            .unwrap_or((None, None));
        let ctx = Context::new(&p.exp, &f.results, window, limits);
        let measures = f.results.iter().map(|r| measure(&p.exp, &ctx, r)).collect();
        let window = ctx.window;
        out.push(Ran {
            name: p.name,
            file: p.file,
            overrides: p.overrides,
            exp: p.exp,
            results: f.results,
            measures,
            window,
            wall_s: f.wall_s,
            ended_s: f.ended_s,
        });
    }
    Ok(out)
}

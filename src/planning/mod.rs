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
use std::time::Instant;

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
    pub wall_s: f64,
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

/// Runs every experiment of the plan; `progress` hears one line per experiment.
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
        let t0 = Instant::now();
        let indices: Vec<u32> = (0..exp.replications).collect();
        let results = runner
            .run(&exp, &indices)
            .with_context(|| format!("plan experiment `{name}`"))?;
        let wall_s = t0.elapsed().as_secs_f64();
        let spike = plan.spike.as_ref().filter(|s| &s.experiment == name);
        let window = match spike.and_then(|s| s.window.as_ref()) {
            Some(w) => Some(parse_window(w)?),
            None => None,
        };
        let limits = spike
            .map(|s| (s.recovery_p95_ms, s.recovery_error_rate))
            .unwrap_or((None, None));
        let ctx = Context::new(&exp, &results, window, limits);
        let measures = results.iter().map(|r| measure(&exp, &ctx, r)).collect();
        progress(&format!(
            "  {name}: {} replications of {} simulated in {wall_s:.1} s",
            exp.replications,
            crate::time::format_duration(exp.end_time())
        ));
        out.push(Ran {
            name: name.clone(),
            file,
            overrides: sets,
            exp,
            results,
            measures,
            window: ctx.window,
            wall_s,
        });
    }
    Ok(out)
}

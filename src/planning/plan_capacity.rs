//! The plan report's capacity section (`capsim report --capacity`): how much load the
//! architecture holds (`capsim capacity` on the plan's `capacity.experiment`), what breaks
//! first above it, and the cheapest knob settings that meet the plan's thresholds at the
//! target load (`capsim size` on `capacity.size`), each with its interval. It runs many
//! settings, so it is behind a flag rather than in every report.

use crate::gate::Runner;
use crate::gate::metrics::fmt_num;
use crate::model::experiment::Experiment;
use crate::model::load::load_experiment_with;
use crate::planning::capacity::{Capacity, CapacityOptions, Outcome, capacity, load_text};
use crate::planning::knob::parse_knob;
use crate::planning::plan::PlanSpec;
use crate::planning::plan_tune::{Tuning, tune};
use crate::planning::scale_load::load_of;
use crate::planning::size::{SizeOptions, Sizing, size};
use crate::spec::overrides::Overrides;
use anyhow::{Context, Result, anyhow};
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize)]
pub struct CapacitySection {
    pub capacity: Option<Capacity>,
    pub sizing: Option<Sizing>,
    pub tuning: Option<Tuning>,
    /// The section's sentences.
    pub findings: Vec<String>,
    pub wall_s: f64,
}

/// The file and overrides of a plan experiment (its `set:` and, with `quick`, `quick:`).
fn entry(
    dir: &Path,
    plan: &PlanSpec,
    name: &str,
    quick: bool,
    allow: &[PathBuf],
) -> Result<(PathBuf, Overrides)> {
    let e = plan.experiments.get(name).ok_or_else(|| {
        anyhow!("capacity: experiment `{name}` is not listed under `experiments:`")
    })?;
    let files = crate::spec::confine::Files::for_file(&dir.join("plan.yaml"), allow);
    let file = files
        .resolve(e.file.clone().unwrap_or_else(|| format!("{name}.yaml")))
        .map_err(|err| anyhow!("plan experiment `{name}`: file: {err}"))?;
    let mut sets = e.set.clone();
    if quick {
        sets.extend(e.quick.iter().cloned());
    }
    let ov = Overrides::parse(&sets)
        .map_err(anyhow::Error::msg)?
        .allowing(allow);
    Ok((file, ov))
}

fn thresholds(exp: &Experiment) -> String {
    exp.thresholds
        .iter()
        .map(|t| format!("{} {}", t.key, t.expression))
        .collect::<Vec<_>>()
        .join(", ")
}

fn est(e: &crate::stats::interval::Estimate) -> String {
    match e.ci95 {
        Some([lo, hi]) => format!("{} [{}, {}]", fmt_num(e.mean), fmt_num(lo), fmt_num(hi)),
        None => fmt_num(e.mean),
    }
}

/// Runs the plan's capacity and sizing questions.
#[allow(clippy::too_many_arguments)]
pub fn run_capacity(
    dir: &Path,
    plan: &PlanSpec,
    quick: bool,
    allow: &[PathBuf],
    runner: &Runner,
    cap_opts: CapacityOptions,
    size_evaluations: usize,
    progress: &dyn Fn(&str),
) -> Result<Option<CapacitySection>> {
    let Some(spec) = &plan.capacity else {
        return Ok(None);
    };
    let t0 = std::time::Instant::now();
    let mut findings = Vec::new();
    let (file, ov) = entry(dir, plan, &spec.experiment, quick, allow)?;
    let exp = load_experiment_with(&file, &ov)
        .with_context(|| format!("plan experiment `{}`", spec.experiment))?;
    progress(&format!("  capacity of {} ...", spec.experiment));
    let cap = capacity(&exp, runner, cap_opts, progress)?;
    let at = cap.point(cap.factor);
    match (cap.outcome, at) {
        (Outcome::NoFactorPasses, _) | (_, None) => findings.push(format!(
            "Capacity ({}): no load factor passes {} with P(pass) >= {}: the architecture is past its capacity even at {}x the test's load.",
            spec.experiment,
            thresholds(&exp),
            cap.level,
            fmt_num(cap.limit_factor.unwrap_or(f64::NAN))
        )),
        (_, Some(p)) => {
            let above = cap
                .point(cap.limit_factor)
                .map(|a| format!("; it fails at {} (the limit lies between)", load_text(&a.load)))
                .unwrap_or_else(|| "; no larger load tried fails".into());
            findings.push(format!(
                "The {} architecture holds up to {} ({} req/s) at {} with P(pass) >= {} ({}x the load of {}){above}.",
                exp.model.name,
                load_text(&p.load),
                est(&p.probe.throughput),
                thresholds(&exp),
                cap.level,
                fmt_num(p.factor),
                spec.experiment
            ));
        }
    }
    if let Some(b) = &cap.breaks_first {
        findings.push(format!("The first thing to break: {}.", b.sentence));
    }
    let mut sizing = None;
    if let Some(sz) = &spec.size {
        let (file, ov) = entry(dir, plan, &sz.experiment, quick, allow)?;
        let exp = load_experiment_with(&file, &ov)
            .with_context(|| format!("plan experiment `{}`", sz.experiment))?;
        let knobs = sz
            .knobs
            .iter()
            .map(|k| parse_knob(k))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow!("capacity.size.knobs: {e}"))?;
        progress(&format!(
            "  cheapest settings at the load of {} ...",
            sz.experiment
        ));
        let opts = SizeOptions {
            probe: cap_opts.probe,
            max_evaluations: size_evaluations,
        };
        let s = size(&file, &ov, &exp, &knobs, runner, opts, progress)?;
        let load = load_text(&load_of(&exp));
        let paths: Vec<&str> = knobs.iter().map(|k| k.path.as_str()).collect();
        if let Some(b) = s.best.map(|i| &s.evaluated[i]) {
            findings.push(if s.feasible {
                format!(
                    "The cheapest settings of {} that meet {} at {load} ({}) are {}: cost {} {}, SLO attainment {:.2} [{:.2}, {:.2}], p(95) {} ms ({} of a {:.0}-setting grid evaluated).",
                    paths.join(", "),
                    thresholds(&exp),
                    sz.experiment,
                    b.set.join(", "),
                    est(&b.probe.cost),
                    s.cost_unit.label(),
                    b.probe.attainment,
                    b.probe.attainment_ci[0],
                    b.probe.attainment_ci[1],
                    est(&b.probe.p95_ms),
                    s.evaluations,
                    s.grid_size
                )
            } else {
                format!(
                    "No setting of {} in the given ranges meets {} at {load} ({}): the best seen, {}, reaches SLO attainment {:.2} [{:.2}, {:.2}] with p(95) {} ms; the limit is elsewhere (see what breaks first).",
                    paths.join(", "),
                    thresholds(&exp),
                    sz.experiment,
                    b.set.join(", "),
                    b.probe.attainment,
                    b.probe.attainment_ci[0],
                    b.probe.attainment_ci[1],
                    est(&b.probe.p95_ms)
                )
            });
        }
        sizing = Some(s);
    }
    let mut tuning = None;
    if let Some(t) = &spec.tune {
        let (file, ov) = entry(dir, plan, &t.experiment, quick, allow)?;
        progress(&format!("  tuning on {} ...", t.experiment));
        let reps = if quick {
            t.replications.min(2)
        } else {
            t.replications
        };
        let r = tune(
            &file,
            &ov,
            &t.knobs,
            t.points,
            reps,
            cap_opts.probe.gate,
            runner,
            progress,
        )
        .with_context(|| format!("capacity.tune on `{}`", t.experiment))?;
        findings.push(format!("{}.", r.sentence));
        tuning = Some(r);
    }
    Ok(Some(CapacitySection {
        capacity: Some(cap),
        sizing,
        tuning,
        findings,
        wall_s: t0.elapsed().as_secs_f64(),
    }))
}

/// The section in Markdown.
pub fn markdown(sec: &CapacitySection) -> String {
    let mut s = String::from("\n## Capacity and sizing\n\n");
    for f in &sec.findings {
        s.push_str(&format!("- {}\n", f.replace('|', "\\|")));
    }
    if let Some(c) = &sec.capacity {
        s.push_str(&format!(
            "\nCapacity search: {} load factors, {} replications; sizing: {}; tuning: {}; {:.0} s in all (`capsim capacity` and `capsim size`, docs/planning.md).\n",
            c.evaluations,
            c.replications,
            sec.sizing.as_ref().map_or_else(
                || "not asked".to_string(),
                |z| format!("{} settings, {} replications", z.evaluations, z.replications)
            ),
            sec.tuning.as_ref().map_or_else(
                || "not asked".to_string(),
                |t| format!(
                    "{} settings, {} replications each",
                    t.tried.len(),
                    t.replications
                )
            ),
            sec.wall_s
        ));
    }
    s
}

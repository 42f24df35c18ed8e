//! The plan report's tuning question (`capacity.tune` in plan.yaml): which values of a few
//! knobs (e.g. the HPAs' scale-down stabilization windows) do best on one experiment (the
//! spike test). A small grid, evenly spaced from LO to HI (`points` values per knob), and
//! the experiment as given (the seed's settings), each run with the same seed and
//! replication indices (common random numbers, a fixed number of replications so every
//! setting has intervals). "Best": the cheapest setting that passes every threshold with
//! P(pass) >= level; when none does, the highest SLO attainment, then the widest threshold
//! margin (the closest to passing), then the lowest cost. The best setting is compared with the seed's by the
//! paired difference of their p(95) over the same replications, with its interval.

use crate::gate::Runner;
use crate::gate::check::GateOptions;
use crate::gate::metrics::fmt_num;
use crate::model::load::load_experiment_with;
use crate::planning::knob::{Knob, parse_knob};
use crate::planning::probe::{CostUnit, Probe, assess};
use crate::planning::size::has_prices;
use crate::spec::overrides::Overrides;
use crate::stats::interval::{Domain, Estimate, estimate_in};
use anyhow::{Context, Result, anyhow, ensure};
use serde::Serialize;
use std::cmp::Ordering;
use std::path::Path;

/// Most settings one tuning question may run (points ^ knobs).
pub const MAX_TUNE_SETTINGS: usize = 25;

/// One setting run.
#[derive(Debug, Clone, Serialize)]
pub struct Tried {
    /// The `--set` lines (empty: the experiment as given).
    pub set: Vec<String>,
    pub probe: Probe,
    /// Per-replication p(95) in ms, replication order.
    #[serde(skip)]
    pub p95s: Vec<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tuning {
    pub experiment: String,
    pub knobs: Vec<Knob>,
    pub replications: u32,
    pub cost_unit: CostUnit,
    /// The experiment as given first, then the grid.
    pub tried: Vec<Tried>,
    /// Index into `tried` of the best setting.
    pub best: usize,
    /// p(95) of the best minus the seed's, paired over the replications (ms).
    pub p95_change_ms: Estimate,
    /// The finding in one sentence.
    pub sentence: String,
}

/// Evenly spaced values of a knob, `points` of them (fewer when the range is shorter).
fn values(k: &Knob, points: usize) -> Vec<i64> {
    let n = (points.max(2) as u64).min(k.len()) as i64;
    if n <= 1 {
        return vec![k.lo];
    }
    let mut v: Vec<i64> = (0..n)
        .map(|i| k.lo + ((k.hi - k.lo) as f64 * i as f64 / (n - 1) as f64).round() as i64)
        .collect();
    v.dedup();
    v
}

/// The grid's settings as `--set` lines.
fn grid(knobs: &[Knob], points: usize) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = vec![Vec::new()];
    for k in knobs {
        let vs = values(k, points);
        out = out
            .iter()
            .flat_map(|set| {
                vs.iter().map(move |&v| {
                    let mut s = set.clone();
                    s.push(k.set_line(v));
                    s
                })
            })
            .collect();
    }
    out
}

/// Orders settings best first: those that pass (P(pass) >= level), cheapest first; then
/// the others by SLO attainment, threshold margin and cost.
fn better(a: &Probe, b: &Probe) -> Ordering {
    let m = |p: &Probe| {
        if p.margin.is_nan() {
            f64::NEG_INFINITY
        } else {
            p.margin
        }
    };
    let cost = a.cost.mean.total_cmp(&b.cost.mean);
    b.passed.cmp(&a.passed).then_with(|| {
        if a.passed && b.passed {
            cost
        } else {
            b.attainment
                .total_cmp(&a.attainment)
                .then(m(b).total_cmp(&m(a)))
                .then(cost)
        }
    })
}

fn est(e: &Estimate, digits: &str) -> String {
    match e.ci95 {
        Some([lo, hi]) => format!(
            "{} [{}, {}]{digits}",
            fmt_num(e.mean),
            fmt_num(lo),
            fmt_num(hi)
        ),
        None => format!("{}{digits}", fmt_num(e.mean)),
    }
}

/// Runs the tuning question on the experiment `path` (with `base` overrides).
#[allow(clippy::too_many_arguments)]
pub fn tune(
    path: &Path,
    base: &Overrides,
    knob_lines: &[String],
    points: usize,
    replications: u32,
    gate: GateOptions,
    runner: &Runner,
    progress: &dyn Fn(&str),
) -> Result<Tuning> {
    let knobs = knob_lines
        .iter()
        .map(|k| parse_knob(k))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow!("capacity.tune.knobs: {e}"))?;
    ensure!(
        !knobs.is_empty(),
        "capacity.tune.knobs: name at least one knob"
    );
    ensure!(
        (2..=crate::model::experiment::MAX_REPLICATIONS).contains(&replications),
        "capacity.tune.replications: {replications}: 2 to {}",
        crate::model::experiment::MAX_REPLICATIONS
    );
    let settings = grid(&knobs, points);
    ensure!(
        settings.len() <= MAX_TUNE_SETTINGS,
        "capacity.tune: {} settings ({} points per knob); at most {MAX_TUNE_SETTINGS}: lower `points` or name fewer knobs",
        settings.len(),
        points
    );
    let seed_exp = load_experiment_with(path, base)?;
    let unit = if has_prices(&seed_exp.model) {
        CostUnit::Usd
    } else {
        CostUnit::ReplicaSeconds
    };
    let indices: Vec<u32> = (0..replications).collect();
    let mut tried = Vec::new();
    for set in std::iter::once(Vec::new()).chain(settings) {
        let ov = base.chain(&Overrides::parse(&set).map_err(anyhow::Error::msg)?);
        let mut exp = load_experiment_with(path, &ov)
            .with_context(|| format!("capacity.tune setting {}", set.join(", ")))?;
        exp.seed = seed_exp.seed;
        let results = runner.run(&exp, &indices)?;
        let p95s: Vec<f64> = results
            .iter()
            .map(|r| r.latency.map_or(f64::NAN, |t| t.p95))
            .collect();
        let probe = assess(&exp, &results, gate, unit);
        progress(&format!(
            "  {}: SLO attainment {:.2}, p(95) {} ms",
            if set.is_empty() {
                "as given".to_string()
            } else {
                set.join(", ")
            },
            probe.attainment,
            fmt_num(probe.p95_ms.mean)
        ));
        tried.push(Tried { set, probe, p95s });
    }
    let best = (1..tried.len())
        .min_by(|&a, &b| better(&tried[a].probe, &tried[b].probe).then(a.cmp(&b)))
        .unwrap_or(0);
    let diffs: Vec<f64> = tried[best]
        .p95s
        .iter()
        .zip(&tried[0].p95s)
        .map(|(b, s)| b - s)
        .collect();
    let p95_change_ms = estimate_in(&diffs, Domain::Real);
    let b = &tried[best].probe;
    let s = &tried[0].probe;
    let exp_name = seed_exp.name.clone();
    let sentence = format!(
        "With the seed's settings otherwise (its model and HPA behaviour), these values of {} do best on {exp_name}: {} ({}; {} settings tried, {} replications each): SLO attainment {:.2} [{:.2}, {:.2}], p(95) {}, cost {} {}; the seed's own values: attainment {:.2} [{:.2}, {:.2}], p(95) {}; p(95) change from the seed's {}",
        knobs
            .iter()
            .map(|k| k.path.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        tried[best].set.join(", "),
        if b.passed {
            "the cheapest that passes every threshold"
        } else {
            "none passes every threshold; the closest to passing"
        },
        tried.len() - 1,
        replications,
        b.attainment,
        b.attainment_ci[0],
        b.attainment_ci[1],
        est(&b.p95_ms, " ms"),
        est(&b.cost, ""),
        unit.label(),
        s.attainment,
        s.attainment_ci[0],
        s.attainment_ci[1],
        est(&s.p95_ms, " ms"),
        est(&p95_change_ms, " ms (paired, same replications)"),
    );
    Ok(Tuning {
        experiment: exp_name,
        knobs,
        replications,
        cost_unit: unit,
        tried,
        best,
        p95_change_ms,
        sentence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_evenly_spaced_and_whole() {
        let k = parse_knob("services.a.replicas=0..600").unwrap();
        assert_eq!(values(&k, 3), vec![0, 300, 600]);
        assert_eq!(values(&k, 4), vec![0, 200, 400, 600]);
        let short = parse_knob("services.a.workers=1..2").unwrap();
        assert_eq!(values(&short, 5), vec![1, 2]);
        let g = grid(
            &[k.clone(), parse_knob("services.b.replicas=1..3").unwrap()],
            3,
        );
        assert_eq!(g.len(), 9);
        assert_eq!(
            g[0],
            vec![
                "services.a.replicas=0".to_string(),
                "services.b.replicas=1".to_string()
            ]
        );
        assert_eq!(
            g[8],
            vec![
                "services.a.replicas=600".to_string(),
                "services.b.replicas=3".to_string()
            ]
        );
    }
}

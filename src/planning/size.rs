//! `capsim size`: the cheapest setting of integer and duration knobs (any `--set` path)
//! that meets every threshold with P(pass) >= level at the experiment's load, found
//! without enumerating the grid, and the Pareto front of cost against SLO attainment over
//! the settings it evaluated.
//!
//! Assumption: each knob is *monotone*: moving it one way never hurts the SLOs (more
//! replicas, workers, pool connections; a longer scale-down window) and the other way
//! costs less. Which way is which is measured, not assumed: from the generous corner (every
//! knob at HI) each knob is set to LO alone; the end with the better threshold margin is
//! its generous end. Then:
//!
//! 1. the generous corner (every knob at its generous end) must pass, else the target is
//!    infeasible and the best setting seen is reported;
//! 2. coordinate descent: each knob in turn (the one whose cheap end saved most first) is
//!    moved toward its cheap end by bisection, keeping the furthest value that passes;
//! 3. exchanges: for each pair of knobs, one is given back a step and the other descended
//!    again; a cheaper passing setting is kept; repeated until none is cheaper.
//!
//! The result is the cheapest passing setting evaluated. It equals the grid's optimum when
//! the feasible set is monotone and the cost along its boundary has no local minimum that
//! one-step exchanges cannot leave. Every pair of evaluated settings is checked against
//! the monotonicity assumption (a more generous setting that fails while a less generous
//! one passes is reported). Common random numbers: every setting runs the same seed and
//! replication indices. Cost: `cost.total_usd` when the model sets prices, else
//! replica-seconds of every service (the output says which).

use crate::gate::Runner;
use crate::gate::metrics::fmt_num;
use crate::model::Model;
use crate::model::experiment::Experiment;
use crate::model::load::load_experiment_with;
use crate::planning::knob::Knob;
use crate::planning::probe::{CostUnit, Probe, ProbeOptions, probe};
use crate::spec::overrides::Overrides;
use anyhow::{Context, Result};
use serde::Serialize;
use std::path::Path;

#[derive(Debug, Clone, Copy)]
pub struct SizeOptions {
    pub probe: ProbeOptions,
    /// Most settings evaluated.
    pub max_evaluations: usize,
}

/// One evaluated setting.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluated {
    pub values: Vec<i64>,
    /// The `--set` lines of the setting.
    pub set: Vec<String>,
    pub probe: Probe,
    /// On the Pareto front of cost against SLO attainment.
    pub pareto: bool,
}

/// Which end of a knob helps the SLOs.
#[derive(Debug, Clone, Serialize)]
pub struct Direction {
    pub path: String,
    /// `"HI"` or `"LO"`.
    pub generous_end: &'static str,
    /// How it was found.
    pub evidence: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Sizing {
    pub experiment: String,
    pub model: String,
    pub seed: u64,
    pub level: f64,
    pub cost_unit: CostUnit,
    pub knobs: Vec<Knob>,
    pub directions: Vec<Direction>,
    /// True when a setting meets every threshold.
    pub feasible: bool,
    /// Index into `evaluated` of the answer (cheapest passing), or when infeasible of the
    /// best setting seen (highest SLO attainment, then margin).
    pub best: Option<usize>,
    pub evaluations: usize,
    pub replications: u64,
    /// Settings in the full grid (what an exhaustive search would run).
    pub grid_size: f64,
    pub evaluated: Vec<Evaluated>,
    /// Pairs of evaluated settings that contradict the monotonicity assumption.
    pub violations: Vec<String>,
}

/// Whether the model sets any price (else cost is replica-seconds).
pub fn has_prices(m: &Model) -> bool {
    m.stations.iter().any(|s| s.price_per_hour > 0.0)
        || m.databases
            .iter()
            .any(|d| d.price_per_hour > 0.0 || d.replica_price_per_hour > 0.0)
        || m.caches.iter().any(|c| c.price_per_hour > 0.0)
}

struct Ctx<'a> {
    path: &'a Path,
    base: &'a Overrides,
    exp: &'a Experiment,
    knobs: &'a [Knob],
    runner: &'a Runner,
    opts: SizeOptions,
    unit: CostUnit,
    evaluated: Vec<Evaluated>,
    replications: u64,
    progress: &'a dyn Fn(&str),
}

impl Ctx<'_> {
    fn lines(&self, values: &[i64]) -> Vec<String> {
        self.knobs
            .iter()
            .zip(values)
            .map(|(k, &v)| k.set_line(v))
            .collect()
    }

    /// Loads and runs a setting (once: later calls reuse it); its index in `evaluated`.
    fn eval(&mut self, values: &[i64]) -> Result<usize> {
        if let Some(i) = self.evaluated.iter().position(|e| e.values == values) {
            return Ok(i);
        }
        let set = self.lines(values);
        let ov = self
            .base
            .chain(&Overrides::parse(&set).map_err(anyhow::Error::msg)?);
        let mut exp = load_experiment_with(self.path, &ov)
            .with_context(|| format!("setting {}", set.join(", ")))?;
        exp.seed = self.exp.seed;
        exp.replications = self.exp.replications;
        let p = probe(&exp, self.runner, self.opts.probe, self.unit)?;
        self.replications += p.replications as u64;
        (self.progress)(&format!(
            "  {}: {} after {} replications (SLO attainment {:.2}, cost {} {})",
            set.join(", "),
            if p.passed { "passes" } else { "fails" },
            p.replications,
            p.attainment,
            fmt_num(p.cost.mean),
            self.unit.label()
        ));
        self.evaluated.push(Evaluated {
            values: values.to_vec(),
            set,
            probe: p,
            pareto: false,
        });
        Ok(self.evaluated.len() - 1)
    }

    fn passes(&mut self, values: &[i64]) -> Result<bool> {
        let i = self.eval(values)?;
        Ok(self.evaluated[i].probe.passed)
    }

    fn cost(&self, i: usize) -> f64 {
        self.evaluated[i].probe.cost.mean
    }

    fn room(&self) -> bool {
        self.evaluated.len() < self.opts.max_evaluations
    }
}

/// A knob's value `t` steps from its generous end toward its cheap end.
fn at(k: &Knob, generous_high: bool, t: i64) -> i64 {
    if generous_high { k.hi - t } else { k.lo + t }
}

fn steps(k: &Knob, generous_high: bool, v: i64) -> i64 {
    if generous_high { k.hi - v } else { v - k.lo }
}

/// Moves knob `i` of `x` (which passes) as far toward its cheap end as still passes.
fn descend(c: &mut Ctx, x: &mut [i64], i: usize, high: &[bool]) -> Result<()> {
    let k = c.knobs[i].clone();
    let last = k.hi - k.lo;
    let mut good = steps(&k, high[i], x[i]);
    if good >= last || !c.room() {
        return Ok(());
    }
    let mut bad = last + 1;
    let mut y = x.to_vec();
    y[i] = at(&k, high[i], last);
    if c.passes(&y)? {
        x[i] = y[i];
        return Ok(());
    }
    bad = bad.min(last);
    while bad - good > 1 && c.room() {
        let mid = good + (bad - good) / 2;
        y[i] = at(&k, high[i], mid);
        if c.passes(&y)? {
            good = mid;
        } else {
            bad = mid;
        }
    }
    x[i] = at(&k, high[i], good);
    Ok(())
}

/// Pairs that contradict monotonicity: `a` at least as generous on every knob as `b`,
/// `a` fails and `b` passes.
fn violations(knobs: &[Knob], high: &[bool], ev: &[Evaluated]) -> Vec<String> {
    let mut out = Vec::new();
    for a in ev {
        for b in ev {
            let generous = a
                .values
                .iter()
                .zip(&b.values)
                .enumerate()
                .all(|(i, (&va, &vb))| {
                    steps(&knobs[i], high[i], va) <= steps(&knobs[i], high[i], vb)
                });
            if generous && a.values != b.values && !a.probe.passed && b.probe.passed {
                out.push(format!(
                    "{} fails while the leaner {} passes",
                    a.set.join(", "),
                    b.set.join(", ")
                ));
            }
        }
    }
    out.truncate(10);
    out
}

/// Marks the Pareto front: no other setting is at most as costly and at least as good on
/// SLO attainment, and strictly better on one.
fn mark_pareto(ev: &mut [Evaluated]) {
    let keys: Vec<(f64, f64)> = ev
        .iter()
        .map(|e| (e.probe.cost.mean, e.probe.attainment))
        .collect();
    for (i, e) in ev.iter_mut().enumerate() {
        let (c, a) = keys[i];
        e.pareto = !keys
            .iter()
            .any(|&(qc, qa)| qc <= c && qa >= a && (qc < c || qa > a));
    }
}

/// Finds the cheapest passing setting of `knobs` for the experiment at `path` (with the
/// `base` overrides; `exp` is the experiment as loaded with them, for its seed and
/// replications). `progress` hears one line per setting.
pub fn size(
    path: &Path,
    base: &Overrides,
    exp: &Experiment,
    knobs: &[Knob],
    runner: &Runner,
    opts: SizeOptions,
    progress: &dyn Fn(&str),
) -> Result<Sizing> {
    let unit = if has_prices(&exp.model) {
        CostUnit::Usd
    } else {
        CostUnit::ReplicaSeconds
    };
    let mut c = Ctx {
        path,
        base,
        exp,
        knobs,
        runner,
        opts,
        unit,
        evaluated: Vec::new(),
        replications: 0,
        progress,
    };
    let n = knobs.len();
    // Directions, from the all-HI corner.
    let top: Vec<i64> = knobs.iter().map(|k| k.hi).collect();
    let t = c.eval(&top)?;
    let mut high = vec![true; n];
    let mut saving = vec![0.0; n];
    let mut directions = Vec::new();
    for i in 0..n {
        if knobs[i].lo == knobs[i].hi {
            directions.push(Direction {
                path: knobs[i].path.clone(),
                generous_end: "HI",
                evidence: "fixed (LO = HI)".into(),
            });
            continue;
        }
        let mut y = top.clone();
        y[i] = knobs[i].lo;
        let j = c.eval(&y)?;
        let (pt, pj) = (&c.evaluated[t].probe, &c.evaluated[j].probe);
        let lo_better = (pj.passed && !pt.passed)
            || (pj.passed == pt.passed
                && pj.margin > pt.margin + 1e-9
                && pj.attainment >= pt.attainment);
        high[i] = !lo_better;
        saving[i] = (pt.cost.mean - pj.cost.mean).abs();
        directions.push(Direction {
            path: knobs[i].path.clone(),
            generous_end: if high[i] { "HI" } else { "LO" },
            evidence: format!(
                "margin {} at HI, {} at LO (others at HI)",
                fmt_num(pt.margin),
                fmt_num(pj.margin)
            ),
        });
    }
    let generous: Vec<i64> = (0..n)
        .map(|i| if high[i] { knobs[i].hi } else { knobs[i].lo })
        .collect();
    let mut feasible = c.passes(&generous)?;
    if feasible {
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| saving[b].total_cmp(&saving[a]).then(a.cmp(&b)));
        let mut x = generous.clone();
        for &i in &order {
            descend(&mut c, &mut x, i, &high)?;
        }
        // Exchanges until nothing cheaper turns up.
        let mut best = c.eval(&x)?;
        let mut improved = true;
        while improved && c.room() {
            improved = false;
            for &i in &order {
                for &j in &order {
                    if i == j || !c.room() {
                        continue;
                    }
                    let k = &knobs[i];
                    let step = ((k.hi - k.lo + 7) / 8).max(1);
                    let s = steps(k, high[i], x[i]);
                    if s == 0 {
                        continue;
                    }
                    let mut y = x.clone();
                    y[i] = at(k, high[i], (s - step).max(0));
                    if !c.passes(&y)? {
                        continue;
                    }
                    descend(&mut c, &mut y, j, &high)?;
                    let e = c.eval(&y)?;
                    if c.evaluated[e].probe.passed && c.cost(e) < c.cost(best) - 1e-9 {
                        x = y;
                        best = e;
                        improved = true;
                    }
                }
            }
        }
    }
    let mut evaluated = c.evaluated;
    let passing = evaluated
        .iter()
        .enumerate()
        .filter(|(_, e)| e.probe.passed)
        .min_by(|a, b| {
            a.1.probe
                .cost
                .mean
                .total_cmp(&b.1.probe.cost.mean)
                .then(a.0.cmp(&b.0))
        })
        .map(|(i, _)| i);
    feasible &= passing.is_some();
    let best = passing.or_else(|| {
        evaluated
            .iter()
            .enumerate()
            .max_by(|a, b| {
                a.1.probe
                    .attainment
                    .total_cmp(&b.1.probe.attainment)
                    .then(a.1.probe.margin.total_cmp(&b.1.probe.margin))
            })
            .map(|(i, _)| i)
    });
    mark_pareto(&mut evaluated);
    let violations = violations(knobs, &high, &evaluated);
    Ok(Sizing {
        experiment: exp.name.clone(),
        model: exp.model.name.clone(),
        seed: exp.seed,
        level: opts.probe.gate.level,
        cost_unit: unit,
        knobs: knobs.to_vec(),
        directions,
        feasible,
        best,
        evaluations: evaluated.len(),
        replications: c.replications,
        grid_size: knobs.iter().map(|k| k.len() as f64).product(),
        evaluated,
        violations,
    })
}

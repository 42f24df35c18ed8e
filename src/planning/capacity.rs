//! `capsim capacity`: the highest load factor at which every threshold still passes with
//! P(pass) >= level, the load scaled along the experiment's own profile
//! ([`crate::planning::scale_load`]).
//!
//! Every factor runs the same seed and replication indices (common random numbers), so
//! the metrics move smoothly with the factor. The search brackets the limit, aimed by the
//! bottleneck law: at a passing factor `f` the busiest resource that no autoscaler resizes
//! is `U` busy, so it saturates near `f / U`; the steps up go to [`SAT_AIM`] of that, then
//! to the saturation itself, then 1.25 times, then double (halving down when the first
//! factor fails). Then
//! it narrows the bracket until `hi / lo - 1 <= tolerance`: each step aims where the
//! threshold margins (a shortfall on a log scale, see `linear_margin`) interpolate to zero
//! in log factor, kept inside the middle 60 % of the bracket, and bisects when one end has
//! moved twice in a row. Each factor is judged by
//! [`crate::planning::probe`], which adds replications only near the boundary.
//!
//! The knee is the operational-law estimate from the lightest factor run: the load at
//! which its busiest resource would be 100 % busy (`f0 / U0`; exact for open loads and for
//! the closed-flow knee `N* = (D + Z) / D_max` when the lightest load does not queue; an
//! upper estimate when it does, or when an autoscaler adds replicas).

use crate::engine::RunError;
use crate::gate::Runner;
use crate::gate::metrics::fmt_num;
use crate::model::experiment::Experiment;
use crate::planning::breaks::{BreaksFirst, breaks_first};
use crate::planning::probe::{CostUnit, Probe, ProbeOptions, probe};
use crate::planning::scale_load::{Load, load_of, scale_load};
use serde::Serialize;

#[derive(Debug, Clone, Copy)]
pub struct CapacityOptions {
    pub probe: ProbeOptions,
    /// Stop when the bracket's `hi / lo - 1` is at most this.
    pub tolerance: f64,
    /// The first factor tried.
    pub start: f64,
    /// Smallest and largest factors tried.
    pub min_factor: f64,
    pub max_factor: f64,
    /// Most factors evaluated.
    pub max_evaluations: usize,
}

impl Default for CapacityOptions {
    fn default() -> Self {
        CapacityOptions {
            probe: ProbeOptions {
                gate: Default::default(),
                initial: 5,
                max_replications: 20,
            },
            tolerance: 0.05,
            start: 1.0,
            min_factor: 1.0 / 64.0,
            max_factor: 1024.0,
            max_evaluations: 24,
        }
    }
}

/// One factor run.
#[derive(Debug, Clone, Serialize)]
pub struct CurvePoint {
    pub factor: f64,
    pub load: Load,
    pub probe: Probe,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A passing factor with a failing one above it.
    Found,
    /// Even the smallest factor fails.
    NoFactorPasses,
    /// Even the largest factor passes.
    NoFactorFails,
    /// The evaluation cap stopped the search before the bracket met the tolerance.
    EvaluationCap,
}

#[derive(Debug, Clone, Serialize)]
pub struct Capacity {
    pub experiment: String,
    pub model: String,
    pub seed: u64,
    pub level: f64,
    pub confidence: f64,
    pub tolerance: f64,
    pub outcome: Outcome,
    /// The experiment's load at factor 1.
    pub base_load: Load,
    /// The highest factor that passes, and the lowest that fails above it.
    pub factor: Option<f64>,
    pub limit_factor: Option<f64>,
    /// The operational-law knee (see the module's note).
    pub knee_factor: Option<f64>,
    pub breaks_first: Option<BreaksFirst>,
    /// Factors evaluated and replications run in all.
    pub evaluations: usize,
    pub replications: u64,
    /// Every factor run, lowest first.
    pub points: Vec<CurvePoint>,
}

impl Capacity {
    pub fn point(&self, f: Option<f64>) -> Option<&CurvePoint> {
        let f = f?;
        self.points.iter().find(|p| p.factor == f)
    }
}

/// Describes a load: "1200 VUs", "350 iterations/s" or both.
pub fn load_text(l: &Load) -> String {
    let mut parts = Vec::new();
    if l.closed_vus > 0 {
        parts.push(format!("{} VUs", l.closed_vus));
    }
    if l.open_rate_per_s > 0.0 {
        parts.push(format!("{} iterations/s", fmt_num(l.open_rate_per_s)));
    }
    if parts.is_empty() {
        "no load".into()
    } else {
        parts.join(" + ")
    }
}

struct Search<'a> {
    exp: &'a Experiment,
    runner: &'a Runner,
    opts: CapacityOptions,
    points: Vec<CurvePoint>,
    replications: u64,
    progress: &'a dyn Fn(&str),
}

impl Search<'_> {
    fn eval(&mut self, f: f64) -> Result<(bool, f64), RunError> {
        if let Some(p) = self.points.iter().find(|p| p.factor == f) {
            return Ok((p.probe.passed, p.probe.margin));
        }
        let exp = scale_load(self.exp, f);
        let load = load_of(&exp);
        let pr = probe(&exp, self.runner, self.opts.probe, CostUnit::Usd)?;
        self.replications += pr.replications as u64;
        (self.progress)(&format!(
            "  factor {} ({}): {} after {} replications (p(95) {} ms, {} req/s)",
            fmt_num(f),
            load_text(&load),
            if pr.passed { "passes" } else { "fails" },
            pr.replications,
            fmt_num(pr.p95_ms.mean),
            fmt_num(pr.throughput.mean)
        ));
        let out = (pr.passed, pr.margin);
        self.points.push(CurvePoint {
            factor: f,
            load,
            probe: pr,
        });
        Ok(out)
    }

    /// The factor already run whose scaled load equals `f`'s (whole VUs make nearby
    /// factors the same load).
    fn same_load(&self, f: f64) -> Option<f64> {
        let load = load_of(&scale_load(self.exp, f));
        self.points
            .iter()
            .find(|p| p.load == load)
            .map(|p| p.factor)
    }

    /// The bottleneck law at the passing factor `f`: the busiest resource that no
    /// autoscaler resizes is `U` busy, so it saturates near `f / U` (utilization grows in
    /// proportion to the load below saturation). None without such a resource.
    fn saturation(&self, f: f64) -> Option<f64> {
        let p = self.points.iter().find(|p| p.factor == f)?;
        let u = p.probe.busiest_fixed()?.utilization;
        (u > 0.0 && u.is_finite()).then(|| f / u)
    }

    /// The next step up from the passing factor `from`, the `stage`-th: first to
    /// [`SAT_AIM`] of the bottleneck's saturation (queueing delay grows without bound as
    /// it nears 100 %, so a latency or error bound gives way just below it), then to the
    /// saturation itself, then 1.25 times, then doubling. Without a fixed resource, the
    /// first step goes to where the busiest one would be 100 % busy, and later ones double.
    fn step_up(&self, from: f64, stage: u32) -> f64 {
        match self.saturation(from) {
            Some(sat) if stage == 0 && from < SAT_AIM * sat / 1.05 => {
                (SAT_AIM * sat / from).min(8.0)
            }
            Some(sat) if stage <= 1 && from < sat / 1.05 => (sat / from).min(8.0),
            Some(_) if stage <= 2 => 1.25,
            Some(_) => 2.0,
            None => {
                let u = self
                    .points
                    .iter()
                    .find(|p| p.factor == from)
                    .and_then(|p| p.probe.busiest())
                    .map_or(0.0, |r| r.utilization);
                if stage == 0 && u > 0.0 {
                    (1.0 / u).clamp(1.25, 8.0)
                } else {
                    2.0
                }
            }
        }
    }

    fn budget_left(&self) -> bool {
        self.points.len() < self.opts.max_evaluations
    }
}

/// Where the first steps up aim, as a fraction of the load at which the bottleneck
/// saturates.
pub const SAT_AIM: f64 = 0.9;

/// Rounds a factor to 4 significant digits (readable, and equal factors hit the cache).
fn tidy(f: f64) -> f64 {
    if f <= 0.0 || !f.is_finite() {
        return f;
    }
    let mag = 10f64.powi(3 - f.log10().floor() as i32);
    (f * mag).round() / mag
}

/// A margin on a scale closer to linear in log load: a shortfall `m < 0` (the metric
/// `1 - m` times a `<` bound, or `1 + |m|` past it) becomes `-ln(1 - m)`, so a latency
/// that explodes past saturation does not drag the interpolation toward the passing end.
fn linear_margin(m: f64) -> f64 {
    if m < 0.0 { -(1.0 - m).ln() } else { m }
}

/// The next factor inside `(lo, hi)`: interpolated where the margins cross zero (in log
/// factor), kept in the middle 60 %, or the geometric midpoint.
fn next_factor(lo: (f64, f64), hi: (f64, f64), bisect: bool) -> f64 {
    let (lo, hi) = ((lo.0, linear_margin(lo.1)), (hi.0, linear_margin(hi.1)));
    let (a, b) = (lo.0.ln(), hi.0.ln());
    let mid = 0.5 * (a + b);
    let x = if bisect || !(lo.1.is_finite() && hi.1.is_finite()) || lo.1 <= hi.1 {
        mid
    } else {
        let t = (lo.1 / (lo.1 - hi.1)).clamp(0.2, 0.8);
        a + t * (b - a)
    };
    tidy(x.exp())
}

/// The next factor to run inside `(lo, hi)`, with `g = 1 + tolerance`. When
/// `hi / lo <= g^2` one run closes the bracket (any factor in `[hi / g, lo g]` leaves a
/// side of ratio at most `g`), and the end of that interval farther from the estimated
/// crossing is taken: the farther from the boundary, the fewer replications decide it.
/// Otherwise the estimated crossing divided by `sqrt(g)`, so that the next run can close
/// it, kept inside the bracket (the crossing itself with bisection, or when too near `lo`).
fn narrow_step(lo: (f64, f64), hi: (f64, f64), tolerance: f64, bisect: bool) -> f64 {
    let g = 1.0 + tolerance;
    let c = next_factor(lo, hi, bisect);
    // Rounding to 4 digits moves a factor by at most 5e-4 of itself.
    let slack = 1.0 + 1e-3;
    if hi.0 / lo.0 <= g * g / (slack * slack) {
        let (a, b) = (hi.0 / g * slack, lo.0 * g / slack);
        return tidy(if (c / a).ln() >= (b / c).ln() { a } else { b });
    }
    if bisect {
        return c;
    }
    let x = tidy(c / g.sqrt());
    if x > lo.0 * slack { x } else { c }
}

/// One end of the bracket: a factor and its smallest threshold margin.
type End = Option<(f64, f64)>;

/// Finds the capacity of `exp`. `progress` hears one line per factor.
pub fn capacity(
    exp: &Experiment,
    runner: &Runner,
    opts: CapacityOptions,
    progress: &dyn Fn(&str),
) -> Result<Capacity, RunError> {
    let mut s = Search {
        exp,
        runner,
        opts,
        points: Vec::new(),
        replications: 0,
        progress,
    };
    let start = tidy(opts.start.clamp(opts.min_factor, opts.max_factor));
    let (ok, m) = s.eval(start)?;
    let (mut lo, mut hi): (End, End) = if ok {
        (Some((start, m)), None)
    } else {
        (None, Some((start, m)))
    };
    // Bracket.
    if ok {
        let mut stage = 0;
        while hi.is_none() && s.budget_left() {
            let from = lo.map_or(start, |l| l.0);
            if from >= opts.max_factor {
                break;
            }
            let mut f = tidy((from * s.step_up(from, stage)).min(opts.max_factor));
            stage += 1;
            // Whole VUs: a factor whose load was already run is stepped past.
            while s.same_load(f).is_some() && f < opts.max_factor {
                f = tidy((f * 1.25).min(opts.max_factor));
            }
            if f <= from || s.same_load(f).is_some() {
                break;
            }
            let (ok, m) = s.eval(f)?;
            if ok {
                lo = Some((f, m));
            } else {
                hi = Some((f, m));
            }
        }
    } else {
        while lo.is_none() && s.budget_left() {
            let from = hi.map_or(start, |h| h.0);
            if from <= opts.min_factor {
                break;
            }
            let f = tidy(from / 2.0).max(opts.min_factor);
            if f >= from {
                break;
            }
            let (ok, m) = s.eval(f)?;
            if ok {
                lo = Some((f, m));
            } else {
                hi = Some((f, m));
            }
        }
    }
    // Narrow.
    let mut last_side: Option<bool> = None;
    let mut same = 0;
    let mut capped = false;
    let mut resolved = false;
    while let (Some(l), Some(h)) = (lo, hi) {
        if h.0 / l.0 - 1.0 <= opts.tolerance {
            break;
        }
        if !s.budget_left() {
            capped = true;
            break;
        }
        let mut f = narrow_step(l, h, opts.tolerance, same >= 2);
        if s.same_load(f).is_some() {
            f = next_factor(l, h, true);
        }
        if f <= l.0 || f >= h.0 || s.same_load(f).is_some() {
            // No load between the two ends (whole VUs): the bracket is as narrow as it gets.
            resolved = true;
            break;
        }
        let (ok, m) = s.eval(f)?;
        if last_side == Some(ok) {
            same += 1;
        } else {
            same = 1;
        }
        last_side = Some(ok);
        if same > 2 {
            same = 0;
        }
        if ok {
            lo = Some((f, m));
        } else {
            hi = Some((f, m));
        }
    }
    let outcome = match (lo, hi) {
        (None, _) => Outcome::NoFactorPasses,
        (Some(_), None) => Outcome::NoFactorFails,
        (Some(l), Some(h)) if capped || (!resolved && h.0 / l.0 - 1.0 > opts.tolerance) => {
            Outcome::EvaluationCap
        }
        _ => Outcome::Found,
    };
    let mut points = s.points;
    points.sort_by(|a, b| a.factor.total_cmp(&b.factor));
    let knee_factor = points.first().and_then(|p| {
        let u = p.probe.busiest()?.utilization;
        (u > 0.0).then(|| tidy(p.factor / u))
    });
    let level = opts.probe.gate.level;
    let breaks = hi.and_then(|h| {
        let p = points.iter().find(|p| p.factor == h.0)?;
        let where_ = format!(
            "just above it, at {}x the load ({})",
            fmt_num(p.factor),
            load_text(&p.load)
        );
        Some(breaks_first(&p.probe, level, &where_))
    });
    Ok(Capacity {
        experiment: exp.name.clone(),
        model: exp.model.name.clone(),
        seed: exp.seed,
        level,
        confidence: opts.probe.gate.confidence,
        tolerance: opts.tolerance,
        outcome,
        base_load: load_of(exp),
        factor: lo.map(|l| l.0),
        limit_factor: hi.map(|h| h.0),
        knee_factor,
        breaks_first: breaks,
        evaluations: points.len(),
        replications: s.replications,
        points,
    })
}

fn est(e: &crate::stats::interval::Estimate) -> String {
    match e.ci95 {
        Some([lo, hi]) => format!("{} [{}, {}]", fmt_num(e.mean), fmt_num(lo), fmt_num(hi)),
        None => fmt_num(e.mean),
    }
}

impl Capacity {
    /// The answer in one or two sentences.
    pub fn headline(&self) -> String {
        let at = self.point(self.factor);
        let above = self.point(self.limit_factor);
        match (self.outcome, at) {
            (Outcome::NoFactorPasses, _) => format!(
                "no factor passes: even {}x the load ({}) fails a threshold with P(pass) >= {}; the system is past its capacity at the smallest load tried",
                fmt_num(self.limit_factor.unwrap_or(f64::NAN)),
                above.map_or_else(|| "-".into(), |p| load_text(&p.load)),
                self.level
            ),
            (_, Some(p)) => {
                let limit = match above {
                    Some(a) => format!(
                        "; it fails at {}x ({}), so the limit lies in [{}, {}]x",
                        fmt_num(a.factor),
                        load_text(&a.load),
                        fmt_num(p.factor),
                        fmt_num(a.factor)
                    ),
                    None => format!("; no factor up to {}x fails", fmt_num(p.factor)),
                };
                format!(
                    "capacity: {}x the load ({}) passes every threshold with P(pass) >= {}: {} req/s, p(95) {} ms{limit}",
                    fmt_num(p.factor),
                    load_text(&p.load),
                    self.level,
                    est(&p.probe.throughput),
                    est(&p.probe.p95_ms),
                )
            }
            (_, None) => "no answer".into(),
        }
    }

    /// The console report.
    pub fn table(&self) -> String {
        let mut s = format!(
            "capsim capacity: {} on {} (seed {}, level {}, tolerance {})\n",
            self.experiment, self.model, self.seed, self.level, self.tolerance
        );
        s.push_str(&format!(
            "  load at factor 1: {}; scaled along the experiment's own profile\n\n",
            load_text(&self.base_load)
        ));
        let head = [
            "factor",
            "load",
            "verdict",
            "reps",
            "req/s [95% CI]",
            "p(95) ms [95% CI]",
            "P(all pass)",
            "busiest",
        ];
        let rows: Vec<[String; 8]> = self
            .points
            .iter()
            .map(|p| {
                let verdict = match (p.probe.passed, p.probe.by_estimate) {
                    (true, false) => "PASS",
                    (true, true) => "pass (estimate)",
                    (false, true) => "fail (estimate)",
                    (false, false) => "FAIL",
                };
                [
                    fmt_num(p.factor),
                    load_text(&p.load),
                    verdict.into(),
                    p.probe.replications.to_string(),
                    est(&p.probe.throughput),
                    est(&p.probe.p95_ms),
                    format!("{:.2}", p.probe.attainment),
                    p.probe.busiest().map_or_else(String::new, |r| {
                        format!("{} {:.0}%", r.name, r.utilization * 100.0)
                    }),
                ]
            })
            .collect();
        s.push_str(&crate::gate::metrics::aligned_table(head, &rows));
        s.push_str(&format!("\n  {}\n", self.headline()));
        if let Some(b) = &self.breaks_first {
            s.push_str(&format!("  {}\n", b.sentence));
        }
        if let Some(k) = self.knee_factor {
            s.push_str(&format!(
                "  knee (bottleneck law at the lightest load run): {}x\n",
                fmt_num(k)
            ));
        }
        if self.outcome == Outcome::EvaluationCap {
            s.push_str("  the evaluation cap stopped the search before the tolerance; raise --max-evaluations\n");
        }
        s.push_str(&format!(
            "  {} evaluations, {} replications\n",
            self.evaluations, self.replications
        ));
        s
    }
}

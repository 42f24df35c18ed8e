//! `capsim calibrate`: fit named model parameters (override paths) to measured figures.
//!
//! Every evaluation runs the same replication indices with the same seed (common random
//! numbers), so the metrics are smooth, deterministic functions of the parameters. The
//! search is coordinate-wise golden-section on the relative squared error
//! `sum_i ((metric_i - target_i) / target_i)^2` within each parameter's range, repeated
//! over the parameters until the error stops improving. For one monotone metric and one
//! parameter the error is unimodal, so golden section finds the match. A coordinate's
//! search stops when its bracket is 0.5 % of the range wide, and the whole search as soon
//! as every target is within a quarter of the tolerance (near a saturation knee metrics
//! stay noisy in the parameter even with common random numbers; finer is not better).

use crate::engine::ReplicationResult;
use crate::gate::Runner;
use crate::gate::metrics::{find, fmt_num, key_metrics};
use crate::model::load::load_experiment_with;
use crate::spec::overrides::{Overrides, parse_override};
use crate::stats::interval::{Estimate, estimate};
use anyhow::{Result, anyhow, ensure};
use serde::Serialize;
use std::path::Path;

/// One parameter and its search range; durations keep the unit of the lower bound.
#[derive(Debug, Clone, Serialize)]
pub struct Param {
    pub path: String,
    pub lo: f64,
    pub hi: f64,
    /// `ms`, `s`, ... for durations; None for plain numbers.
    pub unit: Option<String>,
}

impl Param {
    pub fn text(&self, v: f64) -> String {
        let v = (v * 1e6).round() / 1e6;
        match &self.unit {
            Some(u) => format!("{v}{u}"),
            None => format!("{v}"),
        }
    }
    pub fn set_line(&self, v: f64) -> String {
        format!("{}={}", self.path, self.text(v))
    }
}

fn split_unit(t: &str) -> (f64, Option<String>) {
    let t = t.trim();
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+' || c == 'e'))
        .unwrap_or(t.len());
    let (n, u) = t.split_at(end);
    (
        n.parse().unwrap_or(f64::NAN),
        if u.is_empty() {
            None
        } else {
            Some(u.to_string())
        },
    )
}

/// `PATH=LO..HI` (`services.api.workers=4..32`, `...gamma.mean=100ms..200ms`).
pub fn parse_param(text: &str) -> Result<Param, String> {
    let hint = "write `--param PATH=LO..HI`, e.g. `--param model.services.server.operations.serve[0].work.exponential.mean=5ms..20ms`";
    let (path, range) = text
        .rsplit_once('=')
        .ok_or_else(|| format!("--param `{text}`: {hint}"))?;
    let (lo, hi) = range
        .split_once("..")
        .ok_or_else(|| format!("--param `{text}`: {hint}"))?;
    parse_override(&format!("{path}=0")).map_err(|e| e.replace("--set", "--param"))?;
    let (a, ua) = split_unit(lo);
    let (mut b, ub) = split_unit(hi);
    if let Some(ua) = &ua {
        let scale = |u: &str| -> Option<f64> {
            crate::time::parse_duration(&format!("1{u}"))
                .ok()
                .map(|n| n as f64)
        };
        let (sa, sb) = (scale(ua), scale(ub.as_deref().unwrap_or(ua)));
        match (sa, sb) {
            (Some(sa), Some(sb)) => b = b * sb / sa,
            _ => return Err(format!("--param `{text}`: unknown unit `{ua}`")),
        }
    }
    if !(a.is_finite() && b.is_finite() && a < b) {
        return Err(format!(
            "--param `{text}`: the range needs two numbers LO < HI; {hint}"
        ));
    }
    Ok(Param {
        path: path.trim().to_string(),
        lo: a,
        hi: b,
        unit: ua,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub metric: String,
    pub value: f64,
}

/// `metric=value` (`http_req_duration.avg=380`, `http_req_failed.rate=0.007`).
pub fn parse_target(text: &str) -> Result<Target, String> {
    let (m, v) = text.rsplit_once('=').ok_or_else(|| {
        format!("--target `{text}`: write `metric=value`, e.g. `http_req_duration.avg=380`")
    })?;
    let value: f64 = v
        .trim()
        .parse()
        .map_err(|_| format!("--target `{text}`: `{v}` is not a number"))?;
    Ok(Target {
        metric: crate::gate::metrics::canonical(m),
        value,
    })
}

/// The targets `--observed` takes from a k6 result: each `--target` that is a bare metric
/// name (`http_req_duration.p(95)`) gets the observed value, `METRIC=VALUE` stays as typed;
/// with no `--target`, the observed `http_req_duration.avg`, `http_req_duration.p(95)` and
/// `http_req_failed.rate`, skipping those the file lacks or that are 0 (a relative error to
/// 0 is undefined). Returns the targets and notes on what was skipped.
pub fn observed_targets(
    obs: &crate::spec::k6_observed::Observed,
    named: &[String],
) -> Result<(Vec<Target>, Vec<String>), String> {
    use crate::spec::k6_observed::SeriesKey;
    let lookup = |metric: &str| -> Option<f64> {
        let (series, stat) = metric.rsplit_once('.')?;
        obs.get(&SeriesKey::parse(series)?, stat)
    };
    let mut notes = Vec::new();
    let mut targets = Vec::new();
    if named.is_empty() {
        for m in [
            "http_req_duration.avg",
            "http_req_duration.p(95)",
            "http_req_failed.rate",
        ] {
            match lookup(m) {
                Some(v) if v != 0.0 && v.is_finite() => targets.push(Target {
                    metric: m.to_string(),
                    value: v,
                }),
                Some(_) => notes.push(format!(
                    "`{m}` observed as 0: not a target (its relative error is undefined)"
                )),
                None => notes.push(format!("the k6 result has no `{m}`")),
            }
        }
        if targets.is_empty() {
            return Err("the k6 result has none of http_req_duration.avg, http_req_duration.p(95), http_req_failed.rate; name targets with `--target METRIC`".into());
        }
        return Ok((targets, notes));
    }
    for t in named {
        if t.contains('=') {
            targets.push(parse_target(t)?);
            continue;
        }
        let metric = crate::gate::metrics::canonical(t);
        let value = lookup(&metric).ok_or_else(|| {
            let have: Vec<String> = obs
                .values
                .iter()
                .filter(|(k, _)| k.tag.is_none())
                .flat_map(|(k, v)| v.keys().map(move |s| format!("{k}.{s}")))
                .take(12)
                .collect();
            format!(
                "--target `{}`: the k6 result has no such value; it has {}",
                crate::spec::confine::sanitize(t, 60),
                have.join(", ")
            )
        })?;
        if value == 0.0 {
            return Err(format!(
                "--target `{metric}`: observed as 0, and a relative error to 0 is undefined; pick another target"
            ));
        }
        targets.push(Target { metric, value });
    }
    Ok((targets, notes))
}

#[derive(Debug, Clone)]
pub struct CalibrateOptions {
    pub replications: Option<u32>,
    pub seed: Option<u64>,
    /// Relative tolerance each target must be met within.
    pub tolerance: f64,
    /// Most evaluations (each a run of all replications).
    pub max_evaluations: usize,
    pub runner: Runner,
}

#[derive(Debug, Clone, Serialize)]
pub struct Iteration {
    pub evaluation: usize,
    pub values: Vec<f64>,
    pub metrics: Vec<f64>,
    pub error: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Calibration {
    pub experiment: String,
    pub replications: u32,
    pub seed: u64,
    pub params: Vec<Param>,
    pub targets: Vec<Target>,
    pub iterations: Vec<Iteration>,
    pub best: Vec<f64>,
    /// The metrics at the best values, with 95% intervals across replications.
    pub achieved: Vec<Estimate>,
    /// Each target within the tolerance.
    pub within: Vec<bool>,
    pub tolerance: f64,
    pub set_lines: Vec<String>,
}

/// The line printed before the search: the parameters and the targets.
pub fn heading(params: &[Param], targets: &[Target]) -> String {
    let names: Vec<String> = params.iter().map(|p| p.path.clone()).collect();
    let tnames: Vec<String> = targets
        .iter()
        .map(|t| format!("{}={}", t.metric, fmt_num(t.value)))
        .collect();
    format!("calibrating {} to {}", names.join(", "), tnames.join(", "))
}

impl Iteration {
    /// The progress line of this evaluation.
    pub fn line(&self, params: &[Param]) -> String {
        let vals: Vec<String> = params
            .iter()
            .zip(&self.values)
            .map(|(p, &v)| p.text(v))
            .collect();
        let ms: Vec<String> = self.metrics.iter().map(|&m| fmt_num(m)).collect();
        format!(
            "  eval {:>3}: {}  ->  {}  (rel. sq. error {:.3e})",
            self.evaluation,
            vals.join(", "),
            ms.join(", "),
            self.error
        )
    }
}

impl Calibration {
    pub fn converged(&self) -> bool {
        self.within.iter().all(|&b| b)
    }

    /// The result as text: converged or not, the values found, each metric against its
    /// target, and the values as overrides.
    pub fn text(&self) -> String {
        let mut text = String::new();
        text.push_str(&format!(
            "\n{} after {} evaluations ({} replications each, seed {}, common random numbers):\n",
            if self.converged() {
                "converged"
            } else {
                "NOT within tolerance"
            },
            self.iterations.len(),
            self.replications,
            self.seed
        ));
        for (p, &v) in self.params.iter().zip(&self.best) {
            text.push_str(&format!("  {} = {}\n", p.path, p.text(v)));
        }
        for ((t, e), ok) in self.targets.iter().zip(&self.achieved).zip(&self.within) {
            let ci = e
                .ci95
                .map(|[a, b]| format!(" [{}, {}]", fmt_num(a), fmt_num(b)))
                .unwrap_or_default();
            text.push_str(&format!(
                "  {} = {}{} (target {}, {:+.1} %, {} the {:.0} % tolerance)\n",
                t.metric,
                fmt_num(e.mean),
                ci,
                fmt_num(t.value),
                (e.mean / t.value - 1.0) * 100.0,
                if *ok { "within" } else { "OUTSIDE" },
                self.tolerance * 100.0
            ));
        }
        text.push_str("\nas overrides:\n");
        for l in &self.set_lines {
            text.push_str(&format!("  {l}\n"));
        }
        text
    }

    /// The calibrated values as `--set` lines, one a line.
    pub fn set_file(&self) -> String {
        let mut body = String::new();
        for l in &self.set_lines {
            body.push_str(l);
            body.push('\n');
        }
        body
    }
}

fn rel_err(m: f64, t: f64) -> f64 {
    if t != 0.0 { (m - t) / t } else { m }
}

struct Evaluator<'a> {
    path: &'a Path,
    base: &'a Overrides,
    params: &'a [Param],
    targets: &'a [Target],
    opts: &'a CalibrateOptions,
    cache: Vec<(Vec<f64>, Vec<f64>, Vec<ReplicationResult>)>,
    log: Vec<Iteration>,
    meta: (u32, u64, String),
}

impl Evaluator<'_> {
    fn overrides(&self, values: &[f64]) -> Result<Overrides> {
        let mut list = Vec::new();
        for (p, &v) in self.params.iter().zip(values) {
            list.push(parse_override(&p.set_line(v)).map_err(anyhow::Error::msg)?);
        }
        Ok(self.base.chain(&Overrides {
            list,
            ..Overrides::default()
        }))
    }

    fn run(&mut self, values: &[f64]) -> Result<(Vec<f64>, Vec<ReplicationResult>)> {
        let mut exp = load_experiment_with(self.path, &self.overrides(values)?)?;
        if let Some(n) = self.opts.replications {
            exp.replications = n;
        }
        if let Some(s) = self.opts.seed {
            exp.seed = s;
        }
        self.meta = (exp.replications, exp.seed, exp.name.clone());
        let idx: Vec<u32> = (0..exp.replications).collect();
        let results = self.opts.runner.run(&exp, &idx)?;
        let defs = key_metrics(&exp);
        let mut means = Vec::new();
        for t in self.targets {
            let d = find(&defs, &t.metric).map_err(|e| anyhow!("--target: {e}"))?;
            means.push(estimate(&d.values(&results)).mean);
        }
        Ok((means, results))
    }

    /// The relative squared error at `values` (cached; each new point is logged).
    fn error(&mut self, values: &[f64], on_iter: &dyn Fn(&Iteration)) -> Result<f64> {
        let metrics = match self.cache.iter().find(|c| c.0 == values) {
            Some(c) => c.1.clone(),
            None => {
                let (m, res) = self.run(values)?;
                self.cache.push((values.to_vec(), m.clone(), res));
                m
            }
        };
        let err: f64 = metrics
            .iter()
            .zip(self.targets)
            .map(|(&m, t)| {
                let e = rel_err(m, t.value);
                if e.is_nan() { 1e12 } else { e * e }
            })
            .sum();
        if !self.log.iter().any(|i| i.values == values) {
            let it = Iteration {
                evaluation: self.log.len() + 1,
                values: values.to_vec(),
                metrics,
                error: err,
            };
            on_iter(&it);
            self.log.push(it);
        }
        Ok(err)
    }
}

/// Searches the parameters; `on_iter` hears every new evaluation.
pub fn calibrate(
    path: &Path,
    base: &Overrides,
    params: &[Param],
    targets: &[Target],
    opts: &CalibrateOptions,
    on_iter: &dyn Fn(&Iteration),
) -> Result<Calibration> {
    ensure!(!params.is_empty(), "calibrate needs at least one --param");
    ensure!(!targets.is_empty(), "calibrate needs at least one --target");
    ensure!(
        opts.tolerance > 0.0,
        "--tolerance {}: must be above 0",
        opts.tolerance
    );
    let mut ev = Evaluator {
        path,
        base,
        params,
        targets,
        opts,
        cache: Vec::new(),
        log: Vec::new(),
        meta: (0, 0, String::new()),
    };
    let inv_phi = (5f64.sqrt() - 1.0) / 2.0;
    let mut x: Vec<f64> = params.iter().map(|p| 0.5 * (p.lo + p.hi)).collect();
    let mut best = ev.error(&x, on_iter)?;
    let within_all = |ev: &Evaluator, x: &[f64]| {
        ev.cache
            .iter()
            .find(|c| c.0 == x)
            .map(|c| {
                c.1.iter()
                    .zip(targets)
                    .all(|(&m, t)| rel_err(m, t.value).abs() <= opts.tolerance * 0.25)
            })
            .unwrap_or(false)
    };
    let rounds = if params.len() == 1 { 1 } else { 6 };
    'outer: for _ in 0..rounds {
        let start = best;
        for j in 0..params.len() {
            let (mut a, mut b) = (params[j].lo, params[j].hi);
            let width = 5e-3 * (b - a);
            let at = |v: f64, x: &[f64]| {
                let mut y = x.to_vec();
                y[j] = v;
                y
            };
            let mut c = b - inv_phi * (b - a);
            let mut d = a + inv_phi * (b - a);
            let mut fc = ev.error(&at(c, &x), on_iter)?;
            let mut fd = ev.error(&at(d, &x), on_iter)?;
            while b - a > width {
                if ev.log.len() >= opts.max_evaluations {
                    break;
                }
                if fc <= fd {
                    b = d;
                    d = c;
                    fd = fc;
                    c = b - inv_phi * (b - a);
                    fc = ev.error(&at(c, &x), on_iter)?;
                } else {
                    a = c;
                    c = d;
                    fc = fd;
                    d = a + inv_phi * (b - a);
                    fd = ev.error(&at(d, &x), on_iter)?;
                }
                let (v, f) = if fc <= fd { (c, fc) } else { (d, fd) };
                if f < best {
                    best = f;
                    x = at(v, &x);
                }
                if params.len() == 1 && within_all(&ev, &x) {
                    break;
                }
            }
            let (v, f) = if fc <= fd { (c, fc) } else { (d, fd) };
            if f < best {
                best = f;
                x = at(v, &x);
            }
            if ev.log.len() >= opts.max_evaluations {
                break 'outer;
            }
        }
        if within_all(&ev, &x) || start - best <= 1e-9 * start.max(1e-12) {
            break;
        }
    }
    // The achieved metrics with intervals, from the best point's replications.
    let results = match ev.cache.iter().find(|c| c.0 == x) {
        Some(c) => c.2.clone(),
        None => ev.run(&x)?.1,
    };
    let exp = load_experiment_with(path, &ev.overrides(&x)?)?;
    let defs = key_metrics(&exp);
    let mut achieved = Vec::new();
    for t in targets {
        let d = find(&defs, &t.metric).map_err(|e| anyhow!("--target: {e}"))?;
        achieved.push(d.estimate(&results));
    }
    let within = achieved
        .iter()
        .zip(targets)
        .map(|(e, t)| rel_err(e.mean, t.value).abs() <= opts.tolerance)
        .collect();
    Ok(Calibration {
        experiment: ev.meta.2.clone(),
        replications: ev.meta.0,
        seed: ev.meta.1,
        params: params.to_vec(),
        targets: targets.to_vec(),
        iterations: ev.log,
        set_lines: params
            .iter()
            .zip(&x)
            .map(|(p, &v)| format!("--set {}", p.set_line(v)))
            .collect(),
        best: x,
        achieved,
        within,
        tolerance: opts.tolerance,
    })
}

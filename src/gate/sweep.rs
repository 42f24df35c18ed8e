//! `capsim sweep`: a grid of overrides, every point run with the same seed and replication
//! indices (common random numbers across points), points in parallel. One CSV row per
//! point: parameters, metric means with 95% intervals, threshold pass probabilities, SLO
//! attainment, cost, and whether the point is Pareto-optimal on cost against attainment.

use crate::aggregate::observe::observe;
use crate::engine::RunError;
use crate::engine::result::ReplicationResult;
use crate::gate::Runner;
use crate::gate::metrics::{fmt_num, key_metrics};
use crate::model::experiment::Experiment;
use crate::model::load::{load_experiment_spec_with, load_experiment_with};
use crate::spec::overrides::{Overrides, parse_override};
use crate::stats::interval::{Domain, estimate_in, wilson_interval};
use anyhow::{Context, anyhow, ensure};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path;

/// One dimension of the grid: an override path and its values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Axis {
    pub path: String,
    pub values: Vec<Value>,
}

/// `path=v1,v2,v3` (values are YAML scalars).
pub fn parse_axis(text: &str) -> Result<Axis, String> {
    let (path, values) = text.split_once('=').ok_or_else(|| {
        format!("--grid `{text}`: write `path=v1,v2,...`, e.g. `--grid services.web.workers=2,4,8`")
    })?;
    let values = values
        .split(',')
        .map(|v| crate::spec::overrides::parse_value(v.trim()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("--grid `{text}`: {e}"))?;
    // The path must route (checked now, before anything runs).
    parse_override(&format!("{path}=0")).map_err(|e| e.replace("--set", "--grid"))?;
    Ok(Axis {
        path: path.trim().to_string(),
        values,
    })
}

/// The grid: the `--grid` axes when there are any, else the `sweep:` block of the
/// experiment at `path` (with `overrides`).
pub fn grid(path: &Path, grid: &[String], overrides: &Overrides) -> anyhow::Result<Vec<Axis>> {
    if !grid.is_empty() {
        return grid
            .iter()
            .map(|g| parse_axis(g).map_err(anyhow::Error::msg))
            .collect();
    }
    let spec = load_experiment_spec_with(path, overrides)?;
    spec.sweep
        .iter()
        .map(|(axis, values)| {
            let text = format!("{axis}=0");
            parse_override(&text).map_err(|e| anyhow!("{}: sweep.{axis}: {e}", path.display()))?;
            Ok(Axis {
                path: axis.clone(),
                values: values.clone(),
            })
        })
        .collect()
}

pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One point of the grid.
#[derive(Debug, Clone)]
pub struct Point {
    pub index: usize,
    pub params: Vec<String>,
    pub overrides: Overrides,
}

/// Points of the grid, the last axis varying fastest.
pub fn points(axes: &[Axis]) -> Result<Vec<Point>, String> {
    let total: usize = axes.iter().map(|a| a.values.len()).product();
    if axes.is_empty() || total == 0 {
        return Err("the sweep has no grid: add `--grid path=v1,v2` or a `sweep:` block (path: [values]) to the experiment".into());
    }
    if total > 100_000 {
        return Err(format!("the grid has {total} points; at most 100000"));
    }
    let mut out = Vec::with_capacity(total);
    for index in 0..total {
        let mut rest = index;
        let mut picks = vec![0; axes.len()];
        for (d, a) in axes.iter().enumerate().rev() {
            picks[d] = rest % a.values.len();
            rest /= a.values.len();
        }
        let mut list = Vec::new();
        let mut params = Vec::new();
        for (a, &k) in axes.iter().zip(&picks) {
            let v = &a.values[k];
            let mut o = parse_override(&format!("{}=0", a.path))?;
            o.value = v.clone();
            o.raw = format!("{}={}", a.path, value_text(v));
            params.push(value_text(v));
            list.push(o);
        }
        out.push(Point {
            index,
            params,
            overrides: Overrides {
                list,
                ..Overrides::default()
            },
        });
    }
    Ok(out)
}

/// One computed row (without the Pareto mark, which needs every row).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub index: usize,
    /// CSV cells after `point` and the parameters, up to but not including `pareto`.
    pub cells: Vec<String>,
    pub cost: f64,
    pub attainment: f64,
}

fn cell(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else {
        format!("{x}")
    }
}

/// Whether anything in the model has a price; without one a sweep's cost is replica-seconds.
pub fn priced(exp: &Experiment) -> bool {
    let m = &exp.model;
    m.stations.iter().any(|s| s.price_per_hour > 0.0)
        || m.databases
            .iter()
            .any(|d| d.price_per_hour > 0.0 || d.replica_price_per_hour > 0.0)
        || m.caches.iter().any(|c| c.price_per_hour > 0.0)
        || m.providers.iter().any(|p| p.cost_per_call > 0.0)
}

/// The cost column of an unpriced sweep: ready replicas of every service and job queue
/// times seconds, per replication.
pub const REPLICA_SECONDS: &str = "cost.replica_s";

/// Relative difference below which two points' costs are the same.
pub const COST_TIE: f64 = 0.005;

fn replica_seconds(r: &ReplicationResult) -> f64 {
    r.stations.iter().map(|s| s.replicas_avg).sum::<f64>() * r.duration as f64 / 1e9
}

/// Column names after the parameters (must match [`row`]).
pub fn metric_header(exp: &Experiment) -> Vec<String> {
    let mut h = vec!["replications".to_string()];
    for d in key_metrics(exp) {
        for s in ["mean", "lo", "hi"] {
            h.push(format!("{}_{s}", d.name));
        }
    }
    if !priced(exp) {
        h.extend(["mean", "lo", "hi"].map(|s| format!("{REPLICA_SECONDS}_{s}")));
    }
    for t in &exp.thresholds {
        h.push(format!("P({}: {})", t.key, t.expression));
    }
    h.extend(["slo_attainment", "slo_attainment_lo", "slo_attainment_hi"].map(String::from));
    h
}

/// Computes a point's row from its replications.
pub fn row(index: usize, exp: &Experiment, results: &[ReplicationResult]) -> Row {
    let n = results.len();
    let mut cells = vec![n.to_string()];
    let mut cost = f64::NAN;
    for d in key_metrics(exp) {
        let e = d.estimate(results);
        if d.name == "cost.total_usd" {
            cost = e.mean;
        }
        let [lo, hi] = e.ci95.unwrap_or([f64::NAN, f64::NAN]);
        cells.extend([cell(e.mean), cell(lo), cell(hi)]);
    }
    if !priced(exp) {
        let values: Vec<f64> = results.iter().map(replica_seconds).collect();
        let e = estimate_in(&values, Domain::NonNegative);
        cost = e.mean;
        let [lo, hi] = e.ci95.unwrap_or([f64::NAN, f64::NAN]);
        cells.extend([cell(e.mean), cell(lo), cell(hi)]);
    }
    let mut all = vec![true; n];
    for t in &exp.thresholds {
        let mut passes = 0;
        for (i, r) in results.iter().enumerate() {
            if t.passes(observe(t, r, &exp.percentiles)) {
                passes += 1;
            } else {
                all[i] = false;
            }
        }
        cells.push(cell(passes as f64 / n.max(1) as f64));
    }
    let ok = all.iter().filter(|&&b| b).count();
    let attainment = ok as f64 / n.max(1) as f64;
    let (lo, hi) = wilson_interval(ok as u64, n as u64, 0.95);
    cells.extend([cell(attainment), cell(lo), cell(hi)]);
    Row {
        index,
        cells,
        cost,
        attainment,
    }
}

/// Loads the experiment at each of `points` (with the base's seed and replications), so a
/// bad value fails before anything runs, and checks each measures what the base does.
pub fn load_points(
    path: &Path,
    overrides: &Overrides,
    points: &[&Point],
    base: &Experiment,
) -> anyhow::Result<Vec<Experiment>> {
    let exps: Vec<Experiment> = points
        .iter()
        .map(|p| {
            load_experiment_with(path, &overrides.chain(&p.overrides))
                .map_err(anyhow::Error::from)
                .map(|mut exp| {
                    exp.replications = base.replications;
                    exp.seed = base.seed;
                    exp
                })
                .with_context(|| {
                    format!("sweep point {} ({})", p.index, p.overrides.raw().join(", "))
                })
        })
        .collect::<anyhow::Result<_>>()?;
    let header = metric_header(base);
    for (p, e) in points.iter().zip(&exps) {
        ensure!(
            metric_header(e) == header,
            "sweep point {}: its thresholds or services differ from the base experiment's; a sweep compares like with like",
            p.index
        );
    }
    Ok(exps)
}

/// Runs every point (in parallel) with the same replication indices: one row per point.
pub fn run_points(
    runner: &Runner,
    points: &[&Point],
    exps: &[Experiment],
    indices: &[u32],
) -> Result<Vec<Row>, RunError> {
    runner.install(|| {
        points
            .par_iter()
            .zip(exps)
            .map(|(p, e)| {
                let results = runner.run(e, indices)?;
                Ok(row(p.index, e, &results))
            })
            .collect::<Result<Vec<_>, RunError>>()
    })
}

/// Pareto-optimal rows: no other row is at most as costly and at least as good on SLO
/// attainment, and strictly better on one of them.
pub fn pareto(rows: &[Row]) -> Vec<bool> {
    rows.iter()
        .map(|p| {
            !rows.iter().any(|q| {
                q.cost <= p.cost
                    && q.attainment >= p.attainment
                    && (q.cost < p.cost || q.attainment > p.attainment)
            })
        })
        .collect()
}

/// sweep.csv, rows in point order.
pub fn csv(axes: &[Axis], header: &[String], points: &[Point], rows: &[Row]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut head = vec!["point".to_string()];
    head.extend(axes.iter().map(|a| a.path.clone()));
    head.extend(header.iter().cloned());
    head.push("pareto".into());
    let _ = w.write_record(&head);
    let marks = pareto(rows);
    for (r, mark) in rows.iter().zip(marks) {
        let mut rec = vec![r.index.to_string()];
        rec.extend(points[r.index].params.iter().cloned());
        rec.extend(r.cells.iter().cloned());
        rec.push(mark.to_string());
        let _ = w.write_record(&rec);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// A console table of the points: parameters, p(95), attainment, cost, Pareto mark, and
/// the cheapest point that meets the required attainment.
pub fn table(
    axes: &[Axis],
    header: &[String],
    points: &[Point],
    rows: &[Row],
    level: f64,
) -> String {
    let p95 = header
        .iter()
        .position(|h| h == "http_req_duration.p(95)_mean");
    let replica_s = header
        .iter()
        .any(|h| h == &format!("{REPLICA_SECONDS}_mean"));
    let unit = if replica_s { "replica-s" } else { "USD" };
    let marks = pareto(rows);
    let mut s = String::new();
    let mut head: Vec<String> = vec!["point".into()];
    head.extend(axes.iter().map(|a| a.path.clone()));
    head.extend(
        [
            "p(95) ms",
            "SLO attainment",
            &format!("cost {unit}"),
            "pareto",
        ]
        .map(String::from),
    );
    let mut lines: Vec<Vec<String>> = Vec::new();
    for (r, mark) in rows.iter().zip(&marks) {
        let mut l = vec![r.index.to_string()];
        l.extend(points[r.index].params.iter().cloned());
        let p = p95
            .and_then(|i| r.cells.get(i))
            .and_then(|c| c.parse::<f64>().ok())
            .unwrap_or(f64::NAN);
        l.push(fmt_num(p));
        l.push(format!("{:.3}", r.attainment));
        l.push(fmt_num(r.cost));
        l.push(if *mark { "*".into() } else { String::new() });
        lines.push(l);
    }
    let mut w: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for l in &lines {
        for (i, c) in l.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let fmt = |cells: &[String]| {
        let mut l = String::from(" ");
        for (i, c) in cells.iter().enumerate() {
            l.push_str(&format!(" {:<width$}", c, width = w[i]));
        }
        l.trim_end().to_string() + "\n"
    };
    s.push_str(&fmt(&head));
    for l in &lines {
        s.push_str(&fmt(l));
    }
    if replica_s {
        s.push_str("\n  no prices in the model: cost is replica-seconds (ready replicas of every service and job queue x seconds), not USD\n");
    }
    let meeting: Vec<&Row> = rows.iter().filter(|r| r.attainment >= level).collect();
    let best = meeting
        .iter()
        .copied()
        .min_by(|a, b| a.cost.total_cmp(&b.cost).then(a.index.cmp(&b.index)));
    // Points within half a percent of the cheapest cost the same: run lengths vary a
    // little between points, and without prices that is all that separates them.
    let tied: Vec<&Row> = match best {
        Some(b) => meeting
            .iter()
            .copied()
            .filter(|r| r.cost <= b.cost + COST_TIE * b.cost.abs() + 1e-12)
            .collect(),
        None => Vec::new(),
    };
    let same_cost = tied.len() > 1;
    match best {
        Some(b) if same_cost => {
            let list: Vec<String> = tied.iter().map(|r| r.index.to_string()).collect();
            s.push_str(&format!(
                "\n  no recommendation: points {} reach SLO attainment >= {level} and cost the same within {}% ({} {unit}), so cost does not separate them\n",
                list.join(", "),
                COST_TIE * 100.0,
                fmt_num(b.cost)
            ));
        }
        Some(r) => {
            let params: Vec<String> = axes
                .iter()
                .zip(&points[r.index].params)
                .map(|(a, v)| format!("{}={v}", a.path))
                .collect();
            s.push_str(&format!(
                "\n  recommended: point {} ({}): the cheapest with SLO attainment >= {level} ({:.3}, cost {} {unit})\n",
                r.index,
                params.join(", "),
                r.attainment,
                fmt_num(r.cost)
            ));
        }
        None => s.push_str(&format!(
            "\n  no point reaches SLO attainment {level}; the Pareto points (*) trade cost for attainment\n"
        )),
    }
    s
}

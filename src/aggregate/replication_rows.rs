//! replications.csv: one row per replication with its scalar k6 metrics overall, per
//! endpoint (k6's `name` tag) and per status, so that `capsim compare` can place a real
//! k6 result inside the spread of single runs (the 5-95 % band across replications).
//! [`replication_row`] takes one replication's result, so rows can be made as replications
//! finish; [`replications_csv`] and [`parse_replications_csv`] are the file both ways.
//!
//! ```text
//! replication,http_req_duration.avg,...,http_req_duration{name:GET /}.p(95),...,http_reqs{status:503}.count
//! 0,12.5,...
//! ```
//!
//! A column is a k6 series (`metric` or `metric{tag:value}`) and a statistic after the last
//! `.`; durations in ms, rates per second, an empty cell where a replication has no value.

use crate::aggregate::estimate::{per_sec, ratio};
use crate::engine::outcome::{Cause, CauseCounts};
use crate::engine::result::ReplicationResult;
use crate::engine::submetrics::status_of;
use crate::model::experiment::Experiment;
use crate::model::threshold::Family;
use crate::spec::k6_observed::SeriesKey;
use crate::stats::latency::TrendStats;

/// The file's name in a run folder.
pub const REPLICATIONS_FILE: &str = "replications.csv";

/// The statistics of a trend kept per replication (k6's default `summaryTrendStats`).
const TREND_STATS: [&str; 6] = ["avg", "min", "med", "max", "p(90)", "p(95)"];

/// The status codes a simulated response can have, in column order.
fn statuses() -> Vec<u16> {
    let mut s: Vec<u16> = std::iter::once(200)
        .chain(Cause::ALL.iter().map(|&c| status_of(Some(c))))
        .collect();
    s.sort_unstable();
    s.dedup();
    s
}

/// Rows of a run: the columns (series and statistic) and each replication's values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReplicationTable {
    pub columns: Vec<(SeriesKey, String)>,
    /// (replication index, one value per column; NaN where none).
    pub rows: Vec<(u32, Vec<f64>)>,
}

impl ReplicationTable {
    /// The values of one column across replications.
    pub fn column(&self, i: usize) -> Vec<f64> {
        self.rows
            .iter()
            .map(|(_, v)| v.get(i).copied().unwrap_or(f64::NAN))
            .collect()
    }
}

fn trend(out: &mut Vec<(SeriesKey, String, f64)>, key: SeriesKey, t: Option<TrendStats>) {
    for stat in TREND_STATS {
        let v = t.map_or(f64::NAN, |t| match stat {
            "avg" => t.avg,
            "min" => t.min,
            "med" => t.med,
            "max" => t.max,
            "p(90)" => t.p90,
            _ => t.p95,
        });
        out.push((key.clone(), stat.to_string(), v));
    }
}

fn status_counts(requests: u64, failures: u64, causes: &CauseCounts) -> Vec<(u16, u64)> {
    statuses()
        .into_iter()
        .map(|s| {
            let n = if s == 200 {
                requests.saturating_sub(failures)
            } else {
                Cause::ALL
                    .iter()
                    .filter(|&&c| status_of(Some(c)) == s)
                    .map(|c| causes[c.index()])
                    .sum()
            };
            (s, n)
        })
        .collect()
}

/// One replication's cells, in column order (the same for every replication of `exp`).
pub fn replication_cells(exp: &Experiment, r: &ReplicationResult) -> Vec<(SeriesKey, String, f64)> {
    let mut out = Vec::new();
    let o = SeriesKey::overall;
    let push = |out: &mut Vec<_>, key: SeriesKey, stat: &str, v: f64| {
        out.push((key, stat.to_string(), v));
    };
    trend(&mut out, o("http_req_duration"), r.latency);
    push(
        &mut out,
        o("http_req_failed"),
        "rate",
        ratio(r.failures, r.requests),
    );
    for (name, n) in [
        ("http_reqs", r.requests),
        ("iterations", r.iterations),
        ("dropped_iterations", r.dropped_iterations),
    ] {
        push(&mut out, o(name), "count", n as f64);
        push(&mut out, o(name), "rate", per_sec(n, r));
    }
    let whole_iterations = exp
        .submetrics
        .iter()
        .position(|p| p.family == Family::Iteration && p.filter.is_empty());
    if let Some(i) = whole_iterations {
        trend(
            &mut out,
            o("iteration_duration"),
            r.submetrics.get(i).and_then(|s| s.latency),
        );
    }
    if !exp.checks.is_empty() {
        let (p, f) = r.checks.iter().fold((0, 0), |a, c| (a.0 + c.0, a.1 + c.1));
        push(&mut out, o("checks"), "rate", ratio(p, p + f));
    }
    push(&mut out, o("vus"), "max", r.vus_peak as f64);
    push(&mut out, o("vus_max"), "value", r.vus_max as f64);
    for (e, res) in exp.model.endpoints.iter().zip(&r.endpoints) {
        let t = |m: &str| SeriesKey::tagged(m, "name", &e.name);
        trend(&mut out, t("http_req_duration"), res.latency);
        push(
            &mut out,
            t("http_req_failed"),
            "rate",
            ratio(res.failures, res.requests),
        );
        push(&mut out, t("http_reqs"), "count", res.requests as f64);
        push(&mut out, t("http_reqs"), "rate", per_sec(res.requests, r));
    }
    for (s, n) in status_counts(r.requests, r.failures, &r.causes) {
        let key = SeriesKey::tagged("http_reqs", "status", &s.to_string());
        push(&mut out, key.clone(), "count", n as f64);
        push(&mut out, key, "rate", per_sec(n, r));
    }
    out
}

/// One replication's row: its index and values in column order.
pub fn replication_row(exp: &Experiment, r: &ReplicationResult) -> (u32, Vec<f64>) {
    (
        r.index,
        replication_cells(exp, r).into_iter().map(|c| c.2).collect(),
    )
}

/// The table of a run's replications (in the order given).
pub fn replication_table(exp: &Experiment, results: &[ReplicationResult]) -> ReplicationTable {
    let columns = results
        .first()
        .map(|r| {
            replication_cells(exp, r)
                .into_iter()
                .map(|(k, s, _)| (k, s))
                .collect()
        })
        .unwrap_or_default();
    ReplicationTable {
        columns,
        rows: results.iter().map(|r| replication_row(exp, r)).collect(),
    }
}

/// replications.csv's bytes.
pub fn replications_csv(table: &ReplicationTable) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let head: Vec<String> = std::iter::once("replication".to_string())
        .chain(table.columns.iter().map(|(k, s)| format!("{k}.{s}")))
        .collect();
    // Writing to a Vec cannot fail.
    let _ = w.write_record(&head);
    for (i, vals) in &table.rows {
        let cells: Vec<String> = std::iter::once(i.to_string())
            .chain(vals.iter().map(|v| {
                if v.is_finite() {
                    format!("{v}")
                } else {
                    String::new()
                }
            }))
            .collect();
        let _ = w.write_record(&cells);
    }
    w.into_inner().unwrap_or_default()
}

/// Reads replications.csv back; the error names the line.
pub fn parse_replications_csv(text: &str) -> Result<ReplicationTable, String> {
    let mut rdr = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let head = rdr
        .headers()
        .map_err(|e| format!("cannot read the header: {e}"))?
        .clone();
    if head.get(0) != Some("replication") {
        return Err("the header does not start with `replication`".into());
    }
    let mut columns = Vec::new();
    for h in head.iter().skip(1) {
        let bad = || format!("column `{h}` is not `SERIES.STAT`");
        let (k, s) = h.rsplit_once('.').ok_or_else(bad)?;
        columns.push((SeriesKey::parse(k).ok_or_else(bad)?, s.to_string()));
    }
    let mut rows = Vec::new();
    for (n, rec) in rdr.records().enumerate() {
        let line = n + 2;
        let rec = rec.map_err(|e| format!("line {line}: {e}"))?;
        let index: u32 = rec
            .get(0)
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| format!("line {line}: the replication is not a whole number"))?;
        let vals = rec
            .iter()
            .skip(1)
            .map(|c| {
                if c.trim().is_empty() {
                    Ok(f64::NAN)
                } else {
                    c.trim()
                        .parse::<f64>()
                        .map_err(|_| format!("line {line}: a value is not a number"))
                }
            })
            .collect::<Result<Vec<f64>, String>>()?;
        rows.push((index, vals));
    }
    Ok(ReplicationTable { columns, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_reads_back_as_written() {
        let table = ReplicationTable {
            columns: vec![
                (SeriesKey::overall("http_req_duration"), "p(95)".into()),
                (
                    SeriesKey::tagged("http_reqs", "name", "GET /a.b,c"),
                    "count".into(),
                ),
            ],
            rows: vec![(0, vec![12.5, 3.0]), (1, vec![f64::NAN, 4.0])],
        };
        let back = parse_replications_csv(std::str::from_utf8(&replications_csv(&table)).unwrap())
            .unwrap();
        assert_eq!(back.columns, table.columns);
        assert_eq!(back.rows[0], table.rows[0]);
        assert!(back.rows[1].1[0].is_nan());
        assert_eq!(back.column(1), vec![3.0, 4.0]);
    }

    #[test]
    fn statuses_cover_success_and_every_cause() {
        assert_eq!(statuses(), vec![0, 200, 429, 500, 502, 503, 504]);
        let mut causes = [0u64; Cause::COUNT];
        causes[Cause::QueueFull.index()] = 3;
        causes[Cause::NoReplica.index()] = 2;
        causes[Cause::ClientTimeout.index()] = 1;
        let c = status_counts(20, 6, &causes);
        assert!(c.contains(&(200, 14)) && c.contains(&(503, 5)) && c.contains(&(0, 1)));
    }
}

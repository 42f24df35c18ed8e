//! The bytes of a run's data files: summary.json, k6-summary.json, timeseries.csv,
//! latency.csv and decisions.csv (the command layer writes them).

use crate::aggregate::{DistributionRow, K6SummaryExport, SeriesRow, Summary};
use serde::Serialize;

pub fn summary_json(summary: &Summary) -> Vec<u8> {
    let mut v = serde_json::to_vec_pretty(summary).expect("summary serializes");
    v.push(b'\n');
    v
}

/// k6-summary.json: the prediction as `k6 run --summary-export` writes a result, indented
/// by four spaces as k6's `JSON.stringify(results, null, 4)` does.
pub fn k6_summary_json(export: &K6SummaryExport) -> Vec<u8> {
    let mut v = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut v, fmt);
    export.serialize(&mut ser).expect("k6 summary serializes");
    v
}

/// One row per bucket: `time_s`, then per column its mean, p5 and p95 across replications.
/// Empty cells where a value is undefined in every replication (no requests in a bucket).
pub fn timeseries_csv(columns: &[String], rows: &[SeriesRow]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["time_s".to_string()];
    for c in columns {
        header.push(format!("{c}_mean"));
        header.push(format!("{c}_p5"));
        header.push(format!("{c}_p95"));
    }
    w.write_record(&header).expect("in-memory write");
    let cell = |x: f64| {
        if x.is_finite() {
            format!("{}", round6(x))
        } else {
            String::new()
        }
    };
    for row in rows {
        let mut rec = vec![cell(row.time_s)];
        for b in &row.values {
            rec.push(cell(b.mean));
            rec.push(cell(b.p5));
            rec.push(cell(b.p95));
        }
        w.write_record(&rec).expect("in-memory write");
    }
    w.into_inner().expect("in-memory flush")
}

/// latency.csv: `endpoint,percentile,value_ms_mean,value_ms_p5,value_ms_p95`, the
/// latency distribution of each endpoint (percentiles 0 to 100 in steps of 0.5).
pub fn latency_csv(rows: &[DistributionRow]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "endpoint",
        "percentile",
        "value_ms_mean",
        "value_ms_p5",
        "value_ms_p95",
    ])
    .expect("in-memory write");
    let cell = |x: f64| {
        if x.is_finite() {
            format!("{}", round6(x))
        } else {
            String::new()
        }
    };
    for r in rows {
        w.write_record([
            r.endpoint.clone(),
            format!("{}", r.percentile),
            cell(r.value.mean),
            cell(r.value.p5),
            cell(r.value.p95),
        ])
        .expect("in-memory write");
    }
    w.into_inner().expect("in-memory flush")
}

/// decisions.csv: every scaling decision of every replication, in replication then time
/// order: `replication,time_s,service,from,to,reason`.
pub fn decisions_csv(
    exp: &crate::model::experiment::Experiment,
    results: &[crate::engine::ReplicationResult],
) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["replication", "time_s", "service", "from", "to", "reason"])
        .expect("in-memory write");
    for r in results {
        for d in &r.decisions {
            w.write_record([
                r.index.to_string(),
                format!("{}", round6(d.at as f64 / 1e9)),
                exp.model.stations[d.station].name.clone(),
                d.from.to_string(),
                d.to.to_string(),
                d.reason.clone(),
            ])
            .expect("in-memory write");
        }
    }
    w.into_inner().expect("in-memory flush")
}

/// Six significant decimals keep the CSV readable; the value is still exact to the
/// precision any plot or spreadsheet uses.
fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

//! `capsim compare RUN_DIR K6_RESULT`: reads the run folder's prediction (replications.csv,
//! else summary.json's intervals) and the real test's k6 result, prints the comparison
//! ([`crate::gate::compare`]) or its JSON; exit 0 every observation inside the predicted
//! band, 1 one outside, 2 bad input.

use crate::aggregate::replication_rows::{REPLICATIONS_FILE, parse_replications_csv};
use crate::cli::CompareArgs;
use crate::gate::compare::{Comparison, Predicted, compare as compare_runs};
use crate::report::data::{Endpoint, Est, RunSummary, SUMMARY_FILE, Trend};
use crate::spec::confine::{Files, bound_message};
use crate::spec::k6_result::{SeriesKey, read_k6_result};
use anyhow::{Result, anyhow, bail};
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

/// Files of a run folder larger than this are refused (replications.csv of 10 000
/// replications of a model with dozens of endpoints is a few tens of MB).
const MAX_RUN_FILE_BYTES: u64 = 256 * 1024 * 1024;

pub fn compare(args: &CompareArgs) -> Result<ExitCode> {
    let cmp = comparison(&args.run, &args.result)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&cmp)?);
    } else {
        print!("{}", cmp.table());
    }
    Ok(if cmp.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The comparison of a run folder with a k6 result file (for the command and calibrate).
pub fn comparison(run: &Path, result: &Path) -> Result<Comparison> {
    let observed = read_k6_result(result).map_err(anyhow::Error::msg)?;
    let predicted = read_prediction(run)?;
    let cmp = compare_runs(
        &predicted,
        &observed,
        &run.display().to_string(),
        &result.display().to_string(),
    );
    if cmp.rows.is_empty() {
        bail!(
            "{}: nothing to compare: none of its metrics ({}) is predicted by the run in {}",
            result.display(),
            if observed.values.is_empty() {
                "none read".to_string()
            } else {
                observed
                    .values
                    .keys()
                    .take(4)
                    .map(|k| bound_message(&k.to_string()))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            run.display()
        );
    }
    Ok(cmp)
}

/// Reads a file of the run folder, confined to the folder (a symlink may not leave it).
fn read_run_file(dir: &Path, name: &str) -> Result<Option<String>> {
    let path = dir.join(name);
    if std::fs::symlink_metadata(&path).is_err() {
        return Ok(None);
    }
    let path = Files::for_dir(dir)
        .resolve(name)
        .map_err(|why| anyhow!("{}: {why}", path.display()))?;
    let meta = std::fs::metadata(&path).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    if !meta.is_file() || meta.len() > MAX_RUN_FILE_BYTES {
        bail!(
            "{}: not a regular file of at most {MAX_RUN_FILE_BYTES} bytes",
            path.display()
        );
    }
    let mut text = String::new();
    std::fs::File::open(&path)
        .and_then(|f| f.take(MAX_RUN_FILE_BYTES).read_to_string(&mut text))
        .map_err(|e| anyhow!("{}: cannot read: {e}", path.display()))?;
    Ok(Some(text))
}

/// The run's prediction: replications.csv, else summary.json's means and intervals.
pub fn read_prediction(dir: &Path) -> Result<Predicted> {
    if !dir.is_dir() {
        bail!(
            "{}: not a folder; name the folder `capsim run --out DIR` wrote",
            dir.display()
        );
    }
    if let Some(text) = read_run_file(dir, REPLICATIONS_FILE)? {
        let table = parse_replications_csv(&text).map_err(|why| {
            anyhow!(
                "{}: {}",
                dir.join(REPLICATIONS_FILE).display(),
                bound_message(&why)
            )
        })?;
        if table.rows.is_empty() {
            bail!("{}: no replications", dir.join(REPLICATIONS_FILE).display());
        }
        return Ok(Predicted::from_table(&table));
    }
    let Some(text) = read_run_file(dir, SUMMARY_FILE)? else {
        bail!(
            "{}: neither {REPLICATIONS_FILE} nor {SUMMARY_FILE}; name the folder `capsim run --out DIR` wrote",
            dir.display()
        );
    };
    let summary: RunSummary = serde_json::from_str(&text).map_err(|e| {
        anyhow!(
            "{}: {}",
            dir.join(SUMMARY_FILE).display(),
            bound_message(&e.to_string())
        )
    })?;
    Ok(Predicted::from_intervals(summary_intervals(&summary)))
}

type Interval = (SeriesKey, String, f64, Option<[f64; 2]>);

fn trend(out: &mut Vec<Interval>, key: &SeriesKey, t: &Trend) {
    for (stat, e) in [
        ("avg", t.avg),
        ("min", t.min),
        ("med", t.med),
        ("max", t.max),
        ("p(90)", t.p90),
        ("p(95)", t.p95),
    ] {
        out.push((key.clone(), stat.into(), e.mean, e.ci95));
    }
}

fn one(out: &mut Vec<Interval>, key: SeriesKey, stat: &str, e: Est) {
    out.push((key, stat.into(), e.mean, e.ci95));
}

/// summary.json's metrics and endpoints as (series, statistic, mean, interval).
fn summary_intervals(s: &RunSummary) -> Vec<Interval> {
    let m = &s.metrics;
    let o = SeriesKey::overall;
    let mut out = Vec::new();
    trend(&mut out, &o("http_req_duration"), &m.http_req_duration);
    one(
        &mut out,
        o("http_req_failed"),
        "rate",
        m.http_req_failed.rate,
    );
    for (name, c) in [
        ("http_reqs", &m.http_reqs),
        ("iterations", &m.iterations),
        ("dropped_iterations", &m.dropped_iterations),
    ] {
        one(&mut out, o(name), "count", c.count);
        one(&mut out, o(name), "rate", c.rate);
    }
    if let Some(c) = &m.checks {
        one(&mut out, o("checks"), "rate", c.rate);
    }
    one(&mut out, o("vus"), "max", m.vus.value);
    one(&mut out, o("vus_max"), "value", m.vus_max.value);
    for (name, e) in &s.endpoints {
        let Endpoint {
            http_req_duration,
            http_req_failed,
            http_reqs,
            ..
        } = e;
        let t = |m: &str| SeriesKey::tagged(m, "name", name);
        trend(&mut out, &t("http_req_duration"), http_req_duration);
        one(&mut out, t("http_req_failed"), "rate", http_req_failed.rate);
        one(&mut out, t("http_reqs"), "count", http_reqs.count);
        one(&mut out, t("http_reqs"), "rate", http_reqs.rate);
    }
    out
}

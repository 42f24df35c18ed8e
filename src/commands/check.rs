//! `capsim check`: the CI gate. Exit 0 when every threshold passes with the required
//! probability, 1 when one fails or is undecided, 2 on bad input; JUnit and Markdown reports.

use crate::cli::CheckArgs;
use crate::commands::common::{gate_runner, load, parse_overrides, run_count, write_output};
use crate::gate::check::{GateOptions, GateVerdict, evaluate};
use crate::gate::sequential::{DEFAULT_CHECK_MAX_REPLICATIONS, run_until_decided};
use crate::gate::{DEFAULT_CHECK_WALL_TIME, alerts};
use anyhow::{Result, bail, ensure};
use std::process::ExitCode;

pub fn check(args: &CheckArgs) -> Result<ExitCode> {
    ensure!(
        (0.0..=1.0).contains(&args.level),
        "--level {}: a probability from 0 to 1 (e.g. 0.9)",
        args.level
    );
    ensure!(
        args.confidence > 0.0 && args.confidence < 1.0,
        "--confidence {}: between 0 and 1 (e.g. 0.95)",
        args.confidence
    );
    let overrides = parse_overrides(&args.run.set, &args.run.allow_path)?;
    let opts = GateOptions {
        level: args.level,
        confidence: args.confidence,
    };
    let exp = load(
        &args.experiment,
        &overrides,
        args.run.replications,
        args.run.seed,
    )?;
    if exp.thresholds.is_empty() {
        bail!(
            "{}: the experiment has no thresholds, so there is nothing to gate on; add e.g. \
             `thresholds: {{http_req_duration: [\"p(95)<500\"]}}`",
            args.experiment.display()
        );
    }
    let rules = alerts::load_rules(&args.experiment, &overrides, &exp)?;
    let mut runner = gate_runner(
        &args.run,
        DEFAULT_CHECK_WALL_TIME,
        crate::engine::memory::DEFAULT_GATE_MAX_MEMORY,
    );
    // Alert rules read every replication's time buckets; without them each result is
    // compacted as it finishes.
    if rules.is_empty() {
        runner.keep = crate::engine::memory::Kept::CompactNoBands;
    }
    let (results, precision_stop) = run_count(
        &exp,
        args.precision.as_deref(),
        args.max_replications,
        &runner,
    )?;
    // Sequential decisions: add replications while a threshold is undecided.
    let cap = args
        .max_replications
        .unwrap_or(DEFAULT_CHECK_MAX_REPLICATIONS)
        .max(results.len() as u32);
    let (results, decision_stop) = run_until_decided(&exp, results, cap, &runner, |rs| {
        evaluate(&exp, rs, opts, Vec::new())
            .thresholds
            .iter()
            .filter(|r| r.verdict == GateVerdict::Undecided)
            .count()
    })?;
    let mut report = evaluate(&exp, &results, opts, overrides.raw());
    report.stopping = Some(match precision_stop {
        Some(p) => format!("{p}; {}", decision_stop.line()),
        None => decision_stop.line(),
    });
    report.alerts = alerts::evaluate(&exp, &rules, &results)
        .into_iter()
        .filter(|a| a.fired > 0)
        .collect();
    if let Some(path) = &args.junit {
        write_output(path, crate::gate::junit::junit(&report).as_bytes())?;
    }
    if let Some(path) = &args.markdown {
        write_output(path, report.markdown().as_bytes())?;
    }
    if !args.quiet {
        if args.json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            print!("{}", report.table());
        }
    }
    Ok(if report.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

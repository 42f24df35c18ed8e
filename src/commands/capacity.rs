//! `capsim capacity`: the highest load factor at which every threshold passes with
//! P(pass) >= level. Writes capacity.json and the capacity_curve figure into --out; exit 0
//! with an answer; 2 on bad input, including a load that fails even at the smallest factor
//! (no load meets the thresholds: a model or threshold mistake, not a capacity; the
//! outputs are still written as evidence).

use crate::cli::CapacityArgs;
use crate::commands::common::{gate_runner, load, parse_overrides, write_output};
use crate::gate::DEFAULT_SWEEP_WALL_TIME;
use crate::gate::check::GateOptions;
use crate::gate::metrics::fmt_num;
use crate::planning::capacity::{CapacityOptions, Outcome, capacity as search};
use crate::planning::probe::ProbeOptions;
use crate::planning::scale_load::load_of;
use crate::report::sweep_figures::{CAPACITY_STEM, capacity_figure};
use anyhow::{Result, bail, ensure};
use std::process::ExitCode;

/// Replications of a setting away from the boundary when `-n` is not given.
pub(crate) const DEFAULT_SEARCH_REPLICATIONS: u32 = 5;

/// Checks the options `capacity` and `size` share.
pub(crate) fn probe_options(
    level: f64,
    confidence: f64,
    replications: Option<u32>,
    max_replications: u32,
) -> Result<ProbeOptions> {
    ensure!(
        level > 0.0 && level < 1.0,
        "--level {level}: a probability between 0 and 1 (e.g. 0.9)"
    );
    ensure!(
        confidence > 0.0 && confidence < 1.0,
        "--confidence {confidence}: between 0 and 1 (e.g. 0.95)"
    );
    let initial = replications.unwrap_or(DEFAULT_SEARCH_REPLICATIONS);
    ensure!(
        (2..=crate::model::experiment::MAX_REPLICATIONS).contains(&initial),
        "-n {initial}: a search needs 2 to {} replications per setting",
        crate::model::experiment::MAX_REPLICATIONS
    );
    ensure!(
        max_replications >= initial
            && max_replications <= crate::model::experiment::MAX_REPLICATIONS,
        "--max-replications {max_replications}: at least -n ({initial}) and at most {}",
        crate::model::experiment::MAX_REPLICATIONS
    );
    Ok(ProbeOptions {
        gate: GateOptions { level, confidence },
        initial,
        max_replications,
    })
}

pub fn capacity(args: &CapacityArgs) -> Result<ExitCode> {
    let probe = probe_options(
        args.level,
        args.confidence,
        args.run.replications,
        args.max_replications,
    )?;
    ensure!(
        args.tolerance > 0.0 && args.tolerance <= 1.0,
        "--tolerance {}: a relative width above 0 and at most 1 (e.g. 0.05)",
        args.tolerance
    );
    ensure!(
        args.start > 0.0 && args.start.is_finite() && args.start <= 1024.0,
        "--start {}: a factor above 0 and at most 1024 (e.g. 1)",
        args.start
    );
    ensure!(
        args.max_evaluations >= 2,
        "--max-evaluations {}: at least 2",
        args.max_evaluations
    );
    let overrides = parse_overrides(&args.run.set, &args.run.allow_path)?;
    let exp = load(&args.experiment, &overrides, None, args.run.seed)?;
    if exp.thresholds.is_empty() {
        bail!(
            "{}: thresholds: the experiment has none, so no load is too much; add e.g. \
             `thresholds: {{http_req_duration: [\"p(95)<500\"]}}`",
            args.experiment.display()
        );
    }
    let base = load_of(&exp);
    if base.closed_vus == 0 && base.open_rate_per_s <= 0.0 {
        bail!(
            "{}: scenarios: no VUs and no arrival rate to scale; give a scenario a load",
            args.experiment.display()
        );
    }
    let opts = CapacityOptions {
        probe,
        tolerance: args.tolerance,
        start: args.start,
        max_evaluations: args.max_evaluations,
        ..CapacityOptions::default()
    };
    let runner = gate_runner(
        &args.run,
        DEFAULT_SWEEP_WALL_TIME,
        crate::engine::memory::DEFAULT_MAX_MEMORY,
    );
    let talk = !args.quiet && !args.json;
    if talk {
        eprintln!(
            "capsim capacity: {} (load at factor 1: {})",
            args.experiment.display(),
            crate::planning::capacity::load_text(&base)
        );
    }
    let c = search(&exp, &runner, opts, &|line| {
        if talk {
            eprintln!("{line}");
        }
    })?;
    let json = serde_json::to_string_pretty(&c)?;
    write_output(&args.out.join("capacity.json"), json.as_bytes())?;
    if !args.no_plots {
        let (png, svg) = capacity_figure(&c).map_err(|e| anyhow::anyhow!("{e}"))?;
        write_output(&args.out.join(format!("{CAPACITY_STEM}.png")), &png)?;
        write_output(
            &args.out.join(format!("{CAPACITY_STEM}.svg")),
            svg.as_bytes(),
        )?;
    }
    if !args.quiet {
        if args.json {
            println!("{json}");
        } else {
            print!("{}", c.table());
            println!("  wrote {}", args.out.display());
        }
    }
    if c.outcome == Outcome::NoFactorPasses {
        bail!(
            "{}: the load fails its thresholds even at the smallest factor, {}x ({}): no load \
             meets them, so there is no capacity to find; check the thresholds against the \
             model (e.g. a latency bound below the service time) and the evidence in {}",
            args.experiment.display(),
            fmt_num(c.limit_factor.unwrap_or(f64::NAN)),
            c.point(c.limit_factor).map_or_else(
                || "-".into(),
                |p| crate::planning::capacity::load_text(&p.load)
            ),
            args.out.join("capacity.json").display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

//! The gate's subcommands (`check`, `diff`, `sweep`, `merge`, and `run` with `--shard` or
//! `--precision`): they read files, run, and write reports. Exit codes: 0 pass, 1 a predicted
//! SLO fails (or is undecided, for `check`), 2 bad input (returned as an error).

use crate::aggregate::{Verdict, series_columns, summarize, time_series};
use crate::cli::{CheckArgs, DiffArgs, GateRunArgs, MergeArgs, RunArgs, SweepArgs, WallTime};
use crate::engine::{Budget, ReplicationResult};
use crate::gate::check::{GateOptions, evaluate};
use crate::gate::sequential::{parse_precision, run_until};
use crate::gate::shard::{Kind, PARTIAL_FILE, Partial, Shard};
use crate::gate::sweep::{Axis, metric_header, parse_axis, points};
use crate::gate::{
    DEFAULT_CHECK_WALL_TIME, DEFAULT_GATE_MAX_EVENTS, DEFAULT_SWEEP_WALL_TIME, Runner, alerts,
};
use crate::model::experiment::{Experiment, MAX_REPLICATIONS};
use crate::model::load::{load_experiment_spec_with, load_experiment_with};
use crate::report::{console, files};
use crate::spec::overrides::Overrides;
use anyhow::{Context, Result, anyhow, bail, ensure};
use rayon::prelude::*;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

/// Default cap of `--precision`.
pub const DEFAULT_MAX_REPLICATIONS: u32 = 200;

fn write_output(path: &Path, bytes: &[u8]) -> Result<()> {
    files::write_atomic(path, bytes)
        .with_context(|| format!("{}: cannot write output", path.display()))
}

fn check_replications(n: u32, flag: &str) -> Result<()> {
    ensure!(
        (1..=MAX_REPLICATIONS).contains(&n),
        "{flag} {n}: allowed 1 to {MAX_REPLICATIONS}"
    );
    Ok(())
}

fn parse_overrides(set: &[String]) -> Result<Overrides> {
    Overrides::parse(set).map_err(anyhow::Error::msg)
}

/// Loads an experiment with overrides and the command line's seed and replications.
fn load(
    path: &Path,
    overrides: &Overrides,
    replications: Option<u32>,
    seed: Option<u64>,
) -> Result<Experiment> {
    let mut exp = load_experiment_with(path, overrides)?;
    if let Some(n) = replications {
        check_replications(n, "--replications")?;
        exp.replications = n;
    }
    if let Some(s) = seed {
        exp.seed = s;
    }
    Ok(exp)
}

/// The runner of a gate command; `default_wall_time` applies without `--max-wall-time`.
fn runner(args: &GateRunArgs, default_wall_time: Duration) -> Runner {
    let wall = args
        .max_wall_time
        .unwrap_or(WallTime::Limit(default_wall_time));
    Runner {
        threads: args.threads,
        budget: Budget {
            max_events: args.max_events.unwrap_or(DEFAULT_GATE_MAX_EVENTS),
            deadline: wall.deadline(),
            stop: crate::interrupt::flag(),
        },
    }
}

fn all_indices(exp: &Experiment) -> Vec<u32> {
    (0..exp.replications).collect()
}

/// Alert rules of the experiment (validated against its time series).
fn alert_rules(
    path: &Path,
    overrides: &Overrides,
    exp: &Experiment,
) -> Result<Vec<alerts::AlertRule>> {
    let spec = load_experiment_spec_with(path, overrides)?;
    alerts::build_rules(exp, &spec.alerts).map_err(|e| anyhow!("{}: {e}", path.display()))
}

/// Runs with `--precision` or the fixed count.
fn run_count(
    exp: &Experiment,
    precision: Option<&str>,
    max_replications: Option<u32>,
    runner: &Runner,
) -> Result<(Vec<ReplicationResult>, Option<String>)> {
    match precision {
        Some(p) => {
            let p = parse_precision(p).map_err(anyhow::Error::msg)?;
            crate::gate::sequential::check_metric(exp, &p)
                .map_err(|e| anyhow!("--precision: {e}"))?;
            let cap = max_replications.unwrap_or(DEFAULT_MAX_REPLICATIONS);
            check_replications(cap, "--max-replications")?;
            let (results, stop) = run_until(exp, &p, exp.replications.min(cap), cap, runner)?;
            Ok((results, Some(stop.line())))
        }
        None => Ok((runner.run(exp, &all_indices(exp))?, None)),
    }
}

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
    let overrides = parse_overrides(&args.run.set)?;
    let opts = GateOptions {
        level: args.level,
        confidence: args.confidence,
    };
    let mut exp = load(
        &args.experiment,
        &overrides,
        args.run.replications,
        args.run.seed,
    )?;
    // Without --replications, run at least as many as can show P(pass) >= level at all.
    let mut raised = None;
    if args.run.replications.is_none()
        && let Some(min) = crate::gate::check::min_replications(opts)
        && exp.replications < min
    {
        raised = Some(format!(
            "replications: {min} (the experiment asks for {}, but fewer than {min} cannot show P(pass) >= {} at {:.0}% confidence)",
            exp.replications,
            opts.level,
            opts.confidence * 100.0
        ));
        exp.replications = min;
    }
    if exp.thresholds.is_empty() {
        bail!(
            "{}: the experiment has no thresholds, so there is nothing to gate on; add e.g. \
             `thresholds: {{http_req_duration: [\"p(95)<500\"]}}`",
            args.experiment.display()
        );
    }
    let rules = alert_rules(&args.experiment, &overrides, &exp)?;
    let runner = runner(&args.run, DEFAULT_CHECK_WALL_TIME);
    let (results, stopping) = run_count(
        &exp,
        args.precision.as_deref(),
        args.max_replications,
        &runner,
    )?;
    let mut report = evaluate(&exp, &results, opts, overrides.raw());
    report.stopping = match (raised, stopping) {
        (Some(a), Some(b)) => Some(format!("{a}; {b}")),
        (a, b) => a.or(b),
    };
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

pub fn diff(args: &DiffArgs) -> Result<ExitCode> {
    let overrides = parse_overrides(&args.run.set)?;
    let (b_path, b_over) = match &args.b {
        Some(b) => (b.clone(), overrides.clone()),
        None => {
            ensure!(
                !overrides.is_empty(),
                "diff needs a second experiment (`capsim diff A B`) or overrides (`capsim diff A --set path=value`)"
            );
            (args.a.clone(), overrides.clone())
        }
    };
    let exp_a = load(
        &args.a,
        &Overrides::default(),
        args.run.replications,
        args.run.seed,
    )?;
    // Common random numbers: B uses A's seed and replication count.
    let exp_b = load(&b_path, &b_over, Some(exp_a.replications), Some(exp_a.seed))?;
    let runner = runner(&args.run, DEFAULT_CHECK_WALL_TIME);
    let idx = all_indices(&exp_a);
    let (ra, rb) =
        runner.install(|| rayon::join(|| runner.run(&exp_a, &idx), || runner.run(&exp_b, &idx)));
    let (ra, rb) = (ra?, rb?);
    let label_b = match &args.b {
        Some(b) if overrides.is_empty() => b.display().to_string(),
        Some(b) => format!(
            "{} with --set {}",
            b.display(),
            overrides.raw().join(" --set ")
        ),
        None => format!("A with --set {}", overrides.raw().join(" --set ")),
    };
    let report = crate::gate::diff::compare(
        &exp_a,
        &ra,
        &exp_b,
        &rb,
        &args.a.display().to_string(),
        &label_b,
    );
    if let Some(path) = &args.markdown {
        write_output(path, report.markdown().as_bytes())?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.text());
    }
    Ok(ExitCode::SUCCESS)
}

/// The grid: --grid axes, else the experiment's `sweep:` block.
fn grid(args: &SweepArgs, overrides: &Overrides) -> Result<Vec<Axis>> {
    if !args.grid.is_empty() {
        return args
            .grid
            .iter()
            .map(|g| parse_axis(g).map_err(anyhow::Error::msg))
            .collect();
    }
    let spec = load_experiment_spec_with(&args.experiment, overrides)?;
    spec.sweep
        .iter()
        .map(|(path, values)| {
            let text = format!("{path}=0");
            crate::spec::overrides::parse_override(&text)
                .map_err(|e| anyhow!("{}: sweep.{path}: {e}", args.experiment.display()))?;
            Ok(Axis {
                path: path.clone(),
                values: values.clone(),
            })
        })
        .collect()
}

pub fn sweep(args: &SweepArgs) -> Result<ExitCode> {
    let overrides = parse_overrides(&args.run.set)?;
    let axes = grid(args, &overrides)?;
    let pts = points(&axes).map_err(anyhow::Error::msg)?;
    let shard = args
        .shard
        .as_deref()
        .map(Shard::parse)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    // Load every point first: a bad value fails before anything runs.
    let base = load(
        &args.experiment,
        &overrides,
        args.run.replications,
        args.run.seed,
    )?;
    let mine: Vec<&crate::gate::sweep::Point> = pts
        .iter()
        .filter(|p| shard.is_none_or(|s| s.owns(p.index as u64)))
        .collect();
    let exps: Vec<Experiment> = mine
        .iter()
        .map(|p| {
            load(
                &args.experiment,
                &overrides.chain(&p.overrides),
                Some(base.replications),
                Some(base.seed),
            )
            .with_context(|| format!("sweep point {} ({})", p.index, p.overrides.raw().join(", ")))
        })
        .collect::<Result<_>>()?;
    let header = metric_header(&base);
    for (p, e) in mine.iter().zip(&exps) {
        ensure!(
            metric_header(e) == header,
            "sweep point {}: its thresholds or services differ from the base experiment's; a sweep compares like with like",
            p.index
        );
    }
    let runner = runner(&args.run, DEFAULT_SWEEP_WALL_TIME);
    let idx = all_indices(&base);
    let rows = runner.install(|| {
        mine.par_iter()
            .zip(&exps)
            .map(|(p, e)| {
                let results = runner.run(e, &idx)?;
                Ok(crate::gate::sweep::row(p.index, e, &results))
            })
            .collect::<Result<Vec<_>>>()
    })?;
    if let Some(shard) = shard {
        let partial = Partial {
            capsim_version: env!("CARGO_PKG_VERSION").into(),
            kind: Kind::Sweep,
            experiment: args.experiment.display().to_string(),
            overrides: overrides.raw(),
            seed: base.seed,
            replications: base.replications,
            shard,
            results: Vec::new(),
            grid: axes,
            header,
            rows,
        };
        let path = args.out.join(PARTIAL_FILE);
        write_output(
            &path,
            partial.to_yaml().map_err(anyhow::Error::msg)?.as_bytes(),
        )?;
        if !args.quiet {
            println!(
                "shard {}/{}: {} of {} sweep points written to {}; combine the shards with `capsim merge`",
                shard.k,
                shard.n,
                partial.rows.len(),
                pts.len(),
                path.display()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    write_sweep(
        &args.out, &axes, &header, &pts, &rows, args.level, args.quiet,
    )?;
    if !args.no_plots {
        crate::report::sweep_figures::render_sweep(&args.out)
            .with_context(|| format!("{}: cannot draw the sweep figures", args.out.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn write_sweep(
    out: &Path,
    axes: &[Axis],
    header: &[String],
    pts: &[crate::gate::sweep::Point],
    rows: &[crate::gate::sweep::Row],
    level: f64,
    quiet: bool,
) -> Result<()> {
    let csv = crate::gate::sweep::csv(axes, header, pts, rows);
    let path = out.join("sweep.csv");
    write_output(&path, csv.as_bytes())?;
    if !quiet {
        print!(
            "{}",
            crate::gate::sweep::table(axes, header, pts, rows, level)
        );
        println!("\n  wrote {}", path.display());
    }
    Ok(())
}

fn write_run_outputs(dir: &Path, exp: &Experiment, results: &[ReplicationResult]) -> Result<()> {
    let summary = summarize(exp, results);
    let json = files::summary_json(&summary);
    let csv = files::timeseries_csv(&series_columns(exp), &time_series(exp, results));
    write_output(&dir.join("summary.json"), &json)?;
    write_output(&dir.join("timeseries.csv"), &csv)?;
    Ok(())
}

/// Console summary, alerts, and the run's exit code (1 when a threshold fails).
fn finish_run(
    exp: &Experiment,
    results: &[ReplicationResult],
    rules: &[alerts::AlertRule],
    out: Option<&Path>,
    quiet: bool,
    note: Option<&str>,
) -> Result<ExitCode> {
    let summary = summarize(exp, results);
    if let Some(dir) = out {
        write_run_outputs(dir, exp, results)?;
        if !rules.is_empty() {
            let summaries = alerts::evaluate(exp, rules, results);
            write_output(
                &dir.join("alerts.json"),
                serde_json::to_string_pretty(&summaries)?.as_bytes(),
            )?;
        }
    }
    if !quiet {
        if let Some(n) = note {
            println!("  {n}\n");
        }
        print!("{}", console::render(&summary));
        print_alerts(exp, rules, results);
        if let Some(dir) = out {
            println!(
                "\n  wrote {} and {}",
                dir.join("summary.json").display(),
                dir.join("timeseries.csv").display()
            );
        }
    }
    let failed = summary
        .thresholds
        .iter()
        .any(|t| t.verdict == Verdict::Fail);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_alerts(exp: &Experiment, rules: &[alerts::AlertRule], results: &[ReplicationResult]) {
    if rules.is_empty() {
        return;
    }
    println!("\n  alert rules:");
    for a in alerts::evaluate(exp, rules, results) {
        println!("    {}", a.line());
    }
}

/// Alert rules for plain `capsim run`, validated before it runs.
pub fn run_alert_rules(args: &RunArgs, exp: &Experiment) -> Result<Vec<alerts::AlertRule>> {
    let overrides = parse_overrides(&args.set)?;
    alert_rules(&args.experiment, &overrides, exp)
}

/// After plain `capsim run`: prints the alert rules' summaries (alerts.json with --out).
pub fn run_alerts(
    args: &RunArgs,
    exp: &Experiment,
    rules: &[alerts::AlertRule],
    results: &[ReplicationResult],
) -> Result<()> {
    if rules.is_empty() {
        return Ok(());
    }
    let summaries = alerts::evaluate(exp, rules, results);
    if let Some(dir) = &args.out {
        write_output(
            &dir.join("alerts.json"),
            serde_json::to_string_pretty(&summaries)?.as_bytes(),
        )?;
    }
    if !args.quiet {
        print_alerts(exp, rules, results);
    }
    Ok(())
}

/// `capsim run` with `--shard` or `--precision`.
pub fn run_extended(args: &RunArgs) -> Result<ExitCode> {
    ensure!(
        args.shard.is_none() || args.precision.is_none(),
        "--shard and --precision do not combine: a shard runs a fixed share of a fixed count"
    );
    let overrides = parse_overrides(&args.set)?;
    let exp = load(&args.experiment, &overrides, args.replications, args.seed)?;
    let rules = alert_rules(&args.experiment, &overrides, &exp)?;
    let runner = Runner {
        threads: args.threads,
        budget: Budget {
            max_events: args.max_events.unwrap_or(u64::MAX),
            deadline: args.max_wall_time.and_then(|w| w.deadline()),
            stop: crate::interrupt::flag(),
        },
    };
    if let Some(text) = &args.shard {
        let shard = Shard::parse(text).map_err(anyhow::Error::msg)?;
        let dir = args
            .out
            .as_ref()
            .ok_or_else(|| anyhow!("--shard needs --out DIR for its partial results"))?;
        let idx: Vec<u32> = (0..exp.replications)
            .filter(|&i| shard.owns(i as u64))
            .collect();
        let results = runner.run(&exp, &idx)?;
        let partial = Partial {
            capsim_version: env!("CARGO_PKG_VERSION").into(),
            kind: Kind::Run,
            experiment: args.experiment.display().to_string(),
            overrides: overrides.raw(),
            seed: exp.seed,
            replications: exp.replications,
            shard,
            results,
            grid: Vec::new(),
            header: Vec::new(),
            rows: Vec::new(),
        };
        let path = dir.join(PARTIAL_FILE);
        write_output(
            &path,
            partial.to_yaml().map_err(anyhow::Error::msg)?.as_bytes(),
        )?;
        if !args.quiet {
            println!(
                "shard {}/{}: {} of {} replications written to {}; combine the shards with `capsim merge`",
                shard.k,
                shard.n,
                idx.len(),
                exp.replications,
                path.display()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let (results, stopping) = run_count(
        &exp,
        args.precision.as_deref(),
        args.max_replications,
        &runner,
    )?;
    finish_run(
        &exp,
        &results,
        &rules,
        args.out.as_deref(),
        args.quiet,
        stopping.as_deref(),
    )
}

fn read_partial(path: &Path) -> Result<Partial> {
    let file = if path.is_dir() {
        path.join(PARTIAL_FILE)
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&file).with_context(|| {
        format!(
            "{}: cannot read the shard's partial results",
            file.display()
        )
    })?;
    Partial::from_yaml(&text)
        .map_err(|e| anyhow!("{}: not a capsim partial result: {e}", file.display()))
}

pub fn merge(args: &MergeArgs) -> Result<ExitCode> {
    let parts = args
        .parts
        .iter()
        .map(|p| read_partial(p))
        .collect::<Result<Vec<_>>>()?;
    for p in &parts[1..] {
        p.same_run(&parts[0]).map_err(anyhow::Error::msg)?;
    }
    let mut first = parts[0].clone();
    first.results = Vec::new();
    first.rows = Vec::new();
    let first = &first;
    let n = first.shard.n;
    let mut ks: Vec<u32> = parts.iter().map(|p| p.shard.k).collect();
    ks.sort_unstable();
    let want: Vec<u32> = (1..=n).collect();
    if ks != want {
        let missing: Vec<String> = want
            .iter()
            .filter(|k| !ks.contains(k))
            .map(|k| format!("{k}/{n}"))
            .collect();
        bail!(
            "merge needs each of the {n} shards exactly once; got {}{}",
            ks.iter()
                .map(|k| format!("{k}/{n}"))
                .collect::<Vec<_>>()
                .join(", "),
            if missing.is_empty() {
                " (a shard appears twice)".to_string()
            } else {
                format!("; missing {}", missing.join(", "))
            }
        );
    }
    let overrides = parse_overrides(&first.overrides)?;
    let exp_path = Path::new(&first.experiment);
    match first.kind {
        Kind::Run => {
            let exp = load(
                exp_path,
                &overrides,
                Some(first.replications),
                Some(first.seed),
            )?;
            let mut results: Vec<ReplicationResult> =
                parts.into_iter().flat_map(|p| p.results).collect();
            results.sort_by_key(|r| r.index);
            let idx: Vec<u32> = results.iter().map(|r| r.index).collect();
            ensure!(
                idx == all_indices(&exp),
                "the shards do not hold replications 0..{} exactly once each",
                exp.replications
            );
            let rules = alert_rules(exp_path, &overrides, &exp)?;
            finish_run(&exp, &results, &rules, Some(&args.out), args.quiet, None)
        }
        Kind::Sweep => {
            let axes = first.grid.clone();
            let header = first.header.clone();
            let pts = points(&axes).map_err(anyhow::Error::msg)?;
            let mut rows: Vec<crate::gate::sweep::Row> =
                parts.into_iter().flat_map(|p| p.rows).collect();
            rows.sort_by_key(|r| r.index);
            ensure!(
                rows.iter().map(|r| r.index).eq(0..pts.len()),
                "the shards do not hold sweep points 0..{} exactly once each",
                pts.len()
            );
            write_sweep(
                &args.out, &axes, &header, &pts, &rows, args.level, args.quiet,
            )?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

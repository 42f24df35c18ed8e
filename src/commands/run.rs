//! `capsim run`: one path for every run, plain, one shard of it (`--shard K/N`, written to
//! OUT/partial.yaml for `capsim merge`) or until a precision (`--precision`). Also writes
//! and prints the outputs of a run that `capsim merge` put together.

use crate::aggregate::replication_rows::{REPLICATIONS_FILE, replication_table, replications_csv};
use crate::aggregate::{Verdict, k6_summary_export, series_columns, summarize};
use crate::cli::{MemoryLimit, RunArgs};
use crate::commands::common::{load, parse_overrides, run_count, write_output};
use crate::commands::out_dir::OutDir;
use crate::commands::plot::render_run;
use crate::engine::memory::DEFAULT_MAX_MEMORY;
use crate::engine::{Budget, ReplicationResult};
use crate::gate::Runner;
use crate::gate::alerts::{self, AlertRule};
use crate::gate::shard::{PARTIAL_FILE, Partial, Shard};
use crate::model::experiment::Experiment;
use crate::progress::Progress;
use crate::replicate::{Folded, RunPlan, run_folded};
use crate::report::render::REPORT_HTML;
use crate::report::{console, files};
use anyhow::{Result, anyhow, ensure};
use std::path::Path;
use std::process::ExitCode;

/// Which files a run writes into `--out`, besides summary.json, timeseries.csv and (with
/// alert rules) alerts.json.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Extras {
    /// A plain run: latency.csv, decisions.csv and, when `figures`, the figures and reports.
    All {
        figures: bool,
        target_rps: Option<f64>,
    },
    /// A run under `--precision` and a merged run: nothing more.
    None,
}

pub fn run(args: &RunArgs) -> Result<ExitCode> {
    ensure!(
        args.shard.is_none() || args.precision.is_none(),
        "--shard and --precision do not combine: a shard runs a fixed share of a fixed count"
    );
    let mut overrides = parse_overrides(&args.set, &args.allow_path)?;
    overrides.script = crate::commands::common::script_flags(&args.k6)?;
    let exp = load(&args.experiment, &overrides, args.replications, args.seed)?;
    let rules = alerts::load_rules(&args.experiment, &overrides, &exp)?;
    if !args.quiet {
        for note in &exp.notes {
            eprintln!("note: {note}");
        }
    }
    let runner = Runner {
        threads: crate::commands::common::note_threads(args.threads),
        keep: Default::default(),
        budget: Budget {
            max_events: args.max_events.unwrap_or(u64::MAX),
            deadline: args.max_wall_time.and_then(|w| w.deadline()),
            stop: crate::interrupt::flag(),
            max_memory: MemoryLimit::or_default(args.max_memory, DEFAULT_MAX_MEMORY),
            ..Budget::default()
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
        let partial = Partial::run(
            args.experiment.display().to_string(),
            overrides.raw(),
            &exp,
            shard,
            results,
        );
        let yaml = partial.to_yaml().map_err(anyhow::Error::msg)?;
        let stage = OutDir::begin(dir)?;
        write_output(&stage.path().join(PARTIAL_FILE), yaml.as_bytes())?;
        stage.commit()?;
        let path = dir.join(PARTIAL_FILE);
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
    let (results, stopping, extras) = match args.precision.as_deref() {
        Some(precision) => {
            let (results, stopping) =
                run_count(&exp, Some(precision), args.max_replications, &runner)?;
            let folded = Folded::of(&exp, results);
            (folded, stopping, Extras::None)
        }
        None => {
            let progress = Progress::new(exp.replications as u64, exp.end_time(), args.quiet);
            let plan = RunPlan {
                indices: 0..exp.replications,
                threads: runner.threads,
                budget: runner.budget,
            };
            // Alert rules read every replication's buckets; otherwise each replication's
            // buckets fold into the time series as it finishes and are dropped.
            let keep_buckets = !rules.is_empty();
            let results = run_folded(&exp, &plan, keep_buckets, &|_| progress.replication_done())?;
            progress.finish();
            let extras = Extras::All {
                figures: !args.no_plots,
                target_rps: args.target_rps,
            };
            (results, None, extras)
        }
    };
    finish(
        &exp,
        &results,
        &rules,
        args.out.as_deref(),
        extras,
        args.quiet,
        stopping.as_deref(),
    )
}

/// The width to lay the summary out for: the terminal's when stdout is one, else the default.
fn summary_width() -> usize {
    ::console::Term::stdout()
        .size_checked()
        .map_or(console::DEFAULT_WIDTH, |(_, columns)| usize::from(columns))
}

/// Writes a run's outputs into `out`, then prints its summary (after `note`) and alerts;
/// exit code 1 when a threshold fails (k6 exits non-zero when thresholds fail too).
pub(crate) fn finish(
    exp: &Experiment,
    folded: &Folded,
    rules: &[AlertRule],
    out: Option<&Path>,
    extras: Extras,
    quiet: bool,
    note: Option<&str>,
) -> Result<ExitCode> {
    let results: &[ReplicationResult] = &folded.results;
    let summary = summarize(exp, results);
    let mut written = 0;
    let mut drew = false;
    if let Some(target) = out {
        let stage = OutDir::begin(target)?;
        let dir = stage.path();
        let csv = files::timeseries_csv(&series_columns(exp), &folded.series.rows(exp));
        write_output(&dir.join("summary.json"), &files::summary_json(&summary))?;
        let k6 = files::k6_summary_json(&k6_summary_export(&summary, results));
        write_output(&dir.join("k6-summary.json"), &k6)?;
        write_output(&dir.join("timeseries.csv"), &csv)?;
        let reps = replications_csv(&replication_table(exp, results));
        write_output(&dir.join(REPLICATIONS_FILE), &reps)?;
        written += 4;
        if let Extras::All {
            figures,
            target_rps,
        } = extras
        {
            let dist = files::latency_csv(&folded.distribution.rows(exp));
            write_output(&dir.join("latency.csv"), &dist)?;
            write_output(
                &dir.join("decisions.csv"),
                &files::decisions_csv(exp, results),
            )?;
            written += 2;
            if figures {
                written += render_run(dir, target_rps)?;
                drew = true;
            }
        }
        if !rules.is_empty() {
            let summaries = alerts::evaluate(exp, rules, results);
            write_output(
                &dir.join("alerts.json"),
                serde_json::to_string_pretty(&summaries)?.as_bytes(),
            )?;
            written += 1;
        }
        stage.commit()?;
    }
    if !quiet {
        if let Some(n) = note {
            println!("  {n}\n");
        }
        print!("{}", console::render_width(&summary, summary_width()));
        if !rules.is_empty() {
            println!("\n  alert rules:");
            for a in alerts::evaluate(exp, rules, results) {
                println!("    {}", a.line());
            }
        }
        if let Some(dir) = out {
            println!("\n  wrote {written} files to {}", dir.display());
            if drew {
                println!("  open {}", dir.join(REPORT_HTML).display());
            }
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

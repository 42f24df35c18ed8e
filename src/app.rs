//! One function per subcommand: the only place that prints or writes output files.

use crate::aggregate::{Verdict, series_columns, summarize, time_series};
use crate::cli::{Cli, Command, RunArgs};
use crate::engine::Budget;
use crate::model::load::{load_experiment, load_model};
use crate::replicate::{RunPlan, run_replications};
use crate::report::{console, files};
use crate::spec::read::read_text;
use crate::spec::yaml::is_experiment;
use anyhow::{Context, Result};
use std::path::Path;
use std::process::ExitCode;

pub fn dispatch(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run(args),
        Command::Validate { file } => validate(&file),
        Command::Bench(args) => crate::bench::bench(&args),
        Command::Plot { dir, target_rps } => {
            let sweep = dir.join(crate::report::sweep_figures::SWEEP_CSV).is_file();
            let mut written = 0;
            if sweep {
                written += crate::report::sweep_figures::render_sweep(&dir)
                    .with_context(|| format!("{}: cannot draw the sweep figures", dir.display()))?
                    .len();
            }
            if !sweep || dir.join("summary.json").is_file() {
                written += render(&dir, target_rps)?;
            }
            println!("  drew {} files in {}", written, dir.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Check(args) => crate::gate::commands::check(&args),
        Command::Diff(args) => crate::gate::commands::diff(&args),
        Command::Sweep(args) => crate::gate::commands::sweep(&args),
        Command::Merge(args) => crate::gate::commands::merge(&args),
        Command::Report(args) => crate::planning::commands::report(&args),
        Command::Calibrate(args) => crate::planning::commands::calibrate_cmd(&args),
        Command::Hpa { snapshot, json } => {
            let report = crate::model::load::hpa_dry_run(&snapshot)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.text());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn run(args: RunArgs) -> Result<ExitCode> {
    if args.shard.is_some() || args.precision.is_some() {
        return crate::gate::commands::run_extended(&args);
    }
    let overrides =
        crate::spec::overrides::Overrides::parse(&args.set).map_err(anyhow::Error::msg)?;
    let mut exp = crate::model::load::load_experiment_with(&args.experiment, &overrides)?;
    if let Some(n) = args.replications {
        anyhow::ensure!(
            (1..=crate::model::experiment::MAX_REPLICATIONS).contains(&n),
            "--replications {n}: allowed 1 to {}",
            crate::model::experiment::MAX_REPLICATIONS
        );
        exp.replications = n;
    }
    if let Some(s) = args.seed {
        exp.seed = s;
    }
    let plan = RunPlan {
        indices: 0..exp.replications,
        threads: args.threads,
        budget: Budget {
            max_events: args.max_events.unwrap_or(u64::MAX),
            deadline: args.max_wall_time.and_then(|w| w.deadline()),
            stop: crate::interrupt::flag(),
        },
    };
    let rules = crate::gate::commands::run_alert_rules(&args, &exp)?;
    let progress =
        crate::progress::Progress::new(exp.replications as u64, exp.end_time(), args.quiet);
    let results = run_replications(&exp, &plan, &|_| progress.replication_done())?;
    progress.finish();
    let summary = summarize(&exp, &results);
    if let Some(dir) = &args.out {
        let json = files::summary_json(&summary);
        let csv = files::timeseries_csv(&series_columns(&exp), &time_series(&exp, &results));
        write_output(&dir.join("summary.json"), &json)?;
        write_output(&dir.join("timeseries.csv"), &csv)?;
        let dist = files::latency_csv(&crate::aggregate::latency_distribution(&exp, &results));
        write_output(&dir.join("latency.csv"), &dist)?;
        write_output(
            &dir.join("decisions.csv"),
            &files::decisions_csv(&exp, &results),
        )?;
        if !args.no_plots {
            render(dir, args.target_rps)?;
        }
    }
    let failed = summary
        .thresholds
        .iter()
        .any(|t| t.verdict == Verdict::Fail);
    if !args.quiet {
        print!("{}", console::render(&summary));
    }
    crate::gate::commands::run_alerts(&args, &exp, &rules, &results)?;
    if !args.quiet
        && let Some(dir) = &args.out
    {
        println!(
            "\n  wrote {} and {}",
            dir.join("summary.json").display(),
            dir.join("timeseries.csv").display()
        );
    }
    // k6 exits non-zero when thresholds fail; capsim's contract is 1 for a failed SLO.
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Draws the figures and reports of a run folder; returns how many files were written.
fn render(dir: &Path, target_rps: Option<f64>) -> Result<usize> {
    let options = crate::report::figures::FigureOptions {
        target_rps,
        ..Default::default()
    };
    let written = crate::report::render::render_all_with(dir, &options)
        .with_context(|| format!("{}: cannot draw the figures", dir.display()))?;
    Ok(written.len())
}

fn write_output(path: &Path, bytes: &[u8]) -> Result<()> {
    files::write_atomic(path, bytes)
        .with_context(|| format!("{}: cannot write output", path.display()))
}

/// Validates a model or an experiment: an experiment has a `model:` key.
fn validate(file: &Path) -> Result<ExitCode> {
    let text = read_text(file)?;
    if is_experiment(file, &text)? {
        let exp = load_experiment(file)?;
        println!(
            "{}: experiment `{}` on model `{}`: {} scenario(s), {} flow(s), {} replications, ends at {}",
            file.display(),
            exp.name,
            exp.model.name,
            exp.scenarios.len(),
            exp.flows.len(),
            exp.replications,
            crate::time::format_duration(exp.end_time())
        );
        for w in crate::model::load::experiment_warnings(&exp) {
            eprintln!("{}: warning: {w}", file.display());
        }
    } else {
        let model = load_model(file)?;
        println!(
            "{}: model `{}`: {} station(s), {} endpoint(s), {} database(s), {} provider(s)",
            file.display(),
            model.name,
            model.stations.len(),
            model.endpoints.len(),
            model.databases.len(),
            model.providers.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

//! `capsim report` and `capsim calibrate`: read files, run, print and write.

use super::calibrate::{CalibrateOptions, calibrate, parse_param, parse_target};
use super::{Options, load_plan, report, run_plan, verdicts};
use crate::cli::{CalibrateArgs, ReportArgs};
use crate::engine::Budget;
use crate::gate::Runner;
use crate::gate::metrics::fmt_num;
use crate::report::files::write_atomic;
use crate::spec::overrides::Overrides;
use anyhow::{Context, Result, ensure};
use std::process::ExitCode;

pub fn report(args: &ReportArgs) -> Result<ExitCode> {
    let plan_path = args
        .plan
        .clone()
        .unwrap_or_else(|| args.dir.join("plan.yaml"));
    ensure!(
        plan_path.exists(),
        "{}: no plan file; write one that maps the plan's table rows to experiments (see experiments/plan.yaml and docs/planning.md), or pass --plan FILE",
        plan_path.display()
    );
    let plan = load_plan(&plan_path)?;
    let opts = Options {
        replications: args.replications,
        quick: args.quick,
        threads: args.threads,
        max_events: args.max_events,
        only: Vec::new(),
    };
    let quiet = args.quiet;
    if !quiet {
        eprintln!(
            "capsim report: {} experiment(s) of {}{}",
            plan.experiments.len(),
            plan_path.display(),
            if args.quick { " (quick)" } else { "" }
        );
    }
    let runs = run_plan(&args.dir, &plan, &opts, &|line| {
        if !quiet {
            eprintln!("{line}");
        }
    })?;
    let rep = verdicts::build(&plan, &runs, args.quick);
    let md = report::markdown(&rep);
    let json = serde_json::to_string_pretty(&rep)?;
    let md_path = args.out.join("plan-report.md");
    let json_path = args.out.join("plan-report.json");
    write_atomic(&md_path, md.as_bytes())
        .with_context(|| format!("{}: cannot write", md_path.display()))?;
    write_atomic(&json_path, json.as_bytes())
        .with_context(|| format!("{}: cannot write", json_path.display()))?;
    if !quiet {
        print!("{}", report::table(&rep));
        println!();
        for f in &rep.findings {
            println!("- {f}");
        }
        println!(
            "\n  wrote {} and {} ({:.1} s of runs)",
            md_path.display(),
            json_path.display(),
            rep.total_wall_s
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn calibrate_cmd(args: &CalibrateArgs) -> Result<ExitCode> {
    let params = args
        .param
        .iter()
        .map(|p| parse_param(p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(anyhow::Error::msg)?;
    let targets = args
        .target
        .iter()
        .map(|t| parse_target(t))
        .collect::<Result<Vec<_>, _>>()
        .map_err(anyhow::Error::msg)?;
    let base = Overrides::parse(&args.set).map_err(anyhow::Error::msg)?;
    let opts = CalibrateOptions {
        replications: args.replications,
        seed: args.seed,
        tolerance: args.tolerance,
        max_evaluations: args.max_evaluations,
        runner: Runner {
            threads: args.threads,
            budget: Budget {
                max_events: args
                    .max_events
                    .unwrap_or(crate::gate::DEFAULT_GATE_MAX_EVENTS),
                ..Budget::default()
            },
        },
    };
    let quiet = args.quiet;
    if !quiet {
        let names: Vec<String> = params.iter().map(|p| p.path.clone()).collect();
        let tnames: Vec<String> = targets
            .iter()
            .map(|t| format!("{}={}", t.metric, fmt_num(t.value)))
            .collect();
        println!("calibrating {} to {}", names.join(", "), tnames.join(", "));
    }
    let cal = calibrate(&args.experiment, &base, &params, &targets, &opts, &|it| {
        if !quiet {
            let vals: Vec<String> = params
                .iter()
                .zip(&it.values)
                .map(|(p, &v)| p.text(v))
                .collect();
            let ms: Vec<String> = it.metrics.iter().map(|&m| fmt_num(m)).collect();
            println!(
                "  eval {:>3}: {}  ->  {}  (rel. sq. error {:.3e})",
                it.evaluation,
                vals.join(", "),
                ms.join(", "),
                it.error
            );
        }
    })?;
    let mut text = String::new();
    text.push_str(&format!(
        "\n{} after {} evaluations ({} replications each, seed {}, common random numbers):\n",
        if cal.converged() {
            "converged"
        } else {
            "NOT within tolerance"
        },
        cal.iterations.len(),
        cal.replications,
        cal.seed
    ));
    for (p, &v) in cal.params.iter().zip(&cal.best) {
        text.push_str(&format!("  {} = {}\n", p.path, p.text(v)));
    }
    for ((t, e), ok) in cal.targets.iter().zip(&cal.achieved).zip(&cal.within) {
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
            cal.tolerance * 100.0
        ));
    }
    text.push_str("\nas overrides:\n");
    for l in &cal.set_lines {
        text.push_str(&format!("  {l}\n"));
    }
    if !quiet {
        print!("{text}");
    }
    if let Some(path) = &args.out {
        let mut body = String::new();
        for l in &cal.set_lines {
            body.push_str(l);
            body.push('\n');
        }
        write_atomic(path, body.as_bytes())
            .with_context(|| format!("{}: cannot write", path.display()))?;
        if let Some(j) = &args.json {
            write_atomic(j, serde_json::to_string_pretty(&cal)?.as_bytes())
                .with_context(|| format!("{}: cannot write", j.display()))?;
        }
    } else if let Some(j) = &args.json {
        write_atomic(j, serde_json::to_string_pretty(&cal)?.as_bytes())
            .with_context(|| format!("{}: cannot write", j.display()))?;
    }
    Ok(if cal.converged() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

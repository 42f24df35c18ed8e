//! `capsim report`: runs a load-test plan's experiments and writes its predicted results
//! table, success criteria verdicts and contradictions (plan-report.md and .json).

use crate::cli::{MemoryLimit, ReportArgs};
use crate::commands::common::write_output;
use crate::commands::out_dir::OutDir;
use crate::engine::memory::DEFAULT_MAX_MEMORY;
use crate::planning::{Options, load_plan, plan_capacity, report, run_plan, verdicts};
use anyhow::{Result, ensure};
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
        allow: args.allow_path.clone(),
        deadline: args.max_wall_time.and_then(|w| w.deadline()),
        stop: crate::interrupt::flag(),
        max_memory: MemoryLimit::or_default(args.max_memory, DEFAULT_MAX_MEMORY),
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
    let section = if args.capacity {
        let runner = crate::gate::Runner {
            threads: args.threads,
            keep: Default::default(),
            budget: crate::engine::Budget {
                max_events: args
                    .max_events
                    .unwrap_or(crate::gate::DEFAULT_GATE_MAX_EVENTS),
                deadline: opts.deadline,
                stop: crate::interrupt::flag(),
                max_memory: opts.max_memory,
                ..crate::engine::Budget::default()
            },
        };
        plan_capacity::run_capacity(
            &args.dir,
            &plan,
            args.quick,
            &args.allow_path,
            &runner,
            crate::planning::capacity::CapacityOptions::default(),
            60,
            &|line| {
                if !quiet {
                    eprintln!("{line}");
                }
            },
        )?
    } else {
        None
    };
    let mut md = report::markdown(&rep);
    let mut json = serde_json::to_value(&rep)?;
    match (&section, &plan.capacity) {
        (Some(sec), _) => {
            md.push_str(&plan_capacity::markdown(sec));
            if let Some(o) = json.as_object_mut() {
                o.insert("capacity".into(), serde_json::to_value(sec)?);
            }
        }
        (None, Some(_)) => md.push_str(
            "\n## Capacity and sizing\n\nNot run: `capsim report --capacity` adds how much load the \
             architecture holds, what breaks first and the cheapest settings at the target load \
             (it runs many load factors and settings: minutes).\n",
        ),
        _ => {}
    }
    let json = serde_json::to_string_pretty(&json)?;
    let stage = OutDir::begin(&args.out)?;
    write_output(&stage.path().join("plan-report.md"), md.as_bytes())?;
    write_output(&stage.path().join("plan-report.json"), json.as_bytes())?;
    stage.commit()?;
    let md_path = args.out.join("plan-report.md");
    let json_path = args.out.join("plan-report.json");
    if !quiet {
        print!("{}", report::table(&rep));
        println!();
        for f in &rep.findings {
            println!("- {f}");
        }
        for f in section.iter().flat_map(|s| &s.findings) {
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

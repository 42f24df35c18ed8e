//! `capsim calibrate`: fits model parameters (override paths) to measured figures with
//! common random numbers; exit 1 when a target is not met within the tolerance.

use crate::cli::{CalibrateArgs, MemoryLimit};
use crate::commands::common::write_output;
use crate::engine::Budget;
use crate::engine::memory::DEFAULT_MAX_MEMORY;
use crate::gate::Runner;
use crate::planning::calibrate::{
    CalibrateOptions, calibrate as fit, heading, observed_targets, parse_param, parse_target,
};
use crate::spec::k6_result::read_k6_result;
use crate::spec::overrides::Overrides;
use anyhow::Result;
use std::process::ExitCode;

pub fn calibrate(args: &CalibrateArgs) -> Result<ExitCode> {
    let params = args
        .param
        .iter()
        .map(|p| parse_param(p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(anyhow::Error::msg)?;
    let targets = match &args.observed {
        None => args
            .target
            .iter()
            .map(|t| parse_target(t))
            .collect::<Result<Vec<_>, _>>()
            .map_err(anyhow::Error::msg)?,
        Some(file) => {
            let obs = read_k6_result(file).map_err(anyhow::Error::msg)?;
            let (targets, notes) =
                observed_targets(&obs, &args.target).map_err(anyhow::Error::msg)?;
            if !args.quiet {
                for n in notes {
                    eprintln!("note: {n}");
                }
            }
            targets
        }
    };
    let base = Overrides::parse(&args.set)
        .map_err(anyhow::Error::msg)?
        .allowing(&args.allow_path);
    let opts = CalibrateOptions {
        replications: args.replications,
        seed: args.seed,
        tolerance: args.tolerance,
        max_evaluations: args.max_evaluations,
        runner: Runner {
            threads: args.threads,
            keep: Default::default(),
            budget: Budget {
                max_events: args
                    .max_events
                    .unwrap_or(crate::gate::DEFAULT_GATE_MAX_EVENTS),
                deadline: args.max_wall_time.and_then(|w| w.deadline()),
                stop: crate::interrupt::flag(),
                max_memory: MemoryLimit::or_default(args.max_memory, DEFAULT_MAX_MEMORY),
                ..Budget::default()
            },
        },
    };
    let quiet = args.quiet;
    if !quiet {
        println!("{}", heading(&params, &targets));
    }
    let cal = fit(&args.experiment, &base, &params, &targets, &opts, &|it| {
        if !quiet {
            println!("{}", it.line(&params));
        }
    })?;
    if !quiet {
        print!("{}", cal.text());
    }
    if let Some(path) = &args.out {
        write_output(path, cal.set_file().as_bytes())?;
    }
    if let Some(j) = &args.json {
        write_output(j, serde_json::to_string_pretty(&cal)?.as_bytes())?;
    }
    Ok(if cal.converged() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

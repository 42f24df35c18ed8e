//! `capsim size`: the cheapest setting of `--knob PATH=LO..HI` knobs that meets every
//! threshold with P(pass) >= level at the experiment's load. Exit 0 with an answer, 1 when
//! no setting in the ranges meets the thresholds (the best one seen is shown), 2 on bad
//! input (a knob's path, range or value is checked by loading the experiment at its
//! bounds before anything runs).

use crate::cli::SizeArgs;
use crate::commands::capacity::probe_options;
use crate::commands::common::{gate_runner, load, parse_overrides};
use crate::gate::DEFAULT_SWEEP_WALL_TIME;
use crate::planning::knob::{Knob, parse_knob};
use crate::planning::size::{SizeOptions, size as search};
use crate::spec::overrides::Overrides;
use anyhow::{Context, Result, bail, ensure};
use std::process::ExitCode;

pub fn size(args: &SizeArgs) -> Result<ExitCode> {
    let probe = probe_options(
        args.level,
        args.confidence,
        args.run.replications,
        args.max_replications,
    )?;
    ensure!(
        args.max_evaluations >= 2,
        "--max-evaluations {}: at least 2",
        args.max_evaluations
    );
    let knobs: Vec<Knob> = args
        .knob
        .iter()
        .map(|k| parse_knob(k))
        .collect::<Result<_, _>>()
        .map_err(anyhow::Error::msg)?;
    for (i, k) in knobs.iter().enumerate() {
        ensure!(
            !knobs[..i].iter().any(|o| o.path == k.path),
            "--knob {}: given twice; give each path once",
            k.path
        );
    }
    let overrides = parse_overrides(&args.run.set, &args.run.allow_path)?;
    let exp = load(&args.experiment, &overrides, None, args.run.seed)?;
    if exp.thresholds.is_empty() {
        bail!(
            "{}: thresholds: the experiment has none, so every setting meets them; add e.g. \
             `thresholds: {{http_req_duration: [\"p(95)<500\"]}}`",
            args.experiment.display()
        );
    }
    // Each knob at each bound, the others as written: an unknown path, a value of the
    // wrong kind or out of range fails here, naming the file, the place and the fix.
    for k in &knobs {
        for v in [k.lo, k.hi] {
            let one = Overrides::parse(&[k.set_line(v)]).map_err(anyhow::Error::msg)?;
            crate::model::load::load_experiment_with(&args.experiment, &overrides.chain(&one))
                .with_context(|| format!("--knob {}: at {}", args.knob_text(k), k.text(v)))?;
        }
    }
    let runner = gate_runner(
        &args.run,
        DEFAULT_SWEEP_WALL_TIME,
        crate::engine::memory::DEFAULT_MAX_MEMORY,
    );
    let talk = !args.quiet && !args.json;
    if talk {
        let grid: f64 = knobs.iter().map(|k| k.len() as f64).product();
        eprintln!(
            "capsim size: {} ({} knob(s), a grid of {grid:.0} settings)",
            args.experiment.display(),
            knobs.len(),
        );
    }
    let opts = SizeOptions {
        probe,
        max_evaluations: args.max_evaluations,
    };
    let s = search(
        &args.experiment,
        &overrides,
        &exp,
        &knobs,
        &runner,
        opts,
        &|line| {
            if talk {
                eprintln!("{line}");
            }
        },
    )?;
    if !args.quiet {
        if args.json {
            println!("{}", serde_json::to_string_pretty(&s)?);
        } else {
            print!("{}", s.table());
        }
    }
    Ok(if s.feasible {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

impl SizeArgs {
    fn knob_text(&self, k: &Knob) -> String {
        format!("{}={}..{}", k.path, k.text(k.lo), k.text(k.hi))
    }
}

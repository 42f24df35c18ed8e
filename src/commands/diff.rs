//! `capsim diff`: compares two configurations (two experiments, or one and its `--set`
//! overrides) with common random numbers, as paired intervals.

use crate::cli::DiffArgs;
use crate::commands::common::{gate_runner, load, parse_overrides, write_output};
use crate::gate::DEFAULT_CHECK_WALL_TIME;
use crate::gate::diff::{compare, run_pair};
use crate::spec::overrides::Overrides;
use anyhow::{Result, ensure};
use std::process::ExitCode;

pub fn diff(args: &DiffArgs) -> Result<ExitCode> {
    let overrides = parse_overrides(&args.run.set, &args.run.allow_path)?;
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
        &Overrides::default().allowing(&args.run.allow_path),
        args.run.replications,
        args.run.seed,
    )?;
    // Common random numbers: B uses A's seed and replication count.
    let exp_b = load(&b_path, &b_over, Some(exp_a.replications), Some(exp_a.seed))?;
    let mut runner = gate_runner(
        &args.run,
        DEFAULT_CHECK_WALL_TIME,
        crate::engine::memory::DEFAULT_GATE_MAX_MEMORY,
    );
    // The comparison reads summaries only: each result is compacted as it finishes.
    runner.keep = crate::engine::memory::Kept::CompactNoBands;
    let (ra, rb) = run_pair(&runner, &exp_a, &exp_b)?;
    let label_b = match &args.b {
        Some(b) if overrides.is_empty() => b.display().to_string(),
        Some(b) => format!(
            "{} with --set {}",
            b.display(),
            overrides.raw().join(" --set ")
        ),
        None => format!("A with --set {}", overrides.raw().join(" --set ")),
    };
    let report = compare(
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

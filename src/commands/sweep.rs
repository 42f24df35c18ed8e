//! `capsim sweep`: runs a grid of overrides with common random numbers and writes
//! sweep.csv (and its figures), or one shard's partial.yaml for `capsim merge`.

use crate::cli::SweepArgs;
use crate::commands::common::{all_indices, gate_runner, load, parse_overrides, write_output};
use crate::commands::out_dir::OutDir;
use crate::gate::DEFAULT_SWEEP_WALL_TIME;
use crate::gate::shard::{PARTIAL_FILE, Partial, Shard};
use crate::gate::sweep::{
    Axis, Point, Row, csv, grid, load_points, metric_header, points, run_points, table,
};
use crate::run_folder::render_sweep;
use anyhow::{Context, Result};
use std::process::ExitCode;

pub fn sweep(args: &SweepArgs) -> Result<ExitCode> {
    let overrides = parse_overrides(&args.run.set, &args.run.allow_path)?;
    let axes = grid(&args.experiment, &args.grid, &overrides)?;
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
    let mine: Vec<&Point> = pts
        .iter()
        .filter(|p| shard.is_none_or(|s| s.owns(p.index as u64)))
        .collect();
    let exps = load_points(&args.experiment, &overrides, &mine, &base)?;
    let header = metric_header(&base);
    let runner = gate_runner(
        &args.run,
        DEFAULT_SWEEP_WALL_TIME,
        crate::engine::memory::DEFAULT_MAX_MEMORY,
    );
    let rows = run_points(&runner, &mine, &exps, &all_indices(&base))?;
    if let Some(shard) = shard {
        let partial = Partial::sweep(
            args.experiment.display().to_string(),
            overrides.raw(),
            &base,
            shard,
            axes,
            header,
            rows,
        );
        let yaml = partial.to_yaml().map_err(anyhow::Error::msg)?;
        let stage = OutDir::begin(&args.out)?;
        write_output(&stage.path().join(PARTIAL_FILE), yaml.as_bytes())?;
        stage.commit()?;
        let path = args.out.join(PARTIAL_FILE);
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
    let stage = OutDir::begin(&args.out)?;
    write_sweep(&stage, &axes, &header, &pts, &rows, args.level, args.quiet)?;
    if !args.no_plots {
        render_sweep(stage.path())
            .with_context(|| format!("{}: cannot draw the sweep figures", args.out.display()))?;
    }
    stage.commit()?;
    Ok(ExitCode::SUCCESS)
}

/// Writes sweep.csv into the folder being written and prints the sweep's table (a sweep
/// run whole, or merged).
pub(crate) fn write_sweep(
    out: &OutDir,
    axes: &[Axis],
    header: &[String],
    pts: &[Point],
    rows: &[Row],
    level: f64,
    quiet: bool,
) -> Result<()> {
    write_output(
        &out.path().join("sweep.csv"),
        csv(axes, header, pts, rows).as_bytes(),
    )?;
    if !quiet {
        print!("{}", table(axes, header, pts, rows, level));
        println!("\n  wrote {}", out.target().join("sweep.csv").display());
    }
    Ok(())
}

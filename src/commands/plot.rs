//! `capsim plot`: redraws a run folder's figures and reports (and a sweep folder's sweep
//! figures) from its saved results, without simulating again.

use crate::commands::out_dir::OutDir;
use crate::report::figures::FigureOptions;
use crate::report::sweep_figures::SWEEP_CSV;
use crate::run_folder::{load_run, render_all_with, render_sweep};
use anyhow::{Context, Result};
use std::path::Path;
use std::process::ExitCode;

pub fn plot(target: &Path, target_rps: Option<f64>) -> Result<ExitCode> {
    // Read first: a folder without saved results is bad input, not a folder to replace.
    let sweep = target.join(SWEEP_CSV).is_file();
    if !sweep {
        load_run(target)
            .with_context(|| format!("{}: cannot draw the figures", target.display()))?;
    }
    // The figures are drawn into a copy of the folder that is then swapped in whole.
    let stage = OutDir::begin_copy(target)?;
    let dir = stage.path();
    let mut written = 0;
    if sweep {
        written += render_sweep(dir)
            .with_context(|| format!("{}: cannot draw the sweep figures", target.display()))?
            .len();
    }
    if !sweep || dir.join("summary.json").is_file() {
        written += render_run(dir, target_rps)?;
    }
    stage.commit()?;
    println!("  drew {} files in {}", written, target.display());
    Ok(ExitCode::SUCCESS)
}

/// Draws the figures and reports of a run folder; returns how many files were written.
pub(crate) fn render_run(dir: &Path, target_rps: Option<f64>) -> Result<usize> {
    let options = FigureOptions {
        target_rps,
        ..Default::default()
    };
    let written = render_all_with(dir, &options)
        .with_context(|| format!("{}: cannot draw the figures", dir.display()))?;
    Ok(written.len())
}

//! Run and sweep folders on disk: reading a folder's saved results back for `capsim plot`,
//! writing each file whole or not at all (temporary name, then rename), and drawing a
//! folder's figures and reports through [`crate::report`], which only returns bytes.

use crate::report::data::{DataError, LATENCY_FILE, RunData, SUMMARY_FILE, TIMESERIES_FILE};
use crate::report::figures::FigureOptions;
use crate::report::render::{RenderError, RenderedFile, render_run};
use crate::report::sweep_figures::{SWEEP_CSV, SweepFigureOptions, SweepTable};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, then rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    clean_stale_tmp(dir, &name);
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Removes the temporaries that killed writes of `name` left in `dir`.
fn clean_stale_tmp(dir: &Path, name: &str) {
    let prefix = format!(".{name}.tmp-");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        if file.starts_with(&prefix) && crate::commands::out_dir::is_stale_tmp(&file) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, DataError> {
    std::fs::read(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads `dir/summary.json` and `dir/timeseries.csv` (both required) and `dir/latency.csv`
/// (optional).
pub fn load_run(dir: &Path) -> Result<RunData, DataError> {
    let summary = read(&dir.join(SUMMARY_FILE))?;
    let series = read(&dir.join(TIMESERIES_FILE))?;
    let latency_path = dir.join(LATENCY_FILE);
    let latency = if latency_path.exists() {
        Some(read(&latency_path)?)
    } else {
        None
    };
    RunData::parse(dir, &summary, &series, latency.as_deref())
}

/// Reads `dir/sweep.csv`.
pub fn load_sweep(dir: &Path) -> Result<SweepTable, DataError> {
    let path = dir.join(SWEEP_CSV);
    let text = std::fs::read_to_string(&path).map_err(|source| DataError::Io {
        path: path.clone(),
        source,
    })?;
    SweepTable::parse(&text).map_err(|message| DataError::Parse { path, message })
}

/// Writes rendered files into `dir`, each whole or not at all; returns their paths.
pub fn write_files(dir: &Path, files: &[RenderedFile]) -> Result<Vec<PathBuf>, RenderError> {
    files
        .iter()
        .map(|f| {
            let path = dir.join(&f.name);
            write_atomic(&path, &f.bytes).map_err(|source| RenderError::Io {
                path: path.clone(),
                source,
            })?;
            Ok(path)
        })
        .collect()
}

/// [`render_all_with`] with the default options (no target request rate).
pub fn render_all(dir: &Path) -> Result<Vec<PathBuf>, RenderError> {
    render_all_with(dir, &FigureOptions::default())
}

/// Draws every figure that the run folder's data supports as PNG and SVG, then report.md
/// and report.html, into the folder; returns the paths written, figures first (PNG, SVG),
/// then the reports.
pub fn render_all_with(dir: &Path, opts: &FigureOptions) -> Result<Vec<PathBuf>, RenderError> {
    let data = load_run(dir)?;
    write_files(dir, &render_run(&data, opts)?)
}

/// [`render_sweep_with`] with the default options.
pub fn render_sweep(dir: &Path) -> Result<Vec<PathBuf>, RenderError> {
    render_sweep_with(dir, &SweepFigureOptions::default())
}

/// Reads `dir/sweep.csv` and writes `sweep_heatmap` and `sweep_pareto` as PNG and SVG into
/// `dir`, each file whole or not at all; returns the paths written.
pub fn render_sweep_with(
    dir: &Path,
    opts: &SweepFigureOptions,
) -> Result<Vec<PathBuf>, RenderError> {
    let table = load_sweep(dir)?;
    write_files(
        dir,
        &crate::report::sweep_figures::render_sweep(&table, opts)?,
    )
}

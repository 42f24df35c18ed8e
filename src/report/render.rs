//! Re-renders every figure and report of a run folder from its saved results
//! (summary.json, timeseries.csv, latency.csv when present), without simulating again.
//!
//! Writes into the folder, each file whole or not at all (temporary name, then rename):
//! `<figure>.png` and `<figure>.svg` for every figure of [`figures::plan`], `report.md`
//! (figures linked as relative PNGs) and `report.html` (one self-contained file: CSS and
//! figures inlined, no network access).

use crate::report::data::{DataError, load_run};
use crate::report::document::{self, RenderedFigure};
use crate::report::figures::{self, DrawError, FigureOptions};
use crate::report::files::write_atomic;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Data(#[from] DataError),
    #[error("figure `{figure}`: {source}")]
    Draw { figure: String, source: DrawError },
    #[error("{}: cannot write: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Report file names inside the run folder.
pub const REPORT_MD: &str = "report.md";
pub const REPORT_HTML: &str = "report.html";

/// [`render_all_with`] with the default options (no target request rate).
pub fn render_all(dir: &Path) -> Result<Vec<PathBuf>, RenderError> {
    render_all_with(dir, &FigureOptions::default())
}

/// Draws every figure that the run's data supports as PNG and SVG, then report.md and
/// report.html; returns the paths written, figures first (PNG, SVG), then the reports.
pub fn render_all_with(dir: &Path, opts: &FigureOptions) -> Result<Vec<PathBuf>, RenderError> {
    let data = load_run(dir)?;
    let mut written = Vec::new();
    let mut rendered = Vec::new();
    let write = |path: PathBuf, bytes: &[u8], written: &mut Vec<PathBuf>| {
        write_atomic(&path, bytes).map_err(|source| RenderError::Io {
            path: path.clone(),
            source,
        })?;
        written.push(path);
        Ok::<(), RenderError>(())
    };
    for spec in figures::plan(&data, opts) {
        let draw_err = |source| RenderError::Draw {
            figure: spec.stem.clone(),
            source,
        };
        let png = figures::render_png(&spec, &data, opts).map_err(draw_err)?;
        let svg = figures::render_svg(&spec, &data, opts).map_err(draw_err)?;
        write(dir.join(format!("{}.png", spec.stem)), &png, &mut written)?;
        write(
            dir.join(format!("{}.svg", spec.stem)),
            svg.as_bytes(),
            &mut written,
        )?;
        rendered.push(RenderedFigure { spec, png });
    }
    let md = document::markdown(&data, &rendered, opts);
    write(dir.join(REPORT_MD), md.as_bytes(), &mut written)?;
    let html = document::html(&data, &rendered, opts);
    write(dir.join(REPORT_HTML), html.as_bytes(), &mut written)?;
    Ok(written)
}

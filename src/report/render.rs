//! Renders every figure and report of a run from its saved results (summary.json,
//! timeseries.csv, latency.csv when present) as named files: `<figure>.png` and
//! `<figure>.svg` for every figure of [`figures::plan`], `report.md` (figures linked as
//! relative PNGs) and `report.html` (one self-contained file: CSS and figures inlined, no
//! network access). The command layer reads the folder and writes the files.

use crate::report::data::{DataError, RunData};
use crate::report::document::{self, RenderedFigure};
use crate::report::figures::{self, DrawError, FigureOptions};
use std::path::PathBuf;

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

/// One file of a run folder's views, by name, ready to be written.
#[derive(Debug, Clone)]
pub struct RenderedFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Every figure that the run's data supports as PNG and SVG, then report.md and
/// report.html, in that order (figures first, PNG before SVG).
pub fn render_run(data: &RunData, opts: &FigureOptions) -> Result<Vec<RenderedFile>, RenderError> {
    let mut files = Vec::new();
    let mut rendered = Vec::new();
    for spec in figures::plan(data, opts) {
        let draw_err = |source| RenderError::Draw {
            figure: spec.stem.clone(),
            source,
        };
        let png = figures::render_png(&spec, data, opts).map_err(draw_err)?;
        let svg = figures::render_svg(&spec, data, opts).map_err(draw_err)?;
        files.push(RenderedFile {
            name: format!("{}.png", spec.stem),
            bytes: png.clone(),
        });
        files.push(RenderedFile {
            name: format!("{}.svg", spec.stem),
            bytes: svg.into_bytes(),
        });
        rendered.push(RenderedFigure { spec, png });
    }
    files.push(RenderedFile {
        name: REPORT_MD.into(),
        bytes: document::markdown(data, &rendered, opts).into_bytes(),
    });
    files.push(RenderedFile {
        name: REPORT_HTML.into(),
        bytes: document::html(data, &rendered, opts).into_bytes(),
    });
    Ok(files)
}

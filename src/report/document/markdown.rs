//! report.md: the blocks as Markdown, the figures linked as relative PNG files.

use crate::report::data::RunData;
use crate::report::document::blocks::{Align, Block, RenderedFigure, blocks, footer, title};
use crate::report::figures::FigureOptions;
use std::fmt::Write as _;

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// report.md: the figures as relative PNG links next to the file.
pub fn markdown(data: &RunData, figs: &[RenderedFigure], opts: &FigureOptions) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", title(data));
    for b in blocks(data, figs, opts) {
        match b {
            Block::H2(t) => {
                let _ = writeln!(out, "## {t}\n");
            }
            Block::Para(t) => {
                let _ = writeln!(out, "{t}\n");
            }
            Block::Callout(_, t) => {
                let _ = writeln!(out, "> {t}\n");
            }
            Block::Table {
                header,
                align,
                rows,
            } => {
                let cells: Vec<String> = header.iter().map(|h| md_cell(h)).collect();
                let _ = writeln!(out, "| {} |", cells.join(" | "));
                let seps: Vec<&str> = align
                    .iter()
                    .map(|a| if *a == Align::Right { "---:" } else { "---" })
                    .collect();
                let _ = writeln!(out, "| {} |", seps.join(" | "));
                for r in rows {
                    let cells: Vec<String> = r.iter().map(|c| md_cell(c)).collect();
                    let _ = writeln!(out, "| {} |", cells.join(" | "));
                }
                out.push('\n');
            }
            Block::Figure(i) => {
                let f = &figs[i].spec;
                let _ = writeln!(out, "![{}]({}.png)\n", f.title, f.stem);
                let _ = writeln!(
                    out,
                    "*{}* (Vector version: [{}.svg]({}.svg).)\n",
                    f.caption, f.stem, f.stem
                );
            }
        }
    }
    let _ = writeln!(out, "---\n\n_{}_", footer(data));
    out
}

//! The bottleneck section of report.md and report.html: the first resource to saturate as a
//! callout at the top, then every resource that can queue or refuse, the operational-law
//! bounds and the departures from them.

use crate::report::bottleneck_view::{BottleneckView, HEADER, LEGEND, bound_lines, rows};
use crate::report::document::blocks::{Align, Block};

/// The callout under the report's first paragraph (none for summaries without the analysis).
pub(super) fn callout(v: Option<&BottleneckView>) -> Option<Block> {
    let v = v?;
    let class = if v.first.is_some() { "unsure" } else { "pass" };
    Some(Block::Callout(
        class,
        format!("**Bottleneck.** {}", v.headline),
    ))
}

/// The section: table, bounds and departures.
pub(super) fn section(v: Option<&BottleneckView>) -> Vec<Block> {
    let Some(v) = v else {
        return Vec::new();
    };
    let mut out = vec![Block::H2("Bottlenecks".into())];
    out.push(Block::Para(format!(
        "Every resource that can queue or refuse (means across replications; see docs/bottlenecks.md). {LEGEND}"
    )));
    if !v.resources.is_empty() {
        let mut align = vec![Align::Right; HEADER.len()];
        align[0] = Align::Left;
        out.push(Block::Table {
            header: HEADER.iter().map(|h| h.to_string()).collect(),
            align,
            rows: rows(v),
        });
    }
    for line in bound_lines(v) {
        out.push(Block::Para(line));
    }
    if v.departures.is_empty() {
        out.push(Block::Para(
            "The simulated utilizations agree with the operational laws (within 2 points or 10 %)."
                .into(),
        ));
    } else {
        out.push(Block::Para(format!(
            "Where the simulation departs from the laws: {}",
            v.departures.join(" ")
        )));
    }
    out
}

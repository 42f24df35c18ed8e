//! The report's per-window tables: each stage of the profile, each fault's window, and
//! the steady state after the warm-up (with the warning when a run was too short).

use crate::report::data::RunSummary;
use crate::report::data::WindowData;
use crate::report::document::blocks::Block;
use crate::report::document::cells::{pm, pm_pct};
use crate::report::figures::fmt_num;

fn header(first: &str) -> Vec<String> {
    [
        first,
        "Window (s)",
        "avg (ms)",
        "p(95) (ms)",
        "http_req_failed",
        "http_reqs/s",
        "iterations",
    ]
    .map(String::from)
    .to_vec()
}

fn row(label: String, w: &WindowData) -> Vec<String> {
    vec![
        label,
        format!("{} to {}", fmt_num(w.start_s), fmt_num(w.end_s)),
        pm(&w.http_req_duration.avg),
        pm(&w.http_req_duration.p95),
        pm_pct(&w.http_req_failed.rate),
        pm(&w.http_reqs.rate),
        pm(&w.iterations.count),
    ]
}

fn table(first: &str, rows: Vec<Vec<String>>) -> Block {
    let mut align = vec![super::blocks::Align::Right; 7];
    align[0] = super::blocks::Align::Left;
    Block::Table {
        header: header(first),
        align,
        rows,
    }
}

/// Stages (when the profile has more than one), fault windows and the steady state.
pub(super) fn window_blocks(s: &RunSummary) -> Vec<Block> {
    let mut out = Vec::new();
    if s.stages.len() > 1 {
        out.push(Block::H2("Stages".into()));
        out.push(Block::Para(
            "Each stage of each scenario's profile (capsim extension; stages count from 0 in the order of `stages:`, and a threshold can name one: `http_req_duration{stage:1}`). A response counts in the stage in which it ended; rates are per second of the stage.".into(),
        ));
        let rows = s
            .stages
            .iter()
            .map(|st| {
                let target = st.target.map(|t| format!(" → {t}")).unwrap_or_default();
                row(
                    format!("{} stage {}{target}", st.scenario, st.stage),
                    &st.window,
                )
            })
            .collect();
        out.push(table("Stage", rows));
    }
    if !s.fault_windows.is_empty() {
        out.push(Block::H2("Fault windows".into()));
        let rows = s
            .fault_windows
            .iter()
            .map(|f| row(f.fault.clone(), &f.window))
            .collect();
        out.push(table("Fault", rows));
    }
    if let Some(st) = &s.steady_state {
        out.push(Block::H2("Steady state".into()));
        let w = fmt_num(st.warmup_s.unwrap_or(f64::NAN));
        let how = if st.method == "mser-5" {
            format!("{w} s, chosen by MSER-5 on the replications' averaged latency series")
        } else {
            format!("fixed at {w} s")
        };
        out.push(Block::Para(format!(
            "The test after its warm-up, {how}. The tables above cover the whole test, as k6 reports it; this one leaves the warm-up out (see docs/statistics.md)."
        )));
        if let Some(w) = &st.warning {
            out.push(Block::Callout(
                "unsure",
                format!("Too short for its warm-up: {w}."),
            ));
        }
        out.push(table(
            "Section",
            vec![row("steady state".into(), &st.window)],
        ));
    }
    out
}

//! The console's per-window sections: each stage of the profile (when there are several),
//! each fault's window, and the steady state after the warm-up with its warning.

use crate::aggregate::Summary;
use crate::aggregate::windows::WindowSummary;
use std::fmt::Write;

fn line(label: &str, w: &WindowSummary) -> String {
    let d = &w.http_req_duration;
    format!(
        "    {label} [{:.0}s, {:.0}s): avg={:.2}ms p(95)={:.2}ms [{}] failed={:.2}% reqs={:.1}/s iterations={:.0}\n",
        w.start_s,
        w.end_s,
        d.avg.mean,
        d.p95.mean,
        d.p95
            .ci95
            .map(|[a, b]| format!("{a:.2}, {b:.2}"))
            .unwrap_or_else(|| "-".into()),
        w.http_req_failed.rate.mean * 100.0,
        w.http_reqs.rate.mean,
        w.iterations.count.mean
    )
}

/// The sections, each starting with a blank line; empty when there is nothing to add.
pub fn windows_text(s: &Summary) -> String {
    let mut t = String::new();
    if s.stages.len() > 1 {
        t.push_str(
            "\n  STAGES (responses by the stage they ended in; thresholds: `{stage:N}`, from 0)\n",
        );
        for st in &s.stages {
            let target = st.target.map(|x| format!(" -> {x}")).unwrap_or_default();
            t.push_str(&line(
                &format!("{} stage {}{target}", st.scenario, st.stage),
                &st.window,
            ));
        }
    }
    if !s.fault_windows.is_empty() {
        t.push_str("\n  FAULT WINDOWS\n");
        for f in &s.fault_windows {
            t.push_str(&line(&f.fault, &f.window));
        }
    }
    if let Some(st) = &s.steady_state {
        let how = if st.method == "mser-5" {
            format!("{:.1}s by MSER-5", st.warmup_s)
        } else {
            format!("fixed {:.0}s", st.warmup_s)
        };
        let _ = writeln!(
            t,
            "\n  STEADY STATE (after the warm-up, {how}; the totals above include it, as k6's do)"
        );
        t.push_str(&line("steady state", &st.window));
        if let Some(w) = &st.warning {
            let _ = writeln!(t, "    ! too short for its warm-up: {w}");
        }
    }
    t
}

//! plan-report.md: the plan's results table predicted by capsim beside the plan's own
//! values, the success criteria with their probabilities, and the contradictions.

use super::verdicts::{PlanReport, Probability, num};
use crate::stats::interval::Estimate;
use std::fmt::Write;

/// `mean [lo, hi]` with `f` applied to each; a lower bound below zero is shown as zero
/// when the mean is not negative (counts, rates and times cannot be).
fn ci(e: &Estimate, f: impl Fn(f64) -> String) -> String {
    if e.mean.is_nan() {
        return "-".into();
    }
    let clamp = |x: f64| if e.mean >= 0.0 && x < 0.0 { 0.0 } else { x };
    match e.ci95.map(|[a, b]| [clamp(a), b]) {
        Some([lo, hi]) if (hi - lo).abs() > 0.0 => format!("{} [{}, {}]", f(e.mean), f(lo), f(hi)),
        _ => f(e.mean),
    }
}

fn pct(x: f64) -> String {
    if x.is_nan() {
        "-".into()
    } else {
        format!("{:.2} %", x * 100.0)
    }
}

fn opt(x: Option<f64>, f: impl Fn(f64) -> String) -> String {
    x.map(f).unwrap_or_else(|| "-".into())
}

fn prob(p: &Probability) -> String {
    format!(
        "**{}** P={:.2} [{:.2}, {:.2}] ({}/{})",
        p.verdict, p.p, p.ci95[0], p.ci95[1], p.passes, p.replications
    )
}

fn mins(s: f64) -> String {
    if s.is_nan() {
        "-".into()
    } else if s < 120.0 {
        format!("{s:.0} s")
    } else {
        format!("{:.1} min", s / 60.0)
    }
}

/// The load-test table only (for the README).
pub fn table(r: &PlanReport) -> String {
    let mut s = String::new();
    s.push_str("| Test | Users (plan / capsim) | Request rate, req/s (plan / capsim) | Avg response, ms (plan / capsim) | p(95), ms (capsim) | Error rate (plan / capsim) | Status (plan / capsim, P(all thresholds pass)) |\n");
    s.push_str("|---|---|---|---|---|---|---|\n");
    for row in &r.rows {
        let e = &row.expected;
        let _ = writeln!(
            s,
            "| {} | {} / {} | {} / {} | {} / {} | {} | {} / {} | {} / {} |",
            row.row,
            opt(e.users, num),
            num(row.users.mean),
            opt(e.request_rate, num),
            ci(&row.request_rate, num),
            opt(e.response_time_ms, num),
            ci(&row.avg_ms, num),
            ci(&row.p95_ms, num),
            opt(e.error_rate, pct),
            ci(&row.error_rate, pct),
            e.status.clone().unwrap_or_else(|| "-".into()),
            prob(&row.status)
        );
    }
    if let Some(sp) = &r.spike {
        let e = &sp.expected;
        let rec = if sp.not_recovered > 0 {
            format!(
                "{} (not recovered by the end in {} replication(s))",
                ci(&sp.recovery_time_s, mins),
                sp.not_recovered
            )
        } else {
            ci(&sp.recovery_time_s, mins)
        };
        let _ = writeln!(
            s,
            "| {} | peak {} / {} | recovery (plan / capsim, {} s buckets): {} / {} | data loss (plan / capsim): {} / {} | | | {} / {} |",
            sp.row,
            opt(e.peak_users, num),
            num(sp.peak_users.mean),
            num(sp.bucket_s),
            opt(e.recovery_time_s, mins),
            rec,
            opt(e.data_loss, num),
            ci(&sp.data_loss, num),
            e.status.clone().unwrap_or_else(|| "-".into()),
            prob(&sp.status)
        );
    }
    s
}

pub fn markdown(r: &PlanReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Planning report: {}\n", r.plan);
    if let Some(src) = &r.source {
        let _ = writeln!(s, "Plan: `{src}`. ");
    }
    let _ = writeln!(
        s,
        "capsim {}; every number below comes from simulation runs (mean [95% confidence interval] across replications). \
         A verdict is PASS when the lower end of the 95% Wilson interval on P(pass) reaches {}, FAIL when its upper end is below it, UNCERTAIN otherwise.{}\n",
        r.capsim_version,
        r.level,
        if r.quick {
            " **QUICK MODE: shortened scenarios and few replications; for tests only, not for decisions.**"
        } else {
            ""
        }
    );
    s.push_str("## What the customer needs to hear\n\n");
    for f in &r.findings {
        let _ = writeln!(s, "- {f}");
    }
    s.push_str("\n## Expected Performance Validation: the plan vs capsim\n\n");
    s.push_str(&table(r));
    s.push_str(
        "\nRequest rate: at the VU plateau (buckets with at least 95 % of the peak VUs). \
         Recovery: from the end of the spike until every later time bucket has p(95) and the error rate within the test's thresholds. \
         Data loss: jobs that used all their attempts (dead) plus requests refused unprocessed (queue full, no replica).\n",
    );
    for row in &r.rows {
        let _ = writeln!(
            s,
            "- {} (`{}`): k6's http_reqs rate over the whole run {} req/s.",
            row.row,
            row.experiment,
            ci(&row.k6_rate, num)
        );
    }
    if let Some(sp) = &r.spike {
        let _ = writeln!(
            s,
            "- {} (`{}`): spike window {}; dead jobs {}, refused requests {}, requests unfinished at the end or cut off by the ramp-down {} (not counted as loss).",
            sp.row,
            sp.experiment,
            sp.window_s
                .map(|[a, b]| format!("{} to {} s", num(a), num(b)))
                .unwrap_or_else(|| "none found".into()),
            ci(&sp.dead_jobs, num),
            ci(&sp.lost_requests, num),
            ci(&sp.unfinished_requests, num)
        );
    }
    if let Some(sc) = &r.scaling {
        let e = &sc.expected;
        let _ = writeln!(s, "\n## Scaling validation (`{}`)\n", sc.experiment);
        s.push_str("| Measure | Plan | capsim |\n|---|---|---|\n");
        let per: Vec<String> = sc
            .services
            .iter()
            .map(|v| {
                format!(
                    "{} {} (from {})",
                    v.service,
                    ci(&v.max_replicas, num),
                    ci(&v.pre_spike_replicas, num)
                )
            })
            .collect();
        let _ = writeln!(
            s,
            "| Max instances reached | {} | {} in total: {} |",
            opt(e.max_instances, num),
            ci(&sc.max_instances, num),
            per.join(", ")
        );
        let _ = writeln!(
            s,
            "| Scale-up time (first scale-up after the load rises) | {} | {}{} |",
            opt(e.scale_up_time_s, mins),
            ci(&sc.scale_up_time_s, mins),
            if sc.no_scale_up > 0 {
                format!("; no scale-up in {} replication(s)", sc.no_scale_up)
            } else {
                String::new()
            }
        );
        let _ = writeln!(
            s,
            "| Scale-down time (end of spike until every service is within 10 % of its pre-spike replicas) | {} | {}{} |",
            opt(e.scale_down_time_s, mins),
            ci(&sc.scale_down_time_s, mins),
            if sc.not_scaled_down > 0 {
                format!(
                    "; **not back within the {} observed after the spike in {} replication(s)**",
                    mins(sc.observed_after_spike_s),
                    sc.not_scaled_down
                )
            } else {
                String::new()
            }
        );
        if let Some(c) = &r.cost {
            let _ = writeln!(
                s,
                "| Cost increase for 10x capacity (`{}` vs `{}`, per hour) | cost efficiency {} | {} (${}/h vs ${}/h) |",
                c.scaled,
                c.baseline,
                e.cost_efficiency.clone().unwrap_or_else(|| "-".into()),
                ci(&c.increase, |x| format!("{:+.0} %", x * 100.0)),
                ci(&c.scaled_hourly_usd, |x| format!("{x:.2}")),
                ci(&c.baseline_hourly_usd, |x| format!("{x:.2}"))
            );
        }
    }
    s.push_str("\n## Success criteria\n\n| Criterion | Experiment | Condition | capsim value | Verdict, P(meets) [95% Wilson] |\n|---|---|---|---|---|\n");
    for c in &r.criteria {
        let f = |x: f64| match c.metric.as_str() {
            "error_rate" => pct(x),
            "cost_increase" => format!("{:+.0} %", x * 100.0),
            m if m.ends_with("_s") => mins(x),
            _ => num(x),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {}{} | {} |",
            c.name,
            c.experiment,
            c.condition,
            ci(&c.value, f),
            if c.undefined > 0 {
                format!(" (never happened in {} replication(s))", c.undefined)
            } else {
                String::new()
            },
            prob(&c.probability)
        );
    }
    s.push_str("\n## Contradictions\n\n");
    if r.contradictions.is_empty() {
        s.push_str("None found.\n");
    }
    for c in &r.contradictions {
        let _ = writeln!(s, "- **{}** ({}): {}", c.subject, c.kind, c.text);
    }
    s.push_str(
        "\n## Runs\n\nThe experiments' replications share the worker threads, so one experiment's last \
         replications run beside the next one's first: each wall time runs from an experiment's first \
         replication's start to its last one's end.\n\n\
         | Experiment | Replications | Simulated | Wall time |\n|---|---|---|---|\n",
    );
    for t in &r.timings {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.1} s |",
            t.experiment,
            t.replications,
            mins(t.simulated_s),
            t.wall_s
        );
    }
    let _ = writeln!(s, "\nTotal wall time: {:.1} s.", r.total_wall_s);
    s
}

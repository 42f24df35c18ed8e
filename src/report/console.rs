//! The k6-like end-of-test summary printed to the terminal, with 95% intervals.

use crate::aggregate::{Summary, TrendEstimate, Verdict};
use crate::stats::interval::Estimate;
use std::fmt::Write;

fn ms(x: f64) -> String {
    if !x.is_finite() {
        "-".into()
    } else if x >= 1000.0 {
        format!("{:.2}s", x / 1000.0)
    } else {
        format!("{x:.2}ms")
    }
}

fn with_ci(e: &Estimate, f: impl Fn(f64) -> String) -> String {
    match e.ci95 {
        Some([lo, hi]) if (hi - lo).abs() > 0.0 => format!("{} [{}, {}]", f(e.mean), f(lo), f(hi)),
        _ => f(e.mean),
    }
}

fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.2}%", x * 100.0)
    } else {
        "-".into()
    }
}

fn num(x: f64) -> String {
    if !x.is_finite() {
        "-".into()
    } else if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

fn num_or_rate(x: f64) -> String {
    if x.is_finite() && x.abs() < 1.0 {
        format!("{x:.4}")
    } else {
        num(x)
    }
}

fn line(out: &mut String, name: &str, value: String) {
    let dots = 32usize.saturating_sub(name.len() + 2);
    let _ = writeln!(out, "    {name}{}: {value}", ".".repeat(dots));
}

fn trend_text(t: &TrendEstimate) -> String {
    format!(
        "avg={} min={} med={} max={} p(90)={} p(95)={} p(99)={}",
        ms(t.avg.mean),
        ms(t.min.mean),
        ms(t.med.mean),
        ms(t.max.mean),
        ms(t.p90.mean),
        ms(t.p95.mean),
        ms(t.p99.mean)
    )
}

pub fn render(s: &Summary) -> String {
    let mut out = String::new();
    let m = &s.metrics;
    let _ = writeln!(
        out,
        "\n  capsim {} · experiment {} · model {} · {} replications · seed {} · {:.0}s simulated\n",
        s.capsim_version, s.experiment, s.model, s.replications, s.seed, s.test_run_duration_s.mean
    );
    if !s.thresholds.is_empty() {
        let _ = writeln!(
            out,
            "  █ THRESHOLDS (P(pass) across replications, 95% Wilson interval; required >= {:.0}%)\n",
            s.thresholds[0].required * 100.0
        );
        let mut last = "";
        for t in &s.thresholds {
            if t.metric != last {
                let _ = writeln!(out, "    {}", t.metric);
                last = &t.metric;
            }
            let mark = match t.verdict {
                Verdict::Pass => "✓",
                Verdict::Fail => "✗",
                Verdict::Inconclusive => "?",
            };
            let value = if t.metric.starts_with("http_req_duration") {
                ms(t.observed.mean)
            } else {
                num_or_rate(t.observed.mean)
            };
            let _ = writeln!(
                out,
                "    {mark} '{}' observed={value}  P(pass)={:.0}% [{:.0}%, {:.0}%] ({}/{}){}",
                t.threshold,
                t.pass_probability * 100.0,
                t.pass_probability_ci95[0] * 100.0,
                t.pass_probability_ci95[1] * 100.0,
                t.passes,
                t.replications,
                if t.verdict == Verdict::Inconclusive {
                    "  inconclusive: run more replications"
                } else {
                    ""
                }
            );
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(
        out,
        "  █ TOTAL RESULTS (mean across replications, [95% CI])\n"
    );
    let _ = writeln!(out, "    HTTP");
    line(
        &mut out,
        "http_req_duration",
        trend_text(&m.http_req_duration),
    );
    line(
        &mut out,
        "  p(95) interval",
        with_ci(&m.http_req_duration.p95, ms),
    );
    line(
        &mut out,
        "  avg interval",
        with_ci(&m.http_req_duration.avg, ms),
    );
    line(
        &mut out,
        "http_req_failed",
        with_ci(&m.http_req_failed.rate, pct),
    );
    line(
        &mut out,
        "http_reqs",
        format!(
            "{}  {}/s",
            with_ci(&m.http_reqs.count, num),
            with_ci(&m.http_reqs.rate, num)
        ),
    );
    for (name, e) in &s.endpoints {
        let _ = writeln!(out, "      {{ endpoint:{name} }}");
        line(
            &mut out,
            "    http_req_duration",
            trend_text(&e.http_req_duration),
        );
        line(
            &mut out,
            "    http_req_failed",
            with_ci(&e.http_req_failed.rate, pct),
        );
        line(
            &mut out,
            "    http_reqs",
            format!("{}/s", with_ci(&e.http_reqs.rate, num)),
        );
    }
    if !s.checks.is_empty() {
        let _ = writeln!(out, "\n    CHECKS");
        for (name, c) in &s.checks {
            line(&mut out, name, with_ci(&c.rate, pct));
        }
    }
    let _ = writeln!(out, "\n    EXECUTION");
    line(
        &mut out,
        "iterations",
        format!(
            "{}  {}/s",
            with_ci(&m.iterations.count, num),
            num(m.iterations.rate.mean)
        ),
    );
    line(
        &mut out,
        "dropped_iterations",
        with_ci(&m.dropped_iterations.count, num),
    );
    line(&mut out, "vus (peak)", num(m.vus.value.mean));
    line(&mut out, "vus_max", num(m.vus_max.value.mean));
    if !s.errors.is_empty() {
        let _ = writeln!(out, "\n    ERRORS BY CAUSE (requests per replication)");
        for (cause, e) in &s.errors {
            line(&mut out, cause, with_ci(e, num));
        }
    }
    let _ = writeln!(out, "\n  █ SERVICES\n");
    let _ = writeln!(
        out,
        "    {:<22} {:>12} {:>12} {:>14} {:>12} {:>10} {:>16}",
        "name", "util", "in flight", "queue wait", "resp/s", "errors", "replicas"
    );
    for (name, sv) in &s.services {
        let errors: f64 = sv.errors.values().map(|e| e.mean).sum::<f64>() + 0.0;
        let rp = &sv.replicas;
        let _ = writeln!(
            out,
            "    {:<22} {:>12} {:>12} {:>14} {:>12} {:>10} {:>16}",
            name,
            pct(sv.utilization.mean),
            num(sv.mean_in_flight.mean),
            ms(sv.queue_wait_ms.mean),
            num(sv.throughput.mean),
            num(errors),
            format!(
                "{} ({}-{})",
                num(rp.avg.mean),
                num(rp.min.mean),
                num(rp.max.mean)
            )
        );
    }
    let scaled: Vec<_> = s
        .services
        .iter()
        .filter(|(_, sv)| sv.replicas.scale_ups.mean > 0.0 || sv.replicas.scale_downs.mean > 0.0)
        .collect();
    if !scaled.is_empty() {
        let _ = writeln!(out, "\n    AUTOSCALING (mean per replication)");
        for (name, sv) in scaled {
            let rp = &sv.replicas;
            let _ = writeln!(
                out,
                "    {name}: {} scale-ups, {} scale-downs, first scale-up at {} (in {:.0}% of replications), peak desired {}",
                num(rp.scale_ups.mean),
                num(rp.scale_downs.mean),
                with_ci(&rp.time_to_first_scale_up_s, |x| format!("{x:.0}s")),
                rp.scaled_up_fraction * 100.0,
                num(rp.desired_max.mean)
            );
        }
    }
    if s.cost.total_usd.mean > 0.0 {
        let usd = |x: f64| format!("${x:.2}");
        let _ = writeln!(
            out,
            "\n    COST: {} total (replicas {}, database replicas {}, primaries and caches {}, provider calls {}), peak {}/hour",
            with_ci(&s.cost.total_usd, usd),
            usd(s.cost.services_usd.mean),
            usd(s.cost.database_replicas_usd.mean),
            usd(s.cost.fixed_usd.mean),
            usd(s.cost.providers_usd.mean),
            with_ci(&s.cost.peak_hourly_usd, usd)
        );
    }
    if !s.databases.is_empty() {
        let _ = writeln!(out, "\n  █ DATABASES\n");
        let _ = writeln!(
            out,
            "    {:<22} {:>12} {:>12} {:>12} {:>12} {:>12} {:>10}",
            "name", "cpu", "conns", "queries/s", "query", "pool wait", "timeouts"
        );
        for (name, d) in &s.databases {
            let _ = writeln!(
                out,
                "    {:<22} {:>12} {:>12} {:>12} {:>12} {:>12} {:>10}",
                name,
                pct(d.cpu_utilization.mean),
                format!("{}/{}", num(d.connections_in_use.mean), d.pool_size),
                num(d.queries_per_s.mean),
                ms(d.query_ms.mean),
                ms(d.pool_wait_ms.mean),
                num(d.pool_timeouts.mean)
            );
        }
    }
    if !s.faults.is_empty() {
        let _ = writeln!(
            out,
            "\n  █ FAULTS (recovery: until p95 < {} and errors < {} in every later bucket)\n",
            ms(s.faults[0].p95_limit_ms),
            pct(s.faults[0].error_rate_limit)
        );
        for f in &s.faults {
            let _ = writeln!(
                out,
                "    {} at {:.0}s{}: recovered in {} ({:.0}% of replications [{:.0}%, {:.0}%]), {} failed requests",
                f.name,
                f.at_s,
                f.until_s
                    .map(|u| format!(" until {u:.0}s"))
                    .unwrap_or_default(),
                with_ci(&f.recovery_s, |x| format!("{x:.0}s")),
                f.recovered_fraction * 100.0,
                f.recovered_fraction_ci95[0] * 100.0,
                f.recovered_fraction_ci95[1] * 100.0,
                with_ci(&f.failed_requests, num)
            );
        }
    }
    let a = &s.accounting;
    let _ = writeln!(out, "\n  █ REQUEST ACCOUNTING (mean per replication)\n");
    let _ = writeln!(
        out,
        "    sent {} = succeeded {} + failed {} + interrupted {} + in flight {}   {}",
        num(a.sent.mean),
        num(a.succeeded.mean),
        num(a.failed.mean),
        num(a.interrupted.mean),
        num(a.in_flight_at_end.mean),
        if a.conserved {
            "✓ holds in every replication"
        } else {
            "✗ VIOLATED: please report this bug"
        }
    );
    out
}

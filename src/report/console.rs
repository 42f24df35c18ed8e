//! The k6-like end-of-test summary printed to the terminal, with 95% intervals, laid out
//! for a given width: 100 columns by default, narrower terminals get wrapped values and
//! stacked tables instead of wrapped rows. Counts print as whole numbers.

use crate::aggregate::thresholds::DecidedBy;
use crate::aggregate::{Summary, TrendEstimate, Verdict};
use crate::stats::interval::Estimate;
use std::fmt::Write;

/// The width the summary is laid out for when the terminal's is unknown.
pub const DEFAULT_WIDTH: usize = 100;
/// Narrower terminals get this width (and wrap themselves): below it nothing reads well.
pub const MIN_WIDTH: usize = 60;
/// Joins words that [`Page::wrap`] must keep on one line.
const NO_BREAK: &str = "\u{a0}";
/// Where values start on a `name....: value` line, at most.
const NAME_COLUMN: usize = 30;

fn ms(x: f64) -> String {
    if !x.is_finite() {
        "-".into()
    } else if x >= 1000.0 {
        format!("{:.2}s", x / 1000.0)
    } else {
        format!("{x:.2}ms")
    }
}

fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.2}%", x * 100.0)
    } else {
        "-".into()
    }
}

/// A measured quantity that need not be whole (a rate, a mean in flight).
fn num(x: f64) -> String {
    if !x.is_finite() {
        "-".into()
    } else if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

/// A count (requests, replicas, scale-ups): the mean across replications, whole when it is
/// whole or large, with one decimal when a small mean has a fraction (0.4 scale-ups).
fn count(x: f64) -> String {
    if !x.is_finite() {
        "-".into()
    } else if x.fract() == 0.0 || x.abs() >= 10.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

fn num_or_rate(x: f64) -> String {
    if x.is_finite() && x.abs() < 1.0 {
        format!("{x:.4}")
    } else {
        num(x)
    }
}

fn with_ci(e: &Estimate, f: impl Fn(f64) -> String) -> String {
    match e.ci95 {
        Some([lo, hi]) if (hi - lo).abs() > 0.0 => format!("{} [{}, {}]", f(e.mean), f(lo), f(hi)),
        _ => f(e.mean),
    }
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

/// A custom metric's values (a trend of durations in ms, other trends as numbers).
fn custom_text(c: &crate::aggregate::custom_metrics::CustomMetricSummary) -> String {
    if let Some(why) = &c.not_predicted {
        return format!("not predicted: {why}");
    }
    if let Some(t) = &c.trend {
        if c.unit == "ms" {
            return trend_text(t);
        }
        return format!(
            "avg={} min={} med={} max={} p(90)={} p(95)={}",
            num(t.avg.mean),
            num(t.min.mean),
            num(t.med.mean),
            num(t.max.mean),
            num(t.p90.mean),
            num(t.p95.mean)
        );
    }
    if let Some(r) = &c.rate {
        return with_ci(r, pct);
    }
    match (&c.count, &c.per_second) {
        (Some(n), Some(ps)) => format!("{} {}/s", with_ci(n, num), num(ps.mean)),
        _ => "-".into(),
    }
}

/// Text laid out for one width.
struct Page {
    text: String,
    width: usize,
}

impl Page {
    fn blank(&mut self) {
        self.text.push('\n');
    }

    fn heading(&mut self, title: &str) {
        self.wrap("  ", &format!("█ {title}"), "    ");
        self.blank();
    }

    /// `text` from `first` (an indent), wrapped at spaces to the width, later lines
    /// indented by `rest`. A word longer than a line stands alone on its line; a
    /// no-break space (`\u{a0}`) joins words that must stay on one line.
    fn wrap(&mut self, first: &str, text: &str, rest: &str) {
        let start = self.text.len();
        let mut line = first.to_string();
        let mut empty = true;
        for word in text.split(' ').filter(|w| !w.is_empty()) {
            let len = line.chars().count();
            if !empty && len + 1 + word.chars().count() > self.width {
                let _ = writeln!(self.text, "{}", line.trim_end());
                line = rest.to_string();
                empty = true;
            }
            if !empty {
                line.push(' ');
            }
            line.push_str(word);
            empty = false;
        }
        let _ = writeln!(self.text, "{}", line.trim_end());
        let laid = self.text.split_off(start).replace(NO_BREAK, " ");
        self.text.push_str(&laid);
    }

    /// `name.......: value`, the value wrapped under itself.
    fn metric(&mut self, indent: usize, name: &str, value: &str) {
        let column = NAME_COLUMN
            .min(self.width * 2 / 5)
            .max(indent + name.chars().count() + 3);
        let dots = column.saturating_sub(indent + name.chars().count() + 2);
        let head = format!("{}{name}{}: ", " ".repeat(indent), ".".repeat(dots));
        let hang = " ".repeat(head.chars().count());
        self.wrap(&head, value, &hang);
    }

    /// A table with a left-aligned first column and right-aligned others; when its rows
    /// do not fit the width, each row is stacked as `name` then `header value` pairs.
    fn table(&mut self, headers: &[&str], rows: &[Vec<String>]) {
        let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
        for row in rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let total = 4 + widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
        if total <= self.width {
            let line = |cells: &[String]| {
                let mut s = String::from("    ");
                for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
                    if i == 0 {
                        let _ = write!(s, "{cell:<w$}");
                    } else {
                        let _ = write!(s, "  {cell:>w$}");
                    }
                }
                s.trim_end().to_string()
            };
            let head: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
            let _ = writeln!(self.text, "{}", line(&head));
            for row in rows {
                let _ = writeln!(self.text, "{}", line(row));
            }
        } else {
            for row in rows {
                let _ = writeln!(self.text, "    {}", row[0]);
                let pairs: Vec<String> = headers[1..]
                    .iter()
                    .zip(&row[1..])
                    .map(|(h, v)| format!("{h} {v}").replace(' ', NO_BREAK))
                    .collect();
                self.wrap("      ", &pairs.join(" · "), "      ");
            }
        }
    }
}

/// The summary laid out for [`DEFAULT_WIDTH`] columns.
pub fn render(s: &Summary) -> String {
    render_width(s, DEFAULT_WIDTH)
}

/// The summary laid out for a terminal `width` columns wide (at least [`MIN_WIDTH`]).
pub fn render_width(s: &Summary, width: usize) -> String {
    let mut p = Page {
        text: String::new(),
        width: width.max(MIN_WIDTH),
    };
    let m = &s.metrics;
    p.blank();
    p.wrap(
        "  ",
        &format!(
            "capsim\u{a0}{} · experiment\u{a0}{} · model\u{a0}{} · {}\u{a0}replications · seed\u{a0}{} · {:.0}s\u{a0}simulated",
            s.capsim_version, s.experiment, s.model, s.replications, s.seed, s.test_run_duration_s.mean
        )
        .replace(" · ", "\u{a0}· "),
        "  ",
    );
    p.blank();
    let bottlenecks = crate::report::bottleneck_view::BottleneckView::of(&s.bottlenecks);
    if let Some(b) = &bottlenecks {
        p.wrap("  ", &b.headline, "  ");
        p.blank();
    }
    if !s.thresholds.is_empty() {
        p.heading(&format!(
            "THRESHOLDS (P(pass) by count [95% Wilson] and by values [95% normal model]; required >= {:.0}%)",
            s.thresholds[0].required * 100.0
        ));
        let mut last = "";
        for t in &s.thresholds {
            if t.metric != last {
                let _ = writeln!(p.text, "    {}", t.metric);
                last = &t.metric;
            }
            let mark = match t.verdict {
                Verdict::Pass => "✓",
                Verdict::Fail => "✗",
                Verdict::Inconclusive => "?",
            };
            let value = if ["http_req_", "iteration_duration", "group_duration"]
                .iter()
                .any(|m| t.metric.starts_with(m))
                && !t.metric.starts_with("http_req_failed")
            {
                ms(t.observed.mean)
            } else {
                num_or_rate(t.observed.mean)
            };
            let by_values = match &t.values {
                Some(v) => format!(
                    " values={:.0}% [{:.0}%, {:.0}%]",
                    v.pass_probability * 100.0,
                    v.ci[0] * 100.0,
                    v.ci[1] * 100.0
                ),
                None => String::new(),
            };
            let decided = match (t.verdict, t.decided_by) {
                (_, DecidedBy::Disagree) => " undecided: the two rules disagree".to_string(),
                (Verdict::Inconclusive, _) => " inconclusive: run more replications".to_string(),
                (_, by) => format!(" (decided by {})", by_name(by)),
            };
            let line = format!(
                "{mark} '{}' observed={value} count={:.0}% [{:.0}%, {:.0}%] ({}/{}){by_values}{decided}",
                t.threshold,
                t.pass_probability * 100.0,
                t.pass_probability_ci95[0] * 100.0,
                t.pass_probability_ci95[1] * 100.0,
                t.passes,
                t.replications,
            );
            p.wrap("    ", &line, "      ");
            if let Some(a) = &t.aborted
                && let (Some(first), Some(mean), Some(last)) = (a.first_s, a.mean_s, a.last_s)
            {
                let line = format!(
                    "abortOnFail stopped {} of {} replications, at {first:.0}s to {last:.0}s (mean {mean:.1}s)",
                    a.replications, t.replications
                );
                p.wrap("      ", &line, "        ");
            }
        }
        p.blank();
    }
    p.heading("TOTAL RESULTS (mean across replications, [95% CI])");
    let _ = writeln!(p.text, "    HTTP");
    p.metric(4, "http_req_duration", &trend_text(&m.http_req_duration));
    p.metric(6, "p(95) interval", &with_ci(&m.http_req_duration.p95, ms));
    p.metric(6, "avg interval", &with_ci(&m.http_req_duration.avg, ms));
    p.metric(4, "http_req_failed", &with_ci(&m.http_req_failed.rate, pct));
    p.metric(
        4,
        "http_reqs",
        &format!(
            "{} {}/s",
            with_ci(&m.http_reqs.count, count),
            with_ci(&m.http_reqs.rate, num)
        ),
    );
    for (name, e) in &s.endpoints {
        p.wrap("      ", &format!("{{ endpoint:{name} }}"), "        ");
        p.metric(8, "http_req_duration", &trend_text(&e.http_req_duration));
        p.metric(8, "http_req_failed", &with_ci(&e.http_req_failed.rate, pct));
        p.metric(
            8,
            "http_reqs",
            &format!("{}/s", with_ci(&e.http_reqs.rate, num)),
        );
    }
    if !s.checks.is_empty() {
        let _ = writeln!(p.text, "\n    CHECKS");
        for (name, c) in &s.checks {
            p.metric(4, name, &with_ci(&c.rate, pct));
        }
    }
    if let Some(g) = &s.groups {
        let _ = writeln!(p.text, "\n    GROUPS (group_duration)");
        p.metric(4, "group_duration", &trend_text(&g.group_duration));
        for (path, t) in &g.by_group {
            p.metric(6, &format!("{{group:{path}}}"), &trend_text(t));
        }
    }
    if !s.custom_metrics.is_empty() {
        let _ = writeln!(p.text, "\n    CUSTOM METRICS (k6/metrics)");
        for (name, c) in &s.custom_metrics {
            p.metric(4, name, &custom_text(c));
        }
    }
    let _ = writeln!(p.text, "\n    EXECUTION");
    p.metric(
        4,
        "iterations",
        &format!(
            "{} {}/s",
            with_ci(&m.iterations.count, count),
            num(m.iterations.rate.mean)
        ),
    );
    p.metric(
        4,
        "dropped_iterations",
        &with_ci(&m.dropped_iterations.count, count),
    );
    p.metric(4, "vus (peak)", &count(m.vus.value.mean));
    p.metric(4, "vus_max", &count(m.vus_max.value.mean));
    if !s.errors.is_empty() {
        let _ = writeln!(p.text, "\n    ERRORS BY CAUSE (requests per replication)");
        for (cause, e) in &s.errors {
            p.metric(4, cause, &with_ci(e, count));
        }
    }
    p.blank();
    p.heading("SERVICES");
    let rows: Vec<Vec<String>> = s
        .services
        .iter()
        .map(|(name, sv)| {
            let errors: f64 = sv.errors.values().map(|e| e.mean).sum::<f64>() + 0.0;
            let rp = &sv.replicas;
            let replicas = if rp.min.mean == rp.max.mean && rp.avg.mean == rp.min.mean {
                count(rp.avg.mean)
            } else {
                format!(
                    "{} ({}-{})",
                    num(rp.avg.mean),
                    count(rp.min.mean),
                    count(rp.max.mean)
                )
            };
            vec![
                name.clone(),
                pct(sv.utilization.mean),
                num(sv.mean_in_flight.mean),
                ms(sv.queue_wait_ms.mean),
                num(sv.throughput.mean),
                count(errors),
                replicas,
            ]
        })
        .collect();
    p.table(
        &[
            "name",
            "util",
            "in flight",
            "queue wait",
            "resp/s",
            "errors",
            "replicas",
        ],
        &rows,
    );
    let scaled: Vec<_> = s
        .services
        .iter()
        .filter(|(_, sv)| sv.replicas.scale_ups.mean > 0.0 || sv.replicas.scale_downs.mean > 0.0)
        .collect();
    if !scaled.is_empty() {
        let _ = writeln!(p.text, "\n    AUTOSCALING (mean per replication)");
        for (name, sv) in scaled {
            let rp = &sv.replicas;
            let line = format!(
                "{name}: {} scale-ups, {} scale-downs, first scale-up at {} (in {:.0}% of replications), peak desired {}",
                count(rp.scale_ups.mean),
                count(rp.scale_downs.mean),
                with_ci(&rp.time_to_first_scale_up_s, |x| format!("{x:.0}s")),
                rp.scaled_up_fraction * 100.0,
                count(rp.desired_max.mean)
            );
            p.wrap("    ", &line, "      ");
        }
    }
    if s.cost.total_usd.mean > 0.0 {
        let usd = |x: f64| format!("${x:.2}");
        let line = format!(
            "COST: {} total (replicas {}, database replicas {}, primaries and caches {}, provider calls {}), peak {}/hour",
            with_ci(&s.cost.total_usd, usd),
            usd(s.cost.services_usd.mean),
            usd(s.cost.database_replicas_usd.mean),
            usd(s.cost.fixed_usd.mean),
            usd(s.cost.providers_usd.mean),
            with_ci(&s.cost.peak_hourly_usd, usd)
        );
        p.blank();
        p.wrap("    ", &line, "      ");
    }
    if !s.databases.is_empty() {
        p.blank();
        p.heading("DATABASES");
        let rows: Vec<Vec<String>> = s
            .databases
            .iter()
            .map(|(name, d)| {
                vec![
                    name.clone(),
                    pct(d.cpu_utilization.mean),
                    format!("{}/{}", num(d.connections_in_use.mean), d.pool_size),
                    num(d.queries_per_s.mean),
                    ms(d.query_ms.mean),
                    ms(d.pool_wait_ms.mean),
                    count(d.pool_timeouts.mean),
                ]
            })
            .collect();
        p.table(
            &[
                "name",
                "cpu",
                "conns",
                "queries/s",
                "query",
                "pool wait",
                "timeouts",
            ],
            &rows,
        );
    }
    if let Some(b) = bottlenecks.as_ref().filter(|b| !b.resources.is_empty()) {
        use crate::report::bottleneck_view as view;
        p.blank();
        p.heading("BOTTLENECKS (means across replications; see docs/bottlenecks.md)");
        p.table(&view::HEADER, &view::rows(b));
        p.wrap("    ", view::LEGEND, "      ");
        p.blank();
        for line in view::bound_lines(b).iter().chain(&b.departures) {
            p.wrap("    ", line, "      ");
        }
    }
    if !s.faults.is_empty() {
        p.blank();
        p.heading(&format!(
            "FAULTS (recovery: until p95 < {} and errors < {} in every later bucket)",
            ms(s.faults[0].p95_limit_ms),
            pct(s.faults[0].error_rate_limit)
        ));
        for f in &s.faults {
            let line = format!(
                "{} at {:.0}s{}: recovered in {} ({:.0}% of replications [{:.0}%, {:.0}%]), {} failed requests",
                f.name,
                f.at_s,
                f.until_s
                    .map(|u| format!(" until {u:.0}s"))
                    .unwrap_or_default(),
                with_ci(&f.recovery_s, |x| format!("{x:.0}s")),
                f.recovered_fraction * 100.0,
                f.recovered_fraction_ci95[0] * 100.0,
                f.recovered_fraction_ci95[1] * 100.0,
                with_ci(&f.failed_requests, count)
            );
            p.wrap("    ", &line, "      ");
        }
    }
    p.text
        .push_str(&crate::report::console_windows::windows_text(s));
    let a = &s.accounting;
    p.blank();
    p.heading("REQUEST ACCOUNTING (mean per replication)");
    let line = format!(
        "sent {} = succeeded {} + failed {} + interrupted {} + in\u{a0}flight\u{a0}{} {}",
        count(a.sent.mean),
        count(a.succeeded.mean),
        count(a.failed.mean),
        count(a.interrupted.mean),
        count(a.in_flight_at_end.mean),
        if a.conserved {
            "✓\u{a0}holds\u{a0}in\u{a0}every\u{a0}replication"
        } else {
            "✗ VIOLATED: please report this bug"
        }
    );
    p.wrap("    ", &line, "      ");
    p.text
}

/// The rule that decided, in words for the console.
fn by_name(by: DecidedBy) -> &'static str {
    match by {
        DecidedBy::Both => "count and values",
        DecidedBy::Values => "values",
        DecidedBy::Count => "count",
        DecidedBy::Pooled => "pooled counts",
        DecidedBy::Neither | DecidedBy::Disagree => "neither",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(width: usize) -> Page {
        Page {
            text: String::new(),
            width,
        }
    }

    #[test]
    fn counts_are_whole() {
        assert_eq!(count(0.0), "0");
        assert_eq!(count(2.0), "2");
        assert_eq!(count(4.0), "4");
        assert_eq!(count(114434.0), "114434");
        assert_eq!(count(10.75), "11");
        assert_eq!(count(0.4), "0.4");
    }

    #[test]
    fn metric_values_wrap_under_themselves() {
        let mut p = page(60);
        p.metric(
            4,
            "http_req_duration",
            "avg=382.57ms min=8.74ms med=365.31ms max=2.74s p(90)=728.58ms p(95)=827.39ms",
        );
        let lines: Vec<&str> = p.text.lines().collect();
        assert!(lines.len() >= 2, "{}", p.text);
        assert!(lines.iter().all(|l| l.chars().count() <= 60), "{}", p.text);
        let start = lines[0].find("avg=").unwrap();
        assert_eq!(lines[1].len() - lines[1].trim_start().len(), start);
    }

    #[test]
    fn tables_stack_when_they_do_not_fit() {
        let headers = ["name", "util", "in flight", "queue wait"];
        let rows = vec![vec![
            "api-gateway".to_string(),
            "13.14%".into(),
            "67.27".into(),
            "0.00ms".into(),
        ]];
        let mut wide = page(100);
        wide.table(&headers, &rows);
        assert_eq!(wide.text.lines().count(), 2, "{}", wide.text);
        let mut narrow = page(30);
        narrow.table(&headers, &rows);
        let text = narrow.text;
        assert!(text.lines().all(|l| l.chars().count() <= 30), "{text}");
        assert!(text.contains("in flight 67.27"), "{text}");
    }
}

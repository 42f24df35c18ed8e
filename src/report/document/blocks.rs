//! The content of report.md and report.html as one list of blocks (headings, paragraphs,
//! callouts, tables, figures), so both always carry the same content.

use crate::report::data::RunData;
use crate::report::document::cells::{est_with, money, num, pm, pm_pct, row3, verdict_word};
use crate::report::figures::{FigureOptions, FigureSpec, cause_label, fmt_money, fmt_num, fmt_pct};

/// A drawn figure: what it is and its PNG bytes (for inlining in HTML).
pub struct RenderedFigure {
    pub spec: FigureSpec,
    pub png: Vec<u8>,
}

/// Alignment of a table column.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Align {
    Left,
    Right,
}

/// The usual table: a label column, then `columns - 1` right-aligned numbers.
fn label_then_numbers(columns: usize) -> Vec<Align> {
    let mut align = vec![Align::Right; columns];
    align[0] = Align::Left;
    align
}

/// One piece of a report, written as Markdown or HTML.
pub(crate) enum Block {
    H2(String),
    Para(String),
    /// A highlighted paragraph: (css class, text).
    Callout(&'static str, String),
    Table {
        header: Vec<String>,
        align: Vec<Align>,
        rows: Vec<Vec<String>>,
    },
    Figure(usize),
}

/// The report's content in order; `figs` are the figures drawn (by index in `Block::Figure`).
pub(super) fn blocks(data: &RunData, figs: &[RenderedFigure], opts: &FigureOptions) -> Vec<Block> {
    let s = &data.summary;
    let m = &s.metrics;
    let fig = |stem: &str| {
        figs.iter()
            .position(|f| f.spec.stem == stem)
            .map(Block::Figure)
    };
    let mut out: Vec<Block> = Vec::new();

    out.push(Block::Para(format!(
        "Experiment **{}** on model **{}**: {} replications (seed {}), each a simulated test run of {} s on average. Values are means across replications with their 95% confidence interval, written [low, high] or ± half-width.",
        s.experiment,
        s.model,
        s.replications,
        s.seed,
        fmt_num(s.test_run_duration_s.mean)
    )));
    if !s.thresholds.is_empty() {
        let fails = s.thresholds.iter().filter(|t| t.verdict == "fail").count();
        let unsure = s
            .thresholds
            .iter()
            .filter(|t| t.verdict != "fail" && t.verdict != "pass")
            .count();
        let n = s.thresholds.len();
        let (class, text) = if fails > 0 {
            let names: Vec<String> = s
                .thresholds
                .iter()
                .filter(|t| t.verdict == "fail")
                .map(|t| format!("`{}`", t.label()))
                .collect();
            (
                "fail",
                format!(
                    "Predicted SLO verdict: **FAIL**. {fails} of {n} thresholds fail: {}.",
                    names.join(", ")
                ),
            )
        } else if unsure > 0 {
            (
                "unsure",
                format!(
                    "Predicted SLO verdict: **INCONCLUSIVE**. {unsure} of {n} thresholds are undecided at this number of replications; run more replications to decide."
                ),
            )
        } else {
            (
                "pass",
                format!("Predicted SLO verdict: **PASS**. All {n} thresholds pass."),
            )
        };
        out.push(Block::Callout(class, text));
    }
    out.extend(super::bottlenecks::callout(s.bottlenecks.as_ref()));

    // Summary.
    out.push(Block::H2("Summary".into()));
    let d = &m.http_req_duration;
    let mut rows: Vec<Vec<String>> = vec![
        row3("http_req_duration avg (ms)", &d.avg, fmt_num),
        row3("http_req_duration med (ms)", &d.med, fmt_num),
        row3("http_req_duration p(90) (ms)", &d.p90, fmt_num),
        row3("http_req_duration p(95) (ms)", &d.p95, fmt_num),
        row3("http_req_duration p(99) (ms)", &d.p99, fmt_num),
        row3("http_req_duration max (ms)", &d.max, fmt_num),
        row3("http_req_failed rate", &m.http_req_failed.rate, fmt_pct),
        row3("http_reqs (per run)", &m.http_reqs.count, fmt_num),
        row3("http_reqs rate (req/s)", &m.http_reqs.rate, fmt_num),
        row3("iterations (per run)", &m.iterations.count, fmt_num),
        row3(
            "dropped_iterations (per run)",
            &m.dropped_iterations.count,
            fmt_num,
        ),
        row3("vus (peak)", &m.vus.value, fmt_num),
        row3("vus_max", &m.vus_max.value, fmt_num),
    ];
    if let Some(c) = &m.checks {
        rows.push(row3("checks (pass rate)", &c.rate, fmt_pct));
    }
    rows.push(row3(
        "test run duration (s)",
        &s.test_run_duration_s,
        fmt_num,
    ));
    rows.push(row3("cost (USD per run)", &s.cost.total_usd, |v| {
        format!("${}", fmt_money(v))
    }));
    rows.push(row3(
        "peak spend (USD per hour)",
        &s.cost.peak_hourly_usd,
        |v| format!("${}", fmt_money(v)),
    ));
    out.push(Block::Table {
        header: vec!["Metric".into(), "Mean".into(), "95% CI".into()],
        align: label_then_numbers(3),
        rows,
    });

    // Thresholds.
    if !s.thresholds.is_empty() {
        out.push(Block::H2("Thresholds".into()));
        out.push(Block::Para(format!(
            "Each threshold is evaluated in every replication, as k6 would at the end of the test. P(pass) is estimated by two rules: the share of replications in which it held, with its 95% Wilson interval (the count), and, when the metric's values across replications look normal, the probability that one more replication passes with a 95% interval for it (the values; see docs/statistics.md). A rule shows PASS when its whole interval lies at or above the required level ({}), FAIL when it lies below; the verdict is the rule that decides, and INCONCLUSIVE when neither decides or they decide opposite ways.",
            fmt_pct(s.thresholds[0].required)
        )));
        out.push(Block::Table {
            header: vec![
                "Metric".into(),
                "Threshold".into(),
                "Observed".into(),
                "P(pass) count".into(),
                "95% interval".into(),
                "P(pass) values [95%]".into(),
                "Required".into(),
                "Verdict".into(),
                "Decided by".into(),
            ],
            align: vec![
                Align::Left,
                Align::Left,
                Align::Right,
                Align::Right,
                Align::Right,
                Align::Right,
                Align::Right,
                Align::Left,
                Align::Left,
            ],
            rows: s
                .thresholds
                .iter()
                .map(|t| {
                    let observed = if t.metric.starts_with("http_req_failed")
                        || t.threshold.trim_start().starts_with("rate")
                    {
                        est_with(&t.observed, fmt_pct)
                    } else {
                        num(&t.observed)
                    };
                    vec![
                        t.metric.clone(),
                        t.threshold.clone(),
                        observed,
                        format!(
                            "{} ({}/{})",
                            fmt_pct(t.probability()),
                            t.passes,
                            t.replications
                        ),
                        t.interval().map_or("–".into(), |[a, b]| {
                            format!("{} to {}", fmt_pct(a), fmt_pct(b))
                        }),
                        values_cell(t),
                        fmt_pct(t.required),
                        verdict_word(&t.verdict).into(),
                        decided_cell(t),
                    ]
                })
                .collect(),
        });
        out.extend(fig("thresholds"));
    }

    out.extend(super::windows::window_blocks(s));

    // Response time.
    out.push(Block::H2("Response time".into()));
    out.extend(fig("latency"));
    out.extend(fig("latency_distribution"));
    if !s.endpoints.is_empty() {
        out.push(Block::Table {
            header: vec![
                "Endpoint".into(),
                "Requests/s".into(),
                "avg (ms)".into(),
                "p(95) (ms)".into(),
                "p(99) (ms)".into(),
                "Failed".into(),
            ],
            align: label_then_numbers(6),
            rows: s
                .endpoints
                .iter()
                .map(|(name, e)| {
                    vec![
                        name.clone(),
                        pm(&e.http_reqs.rate),
                        pm(&e.http_req_duration.avg),
                        pm(&e.http_req_duration.p95),
                        pm(&e.http_req_duration.p99),
                        pm_pct(&e.http_req_failed.rate),
                    ]
                })
                .collect(),
        });
    }

    // Throughput.
    out.push(Block::H2("Throughput".into()));
    if let Some(target) = opts.target_rps {
        let rate = m.http_reqs.rate.mean;
        out.push(Block::Para(format!(
            "Mean request rate {} req/s over the test run against a target of {} req/s ({} of target).",
            fmt_num(rate),
            fmt_num(target),
            fmt_pct(rate / target)
        )));
    }
    out.extend(fig("request_rate"));

    // Errors.
    out.push(Block::H2("Errors".into()));
    out.extend(fig("error_rate"));
    if s.errors.is_empty() {
        out.push(Block::Para("No request failed in any replication.".into()));
    } else {
        out.extend(fig("errors_by_cause"));
        let sent = s.accounting.sent.mean;
        out.push(Block::Table {
            header: vec![
                "Cause".into(),
                "Failed requests per run".into(),
                "Share of requests".into(),
            ],
            align: label_then_numbers(3),
            rows: s
                .errors
                .iter()
                .map(|(c, e)| {
                    vec![
                        cause_label(c),
                        pm(e),
                        if sent > 0.0 {
                            fmt_pct(e.mean / sent)
                        } else {
                            "–".into()
                        },
                    ]
                })
                .collect(),
        });
    }

    // Capacity.
    if !s.services.is_empty() {
        out.push(Block::H2("Services and autoscaling".into()));
        out.extend(fig("replicas"));
        out.push(Block::Table {
            header: vec![
                "Service".into(),
                "Throughput (/s)".into(),
                "Utilization".into(),
                "In flight".into(),
                "Queue wait (ms)".into(),
                "Response (ms)".into(),
                "Replicas avg (min–max)".into(),
                "Scale-ups".into(),
                "Cost (USD)".into(),
            ],
            align: label_then_numbers(9),
            rows: s
                .services
                .iter()
                .map(|(name, v)| {
                    let r = &v.replicas;
                    let name = if v.kind == "job_queue" {
                        format!("{name} (job queue)")
                    } else {
                        name.clone()
                    };
                    vec![
                        name,
                        pm(&v.throughput),
                        pm_pct(&v.utilization),
                        pm(&v.mean_in_flight),
                        pm(&v.queue_wait_ms),
                        pm(&v.response_ms),
                        format!(
                            "{} ({}–{})",
                            fmt_num(r.avg.mean),
                            fmt_num(r.min.mean),
                            fmt_num(r.max.mean)
                        ),
                        fmt_num(r.scale_ups.mean),
                        format!("${}", fmt_money(r.cost_usd.mean)),
                    ]
                })
                .collect(),
        });
        out.extend(fig("in_flight"));
        out.extend(fig("utilization"));
    }

    // Data tier.
    if !s.databases.is_empty() {
        out.push(Block::H2("Databases".into()));
        out.extend(fig("db_connections"));
        out.push(Block::Table {
            header: vec![
                "Database".into(),
                "Pool size".into(),
                "Read replicas".into(),
                "Connections in use".into(),
                "CPU".into(),
                "Queries/s".into(),
                "Query (ms)".into(),
                "Pool wait (ms)".into(),
                "Pool timeouts".into(),
            ],
            align: label_then_numbers(9),
            rows: s
                .databases
                .iter()
                .map(|(name, d)| {
                    vec![
                        name.clone(),
                        d.pool_size.to_string(),
                        d.read_replicas.to_string(),
                        pm(&d.connections_in_use),
                        pm_pct(&d.cpu_utilization),
                        pm(&d.queries_per_s),
                        pm(&d.query_ms),
                        pm(&d.pool_wait_ms),
                        pm(&d.pool_timeouts),
                    ]
                })
                .collect(),
        });
    }

    out.extend(super::bottlenecks::section(s.bottlenecks.as_ref()));

    // Cost.
    if figs.iter().any(|f| f.spec.stem == "cost") {
        out.push(Block::H2("Cost".into()));
        out.push(Block::Para(format!(
            "Infrastructure cost of one test run: {} (peak spend {} per hour).",
            money(&s.cost.total_usd),
            money(&s.cost.peak_hourly_usd)
        )));
        out.extend(fig("cost"));
    }

    // Checks.
    if !s.checks.is_empty() {
        out.push(Block::H2("Checks".into()));
        out.push(Block::Table {
            header: vec![
                "Check".into(),
                "Pass rate".into(),
                "Passes per run".into(),
                "Fails per run".into(),
            ],
            align: label_then_numbers(4),
            rows: s
                .checks
                .iter()
                .map(|(n, c)| vec![n.clone(), pm_pct(&c.rate), pm(&c.passes), pm(&c.fails)])
                .collect(),
        });
    }

    // Accounting.
    let a = &s.accounting;
    out.push(Block::H2("Request accounting".into()));
    out.push(Block::Para(format!(
        "Every request sent ends exactly once: it succeeds, fails with a named cause, is interrupted at the end of the test, or is still in flight. {}",
        if a.conserved {
            "This balance held in every replication."
        } else {
            "**This balance did not hold in every replication: the results are suspect.**"
        }
    )));
    out.push(Block::Table {
        header: vec!["Requests per run".into(), "Mean".into(), "95% CI".into()],
        align: label_then_numbers(3),
        rows: vec![
            row3("sent", &a.sent, fmt_num),
            row3("succeeded", &a.succeeded, fmt_num),
            row3("failed", &a.failed, fmt_num),
            row3("interrupted", &a.interrupted, fmt_num),
            row3("in flight at the end", &a.in_flight_at_end, fmt_num),
        ],
    });
    out
}

pub(super) fn title(data: &RunData) -> String {
    format!("Load test prediction: {}", data.summary.experiment)
}

pub(super) fn footer(data: &RunData) -> String {
    let v = &data.summary.capsim_version;
    format!(
        "Generated by capsim{} from summary.json and timeseries.csv. Regenerate with `capsim plot {}`.",
        if v.is_empty() {
            String::new()
        } else {
            format!(" {v}")
        },
        data.dir.display()
    )
}

/// The values rule's P(pass) and interval, or a dash when it was not used.
fn values_cell(t: &crate::report::data::Threshold) -> String {
    let cell =
        |v: Option<&crate::report::data::ValuesRule>| match v.map(|v| (v.pass_probability, v.ci)) {
            Some((Some(p), Some([Some(a), Some(b)]))) => {
                Some(format!("{} ({} to {})", fmt_pct(p), fmt_pct(a), fmt_pct(b)))
            }
            _ => None,
        };
    match (cell(t.values.as_ref()), cell(t.pooled.as_ref())) {
        (Some(v), Some(p)) => format!("{v}; pooled {p}"),
        (Some(v), None) => v,
        (None, Some(p)) => format!("pooled {p}"),
        (None, None) => "–".into(),
    }
}

/// The rule that decided the verdict.
fn decided_cell(t: &crate::report::data::Threshold) -> String {
    match t.decided_by.as_deref() {
        Some("disagree") => "rules disagree".into(),
        Some("both") => "count and values".into(),
        Some(by @ ("values" | "count")) => by.into(),
        Some("pooled") => "pooled counts".into(),
        _ => "–".into(),
    }
}

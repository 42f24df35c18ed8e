//! report.md and report.html of a run: the figures and the tables (summary with 95%
//! intervals, thresholds, endpoints, services, databases, errors, checks, accounting).
//!
//! Both are built from one list of blocks, so they always carry the same content.
//! report.md links the figures as relative PNG files (paste the folder into a planning
//! document); report.html is one self-contained file: inline CSS, figures inlined as PNG
//! data URIs, no scripts and no network references.

use crate::report::data::{Est, RunData};
use crate::report::figures::{FigureOptions, FigureSpec, cause_label, fmt_money, fmt_num, fmt_pct};
use base64::Engine as _;
use std::fmt::Write as _;

/// A drawn figure: what it is and its PNG bytes (for inlining in HTML).
pub struct RenderedFigure {
    pub spec: FigureSpec,
    pub png: Vec<u8>,
}

#[derive(Clone, Copy, PartialEq)]
enum Align {
    Left,
    Right,
}

/// The usual table: a label column, then `columns - 1` right-aligned numbers.
fn label_then_numbers(columns: usize) -> Vec<Align> {
    let mut align = vec![Align::Right; columns];
    align[0] = Align::Left;
    align
}

enum Block {
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

/// `382.4 [381.0, 383.7]`, values formatted by `f`; `–` when undefined.
fn est_with(e: &Est, f: impl Fn(f64) -> String) -> String {
    if !e.mean.is_finite() {
        return "–".into();
    }
    match e.ci95 {
        Some([lo, hi]) if lo.is_finite() && hi.is_finite() && (hi - lo).abs() > 0.0 => {
            format!("{} [{}, {}]", f(e.mean), f(lo), f(hi))
        }
        _ => f(e.mean),
    }
}

fn num(e: &Est) -> String {
    est_with(e, fmt_num)
}

/// Two significant digits (a half-width needs no more): 0.1908 -> 0.19, 12.3 -> 12.
fn two_sig(h: f64) -> String {
    if !h.is_finite() || h <= 0.0 {
        return "0".into();
    }
    if h >= 100.0 {
        return fmt_num(h);
    }
    let decimals = (1 - h.log10().floor() as i32).max(0) as usize;
    format!("{h:.decimals$}")
}

/// `188.6 ± 0.19`: compact for wide tables (the intervals are symmetric t intervals).
fn pm_with(e: &Est, f: impl Fn(f64) -> String, half: impl Fn(f64) -> String) -> String {
    if !e.mean.is_finite() {
        return "–".into();
    }
    match e.ci95 {
        Some([lo, hi]) if lo.is_finite() && hi.is_finite() && hi > lo => {
            format!("{} ± {}", f(e.mean), half((hi - lo) / 2.0))
        }
        _ => f(e.mean),
    }
}

fn pm(e: &Est) -> String {
    pm_with(e, fmt_num, two_sig)
}

fn pm_pct(e: &Est) -> String {
    pm_with(e, fmt_pct, |h| format!("{}%", two_sig(h * 100.0)))
}

fn money(e: &Est) -> String {
    est_with(e, |v| format!("${}", fmt_money(v)))
}

fn ci(e: &Est, f: impl Fn(f64) -> String) -> String {
    match e.ci95 {
        Some([lo, hi]) if e.mean.is_finite() => format!("{} to {}", f(lo), f(hi)),
        _ => "–".into(),
    }
}

fn verdict_word(v: &str) -> &'static str {
    match v {
        "pass" => "PASS",
        "fail" => "FAIL",
        _ => "INCONCLUSIVE",
    }
}

fn blocks(data: &RunData, figs: &[RenderedFigure], opts: &FigureOptions) -> Vec<Block> {
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
            "Each threshold is evaluated in every replication, as k6 would at the end of the test. P(pass) is the share of replications in which it held, with its 95% Wilson interval; the verdict is PASS when the whole interval lies at or above the required level ({}), FAIL when it lies below, and INCONCLUSIVE otherwise.",
            fmt_pct(s.thresholds[0].required)
        )));
        out.push(Block::Table {
            header: vec![
                "Metric".into(),
                "Threshold".into(),
                "Observed".into(),
                "P(pass)".into(),
                "95% interval".into(),
                "Required".into(),
                "Verdict".into(),
            ],
            align: vec![
                Align::Left,
                Align::Left,
                Align::Right,
                Align::Right,
                Align::Right,
                Align::Right,
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
                        fmt_pct(t.required),
                        verdict_word(&t.verdict).into(),
                    ]
                })
                .collect(),
        });
        out.extend(fig("thresholds"));
    }

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

fn row3(name: &str, e: &Est, f: impl Fn(f64) -> String + Copy) -> Vec<String> {
    vec![
        name.to_string(),
        if e.mean.is_finite() {
            f(e.mean)
        } else {
            "–".into()
        },
        ci(e, f),
    ]
}

fn title(data: &RunData) -> String {
    format!("Load test prediction: {}", data.summary.experiment)
}

fn footer(data: &RunData) -> String {
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

// ---------------------------------------------------------------------------------------
// Markdown

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

// ---------------------------------------------------------------------------------------
// HTML

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes `s` and turns Markdown's `**bold**` and `` `code` `` into HTML.
fn inline(s: &str) -> String {
    let e = esc(s);
    let mut out = String::new();
    let mut bold = false;
    let mut code = false;
    let mut rest = e.as_str();
    while let Some(i) = rest.find(['*', '`']) {
        out.push_str(&rest[..i]);
        if rest[i..].starts_with("**") && !code {
            out.push_str(if bold { "</strong>" } else { "<strong>" });
            bold = !bold;
            rest = &rest[i + 2..];
        } else if rest[i..].starts_with('`') {
            out.push_str(if code { "</code>" } else { "<code>" });
            code = !code;
            rest = &rest[i + 1..];
        } else {
            out.push('*');
            rest = &rest[i + 1..];
        }
    }
    out.push_str(rest);
    if code {
        out.push_str("</code>");
    }
    if bold {
        out.push_str("</strong>");
    }
    out
}

const CSS: &str = r#"
:root { --ink:#1f2328; --muted:#5f6368; --line:#d8dde3; --soft:#f6f8fa; --accent:#4e79a7;
  --pass:#2f7d32; --fail:#c41e3a; --unsure:#b7791f; }
* { box-sizing: border-box; }
body { margin:0; background:#eef1f4; color:var(--ink);
  font: 15px/1.55 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "DejaVu Sans", sans-serif; }
main { max-width: 1240px; margin: 24px auto; background:#fff; padding: 36px 48px 28px;
  border-radius: 10px; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
h1 { font-size: 28px; margin: 0 0 6px; letter-spacing: -.01em; }
h2 { font-size: 21px; margin: 36px 0 14px; padding-bottom: 6px; border-bottom: 2px solid var(--line); }
p { margin: 10px 0 14px; }
.meta { color: var(--muted); margin-top: 0; }
.callout { padding: 12px 16px; border-radius: 6px; border-left: 5px solid; margin: 18px 0; font-size: 16px; }
.callout.pass { background:#edf7ee; border-color: var(--pass); }
.callout.fail { background:#fdecee; border-color: var(--fail); }
.callout.unsure { background:#fdf6e7; border-color: var(--unsure); }
.table-wrap { overflow-x: auto; margin: 14px 0 22px; }
table { border-collapse: collapse; font-size: 13.5px; width: auto; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--soft); text-align: left; font-weight: 600; border-bottom: 2px solid var(--line); vertical-align: bottom; }
td.r, th.r { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fafbfc; }
code { font: 13px "DejaVu Sans Mono", Menlo, Consolas, monospace; background: var(--soft); padding: 1px 4px; border-radius: 3px; }
figure { margin: 18px 0 26px; }
figure img { display:block; width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px; }
figcaption { color: var(--muted); font-size: 14px; margin-top: 6px; }
.badge { display:inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 700; color:#fff; }
.badge.pass { background: var(--pass); } .badge.fail { background: var(--fail); } .badge.unsure { background: var(--unsure); }
footer { color: var(--muted); font-size: 13px; margin-top: 30px; border-top: 1px solid var(--line); padding-top: 10px; }
@media print { body { background:#fff; } main { box-shadow:none; margin:0; padding: 0; } figure { break-inside: avoid; } }
"#;

fn badge(v: &str) -> Option<String> {
    let class = match v {
        "PASS" => "pass",
        "FAIL" => "fail",
        "INCONCLUSIVE" => "unsure",
        _ => return None,
    };
    Some(format!(r#"<span class="badge {class}">{v}</span>"#))
}

/// report.html: self-contained (inline CSS, figures as PNG data URIs, no scripts, no links
/// to other hosts).
pub fn html(data: &RunData, figs: &[RenderedFigure], opts: &FigureOptions) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n<h1>{}</h1>\n",
        esc(&title(data)),
        esc(&title(data))
    );
    for b in blocks(data, figs, opts) {
        match b {
            Block::H2(t) => {
                let _ = writeln!(out, "<h2>{}</h2>", esc(&t));
            }
            Block::Para(t) => {
                let _ = writeln!(out, "<p>{}</p>", inline(&t));
            }
            Block::Callout(class, t) => {
                let _ = writeln!(out, "<div class=\"callout {class}\">{}</div>", inline(&t));
            }
            Block::Table {
                header,
                align,
                rows,
            } => {
                let cls = |i: usize| {
                    if align.get(i) == Some(&Align::Right) {
                        " class=\"r\""
                    } else {
                        ""
                    }
                };
                out.push_str("<div class=\"table-wrap\"><table>\n<thead><tr>");
                for (i, h) in header.iter().enumerate() {
                    let _ = write!(out, "<th{}>{}</th>", cls(i), esc(h));
                }
                out.push_str("</tr></thead>\n<tbody>\n");
                for r in rows {
                    out.push_str("<tr>");
                    for (i, c) in r.iter().enumerate() {
                        let cell = badge(c).unwrap_or_else(|| esc(c));
                        let _ = write!(out, "<td{}>{}</td>", cls(i), cell);
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</tbody>\n</table></div>\n");
            }
            Block::Figure(i) => {
                let f = &figs[i];
                let _ = writeln!(
                    out,
                    "<figure id=\"fig-{}\"><img alt=\"{}\" width=\"{}\" height=\"{}\" src=\"data:image/png;base64,{}\"><figcaption>{}</figcaption></figure>",
                    esc(&f.spec.stem),
                    esc(&f.spec.title),
                    f.spec.width,
                    f.spec.height,
                    b64.encode(&f.png),
                    esc(&f.spec.caption)
                );
            }
        }
    }
    let _ = write!(
        out,
        "<footer>{}</footer>\n</main>\n</body>\n</html>\n",
        inline(&footer(data))
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_markup() {
        assert_eq!(
            inline("a **b** `c<d`"),
            "a <strong>b</strong> <code>c&lt;d</code>"
        );
        assert_eq!(inline("p(95)<500"), "p(95)&lt;500");
    }

    #[test]
    fn half_widths() {
        assert_eq!(two_sig(0.1908), "0.19");
        assert_eq!(two_sig(0.0663), "0.066");
        assert_eq!(two_sig(12.3), "12");
        assert_eq!(two_sig(1.2345), "1.2");
    }

    #[test]
    fn estimates() {
        let e = Est {
            mean: 382.44,
            ci95: Some([381.0, 383.7]),
        };
        assert_eq!(num(&e), "382.4 [381, 383.7]");
        assert_eq!(num(&Est::default()), "–");
    }
}

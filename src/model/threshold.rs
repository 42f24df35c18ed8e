//! k6 thresholds: the metrics capsim predicts (and those it refuses, with the reason), the
//! tags each carries, `aggregation op value` expressions (k6's `thresholds_parser.go`
//! grammar), and the accumulators filtered thresholds need. Tag filters: `threshold_filter.rs`.

use std::fmt;

pub use crate::model::custom_metrics::CustomKind;
use crate::model::threshold_filter::{Filter, Tag, TagPairs, ThresholdContext, resolve};
use crate::time::Nanos;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    HttpReqDuration,
    /// Equal to `http_req_duration` in a simulation: the model's time is all waiting.
    HttpReqWaiting,
    /// 0 for every request in a simulation (no connections, TLS or bytes are modeled).
    HttpReqSending,
    HttpReqReceiving,
    HttpReqBlocked,
    HttpReqConnecting,
    HttpReqTlsHandshaking,
    HttpReqFailed,
    HttpReqs,
    Iterations,
    IterationDuration,
    DroppedIterations,
    Checks,
    /// k6's `group_duration`: a trend of each `group()` call's time, tagged with the
    /// group's own path.
    GroupDuration,
    Vus,
    VusMax,
    /// A k6 script's custom metric (index into the experiment's `custom_metrics`).
    Custom {
        index: u32,
        kind: CustomKind,
    },
}

/// Which samples a metric is made of (and so which accumulator a filtered one needs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// One sample per response.
    Http,
    /// One sample per completed iteration.
    Iteration,
    /// One sample per dropped iteration.
    Dropped,
    /// One sample per check run.
    Check,
    /// VU gauges: no tags.
    Vus,
    /// One sample per add() of custom metric `index`.
    Custom(u32),
    /// One sample per `group()` call that ends (`group_duration`).
    Group,
}

impl Family {
    /// Whether its samples are durations kept in a histogram (responses, iterations,
    /// custom metrics' values, group durations).
    pub fn keeps_durations(self) -> bool {
        matches!(
            self,
            Family::Http | Family::Iteration | Family::Custom(_) | Family::Group
        )
    }
}

const HTTP_TAGS: &[Tag] = &[
    Tag::Name,
    Tag::Endpoint,
    Tag::Method,
    Tag::Url,
    Tag::Status,
    Tag::ExpectedResponse,
    Tag::Scenario,
    Tag::Group,
];

impl Metric {
    const NAMES: [(&'static str, Metric); 16] = [
        ("http_req_duration", Metric::HttpReqDuration),
        ("http_req_waiting", Metric::HttpReqWaiting),
        ("http_req_sending", Metric::HttpReqSending),
        ("http_req_receiving", Metric::HttpReqReceiving),
        ("http_req_blocked", Metric::HttpReqBlocked),
        ("http_req_connecting", Metric::HttpReqConnecting),
        ("http_req_tls_handshaking", Metric::HttpReqTlsHandshaking),
        ("http_req_failed", Metric::HttpReqFailed),
        ("http_reqs", Metric::HttpReqs),
        ("iterations", Metric::Iterations),
        ("iteration_duration", Metric::IterationDuration),
        ("dropped_iterations", Metric::DroppedIterations),
        ("checks", Metric::Checks),
        ("group_duration", Metric::GroupDuration),
        ("vus", Metric::Vus),
        ("vus_max", Metric::VusMax),
    ];

    pub fn family(self) -> Family {
        match self {
            Metric::Iterations | Metric::IterationDuration => Family::Iteration,
            Metric::DroppedIterations => Family::Dropped,
            Metric::Checks => Family::Check,
            Metric::GroupDuration => Family::Group,
            Metric::Vus | Metric::VusMax => Family::Vus,
            Metric::Custom { index, .. } => Family::Custom(index),
            _ => Family::Http,
        }
    }

    /// A trend whose every sample is 0 in a simulation.
    pub fn always_zero(self) -> bool {
        matches!(
            self,
            Metric::HttpReqSending
                | Metric::HttpReqReceiving
                | Metric::HttpReqBlocked
                | Metric::HttpReqConnecting
                | Metric::HttpReqTlsHandshaking
        )
    }

    /// The tags k6 puts on this metric's samples (that a simulation has values for).
    pub(crate) fn tags(self) -> (&'static [Tag], &'static str) {
        match self.family() {
            Family::Http => (
                HTTP_TAGS,
                "name, method, url, status, expected_response, scenario, group",
            ),
            Family::Iteration => (&[Tag::Scenario, Tag::Group], "scenario, group"),
            Family::Dropped => (&[Tag::Scenario], "scenario"),
            Family::Check => (
                &[Tag::Check, Tag::Scenario, Tag::Group],
                "check, scenario, group",
            ),
            Family::Vus => (&[], "no tags"),
            Family::Custom(_) => (&[Tag::Scenario, Tag::Group], "scenario, group"),
            Family::Group => (&[Tag::Group, Tag::Scenario], "group, scenario"),
        }
    }

    fn is_trend(self) -> bool {
        matches!(
            self,
            Metric::HttpReqDuration
                | Metric::HttpReqWaiting
                | Metric::IterationDuration
                | Metric::GroupDuration
        ) || self.always_zero()
    }

    /// The aggregations k6 allows on this metric's type (trend, rate, counter, gauge).
    pub(crate) fn allowed(self) -> &'static str {
        match self {
            Metric::Custom { kind, .. } => kind.allowed(),
            m if m.is_trend() => "avg, min, med, max, p(N)",
            Metric::HttpReqFailed | Metric::Checks => "rate",
            Metric::Vus | Metric::VusMax => "value",
            _ => "count, rate",
        }
    }

    pub(crate) fn accepts(self, a: Aggregation) -> bool {
        use Aggregation::*;
        match self {
            Metric::Custom { kind, .. } => kind.like().accepts(a),
            m if m.is_trend() => matches!(a, Avg | Min | Med | Max | Percentile(_)),
            Metric::HttpReqFailed | Metric::Checks => matches!(a, Rate),
            Metric::Vus | Metric::VusMax => matches!(a, Value),
            _ => matches!(a, Count | Rate),
        }
    }
}

/// k6 metrics capsim does not predict, and why.
fn refused(name: &str) -> Option<&'static str> {
    Some(match name {
        "data_sent" | "data_received" => {
            "capsim models no request or response sizes, so bytes sent and received are not predicted"
        }
        n if n.starts_with("ws_") => "capsim does not simulate WebSocket connections (k6/ws)",
        n if n.starts_with("grpc_") => "capsim does not simulate gRPC (k6/net/grpc)",
        n if n.starts_with("browser_") || n.starts_with("webvital") => {
            "capsim does not simulate a browser (k6/browser)"
        }
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Aggregation {
    Avg,
    Min,
    Med,
    Max,
    /// Percentile in 0..=100.
    Percentile(f64),
    Rate,
    Count,
    Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Operator {
    fn holds(self, lhs: f64, rhs: f64) -> bool {
        match self {
            Operator::Lt => lhs < rhs,
            Operator::Le => lhs <= rhs,
            Operator::Gt => lhs > rhs,
            Operator::Ge => lhs >= rhs,
            Operator::Eq => lhs == rhs,
            Operator::Ne => lhs != rhs,
        }
    }
}

/// One threshold: a metric (optionally a sub-metric by tags) and an assertion.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// The key as written (`http_req_duration{name:GET /x}`).
    pub key: String,
    /// The expression as written (`p(95)<500`).
    pub expression: String,
    pub metric: Metric,
    /// The sub-metric's tag filters (empty: the whole metric).
    pub filter: Filter,
    /// The experiment's accumulator for this (family, filter), in
    /// the experiment's `submetrics`; `None` for a whole metric
    /// the replication keeps anyway.
    pub sub: Option<usize>,
    /// Stage of the profile for `{stage:N}` (a capsim extension; 0-based, in the order
    /// of `stages:`), checked against the scenario by `model::windows`.
    pub stage: Option<usize>,
    pub aggregation: Aggregation,
    pub operator: Operator,
    pub value: f64,
    /// k6's `abortOnFail`: the replication stops at the first evaluation that fails.
    pub abort_on_fail: bool,
    /// k6's `delayAbortEval`: no abort before this time from the test start.
    pub delay_abort_eval: Nanos,
}

/// One accumulator the engine keeps for filtered thresholds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmetricPlan {
    pub family: Family,
    pub filter: Filter,
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: '{}'", self.key, self.expression)
    }
}

/// Splits `name{tag:value,...}` into the name and its tag pairs (k6's rules).
pub fn parse_key(key: &str) -> Result<(&str, TagPairs), String> {
    crate::model::threshold_filter::parse_key(key)
}

/// Parses `aggregation op value` (k6 grammar; `===` is accepted as `==`).
pub fn parse_expression(expr: &str) -> Result<(Aggregation, Operator, f64), String> {
    let s = expr.trim();
    let hint = "write `aggregation operator number`, e.g. `p(95)<500`, `avg<=200`, `rate<0.01`, `count>100`";
    let op_at = s
        .find(['<', '>', '=', '!'])
        .ok_or_else(|| format!("`{expr}` has no operator (<, <=, >, >=, ==, !=); {hint}"))?;
    let (agg_text, rest) = s.split_at(op_at);
    let (operator, value_text) = [
        ("===", Operator::Eq),
        ("<=", Operator::Le),
        (">=", Operator::Ge),
        ("==", Operator::Eq),
        ("!=", Operator::Ne),
        ("<", Operator::Lt),
        (">", Operator::Gt),
    ]
    .iter()
    .find_map(|(tok, op)| rest.strip_prefix(tok).map(|v| (*op, v)))
    .ok_or_else(|| format!("`{expr}`: unknown operator; {hint}"))?;
    let value_text = value_text.trim();
    let value: f64 = value_text
        .parse()
        .map_err(|_| format!("`{expr}`: `{value_text}` is not a number; {hint}"))?;
    if !value.is_finite() {
        return Err(format!(
            "`{expr}`: the threshold value must be a finite number"
        ));
    }
    let agg_text = agg_text.trim();
    let aggregation = match agg_text {
        "avg" => Aggregation::Avg,
        "min" => Aggregation::Min,
        "med" => Aggregation::Med,
        "max" => Aggregation::Max,
        "rate" => Aggregation::Rate,
        "count" => Aggregation::Count,
        "value" => Aggregation::Value,
        p if p.starts_with("p(") && p.ends_with(')') => {
            let n: f64 = p[2..p.len() - 1]
                .trim()
                .parse()
                .map_err(|_| format!("`{expr}`: `{p}` needs a number, e.g. p(95) or p(99.9)"))?;
            if !(0.0..=100.0).contains(&n) {
                return Err(format!("`{expr}`: percentile {n} is outside 0 to 100"));
            }
            Aggregation::Percentile(n)
        }
        other => {
            // `p95` or `P(95)`: the percentile written the way other tools write it.
            let digits = other
                .trim_start_matches(['p', 'P'])
                .trim_matches(['(', ')']);
            let hint = if other.len() > 1
                && other.starts_with(['p', 'P'])
                && digits.parse::<f64>().is_ok()
            {
                format!(" (did you mean `p({digits})`?)")
            } else {
                String::new()
            };
            return Err(format!(
                "`{expr}`: unknown aggregation `{other}`{hint}; allowed: avg, min, med, max, p(N), rate, count, value"
            ));
        }
    };
    Ok((aggregation, operator, value))
}

/// Parses one threshold with endpoint names only (no scenarios or checks to filter by).
pub fn parse_threshold(
    key: &str,
    expression: &str,
    endpoints: &[String],
) -> Result<Threshold, String> {
    parse_threshold_in(key, expression, &ThresholdContext::endpoints(endpoints))
}

/// Parses one threshold of the experiment; `cx` resolves the tag filters.
pub fn parse_threshold_in(
    key: &str,
    expression: &str,
    cx: &ThresholdContext,
) -> Result<Threshold, String> {
    let (name, mut tags) = parse_key(key)?;
    let metric = match Metric::NAMES.iter().find(|(n, _)| *n == name) {
        Some((_, m)) => *m,
        None => {
            if let Some(why) = refused(name) {
                return Err(format!("`{name}` is not predicted: {why}"));
            }
            let names: Vec<&str> = Metric::NAMES.iter().map(|(n, _)| *n).collect();
            return Err(format!(
                "{}; capsim predicts k6's built-in HTTP, iteration, check and VU metrics (a custom metric needs a flow that defines it)",
                crate::suggest::unknown_name("metric", name, names.iter().copied())
            ));
        }
    };
    // `{stage:N}` is capsim's own key, read beside k6's tags (the last one wins, as for
    // a repeated tag in k6) and never combined with them.
    let mut stage = None;
    if let Some(i) = tags.iter().rposition(|(t, _)| t == "stage") {
        stage = Some(parse_stage(key, &tags[i].1, metric)?);
        tags.retain(|(t, _)| t != "stage");
        if !tags.is_empty() {
            return Err(format!(
                "`{key}`: a stage filter cannot be combined with other tag filters; keep one"
            ));
        }
    }
    if metric == Metric::GroupDuration && cx.groups.len() <= 1 {
        return Err(format!(
            "`{key}`: the flows call no `group()` (a YAML flow has no groups; a k6 script has them where it calls `group(name, fn)`), so there is no group_duration sample"
        ));
    }
    let (carried, carried_text) = metric.tags();
    let filter =
        resolve(name, &tags, carried, carried_text, cx).map_err(|m| format!("`{key}`: {m}"))?;
    let (aggregation, operator, value) = parse_expression(expression)?;
    if !metric.accepts(aggregation) {
        return Err(format!(
            "`{expression}`: {name} allows {}",
            metric.allowed()
        ));
    }
    Ok(Threshold {
        key: key.to_string(),
        expression: expression.to_string(),
        metric,
        filter,
        sub: None,
        stage,
        aggregation,
        operator,
        value,
        abort_on_fail: false,
        delay_abort_eval: 0,
    })
}

/// Gives each threshold that needs one its accumulator (one per distinct family and
/// filter) and returns them in order: filtered thresholds, and `iteration_duration` and
/// `group_duration` (which the replication does not keep otherwise).
pub fn assign_submetrics(thresholds: &mut [Threshold]) -> Vec<SubmetricPlan> {
    let mut plans: Vec<SubmetricPlan> = Vec::new();
    for t in thresholds.iter_mut() {
        if t.filter.is_empty()
            && t.metric != Metric::IterationDuration
            && t.metric != Metric::GroupDuration
            && !matches!(t.metric, Metric::Custom { .. })
        {
            continue;
        }
        let plan = SubmetricPlan {
            family: t.metric.family(),
            filter: t.filter.clone(),
        };
        t.sub = Some(match plans.iter().position(|p| *p == plan) {
            Some(i) => i,
            None => {
                plans.push(plan);
                plans.len() - 1
            }
        });
    }
    plans
}

/// `{stage:N}`: a stage index (0-based) on a metric that per-stage results carry.
fn parse_stage(key: &str, value: &str, metric: Metric) -> Result<usize, String> {
    if !matches!(
        metric,
        Metric::HttpReqDuration | Metric::HttpReqFailed | Metric::HttpReqs | Metric::Iterations
    ) {
        return Err(format!(
            "`{key}`: `stage` filters http_req_duration, http_req_failed, http_reqs and iterations only"
        ));
    }
    value.parse().map_err(|_| {
        format!("`{key}`: `stage:{value}` needs a stage number counted from 0, e.g. `{{stage:0}}`")
    })
}

/// Every percentile the thresholds ask for (0..=100), sorted and deduplicated.
pub fn required_percentiles(thresholds: &[Threshold]) -> Vec<f64> {
    let mut v: Vec<f64> = thresholds
        .iter()
        .filter_map(|t| match t.aggregation {
            Aggregation::Percentile(p) => Some(p),
            _ => None,
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v.dedup();
    v
}

impl Threshold {
    /// Whether the threshold passes in one replication. An undefined value fails, as in
    /// k6 where a threshold on a metric without samples is not met.
    pub fn passes(&self, observed: f64) -> bool {
        !observed.is_nan() && self.operator.holds(observed, self.value)
    }
}

#[cfg(test)]
#[path = "threshold_tests.rs"]
mod tests;

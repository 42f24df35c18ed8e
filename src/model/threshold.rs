//! k6 thresholds: parsing of `metric{tag:value}` keys and `aggregation op value` expressions
//! (k6's `thresholds_parser.go` grammar), and their evaluation on one replication.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    HttpReqDuration,
    HttpReqFailed,
    HttpReqs,
    Iterations,
    DroppedIterations,
    Checks,
    Vus,
    VusMax,
}

impl Metric {
    const NAMES: [(&'static str, Metric); 8] = [
        ("http_req_duration", Metric::HttpReqDuration),
        ("http_req_failed", Metric::HttpReqFailed),
        ("http_reqs", Metric::HttpReqs),
        ("iterations", Metric::Iterations),
        ("dropped_iterations", Metric::DroppedIterations),
        ("checks", Metric::Checks),
        ("vus", Metric::Vus),
        ("vus_max", Metric::VusMax),
    ];

    /// The aggregations k6 allows on this metric's type (trend, rate, counter, gauge).
    fn allowed(self) -> &'static str {
        match self {
            Metric::HttpReqDuration => "avg, min, med, max, p(N)",
            Metric::HttpReqFailed | Metric::Checks => "rate",
            Metric::HttpReqs | Metric::Iterations | Metric::DroppedIterations => "count, rate",
            Metric::Vus | Metric::VusMax => "value",
        }
    }

    fn accepts(self, a: Aggregation) -> bool {
        use Aggregation::*;
        match self {
            Metric::HttpReqDuration => matches!(a, Avg | Min | Med | Max | Percentile(_)),
            Metric::HttpReqFailed | Metric::Checks => matches!(a, Rate),
            Metric::HttpReqs | Metric::Iterations | Metric::DroppedIterations => {
                matches!(a, Count | Rate)
            }
            Metric::Vus | Metric::VusMax => matches!(a, Value),
        }
    }
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

/// One threshold: a metric (optionally restricted to one endpoint) and an assertion.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// The key as written (`http_req_duration{endpoint:GET /x}`).
    pub key: String,
    /// The expression as written (`p(95)<500`).
    pub expression: String,
    pub metric: Metric,
    /// Endpoint index for `{endpoint:NAME}` (or k6's `{name:NAME}`).
    pub endpoint: Option<usize>,
    /// Stage of the profile for `{stage:N}` (a capsim extension; 0-based, in the order
    /// of `stages:`), checked against the scenario by `model::windows`.
    pub stage: Option<usize>,
    pub aggregation: Aggregation,
    pub operator: Operator,
    pub value: f64,
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: '{}'", self.key, self.expression)
    }
}

/// `(tag, value)` pairs of a sub-metric filter.
pub type TagFilter<'a> = Vec<(&'a str, &'a str)>;

/// Splits `name{tag:value,...}` into the name and its tag pairs.
pub fn parse_key(key: &str) -> Result<(&str, TagFilter<'_>), String> {
    let key = key.trim();
    let Some(open) = key.find('{') else {
        return Ok((key, Vec::new()));
    };
    let inner = key[open + 1..]
        .strip_suffix('}')
        .ok_or_else(|| format!("`{key}`: a sub-metric filter ends with `}}`, e.g. `http_req_duration{{endpoint:GET /}}`"))?;
    let mut tags = Vec::new();
    for pair in inner.split(',') {
        let (t, v) = pair
            .split_once(':')
            .ok_or_else(|| format!("`{key}`: tag filters are written `tag:value`"))?;
        tags.push((t.trim(), v.trim()));
    }
    Ok((key[..open].trim(), tags))
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

/// Parses one threshold of the experiment; `endpoints` resolves `{endpoint:...}` filters.
pub fn parse_threshold(
    key: &str,
    expression: &str,
    endpoints: &[String],
) -> Result<Threshold, String> {
    let (name, tags) = parse_key(key)?;
    let metric = Metric::NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, m)| *m)
        .ok_or_else(|| {
            let names: Vec<&str> = Metric::NAMES.iter().map(|(n, _)| *n).collect();
            crate::suggest::unknown_name("metric", name, names.iter().copied())
        })?;
    let mut endpoint = None;
    let mut stage = None;
    for (tag, value) in tags {
        match tag {
            "stage" => stage = Some(parse_stage(key, value, metric)?),
            "endpoint" | "name"
                if matches!(
                    metric,
                    Metric::HttpReqDuration | Metric::HttpReqFailed | Metric::HttpReqs
                ) =>
            {
                endpoint = Some(endpoints.iter().position(|e| e == value).ok_or_else(|| {
                    crate::suggest::unknown_name(
                        "endpoint",
                        value,
                        endpoints.iter().map(String::as_str),
                    )
                })?);
            }
            other => {
                return Err(format!(
                    "`{key}`: capsim filters sub-metrics by `endpoint` (or k6's `name`) on http_req_* metrics only; `{other}` is not supported"
                ));
            }
        }
    }
    if stage.is_some() && endpoint.is_some() {
        return Err(format!(
            "`{key}`: a stage filter cannot be combined with an endpoint filter; keep one"
        ));
    }
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
        endpoint,
        stage,
        aggregation,
        operator,
        value,
    })
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
mod tests {
    use super::*;

    fn eps() -> Vec<String> {
        vec!["GET /a".into(), "POST /b".into()]
    }

    #[test]
    fn parses_every_k6_form() {
        for (expr, agg, op, v) in [
            (
                "p(95)<500",
                Aggregation::Percentile(95.0),
                Operator::Lt,
                500.0,
            ),
            (
                "p(99.9) <= 1000",
                Aggregation::Percentile(99.9),
                Operator::Le,
                1000.0,
            ),
            ("avg>10", Aggregation::Avg, Operator::Gt, 10.0),
            ("min>=1", Aggregation::Min, Operator::Ge, 1.0),
            ("med==3", Aggregation::Med, Operator::Eq, 3.0),
            ("max===4", Aggregation::Max, Operator::Eq, 4.0),
            ("max!=5", Aggregation::Max, Operator::Ne, 5.0),
        ] {
            let t = parse_threshold("http_req_duration", expr, &eps()).unwrap();
            assert_eq!((t.aggregation, t.operator, t.value), (agg, op, v), "{expr}");
        }
        assert_eq!(
            parse_threshold("http_req_failed", "rate<0.01", &eps())
                .unwrap()
                .aggregation,
            Aggregation::Rate
        );
        assert_eq!(
            parse_threshold("http_reqs", "count>100", &eps())
                .unwrap()
                .aggregation,
            Aggregation::Count
        );
        assert_eq!(
            parse_threshold("vus_max", "value<=5000", &eps())
                .unwrap()
                .aggregation,
            Aggregation::Value
        );
    }

    #[test]
    fn sub_metrics_by_endpoint() {
        let t =
            parse_threshold("http_req_duration{endpoint:POST /b}", "p(95)<1000", &eps()).unwrap();
        assert_eq!(t.endpoint, Some(1));
        let t = parse_threshold("http_req_duration{name:GET /a}", "avg<1", &eps()).unwrap();
        assert_eq!(t.endpoint, Some(0));
        assert!(
            parse_threshold("http_req_duration{endpoint:GET /c}", "avg<1", &eps())
                .unwrap_err()
                .contains("did you mean")
        );
        assert!(parse_threshold("http_req_duration{scenario:x}", "avg<1", &eps()).is_err());
    }

    #[test]
    fn sub_metrics_by_stage() {
        let t = parse_threshold("http_req_duration{stage:2}", "p(95)<300", &eps()).unwrap();
        assert_eq!((t.stage, t.endpoint), (Some(2), None));
        let t = parse_threshold("http_req_failed{stage:0}", "rate<0.01", &eps()).unwrap();
        assert_eq!(t.stage, Some(0));
        assert!(parse_threshold("http_req_duration{stage:x}", "avg<1", &eps()).is_err());
        assert!(parse_threshold("http_req_duration{stage:-1}", "avg<1", &eps()).is_err());
        assert!(parse_threshold("vus{stage:1}", "value<1", &eps()).is_err());
        assert!(
            parse_threshold(
                "http_req_duration{stage:1,endpoint:GET /a}",
                "avg<1",
                &eps()
            )
            .is_err()
        );
    }

    #[test]
    fn rejects_malformed() {
        for (key, expr) in [
            ("http_req_duration", "p95<500"),
            ("http_req_duration", "p(95)<"),
            ("http_req_duration", "p(95)<abc"),
            ("http_req_duration", "p(101)<5"),
            ("http_req_duration", "rate<0.1"),
            ("http_req_failed", "p(95)<1"),
            ("http_req_duration", "avg 500"),
            ("http_req_duraton", "avg<5"),
            ("http_req_duration{endpoint:GET /a", "avg<5"),
        ] {
            assert!(
                parse_threshold(key, expr, &eps()).is_err(),
                "{key} {expr} should fail"
            );
        }
        assert!(
            parse_threshold("http_req_duraton", "avg<5", &eps())
                .unwrap_err()
                .contains("http_req_duration")
        );
    }

    #[test]
    fn operators_compare() {
        assert!(Operator::Lt.holds(1.0, 2.0) && !Operator::Lt.holds(2.0, 2.0));
        assert!(Operator::Le.holds(2.0, 2.0));
        assert!(Operator::Ne.holds(1.0, 2.0) && !Operator::Eq.holds(1.0, 2.0));
    }
}

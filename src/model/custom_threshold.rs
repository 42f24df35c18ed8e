//! A threshold on a k6 script's custom metric (`errors: ['rate<0.01']`,
//! `response_time{scenario:ramp}: ['p(95)<400']`): k6's expression grammar, the aggregations
//! the metric's kind allows, and the `scenario` and `group` filters; which thresholds of an experiment
//! are on custom metrics, and the notes on those that cannot be evaluated.

use crate::error::FieldError;
use crate::model::custom_metrics::{CustomKind, CustomMetric};
use crate::model::threshold::{Metric, Threshold, parse_expression, parse_key};
use crate::model::threshold_filter::{ThresholdContext, resolve};
use crate::spec::k6_options::ThresholdSpec;

impl CustomKind {
    /// The built-in metric of the same k6 type (trend, rate, counter, gauge), whose
    /// aggregations this kind allows.
    pub(crate) fn like(self) -> Metric {
        match self {
            CustomKind::Trend => Metric::HttpReqDuration,
            CustomKind::Rate => Metric::HttpReqFailed,
            CustomKind::Counter => Metric::HttpReqs,
            CustomKind::Gauge => Metric::Vus,
        }
    }
}

/// One threshold on custom metric `index` of kind `kind`; `cx` resolves its tag filters
/// (`scenario`, `group`: the group an add() was called in).
pub fn parse_custom_threshold(
    key: &str,
    expression: &str,
    index: u32,
    kind: CustomKind,
    cx: &ThresholdContext,
) -> Result<Threshold, String> {
    let (name, tags) = parse_key(key)?;
    let metric = Metric::Custom { index, kind };
    if tags.iter().any(|(t, _)| t == "stage") {
        return Err(format!(
            "`{key}`: `stage` filters http_req_duration, http_req_failed, http_reqs and \
             iterations only"
        ));
    }
    let (carried, carried_text) = metric.tags();
    let filter =
        resolve(name, &tags, carried, carried_text, cx).map_err(|m| format!("`{key}`: {m}"))?;
    let (aggregation, operator, value) = parse_expression(expression)?;
    if !metric.accepts(aggregation) {
        return Err(format!(
            "`{expression}`: {name} is a custom {} and allows {}",
            kind.name(),
            metric.allowed()
        ));
    }
    Ok(Threshold {
        key: key.to_string(),
        expression: expression.to_string(),
        metric,
        filter,
        sub: None,
        stage: None,
        aggregation,
        operator,
        value,
        abort_on_fail: false,
        delay_abort_eval: 0,
    })
}

/// Thresholds on a k6 script's custom metrics: (key, entries, metric index, kind).
pub(crate) type CustomThresholds = Vec<(String, Vec<ThresholdSpec>, u32, CustomKind)>;

/// Takes the thresholds on custom metrics out of `written`: those on predicted metrics
/// come back to be evaluated; those on metrics capsim cannot predict get a note (not
/// evaluated, inconclusive) and are listed on the metric, never passed silently.
pub(crate) fn split_custom(
    written: Vec<(String, Vec<ThresholdSpec>)>,
    metrics: &mut [CustomMetric],
    notes: &mut Vec<String>,
) -> (Vec<(String, Vec<ThresholdSpec>)>, CustomThresholds) {
    let mut rest = Vec::new();
    let mut custom = Vec::new();
    for (k, v) in written {
        let base = k.split('{').next().unwrap_or(&k).trim().to_string();
        let Some(i) = metrics.iter().position(|m| m.name == base) else {
            rest.push((k, v));
            continue;
        };
        let m = &mut metrics[i];
        match &m.not_predicted {
            Some(why) => {
                notes.push(format!(
                    "threshold `{k}` on the script's custom {} `{base}` is not evaluated \
                     (inconclusive): `{base}` is not predicted: {why}",
                    m.kind.name()
                ));
                m.thresholds_not_evaluated
                    .extend(v.iter().map(|e| format!("{k}: '{}'", e.expression)));
            }
            None => custom.push((k, v, i as u32, m.kind)),
        }
    }
    (rest, custom)
}

pub(crate) fn build_custom_thresholds(
    custom: &CustomThresholds,
    cx: &ThresholdContext,
) -> Result<Vec<Threshold>, FieldError> {
    let mut out = Vec::new();
    for (key, entries, index, kind) in custom {
        for (i, e) in entries.iter().enumerate() {
            let mut t = parse_custom_threshold(key, &e.expression, *index, *kind, cx)
                .map_err(|m| FieldError::new(format!("thresholds.{key}[{i}]"), m))?;
            t.abort_on_fail = e.abort_on_fail;
            t.delay_abort_eval = e.delay_abort_eval.unwrap_or(0);
            out.push(t);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_takes_k6s_aggregations() {
        let names = vec!["GET /a".to_string()];
        let scen = vec!["ramp".to_string()];
        let cx = ThresholdContext {
            endpoints: &names,
            scenarios: &scen,
            checks: &[],
            groups: &[],
        };
        let t = parse_custom_threshold("errors", "rate<0.01", 0, CustomKind::Rate, &cx).unwrap();
        assert_eq!(
            t.metric,
            Metric::Custom {
                index: 0,
                kind: CustomKind::Rate
            }
        );
        assert!(parse_custom_threshold("errors", "p(95)<1", 0, CustomKind::Rate, &cx).is_err());
        let t = parse_custom_threshold("rt{scenario:ramp}", "p(95)<400", 1, CustomKind::Trend, &cx)
            .unwrap();
        assert_eq!(t.filter.scenario, Some(0));
        assert!(
            parse_custom_threshold("rt{scenario:x}", "avg<1", 1, CustomKind::Trend, &cx).is_err()
        );
        assert!(parse_custom_threshold("rt{stage:0}", "avg<1", 1, CustomKind::Trend, &cx).is_err());
        assert!(parse_custom_threshold("n", "count>10", 2, CustomKind::Counter, &cx).is_ok());
        assert!(parse_custom_threshold("n", "rate>10", 2, CustomKind::Counter, &cx).is_ok());
        assert!(parse_custom_threshold("n", "avg>10", 2, CustomKind::Counter, &cx).is_err());
        // `group`: a path of the script's groups (the group an add() was called in).
        let groups = vec![String::new(), "::login".to_string()];
        let cx = ThresholdContext {
            groups: &groups,
            ..cx
        };
        let t = parse_custom_threshold("e{group:::login}", "rate<0.01", 0, CustomKind::Rate, &cx)
            .unwrap();
        assert_eq!(t.filter.group, Some(1));
        let e = parse_custom_threshold("e{group:::lgin}", "rate<0.01", 0, CustomKind::Rate, &cx)
            .unwrap_err();
        assert!(e.contains("::login"), "{e}");
    }
}

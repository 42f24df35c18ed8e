//! Tests of `threshold.rs`: parsing k6 threshold keys and expressions, sub-metrics.

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
    let t = parse_threshold("http_req_duration{endpoint:POST /b}", "p(95)<1000", &eps()).unwrap();
    assert_eq!(t.filter.endpoints, Some(vec![1]));
    let t = parse_threshold("http_req_duration{name:GET /a}", "avg<1", &eps()).unwrap();
    assert_eq!(t.filter.endpoints, Some(vec![0]));
    assert!(
        parse_threshold("http_req_duration{endpoint:GET /c}", "avg<1", &eps())
            .unwrap_err()
            .contains("did you mean")
    );
    assert!(parse_threshold("http_req_duration{scenario:x}", "avg<1", &eps()).is_err());
}

#[test]
fn filtered_thresholds_share_one_accumulator_per_family_and_filter() {
    let names = eps();
    let cx = ThresholdContext {
        endpoints: &names,
        scenarios: &["ramp".to_string()],
        checks: &[],
        groups: &[],
    };
    let mut ts: Vec<Threshold> = [
        ("http_req_duration{name:GET /a,status:200}", "p(95)<1"),
        ("http_req_failed{status:200,name:GET /a}", "rate<1"),
        ("http_req_duration", "avg<1"),
        ("iteration_duration", "avg<1"),
        ("iterations{scenario:ramp}", "count>1"),
        ("iteration_duration{scenario:ramp}", "max<1"),
    ]
    .iter()
    .map(|(k, e)| parse_threshold_in(k, e, &cx).unwrap())
    .collect();
    let plans = assign_submetrics(&mut ts);
    let subs: Vec<Option<usize>> = ts.iter().map(|t| t.sub).collect();
    // Same filter in another order, same family: one accumulator; the whole
    // http_req_duration needs none; iteration_duration always has one.
    assert_eq!(subs, [Some(0), Some(0), None, Some(1), Some(2), Some(2)]);
    assert_eq!(plans.len(), 3);
    assert_eq!(plans[0].family, Family::Http);
    assert_eq!(plans[2].filter.scenario, Some(0));
}

#[test]
fn sub_metrics_by_stage() {
    let t = parse_threshold("http_req_duration{stage:2}", "p(95)<300", &eps()).unwrap();
    assert_eq!((t.stage, t.filter.is_empty()), (Some(2), true));
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

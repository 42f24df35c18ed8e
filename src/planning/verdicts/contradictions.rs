//! Contradictions in the plan's own numbers: against the response-time law, its own
//! thresholds, its spike scenario and its own success criteria.

use crate::planning::Ran;
use crate::planning::measures::{flow_shape, threshold_limits};
use crate::planning::plan::PlanSpec;
use crate::planning::verdicts::criteria::criterion_default_experiments;
use crate::planning::verdicts::probability::{est, find, num, pct};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Contradiction {
    /// Which row or criterion.
    pub subject: String,
    pub kind: &'static str,
    pub text: String,
}

fn passing(status: &Option<String>) -> bool {
    status.as_deref().is_some_and(|s| {
        s.to_ascii_uppercase().contains("PASS") || s.to_ascii_uppercase().contains("ACCEPT")
    })
}

/// The response-time law for a closed loop: N users, each iteration k requests and Z s of
/// think time, mean response R s: X <= k N / (Z + k R).
pub fn closed_loop_ceiling(n: f64, k: f64, z: f64, r_s: f64) -> f64 {
    k * n / (z + k * r_s)
}

/// Contradictions between the plan's numbers, the operational laws, its own thresholds and
/// its own success criteria.
pub fn contradictions(plan: &PlanSpec, runs: &[Ran]) -> Vec<Contradiction> {
    let mut out = Vec::new();
    for row in &plan.rows {
        let Some(run) = find(runs, &row.experiment) else {
            continue;
        };
        let e = &row.expected;
        let (k, z) = flow_shape(&run.exp);
        let (p95_lim, err_lim) = threshold_limits(&run.exp);
        if let (Some(n), Some(x)) = (e.users, e.request_rate)
            && k > 0.0
            && z > 0.0
        {
            let at_zero = closed_loop_ceiling(n, k, z, 0.0);
            let needed_r_ms = (k * n / x - z) / k * 1000.0;
            match e.response_time_ms {
                Some(r) => {
                    let cap = closed_loop_ceiling(n, k, z, r / 1000.0);
                    if x > cap * 1.005 {
                        let tail = if x > at_zero {
                            format!(
                                "no response time can deliver it: even at R = 0 the ceiling is {} req/s",
                                num(at_zero)
                            )
                        } else {
                            format!(
                                "{} req/s would need an average response time of {} ms, not {} ms",
                                num(x),
                                num(needed_r_ms),
                                num(r)
                            )
                        };
                        out.push(Contradiction {
                            subject: row.row.clone(),
                            kind: "response-time law",
                            text: format!(
                                "{} users running this flow ({} requests and {} s of think time per iteration) \
                                 with {} ms responses make at most X = {}x{} / ({} + {}x{}) = {} req/s; the plan claims {} req/s ({} % more). {tail}.",
                                num(n),
                                num(k),
                                num(z),
                                num(r),
                                num(k),
                                num(n),
                                num(z),
                                num(k),
                                num(r / 1000.0),
                                num(cap),
                                num(x),
                                num((x / cap - 1.0) * 100.0)
                            ),
                        });
                    }
                }
                None if x > at_zero * 1.005 => out.push(Contradiction {
                    subject: row.row.clone(),
                    kind: "response-time law",
                    text: format!(
                        "{} users with {} s of think time per {} requests make at most {} req/s even at zero response time; the plan claims {}.",
                        num(n),
                        num(z),
                        num(k),
                        num(at_zero),
                        num(x)
                    ),
                }),
                None => {}
            }
        }
        if let (Some(er), Some(lim)) = (e.error_rate, err_lim)
            && er >= lim
            && passing(&e.status)
        {
            out.push(Contradiction {
                subject: row.row.clone(),
                kind: "own threshold",
                text: format!(
                    "the plan expects {} errors and status {:?}, but its own test threshold is http_req_failed rate<{}: \
                     with {} errors k6 fails the test.",
                    pct(er),
                    e.status.clone().unwrap_or_default(),
                    num(lim),
                    pct(er)
                ),
            });
        }
        if let (Some(avg), Some(lim)) = (e.response_time_ms, p95_lim)
            && avg >= lim
            && passing(&e.status)
        {
            let tail_avg = (avg - 0.95 * lim) / 0.05;
            out.push(Contradiction {
                subject: row.row.clone(),
                kind: "own threshold",
                text: format!(
                    "the plan expects an average of {} ms and status {:?}, but its threshold is p(95)<{}: \
                     for the average to be {} ms with 95 % of requests under {} ms, the slowest 5 % would have to average over {} ms. \
                     In practice the p(95) threshold fails.",
                    num(avg),
                    e.status.clone().unwrap_or_default(),
                    num(lim),
                    num(avg),
                    num(lim),
                    num(tail_avg)
                ),
            });
        }
    }
    // The spike's claimed peak against what its scenario reaches.
    if let Some(s) = &plan.spike
        && let (Some(claimed), Some(run)) = (s.expected.peak_users, find(runs, &s.experiment))
    {
        let peak = est(run, |m| m.peak_vus).mean;
        if (peak - claimed).abs() > 0.05 * claimed {
            out.push(Contradiction {
                subject: s.row.clone(),
                kind: "scenario",
                text: format!(
                    "the plan's results say {} peak users, but the spike scenario it runs reaches {} VUs.",
                    num(claimed),
                    num(peak)
                ),
            });
        }
    }
    // Success criteria against the table and the tests' thresholds.
    for c in &plan.criteria {
        match (c.metric.as_str(), c.below, c.at_least) {
            ("error_rate", Some(lim), _) => {
                for row in &plan.rows {
                    if let Some(er) = row.expected.error_rate
                        && er >= lim
                    {
                        out.push(Contradiction {
                            subject: c.name.clone(),
                            kind: "criterion vs table",
                            text: format!(
                                "the criterion asks for errors under {}, but the plan's own table expects {} for {} (status {:?}).",
                                pct(lim),
                                pct(er),
                                row.row,
                                row.expected.status.clone().unwrap_or_default()
                            ),
                        });
                    }
                }
            }
            ("p95_ms", Some(lim), _) => {
                let mut gates: Vec<f64> = plan
                    .rows
                    .iter()
                    .filter_map(|r| find(runs, &r.experiment))
                    .filter_map(|r| threshold_limits(&r.exp).0)
                    .collect();
                gates.sort_by(f64::total_cmp);
                gates.dedup();
                for g in gates {
                    if (g - lim).abs() > 1e-9 {
                        out.push(Contradiction {
                            subject: c.name.clone(),
                            kind: "criterion vs threshold",
                            text: format!(
                                "the criterion is p(95) under {} ms, but the plan's k6 tests gate on p(95)<{}: \
                                 a run can meet the criterion and still fail the test.",
                                num(lim),
                                num(g)
                            ),
                        });
                    }
                }
            }
            ("request_rate", _, Some(want)) => {
                for name in criterion_default_experiments(plan, c) {
                    let Some(run) = find(runs, &name) else {
                        continue;
                    };
                    let (k, z) = flow_shape(&run.exp);
                    let n = est(run, |m| m.peak_vus).mean;
                    if k > 0.0 && z > 0.0 {
                        let at_zero = closed_loop_ceiling(n, k, z, 0.0);
                        let needed = (k * n / want - z) / k * 1000.0;
                        if want > at_zero * 1.005 {
                            out.push(Contradiction {
                                subject: c.name.clone(),
                                kind: "response-time law",
                                text: format!(
                                    "{} req/s from {} VUs ({}) is impossible: the ceiling at zero response time is {} req/s.",
                                    num(want),
                                    num(n),
                                    name,
                                    num(at_zero)
                                ),
                            });
                        } else if needed < 250.0 {
                            out.push(Contradiction {
                                subject: c.name.clone(),
                                kind: "response-time law",
                                text: format!(
                                    "{} req/s from {} VUs ({}) needs an average response time of at most {} ms \
                                     (ceiling {} req/s at R = 0), while the plan's own table expects {} ms at that load.",
                                    num(want),
                                    num(n),
                                    name,
                                    num(needed),
                                    num(at_zero),
                                    plan.rows
                                        .iter()
                                        .find(|r| r.experiment == name)
                                        .and_then(|r| r.expected.response_time_ms)
                                        .map(num)
                                        .unwrap_or_else(|| "-".into())
                                ),
                            });
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

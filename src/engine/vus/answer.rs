//! What an answered request records, as k6 records a response: `http_req_duration`,
//! `http_req_failed`, its checks and what it adds to custom metrics. A single request and
//! each request of a batch go through here.

use super::{VuCx, VuPool};
use crate::engine::outcome::Cause;
use crate::model::experiment::{AddValue, Experiment, FlowStep};
use crate::time::Nanos;

/// What a response adds to a custom metric (`Trend.add(res.timings.duration)`,
/// `Rate.add(!success)`, `Rate.add(res.status !== 200)`, `Counter.add(1)`).
#[inline]
fn add_value(exp: &Experiment, value: AddValue, error: Option<Cause>, duration: Nanos) -> f64 {
    match value {
        AddValue::Duration => duration as f64 / 1e6,
        AddValue::Constant(c) => c,
        AddValue::Status { mask } => {
            let status = crate::engine::submetrics::status_of(error);
            let bit = crate::model::threshold_filter::SIMULATED_STATUSES
                .iter()
                .position(|(s, _)| *s == status)
                .unwrap_or(0);
            f64::from((mask >> bit) & 1)
        }
        AddValue::AllPass { first, n, negate } => {
            let all = exp.add_conditions[first as usize..(first + n) as usize]
                .iter()
                .all(|c| c.passes(error.is_some(), duration));
            f64::from(u8::from(all != negate))
        }
    }
}

impl VuPool {
    /// One answered request as a sample, as k6 records it: `http_req_duration`,
    /// `http_req_failed`, its checks and what it adds to custom metrics (`step`: its
    /// [`FlowStep::Request`]).
    #[inline(always)]
    pub(super) fn record_response(
        &self,
        vu: u32,
        step: u32,
        endpoint: usize,
        duration: Nanos,
        error: Option<Cause>,
        cx: &mut VuCx,
    ) {
        let v = &self.vus[vu as usize];
        cx.rec.response(endpoint, duration, error);
        if cx.rec.subs.records_responses() {
            cx.rec
                .subs
                .response(endpoint, v.scenario as usize, v.group, duration, error);
        }
        if error.is_some() {
            cx.rec.accounting.failed += 1;
        } else {
            cx.rec.accounting.succeeded += 1;
        }
        if cx.exp.checks.is_empty() && cx.exp.metric_adds.is_empty() {
            return;
        }
        if let Some(FlowStep::Request {
            first_check,
            n_checks,
            first_add,
            n_adds,
            ..
        }) = cx.exp.flows[v.flow as usize]
            .steps
            .get(step as usize)
            .copied()
        {
            for k in first_check..first_check + n_checks {
                let passed = cx.exp.checks[k as usize]
                    .condition
                    .passes(error.is_some(), duration);
                cx.rec.check(k as usize, passed);
                cx.rec
                    .subs
                    .check(k as usize, v.scenario as usize, v.group, passed);
            }
            for a in first_add..first_add + n_adds {
                let add = cx.exp.metric_adds[a as usize];
                let value = add_value(cx.exp, add.value, error, duration);
                cx.rec
                    .subs
                    .custom(add.metric as usize, v.scenario as usize, add.group, value);
            }
        }
    }
}

//! VU steps of ramping-vus: every change of the VU count, as k6 v1.8.1 computes it, and
//! the VU count at a given time.

use crate::time::Nanos;
use crate::workload::executor::Stage;

/// From `at` (relative to the scenario start) on, the plan has `vus` VUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VuStep {
    pub at: Nanos,
    pub vus: u64,
}

/// Every change of the ramping-vus VU count, as k6 v1.8.1 `getRawExecutionSteps(et, true)`
/// computes it (without execution segments). The first step is `{at: 0, vus: start_vus}`.
///
/// For a stage from `a` to `b` VUs over `D` ns, starting at `T0` and ending at `T = T0 + D`:
/// * ramp up: VU `v` (a < v <= b) starts at `T - floor(D*(b-v)/(b-a))`, i.e. the count is
///   `floor(a + (b-a)(t-T0)/D)`;
/// * ramp down: the count drops from `v` to `v-1` at `T - floor(D*(v-b-1)/(a-b))`, i.e. the
///   count is `ceil(a + (b-a)(t-T0)/D)` (k6: "we stop it on the next unscaled VU's time");
/// * `D = 0`: jump to `b` at `T0`; a stage with `a == b` adds nothing.
///
/// The count after the last step holds until the end of the stages (the executor's
/// `regular_duration`), where all remaining VUs stop starting iterations and `gracefulStop`
/// applies; that end is not a step here (k6's `zeroEnd` step), so every step with fewer
/// VUs than the one before is a ramp-down removal. A VU removed by a ramp-down at `at` may
/// finish its iteration until `min(at + gracefulRampDown, end + gracefulStop)`.
///
/// Differences from k6's raw list, which change no VU count over time: k6 can emit several
/// steps at the same nanosecond (a steep ramp, `D` smaller than the VU difference); here
/// they are merged into one step with the count in force after that instant, so `at` is
/// strictly increasing and consecutive `vus` always differ.
pub fn ramping_vus_steps(start_vus: u64, stages: &[Stage]) -> Vec<VuStep> {
    let mut steps = vec![VuStep {
        at: 0,
        vus: start_vus,
    }];
    let mut end: Nanos = 0;
    let mut from = start_vus;
    for stage in stages {
        end = end.saturating_add(stage.duration);
        let to = stage.target;
        let d = stage.duration as u128;
        if to == from {
            continue;
        }
        if d == 0 {
            push_step(&mut steps, end, to);
        } else if to > from {
            let diff = (to - from) as u128;
            for v in from + 1..=to {
                let back = (d * (to - v) as u128 / diff) as Nanos;
                push_step(&mut steps, end - back, v);
            }
        } else {
            let diff = (from - to) as u128;
            for v in (to + 1..=from).rev() {
                let back = (d * (v - to - 1) as u128 / diff) as Nanos;
                push_step(&mut steps, end - back, v - 1);
            }
        }
        from = to;
    }
    steps
}

/// Appends a step, merging steps at the same instant and dropping non-changes.
fn push_step(steps: &mut Vec<VuStep>, at: Nanos, vus: u64) {
    let n = steps.len();
    let last = steps[n - 1];
    if last.vus == vus {
        return;
    }
    if last.at == at {
        // Same instant: the newer count wins. If that undoes the change made by the step
        // before, the instant has no change at all (the first step is always kept).
        if n >= 2 && steps[n - 2].vus == vus {
            steps.pop();
        } else {
            steps[n - 1].vus = vus;
        }
    } else {
        steps.push(VuStep { at, vus });
    }
}

/// The VU count at offset `t` of a step list from [`ramping_vus_steps`] (0 before any step).
pub fn vus_at(steps: &[VuStep], t: Nanos) -> u64 {
    match steps.partition_point(|s| s.at <= t) {
        0 => 0,
        i => steps[i - 1].vus,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::NANOS_PER_SEC as S;

    fn st(secs: u64, target: u64) -> Stage {
        Stage {
            duration: secs * S,
            target,
        }
    }

    fn step(at: Nanos, vus: u64) -> VuStep {
        VuStep { at, vus }
    }

    #[test]
    fn ramp_up_0_to_10_over_10s_adds_vu_v_at_v_seconds() {
        // VU v starts at 10s - floor(10s*(10-v)/10) = v seconds.
        let got = ramping_vus_steps(0, &[st(10, 10)]);
        let mut want = vec![step(0, 0)];
        want.extend((1..=10).map(|v| step(v * S, v)));
        assert_eq!(got, want);
        assert_eq!(vus_at(&got, 3 * S - 1), 2);
        assert_eq!(vus_at(&got, 3 * S), 3);
    }

    #[test]
    fn ramp_up_then_hold_keeps_the_last_vu() {
        // 0 -> 10 over 10s, then hold 10 for 5s: the hold adds no step.
        let got = ramping_vus_steps(0, &[st(10, 10), st(5, 10)]);
        let mut want = vec![step(0, 0)];
        want.extend((1..=10).map(|v| step(v * S, v)));
        assert_eq!(got, want);
        assert_eq!(vus_at(&got, 15 * S), 10);
    }

    #[test]
    fn ramp_down_10_to_0_over_10s_uses_ceil() {
        // Start 10, ramp to 0 over 10s: count(t) = ceil(10 - t/1s), so it drops from v to
        // v-1 at (11-v) s: 10->9 at 1s, 9->8 at 2s, ..., 1->0 at 10s.
        let got = ramping_vus_steps(10, &[st(10, 0)]);
        let mut want = vec![step(0, 10)];
        want.extend((1..=10).map(|k| step(k * S, 10 - k)));
        assert_eq!(got, want);
        assert_eq!(vus_at(&got, S / 2), 10);
        assert_eq!(vus_at(&got, 9 * S + S / 2), 1);
    }

    #[test]
    fn uneven_ramps_floor_and_ceil() {
        // 0 -> 3 over 10s: VU v at 10s - floor(10s*(3-v)/3): v=1 at 10-6.666.. = 3.333333334s,
        // v=2 at 10-3.333.. = 6.666666667s, v=3 at 10s.
        // Then 3 -> 1 over 5s (T0=10s, T=15s): drop v->v-1 at 15s - floor(5s*(v-2)/2):
        // 3->2 at 15-2.5 = 12.5s, 2->1 at 15s.
        let got = ramping_vus_steps(0, &[st(10, 3), st(5, 1)]);
        assert_eq!(
            got,
            vec![
                step(0, 0),
                step(3_333_333_334, 1),
                step(6_666_666_667, 2),
                step(10 * S, 3),
                step(12_500_000_000, 2),
                step(15 * S, 1),
            ]
        );
    }

    #[test]
    fn zero_duration_stage_jumps() {
        // 2 VUs, jump to 5 at 0 (replaces the start), hold 5 for 4s, jump to 1 at 4s.
        let got = ramping_vus_steps(2, &[st(0, 5), st(4, 5), st(0, 1), st(1, 1)]);
        assert_eq!(got, vec![step(0, 5), step(4 * S, 1)]);
        // A jump later in the plan.
        let got = ramping_vus_steps(0, &[st(2, 0), st(0, 7), st(3, 7)]);
        assert_eq!(got, vec![step(0, 0), step(2 * S, 7)]);
        // A jump up and straight back down at the same instant is no change at all.
        let got = ramping_vus_steps(1, &[st(1, 1), st(0, 9), st(0, 1), st(1, 2)]);
        assert_eq!(got, vec![step(0, 1), step(2 * S, 2)]);
    }

    #[test]
    fn steep_ramp_merges_same_instant_steps() {
        // 0 -> 10 over 1ns: floor(1*(10-v)/10) = 0 for v >= 1, so all 10 VUs at 1ns.
        let got = ramping_vus_steps(
            0,
            &[
                Stage {
                    duration: 1,
                    target: 10,
                },
                st(1, 10),
            ],
        );
        assert_eq!(got, vec![step(0, 0), step(1, 10)]);
    }
}

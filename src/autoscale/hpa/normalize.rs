//! Normalization of the metrics' proposal (§1.8, §1.9): the legacy path (stabilization and
//! `convertDesiredReplicasWithRules`) and the behavior path (stabilization windows,
//! scale-up/down policies and their limits, `selectPolicy`, scale events).

use crate::autoscale::hpa::config::ControllerConfig;
use crate::autoscale::hpa::spec::{Behavior, PolicyType, ScalingRules, SelectPolicy};
use crate::autoscale::hpa::state::{HpaState, Recommendation, ScaleEvent};
use crate::time::{NANOS_PER_SEC, Nanos};

pub(super) fn secs(s: u32) -> Nanos {
    s as Nanos * NANOS_PER_SEC
}

/// `t.After(now - window)` without underflow: the record is younger than the window.
fn within(t: Nanos, window: Nanos, now: Nanos) -> bool {
    t.saturating_add(window) > now
}

/// `t.Before(now - window)`: the record is older than the window.
fn older(t: Nanos, window: Nanos, now: Nanos) -> bool {
    t.saturating_add(window) < now
}

/// `stabilizeRecommendation` (legacy path, §1.8): the maximum over records whose age is at
/// most `window` (`!Before(cutoff)`, so `<=`), then stores `desired` in the last expired
/// slot or appends it.
pub fn stabilize_legacy(
    recommendations: &mut Vec<Recommendation>,
    desired: u32,
    now: Nanos,
    window: Nanos,
) -> u32 {
    let mut max_rec = desired;
    let mut old: Option<usize> = None;
    for (i, r) in recommendations.iter().enumerate() {
        if older(r.timestamp, window, now) {
            old = Some(i);
        } else if r.replicas > max_rec {
            max_rec = r.replicas;
        }
    }
    let rec = Recommendation {
        replicas: desired,
        timestamp: now,
    };
    match old {
        Some(i) => recommendations[i] = rec,
        None => recommendations.push(rec),
    }
    max_rec
}

/// `convertDesiredReplicasWithRules` (legacy path, §1.8): (replicas, condition reason).
pub fn convert_with_rules(
    current: u32,
    desired: u32,
    min: u32,
    max: u32,
    config: &ControllerConfig,
) -> (u32, &'static str) {
    let limit = (config.scale_up_limit_factor * current as f64).max(config.scale_up_limit_minimum);
    let scale_up_limit = if limit >= i32::MAX as f64 {
        i32::MAX as u32
    } else {
        limit as u32 // int32() truncation
    };
    let (maximum, reason) = if max > scale_up_limit {
        (scale_up_limit, "ScaleUpLimit")
    } else {
        (max, "TooManyReplicas")
    };
    if desired < min {
        (min, "TooFewReplicas")
    } else if desired > maximum {
        (maximum, reason)
    } else {
        (desired, "DesiredWithinRange")
    }
}

/// `stabilizeRecommendationWithBehaviors` (§1.9.1): clamps `current` between the minimum
/// of recent recommendations in the scale-up window and the maximum in the scale-down
/// window (both `age < window`), records `desired`, and returns (replicas, reason).
pub fn stabilize_with_behavior(
    recommendations: &mut Vec<Recommendation>,
    current: u32,
    desired: u32,
    up_window: Nanos,
    down_window: Nanos,
    now: Nanos,
) -> (u32, &'static str) {
    let mut up = desired;
    let mut down = desired;
    let mut old: Option<usize> = None;
    for (i, r) in recommendations.iter().enumerate() {
        if within(r.timestamp, up_window, now) {
            up = up.min(r.replicas);
        }
        if within(r.timestamp, down_window, now) {
            down = down.max(r.replicas);
        }
        if older(r.timestamp, up_window, now) && older(r.timestamp, down_window, now) {
            old = Some(i);
        }
    }
    let mut recommendation = current;
    if recommendation < up {
        recommendation = up;
    }
    if recommendation > down {
        recommendation = down;
    }
    let rec = Recommendation {
        replicas: desired,
        timestamp: now,
    };
    match old {
        Some(i) => recommendations[i] = rec,
        None => recommendations.push(rec),
    }
    let reason = if desired >= current {
        "ScaleUpStabilized"
    } else {
        "ScaleDownStabilized"
    };
    (recommendation, reason)
}

/// `getReplicasChangePerPeriod` (§1.9.3): the sum of changes younger than the period.
pub fn replicas_change_per_period(period_seconds: u32, events: &[ScaleEvent], now: Nanos) -> i64 {
    events
        .iter()
        .filter(|e| within(e.timestamp, secs(period_seconds), now))
        .map(|e| e.change as i64)
        .sum()
}

/// `calculateScaleUpLimitWithScalingRules` (§1.9.2), from the replica count at the start of
/// each policy's period (`current - added + deleted`).
pub fn scale_up_limit(
    current: u32,
    up_events: &[ScaleEvent],
    down_events: &[ScaleEvent],
    rules: &ScalingRules,
    now: Nanos,
) -> i64 {
    let pick: fn(i64, i64) -> i64 = match rules.select_policy {
        SelectPolicy::Disabled => return current as i64,
        SelectPolicy::Min => i64::min,
        SelectPolicy::Max => i64::max,
    };
    let mut result = match rules.select_policy {
        SelectPolicy::Min => i32::MAX as i64,
        _ => i32::MIN as i64,
    };
    for p in &rules.policies {
        let added = replicas_change_per_period(p.period_seconds, up_events, now);
        let deleted = replicas_change_per_period(p.period_seconds, down_events, now);
        let start = current as i64 - added + deleted;
        let proposed = match p.kind {
            PolicyType::Pods => start + p.value as i64,
            // Rounded up so that a small percentage can still add a pod.
            PolicyType::Percent => (start as f64 * (1.0 + p.value as f64 / 100.0)).ceil() as i64,
        };
        result = pick(result, proposed);
    }
    result
}

/// `calculateScaleDownLimitWithBehaviors` (§1.9.2); percent limits are truncated.
pub fn scale_down_limit(
    current: u32,
    up_events: &[ScaleEvent],
    down_events: &[ScaleEvent],
    rules: &ScalingRules,
    now: Nanos,
) -> i64 {
    let pick: fn(i64, i64) -> i64 = match rules.select_policy {
        SelectPolicy::Disabled => return current as i64,
        SelectPolicy::Min => i64::max,
        SelectPolicy::Max => i64::min,
    };
    let mut result = match rules.select_policy {
        SelectPolicy::Min => i32::MIN as i64,
        _ => i32::MAX as i64,
    };
    for p in &rules.policies {
        let added = replicas_change_per_period(p.period_seconds, up_events, now);
        let deleted = replicas_change_per_period(p.period_seconds, down_events, now);
        let start = current as i64 - added + deleted;
        let proposed = match p.kind {
            PolicyType::Pods => start - p.value as i64,
            PolicyType::Percent => (start as f64 * (1.0 - p.value as f64 / 100.0)) as i64,
        };
        result = pick(result, proposed);
    }
    result
}

/// `convertDesiredReplicasWithBehaviorRate` (§1.9.2): rate limits plus the min/max clamp in
/// the direction of movement. Returns (replicas, condition reason).
pub fn convert_with_behavior_rate(
    current: u32,
    desired: u32,
    min: u32,
    max: u32,
    behavior: &Behavior,
    state: &HpaState,
    now: Nanos,
) -> (u32, &'static str) {
    if desired > current {
        let mut limit = scale_up_limit(
            current,
            &state.scale_up_events,
            &state.scale_down_events,
            &behavior.scale_up,
            now,
        );
        if limit < current as i64 {
            // Never force a scale-down while recent scale-ups age out.
            limit = current as i64;
        }
        let (maximum, reason) = if (max as i64) > limit {
            (limit as u32, "ScaleUpLimit")
        } else {
            (max, "TooManyReplicas")
        };
        if desired > maximum {
            return (maximum, reason);
        }
    } else if desired < current {
        let mut limit = scale_down_limit(
            current,
            &state.scale_up_events,
            &state.scale_down_events,
            &behavior.scale_down,
            now,
        );
        if limit > current as i64 {
            limit = current as i64;
        }
        let (minimum, reason) = if (min as i64) < limit {
            (limit as u32, "ScaleDownLimit")
        } else {
            (min, "TooFewReplicas")
        };
        if desired < minimum {
            return (minimum, reason);
        }
    }
    (desired, "DesiredWithinRange")
}

fn mark_outdated_and_store(
    events: &mut Vec<ScaleEvent>,
    longest_period: u32,
    change: u32,
    now: Nanos,
) {
    let mut old: Option<usize> = None;
    for (i, e) in events.iter_mut().enumerate() {
        if older(e.timestamp, secs(longest_period), now) {
            e.outdated = true;
        }
        if e.outdated {
            old = Some(i);
        }
    }
    let ev = ScaleEvent::new(change, now);
    match old {
        Some(i) => events[i] = ev,
        None => events.push(ev),
    }
}

/// `storeScaleEvent` (§1.9.4): nothing without behavior; otherwise marks events older than
/// the direction's longest policy period as outdated and reuses one such slot.
pub fn store_scale_event(
    behavior: Option<&Behavior>,
    state: &mut HpaState,
    previous: u32,
    new: u32,
    now: Nanos,
) {
    let Some(b) = behavior else { return };
    if new > previous {
        mark_outdated_and_store(
            &mut state.scale_up_events,
            b.scale_up.longest_period(),
            new - previous,
            now,
        );
    } else {
        mark_outdated_and_store(
            &mut state.scale_down_events,
            b.scale_down.longest_period(),
            previous - new,
            now,
        );
    }
}

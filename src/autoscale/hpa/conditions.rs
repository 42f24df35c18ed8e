//! The HPA status conditions (`AbleToScale`, `ScalingActive`, `ScalingLimited`) with
//! Kubernetes' reasons and messages.

use serde::Serialize;

/// `AbleToScale`, `ScalingActive`, `ScalingLimited`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ConditionType {
    AbleToScale,
    ScalingActive,
    ScalingLimited,
}

/// One status condition; setting a type again replaces it (`setCondition`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Condition {
    #[serde(rename = "type")]
    pub kind: ConditionType,
    pub status: bool,
    pub reason: String,
    pub message: String,
}

#[derive(Debug, Default)]
pub(super) struct Conditions(pub(super) Vec<Condition>);

impl Conditions {
    pub(super) fn set(
        &mut self,
        kind: ConditionType,
        status: bool,
        reason: &str,
        message: impl Into<String>,
    ) {
        let c = Condition {
            kind,
            status,
            reason: reason.to_string(),
            message: message.into(),
        };
        match self.0.iter_mut().find(|x| x.kind == kind) {
            Some(slot) => *slot = c,
            None => self.0.push(c),
        }
    }
}

/// The `ScalingLimited` message for a limit reason.
pub(super) fn limit_message(reason: &str) -> &'static str {
    match reason {
        "ScaleUpLimit" => {
            "the desired replica count is increasing faster than the maximum scale rate"
        }
        "ScaleDownLimit" => {
            "the desired replica count is decreasing faster than the maximum scale rate"
        }
        "TooManyReplicas" => "the desired replica count is more than the maximum replica count",
        "TooFewReplicas" => "the desired replica count is less than the minimum replica count",
        _ => "the desired count is within the acceptable range",
    }
}

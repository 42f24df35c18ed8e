//! The kinds of a k6 script's custom metrics (`k6/metrics` Trend, Rate, Counter, Gauge)
//! and the aggregations k6 allows on each; thresholds on them: `custom_threshold.rs`.
//! Which adds are predicted: `model/sampled.rs` and docs/k6-scripts.md.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomKind {
    Trend,
    Rate,
    Counter,
    Gauge,
}

impl CustomKind {
    /// The kind as the shims name it (`trend`, `rate`, `counter`, `gauge`).
    pub fn parse(text: &str) -> Option<CustomKind> {
        Some(match text {
            "trend" => CustomKind::Trend,
            "rate" => CustomKind::Rate,
            "counter" => CustomKind::Counter,
            "gauge" => CustomKind::Gauge,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            CustomKind::Trend => "trend",
            CustomKind::Rate => "rate",
            CustomKind::Counter => "counter",
            CustomKind::Gauge => "gauge",
        }
    }

    pub fn allowed(self) -> &'static str {
        match self {
            CustomKind::Trend => "avg, min, med, max, p(N)",
            CustomKind::Rate => "rate",
            CustomKind::Counter => "count, rate",
            CustomKind::Gauge => "value",
        }
    }
}

/// A k6 script's custom metric (`new Rate('errors')`).
#[derive(Debug, Clone, PartialEq)]
pub struct CustomMetric {
    pub name: String,
    pub kind: CustomKind,
    /// Why capsim cannot predict it (`None`: predicted).
    pub not_predicted: Option<String>,
    /// Thresholds on it that are therefore not evaluated (`key: 'expression'`).
    pub thresholds_not_evaluated: Vec<String>,
}

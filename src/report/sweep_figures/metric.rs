//! A sweep metric's name, unit and number format, and the range of a set of values.

use crate::report::figures::numbers::{fmt_money, fmt_num, fmt_pct};

/// A metric of sweep.csv: its column stem, the label and unit its axis and cells show.
pub(super) struct Metric {
    /// Column stem: `<name>_mean`, `_lo`, `_hi`.
    pub(super) name: String,
    pub(super) label: String,
    pub(super) unit: &'static str,
}

impl Metric {
    pub(super) fn new(name: &str) -> Metric {
        let (label, unit) = match name.strip_prefix("http_req_duration.") {
            Some(stat) => (stat.to_string(), "ms"),
            None if name == "cost.replica_s" => (name.to_string(), "replica-s"),
            None if name.starts_with("cost.") => (name.to_string(), "USD"),
            None => (name.to_string(), ""),
        };
        Metric {
            name: name.to_string(),
            label,
            unit,
        }
    }

    pub(super) fn fmt(&self, v: f64) -> String {
        if !v.is_finite() {
            return "–".into();
        }
        match self.unit {
            "ms" => format!("{} ms", fmt_num(v)),
            "USD" => format!("${}", fmt_money(v)),
            _ if self.name.ends_with(".rate") && v <= 1.0 && self.name.contains("failed") => {
                fmt_pct(v)
            }
            _ => fmt_num(v),
        }
    }

    pub(super) fn axis(&self) -> String {
        if self.unit.is_empty() {
            self.label.clone()
        } else {
            format!("{} ({})", self.label, self.unit)
        }
    }
}

pub(super) fn extent(vals: impl IntoIterator<Item = f64>) -> (f64, f64) {
    vals.into_iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        })
}

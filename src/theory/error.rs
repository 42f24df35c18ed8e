//! Why a closed form cannot be evaluated ([`TheoryError`]), and the parameter checks the
//! closed forms share.

/// Why a closed form cannot be evaluated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TheoryError {
    /// Offered work meets or exceeds capacity: no steady state exists.
    #[error(
        "unstable{}: utilization {utilization:.4} >= 1; arrivals must be below servers x service rate",
        station.map(|s| format!(" at station {s}")).unwrap_or_default()
    )]
    Unstable {
        station: Option<usize>,
        utilization: f64,
    },
    /// A parameter is out of its range.
    #[error("{name} = {value}: {expected}")]
    InvalidParameter {
        name: &'static str,
        value: f64,
        expected: &'static str,
    },
    /// The routing matrix of a network is malformed or traps jobs forever.
    #[error("routing matrix: {0}")]
    Routing(String),
}

pub(super) fn positive(name: &'static str, value: f64) -> Result<f64, TheoryError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(TheoryError::InvalidParameter {
            name,
            value,
            expected: "must be a finite number > 0",
        })
    }
}

pub(super) fn non_negative(name: &'static str, value: f64) -> Result<f64, TheoryError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(TheoryError::InvalidParameter {
            name,
            value,
            expected: "must be a finite number >= 0",
        })
    }
}

pub(super) fn at_least_one(name: &'static str, value: u32) -> Result<u32, TheoryError> {
    if value >= 1 {
        Ok(value)
    } else {
        Err(TheoryError::InvalidParameter {
            name,
            value: f64::from(value),
            expected: "must be at least 1",
        })
    }
}

//! The JSON that `k6 inspect` prints: scenarios, rps and thresholds of an existing k6 script.

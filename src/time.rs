//! Simulated time: integer nanoseconds, and k6/Go duration strings ("1m30s", "250ms").

use serde::{Deserialize, Deserializer};
use std::fmt;

/// A point or span of simulated time in nanoseconds.
pub type Nanos = u64;

pub const NANOS_PER_MICRO: Nanos = 1_000;
pub const NANOS_PER_MILLI: Nanos = 1_000_000;
pub const NANOS_PER_SEC: Nanos = 1_000_000_000;

const TWO_POW_53: f64 = 9_007_199_254_740_992.0;

/// `x.round()` (half away from zero) for `0 <= x < 2^53`, without the libm call that
/// costs a function call per draw: there `x - trunc(x)` is exact.
#[inline]
fn round_below_2_53(x: f64) -> u64 {
    let t = x as i64;
    (t + i64::from(x - t as f64 >= 0.5)) as u64
}

/// `x.round()` for every `x` (the same bits), without the libm call for `0 < x < 2^53`
/// (the Poisson arrivals' clock, once per arrival).
#[inline]
pub fn round_half_away(x: f64) -> f64 {
    if x > 0.0 && x < TWO_POW_53 {
        round_below_2_53(x) as f64
    } else {
        x.round()
    }
}

/// Seconds (f64) to nanoseconds, rounded to the nearest, saturating at the ends.
#[inline]
pub fn secs_to_nanos(secs: f64) -> Nanos {
    if secs.is_nan() || secs <= 0.0 {
        0
    } else {
        let x = secs * NANOS_PER_SEC as f64;
        if x < TWO_POW_53 {
            return round_below_2_53(x);
        }
        let ns = x.round();
        if ns >= u64::MAX as f64 {
            u64::MAX
        } else {
            ns as u64
        }
    }
}

pub fn nanos_to_secs(ns: Nanos) -> f64 {
    ns as f64 / NANOS_PER_SEC as f64
}

pub fn nanos_to_millis(ns: Nanos) -> f64 {
    ns as f64 / NANOS_PER_MILLI as f64
}

/// Parses a Go/k6 duration string: a sequence of decimal numbers, each with a unit
/// (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`), such as `"300ms"`, `"1.5h"`, `"2h45m"`, or `"0"`.
/// A leading `-` is rejected: capsim has no negative durations.
pub fn parse_duration(text: &str) -> Result<Nanos, String> {
    let s = text.trim();
    let allowed = "write a number with a unit, such as \"500ms\", \"30s\", \"1m30s\" or \"2h\" (units: ns, us, ms, s, m, h)";
    if s.is_empty() {
        return Err(format!("empty duration; {allowed}"));
    }
    if s == "0" {
        return Ok(0);
    }
    if s.starts_with('-') {
        return Err(format!("negative duration \"{s}\"; {allowed}"));
    }
    let s = s.strip_prefix('+').unwrap_or(s);
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut total: f64 = 0.0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        let number = &s[start..i];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(format!("malformed duration \"{text}\"; {allowed}"));
        }
        let value: f64 = number
            .parse()
            .map_err(|_| format!("malformed duration \"{text}\"; {allowed}"))?;
        let unit_start = i;
        while i < bytes.len() && !(bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        let unit = &s[unit_start..i];
        let scale = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err(format!("missing unit in duration \"{text}\"; {allowed}")),
            other => {
                return Err(format!(
                    "unknown unit \"{other}\" in duration \"{text}\"; {allowed}"
                ));
            }
        };
        total += value * scale;
    }
    if !total.is_finite() || total > 1e18 {
        return Err(format!(
            "duration \"{text}\" is too long; the most is about 30 years"
        ));
    }
    Ok(total.round() as Nanos)
}

/// Formats nanoseconds as Go does (`1m0s`, `1.5s`, `250ms`, `0s`).
pub fn format_duration(ns: Nanos) -> String {
    if ns == 0 {
        return "0s".to_string();
    }
    if ns < NANOS_PER_SEC {
        let (value, unit) = if ns < NANOS_PER_MICRO {
            return format!("{ns}ns");
        } else if ns < NANOS_PER_MILLI {
            (ns as f64 / 1e3, "µs")
        } else {
            (ns as f64 / 1e6, "ms")
        };
        return format!("{}{unit}", trim_float(value));
    }
    let hours = ns / (3600 * NANOS_PER_SEC);
    let minutes = (ns / (60 * NANOS_PER_SEC)) % 60;
    let secs = (ns % (60 * NANOS_PER_SEC)) as f64 / 1e9;
    let mut out = String::new();
    if hours > 0 {
        out.push_str(&format!("{hours}h"));
    }
    if hours > 0 || minutes > 0 {
        out.push_str(&format!("{minutes}m"));
    }
    out.push_str(&format!("{}s", trim_float(secs)));
    out
}

fn trim_float(v: f64) -> String {
    let s = format!("{v:.9}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// A duration field in a YAML/JSON file, written as a Go/k6 duration string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(pub Nanos);

impl Duration {
    pub fn nanos(self) -> Nanos {
        self.0
    }
    pub fn secs(self) -> f64 {
        nanos_to_secs(self.0)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_duration(self.0))
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a duration string with a unit, such as \"500ms\", \"30s\" or \"1m30s\"",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Duration, E> {
                parse_duration(v).map(Duration).map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Duration, E> {
                if v == 0 {
                    Ok(Duration(0))
                } else {
                    Err(E::custom(format!(
                        "a bare number ({v}) has no unit; write it as a string with a unit, such as \"{v}s\" or \"{v}ms\""
                    )))
                }
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Duration, E> {
                if v >= 0 {
                    self.visit_u64(v as u64)
                } else {
                    Err(E::custom(format!(
                        "negative duration ({v}); durations must be >= 0"
                    )))
                }
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Duration, E> {
                Err(E::custom(format!(
                    "a bare number ({v}) has no unit; write it as a string with a unit, such as \"{v}s\" or \"{v}ms\""
                )))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl serde::Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast rounding gives what `f64::round` gives, ties and the 2^52..2^53 range
    /// (steps of 0.5) included.
    #[test]
    fn secs_to_nanos_rounds_like_f64_round() {
        let reference = |secs: f64| {
            let ns = (secs * NANOS_PER_SEC as f64).round();
            if ns >= u64::MAX as f64 {
                u64::MAX
            } else {
                ns as u64
            }
        };
        let mut cases = vec![1e-9, 0.5e-9, 1.5e-9, 2.5e-9, 0.499_999_999_9e-9, 1e-3, 0.01];
        let mut z: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..100_000 {
            z = z
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            cases.push(f64::from_bits((z >> 12) | 0x3FF0_0000_0000_0000) - 1.0);
            cases.push((z >> 11) as f64 / 2f64.powi(53) * 1e4);
        }
        for k in 0..4096u64 {
            cases.push(((1u64 << 52) + k) as f64 / 1e9 + 0.25e-9);
            cases.push(((1u64 << 53) - k) as f64 / 1e9);
            cases.push((k as f64 + 0.5) / 1e9);
        }
        cases.extend([1e10, 1e20, f64::MAX, f64::INFINITY]);
        for &secs in &cases {
            assert_eq!(secs_to_nanos(secs), reference(secs), "{secs:e}");
        }
        for x in cases
            .iter()
            .map(|s| s * 1e9)
            .chain([0.0, -0.0, 0.5, 2.5, f64::NAN])
        {
            assert_eq!(round_half_away(x).to_bits(), x.round().to_bits(), "{x:e}");
        }
    }

    #[test]
    fn parses_go_durations() {
        assert_eq!(parse_duration("0"), Ok(0));
        assert_eq!(parse_duration("300ms"), Ok(300 * NANOS_PER_MILLI));
        assert_eq!(parse_duration("1m30s"), Ok(90 * NANOS_PER_SEC));
        assert_eq!(parse_duration("1.5h"), Ok(5400 * NANOS_PER_SEC));
        assert_eq!(
            parse_duration("2h45m"),
            Ok((2 * 3600 + 45 * 60) * NANOS_PER_SEC)
        );
        assert_eq!(parse_duration("10us"), Ok(10_000));
        assert_eq!(parse_duration("10µs"), Ok(10_000));
        assert_eq!(parse_duration("7ns"), Ok(7));
    }

    #[test]
    fn rejects_malformed() {
        for bad in ["", "5", "-1s", "1x", "s", "1.2.3s", "ms5", "1e400h"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn formats_like_go() {
        assert_eq!(format_duration(60 * NANOS_PER_SEC), "1m0s");
        assert_eq!(format_duration(30 * NANOS_PER_SEC), "30s");
        assert_eq!(format_duration(1_500 * NANOS_PER_MILLI), "1.5s");
        assert_eq!(format_duration(250 * NANOS_PER_MILLI), "250ms");
        assert_eq!(
            format_duration(3600 * NANOS_PER_SEC + 1),
            "1h0m0.000000001s"
        );
        assert_eq!(format_duration(0), "0s");
    }
}

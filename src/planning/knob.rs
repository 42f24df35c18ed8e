//! The knobs of `capsim size`: `PATH=LO..HI` with integer or duration bounds, any path the
//! `--set` overrides accept (model, experiment or `hpa.NAME...` manifest fields). A
//! duration knob keeps the unit of its lower bound (`30s..10m` searches whole seconds
//! from 30 to 600).

use crate::spec::overrides::parse_override;
use serde::Serialize;

/// One knob and its range, in whole units.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Knob {
    pub path: String,
    pub lo: i64,
    pub hi: i64,
    /// `s`, `ms`, `m`, ... for a duration; None for a plain integer.
    pub unit: Option<String>,
}

impl Knob {
    /// A value as written in a `--set`.
    pub fn text(&self, v: i64) -> String {
        match &self.unit {
            Some(u) => format!("{v}{u}"),
            None => v.to_string(),
        }
    }

    pub fn set_line(&self, v: i64) -> String {
        format!("{}={}", self.path, self.text(v))
    }

    /// Number of values in the range.
    pub fn len(&self) -> u64 {
        (self.hi - self.lo) as u64 + 1
    }

    pub fn is_empty(&self) -> bool {
        false
    }
}

const HINT: &str = "write `--knob PATH=LO..HI` with whole numbers or durations, e.g. \
                    `--knob services.api.replicas=2..12` or \
                    `--knob hpa.api.spec.behavior.scaleDown.stabilizationWindowSeconds=0..600`";

/// Splits `30s` into (30, Some("s")) and `12` into (12, None).
fn number_and_unit(t: &str) -> Option<(i64, Option<String>)> {
    let t = t.trim();
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '-' || c == '+'))
        .unwrap_or(t.len());
    let (n, u) = t.split_at(end);
    let n: i64 = n.parse().ok()?;
    if u.is_empty() {
        Some((n, None))
    } else {
        Some((n, Some(u.to_string())))
    }
}

fn nanos_per(unit: &str) -> Option<u64> {
    crate::time::parse_duration(&format!("1{unit}")).ok()
}

/// Parses `PATH=LO..HI`.
pub fn parse_knob(text: &str) -> Result<Knob, String> {
    let (path, range) = text
        .rsplit_once('=')
        .ok_or_else(|| format!("--knob `{text}`: {HINT}"))?;
    let (lo, hi) = range
        .split_once("..")
        .ok_or_else(|| format!("--knob `{text}`: no `..` in the range; {HINT}"))?;
    parse_override(&format!("{path}=0")).map_err(|e| e.replace("--set", "--knob"))?;
    let bad = |side: &str, v: &str| {
        format!(
            "--knob `{text}`: {side} `{}` is not a whole number or a duration (`4`, `30s`, `500ms`); {HINT}",
            v.trim()
        )
    };
    let (a, ua) = number_and_unit(lo).ok_or_else(|| bad("LO", lo))?;
    let (b, ub) = number_and_unit(hi).ok_or_else(|| bad("HI", hi))?;
    let b = match (&ua, &ub) {
        (None, None) => b,
        (Some(ua), ub) => {
            let sa = nanos_per(ua).ok_or_else(|| bad("LO", lo))?;
            let sb = nanos_per(ub.as_deref().unwrap_or(ua)).ok_or_else(|| bad("HI", hi))?;
            let ns = (b as i128) * (sb as i128);
            if ns % sa as i128 != 0 {
                return Err(format!(
                    "--knob `{text}`: HI `{}` is not a whole number of LO's unit `{ua}`; write both in one unit",
                    hi.trim()
                ));
            }
            i64::try_from(ns / sa as i128).map_err(|_| bad("HI", hi))?
        }
        (None, Some(u)) => {
            if nanos_per(u).is_none() {
                return Err(bad("HI", hi));
            }
            return Err(format!(
                "--knob `{text}`: HI has a unit and LO has none; write both as durations or both as numbers"
            ));
        }
    };
    if a > b {
        return Err(format!(
            "--knob `{text}`: LO {} is above HI {}; write the range low to high (`{}={}..{}`)",
            lo.trim(),
            hi.trim(),
            path.trim(),
            hi.trim(),
            lo.trim()
        ));
    }
    if (b - a) > 1_000_000 {
        return Err(format!(
            "--knob `{text}`: the range has more than a million values; use a coarser unit"
        ));
    }
    Ok(Knob {
        path: path.trim().to_string(),
        lo: a,
        hi: b,
        unit: ua,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knobs_parse_with_units_and_refuse_bad_ranges() {
        let k = parse_knob("services.api.replicas=2..12").unwrap();
        assert_eq!((k.lo, k.hi, k.unit.as_deref()), (2, 12, None));
        let k = parse_knob("hpa.a.spec.x=30s..10m").unwrap();
        assert_eq!((k.lo, k.hi, k.unit.as_deref()), (30, 600, Some("s")));
        assert_eq!(k.set_line(45), "hpa.a.spec.x=45s");
        assert!(
            parse_knob("services.api.replicas=5..2")
                .unwrap_err()
                .contains("above HI")
        );
        assert!(
            parse_knob("services.api.replicas=x..2")
                .unwrap_err()
                .contains("not a whole number")
        );
        assert!(
            parse_knob("services.api.replicas=1.5..2")
                .unwrap_err()
                .contains("not a whole number")
        );
        assert!(
            parse_knob("services.api.replicas=3")
                .unwrap_err()
                .contains("..")
        );
        assert!(
            parse_knob("services.api.replicas=1s..1500ms")
                .unwrap_err()
                .contains("whole number of LO")
        );
    }
}

//! How the report tables write an estimate: mean with its 95% interval as `[low, high]`
//! or `± half-width`, dollars, and threshold verdicts.

use crate::report::data::Est;
use crate::report::figures::{fmt_money, fmt_num, fmt_pct};

/// `382.4 [381.0, 383.7]`, values formatted by `f`; `–` when undefined.
pub(super) fn est_with(e: &Est, f: impl Fn(f64) -> String) -> String {
    if !e.mean.is_finite() {
        return "–".into();
    }
    match e.ci95 {
        Some([lo, hi]) if lo.is_finite() && hi.is_finite() && (hi - lo).abs() > 0.0 => {
            format!("{} [{}, {}]", f(e.mean), f(lo), f(hi))
        }
        _ => f(e.mean),
    }
}

pub(super) fn num(e: &Est) -> String {
    est_with(e, fmt_num)
}

/// Two significant digits (a half-width needs no more): 0.1908 -> 0.19, 12.3 -> 12.
fn two_sig(h: f64) -> String {
    if !h.is_finite() || h <= 0.0 {
        return "0".into();
    }
    if h >= 100.0 {
        return fmt_num(h);
    }
    let decimals = (1 - h.log10().floor() as i32).max(0) as usize;
    format!("{h:.decimals$}")
}

/// `188.6 ± 0.19`: compact for wide tables (the intervals are symmetric t intervals).
fn pm_with(e: &Est, f: impl Fn(f64) -> String, half: impl Fn(f64) -> String) -> String {
    if !e.mean.is_finite() {
        return "–".into();
    }
    match e.ci95 {
        Some([lo, hi]) if lo.is_finite() && hi.is_finite() && hi > lo => {
            format!("{} ± {}", f(e.mean), half((hi - lo) / 2.0))
        }
        _ => f(e.mean),
    }
}

pub(super) fn pm(e: &Est) -> String {
    pm_with(e, fmt_num, two_sig)
}

pub(super) fn pm_pct(e: &Est) -> String {
    pm_with(e, fmt_pct, |h| format!("{}%", two_sig(h * 100.0)))
}

pub(super) fn money(e: &Est) -> String {
    est_with(e, |v| format!("${}", fmt_money(v)))
}

fn ci(e: &Est, f: impl Fn(f64) -> String) -> String {
    match e.ci95 {
        Some([lo, hi]) if e.mean.is_finite() => format!("{} to {}", f(lo), f(hi)),
        _ => "–".into(),
    }
}

pub(super) fn verdict_word(v: &str) -> &'static str {
    match v {
        "pass" => "PASS",
        "fail" => "FAIL",
        _ => "INCONCLUSIVE",
    }
}

pub(super) fn row3(name: &str, e: &Est, f: impl Fn(f64) -> String + Copy) -> Vec<String> {
    vec![
        name.to_string(),
        if e.mean.is_finite() {
            f(e.mean)
        } else {
            "–".into()
        },
        ci(e, f),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_widths() {
        assert_eq!(two_sig(0.1908), "0.19");
        assert_eq!(two_sig(0.0663), "0.066");
        assert_eq!(two_sig(12.3), "12");
        assert_eq!(two_sig(1.2345), "1.2");
    }

    #[test]
    fn estimates() {
        let e = Est {
            mean: 382.44,
            ci95: Some([381.0, 383.7]),
        };
        assert_eq!(num(&e), "382.4 [381, 383.7]");
        assert_eq!(num(&Est::default()), "–");
    }
}

//! Numbers as figures and reports write them (thousands separators, significant digits,
//! percent, dollars), and where a value axis ends (a nice number above the data).

/// Numbers for axes and labels: no trailing zeros, thousands separated by commas.
pub fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let a = v.abs();
    if a >= 1000.0 {
        let r = v.round() as i64;
        let digits = r.unsigned_abs().to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        if r < 0 { format!("-{out}") } else { out }
    } else {
        let decimals = if a >= 100.0 {
            1
        } else if a >= 1.0 {
            2
        } else {
            4
        };
        let s = format!("{v:.decimals$}");
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        };
        if s == "-0" { "0".into() } else { s }
    }
}

/// Milliseconds to three significant digits at most: 8.54, 33.1, 412.
pub fn fmt_ms(v: f64) -> String {
    if !v.is_finite() {
        "–".into()
    } else if v.abs() >= 100.0 {
        fmt_num(v.round())
    } else if v.abs() >= 10.0 {
        fmt_num((v * 10.0).round() / 10.0)
    } else {
        fmt_num((v * 100.0).round() / 100.0)
    }
}

/// Percent with up to one decimal: 0.0123 -> "1.2%".
pub fn fmt_pct(p: f64) -> String {
    if !p.is_finite() {
        return "–".into();
    }
    let v = p * 100.0;
    // Three significant digits below 10%, so that small rates and their intervals differ.
    let s = if v == 0.0 || v.abs() >= 10.0 {
        format!("{v:.1}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else if v.abs() >= 0.1 {
        format!("{v:.3}")
    } else {
        format!("{v:.4}")
    };
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}%")
}

/// The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `x` (1 for x <= 0).
pub(super) fn nice_ceil(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 || x.is_infinite() {
        return 1.0;
    }
    let p = 10f64.powf(x.log10().floor());
    for m in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if m * p >= x * (1.0 - 1e-12) {
            return m * p;
        }
    }
    10.0 * p
}

pub(super) fn finite_max<'a>(it: impl IntoIterator<Item = &'a f64>) -> f64 {
    it.into_iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(f64::NEG_INFINITY, f64::max)
}

/// Upper end of a value axis: a little headroom above `max`, rounded to a nice number.
pub(super) fn upper(max: f64) -> f64 {
    nice_ceil(max * 1.08)
}

/// Dollars with cents below $100, whole dollars above.
pub fn fmt_money(v: f64) -> String {
    if !v.is_finite() {
        "–".into()
    } else if v.abs() >= 100.0 {
        fmt_num(v.round())
    } else if v.abs() >= 0.1 || v == 0.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(fmt_num(2090.0), "2,090");
        assert_eq!(fmt_num(1234567.4), "1,234,567");
        assert_eq!(fmt_num(12.5), "12.5");
        assert_eq!(fmt_num(0.0), "0");
        assert_eq!(fmt_num(250.0), "250");
        assert_eq!(fmt_pct(0.0123), "1.23%");
        assert_eq!(fmt_pct(0.00695), "0.695%");
        assert_eq!(fmt_pct(0.893), "89.3%");
        assert_eq!(fmt_pct(0.9), "90%");
        assert_eq!(fmt_pct(0.0005), "0.05%");
        assert_eq!(nice_ceil(830.0), 1000.0);
        assert_eq!(nice_ceil(0.9), 1.0);
        assert_eq!(nice_ceil(2.2), 2.5);
    }
}

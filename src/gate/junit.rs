//! JUnit XML for CI systems (one test case per threshold; a failure carries the observed
//! value and the pass probability). Written by hand: the format is small and fixed.

use crate::gate::check::{GateReport, GateVerdict};
use crate::gate::metrics::fmt_num;

/// Escapes text for XML attributes and character data.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

pub fn junit(report: &GateReport) -> String {
    let failures = report.failures();
    let suite = xml_escape(&format!("capsim check {}", report.experiment));
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.push_str(&format!(
        "<testsuites name=\"capsim\" tests=\"{}\" failures=\"{failures}\" errors=\"0\">\n",
        report.thresholds.len()
    ));
    s.push_str(&format!(
        "  <testsuite name=\"{suite}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">\n",
        report.thresholds.len()
    ));
    s.push_str("    <properties>\n");
    for (k, v) in [
        ("model", report.model.clone()),
        ("seed", report.seed.to_string()),
        ("replications", report.replications.to_string()),
        ("level", report.level.to_string()),
        ("confidence", report.confidence.to_string()),
        ("overrides", report.overrides.join(" ")),
    ] {
        s.push_str(&format!(
            "      <property name=\"{k}\" value=\"{}\"/>\n",
            xml_escape(&v)
        ));
    }
    s.push_str("    </properties>\n");
    for r in &report.thresholds {
        let name = xml_escape(&format!("{}: {}", r.metric, r.threshold));
        let class = xml_escape(&format!("capsim.{}", report.experiment));
        s.push_str(&format!(
            "    <testcase classname=\"{class}\" name=\"{name}\">\n"
        ));
        let detail = format!(
            "observed {} (mean over {} replications; 95% CI {}); P(pass) = {:.3}, interval [{:.3}, {:.3}], required >= {}",
            fmt_num(r.observed.mean),
            r.replications,
            r.observed
                .ci95
                .map(|[a, b]| format!("[{}, {}]", fmt_num(a), fmt_num(b)))
                .unwrap_or_else(|| "n/a".into()),
            r.pass_probability,
            r.pass_probability_ci[0],
            r.pass_probability_ci[1],
            report.level
        );
        if r.verdict != GateVerdict::Pass {
            let kind = if r.verdict == GateVerdict::Fail {
                "fail"
            } else {
                "undecided"
            };
            s.push_str(&format!(
                "      <failure type=\"{kind}\" message=\"{}\">{}&#10;{}</failure>\n",
                xml_escape(&format!("{kind}: {detail}")),
                xml_escape(&detail),
                xml_escape(&r.reason)
            ));
        } else {
            s.push_str(&format!(
                "      <system-out>{}</system-out>\n",
                xml_escape(&detail)
            ));
        }
        s.push_str("    </testcase>\n");
    }
    s.push_str("  </testsuite>\n</testsuites>\n");
    s
}

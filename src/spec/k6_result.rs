//! k6's result files, read for `capsim compare` and `capsim calibrate --observed`: the
//! `--summary-export` JSON (legacy flat shape), the data object `handleSummary` receives
//! (written with `JSON.stringify(data)`), and the `--out json` (NDJSON) and `--out csv`
//! sample files (folded in `k6_samples.rs`). Each becomes an [`Observed`]: per k6 metric
//! series (overall, `{name:...}`, `{status:...}`) the values k6's summary would print.
//! The shapes are documented in tests/fixtures/k6-results/README.md.

use crate::spec::confine::{bound_message, sanitize};
pub use crate::spec::k6_observed::{K6Shape, NameHint, Observed, SHAPES_READ, SeriesKey, url_path};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// A JSON summary larger than this is refused (real ones are a few kB to a few MB).
pub const MAX_SUMMARY_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a k6 result file of any shape capsim reads; the error names the file and, for an
/// unknown shape, the shapes read.
pub fn read_k6_result(path: &Path) -> Result<Observed, String> {
    let at = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("{at}: cannot read: {e}"))?;
    if !meta.is_file() {
        return Err(format!(
            "{at}: not a regular file; name a k6 result file ({SHAPES_READ})"
        ));
    }
    let file = std::fs::File::open(path).map_err(|e| format!("{at}: cannot read: {e}"))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let head = reader
        .fill_buf()
        .map_err(|e| format!("{at}: cannot read: {e}"))?
        .to_vec();
    let shape = detect(&head).map_err(|why| format!("{at}: {why}"))?;
    let observed = match shape {
        K6Shape::SummaryExport | K6Shape::HandleSummary => {
            if meta.len() > MAX_SUMMARY_BYTES {
                return Err(format!(
                    "{at}: {} bytes is too large for a k6 summary (at most {MAX_SUMMARY_BYTES}); {SHAPES_READ}",
                    meta.len()
                ));
            }
            let mut text = String::new();
            reader
                .take(MAX_SUMMARY_BYTES + 1)
                .read_to_string(&mut text)
                .map_err(|e| format!("{at}: cannot read as UTF-8 text: {e}"))?;
            parse_summary(&text)
        }
        K6Shape::JsonSamples => crate::spec::k6_samples::fold_ndjson(reader),
        K6Shape::CsvSamples => crate::spec::k6_samples::fold_csv(reader),
    };
    observed.map_err(|why| format!("{at}: {}", bound_message(&why)))
}

/// Which shape a file's first bytes show.
pub fn detect(head: &[u8]) -> Result<K6Shape, String> {
    if head.starts_with(&[0x1f, 0x8b]) {
        return Err(format!(
            "gzip-compressed (k6 compresses outputs whose name ends in .gz); decompress it first \
             (`gunzip -k FILE`). {SHAPES_READ}"
        ));
    }
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    if text.starts_with("metric_name,") {
        return Ok(K6Shape::CsvSamples);
    }
    if text.starts_with('{') {
        let first = text.lines().next().unwrap_or("");
        if let Ok(Value::Object(o)) = serde_json::from_str::<Value>(first)
            && matches!(
                o.get("type").and_then(Value::as_str),
                Some("Metric" | "Point")
            )
        {
            return Ok(K6Shape::JsonSamples);
        }
        // A summary (pretty-printed or on one line): told apart when parsed.
        return Ok(K6Shape::SummaryExport);
    }
    let excerpt = sanitize(text.lines().next().unwrap_or(""), 40);
    Err(format!(
        "not a k6 result file of a shape capsim reads (it starts `{excerpt}`); {SHAPES_READ}"
    ))
}

/// Parses a summary: the legacy `--summary-export` or handleSummary's data object.
pub fn parse_summary(text: &str) -> Result<Observed, String> {
    let root: Value =
        serde_json::from_str(text).map_err(|e| format!("not valid JSON ({e}); {SHAPES_READ}"))?;
    let Some(metrics) = root.get("metrics").and_then(Value::as_object) else {
        return Err(format!(
            "a JSON object without a `metrics` object, so not a k6 summary; {SHAPES_READ}"
        ));
    };
    let handle = metrics
        .values()
        .any(|m| m.get("values").is_some_and(Value::is_object) && m.get("type").is_some());
    let mut obs = Observed::new(if handle {
        K6Shape::HandleSummary
    } else {
        K6Shape::SummaryExport
    });
    if handle {
        obs.duration_s = root
            .pointer("/state/testRunDurationMs")
            .and_then(Value::as_f64)
            .map(|ms| ms / 1000.0);
    }
    let mut skipped = Vec::new();
    for (key, m) in metrics {
        let Some(series) = SeriesKey::parse(key) else {
            skipped.push(key.clone());
            continue;
        };
        let values = if handle {
            m.get("values").and_then(Value::as_object)
        } else {
            m.as_object()
        };
        let Some(values) = values else {
            return Err(format!(
                "metrics.`{key}`: expected an object of statistics (`avg`, `count`, `rate`, ...)"
            ));
        };
        let stats = summary_stats(values);
        if !stats.is_empty() {
            obs.values.insert(series, stats);
        }
    }
    if !skipped.is_empty() {
        obs.notes.push(format!(
            "{} sub-metric(s) with other tags not compared (e.g. `{}`): capsim compares each metric overall, per `name` and per `status`",
            skipped.len(),
            sanitize(&skipped[0], 60)
        ));
    }
    Ok(obs)
}

/// The numeric statistics of one metric; the legacy export's Rate `value` is read as `rate`.
fn summary_stats(values: &Map<String, Value>) -> BTreeMap<String, f64> {
    let is_rate = values.contains_key("passes") && values.contains_key("fails");
    values
        .iter()
        .filter_map(|(k, v)| {
            let x = v.as_f64()?;
            let k = if is_rate && k == "value" { "rate" } else { k };
            Some((k.to_string(), x))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_keys_parse_name_and_status_only() {
        assert_eq!(
            SeriesKey::parse("http_req_duration{name:GET /a}"),
            Some(SeriesKey::tagged("http_req_duration", "name", "GET /a"))
        );
        assert_eq!(
            SeriesKey::parse("http_reqs{status:200}").map(|k| k.to_string()),
            Some("http_reqs{status:200}".to_string())
        );
        assert_eq!(
            SeriesKey::parse("http_req_duration{expected_response:true}"),
            None
        );
        assert_eq!(
            SeriesKey::parse("checks"),
            Some(SeriesKey::overall("checks"))
        );
    }

    #[test]
    fn url_paths() {
        assert_eq!(url_path("http://test.k6.io/news.php?x=1"), "/news.php");
        assert_eq!(url_path("https://h:8443"), "/");
        assert_eq!(url_path("/a/b"), "/a/b");
    }

    #[test]
    fn unknown_shapes_name_the_shapes_read() {
        for head in [&b"hello,world\n1,2"[..], b"[1,2,3]", b"\x1f\x8b\x08"] {
            let e = detect(head).unwrap_err();
            assert!(e.contains("--summary-export"), "{e}");
            assert!(e.contains("--out csv"), "{e}");
        }
        let e = parse_summary(r#"{"a": 1}"#).unwrap_err();
        assert!(e.contains("without a `metrics` object"), "{e}");
    }
}

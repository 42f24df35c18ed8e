//! k6's sample files folded into the statistics its end-of-test summary prints: `--out json`
//! (NDJSON: `{"type":"Point","data":{"time":...,"value":...,"tags":{...}},"metric":...}`
//! lines, with `Metric` lines describing each metric) and `--out csv` (`metric_name,
//! timestamp,metric_value,...` with one column per system tag). Streamed line by line, so a
//! file of any length is read in bounded memory, except the trend values the percentiles
//! need (at most [`MAX_TREND_VALUES`]). Percentiles by k6's method (linear interpolation
//! at `p·(n-1)`), rates over the span of the samples' timestamps.

use crate::spec::confine::sanitize;
use crate::spec::k6_observed::{K6Shape, NameHint, Observed, SHAPES_READ, SeriesKey, url_path};
use crate::stats::interval::quantile;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Read};

/// Trend values kept for the percentiles (each request's duration counts once overall, once
/// for its `name` and once for its `status`): 240 MB.
pub const MAX_TREND_VALUES: usize = 30_000_000;
/// Longest line read from an NDJSON file.
const MAX_LINE_BYTES: u64 = 1 << 20;
/// Most distinct `name` or `status` values followed (k6 names requests by URL by default;
/// URLs with ids make one name each).
const MAX_TAG_VALUES: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Trend,
    Counter,
    Rate,
    Gauge,
}

/// The metrics compared, with their k6 types; the HTTP ones are also split by tag.
fn kind_of(metric: &str) -> Option<(Kind, bool)> {
    Some(match metric {
        "http_req_duration" => (Kind::Trend, true),
        "iteration_duration" => (Kind::Trend, false),
        "http_reqs" => (Kind::Counter, true),
        "iterations" | "dropped_iterations" => (Kind::Counter, false),
        "http_req_failed" => (Kind::Rate, true),
        "checks" => (Kind::Rate, false),
        "vus" | "vus_max" => (Kind::Gauge, false),
        _ => return None,
    })
}

#[derive(Debug)]
struct Acc {
    kind: Kind,
    values: Vec<f64>,
    count: u64,
    sum: f64,
    nonzero: u64,
    last: f64,
    min: f64,
    max: f64,
}

impl Acc {
    fn new(kind: Kind) -> Acc {
        Acc {
            kind,
            values: Vec::new(),
            count: 0,
            sum: 0.0,
            nonzero: 0,
            last: f64::NAN,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

/// The running fold of a sample file.
struct Folder {
    obs: Observed,
    accs: HashMap<SeriesKey, Acc>,
    tag_values: usize,
    kept: usize,
    t_min: f64,
    t_max: f64,
    points: u64,
}

/// One sample's fields that matter.
struct Sample<'a> {
    metric: &'a str,
    time: Option<f64>,
    value: f64,
    name: Option<&'a str>,
    status: Option<&'a str>,
    method: Option<&'a str>,
    url: Option<&'a str>,
}

impl Folder {
    fn new(shape: K6Shape) -> Folder {
        Folder {
            obs: Observed::new(shape),
            accs: HashMap::new(),
            tag_values: 0,
            kept: 0,
            t_min: f64::INFINITY,
            t_max: f64::NEG_INFINITY,
            points: 0,
        }
    }

    fn add(&mut self, s: &Sample) -> Result<(), String> {
        self.points += 1;
        if let Some(t) = s.time {
            self.t_min = self.t_min.min(t);
            self.t_max = self.t_max.max(t);
        }
        let Some((kind, tagged)) = kind_of(s.metric) else {
            return Ok(());
        };
        if !s.value.is_finite() {
            return Err(format!("a `{}` sample has no finite value", s.metric));
        }
        self.push(SeriesKey::overall(s.metric), kind, s.value)?;
        if tagged {
            for (tag, value) in [("name", s.name), ("status", s.status)] {
                let Some(v) = value.filter(|v| !v.is_empty()) else {
                    continue;
                };
                let key = SeriesKey::tagged(s.metric, tag, v);
                if !self.accs.contains_key(&key) {
                    if self.tag_values >= MAX_TAG_VALUES {
                        continue;
                    }
                    self.tag_values += 1;
                }
                if tag == "name" && !self.obs.name_hints.contains_key(v) {
                    self.obs.name_hints.insert(
                        v.to_string(),
                        NameHint {
                            method: s.method.unwrap_or("").to_string(),
                            path: s.url.map(url_path).unwrap_or_default(),
                        },
                    );
                }
                self.push(key, kind, s.value)?;
            }
        }
        Ok(())
    }

    fn push(&mut self, key: SeriesKey, kind: Kind, x: f64) -> Result<(), String> {
        let acc = self.accs.entry(key).or_insert_with(|| Acc::new(kind));
        acc.count += 1;
        acc.sum += x;
        if x != 0.0 {
            acc.nonzero += 1;
        }
        acc.last = x;
        acc.min = acc.min.min(x);
        acc.max = acc.max.max(x);
        if kind == Kind::Trend {
            if self.kept >= MAX_TREND_VALUES {
                return Err(format!(
                    "more than {MAX_TREND_VALUES} duration values to keep for percentiles; \
                     compare k6's `--summary-export` of this test instead"
                ));
            }
            self.kept += 1;
            acc.values.push(x);
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Observed, String> {
        if self.points == 0 {
            return Err(format!("no samples in the file; {SHAPES_READ}"));
        }
        let span = self.t_max - self.t_min;
        let duration = (span.is_finite() && span > 0.0).then_some(span);
        self.obs.duration_s = duration;
        if duration.is_none() {
            self.obs.notes.push(
                "the samples' timestamps span no time, so rates (`http_reqs.rate`, ...) are not compared"
                    .into(),
            );
        }
        for (key, mut acc) in self.accs {
            let mut m = BTreeMap::new();
            let n = acc.count as f64;
            match acc.kind {
                Kind::Trend => {
                    acc.values.sort_by(f64::total_cmp);
                    m.insert("avg".into(), acc.sum / n);
                    m.insert("min".into(), acc.min);
                    m.insert("med".into(), quantile(&acc.values, 0.5));
                    m.insert("max".into(), acc.max);
                    m.insert("p(90)".into(), quantile(&acc.values, 0.9));
                    m.insert("p(95)".into(), quantile(&acc.values, 0.95));
                }
                Kind::Counter => {
                    m.insert("count".into(), acc.sum);
                    if let Some(d) = duration {
                        m.insert("rate".into(), acc.sum / d);
                    }
                }
                Kind::Rate => {
                    m.insert("rate".into(), acc.nonzero as f64 / n);
                    m.insert("passes".into(), acc.nonzero as f64);
                    m.insert("fails".into(), n - acc.nonzero as f64);
                }
                Kind::Gauge => {
                    m.insert("value".into(), acc.last);
                    m.insert("min".into(), acc.min);
                    m.insert("max".into(), acc.max);
                }
            }
            self.obs.values.insert(key, m);
        }
        if self.tag_values >= MAX_TAG_VALUES {
            self.obs.notes.push(format!(
                "more than {MAX_TAG_VALUES} distinct `name`/`status` values; the rest are counted overall only \
                 (name URLs with ids with a `name` tag in the script)"
            ));
        }
        Ok(self.obs)
    }
}

/// Seconds since the Unix epoch of a timestamp as k6 writes them: RFC 3339 (`--out json`,
/// CSV `timeFormat=rfc3339`), or a Unix number in seconds, ms, µs or ns (CSV `unix`,
/// `unix_milli`, `unix_micro`, `unix_nano`), told apart by magnitude.
pub fn parse_time(text: &str) -> Option<f64> {
    let t = text.trim();
    if let Ok(x) = t.parse::<f64>() {
        let a = x.abs();
        return Some(if a > 1e17 {
            x / 1e9
        } else if a > 1e14 {
            x / 1e6
        } else if a > 1e11 {
            x / 1e3
        } else {
            x
        });
    }
    rfc3339(t)
}

/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
fn rfc3339(t: &str) -> Option<f64> {
    let b = t.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |s: &str| s.parse::<i64>().ok();
    let (y, mo, d) = (num(&t[0..4])?, num(&t[5..7])?, num(&t[8..10])?);
    let (h, mi, s) = (num(&t[11..13])?, num(&t[14..16])?, num(&t[17..19])?);
    let mut rest = &t[19..];
    let mut frac = 0.0;
    if let Some(r) = rest.strip_prefix('.') {
        let end = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
        frac = format!("0.{}", &r[..end]).parse().ok()?;
        rest = &r[end..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        o if o.len() == 6 && (o.starts_with('+') || o.starts_with('-')) => {
            let m = num(&o[1..3])? * 3600 + num(&o[4..6])? * 60;
            if o.starts_with('-') { -m } else { m }
        }
        _ => return None,
    };
    // Days from the civil date (H. Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days * 86_400 + h * 3600 + mi * 60 + s - offset) as f64 + frac)
}

/// Folds an `--out json` file.
pub fn fold_ndjson(mut reader: impl BufRead) -> Result<Observed, String> {
    #[derive(serde::Deserialize)]
    struct Line {
        #[serde(rename = "type")]
        kind: String,
        #[serde(default)]
        metric: String,
        #[serde(default)]
        data: Option<Data>,
    }
    #[derive(serde::Deserialize)]
    struct Data {
        time: Option<String>,
        value: Option<f64>,
        #[serde(default)]
        tags: Option<HashMap<String, serde_json::Value>>,
    }
    let mut f = Folder::new(K6Shape::JsonSamples);
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    loop {
        buf.clear();
        let n = (&mut reader)
            .take(MAX_LINE_BYTES + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| format!("cannot read: {e}"))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        if n as u64 > MAX_LINE_BYTES {
            return Err(format!(
                "line {line_no}: longer than {MAX_LINE_BYTES} bytes; not a k6 `--out json` line"
            ));
        }
        let text = String::from_utf8_lossy(&buf);
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let line: Line = serde_json::from_str(text).map_err(|e| {
            format!(
                "line {line_no}: not a k6 `--out json` line ({e}); it starts `{}`",
                sanitize(text, 40)
            )
        })?;
        match line.kind.as_str() {
            "Metric" => {}
            "Point" => {
                let data = line.data.ok_or_else(|| {
                    format!("line {line_no}: a Point without `data` {{time, value, tags}}")
                })?;
                let value = data
                    .value
                    .ok_or_else(|| format!("line {line_no}: a Point without `data.value`"))?;
                let tags = data.tags.unwrap_or_default();
                let tag = |k: &str| tags.get(k).and_then(serde_json::Value::as_str);
                f.add(&Sample {
                    metric: &line.metric,
                    time: data.time.as_deref().and_then(parse_time),
                    value,
                    name: tag("name"),
                    status: tag("status"),
                    method: tag("method"),
                    url: tag("url"),
                })
                .map_err(|e| format!("line {line_no}: {e}"))?;
            }
            other => {
                return Err(format!(
                    "line {line_no}: type `{}`, where k6 writes `Metric` or `Point`",
                    sanitize(other, 20)
                ));
            }
        }
    }
    f.finish()
}

/// Folds an `--out csv` file (any `timeFormat`; `extra_tags` and `metadata` are ignored).
pub fn fold_csv(reader: impl BufRead) -> Result<Observed, String> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let headers = rdr
        .headers()
        .map_err(|e| format!("cannot read the CSV header: {e}"))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (Some(i_metric), Some(i_time), Some(i_value)) =
        (col("metric_name"), col("timestamp"), col("metric_value"))
    else {
        return Err(format!(
            "the header lacks `metric_name`, `timestamp` or `metric_value`; {SHAPES_READ}"
        ));
    };
    let (i_name, i_status, i_method, i_url) =
        (col("name"), col("status"), col("method"), col("url"));
    let mut f = Folder::new(K6Shape::CsvSamples);
    let mut rec = csv::StringRecord::new();
    let mut line = 1u64;
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(format!("line {}: {e}", line + 1)),
        }
        line += 1;
        let get = |i: Option<usize>| i.and_then(|i| rec.get(i)).filter(|s| !s.is_empty());
        let metric = get(Some(i_metric)).unwrap_or("");
        let value_text = get(Some(i_value)).unwrap_or("");
        let Ok(value) = value_text.trim().parse::<f64>() else {
            return Err(format!(
                "line {line}: metric_value `{}` is not a number",
                sanitize(value_text, 30)
            ));
        };
        let time_text = get(Some(i_time)).unwrap_or("");
        let time = parse_time(time_text);
        if time.is_none() {
            return Err(format!(
                "line {line}: timestamp `{}` is neither a Unix time nor RFC 3339",
                sanitize(time_text, 30)
            ));
        }
        f.add(&Sample {
            metric,
            time,
            value,
            name: get(i_name),
            status: get(i_status),
            method: get(i_method),
            url: get(i_url),
        })
        .map_err(|e| format!("line {line}: {e}"))?;
    }
    f.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_every_k6_format() {
        // 2017-05-09T14:34:45.5+02:00 = 12:34:45.5 UTC = 1494333285.5.
        let t = parse_time("2017-05-09T14:34:45.5+02:00").unwrap();
        assert!((t - 1_494_333_285.5).abs() < 1e-6, "{t}");
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(parse_time("1641298536"), Some(1_641_298_536.0));
        assert_eq!(parse_time("1641298536000"), Some(1_641_298_536.0));
        assert_eq!(parse_time("1641298536000000"), Some(1_641_298_536.0));
        assert_eq!(parse_time("1641298536000000000"), Some(1_641_298_536.0));
        assert_eq!(parse_time("yesterday"), None);
    }
}

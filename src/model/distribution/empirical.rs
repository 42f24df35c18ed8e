//! Empirical distributions: samples read from a CSV file (one column, a header row),
//! sorted, with their interpolated quantiles and moments.

use super::{Distribution, Empirical};
use crate::error::FieldError;
use crate::spec::confine::{Files, sanitize};
use crate::spec::distribution::EmpiricalSpec;

/// At most this many column names of a sample file are listed in a message, each cut to
/// [`MAX_NAME_CHARS`] characters with control characters removed: a message never echoes
/// more of a file than a bounded excerpt.
const MAX_LISTED_COLUMNS: usize = 10;
const MAX_NAME_CHARS: usize = 40;

fn column_list(columns: &[&str]) -> String {
    let mut list: Vec<String> = columns
        .iter()
        .take(MAX_LISTED_COLUMNS)
        .map(|c| sanitize(c, MAX_NAME_CHARS))
        .collect();
    if columns.len() > MAX_LISTED_COLUMNS {
        list.push(format!("and {} more", columns.len() - MAX_LISTED_COLUMNS));
    }
    list.join(", ")
}

pub(super) fn build_empirical(
    e: &EmpiricalSpec,
    files: &Files,
) -> Result<Distribution, FieldError> {
    let path = files
        .resolve(&e.file)
        .map_err(|e| FieldError::new("file", e))?;
    let name = &e.file;
    let file_err = |message: String| FieldError::new("file", message);
    let bytes = crate::spec::read::read_sample_file(&path).map_err(|why| {
        file_err(format!(
            "cannot read sample file {} ({why}); the path is relative to {}",
            path.display(),
            files.dir().display()
        ))
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(bytes.as_slice());
    let headers = reader
        .headers()
        .map_err(|err| file_err(csv_error_text(name, &err)))?
        .clone();
    if headers.is_empty() || headers.iter().all(str::is_empty) {
        return Err(file_err(format!(
            "{name} is empty; it needs a header row, then one sample per row"
        )));
    }
    let (index, column) = match &e.column {
        None => (0, headers.get(0).unwrap_or("").to_string()),
        Some(wanted) => match headers.iter().position(|h| h == wanted) {
            Some(i) => (i, wanted.clone()),
            None => {
                let columns: Vec<&str> = headers.iter().collect();
                let hint = columns
                    .iter()
                    .map(|c| (strsim::jaro_winkler(c, wanted), *c))
                    .filter(|(score, _)| *score > 0.8)
                    .max_by(|a, b| a.0.total_cmp(&b.0))
                    .map(|(_, c)| format!(" (did you mean \"{}\"?)", sanitize(c, 40)))
                    .unwrap_or_default();
                return Err(FieldError::new(
                    "column",
                    format!(
                        "{name} has no column \"{wanted}\"{hint}; its columns are: {}",
                        column_list(&columns)
                    ),
                ));
            }
        },
    };
    let unit = e.unit;
    let mut samples = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|err| file_err(csv_error_text(name, &err)))?;
        let line = record.position().map_or(0, |p| p.line());
        let raw = record.get(index).unwrap_or("");
        let bad = |what: String| {
            file_err(format!(
                "{name} line {line}: {what}; each value in column \"{column}\" must be a number >= 0 in {unit}"
            ))
        };
        if raw.is_empty() {
            return Err(bad(format!("the value in column \"{column}\" is empty")));
        }
        let value: f64 = raw
            .parse()
            .map_err(|_| bad(format!("\"{}\" is not a number", sanitize(raw, 40))))?;
        if !value.is_finite() {
            return Err(bad(format!("\"{raw}\" is not a finite number")));
        }
        if value < 0.0 {
            return Err(bad(format!("{raw} is negative")));
        }
        samples.push(value * unit.secs());
    }
    if samples.is_empty() {
        return Err(file_err(format!(
            "{name} has a header but no samples; at least 1 row is needed"
        )));
    }
    Ok(Distribution::Empirical(Empirical::new(
        samples,
        name.clone(),
    )))
}

fn csv_error_text(name: &str, err: &csv::Error) -> String {
    let at = |pos: &Option<csv::Position>| match pos {
        Some(p) => format!("{name} line {}", p.line()),
        None => name.to_string(),
    };
    match err.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => format!(
            "{}: {len} field{}, but the header has {expected_len}; every row needs the same number of comma-separated fields",
            at(pos),
            if *len == 1 { "" } else { "s" }
        ),
        csv::ErrorKind::Utf8 { pos, err } => format!("{}: not valid UTF-8 ({err})", at(pos)),
        csv::ErrorKind::Io(io) => format!("{name}: {io}"),
        _ => format!("{name}: {err}"),
    }
}

impl Empirical {
    fn new(mut samples: Vec<f64>, source: String) -> Self {
        samples.sort_by(f64::total_cmp);
        let n = samples.len();
        let (mean, second_moment) = if n == 1 {
            (samples[0], samples[0] * samples[0])
        } else {
            let sum: f64 = samples.iter().sum();
            let mean = (sum - 0.5 * (samples[0] + samples[n - 1])) / (n - 1) as f64;
            let sq: f64 = samples
                .windows(2)
                .map(|w| (w[0] * w[0] + w[0] * w[1] + w[1] * w[1]) / 3.0)
                .sum();
            (mean, sq / (n - 1) as f64)
        };
        Empirical {
            sorted: samples.into(),
            mean,
            second_moment,
            source,
        }
    }
    /// The samples, in seconds, sorted ascending.
    pub fn samples_secs(&self) -> &[f64] {
        &self.sorted
    }
    /// The file the samples came from, as written in the spec.
    pub fn source(&self) -> &str {
        &self.source
    }
    /// The q-quantile (0 ≤ q ≤ 1) of the interpolated CDF.
    pub fn quantile_secs(&self, q: f64) -> f64 {
        let s = &self.sorted;
        let n = s.len();
        if n == 1 {
            return s[0];
        }
        let t = q.clamp(0.0, 1.0) * (n - 1) as f64;
        let i = (t.floor() as usize).min(n - 2);
        let frac = t - i as f64;
        s[i] + frac * (s[i + 1] - s[i])
    }
}

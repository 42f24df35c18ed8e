//! Reading a sweep's `sweep.csv` (see [`crate::gate::sweep::csv`]) into a [`SweepTable`].
//! The reader is tolerant: columns are found by name, unknown columns are ignored, empty
//! cells read as missing.

use std::collections::HashMap;

/// File name of a sweep's table inside its folder.
pub const SWEEP_CSV: &str = "sweep.csv";
/// The metric the heatmap colours by default (`<metric>_mean/_lo/_hi` columns).
pub const DEFAULT_METRIC: &str = "http_req_duration.p(95)";

/// A sweep.csv: parameter columns, then named value columns.
#[derive(Debug, Clone)]
pub struct SweepTable {
    /// Parameter paths, in grid order (the first varies slowest).
    pub params: Vec<String>,
    pub rows: Vec<SweepRow>,
    columns: HashMap<String, usize>,
}

#[derive(Debug, Clone)]
pub struct SweepRow {
    pub point: usize,
    /// Values of the parameters, as written.
    pub params: Vec<String>,
    cells: Vec<String>,
}

impl SweepTable {
    /// Parses sweep.csv text: `point`, the parameters, then `replications` and the metric
    /// columns. Columns other than `point` and the parameters are looked up by name.
    pub fn parse(text: &str) -> Result<SweepTable, String> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let head: Vec<String> = reader
            .headers()
            .map_err(|e| format!("header: {e}"))?
            .iter()
            .map(|s| s.trim().to_string())
            .collect();
        if head.first().map(String::as_str) != Some("point") {
            return Err("the first column must be `point`".into());
        }
        let is_value = |h: &str| {
            h == "replications"
                || h.ends_with("_mean")
                || h.starts_with("P(")
                || h.starts_with("slo_attainment")
                || h == "pareto"
        };
        let n_params = head[1..].iter().take_while(|h| !is_value(h)).count();
        if n_params == 0 {
            return Err("no parameter columns between `point` and the values".into());
        }
        let params = head[1..=n_params].to_vec();
        let columns = head
            .iter()
            .enumerate()
            .map(|(i, h)| (h.clone(), i))
            .collect();
        let mut rows = Vec::new();
        for (line, rec) in reader.records().enumerate() {
            let rec = rec.map_err(|e| format!("row {}: {e}", line + 1))?;
            if rec.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let cells: Vec<String> = rec.iter().map(|c| c.trim().to_string()).collect();
            let point = cells[0]
                .parse::<usize>()
                .map_err(|_| format!("row {}: `point` is not a number", line + 1))?;
            if cells.len() <= n_params {
                return Err(format!("row {}: too few cells", line + 1));
            }
            rows.push(SweepRow {
                point,
                params: cells[1..=n_params].to_vec(),
                cells,
            });
        }
        if rows.is_empty() {
            return Err("no rows".into());
        }
        Ok(SweepTable {
            params,
            rows,
            columns,
        })
    }

    pub fn has(&self, column: &str) -> bool {
        self.columns.contains_key(column)
    }

    /// A numeric cell; NaN when the column is absent or the cell empty or not a number.
    pub fn value(&self, row: &SweepRow, column: &str) -> f64 {
        self.columns
            .get(column)
            .and_then(|&i| row.cells.get(i))
            .and_then(|c| c.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    }

    /// Distinct values of parameter `k`, in order of first appearance (grid order).
    pub fn levels(&self, k: usize) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in &self.rows {
            if !out.contains(&r.params[k]) {
                out.push(r.params[k].clone());
            }
        }
        out
    }

    /// Pareto marks: the `pareto` column where present, else computed from cost and
    /// attainment (no other point at most as costly and at least as good, better on one).
    pub fn pareto(&self) -> Vec<bool> {
        if let Some(&i) = self.columns.get("pareto") {
            return self
                .rows
                .iter()
                .map(|r| r.cells.get(i).is_some_and(|c| c == "true"))
                .collect();
        }
        let pts: Vec<(f64, f64)> = self
            .rows
            .iter()
            .map(|r| (self.cost(r), self.value(r, "slo_attainment")))
            .collect();
        pts.iter()
            .map(|&(c, a)| {
                c.is_finite()
                    && a.is_finite()
                    && !pts
                        .iter()
                        .any(|&(qc, qa)| qc <= c && qa >= a && (qc < c || qa > a))
            })
            .collect()
    }

    pub(super) fn cost(&self, row: &SweepRow) -> f64 {
        if self.replica_seconds() {
            self.value(row, "cost.replica_s_mean")
        } else {
            self.value(row, "cost.total_usd_mean")
        }
    }

    /// The sweep had no prices: its cost is replica-seconds, not USD.
    pub fn replica_seconds(&self) -> bool {
        self.has("cost.replica_s_mean")
    }

    /// The metric to draw: `wanted` when the table has `<wanted>_mean`, else the default,
    /// else the first `_mean` column.
    pub(super) fn metric(&self, wanted: &str) -> Option<String> {
        for m in [wanted, DEFAULT_METRIC] {
            if self.has(&format!("{m}_mean")) {
                return Some(m.to_string());
            }
        }
        let mut cols: Vec<(&String, &usize)> = self.columns.iter().collect();
        cols.sort_by_key(|(_, i)| **i);
        cols.into_iter()
            .find_map(|(h, _)| h.strip_suffix("_mean").map(str::to_string))
    }

    pub(super) fn replications_text(&self) -> String {
        let ns: Vec<f64> = self
            .rows
            .iter()
            .map(|r| self.value(r, "replications"))
            .filter(|v| v.is_finite())
            .collect();
        let lo = ns.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = ns.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if ns.is_empty() {
            String::new()
        } else if lo == hi {
            format!(
                " · {} replication{} each",
                lo,
                if lo == 1.0 { "" } else { "s" }
            )
        } else {
            format!(" · {lo}–{hi} replications each")
        }
    }
}

/// Short names of parameter paths: the last segment, or as many trailing segments as
/// make the names distinct.
pub fn short_names(paths: &[String]) -> Vec<String> {
    let segs: Vec<Vec<&str>> = paths.iter().map(|p| p.split('.').collect()).collect();
    let max = segs.iter().map(Vec::len).max().unwrap_or(1);
    for k in 1..=max {
        let names: Vec<String> = segs
            .iter()
            .map(|s| s[s.len().saturating_sub(k)..].join("."))
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        if sorted.len() == names.len() {
            return names;
        }
    }
    paths.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_disambiguate() {
        let p = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            short_names(&p(&["a.b.workers", "c.d.replicas"])),
            p(&["workers", "replicas"])
        );
        assert_eq!(
            short_names(&p(&["services.web.workers", "services.api.workers"])),
            p(&["web.workers", "api.workers"])
        );
    }

    #[test]
    fn parse_finds_parameters_and_tolerates_extra_columns() {
        let t = SweepTable::parse(
            "point,x,y,replications,extra,m_mean,slo_attainment,pareto\n0,1,a,4,zz,2.5,1,true\n1,2,a,4,zz,,0.5,false\n",
        )
        .unwrap();
        assert_eq!(t.params, vec!["x", "y"]);
        assert_eq!(t.value(&t.rows[0], "m_mean"), 2.5);
        assert!(t.value(&t.rows[1], "m_mean").is_nan());
        assert_eq!(t.pareto(), vec![true, false]);
        assert_eq!(t.levels(0), vec!["1", "2"]);
    }
}

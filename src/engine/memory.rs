//! The memory budget (`--max-memory`): what one replication's state and one kept result
//! cost in bytes, estimated before running from the experiment (VUs, buckets, endpoints)
//! and while running from the engine's live counters (pending events, task slots, VUs,
//! queued work, buckets written). Estimates, not measurements: each growable array counts
//! at its live length times its element size, plus the allocator's growth slack.

use crate::engine::budget::{Budget, RunError};
use crate::model::experiment::Experiment;

/// Default `--max-memory` of `run`, `sweep`, `report`, `calibrate` and `bench`.
pub const DEFAULT_MAX_MEMORY: u64 = 4 << 30;
/// Default `--max-memory` of the CI gate commands `check` and `diff`: half of a 7 GiB
/// hosted runner's memory shared with the rest of the job, less than `run`'s.
pub const DEFAULT_GATE_MAX_MEMORY: u64 = 2 << 30;

/// An HDR latency histogram (1 us to 24 h, 3 significant figures): about 23,600 counters.
pub const HISTOGRAM_BYTES: u64 = 192 << 10;
/// Memory of the process besides the replications: the binary, the model, thread stacks.
pub const BASE_BYTES: u64 = 64 << 20;
/// A growable array holds up to twice its live length.
const GROWTH: u64 = 2;

/// Sizes of the engine's per-item state, from its components.
#[derive(Debug, Clone, Copy)]
pub struct ItemBytes {
    pub event: u64,
    pub task: u64,
    pub vu: u64,
    pub waiting: u64,
}

impl ItemBytes {
    pub fn get() -> Self {
        ItemBytes {
            event: crate::engine::queue::EventQueue::ENTRY_BYTES as u64,
            task: crate::engine::task::Tasks::SLOT_BYTES as u64,
            vu: crate::engine::vus::VuPool::VU_BYTES as u64,
            waiting: std::mem::size_of::<crate::engine::station::Waiting>() as u64,
        }
    }
}

/// Bytes of one time-series bucket row (kept by the recorder and in the result).
pub fn bucket_row_bytes(exp: &Experiment) -> u64 {
    let stations = exp.model.stations.len() as u64;
    let dbs = exp.model.databases.len() as u64;
    // Five per-station or per-database columns, each a Vec (header + heap block).
    std::mem::size_of::<crate::engine::result::BucketRow>() as u64
        + (4 * stations + dbs) * 8
        + 5 * 16
}

/// The estimate of an experiment, before running it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    /// Most VUs of all scenarios together.
    pub vus: u64,
    pub buckets: u64,
    /// One running replication's state at its peak (VUs with their pending timers and a
    /// request each, histograms, its time series).
    pub state: u64,
    /// One finished replication's result (time series, distributions).
    pub result: u64,
}

impl Estimate {
    pub fn of(exp: &Experiment) -> Self {
        let items = ItemBytes::get();
        let vus = exp
            .scenarios
            .iter()
            .fold(0u64, |n, s| n.saturating_add(s.scenario.max_vus()));
        let buckets = exp.n_buckets() as u64;
        let endpoints = exp.model.endpoints.len() as u64;
        let rows = buckets.saturating_mul(bucket_row_bytes(exp));
        // A VU: its record, its place in its scenario's lists, a wake-up or timeout pending
        // (two events) and a request in a service (a task) at a time.
        let per_vu = items.vu + 8 + 2 * items.event + items.task;
        let state = vus
            .saturating_mul(per_vu)
            .saturating_mul(GROWTH)
            .saturating_add((endpoints + 2).saturating_mul(HISTOGRAM_BYTES))
            .saturating_add(rows.saturating_mul(GROWTH));
        // Per endpoint: 201 distribution points and a few quantiles.
        let result = rows.saturating_add(endpoints.saturating_mul(256 * 8));
        Estimate {
            vus,
            buckets,
            state,
            result,
        }
    }

    /// Bytes for `running` replications at once and `kept` results.
    pub fn total(&self, running: u64, kept: u64) -> u64 {
        BASE_BYTES
            .saturating_add(self.state.saturating_mul(running))
            .saturating_add(self.result.saturating_mul(kept))
    }
}

impl Budget {
    /// This budget for `running` replications at once of `exp`, `kept` results of which
    /// are held until the end: refuses an experiment whose estimate exceeds `max_memory`
    /// and sets each replication's share of it.
    pub fn for_run(
        self,
        exp: &crate::model::experiment::Experiment,
        running: usize,
        kept: usize,
    ) -> Result<Budget, RunError> {
        let state_limit = plan(exp, running as u64, kept as u64, self.max_memory)?;
        Ok(Budget {
            state_limit,
            ..self
        })
    }
}

/// Checks that `running` replications at once and `kept` results fit in `limit` bytes;
/// returns each running replication's share for its live state.
pub fn plan(
    exp: &Experiment,
    running: u64,
    kept: u64,
    limit: Option<u64>,
) -> Result<u64, RunError> {
    let Some(limit) = limit else {
        return Ok(u64::MAX);
    };
    let e = Estimate::of(exp);
    let running = running.max(1);
    let total = e.total(running, kept);
    if total > limit {
        return Err(RunError::MemoryEstimate {
            estimate: format_bytes(total),
            limit: format_bytes(limit),
            detail: format!(
                "{} per running replication x {running} at once ({} VUs, {} time buckets), \
                 {} per kept result x {kept}",
                format_bytes(e.state),
                e.vus,
                e.buckets,
                format_bytes(e.result),
            ),
        });
    }
    let kept_bytes = e.result.saturating_mul(kept);
    Ok(limit.saturating_sub(BASE_BYTES).saturating_sub(kept_bytes) / running)
}

/// `1536` -> `1.5 KiB`.
pub fn format_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// Parses a `--max-memory` size: `2GiB`, `512MiB`, `1.5GB`, `100000` (bytes); `None` for
/// `none`.
pub fn parse_size(text: &str) -> Result<Option<u64>, String> {
    let t = text.trim();
    if matches!(t, "none" | "off" | "0") {
        return Ok(None);
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("{t:?}: a size such as 512MiB, 2GiB or 4GB (or `none`)"))?;
    let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "kib" => 1024.0,
        "m" | "mb" => 1e6,
        "mib" => 1024.0 * 1024.0,
        "g" | "gb" => 1e9,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" => 1e12,
        "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "{t:?}: unknown unit {other:?}; use B, KiB, MiB, GiB (or kB, MB, GB), or `none`"
            ));
        }
    };
    let bytes = value * scale;
    if !bytes.is_finite() || !(1.0..=1.8e19).contains(&bytes) {
        return Err(format!("{t:?}: between 1 byte and 16 EiB, or `none`"));
    }
    Ok(Some(bytes as u64))
}

/// One running replication's live state in bytes, from the engine's counters.
#[derive(Debug, Clone, Copy, Default)]
pub struct Live {
    pub events: u64,
    pub tasks: u64,
    pub vus: u64,
    pub queued: u64,
    pub buckets: u64,
}

impl Live {
    pub fn bytes(&self, items: &ItemBytes, row: u64) -> u64 {
        (self.events * items.event
            + self.tasks * items.task
            + self.vus * (items.vu + 8)
            + self.queued * items.waiting
            + self.buckets * row)
            .saturating_mul(GROWTH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("2GiB"), Ok(Some(2 << 30)));
        assert_eq!(parse_size("512MiB"), Ok(Some(512 << 20)));
        assert_eq!(parse_size("1.5GB"), Ok(Some(1_500_000_000)));
        assert_eq!(parse_size("4096"), Ok(Some(4096)));
        assert_eq!(parse_size("none"), Ok(None));
        assert!(parse_size("2 parsecs").is_err());
        assert!(parse_size("-1GiB").is_err());
        assert!(parse_size("1e30").is_err());
        assert_eq!(format_bytes(1536), "1.5 KiB");
        assert_eq!(format_bytes(3 << 30), "3.0 GiB");
    }
}

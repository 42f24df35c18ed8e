//! The memory budget (`--max-memory`): what one replication's state and one kept result
//! cost in bytes, estimated before running from the experiment (VUs, buckets, endpoints)
//! and while running from the engine's live counters (pending events, task slots, VUs,
//! queued work, buckets written). Estimates, not measurements: each growable array counts
//! at its live length times its element size, plus the allocator's growth slack.
//!
//! What a run keeps of its finished replications depends on its caller ([`Kept`]): `capsim
//! run` folds each one's time buckets and latency distributions into running bands as it
//! finishes (a bounded [`fold_bytes`]) and keeps only a compact result; callers that read
//! every replication's buckets afterwards keep whole results.

use crate::engine::budget::{Budget, RunError};
use crate::model::experiment::Experiment;

/// Default `--max-memory` of `run`, `sweep`, `report`, `calibrate` and `bench`.
pub const DEFAULT_MAX_MEMORY: u64 = 4 << 30;
/// Default `--max-memory` of the CI gate commands `check` and `diff`: half of a 7 GiB
/// hosted runner's memory shared with the rest of the job, less than `run`'s.
pub const DEFAULT_GATE_MAX_MEMORY: u64 = 2 << 30;

/// An HDR latency histogram (1 us to 24 h, 3 significant figures): about 23,600 counters.
pub const HISTOGRAM_BYTES: u64 = 192 << 10;
/// The 16-bit front each endpoint's histogram records into while a replication runs
/// (`stats::latency_front`): about 28,700 cells.
pub const LATENCY_FRONT_BYTES: u64 = 56 << 10;
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
            // A queued entry, and the job behind it when it has no task slot yet.
            waiting: (std::mem::size_of::<crate::engine::station::Waiting>()
                + std::mem::size_of::<crate::engine::station::QueuedJob>())
                as u64,
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

/// What a run keeps of each finished replication until its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kept {
    /// The whole result, time buckets and latency distributions included.
    #[default]
    Whole,
    /// A compact result ([`crate::engine::result::ReplicationResult::compact`]); the
    /// buckets and distributions go into running bands ([`fold_bytes`]).
    Compact,
    /// A compact result and no bands: the caller reads summaries only (`check` without
    /// alert rules, `diff`).
    CompactNoBands,
}

/// Bytes of the running bands of a run that keeps `kept` compact results: a band cell per
/// time bucket and column and per endpoint and distribution percentile, each holding up
/// to [`crate::stats::band_fold::EXACT_CAP`] values exactly and a fixed-size P-square
/// sketch past them, so this stops growing at the cap.
pub fn fold_bytes(exp: &Experiment, kept: u64) -> u64 {
    use crate::stats::band_fold::{BandCell, EXACT_CAP};
    let stations = exp.model.stations.len() as u64;
    let columns = 7 + 5 * stations + exp.model.databases.len() as u64;
    let percentiles = crate::engine::result::distribution_percentiles().count() as u64;
    let cells = (exp.n_buckets() as u64)
        .saturating_mul(columns)
        .saturating_add((exp.model.endpoints.len() as u64).saturating_mul(percentiles));
    let exact = kept
        .min(EXACT_CAP as u64)
        .next_power_of_two()
        .min(EXACT_CAP as u64)
        * 8;
    let per_cell = std::mem::size_of::<BandCell>() as u64
        + if kept > EXACT_CAP as u64 {
            (BandCell::MAX_BYTES - EXACT_CAP * 8) as u64
        } else {
            exact
        };
    cells.saturating_mul(per_cell)
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
    /// One finished replication's whole result (time series, distributions).
    pub result: u64,
    /// One finished replication's compact result (no buckets or distributions).
    pub compact: u64,
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
        // Each threshold sub-metric of durations keeps a histogram and its front.
        let sub_hists = exp
            .submetrics
            .iter()
            .filter(|p| p.family.keeps_durations())
            .count() as u64;
        let state = vus
            .saturating_mul(per_vu)
            .saturating_mul(GROWTH)
            .saturating_add((endpoints + 2).saturating_mul(HISTOGRAM_BYTES))
            .saturating_add(endpoints.saturating_mul(LATENCY_FRONT_BYTES))
            .saturating_add(sub_hists.saturating_mul(HISTOGRAM_BYTES + LATENCY_FRONT_BYTES))
            .saturating_add(rows.saturating_mul(GROWTH));
        use crate::engine::result::{
            DatabaseResult, EndpointResult, ReplicationResult, SlimBucket, StationResult,
            WindowResult,
        };
        use std::mem::size_of;
        // The scalars: per endpoint, station, database, stage and fault window, plus
        // checks, sub-metrics and scaling decisions (a kibibyte).
        let windows = (exp.stages.len() + exp.faults.len()) as u64;
        let fixed = size_of::<ReplicationResult>() as u64
            + endpoints * (size_of::<EndpointResult>() as u64 + 64)
            + exp.model.stations.len() as u64 * size_of::<StationResult>() as u64
            + exp.model.databases.len() as u64 * size_of::<DatabaseResult>() as u64
            + windows * (size_of::<WindowResult>() as u64 + 64)
            + 1024;
        // Fault recovery keeps each bucket's requests, failures and p95.
        let slim = if exp.faults.is_empty() {
            0
        } else {
            buckets.saturating_mul(size_of::<SlimBucket>() as u64)
        };
        // Per endpoint: 201 distribution points and a few quantiles.
        let result = rows
            .saturating_add(endpoints.saturating_mul(256 * 8))
            .saturating_add(fixed);
        Estimate {
            vus,
            buckets,
            state,
            result,
            compact: fixed.saturating_add(slim),
        }
    }

    /// Bytes for `running` replications at once and `kept` whole results.
    pub fn total(&self, running: u64, kept: u64) -> u64 {
        BASE_BYTES
            .saturating_add(self.state.saturating_mul(running))
            .saturating_add(self.result.saturating_mul(kept))
    }

    /// Bytes of what a run keeps of `kept` finished replications: whole results, or
    /// compact ones and the running bands (`fold`, from [`fold_bytes`]).
    pub fn kept_bytes(&self, kept: u64, how: Kept, fold: u64) -> u64 {
        match how {
            Kept::Whole => self.result.saturating_mul(kept),
            Kept::Compact | Kept::CompactNoBands => {
                self.compact.saturating_mul(kept).saturating_add(fold)
            }
        }
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
        self.for_run_keeping(exp, running, kept, Kept::Whole)
    }

    /// [`Budget::for_run`] for a run that keeps its finished replications `how`.
    pub fn for_run_keeping(
        self,
        exp: &crate::model::experiment::Experiment,
        running: usize,
        kept: usize,
        how: Kept,
    ) -> Result<Budget, RunError> {
        let state_limit = plan(exp, running as u64, kept as u64, how, self.max_memory)?;
        Ok(Budget {
            state_limit,
            ..self
        })
    }
}

/// Checks that `running` replications at once and `kept` results (kept `how`) fit in
/// `limit` bytes; returns each running replication's share for its live state.
pub fn plan(
    exp: &Experiment,
    running: u64,
    kept: u64,
    how: Kept,
    limit: Option<u64>,
) -> Result<u64, RunError> {
    let Some(limit) = limit else {
        return Ok(u64::MAX);
    };
    let e = Estimate::of(exp);
    let running = running.max(1);
    let fold = match how {
        Kept::Whole | Kept::CompactNoBands => 0,
        Kept::Compact => fold_bytes(exp, kept),
    };
    let kept_bytes = e.kept_bytes(kept, how, fold);
    let total = BASE_BYTES
        .saturating_add(e.state.saturating_mul(running))
        .saturating_add(kept_bytes);
    if total > limit {
        let per_kept = match how {
            Kept::Whole => format!("{} per kept result x {kept}", format_bytes(e.result)),
            Kept::Compact => format!(
                "{} per kept result x {kept} and {} of running bands",
                format_bytes(e.compact),
                format_bytes(fold)
            ),
            Kept::CompactNoBands => {
                format!("{} per kept result x {kept}", format_bytes(e.compact))
            }
        };
        return Err(RunError::MemoryEstimate {
            estimate: format_bytes(total),
            limit: format_bytes(limit),
            detail: format!(
                "{} per running replication x {running} at once ({} VUs, {} time buckets), \
                 {per_kept}",
                format_bytes(e.state),
                e.vus,
                e.buckets,
            ),
        });
    }
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

    /// The estimate's per-endpoint figures cover what a running replication holds: an HDR
    /// histogram and its 16-bit front (this fails if either grows past its constant).
    #[test]
    fn histogram_constants_cover_the_structures() {
        let front: crate::stats::latency::LatencyFront = crate::stats::latency::LatencyFront::new();
        assert!(
            front.bytes() as u64 <= LATENCY_FRONT_BYTES,
            "{}",
            front.bytes()
        );
        assert!(
            front.bytes() as u64 > LATENCY_FRONT_BYTES / 2,
            "{}",
            front.bytes()
        );
    }
}

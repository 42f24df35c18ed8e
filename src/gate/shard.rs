//! `--shard K/N` and `capsim merge`: a shard runs the replication indices (or sweep points)
//! i with i % N == K-1 and writes DIR/partial.yaml; merge puts the shards together and
//! writes the outputs of one run, byte for byte (replication results keep every bit:
//! floats are written in shortest round-trip form, NaN as `.nan`).

use crate::engine::result::ReplicationResult;
use crate::gate::sweep::{Axis, Row};
use crate::model::experiment::Experiment;
use serde::{Deserialize, Serialize};

pub const PARTIAL_FILE: &str = "partial.yaml";

/// `K/N` with 1 <= K <= N.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub k: u32,
    pub n: u32,
}

impl Shard {
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || {
            format!(
                "--shard `{text}`: write K/N with 1 <= K <= N, e.g. --shard 2/4 (the second of four shards)"
            )
        };
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let k: u32 = k.trim().parse().map_err(|_| bad())?;
        let n: u32 = n.trim().parse().map_err(|_| bad())?;
        if n == 0 || k == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }

    /// Whether item `i` (replication index or sweep point) belongs to this shard.
    pub fn owns(&self, i: u64) -> bool {
        i % self.n as u64 == (self.k - 1) as u64
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Run,
    Sweep,
}

/// What one shard writes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Partial {
    pub capsim_version: String,
    pub kind: Kind,
    /// The experiment path as given on the command line (merge reloads it from there).
    pub experiment: String,
    pub overrides: Vec<String>,
    pub seed: u64,
    pub replications: u32,
    pub shard: Shard,
    /// Run shards: the replications of this shard, in index order.
    #[serde(default)]
    pub results: Vec<ReplicationResult>,
    /// Sweep shards: the grid, the column names and the rows of this shard's points.
    #[serde(default)]
    pub grid: Vec<Axis>,
    #[serde(default)]
    pub header: Vec<String>,
    #[serde(default)]
    pub rows: Vec<Row>,
}

impl Partial {
    /// What a run shard writes: `results`, its replications of `exp` (loaded from
    /// `experiment` with `overrides`).
    pub fn run(
        experiment: String,
        overrides: Vec<String>,
        exp: &Experiment,
        shard: Shard,
        results: Vec<ReplicationResult>,
    ) -> Partial {
        Partial {
            capsim_version: env!("CARGO_PKG_VERSION").into(),
            kind: Kind::Run,
            experiment,
            overrides,
            seed: exp.seed,
            replications: exp.replications,
            shard,
            results,
            grid: Vec::new(),
            header: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// What a sweep shard writes: the grid, the column names and the rows of its points.
    pub fn sweep(
        experiment: String,
        overrides: Vec<String>,
        base: &Experiment,
        shard: Shard,
        grid: Vec<Axis>,
        header: Vec<String>,
        rows: Vec<Row>,
    ) -> Partial {
        Partial {
            capsim_version: env!("CARGO_PKG_VERSION").into(),
            kind: Kind::Sweep,
            experiment,
            overrides,
            seed: base.seed,
            replications: base.replications,
            shard,
            results: Vec::new(),
            grid,
            header,
            rows,
        }
    }

    pub fn to_yaml(&self) -> Result<String, String> {
        serde_saphyr::to_string(self).map_err(|e| e.to_string())
    }

    pub fn from_yaml(text: &str) -> Result<Partial, String> {
        let mut options = serde_saphyr::options! { budget: None };
        options.non_finite_float_policy = serde_saphyr::options::NonFiniteFloatPolicy::PassThrough;
        serde_saphyr::from_str_with_options(text, options).map_err(|e| {
            e.to_string()
                .lines()
                .next()
                .unwrap_or("cannot parse")
                .to_string()
        })
    }

    /// The same run (kind, experiment, overrides, seed, replications, shard count)?
    pub fn same_run(&self, other: &Partial) -> Result<(), String> {
        let mismatch = |what: &str| {
            Err(format!(
                "the shards come from different runs: {what} differ"
            ))
        };
        if self.capsim_version != other.capsim_version {
            return mismatch("capsim versions");
        }
        if std::mem::discriminant(&self.kind) != std::mem::discriminant(&other.kind) {
            return mismatch("kinds (run and sweep)");
        }
        if self.experiment != other.experiment {
            return mismatch("experiments");
        }
        if self.overrides != other.overrides {
            return mismatch("--set overrides");
        }
        if self.seed != other.seed || self.replications != other.replications {
            return mismatch("seeds or replication counts");
        }
        if self.shard.n != other.shard.n {
            return mismatch("shard counts N");
        }
        if self.grid != other.grid || self.header != other.header {
            return mismatch("sweep grids");
        }
        Ok(())
    }
}

/// Checks that `parts` (at least one) come from one run and hold each of its N shards
/// exactly once.
pub fn check_complete(parts: &[Partial]) -> Result<(), String> {
    for p in &parts[1..] {
        p.same_run(&parts[0])?;
    }
    let n = parts[0].shard.n;
    let mut ks: Vec<u32> = parts.iter().map(|p| p.shard.k).collect();
    ks.sort_unstable();
    let want: Vec<u32> = (1..=n).collect();
    if ks != want {
        let missing: Vec<String> = want
            .iter()
            .filter(|k| !ks.contains(k))
            .map(|k| format!("{k}/{n}"))
            .collect();
        return Err(format!(
            "merge needs each of the {n} shards exactly once; got {}{}",
            ks.iter()
                .map(|k| format!("{k}/{n}"))
                .collect::<Vec<_>>()
                .join(", "),
            if missing.is_empty() {
                " (a shard appears twice)".to_string()
            } else {
                format!("; missing {}", missing.join(", "))
            }
        ));
    }
    Ok(())
}

/// The run shards' replications in index order; they must be 0..`replications`, once each.
pub fn merge_results(
    parts: Vec<Partial>,
    replications: u32,
) -> Result<Vec<ReplicationResult>, String> {
    let mut results: Vec<ReplicationResult> = parts.into_iter().flat_map(|p| p.results).collect();
    results.sort_by_key(|r| r.index);
    if !results.iter().map(|r| r.index).eq(0..replications) {
        return Err(format!(
            "the shards do not hold replications 0..{replications} exactly once each"
        ));
    }
    Ok(results)
}

/// The sweep shards' rows in point order; they must be 0..`points`, once each.
pub fn merge_rows(parts: Vec<Partial>, points: usize) -> Result<Vec<Row>, String> {
    let mut rows: Vec<Row> = parts.into_iter().flat_map(|p| p.rows).collect();
    rows.sort_by_key(|r| r.index);
    if !rows.iter().map(|r| r.index).eq(0..points) {
        return Err(format!(
            "the shards do not hold sweep points 0..{points} exactly once each"
        ));
    }
    Ok(rows)
}

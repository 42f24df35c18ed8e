//! `--shard K/N` and `capsim merge`: a shard runs the replication indices (or sweep points)
//! i with i % N == K-1 and writes DIR/partial.yaml; merge puts the shards together and
//! writes the outputs of one run, byte for byte (replication results keep every bit:
//! floats are written in shortest round-trip form, NaN as `.nan`).

use crate::engine::result::ReplicationResult;
use crate::gate::sweep::{Axis, Row};
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

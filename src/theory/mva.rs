//! Closed interactive networks: exact Mean Value Analysis with single-server stations and
//! with multiple-server (load-dependent) stations, and the asymptotic throughput bound
//! (Reiser & Lavenberg 1980; Lazowska et al. 1984, ch. 5, 6, 20; Bolch et al. 2006, 8.2).
use crate::theory::error::{TheoryError, at_least_one, non_negative};
use serde::Serialize;

/// Result of Mean Value Analysis of a closed network at population `N`.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct MvaResult {
    /// System throughput `X(N)` (interactions per unit time).
    pub throughput: f64,
    /// Response time `R(N) = Σ_k R_k(N)`, excluding think time; `N/X - Z` by the
    /// response-time law.
    pub response_time: f64,
    /// Per-station mean number present (queued plus in service), `Q_k = X·R_k`.
    pub queue_lengths: Vec<f64>,
    /// Per-station residence time per interaction, `R_k`.
    pub residence_times: Vec<f64>,
    /// Per-server utilization, `X·D_k / c_k`.
    pub utilizations: Vec<f64>,
}

/// Exact MVA (Reiser & Lavenberg 1980; Lazowska et al. 1984, ch. 6, Algorithm 6.1) for a
/// closed network of `n_users` interactive users with mean think time `think_time` (a
/// delay station) and single-server FCFS stations with exponential service, whose
/// service demands per interaction (visits × service time) are `demands`:
///
/// ```text
/// Q_k(0) = 0
/// R_k(n) = D_k·(1 + Q_k(n-1))          (arrival theorem)
/// X(n)   = n / (Z + Σ_k R_k(n))
/// Q_k(n) = X(n)·R_k(n)
/// ```
///
/// Cost O(N·K). With `n_users == 0` the throughput is 0 and the response time is
/// `Σ D_k` (what a lone request would see).
pub fn mva_exact(n_users: u32, think_time: f64, demands: &[f64]) -> Result<MvaResult, TheoryError> {
    let z = non_negative("think_time", think_time)?;
    for &d in demands {
        non_negative("service demand", d)?;
    }
    let k = demands.len();
    let mut q = vec![0.0; k];
    let mut r: Vec<f64> = demands.to_vec();
    let mut x = 0.0;
    for n in 1..=n_users {
        for ((rk, &dk), &qk) in r.iter_mut().zip(demands).zip(&q) {
            *rk = dk * (1.0 + qk);
        }
        let total: f64 = r.iter().sum();
        x = f64::from(n) / (z + total);
        for (qk, &rk) in q.iter_mut().zip(&r) {
            *qk = x * rk;
        }
    }
    Ok(MvaResult {
        throughput: x,
        response_time: r.iter().sum(),
        utilizations: demands.iter().map(|d| x * d).collect(),
        queue_lengths: q,
        residence_times: r,
    })
}

/// A queueing station of a closed network for [`mva_multiserver`].
#[derive(Serialize, Clone, Copy, Debug, PartialEq)]
pub struct MvaStation {
    /// Service demand per interaction (visits × mean service time of one server).
    pub demand: f64,
    /// Identical exponential servers sharing one FCFS queue (>= 1).
    pub servers: u32,
}

/// Most multi-server stations [`mva_multiserver`] accepts: its cost and memory grow as
/// `2^m` in their number `m`.
pub const MAX_MULTISERVER_STATIONS: usize = 10;

/// Exact MVA with multiple-server stations, as load-dependent stations with rate
/// multiplier `α(j) = min(j, c)` (Reiser & Lavenberg 1980; Lazowska et al. 1984,
/// ch. 20; Bolch et al. 2006, 8.2). The arrival theorem with marginal probabilities
/// `P_k(j | n)` of `j` jobs at station `k` gives
///
/// ```text
/// R_k(n)   = Σ_{j=1..n} j·D_k/α(j) · P_k(j-1 | n-1)
///          = D_k/c · (1 + Q_k(n-1) + Σ_{j=0..c-2} (c-1-j)·P_k(j | n-1))
/// X(n)     = n / (Z + Σ_k R_k(n))
/// P_k(j|n) = X(n)·D_k/α(j) · P_k(j-1 | n-1)        for 1 <= j <= c-1
/// P_k(0|n) = P_k(0 | n-1) · X(n) / X_{-k}(n)
/// ```
///
/// so only `P_k(0..c-1)` is kept. `X_{-k}` is the throughput of the same network
/// without station `k` (from `P_k(0|n) = G_{-k}(n)/G(n)` and `X(n) = G(n-1)/G(n)`).
/// The textbook alternative `P_k(0|n) = 1 - Σ_{j>=1} P_k(j|n)` is a difference of
/// nearly equal numbers once a station saturates and is numerically unstable
/// (checked while writing this: throughput above the bottleneck bound and a queue
/// length off by 19% at 25x the saturation population); the product form above only
/// multiplies. The price: the reduced networks for every subset of the `m`
/// multi-server stations are solved too, so the cost is O(2^m · N · Σ_k min(c_k, N)),
/// and at most [`MAX_MULTISERVER_STATIONS`] are accepted.
///
/// A station with `c >= N` never queues and is a pure delay (`R_k = D_k`); `c` is
/// capped at `N` for cost. With `c = 1` this is [`mva_exact`].
pub fn mva_multiserver(
    n_users: u32,
    think_time: f64,
    stations: &[MvaStation],
) -> Result<MvaResult, TheoryError> {
    let z = non_negative("think_time", think_time)?;
    for s in stations {
        non_negative("service demand", s.demand)?;
        at_least_one("servers", s.servers)?;
    }
    // Effective servers: more than N servers can never be busy at once.
    let cs: Vec<usize> = stations
        .iter()
        .map(|s| s.servers.min(n_users.max(1)) as usize)
        .collect();
    let multi: Vec<usize> = (0..stations.len())
        .filter(|&k| cs[k] > 1 && stations[k].demand > 0.0)
        .collect();
    if multi.len() > MAX_MULTISERVER_STATIONS {
        return Err(TheoryError::InvalidParameter {
            name: "multi-server stations",
            value: multi.len() as f64,
            expected: "exact multi-server MVA supports at most 10 stations with 2 or more servers",
        });
    }
    let ctx = LdMva {
        n: n_users as usize,
        z,
        demands: stations.iter().map(|s| s.demand).collect(),
        cs,
        multi,
    };
    let mut memo = vec![None; 1usize << ctx.multi.len()];
    let (x, r, q) = ctx.solve(0, &mut memo);
    Ok(MvaResult {
        throughput: x,
        response_time: r.iter().sum(),
        utilizations: stations
            .iter()
            .map(|s| x * s.demand / f64::from(s.servers))
            .collect(),
        queue_lengths: q,
        residence_times: r,
    })
}

/// Load-dependent MVA over the sub-networks that omit a subset of the multi-server
/// stations (bit `i` of `removed` omits station `multi[i]`).
struct LdMva {
    n: usize,
    z: f64,
    demands: Vec<f64>,
    cs: Vec<usize>,
    multi: Vec<usize>,
}

impl LdMva {
    /// Throughputs `X(1..=N)` (index 0 unused) of the sub-network, memoized.
    fn throughputs(&self, removed: usize, memo: &mut Vec<Option<Vec<f64>>>) -> Vec<f64> {
        if let Some(xs) = &memo[removed] {
            return xs.clone();
        }
        let mut xs = vec![0.0; self.n + 1];
        self.run(removed, memo, Some(&mut xs));
        memo[removed] = Some(xs.clone());
        xs
    }

    /// Final `(X(N), R_k(N), Q_k(N))` of the sub-network (omitted stations: R = Q = 0).
    fn solve(&self, removed: usize, memo: &mut Vec<Option<Vec<f64>>>) -> (f64, Vec<f64>, Vec<f64>) {
        self.run(removed, memo, None)
    }

    fn run(
        &self,
        removed: usize,
        memo: &mut Vec<Option<Vec<f64>>>,
        mut record: Option<&mut Vec<f64>>,
    ) -> (f64, Vec<f64>, Vec<f64>) {
        let kn = self.demands.len();
        let mut active = vec![true; kn];
        for (i, &k) in self.multi.iter().enumerate() {
            if removed & (1 << i) != 0 {
                active[k] = false;
            }
        }
        // For each active multi-server station: X of the network without it, and P(0..c-1).
        let mut reduced: Vec<(usize, Vec<f64>, Vec<f64>)> = Vec::new();
        for (i, &k) in self.multi.iter().enumerate() {
            if active[k] {
                let xs = self.throughputs(removed | (1 << i), memo);
                let mut p = vec![0.0; self.cs[k]];
                p[0] = 1.0;
                reduced.push((k, xs, p));
            }
        }
        let mut q = vec![0.0; kn];
        let mut r: Vec<f64> = (0..kn)
            .map(|k| if active[k] { self.demands[k] } else { 0.0 })
            .collect();
        let mut x = 0.0;
        for n in 1..=self.n {
            for k in 0..kn {
                r[k] = if active[k] {
                    self.demands[k] * (1.0 + q[k])
                } else {
                    0.0
                };
            }
            for (k, _, p) in &reduced {
                let c = self.cs[*k];
                let extra: f64 = (0..c - 1).map(|j| (c - 1 - j) as f64 * p[j]).sum();
                r[*k] = self.demands[*k] / c as f64 * (1.0 + q[*k] + extra);
            }
            let total: f64 = r.iter().sum();
            x = if total + self.z > 0.0 {
                n as f64 / (self.z + total)
            } else {
                f64::INFINITY
            };
            for k in 0..kn {
                q[k] = if x.is_finite() { x * r[k] } else { 0.0 };
            }
            for (k, xs_minus, p) in &mut reduced {
                let d = self.demands[*k];
                for j in (1..p.len()).rev() {
                    p[j] = x * d / j as f64 * p[j - 1];
                }
                // X_{-k}(n) infinite: without k the jobs would take no time, so under
                // the product form every job is at k (P(0) = 0).
                p[0] = if xs_minus[n].is_finite() {
                    p[0] * x / xs_minus[n]
                } else {
                    0.0
                };
            }
            if let Some(xs) = record.as_deref_mut() {
                xs[n] = x;
            }
        }
        (x, r, q)
    }
}

/// Asymptotic bounds on the throughput of a closed interactive network (Lazowska et
/// al. 1984, ch. 5): `X(N) <= min(N / (D + Z), c_max / D_max)` where `D = Σ D_k`,
/// reading `c/D` per station as its capacity. Returns the bound.
pub fn throughput_upper_bound(n_users: u32, think_time: f64, stations: &[MvaStation]) -> f64 {
    let d: f64 = stations.iter().map(|s| s.demand).sum();
    let cap = stations
        .iter()
        .filter(|s| s.demand > 0.0)
        .map(|s| f64::from(s.servers.max(1)) / s.demand)
        .fold(f64::INFINITY, f64::min);
    (f64::from(n_users) / (d + think_time)).min(cap)
}

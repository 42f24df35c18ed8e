//! Closed-form queueing results (Erlang C, M/M/c/K, Jackson networks, exact MVA) that the engine is checked against.
//!
//! All rates are per unit time and all times in the same unit (use seconds). The
//! functions validate their inputs and return [`TheoryError`] rather than NaN or a
//! panic when a steady state does not exist or a parameter is out of range.
//!
//! Sources:
//! * L. Kleinrock, *Queueing Systems, Vol. 1: Theory* (Wiley, 1975), ch. 3
//!   (M/M/1, M/M/c, M/M/c/K, Erlang B and C).
//! * D. Gross, J. Shortle, J. Thompson, C. Harris, *Fundamentals of Queueing Theory*,
//!   4th ed. (Wiley, 2008), sections 2.3 (M/M/c), 2.5 (M/M/c/K), 4.1 (Jackson networks).
//! * J. R. Jackson, "Jobshop-like queueing systems", *Management Science* 10 (1963).
//! * M. Reiser, S. S. Lavenberg, "Mean-value analysis of closed multichain queuing
//!   networks", *JACM* 27(2) (1980).
//! * E. Lazowska, J. Zahorjan, G. S. Graham, K. Sevcik, *Quantitative System
//!   Performance* (Prentice-Hall, 1984), ch. 6 (exact MVA) and ch. 20 (load-dependent
//!   service centers).
//! * G. Bolch, S. Greiner, H. de Meer, K. Trivedi, *Queueing Networks and Markov
//!   Chains*, 2nd ed. (Wiley, 2006), section 8.2 (MVA with multiple-server stations).

use serde::Serialize;

/// Why a closed form cannot be evaluated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TheoryError {
    /// Offered work meets or exceeds capacity: no steady state exists.
    #[error(
        "unstable{}: utilization {utilization:.4} >= 1; arrivals must be below servers x service rate",
        station.map(|s| format!(" at station {s}")).unwrap_or_default()
    )]
    Unstable {
        station: Option<usize>,
        utilization: f64,
    },
    /// A parameter is out of its range.
    #[error("{name} = {value}: {expected}")]
    InvalidParameter {
        name: &'static str,
        value: f64,
        expected: &'static str,
    },
    /// The routing matrix of a network is malformed or traps jobs forever.
    #[error("routing matrix: {0}")]
    Routing(String),
}

fn positive(name: &'static str, value: f64) -> Result<f64, TheoryError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(TheoryError::InvalidParameter {
            name,
            value,
            expected: "must be a finite number > 0",
        })
    }
}

fn non_negative(name: &'static str, value: f64) -> Result<f64, TheoryError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(TheoryError::InvalidParameter {
            name,
            value,
            expected: "must be a finite number >= 0",
        })
    }
}

fn at_least_one(name: &'static str, value: u32) -> Result<u32, TheoryError> {
    if value >= 1 {
        Ok(value)
    } else {
        Err(TheoryError::InvalidParameter {
            name,
            value: f64::from(value),
            expected: "must be at least 1",
        })
    }
}

/// Erlang B: probability that an arrival finds all `servers` busy and is lost, in an
/// M/M/c/c loss system with offered load `a = λ/μ` (Erlangs):
///
/// ```text
/// B(c, a) = (a^c / c!) / Σ_{k=0..c} a^k / k!
/// ```
///
/// computed by the stable recursion `B(0) = 1`, `B(k) = a·B(k-1) / (k + a·B(k-1))`
/// (Kleinrock 1975, eq. 3.46; Gross & Harris 2.5), which never overflows.
/// Returns NaN for a negative or NaN load; 1 for zero servers.
pub fn erlang_b(servers: u32, offered_load: f64) -> f64 {
    let a = offered_load;
    if a.is_nan() || a < 0.0 {
        return f64::NAN;
    }
    if a.is_infinite() {
        return 1.0;
    }
    let mut b = 1.0;
    for k in 1..=servers {
        b = a * b / (f64::from(k) + a * b);
    }
    b
}

/// Erlang C: probability that an arrival must wait in an M/M/c queue with offered
/// load `a = λ/μ` (Erlangs), from Erlang B (Gross & Harris 2.3; Kleinrock eq. 3.40):
///
/// ```text
/// C(c, a) = c·B(c, a) / (c - a·(1 - B(c, a)))      for a < c
/// ```
///
/// Returns 1 when `a >= c` (the queue grows without bound: everyone waits), 0 when
/// `a == 0`, NaN for a negative or NaN load.
pub fn erlang_c(servers: u32, offered_load: f64) -> f64 {
    let a = offered_load;
    if a.is_nan() || a < 0.0 {
        return f64::NAN;
    }
    let c = f64::from(servers);
    if a >= c {
        return 1.0;
    }
    let b = erlang_b(servers, a);
    (c * b / (c - a * (1.0 - b))).clamp(0.0, 1.0)
}

/// Steady state of an M/M/c queue.
#[derive(Serialize, Clone, Copy, Debug, PartialEq)]
pub struct MmcResult {
    /// Per-server utilization `ρ = λ / (c·μ)`.
    pub utilization: f64,
    /// Erlang C: probability of waiting.
    pub p_wait: f64,
    /// Mean time in queue `Wq = C / (c·μ - λ)`.
    pub mean_wait: f64,
    /// Mean sojourn `W = Wq + 1/μ`.
    pub mean_response: f64,
    /// Mean number in system `L = λ·W`.
    pub mean_in_system: f64,
    /// Mean number waiting `Lq = λ·Wq`.
    pub mean_in_queue: f64,
}

/// M/M/c: Poisson arrivals at rate `lambda`, `c` servers each exponential at rate `mu`,
/// unlimited FCFS queue (Gross & Harris 2.3; Kleinrock 3.5):
///
/// ```text
/// ρ = λ/(cμ),  C = ErlangC(c, λ/μ),  Wq = C/(cμ - λ),  W = Wq + 1/μ,  L = λW,  Lq = λWq
/// ```
///
/// For c = 1 this is M/M/1: `W = 1/(μ - λ)`. Errors when `ρ >= 1` (unstable) or a
/// parameter is out of range.
pub fn mmc(lambda: f64, mu: f64, c: u32) -> Result<MmcResult, TheoryError> {
    let lambda = non_negative("lambda", lambda)?;
    let mu = positive("mu", mu)?;
    let c = at_least_one("servers", c)?;
    let cf = f64::from(c);
    let rho = lambda / (cf * mu);
    if rho >= 1.0 {
        return Err(TheoryError::Unstable {
            station: None,
            utilization: rho,
        });
    }
    let p_wait = erlang_c(c, lambda / mu);
    let mean_wait = p_wait / (cf * mu - lambda);
    let mean_response = mean_wait + 1.0 / mu;
    Ok(MmcResult {
        utilization: rho,
        p_wait,
        mean_wait,
        mean_response,
        mean_in_system: lambda * mean_response,
        mean_in_queue: lambda * mean_wait,
    })
}

/// Steady state of an M/M/c/K queue (finite capacity, arrivals beyond it are lost).
#[derive(Serialize, Clone, Copy, Debug, PartialEq)]
pub struct MmckResult {
    /// Probability that an arrival finds the system full and is lost, `p_K`
    /// (PASTA: equals the time-fraction of a full system).
    pub p_block: f64,
    /// Accepted (and completed) rate `λ·(1 - p_K)`.
    pub throughput: f64,
    /// Per-server utilization `throughput / (c·μ)`.
    pub utilization: f64,
    /// Mean number in system `L = Σ n·p_n`.
    pub mean_in_system: f64,
    /// Mean number waiting `Lq = Σ (n - c)+·p_n`.
    pub mean_in_queue: f64,
    /// Mean sojourn of accepted jobs, `L / throughput` (Little's law).
    pub mean_response: f64,
    /// Mean wait of accepted jobs, `Lq / throughput`.
    pub mean_wait: f64,
}

/// M/M/c/K: `c` exponential servers (rate `mu` each), total capacity `k >= c`
/// (servers plus waiting room); arrivals that find `k` in the system are lost
/// (Gross & Harris 2.5; Kleinrock 3.6). With `a = λ/μ`:
///
/// ```text
/// p_n ∝ a^n / n!                 for 0 <= n <= c
/// p_n ∝ a^c / c! · (a/c)^(n-c)   for c < n <= K
/// ```
///
/// Evaluated with logarithms and a max-shift, so large `c` or `K` do not overflow.
/// Stable for every load (the capacity is finite). With `K = c` the blocking
/// probability is Erlang B. When `lambda == 0` the response time is the bare service
/// time `1/μ`. Cost O(K).
pub fn mmck(lambda: f64, mu: f64, c: u32, k: u32) -> Result<MmckResult, TheoryError> {
    let lambda = non_negative("lambda", lambda)?;
    let mu = positive("mu", mu)?;
    let c = at_least_one("servers", c)?;
    if k < c {
        return Err(TheoryError::InvalidParameter {
            name: "capacity",
            value: f64::from(k),
            expected: "total capacity K must be at least the number of servers",
        });
    }
    let cf = f64::from(c);
    if lambda == 0.0 {
        return Ok(MmckResult {
            p_block: 0.0,
            throughput: 0.0,
            utilization: 0.0,
            mean_in_system: 0.0,
            mean_in_queue: 0.0,
            mean_response: 1.0 / mu,
            mean_wait: 0.0,
        });
    }
    let ln_a = (lambda / mu).ln();
    let log_term = |prev: f64, n: u32| prev + ln_a - f64::from(n.min(c)).ln();
    // pass 1: the largest log-term, to shift by
    let (mut lt, mut max_lt) = (0.0f64, 0.0f64);
    for n in 1..=k {
        lt = log_term(lt, n);
        max_lt = max_lt.max(lt);
    }
    // pass 2: normalize and take moments
    let (mut sum, mut sum_n, mut sum_q) = (0.0, 0.0, 0.0);
    let mut lt = 0.0f64;
    let mut w_k = 0.0;
    for n in 0..=k {
        if n > 0 {
            lt = log_term(lt, n);
        }
        let w = (lt - max_lt).exp();
        sum += w;
        sum_n += f64::from(n) * w;
        sum_q += f64::from(n.saturating_sub(c)) * w;
        if n == k {
            w_k = w;
        }
    }
    let p_block = w_k / sum;
    let throughput = lambda * (1.0 - p_block);
    let mean_in_system = sum_n / sum;
    let mean_in_queue = sum_q / sum;
    Ok(MmckResult {
        p_block,
        throughput,
        utilization: throughput / (cf * mu),
        mean_in_system,
        mean_in_queue,
        mean_response: mean_in_system / throughput,
        mean_wait: mean_in_queue / throughput,
    })
}

/// Mean end-to-end response of a tandem (series) of M/M/c stations fed by Poisson
/// arrivals at rate `lambda`: by Burke's theorem each station sees Poisson arrivals at
/// `lambda`, and the sojourns add (Jackson 1963; Gross & Harris 4.1):
/// `T = Σ_i W_{M/M/c_i}(λ, μ_i)`. `stations` are `(mu, servers)` pairs. Errors name the
/// first unstable station (0-based).
pub fn jackson_tandem(lambda: f64, stations: &[(f64, u32)]) -> Result<f64, TheoryError> {
    let mut total = 0.0;
    for (i, &(mu, c)) in stations.iter().enumerate() {
        total += mmc(lambda, mu, c)
            .map_err(|e| at_station(e, i))?
            .mean_response;
    }
    Ok(total)
}

fn at_station(e: TheoryError, i: usize) -> TheoryError {
    match e {
        TheoryError::Unstable { utilization, .. } => TheoryError::Unstable {
            station: Some(i),
            utilization,
        },
        other => other,
    }
}

/// Steady state of an open Jackson network.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct JacksonResult {
    /// Total arrival rate at each station, the solution of the traffic equations.
    pub arrival_rates: Vec<f64>,
    /// Each station as an independent M/M/c queue at its total arrival rate.
    pub stations: Vec<MmcResult>,
    /// Network throughput: sum of the external arrival rates.
    pub throughput: f64,
    /// Mean number of jobs in the whole network, `Σ L_i`.
    pub mean_in_system: f64,
    /// Mean end-to-end response, `Σ L_i / Σ γ_i` (Little's law on the network),
    /// equivalently `Σ_i v_i·W_i` with visit ratios `v_i = λ_i / Σγ`.
    pub mean_response: f64,
}

/// Open Jackson network (Jackson 1963; Gross & Harris 4.1): `external[i]` is the
/// Poisson arrival rate from outside into station `i`, `routing[i][j]` the probability
/// that a job leaving `i` goes next to `j` (it leaves the network with probability
/// `1 - Σ_j routing[i][j]`), `stations[i] = (mu, servers)`.
///
/// The traffic equations `λ_j = γ_j + Σ_i λ_i·r_ij`, i.e. `(I - Rᵀ)·λ = γ`, are solved
/// directly by Gaussian elimination with partial pivoting (exact up to rounding; the
/// networks here have a handful of stations, and unlike Gauss-Seidel a singular
/// system, where jobs can never leave, is detected rather than iterated forever).
/// Each station is then an independent M/M/c queue (product form).
pub fn jackson_open<R: AsRef<[f64]>>(
    external: &[f64],
    routing: &[R],
    stations: &[(f64, u32)],
) -> Result<JacksonResult, TheoryError> {
    let n = stations.len();
    if external.len() != n || routing.len() != n {
        return Err(TheoryError::Routing(format!(
            "{} stations but {} external rates and {} routing rows; all must match",
            n,
            external.len(),
            routing.len()
        )));
    }
    for &g in external {
        non_negative("external arrival rate", g)?;
    }
    let gamma_total: f64 = external.iter().sum();
    positive("total external arrival rate", gamma_total)?;
    for (i, row) in routing.iter().enumerate() {
        let row = row.as_ref();
        if row.len() != n {
            return Err(TheoryError::Routing(format!(
                "row {i} has {} entries; it needs one per station ({n})",
                row.len()
            )));
        }
        if let Some(j) = row.iter().position(|p| !(p.is_finite() && *p >= 0.0)) {
            return Err(TheoryError::Routing(format!(
                "entry [{i}][{j}] = {} must be a probability in [0, 1]",
                row[j]
            )));
        }
        let s: f64 = row.iter().sum();
        if s > 1.0 + 1e-9 {
            return Err(TheoryError::Routing(format!(
                "row {i} sums to {s}; the probabilities of leaving a station must sum to at most 1"
            )));
        }
    }
    // A = I - Rᵀ, augmented with γ.
    let mut a = vec![vec![0.0; n + 1]; n];
    for j in 0..n {
        for i in 0..n {
            a[j][i] = if i == j { 1.0 } else { 0.0 } - routing[i].as_ref()[j];
        }
        a[j][n] = external[j];
    }
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))
            .unwrap_or(col);
        if a[pivot][col].abs() < 1e-12 {
            return Err(TheoryError::Routing(
                "jobs can circulate forever without leaving (I - R is singular); some station must route out of the network".into(),
            ));
        }
        a.swap(col, pivot);
        let (top, bottom) = a.split_at_mut(col + 1);
        let pivot_row = &top[col];
        for row in bottom {
            let f = row[col] / pivot_row[col];
            if f != 0.0 {
                for (x, p) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                    *x -= f * p;
                }
            }
        }
    }
    let mut lambda = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = (r + 1..n).map(|k| a[r][k] * lambda[k]).sum();
        lambda[r] = ((a[r][n] - s) / a[r][r]).max(0.0);
    }
    let mut results = Vec::with_capacity(n);
    let mut l_total = 0.0;
    for (i, (&l, &(mu, c))) in lambda.iter().zip(stations).enumerate() {
        let r = mmc(l, mu, c).map_err(|e| at_station(e, i))?;
        l_total += r.mean_in_system;
        results.push(r);
    }
    Ok(JacksonResult {
        arrival_rates: lambda,
        stations: results,
        throughput: gamma_total,
        mean_in_system: l_total,
        mean_response: l_total / gamma_total,
    })
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erlang_b_small_values() {
        // B(1, a) = a / (1 + a); B(2, 1) = (1/2) / (1 + 1 + 1/2) = 0.2
        assert!((erlang_b(1, 3.0) - 0.75).abs() < 1e-15);
        assert!((erlang_b(2, 1.0) - 0.2).abs() < 1e-15);
        assert_eq!(erlang_b(0, 5.0), 1.0);
        assert!(erlang_b(3, -1.0).is_nan());
    }

    #[test]
    fn erlang_c_edge_cases() {
        assert_eq!(erlang_c(2, 2.0), 1.0);
        assert_eq!(erlang_c(2, 0.0), 0.0);
        // M/M/1: C = ρ
        assert!((erlang_c(1, 0.3) - 0.3).abs() < 1e-15);
    }

    #[test]
    fn invalid_inputs_are_errors_not_panics() {
        assert!(matches!(
            mmc(1.0, 0.0, 1),
            Err(TheoryError::InvalidParameter { .. })
        ));
        assert!(matches!(
            mmc(1.0, 1.0, 0),
            Err(TheoryError::InvalidParameter { .. })
        ));
        assert!(matches!(
            mmc(f64::NAN, 1.0, 1),
            Err(TheoryError::InvalidParameter { .. })
        ));
        assert!(matches!(
            mmc(2.0, 1.0, 2),
            Err(TheoryError::Unstable { .. })
        ));
        assert!(mmck(1.0, 1.0, 3, 2).is_err());
        assert!(mva_exact(3, -1.0, &[1.0]).is_err());
        assert!(
            mva_multiserver(
                3,
                0.0,
                &[MvaStation {
                    demand: 1.0,
                    servers: 0
                }]
            )
            .is_err()
        );
        let e = jackson_tandem(1.0, &[(2.0, 1), (0.5, 1)]).unwrap_err();
        assert_eq!(
            e,
            TheoryError::Unstable {
                station: Some(1),
                utilization: 2.0
            }
        );
        assert!(e.to_string().contains("station 1"), "{e}");
    }
}

//! Single-station closed forms: Erlang B and C, M/M/c (M/M/1 for c = 1) and the finite
//! M/M/c/K (Kleinrock 1975, ch. 3; Gross & Harris 2.3, 2.5).
use crate::theory::error::{TheoryError, at_least_one, non_negative, positive};
use serde::Serialize;

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
}

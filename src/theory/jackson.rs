//! Open networks of M/M/c stations: tandem lines and open Jackson networks (Jackson 1963;
//! Gross & Harris 4.1), product form over the traffic equations.
use crate::theory::error::{TheoryError, non_negative, positive};
use crate::theory::mmc::{MmcResult, mmc};
use serde::Serialize;

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

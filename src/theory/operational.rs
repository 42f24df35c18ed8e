//! Operational laws (Denning & Buzen 1978; Lazowska et al. 1984, ch. 3 and 5): the
//! utilization law, the bottleneck law, Little's law, the response-time law and the
//! asymptotic bounds and knee of a closed interactive flow. They hold for averages over any
//! interval whatever the distributions, so a simulation that departs from them is telling
//! something (capacity that changed, work cut short, work refused).
//!
//! A resource is `(demand, servers)`: its demand per interaction (visits x service time, in
//! seconds, or in the capacity's own unit, e.g. calls for a rate limit) and the servers that
//! work in parallel (workers, connections, cores, tokens per second).

/// Utilization law: `U = X D / c`, the share of its `servers` a resource at throughput `x`
/// keeps busy.
pub fn utilization(x: f64, demand: f64, servers: f64) -> f64 {
    if servers > 0.0 {
        x * demand / servers
    } else {
        f64::INFINITY
    }
}

/// The most a resource lets through: `c / D` (infinite without demand).
pub fn capacity(demand: f64, servers: f64) -> f64 {
    if demand > 0.0 {
        servers / demand
    } else {
        f64::INFINITY
    }
}

/// Bottleneck law: `X <= min_k c_k / D_k`. Returns the bound and the index of the resource
/// that sets it (the first among equals; `None` when no resource has demand).
pub fn bottleneck(resources: &[(f64, f64)]) -> (f64, Option<usize>) {
    let mut best = (f64::INFINITY, None);
    for (k, &(d, c)) in resources.iter().enumerate() {
        let x = capacity(d, c);
        if x < best.0 {
            best = (x, Some(k));
        }
    }
    best
}

/// Little's law: `L = X R`, the mean number inside at throughput `x` and residence `r`.
pub fn little(x: f64, r: f64) -> f64 {
    x * r
}

/// Response-time law of a closed flow rearranged: the think time per interaction that `n`
/// users at throughput `x` with response time `r` must have, `Z = N / X - R`.
pub fn think_time(n: f64, x: f64, r: f64) -> f64 {
    if x > 0.0 { n / x - r } else { f64::NAN }
}

/// Asymptotic bound of a closed flow of `n` users: `X(N) <= min(N / (R0 + Z), X_max)`,
/// with `r0` the response time without waiting and `x_max` the bottleneck bound.
pub fn closed_throughput_bound(n: f64, r0: f64, z: f64, x_max: f64) -> f64 {
    let light = if r0 + z > 0.0 {
        n / (r0 + z)
    } else {
        f64::INFINITY
    };
    light.min(x_max)
}

/// The knee of a closed flow: `N* = (R0 + Z) X_max`, the population at which the two
/// asymptotes meet (`(D + Z) / D_max` with single servers). Below it users mostly think,
/// above it the bottleneck is saturated and each new user only adds waiting.
pub fn knee(r0: f64, z: f64, x_max: f64) -> f64 {
    (r0 + z) * x_max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn laws_by_hand() {
        // 40 req/s, 50 ms each on 4 workers: 2 busy of 4.
        assert!((utilization(40.0, 0.05, 4.0) - 0.5).abs() < 1e-12);
        // Workers 4/0.05 = 80/s, pool 10/0.2 = 50/s: the pool bounds at 50/s.
        assert_eq!(bottleneck(&[(0.05, 4.0), (0.2, 10.0)]), (50.0, Some(1)));
        assert_eq!(bottleneck(&[(0.0, 4.0)]), (f64::INFINITY, None));
        assert!((little(20.0, 0.25) - 5.0).abs() < 1e-12);
        // 100 users, 20/s, 1 s response: 4 s think.
        assert!((think_time(100.0, 20.0, 1.0) - 4.0).abs() < 1e-12);
        // R0 = 0.1, Z = 0.9, X_max = 50: knee at 50 users; bound 10/s at 10 users, 50/s at 80.
        assert!((knee(0.1, 0.9, 50.0) - 50.0).abs() < 1e-12);
        assert!((closed_throughput_bound(10.0, 0.1, 0.9, 50.0) - 10.0).abs() < 1e-12);
        assert!((closed_throughput_bound(80.0, 0.1, 0.9, 50.0) - 50.0).abs() < 1e-12);
        assert_eq!(utilization(1.0, 1.0, 0.0), f64::INFINITY);
    }
}

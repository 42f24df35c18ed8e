//! Closed forms of `capsim::theory` against published values, hand computations and independent algorithms.

use capsim::theory::*;

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

/// Erlang B by its definition, `(a^c/c!) / Σ a^k/k!`, for small c.
fn erlang_b_direct(c: u32, a: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..=c {
        term *= a / f64::from(k);
        sum += term;
    }
    term / sum
}

#[test]
fn erlang_c_two_servers_unit_load_is_one_third() {
    assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-15);
}

#[test]
fn erlang_b_matches_definition_and_table() {
    for c in 1..=25 {
        for a in [0.1, 0.5, 1.0, 3.7, 10.0, 24.0] {
            let (got, want) = (erlang_b(c, a), erlang_b_direct(c, a));
            assert!(rel(got, want) < 1e-12, "B({c},{a}) = {got}, want {want}");
        }
    }
    // Erlang B table: 10 circuits, 5 Erlangs -> 1.84% blocking
    assert!(
        (erlang_b(10, 5.0) - 0.018_385).abs() < 5e-6,
        "{}",
        erlang_b(10, 5.0)
    );
}

#[test]
fn erlang_b_and_c_are_stable_for_large_pools() {
    // 2000 servers: a^c/c! overflows any direct evaluation; the recursion does not.
    let b = erlang_b(2000, 1900.0);
    let c = erlang_c(2000, 1900.0);
    assert!(b > 0.0 && b < 0.01 && b.is_finite(), "{b}");
    assert!(c > b && c < 1.0, "{c}");
    // Erlang C is increasing in the load
    assert!(erlang_c(2000, 1990.0) > c);
}

#[test]
fn mm1_half_load_response_is_two_over_mu() {
    let mu = 10.0;
    let r = mmc(5.0, mu, 1).unwrap();
    assert!((r.mean_response - 2.0 / mu).abs() < 1e-15);
    assert!((r.utilization - 0.5).abs() < 1e-15);
    assert!((r.p_wait - 0.5).abs() < 1e-15);
    assert!((r.mean_in_system - 1.0).abs() < 1e-14); // ρ/(1-ρ)
    assert!((r.mean_in_queue - 0.5).abs() < 1e-14); // ρ²/(1-ρ)
}

#[test]
fn mm2_hand_computed() {
    // λ = μ = 1, c = 2: C = 1/3, Wq = (1/3)/(2-1), W = 4/3, L = 4/3, Lq = 1/3
    let r = mmc(1.0, 1.0, 2).unwrap();
    assert!((r.p_wait - 1.0 / 3.0).abs() < 1e-15);
    assert!((r.mean_wait - 1.0 / 3.0).abs() < 1e-15);
    assert!((r.mean_response - 4.0 / 3.0).abs() < 1e-15);
    assert!((r.mean_in_system - 4.0 / 3.0).abs() < 1e-15);
    assert!((r.mean_in_queue - 1.0 / 3.0).abs() < 1e-15);
}

#[test]
fn mmc_unstable_is_an_error() {
    assert!(matches!(
        mmc(4.0, 1.0, 4),
        Err(TheoryError::Unstable { utilization, .. }) if utilization == 1.0
    ));
}

#[test]
fn mmck_with_k_equal_c_is_erlang_b() {
    for c in [1, 2, 5, 20] {
        for a in [0.5, 3.0, 30.0] {
            let r = mmck(a * 2.0, 2.0, c, c).unwrap();
            assert!(rel(r.p_block, erlang_b(c, a)) < 1e-12, "c={c} a={a}");
            assert!(r.mean_in_queue.abs() < 1e-15);
            // no waiting: every accepted job spends exactly 1/μ
            assert!(rel(r.mean_response, 0.5) < 1e-12);
        }
    }
}

#[test]
fn mm1k_matches_closed_form() {
    // M/M/1/K (Gross & Harris 2.5): p_K = (1-ρ)ρ^K/(1-ρ^{K+1}),
    // L = ρ/(1-ρ) - (K+1)ρ^{K+1}/(1-ρ^{K+1})
    for (rho, k) in [(0.5f64, 5u32), (0.9, 10), (1.5, 4), (3.0, 7)] {
        let r = mmck(rho, 1.0, 1, k).unwrap();
        let kk = f64::from(k);
        let p_k = (1.0 - rho) * rho.powf(kk) / (1.0 - rho.powf(kk + 1.0));
        let l = rho / (1.0 - rho) - (kk + 1.0) * rho.powf(kk + 1.0) / (1.0 - rho.powf(kk + 1.0));
        assert!(
            rel(r.p_block, p_k) < 1e-12,
            "rho={rho} K={k}: {} vs {p_k}",
            r.p_block
        );
        assert!(rel(r.mean_in_system, l) < 1e-12, "rho={rho} K={k}");
        assert!(rel(r.mean_response, l / (rho * (1.0 - p_k))) < 1e-12);
    }
    // ρ = 1: all states equally likely, p_K = 1/(K+1)
    let r = mmck(1.0, 1.0, 1, 9).unwrap();
    assert!(rel(r.p_block, 0.1) < 1e-12);
}

#[test]
fn mmck_large_capacity_approaches_mmc() {
    let inf = mmc(7.0, 1.0, 8).unwrap();
    let fin = mmck(7.0, 1.0, 8, 2_000).unwrap();
    assert!(fin.p_block < 1e-50);
    assert!(rel(fin.mean_response, inf.mean_response) < 1e-9);
    assert!(rel(fin.mean_in_queue, inf.mean_in_queue) < 1e-9);
    // overload: blocking tends to 1 - 1/ρ for one server
    let over = mmck(2.0, 1.0, 1, 500).unwrap();
    assert!((over.p_block - 0.5).abs() < 1e-12);
    assert!((over.throughput - 1.0).abs() < 1e-12);
}

#[test]
fn jackson_tandem_sums_sojourns() {
    // 1/(2-1) + 1/(3-1) + M/M/2 with λ = μ = 1 (4/3)
    let t = jackson_tandem(1.0, &[(2.0, 1), (3.0, 1), (1.0, 2)]).unwrap();
    assert!((t - (1.0 + 0.5 + 4.0 / 3.0)).abs() < 1e-14);
}

#[test]
fn jackson_open_tandem_routing_equals_tandem() {
    let stations = [(2.0, 1), (3.0, 2), (1.5, 1)];
    let routing = [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]];
    let r = jackson_open(&[1.2, 0.0, 0.0], &routing, &stations).unwrap();
    assert_eq!(r.arrival_rates, vec![1.2, 1.2, 1.2]);
    let t = jackson_tandem(1.2, &stations).unwrap();
    assert!(
        rel(r.mean_response, t) < 1e-13,
        "{} vs {t}",
        r.mean_response
    );
}

#[test]
fn jackson_feedback_loop() {
    // One M/M/1 station, fraction p of departures return: λ = γ/(1-p) and the
    // end-to-end time is 1/(μ(1-p) - γ) (Gross & Harris 4.1).
    let (gamma, mu, p) = (1.0, 5.0, 0.6);
    let r = jackson_open(&[gamma], &[[p]], &[(mu, 1)]).unwrap();
    assert!(rel(r.arrival_rates[0], gamma / (1.0 - p)) < 1e-14);
    assert!(rel(r.mean_response, 1.0 / (mu * (1.0 - p) - gamma)) < 1e-13);
}

#[test]
fn jackson_open_solves_traffic_equations() {
    // web -> {db 0.7, cache 0.3}; db -> web 0.2 (retry), cache -> out
    let routing = vec![
        vec![0.0, 0.7, 0.3],
        vec![0.2, 0.0, 0.0],
        vec![0.0, 0.0, 0.0],
    ];
    let ext = [10.0, 1.0, 0.0];
    let r = jackson_open(&ext, &routing, &[(40.0, 1), (20.0, 2), (100.0, 1)]).unwrap();
    let l = &r.arrival_rates;
    for j in 0..3 {
        let inflow: f64 = ext[j] + (0..3).map(|i| l[i] * routing[i][j]).sum::<f64>();
        assert!(
            rel(l[j], inflow) < 1e-13,
            "station {j}: {} vs {inflow}",
            l[j]
        );
    }
    // web: λ = 10 + 0.2·db, db = 1 + 0.7·web -> web = 10.2/0.86
    assert!(rel(l[0], 10.2 / 0.86) < 1e-13);
    // flow out of the network equals flow in
    let out = l[1] * 0.8 + l[2];
    assert!(rel(out, 11.0) < 1e-13);
}

#[test]
fn jackson_rejects_trapping_or_bad_routing() {
    let closed = [[0.0, 1.0], [1.0, 0.0]];
    assert!(matches!(
        jackson_open(&[1.0, 0.0], &closed, &[(5.0, 1), (5.0, 1)]),
        Err(TheoryError::Routing(_))
    ));
    let over = [[0.0, 0.8], [0.5, 0.6]];
    assert!(jackson_open(&[1.0, 0.0], &over, &[(5.0, 1), (5.0, 1)]).is_err());
    let unstable = jackson_open(&[1.0], &[[0.9]], &[(5.0, 1)]);
    assert!(matches!(
        unstable,
        Err(TheoryError::Unstable {
            station: Some(0),
            ..
        })
    ));
}

#[test]
fn mva_single_user_is_sum_of_demands_plus_think() {
    let d = [0.03, 0.12, 0.005];
    let r = mva_exact(1, 2.0, &d).unwrap();
    let sum: f64 = d.iter().sum();
    assert!(rel(r.response_time, sum) < 1e-15);
    assert!(rel(r.throughput, 1.0 / (2.0 + sum)) < 1e-15);
}

#[test]
fn mva_two_users_hand_computed() {
    // D = [1, 1], Z = 0. n=1: R = [1,1], X = 1/2, Q = [.5,.5].
    // n=2: R = [1.5, 1.5], X = 2/3, R = 3, Q = [1, 1].
    let r = mva_exact(2, 0.0, &[1.0, 1.0]).unwrap();
    assert!(rel(r.throughput, 2.0 / 3.0) < 1e-15);
    assert!(rel(r.response_time, 3.0) < 1e-15);
    assert_eq!(r.queue_lengths, vec![1.0, 1.0]);
}

#[test]
fn mva_large_population_approaches_bottleneck_bound() {
    let d = [0.05, 0.02, 0.01];
    let r = mva_exact(500, 1.0, &d).unwrap();
    assert!(r.throughput <= 20.0 + 1e-12);
    assert!(r.throughput > 20.0 * (1.0 - 1e-9), "{}", r.throughput);
    // response-time law: R = N/X - Z
    assert!(rel(r.response_time, 500.0 / r.throughput - 1.0) < 1e-12);
    // population conservation: Σ Q_k + X·Z = N
    let n: f64 = r.queue_lengths.iter().sum::<f64>() + r.throughput * 1.0;
    assert!(rel(n, 500.0) < 1e-12);
    let stations: Vec<MvaStation> = d
        .iter()
        .map(|&demand| MvaStation { demand, servers: 1 })
        .collect();
    assert!(r.throughput <= throughput_upper_bound(500, 1.0, &stations));
}

#[test]
fn mva_multiserver_with_one_server_equals_single_server() {
    let d = [0.04, 0.011, 0.027, 0.0];
    let stations: Vec<MvaStation> = d
        .iter()
        .map(|&demand| MvaStation { demand, servers: 1 })
        .collect();
    for n in [0, 1, 2, 7, 40, 300] {
        let a = mva_exact(n, 0.5, &d).unwrap();
        let b = mva_multiserver(n, 0.5, &stations).unwrap();
        assert!(rel(a.throughput, b.throughput) < 1e-13 || n == 0, "N={n}");
        assert!(rel(a.response_time, b.response_time) < 1e-13, "N={n}");
        for k in 0..d.len() {
            assert!(
                (a.queue_lengths[k] - b.queue_lengths[k]).abs() < 1e-12,
                "N={n} k={k}"
            );
        }
    }
}

#[test]
fn mva_multiserver_with_enough_servers_is_pure_delay() {
    let st = [
        MvaStation {
            demand: 2.0,
            servers: 12,
        },
        MvaStation {
            demand: 0.05,
            servers: 50,
        },
    ];
    let n = 12;
    let r = mva_multiserver(n, 0.1, &st).unwrap();
    assert!(rel(r.response_time, 2.05) < 1e-12, "{}", r.response_time);
    assert!(rel(r.throughput, 12.0 / 2.15) < 1e-12);
    assert!(rel(r.residence_times[0], 2.0) < 1e-12);
    // one server fewer than N: jobs now queue at station 0
    let st2 = [
        MvaStation {
            demand: 2.0,
            servers: 11,
        },
        st[1],
    ];
    let r2 = mva_multiserver(n, 0.1, &st2).unwrap();
    assert!(r2.residence_times[0] > 2.01, "{}", r2.residence_times[0]);
}

/// Independent check: product-form normalizing constants by convolution (Buzen 1973,
/// with load-dependent factors `D^n / Π min(j, c)` and a delay factor `Z^n / n!`).
/// Every factor is multiplied by `scale^n` (which multiplies `G(N)` by `scale^N`) to
/// keep large populations inside the range of f64.
fn convolution(n: usize, z: f64, st: &[MvaStation], scale: f64) -> (f64, Vec<f64>) {
    let factors = |s: &MvaStation| -> Vec<f64> {
        let mut f = vec![1.0; n + 1];
        for j in 1..=n {
            f[j] = f[j - 1] * scale * s.demand / (j.min(s.servers as usize)) as f64;
        }
        f
    };
    let conv = |a: &[f64], b: &[f64]| -> Vec<f64> {
        (0..=n)
            .map(|m| (0..=m).map(|i| a[i] * b[m - i]).sum())
            .collect()
    };
    let mut delay = vec![1.0; n + 1];
    for j in 1..=n {
        delay[j] = delay[j - 1] * scale * z / j as f64;
    }
    let g_all = st.iter().fold(delay.clone(), |g, s| conv(&g, &factors(s)));
    let x = scale * g_all[n - 1] / g_all[n];
    let q = (0..st.len())
        .map(|k| {
            let g_minus = st
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != k)
                .fold(delay.clone(), |g, (_, s)| conv(&g, &factors(s)));
            let f = factors(&st[k]);
            (1..=n)
                .map(|j| j as f64 * f[j] * g_minus[n - j])
                .sum::<f64>()
                / g_all[n]
        })
        .collect();
    (x, q)
}

#[test]
fn mva_multiserver_matches_normalizing_constants() {
    let st = [
        MvaStation {
            demand: 0.5,
            servers: 4,
        }, // capacity 8/s: the bottleneck
        MvaStation {
            demand: 0.1,
            servers: 1,
        },
        MvaStation {
            demand: 0.3,
            servers: 2,
        },
    ];
    // N* = (Z + ΣD)/max(D/c) = 11.7: up to 85x the saturation population, where the
    // textbook P(0) = 1 - Σ P(j) recursion breaks down
    for n in [1usize, 3, 5, 10, 20, 40, 80, 150, 300, 1000] {
        let r = mva_multiserver(n as u32, 1.0, &st).unwrap();
        let (x, q) = convolution(n, 1.0, &st, 8.0);
        assert!(
            rel(r.throughput, x) < 1e-9,
            "N={n}: {} vs {x}",
            r.throughput
        );
        for (k, (got, want)) in r.queue_lengths.iter().zip(&q).enumerate() {
            assert!(rel(*got, *want) < 1e-8, "N={n} k={k}: {got} vs {want}");
        }
    }
}

#[test]
fn mva_multiserver_finite_source_repairman() {
    // Machine-repairman M/M/c//N (Gross & Harris 2.7): N = 5 machines, failure rate
    // 1/Z = 1/4, c = 2 repairers at rate 1/D = 1. p_n ∝ C(N,n) r^n for n <= c and
    // C(N,n) n! / (c! c^(n-c)) r^n above, r = D/Z; throughput = μ·E[min(n, c)].
    let (z, d, c, n) = (4.0f64, 1.0f64, 2u32, 5usize);
    let r = d / z;
    let binom = |n: usize, k: usize| -> f64 {
        (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
    };
    let fact = |k: usize| -> f64 { (1..=k).map(|i| i as f64).product() };
    let w: Vec<f64> = (0..=n)
        .map(|k| {
            let c = c as usize;
            if k <= c {
                binom(n, k) * r.powi(k as i32)
            } else {
                binom(n, k) * fact(k) / (fact(c) * (c as f64).powi((k - c) as i32))
                    * r.powi(k as i32)
            }
        })
        .collect();
    let total: f64 = w.iter().sum();
    let busy: f64 = w
        .iter()
        .enumerate()
        .map(|(k, p)| k.min(c as usize) as f64 * p)
        .sum::<f64>()
        / total;
    let in_repair: f64 = w.iter().enumerate().map(|(k, p)| k as f64 * p).sum::<f64>() / total;
    let m = mva_multiserver(
        n as u32,
        z,
        &[MvaStation {
            demand: d,
            servers: c,
        }],
    )
    .unwrap();
    assert!(
        rel(m.throughput, busy / d) < 1e-12,
        "{} vs {}",
        m.throughput,
        busy / d
    );
    assert!(rel(m.queue_lengths[0], in_repair) < 1e-12);
}

#[test]
fn mva_multiserver_without_think_time_keeps_every_job_at_the_station() {
    // One 3-server station, Z = 0: all N jobs are always there, X = 3/D.
    let st = [MvaStation {
        demand: 0.5,
        servers: 3,
    }];
    let r = mva_multiserver(10, 0.0, &st).unwrap();
    assert!(rel(r.throughput, 6.0) < 1e-12, "{}", r.throughput);
    assert!(rel(r.queue_lengths[0], 10.0) < 1e-12);
    assert!(rel(r.utilizations[0], 1.0) < 1e-12);
}

#[test]
fn mva_multiserver_limits_the_number_of_multiserver_stations() {
    let many = vec![
        MvaStation {
            demand: 0.1,
            servers: 2
        };
        MAX_MULTISERVER_STATIONS + 1
    ];
    assert!(mva_multiserver(5, 1.0, &many).is_err());
    assert!(mva_multiserver(5, 1.0, &many[..MAX_MULTISERVER_STATIONS]).is_ok());
}

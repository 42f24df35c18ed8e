//! The engine against queueing theory: simulated steady-state measures of the fixtures
//! under `tests/fixtures/theory/` compared with the closed forms of `capsim::theory`.
//!
//! # How a comparison passes
//!
//! Each fixture fixes its seed and runs R independent replications (10 here), each
//! 20 minutes of simulated time. A measure gives one value per replication; their
//! mean `m` and the half-width `h` of its 95% Student-t interval (`t_{0.975,R-1}·s/√R`,
//! from `capsim::stats`) give the tolerance
//!
//! ```text
//! |m - theory| <= max(K_HW · h, REL_FLOOR · |theory|)
//! ```
//!
//! * `K_HW = 3`: `h` is already ~2.3 standard errors with 9 degrees of freedom, so 3h
//!   is ~7 standard errors. A correct engine fails that only by a freak draw (and the
//!   seeds are fixed, so it is not flaky), yet the margin stays a few percent, because
//!   the runs are long (see [`MAX_REL_TOLERANCE`] and the wrong-model test).
//! * `REL_FLOOR = 0.5%` covers the deterministic biases the interval does not
//!   measure: every replication starts empty and is cut off at the end (nothing is
//!   discarded as warm-up). The slowest-relaxing system here, M/M/1 at ρ = 0.8, forgets
//!   its initial state in about `1/(μ(1-√ρ)²)` ≈ 0.9 s, so the start-up bias is of
//!   order 0.9 s / 1200 s < 0.1%; requests still in flight when the run is cut off are
//!   a few out of 10^5. Nanosecond rounding of sampled times is far smaller.
//! * Every tolerance must also be at most [`MAX_REL_TOLERANCE`] (5%) of the theory,
//!   so that a passing comparison means something: a service mean 10% off moves
//!   utilization by 10% and the response time by more (`W ∝ S/(1-ρ)`), which these
//!   checks reject (`wrong_service_mean_is_rejected`).
//!
//! Time averages (utilization, mean in flight) need the run to end with the load, so
//! the fixtures set `gracefulStop: 0s`: otherwise the 30 s drain after the last arrival
//! would be averaged in (600 s of load in a 630 s run reads 5% low).

use capsim::engine::{Budget, Cause, ReplicationResult};
use capsim::model::experiment::Experiment;
use capsim::model::load::load_experiment;
use capsim::replicate::{RunPlan, run_replications};
use capsim::stats::{estimate, t_half_width};
use capsim::theory::{
    MvaStation, erlang_c, jackson_open, jackson_tandem, mmc, mmck, mva_exact, mva_multiserver,
};
use std::path::PathBuf;

/// Multiple of the 95% half-width allowed between the simulated mean and the theory.
const K_HW: f64 = 3.0;
/// Smallest tolerance, relative to the theory: the biases the interval cannot see.
const REL_FLOOR: f64 = 0.005;
/// Largest tolerance any comparison may have, relative to the theory.
const MAX_REL_TOLERANCE: f64 = 0.05;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/theory")
        .join(name)
}

/// Loads a fixture experiment and runs all its replications.
fn run(name: &str) -> (Experiment, Vec<ReplicationResult>) {
    let exp = load_experiment(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let plan = RunPlan {
        indices: 0..exp.replications,
        threads: None,
        budget: Budget::default(),
    };
    let results = run_replications(&exp, &plan, &|_| {}).expect("replications run");
    assert_eq!(results.len(), exp.replications as usize);
    for r in &results {
        // The arrival process is Poisson only if no arrival was dropped for want of a VU.
        assert_eq!(r.dropped_iterations, 0, "{name}: dropped iterations");
        assert!(r.accounting.balanced(), "{name}: {:?}", r.accounting);
        for s in &r.stations {
            assert!(s.balanced(), "{name}: station not conserved: {s:?}");
        }
    }
    (exp, results)
}

fn secs(r: &ReplicationResult) -> f64 {
    r.duration as f64 / 1e9
}

/// A simulated measure against its closed form.
#[derive(Debug, Clone)]
struct Comparison {
    what: String,
    theory: f64,
    mean: f64,
    half_width: f64,
    tolerance: f64,
}

impl Comparison {
    fn new(what: &str, samples: &[f64], theory: f64) -> Self {
        let mean = estimate(samples).mean;
        let half_width = t_half_width(samples).expect("at least two replications");
        Comparison {
            what: what.to_string(),
            theory,
            mean,
            half_width,
            tolerance: (K_HW * half_width).max(REL_FLOOR * theory.abs()),
        }
    }

    fn passes(&self) -> bool {
        (self.mean - self.theory).abs() <= self.tolerance
    }
}

impl std::fmt::Display for Comparison {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:<34} sim {:>10.5} ± {:<8.5} theory {:>10.5}  off {:>+6.2}%  tol {:>5.2}%  {}",
            self.what,
            self.mean,
            self.half_width,
            self.theory,
            100.0 * (self.mean - self.theory) / self.theory,
            100.0 * self.tolerance / self.theory.abs(),
            if self.passes() { "ok" } else { "FAIL" }
        )
    }
}

/// Prints every comparison, then asserts that all are tight enough to mean something
/// and that all pass.
fn assert_agrees(title: &str, comparisons: &[Comparison]) {
    println!("{title}");
    for c in comparisons {
        println!("  {c}");
    }
    for c in comparisons {
        assert!(
            c.tolerance <= MAX_REL_TOLERANCE * c.theory.abs(),
            "{title}: the tolerance of {} is too loose to catch real errors: {c}",
            c.what
        );
    }
    let failed: Vec<String> = comparisons
        .iter()
        .filter(|c| !c.passes())
        .map(|c| c.to_string())
        .collect();
    assert!(
        failed.is_empty(),
        "{title}: disagrees with theory:\n{}",
        failed.join("\n")
    );
}

fn per_rep(results: &[ReplicationResult], f: impl Fn(&ReplicationResult) -> f64) -> Vec<f64> {
    results.iter().map(f).collect()
}

/// Client-side mean `http_req_duration` of endpoint `k`, in seconds.
fn endpoint_avg_s(r: &ReplicationResult, k: usize) -> f64 {
    r.endpoints[k].latency.expect("requests finished").avg / 1e3
}

/// The M/M/1 checks of one run: utilization, mean wait in queue, mean response (both as
/// the station records it and as the client sees it), and the 95th percentile.
fn mm1_comparisons(results: &[ReplicationResult], lambda: f64, mu: f64) -> Vec<Comparison> {
    let t = mmc(lambda, mu, 1).expect("stable");
    // The M/M/1 FCFS sojourn time is exponential with rate μ - λ (Kleinrock 1975,
    // eq. 3.28), so its p-quantile is -ln(1-p)/(μ-λ); not in `theory`, hence here.
    // This exercises the latency histogram (HDR, 3 significant digits).
    let p95 = -(0.05f64.ln()) / (mu - lambda);
    vec![
        Comparison::new(
            "utilization",
            &per_rep(results, |r| r.stations[0].utilization),
            t.utilization,
        ),
        Comparison::new(
            "mean wait in queue Wq (s)",
            &per_rep(results, |r| r.stations[0].mean_queue_wait_ms / 1e3),
            t.mean_wait,
        ),
        Comparison::new(
            "station mean response W (s)",
            &per_rep(results, |r| r.stations[0].mean_response_ms / 1e3),
            t.mean_response,
        ),
        Comparison::new(
            "http_req_duration avg (s)",
            &per_rep(results, |r| endpoint_avg_s(r, 0)),
            t.mean_response,
        ),
        Comparison::new(
            "http_req_duration p(95) (s)",
            &per_rep(results, |r| r.endpoints[0].latency.unwrap().p95 / 1e3),
            p95,
        ),
        Comparison::new(
            "mean in system L",
            &per_rep(results, |r| r.stations[0].mean_in_flight),
            t.mean_in_system,
        ),
    ]
}

#[test]
fn mm1_rho_0_5_matches_theory() {
    let (_, results) = run("mm1_rho05.yaml");
    assert_agrees(
        "M/M/1, λ = 50/s, μ = 100/s (ρ = 0.5)",
        &mm1_comparisons(&results, 50.0, 100.0),
    );
}

#[test]
fn mm1_rho_0_8_matches_theory() {
    let (_, results) = run("mm1_rho08.yaml");
    assert_agrees(
        "M/M/1, λ = 80/s, μ = 100/s (ρ = 0.8)",
        &mm1_comparisons(&results, 80.0, 100.0),
    );
}

/// The same checks reject a model whose service mean is 11 ms where the theory assumes
/// 10 ms (same load, same seed): the tolerances are tight enough to catch a 10% error.
#[test]
fn wrong_service_mean_is_rejected() {
    let (_, results) = run("mm1_wrong_rho05.yaml");
    let comparisons = mm1_comparisons(&results, 50.0, 100.0);
    println!("M/M/1 checks (μ = 100/s assumed) on a model with μ = 90.9/s:");
    for c in &comparisons {
        println!("  {c}");
    }
    for c in &comparisons {
        assert!(
            !c.passes(),
            "a 10% error in the service mean went unnoticed by {}: {c}",
            c.what
        );
    }
    // And the same function accepts the right model (the ρ = 0.5 test), so the
    // rejection is the model's doing, not a check that always fails.
}

#[test]
fn mmc_matches_erlang_c() {
    let (lambda, mu, c) = (75.0, 25.0, 4);
    let (_, results) = run("mmc4.yaml");
    let t = mmc(lambda, mu, c).expect("stable");
    assert_eq!(t.p_wait, erlang_c(c, lambda / mu));
    assert_agrees(
        "M/M/4, λ = 75/s, μ = 25/s (ρ = 0.75)",
        &[
            Comparison::new(
                "utilization",
                &per_rep(&results, |r| r.stations[0].utilization),
                t.utilization,
            ),
            Comparison::new(
                "P(wait) (Erlang C)",
                &per_rep(&results, |r| r.stations[0].p_wait),
                erlang_c(c, lambda / mu),
            ),
            Comparison::new(
                "mean wait in queue Wq (s)",
                &per_rep(&results, |r| r.stations[0].mean_queue_wait_ms / 1e3),
                t.mean_wait,
            ),
            Comparison::new(
                "station mean response W (s)",
                &per_rep(&results, |r| r.stations[0].mean_response_ms / 1e3),
                t.mean_response,
            ),
            Comparison::new(
                "http_req_duration avg (s)",
                &per_rep(&results, |r| endpoint_avg_s(r, 0)),
                t.mean_response,
            ),
            Comparison::new(
                "mean in system L",
                &per_rep(&results, |r| r.stations[0].mean_in_flight),
                t.mean_in_system,
            ),
        ],
    );
}

#[test]
fn mmck_loss_matches_theory() {
    // 2 workers + a waiting room of 3 on one replica: K = 5.
    let (lambda, mu, c, k) = (100.0, 50.0, 2, 5);
    let (_, results) = run("mmck.yaml");
    let t = mmck(lambda, mu, c, k).expect("valid");
    let loss = |r: &ReplicationResult| {
        let s = &r.stations[0];
        s.causes[Cause::QueueFull.index()] as f64 / s.arrivals as f64
    };
    // The client sees the same losses as 503s (every request of the flow is one arrival).
    for r in &results {
        assert_eq!(
            r.causes[Cause::QueueFull.index()],
            r.stations[0].causes[Cause::QueueFull.index()]
        );
    }
    assert_agrees(
        "M/M/2/5, λ = 100/s, μ = 50/s (a = 2)",
        &[
            Comparison::new(
                "P(block) = queue_full / arrivals",
                &per_rep(&results, loss),
                t.p_block,
            ),
            Comparison::new(
                "accepted throughput (1/s)",
                &per_rep(&results, |r| r.stations[0].succeeded as f64 / secs(r)),
                t.throughput,
            ),
            Comparison::new(
                "utilization",
                &per_rep(&results, |r| r.stations[0].utilization),
                t.utilization,
            ),
            Comparison::new(
                "mean wait of accepted (s)",
                &per_rep(&results, |r| r.stations[0].mean_queue_wait_ms / 1e3),
                t.mean_wait,
            ),
            Comparison::new(
                "mean response of accepted (s)",
                &per_rep(&results, |r| r.stations[0].mean_response_ms / 1e3),
                t.mean_response,
            ),
            Comparison::new(
                "mean in system L",
                &per_rep(&results, |r| r.stations[0].mean_in_flight),
                t.mean_in_system,
            ),
        ],
    );
}

#[test]
fn open_tandem_matches_jackson() {
    // Station a: M/M/1, μ = 100/s; station b: M/M/2, μ = 40/s per worker. Every
    // arrival visits a, then b (routing a -> b -> out).
    let lambda = 50.0;
    let stations = [(100.0, 1), (40.0, 2)];
    let (exp, results) = run("tandem.yaml");
    let index = |name: &str| {
        exp.model
            .stations
            .iter()
            .position(|s| s.name == name)
            .unwrap_or_else(|| panic!("no station {name}"))
    };
    let (a, b) = (index("a"), index("b"));
    let net = jackson_open(&[lambda, 0.0], &[[0.0, 1.0], [0.0, 0.0]], &stations).expect("stable");
    let end_to_end = jackson_tandem(lambda, &stations).expect("stable");
    assert!((net.mean_response - end_to_end).abs() < 1e-12 * end_to_end);
    // Endpoints are ordered by name in the model: "GET /a" then "GET /b".
    let ep = |name: &str| {
        exp.model
            .endpoints
            .iter()
            .position(|e| e.name == name)
            .unwrap_or_else(|| panic!("no endpoint {name}"))
    };
    let (ea, eb) = (ep("GET /a"), ep("GET /b"));
    let mut comparisons = Vec::new();
    for (label, st, ek, th) in [("a", a, ea, net.stations[0]), ("b", b, eb, net.stations[1])] {
        comparisons.push(Comparison::new(
            &format!("{label}: utilization"),
            &per_rep(&results, |r| r.stations[st].utilization),
            th.utilization,
        ));
        comparisons.push(Comparison::new(
            &format!("{label}: P(wait)"),
            &per_rep(&results, |r| r.stations[st].p_wait),
            th.p_wait,
        ));
        comparisons.push(Comparison::new(
            &format!("{label}: mean response W (s)"),
            &per_rep(&results, |r| r.stations[st].mean_response_ms / 1e3),
            th.mean_response,
        ));
        comparisons.push(Comparison::new(
            &format!("{label}: http_req_duration avg (s)"),
            &per_rep(&results, |r| endpoint_avg_s(r, ek)),
            th.mean_response,
        ));
    }
    // End to end: one iteration's two requests (no think time between them).
    comparisons.push(Comparison::new(
        "end-to-end response (s)",
        &per_rep(&results, |r| endpoint_avg_s(r, ea) + endpoint_avg_s(r, eb)),
        end_to_end,
    ));
    comparisons.push(Comparison::new(
        "mean in network L",
        &per_rep(&results, |r| {
            r.stations[a].mean_in_flight + r.stations[b].mean_in_flight
        }),
        net.mean_in_system,
    ));
    assert_agrees(
        "Tandem M/M/1 -> M/M/2, λ = 50/s (ρ = 0.5, 0.625)",
        &comparisons,
    );
}

/// Closed-loop comparisons: system throughput, response time, utilization and queue
/// length of the single station against an MVA solution.
fn closed_comparisons(
    results: &[ReplicationResult],
    t: &capsim::theory::MvaResult,
) -> Vec<Comparison> {
    vec![
        Comparison::new(
            "throughput X (1/s)",
            &per_rep(results, |r| r.stations[0].succeeded as f64 / secs(r)),
            t.throughput,
        ),
        Comparison::new(
            "response time R (s)",
            &per_rep(results, |r| endpoint_avg_s(r, 0)),
            t.response_time,
        ),
        Comparison::new(
            "utilization",
            &per_rep(results, |r| r.stations[0].utilization),
            t.utilizations[0],
        ),
        Comparison::new(
            "mean queue length Q",
            &per_rep(results, |r| r.stations[0].mean_in_flight),
            t.queue_lengths[0],
        ),
    ]
}

#[test]
fn closed_loop_single_server_matches_exact_mva() {
    // 10 VUs, think time Exp(mean 100 ms), one worker with service Exp(mean 10 ms).
    let (_, results) = run("closed1.yaml");
    let t = mva_exact(10, 0.100, &[0.010]).expect("valid");
    assert_agrees(
        "Closed loop, N = 10, Z = 100 ms, D = 10 ms, 1 server",
        &closed_comparisons(&results, &t),
    );
}

#[test]
fn closed_loop_multi_server_matches_multiserver_mva() {
    // 20 VUs, think time Exp(mean 200 ms), 4 workers with service Exp(mean 40 ms).
    let (_, results) = run("closed4.yaml");
    let t = mva_multiserver(
        20,
        0.200,
        &[MvaStation {
            demand: 0.040,
            servers: 4,
        }],
    )
    .expect("valid");
    assert_agrees(
        "Closed loop, N = 20, Z = 200 ms, D = 40 ms, 4 servers",
        &closed_comparisons(&results, &t),
    );
}

#[test]
fn random_balancing_splits_into_independent_mm1() {
    // λ = 120/s split uniformly at random over two replicas with μ = 100/s: each
    // replica sees Poisson arrivals at 60/s (Poisson splitting), so the station as a
    // whole behaves as the M/M/1 at ρ = 0.6 (not as an M/M/2, which pools its queue).
    let (_, results) = run("random_split.yaml");
    let t = mmc(60.0, 100.0, 1).expect("stable");
    let pooled = mmc(120.0, 100.0, 2).expect("stable");
    let w = per_rep(&results, |r| r.stations[0].mean_response_ms / 1e3);
    let comparisons = [
        Comparison::new(
            "utilization",
            &per_rep(&results, |r| r.stations[0].utilization),
            t.utilization,
        ),
        Comparison::new(
            "P(wait)",
            &per_rep(&results, |r| r.stations[0].p_wait),
            t.p_wait,
        ),
        Comparison::new("station mean response W (s)", &w, t.mean_response),
        Comparison::new(
            "mean in system (2 replicas)",
            &per_rep(&results, |r| r.stations[0].mean_in_flight),
            2.0 * t.mean_in_system,
        ),
    ];
    assert_agrees(
        "Random balancing, λ = 120/s over 2 x M/M/1 (μ = 100/s)",
        &comparisons,
    );
    // The pooled queue would be much faster (W = 15.6 ms vs 25 ms): rejected.
    assert!(!Comparison::new("W against M/M/2", &w, pooled.mean_response).passes());
}

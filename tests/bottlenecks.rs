//! The bottleneck analysis against closed forms: an M/M/c station (utilization
//! lambda/(c mu), time at capacity = Erlang C, wait share = Wq/W), a tandem whose slower
//! station is named, a closed flow against MVA below the knee and c/D_max above it, and a
//! database pool that is the bottleneck (pool wait dominates the response time).
//!
//! # Tolerances
//!
//! Each model runs R replications of 10 simulated minutes with a fixed seed. A measure
//! passes when `|m - theory| <= max(K_HW h, floor)`, `h` the 95% Student-t half-width of
//! the replication means: `K_HW = 3` (about 7 standard errors with R = 8) so a correct
//! engine fails only on a freak draw, which the fixed seed rules out for good. The floor is
//! 2% of the theory (1 point for shares): every replication starts empty and nothing is
//! discarded as warm-up; the slowest system here (M/M/4 at rho = 0.9) relaxes in about
//! 1/(c mu (1 - sqrt(rho))^2) = 4 s, under 1% of a 600 s run. The wrong-answer checks at
//! the M/M/c test show the tolerance rejects a service time 5% off.

use capsim::aggregate::{BottleneckSummary, bottlenecks};
use capsim::engine::Budget;
use capsim::model::load::{experiment_from_str, model_from_str};
use capsim::replicate::{RunPlan, run_replications};
use capsim::stats::interval::Estimate;
use capsim::theory::{MvaStation, erlang_c, mva_multiserver};
use std::path::Path;

const K_HW: f64 = 3.0;

fn run(model: &str, experiment: &str) -> BottleneckSummary {
    let path = Path::new("tests/bottlenecks/inline.yaml");
    let model = model_from_str(model, path, Path::new("tests")).expect("model builds");
    let exp = experiment_from_str(experiment, path, model, None).expect("experiment builds");
    let plan = RunPlan {
        indices: 0..exp.replications,
        threads: None,
        budget: Budget::default(),
    };
    let results = run_replications(&exp, &plan, &|_| {}).expect("replications run");
    bottlenecks(&exp, &results)
}

fn tolerance(e: &Estimate, floor: f64) -> f64 {
    let h = e.ci95.map_or(0.0, |[lo, hi]| (hi - lo) / 2.0);
    f64::max(K_HW * h, floor)
}

fn close(what: &str, e: &Estimate, theory: f64, floor: f64) {
    let tol = tolerance(e, floor);
    assert!(
        (e.mean - theory).abs() <= tol,
        "{what}: simulated {} against {theory} (tolerance {tol})",
        e.mean
    );
}

fn resource<'a>(
    b: &'a BottleneckSummary,
    name: &str,
) -> &'a capsim::aggregate::bottleneck_findings::ResourceSummary {
    b.resources
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| {
            panic!(
                "no resource {name}: {:?}",
                b.resources.iter().map(|r| &r.name).collect::<Vec<_>>()
            )
        })
}

fn open_experiment(rate: f64, flow: &str, replications: u32, seed: u64) -> String {
    format!(
        "model: inline.yaml\nseed: {seed}\nreplications: {replications}\nflow:\n{flow}\nscenarios:\n  open:\n    executor: poisson-arrival-rate\n    rate: {rate}\n    timeUnit: 1s\n    duration: 10m\n    preAllocatedVUs: 500\n    maxVUs: 5000\n    gracefulStop: 0s\n"
    )
}

const MMC: &str = "name: mmc\nendpoints:\n  \"GET /\": {service: server, operation: serve}\nservices:\n  server:\n    replicas: 1\n    workers: 4\n    queue_capacity: 1000000\n    operations:\n      serve:\n        - work: {exponential: {mean: 40ms}}\n";

/// M/M/4, mu = 25/s per worker, lambda = 90/s: rho = 0.9.
#[test]
fn mmc_station_utilization_saturation_and_wait_share() {
    let (lambda, mu, c) = (90.0, 25.0, 4u32);
    let b = run(
        MMC,
        &open_experiment(lambda, "  - request: {endpoint: \"GET /\"}", 8, 211),
    );
    let rho = lambda / (c as f64 * mu);
    let r = resource(&b, "server workers");
    close("utilization", &r.utilization, rho, 0.02 * rho);
    // The tolerance is tight enough to reject a service time 5% off (rho 0.945).
    assert!((r.utilization.mean - 1.05 * rho).abs() > tolerance(&r.utilization, 0.02 * rho));
    // PASTA: the time share with every worker busy is the probability an arrival waits.
    let p_wait = erlang_c(c, lambda / mu);
    close("time at capacity", &r.saturated, p_wait, 0.01);
    // Wq / W with Wq = C / (c mu - lambda), W = Wq + 1/mu.
    let wq = p_wait / (c as f64 * mu - lambda);
    let share = wq / (wq + 1.0 / mu);
    close(
        "wait share of the response",
        r.response_share
            .as_ref()
            .expect("workers have a wait share"),
        share,
        0.01,
    );
    // The utilization law from the model's demand (40 ms) and the simulated throughput.
    close(
        "law X D / c",
        r.predicted_utilization.as_ref().expect("demand known"),
        rho,
        0.02 * rho,
    );
    close(
        "bottleneck law c / D",
        b.bounds.max_throughput_per_s.as_ref().expect("bound"),
        c as f64 * mu,
        1e-9,
    );
    assert_eq!(b.first.as_deref(), Some("server workers"), "{}", b.headline);
    assert!(
        b.headline
            .starts_with("First to saturate: server workers: 90 % busy"),
        "{}",
        b.headline
    );
    assert!(b.departures.is_empty(), "{:?}", b.departures);
}

/// Below saturation the analysis names no resource, only the busiest.
#[test]
fn light_load_names_no_bottleneck() {
    let b = run(
        MMC,
        &open_experiment(40.0, "  - request: {endpoint: \"GET /\"}", 3, 212),
    );
    assert_eq!(b.first, None);
    assert!(
        b.headline
            .starts_with("No resource saturates; the busiest is server workers at 40 % busy"),
        "{}",
        b.headline
    );
}

const TANDEM: &str = "name: tandem\nendpoints:\n  \"GET /a\": {service: a, operation: serve}\n  \"GET /b\": {service: b, operation: serve}\nservices:\n  a:\n    replicas: 1\n    workers: 1\n    queue_capacity: 1000000\n    operations:\n      serve:\n        - work: {exponential: {mean: 10ms}}\n  b:\n    replicas: 1\n    workers: 1\n    queue_capacity: 1000000\n    operations:\n      serve:\n        - work: {exponential: {mean: 12ms}}\n";

/// Each iteration visits a (10 ms) then b (12 ms) at 75 iterations/s: rho 0.75 and 0.9.
#[test]
fn tandem_names_the_slower_station() {
    let b = run(
        TANDEM,
        &open_experiment(
            75.0,
            "  - request: {endpoint: \"GET /a\"}\n  - request: {endpoint: \"GET /b\"}",
            8,
            213,
        ),
    );
    close(
        "a utilization",
        &resource(&b, "a workers").utilization,
        0.75,
        0.015,
    );
    close(
        "b utilization",
        &resource(&b, "b workers").utilization,
        0.9,
        0.018,
    );
    assert_eq!(b.first.as_deref(), Some("b workers"), "{}", b.headline);
    assert_eq!(b.bounds.bound_set_by.as_deref(), Some("b workers"));
    // Half the requests go to b: D_b = 6 ms per request, so X <= 1/0.006 = 166.7 req/s
    // (the mix is measured, off 1/2 by the few requests in flight at the end).
    close(
        "bottleneck law",
        b.bounds.max_throughput_per_s.as_ref().expect("bound"),
        1.0 / 0.006,
        0.002 * 166.7,
    );
    // Each station's share is its M/M/1 wait over the mean response of all requests:
    // Wq = rho S / (1 - rho): a 30 ms, b 108 ms; mean response (40 + 120) / 2 = 80 ms.
    let share = |name: &str| resource(&b, name).response_share.expect("share").mean;
    close(
        "a wait share",
        &resource(&b, "a workers").response_share.expect("share"),
        15.0 / 80.0,
        0.02,
    );
    close(
        "b wait share",
        &resource(&b, "b workers").response_share.expect("share"),
        54.0 / 80.0,
        0.02,
    );
    assert!(share("b workers") > share("a workers"));
}

const CLOSED: &str = "name: closed\nendpoints:\n  \"GET /\": {service: server, operation: serve}\nservices:\n  server:\n    replicas: 1\n    workers: 4\n    queue_capacity: 1000000\n    operations:\n      serve:\n        - work: {exponential: {mean: 40ms}}\n";

fn closed_experiment(vus: u32, seed: u64) -> String {
    format!(
        "model: inline.yaml\nseed: {seed}\nreplications: 8\nflow:\n  - request: {{endpoint: \"GET /\"}}\n  - sleep: {{exponential: {{mean: 200ms}}}}\nscenarios:\n  closed:\n    executor: constant-vus\n    vus: {vus}\n    duration: 10m\n    gracefulStop: 0s\n"
    )
}

/// Closed flow: D = 40 ms on 4 workers (c/D = 100/s), Z = 200 ms: knee N* = (D + Z) c / D = 24.
#[test]
fn closed_flow_follows_mva_below_the_knee_and_the_bound_above() {
    let station = [MvaStation {
        demand: 0.04,
        servers: 4,
    }];
    // Below the knee (N = 12): the exact multi-server MVA.
    let b = run(CLOSED, &closed_experiment(12, 214));
    let closed = b.bounds.closed.as_ref().expect("a closed flow");
    let x_mva = mva_multiserver(12, 0.2, &station).expect("mva").throughput;
    close(
        "throughput at N = 12",
        &b.bounds.throughput_per_s,
        x_mva,
        0.02 * x_mva,
    );
    close("knee", &closed.knee_vus, 24.0, 0.03 * 24.0);
    close("think time", &closed.think_time_s, 0.2, 0.02 * 0.2);
    assert!(!closed.above_knee);
    assert!(b.bounds.throughput_per_s.mean <= closed.throughput_bound_per_s.mean * 1.01);
    // Above the knee (N = 60): throughput is pinned at c / D_max = 100/s.
    let b = run(CLOSED, &closed_experiment(60, 215));
    let closed = b.bounds.closed.as_ref().expect("a closed flow");
    assert!(closed.above_knee);
    let x_mva = mva_multiserver(60, 0.2, &station).expect("mva").throughput;
    assert!((x_mva - 100.0).abs() < 0.1, "MVA at 60 users: {x_mva}");
    close(
        "throughput at N = 60",
        &b.bounds.throughput_per_s,
        100.0,
        2.0,
    );
    close(
        "bound at N = 60",
        &closed.throughput_bound_per_s,
        100.0,
        1e-9,
    );
    assert_eq!(b.first.as_deref(), Some("server workers"));
}

const POOL: &str = "name: pool\nendpoints:\n  \"GET /\": {service: api, operation: get}\nservices:\n  api:\n    replicas: 1\n    workers: 200\n    queue_capacity: 1000000\n    operations:\n      get:\n        - work: {exponential: {mean: 2ms}}\n        - query: {database: orders, kind: write, time: {exponential: {mean: 20ms}}}\ndatabases:\n  orders:\n    cores: 8\n    pool_size: 5\n    pool_timeout: 60s\n";

/// The pool (5 connections, 20 ms queries: 250/s) at 230 req/s is an M/M/5 at rho 0.92;
/// the API's 200 workers are lightly loaded by their own demand (X D / c = 0.025) but held
/// while requests wait for a connection (enough of them that the API itself never queues,
/// which keeps the pool an M/M/5).
#[test]
fn database_pool_is_named_and_its_wait_dominates() {
    let (lambda, mu, c) = (230.0, 50.0, 5u32);
    let b = run(
        POOL,
        &open_experiment(lambda, "  - request: {endpoint: \"GET /\"}", 8, 216),
    );
    let pool = resource(&b, "orders pool");
    let rho = lambda / (c as f64 * mu);
    close("pool utilization", &pool.utilization, rho, 0.02 * rho);
    let p_wait = erlang_c(c, lambda / mu);
    close("pool full", &pool.saturated, p_wait, 0.015);
    // Wq = C / (c mu - lambda); response = 2 ms + Wq + 20 ms (no other wait).
    let wq = p_wait / (c as f64 * mu - lambda);
    close(
        "pool wait share",
        pool.response_share.as_ref().expect("pool wait share"),
        wq / (wq + 0.022),
        0.015,
    );
    assert!(pool.response_share.expect("share").mean > 0.5);
    let api = resource(&b, "api workers");
    assert!(
        api.response_share.expect("share").mean < 0.001,
        "{:?}",
        api.response_share
    );
    // Cores: at most 5 queries on 8 cores, so 4.6 of 8 busy and never all.
    close(
        "primary cores",
        &resource(&b, "orders primary cores").utilization,
        4.6 / 8.0,
        0.02,
    );
    assert_eq!(b.first.as_deref(), Some("orders pool"), "{}", b.headline);
    assert!(b.headline.contains("pool wait is"), "{}", b.headline);
    // The api's workers are busier than their own demand: they hold while waiting for
    // the pool, and the departure says so.
    assert!(
        b.departures
            .iter()
            .any(|d| d.starts_with("api workers") && d.contains("wait downstream (orders pool)")),
        "{:?}",
        b.departures
    );
}

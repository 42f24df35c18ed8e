//! Faults in the loop, against counts computed by hand. The fixtures are deterministic
//! (constant arrivals and service times, round-robin balancing), so the expected numbers
//! are exact up to the arrivals that fall on bucket and fault boundaries.

use capsim::aggregate::summarize;
use capsim::engine::Cause;
use capsim::model::load::load_experiment;
use capsim::replicate::{RunPlan, run_replications};
use std::path::Path;

fn run(
    name: &str,
) -> (
    capsim::model::experiment::Experiment,
    Vec<capsim::engine::ReplicationResult>,
) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/faults")
        .join(name);
    let exp = load_experiment(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let plan = RunPlan {
        indices: 0..exp.replications,
        threads: None,
        budget: Default::default(),
    };
    let results = run_replications(&exp, &plan, &|_| {}).unwrap();
    for r in &results {
        assert!(
            r.accounting.balanced(),
            "{name}: conservation {:?}",
            r.accounting
        );
        assert!(
            r.stations.iter().all(|s| s.balanced()),
            "{name}: a station lost requests"
        );
    }
    (exp, results)
}

/// 100 requests/s, every one a database write; the primary fails over from 60 s to 80 s:
/// exactly the 2,000 requests of those 20 s fail with `db_unavailable`, and nothing else.
#[test]
fn database_failover_refuses_writes_for_its_window() {
    let (exp, results) = run("failover.yaml");
    for r in &results {
        assert_eq!(r.failures, 2000, "{:?}", r.causes);
        assert_eq!(r.causes[Cause::DbUnavailable.index()], 2000);
        for (b, row) in r.buckets.iter().enumerate() {
            let in_window = (12..16).contains(&b); // 5 s buckets [60 s, 80 s)
            assert_eq!(
                row.failures > 0,
                in_window,
                "bucket {b}: {} failures",
                row.failures
            );
        }
    }
    let s = summarize(&exp, &results);
    assert_eq!(s.faults.len(), 1);
    assert_eq!(s.faults[0].recovered_fraction, 1.0);
    assert!(
        (s.faults[0].recovery_s.mean - 20.0).abs() < 1e-9,
        "{:?}",
        s.faults[0].recovery_s
    );
}

/// One of three `app` replicas dies at 60 s. The platform notices after 10 s; meanwhile
/// round robin keeps sending it a share of the 100 requests/s, refused at once. The
/// replacement starts at once and is ready at 65 s: from 60 to 65 s one request in three
/// goes to the dead replica (~167), from 65 to 70 s one in four (125): ~292 refused, plus
/// the request it held (reset). The Deployment is back at 3 live replicas.
#[test]
fn killed_replica_refuses_until_noticed_and_is_replaced() {
    let (exp, results) = run("kill.yaml");
    for r in &results {
        let refused = r.causes[Cause::ConnectionRefused.index()];
        let reset = r.causes[Cause::ConnectionReset.index()];
        assert!((289..=295).contains(&refused), "refused {refused}");
        assert!(reset <= 2, "reset {reset}");
        assert_eq!(r.failures, refused + reset);
        let app = &r.stations[exp.model.station_index("app").unwrap()];
        assert_eq!(app.replicas_min, 2.0);
        assert_eq!(app.replicas_max, 3.0);
    }
}

/// The primary provider is down from 60 s to 90 s. Every call waits for its 1 s timeout
/// and then fails over to `rpc2`: no request fails, but p95 breaks the 200 ms SLO until
/// the last timed-out calls end just after 90 s, so the SLO holds again from the bucket
/// starting at 95 s: recovery 35 s after the fault.
#[test]
fn provider_outage_fails_over_and_recovers_after_the_window() {
    let (exp, results) = run("outage.yaml");
    for r in &results {
        assert_eq!(r.failures, 0, "{:?}", r.causes);
    }
    let s = summarize(&exp, &results);
    assert_eq!(s.faults[0].recovered_fraction, 1.0);
    assert!(
        (s.faults[0].recovery_s.mean - 35.0).abs() < 1e-9,
        "{:?}",
        s.faults[0].recovery_s
    );
}

/// The same kill on the entry service behind an ALB with health checks (interval 10 s,
/// timeout 5 s, unhealthy after 3 failures): the dead target keeps its share of traffic
/// until the third failed check completes at 95 s. Its replacement is ready at once but
/// takes traffic only after passing a check at 70 s. So one request in three is refused
/// from 60 to 70 s (~333) and one in four from 70 to 95 s (625): ~958, in the buckets
/// [60 s, 95 s) only — instead of the 10 s the platform needs without health checks.
#[test]
fn dead_target_behind_an_alb_gets_traffic_until_marked_unhealthy() {
    let (_, results) = run("kill-alb.yaml");
    for r in &results {
        let refused = r.causes[Cause::ConnectionRefused.index()];
        assert!((950..=966).contains(&refused), "refused {refused}");
        for (b, row) in r.buckets.iter().enumerate() {
            let in_window = (12..19).contains(&b); // 5 s buckets [60 s, 95 s)
            assert_eq!(
                row.failures > 0,
                in_window,
                "bucket {b}: {} failures",
                row.failures
            );
        }
    }
}

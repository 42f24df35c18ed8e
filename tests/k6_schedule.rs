//! Executor schedules from scenario specs: ramping-vus steps and arrival-rate start times,
//! with expected numbers worked out by hand from the reference formulas (section 4.4).

use capsim::spec::scenario::ScenarioSpec;
use capsim::time::{NANOS_PER_SEC as S, Nanos};
use capsim::workload::executor::{Executor, Scenario};
use capsim::workload::schedule::{ArrivalSchedule, VuStep, ramping_vus_steps, vus_at};

fn scenario(yaml: &str) -> Scenario {
    let spec: ScenarioSpec = serde_saphyr::from_str(yaml).unwrap();
    spec.validate("s").unwrap()
}

fn starts(s: &Scenario) -> Vec<Nanos> {
    let mut a = ArrivalSchedule::new(&s.executor).expect("an arrival-rate executor");
    std::iter::from_fn(|| a.next_start()).collect()
}

#[test]
fn reference_ramp_scenario_steps() {
    // startVUs 0, 0 -> 10 over 30s, 10 -> 0 over 10s.
    // Up: VU v starts at 30s - floor(30s*(10-v)/10) = 3v s.
    // Down (ceil): 10 -> 9 at 40s - floor(10s*(10-1)/10) = 31s, ..., v -> v-1 at (41-v) s.
    let s = scenario(
        "executor: ramping-vus\nstartVUs: 0\ngracefulRampDown: 5s\n\
         stages: [{duration: 30s, target: 10}, {duration: 10s, target: 0}]\n",
    );
    let Executor::RampingVus {
        start_vus, stages, ..
    } = &s.executor
    else {
        panic!()
    };
    let got = ramping_vus_steps(*start_vus, stages);
    let mut want = vec![VuStep { at: 0, vus: 0 }];
    want.extend((1..=10).map(|v| VuStep {
        at: 3 * v * S,
        vus: v,
    }));
    want.extend((1..=10).map(|k| VuStep {
        at: (30 + k) * S,
        vus: 10 - k,
    }));
    assert_eq!(got, want);
    assert_eq!(s.regular_duration(), 40 * S);
    assert_eq!(s.end_offset(), 70 * S);
    // Between steps the count holds: 4 VUs in [12s, 15s); at 39.5s, 9.5s into the ramp-down,
    // ceil(10 - 9.5) = 1 VU.
    assert_eq!(vus_at(&got, 12 * S), 4);
    assert_eq!(vus_at(&got, 15 * S - 1), 4);
    assert_eq!(vus_at(&got, 39 * S + S / 2), 1);
}

#[test]
fn ramp_down_with_uneven_division() {
    // 4 -> 1 over 10s: drop v -> v-1 at 10s - floor(10s*(v-2)/3):
    // 4 -> 3 at 10 - 6.666666666 = 3.333333334s, 3 -> 2 at 10 - 3.333333333 = 6.666666667s,
    // 2 -> 1 at 10s. The line 4 - 0.3t crosses 3 at 3.33s: ceil keeps 4 VUs until then.
    let got = ramping_vus_steps(
        4,
        &[capsim::workload::Stage {
            duration: 10 * S,
            target: 1,
        }],
    );
    assert_eq!(
        got,
        vec![
            VuStep { at: 0, vus: 4 },
            VuStep {
                at: 3_333_333_334,
                vus: 3
            },
            VuStep {
                at: 6_666_666_667,
                vus: 2
            },
            VuStep { at: 10 * S, vus: 1 },
        ]
    );
}

#[test]
fn constant_arrival_rate_20_per_second_for_3s() {
    let s =
        scenario("executor: constant-arrival-rate\nrate: 20\nduration: 3s\npreAllocatedVUs: 2\n");
    let got = starts(&s);
    // 0, 50ms, …, 2950ms (60 = rate × duration) plus the boundary tick at 3s: the reference
    // run saw 25 completed + 36 dropped = 61.
    assert_eq!(got.len(), 61);
    assert_eq!(&got[..3], &[0, 50_000_000, 100_000_000]);
    assert_eq!(got[59], 2_950_000_000);
    assert_eq!(got[60], 3 * S);
}

#[test]
fn ramping_arrival_rate_first_at_one_over_rate_and_remainders_carry() {
    // 3/s for 1.5s (4.5 iterations: at 1/3, 2/3, 1, 4/3 s), jump to 2/s (zero-length
    // stage: nothing), 2/s for 1s: iteration 5 needs 0.5 more -> 1.5s + 0.25s, iteration 6
    // -> 1.5s + 0.75s; the integral is 6.5, so 6 iterations.
    let s = scenario(
        "executor: ramping-arrival-rate\nstartRate: 3\npreAllocatedVUs: 1\n\
         stages: [{duration: 1500ms, target: 3}, {duration: 0s, target: 2}, {duration: 1s, target: 2}]\n",
    );
    assert_eq!(
        starts(&s),
        vec![
            333_333_333,
            666_666_667,
            S,
            1_333_333_333,
            1_750_000_000,
            2_250_000_000
        ]
    );
}

#[test]
fn ramping_arrival_rate_count_equals_the_integral() {
    // 0 -> 20/s over 5s (area 50: rate 4t, 2t² = n -> t = sqrt(n/2) s), then 20/s for 2s
    // (area 40: at 5s + k/20 s), then 20 -> 0 over 1s (area 10), then 0 for 5s (none).
    let s = scenario(
        "executor: ramping-arrival-rate\npreAllocatedVUs: 1\n\
         stages: [{duration: 5s, target: 20}, {duration: 2s, target: 20}, \
                  {duration: 1s, target: 0}, {duration: 5s, target: 0}]\n",
    );
    let got = starts(&s);
    assert_eq!(got.len(), 100);
    assert_eq!(got[0], 707_106_781); // sqrt(0.5) s: first at the integral reaching 1
    assert_eq!(got[49], 5 * S);
    assert_eq!(got[50], 5 * S + 50_000_000);
    assert_eq!(got[89], 7 * S);
    assert!(got[99].abs_diff(8 * S) <= 1_000, "{}", got[99]);
    assert!(got.windows(2).all(|w| w[0] <= w[1]));
    assert!(got.iter().all(|&t| t <= 8 * S));
}

#[test]
fn poisson_arrival_rate_from_a_scenario() {
    let s = scenario(
        "executor: poisson-arrival-rate\nrate: 0.5\ntimeUnit: 1s\nduration: 10s\npreAllocatedVUs: 1\n",
    );
    let mut a = ArrivalSchedule::new(&s.executor).unwrap();
    assert!(a.needs_randomness());
    // Every draw u = 1 - e^-1 gives a gap of one mean, 2s: 2, 4, 6, 8, 10 s.
    let u = 1.0 - (-1.0f64).exp();
    let got: Vec<Nanos> = std::iter::from_fn(|| a.next_start_with(|| u)).collect();
    assert_eq!(got, vec![2 * S, 4 * S, 6 * S, 8 * S, 10 * S]);
}

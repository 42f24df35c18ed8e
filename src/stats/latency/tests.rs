//! Tests of the latency histograms (`super`).

use super::*;
use crate::stats::interval::quantile;
use crate::stats::latency_front::front_index;

const MS: Nanos = 1_000_000;

#[test]
fn empty_histogram_has_no_stats() {
    let h = LatencyHistogram::new();
    assert_eq!(h.count(), 0);
    assert_eq!(h.mean_ms(), None);
    assert_eq!(h.quantile_ms(0.5), None);
    assert!(h.trend().is_none());
    assert!(BucketLatency::new().percentiles_ms().is_none());
}

#[test]
fn exact_moments_and_bounded_quantiles() {
    let mut h = LatencyHistogram::new();
    let mut exact = Vec::new();
    // 1..=10_000 ms in a scrambled order
    for i in 0..10_000u64 {
        let v = ((i * 7_919) % 10_000 + 1) * MS + 123;
        h.record(v);
        exact.push(v as f64 / 1e6);
    }
    assert_eq!(h.count(), 10_000);
    // exact: mean of (k ms + 123 ns) for k in 1..=10_000
    assert_eq!(h.mean_ms(), Some(5_000.500_123));
    assert_eq!(h.min_ms(), Some(1.000_123));
    assert_eq!(h.max_ms(), Some(10_000.000_123));
    for q in [0.5, 0.9, 0.95, 0.99] {
        let got = h.quantile_ms(q).unwrap();
        let k6 = quantile(&exact, q);
        // conservative: not below the k6 value by more than one order-statistic gap (1 ms)
        assert!(got >= k6 - 1.0, "q={q}: {got} < {k6}");
        assert!(
            got <= k6 * (1.0 + 1.0 / 1024.0) + 1.0 + 0.001,
            "q={q}: {got} vs {k6}"
        );
    }
    let t = h.trend().unwrap();
    assert_eq!(t.max, 10_000.000_123);
    assert!(t.p99 >= t.p95 && t.p95 >= t.p90 && t.p90 >= t.med);
}

#[test]
fn quantile_never_below_true_sample_for_single_value() {
    let mut h = LatencyHistogram::new();
    h.record(1_234_567); // 1.234567 ms
    // clamped into exact [min, max]: exactly the sample
    assert_eq!(h.quantile_ms(0.5), Some(1.234_567));
    assert_eq!(h.quantile_ms(0.0), Some(1.234_567));
}

#[test]
fn values_above_one_day_are_clamped_and_counted() {
    let mut h = LatencyHistogram::new();
    let two_days = 2 * 86_400 * 1_000_000_000u64;
    h.record(MS);
    h.record(two_days);
    assert_eq!(h.clamped(), 1);
    assert_eq!(h.count(), 2);
    assert_eq!(h.max_ms(), Some(two_days as f64 / 1e6));
    let p = h.quantile_ms(1.0).unwrap();
    assert!(p >= 86_400_000.0 && p <= two_days as f64 / 1e6, "{p}");
    h.record(u64::MAX); // no overflow, no panic
    assert_eq!(h.clamped(), 2);
}

#[test]
fn merge_equals_recording_everything() {
    let (mut a, mut b, mut all) = (
        LatencyHistogram::new(),
        LatencyHistogram::new(),
        LatencyHistogram::new(),
    );
    for i in 0..1000u64 {
        let v = i * 37 * 1_000 + 5;
        if i % 3 == 0 {
            a.record(v)
        } else {
            b.record(v)
        }
        all.record(v);
    }
    a.merge(&b);
    assert_eq!(a.count(), all.count());
    assert_eq!(a.mean_ms(), all.mean_ms());
    assert_eq!(a.min_ms(), all.min_ms());
    assert_eq!(a.max_ms(), all.max_ms());
    for q in [0.1, 0.5, 0.99] {
        assert_eq!(a.quantile_ms(q), all.quantile_ms(q));
    }
    a.reset();
    assert_eq!(a.count(), 0);
    assert_eq!(a.mean_ms(), None);
}

#[test]
fn bucket_latency_within_two_figures() {
    let mut b = BucketLatency::new();
    for i in 1..=1000u64 {
        b.record(i * MS);
    }
    let [p50, p95, p99] = b.percentiles_ms().unwrap();
    for (got, rank) in [(p50, 500.0), (p95, 950.0), (p99, 990.0)] {
        assert!(
            got >= rank && got <= rank * (1.0 + 1.0 / 128.0) + 0.001,
            "{got} vs {rank}"
        );
    }
    b.reset();
    assert_eq!(b.count(), 0);
    b.record(3 * MS);
    assert_eq!(b.percentiles_ms(), Some([3.0, 3.0, 3.0]));
}

#[test]
fn trend_serializes_with_k6_keys() {
    let mut h = LatencyHistogram::new();
    h.record(2 * MS);
    let json = serde_json::to_string(&h.trend().unwrap()).unwrap();
    assert_eq!(
        json,
        r#"{"avg":2.0,"min":2.0,"med":2.0,"max":2.0,"p(90)":2.0,"p(95)":2.0,"p(99)":2.0}"#
    );
}

/// Edge values, then `n` values spread over every magnitude from 1 ns to about 2^44 ns
/// (a fixed LCG from `seed`).
fn spread_ns(edges: &[u64], seed: u64, n: u64) -> Vec<u64> {
    let mut z = seed;
    let mut values = edges.to_vec();
    for k in 0..n {
        z = z
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        values.push((z >> 20) >> (k % 40));
    }
    values
}

/// The histogram recorded through fronts is the one recorded directly: HDR's counts,
/// minimum and maximum, the moments and `steps + 1` quantiles.
fn assert_same(via: &Core, direct: &Core, steps: u32) {
    assert_eq!(via.hist, direct.hist);
    assert_eq!(via.hist.max(), direct.hist.max());
    assert_eq!(via.hist.min_nz(), direct.hist.min_nz());
    assert_eq!(via.count, direct.count);
    assert_eq!(via.clamped, direct.clamped);
    assert_eq!(via.sum_ns, direct.sum_ns);
    assert_eq!(via.min_ms(), direct.min_ms());
    assert_eq!(via.max_ms(), direct.max_ms());
    for i in 0..=steps {
        let q = f64::from(i) / f64::from(steps);
        assert_eq!(via.quantile_ms(q), direct.quantile_ms(q), "q = {q}");
    }
}

/// Recording through a front and absorbing it, at any points, gives the histogram that
/// recording every value directly gives: every quantile, the moments, HDR's counts,
/// minimum and maximum.
#[test]
fn a_front_absorbed_is_the_same_histogram() {
    let mut direct = LatencyHistogram::new();
    let mut via = LatencyHistogram::new();
    let mut front: LatencyFront = LatencyFront::new();
    let edges = [
        0,
        1,
        999,
        1_000,
        1_001,
        2_047_000,
        2_048_001,
        86_400 * 1_000_000_000,
        u64::MAX,
    ];
    let values = spread_ns(&edges, 0x9E37_79B9_7F4A_7C15, 300_000);
    for (k, &ns) in values.iter().enumerate() {
        direct.record(ns);
        front.record(ns);
        if front.full() || k % 97_003 == 0 {
            via.absorb(&mut front);
            assert!(front.is_empty());
        }
    }
    via.absorb(&mut front);
    assert_same(&via.core, &direct.core, 1000);
    assert_cells_round_trip::<11>(&[0, 1, 2047, 2048, 2049, 4095, 4096, 1 << 20, MAX_MICROS]);
}

/// A cell's least value lies in the cell: `front_value` inverts `front_index`.
fn assert_cells_round_trip<const SUB_BITS: u32>(values_us: &[u64]) {
    for &us in values_us {
        assert_eq!(
            front_index::<SUB_BITS>(us),
            front_index::<SUB_BITS>(front_value::<SUB_BITS>(front_index::<SUB_BITS>(us))),
            "{us}"
        );
    }
}

/// The same for the per-bucket histogram's 2-figure front, with `reset` between
/// buckets as the recorder does, the front also absorbed into a window segment's
/// histogram that is never reset (`absorb_both`, as the recorder does).
#[test]
fn a_bucket_front_absorbed_is_the_same_histogram() {
    let mut direct = BucketLatency::new();
    let mut via = BucketLatency::new();
    let mut segment_direct = BucketLatency::new();
    let mut segment = BucketLatency::new();
    let mut front = BucketFront::new();
    let edges = [
        0,
        1,
        255,
        256,
        257,
        999,
        1_000,
        1_001,
        86_400 * 1_000_000_000,
        u64::MAX,
    ];
    let values = spread_ns(&edges, 0x2545_F491_4F6C_DD1D, 200_000);
    for (k, &ns) in values.iter().enumerate() {
        direct.record(ns);
        segment_direct.record(ns);
        front.record(ns);
        if front.full() {
            via.absorb_both(&mut segment, &mut front);
        }
        if k % 70_001 == 0 {
            // A bucket closes: read, then reset.
            via.absorb_both(&mut segment, &mut front);
            assert!(front.is_empty());
            assert_same(&via.core, &direct.core, 200);
            via.reset();
            direct.reset();
        }
    }
    via.absorb_both(&mut segment, &mut front);
    assert_same(&via.core, &direct.core, 200);
    assert_same(&segment.core, &segment_direct.core, 200);
    assert_eq!(segment.count(), values.len() as u64);
    assert_cells_round_trip::<8>(&[0, 1, 255, 256, 257, 511, 512, 1 << 20, MAX_MICROS]);
}

/// The one-pass quantiles (`trend`, `percentiles_ms`) are exactly the quantiles read one
/// at a time, on histograms from one value to a wide spread, for both precisions.
#[test]
fn one_pass_quantiles_are_the_single_quantiles() {
    // Read one at a time: `q` for each of `qs` (fractions).
    let single = |q: &dyn Fn(f64) -> Option<f64>, qs: &[f64]| -> Vec<f64> {
        qs.iter().map(|&p| q(p).unwrap()).collect()
    };
    let qs = [0.0, 0.001, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0];
    for n in [1u64, 2, 3, 10, 1_000, 50_000] {
        let mut full = LatencyHistogram::new();
        let mut bucket = BucketLatency::new();
        for ns in spread_ns(&[], 0x2545_F491_4F6C_DD1D ^ n, n) {
            full.record(ns);
            bucket.record(ns);
        }
        let full_q = |q| full.quantile_ms(q);
        let bucket_q = |q| bucket.quantile_ms(q);
        assert_eq!(
            full.core.quantiles_ms(qs).unwrap()[..],
            single(&full_q, &qs),
            "n = {n}"
        );
        assert_eq!(
            bucket.core.quantiles_ms(qs).unwrap()[..],
            single(&bucket_q, &qs),
            "n = {n}"
        );
        let t = full.trend().unwrap();
        assert_eq!(
            [t.med, t.p90, t.p95, t.p99][..],
            single(&full_q, &[0.5, 0.9, 0.95, 0.99])
        );
        assert_eq!(
            bucket.percentiles_ms().unwrap()[..],
            single(&bucket_q, &[0.5, 0.95, 0.99])
        );
        // Ascending (one pass), unordered and out of range (one at a time).
        for ps in [
            &[0.0, 50.0, 90.0, 99.9, 100.0][..],
            &[99.0, 50.0, 150.0, -3.0],
        ] {
            let fractions: Vec<f64> = ps.iter().map(|p| p / 100.0).collect();
            assert_eq!(full.at_percentiles_ms(ps), single(&full_q, &fractions));
            assert_eq!(bucket.at_percentiles_ms(ps), single(&bucket_q, &fractions));
        }
    }
}

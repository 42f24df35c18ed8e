//! The MSER-5 truncation rule for the warm-up of one output series (White 1997; White,
//! Cobb & Spratt 2000): batch the series by 5, and truncate the `d` first batches where
//! the marginal standard error `MSER(d) = S²(d) / (m − d)` of the remaining batch means is
//! smallest, searching the first half of the series only.
//!
//! With `Y_1..Y_m` the batch means and `Ȳ(d)` the mean of `Y_{d+1}..Y_m`,
//! `MSER(d) = Σ_{i>d} (Y_i − Ȳ(d))² / (m − d)²`. Removing an initial transient lowers the
//! spread faster than it lowers the count, so the minimum falls just after the transient.
//! A minimum at the end of the searched half means the series may still be in its
//! transient there: the run is too short to tell (White, Cobb & Spratt 2000, §3).

/// Observations per batch (the "5" of MSER-5).
pub const BATCH: usize = 5;
/// Fewest batches for which the rule is applied (below this the statistic is noise).
pub const MIN_BATCHES: usize = 10;

/// Where MSER-5 truncates a series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Truncation {
    /// Batches to drop from the start (`d`).
    pub batches: usize,
    /// Batches in the series (`m`).
    pub of: usize,
    /// The minimum sits at the end of the searched first half: the series is too short
    /// to show the end of its transient.
    pub at_edge: bool,
}

/// The MSER truncation point of a series of batch means (already batched). `None` when
/// the series has fewer than [`MIN_BATCHES`] finite means.
pub fn mser(batch_means: &[f64]) -> Option<Truncation> {
    let m = batch_means.len();
    if m < MIN_BATCHES || batch_means.iter().any(|x| !x.is_finite()) {
        return None;
    }
    // Suffix sums, from the end: s1[d] = Σ_{i≥d} Y_i, s2[d] = Σ_{i≥d} Y_i² (centred on
    // the overall mean, for numerical stability).
    let centre = batch_means.iter().sum::<f64>() / m as f64;
    let half = m / 2;
    let (mut s1, mut s2) = (0.0, 0.0);
    let mut stat = vec![f64::INFINITY; half + 1];
    for d in (0..m).rev() {
        let y = batch_means[d] - centre;
        s1 += y;
        s2 += y * y;
        if d <= half {
            let n = (m - d) as f64;
            let ss = (s2 - s1 * s1 / n).max(0.0);
            stat[d] = ss / (n * n);
        }
    }
    // First minimum (ties keep the shorter truncation).
    let mut best = 0;
    for (d, &s) in stat.iter().enumerate() {
        if s < stat[best] {
            best = d;
        }
    }
    Some(Truncation {
        batches: best,
        of: m,
        at_edge: best == half,
    })
}

/// MSER-5 on raw observations: batch means of [`BATCH`] consecutive observations (a last
/// partial batch is dropped), then [`mser`]. The truncation is in batches.
pub fn mser5(observations: &[f64]) -> Option<Truncation> {
    let means: Vec<f64> = observations
        .chunks_exact(BATCH)
        .map(|c| c.iter().sum::<f64>() / BATCH as f64)
        .collect();
    mser(&means)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::Xoshiro256PlusPlus;
    use rand_distr::{Distribution, Normal};

    #[test]
    fn a_stationary_series_is_not_truncated() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let noise = Normal::new(10.0, 1.0).unwrap();
        let x: Vec<f64> = (0..1000).map(|_| noise.sample(&mut rng)).collect();
        let t = mser5(&x).unwrap();
        assert_eq!(t.of, 200);
        // Without a transient, any cut is chance: it stays short of the edge and small.
        assert!(!t.at_edge, "{t:?}");
        assert!(t.batches < 40, "{t:?}");
    }

    #[test]
    fn a_known_transient_is_cut_where_it_ends() {
        // Steady level 10 with unit noise, after a linear ramp from 0 over the first 300
        // observations (60 batches). MSER-5 must cut at the end of the ramp: not before
        // batch 50 (the ramp's last sixth is within 1.7 noise-sd of the level), and not
        // far past it (within 15 batches after, which costs at most 10% of the data).
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let noise = Normal::new(0.0, 1.0).unwrap();
        let x: Vec<f64> = (0..2000)
            .map(|i| {
                let level = if i < 300 {
                    10.0 * i as f64 / 300.0
                } else {
                    10.0
                };
                level + noise.sample(&mut rng)
            })
            .collect();
        let t = mser5(&x).unwrap();
        assert!((50..=75).contains(&t.batches), "{t:?}");
        assert!(!t.at_edge);
        // The truncated mean is the steady level; the untruncated one is biased low by
        // the ramp's deficit (5 × 300 / 2000 = 0.75).
        let kept = &x[t.batches * BATCH..];
        let mean = kept.iter().sum::<f64>() / kept.len() as f64;
        assert!((mean - 10.0).abs() < 0.1, "{mean}");
        let all = x.iter().sum::<f64>() / x.len() as f64;
        assert!((all - 9.25).abs() < 0.1, "{all}");
    }

    #[test]
    fn a_transient_longer_than_half_the_series_is_flagged() {
        // A ramp over the whole series: MSER keeps cutting to the end of its search.
        let x: Vec<f64> = (0..500).map(|i| i as f64).collect();
        let t = mser5(&x).unwrap();
        assert!(t.at_edge, "{t:?}");
        assert_eq!(t.batches, 50);
    }

    #[test]
    fn short_or_undefined_series_give_no_truncation() {
        assert_eq!(mser5(&[1.0; 45]), None);
        assert_eq!(
            mser(&[1.0, 2.0, f64::NAN, 1.0, 2.0, 3.0, 1.0, 2.0, 1.0, 2.0]),
            None
        );
    }
}

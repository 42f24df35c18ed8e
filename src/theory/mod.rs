//! Closed-form queueing results (Erlang C, M/M/c/K, Jackson networks, exact MVA) that the engine is checked against.
//!
//! All rates are per unit time and all times in the same unit (use seconds). The
//! functions validate their inputs and return [`TheoryError`] rather than NaN or a
//! panic when a steady state does not exist or a parameter is out of range.
//!
//! Sources:
//! * L. Kleinrock, *Queueing Systems, Vol. 1: Theory* (Wiley, 1975), ch. 3
//!   (M/M/1, M/M/c, M/M/c/K, Erlang B and C).
//! * D. Gross, J. Shortle, J. Thompson, C. Harris, *Fundamentals of Queueing Theory*,
//!   4th ed. (Wiley, 2008), sections 2.3 (M/M/c), 2.5 (M/M/c/K), 4.1 (Jackson networks).
//! * J. R. Jackson, "Jobshop-like queueing systems", *Management Science* 10 (1963).
//! * M. Reiser, S. S. Lavenberg, "Mean-value analysis of closed multichain queuing
//!   networks", *JACM* 27(2) (1980).
//! * E. Lazowska, J. Zahorjan, G. S. Graham, K. Sevcik, *Quantitative System
//!   Performance* (Prentice-Hall, 1984), ch. 6 (exact MVA) and ch. 20 (load-dependent
//!   service centers).
//! * G. Bolch, S. Greiner, H. de Meer, K. Trivedi, *Queueing Networks and Markov
//!   Chains*, 2nd ed. (Wiley, 2006), section 8.2 (MVA with multiple-server stations).
//!
//! Files by family: `mmc` (Erlang B/C, M/M/c, M/M/c/K), `jackson` (tandem lines and open
//! Jackson networks), `mva` (exact MVA, multi-server MVA, bounds), `operational` (utilization, bottleneck
//! and Little's laws, closed-flow bounds and knee); [`TheoryError`] in `error`.

mod error;
mod jackson;
mod mmc;
mod mva;
pub mod operational;

pub use error::TheoryError;
pub use jackson::{JacksonResult, jackson_open, jackson_tandem};
pub use mmc::{MmcResult, MmckResult, erlang_b, erlang_c, mmc, mmck};
pub use mva::{
    MAX_MULTISERVER_STATIONS, MvaResult, MvaStation, mva_exact, mva_multiserver,
    throughput_upper_bound,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_inputs_are_errors_not_panics() {
        assert!(matches!(
            mmc(1.0, 0.0, 1),
            Err(TheoryError::InvalidParameter { .. })
        ));
        assert!(matches!(
            mmc(1.0, 1.0, 0),
            Err(TheoryError::InvalidParameter { .. })
        ));
        assert!(matches!(
            mmc(f64::NAN, 1.0, 1),
            Err(TheoryError::InvalidParameter { .. })
        ));
        assert!(matches!(
            mmc(2.0, 1.0, 2),
            Err(TheoryError::Unstable { .. })
        ));
        assert!(mmck(1.0, 1.0, 3, 2).is_err());
        assert!(mva_exact(3, -1.0, &[1.0]).is_err());
        assert!(
            mva_multiserver(
                3,
                0.0,
                &[MvaStation {
                    demand: 1.0,
                    servers: 0
                }]
            )
            .is_err()
        );
        let e = jackson_tandem(1.0, &[(2.0, 1), (0.5, 1)]).unwrap_err();
        assert_eq!(
            e,
            TheoryError::Unstable {
                station: Some(1),
                utilization: 2.0
            }
        );
        assert!(e.to_string().contains("station 1"), "{e}");
    }
}

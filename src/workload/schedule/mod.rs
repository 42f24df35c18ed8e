//! Pure schedule maths of the k6 executors: VU steps of ramping-vus ([`vus`]), iteration
//! start times of arrival-rate executors ([`arrivals`]).
//!
//! Everything here is deterministic and side-effect free. [`ramping_vus_steps`] allocates
//! its step list once per scenario; [`ArrivalSchedule`] allocates only when built, and
//! yields each iteration start time without allocating. Randomness (the Poisson extension)
//! comes from the caller: the engine owns the RNG and passes uniform draws in.

pub mod arrivals;
pub mod vus;

pub use arrivals::ArrivalSchedule;
pub use vus::{VuStep, ramping_vus_steps, vus_at};

//! Pure schedule maths of the k6 executors: VU steps of ramping-vus, iteration start times of arrival-rate executors.

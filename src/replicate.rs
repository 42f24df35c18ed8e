//! Runs the replications of an experiment in parallel with rayon and returns results in index order.

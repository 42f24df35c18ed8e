//! Closed-form queueing results (Erlang C, M/M/c/K, Jackson networks, exact MVA) that the engine is checked against.

//! Autoscalers in the loop: pure decision logic driven by the engine.
pub mod aws;
pub mod health;

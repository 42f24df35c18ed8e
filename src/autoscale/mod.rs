//! Autoscalers in the loop: the Kubernetes HorizontalPodAutoscaler controller ([`hpa`]), its
//! manifests ([`k8s`]) and the `capsim hpa` dry run ([`hpa_dry_run`]); AWS Auto Scaling,
//! CloudWatch alarms ([`aws`]) and ELB target health checks ([`health`]). Controllers are
//! pure: observations in, decision out, no I/O.

pub mod aws;
pub mod health;
pub mod hpa;
pub mod hpa_dry_run;
pub mod k8s;

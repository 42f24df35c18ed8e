//! Autoscalers in the loop: the Kubernetes HorizontalPodAutoscaler controller ([`hpa`]), its
//! manifests ([`k8s`]) and the `capsim hpa` dry run ([`hpa_dry_run`]). Controllers are pure:
//! observations in, decision out, no I/O.

pub mod hpa;
pub mod hpa_dry_run;
pub mod k8s;

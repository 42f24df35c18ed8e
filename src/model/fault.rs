//! Validated fault injections: what fails, where, when and for how long.

use crate::error::{FieldError, join_path};
use crate::model::{Model, StationId, StationKind};
use crate::spec::experiment::{FaultKindSpec, FaultSpec};
use crate::suggest::unknown_name;
use crate::time::Nanos;

#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub name: String,
    pub at: Nanos,
    /// End of the window (outages, slowdowns, failovers).
    pub until: Option<Nanos>,
    pub kind: FaultKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// Kill replicas of each listed station: (station, count or fraction).
    Kill {
        targets: Vec<(StationId, KillAmount)>,
    },
    ProviderOutage {
        provider: usize,
    },
    ProviderSlowdown {
        provider: usize,
        factor: f64,
    },
    Degrade {
        station: StationId,
        factor: f64,
    },
    DatabaseFailover {
        database: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KillAmount {
    Count(u32),
    /// Of the live replicas at the time, rounded up.
    Fraction(f64),
}

fn service(model: &Model, name: &str, path: &str) -> Result<StationId, FieldError> {
    model
        .stations
        .iter()
        .position(|s| s.kind == StationKind::Service && s.name == name)
        .ok_or_else(|| {
            FieldError::new(
                path,
                unknown_name(
                    "service",
                    name,
                    model
                        .stations
                        .iter()
                        .filter(|s| s.kind == StationKind::Service)
                        .map(|s| s.name.as_str()),
                ),
            )
        })
}

fn provider(model: &Model, name: &str, path: &str) -> Result<usize, FieldError> {
    model
        .providers
        .iter()
        .position(|p| p.name == name)
        .ok_or_else(|| {
            FieldError::new(
                path,
                unknown_name(
                    "provider",
                    name,
                    model.providers.iter().map(|p| p.name.as_str()),
                ),
            )
        })
}

fn factor(f: f64, path: &str) -> Result<f64, FieldError> {
    if !f.is_finite() || f <= 0.0 || f > 1000.0 {
        return Err(FieldError::new(
            path,
            format!("factor {f}: write a multiplier above 0 and at most 1000 (2 = twice as slow)"),
        ));
    }
    Ok(f)
}

fn fraction(f: f64, path: &str) -> Result<f64, FieldError> {
    if !f.is_finite() || f <= 0.0 || f > 1.0 {
        return Err(FieldError::new(
            path,
            format!("fraction {f}: write a number above 0 and at most 1 (0.33 for a third)"),
        ));
    }
    Ok(f)
}

/// Validates the experiment's faults against its model.
pub fn build_faults(
    specs: &[FaultSpec],
    model: &Model,
    end: Nanos,
) -> Result<Vec<Fault>, FieldError> {
    let mut out = Vec::new();
    for (i, f) in specs.iter().enumerate() {
        let path = format!("faults[{i}]");
        if f.at.0 > end {
            return Err(FieldError::new(
                join_path(&path, "at"),
                format!(
                    "{} is after the end of the test ({}); the fault would never happen",
                    f.at,
                    crate::time::format_duration(end)
                ),
            ));
        }
        let windowed = !matches!(f.kind, FaultKindSpec::Kill(_) | FaultKindSpec::ZoneLoss(_));
        let until = match (f.duration, windowed) {
            (Some(d), true) if d.0 > 0 => Some(f.at.0 + d.0),
            (None, true) | (Some(_), true) => {
                return Err(FieldError::new(
                    join_path(&path, "for"),
                    "this fault lasts a while: give its length, e.g. `for: 2m`",
                ));
            }
            (Some(_), false) => {
                return Err(FieldError::new(
                    join_path(&path, "for"),
                    "killed replicas stay killed (their replacements start at once); remove `for`",
                ));
            }
            (None, false) => None,
        };
        let (kind, label) = match &f.kind {
            FaultKindSpec::Kill(k) => {
                let station = service(model, &k.service, &join_path(&path, "kill.service"))?;
                let amount = match (k.count, k.fraction) {
                    (Some(c), None) if c > 0 => KillAmount::Count(c),
                    (None, Some(x)) => {
                        KillAmount::Fraction(fraction(x, &join_path(&path, "kill.fraction"))?)
                    }
                    _ => {
                        return Err(FieldError::new(
                            join_path(&path, "kill"),
                            "give exactly one of `count` (at least 1) or `fraction` (0 to 1)",
                        ));
                    }
                };
                (
                    FaultKind::Kill {
                        targets: vec![(station, amount)],
                    },
                    format!("kill {}", k.service),
                )
            }
            FaultKindSpec::ZoneLoss(z) => {
                let x = fraction(z.fraction, &join_path(&path, "zone_loss.fraction"))?;
                let targets = model
                    .stations
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.kind == StationKind::Service)
                    .map(|(i, _)| (i, KillAmount::Fraction(x)))
                    .collect();
                (
                    FaultKind::Kill { targets },
                    format!("zone loss {:.0}%", x * 100.0),
                )
            }
            FaultKindSpec::ProviderOutage(t) => {
                let provider = provider(
                    model,
                    &t.provider,
                    &join_path(&path, "provider_outage.provider"),
                )?;
                (
                    FaultKind::ProviderOutage { provider },
                    format!("{} outage", t.provider),
                )
            }
            FaultKindSpec::ProviderSlowdown(s) => {
                let Some(name) = &s.provider else {
                    return Err(FieldError::new(
                        join_path(&path, "provider_slowdown.provider"),
                        "name the provider",
                    ));
                };
                let provider =
                    provider(model, name, &join_path(&path, "provider_slowdown.provider"))?;
                let factor = factor(s.factor, &join_path(&path, "provider_slowdown.factor"))?;
                (
                    FaultKind::ProviderSlowdown { provider, factor },
                    format!("{name} {factor}x slower"),
                )
            }
            FaultKindSpec::Degrade(s) => {
                let Some(name) = &s.service else {
                    return Err(FieldError::new(
                        join_path(&path, "degrade.service"),
                        "name the service",
                    ));
                };
                let station = service(model, name, &join_path(&path, "degrade.service"))?;
                let factor = factor(s.factor, &join_path(&path, "degrade.factor"))?;
                (
                    FaultKind::Degrade { station, factor },
                    format!("{name} {factor}x slower"),
                )
            }
            FaultKindSpec::DatabaseFailover(d) => {
                let database = model
                    .databases
                    .iter()
                    .position(|x| x.name == d.database)
                    .ok_or_else(|| {
                        FieldError::new(
                            join_path(&path, "database_failover.database"),
                            unknown_name(
                                "database",
                                &d.database,
                                model.databases.iter().map(|x| x.name.as_str()),
                            ),
                        )
                    })?;
                (
                    FaultKind::DatabaseFailover { database },
                    format!("{} failover", d.database),
                )
            }
        };
        out.push(Fault {
            name: f.name.clone().unwrap_or(label),
            at: f.at.0,
            until,
            kind,
        });
    }
    Ok(out)
}

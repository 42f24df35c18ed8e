//! Operations compiled to the program: each station's steps become instructions (work,
//! calls, queries, cache lookups, external calls, enqueues and probability branches).

use super::{Builder, PROBABILITY_SLACK, check_probability};
use crate::error::{FieldError, join_path};
use crate::model::{Instr, Station};
use crate::spec::model::{QueryKind, StepSpec};
use crate::suggest::unknown_name;

impl Builder<'_> {
    /// Compiles every operation of every station (services, then job queues) and sets
    /// its entry point.
    pub(super) fn compile_stations(&mut self, stations: &mut [Station]) -> Result<(), FieldError> {
        let spec = self.spec;
        let n_services = spec.services.len();
        for (i, (name, s)) in spec.services.iter().enumerate() {
            for (j, (op, steps)) in s.operations.iter().enumerate() {
                let path = format!("services.{name}.operations.{op}");
                stations[i].operations[j].entry = self.compile_operation(steps, &path, stations)?;
            }
        }
        for (k, (name, q)) in spec.job_queues.iter().enumerate() {
            let path = format!("job_queues.{name}.steps");
            stations[n_services + k].operations[0].entry =
                self.compile_operation(&q.steps, &path, stations)?;
        }
        Ok(())
    }

    fn compile_operation(
        &mut self,
        steps: &[StepSpec],
        path: &str,
        stations: &[Station],
    ) -> Result<u32, FieldError> {
        let entry = self.program.code.len() as u32;
        let mut hits = Vec::new();
        self.compile_block(steps, path, stations, &mut hits)?;
        let end = self.emit(Instr::Return);
        self.patch_hits(&hits, end);
        Ok(entry)
    }

    fn emit(&mut self, instr: Instr) -> u32 {
        self.program.code.push(instr);
        (self.program.code.len() - 1) as u32
    }

    fn patch_hits(&mut self, hits: &[u32], target: u32) {
        for &at in hits {
            if let Instr::Cache { on_hit, .. } = &mut self.program.code[at as usize] {
                *on_hit = target;
            }
        }
    }

    /// Emits `steps`; cache instructions whose hit must skip to the end of this block are
    /// recorded in `hits` for the caller to patch.
    fn compile_block(
        &mut self,
        steps: &[StepSpec],
        path: &str,
        stations: &[Station],
        hits: &mut Vec<u32>,
    ) -> Result<(), FieldError> {
        let spec = self.spec;
        for (i, step) in steps.iter().enumerate() {
            let p = format!("{path}[{i}]");
            match step {
                StepSpec::Work(d) => {
                    let dist = self.distribution(d, &join_path(&p, "work"))?;
                    self.emit(Instr::Work { dist });
                }
                StepSpec::Call(c) => {
                    let station = spec.services.keys().position(|s| s == &c.service).ok_or_else(|| {
                        let msg = if spec.job_queues.contains_key(&c.service) {
                            format!("`{}` is a job queue; use `enqueue: {{queue: {}}}` to put work on it", c.service, c.service)
                        } else {
                            unknown_name("service", &c.service, spec.services.keys().map(String::as_str))
                        };
                        FieldError::new(join_path(&p, "call.service"), msg)
                    })?;
                    let ops = &stations[station].operations;
                    let operation =
                        ops.iter()
                            .position(|o| o.name == c.operation)
                            .ok_or_else(|| {
                                FieldError::new(
                                    join_path(&p, "call.operation"),
                                    unknown_name(
                                        &format!("operation of service `{}`", c.service),
                                        &c.operation,
                                        ops.iter().map(|o| o.name.as_str()),
                                    ),
                                )
                            })?;
                    self.emit(Instr::Call {
                        station: station as u32,
                        operation: operation as u32,
                    });
                }
                StepSpec::Query(q) => {
                    let database = spec
                        .databases
                        .keys()
                        .position(|d| d == &q.database)
                        .ok_or_else(|| {
                            FieldError::new(
                                join_path(&p, "query.database"),
                                unknown_name(
                                    "database",
                                    &q.database,
                                    spec.databases.keys().map(String::as_str),
                                ),
                            )
                        })?;
                    let time = self.distribution(&q.time, &join_path(&p, "query.time"))?;
                    self.emit(Instr::Query {
                        database: database as u32,
                        write: q.kind == QueryKind::Write,
                        time,
                    });
                }
                StepSpec::Cache(c) => {
                    let cache =
                        spec.caches
                            .keys()
                            .position(|k| k == &c.cache)
                            .ok_or_else(|| {
                                FieldError::new(
                                    join_path(&p, "cache.cache"),
                                    unknown_name(
                                        "cache",
                                        &c.cache,
                                        spec.caches.keys().map(String::as_str),
                                    ),
                                )
                            })?;
                    let hit_ratio = match c.hit_ratio {
                        Some(h) => {
                            check_probability(&join_path(&p, "cache.hit_ratio"), h)?;
                            h
                        }
                        None => spec.caches[&c.cache].hit_ratio,
                    };
                    let at = self.emit(Instr::Cache {
                        cache: cache as u32,
                        hit_ratio,
                        on_hit: u32::MAX,
                    });
                    hits.push(at);
                }
                StepSpec::External(e) => {
                    let provider = spec
                        .providers
                        .keys()
                        .position(|k| k == &e.provider)
                        .ok_or_else(|| {
                            FieldError::new(
                                join_path(&p, "external.provider"),
                                unknown_name(
                                    "provider",
                                    &e.provider,
                                    spec.providers.keys().map(String::as_str),
                                ),
                            )
                        })?;
                    self.emit(Instr::External {
                        provider: provider as u32,
                    });
                }
                StepSpec::Enqueue(e) => {
                    let k = spec
                        .job_queues
                        .keys()
                        .position(|k| k == &e.queue)
                        .ok_or_else(|| {
                            FieldError::new(
                                join_path(&p, "enqueue.queue"),
                                unknown_name(
                                    "job queue",
                                    &e.queue,
                                    spec.job_queues.keys().map(String::as_str),
                                ),
                            )
                        })?;
                    self.emit(Instr::Enqueue {
                        station: (spec.services.len() + k) as u32,
                    });
                }
                StepSpec::Branch(arms) => {
                    let bp = join_path(&p, "branch");
                    if arms.is_empty() {
                        return Err(FieldError::new(bp, "a branch needs at least one arm"));
                    }
                    let mut total = 0.0;
                    for (k, arm) in arms.iter().enumerate() {
                        check_probability(&format!("{bp}[{k}].probability"), arm.probability)?;
                        total += arm.probability;
                    }
                    if (total - 1.0).abs() > PROBABILITY_SLACK {
                        return Err(FieldError::new(
                            bp,
                            format!(
                                "the arms' probabilities sum to {total}; they must sum to 1 (add an arm with empty `steps` for \"nothing\")"
                            ),
                        ));
                    }
                    let table = self.program.branches.len();
                    self.program.branches.push(Vec::new());
                    self.emit(Instr::Branch { arms: table as u32 });
                    let mut exits = Vec::new();
                    let mut cumulative = 0.0;
                    let mut rows = Vec::new();
                    for (k, arm) in arms.iter().enumerate() {
                        let start = self.program.code.len() as u32;
                        cumulative += arm.probability;
                        let last = k + 1 == arms.len();
                        rows.push((if last { f64::INFINITY } else { cumulative }, start));
                        let mut arm_hits = Vec::new();
                        self.compile_block(
                            &arm.steps,
                            &format!("{bp}[{k}].steps"),
                            stations,
                            &mut arm_hits,
                        )?;
                        let exit = self.emit(Instr::Jump { to: u32::MAX });
                        self.patch_hits(&arm_hits, exit);
                        exits.push(exit);
                    }
                    let after = self.program.code.len() as u32;
                    for e in exits {
                        self.program.code[e as usize] = Instr::Jump { to: after };
                    }
                    self.program.branches[table] = rows;
                }
            }
        }
        Ok(())
    }
}

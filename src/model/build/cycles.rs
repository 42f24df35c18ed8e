//! Call cycles found before running: a model whose operations call (or enqueue) back
//! into themselves is refused.

use crate::error::FieldError;
use crate::spec::model::{ModelSpec, StepSpec};
use std::collections::BTreeMap;

/// Finds call cycles (A.x -> B.y -> A.x, through calls and enqueues) before running:
/// a cycle would make every request recurse until it times out.
pub(super) fn check_call_cycles(spec: &ModelSpec) -> Result<(), FieldError> {
    // Node: "service.operation" or "queue" (job queue steps).
    let mut edges: BTreeMap<String, Vec<String>> = BTreeMap::new();
    fn collect(steps: &[StepSpec], out: &mut Vec<String>) {
        for s in steps {
            match s {
                StepSpec::Call(c) => out.push(format!("{}.{}", c.service, c.operation)),
                StepSpec::Enqueue(e) => out.push(e.queue.clone()),
                StepSpec::Branch(arms) => arms.iter().for_each(|a| collect(&a.steps, out)),
                _ => {}
            }
        }
    }
    let mut where_: BTreeMap<String, String> = BTreeMap::new();
    for (name, s) in &spec.services {
        for (op, steps) in &s.operations {
            let node = format!("{name}.{op}");
            let mut out = Vec::new();
            collect(steps, &mut out);
            where_.insert(node.clone(), format!("services.{name}.operations.{op}"));
            edges.insert(node, out);
        }
    }
    for (name, q) in &spec.job_queues {
        let mut out = Vec::new();
        collect(&q.steps, &mut out);
        where_.insert(name.clone(), format!("job_queues.{name}.steps"));
        edges.insert(name.clone(), out);
    }
    // Iterative DFS with colours.
    let mut colour: BTreeMap<&str, u8> = BTreeMap::new();
    for start in edges.keys() {
        if colour.get(start.as_str()).copied().unwrap_or(0) != 0 {
            continue;
        }
        let mut stack: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
        colour.insert(start.as_str(), 1);
        while let Some((node, idx)) = stack.last().copied() {
            let next = edges.get(node).and_then(|v| v.get(idx));
            match next {
                Some(child) => {
                    stack.last_mut().unwrap().1 += 1;
                    match colour.get(child.as_str()).copied().unwrap_or(0) {
                        0 if edges.contains_key(child) => {
                            colour.insert(child.as_str(), 1);
                            stack.push((child.as_str(), 0));
                        }
                        1 => {
                            let pos = stack.iter().position(|(n, _)| *n == child).unwrap_or(0);
                            let mut cycle: Vec<&str> =
                                stack[pos..].iter().map(|(n, _)| *n).collect();
                            cycle.push(child.as_str());
                            return Err(FieldError::new(
                                where_[cycle[0]].clone(),
                                format!(
                                    "call cycle {}; a request would call itself until it times out. Break the cycle",
                                    cycle.join(" -> ")
                                ),
                            ));
                        }
                        _ => {}
                    }
                }
                None => {
                    colour.insert(node, 2);
                    stack.pop();
                }
            }
        }
    }
    Ok(())
}

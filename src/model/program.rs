//! Operations compiled to a flat instruction list, so a request is just a program counter:
//! nested branches and cache hits become jumps, and the engine never allocates per step.

use crate::model::DistId;

/// One instruction of an operation. `Copy` and small: the engine reads it every step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Instr {
    /// Hold the worker for a sampled time.
    Work {
        dist: DistId,
    },
    /// Synchronous call; the worker stays held.
    Call {
        station: u32,
        operation: u32,
    },
    /// A query through a connection pool, then processor-shared database time.
    Query {
        database: u32,
        write: bool,
        time: DistId,
    },
    /// Cache lookup: after its latency, a hit jumps to `on_hit`, a miss goes on.
    Cache {
        cache: u32,
        hit_ratio: f64,
        on_hit: u32,
    },
    /// External provider call with its retries and failover.
    External {
        provider: u32,
    },
    /// Put a job on a queue (a job-queue station) and go on at once.
    Enqueue {
        station: u32,
    },
    /// Choose an arm: `arms` indexes [`Program::branches`].
    Branch {
        arms: u32,
    },
    Jump {
        to: u32,
    },
    /// The operation is done.
    Return,
}

/// All compiled operations of a model.
#[derive(Debug, Clone, Default)]
pub struct Program {
    pub code: Vec<Instr>,
    /// Branch tables: (cumulative probability, target instruction).
    pub branches: Vec<Vec<(f64, u32)>>,
}

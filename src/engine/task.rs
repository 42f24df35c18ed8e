//! Tasks: the requests, calls and jobs in progress inside the services, kept in reusable
//! slots (what each runs, where it waits, who waits for its answer). A slot's generation
//! changes when it is freed, so events for a task that has ended are recognised as stale.

use crate::engine::outcome::Cause;
use crate::engine::queue::TimerId;
use crate::engine::station::Waiting;
use crate::time::Nanos;
use std::ops::{Index, IndexMut};

/// Who waits for a task's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parent {
    /// Nobody any more (the client gave up or was interrupted).
    None,
    Vu {
        vu: u32,
        token: u32,
    },
    Task {
        task: u32,
        generation: u32,
    },
    /// A job: the attempt number, starting at 1.
    Job {
        attempt: u32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Queued,
    Running,
    WaitingChild,
    WaitingPool,
    InDatabase,
    External,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Task {
    pub generation: u32,
    pub alive: bool,
    pub station: u32,
    pub replica: u32,
    pub pc: u32,
    pub next_pc: u32,
    pub parent: Parent,
    pub arrived: Nanos,
    pub phase: Phase,
    pub holds_worker: bool,
    /// Its caller was already answered (server-side timeout): stop at the next step.
    pub orphaned: bool,
    /// The station has already counted this task's outcome.
    pub settled: bool,
    pub wait_token: u32,
    pub db_node: u32,
    /// When the task began waiting for a connection, then when its query began.
    pub since: Nanos,
    /// In a `work` step (counted as CPU use of its replica).
    pub in_work: bool,
    pub provider: u32,
    pub attempt: u32,
    pub pending: Option<Cause>,
    /// The station's timeout, cancelled when the task ends.
    pub station_timer: TimerId,
    /// The pool wait's timeout, cancelled when a connection is granted.
    pub pool_timer: TimerId,
}

impl Task {
    pub const EMPTY: Task = Task {
        generation: 0,
        alive: false,
        station: 0,
        replica: 0,
        pc: 0,
        next_pc: 0,
        parent: Parent::None,
        arrived: 0,
        phase: Phase::Queued,
        holds_worker: false,
        orphaned: false,
        settled: false,
        wait_token: 0,
        db_node: 0,
        since: 0,
        in_work: false,
        provider: 0,
        attempt: 0,
        pending: None,
        station_timer: TimerId::NONE,
        pool_timer: TimerId::NONE,
    };
}

/// Every task slot, live or free.
pub(crate) struct Tasks {
    slots: Vec<Task>,
    free: Vec<u32>,
}

impl Tasks {
    /// Bytes of one task slot and its free-list entry (for the memory budget).
    pub const SLOT_BYTES: usize = std::mem::size_of::<Task>() + 4;

    pub fn with_capacity(n: usize) -> Self {
        Tasks {
            slots: Vec::with_capacity(n),
            free: Vec::with_capacity(n),
        }
    }

    /// Slots handed out so far (live or free).
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    #[inline]
    pub fn live(&self, task: u32, generation: u32) -> bool {
        let t = &self.slots[task as usize];
        t.alive && t.generation == generation
    }

    /// A queued entry whose task still waits for a worker.
    #[inline]
    pub fn still_queued(&self, w: Waiting) -> bool {
        let t = &self.slots[w.task as usize];
        t.alive && t.generation == w.generation && t.phase == Phase::Queued
    }

    /// A pool entry whose task still waits for this very connection request.
    #[inline]
    pub fn still_waiting_pool(&self, task: u32, generation: u32, token: u32) -> bool {
        let t = &self.slots[task as usize];
        t.alive
            && t.generation == generation
            && t.phase == Phase::WaitingPool
            && t.wait_token == token
    }

    /// Takes a free slot (keeping its generation) or a new one. Inlined, so the record is
    /// written into its slot field by field (a record built on the stack and then copied
    /// whole stalls on reading back its narrow stores).
    #[inline(always)]
    pub fn alloc(&mut self, task: Task) -> u32 {
        match self.free.pop() {
            Some(i) => {
                let generation = self.slots[i as usize].generation;
                self.slots[i as usize] = Task { generation, ..task };
                i
            }
            None => {
                self.slots.push(task);
                (self.slots.len() - 1) as u32
            }
        }
    }

    /// The task has ended: its slot is free and its pending events are stale.
    pub fn free(&mut self, task: u32) {
        let tm = &mut self.slots[task as usize];
        tm.alive = false;
        tm.generation = tm.generation.wrapping_add(1);
        self.free.push(task);
    }

    /// Detaches a task from its VU (client timeout or interruption): it runs on unobserved.
    pub fn detach(&mut self, task: u32, generation: u32) {
        if self.live(task, generation) {
            self.slots[task as usize].parent = Parent::None;
        }
    }

    /// Per station: live tasks whose outcome is not counted yet.
    pub fn unsettled_per_station(&self, stations: usize) -> Vec<u64> {
        let mut in_flight = vec![0u64; stations];
        for t in &self.slots {
            if t.alive && !t.settled {
                in_flight[t.station as usize] += 1;
            }
        }
        in_flight
    }
}

impl Index<u32> for Tasks {
    type Output = Task;
    #[inline]
    fn index(&self, task: u32) -> &Task {
        &self.slots[task as usize]
    }
}

impl IndexMut<u32> for Tasks {
    #[inline]
    fn index_mut(&mut self, task: u32) -> &mut Task {
        &mut self.slots[task as usize]
    }
}

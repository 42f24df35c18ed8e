//! The loop's part for database queries: a task routed to a node, waiting for a connection
//! (or timing out), its query on the node's shared cores, and the connection handed on.

use super::Simulation;
use crate::engine::database::PoolWaiter;
use crate::engine::event::Event;
use crate::engine::outcome::Cause;
use crate::engine::queue::lanes;
use crate::engine::task::Phase;
use crate::model::Instr;

impl Simulation<'_> {
    pub(super) fn query(&mut self, task: u32, database: usize, write: bool) {
        if write && self.faults.db_failing_over(database) {
            self.fail_here(task, Cause::DbUnavailable);
            return;
        }
        let node = self.dbs.route(database, write);
        let t = &mut self.tasks[task];
        t.db_node = node as u32;
        t.since = self.now;
        let n = &mut self.dbs.nodes[node];
        if n.in_use < n.pool_size {
            n.change_in_use(self.now, 1);
            self.grant_connection(task, node);
        } else {
            t.phase = Phase::WaitingPool;
            t.wait_token = t.wait_token.wrapping_add(1);
            let (generation, token) = (t.generation, t.wait_token);
            n.waiting += 1;
            n.waiters.push_back(PoolWaiter {
                task,
                generation,
                token,
            });
            let timeout = self.model.databases[database].pool_timeout;
            self.tasks[task].pool_timer = self.queue.push_lane(
                lanes::pool(self.model, database),
                self.now.saturating_add(timeout),
                Event::PoolTimeout {
                    task,
                    generation,
                    token,
                },
            );
        }
    }

    /// A task has waited `pool_timeout` for a connection (stale if it got one since).
    pub(super) fn pool_timeout(&mut self, task: u32, generation: u32, token: u32) {
        if self.tasks.live(task, generation) {
            let t = self.tasks[task];
            if t.phase == Phase::WaitingPool && t.wait_token == token {
                let node = &mut self.dbs.nodes[t.db_node as usize];
                node.waiting -= 1;
                self.rec.databases[node.database as usize].pool_timeouts += 1;
                self.fail_here(task, Cause::PoolTimeout);
            }
        }
    }

    /// The task got a connection (counted in `in_use` by the caller): its query starts.
    fn grant_connection(&mut self, task: u32, node: usize) {
        let now = self.now;
        let db = &mut self.rec.databases[self.dbs.nodes[node].database as usize];
        db.in_use.add(now, 1.0);
        if self.dbs.nodes[node].primary {
            db.primary_in_use_change(now, 1.0);
        }
        db.waits += 1;
        db.wait_sum += (now - self.tasks[task].since) as f64;
        self.tasks[task].since = now;
        self.start_query(task, node);
    }

    /// Keeps the database's busy-cores gauge equal to the sum of min(queries, cores).
    fn track_busy_cores(&mut self, node: usize, before: usize) {
        let n = &self.dbs.nodes[node];
        let delta = n.busy_cores_change(before);
        if delta != 0.0 {
            let db = &mut self.rec.databases[n.database as usize];
            db.busy_cores.add(self.now, delta);
            if n.primary {
                db.primary_busy_cores_change(self.now, delta);
            }
        }
    }

    /// The task holds a connection: its query joins the node's processor sharing.
    fn start_query(&mut self, task: u32, node: usize) {
        let before = self.dbs.nodes[node].ps.active();
        let t = &mut self.tasks[task];
        t.phase = Phase::InDatabase;
        let generation = t.generation;
        let Instr::Query { time, .. } = self.model.program.code[t.pc as usize] else {
            unreachable!("a task in a query is at a query instruction")
        };
        let work = self.model.distributions[time].sample_secs(&mut self.rng_system) * 1e9;
        self.dbs.nodes[node]
            .ps
            .start(self.now, work, task, generation);
        self.track_busy_cores(node, before);
        self.dbs.nodes[node].schedule(node, self.now, &mut self.queue);
    }

    /// The next query on the node ends: its connection goes back or on, the task goes on.
    pub(super) fn db_next(&mut self, node: usize, version: u32) {
        if !self.dbs.nodes[node].departure_due(node, version, &mut self.queue) {
            return;
        }
        let before = self.dbs.nodes[node].ps.active();
        let Some((task, generation, _)) = self.dbs.nodes[node].ps.finish(self.now) else {
            return;
        };
        self.track_busy_cores(node, before);
        let db = &mut self.rec.databases[self.dbs.nodes[node].database as usize];
        db.queries += 1;
        db.query_sum += (self.now - self.tasks[task].since) as f64;
        db.in_use.add(self.now, -1.0);
        if self.dbs.nodes[node].primary {
            db.primary_in_use_change(self.now, -1.0);
        }
        // The connection goes back to the pool, or straight to the first live waiter.
        self.dbs.nodes[node].change_in_use(self.now, -1);
        let tasks = &self.tasks;
        if let Some(w) = self.dbs.nodes[node]
            .next_waiter(|w| tasks.still_waiting_pool(w.task, w.generation, w.token))
        {
            let n = &mut self.dbs.nodes[node];
            let lane = lanes::pool(self.model, n.database as usize);
            self.queue.cancel(lane, self.tasks[w.task].pool_timer);
            n.waiting -= 1;
            n.change_in_use(self.now, 1);
            self.grant_connection(w.task, node);
        }
        self.dbs.nodes[node].schedule(node, self.now, &mut self.queue);
        if self.tasks.live(task, generation) {
            self.tasks[task].pc += 1;
            self.advance(task);
        }
    }
}

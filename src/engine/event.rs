//! What can happen next in a replication. Small and `Copy`: ids and tokens only.
//! A token or generation that no longer matches its target marks a stale event, which is
//! skipped; this is how timers are cancelled without searching the queue.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A scenario begins (its `startTime`).
    ScenarioStart {
        scenario: u32,
    },
    /// ramping-vus: the VU count changes to the value of step `step`.
    ScenarioStep {
        scenario: u32,
        step: u32,
    },
    /// No new iterations start after this (the scenario's regular duration).
    ScenarioRegularEnd {
        scenario: u32,
    },
    /// Iterations still running are interrupted (after `gracefulStop`).
    ScenarioHardEnd {
        scenario: u32,
    },
    /// Arrival-rate executors: an iteration is due now.
    ArrivalTick {
        scenario: u32,
    },
    /// A VU's sleep or rps wait is over.
    VuWake {
        vu: u32,
        token: u32,
    },
    /// A ramped-down VU's `gracefulRampDown` is over.
    VuInterrupt {
        vu: u32,
        epoch: u32,
    },
    /// k6's request timeout.
    ClientTimeout {
        vu: u32,
        token: u32,
    },
    /// The request reaches the entry service after the load balancer's latency.
    EntryArrive {
        vu: u32,
        token: u32,
    },
    /// A task's timed step (work, cache lookup) is over.
    TaskStep {
        task: u32,
        generation: u32,
    },
    /// An external provider attempt ends (success or failure decided at issue).
    ExternalDone {
        task: u32,
        generation: u32,
    },
    /// An external provider retry's backoff is over.
    ExternalRetry {
        task: u32,
        generation: u32,
    },
    /// A station's server-side deadline for a task.
    StationTimeout {
        task: u32,
        generation: u32,
    },
    /// A task has waited `pool_timeout` for a database connection.
    PoolTimeout {
        task: u32,
        generation: u32,
        token: u32,
    },
    /// The next query completion at a database node (processor sharing).
    DbNext {
        node: u32,
        version: u32,
    },
    /// A failed job is put back on its queue.
    JobRetry {
        station: u32,
        attempt: u32,
    },
    /// A new replica has started and is ready for traffic.
    ReplicaReady {
        station: u32,
        replica: u32,
        epoch: u32,
    },
    /// metrics-server scrapes every pod's usage.
    MetricsScrape,
    /// One HPA reconcile (every sync period).
    HpaSync {
        hpa: u32,
    },
    /// CloudWatch minute: metrics, alarms, Auto Scaling groups, read-replica rules.
    AwsTick,
    /// A new database read replica serves reads.
    DbReplicaReady {
        node: u32,
    },
    /// The next `work` step ends on a processor-shared replica.
    CpuNext {
        station: u32,
        replica: u32,
        version: u32,
    },
    /// A fault begins / its window ends.
    FaultStart {
        fault: u32,
    },
    FaultEnd {
        fault: u32,
    },
    /// The platform has noticed that a killed replica is gone.
    DeathNoticed {
        station: u32,
        replica: u32,
        epoch: u32,
    },
    /// k6 evaluates the thresholds (only when one has `abortOnFail`).
    ThresholdTick,
    /// Load-balancer health checks of a station's targets are due.
    LbHealth {
        station: u32,
        version: u32,
    },
}

#[cfg(test)]
mod tests {
    #[test]
    fn events_stay_small() {
        assert!(std::mem::size_of::<super::Event>() <= 16);
    }
}

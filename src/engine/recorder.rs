//! Streaming measurement of one replication: histograms, counters and time-weighted gauges,
//! closed into fixed-width time buckets as simulated time passes. O(1) per update.

pub use crate::engine::gauges::{
    CountGauge, DbCounters, Gauge, ProviderCounters, RangeGauge, ScenarioCounters,
    track_at_capacity,
};
use crate::engine::outcome::{Cause, CauseCounts};
use crate::engine::result::{
    Accounting, BucketRow, CostBreakdown, DatabaseResult, EndpointResult, ProviderResult,
    ReplicationResult, ScaleRecord, ScenarioPoolResult, StationResult, distribution_percentiles,
};
use crate::engine::windows::Windows;
use crate::stats::latency::{BucketFront, BucketLatency, LatencyFront, LatencyHistogram, Sample};
use crate::time::{Nanos, nanos_to_millis};

#[derive(Debug)]
struct EndpointCounters {
    hist: LatencyHistogram,
    /// The records not yet in `hist` (16-bit cells: a quarter of the memory per record).
    front: LatencyFront,
    requests: u64,
    failures: u64,
    causes: CauseCounts,
}

#[derive(Debug, Default)]
pub struct StationCounters {
    pub arrivals: u64,
    pub succeeded: u64,
    pub causes: CauseCounts,
    pub downstream_failures: u64,
    pub queue_wait_sum: f64,
    pub queue_waits: u64,
    /// Tasks that found every worker busy and waited in the queue.
    pub queued_starts: u64,
    pub response_sum: f64,
    pub responses: u64,
    pub dead_jobs: u64,
    pub job_retries: u64,
    pub in_flight: CountGauge,
    pub busy: CountGauge,
    /// Workers available (ready replicas x workers); changes when replicas do.
    pub capacity: Gauge,
    /// Replicas asked for (spec.replicas), ready ones, and existing (billed) ones.
    pub desired: RangeGauge,
    pub ready: RangeGauge,
    pub billed: Gauge,
    pub price_per_hour: f64,
    pub scale_ups: u64,
    pub scale_downs: u64,
    pub first_scale_up: Option<Nanos>,
    /// Billed beyond the replicas' lives (billing minimums), USD.
    pub extra_cost: f64,
    /// Replicas killed by faults.
    pub killed: u64,
    /// 1 while every available worker is busy (or none is available), else 0.
    pub full: CountGauge,
}

impl StationCounters {
    /// Busy workers change by `delta` (keeps the all-busy gauge).
    #[inline]
    pub fn add_busy(&mut self, now: Nanos, delta: i64) {
        self.busy.add(now, delta);
        self.track_full(now);
    }

    /// Available workers change by `delta` (keeps the all-busy gauge).
    #[inline]
    pub fn add_capacity(&mut self, now: Nanos, delta: f64) {
        self.capacity.add(now, delta);
        self.track_full(now);
    }

    #[inline]
    fn track_full(&mut self, now: Nanos) {
        let (used, capacity) = (self.busy.value() as f64, self.capacity.value);
        track_at_capacity(&mut self.full, now, used, capacity);
    }
}

#[derive(Debug)]
pub struct Recorder {
    width: Nanos,
    n_buckets: usize,
    pub bucket_end: Nanos,
    /// The earliest of the next window segment's start and `bucket_end` (while buckets
    /// remain): [`Self::advance_to`] does nothing before it. 0 until the first look.
    next_boundary: Nanos,
    endpoints: Vec<EndpointCounters>,
    pub causes: CauseCounts,
    pub requests: u64,
    pub failures: u64,
    pub checks: Vec<(u64, u64)>,
    pub iterations: u64,
    pub dropped_iterations: u64,
    pub interrupted_iterations: u64,
    pub vus_max: u64,
    pub vus_peak: u64,
    pub vus: CountGauge,
    pub stations: Vec<StationCounters>,
    pub databases: Vec<DbCounters>,
    pub providers: Vec<ProviderCounters>,
    /// Filled by the VU pool when it is built, one per scenario.
    pub scenarios: Vec<ScenarioCounters>,
    /// USD per hour that does not change: database primaries and cache nodes.
    fixed_per_hour: f64,
    pub cost: CostBreakdown,
    /// Cost that is not a rate (provider calls, billing minimums) in the current bucket.
    bucket_cost: f64,
    bucket_latency: BucketLatency,
    /// The front `bucket_latency` records into, absorbed before the bucket is read.
    bucket_front: BucketFront,
    bucket_requests: u64,
    bucket_failures: u64,
    pub buckets: Vec<BucketRow>,
    /// Request conservation, from the users' side.
    pub accounting: Accounting,
    /// Every scaling decision of the autoscalers, in time order.
    pub decisions: Vec<ScaleRecord>,
    /// The thresholds' sub-metrics (set by the loop from the experiment).
    pub subs: crate::engine::submetrics::Submetrics,
    /// Stages, fault windows and the steady state (set up by the simulation).
    pub windows: Windows,
}

impl Recorder {
    pub fn new(
        width: Nanos,
        n_buckets: usize,
        n_endpoints: usize,
        n_checks: usize,
        model: &crate::model::Model,
    ) -> Self {
        let stations = &model.stations;
        Recorder {
            width,
            n_buckets,
            bucket_end: width,
            next_boundary: 0,
            endpoints: (0..n_endpoints)
                .map(|_| EndpointCounters {
                    hist: LatencyHistogram::new(),
                    front: LatencyFront::new(),
                    requests: 0,
                    failures: 0,
                    causes: [0; Cause::COUNT],
                })
                .collect(),
            causes: [0; Cause::COUNT],
            requests: 0,
            failures: 0,
            checks: vec![(0, 0); n_checks],
            iterations: 0,
            dropped_iterations: 0,
            interrupted_iterations: 0,
            vus_max: 0,
            vus_peak: 0,
            vus: CountGauge::default(),
            stations: stations
                .iter()
                .map(|s| {
                    let n = s.replicas as f64;
                    let workers = n * s.workers as f64;
                    StationCounters {
                        capacity: Gauge::starting_at(workers),
                        full: CountGauge::starting_at(i64::from(workers <= 0.0)),
                        desired: RangeGauge::starting_at(n),
                        ready: RangeGauge::starting_at(n),
                        billed: Gauge::starting_at(n),
                        price_per_hour: s.price_per_hour,
                        ..StationCounters::default()
                    }
                })
                .collect(),
            databases: model
                .databases
                .iter()
                .map(|d| DbCounters {
                    cores: (d.primary.cores + d.read_replicas * d.replica.cores) as f64,
                    replicas: Gauge::starting_at(d.read_replicas as f64),
                    replica_price_per_hour: d.replica_price_per_hour,
                    primary_pool: d.primary.pool_size as f64,
                    primary_pool_full: CountGauge::starting_at(i64::from(d.primary.pool_size == 0)),
                    primary_cores: d.primary.cores as f64,
                    replica_cores: d.replica.cores as f64,
                    ..DbCounters::default()
                })
                .collect(),
            providers: vec![ProviderCounters::default(); model.providers.len()],
            scenarios: Vec::new(),
            fixed_per_hour: model
                .databases
                .iter()
                .map(|d| d.price_per_hour)
                .sum::<f64>()
                + model
                    .caches
                    .iter()
                    .map(|c| c.nodes as f64 * c.price_per_hour)
                    .sum::<f64>(),
            cost: CostBreakdown::default(),
            bucket_cost: 0.0,
            bucket_latency: BucketLatency::new(),
            bucket_front: BucketFront::new(),
            bucket_requests: 0,
            bucket_failures: 0,
            buckets: Vec::with_capacity(n_buckets),
            accounting: Accounting::default(),
            decisions: Vec::new(),
            subs: Default::default(),
            windows: Windows::default(),
        }
    }

    /// A one-off cost now (a provider call, a replica billed up to its minimum).
    pub fn spend(&mut self, usd: f64, services: bool) {
        self.bucket_cost += usd;
        if services {
            self.cost.services += usd;
        } else {
            self.cost.providers += usd;
        }
    }

    /// An autoscaler changed a station's scale.
    pub fn scaled(&mut self, record: ScaleRecord) {
        let c = &mut self.stations[record.station];
        if record.to > record.from {
            c.scale_ups += 1;
            c.first_scale_up.get_or_insert(record.at);
        } else {
            c.scale_downs += 1;
        }
        self.decisions.push(record);
    }

    /// A response reached its VU (`http_req_duration` sample).
    #[inline(always)]
    pub fn response(&mut self, endpoint: usize, duration: Nanos, error: Option<Cause>) {
        // The overall histogram is the endpoints' merged when it is read (the same counts,
        // sum, minimum and maximum): one histogram record per response fewer.
        // The µs value once, for both fronts that record it.
        let sample = Sample::of(duration);
        self.bucket_front.record_sample(sample);
        if self.bucket_front.full() {
            self.absorb_bucket_front();
        }
        self.requests += 1;
        self.bucket_requests += 1;
        self.windows.response(duration, error.is_some());
        let e = &mut self.endpoints[endpoint];
        e.front.record_sample(sample);
        if e.front.full() {
            e.hist.absorb(&mut e.front);
        }
        e.requests += 1;
        if let Some(c) = error {
            self.failures += 1;
            self.bucket_failures += 1;
            self.causes[c.index()] += 1;
            e.failures += 1;
            e.causes[c.index()] += 1;
        }
    }

    /// Adds the endpoints' fronts into their histograms: every reader of the histograms
    /// calls this first (the loop before a threshold evaluation, `into_result`).
    pub fn flush_latencies(&mut self) {
        for e in &mut self.endpoints {
            e.hist.absorb(&mut e.front);
        }
        self.subs.flush();
        self.absorb_bucket_front();
    }

    /// Adds the bucket front into the bucket's histogram and the current window segment's
    /// (the front records each response once for both).
    fn absorb_bucket_front(&mut self) {
        match self.windows.segment_hist() {
            Some(segment) => self
                .bucket_latency
                .absorb_both(segment, &mut self.bucket_front),
            None => self.bucket_latency.absorb(&mut self.bucket_front),
        }
    }

    #[inline]
    pub fn check(&mut self, index: usize, passed: bool) {
        let c = &mut self.checks[index];
        if passed { c.0 += 1 } else { c.1 += 1 }
    }

    /// Closes every bucket that ends at or before `now`.
    #[inline]
    pub fn advance_to(&mut self, now: Nanos) {
        self.windows.advance_to(now);
        if now >= self.next_boundary {
            self.cross_boundaries(now);
        }
    }

    /// [`Self::advance_to`] at or past the next window segment or bucket boundary: crosses
    /// them, then finds the next one.
    #[cold]
    fn cross_boundaries(&mut self, now: Nanos) {
        if now >= self.windows.next_start() {
            self.windows
                .cross(now, &mut self.bucket_front, &mut self.bucket_latency);
        }
        while now >= self.bucket_end && self.buckets.len() < self.n_buckets {
            self.close_bucket(self.bucket_end);
        }
        let bucket_end = if self.buckets.len() < self.n_buckets {
            self.bucket_end
        } else {
            Nanos::MAX
        };
        self.next_boundary = self.windows.next_start().min(bucket_end);
    }

    /// Closes the remaining buckets at the end of the test; the last may be shorter.
    pub fn finish(&mut self, end: Nanos) {
        self.advance_to(end);
        let needed = (end.div_ceil(self.width) as usize).clamp(1, self.n_buckets);
        while self.buckets.len() < needed {
            let close_at = end.clamp(self.bucket_end - self.width + 1, self.bucket_end);
            self.close_bucket(close_at);
        }
    }

    fn close_bucket(&mut self, end: Nanos) {
        let width = end - (self.bucket_end - self.width);
        self.absorb_bucket_front();
        let q = |h: &BucketLatency, p: f64| h.quantile_ms(p).unwrap_or(f64::NAN);
        let mut row = BucketRow {
            span_s: width as f64 / 1e9,
            vus: self.vus.close_bucket(end, width),
            requests: self.bucket_requests,
            failures: self.bucket_failures,
            p50_ms: q(&self.bucket_latency, 0.50),
            p95_ms: q(&self.bucket_latency, 0.95),
            p99_ms: q(&self.bucket_latency, 0.99),
            db_in_use: Vec::with_capacity(self.databases.len()),
            in_flight: Vec::with_capacity(self.stations.len()),
            utilization: Vec::with_capacity(self.stations.len()),
            desired: Vec::with_capacity(self.stations.len()),
            ready: Vec::with_capacity(self.stations.len()),
            cost_usd: self.bucket_cost,
        };
        let hours = width as f64 / 3.6e12;
        row.cost_usd += self.fixed_per_hour * hours;
        self.cost.caches_and_fixed += self.fixed_per_hour * hours;
        self.bucket_cost = 0.0;
        for s in &mut self.stations {
            row.in_flight.push(s.in_flight.close_bucket(end, width));
            let busy = s.busy.close_bucket(end, width);
            let cap = s.capacity.close_bucket(end, width);
            row.desired.push(s.desired.close_bucket(end, width));
            row.ready.push(s.ready.close_bucket(end, width));
            let replica_cost = s.billed.close_bucket(end, width) * hours * s.price_per_hour;
            row.cost_usd += replica_cost;
            self.cost.services += replica_cost;
            row.utilization
                .push(if cap > 0.0 { busy / cap } else { 0.0 });
        }
        for d in &mut self.databases {
            row.db_in_use.push(d.in_use.close_bucket(end, width));
            d.busy_cores.close_bucket(end, width);
            let replica_cost =
                d.replicas.close_bucket(end, width) * hours * d.replica_price_per_hour;
            row.cost_usd += replica_cost;
            self.cost.databases += replica_cost;
        }
        self.buckets.push(row);
        self.bucket_latency.reset();
        self.bucket_requests = 0;
        self.bucket_failures = 0;
        self.bucket_end += self.width;
    }

    pub fn endpoint_results(&self, percentiles: &[f64]) -> Vec<EndpointResult> {
        debug_assert!(self.endpoints.iter().all(|e| e.front.is_empty()));
        self.endpoints
            .iter()
            .map(|e| EndpointResult {
                latency: e.hist.trend(),
                quantiles: e.hist.at_percentiles_ms(percentiles),
                distribution: if e.hist.count() == 0 {
                    Vec::new()
                } else {
                    let all: Vec<f64> = distribution_percentiles().collect();
                    e.hist.at_percentiles_ms(&all)
                },
                requests: e.requests,
                failures: e.failures,
                causes: e.causes,
            })
            .collect()
    }

    pub fn overall_quantiles(&self, percentiles: &[f64]) -> Vec<f64> {
        self.overall_histogram().at_percentiles_ms(percentiles)
    }

    /// Every `http_req_duration` sample so far: the endpoints' histograms merged (borrowed
    /// when there is one endpoint).
    pub fn overall_histogram(&self) -> std::borrow::Cow<'_, LatencyHistogram> {
        debug_assert!(self.endpoints.iter().all(|e| e.front.is_empty()));
        match self.endpoints.as_slice() {
            [one] => std::borrow::Cow::Borrowed(&one.hist),
            all => {
                let mut h = LatencyHistogram::new();
                for e in all {
                    h.merge(&e.hist);
                }
                std::borrow::Cow::Owned(h)
            }
        }
    }

    pub fn overall_trend(&self) -> Option<crate::stats::latency::TrendStats> {
        self.overall_histogram().trend()
    }

    /// Per-station results over the whole run `[0, end]`.
    pub fn station_results(&mut self, end: Nanos, in_flight_at_end: &[u64]) -> Vec<StationResult> {
        self.stations
            .iter_mut()
            .zip(in_flight_at_end)
            .map(|(s, &in_flight)| {
                let busy = s.busy.mean_until(end);
                let cap = s.capacity.mean_until(end);
                StationResult {
                    saturated: s.full.mean_until(end),
                    queue_wait_total_ms: nanos_to_millis(1) * s.queue_wait_sum,
                    arrivals: s.arrivals,
                    succeeded: s.succeeded,
                    causes: s.causes,
                    downstream_failures: s.downstream_failures,
                    in_flight_at_end: in_flight,
                    utilization: if cap > 0.0 { busy / cap } else { 0.0 },
                    mean_busy_workers: busy,
                    mean_in_flight: s.in_flight.mean_until(end),
                    p_wait: if s.queue_waits > 0 {
                        s.queued_starts as f64 / s.queue_waits as f64
                    } else {
                        0.0
                    },
                    mean_queue_wait_ms: if s.queue_waits > 0 {
                        nanos_to_millis(1) * s.queue_wait_sum / s.queue_waits as f64
                    } else {
                        0.0
                    },
                    mean_response_ms: if s.responses > 0 {
                        nanos_to_millis(1) * s.response_sum / s.responses as f64
                    } else {
                        0.0
                    },
                    dead_jobs: s.dead_jobs,
                    job_retries: s.job_retries,
                    replicas_avg: s.ready.mean_until(end),
                    replicas_min: s.ready.min,
                    replicas_max: s.ready.max,
                    desired_max: s.desired.max,
                    scale_ups: s.scale_ups,
                    scale_downs: s.scale_downs,
                    first_scale_up_s: s.first_scale_up.map(|t| t as f64 / 1e9),
                    cost_usd: s.billed.mean_until(end) * end as f64 / 3.6e12 * s.price_per_hour
                        + s.extra_cost,
                }
            })
            .collect()
    }
}

impl Recorder {
    /// Closes the recording at the end of the test (`end`) into the replication's result.
    /// `in_flight`: per station, tasks still unsettled; `in_request`: VUs still waiting.
    #[allow(clippy::too_many_arguments)]
    pub fn into_result(
        mut self,
        index: u32,
        end: Nanos,
        events: u64,
        in_flight: &[u64],
        in_request: u64,
        percentiles: &[f64],
    ) -> ReplicationResult {
        self.flush_latencies();
        self.finish(end);
        self.accounting.in_flight_at_end = in_request;
        let stations = self.station_results(end, in_flight);
        let databases = self.database_results(end);
        let (stages, fault_windows, steady) = self.windows.results(end, percentiles);
        let (latency, overall_quantiles) = {
            let overall = self.overall_histogram();
            (overall.trend(), overall.at_percentiles_ms(percentiles))
        };
        let providers = self
            .providers
            .iter()
            .map(|p| ProviderResult {
                attempts: p.attempts,
                rate_limited: p.rate_limited,
            })
            .collect();
        let scenarios = self
            .scenarios
            .iter_mut()
            .map(|s| ScenarioPoolResult {
                max_vus: s.max_vus as u64,
                mean_running: s.running.mean_until(end),
                saturated: s.full.mean_until(end),
                due: s.due,
                refused_at_max: s.refused_at_max,
            })
            .collect();
        ReplicationResult {
            index,
            duration: end,
            events,
            latency,
            quantiles: overall_quantiles,
            requests: self.requests,
            failures: self.failures,
            causes: self.causes,
            endpoints: self.endpoint_results(percentiles),
            checks: self.checks.clone(),
            iterations: self.iterations,
            dropped_iterations: self.dropped_iterations,
            interrupted_iterations: self.interrupted_iterations,
            vus_max: self.vus_max,
            vus_peak: self.vus_peak,
            accounting: self.accounting,
            stations,
            databases,
            providers,
            scenarios,
            cost: self.cost,
            buckets: std::mem::take(&mut self.buckets),
            decisions: std::mem::take(&mut self.decisions),
            submetrics: self.subs.results(percentiles),
            aborted_at: None,
            aborted_by: None,
            stages,
            fault_windows,
            steady,
            digest: None,
        }
    }

    pub fn database_results(&mut self, end: Nanos) -> Vec<DatabaseResult> {
        self.databases
            .iter_mut()
            .map(|d| DatabaseResult {
                pool_wait_total_ms: d.wait_sum / 1e6,
                primary_pool_utilization: if d.primary_pool > 0.0 {
                    d.primary_in_use.mean_until(end) / d.primary_pool
                } else {
                    0.0
                },
                primary_pool_saturated: d.primary_pool_full.mean_until(end),
                primary_cpu_utilization: if d.primary_cores > 0.0 {
                    d.primary_busy_cores.mean_until(end) / d.primary_cores
                } else {
                    0.0
                },
                primary_cores_saturated: d.primary_cores_full.mean_until(end),
                replica_cpu_utilization: {
                    let replica_cores = d.replicas.mean_until(end) * d.replica_cores;
                    (replica_cores > 0.0).then(|| {
                        (d.busy_cores.mean_until(end) - d.primary_busy_cores.mean_until(end))
                            .max(0.0)
                            / replica_cores
                    })
                },
                mean_connections_in_use: d.in_use.mean_until(end),
                cpu_utilization: if d.cores > 0.0 {
                    d.busy_cores.mean_until(end) / d.cores
                } else {
                    0.0
                },
                queries: d.queries,
                mean_query_ms: if d.queries > 0 {
                    d.query_sum / d.queries as f64 / 1e6
                } else {
                    f64::NAN
                },
                mean_pool_wait_ms: if d.waits > 0 {
                    d.wait_sum / d.waits as f64 / 1e6
                } else {
                    f64::NAN
                },
                pool_timeouts: d.pool_timeouts,
            })
            .collect()
    }
}

//! Across replications: turns per-replication results into the summary (k6 metric names,
//! each statistic a mean with its 95% interval) and the time series (mean and 5-95% band).

pub mod bottleneck;
pub mod bottleneck_findings;
pub mod custom_metrics;
pub mod demands;
pub mod distribution;
pub mod estimate;
pub mod faults;
pub mod groups;
pub mod k6_export;
pub mod observe;
pub mod replication_rows;
pub mod series;
pub mod summary;
pub mod thresholds;
pub mod windows;

pub use bottleneck::BottleneckModel;
pub use bottleneck_findings::{BottleneckFold, BottleneckSummary, bottlenecks};
pub use distribution::{DistributionRow, latency_distribution};
pub use estimate::{CounterEstimate, GaugeEstimate, RateEstimate, TrendEstimate};
pub use faults::{FaultSummary, faults};
pub use k6_export::{K6SummaryExport, k6_summary_export};
pub use series::{SeriesRow, series_columns, time_series};
pub use summary::{
    AccountingSummary, CheckSummary, CostSummary, DatabaseSummary, EndpointSummary, Metrics,
    ReplicaSummary, ServiceSummary, Summary, summarize,
};
pub use thresholds::{DEFAULT_PASS_LEVEL, ThresholdSummary, Verdict, thresholds};

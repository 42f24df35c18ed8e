//! How a request ends: success, or an error of a named kind.

use serde::Serialize;

/// Why a request (or a call inside it) failed. Each maps to what a client would see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// 503: the replica's wait queue (or a job queue) was full.
    QueueFull,
    /// 503: the service had no ready replica.
    NoReplica,
    /// 504: the service's server-side timeout fired.
    Timeout,
    /// k6's request timeout fired first (status 0 in k6).
    ClientTimeout,
    /// 500: no database connection within `pool_timeout`.
    PoolTimeout,
    /// 502: the external provider failed on every attempt.
    ProviderError,
    /// 504: the external provider was slower than its timeout on the last attempt.
    ProviderTimeout,
    /// 429: the provider's rate limit refused the last attempt.
    RateLimited,
    /// 502: the replica the request was sent to had died (the balancer did not know yet).
    ConnectionRefused,
    /// 502: the replica died while it held the request.
    ConnectionReset,
    /// 503: the database primary was failing over; writes were refused.
    DbUnavailable,
}

impl Cause {
    pub const ALL: [Cause; 11] = [
        Cause::QueueFull,
        Cause::NoReplica,
        Cause::Timeout,
        Cause::ClientTimeout,
        Cause::PoolTimeout,
        Cause::ProviderError,
        Cause::ProviderTimeout,
        Cause::RateLimited,
        Cause::ConnectionRefused,
        Cause::ConnectionReset,
        Cause::DbUnavailable,
    ];
    pub const COUNT: usize = Self::ALL.len();

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            Cause::QueueFull => "queue_full",
            Cause::NoReplica => "no_replica",
            Cause::Timeout => "timeout",
            Cause::ClientTimeout => "client_timeout",
            Cause::PoolTimeout => "pool_timeout",
            Cause::ProviderError => "provider_error",
            Cause::ProviderTimeout => "provider_timeout",
            Cause::RateLimited => "rate_limited",
            Cause::ConnectionRefused => "connection_refused",
            Cause::ConnectionReset => "connection_reset",
            Cause::DbUnavailable => "db_unavailable",
        }
    }
}

/// Error counts by cause, indexable by [`Cause::index`].
pub type CauseCounts = [u64; Cause::COUNT];

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn indices_match_positions() {
        for (i, c) in Cause::ALL.iter().enumerate() {
            assert_eq!(c.index(), i);
        }
    }
}

//! Validated k6 executor configurations, with k6 defaults applied.

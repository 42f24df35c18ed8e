//! AWS EC2 Auto Scaling (reference §3): CloudWatch alarms, simple / step / target tracking
//! policies, the Auto Scaling group, and the seed's ASG and scaling-policy files.
pub mod alarm;
pub mod group;
pub mod policy;
pub mod spec;

//! AWS EC2 Auto Scaling (reference §3): CloudWatch alarms, simple / step / target tracking
//! policies, the Auto Scaling group, and the conversion of the seed's ASG and scaling-policy
//! files (parsed in `crate::spec::aws`) into them.
pub mod alarm;
pub mod convert;
pub mod group;
pub mod policy;

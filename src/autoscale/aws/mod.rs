//! AWS EC2 Auto Scaling (reference §3): CloudWatch alarms, simple / step / target tracking
//! policies, the Auto Scaling group, and the conversion of the seed's ASG and scaling-policy
//! files (parsed in `crate::spec::aws`) and of the AWS CLI's documents (`cli`, parsed in
//! `crate::spec::aws_cli`) into them.
pub mod alarm;
pub mod cli;
pub mod convert;
pub mod group;
pub mod policy;

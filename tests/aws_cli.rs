//! AWS documents as the AWS CLI prints and takes them (`tests/fixtures/aws/`, shaped from
//! the AWS CLI reference): they load to the same group, alarms and policies as the seed's
//! capsim-side files, every documented field is accepted (those that do not change a
//! prediction in one note), and each refusal names the file, the place and the fix.

use capsim::autoscale::aws::cli::AwsCliSet;
use capsim::autoscale::aws::policy::MetricAggregationType;
use capsim::model::load::load_model;
use capsim::model::{AsgPolicyKind, AwsMetric};
use capsim::spec::aws::{AdjustmentType, ComparisonOperator, TreatMissingData};
use capsim::spec::aws_cli::parse_aws_file;
use std::path::Path;

const NS: u64 = 1_000_000_000;

fn fixture(name: &str) -> (std::path::PathBuf, String) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/aws")
        .join(name);
    let t = std::fs::read_to_string(&p).unwrap();
    (p, t)
}

/// The api group from describe-auto-scaling-groups / describe-policies / describe-alarms
/// output equals the one from the seed's group JSON and `api` tier, field for field.
#[test]
fn cli_output_loads_as_the_seed_files_do() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let seed = load_model(&root.join("models/aws-demo.yaml")).unwrap();
    let cli = load_model(&root.join("tests/fixtures/aws/cli-model.yaml")).unwrap();
    let sg = &seed.aws.as_ref().unwrap().groups[0];
    let cg = cli
        .aws
        .as_ref()
        .unwrap()
        .groups
        .iter()
        .find(|g| g.group.name == "hamballer-api-asg")
        .unwrap();
    assert_eq!(sg.group, cg.group);
    assert_eq!(sg.policies.len(), 2);
    assert_eq!(cg.policies.len(), 2);
    let view = |p: &capsim::model::AsgPolicy| (p.metric, format!("{:?}", p.kind));
    let mut a: Vec<_> = sg.policies.iter().map(view).collect();
    let mut b: Vec<_> = cg.policies.iter().map(view).collect();
    a.sort_by(|x, y| x.1.cmp(&y.1));
    b.sort_by(|x, y| x.1.cmp(&y.1));
    assert_eq!(a, b);
    let names: Vec<&str> = cg.policies.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["api-cpu-scale-out", "api-cpu-scale-in"]);
}

/// The backend group: a customized-metric target tracking policy, a disabled one skipped
/// with a note, and a step policy whose alarm is found by its AlarmActions.
#[test]
fn target_tracking_step_and_cli_input_documents() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cli = load_model(&root.join("tests/fixtures/aws/cli-model.yaml")).unwrap();
    let g = cli
        .aws
        .as_ref()
        .unwrap()
        .groups
        .iter()
        .find(|g| g.group.name == "hamballer-backend-asg")
        .unwrap();
    assert_eq!(
        (g.group.min_size, g.group.max_size, g.group.desired_capacity),
        (2, 10, 3)
    );
    assert_eq!(g.group.default_cooldown, 180 * NS);
    assert_eq!(g.group.default_instance_warmup, Some(120 * NS));
    assert_eq!(g.policies.len(), 2, "{:?}", g.policies);
    let tt = &g.policies[0];
    assert_eq!(tt.name, "backend-cpu40-target-tracking");
    assert_eq!(tt.metric, AwsMetric::CpuUtilization);
    match &tt.kind {
        AsgPolicyKind::TargetTracking { policy } => {
            assert_eq!(policy.target_value, 40.0);
            assert!(!policy.disable_scale_in);
        }
        other => panic!("{other:?}"),
    }
    let step = &g.policies[1];
    assert_eq!(step.name, "backend-step-out");
    match &step.kind {
        AsgPolicyKind::Step { alarm, policy } => {
            assert_eq!(alarm.period, 60 * NS);
            assert_eq!(
                (alarm.evaluation_periods, alarm.datapoints_to_alarm),
                (2, 2)
            );
            assert_eq!(alarm.threshold, 50.0);
            assert_eq!(
                alarm.comparison,
                ComparisonOperator::GreaterThanOrEqualToThreshold
            );
            assert_eq!(alarm.treat_missing_data, TreatMissingData::NotBreaching);
            assert_eq!(
                policy.adjustment_type,
                AdjustmentType::PercentChangeInCapacity
            );
            assert_eq!(policy.steps.len(), 3);
            assert_eq!(policy.min_adjustment_magnitude, Some(1));
            assert_eq!(policy.estimated_instance_warmup, Some(120 * NS));
            assert_eq!(
                policy.metric_aggregation_type,
                MetricAggregationType::Average
            );
        }
        other => panic!("{other:?}"),
    }
    let disabled: Vec<_> = cli
        .notes
        .iter()
        .filter(|n| n.contains("backend-alb-target-tracking") && n.contains("disabled"))
        .collect();
    assert_eq!(disabled.len(), 1, "{:?}", cli.notes);
    let ignored: Vec<_> = cli
        .notes
        .iter()
        .filter(|n| n.contains("do not change the prediction"))
        .collect();
    assert_eq!(ignored.len(), 1, "one note: {:?}", cli.notes);
    for f in [
        "LaunchTemplate",
        "Instances",
        "AlarmDescription",
        "StateValue",
        "Tags",
    ] {
        assert!(ignored[0].contains(f), "{f} in {}", ignored[0]);
    }
    for f in ["MinSize", "Threshold", "ScalingAdjustment"] {
        assert!(
            !ignored[0].contains(&format!(" {f},")),
            "{f} is used: {}",
            ignored[0]
        );
    }
}

#[test]
fn a_typo_in_a_documented_field_gets_did_you_mean() {
    let (p, t) = fixture("describe-auto-scaling-groups.json");
    let e = parse_aws_file(&p, &t.replacen("\"MinSize\"", "\"MinSze\"", 1))
        .unwrap_err()
        .to_string();
    assert!(e.contains("did you mean `MinSize`"), "{e}");
    assert!(e.contains("describe-auto-scaling-groups.json"), "{e}");
    let (p, t) = fixture("describe-alarms.json");
    let e = parse_aws_file(
        &p,
        &t.replacen("\"EvaluationPeriods\"", "\"EvaluationPeriod\"", 1),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("did you mean `EvaluationPeriods`"), "{e}");
}

#[test]
fn a_document_of_another_shape_names_its_keys_and_what_capsim_reads() {
    let p = Path::new("launch-configs.json");
    let e = parse_aws_file(p, r#"{"LaunchConfigurations": [], "NextToken": "x"}"#)
        .unwrap_err()
        .to_string();
    for want in [
        "launch-configs.json",
        "line 1",
        "LaunchConfigurations",
        "describe-auto-scaling-groups",
        "describe-policies",
        "describe-alarms",
        "put-scaling-policy",
        "put-metric-alarm",
    ] {
        assert!(e.contains(want), "{want} in {e}");
    }
}

#[test]
fn a_policy_whose_alarm_is_missing_says_which_command_gives_it() {
    let (p, t) = fixture("describe-policies.json");
    let mut set = AwsCliSet::default();
    set.add("describe-policies.json", parse_aws_file(&p, &t).unwrap());
    let e = set
        .policies_for("hamballer-api-asg", &mut Vec::new())
        .unwrap_err()
        .to_string();
    assert!(e.contains("api-cpu-scale-out"), "{e}");
    assert!(
        e.contains("aws cloudwatch describe-alarms --alarm-names api-cpu-high"),
        "{e}"
    );
    // A put-scaling-policy document has no Alarms list: without an alarm whose actions
    // name it, the message says what to give.
    let (p, t) = fixture("put-scaling-policy.json");
    let mut set = AwsCliSet::default();
    set.add("put-scaling-policy.json", parse_aws_file(&p, &t).unwrap());
    let e = set
        .policies_for("hamballer-backend-asg", &mut Vec::new())
        .unwrap_err()
        .to_string();
    assert!(e.contains("AlarmActions"), "{e}");
    assert!(e.contains("policyName/backend-step-out"), "{e}");
}

#[test]
fn describe_policies_json_given_as_the_tiers_file_says_where_it_goes() {
    let (p, _) = fixture("policies-as-tiers.yaml");
    let e = load_model(&p).unwrap_err().to_string();
    assert!(e.contains("aws.scaling_policies"), "{e}");
    assert!(e.contains("list it under `aws.files`"), "{e}");
    assert!(!e.contains("mm1.yaml"), "{e}");
}

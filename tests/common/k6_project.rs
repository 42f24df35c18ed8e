//! A k6 script test's project: a folder under the test target's tmp holding `model.yaml`
//! and `load.js`, loaded as `capsim run load.js --model model.yaml --samples 50` would,
//! and run for three replications.

use capsim::engine::Budget;
use capsim::error::LoadError;
use capsim::model::experiment::Experiment;
use capsim::model::load::load_experiment_with;
use capsim::replicate::RunPlan;
use capsim::spec::k6_script::ScriptFlags;
use capsim::spec::overrides::Overrides;
use std::path::{Path, PathBuf};

/// A fresh `suite/test` folder with `model` as model.yaml and `script` as load.js.
pub fn project(suite: &str, test: &str, model: &str, script: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(suite)
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("model.yaml"), model).unwrap();
    std::fs::write(dir.join("load.js"), script).unwrap();
    dir
}

/// The project's load.js on its model.yaml, 50 recorded iterations per scenario function.
pub fn load(dir: &Path) -> Result<Experiment, LoadError> {
    let overrides = Overrides {
        script: ScriptFlags {
            model: Some(dir.join("model.yaml")),
            samples: Some(50),
            ..ScriptFlags::default()
        },
        ..Overrides::default()
    };
    load_experiment_with(&dir.join("load.js"), &overrides)
}

/// Replications 0, 1 and 2 on the default threads.
pub fn plan() -> RunPlan {
    RunPlan {
        indices: 0..3,
        threads: None,
        budget: Budget::default(),
    }
}

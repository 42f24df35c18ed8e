//! Distribution specs as written in YAML (externally tagged: `{exponential: {mean: 5ms}}`).

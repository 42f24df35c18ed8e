//! Custom metrics (`k6/metrics`) as the recording shims see them: what each add() received,
//! as a symbol the engine can compute per simulated iteration (a request's duration, a
//! status comparison, a check() call's outcome, a constant), and the sources the shims read
//! an add()'s argument from. What is predicted: docs/k6-scripts.md.

use rquickjs::{Ctx, Object};
use std::collections::{BTreeMap, HashMap};

/// What one add() call received.
#[derive(Debug, Clone, PartialEq)]
pub enum AddSymbol {
    /// `res.timings.duration` (or `waiting`) of the request it reads, in ms.
    Duration,
    /// A number (or `true`/`false`) that depends on no response.
    Constant(f64),
    /// `res.status OP N`: 1 for the statuses listed, else 0.
    Status(Vec<u16>),
    /// A `check()` call's result (all its checks passed), negated for `!success`.
    Checks { names: Vec<String>, negate: bool },
}

/// One distinct add(): the metric (its name) and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedAdd {
    pub metric: String,
    pub value: AddSymbol,
}

/// The symbol of one recorded add() (`t`: `dur`, `c`, `s` or `p`, as the shims write it).
pub(super) fn symbol(
    metric: String,
    t: &str,
    v: f64,
    negate: bool,
    names: Vec<String>,
    statuses: &[u16],
) -> RecordedAdd {
    let value = match t {
        "dur" => AddSymbol::Duration,
        "s" => AddSymbol::Status(statuses.to_vec()),
        "p" => AddSymbol::Checks { names, negate },
        _ => AddSymbol::Constant(if v.is_finite() { v } else { 0.0 }),
    };
    RecordedAdd { metric, value }
}

/// Distinct adds, numbered in the order first seen. Looked up by metric, then compared
/// (a metric has a handful of distinct adds): no key is built per recorded add().
#[derive(Default)]
pub(super) struct Interner {
    index: HashMap<String, Vec<u32>>,
    list: Vec<RecordedAdd>,
}

/// The same add value (constants by their bits: `0.0` and `-0.0` are two values).
fn same(a: &AddSymbol, b: &AddSymbol) -> bool {
    match (a, b) {
        (AddSymbol::Constant(x), AddSymbol::Constant(y)) => x.to_bits() == y.to_bits(),
        _ => a == b,
    }
}

impl Interner {
    pub fn intern(&mut self, add: RecordedAdd) -> u32 {
        if let Some(ids) = self.index.get(add.metric.as_str())
            && let Some(&i) = ids
                .iter()
                .find(|&&i| same(&self.list[i as usize].value, &add.value))
        {
            return i;
        }
        let i = self.list.len() as u32;
        self.index.entry(add.metric.clone()).or_default().push(i);
        self.list.push(add);
        i
    }

    pub fn into_list(self) -> Vec<RecordedAdd> {
        self.list
    }
}

/// Gives the shims the script's sources (by module name, as stack traces name them), so an
/// add()'s argument can be read as written.
pub(super) fn hand_sources(ctx: &Ctx, sources: &BTreeMap<String, String>) -> rquickjs::Result<()> {
    let recorder: Object = ctx.globals().get("__capsim")?;
    let obj = Object::new(ctx.clone())?;
    for (name, text) in sources {
        obj.set(name.as_str(), text.as_str())?;
    }
    recorder.set("sources", obj)
}

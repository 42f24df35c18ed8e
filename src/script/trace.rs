//! One recorded iteration handed from the shims to Rust: the steps of `__capsim.trace`
//! read property by property (no JSON round trip: stringifying ~80 small objects per
//! iteration in QuickJS and parsing them again was a third of a typical script's recording
//! time; docs/k6-scripts.md "Speed"). A field the shims leave out reads as its default.

use rquickjs::{Array, Atom, Ctx, Object, Value};

/// One trace entry as the shims write it (`k`: `r` request, `s` sleep, `a` custom metric
/// add, `b` an `http.batch()` whose requests follow, `ge`/`gx` a group's enter/exit).
#[derive(Default)]
pub(super) struct JsStep {
    pub k: String,
    pub m: String,
    pub u: String,
    pub n: Option<String>,
    pub c: Vec<String>,
    pub at: String,
    pub s: f64,
    // A custom metric's add(): metric name, what it added (`t`), the request (index in the
    // JS trace) it reads, a constant, a negation, check names, statuses where it is true.
    pub mn: String,
    pub t: String,
    pub r: Option<i64>,
    pub v: f64,
    pub neg: bool,
    pub cn: Vec<String>,
    pub sv: Vec<u16>,
    /// An `http.batch()`'s number of requests (`k`: `b`).
    pub bn: u32,
    /// A group marker's path (`k`: `ge` enter, `gx` exit).
    pub g: String,
}

/// The property names of a step, made once per recording.
pub(super) struct StepKeys<'js> {
    k: Atom<'js>,
    m: Atom<'js>,
    u: Atom<'js>,
    n: Atom<'js>,
    c: Atom<'js>,
    at: Atom<'js>,
    s: Atom<'js>,
    mn: Atom<'js>,
    t: Atom<'js>,
    r: Atom<'js>,
    v: Atom<'js>,
    neg: Atom<'js>,
    cn: Atom<'js>,
    sv: Atom<'js>,
    bn: Atom<'js>,
    g: Atom<'js>,
}

impl<'js> StepKeys<'js> {
    pub fn new(ctx: &Ctx<'js>) -> rquickjs::Result<Self> {
        let a = |name: &str| Atom::from_str(ctx.clone(), name);
        Ok(StepKeys {
            k: a("k")?,
            m: a("m")?,
            u: a("u")?,
            n: a("n")?,
            c: a("c")?,
            at: a("at")?,
            s: a("s")?,
            mn: a("mn")?,
            t: a("t")?,
            r: a("r")?,
            v: a("v")?,
            neg: a("neg")?,
            cn: a("cn")?,
            sv: a("sv")?,
            bn: a("bn")?,
            g: a("g")?,
        })
    }
}

/// Why a step cannot be read: the field and what it holds.
fn bad(field: &str, want: &str, got: &Value) -> String {
    format!(
        "step field `{field}` holds a {}, not {want}",
        got.type_name()
    )
}

fn get<'js>(o: &Object<'js>, key: &Atom<'js>) -> Result<Value<'js>, String> {
    o.get(key.clone()).map_err(|e| e.to_string())
}

fn absent(v: &Value) -> bool {
    v.is_undefined()
}

fn string<'js>(o: &Object<'js>, key: &Atom<'js>, field: &str) -> Result<String, String> {
    let v = get(o, key)?;
    if absent(&v) {
        return Ok(String::new());
    }
    match v.as_string() {
        Some(s) => s.to_string().map_err(|e| e.to_string()),
        None => Err(bad(field, "a string", &v)),
    }
}

/// A finite number (JSON, which the trace used to travel as, has no other kind).
fn number<'js>(o: &Object<'js>, key: &Atom<'js>, field: &str) -> Result<f64, String> {
    let v = get(o, key)?;
    if absent(&v) {
        return Ok(0.0);
    }
    match v.as_number() {
        Some(x) if x.is_finite() => Ok(x),
        _ => Err(bad(field, "a finite number", &v)),
    }
}

fn strings<'js>(o: &Object<'js>, key: &Atom<'js>, field: &str) -> Result<Vec<String>, String> {
    let v = get(o, key)?;
    if absent(&v) {
        return Ok(Vec::new());
    }
    let Some(list) = v.as_array() else {
        return Err(bad(field, "a list", &v));
    };
    let mut out = Vec::with_capacity(list.len());
    for i in 0..list.len() {
        let x: Value = list.get(i).map_err(|e| e.to_string())?;
        match x.as_string() {
            Some(s) => out.push(s.to_string().map_err(|e| e.to_string())?),
            None => return Err(bad(field, "a list of strings", &x)),
        }
    }
    Ok(out)
}

/// HTTP statuses (`sv`: where a status comparison is true).
fn statuses<'js>(o: &Object<'js>, key: &Atom<'js>) -> Result<Vec<u16>, String> {
    let v = get(o, key)?;
    if absent(&v) {
        return Ok(Vec::new());
    }
    let list = v.as_array().ok_or_else(|| bad("sv", "a list", &v))?;
    let mut out = Vec::with_capacity(list.len());
    for i in 0..list.len() {
        let x: Value = list.get(i).map_err(|e| e.to_string())?;
        match x.as_number() {
            Some(s) if s.fract() == 0.0 && (0.0..=65535.0).contains(&s) => out.push(s as u16),
            _ => return Err(bad("sv", "a list of statuses", &x)),
        }
    }
    Ok(out)
}

fn read_step<'js>(o: &Object<'js>, keys: &StepKeys<'js>) -> Result<JsStep, String> {
    let mut st = JsStep {
        k: string(o, &keys.k, "k")?,
        ..JsStep::default()
    };
    match st.k.as_str() {
        "r" => {
            st.m = string(o, &keys.m, "m")?;
            st.u = string(o, &keys.u, "u")?;
            let n = get(o, &keys.n)?;
            st.n = if n.is_undefined() || n.is_null() {
                None
            } else {
                Some(string(o, &keys.n, "n")?)
            };
            st.c = strings(o, &keys.c, "c")?;
            st.at = string(o, &keys.at, "at")?;
        }
        "a" => {
            st.mn = string(o, &keys.mn, "mn")?;
            st.t = string(o, &keys.t, "t")?;
            let r = get(o, &keys.r)?;
            st.r = if r.is_undefined() || r.is_null() {
                None
            } else {
                match r.as_number() {
                    Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => Some(x as i64),
                    _ => return Err(bad("r", "an integer", &r)),
                }
            };
            // Only the fields what it added (`t`) uses (metrics::symbol).
            match st.t.as_str() {
                "dur" => {}
                "s" => st.sv = statuses(o, &keys.sv)?,
                "p" => {
                    st.cn = strings(o, &keys.cn, "cn")?;
                    let neg = get(o, &keys.neg)?;
                    st.neg = if absent(&neg) {
                        false
                    } else {
                        neg.as_bool().ok_or_else(|| bad("neg", "a boolean", &neg))?
                    };
                }
                _ => st.v = number(o, &keys.v, "v")?,
            }
        }
        "b" => {
            let n = number(o, &keys.bn, "bn")?;
            if n.fract() != 0.0 || !(0.0..=f64::from(u32::MAX)).contains(&n) {
                return Err(format!(
                    "step field `bn` holds {n}, not a count of requests"
                ));
            }
            st.bn = n as u32;
        }
        "ge" | "gx" => st.g = string(o, &keys.g, "g")?,
        _ => st.s = number(o, &keys.s, "s")?,
    }
    Ok(st)
}

/// The steps of one iteration's trace (`__capsim.trace`).
pub(super) fn read<'js>(trace: &Value<'js>, keys: &StepKeys<'js>) -> Result<Vec<JsStep>, String> {
    let Some(list) = trace.as_array() else {
        return Err(bad("trace", "a list", trace));
    };
    read_list(list, keys)
}

fn read_list<'js>(list: &Array<'js>, keys: &StepKeys<'js>) -> Result<Vec<JsStep>, String> {
    let mut out = Vec::with_capacity(list.len());
    for i in 0..list.len() {
        let v: Value = list.get(i).map_err(|e| e.to_string())?;
        let Some(o) = v.as_object() else {
            return Err(bad("step", "an object", &v));
        };
        out.push(read_step(o, keys)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rquickjs::{Context, Runtime};

    /// Reads the trace a JS expression makes, as the recorder does.
    fn read_js(js: &str) -> Result<Vec<JsStep>, String> {
        let rt = Runtime::new().unwrap();
        let ctx = Context::full(&rt).unwrap();
        ctx.with(|ctx| {
            let keys = StepKeys::new(&ctx).unwrap();
            let v: Value = ctx.eval(js).unwrap();
            read(&v, &keys)
        })
    }

    #[test]
    fn reads_each_kind_of_step_with_absent_fields_as_defaults() {
        let steps = read_js(
            r#"[
              { k: "r", m: "GET", u: "http://h/a", c: ["ok"], at: "a.js:3:9", n: "a" },
              { k: "r", m: "POST", u: "http://h/b", c: [], at: "a.js:4:9" },
              { k: "s", s: 1.5 },
              { k: "a", mn: "rt", t: "dur", r: 0 },
              { k: "a", mn: "errors", t: "p", r: 1, cn: ["ok", "fast"], neg: true },
              { k: "a", mn: "failed", t: "s", r: 1, sv: [0, 500] },
              { k: "a", mn: "n", t: "c", v: 2 },
            ]"#,
        )
        .unwrap();
        assert_eq!(steps.len(), 7);
        let (a, b) = (&steps[0], &steps[1]);
        assert_eq!(
            (a.k.as_str(), a.m.as_str(), a.u.as_str()),
            ("r", "GET", "http://h/a")
        );
        assert_eq!(
            (a.c.clone(), a.at.as_str(), a.n.as_deref()),
            (vec!["ok".into()], "a.js:3:9", Some("a"))
        );
        assert_eq!((b.n.clone(), b.c.len()), (None, 0));
        assert_eq!((steps[2].k.as_str(), steps[2].s), ("s", 1.5));
        assert_eq!((steps[3].t.as_str(), steps[3].r), ("dur", Some(0)));
        let p = &steps[4];
        assert_eq!((p.mn.as_str(), p.r, p.neg), ("errors", Some(1), true));
        assert_eq!(p.cn, vec!["ok".to_string(), "fast".to_string()]);
        assert_eq!(steps[5].sv, vec![0, 500]);
        assert_eq!((steps[6].v, steps[6].r, steps[6].neg), (2.0, None, false));
    }

    #[test]
    fn refuses_what_json_could_not_carry() {
        let e = read_js(r#"[{ k: "s", s: Infinity }]"#).err().unwrap();
        assert!(e.contains("`s`") && e.contains("finite number"), "{e}");
        let e = read_js(r#"[{ k: "r", m: 3 }]"#).err().unwrap();
        assert!(e.contains("`m`") && e.contains("a string"), "{e}");
        let e = read_js(r#"[{ k: "a", mn: "x", t: "s", sv: [70000] }]"#)
            .err()
            .unwrap();
        assert!(e.contains("`sv`"), "{e}");
        assert!(read_js("({})").is_err());
        assert!(read_js("[1]").is_err());
    }
}

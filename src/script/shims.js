// capsim's recording shims of k6's modules (docs/k6-scripts.md). Evaluated once per script,
// before the script: `globalThis.__capsim` records what one iteration does. Responses are
// stubbed as successes; no request leaves the machine.
(function () {
  "use strict";
  const R = {
    trace: [],
    warnings: [],
    warned: new Set(),
    checks: new Map(),
    metrics: [],
    sites: new Map(),
    addSites: new Map(),
    addFrames: new Map(),
    inCheck: 0,
    recording: false,
    metricWhy: new Map(),
    lines: new Map(),
    sources: null,
    checkCalls: null,
    args: new Map(),
    assigned: new Map(),
    gaps: new Map(),
    lastStatus: null,
    seed: [0x9e3779b9, 0x243f6a88, 0xb7e15162, 1],
  };
  // sfc32: a small, well-tested 32-bit generator; seeded from Rust for each iteration.
  // The state is updated in place (no array per draw): Rust sets a fresh `seed` array for
  // each iteration.
  // Words are kept as int32 (`| 0`): the same bits as uint32 arithmetic, without the
  // floating-point values unsigned words above 2^31 would be.
  R.random = function () {
    const st = R.seed;
    let a = st[0] | 0, b = st[1] | 0, c = st[2] | 0, d = st[3] | 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    st[0] = a; st[1] = b; st[2] = c; st[3] = d;
    return (t >>> 0) / 4294967296;
  };
  Math.random = R.random;
  // One stack-trace line's `file:line:col` if it is the script's (not capsim's), else null.
  R.frame = function (l) {
    const m = /\((.*):(\d+):(\d+)\)\s*$/.exec(l) || /at (.*):(\d+):(\d+)\s*$/.exec(l);
    return m && !m[1].startsWith("capsim") && m[1] !== "eval_script" ? m[1] + ":" + m[2] + ":" + m[3] : null;
  };
  // The caller's `file:line:col`, skipping capsim's own frames.
  R.site = function () {
    const stack = String(new Error().stack || "").split("\n");
    for (const l of stack) {
      const at = R.frame(l);
      if (at !== null) return at;
    }
    return "?";
  };
  // The stack trace of the one frame that called `fn` (a shim), as text: a trace of one
  // frame costs a fraction of R.site()'s whole stack, and the same place always gives the
  // same text, so it keys what is cached per site without being parsed. (The Error the
  // shims were evaluated with: a script's own `Error` does not change it.)
  const E = Error;
  R.frameAbove = function (fn) {
    const limit = E.stackTraceLimit, prepare = E.prepareStackTrace;
    const holder = {};
    E.stackTraceLimit = 1;
    if (prepare !== undefined) E.prepareStackTrace = undefined;
    try {
      E.captureStackTrace(holder, fn);
    } finally {
      E.stackTraceLimit = limit;
      if (prepare !== undefined) E.prepareStackTrace = prepare;
    }
    return String(holder.stack || "");
  };
  // R.site() for the caller of `fn`, from that one frame (R.site() itself when that frame
  // is not the script's).
  R.siteAbove = function (fn) {
    const at = R.frame(R.frameAbove(fn).split("\n")[0]);
    return at !== null ? at : R.site();
  };
  R.warn = function (key, text) {
    if (!R.warned.has(key)) {
      R.warned.add(key);
      R.warnings.push(text);
    }
  };
  // A response stub: a success. Reading it outside a check is control flow capsim cannot
  // follow (it records the success branch), so it warns with the line.
  R.response = function (index, method, url) {
    // The duration is a sentinel that names the request (`Trend.add(res.timings.duration)`
    // is then recorded as "the duration of request K"): a tiny positive number, so duration
    // checks and comparisons still take the success branch.
    const d = R.durationOf(index);
    const timings = {
      duration: d, blocked: 0, connecting: 0, tls_handshaking: 0,
      sending: 0, waiting: d, receiving: 0,
    };
    const body = "";
    const target = {
      status: 200, status_text: "200 OK", body, headers: {}, cookies: {}, error: "",
      error_code: 0, timings, url, request: { method, url }, proto: "HTTP/1.1",
      json() { R.readWarn("json()"); return {}; },
      html() { R.readWarn("html()"); return { find() { return { text() { return ""; } }; } }; },
      submitForm() { R.readWarn("submitForm()"); return target; },
      clickLink() { R.readWarn("clickLink()"); return target; },
    };
    Object.defineProperty(target, "__capsim_request", { value: index, enumerable: false });
    return new Proxy(target, responseHandler);
  };
  // One handler for every response (the request is the target's `__capsim_request`).
  const responseHandler = {
    get(o, k) {
      if (R.inCheck === 0 && (k === "status" || k === "body" || k === "headers" || k === "error")) {
        if (k === "status") R.lastStatus = { trace: R.trace, r: o.__capsim_request };
        R.readWarn(String(k), responseHandler.get);
      }
      return o[k];
    },
  };
  // `from`: the shim the script's read went through (its caller is the script's line).
  R.readWarn = function (what, from) {
    if (R.inCheck > 0) return;
    const site = from ? R.siteAbove(from) : R.site();
    // `rate.add(res.status !== 200)` reads the status for a custom metric, not for control
    // flow: the metric's add() records what it means.
    if (what === "status" && /\.add\s*\(/.test(R.lineAt(site))) return;
    R.warn("read " + site, site + ": reads the response's `" + what + "`; capsim stubs every response as a success while recording, so the success branch is the one recorded");
  };
  R.request = function (method, url, params) {
    let name = null;
    if (url && typeof url === "object" && url.__capsim_url) {
      name = url.name;
      url = url.url;
    }
    url = String(url);
    if (params && params.tags && params.tags.name != null) name = String(params.tags.name);
    const m = String(method).toUpperCase();
    // Where a request is made, once per distinct request (a stack trace is not cheap).
    const key = m + " " + url + " " + name;
    let at = R.sites.get(key);
    if (at === undefined) {
      at = R.site();
      if (R.sites.size < 10000) R.sites.set(key, at);
    }
    const step = { k: "r", m, u: url, c: [], at };
    if (name != null) step.n = name;
    R.trace.push(step);
    return R.response(R.trace.length - 1, step.m, url);
  };
  R.sleep = function (secs) {
    const s = Number(secs);
    if (!(s > 0)) return;
    R.trace.push({ k: "s", s });
  };
  // What a check function means, found by calling it on probe responses.
  R.probe = function (fn) {
    const reads = new Set();
    const call = function (status, duration) {
      const timings = new Proxy({ duration, waiting: duration }, {
        get(o, k) { reads.add("timings." + String(k)); return o[k]; },
      });
      const r = new Proxy({ status, timings }, {
        get(o, k) { if (k !== "timings") reads.add(String(k)); return o[k]; },
      });
      try { return !!fn(r); } catch (e) { reads.add("(throws)"); return false; }
    };
    R.inCheck++;
    try {
      call(200, 1e-6);
      const only = (allowed) => [...reads].every((x) => allowed.includes(x));
      if (reads.size === 0) return { kind: "none" };
      if (only(["status"])) {
        const ok = call(200, 1e-6);
        const failing = [500, 502, 503, 504, 429, 0].every((s) => !call(s, 1e-6));
        if (ok && failing) return { kind: "status_ok" };
        return { kind: "other", why: ok ? "it passes on a 5xx or a timeout" : "it fails on a 200 response, capsim's success" };
      }
      // `duration < X` alone, or with "passes on success" (`r.status === 200 && ...`).
      const both = reads.has("status") && reads.has("timings.duration") && only(["status", "timings.duration"]);
      if (only(["timings.duration"]) || both) {
        if (!call(200, 0) || call(200, 1e12)) return { kind: "other", why: "it is not `duration < X`" + (both ? " on a success" : "") };
        let lo = 0, hi = 1e12;
        for (let i = 0; i < 200 && hi - lo > 1e-9; i++) {
          const mid = (lo + hi) / 2;
          if (call(200, mid)) lo = mid; else hi = mid;
        }
        const ms = Math.round(hi * 1e6) / 1e6;
        const inclusive = call(200, ms);
        if (!both) return { kind: "duration_below", ms, inclusive };
        const failing = [500, 502, 503, 504, 429, 0].every((s) => !call(s, 0) && !call(s, ms / 2));
        if (failing) return { kind: "status_ok_duration_below", ms, inclusive };
        return { kind: "other", why: "it reads both status and duration but is not `status === 200 && duration < X`" };
      }
      return { kind: "other", why: "it reads " + [...reads].filter((x) => x !== "status" && x !== "timings.duration").concat(reads.has("status") && reads.has("timings.duration") ? ["both status and duration"] : []).join(", ") };
    } finally {
      R.inCheck--;
    }
  };
  R.check = function (val, sets, tags) {
    let all = true;
    const req = val && typeof val === "object" && val.__capsim_request;
    for (const name of Object.keys(sets || {})) {
      const f = sets[name];
      let passed;
      R.inCheck++;
      try { passed = typeof f === "function" ? !!f(val) : !!f; } catch (e) { passed = false; } finally { R.inCheck--; }
      all = all && passed;
      if (!R.checks.has(name)) {
        let meaning;
        if (typeof f !== "function") meaning = { kind: "other", why: "it is a constant, not a function of the response" };
        else if (typeof req !== "number") meaning = { kind: "other", why: "it does not check an HTTP response" };
        else meaning = R.probe(f);
        meaning.at = R.site();
        R.checks.set(name, meaning);
      }
      if (typeof req === "number" && R.trace[req]) R.trace[req].c.push(name);
    }
    if (!R.checkCalls || R.checkCalls.trace !== R.trace) R.checkCalls = { trace: R.trace, list: [] };
    R.checkCalls.list.push({ r: typeof req === "number" ? req : -1, names: Object.keys(sets || {}) });
    return all;
  };
  // k6's group(): the path of nested groups is `::outer::inner` (the root group is ""),
  // as k6's `lib.NewGroupPath` writes it. The trace gets an enter and an exit marker, so
  // the engine times the group (k6's `group_duration`) and tags what happens inside.
  R.groupPath = "";
  R.group = function (name, fn) {
    if (typeof fn !== "function") throw new Error("group() requires a callback as a second argument");
    const n = String(name);
    if (n.includes("::")) throw new Error("group and check names may not contain '::'");
    const outer = R.groupPath;
    const path = outer + "::" + n;
    R.trace.push({ k: "ge", g: path });
    R.groupPath = path;
    try {
      return fn();
    } finally {
      R.groupPath = outer;
      R.trace.push({ k: "gx", g: path });
    }
  };
  R.fail = function (msg) { throw new Error("fail(): " + String(msg)); };
  // Durations as sentinels: request K's `timings.duration` is (K + 1) * 2^-32 ms.
  R.durationOf = function (index) { return (index + 1) / 4294967296; };
  R.requestOfDuration = function (v) {
    const k = v * 4294967296 - 1;
    return Number.isInteger(k) && k >= 0 && k < R.trace.length && R.trace[k].k === "r" ? k : -1;
  };
  // The text of a site's line (`file:line:col`), from the sources Rust hands over.
  R.lineAt = function (site) {
    const m = /^(.*):(\d+):(\d+)$/.exec(site);
    if (!m || !R.sources) return "";
    const text = R.sources[m[1]];
    if (typeof text !== "string") return "";
    let lines = R.lines.get(m[1]);
    if (!lines) { lines = text.split("\n"); R.lines.set(m[1], lines); }
    return lines[Number(m[2]) - 1] || "";
  };
  // The argument of the `.add(...)` call at a site, as written (trimmed), or "".
  R.addArgument = function (site) {
    const line = R.lineAt(site);
    const col = Number((/:(\d+)$/.exec(site) || [0, 0])[1]) - 1;
    let best = -1;
    const re = /\.add\s*\(/g;
    let m;
    while ((m = re.exec(line)) !== null) {
      if (best < 0 || Math.abs(m.index - col) < Math.abs(best - col)) best = m.index;
    }
    if (best < 0) return "";
    let i = line.indexOf("(", best) + 1, depth = 1, out = "";
    for (; i < line.length && depth > 0; i++) {
      const ch = line[i];
      if (ch === "(") depth++;
      if (ch === ")") depth--;
      if (depth > 0) out += ch;
    }
    return out.trim();
  };
  // A custom metric capsim cannot predict, with the reason (the first one found).
  R.notPredicted = function (name, why) {
    if (!R.metricWhy.has(name)) R.metricWhy.set(name, why);
  };
  const SIMULATED = [200, 0, 429, 500, 502, 503, 504];
  const compare = function (a, op, b) {
    switch (op) {
      case "===": case "==": return a === b;
      case "!==": case "!=": return a !== b;
      case "<": return a < b;
      case "<=": return a <= b;
      case ">": return a > b;
      case ">=": return a >= b;
    }
    return undefined;
  };
  // The check() call of this iteration whose result `id` holds: `id = check(res, {...})`
  // written in `text` with that call's first check name soon after (the latest such call).
  // Where `id = check(` is written in a file (the positions just after), cached.
  R.assignments = function (file, id, text) {
    const key = file + "\u0001" + id;
    let starts = R.assigned.get(key);
    if (starts === undefined) {
      starts = [];
      const re = new RegExp("(^|[^\\w$.])" + id.replace(/\$/g, "\\$") + "\\s*=\\s*check\\s*\\(", "g");
      let m;
      while ((m = re.exec(text)) !== null) starts.push(m.index + m[0].length);
      R.assigned.set(key, starts);
    }
    return starts;
  };
  // The gaps (by check name) for variable `id` in `file`, filled in by R.assignedCheck().
  R.gapsOf = function (file, id) {
    const key = file + "\u0001" + id;
    let gaps = R.gaps.get(key);
    if (gaps === undefined) { gaps = new Map(); R.gaps.set(key, gaps); }
    return gaps;
  };
  // `starts`: R.assignments() of the variable; `gaps`: R.gapsOf() it (an add() site keeps
  // both).
  R.assignedCheck = function (text, starts, gaps) {
    const calls = R.checkCalls && R.checkCalls.trace === R.trace ? R.checkCalls.list : [];
    // The call whose first check name is written nearest after an assignment (cached per
    // variable and name; the latest call on a tie).
    let best = null, bestGap = 400;
    for (let i = calls.length - 1; i >= 0; i--) {
      const c = calls[i];
      if (c.r < 0 || c.names.length === 0) continue;
      let gap = gaps.get(c.names[0]);
      if (gap === undefined) {
        // The name's quoted occurrences, found once (not once per assignment): for each
        // assignment (in order), the first occurrence at or after it.
        gap = Infinity;
        for (const q of ["'", '"', "`"]) {
          const needle = q + c.names[0] + q;
          let at = text.indexOf(needle, starts.length > 0 ? starts[0] : 0);
          for (const p of starts) {
            if (at < 0) break;
            if (at < p) at = text.indexOf(needle, p);
            if (at >= 0 && at - p < gap) gap = at - p;
          }
        }
        gaps.set(c.names[0], gap);
      }
      if (gap < bestGap) { best = c; bestGap = gap; }
    }
    return best;
  };
  // What the argument of the add() at `site`, as written, says; cached per site (the
  // sources do not change while recording).
  R.addSite = function (site) {
    let s = R.addSites.get(site);
    if (s !== undefined) return s;
    let arg = R.args.get(site);
    if (arg === undefined) { arg = R.addArgument(site); R.args.set(site, arg); }
    const file = (/^(.*):\d+:\d+$/.exec(site) || [0, ""])[1];
    const text = (R.sources && R.sources[file]) || "";
    const fromCheck = (id) => R.assignments(file, id, text).length > 0;
    s = {
      site, arg, file, text,
      shown: arg.length > 60 ? arg.slice(0, 57) + "..." : arg,
      // A number computed from a response or a check.
      computed: /\.(timings|status|body|json|headers|error|error_code|cookies|html)\b/.test(arg)
        || (arg.match(/[A-Za-z_$][\w$]*/g) || []).some(fromCheck),
      // `!?name`: a variable (maybe a check() result) or a literal.
      id: /^(!?)\s*([A-Za-z_$][\w$]*)$/.exec(arg),
      // `res.status OP N` (either side, optionally negated and in parentheses): the
      // statuses for which it is true, exact for every status a simulated response can have.
      sv: null,
      starts: null,
      gaps: null,
    };
    if (s.id) {
      s.starts = R.assignments(file, s.id[2], text);
      s.gaps = R.gapsOf(file, s.id[2]);
    }
    const m = /^(!?)\s*\(?\s*(?:[\w$.]+\.status\s*(===|!==|==|!=|<=|>=|<|>)\s*(\d+)|(\d+)\s*(===|!==|==|!=|<=|>=|<|>)\s*[\w$.]+\.status)\s*\)?$/.exec(arg);
    if (m) {
      const neg = m[1] === "!";
      const at = (st) => {
        const r = m[2] ? compare(st, m[2], Number(m[3])) : compare(Number(m[4]), m[5], st);
        return neg ? !r : r;
      };
      s.sv = SIMULATED.filter(at);
    }
    R.addSites.set(site, s);
    return s;
  };
  // What one add() received, as the engine can compute it per simulated iteration.
  R.classify = function (metric, v) {
    const name = metric.name;
    if (metric.kind === "gauge") {
      R.notPredicted(name, "capsim does not predict gauges (a gauge keeps the last value added)");
      return null;
    }
    if (typeof v === "number") {
      const r = R.requestOfDuration(v);
      if (r >= 0) return { t: "dur", r };
    }
    // classify() is called by Metric's add(), which the script calls: its frame's text
    // keys the site (parsed once).
    const frame = R.frameAbove(Metric.prototype.add);
    let s = R.addFrames.get(frame);
    if (s === undefined) {
      const at = R.frame(frame.split("\n")[0]);
      s = R.addSite(at !== null ? at : R.site());
      if (at !== null) R.addFrames.set(frame, s);
    }
    const { site, shown, text } = s;
    if (typeof v === "number") {
      if (v !== 0 && Math.abs(v) < 1e-6) {
        R.notPredicted(name, site + ": it adds a value computed from a response's timings (`" + shown + "`); capsim predicts `res.timings.duration` itself");
        return null;
      }
      if (s.computed) {
        R.notPredicted(name, site + ": it adds `" + shown + "`, computed from a response or a check");
        return null;
      }
      const c = Number(v);
      if (!Number.isFinite(c)) {
        R.notPredicted(name, site + ": it adds `" + shown + "`, which is not a finite number");
        return null;
      }
      return { t: "c", v: c };
    }
    if (typeof v === "boolean") {
      // `rate.add(!success)` where `success = check(...)`.
      const m = s.id;
      if (m) {
        const call = R.assignedCheck(text, s.starts, s.gaps);
        if (call) return { t: "p", r: call.r, cn: call.names, neg: m[1] === "!" };
        if (/^(true|false)$/.test(m[2])) return { t: "c", v: v ? 1 : 0 };
        R.notPredicted(name, site + ": it adds `" + shown + "`, which capsim cannot trace to a check() of a response or a status comparison");
        return null;
      }
      // `rate.add(res.status !== 200)`: the statuses for which it is true.
      const last = R.lastStatus;
      if (s.sv !== null && last && last.trace === R.trace) {
        return { t: "s", r: last.r, sv: s.sv };
      }
      R.notPredicted(name, site + ": it adds `" + shown + "`, which capsim cannot trace to a check() of a response or a status comparison");
      return null;
    }
    R.notPredicted(name, site + ": it adds a " + typeof v + " (`" + shown + "`); capsim predicts numbers and booleans");
    return null;
  };
  class Metric {
    constructor(name, kind) {
      this.name = String(name);
      this.kind = kind;
      R.metrics.push({ name: this.name, kind });
    }
    // Recorded symbolically (docs/k6-scripts.md): a request's duration, a check's outcome,
    // a status comparison, or a constant.
    add(value) {
      if (R.metricWhy.has(this.name)) return;
      const step = R.classify(this, value);
      if (step === null) return;
      step.k = "a";
      step.mn = this.name;
      R.trace.push(step);
    }
  }
  R.Trend = class extends Metric { constructor(n) { super(n, "trend"); } };
  R.Rate = class extends Metric { constructor(n) { super(n, "rate"); } };
  R.Counter = class extends Metric { constructor(n) { super(n, "counter"); } };
  R.Gauge = class extends Metric { constructor(n) { super(n, "gauge"); } };
  R.url = function (strings, ...values) {
    let url = "", name = "";
    strings.forEach((s, i) => {
      url += s; name += s;
      if (i < values.length) { url += String(values[i]); name += "${}"; }
    });
    return { __capsim_url: true, url, name, toString() { return url; } };
  };
  // http.batch(): one trace element, a `b` step with its n requests after it (sent in
  // parallel by the engine, up to the `batch`/`batchPerHost` options). The responses come
  // back keyed as the input (an array, or an object by the same keys), stubbed as successes.
  R.batch = function (reqs) {
    const isArray = Array.isArray(reqs);
    const keys = isArray ? null : Object.keys(reqs || {});
    const list = isArray ? reqs : keys.map((k) => reqs[k]);
    if (list.length > 1) R.trace.push({ k: "b", bn: list.length });
    const out = list.map((q) => {
      if (typeof q === "string" || (q && q.__capsim_url)) return R.request("GET", q, null);
      if (Array.isArray(q)) return R.request(q[0] || "GET", q[1], q[3]);
      return R.request((q && q.method) || "GET", q && q.url, q && q.params);
    });
    if (isArray) return out;
    const obj = {};
    keys.forEach((k, i) => { obj[k] = out[i]; });
    return obj;
  };
  // A call into a module capsim does not simulate, allowed by --ignore-unsupported.
  R.noop = function (module) {
    const f = function () {
      R.warn("noop " + module, "calls into `" + module + "` are ignored (--ignore-unsupported): they make no load in the prediction");
      return p;
    };
    const p = new Proxy(f, {
      get(t, k) { if (k === Symbol.toPrimitive) return () => ""; if (k === "then") return undefined; return p; },
      apply() { return f(); },
      construct() { f(); return p; },
    });
    return p;
  };
  globalThis.__capsim = R;
})();

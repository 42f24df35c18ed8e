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
    inCheck: 0,
    recording: false,
    seed: [0x9e3779b9, 0x243f6a88, 0xb7e15162, 1],
  };
  // sfc32: a small, well-tested 32-bit generator; seeded from Rust for each iteration.
  R.random = function () {
    let [a, b, c, d] = R.seed;
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    R.seed = [a, b, c, d];
    return (t >>> 0) / 4294967296;
  };
  Math.random = R.random;
  // The caller's `file:line:col`, skipping capsim's own frames.
  R.site = function () {
    const stack = String(new Error().stack || "").split("\n");
    for (const l of stack) {
      const m = /\((.*):(\d+):(\d+)\)\s*$/.exec(l) || /at (.*):(\d+):(\d+)\s*$/.exec(l);
      if (m && !m[1].startsWith("capsim") && m[1] !== "eval_script") {
        return m[1] + ":" + m[2] + ":" + m[3];
      }
    }
    return "?";
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
    const timings = {
      duration: 0, blocked: 0, connecting: 0, tls_handshaking: 0,
      sending: 0, waiting: 0, receiving: 0,
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
    return new Proxy(target, {
      get(o, k) {
        if (R.inCheck === 0 && (k === "status" || k === "body" || k === "headers" || k === "error")) {
          R.readWarn(String(k));
        }
        return o[k];
      },
    });
  };
  R.readWarn = function (what) {
    if (R.inCheck > 0) return;
    const site = R.site();
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
        const failing = [500, 502, 503, 504, 0].every((s) => !call(s, 1e-6));
        if (ok && failing) return { kind: "status_ok" };
        return { kind: "other", why: ok ? "it passes on a 5xx or a timeout" : "it fails on a 200 response, capsim's success" };
      }
      if (only(["timings.duration"])) {
        if (!call(200, 0) || call(200, 1e12)) return { kind: "other", why: "it is not `duration < X`" };
        let lo = 0, hi = 1e12;
        for (let i = 0; i < 200 && hi - lo > 1e-9; i++) {
          const mid = (lo + hi) / 2;
          if (call(200, mid)) lo = mid; else hi = mid;
        }
        const ms = Math.round(hi * 1e6) / 1e6;
        return { kind: "duration_below", ms, inclusive: call(200, ms) };
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
    return all;
  };
  R.group = function (name, fn) { return typeof fn === "function" ? fn() : undefined; };
  R.fail = function (msg) { throw new Error("fail(): " + String(msg)); };
  class Metric {
    constructor(name, kind) {
      this.name = String(name);
      this.kind = kind;
      R.metrics.push({ name: this.name, kind });
    }
    // Custom metrics are not predicted (docs/k6-scripts.md): adding records nothing.
    add(value) {}
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
  R.batch = function (reqs) {
    R.warn("batch", R.site() + ": http.batch() sends requests in parallel; capsim records them one after another");
    const list = Array.isArray(reqs) ? reqs : Object.values(reqs || {});
    const out = list.map((q) => {
      if (typeof q === "string") return R.request("GET", q, null);
      if (Array.isArray(q)) return R.request(q[0], q[1], q[3]);
      return R.request(q.method || "GET", q.url, q.params);
    });
    if (Array.isArray(reqs)) return out;
    const obj = {};
    Object.keys(reqs || {}).forEach((k, i) => { obj[k] = out[i]; });
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

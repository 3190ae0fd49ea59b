// credsim conformance suite: the Worker under test. Every route is one probe of a platform
// behaviour that credsim's world model assumes; the driver (run_conformance.py) sends the
// requests and asserts what happened. Keys (?k=) keep the probes of different cases apart,
// since all of them share one isolate (module-scope state below is per isolate).
//
// Routes, by case (see docs/platform-conformance.md):
//   /x/wait, /x/resolve, /x/status        cross-request waits on a shared promise
//   /io/make, /io/use, /io/share          I/O objects used by another request
//   /v1                                   multistore-v1-shaped per-key async lock, herd
//   /wu/start, /tm/start, /mark           ctx.waitUntil, timers/promises of a finished request
//   /do/*                                 Durable Objects (class Gates)
//   /alarm/*                              Durable Object alarms (class Alarms)

const BACKEND = "http://backend";

function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

async function backendDelay(env, ms) {
  const r = await env.BACKEND.fetch(`${BACKEND}/delay?ms=${ms}`);
  return await r.text();
}

// Burns CPU without I/O (Date.now() does not advance during CPU work on Workers).
function burn(iterations) {
  let x = 0;
  for (let i = 0; i < iterations; i++) x = (x * 1103515245 + 12345 + i) % 2147483647;
  return x;
}

// ---- module (isolate) state ---------------------------------------------------------------
const slots = new Map();     // /x: key -> deferred awaited by waiters
const ioObjects = new Map(); // /io: key -> Response / promise created by another request
const cache = new Map();     // /v1: key -> "credential"
const locks = new Map();     // /v1: key -> lock state
const marks = new Map();     // /wu, /tm: key -> {t, ...} written by work after the response

function slot(k) {
  let s = slots.get(k);
  if (!s) { s = deferred(); slots.set(k, s); }
  return s;
}

// ---- /x: cross-request waits ----------------------------------------------------------------
// One resolver request and several waiter requests share a promise (a deferred in `slots`).
// ?creator= says which request creates it: "resolver" (at its start) or "waiter" (the first
// waiter to arrive). The resolver first does `pre` ms of service-binding I/O (waiters arrive
// meanwhile), then settles the promise as ?mode= says.
async function crossWait(q, env) {
  const k = q.get("k");
  if (q.get("creator") === "resolver" && !slots.has(k)) {
    return new Response("no promise to wait on yet", { status: 409 });
  }
  const s = slot(k);
  const v = await s.promise;
  const post = Number(q.get("post") || "0");
  if (post > 0) await backendDelay(env, post);  // the waiter's own I/O after the wait
  return new Response(`served:${v}`);
}

async function crossResolve(q, env, ctx) {
  const k = q.get("k");
  const mode = q.get("mode");
  const pre = Number(q.get("pre") || "300");
  const delay = Number(q.get("delay") || "200");
  if (q.get("creator") === "resolver") slot(k);
  await backendDelay(env, pre);
  const s = slot(k);
  const settle = (how) => { marks.set(`x:${k}`, { fired: true }); s.resolve(how); };
  if (mode === "active") {
    await backendDelay(env, delay);  // service-binding fetch, then resolve while still active
    settle("active");
    return new Response("resolved-while-active");
  }
  if (mode === "after_timer") {
    // Respond first; a timer of this (then finished) request settles the promise.
    setTimeout(() => settle("after_timer"), delay);
    return new Response("responded-before-resolving");
  }
  if (mode === "after_waituntil") {
    // Respond first; a timer inside ctx.waitUntil settles it.
    ctx.waitUntil(new Promise((r) => setTimeout(() => { settle("after_waituntil"); r(); }, delay)));
    return new Response("responded-before-resolving");
  }
  if (mode === "after_io") {
    // Respond first; an un-awaited service-binding fetch of this request settles it.
    backendDelay(env, delay).then(() => settle("after_io"));
    return new Response("responded-before-resolving");
  }
  return new Response("bad mode", { status: 400 });
}

// ---- /io: I/O objects used by another request ------------------------------------------------
async function ioMake(q, env) {
  const k = q.get("k");
  const what = q.get("what");
  const hold = Number(q.get("hold") || "0");
  if (what === "response") {
    // A Response whose body is still unread, created by this request.
    ioObjects.set(k, await env.BACKEND.fetch(`${BACKEND}/delay?ms=0`));
  } else if (what === "fetch_promise") {
    // The raw in-flight fetch() promise (sharing an in-flight future).
    ioObjects.set(k, env.BACKEND.fetch(`${BACKEND}/delay?ms=${hold / 2}`));
  } else if (what === "text_promise") {
    // An in-flight fetch whose body this request reads: others share only the JS value.
    const p = env.BACKEND.fetch(`${BACKEND}/delay?ms=${hold / 2}`).then((r) => r.text());
    ioObjects.set(k, p);
    await p;
  }
  if (hold > 0) await backendDelay(env, hold);  // stay active while the user runs
  return new Response("made");
}

async function ioUse(q) {
  const k = q.get("k");
  const what = q.get("what");
  const o = ioObjects.get(k);
  if (o === undefined) return new Response("nothing to use", { status: 409 });
  try {
    let body;
    if (what === "response") body = await o.text();
    else if (what === "fetch_promise") body = await (await o).text();
    else if (what === "text_promise") body = await o;
    return new Response(`used:${body}`);
  } catch (e) {
    return new Response(`error:${e && e.message}`, { status: 500 });
  }
}

// ---- /v1: a multistore-v1-shaped per-key lock held across the STS call -------------------------
// Each request: serve from the cache if present; else if another request holds the key's lock,
// wait for it and re-check; else take the lock, call "STS" (a service-binding fetch of `sts`
// ms), store, release. Then `post` ms of the request's own backend I/O (the proxied S3 call).
// Lock shapes (?shape=):
//   shared   - one promise per lock, created by the holder, awaited by every waiter
//   queue    - every waiter creates its own promise and queues it; release resolves them all
//   executor - waiters park a continuation that the releasing request runs synchronously (what
//              a Rust async mutex does under wasm-bindgen-futures: wake() polls the waiter's
//              future on the waker's stack, so the waiter's next I/O is issued by the holder's
//              request); the waiter's own handler awaits a promise it created.
async function v1(q, env) {
  const k = q.get("k");
  const sts = Number(q.get("sts") || "150");
  const post = Number(q.get("post") || "0");
  const shape = q.get("shape") || "shared";
  const rest = async () => {
    if (post > 0) await backendDelay(env, post);
    return new Response(`ok:${cache.get(k)}`);
  };
  for (;;) {
    if (cache.has(k)) return await rest();
    const l = locks.get(k);
    if (!l) break;
    if (shape === "shared") {
      await l.released.promise;
    } else if (shape === "queue") {
      const d = deferred();
      l.waiters.push(() => d.resolve());
      await d.promise;
    } else {  // executor
      const d = deferred();
      l.waiters.push(() => { rest().then(d.resolve, d.reject); });
      return await d.promise;
    }
  }
  const l = { released: deferred(), waiters: [] };
  locks.set(k, l);
  try {
    await backendDelay(env, sts);
    cache.set(k, "cred");
  } finally {
    locks.delete(k);
    l.released.resolve();
    for (const w of l.waiters) w();
  }
  return await rest();
}

// ---- /wu and /tm: work after the response -------------------------------------------------------
function markLater(k, delay, how, env, ctx) {
  const t0 = Date.now();
  const work = (async () => {
    if (how.endsWith("io")) await backendDelay(env, delay);
    else await new Promise((r) => setTimeout(r, delay));
    marks.set(k, { fired: true, after: Date.now() - t0 });
  })();
  if (how.startsWith("waituntil")) ctx.waitUntil(work);
  return new Response("responded");
}

// ---- Durable Objects ----------------------------------------------------------------------------
export class Gates {
  constructor(state, env) {
    this.state = state;
    this.env = env;
    this.memory = null;        // in-memory state, lost on eviction
    this.log = [];             // interleaving log of the current instance
    this.seq = 0;
    this.bornAt = Date.now();
  }

  async fetch(request) {
    const url = new URL(request.url);
    const q = url.searchParams;
    const op = url.pathname.replace(/^\/do\//, "");
    const st = this.state.storage;
    if (op === "interleave") {
      // Records start/end of each request around one await of `mode`.
      const id = q.get("id");
      const mode = q.get("mode");
      this.log.push(`s${id}`);
      if (mode === "fetch") {
        await backendDelay(this.env, Number(q.get("ms") || "100"));
      } else if (mode === "storage") {
        for (let i = 0; i < 20; i++) await st.put(`i-${id}-${i}`, "x".repeat(1000));
        await st.get(`i-${id}-0`);
      }
      this.log.push(`e${id}`);
      return new Response("ok");
    }
    if (op === "log") return Response.json(this.log);
    if (op === "rmw") {
      // Read-modify-write of one stored counter, with `gap` = storage (nothing between the
      // get and the put) or fetch (a service-binding fetch between them).
      const v = (await st.get("counter")) || 0;
      if (q.get("gap") === "fetch") await backendDelay(this.env, 20);
      await st.put("counter", v + 1);
      return new Response(String(v + 1));
    }
    if (op === "counter") return new Response(String((await st.get("counter")) || 0));
    if (op === "burn") {
      burn(Number(q.get("n")));
      return new Response("burnt");
    }
    if (op === "set") {
      this.memory = q.get("v");
      await st.put("durable", q.get("v"));
      return new Response("set");
    }
    if (op === "get") {
      return Response.json({ memory: this.memory, storage: (await st.get("durable")) ?? null,
                             bornAt: this.bornAt });
    }
    return new Response("no such DO route", { status: 404 });
  }
}

// Alarm probes. The handler reports every invocation to the backend's log (this object's
// memory may be evicted between retries), then behaves as the armed plan says.
export class Alarms {
  constructor(state, env) {
    this.state = state;
    this.env = env;
  }

  async record(v) {
    const k = await this.state.storage.get("k");
    await this.env.BACKEND.fetch(`${BACKEND}/record?k=${encodeURIComponent(k)}&v=${encodeURIComponent(v)}`);
  }

  async fetch(request) {
    const url = new URL(request.url);
    const q = url.searchParams;
    const op = url.pathname.replace(/^\/alarm\//, "");
    const st = this.state.storage;
    if (op === "arm") {
      // plan: "throw" (always throws), "throw2" (throws twice, then succeeds),
      // "reset_throw" / "reset_far_throw" (the first attempt sets a new alarm 1 s / 6 s ahead,
      // then throws),
      // "replace" (arm at +2 s, then again at +1 s before it fires), "noop".
      const plan = q.get("plan");
      await st.put("k", q.get("k"));
      await st.put("plan", plan);
      await st.put("attempts", 0);
      const now = Date.now();
      await this.record(`armed:${now}`);
      if (plan === "replace") {
        await st.setAlarm(now + 2000);
        await st.setAlarm(now + 1000);
      } else {
        await st.setAlarm(now + Number(q.get("in") || "500"));
      }
      return Response.json({ alarm: await st.getAlarm(), now });
    }
    if (op === "get") return Response.json({ alarm: await st.getAlarm() });
    return new Response("no such alarm route", { status: 404 });
  }

  async alarm(info) {
    const plan = await this.state.storage.get("plan");
    const attempts = ((await this.state.storage.get("attempts")) || 0) + 1;
    await this.state.storage.put("attempts", attempts);
    await this.record(`fire:${attempts}:${info ? info.retryCount : "?"}:${info ? info.isRetry : "?"}`);
    if (plan === "throw") throw new Error("conformance: alarm handler fails");
    if (plan === "throw2" && attempts <= 2) throw new Error("conformance: alarm handler fails");
    if ((plan === "reset_throw" || plan === "reset_far_throw") && attempts === 1) {
      await this.state.storage.setAlarm(Date.now() + (plan === "reset_throw" ? 1000 : 6000));
      throw new Error("conformance: alarm handler fails after setAlarm");
    }
  }
}

// ---- entry point --------------------------------------------------------------------------------
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const q = url.searchParams;
    const p = url.pathname;
    if (p === "/ping") return new Response("pong");
    if (p === "/x/wait") return crossWait(q, env);
    if (p === "/x/resolve") return crossResolve(q, env, ctx);
    if (p === "/io/make") return ioMake(q, env);
    if (p === "/io/use") return ioUse(q);
    if (p === "/v1") return v1(q, env);
    if (p === "/later") return markLater(q.get("k"), Number(q.get("delay")), q.get("how"), env, ctx);
    if (p === "/log") return env.BACKEND.fetch(`${BACKEND}/log?k=${encodeURIComponent(q.get("k"))}`);
    if (p === "/mark") return Response.json(marks.get(q.get("k")) || { fired: false });
    if (p.startsWith("/do/")) {
      const stub = env.GATES.get(env.GATES.idFromName(q.get("name") || "default"));
      return stub.fetch(request);
    }
    if (p.startsWith("/alarm/")) {
      const stub = env.ALARMS.get(env.ALARMS.idFromName(q.get("name") || "default"));
      return stub.fetch(request);
    }
    return new Response("no such route", { status: 404 });
  },
};

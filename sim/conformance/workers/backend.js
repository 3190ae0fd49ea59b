// credsim conformance suite: the "backend" service, reached through a service binding.
// It stands in for STS (a slow upstream) and keeps an in-memory event log for cases whose
// own memory may be lost (Durable Object alarms, evictions).
//   GET /delay?ms=N        -> 200 "ok" after N ms (a timer inside this service's own request)
//   GET /record?k=K&v=V    -> appends {v, t} to log K (t = Date.now() at arrival)
//   GET /log?k=K           -> JSON array of log K
const logs = new Map();

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const q = url.searchParams;
    if (url.pathname === "/delay") {
      const ms = Number(q.get("ms") || "0");
      if (ms > 0) await new Promise((r) => setTimeout(r, ms));
      return new Response("ok");
    }
    if (url.pathname === "/record") {
      const k = q.get("k");
      if (!logs.has(k)) logs.set(k, []);
      logs.get(k).push({ v: q.get("v"), t: Date.now() });
      return new Response("recorded");
    }
    if (url.pathname === "/log") {
      return Response.json(logs.get(q.get("k")) || []);
    }
    return new Response("no such backend route", { status: 404 });
  },
};

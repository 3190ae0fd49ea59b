#!/usr/bin/env python3
"""credsim platform conformance suite: runs small Workers in the real runtime (workerd).

Each case probes one platform behaviour that credsim's world model assumes, and asserts what
workerd did. A failure names the case and its section of docs/platform-conformance.md: a
workerd release that changes behaviour fails loudly instead of silently invalidating the model.

Usage: run_conformance.py [--workerd PATH] [--only CASE[,CASE...]] [--list] [--quick] [--json FILE]

Exit codes: 0 all cases passed, 1 a case failed, 77 workerd is unavailable (CTest skip;
with CREDSIM_REQUIRE_WORKERD=1, as in CI, a missing workerd is a failure instead).
workerd is found at --workerd, else $CREDSIM_WORKERD, else
${CREDSIM_DEPS:-$HOME/.cache/credsim}/workerd-<version>/node_modules/.bin/workerd with <version>
read from WORKERD_VERSION beside this script (scripts/setup installs it there).
Python 3 standard library only.
"""

import argparse
import atexit
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
DOC = "docs/platform-conformance.md"
SKIP = 77


def pinned_version():
    with open(os.path.join(HERE, "WORKERD_VERSION")) as f:
        return f.read().strip()


def find_workerd(explicit):
    version = pinned_version()
    if explicit:
        return explicit, version
    if os.environ.get("CREDSIM_WORKERD"):
        return os.environ["CREDSIM_WORKERD"], version
    deps = os.environ.get("CREDSIM_DEPS") or os.path.join(os.path.expanduser("~"), ".cache", "credsim")
    return os.path.join(deps, f"workerd-{version}", "node_modules", ".bin", "workerd"), version


def compat_date(version):
    # npm version 1.YYYYMMDD.N -> compatibility date YYYY-MM-DD (the newest the binary supports).
    d = version.split(".")[1]
    return f"{d[0:4]}-{d[4:6]}-{d[6:8]}"


CONFIG = """using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .mainWorker),
    (name = "backend", worker = .backendWorker),
    (name = "do-disk", disk = (path = "{storage}", writable = true)),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "main") ],
);

const mainWorker :Workerd.Worker = (
  modules = [ (name = "main.js", esModule = embed "main.js") ],
  compatibilityDate = "{date}",
  bindings = [
    (name = "BACKEND", service = "backend"),
    (name = "GATES", durableObjectNamespace = "Gates"),
    (name = "ALARMS", durableObjectNamespace = "Alarms"),
  ],
  durableObjectNamespaces = [
    (className = "Gates", uniqueKey = "credsim-conformance-gates"),
    (className = "Alarms", uniqueKey = "credsim-conformance-alarms"),
  ],
  durableObjectStorage = (localDisk = "do-disk"),
);

const backendWorker :Workerd.Worker = (
  modules = [ (name = "backend.js", esModule = embed "backend.js") ],
  compatibilityDate = "{date}",
);
"""

_live = []  # every started Workerd, stopped on any exit path


def _stop_all(*_):
    for w in list(_live):
        w.stop()


atexit.register(_stop_all)


def _on_signal(signum, _frame):
    _stop_all()
    sys.exit(128 + signum)


class Workerd:
    """One `workerd serve` process on an OS-chosen loopback port (a pre-bound socket is passed
    with --socket-fd, so there is no port race). `storage` is the Durable Object directory:
    pass the same one to a second Workerd to model a restart with storage surviving."""

    def __init__(self, binary, version, tmp, storage=None, name="w"):
        self.binary, self.version, self.name = binary, version, name
        self.dir = tempfile.mkdtemp(prefix=f"{name}-", dir=tmp)
        self.storage = storage or os.path.join(self.dir, "do-storage")
        os.makedirs(self.storage, exist_ok=True)
        for f in ("main.js", "backend.js"):
            shutil.copy(os.path.join(HERE, "workers", f), self.dir)
        self.config = os.path.join(self.dir, "config.capnp")
        with open(self.config, "w") as f:
            f.write(CONFIG.format(storage=self.storage, date=compat_date(version)))
        self.proc = None
        self.log_path = os.path.join(self.dir, "workerd.log")

    def start(self, timeout=15.0):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(512)
        self.port = sock.getsockname()[1]
        fd = sock.fileno()
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [self.binary, "serve", self.config, "--socket-fd", f"http={fd}"],
            pass_fds=(fd,), stdout=self._log, stderr=subprocess.STDOUT, cwd=self.dir,
            start_new_session=True)
        sock.close()  # workerd holds its own copy
        _live.append(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"workerd exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if get(self.port, "/ping", timeout=1.0)[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"workerd did not answer /ping within {timeout}s:\n{self.log()}")

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=5)
        if self in _live:
            _live.remove(self)


# ---- HTTP ---------------------------------------------------------------------------------------

HUNG = "hung"  # status recorded for a request that did not complete within its timeout


def get(port, path, timeout=3.0):
    """GET path; returns (status, body, seconds). A request still open after `timeout` is
    returned as (HUNG, '', timeout): "never completes" is asserted with a bounded wait."""
    t0 = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": "conformance.test", "Connection": "close"})
        r = conn.getresponse()
        body = r.read().decode("utf-8", "replace")
        return r.status, body, time.monotonic() - t0
    except (socket.timeout, TimeoutError):
        return HUNG, "", time.monotonic() - t0
    finally:
        conn.close()


def get_json(port, path, timeout=3.0):
    s, b, _ = get(port, path, timeout)
    if s != 200:
        raise AssertionError(f"{path}: status {s}, body {b[:300]!r}")
    return json.loads(b)


def concurrent(port, paths, timeout=3.0, stagger=0.0):
    """Sends every path at once (each on its own connection); returns the results in order."""
    with ThreadPoolExecutor(max_workers=max(1, len(paths))) as ex:
        futs = []
        for p in paths:
            futs.append(ex.submit(get, port, p, timeout))
            if stagger:
                time.sleep(stagger)
        return [f.result() for f in futs]


def statuses(results):
    out = {}
    for s, _, _ in results:
        out[str(s)] = out.get(str(s), 0) + 1
    return dict(sorted(out.items()))


# ---- cases --------------------------------------------------------------------------------------

class CaseFailed(AssertionError):
    pass


def check(cond, case, what, observed):
    if not cond:
        raise CaseFailed(
            f"[{case.name}] workerd no longer behaves as recorded: {what}\n"
            f"    observed: {json.dumps(observed, sort_keys=True)[:1500]}\n"
            f"    see {DOC} §{case.anchor}: update the section (and the model parameter it grounds)")


class Case:
    def __init__(self, name, anchor, fn, background=False):
        self.name, self.anchor, self.fn, self.background = name, anchor, fn, background


CASES = []


def case(name, anchor, background=False):
    def deco(fn):
        CASES.append(Case(name, anchor, fn, background))
        return fn
    return deco


def log_counts(w, since):
    """Counts of the runtime's error messages in workerd's log after offset `since`."""
    text = w.log()[since:]
    keys = {
        "hung": "detected that your Worker's code had hung",
        "creator_ended": "This promise was created by a request that has since ended",
        "different_request": "Cannot perform I/O on behalf of a different request",
    }
    return {k: text.count(v) for k, v in keys.items()}


def cross_wait_round(w, k, creator, mode, post=0, waiters=5):
    """One resolver and `waiters` waiters share a promise; see /x in workers/main.js."""
    since = len(w.log())
    with ThreadPoolExecutor(max_workers=waiters + 1) as ex:
        fr = ex.submit(get, w.port,
                       f"/x/resolve?k={k}&mode={mode}&creator={creator}&pre=300&delay=300", 4.0)
        time.sleep(0.1)  # waiters arrive during the resolver's first 300 ms of I/O
        fs = [ex.submit(get, w.port, f"/x/wait?k={k}&creator={creator}&post={post}", 3.0)
              for _ in range(waiters)]
        res = [f.result() for f in fs]
        r = fr.result()
    time.sleep(0.5)  # past the resolver's timer/I-O, if it were to run
    return {
        "resolver": r[0],
        "waiters": statuses(res),
        "waiter_max_s": round(max(x[2] for x in res), 2),
        "bodies": sorted(set(x[1][:40] for x in res)),
        "settled_by_resolver": get_json(w.port, f"/mark?k=x:{k}")["fired"],
        "log": log_counts(w, since),
    }


@case("cross_request_wait.promise_of_active_request", "cross-request-waits")
def c_active(w, c):
    out = {}
    for post in (0, 50):
        o = cross_wait_round(w, f"act{post}", "resolver", "active", post)
        out[f"post={post}"] = o
        check(o["resolver"] == 200 and o["waiters"] == {"200": 5} and o["settled_by_resolver"],
              c, "5 waiters on a promise created and settled by an active request are served", o)
    return out


@case("cross_request_wait.promise_of_finished_request", "cross-request-waits")
def c_finished(w, c):
    out = {}
    for mode in ("after_timer", "after_io"):
        o = cross_wait_round(w, f"fin-{mode}", "resolver", mode)
        out[mode] = o
        check(o["resolver"] == 200 and o["waiters"] == {"500": 5} and not o["settled_by_resolver"],
              c, f"{mode}: the creator responded first; its timer/un-awaited I/O never runs and "
                 "every waiter fails with 500", o)
        check(o["waiter_max_s"] < 1.0 and o["log"]["creator_ended"] >= 5, c,
              f"{mode}: waiters fail when the creating request ends (not after a hang timeout), "
              "with 'This promise was created by a request that has since ended'", o)
    o = cross_wait_round(w, "fin-waituntil", "resolver", "after_waituntil")
    out["after_waituntil"] = o
    check(o["waiters"] == {"200": 5} and o["settled_by_resolver"], c,
          "after_waituntil: settling inside ctx.waitUntil after the response still serves the waiters", o)
    return out


@case("cross_request_wait.own_promise_without_io", "hang-detection")
def c_own(w, c):
    out = {}
    for mode in ("active", "after_waituntil"):
        o = cross_wait_round(w, f"own-{mode}", "waiter", mode)
        out[mode] = o
        check(o["waiters"] == {"500": 5} and o["waiter_max_s"] < 0.5, c,
              f"{mode}: a request awaiting a promise it created itself, with no I/O of its own, "
              "fails with 500 at once, although another request will settle it", o)
        check(o["log"]["hung"] == 1 and o["log"]["creator_ended"] >= 4, c,
              f"{mode}: the creating waiter is cancelled as hung ('code had hung'), the other "
              "waiters because their promise's creator ended", o)
    return out


@case("io_object_of_another_request", "io-objects")
def c_io(w, c):
    out = {}
    for what in ("response", "fetch_promise", "text_promise"):
        with ThreadPoolExecutor(max_workers=2) as ex:
            fm = ex.submit(get, w.port, f"/io/make?k=io-{what}&what={what}&hold=400")
            time.sleep(0.1)
            during = get(w.port, f"/io/use?k=io-{what}&what={what}")
            fm.result()
        get(w.port, f"/io/make?k=io2-{what}&what={what}&hold=0")
        after = get(w.port, f"/io/use?k=io2-{what}&what={what}")
        out[what] = {"while_creator_active": [during[0], during[1][:90]],
                     "after_creator_ended": [after[0], after[1][:90]]}
    for what, when in (("response", "while_creator_active"), ("response", "after_creator_ended"),
                       ("fetch_promise", "while_creator_active")):
        s, b = out[what][when]
        check(s == 500 and "Cannot perform I/O on behalf of a different request" in b, c,
              f"{what} {when}: reading another request's Response body throws "
              "'Cannot perform I/O on behalf of a different request'", out)
    s, b = out["fetch_promise"]["after_creator_ended"]
    check(s == 500 and "created by a request that has since ended" in b, c,
          "an in-flight fetch() promise whose creator ended can never settle (rejects at once)", out)
    for when in ("while_creator_active", "after_creator_ended"):
        check(out["text_promise"][when][0] == 200, c,
              f"text_promise {when}: a plain JS value settled by another request is usable", out)
    return out


@case("v1_lock_herd", "v1-lock-herd")
def c_herd(w, c):
    out = {}
    for shape in ("shared", "queue", "executor"):
        for post in (0, 50):
            since = len(w.log())
            t0 = time.monotonic()
            res = concurrent(w.port, [f"/v1?k=herd-{shape}-{post}&shape={shape}&sts=1000&post={post}"] * 80,
                             timeout=3.0)
            o = {"statuses": statuses(res), "wall_s": round(time.monotonic() - t0, 2),
                 "fail_max_s": round(max([x[2] for x in res if x[0] != 200] or [0]), 2),
                 "log": log_counts(w, since)}
            out[f"{shape},post={post}"] = o
            if shape == "shared":
                check(o["statuses"] == {"200": 80}, c,
                      f"{shape}: waiters on the holder's promise are all served", o)
            else:
                check(o["statuses"] == {"200": 1, "500": 79} and o["log"]["hung"] == 79
                      and o["fail_max_s"] < 0.5, c,
                      f"{shape}: every waiter (awaiting a promise it created) is cancelled at once "
                      "as hung (500); only the lock holder is served", o)
    return out


@case("wait_until_and_finished_request_work", "wait-until")
def c_later(w, c):
    for how in ("waituntil_timer", "waituntil_io", "timer", "io"):
        s = get(w.port, f"/later?k=later-{how}&delay=500&how={how}")[0]
        check(s == 200, c, f"{how}: responds at once", {"status": s})
    time.sleep(1.0)
    out = {how: get_json(w.port, f"/mark?k=later-{how}") for how in
           ("waituntil_timer", "waituntil_io", "timer", "io")}
    for how in ("waituntil_timer", "waituntil_io"):
        check(out[how]["fired"] and 450 <= out[how]["after"] <= 900, c,
              f"{how}: work inside ctx.waitUntil runs after the response", out)
    for how in ("timer", "io"):
        check(not out[how]["fired"], c,
              f"{how}: a timer / un-awaited fetch of a finished request (no waitUntil) never runs", out)
    return out


@case("durable_object.input_gate", "do-input-gates")
def c_gates(w, c):
    out = {}
    for mode in ("fetch", "storage"):
        name = f"gate-{mode}"
        res = concurrent(w.port, [f"/do/interleave?name={name}&mode={mode}&id={i}&ms=100"
                                  for i in range(5)], stagger=0.01)
        log = get_json(w.port, f"/do/log?name={name}")
        depth = peak = 0
        for e in log:
            depth += 1 if e[0] == "s" else -1
            peak = max(peak, depth)
        out[mode] = {"statuses": statuses(res), "log": log, "max_in_flight": peak}
    check(out["fetch"]["max_in_flight"] == 5, c,
          "awaiting a fetch() opens the input gate: all 5 requests are in the handler at once", out)
    check(out["storage"]["max_in_flight"] == 1, c,
          "awaiting storage keeps the input gate closed: requests run one after another", out)
    for gap in ("storage", "fetch"):
        res = concurrent(w.port, [f"/do/rmw?name=rmw-{gap}&gap={gap}"] * 20)
        out[f"rmw,gap={gap}"] = {"statuses": statuses(res),
                                 "counter": int(get(w.port, f"/do/counter?name=rmw-{gap}")[1])}
    check(out["rmw,gap=storage"]["counter"] == 20, c,
          "20 concurrent get/put increments lose no update (input gate)", out)
    check(out["rmw,gap=fetch"]["counter"] < 20, c,
          "with a fetch() between get and put, concurrent increments lose updates", out)
    return out


@case("durable_object.single_thread_cpu", "do-single-thread")
def c_cpu(w, c):
    n = 3_000_000
    one = min(get(w.port, f"/do/burn?name=cpu-cal&n={n}", 10)[2] for _ in range(2))
    res = concurrent(w.port, [f"/do/burn?name=cpu-one&n={n}"] * 5, timeout=20)
    res5 = concurrent(w.port, [f"/do/burn?name=cpu-{i}&n={n}" for i in range(5)], timeout=20)
    out = {"single_s": round(one, 3),
           "same_object_s": sorted(round(x[2], 3) for x in res),
           "five_objects_s": sorted(round(x[2], 3) for x in res5)}
    check(statuses(res) == {"200": 5} and max(x[2] for x in res) >= 3.5 * one, c,
          "5 CPU-bound requests to one object take about 5x one request (serialised)", out)
    return out


@case("durable_object.memory_lost_storage_survives", "do-memory-storage", background=True)
def c_evict(w, c):
    get(w.port, "/do/set?name=ev-early&v=alpha")
    get(w.port, "/do/set?name=ev-late&v=beta")
    before = get_json(w.port, "/do/get?name=ev-late")
    time.sleep(5)
    early = get_json(w.port, "/do/get?name=ev-early")
    time.sleep(8)
    late = get_json(w.port, "/do/get?name=ev-late")
    out = {"after_5s_idle": early, "after_13s_idle": late}
    check(early["memory"] == "alpha", c, "in-memory state survives 5 s idle", out)
    check(late["memory"] is None and late["storage"] == "beta" and late["bornAt"] != before["bornAt"],
          c, "after 13 s idle the instance was evicted: memory lost, constructor reran, storage kept", out)
    return out


@case("durable_object.restart_keeps_storage", "do-memory-storage")
def c_restart(w, c):
    w1 = Workerd(w.binary, w.version, os.path.dirname(w.dir), name="restart").start()
    try:
        get(w1.port, "/do/set?name=rs&v=gamma")
        before = get_json(w1.port, "/do/get?name=rs")
    finally:
        w1.stop()
    w2 = Workerd(w.binary, w.version, os.path.dirname(w.dir), storage=w1.storage, name="restart2").start()
    try:
        after = get_json(w2.port, "/do/get?name=rs")
    finally:
        w2.stop()
    out = {"before": before, "after_restart": after}
    check(before["memory"] == "gamma" and after["memory"] is None and after["storage"] == "gamma",
          c, "a process restart drops in-memory state; localDisk storage survives", out)
    return out


def alarm_fires(w, k):
    """[(label, ms since arming)] from the backend's log of alarm `k`."""
    log = get_json(w.port, f"/log?k={k}")
    armed = int(log[0]["v"].split(":")[1])
    return [(e["v"], e["t"] - armed) for e in log[1:]]


def wait_for_fires(w, k, n, deadline_s):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        f = alarm_fires(w, k)
        if len(f) >= n:
            return f
        time.sleep(0.5)
    return alarm_fires(w, k)


FULL = False  # --full: observe the whole alarm retry series (about 150 s)


@case("durable_object.alarm_retry", "do-alarms", background=True)
def c_alarm_retry(w, c):
    for plan in ("throw", "throw2"):
        get(w.port, f"/alarm/arm?name=ar-{plan}&k=ar-{plan}&plan={plan}&in=500")
    retries = 6 if FULL else 4
    fires = wait_for_fires(w, "ar-throw", 1 + retries, 2 * (2 ** (retries + 1)) + 10)
    out = {"throw": fires}
    check(len(fires) >= 1 + retries, c, f"a throwing alarm() is retried at least {retries} times", out)
    gaps = [round((b[1] - a[1]) / 1000, 2) for a, b in zip(fires, fires[1:])]
    out["gaps_s"] = gaps
    for i, g in enumerate(gaps[:retries]):
        nominal = 2.0 * 2 ** i
        check(nominal - 0.1 <= g <= nominal * 1.25 + 0.5, c,
              f"retry {i + 1} comes {nominal:g} s after the previous attempt (doubling from 2 s, "
              "up to ~25 % later)", out)
    for i, (label, _) in enumerate(fires[:1 + retries]):
        check(label == f"fire:{i + 1}:{i}:{'true' if i else 'false'}", c,
              "alarmInfo.retryCount counts retries and isRetry marks them", out)
    if FULL:
        time.sleep(10)
        out["throw"] = fires = alarm_fires(w, "ar-throw")
        out["pending_after_series"] = get_json(w.port, "/alarm/get?name=ar-throw")["alarm"]
        check(len(fires) == 7 and out["pending_after_series"] is None, c,
              "after the 6th failed retry the platform gives up (7 invocations, no alarm left)", out)
    out["throw2"] = alarm_fires(w, "ar-throw2")
    check(len(out["throw2"]) == 3, c, "a handler that fails twice then succeeds runs 3 times", out)
    return out


@case("durable_object.set_alarm_while_pending", "do-alarms", background=True)
def c_alarm_set(w, c):
    out = {}
    for plan in ("replace", "reset_throw", "reset_far_throw"):
        out[f"arm:{plan}"] = get_json(w.port, f"/alarm/arm?name=as-{plan}&k=as-{plan}&plan={plan}&in=500")
    time.sleep(11)
    for plan in ("replace", "reset_throw", "reset_far_throw"):
        out[plan] = alarm_fires(w, f"as-{plan}")
    r = out["replace"]
    check(len(r) == 1 and 900 <= r[0][1] <= 1600, c,
          "setAlarm() while one is pending replaces it: one invocation, at the later-set time", out)
    r = out["reset_throw"]
    check(len(r) == 2 and r[1][0] == "fire:2:0:false" and 1300 <= r[1][1] <= 2100, c,
          "a handler that sets a 1 s alarm and then throws: the new alarm fires (not a retry) and "
          "replaces the retry", out)
    r = out["reset_far_throw"]
    check(len(r) == 2 and r[1][0] == "fire:2:0:false" and 6300 <= r[1][1] <= 7200, c,
          "a handler that sets a 6 s alarm and then throws: no retry at +2 s; the alarm it set "
          "fires at +6 s as a fresh invocation (setAlarm in a failing handler replaces the retry)", out)
    return out


def main():
    global FULL
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workerd")
    ap.add_argument("--only", help="comma-separated case names (prefix match)")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--full", action="store_true",
                    help="observe the whole alarm retry series (adds about 110 s)")
    ap.add_argument("--json", help="write every case's observations to this file")
    args = ap.parse_args()
    FULL = args.full or os.environ.get("CREDSIM_CONFORMANCE_FULL") == "1"
    if args.list:
        for cs in CASES:
            print(f"{cs.name:50s} {DOC}#{cs.anchor}")
        return 0
    cases = CASES
    if args.only:
        pre = args.only.split(",")
        cases = [cs for cs in CASES if any(cs.name.startswith(p) for p in pre)]
    binary, version = find_workerd(args.workerd)
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        print(f"SKIP: workerd {version} not found at {binary} (run scripts/setup; it installs "
              f"workerd@{version} from npm, or set CREDSIM_WORKERD)")
        # CI sets CREDSIM_REQUIRE_WORKERD=1: there, a missing runtime is a failure, not a skip.
        return 1 if os.environ.get("CREDSIM_REQUIRE_WORKERD") == "1" else SKIP
    try:
        got = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError) as e:
        print(f"SKIP: {binary} does not run: {e}")
        return 1 if os.environ.get("CREDSIM_REQUIRE_WORKERD") == "1" else SKIP
    if got != f"workerd {compat_date(version)}":
        print(f"FAIL: {binary} reports {got!r}, the pinned version is {version} "
              f"(sim/conformance/WORKERD_VERSION)")
        return 1
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, _on_signal)
    tmp = tempfile.mkdtemp(prefix="credsim-conformance-")
    results, failures = {}, []
    t_start = time.monotonic()
    try:
        w = Workerd(binary, version, tmp, name="main").start()

        def run(cs):
            t0 = time.monotonic()
            try:
                obs = cs.fn(w, cs)
                results[cs.name] = {"ok": True, "observed": obs}
                print(f"PASS {cs.name} ({time.monotonic() - t0:.1f}s)", flush=True)
            except Exception as e:  # a case failing must not stop the others
                results[cs.name] = {"ok": False, "error": str(e)}
                failures.append(cs.name)
                msg = str(e) if isinstance(e, CaseFailed) else f"[{cs.name}] {type(e).__name__}: {e}"
                print(f"FAIL {cs.name} ({time.monotonic() - t0:.1f}s)\n{msg}", flush=True)

        bg = [threading.Thread(target=run, args=(cs,), daemon=True) for cs in cases if cs.background]
        for t in bg:
            t.start()
        for cs in cases:
            if not cs.background:
                run(cs)
        for t in bg:
            t.join(timeout=400)
            if t.is_alive():
                failures.append("(a background case did not finish)")
        if failures and os.environ.get("CREDSIM_CONFORMANCE_LOG") == "1":
            print(w.log()[-6000:])
    except RuntimeError as e:
        print(f"FAIL: {e}")
        return 1
    finally:
        _stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"workerd": version, "full": FULL, "results": results}, f, indent=1, sort_keys=True)
    print(f"{len(cases) - len(failures)}/{len(cases)} cases passed against workerd {version} "
          f"in {time.monotonic() - t_start:.0f}s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

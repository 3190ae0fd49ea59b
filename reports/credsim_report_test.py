#!/usr/bin/env python3
"""Tests for credsim_report.py.

Run from reports/:  /usr/bin/python3 -B -m unittest -v credsim_report_test
CTest runs:         ${CREDSIM_PYTHON} -B credsim_report_test.py -v [--exclude CLASS]...
When run as a script, the exit code is 77 (CTest SKIP_RETURN_CODE) if matplotlib is
not importable and nothing failed; under `-m unittest` the plotting tests are just
reported as skipped. Everything is written to temporary directories only.

Renders run the script's main() in this process (report_test_support.run_in_process: no
interpreter start-up and matplotlib import per render), and the plain synthetic results are
rendered once and shared by the tests that read them (RENDERS). Input validation, the
missing-matplotlib exit and the second render of every byte-identity check run the script
as a subprocess, as credsim does, so each such check compares two different processes.
"""

import sys

sys.dont_write_bytecode = True  # never leave __pycache__ in the repo

import math
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import credsim_report as cr  # noqa: E402  (no matplotlib at import time)
from report_test_support import (  # noqa: E402
    PNG_SIGNATURE, RenderCache, TempDirTestCase, main, needs_mpl, run_in_process, run_script)

SCRIPT = os.path.join(HERE, "credsim_report.py")
PNGS = ("sts_calls_over_time.png", "auth_latency_cdf.png", "errors_and_cost.png")


def synthetic_results(scenario="long-tail-cold", seed=1):
    """A realistic results document: 3 strategies, 60 one-minute time-series points."""
    rng = random.Random(seed)
    n, interval = 60, 60.0
    t_s = [i * interval for i in range(n)]

    def series(cold_spike, steady, err_rate):
        requests = [int(2000 + 600 * rng.random()) for _ in range(n)]
        sts = [cold_spike if i == 0 else int(steady + rng.random() * steady) for i in range(n)]
        errors = [1 if rng.random() < err_rate else 0 for _ in range(n)]
        return {"t_s": t_s, "requests": requests, "sts_calls": sts, "errors": errors,
                "unknown_series": [0] * n}

    def cdf(p50, p99, p999, mx):
        return [[p50 * 0.5, 0.2], [p50, 0.5], [p50 * 2, 0.9], [p99, 0.99], [p999, 0.999], [mx, 1.0]]

    def strategy(name, kind, params, ts, lat, hit, warm, errors, cost, exposure):
        requests = sum(ts["requests"])
        return {
            "name": name, "kind": kind, "params": params,
            "requests": requests, "sts_calls": sum(ts["sts_calls"]),
            "sts_calls_peak_per_s": max(ts["sts_calls"]) // 10 + 1,
            "sts_throttled": 0,
            "errors": errors,
            "error_ratio": sum(errors.values()) / requests,
            "auth_latency_ms": lat,
            "auth_latency_cdf_ms": cdf(lat["p50"], lat["p99"], lat["p999"], lat["max"]),
            "hit_ratio": hit,
            "cold_starts": 400,
            "warm_request_ratio": warm,
            "expired_credential_uses": 0,
            "cost_usd": cost,
            "exposure": exposure,
            "timeseries": ts,
            "future_field": {"ignored": True},
        }

    strategies = [
        strategy("l1", "l1", {"refresh_margin_s": 300},
                 series(400, 10, 0.05),
                 {"p50": 0.012, "p90": 0.02, "p99": 180.3, "p999": 950.1, "max": 10000.0, "mean": 2.1},
                 {"l1": 0.9934, "l2": 0.0, "kv": 0.0, "do": 0.0}, 0.9967,
                 {"403": 0, "500": 0, "502": 3, "503": 11},
                 {"kv_reads": 0.0, "kv_writes": 0.0, "do_requests": 0.0, "do_duration": 0.0,
                  "workers_cpu": 0.0123, "total": 0.0123},
                 {"credential_seconds_at_rest": 0.0, "places": 0}),
        strategy("l1+kv", "kv", {"kv_ttl_s": 900, "l1": True},
                 series(40, 2, 0.02),
                 {"p50": 0.013, "p90": 0.03, "p99": 21.7, "p999": 190.4, "max": 2500.0, "mean": 0.4},
                 {"l1": 0.9931, "l2": 0.0, "kv": 0.0061, "do": 0.0}, 0.9967,
                 {"403": 1, "500": 0, "502": 0, "503": 2},
                 {"kv_reads": 0.061, "kv_writes": 0.0043, "do_requests": 0.0, "do_duration": 0.0,
                  "workers_cpu": 0.0131, "total": 0.0784},
                 {"credential_seconds_at_rest": 3412.5, "places": 310}),
        strategy("do-singleton", "do", {"refresh_margin_s": 600},
                 series(1, 0, 0.0),
                 {"p50": 0.011, "p90": 0.02, "p99": 14.2, "p999": 41.9, "max": 380.0, "mean": 0.2},
                 {"l1": 0.9929, "l2": 0.0, "kv": 0.0, "do": 0.0071}, 0.9967,
                 {"403": 0, "500": 0, "502": 0, "503": 0},
                 {"kv_reads": 0.0, "kv_writes": 0.0, "do_requests": 0.135, "do_duration": 0.412,
                  "workers_cpu": 0.0129, "total": 0.5599},
                 {"credential_seconds_at_rest": 3600.0, "places": 1}),
    ]
    return {
        "credsim_version": "0.1.0",
        "scenario": scenario,
        "description": "Long-tail traffic with many cold isolates; compares L1, L1+KV and a DO singleton.",
        "seed": seed,
        "duration_s": n * interval,
        "warmup_s": 300.0,
        "timeseries_interval_s": interval,
        "generator": {"host": "ignored"},
        "strategies": strategies,
    }


T975 = {1: 12.706204736, 2: 4.302652730, 4: 2.776445105, 9: 2.262157163}


def numeric_leaves(obj, prefix=""):
    """Dotted keys of every numeric leaf not inside an array (spec section 1)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from numeric_leaves(v, f"{prefix}.{k}" if prefix else k)
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield prefix, float(obj)


def replicated_results(n=10, seed=1):
    """synthetic_results with n replications: the entries keep replication 0's values and gain
    "stats" and "replications" as `credsim run --replications n` writes them."""
    base = synthetic_results(seed=seed)
    rng = random.Random(seed + 100)
    base["replications"] = n
    base["seeds"] = [seed + r for r in range(n)]
    base["fingerprint"] = {"scenario_sha256": "0" * 64, "seed": seed, "replications": n,
                           "credsim_version": "0.1.0"}
    for s in base["strategies"]:
        s["errors"]["total"] = sum(s["errors"].values())
        rep0 = {k: v for k, v in numeric_leaves(s) if k not in ("params.refresh_margin_s", "params.kv_ttl_s")}
        def vary(k, v):
            x = v * (1 + 0.1 * rng.gauss(0, 1)) if v else 0.0
            return min(x, 1.0) if "ratio" in k else x
        reps = [rep0] + [{k: vary(k, v) for k, v in rep0.items()} for _ in range(n - 1)]
        s["replications"] = [{"seed": seed + r, "values": values} for r, values in enumerate(reps)]
        stats = {}
        for key in rep0:
            xs = [r[key] for r in reps]
            mean = sum(xs) / n
            if n == 1:
                stats[key] = {"n": 1, "mean": mean, "sd": None, "ci95": None, "half_width": None}
                continue
            sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
            hw = T975[n - 1] * sd / math.sqrt(n)
            stats[key] = {"n": n, "mean": mean, "sd": sd, "ci95": [mean - hw, mean + hw], "half_width": hw}
        s["stats"] = stats
    return base



# The renders shared by several tests of this process (read only).
RENDERS = RenderCache(cr.main, "credsim_report_test_shared_")


def synthetic_render():
    """(Run, directory) of `credsim_report.py results.json --out out` on synthetic_results(),
    rendered once per process; the outputs are in directory/out."""
    return RENDERS.get("synthetic", {"results.json": synthetic_results()},
                       lambda d: [os.path.join(d, "results.json"), "--out", os.path.join(d, "out")])


class ReportTestBase(TempDirTestCase):
    TMP_PREFIX = "credsim_report_test_"

    def run_report(self, *args, env=None):
        """The script as a subprocess in self.tmp."""
        return run_script(SCRIPT, args, cwd=self.tmp, env=env, timeout=300)

    def render(self, *args):
        """The script's main() in this process, in self.tmp."""
        return run_in_process(cr.main, args, cwd=self.tmp)


class BadInputTest(ReportTestBase):
    """Input validation happens before matplotlib is imported, so these run everywhere."""

    def assert_bad_input(self, path, out, fragment):
        proc = self.run_report(path, "--out", out)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn(os.path.basename(path), proc.stderr)
        self.assertIn(fragment, proc.stderr)
        self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)
        self.assertFalse(os.path.exists(os.path.join(out, "report.md")))

    def test_bad_json_exits_2_and_writes_nothing(self):
        out = os.path.join(self.tmp, "out")
        self.assert_bad_input(self.write("broken.json", '{"strategies": [ {"name": "l1",'), out, "not valid JSON")
        self.assertFalse(os.path.exists(out))

    def test_missing_file_exits_2(self):
        self.assert_bad_input(os.path.join(self.tmp, "nope.json"), os.path.join(self.tmp, "out"), "no such file")

    def test_no_strategies_exits_2(self):
        out = os.path.join(self.tmp, "out")
        self.assert_bad_input(self.write("empty.json", {"scenario": "x"}), out, '"strategies"')
        self.assert_bad_input(self.write("nolist.json", {"strategies": {"l1": {}}}), out, '"strategies"')
        self.assert_bad_input(self.write("zero.json", {"strategies": []}), out, "empty")

    def test_one_bad_file_among_several_writes_nothing(self):
        good = self.write("good.json", synthetic_results())
        bad = self.write("bad.json", "not json at all")
        out = os.path.join(self.tmp, "out")
        proc = self.run_report(good, bad, "--out", out)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("bad.json", proc.stderr)
        self.assertFalse(os.path.exists(out))

    def test_help(self):
        proc = self.run_report("--help")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("--out", proc.stdout)

    def test_missing_matplotlib_exits_3(self):
        # A fake matplotlib package that fails to import shadows the real one.
        fake = os.path.join(self.tmp, "fake_site", "matplotlib")
        os.makedirs(fake)
        self.write(os.path.join("fake_site", "matplotlib", "__init__.py"), "raise ImportError('fake: no matplotlib')\n")
        good = self.write("good.json", synthetic_results())
        out = os.path.join(self.tmp, "out")
        proc = self.run_report(good, "--out", out, env={"PYTHONPATH": os.path.dirname(fake)})
        self.assertEqual(proc.returncode, 3, proc.stderr)
        self.assertIn(sys.executable, proc.stderr)
        self.assertIn("python3-matplotlib", proc.stderr)
        self.assertFalse(os.path.exists(os.path.join(out, "report.md")))


@needs_mpl
class ReportTest(ReportTestBase):
    def assert_outputs(self, out_dir, names):
        for png in PNGS:
            path = os.path.join(out_dir, png)
            self.assertTrue(os.path.isfile(path), path)
            self.assertGreater(os.path.getsize(path), 1000, path)
            self.assertEqual(self.read(path, "rb")[:8], PNG_SIGNATURE, path)
        report = self.read(os.path.join(out_dir, "report.md"))
        lines = report.splitlines()
        header = [i for i, line in enumerate(lines) if line.startswith("| Strategy | Requests |")]
        self.assertEqual(len(header), 1, report)
        h = header[0]
        self.assertRegex(lines[h + 1], r"^\|(:?-+:?\|)+$")
        rows = lines[h + 2:h + 2 + len(names)]
        for name, row in zip(names, rows):
            self.assertTrue(row.startswith(f"| {name} |"), row)
            self.assertEqual(row.count(" | "), lines[h].count(" | "), row)
        for png in PNGS:
            self.assertIn(f"]({png})", report)
        return report

    def test_single_file_writes_pngs_and_report(self):
        run, d = synthetic_render()
        self.assertEqual(run.returncode, 0, run.stderr)
        report = self.assert_outputs(os.path.join(d, "out"), ["l1", "l1+kv", "do-singleton"])
        self.assertIn("# credsim report: long-tail-cold", report)
        self.assertIn("Long-tail traffic with many cold isolates", report)
        self.assertIn("0.1.0", report)
        # Formatting: thousands separators for counts, 3 significant digits for latencies.
        self.assertIn("| 180 | 950 |", report)
        self.assertIn("| 21.7 | 190 |", report)
        self.assertIn("| 3,600 | 1 |", report)
        self.assertRegex(report, r"\| l1 \| \d{3},\d{3} \|")
        self.assertNotIn("## Notes", report)
        self.assertEqual(run.repo_after, run.repo_before, "the script wrote into the repo")

    def test_warnings_and_initial_state_are_shown(self):
        data = synthetic_results()
        data["initial_state"] = "cold"
        data["warnings"] = ["The measured window (30m) is shorter than one credential lifetime (1h)."]
        results = self.write("results.json", data)
        out = os.path.join(self.tmp, "out")
        proc = self.render(results, "--out", out)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        report = self.read(os.path.join(out, "report.md"))
        self.assertIn("> **Warning:** The measured window (30m) is shorter than one credential "
                      "lifetime (1h).", report)
        self.assertIn("| Initial state | cold |", report)
        # Absent keys (older results files): no warning, "n/a".
        plain, d = synthetic_render()
        self.assertEqual(plain.returncode, 0)
        report2 = self.read(os.path.join(d, "out", "report.md"))
        self.assertNotIn("Warning", report2)

    def test_two_files_get_one_subdirectory_per_scenario(self):
        a = self.write("a.json", synthetic_results("long-tail-cold", seed=1))
        b = self.write("b.json", synthetic_results("steady-hot", seed=2))
        out = os.path.join(self.tmp, "out")
        proc = self.render(a, b, "--out", out)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(sorted(os.listdir(out)), ["long-tail-cold", "steady-hot"])
        for scenario in ("long-tail-cold", "steady-hot"):
            report = self.assert_outputs(os.path.join(out, scenario), ["l1", "l1+kv", "do-singleton"])
            self.assertIn(f"# credsim report: {scenario}", report)

    def test_rerun_is_byte_identical(self):
        # The shared render (this process) against a fresh process on the same file name.
        run1, d = synthetic_render()
        self.assertEqual(run1.returncode, 0, run1.stderr)
        results = self.write("results.json", synthetic_results())
        outs = [os.path.join(d, "out"), os.path.join(self.tmp, "run2")]
        proc = self.run_report(results, "--out", outs[1])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        for name in ("report.md",) + PNGS:
            self.assertEqual(self.read(os.path.join(outs[0], name), "rb"),
                             self.read(os.path.join(outs[1], name), "rb"), name)

    def test_replicated_results_show_mean_and_interval(self):
        data = replicated_results(n=10)
        results = self.write("results.json", data)
        out = os.path.join(self.tmp, "out")
        proc = self.render(results, "--out", out)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        report = self.assert_outputs(out, ["l1", "l1+kv", "do-singleton"])
        self.assertIn("| Replications | 10 (seeds 1–10) |", report)
        rows = [line for line in report.splitlines() if line.startswith("| l1 |")]
        self.assertEqual(len(rows), 2, rows)  # comparison table and parameters table
        # Every numeric cell is "mean ± half-width" (exposure.places of l1 is 0 in every replication).
        self.assertEqual(rows[0].count(" ± "), 16, rows[0])
        mean = data["strategies"][0]["stats"]["sts_calls"]["mean"]
        hw = data["strategies"][0]["stats"]["sts_calls"]["half_width"]
        place = 1 - math.floor(math.log10(hw))
        self.assertIn(f"| {round(mean, place):,.{max(place, 0)}f} ± {round(hw, place):,.{max(place, 0)}f} |",
                      rows[0])
        self.assertIn("Replication 0 (seed 1) of 10.", report)
        self.assertEqual(report.count("Replication 0 (seed 1) of 10."), 2)  # time series and CDF captions
        self.assertIn("Means over the 10 replications", report)
        self.assertNotIn("## Notes", report)
        # The error-bar plot differs from the plain one drawn from replication 0.
        plain, d = synthetic_render()
        self.assertEqual(plain.returncode, 0)
        out0 = os.path.join(d, "out")
        self.assertNotEqual(self.read(os.path.join(out, "errors_and_cost.png"), "rb"),
                            self.read(os.path.join(out0, "errors_and_cost.png"), "rb"))
        self.assertEqual(self.read(os.path.join(out, "auth_latency_cdf.png"), "rb"),
                         self.read(os.path.join(out0, "auth_latency_cdf.png"), "rb"))
        # Deterministic: a fresh process gives the same bytes.
        out2 = os.path.join(self.tmp, "out2")
        self.assertEqual(self.run_report(results, "--out", out2).returncode, 0)
        for name in ("report.md",) + PNGS:
            self.assertEqual(self.read(os.path.join(out, name), "rb"), self.read(os.path.join(out2, name), "rb"))
        leftovers = [n for n in os.listdir(out) if n.endswith(".tmp")]
        self.assertEqual(leftovers, [])

    def test_single_replication_with_stats_looks_like_today(self):
        data = replicated_results(n=1)
        out = os.path.join(self.tmp, "out")
        self.assertEqual(self.render(self.write("r1.json", data), "--out", out).returncode, 0)
        report = self.assert_outputs(out, ["l1", "l1+kv", "do-singleton"])
        self.assertNotIn("±", report)
        self.assertNotIn("Replication", report)
        self.assertIn("| 180 | 950 |", report)

    def test_replicated_without_stats_falls_back_with_a_note(self):
        data = replicated_results(n=3)
        del data["strategies"][1]["stats"]
        del data["strategies"][2]["stats"]["cost_usd.total"]
        out = os.path.join(self.tmp, "out")
        proc = self.render(self.write("r.json", data), "--out", out)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        report = self.read(os.path.join(out, "report.md"))
        self.assertIn("'l1+kv' has no stats; its row shows replication 0", report)
        self.assertIn("'do-singleton': stats has no cost_usd.total.", report)
        self.assertIn("'do-singleton' has no cost_usd.total in stats; left out of the cost panel.", report)

    def test_missing_keys_degrade_gracefully(self):
        data = synthetic_results()
        for s in data["strategies"]:
            del s["timeseries"]
            del s["auth_latency_ms"]
        del data["strategies"][0]["auth_latency_cdf_ms"]
        del data["strategies"][1]["cost_usd"]
        del data["description"]
        results = self.write("partial.json", data)
        out = os.path.join(self.tmp, "out")
        # Leftover from an earlier run must not stay linked or on disk.
        os.makedirs(out)
        self.write(os.path.join("out", "sts_calls_over_time.png"), "stale")
        proc = self.render(results, "--out", out)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        report = self.read(os.path.join(out, "report.md"))
        self.assertFalse(os.path.exists(os.path.join(out, "sts_calls_over_time.png")))
        self.assertNotIn("](sts_calls_over_time.png)", report)
        self.assertIn("](auth_latency_cdf.png)", report)
        self.assertIn("](errors_and_cost.png)", report)
        self.assertIn("## Notes", report)
        self.assertIn("sts_calls_over_time.png was not drawn", report)
        self.assertIn("'l1' has no auth_latency_cdf_ms", report)
        self.assertIn("'l1+kv' has no cost_usd.total", report)
        self.assertIn("| n/a | n/a | n/a |", report)


if __name__ == "__main__":
    main()

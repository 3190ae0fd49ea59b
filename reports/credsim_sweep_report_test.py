#!/usr/bin/env python3
"""Tests for credsim_sweep_report.py (the Pareto and "cheapest at equal error ratio" logic is
also tested directly).

Run from reports/:  /usr/bin/python3 -B -m unittest -v credsim_sweep_report_test
CTest runs:         ${CREDSIM_PYTHON} -B credsim_sweep_report_test.py -v [--exclude NAME]...
When run as a script, the exit code is 77 (CTest SKIP_RETURN_CODE) if matplotlib is not
importable and nothing failed. Everything is written to temporary directories only.

Renders run the script's main() in this process (report_test_support.run_in_process: no
interpreter start-up and matplotlib import per render). Input validation, the
missing-matplotlib exit and the second render of the byte-identity check run the script as a
subprocess, as credsim does, so that check compares two different processes.
"""

import sys

sys.dont_write_bytecode = True  # never leave __pycache__ in the repo

import itertools
import json
import math
import os
import random
import re
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "credsim_sweep_report.py")
sys.path.insert(0, HERE)
import credsim_sweep_report as sr  # noqa: E402  (no matplotlib at import time)
from report_test_support import (  # noqa: E402
    PNG_SIGNATURE, TempDirTestCase, main, needs_mpl, run_in_process, run_script)

# Two-sided 95 % Student t quantiles by degrees of freedom (as cli/stats StudentT975).
T975 = {1: 12.706204736, 2: 4.302652730, 3: 3.182446305, 4: 2.776445105, 5: 2.570581836,
        6: 2.446911851, 7: 2.364624252, 8: 2.306004135, 9: 2.262157163}
KEY_METRICS = [k for k, _, _, _ in sr.KEY_METRICS]


def summarize(xs):
    """Stats entry as in spec section 1 (sd, ci95, half_width null for n = 1)."""
    n = len(xs)
    mean = sum(xs) / n
    if n == 1:
        return {"n": 1, "mean": mean, "sd": None, "ci95": None, "half_width": None}
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
    hw = T975[n - 1] * sd / math.sqrt(n)
    return {"n": n, "mean": mean, "sd": sd, "ci95": [mean - hw, mean + hw], "half_width": hw}


def make_sweep(replications=10, seed=7, rates=(10, 100, 1000, 10000), variants=("v0", "v2"),
               stalls=(0, 0.01)):
    """A realistic sweep.json: traffic rate (numeric, 3 decades) x L1 variant (string) x STS stall
    probability (numeric with 0), strategies l1 and kv, `replications` replications per point.

    The model is only meant to look like credsim output: L1's STS calls and error ratio grow with
    the rate and the stall probability (v2 halves its calls), KV calls STS rarely but pays for KV
    operations and keeps credentials at rest.
    """
    rng = random.Random(seed)
    axes = [{"path": "traffic.rate", "values": list(rates)},
            {"path": "strategies[].params<l1>.variant", "values": list(variants)},
            {"path": "world.sts.stall_probability", "values": list(stalls)}]
    points = []
    for p, (rate, variant, stall) in enumerate(itertools.product(rates, variants, stalls)):
        duration = 3600.0
        strategies = []
        for name in ("l1", "kv"):
            reps = {k: [] for k in ["requests"] + KEY_METRICS}
            for _ in range(replications):
                requests = rate * duration * (1 + 0.02 * rng.gauss(0, 1))
                if name == "l1":
                    calls = (30 + 0.02 * rate * (0.5 if variant == "v2" else 1.0)) * 60 * (1 + 0.1 * rng.gauss(0, 1))
                    err = max(0.0, (calls / requests) * (0.02 + 8 * stall) * (1 + 0.3 * rng.gauss(0, 1)))
                    exposure = 0.0
                    cost = requests * 3e-7 * (1 + 0.01 * rng.gauss(0, 1))
                else:
                    calls = (12 + rng.random() * 4) * (1 + stall * 50)
                    err = max(0.0, 1e-6 * (1 + 100 * stall) * (1 + 0.5 * rng.gauss(0, 1)))
                    exposure = 3600.0 * 12 * (1 + 0.05 * rng.gauss(0, 1))
                    cost = requests * 3e-7 + requests * (1 - 0.98) * 5e-7 + 0.002 * (1 + 0.1 * rng.gauss(0, 1))
                reps["requests"].append(round(requests))
                reps["sts_calls"].append(round(calls))
                reps["error_ratio"].append(err)
                reps["cost_usd.total"].append(cost)
                reps["exposure.credential_seconds_at_rest"].append(exposure)
                reps["auth_latency_ms.p99"].append((150.0 if name == "l1" else 20.0) * (1 + stall * 20)
                                                   * (1 + 0.1 * rng.gauss(0, 1)))
                reps["sts_calls_peak_per_s"].append(max(1, round(calls / 600 * (1 + 0.2 * rng.random()))))
            strategies.append({"name": name, "kind": name,
                               "stats": {k: summarize(v) for k, v in reps.items()}})
        points.append({"point": p, "values": {"traffic.rate": rate, "strategies[].params<l1>.variant": variant,
                                              "world.sts.stall_probability": stall},
                       "runs": replications, "strategies": strategies})
    return {"sweep": "rate-x-variant-x-stall", "sweep_file": "scenarios/sweeps/rate.json",
            "scenario_file": "scenarios/busy-steady.json", "credsim_version": "0.1.0",
            "replications": replications, "seed": seed, "axes": axes,
            "metrics": sorted(["requests"] + KEY_METRICS), "points": points, "missing": [], "complete": True}


def st(mean, hw=None, n=10):
    """A stats entry with a symmetric interval of half-width hw (None: n = 1 style nulls)."""
    if hw is None:
        return {"n": n, "mean": mean, "sd": None, "ci95": None, "half_width": None}
    return {"n": n, "mean": mean, "sd": hw, "ci95": [mean - hw, mean + hw], "half_width": hw}


def strat(name, sts, err, cost, exposure, err_hw=None, cost_hw=None):
    return {"name": name, "kind": name, "stats": {
        "sts_calls": st(sts), "error_ratio": st(err, err_hw), "cost_usd.total": st(cost, cost_hw),
        "exposure.credential_seconds_at_rest": st(exposure)}}


def norm(s):
    """The strategy shape load_sweep produces (ci95 as tuples)."""
    return {"name": s["name"], "stats": {k: {"n": v["n"], "mean": v["mean"], "half_width": v["half_width"],
                                              "ci95": None if v["ci95"] is None else tuple(v["ci95"])}
                                          for k, v in s["stats"].items()}}


class LogicTest(unittest.TestCase):
    def test_dominated_strategy_is_not_on_the_front(self):
        a = strat("a", 10, 0.01, 1.0, 0)
        b = strat("b", 20, 0.01, 1.0, 0)        # worse STS calls, equal elsewhere: dominated by a
        c = strat("c", 5, 0.02, 2.0, 100)       # best STS calls, worse elsewhere: on the front
        front, unranked = sr.pareto_front([norm(x) for x in (a, b, c)])
        self.assertEqual(front, ["a", "c"])
        self.assertEqual(unranked, [])

    def test_ties_are_all_on_the_front(self):
        a = strat("a", 10, 0.01, 1.0, 0)
        a2 = strat("a2", 10, 0.01, 1.0, 0)      # identical means: neither dominates
        d = strat("d", 11, 0.01, 1.0, 0)        # dominated by both
        front, _ = sr.pareto_front([norm(x) for x in (a, a2, d)])
        self.assertEqual(front, ["a", "a2"])

    def test_dominance_uses_all_four_metrics(self):
        # b is worse on cost and error ratio but has no exposure: not dominated.
        a = strat("a", 10, 0.01, 1.0, 50)
        b = strat("b", 10, 0.02, 2.0, 0)
        front, _ = sr.pareto_front([norm(x) for x in (a, b)])
        self.assertEqual(front, ["a", "b"])

    def test_strategy_missing_a_metric_is_unranked(self):
        a = strat("a", 10, 0.01, 1.0, 0)
        b = norm(strat("b", 1, 0.0, 0.1, 0))
        del b["stats"]["exposure.credential_seconds_at_rest"]
        front, unranked = sr.pareto_front([norm(a), b])
        self.assertEqual(front, ["a"])
        self.assertEqual(unranked, ["b"])

    def test_cheapest_at_equal_error_ratio(self):
        best = strat("best", 1, 0.010, 5.0, 0, err_hw=0.002, cost_hw=0.1)     # lowest error ratio
        close = strat("close", 1, 0.013, 1.0, 0, err_hw=0.002, cost_hw=0.1)   # overlaps: [0.011, 0.015]
        cheap_bad = strat("cheap_bad", 1, 0.030, 0.1, 0, err_hw=0.002, cost_hw=0.01)  # no overlap
        mid = strat("mid", 1, 0.012, 3.0, 0, err_hw=0.001, cost_hw=0.1)
        r = sr.cheapest_at_equal_error([norm(x) for x in (best, close, cheap_bad, mid)])
        self.assertEqual(r["name"], "close")
        self.assertEqual(r["candidates"], ["close", "mid", "best"])
        self.assertEqual(r["runner_up"], "mid")
        self.assertTrue(r["distinguishable"])  # cost [0.9, 1.1] vs [2.9, 3.1]

    def test_cheapest_not_distinguishable_when_cost_intervals_overlap(self):
        a = strat("a", 1, 0.010, 1.00, 0, err_hw=0.002, cost_hw=0.2)
        b = strat("b", 1, 0.011, 1.30, 0, err_hw=0.002, cost_hw=0.2)   # cost [1.1, 1.5] overlaps [0.8, 1.2]
        r = sr.cheapest_at_equal_error([norm(x) for x in (b, a)])
        self.assertEqual((r["name"], r["runner_up"], r["distinguishable"]), ("a", "b", False))

    def test_cheapest_without_intervals_compares_means(self):
        a = strat("a", 1, 0.010, 2.0, 0)       # n = 1: intervals are the means
        b = strat("b", 1, 0.0100001, 1.0, 0)   # a different error ratio: not a candidate
        c = strat("c", 1, 0.010, 3.0, 0)
        r = sr.cheapest_at_equal_error([norm(x) for x in (a, b, c)])
        self.assertEqual((r["name"], r["candidates"], r["distinguishable"]), ("a", ["a", "c"], True))
        r1 = sr.cheapest_at_equal_error([norm(a)])
        self.assertEqual((r1["name"], r1["runner_up"], r1["distinguishable"]), ("a", None, None))

    def test_cheapest_for_point_prefers_credsims_paired_verdict(self):
        a = norm(strat("a", 1, 0.010, 1.00, 0, err_hw=0.002, cost_hw=0.2))
        b = norm(strat("b", 1, 0.011, 1.30, 0, err_hw=0.002, cost_hw=0.2))
        # Unpaired intervals overlap, but the paired verdict of the merge says distinguishable.
        point = {"strategies": [b, a],
                 "cheapest_at_equal_error_ratio": {"strategy": "a", "equal_error_ratio": ["a", "b"],
                                                   "runner_up": "b", "distinguishable": True}}
        r = sr.cheapest_for_point(point)
        self.assertEqual((r["name"], r["runner_up"], r["distinguishable"], r["paired"]), ("a", "b", True, True))
        del point["cheapest_at_equal_error_ratio"]
        r = sr.cheapest_for_point(point)
        self.assertEqual((r["name"], r["distinguishable"], r["paired"]), ("a", False, False))

    def test_fmt_pm(self):
        self.assertEqual(sr.fmt_pm(3425.3, 120.4, "count"), "3,430 ± 120")
        self.assertEqual(sr.fmt_pm(0.0012345, 0.00031, "ratio"), "0.123% ± 0.031%")
        self.assertEqual(sr.fmt_pm(0.07691, 0.0012, "cost"), "0.0769 ± 0.0012")
        self.assertEqual(sr.fmt_pm(612, None, "count"), "612")
        self.assertEqual(sr.fmt_pm(612, 0.0, "count"), "612 ± 0")
        self.assertEqual(sr.fmt_pm(None, None, "count"), "n/a")

    def test_short_names(self):
        self.assertEqual(sr.short_names(["traffic.rate", "strategies[].params<l1>.variant", "world.sts.rate"]),
                         ["traffic.rate", "variant", "sts.rate"])


class SweepTestBase(TempDirTestCase):
    TMP_PREFIX = "credsim_sweep_report_test_"
    JSON_INDENT = 1

    def run_report(self, sweep_path, out, env=None, timeout=600):
        """The script as a subprocess in self.tmp, as credsim runs it."""
        return run_script(SCRIPT, ["--out", out, "--", sweep_path], cwd=self.tmp, env=env, timeout=timeout)

    def render(self, sweep_path, out):
        """The script's main() in this process, in self.tmp."""
        return run_in_process(sr.main, ["--out", out, "--", sweep_path], cwd=self.tmp)


class BadInputTest(SweepTestBase):
    def assert_bad(self, content, fragments, name="sweep.json"):
        path = self.write(name, content) if content is not None else os.path.join(self.tmp, name)
        out = os.path.join(self.tmp, "out")
        proc = self.run_report(path, out)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)
        self.assertIn(name, proc.stderr)
        for fragment in fragments:
            self.assertIn(fragment, proc.stderr)
        self.assertFalse(os.path.exists(out), "something was written")

    def test_missing_file_and_bad_json(self):
        self.assert_bad(None, ["no such file"], name="nope.json")
        self.assert_bad('{"axes": [', ["not valid JSON"])
        self.assert_bad("[]", ["$", "not an object"])

    def test_wrong_shapes_name_the_json_path(self):
        good = make_sweep(replications=2, rates=(10, 100), variants=("v0",), stalls=(0,))
        cases = []
        d = json.loads(json.dumps(good)); del d["axes"]; cases.append((d, ["axes", "missing"]))
        d = json.loads(json.dumps(good)); d["axes"][1]["values"] = [{"x": 1}, {"x": 1}]
        cases.append((d, ["axes[1].values[1]", "appears twice"]))
        d = json.loads(json.dumps(good)); d["points"][1]["values"]["traffic.rate"] = 20
        cases.append((d, ['points[1].values["traffic.rate"]', "20 is not one of axes[0].values"]))
        d = json.loads(json.dumps(good)); del d["points"][0]["values"]["world.sts.stall_probability"]
        cases.append((d, ["points[0].values", "world.sts.stall_probability"]))
        d = json.loads(json.dumps(good)); d["points"][0]["strategies"][1]["stats"]["sts_calls"]["ci95"] = [5, 1]
        cases.append((d, ['points[0].strategies[1].stats["sts_calls"].ci95', "low <= high"]))
        d = json.loads(json.dumps(good)); d["points"][1]["strategies"][0]["stats"]["error_ratio"]["mean"] = "x"
        cases.append((d, ['points[1].strategies[0].stats["error_ratio"].mean']))
        d = json.loads(json.dumps(good)); d["points"] = []
        cases.append((d, ["points", "non-empty"]))
        d = json.loads(json.dumps(good)); d["points"][1]["values"] = d["points"][0]["values"]
        cases.append((d, ["points", "same axis values"]))
        for content, fragments in cases:
            with self.subTest(fragments=fragments):
                self.assert_bad(content, fragments)


    def test_missing_matplotlib_exits_3_and_writes_nothing(self):
        fake = os.path.join(self.tmp, "fake_site", "matplotlib")
        os.makedirs(fake)
        self.write(os.path.join("fake_site", "matplotlib", "__init__.py"), "raise ImportError('fake')\n")
        path = self.write("sweep.json", make_sweep(replications=2, rates=(10, 100), variants=("v0",), stalls=(0,)))
        out = os.path.join(self.tmp, "out")
        proc = self.run_report(path, out, env={"PYTHONPATH": os.path.dirname(fake)}, timeout=60)
        self.assertEqual(proc.returncode, 3, proc.stderr)
        self.assertIn("credsim_sweep_report: matplotlib cannot be imported", proc.stderr)
        self.assertFalse(os.path.exists(out))


@needs_mpl
class SweepReportTest(SweepTestBase):
    def generate(self, sweep, out_name="out"):
        """Renders sweep (written to self.tmp/sweep.json) in this process into self.tmp/out_name;
        returns (out, report text, Run)."""
        path = self.write("sweep.json", sweep)
        out = os.path.join(self.tmp, out_name)
        run = self.render(path, out)
        self.assertEqual(run.returncode, 0, run.stderr)
        return out, self.read(os.path.join(out, "sweep-report.md")), run

    def assert_pngs_linked(self, out, report):
        pngs = sorted(os.listdir(os.path.join(out, sr.PLOT_DIR)))
        linked = sorted(re.findall(r"\]\(" + sr.PLOT_DIR + r"/([^)]+\.png)\)", report))
        self.assertEqual(pngs, linked)
        for png in pngs:
            data = self.read(os.path.join(out, sr.PLOT_DIR, png), "rb")
            self.assertEqual(data[:8], PNG_SIGNATURE, png)
            self.assertGreater(len(data), 5000, png)
            self.assertNotIn(b"matplotlib", data, png)  # no Software metadata
        for line in report.splitlines():
            if line.startswith("!["):
                self.assertRegex(line, r"^!\[[^\]]+\]\(" + sr.PLOT_DIR + r"/[^)]+\.png\)$")
        captions = re.findall(r"^\*Figure \d+: .+\*$", report, flags=re.M)
        self.assertEqual(len(captions), len(pngs))
        return pngs

    def test_realistic_sweep_writes_all_outputs(self):
        sweep = make_sweep()
        out, report, run = self.generate(sweep)
        pngs = self.assert_pngs_linked(out, report)
        # 6 key metrics x 3 axes + one Pareto page (16 points -> 2 pages of 12).
        self.assertEqual(len(pngs), 6 * 3 + 2, pngs)
        self.assertIn("error_ratio-vs-traffic.rate.png", pngs)
        self.assertIn("sts_calls-vs-strategies.params_l1.variant.png", pngs)
        self.assertIn("pareto-2.png", pngs)
        self.assertIn("log x axis", report)  # rates span 3 decades
        self.assertIn("one panel per combination of variant, stall_probability", report)
        # Key metrics table: one row per point x strategy, mean ± half-width.
        rows = [line for line in report.splitlines() if re.match(r"^\| \d+ \| \d+ \| v[02] \| ", line)]
        table_rows = [r for r in rows if r.count(" | ") > 8]
        self.assertEqual(len(table_rows), 16 * 2)
        self.assertTrue(all(r.count("±") == 6 for r in table_rows), table_rows[0])
        # Pareto table: one row per point; kv has the lower error ratio and STS calls everywhere.
        pareto_rows = [r for r in rows if r.count(" | ") <= 8]
        self.assertEqual(len(pareto_rows), 16)
        self.assertEqual(run.repo_after, run.repo_before, "the script wrote into the repo")

    def test_single_replication_has_no_intervals(self):
        sweep = make_sweep(replications=1, rates=(10, 100, 1000), variants=("v0", "v2"), stalls=(0,))
        for p in sweep["points"]:
            for s in p["strategies"]:
                self.assertIsNone(s["stats"]["sts_calls"]["ci95"])
        out, report, _ = self.generate(sweep)
        pngs = self.assert_pngs_linked(out, report)
        self.assertEqual(len(pngs), 6 * 2 + 1)  # the single-valued axis gets no plots
        table = report[report.index("## Key metrics"):]
        self.assertEqual(len([r for r in table.splitlines() if r.startswith("| ")]), 1 + 6 * 2)
        self.assertNotIn(" ± ", table.split("\n\n", 3)[2])  # the table itself
        self.assertIn("no intervals: n = 1", report)
        self.assertNotIn("shaded 95 % interval", report)
        self.assertIn("log x axis", report)  # 2 decades
        self.assertRegex(report, r"\| 0\.000[1-9]\d\d% \|")  # tiny error ratios keep 3 significant digits
        self.assertIn("Axis `world.sts.stall_probability` has a single value; no plots against it.", report)

    def test_pareto_and_cheapest_in_report(self):
        sweep = {"sweep": "tiny", "replications": 10, "seed": 1,
                 "axes": [{"path": "traffic.rate", "values": [10, 100]}],
                 "points": [
                     {"point": 0, "values": {"traffic.rate": 10}, "runs": 10, "strategies": [
                         strat("l1", 100, 0.010, 1.0, 0, err_hw=0.002, cost_hw=0.1),
                         strat("l1_l2", 120, 0.011, 1.5, 0, err_hw=0.002, cost_hw=0.1),  # dominated by l1
                         strat("kv", 10, 0.001, 2.0, 500, err_hw=0.0005, cost_hw=0.1)]},
                     {"point": 1, "values": {"traffic.rate": 100}, "runs": 10, "strategies": [
                         strat("l1", 100, 0.0010, 1.0, 0, err_hw=0.0005, cost_hw=0.3),
                         strat("l1_l2", 120, 0.0012, 1.2, 0, err_hw=0.0005, cost_hw=0.3),
                         strat("kv", 10, 0.0011, 2.0, 500, err_hw=0.0005, cost_hw=0.1)]}],
                 "missing": [], "complete": True}
        out, report, _ = self.generate(sweep)
        self.assert_pngs_linked(out, report)
        self.assertIn("| 0 | 10 | l1, kv | kv (unpaired) |", report)
        self.assertIn("| 1 | 100 | l1, kv | l1 (not distinguishable from l1_l2) (unpaired) |", report)
        # The tables tolerate metrics absent from stats (no p99 here).
        self.assertIn("n/a", report)

    def test_json_valued_axis_is_categorical(self):
        bursts = [[], [{"at": "10m", "for": "2m", "factor": 5}], None]
        sweep = {"sweep": "bursts", "replications": 2, "seed": 1,
                 "axes": [{"path": "traffic.bursts", "values": bursts}],
                 "points": [{"point": i, "values": {"traffic.bursts": b}, "runs": 2, "strategies": [
                     strat("l1", 100 + 50 * i, 0.01 * (i + 1), 1.0, 0, err_hw=0.001, cost_hw=0.05),
                     strat("kv", 10, 0.001, 2.0, 500, err_hw=0.0002, cost_hw=0.05)]}
                            for i, b in enumerate(bursts)],
                 "missing": [], "complete": True}
        out, report, _ = self.generate(sweep)
        self.assert_pngs_linked(out, report)
        self.assertIn('| 1 | [{"at":"10m","for":"2m","factor":5}] | l1, kv | kv (unpaired) |', report)
        self.assertIn("| 2 | null | l1, kv | kv (unpaired) |", report)
        self.assertNotIn("log x axis", report)

    def test_incomplete_sweep_warns(self):
        sweep = make_sweep(replications=3, rates=(10, 100), variants=("v0",), stalls=(0,))
        sweep["missing"], sweep["complete"] = [4, 5], False
        sweep["points"][1]["strategies"] = []
        _, report, _ = self.generate(sweep)
        self.assertIn("> **Warning:** the sweep is incomplete: 2 run(s) missing (run indices 4, 5)", report)
        self.assertIn("| (no results) | 0 |", report)

    def test_rerun_is_byte_identical_and_removes_stale_pngs(self):
        sweep = make_sweep(replications=4, rates=(10, 1000, 100000), variants=("v0",), stalls=(0, 0.01))
        out1, _, _ = self.generate(sweep, "run1")  # in this process, into a new directory
        plots = os.path.join(out1, sr.PLOT_DIR)
        first = {name: self.read(os.path.join(plots, name), "rb") for name in os.listdir(plots)}
        first_md = self.read(os.path.join(out1, "sweep-report.md"), "rb")
        stale = os.path.join(out1, sr.PLOT_DIR, "old-vs-axis.png")
        self.write(os.path.join("run1", sr.PLOT_DIR, "old-vs-axis.png"), "stale")
        keep = self.write(os.path.join("run1", "sweep.csv"), "not ours")
        # Again into the same directory, in a fresh process: the stale PNG goes, everything
        # else is byte-identical to the first render.
        proc = self.run_report(os.path.join(self.tmp, "sweep.json"), out1)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertFalse(os.path.exists(stale))
        self.assertTrue(os.path.exists(keep))
        names = sorted(os.listdir(plots))
        self.assertEqual(names, sorted(first))
        self.assertEqual(self.read(os.path.join(out1, "sweep-report.md"), "rb"), first_md)
        for name in names:
            self.assertEqual(self.read(os.path.join(plots, name), "rb"), first[name], name)
        leftovers = [n for n in os.listdir(out1) + os.listdir(plots) if n.endswith(".tmp")]
        self.assertEqual(leftovers, [])


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Turn a credsim sweep.json (`credsim sweep merge`) into plots and a Markdown report.

Usage: credsim_sweep_report.py --out DIR -- SWEEP_JSON

Writes, into DIR:

  sweep-report.md             captions and links for every plot, the Pareto table and
                              the key metrics per point x strategy as mean ± half-width
  sweep-plots/<metric>-vs-<axis>.png
                              for each key metric and each axis: the metric against the
                              axis values, one line per strategy with a shaded 95 %
                              interval band. The other axes are NOT fixed at one value:
                              there is one panel per combination of their values (small
                              multiples, at most MAX_PANELS, in point order), so "at which
                              traffic level does L1 stop being enough?" can be read under
                              every other condition at once. The panels share one y axis
                              when their value ranges overlap, else each has its own (the
                              caption says which). Numeric axes spanning at least 2 decades
                              get a log x axis (symlog with 0 among the values), metrics
                              spanning more than 3 decades a log y axis; string axes are
                              categorical.
  sweep-plots/pareto.png      (pareto-2.png, ... when there are many points)
                              per point, cost_usd.total (x) against error_ratio (y) per
                              strategy with 95 % interval error bars in both directions;
                              filled markers are the Pareto front over STS calls, error
                              ratio, cost and exposure (means, all minimised).

The PNGs live in a sub-directory so that PNGs left over from an earlier report of a
different sweep can be removed without touching anything else in DIR.

Only the standard library and matplotlib (Agg backend) are used. Output is
deterministic: the same input gives byte-identical Markdown and PNG files (fixed
figure sizes, no PNG metadata). Every file is written atomically (temp + os.replace).

Exit codes: 0 success, 1 output could not be written, 2 bad input (missing file, not
JSON, wrong shape; the message names the file and the JSON path; nothing is written),
3 matplotlib not importable.
"""

import sys

sys.dont_write_bytecode = True  # credsim_report is imported from beside this file

import argparse
import itertools
import json
import math
import os
import re

import credsim_report as cr

EXIT_OK = 0
EXIT_WRITE_ERROR = 1
EXIT_BAD_INPUT = 2
EXIT_NO_MATPLOTLIB = 3

REPORT_MD = "sweep-report.md"
PLOT_DIR = "sweep-plots"
MAX_PANELS = 12           # small multiples per figure
PANEL_COLUMNS = 4
LEGEND_COLUMNS = 8
MAX_PARETO_PAGES = 8      # at most MAX_PANELS * MAX_PARETO_PAGES points get a Pareto panel

# (key, column title, formatter kind, plot label)
KEY_METRICS = (
    ("sts_calls", "STS calls", "count", "STS calls"),
    ("error_ratio", "Error ratio", "ratio", "error ratio (%)"),
    ("cost_usd.total", "Cost $", "cost", "total cost (USD)"),
    ("exposure.credential_seconds_at_rest", "Exposure cred·s", "amount", "credential-seconds at rest"),
    ("auth_latency_ms.p99", "p99 auth ms", "ms", "p99 auth latency (ms)"),
    ("sts_calls_peak_per_s", "Peak STS/s", "count", "peak STS calls per second"),
)
PARETO_METRICS = ("sts_calls", "error_ratio", "cost_usd.total", "exposure.credential_seconds_at_rest")
NA = cr.NA


# The sweep file cannot be used at all (exit code 2); the same class as credsim_report's,
# whose read_json raises it for a missing, unreadable or non-JSON file.
BadInput = cr.BadInput


# --------------------------------------------------------------------------- input


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v))


def value_key(v):
    """Equality key for axis values (10 == 10.0, but True != 1 and "10" != 10); arrays,
    objects and null (a sweep may set any JSON value) compare as canonical JSON."""
    if isinstance(v, bool):
        return ("b", v)
    if is_number(v):
        return ("n", float(v))
    if isinstance(v, str):
        return ("s", v)
    return ("j", json.dumps(v, sort_keys=True, separators=(",", ":")))


def fmt_value(v):
    """An axis value as text: strings as they are, numbers as in JSON."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def load_sweep(path):
    """Read and validate a sweep.json; returns a normalised dict or raises BadInput.

    Reading and parsing are credsim_report's (cr.read_json); the checks here are the
    sweep's own shape."""
    data = cr.read_json(path)

    def bad(where, what):
        raise BadInput(f"{path}: {where}: {what}")

    if not isinstance(data, dict):
        bad("$", "the top-level value is not an object (expected a sweep.json from `credsim sweep merge`)")

    axes = data.get("axes")
    if not isinstance(axes, list) or not axes:
        bad("axes", 'missing or not a non-empty list of {"path": ..., "values": [...]}')
    norm_axes, seen_paths = [], set()
    for i, axis in enumerate(axes):
        if not isinstance(axis, dict):
            bad(f"axes[{i}]", 'not an object {"path": ..., "values": [...]}')
        p, values = axis.get("path"), axis.get("values")
        if not isinstance(p, str) or not p:
            bad(f"axes[{i}].path", "missing or not a non-empty string")
        if p in seen_paths:
            bad(f"axes[{i}].path", f"{p!r} appears twice")
        seen_paths.add(p)
        if not isinstance(values, list) or not values:
            bad(f"axes[{i}].values", "missing or not a non-empty list")
        keys = set()
        for j, v in enumerate(values):
            if isinstance(v, float) and not math.isfinite(v):
                bad(f"axes[{i}].values[{j}]", "not a finite number")
            if value_key(v) in keys:
                bad(f"axes[{i}].values[{j}]", f"{fmt_value(v)} appears twice")
            keys.add(value_key(v))
        norm_axes.append({"path": p, "values": values})

    points = data.get("points")
    if not isinstance(points, list) or not points:
        bad("points", "missing or not a non-empty list")
    norm_points = []
    for i, pt in enumerate(points):
        where = f"points[{i}]"
        if not isinstance(pt, dict):
            bad(where, "not an object")
        values = pt.get("values")
        if not isinstance(values, dict):
            bad(f"{where}.values", "missing or not an object with one entry per axis path")
        coords = []
        for a, axis in enumerate(norm_axes):
            if axis["path"] not in values:
                bad(f"{where}.values", f"has no entry for axis {axis['path']!r}")
            v = values[axis["path"]]
            keys = [value_key(x) for x in axis["values"]]
            if value_key(v) not in keys:
                bad(f'{where}.values["{axis["path"]}"]',
                    f"{json.dumps(v)} is not one of axes[{a}].values {json.dumps(axis['values'])}")
            coords.append(keys.index(value_key(v)))
        strategies = pt.get("strategies")
        if not isinstance(strategies, list):
            bad(f"{where}.strategies", "missing or not a list")
        norm_strats, names = [], set()
        for j, s in enumerate(strategies):
            sw = f"{where}.strategies[{j}]"
            if not isinstance(s, dict):
                bad(sw, "not an object")
            name = s.get("name")
            if not isinstance(name, str) or not name.strip():
                bad(f"{sw}.name", "missing or not a non-empty string")
            name = " ".join(name.split())
            if name in names:
                bad(f"{sw}.name", f"strategy {name!r} appears twice in this point")
            names.add(name)
            stats = s.get("stats")
            if not isinstance(stats, dict):
                bad(f"{sw}.stats", 'missing or not an object {"<metric>": {"n", "mean", "sd", "ci95", "half_width"}}')
            norm_stats = {}
            for key, st in stats.items():
                kw = f'{sw}.stats["{key}"]'
                if not isinstance(st, dict):
                    bad(kw, 'not an object {"n", "mean", "sd", "ci95", "half_width"}')
                n = st.get("n")
                if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                    bad(f"{kw}.n", "missing or not a non-negative integer")
                mean = st.get("mean")
                if mean is not None and not is_number(mean):
                    bad(f"{kw}.mean", "not a finite number or null")
                ci = st.get("ci95")
                if ci is not None:
                    if (not isinstance(ci, list) or len(ci) != 2 or not all(is_number(c) for c in ci)
                            or ci[0] > ci[1]):
                        bad(f"{kw}.ci95", "not null or [low, high] with finite low <= high")
                hw = st.get("half_width")
                if hw is not None and (not is_number(hw) or hw < 0):
                    bad(f"{kw}.half_width", "not null or a finite number >= 0")
                for opt in ("sd",):
                    if st.get(opt) is not None and not is_number(st.get(opt)):
                        bad(f"{kw}.{opt}", "not a finite number or null")
                norm_stats[key] = {
                    "n": n,
                    "mean": None if mean is None else float(mean),
                    "ci95": None if ci is None else (float(ci[0]), float(ci[1])),
                    "half_width": None if hw is None else float(hw),
                }
            norm_strats.append({"name": name, "kind": s.get("kind"), "stats": norm_stats})
        point_id = pt.get("point", i)
        if isinstance(point_id, bool) or not isinstance(point_id, int):
            bad(f"{where}.point", "not an integer")
        runs = pt.get("runs")
        norm_points.append({"point": point_id, "values": values, "coords": tuple(coords),
                            "runs": runs if is_number(runs) else None, "strategies": norm_strats})
    if not any(p["strategies"] for p in norm_points):
        bad("points", "no point has any strategy results")
    ids = [p["point"] for p in norm_points]
    if len(set(ids)) != len(ids):
        bad("points", "two entries have the same \"point\" index")
    coords = [p["coords"] for p in norm_points]
    if len(set(coords)) != len(coords):
        bad("points", "two entries have the same axis values")

    missing = data.get("missing")
    if missing is not None and (not isinstance(missing, list) or
                                not all(isinstance(m, int) and not isinstance(m, bool) for m in missing)):
        bad("missing", "not a list of run indices")
    complete = data.get("complete")
    if complete is not None and not isinstance(complete, bool):
        bad("complete", "not true or false")

    def text(key):
        v = data.get(key)
        return " ".join(str(v).split()) if v is not None else NA

    return {
        "name": data.get("sweep") if isinstance(data.get("sweep"), str) and data.get("sweep").strip()
        else os.path.splitext(os.path.basename(path))[0],
        "sweep_file": text("sweep_file"), "scenario_file": text("scenario_file"),
        "version": text("credsim_version"), "replications": text("replications"),
        "seed": text("seed"), "missing": missing or [], "complete": complete,
        "axes": norm_axes, "points": sorted(norm_points, key=lambda p: p["point"]),
        "source": os.path.basename(path),
    }


# ----------------------------------------------------------------------- analysis


def stat(strategy, key):
    """(mean, (lo, hi) or None, half_width or None), or None when the metric is absent."""
    st = strategy["stats"].get(key)
    if st is None or st["mean"] is None:
        return None
    return st["mean"], st["ci95"], st["half_width"]


def interval(strategy, key):
    """The 95 % interval of a metric, or the degenerate [mean, mean] when ci95 is null."""
    s = stat(strategy, key)
    if s is None:
        return None
    mean, ci, _ = s
    return ci if ci is not None else (mean, mean)


def overlaps(a, b):
    return a[0] <= b[1] and b[0] <= a[1]


def pareto_front(strategies, metrics=PARETO_METRICS):
    """Names of the non-dominated strategies, by the means of `metrics` (all minimised).

    A dominates B when A is <= B in every metric and < in at least one; strategies with
    identical means do not dominate each other, so ties are all on the front. Strategies
    missing any metric are not ranked: returns (front, unranked), both in input order.
    """
    ranked = [s for s in strategies if all(stat(s, m) is not None for m in metrics)]
    unranked = [s["name"] for s in strategies if s not in ranked]
    vec = {s["name"]: [stat(s, m)[0] for m in metrics] for s in ranked}

    def dominates(a, b):
        return all(x <= y for x, y in zip(a, b)) and any(x < y for x, y in zip(a, b))

    front = [s["name"] for s in ranked
             if not any(dominates(vec[o["name"]], vec[s["name"]]) for o in ranked if o is not s)]
    return front, unranked


def cheapest_at_equal_error(strategies):
    """The cheapest strategy whose error-ratio interval overlaps the lowest error ratio's.

    Returns None when no strategy has both error_ratio and cost_usd.total, else a dict:
    name, candidates (names, cheapest first), runner_up (second cheapest candidate or
    None) and distinguishable (False when the cheapest's cost interval overlaps the
    runner-up's, True when it does not, None without a runner-up). Ties in mean break by
    input order. With null ci95 (n = 1) the intervals are the means.
    """
    usable = [s for s in strategies
              if stat(s, "error_ratio") is not None and stat(s, "cost_usd.total") is not None]
    if not usable:
        return None
    best = min(usable, key=lambda s: stat(s, "error_ratio")[0])
    best_iv = interval(best, "error_ratio")
    candidates = [s for s in usable if overlaps(interval(s, "error_ratio"), best_iv)]
    candidates.sort(key=lambda s: stat(s, "cost_usd.total")[0])  # stable: ties keep input order
    cheapest = candidates[0]
    runner_up = candidates[1] if len(candidates) > 1 else None
    distinguishable = None
    if runner_up is not None:
        distinguishable = not overlaps(interval(cheapest, "cost_usd.total"),
                                       interval(runner_up, "cost_usd.total"))
    return {"name": cheapest["name"], "candidates": [s["name"] for s in candidates],
            "runner_up": runner_up["name"] if runner_up else None,
            "distinguishable": distinguishable}


def cheapest_for_point(point):
    """credsim's own paired verdict (sweep.json points[].cheapest_at_equal_error_ratio, from
    per-replication differences on common random numbers) when the merge wrote one, else the
    conservative unpaired interval overlap of cheapest_at_equal_error()."""
    paired = point.get("cheapest_at_equal_error_ratio")
    if isinstance(paired, dict) and isinstance(paired.get("strategy"), str):
        tied = paired.get("equal_error_ratio")
        return {"name": paired["strategy"],
                "candidates": list(tied) if isinstance(tied, list) else [paired["strategy"]],
                "runner_up": paired.get("runner_up"),
                "distinguishable": paired.get("distinguishable"),
                "paired": True}
    result = cheapest_at_equal_error(point["strategies"])
    if result is not None:
        result["paired"] = False
    return result


# ---------------------------------------------------------------------- formatting


def fmt_plain(value, kind):
    if kind == "count":
        return cr.fmt_count(value)
    if kind == "ratio":  # error ratios can be 1e-6: significant digits, not fixed decimals
        v = cr.num(value)
        return NA if v is None else f"{cr.fmt_sig(100.0 * v)}%"
    if kind == "cost":
        return cr.fmt_cost(value)
    if kind == "amount":
        return cr.fmt_amount(value)
    return cr.fmt_sig(value)


def fmt_pm(mean, half_width, kind):
    """mean ± half_width: the half-width to 2 significant digits, the mean to the same place."""
    return cr.fmt_pm(mean, half_width, lambda v: fmt_plain(v, kind), percent=(kind == "ratio"))


def short_names(paths):
    """Shortest unique dotted suffix of each axis path (display only)."""
    parts = [re.split(r"\.", p) for p in paths]
    out = []
    for i, pp in enumerate(parts):
        for k in range(1, len(pp) + 1):
            cand = ".".join(pp[-k:])
            if all(".".join(q[-k:]) != cand for j, q in enumerate(parts) if j != i):
                break
        out.append(cand)
    return out


def clip(text, width=24):
    """A plot label of at most width characters (tables keep the full text)."""
    return text if len(text) <= width else text[:width - 1] + "…"


def wrap_title(text, width=60):
    """Break a panel title at ", " so that no line is much longer than width characters."""
    lines, line = [], ""
    for part in text.split(", "):
        cand = f"{line}, {part}" if line else part
        if line and len(cand) > width:
            lines.append(line + ",")
            line = part
        else:
            line = cand
    lines.append(line)
    return "\n".join(lines)


def slug(text):
    s = re.sub(r"[^A-Za-z0-9.]+", "_", text)
    s = re.sub(r"_*\._*", ".", s).strip("._")
    return s or "x"


# ------------------------------------------------------------------------- plots


def choose_scale(values, span=100.0):
    """('linear', None), ('log', None) or ('symlog', linthresh) for non-negative data.

    Log when every value is positive and they span more than `span`; symlog when zeros
    are present but the positive values span more than `span`.
    """
    vals = [v for v in values if v is not None]
    pos = [v for v in vals if v > 0]
    if len(pos) < 2 or any(v < 0 for v in vals) or max(pos) / min(pos) <= span:
        return "linear", None
    if len(pos) == len(vals):
        return "log", None
    return "symlog", min(pos)


def apply_scale(ax, which, scale):
    kind, linthresh = scale
    setter = ax.set_xscale if which == "x" else ax.set_yscale
    if kind == "log":
        setter("log")
    elif kind == "symlog":
        setter("symlog", linthresh=linthresh)


class SweepPlotter:
    def __init__(self, plotter, strategy_names):
        self.p = plotter
        self.order = {name: i for i, name in enumerate(strategy_names)}

    def save(self, fig, path):
        self.p.save(fig, path)

    def figure(self, n, n_legend, w=4.3, h=3.3, sharey=False):
        """A figure with n panels (PANEL_COLUMNS per row) under a legend row spanning all columns.

        Returns (fig, panel axes, legend axes, columns). The size depends only on n and the
        number of legend entries, so it is fixed for a given input.
        """
        cols = min(PANEL_COLUMNS, n)
        rows = math.ceil(n / cols)
        legend_h = 0.28 * math.ceil(n_legend / LEGEND_COLUMNS) + 0.15
        fig = self.p.plt.figure(figsize=(w * cols + 0.8, h * rows + legend_h + 0.5), layout="constrained")
        gs = fig.add_gridspec(rows + 1, cols, height_ratios=[legend_h] + [h] * rows)
        legend_ax = fig.add_subplot(gs[0, :])
        legend_ax.axis("off")
        axes, first = [], None
        for k in range(rows * cols):
            ax = fig.add_subplot(gs[1 + k // cols, k % cols], **({"sharey": first} if sharey and first else {}))
            first = first or ax
            if k >= n:
                ax.set_visible(False)
            axes.append(ax)
        return fig, axes, legend_ax, cols

    @staticmethod
    def legend(legend_ax, handles, labels):
        legend_ax.legend(handles, labels, loc="center", ncol=min(len(labels), LEGEND_COLUMNS),
                         fontsize="small", frameon=False, borderaxespad=0)

    def metric_vs_axis(self, path, title, ylabel, scales_y, sharey, axis, panels, strategies, ratio):
        """panels: [(panel title, {strategy: [(x, mean, lo, hi)]})], lo/hi None without ci95;
        scales_y: one y scale per panel (all equal when sharey)."""
        present = [n for n in strategies if any(lines.get(n) for _, lines in panels)]
        factor = 100.0 if ratio else 1.0
        with self.p.context():
            fig, axs, legend_ax, cols = self.figure(len(panels), len(present), sharey=sharey)
            handles = {}
            for k, (ptitle, lines) in enumerate(panels):
                ax = axs[k]
                for name in present:
                    pts = lines.get(name)
                    if not pts:
                        continue
                    st = self.p.style(self.order[name])
                    (line,) = ax.plot([x for x, _, _, _ in pts], [m * factor for _, m, _, _ in pts],
                                      marker="o", markersize=3.5, linewidth=1.4, **st)
                    handles.setdefault(name, line)
                    band = [(x, lo, hi) for x, _, lo, hi in pts if lo is not None]
                    if band:
                        ax.fill_between([b[0] for b in band], [max(b[1], 0.0) * factor for b in band],
                                        [b[2] * factor for b in band], color=st["color"], alpha=0.18,
                                        linewidth=0)
                if axis["categorical"]:
                    ax.set_xticks(range(len(axis["values"])))
                    ax.set_xticklabels(axis["labels"], rotation=30 if axis["rotate"] else 0,
                                       ha="right" if axis["rotate"] else "center")
                    ax.set_xlim(-0.3, len(axis["values"]) - 0.7)
                else:
                    apply_scale(ax, "x", axis["scale"])
                    if axis["scale"][0] == "linear":
                        ax.xaxis.set_major_locator(self.p.mpl.ticker.MaxNLocator(nbins=5))
                ax.tick_params(labelsize="small")
                if ptitle:
                    ax.set_title(wrap_title(ptitle), fontsize="small")
                if k % cols == 0:
                    ax.set_ylabel(ylabel)
                elif sharey:
                    ax.tick_params(labelleft=False)
                if not sharey:  # this panel's data is drawn: its own scale and limits
                    apply_scale(ax, "y", scales_y[k])
                    if scales_y[k][0] == "linear":
                        ax.set_ylim(bottom=0)
                if k >= len(panels) - cols:
                    ax.set_xlabel(axis["label"], fontsize="small")
                if not lines:
                    ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center", color="0.4")
            if sharey:  # after every panel is drawn, so the shared limits cover them all
                apply_scale(axs[0], "y", scales_y[0])
                if scales_y[0][0] == "linear":
                    axs[0].set_ylim(bottom=0)
            self.legend(legend_ax, [handles[n] for n in present], present)
            fig.suptitle(title)
            self.save(fig, path)

    def pareto(self, path, title, panels, strategies):
        """panels: [(panel title, [(name, cost, cost_iv, err, err_iv, on_front)])]."""
        Line2D = self.p.mpl.lines.Line2D
        with self.p.context():
            fig, axs, legend_ax, cols = self.figure(len(panels), len(strategies) + 2, h=3.5)
            for k, (ptitle, items) in enumerate(panels):
                ax = axs[k]
                xs_all, ys_all = [], []
                for name, cost, civ, err, eiv, front in items:
                    st = self.p.style(self.order[name])
                    xerr = [[max(cost - max(civ[0], 0.0), 0.0)], [max(civ[1] - cost, 0.0)]]
                    yerr = [[max(err - max(eiv[0], 0.0), 0.0) * 100], [max(eiv[1] - err, 0.0) * 100]]
                    ax.errorbar([cost], [err * 100], xerr=xerr, yerr=yerr, fmt="none",
                                ecolor=st["color"], elinewidth=1.0, capsize=2.5, alpha=0.9)
                    # Later strategies get smaller markers drawn on top, so strategies at the
                    # same point show as concentric rings instead of hiding each other.
                    rank = self.order[name]
                    ax.plot([cost], [err * 100], linestyle="none", marker="o",
                            markersize=max(15.0 - 2.6 * rank, 4.0),
                            markerfacecolor=st["color"] if front else "white",
                            markeredgecolor="black" if front else st["color"],
                            markeredgewidth=0.8 if front else 1.6, zorder=3 + 0.01 * rank)
                    xs_all += [max(civ[0], 0.0), cost, civ[1]]
                    ys_all += [max(eiv[0], 0.0) * 100, err * 100, eiv[1] * 100]
                xscale, yscale = choose_scale(xs_all), choose_scale(ys_all)
                apply_scale(ax, "x", xscale)
                apply_scale(ax, "y", yscale)
                if xscale[0] == "linear":
                    ax.xaxis.set_major_locator(self.p.mpl.ticker.MaxNLocator(nbins=4))
                if yscale[0] == "linear":
                    ax.yaxis.set_major_locator(self.p.mpl.ticker.MaxNLocator(nbins=6))
                ax.margins(0.12)
                if items and yscale[0] == "linear":
                    top = max(ys_all)
                    if top > 0:
                        ax.set_ylim(-0.06 * top, top * 1.12)
                    else:
                        ax.set_ylim(-0.05, 1.0)
                        ax.text(0.5, 0.92, "every error ratio is 0", transform=ax.transAxes, ha="center",
                                va="top", color="0.4", fontsize="small")
                ax.tick_params(labelsize="small")
                if not items:
                    ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center", color="0.4")
                ax.set_title(wrap_title(ptitle), fontsize="small")
                if k % cols == 0:
                    ax.set_ylabel("error ratio (%)")
                if k >= len(panels) - cols:
                    ax.set_xlabel("total cost (USD)", fontsize="small")
            handles = []
            for n in strategies:
                color = self.p.style(self.order[n])["color"]
                handles.append(Line2D([], [], linestyle="none", marker="o", markersize=7,
                                      markerfacecolor=color, markeredgecolor=color))
            handles.append(Line2D([], [], linestyle="none", marker="o", markersize=8, markerfacecolor="0.6",
                                  markeredgecolor="black", markeredgewidth=1.2))
            handles.append(Line2D([], [], linestyle="none", marker="o", markersize=6, markerfacecolor="white",
                                  markeredgecolor="0.4", markeredgewidth=1.2))
            self.legend(legend_ax, handles, list(strategies) + ["on Pareto front", "dominated"])
            fig.suptitle(title)
            self.save(fig, path)


# ------------------------------------------------------------------------ report


def point_label(point, axes, shorts, skip=None):
    return ", ".join(f"{s} = {clip(fmt_value(point['values'][a['path']]))}"
                     for i, (a, s) in enumerate(zip(axes, shorts)) if i != skip)


def strategy_order(points):
    names = []
    for p in points:
        for s in p["strategies"]:
            if s["name"] not in names:
                names.append(s["name"])
    return names


def axis_display(axis, short):
    values = axis["values"]
    numeric = all(is_number(v) for v in values)
    info = {"values": values, "label": axis["path"], "categorical": not numeric}
    if numeric:
        info["scale"] = choose_scale([float(v) for v in values], span=99.999)
        info["x"] = [float(v) for v in values]
    else:
        info["labels"] = [clip(fmt_value(v)) for v in values]
        info["rotate"] = len(values) > 4 or any(len(lab) > 8 for lab in info["labels"])
        info["x"] = list(range(len(values)))
    return info


def generate(sweep, out_dir, plotter):
    axes, points = sweep["axes"], sweep["points"]
    shorts = short_names([a["path"] for a in axes])
    names = strategy_order(points)
    splot = SweepPlotter(plotter, names)
    notes, figures = [], []
    plot_dir = os.path.join(out_dir, PLOT_DIR)
    os.makedirs(plot_dir, exist_ok=True)
    written = set()
    by_coords = {p["coords"]: p for p in points}
    replications = sweep["replications"]

    for a, axis in enumerate(axes):
        if len(axis["values"]) < 2:
            notes.append(f"Axis `{axis['path']}` has a single value; no plots against it.")
            continue
        disp = axis_display(axis, shorts[a])
        others = [i for i in range(len(axes)) if i != a]
        combos = list(itertools.product(*[range(len(axes[i]["values"])) for i in others]))
        shown = combos[:MAX_PANELS]
        for key, _, kind, ylabel in KEY_METRICS:
            panels, panel_vals, have, banded = [], [], False, False
            for combo in shown:
                lines, vals = {}, []
                panel_vals.append(vals)
                ptitle = ", ".join(f"{shorts[i]} = {clip(fmt_value(axes[i]['values'][c]))}"
                                   for i, c in zip(others, combo))
                for vi in range(len(axis["values"])):
                    coords = list(combo)
                    coords.insert(a, vi)
                    p = by_coords.get(tuple(coords))
                    if p is None:
                        continue
                    for s in p["strategies"]:
                        st = stat(s, key)
                        if st is None:
                            continue
                        mean, ci, _ = st
                        lo, hi = (ci if ci is not None else (None, None))
                        lines.setdefault(s["name"], []).append((disp["x"][vi], mean, lo, hi))
                        banded = banded or ci is not None
                        factor = 100.0 if kind == "ratio" else 1.0
                        vals += [mean * factor] + ([max(lo, 0) * factor, hi * factor] if ci else [])
                        have = True
                for pts in lines.values():
                    pts.sort(key=lambda t: t[0])
                panels.append((ptitle, lines))
            if not have:
                notes.append(f"No point has `{key}` in its stats; {key} against {axis['path']} was not drawn.")
                continue
            # One y axis for all panels when their ranges overlap (so levels compare across panels);
            # otherwise, e.g. cost at rates 10 and 10,000, a y axis per panel.
            ranges = [(min(v), max(v)) for v in panel_vals if v]
            sharey = max(r[0] for r in ranges) <= min(r[1] for r in ranges)
            all_vals = [x for v in panel_vals for x in v]
            if sharey:
                scales_y = [choose_scale(all_vals, span=1000.0)] * len(panels)
            else:
                scales_y = [choose_scale(v, span=1000.0) for v in panel_vals]
            fname = f"{slug(key)}-vs-{slug(axis['path'])}.png"
            while fname in written:
                fname = fname[:-4] + "_.png"
            written.add(fname)
            title = f"{ylabel} against {axis['path']}"
            splot.metric_vs_axis(os.path.join(plot_dir, fname), title, ylabel, scales_y, sharey, disp,
                                 panels, names, kind == "ratio")
            if others:
                held = (f"one panel per combination of {', '.join(shorts[i] for i in others)}"
                        + (f" (the first {len(shown)} of {len(combos)} in point order; the table below has all)"
                           if len(shown) < len(combos) else "")
                        + (", y axis shared across panels" if sharey else
                           ", a y axis per panel (their ranges do not overlap)"))
            else:
                held = "no other axes"
            xnote = {"log": "; log x axis", "symlog": "; symlog x axis (0 is an axis value)"}.get(
                disp.get("scale", ("linear",))[0], "")
            ykinds = sorted({s[0] for s in scales_y} - {"linear"})
            ynote = f"; {' or '.join(ykinds)} y axis" if ykinds else ""
            what = (f"mean of {replications} replications per strategy with its shaded 95 % interval"
                    if banded else "one line per strategy (no intervals: n = 1)")
            figures.append((f"{PLOT_DIR}/{fname}", f"{key} against {shorts[a]}",
                            f"`{key}` against `{axis['path']}`: {what}; {held}{xnote}{ynote}."))

    # Pareto panels.
    analysis = []
    for p in points:
        front, unranked = pareto_front(p["strategies"])
        analysis.append((p, front, unranked, cheapest_for_point(p)))
        if unranked:
            notes.append(f"Point {p['point']}: {', '.join(unranked)} lack(s) one of "
                         f"{', '.join(PARETO_METRICS)} and are not ranked for the Pareto front.")
    pareto_points = analysis[:MAX_PANELS * MAX_PARETO_PAGES]
    if len(pareto_points) < len(analysis):
        notes.append(f"Only the first {len(pareto_points)} of {len(analysis)} points have a Pareto panel; "
                     "the Pareto table lists all.")
    pages = [pareto_points[i:i + MAX_PANELS] for i in range(0, len(pareto_points), MAX_PANELS)]
    for n, page in enumerate(pages, 1):
        panels = []
        for p, front, _, _ in page:
            items = []
            for s in p["strategies"]:
                c, e = stat(s, "cost_usd.total"), stat(s, "error_ratio")
                if c is None or e is None:
                    continue
                items.append((s["name"], c[0], interval(s, "cost_usd.total"), e[0],
                              interval(s, "error_ratio"), s["name"] in front))
            panels.append((f"point {p['point']}: " + point_label(p, axes, shorts), items))
        fname = "pareto.png" if n == 1 else f"pareto-{n}.png"
        written.add(fname)
        pages_note = f" (page {n} of {len(pages)})" if len(pages) > 1 else ""
        splot.pareto(os.path.join(plot_dir, fname), f"Cost against error ratio per point{pages_note}",
                     panels, names)
        first, last = page[0][0]["point"], page[-1][0]["point"]
        figures.append((f"{PLOT_DIR}/{fname}", "Pareto front",
                        f"Points {first}–{last}: mean total cost (x) against mean error ratio (y) per strategy "
                        "with 95 % interval error bars in both directions; filled markers with a black edge are "
                        "the Pareto front over STS calls, error ratio, cost and exposure (means, all minimised), "
                        "so a strategy can be on the front while looking dominated in this 2-D view; strategies at the "
                        "same spot show as concentric rings (the first strategy largest)."))

    # Stale PNGs from an earlier report in the plot directory.
    for name in sorted(os.listdir(plot_dir)):
        if name.endswith(".png") and name not in written:
            os.remove(os.path.join(plot_dir, name))

    md = render_markdown(sweep, shorts, names, figures, analysis, notes)
    path = os.path.join(out_dir, REPORT_MD)
    cr.write_text_atomic(path, md)
    return path


def render_markdown(sweep, shorts, names, figures, analysis, notes):
    axes = sweep["axes"]
    out = []
    add = out.append
    add(f"# credsim sweep report: {cr.md_cell(sweep['name'])}")
    add("")
    if sweep["complete"] is False or sweep["missing"]:
        miss = sweep["missing"]
        listed = ", ".join(str(m) for m in miss[:20]) + (", …" if len(miss) > 20 else "")
        add(f"> **Warning:** the sweep is incomplete: {len(miss)} run(s) missing"
            + (f" (run indices {listed})" if miss else "") + "; points may have fewer replications "
            "than requested (see the *n* column).")
        add("")
    add("| Sweep | |")
    add("|---|---|")
    add(f"| Sweep file | {cr.md_code(sweep['sweep_file'])} |")
    add(f"| Scenario file | {cr.md_code(sweep['scenario_file'])} |")
    add(f"| credsim version | {cr.md_cell(sweep['version'])} |")
    add(f"| Replications per point | {cr.md_cell(sweep['replications'])} |")
    add(f"| Seed | {cr.md_cell(sweep['seed'])} (replication r uses seed + r) |")
    add(f"| Points | {len(sweep['points'])} |")
    add(f"| Strategies | {cr.md_cell(', '.join(names))} |")
    add(f"| Source file | {cr.md_code(sweep['source'])} |")
    add("")
    add("### Axes")
    add("")
    add("| Axis | Short name | Values |")
    add("|:---|:---|:---|")
    for a, s in zip(axes, shorts):
        add(f"| {cr.md_code(a['path'])} | {cr.md_cell(s)} | "
            f"{cr.md_cell(', '.join(fmt_value(v) for v in a['values']))} |")
    add("")
    add("## Plots")
    add("")
    for n, (filename, alt, caption) in enumerate(figures, 1):
        add(f"![{re.sub(r'[][<>()]', '', cr.md_cell(alt))}]({filename})")
        add("")
        add(f"*Figure {n}: {caption}*")
        add("")
    add("Intervals are Student-t 95 % intervals over the replications (none when n = 1); bands and error "
        "bars are clipped at 0 because every plotted metric is non-negative.")
    add("")

    add("## Pareto front and cheapest at equal error ratio")
    add("")
    add("*Pareto front*: the strategies no other strategy dominates, i.e. no other strategy is at least as "
        "good on all four of mean STS calls, error ratio, total cost and exposure (credential-seconds at "
        "rest) and better on one; strategies with identical means are all on the front. "
        "*Cheapest at equal error ratio*: among the strategies whose error ratio is not distinguishable "
        "from the lowest, the one with the lowest mean cost; *not distinguishable* means its cost is not "
        "distinguishable from the next cheapest's. credsim decides both with paired per-replication "
        "differences (every strategy of a point ran on the same seeds: the paired-t 95 % interval of the "
        "difference contains 0), as in `sweep.md` (sweep.json `cheapest_at_equal_error_ratio`). For a "
        "sweep.json without that field the report falls back to overlaps of the unpaired intervals, "
        "which is conservative; such rows are marked \"(unpaired)\".")
    add("")
    add("| Point | " + " | ".join(cr.md_cell(s) for s in shorts) + " | Pareto front | Cheapest at equal error ratio |")
    add("|---:|" + "---|" * len(shorts) + ":---|:---|")
    for p, front, _, cheap in analysis:
        if cheap is None:
            ctext = NA
        elif cheap["runner_up"] is None:
            ctext = cheap["name"]
        elif cheap["distinguishable"]:
            ctext = f"{cheap['name']} (cheaper than {cheap['runner_up']})"
        else:
            ctext = f"{cheap['name']} (not distinguishable from {cheap['runner_up']})"
        if cheap is not None and not cheap.get("paired", False):
            ctext += " (unpaired)"
        add(f"| {p['point']} | " + " | ".join(cr.md_cell(fmt_value(p["values"][a["path"]])) for a in axes)
            + f" | {cr.md_cell(', '.join(front) if front else NA)} | {cr.md_cell(ctext)} |")
    add("")

    add("## Key metrics")
    add("")
    add("Mean ± 95 % half-width over the replications (the mean alone when n = 1); *n* is the number of "
        "replications behind the point; error ratio in percent.")
    add("")
    add("| Point | " + " | ".join(cr.md_cell(s) for s in shorts) + " | Strategy | n | "
        + " | ".join(title for _, title, _, _ in KEY_METRICS) + " |")
    add("|---:|" + "---|" * len(shorts) + ":---|---:|" + "---:|" * len(KEY_METRICS))
    for p, _, _, _ in analysis:
        for s in p["strategies"]:
            ns = sorted({st["n"] for st in s["stats"].values()})
            ntext = "–".join(str(x) for x in (ns[0], ns[-1])) if len(ns) > 1 else (str(ns[0]) if ns else NA)
            cells = []
            for key, _, kind, _ in KEY_METRICS:
                st = stat(s, key)
                cells.append(NA if st is None else fmt_pm(st[0], st[2], kind))
            add(f"| {p['point']} | " + " | ".join(cr.md_cell(fmt_value(p["values"][a["path"]])) for a in axes)
                + f" | {cr.md_cell(s['name'])} | {ntext} | " + " | ".join(cells) + " |")
        if not p["strategies"]:
            add(f"| {p['point']} | " + " | ".join(cr.md_cell(fmt_value(p["values"][a["path"]])) for a in axes)
                + " | (no results) | 0 | " + " | ".join(NA for _ in KEY_METRICS) + " |")
    add("")
    if notes:
        add("## Notes")
        add("")
        for note in notes:
            add(f"- {note}")
        add("")
    return "\n".join(out)


# -------------------------------------------------------------------------- main


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="credsim_sweep_report.py",
        description="Plot a credsim sweep.json (from `credsim sweep merge`) and write sweep-report.md: "
                    "each key metric against each axis with 95 % interval bands (one panel per "
                    "combination of the other axes), cost against error ratio with the Pareto front, "
                    "and tables. PNGs go to OUT/sweep-plots/.",
        epilog="Needs matplotlib; on Debian use /usr/bin/python3 with python3-matplotlib. "
               "Exit codes: 0 ok, 1 cannot write output, 2 bad input, 3 matplotlib missing.")
    parser.add_argument("sweep", metavar="SWEEP_JSON", help="the merged sweep.json")
    parser.add_argument("--out", required=True, metavar="DIR", help="output directory (created if needed)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        sweep = load_sweep(args.sweep)
    except BadInput as e:
        sys.stderr.write(f"credsim_sweep_report: error: {e}\n")
        return EXIT_BAD_INPUT
    matplotlib, plt = cr.import_matplotlib("credsim_sweep_report")
    import matplotlib.lines  # noqa: F401  (legend handles)
    plotter = cr.Plotter(matplotlib, plt)
    try:
        os.makedirs(args.out, exist_ok=True)
        path = generate(sweep, args.out, plotter)
    except OSError as e:
        sys.stderr.write(f"credsim_sweep_report: error: cannot write output: {e}\n")
        return EXIT_WRITE_ERROR
    print(f"credsim_sweep_report: wrote {path}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

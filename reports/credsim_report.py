#!/usr/bin/env python3
"""Turn credsim results.json files into plots and a Markdown report.

For every results file this writes, into the output directory (or into
OUT/<scenario>/ when several files are given):

  sts_calls_over_time.png  STS calls per time-series interval, one line per strategy
  auth_latency_cdf.png     auth latency CDF (log x) plus a 1 - CDF tail panel
  errors_and_cost.png      errors stacked by HTTP status, and total cost, per strategy
  report.md                summary, comparison table and the plots with captions

With "replications" > 1 (credsim run --replications N) the comparison table shows
"mean ± half-width" of every metric from each strategy's "stats" (Student-t 95 %
intervals over the replications) and errors_and_cost.png shows the means with 95 %
interval error bars; the time series and the latency CDF are those of replication 0,
which the captions say.

Only the standard library and matplotlib (Agg backend) are used. Output is
deterministic: the same input gives byte-identical report.md and PNG files. Every file
is written atomically (temp file + os.replace).

Exit codes: 0 success, 1 output could not be written, 2 bad input (missing
file, not JSON, no "strategies" list), 3 matplotlib not importable.
"""

import argparse
import contextlib
import json
import math
import os
import re
import sys
import tempfile

EXIT_OK = 0
EXIT_WRITE_ERROR = 1
EXIT_BAD_INPUT = 2
EXIT_NO_MATPLOTLIB = 3

STS_PNG = "sts_calls_over_time.png"
CDF_PNG = "auth_latency_cdf.png"
ERR_PNG = "errors_and_cost.png"
REPORT_MD = "report.md"

ERROR_STATUSES = ("403", "500", "502", "503")
STATUS_COLORS = {"403": "#7b3294", "500": "#d7191c", "502": "#fdae61", "503": "#2c7bb6"}
LINESTYLES = ("-", "--", "-.", ":")
NA = "n/a"


class BadInput(Exception):
    """The input file cannot be used at all (exit code 2)."""


# --------------------------------------------------------------------------- input


def num(value):
    """Return value as a finite float, or None if it is not a usable number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def get(mapping, *keys):
    """Nested dict lookup that returns None instead of raising."""
    for key in keys:
        if not isinstance(mapping, dict) or key not in mapping:
            return None
        mapping = mapping[key]
    return mapping


def write_atomic(path, write):
    """Call write(tmp_path) for a temp file beside path, then rename it onto path."""
    d = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=d)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def write_text_atomic(path, text):
    def write(tmp):
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    write_atomic(path, write)


def replications(data):
    """The number of replications of a results file (1 when absent or not a number)."""
    n = num(data.get("replications"))
    return int(n) if n is not None and n >= 1 else 1


def stat(strategy, key):
    """(mean, (lo, hi) or None, half_width or None) of strategy["stats"][key], or None."""
    st = get(strategy, "stats", key)
    mean = num(get(st, "mean"))
    if mean is None:
        return None
    ci = get(st, "ci95")
    ci = (num(ci[0]), num(ci[1])) if isinstance(ci, list) and len(ci) == 2 else None
    if ci is not None and (ci[0] is None or ci[1] is None):
        ci = None
    return mean, ci, num(get(st, "half_width"))


def fmt_pm(mean, half_width, fmt, percent=False):
    """mean ± half_width with the half-width to 2 significant digits and the mean rounded to
    the same decimal place; just fmt(mean) without a half-width (n = 1)."""
    if mean is None:
        return NA
    if half_width is None:
        return fmt(mean)
    scale, suffix = (100.0, "%") if percent else (1.0, "")
    m, h = mean * scale, half_width * scale
    if h == 0:
        return f"{fmt(mean)} ± 0{suffix}"
    place = 1 - math.floor(math.log10(h))
    decimals = max(place, 0)
    mr, hr = round(m, place), round(h, place)
    if mr == 0:
        mr = 0.0  # no "-0"
    return f"{mr:,.{decimals}f}{suffix} ± {hr:,.{decimals}f}{suffix}"


def read_json(path):
    """The parsed JSON value of a file (any type); raise BadInput naming the file when it is
    missing, unreadable or not JSON. Both report scripts read their input through this."""
    try:
        with open(path, "r", encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file")
    except (OSError, UnicodeDecodeError) as e:
        raise BadInput(f"{path}: cannot read: {e}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise BadInput(f"{path}: not valid JSON: {e}")


def load_results(path):
    """Read and minimally validate one results file; raise BadInput on failure."""
    data = read_json(path)
    if not isinstance(data, dict):
        raise BadInput(f"{path}: top-level JSON value is not an object")
    strategies = data.get("strategies")
    if not isinstance(strategies, list):
        raise BadInput(f'{path}: no "strategies" list')
    if not strategies:
        raise BadInput(f'{path}: "strategies" list is empty')
    for i, s in enumerate(strategies):
        if not isinstance(s, dict):
            raise BadInput(f'{path}: "strategies"[{i}] is not an object')
    return data


def strategy_labels(strategies, notes):
    """Unique display labels (name, falling back to kind or position)."""
    labels, seen = [], {}
    for i, s in enumerate(strategies):
        name = s.get("name")
        if not isinstance(name, str) or not name.strip():
            kind = s.get("kind")
            name = kind if isinstance(kind, str) and kind.strip() else f"strategy {i + 1}"
            notes.append(f'Strategy #{i + 1} has no "name"; shown as "{name}".')
        name = " ".join(name.split())
        if name in seen:
            seen[name] += 1
            new = f"{name} ({seen[name]})"
            notes.append(f'Strategy name "{name}" is used more than once; entry #{i + 1} is shown as "{new}".')
            name = new
        else:
            seen[name] = 1
        labels.append(name)
    return labels


def scenario_dirname(scenario, path, used):
    """Filesystem-safe, unique sub-directory name for a scenario."""
    base = scenario if isinstance(scenario, str) and scenario.strip() else ""
    if not base:
        base = os.path.splitext(os.path.basename(path))[0]
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base.strip()).strip("._") or "scenario"
    name, n = base, 1
    while name in used:
        n += 1
        name = f"{base}-{n}"
    used.add(name)
    return name


# ---------------------------------------------------------------------- formatting


def fmt_count(value):
    """Counts: thousands separators; non-integral values get 3 significant digits."""
    v = num(value)
    if v is None:
        return NA
    if v == int(v):
        return f"{int(v):,}"
    return fmt_sig(v)


def fmt_sig(value, digits=3):
    """At most `digits` significant digits, thousands separators, no exponent."""
    v = num(value)
    if v is None:
        return NA
    if v == 0:
        return "0"
    decimals = digits - 1 - math.floor(math.log10(abs(v)))
    if decimals <= 0:
        return f"{int(round(v, decimals)):,}"
    text = f"{v:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def fmt_ratio(value):
    v = num(value)
    return NA if v is None else f"{100.0 * v:.2f}%"


def fmt_cost(value):
    v = num(value)
    if v is None:
        return NA
    if abs(v) >= 1:
        return f"{v:,.2f}"
    return fmt_sig(v)


def fmt_amount(value):
    """Non-count quantities such as credential-seconds."""
    v = num(value)
    if v is None:
        return NA
    if abs(v) >= 1000:
        return f"{int(round(v)):,}"
    return fmt_sig(v)


def fmt_duration(seconds):
    v = num(seconds)
    if v is None:
        return NA
    if v < 120:
        return f"{fmt_sig(v)} s"
    if v < 2 * 3600:
        return f"{fmt_sig(v / 60)} min ({fmt_count(v)} s)"
    return f"{fmt_sig(v / 3600)} h ({fmt_count(v)} s)"


def md_cell(text):
    return " ".join(str(text).split()).replace("|", "\\|")


def md_code(text):
    text = " ".join(str(text).split())
    if "`" in text:
        return md_cell(text)
    return "`" + text.replace("|", "\\|") + "`"


def time_unit(duration_s):
    """(divisor, unit label) for the time axis."""
    if duration_s is not None and duration_s > 2 * 3600:
        return 3600.0, "h"
    if duration_s is not None and duration_s < 120:
        return 1.0, "s"
    return 60.0, "min"


# ----------------------------------------------------------------------- extract


def extract_timeseries(strategies, labels, notes):
    series = []
    for s, label in zip(strategies, labels):
        ts = s.get("timeseries")
        t, calls = get(ts, "t_s"), get(ts, "sts_calls")
        if not isinstance(t, list) or not isinstance(calls, list):
            notes.append(f"Strategy {label!r} has no timeseries.t_s/sts_calls; left out of the STS-calls plot.")
            continue
        if len(t) != len(calls):
            notes.append(f"Strategy {label!r}: timeseries.t_s and sts_calls differ in length "
                         f"({len(t)} vs {len(calls)}); left out of the STS-calls plot.")
            continue
        points = [(num(a), num(b)) for a, b in zip(t, calls)]
        points = [(a, b) for a, b in points if a is not None and b is not None]
        if not points:
            notes.append(f"Strategy {label!r} has an empty timeseries; left out of the STS-calls plot.")
            continue
        points.sort(key=lambda p: p[0])
        series.append((label, [p[0] for p in points], [p[1] for p in points]))
    return series


def extract_cdfs(strategies, labels, notes):
    cdfs = []
    for s, label in zip(strategies, labels):
        raw = s.get("auth_latency_cdf_ms")
        if not isinstance(raw, list):
            notes.append(f"Strategy {label!r} has no auth_latency_cdf_ms; left out of the latency plot.")
            continue
        points, dropped = [], 0
        for item in raw:
            if not isinstance(item, (list, tuple)) or len(item) < 2:
                dropped += 1
                continue
            x, p = num(item[0]), num(item[1])
            if x is None or p is None or x <= 0:
                dropped += 1
                continue
            points.append((x, min(max(p, 0.0), 1.0)))
        if dropped:
            notes.append(f"Strategy {label!r}: {dropped} auth_latency_cdf_ms point(s) were malformed "
                         f"or not positive (log axis) and were ignored.")
        if not points:
            notes.append(f"Strategy {label!r} has no usable auth_latency_cdf_ms points; left out of the latency plot.")
            continue
        points.sort()
        cdfs.append((label, [p[0] for p in points], [p[1] for p in points]))
    return cdfs


def extract_errors(strategies, labels, notes):
    rows = []
    for s, label in zip(strategies, labels):
        errors = s.get("errors")
        if not isinstance(errors, dict):
            notes.append(f"Strategy {label!r} has no errors object; left out of the errors panel.")
            continue
        rows.append((label, {st: num(errors.get(st)) or 0.0 for st in ERROR_STATUSES}))
    return rows


def extract_errors_stats(strategies, labels, notes):
    """Replicated runs: mean errors per status and the 95 % interval of errors.total."""
    rows, intervals = [], {}
    for s, label in zip(strategies, labels):
        means = {st: stat(s, f"errors.{st}") for st in ERROR_STATUSES}
        if all(v is None for v in means.values()):
            notes.append(f"Strategy {label!r} has no errors.* in stats; left out of the errors panel.")
            continue
        rows.append((label, {st: (v[0] if v else 0.0) for st, v in means.items()}))
        total = stat(s, "errors.total")
        if total is not None and total[1] is not None:
            intervals[label] = (total[0], total[1])
    return rows, intervals


def extract_costs_stats(strategies, labels, notes):
    """Replicated runs: mean cost_usd.total and its 95 % interval."""
    rows, intervals = [], {}
    for s, label in zip(strategies, labels):
        total = stat(s, "cost_usd.total")
        if total is None:
            notes.append(f"Strategy {label!r} has no cost_usd.total in stats; left out of the cost panel.")
            continue
        rows.append((label, total[0]))
        if total[1] is not None:
            intervals[label] = (total[0], total[1])
    return rows, intervals


def extract_costs(strategies, labels, notes):
    rows = []
    for s, label in zip(strategies, labels):
        total = num(get(s, "cost_usd", "total"))
        if total is None:
            notes.append(f"Strategy {label!r} has no cost_usd.total; left out of the cost panel.")
            continue
        rows.append((label, total))
    return rows


# ------------------------------------------------------------------------- plots


def import_matplotlib(prog="credsim_report"):
    try:
        import matplotlib
        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt
        import matplotlib.style  # noqa: F401  (used by Plotter.context)
        import matplotlib.ticker  # noqa: F401  (used by Plotter.errors_and_cost)
    except ImportError as e:
        sys.stderr.write(
            f"{prog}: matplotlib cannot be imported by {sys.executable} "
            f"(Python {sys.version.split()[0]}): {e}\n"
            f"{prog}: run it with /usr/bin/python3 and install Debian's python3-matplotlib "
            "(apt-get install python3-matplotlib, or scripts/setup).\n")
        sys.exit(EXIT_NO_MATPLOTLIB)
    return matplotlib, plt


class Plotter:
    def __init__(self, matplotlib, plt):
        self.mpl = matplotlib
        self.plt = plt
        # Fixed settings on top of matplotlib's built-in defaults (any user matplotlibrc
        # is ignored) so that the output is reproducible.
        self.rc = {
            "svg.hashsalt": "credsim",
            "figure.dpi": 100,
            "savefig.dpi": 110,
            "font.size": 10,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "legend.frameon": False,
            # Figures ask for constrained layout themselves; with these off (the defaults),
            # save() can switch a figure's layout engine off after running it once.
            "figure.autolayout": False,
            "figure.constrained_layout.use": False,
        }

    @contextlib.contextmanager
    def context(self):
        with self.mpl.style.context("default"), self.mpl.rc_context(self.rc):
            yield

    def style(self, index):
        colors = self.mpl.rcParams["axes.prop_cycle"].by_key().get("color") or ["C0"]
        return {"color": colors[index % len(colors)],
                "linestyle": LINESTYLES[(index // len(colors)) % len(LINESTYLES)]}

    def save(self, fig, path):
        """Write fig to path as a PNG (atomically, without metadata) and close it.

        The figure's layout engine runs once here, at the output DPI, and is then switched
        off, so that savefig draws the figure once. Left on, savefig would make a full draw
        without output first just to run the layout, then draw again: the same pixels
        (byte-identical files), about 15 % more time.
        """
        dpi = self.rc["savefig.dpi"]
        engine = fig.get_layout_engine()
        if engine is not None:
            fig.set_dpi(dpi)
            try:
                engine.execute(fig)
            except ValueError:  # as Figure.draw: a layout that cannot be solved is skipped
                pass
            fig.set_layout_engine(None)  # None under self.rc; "none" would keep a placeholder
        write_atomic(path, lambda tmp: fig.savefig(tmp, format="png", dpi=dpi, metadata={"Software": None}))
        self.plt.close(fig)

    @staticmethod
    def legend(ax, n):
        if n > 6:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
        else:
            ax.legend(loc="best", fontsize="small")

    def sts_calls(self, path, info, series, order):
        """Returns a short phrase describing the y scale."""
        duration = info["duration_s"]
        if duration is None:
            duration = max((max(t) for _, t, _ in series), default=None)
        div, unit = time_unit(duration)
        interval = info["interval_s"]
        positives = sorted(v for _, _, ys in series for v in ys if v > 0)
        symlog = False
        if len(positives) >= 5:
            p90 = positives[int(0.9 * (len(positives) - 1))]
            symlog = positives[-1] > 20 * max(p90, 1.0)
        with self.context():
            fig, ax = self.plt.subplots(figsize=(10, 5), constrained_layout=True)
            warmup = info["warmup_s"]
            if warmup is not None and warmup > 0:
                ax.axvspan(0, warmup / div, color="0.85", alpha=0.6, linewidth=0, label="warm-up")
            for label, t, ys in series:
                ax.plot([x / div for x in t], ys, label=label, linewidth=1.4, **self.style(order[label]))
            if symlog:
                ax.set_yscale("symlog", linthresh=1.0)
                ax.set_ylim(bottom=0)
            else:
                ax.set_ylim(bottom=0)
            ax.set_xlabel(f"time since start ({unit})")
            per = f"per {fmt_sig(interval)} s interval" if interval is not None else "per interval"
            ax.set_ylabel(f"STS calls {per}" + (" (symlog scale)" if symlog else ""))
            ax.set_title(f"STS AssumeRole calls over time: {info['scenario']}")
            self.legend(ax, len(series) + 1)
            self.save(fig, path)
        return "symlog" if symlog else "linear"

    def latency_cdf(self, path, info, cdfs, order):
        with self.context():
            fig, (ax, tail) = self.plt.subplots(1, 2, figsize=(12, 5), constrained_layout=True)
            for label, xs, ps in cdfs:
                st = self.style(order[label])
                ax.plot(xs, ps, drawstyle="steps-post", label=label, linewidth=1.4, **st)
                ccdf = [(x, 1.0 - p) for x, p in zip(xs, ps) if 1.0 - p > 1e-12]
                if ccdf:
                    tail.plot([c[0] for c in ccdf], [c[1] for c in ccdf], drawstyle="steps-post",
                              label=label, linewidth=1.4, **st)
            ax.set_xscale("log")
            ax.set_ylim(0, 1.02)
            ax.set_xlabel("auth latency (ms, log scale)")
            ax.set_ylabel("fraction of requests ≤ latency")
            ax.set_title("Auth latency CDF")
            for q in (0.5, 0.99):
                ax.axhline(q, color="0.5", linewidth=0.7, linestyle=":")
            tail.set_xscale("log")
            tail.set_yscale("log")
            tail.set_xlabel("auth latency (ms, log scale)")
            tail.set_ylabel("fraction of requests > latency (1 − CDF)")
            tail.set_title("Tail (1 − CDF)")
            for q in (1e-2, 1e-3):
                tail.axhline(q, color="0.5", linewidth=0.7, linestyle=":")
            self.legend(ax, len(cdfs))
            fig.suptitle(f"Auth latency: {info['scenario']}")
            self.save(fig, path)

    def errors_and_cost(self, path, info, errors, costs, order, intervals=None, n_reps=1):
        """intervals: {"errors": {label: (mean, (lo, hi))}, "cost": {...}} of errors.total and
        cost_usd.total; with n_reps > 1 the bars are means and each interval is drawn as an
        error bar around its own mean (errors.total may count statuses the stack leaves out)."""
        intervals = intervals or {"errors": {}, "cost": {}}
        with self.context():
            fig, (ax_e, ax_c) = self.plt.subplots(1, 2, figsize=(12, 5.5), constrained_layout=True)
            all_labels = [lab for lab, _ in errors] + [lab for lab, _ in costs]
            rotate = len(set(all_labels)) > 4 or any(len(lab) > 10 for lab in all_labels)
            crowded = max(len(errors), len(costs)) > 6
            value_style = ({"rotation": 90, "fontsize": "x-small"} if crowded else {"fontsize": "small"})
            headroom = 1.3 if crowded else 1.12

            if errors:
                xs = list(range(len(errors)))
                bottom = [0.0] * len(errors)
                for st in ERROR_STATUSES:
                    vals = [row[st] for _, row in errors]
                    ax_e.bar(xs, vals, bottom=bottom, color=STATUS_COLORS[st], label=f"HTTP {st}", width=0.6)
                    bottom = [b + v for b, v in zip(bottom, vals)]
                tops = list(bottom)
                for i, (lab, _) in enumerate(errors):
                    if lab in intervals["errors"]:
                        m, iv = intervals["errors"][lab]
                        ax_e.errorbar([xs[i]], [m], yerr=[[max(m - max(iv[0], 0.0), 0.0)], [max(iv[1] - m, 0.0)]],
                                      fmt="none", ecolor="black", elinewidth=1.0, capsize=4)
                        tops[i] = max(bottom[i], iv[1])
                for x, total, top in zip(xs, bottom, tops):
                    ax_e.annotate(fmt_count(total), (x, top), xytext=(0, 3), textcoords="offset points",
                                  ha="center", va="bottom", **value_style)
                self._ticks(ax_e, xs, [lab for lab, _ in errors], rotate)
                if max(tops) == 0:
                    ax_e.set_ylim(0, 1)
                    ax_e.text(0.5, 0.5, "no errors recorded", transform=ax_e.transAxes,
                              ha="center", va="center", color="0.4")
                else:
                    ax_e.set_ylim(0, max(tops) * headroom)
                ax_e.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), fontsize="small",
                            ncol=len(ERROR_STATUSES), handlelength=1.2, columnspacing=1.0)
            else:
                self._no_data(ax_e)
            ax_e.yaxis.set_major_locator(self.mpl.ticker.MaxNLocator(integer=True))
            ax_e.set_ylabel("failed requests (count)" if n_reps == 1
                            else f"failed requests (mean of {n_reps} replications)")
            ax_e.set_title("Errors by HTTP status", pad=24 if errors else 6)

            if costs:
                xs = list(range(len(costs)))
                vals = [c for _, c in costs]
                ax_c.bar(xs, vals, width=0.6, color=[self.style(order[lab])["color"] for lab, _ in costs])
                tops = list(vals)
                for i, (lab, v) in enumerate(costs):
                    if lab in intervals["cost"]:
                        m, iv = intervals["cost"][lab]
                        ax_c.errorbar([xs[i]], [m], yerr=[[max(m - max(iv[0], 0.0), 0.0)], [max(iv[1] - m, 0.0)]],
                                      fmt="none", ecolor="black", elinewidth=1.0, capsize=4)
                        tops[i] = max(v, iv[1])
                for x, v, t in zip(xs, vals, tops):
                    ax_c.annotate(f"${fmt_cost(v)}", (x, t), xytext=(0, 3), textcoords="offset points",
                                  ha="center", va="bottom", **value_style)
                self._ticks(ax_c, xs, [lab for lab, _ in costs], rotate)
                top = max(tops)
                ax_c.set_ylim(min(0.0, min(vals)), top * headroom if top > 0 else 1)
            else:
                self._no_data(ax_c)
            ax_c.set_ylabel("total cost (USD)" if n_reps == 1
                            else f"total cost (USD, mean of {n_reps} replications)")
            ax_c.set_title("Cost (cost_usd.total)", pad=24 if errors else 6)
            fig.suptitle(f"Errors and cost: {info['scenario']}" if n_reps == 1 else
                         f"Errors and cost: {info['scenario']} (means, 95 % interval error bars)")
            self.save(fig, path)

    @staticmethod
    def _ticks(ax, xs, labels, rotate):
        ax.set_xticks(xs)
        if rotate:
            ax.set_xticklabels(labels, rotation=30 if len(labels) <= 6 else 50, ha="right",
                               rotation_mode="anchor", fontsize="small" if len(labels) > 6 else None)
        else:
            ax.set_xticklabels(labels)
        ax.grid(False, axis="x")

    @staticmethod
    def _no_data(ax):
        ax.set_xticks([])
        ax.set_yticks([])
        ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center", color="0.4")


# ------------------------------------------------------------------------ report


TABLE_COLUMNS = (
    ("Strategy", "l"), ("Requests", "r"), ("STS calls", "r"), ("Peak STS/s", "r"),
    ("Throttled", "r"), ("403", "r"), ("500", "r"), ("502", "r"), ("503", "r"),
    ("p50 auth ms", "r"), ("p99 auth ms", "r"), ("p999 auth ms", "r"),
    ("L1 hit", "r"), ("Warm", "r"), ("Cost $", "r"),
    ("Exposure cred·s", "r"), ("Places", "r"),
)


def table_row(s, label):
    return [
        md_cell(label),
        fmt_count(s.get("requests")),
        fmt_count(s.get("sts_calls")),
        fmt_count(s.get("sts_calls_peak_per_s")),
        fmt_count(s.get("sts_throttled")),
        *(fmt_count(get(s, "errors", st)) for st in ERROR_STATUSES),
        *(fmt_sig(get(s, "auth_latency_ms", q)) for q in ("p50", "p99", "p999")),
        fmt_ratio(get(s, "hit_ratio", "l1")),
        fmt_ratio(s.get("warm_request_ratio")),
        fmt_cost(get(s, "cost_usd", "total")),
        fmt_amount(get(s, "exposure", "credential_seconds_at_rest")),
        fmt_count(get(s, "exposure", "places")),
    ]


# The stats key and formatter of each TABLE_COLUMNS column after "Strategy".
TABLE_STATS = (
    ("requests", fmt_count, False), ("sts_calls", fmt_count, False),
    ("sts_calls_peak_per_s", fmt_count, False), ("sts_throttled", fmt_count, False),
    *((f"errors.{st}", fmt_count, False) for st in ERROR_STATUSES),
    *((f"auth_latency_ms.{q}", fmt_sig, False) for q in ("p50", "p99", "p999")),
    ("hit_ratio.l1", fmt_ratio, True), ("warm_request_ratio", fmt_ratio, True),
    ("cost_usd.total", fmt_cost, False), ("exposure.credential_seconds_at_rest", fmt_amount, False),
    ("exposure.places", fmt_count, False),
)


def table_row_stats(s, label, notes):
    """A comparison-table row of "mean ± half-width" from the strategy's stats."""
    if not isinstance(s.get("stats"), dict):
        notes.append(f"Strategy {label!r} has no stats; its row shows replication 0 without intervals.")
        return table_row(s, label)
    cells, missing = [md_cell(label)], []
    for key, fmt, percent in TABLE_STATS:
        st = stat(s, key)
        if st is None:
            missing.append(key)
            cells.append(NA)
        else:
            cells.append(fmt_pm(st[0], st[2], fmt, percent))
    if missing:
        notes.append(f"Strategy {label!r}: stats has no {', '.join(missing)}.")
    return cells


def render_markdown(info, strategies, labels, figures, notes):
    out = []
    add = out.append
    add(f"# credsim report: {md_cell(info['scenario'])}")
    add("")
    description = info["description"]
    if description:
        add(description)
        add("")
    for warning in info["warnings"]:
        add(f"> **Warning:** {md_cell(warning)}")
        add("")
    add("| Run | |")
    add("|---|---|")
    add(f"| Scenario | {md_code(info['scenario'])} |")
    add(f"| Seed | {md_cell(info['seed'])} |")
    add(f"| credsim version | {md_cell(info['version'])} |")
    add(f"| Duration | {fmt_duration(info['duration_s'])} |")
    add(f"| Warm-up | {fmt_duration(info['warmup_s'])} |")
    add(f"| Initial state | {md_cell(info['initial_state'])} |")
    add(f"| Time-series interval | {fmt_duration(info['interval_s'])} |")
    if info["replications"] > 1:
        seeds = info["seeds"]
        seed_text = f" (seeds {seeds[0]}–{seeds[-1]})" if seeds else ""
        add(f"| Replications | {info['replications']}{seed_text} |")
    if info["baseline"]:
        add(f"| Baseline strategy | {md_cell(info['baseline'])} |")
    add(f"| Strategies | {len(strategies)} |")
    add(f"| Source file | {md_code(info['source'])} |")
    add("")
    add("## Comparison")
    add("")
    add("| " + " | ".join(name for name, _ in TABLE_COLUMNS) + " |")
    add("|" + "|".join(":---" if align == "l" else "---:" for _, align in TABLE_COLUMNS) + "|")
    replicated = info["replications"] > 1
    for s, label in zip(strategies, labels):
        row = table_row_stats(s, label, notes) if replicated else table_row(s, label)
        add("| " + " | ".join(row) + " |")
    add("")
    if replicated:
        add(f"Each cell is the mean over the {info['replications']} replications ± the half-width of its "
            "Student-t 95 % interval (from each strategy's `stats`; half-width to 2 significant digits). "
            "The time series and latency CDF plots show replication 0.")
        add("")
    add("Latencies are auth latencies in milliseconds (3 significant digits); "
        "*L1 hit* is `hit_ratio.l1`, *Warm* is `warm_request_ratio`; "
        "*Exposure cred·s* is `exposure.credential_seconds_at_rest` and *Places* is `exposure.places`; "
        "n/a means the value is missing from the results file.")
    add("")
    add("### Strategy parameters")
    add("")
    add("| Strategy | Kind | Params |")
    add("|:---|:---|:---|")
    for s, label in zip(strategies, labels):
        kind = s.get("kind")
        params = s.get("params")
        params_text = (md_code(json.dumps(params, sort_keys=True, ensure_ascii=False))
                       if params is not None else NA)
        add(f"| {md_cell(label)} | {md_cell(kind) if isinstance(kind, str) else NA} | {params_text} |")
    add("")
    add("## Plots")
    add("")
    for n, (filename, alt, caption) in enumerate(figures, 1):
        add(f"![{alt}]({filename})")
        add("")
        add(f"*Figure {n}: {caption}*")
        add("")
    if not figures:
        add("No plots could be drawn (see notes).")
        add("")
    if notes:
        add("## Notes")
        add("")
        for note in notes:
            add(f"- {note}")
        add("")
    return "\n".join(out)


def scenario_info(data, path):
    def text(key):
        v = data.get(key)
        return " ".join(str(v).split()) if v is not None else NA
    scenario = data.get("scenario")
    description = data.get("description")
    warnings = data.get("warnings")
    return {
        "warnings": [" ".join(w.split()) for w in warnings if isinstance(w, str)]
        if isinstance(warnings, list) else [],
        "initial_state": text("initial_state"),
        "scenario": scenario if isinstance(scenario, str) and scenario.strip()
        else os.path.splitext(os.path.basename(path))[0],
        "description": description.strip() if isinstance(description, str) else "",
        "seed": text("seed"),
        "version": text("credsim_version"),
        "duration_s": num(data.get("duration_s")),
        "warmup_s": num(data.get("warmup_s")),
        "interval_s": num(data.get("timeseries_interval_s")),
        "source": os.path.basename(path),
        "replications": replications(data),
        "seeds": [s for s in data.get("seeds") if isinstance(s, int)]
        if isinstance(data.get("seeds"), list) else [],
        "baseline": data.get("baseline_strategy") if isinstance(data.get("baseline_strategy"), str) else "",
    }


def generate(data, path, out_dir, plotter):
    strategies = data["strategies"]
    notes = []
    info = scenario_info(data, path)
    for key in ("scenario", "description", "seed", "credsim_version", "duration_s"):
        if key not in data:
            notes.append(f'The results file has no "{key}".')
    labels = strategy_labels(strategies, notes)
    order = {label: i for i, label in enumerate(labels)}
    os.makedirs(out_dir, exist_ok=True)
    figures = []
    n_reps = info["replications"]
    if n_reps > 1:
        seed0 = f" (seed {info['seeds'][0]})" if info["seeds"] else ""
        rep0 = f" Replication 0{seed0} of {n_reps}."
    else:
        rep0 = ""

    def target(name):
        return os.path.join(out_dir, name)

    def drop_stale(name):
        if os.path.exists(target(name)):
            os.remove(target(name))

    series = extract_timeseries(strategies, labels, notes)
    if series:
        scale = plotter.sts_calls(target(STS_PNG), info, series, order)
        interval = f"{fmt_sig(info['interval_s'])} s" if info["interval_s"] is not None else "time-series"
        warm = (f"; the grey band is the {fmt_duration(info['warmup_s'])} warm-up"
                if info["warmup_s"] else "")
        scale_note = " (symlog y axis because of a spike)" if scale == "symlog" else ""
        figures.append((STS_PNG, "STS calls over time",
                        f"STS calls per {interval} interval for each strategy{scale_note}{warm}.{rep0}"))
    else:
        drop_stale(STS_PNG)
        notes.append(f"{STS_PNG} was not drawn: no strategy has a usable timeseries.")

    cdfs = extract_cdfs(strategies, labels, notes)
    if cdfs:
        plotter.latency_cdf(target(CDF_PNG), info, cdfs, order)
        figures.append((CDF_PNG, "Auth latency CDF",
                        "Cumulative distribution of auth latency per strategy on a log millisecond axis "
                        "(left), with the tail as 1 − CDF on log-log axes (right) so p99 and p999 "
                        f"differences are visible.{rep0}"))
    else:
        drop_stale(CDF_PNG)
        notes.append(f"{CDF_PNG} was not drawn: no strategy has usable auth_latency_cdf_ms data.")

    if n_reps > 1:
        errors, err_iv = extract_errors_stats(strategies, labels, notes)
        costs, cost_iv = extract_costs_stats(strategies, labels, notes)
        intervals = {"errors": err_iv, "cost": cost_iv}
        what = (f" Means over the {n_reps} replications; the black error bars are the 95 % intervals "
                "of the error total (`errors.total`) and of the cost (clipped at 0).")
    else:
        errors = extract_errors(strategies, labels, notes)
        costs = extract_costs(strategies, labels, notes)
        intervals, what = None, ""
    if errors or costs:
        plotter.errors_and_cost(target(ERR_PNG), info, errors, costs, order, intervals, n_reps)
        figures.append((ERR_PNG, "Errors and cost per strategy",
                        "Failed requests per strategy stacked by HTTP status (left) and total simulated "
                        f"cost in USD (right).{what}"))
    else:
        drop_stale(ERR_PNG)
        notes.append(f"{ERR_PNG} was not drawn: no strategy has errors or cost_usd.total.")

    for s, label in zip(strategies, labels):
        expired = num(s.get("expired_credential_uses"))
        if expired:
            notes.append(f"Strategy {label!r} used expired credentials {fmt_count(expired)} time(s).")

    markdown = render_markdown(info, strategies, labels, figures, notes)
    write_text_atomic(target(REPORT_MD), markdown)
    return target(REPORT_MD)


# -------------------------------------------------------------------------- main


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="credsim_report.py",
        description="Plot credsim results.json files and write a Markdown comparison report. "
                    "For each file: sts_calls_over_time.png, auth_latency_cdf.png, "
                    "errors_and_cost.png and report.md, written to OUT (one file) or "
                    "OUT/<scenario>/ (several files).",
        epilog="Needs matplotlib; on Debian use /usr/bin/python3 with python3-matplotlib. "
               "Exit codes: 0 ok, 1 cannot write output, 2 bad input "
               "(missing file, not JSON, no strategies), 3 matplotlib missing.")
    parser.add_argument("results", nargs="+", metavar="RESULTS.json", help="credsim results file(s)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output directory (created if needed)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    # Validate every input before writing anything.
    loaded = []
    for path in args.results:
        try:
            loaded.append((path, load_results(path)))
        except BadInput as e:
            sys.stderr.write(f"credsim_report: error: {e}\n")
            return EXIT_BAD_INPUT

    matplotlib, plt = import_matplotlib()
    plotter = Plotter(matplotlib, plt)
    used = set()
    try:
        for path, data in loaded:
            out_dir = args.out
            if len(loaded) > 1:
                out_dir = os.path.join(args.out, scenario_dirname(data.get("scenario"), path, used))
            report = generate(data, path, out_dir, plotter)
            print(f"credsim_report: wrote {report}")
    except OSError as e:
        sys.stderr.write(f"credsim_report: error: cannot write output: {e}\n")
        return EXIT_WRITE_ERROR
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Plots fit time and peak memory against the number of points from a benchmark report.

Usage: plot_report.py RESULTS.json OUT_DIR

Input: a JSON object; only its "decay" key is read (other keys are ignored):

    {"decay": [{"tool": str,                        e.g. "homodyne trf", "scipy_trf"
                "n": int,                           number of points
                "median_seconds": float or null,    median fit time in seconds
                "median_peak_rss_mb": float or null,  median peak RSS in MB
                "status": str},                     e.g. "ok"; not used for the plots
               ...],
     ...}

Output, in OUT_DIR (created if missing), 1200 x 800 px PNGs drawn with matplotlib's Agg
backend:
    time_vs_points.png    median fit seconds against n, log-log;
    memory_vs_points.png  median peak RSS (MB) against n, log-log.
One line with markers per tool, in the order tools first appear in the file; homodyne's
tools ("homodyne trf", "homodyne lm", any name starting with "homodyne") are drawn thicker.
A tool is drawn with the sizes where it has a value (null, non-finite or non-positive
values are left out); a tool with no value at all is left out of the figure and of the
legend, and named on stderr as skipped.
Exit status: 0 on success, 2 for bad arguments or an unreadable or malformed input file.
"""

import json
import math
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

FIGSIZE = (9, 6)
DPI = 400 / 3  # 9 x 6 inches at 133.3 dpi = 1200 x 800 px
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p")
FIGURES = (
    ("time_vs_points.png", "median_seconds", "median fit time (s)",
     "y = a exp(-b x) + c: fit time against points (median)"),
    ("memory_vs_points.png", "median_peak_rss_mb", "median peak RSS (MB)",
     "y = a exp(-b x) + c: peak memory against points (median)"),
)


def fail(text):
    """Reports a bad argument or input file on stderr and exits with status 2."""
    print(f"plot_report.py: error: {text}", file=sys.stderr)
    sys.exit(2)


def read_decay(path):
    """The list of "decay" records of the report at `path`; exits with status 2 if malformed."""
    try:
        report = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        fail(f"{path}: {exc}")
    records = report.get("decay") if isinstance(report, dict) else None
    if not isinstance(records, list):
        fail(f"{path}: no \"decay\" list")
    for i, record in enumerate(records):
        if not isinstance(record, dict) or "tool" not in record or "n" not in record:
            fail(f"{path}: decay[{i}] has no \"tool\" or \"n\"")
    return records


def positive(value):
    """The value as a float if it is a finite positive number (drawable on a log axis), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) and value > 0 else None


def series(records, key):
    """{tool: sorted [(n, value)]} for the key, tools in order of first appearance."""
    out = {}
    for record in records:
        points = out.setdefault(str(record["tool"]), [])
        n, value = positive(record["n"]), positive(record.get(key))
        if n is not None and value is not None:
            points.append((n, value))
    return {tool: sorted(points) for tool, points in out.items()}


def is_homodyne(tool):
    """Whether the tool is one of homodyne's own (drawn thicker)."""
    return tool.lower().startswith("homodyne")


def plot(records, key, ylabel, title, path):
    """Draws one figure: `key` against n, one line per tool, log-log; writes it to `path`."""
    fig, ax = plt.subplots(figsize=FIGSIZE, dpi=DPI)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    drawn = 0
    for i, (tool, points) in enumerate(series(records, key).items()):
        if not points:
            print(f"{path.name}: skipped {tool} (no {key} value)", file=sys.stderr)
            continue
        ns, values = zip(*points)
        thick = is_homodyne(tool)
        ax.plot(ns, values, label=tool, marker=MARKERS[i % len(MARKERS)],
                color=colors[i % len(colors)], linewidth=3.2 if thick else 1.6,
                markersize=8 if thick else 6, zorder=3 if thick else 2)
        drawn += 1
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("points n")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.5)
    ax.grid(True, which="minor", alpha=0.15)
    if drawn:
        ax.legend(loc="best", fontsize=9)
    else:
        print(f"{path.name}: no tool has a value; the figure is empty", file=sys.stderr)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    print(f"wrote {path}", file=sys.stderr)


def main():
    """Reads the report named by the first argument and writes the figures into the second."""
    if len(sys.argv) != 3 or sys.argv[1] in ("-h", "--help"):
        print(__doc__, file=sys.stderr)
        sys.exit(0 if len(sys.argv) == 2 and sys.argv[1] in ("-h", "--help") else 2)
    records = read_decay(sys.argv[1])
    out_dir = Path(sys.argv[2])
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"{out_dir}: {exc}")
    for name, key, ylabel, title in FIGURES:
        plot(records, key, ylabel, title, out_dir / name)


if __name__ == "__main__":
    main()

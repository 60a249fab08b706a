#!/usr/bin/env python3
"""Times scipy.optimize.least_squares on the data of homodyne's `standard` benchmark.

The model is y = a exp(-b x) + c with its analytic Jacobian, fitted from p0 = (1, 1, 0).
The data are the files `decay_{n}.f64` that `cargo bench -p homodyne --bench standard`
writes when HOMODYNE_BENCH_DATA_DIR is set (n values of x, then n values of y,
little-endian float64), so that scipy and homodyne fit exactly the same numbers.

Two settings are timed for each method:
- "matched": homodyne's defaults (ftol = xtol = gtol = 1e-15, x_scale='jac');
- "scipy-default": scipy's own defaults (tolerances 1e-8; x_scale 1 for trf, 'jac' for lm).

Each timing is the median of several fits, after one untimed warm-up fit, measured with
time.perf_counter. The results are printed to stdout as one JSON object; progress goes to
stderr. `cargo xtask bench` runs this script and builds the comparison table.

Usage: scipy_standard.py --data-dir DIR [--sizes N ...] [--repeats R] [--settings S ...]
"""

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import scipy
from scipy.optimize import least_squares

P0 = np.array([1.0, 1.0, 0.0])
SETTINGS = {
    "matched": {"ftol": 1e-15, "xtol": 1e-15, "gtol": 1e-15, "x_scale": "jac"},
    "scipy-default": {},
}


def residuals(p, x, y):
    """Residuals a exp(-b x) + c - y."""
    return p[0] * np.exp(-p[1] * x) + p[2] - y


def jacobian(p, x, y):
    """Analytic Jacobian of the residuals: columns e, -a x e, 1 with e = exp(-b x)."""
    e = np.exp(-p[1] * x)
    jac = np.empty((x.size, 3))
    jac[:, 0] = e
    jac[:, 1] = -p[0] * x * e
    jac[:, 2] = 1.0
    return jac


def load(data_dir, n):
    """Reads decay_{n}.f64: n values of x then n values of y, little-endian float64."""
    path = Path(data_dir) / f"decay_{n}.f64"
    values = np.fromfile(path, dtype="<f8")
    if values.size != 2 * n:
        raise SystemExit(f"{path}: expected {2 * n} values, found {values.size}")
    return values[:n].copy(), values[n:].copy()


def default_repeats(n):
    """Timed fits per case: more for small problems, where one fit is quick."""
    return 15 if n <= 10_000 else 7 if n <= 100_000 else 5


def fit(x, y, method, options):
    """One least_squares fit with the analytic Jacobian."""
    return least_squares(residuals, P0, jac=jacobian, method=method, args=(x, y), **options)


def time_case(x, y, method, setting, repeats):
    """Fits once untimed, then `repeats` timed fits; returns a JSON-ready record."""
    options = SETTINGS[setting]
    result = fit(x, y, method, options)
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        fit(x, y, method, options)
        seconds.append(time.perf_counter() - start)
    return {
        "n": int(x.size),
        "method": method,
        "settings": setting,
        "seconds": statistics.median(seconds),
        "all_seconds": seconds,
        "parameters": result.x.tolist(),
        "cost": float(result.cost),
        "nfev": int(result.nfev),
        "njev": None if result.njev is None else int(result.njev),
        "status": int(result.status),
        "success": bool(result.success),
    }


def main():
    """Parses the arguments, times every (n, method, settings) case, prints the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="folder holding decay_{n}.f64")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=None, help="timed fits per case")
    parser.add_argument("--settings", nargs="+", choices=sorted(SETTINGS), default=list(SETTINGS))
    args = parser.parse_args()

    results = []
    for n in args.sizes:
        x, y = load(args.data_dir, n)
        repeats = args.repeats or default_repeats(n)
        for method in ("trf", "lm"):
            for setting in args.settings:
                record = time_case(x, y, method, setting, repeats)
                print(
                    f"scipy {method:3} {setting:13} n={n:>8}: {record['seconds'] * 1e3:9.2f} ms "
                    f"(median of {repeats}), nfev={record['nfev']}, p={record['parameters']}",
                    file=sys.stderr,
                )
                results.append(record)
    report = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "results": results,
    }
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Times scipy and nlsq on the data of `cargo xtask bench-large` (1e6 and 1e7 points).

The model is y = a exp(-b x) + c, fitted from p0 = (1, 1, 0) on the files `decay_{n}.f64`
(n values of x, then n values of y, little-endian float64) that the example
`crates/homodyne/examples/large_bench.rs` writes, so every program fits the same numbers.

Competitors, each at its own defaults (what a user gets without tuning):
- scipy.optimize.least_squares, method "trf" and "lm", analytic Jacobian;
- nlsq.curve_fit and nlsq.curve_fit_large on the CPU (JAX, automatic differentiation).
scipy's trf and lm are also timed with homodyne's tolerances (ftol = xtol = gtol = 1e-15,
x_scale='jac'), the "matched" setting.

Each timing is the median of `--repeats` fits after one untimed warm-up fit (for nlsq the
warm-up also compiles the model; the compile time is reported separately as "first").
The results go to stdout as one JSON object; progress goes to stderr.

Usage: large_compare.py --data-dir DIR [--sizes N ...] [--repeats R]
"""

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("JAX_ENABLE_X64", "1")
# nlsq logs every iteration at INFO and its own PERFORMANCE level; keep stderr readable.
logging.disable(logging.WARNING)

import numpy as np  # noqa: E402
import scipy  # noqa: E402
from scipy.optimize import least_squares  # noqa: E402

# The model, its Jacobian, the start and the data files are those of the STANDARD
# benchmark's script (this folder), so both benchmarks fit the same problem.
from scipy_standard import P0, jacobian, load, residuals  # noqa: E402

MATCHED = {"ftol": 1e-15, "xtol": 1e-15, "gtol": 1e-15, "x_scale": "jac"}


def timed(fit, repeats):
    """(first, median of repeats, last result) of calling fit()."""
    start = time.perf_counter()
    result = fit()
    first = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fit()
        times.append(time.perf_counter() - start)
    return first, statistics.median(times), result


def scipy_runs(x, y, repeats):
    out = {}
    for method in ("trf", "lm"):
        for setting, kwargs in (("default", {}), ("matched", MATCHED)):
            def fit():
                return least_squares(residuals, P0, jac=jacobian, args=(x, y), method=method, **kwargs)
            first, median, res = timed(fit, repeats)
            out[f"scipy_{method}_{setting}"] = {
                "seconds": median,
                "first": first,
                "nfev": int(res.nfev),
                "njev": int(res.njev) if res.njev is not None else None,
                "parameters": res.x.tolist(),
            }
            print(f"  scipy {method} {setting}: {median:.3f} s", file=sys.stderr)
    return out


def nlsq_runs(x, y, repeats):
    import jax
    import jax.numpy as jnp
    import nlsq

    def model(x, a, b, c):
        return a * jnp.exp(-b * x) + c

    out = {"nlsq_version": nlsq.__version__, "jax_version": jax.__version__,
           "jax_devices": [str(d) for d in jax.devices()]}
    for name, call in (
        ("curve_fit", lambda: nlsq.curve_fit(model, x, y, p0=P0)),
        ("curve_fit_large", lambda: nlsq.curve_fit_large(model, x, y, p0=P0)),
    ):
        first, median, res = timed(call, repeats)
        popt = res[0] if isinstance(res, tuple) else res.x
        out[f"nlsq_{name}"] = {"seconds": median, "first": first,
                               "parameters": np.asarray(popt).tolist()}
        print(f"  nlsq {name}: {median:.3f} s (first call {first:.3f} s)", file=sys.stderr)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-nlsq", action="store_true")
    args = parser.parse_args()
    report = {"python": platform.python_version(), "numpy": np.__version__,
              "scipy": scipy.__version__, "sizes": {}}
    for n in args.sizes:
        x, y = load(args.data_dir, n)
        print(f"n = {n}", file=sys.stderr)
        runs = scipy_runs(x, y, args.repeats)
        if not args.skip_nlsq:
            runs.update(nlsq_runs(x, y, args.repeats))
        report["sizes"][str(n)] = runs
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()

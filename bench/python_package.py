#!/usr/bin/env python3
"""One fit per process: homodyne_rs.curve_fit against scipy.optimize.curve_fit, same callable.

The measurement of the Python package `homodyne_rs` (crates/homodyne-py) that `cargo xtask
bench` runs at 1e6 and 1e7 points: what a scientist gains by changing the import line of a
`curve_fit` call, the model being a numpy function both libraries call as often as they
need. One invocation does one fit and prints exactly one JSON object, on one line, as the
last line of stdout; progress, warnings and anything a library prints go to stderr.
Running every fit in a fresh process makes the peak memory (RSS) that fit's alone.

Usage:
    python_package.py --tool TOOL --data FILE [--block POINTS]

FILE is `decay_{n}.f64`: n little-endian float64 values of x, then n values of y (the
files of homodyne's `standard`, `large` and `bench` benchmarks, also read by
bench/peers.py). The model is y = a exp(-b x) + c, fitted from p0 = (1, 1, 0). TOOL is:

  homodyne_rs_callable      homodyne_rs.curve_fit(model, x, y, p0=p0, full_output=True),
                            the model the numpy callable below: homodyne_rs calls it on
                            blocks of `--block` points (its default block when omitted),
                            forward differences for the Jacobian;
  homodyne_rs_formula       homodyne_rs.curve_fit("a*exp(-b*x)+c", x, y, p0=p0,
                            full_output=True): the formula runs in Rust with exact
                            derivatives, no Python call at all;
  scipy_curve_fit_callable  scipy.optimize.curve_fit(model, x, y, p0=p0, full_output=True)
                            with the very same callable, at scipy's defaults: no bounds,
                            so method 'lm' (MINPACK) with forward differences, every call on
                            all n points.

The callable is `a * np.exp(-b * x) + c`, wrapped to count its calls and the points it was
given (`len(x)` summed over the calls, under a lock: homodyne_rs's calls come from the
solver's threads, one at a time): a fit's cost in the model's own numpy work is `points_evaluated`, and
its overhead per call is paid `callable_calls` times. Both libraries return `infodict`
with `full_output=True` (asked of both, for the counts); scipy's holds `fvec` from its
last call, homodyne_rs computes its `fvec` only when read (one more call on all n
points), and this script does not read it.

Only the fit call is timed (time.perf_counter), once. The data are read as two views of
one buffer (no copy), so the process's peak memory beyond the 16 n bytes of data is the
fit's; the cost reported is computed afterwards in slices of 65536 points, so as not to
raise it.

Output keys: tool, case ("python_package"), n, block (points per call asked of
homodyne_rs, else null), fit_seconds, import_seconds (numpy and the library fitting),
load_seconds, nfev (the library's count of residual evaluations), njev (null for scipy's
'lm'), model_calls (homodyne_rs's own count of calls of the callable; scipy's nfev for
scipy), callable_calls and points_evaluated (counted by the wrapper; 0 for the formula),
cost (0.5 * sum of squared residuals at the returned parameters), parameters, converged
(the call returned finite parameters with a success code, `ier` in 1..4), message,
peak_rss_mb, versions. If the fit raises, the record is still printed with converged
false, message "ExceptionType: text" and the fit's fields null; the exit status is 0.

Exit status: 0 when the JSON was printed (even for a failed fit), 2 for bad arguments or
an unreadable data file (with a message on stderr), 1 if a library cannot be imported.

Example:
    target/pyvenv-bench/bin/python bench/python_package.py \\
        --tool homodyne_rs_callable --data target/bench-data/decay_1000000.f64
"""

import platform
import sys
import threading
import time

from peers import (argument_parser, check_decay_file, error_text, fail_usage, finished,
                   finite_or_none, import_timed, int_or_none, load_decay, log,
                   print_report, stdout_to_stderr)

P0 = (1.0, 1.0, 0.0)
FORMULA = "a*exp(-b*x)+c"
TOOLS = ("homodyne_rs_callable", "homodyne_rs_formula", "scipy_curve_fit_callable")
# Points per slice of the cost computed after the fit (small, so it adds no memory).
COST_SLICE = 65536


class CountingModel:
    """The model a exp(-b x) + c as a numpy callable that counts its calls and points.

    >>> import numpy as np
    >>> model = CountingModel()
    >>> model(np.array([0.0, 1.0]), 2.0, 0.0, 0.5).tolist()
    [2.5, 2.5]
    >>> (model.calls, model.points)
    (1, 2)
    """

    def __init__(self):
        self.calls = 0
        self.points = 0
        self._lock = threading.Lock()

    def __call__(self, x, a, b, c):
        import numpy as np
        with self._lock:
            self.calls += 1
            self.points += x.shape[-1]
        return a * np.exp(-b * x) + c


def decay_cost(parameters, x, y):
    """0.5 * sum of squared residuals of a exp(-b x) + c - y, a slice at a time.

    >>> import numpy as np
    >>> x = np.arange(3.0)
    >>> decay_cost([1.0, 0.0, 0.0], x, np.zeros(3))
    1.5
    """
    import numpy as np
    a, b, c = (float(v) for v in parameters)
    total = 0.0
    for lo in range(0, x.shape[0], COST_SLICE):
        r = a * np.exp(-b * x[lo:lo + COST_SLICE]) + c - y[lo:lo + COST_SLICE]
        total += float(np.dot(r, r))
    return 0.5 * total


def import_libraries(tool):
    """Imports numpy and the library the tool fits with."""
    import numpy  # noqa: F401
    if tool.startswith("homodyne_rs"):
        import homodyne_rs  # noqa: F401
    else:
        import scipy.optimize  # noqa: F401


def versions(tool):
    """Versions of Python, numpy and the library the tool fits with."""
    import numpy as np
    out = {"python": platform.python_version(), "numpy": np.__version__}
    if tool.startswith("homodyne_rs"):
        import homodyne_rs
        out["homodyne_rs"] = homodyne_rs.__version__
    else:
        import scipy
        out["scipy"] = scipy.__version__
    return out


def fit(tool, x, y, block):
    """Runs the tool's fit; returns (seconds, record of the fit's fields)."""
    import numpy as np
    model = CountingModel()
    if tool == "scipy_curve_fit_callable":
        from scipy.optimize import curve_fit
        start = time.perf_counter()
        popt, _pcov, info, mesg, ier = curve_fit(model, x, y, p0=P0, full_output=True)
        seconds = time.perf_counter() - start
        nfev, njev, model_calls = info.get("nfev"), info.get("njev"), info.get("nfev")
    else:
        import homodyne_rs
        f = model if tool == "homodyne_rs_callable" else FORMULA
        options = {} if block is None else {"block": block}
        start = time.perf_counter()
        popt, _pcov, info, mesg, ier = homodyne_rs.curve_fit(f, x, y, p0=P0,
                                                             full_output=True, **options)
        seconds = time.perf_counter() - start
        nfev, njev, model_calls = info.get("nfev"), info.get("njev"), info.get("model_calls")
    converged = ier in (1, 2, 3, 4) and bool(np.all(np.isfinite(popt)))
    return seconds, {"parameters": popt, "nfev": nfev, "njev": njev,
                     "model_calls": model_calls, "callable_calls": model.calls,
                     "points_evaluated": model.points, "converged": converged,
                     "message": str(mesg)}


def run(args):
    """One timed fit; returns (report, exit status)."""
    n = check_decay_file(args.data)
    block = args.block if args.tool == "homodyne_rs_callable" else None
    report = {"tool": args.tool, "case": "python_package", "n": n, "block": block,
              "fit_seconds": None, "import_seconds": None, "load_seconds": None,
              "nfev": None, "njev": None, "model_calls": None, "callable_calls": None,
              "points_evaluated": None, "cost": None, "parameters": None,
              "converged": False, "message": "", "peak_rss_mb": None, "versions": {}}
    if not import_timed(args.tool, report, import_libraries, versions):
        return report, 1

    start = time.perf_counter()
    x, y = load_decay(args.data, n, copy=False)
    report["load_seconds"] = time.perf_counter() - start
    log(f"{args.tool}: n = {n}, imports {report['import_seconds']:.3f} s, "
        f"load {report['load_seconds']:.3f} s")

    try:
        seconds, record = fit(args.tool, x, y, block)
    except Exception as exc:  # noqa: BLE001 - a failed fit is a result, not a crash
        report["message"] = error_text(exc)
        log(f"{args.tool}: the fit failed: {report['message']}")
    else:
        report.update({
            "fit_seconds": seconds,
            "nfev": int_or_none(record["nfev"]),
            "njev": int_or_none(record["njev"]),
            "model_calls": int_or_none(record["model_calls"]),
            "callable_calls": record["callable_calls"],
            "points_evaluated": record["points_evaluated"],
            "cost": finite_or_none(decay_cost(record["parameters"], x, y)),
            "parameters": [finite_or_none(v) for v in record["parameters"]],
            "converged": record["converged"],
            "message": record["message"],
        })
        log(f"{args.tool}: fit {seconds:.3f} s, nfev {report['nfev']}, callable calls "
            f"{report['callable_calls']} ({report['points_evaluated']} points), "
            f"p = {report['parameters']}, converged {report['converged']}")
    return finished(report)


def parse_args():
    """The command line; argparse exits with status 2 on bad arguments."""
    parser = argument_parser(__doc__)
    parser.add_argument("--tool", required=True, choices=TOOLS)
    parser.add_argument("--data", required=True, help="decay_{n}.f64 file")
    parser.add_argument("--block", type=int, default=None,
                        help="points per call of the callable (homodyne_rs_callable only)")
    args = parser.parse_args()
    if args.block is not None and args.block < 1:
        fail_usage(f"--block must be at least 1, not {args.block}")
    return args


def main():
    """Parses the arguments, runs the fit with stdout sent to stderr, prints the JSON."""
    args = parse_args()
    with stdout_to_stderr():
        report, status = run(args)
    print_report(report)
    return status


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""One measurement of a Python peer of homodyne per process: scipy and nlsq, at their defaults.

Each invocation does one measurement and prints exactly one JSON object, on one line, as
the last line of stdout. Progress and warnings go to stderr; anything a library prints
while it is imported or while it fits is sent to stderr too, so stdout holds only the
JSON. Running every measurement in a fresh process makes the memory figure (peak RSS) and
the import and compilation costs those of that measurement alone.

Usage:
    peers.py decay --tool TOOL --data FILE
    peers.py nist --tool TOOL --data-dir DIR [--repeats R]

decay
    FILE is `decay_{n}.f64`: n little-endian float64 values of x, then n values of y (the
    files of homodyne's `standard` and `large` benchmarks). The model is
    y = a exp(-b x) + c, fitted from p0 = (1, 1, 0), as in bench/scipy_standard.py.
    TOOL is one of:
      scipy_trf             scipy.optimize.least_squares(method='trf'), analytic Jacobian,
                            otherwise scipy's defaults;
      scipy_curve_fit       scipy.optimize.curve_fit at its defaults: no Jacobian, so
                            method 'lm' (MINPACK) with forward differences;
      nlsq_curve_fit        nlsq.curve_fit at its defaults, JAX on the CPU;
      nlsq_curve_fit_large  nlsq.curve_fit_large at its defaults, JAX on the CPU (below
                            10**6 points it hands the fit to nlsq.curve_fit).
    Only the fit call is timed (time.perf_counter), once: for nlsq that time includes the
    JIT compilation of the model, since the process is fresh; it is what a user pays per
    run. The time to import the libraries (numpy, scipy, and for nlsq also jax and nlsq)
    and to read the file are reported apart.
    Output keys: tool, case ("decay"), n, fit_seconds, import_seconds, load_seconds, nfev,
    njev, iterations (null where the library does not report them), cost (0.5 * sum of
    squared residuals at the returned parameters, computed here with numpy), parameters,
    converged, message, peak_rss_mb, versions.
    `converged` is the library's success flag where its result has one; curve_fit reports
    failure by raising, so for scipy.optimize.curve_fit (and for nlsq.curve_fit_large
    above 10**6 points, which returns only (popt, pcov)) it is true when the call returned
    finite parameters. scipy.optimize.curve_fit is called with full_output=True only to
    read nfev and its message; that does not change the fit.
    If the fit raises, the JSON is still printed, with converged false, message
    "ExceptionType: text" and the fit's numeric fields (fit_seconds, nfev, njev,
    iterations, cost, parameters) null; the exit status is 0.

nist
    DIR holds the NIST StRD files Misra1a Chwirut2 Gauss1 DanWood Kirby2 Hahn1 MGH17
    Lanczos2 MGH09 Thurber BoxBOD Rat43 (.dat; see crates/homodyne/tests/data/nist/README.md). Each
    problem is fitted from both certified starts with TOOL, one of:
      scipy_trf        scipy.optimize.least_squares(method='trf') at its defaults, which
                       means the '2-point' (forward) finite-difference Jacobian
                       (bench/scipy_nist_defaults.py uses '3-point');
      scipy_curve_fit  scipy.optimize.curve_fit at its defaults ('lm', forward differences);
      nlsq_curve_fit   nlsq.curve_fit at its defaults, the models written with jax.numpy
                       (exact derivatives by JAX autodiff), on the CPU.
    Each (problem, start) is fitted once untimed (a warm-up, which for nlsq compiles the
    model), then R times timed (default 5); "seconds" is the median of the R fits. The
    score "lre" is the lowest, over the parameters, of the log relative error against the
    certified values, LRE = -log10(|estimate - c| / |c|), capped at 11, and 0 for a
    non-finite estimate or a relative error of 1 or more. A fit that raises scores 0, with
    converged false, the exception as its message and null seconds, parameters and nfev;
    the run goes on with the next fit.
    Output keys: tool, case ("nist"), repeats, results (one per problem and start: problem,
    start, seconds, parameters, certified, lre, nfev, converged, message), peak_rss_mb,
    versions.

Exit status: 0 when the JSON was printed (even for a failed fit), 2 for bad arguments or
an unreadable data file (with a message on stderr), 1 if a library cannot be imported.

Environment: JAX is forced onto the CPU in 64-bit mode (JAX_PLATFORMS=cpu,
JAX_ENABLE_X64=1) and nlsq's probe for an unused GPU is skipped (NLSQ_SKIP_GPU_CHECK=1).
nlsq keeps, by default, a persistent JAX compilation cache (~/.cache/nlsq/jax_cache) for
compilations of 1 s or more, so a later process may load a compiled model instead of
compiling it. Set NLSQ_DISABLE_PERSISTENT_CACHE=1 to measure a cold start every time.
"""

import argparse
import contextlib
import json
import logging
import math
import os
import platform
import re
import resource
import statistics
import sys
import time
from pathlib import Path

os.environ["JAX_PLATFORMS"] = "cpu"
os.environ["JAX_ENABLE_X64"] = "1"
os.environ.setdefault("NLSQ_SKIP_GPU_CHECK", "1")
# nlsq logs every iteration at INFO and at its own PERFORMANCE level; keep stderr readable.
logging.disable(logging.WARNING)

P0 = (1.0, 1.0, 0.0)
DECAY_TOOLS = ("scipy_trf", "scipy_curve_fit", "nlsq_curve_fit", "nlsq_curve_fit_large")
NIST_TOOLS = ("scipy_trf", "scipy_curve_fit", "nlsq_curve_fit")
NIST_PROBLEMS = ("Misra1a", "Chwirut2", "Gauss1", "DanWood", "Kirby2", "Hahn1", "MGH17",
                 "Lanczos2", "MGH09", "Thurber", "BoxBOD", "Rat43")


def log(text):
    """Writes one progress line to stderr."""
    print(text, file=sys.stderr, flush=True)


def fail_usage(text):
    """Reports a bad argument or an unreadable data file and exits with status 2."""
    print(f"{Path(sys.argv[0]).name}: error: {text}", file=sys.stderr, flush=True)
    sys.exit(2)


@contextlib.contextmanager
def stdout_to_stderr():
    """Sends everything written to stdout (Python or C level) to stderr while active."""
    sys.stdout.flush()
    saved_fd = os.dup(1)
    saved_stream = sys.stdout
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        yield
    finally:
        sys.stderr.flush()
        sys.stdout = saved_stream
        os.dup2(saved_fd, 1)
        os.close(saved_fd)


def finite_or_none(value):
    """A float for JSON: None for None, NaN or an infinity."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def int_or_none(value):
    """An int for JSON, or None."""
    return None if value is None else int(value)


def peak_rss_mb():
    """Peak resident set size of this process in MB (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def finished(report, status=0):
    """A run's end: `report` with this process's peak memory (`peak_rss_mb`), and the
    exit status."""
    report["peak_rss_mb"] = peak_rss_mb()
    return report, status


def argument_parser(doc):
    """The command line's parser, described by the first line of the module docstring
    `doc`."""
    return argparse.ArgumentParser(
        description=doc.splitlines()[0],
        epilog="See the module docstring (top of this file) for the output format.")


def error_text(exc):
    """'ExceptionType: text' of an exception."""
    return f"{type(exc).__name__}: {exc}"


def import_libraries(tool):
    """Imports what `tool` needs (numpy, scipy, and jax and nlsq for the nlsq tools)."""
    import numpy  # noqa: F401
    import scipy  # noqa: F401
    import scipy.optimize  # noqa: F401
    if tool.startswith("nlsq"):
        import jax  # noqa: F401
        import jax.numpy  # noqa: F401
        import nlsq  # noqa: F401


def versions(tool):
    """Versions of Python and of the libraries the tool used."""
    import numpy as np
    import scipy
    out = {"python": platform.python_version(), "numpy": np.__version__,
           "scipy": scipy.__version__}
    if tool.startswith("nlsq"):
        import jax
        import nlsq
        out["nlsq"] = nlsq.__version__
        out["jax"] = jax.__version__
    return out


def print_report(report):
    """Prints the report as one line of strict JSON (NaN and infinities become null)."""
    print(json.dumps(report, allow_nan=False), flush=True)


# ---------------------------------------------------------------------------------------
# decay: y = a exp(-b x) + c on decay_{n}.f64


def check_decay_file(path):
    """n for a readable decay file (2 n float64 values); exits with status 2 otherwise."""
    path = Path(path)
    if not path.is_file() or not os.access(path, os.R_OK):
        fail_usage(f"{path}: not a readable file")
    size = path.stat().st_size
    if size == 0 or size % 16:
        fail_usage(f"{path}: {size} bytes is not 2 n float64 values")
    n = size // 16
    match = re.fullmatch(r"decay_(\d+)\.f64", path.name)
    if match and int(match.group(1)) != n:
        fail_usage(f"{path}: the name says n = {match.group(1)}, the size says n = {n}")
    return n


def load_decay(path, n, copy=True):
    """(x, y) from the file: n values of x then n values of y, little-endian float64; with
    `copy=False`, two views of the one buffer read (no second copy of the data in memory)."""
    import numpy as np
    try:
        values = np.fromfile(path, dtype="<f8")
    except OSError as exc:
        fail_usage(f"{path}: {exc}")
    if values.size != 2 * n:
        fail_usage(f"{path}: expected {2 * n} values, read {values.size}")
    if not copy:
        return values[:n], values[n:]
    return values[:n].copy(), values[n:].copy()


def decay_residuals(p, x, y):
    """Residuals a exp(-b x) + c - y: bench/scipy_standard.py's, imported on first use (after
    the timed imports of numpy and scipy)."""
    from scipy_standard import residuals
    return residuals(p, x, y)


def decay_jacobian(p, x, y):
    """The analytic Jacobian of the residuals: bench/scipy_standard.py's."""
    from scipy_standard import jacobian
    return jacobian(p, x, y)


def decay_scipy_trf(x, y):
    """least_squares(method='trf') with the analytic Jacobian; returns (seconds, record)."""
    import numpy as np
    from scipy.optimize import least_squares
    p0 = np.array(P0)
    start = time.perf_counter()
    res = least_squares(decay_residuals, p0, jac=decay_jacobian, args=(x, y), method="trf")
    seconds = time.perf_counter() - start
    return seconds, {"parameters": res.x, "nfev": res.nfev, "njev": res.njev,
                     "iterations": None, "converged": bool(res.success),
                     "message": str(res.message)}


def decay_scipy_curve_fit(x, y):
    """scipy curve_fit at its defaults ('lm', forward differences); returns (seconds, record)."""
    import numpy as np
    from scipy.optimize import curve_fit

    def model(x, a, b, c):
        return a * np.exp(-b * x) + c

    start = time.perf_counter()
    popt, _pcov, info, mesg, _ier = curve_fit(model, x, y, p0=P0, full_output=True)
    seconds = time.perf_counter() - start
    return seconds, {"parameters": popt, "nfev": info.get("nfev"), "njev": None,
                     "iterations": None, "converged": bool(np.all(np.isfinite(popt))),
                     "message": str(mesg)}


def nlsq_record(result):
    """The fields of an nlsq result: a CurveFitResult (a dict) or a (popt, pcov) tuple."""
    import numpy as np
    if isinstance(result, dict):
        popt = np.asarray(result["x"], dtype=float)
        converged = result.get("success")
        return {"parameters": popt, "nfev": result.get("nfev"), "njev": result.get("njev"),
                "iterations": result.get("nit"),
                "converged": bool(np.all(np.isfinite(popt)) if converged is None else converged),
                "message": str(result.get("message") or "")}
    popt = np.asarray(result[0], dtype=float)
    return {"parameters": popt, "nfev": None, "njev": None, "iterations": None,
            "converged": bool(np.all(np.isfinite(popt))), "message": ""}


def decay_nlsq(x, y, large):
    """nlsq.curve_fit or curve_fit_large at their defaults; returns (seconds, record).

    The timed call includes the JIT compilation of the model and the conversion of the
    parameters to a numpy array, so the time runs until the answer is usable.
    """
    import jax.numpy as jnp
    import nlsq

    def model(x, a, b, c):
        return a * jnp.exp(-b * x) + c

    fit = nlsq.curve_fit_large if large else nlsq.curve_fit
    start = time.perf_counter()
    result = fit(model, x, y, p0=list(P0))
    record = nlsq_record(result)
    seconds = time.perf_counter() - start
    return seconds, record


def decay_fit(tool, x, y):
    """Runs the tool's fit; returns (seconds, record)."""
    if tool == "scipy_trf":
        return decay_scipy_trf(x, y)
    if tool == "scipy_curve_fit":
        return decay_scipy_curve_fit(x, y)
    if tool == "nlsq_curve_fit":
        return decay_nlsq(x, y, large=False)
    if tool == "nlsq_curve_fit_large":
        return decay_nlsq(x, y, large=True)
    raise ValueError(f"unknown tool {tool}")


def decay_cost(parameters, x, y):
    """0.5 * sum of squared residuals of the decay model at `parameters`."""
    import numpy as np
    r = decay_residuals(np.asarray(parameters, dtype=float), x, y)
    return 0.5 * float(np.dot(r, r))


def import_timed(tool, report, importer=None, describe=None):
    """Imports TOOL's libraries (with IMPORTER, default import_libraries), recording
    import_seconds and versions (DESCRIBE, default versions) in REPORT; False (with the
    message, peak RSS and Python version recorded) when they cannot be imported."""
    importer = importer or import_libraries
    describe = describe or versions
    start = time.perf_counter()
    try:
        importer(tool)
    except ImportError as exc:
        report["message"] = error_text(exc)
        report["peak_rss_mb"] = peak_rss_mb()
        report["versions"] = {"python": platform.python_version()}
        log(f"cannot import the libraries of {tool}: {exc}")
        return False
    report["import_seconds"] = time.perf_counter() - start
    report["versions"] = describe(tool)
    return True


def run_decay(args):
    """The `decay` subcommand: one timed fit; returns (report, exit status)."""
    n = check_decay_file(args.data)
    report = {"tool": args.tool, "case": "decay", "n": n, "fit_seconds": None,
              "import_seconds": None, "load_seconds": None, "nfev": None, "njev": None,
              "iterations": None, "cost": None, "parameters": None, "converged": False,
              "message": "", "peak_rss_mb": None, "versions": {}}
    if not import_timed(args.tool, report):
        return report, 1

    start = time.perf_counter()
    x, y = load_decay(args.data, n)
    report["load_seconds"] = time.perf_counter() - start
    log(f"{args.tool}: n = {n}, imports {report['import_seconds']:.3f} s, "
        f"load {report['load_seconds']:.3f} s")

    try:
        seconds, record = decay_fit(args.tool, x, y)
    except Exception as exc:  # noqa: BLE001 - a failed fit is a result, not a crash
        report["message"] = error_text(exc)
        log(f"{args.tool}: the fit failed: {report['message']}")
    else:
        parameters = [finite_or_none(v) for v in record["parameters"]]
        report.update({
            "fit_seconds": seconds,
            "nfev": int_or_none(record["nfev"]),
            "njev": int_or_none(record["njev"]),
            "iterations": int_or_none(record["iterations"]),
            "cost": finite_or_none(decay_cost(record["parameters"], x, y)),
            "parameters": parameters,
            "converged": record["converged"],
            "message": record["message"],
        })
        log(f"{args.tool}: fit {seconds:.3f} s, nfev {report['nfev']}, "
            f"p = {parameters}, converged {report['converged']}")
    return finished(report)


# ---------------------------------------------------------------------------------------
# nist: the NIST StRD problems
#
# Each model takes the array module (numpy or jax.numpy), x and the parameters b (b[0] is
# NIST's b1), so that the scipy and the nlsq tools fit the same formulas.


def nist_gauss(xp, x, b):
    """Gauss1: b1 exp(-b2 x) + b3 exp(-(x-b4)^2/b5^2) + b6 exp(-(x-b7)^2/b8^2)."""
    return (b[0] * xp.exp(-b[1] * x) + b[2] * xp.exp(-((x - b[3]) ** 2) / b[4] ** 2)
            + b[5] * xp.exp(-((x - b[6]) ** 2) / b[7] ** 2))


def nist_lanczos(xp, x, b):
    """Lanczos2: b1 exp(-b2 x) + b3 exp(-b4 x) + b5 exp(-b6 x)."""
    return b[0] * xp.exp(-b[1] * x) + b[2] * xp.exp(-b[3] * x) + b[4] * xp.exp(-b[5] * x)


def nist_cubic(xp, x, b):
    """Hahn1, Thurber: (b1 + b2 x + b3 x^2 + b4 x^3) / (1 + b5 x + b6 x^2 + b7 x^3)."""
    return ((b[0] + b[1] * x + b[2] * x**2 + b[3] * x**3)
            / (1 + b[4] * x + b[5] * x**2 + b[6] * x**3))


NIST_MODELS = {
    "Misra1a": lambda xp, x, b: b[0] * (1 - xp.exp(-b[1] * x)),
    "Chwirut2": lambda xp, x, b: xp.exp(-b[0] * x) / (b[1] + b[2] * x),
    "Gauss1": nist_gauss,
    "DanWood": lambda xp, x, b: b[0] * x ** b[1],
    "Kirby2": lambda xp, x, b: (b[0] + b[1] * x + b[2] * x**2) / (1 + b[3] * x + b[4] * x**2),
    "Hahn1": nist_cubic,
    "MGH17": lambda xp, x, b: b[0] + b[1] * xp.exp(-x * b[3]) + b[2] * xp.exp(-x * b[4]),
    "Lanczos2": nist_lanczos,
    "MGH09": lambda xp, x, b: b[0] * (x**2 + x * b[1]) / (x**2 + x * b[2] + b[3]),
    "Thurber": nist_cubic,
    "BoxBOD": lambda xp, x, b: b[0] * (1 - xp.exp(-b[1] * x)),
    "Rat43": lambda xp, x, b: b[0] / (1 + xp.exp(b[1] - b[2] * x)) ** (1 / b[3]),
}


def parse_nist(path):
    """Reads a NIST StRD .dat file by its labels.

    Returns (x, y, starts, certified) as Python lists: starts is [start 1, start 2], each a
    list of the parameters' start values; certified the certified values.
    """
    lines = Path(path).read_text().splitlines()
    starts, certified, data_at = ([], []), [], None
    number = r"([-+0-9.eE]+)"
    pattern = re.compile(rf"\s*b(\d+)\s*=\s*{number}\s+{number}\s+{number}\s+{number}\s*")
    for i, line in enumerate(lines):
        match = pattern.fullmatch(line)
        if match:
            start1, start2, value = (float(v) for v in match.groups()[1:4])
            starts[0].append(start1)
            starts[1].append(start2)
            certified.append(value)
        elif line.strip().startswith("Data:"):
            data_at = i + 1  # the last one: the header's summary also starts with "Data:"
    if data_at is None or not certified:
        raise ValueError("no 'Data:' line or no parameter block")
    x, y = [], []
    for line in lines[data_at:]:
        fields = line.split()
        if len(fields) >= 2:
            y.append(float(fields[0]))
            x.append(float(fields[1]))
    if not x:
        raise ValueError("no observations after 'Data:'")
    return x, y, [list(starts[0]), list(starts[1])], certified


def load_nist(data_dir):
    """{problem: (x, y, starts, certified)} for the 12 problems; exits with status 2 on error."""
    problems = {}
    for name in NIST_PROBLEMS:
        path = Path(data_dir) / f"{name}.dat"
        try:
            problems[name] = parse_nist(path)
        except (OSError, ValueError) as exc:
            fail_usage(f"{path}: {exc}")
    return problems


def lre(estimates, certified):
    """Lowest log relative error over the parameters, in [0, 11]."""
    scores = []
    for est, c in zip(estimates, certified):
        if est is None or not math.isfinite(est):
            scores.append(0.0)
            continue
        rel = abs(est - c) / abs(c)
        scores.append(11.0 if rel == 0 else min(11.0, max(0.0, -math.log10(rel))))
    return min(scores)


def nist_scipy_trf(name, x, y):
    """A fit function for least_squares(method='trf') at its defaults ('2-point' Jacobian)."""
    import numpy as np
    from scipy.optimize import least_squares
    model = NIST_MODELS[name]

    def residuals(b):
        return model(np, x, b) - y

    def fit(start):
        res = least_squares(residuals, np.array(start), method="trf")
        return {"parameters": res.x, "nfev": res.nfev, "converged": bool(res.success),
                "message": str(res.message)}
    return fit


def nist_scipy_curve_fit(name, x, y):
    """A fit function for scipy curve_fit at its defaults ('lm', forward differences)."""
    import numpy as np
    from scipy.optimize import curve_fit
    model = NIST_MODELS[name]

    def f(x, *b):
        return model(np, x, b)

    def fit(start):
        popt, _pcov, info, mesg, _ier = curve_fit(f, x, y, p0=start, full_output=True)
        return {"parameters": popt, "nfev": info.get("nfev"),
                "converged": bool(np.all(np.isfinite(popt))), "message": str(mesg)}
    return fit


def nist_nlsq_curve_fit(name, x, y):
    """A fit function for nlsq.curve_fit at its defaults, the model in jax.numpy.

    One model function per problem, reused for both starts and every repeat, so that
    nlsq can reuse what it compiled.
    """
    import jax.numpy as jnp
    import nlsq
    model = NIST_MODELS[name]

    def f(x, *b):
        return model(jnp, x, b)

    def fit(start):
        return nlsq_record(nlsq.curve_fit(f, x, y, p0=list(start)))
    return fit


NIST_FITTERS = {"scipy_trf": nist_scipy_trf, "scipy_curve_fit": nist_scipy_curve_fit,
                "nlsq_curve_fit": nist_nlsq_curve_fit}


def time_nist_fit(fit, start, repeats):
    """One untimed warm-up fit, then `repeats` timed fits: (median seconds, last record)."""
    record = fit(start)
    seconds = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        record = fit(start)
        seconds.append(time.perf_counter() - t0)
    return statistics.median(seconds), record


def run_nist(args):
    """The `nist` subcommand: every problem from both starts; returns (report, exit status)."""
    if args.repeats < 1:
        fail_usage(f"--repeats must be at least 1, not {args.repeats}")
    problems = load_nist(args.data_dir)
    report = {"tool": args.tool, "case": "nist", "repeats": args.repeats, "results": [],
              "peak_rss_mb": None, "versions": {}}
    try:
        import_libraries(args.tool)
    except ImportError as exc:
        log(f"cannot import the libraries of {args.tool}: {exc}")
        report["versions"] = {"python": platform.python_version()}
        return finished(report, 1)
    import numpy as np
    report["versions"] = versions(args.tool)

    for name in NIST_PROBLEMS:
        x_list, y_list, starts, certified = problems[name]
        x, y = np.array(x_list), np.array(y_list)
        fit = NIST_FITTERS[args.tool](name, x, y)
        for number, start in enumerate(starts, 1):
            row = {"problem": name, "start": number, "seconds": None, "parameters": None,
                   "certified": certified, "lre": 0.0, "nfev": None, "converged": False,
                   "message": ""}
            try:
                seconds, record = time_nist_fit(fit, start, args.repeats)
            except Exception as exc:  # noqa: BLE001 - a failed fit scores 0, the run goes on
                row["message"] = error_text(exc)
            else:
                parameters = [finite_or_none(v) for v in record["parameters"]]
                row.update({"seconds": seconds, "parameters": parameters,
                            "lre": lre(parameters, certified),
                            "nfev": int_or_none(record["nfev"]),
                            "converged": record["converged"], "message": record["message"]})
            report["results"].append(row)
            seconds_text = "-" if row["seconds"] is None else f"{row['seconds'] * 1e3:.2f} ms"
            log(f"{args.tool} {name:<9} start {number}: LRE {row['lre']:5.2f}, {seconds_text}, "
                f"nfev {row['nfev']}, converged {row['converged']}"
                + ("" if row["converged"] else f" ({row['message']})"))
    return finished(report)


# ---------------------------------------------------------------------------------------


def parse_args():
    """The command line; argparse exits with status 2 on bad arguments."""
    parser = argument_parser(__doc__)
    sub = parser.add_subparsers(dest="case", required=True)
    decay = sub.add_parser("decay", help="one timed fit of y = a exp(-b x) + c")
    decay.add_argument("--tool", required=True, choices=DECAY_TOOLS)
    decay.add_argument("--data", required=True, help="decay_{n}.f64 file")
    nist = sub.add_parser("nist", help="the 12 NIST StRD problems from both starts")
    nist.add_argument("--tool", required=True, choices=NIST_TOOLS)
    nist.add_argument("--data-dir", required=True, help="folder holding the NIST .dat files")
    nist.add_argument("--repeats", type=int, default=5, help="timed fits per run (median)")
    return parser.parse_args()


def main():
    """Parses the arguments, runs the measurement with stdout sent to stderr, prints the JSON."""
    args = parse_args()
    with stdout_to_stderr():
        report, status = run_decay(args) if args.case == "decay" else run_nist(args)
    print_report(report)
    return status


if __name__ == "__main__":
    sys.exit(main())

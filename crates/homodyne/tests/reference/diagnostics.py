"""Reference statistics for crates/homodyne/tests/diagnostics.rs: lmfit's AIC, BIC,
chi-squared, standard errors and correlations for three small fits.

Writes tests/data/diagnostics/reference.json with, for each case, the data (x, y and, for
the weighted case, sigma), the start, which parameters vary, and lmfit's results:

- "decay": a*exp(-b*x) + c, unweighted, every parameter varied;
- "decay_weighted": the same data weighted by 1/sigma (lmfit's weights), c held fixed
  (vary=False: nvarys = 2);
- "two_exponentials": a*exp(-b*x) + c*exp(-d*x) with b close to d: a near-degenerate pair.

Run from the repository root:
    target/scipyvenv/bin/python crates/homodyne/tests/reference/diagnostics.py
"""

import json
import pathlib
import platform

import lmfit
import numpy as np

OUT = pathlib.Path(__file__).resolve().parent.parent / "data" / "diagnostics"


def decay(x, a, b, c):
    return a * np.exp(-b * x) + c


def two_exponentials(x, a, b, c, d):
    return a * np.exp(-b * x) + c * np.exp(-d * x)


def fit(model, x, y, start, vary, weights=None):
    params = lmfit.Parameters()
    for name, value in start.items():
        params.add(name, value=value, vary=vary[name])
    result = lmfit.Model(model).fit(
        y, params, x=x, weights=weights, method="least_squares",
        max_nfev=100000, fit_kws={"xtol": 1e-15, "ftol": 1e-15, "gtol": 1e-15},
    )
    names = list(start)
    correl = [
        [
            (1.0 if vary[ni] else None) if i == j
            else result.params[ni].correl.get(nj) if result.params[ni].correl else None
            for j, nj in enumerate(names)
        ]
        for i, ni in enumerate(names)
    ]
    return {
        "names": names,
        "start": [start[n] for n in names],
        "vary": [vary[n] for n in names],
        "values": [result.params[n].value for n in names],
        "stderr": [result.params[n].stderr for n in names],
        "chisqr": result.chisqr,
        "ndata": result.ndata,
        "nvarys": result.nvarys,
        "aic": result.aic,
        "bic": result.bic,
        "correl": correl,
    }


def main():
    rng = np.random.default_rng(20260716)
    x = np.linspace(0.0, 4.0, 40)
    sigma = 0.02 + 0.02 * x / 4.0
    y = decay(x, 2.5, 1.3, 0.4) + sigma * rng.standard_normal(x.size)
    # Round-trip through text, so that the Rust test fits the very numbers lmfit fitted.
    x = np.array([float(repr(float(v))) for v in x])
    y = np.array([float(repr(float(v))) for v in y])
    cases = {}
    start = {"a": 1.0, "b": 1.0, "c": 0.0}
    cases["decay"] = {
        "x": x.tolist(), "y": y.tolist(), "sigma": None,
        **fit(decay, x, y, start, {"a": True, "b": True, "c": True}),
    }
    start_fixed = {"a": 1.0, "b": 1.0, "c": 0.4}
    cases["decay_weighted"] = {
        "x": x.tolist(), "y": y.tolist(), "sigma": sigma.tolist(),
        **fit(decay, x, y, start_fixed, {"a": True, "b": True, "c": False}, weights=1.0 / sigma),
    }
    y2 = two_exponentials(x, 1.0, 1.0, 1.0, 1.2) + 0.01 * rng.standard_normal(x.size)
    y2 = np.array([float(repr(float(v))) for v in y2])
    start2 = {"a": 1.2, "b": 0.9, "c": 0.8, "d": 1.3}
    cases["two_exponentials"] = {
        "x": x.tolist(), "y": y2.tolist(), "sigma": None,
        **fit(two_exponentials, x, y2, start2, {n: True for n in start2}),
    }
    reference = {
        "lmfit": lmfit.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "cases": cases,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "reference.json", "w") as f:
        json.dump(reference, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()

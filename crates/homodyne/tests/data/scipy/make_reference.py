"""Reference fits computed by scipy, for crates/homodyne/tests/suite/scipy_reference.rs.

Run from the repository root with the project's venv:
    target/pyvenv/bin/python crates/homodyne/tests/data/scipy/make_reference.py
It writes reference.json beside this script. The data are generated here from a fixed
seed and stored in the JSON, so the Rust test fits exactly the same numbers.
"""
import json
import pathlib

import numpy as np
import scipy
from scipy.optimize import curve_fit, least_squares

rng = np.random.default_rng(20261129)
x = np.linspace(0.0, 8.0, 120)
truth = np.array([2.5, 0.9, 0.4])
sigma = 0.02 + 0.03 * rng.random(x.size)
y = truth[0] * np.exp(-truth[1] * x) + truth[2] + sigma * rng.standard_normal(x.size)
# A few gross outliers for the robust losses.
outliers = [7, 30, 31, 64, 99]
y_out = y.copy()
y_out[outliers] += np.array([1.5, -2.0, 1.0, 2.5, -1.2])
p0 = np.array([1.0, 1.0, 0.0])


def model(x, a, b, c):
    return a * np.exp(-b * x) + c


def jac(p, x, yy, s):
    e = np.exp(-p[1] * x)
    return np.stack([e, -p[0] * x * e, np.ones_like(x)], axis=1) / s[:, None]


def resid(p, x, yy, s):
    return (model(x, *p) - yy) / s


tight = dict(ftol=1e-15, xtol=1e-15, gtol=1e-15, max_nfev=10000)
cases = {}
for loss in ["linear", "soft_l1", "huber", "cauchy", "arctan"]:
    for method in ["trf"] + (["lm"] if loss == "linear" else []):
        r = least_squares(resid, p0, jac=jac, args=(x, y_out, sigma), loss=loss,
                          f_scale=2.0, method=method, **tight)
        cases[f"{loss}_{method}"] = {"loss": loss, "method": method, "f_scale": 2.0,
                                     "parameters": r.x.tolist(), "cost": float(r.cost)}

fits = {}
for absolute in [True, False]:
    popt, pcov = curve_fit(model, x, y, p0=p0, sigma=sigma, absolute_sigma=absolute,
                           jac=lambda x, a, b, c: jac([a, b, c], x, None, np.ones_like(x)),
                           method="trf", **tight)
    fits[f"absolute_sigma_{absolute}"] = {"parameters": popt.tolist(),
                                          "covariance": pcov.tolist()}

bounds_fit = least_squares(resid, np.array([1.0, 1.0, 0.5]), jac=jac, args=(x, y, sigma),
                           bounds=([0.0, 0.0, 0.45], [10.0, 5.0, 3.0]), method="trf", **tight)

out = {
    "generator": f"scipy {scipy.__version__}, numpy {np.__version__}",
    "x": x.tolist(), "y": y.tolist(), "y_outliers": y_out.tolist(), "sigma": sigma.tolist(),
    "p0": p0.tolist(),
    "robust": cases,
    "curve_fit": fits,
    "bounded": {"lower": [0.0, 0.0, 0.45], "upper": [10.0, 5.0, 3.0], "p0": [1.0, 1.0, 0.5],
                "parameters": bounds_fit.x.tolist(), "cost": float(bounds_fit.cost)},
}
path = pathlib.Path(__file__).with_name("reference.json")
path.write_text(json.dumps(out, indent=1))
print(f"wrote {path}")

"""Reference fits for the --absolute-sigma test of crates/homodyne-cli/tests/honest.rs.

Writes tests/data/absolute_sigma/decay.csv (columns x, y, dy, dy10: a decay a*exp(-b*x) + c
with Gaussian noise whose standard deviation dy varies along x, and dy10 = 10 * dy) and
tests/data/absolute_sigma/reference.json: scipy's curve_fit optimum popt and the standard
errors perr = sqrt(diag(pcov)) with absolute_sigma=True and with the default
(absolute_sigma=False), from the start the Rust test uses, and the same with every sigma
multiplied by 10 (the relative errors do not change; the absolute ones do, tenfold).

Run from the repository root:
    target/scipyvenv/bin/python crates/homodyne-cli/tests/reference/absolute_sigma.py
"""

import json
import pathlib
import platform

import numpy as np
import scipy
from scipy.optimize import curve_fit

OUT = pathlib.Path(__file__).resolve().parent.parent / "data" / "absolute_sigma"
START = [1.0, 1.0, 0.0]


def model(x, a, b, c):
    return a * np.exp(-b * x) + c


def jac(x, a, b, c):
    e = np.exp(-b * x)
    return np.stack([e, -a * x * e, np.ones_like(x)], axis=1)


def main():
    rng = np.random.default_rng(20240612)
    x = np.linspace(0.0, 5.0, 60)
    dy = 0.02 + 0.03 * x / 5.0
    y = model(x, 2.5, 1.3, 0.4) + dy * rng.standard_normal(x.size)
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "decay.csv", "w") as f:
        f.write("x,y,dy,dy10\n")
        for row in zip(x, y, dy, 10.0 * dy):
            f.write(",".join(repr(float(v)) for v in row) + "\n")
    # Read back what was written, so the reference fits exactly the file's numbers.
    x, y, dy, dy10 = np.loadtxt(OUT / "decay.csv", delimiter=",", skiprows=1, unpack=True)
    reference = {
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "start": START,
        "names": ["a", "b", "c"],
    }
    for scale, sigma in ((1.0, dy), (10.0, dy10)):
        for absolute in (True, False):
            popt, pcov = curve_fit(
                model, x, y, p0=START, sigma=sigma, absolute_sigma=absolute,
                jac=jac, method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15, maxfev=10000,
            )
            key = f"{'absolute' if absolute else 'relative'}_sigma_x{scale:g}"
            reference[key] = {
                "popt": popt.tolist(),
                "perr": np.sqrt(np.diag(pcov)).tolist(),
            }
    (OUT / "reference.json").write_text(json.dumps(reference, indent=2) + "\n")
    print(json.dumps(reference, indent=2))


if __name__ == "__main__":
    main()

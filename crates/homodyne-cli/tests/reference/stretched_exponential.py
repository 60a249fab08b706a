"""Reference fits for crates/homodyne-cli/tests/stretched_exponential.rs.

Writes, next to the Rust tests, the data files tests/data/stretched_exponential/<case>.csv
(columns lag, g2m1, sigma; the first lag is 0, then 100 log-spaced lags) and
tests/data/stretched_exponential/reference.json: for each case and weighting, scipy's
curve_fit optimum (popt, perr, chi-squared; with the analytic Jacobian, and popt with curve_fit's finite
differences as well) of the one-time XPCS correlation

    g2 - 1 = beta1 * exp(-2 * (gamma * lag)**alpha) + g_inf

from the start the Rust test uses. Each optimum is checked to be a real one: Gauss-Newton
steps with the analytic Jacobian from curve_fit's popt converge (gradient J^T W r at
rounding) to "popt_polished", and curve_fit from the truth and from a third start, with
'lm' and 'trf', lands within 1e-7 (relative) of it.

Run from the repository root:
    target/scipyvenv/bin/python crates/homodyne-cli/tests/reference/stretched_exponential.py
"""

import json
import pathlib
import platform

import numpy as np
import scipy
from scipy.optimize import curve_fit

OUT = pathlib.Path(__file__).resolve().parent.parent / "data" / "stretched_exponential"
NAMES = ["beta1", "gamma", "alpha", "g_inf"]

# name: truth, start, noise scale, lag range, seed
CASES = {
    # A stretched decay (alpha < 1), the typical glassy or polydisperse sample.
    "stretched": dict(
        truth=[0.22, 35.0, 0.62, 0.004],
        start=[0.3, 10.0, 1.0, 0.0],
        other_start=[0.1, 100.0, 0.4, 0.02],
        s0=0.004,
        lags=(1e-4, 30.0),
        seed=20240611,
    ),
    # A compressed decay (alpha > 1), as in jammed or ballistic dynamics; quiet data.
    "compressed": dict(
        truth=[0.15, 4.0, 1.45, -0.002],
        start=[0.2, 1.0, 1.0, 0.0],
        other_start=[0.1, 10.0, 2.0, 0.01],
        s0=0.002,
        lags=(1e-3, 100.0),
        seed=7,
    ),
    # Close to a simple exponential, fast and noisy.
    "noisy_fast": dict(
        truth=[0.31, 180.0, 0.88, 0.011],
        start=[0.2, 50.0, 1.0, 0.0],
        other_start=[0.5, 400.0, 0.7, -0.01],
        s0=0.012,
        lags=(2e-5, 5.0),
        seed=31415,
    ),
}


def model(lag, beta1, gamma, alpha, g_inf):
    with np.errstate(divide="ignore", invalid="ignore"):
        return beta1 * np.exp(-2.0 * (gamma * lag) ** alpha) + g_inf


def jacobian(lag, beta1, gamma, alpha, g_inf):
    """Analytic Jacobian; at lag 0 the partials in gamma and alpha are 0 (0^alpha = 0)."""
    u = gamma * lag
    pos = u > 0
    ua = np.where(pos, u, 1.0) ** alpha
    ua = np.where(pos, ua, 0.0)
    e = np.exp(-2.0 * ua)
    logu = np.log(np.where(pos, u, 1.0))
    d_beta1 = e
    d_gamma = np.where(pos, beta1 * e * (-2.0) * alpha * ua / gamma, 0.0)
    d_alpha = np.where(pos, beta1 * e * (-2.0) * ua * logu, 0.0)
    d_ginf = np.ones_like(lag)
    return np.column_stack([d_beta1, d_gamma, d_alpha, d_ginf])


def fit(lag, y, sigma, p0, method, jac=jacobian):
    """curve_fit with tight tolerances; `jac=None` for its finite differences."""
    kw = dict(ftol=1e-15, xtol=1e-15, gtol=1e-15)
    if jac is not None:
        kw["jac"] = lambda lag, *p: jac(lag, *p)
    if method == "lm":
        kw["maxfev"] = 100000
    else:
        kw["max_nfev"] = 100000
    popt, pcov = curve_fit(model, lag, y, p0=p0, sigma=sigma, method=method, **kw)
    return popt, pcov


def weighted(lag, y, sigma, p):
    """Weighted residuals and Jacobian at p."""
    w = 1.0 / (sigma if sigma is not None else np.ones_like(y))
    return (y - model(lag, *p)) * w, jacobian(lag, *p) * w[:, None]


def relative_gradient(lag, y, sigma, p):
    """J^T r relative to |J_k| |r|: 0 to rounding at a stationary point."""
    r, j = weighted(lag, y, sigma, p)
    return j.T @ r / (np.linalg.norm(j, axis=0) * np.linalg.norm(r))


def polish(lag, y, sigma, p):
    """Gauss-Newton steps with the analytic Jacobian until the gradient is rounding.

    MINPACK stops when the cost no longer falls by ftol (relative); along the long, flat
    valley of (gamma, alpha) that leaves the parameters ~1e-8 (relative) from the
    stationary point, with the same chi-squared to 1e-15. The polished optimum is recorded
    beside curve_fit's to show how far that is.
    """
    p = np.array(p, dtype=float)
    for _ in range(20):
        if np.max(np.abs(relative_gradient(lag, y, sigma, p))) < 1e-13:
            return p
        r, j = weighted(lag, y, sigma, p)
        p = p + np.linalg.lstsq(j, r, rcond=None)[0]
    raise AssertionError(f"Gauss-Newton did not converge from {p}")


def check_optimum(lag, y, sigma, popt, polished, starts):
    """curve_fit from other starts, with either method, reaches the same optimum."""
    assert np.max(np.abs(popt - polished) / np.abs(polished)) < 1e-7
    for start in starts:
        for method in ["lm", "trf"]:
            other, _ = fit(lag, y, sigma, start, method)
            rel = np.max(np.abs(other - polished) / np.abs(polished))
            assert rel < 1e-7, (start, method, other, polished, rel)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    reference = {
        "model": "beta1*exp(-2*(gamma*lag)^alpha)+g_inf",
        "parameters": NAMES,
        "generator": "crates/homodyne-cli/tests/reference/stretched_exponential.py",
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "curve_fit": "method='lm', analytic jac, ftol=xtol=gtol=1e-15, absolute_sigma=False;"
        " popt_finite_differences: the same without jac",
        "cases": {},
    }
    for name, c in CASES.items():
        rng = np.random.default_rng(c["seed"])
        lo, hi = c["lags"]
        lag = np.concatenate([[0.0], np.geomspace(lo, hi, 100)])
        # Uncertainties grow with the lag (fewer frame pairs), from s0 to 3 s0.
        frac = np.concatenate([[0.0], np.linspace(0.0, 1.0, 100)])
        sigma = c["s0"] * (1.0 + 2.0 * frac)
        y = model(lag, *c["truth"]) + sigma * rng.standard_normal(lag.size)
        # Round-trip exactly through the CSV: shortest repr of each double.
        path = OUT / f"{name}.csv"
        with open(path, "w") as f:
            f.write(f"# g2-1 of a {name} decay, truth {dict(zip(NAMES, c['truth']))}\n")
            f.write("lag,g2m1,sigma\n")
            for row in zip(lag, y, sigma):
                f.write(",".join(repr(float(v)) for v in row) + "\n")
        data = np.loadtxt(path, delimiter=",", skiprows=2)
        assert np.array_equal(data, np.column_stack([lag, y, sigma]))
        case = {
            "data": f"{name}.csv",
            "truth": c["truth"],
            "start": c["start"],
            "n_points": int(lag.size),
        }
        for weighting, s in [("unweighted", None), ("weighted", sigma)]:
            popt, pcov = fit(lag, y, s, c["start"], "lm")
            polished = polish(lag, y, s, popt)
            check_optimum(lag, y, s, popt, polished, [c["truth"], c["other_start"]])
            grad = float(np.max(np.abs(relative_gradient(lag, y, s, popt))))
            # curve_fit's own finite differences land on the same optimum, to their
            # accuracy (the stationary point of a Jacobian wrong by ~1e-8).
            popt_fd, pcov_fd = fit(lag, y, s, c["start"], "lm", jac=None)
            rel_fd = float(np.max(np.abs(popt_fd - popt) / np.abs(popt)))
            assert rel_fd < 1e-6, (popt_fd, popt)
            r, j = weighted(lag, y, s, popt)
            chi2 = float(r @ r)
            r_polished, j_polished = weighted(lag, y, s, polished)
            chi2_polished = float(r_polished @ r_polished)
            dof = lag.size - len(popt)
            # The covariance from the analytic Jacobian at the polished optimum (curve_fit's
            # pcov comes from finite differences): (J^T J)^-1 chi2 / dof.
            cov = np.linalg.inv(j_polished.T @ j_polished) * chi2_polished / dof
            case[weighting] = {
                "popt": [float(v) for v in popt],
                "perr": [float(v) for v in np.sqrt(np.diag(cov))],
                "perr_curve_fit": [float(v) for v in np.sqrt(np.diag(pcov))],
                "popt_finite_differences": [float(v) for v in popt_fd],
                "perr_finite_differences": [float(v) for v in np.sqrt(np.diag(pcov_fd))],
                "chi2": chi2,
                "max_relative_gradient": grad,
                "popt_polished": [float(v) for v in polished],
                "chi2_polished": chi2_polished,
                "max_relative_gradient_polished": float(
                    np.max(np.abs(relative_gradient(lag, y, s, polished)))
                ),
                "popt_vs_polished": float(np.max(np.abs(popt - polished) / np.abs(polished))),
            }
            print(f"{name:<11} {weighting:<10} {popt} chi2 {chi2:.15g}")
            print(f"{'':<22} finite differences: relative {rel_fd:.1e}, gradient {grad:.1e},"
                  f" polished: relative {case[weighting]['popt_vs_polished']:.1e},"
                  f" chi2 {(chi2_polished - chi2) / chi2:.1e}")
        reference["cases"][name] = case
    with open(OUT / "reference.json", "w") as f:
        json.dump(reference, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()

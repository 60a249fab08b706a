"""homodyne_rs.curve_fit against scipy.optimize.curve_fit on the 12 NIST StRD problems
(both starts), with sigma (absolute and relative), bounds and the formula path.

The reference for each fit is scipy's own result with tight tolerances (ftol = xtol =
gtol = 1e-15) where scipy reaches NIST's certified values; where it does not (it stops
short or fails), the certified values are the reference and the test says so in its id.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.optimize

import homodyne_rs
from nist import NAMES, load

TIGHT = {"ftol": 1e-15, "xtol": 1e-15, "gtol": 1e-15}


def scipy_fit(problem, start, **kwargs):
    """scipy's curve_fit with tight tolerances, or None when it fails."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            method = kwargs.pop("method", "lm")
            extra = {"maxfev": 100_000} if method == "lm" else {"max_nfev": 100_000}
            return scipy.optimize.curve_fit(problem.model, problem.x, problem.y, p0=start,
                                            method=method, **TIGHT, **extra, **kwargs)
    except (RuntimeError, ValueError):
        return None


def close(a, b, rtol, atol=0.0):
    return np.all(np.abs(np.asarray(a) - np.asarray(b)) <= rtol * np.abs(b) + atol)


def pcov_distance(a, b):
    """The largest difference of two covariances relative to sqrt(C_ii C_jj) of `b` (the
    scale of each entry: correlations cancel some entries to near zero)."""
    d = np.sqrt(np.outer(np.diag(b), np.diag(b)))
    return float(np.max(np.abs(a - b) / d))


def assert_pcov_close(ours, theirs, rtol):
    assert pcov_distance(ours, theirs) <= rtol, (ours, theirs)


def assert_pcov_same_or_better(ours, theirs, exact, what):
    """pcov within 1e-4 of scipy's, or within 1e-4 of (or closer than scipy's to) the
    covariance with exact derivatives. On Lanczos2 each side's forward differences move
    the covariance by about 9e-5 from the exact one, in different directions, so the two
    differ by 1.8e-4 while each is within 1e-4 of the truth."""
    if pcov_distance(ours, theirs) <= 1e-4:
        return
    assert pcov_distance(ours, exact) <= max(pcov_distance(theirs, exact), 1e-4), (
        f"{what}: pcov off scipy's by {pcov_distance(ours, theirs):.1e}, off the exact one "
        f"by {pcov_distance(ours, exact):.1e} (scipy's by {pcov_distance(theirs, exact):.1e})")


def rel_error(p, exact):
    return float(np.max(np.abs(np.asarray(p) - exact) / np.abs(exact)))


def assert_same_optimum_or_better(ours, theirs, exact, what):
    """The acceptance rule: ours within 1e-6 (relative) of scipy's optimum, or closer to
    the exact optimum than scipy's. Both take forward-difference Jacobians, whose error
    moves an ill-conditioned optimum by about 1e-7 to 1e-6 either way."""
    if theirs is not None and close(ours, theirs, 1e-6):
        return
    ours_error = rel_error(ours, exact)
    if theirs is None:
        # scipy failed: ours must then reach the exact optimum itself.
        assert ours_error <= 1e-6, f"{what}: scipy failed, ours {ours} is {ours_error:.2e} off"
        return
    theirs_error = np.inf if theirs is None else rel_error(theirs, exact)
    assert ours_error <= max(theirs_error, 1e-7), (
        f"{what}: ours {ours} (error {ours_error:.2e}) vs scipy {theirs} "
        f"(error {theirs_error:.2e}) against the exact optimum {exact}")


def exact_optimum(problem, p0, **kwargs):
    """The optimum with exact derivatives (the formula path), tight tolerances: the
    reference where NIST certifies none (weighted or bounded fits)."""
    names = [f"b{k + 1}" for k in range(len(problem.certified))]
    return homodyne_rs.curve_fit(problem.formula, problem.x, problem.y,
                                 p0=dict(zip(names, p0)), **TIGHT, **kwargs)


CASES = [(name, k) for name in NAMES for k in (0, 1)]


@pytest.mark.parametrize("name,start", CASES, ids=[f"{n}-start{k + 1}" for n, k in CASES])
def test_callable_matches_scipy(name, start):
    problem = load(name)
    p0 = problem.starts[start]
    popt, pcov = homodyne_rs.curve_fit(problem.model, problem.x, problem.y, p0=p0)
    theirs = scipy_fit(problem, p0)
    assert_same_optimum_or_better(popt, None if theirs is None else theirs[0],
                                  problem.certified, f"{name} start {start + 1}")
    # Ours reaches NIST's certified values to 1e-6 from either start.
    assert close(popt, problem.certified, 1e-6)
    sd = np.sqrt(np.diag(pcov))
    if theirs is not None and close(theirs[0], problem.certified, 1e-6):
        _, exact_cov = exact_optimum(problem, p0)
        assert_pcov_same_or_better(pcov, theirs[1], exact_cov, f"{name} start {start + 1}")
    # The certified standard deviations hold for ours whatever scipy did.
    assert close(sd, problem.certified_sd, 1e-4), (sd, problem.certified_sd)


@pytest.mark.parametrize("name", NAMES)
def test_formula_matches_certified(name):
    """The formula path (Rust, exact derivatives) from the harder start: NIST's
    certified values and standard deviations."""
    problem = load(name)
    names = [f"b{k + 1}" for k in range(len(problem.certified))]
    p0 = dict(zip(names, problem.starts[0]))
    popt, pcov = homodyne_rs.curve_fit(problem.formula, problem.x, problem.y, p0=p0)
    assert close(popt, problem.certified, 1e-6), (popt, problem.certified)
    assert close(np.sqrt(np.diag(pcov)), problem.certified_sd, 1e-4)


@pytest.mark.parametrize("name", ["Misra1a", "Chwirut2", "Thurber", "Lanczos2"])
@pytest.mark.parametrize("absolute_sigma", [False, True])
def test_sigma_both_ways(name, absolute_sigma):
    problem = load(name)
    rng = np.random.default_rng(7)
    sigma = problem.y.std() * 0.01 * rng.uniform(0.5, 2.0, problem.y.size) + 1e-3
    p0 = problem.starts[1]
    popt, pcov = homodyne_rs.curve_fit(problem.model, problem.x, problem.y, p0=p0,
                                       sigma=sigma, absolute_sigma=absolute_sigma)
    spopt, spcov = scipy_fit(problem, p0, sigma=sigma, absolute_sigma=absolute_sigma)
    exact, exact_cov = exact_optimum(problem, p0, sigma=sigma, absolute_sigma=absolute_sigma)
    assert_same_optimum_or_better(popt, spopt, exact, f"{name} sigma")
    assert_pcov_same_or_better(pcov, spcov, exact_cov, f"{name} sigma")
    # Scaling every sigma scales pcov with absolute_sigma, and leaves it otherwise (the
    # formula path: exact derivatives, so no difference-step noise blurs the identity).
    exact3, exact3_cov = exact_optimum(problem, p0, sigma=3 * sigma,
                                       absolute_sigma=absolute_sigma)
    # (to the solver's tolerance: Thurber's condition number ~1e9 shows at 1e-8)
    assert close(exact3, exact, 1e-7)
    assert_pcov_close(exact3_cov, exact_cov * (9 if absolute_sigma else 1), 1e-6)


@pytest.mark.parametrize("name", ["Misra1a", "BoxBOD", "Rat43", "Kirby2"])
def test_active_bound_matches_scipy_trf(name):
    """An upper bound below the unconstrained optimum of the first parameter: both
    solvers stop on it with the same other parameters."""
    problem = load(name)
    upper = np.full(problem.certified.size, np.inf)
    upper[0] = problem.certified[0] * (0.9 if problem.certified[0] > 0 else 1.1)
    lower = np.full(problem.certified.size, -np.inf)
    p0 = np.minimum(problem.starts[1], upper * (1 - 1e-3))
    popt, _ = homodyne_rs.curve_fit(problem.model, problem.x, problem.y, p0=p0,
                                    bounds=(lower, upper))
    spopt, _ = scipy_fit(problem, p0, bounds=(lower, upper), method="trf")
    assert popt[0] == pytest.approx(upper[0], rel=1e-10)
    exact, _ = exact_optimum(problem, p0, bounds=(lower, upper))
    assert_same_optimum_or_better(popt, spopt, exact, f"{name} bounded")


def test_formula_and_callable_agree_with_bounds_and_sigma():
    problem = load("Misra1a")
    sigma = np.linspace(1, 2, problem.y.size)
    bounds = ([0, 0], [230, 1])
    a = homodyne_rs.curve_fit(problem.model, problem.x, problem.y, p0=[200, 1e-3],
                              sigma=sigma, bounds=bounds)
    b = homodyne_rs.curve_fit(problem.formula, problem.x, problem.y,
                              p0={"b1": 200, "b2": 1e-3}, sigma=sigma, bounds=bounds)
    assert close(a[0], b[0], 1e-8)
    assert_pcov_close(a[1], b[1], 1e-5)


def test_full_output_and_defaults():
    x = np.linspace(0, 5, 400)
    y = 2.0 * np.exp(-0.8 * x) + 0.1 + 0.001 * np.random.default_rng(1).standard_normal(400)

    def model(x, a, b, c):
        return a * np.exp(-b * x) + c

    popt, pcov, info, mesg, ier = homodyne_rs.curve_fit(model, x, y, full_output=True)
    spopt, spcov, sinfo, _, sier = scipy.optimize.curve_fit(model, x, y, full_output=True)
    assert close(popt, spopt, 1e-6)
    assert ier in (1, 2, 3, 4) and isinstance(mesg, str)
    assert info["fvec"].shape == (400,)
    assert np.allclose(info["fvec"], sinfo["fvec"], atol=1e-9)
    assert info["model_calls"] >= info["nfev"]


def test_two_predictors_callable_and_formula():
    rng = np.random.default_rng(3)
    X = rng.uniform(0, 2, size=(2, 300))
    y = 1.5 * X[0] * np.exp(-0.5 * X[1]) + 0.25

    def model(X, a, b, c):
        return a * X[0] * np.exp(-b * X[1]) + c

    popt, _ = homodyne_rs.curve_fit(model, X, y, p0=[1, 1, 0])
    assert close(popt, [1.5, 0.5, 0.25], 1e-9)
    popt_f, _ = homodyne_rs.curve_fit("a*u*exp(-b*v) + c", X, y, p0=[1, 1, 0],
                                      variables=["u", "v"])
    assert close(popt_f, [1.5, 0.5, 0.25], 1e-9)


def test_analytic_jacobian_is_used():
    x = np.linspace(0, 4, 100)
    y = 3 * np.exp(-1.1 * x)
    jac_calls = []

    def jac(x, a, b):
        jac_calls.append(len(x))
        e = np.exp(-b * x)
        return np.stack([e, -a * x * e], axis=1)

    popt, _, info, _, _ = homodyne_rs.curve_fit(lambda x, a, b: a * np.exp(-b * x), x, y,
                                                p0=[1, 1], jac=jac, full_output=True)
    assert close(popt, [3, 1.1], 1e-10)
    assert info["jacobian_calls"] == len(jac_calls) > 0
    # With an analytic Jacobian no difference steps are taken: one call per evaluation.
    assert info["model_calls"] <= info["nfev"] + info["njev"]


def test_nan_policy_omit_drops_points():
    x = np.linspace(0, 1, 50)
    y = 2 * x + 1
    y[[3, 17]] = np.nan
    popt, _ = homodyne_rs.curve_fit(lambda x, a, b: a * x + b, x, y, nan_policy="omit")
    assert close(popt, [2, 1], 1e-10)


def test_central_differences_reach_the_exact_covariance():
    """jac='3-point' on Lanczos2 (condition number ~1e12): the covariance within 1e-6 of
    the exact-derivative one, where forward differences are ~1e-4 off."""
    problem = load("Lanczos2")
    p0 = problem.starts[1]
    _, pcov = homodyne_rs.curve_fit(problem.model, problem.x, problem.y, p0=p0, jac="3-point")
    _, exact_cov = exact_optimum(problem, p0)
    assert pcov_distance(pcov, exact_cov) <= 1e-6


def test_inputs_scipy_accepts():
    """Lists, strided views, float32 predictors (taken as float64, as scipy does, so the
    difference steps are not lost to float32 rounding) and a model returning one number."""
    x = np.linspace(0, 1, 100)
    popt, _ = homodyne_rs.curve_fit(lambda x, a, b: a * x + b, list(x), list(2 * x + 1))
    assert close(popt, [2, 1], 1e-9)
    popt, _ = homodyne_rs.curve_fit(lambda x, a, b: a * x + b, x[::3], 2 * x[::3] + 1)
    assert close(popt, [2, 1], 1e-9)
    x32 = x.astype(np.float32)
    popt, _ = homodyne_rs.curve_fit(lambda x, a, b: a * x + b, x32, 2 * x32.astype(float) + 1)
    assert close(popt, [2, 1], 1e-7)
    popt, _ = homodyne_rs.curve_fit(lambda x, a: a, x, np.full(100, 2.5))
    assert close(popt, [2.5], 1e-12)


@pytest.mark.parametrize("jac", ["2-point", "3-point"])
def test_difference_steps_stay_within_the_bounds(jac):
    """A model undefined outside its bounds (sqrt of b) is never called there, even with
    the start on a bound, and the fit reaches the optimum on the bound."""
    x = np.linspace(0, 1, 200)
    y = 2.0 * x + 0.5
    seen = []

    def model(x, a, b):
        seen.append(b)
        assert 0.0 <= b <= 0.25, b
        return a * x + np.sqrt(b)

    popt, _ = homodyne_rs.curve_fit(model, x, y, p0=[1.0, 0.25], bounds=([0, 0], [5, 0.25]),
                                    jac=jac)
    assert min(seen) >= 0 and max(seen) <= 0.25
    assert popt[1] == pytest.approx(0.25) and popt[0] == pytest.approx(2.0, rel=1e-3)

"""``homodyne_rs.least_squares`` against ``scipy.optimize.least_squares``, side by side.

Each problem is solved by both with the same arguments. What must agree, and why some
fields legitimately differ:

- the optimum ``x`` to 1e-6 relative (1e-9 absolute near 0) and the cost to 1e-8 relative,
  with tolerances tight enough (``TIGHT``, 1e-14) that both stop at the minimum rather
  than somewhere within ``ftol`` of it;
- with scipy's default tolerances (1e-8) the cost still agrees to 1e-8 relative, but the
  parameters only to ``DEFAULT_X_RTOL``: a cost within ``ftol`` of the minimum pins each
  parameter only to about ``sqrt(2 ftol cost / curvature)`` (1e-4 relative on the decay
  below, whose parameters are correlated), and homodyne stops as soon as its quadratic
  model says no step can gain ``ftol`` of the cost, where scipy often takes one step more;
- ``nfev`` and ``njev`` count the calls actually made; homodyne never calls ``fun`` twice
  at the same ``x`` and linearises a trial point after an accepted step at once, so its
  counts differ from scipy's (usually lower ``nfev``); they are checked against the
  calls counted here instead;
- ``status`` may be 1 where scipy says 2 or 3 (homodyne's ``gtol`` test is MINPACK's
  scale-free cosine, scipy's an absolute gradient norm): both are successes;
- ``optimality`` is computed the same way but at two slightly different points, so only
  its smallness is compared.
"""

from __future__ import annotations

import signal
import threading
import time

import numpy as np
import pytest
from scipy.optimize import Bounds
from scipy.optimize import least_squares as scipy_least_squares

from homodyne_rs import OptimizeResult, least_squares
from homodyne_rs.exceptions import NLSQInputError, NLSQNumericalError, NLSQOptimizationError

TIGHT = dict(ftol=1e-14, xtol=1e-14, gtol=1e-14)
X_RTOL, X_ATOL, COST_RTOL = 1e-6, 1e-9, 1e-8
DEFAULT_X_RTOL = 1e-3
FIELDS = ("x", "cost", "fun", "jac", "grad", "optimality", "active_mask", "nfev", "njev",
          "status", "message", "success")


# ---- problems -------------------------------------------------------------------------

def rosenbrock(x):
    """Rosenbrock's function as two residuals; minimum 0 at (1, 1)."""
    return np.array([10 * (x[1] - x[0] ** 2), 1 - x[0]])


def rosenbrock_jac(x):
    return np.array([[-20 * x[0], 10.0], [-1.0, 0.0]])


def helical_valley(x):
    """Fletcher and Powell's helical valley; minimum 0 at (1, 0, 0)."""
    theta = np.arctan2(x[1], x[0]) / (2 * np.pi)
    return np.array([10 * (x[2] - 10 * theta), 10 * (np.hypot(x[0], x[1]) - 1), x[2]])


def decay_data():
    """``2.5 exp(-1.3 t) + 0.4`` with noise and 10% of the points pushed up (outliers)."""
    rng = np.random.default_rng(18)
    t = np.linspace(0, 5, 60)
    y = 2.5 * np.exp(-1.3 * t) + 0.4 + 0.01 * rng.standard_normal(t.size)
    outliers = rng.choice(t.size, t.size // 10, replace=False)
    y[outliers] += rng.uniform(1.0, 3.0, outliers.size)
    return t, y


def decay(p, t, y):
    return p[0] * np.exp(-p[1] * t) + p[2] - y


def decay_jac(p, t, y):
    e = np.exp(-p[1] * t)
    return np.column_stack([e, -p[0] * t * e, np.ones_like(t)])


# ---- comparison -----------------------------------------------------------------------

def assert_same_optimum(ours, theirs, x_rtol=X_RTOL):
    """Same x (relative, or absolute near 0), same cost, same active constraints."""
    np.testing.assert_allclose(ours.x, theirs.x, rtol=x_rtol, atol=X_ATOL)
    np.testing.assert_allclose(ours.cost, theirs.cost, rtol=COST_RTOL, atol=1e-20)
    np.testing.assert_array_equal(ours.active_mask, np.asarray(theirs.active_mask, dtype=int))
    assert ours.success and theirs.success


def both(fun, x0, **kwargs):
    """The same call through homodyne_rs and scipy."""
    return least_squares(fun, x0, **kwargs), scipy_least_squares(fun, x0, **kwargs)


ROSENBROCK_CASES = {
    "from (-1.2, 1)": ([-1.2, 1.0], (-np.inf, np.inf)),
    "from (2, 2)": ([2.0, 2.0], (-np.inf, np.inf)),
    "from (-1.2, 1), x0 <= 0.5": ([-1.2, 1.0], ([-2.0, -2.0], [0.5, 2.0])),
    "from (2, 2), x1 >= 1.5": ([2.0, 2.0], ([-np.inf, 1.5], np.inf)),
}


@pytest.mark.parametrize("case", ROSENBROCK_CASES)
def test_rosenbrock_matches_scipy(case):
    x0, bounds = ROSENBROCK_CASES[case]
    ours, theirs = both(rosenbrock, x0, bounds=bounds, **TIGHT)
    assert_same_optimum(ours, theirs)


@pytest.mark.parametrize("case", ROSENBROCK_CASES)
def test_rosenbrock_default_tolerances(case):
    x0, bounds = ROSENBROCK_CASES[case]
    ours, theirs = both(rosenbrock, x0, bounds=bounds)
    assert_same_optimum(ours, theirs, x_rtol=DEFAULT_X_RTOL)


def test_rosenbrock_by_lm_matches_scipy():
    ours, theirs = both(rosenbrock, [-1.2, 1.0], method="lm", **TIGHT)
    assert_same_optimum(ours, theirs)


def test_helical_valley_matches_scipy():
    for tolerances in (TIGHT, {}):
        ours, theirs = both(helical_valley, [-1.0, 0.0, 0.0], **tolerances)
        assert_same_optimum(ours, theirs)
        np.testing.assert_allclose(ours.x, [1.0, 0.0, 0.0], atol=1e-9)


LOSSES = ("linear", "soft_l1", "huber", "cauchy", "arctan")


@pytest.mark.parametrize("loss", LOSSES)
def test_robust_loss_matches_scipy(loss):
    t, y = decay_data()
    ours, theirs = both(decay, [1.0, 1.0, 0.0], loss=loss, f_scale=0.1, args=(t, y), **TIGHT)
    assert_same_optimum(ours, theirs)
    # scipy's modified Jacobian and the gradient of the robust cost.
    np.testing.assert_allclose(ours.jac, theirs.jac, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.grad, ours.jac.T @ _scaled_residuals(ours, loss, 0.1),
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.fun, decay(ours.x, t, y), rtol=0, atol=0)


def _scaled_residuals(result, loss, f_scale):
    """scipy's rescaled residuals ``rho' r / s`` (see the robust-loss notes of scipy)."""
    r = result.fun
    z = (r / f_scale) ** 2
    rho1, rho2 = {
        "linear": (np.ones_like(z), np.zeros_like(z)),
        "soft_l1": ((1 + z) ** -0.5, -0.5 * (1 + z) ** -1.5),
        "huber": (np.where(z <= 1, 1.0, z ** -0.5), np.where(z <= 1, 0.0, -0.5 * z ** -1.5)),
        "cauchy": (1 / (1 + z), -1 / (1 + z) ** 2),
        "arctan": (1 / (1 + z ** 2), -2 * z / (1 + z ** 2) ** 2),
    }[loss]
    s = np.sqrt(np.maximum(rho1 + 2 * rho2 * z, np.finfo(float).eps))
    return rho1 * r / s


# Huber and cauchy at scipy's default tolerances were the cases that found the engine
# measuring its gradient test by the rescaled residuals (clamped at sqrt(eps) for outliers,
# up to 1e8 times too large): it stopped 2.5% above the minimum, or at the start.
@pytest.mark.parametrize("loss", [
    "linear", "soft_l1", "huber", "cauchy", "arctan",
])
def test_robust_loss_default_tolerances(loss):
    t, y = decay_data()
    ours, theirs = both(decay, [1.0, 1.0, 0.0], loss=loss, f_scale=0.1, args=(t, y))
    assert_same_optimum(ours, theirs, x_rtol=DEFAULT_X_RTOL)


def test_cauchy_from_a_start_where_most_points_are_outliers():
    # At (1, 1) most residuals exceed f_scale: the engine used to stop there, "gtol".
    t = np.linspace(0, 4, 40)
    y = 3 * np.exp(-1.5 * t)
    y[5::10] += 2.0

    def fun(p):
        return p[0] * np.exp(-p[1] * t) - y

    ours, theirs = both(fun, [1.0, 1.0], bounds=([0, 0], [10, 10]), loss="cauchy", f_scale=0.1)
    assert_same_optimum(ours, theirs, x_rtol=DEFAULT_X_RTOL)


def test_robust_losses_resist_the_outliers():
    t, y = decay_data()
    plain = least_squares(decay, [1.0, 1.0, 0.0], args=(t, y), **TIGHT)
    robust = least_squares(decay, [1.0, 1.0, 0.0], loss="soft_l1", f_scale=0.1, args=(t, y),
                           **TIGHT)
    truth = np.array([2.5, 1.3, 0.4])
    assert np.max(np.abs(robust.x - truth)) < 0.05 < np.max(np.abs(plain.x - truth))


def test_x_scale_jac_and_vector_match_scipy():
    t, y = decay_data()
    for x_scale in ("jac", [1.0, 0.5, 0.1], 2.0):
        ours, theirs = both(decay, [1.0, 1.0, 0.0], x_scale=x_scale, args=(t, y), **TIGHT)
        assert_same_optimum(ours, theirs)


def test_args_and_kwargs_reach_fun_and_jac():
    t, y = decay_data()
    seen = []

    def fun(p, t, *, y, tag):
        seen.append(("fun", tag))
        return decay(p, t, y)

    def jac(p, t, *, y, tag):
        seen.append(("jac", tag))
        return decay_jac(p, t, y)

    ours, theirs = both(fun, [1.0, 1.0, 0.0], jac=jac, args=(t,),
                        kwargs={"y": y, "tag": "mine"}, **TIGHT)
    assert_same_optimum(ours, theirs)
    assert {("fun", "mine"), ("jac", "mine")} <= set(seen)


@pytest.mark.parametrize("jac", ["callable", "2-point", "3-point"])
def test_jacobian_kinds_reach_the_same_optimum(jac):
    t, y = decay_data()
    jac_arg = decay_jac if jac == "callable" else jac
    ours, theirs = both(decay, [1.0, 1.0, 0.0], jac=jac_arg, args=(t, y), **TIGHT)
    assert_same_optimum(ours, theirs)
    exact = decay_jac(ours.x, t, y)
    accuracy = {"callable": 0.0, "2-point": 1e-6, "3-point": 1e-9}[jac]
    np.testing.assert_allclose(ours.jac, exact, rtol=0, atol=accuracy * np.abs(exact).max())


@pytest.mark.parametrize("jac, calls_per_jacobian", [("callable", 0), ("2-point", 3),
                                                      ("3-point", 6)])
def test_counts_are_the_calls_made(jac, calls_per_jacobian):
    t, y = decay_data()
    calls = {"fun": 0, "jac": 0, "points": set()}

    def fun(p):
        calls["fun"] += 1
        calls["points"].add(tuple(p))
        return decay(p, t, y)

    def counted_jac(p):
        calls["jac"] += 1
        return decay_jac(p, t, y)

    res = least_squares(fun, [1.0, 1.0, 0.0], jac=counted_jac if jac == "callable" else jac,
                        **TIGHT)
    # nfev: calls of fun for values; finite differences are not counted (scipy's rule).
    assert calls["fun"] == res.nfev + calls_per_jacobian * res.njev
    if jac == "callable":
        assert calls["jac"] == res.njev
        # Never twice at the same x.
        assert len(calls["points"]) == calls["fun"]


def test_max_nfev_gives_status_0():
    ours, theirs = both(rosenbrock, [-1.2, 1.0], max_nfev=5)
    for res in (ours, theirs):
        assert res.status == 0 and not res.success
        assert res.message == "The maximum number of function evaluations is exceeded."
    assert ours.nfev <= 5
    assert ours.cost < 0.5 * np.sum(rosenbrock(np.array([-1.2, 1.0])) ** 2)


def test_result_fields_are_scipys():
    res = least_squares(rosenbrock, [-1.2, 1.0], jac=rosenbrock_jac, bounds=([-2, -2], [0.5, 2]),
                        **TIGHT)
    theirs = scipy_least_squares(rosenbrock, [-1.2, 1.0], jac=rosenbrock_jac,
                                 bounds=([-2, -2], [0.5, 2]), **TIGHT)
    assert isinstance(res, OptimizeResult) and isinstance(res, dict)
    assert set(FIELDS) <= set(res) and set(FIELDS) <= set(theirs)
    for name in FIELDS:
        assert res[name] is getattr(res, name)
    assert res.x.shape == (2,) and res.fun.shape == (2,) and res.jac.shape == (2, 2)
    assert res.grad.shape == (2,) and res.active_mask.shape == (2,)
    np.testing.assert_array_equal(res.fun, rosenbrock(res.x))
    np.testing.assert_array_equal(res.jac, rosenbrock_jac(res.x))
    np.testing.assert_allclose(res.grad, res.jac.T @ res.fun, rtol=1e-14)
    np.testing.assert_array_equal(res.active_mask, [1, 0])
    assert res.success == (res.status > 0)
    assert res.optimality < 1e-6 and theirs.optimality < 1e-6
    assert isinstance(res.nfev, int) and isinstance(res.njev, int)
    assert "x:" in repr(res) and "message:" in repr(res)
    with pytest.raises(AttributeError):
        _ = res.no_such_field


def test_finite_differences_stay_within_bounds():
    lower, upper = np.array([0.0, 0.0]), np.array([2.0, 2.0])

    def fun(x):
        if np.any(x < lower) or np.any(x > upper):
            raise AssertionError(f"fun called outside the bounds at {x}")
        return np.array([np.sqrt(x[0]) + 1.0, x[1] - 3.0])

    for jac in ("2-point", "3-point"):
        ours, theirs = both(fun, [1.0, 1.0], jac=jac, bounds=(lower, upper), **TIGHT)
        assert_same_optimum(ours, theirs)
        np.testing.assert_array_equal(ours.active_mask, [-1, 1])


@pytest.mark.parametrize("jac, accuracy", [("2-point", 1e-7), ("3-point", 1e-9)])
def test_finite_differences_on_a_bound_keep_their_order(jac, accuracy):
    # The solution (0, 2) lies on the lower bound of x0 and the upper bound of x1: the
    # differences there are one-sided (3-point: the one-sided three-point quotient).
    def fun(x):
        return np.array([np.exp(x[0]) + 1.0, x[1] ** 2 - 9.0])

    res = least_squares(fun, [1.0, 1.0], jac=jac, bounds=([0.0, 0.0], [2.0, 2.0]), **TIGHT)
    np.testing.assert_allclose(res.x, [0.0, 2.0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.jac, [[1.0, 0.0], [0.0, 4.0]], rtol=0, atol=4 * accuracy)


def test_x_scale_sizes_the_steps_of_a_tiny_parameter():
    # x* = 1e-7: a step of sqrt(eps) * 1 (the default floor, scipy's) is 15% of it.
    def fun(x):
        return np.array([np.exp(1e7 * x[0]) - np.e])

    exact = 1e7 * np.e
    sized = least_squares(fun, [2e-7], x_scale=1e-7, **TIGHT)
    np.testing.assert_allclose(sized.x, [1e-7], rtol=1e-9)
    np.testing.assert_allclose(sized.jac, [[exact]], rtol=1e-6)
    unsized = least_squares(fun, [2e-7], **TIGHT)
    assert abs(unsized.jac[0, 0] / exact - 1) > 1e-3


def test_scipy_bounds_object_and_scalar_bounds():
    ours = least_squares(rosenbrock, [2.0, 2.0], bounds=Bounds([-np.inf, 1.5], np.inf), **TIGHT)
    theirs = scipy_least_squares(rosenbrock, [2.0, 2.0], bounds=([-np.inf, 1.5], np.inf),
                                 **TIGHT)
    assert_same_optimum(ours, theirs)
    ours, theirs = both(rosenbrock, [0.5, 0.5], bounds=(0.0, 0.9), **TIGHT)
    assert_same_optimum(ours, theirs)
    np.testing.assert_allclose(ours.x, [0.9, 0.81], rtol=1e-9)
    np.testing.assert_array_equal(ours.active_mask, [1, 0])


def test_a_scalar_x0_and_list_residuals():
    res = least_squares(lambda x: [x[0] ** 2 - 2.0], 1.0, **TIGHT)
    np.testing.assert_allclose(res.x, [np.sqrt(2.0)], rtol=1e-12)


# ---- failures -------------------------------------------------------------------------

def test_a_fun_that_raises_stops_the_fit_with_its_exception():
    calls = []

    def fun(x):
        calls.append(x.copy())
        if len(calls) == 4:
            raise ZeroDivisionError("the model divided by zero")
        return rosenbrock(x)

    with pytest.raises(ZeroDivisionError, match="divided by zero"):
        least_squares(fun, [-1.2, 1.0], jac=rosenbrock_jac)
    assert len(calls) == 4  # not called again once it raised


def test_a_jac_that_raises_stops_the_fit_with_its_exception():
    def jac(x):
        if x[0] != -1.2:
            raise KeyError("no derivative here")
        return rosenbrock_jac(x)

    with pytest.raises(KeyError, match="no derivative here"):
        least_squares(rosenbrock, [-1.2, 1.0], jac=jac)


def test_a_fun_raising_at_x0_raises_before_the_fit():
    def fun(x):
        raise RuntimeError("cannot evaluate")

    with pytest.raises(RuntimeError, match="cannot evaluate"):
        least_squares(fun, [1.0])


@pytest.mark.parametrize("x0", [[np.nan, 1.0], [1.0, np.inf]])
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # scipy's, on its way out
def test_non_finite_x0_is_a_numerical_error(x0):
    with pytest.raises(NLSQNumericalError) as raised:
        least_squares(rosenbrock, x0)
    assert isinstance(raised.value, ValueError)
    assert raised.value.detection_point == "parameter"
    with pytest.raises(ValueError):  # scipy's class, so scipy code catching it still works
        scipy_least_squares(rosenbrock, x0)


def test_non_finite_residuals_at_x0():
    with pytest.raises(NLSQNumericalError, match="not finite at x0") as raised:
        with np.errstate(divide="ignore"):
            least_squares(lambda x: np.array([np.log(x[0] - 1.0), 1.0]), [1.0])
    assert raised.value.detection_point == "residuals"


@pytest.mark.parametrize("kwargs, words", [
    (dict(x0=[3.0, 1.0], bounds=([-2, -2], [2, 2])), r"x0\[0\] = 3.0 lies outside"),
    (dict(x0=[[1.0, 1.0]]), "at most one dimension"),
    (dict(x0=[1.0, 1.0], bounds=([0, 0, 0], [2, 2, 2])), "lower bound has shape"),
    (dict(x0=[1.0, 1.0], bounds=([0, 2], [2, 2])), "strictly less"),
    (dict(x0=[1.0, 1.0], bounds=[0.0]), "pair"),
    (dict(x0=[1.0, 1.0], x_scale=[1.0, -1.0]), "x_scale"),
    (dict(x0=[1.0, 1.0], f_scale=0.0), "f_scale"),
    (dict(x0=[1.0, 1.0], max_nfev=0), "max_nfev"),
    (dict(x0=[1.0, 1.0], ftol=None, xtol=None, gtol=None), "machine epsilon"),
    (dict(x0=[1.0, 1.0], jac="5-point"), "jac="),
    (dict(x0=[1.0, 1.0], loss="tukey"), "loss="),
    (dict(x0=[1.0, 1.0], method="powell"), "method="),
])
def test_unusable_arguments_are_input_errors(kwargs, words):
    with pytest.raises(NLSQInputError, match=words) as raised:
        least_squares(rosenbrock, **kwargs)
    assert isinstance(raised.value, ValueError)
    assert isinstance(raised.value, NLSQOptimizationError)


@pytest.mark.parametrize("kwargs, named", [
    (dict(method="dogbox"), "method='dogbox'.*method='trf'"),
    (dict(tr_solver="lsmr"), "tr_solver='lsmr'"),
    (dict(tr_options={"regularize": False}), "tr_options"),
    (dict(jac_sparsity=np.ones((2, 2))), "jac_sparsity"),
    (dict(loss=lambda z: z), "callable loss.*soft_l1"),
    (dict(jac="cs"), "jac='cs'.*3-point"),
    (dict(verbose=2), "verbose=2.*progress=True"),
    (dict(callback=lambda r: None), "callback"),
    (dict(workers=map), "workers"),
])
def test_unsupported_scipy_options_are_named(kwargs, named):
    with pytest.raises(NLSQInputError, match=named):
        least_squares(rosenbrock, [-1.2, 1.0], **kwargs)


def test_scipys_defaults_for_the_unsupported_options_are_accepted():
    res = least_squares(rosenbrock, [-1.2, 1.0], tr_solver="exact", tr_options={},
                        jac_sparsity=None, callback=None, workers=None, verbose=0)
    assert res.success


@pytest.mark.parametrize("bad, words", [
    (lambda x: np.ones((2, 2)), "at most a 1-D array"),
    (lambda x: np.array([1j, 1.0]), "complex"),
])
def test_a_fun_of_the_wrong_kind(bad, words):
    with pytest.raises(NLSQInputError, match=words):
        least_squares(bad, [1.0, 1.0])


def test_residual_count_must_not_change():
    def fun(x):
        return np.ones(2) if x[0] == 1.0 else np.ones(3)

    with pytest.raises(NLSQInputError, match="number of residuals must not change"):
        least_squares(fun, [1.0, 1.0])


def test_a_jacobian_of_the_wrong_shape():
    with pytest.raises(NLSQInputError, match=r"expected \(2, 2\)"):
        least_squares(rosenbrock, [-1.2, 1.0], jac=lambda x: np.ones((3, 2)))
    with pytest.raises(NLSQInputError, match="matrix of floats"):
        least_squares(rosenbrock, [-1.2, 1.0], jac=lambda x: "d/dx")


def test_a_sparse_jacobian_is_made_dense():
    sparse = pytest.importorskip("scipy.sparse", reason="scipy.sparse gives the sparse matrix")
    res = least_squares(rosenbrock, [-1.2, 1.0], jac=lambda x: sparse.csr_matrix(
        rosenbrock_jac(x)), **TIGHT)
    np.testing.assert_allclose(res.x, [1.0, 1.0], rtol=1e-12)


# ---- reporting ------------------------------------------------------------------------

def test_verbose_1_reports_the_end(capsys):
    res = least_squares(rosenbrock, [-1.2, 1.0], verbose=1)
    out = capsys.readouterr().out
    assert res.message in out and f"Function evaluations {res.nfev}" in out


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"),
                    reason="sending SIGINT to the main thread needs POSIX pthread_kill")
def test_ctrl_c_interrupts_a_slow_fit():
    def slow_rosenbrock(x):  # extended Rosenbrock, 20 parameters, 10 ms per call
        time.sleep(0.01)
        return np.concatenate([10 * (x[1::2] - x[::2] ** 2), 1 - x[::2]])

    x0 = np.tile([-1.2, 1.0], 10)
    timer = threading.Timer(0.3, lambda: signal.pthread_kill(threading.main_thread().ident,
                                                             signal.SIGINT))
    started = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            least_squares(slow_rosenbrock, x0, max_nfev=100_000)
    finally:
        timer.cancel()
    assert time.monotonic() - started < 1.3  # the signal at 0.3 s, the stop within 1 s


def test_progress_changes_nothing_but_the_display():
    quiet = least_squares(rosenbrock, [-1.2, 1.0], **TIGHT)
    shown = least_squares(rosenbrock, [-1.2, 1.0], progress=True, **TIGHT)
    np.testing.assert_array_equal(quiet.x, shown.x)
    assert quiet.nfev == shown.nfev

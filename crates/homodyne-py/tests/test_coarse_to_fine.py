"""``coarse_to_fine``: the coarse stages of ``curve_fit``, ``NLSQWrapper.fit`` and
``least_squares`` are asked for by keyword or config key, listed in the results
(``infodict['stages']``, ``OptimizationResult.stages``, ``OptimizeResult.stages``), leave
the optimum where it is, and a value that is neither 'auto', 'off' nor strides is refused.
A Python model on 1-D ``xdata`` is called on a stage's points as they are (a copy of
them), so its stages, when asked for (a callable's default is none), fit as a formula's
do."""

from __future__ import annotations

import numpy as np
import pytest

from homodyne_rs import curve_fit, least_squares
from homodyne_rs.exceptions import NLSQInputError
from homodyne_rs.optimization import NLSQWrapper

STAGE_KEYS = {"stride", "n_points", "start", "parameters", "used", "seconds",
              "convergence_status", "iterations", "nfev", "error"}


def model(x, a, b, c):
    return a * np.exp(-b * x) + c


def decay(n: int, seed: int = 3) -> tuple:
    x = np.linspace(0.0, 4.0, n)
    rng = np.random.default_rng(seed)
    return x, 2.5 * np.exp(-1.3 * x) + 0.5 + 0.01 * rng.standard_normal(n)


def block_points(n: int, stride: int) -> int:
    """Points of every ``stride``-th block of 1024 of ``n`` points."""
    return sum(min(1024, n - b * 1024) for b in range(0, -(-n // 1024), stride))


X, Y = decay(20_000)


@pytest.mark.parametrize("f", [model, "a*exp(-b*x) + c"], ids=["callable", "formula"])
def test_given_strides_run_and_are_listed(f):
    popt, _, info, _, _ = curve_fit(f, X, Y, p0=[1, 1, 0], full_output=True,
                                    coarse_to_fine=[4, 2])
    stages = info["stages"]
    assert [s["stride"] for s in stages] == [4, 2]
    assert stages is info["result"]["stages"] or stages == info["result"]["stages"]
    for s in stages:
        assert set(s) == STAGE_KEYS
        assert s["n_points"] == block_points(X.size, s["stride"])
        assert s["error"] is None, s["error"]
        assert s["convergence_status"] == "converged" and s["used"]
        assert s["iterations"] >= 1 and s["nfev"] >= 1 and s["seconds"] > 0
        assert s["parameters"].shape == (3,) and s["start"].shape == (3,)
    assert np.array_equal(stages[0]["start"], [1.0, 1.0, 0.0])
    assert np.array_equal(stages[1]["start"], stages[0]["parameters"])
    plain, _ = curve_fit(f, X, Y, p0=[1, 1, 0], coarse_to_fine="off")
    assert np.allclose(popt, plain, rtol=1e-7)


def test_a_callable_and_a_formula_run_the_same_stages():
    """The model is called on a stage's copied points: it sees the same predictors as a
    formula, so the stages end on the same numbers."""
    _, _, by_callable, _, _ = curve_fit(model, X, Y, p0=[1, 1, 0], full_output=True,
                                        coarse_to_fine=[8])
    _, _, by_formula, _, _ = curve_fit("a*exp(-b*x) + c", X, Y, p0=[1, 1, 0],
                                       full_output=True, coarse_to_fine=[8])
    (a,), (b,) = by_callable["stages"], by_formula["stages"]
    assert a["used"] and b["used"]
    assert np.allclose(a["parameters"], b["parameters"], rtol=1e-6)


def test_auto_runs_one_stage_from_a_million_points():
    """'auto' is a formula's default; a callable runs no stages unless asked."""
    x, y = decay(1_000_000)
    _, _, by_default, _, _ = curve_fit(model, x, y, p0=[1, 1, 0], full_output=True)
    assert by_default["stages"] == []
    for f, asked in ((model, {"coarse_to_fine": "auto"}), ("a*exp(-b*x) + c", {})):
        popt, _, info, _, _ = curve_fit(f, x, y, p0=[1, 1, 0], full_output=True, **asked)
        (stage,) = info["stages"]
        assert stage["stride"] == 16 and stage["n_points"] == block_points(x.size, 16)
        assert stage["used"] and stage["error"] is None, stage
        off, _, info_off, _, _ = curve_fit(f, x, y, p0=[1, 1, 0], full_output=True,
                                           coarse_to_fine="off")
        assert info_off["stages"] == []
        assert np.allclose(popt, off, rtol=1e-7)
    _, _, below, _, _ = curve_fit("a*exp(-b*x) + c", x[:999_999], y[:999_999],
                                  p0=[1, 1, 0], full_output=True, coarse_to_fine="AUTO")
    assert below["stages"] == []


def test_the_wrapper_takes_it_from_its_config():
    bounds = (np.array([0.0, 0.0, -1.0]), np.array([10.0, 5.0, 1.0]))
    staged = NLSQWrapper().fit(model, X, Y, np.array([1.0, 1.0, 0.0]), bounds,
                               config={"coarse_to_fine": (2,)})
    assert [s["stride"] for s in staged.stages] == [2]
    assert "stages" not in staged.details
    plain = NLSQWrapper().fit(model, X, Y, np.array([1.0, 1.0, 0.0]), bounds)
    assert plain.stages == []
    assert np.allclose(staged.parameters, plain.parameters, rtol=1e-7)
    streamed = NLSQWrapper().fit(model, X, Y, np.array([1.0, 1.0, 0.0]), bounds,
                                 config={"coarse_to_fine": [2], "strategy_override": "streaming"})
    assert streamed.strategy == "STREAMING"
    assert [s["n_points"] for s in streamed.stages] == [s["n_points"] for s in staged.stages]
    assert np.allclose(streamed.parameters, plain.parameters, rtol=1e-7)


def test_least_squares_runs_none_unless_asked():
    def residuals(p):
        return model(X, *p) - Y

    res = least_squares(residuals, [1.0, 1.0, 0.0])
    assert res.stages == []
    staged = least_squares(residuals, [1.0, 1.0, 0.0], coarse_to_fine=[4])
    (stage,) = staged.stages
    assert stage["stride"] == 4 and stage["n_points"] == block_points(X.size, 4)
    assert stage["used"], stage
    assert np.allclose(staged.x, res.x, rtol=1e-6)


@pytest.mark.parametrize("bad", ["fast", [0], [4, "x"], 4, True, [2.5], [True]])
def test_a_bad_value_is_refused(bad):
    with pytest.raises(NLSQInputError, match="coarse_to_fine=.*expected 'auto'"):
        curve_fit(model, X, Y, p0=[1, 1, 0], coarse_to_fine=bad)
    with pytest.raises(NLSQInputError, match="coarse_to_fine"):
        least_squares(lambda p: model(X, *p) - Y, [1.0, 1.0, 0.0], coarse_to_fine=bad)


def test_noise_free_data_converge_after_the_stage():
    """The stage ends on the exact optimum of noise-free data, where the fit of all the
    points starts with residuals that are rounding noise: a converged fit, not a
    NLSQConvergenceError (its zero-residual test compares with the cost at ``p0``)."""
    x = np.linspace(0.0, 10.0, 1_000_000)
    y = 3.0 * np.exp(-0.7 * x) + 0.2
    popt, _, info, _, ier = curve_fit("a*exp(-b*x)+c", x, y, p0=[1.0, 1.0, 0.0],
                                      full_output=True)
    assert info["stages"] and info["stages"][0]["used"]
    assert info["result"]["convergence_status"] == "converged"
    assert ier in (1, 2, 3, 4)
    np.testing.assert_allclose(popt, [3.0, 0.7, 0.2], rtol=1e-10)

"""Multistart in ``NLSQWrapper.fit`` by its config keys (``multistart``,
``multistart_seed``, ``multistart_budget``): the sine of test_multistart.py, whose given
start lies in a wrong basin, reaches the truth; the report is ``OptimizationResult
.multistart`` (``None`` without one, never in ``details``); it is ``curve_fit``'s fit and
report for the same settings; the keys are checked before any work, naming the key; an
infinite bound and the STREAMING strategy are refused."""

from __future__ import annotations

import numpy as np
import pytest

from homodyne_rs import curve_fit
from homodyne_rs.exceptions import NLSQInputError
from homodyne_rs.optimization import NLSQWrapper

from test_multistart import LOWER, REPORT_KEYS, T, TRUTH, UPPER, WRONG_START, Y, bits, sine_model

START = np.array(WRONG_START)
BOUNDS = (LOWER, UPPER)
FORMULA = "a*sin(w*x) + c"


def fit(model=sine_model, wrapper=None, **config):
    return (wrapper or NLSQWrapper()).fit(model, T, Y, START, BOUNDS, config=config)


@pytest.mark.parametrize("model", [sine_model, FORMULA], ids=["callable", "formula"])
def test_from_a_wrong_basin_the_multistart_reaches_the_truth(model):
    plain = fit(model)
    assert abs(plain.parameters[1] - TRUTH[1]) > 0.5, plain.parameters
    assert plain.multistart is None
    assert "multistart" not in plain.details

    res = fit(model, multistart=16, multistart_seed=7)
    np.testing.assert_allclose(res.parameters, TRUTH, atol=1e-8)
    assert res.success and res.chi_squared < 1e-15
    assert "multistart" not in res.details
    report = res.multistart
    assert list(report) == REPORT_KEYS
    assert (report["n_candidates"], report["seed"], report["budget"]) == (17, 7, 100)
    assert report["candidates"][0]["start"] == WRONG_START
    assert report["best"] > 0 and report["candidates"][report["best"]]["in_best_basin"]
    assert not report["candidates"][0]["in_best_basin"]
    # The multistart's candidate 0 is the plain fit, in its wrong basin (cost = chi2 / 2).
    assert report["candidates"][0]["final_cost"] == pytest.approx(plain.chi_squared / 2,
                                                                  rel=1e-9)
    assert np.all(np.isfinite(res.uncertainties))


def test_the_wrapper_runs_curve_fits_multistart():
    """The same starts, costs and optimum as ``curve_fit`` with the same settings."""
    res = fit(multistart=8, multistart_seed=3, multistart_budget=40)
    popt, _, info, _, _ = curve_fit(sine_model, T, Y, p0=WRONG_START, bounds=BOUNDS,
                                    full_output=True, multistart=8, multistart_seed=3,
                                    multistart_budget=40)
    assert res.multistart == info["multistart"]
    assert bits(res.parameters) == bits(popt)


def test_the_seed_decides_the_starts_and_the_budget_bounds_each_start():
    a, b = fit(multistart=6, multistart_seed=5), fit(multistart=6, multistart_seed=5)
    assert a.multistart == b.multistart and bits(a.parameters) == bits(b.parameters)
    other = fit(multistart=6, multistart_seed=6).multistart
    assert other["candidates"][0]["start"] == a.multistart["candidates"][0]["start"]
    for c, d in zip(a.multistart["candidates"][1:], other["candidates"][1:]):
        assert c["start"] != d["start"]
    budgeted = fit(multistart=6, multistart_budget=5).multistart
    assert budgeted["budget"] == 5 and budgeted["seed"] == 0
    assert all(c["nfev"] <= 5 for c in budgeted["candidates"])


def test_no_starts_is_the_plain_fit():
    plain = fit()
    for off in (None, 0):
        res = fit(multistart=off, multistart_seed=4, multistart_budget=3)
        assert res.multistart is None
        assert bits(res.parameters) == bits(plain.parameters)


def test_the_report_is_a_field_not_in_the_repr():
    res = fit(FORMULA, multistart=2)
    assert "multistart" not in repr(res)
    assert res.multistart["n_candidates"] == 3


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ({"multistart": -1}, "multistart=-1"),
        ({"multistart": 2.5}, "multistart=2.5"),
        ({"multistart": True}, "multistart=True"),
        ({"multistart": 4, "multistart_budget": 0}, "multistart_budget=0"),
        ({"multistart": 4, "multistart_seed": -3}, "multistart_seed=-3"),
        ({"multistart_seed": "7"}, "multistart_seed='7'"),
    ],
)
def test_bad_keys_are_refused_before_any_work_naming_the_key(config, named):
    calls = []

    def counted(x, a, w, c):
        calls.append((a, w, c))
        return sine_model(x, a, w, c)

    with pytest.raises(NLSQInputError, match=named) as caught:
        fit(counted, **config)
    assert calls == []
    assert caught.value.error_context["argument"] == named.split("=")[0]


def test_an_infinite_bound_and_the_streaming_strategy_are_refused():
    with pytest.raises(NLSQInputError, match=r"\bw \(parameter 1\).*finite") as e:
        NLSQWrapper().fit(sine_model, T, Y, START, (LOWER, [5.0, np.inf, 2.0]),
                          config={"multistart": 4})
    assert e.value.error_context["parameter"] == "w"
    with pytest.raises(NLSQInputError, match="multistart.*STREAMING"):
        fit(multistart=4, strategy_override="streaming")

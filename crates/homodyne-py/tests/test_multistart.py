"""Multistart in ``least_squares`` and ``curve_fit`` (``multistart``, ``multistart_seed``,
``multistart_budget``): a sine of unknown frequency whose given start lies in a wrong basin
reaches the truth; the report (``OptimizeResult.multistart``, ``infodict['multistart']``)
lists every start, the one finished and how many reached its basin; the same seed gives
the same bits, also on 1 and 2 threads; the seed decides the starts; each start keeps its
budget; bad settings are refused before any work, and an infinite bound names the
parameter."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from homodyne_rs import curve_fit, least_squares
from homodyne_rs.exceptions import NLSQInputError

# y = a sin(w t) + c on [0, 10]: in w the cost has a local minimum near every frequency
# whose sine keeps some overlap with the truth's; from w = 1 the fit stays near w = 1.
TRUTH = np.array([2.0, 3.0, 0.5])
WRONG_START = [1.0, 1.0, 0.0]
LOWER, UPPER = np.array([0.0, 0.1, -2.0]), np.array([5.0, 5.0, 2.0])
T = np.linspace(0.0, 10.0, 200)
Y = TRUTH[0] * np.sin(TRUTH[1] * T) + TRUTH[2]

REPORT_KEYS = ["n_candidates", "seed", "budget", "cost_rtol", "basin_tol", "best",
               "in_best_basin", "candidates"]
CANDIDATE_KEYS = ["index", "start", "convergence_status", "final_cost", "iterations", "nfev",
                  "in_best_basin"]


def sine(p):
    return p[0] * np.sin(p[1] * T) + p[2] - Y


def sine_model(t, a, w, c):
    return a * np.sin(w * t) + c


def fit(**kwargs):
    return least_squares(sine, WRONG_START, bounds=(LOWER, UPPER), **kwargs)


def bits(values) -> list:
    return [float(v).hex() for v in np.ravel(values)]


def test_from_a_wrong_basin_the_multistart_reaches_the_truth():
    plain = fit()
    assert abs(plain.x[1] - TRUTH[1]) > 0.5, plain.x
    assert plain.cost > 10.0
    assert plain.multistart is None

    res = fit(multistart=16, multistart_seed=7)
    np.testing.assert_allclose(res.x, TRUTH, atol=1e-10)
    assert res.cost < 1e-20 and res.success
    report = res.multistart
    assert list(report) == REPORT_KEYS
    assert (report["n_candidates"], report["seed"], report["budget"]) == (17, 7, 100)
    assert (report["cost_rtol"], report["basin_tol"]) == (1e-6, 1e-3)
    candidates = report["candidates"]
    assert [c["index"] for c in candidates] == list(range(17))
    assert candidates[0]["start"] == WRONG_START
    # The given start's own fit is the plain fit, in its wrong basin.
    assert candidates[0]["final_cost"] == pytest.approx(plain.cost, rel=1e-9)
    assert not candidates[0]["in_best_basin"]
    for c in candidates:
        assert list(c) == CANDIDATE_KEYS, c
        assert c["convergence_status"] in ("converged", "max_evaluations", "stalled")
        assert np.all((LOWER <= c["start"]) & (c["start"] <= UPPER))
    # The finished start has the lowest cost and lies in the best basin, as do the
    # others counted there, and no other.
    costs = [c["final_cost"] for c in candidates]
    assert report["best"] == int(np.argmin(costs)) > 0
    assert candidates[report["best"]]["in_best_basin"]
    in_basin = [c["index"] for c in candidates if c["in_best_basin"]]
    assert report["in_best_basin"] == len(in_basin) >= 1
    for c in candidates:
        assert c["in_best_basin"] == (c["final_cost"] < 1e-10), c


def test_the_starts_are_a_latin_hypercube_within_the_bounds():
    n = 12
    report = fit(multistart=n, multistart_seed=3).multistart
    starts = np.array([c["start"] for c in report["candidates"][1:]])
    assert starts.shape == (n, 3)
    for k in range(3):
        strata = np.floor((starts[:, k] - LOWER[k]) / (UPPER[k] - LOWER[k]) * n).astype(int)
        assert sorted(strata) == list(range(n)), f"parameter {k}: {strata}"


@pytest.mark.parametrize("f", [sine_model, "a*sin(w*x) + c"], ids=["callable", "formula"])
def test_curve_fit_reaches_the_truth_and_reports_in_infodict(f):
    kwargs = dict(p0=WRONG_START, bounds=(LOWER, UPPER), full_output=True)
    plain, _, plain_info, _, _ = curve_fit(f, T, Y, **kwargs)
    assert abs(plain[1] - TRUTH[1]) > 0.5
    assert plain_info["multistart"] is None
    popt, pcov, info, _, _ = curve_fit(f, T, Y, multistart=16, multistart_seed=7, **kwargs)
    np.testing.assert_allclose(popt, TRUTH, atol=1e-8)
    report = info["multistart"]
    assert report is info["result"]["multistart"]
    assert list(report) == REPORT_KEYS and report["n_candidates"] == 17
    assert report["candidates"][0]["start"] == WRONG_START
    assert report["in_best_basin"] >= 1 and report["candidates"][report["best"]]["in_best_basin"]
    assert np.all(np.isfinite(np.diag(pcov)))


def test_a_formula_and_a_callable_run_the_same_starts():
    reports = [curve_fit(f, T, Y, p0=WRONG_START, bounds=(LOWER, UPPER), full_output=True,
                         multistart=8, multistart_seed=11)[2]["multistart"]
               for f in (sine_model, "a*sin(w*x) + c")]
    assert [c["start"] for c in reports[0]["candidates"]] == \
        [c["start"] for c in reports[1]["candidates"]]


def test_the_same_seed_gives_the_same_bits():
    a, b = fit(multistart=10, multistart_seed=5), fit(multistart=10, multistart_seed=5)
    for key in ("x", "fun", "jac", "grad"):
        assert bits(a[key]) == bits(b[key]), key
    assert (a.cost, a.nfev, a.njev, a.status) == (b.cost, b.nfev, b.njev, b.status)
    assert a.multistart == b.multistart  # every float of the report, exactly


def test_another_seed_draws_other_starts():
    a, b = fit(multistart=10, multistart_seed=5), fit(multistart=10, multistart_seed=6)
    assert b.multistart["seed"] == 6
    assert a.multistart["candidates"][0]["start"] == b.multistart["candidates"][0]["start"]
    for c, d in zip(a.multistart["candidates"][1:], b.multistart["candidates"][1:]):
        assert c["start"] != d["start"]


_ON_THREADS = """
import json, sys
import numpy as np
from homodyne_rs import curve_fit, least_squares
T = np.linspace(0.0, 10.0, 200)
Y = 2.0 * np.sin(3.0 * T) + 0.5
box = ([0.0, 0.1, -2.0], [5.0, 5.0, 2.0])
res = least_squares(lambda p: p[0] * np.sin(p[1] * T) + p[2] - Y, [1.0, 1.0, 0.0],
                    bounds=box, multistart=12, multistart_seed=9)
popt, pcov, info, _, _ = curve_fit(lambda t, a, w, c: a * np.sin(w * t) + c, T, Y,
                                   p0=[1.0, 1.0, 0.0], bounds=box, full_output=True,
                                   multistart=12, multistart_seed=9)
hexes = lambda v: [float(x).hex() for x in np.ravel(v)]
json.dump({"x": hexes(res.x), "cost": hexes(res.cost), "nfev": res.nfev,
           "report": res.multistart, "popt": hexes(popt), "pcov": hexes(pcov),
           "curve_report": info["multistart"], "curve_nfev": info["nfev"]}, sys.stdout)
"""


def test_the_same_bits_on_one_and_two_threads():
    """The candidates run side by side, as many at a time as the pool has threads."""
    outputs = []
    for threads in ("1", "2"):
        env = dict(os.environ, RAYON_NUM_THREADS=threads)
        done = subprocess.run([sys.executable, "-c", _ON_THREADS], env=env,
                              capture_output=True, text=True, check=True, timeout=300)
        outputs.append(json.loads(done.stdout))
    one, two = outputs
    assert one == two
    assert one["report"]["n_candidates"] == 13


def test_each_start_keeps_its_budget():
    res = fit(multistart=6, multistart_budget=5)
    report = res.multistart
    assert report["budget"] == 5
    for c in report["candidates"]:
        assert c["nfev"] <= 5, c
    # The finishing fit has the fit's own budget.
    assert res.success
    # A max_nfev below the budget caps the starts too.
    capped = fit(multistart=3, multistart_budget=50, max_nfev=8).multistart
    assert capped["budget"] == 8


def test_no_starts_is_the_plain_fit():
    plain = fit()
    for off in (None, 0):
        res = fit(multistart=off, multistart_seed=4, multistart_budget=3)
        assert res.multistart is None
        assert bits(res.x) == bits(plain.x) and res.nfev == plain.nfev


def test_numpy_integers_are_accepted():
    res = fit(multistart=np.int64(4), multistart_seed=np.uint64(2**64 - 1),
              multistart_budget=np.int32(30))
    assert (res.multistart["n_candidates"], res.multistart["seed"],
            res.multistart["budget"]) == (5, 2**64 - 1, 30)


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"multistart": -1}, "multistart=-1"),
        ({"multistart": 2.5}, "multistart=2.5"),
        ({"multistart": True}, "multistart=True"),
        ({"multistart": "8"}, "multistart='8'"),
        ({"multistart": 4, "multistart_budget": 0}, "multistart_budget=0"),
        ({"multistart": 4, "multistart_budget": None}, "multistart_budget=None"),
        ({"multistart": 4, "multistart_seed": -3}, "multistart_seed=-3"),
        ({"multistart": 4, "multistart_seed": 2**64}, "multistart_seed=18446744073709551616"),
        ({"multistart_seed": 1.5}, "multistart_seed=1.5"),
    ],
)
def test_bad_settings_are_refused_before_any_work(settings, named):
    calls = []

    def counted(p):
        calls.append(p)
        return sine(p)

    with pytest.raises(NLSQInputError, match=named.replace("(", r"\(")) as caught:
        least_squares(counted, WRONG_START, bounds=(LOWER, UPPER), **settings)
    assert calls == []
    argument = named.split("=")[0]
    assert caught.value.error_context["argument"] == argument
    with pytest.raises(NLSQInputError, match=argument):
        curve_fit(sine_model, T, Y, p0=WRONG_START, bounds=(LOWER, UPPER), **settings)


def test_an_infinite_bound_of_a_free_parameter_is_refused_naming_it():
    with pytest.raises(NLSQInputError, match=r"x0\[1\].*finite lower and upper bounds") as e:
        least_squares(sine, WRONG_START, bounds=([0.0, 0.1, -2.0], [5.0, np.inf, 2.0]),
                      multistart=4)
    assert e.value.error_context["parameter"] == "x0[1]"
    with pytest.raises(NLSQInputError, match=r"\bw \(parameter 1\)") as e:
        curve_fit(sine_model, T, Y, p0=WRONG_START, bounds=([0, 0.1, -2], [5, np.inf, 2]),
                  multistart=4)
    assert e.value.error_context["parameter"] == "w"
    with pytest.raises(NLSQInputError, match=r"\bc\b \(parameter 2\)") as e:
        curve_fit("a*sin(w*x) + c", T, Y, p0=WRONG_START,
                  bounds=([0, 0.1, -np.inf], [5, 5, 2]), multistart=4)
    assert e.value.error_context["parameter"] == "c"


def test_a_streaming_fit_is_refused():
    with pytest.raises(NLSQInputError, match="multistart.*STREAMING"):
        curve_fit(sine_model, T, Y, p0=WRONG_START, bounds=(LOWER, UPPER), multistart=4,
                  strategy="streaming")


def test_an_exception_of_fun_in_any_start_is_raised_as_raised():
    class Outside(Exception):
        pass

    def fragile(p):
        if p[1] > 4.5:
            raise Outside(f"w = {p[1]}")
        return sine(p)

    with pytest.raises(Outside):
        least_squares(fragile, WRONG_START, bounds=(LOWER, UPPER), multistart=16)


def test_scipy_ends_in_the_same_wrong_basin_from_the_given_start():
    """A sanity check of the problem: scipy's fit from the given start ends where the plain
    fit and the multistart's candidate 0 do."""
    scipy_optimize = pytest.importorskip("scipy.optimize")
    theirs = scipy_optimize.least_squares(sine, WRONG_START, bounds=(LOWER, UPPER))
    ours = fit(multistart=4)
    np.testing.assert_allclose(ours.multistart["candidates"][0]["final_cost"], theirs.cost,
                               rtol=1e-6)
    assert ours.cost < 1e-20 < theirs.cost

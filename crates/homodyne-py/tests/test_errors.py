"""Every exception class of homodyne_rs, raised by a test that provokes it, with the
context a user needs (the array and position, the parameter, the original exception)."""

from __future__ import annotations

import numpy as np
import pytest

import homodyne_rs
from homodyne_rs.exceptions import (
    NLSQCheckpointError,
    NLSQConvergenceError,
    NLSQInputError,
    NLSQNumericalError,
    NLSQOptimizationError,
)
from homodyne_rs.optimization import NLSQWrapper

X = np.linspace(0.0, 4.0, 200)
Y = 2.0 * np.exp(-0.9 * X) + 0.3


def decay(x, a, b, c):
    return a * np.exp(-b * x) + c


def test_nan_in_ydata_is_a_numerical_error_naming_the_point():
    y = Y.copy()
    y[41] = np.nan
    with pytest.raises(NLSQNumericalError) as info:
        homodyne_rs.curve_fit(decay, X, y, p0=[1, 1, 0])
    err = info.value
    assert isinstance(err, ValueError) and isinstance(err, NLSQOptimizationError)
    assert err.detection_point == "data"
    assert "ydata[41]" in str(err) and err.error_context["index"] == 41
    # The wrapper checks the same way.
    with pytest.raises(NLSQNumericalError, match=r"ydata\[41\]"):
        NLSQWrapper().fit(decay, X, y, np.ones(3), (np.full(3, -10.0), np.full(3, 10.0)))


def test_infinite_xdata_is_refused_unless_unchecked():
    x = X.copy()
    x[7] = np.inf
    with pytest.raises(NLSQNumericalError, match=r"xdata\[7\]"):
        homodyne_rs.curve_fit(decay, x, Y, p0=[1, 1, 0])


def test_p0_outside_bounds_is_an_input_error_naming_the_parameter():
    with pytest.raises(NLSQInputError) as info:
        homodyne_rs.curve_fit(decay, X, Y, p0=[1, 5, 0], bounds=([0, 0, 0], [10, 2, 1]))
    assert isinstance(info.value, ValueError)
    assert "b (parameter 2)" in str(info.value) and info.value.error_context["parameter"] == "b"
    with pytest.raises(NLSQInputError, match="outside its bounds"):
        NLSQWrapper().fit(decay, X, Y, np.array([1.0, 5.0, 0.0]),
                          (np.zeros(3), np.array([10.0, 2.0, 1.0])))


def test_a_model_that_raises_stops_the_fit_with_the_cause_attached():
    calls = []

    def broken(x, a, b, c):
        calls.append(1)
        if len(calls) > 3:
            raise ZeroDivisionError("the model divided by zero")
        return a * np.exp(-b * x) + c

    with pytest.raises(NLSQOptimizationError) as info:
        homodyne_rs.curve_fit(broken, X, Y, p0=[1, 1, 0])
    err = info.value
    assert isinstance(err.__cause__, ZeroDivisionError)
    assert "ZeroDivisionError: the model divided by zero" in str(err)
    assert "parameters" in err.error_context
    # It stopped at once: no call after the one that raised (one block of 200 points).
    assert len(calls) == 4


def test_a_model_returning_the_wrong_shape_is_reported():
    with pytest.raises(NLSQOptimizationError, match="returned 3 values for the 200 points"):
        homodyne_rs.curve_fit(lambda x, a: np.ones(3) * a, X, Y, p0=[1.0])


def test_a_model_that_is_nan_everywhere_is_a_numerical_error():
    with pytest.raises(NLSQNumericalError) as info:
        homodyne_rs.curve_fit(lambda x, a: np.full_like(x, np.nan) * a, X, Y, p0=[1.0])
    assert info.value.detection_point in ("residuals", "loss")


def test_an_exhausted_budget_is_a_convergence_error():
    with pytest.raises(NLSQConvergenceError) as info:
        homodyne_rs.curve_fit(decay, X, Y, p0=[1, 1, 0], max_nfev=2)
    assert isinstance(info.value, RuntimeError)
    # scipy's meaning of max_nfev: the whole budget, no recovery retries beyond it.
    assert info.value.error_context["nfev"] <= 3


def test_a_corrupt_checkpoint_is_a_checkpoint_error(tmp_path):
    from homodyne_rs.optimization import CheckpointManager

    manager = CheckpointManager(tmp_path)
    # 1000 parameters, so that the middle of the file lies in their data (a small file's
    # middle can be unused space, which no checksum covers nor needs to).
    path = manager.save_checkpoint(batch_idx=3, parameters=np.linspace(0, 1, 1000),
                                   optimizer_state={"iteration": 4}, loss=0.5)
    raw = bytearray(path.read_bytes())
    middle = len(raw) // 2
    raw[middle:middle + 64] = bytes(b ^ 0xFF for b in raw[middle:middle + 64])
    path.write_bytes(bytes(raw))
    with pytest.raises(NLSQCheckpointError) as info:
        manager.load_checkpoint(path)
    assert str(path.name) in str(info.value) or any(
        path.name in str(v) for v in info.value.error_context.values())


def test_unknown_options_are_named():
    with pytest.raises(NLSQInputError, match="unexpected keyword argument 'tolerance'"):
        homodyne_rs.curve_fit(decay, X, Y, p0=[1, 1, 0], tolerance=1e-3)
    with pytest.raises(NLSQInputError, match="unknown config key"):
        NLSQWrapper().fit(decay, X, Y, np.ones(3), (np.full(3, -9.0), np.full(3, 9.0)),
                          config={"batchsize": 10})
    with pytest.raises(NLSQInputError, match="method='dogbox' is not offered"):
        homodyne_rs.curve_fit(decay, X, Y, p0=[1, 1, 0], method="dogbox")


def test_formula_errors_point_at_the_fault():
    with pytest.raises(NLSQInputError, match=r"formula"):
        homodyne_rs.curve_fit("a*exp(-b*x", X, Y, p0=[1, 1])
    with pytest.raises(NLSQInputError, match="missing from p0"):
        homodyne_rs.curve_fit("a*exp(-b*x)+c", X, Y, p0={"a": 1, "b": 1})


def test_mismatched_lengths_are_refused_before_any_call():
    calls = []

    def model(x, a):
        calls.append(1)
        return a * x

    with pytest.raises(NLSQInputError, match="xdata has 199 points"):
        homodyne_rs.curve_fit(model, X[:-1], Y, p0=[1.0])
    assert calls == []


def test_the_model_gets_read_only_views_of_xdata():
    """The solver reads xdata on other threads while the model runs: a model that writes
    into its x gets numpy's read-only error, and the caller's array is unchanged."""
    x = X.copy()

    def writes(x, a, b, c):
        x -= 1.0
        return a * np.exp(-b * x) + c

    with pytest.raises(NLSQOptimizationError) as info:
        homodyne_rs.curve_fit(writes, x, Y, p0=[1, 1, 0])
    assert isinstance(info.value.__cause__, ValueError)
    assert "read-only" in str(info.value.__cause__)
    assert np.array_equal(x, X)

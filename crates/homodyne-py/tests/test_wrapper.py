"""NLSQWrapper.fit and OptimizationResult: every strategy reaches the same optimum, the
streaming configuration and checkpoints of the reference's config keys, held parameters,
and the result's fields."""

from __future__ import annotations

import numpy as np
import pytest

from homodyne_rs.optimization import (
    DatasetSizeStrategy,
    NLSQWrapper,
    OptimizationResult,
)

rng = np.random.default_rng(11)
X = np.linspace(0.0, 5.0, 20_000)
Y = 2.0 * np.exp(-0.8 * X) + 0.3 + 0.01 * rng.standard_normal(X.size)
P0 = np.array([1.0, 1.0, 0.0])
BOUNDS = (np.array([0.0, 0.0, -1.0]), np.array([10.0, 5.0, 1.0]))


def model(x, a, b, c):
    return a * np.exp(-b * x) + c


def test_result_has_every_reference_attribute():
    r = NLSQWrapper().fit(model, X, Y, P0, BOUNDS)
    assert isinstance(r, OptimizationResult)
    for name in ("parameters", "covariance", "uncertainties", "chi_squared",
                 "reduced_chi_squared", "convergence_status", "iterations", "device_info",
                 "recovery_actions", "strategy", "streaming_diagnostics"):
        assert hasattr(r, name), name
    assert isinstance(r.parameters, np.ndarray) and r.parameters.shape == (3,)
    assert r.covariance.shape == (3, 3)
    assert np.allclose(r.uncertainties, np.sqrt(np.diag(r.covariance)))
    assert r.convergence_status == "converged" and r.success
    assert r.strategy == "STANDARD" and r.streaming_diagnostics is None
    assert r.names == ["a", "b", "c"]
    assert r.chi_squared == pytest.approx(np.sum((model(X, *r.parameters) - Y) ** 2), rel=1e-9)
    assert "threads" in r.device_info
    assert "a =" in str(r)


@pytest.mark.parametrize("strategy", ["standard", "large", "chunked", "streaming"])
def test_every_strategy_reaches_the_same_optimum(strategy):
    reference = NLSQWrapper().fit(model, X, Y, P0, BOUNDS)
    r = NLSQWrapper().fit(model, X, Y, P0, BOUNDS,
                          config={"strategy_override": strategy, "batch_size": 3_000})
    assert np.allclose(r.parameters, reference.parameters, rtol=1e-9, atol=0)
    assert r.strategy in ("STANDARD", "LARGE", "CHUNKED", "STREAMING")
    if strategy == "streaming":
        assert r.strategy == "STREAMING"
        assert r.streaming_diagnostics["batch_success_rate"] == 1.0


def test_streaming_config_from_the_selector_with_checkpoints_resumes(tmp_path):
    config = DatasetSizeStrategy().build_streaming_config(
        n_points=X.size, n_parameters=3,
        checkpoint_config={"enable_checkpoints": True, "checkpoint_dir": str(tmp_path),
                           "checkpoint_frequency": 2})
    config.update({"strategy_override": "streaming", "batch_size": 2_500})
    first = NLSQWrapper().fit(model, X, Y, P0, BOUNDS, config=config)
    assert first.strategy == "STREAMING"
    assert first.streaming_diagnostics["checkpoints_written"] > 0
    assert any(tmp_path.iterdir())
    # Resuming from the folder of a finished fit ends on the same bits.
    again = NLSQWrapper().fit(model, X, Y, P0, BOUNDS,
                              config={**config, "resume_from_checkpoint": True})
    assert np.array_equal(again.parameters, first.parameters)


def test_held_parameters_stay_and_are_flagged():
    r = NLSQWrapper().fit(model, X, Y, P0, BOUNDS, config={"fixed": [None, 0.8, None]})
    assert r.parameters[1] == 0.8
    assert r.parameter_flags[1] == "Fixed"
    # Held, not estimated: no spread of its own, and none shared with the others.
    assert r.uncertainties[1] == 0.0 and not r.covariance[1].any()
    assert r.uncertainties[0] > 0 and r.uncertainties[2] > 0


def test_sigma_and_absolute_sigma_in_config():
    sigma = np.full(X.size, 0.01)
    rel = NLSQWrapper().fit(model, X, Y, P0, BOUNDS, config={"sigma": sigma})
    ab = NLSQWrapper().fit(model, X, Y, P0, BOUNDS,
                           config={"sigma": sigma, "absolute_sigma": True})
    assert np.allclose(rel.parameters, ab.parameters, rtol=1e-10)
    ratio = ab.covariance[0, 0] / rel.covariance[0, 0]
    assert ratio == pytest.approx(1.0 / rel.reduced_chi_squared, rel=1e-6)


def test_fast_mode_and_no_large_dataset():
    r = NLSQWrapper(fast_mode=True, enable_large_dataset=False).fit(model, X, Y, P0, BOUNDS)
    assert r.strategy == "STANDARD" and r.success


def test_lm_method_and_formula_model():
    r = NLSQWrapper().fit("a*exp(-b*x)+c", X, Y, P0, BOUNDS, method="lm")
    reference = NLSQWrapper().fit(model, X, Y, P0, BOUNDS)
    assert np.allclose(r.parameters, reference.parameters, rtol=1e-6)

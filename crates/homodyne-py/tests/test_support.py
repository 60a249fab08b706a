"""The support classes of homodyne_rs.optimization: strategy selection, the streaming
configuration, checkpoints, batch statistics, numerical validation and recovery."""

import importlib
import logging
import math
import sys
import time

import numpy as np
import pytest

import homodyne_rs.exceptions as exceptions
from homodyne_rs.exceptions import (
    NLSQCheckpointError,
    NLSQConvergenceError,
    NLSQInputError,
    NLSQNumericalError,
)
from homodyne_rs.optimization import (
    BatchStatistics,
    CheckpointManager,
    DatasetSizeStrategy,
    NumericalValidator,
    OptimizationStrategy,
    RecoveryStrategyApplicator,
)

GIB = 2**30
S = OptimizationStrategy

# --------------------------------------------------------------------------- strategy


@pytest.mark.parametrize(
    "n_points, expected",
    [
        (0, S.STANDARD),
        (999_999, S.STANDARD),
        (1_000_000, S.LARGE),
        (9_999_999, S.LARGE),
        (10_000_000, S.CHUNKED),
        (100_000_000, S.CHUNKED),
        (100_000_001, S.STREAMING),
    ],
)
def test_size_thresholds(n_points, expected):
    selector = DatasetSizeStrategy()
    assert selector.select_strategy(n_points, 5, check_memory=False) is expected
    # A budget far above every estimate changes nothing.
    assert selector.select_strategy(n_points, 5, memory_limit_gb=1e6) is expected


def test_enum_values_are_the_references():
    assert [s.value for s in S] == ["standard", "large", "chunked", "streaming"]
    assert str(S.CHUNKED) == "OptimizationStrategy.CHUNKED"


@pytest.mark.parametrize("override", ["streaming", "STREAMING", S.STREAMING])
def test_override_wins_whatever_the_size(override):
    selector = DatasetSizeStrategy()
    assert selector.select_strategy(10, 3, strategy_override=override) is S.STREAMING
    assert selector.select_strategy(
        500_000_000, 3, strategy_override="standard", check_memory=False
    ) is S.STANDARD


def test_override_that_does_not_fit_is_kept_with_a_warning(caplog):
    selector = DatasetSizeStrategy()
    with caplog.at_level(logging.WARNING, logger="homodyne_rs.optimization.strategy"):
        chosen = selector.select_strategy(
            10_000_000, 7, strategy_override="standard", memory_limit_gb=0.001
        )
    assert chosen is S.STANDARD
    assert any("STANDARD was requested" in r.getMessage() for r in caplog.records)


def test_a_small_memory_limit_moves_to_leaner_strategies():
    selector = DatasetSizeStrategy()
    # 10M points: CHUNKED by size; its estimate (> 160 MB) does not fit 6 MiB.
    choice = selector.explain_selection(10_000_000, 7, memory_limit_gb=0.006)
    assert choice["strategy"] is S.STREAMING
    assert choice["budget_bytes"] == int(0.006 * GIB)
    assert choice["reasons"][0].startswith("CHUNKED needs")
    assert choice["warnings"] == []
    # From STANDARD, every step is a reason.
    steps = selector.explain_selection(500_000, 7, memory_limit_gb=0.0005)["reasons"]
    assert [r.split()[0] for r in steps[:3]] == ["STANDARD", "LARGE", "CHUNKED"]
    # A limit with room for the size-based strategy keeps it.
    roomy = selector.explain_selection(10_000_000, 7, memory_limit_gb=64)
    assert roomy["strategy"] is S.CHUNKED and roomy["reasons"] == []
    assert roomy["estimated_bytes"] > 16 * 10_000_000
    # Without the memory check nothing is compared.
    unchecked = selector.explain_selection(10_000_000, 7, check_memory=False,
                                           memory_limit_gb=0.006)
    assert unchecked["strategy"] is S.CHUNKED and unchecked["budget_bytes"] is None


def test_memory_estimate_grows_with_the_point_size():
    thin = DatasetSizeStrategy().explain_selection(5_000_000, 3, check_memory=False)
    wide = DatasetSizeStrategy(x_dim=3, weighted=True).explain_selection(
        5_000_000, 3, check_memory=False)
    # 8 (x_dim + 1) bytes a point, plus 16 for sigma: 16 -> 48 bytes a point.
    assert wide["estimated_bytes"] - thin["estimated_bytes"] == 32 * 5_000_000


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda s: s.select_strategy(-1, 3), "n_points"),
        (lambda s: s.select_strategy(10, 2.5), "n_parameters"),
        (lambda s: s.select_strategy(10, 3, strategy_override="fast"), "strategy_override"),
        (lambda s: s.select_strategy(10, 3, memory_limit_gb=0), "memory_limit_gb"),
        (lambda s: s.build_streaming_config(10, 3, {"checkpoint_every": 5}), "checkpoint_every"),
        (lambda s: s.build_streaming_config(10, 3, {"enable_checkpoints": "yes"}),
         "enable_checkpoints"),
        (lambda s: s.build_streaming_config(10, 3, {"checkpoint_frequency": 0}),
         "checkpoint_frequency"),
        (lambda s: s.build_streaming_config(10, 3, {"keep_last_checkpoints": -2}),
         "keep_last_checkpoints"),
    ],
)
def test_bad_arguments_are_named(call, argument):
    with pytest.raises(NLSQInputError, match=argument) as info:
        call(DatasetSizeStrategy())
    assert isinstance(info.value, ValueError)


REFERENCE_STREAMING_KEYS = {
    "batch_size", "max_epochs", "enable_checkpoints", "checkpoint_dir",
    "checkpoint_frequency", "resume_from_checkpoint", "keep_last_checkpoints",
    "enable_fault_tolerance", "validate_numerics", "min_success_rate",
    "max_retries_per_batch",
}


def test_streaming_config_has_every_reference_key_with_its_default():
    config = DatasetSizeStrategy().build_streaming_config(200_000_000, 9)
    assert REFERENCE_STREAMING_KEYS <= set(config)
    assert config["enable_checkpoints"] is False
    assert config["checkpoint_dir"] == "./checkpoints"
    assert (config["checkpoint_frequency"], config["keep_last_checkpoints"]) == (10, 3)
    assert config["resume_from_checkpoint"] is False
    assert config["enable_fault_tolerance"] is True and config["validate_numerics"] is True
    assert (config["min_success_rate"], config["max_retries_per_batch"]) == (0.5, 2)
    assert config["max_epochs"] == 50
    assert config["memory_budget_bytes"] > 0


def test_streaming_config_merges_the_checkpoint_settings(tmp_path):
    config = DatasetSizeStrategy().build_streaming_config(
        200_000_000, 9,
        checkpoint_config={
            "enable_checkpoints": True, "checkpoint_dir": tmp_path / "ck",
            "checkpoint_frequency": 4, "resume_from_checkpoint": True,
            "keep_last_checkpoints": 7,
        },
    )
    assert config["enable_checkpoints"] is True
    assert config["checkpoint_dir"] == str(tmp_path / "ck")
    assert (config["checkpoint_frequency"], config["keep_last_checkpoints"]) == (4, 7)
    assert config["resume_from_checkpoint"] is True


def test_streaming_batch_size_is_bounded_rounded_and_grows_with_memory():
    build = DatasetSizeStrategy().build_streaming_config
    assert build(1_000_000_000, 9, memory_limit_gb=1e-4)["batch_size"] == 1_000
    assert build(1_000_000_000, 9, memory_limit_gb=1e4)["batch_size"] == 100_000
    # Budgets from 0.1 MiB to 10 GiB, each 1.2x the last: the batch size climbs from the
    # minimum to the maximum through sizes in between (where depends on the fixed
    # per-worker buffers, that is on the machine's core count).
    limits = np.geomspace(1e-4, 10, 64)
    sizes = [build(1_000_000_000, 9, memory_limit_gb=gb)["batch_size"] for gb in limits]
    assert sizes == sorted(sizes)
    assert sizes[0] == 1_000 and sizes[-1] == 100_000
    assert len(set(sizes)) > 3, sizes
    for gb, size in zip(limits, sizes):
        assert size % 1_000 == 0 and 1_000 <= size <= 100_000
        if size > 1_000:
            # The batch takes at most 10% of the budget, at 48 bytes a point (x of three
            # coordinates, y, sigma and its inverse), rounding to a thousand aside.
            assert (size - 500) * 48 <= 0.1 * gb * GIB
    # Never a batch much larger than the data.
    assert build(2_500, 9, memory_limit_gb=1e4)["batch_size"] == 3_000


# --------------------------------------------------------------------------- checkpoints


def _flip_middle(path, count=16):
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    for k in range(middle - count // 2, middle + count // 2):
        data[k] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("compression", [True, False])
def test_checkpoint_round_trip_is_bit_for_bit(tmp_path, compression):
    manager = CheckpointManager(tmp_path / "a" / "b", enable_compression=compression)
    assert manager.checkpoint_dir.is_dir()
    parameters = np.array([1 / 3, -0.0, np.nan, np.inf, -np.inf, 5e-324, 1e308, -2.5])
    parameters[2] = np.frombuffer(np.uint64(0x7FF8_0000_DEAD_BEEF).tobytes(), np.float64)[0]
    state = {
        "iteration": 42,
        "damping": 1e-3,
        "converged": True,
        "qtr": np.array([0.5, -0.25]),
        "r": np.arange(6.0).reshape(2, 3) / 7,
        "rng_state": np.array([42, -7], dtype=np.int32),
        "big": np.uint64(2**62),
    }
    metadata = {
        "success_rate": 0.95, "strategy": "streaming", "actions": ["perturb_parameters"],
        "nested": {"a": [1, 2.5, None]}, "count": np.int64(3), "nothing": None,
        "third": 1 / 3,
    }
    before = time.time()
    path = manager.save_checkpoint(7, parameters, state, 0.1 + 0.2, metadata)
    assert path == manager.checkpoint_dir / "homodyne_state_batch_0007.h5"
    assert path.is_file()
    data = manager.load_checkpoint(path)

    assert data["batch_idx"] == 7
    assert data["parameters"].dtype == np.float64
    assert data["parameters"].view(np.uint64).tolist() == parameters.view(np.uint64).tolist()
    assert data["loss"] == 0.1 + 0.2
    restored = data["optimizer_state"]
    assert set(restored) == set(state)
    assert restored["iteration"] == 42 and type(restored["iteration"]) is int
    assert restored["damping"] == 1e-3 and type(restored["damping"]) is float
    assert restored["converged"] == 1
    assert restored["big"] == 2**62
    for name in ("qtr", "r", "rng_state"):
        assert restored[name].shape == np.shape(state[name])
        assert restored[name].tolist() == np.asarray(state[name]).tolist()
    assert restored["r"].view(np.uint64).tolist() == state["r"].view(np.uint64).tolist()
    assert restored["rng_state"].dtype == np.int64
    assert data["metadata"] == {**metadata, "count": 3}
    assert isinstance(data["version"], str) and data["version"]
    assert data["format_version"] == "1.0"
    assert before - 1 <= data["timestamp"] <= time.time() + 1
    assert data["path"] == path
    assert manager.validate_checkpoint(path)


def test_checkpoint_attributes_and_schedule(tmp_path):
    manager = CheckpointManager(str(tmp_path), checkpoint_frequency=4, keep_last_n=2,
                                enable_compression=False)
    assert manager.checkpoint_dir == tmp_path
    assert (manager.checkpoint_frequency, manager.keep_last_n) == (4, 2)
    assert manager.enable_compression is False
    assert [b for b in range(13) if manager.should_checkpoint(b)] == [3, 7, 11]
    default = CheckpointManager(tmp_path / "d")
    assert (default.checkpoint_frequency, default.keep_last_n) == (10, 3)
    assert default.enable_compression is True


@pytest.mark.parametrize("argument", ["checkpoint_frequency", "keep_last_n"])
def test_zero_counts_are_refused(tmp_path, argument):
    with pytest.raises(NLSQCheckpointError, match=argument):
        CheckpointManager(tmp_path, **{argument: 0})


def test_cleanup_keeps_the_newest_n(tmp_path):
    manager = CheckpointManager(tmp_path, keep_last_n=3)
    for batch in range(6):
        manager.save_checkpoint(batch, [float(batch)], {}, 1.0)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f"homodyne_state_batch_000{b}.h5" for b in (3, 4, 5)]
    assert manager.cleanup_old_checkpoints() == []
    # A manager keeping fewer removes the oldest, reporting them in batch order.
    fewer = CheckpointManager(tmp_path, keep_last_n=1)
    removed = fewer.cleanup_old_checkpoints()
    assert removed == [tmp_path / "homodyne_state_batch_0003.h5",
                       tmp_path / "homodyne_state_batch_0004.h5"]
    assert [p.name for p in tmp_path.iterdir()] == ["homodyne_state_batch_0005.h5"]


@pytest.mark.parametrize("compression", [True, False])
def test_a_corrupted_checkpoint_is_refused_and_skipped(tmp_path, compression, caplog):
    manager = CheckpointManager(tmp_path, enable_compression=compression)
    # 1000 parameters: the middle of the file lies in their data.
    older = manager.save_checkpoint(10, np.linspace(0, 1, 1000), {"iteration": 10}, 0.5)
    newer = manager.save_checkpoint(20, np.linspace(1, 2, 1000), {"iteration": 20}, 0.25)
    assert manager.find_latest_checkpoint() == newer
    _flip_middle(newer)

    with pytest.raises(NLSQCheckpointError) as info:
        manager.load_checkpoint(newer)
    assert info.value.error_context["file"] == str(newer)
    assert info.value.error_context["checkpoint_error"] in {"corrupt", "format", "not_hdf5"}
    assert str(newer) in str(info.value)
    assert manager.validate_checkpoint(newer) is False
    assert manager.validate_checkpoint(older) is True
    with caplog.at_level(logging.WARNING, logger="homodyne_rs.optimization.checkpoint_manager"):
        assert manager.find_latest_checkpoint() == older
    assert any(str(newer) in r.getMessage() for r in caplog.records)
    assert manager.load_checkpoint(manager.find_latest_checkpoint())["batch_idx"] == 10


def test_truncated_missing_and_foreign_files(tmp_path):
    manager = CheckpointManager(tmp_path)
    path = manager.save_checkpoint(3, [1.0, 2.0], {}, 0.0)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(NLSQCheckpointError) as info:
        manager.load_checkpoint(path)
    assert info.value.error_context["file"] == str(path)
    missing = tmp_path / "homodyne_state_batch_0099.h5"
    with pytest.raises(NLSQCheckpointError) as info:
        manager.load_checkpoint(missing)
    assert info.value.error_context["file"] == str(missing)
    assert manager.validate_checkpoint(missing) is False
    (tmp_path / "homodyne_state_batch_0050.h5").write_text("not HDF5")
    assert manager.validate_checkpoint(tmp_path / "homodyne_state_batch_0050.h5") is False
    assert manager.find_latest_checkpoint() is None


@pytest.mark.parametrize(
    "state, metadata, named",
    [
        ({"method": "trf"}, None, "method"),
        ({"bad-name": 1.0}, None, "bad-name"),
        ({"c": np.array([1 + 2j])}, None, "'c'"),
        ({}, {"obj": object()}, "obj"),
        ({}, {"a b": 1}, "a b"),
    ],
)
def test_unstorable_values_raise_checkpoint_errors(tmp_path, state, metadata, named):
    manager = CheckpointManager(tmp_path)
    with pytest.raises(NLSQCheckpointError, match=named):
        manager.save_checkpoint(0, [1.0], state, 0.0, metadata)
    assert list(tmp_path.iterdir()) == []


def test_two_dimensional_parameters_are_refused(tmp_path):
    with pytest.raises(NLSQInputError, match="parameters"):
        CheckpointManager(tmp_path).save_checkpoint(0, np.ones((2, 2)), {}, 0.0)


# --------------------------------------------------------------------------- statistics


def test_statistics_after_a_sequence_that_wraps_the_buffer():
    stats = BatchStatistics(max_size=3)
    records = [
        (0, True, 1.0, 10, [], None),
        (1, False, None, 50, ["perturb_parameters"], "NLSQConvergenceError"),
        (2, True, 3.0, 20, ["reduce_step_size"], "NLSQNumericalError"),
        (3, False, float("nan"), 30, [], "NLSQNumericalError"),
        (4, True, float("inf"), 5, [], None),
        (5, True, 2.0, 15, [], None),
    ]
    for record in records:
        stats.record_batch(*record)

    assert [b["batch_idx"] for b in stats.buffer] == [3, 4, 5]
    assert stats.buffer.maxlen == 3 and len(stats) == 3
    assert stats.get_success_rate() == pytest.approx(2 / 3)
    assert (stats.total_batches, stats.total_successes, stats.total_failures) == (6, 4, 2)
    assert stats.error_counts == {"NLSQConvergenceError": 1, "NLSQNumericalError": 2}

    s = stats.get_statistics()
    assert s["total_batches"] == 6
    assert s["success_rate"] == pytest.approx(2 / 3)
    assert s["overall_success_rate"] == pytest.approx(4 / 6)
    # Finite losses of successful batches only: 1, 3 and 2 (inf and NaN excluded).
    assert s["average_loss"] == pytest.approx(2.0)
    assert s["average_iterations"] == pytest.approx(130 / 6)
    assert s["error_distribution"] == stats.error_counts
    last = s["recent_batches"][-1]
    assert last == {"batch_idx": 5, "success": True, "loss": 2.0, "iterations": 15,
                    "recovery_actions": [], "error_type": None}
    assert math.isnan(s["recent_batches"][0]["loss"])

    # The buffer is a copy: changing it does not change the statistics.
    stats.buffer.clear()
    assert len(stats.buffer) == 3


def test_empty_statistics():
    stats = BatchStatistics()
    assert stats.max_size == 100
    s = stats.get_statistics()
    assert s["total_batches"] == 0 and s["success_rate"] == 1.0
    assert s["average_loss"] is None and s["average_iterations"] is None
    assert s["recent_batches"] == [] and len(stats.buffer) == 0


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda: BatchStatistics(max_size=0), "max_size"),
        (lambda: BatchStatistics().record_batch(-1, True, 1.0, 1, []), "batch_idx"),
        (lambda: BatchStatistics().record_batch(0, True, 1.0, -5, []), "iterations"),
    ],
)
def test_statistics_refuse_bad_arguments(call, argument):
    with pytest.raises(NLSQInputError, match=argument):
        call()


# --------------------------------------------------------------------------- validation


def test_gradient_check_names_the_point_and_the_values():
    validator = NumericalValidator()
    validator.validate_gradients(np.array([1.0, -1e150]))
    with pytest.raises(NLSQNumericalError) as info:
        validator.validate_gradients(np.array([[1.0, np.nan], [1e200, 2.0]]), iteration=4)
    error = info.value
    assert isinstance(error, ValueError)
    assert error.detection_point == "gradient"
    assert error.invalid_values[1] == (2, 1e200)
    assert error.invalid_values[0][0] == 1 and math.isnan(error.invalid_values[0][1])
    assert error.error_context["iteration"] == "4"
    assert error.error_context["invalid_count"] == "2"


def test_parameter_check_non_finite_and_outside_bounds():
    validator = NumericalValidator(bounds=(np.zeros(3), np.ones(3)))
    validator.validate_parameters(np.array([0.0, 0.5, 1.0]))
    with pytest.raises(NLSQNumericalError) as info:
        validator.validate_parameters(np.array([0.5, np.inf, 2.0]))
    assert info.value.detection_point == "parameter"
    assert info.value.invalid_values == [(1, np.inf)]
    assert info.value.error_context["check"] == "parameter"
    assert "iteration" not in info.value.error_context
    with pytest.raises(NLSQNumericalError) as info:
        validator.validate_parameters(np.array([0.5, -0.1, 2.0]))
    assert info.value.detection_point == "parameter"
    assert info.value.invalid_values == [(1, -0.1), (2, 2.0)]
    assert info.value.error_context["check"] == "parameter_bounds"
    # Bounds given to the call override the validator's; without any, only finiteness.
    validator.validate_parameters([5.0, 5.0, 5.0], bounds=(0.0, 10.0))
    NumericalValidator().validate_parameters([1e300, -1e300])
    with pytest.raises(NLSQInputError, match="lower bounds have 2 values"):
        validator.validate_parameters([0.5, 0.5, 0.5], bounds=([0, 0], [1, 1, 1]))


def test_loss_check():
    validator = NumericalValidator()
    validator.validate_loss(1e300)
    for bad in (np.nan, np.inf, -np.inf):
        with pytest.raises(NLSQNumericalError) as info:
            validator.validate_loss(bad)
        assert info.value.detection_point == "loss"


def test_disabled_validator_lets_everything_pass():
    validator = NumericalValidator(enable_validation=False, bounds=([0.0], [1.0]))
    validator.validate_gradients([np.nan])
    validator.validate_parameters([np.inf])
    validator.validate_parameters([5.0])
    validator.validate_loss(np.nan)
    assert validator.enable_validation is False


# --------------------------------------------------------------------------- recovery


def _names(applicator, error, attempts, params=np.array([1.0, 2.0])):
    out = []
    for attempt in range(attempts):
        found = applicator.get_recovery_strategy(error, params, attempt)
        out.append(None if found is None else found[0])
    return out


def test_recovery_order_and_exhaustion():
    convergence = NLSQConvergenceError("budget spent")
    numerical = NLSQNumericalError("NaN", detection_point="gradient")
    two = RecoveryStrategyApplicator()
    assert two.max_retries == 2
    assert _names(two, convergence, 3) == ["perturb_parameters", "increase_iterations", None]
    assert _names(two, numerical, 3) == ["reduce_step_size", "tighten_bounds", None]
    four = RecoveryStrategyApplicator(max_retries=4)
    assert _names(four, convergence, 4) == [
        "perturb_parameters", "increase_iterations", "relax_tolerance", None]
    assert _names(four, numerical, 4) == [
        "reduce_step_size", "tighten_bounds", "rescale_data", None]
    assert _names(RecoveryStrategyApplicator(max_retries=0), convergence, 1) == [None]


@pytest.mark.parametrize(
    "error",
    [
        ValueError("not ours"),
        NLSQCheckpointError("corrupt"),
        NLSQInputError("p0 outside"),
        exceptions.NLSQOptimizationError("model raised"),
    ],
)
def test_other_errors_have_no_strategy(error):
    assert RecoveryStrategyApplicator().get_recovery_strategy(error, [1.0], 0) is None


def test_only_the_perturbation_moves_the_parameters():
    params = np.array([2.0, 0.0, 0.995, -4.0])
    bounds = (np.array([0.0, -1.0, 0.99, -10.0]), np.array([10.0, 1.0, 1.0, 10.0]))
    applicator = RecoveryStrategyApplicator(seed=7)
    name, moved = applicator.get_recovery_strategy(
        NLSQConvergenceError("x"), params, 0, bounds)
    assert name == "perturb_parameters"
    assert moved.shape == params.shape and not np.array_equal(moved, params)
    scale = np.where(params != 0, np.abs(params), 1e-3)
    assert np.all(np.abs(moved - params) <= 0.05 * scale)
    assert np.all((moved > bounds[0]) | (moved == params))
    assert np.all((moved < bounds[1]) | (moved == params))
    # Seeded: the same seed moves the same way, another seed another way.
    again = RecoveryStrategyApplicator(seed=7).get_recovery_strategy(
        NLSQConvergenceError("x"), params, 0, bounds)[1]
    other = RecoveryStrategyApplicator(seed=8).get_recovery_strategy(
        NLSQConvergenceError("x"), params, 0, bounds)[1]
    assert np.array_equal(moved, again) and not np.array_equal(moved, other)
    for error, attempt in ((NLSQConvergenceError("x"), 1),
                           (NLSQNumericalError("x", detection_point="loss"), 0),
                           (NLSQNumericalError("x", detection_point="loss"), 1)):
        name, start = applicator.get_recovery_strategy(error, params, attempt, bounds)
        assert np.array_equal(start, params), name


def test_failures_no_strategy_can_help_are_not_retried():
    applicator = RecoveryStrategyApplicator(max_retries=3)
    at_start = NLSQNumericalError("NaN", detection_point="gradient",
                                  error_context={"iteration": 0})
    assert applicator.get_recovery_strategy(at_start, [1.0], 0) is None
    loss_at_start = NLSQNumericalError("inf", detection_point="loss",
                                       error_context={"iteration": 0})
    assert _names(applicator, loss_at_start, 2) == ["rescale_data", None]
    stalled = NLSQConvergenceError("stalled", error_context={"status": "stalled"})
    assert _names(applicator, stalled, 2) == ["perturb_parameters", None]


def test_the_rust_action_names_map_to_the_references():
    from homodyne_rs import _native

    assert [_native.recovery_action_name(a) for a in (
        "perturb_parameters", "increase_iterations", "loosen_tolerances", "halve_step",
        "tighten_bounds", "rescale_data", "exclude_batch_and_restart")] == [
        "perturb_parameters", "increase_iterations", "relax_tolerance", "reduce_step_size",
        "tighten_bounds", "rescale_data", "exclude_batch_and_restart"]


def test_recovery_refuses_bounds_that_do_not_fit():
    applicator = RecoveryStrategyApplicator()
    with pytest.raises(NLSQInputError, match="lower bounds have 1 values"):
        applicator.get_recovery_strategy(NLSQConvergenceError("x"), [1.0, 2.0], 0,
                                         bounds=([0.0], [3.0, 3.0]))
    with pytest.raises(NLSQInputError):
        applicator.get_recovery_strategy(NLSQConvergenceError("x"), [1.0], 0,
                                         bounds=([2.0], [1.0]))
    with pytest.raises(NLSQInputError, match="attempt"):
        applicator.get_recovery_strategy(NLSQConvergenceError("x"), [1.0], -1)


# --------------------------------------------------------------------------- the package


def test_every_name_is_exported_lazily():
    import homodyne_rs.optimization as optimization

    expected = {
        "NLSQWrapper", "OptimizationResult", "OptimizationStrategy", "DatasetSizeStrategy",
        "CheckpointManager", "BatchStatistics", "NumericalValidator",
        "RecoveryStrategyApplicator", "NLSQOptimizationError", "NLSQConvergenceError",
        "NLSQNumericalError", "NLSQCheckpointError",
    }
    assert expected <= set(optimization.__all__)
    assert expected <= set(dir(optimization))
    for name in optimization.__all__:
        assert getattr(optimization, name) is not None, name
    assert optimization.NLSQCheckpointError is exceptions.NLSQCheckpointError
    from homodyne_rs.optimization.exceptions import NLSQNumericalError as again
    assert again is exceptions.NLSQNumericalError
    with pytest.raises(AttributeError, match="no_such_name"):
        optimization.no_such_name  # noqa: B018


def test_a_missing_submodule_does_not_break_the_others(monkeypatch):
    import homodyne_rs

    prefix = "homodyne_rs.optimization"
    saved = {k: v for k, v in sys.modules.items() if k == prefix or k.startswith(prefix + ".")}
    # The package's attribute is rebound by the fresh import: put it back afterwards.
    monkeypatch.setattr(homodyne_rs, "optimization", homodyne_rs.optimization)
    try:
        for name in saved:
            del sys.modules[name]
        # A fresh import of the package, with the wrapper's module made unimportable.
        sys.modules[prefix + ".nlsq.wrapper"] = None
        fresh = importlib.import_module(prefix)
        assert fresh.BatchStatistics(max_size=2).get_success_rate() == 1.0
        assert fresh.OptimizationStrategy.LARGE.value == "large"
        with pytest.raises(ImportError):
            fresh.NLSQWrapper  # noqa: B018
    finally:
        for name in [k for k in sys.modules if k == prefix or k.startswith(prefix + ".")]:
            del sys.modules[name]
        sys.modules.update(saved)

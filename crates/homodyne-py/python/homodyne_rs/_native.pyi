"""Type stubs of ``homodyne_rs._native``, the compiled half of ``homodyne_rs``.

The public API is the Python modules (``homodyne_rs.curve_fit``,
``homodyne_rs.least_squares``, ``homodyne_rs.optimization``, ``homodyne_rs.xpcs``), which
check and shape their arguments and call these functions. The signatures here are the
``#[pyo3(signature = ...)]`` attributes of ``crates/homodyne-py/src``; ``tests/test_stubs.py``
checks that every name the module registers is stubbed and nothing else is.

Every failure raises one of :mod:`homodyne_rs.exceptions` (``NLSQInputError`` for a bad
argument, naming it).

Examples
--------
>>> from homodyne_rs import _native
>>> _native.formula_parameters("a*exp(-b*x)+c", ["x"])
['a', 'b', 'c']
"""

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np
from numpy.typing import ArrayLike, NDArray

_Path = Union[str, os.PathLike[str]]
_Floats = Union[Sequence[float], NDArray[np.float64]]
_Count = Union[int, np.integer[Any]]

__version__: str
"""The crate's version (``homodyne_rs.__version__``)."""

# ---------------------------------------------------------------------------------------
# Curve fits (src/curve.rs)
# ---------------------------------------------------------------------------------------

def fit_curve(
    model: Union[str, Callable[..., ArrayLike]],
    xdata: ArrayLike,
    ydata: NDArray[np.float64],
    p0: _Floats,
    lower: _Floats,
    upper: _Floats,
    names: Sequence[str],
    *,
    sigma: Optional[NDArray[np.float64]] = None,
    absolute_sigma: bool = False,
    fixed: Optional[Sequence[Optional[float]]] = None,
    method: str = "trf",
    options: Optional[Mapping[str, Any]] = None,
    jac: Optional[Callable[..., ArrayLike]] = None,
    difference: str = "2-point",
    strategy_override: Optional[str] = None,
    memory_limit_gb: Optional[float] = None,
    wrapper: Optional[tuple[bool, bool, bool, int, bool]] = None,
    streaming: Optional[Mapping[str, Any]] = None,
    checkpoint: Optional[Mapping[str, Any]] = None,
    progress: bool = False,
    block: Optional[int] = None,
    variables: Optional[Sequence[str]] = None,
    coarse_to_fine: Union[str, Sequence[int], None] = None,
    multistart: Optional[tuple[int, int, int]] = None,
) -> dict[str, Any]:
    """Fits ``model`` (a callable ``f(x, *p)`` or a formula string) to ``ydata`` over
    ``xdata`` from ``p0`` within ``[lower, upper]``: the engine of ``curve_fit`` and
    ``NLSQWrapper.fit``.

    ``wrapper`` is ``(enable_large_dataset, enable_recovery, enable_numerical_validation,
    max_retries, fast_mode)``; ``options`` may hold ``ftol``, ``xtol``, ``gtol``,
    ``max_nfev``, ``f_scale``, ``loss``, ``x_scale`` and ``validate``; ``coarse_to_fine``
    is ``'auto'``, ``'off'`` or a list of strides in blocks of 1024 points (``None``:
    ``'auto'`` for a formula, ``'off'`` for a callable); ``multistart`` is ``(starts,
    seed, budget)`` for a fit from ``p0`` and ``starts`` Latin-hypercube starts within
    the bounds (checked by the caller: ``_fit_arguments.multistart_settings``; ``None`` or
    0 starts: none). Returns the result dict (``parameters``, ``covariance``,
    ``chi_squared``, ...) with ``model_calls``, ``jacobian_calls``, ``names``,
    ``stages`` (a list of dicts, one per coarse stage) and ``multistart`` (the report, a
    dict, or ``None``) added.

    >>> import numpy as np
    >>> x = np.linspace(0, 1, 50)
    >>> d = fit_curve("a*x+b", x, 2 * x + 1, [0.0, 0.0], [-np.inf] * 2, [np.inf] * 2, ["a", "b"])
    >>> np.round(d["parameters"], 10)
    array([2., 1.])
    >>> d["multistart"] is None
    True
    >>> d = fit_curve("a*x+b", x, 2 * x + 1, [0.0, 0.0], [-5.0] * 2, [5.0] * 2, ["a", "b"],
    ...               multistart=(4, 0, 100))
    >>> d["multistart"]["n_candidates"], np.round(d["parameters"], 10)
    (5, array([2., 1.]))
    """

def formula_parameters(source: str, variables: Sequence[str]) -> list[str]:
    """The parameters the formula ``source`` implies: its free names that are not among
    ``variables``, in order of first use.

    >>> formula_parameters("a*x0 + b*x1", ["x0", "x1"])
    ['a', 'b']
    """

def formula_values(
    source: str,
    xdata: ArrayLike,
    p: _Floats,
    names: Sequence[str],
    variables: Optional[Sequence[str]] = None,
) -> NDArray[np.float64]:
    """The formula's values at the parameters ``p`` (named ``names``) over ``xdata`` (1-D,
    or one row per variable; the variables are ``x``, or ``x0``, ``x1``, ... by default).

    >>> formula_values("a*x", [1.0, 2.0], [3.0], ["a"])
    array([3., 6.])
    """

# ---------------------------------------------------------------------------------------
# least_squares (src/least_squares.rs)
# ---------------------------------------------------------------------------------------

def least_squares(
    fun: Callable[[NDArray[np.float64]], ArrayLike],
    x0: NDArray[np.float64],
    f0: NDArray[np.float64],
    jac: Optional[Callable[[NDArray[np.float64]], ArrayLike]],
    scheme: str,
    lower: NDArray[np.float64],
    upper: NDArray[np.float64],
    method: str,
    ftol: float,
    xtol: float,
    gtol: float,
    x_scale: Optional[NDArray[np.float64]],
    loss: str,
    f_scale: float,
    diff_step: Optional[NDArray[np.float64]],
    max_nfev: int,
    progress: bool,
    coarse_to_fine: Union[str, Sequence[int], None] = None,
    multistart: Optional[tuple[int, int, int]] = None,
) -> dict[str, Any]:
    """Minimises the sum of squares of ``fun(x)`` from ``x0`` (where ``fun`` is ``f0``)
    within ``[lower, upper]``: the engine of ``homodyne_rs.least_squares``, whose
    docstring documents the options. ``x_scale=None`` is scipy's ``'jac'``;
    ``multistart`` is ``(starts, seed, budget)``, checked by the caller, or ``None``.

    Returns scipy's result fields: ``x``, ``cost``, ``fun``, ``jac``, ``grad``,
    ``optimality``, ``active_mask``, ``nfev``, ``njev``, ``status``, ``message``,
    ``success``, ``stages`` (the coarse stages; ``coarse_to_fine=None`` runs none) and
    ``multistart`` (the report, ``None`` without one).

    >>> import numpy as np
    >>> inf = np.full(1, np.inf)
    >>> r = least_squares(lambda x: x - 3.0, np.zeros(1), np.full(1, -3.0), None, "2-point",
    ...                   -inf, inf, "trf", 1e-8, 1e-8, 1e-8, None, "linear", 1.0, None,
    ...                   100, False)
    >>> np.round(r["x"], 8)
    array([3.])
    """

# ---------------------------------------------------------------------------------------
# Strategy selection (src/support/strategy.rs)
# ---------------------------------------------------------------------------------------

def select_strategy(
    n_points: _Count,
    n_parameters: _Count,
    strategy_override: Optional[str] = None,
    check_memory: bool = True,
    memory_limit_gb: Optional[float] = None,
    x_dim: Optional[_Count] = None,
    weighted: bool = False,
    workers: Optional[_Count] = None,
) -> dict[str, Any]:
    """Chooses the strategy for ``n_points`` points and ``n_parameters`` parameters: a
    dict of ``strategy``, ``estimated_bytes``, ``budget_bytes``, ``reasons``, ``warnings``.

    >>> select_strategy(1000, 3)["strategy"]
    'standard'
    """

def build_streaming_config(
    n_points: _Count,
    n_parameters: _Count,
    checkpoint_config: Optional[Mapping[str, Any]] = None,
    memory_limit_gb: Optional[float] = None,
) -> dict[str, Any]:
    """The streaming configuration for ``n_points`` points and ``n_parameters``
    parameters, as the reference's flat dict (``batch_size``, ``max_epochs``, the
    checkpoint and fault-tolerance settings, ``memory_budget_bytes``).

    >>> build_streaming_config(10_000_000, 5)["enable_checkpoints"]
    False
    """

# ---------------------------------------------------------------------------------------
# Checkpoints (src/support/checkpoint.rs)
# ---------------------------------------------------------------------------------------

class CheckpointManager:
    """The Rust checkpoint manager behind
    ``homodyne_rs.optimization.CheckpointManager`` (HDF5 files, checksummed, written
    atomically).

    >>> import tempfile
    >>> m = CheckpointManager(tempfile.mkdtemp(), 2, 3, False)
    >>> m.should_checkpoint(1)
    True
    """

    def __init__(
        self,
        checkpoint_dir: _Path,
        checkpoint_frequency: _Count,
        keep_last_n: _Count,
        enable_compression: bool,
    ) -> None:
        """A manager writing into ``checkpoint_dir`` (created if missing)."""
    @property
    def checkpoint_dir(self) -> Path:
        """The directory of the checkpoint files."""
    @property
    def checkpoint_frequency(self) -> int:
        """A checkpoint is due every this many batches."""
    @property
    def keep_last_n(self) -> int:
        """How many of the newest checkpoints are kept."""
    @property
    def enable_compression(self) -> bool:
        """Whether arrays are gzip-compressed."""
    def should_checkpoint(self, batch_idx: _Count) -> bool:
        """Whether a checkpoint is due after batch ``batch_idx``."""
    def save_checkpoint(
        self,
        batch_idx: _Count,
        parameters: NDArray[np.float64],
        optimizer_state: Mapping[str, Any],
        loss: float,
        metadata: Mapping[str, str],
    ) -> Path:
        """Writes the checkpoint of batch ``batch_idx`` and returns its path."""
    def load_checkpoint(self, checkpoint_path: _Path) -> dict[str, Any]:
        """Reads and checks a checkpoint: ``batch_idx``, ``parameters``,
        ``optimizer_state``, ``loss``, ``metadata``, ``format_version``,
        ``library_version``, ``timestamp``, ``path``."""
    def checkpoint_problem(self, checkpoint_path: _Path) -> Optional[str]:
        """``None`` when the checkpoint passes every check, else why it does not."""
    def find_latest_checkpoint(self) -> tuple[Optional[Path], list[tuple[Path, str]]]:
        """The newest valid checkpoint (or ``None``) and the newer files that failed
        their checks, with the reason."""
    def cleanup_old_checkpoints(self) -> list[Path]:
        """Removes all but the ``keep_last_n`` newest checkpoints; the removed paths."""
    def list_checkpoints(self) -> list[tuple[int, Path]]:
        """The checkpoint files with their batch indices, in increasing batch order."""

# ---------------------------------------------------------------------------------------
# Batch statistics (src/support/statistics.rs)
# ---------------------------------------------------------------------------------------

class BatchStatistics:
    """The Rust statistics behind ``homodyne_rs.optimization.BatchStatistics``.

    >>> s = BatchStatistics(10)
    >>> s.record_batch(0, True, 0.5, 7, [])
    >>> s.get_success_rate(), len(s)
    (1.0, 1)
    """

    def __init__(self, max_size: _Count) -> None:
        """Empty statistics keeping the last ``max_size`` batches (at least 1)."""
    @property
    def max_size(self) -> int:
        """How many recent batches the buffer keeps."""
    def record_batch(
        self,
        batch_idx: _Count,
        success: bool,
        loss: Optional[float],
        iterations: _Count,
        recovery_actions: Sequence[str],
        error_type: Optional[str] = None,
    ) -> None:
        """Records one batch; ``loss`` may be ``None`` when none was computed."""
    def get_success_rate(self) -> float:
        """The share of the batches in the buffer that succeeded (1.0 when empty)."""
    def get_statistics(self, include_recent: bool = True) -> dict[str, Any]:
        """The reference's statistics dict; without ``recent_batches`` when
        ``include_recent`` is false."""
    def __len__(self) -> int:
        """Records in the buffer."""
    def clear(self) -> None:
        """Forgets every batch."""

# ---------------------------------------------------------------------------------------
# Numerical validation (src/support/validation.rs)
# ---------------------------------------------------------------------------------------

def validate_gradients(
    gradients: NDArray[np.float64],
    enabled: bool = True,
    iteration: Optional[_Count] = None,
) -> None:
    """Raises ``NLSQNumericalError`` when a gradient value is NaN or infinite.

    >>> import numpy as np
    >>> validate_gradients(np.ones(3))
    """

def validate_parameters(
    parameters: NDArray[np.float64],
    lower: Optional[NDArray[np.float64]] = None,
    upper: Optional[NDArray[np.float64]] = None,
    enabled: bool = True,
    iteration: Optional[_Count] = None,
) -> None:
    """Raises ``NLSQNumericalError`` when a parameter is not finite or lies outside
    ``[lower, upper]``."""

def validate_loss(
    loss_value: float,
    enabled: bool = True,
    iteration: Optional[_Count] = None,
) -> None:
    """Raises ``NLSQNumericalError`` when the loss is NaN or infinite."""

# ---------------------------------------------------------------------------------------
# Recovery (src/support/recovery.rs)
# ---------------------------------------------------------------------------------------

class RecoveryStrategyApplicator:
    """The Rust applicator behind
    ``homodyne_rs.optimization.RecoveryStrategyApplicator``.

    >>> RecoveryStrategyApplicator(2, seed=0).max_retries
    2
    """

    def __init__(self, max_retries: _Count, seed: Optional[int] = None) -> None:
        """An applicator allowing ``max_retries`` retries; ``seed`` fixes the
        perturbation."""
    @property
    def max_retries(self) -> int:
        """Retries allowed."""
    def get_recovery_strategy(
        self,
        error: BaseException,
        params: NDArray[np.float64],
        attempt: _Count,
        lower: Optional[NDArray[np.float64]] = None,
        upper: Optional[NDArray[np.float64]] = None,
    ) -> Optional[tuple[str, NDArray[np.float64]]]:
        """``(strategy name, parameters to restart from)`` for retry ``attempt`` (from
        0) after ``error``, or ``None`` when no strategy is left."""

def recovery_action_name(action: str) -> str:
    """The reference's name of a recovery action the Rust wrapper records.

    >>> recovery_action_name("halve_step")
    'reduce_step_size'
    """

# ---------------------------------------------------------------------------------------
# XPCS (src/xpcs.rs)
# ---------------------------------------------------------------------------------------

def xpcs_load(
    config: Optional[_Path],
    settings_json: str = "{}",
) -> tuple[dict[str, Any], list[str]]:
    """The data of the configuration ``config`` with the keys of ``settings_json`` laid
    over it (``c2_exp``, ``t1``, ``t2``, ``phi_angles_list``, ``wavevector_q_list``), and
    the warnings of the configuration and the loader."""

def xpcs_fit(
    config: Optional[_Path] = None,
    settings_json: str = "{}",
    demo: Optional[tuple[int, int]] = None,
    python_compat: bool = False,
    output_dir: Optional[_Path] = None,
    progress: bool = False,
    data: Optional[
        tuple[
            NDArray[np.float64],
            NDArray[np.float64],
            NDArray[np.float64],
            NDArray[np.float64],
        ]
    ] = None,
    hdf5: bool = False,
    multistart: Optional[tuple[Optional[int], Optional[int], Optional[int]]] = None,
    demo_mode: str = "laminar_flow",
) -> tuple[dict[str, Any], list[str]]:
    """Fits the configuration ``config`` (or, with ``demo=(angles, frames)``, the command
    line's demo dataset of the physics ``demo_mode``, ``laminar_flow`` or
    ``two_component`` alias ``heterodyne``, as ``--demo --mode``; or the arrays ``data = (c2_exp, t1, phi_angles_list,
    wavevector_q_list)``) as ``homodyne xpcs`` does; the fit as a dict and the warnings.
    ``multistart = (starts, seed, budget)`` (each ``None`` when not given) is laid over the
    configuration's or the demo's multistart as ``--multistart``, ``--multistart-seed``
    and ``--multistart-budget`` are; the dict's ``multistart`` is its report (or ``None``).
    """

def xpcs_write_demo(
    folder: _Path,
    angles: int,
    frames: int,
    python_compat: bool = False,
    mode: str = "laminar_flow",
) -> list[tuple[str, str]]:
    """Writes the demo dataset of the physics ``mode`` (``laminar_flow`` or
    ``two_component``; an HDF5 file and the YAML configuration that fits it) into
    ``folder``; ``[("data", path), ("config", path)]``."""

"""``NLSQWrapper`` and ``OptimizationResult``: the Python ``homodyne`` package's fitting
interface, by its names and signatures, over homodyne's exact solver.

Every strategy (STANDARD, LARGE, CHUNKED, STREAMING) reaches the same optimum; the
strategy only decides how the data and the Jacobian are held in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np

from ... import _native
from ..._fit_arguments import (DEFAULT_MULTISTART_BUDGET, as_bounds, as_data, formula_variables,
                               multistart_settings, parameter_names)
from ...exceptions import NLSQInputError

__all__ = ["NLSQWrapper", "OptimizationResult"]


@dataclass
class OptimizationResult:
    """The result of :meth:`NLSQWrapper.fit`.

    Attributes
    ----------
    parameters : ndarray
        The fitted parameters.
    covariance : ndarray
        Their covariance, scaled by the reduced chi-squared unless ``absolute_sigma``.
    uncertainties : ndarray
        One-sigma uncertainties ``sqrt(diag(covariance))``: ``inf`` for a parameter the
        data do not determine (never 0), 0 for one held by ``config['fixed']``.
    chi_squared : float
        ``sum(((f - y) / sigma)^2)`` at the solution.
    reduced_chi_squared : float
        ``chi_squared / (N - P)``.
    convergence_status : str
        ``'converged'`` (a convergence test passed at a stationary point),
        ``'max_evaluations'`` or ``'stalled'``.
    iterations : int
        Outer iterations over every attempt.
    execution_time : float
        Wall time of the fit, in seconds.
    device_info : dict
        Where it ran (``kind``, ``threads``).
    recovery_actions : list of str
        Recovery steps taken (empty when none were needed).
    strategy : str
        'STANDARD', 'LARGE', 'CHUNKED' or 'STREAMING'.
    streaming_diagnostics : dict or None
        STREAMING only: batch success rate, failed batches, error types, checkpoints.
    names : list of str
        The parameter names.
    message : str
        Why the solver stopped.
    nfev, njev : int
        Cost and Jacobian evaluations (passes over the data).
    parameter_flags : list of str
        Per parameter: Free, AtStart, AtLowerBound, AtUpperBound, Fixed or Undetermined.
    stages : list of dict
        The coarse stages fitted before the fit of all the points (``config
        ['coarse_to_fine']``), coarsest first, each with ``stride``, ``n_points``,
        ``start``, ``parameters``, ``used``, ``seconds``, ``convergence_status``,
        ``iterations``, ``nfev`` and ``error``; empty when none ran.
    multistart : dict or None
        The report of a multistart (``config['multistart']``), ``None`` without one:
        ``n_candidates``, ``seed``, ``budget``, ``cost_rtol``, ``basin_tol``, ``best``
        (the start finished: 0 is ``p0``), ``in_best_basin`` (how many starts reached the
        finished fit's basin) and ``candidates``, each with its ``index``, ``start``,
        ``convergence_status``, ``final_cost``, ``iterations``, ``nfev``,
        ``in_best_basin`` and, for a start whose fit failed, ``error`` (the command
        line's JSON ``multistart`` record). The other fields are the finished fit's.
    details : dict
        Every other figure of the fit (optimality, gradient cosine, notes, attempts,
        model call counts, ...).

    Examples
    --------
    >>> import numpy as np
    >>> from homodyne_rs.optimization import NLSQWrapper
    >>> x = np.arange(100.0)
    >>> r = NLSQWrapper().fit(lambda x, a, b: a * x + b, x, 2 * x + 1, np.array([1.0, 0.0]),
    ...                       (np.array([-10.0, -10.0]), np.array([10.0, 10.0])))
    >>> np.round(r.parameters, 9), r.convergence_status, r.strategy
    (array([2., 1.]), 'converged', 'STANDARD')
    """

    parameters: np.ndarray
    covariance: np.ndarray
    uncertainties: np.ndarray
    chi_squared: float
    reduced_chi_squared: float
    convergence_status: str
    iterations: int
    execution_time: float
    device_info: dict
    recovery_actions: list = field(default_factory=list)
    strategy: str = "STANDARD"
    streaming_diagnostics: Optional[dict] = None
    names: list = field(default_factory=list)
    message: str = ""
    nfev: int = 0
    njev: int = 0
    parameter_flags: list = field(default_factory=list)
    stages: list = field(default_factory=list, repr=False)
    multistart: Optional[dict] = field(default=None, repr=False)
    details: dict = field(default_factory=dict, repr=False)

    @property
    def success(self) -> bool:
        """True when a convergence test passed at a stationary point."""
        return self.convergence_status == "converged"

    @classmethod
    def _from_native(cls, d: dict) -> "OptimizationResult":
        own = {"parameters", "covariance", "uncertainties", "chi_squared",
               "reduced_chi_squared", "convergence_status", "iterations", "execution_time",
               "device_info", "recovery_actions", "strategy", "streaming_diagnostics", "names",
               "message", "nfev", "njev", "parameter_flags", "stages", "multistart"}
        return cls(**{k: d[k] for k in own}, details={k: v for k, v in d.items() if k not in own})

    def __str__(self) -> str:
        lines = [f"OptimizationResult: {self.convergence_status} ({self.message}), "
                 f"strategy {self.strategy}, {self.iterations} iterations, "
                 f"chi2 {self.chi_squared:.6g} (reduced {self.reduced_chi_squared:.6g})"]
        for name, value, sd, flag in zip(self.names, self.parameters, self.uncertainties,
                                         self.parameter_flags):
            note = "" if flag == "Free" else f"  [{flag}]"
            lines.append(f"  {name:>12} = {value:.10g} +/- {sd:.3g}{note}")
        return "\n".join(lines)


# Keys of ``config`` (the ones build_streaming_config returns, and the solver's).
_STREAMING_KEYS = {"batch_size", "max_retries_per_batch", "min_success_rate"}
_CHECKPOINT_KEYS = {"enable_checkpoints": None, "checkpoint_dir": "dir",
                    "checkpoint_frequency": "frequency", "keep_last_checkpoints": "keep_last_n",
                    "resume_from_checkpoint": "resume", "enable_compression": "compression"}
_SOLVER_KEYS = {"ftol", "xtol", "gtol", "max_nfev", "loss", "f_scale", "x_scale"}
_OTHER_KEYS = {"strategy_override", "memory_limit_gb", "sigma", "absolute_sigma", "progress",
               "fixed", "max_epochs", "enable_fault_tolerance", "validate_numerics", "block",
               "memory_budget_bytes", "coarse_to_fine", "multistart", "multistart_seed",
               "multistart_budget"}


class NLSQWrapper:
    """Fits a model to data with the strategy the data's size calls for, recovering from
    failures, validating the numbers, checkpointing streamed fits.

    Parameters
    ----------
    enable_large_dataset : bool, optional
        Allow the LARGE, CHUNKED and STREAMING strategies (default True); False keeps
        every fit STANDARD.
    enable_recovery : bool, optional
        Retry a failed fit with the recovery strategies (default True).
    enable_numerical_validation : bool, optional
        Check gradients, parameters and the loss for NaN/Inf at every iteration (default
        True).
    max_retries : int, optional
        Retries after the first attempt (default 2).
    fast_mode : bool, optional
        Skip the non-essential checks (default False).

    Examples
    --------
    >>> from homodyne_rs.optimization import NLSQWrapper
    >>> wrapper = NLSQWrapper(fast_mode=True)
    >>> wrapper.max_retries
    2
    """

    def __init__(self, enable_large_dataset: bool = True, enable_recovery: bool = True,
                 enable_numerical_validation: bool = True, max_retries: int = 2,
                 fast_mode: bool = False) -> None:
        if int(max_retries) < 0:
            raise NLSQInputError(f"max_retries = {max_retries}: must be 0 or more")
        self.enable_large_dataset = bool(enable_large_dataset)
        self.enable_recovery = bool(enable_recovery)
        self.enable_numerical_validation = bool(enable_numerical_validation)
        self.max_retries = int(max_retries)
        self.fast_mode = bool(fast_mode)

    def __repr__(self) -> str:
        return (f"NLSQWrapper(enable_large_dataset={self.enable_large_dataset}, "
                f"enable_recovery={self.enable_recovery}, "
                f"enable_numerical_validation={self.enable_numerical_validation}, "
                f"max_retries={self.max_retries}, fast_mode={self.fast_mode})")

    def fit(self, model_func: Callable | str, xdata: Any, ydata: Any, p0: Any, bounds: Any,
            method: str = "trf", config: Optional[dict] = None) -> OptimizationResult:
        """Fits ``model_func(xdata, *params)`` to ``ydata`` from ``p0`` within ``bounds``.

        Parameters
        ----------
        model_func : callable or str
            ``f(x, *params)`` returning one value per point, or a formula string (see
            :func:`homodyne_rs.curve_fit`).
        xdata : ndarray
            Predictors, points along the last axis.
        ydata : ndarray
            Observations (1-D).
        p0 : ndarray
            The start.
        bounds : tuple of ndarray
            ``(lower, upper)``.
        method : {'trf', 'lm'}, optional
        config : dict, optional
            Settings: ``strategy_override`` ('standard', 'large', 'chunked',
            'streaming'), ``memory_limit_gb``; the streaming keys of
            :meth:`DatasetSizeStrategy.build_streaming_config` (``batch_size``,
            ``enable_checkpoints``, ``checkpoint_dir``, ``checkpoint_frequency``,
            ``keep_last_checkpoints``, ``resume_from_checkpoint``,
            ``max_retries_per_batch``, ``min_success_rate``); ``sigma``,
            ``absolute_sigma``, ``fixed`` (one value or None per parameter); the solver's
            ``ftol, xtol, gtol, max_nfev, loss, f_scale, x_scale``; ``progress``;
            ``coarse_to_fine``: ``'auto'`` (one fit of every 16th block of 1024 points,
            or sparser above 16.7 million points, from 1,000,000 points on, before the fit
            of all the points; the default for a formula), ``'off'`` (the default for a
            callable, see :func:`homodyne_rs.curve_fit`), or strides in blocks of 1024
            points, coarsest first (``[64, 8]``); the result's ``stages`` lists them;
            ``multistart``: ``N`` (``None`` or 0, the default: none) fits from ``p0`` and
            from ``N`` starts of a Latin hypercube within the bounds (each free
            parameter's range cut into ``N`` strata, one start in each; every free
            parameter needs finite bounds; not with the STREAMING strategy), side by
            side, each with at most ``multistart_budget`` cost evaluations (default
            100), then finishes the start of lowest cost with the fit's own settings: for
            a model with several minima (a frequency, a phase); ``multistart_seed`` (0 to
            2**64 - 1, default 0) seeds the hypercube, the same seed giving the same
            result bit for bit on any number of threads; the result's ``multistart``
            reports every start (as :func:`homodyne_rs.least_squares`'s). The other
            keys of ``build_streaming_config`` (``max_epochs``, ``enable_fault_tolerance``,
            ``validate_numerics``, ``memory_budget_bytes``) are accepted and have no effect
            here: the fit is exact, fault tolerance is always on, validation follows the
            wrapper's switches. An unknown key raises NLSQInputError.

        Returns
        -------
        OptimizationResult

        Raises
        ------
        NLSQInputError, NLSQNumericalError, NLSQConvergenceError, NLSQCheckpointError,
        NLSQOptimizationError
            See :mod:`homodyne_rs.exceptions`.

        Examples
        --------
        >>> import numpy as np
        >>> from homodyne_rs.optimization import NLSQWrapper
        >>> x = np.linspace(0, 1, 1000)
        >>> r = NLSQWrapper().fit("a*x + b", x, 2.5 * x + 1.0, p0=np.array([1.0, 0.0]),
        ...                       bounds=(np.array([0.0, -10.0]), np.array([10.0, 10.0])))
        >>> np.round(r.parameters, 9)
        array([2.5, 1. ])

        A sine of unknown frequency from a start in a wrong basin, then with a multistart:

        >>> t = np.linspace(0, 10, 200)
        >>> y = 2 * np.sin(3 * t) + 0.5
        >>> box = (np.array([0.0, 0.1, -2.0]), np.array([5.0, 5.0, 2.0]))
        >>> start = np.array([1.0, 1.0, 0.0])
        >>> sine = "a*sin(w*x) + c"
        >>> np.round(NLSQWrapper().fit(sine, t, y, start, box).parameters, 2)
        array([0.05, 1.02, 0.54])
        >>> r = NLSQWrapper().fit(sine, t, y, start, box,
        ...                       config={"multistart": 16, "multistart_seed": 7})
        >>> np.round(r.parameters, 6), r.multistart["n_candidates"]
        (array([2. , 3. , 0.5]), 17)
        """
        config = dict(config or {})
        unknown = sorted(set(config) - _STREAMING_KEYS - set(_CHECKPOINT_KEYS) - _SOLVER_KEYS
                         - _OTHER_KEYS)
        if unknown:
            raise NLSQInputError(f"unknown config key(s) {unknown}",
                                 error_context={"keys": unknown})
        if method not in ("trf", "lm"):
            raise NLSQInputError(f"method={method!r}: expected 'trf' or 'lm'")
        names, start = parameter_names(model_func, p0, None, xdata)
        lower, upper = as_bounds(bounds, names, start)
        x, y, s = as_data(xdata, ydata, config.get("sigma"),
                          check=self.enable_numerical_validation or not self.fast_mode)
        options = {k: config[k] for k in _SOLVER_KEYS if k in config}
        if self.fast_mode or not self.enable_numerical_validation:
            options["validate"] = False
        streaming = {k: config[k] for k in _STREAMING_KEYS if k in config} or None
        checkpoint = None
        if config.get("enable_checkpoints"):
            checkpoint = {ours: config[theirs] for theirs, ours in _CHECKPOINT_KEYS.items()
                          if ours and theirs in config}
        fixed = config.get("fixed")
        if fixed is not None:
            fixed = [None if v is None else float(v) for v in fixed]
            if len(fixed) != len(names):
                raise NLSQInputError(f"config['fixed'] has {len(fixed)} entries for "
                                     f"{len(names)} parameters")
        multistart = multistart_settings(
            config.get("multistart"), config.get("multistart_seed", 0),
            config.get("multistart_budget", DEFAULT_MULTISTART_BUDGET))
        strategy = config.get("strategy_override")
        if not self.enable_large_dataset and strategy is None:
            strategy = "standard"
        d = _native.fit_curve(
            model_func, x, y, list(map(float, start)), list(map(float, lower)),
            list(map(float, upper)), list(names), sigma=s,
            absolute_sigma=bool(config.get("absolute_sigma", False)), fixed=fixed,
            method=method, options=options, strategy_override=strategy,
            memory_limit_gb=config.get("memory_limit_gb"),
            wrapper=(self.enable_large_dataset, self.enable_recovery,
                     self.enable_numerical_validation, self.max_retries, self.fast_mode),
            streaming=streaming, checkpoint=checkpoint, progress=bool(config.get("progress")),
            block=config.get("block"),
            variables=formula_variables(x, None) if isinstance(model_func, str) else None,
            coarse_to_fine=config.get("coarse_to_fine"),
            multistart=multistart,
        )
        return OptimizationResult._from_native(d)

"""``least_squares``: scipy's ``scipy.optimize.least_squares`` on homodyne's solvers.

A scipy user changes one import line::

    from homodyne_rs import least_squares      # was: from scipy.optimize import least_squares

The arguments, their defaults and the result's fields are scipy's. Where scipy offers
something homodyne does not (``method='dogbox'``, ``tr_solver='lsmr'``, ``jac_sparsity``, a
callable ``loss``, ``callback``, ``workers``, ``verbose=2``), an ``NLSQInputError`` names
it and what to use instead; nothing is silently ignored.

Examples
--------
>>> import numpy as np
>>> from homodyne_rs import least_squares
>>> def rosenbrock(x):
...     return np.array([10 * (x[1] - x[0] ** 2), 1 - x[0]])
>>> res = least_squares(rosenbrock, [-1.2, 1.0])
>>> bool(res.success), np.allclose(res.x, [1.0, 1.0])
(True, True)
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from . import _native
from ._fit_arguments import DEFAULT_MULTISTART_BUDGET, multistart_settings
from .exceptions import NLSQInputError, NLSQNumericalError

__all__ = ["least_squares", "OptimizeResult"]

_EPS = np.finfo(float).eps
_LOSSES = ("linear", "soft_l1", "huber", "cauchy", "arctan")
_SCHEMES = ("2-point", "3-point")


class OptimizeResult(dict):
    """The result of :func:`least_squares`: a dict whose keys are also attributes, as
    scipy's ``OptimizeResult``.

    Attributes
    ----------
    x : ndarray, shape (n,)
        The solution.
    cost : float
        The cost at the solution, ``0.5 * sum(rho(fun**2))`` (half the sum of squares for
        ``loss='linear'``).
    fun : ndarray, shape (m,)
        The residuals at the solution.
    jac : ndarray, shape (m, n)
        The Jacobian at the solution; under a robust loss, scaled so that ``jac.T @ jac``
        is the Gauss-Newton curvature of the cost (scipy's "modified Jacobian").
    grad : ndarray, shape (n,)
        The gradient of the cost at the solution.
    optimality : float
        First-order optimality: the infinity norm of the gradient, scaled near the bounds
        (scipy's measure; zero at an unconstrained minimum).
    active_mask : ndarray of int, shape (n,)
        -1 where the lower bound is active, 1 where the upper bound is, 0 elsewhere.
    nfev : int
        Calls of ``fun`` for residual values (those made for finite differences are not
        counted, as in scipy).
    njev : int
        Jacobian evaluations (calls of ``jac``, or sets of finite differences).
    status : int
        0: ``max_nfev`` reached; 1: ``gtol``; 2: ``ftol``; 3: ``xtol``; 4: ``ftol`` and
        ``xtol``.
    message : str
        The reason in words.
    success : bool
        ``status > 0``.
    stages : list of dict
        homodyne only: the coarse stages fitted before the fit of all the residuals (see
        ``coarse_to_fine``), coarsest first; empty when none ran.
    multistart : dict or None
        homodyne only: the report of a multistart (see ``multistart`` of
        :func:`least_squares`), ``None`` when none ran.

    Examples
    --------
    >>> from homodyne_rs import OptimizeResult
    >>> r = OptimizeResult(x=[1.0], status=1)
    >>> r.x, r["status"]
    ([1.0], 1)
    >>> r.success = True
    >>> r["success"]
    True
    """

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as e:
            raise AttributeError(name) from e

    __setattr__ = dict.__setitem__  # type: ignore[assignment]
    __delattr__ = dict.__delitem__  # type: ignore[assignment]

    def __dir__(self) -> list:
        return list(self.keys())

    def __repr__(self) -> str:
        if not self:
            return self.__class__.__name__ + "()"
        width = max(map(len, self.keys())) + 1
        return "\n".join(
            f"{key.rjust(width)}: {_indented(value, width + 2)}" for key, value in self.items()
        )


def _indented(value: Any, indent: int) -> str:
    """``repr(value)`` with its continuation lines indented under the first."""
    return repr(value).replace("\n", "\n" + " " * indent)


def _refuse(option: str, instead: str) -> NLSQInputError:
    """The error for one of scipy's options that homodyne does not offer."""
    return NLSQInputError(
        f"{option} is not supported by homodyne_rs.least_squares: {instead}",
        error_context={"argument": option.split("=")[0]},
    )


def _residual_vector(value: Any, where: str) -> np.ndarray:
    """``fun``'s return value as a 1-D float array, or ``NLSQInputError`` saying why not."""
    values = np.asarray(value)
    if np.iscomplexobj(values):
        raise NLSQInputError(f"fun returned complex residuals at {where}: they must be real")
    try:
        values = np.atleast_1d(values.astype(float, copy=False))
    except (TypeError, ValueError) as e:
        raise NLSQInputError(f"fun returned something that is not numbers at {where}: {e}") from e
    if values.ndim != 1:
        raise NLSQInputError(
            f"fun must return at most a 1-D array; it returned shape {values.shape} at {where}"
        )
    return values


def _require_finite(values: np.ndarray, detection_point: str,
                    message: Callable[[int, float], str], limit: Optional[int] = None) -> None:
    """Raises NLSQNumericalError at ``detection_point`` when ``values`` hold NaN or
    infinity: ``message(index, value)`` of the first such element, and the (index, value)
    pairs of all of them (the first ``limit``) as ``invalid_values``."""
    bad = [(k, float(v)) for k, v in enumerate(values) if not np.isfinite(v)]
    if bad:
        raise NLSQNumericalError(
            message(*bad[0]),
            detection_point=detection_point,
            invalid_values=bad[:limit],
        )


def _per_parameter(value: Any, name: str, n: int) -> np.ndarray:
    """A scalar or one value per parameter, as an array of ``n`` floats."""
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return np.full(n, float(array))
    if array.shape != (n,):
        raise NLSQInputError(
            f"{name} has shape {array.shape}; x0 has {n} parameters (give a scalar or {n} values)"
        )
    return array


def _bounds(bounds: Any, n: int) -> tuple:
    """The lower and upper bounds as arrays of ``n`` floats, checked."""
    if hasattr(bounds, "lb") and hasattr(bounds, "ub"):  # scipy.optimize.Bounds
        lower, upper = bounds.lb, bounds.ub
    else:
        try:
            lower, upper = bounds
        except (TypeError, ValueError) as e:
            raise NLSQInputError(
                "bounds must be a pair (lower, upper) of scalars or arrays of one value per "
                "parameter"
            ) from e
    lower = _per_parameter(lower, "the lower bound", n)
    upper = _per_parameter(upper, "the upper bound", n)
    for k in range(n):
        if np.isnan(lower[k]) or np.isnan(upper[k]) or not lower[k] < upper[k]:
            raise NLSQInputError(
                f"bounds of x0[{k}]: the lower bound {lower[k]} must be strictly less than the "
                f"upper bound {upper[k]}",
                error_context={"parameter": k},
            )
    return lower, upper


def _tolerance(value: Optional[float], name: str) -> float:
    """A tolerance: ``None`` is 0 (the test is off); negative or NaN is refused."""
    if value is None:
        return 0.0
    value = float(value)
    if not value >= 0.0:
        raise NLSQInputError(f"{name} = {value} must be non-negative")
    return value


def _check_supported(method, jac, loss, tr_solver, tr_options, jac_sparsity, verbose,
                     callback, workers) -> None:
    """Refuses, with what to use instead, the options of scipy that homodyne lacks."""
    if method == "dogbox":
        raise _refuse("method='dogbox'", "use method='trf', which handles the same bounds")
    if not (isinstance(method, str) and method in ("trf", "lm")):
        raise NLSQInputError(f"method={method!r} is unknown: use 'trf' or 'lm'")
    if not callable(jac) and not (isinstance(jac, str) and jac in _SCHEMES):
        if jac == "cs":
            raise _refuse("jac='cs'", "use '3-point' (central differences) or a callable jac")
        raise NLSQInputError(f"jac={jac!r} is unknown: use '2-point', '3-point' or a callable")
    if callable(loss):
        raise _refuse(
            "a callable loss", f"use one of {', '.join(map(repr, _LOSSES))} with f_scale"
        )
    if not (isinstance(loss, str) and loss in _LOSSES):
        raise NLSQInputError(f"loss={loss!r} is unknown: use one of {', '.join(_LOSSES)}")
    if tr_solver not in (None, "exact"):
        if tr_solver == "lsmr":
            raise _refuse(
                "tr_solver='lsmr'",
                "leave tr_solver=None (or 'exact'): the trust-region step is solved exactly "
                "by QR, in memory that grows with the parameters, not the residuals",
            )
        raise NLSQInputError(f"tr_solver={tr_solver!r} is unknown: use None or 'exact'")
    if tr_options:
        raise _refuse("tr_options", "leave it empty (its options are those of 'lsmr')")
    if jac_sparsity is not None:
        raise _refuse("jac_sparsity", "leave it None; give a callable jac for speed")
    if verbose not in (0, 1):
        raise _refuse(
            f"verbose={verbose!r}",
            "use verbose=1 for the final report and progress=True to watch the iterations",
        )
    if callback is not None:
        raise _refuse("callback", "use progress=True to watch the fit, max_nfev to cap it")
    if workers is not None:
        raise _refuse("workers", "leave it None: fun is called on one thread")


def least_squares(
    fun: Callable,
    x0: Any,
    jac: Any = "2-point",
    bounds: Any = (-np.inf, np.inf),
    method: str = "trf",
    ftol: Optional[float] = 1e-8,
    xtol: Optional[float] = 1e-8,
    gtol: Optional[float] = 1e-8,
    x_scale: Any = None,
    loss: Any = "linear",
    f_scale: float = 1.0,
    diff_step: Any = None,
    tr_solver: Optional[str] = None,
    tr_options: Optional[dict] = None,
    jac_sparsity: Any = None,
    max_nfev: Optional[int] = None,
    verbose: int = 0,
    args: tuple = (),
    kwargs: Optional[dict] = None,
    callback: Optional[Callable] = None,
    workers: Any = None,
    progress: bool = False,
    coarse_to_fine: Any = "off",
    multistart: Optional[int] = None,
    multistart_seed: int = 0,
    multistart_budget: int = DEFAULT_MULTISTART_BUDGET,
) -> OptimizeResult:
    """Solve a nonlinear least-squares problem with bounds on the variables.

    Finds a local minimum of the cost

    ``F(x) = 0.5 * sum(f_scale**2 * rho((f_i(x) / f_scale)**2))``  subject to
    ``lb <= x <= ub``,

    where ``f(x) = fun(x, *args, **kwargs)`` is the vector of ``m`` residuals and ``rho``
    the loss (``rho(z) = z`` for ordinary least squares). The same call as scipy's
    ``scipy.optimize.least_squares``, solved by homodyne's trust-region reflective (TRF)
    or Levenberg-Marquardt (LM) solvers.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args, **kwargs)``: the residuals at ``x`` (a 1-D array of ``n`` floats),
        as an array of at most one dimension. Called once per parameter vector.
    x0 : array_like, shape (n,) or float
        The start. Must be finite and lie within the bounds.
    jac : {'2-point', '3-point'} or callable, optional
        The Jacobian ``d f_i / d x_k``: by forward differences (``'2-point'``, the
        default), central differences (``'3-point'``), or ``jac(x, *args, **kwargs)``
        returning an ``(m, n)`` array (dense; a sparse matrix is made dense). Finite
        differences use homodyne's scaled steps ``h_k = rel * max(|x_k|, s_k)`` with
        ``rel = sqrt(eps)`` or ``eps**(1/3)`` and ``s_k`` the parameter's typical size,
        its ``x_scale`` (1 by default and for ``'jac'``, as scipy's), and never step
        outside the bounds (one-sided near a bound, of the same order).
    bounds : 2-tuple of array_like or scipy.optimize.Bounds, optional
        Lower and upper bounds, each a scalar or one value per parameter; ``np.inf`` with
        the right sign means no bound. Each lower bound must be below its upper bound.
    method : {'trf', 'lm'}, optional
        ``'trf'`` (default): trust-region reflective, with bounds. ``'lm'``:
        Levenberg-Marquardt (here it accepts bounds and robust losses too). ``'dogbox'``
        is not available (use ``'trf'``).
    ftol : float or None, optional
        Stop when the relative reduction of the cost in a step falls below ``ftol``.
        Default 1e-8; ``None`` turns the test off.
    xtol : float or None, optional
        Stop when the step is below ``xtol * (xtol + norm(x))``. Default 1e-8.
    gtol : float or None, optional
        Stop when the gradient is small: homodyne's test is MINPACK's, the largest cosine
        between the residual vector and a column of the Jacobian below ``gtol`` (free of
        units). Default 1e-8.
    x_scale : array_like or 'jac' or None, optional
        Characteristic scale of each parameter (the trust region is a ball in
        ``x / x_scale``). ``None`` or 1.0 (default): unscaled. ``'jac'``: from the
        Jacobian's column norms, updated as the fit goes. Numbers are also the floors of
        the finite-difference steps (see ``jac``): give a parameter of size 1e-7 its size.
    loss : str, optional
        ``'linear'`` (default), ``'soft_l1'``, ``'huber'``, ``'cauchy'`` or ``'arctan'``:
        the robust loss ``rho`` of the squared scaled residual. A callable is not
        available.
    f_scale : float, optional
        The soft margin between inlier and outlier residuals (default 1.0).
    diff_step : array_like or float, optional
        The relative step of the finite differences, replacing ``rel`` above (positive).
    tr_solver, tr_options, jac_sparsity : optional
        Only scipy's defaults (``None``, ``{}``, ``None``, or ``tr_solver='exact'``): the
        trust-region step is always solved exactly (QR).
    max_nfev : int, optional
        The budget of ``fun`` evaluations. Default ``100 * n``.
    verbose : {0, 1}, optional
        1 prints the reason the fit stopped and its figures. (scipy's 2, a line per
        iteration, is not available: use ``progress=True``.)
    args, kwargs : tuple and dict, optional
        Extra arguments of ``fun`` and ``jac``.
    callback, workers : optional
        Only ``None``: use ``progress=True`` to watch a fit, and ``max_nfev`` to cap it.
    progress : bool, optional
        Show a progress bar (tqdm when installed, else a line on stderr). homodyne only.
    coarse_to_fine : {'off', 'auto'} or list of int, optional
        homodyne only: fit strided subsets of the residuals (every ``s``-th block of 1024)
        before all of them, coarsest first, each stage kept only when the cost of all the
        residuals is lower at its optimum. ``'off'`` (default): none, since ``fun``
        returns every residual at once, so a stage's iteration costs as much as a full
        one. ``'auto'``: one stage from 1,000,000 residuals on; a list of strides (``[16]``)
        runs them at any size. The stages are in the result's ``stages``.
    multistart : int or None, optional
        homodyne only: for a cost with several minima (a frequency, a phase, a sum of
        exponentials), fit from ``x0`` and from ``multistart`` starts of a Latin hypercube
        within the bounds (each parameter's range cut into ``multistart`` strata, one
        start in each), side by side, each with at most ``multistart_budget``
        evaluations; then finish the one of lowest cost (then lowest index) with the
        fit's own settings: that fit is the result. Every parameter needs finite bounds.
        ``None`` or 0 (default): the one fit from ``x0``. The same ``multistart_seed``
        gives the same result, bit for bit, on any number of threads.
    multistart_seed : int, optional
        The seed of the Latin hypercube, 0 to 2**64 - 1 (default 0).
    multistart_budget : int, optional
        The cost evaluations each start may spend, at least 1 (default 100; ``max_nfev``
        when smaller). The finishing fit has ``max_nfev``.

    Returns
    -------
    OptimizeResult
        With ``x``, ``cost``, ``fun``, ``jac``, ``grad``, ``optimality``, ``active_mask``,
        ``nfev``, ``njev``, ``status``, ``message`` and ``success``, as scipy's,
        ``stages`` (see ``coarse_to_fine``) and ``multistart``: ``None``, or the report
        of a multistart, a dict: ``n_candidates`` (``multistart + 1``), ``seed``,
        ``budget`` (the evaluations each start was allowed), ``cost_rtol`` and
        ``basin_tol`` (the best basin's tolerances), ``best`` (the index of the start
        finished: 0 is ``x0``, 1 to ``multistart`` the hypercube's points in order),
        ``in_best_basin`` (how many starts ended in the finished fit's basin: cost within
        ``cost_rtol`` of it, relative, every parameter within ``basin_tol`` of its range
        of it) and ``candidates``, one dict per start: ``index``, ``start``,
        ``convergence_status`` (``'converged'``, ``'max_evaluations'``, ``'stalled'``
        or ``'failed'``), ``final_cost``, ``iterations`` and ``nfev`` (``None`` for a
        failed start), ``in_best_basin``, and ``error`` (why a failed start failed).
        ``nfev`` and ``njev`` count the calls actually made: homodyne never calls
        ``fun`` twice at the same ``x``, so they may be lower than scipy's for the same
        fit. With a multistart they are the finishing fit's, as the solver counts its
        evaluations (the starts' own are in ``multistart['candidates']``).

    Raises
    ------
    NLSQInputError
        (a ``ValueError``) for arguments that cannot be used: ``x0`` of more than one
        dimension or outside the bounds, bounds of the wrong shape or crossed, an
        unknown or unsupported option, a ``multistart``, ``multistart_seed`` or
        ``multistart_budget`` that is not a whole number in its range, a multistart
        with an infinite bound (the parameter named: ``x0[k]``).
    NLSQNumericalError
        (a ``ValueError``) for a non-finite ``x0``, or residuals not finite at ``x0``.
    Exception
        Whatever ``fun`` or ``jac`` raised, as raised (the fit stops at once), and
        ``KeyboardInterrupt`` on Ctrl-C.

    Notes
    -----
    The tolerances have scipy's names and defaults but homodyne's definitions (see above),
    so a fit may stop a step apart from scipy's near the same minimum: both stop once the
    cost is within about ``ftol`` of it, which pins the parameters only to about
    ``sqrt(ftol)`` relative; ask for tighter tolerances (``1e-14``) to agree to more
    digits. ``success`` is ``status > 0``, as in scipy, also for a stop on ``ftol`` or
    ``xtol`` where the gradient is not small.

    Examples
    --------
    Rosenbrock's function as two residuals, from scipy's documentation:

    >>> import numpy as np
    >>> from homodyne_rs import least_squares
    >>> def fun_rosenbrock(x):
    ...     return np.array([10 * (x[1] - x[0]**2), (1 - x[0])])
    >>> res = least_squares(fun_rosenbrock, np.array([2.0, 2.0]))
    >>> np.round(res.x, 6), res.cost < 1e-20
    (array([1., 1.]), True)

    A robust fit of ``a exp(-b t)`` with bounds, and data passed by ``args``:

    >>> t = np.linspace(0, 4, 40)
    >>> y = 3 * np.exp(-1.5 * t)
    >>> y[5::10] += 2.0                                   # outliers
    >>> def residuals(p, t, y):
    ...     return p[0] * np.exp(-p[1] * t) - y
    >>> res = least_squares(residuals, [1.0, 1.0], bounds=([0, 0], [10, 10]),
    ...                     loss="soft_l1", f_scale=0.1, args=(t, y))
    >>> np.round(res.x, 1)
    array([3. , 1.5])

    A sine of unknown frequency: from ``x0`` the fit ends in a wrong basin; from 16 more
    starts within the bounds it finds the truth:

    >>> t = np.linspace(0, 10, 200)
    >>> def sine(p):
    ...     return p[0] * np.sin(p[1] * t) + p[2] - (2 * np.sin(3 * t) + 0.5)
    >>> box = ([0, 0.1, -2], [5, 5, 2])
    >>> res = least_squares(sine, [1.0, 1.0, 0.0], bounds=box)
    >>> bool(abs(res.x[1] - 3) > 0.5)
    True
    >>> res = least_squares(sine, [1.0, 1.0, 0.0], bounds=box, multistart=16,
    ...                     multistart_seed=7)
    >>> np.round(res.x, 6)
    array([2. , 3. , 0.5])
    >>> report = res.multistart
    >>> report["n_candidates"], report["best"] > 0, report["in_best_basin"] >= 1
    (17, True, True)
    """
    kwargs = {} if kwargs is None else kwargs
    if not isinstance(args, tuple):
        args = tuple(args)
    if not callable(fun):
        raise NLSQInputError(f"fun must be callable; got {type(fun).__name__}")
    _check_supported(method, jac, loss, tr_solver, tr_options, jac_sparsity, verbose,
                     callback, workers)
    multistart = multistart_settings(multistart, multistart_seed, multistart_budget)

    x0 = np.asarray(x0)
    if np.iscomplexobj(x0):
        raise NLSQInputError("x0 is complex: homodyne_rs.least_squares works over the reals")
    try:
        x0 = np.atleast_1d(x0.astype(float))
    except (TypeError, ValueError) as e:
        raise NLSQInputError(f"x0 must be numbers: {e}") from e
    if x0.ndim != 1:
        raise NLSQInputError(f"x0 must have at most one dimension; it has shape {x0.shape}")
    n = x0.size
    if n == 0:
        raise NLSQInputError("x0 is empty: give at least one parameter")
    _require_finite(x0, "parameter", lambda k, v: f"x0[{k}] = {v} is not finite")
    lower, upper = _bounds(bounds, n)
    outside = [k for k in range(n) if not lower[k] <= x0[k] <= upper[k]]
    if outside:
        k = outside[0]
        raise NLSQInputError(
            f"x0[{k}] = {x0[k]} lies outside its bounds [{lower[k]}, {upper[k]}]",
            error_context={"parameter": k},
        )

    ftol, xtol, gtol = (_tolerance(v, name) for v, name in ((ftol, "ftol"), (xtol, "xtol"), (gtol, "gtol")))
    if max(ftol, xtol, gtol) < _EPS:
        raise NLSQInputError(
            f"ftol, xtol and gtol are all below machine epsilon ({_EPS:.2e}): at least one "
            "must be larger for the fit to stop on anything but max_nfev"
        )
    if isinstance(x_scale, str):
        if x_scale != "jac":
            raise NLSQInputError(f"x_scale={x_scale!r}: use 'jac', None or positive numbers")
        scales = None
    else:
        scales = _per_parameter(1.0 if x_scale is None else x_scale, "x_scale", n)
        if not np.all(np.isfinite(scales) & (scales > 0)):
            raise NLSQInputError(f"x_scale must be finite and positive; got {scales}")
    f_scale = float(f_scale)
    if not (np.isfinite(f_scale) and f_scale > 0):
        raise NLSQInputError(f"f_scale = {f_scale} must be finite and positive")
    steps = None
    if diff_step is not None:
        steps = _per_parameter(diff_step, "diff_step", n)
        if not np.all(np.isfinite(steps) & (steps > 0)):
            raise NLSQInputError(f"diff_step must be finite and positive; got {steps}")
    if max_nfev is None:
        max_nfev = 100 * n
    elif isinstance(max_nfev, bool) or int(max_nfev) != max_nfev or max_nfev < 1:
        raise NLSQInputError(f"max_nfev = {max_nfev!r} must be a whole number of at least 1")

    def fun_x(x: np.ndarray) -> np.ndarray:
        return _residual_vector(fun(x, *args, **kwargs), f"x = {x}")

    jac_x = None
    if callable(jac):
        def jac_x(x: np.ndarray) -> np.ndarray:
            matrix = jac(x, *args, **kwargs)
            if hasattr(matrix, "toarray"):  # a scipy.sparse matrix
                matrix = matrix.toarray()
            try:
                return np.atleast_2d(np.asarray(matrix, dtype=float))
            except (TypeError, ValueError) as e:
                raise NLSQInputError(
                    f"jac must return a dense or sparse matrix of floats; at x = {x} it "
                    f"returned {type(matrix).__name__}: {e}"
                ) from e

    f0 = fun_x(x0.copy())
    if f0.size == 0:
        raise NLSQInputError("fun returned no residuals at x0")
    _require_finite(f0, "residuals",
                    lambda i, v: f"the residuals are not finite at x0: f[{i}] = {v}", limit=10)

    fields = _native.least_squares(
        fun_x, x0, f0, jac_x, jac if isinstance(jac, str) else "2-point", lower, upper,
        method, ftol, xtol, gtol, scales, loss, f_scale, steps, int(max_nfev), bool(progress),
        coarse_to_fine=coarse_to_fine, multistart=multistart,
    )
    result = OptimizeResult(fields)
    if verbose:
        print(result.message)
        print(
            f"Function evaluations {result.nfev}, final cost {result.cost:.4e}, "
            f"first-order optimality {result.optimality:.2e}."
        )
    return result

"""``curve_fit``: scipy's signature and return values, homodyne's solver."""

from __future__ import annotations

import warnings
from typing import Any, Callable, Optional, Sequence

import numpy as np

from . import _native
from ._fit_arguments import (DEFAULT_MULTISTART_BUDGET, as_bounds, as_data, formula_variables,
                             multistart_settings, parameter_names)
from .exceptions import NLSQConvergenceError, NLSQInputError

__all__ = ["curve_fit", "CovarianceWarning"]


class CovarianceWarning(UserWarning):
    """The data do not determine every parameter: their rows and columns of ``pcov`` are
    infinite (scipy's ``OptimizeWarning`` in the same situation).

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from homodyne_rs import curve_fit, CovarianceWarning
    >>> x = np.linspace(0, 1, 20)
    >>> y = 2 * x + 0.01 * np.sin(40 * x)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     popt, pcov = curve_fit("(a + b) * x", x, y, p0=[1, 0.5])  # only a + b counts
    >>> caught[0].category is CovarianceWarning, bool(np.isinf(pcov).all())
    (True, True)
    """


# scipy's keyword names for the solver's settings, mapped to ours.
_SOLVER_KEYWORDS = {
    "ftol": "ftol", "xtol": "xtol", "gtol": "gtol", "max_nfev": "max_nfev",
    "maxfev": "max_nfev", "loss": "loss", "f_scale": "f_scale", "x_scale": "x_scale",
}
# Our own keywords beyond scipy's.
_HOMODYNE_KEYWORDS = ("progress", "strategy", "memory_limit_gb", "block", "variables",
                      "validate", "coarse_to_fine", "multistart", "multistart_seed",
                      "multistart_budget")


def curve_fit(f: Callable | str, xdata: Any, ydata: Any, p0: Any = None, sigma: Any = None,
              absolute_sigma: bool = False, check_finite: Optional[bool] = None,
              bounds: Any = (-np.inf, np.inf), method: Optional[str] = None, jac: Any = None,
              *, full_output: bool = False, nan_policy: Optional[str] = None, **kwargs: Any):
    """Fit ``f(xdata, *params)`` to ``ydata`` by nonlinear least squares: scipy's
    ``curve_fit``, with homodyne's solver.

    Change ``from scipy.optimize import curve_fit`` to ``from homodyne_rs import
    curve_fit`` and the call stays the same. The model is called on blocks of the data
    (read-only numpy views of ``xdata``'s last axis, 32768 points each), one call at a
    time while the solver's own work runs on every core, with the GIL held only for the
    call; or, as a formula string such as
    ``"a*exp(-b*x)+c"``, it runs in Rust with exact derivatives.

    Parameters
    ----------
    f : callable or str
        ``f(x, p0, p1, ...)`` returning one value per point, shaped like ``ydata``; or a
        formula in the variable ``x`` (rows ``x0, x1, ...`` of a 2-D ``xdata``, or the
        names in ``variables=``) with ``+ - * / ^``, ``exp log log10 sqrt abs sin cos tan
        asin acos atan sinh cosh tanh pow``, ``pi`` and ``e``; every other name is a
        parameter, in order of first appearance.
    xdata : array_like
        The predictors, points along the last axis (``(M,)`` or ``(k, M)``).
    ydata : array_like
        The ``M`` observations.
    p0 : array_like or dict, optional
        The start; ones when omitted (as scipy). A dict ``{name: value}`` names the
        parameters (and for a formula, orders them).
    sigma : array_like, optional
        Standard deviations of ``ydata`` (1-D): residuals are ``(f - y) / sigma``.
    absolute_sigma : bool, optional
        True: ``pcov`` is ``(J^T J)^-1`` in the units of ``sigma``. False (default): it is
        scaled by the reduced chi-squared, as scipy does.
    check_finite : bool, optional
        Accepted for scipy's sake; NaN or infinite data are always refused, with the
        array and position named (a NaN would make every result meaningless). Use
        ``nan_policy='omit'`` to drop the points that hold one.
    bounds : 2-tuple of array_like or scipy.optimize.Bounds, optional
        Lower and upper bounds, scalars or one per parameter.
    method : {'trf', 'lm'}, optional
        Default 'trf', bounded or not. (scipy picks MINPACK's 'lm' without bounds; with
        forward differences it strands NIST's BoxBOD from its first start on a plateau
        where the gradient vanishes, as scipy's 'lm' does, while 'trf' reaches the
        certified values.) Unlike MINPACK's, our 'lm' also takes bounds. 'dogbox' is not
        offered.
    jac : callable or {'2-point', '3-point'}, optional
        ``jac(x, *params)`` returning the ``(M, n)`` Jacobian; else finite differences
        with steps scaled to each parameter: forward (``'2-point'``, the default, ``n + 1``
        calls of ``f`` per Jacobian) or central (``'3-point'``, ``2n + 1`` calls, about
        the square of the accuracy: prefer it for ill-conditioned problems, where forward
        differences move the covariance by ~1e-4). A formula's derivatives are exact.
    full_output : bool, optional
        Also return ``infodict``, ``mesg`` and ``ier`` as scipy does.
    nan_policy : {None, 'raise', 'omit'}, optional
        'omit' drops the points where ``xdata`` or ``ydata`` is NaN.
    **kwargs
        scipy's solver settings ``ftol, xtol, gtol, max_nfev`` (``maxfev`` for 'lm'),
        ``loss, f_scale, x_scale``; and homodyne's: ``progress=True`` (a progress bar),
        ``strategy`` ('standard', 'large', 'chunked', 'streaming'), ``memory_limit_gb``,
        ``block`` (points per call of ``f``), ``variables`` (a formula's predictor names),
        ``coarse_to_fine``: ``'auto'`` (from 1,000,000 points on, one fit of every 16th
        block of 1024 points, or sparser above 16.7 million points, before the fit of all
        the points, which starts from its optimum when the cost of all the points is lower
        there), ``'off'``, or a list of strides in blocks of 1024 points, coarsest first
        (``[64, 8]``), run at any size. The default is ``'auto'`` for a formula and
        ``'off'`` for a callable, which a stage calls on a few hundred points at a time
        (its call overhead outweighed the saving: 0.8x at 4e6 points). The stages are
        listed in ``infodict['stages']``; the result is the fit of all the points either
        way. ``multistart=N``: for a model with several minima (a frequency, a phase, a
        sum of exponentials), fit from ``p0`` and from ``N`` starts of a Latin hypercube
        within the bounds (each parameter's range cut into ``N`` strata, one start in
        each), side by side, each with at most ``multistart_budget`` evaluations (default
        100, ``max_nfev`` when smaller), then finish the one of lowest cost (then lowest
        index) with the fit's own settings: that fit is the result, and
        ``infodict['multistart']`` reports every start (see below). Every free parameter
        needs finite bounds; not with ``strategy='streaming'``. ``multistart_seed`` (0 to
        2**64 - 1, default 0) seeds the hypercube: the same seed, the same result bit for
        bit, on any number of threads. ``None`` or 0 (default): no multistart.

    Returns
    -------
    popt : ndarray
        The fitted parameters.
    pcov : ndarray
        Their covariance; rows and columns of parameters the data do not determine are
        ``inf`` (with a :class:`CovarianceWarning`).
    infodict : dict
        With ``full_output``: ``nfev``, ``njev``, ``fvec`` (the residuals at the solution,
        computed when first read),
        ``model_calls`` (calls of ``f``, difference steps included), ``jacobian_calls``,
        ``stages`` (the coarse stages, coarsest first, each a dict: ``stride``,
        ``n_points``, ``start``, ``parameters``, ``used``, ``seconds``,
        ``convergence_status``, ``iterations``, ``nfev``, ``error``; empty when none ran)
        ``multistart`` (``None``, or the report of a multistart, a dict:
        ``n_candidates``, ``seed``, ``budget``, ``cost_rtol``, ``basin_tol``, ``best``
        (the index of the start finished: 0 is ``p0``), ``in_best_basin`` (how many
        starts ended in the finished fit's basin) and ``candidates``, each ``index``,
        ``start``, ``convergence_status``, ``final_cost``, ``iterations``, ``nfev``,
        ``in_best_basin`` and, for a failed start, ``error``; as
        :func:`homodyne_rs.least_squares` documents) and ``result`` (every figure of the
        fit; ``nfev``, ``njev`` and the iterations are the finishing fit's,
        ``model_calls`` and ``jacobian_calls`` count every start's calls too).
    mesg : str
        With ``full_output``: why the solver stopped.
    ier : int
        With ``full_output``: scipy's status code (1 gtol, 2 ftol, 3 xtol, 4 both).

    Raises
    ------
    NLSQInputError
        (a ``ValueError``) inconsistent arguments, ``p0`` outside the bounds, a
        ``multistart`` setting that is not a whole number in its range, a multistart with
        an infinite bound (the parameter named).
    NLSQNumericalError
        (a ``ValueError``) NaN or infinity in the data, or where the solver needed a number.
    NLSQConvergenceError
        (a ``RuntimeError``) the optimum was not found within ``max_nfev``.
    NLSQOptimizationError
        ``f`` raised (the original exception is the ``__cause__``).
    KeyboardInterrupt
        Ctrl-C: the fit stops within a pass.

    Examples
    --------
    >>> import numpy as np
    >>> from homodyne_rs import curve_fit
    >>> x = np.linspace(0, 4, 50)
    >>> y = 2.5 * np.exp(-1.3 * x) + 0.5
    >>> popt, pcov = curve_fit(lambda x, a, b, c: a * np.exp(-b * x) + c, x, y, p0=[1, 1, 1])
    >>> np.round(popt, 6)
    array([2.5, 1.3, 0.5])
    >>> popt, pcov = curve_fit("a*exp(-b*x) + c", x, y, p0={"a": 1, "b": 1, "c": 1})
    >>> np.round(popt, 6)
    array([2.5, 1.3, 0.5])

    A sine of unknown frequency, from a start in a wrong basin, with 16 more starts:

    >>> t = np.linspace(0, 10, 200)
    >>> popt, pcov, info, mesg, ier = curve_fit(
    ...     "a*sin(w*x) + c", t, 2 * np.sin(3 * t) + 0.5, p0=[1, 1, 0],
    ...     bounds=([0, 0.1, -2], [5, 5, 2]), full_output=True, multistart=16,
    ...     multistart_seed=7)
    >>> np.round(popt, 6)
    array([2. , 3. , 0.5])
    >>> info["multistart"]["n_candidates"], info["multistart"]["best"] > 0
    (17, True)
    """
    names, start = parameter_names(f, p0, kwargs.get("variables"), xdata)
    lower, upper = as_bounds(bounds, names, start)
    if method is None:
        method = "trf"
    if method not in ("trf", "lm"):
        raise NLSQInputError(
            f"method={method!r} is not offered: use 'trf' (bounds, robust losses) or 'lm'")
    if nan_policy not in (None, "raise", "omit"):
        raise NLSQInputError(f"nan_policy={nan_policy!r}: expected None, 'raise' or 'omit'")
    if nan_policy == "omit":
        xdata, ydata, sigma = _omit_nan(xdata, ydata, sigma)
    x, y, s = as_data(xdata, ydata, sigma, check=True)
    if jac is not None and not callable(jac) and jac not in ("2-point", "3-point"):
        raise NLSQInputError(
            f"jac={jac!r}: give a callable jac(x, *params), '2-point' (forward differences, "
            "the default) or '3-point' (central)")
    if isinstance(f, str) and callable(jac):
        raise NLSQInputError("jac is not used with a formula: its derivatives are exact")

    options: dict = {}
    extra: dict = {}
    for key, value in kwargs.items():
        if key in _SOLVER_KEYWORDS:
            options[_SOLVER_KEYWORDS[key]] = value
        elif key in _HOMODYNE_KEYWORDS:
            extra[key] = value
        elif key in ("diff_step", "epsfcn", "tr_solver", "tr_options", "jac_sparsity",
                     "verbose", "factor", "diag", "col_deriv"):
            raise NLSQInputError(
                f"curve_fit(..., {key}=...) is scipy's and is not offered here: "
                "steps are scaled to each parameter, the trust region is exact")
        else:
            raise NLSQInputError(f"curve_fit got an unexpected keyword argument {key!r}")
    if "validate" in extra:
        options["validate"] = extra.pop("validate")
    multistart = multistart_settings(
        extra.get("multistart"), extra.get("multistart_seed", 0),
        extra.get("multistart_budget", DEFAULT_MULTISTART_BUDGET))

    # scipy's problem as posed: no recovery retry (a retry with looser tolerances or
    # tighter bounds would answer another question), and max_nfev the whole budget.
    wrapper = (True, False, True, 0, False)
    result = _native.fit_curve(
        f, x, y, list(map(float, start)), list(map(float, lower)), list(map(float, upper)),
        list(names), sigma=s, absolute_sigma=absolute_sigma, method=method, options=options,
        jac=jac if callable(jac) else None,
        difference=jac if isinstance(jac, str) else "2-point",
        strategy_override=extra.get("strategy"), memory_limit_gb=extra.get("memory_limit_gb"),
        wrapper=wrapper,
        progress=bool(extra.get("progress", False)), block=extra.get("block"),
        variables=formula_variables(x, extra.get("variables")) if isinstance(f, str) else None,
        coarse_to_fine=extra.get("coarse_to_fine"), multistart=multistart,
    )
    if not result["converged"]:
        raise NLSQConvergenceError(
            f"Optimal parameters not found: {result['message']}",
            error_context={"nfev": result["nfev"], "parameters": result["parameters"].tolist(),
                           "convergence_status": result["convergence_status"]})
    popt = result["parameters"]
    pcov = _undetermined_as_inf(result, names)
    if not full_output:
        return popt, pcov
    infodict = _InfoDict(
        lambda: _residuals(f, x, y, s, popt, names, extra.get("variables")),
        nfev=result["nfev"], njev=result["njev"], model_calls=result["model_calls"],
        jacobian_calls=result["jacobian_calls"], stages=result["stages"],
        multistart=result["multistart"], result=result)
    return popt, pcov, infodict, result["message"], _ier(result["termination_reason"])


class _InfoDict(dict):
    """scipy's ``infodict``, whose ``fvec`` (the residuals at the solution, one more call of
    the model over every point) is computed on first use: a caller who wants only the
    counts does not pay a pass over the data and its memory."""

    def __init__(self, fvec, **items):
        super().__init__(**items)
        self._fvec = fvec

    def __missing__(self, key):
        if key != "fvec":
            raise KeyError(key)
        self["fvec"] = value = self._fvec()
        return value

    def __contains__(self, key):
        return key == "fvec" or super().__contains__(key)

    def keys(self):
        if not super().__contains__("fvec"):
            self["fvec"]
        return super().keys()

    def items(self):
        self.keys()
        return super().items()

    def values(self):
        self.keys()
        return super().values()

    def __iter__(self):
        return iter(self.keys())


def _omit_nan(xdata: Any, ydata: Any, sigma: Any) -> tuple:
    x = np.asarray(xdata)
    y = np.asarray(ydata, dtype=float)
    keep = ~np.isnan(y)
    if x.dtype.kind == "f":
        keep &= ~np.isnan(x).reshape(-1, y.shape[0]).any(axis=0)
    s = None if sigma is None else np.broadcast_to(np.asarray(sigma, dtype=float), y.shape)[keep]
    return x[..., keep], y[keep], s


def _undetermined_as_inf(result: dict, names: Sequence[str]) -> np.ndarray:
    pcov = np.array(result["covariance"], dtype=float, copy=True)
    undetermined = [k for k, flag in enumerate(result["parameter_flags"])
                    if flag == "Undetermined"]
    if undetermined:
        pcov[undetermined, :] = np.inf
        pcov[:, undetermined] = np.inf
        warnings.warn(
            "the data do not determine " + ", ".join(names[k] for k in undetermined)
            + ": their covariance is infinite", CovarianceWarning, stacklevel=3)
    return pcov


def _residuals(f: Any, x: np.ndarray, y: np.ndarray, s: Optional[np.ndarray], popt: np.ndarray,
               names: Sequence[str], variables: Optional[Sequence[str]]) -> np.ndarray:
    if isinstance(f, str):
        values = _native.formula_values(f, x, list(map(float, popt)), list(names),
                                        formula_variables(x, variables))
    else:
        values = np.asarray(f(x, *popt), dtype=float)
    r = values - y
    return r if s is None else r / s


def _ier(reason: str) -> int:
    return {"Gtol": 1, "Ftol": 2, "Xtol": 3, "FtolAndXtol": 4, "ZeroResidual": 2}.get(reason, 5)

"""Checking and shaping the arguments of a curve fit, shared by ``curve_fit`` and
``NLSQWrapper.fit`` (and the multistart's, by ``least_squares`` and ``xpcs.fit`` too): everything is checked here, before any work, and a problem raises
:class:`~homodyne_rs.exceptions.NLSQInputError` (a ``ValueError``) or, for non-finite data,
:class:`~homodyne_rs.exceptions.NLSQNumericalError` naming the array and the position.
"""

from __future__ import annotations

import inspect
import operator
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np

from . import _native
from .exceptions import NLSQInputError, NLSQNumericalError

__all__ = ["Model", "parameter_names", "as_bounds", "as_data", "check_finite",
           "multistart_settings", "multistart_overrides", "DEFAULT_MULTISTART_BUDGET"]

#: Cost evaluations allowed to each start of a multistart by default (the library's
#: ``homodyne::multistart::DEFAULT_START_NFEV``, the CLI's ``--multistart-budget``).
DEFAULT_MULTISTART_BUDGET = 100

Model = Union[Callable[..., Any], str]


def formula_variables(xdata: np.ndarray, variables: Optional[Sequence[str]]) -> list:
    """The names of a formula's predictors: ``x`` for 1-D ``xdata``, else ``x0, x1, ...``
    (one per row), unless given."""
    if variables is not None:
        return list(variables)
    if np.ndim(xdata) <= 1:
        return ["x"]
    return [f"x{k}" for k in range(np.shape(xdata)[0])]


def parameter_names(model: Model, p0: Any, variables: Optional[Sequence[str]],
                    xdata: Any) -> tuple:
    """The parameter names and start of a fit.

    A callable's names are its arguments after the first (``f(x, a, b)`` -> a, b), or
    ``p0, p1, ...`` for ``f(x, *p)``; a formula's are its free names in order of first
    appearance, or the keys of a dict ``p0``. ``p0=None`` starts every parameter at 1, as
    scipy does.
    """
    if isinstance(model, str):
        implied = list(_native.formula_parameters(model, formula_variables(xdata, variables)))
        if isinstance(p0, dict):
            unknown = [k for k in p0 if k not in implied]
            missing = [k for k in implied if k not in p0]
            if unknown or missing:
                raise NLSQInputError(
                    f"p0 names {sorted(p0)} do not match the formula's parameters {implied}"
                    + (f": not in the formula: {unknown}" if unknown else "")
                    + (f": missing from p0: {missing}" if missing else ""))
            names = list(p0)
            start = np.array([float(p0[k]) for k in names])
        else:
            names = implied
            start = np.ones(len(names)) if p0 is None else np.atleast_1d(
                np.asarray(p0, dtype=float)).ravel()
        if len(start) != len(names):
            raise NLSQInputError(
                f"p0 has {len(start)} values for the formula's {len(names)} parameters {names}")
        return names, start
    if not callable(model):
        raise NLSQInputError(
            f"the model must be a callable f(x, *params) or a formula string, not {type(model).__name__}")
    if isinstance(p0, dict):
        names = list(p0)
        return names, np.array([float(p0[k]) for k in names])
    signature_names = _callable_parameters(model)
    if p0 is None:
        if signature_names is None:
            raise NLSQInputError(
                "p0 is needed: the model's signature does not say how many parameters it takes")
        return signature_names, np.ones(len(signature_names))
    start = np.atleast_1d(np.asarray(p0, dtype=float)).ravel()
    if signature_names is not None and len(signature_names) == len(start):
        return signature_names, start
    return [f"p{k}" for k in range(len(start))], start


def _callable_parameters(f: Callable) -> Optional[list]:
    """The names of ``f``'s parameters after the first, or None for ``f(x, *p)``."""
    try:
        parameters = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(p.kind == p.VAR_POSITIONAL for p in parameters):
        return None
    positional = [p.name for p in parameters
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if not positional:
        raise NLSQInputError("the model takes no argument: it must be f(x, *params)")
    return positional[1:]


def as_bounds(bounds: Any, names: Sequence[str], p0: np.ndarray) -> tuple:
    """``(lower, upper)`` as float arrays of one value per parameter (scalars broadcast;
    scipy's ``Bounds`` objects accepted), checked against each other and ``p0``."""
    n = len(names)
    if bounds is None:
        bounds = (-np.inf, np.inf)
    if hasattr(bounds, "lb") and hasattr(bounds, "ub"):
        bounds = (bounds.lb, bounds.ub)
    try:
        lower, upper = bounds
    except (TypeError, ValueError):
        raise NLSQInputError("bounds must be a pair (lower, upper)") from None
    lower = np.broadcast_to(np.asarray(lower, dtype=float), (n,)).copy() \
        if np.ndim(lower) == 0 else np.asarray(lower, dtype=float).ravel()
    upper = np.broadcast_to(np.asarray(upper, dtype=float), (n,)).copy() \
        if np.ndim(upper) == 0 else np.asarray(upper, dtype=float).ravel()
    for side, values in (("lower", lower), ("upper", upper)):
        if len(values) != n:
            raise NLSQInputError(
                f"{side} bounds have {len(values)} values for {n} parameters {list(names)}")
    for k in range(n):
        if not lower[k] < upper[k]:
            raise NLSQInputError(
                f"bounds of {names[k]} (parameter {k + 1}) are empty: lower {lower[k]} is "
                f"not below upper {upper[k]}", error_context={"parameter": names[k]})
        if not lower[k] <= p0[k] <= upper[k]:
            raise NLSQInputError(
                f"p0 for {names[k]} (parameter {k + 1}) is {p0[k]}, outside its bounds "
                f"[{lower[k]}, {upper[k]}]", error_context={"parameter": names[k]})
    return lower, upper


def check_finite(name: str, values: np.ndarray) -> None:
    """Raises NLSQNumericalError naming the first non-finite entry of ``values``."""
    bad = ~np.isfinite(values)
    if bad.any():
        where = np.argwhere(bad)
        first = tuple(int(i) for i in where[0])
        position = first[0] if len(first) == 1 else first
        sample = [(int(np.ravel_multi_index(tuple(w), values.shape)), float(values[tuple(w)]))
                  for w in where[:10]]
        raise NLSQNumericalError(
            f"{name}[{position}] is {values[first]}, not a finite number "
            f"({int(bad.sum())} non-finite value(s) in all)",
            detection_point="data", invalid_values=sample,
            error_context={"array": name, "index": position})


def as_data(xdata: Any, ydata: Any, sigma: Any, check: bool) -> tuple:
    """``xdata`` (points along its last axis), ``ydata`` and ``sigma`` as float64 arrays,
    (``xdata`` copied only when it is not float64 already),
    ``ydata`` and ``sigma`` contiguous and 1-D, checked for length and, when ``check``,
    finiteness."""
    # As scipy does: float64 predictors (a float32 xdata would swallow the difference
    # steps, sqrt(eps) of float64 being below float32's resolution).
    try:
        x = np.asarray(xdata, dtype=float)
    except (TypeError, ValueError) as exc:
        raise NLSQInputError(f"xdata must be numbers (an array of them): {exc}") from None
    y = np.ascontiguousarray(np.asarray(ydata, dtype=float).ravel() if np.ndim(ydata) > 1
                             else np.asarray(ydata, dtype=float))
    if y.ndim != 1:
        raise NLSQInputError("ydata must be an array of values")
    n = y.shape[0]
    if n == 0:
        raise NLSQInputError("ydata is empty")
    if x.ndim == 0 or x.shape[-1] != n:
        raise NLSQInputError(
            f"xdata has {x.shape[-1] if x.ndim else 0} points along its last axis, "
            f"ydata {n}: they must match")
    s = None
    if sigma is not None:
        s = np.asarray(sigma, dtype=float)
        if s.ndim == 2:
            raise NLSQInputError(
                "a 2-D sigma (a covariance matrix of ydata) is not supported: pass the "
                "standard deviations of ydata as a 1-D sigma")
        s = np.ascontiguousarray(np.broadcast_to(s, (n,)))
        if (s <= 0).any():
            k = int(np.argmax(s <= 0))
            raise NLSQInputError(f"sigma[{k}] = {s[k]}: uncertainties must be positive",
                                 error_context={"array": "sigma", "index": k})
    if check:
        check_finite("xdata", x)
        check_finite("ydata", y)
        if s is not None:
            check_finite("sigma", s)
    return x, y, s


def _whole_number(value: Any, name: str, least: int, most: int, meaning: str) -> int:
    """``value`` as an ``int`` from ``least`` to ``most`` (a Python or NumPy integer, not a
    bool), or ``NLSQInputError`` naming the argument ``name`` and saying what it is."""
    try:
        if isinstance(value, (bool, np.bool_)):
            raise TypeError
        number = operator.index(value)
    except TypeError:
        raise NLSQInputError(
            f"{name}={value!r}: expected a whole number ({meaning})",
            error_context={"argument": name}) from None
    if not least <= number <= most:
        raise NLSQInputError(
            f"{name}={number}: expected {meaning}", error_context={"argument": name})
    return number


def multistart_settings(multistart: Any, seed: Any = 0,
                        budget: Any = DEFAULT_MULTISTART_BUDGET) -> Optional[tuple]:
    """The multistart of a fit, checked, as ``(starts, seed, budget)``; ``None`` for none.

    ``multistart`` is the number ``N`` of Latin-hypercube starts fitted besides the given
    one (``None`` or 0: none); ``seed`` the hypercube's seed (0 to 2**64 - 1); ``budget``
    the cost evaluations each start may spend (at least 1). A bad value raises
    ``NLSQInputError`` naming the argument, before any work; the seed and budget are
    checked even when no multistart runs.
    """
    starts = 0 if multistart is None else _starts(multistart)
    seed, budget = _seed(seed), _budget(budget)
    return (starts, seed, budget) if starts > 0 else None


def _starts(multistart: Any) -> int:
    """The number of starts besides the given one, checked (0 or more)."""
    return _whole_number(
        multistart, "multistart", 0, 2**63 - 1,
        "the number of starts besides the given one, 0 or more (None or 0: no multistart)")


def _seed(seed: Any) -> int:
    """The Latin hypercube's seed, checked (0 to 2**64 - 1)."""
    return _whole_number(seed, "multistart_seed", 0, 2**64 - 1, "a seed from 0 to 2**64 - 1")


def _budget(budget: Any) -> int:
    """The cost evaluations allowed to each start, checked (at least 1)."""
    return _whole_number(budget, "multistart_budget", 1, 2**63 - 1,
                         "the cost evaluations allowed to each start, at least 1")


def multistart_overrides(multistart: Any, seed: Any, budget: Any) -> Optional[tuple]:
    """The multistart keywords of :func:`homodyne_rs.xpcs.fit`, checked, as ``(starts,
    seed, budget)`` with ``None`` for each one not given; ``None`` when none is given.

    Unlike :func:`multistart_settings` nothing has a default here: what is not given
    keeps the configuration's ``optimization.nlsq.multi_start`` value. ``multistart`` is
    0 or more (0: no multistart, whatever the configuration says), ``seed`` 0 to
    2**64 - 1, ``budget`` at least 1; a bad value raises ``NLSQInputError`` naming the
    argument, before any work.
    """
    if multistart is None and seed is None and budget is None:
        return None
    return (None if multistart is None else _starts(multistart),
            None if seed is None else _seed(seed),
            None if budget is None else _budget(budget))

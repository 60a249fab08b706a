"""The exceptions of homodyne_rs.

Every failure of a fit is one of these classes (never a Rust panic). The hierarchy is the
Python ``homodyne`` package's, with two additions so that code written for scipy keeps
working: input errors are also ``ValueError`` (scipy raises ``ValueError`` for a ``p0``
outside the bounds or non-finite data) and convergence failures are also ``RuntimeError``
(scipy's ``curve_fit`` raises ``RuntimeError`` when the optimum is not found)::

    NLSQOptimizationError            base class; .message, .error_context (a dict)
    |-- NLSQConvergenceError         the solver did not converge   (also RuntimeError)
    |-- NLSQNumericalError           NaN/Inf where a finite number was needed (also ValueError)
    |-- NLSQCheckpointError          a checkpoint could not be written, read or trusted
    `-- NLSQInputError               the input cannot be fitted as given (also ValueError)

Examples
--------
>>> from homodyne_rs.exceptions import NLSQConvergenceError, NLSQOptimizationError
>>> err = NLSQConvergenceError("Failed to converge", error_context={"iterations": 50})
>>> isinstance(err, NLSQOptimizationError), isinstance(err, RuntimeError)
(True, True)
>>> err.error_context["iterations"]
50
"""

from __future__ import annotations

from typing import Any, Optional

__all__ = [
    "NLSQOptimizationError",
    "NLSQConvergenceError",
    "NLSQNumericalError",
    "NLSQCheckpointError",
    "NLSQInputError",
]


class NLSQOptimizationError(Exception):
    """Base class of every homodyne_rs fitting error.

    Parameters
    ----------
    message : str
        What went wrong.
    error_context : dict, optional
        Where: iteration, parameters, file, batch... (string keys).

    Attributes
    ----------
    message : str
    error_context : dict

    Examples
    --------
    >>> e = NLSQOptimizationError("model raised", error_context={"call": 3})
    >>> str(e), e.error_context
    ('model raised', {'call': 3})
    """

    def __init__(self, message: str = "", error_context: Optional[dict] = None, **kwargs: Any):
        super().__init__(message)
        self.message = message
        self.error_context = dict(error_context or {})
        self.error_context.update(kwargs)

    def __str__(self) -> str:
        return self.message


class NLSQConvergenceError(NLSQOptimizationError, RuntimeError):
    """The solver stopped without a solution: the evaluation budget ran out, or every
    recovery attempt failed.

    Recovery (``NLSQWrapper(enable_recovery=True)``) perturbs the start, then allows more
    evaluations, then relaxes the tolerances, before this is raised.

    Examples
    --------
    >>> isinstance(NLSQConvergenceError("budget spent"), RuntimeError)
    True
    """


class NLSQNumericalError(NLSQOptimizationError, ValueError):
    """NaN or infinity where a finite number was needed.

    Parameters
    ----------
    message : str
    detection_point : str, optional
        Where it was found: ``'data'``, ``'residuals'``, ``'jacobian'``, ``'gradient'``,
        ``'parameter'`` or ``'loss'``.
    invalid_values : list, optional
        A sample of the invalid values (as ``(index, value)`` pairs where known).
    error_context : dict, optional

    Examples
    --------
    >>> e = NLSQNumericalError("NaN in ydata", detection_point="data",
    ...                        invalid_values=[(3, float("nan"))])
    >>> e.detection_point
    'data'
    """

    def __init__(
        self,
        message: str = "",
        detection_point: Optional[str] = None,
        invalid_values: Optional[list] = None,
        error_context: Optional[dict] = None,
        **kwargs: Any,
    ):
        super().__init__(message, error_context, **kwargs)
        self.detection_point = detection_point
        self.invalid_values = list(invalid_values or [])


class NLSQCheckpointError(NLSQOptimizationError):
    """A checkpoint could not be written, read or trusted (corrupt file, checksum mismatch,
    missing field, full disk, permissions).

    Examples
    --------
    >>> NLSQCheckpointError("checksum mismatch", error_context={"file": "a.h5"}).error_context
    {'file': 'a.h5'}
    """


class NLSQInputError(NLSQOptimizationError, ValueError):
    """The input cannot be fitted as given: a ``p0`` outside the bounds, arrays of
    different lengths, an unknown option. Raised before any work is done.

    Examples
    --------
    >>> isinstance(NLSQInputError("p0[1] = 5 lies outside [0, 1]"), ValueError)
    True
    """

"""Numerical checks at the three critical points of an iteration.

1. After the gradient ``g = J^T r``: every component finite, and ``|g_j| <= sqrt(max
   float64) ~ 1.34e154``, past which its square overflows.
2. After a parameter update: every value finite and within ``[lower_j, upper_j]``.
3. After the loss: finite.

A failed check raises :class:`~homodyne_rs.exceptions.NLSQNumericalError` with
``detection_point`` ``'gradient'``, ``'parameter'`` or ``'loss'``, ``invalid_values`` the
first (up to 8) offending ``(index, value)`` pairs (indices into the flattened array), and
in ``error_context``: ``check`` (``'parameter_bounds'`` for a finite value outside the
bounds), ``invalid_count`` and, when given, ``iteration``. A disabled validator lets
everything pass.

The checks are those of the Rust solver (``homodyne::NumericalValidator``).

Examples
--------
>>> import numpy as np
>>> from homodyne_rs.optimization import NumericalValidator
>>> from homodyne_rs.exceptions import NLSQNumericalError
>>> validator = NumericalValidator(bounds=(np.zeros(2), np.ones(2)))
>>> try:
...     validator.validate_parameters(np.array([0.5, 1.5]))
... except NLSQNumericalError as e:
...     print(e.detection_point, e.invalid_values, e.error_context["check"])
parameter [(1, 1.5)] parameter_bounds
"""

from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from .. import _native
from ._bounds import bound_sides

__all__ = ["NumericalValidator"]

Bounds = Tuple[Any, Any]


class NumericalValidator:
    """Checks gradients, parameters and losses for NaN, infinities and bound violations.

    Parameters
    ----------
    enable_validation : bool, optional
        Whether checks run (default True); disabled, every check passes.
    bounds : tuple of array_like, optional
        ``(lower, upper)`` for :meth:`validate_parameters` (a scalar applies to every
        parameter).

    Attributes
    ----------
    enable_validation : bool
    bounds : tuple of np.ndarray or None

    Examples
    --------
    >>> NumericalValidator(enable_validation=False).validate_loss(float("nan"))
    """

    def __init__(self, enable_validation: bool = True, bounds: Optional[Bounds] = None) -> None:
        self.enable_validation = bool(enable_validation)
        self.bounds = bounds

    def validate_gradients(self, gradients: Any, iteration: Optional[int] = None) -> None:
        """Checks a gradient (or a Jacobian: any shape).

        Parameters
        ----------
        gradients : array_like
        iteration : int, optional
            Recorded in the error's context.

        Raises
        ------
        NLSQNumericalError
            ``detection_point='gradient'`` for NaN, infinity or a component above
            1.34e154 in magnitude.

        Examples
        --------
        >>> from homodyne_rs.exceptions import NLSQNumericalError
        >>> try:
        ...     NumericalValidator().validate_gradients([1.0, float("inf")], iteration=7)
        ... except NLSQNumericalError as e:
        ...     print(e.detection_point, e.invalid_values, e.error_context["iteration"])
        gradient [(1, inf)] 7
        """
        _native.validate_gradients(
            np.asarray(gradients, dtype=np.float64), self.enable_validation, iteration
        )

    def validate_parameters(
        self,
        parameters: Any,
        bounds: Optional[Bounds] = None,
        iteration: Optional[int] = None,
    ) -> None:
        """Checks parameters: finite, and within the bounds.

        Parameters
        ----------
        parameters : array_like
            A 1-D vector.
        bounds : tuple of array_like, optional
            ``(lower, upper)``; overrides the validator's bounds. Without either, only
            finiteness is checked.
        iteration : int, optional
            Recorded in the error's context.

        Raises
        ------
        NLSQNumericalError
            ``detection_point='parameter'`` for NaN or infinity, or (when every value is
            finite) for values outside the bounds.
        NLSQInputError
            When the bounds' length differs from the parameters'.

        Examples
        --------
        >>> NumericalValidator().validate_parameters([1.0, 2.0], bounds=([0, 0], [3, 3]))
        """
        values = np.ascontiguousarray(np.asarray(parameters, dtype=np.float64).ravel())
        lower, upper = bound_sides(bounds if bounds is not None else self.bounds, values.size)
        _native.validate_parameters(
            values,
            lower,
            upper,
            self.enable_validation,
            iteration,
        )

    def validate_loss(self, loss_value: Any, iteration: Optional[int] = None) -> None:
        """Checks a loss value: finite.

        Raises
        ------
        NLSQNumericalError
            ``detection_point='loss'`` for NaN or infinity.

        Examples
        --------
        >>> from homodyne_rs.exceptions import NLSQNumericalError
        >>> try:
        ...     NumericalValidator().validate_loss(float("nan"))
        ... except NLSQNumericalError as e:
        ...     print(e.detection_point)
        loss
        """
        _native.validate_loss(float(loss_value), self.enable_validation, iteration)

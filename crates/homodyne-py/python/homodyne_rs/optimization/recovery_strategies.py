"""Which recovery strategy to retry a failed fit with.

One strategy per retry, by the kind of the failure, in this order:

======================  ======================  =====================  ==================
error                   attempt 0               attempt 1              attempt 2
======================  ======================  =====================  ==================
NLSQConvergenceError    perturb_parameters      increase_iterations    relax_tolerance
NLSQNumericalError      reduce_step_size        tighten_bounds         rescale_data
======================  ======================  =====================  ==================

- ``perturb_parameters`` moves each value by up to 5% of its magnitude (1e-3 for a zero)
  from a seeded generator, keeping it strictly inside the bounds; it is the only strategy
  that changes the parameters.
- ``increase_iterations`` allows 1.5x the evaluations; ``relax_tolerance`` makes ftol,
  xtol and gtol 10x looser.
- ``reduce_step_size`` halves the initial step; ``tighten_bounds`` shrinks each finite
  bound interval to 90% of its width around the parameters; ``rescale_data`` divides the
  residuals by the range of ``y`` (an equivalent problem).

No strategy is given at or past ``max_retries``, for other exceptions, for a numerical
error at iteration 0 (``error_context['iteration'] == 0``) other than a non-finite loss
(where only ``rescale_data`` can help), and after ``perturb_parameters`` for a stalled
fit (``error_context['status'] == 'stalled'``).

The choice is made by the Rust ``homodyne::RecoveryStrategyApplicator``, the one the
fits use.

Examples
--------
>>> import numpy as np
>>> from homodyne_rs.optimization import RecoveryStrategyApplicator
>>> from homodyne_rs.exceptions import NLSQNumericalError
>>> applicator = RecoveryStrategyApplicator(max_retries=3)
>>> error = NLSQNumericalError("NaN in the gradient", detection_point="gradient")
>>> [applicator.get_recovery_strategy(error, np.ones(2), k)[0] for k in range(3)]
['reduce_step_size', 'tighten_bounds', 'rescale_data']
"""

from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from .. import _native
from ._bounds import bound_sides

__all__ = ["RecoveryStrategyApplicator"]


class RecoveryStrategyApplicator:
    """Chooses the recovery strategy for each retry of a failed fit.

    Parameters
    ----------
    max_retries : int, optional
        Retries allowed (default 2).
    seed : int, optional
        Seed of ``perturb_parameters`` (keyword only; the same seed gives the same
        perturbation, and by default every applicator uses the same fixed seed).

    Attributes
    ----------
    max_retries : int

    Examples
    --------
    >>> RecoveryStrategyApplicator().max_retries
    2
    """

    def __init__(self, max_retries: int = 2, *, seed: Optional[int] = None) -> None:
        self._native = _native.RecoveryStrategyApplicator(max_retries, seed)

    @property
    def max_retries(self) -> int:
        """Retries allowed."""
        return self._native.max_retries

    def __repr__(self) -> str:
        return f"RecoveryStrategyApplicator(max_retries={self.max_retries})"

    def get_recovery_strategy(
        self,
        error: BaseException,
        params: Any,
        attempt: int,
        bounds: Optional[Tuple[Any, Any]] = None,
    ) -> Optional[Tuple[str, np.ndarray]]:
        """The strategy for retry ``attempt`` (from 0) after ``error``.

        Parameters
        ----------
        error : Exception
            The failure: an ``NLSQConvergenceError`` or ``NLSQNumericalError`` (any other
            exception has no strategy).
        params : array_like
            The parameters the failed attempt started from (1-D).
        attempt : int
            Retry number, from 0.
        bounds : tuple of array_like, optional
            ``(lower, upper)``, which perturbed parameters stay strictly inside.

        Returns
        -------
        tuple of (str, np.ndarray) or None
            The strategy's name and the parameters to retry from, or ``None``.

        Raises
        ------
        NLSQInputError
            When the bounds' length differs from the parameters' or a lower bound exceeds
            its upper bound.

        Examples
        --------
        >>> import numpy as np
        >>> from homodyne_rs.exceptions import NLSQConvergenceError
        >>> applicator = RecoveryStrategyApplicator()
        >>> name, start = applicator.get_recovery_strategy(
        ...     NLSQConvergenceError("budget spent"), np.array([1.0, 2.0]), 0)
        >>> name, bool(np.all(np.abs(start - [1.0, 2.0]) <= 0.05 * np.array([1.0, 2.0])))
        ('perturb_parameters', True)
        """
        values = np.ascontiguousarray(np.asarray(params, dtype=np.float64).ravel())
        lower, upper = bound_sides(bounds, values.size)
        return self._native.get_recovery_strategy(error, values, attempt, lower, upper)

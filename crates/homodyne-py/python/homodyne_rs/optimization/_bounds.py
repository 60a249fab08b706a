"""Bounds as the native checks take them: two float64 vectors, or ``None`` for a side not
given."""

from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

Side = Optional[np.ndarray]


def bound_sides(bounds: Optional[Tuple[Any, Any]], n: int) -> Tuple[Side, Side]:
    """``(lower, upper)`` of ``bounds`` as contiguous float64 vectors (a scalar side is
    repeated ``n`` times; a side of ``None``, or ``bounds=None``, stays ``None``, that is
    unbounded). Lengths are checked by the caller's native function, which names them.

    Examples
    --------
    >>> bound_sides((0, [1.0, 2.0]), 2)
    (array([0., 0.]), array([1., 2.]))
    >>> bound_sides(None, 3)
    (None, None)
    """
    if bounds is None:
        return None, None
    lower, upper = bounds
    return _side(lower, n), _side(upper, n)


def _side(bound: Any, n: int) -> Side:
    if bound is None:
        return None
    side = np.asarray(bound, dtype=np.float64)
    if side.ndim == 0:
        return np.full(n, float(side))
    return np.ascontiguousarray(side.ravel())

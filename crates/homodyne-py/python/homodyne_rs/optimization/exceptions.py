"""The exceptions of ``homodyne_rs.optimization``, where the Python ``homodyne`` package
has them (``homodyne.optimization.exceptions``).

These are the classes of :mod:`homodyne_rs.exceptions` themselves (not copies), so an
``except`` clause written with either import catches the same errors.

Examples
--------
>>> import homodyne_rs.exceptions
>>> from homodyne_rs.optimization.exceptions import NLSQCheckpointError
>>> NLSQCheckpointError is homodyne_rs.exceptions.NLSQCheckpointError
True
"""

from ..exceptions import (
    NLSQCheckpointError,
    NLSQConvergenceError,
    NLSQInputError,
    NLSQNumericalError,
    NLSQOptimizationError,
)

__all__ = [
    "NLSQOptimizationError",
    "NLSQConvergenceError",
    "NLSQNumericalError",
    "NLSQCheckpointError",
    "NLSQInputError",
]

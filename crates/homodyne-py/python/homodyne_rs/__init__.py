"""homodyne_rs: fast, exact, fault-tolerant nonlinear least squares (homodyne, in Rust).

- :func:`curve_fit` and :func:`least_squares`: scipy's functions, by name, signature and
  return values; change the import line.
- :mod:`homodyne_rs.optimization`: the Python ``homodyne`` package's fitting API
  (``NLSQWrapper``, ``OptimizationResult``, strategies, checkpoints, statistics,
  validation, recovery).
- :mod:`homodyne_rs.xpcs`: XPCS two-time correlation fits from the ``homodyne`` YAML
  configurations.
- :mod:`homodyne_rs.exceptions`: the errors every failure raises.

Examples
--------
>>> import numpy as np
>>> import homodyne_rs
>>> x = np.linspace(0, 10, 200)
>>> popt, pcov = homodyne_rs.curve_fit("a*exp(-b*x)", x, 3 * np.exp(-0.7 * x), p0=[1, 1])
>>> np.round(popt, 8)
array([3. , 0.7])
"""

from ._native import __version__
from ._curve_fit import CovarianceWarning, curve_fit
from . import exceptions as _exceptions
from .exceptions import *  # noqa: F403 (the exception classes)

__all__ = [
    "__version__",
    "curve_fit",
    "least_squares",
    "OptimizeResult",
    "CovarianceWarning",
    "optimization",
    "xpcs",
    "exceptions",
    *_exceptions.__all__,
]


def __getattr__(name: str):
    # least_squares, the optimization and xpcs modules load on first use.
    if name in ("least_squares", "OptimizeResult"):
        from . import _least_squares

        return getattr(_least_squares, name)
    if name in ("optimization", "xpcs", "exceptions"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'homodyne_rs' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)

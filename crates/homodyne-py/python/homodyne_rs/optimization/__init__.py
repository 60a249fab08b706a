"""The Python ``homodyne`` package's fitting API (``homodyne.optimization``), in Rust.

==============================  ==========================================================
name                            what it is (submodule)
==============================  ==========================================================
``NLSQWrapper``                 fits with automatic strategy, validation and recovery
                                (``nlsq.wrapper``)
``OptimizationResult``          what a fit returns (``nlsq.wrapper``)
``OptimizationStrategy``        STANDARD, LARGE, CHUNKED, STREAMING (``strategy``)
``DatasetSizeStrategy``         chooses the strategy; streaming configuration
                                (``strategy``)
``CheckpointManager``           HDF5 checkpoints with checksums (``checkpoint_manager``)
``BatchStatistics``             batch outcomes of a streaming fit (``batch_statistics``)
``NumericalValidator``          NaN / infinity / bounds checks (``numerical_validation``)
``RecoveryStrategyApplicator``  the retry strategy after a failure
                                (``recovery_strategies``)
``NLSQ*Error``                  the exceptions (``exceptions``, the same classes as
                                :mod:`homodyne_rs.exceptions`)
==============================  ==========================================================

Each name is imported from its submodule on first use, so that one submodule failing to
import does not keep the others from working.

Examples
--------
>>> from homodyne_rs.optimization import DatasetSizeStrategy, OptimizationStrategy
>>> DatasetSizeStrategy().select_strategy(2_000_000, 3, check_memory=False)
<OptimizationStrategy.LARGE: 'large'>
"""

from __future__ import annotations

import importlib
from typing import Any, List

# Each public name and the submodule (relative to this package) that defines it.
_SUBMODULE_OF = {
    "NLSQWrapper": ".nlsq.wrapper",
    "OptimizationResult": ".nlsq.wrapper",
    "OptimizationStrategy": ".strategy",
    "DatasetSizeStrategy": ".strategy",
    "CheckpointManager": ".checkpoint_manager",
    "BatchStatistics": ".batch_statistics",
    "NumericalValidator": ".numerical_validation",
    "RecoveryStrategyApplicator": ".recovery_strategies",
    "NLSQOptimizationError": ".exceptions",
    "NLSQConvergenceError": ".exceptions",
    "NLSQNumericalError": ".exceptions",
    "NLSQCheckpointError": ".exceptions",
    "NLSQInputError": ".exceptions",
}

__all__ = list(_SUBMODULE_OF)


def __getattr__(name: str) -> Any:
    """Imports ``name`` from its submodule on first use (PEP 562) and caches it."""
    submodule = _SUBMODULE_OF.get(name)
    if submodule is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(submodule, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> List[str]:
    return sorted(set(globals()) | set(__all__))

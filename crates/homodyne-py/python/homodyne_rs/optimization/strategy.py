"""Strategy selection by dataset size and memory, and the streaming configuration.

A fit holds its data in one of four ways, chosen from the number of points:

=============  ======================  ==============================================
strategy       points                  what is held, how a pass sums
=============  ======================  ==============================================
STANDARD       < 1,000,000             the data; each chunk folded by exact QR
LARGE          1M to < 10M             the data; normal equations chunk by chunk,
                                       redone by the exact fold when ill-conditioned
CHUNKED        10M to 100M             the same strategy as LARGE, under the
                                       Python package's name for 10M to 100M
STREAMING      > 100M                  one batch at a time (constant memory)
=============  ======================  ==============================================

No strategy holds the whole Jacobian, and every one runs the same exact solver.

With ``check_memory`` the size-based choice is compared with the memory budget (the
memory available to this process, or ``memory_limit_gb`` GiB) and moved to the next leaner
strategy while its estimate does not fit. The estimate of a strategy holding ``m`` points
of ``d`` coordinates with ``p`` parameters on ``w`` worker threads is, in bytes,

    8 (d + 1) m  +  8 w 256 (2p + 2)  +  16 w (depth + 1) p (p + 1)  +  4 MiB

(data, per-worker chunk buffers, the tree of ``p x p`` factors, the program's base).

The work is done by the Rust crate ``homodyne_strategy``; this module converts arguments
and results.

Examples
--------
>>> from homodyne_rs.optimization import DatasetSizeStrategy, OptimizationStrategy
>>> selector = DatasetSizeStrategy()
>>> selector.select_strategy(5_000_000, 3, check_memory=False)
<OptimizationStrategy.LARGE: 'large'>
>>> selector.select_strategy(10, 3, strategy_override="chunked") is OptimizationStrategy.CHUNKED
True
"""

from __future__ import annotations

import logging
from enum import Enum
from typing import Any, Dict, Optional, Union

from .. import _native

__all__ = ["OptimizationStrategy", "DatasetSizeStrategy"]

_log = logging.getLogger(__name__)


class OptimizationStrategy(Enum):
    """How a fit holds its data; every strategy runs the same solver.

    Examples
    --------
    >>> OptimizationStrategy("streaming")
    <OptimizationStrategy.STREAMING: 'streaming'>
    >>> print(OptimizationStrategy.CHUNKED)
    OptimizationStrategy.CHUNKED
    """

    STANDARD = "standard"
    """Below 1M points: the data in memory, each chunk folded by exact QR."""
    LARGE = "large"
    """1M to 10M points: the data in memory, normal equations summed chunk by chunk."""
    CHUNKED = "chunked"
    """10M to 100M points: the same strategy as LARGE (the package's name for this range)."""
    STREAMING = "streaming"
    """Above 100M points: batches from a source, constant memory."""


def _strategy_name(strategy: Union[str, OptimizationStrategy, None]) -> Optional[str]:
    """The value of an ``OptimizationStrategy`` or a strategy name, as given."""
    if isinstance(strategy, OptimizationStrategy):
        return strategy.value
    return strategy


class DatasetSizeStrategy:
    """Selects the strategy of a fit from its size and the memory budget.

    Parameters
    ----------
    x_dim : int, optional
        Coordinates per point (1 for ``f(x)`` with a 1-D ``x``), for the memory estimate.
    weighted : bool, optional
        Whether the fit carries ``sigma`` (two more arrays), for the memory estimate.
    workers : int, optional
        Worker threads to budget for; by default the machine's available parallelism.

    Examples
    --------
    >>> selector = DatasetSizeStrategy()
    >>> selector.select_strategy(200_000_000, 9, check_memory=False)
    <OptimizationStrategy.STREAMING: 'streaming'>
    """

    def __init__(self, *, x_dim: int = 1, weighted: bool = False,
                 workers: Optional[int] = None) -> None:
        self.x_dim = x_dim
        self.weighted = weighted
        self.workers = workers

    def explain_selection(
        self,
        n_points: int,
        n_parameters: int,
        strategy_override: Union[str, OptimizationStrategy, None] = None,
        check_memory: bool = True,
        memory_limit_gb: Optional[float] = None,
    ) -> Dict[str, Any]:
        """The selection with its reasons, as a dict.

        Keys: ``strategy`` (an :class:`OptimizationStrategy`), ``estimated_bytes`` (the
        strategy's memory estimate), ``budget_bytes`` (the budget it was compared with,
        ``None`` without ``check_memory``), ``reasons`` (one line per move to a leaner
        strategy) and ``warnings`` (an override, or even STREAMING's smallest batch,
        exceeding the budget).

        Examples
        --------
        >>> choice = DatasetSizeStrategy().explain_selection(
        ...     10_000_000, 7, memory_limit_gb=0.006)
        >>> choice["strategy"], len(choice["reasons"]) > 0
        (<OptimizationStrategy.STREAMING: 'streaming'>, True)
        """
        selection = _native.select_strategy(
            n_points,
            n_parameters,
            _strategy_name(strategy_override),
            check_memory,
            memory_limit_gb,
            x_dim=self.x_dim,
            weighted=self.weighted,
            workers=self.workers,
        )
        selection["strategy"] = OptimizationStrategy(selection["strategy"])
        return selection

    def select_strategy(
        self,
        n_points: int,
        n_parameters: int,
        strategy_override: Union[str, OptimizationStrategy, None] = None,
        check_memory: bool = True,
        memory_limit_gb: Optional[float] = None,
    ) -> OptimizationStrategy:
        """The strategy for ``n_points`` points and ``n_parameters`` parameters.

        Parameters
        ----------
        n_points : int
            Number of data points.
        n_parameters : int
            Number of model parameters.
        strategy_override : str or OptimizationStrategy, optional
            ``'standard'``, ``'large'``, ``'chunked'`` or ``'streaming'``: always used
            (a warning is logged when it exceeds the memory budget).
        check_memory : bool, optional
            Move to a leaner strategy while the estimate exceeds the budget (default).
        memory_limit_gb : float, optional
            The budget in GiB instead of the memory available.

        Returns
        -------
        OptimizationStrategy

        Raises
        ------
        NLSQInputError
            For a negative count, an unknown strategy name or a non-positive limit.

        Examples
        --------
        >>> selector = DatasetSizeStrategy()
        >>> selector.select_strategy(50_000_000, 5, memory_limit_gb=64)
        <OptimizationStrategy.CHUNKED: 'chunked'>
        >>> selector.select_strategy(50_000_000, 5, memory_limit_gb=0.1)
        <OptimizationStrategy.STREAMING: 'streaming'>
        """
        selection = self.explain_selection(
            n_points, n_parameters, strategy_override, check_memory, memory_limit_gb
        )
        for reason in selection["reasons"]:
            _log.info("strategy selection: %s", reason)
        for warning in selection["warnings"]:
            _log.warning("strategy selection: %s", warning)
        return selection["strategy"]

    def build_streaming_config(
        self,
        n_points: int,
        n_parameters: int,
        checkpoint_config: Optional[Dict[str, Any]] = None,
        memory_limit_gb: Optional[float] = None,
    ) -> Dict[str, Any]:
        """The configuration of a STREAMING fit.

        The batch size takes 10% of the budget (``memory_limit_gb`` GiB, else the memory
        available): ``(0.1 * budget - fixed) / bytes_per_point`` points, rounded to the
        nearest 1,000 and bounded to [1,000, 100,000], and never much more than
        ``n_points``.

        Parameters
        ----------
        n_points : int
            Total number of data points.
        n_parameters : int
            Number of model parameters.
        checkpoint_config : dict, optional
            Any of ``enable_checkpoints`` (default False), ``checkpoint_dir``
            (``'./checkpoints'``), ``checkpoint_frequency`` (10),
            ``resume_from_checkpoint`` (False), ``keep_last_checkpoints`` (3). Other keys
            raise ``NLSQInputError``.
        memory_limit_gb : float, optional
            The budget in GiB instead of the memory available.

        Returns
        -------
        dict
            ``batch_size``, ``max_epochs``, the five checkpoint keys,
            ``enable_fault_tolerance``, ``validate_numerics``, ``min_success_rate``,
            ``max_retries_per_batch``, and ``memory_budget_bytes`` (the budget planned
            with).

        Examples
        --------
        >>> config = DatasetSizeStrategy().build_streaming_config(
        ...     200_000_000, 9, {"enable_checkpoints": True}, memory_limit_gb=1000)
        >>> config["batch_size"], config["enable_checkpoints"], config["checkpoint_dir"]
        (100000, True, './checkpoints')
        """
        if checkpoint_config is not None:
            checkpoint_config = dict(checkpoint_config)
        return _native.build_streaming_config(
            n_points, n_parameters, checkpoint_config, memory_limit_gb
        )

"""Batch statistics of a streaming fit, in memory that does not grow with the batches.

Two kinds of state:

- the **buffer**: the last ``max_size`` batch records (a ring buffer; recording into a full
  one drops the oldest). The success rate is computed from it, so it follows the fit's
  current health: ``success_rate = successes in buffer / len(buffer)`` (1.0 when empty);
- **running totals**, never dropped: batches, successes, failures, the mean finite loss of
  the successful batches, the mean iteration count, and the error distribution (at most
  64 error names; further new names are counted under ``'other'``).

The work is done by the Rust crate ``homodyne_stats``.

Examples
--------
>>> from homodyne_rs.optimization import BatchStatistics
>>> stats = BatchStatistics(max_size=2)
>>> stats.record_batch(0, True, 0.5, 12, [])
>>> stats.record_batch(1, False, None, 50, ["reduce_step_size"], "NLSQNumericalError")
>>> stats.record_batch(2, True, 0.25, 8, [])
>>> [b["batch_idx"] for b in stats.buffer], stats.get_success_rate()
([1, 2], 0.5)
>>> stats.total_batches, stats.total_failures, stats.get_statistics()["average_loss"]
(3, 1, 0.375)
"""

from __future__ import annotations

from collections import deque
from typing import Any, Deque, Dict, List, Optional

from .. import _native

__all__ = ["BatchStatistics"]


class BatchStatistics:
    """Records what happened to each batch of a streaming fit.

    Parameters
    ----------
    max_size : int, optional
        How many recent batches the buffer keeps (default 100, at least 1).

    Raises
    ------
    NLSQInputError
        For a ``max_size`` below 1.

    Attributes
    ----------
    buffer : collections.deque
        The records in the buffer, oldest first (a copy: each a dict with the
        :meth:`record_batch` argument names).
    total_batches, total_successes, total_failures : int
        Counts over every batch recorded.
    error_counts : dict
        Batches per error type, over every batch recorded.

    Examples
    --------
    >>> stats = BatchStatistics()
    >>> stats.get_success_rate(), stats.total_batches
    (1.0, 0)
    """

    def __init__(self, max_size: int = 100) -> None:
        self._native = _native.BatchStatistics(max_size)

    @property
    def max_size(self) -> int:
        """How many recent batches the buffer keeps."""
        return self._native.max_size

    def record_batch(
        self,
        batch_idx: int,
        success: bool,
        loss: Optional[float],
        iterations: int,
        recovery_actions: List[str],
        error_type: Optional[str] = None,
    ) -> None:
        """Records one batch.

        Parameters
        ----------
        batch_idx : int
            Index of the batch (from 0).
        success : bool
            Whether the batch's fit succeeded.
        loss : float or None
            Its final loss (``None`` when none was computed). Only finite losses of
            successful batches enter ``average_loss``.
        iterations : int
            Solver iterations it used.
        recovery_actions : list of str
            Recovery strategies applied to it, in order.
        error_type : str, optional
            The error it met (counted in the error distribution, even when it then
            succeeded).

        Examples
        --------
        >>> stats = BatchStatistics()
        >>> stats.record_batch(0, False, None, 3, [], error_type="NLSQConvergenceError")
        >>> stats.error_counts
        {'NLSQConvergenceError': 1}
        """
        self._native.record_batch(
            batch_idx,
            bool(success),
            None if loss is None else float(loss),
            iterations,
            list(recovery_actions),
            error_type,
        )

    def get_success_rate(self) -> float:
        """The share of the batches in the buffer that succeeded, in [0, 1] (1.0 when
        no batch is recorded).

        Examples
        --------
        >>> stats = BatchStatistics()
        >>> for k in range(4):
        ...     stats.record_batch(k, k != 0, 0.1, 5, [])
        >>> stats.get_success_rate()
        0.75
        """
        return self._native.get_success_rate()

    def get_statistics(self) -> Dict[str, Any]:
        """The statistics as a dict.

        Keys: ``total_batches``, ``total_successes``, ``total_failures`` (all time),
        ``success_rate`` (over the buffer), ``overall_success_rate`` (all time),
        ``average_loss`` (mean finite loss of the successful batches, ``None`` when there
        is none), ``average_iterations`` (all time, ``None`` before the first batch),
        ``error_distribution`` (error type counts) and ``recent_batches`` (the buffer's
        records, oldest first).

        Examples
        --------
        >>> stats = BatchStatistics()
        >>> stats.record_batch(0, True, 2.0, 10, [])
        >>> s = stats.get_statistics()
        >>> s["total_batches"], s["success_rate"], s["average_iterations"]
        (1, 1.0, 10.0)
        """
        return self._native.get_statistics()

    @property
    def buffer(self) -> Deque[Dict[str, Any]]:
        """The records in the buffer, oldest first, as a bounded deque (a copy)."""
        return deque(self.get_statistics()["recent_batches"], maxlen=self.max_size)

    @property
    def total_batches(self) -> int:
        """Batches recorded, all time."""
        return self._native.get_statistics(False)["total_batches"]

    @property
    def total_successes(self) -> int:
        """Successful batches, all time."""
        return self._native.get_statistics(False)["total_successes"]

    @property
    def total_failures(self) -> int:
        """Failed batches, all time."""
        return self._native.get_statistics(False)["total_failures"]

    @property
    def error_counts(self) -> Dict[str, int]:
        """Batches per error type, all time."""
        return self._native.get_statistics(False)["error_distribution"]

    def clear(self) -> None:
        """Forgets every batch (buffer and totals).

        Examples
        --------
        >>> stats = BatchStatistics()
        >>> stats.record_batch(0, True, 1.0, 1, [])
        >>> stats.clear(); stats.total_batches
        0
        """
        self._native.clear()

    def __len__(self) -> int:
        """Records in the buffer."""
        return len(self._native)

    def __repr__(self) -> str:
        s = self._native.get_statistics(False)
        return (
            f"BatchStatistics(max_size={self.max_size}, total_batches={s['total_batches']}, "
            f"success_rate={s['success_rate']:.3f})"
        )

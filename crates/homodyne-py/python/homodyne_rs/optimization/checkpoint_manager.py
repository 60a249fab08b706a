"""HDF5 checkpoints of streaming fits: atomic writes, SHA-256 checksums, keep-last-N.

One file per checkpoint, ``homodyne_state_batch_{batch_idx:04d}.h5`` in the checkpoint
directory, written under a temporary name and renamed into place (a crash leaves the old
file or the new complete one). Every dataset is covered by a SHA-256 checksum stored in
the file; a file whose contents do not match it, that is truncated, not HDF5, or lacks a
field, raises :class:`~homodyne_rs.exceptions.NLSQCheckpointError` on load and is skipped
by :meth:`CheckpointManager.find_latest_checkpoint`. h5py reads the files:
``f["parameters"][:]``, ``f["loss"][()]``, ``f["optimizer_state/<name>"]``,
``f["metadata/<key>"][0]``.

What a checkpoint stores:

- ``parameters``: a 1-D float64 array, bit for bit;
- ``optimizer_state``: a dict of numbers and numeric arrays (each stored as its own
  float64 or int64 dataset; booleans and unsigned integers become int64). Scalars come
  back as Python ``int``/``float``, arrays with their shape;
- ``metadata``: a dict of JSON values (numbers, strings, lists, dicts, None), each stored
  as its JSON text;
- names (state entries and metadata keys) of 1 to 255 characters from ``[A-Za-z0-9_]``.

The work is done by the Rust crate ``homodyne_checkpoint``.

Examples
--------
>>> import tempfile, numpy as np
>>> from homodyne_rs.optimization import CheckpointManager
>>> manager = CheckpointManager(tempfile.mkdtemp(), keep_last_n=2)
>>> for batch in (9, 19, 29):
...     path = manager.save_checkpoint(batch, np.array([1.0, 2.0]), {"iteration": batch}, 0.5)
>>> sorted(p.name for p in manager.checkpoint_dir.iterdir())
['homodyne_state_batch_0019.h5', 'homodyne_state_batch_0029.h5']
>>> manager.load_checkpoint(manager.find_latest_checkpoint())["optimizer_state"]
{'iteration': 29}
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

import numpy as np

from .. import _native
from ..exceptions import NLSQCheckpointError

__all__ = ["CheckpointManager"]

_log = logging.getLogger(__name__)

_INT64_MAX = np.iinfo(np.int64).max

#: A save slower than this many seconds logs a warning.
SLOW_SAVE_SECONDS = 2.0


def _state_array(name: str, value: Any) -> np.ndarray:
    """``value`` as the float64 or int64 array the checkpoint stores for ``name``."""
    array = np.asarray(value)
    kind = array.dtype.kind
    if kind == "u" and array.size and int(array.max()) > _INT64_MAX:
        raise NLSQCheckpointError(
            f"optimizer_state[{name!r}] holds an unsigned integer above {_INT64_MAX}, "
            "which int64 cannot store",
            error_context={"argument": "optimizer_state", "key": name},
        )
    if kind in "biu":
        return np.asarray(array, dtype=np.int64, order="C")
    if kind == "f":
        return np.asarray(array, dtype=np.float64, order="C")
    raise NLSQCheckpointError(
        f"optimizer_state[{name!r}] is {type(value).__name__} (dtype {array.dtype}); a "
        "checkpoint stores numbers and numeric arrays in optimizer_state (put other values "
        "in metadata)",
        error_context={"argument": "optimizer_state", "key": name},
    )


def _json_default(value: Any) -> Any:
    """NumPy scalars and arrays as JSON values."""
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _encode_metadata(metadata: Optional[Dict[str, Any]]) -> Dict[str, str]:
    """Each metadata value as its JSON text."""
    encoded = {}
    for key, value in (metadata or {}).items():
        if not isinstance(key, str):
            raise NLSQCheckpointError(
                f"metadata key {key!r} is not a string",
                error_context={"argument": "metadata", "key": repr(key)},
            )
        try:
            encoded[key] = json.dumps(value, default=_json_default)
        except (TypeError, ValueError) as err:
            raise NLSQCheckpointError(
                f"metadata[{key!r}] cannot be stored as JSON: {err}",
                error_context={"argument": "metadata", "key": key},
            ) from err
    return encoded


def _decode_metadata(metadata: Dict[str, str]) -> Dict[str, Any]:
    """The stored JSON texts as values; text that is not JSON (a file written by another
    program) stays a string."""
    decoded = {}
    for key, text in metadata.items():
        try:
            decoded[key] = json.loads(text)
        except ValueError:
            decoded[key] = text
    return decoded


def _unix_time(rfc3339: str, path: Any) -> float:
    """``2026-05-01T12:34:56.789012Z`` (the checkpoint's timestamp) as seconds since the
    epoch."""
    try:
        stamp = datetime.strptime(rfc3339, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError as err:
        raise NLSQCheckpointError(
            f"{path}: the timestamp {rfc3339!r} is not RFC 3339 UTC with microseconds",
            error_context={"file": str(path), "field": "/timestamp"},
        ) from err
    return stamp.replace(tzinfo=timezone.utc).timestamp()


class CheckpointManager:
    """Writes, finds, checks and prunes the checkpoints of a streaming fit.

    Parameters
    ----------
    checkpoint_dir : str or Path
        Directory of the checkpoint files (created with its parents if missing).
    checkpoint_frequency : int, optional
        A checkpoint is due every this many batches (default 10, at least 1).
    keep_last_n : int, optional
        How many of the newest checkpoints are kept (default 3, at least 1).
    enable_compression : bool, optional
        gzip (level 1) the arrays (default True).

    Raises
    ------
    NLSQCheckpointError
        When the directory cannot be created, or a count is 0.

    Attributes
    ----------
    checkpoint_dir : Path
    checkpoint_frequency : int
    keep_last_n : int
    enable_compression : bool

    Examples
    --------
    >>> import tempfile
    >>> manager = CheckpointManager(tempfile.mkdtemp(), checkpoint_frequency=5)
    >>> [b for b in range(12) if manager.should_checkpoint(b)]
    [4, 9]
    """

    def __init__(
        self,
        checkpoint_dir: Union[str, Path],
        checkpoint_frequency: int = 10,
        keep_last_n: int = 3,
        enable_compression: bool = True,
    ) -> None:
        self._native = _native.CheckpointManager(
            checkpoint_dir, checkpoint_frequency, keep_last_n, bool(enable_compression)
        )

    @property
    def checkpoint_dir(self) -> Path:
        """The directory of the checkpoint files."""
        return Path(self._native.checkpoint_dir)

    @property
    def checkpoint_frequency(self) -> int:
        """A checkpoint is due every this many batches."""
        return self._native.checkpoint_frequency

    @property
    def keep_last_n(self) -> int:
        """How many of the newest checkpoints are kept."""
        return self._native.keep_last_n

    @property
    def enable_compression(self) -> bool:
        """Whether arrays are gzip-compressed."""
        return self._native.enable_compression

    def __repr__(self) -> str:
        return (
            f"CheckpointManager({str(self.checkpoint_dir)!r}, checkpoint_frequency="
            f"{self.checkpoint_frequency}, keep_last_n={self.keep_last_n}, "
            f"enable_compression={self.enable_compression})"
        )

    def should_checkpoint(self, batch_idx: int) -> bool:
        """Whether a checkpoint is due after batch ``batch_idx`` (from 0): when
        ``(batch_idx + 1) % checkpoint_frequency == 0``.

        Examples
        --------
        >>> import tempfile
        >>> CheckpointManager(tempfile.mkdtemp()).should_checkpoint(9)
        True
        """
        return self._native.should_checkpoint(batch_idx)

    def save_checkpoint(
        self,
        batch_idx: int,
        parameters: Any,
        optimizer_state: Dict[str, Any],
        loss: float,
        metadata: Optional[Dict[str, Any]] = None,
    ) -> Path:
        """Writes the checkpoint of batch ``batch_idx`` and returns its path.

        The file is written atomically; afterwards the checkpoints beyond ``keep_last_n``
        are removed (:meth:`cleanup_old_checkpoints`). A save slower than 2 s logs a
        warning.

        Parameters
        ----------
        batch_idx : int
            The batch after which the checkpoint is written.
        parameters : array_like
            The parameter vector (1-D).
        optimizer_state : dict
            Numbers and numeric arrays by name.
        loss : float
            The loss at the checkpoint.
        metadata : dict, optional
            JSON values by name (success rate, recovery actions, ...).

        Returns
        -------
        Path

        Raises
        ------
        NLSQCheckpointError
            When a value cannot be stored, a name has characters outside
            ``[A-Za-z0-9_]``, or the file cannot be written.

        Examples
        --------
        >>> import tempfile, numpy as np
        >>> manager = CheckpointManager(tempfile.mkdtemp())
        >>> manager.save_checkpoint(10, np.array([1.0, 2.0]), {"iteration": 42}, 0.123).name
        'homodyne_state_batch_0010.h5'
        """
        state = {
            name: _state_array(name, value) for name, value in dict(optimizer_state).items()
        }
        started = time.perf_counter()
        path = self._native.save_checkpoint(
            batch_idx,
            np.asarray(parameters, dtype=np.float64),
            state,
            float(loss),
            _encode_metadata(metadata),
        )
        seconds = time.perf_counter() - started
        if seconds > SLOW_SAVE_SECONDS:
            _log.warning("saving checkpoint %s took %.2f s (more than %.0f s)",
                         path, seconds, SLOW_SAVE_SECONDS)
        return Path(path)

    def load_checkpoint(self, checkpoint_path: Union[str, Path]) -> Dict[str, Any]:
        """Reads a checkpoint after checking its checksum.

        Returns
        -------
        dict
            ``batch_idx`` (int), ``parameters`` (float64 array), ``optimizer_state``
            (dict), ``loss`` (float), ``metadata`` (dict), ``version`` (the version of the
            library that wrote it), ``timestamp`` (Unix time of the save), and also
            ``timestamp_iso`` (RFC 3339, UTC), ``format_version`` and ``path``.

        Raises
        ------
        NLSQCheckpointError
            When the file is missing, not HDF5, truncated, lacks a field, is of another
            format version, or its checksum does not match; ``error_context`` names the
            ``file`` and the kind of problem (``checkpoint_error``).

        Examples
        --------
        >>> import tempfile, numpy as np
        >>> manager = CheckpointManager(tempfile.mkdtemp())
        >>> path = manager.save_checkpoint(3, [0.5, -1.5], {"step": 0.1}, 2.0, {"tag": "a"})
        >>> data = manager.load_checkpoint(path)
        >>> data["batch_idx"], data["parameters"], data["metadata"]
        (3, array([ 0.5, -1.5]), {'tag': 'a'})
        """
        raw = self._native.load_checkpoint(checkpoint_path)
        return {
            "batch_idx": raw["batch_idx"],
            "parameters": raw["parameters"],
            "optimizer_state": raw["optimizer_state"],
            "loss": raw["loss"],
            "metadata": _decode_metadata(raw["metadata"]),
            "version": raw["library_version"],
            "timestamp": _unix_time(raw["timestamp"], raw["path"]),
            "timestamp_iso": raw["timestamp"],
            "format_version": raw["format_version"],
            "path": Path(raw["path"]),
        }

    def checkpoint_problem(self, checkpoint_path: Union[str, Path]) -> Optional[str]:
        """Why the checkpoint at ``checkpoint_path`` cannot be trusted, or ``None`` when
        it passes every check.

        Examples
        --------
        >>> import tempfile
        >>> manager = CheckpointManager(tempfile.mkdtemp())
        >>> manager.checkpoint_problem(manager.checkpoint_dir / "none.h5") is not None
        True
        """
        return self._native.checkpoint_problem(checkpoint_path)

    def validate_checkpoint(self, checkpoint_path: Union[str, Path]) -> bool:
        """Whether the checkpoint exists, is complete and matches its checksum.

        Examples
        --------
        >>> import tempfile
        >>> manager = CheckpointManager(tempfile.mkdtemp())
        >>> manager.validate_checkpoint(manager.save_checkpoint(0, [1.0], {}, 0.0))
        True
        """
        return self.checkpoint_problem(checkpoint_path) is None

    def find_latest_checkpoint(self) -> Optional[Path]:
        """The checkpoint with the highest batch index that passes validation, or
        ``None``; newer invalid files are skipped (each with a logged warning).

        Examples
        --------
        >>> import tempfile
        >>> CheckpointManager(tempfile.mkdtemp()).find_latest_checkpoint() is None
        True
        """
        found, skipped = self._native.find_latest_checkpoint()
        for path, problem in skipped:
            _log.warning("skipping invalid checkpoint %s: %s", path, problem)
        return None if found is None else Path(found)

    def cleanup_old_checkpoints(self) -> List[Path]:
        """Removes all but the ``keep_last_n`` newest checkpoints (by batch index) and
        the temporary files of crashed saves; returns the removed paths.

        Examples
        --------
        >>> import tempfile
        >>> CheckpointManager(tempfile.mkdtemp()).cleanup_old_checkpoints()
        []
        """
        return [Path(p) for p in self._native.cleanup_old_checkpoints()]

"""The progress display of a fit run with ``progress=True``.

A tqdm bar over the points of the current pass when tqdm is installed, else one line on
stderr rewritten in place. The fit runs on a worker thread; the main thread calls
:meth:`Progress.update` about twenty times a second with the latest state.

Examples
--------
>>> bar = Progress(use_tqdm=False, stream=None)
>>> bar.update(iteration=3, nfev=4, cost=0.5, points_done=500, points_total=1000)
>>> bar.line()
'iteration 3, 4 evaluations, cost 0.5, pass 50%'
>>> bar.close()
"""

from __future__ import annotations

import sys
from typing import IO, Any, Optional

__all__ = ["Progress"]

# The default stream: ``sys.stderr`` as it is when the bar is made, not when this module
# was imported (Jupyter, pytest and ``contextlib.redirect_stderr`` replace it).
_STDERR: Any = object()


class Progress:
    """Draws a fit's progress: iterations, evaluations, cost, and how far the current pass
    over the data has got.

    Parameters
    ----------
    use_tqdm : bool, optional
        Use tqdm when it can be imported (default True).
    stream : file, optional
        Where the plain line goes (default: ``sys.stderr`` at the time the bar is made);
        None draws nothing (tests).
    
    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> bar = Progress(use_tqdm=False, stream=out)
    >>> bar.update(iteration=1, nfev=2, cost=3.0, points_done=10, points_total=40)
    >>> bar.close()
    >>> out.getvalue()
    '\\riteration 1, 2 evaluations, cost 3, pass 25%\\n'
    """

    def __init__(self, use_tqdm: bool = True, stream: Optional[IO[str]] = _STDERR):
        if stream is _STDERR:
            stream = sys.stderr
        self._bar = None
        self._stream = stream
        self._state = (0, 0, float("nan"), 0, 0)
        self._drawn = False
        if use_tqdm and stream is not None:
            try:
                from tqdm.auto import tqdm  # type: ignore[import-untyped, unused-ignore]
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self._bar = tqdm(total=0, unit="pt", unit_scale=True, desc="pass", leave=False)

    def update(self, iteration: int, nfev: int, cost: float, points_done: int,
               points_total: int) -> None:
        """Records the fit's latest state and redraws."""
        state = (iteration, nfev, cost, points_done, points_total)
        if state == self._state:
            return
        self._state = state
        if self._bar is not None:
            if self._bar.total != points_total:
                self._bar.reset(total=points_total)
            self._bar.n = points_done
            self._bar.set_postfix(iteration=iteration, nfev=nfev, cost=f"{cost:.6g}",
                                  refresh=False)
            self._bar.refresh()
        elif self._stream is not None:
            self._stream.write("\r" + self.line())
            self._stream.flush()
            self._drawn = True

    def line(self) -> str:
        """The plain one-line form of the latest state."""
        iteration, nfev, cost, done, total = self._state
        share = f", pass {100 * done // total}%" if total else ""
        return f"iteration {iteration}, {nfev} evaluations, cost {cost:.6g}{share}"

    def close(self) -> None:
        """Removes the bar (or ends the line)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self._drawn and self._stream is not None:
            self._stream.write("\n")
            self._stream.flush()
            self._drawn = False

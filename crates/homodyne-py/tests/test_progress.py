"""``curve_fit(..., progress=True)``: a tqdm bar on stderr when tqdm is installed, the plain
line "iteration ..." when it is not, and the same fit either way.

The model sleeps in each call so that the fit lasts long enough (about 0.4 s, 18 calls) for the
main thread, which redraws every 50 ms, to draw the bar several times.
"""

from __future__ import annotations

import contextlib
import io
import sys
import time

import numpy as np
import pytest

from homodyne_rs import curve_fit

X = np.linspace(0.0, 4.0, 200)
Y = 2.5 * np.exp(-1.3 * X) + 0.01 * np.sin(17.0 * X)
P0 = [1.0, 1.0]


def slow_decay(x, a, b):
    """``a exp(-b x)``, 20 ms a call."""
    time.sleep(0.02)
    return a * np.exp(-b * x)


@pytest.fixture(scope="module")
def quiet_fit():
    """The fit without progress: the numbers the displays must leave alone."""
    return curve_fit(slow_decay, X, Y, p0=P0, full_output=True)


def _assert_same_fit(shown, quiet):
    popt, pcov, infodict, _, ier = shown
    popt0, pcov0, infodict0, _, ier0 = quiet
    np.testing.assert_array_equal(popt, popt0)
    np.testing.assert_array_equal(pcov, pcov0)
    assert infodict["nfev"] == infodict0["nfev"]
    assert ier == ier0


def test_without_progress_nothing_is_drawn(capfd, quiet_fit):
    curve_fit(slow_decay, X, Y, p0=P0)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    # The fit is long enough for the progress tests to draw: several 50 ms polls.
    assert quiet_fit[2]["model_calls"] >= 10, "the fit is too short to draw a bar"


def test_tqdm_draws_the_bar_on_stderr(capfd, quiet_fit):
    pytest.importorskip("tqdm", reason="tqdm is not installed (pip install tqdm)")
    shown = curve_fit(slow_decay, X, Y, p0=P0, full_output=True, progress=True)
    out, err = capfd.readouterr()
    assert out == ""
    # tqdm's bar with the fit's state as its postfix: iteration, evaluations, cost.
    assert "nfev=" in err and "iteration=" in err and "cost=" in err, err[-500:]
    assert "pt" in err, "tqdm's unit (points of the current pass) is missing"
    _assert_same_fit(shown, quiet_fit)


def test_without_tqdm_a_plain_line_is_drawn(capfd, monkeypatch, quiet_fit):
    # None in sys.modules makes `import tqdm` raise ImportError.
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with pytest.raises(ImportError):
        import tqdm.auto  # noqa: F401
    shown = curve_fit(slow_decay, X, Y, p0=P0, full_output=True, progress=True)
    out, err = capfd.readouterr()
    assert out == ""
    lines = [line for line in err.replace("\r", "\n").splitlines() if line]
    assert lines, "nothing was drawn"
    assert all(line.startswith("iteration ") for line in lines), lines
    assert "evaluations, cost" in lines[-1]
    # The line is rewritten in place and ended once, when the fit is done.
    assert err.endswith("\n") and err.count("\n") == 1
    _assert_same_fit(shown, quiet_fit)


def test_the_line_goes_to_stderr_as_it_is_when_the_fit_runs(monkeypatch, quiet_fit):
    """``contextlib.redirect_stderr`` (and Jupyter, and pytest) replace ``sys.stderr``
    after ``homodyne_rs`` was imported: the line follows the replacement."""
    import homodyne_rs._progress  # noqa: F401  (imported before the redirection)

    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    caught = io.StringIO()
    with contextlib.redirect_stderr(caught):
        shown = curve_fit(slow_decay, X, Y, p0=P0, full_output=True, progress=True)
    assert caught.getvalue().lstrip("\r").startswith("iteration ")
    _assert_same_fit(shown, quiet_fit)

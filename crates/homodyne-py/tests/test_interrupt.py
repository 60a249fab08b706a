"""Ctrl-C during a long fit: KeyboardInterrupt within a second, the package usable after.

SIGINT is sent to the process from a timer thread while the main thread waits in the fit
(Python runs the handler on the main thread, which homodyne_rs keeps polling).
"""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

import homodyne_rs

N = 100_000_000


@pytest.fixture(scope="module")
def big_data():
    """1e8 points of a decay (1.6 GB)."""
    x = np.linspace(0.0, 10.0, N)
    y = 3.0 * np.exp(-0.7 * x)
    y += 0.2
    return x, y


def interrupt_after(seconds: float) -> list:
    """Sends SIGINT to this process after `seconds`; returns a list that receives the
    time it was sent."""
    sent = []

    def fire():
        sent.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    return sent


@pytest.mark.parametrize("model", ["callable", "formula"])
def test_ctrl_c_stops_a_1e8_point_fit_within_a_second(big_data, model):
    x, y = big_data
    f = "a*exp(-b*x)+c" if model == "formula" else (lambda x, a, b, c: a * np.exp(-b * x) + c)
    started = time.perf_counter()
    # Without coarse stages: about 6 s for the formula (2-core machine), longer for the
    # callable, so the signal comes in the middle of the fit.
    sent = interrupt_after(1.5)
    with pytest.raises(KeyboardInterrupt):
        homodyne_rs.curve_fit(f, x, y, p0=[1.0, 1.0, 0.0], coarse_to_fine="off")
    raised = time.perf_counter()
    assert sent, "the fit ended before the signal was sent: it cannot test the interrupt"
    latency = raised - sent[0]
    print(f"{model}: interrupted {latency:.3f} s after SIGINT "
          f"({sent[0] - started:.1f} s into the fit)")
    assert latency < 1.0


def test_the_package_works_after_an_interrupt():
    """A fit interrupted, then another in the same process: the stop of the first does
    not reach the second."""
    x = np.linspace(0, 10, 2_000_000)

    def slow(x, a, b):
        time.sleep(0.01)
        return a * np.exp(-b * x)

    interrupt_after(0.3)
    with pytest.raises(KeyboardInterrupt):
        homodyne_rs.curve_fit(slow, x, 2 * np.exp(-0.5 * x), p0=[1, 1])
    x = np.linspace(0, 1, 1000)
    popt, _ = homodyne_rs.curve_fit(lambda x, a, b: a * x + b, x, 3 * x - 1, p0=[1, 1])
    assert np.allclose(popt, [3, -1])


def test_a_custom_sigint_handler_runs_and_its_exception_stops_the_fit():
    class Stop(Exception):
        pass

    def handler(signum, frame):
        raise Stop("stopped by the user's handler")

    previous = signal.signal(signal.SIGINT, handler)
    try:
        x = np.linspace(0, 10, 2_000_000)
        calls = []

        def slow(x, a, b):
            calls.append(1)
            time.sleep(0.01)
            return a * np.exp(-b * x)

        interrupt_after(0.5)
        with pytest.raises(Stop):
            homodyne_rs.curve_fit(slow, x, 2 * np.exp(-0.5 * x), p0=[1, 1])
        assert len(calls) < 400
    finally:
        signal.signal(signal.SIGINT, previous)

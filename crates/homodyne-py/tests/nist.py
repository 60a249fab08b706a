"""The 12 NIST StRD problems the test suite compares against scipy, read from the
workspace's copies of the NIST files (crates/homodyne/tests/data/nist), each with a numpy
model and the same model as a formula string."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "homodyne" / "tests" / "data" / "nist"


def _hahn_like(x, b1, b2, b3, b4, b5, b6, b7):
    return (b1 + b2 * x + b3 * x**2 + b4 * x**3) / (1 + b5 * x + b6 * x**2 + b7 * x**3)


MODELS = {
    "BoxBOD": (lambda x, b1, b2: b1 * (1 - np.exp(-b2 * x)), "b1*(1-exp(-b2*x))"),
    "Chwirut2": (lambda x, b1, b2, b3: np.exp(-b1 * x) / (b2 + b3 * x),
                 "exp(-b1*x)/(b2+b3*x)"),
    "DanWood": (lambda x, b1, b2: b1 * x**b2, "b1*x^b2"),
    "Gauss1": (lambda x, b1, b2, b3, b4, b5, b6, b7, b8:
               b1 * np.exp(-b2 * x) + b3 * np.exp(-(x - b4) ** 2 / b5**2)
               + b6 * np.exp(-(x - b7) ** 2 / b8**2),
               "b1*exp(-b2*x) + b3*exp(-(x-b4)^2/b5^2) + b6*exp(-(x-b7)^2/b8^2)"),
    "Hahn1": (_hahn_like,
              "(b1+b2*x+b3*x^2+b4*x^3)/(1+b5*x+b6*x^2+b7*x^3)"),
    "Kirby2": (lambda x, b1, b2, b3, b4, b5:
               (b1 + b2 * x + b3 * x**2) / (1 + b4 * x + b5 * x**2),
               "(b1+b2*x+b3*x^2)/(1+b4*x+b5*x^2)"),
    "Lanczos2": (lambda x, b1, b2, b3, b4, b5, b6:
                 b1 * np.exp(-b2 * x) + b3 * np.exp(-b4 * x) + b5 * np.exp(-b6 * x),
                 "b1*exp(-b2*x) + b3*exp(-b4*x) + b5*exp(-b6*x)"),
    "MGH09": (lambda x, b1, b2, b3, b4: b1 * (x**2 + x * b2) / (x**2 + x * b3 + b4),
              "b1*(x^2+x*b2)/(x^2+x*b3+b4)"),
    "MGH17": (lambda x, b1, b2, b3, b4, b5: b1 + b2 * np.exp(-x * b4) + b3 * np.exp(-x * b5),
              "b1 + b2*exp(-x*b4) + b3*exp(-x*b5)"),
    "Misra1a": (lambda x, b1, b2: b1 * (1 - np.exp(-b2 * x)), "b1*(1-exp(-b2*x))"),
    "Rat43": (lambda x, b1, b2, b3, b4: b1 / (1 + np.exp(b2 - b3 * x)) ** (1 / b4),
              "b1/(1+exp(b2-b3*x))^(1/b4)"),
    "Thurber": (lambda x, b1, b2, b3, b4, b5, b6, b7:
                (b1 + b2 * x + b3 * x**2 + b4 * x**3) / (1 + b5 * x + b6 * x**2 + b7 * x**3),
                "(b1+b2*x+b3*x^2+b4*x^3)/(1+b5*x+b6*x^2+b7*x^3)"),
}


@dataclass
class Problem:
    """One NIST problem: data, both starts, certified values and standard deviations."""

    name: str
    x: np.ndarray
    y: np.ndarray
    starts: tuple
    certified: np.ndarray
    certified_sd: np.ndarray
    model: object
    formula: str


def load(name: str) -> Problem:
    text = (DATA / f"{name}.dat").read_text().splitlines()
    rows = []
    for line in text:
        m = re.match(r"\s*b(\d+)\s*=\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)", line)
        if m:
            rows.append([float(v) for v in m.groups()[1:]])
    values = np.array(rows)
    data_at = max(i for i, line in enumerate(text) if line.startswith("Data:"))
    data = np.array([[float(v) for v in line.split()] for line in text[data_at + 1:]
                     if line.strip()])
    model, formula = MODELS[name]
    return Problem(name, data[:, 1].copy(), data[:, 0].copy(),
                   (values[:, 0], values[:, 1]), values[:, 2], values[:, 3], model, formula)


NAMES = sorted(MODELS)

"""Writes run7.csv, the example data of the README's `homodyne curve` command.

    python3 crates/homodyne-cli/examples/data/make_run7.py

300 points of a saturating growth y = b1 (1 - exp(-b2 x)), b1 = 240, b2 = 5.5e-4 (the
shape of NIST's Misra1a), at x = 25, 50, ..., 7500, plus Gaussian noise of standard
deviation 2 from Python's random module seeded with 7 (the Mersenne Twister: the same
numbers on every Python 3). Standard library only, so it runs without a venv; the file is
written next to this script, values with 6 significant digits.
"""

import math
import random
from pathlib import Path

B1, B2, NOISE, SEED, N, STEP = 240.0, 5.5e-4, 2.0, 7, 300, 25.0


def main() -> None:
    rng = random.Random(SEED)
    lines = [
        f"# synthetic: y = {B1:g} (1 - exp(-{B2:g} x)) plus Gaussian noise of standard "
        f"deviation {NOISE:g} (make_run7.py, seed {SEED})",
        "x,y",
    ]
    for k in range(1, N + 1):
        x = STEP * k
        y = B1 * (1.0 - math.exp(-B2 * x)) + rng.gauss(0.0, NOISE)
        lines.append(f"{x:g},{y:.6g}")
    out = Path(__file__).with_name("run7.csv")
    out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

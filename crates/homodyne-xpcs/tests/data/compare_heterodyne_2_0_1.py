"""The older package heterodyne 2.0.1 against the xpcsjax 0.1.8 reference grids.

The issue asks for reference grids computed by xpcsjax, "and by heterodyne 2.0.1 where they
differ". This script evaluates heterodyne 2.0.1's compute_c2_heterodyne on every case of
heterodyne_reference.json (made by make_heterodyne_reference.py with xpcsjax) and prints the
largest relative difference per case. Run it from the repository root with heterodyne
2.0.1 importable (`pip install heterodyne==2.0.1` into a venv with JAX, or its source on
PYTHONPATH):

    nice -n 19 target/pyvenv-xpcsjax/bin/python \
        crates/homodyne-xpcs/tests/data/compare_heterodyne_2_0_1.py

Result (2026-12-07, heterodyne 2.0.1, jax 0.12.1): 0.0 on all five cases: the same bits,
so one reference file serves both packages and tests/heterodyne.rs checks it.

Where they differ: heterodyne 2.0.1 clips the fraction's exponent f1 (t - f2) at 500,
xpcsjax at 700 (safe_exp). The fractions differ only where that exponent lies above 500
and f0 e^500 is not already far above 1, i.e. f0 < ~1e-217: the last case below, built to
show it (f0 = 1e-240, f1 = 10, f2 = -55, so the exponent is 551 to 570), where xpcsjax's
sample fraction reaches the smooth clip at 1 and heterodyne 2.0.1's stays at f3. homodyne
follows xpcsjax. (The registries differ too: heterodyne 2.0.1's defaults and bounds are not
xpcsjax's, e.g. v_beta defaults to 0; see docs/heterodyne.md for those homodyne uses.)
"""

import json
import os
from pathlib import Path

os.environ["JAX_ENABLE_X64"] = "1"
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
import numpy as np  # noqa: E402
from heterodyne.core.jax_backend import compute_c2_heterodyne as heterodyne_c2  # noqa: E402

REFERENCE = Path(__file__).with_name("heterodyne_reference.json")


def grid(c2_of, params, t, q, dt, phi, contrast, offset):
    return np.stack(
        [np.asarray(c2_of(params, t, q, dt, p, c, o)) for p, c, o in zip(phi, contrast, offset)]
    )


def main():
    reference = json.loads(REFERENCE.read_text())
    for case in reference["cases"]:
        t = np.array(case["t"])
        c2 = np.array(case["c2"]).reshape(len(case["phi_deg"]), len(t), len(t))
        older = grid(
            heterodyne_c2, np.array(case["params"]), t, case["q"], case["dt"],
            case["phi_deg"], case["contrast"], case["offset"],
        )
        print(f"{case['name']:<16} max relative difference {np.max(np.abs(older - c2) / np.abs(c2)):.3g}")
    try:
        from xpcsjax.core.heterodyne_jax_backend import compute_c2_heterodyne as xpcsjax_c2
    except ImportError:
        print("xpcsjax not importable: the case where the two differ is not computed")
        return
    params = np.array(
        [50.0, 0.4, 5.0, 300.0, 1.3, -20.0, 400.0, 0.7, -3.0, 1e-240, 10.0, -55.0, 0.3, 4.0]
    )
    t = 0.1 * np.arange(1, 21)
    args = (params, t, 0.0237, 0.1, [0.0], [0.3], [1.0])
    newer, older = grid(xpcsjax_c2, *args), grid(heterodyne_c2, *args)
    print(
        "f1 (t - f2) in [551, 570], f0 = 1e-240: max relative difference "
        f"{np.max(np.abs(older - newer) / np.abs(newer)):.3g} (xpcsjax clips at 700, "
        "heterodyne 2.0.1 at 500)"
    )


if __name__ == "__main__":
    main()

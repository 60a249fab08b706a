"""Reference values of xpcsjax 0.1.8's heterodyne (two_component) c2, for tests/heterodyne.rs.

Run (from the repository root, with xpcsjax installed in a virtual environment):

    nice -n 19 target/pyvenv-xpcsjax/bin/python \
        crates/homodyne-xpcs/tests/data/make_heterodyne_reference.py

Writes crates/homodyne-xpcs/tests/data/heterodyne_reference.json: for each case the 14
physical parameters (registry order), the frame times t, dt, q, the angles (degrees), each
angle's contrast and offset, and c2 of every angle, row and column (angle-major, then row
t1, then column t2), computed in float64 by xpcsjax's own compute_c2_heterodyne (the
meshgrid kernel every xpcsjax heterodyne path evaluates).

Cases:
  default         registry defaults, t = dt (1..N)  (the fit's grid, t_start = dt)
  default_t0      registry defaults, t = dt (0..N-1) (t = 0: t^e = 0 for every e)
  registry_random uniform in the registry bounds (seed 20261207): rates floored, huge D0
  moderate        every term O(1), x_s from 0.52 to the smooth clip at 1
  random_o1       a seeded draw in ranges where every term is O(1), 3 angles, another
                  dt, q and frame count
"""

import json
import os
from pathlib import Path

os.environ["JAX_ENABLE_X64"] = "1"
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import xpcsjax  # noqa: E402
from xpcsjax.config.parameter_registry import get_param_names, get_registry  # noqa: E402
from xpcsjax.core.heterodyne_jax_backend import compute_c2_heterodyne  # noqa: E402

OUT = Path(__file__).with_name("heterodyne_reference.json")

names = list(get_param_names("two_component"))
reg = get_registry()
info = [reg.get_param_info(n) for n in names]
default = np.array([i.default for i in info], dtype=np.float64)
lower = np.array([i.lower_bound for i in info], dtype=np.float64)
upper = np.array([i.upper_bound for i in info], dtype=np.float64)

registry_random = lower + np.random.default_rng(20261207).random(len(names)) * (upper - lower)
moderate = np.array(
    [50.0, 0.4, 5.0, 300.0, 1.3, -20.0, 400.0, 0.7, -3.0, 0.45, 0.8, 1.0, 0.3, 4.0],
    dtype=np.float64,
)
# Ranges where every term of the model is O(1) at q ~ 0.03 over ~1 s.
o1_low = np.array([10, -0.5, -20, 10, -0.5, -20, 100, 0.3, -10, 0.2, -1, -1, 0.0, -10.0])
o1_high = np.array([300, 1.5, 20, 300, 1.5, 20, 800, 1.5, 10, 0.6, 1, 1, 0.4, 10.0])
random_o1 = o1_low + np.random.default_rng(7).random(len(names)) * (o1_high - o1_low)

N, DT, Q = 20, 0.1, 0.0237
two = dict(phi=[0.0, 60.0], contrast=[0.3, 0.25], offset=[1.0, 1.02])
cases = [
    ("default", default, DT * np.arange(1, N + 1), DT, Q, two),
    ("default_t0", default, DT * np.arange(0, N), DT, Q, two),
    ("registry_random", registry_random, DT * np.arange(1, N + 1), DT, Q, two),
    ("moderate", moderate, DT * np.arange(1, N + 1), DT, Q, two),
    (
        "random_o1",
        random_o1,
        0.05 * np.arange(1, 25),
        0.05,
        0.031,
        dict(phi=[-30.0, 45.0, 120.0], contrast=[0.2, 0.35, 0.28], offset=[0.98, 1.0, 1.05]),
    ),
]

out = dict(
    xpcsjax_version=xpcsjax.__version__,
    jax_version=jax.__version__,
    param_names=names,
    lower=lower.tolist(),
    upper=upper.tolist(),
    defaults=default.tolist(),
    cases=[],
)
for name, params, t, dt, q, angles in cases:
    t = np.asarray(t, dtype=np.float64)
    c2 = []
    for phi, contrast, offset in zip(angles["phi"], angles["contrast"], angles["offset"]):
        m = compute_c2_heterodyne(
            jnp.asarray(params), jnp.asarray(t), q, dt, float(phi), float(contrast), float(offset)
        )
        assert m.dtype == jnp.float64, m.dtype
        c2.append(np.asarray(m))
    c2 = np.stack(c2)
    print(f"{name:16s} {c2.shape} c2 in [{c2.min():.6f}, {c2.max():.6f}]")
    out["cases"].append(
        dict(
            name=name,
            params=params.tolist(),
            t=t.tolist(),
            dt=dt,
            q=q,
            phi_deg=angles["phi"],
            contrast=angles["contrast"],
            offset=angles["offset"],
            c2=c2.reshape(-1).tolist(),
        )
    )
OUT.write_text(json.dumps(out, separators=(",", ":")) + "\n")
print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")

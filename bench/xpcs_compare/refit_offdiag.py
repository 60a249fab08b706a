#!/usr/bin/env python3
"""Reference minimum of a bench dataset without the diagonal: scipy least_squares on the
physical parameters, the per-angle contrast and offset solved linearly at every step
(variable projection), residuals off the diagonal only (what the package's >= 1M-point
stratified path minimises; the diagonal holds the loader's neighbour means, not data at
lag 0). The model is the package's compute_g2_scaled on the CLI grid (t = 0 dropped).

    target/pyvenv-homodyne/bin/python bench/xpcs_compare/refit_offdiag.py CASE START_JSON
"""
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import h5py  # noqa: E402
import numpy as np  # noqa: E402
from scipy.optimize import least_squares  # noqa: E402

import homodyne  # noqa: E402,F401
import jax.numpy as jnp  # noqa: E402
from homodyne.core import physics_nlsq  # noqa: E402

root = Path(__file__).resolve().parents[2]
case = sys.argv[1]
x0 = np.array(json.loads(sys.argv[2]), dtype=float)
info = json.loads((root / "target/bench-xpcs/data" / f"{case}_truth.json").read_text())
with h5py.File(root / "target/bench-xpcs/data" / f"{case}.h5") as f:
    g = f["xpcs/twotime/correlation_map"]
    mats = [g[k][()] for k in sorted(g.keys())]
N = info["frames_in_file"]
t = jnp.asarray(np.linspace(0.0, info["dt"] * (N - 1), N)[1:])
off = ~np.eye(N - 1, dtype=bool)
ys = []
for h in mats:
    full = h + h.T
    full[np.diag_indices_from(full)] /= 2
    ys.append(full[1:, 1:][off])  # the diagonal is not used, so its correction is moot
scale = np.where(x0 != 0, np.abs(x0), 1.0)


def resid(u):
    p = u * scale
    out = []
    for k, phi in enumerate(info["phi"]):
        gk = np.asarray(physics_nlsq.compute_g2_scaled(
            params=jnp.asarray(p), t1=t, t2=t, phi=jnp.array([phi]), q=info["q"],
            L=info["L"], contrast=1.0, offset=0.0, dt=info["dt"]))[0][off]
        A = np.stack([gk, np.ones_like(gk)], axis=1)
        sol, *_ = np.linalg.lstsq(A, ys[k], rcond=None)
        out.append(ys[k] - A @ sol)
    return np.concatenate(out)


t0 = time.time()
r = least_squares(resid, x0 / scale, method="trf", x_scale="jac", xtol=1e-10, ftol=1e-14, gtol=1e-12, diff_step=1e-7)
p = r.x * scale
J = r.jac / scale
chi2 = float(r.fun @ r.fun)
dof = r.fun.size - p.size - 2 * len(info["phi"])
cov = np.linalg.inv(J.T @ J) * chi2 / dof
names = list(info["truth"].keys())
res = {"case": case, "start": x0.tolist(), "status": int(r.status), "nfev": int(r.nfev),
       "seconds": time.time() - t0, "chi2_offdiag": chi2,
       "params": {n: {"value": float(v), "uncertainty": float(np.sqrt(cov[i, i])),
                      "truth": info["truth"][n]} for i, (n, v) in enumerate(zip(names, p))}}
print(json.dumps(res, indent=1))

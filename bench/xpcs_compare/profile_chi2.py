#!/usr/bin/env python3
"""Profiled chi-squared of physical parameter sets on a bench dataset, computed with the
package's own loader semantics and model, to judge whether a fit reached the minimum.

    target/pyvenv-homodyne/bin/python bench/xpcs_compare/profile_chi2.py CASE NAME=JSON ...

CASE is laminar_3x500 or static_3x600 (data in target/bench-xpcs/data). Each NAME=JSON is
a JSON list of physical parameters ([D0, alpha, D_offset(, gamma_dot_t0, beta,
gamma_dot_t_offset, phi0)]). For each set: c2 is read as the package's loader and CLI
do (h + h^T with the diagonal halved, the diagonal replaced by the mean of its neighbours,
then t = 0 dropped), g = compute_g2_scaled(contrast 1, offset 0) on the CLI grid, and per
angle the contrast and offset minimising the sum of squares off the diagonal are solved
for (linear least squares); printed: that sum (chi-squared with sigma = 1), the per-angle
contrasts/offsets. Data-only, no fitting.
"""
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import h5py  # noqa: E402
import numpy as np  # noqa: E402

import homodyne  # noqa: E402,F401
import jax.numpy as jnp  # noqa: E402
from homodyne.core import physics_nlsq  # noqa: E402

root = Path(__file__).resolve().parents[2]
case = sys.argv[1]
info = json.loads((root / "target/bench-xpcs/data" / f"{case}_truth.json").read_text())
with h5py.File(root / "target/bench-xpcs/data" / f"{case}.h5") as f:
    g = f["xpcs/twotime/correlation_map"]
    mats = [g[k][()] for k in sorted(g.keys())]
c2 = []
for h in mats:
    full = h + h.T
    full[np.diag_indices_from(full)] /= 2
    n = full.shape[0]
    side = 0.5 * (full[np.arange(n - 1), np.arange(1, n)] + full[np.arange(1, n), np.arange(n - 1)])
    d = np.concatenate([side[:1], 0.5 * (side[:-1] + side[1:]), side[-1:]])
    full[np.diag_indices_from(full)] = d  # loader: corrected on the full grid
    c2.append(full[1:, 1:])  # CLI: then t = 0 dropped
c2 = np.array(c2)
N = info["frames_in_file"]
t = np.linspace(0.0, info["dt"] * (N - 1), N)[1:]
off = ~np.eye(len(t), dtype=bool)
for arg in sys.argv[2:]:
    name, js = arg.split("=", 1)
    phys = jnp.asarray(json.loads(js), dtype=jnp.float64)
    tot = 0.0
    tot_all = 0.0
    tot_raw = 0.0
    cs, os_ = [], []
    for k, phi in enumerate(info["phi"]):
        gk = np.asarray(physics_nlsq.compute_g2_scaled(
            params=phys, t1=jnp.asarray(t), t2=jnp.asarray(t), phi=jnp.array([phi]),
            q=info["q"], L=info["L"], contrast=1.0, offset=0.0, dt=info["dt"]))[0]
        A = np.stack([gk[off], np.ones(off.sum())], axis=1)
        y = c2[k][off]
        sol, *_ = np.linalg.lstsq(A, y, rcond=None)
        r = y - A @ sol
        tot += float(r @ r)
        # all points, the model's diagonal corrected as the data's (package standard path)
        gd = gk.copy()
        n = gd.shape[0]
        sd = 0.5 * (gd[np.arange(n - 1), np.arange(1, n)] + gd[np.arange(1, n), np.arange(n - 1)])
        gd[np.diag_indices_from(gd)] = np.concatenate([sd[:1], 0.5 * (sd[:-1] + sd[1:]), sd[-1:]])
        A2 = np.stack([gd.ravel(), np.ones(gd.size)], axis=1)
        y2 = c2[k].ravel()
        sol2, *_ = np.linalg.lstsq(A2, y2, rcond=None)
        r2 = y2 - A2 @ sol2
        tot_all += float(r2 @ r2)
        # all points, the model's diagonal as computed (lag 0), the data's corrected
        A3 = np.stack([gk.ravel(), np.ones(gk.size)], axis=1)
        sol3, *_ = np.linalg.lstsq(A3, y2, rcond=None)
        r3 = y2 - A3 @ sol3
        tot_raw += float(r3 @ r3)
        cs.append(float(sol[0]))
        os_.append(float(sol[1]))
    print(f"{name:>10}: chi2_offdiag = {tot:.6f}  chi2_all_diagcorr = {tot_all:.6f}  chi2_all_rawdiag = {tot_raw:.6f}  contrast = {np.round(cs, 5).tolist()}  offset = {np.round(os_, 5).tolist()}")

#!/usr/bin/env python3
"""Reference c2 values computed by the Python `homodyne` package itself.

Run from the workspace root with the venv that has the package installed:

    target/pyvenv-homodyne/bin/python crates/homodyne-xpcs/tests/data/make_reference.py

Writes crates/homodyne-xpcs/tests/data/reference_compat.json.

Package: homodyne == 2.23.3 (PyPI), JAX float64 (the package sets
JAX_ENABLE_X64=1 in homodyne/__init__.py before JAX is imported; this script
imports homodyne first and asserts jax_enable_x64 is on).

Functions called (all from the installed package, nothing re-implemented):

  * c2 (the value the NLSQ model is built from):
        homodyne.core.physics_nlsq.compute_g2_scaled(
            params=physical, t1=t, t2=t, phi=jnp.array([phi_k]),
            q=q, L=L, contrast=contrast_k, offset=offset_k, dt=dt)
    called once per angle with that angle's contrast/offset, exactly as the
    NLSQ wrapper's grid model does (homodyne/optimization/nlsq/wrapper.py
    lines 3263-3282: vmap over (phi, contrast, offset) of this function).
    `t` is a 1-D time vector; the function builds the (ij) meshgrid itself.
  * c2_diag_corrected: the same c2 passed through
        homodyne.core.jax_backend.apply_diagonal_correction   (per angle)
    which is what the NLSQ "standard" (< 100k points) model function returns
    before indexing (wrapper.py lines 3285-3289).
  * g1: homodyne.core.physics_nlsq._compute_g1_total_meshgrid(params, T1, T2,
    phi, 0.5*q**2*dt, 0.5/pi*q*L*dt, dt) with T1, T2 = meshgrid(t, t, 'ij') --
    the g1 (after the 1e-10 floor) that c2 = offset + contrast*g1**2 uses.

Checks recorded in the JSON ("checks"):
  * homodyne.core.jax_backend.compute_g2_scaled gives the same numbers as
    physics_nlsq.compute_g2_scaled (max |diff| stored; expected 0).
  * The wrapper's own model function, NLSQWrapper()._create_residual_function
    (non-stratified data object), evaluated on the full index range, equals
    c2_diag_corrected (max |diff| stored; expected 0).
  * An independent NumPy transcription of the formulas in
    docs/xpcs.md (the package's form) -- NOT used as reference, only
    to confirm the description; max relative diff stored.

Layouts stored per case:
  * "physical_params": [D0, alpha, D_offset] (static) or
    [D0, alpha, D_offset, gamma_dot_t0, beta, gamma_dot_t_offset, phi0]
    (laminar_flow), the order of params[0..] in compute_g2_scaled.
  * "params_individual_layout": the NLSQ optimizer vector in per-angle
    ("individual") layout [contrast_0..contrast_{n-1}, offset_0..offset_{n-1},
    physical...] (wrapper.py lines 3197-3201).
  * "contrast", "offset": per-angle values used, in phi order.
  * arrays are nested lists indexed [phi][i][j] with i -> t1 = t[i],
    j -> t2 = t[j]; every float is written with Python's repr (shortest
    string that round-trips exactly to the same float64).
  * "t": the exact time vector passed in. "t_grid" says how it was built:
      "loader"  = numpy.linspace(0, dt*(N-1), N)        (xpcs_loader.py 1641-1642)
      "cli_fit" = numpy.linspace(0, dt*N, N+1)[1:]      (the CLI drops t=0 before
                  the fit: cli/data_pipeline.py _exclude_t0_from_analysis)
    linspace values can differ from k*dt in the last bit; use "t" as given.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import homodyne  # noqa: F401, E402  (must come before jax: sets JAX_ENABLE_X64=1)
import jax
import jax.numpy as jnp
import numpy as np

from homodyne._version import __version__ as HOMODYNE_VERSION
from homodyne.core import jax_backend, physics_nlsq
from homodyne.core.jax_backend import apply_diagonal_correction

assert jax.config.jax_enable_x64, "JAX x64 must be enabled"

OUT = Path(__file__).resolve().parent / "reference_compat.json"

STATIC_NAMES = ["D0", "alpha", "D_offset"]
LAMINAR_NAMES = [
    "D0",
    "alpha",
    "D_offset",
    "gamma_dot_t0",
    "beta",
    "gamma_dot_t_offset",
    "phi0",
]


def time_grid(kind: str, dt: float, n_t: int) -> np.ndarray:
    if kind == "loader":
        return np.linspace(0, dt * (n_t - 1), n_t)
    if kind == "cli_fit":
        # loader grid with N = n_t + 1 frames, then t=0 dropped
        return np.linspace(0, dt * n_t, n_t + 1)[1:]
    raise ValueError(kind)


def to_list(a: np.ndarray) -> list:
    a = np.asarray(a, dtype=np.float64)
    assert np.all(np.isfinite(a)), "non-finite value in reference"
    return a.tolist()  # python floats -> json writes repr (exact round trip)


# --------------------------------------------------------------------------
# XPCS.md compat form, NumPy transcription (verification only)
# --------------------------------------------------------------------------
def xpcs_md_compat(phys, t, phis, q, L, dt, contrast, offset):
    t = np.asarray(t, dtype=np.float64)
    dt_inf = abs(t[min(1, len(t) - 1)] - t[0])
    eps = dt_inf * 0.5 if dt_inf * 0.5 > 1e-8 else 1e-8
    ts = np.where(t > eps, t, eps)

    def integ(f):
        c = np.concatenate([[0.0], np.cumsum(0.5 * (f[:-1] + f[1:]))])
        d = c[:, None] - c[None, :]
        return np.sqrt(d * d + 1e-12)

    D = phys[0] * ts ** phys[1] + phys[2]
    D = np.where(D > 1e-10, D, 1e-10)
    gD = np.exp(np.clip(-(0.5 * q * q * dt) * integ(D), -700.0, 0.0))
    out = []
    for k, ph in enumerate(phis):
        if len(phys) >= 7:
            G = phys[3] * ts ** phys[4] + phys[5]
            G = np.where(G > 1e-10, G, 1e-10)
            x = (0.5 / math.pi * q * L * dt) * math.cos(math.radians(phys[6] - ph)) * integ(G)
            x2 = x * x
            with np.errstate(invalid="ignore", divide="ignore"):
                far = np.sin(x) / np.where(np.abs(x) > 1e-12, x, 1.0)
            s = np.where(np.abs(x) < 1e-4, 1.0 - x2 / 6.0 + x2 * x2 / 120.0, far)
            gS = s * s
        else:
            gS = 1.0
        g1 = gD * gS
        g1 = np.where(g1 > 1e-10, g1, 1e-10)
        out.append(offset[k] + contrast[k] * g1 * g1)
    return np.array(out)


# --------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------
Q0 = 0.0054  # package default wavevector_q
L0 = 2.0e6  # package default stator_rotor_gap

PHI4 = [0.0, 45.0, 90.0, 135.0]
C4 = [0.3, 0.25, 0.2, 0.35]
O4 = [1.0, 0.98, 1.02, 1.01]
C3 = [0.28, 0.22, 0.31]
O3 = [1.0, 1.03, 0.97]

CASES = [
    # ---------------- static ----------------
    dict(
        name="static_registry_defaults",
        mode="static",
        note="ParameterRegistry defaults D0=1000, alpha=0.5, D_offset=10",
        dt=0.1, n_t=10, t_grid="loader", q=Q0, L=L0,
        phi=PHI4, contrast=C4, offset=O4,
        physical=[1000.0, 0.5, 10.0],
    ),
    dict(
        name="static_nlsq_defaults_negative_alpha",
        mode="static",
        note="NLSQ default start D0=1e4, alpha=-1.5, D_offset=0 (t=0 -> dt/2 floor matters)",
        dt=0.1, n_t=12, t_grid="loader", q=Q0, L=L0,
        phi=[-30.0, 0.0, 60.0], contrast=C3, offset=O3,
        physical=[10000.0, -1.5, 0.0],
    ),
    dict(
        name="static_negative_D_offset_dt_1ms",
        mode="static",
        note="dt=0.001 (template default), alpha<0, D_offset<0",
        dt=0.001, n_t=11, t_grid="loader", q=Q0, L=L0,
        phi=PHI4, contrast=C4, offset=O4,
        physical=[50000.0, -0.8, -500.0],
    ),
    dict(
        name="static_rate_floor",
        mode="static",
        note="D0*t^alpha + D_offset < 0 for t <= 0.3: rate floored at 1e-10 there (q=0.02)",
        dt=0.1, n_t=9, t_grid="loader", q=0.02, L=L0,
        phi=[10.0, 100.0, -170.0], contrast=C3, offset=O3,
        physical=[5000.0, 1.5, -900.0],
    ),
    dict(
        name="static_exp_clip_and_g1_floor",
        mode="static",
        note="large q: -q^2 dt M/2 < -700 -> clipped, g1 floored at 1e-10",
        dt=0.1, n_t=10, t_grid="loader", q=0.2, L=L0,
        phi=[0.0, 90.0, 180.0], contrast=C3, offset=O3,
        physical=[100000.0, 0.3, 1000.0],
    ),
    dict(
        name="static_cli_fit_grid",
        mode="static",
        note="time grid as the CLI fits it (t=0 removed: t starts at dt)",
        dt=0.1, n_t=10, t_grid="cli_fit", q=Q0, L=L0,
        phi=PHI4, contrast=C4, offset=O4,
        physical=[10000.0, -1.5, 0.0],
    ),
    # ---------------- laminar_flow ----------------
    dict(
        name="laminar_registry_defaults_perp_exact",
        mode="laminar_flow",
        note="registry defaults; phi=-90 and phi=90 give phi0-phi = +/-90 exactly",
        dt=0.1, n_t=10, t_grid="loader", q=Q0, L=L0,
        phi=[-90.0, 0.0, 30.0, 90.0], contrast=C4, offset=O4,
        physical=[1000.0, 0.5, 10.0, 0.01, 0.5, 0.0, 0.0],
    ),
    dict(
        name="laminar_nlsq_defaults",
        mode="laminar_flow",
        note="NLSQ default start (gamma_dot_t0=1e-3, beta=gamma_dot_t_offset=phi0=0)",
        dt=0.1, n_t=12, t_grid="loader", q=Q0, L=L0,
        phi=[-45.0, 0.0, 45.0], contrast=C3, offset=O3,
        physical=[10000.0, -1.5, 0.0, 0.001, 0.0, 0.0, 0.0],
    ),
    dict(
        name="laminar_negative_beta_near_perp",
        mode="laminar_flow",
        note="phi0=5.5; phi=-84.4999995 -> phi0-phi within 1e-6 deg of 90; phi=-84.5 exact 90",
        dt=0.1, n_t=10, t_grid="loader", q=Q0, L=L0,
        phi=[-84.4999995, -84.5, 0.0, 40.0], contrast=C4, offset=O4,
        physical=[20000.0, -0.5, 300.0, 0.05, -0.7, -0.002, 5.5],
    ),
    dict(
        name="laminar_tiny_shear_series_branch",
        mode="laminar_flow",
        note="dt=1e-3, gamma_dot_t0=2e-5, beta=0: |x| < 1e-4 (series branch) for |i-j| <= 2",
        dt=0.001, n_t=10, t_grid="loader", q=Q0, L=L0,
        phi=[0.0, 60.0, 89.9999995, 120.0], contrast=C4, offset=O4,
        physical=[1000.0, 0.5, 10.0, 2.0e-5, 0.0, 0.0, 0.0],
    ),
    dict(
        name="laminar_minimal_shear_all_series",
        mode="laminar_flow",
        note="gamma_dot_t0 at lower bound 1e-6, dt=1e-3: every |x| < 1e-4",
        dt=0.001, n_t=8, t_grid="loader", q=Q0, L=L0,
        phi=[-10.0, 0.0, 10.0], contrast=C3, offset=O3,
        physical=[500.0, 1.0, 0.0, 1.0e-6, 0.0, 0.0, -3.0],
    ),
    dict(
        name="laminar_strong_shear",
        mode="laminar_flow",
        note="upper-bound shear: large phase, sinc zeros, g1 floor",
        dt=0.1, n_t=11, t_grid="loader", q=Q0, L=L0,
        phi=[-60.0, -10.0, 30.0], contrast=C3, offset=O3,
        physical=[300.0, 1.2, -50.0, 0.5, 1.0, 0.1, -10.0],
    ),
    dict(
        name="laminar_cli_fit_grid_gap_1mm",
        mode="laminar_flow",
        note="CLI fit grid (t starts at dt), L=1e7, beta<0 with negative offset",
        dt=0.1, n_t=10, t_grid="cli_fit", q=0.004, L=1.0e7,
        phi=[-90.0, -45.0, 0.0, 45.0], contrast=C4, offset=O4,
        physical=[2000.0, 0.2, 50.0, 0.002, -1.2, -0.0005, 2.0],
    ),
]


def wrapper_model_check(case, t, c2_diag):
    """Evaluate the NLSQ wrapper's own model function (standard path)."""
    from homodyne.optimization.nlsq.wrapper import NLSQWrapper

    class Data:  # non-stratified data object, as fit_nlsq_jax builds it
        pass

    d = Data()
    d.phi = np.asarray(case["phi"], dtype=np.float64)
    d.t1 = np.asarray(t)
    d.t2 = np.asarray(t)
    d.g2 = np.ones((len(case["phi"]), len(t), len(t)))
    d.sigma = 0.01 * np.ones_like(d.g2)
    d.q = case["q"]
    d.L = case["L"]
    d.dt = case["dt"]
    w = NLSQWrapper(enable_large_dataset=True, enable_recovery=True)
    mode = "static" if case["mode"] == "static" else "laminar_flow"
    fn = w._create_residual_function(d, mode, True)
    # the model sorts angles (phi_unique = np.unique(phi)); map back
    order = np.argsort(d.phi)
    c = np.asarray(case["contrast"])[order]
    o = np.asarray(case["offset"])[order]
    params = [*c, *o, *case["physical"]]
    x = np.arange(d.g2.size, dtype=np.int64)
    y = np.asarray(fn(x, *[jnp.float64(p) for p in params]))
    y = y.reshape(d.g2.shape)
    inv = np.empty_like(order)
    inv[order] = np.arange(len(order))
    y = y[inv]
    return float(np.max(np.abs(y - c2_diag)))


def run_case(case):
    dt = case["dt"]
    q = case["q"]
    L = case["L"]
    t = time_grid(case["t_grid"], dt, case["n_t"])
    assert len(t) == case["n_t"]
    phys = jnp.asarray(case["physical"], dtype=jnp.float64)
    tj = jnp.asarray(t, dtype=jnp.float64)
    T1, T2 = jnp.meshgrid(tj, tj, indexing="ij")
    wq = 0.5 * (q**2) * dt
    sp = 0.5 / physics_nlsq.PI * q * L * dt

    c2, c2b, c2d, g1 = [], [], [], []
    for k, ph in enumerate(case["phi"]):
        phi_arr = jnp.asarray([ph], dtype=jnp.float64)
        a = physics_nlsq.compute_g2_scaled(
            params=phys, t1=tj, t2=tj, phi=phi_arr, q=q, L=L,
            contrast=case["contrast"][k], offset=case["offset"][k], dt=dt,
        )
        assert a.dtype == jnp.float64 and a.shape == (1, len(t), len(t))
        b = jax_backend.compute_g2_scaled(
            phys, tj, tj, phi_arr, q, L, case["contrast"][k], case["offset"][k], dt,
        )
        g = physics_nlsq._compute_g1_total_meshgrid(phys, T1, T2, phi_arr, wq, sp, dt)
        c2.append(np.asarray(a[0]))
        c2b.append(np.asarray(b).reshape(len(t), len(t)))
        c2d.append(np.asarray(apply_diagonal_correction(a[0])))
        g1.append(np.asarray(g[0]))
    c2 = np.array(c2)
    c2b = np.array(c2b)
    c2d = np.array(c2d)
    g1 = np.array(g1)

    md = xpcs_md_compat(
        np.asarray(case["physical"]), t, case["phi"], q, L, dt,
        case["contrast"], case["offset"],
    )
    checks = {
        "max_abs_diff_jax_backend_compute_g2_scaled": float(np.max(np.abs(c2 - c2b))),
        "max_abs_diff_wrapper_model_function_vs_c2_diag_corrected": wrapper_model_check(case, t, c2d),
        "max_rel_diff_numpy_transcription_of_XPCS_md": float(np.max(np.abs(md - c2) / np.abs(c2))),
    }
    # sinc argument statistics (laminar) -- informative only
    info = {}
    if case["mode"] == "laminar_flow":
        G = np.asarray(jax_backend._calculate_shear_rate_impl_jax(
            tj, phys[3], phys[4], phys[5]))
        M = np.asarray(physics_nlsq._create_time_integral_matrix_impl_jax(jnp.asarray(G)))
        xs = []
        for ph in case["phi"]:
            x = sp * float(np.cos(np.deg2rad(case["physical"][6] - ph))) * M
            xs.append(int(np.sum(np.abs(x) < 1e-4)))
        info["points_in_series_branch_per_phi"] = xs
        info["cos_phi0_minus_phi"] = [
            float(np.cos(np.deg2rad(case["physical"][6] - ph))) for ph in case["phi"]
        ]
    n = len(case["phi"])
    names = STATIC_NAMES if case["mode"] == "static" else LAMINAR_NAMES
    out = {
        "name": case["name"],
        "note": case["note"],
        "mode": case["mode"],
        "dt": dt,
        "n_t": case["n_t"],
        "t_grid": case["t_grid"],
        "t": to_list(t),
        "q": q,
        "L": L,
        "phi": list(case["phi"]),
        "physical_param_names": names,
        "physical_params": list(case["physical"]),
        "params_individual_layout": list(case["contrast"]) + list(case["offset"]) + list(case["physical"]),
        "contrast": list(case["contrast"]),
        "offset": list(case["offset"]),
        "n_phi": n,
        "sinc_prefactor": sp,
        "wavevector_q_squared_half_dt": wq,
        "g1": to_list(g1),
        "c2": to_list(c2),
        "c2_diag_corrected": to_list(c2d),
        "checks": checks,
    }
    out.update(info)
    return out


def main() -> int:
    results = []
    for case in CASES:
        r = run_case(case)
        print(f"{r['name']:45s} {r['checks']}", flush=True)
        results.append(r)
    doc = {
        "description": (
            "c2 reference values computed by the Python homodyne package "
            "(homodyne.core.physics_nlsq.compute_g2_scaled), float64. "
            "See make_reference.py docstring for the exact calls and layouts."
        ),
        "generator": "crates/homodyne-xpcs/tests/data/make_reference.py",
        "homodyne_version": HOMODYNE_VERSION,
        "jax_version": jax.__version__,
        "numpy_version": np.__version__,
        "jax_enable_x64": bool(jax.config.jax_enable_x64),
        "python": sys.version.split()[0],
        "array_index_order": "[phi][i][j], i -> t1 = t[i], j -> t2 = t[j]",
        "c2_formula_in_package": (
            "c2 = offset + contrast * g1**2, g1 = max(g1_D * sinc(x)**2, 1e-10) "
            "(where-floor), g1_D = exp(clip(-0.5*q^2*dt*M_D, -700, 0)), "
            "x = (0.5/pi*q*L*dt) * cos(deg2rad(phi0-phi)) * M_G"
        ),
        "cases": results,
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    size = OUT.stat().st_size
    print(f"wrote {OUT} ({size/1024:.1f} KiB)")
    bad = [
        r["name"]
        for r in results
        if r["checks"]["max_abs_diff_jax_backend_compute_g2_scaled"] != 0.0
        or r["checks"]["max_abs_diff_wrapper_model_function_vs_c2_diag_corrected"] > 1e-15
    ]
    if bad:
        print("WARNING: package-internal cross-checks differ for:", bad)
    return 0


if __name__ == "__main__":
    sys.exit(main())

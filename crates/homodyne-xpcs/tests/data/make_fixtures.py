#!/usr/bin/env python3
"""Small APS HDF5 fixtures and what the Python `homodyne` loader makes of them.

Run from the workspace root with the venv that has the package installed:

    target/pyvenv-homodyne/bin/python crates/homodyne-xpcs/tests/data/make_fixtures.py

Package: homodyne == 2.23.3 (PyPI). Everything the loader writes (NPZ cache,
phi_angles_list.txt, wavevector_q_list.txt) goes to temporary directories; the
fixtures are copied there before loading.

Files written next to this script
---------------------------------
aps_u_fixture.h5   APS-U layout, read by XPCSDataLoader._load_aps_u_format
                   (homodyne/data/xpcs_loader.py lines 1047-1214):
    xpcs/qmap/dynamic_v_list_dim0   float64 (2,)   q values [1/A]
    xpcs/qmap/dynamic_v_list_dim1   float64 (3,)   phi values [deg] (one > 180)
    xpcs/twotime/processed_bins     int64   (5,)   1-based bins [1,2,3,4,6]
                                    (bin 5 = q index 1, phi index 1 is absent);
                                    b = bin-1, q_idx = b // 3, phi_idx = b % 3
    xpcs/twotime/correlation_map/   group, 5 datasets c2_00001, c2_00002,
                                    c2_00003, c2_00004, c2_00006, each float32
                                    (12, 12), upper triangle incl. diagonal,
                                    zeros below. The loader pairs the i-th
                                    processed bin with the i-th key of
                                    sorted(group.keys()) (position, not name).
aps_old_fixture.h5 older APS layout, read by XPCSDataLoader._load_aps_old_format
                   (xpcs_loader.py lines 879-1044):
    xpcs/dqlist                     float64 (1, 12) q of each matrix
    xpcs/dphilist                   float64 (1, 12) phi of each matrix
    exchange/C2T_all/               group, 12 datasets c2_00001..c2_00012,
                                    float64 (12, 12) upper triangle incl.
                                    diagonal; the loader takes the i-th entry
                                    of list(group.keys()) (h5py name order).
    4 q rings x 3 phi (q = 0.0030, 0.0054, 0.0040, 0.0051, each plus a
    per-phi offset of 0, +2e-6, -1e-6 so that all 12 q values differ;
    phi = -20, 0, 30) so that both old-format q-selection branches are
    exercised (see below). (2 q x 3 phi would always return all 6 matrices.)

Loader call (for every expected file)
-------------------------------------
    from homodyne.data.xpcs_loader import XPCSDataLoader
    loader = XPCSDataLoader(config_dict={
        "analysis_mode": "static",
        "experimental_data": {"data_folder_path": TMP, "data_file_name": NAME,
                              "cache_file_path": TMP, "phi_angles_path": TMP},
        "analyzer_parameters": {"dt": 0.1, "start_frame": 2, "end_frame": 11,
                                "scattering": {"wavevector_q": Q_TARGET}},
    })
    data = loader.load_experimental_data()      # first call: from HDF5
    data2 = loader.load_experimental_data()     # second call: from NPZ cache
(a fresh TMP per call pair: the default cache name
"cached_c2_frames_${start_frame}_${end_frame}.npz" does not contain q).
Then the CLI pre-fit steps, also package code:
    homodyne.cli.data_pipeline._apply_angle_filtering_for_optimization(data, cm)
    homodyne.cli.data_pipeline._exclude_t0_from_analysis(...)
with cm = homodyne.config.manager.ConfigManager(config_override=<same dict>).

Expected files (.npz, all float64 unless stated)
------------------------------------------------
aps_u_expected.npz        APS-U, Q_TARGET = 0.0048 -> q = 0.00481, 3 angles
aps_u_expected_q1.npz     APS-U, Q_TARGET = 0.0054 -> q = 0.00542, 2 angles
                          (bin 5 missing)
aps_old_expected.npz      old, Q_TARGET = 0.00538 -> closest entry q0 =
                          0.005399; all entries with |q - q0| <= 0.1*q0 kept
                          (6 >= 5 entries: ring 0.0054 and ring 0.0051), in
                          index order
aps_old_expected_expand.npz old, Q_TARGET = 0.0041 -> closest entry q0 =
                          0.004002; only 3 entries within 10%, so (< 5) the
                          loader takes the 10 entries closest to q0, ordered
                          by distance (numpy.argsort; no ties by design)
Keys in each expected file:
    wavevector_q_list   (n,)        loader output "wavevector_q_list"
    phi_angles_list     (n,)        loader output "phi_angles_list" (raw)
    t1, t2              (n_t,)      loader output (linspace(0, dt*(n_t-1), n_t))
    c2_exp              (n, n_t, n_t) loader output: full matrix, frames
                                    sliced, diagonal corrected
    c2_exp_before_diagonal_correction (n, n_t, n_t) the same data as stored in
                                    the loader's NPZ cache (the cache is written
                                    before the diagonal correction)
    source_dataset_index (n,) int64 0-based position, in the HDF5 group's key
                                    order, of the dataset each c2_exp[k] came
                                    from (found by matching the data, not by
                                    re-implementing the selection)
    cli_phi_angles_list (n,)        after _apply_angle_filtering_for_optimization
                                    (angles normalised to (-180, 180])
    cli_t1, cli_t2      (n_t-1,)    after _exclude_t0_from_analysis (t=0 dropped)
    cli_c2_exp          (n, n_t-1, n_t-1) after _exclude_t0_from_analysis
    config_dt, config_start_frame, config_end_frame, config_wavevector_q
                        (1,)        the config values used
    loaded_from_cache_equal (1,) int64  1 if the second (cache) load returned
                                    exactly the same arrays
aps_u_cache_frames_2_11.npz  verbatim copy of the NPZ cache the loader wrote for
                          aps_u_expected (keys wavevector_q_list,
                          phi_angles_list, t1, t2, c2_exp, cache_metadata_json
                          (0-d unicode JSON string)).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import h5py  # noqa: E402
import numpy as np  # noqa: E402

import homodyne  # noqa: E402,F401  (sets JAX_ENABLE_X64 before jax import)
from homodyne._version import __version__ as HOMODYNE_VERSION  # noqa: E402
from homodyne.cli.data_pipeline import (  # noqa: E402
    _apply_angle_filtering_for_optimization,
    _exclude_t0_from_analysis,
)
from homodyne.config.manager import ConfigManager  # noqa: E402
from homodyne.data.xpcs_loader import XPCSDataLoader  # noqa: E402

HERE = Path(__file__).resolve().parent
N_FRAMES = 12
DT = 0.1
START_FRAME = 2
END_FRAME = 11


def half_matrix(rng: np.random.Generator, dtype) -> np.ndarray:
    """Upper-triangular (incl. diagonal) two-time matrix, zeros below."""
    n = N_FRAMES
    i, j = np.indices((n, n))
    lag = np.abs(i - j)
    base = 1.0 + 0.3 * np.exp(-lag / 4.0) + 0.02 * rng.standard_normal((n, n))
    base[i == j] += 0.25  # bright diagonal, as in real data
    h = np.triu(base).astype(dtype)
    return h


def write_aps_u(path: Path) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(20240611)
    q = np.array([0.00481, 0.00542], dtype=np.float64)
    phi = np.array([-30.0, 45.0, 270.0], dtype=np.float64)
    bins = np.array([1, 2, 3, 4, 6], dtype=np.int64)
    mats = {}
    with h5py.File(path, "w") as f:
        f.create_dataset("xpcs/qmap/dynamic_v_list_dim0", data=q)
        f.create_dataset("xpcs/qmap/dynamic_v_list_dim1", data=phi)
        f.create_dataset("xpcs/twotime/processed_bins", data=bins)
        g = f.create_group("xpcs/twotime/correlation_map")
        for b in bins:
            key = f"c2_{int(b):05d}"
            h = half_matrix(rng, np.float32)
            g.create_dataset(key, data=h)
            mats[key] = h
    return mats


def write_aps_old(path: Path) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(19991231)
    q_rings = [0.0030, 0.0054, 0.0040, 0.0051]
    phis = [-20.0, 0.0, 30.0]
    # Each (q, phi) bin has its own mean q in real old-format files; a small
    # per-phi offset keeps every q distinct, so the loader's argsort-based
    # selection (np.argsort is not stable) has no ties and is portable.
    jitter = [0.0, 2.0e-6, -1.0e-6]
    dq = np.array(
        [[qq + jitter[j] for qq in q_rings for j in range(len(phis))]],
        dtype=np.float64,
    )
    assert np.unique(dq).size == dq.size
    dphi = np.array([[pp for _ in q_rings for pp in phis]], dtype=np.float64)
    mats = {}
    with h5py.File(path, "w") as f:
        f.create_dataset("xpcs/dqlist", data=dq)
        f.create_dataset("xpcs/dphilist", data=dphi)
        g = f.create_group("exchange/C2T_all")
        for k in range(dq.shape[1]):
            key = f"c2_{k + 1:05d}"
            h = half_matrix(rng, np.float64)
            g.create_dataset(key, data=h)
            mats[key] = h
    return mats


def group_key_order(path: Path, group: str, sort: bool) -> list[str]:
    with h5py.File(path, "r") as f:
        keys = list(f[group].keys())
    return sorted(keys) if sort else keys


def load_with_package(fixture: Path, q_target: float, tmp_root: Path, tag: str):
    tmp = tmp_root / tag
    tmp.mkdir()
    shutil.copy(fixture, tmp / fixture.name)
    cfg = {
        "analysis_mode": "static",
        "experimental_data": {
            "data_folder_path": str(tmp),
            "data_file_name": fixture.name,
            "cache_file_path": str(tmp),
            "phi_angles_path": str(tmp),
        },
        "analyzer_parameters": {
            "dt": DT,
            "start_frame": START_FRAME,
            "end_frame": END_FRAME,
            "scattering": {"wavevector_q": q_target},
        },
    }
    import copy

    loader = XPCSDataLoader(config_dict=copy.deepcopy(cfg))
    data = {k: np.asarray(v) for k, v in loader.load_experimental_data().items()}
    cache = tmp / f"cached_c2_frames_{START_FRAME}_{END_FRAME}.npz"
    assert cache.exists(), "loader did not write its cache"
    loader2 = XPCSDataLoader(config_dict=copy.deepcopy(cfg))
    data2 = {k: np.asarray(v) for k, v in loader2.load_experimental_data().items()}
    same = all(
        data[k].shape == data2[k].shape and np.array_equal(data[k], data2[k])
        for k in data
    )
    with np.load(cache, allow_pickle=False) as z:
        cache_arrays = {k: np.array(z[k]) for k in z.files}
    cm = ConfigManager(config_override=copy.deepcopy(cfg))
    cli = _apply_angle_filtering_for_optimization(dict(data), cm)
    cli = _exclude_t0_from_analysis(cli)
    return data, same, cache, cache_arrays, cli


def source_indices(c2_before: np.ndarray, mats: dict[str, np.ndarray], keys: list[str]):
    """Find which stored half matrix each loaded matrix came from."""
    s = START_FRAME - 1
    e = END_FRAME
    out = []
    for m in c2_before:
        hits = []
        for pos, key in enumerate(keys):
            h = mats[key]
            full = h + h.T
            full[np.diag_indices(full.shape[0])] /= 2
            if np.array_equal(full[s:e, s:e].astype(np.float64), m):
                hits.append(pos)
        assert len(hits) == 1, hits
        out.append(hits[0])
    return np.array(out, dtype=np.int64)


def save_expected(name: str, q_target: float, data, same, cache_arrays, cli, src):
    arrays = {
        "wavevector_q_list": np.asarray(data["wavevector_q_list"], dtype=np.float64),
        "phi_angles_list": np.asarray(data["phi_angles_list"], dtype=np.float64),
        "t1": np.asarray(data["t1"], dtype=np.float64),
        "t2": np.asarray(data["t2"], dtype=np.float64),
        "c2_exp": np.asarray(data["c2_exp"], dtype=np.float64),
        "c2_exp_before_diagonal_correction": np.asarray(
            cache_arrays["c2_exp"], dtype=np.float64
        ),
        "source_dataset_index": src,
        "cli_phi_angles_list": np.asarray(cli["phi_angles_list"], dtype=np.float64),
        "cli_t1": np.asarray(cli["t1"], dtype=np.float64),
        "cli_t2": np.asarray(cli["t2"], dtype=np.float64),
        "cli_c2_exp": np.asarray(cli["c2_exp"], dtype=np.float64),
        "config_dt": np.array([DT]),
        "config_start_frame": np.array([START_FRAME], dtype=np.int64),
        "config_end_frame": np.array([END_FRAME], dtype=np.int64),
        "config_wavevector_q": np.array([q_target]),
        "loaded_from_cache_equal": np.array([1 if same else 0], dtype=np.int64),
    }
    np.savez(HERE / name, **arrays)
    print(
        f"{name}: q={arrays['wavevector_q_list'].tolist()} "
        f"phi={arrays['phi_angles_list'].tolist()} "
        f"cli_phi={arrays['cli_phi_angles_list'].tolist()} "
        f"src={src.tolist()} c2={arrays['c2_exp'].shape} cache_equal={same}",
        flush=True,
    )


def main() -> int:
    print(f"homodyne {HOMODYNE_VERSION}")
    aps_u = HERE / "aps_u_fixture.h5"
    aps_old = HERE / "aps_old_fixture.h5"
    mats_u = write_aps_u(aps_u)
    mats_old = write_aps_old(aps_old)
    keys_u = group_key_order(aps_u, "xpcs/twotime/correlation_map", sort=True)
    keys_old = group_key_order(aps_old, "exchange/C2T_all", sort=False)

    with tempfile.TemporaryDirectory(prefix="homodyne_fixtures_") as td:
        root = Path(td)
        runs = [
            ("aps_u_expected.npz", aps_u, 0.0048, mats_u, keys_u),
            ("aps_u_expected_q1.npz", aps_u, 0.0054, mats_u, keys_u),
            ("aps_old_expected.npz", aps_old, 0.00538, mats_old, keys_old),
            ("aps_old_expected_expand.npz", aps_old, 0.0041, mats_old, keys_old),
        ]
        for i, (name, fx, qt, mats, keys) in enumerate(runs):
            data, same, cache, cache_arrays, cli = load_with_package(
                fx, qt, root, f"run{i}"
            )
            src = source_indices(cache_arrays["c2_exp"], mats, keys)
            save_expected(name, qt, data, same, cache_arrays, cli, src)
            if name == "aps_u_expected.npz":
                shutil.copy(cache, HERE / "aps_u_cache_frames_2_11.npz")
                print("cache keys:", sorted(cache_arrays), flush=True)
                print("cache_metadata_json:", cache_arrays["cache_metadata_json"], flush=True)

    for p in sorted(HERE.glob("aps_*")):
        print(f"{p.name}: {p.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

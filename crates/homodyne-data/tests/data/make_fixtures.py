"""Writes the HDF5 fixtures tests/hdf5.rs reads, with h5py itself, so that the tests
prove files written by the HDF5 C library load range by range.

Run from this folder: python make_fixtures.py  (needs numpy and h5py; made with numpy
2.5.5 and h5py 3.16.0). Every value is an exact binary fraction (exact in float32 too),
so the tests compare with ==; the Rust test computes the same formulas.
"""

import h5py
import numpy as np

n = 500
i = np.arange(n)
x = i * 0.25                       # 0, 0.25, ..., 124.75
y = x + 1000.0                     # 1000, 1000.25, ...
sigma = 0.5 + (i % 7) * 0.125      # 0.5 .. 1.25
x2 = np.column_stack([x, -0.5 * i])  # (n, 2)

for libver, name in [("latest", "h5py_latest.h5"), ("earliest", "h5py_earliest.h5")]:
    with h5py.File(name, "w", libver=libver) as f:
        g = f.create_group("exchange")
        # Contiguous, the h5py default.
        g.create_dataset("x", data=x)
        g.create_dataset("y_be", data=y.astype(">f8"))
        g.create_dataset("y_f4_be", data=y.astype(">f4"))
        # Chunked: gzip, and shuffle + gzip float32; chunk sizes that batches straddle.
        g.create_dataset("y_gzip", data=y, chunks=(100,), compression="gzip")
        g.create_dataset("sigma_f4", data=sigma.astype("<f4"), chunks=(128,),
                         shuffle=True, compression="gzip")
        g.create_dataset("x2", data=x2, chunks=(64, 2), compression="gzip")
        # Chunked, uncompressed, resizable (extensible-array / B-tree index).
        g.create_dataset("y_ext", data=y, chunks=(50,), maxshape=(None,))
        # Unusable ones.
        g.create_dataset("counts", data=i.astype(np.int32))
        g.create_dataset("cube", data=np.zeros((4, 4, 4)))
        g.create_dataset("short", data=x[:n - 1])

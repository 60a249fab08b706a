"""Writes the NumPy and HDF5 fixtures that src/data's tests read, with numpy and h5py
themselves, so that those tests prove files written by the real libraries load.

Run from this folder: python make_fixtures.py  (needs numpy and h5py; made with numpy
2.5.5 and h5py 3.16.0). Every value is an exact binary fraction, so the tests compare
with ==.
"""

import h5py
import numpy as np

x = np.arange(6) * 0.25          # 0, 0.25, ..., 1.25
y = 1.0 + 0.5 * np.arange(6)     # 1, 1.5, ..., 3.5
sigma = np.full(6, 0.125)

# 2-D, C order, float64: columns x, y, c2.
np.save("c_order.npy", np.column_stack([x, y, sigma]))
# The same table in Fortran order.
np.save("fortran_order.npy", np.asfortranarray(np.column_stack([x, y, sigma])))
# 1-D float32, big-endian.
np.save("one_d_f4_be.npy", y.astype(">f4"))

with h5py.File("xpcs.h5", "w", libver="latest") as f:
    entry = f.create_group("entry")
    # Chunked and gzip-compressed, as beamline files often are.
    entry.create_dataset("q", data=x, chunks=(4,), compression="gzip")
    g2 = y.astype(np.float32)
    g2[4] = np.nan
    entry.create_dataset("g2", data=g2)
    entry.create_dataset("counts", data=np.arange(6, dtype=np.int32) * 3)
    entry.create_dataset("image", data=np.zeros((2, 3)))
    f.attrs["note"] = "fixture for homodyne-cli src/data"

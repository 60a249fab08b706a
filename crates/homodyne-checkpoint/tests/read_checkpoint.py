#!/usr/bin/env python3
"""Read a homodyne checkpoint with h5py and print it as one JSON object.

Usage: python read_checkpoint.py homodyne_state_batch_0010.h5

Used by tests/h5py_interop.rs to prove that a reader the project did not write (h5py, on
the HDF5 C library) reads every field, and to recompute the SHA-256 checksum from the
documented canonical byte stream independently of the Rust code.

Numbers are printed exactly: float64 values as their IEEE 754 bit patterns (unsigned
64-bit integers, so NaN payloads and -0.0 survive JSON), int64 values as integers.
"""

import hashlib
import json
import struct
import sys

import h5py
import numpy as np


def is_string(ds):
    return h5py.check_string_dtype(ds.dtype) is not None


def numeric(ds):
    """A float64/int64 dataset as {dtype, shape, bits|values}."""
    data = np.asarray(ds[()])
    if ds.dtype == np.dtype("<f8"):
        return {
            "dtype": "float64",
            "shape": list(ds.shape),
            "bits": [int(b) for b in data.reshape(-1).view("<u8")],
        }
    if ds.dtype == np.dtype("<i8"):
        return {
            "dtype": "int64",
            "shape": list(ds.shape),
            "values": [int(v) for v in data.reshape(-1)],
        }
    raise SystemExit(f"{ds.name}: unexpected dtype {ds.dtype}")


def string(ds):
    """A string dataset of shape (1,) as a Python str."""
    if ds.shape != (1,):
        raise SystemExit(f"{ds.name}: string dataset of shape {ds.shape}, expected (1,)")
    return ds.asstr()[0]


def canonical_checksum(f):
    """SHA-256 of the canonical bytes of every dataset except /checksum (see lib.rs)."""
    paths = []
    f.visititems(lambda name, obj: paths.append("/" + name) if isinstance(obj, h5py.Dataset) else None)
    paths = sorted((p for p in paths if p != "/checksum"), key=lambda p: p.encode("utf-8"))
    h = hashlib.sha256()
    u64 = lambda n: struct.pack("<Q", n)
    for path in paths:
        ds = f[path]
        encoded = path.encode("utf-8")
        h.update(u64(len(encoded)) + encoded)
        if is_string(ds):
            tag, payload = b"s", b""
            for s in ds.asstr()[()].reshape(-1):
                b = s.encode("utf-8")
                payload += u64(len(b)) + b
        elif ds.dtype == np.dtype("<f8"):
            tag, payload = b"f", np.ascontiguousarray(ds[()], dtype="<f8").tobytes()
        elif ds.dtype == np.dtype("<i8"):
            tag, payload = b"i", np.ascontiguousarray(ds[()], dtype="<i8").tobytes()
        else:
            raise SystemExit(f"{path}: unexpected dtype {ds.dtype}")
        h.update(tag)
        h.update(u64(len(ds.shape)))
        for d in ds.shape:
            h.update(u64(d))
        h.update(payload)
    return h.hexdigest()


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: read_checkpoint.py CHECKPOINT.h5")
    with h5py.File(sys.argv[1], "r") as f:
        compression = {}
        attributes = []

        def visit(name, obj):
            attributes.extend(f"/{name}@{a}" for a in obj.attrs)
            if isinstance(obj, h5py.Dataset):
                compression["/" + name] = obj.compression

        attributes.extend(f"/@{a}" for a in f.attrs)
        f.visititems(visit)
        out = {
            "parameters": numeric(f["parameters"]),
            "loss": numeric(f["loss"]),
            "batch_idx": numeric(f["batch_idx"]),
            "optimizer_state": {k: numeric(v) for k, v in f["optimizer_state"].items()},
            "metadata": {k: string(v) for k, v in f["metadata"].items()},
            "format_version": string(f["version/format_version"]),
            "library_version": string(f["version/library_version"]),
            "timestamp": string(f["timestamp"]),
            "checksum": string(f["checksum"]),
            "computed_checksum": canonical_checksum(f),
            "compression": compression,
            "attributes": attributes,
            "h5py_version": h5py.version.version,
            "hdf5_version": h5py.version.hdf5_version,
        }
    json.dump(out, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

"""Writes the seed corpora of the fuzz targets (fuzz/seeds/<target>/): the project's test
fixtures, copied, and small files of each format made here with the standard library
alone (no NumPy needed). Run from the repository root: python3 fuzz/seeds/make_seeds.py

The checkpoint seeds are files that `homodyne curve --checkpoint-dir` wrote (a streaming
fit of 200 points in batches of 50); they are committed as made, not remade here."""

import io
import math
import shutil
import struct
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "fuzz" / "seeds"


def put(target, name, data):
    folder = SEEDS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"seed_{name}").write_bytes(data)


def copy(target, fixture):
    path = ROOT / fixture
    put(target, path.name, path.read_bytes())


def npy(descr, shape, payload, fortran=False):
    """A .npy file, version 1.0: magic, header dict padded to 64 bytes, data."""
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }" % (
        descr, "True" if fortran else "False", dims)
    total = 10 + len(header) + 1
    header += " " * ((64 - total % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + payload


def floats(fmt, values):
    return b"".join(struct.pack(fmt, v) for v in values)


def main():
    # Delimited text: comma, tab and whitespace, with and without a header.
    rows = [(i * 0.1, 2 * math.exp(-1.3 * i * 0.1) + 0.4, 0.01) for i in range(12)]
    put("text_table", "header.csv", ("x,y,sigma\n" + "".join(
        f"{x},{y},{s}\n" for x, y, s in rows)).encode())
    put("text_table", "plain.tsv", "".join(f"{x}\t{y}\n" for x, y, _ in rows).encode())
    put("text_table", "spaces.txt", ("# time  signal\n t y\n" + "".join(
        f"  {x:.3e}   {y:.6f}\n" for x, y, _ in rows)).encode())
    put("text_table", "crlf.csv", ("a,b\r\n1,2\r\n3,4\r\n,\r\n").encode())

    # .npy: every element type the reader converts, both orders, 1-D to 3-D, strings.
    xs = [i * 0.5 for i in range(8)]
    put("npy", "f8_1d.npy", npy("<f8", (8,), floats("<d", xs)))
    put("npy", "f8_columns.npy", npy("<f8", (4, 2), floats("<d", xs)))
    put("npy", "f8_columns3_fortran.npy", npy("<f8", (3, 3), floats("<d", xs + [9.0]), True))
    put("npy", "f4_be.npy", npy(">f4", (8,), floats(">f", xs)))
    put("npy", "i4.npy", npy("<i4", (2, 2), struct.pack("<4i", 1, -2, 3, -4)))
    put("npy", "u1.npy", npy("|u1", (4,), bytes([0, 1, 2, 255])))
    put("npy", "bool.npy", npy("|b1", (3,), bytes([0, 1, 1])))
    put("npy", "f2.npy", npy("<f2", (2,), struct.pack("<2e", 1.5, -2.0)))
    put("npy", "unicode.npy", npy("<U3", (2,), "ab\0xyz".encode("utf-32-le")))
    put("npy", "cube.npy", npy("<f8", (2, 1, 2), floats("<d", xs[:4])))
    put("npy", "empty.npy", npy("<f8", (0, 2), b""))
    for fixture in ["c_order.npy", "fortran_order.npy", "one_d_f4_be.npy"]:
        copy("npy", f"crates/homodyne-cli/tests/data/formats/{fixture}")

    # .npz: stored and deflated members, and the XPCS caches and references.
    for method, name in [(zipfile.ZIP_STORED, "stored"), (zipfile.ZIP_DEFLATED, "deflated")]:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", method) as archive:
            # A fixed time stamp: the seeds are the same bytes every time they are made.
            member = lambda name: zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            archive.writestr(member("x.npy"), npy("<f8", (4,), floats("<d", xs[:4])), method)
            archive.writestr(member("names.npy"),
                             npy("<U3", (2,), "ab\0xyz".encode("utf-32-le")), method)
        put("npz", f"{name}.npz", buffer.getvalue())
    for fixture in ["aps_u_cache_frames_2_11.npz", "aps_u_expected_q1.npz"]:
        copy("npz", f"crates/homodyne-xpcs/tests/data/{fixture}")

    # HDF5: the h5py fixtures of every layout the reader meets, and a checkpoint.
    for fixture in ["crates/homodyne-data/tests/data/h5py_earliest.h5",
                    "crates/homodyne-data/tests/data/h5py_latest.h5",
                    "crates/homodyne-cli/tests/data/formats/xpcs.h5"]:
        copy("hdf5", fixture)
    for fixture in ["crates/homodyne-xpcs/tests/data/aps_u_fixture.h5",
                    "crates/homodyne-xpcs/tests/data/aps_old_fixture.h5",
                    "crates/homodyne-cli/tests/data/formats/xpcs.h5"]:
        copy("xpcs_aps", fixture)
    shutil.copy(SEEDS / "checkpoint" / "seed_homodyne_state_batch_0024.h5",
                SEEDS / "hdf5" / "seed_checkpoint.h5")

    # distributed: a whole fit whose peer echoes every message (arbitrary's encoding: the
    # variant Input::Fit is a u32 >= 2^31, then `streaming`, `batch`, and 64 times the
    # variant Message::Echo, a u32 below 2^32 / 5), in memory and STREAMING in batches
    # of 8; and the same peer turning raw (Message::Raw, an empty message) at the end.
    echo = b"\x00\x00\x00\x00"
    for streaming in (0, 1):
        put("distributed", f"echo_streaming_{streaming}",
            b"\x00\x00\x00\x80" + bytes([streaming, 7]) + echo * 64)
    put("distributed", "echo_then_raw",
        b"\x00\x00\x00\x80" + bytes([1, 7]) + echo * 4 + b"\x00\x00\x00\xa0")


if __name__ == "__main__":
    main()

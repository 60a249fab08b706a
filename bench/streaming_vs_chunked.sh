#!/usr/bin/env bash
# STREAMING from an HDF5 file against CHUNKED in memory at 1e7 points, and the peak memory
# of STREAMING at 1e7 and 1e8 points (issue 6). Writes its files to target/bench-data
# (1e8 points: 1.6 GB) and prints one line per fit; the medians go in the closing note.
# Usage: bench/streaming_vs_chunked.sh   (from the workspace root)
set -euo pipefail
cargo build --release -p homodyne --example streaming_hdf5
E=target/release/examples/streaming_hdf5
D=target/bench-data
mkdir -p "$D"
[ -f "$D/contig_1e7.h5" ] || $E write "$D/contig_1e7.h5" 10000000 3
[ -f "$D/contig_1e8.h5" ] || $E write "$D/contig_1e8.h5" 100000000 3
for i in 1 2 3 4 5; do
    $E chunked "$D/contig_1e7.h5" 3
    $E streaming "$D/contig_1e7.h5" 100000 3
    $E streaming "$D/contig_1e7.h5" 200000 3
done
for f in contig_1e7 contig_1e8; do
    /usr/bin/time -v $E streaming "$D/$f.h5" 100000 3 2>&1 | grep -E "streaming points|Maximum resident"
done

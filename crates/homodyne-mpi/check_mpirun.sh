#!/usr/bin/env bash
# The MPI check of homodyne-mpi: the example fit of 1e6 points under mpirun with 1, 2 and
# 4 processes must end on the very bits of the one-process fit without any exchange.
#
#   crates/homodyne-mpi/check_mpirun.sh [--release]
#
# Needs Open MPI (Debian: libopenmpi-dev openmpi-bin) and libclang-dev (for the bindings);
# .ci/run installs them. Prints each run's JSON line; exits 1 on any difference.
set -euo pipefail
cd "$(dirname "$0")/../.."
profile=debug
# --workspace: the dependencies' features as the test suite unifies them (no rebuild).
build=(cargo build --workspace --features homodyne-mpi/mpi --example mpi_fit)
if [ "${1:-}" = "--release" ]; then profile=release; build+=(--release); fi
"${build[@]}"
bin="${CARGO_TARGET_DIR:-target}/$profile/examples/mpi_fit"
n=1000000
bits() { sed -n 's/.*"bits": \[\([^]]*\)\].*/\1/p'; }
reference=$("$bin" "$n" --reference | tail -n 1)
echo "$reference"
want=$(echo "$reference" | bits)
status=0
for np in 1 2 4; do
    line=$(mpirun --allow-run-as-root --oversubscribe -np "$np" "$bin" "$n" | tail -n 1)
    echo "$line"
    if [ "$(echo "$line" | bits)" != "$want" ]; then
        echo "check_mpirun: $np processes ended on other bits than one process" >&2
        status=1
    fi
done
[ "$status" -eq 0 ] && echo "check_mpirun: 1, 2 and 4 processes end on the one-process bits"
exit "$status"

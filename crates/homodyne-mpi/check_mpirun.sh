#!/usr/bin/env bash
# The MPI check of homodyne-mpi, under mpirun on this machine's loopback:
#  1. the 1e6-point example fit, each process reading its share of an HDF5 file (and of
#     .npy files), with 1, 2 and 4 processes: the bits of the single-process fit without
#     MPI (`--reference`);
#  2. STREAMING under 2 processes: the same bits; then under 2 processes with checkpoints,
#     one process killed (SIGABRT) mid-fit, and resumed under 4 processes: the same bits;
#  3. a process that stops answering: the job ends with the timeout's exit status, not a
#     hang;
#  4. the XPCS demo, `homodyne xpcs --demo --distributed` under 1, 2 and 4 processes: the
#     bits of `homodyne xpcs --demo`.
#
#   crates/homodyne-mpi/check_mpirun.sh [--release]
#
# Needs Open MPI (Debian: libopenmpi-dev openmpi-bin) and libclang-dev (for the bindings);
# .ci/run installs them. Prints each run's JSON line; exits 1 on any difference.
set -euo pipefail
cd "$(dirname "$0")/../.."
profile=debug
# --workspace: the dependencies' features as the test suite unifies them (no rebuild).
build=(cargo build --workspace --features homodyne-mpi/mpi,homodyne-cli/mpi --example mpi_fit --bin homodyne)
if [ "${1:-}" = "--release" ]; then profile=release; build+=(--release); fi
"${build[@]}"
target="${CARGO_TARGET_DIR:-target}"
bin="$PWD/$target/$profile/examples/mpi_fit"
homodyne="$PWD/$target/$profile/homodyne"
work="$target/check-mpirun"
rm -rf "$work" && mkdir -p "$work" && cd "$work"
mpirun=(mpirun --allow-run-as-root --oversubscribe)
status=0
fail() { echo "check_mpirun: $*" >&2; status=1; }
bits() { sed -n 's/.*"bits": \[\([^]]*\)\].*/\1/p'; }
expect_bits() { # label line
    echo "$2"
    [ "$(echo "$2" | bits)" = "$want" ] || fail "$1 ended on other bits than one process"
}

"$bin" write data.h5 1000000
"$bin" write data.npy 1000000
reference=$("$bin" fit data.h5 --reference | tail -n 1)
echo "$reference"
want=$(echo "$reference" | bits)
[ -n "$want" ] || fail "the reference fit printed no parameters"

for np in 1 2 4; do
    expect_bits "-np $np (HDF5)" "$("${mpirun[@]}" -np "$np" "$bin" fit data.h5 | tail -n 1)"
done
expect_bits "-np 2 (.npy)" "$("${mpirun[@]}" -np 2 "$bin" fit data.npy | tail -n 1)"

stream=(fit data.h5 --streaming --batch 65536)
expect_bits "STREAMING -np 2" "$("${mpirun[@]}" -np 2 "$bin" "${stream[@]}" | tail -n 1)"
# Rank 1's reads: its part of the coarse stage's subset (blocks of 1024 points) and of the
# stage's check come first; read 95 falls in the fit's last pass, after two checkpoints
# (reads 90-100 crash there; below about 85 the crash comes before the first checkpoint).
if "${mpirun[@]}" -np 2 "$bin" "${stream[@]}" --checkpoint-dir ck --crash 1:95 >crash.log 2>&1; then
    fail "the run told to crash did not fail"
fi
ls ck | grep -q '\.h5$' || fail "the crashed run left no checkpoint"
line=$("${mpirun[@]}" -np 4 "$bin" "${stream[@]}" --checkpoint-dir ck --resume | tail -n 1)
expect_bits "STREAMING killed under 2, resumed under 4" "$line"
echo "$line" | grep -q '"resumed_from": "homodyne_state_batch_' || fail "the resumed run did not resume"

set +e
"${mpirun[@]}" -np 2 "$bin" fit data.h5 --stall 1 --timeout 3 >stall.log 2>&1
code=$?
set -e
grep -h "waited 3 s for the other processes" stall.log || fail "no timeout message (exit $code)"
[ "$code" -ne 0 ] || fail "a stalled process did not end the job"

# parameters.json holds every fitted value and uncertainty, each printed so that it reads
# back to the same bits; only its timestamp differs between runs.
values() { grep -v '"timestamp"' "$1/nlsq/parameters.json"; }
"$homodyne" xpcs --demo --quiet --output-dir xpcs-single | tail -n 3
for np in 1 2 4; do
    "${mpirun[@]}" -np "$np" "$homodyne" xpcs --demo --quiet --distributed --output-dir "xpcs-$np" >"xpcs-$np.log"
    grep -h "shared among $np MPI process" "xpcs-$np.log" || fail "the XPCS demo did not run under $np processes"
    if diff <(values xpcs-single) <(values "xpcs-$np") >/dev/null; then
        echo "xpcs demo, $np processes: parameters.json identical to one process"
    else
        fail "the XPCS demo under $np processes ended on other values"
    fi
done

# homodyne curve: in memory (each process reads its share of the HDF5 file, or of the rows
# of a .npy table) and STREAMING, against the one-process fit; parameters, uncertainties
# and covariance to the bit.
fitted() { sed -n '/"parameters"/,/"covariance_rank"/p' "$1"; }
curve=(curve --formula 'a*exp(-b*x)+c' --x x --y y --p0 a=1,b=1,c=0 --quiet)
"$homodyne" "${curve[@]}" --data data.h5 --json curve-single.json
"$bin" write data.columns.npy 1000000
for run in "2 in-memory" "4 in-memory" "2 streaming" "2 npy-table"; do
    set -- $run
    extra=(--data data.h5)
    [ "$2" = streaming ] && extra+=(--strategy streaming --batch-size 65536)
    [ "$2" = npy-table ] && extra=(--data data.columns.npy)
    "${mpirun[@]}" -np "$1" "$homodyne" "${curve[@]}" "${extra[@]}" --distributed --json "curve-$1-$2.json"
    if diff <(fitted curve-single.json) <(fitted "curve-$1-$2.json") >/dev/null; then
        echo "homodyne curve --distributed, $1 processes, $2: the one-process fit, to the bit"
    else
        fail "homodyne curve --distributed, $1 processes, $2, ended on other values"
    fi
done

[ "$status" -eq 0 ] && echo "check_mpirun: every run ends on the one-process bits; the killed run resumed; the stalled run ended"
exit "$status"

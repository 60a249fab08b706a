#!/usr/bin/env bash
# Times the distributed fit under mpirun with 1, 2 and 4 processes (release build), and
# counts the bytes each process sends per exchange, at 1e5, 1e6 and 1e7 points:
#
#   crates/homodyne-mpi/bench_mpirun.sh [REPEATS]
#
# Each case is the example fit of crates/homodyne-mpi/examples/mpi_fit.rs (y = a exp(-b x)
# + c, P = 3) read from an HDF5 file: the single-process fit without MPI, then in memory
# (each process reads its share) and STREAMING (batches of 262,144 points), each the median
# of REPEATS runs (default 3). Processes are not bound to cores (--bind-to none): a process
# uses every core through its threads. Peak RSS per process is from /usr/bin/time.
# Needs Open MPI and libclang-dev, as check_mpirun.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
repeats="${1:-3}"
cargo build --release --workspace --features homodyne-mpi/mpi --example mpi_fit
bin="$PWD/${CARGO_TARGET_DIR:-target}/release/examples/mpi_fit"
work="${CARGO_TARGET_DIR:-target}/bench-mpirun"
mkdir -p "$work" && cd "$work"
mpirun=(mpirun --allow-run-as-root --oversubscribe --bind-to none)
field() { sed -n "s/.*\"$1\": \([0-9.]*\).*/\1/p"; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "| points | run | processes | seconds (median of $repeats) | peak RSS, largest process | bytes per exchange (largest) |"
echo "|---:|---|---:|---:|---:|---:|"
for n in 100000 1000000 10000000; do
    [ -f "d$n.h5" ] || "$bin" write "d$n.h5" "$n"
    t=$(for _ in $(seq "$repeats"); do "$bin" fit "d$n.h5" --reference | field seconds; done | median)
    rss=$( { /usr/bin/time -f "%M" "$bin" fit "d$n.h5" --reference >/dev/null; } 2>&1 | tail -n 1)
    echo "| $n | one process, no MPI | 1 | $t | $((rss / 1024)) MB | - |"
    for mode in memory streaming; do
        extra=()
        [ "$mode" = streaming ] && extra=(--streaming --batch 262144)
        for np in 1 2 4; do
            t=$(for _ in $(seq "$repeats"); do
                "${mpirun[@]}" -np "$np" "$bin" fit "d$n.h5" "${extra[@]}" | tail -n 1 | tee last.json | field seconds
            done | median)
            bytes=$(field bytes_per_exchange_max <last.json)
            rm -f rss.*
            # Open MPI names each process's rank in OMPI_COMM_WORLD_RANK.
            "${mpirun[@]}" -np "$np" sh -c '/usr/bin/time -f %M -o "rss.$OMPI_COMM_WORLD_RANK" "$@"' \
                sh "$bin" fit "d$n.h5" "${extra[@]}" >/dev/null
            rss=$(cat rss.* | sort -n | tail -n 1)
            echo "| $n | $mode | $np | $t | $((rss / 1024)) MB | $bytes |"
        done
    done
done

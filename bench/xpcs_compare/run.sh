#!/usr/bin/env bash
# End-to-end comparison: `homodyne xpcs` (this workspace, Rust) against the Python
# homodyne package's command line (2.23.3, target/pyvenv-homodyne), same data, same
# configuration file, same start. See bench/xpcs_compare/make_data.py for the data.
#
#   bench/xpcs_compare/run.sh [CASE...]      (default: laminar_3x500 static_3x600)
#
# Per case, in this order: ours (1), the package (once), ours (2), ours (3); each under
# /usr/bin/time -v, with the load average (uptime) written before it, and the case's NPZ
# cache folder emptied before it, so that every run reads the HDF5 file. The package
# runs in its own working folder (it writes its log and phi_angles_list.txt to the
# working directory) and is stopped after PKG_TIMEOUT seconds (default 1200).
# Ours runs from a copy of the freshly built binary (target/bench-xpcs/bin/homodyne) and
# writes its results to <case>/ours_out_N (the package's to <case>/pkg_out).
# SKIP_PKG=1 reruns only ours and keeps the package's results of an earlier run.
# Outputs: target/bench-xpcs/<case>/{ours_N.out,ours_N.time,pkg.out,pkg.time,pkg_out/,...}
# then bench/xpcs_compare/collect.py writes target/bench-xpcs/results.json and
# target/bench-xpcs/tables.md.
set -u
. "$(dirname "$0")/paths.sh"
OURS="$OUT/bin/homodyne"
PKG_TIMEOUT="${PKG_TIMEOUT:-1200}"
CASES=("$@")
[ ${#CASES[@]} -eq 0 ] && CASES=(laminar_3x500 static_3x600)
mkdir -p "$OUT"

echo "== build"
cargo build --release -p homodyne-cli || exit 1
mkdir -p "$OUT/bin"
cp target/release/homodyne "$OURS"

for c in "${CASES[@]}"; do
  if [ ! -f "$DATA/$c.h5" ] || [ ! -f "$DATA/$c.yaml" ]; then
    echo "== make data"
    "$PY" bench/xpcs_compare/make_data.py "$DATA" || exit 1
    break
  fi
done

{
  echo "date: $(date -Is)"
  echo "uname: $(uname -srm)"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "mem: $(grep MemTotal /proc/meminfo | awk '{print $2" kB"}')"
  echo "ours: $("$OURS" --version) (git $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates Cargo.toml Cargo.lock || echo ', modified'); sha256 $(sha256sum "$OURS" | cut -c1-16))"
  echo "rustc: $(rustc --version)"
  echo "python: $("$PY" --version 2>&1)"
  echo "package: $("$PY" -c 'import homodyne._version as v, jax, nlsq, numpy, h5py; print("homodyne", v.__version__, "jax", jax.__version__, "nlsq", nlsq.__version__, "numpy", numpy.__version__, "h5py", h5py.__version__)' 2>/dev/null)"
} > "$OUT/machine.txt"
cat "$OUT/machine.txt"

run_ours() {  # case index
  local c=$1 i=$2 d="$OUT/$1"
  rm -f "$DATA/cache_$c"/*
  echo "$(uptime)" > "$d/ours_$i.uptime"
  echo "-- $c ours #$i   load: $(cat "$d/ours_$i.uptime" | sed 's/.*load average: //')"
  rm -rf "$d/ours_out_$i"
  /usr/bin/time -v -o "$d/ours_$i.time" \
    "$OURS" xpcs --config "$DATA/$c.yaml" --python-compat --quiet \
    --output-dir "$d/ours_out_$i" > "$d/ours_$i.out" 2> "$d/ours_$i.err"
  echo "$?" > "$d/ours_$i.rc"
  grep -E "Elapsed|Maximum resident" "$d/ours_$i.time"
}

run_pkg() {  # case
  local c=$1 d="$OUT/$1"
  rm -f "$DATA/cache_$c"/*
  rm -rf "$d/pkg_out" "$d/pkg_cwd"
  mkdir -p "$d/pkg_cwd"
  echo "$(uptime)" > "$d/pkg.uptime"
  echo "-- $c package   load: $(cat "$d/pkg.uptime" | sed 's/.*load average: //')"
  ( cd "$d/pkg_cwd" && /usr/bin/time -v -o "$d/pkg.time" \
      timeout "$PKG_TIMEOUT" "$PKG" --config "$DATA/$c.yaml" --method nlsq \
      --output-dir "$d/pkg_out" > "$d/pkg.out" 2>&1 )
  echo "$?" > "$d/pkg.rc"
  grep -E "Elapsed|Maximum resident|Exit status" "$d/pkg.time"
}

for c in "${CASES[@]}"; do
  mkdir -p "$OUT/$c"
  echo "== $c"
  run_ours "$c" 1
  [ "${SKIP_PKG:-0}" = 1 ] || run_pkg "$c"
  run_ours "$c" 2
  run_ours "$c" 3
done

"$PY" bench/xpcs_compare/collect.py "$OUT" "${CASES[@]}"

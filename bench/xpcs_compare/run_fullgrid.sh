#!/usr/bin/env bash
# Supplement to run.sh for the laminar case. With 3 angles and 100k-1M points the
# package's default ("stratified") path evaluates its model on 1 x 1 time grids, so the
# fit in run.sh returned the start. This runs the package once more on the same data
# with the same configuration plus `optimization.stratification.enabled: false` (a key
# the package reads in wrapper.py; ours ignores it), so that it takes its standard path
# (full-grid model, model diagonal corrected) and really fits; stopped after
# PKG_TIMEOUT seconds (default 600). Then ours 3 times more with the unchanged
# configuration, from a pinned copy of the binary, for a second timing.
#   bench/xpcs_compare/run_fullgrid.sh
set -u
. "$(dirname "$0")/paths.sh"
PKG_TIMEOUT="${PKG_TIMEOUT:-600}"
c=laminar_3x500
d="$OUT/${c}_fullgrid"
mkdir -p "$d" "$OUT/bin"
cp target/release/homodyne "$OUT/bin/homodyne"
OURS="$OUT/bin/homodyne"
sha256sum "$OURS" > "$d/ours_binary.sha256"
{ cat "$DATA/$c.yaml"; printf '\n# run_fullgrid.sh: the package'"'"'s standard (full-grid) path\n'; } > "$d/config.yaml"
python3 - "$d/config.yaml" <<'PYEOF'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace('''optimization:
  nlsq:''', '''optimization:
  stratification:
    enabled: false
  nlsq:''')
open(p, "w").write(s)
PYEOF
grep -n -A2 "stratification" "$d/config.yaml"

rm -f "$DATA/cache_$c"/*
rm -rf "$d/pkg_out" "$d/pkg_cwd"; mkdir -p "$d/pkg_cwd"
uptime > "$d/pkg.uptime"; echo "-- $c package (stratification off)   $(cat "$d/pkg.uptime")"
( cd "$d/pkg_cwd" && /usr/bin/time -v -o "$d/pkg.time" \
    timeout "$PKG_TIMEOUT" "$PKG" --config "$d/config.yaml" --method nlsq \
    --output-dir "$d/pkg_out" > "$d/pkg.out" 2>&1 )
echo "$?" > "$d/pkg.rc"
grep -E "Elapsed|Maximum resident|Exit status" "$d/pkg.time"

for i in 1 2 3; do
  rm -f "$DATA/cache_$c"/*
  uptime > "$d/ours_$i.uptime"; echo "-- $c ours #$i   $(cat "$d/ours_$i.uptime")"
  /usr/bin/time -v -o "$d/ours_$i.time" "$OURS" xpcs --config "$DATA/$c.yaml" \
    --python-compat --quiet > "$d/ours_$i.out" 2> "$d/ours_$i.err"
  echo "$?" > "$d/ours_$i.rc"
  grep -E "Elapsed|Maximum resident" "$d/ours_$i.time"
done
# ours on the package's variant of the file: does it accept the extra key?
"$OURS" xpcs --config "$d/config.yaml" --python-compat --quiet > "$d/ours_on_pkg_config.out" 2>&1
echo "ours on config.yaml: rc $?"; head -3 "$d/ours_on_pkg_config.out"
cp "$DATA/${c}_truth.json" "$DATA/${c}_fullgrid_truth.json"
"$PY" bench/xpcs_compare/collect.py --tag fullgrid "$OUT" "${c}_fullgrid"

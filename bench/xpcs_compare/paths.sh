# The paths run.sh and run_fullgrid.sh share (sourced by both): the repository root (and
# cd there), the package's Python and command line in target/pyvenv-homodyne, and the
# output and data folders under target/bench-xpcs.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PY="$ROOT/target/pyvenv-homodyne/bin/python"
PKG="$ROOT/target/pyvenv-homodyne/bin/homodyne"
OUT="$ROOT/target/bench-xpcs"
DATA="$OUT/data"

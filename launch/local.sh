#!/usr/bin/env bash
# Runs gtsrb-dist with N ranks on this machine: launch/local.sh N [gtsrb-dist arguments]
# Adds what Open MPI needs here: permission to run as root, --oversubscribe when N exceeds the cores,
# and one OpenBLAS thread per rank unless --threads asks for more (on this model ranks beat BLAS threads).
set -euo pipefail
n=${1:?usage: launch/local.sh N [gtsrb-dist arguments]}
shift
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${GTSRB_DIST_BIN:-$here/.build/release/gtsrb-dist}
[ -x "$bin" ] || { echo "error: $bin not built; run: swift build -c release" >&2; exit 1; }
cores=$(nproc)
flags=()
[ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
if [ "$n" -gt "$cores" ]; then flags+=(--oversubscribe --bind-to none); fi
# OpenBLAS sizes its thread pool at start: as many threads as --threads asks for (default 1).
threads=1; prev=
for a in "$@"; do [ "$prev" = --threads ] && threads=$a; case $a in --threads=*) threads=${a#--threads=};; esac; prev=$a; done
# Ranks write to pseudo-terminals under mpirun: ask for plain progress lines when our output is not a terminal.
[ -t 1 ] || export GTSRB_PROGRESS=${GTSRB_PROGRESS:-lines}
exec mpirun -n "$n" "${flags[@]}" -x OPENBLAS_NUM_THREADS="$threads" -x GTSRB_PROGRESS="${GTSRB_PROGRESS:-auto}" "$bin" "$@"

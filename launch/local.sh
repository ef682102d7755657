#!/usr/bin/env bash
# Runs gtsrb-dist with N ranks on this machine: launch/local.sh N [gtsrb-dist arguments]
# Adds what Open MPI needs here: permission to run as root, --oversubscribe when N exceeds the cores,
# cores/N cores per rank when N is below them, and one OpenBLAS thread per rank (gtsrb-dist runs its own
# threads, --threads, around single-threaded GEMMs).
set -euo pipefail
n=${1:?usage: launch/local.sh N [gtsrb-dist arguments]}
shift
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${GTSRB_DIST_BIN:-$here/.build/release/gtsrb-dist}
[ -x "$bin" ] || { echo "error: $bin not built; run: swift build -c release" >&2; exit 1; }
cores=$(nproc)
flags=()
[ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Fewer ranks than cores: each rank gets cores/N cores for its engine threads (plain mpirun binds a rank to
# one core at -n 1 and -n 2, which would leave its extra threads fighting over that core).
if [ "$n" -gt "$cores" ]; then flags+=(--oversubscribe --bind-to none)
elif [ "$n" -lt "$cores" ]; then flags+=(--map-by "slot:PE=$((cores / n))" --bind-to core); fi
# Ranks write to pseudo-terminals under mpirun: ask for plain progress lines when our output is not a terminal.
[ -t 1 ] || export GTSRB_PROGRESS=${GTSRB_PROGRESS:-lines}
exec mpirun -n "$n" "${flags[@]}" -x OPENBLAS_NUM_THREADS=1 -x GTSRB_PROGRESS="${GTSRB_PROGRESS:-auto}" "$bin" "$@"

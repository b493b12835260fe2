#!/usr/bin/env bash
# Latency and bandwidth plots for one MPI: a size sweep (1 B .. 16 MiB) of pingpong, isend,
# allreduce, bcast and object at N=2 with run.sh, then plot.py into benchmarks/plots/.
# Usage: benchmarks/plot.sh --mpi-venv DIR [run.sh options, e.g. --mpipy-path DIR --no-build]
# Defaults: --quick --rounds 3 --stat min (3-4 minutes); later options win, e.g. --reps 7.
# The python of that venv (or python3 on PATH) needs matplotlib.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=""
for ((i = 1; i <= $#; i++)); do
    case "${!i}" in
        --mpi-venv) j=$((i + 1)); venv=${!j:-} ;;
        --mpi-venv=*) venv=${!i#*=} ;;
    esac
done
python=${venv:+$venv/bin/}python3
out="$root/build/plots"
mkdir -p "$out"
MPIPY_BENCH_COMMAND="benchmarks/plot.sh${*:+ $*}" \
    "$root/benchmarks/run.sh" --cases pingpong,isend,allreduce,bcast,object --np 2 --sweep \
    --quick --rounds 3 --stat min --json "$out/sweep.json" --output "$out/sweep.md" "$@"
"$python" "$root/benchmarks/plot.py" "$out/sweep.json" --outdir "$root/benchmarks/plots"

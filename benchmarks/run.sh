#!/usr/bin/env bash
# One benchmark table for one MPI: C vs mpi4py vs mpipy (see benchmarks/README.md).
# Usage: benchmarks/run.sh [--mpi-venv DIR] [--no-build] [run.py options]
# Unless --mpipy-path or --no-build is given, it first brings an mpipy build for that MPI up
# to date with tools/devbuild.sh in build/bench-<name> (<name>: the venv's, less "venv-").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
command="benchmarks/run.sh${*:+ $*}"

venv="" build=1 args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --mpi-venv) venv=${2:?--mpi-venv needs a directory}; args+=("$1" "$2"); shift 2 ;;
        --mpi-venv=*) venv=${1#*=}; args+=("$1"); shift ;;
        --mpipy-path|--mpipy-path=*) build=0; args+=("$1"); shift ;;
        --no-build) build=0; shift ;;
        *) args+=("$1"); shift ;;
    esac
done

if [ -n "$venv" ]; then
    venv=$(cd "$venv" && pwd)
    export PATH="$venv/bin:$PATH" VIRTUAL_ENV="$venv"
fi
python=$(command -v python3 || command -v python)
prefix=$("$python" -c 'import sys; print(sys.prefix)')

if [ "$build" = 1 ]; then
    name=$(basename "$prefix")
    dir="$root/build/bench-${name#venv-}"
    echo "building mpipy in $dir" >&2
    mpicc=$(command -v mpicc || true)
    if PYTHON="$python" MPICC="$mpicc" "$root/tools/devbuild.sh" "$dir" >&2; then
        args+=(--mpipy-path "$dir/site")
    else
        echo "warning: mpipy build failed; its column will be n/a unless PYTHONPATH has one" >&2
    fi
fi

export MPIPY_BENCH_COMMAND="${MPIPY_BENCH_COMMAND:-$command}"  # plot.sh gives its own
exec "$python" "$root/benchmarks/run.py" ${args[@]+"${args[@]}"}

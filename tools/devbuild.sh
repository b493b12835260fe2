#!/usr/bin/env bash
# Incremental developer build without pip: compiles the extension into BUILD_DIR and lays out
# BUILD_DIR/site/mpipy (Python sources symlinked), to use with PYTHONPATH=BUILD_DIR/site.
# Usage: tools/devbuild.sh [BUILD_DIR]   (PYTHON selects the interpreter, MPICC the MPI,
# MPIPY_CMAKE_ARGS adds CMake options at the first configure, e.g. "-DMPIPY_MPI_ABI=ON" for
# a build against the MPI standard ABI)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:-$root/build/dev}")
python=$(command -v "${PYTHON:-python3}")
mkdir -p "$build"
if [ ! -f "$build/build.ninja" ]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DPython_EXECUTABLE="$python" ${MPIPY_CMAKE_ARGS:-} > "$build/cmake.log" 2>&1 ||
        { cat "$build/cmake.log"; exit 1; }
fi
cmake --build "$build"
mkdir -p "$build/site/mpipy"
for f in "$root"/src/mpipy/*; do ln -sfn "$f" "$build/site/mpipy/$(basename "$f")"; done
for so in "$build"/MPI*.so; do ln -sfn "$so" "$build/site/mpipy/$(basename "$so")"; done
echo "PYTHONPATH=$build/site"

#!/usr/bin/env bash
# Builds mpipy with AddressSanitizer + UndefinedBehaviorSanitizer (CMake MPIPY_SANITIZE) and
# runs the test suite on it through tools/test.sh; fails on any test failure and on any
# sanitizer report, of any process (ranks, and the Python children that tests start).
#
# Usage: tools/sanitize.sh [pytest arguments...]   (default arguments: -x -q tests)
#   NPROCS="1 2"          sizes to run (default "1 2")
#   SANITIZE_BUILD=DIR    the build directory (default build/asan-<venv name>)
#   SANITIZE=address,undefined   the -fsanitize= list
#   MPIPY_WERROR=ON|OFF   compiler warnings are errors (default ON when CI=true, else OFF)
# Uses the active venv's Python and MPI, as tools/devbuild.sh does. Ends with the lines
# "sanitizer reports: K" and "P passed, F failed" (a report counts as a failure).
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
python=$(command -v "${PYTHON:-python3}")
venv_name=$(basename "$("$python" -c 'import sys; print(sys.prefix)')")
build=$(realpath -m "${SANITIZE_BUILD:-$root/build/asan-$venv_name}")
sanitize=${SANITIZE:-address,undefined}
werror=${MPIPY_WERROR:-}
if [ -z "$werror" ]; then
    if [ "${CI:-}" = true ]; then werror=ON; else werror=OFF; fi
fi
export NPROCS=${NPROCS:-1 2}
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(-x -q tests)
die() { echo "sanitize.sh: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

# -- Build: -O1 -g1, quick to build and run, with file:line (inlined frames too) in reports.
# Configured every time, so that a change of these flags reaches an existing build.
t=$SECONDS
mkdir -p "$build"
cmake -S "$root" -B "$build" -G Ninja -DPython_EXECUTABLE="$python" \
    -DMPIPY_SANITIZE="$sanitize" -DMPIPY_NOSTRIP=ON -DMPIPY_WERROR="$werror" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1" \
    > "$build/cmake.log" 2>&1 || { cat "$build/cmake.log"; die "cmake failed"; }
PYTHON=$python bash tools/devbuild.sh "$build" > "$build/build.log" 2>&1 ||
    { cat "$build/build.log"; die "the build failed"; }
echo "sanitize.sh: -fsanitize=$sanitize build in $build ready after $((SECONDS - t))s"

# -- The runtime: Python is not instrumented, so the ASan runtime the extension links is
# preloaded, through wrappers of python and mpiexec that tools/test.sh runs: every process
# of the job inherits it, the processes that MPI_Comm_spawn starts included. The C++ library
# is preloaded too: ASan intercepts __cxa_throw only if it is there at start-up (otherwise
# the first C++ exception stops the process with "CHECK failed").
so=$(ls "$build"/MPI*.so | head -n 1)
preload=$(ldd "$so" | awk '/libasan|libstdc\+\+/ { printf "%s%s", sep, $3; sep = ":" }')
[[ $preload == *libasan* ]] || [[ $sanitize != *address* ]] || die "$so does not link a libasan"
mpiexec=$(command -v "${MPIEXEC:-mpiexec}") || die "no mpiexec on PATH (activate the venv)"
mkdir -p "$build/bin"
for cmd in "$python" "$mpiexec"; do
    printf '#!/bin/sh\nLD_PRELOAD="%s${LD_PRELOAD:+:$LD_PRELOAD}" exec "%s" "$@"\n' \
        "$preload" "$cmd" > "$build/bin/${cmd##*/}"
    chmod +x "$build/bin/${cmd##*/}"
done

# ASan writes each report to a file of its own (LOG.PID), which this script collects: a
# report in a child process or in a rank the MPI kills still counts. UBSan (GCC's) ignores
# its log_path and writes to stderr, which this script reads. A process stops at its first
# report of either (halt_on_error, -fno-sanitize-recover), so the test that caused it fails.
logs=$build/reports
rm -rf "$logs"
mkdir -p "$logs"
supp=$root/tools/sanitize.supp
# detect_leaks=0: LeakSanitizer was tried. Python and MPICH alone leak nothing, but Python
# has no frame pointers, so the stack of a lost Python object stops in the interpreter's
# allocator: ours and the interpreter's cannot be told apart, nor suppressed; a leak also
# makes a process exit 1, failing the tests whose children must exit 0. Leaks are measured
# by the leak tests (resident memory, handle counts) instead.
# allocator_may_return_null=1: an impossible allocation raises MemoryError, as without ASan.
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:allocator_may_return_null=1:\
log_path=$logs/asan:suppressions=$supp${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:\
suppressions=$supp${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
# Python objects allocated by malloc, not by pymalloc's arenas: ASan then guards each one,
# so an overrun of a bytes or bytearray buffer by our code is seen.
export PYTHONMALLOC=malloc
export PYTHONPATH=$build/site${PYTHONPATH:+:$PYTHONPATH}

echo "sanitize.sh: ASan reports go to $logs"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
PYTHON=$build/bin/${python##*/} MPIEXEC=$build/bin/${mpiexec##*/} bash tools/test.sh "${args[@]}" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}

reports=0
for f in "$logs"/*; do
    [ -e "$f" ] || continue
    reports=$((reports + 1))
    printf '\n=== sanitizer report %s\n' "$f"
    cat "$f"
done
ubsan=$(grep -a -c -E ': runtime error: |^==[0-9]+==ERROR: ' "$out")
reports=$((reports + ubsan))
last=$(grep -a -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
p=${last%% passed*}
f=${last#*passed, }
f=${f%% failed}
p=${p:-0} f=${f:-1}
if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
echo "sanitizer reports: $reports"
echo "$p passed, $((f + reports)) failed"
[ "$rc" = 0 ] && [ "$reports" = 0 ]

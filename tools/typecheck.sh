#!/usr/bin/env bash
# Checks mpipy's type information: the stubs (.pyi) against the runtime modules they
# describe (mypy's stubtest, over the built extension and the Python modules, with the
# justified differences in tools/stubtest-allowlist.txt), and a sample program written as
# an mpi4py user would write it (tests/typing/sample.py) under mypy --strict, then run; and
# the SWIG typemaps (include/mpi4py/mpi4py.i: tests/test_capi.py's SWIG test, at N = 1).
#
# Usage: tools/typecheck.sh     (with mpipy importable: an active venv where it is installed,
#                                or PYTHONPATH=build/dev/site)
#   mypy and swig are pinned versions installed on first use in build/typecheck-tools (a venv
#   of its own); MYPY_PYTHON=... uses another interpreter that has mypy (and swig on PATH).
#   The checks run on the python3 on PATH (PYTHON=... another), whose mpipy and MPI they
#   import.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
MYPY_VERSION=2.4.1
SWIG_VERSION=4.5.1
python=$(command -v "${PYTHON:-python3}") || { echo "typecheck.sh: no python3"; exit 2; }
case ${1:-} in
"") ;;
*) sed -n '2,13s/^# \{0,1\}//p' "$0"; exit 2 ;;
esac

tools=$root/build/typecheck-tools
want="mypy==$MYPY_VERSION swig==$SWIG_VERSION"
if [ -z "${MYPY_PYTHON:-}" ]; then
    source tools/pinned-tools.sh
    ensure_tools typecheck.sh "$tools" "$python" "$want" \
        "mypy==$MYPY_VERSION" "swig==$SWIG_VERSION" || exit 2
fi
mypy_python=${MYPY_PYTHON:-$tools/bin/python}
swig_path=$PATH
[ -n "${MYPY_PYTHON:-}" ] || swig_path=$PATH:$tools/bin # last: python stays the checked one

# Importing mpipy.MPI initializes MPI: Open MPI refuses root without these.
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
# mypy runs in its own venv but must see the mpipy (and MPI) of the checked interpreter:
# --python-executable makes it find mpipy's stubs there; stubtest imports the runtime
# modules, so it gets that interpreter's site-packages (and PYTHONPATH) on its path.
site=$("$python" -c 'import os, mpipy; print(os.path.dirname(os.path.dirname(mpipy.__file__)))') ||
    { echo "typecheck.sh: mpipy does not import with $python"; exit 2; }
cache=$root/build/typecheck-cache

problems=0
step() {
    echo "--- $*"
    "$@" || problems=$((problems + 1))
}
mkdir -p "$cache"
# mpipy and its submodules (stubtest walks them), from a directory where nothing else is
# importable as mpipy. --ignore-disjoint-bases: nanobind's stubgen does not mark classes
# PEP 800's @disjoint_base (none of mpipy's classes can be a second base beside another).
step env -C "$cache" PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}" "$mypy_python" \
    "$root/tools/stubtest.py" --ignore-disjoint-bases --mypy-config-file "$root/tools/mypy.ini" \
    --allowlist "$root/tools/stubtest-allowlist.txt" mpipy
# The sample program, checked against the stubs of the mpipy that python imports: mypy finds
# an installed one through --python-executable, one on PYTHONPATH through MYPYPATH.
if ! "$python" -c 'import site, sys; sys.exit(sys.argv[1] not in site.getsitepackages())' "$site"; then
    export MYPYPATH=$site
fi
step "$mypy_python" -m mypy --config-file tools/mypy.ini --cache-dir "$cache" \
    --python-executable "$python" --strict tests/typing
# It runs too (one process, so no launcher), so that what it asserts is known to hold.
step "$python" tests/typing/sample.py
step env PATH="$swig_path" NPROCS=1 bash tools/test.sh -q tests/test_capi.py -k swig
if [ $problems = 0 ]; then
    echo "typecheck.sh: clean"
else
    echo "typecheck.sh: $problems of 4 checks failed"
    exit 1
fi

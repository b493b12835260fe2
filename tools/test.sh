#!/usr/bin/env bash
# Runs the test suite under mpiexec at several sizes and prints one closing line,
# "P passed, F failed", summed over the sizes; exits non-zero on any failure or hang.
#
# Usage: tools/test.sh [--selftest] [pytest arguments...]   (default arguments: -q tests)
#   NPROCS="1 2 3 4"      sizes to run (default "1 2 3 4")
#   SIZE_TIMEOUT=900      seconds before a whole size is killed and counted as failed
#   MPIPY_TEST_TIMEOUT    per-test limit inside the harness (tests/conftest.py)
#   MPIEXEC, PYTHON       launcher and interpreter (default: mpiexec and python on PATH)
#   MPIEXEC_FLAGS         extra mpiexec flags; Open MPI's are added automatically
# --selftest runs the harness's own checks: a failing or hanging rank must end the job
# within seconds, with the failure shown.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
PYTHON=${PYTHON:-$(command -v python || command -v python3)}
MPIEXEC=${MPIEXEC:-mpiexec}
NPROCS=${NPROCS:-1 2 3 4}
SIZE_TIMEOUT=${SIZE_TIMEOUT:-900}
read -r -a extra_flags <<< "${MPIEXEC_FLAGS:-}"

selftest=0
if [ "${1:-}" = "--selftest" ]; then
    selftest=1
    shift
elif [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    sed -n '2,12s/^# \{0,1\}//p' "$0"
    exit 0
fi
pytest_args=("$@")
[ ${#pytest_args[@]} -gt 0 ] || pytest_args=(-q tests)

die() { echo "test.sh: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

command -v "$MPIEXEC" > /dev/null || die "no '$MPIEXEC' on PATH (activate the venv: source .venv/bin/activate)"
# The MPI mpipy was built against, read without initializing MPI.
vendor=$("$PYTHON" -c 'import mpipy; mpipy.rc.initialize = False
from mpipy import MPI; n, v = MPI.get_vendor(); print(n, ".".join(map(str, v)))' 2>&1) ||
    die "cannot import mpipy.MPI with $PYTHON: $vendor"
launcher=$("$MPIEXEC" --version 2>&1 | head -n 3 | tr '\n' ' ')
case "$vendor" in
Open\ MPI*)
    case "$launcher" in *"Open MPI"* | *OpenRTE* | *prte* | *PRRTE*) ;;
    *) die "mpipy is built with $vendor but $MPIEXEC is not Open MPI's: $launcher" ;; esac
    extra_flags+=(--oversubscribe)
    if [ "$(id -u)" = 0 ]; then
        export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    fi
    export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1} # the fastest start-up on one node
    ;;
MPICH*)
    case "$launcher" in *HYDRA* | *MPICH* | *mpich*) ;;
    *) die "mpipy is built with $vendor but $MPIEXEC is not MPICH's: $launcher" ;; esac
    ;;
esac

total_passed=0 total_failed=0 total_skipped=0
results=()
log=$(mktemp)
MPIPY_TEST_STATE_DIR=$(mktemp -d)
export MPIPY_TEST_STATE_DIR
trap 'rm -rf "$log" "$MPIPY_TEST_STATE_DIR"' EXIT

# Runs pytest at size $1 with the remaining arguments; sets run_rc, run_secs and the
# counts, read from the harness's "mpipy-test:" lines.
run_size() {
    local n=$1
    shift
    # --capture=sys: what the MPI library writes to the file descriptors (its error
    # messages before it kills the job) reaches the terminal instead of pytest's capture.
    local cmd=("$MPIEXEC" "${extra_flags[@]}" -n "$n" "$PYTHON" -m pytest --capture=sys "$@")
    printf "\n=== mpipy tests: %s, N=%s: %s\n" "$vendor" "$n" "${cmd[*]}"
    local start=$SECONDS
    rm -f "$MPIPY_TEST_STATE_DIR"/rank-*
    timeout --kill-after=10 "$SIZE_TIMEOUT" "${cmd[@]}" < /dev/null 2>&1 | tee "$log"
    run_rc=${PIPESTATUS[0]}
    run_secs=$((SECONDS - start))
    # timeout(1) says 124, or 137 when it had to SIGKILL (as does an MPI job whose
    # process was SIGKILLed: hence the clock)
    run_killed=0
    if [ "$run_rc" = 124 ] || { [ "$run_rc" = 137 ] && [ "$run_secs" -ge "$SIZE_TIMEOUT" ]; }; then
        run_killed=1
    fi
    if [ "$run_rc" != 0 ] && [ "$run_rc" != 5 ]; then
        local f
        echo # rank 0's line of progress dots may lack its newline
        for f in "$MPIPY_TEST_STATE_DIR"/rank-*; do
            [ -s "$f" ] && echo "test.sh: at the end, ${f##*/} was $(cat "$f")"
        done | sort -t- -k2 -n | tee -a "$log"
    fi
    local line0 lines
    lines=$(grep -a -o 'mpipy-test: size=.*' "$log" || true)
    line0=$(grep ' rank=0 .*exit=[0-9]' <<< "$lines" | tail -n 1)
    # values of field $1 in lines $2, smallest first
    values() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<< "$2" | sort -n; }
    if [ -n "$line0" ]; then
        run_passed=$(values passed "$line0")
        run_skipped=$(values skipped "$line0")
    else # aborted: what the aborting ranks had done before
        run_passed=$(values passed "$lines" | head -n 1)
        run_skipped=$(values skipped "$lines" | head -n 1)
    fi
    run_failed=$(values failed "$lines" | tail -n 1) # the same failure may show on every rank
    run_passed=${run_passed:-0} run_skipped=${run_skipped:-0} run_failed=${run_failed:-0}
    if [ "$run_rc" != 0 ] && [ "$run_rc" != 5 ] && [ "$run_failed" = 0 ]; then
        run_failed=1 # a crash, a hang or an error outside any test
    fi
}

if [ $selftest = 1 ]; then
    export MPIPY_HARNESS_SELFTEST=1
    export MPIPY_TEST_GRACE=${MPIPY_TEST_GRACE:-2}
    # The jobs take seconds, but a busy machine slows MPI start-up a lot, hence limits of
    # 90 s. They still prove the point: without the harness's abort, the failing jobs
    # would wait for the per-test timeout (600 s here) or be killed at SIZE_TIMEOUT.
    export MPIPY_TEST_TIMEOUT=600
    SIZE_TIMEOUT=150
    ok=0 bad=0
    st=tests/harness_selftest
    # check NAME N EXPECT(pass|fail|empty) MAX_SECONDS PATTERN... -- PYTEST_ARGS...
    check() {
        local name=$1 n=$2 expect=$3 max=$4
        shift 4
        local patterns=()
        while [ "$1" != -- ]; do patterns+=("$1"); shift; done
        shift
        run_size "$n" -q "$@"
        local why=""
        case $expect in
        pass) [ "$run_rc" = 0 ] || why="exit $run_rc, expected 0" ;;
        empty) [ "$run_rc" = 5 ] || why="exit $run_rc, expected 5 (no tests collected)" ;;
        fail) [ "$run_rc" != 0 ] && [ "$run_killed" = 0 ] ||
            why="exit $run_rc, expected an aborted job" ;;
        esac
        [ "$run_secs" -le "$max" ] || why="$why; took ${run_secs}s, more than ${max}s"
        for p in "${patterns[@]}"; do
            grep -a -q -e "$p" "$log" || why="$why; output lacks '$p'"
        done
        if [ -z "$why" ]; then
            ok=$((ok + 1))
            results+=("ok    $name (N=$n, ${run_secs}s)")
        else
            bad=$((bad + 1))
            results+=("FAIL  $name (N=$n, ${run_secs}s): ${why#; }")
        fi
    }
    check "passing tests, fixtures, mpi marker" 3 pass 90 \
        'size=3 rank=0 passed=6 failed=0 skipped=1 exit=0' -- \
        "$st/test_harness.py" -k "passes or bufkind or skipped_by_size"
    check "failure on rank 1 aborts the job" 3 fail 90 \
        '\[rank 1/3\] FAILED .*test_fail_on_rank1' 'deliberate failure on rank 1' -- \
        "$st/test_harness.py" -k test_fail_on_rank1
    check "failure at N=1: pytest carries on and reports" 1 fail 90 \
        'deliberate failure on every rank' 'size=1 rank=0 passed=3 failed=1 skipped=0 exit=1' -- \
        "$st/test_harness.py" -k "test_fail_on_every_rank or passes"
    check "hang on rank 1 hits the watchdog" 3 fail 90 \
        '\[rank 1/3\] TIMEOUT: .*test_hang_on_rank1' 'in test_hang_on_rank1' 'time.sleep' -- \
        "$st/test_harness.py" -k test_hang_on_rank1
    check "import error on rank 2 aborts the job" 3 fail 90 \
        '\[rank 2/3\] FAILED collecting' 'deliberate import error on rank 2' -- \
        "$st/test_collect_error.py"
    check "no tests collected is exit 5, not a failure" 2 empty 90 \
        'exit=5' -- "$st/test_harness.py" -k no_such_test
    check "a process killed without a word is named" 3 fail 90 \
        'rank-1 was in .*test_killed_on_rank1' -- \
        "$st/test_harness.py" -k test_killed_on_rank1
    check "a hang holding the GIL is ended by faulthandler" 1 fail 90 \
        'Timeout (' 'in test_hang_holding_gil' -- \
        "$st/test_harness.py" -k test_hang_holding_gil
    printf "\n=== harness self-test (%s)\n" "$vendor"
    printf '%s\n' "${results[@]}"
    echo "$ok passed, $bad failed"
    [ "$bad" = 0 ]
    exit
fi

status=0
for n in $NPROCS; do
    run_size "$n" "${pytest_args[@]}"
    case $run_rc in
    0) note="ok" ;;
    5) note="no tests collected" ;;
    *) note="FAILED (exit $run_rc)"; status=1 ;;
    esac
    [ "$run_killed" = 0 ] || note="KILLED after ${SIZE_TIMEOUT}s (SIZE_TIMEOUT)"
    results+=("N=$n: $run_passed passed, $run_failed failed, $run_skipped skipped in ${run_secs}s: $note")
    total_passed=$((total_passed + run_passed))
    total_failed=$((total_failed + run_failed))
    total_skipped=$((total_skipped + run_skipped))
done
printf "\n=== mpipy tests: %s\n" "$vendor"
printf '%s\n' "${results[@]}"
[ "$total_failed" = 0 ] || status=1
echo "skipped $total_skipped in all"
echo "$total_passed passed, $total_failed failed"
exit $status

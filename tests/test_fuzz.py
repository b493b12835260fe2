"""Bad input never crashes or hangs a process: the fuzzer of tests/fuzz_driver.py calls every
public method of the MPI classes and the module's functions with bad arguments, in child
processes (singleton MPI), and any crash (a signal, an abort) or hang is named and fails.

At N = 1 one process drives every call; at N = 2 each rank drives half of them (the children
are independent singletons); larger jobs skip (the calls are the same whatever N is).
MPIPY_FUZZ_SLICE=A:B restricts the calls (to reproduce one: A:A+1).
"""

import os
import sys

import pytest

from mpipy import MPI

sys.path.insert(0, os.path.dirname(__file__))
import fuzz_driver  # noqa: E402

WORLD = MPI.COMM_WORLD


@pytest.mark.mpi(max_size=2)
@pytest.mark.timeout(900)
def test_fuzz_no_crash_no_hang():
    calls = len(fuzz_driver.build_calls(MPI)[0])
    start, _, stop = os.environ.get("MPIPY_FUZZ_SLICE", "0:").partition(":")
    start, stop = int(start or 0), int(stop) if stop else calls
    share = (stop - start + WORLD.size - 1) // WORLD.size
    lo = start + WORLD.rank * share
    hi = min(stop, lo + share)
    tried, counts, failures = fuzz_driver.drive("mpipy", lo, hi, hang_seconds=10.0)
    # Every rank's figures, then one verdict for all (a failure on one rank fails all).
    figures = WORLD.gather((lo, hi, tried, counts, failures), root=0)
    all_failures = WORLD.allreduce(len(failures))
    if WORLD.rank == 0:
        names, values = None, None
        lines = []
        for lo_, hi_, tried_, counts_, failures_ in figures:
            lines.append(
                f"calls {lo_}:{hi_}: {tried_} tried: "
                + ", ".join(f"{k} {v}" for k, v in sorted(counts_.items()))
            )
            if failures_:
                if names is None:
                    names, values, _ = fuzz_driver.build_calls(MPI)
                for i, what in failures_:
                    call = names[i] if i >= 0 else None
                    lines.append(f"  #{i} {fuzz_driver.describe(call, values)}: {what}")
        print("\nfuzz: " + "\n".join(lines))
        assert all_failures == 0, "\n".join(lines)
    else:
        assert all_failures == 0, "crash or hang on another rank (see rank 0)"
    assert tried == hi - lo  # every call was made: none lost to a restart

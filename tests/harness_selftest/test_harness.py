"""Deliberately failing and hanging tests that prove tests/conftest.py ends the job.

Collected only with MPIPY_HARNESS_SELFTEST=1; ``tools/test.sh --selftest`` runs each one
under mpiexec and checks how fast and how loudly the job ends.
"""

import ctypes
import os
import signal
import time

import pytest

from mpipy import MPI


def test_fail_on_every_rank():
    raise AssertionError("deliberate failure on every rank")


def test_passes(comm, rank, size):
    assert 0 <= rank < size
    assert size == (1 if comm == MPI.COMM_SELF else MPI.COMM_WORLD.Get_size())
    comm.Barrier()


def test_bufkind(bufkind):
    buf = bufkind.make("B", [1, 2, 3])
    assert bufkind.tolist(buf) == [1, 2, 3]
    assert memoryview(buf).nbytes == 3


@pytest.mark.mpi(min_size=64)
def test_skipped_by_size():
    raise AssertionError("the mpi marker should have skipped this test")


def test_fail_on_rank1(world_rank):
    if world_rank == 1:
        raise AssertionError("deliberate failure on rank 1")
    MPI.COMM_WORLD.Barrier()  # rank 1 never comes: only the abort ends this wait


def test_killed_on_rank1(world_rank):
    if world_rank == 1:
        os.kill(os.getpid(), signal.SIGKILL)  # as the MPI library or the kernel may do
    MPI.COMM_WORLD.Barrier()


@pytest.mark.timeout(2)
def test_hang_on_rank1(world_rank):
    if world_rank == 1:
        time.sleep(3600)
    MPI.COMM_WORLD.Barrier()


@pytest.mark.timeout(1)
def test_hang_holding_gil():
    # A C call that never returns and keeps the GIL: the watchdog thread cannot run,
    # so only the faulthandler timer can end the process.
    ctypes.PyDLL(None).sleep(3600)

"""A module that fails to import on rank 2 only (harness self-test)."""

from mpipy import MPI

if MPI.COMM_WORLD.Get_rank() == 2:
    raise RuntimeError("deliberate import error on rank 2")


def test_never_reached():
    MPI.COMM_WORLD.Barrier()

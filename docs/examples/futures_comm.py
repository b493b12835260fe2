"""mpipy.futures.MPICommExecutor: the ranks of a running job as workers. Rank 0 gets an
executor and hands out the tasks; the other ranks serve them until the with block ends.

Run: mpiexec -n 3 python -m mpipy docs/examples/futures_comm.py
"""

from mpipy import MPI
from mpipy.futures import MPICommExecutor


def where(x):
    return x * x, MPI.COMM_WORLD.Get_rank()


if __name__ == "__main__":
    with MPICommExecutor(MPI.COMM_WORLD, root=0) as executor:
        if executor is not None:  # rank 0 only
            results = list(executor.map(where, range(8)))
            print("squares:", [square for square, _ in results])
            ranks = {rank for _, rank in results}
            print("every task ran on another rank than 0:", 0 not in ranks)

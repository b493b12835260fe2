"""What idle ranks cost a busy one, under each wait policy (mpipy.rc.wait_policy).

Rank 0 computes (a fixed amount of pure-Python work) while every other rank waits for it
in a blocking receive; then rank 0 sends each of them a message. Oversubscribed (more ranks
than cores), ranks that wait inside MPI keep their cores busy and slow rank 0 down; with
the "backoff" policy they sleep instead.

Run under mpiexec with more ranks than cores, once per policy, e.g. on 2 cores:

    MPIPY_RC_WAIT_POLICY=mpi mpiexec -n 4 python benchmarks/wait_policy.py
    MPIPY_RC_WAIT_POLICY=backoff mpiexec -n 4 python benchmarks/wait_policy.py

Rank 0 prints one line: the policy, rank 0's compute time, the wall time until every
rank has its message, and the CPU time of all ranks together over that span.
"""

import argparse
import time

import mpipy
from mpipy import MPI


def work(n):
    """Pure-Python work whose duration is what the measurement is about."""
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=int, default=30_000_000, help="loop iterations")
    args = parser.parse_args()

    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    buf = bytearray(8)
    comm.Barrier()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    if rank == 0:
        t = time.perf_counter()
        work(args.work)
        compute = time.perf_counter() - t
        for dest in range(1, size):
            comm.Send(buf, dest)
    else:
        compute = 0.0
        comm.Recv(buf, 0)
    wall = time.perf_counter() - wall0
    cpu = comm.reduce(time.process_time() - cpu0, op=MPI.SUM, root=0)
    wall = comm.reduce(wall, op=MPI.MAX, root=0)
    if rank == 0:
        print(
            f"{MPI.get_vendor()[0]}, {size} ranks, wait_policy={mpipy.rc.wait_policy}: "
            f"rank 0 computes in {compute:.2f} s; all done in {wall:.2f} s; "
            f"CPU time of all ranks {cpu:.2f} s"
        )


if __name__ == "__main__":
    main()

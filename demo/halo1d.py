"""A 1-D halo exchange with one-sided Put and Fence: the heat equation on a line, checked
against a serial NumPy solution.

Run with any number of processes::

    mpiexec -n 4 python demo/halo1d.py [--n 200] [--steps 500]

The interior of [0, 1] is an ``n``-point grid with zero temperature held at both ends and a
hot middle at the start. Each step is ``u += alpha * (left + right - 2 u)`` (stable for
``alpha <= 1/2``). The grid is split in blocks, one per process; each process's window is its
block with one ghost cell at each end. Before a step every process puts its first value into
its left neighbour's right ghost and its last value into its right neighbour's left ghost;
the fences around the puts open and close the exchange. At the ends of the line the
neighbour is ``PROC_NULL``: nothing is put and the ghost stays zero, which is the boundary
condition. The result is gathered and compared with the serial solution; the program prints
the largest difference and exits non-zero if it is not zero.
"""

import argparse
import sys

import numpy as np

from mpipy import MPI

ALPHA = 0.4


def block(n, parts, index):
    """(start, count) of block `index` when n points are split in `parts` nearly equal ones."""
    base, extra = divmod(n, parts)
    return index * base + min(index, extra), base + (1 if index < extra else 0)


def initial_condition(n):
    u = np.zeros(n)
    u[n // 3 : 2 * n // 3] = 1.0
    return u


def solve_serial(n, steps):
    u = initial_condition(n)
    for _ in range(steps):
        padded = np.concatenate(([0.0], u, [0.0]))
        u = u + ALPHA * (padded[:-2] + padded[2:] - 2 * u)
    return u


def solve_parallel(comm, n, steps):
    """This process's block of the solution after `steps` steps."""
    rank, size = comm.Get_rank(), comm.Get_size()
    if size > n:
        raise ValueError("more processes than grid points")
    start, count = block(n, size, rank)
    left = rank - 1 if rank > 0 else MPI.PROC_NULL
    right = rank + 1 if rank < size - 1 else MPI.PROC_NULL
    left_count = block(n, size, rank - 1)[1] if rank > 0 else 0
    # Window: [left ghost, block..., right ghost], in units of one float64.
    cells = np.zeros(count + 2)
    cells[1:-1] = initial_condition(n)[start : start + count]
    win = MPI.Win.Create(cells, cells.itemsize, comm=comm)
    for _ in range(steps):
        win.Fence(MPI.MODE_NOPRECEDE)
        win.Put(cells[1:2], left, left_count + 1)  # the left neighbour's right ghost
        win.Put(cells[count : count + 1], right, 0)  # the right neighbour's left ghost
        win.Fence(MPI.MODE_NOSUCCEED)
        inner = cells[1:-1]
        inner += ALPHA * (cells[:-2] + cells[2:] - 2 * inner)
    win.Free()
    return cells[1:-1].copy()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--steps", type=int, default=500)
    args = parser.parse_args(argv)
    comm = MPI.COMM_WORLD
    if comm.Get_size() > args.n:
        parser.error("more processes than grid points")
    part = solve_parallel(comm, args.n, args.steps)
    parts = comm.gather(part)
    if comm.Get_rank() != 0:
        return 0
    diff = float(np.max(np.abs(np.concatenate(parts) - solve_serial(args.n, args.steps))))
    print(f"largest difference from the serial solution: {diff}")
    return 0 if diff == 0.0 else 1


if __name__ == "__main__":
    sys.exit(main())

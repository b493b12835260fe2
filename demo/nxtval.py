"""A distributed work counter ("nxtval"): processes take tasks from a shared counter.

Run with any number of processes::

    mpiexec -n 4 python demo/nxtval.py [--tasks 1000] [--chunk 1]

Rank 0 exposes one 64-bit integer in a window. Every process (rank 0 included) asks for its
next task number with ``Fetch_and_op`` (SUM of ``chunk``) under a shared lock held for the
whole run (``Lock_all`` / ``Flush``), so the counter is advanced atomically by whoever asks
first: fast processes simply take more tasks. Each task here is "square the task number".
At the end the results are gathered and checked: every task ran exactly once and the sum of
the squares is the closed form. The program exits non-zero otherwise.
"""

import argparse
import sys

import numpy as np

from mpipy import MPI


class TaskCounter:
    """A shared counter at rank 0 of `comm`: next() gives each caller a fresh block of
    `chunk` task numbers."""

    def __init__(self, comm, chunk=1):
        self.comm = comm
        self.chunk = np.array([chunk], dtype="i8")
        self.result = np.zeros(1, dtype="i8")
        size = 8 if comm.Get_rank() == 0 else 0
        self.win = MPI.Win.Allocate(size, 8, comm=comm)
        if comm.Get_rank() == 0:  # a local store, inside an epoch so that RMA sees it
            self.win.Lock(0, MPI.LOCK_EXCLUSIVE)
            np.frombuffer(self.win.tomemory(), dtype="i8")[:] = 0
            self.win.Unlock(0)
        comm.Barrier()
        self.win.Lock_all()

    def next(self):
        self.win.Fetch_and_op(self.chunk, self.result, 0, 0, MPI.SUM)
        self.win.Flush(0)
        return int(self.result[0])

    def free(self):
        self.win.Unlock_all()
        self.win.Free()


def run(comm, tasks, chunk=1):
    """Run `tasks` tasks over comm; returns {task: result} of the tasks this process ran."""
    counter = TaskCounter(comm, chunk)
    done = {}
    while True:
        first = counter.next()
        if first >= tasks:
            break
        for task in range(first, min(first + chunk, tasks)):
            done[task] = task * task
    counter.free()
    return done


def check(comm, done, tasks):
    """Whether every task ran exactly once, with the right result (the same on every rank)."""
    everything = comm.allgather(done)
    ran = [task for part in everything for task in part]
    total = sum(value for part in everything for value in part.values())
    return sorted(ran) == list(range(tasks)) and total == (tasks - 1) * tasks * (2 * tasks - 1) // 6


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--chunk", type=int, default=1)
    args = parser.parse_args(argv)
    comm = MPI.COMM_WORLD
    done = run(comm, args.tasks, args.chunk)
    ok = check(comm, done, args.tasks)
    counts = comm.gather(len(done))
    if comm.Get_rank() == 0:
        print(f"tasks per process: {counts}; all {args.tasks} ran once: {ok}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

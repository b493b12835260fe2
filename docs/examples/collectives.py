"""Collective operations: every rank of the communicator calls them. Lowercase forms move
Python objects, uppercase forms fill buffers.

Run: mpiexec -n 4 python -m mpipy docs/examples/collectives.py
"""

import numpy as np

from mpipy import MPI

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()

# Objects: broadcast a configuration, scatter one piece of work to each rank, reduce.
config = comm.bcast({"scale": 3} if rank == 0 else None, root=0)
work = comm.scatter([list(range(r + 1)) for r in range(size)] if rank == 0 else None, root=0)
partial = config["scale"] * sum(work)
total = comm.allreduce(partial, op=MPI.SUM)
everyone = comm.gather(partial, root=0)

# Buffers: the same pattern on arrays.
data = np.arange(8, dtype="f8") if rank == 0 else np.empty(8, dtype="f8")
comm.Bcast(data, root=0)
sums = np.empty_like(data)
comm.Allreduce(data * rank, sums, op=MPI.SUM)  # element-wise over the ranks

# Allgather: one value from each rank, in rank order, on every rank.
ranks = np.empty(size, dtype="i8")
comm.Allgather(np.array([rank * rank], dtype="i8"), ranks)

# Allgatherv: rank r gives r + 1 values; counts say how many come from each rank.
counts = [r + 1 for r in range(size)]
gathered = np.empty(sum(counts), dtype="i8")
comm.Allgatherv(np.full(rank + 1, rank, dtype="i8"), [gathered, counts])

# In place: the receive buffer is also the send buffer.
maxima = np.array([rank, -rank], dtype="i8")
comm.Allreduce(MPI.IN_PLACE, maxima, op=MPI.MAX)

if rank == 0:
    print("partial sums:", everyone, "total:", total)
    print("Allreduce:", sums.tolist())
    print("Allgather:", ranks.tolist())
    print("Allgatherv:", gathered.tolist())
    print("in place MAX:", maxima.tolist())

"""One-sided communication (RMA) with MPI.Win: every rank exposes a window of memory that
the others read and write without the owner taking part. Fence epochs for Put and Get, a
passive-target epoch (Lock_all) for an atomic counter.

Run: mpiexec -n 4 python -m mpipy docs/examples/rma.py
"""

import numpy as np

from mpipy import MPI

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
right = (rank + 1) % size

# Every rank exposes `size` int64 slots (disp_unit: target displacements count slots,
# not bytes); the window keeps the array alive until Free.
slots = np.zeros(size, dtype="i8")
win = MPI.Win.Create(slots, disp_unit=slots.itemsize, comm=comm)

# Active target: between two fences, every rank writes its number into slot `rank` of
# its right neighbour's window. A target is [displacement, count, datatype].
win.Fence()
win.Put(np.array([100 + rank], dtype="i8"), right, target=[rank, 1, MPI.INT64_T])
win.Fence()
# ... and reads back the whole window of its right neighbour.
copy = np.empty(size, dtype="i8")
win.Get(copy, right)
win.Fence()
win.Free()

# Passive target: an atomic counter on rank 0 (Allocate: MPI provides the memory).
counter = MPI.Win.Allocate(8 if rank == 0 else 0, disp_unit=8, comm=comm)
if rank == 0:  # the memory starts undefined: set it to 0 inside an epoch of its own
    counter.Lock(0)
    counter.Put(np.zeros(1, dtype="i8"), 0)
    counter.Unlock(0)
comm.Barrier()
one, old = np.ones(1, dtype="i8"), np.empty(1, dtype="i8")
tickets = []
counter.Lock_all()
for _ in range(3):
    counter.Fetch_and_op(one, old, 0, op=MPI.SUM)
    counter.Flush(0)
    tickets.append(int(old[0]))
counter.Unlock_all()
comm.Barrier()
everyone = comm.gather(tickets, root=0)
final = np.empty(1, dtype="i8")
counter.Lock(0, MPI.LOCK_SHARED)
counter.Get(final, 0)
counter.Unlock(0)
counter.Free()

views = comm.gather((slots.tolist(), copy.tolist()), root=0)
if rank == 0:
    for r, (mine, neighbours) in enumerate(views):
        print(f"rank {r} window {mine}, read from rank {(r + 1) % size}: {neighbours}")
    tickets = sorted(t for ts in everyone for t in ts)
    print(f"counter {final[0]}, tickets handed out: {tickets == list(range(3 * size))}")

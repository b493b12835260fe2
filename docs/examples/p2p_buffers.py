"""Point-to-point with buffers: NumPy arrays (or anything with the buffer protocol) go
to MPI as they are, without pickling. A ring with Sendrecv, then nonblocking Isend/Irecv
to both neighbours completed with Waitall, with an explicit datatype.

Run: mpiexec -n 4 python -m mpipy docs/examples/p2p_buffers.py
"""

import numpy as np

from mpipy import MPI

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
right, left = (rank + 1) % size, (rank - 1) % size

# Sendrecv: the datatype is taken from the array (float64 -> MPI.DOUBLE).
outgoing = np.full(4, rank, dtype="f8")
incoming = np.empty(4, dtype="f8")
comm.Sendrecv(outgoing, dest=right, recvbuf=incoming, source=left)
assert (incoming == left).all()

# Isend/Irecv: [buffer, datatype] names the MPI datatype; the receives are posted first.
mine = np.arange(3, dtype="i4") + 10 * rank
from_left = np.empty(3, dtype="i4")
from_right = np.empty(3, dtype="i4")
requests = [
    comm.Irecv([from_left, MPI.INT], source=left, tag=0),
    comm.Irecv([from_right, MPI.INT], source=right, tag=1),
    comm.Isend([mine, MPI.INT], dest=right, tag=0),
    comm.Isend([mine, MPI.INT], dest=left, tag=1),
]
MPI.Request.Waitall(requests)

# Everything to rank 0 (lowercase gather: a list of objects) for one printout.
rows = comm.gather((rank, incoming[0], from_left.tolist(), from_right.tolist()), root=0)
if rank == 0:
    for r, first, lft, rgt in rows:
        print(f"rank {r}: Sendrecv got {first:g}; Irecv got {lft} and {rgt}")

"""mpipy.util.pkl5: communicator wrappers whose lowercase methods pickle with protocol 5
and send large buffers out of band, as MPI messages of their own, straight from and into
the arrays' memory (no copy into a pickle stream, and no 2 GiB limit per message).

Run: mpiexec -n 4 python -m mpipy docs/examples/pkl5_ring.py
"""

import numpy as np

from mpipy import MPI
from mpipy.util import pkl5

comm = pkl5.Intracomm(MPI.COMM_WORLD)  # wraps the communicator; same ranks, same size
rank, size = comm.Get_rank(), comm.Get_size()
right, left = (rank + 1) % size, (rank - 1) % size

# A dict holding a 4 MiB array and some metadata: the array travels out of band.
block = {"owner": rank, "values": np.full(1 << 19, rank, dtype="f8")}
got = comm.sendrecv(block, dest=right, source=left)
assert got["owner"] == left and (got["values"] == left).all()

# Nonblocking forms return pkl5.Request objects (not MPI.Request).
request = comm.isend(got["values"][:1000], dest=left, tag=3)
back = comm.recv(source=right, tag=3)
request.wait()

# A matched probe: learn the sender of a message, then receive exactly that message.
if rank == 0:
    sources = []
    for _ in range(size - 1):
        message = comm.mprobe(source=MPI.ANY_SOURCE, tag=4)
        sources.append(message.recv().shape[0])
    print(f"rank 0 received {got['values'].nbytes >> 20} MiB from rank {got['owner']}")
    print(f"and {back.shape[0]} values of rank {int(back[0])} back from rank {right}")
    print("probed array lengths:", sorted(sources))
else:
    comm.send(np.zeros(rank * 100), dest=0, tag=4)

# Collectives too: bcast and gather of objects with large buffers.
table = comm.bcast(np.arange(1 << 18) if rank == 0 else None, root=0)
lengths = comm.gather(len(table), root=0)
if rank == 0:
    print("bcast reached every rank:", lengths == [1 << 18] * size)

"""Parallel I/O with MPI.File: every rank writes its block of one shared file with a
collective write at an explicit offset, then reads back another rank's block through a
file view.

Run: mpiexec -n 4 python -m mpipy docs/examples/io.py
"""

import os
import tempfile

import numpy as np

from mpipy import MPI

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
n = 5  # values per rank

# One path for every rank (a temporary directory made by rank 0).
folder = comm.bcast(tempfile.mkdtemp() if rank == 0 else None, root=0)
path = os.path.join(folder, "blocks.bin")

# Write: each rank's block at offset rank * n * 8 bytes, in one collective call.
block = np.arange(n, dtype="f8") + 100 * rank
fh = MPI.File.Open(comm, path, MPI.MODE_CREATE | MPI.MODE_WRONLY)
fh.Write_at_all(rank * block.nbytes, block)
fh.Close()

# Read: a view that starts at the left neighbour's block, so that Read_all (at the
# view's start) reads that block.
left = (rank - 1) % size
back = np.empty(n, dtype="f8")
fh = MPI.File.Open(comm, path, MPI.MODE_RDONLY)
fh.Set_view(left * back.nbytes, MPI.DOUBLE, MPI.DOUBLE)
fh.Read_all(back)
file_size = fh.Get_size()
fh.Close()
assert (back == np.arange(n) + 100 * left).all()

blocks = comm.gather(back.tolist(), root=0)
comm.Barrier()  # every rank has closed the file before it goes
if rank == 0:
    MPI.File.Delete(path)
    os.rmdir(folder)
    print(f"file of {file_size} bytes written by {size} ranks")
    for r, values in enumerate(blocks):
        print(f"rank {r} read {values}")

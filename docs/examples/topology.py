"""Process topologies: a periodic 2-D Cartesian grid over all the ranks, neighbours from
Shift, and a neighbourhood collective that exchanges one value with each neighbour.

Run: mpiexec -n 4 python -m mpipy docs/examples/topology.py
"""

import numpy as np

from mpipy import MPI

world = MPI.COMM_WORLD
dims = MPI.Compute_dims(world.Get_size(), 2)  # a balanced grid, e.g. [2, 2] for 4
grid = world.Create_cart(dims, periods=[True, True], reorder=False)
rank = grid.Get_rank()
row, col = grid.Get_coords(rank)

# Shift(direction, disp) gives (source, dest): who sends to me, whom I send to.
up, down = grid.Shift(0, 1)
left, right = grid.Shift(1, 1)

# Neighbor_allgather: one value to each of the 2 * ndims neighbours, in the order
# (lower, upper) of dimension 0, then of dimension 1.
received = np.empty(4, dtype="i8")
grid.Neighbor_allgather(np.array([rank], dtype="i8"), received)
assert received.tolist() == [up, down, left, right]

rows = grid.gather((rank, (row, col), received.tolist()), root=0)
if rank == 0:
    print("grid", dims)
    for r, coords, neighbours in rows:
        print(f"rank {r} at {coords}: neighbours {neighbours}")
grid.Free()

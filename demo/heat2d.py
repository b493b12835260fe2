"""2-D heat equation on a Cartesian process grid, checked against a serial NumPy solution.

Run with any number of processes::

    mpiexec -n 4 python demo/heat2d.py [--nx 64] [--ny 48] [--steps 200]

The unit square's interior is an ``nx`` x ``ny`` grid with the temperature held at zero on
the boundary (Dirichlet), starting from a hot rectangle. Each step is the explicit
five-point scheme ``u += alpha * (north + south + west + east - 4 u)``, stable for
``alpha <= 1/4``. The grid is split in blocks over a 2-D Cartesian communicator
(``Compute_dims``, ``Create_cart``); before each step every process fetches the rows and
columns bordering its block (its halo) from its four neighbours, by one of two methods:

- ``sendrecv``: ``Shift`` names the neighbours along each dimension, and four ``Sendrecv``
  calls move the halo (columns are copied to contiguous buffers first);
- ``neighbor``: one ``Neighbor_alltoall`` moves all four halo pieces at once, in the
  neighbour order MPI defines for Cartesian topologies (per dimension, the lower then the
  upper neighbour), each piece padded to one common length.

At a boundary of the grid the neighbour is ``PROC_NULL``: nothing arrives and the halo
stays zero, which is the boundary condition. The program runs both methods, gathers the
result, compares it with the serial solution, prints the largest difference and exits
non-zero if it exceeds the tolerance.
"""

import argparse
import sys

import numpy as np

from mpipy import MPI

ALPHA = 0.2
TOLERANCE = 1e-12


def initial_condition(nx, ny):
    """The global field with its zero boundary: (nx + 2) x (ny + 2), a hot rectangle."""
    u = np.zeros((nx + 2, ny + 2))
    u[1 + nx // 4 : 1 + nx // 2, 1 + ny // 3 : 1 + (2 * ny) // 3] = 100.0
    return u


def step(u, alpha=ALPHA):
    """One explicit step on the interior of u (halo or boundary included), in place."""
    lap = u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:] - 4.0 * u[1:-1, 1:-1]
    u[1:-1, 1:-1] += alpha * lap


def solve_serial(nx, ny, steps, alpha=ALPHA):
    """The reference: the whole grid on one process. Returns the (nx+2) x (ny+2) field."""
    u = initial_condition(nx, ny)
    for _ in range(steps):
        step(u, alpha)
    return u


def block(n, parts, index):
    """(start, count) of block `index` when n points are split into `parts` blocks whose
    sizes differ by at most one (the first n % parts blocks are one larger)."""
    base, extra = divmod(n, parts)
    start = index * base + min(index, extra)
    return start, base + (1 if index < extra else 0)


def make_cart(comm):
    """A 2-D non-periodic Cartesian communicator over all processes of comm."""
    dims = MPI.Compute_dims(comm.Get_size(), 2)
    return comm.Create_cart(dims, periods=[False, False], reorder=True)


class Subdomain:
    """This process's block of the grid, with a halo of one point on each side."""

    def __init__(self, cart, nx, ny):
        self.cart = cart
        dims, _, coords = cart.Get_topo()
        (self.x0, self.lnx) = block(nx, dims[0], coords[0])
        (self.y0, self.lny) = block(ny, dims[1], coords[1])
        global_u = initial_condition(nx, ny)
        self.u = global_u[self.x0 : self.x0 + self.lnx + 2, self.y0 : self.y0 + self.lny + 2].copy()
        # neighbours: (lower, upper) along x, then along y
        self.down_x, self.up_x = cart.Shift(0, 1)
        self.down_y, self.up_y = cart.Shift(1, 1)
        # the common length of halo pieces for the neighbour collective: the largest block
        # side anywhere, the same on every process
        self.piece = max(block(nx, dims[0], 0)[1], block(ny, dims[1], 0)[1])

    def exchange_sendrecv(self):
        u, cart = self.u, self.cart
        # along x: rows are contiguous in C order, sent and received in place
        cart.Sendrecv(u[-2, :], self.up_x, 0, u[0, :], self.down_x, 0)
        cart.Sendrecv(u[1, :], self.down_x, 1, u[-1, :], self.up_x, 1)
        # along y: columns are strided, so copied to contiguous buffers
        recv = np.empty(u.shape[0])
        cart.Sendrecv(np.ascontiguousarray(u[:, -2]), self.up_y, 2, recv, self.down_y, 2)
        if self.down_y != MPI.PROC_NULL:
            u[:, 0] = recv
        cart.Sendrecv(np.ascontiguousarray(u[:, 1]), self.down_y, 3, recv, self.up_y, 3)
        if self.up_y != MPI.PROC_NULL:
            u[:, -1] = recv

    def exchange_neighbor(self):
        u, m = self.u, self.piece
        lnx, lny = self.lnx, self.lny
        send = np.zeros((4, m))
        send[0, :lny] = u[1, 1:-1]  # to the lower x neighbour: my first row
        send[1, :lny] = u[-2, 1:-1]  # to the upper x neighbour: my last row
        send[2, :lnx] = u[1:-1, 1]  # to the lower y neighbour: my first column
        send[3, :lnx] = u[1:-1, -2]  # to the upper y neighbour: my last column
        recv = np.zeros((4, m))  # pieces from PROC_NULL stay zero: the boundary value
        self.cart.Neighbor_alltoall(send, recv)
        u[0, 1:-1] = recv[0, :lny]
        u[-1, 1:-1] = recv[1, :lny]
        u[1:-1, 0] = recv[2, :lnx]
        u[1:-1, -1] = recv[3, :lnx]

    def gather(self, nx, ny):
        """The global field, assembled on every process."""
        pieces = self.cart.allgather((self.x0, self.y0, self.u[1:-1, 1:-1]))
        u = np.zeros((nx + 2, ny + 2))
        for x0, y0, interior in pieces:
            u[1 + x0 : 1 + x0 + interior.shape[0], 1 + y0 : 1 + y0 + interior.shape[1]] = interior
        return u


def solve_parallel(comm, nx, ny, steps, exchange="sendrecv", alpha=ALPHA):
    """Solve on a Cartesian grid over comm's processes; the global field, on every process."""
    cart = make_cart(comm)
    try:
        sub = Subdomain(cart, nx, ny)
        swap = {"sendrecv": sub.exchange_sendrecv, "neighbor": sub.exchange_neighbor}[exchange]
        for _ in range(steps):
            swap()
            step(sub.u, alpha)
        return sub.gather(nx, ny)
    finally:
        cart.Free()


def main(argv=None, comm=MPI.COMM_WORLD):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nx", type=int, default=64, help="interior points along x")
    parser.add_argument("--ny", type=int, default=48, help="interior points along y")
    parser.add_argument("--steps", type=int, default=200, help="time steps")
    args = parser.parse_args(argv)
    reference = solve_serial(args.nx, args.ny, args.steps)
    status = 0
    for exchange in ("sendrecv", "neighbor"):
        start = MPI.Wtime()
        u = solve_parallel(comm, args.nx, args.ny, args.steps, exchange)
        seconds = MPI.Wtime() - start
        error = float(np.max(np.abs(u - reference)))
        if comm.Get_rank() == 0:
            dims = MPI.Compute_dims(comm.Get_size(), 2)
            verdict = "ok" if error <= TOLERANCE else "MISMATCH"
            print(
                f"heat2d {args.nx}x{args.ny}, {args.steps} steps on {dims[0]}x{dims[1]} "
                f"processes, halo by {exchange}: max error {error:.3g} ({verdict}), "
                f"{seconds:.3f} s"
            )
        if error > TOLERANCE:
            status = 1
    return comm.allreduce(status, op=MPI.MAX)


if __name__ == "__main__":
    sys.exit(main())

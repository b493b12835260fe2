"""Parallel checkpoint and restart of a distributed NumPy array with MPI-IO.

Run with any number of processes::

    mpiexec -n 4 python demo/checkpoint.py [--ny 60] [--nx 80] [--steps 30] [--at 12]
                                            [--file /tmp/state.ckpt]

A 2-D field of ``ny`` x ``nx`` doubles is split in blocks over a 2-D Cartesian
communicator. Each step updates every point from its own value and its global position
only, so the result does not depend on how the field is split. At step ``--at`` every
process writes its block into one checkpoint file, collectively; then the program starts
again from that file, on a *different* decomposition (rows only, on as many processes as
it likes), runs the remaining steps and compares the result with an uninterrupted run.

The file is self-describing and portable:

- a 64-byte header, written by rank 0 with ``Write_at``: magic ``b"MPIPYCKP"``, then
  big-endian 64-bit integers: format version, ``ny``, ``nx``, the step;
- the field in row-major order, in the ``external32`` representation (big-endian IEEE
  doubles, whatever the machine), through a file view whose filetype is the subarray of
  the process's block (``Create_subarray``), written with ``Write_all``.

Reading back uses the same mechanism with the new decomposition's subarrays, so a
checkpoint written by 6 processes restarts on 4, or on 1. Plain NumPy can read the file
too (``numpy.fromfile(path, ">f8", offset=64)``): the program checks that as well. It
exits non-zero on any mismatch.
"""

import argparse
import os
import struct
import sys
import tempfile

import numpy as np

from mpipy import MPI

MAGIC = b"MPIPYCKP"
VERSION = 1
HEADER = struct.Struct(">8s4q")  # magic, version, ny, nx, step
HEADER_BYTES = 64  # the field starts here, whatever the header grows to


def block(n, parts, index):
    """(start, count) of block `index` of n points split into `parts` nearly equal blocks."""
    base, extra = divmod(n, parts)
    return index * base + min(index, extra), base + (index < extra)


class Decomposition:
    """The block of a (ny, nx) field this process owns on a grid of `dims` processes."""

    def __init__(self, comm, shape, dims):
        self.comm, self.shape, self.dims = comm, tuple(shape), list(dims)
        coords = np.unravel_index(comm.Get_rank(), self.dims)
        spans = [block(n, p, c) for n, p, c in zip(self.shape, self.dims, coords)]
        self.starts = [s for s, _ in spans]
        self.counts = [c for _, c in spans]

    @classmethod
    def blocks_2d(cls, comm, shape):
        return cls(comm, shape, MPI.Compute_dims(comm.Get_size(), 2))

    @classmethod
    def rows(cls, comm, shape):
        return cls(comm, shape, [comm.Get_size(), 1])

    def global_indices(self):
        """The global (row, column) of every local point, as two arrays."""
        rows = np.arange(self.starts[0], self.starts[0] + self.counts[0])
        cols = np.arange(self.starts[1], self.starts[1] + self.counts[1])
        return np.meshgrid(rows, cols, indexing="ij")

    def filetype(self):
        """This block of the row-major field, as an MPI datatype (committed; Free it)."""
        return MPI.DOUBLE.Create_subarray(self.shape, self.counts, self.starts).Commit()


def initial_field(dec):
    i, j = dec.global_indices()
    return np.sin(0.1 * i) * np.cos(0.07 * j) + 1.0


def advance(u, dec, step):
    """One step, in place: each point from itself and its global position."""
    i, j = dec.global_indices()
    u *= 0.97
    u += 0.01 * np.sin(0.05 * (i + 2 * j) + 0.3 * step)


def write_checkpoint(comm, path, u, dec, step):
    """Write the field (every process its block) and the header into `path`, collectively."""
    fh = MPI.File.Open(comm, path, MPI.MODE_WRONLY | MPI.MODE_CREATE)
    try:
        fh.Set_size(0)  # an older, larger checkpoint leaves nothing behind
        if comm.Get_rank() == 0:
            header = HEADER.pack(MAGIC, VERSION, dec.shape[0], dec.shape[1], step)
            fh.Write_at(0, header.ljust(HEADER_BYTES, b"\0"))
        filetype = dec.filetype()
        try:
            fh.Set_view(HEADER_BYTES, MPI.DOUBLE, filetype, "external32")
            fh.Write_all(np.ascontiguousarray(u))
        finally:
            filetype.Free()
        fh.Sync()
    finally:
        fh.Close()


def read_header(comm, path):
    """(ny, nx, step) of a checkpoint, read by every process of comm (collectively)."""
    fh = MPI.File.Open(comm, path, MPI.MODE_RDONLY)
    try:
        raw = bytearray(HEADER.size)
        fh.Read_at_all(0, raw)
    finally:
        fh.Close()
    magic, version, ny, nx, step = HEADER.unpack(bytes(raw))
    if magic != MAGIC or version != VERSION:
        raise ValueError(f"{path}: not a version {VERSION} checkpoint")
    return ny, nx, step


def read_checkpoint(comm, path, make_decomposition=Decomposition.rows):
    """Restart: (field block, decomposition, step), on comm's processes, split as
    make_decomposition(comm, shape) says (whatever split wrote the file)."""
    ny, nx, step = read_header(comm, path)
    dec = make_decomposition(comm, (ny, nx))
    u = np.empty(dec.counts)
    fh = MPI.File.Open(comm, path, MPI.MODE_RDONLY)
    try:
        # Every process sees the same size: all of them stop here, or none.
        if fh.Get_size() < HEADER_BYTES + 8 * ny * nx:
            raise ValueError(f"{path}: truncated checkpoint")
        filetype = dec.filetype()
        try:
            fh.Set_view(HEADER_BYTES, MPI.DOUBLE, filetype, "external32")
            fh.Read_all(u)
        finally:
            filetype.Free()
    finally:
        fh.Close()
    return u, dec, step


def gather(comm, u, dec):
    """The whole field on rank 0 (None elsewhere)."""
    pieces = comm.gather((dec.starts, dec.counts, u), root=0)
    if pieces is None:
        return None
    field = np.empty(dec.shape)
    for (r0, c0), (nr, nc), piece in pieces:
        field[r0 : r0 + nr, c0 : c0 + nc] = piece
    return field


def run(comm, shape, steps, at, path):
    """Uninterrupted run versus checkpoint at `at` and restart on rows. Returns the largest
    difference (0.0 expected) on rank 0, None elsewhere; raises on a bad file."""
    dec = Decomposition.blocks_2d(comm, shape)
    u = initial_field(dec)
    for step in range(at):
        advance(u, dec, step)
    write_checkpoint(comm, path, u, dec, at)
    snapshot = gather(comm, u, dec)
    for step in range(at, steps):
        advance(u, dec, step)
    straight = gather(comm, u, dec)

    if comm.Get_rank() == 0:  # the file as plain NumPy sees it
        on_disk = np.fromfile(path, dtype=">f8", offset=HEADER_BYTES).reshape(shape)
        if not np.array_equal(on_disk, snapshot):
            raise ValueError("the checkpoint's bytes are not the field at the checkpoint")

    v, rows, start = read_checkpoint(comm, path)
    for step in range(start, steps):
        advance(v, rows, step)
    restarted = gather(comm, v, rows)
    if comm.Get_rank() != 0:
        return None
    return float(np.max(np.abs(restarted - straight)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ny", type=int, default=60)
    parser.add_argument("--nx", type=int, default=80)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--at", type=int, default=12)
    parser.add_argument("--file", default=None, help="checkpoint file (default: a temporary one)")
    args = parser.parse_args(argv)
    comm = MPI.COMM_WORLD
    path = args.file
    if path is None:
        path = os.path.join(tempfile.gettempdir(), f"mpipy-checkpoint-{os.getpid()}.ckpt")
        path = comm.bcast(path, root=0)
    try:
        error = run(comm, (args.ny, args.nx), args.steps, args.at, path)
    finally:
        comm.Barrier()
        if args.file is None and comm.Get_rank() == 0 and os.path.exists(path):
            os.remove(path)
    ok = comm.bcast(error == 0.0 if comm.Get_rank() == 0 else None, root=0)
    if comm.Get_rank() == 0:
        print(
            f"{comm.Get_size()} processes, {args.ny}x{args.nx} field, checkpoint at step "
            f"{args.at} of {args.steps}: restart differs by {error}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

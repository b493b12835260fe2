"""Benchmark cases: the registry run.py reads, and the Python side of each case.

A case is a function registered with ``@case(...)``. run.py imports this file only to
read the registry (no MPI is imported then). Under mpiexec the same file is the Python
worker::

    python cases.py --module mpi4py|mpipy CASE REPS VALUE:ITERS:WARMUP [...]

For each point rank 0 prints ``RESULT VALUE t1 ... tREPS``: seconds per operation in
each repetition, exactly as c/bench.c does for the cases it has. An error on any rank
prints ``ERROR <text>`` and aborts the job, so a function a module lacks costs one
table cell.

To add a case: write a ``setup`` function below (or a ``measure`` function for cases
that run.py times itself, like ``import``), register it with ``@case``, and, if C can do
the same, add a kernel of the same name to c/bench.c and pass ``c=True``.
"""

import importlib
import sys
import time
from dataclasses import dataclass

KiB, MiB = 1 << 10, 1 << 20
SIZES = (0, 8, KiB, 64 * KiB, MiB, 16 * MiB)
# run.py --sweep: sizes for the curves of plot.py, 1 B to 16 MiB by powers of 4.
SWEEP_SIZES = tuple(4**k for k in range(13))


def sweep_sizes(smallest=1):
    """SWEEP_SIZES, those below `smallest` raised to it (Allreduce moves at least 8 B)."""
    return sorted({max(size, smallest) for size in SWEEP_SIZES})


@dataclass
class Point:
    """One row of the table: ``value`` goes to the workers, ``label`` to the table.

    ``size`` (bytes moved per operation) and ``series`` (a kind of object) are for
    run.py --json and plot.py: the x axis and the curve a point belongs to."""

    label: str
    value: int
    iters: int
    warmup: int
    size: int = None
    series: str = ""


@dataclass
class Job:
    """One mpiexec launch per implementation: ``np`` processes running ``points``."""

    np: int
    points: list


@dataclass
class Case:
    """A registered case.

    ``jobs(opts)`` gives its jobs (``opts`` has ``quick``, ``sweep``, ``np``, ``nproc``,
    ``reps``).
    Python workers call ``setup(MPI, comm, value) -> (run, per_iter, done)``; cases that
    run.py times from outside have ``measure(runner, impl, point)`` instead.
    """

    name: str
    title: str
    jobs: object
    setup: object = None
    measure: object = None
    c: bool = False  # c/bench.c has a kernel of the same name
    python: bool = True  # mpi4py and mpipy run it
    memory: bool = False  # workers report each rank's peak resident memory per point
    doc: str = ""


CASES = {}


def case(name, title, jobs, c=False, python=True, local=False, memory=False):
    """Register a case: the decorated function is its ``setup``, or, if ``local``, its
    ``measure``. With ``memory``, the Python workers also report each rank's peak resident
    memory during each point."""

    def register(func):
        CASES[name] = Case(
            name=name,
            title=title,
            jobs=jobs,
            c=c,
            python=python,
            memory=memory,
            doc=(func.__doc__ or "").strip(),
            setup=None if local else func,
            measure=func if local else None,
        )
        return func

    return register


# -- iteration counts ------------------------------------------------------------------


def p2p_iters(size, quick):
    """Iterations for a message size: many for small messages, at least 10 for large."""
    base = 1000 if quick else 5000
    return max(5 if quick else 10, base * 4 * KiB // max(size, 4 * KiB))


def size_label(size):
    if size >= MiB and size % MiB == 0:
        return f"{size // MiB} MiB"
    if size >= KiB and size % KiB == 0:
        return f"{size // KiB} KiB"
    return f"{size} B"


def p2p_jobs(opts):
    points = []
    for size in sweep_sizes() if opts.sweep else SIZES:
        iters = p2p_iters(size, opts.quick)
        points.append(Point(size_label(size), size, iters, max(2, iters // 10), size))
    return [Job(2, points)]


def barrier_jobs(opts):
    jobs = []
    for np in opts.np:
        # Past one process per core, every Barrier waits for descheduled ranks: ms each.
        if np <= opts.nproc:
            iters = 1000 if opts.quick else 5000
        else:
            iters = 10 if opts.quick else 50
        label = f"N={np}" + (" (oversubscribed)" if np > opts.nproc else "")
        jobs.append(Job(np, [Point(label, 0, iters, max(2, iters // 10))]))
    return jobs


# Objects for the object case, by value; labels for the table.
OBJECTS = {
    0: "None",
    1: "int",
    2: "small dict",
    5: "100 floats",
    3: "ndarray 1 MiB",
    4: "ndarray 16 MiB",
}


# Objects of object --sweep: value = kind * SWEEP_KIND + size, `size` bytes of payload: a
# bytes object, a NumPy uint8 array, or a list of size / 8 Python floats.
SWEEP_KIND = 1 << 40
SWEEP_OBJECTS = {1: "bytes", 2: "ndarray", 3: "list"}


def make_object(value):
    if value >= SWEEP_KIND:
        kind, size = divmod(value, SWEEP_KIND)
        if SWEEP_OBJECTS.get(kind) == "bytes":
            return b"\x5a" * size
        if SWEEP_OBJECTS.get(kind) == "list":
            return [float(i) for i in range(size // 8)]
        import numpy

        return numpy.full(size, 0x5A, dtype="B")
    if value == 0:
        return None
    if value == 1:
        return 12345
    if value == 2:
        return {"name": "block", "shape": (3, 4), "tags": ["a", "b"], "scale": 0.5}
    if value == 5:
        return [0.5 * i for i in range(100)]
    if value not in OBJECTS:
        raise ValueError(f"no object number {value}")
    import numpy

    return numpy.ones(MiB if value == 3 else 16 * MiB, dtype="B")


def object_jobs(opts):
    if opts.sweep:
        return object_sweep_jobs(opts)
    points = []
    for value, label in OBJECTS.items():
        # Pickling copies: an object costs several times a buffer of its size.
        nbytes = {3: MiB, 4: 16 * MiB}.get(value, 0)
        iters = max(3 if opts.quick else 5, p2p_iters(nbytes, opts.quick) // 2)
        points.append(Point(label, value, iters, max(1, iters // 10)))
    return [Job(2, points)]


def object_sweep_jobs(opts):
    """One job per kind of object (bytes, ndarray, list), over the sweep's sizes."""
    jobs = []
    for kind, name in SWEEP_OBJECTS.items():
        points = []
        for size in sweep_sizes(8 if name == "list" else 1):
            iters = max(3 if opts.quick else 5, p2p_iters(size, opts.quick) // 2)
            label = f"{name} {size_label(size)}"
            value = kind * SWEEP_KIND + size
            points.append(Point(label, value, iters, max(1, iters // 10), size, name))
        jobs.append(Job(2, points))
    return jobs


# -- cases -----------------------------------------------------------------------------


def _buffer(size, fill=0x5A):
    """`size` bytes starting at a page boundary. Where a buffer starts within its page
    changes copy speed by up to 2x (a 64 KiB Allgather measured 57 or 114 us by the send and
    receive buffers' offsets, in any library), so every library gets the same placement."""
    import numpy

    raw = numpy.empty(size + 4096, dtype="B")
    start = -raw.ctypes.data % 4096
    buf = raw[start : start + size]
    buf.fill(fill)
    return buf


@case("pingpong", "Send/Recv ping-pong", p2p_jobs, c=True)
def setup_pingpong(MPI, comm, size):
    """One-way latency: rank 0 does Send then Recv, rank 1 Recv then Send (time / 2)."""
    buf = _buffer(size)
    send, recv, rank = comm.Send, comm.Recv, comm.Get_rank()

    def run0(n):
        for _ in range(n):
            send(buf, 1, 0)
            recv(buf, 1, 0)

    def run1(n):
        for _ in range(n):
            recv(buf, 0, 0)
            send(buf, 0, 0)

    return {0: run0, 1: run1}.get(rank), 2, None


@case("isend", "Isend/Irecv+Wait ping-pong", p2p_jobs, c=True)
def setup_isend(MPI, comm, size):
    """As pingpong, each message with a nonblocking call and its Wait."""
    buf = _buffer(size)
    isend, irecv, rank = comm.Isend, comm.Irecv, comm.Get_rank()

    def run0(n):
        for _ in range(n):
            isend(buf, 1, 0).Wait()
            irecv(buf, 1, 0).Wait()

    def run1(n):
        for _ in range(n):
            irecv(buf, 0, 0).Wait()
            isend(buf, 0, 0).Wait()

    return {0: run0, 1: run1}.get(rank), 2, None


@case("persistent", "Send_init/Recv_init+Start/Wait ping-pong", p2p_jobs, c=True)
def setup_persistent(MPI, comm, size):
    """As pingpong, with persistent requests made once per size, started each time."""
    rank = comm.Get_rank()
    if rank > 1:
        return None, 2, None
    buf = _buffer(size)
    sreq = comm.Send_init(buf, 1 - rank, 0)
    rreq = comm.Recv_init(buf, 1 - rank, 0)
    first, second = (sreq, rreq) if rank == 0 else (rreq, sreq)

    def run(n):
        for _ in range(n):
            first.Start()
            first.Wait()
            second.Start()
            second.Wait()

    def done():
        sreq.Free()
        rreq.Free()

    return run, 2, done


@case("object", "send/recv of Python objects", object_jobs, c=False)
def setup_object(MPI, comm, value):
    """One-way time of lowercase send/recv: rank 1 sends back what it received."""
    obj = make_object(value)
    send, recv, rank = comm.send, comm.recv, comm.Get_rank()

    def run0(n):
        for _ in range(n):
            send(obj, 1, 0)
            recv(None, 1, 0)

    def run1(n):
        for _ in range(n):
            send(recv(None, 0, 0), 0, 0)

    return {0: run0, 1: run1}.get(rank), 2, None


def small_object_jobs(opts):
    """The objects of `object` that fit in one small message."""
    points = []
    for value, label in OBJECTS.items():
        if value in (3, 4):
            continue
        iters = max(3 if opts.quick else 5, p2p_iters(0, opts.quick) // 2)
        points.append(Point(label, value, iters, max(1, iters // 10)))
    return [Job(2, points)]


@case("obj_isend", "isend/irecv+wait of Python objects", small_object_jobs, c=False)
def setup_obj_isend(MPI, comm, value):
    """As object, each message with a nonblocking call and its wait."""
    obj = make_object(value)
    isend, irecv, rank = comm.isend, comm.irecv, comm.Get_rank()

    def run0(n):
        for _ in range(n):
            isend(obj, 1, 0).wait()
            irecv(source=1, tag=0).wait()

    def run1(n):
        for _ in range(n):
            isend(irecv(source=0, tag=0).wait(), 0, 0).wait()

    return {0: run0, 1: run1}.get(rank), 2, None


@case("barrier", "Barrier", barrier_jobs, c=True)
def setup_barrier(MPI, comm, value):
    """Time of one Barrier on rank 0 (process counts from --np)."""
    barrier = comm.Barrier

    def run(n):
        for _ in range(n):
            barrier()

    return run, 1, None


# -- collectives -------------------------------------------------------------------------

COLL_SIZES = (8, KiB, 64 * KiB, MiB, 16 * MiB)


def np_label(np, opts):
    return f"N={np}" + (" (oversubscribed)" if np > opts.nproc else "")


def coll_iters(nbytes, np, opts, objects=False):
    """p2p_iters for the size; far fewer past one process per core (every call then
    waits for descheduled ranks), and half for objects (pickling copies)."""
    iters = p2p_iters(nbytes, opts.quick)
    if np > opts.nproc:
        iters = max(3 if opts.quick else 5, iters // 50)
    if objects:
        iters = max(3 if opts.quick else 5, iters // 2)
    return iters


def coll_jobs(opts, smallest=1):
    """One job per process count (--np), the points being message sizes."""
    jobs = []
    for np in opts.np:
        points = []
        for size in sweep_sizes(smallest) if opts.sweep else COLL_SIZES:
            iters = coll_iters(size, np, opts)
            label = f"{size_label(size)}, {np_label(np, opts)}"
            points.append(Point(label, size, iters, max(2, iters // 10), size))
        jobs.append(Job(np, points))
    return jobs


def allreduce_jobs(opts):
    return coll_jobs(opts, smallest=8)  # a float64 at least


@case("bcast", "Bcast from rank 0", coll_jobs, c=True)
def setup_bcast(MPI, comm, size):
    """Bcast of `size` bytes from rank 0."""
    buf = _buffer(size)
    bcast = comm.Bcast

    def run(n):
        for _ in range(n):
            bcast(buf, 0)

    return run, 1, None


@case("allreduce", "Allreduce (float64, SUM)", allreduce_jobs, c=True)
def setup_allreduce(MPI, comm, size):
    """Allreduce of size/8 doubles (at least one) with SUM into a second buffer."""

    count = max(size // 8, 1)
    sendbuf = _buffer(8 * count).view("d")
    sendbuf[:] = 1.0
    recvbuf = _buffer(8 * count, 0).view("d")
    allreduce, op = comm.Allreduce, MPI.SUM

    def run(n):
        for _ in range(n):
            allreduce(sendbuf, recvbuf, op)

    return run, 1, None


@case("allgather", "Allgather (size bytes from each process)", coll_jobs, c=True)
def setup_allgather(MPI, comm, size):
    """Allgather of `size` bytes from every process into size * N bytes."""

    sendbuf = _buffer(size)
    recvbuf = _buffer(size * comm.Get_size(), 0)
    allgather = comm.Allgather

    def run(n):
        for _ in range(n):
            allgather(sendbuf, recvbuf)

    return run, 1, None


# Objects of the object collectives, by value (make_object's numbering).
COLL_OBJECTS = {1: "int", 2: "small dict", 3: "ndarray 1 MiB"}


def obj_coll_jobs(opts):
    jobs = []
    for np in opts.np:
        points = []
        for value, name in COLL_OBJECTS.items():
            iters = coll_iters(MiB if value == 3 else 0, np, opts, objects=True)
            points.append(Point(f"{name}, {np_label(np, opts)}", value, iters, max(1, iters // 10)))
        jobs.append(Job(np, points))
    return jobs


@case("obj_bcast", "bcast of Python objects", obj_coll_jobs)
def setup_obj_bcast(MPI, comm, value):
    """Lowercase bcast from rank 0 of an int, a small dict, a 1 MiB NumPy array."""
    obj = make_object(value)
    bcast = comm.bcast

    def run(n):
        for _ in range(n):
            bcast(obj, 0)

    return run, 1, None


@case("obj_gather", "gather of Python objects", obj_coll_jobs)
def setup_obj_gather(MPI, comm, value):
    """Lowercase gather to rank 0 of the same objects from every process."""
    obj = make_object(value)
    gather = comm.gather

    def run(n):
        for _ in range(n):
            gather(obj, 0)

    return run, 1, None


@case("obj_scatter", "scatter of Python objects", obj_coll_jobs)
def setup_obj_scatter(MPI, comm, value):
    """Lowercase scatter from rank 0 of one of the same objects to every process."""
    items = [make_object(value)] * comm.Get_size()
    scatter = comm.scatter

    def run(n):
        for _ in range(n):
            scatter(items, 0)

    return run, 1, None


@case("obj_allgather", "allgather of Python objects", obj_coll_jobs)
def setup_obj_allgather(MPI, comm, value):
    """Lowercase allgather of the same objects from every process."""
    obj = make_object(value)
    allgather = comm.allgather

    def run(n):
        for _ in range(n):
            allgather(obj)

    return run, 1, None


@case("obj_alltoall", "alltoall of Python objects", obj_coll_jobs)
def setup_obj_alltoall(MPI, comm, value):
    """Lowercase alltoall: one of the same objects to every process from every process."""
    items = [make_object(value)] * comm.Get_size()
    alltoall = comm.alltoall

    def run(n):
        for _ in range(n):
            alltoall(items)

    return run, 1, None


def merge(a, b):
    return {**a, **b}


@case("obj_allreduce", "allreduce of Python objects", obj_coll_jobs)
def setup_obj_allreduce(MPI, comm, value):
    """Lowercase allreduce: SUM of ints and of arrays (element-wise), and dicts merged
    with a Python function."""
    obj = make_object(value)
    op = merge if value == 2 else MPI.SUM
    allreduce = comm.allreduce

    def run(n):
        for _ in range(n):
            allreduce(obj, op)

    return run, 1, None


# Non-contiguous exchanges: (label, layout, method) by value. A column of an 8192 x 8192
# float64 array (8192 doubles 64 KiB apart) and a 256^3 sub-block of a 512^3 float64 array
# (65536 runs of 2 KiB), moved by a derived datatype or by a copy into a contiguous buffer.
NONCONTIG = {
    0: ("column 8192² derived", "column", "derived"),
    1: ("column 8192² copy", "column", "copy"),
    2: ("block 256³ of 512³ derived", "block", "derived"),
    3: ("block 256³ of 512³ copy", "block", "copy"),
}
COLUMN_N, BLOCK_N, BLOCK_SUB = 8192, 512, 256


def noncontig_jobs(opts):
    points = []
    for value, (label, layout, _) in NONCONTIG.items():
        if layout == "column":
            iters = 20 if opts.quick else 100
        else:
            iters = 3 if opts.quick else 10
        points.append(Point(label, value, iters, 1))
    return [Job(2, points)]


@case("noncontig", "exchange of a strided column / 3-D sub-block", noncontig_jobs, c=True)
def setup_noncontig(MPI, comm, value):
    """Ping-pong of a non-contiguous part of a large float64 array between ranks 0 and 1,
    each side sending from and receiving into the array: by a derived datatype (vector
    for the column, subarray for the block), or by a NumPy copy to and from a contiguous
    buffer. Time per one-way exchange, copies included."""
    import numpy

    _, layout, method = NONCONTIG[value]
    rank = comm.Get_rank()
    if layout == "column":
        array = numpy.empty((COLUMN_N, COLUMN_N))
        part = array[:, 0]  # a view: 8192 doubles, one per row
        datatype = MPI.DOUBLE.Create_vector(COLUMN_N, 1, COLUMN_N)
    else:
        n, m = BLOCK_N, BLOCK_SUB
        array = numpy.empty((n, n, n))
        start = (n - m) // 2
        part = array[start : start + m, start : start + m, start : start + m]
        datatype = MPI.DOUBLE.Create_subarray([n] * 3, [m] * 3, [start] * 3)
    array.fill(rank + 0.5)
    datatype.Commit()
    contiguous = numpy.empty(part.shape)
    send, recv = comm.Send, comm.Recv
    peer = 1 - rank
    if method == "derived":
        spec = [array, 1, datatype]  # the whole (contiguous) array, as mpi4py needs

        def send_part():
            send(spec, peer, 0)

        def recv_part():
            recv(spec, peer, 0)

    else:

        def send_part():
            numpy.copyto(contiguous, part)
            send(contiguous, peer, 0)

        def recv_part():
            recv(contiguous, peer, 0)
            numpy.copyto(part, contiguous)

    def run0(n):
        for _ in range(n):
            send_part()
            recv_part()

    def run1(n):
        for _ in range(n):
            recv_part()
            send_part()

    def done():
        datatype.Free()

    return {0: run0, 1: run1}.get(rank), 2, done


# Collective I/O: a global 2-D float64 array of IO_COLS columns, value // 2 MiB in all, in one
# file in /tmp. Even values write it (each process its block of rows, through a subarray
# view, Write_at_all); odd values read it back in another decomposition (each process its
# block of columns, Read_at_all). 1 GiB; 256 MiB with --quick.
IO_COLS = 8192


def io_jobs(opts):
    mib = 256 if opts.quick else 1024
    iters = 1 if opts.quick else 3
    jobs = []
    for np in opts.np:
        label = f"{size_label(mib * MiB)}, {np_label(np, opts)}"
        points = [
            Point(f"Write_at_all rows, {label}", 2 * mib, iters, 1),
            Point(f"Read_at_all columns, {label}", 2 * mib + 1, iters, 1),
        ]
        jobs.append(Job(np, points))
    return jobs


def io_block(n, parts, index):
    """(start, count) of block `index` of n split into `parts` nearly equal blocks."""
    base, extra = divmod(n, parts)
    return index * base + min(index, extra), base + (index < extra)


@case("io", "collective I/O of a 2-D array (MB/s = size / time)", io_jobs, c=True)
def setup_io(MPI, comm, value):
    """Write_at_all of every process's block of rows through a subarray filetype, or
    Read_at_all of its block of columns (the file written first, untimed), on /tmp."""
    import os
    import tempfile

    size, rank = comm.Get_size(), comm.Get_rank()
    rows = (value // 2) * MiB // 8 // IO_COLS
    writing = value % 2 == 0
    path = None
    if rank == 0:
        path = os.path.join(tempfile.gettempdir(), f"mpipy-bench-io-{os.getpid()}")
    path = comm.bcast(path, 0)
    fh = MPI.File.Open(comm, path, MPI.MODE_RDWR | MPI.MODE_CREATE)
    if not writing:  # something to read: every process a contiguous part, in plain bytes
        start, count = io_block(rows * IO_COLS * 8, size, rank)
        fh.Write_at_all(start, _buffer(count))
    if writing:
        start, count = io_block(rows, size, rank)
        local = _buffer(count * IO_COLS * 8).view("d")
        filetype = MPI.DOUBLE.Create_subarray([rows, IO_COLS], [count, IO_COLS], [start, 0])
    else:
        start, count = io_block(IO_COLS, size, rank)
        local = _buffer(rows * count * 8).view("d")
        filetype = MPI.DOUBLE.Create_subarray([rows, IO_COLS], [rows, count], [0, start])
    filetype.Commit()
    fh.Set_view(0, MPI.DOUBLE, filetype)
    access = fh.Write_at_all if writing else fh.Read_at_all

    def run(n):
        for _ in range(n):
            access(0, local)

    def done():
        fh.Close()
        filetype.Free()
        comm.Barrier()
        if rank == 0:
            os.remove(path)

    return run, 1, done


# pkl5 against the other ways to move an array: value = method * 100 + object number.
# Objects: NumPy uint8 arrays of the sizes below, then a dict holding one of each (up to 256
# MiB); 2.5 GiB only with --large. Methods: uppercase Send/Recv into a buffer made once,
# lowercase send/recv, and mpipy.util.pkl5 / mpi4py.util.pkl5 send/recv.
PKL5_SIZES = {0: KiB, 1: MiB, 2: 16 * MiB, 3: 256 * MiB}
PKL5_DICT, PKL5_LARGE = 4, 5
PKL5_METHODS = {0: "Send/Recv", 1: "send/recv", 2: "pkl5 send/recv"}


def pkl5_arrays(obj):
    """Sizes (bytes) of the arrays an object number stands for."""
    if obj in PKL5_SIZES:
        return [PKL5_SIZES[obj]]
    if obj == PKL5_DICT:
        return list(PKL5_SIZES.values())
    if obj == PKL5_LARGE:
        return [5 * 2**29]  # 2.5 GiB
    raise ValueError(f"no pkl5 object number {obj}")


def pkl5_jobs(opts):
    """One job per point: every measurement of peak memory starts in a fresh process (memory
    freed by an earlier point stays resident in the allocator and would hide later ones)."""
    objs = list(PKL5_SIZES) + [PKL5_DICT] + ([PKL5_LARGE] if opts.large else [])
    jobs = []
    for obj in objs:
        sizes = pkl5_arrays(obj)
        name = "dict of " + " + ".join(size_label(n) for n in sizes) if obj == PKL5_DICT else ""
        label = name or size_label(sizes[0]).replace("2560 MiB", "2.5 GiB")
        iters = p2p_iters(sum(sizes), opts.quick)
        if sum(sizes) >= 2**31:
            iters = 2 if opts.quick else 3
        for m, method in PKL5_METHODS.items():
            point = Point(f"{method}, {label}", 100 * m + obj, iters, max(1, iters // 10))
            jobs.append(Job(2, [point]))
    return jobs


@case("pkl5", "pkl5 vs send/recv vs Send/Recv, with peak memory", pkl5_jobs, memory=True)
def setup_pkl5(MPI, comm, value):
    """Rank 0 sends a NumPy array (or a dict of arrays) to rank 1, which drops what it got
    and acknowledges with a 0-byte Send: time per message, acknowledgement included. Send/Recv
    sends each array as one message into a buffer made once; send/recv pickles in band
    (mpipy: out of band above MPI.pickle.THRESHOLD); pkl5 uses the module's util.pkl5 over
    COMM_WORLD. The memory columns give each rank's peak resident memory during the point
    over its resident memory before the point's setup."""
    import importlib

    method, obj = divmod(value, 100)
    sizes = pkl5_arrays(obj)
    rank = comm.Get_rank()
    if rank > 1:
        return None, 1, None
    ack = bytearray(0)
    if rank == 0:
        arrays = [_buffer(n) for n in sizes]
        payload = dict(enumerate(arrays)) if obj == PKL5_DICT else arrays[0]
    else:  # receive buffers for Send/Recv only
        arrays = [_buffer(n, 0) for n in sizes] if method == 0 else None
    if method == 2:
        pkl5 = importlib.import_module(MPI.__name__.rsplit(".", 1)[0] + ".util.pkl5")
        pcomm = pkl5.Intracomm(comm)
        send, recv = pcomm.send, pcomm.recv
    else:
        send, recv = comm.send, comm.recv
    Send, Recv = comm.Send, comm.Recv

    if method == 0:

        def run0(n):
            for _ in range(n):
                for a in arrays:
                    Send(a, 1, 0)
                Recv(ack, 1, 1)

        def run1(n):
            for _ in range(n):
                for a in arrays:
                    Recv(a, 0, 0)
                Send(ack, 0, 1)

    else:

        def run0(n):
            for _ in range(n):
                send(payload, 1, 0)
                Recv(ack, 1, 1)

        def run1(n):
            for _ in range(n):
                recv(None, 0, 0)  # dropped at once: one received object at a time
                Send(ack, 0, 1)

    return (run0, run1)[rank], 1, None


# -- one-sided communication -----------------------------------------------------------

RMA_SIZES = (8, MiB, 16 * MiB)


def rma_jobs(opts):
    points = []
    for size in RMA_SIZES:
        iters = p2p_iters(size, opts.quick)
        points.append(Point(size_label(size), size, iters, max(2, iters // 10)))
    return [Job(2, points)]


def acc_jobs(opts):
    iters = p2p_iters(MiB, opts.quick)
    return [Job(2, [Point("1 MiB float64", MiB, iters, max(2, iters // 10))])]


def fop_jobs(opts):
    jobs = []
    for np in opts.np:
        iters = 1000 if opts.quick else 5000
        if np > opts.nproc:
            iters //= 50
        jobs.append(Job(np, [Point(np_label(np, opts), 8, iters, max(2, iters // 10))]))
    return jobs


def _rma_window(MPI, comm, size):
    """A window of `size` bytes (page-aligned NumPy memory, as c/bench.c's) on every
    process, and an origin buffer of the same size."""
    target = _buffer(size, 0)
    win = MPI.Win.Create(target, 1, MPI.INFO_NULL, comm)
    return win, target, _buffer(size)


def _rma_setup(MPI, comm, size, op, sync):
    """Rank 0 puts to (gets from) rank 1's window; `sync` is "lock" (Lock/op/Unlock by rank
    0 alone) or "fence" (Fence/op/Fence on every process)."""
    win, target, origin = _rma_window(MPI, comm, size)
    rank = comm.Get_rank()
    call = win.Put if op == "put" else win.Get
    lock, unlock, fence = win.Lock, win.Unlock, win.Fence
    exclusive = MPI.LOCK_EXCLUSIVE

    def run_lock(n):
        for _ in range(n):
            lock(1, exclusive)
            call(origin, 1)
            unlock(1)

    def run_fence(n):
        if rank == 0:
            for _ in range(n):
                fence()
                call(origin, 1)
                fence()
        else:
            for _ in range(n):
                fence()
                fence()

    def done():
        win.Free()

    if sync == "lock":
        return (run_lock if rank == 0 else None), 1, done
    return run_fence, 1, done


@case("rma_put_lock", "Put under Lock/Unlock (rank 0 to 1)", rma_jobs, c=True)
def setup_rma_put_lock(MPI, comm, size):
    """One Lock(exclusive), Put of `size` bytes, Unlock, by rank 0 to rank 1's window."""
    return _rma_setup(MPI, comm, size, "put", "lock")


@case("rma_get_lock", "Get under Lock/Unlock (rank 0 from 1)", rma_jobs, c=True)
def setup_rma_get_lock(MPI, comm, size):
    """One Lock(exclusive), Get of `size` bytes, Unlock, by rank 0 from rank 1's window."""
    return _rma_setup(MPI, comm, size, "get", "lock")


@case("rma_put_fence", "Put between two Fences", rma_jobs, c=True)
def setup_rma_put_fence(MPI, comm, size):
    """Fence, Put of `size` bytes by rank 0 to rank 1, Fence (both processes fence)."""
    return _rma_setup(MPI, comm, size, "put", "fence")


@case("rma_get_fence", "Get between two Fences", rma_jobs, c=True)
def setup_rma_get_fence(MPI, comm, size):
    """Fence, Get of `size` bytes by rank 0 from rank 1, Fence (both processes fence)."""
    return _rma_setup(MPI, comm, size, "get", "fence")


@case("rma_acc", "Accumulate (float64, SUM) under Lock/Unlock", acc_jobs, c=True)
def setup_rma_acc(MPI, comm, size):
    """Lock(exclusive), Accumulate of size/8 doubles with SUM, Unlock, rank 0 to 1."""
    win, target, origin = _rma_window(MPI, comm, size)
    values = origin.view("d")
    values[:] = 1.0
    rank = comm.Get_rank()
    lock, unlock, acc = win.Lock, win.Unlock, win.Accumulate
    exclusive, op = MPI.LOCK_EXCLUSIVE, MPI.SUM

    def run(n):
        for _ in range(n):
            lock(1, exclusive)
            acc(values, 1, None, op)
            unlock(1)

    return (run if rank == 0 else None), 1, win.Free


@case("rma_fop", "Fetch_and_op counter hammered by every process", fop_jobs, c=True)
def setup_rma_fop(MPI, comm, size):
    """Every process adds 1 to an int64 at rank 0 with Fetch_and_op and Flush, inside one
    Lock_all epoch per repetition (time per increment, on rank 0)."""
    win, target, _ = _rma_window(MPI, comm, 8)
    one = _buffer(8).view("q")
    one[:] = 1
    result = _buffer(8, 0).view("q")
    fop, flush, op = win.Fetch_and_op, win.Flush, MPI.SUM

    def run(n):
        win.Lock_all()
        for _ in range(n):
            fop(one, result, 0, 0, op)
            flush(0)
        win.Unlock_all()

    return run, 1, win.Free


def import_jobs(opts):
    # Each repetition is one process (up to 5: a process can take a second to start);
    # iters holds the repetition count here.
    reps = min(opts.reps, 5)
    return [Job(1, [Point("singleton", 0, reps, 1), Point("mpiexec -n 1", 1, reps, 1)])]


@case("import", "import+init (wall time of a process)", import_jobs, c=True, local=True)
def measure_import(runner, impl, point):
    """Wall time of `python -c "from X import MPI"` (C: MPI_Init+MPI_Finalize), run
    alone (singleton) or under `mpiexec -n 1`; includes interpreter start-up (see
    notes)."""
    if impl == "c":
        argv = runner.c_command("init")
    else:
        argv = [runner.python, "-c", f"from {impl} import MPI"]
    if point.value == 1:
        argv = runner.launcher(1) + argv
    return runner.time_process(argv, impl, point)


# -- worker ----------------------------------------------------------------------------


def _parse_point(text):
    value, iters, warmup = (int(x) for x in text.split(":"))
    return value, iters, warmup


def _memory_kib(field):
    """VmRSS or VmHWM (peak) of this process, in KiB (Linux; None elsewhere)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak():
    """Start a new peak-memory measurement (writing 5 to clear_refs resets VmHWM)."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def _warm_up(comm):
    """Import NumPy and exchange a few messages, so that neither NumPy's code nor the memory
    the MPI library sets aside for its first transfers is counted as a point's."""
    try:
        import numpy  # noqa: F401
    except ImportError:
        pass
    data = bytearray(4 * MiB)
    for size in (0, 4 * KiB, 4 * MiB):
        view = memoryview(data)[:size]
        comm.Sendrecv(view, (comm.Get_rank() + 1) % comm.Get_size(), 0, view)
    comm.Barrier()


def _memory_report(comm, base):
    """'+A / +B MiB': each rank's peak resident memory over `base` (collective)."""
    peak = _memory_kib("VmHWM")
    mine = None if base is None or peak is None else peak - base
    values = comm.gather(mine, 0)
    if comm.Get_rank() != 0:
        return None
    if any(v is None for v in values):
        return "n/a"
    return " / ".join(f"+{v / 1024:.1f}" for v in values) + " MiB"


def work(MPI, name, reps, points):
    comm = MPI.COMM_WORLD
    rank = comm.Get_rank()
    setup = CASES[name].setup
    memory = CASES[name].memory
    clock = time.perf_counter
    for value, iters, warmup in points:
        base = None
        if memory:
            import gc

            _warm_up(comm)
            gc.collect()
            base = _memory_kib("VmRSS") if _reset_peak() else None
        run, per_iter, done = setup(MPI, comm, value)
        times = []
        comm.Barrier()
        if run is not None:
            run(warmup)
        for _ in range(reps):
            comm.Barrier()
            t0 = clock()
            if run is not None:
                run(iters)
            times.append((clock() - t0) / iters / per_iter)
        comm.Barrier()
        extra = _memory_report(comm, base) if memory else None
        run = None  # what setup made goes away before the next point
        if done is not None:
            done()
        done = None
        if rank == 0:
            print("RESULT", value, " ".join(f"{t:.9e}" for t in times), flush=True)
            if extra is not None:
                print("EXTRA", value, extra, flush=True)


def report(exc):
    # One line (for the table's notes), in one write (so that the lines of several
    # failing ranks do not interleave).
    text = " ".join(str(exc).split())
    if len(text) > 240:
        text = text[:237] + "..."
    sys.stdout.write(f"ERROR {type(exc).__name__}: {text}\n")
    sys.stdout.flush()
    sys.stderr.flush()


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(description="Python worker of the benchmarks")
    parser.add_argument("--module", choices=["mpi4py", "mpipy"], required=True)
    parser.add_argument("case", choices=sorted(n for n, c in CASES.items() if c.setup))
    parser.add_argument("reps", type=int)
    parser.add_argument("points", nargs="+", type=_parse_point)
    opts = parser.parse_args(argv)
    try:
        MPI = importlib.import_module(f"{opts.module}.MPI")
    except Exception as exc:  # every rank fails alike: nobody is left waiting
        report(exc)
        return 1
    try:
        work(MPI, opts.case, opts.reps, opts.points)
    except BaseException as exc:
        report(exc)
        MPI.COMM_WORLD.Abort(1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

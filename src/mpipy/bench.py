"""Small MPI benchmarks: ``python -m mpipy.bench helloworld|ringtest|pingpong``.

Run under ``mpiexec``, e.g. ``mpiexec -n 2 python -m mpipy.bench pingpong -n 65536``.
The commands, options and output follow ``python -m mpi4py.bench``.

Importing this module does not initialize MPI: ``main`` imports ``mpipy.MPI`` after it
has applied the thread options to ``mpipy.rc``. ``main(args, mpi=MPI)`` runs the
commands over another, already imported, MPI module with the same API; the project's
benchmarks use that to compare against mpi4py.
"""

import argparse
import math
import sys
import time

PROG = "python -m mpipy.bench"

# Message sizes above these thresholds use the "large" and "huge" loop counts.
LARGE_SIZE = 1 << 14
HUGE_SIZE = 1 << 20


def _out(text):
    print(text)
    sys.stdout.flush()


# -- helloworld ------------------------------------------------------------------------


def helloworld(MPI, args=None, comm=None):
    """Print one greeting per process, in rank order."""
    parser = argparse.ArgumentParser(prog=f"{PROG} helloworld")
    parser.add_argument("-q", "--quiet", action="store_false", dest="verbose", help="quiet output")
    opts = parser.parse_args(args)
    comm = MPI.COMM_WORLD if comm is None else comm
    size, rank = comm.Get_size(), comm.Get_rank()
    name = MPI.Get_processor_name()
    line = f"Hello, World! I am process {rank} of {size} on {name}."
    # A token goes along the ranks: each one prints once the one before it has.
    token = [bytearray(1), MPI.BYTE]
    if rank > 0:
        comm.Recv(token, rank - 1, 0)
    if opts.verbose:
        _out(line)
    if rank < size - 1:
        comm.Send(token, rank + 1, 0)
    comm.Barrier()


# -- ringtest --------------------------------------------------------------------------


def ringtest(MPI, args=None, comm=None):
    """Time a message going round all processes; print the time on rank 0."""
    parser = argparse.ArgumentParser(prog=f"{PROG} ringtest")
    parser.add_argument("-q", "--quiet", action="store_false", dest="verbose", help="quiet output")
    parser.add_argument("-n", "--size", type=int, default=1, dest="size", help="message size")
    parser.add_argument(
        "-s",
        "--skip",
        type=int,
        default=0,
        dest="skip",
        help="number of warm-up iterations",
    )
    parser.add_argument(
        "-l", "--loop", type=int, default=1, dest="loop", help="number of iterations"
    )
    opts = parser.parse_args(args)
    if opts.size < 0 or opts.skip < 0 or opts.loop < 0:
        parser.error("size, skip and loop must be non-negative")
    comm = MPI.COMM_WORLD if comm is None else comm
    size, rank = comm.Get_size(), comm.Get_rank()
    sbuf = [bytearray(b"\x5a" * opts.size), MPI.BYTE]
    rbuf = [bytearray(opts.size), MPI.BYTE]
    nxt, prv = (rank + 1) % size, (rank - 1) % size

    def rounds(count):
        if size == 1:
            for _ in range(count):
                comm.Sendrecv(sbuf, nxt, 0, rbuf, prv, 0)
        elif rank == 0:
            for _ in range(count):
                comm.Send(sbuf, nxt, 0)
                comm.Recv(rbuf, prv, 0)
        else:
            for _ in range(count):
                comm.Recv(rbuf, prv, 0)
                comm.Send(rbuf, nxt, 0)

    comm.Barrier()
    rounds(opts.skip)
    comm.Barrier()
    t0 = MPI.Wtime()
    rounds(opts.loop)
    elapsed = MPI.Wtime() - t0
    comm.Barrier()
    if rank == 0 and opts.verbose:
        _out(
            f"time for {opts.loop} loops = {elapsed:g} seconds "
            f"({size} processes, {opts.size} bytes)"
        )


# -- pingpong --------------------------------------------------------------------------


def _array_factory(kind):
    """Return ``make(nbytes)`` giving a zero-filled byte buffer of the given kind."""
    if kind == "none":
        return bytearray
    if kind == "numpy":
        import numpy

        return lambda n: numpy.zeros(n, dtype="B")
    if kind == "cupy":
        import cupy

        return lambda n: cupy.zeros(n, dtype="B")
    if kind == "numba":
        import numba.cuda
        import numpy

        return lambda n: numba.cuda.to_device(numpy.zeros(n, dtype="B"))
    raise ValueError(f"unknown array kind {kind!r}")


def _default_array():
    try:
        import numpy  # noqa: F401
    except ImportError:
        return "none"
    return "numpy"


def _sizes(lo, hi):
    """Powers of two from ``lo`` (rounded up) to ``hi``."""
    size = 1 << max(0, lo - 1).bit_length() if lo > 1 else 1
    while size <= hi:
        yield size
        size <<= 1


def _pkl5(MPI):
    """The out-of-band pickle module of this MPI module's package (``util.pkl5``)."""
    import importlib

    package = MPI.__name__.rpartition(".")[0]
    try:
        return importlib.import_module(f"{package}.util.pkl5")
    except ImportError as exc:
        raise SystemExit(f"{PROG} pingpong: --outband needs {package}.util.pkl5 ({exc})") from None


def _set_pickle(pickle, protocol, threshold):
    if pickle is None:
        return
    if protocol is not None:
        pickle.PROTOCOL = protocol
    if threshold is not None and hasattr(pickle, "THRESHOLD"):
        pickle.THRESHOLD = threshold


def _exchange(MPI, comm, opts):
    """Return ``(ping, pong, box)``: one round trip as rank 0 and as rank 1 do it.

    Both take their message from ``box`` (``"buf"`` for buffers, ``"obj"`` for objects).
    """
    size = comm.Get_size()
    peer = 1 if size > 1 else 0
    if opts.outband or opts.pickle:
        if opts.outband:
            pkl5 = _pkl5(MPI)
            _set_pickle(getattr(pkl5, "pickle", None), opts.protocol, opts.threshold)
            comm = pkl5.Intracomm(comm)
        else:
            _set_pickle(getattr(MPI, "pickle", None), opts.protocol, opts.threshold)
        send, recv = comm.send, comm.recv
        box = {}

        if peer == 0:
            # One process: the message goes to itself (a buffered send of the object).
            def ping():
                req = comm.isend(box["obj"], 0, 0)
                box["obj"] = recv(None, 0, 0)
                req.wait()

            return ping, ping, box

        def ping():
            send(box["obj"], peer, 0)
            box["obj"] = recv(None, peer, 0)

        def pong():
            box["obj"] = recv(None, 0, 0)
            send(box["obj"], 0, 0)

        return ping, pong, box

    box = {}
    if peer == 0:

        def ping():
            buf = box["buf"]
            comm.Sendrecv(buf, 0, 0, box["tmp"], 0, 0)

        return ping, ping, box

    def ping():
        buf = box["buf"]
        comm.Send(buf, peer, 0)
        comm.Recv(buf, peer, 0)

    def pong():
        buf = box["buf"]
        comm.Recv(buf, 0, 0)
        comm.Send(buf, 0, 0)

    return ping, pong, box


def _stats(samples):
    count = len(samples)
    if count == 0:
        return math.nan, 0.0
    mean = sum(samples) / count
    var = sum((t - mean) ** 2 for t in samples) / count
    return mean, math.sqrt(var)


def pingpong(MPI, args=None, comm=None):
    """Time round trips between ranks 0 and 1 over a range of message sizes."""
    parser = argparse.ArgumentParser(prog=f"{PROG} pingpong")
    add = parser.add_argument
    add("-q", "--quiet", action="store_false", dest="verbose", help="quiet output")
    add(
        "-m",
        "--min-size",
        type=int,
        default=1,
        dest="min_size",
        help="minimum message size",
    )
    add(
        "-n",
        "--max-size",
        type=int,
        default=1 << 30,
        dest="max_size",
        help="maximum message size",
    )
    add(
        "-s",
        "--skip",
        type=int,
        default=100,
        dest="skip",
        help="number of warm-up iterations",
    )
    add(
        "-l",
        "--loop",
        type=int,
        default=10000,
        dest="loop",
        help="number of iterations",
    )
    add(
        "-a",
        "--array",
        choices=["numpy", "cupy", "numba", "none"],
        default=None,
        dest="array",
        help="use NumPy/CuPy/Numba arrays",
    )
    add(
        "-p",
        "--pickle",
        action="store_true",
        dest="pickle",
        help="use pickle-based send and receive",
    )
    add(
        "--protocol",
        type=int,
        default=None,
        dest="protocol",
        help="pickle protocol version",
    )
    add(
        "-o",
        "--outband",
        action="store_true",
        dest="outband",
        help="use out-of-band pickle-based send and receive",
    )
    add(
        "--threshold",
        type=int,
        default=None,
        dest="threshold",
        help="size threshold for out-of-band pickle buffers",
    )
    add("--skip-large", type=int, default=10, dest="skip_large")
    add("--loop-large", type=int, default=1000, dest="loop_large")
    add("--large-size", type=int, default=LARGE_SIZE, dest="large_size")
    add("--skip-huge", type=int, default=1, dest="skip_huge")
    add("--loop-huge", type=int, default=10, dest="loop_huge")
    add("--huge-size", type=int, default=HUGE_SIZE, dest="huge_size")
    add("--no-header", action="store_false", dest="header")
    add("--no-stats", action="store_false", dest="stats")
    opts = parser.parse_args(args)
    for name in ("skip", "loop", "skip_large", "loop_large", "skip_huge", "loop_huge"):
        if getattr(opts, name) < 0:
            parser.error(f"--{name.replace('_', '-')} must be non-negative")

    comm = MPI.COMM_WORLD if comm is None else comm
    rank = comm.Get_rank()
    make = _array_factory(opts.array or _default_array())
    ping, pong, box = _exchange(MPI, comm, opts)
    role = ping if rank == 0 else pong if rank == 1 else None
    clock = time.perf_counter

    header = opts.verbose and opts.header
    for size in _sizes(opts.min_size, opts.max_size):
        if size > opts.huge_size:
            skip, loop = opts.skip_huge, opts.loop_huge
        elif size > opts.large_size:
            skip, loop = opts.skip_large, opts.loop_large
        else:
            skip, loop = opts.skip, opts.loop
        buf = make(size)
        box["buf"] = box["obj"] = buf
        if comm.Get_size() == 1 and not (opts.pickle or opts.outband):
            box["tmp"] = make(size)
        samples = []
        comm.Barrier()
        if role is not None:
            for _ in range(skip):
                role()
            for _ in range(loop):
                t0 = clock()
                role()
                samples.append((clock() - t0) / 2)
        comm.Barrier()
        box.clear()
        if rank != 0 or not opts.verbose:
            continue
        if header:
            _out("# MPI PingPong Test")
            _out(
                "# Size [B]  Bandwidth [MB/s]"
                + (" | Time Mean [s] ± StdDev [s]  Samples" if opts.stats else "")
            )
            header = False
        mean, std = _stats(samples)
        bandwidth = size / mean / 1e6 if samples else math.nan
        line = f"{size:10d} {bandwidth:17.2f}"
        if opts.stats:
            line += f" | {mean:.7e} ± {std:.4e} {len(samples):8d}"
        _out(line)


# -- command line ----------------------------------------------------------------------

COMMANDS = {"helloworld": helloworld, "ringtest": ringtest, "pingpong": pingpong}


def _thread_level(text):
    levels = ("single", "funneled", "serialized", "multiple")
    value = text.lower().replace("thread_", "")
    if value not in levels:
        raise argparse.ArgumentTypeError(
            f"invalid thread level {text!r} (choose from {', '.join(levels)})"
        )
    return value


def main(args=None, mpi=None):
    """Entry point of ``python -m mpipy.bench``; ``mpi`` replaces ``mpipy.MPI``."""
    parser = argparse.ArgumentParser(prog=PROG, usage=f"{PROG} [options] <command> [args]")
    parser.add_argument(
        "--threads",
        action="store_true",
        default=None,
        dest="threads",
        help="initialize MPI with thread support",
    )
    parser.add_argument(
        "--no-threads",
        action="store_false",
        default=None,
        dest="threads",
        help="initialize MPI without thread support",
    )
    parser.add_argument(
        "--thread-level",
        type=_thread_level,
        default=None,
        dest="thread_level",
        metavar="LEVEL",
        help="initialize MPI with required thread level",
    )
    parser.add_argument("command", metavar="<command>", help="benchmark command to run")
    parser.add_argument(
        "args",
        metavar="[args]",
        nargs=argparse.REMAINDER,
        help="arguments for benchmark command",
    )
    opts = parser.parse_args(args)
    command = COMMANDS.get(opts.command)
    if command is None:
        parser.error(f"unknown command {opts.command!r} (choose from {', '.join(COMMANDS)})")
    if mpi is None:
        import mpipy

        if opts.threads is not None:
            mpipy.rc.threads = opts.threads
        if opts.thread_level is not None:
            mpipy.rc.thread_level = opts.thread_level
        from mpipy import MPI as mpi
    command(mpi, opts.args)


if __name__ == "__main__":
    main()

"""Bad-input fuzzer of mpipy.MPI (or mpi4py, to compare), run as a child process.

Every public method of the MPI classes (on several receivers each: predefined, derived, null
and freed objects), every classmethod and every module function is called with bad arguments:
one argument at a time from a pool of bad values (the others sane), plus seeded random
combinations. The list of calls is deterministic, so a call is named by its index.

    python fuzz_driver.py [--lib mpipy|mpi4py] [--calls A:B] [--log FILE] [--list]

runs calls A to B-1, writing to FILE "B i" before call i and "E i Outcome" after it (flushed
at once), so that the parent (tests/test_fuzz.py) knows which call a crash or hang hit. With
--list it prints the calls' labels instead. Singleton MPI: run it without mpiexec.

What would legitimately block is kept out by construction: rank arguments (source, dest, ...)
never name a real process or ANY_SOURCE, requests and messages in the pool are complete or
inactive, and calls that end or grow the job (Abort, Finalize, Spawn, Connect, ...), name
publishing (needs a name server), Win, File and Session are not made.
"""

import argparse
import gc
import math
import operator
import os
import random
import sys

from signatures import parse_params

SEED = 20261207
RANDOM_COMBOS = 6  # per method and receiver, besides one-bad-argument-at-a-time calls
SAMPLED = 20  # bad values per argument on receivers after a class's first (all on the first)

# Never called: they end or grow the job, block on other processes, or need services.
SKIP_NAMES = {
    "Abort",
    "Finalize",
    "Init",
    "Init_thread",
    "Spawn",
    "Spawn_multiple",
    "Connect",
    "Accept",
    "Join",
    "Publish_name",
    "Unpublish_name",
    "Lookup_name",
    "Close_port",
    "Open_port",
    "Disconnect",
    "Register_datarep",
}
SKIP_CLASSES = {"Win", "File", "Session", "Exception", "Pickle"}
# Parameters naming a process: never a real one (a receive from it could wait forever).
RANK_PARAMS = {"source", "dest", "remote_leader", "local_leader"}


class Pool:
    """Factories of bad values (fresh objects per call: no aliasing between arguments)."""

    def __init__(self, MPI):
        self.MPI = MPI
        self.freed = {}

    def freed_alias(self, kind):
        MPI = self.MPI
        if kind == "datatype":
            t = MPI.INT.Create_contiguous(2).Commit()
            alias = MPI.Datatype.fromhandle(t.handle)
        elif kind == "comm":
            t = MPI.COMM_SELF.Dup()
            alias = MPI.Intracomm.fromhandle(t.handle)
        elif kind == "info":
            t = MPI.Info.Create()
            alias = MPI.Info.fromhandle(t.handle)
        elif kind == "group":
            t = MPI.COMM_SELF.Get_group()
            alias = MPI.Group.fromhandle(t.handle)
        else:
            t = MPI.Op.Create(lambda a, b, dt: None)
            alias = MPI.Op.fromhandle(t.handle)
        t.Free()
        return alias

    def values(self):
        MPI = self.MPI
        rw = lambda: bytearray(8)  # noqa: E731
        return [
            ("None", lambda: None),
            ("0", lambda: 0),
            ("1", lambda: 1),
            ("-1", lambda: -1),
            ("-7", lambda: -7),
            ("2**31", lambda: 2**31),
            ("-2**31-1", lambda: -(2**31) - 1),
            ("2**64", lambda: 2**64),
            ("nan", lambda: math.nan),
            ("1.5", lambda: 1.5),
            ("'x'", lambda: "x"),
            ("''", lambda: ""),
            ("object()", lambda: object()),
            ("[]", lambda: []),
            ("[None]", lambda: [None]),
            ("(None, None)", lambda: (None, None)),
            ("[-1]", lambda: [-1]),
            ("[2**31]", lambda: [2**31]),
            ("{}", lambda: {}),
            ("bytes(8)", lambda: bytes(8)),
            ("bytearray(8)", rw),
            ("bytearray(0)", lambda: bytearray(0)),
            ("memoryview(bytes(8))", lambda: memoryview(bytes(8))),
            ("[bytearray(8), None]", lambda: [rw(), None]),
            ("[None, INT]", lambda: [None, MPI.INT]),
            ("[BOTTOM, 1, INT]", lambda: [MPI.BOTTOM, 1, MPI.INT]),
            ("[bytes(8), 1, INT]", lambda: [bytes(8), 1, MPI.INT]),
            ("[bytearray(8), -1, BYTE]", lambda: [rw(), -1, MPI.BYTE]),
            ("[bytearray(8), 2**40, BYTE]", lambda: [rw(), 2**40, MPI.BYTE]),
            ("[bytearray(8), (1, -1), BYTE]", lambda: [rw(), (1, -1), MPI.BYTE]),
            ("[bytearray(8), (1, 2**40), BYTE]", lambda: [rw(), (1, 2**40), MPI.BYTE]),
            ("[bytearray(8), None, None, None]", lambda: [rw(), None, None, None]),
            ("[bytearray(8), [1], None, [BYTE]]", lambda: [rw(), [1], None, [MPI.BYTE]]),
            ("[bytearray(8), [-1], [0], [BYTE]]", lambda: [rw(), [-1], [0], [MPI.BYTE]]),
            ("[bytearray(8), [1], [2**40], [BYTE]]", lambda: [rw(), [1], [2**40], [MPI.BYTE]]),
            ("[bytearray(8), [1], [0], [None]]", lambda: [rw(), [1], [0], [None]]),
            ("[None, [1], [0], [BYTE]]", lambda: [None, [1], [0], [MPI.BYTE]]),
            ("[bytearray(8), 'x']", lambda: [rw(), "x"]),
            ("[bytearray(8), DATATYPE_NULL]", lambda: [rw(), MPI.DATATYPE_NULL]),
            ("[bytearray(8), freed datatype]", lambda: [rw(), self.freed_alias("datatype")]),
            ("BOTTOM", lambda: MPI.BOTTOM),
            ("IN_PLACE", lambda: MPI.IN_PLACE),
            ("INT", lambda: MPI.INT),
            ("DATATYPE_NULL", lambda: MPI.DATATYPE_NULL),
            ("uncommitted datatype", lambda: MPI.INT.Create_vector(2, 1, 2)),
            ("freed datatype", lambda: self.freed_alias("datatype")),
            ("COMM_NULL", lambda: MPI.COMM_NULL),
            ("freed comm", lambda: self.freed_alias("comm")),
            ("GROUP_NULL", lambda: MPI.GROUP_NULL),
            ("freed group", lambda: self.freed_alias("group")),
            ("INFO_NULL", lambda: MPI.INFO_NULL),
            ("freed info", lambda: self.freed_alias("info")),
            ("OP_NULL", lambda: MPI.OP_NULL),
            ("freed op", lambda: self.freed_alias("op")),
            ("ERRHANDLER_NULL", lambda: MPI.ERRHANDLER_NULL),
            ("REQUEST_NULL", lambda: MPI.REQUEST_NULL),
            ("MESSAGE_NULL", lambda: MPI.MESSAGE_NULL),
            ("Status()", lambda: MPI.Status()),
            ("[REQUEST_NULL, None]", lambda: [MPI.REQUEST_NULL, None]),
        ]

    def sane(self, name):
        """A reasonable value for a parameter, by its name."""
        MPI = self.MPI
        if name in RANK_PARAMS:
            return MPI.PROC_NULL
        if "buf" in name or name in ("obj", "sendobj"):
            return bytearray(8)
        if "tag" in name:
            return 0
        if name in ("root",):
            return 0
        if name in ("datatype", "oldtype", "datatypes"):
            return MPI.BYTE
        if name in ("comm",):
            return MPI.COMM_SELF
        if name in ("op",):
            return MPI.SUM
        return 1 if "count" in name or name in ("n", "size", "blocklength") else 0


def receivers(MPI):
    """(class, [(label, factory)]) for each class: objects to call methods on."""

    def completed():
        return MPI.COMM_SELF.Isend(bytearray(1), MPI.PROC_NULL)

    def inactive():
        return MPI.COMM_SELF.Send_init(bytearray(1), MPI.PROC_NULL)

    def grequest():
        r = MPI.Grequest.Start()
        r.Complete()
        return r

    comms = {}

    def cached(label, make):
        def get():
            c = comms.get(label)
            if c is None or c == MPI.COMM_NULL:
                c = comms[label] = make()
            return c

        return get

    intra = [
        ("COMM_SELF", lambda: MPI.COMM_SELF),
        ("COMM_WORLD", lambda: MPI.COMM_WORLD),
        ("dup", cached("dup", lambda: MPI.COMM_SELF.Dup())),
        ("COMM_NULL", lambda: MPI.Intracomm()),
    ]
    cart = [("cart", cached("cart", lambda: MPI.COMM_SELF.Create_cart([1], [True])))]
    graph = [("graph", cached("graph", lambda: MPI.COMM_SELF.Create_graph([1], [0])))]
    dist = [
        (
            "distgraph",
            cached("dist", lambda: MPI.COMM_SELF.Create_dist_graph_adjacent([0], [0])),
        )
    ]
    return [
        (MPI.Intracomm, intra),
        (MPI.Cartcomm, cart),
        (MPI.Graphcomm, graph),
        (MPI.Distgraphcomm, dist),
        (MPI.Intercomm, [("Intercomm()", lambda: MPI.Intercomm())]),
        (
            MPI.Datatype,
            [
                ("INT", lambda: MPI.INT),
                ("derived", lambda: MPI.INT.Create_contiguous(2).Commit()),
                ("uncommitted", lambda: MPI.INT.Create_vector(2, 1, 2)),
                ("DATATYPE_NULL", lambda: MPI.Datatype()),
                ("freed alias", lambda: Pool(MPI).freed_alias("datatype")),
            ],
        ),
        (MPI.Request, [("REQUEST_NULL", lambda: MPI.Request()), ("completed", completed)]),
        (MPI.Prequest, [("inactive", inactive)]),
        (MPI.Grequest, [("completed grequest", grequest)]),
        (
            MPI.Message,
            [
                ("MESSAGE_NULL", lambda: MPI.Message()),
                ("MESSAGE_NO_PROC", lambda: MPI.Message(MPI.MESSAGE_NO_PROC)),
            ],
        ),
        (MPI.Status, [("Status()", lambda: MPI.Status())]),
        (
            MPI.Group,
            [
                ("GROUP_EMPTY", lambda: MPI.GROUP_EMPTY),
                ("self group", lambda: MPI.COMM_SELF.Get_group()),
                ("GROUP_NULL", lambda: MPI.Group()),
                ("freed alias", lambda: Pool(MPI).freed_alias("group")),
            ],
        ),
        (
            MPI.Info,
            [
                ("INFO_ENV", lambda: MPI.INFO_ENV),
                ("new info", lambda: MPI.Info.Create()),
                ("INFO_NULL", lambda: MPI.Info()),
                ("freed alias", lambda: Pool(MPI).freed_alias("info")),
            ],
        ),
        (
            MPI.Op,
            [
                ("SUM", lambda: MPI.SUM),
                ("user op", lambda: MPI.Op.Create(lambda a, b, t: None)),
                ("OP_NULL", lambda: MPI.Op()),
                ("freed alias", lambda: Pool(MPI).freed_alias("op")),
            ],
        ),
        (
            MPI.Errhandler,
            [
                ("ERRORS_RETURN", lambda: MPI.ERRORS_RETURN),
                ("ERRHANDLER_NULL", lambda: MPI.Errhandler()),
            ],
        ),
        (MPI.buffer, [("buffer", lambda: MPI.buffer.allocate(8))]),
    ]


def public_names(cls):
    return sorted(n for n in dir(cls) if not n.startswith("_") and n not in SKIP_NAMES)


def library_crashes(MPI, values):
    """Calls that crash inside the MPI library itself (in C too, and under mpi4py alike), which
    mpipy cannot tell from valid ones without costing every message: left out.
    Returns (bad value indices, labels of calls to make with their sane arguments only)."""
    standard_abi = MPI._mpi_abi is not None
    if MPI.get_vendor()[0] != "Open MPI" and not standard_abi:
        return set(), set()
    # Open MPI's handles are pointers, and so are the MPI standard ABI's: MPI dereferences a
    # freed communicator (mpipy counts references only for the kinds off the hot paths) and
    # any integer given as a handle. Under the standard ABI, MPICH 5.0.2 also crashes inside
    # MPI_<Kind>_fromint given an integer it never handed out (MPI_Request_fromint(-1)).
    skip_values = {i for i, (name, _) in enumerate(values) if name == "freed comm"}
    sane_only = {
        f"{c}.{m}"
        for c in ("Comm", "Intracomm", "Intercomm", "Topocomm")
        for m in ("fromhandle", "f2py", "fromint")
    }
    if standard_abi:
        sane_only |= {
            f"{name}.fromint" for name in dir(MPI) if hasattr(getattr(MPI, name), "fromint")
        }
    return skip_values, sane_only


def build_calls(MPI):
    """The deterministic list of calls: (label, receiver factory or None, attribute, args)."""
    pool = Pool(MPI)
    values = pool.values()
    rng = random.Random(SEED)
    calls = []
    skip_values, sane_only = library_crashes(MPI, values)
    allowed = [v for v in range(len(values)) if v not in skip_values]

    def plan(label, target, attr, func, full=True):
        names, required = parse_params(func)
        last_rank = max((i + 1 for i, n in enumerate(names) if n in RANK_PARAMS), default=0)
        n = len(names)
        # The sane call, then each argument bad in turn, then random mixes.
        calls.append((label, target, attr, [None] * max(required, last_rank), names))
        if label in sane_only:
            return
        for i in range(n):
            length = max(required, last_rank, i + 1)
            chosen = allowed if full else rng.sample(allowed, SAMPLED)
            for v in chosen:
                args = [None] * length
                args[i] = v
                calls.append((label, target, attr, args, names))
        for _ in range(RANDOM_COMBOS if n else 0):
            length = rng.randint(max(required, last_rank), n)
            args = [rng.choice(allowed) if rng.random() < 0.6 else None for _ in range(length)]
            calls.append((label, target, attr, args, names))
        if not n:  # extra positional arguments: TypeError
            calls.append((label, target, attr, [0], names + ["extra"]))

    intra_names = set(dir(MPI.Intracomm))
    for cls, objs in receivers(MPI):
        if cls.__name__ in SKIP_CLASSES:
            continue
        topology = cls in (MPI.Cartcomm, MPI.Graphcomm, MPI.Distgraphcomm)
        for name in public_names(cls):
            attr = getattr(cls, name)
            if isinstance(attr, (int, float, str, property)) or not callable(attr):
                continue
            if getattr(attr, "__self__", None) is cls:  # classmethod: once, not per object
                if cls in (MPI.Cartcomm, MPI.Graphcomm, MPI.Distgraphcomm, MPI.Prequest):
                    continue
                plan(f"{cls.__name__}.{name}", None, (cls, name), attr)
                continue
            for k, (label, make) in enumerate(objs):
                inherited = topology and name in intra_names  # all values on Intracomm's
                plan(
                    f"{label}.{name}",
                    make,
                    name,
                    attr,
                    full=k == 0 and not inherited and cls is not MPI.Intercomm,
                )
    for name in public_names(MPI):
        attr = getattr(MPI, name)
        if isinstance(attr, type) or not callable(attr):
            continue
        plan(f"MPI.{name}", None, (MPI, name), attr)
    return calls, values, pool


def describe(call, values):
    if call is None:
        return "(process exit)"
    label, _, _, args, names = call
    parts = []
    for i, a in enumerate(args):
        if a is None:
            parts.append(f"{names[i] if i < len(names) else '?'}=<sane>")
        else:
            parts.append(f"{names[i] if i < len(names) else '?'}={values[a][0]}")
    return f"{label}({', '.join(parts)})"


def as_rank(value):
    """The integer a rank argument would be taken as (anything with __index__), or None."""
    try:
        return operator.index(value)
    except TypeError:
        return None


def run_call(MPI, call, values, pool):
    label, make, attr, args, names = call
    if make is None:
        owner, name = attr
        func = getattr(owner, name)
    else:
        func = getattr(make(), attr)
    real = []
    for i, a in enumerate(args):
        if a is None:
            real.append(pool.sane(names[i] if i < len(names) else ""))
        else:
            value = values[a][1]()
            if (
                names[i : i + 1]
                and names[i] in RANK_PARAMS
                and as_rank(value) in (0, MPI.ANY_SOURCE)
            ):
                value = MPI.PROC_NULL  # a real process, or any: could wait forever
            real.append(value)
    return func(*real)


# -- The parent side: run slices in children, catch crashes and hangs, name the culprit -----

# Environment variables by which a launcher tells a process it is one rank of a job: a child
# without them initializes as a singleton.
LAUNCHER_PREFIXES = ("PMI_", "PMIX_", "OMPI_", "HYDRA_", "MPI_LOCAL", "PRTE_", "OPAL_")
KEEP = ("OMPI_ALLOW_RUN_AS_ROOT", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "OMPI_MCA_pml")


def child_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith(LAUNCHER_PREFIXES) or k in KEEP}
    env["PYTHONFAULTHANDLER"] = "1"
    return env


def run_child(lib, start, stop, log, hang_seconds):
    """Run calls [start, stop) in one child. Returns (outcomes {i: outcome}, next start,
    failure): failure is None, or (i, "crash (...)" or "hang") for the call that failed."""
    import subprocess
    import time

    open(log, "w").close()
    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        "--lib",
        lib,
        "--calls",
        f"{start}:{stop}",
        "--log",
        log,
    ]
    proc = subprocess.Popen(cmd, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    size, last_change = -1, time.monotonic()
    hung = False
    while proc.poll() is None:
        time.sleep(0.05)
        now = time.monotonic()
        s = os.path.getsize(log)
        if s != size:
            size, last_change = s, now
        elif now - last_change > hang_seconds:
            hung = True
            proc.kill()
            break
    stderr = proc.communicate()[1].decode(errors="replace")
    outcomes, begun, done = {}, None, False
    with open(log) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "B":
                begun = int(parts[1])
            elif parts[0] == "E" and len(parts) == 3:
                outcomes[int(parts[1])] = parts[2]
                begun = None
            elif parts[0] == "D":
                done = True
    if done and proc.returncode == 0:
        return outcomes, stop, None
    if done or (begun is None and outcomes and max(outcomes) + 1 >= stop):
        culprit = -1  # every call returned: the process died on its way out
    else:
        culprit = begun if begun is not None else (max(outcomes) + 1 if outcomes else start)
    if hung:
        what = "hang"
    else:
        tail = " | ".join(stderr.strip().splitlines()[-3:])[-300:]
        what = f"crash (exit {proc.returncode}: {tail})"
    if culprit < 0:
        return outcomes, stop, (-1, f"{what} at exit, after calls {start}:{stop}")
    return outcomes, culprit + 1, (culprit, what)


def drive(lib="mpipy", start=0, stop=None, hang_seconds=10.0, log=None, confirm=True):
    """Run calls [start, stop) in children, resuming after each crash or hang. Returns
    (tried, {outcome: count}, [(index, description, failure)])."""
    import collections
    import tempfile

    from_lib = None
    if stop is None:
        if lib == "mpi4py":
            from mpi4py import MPI as from_lib
        else:
            from mpipy import MPI as from_lib
        stop = len(build_calls(from_lib)[0])
    log = log or tempfile.mktemp(prefix="mpipy-fuzz-")
    counts, failures, tried = collections.Counter(), [], 0
    at = start
    while at < stop:
        outcomes, at_next, failure = run_child(lib, at, stop, log, hang_seconds)
        counts.update(outcomes.values())
        tried += len(outcomes)
        if failure:
            i, what = failure
            tried += 1
            counts[what.split(" ")[0]] += 1
            if (
                confirm and i >= 0
            ):  # again alone: does it fail by itself or after the calls before it?
                alone = run_child(lib, i, i + 1, log, hang_seconds)[2]
                if alone is None:
                    what += " (not alone: after earlier calls of the batch)"
            failures.append((i, what))
        at = at_next
    try:
        os.unlink(log)
    except OSError:
        pass
    return tried, dict(counts), failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lib", default="mpipy")
    parser.add_argument("--calls", default="0:")
    parser.add_argument("--log")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--drive", action="store_true", help="parent: run children, report")
    parser.add_argument("--hang", type=float, default=10.0)
    parser.add_argument("--no-confirm", action="store_true", help="no re-run of a culprit")
    opts = parser.parse_args()
    if opts.drive:
        start, _, stop = opts.calls.partition(":")
        tried, counts, failures = drive(
            opts.lib,
            int(start),
            int(stop) if stop else None,
            opts.hang,
            confirm=not opts.no_confirm,
        )
        names = None
        if failures:
            MPI = __import__(
                "mpi4py.MPI" if opts.lib == "mpi4py" else "mpipy.MPI", fromlist=["MPI"]
            )
            calls, values, _ = build_calls(MPI)
            names = {i: describe(calls[i] if i >= 0 else None, values) for i, _ in failures}
        print(
            f"{opts.lib}: {tried} calls: "
            + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        )
        for i, what in failures:
            print(f"  #{i} {names[i]}: {what}")
        return 1 if failures else 0
    if opts.lib == "mpi4py":
        from mpi4py import MPI
    else:
        from mpipy import MPI
    calls, values, pool = build_calls(MPI)
    if opts.list:
        for i, c in enumerate(calls):
            print(i, describe(c, values))
        return
    start, _, stop = opts.calls.partition(":")
    start, stop = int(start), int(stop) if stop else len(calls)
    fd = os.open(opts.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND) if opts.log else 1
    os.write(fd, f"N {len(calls)}\n".encode())
    for i in range(start, min(stop, len(calls))):
        os.write(fd, f"B {i}\n".encode())
        try:
            result = run_call(MPI, calls[i], values, pool)
            outcome = "ok"
            del result
        except Exception as e:  # any Python exception is a fine answer to bad input
            outcome = type(e).__name__
        os.write(fd, f"E {i} {outcome}\n".encode())
        if i % 500 == 0:
            gc.collect()
    os.write(fd, b"D\n")


if __name__ == "__main__":
    sys.exit(main())

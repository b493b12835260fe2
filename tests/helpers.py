"""Helpers shared by several test files (``from helpers import ...``): a ring of ranks, the
process topologies the topology and neighbourhood-collective tests build, an
intercommunicator joining two parts of COMM_WORLD, and the environment for a child
process that must not join this job."""

import contextlib
import os
import signal
import subprocess
import sys
from math import prod

import mpipy
from mpipy import MPI


def ring(comm):
    """(right, left): where this rank sends to and receives from."""
    rank, size = comm.Get_rank(), comm.Get_size()
    return (rank + 1) % size, (rank - 1) % size


# -- Topologies ------------------------------------------------------------------------


def row_major(rank, dims):
    """Coordinates of `rank` in a grid of `dims` (the last dimension varies fastest)."""
    return [(rank // prod(dims[d + 1 :])) % dims[d] for d in range(len(dims))]


def rank_of(coords, dims):
    return sum(c * prod(dims[d + 1 :]) for d, c in enumerate(coords))


def shifted(rank, dims, periods, direction, disp):
    """(source, dest) of Shift(direction, disp), computed from the coordinates."""

    def move(by):
        c = row_major(rank, dims)
        c[direction] += by
        if periods[direction]:
            c[direction] %= dims[direction]
        elif not 0 <= c[direction] < dims[direction]:
            return MPI.PROC_NULL
        return rank_of(c, dims)

    return move(-disp), move(disp)


def cart_neighbours(rank, dims, periods):
    """[lo0, hi0, lo1, hi1, ...] of `rank`: MPI's neighbour order on a Cartesian grid."""
    return [p for d in range(len(dims)) for p in shifted(rank, dims, periods, d, 1)]


def graph_neighbours(rank, size):
    """A symmetric graph: a ring plus a hub (node 0 linked to everyone), no self loops;
    the neighbours of node `rank` in increasing order."""
    s = set()
    if size > 1:
        s |= {(rank - 1) % size, (rank + 1) % size}
        s |= {0} if rank != 0 else set(range(1, size))
    s.discard(rank)
    return sorted(s)


def dist_dests(rank, size):
    """Out-neighbours in a distributed graph: rank+1 and rank+2 (mod size), without
    repeats; a self loop at N = 1 and N = 2 (rank+2 is the rank itself)."""
    out = []
    for d in ((rank + 1) % size, (rank + 2) % size):
        if d not in out:
            out.append(d)
    return out


def dist_sources(rank, size):
    """In-neighbours, in decreasing rank order (any order may be given to the adjacent
    constructor; MPI keeps it)."""
    return sorted((s for s in range(size) if rank in dist_dests(s, size)), reverse=True)


# -- Intercommunicators ----------------------------------------------------------------


@contextlib.contextmanager
def split_intercomm(color_of, tag):
    """COMM_WORLD split in two groups, world rank r in group color_of(r) (0 or 1), joined by
    Create_intercomm; yields (intercomm, local intracommunicator), freed afterwards. Local
    ranks follow world ranks; each group's leader is its lowest world rank."""
    world = MPI.COMM_WORLD
    rank, size = world.Get_rank(), world.Get_size()
    color = color_of(rank)
    local = world.Split(color, rank)
    remote_leader = min(r for r in range(size) if color_of(r) != color)
    intercomm = local.Create_intercomm(0, world, remote_leader, tag)
    try:
        yield intercomm, local
    finally:
        intercomm.Free()
        local.Free()


# -- Child processes -------------------------------------------------------------------

# Variables through which a launcher hands a process its place in a job: a child that
# inherited them would try to join the parent's job instead of starting as a singleton
# (or its own mpiexec would think it runs inside this job).
LAUNCHER_PREFIXES = (
    "PMI_",
    "PMIX_",
    "PRTE_",
    "HYDI_",
    "HYDRA_",
    "MPI_LOCALNRANKS",
    "MPI_LOCALRANKID",
    "OMPI_",
    "OPAL_",
)
KEEP = (
    "OMPI_ALLOW_RUN_AS_ROOT",
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM",
    "OMPI_MCA_pml",
    "OPAL_PREFIX",
)


def singleton_env():
    """os.environ without this job's launcher variables, for a child Python (a singleton,
    or an mpiexec of its own) that imports the same mpipy."""
    env = {k: v for k, v in os.environ.items() if k in KEEP or not k.startswith(LAUNCHER_PREFIXES)}
    # The child imports the same mpipy, and finds the MPI's tools (MPICH's singleton
    # start-up needs them, and mpiexec) beside this Python.
    site = os.path.dirname(os.path.dirname(os.path.abspath(mpipy.__file__)))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [site, env.get("PYTHONPATH")]))
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    return env


def run_job(cmd, env, timeout, what="the job"):
    """Run cmd (a launcher's job or a child Python) in a session of its own and return
    (returncode, stdout, stderr); a job still running after `timeout` seconds is killed whole
    (every process of its session) and the test fails with what it printed."""
    import pytest

    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"{what} did not end within {timeout} s:\n{out}\n{err}")
    return proc.returncode, out, err


def run_python(args, nprocs=None, timeout=120):
    """Run `python args` under `mpiexec -n nprocs`, or as a singleton when nprocs is None,
    with this mpipy; (returncode, stdout, stderr) as run_job gives them."""
    env = singleton_env()
    cmd = [sys.executable, *args]
    open_mpi = MPI.get_vendor()[0] == "Open MPI"
    if open_mpi:  # for mpiexec, and for the prte a singleton starts to spawn
        if os.geteuid() == 0:
            for name in ("OMPI_ALLOW_RUN_AS_ROOT", "PRTE_ALLOW_RUN_AS_ROOT"):
                env[name] = env[name + "_CONFIRM"] = "1"
        env.setdefault("OMPI_MCA_pml", "ob1")
    if nprocs is not None:
        launcher = os.environ.get("MPIEXEC", "mpiexec")
        cmd = [launcher, *(["--oversubscribe"] if open_mpi else []), "-n", str(nprocs), *cmd]
    return run_job(cmd, env, timeout, f"{cmd}")

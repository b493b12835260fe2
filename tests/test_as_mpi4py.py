"""Programs written for mpi4py, run unchanged on mpipy: ``python -m mpipy --as-mpi4py``
and ``mpipy.install_as_mpi4py()``.

The programs below are mpi4py programs (``from mpi4py import MPI``, ``import mpi4py.MPI
as MPI``, ``mpi4py.rc``, ``mpi4py.util.pkl5``, ``python -m mpi4py.X``); each runs as an
MPI job of its own (``mpiexec -n k``, k = 1..4, or a singleton) and prints what it
received, which the test checks line by line. The jobs run at world size 1 only, from
the harness's single process (as tests/test_run.py's: at larger sizes the harness's own
ranks would share the two cores with the child job). The command-line splitting that
``Spawn`` relies on is checked in process at every size.
"""

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import warnings

import pytest
from helpers import singleton_env

import mpipy
from mpipy import MPI
from mpipy._as_mpi4py import _spawn_args, _spawn_multiple_args, _split_python_args

VENDOR = MPI.get_vendor()[0]
JOB_TIMEOUT = 120  # seconds for one child job; a job still running then counts as hung

one_process = pytest.mark.skipif(
    MPI.COMM_WORLD.Get_size() != 1,
    reason="starts its own MPI jobs: runs at world size 1 only",
)


def launcher_env():
    env = singleton_env()
    for name in ("MPIPY_AS_MPI4PY", "MPI4PY_RC_THREADS", "MPIPY_RC_THREADS"):
        env.pop(name, None)
    if VENDOR == "Open MPI":
        if os.geteuid() == 0:
            env["OMPI_ALLOW_RUN_AS_ROOT"] = env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        env.setdefault("OMPI_MCA_pml", "ob1")
    return env


def run(nprocs, *args, env=None, cwd=None):
    """Run ``[mpiexec -n nprocs] python args...``; return (status, stdout, stderr)."""
    env = {**launcher_env(), **(env or {})}
    cmd = [sys.executable, *args]
    if nprocs is not None:
        launcher = os.environ.get("MPIEXEC") or shutil.which("mpiexec", path=env["PATH"])
        flags = ["--oversubscribe"] if VENDOR == "Open MPI" else []
        cmd = [launcher, *flags, "-n", str(nprocs), *cmd]
    proc = subprocess.Popen(
        cmd,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a hung job is killed whole
    )
    try:
        out, err = proc.communicate(timeout=JOB_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"{cmd} did not end within {JOB_TIMEOUT} s:\n{out}\n{err}")
    return proc.returncode, out, err


def lines_by_rank(out):
    """'<rank>: <text>' lines -> {rank: [text, ...]}."""
    found = {}
    for line in out.splitlines():
        head, sep, text = line.partition(": ")
        if sep and head.isdigit():
            found.setdefault(int(head), []).append(text)
    return found


@pytest.fixture
def script(tmp_path):
    def write(source, name="prog.py"):
        path = tmp_path / name
        path.write_text(textwrap.dedent(source))
        return str(path)

    return write


# -- An mpi4py program: point to point, collectives, pkl5, rc ---------------------------

# Unchanged mpi4py code: a ring of objects and of NumPy-free buffers, the object and
# buffer collectives, pkl5's large-object messages, rc set before MPI's import.
RING = """\
import array
import sys

import mpi4py

mpi4py.rc.thread_level = "serialized"
mpi4py.rc(errors="exception")
import mpi4py.MPI as MPI
from mpi4py.util import pkl5

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
right, left = (rank + 1) % size, (rank - 1) % size
lines = []
report = lines.append

# point to point: objects, then a typed buffer
got = comm.sendrecv({"from": rank, "data": list(range(rank + 1))}, dest=right, source=left)
buf = array.array("d", [0.0] * 4)
req = comm.Irecv([buf, MPI.DOUBLE], source=left, tag=7)
comm.Send([array.array("d", [rank + 0.5] * 4), MPI.DOUBLE], dest=right, tag=7)
status = MPI.Status()
req.Wait(status)
report(f"p2p {got['from']} {sum(got['data'])} {buf[0]} {status.Get_source()}"
      f" {status.Get_count(MPI.DOUBLE)}")

# collectives
total = comm.allreduce(rank, op=MPI.SUM)
gathered = comm.gather(rank * rank, root=0)
word = comm.bcast("hello" if rank == 0 else None, root=0)
counts = array.array("i", [0] * size)
comm.Allgather([array.array("i", [rank + 1]), MPI.INT], [counts, MPI.INT])
report(f"coll {total} {gathered} {word} {list(counts)}")

# pkl5: an object larger than the out-of-band threshold, and a matched probe
pcomm = pkl5.Intracomm(comm)
big = bytes([rank % 256]) * (1 << 20)
req = pcomm.isend(big, dest=right, tag=3)
msg = pcomm.mprobe(source=left, tag=3)
received = msg.recv()
req.wait()
report(f"pkl5 {len(received)} {received[0]} {received[-1]}")

# rc settings took effect, and these are mpipy's modules
import mpipy

level = MPI.Query_thread() == MPI.THREAD_SERIALIZED
report(f"rc {level} {mpi4py.rc.thread_level}")
report(f"same {mpi4py is mpipy} {MPI is mpipy.MPI} {pkl5 is sys.modules['mpipy.util.pkl5']}")

# rank 0 prints every rank's lines (ranks writing at once may interleave on the way)
everyone = comm.gather(lines, root=0)
if rank == 0:
    sys.stdout.write("".join(f"{r}: {line}\\n" for r, mine in enumerate(everyone) for line in mine))
"""


def check_ring(out, size):
    found = lines_by_rank(out)
    assert sorted(found) == list(range(size)), out
    for rank, lines in found.items():
        left = (rank - 1) % size
        assert lines == [
            f"p2p {left} {left * (left + 1) // 2} {left + 0.5} {left} 4",
            f"coll {size * (size - 1) // 2} {[r * r for r in range(size)] if rank == 0 else None}"
            f" hello {list(range(1, size + 1))}",
            f"pkl5 {1 << 20} {left % 256} {left % 256}",
            "rc True serialized",
            "same True True True",
        ], out


@one_process
@pytest.mark.timeout(600)
@pytest.mark.parametrize("nprocs", [1, 2, 4])
def test_program_runs_with_as_mpi4py(script, nprocs):
    path = script(RING)
    status, out, err = run(nprocs, "-m", "mpipy", "--as-mpi4py", path)
    assert status == 0, err
    check_ring(out, nprocs)


@one_process
@pytest.mark.timeout(600)
@pytest.mark.parametrize("nprocs", [1, 3])
def test_program_runs_after_install_as_mpi4py(script, nprocs):
    """A launcher of the user's own calls install_as_mpi4py() and runs the program."""
    path = script(RING)
    launcher = script(
        """\
        import runpy, sys
        import mpipy
        mpipy.install_as_mpi4py()
        runpy.run_path(sys.argv[1], run_name="__main__")
        """,
        name="launch.py",
    )
    status, out, err = run(nprocs, launcher, path)
    assert status == 0, err
    check_ring(out, nprocs)


# -- The ways in: -m module, -c, -rc, python -m mpi4py.X -------------------------------

IDENTITY = """\
import sys
import mpi4py
import mpi4py.rc
from mpi4py import MPI
import mpi4py.MPI
import mpi4py.util.dtlib
from mpi4py.util import pkl5, sync
import mpipy, mpipy.util.dtlib

checks = [
    mpi4py is mpipy,
    MPI is mpipy.MPI is mpi4py.MPI is sys.modules["mpi4py.MPI"],
    mpi4py.rc is mpipy.rc and sys.modules["mpi4py.rc"] is mpipy.rc,
    mpi4py.util.dtlib is mpipy.util.dtlib,
    pkl5 is sys.modules["mpipy.util.pkl5"] and sync is sys.modules["mpipy.util.sync"],
    MPI.__spec__.name == "mpipy.MPI" and mpi4py.util.__spec__.name == "mpipy.util",
    type(MPI.COMM_WORLD) is mpipy.MPI.Intracomm,
    mpi4py.__file__ == mpipy.__file__,
]
try:
    import mpi4py.nosuch  # noqa: F401
except ModuleNotFoundError as exc:
    checks.append(exc.name == "mpi4py.nosuch")
line = f"{checks} {MPI.Query_thread()} {' '.join(sys.argv[1:])}"
everyone = MPI.COMM_WORLD.gather(line, root=0)
if MPI.COMM_WORLD.Get_rank() == 0:
    sys.stdout.write("".join(f"{r}: {text}\\n" for r, text in enumerate(everyone)))
"""

IDENTITY_OK = "[True, True, True, True, True, True, True, True, True]"


@one_process
@pytest.mark.timeout(300)
def test_module_identity_script_module_and_command(script, tmp_path):
    path = script(IDENTITY, name="ident.py")
    level = MPI.THREAD_MULTIPLE
    # a script, at two sizes, with an rc setting given on the command line
    status, out, err = run(2, "-m", "mpipy", "-rc", "thread_level=funneled", "--as-mpi4py",
                           path, "a", "b")  # fmt: skip
    assert status == 0, err
    assert lines_by_rank(out) == {
        r: [f"{IDENTITY_OK} {MPI.THREAD_FUNNELED} a b"] for r in range(2)
    }, out
    # -m module (found on the current directory's path, as python -m does)
    status, out, err = run(None, "-m", "mpipy", "--as-mpi4py", "-m", "ident", "x",
                           cwd=str(tmp_path))  # fmt: skip
    assert status == 0, err
    assert lines_by_rank(out) == {0: [f"{IDENTITY_OK} {level} x"]}, out
    # -c command
    status, out, err = run(None, "-m", "mpipy", "--as-mpi4py", "-c", IDENTITY, "y")
    assert status == 0, err
    assert lines_by_rank(out) == {0: [f"{IDENTITY_OK} {level} y"]}, out


@one_process
@pytest.mark.timeout(300)
def test_python_m_mpi4py_submodule_runs_mpipy_module():
    """``-m mpi4py.X`` runs mpipy.X's code as __main__ (a package: its __main__)."""
    status, out, err = run(2, "-m", "mpipy", "--as-mpi4py", "-m", "mpi4py.bench", "helloworld")
    assert status == 0, err
    assert sorted(out.splitlines()) == [
        f"Hello, World! I am process {r} of 2 on {os.uname().nodename}." for r in range(2)
    ], out
    status, out, err = run(None, "-m", "mpipy", "--as-mpi4py", "-m", "mpi4py", "--version")
    assert status == 0, err
    assert out == f"mpipy {mpipy.__version__}\n"
    # python -m mpi4py.X in a process started from one running as mpi4py (environment)
    status, out, err = run(
        None,
        "-m",
        "mpipy",
        "--as-mpi4py",
        "-c",
        "import subprocess, sys\n"
        "r = subprocess.run([sys.executable, '-m', 'mpi4py', '--version'],"
        " capture_output=True, text=True)\n"
        "print(r.returncode, r.stdout.strip(), r.stderr.strip())",
    )
    assert status == 0, err
    assert out == f"0 mpipy {mpipy.__version__} \n"
    # an unknown module: Python's error, not a real mpi4py's module
    status, out, err = run(None, "-m", "mpipy", "--as-mpi4py", "-m", "mpi4py.nosuch")
    assert status == 1
    assert "No module named mpi4py.nosuch" in err


@one_process
@pytest.mark.timeout(300)
def test_install_as_mpi4py_in_process():
    code = """\
        import os, sys, warnings
        import mpipy
        mpipy.install_as_mpi4py()
        mpipy.install_as_mpi4py()  # twice: no second finder, same modules
        import mpi4py
        mpi4py.rc(threads=False)
        from mpi4py import MPI
        from mpipy import _as_mpi4py as a
        finders = [f for f in sys.meta_path if type(f).__name__ == "AliasFinder"]
        shim = os.environ["PYTHONPATH"].split(os.pathsep)[0]
        print("0:", len(finders), mpi4py is mpipy, MPI is mpipy.MPI,
              MPI.Query_thread() == MPI.THREAD_SINGLE, os.environ["MPIPY_AS_MPI4PY"],
              shim == a.SHIM_DIR, os.path.isfile(os.path.join(shim, "mpi4py", "__init__.py")))
        a.uninstall()
        print("0:", "mpi4py" in sys.modules, "mpi4py.MPI" in sys.modules,
              "MPIPY_AS_MPI4PY" in os.environ,
              a.SHIM_DIR in os.environ.get("PYTHONPATH", ""))
        """
    status, out, err = run(None, "-c", textwrap.dedent(code))
    assert status == 0, err
    assert lines_by_rank(out) == {0: ["1 True True True 1 True True", "False False False False"]}, (
        out
    )


@one_process
@pytest.mark.timeout(300)
def test_install_refuses_after_real_mpi4py_mpi():
    """A real mpi4py.MPI loaded already: refused (two bindings, one MPI state)."""
    pytest.importorskip("mpi4py")
    code = """\
        import mpi4py.MPI
        import mpipy
        try:
            mpipy.install_as_mpi4py()
        except RuntimeError as exc:
            print("0:", "already imported" in str(exc))
        """
    status, out, err = run(None, "-c", textwrap.dedent(code))
    assert status == 0, err
    assert lines_by_rank(out) == {0: ["True"]}, out


@one_process
@pytest.mark.timeout(300)
def test_environment_opt_out_gives_real_mpi4py():
    """MPIPY_AS_MPI4PY=0 with the shim still on the path: the shim steps aside."""
    real = pytest.importorskip("mpi4py")  # the reference, installed beside mpipy
    shim = os.path.join(os.path.dirname(mpipy.__file__), "_as_mpi4py_path")
    env = launcher_env()
    env["PYTHONPATH"] = os.pathsep.join([shim, env["PYTHONPATH"]])
    env["MPIPY_AS_MPI4PY"] = "0"
    code = "import mpi4py, mpipy; print('0:', mpi4py is mpipy, mpi4py.__file__)"
    status, out, err = run(None, "-c", code, env=env)
    assert status == 0, err
    assert lines_by_rank(out) == {0: [f"False {real.__file__}"]}, out


# -- Spawn: the children run as mpi4py too ----------------------------------------------

SPAWNING = """\
import sys
{import_mpi}

child = sys.argv[1]
comm = MPI.COMM_WORLD
inter = comm.Spawn(sys.executable, ["-u", child, "spawned"], maxprocs=2, root=0)
answers = inter.gather(None, root=MPI.ROOT if comm.Get_rank() == 0 else MPI.PROC_NULL)
inter.Disconnect()
inter = comm.Spawn_multiple(
    [sys.executable] * 2,
    [[child, "first"], ["-c", "import runpy, sys; runpy.run_path(sys.argv[1])", child]],
    maxprocs=[1, 1],
)
more = inter.gather(None, root=MPI.ROOT if comm.Get_rank() == 0 else MPI.PROC_NULL)
inter.Disconnect()
if comm.Get_rank() == 0:
    for answer in answers + more:
        print(f"{comm.Get_rank()}: {answer}")
"""

CHILD = """\
import sys
import mpi4py
from mpi4py import MPI
import mpipy

parent = MPI.Comm.Get_parent()
answer = (MPI.COMM_WORLD.Get_rank(), mpi4py is mpipy and MPI is mpipy.MPI, sys.argv[1:])
parent.gather(answer, root=0)
parent.Disconnect()
"""


@one_process
@pytest.mark.timeout(600)
@pytest.mark.parametrize(
    "nprocs, import_mpi",
    [
        (1, "import mpi4py.MPI as MPI"),
        (2, "from mpi4py import MPI"),
        (1, "import mpi4py.MPI; MPI = mpi4py.MPI"),
    ],
)
def test_spawned_children_run_as_mpi4py(script, nprocs, import_mpi):
    """Whichever way the program imports MPI, the Python children it spawns run as
    mpi4py (their environment is mpiexec's, not the parent's)."""
    child = script(CHILD, name="child.py")
    path = script(SPAWNING.replace("{import_mpi}", import_mpi))
    status, out, err = run(nprocs, "-m", "mpipy", "--as-mpi4py", path, child)
    assert status == 0, err
    assert lines_by_rank(out) == {
        0: [
            "(0, True, ['spawned'])",
            "(1, True, ['spawned'])",
            "(0, True, ['first'])",
            f"(1, True, {[child]})",
        ]
    }, out


# -- The command line a spawned Python gets (in process, at every size) ------------------


@pytest.mark.parametrize(
    "args, expected",
    [
        (["x.py", "1"], ([], ["x.py", "1"])),
        (["-u", "-m", "mpi4py.futures.server"], (["-u"], ["-m", "mpi4py.futures.server"])),
        (["-Wignore", "-X", "dev", "-c", "pass"], (["-Wignore", "-X", "dev"], ["-c", "pass"])),
        (["-W", "error", "s.py", "-m"], (["-W", "error"], ["s.py", "-m"])),
        (["-Bc", "pass"], (["-B"], ["-c", "pass"])),
        (["-cpass", "z"], ([], ["-c", "pass", "z"])),
        (["-mmod"], ([], ["-m", "mod"])),
        (["-"], ([], ["-"])),
        (["-OO", "--", "s.py"], (["-OO", "--"], ["s.py"])),
        ([], None),
        (["-i"], None),
        (["--version"], None),
        (["-c"], None),
    ],
)  # fmt: skip
def test_split_python_command_line(args, expected):
    assert _split_python_args(args) == expected


def test_spawn_arguments_rewritten_for_this_python_only():
    entry = ["-m", "mpipy._as_mpi4py"]
    assert _spawn_args(sys.executable, ["-u", "a.py", "b"]) == ["-u", *entry, "a.py", "b"]
    assert _spawn_args(sys.executable, ("-m", "pkg")) == [*entry, "-m", "pkg"]
    assert _spawn_args(sys.executable, ["-OO", "--", "a.py"]) == ["-OO", *entry, "a.py"]
    # not this Python, no program, or a single string: left as given
    assert _spawn_args("/bin/echo", ["a.py"]) == ["a.py"]
    assert _spawn_args(sys.executable, None) is None
    assert _spawn_args(sys.executable, ["-i"]) == ["-i"]
    assert _spawn_args(sys.executable, "a.py") == "a.py"
    assert _spawn_multiple_args([sys.executable, "/bin/echo"], [["a.py"], ["b"]]) == [
        [*entry, "a.py"],
        ["b"],
    ]
    assert _spawn_multiple_args(sys.executable, [["a.py"], ["-c", "x"]]) == [
        [*entry, "a.py"],
        [*entry, "-c", "x"],
    ]
    # a length mismatch is left for Spawn_multiple to report
    assert _spawn_multiple_args([sys.executable], [["a.py"], ["b.py"]]) == [["a.py"], ["b.py"]]


# -- mpi4py's top-level names on mpipy ----------------------------------------------------


def test_profile_finds_and_loads_a_library(tmp_path):
    with pytest.raises(ValueError, match="not found"):
        mpipy.profile("no-such-profiler-library")
    with pytest.raises(ValueError):
        mpipy.profile("no-such-profiler-library", path=[str(tmp_path)])
    not_a_library = tmp_path / "libfake.so"
    not_a_library.write_text("not an ELF file\n")
    for path in (str(tmp_path), tmp_path, [tmp_path], os.fsencode(str(tmp_path))):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(UserWarning, match="libfake.so"):
                mpipy.profile("fake", path=path)
    # a real shared library, by file name and by library name
    libm = None
    for directory in ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib"):
        if os.path.isfile(os.path.join(directory, "libm.so.6")):
            libm = directory
            break
    if libm is None:
        pytest.skip("no libm.so.6 in the usual places")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mpipy.profile("libm.so.6", path=libm)
        mpipy.profile("libm.so.6", path=f"/nonexistent{os.pathsep}{libm}")


def test_top_level_names_of_mpi4py():
    assert isinstance(mpipy.__author__, str) and isinstance(mpipy.__credits__, str)
    include = mpipy.get_include()
    assert os.path.isdir(include)
    assert os.path.isfile(os.path.join(include, "mpi4py", "mpi4py.h"))
    assert isinstance(mpipy.get_config(), dict)
    assert isinstance(mpipy.rc, mpipy.Rc)
    with pytest.raises(TypeError):
        mpipy.rc(no_such_option=1)


# -- mpi4py.futures, when mpipy has it ---------------------------------------------------

FUTURES = """\
import sys
from mpi4py.futures import MPIPoolExecutor


def task(x):
    import mpi4py
    from mpi4py import MPI

    return x * x, mpi4py.__name__, MPI.__name__


if __name__ == "__main__":
    import mpi4py.futures
    import mpipy

    with MPIPoolExecutor(max_workers=2) as executor:
        results = list(executor.map(task, range(5)))
    print(f"0: {mpi4py.futures is mpipy.futures} {results}")
"""


@one_process
@pytest.mark.timeout(600)
@pytest.mark.parametrize("mode", ["spawned", "python -m mpi4py.futures"])
def test_mpi4py_futures_program(script, mode):
    if importlib.util.find_spec("mpipy.futures") is None:
        pytest.skip("mpipy has no futures package in this build")
    path = script(FUTURES)
    if mode == "spawned":
        status, out, err = run(1, "-m", "mpipy", "--as-mpi4py", path)
    else:
        status, out, err = run(3, "-m", "mpipy", "--as-mpi4py", "-m", "mpi4py.futures", path)
    assert status == 0, err
    results = [(x * x, "mpipy", "mpipy.MPI") for x in range(5)]
    assert lines_by_rank(out) == {0: [f"True {results}"]}, out

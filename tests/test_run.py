"""``python -m mpipy``: a job whose program fails on one rank always ends.

Each test starts MPI jobs of its own (``mpiexec -n 2`` or ``-n 4 python -m mpipy ...``,
with the launcher and flags ``tools/test.sh`` uses) and checks how they end: the exit
status, the traceback, and that every rank is gone (the job's pipes close only when the
last process has exited). They run at world size 1 only, from the harness's single
process: at larger sizes the harness's own ranks would share the two cores with the
child job, and MPICH's waiting ranks spin.

Exit statuses follow ``python -m mpi4py`` (measured with mpi4py 4.1.2 on both MPIs):
an uncaught exception gives 1, ``SystemExit(n)`` gives n (1 for a non-integer code,
which is printed), ``KeyboardInterrupt`` gives 130 (128 + SIGINT). A rank killed by a
signal ends the job by the MPI's own means: MPICH's mpiexec exits with the signal's
number, Open MPI's with 128 + the number.

The time from the failure to the end of the job is printed (``pytest -s`` shows it) and
asserted only as a hang guard.
"""

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from helpers import singleton_env

from mpipy import MPI

VENDOR = MPI.get_vendor()[0]
HANG_GUARD = 60.0  # seconds: a job that is still running then counts as hung

pytestmark = [
    pytest.mark.skipif(
        MPI.COMM_WORLD.Get_size() != 1,
        reason="starts its own mpiexec jobs: runs at world size 1 only",
    ),
    pytest.mark.timeout(300),
]


def launcher_env():
    env = singleton_env()
    if VENDOR == "Open MPI":
        if os.geteuid() == 0:
            env["OMPI_ALLOW_RUN_AS_ROOT"] = env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        env.setdefault("OMPI_MCA_pml", "ob1")  # the fastest start-up on one node
    return env


def mpiexec(nprocs, *args, stdin=None, cwd=None, timeout=HANG_GUARD + 60):
    """Run ``mpiexec -n nprocs python -m mpipy args...`` (without mpiexec, as a singleton,
    if nprocs is None); return (status, stdout, stderr, time.time() at the end)."""
    env = launcher_env()
    if "ASAN_OPTIONS" in env:  # under tools/sanitize.sh: a deliberate SIGSEGV is no report
        env["ASAN_OPTIONS"] += ":handle_segv=0"
    cmd = [sys.executable, "-m", "mpipy", *args]
    if nprocs is not None:
        launcher = os.environ.get("MPIEXEC") or shutil.which("mpiexec", path=env["PATH"])
        flags = ["--oversubscribe"] if VENDOR == "Open MPI" else []
        cmd = [launcher, *flags, "-n", str(nprocs), *cmd]
    # A session of its own, so that a hung job can be killed whole.
    proc = subprocess.Popen(
        cmd,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(stdin or "", timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"the job did not end within {timeout} s:\n{out}\n{err}")
    return proc.returncode, out, err, time.time()


@pytest.fixture
def script(tmp_path):
    """script(source) -> path of a file holding the dedented source."""

    def write(source, name="prog.py"):
        path = tmp_path / name
        path.write_text(textwrap.dedent(source))
        return str(path)

    return write


# Ranks loop over collectives; one rank leaves the loop in the middle by `action`
# (after printing when), so the others wait for a collective it will never join.
COLLECTIVES = """\
import os, signal, sys, time
from mpipy import MPI

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
victim = int(sys.argv[1])
for i in range(200):
    total = comm.allreduce(i)
    comm.Bcast(bytearray(8), root=0)
    if i == 20 and rank == victim:
        os.write(1, f"FAILING AT {{time.time()!r}}\\n".encode())
        {action}
    comm.Barrier()
os.write(1, f"rank {{rank}} finished\\n".encode())
"""


def failed_at(out):
    stamps = [float(line.split()[-1]) for line in out.splitlines() if line.startswith("FAILING AT")]
    assert len(stamps) == 1, out
    return stamps[0]


def test_exception_in_collectives_ends_job(script):
    path = script(COLLECTIVES.format(action='raise RuntimeError("deliberate failure")'))
    status, out, err, end = mpiexec(4, path, "2")
    seconds = end - failed_at(out)
    print(f"\n{VENDOR}: an exception on rank 2 of 4 ended the job in {seconds:.3f} s")
    assert status == 1
    assert "finished" not in out
    # The traceback starts at the program: mpipy's and runpy's frames are left out.
    assert f'Traceback (most recent call last):\n  File "{path}", line 12' in err
    assert "RuntimeError: deliberate failure" in err
    assert "runpy" not in err and "mpipy/run.py" not in err
    assert seconds < HANG_GUARD


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGSEGV], ids=["SIGKILL", "SIGSEGV"])
def test_rank_killed_by_signal_ends_job(script, signum):
    path = script(COLLECTIVES.format(action=f"os.kill(os.getpid(), {int(signum)})"))
    status, out, err, end = mpiexec(4, path, "1")
    seconds = end - failed_at(out)
    name = signal.Signals(signum).name
    print(f"\n{VENDOR}: {name} on rank 1 of 4 ended the job in {seconds:.3f} s, exit {status}")
    assert "finished" not in out
    # MPICH's mpiexec exits with the signal's number, Open MPI's with 128 + it.
    assert status == (128 + signum if VENDOR == "Open MPI" else signum)
    assert seconds < HANG_GUARD


# Rank 1 leaves by `action`; rank 0 waits in a Barrier that rank 1 never enters.
ONE_RANK_LEAVES = """\
import os, sys
from mpipy import MPI

comm = MPI.COMM_WORLD
comm.Barrier()
if comm.Get_rank() == 1:
    {action}
comm.Barrier()
os.write(1, b"finished\\n")
"""


@pytest.mark.parametrize(
    "action, expected, shown",
    [
        ("sys.exit(3)", 3, None),
        ("raise SystemExit(255)", 255, None),
        ("sys.exit('no input files')", 1, "no input files"),
        ("sys.exit(True)", 1, None),
        ("raise KeyboardInterrupt", 128 + signal.SIGINT, "KeyboardInterrupt"),
        ("raise ValueError('bad value')", 1, "ValueError: bad value"),
    ],
    ids=["exit-3", "exit-255", "exit-message", "exit-True", "KeyboardInterrupt", "ValueError"],
)
def test_exit_status_of_failing_rank(script, action, expected, shown):
    status, out, err, _ = mpiexec(2, script(ONE_RANK_LEAVES.format(action=action)))
    assert status == expected, err
    assert "finished" not in out
    if shown is not None:
        assert shown in err
    if "SystemExit" in action or "sys.exit" in action:
        assert "Traceback" not in err  # as Python: SystemExit prints no traceback


@pytest.mark.parametrize("action", ["sys.exit(0)", "sys.exit()", "pass"])
def test_clean_exit_on_every_rank(script, action):
    source = """\
    import os, sys
    from mpipy import MPI

    MPI.COMM_WORLD.Barrier()
    os.write(1, f"rank {{MPI.COMM_WORLD.Get_rank()}} done\\n".encode())
    {action}
    """
    status, out, err, _ = mpiexec(2, script(source.format(action=action)))
    assert status == 0, err
    assert sorted(out.splitlines()) == ["rank 0 done", "rank 1 done"]


# The program forms: what each shows as sys.argv and where its traceback points. The
# last rank fails; the others wait for it in a Barrier.
FORM_PROGRAM = """\
import os, sys
from mpipy import MPI
comm = MPI.COMM_WORLD
os.write(1, f"argv {comm.Get_rank()} {sys.argv}\\n".encode())
comm.Barrier()
if comm.Get_rank() == comm.Get_size() - 1:
    raise LookupError("fails in " + sys.argv[0])
comm.Barrier()
"""


@pytest.mark.parametrize("form", ["path", "-c", "-m", "-"])
def test_program_forms(tmp_path, form):
    path = tmp_path / "jobend_form_prog.py"
    path.write_text(FORM_PROGRAM)
    nprocs, stdin = 2, None
    if form == "path":
        args, argv0, where = [str(path)], str(path), f'File "{path}", line 7'
    elif form == "-c":
        args, argv0, where = ["-c", FORM_PROGRAM], "-c", 'File "<string>", line 7'
    elif form == "-m":  # found on sys.path, whose head is the current directory
        args, argv0, where = ["-m", path.stem], str(path), f'File "{path}", line 7'
    else:
        # A singleton: Open MPI 5.0's mpiexec never passes on the end of its standard
        # input (even `echo hi | mpiexec -n 1 cat` waits forever), and MPICH's gives it
        # to rank 0 only.
        args, argv0, where = ["-"], "-", 'File "<stdin>", line 7'
        nprocs, stdin = None, FORM_PROGRAM
    status, out, err, _ = mpiexec(nprocs, *args, "x", "--y", stdin=stdin, cwd=tmp_path)
    assert status == 1, err
    assert f"argv 0 {[argv0, 'x', '--y']!r}" in out
    assert where in err and f"LookupError: fails in {argv0}" in err


# Without a job to end (MPI never started) the program exits as under python itself;
# a bad command line exits with 1, as mpi4py's.
@pytest.mark.parametrize(
    "args, expected, shown",
    [
        (["-c", "raise ValueError('no MPI here')"], 1, "ValueError: no MPI here"),
        (["-c", "import sys; sys.exit(4)"], 4, None),
        (["-c", "import sys; sys.exit('bye')"], 1, "bye"),
        (["--no-such-option", "prog.py"], 1, "unknown option"),
        ([], 1, "no program given"),
        (["-c"], 1, "argument expected"),
    ],
    ids=["exception", "exit-4", "exit-message", "bad-option", "no-program", "no-command"],
)
def test_without_mpi(args, expected, shown):
    status, out, err, _ = mpiexec(None, *args)
    assert status == expected, err
    if shown is not None:
        assert shown in err


# Information options: what the process loads, as the extension reports it.
def test_mpi_abi_version_and_vendor_options():
    status, out, err, _ = mpiexec(None, "--mpi-abi-version")
    assert status == 0, err
    major, minor = MPI.Get_abi_version()
    assert out == (f"MPI ABI {major}.{minor}\n" if major >= 0 else "none\n")
    status, library, err, _ = mpiexec(None, "--mpi-library")
    assert status == 0, err
    if MPI._mpi_abi is not None:
        # A build against the MPI standard ABI loads a library implementing it.
        assert os.path.basename(library).startswith("libmpi_abi.")
        assert (major, minor) >= MPI._mpi_abi >= (1, 0)
    status, out, err, _ = mpiexec(None, "--mpi-vendor")
    assert status == 0, err
    name, version = MPI.get_vendor()
    assert out == f"{name} {'.'.join(map(str, version))}\n"
    assert name in ("MPICH", "Open MPI") and version > (0, 0, 0)
    assert name in MPI.Get_library_version()
    status, out, err, _ = mpiexec(None, "--help")
    assert status == 0 and "--mpi-abi-version" in out and "--mpi-vendor" in out

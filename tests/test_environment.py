"""Environment: initialization and finalization, thread levels, version and vendor
queries, timers, Pcontrol, predefined attributes of COMM_WORLD, module constants,
mpipy.rc.

What needs a fresh interpreter (rc.initialize = False, calls before Init or after
Finalize, thread levels, finalization at exit, Abort, a fatal error handler) runs in a
child Python started as an MPI singleton, from world rank 0 only. Correct at any world
size.
"""

import json
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from helpers import singleton_env

import mpipy
from mpipy import MPI

WORLD_RANK = MPI.COMM_WORLD.Get_rank()
VENDOR = MPI.get_vendor()[0]

# -- Child interpreters ----------------------------------------------------------------


def run_child(code, timeout=90, env=None):
    """Run code in a fresh singleton Python (with `env` added to its environment); return
    (returncode, stdout, stderr)."""
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**singleton_env(), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return proc.returncode, proc.stdout, proc.stderr


def child_result(code, env=None):
    """Run code that prints 'RESULT <json>' lines; return the last one, decoded."""
    rc, out, err = run_child(code, env=env)
    results = [line[7:] for line in out.splitlines() if line.startswith("RESULT ")]
    assert rc == 0 and results, f"child failed (exit {rc}):\n{out}\n{err}"
    return json.loads(results[-1])


# Makes the child report, after Python has exited, whether MPI was finalized: two
# C-level exit handlers (they run after Py_AtExit's) call MPI_Finalized and print its
# answer.
REPORT_FINALIZED_AT_EXIT = """
import ctypes
def report_finalized_at_exit():
    libmpi = next(line.split()[-1] for line in open("/proc/self/maps")
                  if "/libmpi.so" in line or "/libmpi_abi.so" in line)
    mpi = ctypes.CDLL(libmpi)
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    buf = libc.malloc(16)
    ctypes.memmove(buf, b"FINALIZ=" + bytes(8), 16)
    vp = ctypes.c_void_p
    libc.__cxa_atexit.argtypes = [vp, vp, vp]
    # handlers run last-registered first: MPI_Finalized fills the flag, then puts shows
    # it
    libc.__cxa_atexit(ctypes.cast(libc.puts, vp), buf, None)
    libc.__cxa_atexit(ctypes.cast(mpi.MPI_Finalized, vp), buf + 8, None)
"""

needs_linux = pytest.mark.skipif(
    not sys.platform.startswith("linux"),
    reason="reads /proc and uses glibc's exit handlers",
)


def rank0_only():
    """Skip unless on world rank 0, from inside the test: every rank still runs the
    harness's per-test Barrier, so the ranks stay in step."""
    if WORLD_RANK != 0:
        pytest.skip("child processes are started from world rank 0 only")


def finalized_at_exit(stdout):
    """What the REPORT_FINALIZED_AT_EXIT handlers printed: True, False, or None."""
    if "FINALIZ=\x01" in stdout:
        return True
    if "FINALIZ=\n" in stdout or stdout.endswith("FINALIZ="):
        return False
    return None


# -- Initialization state, threads -----------------------------------------------------


def test_initialized_not_finalized():
    assert MPI.Is_initialized() is True
    assert MPI.Is_finalized() is False


def test_thread_levels():
    levels = [
        MPI.THREAD_SINGLE,
        MPI.THREAD_FUNNELED,
        MPI.THREAD_SERIALIZED,
        MPI.THREAD_MULTIPLE,
    ]
    assert levels == sorted(levels) and len(set(levels)) == 4
    assert MPI.Query_thread() in levels


def test_is_thread_main():
    assert MPI.Is_thread_main() is True
    if MPI.Query_thread() < MPI.THREAD_MULTIPLE:
        pytest.skip("calling MPI from another thread needs THREAD_MULTIPLE")
    seen = []
    thread = threading.Thread(target=lambda: seen.append(MPI.Is_thread_main()))
    thread.start()
    thread.join()
    assert seen == [False]


def test_init_again_raises():
    with pytest.raises(MPI.Exception):
        MPI.Init()
    with pytest.raises(MPI.Exception):
        MPI.Init_thread(MPI.THREAD_SINGLE)
    assert MPI.Is_initialized() and not MPI.Is_finalized()
    MPI.COMM_WORLD.Barrier()  # still usable


@pytest.mark.parametrize("bad", [-1, 4, 99])
def test_init_thread_bad_level(bad):
    if bad in (
        MPI.THREAD_SINGLE,
        MPI.THREAD_FUNNELED,
        MPI.THREAD_SERIALIZED,
        MPI.THREAD_MULTIPLE,
    ):
        pytest.skip("a valid thread level in this MPI")
    with pytest.raises(ValueError):
        MPI.Init_thread(bad)


def test_init_thread_bad_type():
    with pytest.raises(TypeError):
        MPI.Init_thread("multiple")


# -- Versions, vendor, processor name --------------------------------------------------


def test_get_version():
    version = MPI.Get_version()
    assert isinstance(version, tuple) and len(version) == 2
    assert all(type(v) is int for v in version)
    assert version >= (3, 1)
    assert version == (MPI.VERSION, MPI.SUBVERSION)


def test_get_library_version():
    text = MPI.Get_library_version()
    assert isinstance(text, str) and text.strip()
    assert len(text) <= MPI.MAX_LIBRARY_VERSION_STRING


def test_get_vendor():
    name, version = MPI.get_vendor()
    assert name in ("MPICH", "Open MPI")
    assert isinstance(version, tuple) and len(version) == 3
    assert all(type(v) is int and v >= 0 for v in version)
    text = MPI.Get_library_version()
    assert name in text
    assert ".".join(map(str, version)) in text


def test_get_abi_version():
    version = MPI.Get_abi_version()
    assert isinstance(version, tuple) and len(version) == 2
    assert all(type(v) is int for v in version)
    assert version == (-1, -1) or version >= (1, 0)


def has_datatype(datatype):
    """Whether this MPI can use a (Fortran) datatype: a handle with a size."""
    if datatype == MPI.DATATYPE_NULL:
        return False
    try:
        size = datatype.Get_size()
    except MPI.Exception:
        return False
    return size not in (0, MPI.UNDEFINED)


def test_get_abi_info():
    # MPI-5; made from this build's types where the MPI predates it.
    info = MPI.Get_abi_info()
    try:
        assert type(info) is MPI.Info and info
        for name in ("aint", "count", "offset"):
            assert info.Get(f"mpi_{name}_size") == str(getattr(MPI, name.upper()).Get_size())
    finally:
        info.Free()


def test_get_abi_fortran_info():
    info = MPI.Get_abi_fortran_info()
    if info == MPI.INFO_NULL:  # no Fortran datatypes in this MPI
        assert not has_datatype(MPI.INTEGER)
        return
    try:
        for name in ("logical", "integer", "real", "double_precision"):
            datatype = getattr(MPI, name.upper())
            expected = datatype.Get_size() if has_datatype(datatype) else 0
            assert info.Get(f"mpi_{name}_size") == str(expected), name
        kinds = {"logical": (1, 2, 4, 8, 16), "integer": (1, 2, 4, 8, 16)}
        kinds.update({"real": (2, 4, 8, 16), "complex": (4, 8, 16, 32)})
        names = [f"{k}{n}" for k, sizes in kinds.items() for n in sizes] + ["double_complex"]
        for name in names:
            supported = info.Get(f"mpi_{name}_supported")
            assert supported in ("true", "false"), name
            if VENDOR == "MPICH" and MPI.Get_version() < (5, 0):
                continue  # MPICH 4 has handles for Fortran types it cannot use
            assert (supported == "true") == has_datatype(getattr(MPI, name.upper())), name
    finally:
        info.Free()


def test_abi_queries_take_no_arguments():
    for function in (MPI.Get_abi_version, MPI.Get_abi_info, MPI.Get_abi_fortran_info):
        with pytest.raises(TypeError):
            function(None)


def test_get_processor_name():
    name = MPI.Get_processor_name()
    assert isinstance(name, str) and name
    assert len(name) <= MPI.MAX_PROCESSOR_NAME


# -- Timers, Pcontrol ------------------------------------------------------------------


def test_wtime_wtick():
    tick = MPI.Wtick()
    assert type(tick) is float and 0 < tick < 1
    t0 = MPI.Wtime()
    time.sleep(0.02)
    t1 = MPI.Wtime()
    assert type(t0) is float
    assert 0.01 < t1 - t0 < 10


def test_pcontrol():
    for level in (0, 1, 2, 1):
        assert MPI.Pcontrol(level) is None


@pytest.mark.parametrize("level", [-1, 3, 2**40])
def test_pcontrol_bad_level(level):
    with pytest.raises((ValueError, OverflowError, TypeError, MPI.Exception)):
        MPI.Pcontrol(level)


def test_pcontrol_bad_type():
    with pytest.raises(TypeError):
        MPI.Pcontrol("1")


# -- Predefined attributes of COMM_WORLD -----------------------------------------------


def test_attr_tag_ub():
    tag_ub = MPI.COMM_WORLD.Get_attr(MPI.TAG_UB)
    assert type(tag_ub) is int and tag_ub >= 32767


def test_attr_host_io():
    size = MPI.COMM_WORLD.Get_size()
    host = MPI.COMM_WORLD.Get_attr(MPI.HOST)
    assert host == MPI.PROC_NULL or 0 <= host < size
    io = MPI.COMM_WORLD.Get_attr(MPI.IO)
    assert io in (MPI.ANY_SOURCE, MPI.PROC_NULL) or 0 <= io < size


def test_attr_wtime_is_global():
    value = MPI.COMM_WORLD.Get_attr(MPI.WTIME_IS_GLOBAL)
    assert value in (None, 0, 1)


def test_attr_universe_size_appnum():
    universe = MPI.COMM_WORLD.Get_attr(MPI.UNIVERSE_SIZE)
    assert universe is None or (type(universe) is int and universe >= 1)
    appnum = MPI.COMM_WORLD.Get_attr(MPI.APPNUM)
    assert appnum is None or (type(appnum) is int and appnum >= 0)


def test_attr_lastusedcode():
    last = MPI.COMM_WORLD.Get_attr(MPI.LASTUSEDCODE)
    assert type(last) is int and last >= MPI.ERR_LASTCODE


def test_attr_bad_keyval():
    with pytest.raises(MPI.Exception):
        MPI.COMM_WORLD.Get_attr(MPI.KEYVAL_INVALID)
    with pytest.raises(TypeError):
        MPI.COMM_WORLD.Get_attr("TAG_UB")


# -- Module constants ------------------------------------------------------------------


def test_special_ranks_distinct():
    values = [MPI.ANY_SOURCE, MPI.PROC_NULL, MPI.ROOT, MPI.UNDEFINED]
    assert len(set(values)) == len(values)
    assert all(v < 0 for v in values)
    assert MPI.ANY_TAG < 0


def test_comparison_results_distinct():
    values = [MPI.IDENT, MPI.CONGRUENT, MPI.SIMILAR, MPI.UNEQUAL]
    assert len(set(values)) == 4


def test_topology_kinds_distinct():
    values = [MPI.CART, MPI.GRAPH, MPI.DIST_GRAPH, MPI.UNDEFINED]
    assert len(set(values)) == 4


def test_attribute_keyvals_distinct():
    keys = [
        MPI.TAG_UB,
        MPI.HOST,
        MPI.IO,
        MPI.WTIME_IS_GLOBAL,
        MPI.UNIVERSE_SIZE,
        MPI.APPNUM,
        MPI.LASTUSEDCODE,
    ]
    assert len(set(keys)) == len(keys)
    assert MPI.KEYVAL_INVALID not in keys


def test_max_string_lengths():
    for name in (
        "MAX_PROCESSOR_NAME",
        "MAX_ERROR_STRING",
        "MAX_PORT_NAME",
        "MAX_INFO_KEY",
        "MAX_INFO_VAL",
        "MAX_OBJECT_NAME",
        "MAX_DATAREP_STRING",
        "MAX_LIBRARY_VERSION_STRING",
    ):
        value = getattr(MPI, name)
        assert type(value) is int and value > 0, name


def test_integer_constants_are_ints():
    for name in dir(MPI):
        if name.isupper() and not name.startswith("_"):
            value = getattr(MPI, name)
            assert (
                type(value) is int
                or hasattr(type(value), "handle")
                or name in ("BOTTOM", "IN_PLACE", "BUFFER_AUTOMATIC")
            ), name


# -- mpipy.rc --------------------------------------------------------------------------


def test_get_hw_resource_info():
    # MPI-4.1; an MPI without it raises NotImplementedError.
    try:
        info = MPI.Get_hw_resource_info()
    except NotImplementedError as exc:
        assert "MPI_Get_hw_resource_info" in str(exc)
        pytest.skip("this MPI has no MPI_Get_hw_resource_info")
    try:
        assert type(info) is MPI.Info and info != MPI.INFO_NULL
        assert all(isinstance(v, str) for v in info.values())
    finally:
        info.Free()


def test_rc_defaults():
    rc = mpipy.rc
    assert rc.initialize is True
    assert rc.threads is True
    assert rc.thread_level in ("single", "funneled", "serialized", "multiple")
    assert rc.finalize in (None, True, False)


def test_rc_is_importable_as_a_module():
    import importlib

    import mpipy.rc

    assert mpipy.rc is importlib.import_module("mpipy.rc") is mpipy.rc
    assert type(mpipy.rc).__name__ == "Rc" and repr(mpipy.rc) == "<mpipy.rc>"
    # The import system may record module attributes on it; options stay checked.
    spec = mpipy.rc.__dict__.get("__spec__")
    mpipy.rc.__spec__ = spec
    with pytest.raises(TypeError):
        mpipy.rc.no_such_option = 1


def test_rc_rejects_unknown_names():
    with pytest.raises(TypeError):
        mpipy.rc.no_such_option = 1
    with pytest.raises(TypeError):
        mpipy.rc(no_such_option=1)


def test_rc_call_sets_attributes():
    old = mpipy.rc.irecv_bufsz
    try:
        mpipy.rc(irecv_bufsz=1234)
        assert mpipy.rc.irecv_bufsz == 1234
    finally:
        mpipy.rc.irecv_bufsz = old


# -- Fresh interpreters: life cycle ----------------------------------------------------

# Calls that need MPI; in a child they must raise a RuntimeError (MPI.Exception is one)
# before Init and after Finalize, never crash.
NEEDS_MPI = """
NEEDS_MPI = {
    "COMM_WORLD.Get_size": lambda: MPI.COMM_WORLD.Get_size(),
    "COMM_WORLD.Barrier": lambda: MPI.COMM_WORLD.Barrier(),
    "COMM_SELF.Dup": lambda: MPI.COMM_SELF.Dup(),
    "COMM_WORLD.Get_group": lambda: MPI.COMM_WORLD.Get_group(),
    "COMM_WORLD.Get_errhandler": lambda: MPI.COMM_WORLD.Get_errhandler(),
    "COMM_WORLD.Get_attr": lambda: MPI.COMM_WORLD.Get_attr(MPI.TAG_UB),
    "COMM_WORLD.Abort": lambda: MPI.COMM_WORLD.Abort(3),
    "COMM_WORLD.py2f": lambda: MPI.COMM_WORLD.py2f(),
    "Comm.f2py": lambda: MPI.Comm.f2py(0),
    "INT.Get_size": lambda: MPI.INT.Get_size(),
    "INT.typestr": lambda: MPI.INT.typestr,
    "Datatype.fromcode.Get_extent": lambda: MPI.Datatype.fromcode("d").Get_extent(),
    "GROUP_EMPTY.Get_size": lambda: MPI.GROUP_EMPTY.Get_size(),
    "ERRORS_RETURN.Free": lambda: MPI.Errhandler(MPI.ERRORS_RETURN).Free(),
    "Wtime": lambda: MPI.Wtime(),
    "Wtick": lambda: MPI.Wtick(),
    "Query_thread": lambda: MPI.Query_thread(),
    "Is_thread_main": lambda: MPI.Is_thread_main(),
    "Get_processor_name": lambda: MPI.Get_processor_name(),
    "Pcontrol": lambda: MPI.Pcontrol(1),
    "Get_error_class": lambda: MPI.Get_error_class(MPI.ERR_COMM),
    "Get_error_string": lambda: MPI.Get_error_string(MPI.ERR_COMM),
    "Add_error_class": lambda: MPI.Add_error_class(),
}

def outcomes():
    result = {}
    for name, call in NEEDS_MPI.items():
        try:
            call()
            result[name] = "returned"
        except RuntimeError as exc:
            result[name] = "RuntimeError: " + str(exc)
        except BaseException as exc:
            result[name] = type(exc).__name__ + ": " + str(exc)
    return result
"""


def assert_all_refused(outcomes, word):
    bad = {k: v for k, v in outcomes.items() if not (v.startswith("RuntimeError") and word in v)}
    assert not bad, f"calls that did not raise a RuntimeError mentioning {word!r}: {bad}"


@needs_linux
def test_child_manual_init_and_finalize():
    rank0_only()
    code = (
        REPORT_FINALIZED_AT_EXIT
        + NEEDS_MPI
        + """
import json
import mpipy
mpipy.rc.initialize = False
from mpipy import MPI
report_finalized_at_exit()
r = {}
r["before"] = [MPI.Is_initialized(), MPI.Is_finalized()]
r["version_before"] = list(MPI.Get_version())
r["library_before"] = bool(MPI.Get_library_version())
r["vendor_before"] = MPI.get_vendor()[0]
r["handles_before"] = [bool(MPI.COMM_WORLD), MPI.COMM_WORLD == MPI.COMM_WORLD,
                       bool(MPI.COMM_NULL), isinstance(MPI.COMM_WORLD.handle, int)]
r["str_before"] = str(MPI.Exception(MPI.ERR_COMM))
r["calls_before"] = outcomes()
MPI.Init()
r["after_init"] = [MPI.Is_initialized(), MPI.Is_finalized()]
r["size"] = MPI.COMM_WORLD.Get_size()
r["level"] = MPI.Query_thread()
r["errhandler"] = [MPI.COMM_WORLD.Get_errhandler() == MPI.ERRORS_RETURN,
                   MPI.COMM_SELF.Get_errhandler() == MPI.ERRORS_RETURN]
try:
    MPI.Init()
    r["init_twice"] = "returned"
except MPI.Exception as exc:
    r["init_twice"] = "MPI.Exception"
dup = MPI.COMM_WORLD.Dup()
MPI.Finalize()
r["after_finalize"] = [MPI.Is_initialized(), MPI.Is_finalized()]
r["calls_after"] = outcomes()
r["dup_after"] = [bool(dup), dup.free()]
r["str_after"] = str(MPI.Exception(MPI.ERR_COMM))
for name, call in [("Init", MPI.Init), ("Init_thread", MPI.Init_thread),
                   ("Finalize", MPI.Finalize)]:
    try:
        call()
        r[name + "_after"] = "returned"
    except RuntimeError as exc:
        r[name + "_after"] = "RuntimeError: " + str(exc)
r["version_after"] = list(MPI.Get_version())
print("RESULT " + json.dumps(r), flush=True)
"""
    )
    rc, out, err = run_child(code)
    results = [line[7:] for line in out.splitlines() if line.startswith("RESULT ")]
    assert rc == 0 and results, f"child failed (exit {rc}):\n{out}\n{err}"
    r = json.loads(results[-1])
    assert r["before"] == [False, False]
    assert r["version_before"] == list(MPI.Get_version())
    assert r["library_before"] and r["vendor_before"] == VENDOR
    assert r["handles_before"] == [True, True, False, True]
    assert r["str_before"]  # a fallback text: MPI cannot be asked yet
    assert_all_refused(r["calls_before"], "not initialized")
    assert r["after_init"] == [True, False]
    assert r["size"] == 1
    assert r["level"] == MPI.THREAD_SINGLE
    assert r["errhandler"] == [True, True]
    assert r["init_twice"] == "MPI.Exception"
    assert r["after_finalize"] == [True, True]
    assert_all_refused(r["calls_after"], "finalized")
    assert r["dup_after"] == [True, None]  # free() after Finalize does nothing
    assert r["str_after"]
    for name in ("Init", "Init_thread", "Finalize"):
        assert r[name + "_after"].startswith("RuntimeError"), (name, r[name + "_after"])
    assert r["version_after"] == list(MPI.Get_version())
    assert finalized_at_exit(out) is True


@needs_linux
def test_child_init_thread_finalized_at_exit():
    rank0_only()
    r_code = (
        REPORT_FINALIZED_AT_EXIT
        + """
import json
import mpipy
mpipy.rc.initialize = False
from mpipy import MPI
report_finalized_at_exit()
provided = MPI.Init_thread(MPI.THREAD_SERIALIZED)
result = [provided, MPI.Query_thread(), MPI.Is_thread_main()]
print("RESULT " + json.dumps(result), flush=True)
"""
    )
    rc, out, err = run_child(r_code)
    assert rc == 0, err
    provided, queried, main = json.loads(out.split("RESULT ")[1].splitlines()[0])
    assert provided == queried == MPI.THREAD_SERIALIZED
    assert main is True
    # mpipy initialized MPI (by Init_thread), so mpipy finalized it at exit.
    assert finalized_at_exit(out) is True


@needs_linux
@pytest.mark.parametrize("finalize", [None, True, False])
def test_child_finalize_at_exit(finalize):
    rank0_only()
    code = (
        REPORT_FINALIZED_AT_EXIT
        + f"""
import atexit, json
import mpipy
mpipy.rc.finalize = {finalize!r}
from mpipy import MPI
report_finalized_at_exit()
def still_usable():
    # Python's exit functions run before mpipy finalizes MPI.
    MPI.COMM_WORLD.Barrier()
    print("RESULT " + json.dumps([MPI.Is_finalized(), MPI.Query_thread()]), flush=True)
atexit.register(still_usable)
"""
    )
    rc, out, err = run_child(code)
    assert rc == 0, err
    finalized_in_atexit, level = json.loads(out.split("RESULT ")[1].splitlines()[0])
    assert finalized_in_atexit is False
    assert level == MPI.THREAD_MULTIPLE  # rc.thread_level defaults to 'multiple'
    assert finalized_at_exit(out) is (finalize is not False)


@pytest.mark.parametrize(
    "setting,level",
    [
        ("thread_level='single'", "THREAD_SINGLE"),
        ("thread_level='serialized'", "THREAD_SERIALIZED"),
        ("threads=False", "THREAD_SINGLE"),
    ],
)
def test_child_rc_thread_level(setting, level):
    rank0_only()
    code = f"""
import json
import mpipy
mpipy.rc({setting})
from mpipy import MPI
print("RESULT " + json.dumps(MPI.Query_thread()), flush=True)
"""
    assert child_result(code) == getattr(MPI, level)


def test_child_rc_bad_thread_level():
    rank0_only()
    code = """
import mpipy
mpipy.rc.thread_level = 'bogus'
try:
    from mpipy import MPI
except (ValueError, ImportError) as exc:  # nanobind reports module init errors as such
    print("RESULT " + repr(str(exc)))
"""
    rc, out, err = run_child(code)
    assert rc == 0, err
    assert "thread_level" in out and "bogus" in out


def test_child_rc_from_environment():
    # MPIPY_RC_<OPTION> wins over the value set in the program; MPI4PY_RC_<OPTION> is read
    # when there is no MPIPY_ one; integers stay integers, yes/no words become booleans.
    rank0_only()
    code = """
import json, mpipy
mpipy.rc.threads = True
mpipy.rc.wait_policy = 'mpi'
from mpipy import MPI
rc = mpipy.rc
print("RESULT " + json.dumps([rc.threads, rc.thread_level, rc.irecv_bufsz, rc.wait_policy,
                             MPI.Query_thread() == MPI.THREAD_SINGLE]))
"""
    env = {
        "MPIPY_RC_THREADS": "no",
        "MPI4PY_RC_THREAD_LEVEL": "Funneled",
        "MPIPY_RC_IRECV_BUFSZ": "1234",
        "MPIPY_RC_WAIT_POLICY": "backoff",
        "MPI4PY_RC_WAIT_POLICY": "mpi",  # the MPIPY_ one wins
    }
    assert child_result(code, env) == [False, "funneled", 1234, "backoff", True]


def test_child_backoff_policy_moves_messages():
    # Under the backoff policy every kind of blocking wait polls: buffers, objects (with
    # an out-of-band part), a pending object receive progressed by a blocking send to
    # self, a collective, a matched receive.
    rank0_only()
    code = """
import json
from mpipy import MPI
from mpipy.util import pkl5
comm = MPI.COMM_SELF
out = {}
buf = bytearray(3)
req = comm.Isend(b"abc", 0, 1)
comm.Recv(buf, 0, 1)
req.Wait()
out["Recv"] = buf.decode()
req = comm.irecv(source=0, tag=2)
comm.send({"x": 1}, 0, 2)
out["irecv"] = req.wait()
pcomm = pkl5.Intracomm(comm)
big = bytearray(range(256)) * 1024
sreq = pcomm.isend(big, 0, 3)
out["oob"] = pcomm.recv(None, 0, 3) == big
sreq.wait()
out["bcast"] = comm.bcast("b", root=0)
arr = bytearray(1)
comm.Allreduce(b"\x05", arr, op=MPI.SUM)
out["Allreduce"] = arr[0]
comm.Barrier()
sreq = comm.Isend(b"m", 0, 4)
msg = comm.Mprobe(0, 4)
got = bytearray(1)
msg.Recv(got)
sreq.Wait()
out["Mrecv"] = got.decode()
print("RESULT " + json.dumps(out))
"""
    got = child_result(code, {"MPIPY_RC_WAIT_POLICY": "backoff"})
    assert got == {
        "Recv": "abc",
        "irecv": {"x": 1},
        "oob": True,
        "bcast": "b",
        "Allreduce": 5,
        "Mrecv": "m",
    }


def test_child_rc_bad_wait_policy():
    rank0_only()
    rc, out, err = run_child(
        """
try:
    from mpipy import MPI
except (ValueError, ImportError) as exc:
    print("RESULT " + repr(str(exc)))
""",
        env={"MPIPY_RC_WAIT_POLICY": "spin"},
    )
    assert rc == 0, err
    assert "wait_policy" in out and "spin" in out


@pytest.mark.parametrize("comm,code", [("COMM_WORLD", 7), ("COMM_SELF", 3)])
def test_child_abort_ends_process(comm, code):
    rank0_only()
    rc, out, err = run_child(f"""
from mpipy import MPI
MPI.{comm}.Abort({code})
print("NOT ABORTED", flush=True)
""")
    assert "NOT ABORTED" not in out
    assert rc == code


@pytest.mark.parametrize("handler", ["ERRORS_ARE_FATAL", "ERRORS_ABORT", "ERRORS_RETURN"])
def test_child_error_handler_takes_effect(handler):
    rank0_only()
    rc, out, err = run_child(f"""
from mpipy import MPI
comm = MPI.COMM_SELF.Dup()
comm.Set_errhandler(MPI.{handler})
try:
    comm.Get_attr(12345)   # an invalid keyval: MPI itself reports the error on comm
except MPI.Exception:
    print("RETURNED", flush=True)
""")
    if handler == "ERRORS_RETURN":
        assert rc == 0 and "RETURNED" in out, err
    else:
        assert rc != 0 and "RETURNED" not in out


def test_get_include_holds_the_c_header():
    # The folder exists in every install (editable, wheel, dev build) and holds the header a C
    # extension includes as <mpipy/mpipy.h>, whose version matches the package's.
    import os
    import re

    include = mpipy.get_include()
    header = os.path.join(include, "mpipy", "mpipy.h")
    assert os.path.isdir(include)
    with open(header) as f:
        text = f.read()
    version = tuple(
        int(re.search(rf"#define MPIPY_VERSION_{part} (\d+)", text).group(1))
        for part in ("MAJOR", "MINOR", "PATCH")
    )
    assert version == tuple(int(x) for x in mpipy.__version__.split(".")[:3])

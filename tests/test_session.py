"""Sessions (MPI-4): Session.Init and Finalize, process sets ('mpi://WORLD', 'mpi://SELF'),
their info and groups, communicators made from those groups (Intracomm.Create_from_group)
carrying real messages, error handlers, a buffer for buffered sends per session (MPI-4.1),
and bad input at every entry point.

The tests in this process run beside the world model (the harness initialized it), at any
world size. The ones that need the world model not initialized (a session before MPI.Init,
after MPI.Finalize, or instead of it; sessions left open at exit) run in child processes of
their own: ``mpiexec -n 1`` and ``-n 3`` jobs, started at world size 1 only, as
test_run.py does (at larger sizes the harness's ranks would share the cores with them).
"""

import json
import pickle
import textwrap

import pytest
from helpers import ring, run_python

from mpipy import MPI

WORLD = MPI.COMM_WORLD
VENDOR = MPI.get_vendor()[0]
WORLD_PSET, SELF_PSET = "mpi://WORLD", "mpi://SELF"


@pytest.fixture
def session():
    s = MPI.Session.Init()
    yield s
    if s:
        s.Finalize()


@pytest.fixture
def session_comm(session):
    """(session, communicator of every process of the job made from the session's
    'mpi://WORLD' group)."""
    group = session.Create_group(WORLD_PSET)
    comm = MPI.Intracomm.Create_from_group(group, "mpipy.test_session")
    group.Free()
    yield session, comm
    comm.Free()


def error_class(exc_info):
    return exc_info.value.Get_error_class()


# -- Init and Finalize -----------------------------------------------------------------


def test_init_finalize():
    s = MPI.Session.Init()
    assert type(s) is MPI.Session
    assert s and s != MPI.SESSION_NULL
    copy = MPI.Session(s)
    assert copy == s and copy is not s
    assert s.tohandle() == s.handle == copy.handle
    s.Finalize()
    assert not s and s == MPI.SESSION_NULL
    # The copy still holds the finalized handle: refused, not handed to MPI.
    with pytest.raises(MPI.Exception) as exc:
        copy.Finalize()
    assert error_class(exc) == MPI.ERR_SESSION
    with pytest.raises(MPI.Exception) as exc:
        copy.Get_num_psets()
    assert error_class(exc) == MPI.ERR_SESSION


def test_several_sessions_at_once():
    sessions = [MPI.Session.Init() for _ in range(3)]
    assert len({s.handle for s in sessions}) == 3
    for s in sessions:
        assert s.Get_num_psets() >= 2
    for s in reversed(sessions):
        s.Finalize()
    # The world model is untouched.
    assert WORLD.allreduce(1) == WORLD.Get_size()


def test_init_arguments():
    info = MPI.Info.Create({"mpipy_test_key": "1"})
    try:
        for kwargs in (
            {},
            {"info": MPI.INFO_NULL},
            {"info": None},
            {"info": info},
            {"errhandler": MPI.ERRORS_RETURN},
            {"info": info, "errhandler": MPI.ERRORS_ARE_FATAL},
        ):
            s = MPI.Session.Init(**kwargs)
            try:
                expected = kwargs.get("errhandler") or MPI.ERRORS_RETURN  # rc.errors
                eh = s.Get_errhandler()
                assert eh == expected, kwargs
                eh.Free()
            finally:
                s.Finalize()
    finally:
        info.Free()


def test_subclass_init():
    class MySession(MPI.Session):
        pass

    s = MySession.Init()
    try:
        assert type(s) is MySession and s
        again = MySession.fromhandle(s.tohandle())
        assert type(again) is MySession and again == s
    finally:
        s.Finalize()
    assert not s


def test_pickle(session):
    with pytest.raises(ValueError):
        pickle.dumps(session)
    assert pickle.loads(pickle.dumps(MPI.SESSION_NULL)) is MPI.SESSION_NULL


def test_free_finalizes():
    s = MPI.Session.Init()
    s.free()
    assert not s
    s.free()  # null: nothing to do
    MPI.SESSION_NULL.free()
    assert MPI.SESSION_NULL == MPI.Session()


# -- Process sets, their info and groups -----------------------------------------------


def test_psets(session):
    n = session.Get_num_psets()
    assert type(n) is int and n >= 2
    assert session.Get_num_psets(MPI.INFO_NULL) == session.Get_num_psets(None) == n
    names = [session.Get_nth_pset(i) for i in range(n)]
    assert all(type(name) is str and name for name in names)
    assert WORLD_PSET in names and SELF_PSET in names
    assert len(set(names)) == n
    assert [session.Get_nth_pset(i, MPI.INFO_NULL) for i in range(n)] == names
    assert [session.Get_nth_pset(n=i, info=None) for i in range(n)] == names


def test_pset_info(session):
    for name, size in ((WORLD_PSET, WORLD.Get_size()), (SELF_PSET, 1)):
        info = session.Get_pset_info(name)
        try:
            assert type(info) is MPI.Info and info
            assert info.Get("mpi_size") == str(size)
        finally:
            info.Free()


def test_session_info(session):
    info = session.Get_info()
    try:
        assert type(info) is MPI.Info
        assert all(isinstance(v, str) for v in info.values())
    finally:
        info.Free()


def test_groups_of_psets(session):
    world = session.Create_group(WORLD_PSET)
    self_ = session.Create_group(SELF_PSET)
    again = MPI.Group.Create_from_session_pset(session, WORLD_PSET)
    try:
        assert type(world) is MPI.Group
        assert (world.Get_size(), world.Get_rank()) == (WORLD.Get_size(), WORLD.Get_rank())
        assert (self_.Get_size(), self_.Get_rank()) == (1, 0)
        assert MPI.Group.Compare(world, again) == MPI.IDENT
        assert world.tohandle() == world.handle
    finally:
        for g in (world, self_, again):
            g.Free()


def test_other_psets_usable(session):
    # Every process set the MPI lists gives a group or a clean MPI.Exception (Open MPI
    # refuses some of its own).
    for i in range(session.Get_num_psets()):
        name = session.Get_nth_pset(i)
        try:
            group = session.Create_group(name)
        except MPI.Exception:
            continue
        assert 0 <= group.Get_rank() < group.Get_size() <= WORLD.Get_size()
        group.Free()


# -- Communicators from a session's groups ---------------------------------------------


def test_comm_from_group(session_comm):
    _session, comm = session_comm
    assert type(comm) is MPI.Intracomm
    assert (comm.Get_size(), comm.Get_rank()) == (WORLD.Get_size(), WORLD.Get_rank())
    assert comm.Get_errhandler() == MPI.ERRORS_RETURN
    with pytest.raises(MPI.Exception) as exc:
        comm.Send(bytearray(1), dest=comm.Get_size())
    assert error_class(exc) == MPI.ERR_RANK


def test_buffer_messages_on_session_comm(session_comm):
    np = pytest.importorskip("numpy")
    _session, comm = session_comm
    rank, size = comm.Get_rank(), comm.Get_size()
    right, left = ring(comm)
    out = np.arange(1000, dtype="d") + rank
    got = np.empty_like(out)
    status = MPI.Status()
    comm.Sendrecv(out, right, 7, got, left, 7, status)
    assert np.array_equal(got, np.arange(1000, dtype="d") + left)
    assert (status.Get_source(), status.Get_tag()) == (left, 7)
    total = np.zeros(3, "i")
    comm.Allreduce(np.full(3, rank + 1, "i"), total)
    assert list(total) == [size * (size + 1) // 2] * 3
    req = comm.Irecv(got, left, 8)
    comm.Send(out, right, 8)
    req.Wait()
    assert got[0] == left


def test_object_messages_on_session_comm(session_comm):
    _session, comm = session_comm
    rank, size = comm.Get_rank(), comm.Get_size()
    right, left = ring(comm)
    assert comm.sendrecv({"from": rank}, right, source=left) == {"from": left}
    # Large enough to travel out of band where mpipy sends parts separately.
    big = bytes([rank % 256]) * (3 << 20)
    got = comm.sendrecv(big, right, sendtag=5, source=left, recvtag=5)
    assert got == bytes([left % 256]) * (3 << 20)
    assert comm.bcast(big if rank == 0 else None, root=0) == bytes([0]) * (3 << 20)
    assert comm.allgather(rank) == list(range(size))
    assert comm.allreduce(rank) == size * (size - 1) // 2


def test_comm_from_self_pset(session):
    group = session.Create_group(SELF_PSET)
    comm = MPI.Intracomm.Create_from_group(group, stringtag="mpipy.self", info=MPI.INFO_NULL)
    group.Free()
    try:
        assert comm.Get_size() == 1
        assert comm.sendrecv("me", 0, source=0) == "me"
    finally:
        comm.Free()


def test_create_from_group_errhandler(session):
    group = session.Create_group(SELF_PSET)
    comm = MPI.Intracomm.Create_from_group(group, errhandler=MPI.ERRORS_ARE_FATAL)
    group.Free()
    try:
        assert comm.Get_errhandler() == MPI.ERRORS_ARE_FATAL
        comm.Set_errhandler(MPI.ERRORS_RETURN)
    finally:
        comm.Free()


def test_create_from_group_bad_input(session):
    group = session.Create_group(SELF_PSET)
    try:
        with pytest.raises(TypeError):
            MPI.Intracomm.Create_from_group(None)
        with pytest.raises(TypeError):
            MPI.Intracomm.Create_from_group(group, stringtag=5)
        with pytest.raises(TypeError):
            MPI.Intracomm.Create_from_group(group, info="x")
        with pytest.raises(TypeError):
            MPI.Intracomm.Create_from_group(group, errhandler=1)
        with pytest.raises(MPI.Exception):
            MPI.Intracomm.Create_from_group(MPI.GROUP_NULL)
    finally:
        group.Free()


# -- Error handlers --------------------------------------------------------------------


def test_errhandler_default_and_set(session):
    eh = session.Get_errhandler()
    assert eh == MPI.ERRORS_RETURN
    eh.Free()
    session.Set_errhandler(MPI.ERRORS_ARE_FATAL)
    eh = session.Get_errhandler()
    assert eh == MPI.ERRORS_ARE_FATAL
    eh.Free()
    session.Set_errhandler(MPI.ERRORS_RETURN)
    try:  # MPI's return code here differs between MPIs: success, or the code itself
        session.Call_errhandler(MPI.ERR_OTHER)
    except MPI.Exception as exc:
        assert exc.Get_error_class() == MPI.ERR_OTHER


def test_python_errhandler(session):
    calls = []

    def handler(s, code):
        calls.append((type(s), s == session, code))

    eh = MPI.Session.Create_errhandler(handler)
    try:
        assert type(eh) is MPI.Errhandler and eh
        session.Set_errhandler(eh)
        session.Call_errhandler(MPI.ERR_ARG)
        assert calls == [(MPI.Session, True, MPI.ERR_ARG)]
        got = session.Get_errhandler()
        assert got == eh
        got.Free()
    finally:
        session.Set_errhandler(MPI.ERRORS_RETURN)
        eh.Free()


def test_python_errhandler_raising(session):
    class Boom(Exception):
        pass

    def handler(_s, code):
        raise Boom(code)

    eh = MPI.Session.Create_errhandler(handler)
    try:
        session.Set_errhandler(eh)
        with pytest.raises(Boom) as exc:
            session.Call_errhandler(MPI.ERR_OTHER)
        assert exc.value.args == (MPI.ERR_OTHER,)
    finally:
        session.Set_errhandler(MPI.ERRORS_RETURN)
        eh.Free()


def test_errhandler_bad_input(session):
    with pytest.raises(TypeError):
        MPI.Session.Create_errhandler(None)
    with pytest.raises(TypeError):
        session.Set_errhandler(None)
    with pytest.raises(TypeError):
        session.Set_errhandler(MPI.INFO_NULL)
    with pytest.raises(MPI.Exception):
        session.Set_errhandler(MPI.ERRHANDLER_NULL)
    with pytest.raises(TypeError):
        session.Call_errhandler("x")


# -- Buffered sends with a buffer per session (MPI-4.1) ---------------------------------

HAVE_SESSION_BUFFER = True
try:
    _s = MPI.Session.Init()
    try:
        _s.Flush_buffer()
    except NotImplementedError:
        HAVE_SESSION_BUFFER = False
    finally:
        _s.Finalize()
except NotImplementedError:
    HAVE_SESSION_BUFFER = False


@pytest.mark.skipif(HAVE_SESSION_BUFFER, reason="this MPI has session buffers")
def test_session_buffer_not_implemented(session):
    for method, args, function in (
        ("Attach_buffer", (bytearray(100),), "MPI_Session_attach_buffer"),
        ("Detach_buffer", (), "MPI_Session_detach_buffer"),
        ("Flush_buffer", (), "MPI_Session_flush_buffer"),
        ("Iflush_buffer", (), "MPI_Session_iflush_buffer"),
    ):
        with pytest.raises(NotImplementedError, match=function):
            getattr(session, method)(*args)


@pytest.mark.skipif(not HAVE_SESSION_BUFFER, reason="this MPI has no session buffers")
def test_session_buffer_bsend(session_comm):
    session, comm = session_comm
    right, left = ring(comm)
    buf = bytearray(4 * (1000 + MPI.BSEND_OVERHEAD))
    session.Attach_buffer(buf)
    try:
        # A buffered send on a communicator made from the session uses its buffer. Flushing
        # waits for the messages to be delivered: their receives are posted first.
        for flush in (session.Flush_buffer, lambda: session.Iflush_buffer().Wait()):
            got = [bytearray(1000) for _ in range(3)]
            recvs = [comm.Irecv(got[tag], left, tag) for tag in range(3)]
            for tag in range(3):
                comm.Bsend(bytes([tag]) * 1000, right, tag)
            flush()
            MPI.Request.Waitall(recvs)
            assert got == [bytes([tag]) * 1000 for tag in range(3)]
    finally:
        assert session.Detach_buffer() is buf
    comm.Barrier()


@pytest.mark.skipif(not HAVE_SESSION_BUFFER, reason="this MPI has no session buffers")
def test_session_buffer_automatic(session):
    for arg in (MPI.BUFFER_AUTOMATIC, None):
        session.Attach_buffer(arg)
        assert session.Detach_buffer() is MPI.BUFFER_AUTOMATIC
    mem = MPI.Alloc_mem(1 << 12)
    try:
        session.Attach_buffer(mem)
        back = session.Detach_buffer()
        assert back.address == mem.address and back.nbytes == mem.nbytes
    finally:
        MPI.Free_mem(mem)


@pytest.mark.skipif(not HAVE_SESSION_BUFFER, reason="this MPI has no session buffers")
def test_session_buffer_bad_input(session):
    with pytest.raises((TypeError, BufferError)):
        session.Attach_buffer(object())
    with pytest.raises((TypeError, BufferError)):
        session.Attach_buffer(b"read-only bytes")


# -- Bad input and null or finalized sessions ------------------------------------------


def test_bad_input(session):
    with pytest.raises(TypeError):
        MPI.Session.Init(info=1)
    with pytest.raises(TypeError):
        MPI.Session.Init(errhandler="x")
    with pytest.raises(TypeError):
        MPI.Session.Init(info=MPI.ERRORS_RETURN)
    with pytest.raises(TypeError):
        session.Get_num_psets(info=5)
    with pytest.raises(TypeError):
        session.Get_nth_pset("0")
    with pytest.raises(TypeError):
        session.Get_nth_pset(0, info="x")
    with pytest.raises((OverflowError, TypeError)):
        session.Get_nth_pset(2**40)
    for method in ("Get_pset_info", "Create_group"):
        for bad in (None, 1, b"mpi://SELF"):
            with pytest.raises(TypeError):
                getattr(session, method)(bad)
    with pytest.raises(TypeError):
        MPI.Group.Create_from_session_pset(None, SELF_PSET)


def test_mpi_errors(session):
    n = session.Get_num_psets()
    with pytest.raises(MPI.Exception) as exc:
        session.Get_nth_pset(-1)
    assert error_class(exc) == MPI.ERR_ARG
    with pytest.raises(MPI.Exception) as exc:
        session.Get_nth_pset(n)
    assert error_class(exc) == MPI.ERR_ARG
    with pytest.raises(MPI.Exception) as exc:
        session.Get_pset_info("mpipy://no-such-pset")
    assert error_class(exc) == MPI.ERR_ARG
    with pytest.raises(MPI.Exception) as exc:
        session.Create_group("mpipy://no-such-pset")
    assert error_class(exc) in (MPI.ERR_ARG, MPI.ERR_UNSUPPORTED_OPERATION)
    # The session is still usable after its errors.
    assert session.Get_num_psets() == n


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.Get_num_psets(),
        lambda s: s.Get_nth_pset(0),
        lambda s: s.Get_info(),
        lambda s: s.Get_pset_info(SELF_PSET),
        lambda s: s.Create_group(SELF_PSET),
        lambda s: s.Get_errhandler(),
        lambda s: s.Set_errhandler(MPI.ERRORS_RETURN),
        lambda s: s.Call_errhandler(MPI.ERR_OTHER),
        lambda s: s.Finalize(),
        lambda s: s.Flush_buffer(),
        lambda s: MPI.Group.Create_from_session_pset(s, SELF_PSET),
    ],
)
def test_null_and_finalized_sessions_refused(call):
    finalized = MPI.Session.Init()
    finalized_copy = MPI.Session(finalized)
    finalized.Finalize()
    for s in (MPI.SESSION_NULL, MPI.Session(), finalized, finalized_copy):
        with pytest.raises(MPI.Exception) as exc:
            call(s)
        assert error_class(exc) == MPI.ERR_SESSION


# -- Without the world model, or around it: child processes ----------------------------

single_size = pytest.mark.skipif(
    WORLD.Get_size() != 1,
    reason="starts processes of its own: runs at world size 1 only",
)
OPEN_MPI = VENDOR == "Open MPI"


def run_child(code, nprocs=None, timeout=120):
    """Run code in a fresh Python: a singleton, or an mpiexec job of nprocs processes.
    Returns (returncode, stdout, stderr)."""
    return run_python(["-c", textwrap.dedent(code)], nprocs, timeout)


def child_results(code, nprocs=1):
    """The 'RESULT <json>' lines the child job printed (one per process), decoded; the job
    must end cleanly. Started by mpiexec even for one process: an Open MPI singleton cannot
    make communicators from a session's groups (MPI_ERR_UNSUPPORTED_OPERATION)."""
    rc, out, err = run_child(code, nprocs)
    # The launcher may glue the processes' lines together: each result is read where its
    # marker starts.
    results, decoder, at = [], json.JSONDecoder(), out.find("RESULT ")
    while at >= 0:
        result, end = decoder.raw_decode(out, at + len("RESULT "))
        results.append(result)
        at = out.find("RESULT ", end)
    assert rc == 0 and len(results) == nprocs, f"child failed (exit {rc}):\n{out}\n{err}"
    return results


PRELUDE = """
import json
import mpipy
mpipy.rc.initialize = False
from mpipy import MPI
r = {}
def outcome(call):
    try:
        value = call()
        return "ok" if value is None else value
    except Exception as exc:
        return type(exc).__name__ + ": " + str(exc)
def session_comm(session, tag="mpipy.child"):
    group = session.Create_group("mpi://WORLD")
    comm = MPI.Intracomm.Create_from_group(group, tag)
    group.Free()
    return comm
"""


@single_size
def test_child_sessions_without_world_model():
    code = (
        PRELUDE
        + """
r["initialized"] = [MPI.Is_initialized(), MPI.Is_finalized()]
r["wtime_before"] = outcome(MPI.Wtime)
# Allowed before any initialization: info objects and session error handlers.
info = MPI.Info.Create({"mpipy_key": "value"})
calls = []
eh = MPI.Session.Create_errhandler(lambda s, code: calls.append(code))
s = MPI.Session.Init(info=info)
r["psets"] = [s.Get_nth_pset(i) for i in range(s.Get_num_psets())]
r["initialized_with_session"] = [MPI.Is_initialized(), MPI.Is_finalized()]
comm = session_comm(s)
r["comm"] = [comm.Get_size(), comm.Get_rank(), comm.sendrecv("hi", 0, source=0)]
big = bytearray(range(256)) * 8192
r["big"] = comm.sendrecv(big, 0, source=0) == big
r["wtime"] = type(MPI.Wtime()).__name__
r["world"] = outcome(MPI.COMM_WORLD.Get_size)
r["self"] = outcome(lambda: MPI.Intracomm(MPI.COMM_SELF).Barrier())
s.Set_errhandler(eh)
s.Call_errhandler(MPI.ERR_OTHER)
r["errhandler_calls"] = calls == [MPI.ERR_OTHER]
s.Set_errhandler(MPI.ERRORS_RETURN)
eh.Free()
r["abi"] = [MPI.Get_abi_version(), MPI.Get_abi_info().Get("mpi_aint_size")]
comm.Free()
s.Finalize()
info.Free()
r["wtime_after"] = outcome(MPI.Wtime)
r["initialized_after"] = [MPI.Is_initialized(), MPI.Is_finalized()]
print("RESULT " + json.dumps(r), flush=True)
"""
    )
    (r,) = child_results(code)
    assert r["initialized"] == [False, False]
    assert r["wtime_before"].startswith("RuntimeError") and "not initialized" in r["wtime_before"]
    assert "mpi://WORLD" in r["psets"] and "mpi://SELF" in r["psets"]
    assert r["initialized_with_session"] == [False, False]  # sessions are not the world model
    assert r["comm"] == [1, 0, "hi"]
    assert r["big"] is True
    assert r["wtime"] == "float"
    for key in ("world", "self"):
        assert r[key].startswith("RuntimeError") and "world model" in r[key], r[key]
    assert r["errhandler_calls"] is True
    assert r["abi"][1] == str(MPI.AINT.Get_size())
    assert r["wtime_after"].startswith("RuntimeError")
    assert r["initialized_after"] == [False, False]


@single_size
def test_child_job_without_world_model():
    # Three processes talk on a communicator made from a session; none calls MPI_Init.
    code = (
        PRELUDE
        + """
s = MPI.Session.Init()
comm = session_comm(s)
rank, size = comm.Get_rank(), comm.Get_size()
right, left = (rank + 1) % size, (rank - 1) % size
data = bytearray([rank]) * 100000
got = bytearray(100000)
comm.Sendrecv(data, right, 1, got, left, 1)
r["ring"] = got == bytearray([left]) * 100000
r["objects"] = comm.allgather({"rank": rank})
r["big"] = len(comm.bcast(b"x" * (4 << 20) if rank == 0 else None))
r["initialized"] = MPI.Is_initialized()
comm.Free()
s.Finalize()
print("RESULT " + json.dumps(r), flush=True)
"""
    )
    results = child_results(code, nprocs=3)
    for r in results:
        assert r["ring"] is True
        assert r["objects"] == [{"rank": i} for i in range(3)]
        assert r["big"] == 4 << 20
        assert r["initialized"] is False


@single_size
@pytest.mark.parametrize("order", ["session-init-finalize", "init-session-finalize"])
def test_child_session_and_world_model(order):
    # A session opened before MPI.Init or after it; the world model finalized before the
    # session: both stay usable in between, and the session after MPI.Finalize.
    code = (
        PRELUDE
        + f"""
order = {order!r}
if order == "session-init-finalize":
    s = MPI.Session.Init()
    MPI.Init()
else:
    MPI.Init()
    s = MPI.Session.Init()
comm = session_comm(s)
r["both"] = [MPI.COMM_WORLD.allreduce(1), comm.allreduce(2)]
big = bytes(range(256)) * 16384
r["big"] = comm.sendrecv(big, 0, source=0) == big
MPI.Finalize()
r["session_after_world"] = [comm.allreduce(3), s.Get_num_psets() >= 2]
r["world_after"] = outcome(MPI.COMM_WORLD.Get_size)
comm.Free()
s.Finalize()
print("RESULT " + json.dumps(r), flush=True)
"""
    )
    (r,) = child_results(code)
    assert r["both"] == [1, 2]
    assert r["big"] is True
    assert r["session_after_world"] == [3, True]
    assert r["world_after"].startswith("RuntimeError")


@single_size
def test_child_world_model_after_session_ended():
    # MPICH starts again after everything ended; Open MPI 5 would hang, so it is refused.
    code = (
        PRELUDE
        + """
s = MPI.Session.Init()
s.Finalize()
r["init"] = outcome(MPI.Init)
r["size"] = outcome(MPI.COMM_WORLD.Get_size)
r["session"] = outcome(lambda: MPI.Session.Init().Finalize())
print("RESULT " + json.dumps(r), flush=True)
"""
    )
    (r,) = child_results(code)
    if OPEN_MPI:
        assert r["init"].startswith("RuntimeError") and "Open MPI" in r["init"]
        assert r["session"].startswith("RuntimeError") and "Open MPI" in r["session"]
    else:
        assert r["init"] == "ok" and r["size"] == 1 and r["session"] == "ok"


@single_size
def test_child_session_after_world_finalized():
    code = (
        PRELUDE
        + """
MPI.Init()
MPI.Finalize()
def use():
    s = MPI.Session.Init()
    comm = session_comm(s)
    value = comm.allreduce(5)
    comm.Free()
    s.Finalize()
    return value
r["session"] = outcome(use)
print("RESULT " + json.dumps(r), flush=True)
"""
    )
    (r,) = child_results(code)
    if OPEN_MPI:
        assert r["session"].startswith("RuntimeError") and "Open MPI" in r["session"]
    else:
        assert r["session"] == 5


@single_size
@pytest.mark.parametrize("world", [False, True])
def test_child_sessions_left_open_at_exit(world):
    # Sessions (and a communicator made from one) left open: finalized at exit, the job
    # ends cleanly (Open MPI's launcher fails a job whose processes skip finalization).
    code = (
        PRELUDE
        + f"""
if {world!r}:
    MPI.Init()
sessions = [MPI.Session.Init(), MPI.Session.Init()]
comm = session_comm(sessions[0])
r["sum"] = comm.allreduce(1)
print("RESULT " + json.dumps(r), flush=True)
"""
    )
    results = child_results(code, nprocs=2)
    assert [r["sum"] for r in results] == [2, 2]

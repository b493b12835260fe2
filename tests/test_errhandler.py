"""Error handlers with Python functions on communicators: Create_errhandler, the handler
called by Call_errhandler and by real errors of MPI calls (with the communicator and the
error code), and exceptions raised inside handlers reaching the caller."""

import pytest

from mpipy import MPI


class Recorder:
    """An error handler function that records its calls, and may raise."""

    def __init__(self, raises=None):
        self.calls = []
        self.raises = raises

    def __call__(self, comm, errorcode):
        self.calls.append((comm, errorcode))
        if self.raises is not None:
            raise self.raises


@pytest.fixture
def dup(comm):
    d = comm.Dup()
    yield d
    d.Free()


def with_handler(comm, function):
    eh = MPI.Comm.Create_errhandler(function)
    assert type(eh) is MPI.Errhandler and eh
    comm.Set_errhandler(eh)
    return eh


def test_call_errhandler_calls_function(dup):
    rec = Recorder()
    eh = with_handler(dup, rec)
    try:
        assert dup.Get_errhandler() == eh
        assert dup.Call_errhandler(MPI.ERR_OTHER) is None  # the handler returned
        assert len(rec.calls) == 1
        comm, code = rec.calls[0]
        assert isinstance(comm, MPI.Intracomm) and comm == dup
        assert code == MPI.ERR_OTHER
        dup.Call_errhandler(MPI.ERR_ARG)
        assert [c for _, c in rec.calls] == [MPI.ERR_OTHER, MPI.ERR_ARG]
    finally:
        dup.Set_errhandler(MPI.ERRORS_RETURN)
        eh.Free()
    assert eh == MPI.ERRHANDLER_NULL


def test_user_error_code(dup):
    rec = Recorder()
    eh = with_handler(dup, rec)
    try:
        errclass = MPI.Add_error_class()
        code = MPI.Add_error_code(errclass)
        dup.Call_errhandler(code)
        assert rec.calls[0][1] == code
        assert MPI.Get_error_class(rec.calls[0][1]) == errclass
    finally:
        dup.Set_errhandler(MPI.ERRORS_RETURN)
        eh.Free()


def test_real_error_calls_function_then_raises(dup, size):
    rec = Recorder()
    eh = with_handler(dup, rec)
    try:
        # After the handler returns, MPI returns the error (Open MPI) or success (MPICH).
        try:
            dup.Send(bytearray(1), dest=size + 10)  # no such rank
        except MPI.Exception as exc:
            assert exc.Get_error_class() == MPI.ERR_RANK
        assert len(rec.calls) == 1
        comm, code = rec.calls[0]
        assert comm == dup and MPI.Get_error_class(code) == MPI.ERR_RANK
        # a call that succeeds does not call it
        dup.Barrier()
        assert len(rec.calls) == 1
    finally:
        dup.Set_errhandler(MPI.ERRORS_RETURN)
        eh.Free()


def test_exception_in_handler_reaches_caller(dup, size):
    rec = Recorder(raises=ValueError("from the handler"))
    eh = with_handler(dup, rec)
    try:
        with pytest.raises(ValueError, match="from the handler"):
            dup.Call_errhandler(MPI.ERR_OTHER)
        with pytest.raises(ValueError, match="from the handler") as info:
            dup.Send(bytearray(1), dest=size + 10)
        # where MPI returns the error, it is kept as the exception's context
        context = info.value.__context__
        if context is not None:
            assert isinstance(context, MPI.Exception)
            assert context.Get_error_class() == MPI.ERR_RANK
        assert len(rec.calls) == 2
        # nothing is left pending: a later error is an ordinary MPI.Exception
        dup.Set_errhandler(MPI.ERRORS_RETURN)
        with pytest.raises(MPI.Exception):
            dup.Send(bytearray(1), dest=size + 10)
        dup.Barrier()
    finally:
        dup.Set_errhandler(MPI.ERRORS_RETURN)
        eh.Free()


def test_handler_shared_by_communicators(comm):
    rec = Recorder()
    eh = MPI.Comm.Create_errhandler(rec)
    a, b = comm.Dup(), comm.Dup()
    try:
        a.Set_errhandler(eh)
        b.Set_errhandler(eh)
        a.Call_errhandler(MPI.ERR_ARG)
        b.Call_errhandler(MPI.ERR_COUNT)
        assert [(c == a, c == b, code) for c, code in rec.calls] == [
            (True, False, MPI.ERR_ARG),
            (False, True, MPI.ERR_COUNT),
        ]
    finally:
        eh.Free()
        a.Free()
        b.Free()


def test_several_handlers_each_their_function(comm):
    recs = [Recorder() for _ in range(3)]
    comms = [comm.Dup() for _ in recs]
    handlers = [with_handler(c, r) for c, r in zip(comms, recs)]
    try:
        for i, c in enumerate(comms):
            c.Call_errhandler(MPI.ERR_ARG)
            c.Call_errhandler(MPI.ERR_ARG) if i == 2 else None
        assert [len(r.calls) for r in recs] == [1, 1, 2]
    finally:
        for c, eh in zip(comms, handlers):
            eh.Free()
            c.Free()


def test_freed_handler_keeps_working_while_set(dup):
    rec = Recorder()
    eh = with_handler(dup, rec)
    eh.Free()  # MPI keeps it while the communicator uses it
    # creating (and freeing) other handlers meanwhile must not take its place
    for _ in range(4):
        MPI.Comm.Create_errhandler(Recorder()).Free()
    dup.Call_errhandler(MPI.ERR_OTHER)
    assert len(rec.calls) == 1
    dup.Set_errhandler(MPI.ERRORS_RETURN)


def test_many_handlers_created_and_freed(dup):
    # handler slots are given back by Free
    for i in range(200):
        rec = Recorder()
        eh = with_handler(dup, rec)
        dup.Call_errhandler(MPI.ERR_OTHER)
        assert len(rec.calls) == 1, i
        dup.Set_errhandler(MPI.ERRORS_RETURN)
        eh.Free()


def test_dup_inherits_handler(dup):
    rec = Recorder()
    eh = with_handler(dup, rec)
    try:
        child = dup.Dup()
        # mpipy sets ERRORS_RETURN on every communicator it creates
        assert child.Get_errhandler() == MPI.ERRORS_RETURN
        child.Set_errhandler(eh)
        child.Call_errhandler(MPI.ERR_OTHER)
        assert rec.calls[0][0] == child
        child.Free()
    finally:
        dup.Set_errhandler(MPI.ERRORS_RETURN)
        eh.Free()


def test_at_most_32_handlers_at_a_time():
    # As in mpi4py: 32 error handlers with Python functions, then RuntimeError until one is
    # freed; the handlers do not pickle.
    handlers = []
    try:
        for _ in range(32):
            handlers.append(MPI.Comm.Create_errhandler(Recorder()))
        with pytest.raises(RuntimeError):
            MPI.Comm.Create_errhandler(Recorder())
        for eh in handlers:
            assert eh and MPI.Errhandler.fromint(eh.toint()) == eh
            with pytest.raises(ValueError):
                eh.__reduce__()
        handlers.pop().Free()
        handlers.append(MPI.Comm.Create_errhandler(Recorder()))
    finally:
        for eh in handlers:
            eh.Free()


def test_create_errhandler_bad_argument():
    with pytest.raises(TypeError):
        MPI.Comm.Create_errhandler(None)
    with pytest.raises(TypeError):
        MPI.Comm.Create_errhandler(42)


def test_call_errhandler_with_errors_return(dup):
    # ERRORS_RETURN: the call itself succeeds, nothing is raised
    dup.Call_errhandler(MPI.ERR_OTHER)

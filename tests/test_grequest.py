"""Generalized requests: Grequest.Start with Python query, free and cancel functions (their
extra arguments, the statuses query_fn fills, when MPI calls each), Complete and complete(obj)
with the object lowercase wait/test give back, completion from another thread while one
waits, exceptions raised in each callback reaching the caller, copies of the request, and bad
input. Every test is local to its process: correct at any world size."""

import gc
import threading
import time

import pytest

from mpipy import MPI


class Recorder:
    """Callbacks that record their calls (name, arguments) and fill the status with a source,
    tag and element count of their own."""

    def __init__(self, source=3, tag=7, elements=5, cancelled=False):
        self.calls = []
        self.source, self.tag, self.elements, self.cancelled = source, tag, elements, cancelled
        self.query_threads = []

    def query(self, status, *args, **kwargs):
        self.calls.append(("query", args, kwargs))
        self.query_threads.append(threading.get_ident())
        status.Set_source(self.source)
        status.Set_tag(self.tag)
        status.Set_elements(MPI.INT, self.elements)
        status.Set_cancelled(self.cancelled)

    def free(self, *args, **kwargs):
        self.calls.append(("free", args, kwargs))

    def cancel(self, completed, *args, **kwargs):
        self.calls.append(("cancel", (completed, *args), kwargs))

    def names(self):
        return [name for name, _, _ in self.calls]


def test_start_without_callbacks():
    greq = MPI.Grequest.Start()
    assert type(greq) is MPI.Grequest and greq
    assert greq.Test() is False  # not complete yet
    greq.Complete()
    status = MPI.Status()
    status.source, status.tag = 11, 12
    assert greq.Wait(status) is True
    assert (status.source, status.tag, status.error) == (MPI.ANY_SOURCE, MPI.ANY_TAG, MPI.SUCCESS)
    assert status.Get_count(MPI.BYTE) == 0 and not status.Is_cancelled()
    assert not greq and greq == MPI.REQUEST_NULL
    assert greq.Wait() is True  # a null request now


def test_callbacks_order_and_extra_arguments():
    rec = Recorder()
    greq = MPI.Grequest.Start(rec.query, rec.free, rec.cancel, args=[1, "two"], kwargs={"k": 3})
    assert greq.Test() is False
    assert rec.calls == []  # nothing runs before completion
    greq.Cancel()
    assert rec.calls == [("cancel", (False, 1, "two"), {"k": 3})]
    greq.Complete()
    greq.Cancel()
    assert rec.calls[-1] == ("cancel", (True, 1, "two"), {"k": 3})
    status = MPI.Status()
    assert greq.Wait(status) is True
    assert rec.names() == ["cancel", "cancel", "query", "free"]
    assert rec.calls[2] == ("query", (1, "two"), {"k": 3})
    assert rec.calls[3] == ("free", (1, "two"), {"k": 3})
    assert (status.source, status.tag, status.error) == (3, 7, MPI.SUCCESS)
    assert status.Get_elements(MPI.INT) == 5
    del rec.calls[:]
    greq.Wait()  # null now: no callback runs again
    assert rec.calls == []


@pytest.mark.parametrize("with_cancel_fn", [True, False])
def test_query_cancelled_flag(with_cancel_fn):
    """query_fn may report the request cancelled; without a cancel function it cannot be."""
    rec = Recorder(cancelled=True)
    greq = MPI.Grequest.Start(rec.query, rec.free, rec.cancel if with_cancel_fn else None)
    greq.Cancel()
    greq.Complete()
    status = MPI.Status()
    greq.Wait(status)
    assert status.Is_cancelled() is with_cancel_fn
    assert rec.names()[-2:] == ["query", "free"]


def test_query_status_through_test_and_get_status():
    rec = Recorder(source=0, tag=42, elements=9)
    greq = MPI.Grequest.Start(rec.query, rec.free, None)
    status = MPI.Status()
    assert greq.Get_status(status) is False
    greq.Complete()
    assert greq.Get_status(status) is True  # completed, not freed
    assert greq and "free" not in rec.names()
    status = MPI.Status()
    assert greq.Test(status) is True
    assert (status.source, status.tag, status.Get_count(MPI.INT)) == (0, 42, 9)
    assert rec.names()[-1] == "free" and rec.names().count("free") == 1
    assert not greq


def test_complete_object_wait_and_test():
    payload = {"answer": [42]}
    greq = MPI.Grequest.Start()
    greq.complete(payload)
    status = MPI.Status()
    assert greq.wait(status) is payload
    assert (status.source, status.tag) == (MPI.ANY_SOURCE, MPI.ANY_TAG)
    assert greq.wait() is None  # waited for: nothing left
    assert greq.test() == (True, None)

    greq = MPI.Grequest.Start()
    assert greq.test() == (False, None)
    greq.complete("done")
    assert greq.test() == (True, "done")
    assert greq.test() == (True, None)

    greq = MPI.Grequest.Start()
    greq.complete()  # obj defaults to None
    assert greq.wait() is None and not greq


def test_lowercase_all_and_any_give_the_objects():
    reqs = [MPI.Grequest.Start() for _ in range(4)]
    for i, greq in enumerate(reqs):
        greq.complete(i * 10)
    assert MPI.Request.waitall(reqs) == [0, 10, 20, 30]
    reqs = [MPI.Grequest.Start() for _ in range(3)]
    assert MPI.Request.testall(reqs) == (False, None)
    reqs[1].complete("b")
    assert MPI.Request.waitany(reqs) == (1, "b")
    reqs[0].complete("a")
    reqs[2].complete("c")
    assert MPI.Request.testall(reqs)[0] is True


def test_mixed_with_point_to_point_requests():
    sendbuf, recvbuf = bytearray(b"abc"), bytearray(3)
    rreq = MPI.COMM_SELF.Irecv(recvbuf, 0, 5)
    greq = MPI.Grequest.Start()
    sreq = MPI.COMM_SELF.Isend(sendbuf, 0, 5)
    greq.complete("g")
    assert MPI.Request.waitall([rreq, greq, sreq]) == [None, "g", None]
    assert recvbuf == sendbuf


def test_complete_twice_or_after_wait_raises():
    greq = MPI.Grequest.Start()
    greq.Complete()
    with pytest.raises(MPI.Exception) as excinfo:
        greq.Complete()
    assert excinfo.value.Get_error_class() == MPI.ERR_REQUEST
    greq.Wait()
    for complete in (greq.Complete, lambda: greq.complete(1)):
        with pytest.raises(MPI.Exception) as excinfo:
            complete()
        assert excinfo.value.Get_error_class() == MPI.ERR_REQUEST
    with pytest.raises(MPI.Exception) as excinfo:
        MPI.Grequest().Complete()  # a null one
    assert excinfo.value.Get_error_class() == MPI.ERR_REQUEST


def test_copies_share_the_request():
    rec = Recorder()
    greq = MPI.Grequest.Start(rec.query, rec.free, rec.cancel)
    dupe = MPI.Grequest(greq)
    assert type(dupe) is MPI.Grequest and dupe == greq
    plain = MPI.Request(greq)
    assert type(plain) is MPI.Request and plain == greq
    bare = MPI.Grequest.fromhandle(greq.handle)
    assert type(bare) is MPI.Grequest and bare == greq
    with pytest.raises(TypeError):
        MPI.Prequest(greq)
    bare.complete("via copy")  # completes the one request
    with pytest.raises(MPI.Exception) as excinfo:
        greq.Complete()
    assert excinfo.value.Get_error_class() == MPI.ERR_REQUEST
    assert greq.wait() == "via copy"
    assert rec.names().count("free") == 1
    for other in (dupe, plain, bare):
        assert other.wait() is None  # a copy sees the request gone


@pytest.mark.parametrize("how", ["Wait", "wait", "Waitall", "waitany", "Test"])
def test_complete_from_another_thread(how):
    rec = Recorder()
    greq = MPI.Grequest.Start(rec.query, rec.free, rec.cancel, args=("x",))
    ticks = []

    def completer():
        # Python code running here while the main thread waits inside MPI needs the GIL.
        for _ in range(20):
            ticks.append(time.monotonic())
            time.sleep(0.005)
        greq.complete("from thread")

    thread = threading.Thread(target=completer)
    started = time.monotonic()
    thread.start()
    if how == "Wait":
        status = MPI.Status()
        assert greq.Wait(status) is True
        assert status.source == 3 and status.tag == 7
        result = None
    elif how == "wait":
        result = greq.wait()
    elif how == "Waitall":
        result = MPI.Request.waitall([greq])[0]
    elif how == "waitany":
        index, result = MPI.Request.waitany([greq])
        assert index == 0
    else:
        deadline = time.monotonic() + 60
        while True:
            done, result = greq.test()
            if done:
                break
            assert time.monotonic() < deadline, "never completed"
            time.sleep(0.001)
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert len(ticks) == 20 and ticks[0] >= started
    if how != "Wait":
        assert result == "from thread"
    assert rec.names()[-2:] == ["query", "free"]
    assert rec.query_threads == [threading.get_ident()]  # run by the waiting thread
    assert not greq


def test_many_requests_completed_by_several_threads():
    n, nthreads = 40, 4
    reqs = [MPI.Grequest.Start(args=(i,)) for i in range(n)]

    def completer(t):
        for i in range(t, n, nthreads):
            time.sleep(0.001)
            reqs[i].complete(i * i)

    threads = [threading.Thread(target=completer, args=(t,)) for t in range(nthreads)]
    for thread in threads:
        thread.start()
    results = MPI.Request.waitall(reqs)
    for thread in threads:
        thread.join(timeout=60)
    assert results == [i * i for i in range(n)]


def raise_value_error(*_):
    raise ValueError("from a callback")


def raise_mpi_error(*_):
    raise MPI.Exception(MPI.ERR_BUFFER)


@pytest.mark.parametrize("which", ["query", "free"])
@pytest.mark.parametrize(
    "raiser, error_class, name",
    [
        (raise_value_error, MPI.ERR_OTHER, "ValueError"),
        (raise_mpi_error, MPI.ERR_BUFFER, "Exception"),
    ],
)
@pytest.mark.parametrize("how", ["Wait", "Test", "wait"])
def test_error_in_query_or_free_reaches_the_waiter(which, raiser, error_class, name, how, capsys):
    rec = Recorder()
    fns = {"query": rec.query, "free": rec.free, "cancel": rec.cancel}
    fns[which] = raiser
    greq = MPI.Grequest.Start(fns["query"], fns["free"], fns["cancel"])
    greq.Complete()
    with pytest.raises(MPI.Exception) as excinfo:
        getattr(greq, how)()
    assert excinfo.value.Get_error_class() == error_class
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):\n")
    assert name in err and "raise" in err
    if greq:  # the MPI may keep a request whose query failed
        greq.Free()
    assert not greq


@pytest.mark.parametrize(
    "raiser, error_class", [(raise_value_error, MPI.ERR_OTHER), (raise_mpi_error, MPI.ERR_BUFFER)]
)
def test_error_in_cancel_reaches_the_caller(raiser, error_class, capsys):
    rec = Recorder()
    greq = MPI.Grequest.Start(rec.query, rec.free, raiser)
    with pytest.raises(MPI.Exception) as excinfo:
        greq.Cancel()
    assert excinfo.value.Get_error_class() == error_class
    assert "Traceback" in capsys.readouterr().err
    greq.complete(5)  # the request is still there, and completes as usual
    assert greq.wait() == 5
    assert rec.names() == ["query", "free"]


def test_not_callable_functions_fail_in_wait(capsys):
    greq = MPI.Grequest.Start(1, None, None)  # accepted: called only later
    greq.Complete()
    with pytest.raises(MPI.Exception) as excinfo:
        greq.Wait()
    assert excinfo.value.Get_error_class() == MPI.ERR_OTHER
    assert "not callable" in capsys.readouterr().err
    if greq:
        greq.Free()


def test_bad_arguments():
    with pytest.raises(TypeError):
        MPI.Grequest.Start(None, None, None, args=5)  # not iterable
    with pytest.raises((TypeError, ValueError)):
        MPI.Grequest.Start(None, None, None, kwargs=5)  # not a mapping
    with pytest.raises((TypeError, ValueError)):
        MPI.Grequest.Start(None, None, None, kwargs=[1, 2])
    with pytest.raises(TypeError):
        MPI.Grequest.Start(None, None, None, None, None, None)  # too many
    with pytest.raises(TypeError):
        MPI.Grequest.Complete(MPI.Request())  # not a Grequest
    with pytest.raises(TypeError):
        MPI.Grequest(5)
    # Iterables and mappings of any kind are taken, as tuple() and dict() take them.
    seen = []
    greq = MPI.Grequest.Start(
        None, lambda *a, **k: seen.append((a, k)), None, args=iter([1, 2]), kwargs=[("a", 1)]
    )
    greq.Complete()
    greq.Wait()
    assert seen == [((1, 2), {"a": 1})]


def test_free_pending_and_dropped_requests():
    rec = Recorder()
    greq = MPI.Grequest.Start(rec.query, rec.free, rec.cancel)
    greq.Free()  # MPI frees it once complete; nothing of ours stays pending
    assert not greq
    dropped = MPI.Grequest.Start()
    del dropped
    done = MPI.Grequest.Start()
    done.complete(1)
    del done
    gc.collect()
    # Other requests still complete at once (no pending state left to poll forever).
    sreq = MPI.COMM_SELF.Isend(bytearray(1), 0, 9)
    rbuf = bytearray(1)
    MPI.COMM_SELF.Recv(rbuf, 0, 9)
    sreq.Wait()


def test_start_is_a_classmethod_making_grequests():
    class MyGrequest(MPI.Grequest):
        pass

    greq = MyGrequest.Start()
    assert isinstance(greq, MPI.Grequest)
    greq.complete(3)
    assert greq.wait() == 3

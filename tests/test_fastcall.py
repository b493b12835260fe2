"""The per-message methods' two ways in (csrc/core/fastcall.hpp): positional calls of plain
ints and objects take mpipy's own entry, every other shape (keywords, int-likes, bools, huge
ints, None where the default is not None, a wrong `self`) takes nanobind's dispatcher. Both
must give the same values, statuses and errors."""

import array

import pytest
from helpers import ring

from mpipy import MPI

try:
    import numpy as np
except ImportError:  # pragma: no cover
    np = None

WORLD = MPI.COMM_WORLD


class IntLike:
    """Not an int, but usable as one (__index__): nanobind's conversion pass takes it."""

    def __init__(self, value):
        self.value = value

    def __index__(self):
        return self.value


def exchange_with_tags(send, tags):
    """Each tag spelling in `tags` moves one message around the ring by send(buf, dest, tag);
    returns the values received and their statuses' (source, tag)."""
    left, right = ring(WORLD)
    got = []
    for i, spell in enumerate(tags):
        sbuf = array.array("i", [WORLD.rank * 100 + i])
        rbuf = array.array("i", [-1])
        status = MPI.Status()
        request = WORLD.Irecv(rbuf, left, 40 + i)
        send(sbuf, right, spell(40 + i))
        request.Wait(status)
        got.append((rbuf[0], status.source, status.tag))
    return got


@pytest.mark.parametrize(
    "spell",
    [
        pytest.param(lambda t: t, id="int"),
        pytest.param(lambda t: IntLike(t), id="__index__"),
        pytest.param(lambda t: np.int32(t) if np is not None else t, id="numpy-int"),
    ],
)
def test_send_tag_spellings_reach_the_same_message(spell):
    left, _ = ring(WORLD)
    got = exchange_with_tags(lambda b, d, t: WORLD.Send(b, d, t), [spell] * 3)
    assert got == [(left * 100 + i, left, 40 + i) for i in range(3)]


def test_keyword_and_positional_calls_agree():
    left, right = ring(WORLD)
    for call in (
        lambda b: WORLD.Send(b, right, 7),
        lambda b: WORLD.Send(b, dest=right, tag=7),
        lambda b: WORLD.Send(buf=b, dest=right, tag=7),
        lambda b: MPI.Comm.Send(WORLD, b, right, 7),  # unbound, self first
    ):
        sbuf = array.array("d", [WORLD.rank + 0.5])
        rbuf = array.array("d", [0.0])
        status = MPI.Status()
        request = WORLD.Irecv(rbuf, source=left, tag=7)
        call(sbuf)
        assert request.Wait(status=status) is True
        assert (rbuf[0], status.source, status.tag, status.Get_count(MPI.DOUBLE)) == (
            left + 0.5,
            left,
            7,
            1,
        )


def test_bound_method_object_takes_the_same_entry():
    left, right = ring(WORLD)
    send, recv = WORLD.send, WORLD.recv  # bound once, called many times
    for i in range(4):
        request = WORLD.isend({"i": i, "from": WORLD.rank}, right, 3)
        status = MPI.Status()
        assert recv(None, left, 3, status) == {"i": i, "from": left}
        assert (status.source, status.tag) == (left, 3)
        request.wait()
    assert send is not None


def test_defaults_fill_missing_trailing_arguments():
    # Recv with source and tag left out is ANY_SOURCE/ANY_TAG; Send's tag is 0.
    left, right = ring(WORLD)
    rbuf = array.array("i", [-1])
    request = WORLD.Irecv(rbuf)
    WORLD.Send(array.array("i", [WORLD.rank]), right)
    status = MPI.Status()
    request.Wait(status)
    assert (rbuf[0], status.source, status.tag) == (left, left, 0)
    WORLD.Barrier()


def test_bool_and_huge_ints_go_to_nanobind():
    # bool is an int subclass: the fast entry leaves it to nanobind, which takes it as 0/1.
    rbuf = array.array("i", [-1])
    request = MPI.COMM_SELF.Irecv(rbuf, 0, True)
    MPI.COMM_SELF.Send(array.array("i", [5]), False, 1)
    status = MPI.Status()
    request.Wait(status)
    assert (rbuf[0], status.source, status.tag) == (5, 0, 1)
    for bad in (2**31, -(2**31) - 1, 2**70):
        with pytest.raises(TypeError):
            MPI.COMM_SELF.Send(array.array("i", [1]), 0, bad)
    with pytest.raises(TypeError):
        MPI.COMM_SELF.Isend(array.array("i", [1]), 0, 1.0)


def test_explicit_none_refused_where_the_default_is_not_none():
    buf = array.array("d", [1.0])
    out = array.array("d", [0.0])
    with pytest.raises(TypeError):
        MPI.COMM_SELF.Allreduce(buf, out, None)  # op's default is SUM
    with pytest.raises(TypeError):
        MPI.COMM_SELF.Bcast(buf, None)  # root's default is 0
    with pytest.raises(TypeError):
        MPI.COMM_SELF.Send(buf, None)
    # None where None is the default (a status, the receive buffer) is taken.
    assert MPI.REQUEST_NULL.Wait(None) is True
    MPI.COMM_SELF.Allreduce(buf, out)
    assert out[0] == 1.0


def test_too_many_arguments_and_wrong_self():
    with pytest.raises(TypeError):
        MPI.REQUEST_NULL.Wait(None, None)
    with pytest.raises(TypeError):
        MPI.Request.Wait(MPI.COMM_SELF)
    with pytest.raises(TypeError):
        MPI.Comm.Send(MPI.REQUEST_NULL, array.array("i", [1]), 0, 0)
    with pytest.raises(TypeError):
        MPI.Comm.Barrier(None)


def test_errors_raised_inside_keep_their_class():
    # MPI errors become MPI.Exception with the MPI error class, argument errors TypeError /
    # ValueError, through the fast entry as through nanobind's.
    with pytest.raises(MPI.Exception) as info:
        MPI.COMM_SELF.Send(array.array("i", [1]), 5, 0)  # no rank 5 in COMM_SELF
    assert info.value.Get_error_class() == MPI.ERR_RANK
    with pytest.raises(MPI.Exception) as info:
        MPI.Prequest().Start()
    assert info.value.Get_error_class() == MPI.ERR_REQUEST
    with pytest.raises(TypeError):
        MPI.COMM_SELF.Send(object(), 0, 0)
    with pytest.raises(TypeError):
        MPI.REQUEST_NULL.Wait(42)  # not a Status
    with pytest.raises(TypeError):
        MPI.Request.Waitall(None)


def test_subclass_instances_and_overrides():
    class MyComm(MPI.Intracomm):
        pass

    comm = MyComm(MPI.COMM_SELF)
    rbuf = array.array("i", [0])
    request = comm.Irecv(rbuf, 0, 9)
    comm.Send(array.array("i", [11]), 0, 9)
    assert isinstance(request, MPI.Request)
    request.Wait()
    assert rbuf[0] == 11

    class CountingRequest(MPI.Request):
        waits = 0

        def Wait(self, status=None):  # an override is what the instance calls
            CountingRequest.waits += 1
            return super().Wait(status)

    request = CountingRequest(MPI.COMM_SELF.Isend(array.array("i", [1]), 0, 2))
    MPI.COMM_SELF.Recv(array.array("i", [0]), 0, 2)
    assert request.Wait() is True and CountingRequest.waits == 1


def test_persistent_and_list_completions():
    left, right = ring(WORLD)
    sbuf = array.array("i", [WORLD.rank])
    rbuf = array.array("i", [-1])
    requests = [WORLD.Recv_init(rbuf, left, 5), WORLD.Send_init(sbuf, right, 5)]
    for round_ in range(3):
        sbuf[0] = WORLD.rank + 10 * round_
        MPI.Prequest.Startall(requests)
        statuses = [MPI.Status(), MPI.Status()]
        assert MPI.Request.Waitall(requests, statuses) is True
        assert rbuf[0] == left + 10 * round_
        assert (statuses[0].source, statuses[0].tag) == (left, 5)
        requests[0].Start()
        requests[1].Start()
        index = MPI.Request.Waitany(requests)
        assert index in (0, 1)
        flag = MPI.Request.Testall(requests)
        while not flag:
            flag = MPI.Request.Testall(requests)
        assert MPI.Request.Testany(requests) == (MPI.UNDEFINED, True)
    for request in requests:
        request.Free()

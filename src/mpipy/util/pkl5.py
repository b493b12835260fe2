"""Pickle protocol 5 communication with out-of-band buffers.

mpipy's core already sends Python objects this way: buffers above ``pickle.THRESHOLD``
travel out of band, straight from and into the objects' memory, as their own MPI messages
(beyond 2 GiB too, with or without MPI-4 large counts), and the messages that make up one
object can never interleave with another object's. This module gives that transport the
API of ``mpi4py.util.pkl5``: communicator wrappers, a ``Request`` and a ``Message`` class
that are not subclasses of their ``MPI`` namesakes, and ``pickle``, pkl5's own ``Pickle``.

``pickle`` configures the wrappers' calls only, as ``MPI.pickle`` configures ``MPI.Comm``'s:
its ``THRESHOLD`` (256 KiB by default, as in mpi4py; ``MPI.pickle``'s is 64 KiB) decides
which buffers go out of band, and a custom ``dumps``/``loads`` pair (``pickle.__init__(dumps,
loads)``, or ``pkl5.pickle = pkl5.Pickle(dumps, loads)``) pickles everything in band. The
module global is read at each call, so a ``Pickle`` assigned to it takes effect at once.
"""

from .. import MPI

__all__ = ["Pickle", "pickle", "Request", "Message", "Comm", "Intracomm", "Intercomm"]

Pickle = MPI.Pickle
pickle = Pickle(threshold=1 << 18)

# _call(pickle, function, *args) is function(*args) with `pickle` in use by the transport on
# this thread: every wrapper call that pickles or unpickles goes through it. Receives unpickle
# when they complete, so Request.wait/test/waitall/testall do too.
_call = MPI._pickle_call
_send, _bsend, _ssend = MPI.Comm.send, MPI.Comm.bsend, MPI.Comm.ssend
_isend, _ibsend, _issend = MPI.Comm.isend, MPI.Comm.ibsend, MPI.Comm.issend
_recv, _sendrecv = MPI.Comm.recv, MPI.Comm.sendrecv
_bcast, _gather, _scatter = MPI.Comm.bcast, MPI.Comm.gather, MPI.Comm.scatter
_allgather, _alltoall = MPI.Comm.allgather, MPI.Comm.alltoall
_message_recv, _message_irecv = MPI.Message.recv, MPI.Message.irecv
_wait, _test = MPI.Request.wait, MPI.Request.test
_waitall, _testall = MPI.Request.waitall, MPI.Request.testall

ANY_SOURCE = MPI.ANY_SOURCE
ANY_TAG = MPI.ANY_TAG
PROC_NULL = MPI.PROC_NULL
ROOT = MPI.ROOT


class Request:
    """Request of a nonblocking send or receive of an object (not an ``MPI.Request``).

    True until completed by ``wait``/``test``/``waitall``/``testall`` or freed: an object
    receive is pending after its MPI requests are done, until its object is delivered."""

    __slots__ = ("_request", "_pending")

    def __init__(self, request=None):
        if isinstance(request, Request):
            request = request._request
        self._request = MPI.REQUEST_NULL if request is None else request
        self._pending = bool(self._request)

    # Equal to another wrapper or an MPI.Request (REQUEST_NULL, ...) of the same handle.
    def __eq__(self, other):
        if isinstance(other, Request):
            other = other._request
        if isinstance(other, MPI.Request):
            return self._request == other
        return NotImplemented

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __bool__(self):
        return self._pending

    def Free(self):
        """Free the request (MPI lets a pending send finish)."""
        self._request.Free()
        self._pending = False

    def free(self):
        """Free the request if not null."""
        self._request.free()
        self._pending = False

    def cancel(self):
        """Cancel the request."""
        self._request.Cancel()

    def get_status(self, status=None):
        """Test for completion without completing the request."""
        return self._request.Get_status(status)

    def test(self, status=None):
        """Test for completion: ``(done, object or None)``."""
        done, obj = _call(pickle, _test, self._request, status)
        if done:
            self._pending = False
        return done, obj

    def wait(self, status=None):
        """Wait for completion; return the received object (None for sends)."""
        obj = _call(pickle, _wait, self._request, status)
        self._pending = False
        return obj

    @classmethod
    def get_status_all(cls, requests, statuses=None):
        """Test for completion of all requests without completing them."""
        return MPI.Request.Get_status_all([r._request for r in requests], statuses)

    @classmethod
    def testall(cls, requests, statuses=None):
        """Test for completion of all requests: ``(done, objects or None)``."""
        done, objs = _call(pickle, _testall, [r._request for r in requests], statuses)
        if done:
            for r in requests:
                r._pending = False
        return done, objs

    @classmethod
    def waitall(cls, requests, statuses=None):
        """Wait for completion of all requests; return the received objects."""
        objs = _call(pickle, _waitall, [r._request for r in requests], statuses)
        for r in requests:
            r._pending = False
        return objs


def _request(request):
    """A pkl5.Request for a request just started (pending even if MPI's handle is null:
    an object receive between its MPI steps)."""
    wrapper = Request(request)
    wrapper._pending = True
    return wrapper


class Message:
    """Matched message of an object (not an ``MPI.Message``)."""

    __slots__ = ("_message",)

    def __init__(self, message=None):
        if isinstance(message, Message):
            message = message._message
        self._message = MPI.MESSAGE_NULL if message is None else message

    # Equal to another wrapper or an MPI.Message (MESSAGE_NO_PROC, ...) of the same handle.
    def __eq__(self, other):
        if isinstance(other, Message):
            other = other._message
        if isinstance(other, MPI.Message):
            return self._message == other
        return NotImplemented

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __bool__(self):
        return bool(self._message)

    def free(self):
        """Free the message if not null (messages need no freeing)."""

    def recv(self, status=None):
        """Blocking receive of the matched object."""
        return _call(pickle, _message_recv, self._message, status)

    def irecv(self):
        """Nonblocking receive of the matched object."""
        return _request(_call(pickle, _message_irecv, self._message))

    @classmethod
    def probe(cls, comm, source=ANY_SOURCE, tag=ANY_TAG, status=None):
        """Blocking test for a matched message."""
        # MPI.Comm's own mprobe: comm may be a wrapper, whose mprobe gives a Message already.
        return cls(MPI.Comm.mprobe(comm, source, tag, status))

    @classmethod
    def iprobe(cls, comm, source=ANY_SOURCE, tag=ANY_TAG, status=None):
        """Nonblocking test for a matched message: a ``Message`` or None."""
        message = MPI.Comm.improbe(comm, source, tag, status)
        return None if message is None else cls(message)


class _ObjectMethods:
    """The object methods of the wrappers (a mixin: nanobind classes take one native base,
    so ``Intracomm`` and ``Intercomm`` derive from ``MPI.Intracomm``/``MPI.Intercomm`` and
    this, not from ``Comm``)."""

    __slots__ = ()

    def __init__(self, comm=MPI.COMM_NULL):
        super().__init__(comm)

    def send(self, obj, dest, tag=0):
        """Send in standard mode."""
        _call(pickle, _send, self, obj, dest, tag)

    def bsend(self, obj, dest, tag=0):
        """Send in buffered mode."""
        _call(pickle, _bsend, self, obj, dest, tag)

    def ssend(self, obj, dest, tag=0):
        """Send in synchronous mode."""
        _call(pickle, _ssend, self, obj, dest, tag)

    def isend(self, obj, dest, tag=0):
        """Nonblocking send in standard mode."""
        return _request(_call(pickle, _isend, self, obj, dest, tag))

    def ibsend(self, obj, dest, tag=0):
        """Nonblocking send in buffered mode."""
        return _request(_call(pickle, _ibsend, self, obj, dest, tag))

    def issend(self, obj, dest, tag=0):
        """Nonblocking send in synchronous mode."""
        return _request(_call(pickle, _issend, self, obj, dest, tag))

    def recv(self, buf=None, source=ANY_SOURCE, tag=ANY_TAG, status=None):
        """Blocking receive (``buf`` is accepted and ignored: objects are sized)."""
        return _call(pickle, _recv, self, None, source, tag, status)

    def irecv(self, buf=None, source=ANY_SOURCE, tag=ANY_TAG):
        """Not supported: use ``improbe``/``mprobe`` then ``Message.irecv``."""
        raise RuntimeError(
            "pkl5.Comm.irecv is unsupported: an object of several messages cannot be "
            "received reliably before it is matched; use mprobe() or improbe() and then "
            "Message.irecv(), or MPI.Comm.irecv() which progresses the whole object"
        )

    def sendrecv(
        self,
        sendobj,
        dest,
        sendtag=0,
        recvbuf=None,
        source=ANY_SOURCE,
        recvtag=ANY_TAG,
        status=None,
    ):
        """Send and receive."""
        return _call(pickle, _sendrecv, self, sendobj, dest, sendtag, None, source, recvtag, status)

    def mprobe(self, source=ANY_SOURCE, tag=ANY_TAG, status=None):
        """Blocking test for a matched message."""
        return Message(MPI.Comm.mprobe(self, source, tag, status))

    def improbe(self, source=ANY_SOURCE, tag=ANY_TAG, status=None):
        """Nonblocking test for a matched message: a ``Message`` or None."""
        message = MPI.Comm.improbe(self, source, tag, status)
        return None if message is None else Message(message)

    def bcast(self, obj, root=0):
        """Broadcast."""
        return _call(pickle, _bcast, self, obj, root)

    def gather(self, sendobj, root=0):
        """Gather to root."""
        return _call(pickle, _gather, self, sendobj, root)

    def scatter(self, sendobj, root=0):
        """Scatter from root."""
        return _call(pickle, _scatter, self, sendobj, root)

    def allgather(self, sendobj):
        """Gather to all."""
        return _call(pickle, _allgather, self, sendobj)

    def alltoall(self, sendobj):
        """All to all."""
        return _call(pickle, _alltoall, self, sendobj)


class Comm(_ObjectMethods, MPI.Comm):
    """Communicator wrapper: object communication with pickle protocol 5."""


class Intracomm(_ObjectMethods, MPI.Intracomm):
    """Intracommunicator wrapper."""


class Intercomm(_ObjectMethods, MPI.Intercomm):
    """Intercommunicator wrapper."""

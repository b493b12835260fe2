"""Loops of point-to-point calls to self and of collectives on COMM_SELF, for counting
instructions.

Usage: python loops.py MODULE PATTERN N   (MODULE: mpipy, mpi4py, or null: nullmpi.c's
do-nothing stand-in, the interpreter's own share)

count.sh runs this under callgrind for two values of N: the difference of the totals over
the difference of N is the cost of one iteration, free of start-up and of noise.
"""

import importlib
import sys

import numpy

module, pattern, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
MPI = importlib.import_module("nullmpi" if module == "null" else f"{module}.MPI")

comm = MPI.COMM_SELF
sbuf = numpy.zeros(1, dtype="d")
rbuf = numpy.zeros(1, dtype="d")


def send_recv(n):
    for _ in range(n):
        comm.Send(sbuf, 0, 0)
        comm.Recv(rbuf, 0, 0)


def isend_irecv(n):
    for _ in range(n):
        r = comm.Irecv(rbuf, 0, 0)
        comm.Isend(sbuf, 0, 0).Wait()
        r.Wait()


def persistent(n):
    s = comm.Send_init(sbuf, 0, 0)
    r = comm.Recv_init(rbuf, 0, 0)
    for _ in range(n):
        r.Start()
        s.Start()
        s.Wait()
        r.Wait()
    s.Free()
    r.Free()


def sendrecv(n):
    for _ in range(n):
        comm.Sendrecv(sbuf, 0, 0, rbuf, 0, 0)


def waitall64(n):
    """32 receives and 32 sends posted, then one Waitall over the 64 requests."""
    rbufs = [numpy.zeros(1) for _ in range(32)]
    for _ in range(n):
        requests = [comm.Irecv(b, 0, 0) for b in rbufs]
        requests += [comm.Isend(sbuf, 0, 0) for _ in range(32)]
        MPI.Request.Waitall(requests)


def test_testany(n):
    for _ in range(n):
        r = comm.Irecv(rbuf, 0, 0)
        s = comm.Isend(sbuf, 0, 0)
        s.Test()
        MPI.Request.Testany([r])


def iprobe(n):
    s = comm.Isend(sbuf, 0, 0)  # one message waiting, probed over and over
    for _ in range(n):
        comm.Iprobe(0, 0)
    comm.Recv(rbuf, 0, 0)
    s.Wait()


def probe(n):
    s = comm.Isend(sbuf, 0, 0)
    for _ in range(n):
        comm.Probe(0, 0)
    comm.Recv(rbuf, 0, 0)
    s.Wait()


def mprobe(n):
    for _ in range(n):
        comm.Send(sbuf, 0, 0)
        comm.Mprobe(0, 0).Recv(rbuf)


def startall(n):
    requests = [comm.Recv_init(rbuf, 0, 0), comm.Send_init(sbuf, 0, 0)]
    for _ in range(n):
        MPI.Prequest.Startall(requests)
        MPI.Request.Waitall(requests)
    for r in requests:
        r.Free()


def objects(n):
    for _ in range(n):
        comm.send(None, 0, 0)
        comm.recv(None, 0, 0)


SMALL_DICT = {"step": 7, "name": "halo", "norm": 0.25, "ok": True}
FLOATS = [0.5 * i for i in range(100)]


def obj_dict(n):
    for _ in range(n):
        comm.send(SMALL_DICT, 0, 0)
        comm.recv(None, 0, 0)


def obj_floats(n):
    for _ in range(n):
        comm.send(FLOATS, 0, 0)
        comm.recv(None, 0, 0)


SMALL_ARRAY = numpy.arange(16.0)


def obj_ndarray(n):
    for _ in range(n):
        comm.send(SMALL_ARRAY, 0, 0)
        comm.recv(None, 0, 0)


def obj_int(n):
    for _ in range(n):
        comm.send(7, 0, 0)
        comm.recv(None, 0, 0)


def obj_isend(n):
    for _ in range(n):
        r = comm.irecv(None, 0, 0)
        comm.isend(None, 0, 0).wait()
        r.wait()


def obj_bcast(n):
    for _ in range(n):
        comm.bcast(1, 0)


empty = []


def noop(n):
    """The interpreter's share of every loop here: a global, a method, a call with no
    arguments (list.clear of an empty list), as in `comm.Barrier()`."""
    for _ in range(n):
        empty.clear()


def barrier(n):
    for _ in range(n):
        comm.Barrier()


def bcast(n):
    for _ in range(n):
        comm.Bcast(sbuf, 0)


def allreduce(n):
    op = MPI.SUM
    for _ in range(n):
        comm.Allreduce(sbuf, rbuf, op)


def allgather(n):
    for _ in range(n):
        comm.Allgather(sbuf, rbuf)


def ibcast(n):
    for _ in range(n):
        comm.Ibcast(sbuf, 0).Wait()


def rma(n, operation):
    """One-sided operations on a window of one double at this process (COMM_SELF), inside a
    Lock_all epoch, each completed by Flush."""
    win = MPI.Win.Allocate(8, 8, comm=comm)
    win.Lock_all()
    operation(win, n)
    win.Unlock_all()
    win.Free()


def rma_put(n):
    def loop(win, n):
        for _ in range(n):
            win.Put(sbuf, 0)
            win.Flush(0)

    rma(n, loop)


def rma_get(n):
    def loop(win, n):
        for _ in range(n):
            win.Get(rbuf, 0)
            win.Flush(0)

    rma(n, loop)


def rma_fop(n):
    def loop(win, n):
        op = MPI.SUM
        for _ in range(n):
            win.Fetch_and_op(sbuf, rbuf, 0, 0, op)
            win.Flush(0)

    rma(n, loop)


def obj_allreduce(n):
    for _ in range(n):
        comm.allreduce(1)


def obj_gather(n):
    for _ in range(n):
        comm.gather(1, 0)


def obj_scatter(n):
    items = [1]
    for _ in range(n):
        comm.scatter(items, 0)


def obj_allgather(n):
    for _ in range(n):
        comm.allgather(1)


def obj_alltoall(n):
    items = [1]
    for _ in range(n):
        comm.alltoall(items)


globals()[pattern](n)

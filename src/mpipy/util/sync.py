"""Synchronization across MPI processes, built on one-sided communication.

The API of ``mpi4py.util.sync``:

- ``Sequential(comm, tag=0)``: a block that the processes of ``comm`` run one after the
  other, in rank order (a token passed along by point-to-point messages).
- ``Counter(start=0, step=1, *, typecode='i', comm=COMM_SELF, info=INFO_NULL, root=0)``: a
  global counter, kept in a window at ``root`` and advanced by ``Fetch_and_op``.
- ``Mutex(*, recursive=False, comm=COMM_SELF, info=INFO_NULL)``: mutual exclusion among the
  processes (a queue lock: each waiting process spins on a flag in its own window memory, so
  a release hands the mutex to the next in line, in arrival order).
- ``Condition(mutex=None, *, recursive=True, comm=COMM_SELF, info=INFO_NULL)``: a condition
  variable over a mutex; waiting processes queue up at rank 0 and are woken in order.
- ``Semaphore(value=1, *, bounded=True, comm=COMM_SELF, info=INFO_NULL)``: a counting
  semaphore over a ``Counter``.

Every object is created and freed collectively over its communicator. Each keeps a shared
lock on all of its window's processes for its whole life (``Lock_all``), and completes each
access with ``Flush``. After ``free()`` (which may be called more than once) using the object
raises ``RuntimeError``.
"""

import time

from .. import MPI

__all__ = ["Sequential", "Counter", "Mutex", "Condition", "Semaphore"]

_NONE = -1  # no process: an empty queue, no successor


def _pause(rounds):
    """Back off while spinning on remote memory: yield the core first, then sleep a little
    longer each time (up to a millisecond), so waiting processes leave the CPU to the ones
    that hold the lock on an oversubscribed machine."""
    time.sleep(0 if rounds < 8 else min(1e-6 * (1 << min(rounds - 8, 10)), 1e-3))


class _Cells:
    """A window of ``count`` integers ('i') per process of ``comm`` (``root_count`` more at
    rank 0), accessed only atomically (Fetch_and_op, Compare_and_swap, Accumulate) inside a
    ``Lock_all`` epoch that lasts until ``free``."""

    def __init__(self, comm, info, count, root_extra=0):
        self.comm = comm
        self.rank = comm.Get_rank()
        self.item = MPI.INT
        size = count + (root_extra if self.rank == 0 else 0)
        self.win = MPI.Win.Allocate(size * self.item.size, self.item.size, info, comm)
        memory = memoryview(self.win.tomemory()).cast("i")
        for i in range(size):
            memory[i] = _NONE
        memory.release()
        self.win.Lock_all()
        self.win.Sync()  # the stores above are in the window before anyone reads it
        comm.Barrier()
        self._one = bytearray(4)
        self._two = bytearray(4)
        self._out = bytearray(4)

    @staticmethod
    def _set(buf, value):
        memoryview(buf).cast("i")[0] = value

    def get(self, rank, disp):
        self.win.Fetch_and_op([self._one, self.item], [self._out, self.item], rank, disp, MPI.NO_OP)
        self.win.Flush(rank)
        return memoryview(self._out).cast("i")[0]

    def swap(self, rank, disp, value):
        self._set(self._one, value)
        self.win.Fetch_and_op(
            [self._one, self.item], [self._out, self.item], rank, disp, MPI.REPLACE
        )
        self.win.Flush(rank)
        return memoryview(self._out).cast("i")[0]

    def put(self, rank, disp, value):
        self.swap(rank, disp, value)

    def compare_and_swap(self, rank, disp, compare, value):
        self._set(self._one, value)
        self._set(self._two, compare)
        self.win.Compare_and_swap(
            [self._one, self.item], [self._two, self.item], [self._out, self.item], rank, disp
        )
        self.win.Flush(rank)
        return memoryview(self._out).cast("i")[0]

    def free(self):
        self.win.Unlock_all()
        self.win.Free()


class Sequential:
    """Sequential execution."""

    def __init__(self, comm, tag=0):
        """Initialize sequential execution."""
        self.comm = comm
        self.tag = tag

    def __enter__(self):
        """Enter sequential execution."""
        self.begin()
        return self

    def __exit__(self, *exc):
        """Exit sequential execution."""
        self.end()

    def begin(self):
        """Begin sequential execution."""
        rank = self.comm.Get_rank()
        if rank > 0:
            self.comm.Recv([bytearray(0), 0, MPI.BYTE], rank - 1, self.tag)

    def end(self):
        """End sequential execution."""
        rank, size = self.comm.Get_rank(), self.comm.Get_size()
        if rank < size - 1:
            self.comm.Send([bytearray(0), 0, MPI.BYTE], rank + 1, self.tag)


class Counter:
    """Global counter."""

    def __init__(
        self,
        start=0,
        step=1,
        *,
        typecode="i",
        comm=MPI.COMM_SELF,
        info=MPI.INFO_NULL,
        root=0,
    ):
        """Initialize global counter."""
        import array

        datatype = MPI.Datatype.fromcode(typecode)
        rank = comm.Get_rank()
        itemsize = datatype.Get_size()
        win = MPI.Win.Allocate(itemsize if rank == root else 0, itemsize, info, comm)
        win.Lock_all()
        if rank == root:
            win.Accumulate([array.array(typecode, [start]), datatype], root, op=MPI.REPLACE)
            win.Flush(root)
        comm.Barrier()
        self._win = win
        self._typecode = typecode
        self._datatype = datatype
        self._step = step
        self._root = root
        self._array = array.array

    def __iter__(self):
        """Implement ``iter(self)``."""
        return self

    def __next__(self):
        """Implement ``next(self)``."""
        return self.next()

    def next(self, incr=None):
        """Return current value and increment."""
        if self._win is None:
            raise RuntimeError("counter already freed")
        if incr is None:
            incr = self._step
        origin = self._array(self._typecode, [incr])
        result = self._array(self._typecode, [0])
        self._win.Fetch_and_op(
            [origin, self._datatype], [result, self._datatype], self._root, 0, MPI.SUM
        )
        self._win.Flush(self._root)
        return result[0]

    def free(self):
        """Free counter resources."""
        if self._win is None:
            return
        win, self._win = self._win, None
        win.Unlock_all()
        win.Free()


class Mutex:
    """Mutual exclusion."""

    # Each process's window holds [next, waiting]; rank 0's also the queue's tail.
    _NEXT, _WAITING, _TAIL = 0, 1, 2

    def __init__(self, *, recursive=False, comm=MPI.COMM_SELF, info=MPI.INFO_NULL):
        """Initialize mutex object."""
        self._cells = _Cells(comm, info, 2, root_extra=1)
        self._rank = comm.Get_rank()
        self._recursive = bool(recursive)
        self._count = 0

    def __enter__(self):
        """Acquire mutex."""
        self.acquire()
        return self

    def __exit__(self, *exc):
        """Release mutex."""
        self.release()

    def _live(self):
        if self._cells is None:
            raise RuntimeError("mutex already freed")
        return self._cells

    def acquire(self, blocking=True):
        """Acquire mutex, blocking or non-blocking."""
        cells = self._live()
        if self._count > 0:
            if not self._recursive:
                raise RuntimeError("cannot acquire already held mutex")
            self._count += 1
            return True
        me = self._rank
        cells.put(me, self._NEXT, _NONE)
        if not blocking:
            if cells.compare_and_swap(0, self._TAIL, _NONE, me) != _NONE:
                return False
            self._count = 1
            return True
        cells.put(me, self._WAITING, 1)
        previous = cells.swap(0, self._TAIL, me)
        if previous != _NONE:
            cells.put(previous, self._NEXT, me)  # in line behind it: it will hand over
            rounds = 0
            while cells.get(me, self._WAITING) != 0:
                _pause(rounds)
                rounds += 1
        self._count = 1
        return True

    def release(self):
        """Release mutex."""
        cells = self._live()
        if self._count == 0:
            raise RuntimeError("cannot release unheld mutex")
        if self._count > 1:
            self._count -= 1
            return
        self._hand_over(cells)
        self._count = 0

    def _hand_over(self, cells):
        me = self._rank
        successor = cells.get(me, self._NEXT)
        if successor == _NONE:
            if cells.compare_and_swap(0, self._TAIL, me, _NONE) == me:
                return  # nobody waiting
            rounds = 0  # someone is joining the queue: wait until it says who it is
            while (successor := cells.get(me, self._NEXT)) == _NONE:
                _pause(rounds)
                rounds += 1
        cells.put(successor, self._WAITING, 0)

    def locked(self):
        """Return whether the mutex is held."""
        self._live()
        return self._count > 0

    def count(self):
        """Return the recursion count."""
        self._live()
        return self._count

    def free(self):
        """Free mutex resources."""
        if self._cells is None:
            return
        cells, self._cells = self._cells, None
        if self._count > 0:  # others may be waiting for it: hand it over first
            self._hand_over(cells)
            self._count = 0
        cells.free()


class Condition:
    """Condition variable."""

    # Each process's window holds [notified]; rank 0's also the waiting queue:
    # [length, rank...].
    _FLAG, _LENGTH, _QUEUE = 0, 1, 2

    def __init__(
        self,
        mutex=None,
        *,
        recursive=True,
        comm=MPI.COMM_SELF,
        info=MPI.INFO_NULL,
    ):
        """Initialize condition variable."""
        if mutex is None:
            mutex = Mutex(recursive=recursive, comm=comm, info=info)
            self._own_mutex = True
        else:
            comm = mutex._live().comm
            self._own_mutex = False
        self._mutex = mutex
        self._rank = comm.Get_rank()
        self._cells = _Cells(comm, info, 1, root_extra=1 + comm.Get_size())
        if self._rank == 0:
            self._cells.put(0, self._LENGTH, 0)
        comm.Barrier()

    def __enter__(self):
        """Acquire the underlying mutex."""
        self.acquire()
        return self

    def __exit__(self, *exc):
        """Release the underlying mutex."""
        self.release()

    def _live(self):
        if self._cells is None:
            raise RuntimeError("condition already freed")
        return self._cells

    def _held(self):
        cells = self._live()
        if not self._mutex.locked():
            raise RuntimeError("cannot use un-acquired condition")
        return cells

    def acquire(self, blocking=True):
        """Acquire the underlying mutex."""
        self._live()
        return self._mutex.acquire(blocking)

    def release(self):
        """Release the underlying mutex."""
        self._live()
        self._mutex.release()

    def locked(self):
        """Return whether the underlying mutex is held."""
        self._live()
        return self._mutex.locked()

    def wait(self):
        """Wait until notified by another process."""
        cells = self._held()
        me = self._rank
        cells.put(me, self._FLAG, 0)
        # The queue changes only under the mutex, which this process holds.
        length = cells.get(0, self._LENGTH)
        cells.put(0, self._QUEUE + length, me)
        cells.put(0, self._LENGTH, length + 1)
        mutex = self._mutex
        depth = mutex._count
        mutex._count = 1
        mutex.release()
        rounds = 0
        while cells.get(me, self._FLAG) == 0:
            _pause(rounds)
            rounds += 1
        mutex.acquire()
        mutex._count = depth
        return True

    def wait_for(self, predicate):
        """Wait until a predicate evaluates to `True`."""
        self._held()
        result = predicate()
        while not result:
            self.wait()
            result = predicate()
        return result

    def notify(self, n=1):
        """Wake up one or more processes waiting on this condition."""
        cells = self._held()
        length = cells.get(0, self._LENGTH)
        woken = [cells.get(0, self._QUEUE + i) for i in range(min(n, length))]
        rest = [cells.get(0, self._QUEUE + i) for i in range(len(woken), length)]
        for i, rank in enumerate(rest):
            cells.put(0, self._QUEUE + i, rank)
        cells.put(0, self._LENGTH, len(rest))
        for rank in woken:
            cells.put(rank, self._FLAG, 1)
        return len(woken)

    def notify_all(self):
        """Wake up all processes waiting on this condition."""
        return self.notify(self._cells.comm.Get_size() if self._cells else 1)

    def free(self):
        """Free condition resources."""
        if self._cells is None:
            return
        cells, self._cells = self._cells, None
        mutex = self._mutex
        if mutex._cells is not None and mutex.locked():
            # Others may be waiting for the mutex before they can join this collective call.
            mutex._count = 1
            mutex.release()
        if self._own_mutex:
            mutex.free()
        cells.free()


class Semaphore:
    """Semaphore object."""

    def __init__(
        self,
        value=1,
        *,
        bounded=True,
        comm=MPI.COMM_SELF,
        info=MPI.INFO_NULL,
    ):
        """Initialize semaphore object."""
        if value < 0:
            raise ValueError("initial value must be non-negative")
        self._bounded = bool(bounded)
        self._value = value
        self._counter = Counter(value, comm=comm, info=info)

    def __enter__(self):
        """Acquire semaphore."""
        self.acquire()
        return self

    def __exit__(self, *exc):
        """Release semaphore."""
        self.release()

    def _live(self):
        if self._counter is None:
            raise RuntimeError("semaphore already freed")
        return self._counter

    def acquire(self, blocking=True):
        """Acquire semaphore, decrementing the internal counter by one."""
        counter = self._live()
        rounds = 0
        while True:
            if counter.next(-1) > 0:
                return True
            counter.next(+1)  # none left: give it back
            if not blocking:
                return False
            _pause(rounds)
            rounds += 1

    def release(self, n=1):
        """Release semaphore, incrementing the internal counter by one or more."""
        counter = self._live()
        if n < 1:
            raise ValueError("n must be one or more")
        # A bounded semaphore looks before it adds, so that a release that would go over
        # the bound never shows in the counter (a reader elsewhere sees only legal values);
        # the check after the addition catches the releases that raced past the look.
        if self._bounded and counter.next(0) + n > self._value:
            raise ValueError("semaphore released too many times")
        before = counter.next(n)
        if self._bounded and before + n > self._value:
            counter.next(-n)
            raise ValueError("semaphore released too many times")

    def free(self):
        """Free semaphore resources."""
        if self._counter is None:
            return
        counter, self._counter = self._counter, None
        counter.free()

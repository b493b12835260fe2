"""A program written as mpi4py's users write theirs, checked by tools/typecheck.sh with mypy
--strict against mpipy's stubs (and run there too, as one process: it is right at any size).
It uses the buffer and object methods of MPI, mpipy.typing, util.pkl5, util.pool and
futures; its annotations say what mypy must infer from the stubs."""

from __future__ import annotations

import array
from concurrent.futures import Future

from mpipy import MPI
from mpipy.futures import MPICommExecutor, ThreadPoolExecutor, collect, compose
from mpipy.futures.aplus import ThenableFuture, then
from mpipy.typing import Buffer, BufSpec
from mpipy.util import pkl5
from mpipy.util.pool import AsyncResult, ThreadPool


def square(x: int) -> int:
    return x * x


def add(x: int, y: int) -> int:
    return x + y


def ring_objects(comm: MPI.Intracomm) -> dict[str, int]:
    rank, size = comm.Get_rank(), comm.Get_size()
    right, left = (rank + 1) % size, (rank - 1) % size
    got: dict[str, int] = comm.sendrecv({"from": rank}, dest=right, source=left)
    assert got["from"] == left
    total: int = comm.allreduce(rank, op=MPI.SUM)
    assert total == size * (size - 1) // 2
    everyone: list[int] = comm.allgather(rank)
    assert everyone == list(range(size))
    request: MPI.Request = comm.isend(rank, dest=right, tag=7)
    status = MPI.Status()
    value: int = comm.recv(source=MPI.ANY_SOURCE, tag=7, status=status)
    request.wait()
    assert value == left and status.Get_source() == left
    return got


def ring_buffers(comm: MPI.Intracomm) -> float:
    rank, size = comm.Get_rank(), comm.Get_size()
    send: Buffer = array.array("d", [float(rank)] * 4)
    recv = array.array("d", [0.0] * 4)
    spec: BufSpec = (recv, MPI.DOUBLE)
    comm.Sendrecv(send, (rank + 1) % size, 0, spec, (rank - 1) % size, 0)
    out = array.array("d", [0.0])
    comm.Allreduce(array.array("d", [recv[0]]), out, op=MPI.MAX)
    requests = [comm.Isend(send, (rank + 1) % size), comm.Irecv(recv, (rank - 1) % size)]
    MPI.Request.Waitall(requests)
    return out[0]


def datatypes() -> int:
    vector = MPI.DOUBLE.Create_vector(2, 1, 2).Commit()
    try:
        size: int = vector.Get_size()
        extent: int = vector.Get_extent()[1]
        return size + extent
    finally:
        vector.Free()


def with_pkl5(comm: MPI.Intracomm) -> int:
    big = pkl5.Intracomm(comm)
    data: list[int] = big.bcast(list(range(10)) if comm.Get_rank() == 0 else [], root=0)
    request = big.isend(data, dest=comm.Get_rank(), tag=3)
    echoed: list[int] = big.recv(source=comm.Get_rank(), tag=3)
    request.wait()
    return len(echoed)


def with_futures(comm: MPI.Intracomm) -> int:
    with ThreadPoolExecutor(max_workers=2) as executor:
        future: Future[int] = executor.submit(add, 2, 3)
        squares: list[int] = list(executor.map(square, range(4)))
        both: Future[list[int]] = collect([future, executor.submit(square, 4)])
        text: Future[str] = compose(future, str)
        chained: Future[str] = then(future, lambda x: f"{x}!")
        assert both.result() == [5, 16] and text.result() == "5"
        assert chained.result() == "5!" and squares == [0, 1, 4, 9]
    thenable: ThenableFuture[int] = ThenableFuture()
    doubled = thenable.then(lambda x: x * 2)
    thenable.set_result(21)
    assert doubled.result() == 42
    with MPICommExecutor(comm, root=0) as pool:
        if pool is not None:
            return sum(pool.map(square, range(5)))
    return 0


def with_pool() -> list[int]:
    with ThreadPool(2) as pool:
        result: AsyncResult[int] = pool.apply_async(add, (1, 2))
        mapped: list[int] = pool.map(square, [1, 2, 3])
        starred: list[int] = pool.starmap(add, [(1, 1), (2, 2)])
        assert result.get(timeout=60) == 3
        pool.close()
        pool.join()
    return mapped + starred


def main() -> None:
    comm = MPI.COMM_WORLD.Dup()
    try:
        ring_objects(comm)
        assert ring_buffers(comm) == float(comm.Get_size() - 1)
        assert datatypes() == 16 + 24
        assert with_pkl5(comm) == 10
        total = with_futures(comm)
        assert total in (0, 30)
        assert with_pool() == [1, 4, 9, 2, 4]
    finally:
        comm.Free()
    if MPI.COMM_WORLD.Get_rank() == 0:
        print("sample: ok")


if __name__ == "__main__":
    main()

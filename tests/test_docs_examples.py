"""The tutorial's examples (docs/examples/*.py) run and print what the tutorial says.

Most run in this process, on every rank of the job at its size, as ``python -m mpipy
example.py`` would run them (runpy, ``__name__ == "__main__"``); rank 0's output must be
what the example computes at that size, the other ranks print nothing. At the size the
tutorial shows (docs/examples/output/NAME.txt) the output must also be that file,
verbatim. The futures examples need a process of their own (their workers import the
program as ``__main__``): they run as jobs of their own, at world size 1 only.
"""

import pathlib
import runpy

import helpers
import pytest
from helpers import cart_neighbours, row_major

from mpipy import MPI

pytest.importorskip("numpy")

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "docs" / "examples"
WORLD = MPI.COMM_WORLD
VENDOR = MPI.get_vendor()[0]


def _ring_lines(size):
    return [((r - 1) % size, (r + 1) % size) for r in range(size)]


def p2p_objects(size):
    left = (0 - 1) % size
    answers = {r: 2 * r for r in range(1, size)}
    squares = [left * i for i in range(3)]
    return [
        f"rank 0 got {{'from': {left}, 'squares': {squares}}} from rank {left}",
        f"answers: {answers}",
    ]


def p2p_buffers(size):
    lines = []
    for r, (left, right) in enumerate(_ring_lines(size)):
        lft = [10 * left + i for i in range(3)]
        rgt = [10 * right + i for i in range(3)]
        lines.append(f"rank {r}: Sendrecv got {left}; Irecv got {lft} and {rgt}")
    return lines


def collectives(size):
    partial = [3 * sum(range(r + 1)) for r in range(size)]
    ranksum = sum(range(size))
    gathered = [r for r in range(size) for _ in range(r + 1)]
    return [
        f"partial sums: {partial} total: {sum(partial)}",
        f"Allreduce: {[float(i * ranksum) for i in range(8)]}",
        f"Allgather: {[r * r for r in range(size)]}",
        f"Allgatherv: {gathered}",
        f"in place MAX: {[size - 1, 0]}",
    ]


def pkl5_ring(size):
    return [
        f"rank 0 received 4 MiB from rank {size - 1}",
        f"and 1000 values of rank 0 back from rank {1 % size}",
        f"probed array lengths: {[100 * r for r in range(1, size)]}",
        "bcast reached every rank: True",
    ]


def topology(size):
    dims = MPI.Compute_dims(size, 2)
    lines = [f"grid {dims}"]
    for r in range(size):
        coords = tuple(row_major(r, dims))
        lines.append(f"rank {r} at {coords}: neighbours {cart_neighbours(r, dims, [1, 1])}")
    return lines


def rma(size):
    lines = []
    for r in range(size):
        left, right = (r - 1) % size, (r + 1) % size
        mine = [100 + left if i == left else 0 for i in range(size)]
        theirs = [100 + r if i == r else 0 for i in range(size)]
        lines.append(f"rank {r} window {mine}, read from rank {right}: {theirs}")
    lines.append(f"counter {3 * size}, tickets handed out: True")
    return lines


def io(size):
    lines = [f"file of {size * 5 * 8} bytes written by {size} ranks"]
    for r in range(size):
        left = (r - 1) % size
        lines.append(f"rank {r} read {[float(100 * left + i) for i in range(5)]}")
    return lines


def spawn(size):
    return ["2 children; the sum of their answers is 30"]


IN_PROCESS = {
    "p2p_objects": p2p_objects,
    "p2p_buffers": p2p_buffers,
    "collectives": collectives,
    "pkl5_ring": pkl5_ring,
    "topology": topology,
    "rma": rma,
    "io": io,
    "spawn": spawn,
}
SHOWN_SIZE = {"futures_comm": 3, "futures_pool": 1}  # of output/NAME.txt (default 4)


def check_shown(name, lines, size):
    """At the size the tutorial shows, the expected lines are the file it includes."""
    if size == SHOWN_SIZE.get(name, 4):
        shown = (EXAMPLES / "output" / f"{name}.txt").read_text().splitlines()
        assert lines == shown


def test_every_example_is_tested():
    tested = set(IN_PROCESS) | {"futures_pool", "futures_comm"}
    assert {p.stem for p in EXAMPLES.glob("*.py")} == tested
    assert {p.stem for p in (EXAMPLES / "output").glob("*.txt")} == tested


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", sorted(IN_PROCESS))
def test_example(name, capsys):
    rank, size = WORLD.Get_rank(), WORLD.Get_size()
    runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name="__main__")
    out = capsys.readouterr().out.splitlines()
    expected = IN_PROCESS[name](size)
    assert out == (expected if rank == 0 else [])
    check_shown(name, expected, size)


def run_job(args, nprocs=None, timeout=60):
    return helpers.run_python(args, nprocs, timeout)


at_size1 = pytest.mark.skipif(
    WORLD.Get_size() != 1, reason="starts a job of its own: world size 1 only"
)


@at_size1
@pytest.mark.timeout(90)
def test_futures_pool():
    status, out, err = run_job([str(EXAMPLES / "futures_pool.py")])
    assert status == 0, err
    expected = [
        "steps: [0, 1, 7, 2, 5, 8, 16, 3, 19, 6]",
        "submitted: {27: 111, 97: 118, 871: 178}",
        "Pool: [8, 16, 19]",
    ]
    assert out.splitlines() == expected
    check_shown("futures_pool", expected, 1)


@at_size1
@pytest.mark.timeout(90)
@pytest.mark.parametrize("nprocs", [1, 3])
def test_futures_comm(nprocs):
    status, out, err = run_job(["-m", "mpipy", str(EXAMPLES / "futures_comm.py")], nprocs)
    assert status == 0, err
    expected = [
        "squares: [0, 1, 4, 9, 16, 25, 36, 49]",
        f"every task ran on another rank than 0: {nprocs > 1}",
    ]
    assert out.splitlines() == expected
    check_shown("futures_comm", expected, nprocs)

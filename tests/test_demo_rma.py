"""The one-sided demos, run in-process at the job's size: the nxtval work counter hands out
every task exactly once, and the 1-D halo exchange with Put and Fence reproduces the serial
solution exactly."""

import importlib.util
import pathlib

import pytest

np = pytest.importorskip("numpy")

_demo = pathlib.Path(__file__).resolve().parent.parent / "demo"


def load(name):
    spec = importlib.util.spec_from_file_location(name, _demo / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


nxtval = load("nxtval")
halo1d = load("halo1d")


@pytest.mark.parametrize("tasks, chunk", [(0, 1), (1, 1), (300, 1), (301, 7)])
def test_nxtval_every_task_once(comm, tasks, chunk):
    done = nxtval.run(comm, tasks, chunk)
    assert all(value == task * task for task, value in done.items())
    everything = comm.allgather(sorted(done))
    assert sorted(sum(everything, [])) == list(range(tasks))
    assert nxtval.check(comm, done, tasks)


def test_nxtval_check(comm):
    """check() itself: a complete set passes, a lost task or a wrong result fails."""
    first = comm.Get_rank() == 0
    assert nxtval.check(comm, {t: t * t for t in range(50)} if first else {}, 50)
    assert not nxtval.check(comm, {t: t * t for t in range(49)} if first else {}, 50)
    assert not nxtval.check(comm, {t: t for t in range(50)} if first else {}, 50)


def test_nxtval_main(comm):
    assert nxtval.main(["--tasks", "40", "--chunk", "3"]) == 0


@pytest.mark.parametrize("n, steps", [(40, 60), (17, 25), (4, 10)])
def test_halo_matches_serial(comm, n, steps):
    if comm.Get_size() > n:
        pytest.skip("more processes than points")
    parts = comm.allgather(halo1d.solve_parallel(comm, n, steps))
    assert np.array_equal(np.concatenate(parts), halo1d.solve_serial(n, steps))


def test_halo_main():
    assert halo1d.main(["--n", "30", "--steps", "20"]) == 0


def test_halo_block_covers_line():
    for n, parts in [(10, 3), (7, 7), (23, 5)]:
        blocks = [halo1d.block(n, parts, i) for i in range(parts)]
        assert sum(c for _, c in blocks) == n
        assert all(s1 == s0 + c0 for (s0, c0), (s1, _) in zip(blocks, blocks[1:]))

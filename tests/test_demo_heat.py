"""The 2-D heat demo (demo/heat2d.py), run in-process at the job's size: both halo
exchanges reproduce the serial NumPy solution exactly, on even and uneven splits."""

import importlib.util
import pathlib

import pytest

from mpipy import MPI

np = pytest.importorskip("numpy")

_path = pathlib.Path(__file__).resolve().parent.parent / "demo" / "heat2d.py"
_spec = importlib.util.spec_from_file_location("heat2d", _path)
heat2d = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(heat2d)


@pytest.mark.parametrize("n, parts", [(10, 1), (10, 3), (7, 7), (23, 5), (3, 4)])
def test_block_covers_grid(n, parts):
    blocks = [heat2d.block(n, parts, i) for i in range(parts)]
    assert sum(count for _, count in blocks) == n
    assert blocks[0][0] == 0
    for (s0, c0), (s1, _) in zip(blocks, blocks[1:]):
        assert s1 == s0 + c0
    assert max(c for _, c in blocks) - min(c for _, c in blocks) <= 1


def test_serial_conserves_nothing_but_decays():
    u0 = heat2d.initial_condition(16, 12)
    u = heat2d.solve_serial(16, 12, 30)
    assert u.shape == u0.shape
    assert np.all(u[0, :] == 0) and np.all(u[:, -1] == 0)  # boundary held
    assert 0 < u.sum() < u0.sum()  # heat leaves through the boundary
    assert u.max() < u0.max()


@pytest.mark.parametrize("exchange", ["sendrecv", "neighbor"])
@pytest.mark.parametrize("nx, ny", [(24, 16), (37, 23), (5, 9)])
def test_parallel_matches_serial(exchange, nx, ny):
    comm = MPI.COMM_WORLD
    dims = MPI.Compute_dims(comm.Get_size(), 2)
    if nx < dims[0] or ny < dims[1]:
        pytest.skip(f"{nx}x{ny} grid is too small for {dims[0]}x{dims[1]} processes")
    steps = 40
    u = heat2d.solve_parallel(comm, nx, ny, steps, exchange)
    reference = heat2d.solve_serial(nx, ny, steps)
    assert np.max(np.abs(u - reference)) <= heat2d.TOLERANCE


def test_halo_neighbours_match_cartesian_shift():
    comm = MPI.COMM_WORLD
    cart = heat2d.make_cart(comm)
    try:
        sub = heat2d.Subdomain(cart, 20, 20)
        # Neighbor order for a Cartesian topology: per dimension, lower then upper.
        expect = [sub.down_x, sub.up_x, sub.down_y, sub.up_y]
        ranks = np.full(4, -7, dtype="i")
        # every process sends its own rank to all four neighbours
        cart.Neighbor_alltoall(np.full(4, cart.Get_rank(), dtype="i"), ranks)
        for got, neighbour in zip(ranks.tolist(), expect):
            assert got == (-7 if neighbour == MPI.PROC_NULL else neighbour)
    finally:
        cart.Free()


def test_missing_halo_is_detected():
    # Without halo exchange the blocks evolve on their own: for more than one process the
    # result differs from the serial one, so the demo's check has teeth.
    comm = MPI.COMM_WORLD
    cart = heat2d.make_cart(comm)
    try:
        sub = heat2d.Subdomain(cart, 24, 16)
        for _ in range(40):
            heat2d.step(sub.u)
        u = sub.gather(24, 16)
    finally:
        cart.Free()
    error = np.max(np.abs(u - heat2d.solve_serial(24, 16, 40)))
    if comm.Get_size() == 1:
        assert error == 0
    else:
        assert error > heat2d.TOLERANCE


def test_main_exit_status(capsys):
    status = heat2d.main(["--nx", "20", "--ny", "12", "--steps", "10"])
    assert status == 0
    out = capsys.readouterr().out
    if MPI.COMM_WORLD.Get_rank() == 0:
        assert out.count("(ok)") == 2 and "MISMATCH" not in out

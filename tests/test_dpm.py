"""Dynamic process management: ports and names, Accept/Connect, Join, and Spawn /
Spawn_multiple of Python children that talk back to their parents."""

import os
import pathlib
import socket
import sys
import textwrap

import pytest

import mpipy
from mpipy import MPI

WORLD = MPI.COMM_WORLD
MPIPY_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(mpipy.__file__)))

# A child: finds mpipy through argv[1], answers its parent with (its rank, the world size
# of the children, the remaining arguments), then leaves.
CHILD = textwrap.dedent("""\
    import sys
    sys.path.insert(0, sys.argv[1])
    from mpipy import MPI
    parent = MPI.Comm.Get_parent()
    assert parent != MPI.COMM_NULL
    value = parent.bcast(None, root=0)
    parent.send((MPI.COMM_WORLD.Get_rank(), MPI.COMM_WORLD.Get_size(), sys.argv[2:], value),
                dest=0, tag=5)
    parent.Disconnect()
    assert MPI.Comm.Get_parent() == MPI.COMM_NULL
    """)


@pytest.fixture(scope="module")
def child_script(tmp_path_factory):
    path = None
    if WORLD.Get_rank() == 0:
        path = tmp_path_factory.mktemp("dpm") / "child.py"
        path.write_text(CHILD)
        path = str(path)
    return WORLD.bcast(path, root=0)


def talk_to_children(child, expected_total, value="hello"):
    """The parents' side: broadcast `value`, gather every child's answer at rank 0."""
    assert child.Is_inter()
    assert child.Get_remote_size() == expected_total
    assert child.Get_size() == WORLD.Get_size()
    child.bcast(value, root=MPI.ROOT if WORLD.Get_rank() == 0 else MPI.PROC_NULL)
    answers = []
    if WORLD.Get_rank() == 0:
        answers = sorted(child.recv(source=i, tag=5) for i in range(expected_total))
    child.Disconnect()
    assert child == MPI.COMM_NULL
    return WORLD.bcast(answers, root=0)


def test_open_port_fits_max_port_name():
    port = MPI.Open_port()
    try:
        assert isinstance(port, str) and 0 < len(port) <= MPI.MAX_PORT_NAME
    finally:
        MPI.Close_port(port)
    info = MPI.Info.Create()
    port = MPI.Open_port(info)
    MPI.Close_port(port)
    info.Free()


@pytest.mark.mpi(min_size=2)
@pytest.mark.parametrize("server_is_zero", [True, False])
def test_accept_connect(server_is_zero):
    """Rank 0 alone meets the other ranks through a port, either as the server
    (COMM_SELF.Accept) or as the client (COMM_SELF.Connect)."""
    rank, size = WORLD.Get_rank(), WORLD.Get_size()
    group = WORLD.Get_group().Excl([0])
    others = WORLD.Create(group)
    group.Free()
    opener = 0 if server_is_zero else 1
    port = MPI.Open_port() if rank == opener else None
    port = WORLD.bcast(port, root=opener)
    zero_side = MPI.COMM_SELF.Accept if server_is_zero else MPI.COMM_SELF.Connect
    if rank == 0:
        inter = zero_side(port)
    else:
        side = others.Connect if server_is_zero else others.Accept
        inter = side(port if rank == 1 else None, root=0)
        others.Free()
    if rank == opener:
        MPI.Close_port(port)
    assert inter.Get_remote_size() == (size - 1 if rank == 0 else 1)
    if rank == 0:
        for r in range(size - 1):
            inter.send({"to": r}, dest=r, tag=3)
    else:
        assert inter.recv(source=0, tag=3) == {"to": rank - 1}
    inter.Disconnect()


@pytest.mark.mpi(min_size=2)
def test_join_over_a_socket():
    rank = WORLD.Get_rank()
    if rank > 1:
        return
    if rank == 0:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        WORLD.send(server.getsockname(), dest=1)
        conn, _ = server.accept()
        server.close()
    else:
        conn = socket.create_connection(WORLD.recv(source=0))
    try:
        inter = MPI.Comm.Join(conn.fileno())
    finally:
        conn.close()
    assert inter.Is_inter() and inter.Get_remote_size() == 1
    assert inter.sendrecv(rank, dest=0, source=0) == 1 - rank
    inter.Disconnect()


def test_name_publishing():
    service = f"mpipy-test-{os.getpid()}"
    port = MPI.Open_port()
    try:
        MPI.Publish_name(service, port)
    except MPI.Exception as exc:  # no name server reachable: nothing more to test
        MPI.Close_port(port)
        pytest.skip(f"Publish_name: {exc.Get_error_string().splitlines()[0]}")
    assert MPI.Lookup_name(service) == port
    MPI.Unpublish_name(service, port)
    with pytest.raises(MPI.Exception):
        MPI.Lookup_name(service)
    MPI.Close_port(port)


# -- Spawn --------------------------------------------------------------------------------


@pytest.mark.timeout(180)
def test_spawn_children_answer(child_script):
    errcodes = ["stale"]
    child = WORLD.Spawn(
        sys.executable,
        [child_script, MPIPY_PARENT, "a", "b c"],
        maxprocs=2,
        root=0,
        errcodes=errcodes,
    )
    assert errcodes == [MPI.SUCCESS, MPI.SUCCESS]  # replaced, not appended to
    answers = talk_to_children(child, 2)
    assert answers == [(0, 2, ["a", "b c"], "hello"), (1, 2, ["a", "b c"], "hello")]


@pytest.mark.timeout(180)
def test_spawn_arguments_only_at_root(child_script):
    """Elsewhere than the root, command and args are not looked at; a str args is one
    argument."""
    if WORLD.Get_rank() == 0:
        child = WORLD.Spawn(sys.executable, [child_script, MPIPY_PARENT, "x"], 1)
    else:
        child = WORLD.Spawn(None, None, 1)
    assert talk_to_children(child, 1, value=7) == [(0, 1, ["x"], 7)]


@pytest.mark.timeout(180)
def test_spawn_multiple(child_script):
    rank = WORLD.Get_rank()
    errcodes = [[99]]
    if rank == 0:
        child = WORLD.Spawn_multiple(
            [sys.executable, pathlib.Path(sys.executable)],
            [[child_script, MPIPY_PARENT, "first"], (child_script, MPIPY_PARENT, "second")],
            [1, 2],
            info=[MPI.INFO_NULL, MPI.INFO_NULL],
            errcodes=errcodes,
        )
    else:  # elsewhere only maxprocs matters, to size errcodes
        child = WORLD.Spawn_multiple(None, None, [1, 2], errcodes=errcodes)
    assert errcodes == [[MPI.SUCCESS], [MPI.SUCCESS, MPI.SUCCESS]]
    answers = talk_to_children(child, 3)
    assert [a[2] for a in answers] == [["first"], ["second"], ["second"]]
    assert [a[1] for a in answers] == [3, 3, 3]  # one MPI_COMM_WORLD for all children


@pytest.mark.timeout(180)
def test_spawn_multiple_one_value_for_all(child_script):
    """maxprocs as one int and info as one Info apply to every command."""
    if WORLD.Get_rank() == 0:
        child = WORLD.Spawn_multiple(
            [sys.executable] * 2, [[child_script, MPIPY_PARENT]] * 2, 1, MPI.INFO_NULL
        )
    else:
        child = WORLD.Spawn_multiple(None)
    assert len(talk_to_children(child, 2)) == 2


@pytest.mark.parametrize(
    "command, args, maxprocs, info",
    [
        ("python", [["a"]], [1], [MPI.INFO_NULL]),  # a str is not a sequence of commands
        (pathlib.Path("python"), [["a"]], [1], [MPI.INFO_NULL]),
        (["python"], [["a"], ["b"]], [1], [MPI.INFO_NULL]),  # lengths differ
        (["python"], [["a"]], [1, 1], [MPI.INFO_NULL]),
        (["python"], [["a"]], 1, [MPI.INFO_NULL] * 2),
        (["python"], [["a"]], [-1], None),
    ],
)
def test_spawn_multiple_bad_arguments(command, args, maxprocs, info):
    """Refused before MPI is called (on COMM_SELF, so no other process waits)."""
    with pytest.raises(ValueError):
        MPI.COMM_SELF.Spawn_multiple(command, args, maxprocs, info)


def test_spawn_bad_arguments():
    with pytest.raises(ValueError):
        MPI.COMM_SELF.Spawn(sys.executable, None, -1)
    with pytest.raises(TypeError):
        MPI.COMM_SELF.Spawn(sys.executable, None, 1, errcodes=())

"""Bad input raises and the process carries on: one test per class of defect the fuzzer
(tests/test_fuzz.py) found crashing or hanging a process. Each call below used to kill or hang
the process; a regression ends the run here (the harness reports it)."""

import array

import pytest

from mpipy import MPI


def error_class(excinfo):
    return excinfo.value.Get_error_class()


def assert_each_raises(calls, errclass):
    """Every call raises MPI.Exception of error class `errclass` (and the process lives)."""
    for call in calls:
        with pytest.raises(MPI.Exception) as e:
            call()
        assert error_class(e) == errclass, call


# -- Vector collectives: a missing buffer spec, a block to itself of another size ---------------


def vector_forms(comm, name):
    """The blocking, nonblocking and persistent forms of a collective, as callables."""
    forms = [getattr(comm, name), getattr(comm, "I" + name[0].lower() + name[1:])]
    forms.append(getattr(comm, name + "_init"))
    return forms


def run(form, *args):
    """Call a form; a request it returns is completed (and freed, when persistent)."""
    req = form(*args)
    if isinstance(req, MPI.Prequest):
        req.Start()
        req.Wait()
        req.Free()
    elif isinstance(req, MPI.Request):
        req.Wait()


@pytest.mark.parametrize("name", ["Alltoallv", "Allgatherv"])
def test_vector_none_receive_spec(comm, size, name):
    for form in vector_forms(comm, name):
        with pytest.raises(TypeError):
            form(bytearray(8 * size), None)


def test_alltoallw_none_specs(comm, size):
    buf = bytearray(4 * size)
    spec = [buf, [4] * size, [4 * i for i in range(size)], [MPI.BYTE] * size]
    for form in vector_forms(comm, "Alltoallw"):
        with pytest.raises(TypeError):
            form(spec, None)
        with pytest.raises(TypeError):
            form(None, None)
        with pytest.raises(TypeError):  # datatypes None
            form([buf, None], [bytearray(4 * size), None])


@pytest.mark.parametrize("name", ["Gatherv", "Scatterv"])
def test_rooted_vector_none_spec(name):
    comm = MPI.COMM_SELF  # a root-only spec: only the root would raise on a larger comm
    for form in vector_forms(comm, name):
        args = (bytearray(8), None) if name == "Gatherv" else (None, bytearray(8))
        with pytest.raises(TypeError):
            form(*args)


def test_vector_none_send_is_in_place(comm, size, rank):
    # As in mpi4py: None for the send buffer of Alltoallv/Allgatherv means IN_PLACE.
    data = array.array("i", [rank * 10 + i for i in range(size)])
    for form in vector_forms(comm, "Alltoallv"):
        buf = array.array("i", data)
        run(form, None, buf)
        assert list(buf) == [i * 10 + rank for i in range(size)]


def test_own_block_size_mismatch(comm, size):
    # What a process sends itself differs in size from what it receives from itself: MPICH
    # waited forever (COMM_SELF), others truncate. Every process has such a block: all raise.
    for form in vector_forms(comm, "Alltoallv"):
        with pytest.raises(ValueError):
            form([bytearray(size), 1, MPI.BYTE], [bytearray(2 * size), 2, MPI.BYTE])
    for form in vector_forms(comm, "Allgatherv"):
        with pytest.raises(ValueError):
            form([bytearray(1), 1, MPI.BYTE], [bytearray(2 * size), 2, MPI.BYTE])
    for form in vector_forms(comm, "Alltoallw"):
        send = [bytearray(size), [1] * size, list(range(size)), [MPI.BYTE] * size]
        recv = [bytearray(4 * size), [1] * size, [4 * i for i in range(size)], [MPI.INT] * size]
        with pytest.raises(ValueError):
            form(send, recv)
    self_comm = MPI.COMM_SELF
    with pytest.raises(ValueError):
        self_comm.Gatherv([bytearray(1), 1, MPI.BYTE], [bytearray(2), 2, MPI.BYTE])
    with pytest.raises(ValueError):
        self_comm.Scatterv([bytearray(2), 2, MPI.BYTE], [bytearray(1), 1, MPI.BYTE])
    # Equal sizes in other datatypes are fine.
    recv = bytearray(4)
    self_comm.Alltoallv([array.array("i", [7]), 1, MPI.INT], [recv, 4, MPI.BYTE])
    assert bytes(recv) == array.array("i", [7]).tobytes()


# -- Handles freed through another object holding them ------------------------------------------


ALIASES = [
    pytest.param(lambda t: MPI.Datatype.fromhandle(t.handle), id="fromhandle"),
    pytest.param(lambda t: MPI.Datatype(t), id="copy"),
]


@pytest.mark.parametrize("alias_of", ALIASES)
def test_freed_datatype_alias(alias_of):
    t = MPI.INT.Create_contiguous(2).Commit()
    alias = alias_of(t)
    t.Free()
    comm = MPI.COMM_SELF
    buf = bytearray(64)
    spec = [buf, 1, alias]
    calls = [
        lambda: comm.Send_init(spec, 0),
        lambda: comm.Bsend_init(spec, 0),
        lambda: comm.Ssend_init(spec, 0),
        lambda: comm.Rsend_init(spec, 0),
        lambda: comm.Recv_init(spec, 0),
        lambda: comm.Isend(spec, 0),
        lambda: comm.Allgather_init(spec, [bytearray(64), 1, alias]),
        lambda: comm.Gather_init([bytearray(8), 8, MPI.BYTE], spec),
        lambda: comm.Scatter_init(spec, [bytearray(8), 8, MPI.BYTE]),
        lambda: comm.Alltoall_init([bytearray(8), 8, MPI.BYTE], spec),
        lambda: comm.Alltoall([bytearray(8), 8, MPI.BYTE], spec),
        lambda: comm.Alltoallw([bytearray(8), [1], [0], [alias]], [buf, [1], [0], [alias]]),
        lambda: comm.Bcast(spec),
        lambda: alias.Get_size(),
        lambda: alias.Get_extent(),
        lambda: alias.Dup(),
        lambda: alias.Create_contiguous(2),
        lambda: alias.Pack_size(1, comm),
        lambda: MPI.Datatype.Create_struct([1], [0], [alias]),
        lambda: alias.Free(),
        lambda: alias.free(),
    ]
    cart = comm.Create_cart([1], [True])
    try:
        calls.append(lambda: cart.Neighbor_allgather_init(spec, [bytearray(64), 1, alias]))
        calls.append(lambda: cart.Neighbor_alltoall_init(spec, [bytearray(64), 1, alias]))
        assert_each_raises(calls, MPI.ERR_TYPE)
    finally:
        cart.Free()
    assert alias  # still holding the freed handle: only its uses raise


def test_freed_datatype_handle_given_again():
    # When MPI hands the handle out again, objects holding it describe the new datatype.
    t = MPI.INT.Create_contiguous(2).Commit()
    alias = MPI.Datatype.fromhandle(t.handle)
    t.Free()
    fresh = [MPI.INT.Create_contiguous(3).Commit() for _ in range(4)]
    try:
        for f in fresh:
            assert f.Get_size() == 12
        if any(f.handle == alias.handle for f in fresh):
            assert alias.Get_size() == 12
    finally:
        for f in fresh:
            f.Free()


def test_datatype_references_counted():
    # Get_contents hands out the base datatype again: freeing what it gave leaves the base.
    base = MPI.INT.Create_contiguous(2).Commit()
    vec = base.Create_vector(2, 1, 3).Commit()
    inner = vec.Get_contents()[-1]
    for t in inner:
        if not t.is_predefined:
            t.Free()
    assert base.Get_size() == 8
    vec.Free()
    base.Free()


def test_freed_group_and_info_aliases():
    g1 = MPI.COMM_SELF.Get_group()
    g2 = MPI.COMM_SELF.Get_group()  # MPI may give the same handle twice: both are references
    alias = MPI.Group.fromhandle(g1.handle)
    g1.Free()
    assert g2.Get_size() == 1
    g2.Free()
    if alias.handle == g2.handle or not g2:
        # No reference left to the handle the alias holds (unless MPI shares it).
        try:
            alias.Get_size()
        except MPI.Exception as e:
            assert e.Get_error_class() == MPI.ERR_GROUP
    info = MPI.Info.Create()
    info_alias = MPI.Info.fromhandle(info.handle)
    info.Free()
    assert_each_raises(
        [
            info_alias.Free,
            info_alias.free,
            info_alias.Get_nkeys,
            info_alias.Dup,
            lambda: MPI.COMM_SELF.Dup(info_alias),
        ],
        MPI.ERR_INFO,
    )


# -- Integers and other objects where a handle or a list is expected ---------------------------


@pytest.mark.parametrize("errhandler", [2**31, -1, "x", MPI.INFO_NULL])
def test_errhandler_argument_type(errhandler):
    group = MPI.COMM_SELF.Get_group()
    try:
        with pytest.raises(TypeError):
            MPI.Intracomm.Create_from_group(group, errhandler=errhandler)
    finally:
        group.Free()


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda c: c.Create_dist_graph(-1, [1], [0]), id="sources=-1"),
        pytest.param(lambda c: c.Create_dist_graph([1], [1], [0]), id="sources=[1]"),
        pytest.param(lambda c: c.Create_dist_graph([0], [1], [2**30]), id="destinations"),
        pytest.param(lambda c: c.Create_dist_graph_adjacent(-1, [0]), id="adjacent-sources"),
        pytest.param(lambda c: c.Create_dist_graph_adjacent([0], [5]), id="adjacent-dest"),
        pytest.param(lambda c: c.Create_graph([1], [3]), id="graph-edges"),
    ],
)
def test_topology_ranks_checked(make):
    with pytest.raises(MPI.Exception) as e:
        make(MPI.COMM_SELF)
    assert error_class(e) == MPI.ERR_RANK


def test_topology_lists_type_and_range():
    comm = MPI.COMM_SELF
    with pytest.raises((TypeError, OverflowError)):
        comm.Create_dist_graph([2**40], [1], [0])
    with pytest.raises(TypeError):
        comm.Create_dist_graph(["x"], [1], [0])
    with pytest.raises(ValueError):
        comm.Create_dist_graph([0], -1, [0])


@pytest.mark.parametrize("buf", [None, MPI.BOTTOM])
def test_sendrecv_replace_without_buffer(comm, rank, buf):
    with pytest.raises(TypeError):
        comm.Isendrecv_replace(buf, rank, 0, rank, 0)
    with pytest.raises(TypeError):
        comm.Sendrecv_replace(buf, rank, 0, rank, 0)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c, spec: c.Isendrecv_replace(spec, 0, 0, 0, 0), id="Isendrecv_replace"),
        pytest.param(lambda c, spec: c.Sendrecv_replace(spec, 0, 0, 0, 0), id="Sendrecv_replace"),
        pytest.param(lambda c, spec: c.Send(spec, 0), id="Send"),
        pytest.param(lambda c, spec: c.Allgather(spec, bytearray(4)), id="Allgather-send"),
        pytest.param(lambda c, spec: c.Allgather(bytearray(4), spec), id="Allgather-recv"),
        pytest.param(lambda c, spec: c.Gather(spec, bytearray(4)), id="Gather"),
        pytest.param(lambda c, spec: c.Scatter(bytearray(4), spec), id="Scatter"),
        pytest.param(lambda c, spec: c.Iallgather(spec, bytearray(4)), id="Iallgather"),
        pytest.param(lambda c, spec: c.Bcast(spec), id="Bcast"),
    ],
)
def test_bottom_without_absolute_addresses(call):
    # BOTTOM with a datatype that holds no absolute address is a null buffer (Open MPI's
    # collectives and the in-place copies read page zero).
    with pytest.raises(MPI.Exception) as e:
        call(MPI.COMM_SELF, [MPI.BOTTOM, 1, MPI.INT])
    assert error_class(e) == MPI.ERR_BUFFER


def test_bottom_with_absolute_addresses():
    src = array.array("i", [42])
    dst = array.array("i", [0])
    stype = MPI.Datatype.Create_struct([1], [MPI.Get_address(src)], [MPI.INT]).Commit()
    rtype = MPI.Datatype.Create_struct([1], [MPI.Get_address(dst)], [MPI.INT]).Commit()
    try:
        MPI.COMM_SELF.Allgather([MPI.BOTTOM, 1, stype], [MPI.BOTTOM, 1, rtype])
        assert dst[0] == 42
    finally:
        stype.Free()
        rtype.Free()


def test_freed_op_alias():
    op = MPI.Op.Create(lambda a, b, t: None)
    alias = MPI.Op.fromhandle(op.handle)
    op.Free()
    assert_each_raises(
        [
            alias.Free,
            alias.free,
            alias.Is_commutative,
            lambda: MPI.COMM_SELF.Allreduce(bytearray(4), bytearray(4), alias),
        ],
        MPI.ERR_OP,
    )


# -- Ranks out of range on topology communicators (used to hang) --------------------------------


@pytest.mark.parametrize("peer", [1, 5, -7])
def test_graph_comm_p2p_bad_rank(peer):
    graph = MPI.COMM_SELF.Create_graph([1], [0])
    buf = bytearray(8)
    calls = [
        lambda: graph.Send(buf, peer),
        lambda: graph.Ssend(buf, peer),
        lambda: graph.Rsend(buf, peer),
        lambda: graph.Recv(buf, peer),
        lambda: graph.Sendrecv(buf, peer, 0, bytearray(8), peer),
        lambda: graph.Sendrecv_replace(buf, peer, 0, peer),
        lambda: graph.Probe(peer),
        lambda: graph.Mprobe(peer),
        lambda: graph.send(1, peer),
        lambda: graph.recv(None, peer),
        lambda: graph.probe(peer),
        lambda: graph.mprobe(peer),
    ]
    try:
        assert_each_raises(calls, MPI.ERR_RANK)
    finally:
        graph.Free()


# -- A request pending at exit (its spec a list) ------------------------------------------------


def test_pending_object_receive_at_exit(tmp_path):
    # An irecv whose buffer spec is a list, left pending when the process ends: the process
    # exits cleanly (it used to die in a static destructor after Python had finalized).
    import subprocess
    import sys

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    import fuzz_driver

    script = tmp_path / "pending.py"
    script.write_text(
        "from mpipy import MPI\n"
        "r = MPI.COMM_SELF.irecv([bytearray(8), None], MPI.ANY_SOURCE)\n"
        "print('ok')\n"
    )
    p = subprocess.run(
        [sys.executable, str(script)],
        env=fuzz_driver.child_env(),
        capture_output=True,
        timeout=60,
    )
    assert p.returncode == 0, p.stderr.decode()[-500:]
    assert p.stdout.strip() == b"ok"

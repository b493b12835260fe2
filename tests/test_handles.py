"""Handles: the behaviour every MPI object kind shares (construction, equality, no
hashing, truth value, handle/tohandle/fromhandle, py2f/f2py, toint/fromint, pickling of
predefined handles, Free/free, null and freed handles). Correct at any world size (local
calls only, plus COMM_WORLD.Dup and Free, which every rank makes)."""

import copy
import ctypes
import gc
import pickle
import weakref

import pytest

from mpipy import MPI

# The MPI standard ABI has no Fortran handles: py2f/f2py raise NotImplementedError there.
FORTRAN_HANDLES = MPI._mpi_abi is None


def copies(cls, obj):
    """obj remade by cls from its handle, its integer and (where MPI has them) its Fortran
    handle."""
    made = [cls.fromhandle(obj.handle), cls.fromint(obj.toint())]
    if FORTRAN_HANDLES:
        made.append(cls.f2py(obj.py2f()))
    return made


NULLS = {
    "Comm": "COMM_NULL",
    "Group": "GROUP_NULL",
    "Datatype": "DATATYPE_NULL",
    "Request": "REQUEST_NULL",
    "Op": "OP_NULL",
    "Info": "INFO_NULL",
    "Errhandler": "ERRHANDLER_NULL",
    "Message": "MESSAGE_NULL",
    "Win": "WIN_NULL",
    "File": "FILE_NULL",
    "Session": "SESSION_NULL",
}
# The error class of using a null handle of each kind (several acceptable where MPIs
# differ).
NULL_ERROR_CLASSES = {
    "Comm": ["ERR_COMM"],
    "Group": ["ERR_GROUP"],
    "Datatype": ["ERR_TYPE"],
    "Request": ["ERR_REQUEST"],
    "Op": ["ERR_OP"],
    "Info": ["ERR_INFO", "ERR_ARG"],
    "Errhandler": ["ERR_ERRHANDLER", "ERR_ARG"],
    "Win": ["ERR_WIN"],
    "File": ["ERR_FILE"],
    "Session": ["ERR_SESSION", "ERR_OTHER"],
}
# How each kind lets go of its handle.
FREE_METHOD = {
    "Comm": "Free",
    "Group": "Free",
    "Datatype": "Free",
    "Request": "Free",
    "Op": "Free",
    "Info": "Free",
    "Errhandler": "Free",
    "Win": "Free",
    "File": "Close",
    "Session": "Finalize",
}
SUBCLASSES = {
    "Comm": [
        "Intracomm",
        "Topocomm",
        "Cartcomm",
        "Graphcomm",
        "Distgraphcomm",
        "Intercomm",
    ],
    "Request": ["Prequest", "Grequest"],
}


def root_kind(obj):
    for kind in NULLS:
        if isinstance(obj, getattr(MPI, kind)):
            return kind
    raise AssertionError(f"not a handle: {obj!r}")


def handle_constants():
    """(name, object) of every module constant that is an MPI handle."""
    out = []
    for name in sorted(dir(MPI)):
        value = getattr(MPI, name)
        if not name.startswith("_") and name.isupper() and hasattr(type(value), "py2f"):
            out.append((name, value))
    return out


CONSTANTS = handle_constants()

# -- Null constants and construction ---------------------------------------------------


def test_every_kind_has_a_null_constant():
    for kind, name in NULLS.items():
        null = getattr(MPI, name)
        assert type(null) is getattr(MPI, kind), name
        assert not null
        assert null == getattr(MPI, kind)()


@pytest.mark.parametrize("kind", list(NULLS) + [s for v in SUBCLASSES.values() for s in v])
def test_default_constructor_is_null(kind):
    cls = getattr(MPI, kind)
    obj = cls()
    assert type(obj) is cls
    assert not obj
    null = getattr(MPI, NULLS[root_kind(obj)])
    assert obj == null and not (obj != null)
    assert obj.handle == null.handle
    assert obj is not null


def test_copy_constructor():
    for _name, obj in CONSTANTS:
        cls = type(obj)
        copy = cls(obj)
        assert type(copy) is cls and copy is not obj
        assert copy == obj and copy.handle == obj.handle
        assert bool(copy) == bool(obj)


def test_constructor_rejects_other_kinds():
    with pytest.raises(TypeError):
        MPI.Comm(MPI.INT)
    with pytest.raises(TypeError):
        MPI.Datatype(MPI.COMM_WORLD)
    with pytest.raises(TypeError):
        MPI.Errhandler(MPI.SUM)
    with pytest.raises(TypeError):
        MPI.Group(3)
    with pytest.raises(TypeError):
        MPI.Op("SUM")
    with pytest.raises(TypeError):
        MPI.Info(3.0)


def test_constructor_of_none_is_null():
    # As mpi4py: T(None) is T().
    for kind, name in NULLS.items():
        obj = getattr(MPI, kind)(None)
        assert type(obj) is getattr(MPI, kind) and obj == getattr(MPI, name) and not obj


def test_python_subclass_new_may_replace_the_argument():
    # A subclass's __new__ may hand its base another object than it was given (mpi4py
    # makes objects in __new__; __init__ does nothing).
    class MyCartcomm(MPI.Cartcomm):
        def __new__(cls, comm=None):
            if comm is not None and comm != MPI.COMM_NULL:
                comm = comm.Create_cart([comm.Get_size()])
            return super().__new__(cls, comm)

    cart = MyCartcomm(MPI.COMM_WORLD)
    try:
        assert type(cart) is MyCartcomm and cart.Get_topology() == MPI.CART
        clone = cart.Clone()
        assert type(clone) is MyCartcomm
        clone.Free()
    finally:
        cart.Free()
    assert type(MyCartcomm()) is MyCartcomm and not MyCartcomm()
    with pytest.raises(TypeError):
        MPI.Cartcomm(MPI.COMM_WORLD)  # the base class still checks its argument


def test_subclass_constructors_check_the_kind():
    world = MPI.COMM_WORLD
    assert type(MPI.Comm(world)) is MPI.Comm
    assert type(MPI.Intracomm(world)) is MPI.Intracomm
    for cls in (
        MPI.Intercomm,
        MPI.Topocomm,
        MPI.Cartcomm,
        MPI.Graphcomm,
        MPI.Distgraphcomm,
    ):
        with pytest.raises(TypeError):
            cls(world)
        assert not cls(MPI.COMM_NULL)  # a null handle suits every class
    assert type(MPI.Prequest(MPI.REQUEST_NULL)) is MPI.Prequest


# -- Equality, hashing, ordering, truth ------------------------------------------------


def test_truth_value():
    for name, obj in CONSTANTS:
        assert bool(obj) == (obj.handle != getattr(MPI, NULLS[root_kind(obj)]).handle), name
        if name.endswith("_NULL"):
            assert not obj, name
    for obj in (
        MPI.COMM_WORLD,
        MPI.COMM_SELF,
        MPI.ERRORS_RETURN,
        MPI.ERRORS_ARE_FATAL,
        MPI.INT,
        MPI.DOUBLE,
        MPI.BYTE,
        MPI.SUM,
        MPI.MAX,
        MPI.GROUP_EMPTY,
    ):
        assert obj


def test_equality_by_handle():
    assert MPI.COMM_WORLD == MPI.Comm(MPI.COMM_WORLD)
    assert MPI.COMM_WORLD != MPI.COMM_SELF
    assert not (MPI.COMM_WORLD == MPI.COMM_SELF)
    assert MPI.INT == MPI.SIGNED_INT  # two names, one handle
    assert MPI.INT != MPI.FLOAT
    assert MPI.SUM != MPI.PROD


def test_equality_across_kinds_and_types():
    assert MPI.COMM_WORLD != MPI.GROUP_EMPTY
    assert not (MPI.COMM_NULL == MPI.GROUP_NULL)
    assert MPI.COMM_WORLD != 1 and not (MPI.COMM_WORLD == 1)
    assert MPI.INT != "INT"
    assert MPI.COMM_WORLD.handle == MPI.COMM_WORLD.handle


def test_equality_with_none():
    assert MPI.COMM_WORLD != None  # noqa: E711
    assert not (MPI.INT == None)  # noqa: E711
    assert not (None == MPI.COMM_NULL)  # noqa: E711


def test_unhashable():
    for _name, obj in CONSTANTS:
        with pytest.raises(TypeError):
            hash(obj)
        with pytest.raises(TypeError):
            {obj}  # noqa: B018


def test_unorderable():
    with pytest.raises(TypeError):
        MPI.COMM_WORLD < MPI.COMM_SELF  # noqa: B015
    with pytest.raises(TypeError):
        MPI.INT >= MPI.INT  # noqa: B015


# -- handle, fromhandle, py2f/f2py, toint/fromint --------------------------------------


def test_fromhandle():
    for name, obj in CONSTANTS:
        assert type(obj.handle) is int, name
        root = getattr(MPI, root_kind(obj))
        again = root.fromhandle(obj.handle)
        assert again == obj and again is not obj, name
        assert isinstance(again, root)
        assert again.handle == obj.handle


def test_tohandle():
    # mpi4py 4.2's name: the `handle` value, taken back by fromhandle.
    objects = list(CONSTANTS) + [(kind, getattr(MPI, kind)()) for kind in NULLS]
    dup = MPI.COMM_WORLD.Dup()
    dtype = MPI.INT.Create_contiguous(2)
    info = MPI.Info.Create({"a": "b"})
    group = MPI.COMM_WORLD.Get_group()
    request = MPI.COMM_SELF.Irecv(bytearray(1), 0, 17)
    session = MPI.Session.Init()
    made = [dup, dtype, info, group, request, session, MPI.Intracomm(dup)]
    try:
        for name, obj in objects + [(type(o).__name__, o) for o in made]:
            value = obj.tohandle()
            assert type(value) is int and value == obj.handle and value >= 0, name
            again = type(obj).fromhandle(value)
            assert again == obj and type(again) is type(obj), name
    finally:
        MPI.COMM_SELF.Send(bytearray(1), 0, 17)
        request.Wait()
        for obj in (dup, dtype, info, group):
            obj.Free()
        session.Finalize()
    # A freed object's handle is the null one.
    assert dup.tohandle() == MPI.COMM_NULL.tohandle()
    assert session.tohandle() == MPI.SESSION_NULL.handle
    with pytest.raises(TypeError):
        MPI.Comm.tohandle(MPI.INT)


@pytest.mark.skipif(FORTRAN_HANDLES, reason="built for an MPI with Fortran handles")
def test_py2f_f2py_without_fortran_handles():
    # The MPI standard ABI has no Fortran handles (MPI_Comm_c2f, ...): as in mpi4py, the
    # conversions raise NotImplementedError naming the MPI function.
    with pytest.raises(NotImplementedError, match="MPI_Comm_c2f"):
        MPI.COMM_WORLD.py2f()
    with pytest.raises(NotImplementedError, match="MPI_Type_f2c"):
        MPI.Datatype.f2py(MPI.INT.toint())
    with pytest.raises(NotImplementedError, match="MPI_Status_c2f"):
        MPI.Status().py2f()
    with pytest.raises(NotImplementedError, match="MPI_Status_f2c"):
        MPI.Status.f2py([0] * MPI.F_STATUS_SIZE)


@pytest.mark.skipif(not FORTRAN_HANDLES, reason="the MPI standard ABI has no Fortran handles")
def test_py2f_f2py():
    for name, obj in CONSTANTS:
        fint = obj.py2f()
        assert type(fint) is int, name
        root = getattr(MPI, root_kind(obj))
        again = root.f2py(fint)
        assert again == obj and isinstance(again, root), name


def test_toint_fromint():
    for name, obj in CONSTANTS:
        value = obj.toint()
        assert type(value) is int, name
        root = getattr(MPI, root_kind(obj))
        again = root.fromint(value)
        assert again == obj and isinstance(again, root), name


def test_comm_from_handle_gets_its_subclass():
    convs = {"fromhandle": MPI.COMM_WORLD.handle, "fromint": MPI.COMM_WORLD.toint()}
    if FORTRAN_HANDLES:
        convs["f2py"] = MPI.COMM_WORLD.py2f()
    for conv, arg in convs.items():
        for cls in (MPI.Comm, MPI.Intracomm, MPI.Intercomm):
            obj = getattr(cls, conv)(arg)
            assert type(obj) is MPI.Intracomm and obj == MPI.COMM_WORLD
    assert MPI.Comm.fromhandle(MPI.COMM_NULL.handle) == MPI.COMM_NULL


def test_conversions_make_the_class_called_on():
    for cls in (MPI.Request, MPI.Prequest, MPI.Grequest):
        null = MPI.REQUEST_NULL
        for again in copies(cls, null):
            assert type(again) is cls and again == null
    again = MyGroup.fromhandle(MPI.GROUP_EMPTY.handle)
    assert type(again) is MyGroup and again == MPI.GROUP_EMPTY


def test_handle_is_unsigned():
    dtype = MPI.INT.Create_contiguous(3)  # MPICH: a handle with its high bit set
    try:
        assert dtype.handle >= 0
        again = MPI.Datatype.fromhandle(dtype.handle)
        assert again == dtype and again.Get_size() == 3 * MPI.INT.Get_size()
    finally:
        dtype.Free()
    for _name, obj in CONSTANTS:
        assert obj.handle >= 0


def test_handle_conversions_bad_arguments():
    with pytest.raises(TypeError):
        MPI.Comm.fromhandle("0")
    with pytest.raises(TypeError):
        MPI.Datatype.f2py(None)
    with pytest.raises(TypeError):
        MPI.Op.fromint(1.0)
    with pytest.raises(AttributeError):
        MPI.COMM_WORLD.handle = 0


def test_handle_of_dup_roundtrip():
    dup = MPI.COMM_WORLD.Dup()
    try:
        for again in copies(MPI.Comm, dup):
            assert again == dup and type(again) is MPI.Intracomm
            assert again.Get_size() == dup.Get_size()
    finally:
        dup.Free()


# -- Pickling --------------------------------------------------------------------------


def test_pickle_predefined():
    for name, obj in CONSTANTS:
        for protocol in (0, pickle.HIGHEST_PROTOCOL):
            again = pickle.loads(pickle.dumps(obj, protocol))
            # The very module constant (aliases of one handle are one object).
            assert again is obj, name


def test_aliases_are_one_object():
    assert MPI.FLOAT32_T is MPI.FLOAT and MPI.FLOAT64_T is MPI.DOUBLE
    assert MPI.SIGNED_INT is MPI.INT and MPI.UNSIGNED_INT is MPI.UNSIGNED
    assert MPI.BOOL is MPI.C_BOOL and MPI.TWOINT is MPI.INT_INT
    assert MPI.F_INT is MPI.INTEGER and MPI.F_BOOL is MPI.LOGICAL


def pickle_copiers():
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        yield lambda obj, p=protocol: pickle.loads(pickle.dumps(obj, p))
    yield copy.copy
    yield copy.deepcopy


def test_pickle_copies_of_constants():
    """A copy of a constant comes back as a new object of the copy's class (subclasses of
    the user's kept), with the constant's handle; the constant itself as itself."""
    for name, obj in CONSTANTS:
        for copier in pickle_copiers():
            assert copier(obj) is obj, name
            again = copier(type(obj)(obj))
            assert type(again) is type(obj) and again == obj and again is not obj, name


class MyGroup(MPI.Group):
    pass


class MyComm(MPI.Intracomm):
    pass


class MyStatus(MPI.Status):
    pass


def test_pickle_keeps_subclasses():
    for obj in (MyGroup(MPI.GROUP_EMPTY), MyComm(MPI.COMM_SELF), MyGroup()):
        for copier in pickle_copiers():
            again = copier(obj)
            assert type(again) is type(obj) and again == obj
    status = MyStatus()
    status.source, status.tag = 3, 7
    for copier in pickle_copiers():
        again = copier(status)
        assert type(again) is MyStatus and again is not status
        assert (again.source, again.tag) == (3, 7)


def test_pickle_user_handles_refused():
    dup = MPI.COMM_WORLD.Dup()
    try:
        with pytest.raises(ValueError):
            pickle.dumps(dup)
    finally:
        dup.Free()
    group = MPI.COMM_WORLD.Get_group()
    try:
        with pytest.raises(ValueError):
            pickle.dumps(group)
    finally:
        group.Free()


@pytest.mark.parametrize("kind", list(NULLS))
def test_pickle_null_objects(kind):
    obj = getattr(MPI, kind)()
    assert pickle.loads(pickle.dumps(obj)) == getattr(MPI, NULLS[kind])


# -- Free, free(), null and freed handles ----------------------------------------------


@pytest.mark.parametrize("kind", list(FREE_METHOD))
def test_free_null_raises(kind):
    null = getattr(MPI, NULLS[kind])
    for obj in (null, getattr(MPI, kind)()):
        with pytest.raises(MPI.Exception) as info:
            getattr(obj, FREE_METHOD[kind])()
        classes = [getattr(MPI, c) for c in NULL_ERROR_CLASSES[kind]]
        assert info.value.Get_error_class() in classes
        assert not obj


def test_free_predefined_raises():
    for name, obj in CONSTANTS:
        if not obj or root_kind(obj) not in FREE_METHOD:
            continue
        handle = obj.handle
        with pytest.raises(MPI.Exception):
            getattr(obj, FREE_METHOD[root_kind(obj)])()
        assert obj and obj.handle == handle, name


def test_free_copies_of_predefined_never_crash():
    # MPI refuses to free these, or mpipy lets go of them without freeing: either way
    # the predefined objects stay usable.
    for obj in (
        MPI.Comm(MPI.COMM_WORLD),
        MPI.Comm(MPI.COMM_SELF),
        MPI.Datatype(MPI.INT),
        MPI.Op(MPI.SUM),
        MPI.Info(MPI.INFO_ENV),
        MPI.Group(MPI.GROUP_EMPTY),
        MPI.Errhandler(MPI.ERRORS_RETURN),
    ):
        try:
            obj.Free()
        except MPI.Exception:
            pass
    assert MPI.COMM_WORLD.Get_size() >= 1 and MPI.COMM_SELF.Get_size() == 1
    assert MPI.INT.Get_size() > 0
    assert MPI.GROUP_EMPTY.Get_size() == 0
    assert MPI.COMM_SELF.Get_errhandler() == MPI.ERRORS_RETURN


def test_lowercase_free_leaves_predefined_and_null_alone():
    for name, obj in CONSTANTS:
        handle = obj.handle
        assert obj.free() is None, name
        assert obj.handle == handle, name


def test_lowercase_free_of_copy_of_predefined():
    # A copy of a constant lets go of the handle (now null); the constant stays.
    for name, obj in CONSTANTS:
        if not obj:
            continue
        copy = type(obj)(obj)
        assert copy.free() is None and not copy, name
        assert obj, name
    assert MPI.COMM_WORLD.Get_size() >= 1


def test_lowercase_free_frees():
    dup = MPI.COMM_WORLD.Dup()
    assert dup.free() is None
    assert not dup and dup == MPI.COMM_NULL
    assert dup.free() is None  # now null: nothing to do
    dtype = MPI.DOUBLE.Dup()
    dtype.free()
    assert dtype == MPI.DATATYPE_NULL


def test_freed_handle_is_null_and_refused():
    dup = MPI.COMM_WORLD.Dup()
    copy = MPI.Comm(dup)
    dup.Free()
    assert not dup and dup == MPI.COMM_NULL and type(dup) is MPI.Intracomm
    for call in (
        dup.Get_size,
        dup.Get_rank,
        dup.Barrier,
        dup.Dup,
        dup.Free,
        dup.Get_group,
        dup.Get_errhandler,
        lambda: dup.Compare(MPI.COMM_WORLD),
        lambda: MPI.COMM_WORLD.Compare(dup),
        lambda: dup.Get_attr(MPI.TAG_UB),
    ):
        with pytest.raises(MPI.Exception) as info:
            call()
        assert info.value.Get_error_class() == MPI.ERR_COMM
    assert copy  # a copy keeps the (now dangling) value; it is the user's to drop
    assert dup.Get_name() == "MPI_COMM_NULL"  # as MPI names a null handle


def test_freed_datatype_group_errhandler():
    dtype = MPI.INT.Dup()
    dtype.Free()
    with pytest.raises(MPI.Exception) as info:
        dtype.Get_size()
    assert info.value.Get_error_class() == MPI.ERR_TYPE
    group = MPI.COMM_WORLD.Get_group()
    group.Free()
    with pytest.raises(MPI.Exception) as info:
        group.Get_size()
    assert info.value.Get_error_class() == MPI.ERR_GROUP
    eh = MPI.COMM_WORLD.Get_errhandler()
    eh.Free()
    with pytest.raises(MPI.Exception):
        eh.Free()


@pytest.mark.parametrize("kind", ["Comm", "Group", "Datatype", "Errhandler", "Op", "Info"])
def test_null_handles_refused_by_methods(kind):
    null = getattr(MPI, NULLS[kind])
    calls = {
        "Comm": [
            lambda: null.Get_size(),
            lambda: null.Barrier(),
            lambda: null.Dup(),
            lambda: null.Set_name("x"),
            lambda: null.Split(0, 0),
            lambda: null.Is_inter(),
            lambda: null.Get_topology(),
            lambda: null.Abort(1),
            lambda: null.Set_errhandler(MPI.ERRORS_RETURN),
        ],
        "Group": [lambda: null.Get_size(), lambda: null.Get_rank()],
        "Datatype": [
            lambda: null.Get_size(),
            lambda: null.Get_extent(),
            lambda: null.Dup(),
            lambda: null.Commit(),
            lambda: null.Get_true_extent(),
            lambda: null.Set_name("x"),
            lambda: null.is_named,
        ],
        "Errhandler": [lambda: MPI.COMM_SELF.Set_errhandler(null)],
        "Op": [lambda: null.Free()],
        "Info": [lambda: null.Free()],
    }[kind]
    for call in calls:
        with pytest.raises(MPI.Exception) as info:
            call()
        assert info.value.Get_error_class() in [getattr(MPI, c) for c in NULL_ERROR_CLASSES[kind]]


def test_garbage_collection_never_frees():
    # Dropping the last Python reference leaves the MPI handle alive (freeing is
    # collective for communicators): the handle can be picked up again and freed
    # explicitly.
    dup = MPI.COMM_WORLD.Dup()
    handle = dup.handle
    del dup
    gc.collect()
    again = MPI.Comm.fromhandle(handle)
    assert again.Get_size() == MPI.COMM_WORLD.Get_size()
    again.Barrier()
    again.Free()


# -- Weak references, and the C side (_sizeof, _addressof, _handleof) --------------------


def test_weak_references():
    for obj in [MPI.Status()] + [obj for _name, obj in CONSTANTS]:
        ref = weakref.ref(obj)
        assert ref() is obj and ref in weakref.getweakrefs(obj)
    status = MPI.Status()
    ref = weakref.ref(status)
    del status
    gc.collect()
    assert ref() is None


def test_weak_references_to_requests_and_messages(comm):
    """Requests and messages (which keep their weak references apart, so that making them
    stays cheap) die with their weak references cleared and callbacks called, in every
    subclass, Python ones included."""

    class MyRequest(MPI.Request):
        pass

    rank = comm.Get_rank()
    died = []
    sreq = comm.Isend(b"abc", rank, 3)
    message = comm.Mprobe(rank, 3)
    objects = [
        comm.Irecv(bytearray(1), MPI.PROC_NULL),
        MPI.Prequest(),
        MPI.Grequest(),
        MyRequest(),
        MPI.Message(),
        message,
    ]
    refs = [weakref.ref(obj, lambda r: died.append(r)) for obj in objects]
    proxies = [weakref.proxy(obj) for obj in objects]
    for obj, ref, proxy in zip(objects, refs, proxies):
        assert (
            ref() is obj and ref in weakref.getweakrefs(obj) and proxy in weakref.getweakrefs(obj)
        )
    message.Recv(bytearray(3))
    sreq.Wait()
    objects[0].Wait()
    copy = MPI.Request(objects[0])  # another object: nothing refers to it
    assert weakref.getweakrefs(copy) == []
    del objects, obj, proxy, message, copy
    gc.collect()
    assert all(ref() is None for ref in refs) and sorted(map(id, died)) == sorted(map(id, refs))


def test_sizeof_addressof_handleof():
    unsigned = {4: ctypes.c_uint32, 8: ctypes.c_uint64}
    signed = {4: ctypes.c_int32, 8: ctypes.c_int64}
    for name, obj in CONSTANTS:
        size = MPI._sizeof(obj)
        assert size == MPI._sizeof(type(obj)) and size in unsigned, name
        addr = MPI._addressof(obj)
        assert addr != 0
        raw = unsigned[size].from_address(addr).value
        # _handleof is the handle as `handle` gives it: an int handle sign-extended, unsigned.
        value = signed[size].from_address(addr).value
        assert MPI._handleof(obj) == obj.handle == value % (1 << 64), name
        assert raw == MPI._handleof(obj) % (1 << (8 * size)), name
    status = MPI.Status()
    assert MPI._sizeof(status) == MPI._sizeof(MPI.Status) > 0
    assert MPI._addressof(status) == MPI._handleof(status) != 0
    for bad in (None, 1, MPI.buffer()):
        with pytest.raises(TypeError):
            MPI._sizeof(bad)
        with pytest.raises(TypeError):
            MPI._addressof(bad)
        with pytest.raises(TypeError):
            MPI._handleof(bad)


def test_write_handle_through_addressof():
    # What C code does with _addressof: store a handle into an object.
    for _name, obj in CONSTANTS:
        size = MPI._sizeof(obj)
        new = type(obj)()
        ctype = {4: ctypes.c_uint32, 8: ctypes.c_uint64}[size]
        ctype.from_address(MPI._addressof(new)).value = ctype.from_address(
            MPI._addressof(obj)
        ).value
        assert new == obj

"""Attribute caching on communicators and datatypes: keyvals, Python values, copy callbacks
run by Dup and delete callbacks run by Free, Delete_attr and replacement (each counted),
nopython keyvals, exceptions in callbacks, and freed keyvals."""

import gc
import weakref

import pytest

from mpipy import MPI


class Callbacks:
    """Copy and delete functions that record their calls."""

    def __init__(self, copy_result=None):
        self.copies = []
        self.deletes = []
        self.copy_result = copy_result

    def copy(self, obj, keyval, value):
        self.copies.append((obj, keyval, value))
        return self.copy_result(value) if self.copy_result else value

    def delete(self, obj, keyval, value):
        self.deletes.append((obj, keyval, value))


# The two kinds with attributes here: how to make, duplicate and free an object of each.
class CommKind:
    cls = MPI.Comm

    @staticmethod
    def make():
        return MPI.COMM_WORLD.Dup()


class DatatypeKind:
    cls = MPI.Datatype

    @staticmethod
    def make():
        return MPI.INT.Dup()


class WinKind:  # no Dup: only for the tests that do not copy
    cls = MPI.Win

    @staticmethod
    def make():
        return MPI.Win.Create(None, comm=MPI.COMM_SELF)


@pytest.fixture(params=[CommKind, DatatypeKind], ids=["Comm", "Datatype"])
def kind(request):
    return request.param


@pytest.fixture
def obj(kind):
    o = kind.make()
    yield o
    if o:
        o.Free()


def test_set_get_delete(kind, obj):
    keyval = kind.cls.Create_keyval()
    try:
        assert isinstance(keyval, int) and keyval != MPI.KEYVAL_INVALID
        assert obj.Get_attr(keyval) is None
        value = {"a": [1, 2]}
        obj.Set_attr(keyval, value)
        assert obj.Get_attr(keyval) is value  # the same object, not a copy
        obj.Set_attr(keyval, None)
        assert obj.Get_attr(keyval) is None
        obj.Set_attr(keyval, 3)
        obj.Delete_attr(keyval)
        assert obj.Get_attr(keyval) is None
    finally:
        assert kind.cls.Free_keyval(keyval) == MPI.KEYVAL_INVALID


def test_delete_callback_counts(kind):
    cb = Callbacks()
    keyval = kind.cls.Create_keyval(delete_fn=cb.delete)
    try:
        obj = kind.make()
        obj.Set_attr(keyval, "first")
        obj.Set_attr(keyval, "second")  # replacing deletes the old value
        assert [v for _, _, v in cb.deletes] == ["first"]
        obj.Delete_attr(keyval)
        assert [v for _, _, v in cb.deletes] == ["first", "second"]
        obj.Set_attr(keyval, "third")
        handle = obj.handle
        obj.Free()  # freeing deletes what is left
        assert [v for _, _, v in cb.deletes] == ["first", "second", "third"]
        for o, k, _ in cb.deletes:
            assert isinstance(o, kind.cls) and o.handle == handle and k == keyval
    finally:
        kind.cls.Free_keyval(keyval)


def test_copy_callback_on_dup(kind, obj):
    cb = Callbacks(copy_result=lambda v: v + ["copied"])
    keyval = kind.cls.Create_keyval(copy_fn=cb.copy, delete_fn=cb.delete)
    try:
        obj.Set_attr(keyval, ["v"])
        dup = obj.Dup()
        try:
            assert len(cb.copies) == 1
            o, k, v = cb.copies[0]
            assert o == obj and k == keyval and v == ["v"]
            assert dup.Get_attr(keyval) == ["v", "copied"]
            assert obj.Get_attr(keyval) == ["v"]
        finally:
            dup.Free()
        assert [v for _, _, v in cb.deletes] == [["v", "copied"]]
    finally:
        kind.cls.Free_keyval(keyval)


@pytest.mark.parametrize(
    "copy_fn",
    [None, False, lambda obj, keyval, value: NotImplemented],
    ids=["None", "False", "returning-NotImplemented"],
)
def test_not_copied(kind, obj, copy_fn):
    """Dup copies no attribute without a copy function, nor when it returns NotImplemented."""
    keyval = kind.cls.Create_keyval(copy_fn=copy_fn)
    try:
        obj.Set_attr(keyval, "v")
        dup = obj.Dup()
        assert dup.Get_attr(keyval) is None
        dup.Free()
    finally:
        kind.cls.Free_keyval(keyval)


def test_copied_as_same_object(kind, obj):
    cb = Callbacks()
    keyval = kind.cls.Create_keyval(copy_fn=True, delete_fn=cb.delete)
    try:
        value = object()
        obj.Set_attr(keyval, value)
        dup = obj.Dup()
        assert dup.Get_attr(keyval) is value
        dup.Free()
        assert [v for _, _, v in cb.deletes] == [value]
        assert obj.Get_attr(keyval) is value
    finally:
        kind.cls.Free_keyval(keyval)


def test_nopython(kind, obj):
    cb = Callbacks()
    keyval = kind.cls.Create_keyval(copy_fn=cb.copy, delete_fn=cb.delete, nopython=True)
    try:
        obj.Set_attr(keyval, 12345)
        assert obj.Get_attr(keyval) == 12345
        dup = obj.Dup()
        assert dup.Get_attr(keyval) == 12345 and cb.copies[0][2] == 12345
        dup.Free()
        assert cb.deletes[0][2] == 12345
        with pytest.raises(TypeError):
            obj.Set_attr(keyval, "not an integer")
        with pytest.raises(OverflowError):
            obj.Set_attr(keyval, 2**70)
        assert obj.Get_attr(keyval) == 12345
    finally:
        kind.cls.Free_keyval(keyval)


def test_keyvals_are_independent(kind, obj):
    k1, k2 = kind.cls.Create_keyval(), kind.cls.Create_keyval()
    try:
        assert k1 != k2
        obj.Set_attr(k1, "one")
        obj.Set_attr(k2, "two")
        assert (obj.Get_attr(k1), obj.Get_attr(k2)) == ("one", "two")
    finally:
        kind.cls.Free_keyval(k1)
        kind.cls.Free_keyval(k2)


def test_freed_keyval(kind, obj):
    keyval = kind.cls.Create_keyval()
    kind.cls.Free_keyval(keyval)
    for call in (
        lambda: obj.Set_attr(keyval, 1),
        lambda: obj.Get_attr(keyval),
        lambda: obj.Delete_attr(keyval),
        lambda: kind.cls.Free_keyval(keyval),
    ):
        with pytest.raises(MPI.Exception) as info:
            call()
        assert info.value.Get_error_class() == MPI.ERR_KEYVAL


def test_freed_keyval_attribute_still_deleted(kind):
    cb = Callbacks()
    keyval = kind.cls.Create_keyval(delete_fn=cb.delete)
    obj = kind.make()
    obj.Set_attr(keyval, "kept")
    kind.cls.Free_keyval(keyval)
    obj.Free()  # the attribute outlived its keyval: its delete callback still runs
    assert [v for _, _, v in cb.deletes] == ["kept"]


def test_keyval_callbacks_released_after_last_attribute(kind):
    # mpipy keeps a keyval's callbacks while MPI may run them: until the keyval is freed and
    # its last attribute (copies included) is deleted; then it lets them go.
    cb = Callbacks()
    alive = weakref.ref(cb)
    keyval = kind.cls.Create_keyval(copy_fn=cb.copy, delete_fn=cb.delete)
    obj = kind.make()
    obj.Set_attr(keyval, "first")
    obj.Set_attr(keyval, "second")  # replaces: still one attribute
    copy = obj.Dup()  # the copy callback adds one
    kind.cls.Free_keyval(keyval)
    deletes = cb.deletes
    del cb
    gc.collect()
    assert alive() is not None
    obj.Free()
    gc.collect()
    assert alive() is not None  # the copy still holds an attribute
    copy.Free()
    gc.collect()
    assert alive() is None
    assert [v for _, _, v in deletes] == ["first", "second", "second"]


def test_keyval_callbacks_released_by_free_keyval(kind):
    cb = Callbacks()
    alive = weakref.ref(cb)
    keyval = kind.cls.Create_keyval(copy_fn=cb.copy, delete_fn=cb.delete)
    obj = kind.make()
    try:
        obj.Set_attr(keyval, 1)
        obj.Delete_attr(keyval)
    finally:
        obj.Free()
    kind.cls.Free_keyval(keyval)
    del cb
    gc.collect()
    assert alive() is None


def test_unknown_keyval(kind, obj):
    with pytest.raises(MPI.Exception) as info:
        obj.Set_attr(MPI.KEYVAL_INVALID, 1)
    assert info.value.Get_error_class() == MPI.ERR_KEYVAL


def test_bad_callbacks(kind):
    with pytest.raises(TypeError):
        kind.cls.Create_keyval(copy_fn=42)
    with pytest.raises(TypeError):
        kind.cls.Create_keyval(delete_fn=True)


@pytest.mark.parametrize("kind", [CommKind, DatatypeKind, WinKind], ids=["Comm", "Datatype", "Win"])
def test_exception_in_delete_callback(kind, capsys):
    calls = []

    def delete(o, k, v):
        calls.append(v)
        raise RuntimeError(f"delete of {v} failed")

    keyval = kind.cls.Create_keyval(delete_fn=delete)
    obj = kind.make()
    freed = False
    try:
        obj.Set_attr(keyval, "v")
        # as mpi4py: the callback's exception is printed, Delete_attr fails with ERR_OTHER,
        # and the attribute is gone all the same (its callback does not run again)
        with pytest.raises(MPI.Exception) as info:
            obj.Delete_attr(keyval)
        assert info.value.Get_error_class() == MPI.ERR_OTHER
        assert "RuntimeError: delete of v failed" in capsys.readouterr().err
        assert obj.Get_attr(keyval) is None and calls == ["v"]
        # replacing a value whose callback raises prints it and stores the new value
        obj.Set_attr(keyval, "a")
        obj.Set_attr(keyval, "b")
        assert "RuntimeError: delete of a failed" in capsys.readouterr().err
        assert obj.Get_attr(keyval) == "b" and calls == ["v", "a"]
        # freeing the object prints the failure and frees it
        obj.Free()
        freed = True
        assert "RuntimeError: delete of b failed" in capsys.readouterr().err
        assert calls == ["v", "a", "b"]
    finally:
        if not freed:
            obj.Free()
        kind.cls.Free_keyval(keyval)


def test_exception_in_copy_callback(kind, obj, capsys):
    def copy(o, k, v):
        raise KeyError("copy failed")

    keyval = kind.cls.Create_keyval(copy_fn=copy)
    try:
        obj.Set_attr(keyval, "v")
        with pytest.raises(MPI.Exception) as info:
            obj.Dup()
        assert info.value.Get_error_class() == MPI.ERR_OTHER
        assert "KeyError: 'copy failed'" in capsys.readouterr().err
        assert obj.Get_attr(keyval) == "v"
    finally:
        obj.Delete_attr(keyval)
        kind.cls.Free_keyval(keyval)


def test_predefined_object_attribute(kind):
    cb = Callbacks()
    keyval = kind.cls.Create_keyval(delete_fn=cb.delete)
    predefined = MPI.COMM_SELF if kind is CommKind else MPI.DOUBLE
    try:
        predefined.Set_attr(keyval, "on a predefined object")
        assert predefined.Get_attr(keyval) == "on a predefined object"
        predefined.Delete_attr(keyval)
        assert len(cb.deletes) == 1 and predefined.Get_attr(keyval) is None
    finally:
        kind.cls.Free_keyval(keyval)


def test_same_number_different_kinds():
    # Keyvals of communicators and of datatypes are separate: each kind sees only its own.
    ck = MPI.Comm.Create_keyval()
    tk = MPI.Datatype.Create_keyval()
    t = MPI.INT.Dup()
    c = MPI.COMM_SELF.Dup()
    try:
        t.Set_attr(tk, "type")
        c.Set_attr(ck, "comm")
        assert t.Get_attr(tk) == "type" and c.Get_attr(ck) == "comm"
    finally:
        t.Free()
        c.Free()
        MPI.Comm.Free_keyval(ck)
        MPI.Datatype.Free_keyval(tk)


def test_null_object(kind):
    keyval = kind.cls.Create_keyval()
    null = kind.cls()
    try:
        for call in (
            lambda: null.Set_attr(keyval, 1),
            lambda: null.Get_attr(keyval),
            lambda: null.Delete_attr(keyval),
        ):
            with pytest.raises(MPI.Exception):
                call()
    finally:
        kind.cls.Free_keyval(keyval)

"""Info objects: creation, Get/Set/Delete, keys by index, the dict protocol, INFO_NULL and
INFO_ENV, keys and values beyond MPI's limits, and hints on communicators."""

import copy
import pickle

import pytest

from mpipy import MPI


@pytest.fixture
def info():
    obj = MPI.Info.Create()
    yield obj
    if obj:
        obj.Free()


def test_create_empty(info):
    assert type(info) is MPI.Info and info
    assert info.Get_nkeys() == 0 and len(info) == 0
    assert info.keys() == [] and list(info) == []


@pytest.mark.parametrize(
    "items",
    [
        {"a": "1", "b": "two"},
        [("a", "1"), ("b", "two")],
        (pair for pair in [("a", "1"), ("b", "two")]),
    ],
    ids=["dict", "list", "generator"],
)
def test_create_with_items(items):
    info = MPI.Info.Create(items)
    try:
        assert info.Get_nkeys() == 2
        assert info.Get("a") == "1" and info.Get("b") == "two"
        copy = MPI.Info.Create(info)  # from another Info
        assert copy.items() == info.items() and copy != info
        copy.Free()
    finally:
        info.Free()


def test_create_bad_items():
    with pytest.raises(TypeError):
        MPI.Info.Create({"a": 1})
    with pytest.raises(TypeError):
        MPI.Info.Create([1])
    with pytest.raises(ValueError):
        MPI.Info.Create([("a",)])
    with pytest.raises(ValueError):
        MPI.Info.Create([("a", "1", "2")])


def test_set_get_delete(info):
    assert info.Get("key") is None
    info.Set("key", "value")
    assert info.Get("key") == "value" and info.Get_nkeys() == 1
    info.Set("key", "other")  # replaces
    assert info.Get("key") == "other" and info.Get_nkeys() == 1
    info.Set("ünï", "cödé")  # UTF-8 both ways
    assert info.Get("ünï") == "cödé"
    info.Delete("key")
    assert info.Get("key") is None and info.Get_nkeys() == 1


def test_delete_missing_key(info):
    with pytest.raises(MPI.Exception) as exc:
        info.Delete("missing")
    assert exc.value.Get_error_class() == MPI.ERR_INFO_NOKEY


def test_nthkey_in_order_set(info):
    keys = [f"k{i}" for i in range(5)]
    for i, k in enumerate(keys):
        info.Set(k, str(i))
    assert [info.Get_nthkey(n) for n in range(info.Get_nkeys())] == keys
    for n in (-1, 5):
        with pytest.raises(MPI.Exception) as exc:
            info.Get_nthkey(n)
        assert exc.value.Get_error_class() == MPI.ERR_ARG


def test_key_and_value_limits(info):
    longest_key = "k" * (MPI.MAX_INFO_KEY - 1)
    info.Set(longest_key, "v")
    assert info.Get_nthkey(0) == longest_key and info.Get(longest_key) == "v"
    longest_value = "v" * (MPI.MAX_INFO_VAL - 1)
    info.Set("big", longest_value)
    assert info.Get("big") == longest_value
    for key in ("k" * MPI.MAX_INFO_KEY, ""):
        for call in (lambda: info.Set(key, "v"), lambda: info.Get(key), lambda: key in info):
            with pytest.raises(MPI.Exception) as exc:
                call()
            assert exc.value.Get_error_class() == MPI.ERR_INFO_KEY
    with pytest.raises(MPI.Exception) as exc:
        info.Set("k", "v" * MPI.MAX_INFO_VAL)
    assert exc.value.Get_error_class() == MPI.ERR_INFO_VALUE
    assert info.Get("k") is None


def test_bad_types(info):
    with pytest.raises(TypeError):
        info.Set("k", 1)
    with pytest.raises(TypeError):
        info.Set(1, "v")
    with pytest.raises(TypeError):
        info.Get(None)
    with pytest.raises(TypeError):
        info["k"] = None


def test_dict_protocol(info):
    info["a"] = "1"
    info["b"] = "2"
    assert len(info) == 2 and "a" in info and "z" not in info
    assert info["a"] == "1"
    assert list(info) == ["a", "b"] == info.keys()
    assert info.values() == ["1", "2"]
    assert info.items() == [("a", "1"), ("b", "2")]
    assert info.get("a") == "1" and info.get("z") is None and info.get("z", "d") == "d"
    with pytest.raises(KeyError) as exc:
        info["z"]
    assert exc.value.args == ("z",)
    with pytest.raises(KeyError):
        del info["z"]
    del info["a"]
    assert "a" not in info and len(info) == 1


def test_update_pop_popitem_copy_clear(info):
    info.update({"a": "1"}, b="2")
    info.update([("c", "3")])
    other = MPI.Info.Create({"d": "4"})
    info.update(other)
    other.Free()
    assert dict(info.items()) == {"a": "1", "b": "2", "c": "3", "d": "4"}
    assert info.pop("a") == "1" and "a" not in info
    assert info.pop("a", "gone") == "gone"
    with pytest.raises(KeyError):
        info.pop("a")
    last = info.keys()[-1]
    expect = (last, info[last])
    assert info.popitem() == expect and last not in info
    copy = info.copy()
    try:
        assert type(copy) is MPI.Info and copy != info
        assert copy.items() == info.items()
        info.clear()
        assert len(info) == 0 and len(copy) == 2  # independent
    finally:
        copy.Free()
    with pytest.raises(KeyError):
        info.popitem()


def test_dup(info):
    info.Set("x", "1")
    dup = info.Dup()
    try:
        assert dup.items() == [("x", "1")]
        dup.Set("y", "2")
        assert "y" not in info
    finally:
        dup.Free()


def test_free(info):
    info.Free()
    assert info == MPI.INFO_NULL and not info
    with pytest.raises(MPI.Exception) as exc:
        info.Free()
    assert exc.value.Get_error_class() == MPI.ERR_INFO


def test_info_null():
    null = MPI.INFO_NULL
    assert not null and len(null) == 0 and list(null) == [] and "x" not in null
    assert null.keys() == [] and null.items() == [] and null.get("x", "d") == "d"
    assert null.values() == [] and null.pop("x", None) is None
    # As an empty mapping that cannot change: missing keys, whatever the operation.
    for call in (
        lambda: null["x"],
        lambda: null.__setitem__("x", "1"),
        lambda: null.__delitem__("x"),
        lambda: null.update([]),
        lambda: null.update(a="1"),
        lambda: null.pop("x"),
        null.popitem,
    ):
        with pytest.raises(KeyError):
            call()
    empty = null.copy()
    assert empty == null and empty is not null and type(empty) is MPI.Info
    null.clear()
    for call in (lambda: null.Get("x"), lambda: null.Set("x", "1"), null.Dup, null.Free):
        with pytest.raises(MPI.Exception):
            call()


def test_pickle(info):
    info.update({"a": "1", "key": "a value"})
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        again = pickle.loads(pickle.dumps(info, protocol))
        try:
            assert type(again) is MPI.Info and again != info
            assert again.items() == info.items()
        finally:
            again.Free()
    empty = MPI.Info.Create()
    again = copy.deepcopy(empty)
    assert again.items() == [] and again != empty
    again.Free()
    empty.Free()
    for constant in (MPI.INFO_NULL, MPI.INFO_ENV):
        assert pickle.loads(pickle.dumps(constant)) is constant
        again = pickle.loads(pickle.dumps(MPI.Info(constant)))
        assert again == constant and again is not constant


def test_info_env():
    env = MPI.INFO_ENV
    assert type(env) is MPI.Info
    if not env:
        pytest.skip("this MPI has no MPI_INFO_ENV")
    # The standard keys, where the MPI sets them, are strings.
    for key in env:
        assert isinstance(env[key], str)
    with pytest.raises(MPI.Exception):
        env.Free()
    assert env


def test_create_env():
    if not MPI.INFO_ENV:
        pytest.skip("this MPI has no MPI_Info_create_env")
    # argv: None, any sequence or iterable of str, or one str (a single argument).
    for args in (None, ["python", "-c", "pass"], ("python",), iter(["python"]), "python", []):
        info = MPI.Info.Create_env(args)
        try:
            assert type(info) is MPI.Info and info
            assert all(isinstance(v, str) for v in info.values())
        finally:
            info.Free()
    MPI.Info.Create_env(args=["python"]).Free()
    with pytest.raises(TypeError):
        MPI.Info.Create_env([1])


# Hints that MPI-4 defines for communicators; an MPI returns the ones it understands.
ASSERT_HINTS = ["mpi_assert_no_any_source", "mpi_assert_no_any_tag"]


def test_comm_set_get_info(comm):
    dup = comm.Dup()
    try:
        before = dup.Get_info()
        assert type(before) is MPI.Info
        known = [k for k in ASSERT_HINTS if k in before]
        before.Free()
        if not known:
            pytest.skip("this MPI reports none of the mpi_assert_* hints")
        hints = MPI.Info.Create({k: "true" for k in known})
        dup.Set_info(hints)
        hints.Free()
        after = dup.Get_info()
        try:
            for k in known:
                assert after.Get(k) == "true"
        finally:
            after.Free()
        info = dup.info  # the property
        assert all(info[k] == "true" for k in known)
        info.Free()
    finally:
        dup.Free()


def test_comm_dup_with_info(comm):
    probe = comm.Get_info()
    known = [k for k in ASSERT_HINTS if k in probe]
    probe.Free()
    if not known:
        pytest.skip("this MPI reports none of the mpi_assert_* hints")
    hints = MPI.Info.Create({known[0]: "true"})
    dup = comm.Dup_with_info(hints)
    hints.Free()
    try:
        got = dup.Get_info()
        assert got.Get(known[0]) == "true"
        got.Free()
    finally:
        dup.Free()


def test_comm_set_info_bad(comm):
    with pytest.raises(TypeError):
        comm.Set_info({"a": "b"})

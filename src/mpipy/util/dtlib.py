"""Conversion between NumPy dtypes and MPI datatypes.

``from_numpy_dtype(dtype)`` builds the MPI datatype that describes the memory of one item of
a NumPy dtype: a predefined datatype for a scalar, a struct datatype (resized to the item
size) for a structured dtype, aligned or packed, and a contiguous or subarray datatype for a
subarray dtype. Derived datatypes it returns are new and uncommitted: ``Commit()`` them to
communicate, ``Free()`` them when done.

``to_numpy_dtype(datatype)`` goes the other way. Field names do not travel through MPI: a
structured dtype comes back with the fields named ``f0``, ``f1``, ... at the same offsets,
with the same formats and item size.
"""

from __future__ import annotations

import sys

import numpy as np

from .. import MPI

__all__ = ["from_numpy_dtype", "to_numpy_dtype"]

_NATIVE = "<" if sys.byteorder == "little" else ">"


def _check_byteorder(dtype: np.dtype) -> None:
    if dtype.byteorder not in ("=", "|", _NATIVE):
        raise ValueError(f"dtype {dtype!r}: MPI datatypes describe native byte order only")


def _free_derived(datatypes) -> None:
    for datatype in datatypes:
        if datatype and not datatype.is_predefined:
            datatype.Free()


def _scalar_datatype(dtype: np.dtype) -> MPI.Datatype:
    _check_byteorder(dtype)
    if dtype.kind in "SU" and dtype.itemsize > 0:
        char = MPI.CHAR if dtype.kind == "S" else MPI.WCHAR
        length = dtype.itemsize // char.Get_size()
        return char if length == 1 else char.Create_contiguous(length)
    if dtype.kind == "V":
        return MPI.BYTE.Create_contiguous(dtype.itemsize)
    for code in (dtype.char, dtype.str[1:]):
        try:
            datatype = MPI.Datatype.fromcode(code)
        except ValueError:
            continue
        if datatype.Get_size() == dtype.itemsize:
            return datatype
    raise ValueError(f"dtype {dtype!r} has no matching MPI datatype")


def _subarray_datatype(base: np.dtype, shape: tuple[int, ...]) -> MPI.Datatype:
    inner = from_numpy_dtype(base)
    try:
        if len(shape) == 1:
            return inner.Create_contiguous(shape[0])
        return inner.Create_subarray(list(shape), list(shape), [0] * len(shape))
    finally:
        _free_derived([inner])


def _struct_datatype(dtype: np.dtype) -> MPI.Datatype:
    fields = [dtype.fields[name] for name in dtype.names]
    datatypes = []
    try:
        for field in fields:
            datatypes.append(from_numpy_dtype(field[0]))
        struct = MPI.Datatype.Create_struct(
            [1] * len(fields), [field[1] for field in fields], datatypes
        )
    finally:
        _free_derived(datatypes)
    lb, extent = struct.Get_extent()
    if lb == 0 and extent == dtype.itemsize:
        return struct
    try:
        return struct.Create_resized(0, dtype.itemsize)
    finally:
        struct.Free()


def from_numpy_dtype(dtype) -> MPI.Datatype:
    """Return the MPI datatype matching a NumPy dtype (or anything ``np.dtype`` accepts)."""
    dtype = np.dtype(dtype)
    if dtype.hasobject:
        raise ValueError(f"dtype {dtype!r} holds Python objects: no MPI datatype describes it")
    if dtype.subdtype is not None:
        base, shape = dtype.subdtype
        if 0 in shape:
            raise ValueError(f"dtype {dtype!r} has an empty subarray")
        return _subarray_datatype(base, shape)
    if dtype.names is not None:
        return _struct_datatype(dtype)
    return _scalar_datatype(dtype)


# -- MPI datatype -> NumPy dtype ------------------------------------------------------

_PAIRS = {
    "SHORT_INT": "h",
    "INT_INT": "i",
    "LONG_INT": "l",
    "FLOAT_INT": "f",
    "DOUBLE_INT": "d",
    "LONG_DOUBLE_INT": "g",
}

_F90_KINDS = {
    MPI.COMBINER_F90_INTEGER: "i",
    MPI.COMBINER_F90_REAL: "f",
    MPI.COMBINER_F90_COMPLEX: "c",
}


# Datatypes whose dtype is a set of fields at byte offsets (resizing keeps the offsets).
_FIELDS_COMBINERS = (
    MPI.COMBINER_STRUCT,
    MPI.COMBINER_VECTOR,
    MPI.COMBINER_HVECTOR,
    MPI.COMBINER_INDEXED,
    MPI.COMBINER_HINDEXED,
    MPI.COMBINER_INDEXED_BLOCK,
    MPI.COMBINER_HINDEXED_BLOCK,
)


def _named_dtype(datatype: MPI.Datatype) -> np.dtype:
    for name, first in _PAIRS.items():
        if datatype == getattr(MPI, name):
            return np.dtype([("f0", first), ("f1", "i")], align=True)
    if datatype.typechar == "V":
        raise ValueError(f"datatype {datatype.Get_name()} has no matching NumPy dtype")
    return np.dtype(datatype.typestr)


def _structured(fields, itemsize: int) -> np.dtype:
    """A structured dtype with the fields (dtype, offset) named f0, f1, ..., in the aligned
    form when the layout is the one the C compiler would give."""
    names = [f"f{i}" for i in range(len(fields))]
    formats = [field[0] for field in fields]
    offsets = [field[1] for field in fields]
    if any(offset < 0 for offset in offsets):
        raise ValueError("a field lies before the start of the item: no NumPy dtype matches")
    if itemsize < max(offset + f.itemsize for f, offset in fields):
        raise ValueError("fields reach beyond the extent: no NumPy dtype matches")
    aligned = np.dtype(list(zip(names, formats)), align=True)
    if [aligned.fields[n][1] for n in names] == offsets and aligned.itemsize == itemsize:
        return aligned
    return np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": itemsize})


def _block(base: np.dtype, length: int) -> np.dtype:
    return base if length == 1 else np.dtype((base, (length,)))


def _item_size(datatype: MPI.Datatype, itemsize) -> int:
    """The item size of a dtype with fields at byte offsets: the datatype's extent, or the
    one a resized datatype around it gives."""
    if itemsize is not None:
        return itemsize
    lb, extent = datatype.Get_extent()
    if lb != 0:
        raise ValueError("datatype has a nonzero lower bound: no NumPy dtype matches")
    return extent


def _decoded_dtype(datatype: MPI.Datatype, itemsize=None) -> np.dtype:
    """The dtype of a derived datatype; ``itemsize`` is the extent a resized datatype
    made of this one gives it (its fields keep their offsets)."""
    base, combiner, params = datatype.decode()
    inner = list(params["datatypes"]) if combiner == "STRUCT" else [base]
    try:
        if combiner == "STRUCT":
            fields = [
                (_block(to_numpy_dtype(t), n), d)
                for t, n, d in zip(inner, params["blocklengths"], params["displacements"])
                if n > 0
            ]
            return _structured(fields, _item_size(datatype, itemsize))
        if combiner == "RESIZED":
            if params["lb"] != 0:
                raise ValueError("datatype has a nonzero lower bound: no NumPy dtype matches")
            if base.combiner in _FIELDS_COMBINERS:
                return _decoded_dtype(base, params["extent"])
            item = to_numpy_dtype(base)
            return _structured([(item, 0)], params["extent"])
        item = to_numpy_dtype(base)
        if combiner == "DUP":
            return item
        if combiner == "CONTIGUOUS":
            count = params["count"]
            if base == MPI.BYTE:  # raw bytes
                return np.dtype(f"V{count}")
            if item.kind in "SU":  # a string of count characters
                chars = count * (item.itemsize // (4 if item.kind == "U" else 1))
                return np.dtype(f"{item.kind}{chars}")
            return np.dtype((item, (count,)))
        if combiner == "SUBARRAY":
            sizes, subsizes, starts = params["sizes"], params["subsizes"], params["starts"]
            if list(sizes) != list(subsizes) or any(starts):
                raise ValueError("a partial subarray has no matching NumPy dtype")
            shape = tuple(sizes) if params["order"] == MPI.ORDER_C else tuple(sizes[::-1])
            return np.dtype((item, shape))
        extent = base.Get_extent()[1]
        if combiner in ("VECTOR", "HVECTOR"):
            stride = params["stride"] * (extent if combiner == "VECTOR" else 1)
            count, length = params["count"], params["blocklength"]
            dense = count == 1 or stride == length * extent
            if dense and itemsize in (None, count * length * extent):
                return np.dtype((item, (count * length,)))
            lengths, displs = [length] * count, [k * stride for k in range(count)]
        elif combiner in ("INDEXED", "HINDEXED", "INDEXED_BLOCK", "HINDEXED_BLOCK"):
            displs = params["displacements"]
            if combiner.startswith("INDEXED"):
                displs = [d * extent for d in displs]
            lengths = params.get("blocklengths") or [params.get("blocklength")] * len(displs)
        else:
            raise ValueError(f"a datatype made by {combiner} has no matching NumPy dtype")
        fields = [(_block(item, n), d) for n, d in zip(lengths, displs) if n > 0]
        return _structured(fields, _item_size(datatype, itemsize))
    finally:
        _free_derived(inner)


def to_numpy_dtype(datatype: MPI.Datatype) -> np.dtype:
    """Return the NumPy dtype matching an MPI datatype."""
    if not isinstance(datatype, MPI.Datatype):
        raise TypeError(f"expecting an MPI.Datatype, not {type(datatype).__name__}")
    if datatype == MPI.DATATYPE_NULL:
        raise ValueError("DATATYPE_NULL has no NumPy dtype")
    combiner = datatype.combiner
    if combiner == MPI.COMBINER_NAMED:
        return _named_dtype(datatype)
    if combiner in _F90_KINDS:
        return np.dtype(f"{_F90_KINDS[combiner]}{datatype.Get_size()}")
    return _decoded_dtype(datatype)

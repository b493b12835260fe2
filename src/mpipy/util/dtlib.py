"""Conversion between NumPy dtypes and MPI datatypes, as ``mpi4py.util.dtlib``.

``from_numpy_dtype(dtype)`` makes a new MPI datatype describing one item of a NumPy dtype:
a duplicate of the predefined datatype of a scalar (a contiguous run of characters for a
string of several), a contiguous or subarray datatype for a subarray dtype, and for a
structured dtype a struct datatype resized to the item size. Every datatype it returns is
new and uncommitted: ``Commit()`` it to communicate, ``Free()`` it when done.

``to_numpy_dtype(datatype)`` goes the other way. Field names do not travel through MPI:
fields come back named ``f0``, ``f1``, ... at their offsets, the ``aligned`` flag set when
every field lies at an offset its type's alignment divides. Without NumPy, it returns the
specification ``numpy.dtype`` would take (a type code, a ``(spec, shape)`` tuple, a dict).
"""

from .. import MPI

try:
    from numpy import dtype as _np_dtype
except ImportError:  # NumPy is optional: to_numpy_dtype then gives dtype specifications
    _np_dtype = None

__all__ = ["from_numpy_dtype", "to_numpy_dtype"]


# -- NumPy dtype -> MPI datatype --------------------------------------------------------


def _elementary(dtype):
    """A new datatype for a dtype without fields or subarray."""
    if dtype.kind in "SU" and dtype.itemsize > 0:
        char = MPI.CHAR if dtype.kind == "S" else MPI.WCHAR
        length = dtype.itemsize // char.Get_size()
        return char.Dup() if length == 1 else char.Create_contiguous(length)
    try:
        datatype = MPI.Datatype.fromcode(dtype.char)
    except ValueError:
        datatype = MPI.DATATYPE_NULL
    if not datatype or datatype.Get_size() != dtype.itemsize:
        raise ValueError(f"NumPy dtype {dtype} has no matching MPI datatype")
    return datatype.Dup()


def _free_all(datatypes):
    for datatype in datatypes:
        if datatype and not datatype.is_predefined:
            datatype.Free()


def from_numpy_dtype(dtype):
    """Convert NumPy datatype to MPI datatype."""
    if _np_dtype is None:
        raise RuntimeError("NumPy is not available")
    dtype = _np_dtype(dtype)
    if dtype.hasobject:
        raise ValueError(f"NumPy dtype {dtype} holds Python objects")
    if not dtype.isnative:
        raise ValueError(f"NumPy dtype {dtype} is not in native byte order")
    if dtype.fields:
        fields = [dtype.fields[name] for name in dtype.names]
        members = []
        try:
            for field in fields:
                members.append(from_numpy_dtype(field[0]))
            struct = MPI.Datatype.Create_struct(
                [1] * len(fields), [field[1] for field in fields], members
            )
        finally:
            _free_all(members)
        try:
            return struct.Create_resized(0, dtype.itemsize)
        finally:
            struct.Free()
    if dtype.subdtype:
        base, shape = dtype.subdtype
        item = from_numpy_dtype(base)
        try:
            if len(shape) == 1:
                return item.Create_contiguous(shape[0])
            return item.Create_subarray(shape, shape, [0] * len(shape))
        finally:
            item.Free()
    return _elementary(dtype)


# -- MPI datatype -> NumPy dtype --------------------------------------------------------


def _make(spec, **kwargs):
    """numpy.dtype(spec, **kwargs), or the specification itself without NumPy."""
    if _np_dtype is None:
        return (spec, kwargs) if kwargs else spec
    return _np_dtype(spec, **kwargs)


def _decoded(datatype):
    """decode(), and the new datatypes it handed out (to free)."""
    base, combiner, params = datatype.decode()
    made = [base, *params.get("datatypes", [])]
    made += [params[key] for key in ("value", "index") if key in params]
    return base, combiner, params, made


def _aligned(datatype, offset=0):
    """Whether every predefined datatype within `datatype`, placed at `offset`, lies at a
    multiple of its alignment (and, for a resized datatype, the next item would too)."""
    if datatype.is_predefined:
        if offset == 0:
            return True
        alignment = MPI._typealign(datatype)
        return bool(alignment) and offset % alignment == 0
    base, combiner, params, made = _decoded(datatype)
    try:
        parts = [(base, 0)]
        if combiner == "RESIZED":
            parts = [(base, params["extent"])]
        elif combiner == "STRUCT":
            parts = list(zip(params["datatypes"], params["displacements"]))
        elif combiner == "HVECTOR":
            parts = [(base, params["stride"] if params["count"] > 1 else 0)]
        elif combiner in ("HINDEXED", "HINDEXED_BLOCK"):
            parts = [(base, d) for d in params["displacements"]]
        return all(_aligned(t, offset + d) for t, d in parts)
    finally:
        _free_all(made)


def _fields(formats, offsets, aligned, itemsize=None):
    spec = {
        "names": [f"f{i}" for i in range(len(formats))],
        "formats": formats,
        "offsets": offsets,
    }
    if itemsize is not None:
        spec["itemsize"] = itemsize
    spec["aligned"] = aligned
    return _make(spec)


_PAIRS = ("SHORT", "INT", "LONG", "FLOAT", "DOUBLE", "LONG_DOUBLE")


def _named(datatype):
    code = MPI._typecode(datatype)
    if code == "U":  # a wide character: NumPy's "U" alone is a string of none
        code = "U1"
    if code is not None:
        return _make(code)
    for name in _PAIRS:  # the (value, int) pairs of MINLOC and MAXLOC
        if datatype == getattr(MPI, f"{name}_INT"):
            return _make(f"{MPI._typecode(getattr(MPI, name))},i", align=True)
    raise ValueError(f"MPI datatype {datatype.Get_name()} has no matching NumPy dtype")


def to_numpy_dtype(datatype):
    """Convert MPI datatype to NumPy datatype."""
    if datatype == MPI.DATATYPE_NULL:
        raise ValueError("MPI.DATATYPE_NULL has no NumPy dtype")
    if datatype.combiner == MPI.COMBINER_NAMED:
        return _named(datatype)
    base, combiner, params, made = _decoded(datatype)
    try:
        if combiner in ("F90_INTEGER", "F90_REAL", "F90_COMPLEX"):
            return _make(MPI._typecode(datatype))
        if combiner == "DUP":
            return to_numpy_dtype(base)
        if combiner == "CONTIGUOUS":
            return _make((to_numpy_dtype(base), (params["count"],)))
        if combiner == "SUBARRAY":
            sizes = list(params["sizes"])
            if params["subsizes"] != sizes or any(params["starts"]):
                raise ValueError("a subarray of part of an array has no matching NumPy dtype")
            if params["order"] == MPI.ORDER_FORTRAN:
                sizes.reverse()
            return _make((to_numpy_dtype(base), tuple(sizes)))
        if combiner == "VALUE_INDEX":
            value, index = to_numpy_dtype(params["value"]), to_numpy_dtype(params["index"])
            return _make([("f0", value), ("f1", index)], align=True)
        if combiner == "RESIZED" and base.combiner == MPI.COMBINER_STRUCT:
            # A struct resized to an item size: its fields, in items of that size.
            aligned = _aligned(base, params["extent"])
            _, _, inner, more = _decoded(base)
            made += more
            return _struct(datatype, inner, aligned)
        if combiner == "STRUCT":
            return _struct(datatype, params, True)
        if combiner in ("VECTOR", "HVECTOR"):
            count, stride = params["count"], params["stride"]
            if combiner == "VECTOR":
                stride *= base.extent
                aligned = _aligned(base)
            else:
                stride = stride if count > 1 else 0
                aligned = _aligned(base, stride)
            block = (to_numpy_dtype(base), (params["blocklength"],))
            offsets = [k * stride for k in range(count)]
            return _fields([block] * count, offsets, aligned, datatype.extent)
        if combiner in ("INDEXED", "HINDEXED", "INDEXED_BLOCK", "HINDEXED_BLOCK"):
            displacements = params["displacements"]
            lengths = params.get("blocklengths") or [params["blocklength"]] * len(displacements)
            aligned = _aligned(base)
            if combiner.startswith("H"):  # displacements in bytes
                offsets = list(displacements)
                aligned = aligned and all(_aligned(base, d) for d in offsets)
            else:
                offsets = [d * base.extent for d in displacements]
            item = to_numpy_dtype(base)
            return _fields([(item, (n,)) for n in lengths], offsets, aligned)
        raise ValueError(f"an MPI datatype made by {combiner} has no matching NumPy dtype")
    finally:
        _free_all(made)


def _struct(datatype, params, aligned):
    types, displacements = params["datatypes"], params["displacements"]
    formats = []
    for t, n in zip(types, params["blocklengths"]):
        item = to_numpy_dtype(t)
        formats.append(item if n == 1 else (item, n))
    aligned = aligned and all(_aligned(t, d) for t, d in zip(types, displacements))
    return _fields(formats, list(displacements), aligned, datatype.extent)

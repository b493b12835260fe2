"""Predefined datatypes: every one of mpi4py 4.x's names, sizes and extents against the
C types, names, typechar/typestr/tocode, fromcode, and the mapping from buffer formats
(NumPy, array.array, bytes) to MPI datatypes. Local calls only: correct at any world
size."""

import array
import ctypes
import json
import os
import struct
import sys

import pytest

from mpipy import MPI

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "mpi4py_names.json")) as _f:
    _MODULE = json.load(_f)["module"]
NAMES = sorted(n for n, e in _MODULE.items() if e.get("type") == "Datatype")
PRESENT = [n for n in NAMES if getattr(MPI, n)]

LP64 = struct.calcsize("l") == 8 and ctypes.sizeof(ctypes.c_longdouble) == 16
LONGDOUBLE = ctypes.sizeof(ctypes.c_longdouble)

# The C type behind each C datatype (and mpi4py's aliases of them).
C_TYPES = {
    "CHAR": ctypes.c_char,
    "SIGNED_CHAR": ctypes.c_byte,
    "UNSIGNED_CHAR": ctypes.c_ubyte,
    "WCHAR": ctypes.c_wchar,
    "SHORT": ctypes.c_short,
    "UNSIGNED_SHORT": ctypes.c_ushort,
    "INT": ctypes.c_int,
    "UNSIGNED": ctypes.c_uint,
    "LONG": ctypes.c_long,
    "UNSIGNED_LONG": ctypes.c_ulong,
    "LONG_LONG": ctypes.c_longlong,
    "UNSIGNED_LONG_LONG": ctypes.c_ulonglong,
    "FLOAT": ctypes.c_float,
    "DOUBLE": ctypes.c_double,
    "LONG_DOUBLE": ctypes.c_longdouble,
    "C_BOOL": ctypes.c_bool,
    "INT8_T": ctypes.c_int8,
    "INT16_T": ctypes.c_int16,
    "INT32_T": ctypes.c_int32,
    "INT64_T": ctypes.c_int64,
    "UINT8_T": ctypes.c_uint8,
    "UINT16_T": ctypes.c_uint16,
    "UINT32_T": ctypes.c_uint32,
    "UINT64_T": ctypes.c_uint64,
    "AINT": ctypes.c_ssize_t,
    "BYTE": ctypes.c_ubyte,
    "PACKED": ctypes.c_ubyte,
}
C_PAIRS = {
    "SHORT_INT": (ctypes.c_short, ctypes.c_int),
    "INT_INT": (ctypes.c_int, ctypes.c_int),
    "LONG_INT": (ctypes.c_long, ctypes.c_int),
    "FLOAT_INT": (ctypes.c_float, ctypes.c_int),
    "DOUBLE_INT": (ctypes.c_double, ctypes.c_int),
    "LONG_DOUBLE_INT": (ctypes.c_longdouble, ctypes.c_int),
}
# (typechar, typestr, tocode) as mpi4py 4.x gives them on an LP64 platform (None: tocode
# raises ValueError); typestr 'V' stands for 'V<extent>'.
EXPECTED_CODES = {
    "AINT": ("p", "i8", "p"),
    "OFFSET": ("p", "i8", "p"),
    "COUNT": ("p", "i8", "p"),
    "PACKED": ("B", "u1", "B"),
    "BYTE": ("B", "u1", "B"),
    "CHAR": ("c", "S1", "c"),
    "WCHAR": ("U", "U1", "U"),
    "SIGNED_CHAR": ("b", "i1", "b"),
    "SHORT": ("h", "i2", "h"),
    "INT": ("i", "i4", "i"),
    "LONG": ("l", "i8", "l"),
    "LONG_LONG": ("q", "i8", "q"),
    "UNSIGNED_CHAR": ("B", "u1", "B"),
    "UNSIGNED_SHORT": ("H", "u2", "H"),
    "UNSIGNED": ("I", "u4", "I"),
    "UNSIGNED_LONG": ("L", "u8", "L"),
    "UNSIGNED_LONG_LONG": ("Q", "u8", "Q"),
    "FLOAT": ("f", "f4", "f"),
    "DOUBLE": ("d", "f8", "d"),
    "LONG_DOUBLE": ("g", "f16", "g"),
    "C_BOOL": ("?", "b1", "b1"),
    "BOOL": ("?", "b1", "b1"),
    "CXX_BOOL": ("?", "b1", "?"),
    "INT8_T": ("b", "i1", "i1"),
    "INT16_T": ("h", "i2", "i2"),
    "INT32_T": ("i", "i4", "i4"),
    "INT64_T": ("l", "i8", "i8"),
    "UINT8_T": ("B", "u1", "u1"),
    "UINT16_T": ("H", "u2", "u2"),
    "UINT32_T": ("I", "u4", "u4"),
    "UINT64_T": ("L", "u8", "u8"),
    "FLOAT16_T": ("e", "f2", "e"),
    "C_COMPLEX": ("F", "c8", "F"),
    "C_FLOAT_COMPLEX": ("F", "c8", "F"),
    "C_DOUBLE_COMPLEX": ("D", "c16", "D"),
    "C_LONG_DOUBLE_COMPLEX": ("G", "c32", "G"),
    "CXX_FLOAT_COMPLEX": ("F", "c8", "F"),
    "CXX_DOUBLE_COMPLEX": ("D", "c16", "D"),
    "CXX_LONG_DOUBLE_COMPLEX": ("G", "c32", "G"),
    "SHORT_INT": ("V", "V", None),
    "INT_INT": ("V", "V", None),
    "TWOINT": ("V", "V", None),
    "LONG_INT": ("V", "V", None),
    "FLOAT_INT": ("V", "V", None),
    "DOUBLE_INT": ("V", "V", None),
    "LONG_DOUBLE_INT": ("V", "V", None),
    "CHARACTER": ("c", "S1", "c"),
    "LOGICAL": ("i", "i4", "i"),
    "F_BOOL": ("i", "i4", "i"),
    "INTEGER": ("i", "i4", "i"),
    "F_INT": ("i", "i4", "i"),
    "REAL": ("f", "f4", "f"),
    "F_FLOAT": ("f", "f4", "f"),
    "DOUBLE_PRECISION": ("d", "f8", "d"),
    "F_DOUBLE": ("d", "f8", "d"),
    "COMPLEX": ("F", "c8", "F"),
    "F_COMPLEX": ("F", "c8", "F"),
    "F_FLOAT_COMPLEX": ("F", "c8", "F"),
    "DOUBLE_COMPLEX": ("D", "c16", "D"),
    "F_DOUBLE_COMPLEX": ("D", "c16", "D"),
    "LOGICAL1": ("?", "b1", "b1"),
    "LOGICAL2": ("h", "i2", "i2"),
    "LOGICAL4": ("i", "i4", "i4"),
    "LOGICAL8": ("l", "i8", "i8"),
    "INTEGER1": ("b", "i1", "i1"),
    "INTEGER2": ("h", "i2", "i2"),
    "INTEGER4": ("i", "i4", "i4"),
    "INTEGER8": ("l", "i8", "i8"),
    "INTEGER16": ("V", "i16", "i16"),  # no C type: a 16-byte integer by its type string
    "LOGICAL16": ("V", "i16", "i16"),
    "COMPLEX4": ("E", "c4", "c4"),  # complex of two halves
    "REAL4": ("f", "f4", "f4"),
    "REAL8": ("d", "f8", "f8"),
    "REAL16": ("g", "f16", "f16"),
    "COMPLEX8": ("F", "c8", "c8"),
    "COMPLEX16": ("D", "c16", "c16"),
    "COMPLEX32": ("G", "c32", "c32"),
    "SIGNED_SHORT": ("h", "i2", "h"),
    "SIGNED_INT": ("i", "i4", "i"),
    "SIGNED_LONG": ("l", "i8", "l"),
    "SIGNED_LONG_LONG": ("q", "i8", "q"),
    "UNSIGNED_INT": ("I", "u4", "I"),
    "SINT8_T": ("b", "i1", "i1"),
    "SINT16_T": ("h", "i2", "i2"),
    "SINT32_T": ("i", "i4", "i4"),
    "SINT64_T": ("l", "i8", "i8"),
    "FLOAT32_T": ("f", "f4", "f"),
    "FLOAT64_T": ("d", "f8", "d"),
}
# fromcode(code) as in mpi4py 4.x.
FROMCODE = {
    "?": "C_BOOL",
    "c": "CHAR",
    "b": "SIGNED_CHAR",
    "B": "UNSIGNED_CHAR",
    "h": "SHORT",
    "H": "UNSIGNED_SHORT",
    "i": "INT",
    "I": "UNSIGNED",
    "l": "LONG",
    "L": "UNSIGNED_LONG",
    "q": "LONG_LONG",
    "Q": "UNSIGNED_LONG_LONG",
    "n": "COUNT",
    "N": "UNSIGNED_LONG",
    "p": "AINT",
    "P": "UNSIGNED_LONG",
    "e": "FLOAT16_T",
    "f": "FLOAT",
    "d": "DOUBLE",
    "g": "LONG_DOUBLE",
    "F": "C_FLOAT_COMPLEX",
    "E": "COMPLEX4",
    "Ze": "COMPLEX4",
    "c4": "COMPLEX4",
    "i16": "INTEGER16",
    "D": "C_DOUBLE_COMPLEX",
    "G": "C_LONG_DOUBLE_COMPLEX",
    "Zf": "C_FLOAT_COMPLEX",
    "Zd": "C_DOUBLE_COMPLEX",
    "Zg": "C_LONG_DOUBLE_COMPLEX",
    "s": "CHAR",
    "1s": "CHAR",
    "S": "CHAR",
    "S1": "CHAR",
    "a": "CHAR",
    "U": "WCHAR",
    "U1": "WCHAR",
    "w": "WCHAR",
    "1w": "WCHAR",
    "u": "UINT16_T",
    "1u": "UINT16_T",
    "M": "INT64_T",
    "M8": "INT64_T",
    "m": "INT64_T",
    "m8": "INT64_T",
    "b1": "C_BOOL",
    "i1": "INT8_T",
    "i2": "INT16_T",
    "i4": "INT32_T",
    "i8": "INT64_T",
    "u1": "UINT8_T",
    "u2": "UINT16_T",
    "u4": "UINT32_T",
    "u8": "UINT64_T",
    "f2": "FLOAT16_T",
    "f4": "FLOAT",
    "f8": "DOUBLE",
    "f16": "LONG_DOUBLE",
    "c8": "C_FLOAT_COMPLEX",
    "c16": "C_DOUBLE_COMPLEX",
    "c32": "C_LONG_DOUBLE_COMPLEX",
}
BAD_CODES = [
    "",
    "x",
    "V",
    "V4",
    "O",
    "T{i:i:}",
    "2i",
    "ii",
    "@",
    "<",
    "int",
    "float",
    "i0",
    "i3",
    "u16",
    "c24",
    "f12",
    "Z",
    "Zx",
    "?1",
    "\u00e9",
]

needs_lp64 = pytest.mark.skipif(not LP64, reason="the table is that of an LP64 platform")


def lookup(name):
    return getattr(MPI, name)


# -- Every predefined datatype ---------------------------------------------------------


def test_every_name_is_a_datatype():
    assert len(NAMES) > 80
    for name in NAMES:
        assert type(lookup(name)) is MPI.Datatype, name
    missing = [n for n in NAMES if not lookup(n)]
    # Only optional types may be missing (DATATYPE_NULL stands in for them).
    optional = {
        "DATATYPE_NULL",
        "FLOAT16_T",
        "BFLOAT16_T",
        "LOGICAL1",
        "LOGICAL2",
        "LOGICAL4",
        "LOGICAL8",
        "LOGICAL16",
        "INTEGER1",
        "INTEGER2",
        "INTEGER4",
        "INTEGER8",
        "INTEGER16",
        "REAL2",
        "REAL4",
        "REAL8",
        "REAL16",
        "COMPLEX4",
        "COMPLEX8",
        "COMPLEX16",
        "COMPLEX32",
    }
    assert set(missing) <= optional, set(missing) - optional
    for name in missing:
        assert lookup(name) == MPI.DATATYPE_NULL


def test_predefined_properties():
    for name in PRESENT:
        t = lookup(name)
        size = t.Get_size()
        lb, extent = t.Get_extent()
        tlb, textent = t.Get_true_extent()
        assert type(size) is int and size >= 0, name
        assert t.size == size
        assert (t.lb, t.extent, t.ub) == (lb, extent, lb + extent), name
        assert (t.true_lb, t.true_extent, t.true_ub) == (tlb, textent, tlb + textent), name
        assert lb == 0 and tlb == 0, name
        assert extent >= size and textent >= size, name
        assert t.is_named and t.is_predefined, name
        assert t.combiner == MPI.COMBINER_NAMED, name
        text = t.Get_name()
        assert isinstance(text, str) and text.startswith("MPI"), (name, text)
        assert t.name == text


def test_c_type_sizes():
    for name, ctype in C_TYPES.items():
        assert lookup(name).Get_size() == ctypes.sizeof(ctype), name
        assert lookup(name).Get_extent() == (0, ctypes.sizeof(ctype)), name
    assert MPI.OFFSET.Get_size() >= 8 and MPI.COUNT.Get_size() >= 8
    for name in ("C_COMPLEX", "C_FLOAT_COMPLEX", "CXX_FLOAT_COMPLEX"):
        assert lookup(name).Get_size() == 2 * ctypes.sizeof(ctypes.c_float), name
    for name in ("C_DOUBLE_COMPLEX", "CXX_DOUBLE_COMPLEX"):
        assert lookup(name).Get_size() == 2 * ctypes.sizeof(ctypes.c_double), name
    for name in ("C_LONG_DOUBLE_COMPLEX", "CXX_LONG_DOUBLE_COMPLEX"):
        assert lookup(name).Get_size() == 2 * LONGDOUBLE, name
    assert MPI.CXX_BOOL.Get_size() == 1
    if MPI.FLOAT16_T:
        assert MPI.FLOAT16_T.Get_size() == 2


def test_pair_types():
    for name, (first, second) in C_PAIRS.items():

        class Pair(ctypes.Structure):
            _fields_ = [("a", first), ("b", second)]

        t = lookup(name)
        assert t.Get_size() == ctypes.sizeof(first) + ctypes.sizeof(second), name
        assert t.Get_extent() == (0, ctypes.sizeof(Pair)), name
    assert MPI.TWOINT == MPI.INT_INT


def test_fortran_type_sizes():
    sized = {
        "INTEGER1": 1,
        "INTEGER2": 2,
        "INTEGER4": 4,
        "INTEGER8": 8,
        "INTEGER16": 16,
        "REAL2": 2,
        "REAL4": 4,
        "REAL8": 8,
        "REAL16": 16,
        "COMPLEX4": 4,
        "COMPLEX8": 8,
        "COMPLEX16": 16,
        "COMPLEX32": 32,
        "LOGICAL1": 1,
        "LOGICAL2": 2,
        "LOGICAL4": 4,
        "LOGICAL8": 8,
        "LOGICAL16": 16,
    }
    for name, size in sized.items():
        t = lookup(name)
        # Open MPI defines the types its Fortran compiler lacks with size 0.
        if t and t.Get_size():
            assert t.Get_size() == size, name
    assert MPI.CHARACTER.Get_size() == 1
    assert MPI.DOUBLE_PRECISION.Get_size() == 2 * MPI.REAL.Get_size()
    assert MPI.COMPLEX.Get_size() == 2 * MPI.REAL.Get_size()
    assert MPI.DOUBLE_COMPLEX.Get_size() == 2 * MPI.DOUBLE_PRECISION.Get_size()
    assert MPI.LOGICAL.Get_size() == MPI.INTEGER.Get_size()


def test_aliases():
    pairs = [
        ("UNSIGNED_INT", "UNSIGNED"),
        ("SIGNED_SHORT", "SHORT"),
        ("SIGNED_INT", "INT"),
        ("SIGNED_LONG", "LONG"),
        ("SIGNED_LONG_LONG", "LONG_LONG"),
        ("BOOL", "C_BOOL"),
        ("SINT8_T", "INT8_T"),
        ("SINT16_T", "INT16_T"),
        ("SINT32_T", "INT32_T"),
        ("SINT64_T", "INT64_T"),
        ("FLOAT32_T", "FLOAT"),
        ("FLOAT64_T", "DOUBLE"),
        ("F_BOOL", "LOGICAL"),
        ("F_INT", "INTEGER"),
        ("F_FLOAT", "REAL"),
        ("F_DOUBLE", "DOUBLE_PRECISION"),
        ("F_COMPLEX", "COMPLEX"),
        ("F_FLOAT_COMPLEX", "COMPLEX"),
        ("F_DOUBLE_COMPLEX", "DOUBLE_COMPLEX"),
        ("TWOINT", "INT_INT"),
    ]
    for alias, name in pairs:
        assert lookup(alias) is lookup(name), alias


# -- typechar, typestr, tocode ---------------------------------------------------------


@needs_lp64
def test_codes_as_mpi4py():
    wrong = []
    for name, (typechar, typestr, code) in EXPECTED_CODES.items():
        t = lookup(name)
        if not t:
            continue
        if typestr == "V":
            typestr = f"V{t.Get_extent()[1]}"
        try:
            got_code = t.tocode()
        except ValueError:
            got_code = None
        got = (t.typechar, t.typestr, got_code)
        if got != (typechar, typestr, code):
            wrong.append((name, got, (typechar, typestr, code)))
    assert not wrong, wrong


def test_codes_consistent_with_sizes():
    numpy = pytest.importorskip("numpy")
    for name in PRESENT:
        t = lookup(name)
        size = t.Get_size()
        if size == 0:
            continue  # a type this MPI defines but cannot use (Open MPI's COMPLEX32)
        typestr, typechar = t.typestr, t.typechar
        assert len(typechar) == 1, name
        if typestr in ("i16", "c4"):  # no NumPy dtype; fromcode gives the Fortran type
            assert MPI.Datatype.fromcode(t.tocode()).Get_size() == size, name
            continue
        if typestr.startswith("V"):
            assert typechar == "V" and typestr == f"V{t.Get_extent()[1]}", name
            with pytest.raises(ValueError):
                t.tocode()
            continue
        if typestr != "U1":
            assert numpy.dtype(typestr).itemsize == size, name
            assert numpy.dtype(typechar).itemsize == size, name
        if not fromcode_maps(t.tocode()):
            continue
        again = MPI.Datatype.fromcode(t.tocode())
        assert again.Get_size() == size and again.typestr == typestr, name


def test_null_datatype():
    null = MPI.DATATYPE_NULL
    assert not null and null.typechar == "" and null.typestr == ""
    assert null.is_predefined
    with pytest.raises(ValueError):
        null.tocode()
    assert null.Get_name() == MPI.Datatype().Get_name() == "MPI_DATATYPE_NULL"
    assert MPI._typealign(null) is None
    for call in (
        null.Get_size,
        null.Get_extent,
        null.Get_true_extent,
        null.Dup,
        null.Commit,
    ):
        with pytest.raises(MPI.Exception) as info:
            call()
        assert info.value.Get_error_class() == MPI.ERR_TYPE


# -- fromcode --------------------------------------------------------------------------


def test_fromcode_as_mpi4py():
    for code, name in FROMCODE.items():
        expected = lookup(name)
        if not expected:
            with pytest.raises(ValueError):
                MPI.Datatype.fromcode(code)
            continue
        got = MPI.Datatype.fromcode(code)
        assert got == expected, (code, got.Get_name(), name)
        assert got is expected  # the module constant itself


def fromcode_maps(code):
    """False for "f2" without FLOAT16_T (the MPI standard ABI has no C 16-bit float): as in
    mpi4py, fromcode("f2") is that type or ValueError, though REAL2's code is "f2" too."""
    return code != "f2" or bool(MPI.FLOAT16_T)


def test_fromcode_of_every_tocode():
    for name in PRESENT:
        t = lookup(name)
        try:
            code = t.tocode()
        except ValueError:
            continue
        if not fromcode_maps(code):
            with pytest.raises(ValueError):
                MPI.Datatype.fromcode(code)
            continue
        assert MPI.Datatype.fromcode(code).typestr == t.typestr, name


@pytest.mark.parametrize("code", BAD_CODES)
def test_fromcode_bad_code(code):
    with pytest.raises(ValueError):
        MPI.Datatype.fromcode(code)


def test_fromcode_bad_type():
    for bad in (None, 1, b"i", MPI.INT):
        with pytest.raises(TypeError):
            MPI.Datatype.fromcode(bad)


def test_typedict():
    typedict = MPI._typedict
    assert typedict["i"] is MPI.INT and typedict["d"] is MPI.DOUBLE
    for code, t in typedict.items():
        assert MPI.Datatype.fromcode(code) is t, code


# -- Buffer formats --------------------------------------------------------------------


def datatype_of(buf):
    """The datatype mpipy infers for a buffer object, from its buffer format."""
    return MPI.Datatype.fromcode(memoryview(buf).format)


NUMPY_DTYPES = {
    "?": "C_BOOL",
    "b": "SIGNED_CHAR",
    "B": "UNSIGNED_CHAR",
    "h": "SHORT",
    "H": "UNSIGNED_SHORT",
    "i": "INT",
    "I": "UNSIGNED",
    "l": "LONG",
    "L": "UNSIGNED_LONG",
    "q": "LONG_LONG",
    "Q": "UNSIGNED_LONG_LONG",
    "e": "FLOAT16_T",
    "f": "FLOAT",
    "d": "DOUBLE",
    "g": "LONG_DOUBLE",
    "F": "C_FLOAT_COMPLEX",
    "D": "C_DOUBLE_COMPLEX",
    "G": "C_LONG_DOUBLE_COMPLEX",
    "S1": "CHAR",
    "U1": "WCHAR",
    "int8": "SIGNED_CHAR",
    "uint8": "UNSIGNED_CHAR",
    "int64": "LONG",
    "float32": "FLOAT",
}


@pytest.mark.parametrize("dtype", list(NUMPY_DTYPES))
def test_numpy_formats(dtype):
    numpy = pytest.importorskip("numpy")
    expected = lookup(NUMPY_DTYPES[dtype])
    if dtype == "int64" and numpy.dtype("int64").char != "l":
        pytest.skip("int64 is not a C long here")
    if not expected:
        pytest.skip(f"{NUMPY_DTYPES[dtype]} is missing in this MPI")
    arr = numpy.zeros(3, dtype=dtype)
    t = datatype_of(arr)
    assert t == expected
    assert t.Get_size() == arr.itemsize


def test_numpy_datetimes_and_views():
    numpy = pytest.importorskip("numpy")
    for dtype in ("M8[s]", "m8[ns]"):
        arr = numpy.zeros(2, dtype=dtype)
        assert MPI.Datatype.fromcode(arr.dtype.char) == MPI.INT64_T
    # A strided view keeps its element format.
    arr = numpy.arange(10, dtype="d")[::2]
    assert MPI.Datatype.fromcode(memoryview(arr).format) == MPI.DOUBLE


def test_numpy_byte_order():
    numpy = pytest.importorskip("numpy")
    native = "<" if sys.byteorder == "little" else ">"
    swapped = ">" if native == "<" else "<"
    assert MPI.Datatype.fromcode(native + "i") == MPI.INT32_T  # standard size
    assert MPI.Datatype.fromcode(native + "q") == MPI.INT64_T
    assert MPI.Datatype.fromcode("=d") == MPI.DOUBLE
    # Data in the other byte order has no MPI datatype.
    for fmt in (swapped + "i", swapped + "d"):
        with pytest.raises(ValueError):
            MPI.Datatype.fromcode(fmt)
    swapped_array = numpy.zeros(2, dtype=swapped + "i4")
    with pytest.raises(ValueError):
        datatype_of(swapped_array)


@pytest.mark.parametrize("typecode", [c for c in "bBuhHiIlLqQfdw" if c in array.typecodes])
def test_array_formats(typecode):
    arr = array.array(typecode, [0, 0] if typecode not in "uw" else "ab")
    t = datatype_of(arr)
    assert t.Get_size() == arr.itemsize
    if typecode in "bBhHiIlLqQfd":
        assert t == MPI.Datatype.fromcode(typecode)
        assert t.typechar == typecode


def test_bytes_formats():
    for buf in (b"abc", bytearray(b"abc"), memoryview(b"abc")):
        assert datatype_of(buf) == MPI.UNSIGNED_CHAR


# -- Duplicates of predefined datatypes ------------------------------------------------


def test_dup_of_predefined():
    for name in ("INT", "DOUBLE", "C_BOOL", "INT64_T", "DOUBLE_INT", "WCHAR"):
        base = lookup(name)
        dup = base.Dup()
        try:
            assert dup != base and dup
            assert not dup.is_named and not dup.is_predefined
            assert dup.combiner == MPI.COMBINER_DUP
            assert dup.Get_size() == base.Get_size()
            assert dup.Get_extent() == base.Get_extent()
            assert (dup.typechar, dup.typestr) == (base.typechar, base.typestr), name
            try:
                code = base.tocode()
            except ValueError:
                with pytest.raises(ValueError):
                    dup.tocode()
            else:
                assert dup.tocode() == code
            dup2 = dup.Dup()  # a Dup of a Dup still knows its predefined origin
            assert dup2.typestr == base.typestr
            dup2.Free()
            assert dup.Commit() is dup
        finally:
            dup.Free()
        assert not dup


def test_free_predefined_refused():
    for t in (MPI.INT, MPI.Datatype(MPI.INT), MPI.Datatype.fromcode("d"), MPI.BYTE):
        with pytest.raises(MPI.Exception) as info:
            t.Free()
        assert info.value.Get_error_class() == MPI.ERR_TYPE
    assert MPI.INT.Get_size() == ctypes.sizeof(ctypes.c_int)
    assert MPI.DOUBLE.Get_size() == 8


def test_names_of_dups():
    dup = MPI.INT.Dup()
    try:
        dup.Set_name("my int")
        assert dup.Get_name() == dup.name == "my int"
        dup.name = "\u00e9" * MPI.MAX_OBJECT_NAME  # truncated by MPI, maybe mid-character
        got = dup.Get_name()
        assert isinstance(got, str) and got.startswith("\u00e9" * 8)
        with pytest.raises(TypeError):
            dup.Set_name(None)
    finally:
        dup.Free()
    assert MPI.INT.Get_name() in ("MPI_INT", "MPI_SIGNED_INT")


# -- Fortran 90 parameterized datatypes, alignments ---------------------------------------


def test_f90_codes():
    """tocode/typechar/typestr of Fortran 90 parameterized datatypes (and of Dups of them),
    from their kind and size, as mpi4py gives them."""
    made = []
    try:
        for r in (1, 2, 4, 9):
            made.append(MPI.Datatype.Create_f90_integer(r))
        for p, r in ((6, 30), (15, 300)):
            made.append(MPI.Datatype.Create_f90_real(p, r))
            made.append(MPI.Datatype.Create_f90_complex(p, r))
    except (MPI.Exception, NotImplementedError) as exc:
        pytest.skip(f"no Fortran 90 parameterized datatypes: {exc}")
    kinds = {
        MPI.COMBINER_F90_INTEGER: ("i", "bhilq"),
        MPI.COMBINER_F90_REAL: ("f", "efdg"),
        MPI.COMBINER_F90_COMPLEX: ("c", "FDG"),
    }
    for t in made:
        kind, chars = kinds[t.combiner]
        code = f"{kind}{t.Get_size()}"
        assert t.tocode() == code and t.typestr == code
        assert t.typechar in chars
        assert MPI.Datatype.fromcode(t.typechar).Get_size() == t.Get_size()
        dup = t.Dup()
        assert (dup.tocode(), dup.typechar, dup.typestr) == (t.tocode(), t.typechar, t.typestr)
        dup.Free()


def test_typecode():
    # MPI._typecode: tocode, or None where tocode raises.
    for name in PRESENT + ["DATATYPE_NULL"]:
        t = lookup(name)
        try:
            code = t.tocode()
        except ValueError:
            code = None
        assert MPI._typecode(t) == code, name
    pair = MPI.INT.Create_contiguous(2)
    try:
        assert MPI._typecode(pair) is None
    finally:
        pair.Free()


def test_typealign():
    numpy = pytest.importorskip("numpy")
    for name in PRESENT:
        t = lookup(name)
        align = MPI._typealign(t)
        pair_names = [p for p in C_PAIRS if lookup(p) == t]  # TWOINT is INT_INT
        if pair_names:
            a, b = C_PAIRS[pair_names[0]]
            pair = type("Pair", (ctypes.Structure,), {"_fields_": [("a", a), ("b", b)]})
            assert align == ctypes.alignment(pair), name
        elif t.typestr in ("i16", "f16", "c32"):
            assert align == 16, name
        elif t.typechar == "E":
            assert align == 2, name
        elif t.typechar == "V":
            assert align is None, name
        elif t.typechar == "U":
            assert align == ctypes.alignment(ctypes.c_wchar), name
        else:
            assert align == numpy.dtype(t.typechar).alignment, name
    derived = MPI.INT.Create_contiguous(2)
    try:
        assert MPI._typealign(derived) is None
    finally:
        derived.Free()
    dup = MPI.DOUBLE.Dup()
    try:
        assert MPI._typealign(dup) == MPI._typealign(MPI.DOUBLE)
    finally:
        dup.Free()

"""Message Passing Interface (MPI) for Python, with a C++ core."""

from collections.abc import Iterator, Sequence
from typing import Any, ClassVar, TypeAlias, final

from typing_extensions import Self


SUCCESS: int

ERR_LASTCODE: int

ERR_TYPE: int

ERR_REQUEST: int

ERR_OP: int

ERR_GROUP: int

ERR_INFO: int

ERR_INFO_KEY: int

ERR_INFO_VALUE: int

ERR_INFO_NOKEY: int

ERR_ERRHANDLER: int

ERR_SESSION: int

ERR_COMM: int

ERR_WIN: int

ERR_FILE: int

ERR_BUFFER: int

ERR_COUNT: int

ERR_TAG: int

ERR_RANK: int

ERR_ROOT: int

ERR_TRUNCATE: int

ERR_IN_STATUS: int

ERR_PENDING: int

ERR_TOPOLOGY: int

ERR_DIMS: int

ERR_ARG: int

ERR_OTHER: int

ERR_UNKNOWN: int

ERR_INTERN: int

ERR_KEYVAL: int

ERR_NO_MEM: int

ERR_BASE: int

ERR_SPAWN: int

ERR_PORT: int

ERR_SERVICE: int

ERR_NAME: int

ERR_PROC_ABORTED: int

ERR_SIZE: int

ERR_DISP: int

ERR_ASSERT: int

ERR_LOCKTYPE: int

ERR_RMA_CONFLICT: int

ERR_RMA_SYNC: int

ERR_RMA_RANGE: int

ERR_RMA_ATTACH: int

ERR_RMA_SHARED: int

ERR_RMA_FLAVOR: int

ERR_BAD_FILE: int

ERR_NO_SUCH_FILE: int

ERR_FILE_EXISTS: int

ERR_FILE_IN_USE: int

ERR_AMODE: int

ERR_ACCESS: int

ERR_READ_ONLY: int

ERR_NO_SPACE: int

ERR_QUOTA: int

ERR_NOT_SAME: int

ERR_IO: int

ERR_UNSUPPORTED_OPERATION: int

ERR_UNSUPPORTED_DATAREP: int

ERR_CONVERSION: int

ERR_DUP_DATAREP: int

ERR_VALUE_TOO_LARGE: int

ERR_REVOKED: int

ERR_PROC_FAILED: int

ERR_PROC_FAILED_PENDING: int

ERR_ABI: int

class Exception(RuntimeError):
    """Exception class."""

    def __init__(self, ierr=0, /): ...

    def __eq__(self, other): ...

    def __ne__(self, other): ...

    def __lt__(self, other): ...

    def __le__(self, other): ...

    def __gt__(self, other): ...

    def __ge__(self, other): ...

    def __hash__(self): ...

    def __bool__(self): ...

    def __int__(self): ...

    def __repr__(self): ...

    def __str__(self): ...

    def Get_error_code(self):
        """Error code."""

    def Get_error_class(self):
        """Error class."""

    def Get_error_string(self):
        """Error string."""

    @property
    def error_code(self) -> int: ...

    @property
    def error_class(self) -> int: ...

    @property
    def error_string(self) -> int: ...

def Get_error_class(errorcode: int) -> int:
    """Convert an *error code* into an *error class*."""

def Get_error_string(errorcode: int) -> str:
    """Return the *error string* for a given *error class* or *error code*."""

def Add_error_class() -> int:
    """Add an *error class* to the known error classes."""

def Add_error_code(errorclass: int) -> int:
    """Add an *error code* to an *error class*."""

def Add_error_string(errorcode: int, string: object) -> None:
    """Associate an *error string* with an *error class* or *error code*."""

def Remove_error_class(errorclass: int) -> None:
    """Remove an *error class* from the known error classes."""

def Remove_error_code(errorcode: int) -> None:
    """Remove an *error code* from the known error codes."""

def Remove_error_string(errorcode: int) -> None:
    """Remove *error string* association from *error class* or *error code*."""

class Errhandler:
    """Error handler."""

    def __init__(self, other: object | None = None) -> None: ...

    def __eq__(self, other: object) -> bool: ...

    def __ne__(self, other: object) -> bool: ...

    def __bool__(self) -> bool: ...

    def py2f(self) -> int:
        """Get Fortran integer handle."""

    def toint(self) -> int:
        """Translate object to integer handle."""

    def __reduce__(self) -> str | tuple[Any, ...]: ...

    def free(self) -> None:
        """Call `Free` if not null or predefined."""

    @property
    def handle(self) -> int:
        """MPI handle, as an integer."""

    def tohandle(self) -> int:
        """Return the MPI handle, as an integer."""

    @classmethod
    def fromhandle(cls, handle: object) -> Self:
        """Create object from MPI handle."""

    @classmethod
    def f2py(cls, arg: int) -> Self:
        """Create object from Fortran integer handle."""

    @classmethod
    def fromint(cls, arg: int) -> Self:
        """Translate integer handle to object."""

    __hash__: ClassVar[None]  # type: ignore[assignment]

    def Free(self) -> None:
        """Free an error handler."""

ERRHANDLER_NULL: Errhandler

ERRORS_RETURN: Errhandler

ERRORS_ARE_FATAL: Errhandler

ERRORS_ABORT: Errhandler

class Datatype:
    """Datatype object."""

    def __init__(self, other: object | None = None) -> None: ...

    def __eq__(self, other: object) -> bool: ...

    def __ne__(self, other: object) -> bool: ...

    def __bool__(self) -> bool: ...

    def py2f(self) -> int:
        """Get Fortran integer handle."""

    def toint(self) -> int:
        """Translate object to integer handle."""

    def __reduce__(self) -> str | tuple[Any, ...]: ...

    def free(self) -> None:
        """Call `Free` if not null or predefined."""

    @property
    def handle(self) -> int:
        """MPI handle, as an integer."""

    def tohandle(self) -> int:
        """Return the MPI handle, as an integer."""

    @classmethod
    def fromhandle(cls, handle: object) -> Self:
        """Create object from MPI handle."""

    @classmethod
    def f2py(cls, arg: int) -> Self:
        """Create object from Fortran integer handle."""

    @classmethod
    def fromint(cls, arg: int) -> Self:
        """Translate integer handle to object."""

    __hash__: ClassVar[None]  # type: ignore[assignment]

    def Get_size(self) -> int:
        """Return the number of bytes occupied by entries in the datatype."""

    @property
    def size(self) -> int:
        """Size (in bytes)."""

    def Get_extent(self) -> tuple[int, int]:
        """Return lower bound and extent of datatype."""

    @property
    def extent(self) -> int:
        """Extent."""

    @property
    def lb(self) -> int:
        """Lower bound."""

    @property
    def ub(self) -> int:
        """Upper bound."""

    def Get_true_extent(self) -> tuple[int, int]:
        """Return the true lower bound and extent of a datatype."""

    @property
    def true_extent(self) -> int:
        """True extent."""

    @property
    def true_lb(self) -> int:
        """True lower bound."""

    @property
    def true_ub(self) -> int:
        """True upper bound."""

    def Get_name(self) -> str:
        """Get the print name for this datatype."""

    def Set_name(self, name: object) -> None:
        """Set the print name for this datatype."""

    @property
    def name(self) -> Any:
        """Print name."""

    @name.setter
    def name(self, arg: object, /) -> None: ...

    def Dup(self) -> Any:
        """Duplicate a datatype."""

    def Create_dup(self) -> Any:
        """Duplicate a datatype."""

    def Commit(self) -> Any:
        """Commit the datatype."""

    def Free(self) -> None:
        """Free the datatype."""

    @property
    def combiner(self) -> int:
        """Combiner."""

    @property
    def is_named(self) -> bool:
        """Is a named datatype."""

    @property
    def is_predefined(self) -> bool:
        """Is a predefined datatype."""

    def tocode(self) -> str:
        """Get character code or type string from predefined MPI datatype."""

    @property
    def typechar(self) -> str:
        """Character code."""

    @property
    def typestr(self) -> str:
        """Type string."""

    @staticmethod
    def fromcode(code: object) -> Any:
        """Get predefined MPI datatype from character code or type string."""

    def Create_contiguous(self, count: object) -> Any:
        """Create a contiguous datatype."""

    def Create_vector(self, count: object, blocklength: object, stride: object) -> Any:
        """Create a vector (strided) datatype."""

    def Create_hvector(self, count: object, blocklength: object, stride: object) -> Any:
        """Create a vector (strided) datatype with stride in bytes."""

    def Create_indexed(self, blocklengths: object, displacements: object) -> Any:
        """Create an indexed datatype."""

    def Create_hindexed(self, blocklengths: object, displacements: object) -> Any:
        """Create an indexed datatype with displacements in bytes."""

    def Create_indexed_block(self, blocklength: object, displacements: object) -> Any:
        """Create an indexed datatype with constant-sized blocks."""

    def Create_hindexed_block(self, blocklength: object, displacements: object) -> Any:
        """
        Create an indexed datatype with constant-sized blocks and displacements in bytes.
        """

    @staticmethod
    def Create_struct(blocklengths: object, displacements: object, datatypes: object) -> Any:
        """Create a general composite (struct) datatype."""

    def Create_subarray(self, sizes: object, subsizes: object, starts: object, order: int = ...) -> Any:
        """Create a datatype for a subarray of an array."""

    def Create_darray(self, size: int, rank: int, gsizes: object, distribs: object, dargs: object, psizes: object, order: int = ...) -> Any:
        """Create a datatype for a distributed array on a Cartesian process grid."""

    def Create_resized(self, lb: object, extent: object) -> Any:
        """Create a datatype with a new lower bound and extent."""

    def Resized(self, lb: object, extent: object) -> Any:
        """Create a datatype with a new lower bound and extent."""

    @staticmethod
    def Create_f90_integer(r: int) -> Any:
        """Return a bounded integer datatype (Fortran 90 SELECTED_INT_KIND)."""

    @staticmethod
    def Create_f90_real(p: int, r: int) -> Any:
        """Return a bounded real datatype (Fortran 90 SELECTED_REAL_KIND)."""

    @staticmethod
    def Create_f90_complex(p: int, r: int) -> Any:
        """Return a bounded complex datatype (Fortran 90 SELECTED_REAL_KIND)."""

    @staticmethod
    def Get_value_index(value: Datatype, index: Datatype) -> Any:
        """
        Return the datatype of (value, index) pairs, as MINLOC and MAXLOC take them.
        """

    @staticmethod
    def Match_size(typeclass: int, size: int) -> Any:
        """Find a datatype matching a type class and a size in bytes."""

    def Get_envelope(self) -> tuple:
        """
        Return (integers, addresses, large counts, datatypes, combiner): the numbers of arguments the datatype's constructor took, and the constructor.
        """

    @property
    def envelope(self) -> Any:
        """Envelope."""

    def Get_contents(self) -> tuple:
        """
        Return the arguments the datatype's constructor took: (integers, addresses, large counts, datatypes). Derived datatypes returned are new: free them when done.
        """

    @property
    def contents(self) -> Any:
        """Contents."""

    def decode(self) -> tuple:
        """
        Return (base datatype, combiner name, constructor arguments as a dict). Derived datatypes returned are new: free them when done.
        """

    def Pack(self, inbuf: object, outbuf: object, position: int, comm: Comm) -> int:
        """
        Pack the entries of inbuf (as many whole entries of this datatype as it holds) into outbuf at position; return the new position.
        """

    def Unpack(self, inbuf: object, position: int, outbuf: object, comm: Comm) -> int:
        """
        Unpack from inbuf at position into outbuf (as many whole entries of this datatype as it holds); return the new position.
        """

    def Pack_size(self, count: int, comm: Comm) -> int:
        """Return an upper bound on the bytes that packing count entries takes."""

    def Pack_external(self, datarep: str, inbuf: object, outbuf: object, position: int) -> int:
        """Pack into the portable data representation datarep ("external32")."""

    def Unpack_external(self, datarep: str, inbuf: object, position: int, outbuf: object) -> int:
        """Unpack from the portable data representation datarep ("external32")."""

    def Pack_external_size(self, datarep: str, count: int) -> int:
        """Return the bytes that packing count entries in datarep takes."""

    @staticmethod
    def Create_keyval(copy_fn: object | None = None, delete_fn: object | None = None, nopython: bool = False) -> int:
        """Create a new attribute key for datatypes."""

    @staticmethod
    def Free_keyval(keyval: int) -> int:
        """Free an attribute key for datatypes."""

    def Set_attr(self, keyval: int, attrval: object | None) -> None:
        """Store attribute value associated with a key."""

    def Delete_attr(self, keyval: int) -> None:
        """Delete attribute value associated with a key."""

    def Get_attr(self, keyval: int) -> Any:
        """Retrieve attribute value by key."""

DATATYPE_NULL: Datatype

PACKED: Datatype

BYTE: Datatype

AINT: Datatype

OFFSET: Datatype

COUNT: Datatype

CHAR: Datatype

WCHAR: Datatype

SIGNED_CHAR: Datatype

SHORT: Datatype

INT: Datatype

LONG: Datatype

LONG_LONG: Datatype

UNSIGNED_CHAR: Datatype

UNSIGNED_SHORT: Datatype

UNSIGNED: Datatype

UNSIGNED_LONG: Datatype

UNSIGNED_LONG_LONG: Datatype

FLOAT: Datatype

DOUBLE: Datatype

LONG_DOUBLE: Datatype

C_BOOL: Datatype

INT8_T: Datatype

INT16_T: Datatype

INT32_T: Datatype

INT64_T: Datatype

UINT8_T: Datatype

UINT16_T: Datatype

UINT32_T: Datatype

UINT64_T: Datatype

FLOAT16_T: Datatype

BFLOAT16_T: Datatype

C_COMPLEX: Datatype

C_FLOAT_COMPLEX: Datatype

C_DOUBLE_COMPLEX: Datatype

C_LONG_DOUBLE_COMPLEX: Datatype

CXX_BOOL: Datatype

CXX_FLOAT_COMPLEX: Datatype

CXX_DOUBLE_COMPLEX: Datatype

CXX_LONG_DOUBLE_COMPLEX: Datatype

SHORT_INT: Datatype

INT_INT: Datatype

LONG_INT: Datatype

FLOAT_INT: Datatype

DOUBLE_INT: Datatype

LONG_DOUBLE_INT: Datatype

CHARACTER: Datatype

LOGICAL: Datatype

INTEGER: Datatype

REAL: Datatype

DOUBLE_PRECISION: Datatype

COMPLEX: Datatype

DOUBLE_COMPLEX: Datatype

LOGICAL1: Datatype

LOGICAL2: Datatype

LOGICAL4: Datatype

LOGICAL8: Datatype

LOGICAL16: Datatype

INTEGER1: Datatype

INTEGER2: Datatype

INTEGER4: Datatype

INTEGER8: Datatype

INTEGER16: Datatype

REAL2: Datatype

REAL4: Datatype

REAL8: Datatype

REAL16: Datatype

COMPLEX4: Datatype

COMPLEX8: Datatype

COMPLEX16: Datatype

COMPLEX32: Datatype

UNSIGNED_INT: Datatype

SIGNED_SHORT: Datatype

SIGNED_INT: Datatype

SIGNED_LONG: Datatype

SIGNED_LONG_LONG: Datatype

BOOL: Datatype

SINT8_T: Datatype

SINT16_T: Datatype

SINT32_T: Datatype

SINT64_T: Datatype

FLOAT32_T: Datatype

FLOAT64_T: Datatype

F_BOOL: Datatype

F_INT: Datatype

F_FLOAT: Datatype

F_DOUBLE: Datatype

F_COMPLEX: Datatype

F_FLOAT_COMPLEX: Datatype

F_DOUBLE_COMPLEX: Datatype

TWOINT: Datatype

def Get_address(location: object | None) -> int:
    """Get the address of a location in memory (the first byte of a buffer)."""

def Aint_add(base: int, disp: int) -> int:
    """Return the sum of a base address and a displacement."""

def Aint_diff(addr1: int, addr2: int) -> int:
    """Return the difference between two addresses."""

def Get_abi_version() -> tuple[int, int]:
    """Obtain the MPI ABI version number."""

def Get_abi_info() -> Any:
    """Obtain information about the MPI ABI."""

def Get_abi_fortran_info() -> Any:
    """Obtain information about the Fortran MPI ABI."""

class Group:
    """Group of processes."""

    def __init__(self, other: object | None = None) -> None: ...

    def __eq__(self, other: object) -> bool: ...

    def __ne__(self, other: object) -> bool: ...

    def __bool__(self) -> bool: ...

    def py2f(self) -> int:
        """Get Fortran integer handle."""

    def toint(self) -> int:
        """Translate object to integer handle."""

    def __reduce__(self) -> str | tuple[Any, ...]: ...

    def free(self) -> None:
        """Call `Free` if not null or predefined."""

    @property
    def handle(self) -> int:
        """MPI handle, as an integer."""

    def tohandle(self) -> int:
        """Return the MPI handle, as an integer."""

    @classmethod
    def fromhandle(cls, handle: object) -> Self:
        """Create object from MPI handle."""

    @classmethod
    def f2py(cls, arg: int) -> Self:
        """Create object from Fortran integer handle."""

    @classmethod
    def fromint(cls, arg: int) -> Self:
        """Translate integer handle to object."""

    __hash__: ClassVar[None]  # type: ignore[assignment]

    def Get_size(self) -> int:
        """Return the number of processes in a group."""

    def Get_rank(self) -> int:
        """Return the rank of this process in a group."""

    @property
    def size(self) -> Any:
        """Number of processes."""

    @property
    def rank(self) -> Any:
        """Rank of this process."""

    def Translate_ranks(self, ranks: object | None = None, group: object | None = None) -> list[int]:
        """Translate ranks in a group to those in another group."""

    def Compare(self, group: object) -> int:
        """Compare two groups."""

    def Dup(self) -> Any:
        """Duplicate a group."""

    @staticmethod
    def Union(group1: object, group2: object) -> Any:
        """Create a new group from the union of two existing groups."""

    @staticmethod
    def Intersection(group1: object, group2: object) -> Any:
        """Create a new group from the intersection of two existing groups."""

    @staticmethod
    def Intersect(group1: object, group2: object) -> Any:
        """Create a new group from the intersection of two existing groups."""

    @staticmethod
    def Difference(group1: object, group2: object) -> Any:
        """Create a new group from the difference of two existing groups."""

    def Incl(self, ranks: object) -> Any:
        """Create a new group by including ranks of an existing group."""

    def Excl(self, ranks: object) -> Any:
        """Create a new group by excluding ranks of an existing group."""

    def Range_incl(self, ranks: object) -> Any:
        """Create a new group by including ranges of ranks."""

    def Range_excl(self, ranks: object) -> Any:
        """Create a new group by excluding ranges of ranks."""

    def Free(self) -> None:
        """Free a group."""

    @staticmethod
    def Create_from_session_pset(session: object, pset_name: object) -> Any:
        """Create a new group from session and process set."""

GROUP_NULL: Group

GROUP_EMPTY: Group

class Info:
    """Info object."""

    def __init__(self, other: object | None = None) -> None: ...

    def __eq__(self, other: object) -> bool: ...

    def __ne__(self, other: object) -> bool: ...

    def __bool__(self) -> bool: ...

    def py2f(self) -> int:
        """Get Fortran integer handle."""

    def toint(self) -> int:
        """Translate object to integer handle."""

    def __reduce__(self) -> str | tuple[Any, ...]: ...

    def free(self) -> None:
        """Call `Free` if not null or predefined."""

    @property
    def handle(self) -> int:
        """MPI handle, as an integer."""

    def tohandle(self) -> int:
        """Return the MPI handle, as an integer."""

    @classmethod
    def fromhandle(cls, handle: object) -> Self:
        """Create object from MPI handle."""

    @classmethod
    def f2py(cls, arg: int) -> Self:
        """Create object from Fortran integer handle."""

    @classmethod
    def fromint(cls, arg: int) -> Self:
        """Translate integer handle to object."""

    __hash__: ClassVar[None]  # type: ignore[assignment]

    @classmethod
    def Create(cls, items: object | None = None) -> Any:
        """Create a new info object."""

    @classmethod
    def Create_env(cls, args: object | None = None) -> Any:
        """Create a new environment info object."""

    def Dup(self) -> Any:
        """Duplicate an existing info object."""

    def Free(self) -> None:
        """Free an info object."""

    def Get(self, key: object) -> Any:
        """Retrieve the value associated with a key."""

    def Set(self, key: object, value: object) -> None:
        """Store a value associated with a key."""

    def Delete(self, key: object) -> None:
        """Remove a (key, value) pair from info."""

    def Get_nkeys(self) -> int:
        """Return the number of currently defined keys in info."""

    def Get_nthkey(self, n: int) -> str:
        """Return the *n*-th defined key in info."""

    def __len__(self) -> int: ...

    def __contains__(self, key: object) -> bool: ...

    def __iter__(self) -> Iterator: ...

    def __getitem__(self, key: object) -> str: ...

    def __setitem__(self, key: object, value: object) -> None: ...

    def __delitem__(self, key: object) -> None: ...

    def get(self, key: object, default: object | None = None) -> Any:
        """Retrieve value by key, or default."""

    def keys(self) -> list[str]:
        """Return list of keys."""

    def values(self) -> list[str]:
        """Return list of values."""

    def items(self) -> list:
        """Return list of items."""

    def update(self, items: object = (), **kwds) -> None:
        """Update contents."""

    def pop(self, key: object, *default) -> Any:
        """Pop value by key."""

    def popitem(self) -> tuple:
        """Pop last item."""

    def copy(self) -> Any:
        """Copy contents."""

    def clear(self) -> None:
        """Clear contents."""

INFO_NULL: Info

INFO_ENV: Info

class Op:
    """Reduction operation."""

    def __init__(self, other: object | None = None) -> None: ...

    def __eq__(self, other: object) -> bool: ...

    def __ne__(self, other: object) -> bool: ...

    def __bool__(self) -> bool: ...

    def py2f(self) -> int:
        """Get Fortran integer handle."""

    def toint(self) -> int:
        """Translate object to integer handle."""

    def __reduce__(self) -> str | tuple[Any, ...]: ...

    def free(self) -> None:
        """Call `Free` if not null or predefined."""

    @property
    def handle(self) -> int:
        """MPI handle, as an integer."""

    def tohandle(self) -> int:
        """Return the MPI handle, as an integer."""

    @classmethod
    def fromhandle(cls, handle: object) -> Self:
        """Create object from MPI handle."""

    @classmethod
    def f2py(cls, arg: int) -> Self:
        """Create object from Fortran integer handle."""

    @classmethod
    def fromint(cls, arg: int) -> Self:
        """Translate integer handle to object."""

    __hash__: ClassVar[None]  # type: ignore[assignment]

    @staticmethod
    def Create(function: object, commute: bool = False) -> Any:
        """Create a user-defined reduction operation."""

    def Free(self) -> None:
        """Free the operation."""

    def Is_commutative(self) -> bool:
        """Query reduction operations for their commutativity."""

    @property
    def is_commutative(self) -> bool:
        """Is a commutative operation."""

    @property
    def is_predefined(self) -> bool:
        """Is a predefined operation."""

    def Reduce_local(self, inbuf: object, inoutbuf: object) -> None:
        """Apply a reduction operation to local data."""

    def __call__(self, x: object | None, y: object | None) -> Any:
        """Apply the operation to two Python objects."""

OP_NULL: Op

MAX: Op

MIN: Op

SUM: Op

PROD: Op

LAND: Op

BAND: Op

LOR: Op

BOR: Op

LXOR: Op

BXOR: Op

MAXLOC: Op

MINLOC: Op

REPLACE: Op

NO_OP: Op

@final
class BottomType(int):
    """Type of BOTTOM."""

    def __new__(cls) -> BottomType: ...

    def __reduce__(self) -> str: ...

BOTTOM: BottomType

@final
class InPlaceType(int):
    """Type of IN_PLACE."""

    def __new__(cls) -> InPlaceType: ...

    def __reduce__(self) -> str: ...

IN_PLACE: InPlaceType

@final
class BufferAutomaticType(int):
    """Type of BUFFER_AUTOMATIC."""

    def __new__(cls) -> BufferAutomaticType: ...

    def __reduce__(self) -> str: ...

BUFFER_AUTOMATIC: BufferAutomaticType

class Status:
    """Status object."""

    def __init__(self, status: Status | None = None) -> None: ...

    def Get_source(self) -> int:
        """Get message source."""

    def Set_source(self, source: int) -> None:
        """Set message source."""

    @property
    def source(self) -> int:
        """Message source."""

    @source.setter
    def source(self, arg: int, /) -> None: ...

    def Get_tag(self) -> int:
        """Get message tag."""

    def Set_tag(self, tag: int) -> None:
        """Set message tag."""

    @property
    def tag(self) -> int:
        """Message tag."""

    @tag.setter
    def tag(self, arg: int, /) -> None: ...

    def Get_error(self) -> int:
        """Get message error."""

    def Set_error(self, error: int) -> None:
        """Set message error."""

    @property
    def error(self) -> int:
        """Message error."""

    @error.setter
    def error(self, arg: int, /) -> None: ...

    def Get_count(self, datatype: Datatype | None = None) -> int:
        """Get the number of *top level* elements."""

    @property
    def count(self) -> int:
        """Byte count."""

    @count.setter
    def count(self, arg: int, /) -> None: ...

    def Get_elements(self, datatype: Datatype) -> int:
        """Get the number of basic elements in a datatype."""

    def Set_elements(self, datatype: Datatype, count: int) -> None:
        """Set the number of elements in a status."""

    def Is_cancelled(self) -> bool:
        """Test to see if a request was cancelled."""

    def Set_cancelled(self, flag: bool) -> None:
        """Set the cancelled state associated with a status."""

    @property
    def cancelled(self) -> Any:
        """Cancelled state."""

    @cancelled.setter
    def cancelled(self, arg: bool, /) -> None: ...

    def __copy__(self) -> Any: ...

    def __eq__(self, other: object) -> bool: ...

    def __ne__(self, other: object) -> bool: ...

    def py2f(self) -> list[int]:
        """Convert to Fortran status."""

    @staticmethod
    def f2py(arg: Sequence[int]) -> Status:
        """Convert Fortran status to Status."""

    def tomemory(self) -> Any:
        """Return a memory view of the status object."""

    def __reduce__(self) -> tuple: ...

    def __setstate__(self, arg: bytes, /) -> None: ...

    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class buffer:
    """Buffer."""

    def __init__(self, buf: object = ..., /) -> None:
        """Buffer over the memory of a buffer-like object (empty without one)."""

    @staticmethod
    def allocate(nbytes: int, clear: bool = False) -> Any:
        """Buffer allocation."""

    @staticmethod
    def frombuffer(obj: object, readonly: bool = False) -> Any:
        """Buffer from buffer-like object."""

    @staticmethod
    def fromaddress(address: object, nbytes: int, readonly: bool = False) -> Any:
        """Buffer from address and size in bytes."""

    @property
    def address(self) -> int:
        """Buffer address."""

    @property
    def obj(self) -> Any:
        """Object exposing buffer."""

    @property
    def nbytes(self) -> int:
        """Buffer size (in bytes)."""

    @property
    def readonly(self) -> bool:
        """Buffer is read-only."""

    @property
    def format(self) -> str:
        """Format of each element."""

    @property
    def itemsize(self) -> int:
        """Size (in bytes) of each element."""

    def cast(self, format: object, shape: object = Ellipsis) -> Any:
        """Cast to a `memoryview` with new format or shape."""

    def tobytes(self, order: object | None = None) -> bytes:
        """Return the data in the buffer as a byte string."""

    def toreadonly(self) -> Any:
        """Return a readonly version of the buffer object."""

    def release(self) -> None:
        """Release the underlying buffer exposed by the buffer object."""

    def __len__(self) -> int: ...

    def __getitem__(self, arg: object, /) -> Any: ...

    def __setitem__(self, arg0: object, arg1: object, /) -> None: ...

    def __delitem__(self, arg: object, /) -> None: ...

memory: TypeAlias = buffer

def Alloc_mem(size: int, info: Info | None = None) -> Any:
    """Allocate memory for message passing and remote memory access."""

def Free_mem(mem: object) -> None:
    """Free memory allocated with `Alloc_mem`."""

class Pickle:
    """Pickle/unpickle Python objects."""

    def __init__(self, dumps: object | None = None, loads: object | None = None, protocol: object | None = None, threshold: object | None = None) -> None: ...

    @property
    def PROTOCOL(self) -> Any:
        """Protocol version."""

    @PROTOCOL.setter
    def PROTOCOL(self, value: object | None) -> None: ...

    @property
    def THRESHOLD(self) -> int:
        """Out-of-band threshold."""

    @THRESHOLD.setter
    def THRESHOLD(self, value: object | None) -> None: ...

    def dumps(self, obj: object | None) -> Any:
        """Serialize object to pickle data stream."""

    def loads(self, data: object) -> Any:
        """Deserialize object from pickle data stream."""

    def dumps_oob(self, obj: object | None) -> tuple:
        """Serialize object to pickle data stream and out-of-band buffers."""

    def loads_oob(self, data: object, buffers: object) -> Any:
        """Deserialize object from pickle data stream and out-of-band buffers."""

pickle: Pickle = ...

class Request:
    """Request handler."""

    def __init__(self, other: object | None = None) -> None: ...

    def __eq__(self, other: object) -> bool: ...

    def __ne__(self, other: object) -> bool: ...

    def __bool__(self) -> bool: ...

    def py2f(self) -> int:
        """Get Fortran integer handle."""

    def toint(self) -> int:
        """Translate object to integer handle."""

    def __reduce__(self) -> str | tuple[Any, ...]: ...

    def free(self) -> None:
        """Call `Free` if not null or predefined."""

    @property
    def handle(self) -> int:
        """MPI handle, as an integer."""

    def tohandle(self) -> int:
        """Return the MPI handle, as an integer."""

    @classmethod
    def fromhandle(cls, handle: object) -> Self:
        """Create object from MPI handle."""

    @classmethod
    def f2py(cls, arg: int) -> Self:
        """Create object from Fortran integer handle."""

    @classmethod
    def fromint(cls, arg: int) -> Self:
        """Translate integer handle to object."""

    __hash__: ClassVar[None]  # type: ignore[assignment]

    def Wait(self, status: Status | None = None) -> bool:
        """Wait for a non-blocking operation to complete."""

    def Test(self, status: Status | None = None) -> bool:
        """Test for the completion of a non-blocking operation."""

    def Get_status(self, status: Status | None = None) -> bool:
        """Non-destructive test for the completion of a request."""

    def Cancel(self) -> None:
        """Cancel a request."""

    def Free(self) -> None:
        """Free a communication request."""

    def wait(self, status: Status | None = None) -> Any:
        """Wait for a non-blocking operation to complete."""

    def test(self, status: Status | None = None) -> tuple:
        """Test for the completion of a non-blocking operation."""

    def get_status(self, status: Status | None = None) -> bool:
        """Non-destructive test for the completion of a request."""

    def cancel(self) -> None:
        """Cancel a request."""

    @staticmethod
    def Waitall(requests: Sequence[Request], statuses: list[Status] | None = None) -> bool:
        """Wait for all previously initiated requests to complete."""

    @staticmethod
    def Testall(requests: Sequence[Request], statuses: list[Status] | None = None) -> bool:
        """Test for completion of all previously initiated requests."""

    @staticmethod
    def Waitany(requests: Sequence[Request], status: Status | None = None) -> int:
        """Wait for any previously initiated request to complete."""

    @staticmethod
    def Testany(requests: Sequence[Request], status: Status | None = None) -> tuple[int, bool]:
        """Test for completion of any previously initiated request."""

    @staticmethod
    def Waitsome(requests: Sequence[Request], statuses: list[Status] | None = None) -> Any:
        """Wait for some previously initiated requests to complete."""

    @staticmethod
    def Testsome(requests: Sequence[Request], statuses: list[Status] | None = None) -> Any:
        """Test for completion of some previously initiated requests."""

    @staticmethod
    def Get_status_all(requests: Sequence[Request], statuses: list[Status] | None = None) -> bool:
        """Access the status of all requests, without completing them."""

    @staticmethod
    def Get_status_any(requests: Sequence[Request], status: Status | None = None) -> tuple[int, bool]:
        """Access the status of any active request, without completing it."""

    @staticmethod
    def Get_status_some(requests: Sequence[Request], statuses: list[Status] | None = None) -> Any:
        """Access the status of some requests, without completing them."""

    @staticmethod
    def waitall(requests: Sequence[Request], statuses: list[Status] | None = None) -> list:
        """Wait for all previously initiated requests to complete."""

    @staticmethod
    def testall(requests: Sequence[Request], statuses: list[Status] | None = None) -> tuple:
        """Test for completion of all previously initiated requests."""

    @staticmethod
    def waitany(requests: Sequence[Request], status: Status | None = None) -> tuple:
        """Wait for any previously initiated request to complete."""

    @staticmethod
    def testany(requests: Sequence[Request], status: Status | None = None) -> tuple:
        """Test for completion of any previously initiated request."""

    @staticmethod
    def waitsome(requests: Sequence[Request], statuses: list[Status] | None = None) -> tuple:
        """Wait for some previously initiated requests to complete."""

    @staticmethod
    def testsome(requests: Sequence[Request], statuses: list[Status] | None = None) -> tuple:
        """Test for completion of some previously initiated requests."""

    @staticmethod
    def get_status_all(requests: Sequence[Request], statuses: list[Status] | None = None) -> Any:
        """Access the status of all requests, without completing them."""

    @staticmethod
    def get_status_any(requests: Sequence[Request], status: Status | None = None) -> Any:
        """Access the status of any active request, without completing it."""

    @staticmethod
    def get_status_some(requests: Sequence[Request], statuses: list[Status] | None = None) -> Any:
        """Access the status of some requests, without completing them."""

class Prequest(Request):
    """Persistent request handler."""

    def __init__(self, request: object | None = None) -> None: ...

    def Start(self) -> None:
        """Initiate a communication with a persistent request."""

    @staticmethod
    def Startall(requests: Sequence[Request]) -> None:
        """Start a collection of persistent requests."""

    def Pready(self, partition: object) -> None:
        """Mark a given partition as ready."""

    def Pready_range(self, partition_low: object, partition_high: object) -> None:
        """Mark a range of partitions as ready."""

    def Pready_list(self, partitions: object) -> None:
        """Mark a sequence of partitions as ready."""

    def Parrived(self, partition: object) -> bool:
        """Test partial completion of a partitioned receive operation."""

class Grequest(Request):
    """Generalized request handler."""

    def __init__(self, request: object | None = None) -> None: ...

    @classmethod
    def Start(cls, query_fn: object | None = None, free_fn: object | None = None, cancel_fn: object | None = None, args: object | None = None, kwargs: object | None = None) -> Any:
        """Create and return a user-defined request."""

    def Complete(self) -> None:
        """Notify that a user-defined request is complete."""

    def complete(self, obj: object | None = None) -> None:
        """Notify that a user-defined request is complete."""

REQUEST_NULL: Request

class Message:
    """Matched message."""

    def __init__(self, other: object | None = None) -> None: ...

    def __eq__(self, other: object) -> bool: ...

    def __ne__(self, other: object) -> bool: ...

    def __bool__(self) -> bool: ...

    def py2f(self) -> int:
        """Get Fortran integer handle."""

    def toint(self) -> int:
        """Translate object to integer handle."""

    def __reduce__(self) -> str | tuple[Any, ...]: ...

    def free(self) -> None:
        """Call `Free` if not null or predefined."""

    @property
    def handle(self) -> int:
        """MPI handle, as an integer."""

    def tohandle(self) -> int:
        """Return the MPI handle, as an integer."""

    @classmethod
    def fromhandle(cls, handle: object) -> Self:
        """Create object from MPI handle."""

    @classmethod
    def f2py(cls, arg: int) -> Self:
        """Create object from Fortran integer handle."""

    @classmethod
    def fromint(cls, arg: int) -> Self:
        """Translate integer handle to object."""

    __hash__: ClassVar[None]  # type: ignore[assignment]

    def Recv(self, buf: object | None, status: Status | None = None) -> None:
        """Blocking receive of matched message."""

    def Irecv(self, buf: object | None) -> Any:
        """Nonblocking receive of matched message."""

    def recv(self, status: Status | None = None) -> Any:
        """Blocking receive of matched message."""

    def irecv(self) -> Any:
        """Nonblocking receive of matched message."""

    @staticmethod
    def Probe(comm: Comm, source: int = ..., tag: int = ..., status: Status | None = None) -> Any:
        """Blocking test for a matched message."""

    @staticmethod
    def Iprobe(comm: Comm, source: int = ..., tag: int = ..., status: Status | None = None) -> Any:
        """Nonblocking test for a matched message."""

    @staticmethod
    def probe(comm: Comm, source: int = ..., tag: int = ..., status: Status | None = None) -> Any:
        """Blocking test for a matched message."""

    @staticmethod
    def iprobe(comm: Comm, source: int = ..., tag: int = ..., status: Status | None = None) -> Any:
        """Nonblocking test for a matched message."""

MESSAGE_NULL: Message

MESSAGE_NO_PROC: Message

class Comm:
    """Communication context."""

    def __init__(self, other: object | None = None) -> None: ...

    def __eq__(self, other: object) -> bool: ...

    def __ne__(self, other: object) -> bool: ...

    def __bool__(self) -> bool: ...

    def py2f(self) -> int:
        """Get Fortran integer handle."""

    def toint(self) -> int:
        """Translate object to integer handle."""

    def __reduce__(self) -> str | tuple[Any, ...]: ...

    def free(self) -> None:
        """Call `Free` if not null or predefined."""

    @property
    def handle(self) -> int:
        """MPI handle, as an integer."""

    def tohandle(self) -> int:
        """Return the MPI handle, as an integer."""

    @classmethod
    def fromhandle(cls, handle: object) -> Self:
        """Create object from MPI handle."""

    @classmethod
    def f2py(cls, arg: int) -> Self:
        """Create object from Fortran integer handle."""

    @classmethod
    def fromint(cls, arg: int) -> Self:
        """Translate integer handle to object."""

    __hash__: ClassVar[None]  # type: ignore[assignment]

    def Get_size(self) -> int:
        """Return the number of processes in a communicator."""

    def Get_rank(self) -> int:
        """Return the rank of this process in a communicator."""

    @property
    def size(self) -> Any:
        """Number of processes."""

    @property
    def rank(self) -> Any:
        """Rank of this process."""

    def Get_group(self) -> Any:
        """Access the group associated with a communicator."""

    @property
    def group(self) -> Any:
        """Group."""

    def Compare(self, comm: Comm) -> int:
        """Compare two communicators."""

    def Clone(self) -> Any:
        """Clone an existing communicator."""

    def Dup(self, info: Info | None = None) -> Any:
        """Duplicate a communicator."""

    def Free(self) -> None:
        """Free a communicator."""

    def Is_inter(self) -> bool:
        """Indicate whether the communicator is an intercommunicator."""

    def Is_intra(self) -> bool:
        """Indicate whether the communicator is an intracommunicator."""

    @property
    def is_inter(self) -> bool:
        """Is intercommunicator."""

    @property
    def is_intra(self) -> bool:
        """Is intracommunicator."""

    def Get_topology(self) -> int:
        """Return the type of topology (if any) associated with a communicator."""

    @property
    def topology(self) -> int:
        """Topology type."""

    @property
    def is_topo(self) -> bool:
        """Is a topology."""

    def Get_name(self) -> str:
        """Get the print name for this communicator."""

    def Set_name(self, name: object) -> None:
        """Set the print name for this communicator."""

    @property
    def name(self) -> Any:
        """Print name."""

    @name.setter
    def name(self, arg: object, /) -> None: ...

    def Get_errhandler(self) -> Any:
        """Get the error handler for a communicator."""

    def Set_errhandler(self, errhandler: Errhandler) -> None:
        """Set the error handler for a communicator."""

    def Get_attr(self, keyval: int) -> Any:
        """Retrieve attribute value by key."""

    def Abort(self, errorcode: int = ...) -> None:
        """Terminate the MPI execution environment."""

    def Dup_with_info(self, info: Info) -> Any:
        """Duplicate a communicator with hints."""

    def Idup(self, info: Info | None = None) -> Any:
        """Nonblocking duplicate a communicator."""

    def Idup_with_info(self, info: Info) -> Any:
        """Nonblocking duplicate a communicator with hints."""

    def Create(self, group: object) -> Any:
        """Create communicator from group."""

    def Split_type(self, split_type: int, key: int = ..., info: Info | None = None) -> Any:
        """Split communicator by split type."""

    def Get_info(self) -> Any:
        """Return the current hints for a communicator."""

    def Set_info(self, info: Info) -> None:
        """Set new values for the hints associated with a communicator."""

    @property
    def info(self) -> Any:
        """Info hints."""

    @info.setter
    def info(self, arg: object, /) -> None: ...

    def Call_errhandler(self, errorcode: int) -> None:
        """Call the error handler installed on a communicator."""

    def Split(self, color: int = ..., key: int = ...) -> Any:
        """Split communicator by color and key."""

    @staticmethod
    def Create_errhandler(errhandler_fn: object) -> Any:
        """Create a new error handler for communicators."""

    def Send(self, buf: object | None, dest: int, tag: int = ...) -> None:
        """Blocking send."""

    def Bsend(self, buf: object | None, dest: int, tag: int = ...) -> None:
        """Blocking send in buffered mode."""

    def Ssend(self, buf: object | None, dest: int, tag: int = ...) -> None:
        """Blocking send in synchronous mode."""

    def Rsend(self, buf: object | None, dest: int, tag: int = ...) -> None:
        """Blocking send in ready mode."""

    def Isend(self, buf: object | None, dest: int, tag: int = ...) -> Any:
        """Nonblocking send."""

    def Ibsend(self, buf: object | None, dest: int, tag: int = ...) -> Any:
        """Nonblocking send in buffered mode."""

    def Issend(self, buf: object | None, dest: int, tag: int = ...) -> Any:
        """Nonblocking send in synchronous mode."""

    def Irsend(self, buf: object | None, dest: int, tag: int = ...) -> Any:
        """Nonblocking send in ready mode."""

    def Send_init(self, buf: object | None, dest: int, tag: int = ...) -> Any:
        """Create a persistent request for a standard send."""

    def Bsend_init(self, buf: object | None, dest: int, tag: int = ...) -> Any:
        """Persistent request for a send in buffered mode."""

    def Ssend_init(self, buf: object | None, dest: int, tag: int = ...) -> Any:
        """Persistent request for a send in synchronous mode."""

    def Rsend_init(self, buf: object | None, dest: int, tag: int = ...) -> Any:
        """Persistent request for a send in ready mode."""

    def Recv(self, buf: object | None, source: int = ..., tag: int = ..., status: Status | None = None) -> None:
        """Blocking receive."""

    def Irecv(self, buf: object | None, source: int = ..., tag: int = ...) -> Any:
        """Nonblocking receive."""

    def Recv_init(self, buf: object | None, source: int = ..., tag: int = ...) -> Any:
        """Create a persistent request for a receive."""

    def Sendrecv(self, sendbuf: object | None, dest: int, sendtag: int = ..., recvbuf: object | None = None, source: int = ..., recvtag: int = ..., status: Status | None = None) -> None:
        """Send and receive a message."""

    def Sendrecv_replace(self, buf: object | None, dest: int, sendtag: int = ..., source: int = ..., recvtag: int = ..., status: Status | None = None) -> None:
        """Send and receive a message, replacing the buffer's contents."""

    def Isendrecv(self, sendbuf: object | None, dest: int, sendtag: int = ..., recvbuf: object | None = None, source: int = ..., recvtag: int = ...) -> Any:
        """Nonblocking send and receive."""

    def Isendrecv_replace(self, buf: object | None, dest: int, sendtag: int = ..., source: int = ..., recvtag: int = ...) -> Any:
        """Nonblocking send and receive with a single buffer."""

    def Probe(self, source: int = ..., tag: int = ..., status: Status | None = None) -> bool:
        """Blocking test for a message."""

    def Iprobe(self, source: int = ..., tag: int = ..., status: Status | None = None) -> bool:
        """Nonblocking test for a message."""

    def Mprobe(self, source: int = ..., tag: int = ..., status: Status | None = None) -> Any:
        """Blocking test for a matched message."""

    def Improbe(self, source: int = ..., tag: int = ..., status: Status | None = None) -> Any:
        """Nonblocking test for a matched message."""

    def probe(self, source: int = ..., tag: int = ..., status: Status | None = None) -> bool:
        """Blocking test for a message."""

    def iprobe(self, source: int = ..., tag: int = ..., status: Status | None = None) -> bool:
        """Nonblocking test for a message."""

    def mprobe(self, source: int = ..., tag: int = ..., status: Status | None = None) -> Any:
        """Blocking test for a matched message."""

    def improbe(self, source: int = ..., tag: int = ..., status: Status | None = None) -> Any:
        """Nonblocking test for a matched message."""

    def Attach_buffer(self, buf: object | None) -> None:
        """Attach a user-provided buffer for sending in buffered mode."""

    def Detach_buffer(self) -> Any:
        """Remove an existing attached buffer."""

    def Flush_buffer(self) -> None:
        """Block until all buffered messages have been transmitted."""

    def Iflush_buffer(self) -> Any:
        """Nonblocking flush for buffered messages."""

    def send(self, obj: object | None, dest: int, tag: int = ...) -> None:
        """Send in standard mode."""

    def bsend(self, obj: object | None, dest: int, tag: int = ...) -> None:
        """Send in buffered mode."""

    def ssend(self, obj: object | None, dest: int, tag: int = ...) -> None:
        """Send in synchronous mode."""

    def isend(self, obj: object | None, dest: int, tag: int = ...) -> Any:
        """Nonblocking send."""

    def ibsend(self, obj: object | None, dest: int, tag: int = ...) -> Any:
        """Nonblocking send in buffered mode."""

    def issend(self, obj: object | None, dest: int, tag: int = ...) -> Any:
        """Nonblocking send in synchronous mode."""

    def recv(self, buf: object | None = None, source: int = ..., tag: int = ..., status: Status | None = None) -> Any:
        """Receive."""

    def irecv(self, buf: object | None = None, source: int = ..., tag: int = ...) -> Any:
        """Nonblocking receive."""

    def sendrecv(self, sendobj: object | None, dest: int, sendtag: int = ..., recvbuf: object | None = None, source: int = ..., recvtag: int = ..., status: Status | None = None) -> Any:
        """Send and receive."""

    def Psend_init(self, buf: object | None, partitions: int, dest: int, tag: int = ..., info: Info | None = None) -> Any:
        """Create request for a partitioned send operation."""

    def Precv_init(self, buf: object | None, partitions: int, source: int = ..., tag: int = ..., info: Info | None = None) -> Any:
        """Create request for a partitioned recv operation."""

    def Barrier(self) -> None:
        """Barrier synchronization."""

    def Ibarrier(self) -> Any:
        """Nonblocking barrier synchronization."""

    def Barrier_init(self, info: Info | None = None) -> Any:
        """Persistent barrier synchronization."""

    def Bcast(self, buf: object | None, root: int = ...) -> None:
        """Broadcast data from one process to all other processes."""

    def Ibcast(self, buf: object | None, root: int = ...) -> Any:
        """Nonblocking broadcast."""

    def Bcast_init(self, buf: object | None, root: int = ..., info: Info | None = None) -> Any:
        """Persistent broadcast."""

    def Gather(self, sendbuf: object | None, recvbuf: object | None, root: int = ...) -> None:
        """Gather to one process."""

    def Igather(self, sendbuf: object | None, recvbuf: object | None, root: int = ...) -> Any:
        """Nonblocking gather to one process."""

    def Gather_init(self, sendbuf: object | None, recvbuf: object | None, root: int = ..., info: Info | None = None) -> Any:
        """Persistent gather to one process."""

    def Gatherv(self, sendbuf: object | None, recvbuf: object | None, root: int = ...) -> None:
        """Gather vector to one process."""

    def Igatherv(self, sendbuf: object | None, recvbuf: object | None, root: int = ...) -> Any:
        """Nonblocking gather vector to one process."""

    def Gatherv_init(self, sendbuf: object | None, recvbuf: object | None, root: int = ..., info: Info | None = None) -> Any:
        """Persistent gather vector to one process."""

    def Scatter(self, sendbuf: object | None, recvbuf: object | None, root: int = ...) -> None:
        """Scatter data from one process."""

    def Iscatter(self, sendbuf: object | None, recvbuf: object | None, root: int = ...) -> Any:
        """Nonblocking scatter data from one process."""

    def Scatter_init(self, sendbuf: object | None, recvbuf: object | None, root: int = ..., info: Info | None = None) -> Any:
        """Persistent scatter data from one process."""

    def Scatterv(self, sendbuf: object | None, recvbuf: object | None, root: int = ...) -> None:
        """Scatter vector data from one process."""

    def Iscatterv(self, sendbuf: object | None, recvbuf: object | None, root: int = ...) -> Any:
        """Nonblocking scatter vector data from one process."""

    def Scatterv_init(self, sendbuf: object | None, recvbuf: object | None, root: int = ..., info: Info | None = None) -> Any:
        """Persistent scatter vector data from one process."""

    def Allgather(self, sendbuf: object | None, recvbuf: object | None) -> None:
        """Gather to all."""

    def Iallgather(self, sendbuf: object | None, recvbuf: object | None) -> Any:
        """Nonblocking gather to all."""

    def Allgather_init(self, sendbuf: object | None, recvbuf: object | None, info: Info | None = None) -> Any:
        """Persistent gather to all."""

    def Allgatherv(self, sendbuf: object | None, recvbuf: object | None) -> None:
        """Gather vector to all."""

    def Iallgatherv(self, sendbuf: object | None, recvbuf: object | None) -> Any:
        """Nonblocking gather vector to all."""

    def Allgatherv_init(self, sendbuf: object | None, recvbuf: object | None, info: Info | None = None) -> Any:
        """Persistent gather vector to all."""

    def Alltoall(self, sendbuf: object | None, recvbuf: object | None) -> None:
        """All to all scatter/gather."""

    def Ialltoall(self, sendbuf: object | None, recvbuf: object | None) -> Any:
        """Nonblocking all to all scatter/gather."""

    def Alltoall_init(self, sendbuf: object | None, recvbuf: object | None, info: Info | None = None) -> Any:
        """Persistent all to all scatter/gather."""

    def Alltoallv(self, sendbuf: object | None, recvbuf: object | None) -> None:
        """All to all scatter/gather vector."""

    def Ialltoallv(self, sendbuf: object | None, recvbuf: object | None) -> Any:
        """Nonblocking all to all scatter/gather vector."""

    def Alltoallv_init(self, sendbuf: object | None, recvbuf: object | None, info: Info | None = None) -> Any:
        """Persistent all to all scatter/gather vector."""

    def Alltoallw(self, sendbuf: object | None, recvbuf: object | None) -> None:
        """Generalized all to all scatter/gather."""

    def Ialltoallw(self, sendbuf: object | None, recvbuf: object | None) -> Any:
        """Nonblocking generalized all to all scatter/gather."""

    def Alltoallw_init(self, sendbuf: object | None, recvbuf: object | None, info: Info | None = None) -> Any:
        """Persistent generalized all to all scatter/gather."""

    def Reduce(self, sendbuf: object | None, recvbuf: object | None, op: object = ..., root: int = ...) -> None:
        """Reduce to root."""

    def Ireduce(self, sendbuf: object | None, recvbuf: object | None, op: object = ..., root: int = ...) -> Any:
        """Nonblocking reduce to root."""

    def Reduce_init(self, sendbuf: object | None, recvbuf: object | None, op: object = ..., root: int = ..., info: Info | None = None) -> Any:
        """Persistent reduce to root."""

    def Allreduce(self, sendbuf: object | None, recvbuf: object | None, op: object = ...) -> None:
        """Reduce to all."""

    def Iallreduce(self, sendbuf: object | None, recvbuf: object | None, op: object = ...) -> Any:
        """Nonblocking reduce to all."""

    def Allreduce_init(self, sendbuf: object | None, recvbuf: object | None, op: object = ..., info: Info | None = None) -> Any:
        """Persistent reduce to all."""

    def Reduce_scatter_block(self, sendbuf: object | None, recvbuf: object | None, op: object = ...) -> None:
        """Reduce-scatter (regular-size blocks)."""

    def Ireduce_scatter_block(self, sendbuf: object | None, recvbuf: object | None, op: object = ...) -> Any:
        """Nonblocking reduce-scatter (regular-size blocks)."""

    def Reduce_scatter_block_init(self, sendbuf: object | None, recvbuf: object | None, op: object = ..., info: Info | None = None) -> Any:
        """Persistent reduce-scatter (regular-size blocks)."""

    def Reduce_scatter(self, sendbuf: object | None, recvbuf: object | None, recvcounts: object | None = None, op: object = ...) -> None:
        """Reduce-scatter (vector version)."""

    def Ireduce_scatter(self, sendbuf: object | None, recvbuf: object | None, recvcounts: object | None = None, op: object = ...) -> Any:
        """Nonblocking reduce-scatter (vector version)."""

    def Reduce_scatter_init(self, sendbuf: object | None, recvbuf: object | None, recvcounts: object | None = None, op: object = ..., info: Info | None = None) -> Any:
        """Persistent reduce-scatter (vector version)."""

    def barrier(self) -> None:
        """Barrier synchronization."""

    def bcast(self, obj: object | None = None, root: int = ...) -> Any:
        """Broadcast."""

    def gather(self, sendobj: object | None, root: int = ...) -> Any:
        """Gather."""

    def allgather(self, sendobj: object | None) -> Any:
        """Gather to all."""

    def scatter(self, sendobj: object | None = None, root: int = ...) -> Any:
        """Scatter."""

    def alltoall(self, sendobj: object | None) -> Any:
        """All to all."""

    def reduce(self, sendobj: object | None, op: object = ..., root: int = ...) -> Any:
        """Reduce to root."""

    def allreduce(self, sendobj: object | None, op: object = ...) -> Any:
        """Reduce to all."""

    @staticmethod
    def Create_keyval(copy_fn: object | None = None, delete_fn: object | None = None, nopython: bool = False) -> int:
        """Create a new attribute key for communicators."""

    @staticmethod
    def Free_keyval(keyval: int) -> int:
        """Free an attribute key for communicators."""

    def Set_attr(self, keyval: int, attrval: object | None) -> None:
        """Store attribute value associated with a key."""

    def Delete_attr(self, keyval: int) -> None:
        """Delete attribute value associated with a key."""

    @staticmethod
    def Get_parent() -> Any:
        """Return the parent intercommunicator for this process."""

    def Disconnect(self) -> None:
        """Disconnect from a communicator."""

    @staticmethod
    def Join(fd: int) -> Any:
        """Interconnect two processes connected by a socket."""

    def Revoke(self) -> None:
        """Revoke a communicator."""

    def Is_revoked(self) -> bool:
        """Indicate whether the communicator has been revoked."""

    def Get_failed(self) -> Any:
        """Extract the group of failed processes."""

    def Ack_failed(self, num_to_ack: object | None = None) -> int:
        """Acknowledge failures on a communicator."""

    def Agree(self, flag: object) -> int:
        """Blocking agreement."""

    def Iagree(self, flag: object) -> Any:
        """Nonblocking agreement."""

    def Shrink(self) -> Any:
        """Shrink a communicator to remove all failed processes."""

    def Ishrink(self) -> tuple:
        """Nonblocking shrink a communicator to remove all failed processes."""

class Intracomm(Comm):
    """Intracommunicator."""

    def __init__(self, other: object | None = None) -> None: ...

    def Create_group(self, group: object, tag: int = ...) -> Any:
        """Create communicator from group."""

    @staticmethod
    def Create_from_group(group: object, stringtag: object = 'org.mpi4py', info: Info | None = ..., errhandler: Errhandler | None = None) -> Any:
        """Create communicator from group."""

    def Create_intercomm(self, local_leader: int, peer_comm: Intracomm, remote_leader: int, tag: int = ...) -> Any:
        """Create intercommunicator."""

    def Scan(self, sendbuf: object | None, recvbuf: object | None, op: object = ...) -> None:
        """Inclusive scan."""

    def Iscan(self, sendbuf: object | None, recvbuf: object | None, op: object = ...) -> Any:
        """Nonblocking inclusive scan."""

    def Scan_init(self, sendbuf: object | None, recvbuf: object | None, op: object = ..., info: Info | None = None) -> Any:
        """Persistent inclusive scan."""

    def Exscan(self, sendbuf: object | None, recvbuf: object | None, op: object = ...) -> None:
        """Exclusive scan."""

    def Iexscan(self, sendbuf: object | None, recvbuf: object | None, op: object = ...) -> Any:
        """Nonblocking exclusive scan."""

    def Exscan_init(self, sendbuf: object | None, recvbuf: object | None, op: object = ..., info: Info | None = None) -> Any:
        """Persistent exclusive scan."""

    def scan(self, sendobj: object | None, op: object = ...) -> Any:
        """Inclusive scan."""

    def exscan(self, sendobj: object | None, op: object = ...) -> Any:
        """Exclusive scan."""

    def Create_cart(self, dims: object, periods: object | None = None, reorder: bool = False) -> Any:
        """Create cartesian communicator."""

    def Cart_map(self, dims: object, periods: object | None = None) -> int:
        """Determine optimal process placement on a Cartesian topology."""

    def Create_graph(self, index: object, edges: object, reorder: bool = False) -> Any:
        """Create graph communicator."""

    def Graph_map(self, index: object, edges: object) -> int:
        """Determine optimal process placement on a graph topology."""

    def Create_dist_graph_adjacent(self, sources: object | None, destinations: object | None, sourceweights: object | None = None, destweights: object | None = None, info: Info | None = None, reorder: bool = False) -> Any:
        """Create distributed graph communicator."""

    def Create_dist_graph(self, sources: object, degrees: object, destinations: object, weights: object | None = None, info: Info | None = None, reorder: bool = False) -> Any:
        """Create distributed graph communicator."""

    def Spawn(self, command: object | None, args: object | None = None, maxprocs: int = ..., info: Info | None = None, root: int = ..., errcodes: object | None = None) -> Any:
        """Spawn instances of a single MPI application."""

    def Spawn_multiple(self, command: object | None, args: object | None = None, maxprocs: object | None = None, info: Info | None = None, root: int = ..., errcodes: object | None = None) -> Any:
        """Spawn instances of multiple MPI applications."""

    def Accept(self, port_name: object | None, info: Info | None = None, root: int = ...) -> Any:
        """Accept a request to form a new intercommunicator."""

    def Connect(self, port_name: object | None, info: Info | None = None, root: int = ...) -> Any:
        """Make a request to form a new intercommunicator."""

class Topocomm(Intracomm):
    """Topology intracommunicator."""

    def __init__(self, other: object | None = None) -> None: ...

    def Neighbor_allgather(self, sendbuf: object | None, recvbuf: object | None) -> None:
        """Neighbor gather to all."""

    def Ineighbor_allgather(self, sendbuf: object | None, recvbuf: object | None) -> Any:
        """Nonblocking neighbor gather to all."""

    def Neighbor_allgather_init(self, sendbuf: object | None, recvbuf: object | None, info: Info | None = None) -> Any:
        """Persistent neighbor gather to all."""

    def Neighbor_allgatherv(self, sendbuf: object | None, recvbuf: object | None) -> None:
        """Neighbor gather vector to all."""

    def Ineighbor_allgatherv(self, sendbuf: object | None, recvbuf: object | None) -> Any:
        """Nonblocking neighbor gather vector to all."""

    def Neighbor_allgatherv_init(self, sendbuf: object | None, recvbuf: object | None, info: Info | None = None) -> Any:
        """Persistent neighbor gather vector to all."""

    def Neighbor_alltoall(self, sendbuf: object | None, recvbuf: object | None) -> None:
        """Neighbor all to all."""

    def Ineighbor_alltoall(self, sendbuf: object | None, recvbuf: object | None) -> Any:
        """Nonblocking neighbor all to all."""

    def Neighbor_alltoall_init(self, sendbuf: object | None, recvbuf: object | None, info: Info | None = None) -> Any:
        """Persistent neighbor all to all."""

    def Neighbor_alltoallv(self, sendbuf: object | None, recvbuf: object | None) -> None:
        """Neighbor all to all vector."""

    def Ineighbor_alltoallv(self, sendbuf: object | None, recvbuf: object | None) -> Any:
        """Nonblocking neighbor all to all vector."""

    def Neighbor_alltoallv_init(self, sendbuf: object | None, recvbuf: object | None, info: Info | None = None) -> Any:
        """Persistent neighbor all to all vector."""

    def Neighbor_alltoallw(self, sendbuf: object | None, recvbuf: object | None) -> None:
        """Neighbor generalized all to all."""

    def Ineighbor_alltoallw(self, sendbuf: object | None, recvbuf: object | None) -> Any:
        """Nonblocking neighbor generalized all to all."""

    def Neighbor_alltoallw_init(self, sendbuf: object | None, recvbuf: object | None, info: Info | None = None) -> Any:
        """Persistent neighbor generalized all to all."""

    def neighbor_allgather(self, sendobj: object | None) -> Any:
        """Neighbor gather to all."""

    def neighbor_alltoall(self, sendobj: object | None) -> Any:
        """Neighbor all to all."""

    @property
    def degrees(self) -> tuple[int, int]:
        """Number of incoming and outgoing neighbors."""

    @property
    def indegree(self) -> int:
        """Number of incoming neighbors."""

    @property
    def outdegree(self) -> int:
        """Number of outgoing neighbors."""

    @property
    def inedges(self) -> list[int]:
        """Incoming neighbors."""

    @property
    def outedges(self) -> list[int]:
        """Outgoing neighbors."""

    @property
    def inoutedges(self) -> tuple[list[int], list[int]]:
        """Incoming and outgoing neighbors."""

class Cartcomm(Topocomm):
    """Cartesian topology intracommunicator."""

    def __init__(self, other: object | None = None) -> None: ...

    def Get_dim(self) -> int:
        """Return number of dimensions."""

    @property
    def dim(self) -> Any:
        """Number of dimensions."""

    @property
    def ndim(self) -> Any:
        """Number of dimensions."""

    def Get_topo(self) -> tuple[list[int], list[int], list[int]]:
        """Return information on the cartesian topology."""

    @property
    def topo(self) -> Any:
        """Topology information."""

    @property
    def dims(self) -> list[int]:
        """Dimensions."""

    @property
    def periods(self) -> list[int]:
        """Periodicity."""

    @property
    def coords(self) -> list[int]:
        """Coordinates."""

    def Get_cart_rank(self, coords: object) -> int:
        """Translate logical coordinates to ranks."""

    def Get_coords(self, rank: int) -> list[int]:
        """Translate ranks to logical coordinates."""

    def Shift(self, direction: int, disp: int) -> tuple[int, int]:
        """Return a process ranks for data shifting with Sendrecv."""

    def Sub(self, remain_dims: object) -> Any:
        """Return a lower-dimensional Cartesian topology."""

class Graphcomm(Topocomm):
    """General graph topology intracommunicator."""

    def __init__(self, other: object | None = None) -> None: ...

    def Get_dims(self) -> tuple[int, int]:
        """Return the number of nodes and edges."""

    @property
    def dims(self) -> Any:
        """Number of nodes and edges."""

    @property
    def nnodes(self) -> int:
        """Number of nodes."""

    @property
    def nedges(self) -> int:
        """Number of edges."""

    def Get_topo(self) -> tuple[list[int], list[int]]:
        """Return index and edges."""

    @property
    def topo(self) -> Any:
        """Topology information."""

    @property
    def index(self) -> list[int]:
        """Index."""

    @property
    def edges(self) -> list[int]:
        """Edges."""

    def Get_neighbors_count(self, rank: int) -> int:
        """Return number of neighbors of a process."""

    def Get_neighbors(self, rank: int) -> list[int]:
        """Return list of neighbors of a process."""

    @property
    def nneighbors(self) -> int:
        """Number of neighbors."""

    @property
    def neighbors(self) -> list[int]:
        """Neighbors."""

class Distgraphcomm(Topocomm):
    """Distributed graph topology intracommunicator."""

    def __init__(self, other: object | None = None) -> None: ...

    def Get_dist_neighbors_count(self) -> tuple[int, int, bool]:
        """Return adjacency information for a distributed graph topology."""

    def Get_dist_neighbors(self) -> tuple:
        """Return adjacency information for a distributed graph topology."""

class Intercomm(Comm):
    """Intercommunicator."""

    def __init__(self, other: object | None = None) -> None: ...

    def Get_remote_size(self) -> int:
        """Intercommunicator remote size."""

    @property
    def remote_size(self) -> Any:
        """Number of remote processes."""

    def Get_remote_group(self) -> Any:
        """Access the remote group associated with the inter-communicator."""

    @property
    def remote_group(self) -> Any:
        """Remote group."""

    def Merge(self, high: bool = False) -> Any:
        """Merge intercommunicator into an intracommunicator."""

    @staticmethod
    def Create_from_groups(local_group: object, local_leader: int, remote_group: object, remote_leader: int, stringtag: object = 'org.mpi4py', info: Info | None = ..., errhandler: Errhandler | None = None) -> Any:
        """Create intercommunicator from a group."""

COMM_NULL: Comm

COMM_SELF: Intracomm

COMM_WORLD: Intracomm

def Attach_buffer(buf: object | None) -> None:
    """Attach a user-provided buffer for sending in buffered mode."""

def Detach_buffer() -> Any:
    """Remove an existing attached buffer."""

def Flush_buffer() -> None:
    """Block until all buffered messages have been transmitted."""

def Iflush_buffer() -> Any:
    """Nonblocking flush for buffered messages."""

def Compute_dims(nnodes: int, dims: object) -> list[int]:
    """Return a balanced distribution of processes per coordinate direction."""

def Open_port(info: Info | None = None) -> str:
    """Return an address used to connect group of processes."""

def Close_port(port_name: object) -> None:
    """Close a port."""

def Publish_name(service_name: object, port_name: object, info: Info | None = None) -> None:
    """Publish a service name."""

def Unpublish_name(service_name: object, port_name: object, info: Info | None = None) -> None:
    """Unpublish a service name."""

def Lookup_name(service_name: object, info: Info | None = None) -> str:
    """Lookup a port name given a service name."""

class Win:
    """Remote memory access context."""

    def __init__(self, other: object | None = None) -> None: ...

    def __eq__(self, other: object) -> bool: ...

    def __ne__(self, other: object) -> bool: ...

    def __bool__(self) -> bool: ...

    def py2f(self) -> int:
        """Get Fortran integer handle."""

    def toint(self) -> int:
        """Translate object to integer handle."""

    def __reduce__(self) -> str | tuple[Any, ...]: ...

    def free(self) -> None:
        """Call `Free` if not null or predefined."""

    @property
    def handle(self) -> int:
        """MPI handle, as an integer."""

    def tohandle(self) -> int:
        """Return the MPI handle, as an integer."""

    @classmethod
    def fromhandle(cls, handle: object) -> Self:
        """Create object from MPI handle."""

    @classmethod
    def f2py(cls, arg: int) -> Self:
        """Create object from Fortran integer handle."""

    @classmethod
    def fromint(cls, arg: int) -> Self:
        """Translate integer handle to object."""

    __hash__: ClassVar[None]  # type: ignore[assignment]

    @classmethod
    def Create(cls, memory: object | None, disp_unit: int = ..., info: Info | None = None, comm: Comm = ...) -> Any:
        """Create an window object for one-sided communication."""

    @classmethod
    def Allocate(cls, size: int, disp_unit: int = ..., info: Info | None = None, comm: Comm = ...) -> Any:
        """Create an window object for one-sided communication."""

    @classmethod
    def Allocate_shared(cls, size: int, disp_unit: int = ..., info: Info | None = None, comm: Comm = ...) -> Any:
        """Create an window object for one-sided communication."""

    @classmethod
    def Create_dynamic(cls, info: Info | None = None, comm: Comm = ...) -> Any:
        """Create an window object for one-sided communication."""

    def Shared_query(self, rank: int) -> tuple[object, int]:
        """Query the process-local address for remote memory segments."""

    def Attach(self, memory: object) -> None:
        """Attach a local memory region."""

    def Detach(self, memory: object) -> None:
        """Detach a local memory region."""

    def Free(self) -> None:
        """Free a window."""

    def tomemory(self) -> Any:
        """Return window memory buffer."""

    def Get_group(self) -> Any:
        """Access the group of processes that created the window."""

    @property
    def group(self) -> Any:
        """Group."""

    @property
    def group_size(self) -> int:
        """Group size."""

    @property
    def group_rank(self) -> int:
        """Group rank."""

    def Get_info(self) -> Any:
        """Return the current hints for a window."""

    def Set_info(self, info: Info) -> None:
        """Set new values for the hints associated with a window."""

    @property
    def info(self) -> Any:
        """Info hints."""

    @info.setter
    def info(self, arg: object, /) -> None: ...

    @property
    def attrs(self) -> tuple:
        """Attributes."""

    @property
    def flavor(self) -> int:
        """Create flavor."""

    @property
    def model(self) -> int:
        """Memory model."""

    def Get_name(self) -> str:
        """Get the print name for this window."""

    def Set_name(self, name: object) -> None:
        """Set the print name for this window."""

    @property
    def name(self) -> Any:
        """Print name."""

    @name.setter
    def name(self, arg: object, /) -> None: ...

    def Get_errhandler(self) -> Any:
        """Get the error handler for a window."""

    def Set_errhandler(self, errhandler: Errhandler) -> None:
        """Set the error handler for a window."""

    def Call_errhandler(self, errorcode: int) -> None:
        """Call the error handler installed on a window."""

    @staticmethod
    def Create_errhandler(errhandler_fn: object) -> Any:
        """Create a new error handler for windows."""

    @staticmethod
    def Create_keyval(copy_fn: object | None = None, delete_fn: object | None = None, nopython: bool = False) -> int:
        """Create a new attribute key for windows."""

    @staticmethod
    def Free_keyval(keyval: int) -> int:
        """Free an attribute key for windows."""

    def Set_attr(self, keyval: int, attrval: object | None) -> None:
        """Store attribute value associated with a key."""

    def Delete_attr(self, keyval: int) -> None:
        """Delete attribute value associated with a key."""

    def Get_attr(self, keyval: int) -> Any:
        """Retrieve attribute value by key."""

    def Put(self, origin: object | None, target_rank: int, target: object | None = None) -> Any:
        """Put data into a memory window on a remote process."""

    def Get(self, origin: object | None, target_rank: int, target: object | None = None) -> Any:
        """Get data from a memory window on a remote process."""

    def Accumulate(self, origin: object | None, target_rank: int, target: object | None = None, op: object = ...) -> Any:
        """Accumulate data into the target process."""

    def Get_accumulate(self, origin: object | None, result: object | None, target_rank: int, target: object | None = None, op: object = ...) -> Any:
        """Fetch-and-accumulate data into the target process."""

    def Rput(self, origin: object | None, target_rank: int, target: object | None = None) -> Any:
        """Put data into a memory window on a remote process."""

    def Rget(self, origin: object | None, target_rank: int, target: object | None = None) -> Any:
        """Get data from a memory window on a remote process."""

    def Raccumulate(self, origin: object | None, target_rank: int, target: object | None = None, op: object = ...) -> Any:
        """Fetch-and-accumulate data into the target process."""

    def Rget_accumulate(self, origin: object | None, result: object | None, target_rank: int, target: object | None = None, op: object = ...) -> Any:
        """Accumulate data into the target process using remote memory access."""

    def Fetch_and_op(self, origin: object | None, result: object | None, target_rank: int, target_disp: int = ..., op: object = ...) -> None:
        """Perform one-sided read-modify-write."""

    def Compare_and_swap(self, origin: object | None, compare: object | None, result: object | None, target_rank: int, target_disp: int = ...) -> None:
        """Perform one-sided atomic compare-and-swap."""

    def Fence(self, assertion: int = ...) -> None:
        """Perform an MPI fence synchronization on a window."""

    def Start(self, group: object, assertion: int = ...) -> None:
        """Start an RMA access epoch for MPI."""

    def Complete(self) -> None:
        """Complete an RMA operations begun after an `Start`."""

    def Post(self, group: object, assertion: int = ...) -> None:
        """Start an RMA exposure epoch."""

    def Wait(self) -> bool:
        """Complete an RMA exposure epoch begun with `Post`."""

    def Test(self) -> bool:
        """Test whether an RMA exposure epoch has completed."""

    def Lock(self, rank: int, lock_type: int = ..., assertion: int = ...) -> None:
        """Begin an RMA access epoch at the target process."""

    def Unlock(self, rank: int) -> None:
        """Complete an RMA access epoch at the target process."""

    def Lock_all(self, assertion: int = ...) -> None:
        """Begin an RMA access epoch at all processes."""

    def Unlock_all(self) -> None:
        """Complete an RMA access epoch at all processes."""

    def Flush(self, rank: int) -> None:
        """Complete all outstanding RMA operations at a target."""

    def Flush_all(self) -> None:
        """Complete all outstanding RMA operations at all targets."""

    def Flush_local(self, rank: int) -> None:
        """Complete locally all outstanding RMA operations at a target."""

    def Flush_local_all(self) -> None:
        """Complete locally all outstanding RMA operations at all targets."""

    def Sync(self) -> None:
        """Synchronize public and private copies of the window."""

WIN_NULL: Win

class File:
    """File I/O context."""

    def __init__(self, other: object | None = None) -> None: ...

    def __eq__(self, other: object) -> bool: ...

    def __ne__(self, other: object) -> bool: ...

    def __bool__(self) -> bool: ...

    def py2f(self) -> int:
        """Get Fortran integer handle."""

    def toint(self) -> int:
        """Translate object to integer handle."""

    def __reduce__(self) -> str | tuple[Any, ...]: ...

    def free(self) -> None:
        """Call `Free` if not null or predefined."""

    @property
    def handle(self) -> int:
        """MPI handle, as an integer."""

    def tohandle(self) -> int:
        """Return the MPI handle, as an integer."""

    @classmethod
    def fromhandle(cls, handle: object) -> Self:
        """Create object from MPI handle."""

    @classmethod
    def f2py(cls, arg: int) -> Self:
        """Create object from Fortran integer handle."""

    @classmethod
    def fromint(cls, arg: int) -> Self:
        """Translate integer handle to object."""

    __hash__: ClassVar[None]  # type: ignore[assignment]

    @classmethod
    def Open(cls, comm: Comm, filename: object, amode: int = ..., info: Info | None = ...) -> Any:
        """Open a file."""

    def Close(self) -> None:
        """Close a file."""

    @classmethod
    def Delete(cls, filename: object, info: Info | None = ...) -> None:
        """Delete a file."""

    def Set_size(self, size: object) -> None:
        """Set the file size."""

    def Preallocate(self, size: object) -> None:
        """Preallocate storage space for a file."""

    def Get_size(self) -> int:
        """Return the file size."""

    @property
    def size(self) -> Any:
        """Size (in bytes)."""

    def Get_amode(self) -> int:
        """Return the file access mode."""

    @property
    def amode(self) -> Any:
        """Access mode."""

    def Get_group(self) -> Any:
        """Access the group of processes that opened the file."""

    @property
    def group(self) -> Any:
        """Group."""

    @property
    def group_size(self) -> int:
        """Group size."""

    @property
    def group_rank(self) -> int:
        """Group rank."""

    def Set_info(self, info: Info) -> None:
        """Set new values for the hints associated with a file."""

    def Get_info(self) -> Any:
        """Return the current hints for a file."""

    @property
    def info(self) -> Any:
        """Info hints."""

    @info.setter
    def info(self, arg: object, /) -> None: ...

    def Set_view(self, disp: object = 0, etype: object = ..., filetype: object | None = None, datarep: object = 'native', info: Info | None = ...) -> None:
        """Set the file view."""

    def Get_view(self) -> tuple:
        """Return the file view."""

    def Set_atomicity(self, flag: bool) -> None:
        """Set the atomicity mode."""

    def Get_atomicity(self) -> bool:
        """Return the atomicity mode."""

    @property
    def atomicity(self) -> Any:
        """Atomicity mode."""

    @atomicity.setter
    def atomicity(self, arg: object, /) -> None: ...

    def Sync(self) -> None:
        """Causes all previous writes to be transferred to the storage device."""

    def Seek(self, offset: object, whence: int = ...) -> None:
        """Update the individual file pointer."""

    def Get_position(self) -> int:
        """Return the current position of the individual file pointer."""

    def Seek_shared(self, offset: object, whence: int = ...) -> None:
        """Update the shared file pointer."""

    def Get_position_shared(self) -> int:
        """Return the current position of the shared file pointer."""

    def Get_byte_offset(self, offset: object) -> int:
        """Return the absolute byte position in the file."""

    def Get_type_extent(self, datatype: Datatype) -> int:
        """Return the extent of datatype in the file."""

    def Get_errhandler(self) -> Any:
        """Get the error handler for a file."""

    def Set_errhandler(self, errhandler: Errhandler) -> None:
        """Set the error handler for a file."""

    def Call_errhandler(self, errorcode: int) -> None:
        """Call the error handler installed on a file."""

    @classmethod
    def Create_errhandler(cls, errhandler_fn: object) -> Any:
        """Create a new error handler for files."""

    def Read_at(self, offset: object, buf: object, status: Status | None = None) -> None:
        """Read using explicit offset."""

    def Read_at_all(self, offset: object, buf: object, status: Status | None = None) -> None:
        """Collective read using explicit offset."""

    def Write_at(self, offset: object, buf: object, status: Status | None = None) -> None:
        """Write using explicit offset."""

    def Write_at_all(self, offset: object, buf: object, status: Status | None = None) -> None:
        """Collective write using explicit offset."""

    def Iread_at(self, offset: object, buf: object) -> Any:
        """Nonblocking read using explicit offset."""

    def Iread_at_all(self, offset: object, buf: object) -> Any:
        """Nonblocking collective read using explicit offset."""

    def Iwrite_at(self, offset: object, buf: object) -> Any:
        """Nonblocking write using explicit offset."""

    def Iwrite_at_all(self, offset: object, buf: object) -> Any:
        """Nonblocking collective write using explicit offset."""

    def Read(self, buf: object, status: Status | None = None) -> None:
        """Read using individual file pointer."""

    def Read_all(self, buf: object, status: Status | None = None) -> None:
        """Collective read using individual file pointer."""

    def Write(self, buf: object, status: Status | None = None) -> None:
        """Write using individual file pointer."""

    def Write_all(self, buf: object, status: Status | None = None) -> None:
        """Collective write using individual file pointer."""

    def Iread(self, buf: object) -> Any:
        """Nonblocking read using individual file pointer."""

    def Iread_all(self, buf: object) -> Any:
        """Nonblocking collective read using individual file pointer."""

    def Iwrite(self, buf: object) -> Any:
        """Nonblocking write using individual file pointer."""

    def Iwrite_all(self, buf: object) -> Any:
        """Nonblocking collective write using individual file pointer."""

    def Read_shared(self, buf: object, status: Status | None = None) -> None:
        """Read using shared file pointer."""

    def Write_shared(self, buf: object, status: Status | None = None) -> None:
        """Write using shared file pointer."""

    def Iread_shared(self, buf: object) -> Any:
        """Nonblocking read using shared file pointer."""

    def Iwrite_shared(self, buf: object) -> Any:
        """Nonblocking write using shared file pointer."""

    def Read_ordered(self, buf: object, status: Status | None = None) -> None:
        """Collective read using shared file pointer."""

    def Write_ordered(self, buf: object, status: Status | None = None) -> None:
        """Collective write using shared file pointer."""

    def Read_at_all_begin(self, offset: object, buf: object) -> None:
        """Start a split collective read using explicit offset."""

    def Read_at_all_end(self, buf: object, status: Status | None = None) -> None:
        """Complete a split collective read using explicit offset."""

    def Write_at_all_begin(self, offset: object, buf: object) -> None:
        """Start a split collective write using explicit offset."""

    def Write_at_all_end(self, buf: object, status: Status | None = None) -> None:
        """Complete a split collective write using explicit offset."""

    def Read_all_begin(self, buf: object) -> None:
        """Start a split collective read using individual file pointer."""

    def Read_all_end(self, buf: object, status: Status | None = None) -> None:
        """Complete a split collective read using individual file pointer."""

    def Write_all_begin(self, buf: object) -> None:
        """Start a split collective write using individual file pointer."""

    def Write_all_end(self, buf: object, status: Status | None = None) -> None:
        """Complete a split collective write using individual file pointer."""

    def Read_ordered_begin(self, buf: object) -> None:
        """Start a split collective read using shared file pointer."""

    def Read_ordered_end(self, buf: object, status: Status | None = None) -> None:
        """Complete a split collective read using shared file pointer."""

    def Write_ordered_begin(self, buf: object) -> None:
        """Start a split collective write using shared file pointer."""

    def Write_ordered_end(self, buf: object, status: Status | None = None) -> None:
        """Complete a split collective write using shared file pointer."""

FILE_NULL: File

def Register_datarep(datarep: object, read_fn: object | None, write_fn: object | None, extent_fn: object) -> None:
    """Register user-defined data representations."""

class Session:
    """Session context."""

    def __init__(self, other: object | None = None) -> None: ...

    def __eq__(self, other: object) -> bool: ...

    def __ne__(self, other: object) -> bool: ...

    def __bool__(self) -> bool: ...

    def py2f(self) -> int:
        """Get Fortran integer handle."""

    def toint(self) -> int:
        """Translate object to integer handle."""

    def __reduce__(self) -> str | tuple[Any, ...]: ...

    def free(self) -> None:
        """Call `Free` if not null or predefined."""

    @property
    def handle(self) -> int:
        """MPI handle, as an integer."""

    def tohandle(self) -> int:
        """Return the MPI handle, as an integer."""

    @classmethod
    def fromhandle(cls, handle: object) -> Self:
        """Create object from MPI handle."""

    @classmethod
    def f2py(cls, arg: int) -> Self:
        """Create object from Fortran integer handle."""

    @classmethod
    def fromint(cls, arg: int) -> Self:
        """Translate integer handle to object."""

    __hash__: ClassVar[None]  # type: ignore[assignment]

    @classmethod
    def Init(cls, info: Info | None = ..., errhandler: Errhandler | None = None) -> Any:
        """Create a new session."""

    def Finalize(self) -> None:
        """Finalize a session."""

    def Get_num_psets(self, info: Info | None = ...) -> int:
        """Number of available process sets."""

    def Get_nth_pset(self, n: int, info: Info | None = ...) -> Any:
        """Name of the *n*-th process set."""

    def Get_info(self) -> Any:
        """Return the current hints for a session."""

    def Get_pset_info(self, pset_name: object) -> Any:
        """Return the current hints for a session and process set."""

    def Create_group(self, pset_name: object) -> Any:
        """Create a new group from session and process set."""

    def Attach_buffer(self, buf: object | None) -> None:
        """Attach a user-provided buffer for sending in buffered mode."""

    def Detach_buffer(self) -> Any:
        """Remove an existing attached buffer."""

    def Flush_buffer(self) -> None:
        """Block until all buffered messages have been transmitted."""

    def Iflush_buffer(self) -> Any:
        """Nonblocking flush for buffered messages."""

    @staticmethod
    def Create_errhandler(errhandler_fn: object) -> Any:
        """Create a new error handler for sessions."""

    def Get_errhandler(self) -> Any:
        """Get the error handler for a session."""

    def Set_errhandler(self, errhandler: Errhandler) -> None:
        """Set the error handler for a session."""

    def Call_errhandler(self, errorcode: int) -> None:
        """Call the error handler installed on a session."""

SESSION_NULL: Session

VERSION: int

SUBVERSION: int

UNDEFINED: int

ANY_SOURCE: int

ANY_TAG: int

PROC_NULL: int

ROOT: int

KEYVAL_INVALID: int

BSEND_OVERHEAD: int

IDENT: int

CONGRUENT: int

SIMILAR: int

UNEQUAL: int

THREAD_SINGLE: int

THREAD_FUNNELED: int

THREAD_SERIALIZED: int

THREAD_MULTIPLE: int

CART: int

GRAPH: int

DIST_GRAPH: int

TAG_UB: int

HOST: int

IO: int

WTIME_IS_GLOBAL: int

UNIVERSE_SIZE: int

APPNUM: int

LASTUSEDCODE: int

WIN_BASE: int

WIN_SIZE: int

WIN_DISP_UNIT: int

WIN_CREATE_FLAVOR: int

WIN_FLAVOR: int

WIN_MODEL: int

WIN_FLAVOR_CREATE: int

WIN_FLAVOR_ALLOCATE: int

WIN_FLAVOR_DYNAMIC: int

WIN_FLAVOR_SHARED: int

WIN_SEPARATE: int

WIN_UNIFIED: int

MAX_PROCESSOR_NAME: int

MAX_ERROR_STRING: int

MAX_PORT_NAME: int

MAX_INFO_KEY: int

MAX_INFO_VAL: int

MAX_OBJECT_NAME: int

MAX_DATAREP_STRING: int

MAX_LIBRARY_VERSION_STRING: int

MAX_PSET_NAME_LEN: int

MAX_STRINGTAG_LEN: int

COMM_TYPE_SHARED: int

COMM_TYPE_HW_GUIDED: int

COMM_TYPE_HW_UNGUIDED: int

COMM_TYPE_RESOURCE_GUIDED: int

COMBINER_NAMED: int

COMBINER_DUP: int

COMBINER_CONTIGUOUS: int

COMBINER_VECTOR: int

COMBINER_HVECTOR: int

COMBINER_INDEXED: int

COMBINER_HINDEXED: int

COMBINER_INDEXED_BLOCK: int

COMBINER_HINDEXED_BLOCK: int

COMBINER_STRUCT: int

COMBINER_SUBARRAY: int

COMBINER_DARRAY: int

COMBINER_F90_REAL: int

COMBINER_F90_COMPLEX: int

COMBINER_F90_INTEGER: int

COMBINER_RESIZED: int

COMBINER_VALUE_INDEX: int

TYPECLASS_INTEGER: int

TYPECLASS_REAL: int

TYPECLASS_COMPLEX: int

TYPECLASS_LOGICAL: int

DISTRIBUTE_NONE: int

DISTRIBUTE_BLOCK: int

DISTRIBUTE_CYCLIC: int

DISTRIBUTE_DFLT_DARG: int

ORDER_C: int

ORDER_F: int

ORDER_FORTRAN: int

MODE_RDONLY: int

MODE_WRONLY: int

MODE_RDWR: int

MODE_CREATE: int

MODE_EXCL: int

MODE_DELETE_ON_CLOSE: int

MODE_UNIQUE_OPEN: int

MODE_SEQUENTIAL: int

MODE_APPEND: int

MODE_NOCHECK: int

MODE_NOSTORE: int

MODE_NOPUT: int

MODE_NOPRECEDE: int

MODE_NOSUCCEED: int

SEEK_SET: int

SEEK_CUR: int

SEEK_END: int

DISPLACEMENT_CURRENT: int

DISP_CUR: int

LOCK_EXCLUSIVE: int

LOCK_SHARED: int

F_SOURCE: int

F_TAG: int

F_ERROR: int

F_STATUS_SIZE: int

UNWEIGHTED: int

WEIGHTS_EMPTY: int

def Init() -> None:
    """Initialize the MPI execution environment."""

def Init_thread(required: int = ...) -> int:
    """Initialize the MPI execution environment (with thread support)."""

def Finalize() -> None:
    """Terminate the MPI execution environment."""

def Is_initialized() -> bool:
    """Indicate whether ``Init`` has been called."""

def Is_finalized() -> bool:
    """Indicate whether ``Finalize`` has completed."""

def Query_thread() -> int:
    """Return the level of thread support provided by the MPI library."""

def Is_thread_main() -> bool:
    """Indicate whether this thread called ``Init`` or ``Init_thread``."""

def Get_version() -> tuple[int, int]:
    """Obtain the version number of the MPI standard."""

def Get_library_version() -> str:
    """Obtain the version string of the MPI library."""

def Get_processor_name() -> str:
    """Obtain the name of the calling processor."""

def Get_hw_resource_info() -> Any:
    """
    Obtain information about the hardware platform of the calling processor.
    """

def get_vendor() -> tuple[str, tuple[int, int, int]]:
    """
    Information about the underlying MPI implementation: (name, (major, minor, micro)).
    """

def Wtime() -> float:
    """Return an elapsed time on the calling processor."""

def Wtick() -> float:
    """Return the resolution of ``Wtime``."""

def Pcontrol(level: int) -> None:
    """Control profiling."""

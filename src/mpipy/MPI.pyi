"""Message Passing Interface (MPI) for Python, with a C++ core."""

from collections.abc import Sequence
from typing import TypeAlias, overload


SUCCESS: int

ERR_LASTCODE: int

ERR_TYPE: int

ERR_REQUEST: int

ERR_OP: int

ERR_GROUP: int

ERR_INFO: int

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
    error_code = Get_error_code

    @property
    error_class = Get_error_class

    @property
    error_string = Get_error_string

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

    @overload
    def __init__(self) -> None: ...

    @overload
    def __init__(self, other: Errhandler) -> None: ...

    def __eq__(self, arg: object, /) -> object: ...

    def __ne__(self, arg: object, /) -> object: ...

    def __bool__(self) -> bool: ...

    @property
    def handle(self) -> int:
        """MPI handle, as an integer."""

    @staticmethod
    def fromhandle(handle: int) -> object:
        """Create object from MPI handle."""

    def py2f(self) -> int:
        """Get Fortran integer handle."""

    @staticmethod
    def f2py(arg: int) -> object:
        """Create object from Fortran integer handle."""

    def toint(self) -> int:
        """Translate object to integer handle."""

    @staticmethod
    def fromint(arg: int) -> object:
        """Translate integer handle to object."""

    def __reduce__(self) -> object: ...

    def free(self) -> None:
        """Call `Free` if not null or predefined."""

    __hash__: None = None

    def Free(self) -> None:
        """Free an error handler."""

ERRHANDLER_NULL: Errhandler

ERRORS_RETURN: Errhandler

ERRORS_ARE_FATAL: Errhandler

ERRORS_ABORT: Errhandler

class Datatype:
    """Datatype object."""

    @overload
    def __init__(self) -> None: ...

    @overload
    def __init__(self, other: Datatype) -> None: ...

    def __eq__(self, arg: object, /) -> object: ...

    def __ne__(self, arg: object, /) -> object: ...

    def __bool__(self) -> bool: ...

    @property
    def handle(self) -> int:
        """MPI handle, as an integer."""

    @staticmethod
    def fromhandle(handle: int) -> object:
        """Create object from MPI handle."""

    def py2f(self) -> int:
        """Get Fortran integer handle."""

    @staticmethod
    def f2py(arg: int) -> object:
        """Create object from Fortran integer handle."""

    def toint(self) -> int:
        """Translate object to integer handle."""

    @staticmethod
    def fromint(arg: int) -> object:
        """Translate integer handle to object."""

    def __reduce__(self) -> object: ...

    def free(self) -> None:
        """Call `Free` if not null or predefined."""

    __hash__: None = None

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
    def name(self) -> object:
        """Print name."""

    @name.setter
    def name(self, arg: object, /) -> None: ...

    def Dup(self) -> object:
        """Duplicate a datatype."""

    def Commit(self) -> object:
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
    def fromcode(code: object) -> object:
        """Get predefined MPI datatype from character code or type string."""

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

class Group:
    """Group of processes."""

    @overload
    def __init__(self) -> None: ...

    @overload
    def __init__(self, other: Group) -> None: ...

    def __eq__(self, arg: object, /) -> object: ...

    def __ne__(self, arg: object, /) -> object: ...

    def __bool__(self) -> bool: ...

    @property
    def handle(self) -> int:
        """MPI handle, as an integer."""

    @staticmethod
    def fromhandle(handle: int) -> object:
        """Create object from MPI handle."""

    def py2f(self) -> int:
        """Get Fortran integer handle."""

    @staticmethod
    def f2py(arg: int) -> object:
        """Create object from Fortran integer handle."""

    def toint(self) -> int:
        """Translate object to integer handle."""

    @staticmethod
    def fromint(arg: int) -> object:
        """Translate integer handle to object."""

    def __reduce__(self) -> object: ...

    def free(self) -> None:
        """Call `Free` if not null or predefined."""

    __hash__: None = None

    def Get_size(self) -> int:
        """Return the number of processes in a group."""

    def Get_rank(self) -> int:
        """Return the rank of this process in a group."""

    @property
    def size(self) -> object:
        """Number of processes."""

    @property
    def rank(self) -> object:
        """Rank of this process."""

    def Free(self) -> None:
        """Free a group."""

GROUP_NULL: Group

GROUP_EMPTY: Group

class Info:
    """Info object."""

    @overload
    def __init__(self) -> None: ...

    @overload
    def __init__(self, other: Info) -> None: ...

    def __eq__(self, arg: object, /) -> object: ...

    def __ne__(self, arg: object, /) -> object: ...

    def __bool__(self) -> bool: ...

    @property
    def handle(self) -> int:
        """MPI handle, as an integer."""

    @staticmethod
    def fromhandle(handle: int) -> object:
        """Create object from MPI handle."""

    def py2f(self) -> int:
        """Get Fortran integer handle."""

    @staticmethod
    def f2py(arg: int) -> object:
        """Create object from Fortran integer handle."""

    def toint(self) -> int:
        """Translate object to integer handle."""

    @staticmethod
    def fromint(arg: int) -> object:
        """Translate integer handle to object."""

    def __reduce__(self) -> object: ...

    def free(self) -> None:
        """Call `Free` if not null or predefined."""

    __hash__: None = None

    def Free(self) -> None:
        """Free an info object."""

INFO_NULL: Info

INFO_ENV: Info

class Op:
    """Reduction operation."""

    @overload
    def __init__(self) -> None: ...

    @overload
    def __init__(self, other: Op) -> None: ...

    def __eq__(self, arg: object, /) -> object: ...

    def __ne__(self, arg: object, /) -> object: ...

    def __bool__(self) -> bool: ...

    @property
    def handle(self) -> int:
        """MPI handle, as an integer."""

    @staticmethod
    def fromhandle(handle: int) -> object:
        """Create object from MPI handle."""

    def py2f(self) -> int:
        """Get Fortran integer handle."""

    @staticmethod
    def f2py(arg: int) -> object:
        """Create object from Fortran integer handle."""

    def toint(self) -> int:
        """Translate object to integer handle."""

    @staticmethod
    def fromint(arg: int) -> object:
        """Translate integer handle to object."""

    def __reduce__(self) -> object: ...

    def free(self) -> None:
        """Call `Free` if not null or predefined."""

    __hash__: None = None

    def Free(self) -> None:
        """Free the operation."""

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

class BottomType:
    """Type of BOTTOM."""

    def __repr__(self) -> str: ...

    def __reduce__(self) -> str: ...

    def __int__(self) -> int: ...

    def __bool__(self) -> bool: ...

class InPlaceType:
    """Type of IN_PLACE."""

    def __repr__(self) -> str: ...

    def __reduce__(self) -> str: ...

    def __int__(self) -> int: ...

    def __bool__(self) -> bool: ...

class BufferAutomaticType:
    """Type of BUFFER_AUTOMATIC."""

    def __repr__(self) -> str: ...

    def __reduce__(self) -> str: ...

    def __int__(self) -> int: ...

BOTTOM: BottomType

IN_PLACE: InPlaceType

BUFFER_AUTOMATIC: BufferAutomaticType

class Status:
    """Status object."""

    @overload
    def __init__(self) -> None: ...

    @overload
    def __init__(self, status: Status) -> None: ...

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

    def Get_elements(self, datatype: Datatype) -> int:
        """Get the number of basic elements in a datatype."""

    def Set_elements(self, datatype: Datatype, count: int) -> None:
        """Set the number of elements in a status."""

    def Is_cancelled(self) -> bool:
        """Test to see if a request was cancelled."""

    def Set_cancelled(self, flag: bool) -> None:
        """Set the cancelled state associated with a status."""

    @property
    def cancelled(self) -> object:
        """Cancelled state."""

    @cancelled.setter
    def cancelled(self, arg: bool, /) -> None: ...

    def __copy__(self) -> Status: ...

    def __eq__(self, arg: object, /) -> object: ...

    def __ne__(self, arg: object, /) -> object: ...

    def py2f(self) -> list[int]:
        """Convert to Fortran status."""

    @staticmethod
    def f2py(arg: Sequence[int]) -> Status:
        """Convert Fortran status to Status."""

    def tomemory(self) -> object:
        """Return a memory view of the status object."""

    def __reduce__(self) -> tuple: ...

    __hash__: None = None

class buffer:
    """Buffer object."""

    def __init__(self) -> None: ...

    @staticmethod
    def allocate(nbytes: int, clear: bool = False) -> object:
        """Buffer allocation."""

    @staticmethod
    def frombuffer(obj: object, readonly: bool = False) -> object:
        """Buffer from buffer-like object."""

    @property
    def address(self) -> int:
        """Buffer address."""

    @property
    def nbytes(self) -> int:
        """Buffer size (in bytes)."""

    @property
    def readonly(self) -> bool:
        """Buffer is read-only."""

    @property
    def obj(self) -> object:
        """The underlying object of the buffer."""

    def __len__(self) -> int: ...

    def tobytes(self) -> bytes:
        """Return the data in the buffer as a byte string."""

    def toreadonly(self) -> object:
        """Return a readonly version of the buffer object."""

    def release(self) -> None:
        """Release the underlying buffer exposed by the buffer object."""

memory: TypeAlias = buffer

class Pickle:
    """Pickle/unpickle Python objects."""

    def __init__(self, dumps: object | None = None, loads: object | None = None, protocol: object | None = None) -> None: ...

    @property
    def PROTOCOL(self) -> int:
        """Protocol version."""

    @PROTOCOL.setter
    def PROTOCOL(self, arg: object, /) -> None: ...

    @property
    def THRESHOLD(self) -> int:
        """Out-of-band threshold."""

    @THRESHOLD.setter
    def THRESHOLD(self, arg: object, /) -> None: ...

    def dumps(self, obj: object) -> object:
        """Serialize object to pickle data stream."""

    def loads(self, data: object) -> object:
        """Deserialize object from pickle data stream."""

    def dumps_oob(self, obj: object) -> tuple:
        """Serialize object to pickle data stream and out-of-band buffers."""

    def loads_oob(self, data: object, buffers: object) -> object:
        """Deserialize object from pickle data stream and out-of-band buffers."""

pickle: Pickle = ...

class Request:
    """Request handler."""

    @overload
    def __init__(self) -> None: ...

    @overload
    def __init__(self, other: Request) -> None: ...

    def __eq__(self, arg: object, /) -> object: ...

    def __ne__(self, arg: object, /) -> object: ...

    def __bool__(self) -> bool: ...

    @property
    def handle(self) -> int:
        """MPI handle, as an integer."""

    @staticmethod
    def fromhandle(handle: int) -> object:
        """Create object from MPI handle."""

    def py2f(self) -> int:
        """Get Fortran integer handle."""

    @staticmethod
    def f2py(arg: int) -> object:
        """Create object from Fortran integer handle."""

    def toint(self) -> int:
        """Translate object to integer handle."""

    @staticmethod
    def fromint(arg: int) -> object:
        """Translate integer handle to object."""

    def __reduce__(self) -> object: ...

    def free(self) -> None:
        """Call `Free` if not null or predefined."""

    __hash__: None = None

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

    def wait(self, status: Status | None = None) -> object:
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
    def Waitsome(requests: Sequence[Request], statuses: list[Status] | None = None) -> object:
        """Wait for some previously initiated requests to complete."""

    @staticmethod
    def Testsome(requests: Sequence[Request], statuses: list[Status] | None = None) -> object:
        """Test for completion of some previously initiated requests."""

    @staticmethod
    def Get_status_all(requests: Sequence[Request], statuses: list[Status] | None = None) -> bool:
        """Access the status of all requests, without completing them."""

    @staticmethod
    def Get_status_any(requests: Sequence[Request], status: Status | None = None) -> tuple[int, bool]:
        """Access the status of any active request, without completing it."""

    @staticmethod
    def Get_status_some(requests: Sequence[Request], statuses: list[Status] | None = None) -> object:
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
    def get_status_all(requests: Sequence[Request], statuses: list[Status] | None = None) -> object:
        """Access the status of all requests, without completing them."""

    @staticmethod
    def get_status_any(requests: Sequence[Request], status: Status | None = None) -> object:
        """Access the status of any active request, without completing it."""

    @staticmethod
    def get_status_some(requests: Sequence[Request], statuses: list[Status] | None = None) -> object:
        """Access the status of some requests, without completing them."""

class Prequest(Request):
    """Persistent request handler."""

    @overload
    def __init__(self) -> None: ...

    @overload
    def __init__(self, other: Request) -> None: ...

    def Start(self) -> None:
        """Initiate a communication with a persistent request."""

    @staticmethod
    def Startall(requests: Sequence[Request]) -> None:
        """Start a collection of persistent requests."""

class Grequest(Request):
    """Generalized request handler."""

    @overload
    def __init__(self) -> None: ...

    @overload
    def __init__(self, other: Request) -> None: ...

REQUEST_NULL: Request

class Message:
    """Matched message."""

    @overload
    def __init__(self) -> None: ...

    @overload
    def __init__(self, other: Message) -> None: ...

    def __eq__(self, arg: object, /) -> object: ...

    def __ne__(self, arg: object, /) -> object: ...

    def __bool__(self) -> bool: ...

    @property
    def handle(self) -> int:
        """MPI handle, as an integer."""

    @staticmethod
    def fromhandle(handle: int) -> object:
        """Create object from MPI handle."""

    def py2f(self) -> int:
        """Get Fortran integer handle."""

    @staticmethod
    def f2py(arg: int) -> object:
        """Create object from Fortran integer handle."""

    def toint(self) -> int:
        """Translate object to integer handle."""

    @staticmethod
    def fromint(arg: int) -> object:
        """Translate integer handle to object."""

    def __reduce__(self) -> object: ...

    def free(self) -> None:
        """Call `Free` if not null or predefined."""

    __hash__: None = None

    def Recv(self, buf: object, status: Status | None = None) -> None:
        """Blocking receive of matched message."""

    def Irecv(self, buf: object) -> object:
        """Nonblocking receive of matched message."""

    @staticmethod
    def Probe(comm: Comm, source: int = ..., tag: int = ..., status: Status | None = None) -> object:
        """Blocking test for a matched message."""

    @staticmethod
    def Iprobe(comm: Comm, source: int = ..., tag: int = ..., status: Status | None = None) -> object:
        """Nonblocking test for a matched message."""

    def recv(self, status: Status | None = None) -> object:
        """Blocking receive of matched message."""

    def irecv(self) -> object:
        """Nonblocking receive of matched message."""

    @staticmethod
    def probe(comm: Comm, source: int = ..., tag: int = ..., status: Status | None = None) -> object:
        """Blocking test for a matched message."""

    @staticmethod
    def iprobe(comm: Comm, source: int = ..., tag: int = ..., status: Status | None = None) -> object:
        """Nonblocking test for a matched message."""

MESSAGE_NULL: Message

MESSAGE_NO_PROC: Message

class Comm:
    """Communication context."""

    @overload
    def __init__(self) -> None: ...

    @overload
    def __init__(self, other: Comm) -> None: ...

    def __eq__(self, arg: object, /) -> object: ...

    def __ne__(self, arg: object, /) -> object: ...

    def __bool__(self) -> bool: ...

    @property
    def handle(self) -> int:
        """MPI handle, as an integer."""

    @staticmethod
    def fromhandle(handle: int) -> object:
        """Create object from MPI handle."""

    def py2f(self) -> int:
        """Get Fortran integer handle."""

    @staticmethod
    def f2py(arg: int) -> object:
        """Create object from Fortran integer handle."""

    def toint(self) -> int:
        """Translate object to integer handle."""

    @staticmethod
    def fromint(arg: int) -> object:
        """Translate integer handle to object."""

    def __reduce__(self) -> object: ...

    def free(self) -> None:
        """Call `Free` if not null or predefined."""

    __hash__: None = None

    def Get_size(self) -> int:
        """Return the number of processes in a communicator."""

    def Get_rank(self) -> int:
        """Return the rank of this process in a communicator."""

    @property
    def size(self) -> object:
        """Number of processes."""

    @property
    def rank(self) -> object:
        """Rank of this process."""

    def Get_group(self) -> object:
        """Access the group associated with a communicator."""

    @property
    def group(self) -> object:
        """Group."""

    def Compare(self, comm: Comm) -> int:
        """Compare two communicators."""

    def Clone(self) -> object:
        """Clone an existing communicator."""

    def Dup(self, info: Info | None = None) -> object:
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

    def Get_name(self) -> str:
        """Get the print name for this communicator."""

    def Set_name(self, name: object) -> None:
        """Set the print name for this communicator."""

    @property
    def name(self) -> object:
        """Print name."""

    @name.setter
    def name(self, arg: object, /) -> None: ...

    def Get_errhandler(self) -> object:
        """Get the error handler for a communicator."""

    def Set_errhandler(self, errhandler: Errhandler) -> None:
        """Set the error handler for a communicator."""

    def Get_attr(self, keyval: int) -> object:
        """Retrieve attribute value by key."""

    def Abort(self, errorcode: int = ...) -> None:
        """Terminate the MPI execution environment."""

    def Barrier(self) -> None:
        """Barrier synchronization."""

    def Split(self, color: int = ..., key: int = ...) -> object:
        """Split communicator by color and key."""

    def Send(self, buf: object, dest: int, tag: int = ...) -> None:
        """Blocking send."""

    def Bsend(self, buf: object, dest: int, tag: int = ...) -> None:
        """Blocking send in buffered mode."""

    def Ssend(self, buf: object, dest: int, tag: int = ...) -> None:
        """Blocking send in synchronous mode."""

    def Rsend(self, buf: object, dest: int, tag: int = ...) -> None:
        """Blocking send in ready mode."""

    def Isend(self, buf: object, dest: int, tag: int = ...) -> object:
        """Nonblocking send."""

    def Ibsend(self, buf: object, dest: int, tag: int = ...) -> object:
        """Nonblocking send in buffered mode."""

    def Issend(self, buf: object, dest: int, tag: int = ...) -> object:
        """Nonblocking send in synchronous mode."""

    def Irsend(self, buf: object, dest: int, tag: int = ...) -> object:
        """Nonblocking send in ready mode."""

    def Send_init(self, buf: object, dest: int, tag: int = ...) -> object:
        """Create a persistent request for a standard send."""

    def Bsend_init(self, buf: object, dest: int, tag: int = ...) -> object:
        """Persistent request for a send in buffered mode."""

    def Ssend_init(self, buf: object, dest: int, tag: int = ...) -> object:
        """Persistent request for a send in synchronous mode."""

    def Rsend_init(self, buf: object, dest: int, tag: int = ...) -> object:
        """Persistent request for a send in ready mode."""

    def Recv(self, buf: object, source: int = ..., tag: int = ..., status: Status | None = None) -> None:
        """Blocking receive."""

    def Irecv(self, buf: object, source: int = ..., tag: int = ...) -> object:
        """Nonblocking receive."""

    def Recv_init(self, buf: object, source: int = ..., tag: int = ...) -> object:
        """Create a persistent request for a receive."""

    def Sendrecv(self, sendbuf: object, dest: int, sendtag: int = ..., recvbuf: object | None = None, source: int = ..., recvtag: int = ..., status: Status | None = None) -> None:
        """Send and receive a message."""

    def Sendrecv_replace(self, buf: object, dest: int, sendtag: int = ..., source: int = ..., recvtag: int = ..., status: Status | None = None) -> None:
        """Send and receive a message, replacing the buffer's contents."""

    def Isendrecv(self, sendbuf: object, dest: int, sendtag: int = ..., recvbuf: object | None = None, source: int = ..., recvtag: int = ...) -> object:
        """Nonblocking send and receive."""

    def Isendrecv_replace(self, buf: object, dest: int, sendtag: int = ..., source: int = ..., recvtag: int = ...) -> object:
        """Nonblocking send and receive with a single buffer."""

    def Probe(self, source: int = ..., tag: int = ..., status: Status | None = None) -> bool:
        """Blocking test for a message."""

    def Iprobe(self, source: int = ..., tag: int = ..., status: Status | None = None) -> bool:
        """Nonblocking test for a message."""

    def Mprobe(self, source: int = ..., tag: int = ..., status: Status | None = None) -> object:
        """Blocking test for a matched message."""

    def Improbe(self, source: int = ..., tag: int = ..., status: Status | None = None) -> object:
        """Nonblocking test for a matched message."""

    def send(self, obj: object, dest: int, tag: int = ...) -> None:
        """Send in standard mode."""

    def bsend(self, obj: object, dest: int, tag: int = ...) -> None:
        """Send in buffered mode."""

    def ssend(self, obj: object, dest: int, tag: int = ...) -> None:
        """Send in synchronous mode."""

    def isend(self, obj: object, dest: int, tag: int = ...) -> object:
        """Nonblocking send."""

    def ibsend(self, obj: object, dest: int, tag: int = ...) -> object:
        """Nonblocking send in buffered mode."""

    def issend(self, obj: object, dest: int, tag: int = ...) -> object:
        """Nonblocking send in synchronous mode."""

    def recv(self, buf: object | None = None, source: int = ..., tag: int = ..., status: Status | None = None) -> object:
        """Receive."""

    def irecv(self, buf: object | None = None, source: int = ..., tag: int = ...) -> object:
        """Nonblocking receive."""

    def sendrecv(self, sendobj: object, dest: int, sendtag: int = ..., recvbuf: object | None = None, source: int = ..., recvtag: int = ..., status: Status | None = None) -> object:
        """Send and receive."""

    def probe(self, source: int = ..., tag: int = ..., status: Status | None = None) -> object:
        """Blocking test for a message."""

    def iprobe(self, source: int = ..., tag: int = ..., status: Status | None = None) -> object:
        """Nonblocking test for a message."""

    def mprobe(self, source: int = ..., tag: int = ..., status: Status | None = None) -> object:
        """Blocking test for a matched message."""

    def improbe(self, source: int = ..., tag: int = ..., status: Status | None = None) -> object:
        """Nonblocking test for a matched message."""

class Intracomm(Comm):
    """Intracommunicator."""

    @overload
    def __init__(self) -> None: ...

    @overload
    def __init__(self, other: Comm) -> None: ...

    def Create_intercomm(self, local_leader: int, peer_comm: Intracomm, remote_leader: int, tag: int = ...) -> object:
        """Create intercommunicator."""

class Topocomm(Intracomm):
    """Topology intracommunicator."""

    @overload
    def __init__(self) -> None: ...

    @overload
    def __init__(self, other: Comm) -> None: ...

class Cartcomm(Topocomm):
    """Cartesian topology intracommunicator."""

    @overload
    def __init__(self) -> None: ...

    @overload
    def __init__(self, other: Comm) -> None: ...

class Graphcomm(Topocomm):
    """General graph topology intracommunicator."""

    @overload
    def __init__(self) -> None: ...

    @overload
    def __init__(self, other: Comm) -> None: ...

class Distgraphcomm(Topocomm):
    """Distributed graph topology intracommunicator."""

    @overload
    def __init__(self) -> None: ...

    @overload
    def __init__(self, other: Comm) -> None: ...

class Intercomm(Comm):
    """Intercommunicator."""

    @overload
    def __init__(self) -> None: ...

    @overload
    def __init__(self, other: Comm) -> None: ...

    def Get_remote_size(self) -> int:
        """Intercommunicator remote size."""

    @property
    def remote_size(self) -> object:
        """Number of remote processes."""

    def Get_remote_group(self) -> object:
        """Access the remote group associated with the inter-communicator."""

    @property
    def remote_group(self) -> object:
        """Remote group."""

    def Merge(self, high: bool = False) -> object:
        """Merge intercommunicator into an intracommunicator."""

COMM_NULL: Comm

COMM_SELF: Intracomm

COMM_WORLD: Intracomm

def Attach_buffer(buf: object) -> None:
    """Attach a user-provided buffer for sending in buffered mode."""

def Detach_buffer() -> object:
    """Remove an existing attached buffer."""

class Win:
    """Remote memory access context."""

    @overload
    def __init__(self) -> None: ...

    @overload
    def __init__(self, other: Win) -> None: ...

    def __eq__(self, arg: object, /) -> object: ...

    def __ne__(self, arg: object, /) -> object: ...

    def __bool__(self) -> bool: ...

    @property
    def handle(self) -> int:
        """MPI handle, as an integer."""

    @staticmethod
    def fromhandle(handle: int) -> object:
        """Create object from MPI handle."""

    def py2f(self) -> int:
        """Get Fortran integer handle."""

    @staticmethod
    def f2py(arg: int) -> object:
        """Create object from Fortran integer handle."""

    def toint(self) -> int:
        """Translate object to integer handle."""

    @staticmethod
    def fromint(arg: int) -> object:
        """Translate integer handle to object."""

    def __reduce__(self) -> object: ...

    def free(self) -> None:
        """Call `Free` if not null or predefined."""

    __hash__: None = None

    def Free(self) -> None:
        """Free a window."""

WIN_NULL: Win

class File:
    """File I/O context."""

    @overload
    def __init__(self) -> None: ...

    @overload
    def __init__(self, other: File) -> None: ...

    def __eq__(self, arg: object, /) -> object: ...

    def __ne__(self, arg: object, /) -> object: ...

    def __bool__(self) -> bool: ...

    @property
    def handle(self) -> int:
        """MPI handle, as an integer."""

    @staticmethod
    def fromhandle(handle: int) -> object:
        """Create object from MPI handle."""

    def py2f(self) -> int:
        """Get Fortran integer handle."""

    @staticmethod
    def f2py(arg: int) -> object:
        """Create object from Fortran integer handle."""

    def toint(self) -> int:
        """Translate object to integer handle."""

    @staticmethod
    def fromint(arg: int) -> object:
        """Translate integer handle to object."""

    def __reduce__(self) -> object: ...

    def free(self) -> None:
        """Call `Free` if not null or predefined."""

    __hash__: None = None

    def Close(self) -> None:
        """Close a file."""

FILE_NULL: File

class Session:
    """Session context."""

    @overload
    def __init__(self) -> None: ...

    @overload
    def __init__(self, other: Session) -> None: ...

    def __eq__(self, arg: object, /) -> object: ...

    def __ne__(self, arg: object, /) -> object: ...

    def __bool__(self) -> bool: ...

    @property
    def handle(self) -> int:
        """MPI handle, as an integer."""

    @staticmethod
    def fromhandle(handle: int) -> object:
        """Create object from MPI handle."""

    def py2f(self) -> int:
        """Get Fortran integer handle."""

    @staticmethod
    def f2py(arg: int) -> object:
        """Create object from Fortran integer handle."""

    def toint(self) -> int:
        """Translate object to integer handle."""

    @staticmethod
    def fromint(arg: int) -> object:
        """Translate integer handle to object."""

    def __reduce__(self) -> object: ...

    def free(self) -> None:
        """Call `Free` if not null or predefined."""

    __hash__: None = None

    def Finalize(self) -> None:
        """Finalize a session."""

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

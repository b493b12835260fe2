"""Array producers without the buffer protocol, written for the tests: DLPack exporters
(capsules built with ctypes, versioned or legacy, or NumPy's own ``__dlpack__``) and
CUDA-array-interface exporters over host memory (a stand-in for device arrays).

Each wraps host memory (``array.array`` or NumPy) and keeps it in ``.base``, so a test can
check values with ``list(x.base)`` whatever the kind."""

import array
import ctypes

# -- DLPack: the C structures of dlpack.h ------------------------------------------------


class DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class DLTensor(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("device", DLDevice),
        ("ndim", ctypes.c_int32),
        ("dtype", DLDataType),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
        ("strides", ctypes.POINTER(ctypes.c_int64)),
        ("byte_offset", ctypes.c_uint64),
    ]


class DLManagedTensor(ctypes.Structure):
    _fields_ = [
        ("dl_tensor", DLTensor),
        ("manager_ctx", ctypes.c_void_p),
        ("deleter", ctypes.c_void_p),
    ]


class DLPackVersion(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint32), ("minor", ctypes.c_uint32)]


class DLManagedTensorVersioned(ctypes.Structure):
    _fields_ = [
        ("version", DLPackVersion),
        ("manager_ctx", ctypes.c_void_p),
        ("deleter", ctypes.c_void_p),
        ("flags", ctypes.c_uint64),
        ("dl_tensor", DLTensor),
    ]


kDLCPU, kDLCUDA = 1, 2
kDLInt, kDLUInt, kDLFloat, kDLOpaqueHandle, kDLComplex, kDLBool = 0, 1, 2, 3, 5, 6
READ_ONLY = 1

# (code, bits) of array.array type codes
DTYPES = {
    "b": (kDLInt, 8),
    "h": (kDLInt, 16),
    "i": (kDLInt, 32),
    "l": (kDLInt, 64),
    "q": (kDLInt, 64),
    "B": (kDLUInt, 8),
    "H": (kDLUInt, 16),
    "I": (kDLUInt, 32),
    "L": (kDLUInt, 64),
    "Q": (kDLUInt, 64),
    "f": (kDLFloat, 32),
    "d": (kDLFloat, 64),
}

_capsule_new = ctypes.pythonapi.PyCapsule_New
_capsule_new.restype = ctypes.py_object
_capsule_new.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
_capsule_set_name = ctypes.pythonapi.PyCapsule_SetName
_capsule_set_name.restype = ctypes.c_int
_capsule_set_name.argtypes = [ctypes.py_object, ctypes.c_char_p]

# Capsule names must outlive the capsules: module constants.
VERSIONED, LEGACY, USED = b"dltensor_versioned", b"dltensor", b"used_dltensor"

# A capsule destructor that only records the address of the structure of each capsule that
# dies, so that tests can see when the consumer lets go of one.
destroyed = []
_DESTRUCTOR = ctypes.PYFUNCTYPE(None, ctypes.c_void_p)(lambda cap: destroyed.append(cap))


def capsule(managed, name):
    """A capsule of the structure `managed`, whose destructor records its death."""
    return _capsule_new(ctypes.addressof(managed), name, ctypes.cast(_DESTRUCTOR, ctypes.c_void_p))


class CtypesDLPack:
    """A DLPack exporter of an array.array (or any object with buffer_info), hand-made with
    ctypes: `version` 1 gives versioned capsules, 0 legacy ones (and __dlpack__ then takes
    no keywords, as producers from before DLPack 1.0)."""

    def __init__(self, typecode, values, version=1, device_type=kDLCPU):
        self.base = array.array(typecode, values)
        self.version = version
        self.device_type = device_type
        self.calls = []
        address, n = self.base.buffer_info()
        self.shape = (ctypes.c_int64 * 3)(n, 0, 0)
        self.managed = (DLManagedTensorVersioned if version else DLManagedTensor)()
        if version:
            self.managed.version.major, self.managed.version.minor = 1, 0
        t = self.managed.dl_tensor
        t.data = address
        t.device.device_type, t.device.device_id = device_type, 0
        t.ndim = 1
        code, bits = DTYPES[typecode]
        t.dtype.code, t.dtype.bits, t.dtype.lanes = code, bits, 1
        t.shape = self.shape
        t.strides = None
        t.byte_offset = 0

    @property
    def tensor(self):
        return self.managed.dl_tensor

    def set_strides(self, shape, strides):
        self.shape_nd = (ctypes.c_int64 * len(shape))(*shape)
        self.tensor.ndim = len(shape)
        self.tensor.shape = self.shape_nd
        if strides is None:
            self.tensor.strides = None
        else:
            self.strides_nd = (ctypes.c_int64 * len(strides))(*strides)
            self.tensor.strides = self.strides_nd

    def __dlpack_device__(self):
        return (self.device_type, 0)

    def __dlpack__(self, *args, **kwargs):
        self.calls.append(kwargs)
        if self.version == 0 and (args or set(kwargs) - {"stream"}):
            raise TypeError("__dlpack__() got an unexpected keyword argument")
        return capsule(self.managed, VERSIONED if self.version else LEGACY)


class NumPyDLPack:
    """NumPy's own DLPack export, behind an object without the buffer protocol; `legacy`
    drops the keywords, so NumPy makes a pre-1.0 capsule."""

    def __init__(self, typecode, values, legacy=False):
        import numpy

        self.base = numpy.array(values, dtype=typecode)
        self.legacy = legacy

    def __dlpack_device__(self):
        return self.base.__dlpack_device__()

    def __dlpack__(self, stream=None, **kwargs):
        if self.legacy:
            if kwargs:
                raise TypeError("legacy producer: no keywords")
            return self.base.__dlpack__(stream=stream)
        return self.base.__dlpack__(stream=stream, **kwargs)


class FakeDeviceArray:
    """The CUDA array interface over host memory: what a GPU array library exports."""

    def __init__(self, typecode, values, readonly=False):
        self.base = array.array(typecode, values)
        address, n = self.base.buffer_info()
        self.typestr = "<" + {"f": "f", "d": "f"}.get(typecode, "i" if typecode.islower() else "u")
        self.typestr += str(self.base.itemsize)
        self.__cuda_array_interface__ = {
            "version": 3,
            "data": (address, readonly),
            "typestr": self.typestr,
            "shape": (n,),
            "strides": None,
            "descr": [("", self.typestr)],
        }

    @property
    def interface(self):
        return self.__cuda_array_interface__


def mark_used(cap):
    """Rename a capsule as a consumer that took ownership would."""
    _capsule_set_name(cap, USED)

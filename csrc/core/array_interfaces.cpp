// Buffers of objects without the buffer protocol: DLPack (`__dlpack__`, versioned and legacy
// capsules) and the CUDA array interface (`__cuda_array_interface__`). Either becomes a
// PinnedBuffer view of one contiguous run of bytes; device memory goes to MPI as it is (a
// GPU-aware MPI handles it). Also the fast path for NumPy arrays, which reads the array's
// struct instead of going through its (costly) buffer export.
#include "msgbuffer.hpp"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace mpipy {

namespace {

// The DLPack ABI (dlpack.h, v1.x), as far as a consumer reads it.
struct DLDevice {
    int32_t device_type;
    int32_t device_id;
};
struct DLDataType {
    uint8_t code;
    uint8_t bits;
    uint16_t lanes;
};
struct DLTensor {
    void *data;
    DLDevice device;
    int32_t ndim;
    DLDataType dtype;
    int64_t *shape;
    int64_t *strides;  // in elements; null means compact row-major
    uint64_t byte_offset;
};
struct DLManagedTensor {  // legacy capsules, named "dltensor"
    DLTensor dl_tensor;
    void *manager_ctx;
    void (*deleter)(DLManagedTensor *);
};
struct DLPackVersion {
    uint32_t major;
    uint32_t minor;
};
struct DLManagedTensorVersioned {  // capsules named "dltensor_versioned"
    DLPackVersion version;
    void *manager_ctx;
    void (*deleter)(DLManagedTensorVersioned *);
    uint64_t flags;
    DLTensor dl_tensor;
};
constexpr uint64_t kDLReadOnlyFlag = 1;
enum DLDataTypeCode : uint8_t {
    kDLInt = 0,
    kDLUInt = 1,
    kDLFloat = 2,
    kDLComplex = 5,
    kDLBool = 6
};

// Element format and size of a typed element of `bytes` bytes: signed and unsigned integers,
// booleans, real and complex floats map to struct-module codes (so the MPI datatype can be
// inferred), anything else to unsigned bytes.
struct Element {
    const char *format;
    Py_ssize_t itemsize;
};
Element element_of(char kind, Py_ssize_t bytes) {
    auto pick = [bytes](const char *c8, const char *c16, const char *c32, const char *c64,
                        const char *c128) -> const char * {
        switch (bytes) {
        case 1:
            return c8;
        case 2:
            return c16;
        case 4:
            return c32;
        case 8:
            return c64;
        case 16:
            return c128;
        default:
            return nullptr;
        }
    };
    const char *format = nullptr;
    switch (kind) {
    case 'b':
        format = bytes == 1 ? "?" : nullptr;
        break;
    case 'i':
        format = pick("b", "h", "i", sizeof(long) == 8 ? "l" : "q", nullptr);
        break;
    case 'u':
        format = pick("B", "H", "I", sizeof(long) == 8 ? "L" : "Q", nullptr);
        break;
    case 'f':
        format = pick(nullptr, "e", "f", "d", sizeof(long double) == 16 ? "g" : nullptr);
        break;
    case 'c':
        format = pick(nullptr, nullptr, nullptr, "Zf", "Zd");
        if (bytes == 2 * static_cast<Py_ssize_t>(sizeof(long double)) && bytes > 16) format = "Zg";
        break;
    default:
        break;
    }
    return format ? Element{format, bytes} : Element{"B", 1};
}

// Contiguous in C or Fortran order? Strides in the same unit as `unit` (the size of one
// element along the innermost axis); axes of length 0 or 1 place no constraint.
template <class Shape, class Strides>
bool contiguous(Py_ssize_t ndim, Shape shape, Strides strides, int64_t unit) {
    for (int order = 0; order < 2; ++order) {
        int64_t expected = unit;
        bool ok = true;
        for (Py_ssize_t k = 0; k < ndim && ok; ++k) {
            const Py_ssize_t axis = order == 0 ? ndim - 1 - k : k;
            const int64_t n = shape(axis);
            if (n > 1 && strides(axis) != expected) ok = false;
            expected *= n;
        }
        if (ok) return true;
    }
    return false;
}

// Product of non-negative extents, refusing what does not fit in memory.
Py_ssize_t checked_product(Py_ssize_t a, int64_t b, const char *who) {
    Py_ssize_t out = 0;
    if (b < 0 || __builtin_mul_overflow(a, static_cast<Py_ssize_t>(b), &out))
        raise_error(PyExc_BufferError, std::string(who) + ": buffer size out of range");
    return out;
}

// An integer from a Python object, TypeError naming `what` if it is not one.
long long as_integer(nb::handle obj, const char *what) {
    if (!PyLong_Check(obj.ptr()))
        raise_error(PyExc_TypeError, std::string(what) + " must be an integer, not " +
                                         nb::type_name(obj.type()).c_str());
    long long v = PyLong_AsLongLong(obj.ptr());
    if (v == -1 && PyErr_Occurred()) throw nb::python_error();
    return v;
}

// getattr(obj, name), or an invalid handle when obj has no such attribute.
nb::object attribute(PyObject *obj, const char *name) {
    PyObject *value = PyObject_GetAttrString(obj, name);
    if (value) return nb::steal(value);
    if (!PyErr_ExceptionMatches(PyExc_AttributeError)) throw nb::python_error();
    PyErr_Clear();
    return nb::object();
}

// The leading members of NumPy's array and dtype structs (PyArrayObject_fields and
// PyArray_Descr in numpy/ndarraytypes.h), the same in NumPy 1.x and 2.x. learn_ndarray checks
// them against a real export before acquire_ndarray relies on them.
struct NumpyArray {
    PyObject_HEAD char *data;
    int nd;
    Py_ssize_t *dimensions;
    Py_ssize_t *strides;
    PyObject *base;
    PyObject *descr;
    int flags;
};
struct NumpyDescr {
    PyObject_HEAD PyTypeObject *typeobj;
    char kind, type, byteorder, flags_or_former_flags;
    int type_num;
};
enum : int {  // NPY_ARRAY_* flags
    kCContiguous = 0x1,
    kFContiguous = 0x2,
    kWriteable = 0x400,
    kWarnOnWrite = int(0x80000000u),
};

// What the export of each plain number type (type_num 0..16: bool, integers, floats,
// complex; 23: half) looks like, learnt from NumPy's own export of the first such array.
struct NumpyKind {
    char format[8] = {};
    Py_ssize_t itemsize = 0;  // 0: not learnt (or not a plain number type)
};
constexpr int kNumpyKinds = 24;
NumpyKind numpy_kinds[kNumpyKinds];

bool plain_number_type(int type_num) { return (type_num >= 0 && type_num <= 16) || type_num == 23; }

// The array's bytes, when they are one contiguous run (C or Fortran order as `flags` allow).
bool contiguous_bytes(const NumpyArray *a, int flags, Py_ssize_t itemsize, Py_ssize_t &len) {
    const bool c = a->flags & kCContiguous, f = a->flags & kFContiguous;
    if ((flags & PyBUF_C_CONTIGUOUS) == PyBUF_C_CONTIGUOUS   ? !c
        : (flags & PyBUF_F_CONTIGUOUS) == PyBUF_F_CONTIGUOUS ? !f
                                                             : !(c || f))
        return false;
    len = itemsize;
    for (int i = 0; i < a->nd; ++i) len *= a->dimensions[i];
    return true;
}

}  // namespace

bool PinnedBuffer::acquire_ndarray(PyObject *obj, int flags) {
    const auto *a = reinterpret_cast<const NumpyArray *>(obj);
    const auto *d = reinterpret_cast<const NumpyDescr *>(a->descr);
    if (!plain_number_type(d->type_num) || (d->byteorder != '=' && d->byteorder != '|'))
        return false;
    const NumpyKind &kind = numpy_kinds[d->type_num];
    const bool writable = (flags & PyBUF_WRITABLE) == PyBUF_WRITABLE;
    Py_ssize_t len = 0;
    if (kind.itemsize == 0 || !contiguous_bytes(a, flags, kind.itemsize, len) ||
        (writable && (a->flags & (kWriteable | kWarnOnWrite)) != kWriteable))
        return false;
    fill(obj, a->data, len, kind.itemsize, kind.format, !(a->flags & kWriteable), flags,
         kHostBuffer);
    return true;
}

// After a successful export of obj: if obj is a NumPy array of a plain number type whose
// struct agrees with the export, remember the export's format and item size for that type
// (and numpy.ndarray itself, for acquire to recognise). Costs nothing once learnt.
void PinnedBuffer::learn_ndarray(PyObject *obj, int flags) {
    PyTypeObject *type = Py_TYPE(obj);
    if (std::strcmp(type->tp_name, "numpy.ndarray") != 0 || !(flags & PyBUF_FORMAT) ||
        !view_.format || type->tp_as_buffer->bf_releasebuffer)
        return;
    const auto *a = reinterpret_cast<const NumpyArray *>(obj);
    const auto *d = reinterpret_cast<const NumpyDescr *>(a->descr);
    if (!d || !plain_number_type(d->type_num) || (d->byteorder != '=' && d->byteorder != '|') ||
        numpy_kinds[d->type_num].itemsize != 0 ||
        std::strlen(view_.format) >= sizeof(NumpyKind::format))
        return;
    Py_ssize_t len = 0;
    if (a->data != view_.buf || a->nd != view_.ndim ||
        !contiguous_bytes(a, PyBUF_ANY_CONTIGUOUS, view_.itemsize, len) || len != view_.len ||
        bool(a->flags & kWriteable) == bool(view_.readonly))
        return;
    NumpyKind &kind = numpy_kinds[d->type_num];
    std::strcpy(kind.format, view_.format);
    kind.itemsize = view_.itemsize;
    ndarray_type = type;
}

void PinnedBuffer::fill(PyObject *keeper, void *buf, Py_ssize_t len, Py_ssize_t itemsize,
                        const char *format, bool readonly, int flags, int device) {
    const bool typed = (flags & PyBUF_FORMAT) == PyBUF_FORMAT;
    if (!typed) itemsize = 1;
    view_.obj = keeper;
    Py_INCREF(keeper);
    view_.buf = buf;
    view_.len = len;
    view_.readonly = readonly;
    view_.itemsize = itemsize;
    view_.format = typed ? const_cast<char *>(format) : nullptr;
    // One dimension of len bytes; no shape or strides, which no consumer here reads (a
    // contiguous view needs none).
    view_.ndim = 1;
    view_.shape = nullptr;
    view_.strides = nullptr;
    view_.suboffsets = nullptr;
    view_.internal = nullptr;
    device_ = device;
}

bool PinnedBuffer::acquire_array_interface(PyObject *obj, int flags) {
    nb::object dlpack = attribute(obj, "__dlpack__");
    if (dlpack.is_valid() && acquire_dlpack(obj, dlpack, flags)) return true;
    nb::object interface = attribute(obj, "__cuda_array_interface__");
    if (interface.is_valid()) return acquire_cuda_array(obj, interface, flags);
    PyErr_Format(PyExc_TypeError,
                 "a bytes-like object, or one with __dlpack__ or __cuda_array_interface__, is "
                 "required, not '%.200s'",
                 Py_TYPE(obj)->tp_name);
    return false;
}

// False (nothing set) when obj lacks __dlpack_device__: then it is not a DLPack exporter.
bool PinnedBuffer::acquire_dlpack(PyObject *obj, nb::handle dlpack, int flags) {
    nb::object device_fn = attribute(obj, "__dlpack_device__");
    if (!device_fn.is_valid()) return false;
    nb::object device = device_fn();
    if (!PyTuple_Check(device.ptr()))
        raise_error(PyExc_TypeError, "dlpack: __dlpack_device__() must return a tuple");
    if (PyTuple_GET_SIZE(device.ptr()) != 2)
        raise_error(PyExc_ValueError, "dlpack: __dlpack_device__() must return (device_type, id)");
    const long long device_type =
        as_integer(PyTuple_GET_ITEM(device.ptr(), 0), "dlpack: device type");
    as_integer(PyTuple_GET_ITEM(device.ptr(), 1), "dlpack: device id");

    // Ask for a versioned capsule; producers that predate DLPack 1.0 reject the keywords
    // with TypeError and get the legacy call. Device memory is requested as of now
    // (stream -1: no synchronization on our part; MPI works in stream order of its own).
    const bool on_cpu = device_type == kDLCPU;
    nb::object capsule;
    try {
        nb::object max_version = nb::make_tuple(1, 0);
        capsule = on_cpu ? dlpack(nb::arg("max_version") = max_version, nb::arg("copy") = false)
                         : dlpack(nb::arg("stream") = -1, nb::arg("max_version") = max_version,
                                  nb::arg("copy") = false);
    } catch (nb::python_error &e) {
        if (!e.matches(PyExc_TypeError)) throw;
        capsule = on_cpu ? dlpack() : dlpack(nb::arg("stream") = -1);
    }

    const DLTensor *tensor = nullptr;
    bool readonly = false;
    if (PyCapsule_IsValid(capsule.ptr(), "dltensor_versioned")) {
        auto *managed = static_cast<DLManagedTensorVersioned *>(
            PyCapsule_GetPointer(capsule.ptr(), "dltensor_versioned"));
        if (managed->version.major != 1)
            raise_error(PyExc_BufferError, "dlpack: unsupported version " +
                                               std::to_string(managed->version.major) + "." +
                                               std::to_string(managed->version.minor));
        tensor = &managed->dl_tensor;
        readonly = (managed->flags & kDLReadOnlyFlag) != 0;
    } else if (PyCapsule_IsValid(capsule.ptr(), "dltensor")) {
        tensor = &static_cast<DLManagedTensor *>(PyCapsule_GetPointer(capsule.ptr(), "dltensor"))
                      ->dl_tensor;
    } else {
        raise_error(PyExc_BufferError,
                    "dlpack: __dlpack__() did not return an unused DLPack capsule");
    }

    const int ndim = tensor->ndim;
    if (ndim < 0) raise_error(PyExc_BufferError, "dlpack: negative number of dimensions");
    if (ndim > 0 && !tensor->shape) raise_error(PyExc_BufferError, "dlpack: shape is NULL");
    for (int i = 0; i < ndim; ++i) {
        if (tensor->shape[i] < 0) raise_error(PyExc_BufferError, "dlpack: negative shape");
        if (tensor->strides && tensor->strides[i] < 0)
            raise_error(PyExc_BufferError, "dlpack: negative strides");
    }
    if (tensor->strides && !contiguous(
                               ndim, [&](Py_ssize_t i) { return tensor->shape[i]; },
                               [&](Py_ssize_t i) { return tensor->strides[i]; }, 1))
        raise_error(PyExc_BufferError, "dlpack: buffer is not contiguous");
    if (readonly && (flags & PyBUF_WRITABLE) == PyBUF_WRITABLE)
        raise_error(PyExc_BufferError, "dlpack: buffer is read-only");

    // Element type: one lane of a known kind, or two float lanes (a complex number); any
    // other vector type is plain bytes.
    const DLDataType dtype = tensor->dtype;
    const Py_ssize_t element_bytes = (Py_ssize_t(dtype.bits) * dtype.lanes + 7) / 8;
    Element element{"B", 1};
    if (dtype.lanes == 1 || (dtype.lanes == 2 && dtype.code == kDLFloat)) {
        const char kind = dtype.lanes == 2           ? 'c'
                          : dtype.code == kDLInt     ? 'i'
                          : dtype.code == kDLUInt    ? 'u'
                          : dtype.code == kDLFloat   ? 'f'
                          : dtype.code == kDLComplex ? 'c'
                          : dtype.code == kDLBool    ? 'b'
                                                     : '?';
        if (dtype.bits % 8 == 0) element = element_of(kind, element_bytes);
    }
    Py_ssize_t len = element_bytes;
    for (int i = 0; i < ndim; ++i) len = checked_product(len, tensor->shape[i], "dlpack");

    // The capsule keeps the tensor alive: its destructor calls the producer's deleter.
    fill(capsule.ptr(), static_cast<char *>(tensor->data) + tensor->byte_offset, len,
         element.itemsize, element.format, readonly, flags, static_cast<int>(device_type));
    return true;
}

bool PinnedBuffer::acquire_cuda_array(PyObject *obj, nb::handle interface, int flags) {
    if (!PyDict_Check(interface.ptr()))
        raise_error(PyExc_TypeError, std::string("__cuda_array_interface__ must be a dict, not ") +
                                         nb::type_name(interface.type()).c_str());
    nb::dict cai = nb::borrow<nb::dict>(interface);
    auto required = [&](const char *key) -> nb::object {
        PyObject *value = PyDict_GetItemString(cai.ptr(), key);  // borrowed
        if (!value) {
            PyErr_SetString(PyExc_KeyError, key);
            throw nb::python_error();
        }
        return nb::borrow(value);
    };
    auto optional = [&](const char *key) -> nb::object {
        PyObject *value = PyDict_GetItemString(cai.ptr(), key);
        return value ? nb::borrow(value) : nb::none();
    };
    auto expect = [](nb::handle value, bool ok, const char *key, const char *type) {
        if (!ok)
            raise_error(PyExc_TypeError, std::string("__cuda_array_interface__: '") + key +
                                             "' must be a " + type + ", not " +
                                             nb::type_name(value.type()).c_str());
    };
    nb::object data = required("data"), typestr = required("typestr"), shape = required("shape");
    nb::object strides = optional("strides"), descr = optional("descr"), mask = optional("mask");
    expect(data, PyTuple_Check(data.ptr()), "data", "tuple (pointer, read-only flag)");
    expect(typestr, PyUnicode_Check(typestr.ptr()), "typestr", "str");
    expect(shape, PyTuple_Check(shape.ptr()), "shape", "tuple");
    expect(strides, strides.is_none() || PyTuple_Check(strides.ptr()), "strides", "tuple or None");
    expect(descr, descr.is_none() || PyList_Check(descr.ptr()), "descr", "list or None");
    if (PyTuple_GET_SIZE(data.ptr()) != 2)
        raise_error(PyExc_ValueError,
                    "__cuda_array_interface__: 'data' must be (pointer, read-only)");

    // The element: typestr is <byte order><kind><size>, as NumPy's array interface.
    const std::string type = nb::cast<std::string>(typestr);
    const char order = type.empty() ? '\0' : type[0];
    const char kind = type.size() > 1 ? type[1] : '\0';
    long long bytes = -1;
    try {
        size_t used = 0;
        bytes = std::stoll(type.substr(type.size() > 2 ? 2 : type.size()), &used);
        if (used != type.size() - 2) bytes = -1;
    } catch (const std::exception &) {
    }
    if (bytes <= 0)
        raise_error(PyExc_ValueError,
                    "__cuda_array_interface__: bad item size in typestr '" + type + "'");
    if ((flags & PyBUF_FORMAT) == PyBUF_FORMAT) {
        const bool little = [] {
            const uint16_t one = 1;
            return *reinterpret_cast<const uint8_t *>(&one) == 1;
        }();
        if (order != '|' && order != (little ? '<' : '>'))
            raise_error(PyExc_BufferError,
                        "__cuda_array_interface__: typestr '" + type + "' " +
                            (order == '<' || order == '>' ? "has a non-native byte order"
                                                          : "has no recognized byte order"));
    }
    if (!mask.is_none())
        raise_error(PyExc_BufferError, "__cuda_array_interface__: masked arrays are not supported");

    const Py_ssize_t ndim = PyTuple_GET_SIZE(shape.ptr());
    std::vector<int64_t> extents, steps;
    for (nb::handle n : shape) extents.push_back(as_integer(n, "__cuda_array_interface__: shape"));
    for (int64_t n : extents)
        if (n < 0) raise_error(PyExc_BufferError, "__cuda_array_interface__: negative shape");
    if (!strides.is_none()) {
        for (nb::handle s : strides)
            steps.push_back(as_integer(s, "__cuda_array_interface__: strides"));
        if (static_cast<Py_ssize_t>(steps.size()) != ndim)
            raise_error(PyExc_ValueError,
                        "__cuda_array_interface__: strides and shape differ in length");
        if (!contiguous(
                ndim, [&](Py_ssize_t i) { return extents[i]; },
                [&](Py_ssize_t i) { return steps[i]; }, bytes))
            raise_error(PyExc_BufferError, "__cuda_array_interface__: buffer is not contiguous");
    }
    Py_ssize_t len = static_cast<Py_ssize_t>(bytes);
    for (int64_t n : extents) len = checked_product(len, n, "__cuda_array_interface__");

    nb::handle pointer = PyTuple_GET_ITEM(data.ptr(), 0);
    void *buf = nullptr;
    if (!(pointer.is_none() && len == 0)) {
        if (!PyLong_Check(pointer.ptr()))
            raise_error(PyExc_TypeError,
                        "__cuda_array_interface__: the data pointer must be an integer");
        buf = PyLong_AsVoidPtr(pointer.ptr());
        if (!buf && PyErr_Occurred()) throw nb::python_error();
    }
    const int readonly = PyObject_IsTrue(PyTuple_GET_ITEM(data.ptr(), 1));
    if (readonly < 0) throw nb::python_error();
    if (readonly && (flags & PyBUF_WRITABLE) == PyBUF_WRITABLE)
        raise_error(PyExc_BufferError, "__cuda_array_interface__: buffer is read-only");

    // A 'descr' other than the plain [('', typestr)] describes fields we pass on as bytes.
    if (!descr.is_none()) {
        const bool plain = nb::len(descr) == 1 &&
                           nb::borrow<nb::list>(descr)[0].equal(nb::make_tuple("", typestr));
        if (!plain && PyErr_WarnEx(PyExc_RuntimeWarning,
                                   "__cuda_array_interface__: ignoring 'descr' key", 1) < 0)
            throw nb::python_error();
    }
    const Element element = element_of(kind, static_cast<Py_ssize_t>(bytes));
    fill(obj, buf, len, element.itemsize, element.format, readonly != 0, flags, kDLCUDA);
    return true;
}

}  // namespace mpipy

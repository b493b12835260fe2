// The buffer-spec parser behind every uppercase method, the large-count fallback, and the
// BOTTOM / IN_PLACE / BUFFER_AUTOMATIC constants.
#include "msgbuffer.hpp"
#include "objects.hpp"

#include <bit>
#include <string>

namespace mpipy {

namespace {

// A count or displacement: a Python int or anything with __index__, not negative.
MPI_Count to_count(nb::handle obj, const char *what) {
    const long long value = index_arg(obj, what);
    if (value < 0)
        spec_error(PyExc_ValueError, "negative " + std::string(what) + " " + std::to_string(value));
    return static_cast<MPI_Count>(value);
}

MPI_Datatype to_datatype(nb::handle obj) {
    if (isinstance_cached<Datatype>(obj)) {
        MPI_Datatype type = nb::inst_ptr<Datatype>(obj)->handle;
        if (type == MPI_DATATYPE_NULL) spec_error(PyExc_ValueError, "datatype is DATATYPE_NULL");
        require_committed(type);  // before MPI, which may not check
        return type;
    }
    if (nb::isinstance<nb::str>(obj)) {
        MPI_Datatype type = datatype_for_format(nb::cast<std::string>(obj).c_str());
        if (type == MPI_DATATYPE_NULL)  // a failed lookup by key, as in a mapping
            spec_error(PyExc_KeyError, "cannot map type code " +
                                           nb::cast<std::string>(nb::repr(obj)) +
                                           " to an MPI datatype");
        return type;
    }
    spec_error(PyExc_TypeError,
               "expecting an MPI.Datatype or a type code, not " + type_name_of(obj));
}

// What may follow the buffer in [buf, datatype]: an MPI.Datatype or a type code.
bool is_datatype_spec(nb::handle obj) {
    return isinstance_cached<Datatype>(obj) || PyUnicode_Check(obj.ptr());
}

bool is_predefined(MPI_Datatype type) { return combiner_of(type) == MPI_COMBINER_NAMED; }

bool is_bottom(nb::handle obj) { return obj.is_none() || is_bottom_constant(obj); }

// Byte range [lo, hi) that a (possibly strided) buffer spans, relative to view.buf.
void span_of(const Py_buffer &view, Py_ssize_t &lo, Py_ssize_t &hi) {
    if (!view.strides || view.ndim == 0) {
        lo = 0;
        hi = view.len;
        return;
    }
    lo = 0;
    hi = view.itemsize;
    for (int i = 0; i < view.ndim; ++i) {
        if (view.shape[i] == 0) {
            lo = hi = 0;
            return;
        }
        Py_ssize_t reach = (view.shape[i] - 1) * view.strides[i];
        (reach < 0 ? lo : hi) += reach;
    }
}

}  // namespace

void require_absolute(MPI_Datatype type, MPI_Count count, MPI_Count offset) {
    if (count <= 0) return;
    MPI_Count lb = 0, extent = 0, true_lb = 0, true_extent = 0;
    check(MPI_Type_get_extent_x(type, &lb, &extent));
    check(MPI_Type_get_true_extent_x(type, &true_lb, &true_extent));
    const MPI_Count reach = (count - 1) * extent;
    const MPI_Count first = offset + true_lb + (reach < 0 ? reach : 0);
    if (true_extent > 0 && first < 4096) throw MpiError{MPI_ERR_BUFFER};  // MPI_BOTTOM is 0
}

void pin_buffer_failed(nb::handle obj, int flags, const char *what, const char *layout_hint) {
    PyErr_Clear();
    PinnedBuffer probe;  // what the object can export at all
    if (!probe.acquire(obj.ptr(), PyBUF_RECORDS_RO)) {
        PyErr_Clear();
        raise_error(PyExc_TypeError, std::string(what) +
                                         " must be a buffer (bytes, bytearray, array.array, NumPy "
                                         "array, an object with __dlpack__ or "
                                         "__cuda_array_interface__, ...), not " +
                                         type_name_of(obj));
    }
    if ((flags & PyBUF_WRITABLE) && probe.view().readonly)  // BufferError, as CPython's
        raise_error(PyExc_BufferError, std::string(what) + " of type " + type_name_of(obj) +
                                           " is read-only; pass a writable buffer");
    raise_error(PyExc_ValueError, std::string(what) + " is not contiguous" + layout_hint);
}

SpecParts split_spec(nb::handle spec, bool list_is_pair) {
    SpecParts p;
    p.buf = spec;
    p.listed = PyList_Check(spec.ptr()) || PyTuple_Check(spec.ptr());
    if (!p.listed) return p;
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(spec.ptr());
    if (n < 2 || n > 4)
        spec_error(PyExc_ValueError, "expecting a buffer or a list/tuple of 2 to 4 items, got " +
                                         std::to_string(n) + " items");
    PyObject **items = PySequence_Fast_ITEMS(spec.ptr());
    p.buf = items[0];
    nb::handle second = items[1];
    if (n == 4) {
        p.counts = second;
        p.displs = items[2];
        p.type = items[3];
        return p;
    }
    if (n == 3) p.type = items[2];
    const bool pair = PyTuple_Check(second.ptr()) || (list_is_pair && PyList_Check(second.ptr()));
    if (PyLong_Check(second.ptr())) {
        p.counts = second;
    } else if (n == 2 && is_datatype_spec(second)) {
        p.type = second;
    } else if (pair) {
        if (PySequence_Fast_GET_SIZE(second.ptr()) != 2)
            spec_error(PyExc_ValueError, "expecting a (count, displacement) pair");
        p.counts = PySequence_Fast_ITEMS(second.ptr())[0];
        p.displs = PySequence_Fast_ITEMS(second.ptr())[1];
    } else {
        p.counts = second;  // any other count: None, a NumPy integer, a sequence of them...
    }
    return p;
}

namespace {

// The cold ends of parse_message, out of its way.
[[noreturn]] void no_datatype_for(const char *format) {
    const char order = format[0];
    const bool swapped =
        std::endian::native == std::endian::little ? order == '>' || order == '!' : order == '<';
    spec_error(swapped ? PyExc_BufferError : PyExc_KeyError,
               std::string("cannot infer an MPI datatype from buffer format '") + format + "'" +
                   (swapped ? " (non-native byte order)" : "; pass [buf, count, datatype]"));
}
[[noreturn]] void beyond_buffer(MPI_Count count, const char *per_block, MPI_Count displ,
                                MPI_Count available) {
    spec_error(PyExc_ValueError, "count " + std::to_string(count) +
                                     (per_block ? std::string(" per ") + per_block : "") +
                                     " and displacement " + std::to_string(displ) +
                                     " exceed the buffer's " + std::to_string(available) +
                                     " items");
}

}  // namespace

// "processes", "partitions": what blocks stand for, in the plural.
static std::string plural(const char *block) {
    const std::string s = block;
    return s + (!s.empty() && s.back() == 's' ? "es" : "s");
}

void parse_message(nb::handle spec, Access access, MessageBuffer &out, int blocks,
                   const char *block) {
    nb::handle buf = spec, count_obj, displ_obj, type_obj;  // absent unless given
    const bool listed = PyList_Check(spec.ptr()) || PyTuple_Check(spec.ptr());
    if (listed) {
        const SpecParts parts = split_spec(spec, true);  // None count/displacement: absent
        buf = parts.buf;
        type_obj = parts.type;
        if (parts.counts.is_valid() && !parts.counts.is_none()) count_obj = parts.counts;
        if (parts.displs.is_valid() && !parts.displs.is_none()) displ_obj = parts.displs;
    }

    MPI_Datatype type = MPI_DATATYPE_NULL;
    if (type_obj.is_valid() && !type_obj.is_none()) type = to_datatype(type_obj);
    MPI_Count count = count_obj.is_valid() ? to_count(count_obj, "count") : -1;
    MPI_Count displ = displ_obj.is_valid() ? to_count(displ_obj, "displacement") : 0;

    out.pinned.release();
    if (is_bottom(buf)) {  // absolute addresses (or nothing): the datatype says everything
        if (!listed) spec_error(PyExc_TypeError, "expecting a buffer or a list/tuple, not None");
        if (type == MPI_DATATYPE_NULL)
            spec_error(PyExc_TypeError, "a datatype is required with BOTTOM or None");
        if (buf.is_none() && count > 0)
            spec_error(PyExc_ValueError, "buffer is None but count is " + std::to_string(count) +
                                             " (use MPI.BOTTOM for absolute addresses)");
        require_absolute(type, count);
        out.addr = MPI_BOTTOM;
        out.count = count < 0 ? 0 : count;
        out.type = type;
        return;
    }

    // Contiguous memory is required unless an explicit datatype describes the layout.
    const int writable = access == Access::write ? PyBUF_WRITABLE : 0;
    const int flags = (type == MPI_DATATYPE_NULL ? PyBUF_FORMAT | PyBUF_ANY_CONTIGUOUS
                                                 : PyBUF_FORMAT | PyBUF_STRIDES) |
                      writable;
    pin_buffer(out.pinned, buf, flags, "message: buffer",
               "; pass an explicit datatype that describes its layout, as [buf, count, datatype]");
    const Py_buffer &view = out.pinned.view();

    // Block collectives divide an inferred count among `blocks` processes; a given count is
    // per process. Either way the buffer must hold `blocks` of them (none for no process:
    // a neighbourhood without neighbours).
    const MPI_Count per = blocks > 1 ? blocks : 1;
    auto divide = [per, block](MPI_Count total) {
        if (per == 1) return total;  // no division on the point-to-point path
        if (total % per != 0)
            spec_error(PyExc_ValueError, "cannot infer a count: " + std::to_string(total) +
                                             " items do not divide among " + std::to_string(per) +
                                             " " + plural(block));
        return total / per;
    };

    if (type == MPI_DATATYPE_NULL) {
        type = datatype_for_format(view.format);  // a null format is bytes
        if (type == MPI_DATATYPE_NULL) [[unlikely]]
            no_datatype_for(view.format);
        const Py_ssize_t itemsize = view.itemsize > 0 ? view.itemsize : 1;
        const MPI_Count available = view.len / itemsize;
        if (count < 0) count = divide(available - (displ <= available ? displ : available));
        if (displ + count * blocks > available) [[unlikely]]
            beyond_buffer(count, per > 1 ? block : nullptr, displ, available);
        out.addr = static_cast<char *>(view.buf) + displ * itemsize;
        out.count = count;
        out.type = type;
        return;
    }

    // A strided buffer needs a derived datatype that describes its layout: with a predefined
    // one, MPI would read or write the gaps between the items.
    if (!PyBuffer_IsContiguous(&view, 'A') && is_predefined(type))
        spec_error(PyExc_ValueError,
                   "buffer is not contiguous and a predefined datatype cannot describe its "
                   "layout; pass a contiguous buffer or a derived datatype");
    MPI_Count lb = 0, extent = 0, true_lb = 0, true_extent = 0;
    check(MPI_Type_get_extent_x(type, &lb, &extent));
    check(MPI_Type_get_true_extent_x(type, &true_lb, &true_extent));
    Py_ssize_t lo = 0, hi = 0;
    span_of(view, lo, hi);
    if ((count < 0 || displ > 0) && extent <= 0)
        spec_error(PyExc_ValueError, "datatype extent " + std::to_string(extent) +
                                         " is not positive: give a count and no displacement");
    const MPI_Count offset = displ * extent;
    if (offset > hi)
        spec_error(PyExc_ValueError, "displacement " + std::to_string(displ) +
                                         " is beyond the buffer's " + std::to_string(hi) +
                                         " bytes");
    if (count < 0) {  // as many whole datatype entries as the buffer holds
        const MPI_Count bytes = hi - offset;
        if (bytes % extent != 0)
            spec_error(PyExc_ValueError, "buffer length " + std::to_string(hi) +
                                             " is not a multiple of the datatype extent " +
                                             std::to_string(extent));
        count = divide(bytes / extent);
    }
    if (count * blocks > 0) {
        const MPI_Count first = offset + true_lb;
        const MPI_Count last = offset + (count * blocks - 1) * extent + true_lb + true_extent;
        if (first < lo || last > hi)
            spec_error(PyExc_ValueError,
                       "count " + std::to_string(count) +
                           (per > 1 ? std::string(" per ") + block : std::string()) +
                           " and displacement " + std::to_string(displ) +
                           " of the datatype reach bytes [" + std::to_string(first) + ", " +
                           std::to_string(last) + "), outside the buffer's [" + std::to_string(lo) +
                           ", " + std::to_string(hi) + ")");
    }
    out.addr = static_cast<char *>(view.buf) + offset;
    out.count = count;
    out.type = type;
}

#if !MPIPY_HAVE_LARGE_COUNT
CallCount::CallCount(MPI_Count n, MPI_Datatype t) : count(static_cast<int>(n)), type(t) {
    if (n <= INT_MAX) return;
    const MPI_Count chunk = MPI_Count(1) << 30;
    const MPI_Count chunks = n / chunk, rest = n % chunk;
    MPI_Datatype chunk_type = MPI_DATATYPE_NULL;
    check(MPI_Type_contiguous(static_cast<int>(chunk), t, &chunk_type));
    MPI_Aint lb = 0, extent = 0;
    check(MPI_Type_get_extent(t, &lb, &extent));
    int blocklengths[2] = {static_cast<int>(chunks), static_cast<int>(rest)};
    MPI_Aint displacements[2] = {0, static_cast<MPI_Aint>(chunks * chunk * extent)};
    MPI_Datatype types[2] = {chunk_type, t};
    int rc = MPI_Type_create_struct(rest ? 2 : 1, blocklengths, displacements, types, &owned_);
    MPI_Type_free(&chunk_type);
    check(rc);
    check(MPI_Type_commit(&owned_));
    count = 1;
    type = owned_;
}
CallCount::~CallCount() {
    if (owned_ != MPI_DATATYPE_NULL) MPI_Type_free(&owned_);
}
#endif

MPI_Count status_elements(const MPI_Status &status, MPI_Datatype type) {
    MPI_Count n = 0;
    check(MPI_Get_elements_x(&status, type, &n));
    return n;
}

MPI_Count status_count(const MPI_Status &status, MPI_Datatype type) {
#if MPIPY_HAVE_LARGE_COUNT
    MPI_Count n = 0;
    check(MPI_Get_count_c(&status, type, &n));
    return n;
#else
    int n = 0;
    check(MPI_Get_count(&status, type, &n));
    if (n != MPI_UNDEFINED) return n;
    // Beyond INT_MAX (or a partial datatype): count whole entries from the byte count.
    MPI_Count bytes = status_elements(status, MPI_BYTE), size = 0;
    check(MPI_Type_size_x(type, &size));
    return (size > 0 && bytes % size == 0) ? bytes / size : MPI_UNDEFINED;
#endif
}

// BOTTOM, IN_PLACE and BUFFER_AUTOMATIC are ints (the address of the C constant, so they
// compare and hash as that int) of classes of their own: calling the class gives the one
// object back, the object exports an empty buffer at that address (memoryview(BOTTOM) works,
// Get_address(IN_PLACE) == IN_PLACE), refuses arithmetic and pickles by name. nanobind has no
// int subclasses, so these are heap types made from a spec.
PyObject *address_constants[3] = {nullptr, nullptr, nullptr};

namespace {

struct ConstantInfo {
    const char *name;
    void *address;
};
const ConstantInfo constant_info[3] = {
    {"BOTTOM", MPI_BOTTOM},
    {"IN_PLACE", MPI_IN_PLACE},
#ifdef MPI_BUFFER_AUTOMATIC
    {"BUFFER_AUTOMATIC", MPI_BUFFER_AUTOMATIC},
#else
    {"BUFFER_AUTOMATIC", nullptr},
#endif
};

int constant_index(PyObject *self_or_type) {
    PyTypeObject *type = PyType_Check(self_or_type) ? reinterpret_cast<PyTypeObject *>(self_or_type)
                                                    : Py_TYPE(self_or_type);
    for (int i = 0; i < 3; ++i)
        if (address_constants[i] && Py_TYPE(address_constants[i]) == type) return i;
    return 0;
}

PyObject *constant_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    if (PyTuple_GET_SIZE(args) != 0 || (kwargs && PyDict_GET_SIZE(kwargs) != 0)) {
        PyErr_Format(PyExc_TypeError, "%s() takes no arguments", type->tp_name);
        return nullptr;
    }
    return Py_NewRef(address_constants[constant_index(reinterpret_cast<PyObject *>(type))]);
}
PyObject *constant_repr(PyObject *self) {
    return PyUnicode_FromString(constant_info[constant_index(self)].name);
}
PyObject *constant_reduce(PyObject *self, PyObject *) { return constant_repr(self); }
int constant_getbuffer(PyObject *self, Py_buffer *view, int flags) {
    return PyBuffer_FillInfo(view, nullptr, constant_info[constant_index(self)].address, 0, 0,
                             flags);
}
// Raised, not NotImplemented: int's own operator would then take the other side.
PyObject *not_arithmetic(PyObject *a, PyObject *b) {
    PyErr_Format(PyExc_TypeError, "unsupported operand type(s): '%.100s' and '%.100s'",
                 Py_TYPE(a)->tp_name, Py_TYPE(b)->tp_name);
    return nullptr;
}
PyObject *not_power(PyObject *a, PyObject *b, PyObject *) { return not_arithmetic(a, b); }

PyMethodDef constant_methods[] = {
    {"__reduce__", constant_reduce, METH_NOARGS, "Pickled by name."},
    {nullptr, nullptr, 0, nullptr},
};

}  // namespace

void bind_buffer_constants(nb::module_ &m) {
    static const char *const type_names[3] = {"mpipy.MPI.BottomType", "mpipy.MPI.InPlaceType",
                                              "mpipy.MPI.BufferAutomaticType"};
    static const char *const docs[3] = {"Type of BOTTOM.", "Type of IN_PLACE.",
                                        "Type of BUFFER_AUTOMATIC."};
    for (int i = 0; i < 3; ++i) {
        // Arithmetic on an address constant is a mistake: every binary operator refuses.
        PyType_Slot slots[] = {
            {Py_tp_doc, const_cast<char *>(docs[i])},
            {Py_tp_new, reinterpret_cast<void *>(constant_new)},
            {Py_tp_repr, reinterpret_cast<void *>(constant_repr)},
            {Py_tp_str, reinterpret_cast<void *>(constant_repr)},
            {Py_tp_methods, constant_methods},
            {Py_bf_getbuffer, reinterpret_cast<void *>(constant_getbuffer)},
            {Py_nb_add, reinterpret_cast<void *>(not_arithmetic)},
            {Py_nb_subtract, reinterpret_cast<void *>(not_arithmetic)},
            {Py_nb_multiply, reinterpret_cast<void *>(not_arithmetic)},
            {Py_nb_remainder, reinterpret_cast<void *>(not_arithmetic)},
            {Py_nb_divmod, reinterpret_cast<void *>(not_arithmetic)},
            {Py_nb_power, reinterpret_cast<void *>(not_power)},
            {Py_nb_lshift, reinterpret_cast<void *>(not_arithmetic)},
            {Py_nb_rshift, reinterpret_cast<void *>(not_arithmetic)},
            {Py_nb_and, reinterpret_cast<void *>(not_arithmetic)},
            {Py_nb_xor, reinterpret_cast<void *>(not_arithmetic)},
            {Py_nb_or, reinterpret_cast<void *>(not_arithmetic)},
            {Py_nb_floor_divide, reinterpret_cast<void *>(not_arithmetic)},
            {Py_nb_true_divide, reinterpret_cast<void *>(not_arithmetic)},
            {0, nullptr},
        };
        PyType_Spec spec = {type_names[i], 0, 0, Py_TPFLAGS_DEFAULT, slots};
        nb::object type =
            nb::steal(PyType_FromSpecWithBases(&spec, reinterpret_cast<PyObject *>(&PyLong_Type)));
        if (!type) throw nb::python_error();
        const std::intptr_t value = reinterpret_cast<std::intptr_t>(constant_info[i].address);
        // The one instance, made by int's own constructor (the class's gives it back).
        nb::object args = nb::make_tuple(value);
        PyObject *instance =
            PyLong_Type.tp_new(reinterpret_cast<PyTypeObject *>(type.ptr()), args.ptr(), nullptr);
        if (!instance) throw nb::python_error();
        address_constants[i] = instance;  // lives as long as the process
        m.attr(type_names[i] + 10 /* past "mpipy.MPI." */) = type;
        m.attr(constant_info[i].name) = nb::handle(address_constants[i]);
    }
}

void parse_p2p(nb::handle spec, Access access, int peer, MessageBuffer &out) {
    if (peer == MPI_PROC_NULL) {  // nothing moves: whatever the spec, MPI gets no buffer
        out.addr = nullptr;
        out.count = 0;
        out.type = MPI_BYTE;
        return;
    }
    parse_message(spec, access, out);
}

// ---------------------------------------------------------------------------------------------
// RMA specs.

void parse_rma_origin(nb::handle spec, Access access, int rank, MessageBuffer &out) {
    parse_p2p(spec, access, rank, out);
    if (rank != MPI_PROC_NULL) return;
    if (!PyList_Check(spec.ptr()) && !PyTuple_Check(spec.ptr())) return;
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(spec.ptr());
    if (n == 0) return;
    nb::handle last = PySequence_Fast_ITEMS(spec.ptr())[n - 1];
    if (isinstance_cached<Datatype>(last) || PyUnicode_Check(last.ptr()))
        out.type = to_datatype(last);
}

void parse_rma_target(nb::handle spec, const MessageBuffer &origin, RmaTarget &out) {
    out.disp = 0;
    out.count = origin.count;
    out.type = origin.type;
    if (spec.is_none()) return;
    auto displacement = [](nb::handle obj) {
        static_assert(sizeof(MPI_Aint) == sizeof(long long));
        return static_cast<MPI_Aint>(index_arg(obj, "target displacement"));
    };
    if (PyList_Check(spec.ptr()) || PyTuple_Check(spec.ptr())) {
        const Py_ssize_t n = PySequence_Fast_GET_SIZE(spec.ptr());
        if (n > 3) spec_error(PyExc_ValueError, "target: expecting 3 items at most");
        PyObject **items = PySequence_Fast_ITEMS(spec.ptr());
        if (n >= 1) out.disp = displacement(items[0]);
        if (n >= 2) out.count = to_count(items[1], "target count");
        if (n >= 3) out.type = to_datatype(items[2]);
        return;
    }
    if (!PyLong_Check(spec.ptr()) && !PyIndex_Check(spec.ptr()))
        spec_error(PyExc_ValueError,
                   "target: expecting an integer or a list/tuple, not " + type_name_of(spec));
    out.disp = displacement(spec);
}

// ---------------------------------------------------------------------------------------------
// Collective specs.

count_t to_count_t(MPI_Count n) {
#if !MPIPY_HAVE_LARGE_COUNT
    if (n > INT_MAX)
        throw nb::value_error("count beyond 2**31-1 in a collective needs an MPI with MPI-4 "
                              "large-count functions");
#endif
    return static_cast<count_t>(n);
}

namespace {

// IN_PLACE where MPI allows it, where None means IN_PLACE too (as in mpi4py).
bool in_place(nb::handle spec, bool in_place_ok) {
    if (is_in_place(spec)) {
        if (!in_place_ok) throw nb::value_error("IN_PLACE is not allowed for this buffer here");
        return true;
    }
    return in_place_ok && spec.is_none();
}

}  // namespace

// Plain spec; None is an empty buffer, IN_PLACE is MPI_IN_PLACE where allowed. With `blocks`
// (block collectives) an inferred count is divided among that many processes.
void parse_plain(nb::handle spec, Access access, CollSide &side, bool in_place_ok, int blocks) {
    if (in_place(spec, in_place_ok)) {
        side.buf.addr = MPI_IN_PLACE;
        side.buf.count = 0;
        side.buf.type = MPI_DATATYPE_NULL;
    } else if (spec.is_none()) {
        side.buf.addr = nullptr;
        side.buf.count = 0;
        side.buf.type = MPI_BYTE;
    } else {
        parse_message(spec, access, side.buf, blocks);
    }
    side.count = to_count_t(side.buf.count);
}

// A spec holding one block per process (Gather's receive buffer, Scatter's send buffer, ...):
// a count given in it is per process, an inferred one is the buffer's divided among n.
void parse_block(nb::handle spec, Access access, CollSide &side, bool in_place_ok, int n) {
    parse_plain(spec, access, side, in_place_ok, n);
}

namespace {

bool is_list_or_tuple(nb::handle obj) {
    return PyList_Check(obj.ptr()) || PyTuple_Check(obj.ptr());
}

// One integer standing for every process, as opposed to a sequence of them: an integral
// object that has no length (NumPy integers and zero-dimensional integer arrays included).
bool is_integral(nb::handle obj) {
    PyObject *o = obj.ptr();
    if (PyLong_Check(o)) return true;
    if (!PyIndex_Check(o)) return false;
    if (PySequence_Check(o)) {
        if (PySequence_Size(o) >= 0) return false;
        PyErr_Clear();
    }
    PyObject *index = PyNumber_Index(o);
    if (!index) {
        PyErr_Clear();
        return false;
    }
    Py_DECREF(index);
    return true;
}

// Whether `count` items of `type` at byte offset `at` lie within the side's buffer. Only
// checked for a pinned contiguous buffer: BOTTOM has absolute addresses, and a strided buffer's
// derived datatype reaches where its author says.
struct Bounds {
    MPI_Count bytes = -1;  // -1: unchecked
    explicit Bounds(const MessageBuffer &buf) {
        if (!buf.pinned.empty() && PyBuffer_IsContiguous(&buf.pinned.view(), 'A'))
            bytes = buf.pinned.view().len;
    }
    void check(MPI_Datatype type, MPI_Count count, MPI_Count at) const {
        if (bytes < 0 || count == 0) return;
        MPI_Count lb = 0, extent = 0, true_lb = 0, true_extent = 0;
        mpipy::check(MPI_Type_get_extent_x(type, &lb, &extent));
        mpipy::check(MPI_Type_get_true_extent_x(type, &true_lb, &true_extent));
        const MPI_Count first = at + true_lb,
                        last = at + (count - 1) * extent + true_lb + true_extent;
        if (first < 0 || last > bytes)
            spec_error(PyExc_ValueError, std::to_string(count) + " items at byte " +
                                             std::to_string(at) + " reach bytes [" +
                                             std::to_string(first) + ", " + std::to_string(last) +
                                             "), outside the buffer's " + std::to_string(bytes));
    }
};

MPI_Count extent_of(MPI_Datatype type) {
    MPI_Count lb = 0, extent = 0;
    check(MPI_Type_get_extent_x(type, &lb, &extent));
    return extent;
}

void store_counts(CollSide &side, const std::vector<MPI_Count> &counts) {
    for (MPI_Count c : counts) side.counts.push_back(to_count_t(c));
}

}  // namespace

// n integers: one integer for all, or a sequence (list, tuple, NumPy array, ...) of n.
std::vector<MPI_Count> integers(nb::handle obj, int n, const char *what) {
    std::vector<MPI_Count> out;
    if (is_integral(obj)) {
        out.assign(static_cast<size_t>(n), index_arg(obj, what));
        return out;
    }
    nb::object seq = nb::steal(PySequence_Fast(obj.ptr(), ""));
    if (!seq.is_valid()) {
        PyErr_Clear();
        spec_error(PyExc_TypeError, std::string(what) + " must be an integer or a sequence, not " +
                                        nb::type_name(obj.type()).c_str());
    }
    const Py_ssize_t len = PySequence_Fast_GET_SIZE(seq.ptr());
    if (len != n)
        spec_error(PyExc_ValueError,
                   "expecting " + std::to_string(n) + " " + what + ", got " + std::to_string(len));
    for (Py_ssize_t i = 0; i < len; ++i)
        out.push_back(index_arg(PySequence_Fast_GET_ITEM(seq.ptr(), i), what));
    return out;
}

void check_counts(const std::vector<MPI_Count> &counts) {
    for (MPI_Count c : counts)
        if (c < 0) spec_error(PyExc_ValueError, "negative count " + std::to_string(c));
}

// Vector spec, one block per process: buf, [buf, datatype], [buf, counts],
// [buf, (counts, displs)], [buf, counts, datatype], [buf, (counts, displs), datatype],
// [buf, counts, displs, datatype]. Counts and displacements (in datatype extents) are one
// integer for all processes or a sequence of n; None counts split the buffer as evenly as
// possible, None displacements pack the blocks, one integer d places block i at d * i.
void parse_vector(nb::handle spec, Access access, CollSide &side, bool in_place_ok, int n) {
    if (in_place(spec, in_place_ok)) {
        parse_plain(spec, access, side, in_place_ok);
        return;
    }
    const SpecParts parts = split_spec(spec, false);  // a list in second place: the counts
    nb::handle buf = parts.buf, counts_obj = parts.counts, displs_obj = parts.displs,
               type_obj = parts.type;
    if (!parts.listed && spec.is_none())
        spec_error(PyExc_TypeError, "expecting a buffer or a list/tuple, not None");
    // The buffer's address and datatype; each block has its count.
    parse_message(nb::make_tuple(buf, 0, type_obj.is_valid() ? type_obj : nb::none()), access,
                  side.buf);
    const Bounds bounds(side.buf);

    std::vector<MPI_Count> counts, displs;
    if (counts_obj.is_valid() && !counts_obj.is_none()) {
        counts = integers(counts_obj, n, "counts");
        check_counts(counts);
    } else {  // the buffer's items, spread over the processes as evenly as possible
        MPI_Count items = 0;
        if (!side.buf.pinned.empty() && side.buf.pinned.view().len > 0) {
            const MPI_Count bytes = side.buf.pinned.view().len, extent = extent_of(side.buf.type);
            if (extent <= 0 || bytes % extent != 0)
                spec_error(PyExc_ValueError, "cannot infer counts: buffer length " +
                                                 std::to_string(bytes) +
                                                 " is not a multiple of the datatype extent " +
                                                 std::to_string(extent));
            items = bytes / extent;
        }
        for (int i = 0; i < n; ++i) counts.push_back(items / n + (items % n > i ? 1 : 0));
    }
    if (!displs_obj.is_valid() || displs_obj.is_none()) {  // packed
        MPI_Count at = 0;
        for (MPI_Count c : counts) {
            displs.push_back(at);
            at += c;
        }
    } else if (is_integral(displs_obj)) {  // a stride
        const MPI_Count stride = index_arg(displs_obj, "displacements");
        for (int i = 0; i < n; ++i) displs.push_back(stride * i);
    } else {
        displs = integers(displs_obj, n, "displacements");
    }
    if (bounds.bytes >= 0) {
        const MPI_Count extent = extent_of(side.buf.type);
        for (int i = 0; i < n; ++i) bounds.check(side.buf.type, counts[i], displs[i] * extent);
    } else if (side.buf.addr == MPI_BOTTOM && side.buf.pinned.empty()) {
        const MPI_Count extent = extent_of(side.buf.type);
        for (int i = 0; i < n; ++i) require_absolute(side.buf.type, counts[i], displs[i] * extent);
    }
    store_counts(side, counts);
    store_displs(side, displs);
}

// Alltoallw's spec, with a datatype per process and displacements in bytes:
// [buf, datatypes], [buf, (counts, displs), datatypes], [buf, counts, displs, datatypes].
// Without counts and displacements each process gets one item at offset 0 (datatypes that
// carry their own layout, as with BOTTOM); counts without displacements pack the blocks.
void parse_vector_w(nb::handle spec, Access access, CollSide &side, bool in_place_ok, int n) {
    if (in_place(spec, in_place_ok)) {
        parse_plain(spec, access, side, in_place_ok);
        return;
    }
    if (!is_list_or_tuple(spec))
        spec_error(PyExc_TypeError, "expecting [buf, counts, displs, datatypes], not " +
                                        std::string(nb::type_name(spec.type()).c_str()));
    const Py_ssize_t len = PySequence_Fast_GET_SIZE(spec.ptr());
    PyObject **items = PySequence_Fast_ITEMS(spec.ptr());
    nb::handle buf = len ? items[0] : nullptr, counts_obj, displs_obj, types_obj;
    if (len == 2) {
        types_obj = items[1];
    } else if (len == 3) {
        if (!is_list_or_tuple(items[1]) || PySequence_Fast_GET_SIZE(items[1]) != 2)
            spec_error(PyExc_ValueError, "expecting [buf, (counts, displs), datatypes]");
        counts_obj = PySequence_Fast_ITEMS(items[1])[0];
        displs_obj = PySequence_Fast_ITEMS(items[1])[1];
        types_obj = items[2];
    } else if (len == 4) {
        counts_obj = items[1];
        displs_obj = items[2];
        types_obj = items[3];
    } else {
        spec_error(PyExc_ValueError,
                   "expecting a list/tuple of 2 to 4 items, got " + std::to_string(len) + " items");
    }
    const bool no_counts = !counts_obj.is_valid() || counts_obj.is_none();
    const bool no_displs = !displs_obj.is_valid() || displs_obj.is_none();

    std::vector<MPI_Datatype> types;
    if (isinstance_cached<Datatype>(types_obj)) {  // one for all
        types.assign(static_cast<size_t>(n), nb::inst_ptr<Datatype>(types_obj)->get());
    } else {
        nb::object seq = nb::steal(PySequence_Fast(types_obj.ptr(), ""));
        if (!seq.is_valid()) {
            PyErr_Clear();
            spec_error(PyExc_TypeError, "expecting a sequence of datatypes");
        }
        const Py_ssize_t m = PySequence_Fast_GET_SIZE(seq.ptr());
        if (m != n)
            spec_error(PyExc_ValueError,
                       "expecting " + std::to_string(n) + " datatypes, got " + std::to_string(m));
        for (Py_ssize_t i = 0; i < m; ++i) {
            nb::handle t = PySequence_Fast_GET_ITEM(seq.ptr(), i);
            if (!isinstance_cached<Datatype>(t))
                spec_error(PyExc_TypeError, std::string("expecting an MPI.Datatype, not ") +
                                                nb::type_name(t.type()).c_str());
            types.push_back(nb::inst_ptr<Datatype>(t)->get());
        }
    }

    if (buf.is_none() || is_bottom_constant(buf)) {  // absolute addresses in datatypes
        if (no_counts) spec_error(PyExc_ValueError, "BOTTOM requires counts");
        if (no_displs) spec_error(PyExc_ValueError, "BOTTOM requires displacements");
        side.buf.pinned.release();
        side.buf.addr = MPI_BOTTOM;
    } else {
        static nb::handle bytes_code = PyUnicode_InternFromString("B");
        parse_message(nb::make_tuple(buf, 0, bytes_code), access, side.buf);
    }
    const Bounds bounds(side.buf);

    std::vector<MPI_Count> counts, displs;
    if (no_counts && no_displs) {
        counts.assign(static_cast<size_t>(n), 1);
        displs.assign(static_cast<size_t>(n), 0);
    } else {
        if (no_counts) spec_error(PyExc_TypeError, "displacements need counts");
        counts = integers(counts_obj, n, "counts");
        check_counts(counts);
        if (no_displs) {  // packed, each block after the previous one
            MPI_Count at = 0;
            for (int i = 0; i < n; ++i) {
                displs.push_back(at);
                at += counts[i] * extent_of(types[i]);
            }
        } else {
            displs = integers(displs_obj, n, "displacements");
        }
    }
    for (int i = 0; i < n; ++i) {
        bounds.check(types[i], counts[i], displs[i]);
        if (side.buf.pinned.empty()) require_absolute(types[i], counts[i], displs[i]);  // BOTTOM
    }
    side.types = std::move(types);
    store_counts(side, counts);
    side.byte_displs.assign(displs.begin(), displs.end());
}

}  // namespace mpipy

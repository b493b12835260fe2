// Message buffers: the one parser that turns a Python buffer argument ("buffer spec") into
// address, count and datatype, keeping the exporter's memory pinned while MPI uses it.
#pragma once

#include "core.hpp"

#include <climits>
#include <utility>
#include <vector>

namespace mpipy {

// DLPack device types (dlpack.h) that matter here: where a buffer's memory lives.
enum DeviceType : int {
    kHostBuffer = 0,  // a buffer-protocol export
    kDLCPU = 1,
    kDLCUDA = 2,
    kDLCUDAHost = 3,
    kDLROCMHost = 11,
    kDLCUDAManaged = 13,
};

// Whether the CPU may read and write memory of this device type.
inline bool cpu_accessible(int device) {
    return device == kHostBuffer || device == kDLCPU || device == kDLCUDAHost ||
           device == kDLROCMHost || device == kDLCUDAManaged;
}

// A buffer export, released when this goes away. Move-only. The memory comes from the
// buffer protocol or, for objects without it, from DLPack (`__dlpack__`) or the CUDA array
// interface (`__cuda_array_interface__`): then the view is one contiguous run of bytes whose
// `obj` is what keeps the memory alive (the DLPack capsule, or the exporter itself).
class PinnedBuffer {
  public:
    PinnedBuffer() { view_.obj = nullptr; }
    PinnedBuffer(const PinnedBuffer &) = delete;
    PinnedBuffer &operator=(const PinnedBuffer &) = delete;
    PinnedBuffer(PinnedBuffer &&other) noexcept { take(other); }
    PinnedBuffer &operator=(PinnedBuffer &&other) noexcept {
        if (this != &other) {
            release();
            take(other);
        }
        return *this;
    }
    ~PinnedBuffer() { release(); }

    // Export obj's memory with `flags` (PyBUF_*). False, with a Python error set, when obj
    // exports nothing or cannot meet the flags through the buffer protocol; a malformed DLPack
    // or CUDA array interface export throws its own error (TypeError, KeyError, BufferError...).
    bool acquire(PyObject *obj, int flags) {
        release();
        if (Py_TYPE(obj) == ndarray_type && acquire_ndarray(obj, flags)) [[likely]]
            return true;
        const PyBufferProcs *procs = Py_TYPE(obj)->tp_as_buffer;  // PyObject_CheckBuffer, inline
        if (procs && procs->bf_getbuffer) [[likely]] {
            if (PyObject_GetBuffer(obj, &view_, flags) == 0) {
                if (!ndarray_type || Py_TYPE(obj) == ndarray_type) [[unlikely]]
                    learn_ndarray(obj, flags);
                return true;
            }
            view_.obj = nullptr;
            return false;
        }
        return acquire_array_interface(obj, flags);
    }
    // A foreign export's view owns a reference to its keeper and nothing else, which
    // PyBuffer_Release drops as it does for any exporter without a release slot.
    void release() {
        if (view_.obj) PyBuffer_Release(&view_);
        view_.obj = nullptr;
        device_ = kHostBuffer;
    }
    bool empty() const { return view_.obj == nullptr; }
    const Py_buffer &view() const { return view_; }
    int device() const { return device_; }

    // numpy.ndarray once an export of one has shown its layout is the one
    // acquire_ndarray reads (array_interfaces.cpp); null until then or if it is not.
    static inline PyTypeObject *ndarray_type = nullptr;

  private:
    // A NumPy array's buffer export costs ~700 instructions (NumPy builds and compares a
    // format description on each); a contiguous array of a plain number type is read from
    // its C struct instead. False when this array needs the full export.
    bool acquire_ndarray(PyObject *obj, int flags);
    void learn_ndarray(PyObject *obj, int flags);            // checks view_ against the struct
    bool acquire_array_interface(PyObject *obj, int flags);  // array_interfaces.cpp
    bool acquire_dlpack(PyObject *obj, nb::handle dlpack, int flags);
    bool acquire_cuda_array(PyObject *obj, nb::handle interface, int flags);
    void fill(PyObject *keeper, void *buf, Py_ssize_t len, Py_ssize_t itemsize, const char *format,
              bool readonly, int flags, int device);

    // Exporters may point a view's shape and strides at its own len and itemsize (CPython's
    // PyBuffer_FillInfo does): moving repoints them.
    void take(PinnedBuffer &other) {
        view_ = other.view_;
        device_ = other.device_;
        const Py_buffer &from = other.view_;
        if (view_.shape == &from.len) view_.shape = &view_.len;
        if (view_.strides == &from.itemsize) view_.strides = &view_.itemsize;
        other.view_.obj = nullptr;
        other.device_ = kHostBuffer;
    }

    Py_buffer view_;
    int device_ = kHostBuffer;
};

// Pin obj's memory with `flags` (PyBUF_*), or raise what says why not, naming the argument
// `what`: TypeError when obj exports no memory, BufferError when it is read-only where
// writing is asked, ValueError when its layout does not meet the flags (`layout_hint` is
// appended).
[[noreturn]] void pin_buffer_failed(nb::handle obj, int flags, const char *what,
                                    const char *layout_hint);
inline void pin_buffer(PinnedBuffer &pin, nb::handle obj, int flags, const char *what,
                       const char *layout_hint = "") {
    if (!pin.acquire(obj.ptr(), flags)) [[unlikely]]
        pin_buffer_failed(obj, flags, what, layout_hint);
}

// What the MPI call gets: address, count, datatype, plus the pinned export behind them.
struct MessageBuffer {
    void *addr = nullptr;
    MPI_Count count = 0;
    MPI_Datatype type = MPI_BYTE;
    PinnedBuffer pinned;
};

enum class Access { read, write };

// Parse a buffer spec: buf, [buf, datatype], [buf, count], [buf, (count, displ)],
// [buf, count, datatype], [buf, (count, displ), datatype], [buf, count, displ, datatype]
// (None for a count infers it, for a displacement means 0, for a datatype takes it from the
// buffer's format), with buf any buffer-protocol object, or None/BOTTOM with a datatype.
// `write` access requires a writable buffer. With `blocks` > 1 (block collectives, the
// partitions of a partitioned transfer), an inferred count is divided among that many blocks,
// a given count is per block; error messages call a block `block`.
// Raises TypeError/ValueError (KeyError for an unknown type code) on bad specs.
void parse_message(nb::handle spec, Access access, MessageBuffer &out, int blocks = 1,
                   const char *block = "process");

// BOTTOM with `count` items of a datatype holding no absolute address (at byte `offset`) is a
// null buffer: some MPIs fail on it (ERR_BUFFER), others (Open MPI's collectives and self
// copies) read page zero and crash, so it raises MPI.Exception (ERR_BUFFER) first. Page zero is
// never mapped; MPI_BOTTOM is address 0 in the MPIs mpipy supports.
void require_absolute(MPI_Datatype type, MPI_Count count, MPI_Count offset = 0);

// The parts of a buffer spec: buf, [buf, datatype], [buf, a], [buf, (a, b)], [buf, a, datatype],
// [buf, (a, b), datatype], [buf, a, b, datatype], where a is the count (counts, in vector
// specs) and b the displacement(s). A list in second place is an (a, b) pair only where
// `list_is_pair` (in a vector spec a list is the counts). ValueError for a list/tuple of other
// than 2 to 4 items. Absent parts are invalid handles; None parts are None.
struct SpecParts {
    nb::handle buf, counts, displs, type;
    bool listed = false;  // spec was a list/tuple
};
SpecParts split_spec(nb::handle spec, bool list_is_pair);

// MPI datatype for a buffer format string (datatype.cpp); MPI_DATATYPE_NULL if none.
MPI_Datatype datatype_for_format(const char *format);

// Counts as the MPI call takes them. With MPI-4 large-count functions, MPIPY_C(MPI_Send) is
// MPI_Send_c and counts pass through; otherwise counts beyond INT_MAX are described by a
// derived datatype (a struct of contiguous chunks plus a remainder) with count 1.
#if MPIPY_HAVE_LARGE_COUNT
#define MPIPY_C(fn) fn##_c
class CallCount {
  public:
    CallCount(MPI_Count count, MPI_Datatype type) : count(count), type(type) {}
    MPI_Count count;
    MPI_Datatype type;
};
#else
#define MPIPY_C(fn) fn
class CallCount {
  public:
    CallCount(MPI_Count count, MPI_Datatype type);
    CallCount(const CallCount &) = delete;
    CallCount &operator=(const CallCount &) = delete;
    ~CallCount();
    int count;
    MPI_Datatype type;

  private:
    MPI_Datatype owned_ = MPI_DATATYPE_NULL;
};
#endif

// A count reported by MPI (status counts) for the given datatype, large counts included.
MPI_Count status_count(const MPI_Status &status, MPI_Datatype type);
MPI_Count status_elements(const MPI_Status &status, MPI_Datatype type);

// A point-to-point message spec for a send to or receive from `peer`: with PROC_NULL nothing
// moves, so the spec is ignored (None or anything else), as in mpi4py.
void parse_p2p(nb::handle spec, Access access, int peer, MessageBuffer &out);

// An I/O spec (the buffer of a File read or write): the forms of a point-to-point spec, with no
// peer to ignore it. Reads from the file write into the buffer (Access::write).
inline void parse_io(nb::handle spec, Access access, MessageBuffer &out) {
    parse_message(spec, access, out);
}

// ---------------------------------------------------------------------------------------------
// RMA specs (one-sided operations of MPI.Win). The origin (and result, compare) buffers are
// point-to-point specs (parse_p2p with the target rank). The target spec says where in the
// target's window: None (displacement 0, the origin's count and datatype), an integer (the
// displacement), or a list/tuple of 1 to 3 items (disp[, count[, datatype]]), what is left out
// taken from the origin. TypeError/ValueError on malformed specs.
struct RmaTarget {
    MPI_Aint disp = 0;
    MPI_Count count = 0;
    MPI_Datatype type = MPI_BYTE;
};
void parse_rma_target(nb::handle spec, const MessageBuffer &origin, RmaTarget &out);

// The origin of an RMA call to `rank`: parse_p2p, but with PROC_NULL a datatype ending a
// list/tuple spec is still the origin's (MPI may look at it), as in mpi4py.
void parse_rma_origin(nb::handle spec, Access access, int rank, MessageBuffer &out);

// ---------------------------------------------------------------------------------------------
// Collective specs (the buffer arguments of collectives, vector and neighbourhood ones included).

// Count and displacement arrays as this MPI's vector collectives take them.
#if MPIPY_HAVE_LARGE_COUNT
using count_t = MPI_Count;
using displ_t = MPI_Aint;
#else
using count_t = int;
using displ_t = int;
#endif

// A count for a collective call; beyond int without large counts, a ValueError.
count_t to_count_t(MPI_Count n);

// A side of a collective (send or receive): the buffer, and for vector collectives the
// per-process counts, displacements and (Alltoallw) datatypes. Arrays stay alive with the
// request, as MPI requires for nonblocking collectives.
struct CollSide {
    MessageBuffer buf;
    count_t count = 0;
    std::vector<count_t> counts;
    std::vector<displ_t> displs;
    std::vector<MPI_Datatype> types;
    std::vector<MPI_Aint> byte_displs;  // Alltoallw's (absolute addresses with BOTTOM)
};

// Per-process integers: one integer for all n, or a sequence of n (counts, displacements); and
// a ValueError for a negative count among them.
std::vector<MPI_Count> integers(nb::handle obj, int n, const char *what);
void check_counts(const std::vector<MPI_Count> &counts);

// Displacements stored as this MPI's vector collectives take them.
template <class T> void store_displs(CollSide &side, const std::vector<T> &displs) {
    for (T d : displs) {
        if (sizeof(displ_t) == sizeof(int) && (d > INT_MAX || d < INT_MIN))
            throw nb::value_error("displacement beyond 2**31-1 needs MPI-4 large counts");
        side.displs.push_back(static_cast<displ_t>(d));
    }
}

// A plain spec; None is an empty buffer, IN_PLACE (or None where in_place_ok) is MPI_IN_PLACE
// where allowed. With `blocks` (block collectives) an inferred count is divided among that many
// processes.
void parse_plain(nb::handle spec, Access access, CollSide &side, bool in_place_ok, int blocks = 1);
// A spec holding one block per process (Gather's receive buffer, Scatter's send buffer, ...): a
// count given in it is per process, an inferred one is the buffer's divided among n.
void parse_block(nb::handle spec, Access access, CollSide &side, bool in_place_ok, int n);
// A vector spec (counts and displacements per process) and Alltoallw's (datatypes too).
void parse_vector(nb::handle spec, Access access, CollSide &side, bool in_place_ok, int n);
void parse_vector_w(nb::handle spec, Access access, CollSide &side, bool in_place_ok, int n);

// A per-process or per-neighbour array as MPI gets it: never null, since MPIs reject null
// arrays even for a process without neighbours (Open MPI for counts, MPICH for buffers).
template <class T> T *nonnull(std::vector<T> &v) {
    static T none{};
    return v.empty() ? &none : v.data();
}

}  // namespace mpipy

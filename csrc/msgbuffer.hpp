// Message buffers: the one parser that turns a Python buffer argument ("buffer spec") into
// address, count and datatype, keeping the exporter's memory pinned while MPI uses it.
#pragma once

#include "core.hpp"

#include <climits>
#include <utility>

namespace mpipy {

// A Py_buffer export, released when this goes away. Move-only.
class PinnedBuffer {
  public:
    PinnedBuffer() { view_.obj = nullptr; }
    PinnedBuffer(const PinnedBuffer &) = delete;
    PinnedBuffer &operator=(const PinnedBuffer &) = delete;
    PinnedBuffer(PinnedBuffer &&other) noexcept : view_(other.view_) { other.view_.obj = nullptr; }
    PinnedBuffer &operator=(PinnedBuffer &&other) noexcept {
        if (this != &other) {
            release();
            view_ = other.view_;
            other.view_.obj = nullptr;
        }
        return *this;
    }
    ~PinnedBuffer() { release(); }

    // Export obj's buffer with `flags`; false (and no Python error) when it has none.
    bool acquire(PyObject *obj, int flags) {
        release();
        if (PyObject_GetBuffer(obj, &view_, flags) == 0) return true;
        view_.obj = nullptr;
        return false;
    }
    void release() {
        if (view_.obj) PyBuffer_Release(&view_);
        view_.obj = nullptr;
    }
    bool empty() const { return view_.obj == nullptr; }
    const Py_buffer &view() const { return view_; }

  private:
    Py_buffer view_;
};

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
// `write` access requires a writable buffer. With `blocks` > 1 (block collectives), an
// inferred count is divided among that many processes, a given count is per process.
// Raises TypeError/ValueError (KeyError for an unknown type code) on bad specs.
void parse_message(nb::handle spec, Access access, MessageBuffer &out, int blocks = 1);

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

}  // namespace mpipy

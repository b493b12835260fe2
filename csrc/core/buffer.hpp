// MPI.buffer objects over memory: fresh allocations (huge-page backed when large, blocks
// reused) and views of memory another object owns (buffer.cpp).
#pragma once

#include "core.hpp"

namespace mpipy {

// A fresh MPI.buffer of n bytes and its address.
nb::object allocate_buffer(MPI_Count n, void **addr);

// An MPI.buffer over memory that `base` owns (kept alive as long as the buffer).
nb::object buffer_of(void *addr, Py_ssize_t size, bool readonly, nb::handle base);

// Whether obj is an MPI.buffer over no memory at all (address null: an empty window's memory),
// which exports a non-null address for the buffer protocol's sake but whose address is 0.
bool is_null_buffer(nb::handle obj);

}  // namespace mpipy

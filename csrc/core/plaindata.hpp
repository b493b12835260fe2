// Plain data as pickle streams, written and read without the pickle module: None, bool, int
// (64-bit), float, str, bytes, and tuples, lists and dicts of them. Most objects sent in
// messages are such data, and for them the pickle module's machinery (a Pickler, its memo,
// argument parsing) costs several times the MPI call; plaindata.cpp says what it writes.
#pragma once

#include "core.hpp"

namespace mpipy {

// The pickle stream of obj (`protocol` 4 or 5) as bytes, or an invalid object (and no Python
// error) when obj is not plain data: exact types only, a tree of at most 64 lists and dicts,
// none twice, nested at most 32 deep, ints within 64 bits. Any unpickler reads the stream.
nb::object plain_dumps(nb::handle obj, int protocol);

// The object of a stream as plain_dumps writes it, or an invalid object (and no Python error)
// for any other stream (the pickle module then reads it, and says what is wrong with it).
nb::object plain_loads(const char *data, size_t size);

}  // namespace mpipy

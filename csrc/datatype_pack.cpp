// Packing: Pack/Unpack (the MPI library's own format), Pack_external/Unpack_external (the
// portable "external32" format, big-endian), their size queries, and the address functions
// Get_address, Aint_add and Aint_diff. Every byte MPI would read or write is checked to lie
// inside the buffers before MPI is called.
#include "core/msgbuffer.hpp"
#include "core/buffer.hpp"
#include "core/objects.hpp"

#include <string>

namespace mpipy {

namespace {

// A contiguous buffer argument, pinned while MPI uses it.
struct Bytes {
    PinnedBuffer pinned;
    char *ptr = nullptr;
    MPI_Count len = 0;
};

void acquire(nb::handle obj, Access access, Bytes &out, const char *what) {
    const int flags = PyBUF_ANY_CONTIGUOUS | (access == Access::write ? PyBUF_WRITABLE : 0);
    pin_buffer(out.pinned, obj, flags, what);
    out.ptr = static_cast<char *>(out.pinned.view().buf);
    out.len = out.pinned.view().len;
}

// How many whole entries of t a buffer of len bytes holds (as mpi4py: len // extent), checked
// so that every byte those entries cover lies inside the buffer.
MPI_Count entries_in(MPI_Datatype t, MPI_Count len) {
    MPI_Count lb = 0, extent = 0, true_lb = 0, true_extent = 0;
    check(MPI_Type_get_extent_x(t, &lb, &extent));
    check(MPI_Type_get_true_extent_x(t, &true_lb, &true_extent));
    if (extent <= 0)
        raise_error(PyExc_ValueError,
                    "the datatype's extent " + std::to_string(extent) + " is not positive");
    const MPI_Count count = len / extent;
    if (count > 0 && true_extent > 0) {
        const MPI_Count first = true_lb, last = (count - 1) * extent + true_lb + true_extent;
        if (first < 0 || last > len)
            raise_error(PyExc_ValueError, "the datatype reaches bytes [" + std::to_string(first) +
                                              ", " + std::to_string(last) +
                                              "), outside the buffer's [0, " + std::to_string(len) +
                                              ")");
    }
    return count;
}

void check_datarep(const std::string &datarep) {
    if (datarep != "external32") throw MpiError{MPI_ERR_ARG};
}

// Packed bytes the given entries need, at most: position + need must fit the packed buffer.
void check_room(MPI_Count position, MPI_Count need, MPI_Count size, const char *what) {
    if (position < 0)
        raise_error(PyExc_ValueError, "negative position " + std::to_string(position));
    if (position > size || need > size - position)
        raise_error(PyExc_ValueError, std::string(what) + " of " + std::to_string(size) +
                                          " bytes is too small for " + std::to_string(need) +
                                          " packed bytes at position " + std::to_string(position));
}

#if !MPIPY_HAVE_LARGE_COUNT
// Without large-count functions, counts and sizes must fit an int.
int as_int(MPI_Count value) {
    if (value > INT_MAX) raise_error(PyExc_OverflowError, "count or size too large for this MPI");
    return static_cast<int>(value);
}
#endif

MPI_Count pack_size(MPI_Datatype t, MPI_Count count, MPI_Comm comm) {
    require_committed(t);
    if (count < 0) throw MpiError{MPI_ERR_COUNT};
#if MPIPY_HAVE_LARGE_COUNT
    MPI_Count size = 0;
    check(MPI_Pack_size_c(count, t, comm, &size));
#else
    int size = 0;
    check(MPI_Pack_size(as_int(count), t, comm, &size));
#endif
    return size;
}

MPI_Count pack_external_size(const std::string &datarep, MPI_Datatype t, MPI_Count count) {
    check_datarep(datarep);
    require_committed(t);
    if (count < 0) throw MpiError{MPI_ERR_COUNT};
#if MPIPY_HAVE_LARGE_COUNT
    MPI_Count size = 0;
    check(MPI_Pack_external_size_c(datarep.c_str(), count, t, &size));
#else
    MPI_Aint size = 0;
    check(MPI_Pack_external_size(datarep.c_str(), as_int(count), t, &size));
#endif
    return size;
}

// The buffers of a pack (inbuf holds entries of t, outbuf receives bytes) or an unpack (the
// other way round), and the count of entries the typed one holds. The packed one must have
// room from `position` for the packed_size(count) bytes the entries take.
struct PackBuffers {
    Bytes in, out;
    MPI_Count count = 0;
};

enum class Direction { pack, unpack };

template <class PackedSize>
PackBuffers pack_buffers(Direction direction, MPI_Datatype t, nb::handle inbuf, nb::handle outbuf,
                         MPI_Count position, PackedSize packed_size) {
    PackBuffers b;
    acquire(inbuf, Access::read, b.in, "inbuf");
    acquire(outbuf, Access::write, b.out, "outbuf");
    const bool packing = direction == Direction::pack;
    b.count = entries_in(t, packing ? b.in.len : b.out.len);
    check_room(position, packed_size(b.count), packing ? b.out.len : b.in.len,
               packing ? "outbuf" : "inbuf");
    return b;
}

MPI_Count pack(const Datatype &self, nb::handle inbuf, nb::handle outbuf, MPI_Count position,
               const Comm &comm) {
    MPI_Datatype t = self.get();
    MPI_Comm c = comm.get();
    auto [in, out, count] = pack_buffers(Direction::pack, t, inbuf, outbuf, position,
                                         [&](MPI_Count n) { return pack_size(t, n, c); });
    ReleaseGIL nogil;
#if MPIPY_HAVE_LARGE_COUNT
    check(MPI_Pack_c(in.ptr, count, t, out.ptr, out.len, &position, c));
    return position;
#else
    int pos = as_int(position);
    check(MPI_Pack(in.ptr, as_int(count), t, out.ptr, as_int(out.len), &pos, c));
    return pos;
#endif
}

MPI_Count unpack(const Datatype &self, nb::handle inbuf, MPI_Count position, nb::handle outbuf,
                 const Comm &comm) {
    MPI_Datatype t = self.get();
    MPI_Comm c = comm.get();
    auto [in, out, count] = pack_buffers(Direction::unpack, t, inbuf, outbuf, position,
                                         [&](MPI_Count n) { return pack_size(t, n, c); });
    ReleaseGIL nogil;
#if MPIPY_HAVE_LARGE_COUNT
    check(MPI_Unpack_c(in.ptr, in.len, &position, out.ptr, count, t, c));
    return position;
#else
    int pos = as_int(position);
    check(MPI_Unpack(in.ptr, as_int(in.len), &pos, out.ptr, as_int(count), t, c));
    return pos;
#endif
}

MPI_Count pack_external(const Datatype &self, const std::string &datarep, nb::handle inbuf,
                        nb::handle outbuf, MPI_Count position) {
    MPI_Datatype t = self.get();
    auto [in, out, count] =
        pack_buffers(Direction::pack, t, inbuf, outbuf, position,
                     [&](MPI_Count n) { return pack_external_size(datarep, t, n); });
    ReleaseGIL nogil;
#if MPIPY_HAVE_LARGE_COUNT
    check(MPI_Pack_external_c(datarep.c_str(), in.ptr, count, t, out.ptr, out.len, &position));
    return position;
#else
    MPI_Aint pos = static_cast<MPI_Aint>(position);
    check(MPI_Pack_external(datarep.c_str(), in.ptr, as_int(count), t, out.ptr,
                            static_cast<MPI_Aint>(out.len), &pos));
    return pos;
#endif
}

MPI_Count unpack_external(const Datatype &self, const std::string &datarep, nb::handle inbuf,
                          MPI_Count position, nb::handle outbuf) {
    MPI_Datatype t = self.get();
    auto [in, out, count] =
        pack_buffers(Direction::unpack, t, inbuf, outbuf, position,
                     [&](MPI_Count n) { return pack_external_size(datarep, t, n); });
    ReleaseGIL nogil;
#if MPIPY_HAVE_LARGE_COUNT
    check(MPI_Unpack_external_c(datarep.c_str(), in.ptr, in.len, &position, out.ptr, count, t));
    return position;
#else
    MPI_Aint pos = static_cast<MPI_Aint>(position);
    check(MPI_Unpack_external(datarep.c_str(), in.ptr, static_cast<MPI_Aint>(in.len), &pos, out.ptr,
                              as_int(count), t));
    return pos;
#endif
}

MPI_Aint get_address(nb::handle location) {
    require_active();
    void *ptr = MPI_BOTTOM;
    PinnedBuffer pinned;
    if (!location.is_none() && !is_bottom_constant(location) && !is_null_buffer(location)) {
        pin_buffer(pinned, location, PyBUF_STRIDES, "location");
        ptr = pinned.view().buf;
    }
    MPI_Aint address = 0;
    check(MPI_Get_address(ptr, &address));
    return address;
}

}  // namespace

void bind_pack(nb::module_ &m, nb::class_<Datatype> &cls) {
    cls.def("Pack", &pack, nb::arg("inbuf"), nb::arg("outbuf"), nb::arg("position"),
            nb::arg("comm"),
            "Pack the entries of inbuf (as many whole entries of this datatype as it holds) "
            "into outbuf at position; return the new position.")
        .def("Unpack", &unpack, nb::arg("inbuf"), nb::arg("position"), nb::arg("outbuf"),
             nb::arg("comm"),
             "Unpack from inbuf at position into outbuf (as many whole entries of this "
             "datatype as it holds); return the new position.")
        .def(
            "Pack_size",
            [](const Datatype &self, MPI_Count count, const Comm &comm) {
                return pack_size(self.get(), count, comm.get());
            },
            nb::arg("count"), nb::arg("comm"),
            "Return an upper bound on the bytes that packing count entries takes.")
        .def("Pack_external", &pack_external, nb::arg("datarep"), nb::arg("inbuf"),
             nb::arg("outbuf"), nb::arg("position"),
             "Pack into the portable data representation datarep (\"external32\").")
        .def("Unpack_external", &unpack_external, nb::arg("datarep"), nb::arg("inbuf"),
             nb::arg("position"), nb::arg("outbuf"),
             "Unpack from the portable data representation datarep (\"external32\").")
        .def(
            "Pack_external_size",
            [](const Datatype &self, const std::string &datarep, MPI_Count count) {
                return pack_external_size(datarep, self.get(), count);
            },
            nb::arg("datarep"), nb::arg("count"),
            "Return the bytes that packing count entries in datarep takes.");

    m.def("Get_address", &get_address, nb::arg("location").none(),
          "Get the address of a location in memory (the first byte of a buffer).");
    m.def(
        "Aint_add",
        [](MPI_Aint base, MPI_Aint disp) {
            require_active();
            return MPI_Aint_add(base, disp);
        },
        nb::arg("base"), nb::arg("disp"), "Return the sum of a base address and a displacement.");
    m.def(
        "Aint_diff",
        [](MPI_Aint addr1, MPI_Aint addr2) {
            require_active();
            return MPI_Aint_diff(addr1, addr2);
        },
        nb::arg("addr1"), nb::arg("addr2"), "Return the difference between two addresses.");
}

}  // namespace mpipy

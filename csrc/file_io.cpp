// Parallel I/O, data access: reads and writes at explicit offsets, through the individual file
// pointer and through the shared one; blocking, nonblocking and split collective. Buffers are
// I/O message specs (parse_io: the forms point-to-point takes).
#include "core/progress.hpp"

#include <cstdint>
#include <unordered_map>

namespace mpipy {

namespace {

// An explicit offset. A negative one is refused as MPI would (ERR_ARG) before MPI sees it: some
// MPIs (Open MPI 5) pass it on to the file system.
MPI_Offset offset_arg(nb::handle offset) {
    const long long value = index_arg(offset, "offset");
    if (value < 0) throw MpiError{MPI_ERR_ARG};
    return static_cast<MPI_Offset>(value);
}

// Blocking calls, collective ones included, block inside MPI with the GIL released. They do not
// wait by polling their nonblocking forms (as block_or_poll does for communication): MPIs'
// nonblocking collective I/O is less sound than the blocking one (ROMIO 5.0's Iwrite_at_all
// writes garbage through an external32 view, its Iread_at_all miscounts a read past the end).

// Read_at, Write_at, Read_at_all, Write_at_all: Fn(file, offset, buf, count, type, status).
template <auto Fn, Access A>
void access_at(File &self, nb::handle offset, nb::handle buf, nb::handle status) {
    MPI_File fh = self.get();
    const MPI_Offset off = offset_arg(offset);
    MPI_Status *st = status_arg(status);
    MessageBuffer b;
    parse_io(buf, A, b);
    CallCount c(b.count, b.type);
    check_released([&] { return Fn(fh, off, b.addr, c.count, c.type, st); });
}

// Read, Write, Read_all, Write_all, Read_shared, Write_shared, Read_ordered, Write_ordered:
// Fn(file, buf, count, type, status) at a file pointer.
template <auto Fn, Access A> void access_pointer(File &self, nb::handle buf, nb::handle status) {
    MPI_File fh = self.get();
    MPI_Status *st = status_arg(status);
    MessageBuffer b;
    parse_io(buf, A, b);
    CallCount c(b.count, b.type);
    check_released([&] { return Fn(fh, b.addr, c.count, c.type, st); });
}

// The nonblocking forms. Posting may already touch the file system (independent nonblocking
// I/O is often done on the spot): the GIL is released.
template <auto Fn, Access A> nb::object post_at(File &self, nb::handle offset, nb::handle buf) {
    MPI_File fh = self.get();
    const MPI_Offset off = offset_arg(offset);
    MessageBuffer b;
    parse_io(buf, A, b);
    MPI_Request r = MPI_REQUEST_NULL;
    int rc;
    {
        CallCount c(b.count, b.type);
        ReleaseGIL nogil;
        rc = Fn(fh, off, b.addr, c.count, c.type, &r);
    }
    check(rc);
    return buffer_request(r, false, std::move(b));
}

template <auto Fn, Access A> nb::object post_pointer(File &self, nb::handle buf) {
    MPI_File fh = self.get();
    MessageBuffer b;
    parse_io(buf, A, b);
    MPI_Request r = MPI_REQUEST_NULL;
    int rc;
    {
        CallCount c(b.count, b.type);
        ReleaseGIL nogil;
        rc = Fn(fh, b.addr, c.count, c.type, &r);
    }
    check(rc);
    return buffer_request(r, false, std::move(b));
}

// Split collectives: MPI allows one per file at a time, and uses the buffer until its end call;
// the buffer stays pinned here until then (or until the file closes). Never destroyed: a pinned
// buffer must not be released after Python has gone.
std::unordered_map<std::intptr_t, MessageBuffer> &split_buffers() {
    static auto *buffers = new std::unordered_map<std::intptr_t, MessageBuffer>();
    return *buffers;
}

template <auto Fn, Access A> void begin_at(File &self, nb::handle offset, nb::handle buf) {
    MPI_File fh = self.get();
    const MPI_Offset off = offset_arg(offset);
    MessageBuffer b;
    parse_io(buf, A, b);
    int rc;
    {
        CallCount c(b.count, b.type);
        ReleaseGIL nogil;
        rc = Fn(fh, off, b.addr, c.count, c.type);
    }
    check(rc);
    split_buffers()[handle_to_int(fh)] = std::move(b);
}

template <auto Fn, Access A> void begin_pointer(File &self, nb::handle buf) {
    MPI_File fh = self.get();
    MessageBuffer b;
    parse_io(buf, A, b);
    int rc;
    {
        CallCount c(b.count, b.type);
        ReleaseGIL nogil;
        rc = Fn(fh, b.addr, c.count, c.type);
    }
    check(rc);
    split_buffers()[handle_to_int(fh)] = std::move(b);
}

template <auto Fn, Access A> void end(File &self, nb::handle buf, nb::handle status) {
    MPI_File fh = self.get();
    MPI_Status *st = status_arg(status);
    MessageBuffer b;
    parse_io(buf, A, b);
    check_released([&] { return Fn(fh, b.addr, st); });
    split_buffers().erase(handle_to_int(fh));
}

constexpr Access into_buffer = Access::write;  // reads from the file write into the buffer
constexpr Access from_buffer = Access::read;

}  // namespace

void forget_split_collective(MPI_File file) { split_buffers().erase(handle_to_int(file)); }

void bind_file_io(nb::class_<File> &cls) {
    auto status = [] { return nb::arg("status").none() = nb::none(); };

    // Explicit offsets.
    cls.def("Read_at", &access_at<MPIPY_C(MPI_File_read_at), into_buffer>, nb::arg("offset"),
            nb::arg("buf"), status(), "Read using explicit offset.")
        .def("Read_at_all", &access_at<MPIPY_C(MPI_File_read_at_all), into_buffer>,
             nb::arg("offset"), nb::arg("buf"), status(), "Collective read using explicit offset.")
        .def("Write_at", &access_at<MPIPY_C(MPI_File_write_at), from_buffer>, nb::arg("offset"),
             nb::arg("buf"), status(), "Write using explicit offset.")
        .def("Write_at_all", &access_at<MPIPY_C(MPI_File_write_at_all), from_buffer>,
             nb::arg("offset"), nb::arg("buf"), status(), "Collective write using explicit offset.")
        .def("Iread_at", &post_at<MPIPY_C(MPI_File_iread_at), into_buffer>, nb::arg("offset"),
             nb::arg("buf"), "Nonblocking read using explicit offset.")
        .def("Iread_at_all", &post_at<MPIPY_C(MPI_File_iread_at_all), into_buffer>,
             nb::arg("offset"), nb::arg("buf"),
             "Nonblocking collective read using explicit offset.")
        .def("Iwrite_at", &post_at<MPIPY_C(MPI_File_iwrite_at), from_buffer>, nb::arg("offset"),
             nb::arg("buf"), "Nonblocking write using explicit offset.")
        .def("Iwrite_at_all", &post_at<MPIPY_C(MPI_File_iwrite_at_all), from_buffer>,
             nb::arg("offset"), nb::arg("buf"),
             "Nonblocking collective write using explicit offset.");

    // The individual file pointer.
    cls.def("Read", &access_pointer<MPIPY_C(MPI_File_read), into_buffer>, nb::arg("buf"), status(),
            "Read using individual file pointer.")
        .def("Read_all", &access_pointer<MPIPY_C(MPI_File_read_all), into_buffer>, nb::arg("buf"),
             status(), "Collective read using individual file pointer.")
        .def("Write", &access_pointer<MPIPY_C(MPI_File_write), from_buffer>, nb::arg("buf"),
             status(), "Write using individual file pointer.")
        .def("Write_all", &access_pointer<MPIPY_C(MPI_File_write_all), from_buffer>, nb::arg("buf"),
             status(), "Collective write using individual file pointer.")
        .def("Iread", &post_pointer<MPIPY_C(MPI_File_iread), into_buffer>, nb::arg("buf"),
             "Nonblocking read using individual file pointer.")
        .def("Iread_all", &post_pointer<MPIPY_C(MPI_File_iread_all), into_buffer>, nb::arg("buf"),
             "Nonblocking collective read using individual file pointer.")
        .def("Iwrite", &post_pointer<MPIPY_C(MPI_File_iwrite), from_buffer>, nb::arg("buf"),
             "Nonblocking write using individual file pointer.")
        .def("Iwrite_all", &post_pointer<MPIPY_C(MPI_File_iwrite_all), from_buffer>, nb::arg("buf"),
             "Nonblocking collective write using individual file pointer.");

    // The shared file pointer; the ordered forms are collective, in rank order.
    cls.def("Read_shared", &access_pointer<MPIPY_C(MPI_File_read_shared), into_buffer>,
            nb::arg("buf"), status(), "Read using shared file pointer.")
        .def("Write_shared", &access_pointer<MPIPY_C(MPI_File_write_shared), from_buffer>,
             nb::arg("buf"), status(), "Write using shared file pointer.")
        .def("Iread_shared", &post_pointer<MPIPY_C(MPI_File_iread_shared), into_buffer>,
             nb::arg("buf"), "Nonblocking read using shared file pointer.")
        .def("Iwrite_shared", &post_pointer<MPIPY_C(MPI_File_iwrite_shared), from_buffer>,
             nb::arg("buf"), "Nonblocking write using shared file pointer.")
        .def("Read_ordered", &access_pointer<MPIPY_C(MPI_File_read_ordered), into_buffer>,
             nb::arg("buf"), status(), "Collective read using shared file pointer.")
        .def("Write_ordered", &access_pointer<MPIPY_C(MPI_File_write_ordered), from_buffer>,
             nb::arg("buf"), status(), "Collective write using shared file pointer.");

    // Split collectives.
    cls.def("Read_at_all_begin", &begin_at<MPIPY_C(MPI_File_read_at_all_begin), into_buffer>,
            nb::arg("offset"), nb::arg("buf"),
            "Start a split collective read using explicit offset.")
        .def("Read_at_all_end", &end<MPI_File_read_at_all_end, into_buffer>, nb::arg("buf"),
             status(), "Complete a split collective read using explicit offset.")
        .def("Write_at_all_begin", &begin_at<MPIPY_C(MPI_File_write_at_all_begin), from_buffer>,
             nb::arg("offset"), nb::arg("buf"),
             "Start a split collective write using explicit offset.")
        .def("Write_at_all_end", &end<MPI_File_write_at_all_end, from_buffer>, nb::arg("buf"),
             status(), "Complete a split collective write using explicit offset.")
        .def("Read_all_begin", &begin_pointer<MPIPY_C(MPI_File_read_all_begin), into_buffer>,
             nb::arg("buf"), "Start a split collective read using individual file pointer.")
        .def("Read_all_end", &end<MPI_File_read_all_end, into_buffer>, nb::arg("buf"), status(),
             "Complete a split collective read using individual file pointer.")
        .def("Write_all_begin", &begin_pointer<MPIPY_C(MPI_File_write_all_begin), from_buffer>,
             nb::arg("buf"), "Start a split collective write using individual file pointer.")
        .def("Write_all_end", &end<MPI_File_write_all_end, from_buffer>, nb::arg("buf"), status(),
             "Complete a split collective write using individual file pointer.")
        .def("Read_ordered_begin",
             &begin_pointer<MPIPY_C(MPI_File_read_ordered_begin), into_buffer>, nb::arg("buf"),
             "Start a split collective read using shared file pointer.")
        .def("Read_ordered_end", &end<MPI_File_read_ordered_end, into_buffer>, nb::arg("buf"),
             status(), "Complete a split collective read using shared file pointer.")
        .def("Write_ordered_begin",
             &begin_pointer<MPIPY_C(MPI_File_write_ordered_begin), from_buffer>, nb::arg("buf"),
             "Start a split collective write using shared file pointer.")
        .def("Write_ordered_end", &end<MPI_File_write_ordered_end, from_buffer>, nb::arg("buf"),
             status(), "Complete a split collective write using shared file pointer.");
}

}  // namespace mpipy

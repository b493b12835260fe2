// Fault tolerance (ULFM): Comm.Revoke, Is_revoked, Get_failed, Ack_failed, Agree, Iagree,
// Shrink and Ishrink, over the MPI's MPIX_ functions where it has them (MPIPY_HAVE_ULFM).
//
// An MPI without them ends the whole job when a process fails, so no process ever sees a
// failed peer: then no process has failed (Get_failed is empty, Ack_failed acknowledges none,
// nothing is revoked), an agreement is the bitwise AND of the flags, and a shrink is a
// duplicate. Those methods compute exactly that; only Revoke, which must interrupt operations
// pending on other processes, cannot be had without the MPI, and raises NotImplementedError.
// These are the places and results of mpi4py 4.1.2 on the same MPIs.
#include "core/msgbuffer.hpp"
#include "core/objects.hpp"
#include "core/progress.hpp"

#include <nanobind/stl/tuple.h>

#include <bit>
#include <climits>
#include <cstring>
#include <memory>

#if MPIPY_HAVE_ULFM && defined(OPEN_MPI)
#include <mpi-ext.h>
#endif

namespace mpipy {

namespace {

// An int argument (anything with __index__): OverflowError beyond a C int, as in mpi4py.
int int_arg(nb::handle obj, const char *what) {
    const long long v = index_arg(obj, what);
    if (v < INT_MIN || v > INT_MAX)
        raise_error(PyExc_OverflowError, std::string(what) + ": value too large to convert to int");
    return static_cast<int>(v);
}

// The communicator of `self`, checked (MPI running, not null) and, without ULFM, known to
// MPI: the methods that compute their result without MPI still fail on an invalid one.
MPI_Comm comm_of(nb::handle self) {
    MPI_Comm comm = self_as<Comm>(self).get();
#if !MPIPY_HAVE_ULFM
    int inter = 0;
    check(MPI_Comm_test_inter(comm, &inter));
#endif
    return comm;
}

// The result of Shrink and Ishrink: an Intercomm for an intercommunicator, an Intracomm for
// any other (topologies included, as in mpi4py), holding `out`.
nb::object shrunk_like(nb::handle self, MPI_Comm out) {
    if (nb::isinstance<Intercomm>(self)) return new_handle<Intercomm>(out);
    return new_handle<Intracomm>(out);
}

// Iagree's flag: a writable buffer of exactly one C int (format 'i' in native byte order).
void parse_flag(nb::handle flag, MessageBuffer &out) {
    pin_buffer(out.pinned, flag, PyBUF_WRITABLE | PyBUF_FORMAT | PyBUF_ANY_CONTIGUOUS, "flag");
    const Py_buffer &view = out.pinned.view();
    const char *format = view.format ? view.format : "B";
    const char *code = format;
    constexpr char native = std::endian::native == std::endian::little ? '<' : '>';
    if (*code == '@' || *code == '=' || *code == native) ++code;
    if (std::strcmp(code, "i") != 0 || view.itemsize != static_cast<Py_ssize_t>(sizeof(int)))
        raise_error(PyExc_ValueError,
                    std::string("flag: expecting a buffer of format 'i', got '") + format + "'");
    if (view.len != static_cast<Py_ssize_t>(sizeof(int)))
        raise_error(PyExc_ValueError, "flag: expecting an int buffer of length one, got " +
                                          std::to_string(view.len / view.itemsize));
    out.addr = view.buf;
    out.count = 1;
    out.type = MPI_INT;
}

#if !MPIPY_HAVE_ULFM
// Iagree without ULFM: a nonblocking AND-reduction, whose send value lives with the request.
struct IagreeState : RequestState {
    int contribution = 0;
};
#endif

// Ishrink's communicator is written into the Python object the request keeps, at
// completion; its error handler is set then.
struct IshrinkState : RequestState {
    nb::object complete(const MPI_Status &) override {
        set_default_errhandler(nb::inst_ptr<Comm>(keep)->handle);
        return nb::none();
    }
};

}  // namespace

void bind_ulfm(nb::module_ &, CommClasses &classes) {
    nb::class_<Comm> &cls = classes.comm;
    cls.def(
           "Revoke",
           [](nb::handle self) {
#if MPIPY_HAVE_ULFM
               MPI_Comm comm = comm_of(self);
               check_released([&] { return MPIX_Comm_revoke(comm); });
#else
               (void)self;
               throw_not_implemented("MPI_Comm_revoke");
#endif
           },
           "Revoke a communicator.")
        .def(
            "Is_revoked",
            [](nb::handle self) {
                MPI_Comm comm = comm_of(self);
                int flag = 0;
#if MPIPY_HAVE_ULFM
                check(MPIX_Comm_is_revoked(comm, &flag));
#else
                (void)comm;
#endif
                return flag != 0;
            },
            "Indicate whether the communicator has been revoked.")
        .def(
            "Get_failed",
            [](nb::handle self) {
                MPI_Comm comm = comm_of(self);
                MPI_Group group = MPI_GROUP_NULL;
#if MPIPY_HAVE_ULFM
                check(MPIX_Comm_get_failed(comm, &group));
#else
                // A group of its own (the caller frees it), empty.
                (void)comm;
                check(MPI_Group_union(MPI_GROUP_EMPTY, MPI_GROUP_EMPTY, &group));
#endif
                return new_handle<Group>(group);
            },
            "Extract the group of failed processes.")
        .def(
            "Ack_failed",
            [](nb::handle self, nb::handle num_to_ack) {
                MPI_Comm comm = comm_of(self);
                // None: all of them, as many as the (local) group has processes, the most
                // Open MPI accepts (even for an intercommunicator).
                int count = 0;
                if (num_to_ack.is_none())
                    check(MPI_Comm_size(comm, &count));
                else
                    count = int_arg(num_to_ack, "num_to_ack");
                int acked = 0;
#if MPIPY_HAVE_ULFM
                check(MPIX_Comm_ack_failed(comm, count, &acked));
#endif
                return acked;
            },
            nb::arg("num_to_ack").none() = nb::none(), "Acknowledge failures on a communicator.")
        .def(
            "Agree",
            [](nb::handle self, nb::handle flag) {
                MPI_Comm comm = comm_of(self);
                int value = int_arg(flag, "flag");
#if MPIPY_HAVE_ULFM
                check_released([&] { return MPIX_Comm_agree(comm, &value); });
#else
                const int contribution = value;
                check_released([&] {
                    return MPI_Allreduce(&contribution, &value, 1, MPI_INT, MPI_BAND, comm);
                });
#endif
                return value;
            },
            nb::arg("flag"), "Blocking agreement.")
        .def(
            "Iagree",
            [](nb::handle self, nb::handle flag) {
                MPI_Comm comm = comm_of(self);
#if MPIPY_HAVE_ULFM
                auto state = new_request_state();
#else
                auto state = new_request_state<IagreeState>();
#endif
                MessageBuffer &buf = state->buffers[0];
                parse_flag(flag, buf);
                int *value = static_cast<int *>(buf.addr);
                MPI_Request request = MPI_REQUEST_NULL;
#if MPIPY_HAVE_ULFM
                check(MPIX_Comm_iagree(comm, value, &request));
#else
                state->contribution = *value;
                check(MPI_Iallreduce(&state->contribution, value, 1, MPI_INT, MPI_BAND, comm,
                                     &request));
#endif
                return make_request(request, std::move(state), false);
            },
            nb::arg("flag"), "Nonblocking agreement.")
        .def(
            "Shrink",
            [](nb::handle self) {
                MPI_Comm comm = comm_of(self), out = MPI_COMM_NULL;
#if MPIPY_HAVE_ULFM
                check_released([&] { return MPIX_Comm_shrink(comm, &out); });
#else
                check_released([&] { return MPI_Comm_dup(comm, &out); });
#endif
                set_default_errhandler(out);
                return shrunk_like(self, out);
            },
            "Shrink a communicator to remove all failed processes.")
        .def(
            "Ishrink",
            [](nb::handle self) {
                MPI_Comm comm = comm_of(self);
                MPI_Request request = MPI_REQUEST_NULL;
#if MPIPY_HAVE_ULFM && !MPIPY_HAVE_ULFM_ISHRINK
                // A blocking shrink (which, unlike a duplicate, leaves out the failed
                // processes) and a request that is complete already.
                MPI_Comm out = MPI_COMM_NULL;
                check_released([&] { return MPIX_Comm_shrink(comm, &out); });
                set_default_errhandler(out);
                nb::object shrunk = shrunk_like(self, out);
                check(MPI_Isend(nullptr, 0, MPI_BYTE, MPI_PROC_NULL, 0, MPI_COMM_SELF, &request));
                return nb::make_tuple(shrunk, make_request(request, new_request_state(), false));
#else
                nb::object shrunk = shrunk_like(self, MPI_COMM_NULL);
                MPI_Comm *slot = &nb::inst_ptr<Comm>(shrunk)->handle;
#if MPIPY_HAVE_ULFM_ISHRINK
                check(MPIX_Comm_ishrink(comm, slot, &request));
#else
                check(MPI_Comm_idup(comm, slot, &request));
#endif
                auto state = new_request_state<IshrinkState>();
                state->keep = shrunk;
                return nb::make_tuple(shrunk, make_request(request, std::move(state), false));
#endif
            },
            "Nonblocking shrink a communicator to remove all failed processes.");
}

}  // namespace mpipy

// Point-to-point communication of Python objects (lowercase Comm methods), over the transport
// (core/transport): blocking, nonblocking (irecv of any size, with no truncation), send-receive
// and probes.
#include "core/fastcall.hpp"
#include "core/transport.hpp"
#include "core/progress.hpp"

namespace mpipy {

namespace {

template <SendMode mode> void send_method(nb::handle self, nb::handle obj, int dest, int tag) {
    send_object(obj, self_as<Comm>(self).get(), dest, tag, mode);
}

template <SendMode mode>
nb::object isend_method(nb::handle self, nb::handle obj, int dest, int tag) {
    return isend_object(obj, self_as<Comm>(self).get(), dest, tag, mode);
}

nb::object recv_method(nb::handle self, nb::handle buf, int source, int tag, nb::handle status) {
    return recv_object(self_as<Comm>(self).get(), buf, source, tag, status_arg(status));
}

nb::object irecv_method(nb::handle self, nb::handle buf, int source, int tag) {
    return irecv_object(self_as<Comm>(self).get(), buf, source, tag);
}

}  // namespace

void bind_p2p_objects(nb::module_ &m, CommClasses &classes) {
    const auto any_source = nb::arg("source") = static_cast<int>(MPI_ANY_SOURCE);
    const auto any_tag = nb::arg("tag") = static_cast<int>(MPI_ANY_TAG);
    fastcall::def<&send_method<SendMode::standard>>(classes.comm, "send", nb::arg("obj").none(),
                                                    nb::arg("dest"), nb::arg("tag") = 0,
                                                    "Send in standard mode.");
    classes.comm
        .def("bsend", &send_method<SendMode::buffered>, nb::arg("obj").none(), nb::arg("dest"),
             nb::arg("tag") = 0, "Send in buffered mode.")
        .def("ssend", &send_method<SendMode::synchronous>, nb::arg("obj").none(), nb::arg("dest"),
             nb::arg("tag") = 0, "Send in synchronous mode.");
    fastcall::def<&isend_method<SendMode::standard>>(classes.comm, "isend", nb::arg("obj").none(),
                                                     nb::arg("dest"), nb::arg("tag") = 0,
                                                     "Nonblocking send.");
    classes.comm
        .def("ibsend", &isend_method<SendMode::buffered>, nb::arg("obj").none(), nb::arg("dest"),
             nb::arg("tag") = 0, "Nonblocking send in buffered mode.")
        .def("issend", &isend_method<SendMode::synchronous>, nb::arg("obj").none(), nb::arg("dest"),
             nb::arg("tag") = 0, "Nonblocking send in synchronous mode.");
    fastcall::def<&recv_method>(classes.comm, "recv", nb::arg("buf") = nb::none(), any_source,
                                any_tag, nb::arg("status") = nb::none(), "Receive.");
    fastcall::def<&irecv_method>(classes.comm, "irecv", nb::arg("buf") = nb::none(), any_source,
                                 any_tag, "Nonblocking receive.");
    classes.comm.def(
        "sendrecv",
        [](const Comm &self, nb::handle sendobj, int dest, int sendtag, nb::handle recvbuf,
           int source, int recvtag, nb::handle status) {
            MPI_Comm comm = self.get();
            nb::object request = isend_object(sendobj, comm, dest, sendtag, SendMode::standard);
            nb::object result = recv_object(comm, recvbuf, source, recvtag, status_arg(status));
            request.attr("Wait")();
            return result;
        },
        nb::arg("sendobj").none(), nb::arg("dest"), nb::arg("sendtag") = 0,
        nb::arg("recvbuf") = nb::none(), any_source,
        nb::arg("recvtag") = static_cast<int>(MPI_ANY_TAG), nb::arg("status") = nb::none(),
        "Send and receive.");
    (void)m;
}

}  // namespace mpipy

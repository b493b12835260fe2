// Matched messages: the Message class (receives of a message matched by Mprobe/Improbe, of
// buffers and of objects), MESSAGE_NULL and MESSAGE_NO_PROC.
#include "core/transport.hpp"
#include "core/progress.hpp"

namespace mpipy {

namespace {

MPI_Message message_arg(Message &self) {
    require_active();
    if (self.handle == MPI_MESSAGE_NULL) throw_null_handle(MPI_ERR_REQUEST, "Message");
    return self.handle;
}

// The receive buffer of a matched message (ignored for MESSAGE_NO_PROC: nothing arrives).
void parse_recv_buffer(nb::handle buf, MPI_Message msg, MessageBuffer &b) {
    parse_p2p(buf, Access::write, msg == MPI_MESSAGE_NO_PROC ? MPI_PROC_NULL : MPI_ANY_SOURCE, b);
}

}  // namespace

nb::object make_message(MPI_Message msg, MPI_Comm comm, const MPI_Status &status) {
    nb::object obj = new_handle<Message>(msg);
    Message *m = nb::inst_ptr<Message>(obj);
    m->comm = comm;
    m->source = status.MPI_SOURCE;
    m->size = status.MPI_SOURCE == MPI_PROC_NULL ? 0 : status_count(status, MPI_BYTE);
    return obj;
}

void bind_message(nb::module_ &m) {
    nb::class_<Message> cls(m, "Message", "Matched message.");
    enable_weak_references(cls);
    bind_handle_protocol(cls);
    cls.def(
           "Recv",
           [](Message &self, nb::handle buf, nb::handle status) {
               MPI_Message msg = message_arg(self);
               MPI_Status *st = status_arg(status);
               MessageBuffer b;
               parse_recv_buffer(buf, msg, b);
               CallCount c(b.count, b.type);
               int rc = block_or_poll(
                   [&] { return MPIPY_C(MPI_Mrecv)(b.addr, c.count, c.type, &msg, st); },
                   [&](MPI_Request *r) {
                       return MPIPY_C(MPI_Imrecv)(b.addr, c.count, c.type, &msg, r);
                   },
                   st);
               // A truncated message was received all the same (MPICH leaves the handle set).
               int error_class = MPI_SUCCESS;
               if (rc != MPI_SUCCESS && MPI_Error_class(rc, &error_class) == MPI_SUCCESS &&
                   error_class == MPI_ERR_TRUNCATE)
                   msg = MPI_MESSAGE_NULL;
               self.consumed(msg);
               check(rc);
           },
           nb::arg("buf").none(), nb::arg("status") = nb::none(),
           "Blocking receive of matched message.")
        .def(
            "Irecv",
            [](Message &self, nb::handle buf) {
                MPI_Message msg = message_arg(self);
                MessageBuffer b;
                parse_recv_buffer(buf, msg, b);
                MPI_Request r = MPI_REQUEST_NULL;
                CallCount c(b.count, b.type);
                int rc = MPIPY_C(MPI_Imrecv)(b.addr, c.count, c.type, &msg, &r);
                self.consumed(msg);
                check(rc);
                return buffer_request(r, false, std::move(b));
            },
            nb::arg("buf").none(), "Nonblocking receive of matched message.")
        .def(
            "recv",
            [](Message &self, nb::handle status) {
                message_arg(self);
                return recv_matched_object(self, status_arg(status));
            },
            nb::arg("status") = nb::none(), "Blocking receive of matched message.")
        .def(
            "irecv",
            [](Message &self) {
                message_arg(self);
                return irecv_matched_object(self);
            },
            "Nonblocking receive of matched message.");
    // Probes: the communicator's matched probes, as static methods.
    const auto static_probe = [&](const char *name, const char *method, const char *doc) {
        cls.def_static(
            name,
            [method](const Comm &comm, int source, int tag, nb::handle status) {
                return nb::cast(comm).attr(method)(source, tag, status);
            },
            nb::arg("comm"), nb::arg("source") = static_cast<int>(MPI_ANY_SOURCE),
            nb::arg("tag") = static_cast<int>(MPI_ANY_TAG), nb::arg("status") = nb::none(), doc);
    };
    static_probe("Probe", "Mprobe", "Blocking test for a matched message.");
    static_probe("Iprobe", "Improbe", "Nonblocking test for a matched message.");
    static_probe("probe", "mprobe", "Blocking test for a matched message.");
    static_probe("iprobe", "improbe", "Nonblocking test for a matched message.");
    add_constant<Message>(m, "MESSAGE_NULL", MPI_MESSAGE_NULL);
    add_constant<Message>(m, "MESSAGE_NO_PROC", MPI_MESSAGE_NO_PROC);
}

}  // namespace mpipy

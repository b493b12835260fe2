// Point-to-point communication of buffers (uppercase Comm methods): send modes, receives,
// send-receive, probes (Mprobe/Improbe make the Message that message.cpp receives), nonblocking
// and persistent forms, and the buffered-send buffer.
#include "core/fastcall.hpp"
#include "core/transport.hpp"

#include <cstring>
#include <map>
#include <memory>

namespace mpipy {

namespace {

// The peer whose message spec a send-receive in place uses: it is ignored only when both are
// PROC_NULL.
int replace_peer(int dest, int source) { return source != MPI_PROC_NULL ? source : dest; }

// The blocking calls below block inside MPI, unless must_poll() (receives of this process need
// mpipy to progress them meanwhile, or the backoff wait policy): then they post the nonblocking
// form and poll it (block_or_poll).

template <SendMode mode> void send(nb::handle self_obj, nb::handle buf, int dest, int tag) {
    const Comm &self = self_as<Comm>(self_obj);
    MPI_Comm comm = self.get();
    MessageBuffer b;
    parse_p2p(buf, Access::read, dest, b);
    check(block_or_poll(
        [&] {
            return post_send(mode, Posting::blocking, b.addr, b.count, b.type, dest, tag, comm);
        },
        [&](MPI_Request *r) {
            return post_send(mode, Posting::nonblocking, b.addr, b.count, b.type, dest, tag, comm,
                             r);
        }));
}

// Isend and its modes (Posting::nonblocking), Send_init and its modes (Posting::persistent).
template <SendMode mode, Posting posting>
nb::object send_request(nb::handle self_obj, nb::handle buf, int dest, int tag) {
    const Comm &self = self_as<Comm>(self_obj);
    MPI_Comm comm = self.get();
    MessageBuffer b;
    parse_p2p(buf, Access::read, dest, b);
    MPI_Request r = MPI_REQUEST_NULL;
    check(post_send(mode, posting, b.addr, b.count, b.type, dest, tag, comm, &r));
    return buffer_request(r, posting == Posting::persistent, std::move(b));
}

void recv(nb::handle self_obj, nb::handle buf, int source, int tag, nb::handle status) {
    const Comm &self = self_as<Comm>(self_obj);
    MPI_Comm comm = self.get();
    MPI_Status *st = status_arg(status);
    MessageBuffer b;
    parse_p2p(buf, Access::write, source, b);
    CallCount c(b.count, b.type);
    check(block_or_poll(
        [&] { return MPIPY_C(MPI_Recv)(b.addr, c.count, c.type, source, tag, comm, st); },
        [&](MPI_Request *r) {
            return MPIPY_C(MPI_Irecv)(b.addr, c.count, c.type, source, tag, comm, r);
        },
        st));
}

// Irecv (Posting::nonblocking) and Recv_init (Posting::persistent).
template <Posting posting>
nb::object recv_request(nb::handle self_obj, nb::handle buf, int source, int tag) {
    const Comm &self = self_as<Comm>(self_obj);
    MPI_Comm comm = self.get();
    MessageBuffer b;
    parse_p2p(buf, Access::write, source, b);
    MPI_Request r = MPI_REQUEST_NULL;
    CallCount c(b.count, b.type);
    constexpr bool persistent = posting == Posting::persistent;
    check(persistent ? MPIPY_C(MPI_Recv_init)(b.addr, c.count, c.type, source, tag, comm, &r)
                     : MPIPY_C(MPI_Irecv)(b.addr, c.count, c.type, source, tag, comm, &r));
    return buffer_request(r, persistent, std::move(b));
}

// Post a receive into r and a send of s (from send_addr), and wait for both.
int sendrecv_progressing(MPI_Comm comm, const MessageBuffer &s, const void *send_addr, int dest,
                         int sendtag, const MessageBuffer &r, int source, int recvtag,
                         MPI_Status *st) {
    MPI_Request recv_req = MPI_REQUEST_NULL, send_req = MPI_REQUEST_NULL;
    CallCount rcnt(r.count, r.type), sc(s.count, s.type);
    int rc = MPIPY_C(MPI_Irecv)(r.addr, rcnt.count, rcnt.type, source, recvtag, comm, &recv_req);
    if (rc != MPI_SUCCESS) return rc;
    rc = MPIPY_C(MPI_Isend)(send_addr, sc.count, sc.type, dest, sendtag, comm, &send_req);
    if (rc != MPI_SUCCESS) {
        MPI_Cancel(&recv_req);
        MPI_Wait(&recv_req, MPI_STATUS_IGNORE);
        return rc;
    }
    rc = wait_request(recv_req, st);
    const int send_rc = wait_request(send_req, MPI_STATUS_IGNORE);
    return rc != MPI_SUCCESS ? rc : send_rc;
}

// A copy of the bytes b's datatype spans, so that a receive may overwrite them while the copy is
// sent from `*send_addr`.
std::unique_ptr<char[]> copy_span(const MessageBuffer &b, const void **send_addr) {
    MPI_Count lb = 0, extent = 0, true_lb = 0, true_extent = 0;
    check(MPI_Type_get_extent_x(b.type, &lb, &extent));
    check(MPI_Type_get_true_extent_x(b.type, &true_lb, &true_extent));
    MPI_Count first = 0, last = 0;
    if (b.count > 0) {
        const MPI_Count reach = (b.count - 1) * extent;
        first = true_lb + (reach < 0 ? reach : 0);
        last = true_lb + true_extent + (reach > 0 ? reach : 0);
    }
    std::unique_ptr<char[]> copy(new char[last > first ? last - first : 1]);
    if (last > first)
        std::memcpy(copy.get(), static_cast<char *>(b.addr) + first,
                    static_cast<size_t>(last - first));
    *send_addr = copy.get() - first;
    return copy;
}

void sendrecv(nb::handle self_obj, nb::handle sendbuf, int dest, int sendtag, nb::handle recvbuf,
              int source, int recvtag, nb::handle status) {
    const Comm &self = self_as<Comm>(self_obj);
    MPI_Comm comm = self.get();
    MPI_Status *st = status_arg(status);
    MessageBuffer s, r;
    parse_p2p(sendbuf, Access::read, dest, s);
    parse_p2p(recvbuf, Access::write, source, r);
    int rc;
    if (must_poll()) {
        rc = sendrecv_progressing(comm, s, s.addr, dest, sendtag, r, source, recvtag, st);
    } else {
        ReleaseGIL nogil;
        CallCount sc(s.count, s.type), rcnt(r.count, r.type);
        rc = MPIPY_C(MPI_Sendrecv)(s.addr, sc.count, sc.type, dest, sendtag, r.addr, rcnt.count,
                                   rcnt.type, source, recvtag, comm, st);
    }
    check(rc);
}

void sendrecv_replace(nb::handle self_obj, nb::handle buf, int dest, int sendtag, int source,
                      int recvtag, nb::handle status) {
    const Comm &self = self_as<Comm>(self_obj);
    MPI_Comm comm = self.get();
    MPI_Status *st = status_arg(status);
    MessageBuffer b;
    parse_p2p(buf, Access::write, replace_peer(dest, source), b);
    int rc;
    if (must_poll()) {
        const void *send_addr = nullptr;
        std::unique_ptr<char[]> copy = copy_span(b, &send_addr);
        rc = sendrecv_progressing(comm, b, send_addr, dest, sendtag, b, source, recvtag, st);
    } else {
        ReleaseGIL nogil;
        CallCount c(b.count, b.type);
        rc = MPIPY_C(MPI_Sendrecv_replace)(b.addr, c.count, c.type, dest, sendtag, source, recvtag,
                                           comm, st);
    }
    check(rc);
}

// MPICH (5.0.2 at least) completes MPI_Isendrecv and MPI_Isendrecv_replace with a status
// that does not describe the received message (tag and count are garbage), and MPI-3
// libraries have neither: there the pair is posted as an Irecv plus an Isend (of a copy, for
// _replace) that complete as one request, which MPI defines as equivalent.
// (Which library is loaded is known at run time only, under the standard ABI.)
[[maybe_unused]] static bool native_isendrecv() {
    static const bool native = MPIPY_HAVE_ISENDRECV && mpi_vendor() != MpiVendor::mpich;
    return native;
}

// The receive is the Python request's handle; the send and the copy it sends live here.
struct SendRecvPair : RequestState {
    MPI_Request send = MPI_REQUEST_NULL;
    std::unique_ptr<char[]> copy;
    bool multi_step() const override { return true; }
    bool advance(MPI_Request &h, bool blocking, MPI_Status &status) override {
        MPI_Request both[2] = {h, send};
        MPI_Status st[2] = {status_for(MPI_STATUS_IGNORE), status_for(MPI_STATUS_IGNORE)};
        bool done = false;
        int rc = complete_all(2, both, st, blocking, done);
        h = both[0];
        send = both[1];
        check(rc);
        if (done) status = st[0];
        return done;
    }
};

// Post the pair: receive into r, send s (from `copy` when given).
nb::object post_pair(MPI_Comm comm, MessageBuffer &&s, int dest, int sendtag, MessageBuffer &&r,
                     int source, int recvtag, std::unique_ptr<char[]> copy, const void *send_addr) {
    auto state = new_request_state<SendRecvPair>();
    MPI_Request req = MPI_REQUEST_NULL;
    {
        CallCount c(r.count, r.type);
        check(MPIPY_C(MPI_Irecv)(r.addr, c.count, c.type, source, recvtag, comm, &req));
    }
    CallCount c(s.count, s.type);
    int rc = MPIPY_C(MPI_Isend)(send_addr, c.count, c.type, dest, sendtag, comm, &state->send);
    if (rc != MPI_SUCCESS) {
        MPI_Cancel(&req);
        MPI_Wait(&req, MPI_STATUS_IGNORE);
        throw_mpi_error(rc);
    }
    state->copy = std::move(copy);
    state->buffers[0] = std::move(s);
    state->buffers[1] = std::move(r);
    return make_request(req, std::move(state), false);
}

nb::object isendrecv(nb::handle self_obj, nb::handle sendbuf, int dest, int sendtag,
                     nb::handle recvbuf, int source, int recvtag) {
    const Comm &self = self_as<Comm>(self_obj);
    MPI_Comm comm = self.get();
    MessageBuffer s, r;
    parse_p2p(sendbuf, Access::read, dest, s);
    parse_p2p(recvbuf, Access::write, source, r);
#if MPIPY_HAVE_ISENDRECV
    if (native_isendrecv()) {
        MPI_Request req = MPI_REQUEST_NULL;
        CallCount sc(s.count, s.type), rc(r.count, r.type);
        check(MPIPY_C(MPI_Isendrecv)(s.addr, sc.count, sc.type, dest, sendtag, r.addr, rc.count,
                                     rc.type, source, recvtag, comm, &req));
        return buffer_request(req, false, std::move(s), std::move(r));
    }
#endif
    const void *addr = s.addr;
    return post_pair(comm, std::move(s), dest, sendtag, std::move(r), source, recvtag, nullptr,
                     addr);
}

nb::object isendrecv_replace(nb::handle self_obj, nb::handle buf, int dest, int sendtag, int source,
                             int recvtag) {
    const Comm &self = self_as<Comm>(self_obj);
    MPI_Comm comm = self.get();
    MessageBuffer b;
    parse_p2p(buf, Access::write, replace_peer(dest, source), b);
#if MPIPY_HAVE_ISENDRECV
    if (native_isendrecv()) {
        MPI_Request req = MPI_REQUEST_NULL;
        CallCount c(b.count, b.type);
        check(MPIPY_C(MPI_Isendrecv_replace)(b.addr, c.count, c.type, dest, sendtag, source,
                                             recvtag, comm, &req));
        return buffer_request(req, false, std::move(b));
    }
#endif
    const void *addr = nullptr;
    std::unique_ptr<char[]> copy = copy_span(b, &addr);
    MessageBuffer s;
    s.count = b.count;
    s.type = b.type;
    return post_pair(comm, std::move(s), dest, sendtag, std::move(b), source, recvtag,
                     std::move(copy), addr);
}

bool probe(nb::handle self_obj, int source, int tag, nb::handle status) {
    const Comm &self = self_as<Comm>(self_obj);
    MPI_Comm comm = self.get();
    MPI_Status *st = status_arg(status);
    check(wait_progressing(
        [&](bool &done) {
            int flag = 0, rc = MPI_Iprobe(source, tag, comm, &flag, st);
            done = flag != 0;
            return rc;
        },
        [&] { return MPI_Probe(source, tag, comm, st); }));
    return true;
}

bool iprobe(nb::handle self_obj, int source, int tag, nb::handle status) {
    const Comm &self = self_as<Comm>(self_obj);
    MPI_Comm comm = self.get();
    MPI_Status *st = status_arg(status);
    int flag = 0;
    check(MPI_Iprobe(source, tag, comm, &flag, st));
    return flag != 0;
}

nb::object mprobe(nb::handle self_obj, int source, int tag, nb::handle status) {
    const Comm &self = self_as<Comm>(self_obj);
    MPI_Comm comm = self.get();
    MPI_Status *st = status_arg(status);
    MPI_Message msg = MPI_MESSAGE_NULL;
    MPI_Status local;
    if (st == MPI_STATUS_IGNORE) st = &local;
    check(wait_progressing(
        [&](bool &done) {
            int flag = 0, rc = MPI_Improbe(source, tag, comm, &flag, &msg, st);
            done = flag != 0;
            return rc;
        },
        [&] { return MPI_Mprobe(source, tag, comm, &msg, st); }));
    return make_message(msg, comm, *st);
}

nb::object improbe(nb::handle self_obj, int source, int tag, nb::handle status) {
    const Comm &self = self_as<Comm>(self_obj);
    MPI_Comm comm = self.get();
    MPI_Status *st = status_arg(status);
    MPI_Message msg = MPI_MESSAGE_NULL;
    MPI_Status local;
    if (st == MPI_STATUS_IGNORE) st = &local;
    int flag = 0;
    check(MPI_Improbe(source, tag, comm, &flag, &msg, st));
    if (!flag) return nb::none();
    return make_message(msg, comm, *st);
}

// Buffers attached for buffered sends, pinned while attached: the process's and, with MPI-4.1,
// one per communicator and one per session. BUFFER_AUTOMATIC (or None) lets an MPI-4.1
// library allocate what it needs. An entry left by a communicator freed (or a session
// finalized) without Detach_buffer is replaced when MPI reuses its handle.
struct AttachedBuffer {
    MessageBuffer buf;
    nb::object obj;
};
// Never destroyed: it may hold Python objects when the process exits.
std::map<BufferScope, AttachedBuffer> &attached = *new std::map<BufferScope, AttachedBuffer>;

}  // namespace

void attach_buffer(BufferScope scope, nb::handle buf) {
    require_active();
    AttachedBuffer a;
    void *addr = nullptr;
    MPI_Count size = 0;
    if (buf.is_none() || is_constant(buf, AddressConstant::buffer_automatic)) {
#ifdef MPI_BUFFER_AUTOMATIC
        addr = MPI_BUFFER_AUTOMATIC;
        a.obj = nb::borrow(buf.is_none() ? address_constants[int(AddressConstant::buffer_automatic)]
                                         : buf.ptr());
#else
        throw_not_implemented("BUFFER_AUTOMATIC");
#endif
    } else {
        parse_message(buf, Access::write, a.buf);
        check(MPI_Type_size_x(a.buf.type, &size));
        size *= a.buf.count;
        addr = a.buf.addr;
        a.obj = nb::borrow(buf);
        if (!MPIPY_HAVE_LARGE_COUNT && size > INT_MAX)
            throw nb::value_error("buffer for buffered sends must be below 2 GiB with this MPI");
    }
    const auto count = static_cast<decltype(CallCount::count)>(size);
    switch (scope.kind) {
    case BufferScope::process:
        if (attached.count(scope)) throw MpiError{MPI_ERR_BUFFER};  // one at a time
        check(MPIPY_C(MPI_Buffer_attach)(addr, count));
        break;
#if MPIPY_HAVE_COMM_BUFFER
    case BufferScope::comm:
        check(MPIPY_C(MPI_Comm_attach_buffer)(scope.as_comm(), addr, count));
        break;
#if MPIPY_HAVE_SESSIONS
    case BufferScope::session:
        check(MPIPY_C(MPI_Session_attach_buffer)(scope.as_session(), addr, count));
        break;
#endif
#endif
    default:
        throw_not_implemented("A buffer attached to a communicator or session");
    }
    attached[scope] = std::move(a);
}

nb::object detach_buffer(BufferScope scope) {
    require_active();
    void *addr = nullptr;
    decltype(CallCount::count) size = 0;
    int rc = MPI_ERR_OTHER;
    {
        ReleaseGIL nogil;  // waits for pending buffered sends
        switch (scope.kind) {
        case BufferScope::process:
            rc = MPIPY_C(MPI_Buffer_detach)(&addr, &size);
            break;
#if MPIPY_HAVE_COMM_BUFFER
        case BufferScope::comm:
            rc = MPIPY_C(MPI_Comm_detach_buffer)(scope.as_comm(), &addr, &size);
            break;
#if MPIPY_HAVE_SESSIONS
        case BufferScope::session:
            rc = MPIPY_C(MPI_Session_detach_buffer)(scope.as_session(), &addr, &size);
            break;
#endif
#endif
        default:
            break;
        }
    }
    check(rc);
    auto it = attached.find(scope);
    if (it == attached.end()) return nb::none();
    nb::object obj = std::move(it->second.obj);
    attached.erase(it);
    return obj;
}

void flush_buffer(BufferScope scope) {
    require_active();
#if MPIPY_HAVE_COMM_BUFFER
    check_released([&] {
        switch (scope.kind) {
        case BufferScope::comm:
            return MPI_Comm_flush_buffer(scope.as_comm());
#if MPIPY_HAVE_SESSIONS
        case BufferScope::session:
            return MPI_Session_flush_buffer(scope.as_session());
#endif
        default:
            return MPI_Buffer_flush();
        }
    });
#else
    (void)scope;
    throw_not_implemented("Flush_buffer");
#endif
}

nb::object iflush_buffer(BufferScope scope) {
    require_active();
#if MPIPY_HAVE_COMM_BUFFER
    MPI_Request r = MPI_REQUEST_NULL;
    switch (scope.kind) {
    case BufferScope::comm:
        check(MPI_Comm_iflush_buffer(scope.as_comm(), &r));
        break;
#if MPIPY_HAVE_SESSIONS
    case BufferScope::session:
        check(MPI_Session_iflush_buffer(scope.as_session(), &r));
        break;
#endif
    default:
        check(MPI_Buffer_iflush(&r));
    }
    return make_request(r, nullptr, false);
#else
    (void)scope;
    throw_not_implemented("Iflush_buffer");
#endif
}

namespace {

// The communicator form of the above: NotImplementedError where the MPI lacks it.
BufferScope buffer_scope(const Comm &self) {
    MPI_Comm comm = self.get();
    if (!MPIPY_HAVE_COMM_BUFFER) throw_not_implemented("A buffer attached to a communicator");
    return BufferScope::of_comm(comm);
}

}  // namespace

void bind_p2p(nb::module_ &m, CommClasses &classes) {
    nb::class_<Comm> &comm = classes.comm;
    const auto any_source = nb::arg("source") = static_cast<int>(MPI_ANY_SOURCE);
    const auto any_tag = nb::arg("tag") = static_cast<int>(MPI_ANY_TAG);
    fastcall::def<&send<SendMode::standard>>(comm, "Send", nb::arg("buf").none(), nb::arg("dest"),
                                             nb::arg("tag") = 0, "Blocking send.");
    comm.def("Bsend", &send<SendMode::buffered>, nb::arg("buf").none(), nb::arg("dest"),
             nb::arg("tag") = 0, "Blocking send in buffered mode.")
        .def("Ssend", &send<SendMode::synchronous>, nb::arg("buf").none(), nb::arg("dest"),
             nb::arg("tag") = 0, "Blocking send in synchronous mode.")
        .def("Rsend", &send<SendMode::ready>, nb::arg("buf").none(), nb::arg("dest"),
             nb::arg("tag") = 0, "Blocking send in ready mode.");
    fastcall::def<&send_request<SendMode::standard, Posting::nonblocking>>(
        comm, "Isend", nb::arg("buf").none(), nb::arg("dest"), nb::arg("tag") = 0,
        "Nonblocking send.");
    comm.def("Ibsend", &send_request<SendMode::buffered, Posting::nonblocking>,
             nb::arg("buf").none(), nb::arg("dest"), nb::arg("tag") = 0,
             "Nonblocking send in buffered mode.")
        .def("Issend", &send_request<SendMode::synchronous, Posting::nonblocking>,
             nb::arg("buf").none(), nb::arg("dest"), nb::arg("tag") = 0,
             "Nonblocking send in synchronous mode.")
        .def("Irsend", &send_request<SendMode::ready, Posting::nonblocking>, nb::arg("buf").none(),
             nb::arg("dest"), nb::arg("tag") = 0, "Nonblocking send in ready mode.")
        .def("Send_init", &send_request<SendMode::standard, Posting::persistent>,
             nb::arg("buf").none(), nb::arg("dest"), nb::arg("tag") = 0,
             "Create a persistent request for a standard send.")
        .def("Bsend_init", &send_request<SendMode::buffered, Posting::persistent>,
             nb::arg("buf").none(), nb::arg("dest"), nb::arg("tag") = 0,
             "Persistent request for a send in buffered mode.")
        .def("Ssend_init", &send_request<SendMode::synchronous, Posting::persistent>,
             nb::arg("buf").none(), nb::arg("dest"), nb::arg("tag") = 0,
             "Persistent request for a send in synchronous mode.")
        .def("Rsend_init", &send_request<SendMode::ready, Posting::persistent>,
             nb::arg("buf").none(), nb::arg("dest"), nb::arg("tag") = 0,
             "Persistent request for a send in ready mode.");
    fastcall::def<&recv>(comm, "Recv", nb::arg("buf").none(), any_source, any_tag,
                         nb::arg("status") = nb::none(), "Blocking receive.");
    fastcall::def<&recv_request<Posting::nonblocking>>(comm, "Irecv", nb::arg("buf").none(),
                                                       any_source, any_tag, "Nonblocking receive.");
    comm.def("Recv_init", &recv_request<Posting::persistent>, nb::arg("buf").none(), any_source,
             any_tag, "Create a persistent request for a receive.")
        .def("Sendrecv", &sendrecv, nb::arg("sendbuf").none(), nb::arg("dest"),
             nb::arg("sendtag") = 0, nb::arg("recvbuf").none() = nb::none(), any_source,
             nb::arg("recvtag") = static_cast<int>(MPI_ANY_TAG), nb::arg("status") = nb::none(),
             "Send and receive a message.")
        .def("Sendrecv_replace", &sendrecv_replace, nb::arg("buf").none(), nb::arg("dest"),
             nb::arg("sendtag") = 0, any_source, nb::arg("recvtag") = static_cast<int>(MPI_ANY_TAG),
             nb::arg("status") = nb::none(),
             "Send and receive a message, replacing the buffer's contents.")
        .def("Isendrecv", &isendrecv, nb::arg("sendbuf").none(), nb::arg("dest"),
             nb::arg("sendtag") = 0, nb::arg("recvbuf").none() = nb::none(), any_source,
             nb::arg("recvtag") = static_cast<int>(MPI_ANY_TAG), "Nonblocking send and receive.")
        .def("Isendrecv_replace", &isendrecv_replace, nb::arg("buf").none(), nb::arg("dest"),
             nb::arg("sendtag") = 0, any_source, nb::arg("recvtag") = static_cast<int>(MPI_ANY_TAG),
             "Nonblocking send and receive with a single buffer.");
    fastcall::def<&probe>(comm, "Probe", any_source, any_tag, nb::arg("status") = nb::none(),
                          "Blocking test for a message.");
    fastcall::def<&iprobe>(comm, "Iprobe", any_source, any_tag, nb::arg("status") = nb::none(),
                           "Nonblocking test for a message.");
    fastcall::def<&mprobe>(comm, "Mprobe", any_source, any_tag, nb::arg("status") = nb::none(),
                           "Blocking test for a matched message.");
    fastcall::def<&improbe>(comm, "Improbe", any_source, any_tag, nb::arg("status") = nb::none(),
                            "Nonblocking test for a matched message.");
    // The lowercase probes are the same calls (as in mpi4py, they do not go through a
    // subclass's Probe).
    fastcall::def<&probe>(comm, "probe", any_source, any_tag, nb::arg("status") = nb::none(),
                          "Blocking test for a message.");
    fastcall::def<&iprobe>(comm, "iprobe", any_source, any_tag, nb::arg("status") = nb::none(),
                           "Nonblocking test for a message.");
    fastcall::def<&mprobe>(comm, "mprobe", any_source, any_tag, nb::arg("status") = nb::none(),
                           "Blocking test for a matched message.");
    fastcall::def<&improbe>(comm, "improbe", any_source, any_tag, nb::arg("status") = nb::none(),
                            "Nonblocking test for a matched message.");

    const char *attach_doc = "Attach a user-provided buffer for sending in buffered mode.";
    const char *detach_doc = "Remove an existing attached buffer.";
    const char *flush_doc = "Block until all buffered messages have been transmitted.";
    const char *iflush_doc = "Nonblocking flush for buffered messages.";
    m.def(
        "Attach_buffer", [](nb::handle buf) { attach_buffer(BufferScope{}, buf); },
        nb::arg("buf").none(), attach_doc);
    m.def("Detach_buffer", [] { return detach_buffer(BufferScope{}); }, detach_doc);
    m.def("Flush_buffer", [] { flush_buffer(BufferScope{}); }, flush_doc);
    m.def("Iflush_buffer", [] { return iflush_buffer(BufferScope{}); }, iflush_doc);
    comm.def(
            "Attach_buffer",
            [](const Comm &self, nb::handle buf) { attach_buffer(buffer_scope(self), buf); },
            nb::arg("buf").none(), attach_doc)
        .def(
            "Detach_buffer", [](const Comm &self) { return detach_buffer(buffer_scope(self)); },
            detach_doc)
        .def(
            "Flush_buffer", [](const Comm &self) { flush_buffer(buffer_scope(self)); }, flush_doc)
        .def(
            "Iflush_buffer", [](const Comm &self) { return iflush_buffer(buffer_scope(self)); },
            iflush_doc);
}

}  // namespace mpipy

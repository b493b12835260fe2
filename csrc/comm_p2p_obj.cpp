// Point-to-point communication of Python objects (lowercase methods): blocking, nonblocking
// (irecv of any size, with no truncation), send-receive, matched probes and Message.recv.
#include "core/pickled.hpp"
#include "request.hpp"

#include <exception>
#include <utility>

namespace mpipy {

namespace {

// The error of a failed MPI_Waitall/Testall: the first failed request's, not ERR_IN_STATUS.
int first_error(int rc, const std::vector<MPI_Status> &statuses) {
    if (rc == MPI_ERR_IN_STATUS)
        for (const MPI_Status &st : statuses)
            if (st.MPI_ERROR != MPI_SUCCESS && st.MPI_ERROR != MPI_ERR_PENDING) return st.MPI_ERROR;
    return rc;
}

}  // namespace

// Complete requests (all of them, even after an error: their memory goes away next), while
// this process's pending object receives progress (see wait_progressing).
int wait_requests(std::vector<MPI_Request> &requests) {
    const int n = static_cast<int>(requests.size());
    std::vector<MPI_Status> st(requests.size());
    int rc = wait_progressing(
        [&](bool &done) {
            int flag = 0, rc = MPI_Testall(n, requests.data(), &flag, st.data());
            done = flag != 0;
            return rc;
        },
        [&] { return MPI_Waitall(n, requests.data(), st.data()); });
    rc = first_error(rc, st);
    for (MPI_Request &r : requests)
        if (r != MPI_REQUEST_NULL) MPI_Wait(&r, MPI_STATUS_IGNORE);  // pending after an error
    return rc;
}

// On failure, none of in's receives stays posted (their memory is in `in`).
int post_part_receives(IncomingObject &in, std::vector<MPI_Request> &requests) {
    const size_t first = requests.size();
    for (size_t i = 0; i < in.part_sizes.size(); ++i) {
        CallCount c(in.part_sizes[i], MPI_BYTE);
        requests.push_back(MPI_REQUEST_NULL);
        int rc = MPIPY_C(MPI_Irecv)(in.part_addrs[i], c.count, c.type, in.world_source, in.part_tag,
                                    parts_comm(), &requests.back());
        if (rc != MPI_SUCCESS) {
            for (size_t j = first; j < requests.size(); ++j)
                if (requests[j] != MPI_REQUEST_NULL) {
                    MPI_Cancel(&requests[j]);
                    MPI_Wait(&requests[j], MPI_STATUS_IGNORE);
                }
            requests.resize(first);
            return rc;
        }
    }
    return MPI_SUCCESS;
}

namespace {

enum class Mode { standard, buffered, synchronous };

int send_bytes(Mode mode, const void *data, MPI_Count size, int dest, int tag, MPI_Comm comm) {
    CallCount c(size, MPI_BYTE);
    switch (mode) {
    case Mode::buffered:
        return MPIPY_C(MPI_Bsend)(data, c.count, c.type, dest, tag, comm);
    case Mode::synchronous:
        return MPIPY_C(MPI_Ssend)(data, c.count, c.type, dest, tag, comm);
    default:
        return MPIPY_C(MPI_Send)(data, c.count, c.type, dest, tag, comm);
    }
}

int isend_bytes(Mode mode, const void *data, MPI_Count size, int dest, int tag, MPI_Comm comm,
                MPI_Request *r) {
    CallCount c(size, MPI_BYTE);
    switch (mode) {
    case Mode::buffered:
        return MPIPY_C(MPI_Ibsend)(data, c.count, c.type, dest, tag, comm, r);
    case Mode::synchronous:
        return MPIPY_C(MPI_Issend)(data, c.count, c.type, dest, tag, comm, r);
    default:
        return MPIPY_C(MPI_Isend)(data, c.count, c.type, dest, tag, comm, r);
    }
}

// MPI_Improbe for a receive emulated by mpipy (`self`; nullptr for a blocking recv, posted
// after all of them): a message that a receive posted earlier would match is left to it.
int improbe_in_order(MPI_Comm comm, int source, int tag, const RequestState *self, int *flag,
                     MPI_Message *msg, MPI_Status *status) {
    *flag = 0;
    if (!claimed_earlier(comm, MPI_ANY_SOURCE, MPI_ANY_TAG, self))
        return MPI_Improbe(source, tag, comm, flag, msg, status);
    MPI_Status peek;
    int found = 0;
    int rc = MPI_Iprobe(source, tag, comm, &found, &peek);
    if (rc != MPI_SUCCESS || !found) return rc;
    if (claimed_earlier(comm, peek.MPI_SOURCE, peek.MPI_TAG, self)) return MPI_SUCCESS;
    // The first message with this envelope is the one seen (messages do not overtake).
    return MPI_Improbe(peek.MPI_SOURCE, peek.MPI_TAG, comm, flag, msg, status);
}

// While receives of this process need mpipy to progress them, the first message and the parts
// go out as nonblocking sends completed together, so that the wait can progress those
// receives (the matching one of a send to this very process, for one).
void send_outgoing(const OutgoingObject &out, MPI_Comm comm, int dest, int tag, Mode mode) {
    const Mode part_mode = mode == Mode::buffered ? Mode::buffered : Mode::standard;
    if (!progress_pending()) {  // nothing to progress meanwhile: plain blocking sends
        int rc;
        {
            ReleaseGIL nogil;
            rc = send_bytes(mode, out.data, out.size, dest, tag, comm);
            for (size_t i = 0; rc == MPI_SUCCESS && i < out.parts.size(); ++i) {
                const Py_buffer &v = out.parts[i].view();
                rc =
                    send_bytes(part_mode, v.buf, v.len, out.world_dest, out.part_tag, parts_comm());
            }
        }
        check(rc);
        return;
    }
    std::vector<MPI_Request> requests(1, MPI_REQUEST_NULL);
    int rc = isend_bytes(mode, out.data, out.size, dest, tag, comm, &requests[0]);
    if (rc == MPI_SUCCESS)
        rc = post_part_sends(out, out.world_dest, requests, mode == Mode::buffered);
    const int wait_rc = wait_requests(requests);
    check(rc != MPI_SUCCESS ? rc : wait_rc);
}

void send_object(nb::handle obj, MPI_Comm comm, int dest, int tag, Mode mode) {
    reap_orphans();
    OutgoingObject out;
    pickle_outgoing(obj, comm, dest, out);
    send_outgoing(out, comm, dest, tag, mode);
}

// The first message, matched by msg, received into fresh bytes.
void receive_matched(IncomingObject &in, MPI_Message &msg, MPI_Count size, MPI_Status &st) {
    PyObject *bytes = PyBytes_FromStringAndSize(nullptr, size);
    if (!bytes) throw nb::python_error();
    in.data = nb::steal(bytes);
    in.bytes = PyBytes_AS_STRING(bytes);
    in.size = size;
    MPI_Request request = MPI_REQUEST_NULL;
    CallCount c(size, MPI_BYTE);
    check(MPIPY_C(MPI_Imrecv)(PyBytes_AS_STRING(bytes), c.count, c.type, &msg, &request));
    check(wait_request(request, &st));
}

void receive_parts(IncomingObject &in) {
    if (in.part_sizes.empty()) return;
    std::vector<MPI_Request> requests;
    check(post_part_receives(in, requests));
    check(wait_requests(requests));
}

nb::object finish_receive(IncomingObject &in, MPI_Comm comm, const MPI_Status &st) {
    if (st.MPI_SOURCE == MPI_PROC_NULL) return nb::none();
    in.parse(comm, st.MPI_SOURCE);
    receive_parts(in);
    return in.load();
}

// A receive buffer given for an object (deprecated, as in mpi4py, but accepted): a writable
// buffer, or an integer, the size of fresh bytes to receive into. Messages that do not fit
// are truncated (an MPI error), as they would be with MPI_Recv.
void object_receive_buffer(nb::handle buf, MessageBuffer &out, IncomingObject &in) {
    if (PyIndex_Check(buf.ptr()) && !PySequence_Check(buf.ptr())) {
        const Py_ssize_t n = PyNumber_AsSsize_t(buf.ptr(), PyExc_OverflowError);
        if (n == -1 && PyErr_Occurred()) throw nb::python_error();
        if (n < 0) throw nb::value_error("receive buffer size must be non-negative");
        PyObject *bytes = PyBytes_FromStringAndSize(nullptr, n);
        if (!bytes) throw nb::python_error();
        in.data = nb::steal(bytes);
        out.addr = PyBytes_AS_STRING(bytes);
        out.count = n;
        out.type = MPI_BYTE;
    } else {
        parse_message(buf, Access::write, out);
        in.data = nb::borrow(buf);
    }
    in.bytes = static_cast<const char *>(out.addr);
}

nb::object recv_object(MPI_Comm comm, nb::handle buf, int source, int tag, MPI_Status *out) {
    reap_orphans();
    MPI_Status st = status_for(out);
    IncomingObject in;
    MessageBuffer user;
    if (!buf.is_none() &&
        PyErr_WarnEx(PyExc_UserWarning, "the 'buf' argument is deprecated", 1) < 0)
        throw nb::python_error();
    if (buf.is_none()) {
        MPI_Message msg = MPI_MESSAGE_NULL;
        check(wait_progressing(
            [&](bool &done) {
                int flag = 0, rc = improbe_in_order(comm, source, tag, nullptr, &flag, &msg, &st);
                done = flag != 0;
                return rc;
            },
            [&] { return MPI_Mprobe(source, tag, comm, &msg, &st); }));
        receive_matched(in, msg, status_count(st, MPI_BYTE), st);
    } else {
        object_receive_buffer(buf, user, in);
        CallCount c(user.count, user.type);
        if (!progress_pending()) {
            int rc;
            {
                ReleaseGIL nogil;
                rc = MPIPY_C(MPI_Recv)(user.addr, c.count, c.type, source, tag, comm, &st);
            }
            check(rc);
        } else {
            MPI_Request request = MPI_REQUEST_NULL;
            check(MPIPY_C(MPI_Irecv)(user.addr, c.count, c.type, source, tag, comm, &request));
            check(wait_request(request, &st));
        }
        in.size = status_count(st, MPI_BYTE);
    }
    if (out != MPI_STATUS_IGNORE) *out = st;
    return finish_receive(in, comm, st);
}

// isend of an object with out-of-band parts: the first message's request is the Python
// request's handle, the parts' requests live here.
struct ObjectSend : RequestState {
    OutgoingObject out;
    std::vector<MPI_Request> parts;
    MPI_Status first = status_for(MPI_STATUS_IGNORE);  // the first message's, once complete
    bool multi_step() const override { return true; }
    bool advance(MPI_Request &h, bool blocking, MPI_Status &status) override {
        if (h != MPI_REQUEST_NULL) {
            first = status;  // what MPI leaves alone (MPI_ERROR) keeps the caller's value
            int flag = 1;
            check(blocking ? wait_request(h, &first) : MPI_Test(&h, &flag, &first));
            if (!flag) return false;
        }
        if (!parts.empty()) {
            if (blocking) {
                check(wait_requests(parts));
            } else {
                std::vector<MPI_Status> st(parts.size());
                int flag = 0;
                int rc =
                    MPI_Testall(static_cast<int>(parts.size()), parts.data(), &flag, st.data());
                check(first_error(rc, st));
                if (!flag) return false;
            }
            parts.clear();
        }
        status = first;
        return true;
    }
    // Not cancelled (MPI lets a send's cancellation fail): its parts are on their way already,
    // and MPIs cannot be relied on to cancel them (MPICH leaves a large one pending for ever),
    // so the object is delivered whole. (Called with a null handle, nothing is done either.)
    bool cancel(MPI_Request &h) override { return h != MPI_REQUEST_NULL; }
};

nb::object isend_object(nb::handle obj, MPI_Comm comm, int dest, int tag, Mode mode) {
    auto state = std::make_shared<ObjectSend>();
    OutgoingObject &out = state->out;
    pickle_outgoing(obj, comm, dest, out);
    MPI_Request h = MPI_REQUEST_NULL;
    check(isend_bytes(mode, out.data, out.size, dest, tag, comm, &h));
    if (out.parts.empty()) {  // one message: a plain request keeping the pickle alive
        auto plain = std::make_shared<RequestState>();
        plain->keep = out.stream;
        return make_request(h, std::move(plain), false);
    }
    check(post_part_sends(out, out.world_dest, state->parts, mode == Mode::buffered));
    return make_request(h, std::move(state), false);
}

// irecv / Message.irecv: probe (unless matched already), receive the first message, then the
// parts. Never truncates: the size comes from the probe. Until the parts are posted only mpipy
// moves it forward: in its own Test/Wait, and in any blocking wait of mpipy meanwhile (it is
// registered with add_pollable), so that a peer sending to it is never left waiting.
struct ObjectReceive : RequestState {
    enum class Phase { probe, first, parts, done } phase = Phase::probe;
    MPI_Comm comm = MPI_COMM_NULL;
    int source = MPI_ANY_SOURCE, tag = MPI_ANY_TAG;
    IncomingObject in;
    MessageBuffer user;  // irecv into a given buffer
    bool given_buffer = false;
    std::vector<MPI_Request> part_requests;
    MPI_Status first_status{};
    bool cancelled = false;
    std::exception_ptr deferred;  // an error met while polled, for the owner's next wait
    bool registered = false;      // with add_pollable: progress_pending() polls it

    bool multi_step() const override { return true; }
    bool needs_polling() const override { return phase == Phase::probe || phase == Phase::first; }

    // Start receiving a matched message of `size` bytes.
    void receive_first(MPI_Message &msg, MPI_Count size, MPI_Request &h) {
        PyObject *bytes = PyBytes_FromStringAndSize(nullptr, size);
        if (!bytes) throw nb::python_error();
        in.data = nb::steal(bytes);
        in.bytes = PyBytes_AS_STRING(bytes);
        in.size = size;
        CallCount c(size, MPI_BYTE);
        check(MPIPY_C(MPI_Imrecv)(PyBytes_AS_STRING(bytes), c.count, c.type, &msg, &h));
        phase = Phase::first;
    }

    // One pass through the phases; `blocking` waits inside MPI.
    bool step(MPI_Request &h, bool blocking, MPI_Status &status) {
        for (;;) {
            switch (phase) {
            case Phase::probe: {
                MPI_Message msg = MPI_MESSAGE_NULL;
                MPI_Status st;
                int flag = 1, rc;
                if (blocking) {
                    ReleaseGIL nogil;
                    rc = MPI_Mprobe(source, tag, comm, &msg, &st);
                } else {
                    rc = improbe_in_order(comm, source, tag, this, &flag, &msg, &st);
                }
                check(rc);
                if (!flag) return false;
                receive_first(msg, status_count(st, MPI_BYTE), h);
                break;
            }
            case Phase::first: {
                int flag = 1, rc;
                if (blocking) {
                    ReleaseGIL nogil;
                    rc = MPI_Wait(&h, &first_status);
                } else {
                    rc = MPI_Test(&h, &flag, &first_status);
                }
                check(rc);
                if (!flag) return false;
                int was_cancelled = 0;
                MPI_Test_cancelled(&first_status, &was_cancelled);
                cancelled |= was_cancelled != 0;
                if (cancelled || first_status.MPI_SOURCE == MPI_PROC_NULL) {
                    phase = Phase::done;
                    break;
                }
                if (given_buffer) in.size = status_count(first_status, MPI_BYTE);
                in.parse(comm, first_status.MPI_SOURCE);
                check(post_part_receives(in, part_requests));
                phase = Phase::parts;
                break;
            }
            case Phase::parts: {
                int flag = 1, rc;
                const int n = static_cast<int>(part_requests.size());
                if (blocking) {
                    ReleaseGIL nogil;
                    rc = MPI_Waitall(n, part_requests.data(), MPI_STATUSES_IGNORE);
                } else {
                    rc = MPI_Testall(n, part_requests.data(), &flag, MPI_STATUSES_IGNORE);
                }
                check(rc);
                if (!flag) return false;
                phase = Phase::done;
                break;
            }
            case Phase::done:
                status = first_status;
                return true;
            }
        }
    }

    // The handle lives in `handle` while advancing (polling this receive uses it there too).
    bool advance(MPI_Request &h, bool blocking, MPI_Status &status) override {
        handle = h;
        struct Sync {
            MPI_Request &h, &handle;
            ~Sync() { h = handle; }
        } sync{h, handle};
        try {
            for (;;) {
                // Registered receives, this one included, are polled in the order they were
                // posted: the earliest one that can match a message gets it, as in MPI.
                const bool others = progress_pending(this);
                if (deferred) std::rethrow_exception(std::exchange(deferred, nullptr));
                if (busy) {  // another thread is waiting on this very request
                    if (!blocking) return false;
                } else if (!(registered && needs_polling()) && step_busy(false, status)) {
                    return true;
                } else if (phase == Phase::done) {
                    return step_busy(false, status);
                } else if (!blocking) {
                    return false;
                } else if (!others && step_busy(true, status)) {
                    return true;
                }
                if (blocking && (others || busy)) {
                    ReleaseGIL nogil;
                    std::this_thread::yield();
                }
            }
        } catch (...) {
            fail();
            throw;
        }
    }

    bool step_busy(bool blocking, MPI_Status &status) {
        busy = true;
        struct Idle {
            bool &busy;
            ~Idle() { busy = false; }
        } idle{busy};
        return step(handle, blocking, status);
    }

    void poll() override {
        try {
            MPI_Status status;
            step_busy(false, status);
        } catch (...) {
            fail();
            deferred = std::current_exception();
        }
    }

    // After an error the receive is over (MPI freed what failed): it gives None from now on.
    void fail() {
        for (MPI_Request &r : part_requests)
            if (r != MPI_REQUEST_NULL) {
                MPI_Cancel(&r);
                MPI_Wait(&r, MPI_STATUS_IGNORE);
            }
        cancelled = true;
        phase = Phase::done;
    }

    bool claims(MPI_Comm c, int src, int t) const override {
        return phase == Phase::probe && c == comm &&
               (src == MPI_ANY_SOURCE || source == MPI_ANY_SOURCE || src == source) &&
               (t == MPI_ANY_TAG || tag == MPI_ANY_TAG || t == tag);
    }

    bool cancel(MPI_Request &) override {
        if (phase != Phase::probe) return false;  // posted: MPI_Cancel decides
        cancelled = true;
        phase = Phase::done;
        first_status.MPI_SOURCE = MPI_ANY_SOURCE;
        first_status.MPI_TAG = MPI_ANY_TAG;
        first_status.MPI_ERROR = MPI_SUCCESS;
        MPI_Status_set_cancelled(&first_status, 1);
        return true;
    }

    nb::object complete(const MPI_Status &) override {
        if (cancelled || first_status.MPI_SOURCE == MPI_PROC_NULL) return nb::none();
        return in.load();
    }
};

nb::object irecv_object(MPI_Comm comm, nb::handle buf, int source, int tag) {
    auto state = std::make_shared<ObjectReceive>();
    state->comm = comm;
    state->source = source;
    state->tag = tag;
    MPI_Request h = MPI_REQUEST_NULL;
    if (!buf.is_none()) {
        MessageBuffer &b = state->user;
        object_receive_buffer(buf, b, state->in);
        CallCount c(b.count, b.type);
        check(MPIPY_C(MPI_Irecv)(b.addr, c.count, c.type, source, tag, comm, &h));
        state->given_buffer = true;
        state->phase = ObjectReceive::Phase::first;
    } else {
        // Progress right away: a message already there is matched now.
        MPI_Status st;
        state->advance(h, false, st);
    }
    std::shared_ptr<ObjectReceive> shared = state;
    nb::object request = make_request(h, std::move(state), false);
    if (shared->needs_polling()) {
        add_pollable(shared);
        shared->registered = true;
    }
    return request;
}

template <Mode mode> void send_method(nb::handle self, nb::handle obj, int dest, int tag) {
    send_object(obj, self_as<Comm>(self).get(), dest, tag, mode);
}

template <Mode mode> nb::object isend_method(nb::handle self, nb::handle obj, int dest, int tag) {
    return isend_object(obj, self_as<Comm>(self).get(), dest, tag, mode);
}

Message &message_of(nb::handle self) {
    Message &msg = *nb::inst_ptr<Message>(self);
    require_active();
    if (msg.handle == MPI_MESSAGE_NULL) throw_null_handle(MPI_ERR_REQUEST, "Message");
    return msg;
}

}  // namespace

int post_part_sends(const OutgoingObject &out, int world_dest, std::vector<MPI_Request> &requests,
                    bool buffered) {
    for (const PinnedBuffer &part : out.parts) {
        const Py_buffer &v = part.view();
        requests.push_back(MPI_REQUEST_NULL);
        int rc = isend_bytes(buffered ? Mode::buffered : Mode::standard, v.buf, v.len, world_dest,
                             out.part_tag, parts_comm(), &requests.back());
        if (rc != MPI_SUCCESS) return rc;
    }
    return MPI_SUCCESS;
}

void send_pickled(const OutgoingObject &out, MPI_Comm comm, int dest, int tag) {
    send_outgoing(out, comm, dest, tag, Mode::standard);
}

nb::object recv_pickled(MPI_Comm comm, int source, int tag, MPI_Status *status) {
    return recv_object(comm, nb::none(), source, tag, status);
}

nb::object make_message(MPI_Message msg, MPI_Comm comm, const MPI_Status &status) {
    nb::object obj = new_handle<Message>(msg);
    Message *m = nb::inst_ptr<Message>(obj);
    m->comm = comm;
    m->source = status.MPI_SOURCE;
    m->size = status.MPI_SOURCE == MPI_PROC_NULL ? 0 : status_count(status, MPI_BYTE);
    return obj;
}

void bind_p2p_objects(nb::module_ &m, CommClasses &classes) {
    const auto any_source = nb::arg("source") = static_cast<int>(MPI_ANY_SOURCE);
    const auto any_tag = nb::arg("tag") = static_cast<int>(MPI_ANY_TAG);
    classes.comm
        .def("send", &send_method<Mode::standard>, nb::arg("obj").none(), nb::arg("dest"),
             nb::arg("tag") = 0, "Send in standard mode.")
        .def("bsend", &send_method<Mode::buffered>, nb::arg("obj").none(), nb::arg("dest"),
             nb::arg("tag") = 0, "Send in buffered mode.")
        .def("ssend", &send_method<Mode::synchronous>, nb::arg("obj").none(), nb::arg("dest"),
             nb::arg("tag") = 0, "Send in synchronous mode.")
        .def("isend", &isend_method<Mode::standard>, nb::arg("obj").none(), nb::arg("dest"),
             nb::arg("tag") = 0, "Nonblocking send.")
        .def("ibsend", &isend_method<Mode::buffered>, nb::arg("obj").none(), nb::arg("dest"),
             nb::arg("tag") = 0, "Nonblocking send in buffered mode.")
        .def("issend", &isend_method<Mode::synchronous>, nb::arg("obj").none(), nb::arg("dest"),
             nb::arg("tag") = 0, "Nonblocking send in synchronous mode.")
        .def(
            "recv",
            [](nb::handle self, nb::handle buf, int source, int tag, nb::handle status) {
                return recv_object(self_as<Comm>(self).get(), buf, source, tag, status_arg(status));
            },
            nb::arg("buf") = nb::none(), any_source, any_tag, nb::arg("status") = nb::none(),
            "Receive.")
        .def(
            "irecv",
            [](nb::handle self, nb::handle buf, int source, int tag) {
                return irecv_object(self_as<Comm>(self).get(), buf, source, tag);
            },
            nb::arg("buf") = nb::none(), any_source, any_tag, "Nonblocking receive.")
        .def(
            "sendrecv",
            [](const Comm &self, nb::handle sendobj, int dest, int sendtag, nb::handle recvbuf,
               int source, int recvtag, nb::handle status) {
                MPI_Comm comm = self.get();
                nb::object request = isend_object(sendobj, comm, dest, sendtag, Mode::standard);
                nb::object result = recv_object(comm, recvbuf, source, recvtag, status_arg(status));
                request.attr("Wait")();
                return result;
            },
            nb::arg("sendobj").none(), nb::arg("dest"), nb::arg("sendtag") = 0,
            nb::arg("recvbuf") = nb::none(), any_source,
            nb::arg("recvtag") = static_cast<int>(MPI_ANY_TAG), nb::arg("status") = nb::none(),
            "Send and receive.")
        .def(
            "probe",
            [](nb::handle self, int source, int tag, nb::handle status) {
                return self.attr("Probe")(source, tag, status);
            },
            any_source, any_tag, nb::arg("status") = nb::none(), "Blocking test for a message.")
        .def(
            "iprobe",
            [](nb::handle self, int source, int tag, nb::handle status) {
                return self.attr("Iprobe")(source, tag, status);
            },
            any_source, any_tag, nb::arg("status") = nb::none(), "Nonblocking test for a message.")
        .def(
            "mprobe",
            [](nb::handle self, int source, int tag, nb::handle status) {
                return self.attr("Mprobe")(source, tag, status);
            },
            any_source, any_tag, nb::arg("status") = nb::none(),
            "Blocking test for a matched message.")
        .def(
            "improbe",
            [](nb::handle self, int source, int tag, nb::handle status) {
                return self.attr("Improbe")(source, tag, status);
            },
            any_source, any_tag, nb::arg("status") = nb::none(),
            "Nonblocking test for a matched message.");

    nb::handle message = nb::type<Message>();
    nb::setattr(message, "recv",
                nb::cpp_function(
                    [](nb::handle self, nb::handle status) {
                        Message &msg = message_of(self);
                        MPI_Status st = status_for(status_arg(status));
                        IncomingObject in;
                        MPI_Message h = msg.handle;
                        MPI_Comm comm = msg.comm;
                        receive_matched(in, h, msg.size, st);
                        msg.consumed(h);
                        if (!status.is_none()) *status_arg(status) = st;
                        return finish_receive(in, comm, st);
                    },
                    nb::is_method(), nb::name("recv"), nb::scope(message),
                    nb::arg("status") = nb::none(), "Blocking receive of matched message."));
    nb::setattr(message, "irecv",
                nb::cpp_function(
                    [](nb::handle self) {
                        Message &msg = message_of(self);
                        auto state = std::make_shared<ObjectReceive>();
                        state->comm = msg.comm;
                        MPI_Request h = MPI_REQUEST_NULL;
                        MPI_Message mh = msg.handle;
                        state->receive_first(mh, msg.size, h);
                        msg.consumed(mh);
                        std::shared_ptr<ObjectReceive> shared = state;
                        nb::object request = make_request(h, std::move(state), false);
                        add_pollable(shared);
                        shared->registered = true;
                        return request;
                    },
                    nb::is_method(), nb::name("irecv"), nb::scope(message),
                    "Nonblocking receive of matched message."));
    nb::setattr(message, "probe",
                nb::cpp_function(
                    [](nb::handle comm, int source, int tag, nb::handle status) {
                        if (!nb::isinstance<Comm>(comm))
                            throw nb::type_error("comm must be an MPI.Comm");
                        return comm.attr("Mprobe")(source, tag, status);
                    },
                    nb::name("probe"), nb::scope(message), nb::arg("comm"), any_source, any_tag,
                    nb::arg("status") = nb::none(), "Blocking test for a matched message."));
    nb::setattr(message, "probe",
                nb::module_::import_("builtins").attr("staticmethod")(message.attr("probe")));
    nb::setattr(message, "iprobe",
                nb::cpp_function(
                    [](nb::handle comm, int source, int tag, nb::handle status) {
                        if (!nb::isinstance<Comm>(comm))
                            throw nb::type_error("comm must be an MPI.Comm");
                        return comm.attr("Improbe")(source, tag, status);
                    },
                    nb::name("iprobe"), nb::scope(message), nb::arg("comm"), any_source, any_tag,
                    nb::arg("status") = nb::none(), "Nonblocking test for a matched message."));
    nb::setattr(message, "iprobe",
                nb::module_::import_("builtins").attr("staticmethod")(message.attr("iprobe")));
    (void)m;
}

}  // namespace mpipy

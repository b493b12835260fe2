// Point-to-point communication of Python objects (lowercase methods): blocking, nonblocking
// (irecv of any size, with no truncation), send-receive, matched probes and Message.recv.
#include "pickled.hpp"
#include "request.hpp"

namespace mpipy {

namespace {

enum class Mode { standard, buffered, synchronous };

int send_bytes(Mode mode, const void *data, MPI_Count size, int dest, int tag, MPI_Comm comm) {
    CallCount c(size, MPI_BYTE);
    switch (mode) {
    case Mode::buffered: return MPIPY_C(MPI_Bsend)(data, c.count, c.type, dest, tag, comm);
    case Mode::synchronous: return MPIPY_C(MPI_Ssend)(data, c.count, c.type, dest, tag, comm);
    default: return MPIPY_C(MPI_Send)(data, c.count, c.type, dest, tag, comm);
    }
}

int isend_bytes(Mode mode, const void *data, MPI_Count size, int dest, int tag, MPI_Comm comm,
                MPI_Request *r) {
    CallCount c(size, MPI_BYTE);
    switch (mode) {
    case Mode::buffered: return MPIPY_C(MPI_Ibsend)(data, c.count, c.type, dest, tag, comm, r);
    case Mode::synchronous: return MPIPY_C(MPI_Issend)(data, c.count, c.type, dest, tag, comm, r);
    default: return MPIPY_C(MPI_Isend)(data, c.count, c.type, dest, tag, comm, r);
    }
}

void send_object(nb::handle obj, MPI_Comm comm, int dest, int tag, Mode mode) {
    reap_orphans();  // dropped object requests progress only when mpipy polls them
    OutgoingObject out;
    pickle_outgoing(obj, comm, dest, out);
    int rc;
    {
        nb::gil_scoped_release nogil;
        rc = send_bytes(mode, out.data, out.size, dest, tag, comm);
        const Mode part_mode = mode == Mode::buffered ? Mode::buffered : Mode::standard;
        for (size_t i = 0; rc == MPI_SUCCESS && i < out.parts.size(); ++i) {
            const Py_buffer &v = out.parts[i].view();
            rc = send_bytes(part_mode, v.buf, v.len, out.world_dest, out.part_tag, parts_comm());
        }
    }
    check(rc);
}

// The first message, matched by msg, received into fresh bytes.
void receive_matched(IncomingObject &in, MPI_Message &msg, MPI_Count size, MPI_Status &st) {
    PyObject *bytes = PyBytes_FromStringAndSize(nullptr, size);
    if (!bytes) throw nb::python_error();
    in.data = nb::steal(bytes);
    in.bytes = PyBytes_AS_STRING(bytes);
    in.size = size;
    int rc;
    {
        nb::gil_scoped_release nogil;
        CallCount c(size, MPI_BYTE);
        rc = MPIPY_C(MPI_Mrecv)(PyBytes_AS_STRING(bytes), c.count, c.type, &msg, &st);
    }
    check(rc);
}

int post_parts(IncomingObject &in, std::vector<MPI_Request> &requests) {
    requests.assign(in.part_sizes.size(), MPI_REQUEST_NULL);
    for (size_t i = 0; i < in.part_sizes.size(); ++i) {
        CallCount c(in.part_sizes[i], MPI_BYTE);
        int rc = MPIPY_C(MPI_Irecv)(in.part_addrs[i], c.count, c.type, in.world_source,
                                    in.part_tag, parts_comm(), &requests[i]);
        if (rc != MPI_SUCCESS) return rc;
    }
    return MPI_SUCCESS;
}

void receive_parts(IncomingObject &in) {
    if (in.part_sizes.empty()) return;
    std::vector<MPI_Request> requests;
    check(post_parts(in, requests));
    int rc;
    {
        nb::gil_scoped_release nogil;
        rc = MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE);
    }
    check(rc);
}

nb::object finish_receive(IncomingObject &in, MPI_Comm comm, const MPI_Status &st) {
    if (st.MPI_SOURCE == MPI_PROC_NULL) return nb::none();
    in.parse(comm, st.MPI_SOURCE);
    receive_parts(in);
    return in.load();
}

nb::object recv_object(MPI_Comm comm, nb::handle buf, int source, int tag, MPI_Status *out) {
    reap_orphans();
    MPI_Status st = status_for(out);
    IncomingObject in;
    MessageBuffer user;
    if (buf.is_none()) {
        MPI_Message msg = MPI_MESSAGE_NULL;
        int rc;
        {
            nb::gil_scoped_release nogil;
            rc = MPI_Mprobe(source, tag, comm, &msg, &st);
        }
        check(rc);
        receive_matched(in, msg, status_count(st, MPI_BYTE), st);
    } else {
        parse_message(buf, Access::write, user);
        int rc;
        {
            nb::gil_scoped_release nogil;
            CallCount c(user.count, user.type);
            rc = MPIPY_C(MPI_Recv)(user.addr, c.count, c.type, source, tag, comm, &st);
        }
        check(rc);
        in.data = nb::borrow(buf);
        in.bytes = static_cast<const char *>(user.addr);
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
    bool multi_step() const override { return true; }
    bool advance(MPI_Request &h, bool blocking, MPI_Status &status) override {
        std::vector<MPI_Request> all(parts);
        all.push_back(h);
        std::vector<MPI_Status> st(all.size());
        int flag = 1, rc;
        if (blocking) {
            nb::gil_scoped_release nogil;
            rc = MPI_Waitall(static_cast<int>(all.size()), all.data(), st.data());
        } else {
            rc = MPI_Testall(static_cast<int>(all.size()), all.data(), &flag, st.data());
        }
        h = all.back();
        all.pop_back();
        parts = all;
        check(rc);
        if (flag) status = st.back();
        return flag != 0;
    }
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
    const Mode part_mode = mode == Mode::buffered ? Mode::buffered : Mode::standard;
    state->parts.assign(out.parts.size(), MPI_REQUEST_NULL);
    for (size_t i = 0; i < out.parts.size(); ++i) {
        const Py_buffer &v = out.parts[i].view();
        check(isend_bytes(part_mode, v.buf, v.len, out.world_dest, out.part_tag, parts_comm(),
                          &state->parts[i]));
    }
    return make_request(h, std::move(state), false);
}

// irecv / Message.irecv: probe (unless matched already), receive the first message, then the
// parts; progresses in Test/Wait. Never truncates: the size comes from the probe.
struct ObjectReceive : RequestState {
    enum class Phase { probe, first, parts, done } phase = Phase::probe;
    MPI_Comm comm = MPI_COMM_NULL;
    int source = MPI_ANY_SOURCE, tag = MPI_ANY_TAG;
    IncomingObject in;
    MessageBuffer user;  // irecv into a given buffer
    std::vector<MPI_Request> part_requests;
    MPI_Status first_status{};
    bool cancelled = false;

    bool multi_step() const override { return true; }

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

    bool advance(MPI_Request &h, bool blocking, MPI_Status &status) override {
        for (;;) {
            switch (phase) {
            case Phase::probe: {
                MPI_Message msg = MPI_MESSAGE_NULL;
                MPI_Status st;
                int flag = 1, rc;
                if (blocking) {
                    nb::gil_scoped_release nogil;
                    rc = MPI_Mprobe(source, tag, comm, &msg, &st);
                } else {
                    rc = MPI_Improbe(source, tag, comm, &flag, &msg, &st);
                }
                check(rc);
                if (!flag) return false;
                receive_first(msg, status_count(st, MPI_BYTE), h);
                break;
            }
            case Phase::first: {
                int flag = 1, rc;
                if (blocking) {
                    nb::gil_scoped_release nogil;
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
                if (!user.pinned.empty()) in.size = status_count(first_status, MPI_BYTE);
                in.parse(comm, first_status.MPI_SOURCE);
                check(post_parts(in, part_requests));
                phase = Phase::parts;
                break;
            }
            case Phase::parts: {
                int flag = 1, rc;
                const int n = static_cast<int>(part_requests.size());
                if (blocking) {
                    nb::gil_scoped_release nogil;
                    rc = MPI_Waitall(n, part_requests.data(), MPI_STATUSES_IGNORE);
                } else {
                    rc = MPI_Testall(n, part_requests.data(), &flag, MPI_STATUSES_IGNORE);
                }
                check(rc);
                if (!flag) return false;
                phase = Phase::done;
                break;
            }
            case Phase::done: status = first_status; return true;
            }
        }
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
        parse_message(buf, Access::write, state->user);
        MessageBuffer &b = state->user;
        CallCount c(b.count, b.type);
        check(MPIPY_C(MPI_Irecv)(b.addr, c.count, c.type, source, tag, comm, &h));
        state->in.data = nb::borrow(buf);
        state->in.bytes = static_cast<const char *>(b.addr);
        state->phase = ObjectReceive::Phase::first;
    } else {
        // Progress right away: a message already there is matched now.
        MPI_Status st;
        state->advance(h, false, st);
    }
    return make_request(h, std::move(state), false);
}

template <Mode mode> void send_method(const Comm &self, nb::handle obj, int dest, int tag) {
    send_object(obj, self.get(), dest, tag, mode);
}

template <Mode mode> nb::object isend_method(const Comm &self, nb::handle obj, int dest, int tag) {
    return isend_object(obj, self.get(), dest, tag, mode);
}

Message &message_of(nb::handle self) {
    Message &msg = *nb::inst_ptr<Message>(self);
    require_active();
    if (msg.handle == MPI_MESSAGE_NULL) throw_null_handle(MPI_ERR_REQUEST, "Message");
    return msg;
}

} // namespace

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
            [](const Comm &self, nb::handle buf, int source, int tag, nb::handle status) {
                return recv_object(self.get(), buf, source, tag, status_arg(status));
            },
            nb::arg("buf") = nb::none(), any_source, any_tag, nb::arg("status") = nb::none(),
            "Receive.")
        .def(
            "irecv",
            [](const Comm &self, nb::handle buf, int source, int tag) {
                return irecv_object(self.get(), buf, source, tag);
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
            "probe", [](nb::handle self, int source, int tag, nb::handle status) {
                return self.attr("Probe")(source, tag, status);
            },
            any_source, any_tag, nb::arg("status") = nb::none(), "Blocking test for a message.")
        .def(
            "iprobe", [](nb::handle self, int source, int tag, nb::handle status) {
                return self.attr("Iprobe")(source, tag, status);
            },
            any_source, any_tag, nb::arg("status") = nb::none(),
            "Nonblocking test for a message.")
        .def(
            "mprobe", [](nb::handle self, int source, int tag, nb::handle status) {
                return self.attr("Mprobe")(source, tag, status);
            },
            any_source, any_tag, nb::arg("status") = nb::none(),
            "Blocking test for a matched message.")
        .def(
            "improbe", [](nb::handle self, int source, int tag, nb::handle status) {
                return self.attr("Improbe")(source, tag, status);
            },
            any_source, any_tag, nb::arg("status") = nb::none(),
            "Nonblocking test for a matched message.");

    nb::handle message = nb::type<Message>();
    nb::setattr(message, "recv", nb::cpp_function(
        [](nb::handle self, nb::handle status) {
            Message &msg = message_of(self);
            MPI_Status st = status_for(status_arg(status));
            IncomingObject in;
            MPI_Message h = msg.handle;
            MPI_Comm comm = msg.comm;
            receive_matched(in, h, msg.size, st);
            msg.handle = h;
            if (!status.is_none()) *status_arg(status) = st;
            return finish_receive(in, comm, st);
        },
        nb::is_method(), nb::name("recv"), nb::scope(message), nb::arg("status") = nb::none(),
        "Blocking receive of matched message."));
    nb::setattr(message, "irecv", nb::cpp_function(
        [](nb::handle self) {
            Message &msg = message_of(self);
            auto state = std::make_shared<ObjectReceive>();
            state->comm = msg.comm;
            MPI_Request h = MPI_REQUEST_NULL;
            MPI_Message mh = msg.handle;
            state->receive_first(mh, msg.size, h);
            msg.handle = mh;
            return make_request(h, std::move(state), false);
        },
        nb::is_method(), nb::name("irecv"), nb::scope(message),
        "Nonblocking receive of matched message."));
    nb::setattr(message, "probe", nb::cpp_function(
        [](nb::handle comm, int source, int tag, nb::handle status) {
            if (!nb::isinstance<Comm>(comm)) throw nb::type_error("comm must be an MPI.Comm");
            return comm.attr("Mprobe")(source, tag, status);
        },
        nb::name("probe"), nb::scope(message), nb::arg("comm"), any_source, any_tag,
        nb::arg("status") = nb::none(), "Blocking test for a matched message."));
    nb::setattr(message, "probe", nb::module_::import_("builtins").attr("staticmethod")(message.attr("probe")));
    nb::setattr(message, "iprobe", nb::cpp_function(
        [](nb::handle comm, int source, int tag, nb::handle status) {
            if (!nb::isinstance<Comm>(comm)) throw nb::type_error("comm must be an MPI.Comm");
            return comm.attr("Improbe")(source, tag, status);
        },
        nb::name("iprobe"), nb::scope(message), nb::arg("comm"), any_source, any_tag,
        nb::arg("status") = nb::none(), "Nonblocking test for a matched message."));
    nb::setattr(message, "iprobe", nb::module_::import_("builtins").attr("staticmethod")(message.attr("iprobe")));
    (void)m;
}

} // namespace mpipy

// The transport (see transport.hpp): the private communicator for out-of-band parts, the parts'
// traffic, and the point-to-point transport of objects, blocking and nonblocking.
#include "transport.hpp"

#include <exception>
#include <memory>
#include <utility>

namespace mpipy {

namespace {

// ---------------------------------------------------------------------------------------------
// The private communicator and the world ranks of each communicator's peers (cached on it).

MPI_Comm private_world = MPI_COMM_NULL;
int private_tag_ub = 32767;
std::atomic<unsigned> next_part_tag{0};
int rank_map_keyval = MPI_KEYVAL_INVALID;

struct RankMap {
    bool inter = false;
    std::vector<int> local, remote;  // world rank of each rank of the local/remote group
};

int rank_map_delete(MPI_Comm, int, void *value, void *) {
    delete static_cast<RankMap *>(value);
    return MPI_SUCCESS;
}

std::vector<int> to_world(MPI_Group group) {
    int n = 0;
    check(MPI_Group_size(group, &n));
    std::vector<int> ranks(n), world(n);
    for (int i = 0; i < n; ++i) ranks[i] = i;
    MPI_Group world_group;
    check(MPI_Comm_group(MPI_COMM_WORLD, &world_group));
    int rc = MPI_Group_translate_ranks(group, n, ranks.data(), world_group, world.data());
    MPI_Group_free(&world_group);
    check(rc);
    return world;
}

const RankMap &rank_map(MPI_Comm comm) {
    RankMap *map = nullptr;
    int flag = 0;
    check(MPI_Comm_get_attr(comm, rank_map_keyval, &map, &flag));
    if (flag) return *map;
    auto fresh = std::make_unique<RankMap>();
    int inter = 0;
    check(MPI_Comm_test_inter(comm, &inter));
    fresh->inter = inter != 0;
    MPI_Group group;
    check(MPI_Comm_group(comm, &group));
    fresh->local = to_world(group);
    MPI_Group_free(&group);
    if (inter) {
        check(MPI_Comm_remote_group(comm, &group));
        fresh->remote = to_world(group);
        MPI_Group_free(&group);
    }
    check(MPI_Comm_set_attr(comm, rank_map_keyval, fresh.get()));
    return *fresh.release();
}

}  // namespace

int world_rank_of_peer(MPI_Comm comm, int rank) {
    if (private_world == MPI_COMM_NULL || rank < 0) return MPI_UNDEFINED;
    if (comm == MPI_COMM_WORLD) return rank;
    const RankMap &map = rank_map(comm);
    const std::vector<int> &ranks = map.inter ? map.remote : map.local;
    return rank < static_cast<int>(ranks.size()) ? ranks[rank] : MPI_UNDEFINED;
}

bool parts_reach_all(MPI_Comm comm) {
    if (private_world == MPI_COMM_NULL) return false;
    if (comm == MPI_COMM_WORLD) return true;
    const RankMap &map = rank_map(comm);
    for (const std::vector<int> *ranks : {&map.local, &map.remote})
        for (int r : *ranks)
            if (r == MPI_UNDEFINED) return false;
    return true;
}

MPI_Comm parts_comm() { return private_world; }

int new_part_tag() {
    return 1 + static_cast<int>(next_part_tag.fetch_add(1) % unsigned(private_tag_ub));
}

void transport_after_init() {
    if (private_world != MPI_COMM_NULL) return;
    check(
        MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, rank_map_delete, &rank_map_keyval, nullptr));
    check(MPI_Comm_dup(MPI_COMM_WORLD, &private_world));
    MPI_Comm_set_errhandler(private_world, MPI_ERRORS_RETURN);
    check(MPI_Comm_set_name(private_world, "mpipy-private"));
    int *ub = nullptr, flag = 0;
    check(MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &ub, &flag));
    if (flag && ub) private_tag_ub = *ub;
}

void transport_before_finalize() {
    if (private_world != MPI_COMM_NULL) MPI_Comm_free(&private_world);
    private_world = MPI_COMM_NULL;
    if (rank_map_keyval != MPI_KEYVAL_INVALID) MPI_Comm_free_keyval(&rank_map_keyval);
}

// ---------------------------------------------------------------------------------------------
// PartTraffic

PartTraffic::~PartTraffic() {
    if (!requests_.empty() && mpi_usable()) wait_requests(requests_);
}

void PartTraffic::cancel() {
    for (MPI_Request &r : requests_)
        if (r != MPI_REQUEST_NULL) {
            MPI_Cancel(&r);
            MPI_Wait(&r, MPI_STATUS_IGNORE);
        }
    requests_.clear();
}

void PartTraffic::send_parts(const OutgoingObject &out, int world_dest, bool buffered) {
    const SendMode mode = buffered ? SendMode::buffered : SendMode::standard;
    for (const PinnedBuffer &part : out.parts) {
        const Py_buffer &v = part.view();
        requests_.push_back(MPI_REQUEST_NULL);
        check(post_send(mode, Posting::nonblocking, v.buf, v.len, MPI_BYTE, world_dest,
                        out.part_tag, parts_comm(), &requests_.back()));
    }
}

void PartTraffic::receive_parts(IncomingObject &in) {
    const size_t first = requests_.size();
    for (size_t i = 0; i < in.part_sizes.size(); ++i) {
        CallCount c(in.part_sizes[i], MPI_BYTE);
        requests_.push_back(MPI_REQUEST_NULL);
        int rc = MPIPY_C(MPI_Irecv)(in.part_addrs[i], c.count, c.type, in.world_source, in.part_tag,
                                    parts_comm(), &requests_.back());
        if (rc != MPI_SUCCESS) {  // their memory is in `in`: none may stay posted
            for (size_t j = first; j < requests_.size(); ++j)
                if (requests_[j] != MPI_REQUEST_NULL) {
                    MPI_Cancel(&requests_[j]);
                    MPI_Wait(&requests_[j], MPI_STATUS_IGNORE);
                }
            requests_.resize(first);
            check(rc);
        }
    }
}

void PartTraffic::send_stream(const OutgoingObject &out, MPI_Comm comm, int dest, int tag) {
    requests_.push_back(MPI_REQUEST_NULL);
    check(post_send(SendMode::standard, Posting::nonblocking, out.data, out.size, MPI_BYTE,
                    world_rank_of_peer(comm, dest), tag, parts_comm(), &requests_.back()));
}

void PartTraffic::receive_stream(char *data, MPI_Count size, MPI_Comm comm, int source, int tag) {
    CallCount c(size, MPI_BYTE);
    requests_.push_back(MPI_REQUEST_NULL);
    check(MPIPY_C(MPI_Irecv)(data, c.count, c.type, world_rank_of_peer(comm, source), tag,
                             parts_comm(), &requests_.back()));
}

bool PartTraffic::complete(bool blocking) {
    if (requests_.empty()) return true;
    int rc;
    if (blocking) {
        rc = wait_requests(requests_);
    } else {
        std::vector<MPI_Status> statuses(requests_.size());
        bool done = false;
        rc = complete_all(static_cast<int>(requests_.size()), requests_.data(), statuses.data(),
                          false, done);
        if (rc == MPI_SUCCESS && !done) return false;
        if (rc != MPI_SUCCESS) wait_requests(requests_);  // nothing stays pending
    }
    requests_.clear();
    check(rc);
    return true;
}

// ---------------------------------------------------------------------------------------------
// Objects, point to point.

// While receives of this process need mpipy to progress them, the first message and the parts
// go out as nonblocking sends completed together, so that the wait can progress those
// receives (the matching one of a send to this very process, for one).
void send_pickled(const OutgoingObject &out, MPI_Comm comm, int dest, int tag, SendMode mode) {
    const bool buffered = mode == SendMode::buffered;
    if (!must_poll()) {  // nothing to progress meanwhile: plain blocking sends
        int rc;
        {
            ReleaseGIL nogil;
            rc = post_send(mode, Posting::blocking, out.data, out.size, MPI_BYTE, dest, tag, comm);
            for (size_t i = 0; rc == MPI_SUCCESS && i < out.parts.size(); ++i) {
                const Py_buffer &v = out.parts[i].view();
                rc =
                    post_send(buffered ? SendMode::buffered : SendMode::standard, Posting::blocking,
                              v.buf, v.len, MPI_BYTE, out.world_dest, out.part_tag, parts_comm());
            }
        }
        check(rc);
        return;
    }
    PartTraffic traffic;
    MPI_Request first = MPI_REQUEST_NULL;
    check(post_send(mode, Posting::nonblocking, out.data, out.size, MPI_BYTE, dest, tag, comm,
                    &first));
    traffic.add(first);
    traffic.send_parts(out, out.world_dest, buffered);
    traffic.finish();
}

void send_object(nb::handle obj, MPI_Comm comm, int dest, int tag, SendMode mode) {
    reap_orphans();
    OutgoingObject out;
    pickle_outgoing(obj, comm, dest, out);
    send_pickled(out, comm, dest, tag, mode);
}

namespace {

// Room for a small object's message on the stack of a blocking receive: its object is made
// straight from there, with no bytes object in between.
struct Scratch {
    char data[256];
};

// The first message, matched by msg, received into `scratch` if given and large enough, else
// into fresh bytes.
void receive_matched(IncomingObject &in, MPI_Message &msg, MPI_Count size, MPI_Status &st,
                     Scratch *scratch = nullptr) {
    char *data;
    if (scratch && size <= static_cast<MPI_Count>(sizeof scratch->data)) {
        data = scratch->data;
    } else {
        PyObject *bytes = PyBytes_FromStringAndSize(nullptr, size);
        if (!bytes) throw nb::python_error();
        in.data = nb::steal(bytes);
        data = PyBytes_AS_STRING(bytes);
    }
    in.bytes = data;
    in.size = size;
    CallCount c(size, MPI_BYTE);
    check(block_or_poll(
        [&] { return MPIPY_C(MPI_Mrecv)(data, c.count, c.type, &msg, &st); },
        [&](MPI_Request *r) { return MPIPY_C(MPI_Imrecv)(data, c.count, c.type, &msg, r); }, &st));
}

void receive_parts(IncomingObject &in) {
    if (in.part_sizes.empty()) return;
    PartTraffic traffic;
    traffic.receive_parts(in);
    traffic.finish();
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

}  // namespace

nb::object recv_object(MPI_Comm comm, nb::handle buf, int source, int tag, MPI_Status *out) {
    reap_orphans();
    MPI_Status st = status_for(out);
    Scratch scratch;
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
        receive_matched(in, msg, status_count(st, MPI_BYTE), st, &scratch);
    } else {
        object_receive_buffer(buf, user, in);
        CallCount c(user.count, user.type);
        check(block_or_poll(
            [&] { return MPIPY_C(MPI_Recv)(user.addr, c.count, c.type, source, tag, comm, &st); },
            [&](MPI_Request *r) {
                return MPIPY_C(MPI_Irecv)(user.addr, c.count, c.type, source, tag, comm, r);
            },
            &st));
        in.size = status_count(st, MPI_BYTE);
    }
    if (out != MPI_STATUS_IGNORE) *out = st;
    return finish_receive(in, comm, st);
}

namespace {

// isend of an object with out-of-band parts: the first message's request is the Python
// request's handle, the parts' requests live here.
struct ObjectSend : RequestState {
    OutgoingObject out;
    PartTraffic parts;
    MPI_Status first = status_for(MPI_STATUS_IGNORE);  // the first message's, once complete
    bool multi_step() const override { return true; }
    bool advance(MPI_Request &h, bool blocking, MPI_Status &status) override {
        if (h != MPI_REQUEST_NULL) {
            first = status;  // what MPI leaves alone (MPI_ERROR) keeps the caller's value
            int flag = 1;
            check(blocking ? wait_request(h, &first) : MPI_Test(&h, &flag, &first));
            if (!flag) return false;
        }
        if (!parts.complete(blocking)) return false;
        status = first;
        return true;
    }
    // Not cancelled (MPI lets a send's cancellation fail): its parts are on their way already,
    // and MPIs cannot be relied on to cancel them (MPICH leaves a large one pending for ever),
    // so the object is delivered whole. (Called with a null handle, nothing is done either.)
    bool cancel(MPI_Request &h) override { return h != MPI_REQUEST_NULL; }
};

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
    PartTraffic parts;
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
                parts.receive_parts(in);
                phase = Phase::parts;
                break;
            }
            case Phase::parts:
                if (!parts.complete(blocking)) return false;
                phase = Phase::done;
                break;
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
            PollPause pause;
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
                } else if (!others && !wait_with_backoff && step_busy(true, status)) {
                    return true;
                }
                if (blocking && (others || busy || wait_with_backoff)) pause();
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
        parts.cancel();
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

// Register a receive that must find its message first with the progress engine.
nb::object pollable_request(MPI_Request h, std::shared_ptr<ObjectReceive> state) {
    std::shared_ptr<ObjectReceive> shared = state;
    nb::object request = make_request(h, std::move(state), false);
    if (shared->needs_polling()) {
        add_pollable(shared);
        shared->registered = true;
    }
    return request;
}

}  // namespace

nb::object isend_object(nb::handle obj, MPI_Comm comm, int dest, int tag, SendMode mode) {
    OutgoingObject out;
    pickle_outgoing(obj, comm, dest, out);
    MPI_Request h = MPI_REQUEST_NULL;
    check(post_send(mode, Posting::nonblocking, out.data, out.size, MPI_BYTE, dest, tag, comm, &h));
    if (out.parts.empty()) {  // one message: a plain request keeping the pickle alive
        auto plain = new_request_state();
        plain->keep = std::move(out.stream);
        return make_request(h, std::move(plain), false);
    }
    auto state = new_request_state<ObjectSend>();
    state->out = std::move(out);  // (the stream's bytes, which MPI reads, do not move)
    state->parts.send_parts(state->out, state->out.world_dest, mode == SendMode::buffered);
    return make_request(h, std::move(state), false);
}

nb::object irecv_object(MPI_Comm comm, nb::handle buf, int source, int tag) {
    auto state = new_request_state<ObjectReceive>();
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
    return pollable_request(h, std::move(state));
}

nb::object recv_matched_object(Message &msg, MPI_Status *status) {
    MPI_Status st = status_for(status);
    Scratch scratch;
    IncomingObject in;
    MPI_Message h = msg.handle;
    MPI_Comm comm = msg.comm;
    receive_matched(in, h, msg.size, st, &scratch);
    msg.consumed(h);
    if (status != MPI_STATUS_IGNORE) *status = st;
    return finish_receive(in, comm, st);
}

nb::object irecv_matched_object(Message &msg) {
    auto state = new_request_state<ObjectReceive>();
    state->comm = msg.comm;
    MPI_Request h = MPI_REQUEST_NULL;
    MPI_Message mh = msg.handle;
    state->receive_first(mh, msg.size, h);
    msg.consumed(mh);
    return pollable_request(h, std::move(state));
}

}  // namespace mpipy

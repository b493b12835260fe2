// Collective communication of Python objects (lowercase methods). Small pickle streams ride in
// fixed-size slots of one MPI collective; larger ones follow (see Slot); large buffers travel
// out of band, zero-copy, after them (broadcasts for bcast, the transport's PartTraffic on the
// private communicator otherwise). Reductions and scans combine with the Python-level operation
// over a binomial tree / recursive doubling on a private communicator (a duplicate of an
// intracommunicator, the merge of an intercommunicator), created at the first object reduction
// (a collective call) and freed with the user's communicator. Like mpi4py, every process gets
// its own copy of what it receives, the root too.
#include "core/transport.hpp"

#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

namespace mpipy {

namespace {

// ---------------------------------------------------------------------------------------------
// Byte payloads (in band).

nb::object dumps_bytes(nb::handle obj) {
    OutgoingObject out;
    pickle_object(obj, false, out);
    return out.stream;
}

// An uninitialized bytes object of n bytes (a receive buffer) and its data.
nb::object byte_buffer(MPI_Count n, char *&data) {
    PyObject *bytes = PyBytes_FromStringAndSize(nullptr, n);
    if (!bytes) throw nb::python_error();
    data = PyBytes_AS_STRING(bytes);
    return nb::steal(bytes);
}

// A copy of a pickled object, as a receiver would get it: unpickled, with its parts copied.
nb::object load_copy(const OutgoingObject &out) {
    IncomingObject in;
    in.data = out.stream;
    in.bytes = out.data;
    in.size = out.size;
    in.parse(MPI_COMM_NULL, 0);
    for (size_t i = 0; i < in.part_addrs.size(); ++i)
        std::memcpy(in.part_addrs[i], out.parts[i].view().buf,
                    static_cast<size_t>(in.part_sizes[i]));
    return in.load();
}

nb::object pickled_copy(nb::handle obj) {
    OutgoingObject out;
    pickle_object(obj, true, out);
    return load_copy(out);
}

bool comm_is_inter(MPI_Comm comm) {
    int flag = 0;
    check(MPI_Comm_test_inter(comm, &flag));
    return flag != 0;
}

int group_size(MPI_Comm comm, bool remote) {
    int n = 0;
    check(remote ? MPI_Comm_remote_size(comm, &n) : MPI_Comm_size(comm, &n));
    return n;
}

[[noreturn]] void raise_exception(nb::handle error) {
    PyErr_SetObject(reinterpret_cast<PyObject *>(Py_TYPE(error.ptr())), error.ptr());
    throw nb::python_error();
}

// ---------------------------------------------------------------------------------------------
// Objects in gather, allgather, scatter and alltoall. A process whose object does not pickle
// contributes size -1 and no bytes: every process still makes every call, and those that
// would have received the object raise once the others' have arrived, instead of waiting.

constexpr MPI_Count unpicklable = -1;

struct Contribution {
    OutgoingObject out;
    nb::object error;  // why it does not pickle
    MPI_Count size() const { return error.is_valid() ? unpicklable : out.size; }
};

void contribute(nb::handle obj, bool oob, Contribution &c) {
    try {
        pickle_object(obj, oob, c.out);
    } catch (nb::python_error &e) {
        c.error = nb::borrow(e.value());
        c.out = OutgoingObject();
    }
}

// Counts and displacements of a v-collective of byte strings (an unpicklable object: 0).
struct Layout {
    std::vector<count_t> counts;
    std::vector<displ_t> displs;
    MPI_Count total = 0;

    explicit Layout(const std::vector<MPI_Count> &sizes) {
        for (MPI_Count s : sizes) {
            s = s < 0 ? 0 : s;
            if (!MPIPY_HAVE_LARGE_COUNT && (s > INT_MAX || total > INT_MAX))
                throw nb::value_error("object streams beyond 2 GiB need MPI-4 large counts");
            counts.push_back(static_cast<count_t>(s));
            displs.push_back(static_cast<displ_t>(total));
            total += s;
        }
    }
};

// The object that arrived from `source` of comm (size bytes at `bytes`, in `owner`), its parts'
// receives posted.
void expect_object(IncomingObject &in, nb::handle owner, const char *bytes, MPI_Count size,
                   MPI_Comm comm, int source, PartTraffic &traffic) {
    in.data = nb::borrow(owner);
    in.bytes = bytes;
    in.size = size;
    in.parse(comm, source);
    traffic.receive_parts(in);
}

// The same for objects from every process 0..n-1 (laid out by `layout`); -1 sizes skipped.
void expect_objects(std::vector<IncomingObject> &in, nb::handle owner, const char *bytes,
                    const std::vector<MPI_Count> &sizes, const Layout &layout, MPI_Comm comm,
                    PartTraffic &traffic) {
    in.resize(sizes.size());
    for (size_t i = 0; i < sizes.size(); ++i)
        if (sizes[i] >= 0)
            expect_object(in[i], owner, bytes + layout.displs[i], sizes[i], comm,
                          static_cast<int>(i), traffic);
}

// Once the parts are in: the own pickling error raised; else any source's, as RuntimeError;
// else the objects.
nb::list load_objects(const std::vector<IncomingObject> &in, const std::vector<MPI_Count> &sizes,
                      const Contribution *own, const char *what) {
    if (own && own->error.is_valid()) raise_exception(own->error);
    for (size_t i = 0; i < sizes.size(); ++i)
        if (sizes[i] < 0)
            throw std::runtime_error(std::string(what) + ": process " + std::to_string(i) +
                                     " could not send its object (it raises why)");
    nb::list out;
    for (const IncomingObject &o : in) out.append(o.load());
    return out;
}

// Small objects ride in fixed-size slots: one collective moves every process's size and small
// stream (for small objects the synchronisations cost, not the bytes: tens of microseconds each
// when processes outnumber cores). A stream too big for its slot follows
// - point to point on the private communicator, with the tag its slot announces, when every
//   peer can be reached there (gather: only the root learns the sizes);
// - else in a second collective: after an Allgather of slots on an intracommunicator, every
//   process knows whether one is needed; otherwise (on an intercommunicator a process does
//   not learn its own group's sizes) slots carry sizes only and the second collective always
//   follows.
struct Slot {
    MPI_Count size = 0;   // of the stream; unpicklable when it does not pickle
    MPI_Count parts = 0;  // out-of-band parts that follow
    MPI_Count tag = 0;    // of the stream sent point to point
    char data[232];       // the stream, when it fits

    bool inline_stream() const { return size >= 0 && size <= MPI_Count(sizeof data); }
};
constexpr int slot_bytes = sizeof(Slot);
static_assert(slot_bytes == 256, "bcast_partial sends one slot: keep it within 256 bytes");

enum class Follow { collective_if_needed, point_to_point, collective_always };

Slot slot_of(const Contribution &c, Follow follow) {
    Slot slot;
    slot.size = c.size();
    slot.parts = static_cast<MPI_Count>(c.out.parts.size());
    if (follow != Follow::collective_always && slot.inline_stream()) {
        if (slot.size > 0)  // no stream (a non-sender) has no data pointer: memcpy(_, null, 0)
            std::memcpy(slot.data, c.out.data, static_cast<size_t>(slot.size));
    } else if (follow == Follow::point_to_point && slot.size > 0)
        slot.tag = new_part_tag();
    return slot;
}

// Whether a stream is in its slot, or follows.
bool in_slot(const Slot &slot, Follow follow) {
    return follow != Follow::collective_always && slot.inline_stream();
}

nb::object gather_obj(const Comm &self, nb::handle obj, int root, bool all) {
    MPI_Comm comm = self.get();
    CommLock lock(comm, all ? nullptr : "gather");
    const bool inter = comm_is_inter(comm);
    int rank = 0;
    check(MPI_Comm_rank(comm, &rank));
    const int n = group_size(comm, inter);
    const bool receiver = all || (inter ? root == MPI_ROOT : rank == root);
    const bool sender = all || !inter || root >= 0;
    const bool reachable = parts_reach_all(comm);
    const Follow follow = !inter && all       ? Follow::collective_if_needed
                          : !all && reachable ? Follow::point_to_point
                                              : Follow::collective_always;
    Contribution mine;
    if (sender) contribute(obj, reachable, mine);
    const Slot my_slot = slot_of(mine, follow);
    std::vector<Slot> slots(receiver ? n : 0);
    {
        ReleaseGIL nogil;
        if (all)
            check(MPI_Allgather(&my_slot, slot_bytes, MPI_BYTE, slots.data(), slot_bytes, MPI_BYTE,
                                comm));
        else
            check(MPI_Gather(&my_slot, slot_bytes, MPI_BYTE, slots.data(), slot_bytes, MPI_BYTE,
                             root, comm));
    }
    // The streams that did not fit in their slot (`later`: their sizes, else 0).
    std::vector<MPI_Count> sizes, later;
    bool second = follow == Follow::collective_always;
    for (const Slot &slot : slots) {
        sizes.push_back(slot.size);
        later.push_back(in_slot(slot, follow) || slot.size < 0 ? 0 : slot.size);
        second = second || (follow == Follow::collective_if_needed && later.back() > 0);
    }
    Layout layout(later);
    char *bytes = nullptr;
    nb::object buffer = byte_buffer(layout.total, bytes);
    const MPI_Count my_later = in_slot(my_slot, follow) || !sender ? 0 : mine.size();
    if (second) {
        int rc;
        {
            ReleaseGIL nogil;
            CallCount c(my_later < 0 ? 0 : my_later, MPI_BYTE);
            const char *data = mine.out.data ? mine.out.data : bytes;
            if (all)
                rc = MPIPY_C(MPI_Allgatherv)(data, c.count, c.type, bytes, layout.counts.data(),
                                             layout.displs.data(), MPI_BYTE, comm);
            else
                rc = MPIPY_C(MPI_Gatherv)(data, c.count, c.type, bytes, layout.counts.data(),
                                          layout.displs.data(), MPI_BYTE, root, comm);
        }
        check(rc);
    }
    std::vector<IncomingObject> in(receiver ? sizes.size() : 0);
    PartTraffic traffic;
    if (follow == Follow::point_to_point) {  // streams first, then (below) the parts
        if (my_later > 0) traffic.send_stream(mine.out, comm, root, static_cast<int>(my_slot.tag));
        for (size_t i = 0; i < in.size(); ++i)
            if (later[i] > 0)
                traffic.receive_stream(bytes + layout.displs[i], later[i], comm,
                                       static_cast<int>(i), static_cast<int>(slots[i].tag));
        traffic.finish();
    }
    if (sender) {
        if (!all)
            traffic.send_parts(mine.out, comm, root);
        else
            for (int d = 0; d < n; ++d) traffic.send_parts(mine.out, comm, d);
    }
    for (size_t i = 0; i < in.size(); ++i) {
        if (sizes[i] < 0) continue;
        const char *stream = later[i] ? bytes + layout.displs[i] : slots[i].data;
        expect_object(in[i], buffer, stream, sizes[i], comm, static_cast<int>(i), traffic);
    }
    traffic.finish();
    if (!receiver) {
        if (mine.error.is_valid()) raise_exception(mine.error);
        return nb::none();
    }
    return load_objects(in, sizes, &mine, all ? "allgather" : "gather");
}

// The items of a scatter or alltoall: any iterable of n objects, or None for n Nones (as in
// mpi4py), as a sequence. Raises TypeError/ValueError otherwise.
nb::object objects_to_send(nb::handle objs, int n, const char *what) {
    if (objs.is_none()) {
        nb::list nones;
        for (int i = 0; i < n; ++i) nones.append(nb::none());
        return nones;
    }
    const std::string expecting = std::string(what) + ": expecting " + std::to_string(n) +
                                  " objects (a sequence or an iterable), not ";
    nb::object seq = nb::steal(PySequence_Fast(objs.ptr(), ""));
    if (!seq) {
        PyErr_SetString(PyExc_TypeError, (expecting + nb::type_name(objs.type()).c_str()).c_str());
        throw nb::python_error();
    }
    const Py_ssize_t m = PySequence_Fast_GET_SIZE(seq.ptr());
    if (m != n) {
        PyErr_SetString(PyExc_ValueError, (expecting + std::to_string(m)).c_str());
        throw nb::python_error();
    }
    return seq;
}

// The pickled objects of n items (scatter at the root, alltoall). If the items are wrong or
// one does not pickle, none is sent: all sizes are -1 and `error` says why, so that every
// process raises instead of waiting.
std::vector<Contribution> contribute_each(nb::handle objs, int n, bool oob, const char *what,
                                          nb::object &error) {
    std::vector<Contribution> outs(static_cast<size_t>(n));
    nb::object seq;
    try {
        seq = objects_to_send(objs, n, what);
    } catch (nb::python_error &e) {
        error = nb::borrow(e.value());
    }
    for (int i = 0; i < n && !error.is_valid(); ++i) {
        contribute(PySequence_Fast_GET_ITEM(seq.ptr(), i), oob, outs[static_cast<size_t>(i)]);
        error = outs[static_cast<size_t>(i)].error;
    }
    if (error.is_valid())
        for (Contribution &c : outs) {
            c.out = OutgoingObject();
            c.error = error;
        }
    return outs;
}

// The streams of contributions, laid out for a v-collective, and their sizes.
std::string concatenate(const std::vector<Contribution> &outs, std::vector<MPI_Count> &sizes) {
    std::string bytes;
    for (const Contribution &c : outs) {
        sizes.push_back(c.size());
        if (c.out.data) bytes.append(c.out.data, static_cast<size_t>(c.out.size));
    }
    return bytes;
}

nb::object scatter_obj(const Comm &self, nb::handle objs, int root) {
    MPI_Comm comm = self.get();
    CommLock lock(comm, "scatter");
    const bool inter = comm_is_inter(comm);
    int rank = 0;
    check(MPI_Comm_rank(comm, &rank));
    const int n = group_size(comm, inter);
    const bool sender = inter ? root == MPI_ROOT : rank == root;
    const bool receiver = !inter || root >= 0;
    nb::object error;
    std::vector<Contribution> outs;
    std::vector<MPI_Count> sizes;
    std::string bytes;
    if (sender) {
        outs = contribute_each(objs, n, parts_reach_all(comm), "scatter", error);
        bytes = concatenate(outs, sizes);
    }
    MPI_Count size = 0;
    {
        ReleaseGIL nogil;
        check(MPI_Scatter(sizes.data(), 1, MPI_COUNT, &size, 1, MPI_COUNT, root, comm));
    }
    Layout layout(sizes);
    const std::vector<MPI_Count> my_size{receiver ? size : 0};
    Layout mine(my_size);
    char *data = nullptr;
    nb::object buffer = byte_buffer(mine.total, data);
    int rc;
    {
        ReleaseGIL nogil;
        CallCount c(mine.total, MPI_BYTE);
        rc = MPIPY_C(MPI_Scatterv)(bytes.data(), layout.counts.data(), layout.displs.data(),
                                   MPI_BYTE, data, c.count, c.type, root, comm);
    }
    check(rc);
    IncomingObject in;
    PartTraffic traffic;
    for (size_t d = 0; d < outs.size(); ++d)
        traffic.send_parts(outs[d].out, comm, static_cast<int>(d));
    if (receiver && size >= 0) expect_object(in, buffer, data, size, comm, root, traffic);
    traffic.finish();
    if (error.is_valid()) raise_exception(error);
    if (!receiver) return nb::none();
    if (size < 0)
        throw std::runtime_error("scatter: the root could not send its objects (it raises why)");
    return in.load();
}

nb::object alltoall_obj(const Comm &self, nb::handle objs) {
    MPI_Comm comm = self.get();
    const int n = group_size(comm, comm_is_inter(comm));
    nb::object error;
    std::vector<Contribution> outs =
        contribute_each(objs, n, parts_reach_all(comm), "alltoall", error);
    std::vector<MPI_Count> ssizes, rsizes(static_cast<size_t>(n));
    std::string sbytes = concatenate(outs, ssizes);
    {
        ReleaseGIL nogil;
        check(MPI_Alltoall(ssizes.data(), 1, MPI_COUNT, rsizes.data(), 1, MPI_COUNT, comm));
    }
    Layout slayout(ssizes), rlayout(rsizes);
    char *rbytes = nullptr;
    nb::object buffer = byte_buffer(rlayout.total, rbytes);
    check_released([&] {
        return MPIPY_C(MPI_Alltoallv)(sbytes.data(), slayout.counts.data(), slayout.displs.data(),
                                      MPI_BYTE, rbytes, rlayout.counts.data(),
                                      rlayout.displs.data(), MPI_BYTE, comm);
    });
    std::vector<IncomingObject> in;
    PartTraffic traffic;
    for (size_t d = 0; d < outs.size(); ++d)
        traffic.send_parts(outs[d].out, comm, static_cast<int>(d));
    expect_objects(in, buffer, rbytes, rsizes, rlayout, comm, traffic);
    traffic.finish();
    if (error.is_valid()) raise_exception(error);
    return load_objects(in, rsizes, nullptr, "alltoall");
}

// ---------------------------------------------------------------------------------------------
// Reductions: combine with op(a, b), a from lower ranks, so non-commutative ops are right.

int coll_keyval = MPI_KEYVAL_INVALID;

int free_private(MPI_Comm, int, void *value, void *) {
    MPI_Comm dup = handle_from_int<MPI_Comm>(reinterpret_cast<std::intptr_t>(value));
    return MPI_Comm_free(&dup);
}

// The private communicator of `comm`: a duplicate of an intracommunicator; for an
// intercommunicator, its merge (both groups in one intracommunicator, each group's ranks
// consecutive and in their local order), so the same point-to-point code serves both.
MPI_Comm private_comm(MPI_Comm comm, bool inter) {
    if (coll_keyval == MPI_KEYVAL_INVALID)
        check(MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, free_private, &coll_keyval, nullptr));
    void *value = nullptr;
    int flag = 0;
    check(MPI_Comm_get_attr(comm, coll_keyval, &value, &flag));
    if (flag) return handle_from_int<MPI_Comm>(reinterpret_cast<std::intptr_t>(value));
    MPI_Comm dup = MPI_COMM_NULL;
    check_released(
        [&] { return inter ? MPI_Intercomm_merge(comm, 0, &dup) : MPI_Comm_dup(comm, &dup); });
    MPI_Comm_set_errhandler(dup, MPI_ERRORS_RETURN);
    check(MPI_Comm_set_attr(comm, coll_keyval, reinterpret_cast<void *>(handle_to_int(dup))));
    return dup;
}

// The operation of an object reduction, checked on every process before any communication
// (an error while combining would leave the other processes waiting).
void check_object_op(nb::handle op) {
    if (nb::isinstance<Op>(op)) {
        MPI_Op h = nb::inst_ptr<Op>(op)->handle;
        if (!object_op_supported(h) && !user_op_function(h).is_valid())
            throw nb::value_error("this MPI.Op cannot be applied to Python objects");
        return;
    }
    if (!PyCallable_Check(op.ptr()))
        throw nb::type_error(("op must be an MPI.Op or a callable taking two objects, not " +
                              std::string(nb::type_name(op.type()).c_str()))
                                 .c_str());
}

// A user operation made by Op.Create gets the objects as Op.__call__ gives them: its function
// is called as function(a, b, None), and its result is the combination.
nb::object combine(nb::handle op, nb::handle a, nb::handle b) {
    if (nb::isinstance<Op>(op)) {
        MPI_Op h = nb::inst_ptr<Op>(op)->handle;
        if (object_op_supported(h)) return apply_op(h, a, b);
        nb::object function = user_op_function(h);
        if (!function.is_valid()) throw nb::value_error("the operation was freed meanwhile");
        return function(a, b, nb::none());
    }
    return nb::borrow(op)(a, b);
}

// ---------------------------------------------------------------------------------------------
// Partial results (bcast, and reductions on trees). When pickling or combining fails on a
// process, the exception takes the place of the partial result in every later message
// (error_tag instead of value_tag, or a flag), so every process still plays its part and
// nobody is left waiting. At the end a process raises the exception when its result depended
// on it, and the process where it was raised raises its own (with its traceback) in any case.

constexpr int value_tag = 0, error_tag = 1;

struct Partial {
    nb::object value;
    nb::object error;  // the first exception, raised here or received
    nb::object own;    // the exception raised here
};

void fail(Partial &p, const nb::python_error &e) {
    p.own = p.error = nb::borrow(e.value());
    p.value = nb::object();
}

// Pickle a partial result; true when what travels is an exception (one that does not pickle
// travels as a RuntimeError with its text).
bool pickle_partial(Partial &p, bool oob, OutgoingObject &out) {
    if (!p.error.is_valid()) {
        try {
            pickle_object(p.value, oob, out);
            return false;
        } catch (nb::python_error &e) {
            fail(p, e);
        }
    }
    StandardPickle standard;  // a custom pickler might refuse the exception
    try {
        pickle_object(p.error, false, out);
    } catch (nb::python_error &) {
        nb::str text(
            (std::string(nb::type_name(p.error.type()).c_str()) + ": " + nb::str(p.error).c_str())
                .c_str());
        pickle_object(nb::borrow(PyExc_RuntimeError)(text), false, out);
    }
    return true;
}

// What a process returns: its result (`holder`) or None; or raises as said above. A result
// that is the process's own object comes back as a copy, as it would from another process.
nb::object outcome(const Partial &p, bool holder, nb::handle original) {
    if (p.own.is_valid()) raise_exception(p.own);
    if (!holder) return nb::none();
    if (p.error.is_valid()) raise_exception(p.error);
    return p.value.ptr() == original.ptr() ? pickled_copy(original) : p.value;
}

void send_partial(Partial &p, int dest, MPI_Comm comm) {
    OutgoingObject out;
    out.world_dest = world_rank_of_peer(comm, dest);
    const bool failed = pickle_partial(p, out.world_dest != MPI_UNDEFINED, out);
    send_pickled(out, comm, dest, failed ? error_tag : value_tag);
}

Partial recv_partial(int source, MPI_Comm comm) {
    MPI_Status st;
    int rc;
    {
        ReleaseGIL nogil;
        rc = MPI_Probe(source, MPI_ANY_TAG, comm, &st);  // a private communicator: no races
    }
    check(rc);
    Partial p;
    try {
        if (st.MPI_TAG == error_tag) {
            StandardPickle standard;
            p.error = recv_object(comm, nb::none(), source, error_tag, MPI_STATUS_IGNORE);
        } else {
            p.value = recv_object(comm, nb::none(), source, value_tag, MPI_STATUS_IGNORE);
        }
    } catch (nb::python_error &e) {
        fail(p, e);
    }
    return p;
}

// Where a process stands in a broadcast: the root, a receiver, or (on an intercommunicator)
// another process of the root's group, which takes part in every call with nothing to move.
enum class Role { sender, receiver, bystander };

// Broadcast a partial result. A head (a slot: size, part count, whether it is an exception,
// and the stream when small) goes first; then the stream when it did not fit, then each
// out-of-band part straight from the root's object into the receivers' memory. On an
// intercommunicator the root's group learns nothing from a broadcast, so the stream's
// broadcast always follows and the parts go point to point to each receiver. The sender keeps
// its own result (a copy when it is `original`), receivers get the root's (and keep their own
// exception).
Partial bcast_partial(Partial &p, MPI_Comm comm, int root, Role role, bool inter,
                      nb::handle original) {
    OutgoingObject out;
    // A slot, whose tag (unused here) says whether the stream is an exception: 256 bytes,
    // the most Open MPI 5.0.11 broadcasts by its fastest algorithm at 4 processes (2.1 us at
    // 256 bytes, 7.9 us at 257 when oversubscribed).
    Slot head;
    MPI_Count &error = head.tag;
    if (role == Role::sender) {
        error = pickle_partial(p, inter ? parts_reach_all(comm) : true, out) ? 1 : 0;
        head.size = out.size;
        head.parts = static_cast<MPI_Count>(out.parts.size());
        if (head.inline_stream()) std::memcpy(head.data, out.data, static_cast<size_t>(out.size));
    }
    {
        ReleaseGIL nogil;
        check(MPI_Bcast(&head, sizeof head, MPI_BYTE, root, comm));
    }
    IncomingObject in;
    PartTraffic traffic;
    char none = 0, *data = &none;
    MPI_Count count = 0;  // of the stream's broadcast
    if (role == Role::sender) {
        data = const_cast<char *>(out.data);
        count = head.inline_stream() ? 0 : head.size;
    } else if (role == Role::receiver) {
        if (head.inline_stream()) {
            data = head.data;
        } else {
            in.data = byte_buffer(head.size, data);
            count = head.size;
        }
    }
    if (inter || !head.inline_stream()) {
        int rc;
        {
            ReleaseGIL nogil;
            CallCount c(count, MPI_BYTE);
            rc = MPIPY_C(MPI_Bcast)(count ? data : &none, c.count, c.type, root, comm);
        }
        check(rc);
    }
    if (role == Role::receiver) {
        if (!in.data.is_valid()) in.data = nb::none();
        in.bytes = data;
        in.size = head.size;
        in.parse(inter ? comm : MPI_COMM_NULL, root);
        if (static_cast<MPI_Count>(in.part_sizes.size()) != head.parts)
            throw std::runtime_error("bcast: the root's object announced other parts than sent");
        if (inter) traffic.receive_parts(in);
    }
    if (inter) {
        if (role == Role::sender)
            for (int d = 0; d < group_size(comm, true); ++d) traffic.send_parts(out, comm, d);
        traffic.finish();
    } else {
        for (MPI_Count k = 0; k < head.parts; ++k) {
            const size_t i = static_cast<size_t>(k);
            void *addr = role == Role::sender ? out.parts[i].view().buf : in.part_addrs[i];
            MPI_Count n = role == Role::sender ? out.parts[i].view().len : in.part_sizes[i];
            int rc;
            {
                ReleaseGIL nogil;
                CallCount c(n, MPI_BYTE);
                rc = MPIPY_C(MPI_Bcast)(addr, c.count, c.type, root, comm);
            }
            check(rc);
        }
    }
    if (role == Role::sender) {
        if (!error && p.value.ptr() == original.ptr()) p.value = load_copy(out);
        return p;
    }
    Partial got;
    got.own = p.own;
    if (role == Role::receiver) {
        try {
            if (error) {
                StandardPickle standard;
                got.error = in.load();
            } else {
                got.value = in.load();
            }
        } catch (nb::python_error &e) {
            fail(got, e);
        }
    }
    return got;
}

nb::object bcast_obj(const Comm &self, nb::handle obj, int root) {
    MPI_Comm comm = self.get();
    CommLock lock(comm, "bcast");
    const bool inter = comm_is_inter(comm);
    int rank = 0;
    check(MPI_Comm_rank(comm, &rank));
    Role role = Role::receiver;
    if (inter ? root == MPI_ROOT : rank == root)
        role = Role::sender;
    else if (inter && root == MPI_PROC_NULL)
        role = Role::bystander;
    Partial mine;
    if (role == Role::sender) mine.value = nb::borrow(obj);
    Partial got = bcast_partial(mine, comm, root, role, inter, obj);
    return outcome(got, role == Role::receiver || (role == Role::sender && !inter), nb::handle());
}

// acc = op(in, acc) (`in_first`) or op(acc, in); nothing combines after a failure.
void absorb(Partial &acc, Partial in, bool in_first, nb::handle op) {
    if (acc.error.is_valid()) return;
    if (in.error.is_valid()) {
        acc.error = in.error;
        acc.value = nb::object();
        return;
    }
    try {
        acc.value = in_first ? combine(op, in.value, acc.value) : combine(op, acc.value, in.value);
    } catch (nb::python_error &e) {
        fail(acc, e);
    }
}

// Reduce the objects of processes base..base+size-1 of pcomm (this one is base+rank) to
// the first of them over a binomial tree (the others keep no value).
Partial reduce_to_first(nb::handle obj, nb::handle op, MPI_Comm pcomm, int base, int rank,
                        int size) {
    Partial acc{nb::borrow(obj), nb::object(), nb::object()};
    for (int step = 1; step < size; step <<= 1) {
        if (rank & step) {  // hand my partial result (ranks rank..rank+step-1) to the left
            send_partial(acc, base + rank - step, pcomm);
            acc.value = nb::object();
            return acc;
        }
        if (rank + step < size) absorb(acc, recv_partial(base + rank + step, pcomm), false, op);
    }
    return acc;
}

// Intercommunicators: each group reduces its own objects in local rank order; the result
// goes to the root (reduce) or to every process of the other group (allreduce).
nb::object reduce_obj_inter(MPI_Comm comm, nb::handle obj, nb::handle op, int root, bool all) {
    int rank = 0, size = 0, remote = 0;
    check(MPI_Comm_rank(comm, &rank));
    check(MPI_Comm_size(comm, &size));
    check(MPI_Comm_remote_size(comm, &remote));
    const bool root_group = root == MPI_ROOT || root == MPI_PROC_NULL;
    if (!all && !root_group && (root < 0 || root >= remote)) throw MpiError{MPI_ERR_ROOT};
    MPI_Comm pcomm = private_comm(comm, true);  // collective: every process gets here
    int prank = 0;
    check(MPI_Comm_rank(pcomm, &prank));
    const int base = prank - rank;                 // my group in pcomm: base..base+size-1
    const int remote_base = base == 0 ? size : 0;  // the other group's
    if (all) {
        Partial mine = reduce_to_first(obj, op, pcomm, base, rank, size);
        // Each group's result reaches everyone in two broadcasts, from the first process of
        // each group; a process keeps the other group's.
        const int second_root = base == 0 ? size : remote;  // first process of group two
        auto role = [&](int root) { return prank == root ? Role::sender : Role::receiver; };
        Partial first = bcast_partial(mine, pcomm, 0, role(0), false, obj);
        Partial second = bcast_partial(mine, pcomm, second_root, role(second_root), false, obj);
        Partial &theirs = base == 0 ? second : first;
        theirs.own = mine.own;
        return outcome(theirs, true, obj);
    }
    if (root_group) {
        if (root != MPI_ROOT) return nb::none();
        return outcome(recv_partial(remote_base, pcomm), true, obj);
    }
    Partial result = reduce_to_first(obj, op, pcomm, base, rank, size);
    if (rank == 0) send_partial(result, remote_base + root, pcomm);
    return outcome(result, false, obj);
}

// Small objects skip the tree: one Allgather of slots brings every pickled object everywhere,
// where it is combined in rank order: one synchronisation instead of one per tree level. Every
// process sees every slot, so all take the same path. An object that does not pickle shares
// size -1: everyone raises instead of waiting.
struct SharedSlots {
    std::vector<Slot> slots;
    bool small = true;  // every stream in its slot, no part out of band
};

SharedSlots share_slots(nb::handle obj, MPI_Comm comm, int size) {
    Contribution mine;
    contribute(obj, true, mine);
    const Slot my_slot = slot_of(mine, Follow::collective_if_needed);
    SharedSlots shared;
    shared.slots.resize(static_cast<size_t>(size));
    {
        ReleaseGIL nogil;
        check(MPI_Allgather(&my_slot, slot_bytes, MPI_BYTE, shared.slots.data(), slot_bytes,
                            MPI_BYTE, comm));
    }
    if (mine.error.is_valid()) raise_exception(mine.error);
    for (size_t r = 0; r < shared.slots.size(); ++r) {
        const Slot &slot = shared.slots[r];
        if (slot.size < 0)
            throw std::runtime_error("object reduction: the object of process " +
                                     std::to_string(r) + " could not be pickled");
        shared.small = shared.small && slot.inline_stream() && slot.parts == 0;
    }
    return shared;
}

// The objects of ranks [0, upto) combined in rank order (None for upto 0).
nb::object fold(const SharedSlots &shared, nb::handle op, int upto) {
    if (upto == 0) return nb::none();
    auto object = [&](int r) {
        const Slot &slot = shared.slots[static_cast<size_t>(r)];
        return unpickle(slot.data, slot.size, nb::handle(), nb::handle());
    };
    nb::object acc = object(0);
    for (int r = 1; r < upto; ++r) acc = combine(op, acc, object(r));
    return acc;
}

nb::object reduce_obj(const Comm &self, nb::handle obj, nb::handle op, int root, bool all) {
    MPI_Comm comm = self.get();
    check_object_op(op);
    if (comm_is_inter(comm)) return reduce_obj_inter(comm, obj, op, root, all);
    int rank = 0, size = 0;
    check(MPI_Comm_rank(comm, &rank));
    check(MPI_Comm_size(comm, &size));
    if (!all && (root < 0 || root >= size)) throw MpiError{MPI_ERR_ROOT};
    if (size == 1) return pickled_copy(obj);
    SharedSlots shared = share_slots(obj, comm, size);
    if (shared.small) return all || rank == root ? fold(shared, op, size) : nb::none();
    MPI_Comm pcomm = private_comm(comm, false);
    Partial result = reduce_to_first(obj, op, pcomm, 0, rank, size);
    if (all)
        return outcome(
            bcast_partial(result, pcomm, 0, rank == 0 ? Role::sender : Role::receiver, false, obj),
            true, obj);
    if (root != 0) {
        if (rank == 0) send_partial(result, root, pcomm);
        if (rank == root) {
            Partial got = recv_partial(0, pcomm);
            got.own = result.own;
            result = got;
        }
    }
    return outcome(result, rank == root, obj);
}

// Inclusive (or exclusive) scan by recursive doubling, order preserved.
nb::object scan_obj(const Comm &self, nb::handle obj, nb::handle op, bool exclusive) {
    MPI_Comm comm = self.get();
    check_object_op(op);
    int rank = 0, size = 0;
    check(MPI_Comm_rank(comm, &rank));
    check(MPI_Comm_size(comm, &size));
    if (size == 1) return exclusive ? nb::none() : pickled_copy(obj);
    SharedSlots shared = share_slots(obj, comm, size);
    if (shared.small) return fold(shared, op, exclusive ? rank : rank + 1);
    MPI_Comm pcomm = private_comm(comm, false);
    Partial acc{nb::borrow(obj), nb::object(), nb::object()};  // op over (rank - 2^k, rank]
    for (int d = 1; d < size; d <<= 1) {
        if (rank + d < size) send_partial(acc, rank + d, pcomm);
        if (rank - d >= 0) absorb(acc, recv_partial(rank - d, pcomm), true, op);
    }
    if (!exclusive) return outcome(acc, true, obj);
    if (rank + 1 < size) send_partial(acc, rank + 1, pcomm);
    if (rank == 0) return outcome(acc, false, obj);
    Partial before = recv_partial(rank - 1, pcomm);
    before.own = acc.own;
    return outcome(before, true, obj);
}

// Neighbourhood object collectives: None for PROC_NULL neighbours (nothing arrives there).
nb::list unpack_neighbors(const std::vector<MPI_Count> &sizes, const std::string &bytes) {
    nb::list out;
    MPI_Count at = 0;
    for (MPI_Count s : sizes) {
        out.append(s > 0 ? unpickle(bytes.data() + at, s, nb::handle(), nb::handle()) : nb::none());
        at += s;
    }
    return out;
}

nb::object neighbor_allgather_obj(const Comm &self, nb::handle obj) {
    MPI_Comm comm = self.get();
    auto [indegree, outdegree] = topology_degrees(comm);
    (void)outdegree;
    nb::object data = dumps_bytes(obj);
    MPI_Count size = PyBytes_GET_SIZE(data.ptr());
    std::vector<MPI_Count> sizes(static_cast<size_t>(indegree), 0);
    {
        ReleaseGIL nogil;
        check(MPI_Neighbor_allgather(&size, 1, MPI_COUNT, nonnull(sizes), 1, MPI_COUNT, comm));
    }
    Layout layout(sizes);
    std::string bytes(static_cast<size_t>(layout.total), '\0');
    int rc;
    {
        ReleaseGIL nogil;
        CallCount c(size, MPI_BYTE);
        rc = MPIPY_C(MPI_Neighbor_allgatherv)(PyBytes_AS_STRING(data.ptr()), c.count, c.type,
                                              bytes.data(), nonnull(layout.counts),
                                              nonnull(layout.displs), MPI_BYTE, comm);
    }
    check(rc);
    return unpack_neighbors(sizes, bytes);
}

nb::object neighbor_alltoall_obj(const Comm &self, nb::handle objs) {
    MPI_Comm comm = self.get();
    auto [indegree, outdegree] = topology_degrees(comm);
    nb::object seq = objects_to_send(objs, outdegree, "neighbor_alltoall");
    std::vector<MPI_Count> ssizes, rsizes(static_cast<size_t>(indegree), 0);
    std::string sbytes;
    for (int i = 0; i < outdegree; ++i) {
        nb::object d = dumps_bytes(PySequence_Fast_GET_ITEM(seq.ptr(), i));
        ssizes.push_back(PyBytes_GET_SIZE(d.ptr()));
        sbytes.append(PyBytes_AS_STRING(d.ptr()), static_cast<size_t>(ssizes.back()));
    }
    {
        ReleaseGIL nogil;
        check(MPI_Neighbor_alltoall(nonnull(ssizes), 1, MPI_COUNT, nonnull(rsizes), 1, MPI_COUNT,
                                    comm));
    }
    Layout slayout(ssizes), rlayout(rsizes);
    std::string rbytes(static_cast<size_t>(rlayout.total), '\0');
    check_released([&] {
        return MPIPY_C(MPI_Neighbor_alltoallv)(
            sbytes.data(), nonnull(slayout.counts), nonnull(slayout.displs), MPI_BYTE,
            rbytes.data(), nonnull(rlayout.counts), nonnull(rlayout.displs), MPI_BYTE, comm);
    });
    return unpack_neighbors(rsizes, rbytes);
}

}  // namespace

void bind_collectives_objects(nb::module_ &m, CommClasses &classes) {
    nb::object sum = m.attr("SUM");
    classes.comm
        .def(
            "barrier", [](nb::handle self) { self.attr("Barrier")(); }, "Barrier synchronization.")
        .def("bcast", &bcast_obj, nb::arg("obj").none() = nb::none(), nb::arg("root") = 0,
             "Broadcast.")
        .def(
            "gather",
            [](const Comm &self, nb::handle obj, int root) {
                return gather_obj(self, obj, root, false);
            },
            nb::arg("sendobj").none(), nb::arg("root") = 0, "Gather.")
        .def(
            "allgather",
            [](const Comm &self, nb::handle obj) { return gather_obj(self, obj, 0, true); },
            nb::arg("sendobj").none(), "Gather to all.")
        .def("scatter", &scatter_obj, nb::arg("sendobj").none() = nb::none(), nb::arg("root") = 0,
             "Scatter.")
        .def("alltoall", &alltoall_obj, nb::arg("sendobj").none(), "All to all.")
        .def(
            "reduce",
            [](const Comm &self, nb::handle obj, nb::handle op, int root) {
                return reduce_obj(self, obj, op, root, false);
            },
            nb::arg("sendobj").none(), nb::arg("op") = sum, nb::arg("root") = 0, "Reduce to root.")
        .def(
            "allreduce",
            [](const Comm &self, nb::handle obj, nb::handle op) {
                return reduce_obj(self, obj, op, 0, true);
            },
            nb::arg("sendobj").none(), nb::arg("op") = sum, "Reduce to all.");
    classes.intracomm
        .def(
            "scan",
            [](const Comm &self, nb::handle obj, nb::handle op) {
                return scan_obj(self, obj, op, false);
            },
            nb::arg("sendobj").none(), nb::arg("op") = sum, "Inclusive scan.")
        .def(
            "exscan",
            [](const Comm &self, nb::handle obj, nb::handle op) {
                return scan_obj(self, obj, op, true);
            },
            nb::arg("sendobj").none(), nb::arg("op") = sum, "Exclusive scan.");
    classes.topocomm
        .def("neighbor_allgather", &neighbor_allgather_obj, nb::arg("sendobj").none(),
             "Neighbor gather to all.")
        .def("neighbor_alltoall", &neighbor_alltoall_obj, nb::arg("sendobj").none(),
             "Neighbor all to all.");
}

}  // namespace mpipy

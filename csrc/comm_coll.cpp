// Collective communication of buffers: every MPI collective, blocking, nonblocking (I...) and
// persistent (..._init), on intra- and intercommunicators.
#include "core/fastcall.hpp"
#include "core/progress.hpp"

#include <cctype>
#include <numeric>
#include <type_traits>

namespace mpipy {

namespace {

enum class Call { blocking, nonblocking, persistent };

#if MPIPY_HAVE_PERSISTENT_COLL
#define MPIPY_INIT(fn) MPIPY_C(fn)
#else
#define MPIPY_INIT(fn) [](auto...) -> int { throw_not_implemented(#fn); }
#endif

// One MPI call in its three forms: MPI_X, MPI_IX and MPI_X_init (each the `_c` variant where
// the MPI has large counts); the blocking form waits as block_or_poll says.
#define MPIPY_COLL(C, NAME, INAME, ...)                                                            \
    [&]() -> int {                                                                                 \
        if constexpr (C == Call::blocking) {                                                       \
            return block_or_poll(                                                                  \
                [&] { return MPIPY_C(MPI_##NAME)(__VA_ARGS__); },                                  \
                [&](MPI_Request *req_) { return MPIPY_C(MPI_##INAME)(__VA_ARGS__, req_); });       \
        } else if constexpr (C == Call::nonblocking) {                                             \
            return MPIPY_C(MPI_##INAME)(__VA_ARGS__, &state->request);                             \
        } else {                                                                                   \
            return MPIPY_INIT(MPI_##NAME##_init)(__VA_ARGS__, state->info, &state->request);       \
        }                                                                                          \
    }()

struct CollState : RequestState {
    CollSide send, recv;
    MPI_Request request = MPI_REQUEST_NULL;
    MPI_Info info = MPI_INFO_NULL;
    // A user operation's exception surfaces where the reduction completes.
    nb::object complete(const MPI_Status &) override {
        raise_op_error();
        return nb::none();
    }
};

struct Context {
    MPI_Comm comm;
    bool inter;
    int size;  // processes a block spec is divided among (remote size on intercomms)
    int rank;
};

// (Without `sized`, size stays 0: for the collectives that divide no spec among processes.)
Context context_of(const Comm &self, bool sized = true) {
    Context c{self.get(), false, 0, 0};
    int flag = 0;
    check(MPI_Comm_test_inter(c.comm, &flag));
    c.inter = flag != 0;
    if (sized)
        check(c.inter ? MPI_Comm_remote_size(c.comm, &c.size) : MPI_Comm_size(c.comm, &c.size));
    check(MPI_Comm_rank(c.comm, &c.rank));
    return c;
}

// What a process sends itself in a vector collective must be the size of what it receives
// from itself: MPI would truncate it or (MPICH's Alltoallv on COMM_SELF) wait forever for the
// missing bytes. Checked where both sides are this process's: not in place, not on
// intercommunicators.
void check_own_block(MPI_Datatype stype, MPI_Count scount, MPI_Datatype rtype, MPI_Count rcount) {
    if (stype == MPI_DATATYPE_NULL || rtype == MPI_DATATYPE_NULL) return;  // IN_PLACE
    MPI_Count ssize = 0, rsize = 0;
    check(MPI_Type_size_x(stype, &ssize));
    check(MPI_Type_size_x(rtype, &rsize));
    if (ssize * scount != rsize * rcount)
        spec_error(PyExc_ValueError, "message: this process sends itself " +
                                         std::to_string(ssize * scount) + " bytes but receives " +
                                         std::to_string(rsize * rcount) + " from itself");
}

// Does this process act as the root (its root-only arguments matter)?
bool is_root(const Context &c, int root) { return c.inter ? root == MPI_ROOT : c.rank == root; }

MPI_Op op_arg(nb::handle op) {
    if (!nb::isinstance<Op>(op)) throw nb::type_error("op must be an MPI.Op");
    return nb::inst_ptr<Op>(op)->get();
}

// A reduction reads the send buffer with the receive buffer's count and datatype: they
// must agree, or MPI would read past the end of the send buffer.
void check_reduction_pair(const CollSide &s, const CollSide &r) {
    if (s.buf.addr == MPI_IN_PLACE) return;
    if (s.buf.count != r.buf.count)
        throw nb::value_error(("message: send count " + std::to_string(s.buf.count) +
                               " and receive count " + std::to_string(r.buf.count) + " differ")
                                  .c_str());
    if (s.buf.type != r.buf.type)
        throw nb::value_error("message: send and receive datatypes differ");
}

template <Call C> nb::object finish(std::shared_ptr<CollState> state, int rc) {
    if constexpr (C == Call::blocking) raise_op_error();  // from a user operation, if any
    check(rc);
    if constexpr (C == Call::blocking)
        return nb::none();
    else {
        MPI_Request h = state->request;
        return make_request(h, std::move(state), C == Call::persistent);
    }
}

// A collective's state: on the heap for nonblocking and persistent calls (the request owns
// it), in the caller's `frame` for blocking ones, which need no allocation (a shared_ptr
// without ownership: finish() keeps nothing of a blocking call).
template <Call C> std::shared_ptr<CollState> new_state(nb::handle info, CollState &frame) {
    if constexpr (C == Call::blocking) {
        (void)info;
        return std::shared_ptr<CollState>(std::shared_ptr<CollState>(), &frame);
    } else {
        auto state = new_request_state<CollState>();
        if constexpr (C == Call::persistent) state->info = info_arg(info);
        return state;
    }
}

// ---------------------------------------------------------------------------------------------

template <Call C> nb::object barrier(const Comm &self, nb::handle info) {
    MPI_Comm comm = self.get();
    if constexpr (C == Call::blocking) {  // nothing to keep: no state
        check(block_or_poll([&] { return MPI_Barrier(comm); },
                            [&](MPI_Request *r) { return MPI_Ibarrier(comm, r); }));
        return nb::none();
    }
    CollState frame;
    auto state = new_state<C>(info, frame);
    int rc;
    if constexpr (C == Call::nonblocking) {
        rc = MPI_Ibarrier(comm, &state->request);
    } else {
#if MPIPY_HAVE_PERSISTENT_COLL
        rc = MPI_Barrier_init(comm, state->info, &state->request);
#else
        throw_not_implemented("MPI_Barrier_init");
#endif
    }
    return finish<C>(state, rc);
}

template <Call C> nb::object bcast(const Comm &self, nb::handle info, nb::handle buf, int root) {
    Context c = context_of(self, false);
    CollState frame;
    auto state = new_state<C>(info, frame);
    CollSide &s = state->send;
    if (!c.inter || root != MPI_PROC_NULL) {
        const Access access = is_root(c, root) ? Access::read : Access::write;
        if (buf.is_none() || is_in_place(buf))
            parse_plain(buf, access, s, false);
        else
            parse_message(buf, access, s.buf);  // any count: see below
    } else {
        // MPI ignores the buffer here, but the Ibcast of MPICH and of Open MPI with count 0
        // returns before taking a step the other processes take, and the next nonblocking
        // collective on the communicator never completes: describe one unused byte.
        static char unused = 0;
        s.buf.addr = &unused;
        s.buf.count = 1;
        s.buf.type = MPI_BYTE;
    }
    // Every process passes the same count, so without MPI-4 large counts a count beyond
    // INT_MAX can travel as point-to-point's does: one element of a derived datatype.
    CallCount n(s.buf.count, s.buf.type);
    int rc = MPIPY_COLL(C, Bcast, Ibcast, s.buf.addr, n.count, n.type, root, c.comm);
    return finish<C>(state, rc);
}

template <Call C>
nb::object gather(const Comm &self, nb::handle info, nb::handle sendbuf, nb::handle recvbuf,
                  int root) {
    Context c = context_of(self);
    CollState frame;
    auto state = new_state<C>(info, frame);
    CollSide &s = state->send, &r = state->recv;
    if (is_root(c, root)) parse_block(recvbuf, Access::write, r, false, c.size);
    if (!c.inter || root >= 0) parse_plain(sendbuf, Access::read, s, !c.inter && is_root(c, root));
    int rc = MPIPY_COLL(C, Gather, Igather, s.buf.addr, s.count, s.buf.type, r.buf.addr, r.count,
                        r.buf.type, root, c.comm);
    return finish<C>(state, rc);
}

template <Call C>
nb::object gatherv(const Comm &self, nb::handle info, nb::handle sendbuf, nb::handle recvbuf,
                   int root) {
    Context c = context_of(self);
    CollState frame;
    auto state = new_state<C>(info, frame);
    CollSide &s = state->send, &r = state->recv;
    if (is_root(c, root)) parse_vector(recvbuf, Access::write, r, false, c.size);
    if (!c.inter || root >= 0) parse_plain(sendbuf, Access::read, s, !c.inter && is_root(c, root));
    if (!c.inter && is_root(c, root))
        check_own_block(s.buf.type, s.count, r.buf.type, r.counts[c.rank]);
    int rc = MPIPY_COLL(C, Gatherv, Igatherv, s.buf.addr, s.count, s.buf.type, r.buf.addr,
                        r.counts.data(), r.displs.data(), r.buf.type, root, c.comm);
    return finish<C>(state, rc);
}

template <Call C>
nb::object scatter(const Comm &self, nb::handle info, nb::handle sendbuf, nb::handle recvbuf,
                   int root) {
    Context c = context_of(self);
    CollState frame;
    auto state = new_state<C>(info, frame);
    CollSide &s = state->send, &r = state->recv;
    if (is_root(c, root)) parse_block(sendbuf, Access::read, s, false, c.size);
    if (!c.inter || root >= 0) parse_plain(recvbuf, Access::write, r, !c.inter && is_root(c, root));
    int rc = MPIPY_COLL(C, Scatter, Iscatter, s.buf.addr, s.count, s.buf.type, r.buf.addr, r.count,
                        r.buf.type, root, c.comm);
    return finish<C>(state, rc);
}

template <Call C>
nb::object scatterv(const Comm &self, nb::handle info, nb::handle sendbuf, nb::handle recvbuf,
                    int root) {
    Context c = context_of(self);
    CollState frame;
    auto state = new_state<C>(info, frame);
    CollSide &s = state->send, &r = state->recv;
    if (is_root(c, root)) parse_vector(sendbuf, Access::read, s, false, c.size);
    if (!c.inter || root >= 0) parse_plain(recvbuf, Access::write, r, !c.inter && is_root(c, root));
    if (!c.inter && is_root(c, root))
        check_own_block(s.buf.type, s.counts[c.rank], r.buf.type, r.count);
    int rc = MPIPY_COLL(C, Scatterv, Iscatterv, s.buf.addr, s.counts.data(), s.displs.data(),
                        s.buf.type, r.buf.addr, r.count, r.buf.type, root, c.comm);
    return finish<C>(state, rc);
}

template <Call C>
nb::object allgather(const Comm &self, nb::handle info, nb::handle sendbuf, nb::handle recvbuf) {
    Context c = context_of(self);
    CollState frame;
    auto state = new_state<C>(info, frame);
    CollSide &s = state->send, &r = state->recv;
    parse_block(recvbuf, Access::write, r, false, c.size);
    parse_plain(sendbuf, Access::read, s, !c.inter);
    int rc = MPIPY_COLL(C, Allgather, Iallgather, s.buf.addr, s.count, s.buf.type, r.buf.addr,
                        r.count, r.buf.type, c.comm);
    return finish<C>(state, rc);
}

template <Call C>
nb::object allgatherv(const Comm &self, nb::handle info, nb::handle sendbuf, nb::handle recvbuf) {
    Context c = context_of(self);
    CollState frame;
    auto state = new_state<C>(info, frame);
    CollSide &s = state->send, &r = state->recv;
    parse_vector(recvbuf, Access::write, r, false, c.size);
    parse_plain(sendbuf, Access::read, s, !c.inter);
    if (!c.inter) check_own_block(s.buf.type, s.count, r.buf.type, r.counts[c.rank]);
    int rc = MPIPY_COLL(C, Allgatherv, Iallgatherv, s.buf.addr, s.count, s.buf.type, r.buf.addr,
                        r.counts.data(), r.displs.data(), r.buf.type, c.comm);
    return finish<C>(state, rc);
}

template <Call C>
nb::object alltoall(const Comm &self, nb::handle info, nb::handle sendbuf, nb::handle recvbuf) {
    Context c = context_of(self);
    CollState frame;
    auto state = new_state<C>(info, frame);
    CollSide &s = state->send, &r = state->recv;
    parse_block(recvbuf, Access::write, r, false, c.size);
    parse_block(sendbuf, Access::read, s, !c.inter, c.size);
    int rc = MPIPY_COLL(C, Alltoall, Ialltoall, s.buf.addr, s.count, s.buf.type, r.buf.addr,
                        r.count, r.buf.type, c.comm);
    return finish<C>(state, rc);
}

template <Call C>
nb::object alltoallv(const Comm &self, nb::handle info, nb::handle sendbuf, nb::handle recvbuf) {
    Context c = context_of(self);
    CollState frame;
    auto state = new_state<C>(info, frame);
    CollSide &s = state->send, &r = state->recv;
    parse_vector(recvbuf, Access::write, r, false, c.size);
    parse_vector(sendbuf, Access::read, s, !c.inter, c.size);
    if (!c.inter && s.buf.addr != MPI_IN_PLACE)
        check_own_block(s.buf.type, s.counts[c.rank], r.buf.type, r.counts[c.rank]);
    int rc =
        MPIPY_COLL(C, Alltoallv, Ialltoallv, s.buf.addr, s.counts.data(), s.displs.data(),
                   s.buf.type, r.buf.addr, r.counts.data(), r.displs.data(), r.buf.type, c.comm);
    return finish<C>(state, rc);
}

// Alltoallw's byte displacements as MPI_Alltoallw takes them: MPI_Aint with MPI-4 large
// counts, int before (Neighbor_alltoallw takes MPI_Aint in every MPI).
template <class D = displ_t> D *alltoallw_displs(CollSide &side) {
    if constexpr (std::is_same_v<D, MPI_Aint>) {
        return side.byte_displs.data();
    } else {
        store_displs(side, side.byte_displs);
        return side.displs.data();
    }
}

template <Call C>
nb::object alltoallw(const Comm &self, nb::handle info, nb::handle sendbuf, nb::handle recvbuf) {
    Context c = context_of(self);
    CollState frame;
    auto state = new_state<C>(info, frame);
    CollSide &s = state->send, &r = state->recv;
    parse_vector_w(recvbuf, Access::write, r, false, c.size);
    parse_vector_w(sendbuf, Access::read, s, !c.inter, c.size);
    if (!c.inter && s.buf.addr != MPI_IN_PLACE)
        check_own_block(s.types[c.rank], s.counts[c.rank], r.types[c.rank], r.counts[c.rank]);
    displ_t *sdispls = alltoallw_displs(s), *rdispls = alltoallw_displs(r);
    int rc =
        MPIPY_COLL(C, Alltoallw, Ialltoallw, s.buf.addr, s.counts.data(), sdispls, s.types.data(),
                   r.buf.addr, r.counts.data(), rdispls, r.types.data(), c.comm);
    return finish<C>(state, rc);
}

template <Call C>
nb::object reduce(const Comm &self, nb::handle info, nb::handle sendbuf, nb::handle recvbuf,
                  nb::handle op, int root) {
    Context c = context_of(self);
    MPI_Op mop = op_arg(op);
    CollState frame;
    auto state = new_state<C>(info, frame);
    CollSide &s = state->send, &r = state->recv;
    if (is_root(c, root)) parse_plain(recvbuf, Access::write, r, false);
    if (!c.inter || root >= 0) parse_plain(sendbuf, Access::read, s, !c.inter && is_root(c, root));
    const bool in_place = s.buf.addr == MPI_IN_PLACE;
    count_t count = (c.inter ? (root >= 0 ? s.count : r.count) : (in_place ? r.count : s.count));
    MPI_Datatype type =
        (c.inter ? (root >= 0 ? s.buf.type : r.buf.type) : (in_place ? r.buf.type : s.buf.type));
    if (!c.inter && is_root(c, root)) check_reduction_pair(s, r);
    if (type == MPI_DATATYPE_NULL) type = MPI_BYTE;
    if (c.inter && root == MPI_PROC_NULL) {
        // Ignored by MPI, but Open MPI's Ireduce with count 0 skips a step the other
        // processes take and the next nonblocking collective hangs (as with Ibcast, see
        // bcast): describe one unused element of a datatype that suits the operation.
        static int unused[2] = {0, 0};
        s.buf.addr = r.buf.addr = unused;
        count = 1;
        type = (mop == MPI_MAXLOC || mop == MPI_MINLOC) ? MPI_2INT : MPI_INT;
    }
    int rc = MPIPY_COLL(C, Reduce, Ireduce, s.buf.addr, r.buf.addr, count, type, mop, root, c.comm);
    return finish<C>(state, rc);
}

template <Call C>
nb::object allreduce(const Comm &self, nb::handle info, nb::handle sendbuf, nb::handle recvbuf,
                     nb::handle op) {
    Context c = context_of(self);
    MPI_Op mop = op_arg(op);
    CollState frame;
    auto state = new_state<C>(info, frame);
    CollSide &s = state->send, &r = state->recv;
    parse_plain(recvbuf, Access::write, r, false);
    parse_plain(sendbuf, Access::read, s, !c.inter);
    check_reduction_pair(s, r);  // on intercommunicators too: one count for both buffers
    int rc = MPIPY_COLL(C, Allreduce, Iallreduce, s.buf.addr, r.buf.addr, r.count, r.buf.type, mop,
                        c.comm);
    return finish<C>(state, rc);
}

template <Call C>
nb::object reduce_scatter_block(const Comm &self, nb::handle info, nb::handle sendbuf,
                                nb::handle recvbuf, nb::handle op) {
    Context c = context_of(self);
    MPI_Op mop = op_arg(op);
    CollState frame;
    auto state = new_state<C>(info, frame);
    CollSide &s = state->send, &r = state->recv;
    parse_plain(sendbuf, Access::read, s, !c.inter);
    if (s.buf.addr == MPI_IN_PLACE) {
        parse_block(recvbuf, Access::write, r, false, c.size);  // recvbuf holds all blocks
    } else {
        parse_plain(recvbuf, Access::write, r, false);
        // n * recvcount with n the local group's size, on intercommunicators too.
        int local = 0;
        check(MPI_Comm_size(c.comm, &local));
        if (s.buf.count != r.buf.count * local)
            throw nb::value_error(("message: send count " + std::to_string(s.buf.count) +
                                   " is not the receive count " + std::to_string(r.buf.count) +
                                   " times the group size " + std::to_string(local))
                                      .c_str());
        if (s.buf.type != r.buf.type)
            throw nb::value_error("message: send and receive datatypes differ");
    }
    int rc = MPIPY_COLL(C, Reduce_scatter_block, Ireduce_scatter_block, s.buf.addr, r.buf.addr,
                        r.count, r.buf.type, mop, c.comm);
    return finish<C>(state, rc);
}

template <Call C>
nb::object reduce_scatter(const Comm &self, nb::handle info, nb::handle sendbuf, nb::handle recvbuf,
                          nb::handle recvcounts, nb::handle op) {
    Context c = context_of(self);
    MPI_Op mop = op_arg(op);
    CollState frame;
    auto state = new_state<C>(info, frame);
    CollSide &s = state->send, &r = state->recv;
    parse_plain(sendbuf, Access::read, s, !c.inter);
    parse_plain(recvbuf, Access::write, r, false);
    int local = 0;
    check(MPI_Comm_size(c.comm, &local));
    std::vector<MPI_Count> counts;
    if (recvcounts.is_none()) {  // each process receives what its recvbuf holds
        // (an Allgather over an intercommunicator would bring the other group's counts)
        if (c.inter)
            throw nb::value_error("Reduce_scatter on an intercommunicator needs recvcounts");
        MPI_Count mine =
            s.buf.addr == MPI_IN_PLACE ? r.buf.count / (local ? local : 1) : r.buf.count;
        counts.resize(static_cast<size_t>(local));
        check(MPI_Allgather(&mine, 1, MPI_COUNT, counts.data(), 1, MPI_COUNT, c.comm));
    } else {
        counts = integers(recvcounts, local, "receive counts");
        check_counts(counts);
    }
    // The send buffer (the receive buffer in place) holds sum(counts) elements, of which
    // this process receives counts[rank]; on intercommunicators both refer to the local group.
    MPI_Count sum = 0;
    for (MPI_Count n : counts) sum += n;
    if (s.buf.addr == MPI_IN_PLACE) {
        if (r.buf.count != sum)
            throw nb::value_error(("message: receive count " + std::to_string(r.buf.count) +
                                   " is not sum(counts) " + std::to_string(sum))
                                      .c_str());
    } else {
        if (s.buf.count != sum)
            throw nb::value_error(("message: send count " + std::to_string(s.buf.count) +
                                   " is not sum(counts) " + std::to_string(sum))
                                      .c_str());
        if (r.buf.count != counts[static_cast<size_t>(c.rank)])
            throw nb::value_error(("message: receive count " + std::to_string(r.buf.count) +
                                   " is not counts[" + std::to_string(c.rank) + "] " +
                                   std::to_string(counts[static_cast<size_t>(c.rank)]))
                                      .c_str());
        if (s.buf.type != r.buf.type)
            throw nb::value_error("message: send and receive datatypes differ");
    }
    for (MPI_Count n : counts) r.counts.push_back(to_count_t(n));
    MPI_Datatype type = r.buf.type;
    int rc = MPIPY_COLL(C, Reduce_scatter, Ireduce_scatter, s.buf.addr, r.buf.addr, r.counts.data(),
                        type, mop, c.comm);
    return finish<C>(state, rc);
}

template <Call C>
nb::object scan(const Comm &self, nb::handle info, nb::handle sendbuf, nb::handle recvbuf,
                nb::handle op) {
    Context c = context_of(self);
    MPI_Op mop = op_arg(op);
    CollState frame;
    auto state = new_state<C>(info, frame);
    CollSide &s = state->send, &r = state->recv;
    parse_plain(recvbuf, Access::write, r, false);
    parse_plain(sendbuf, Access::read, s, true);
    check_reduction_pair(s, r);
    int rc = MPIPY_COLL(C, Scan, Iscan, s.buf.addr, r.buf.addr, r.count, r.buf.type, mop, c.comm);
    return finish<C>(state, rc);
}

template <Call C>
nb::object exscan(const Comm &self, nb::handle info, nb::handle sendbuf, nb::handle recvbuf,
                  nb::handle op) {
    Context c = context_of(self);
    MPI_Op mop = op_arg(op);
    CollState frame;
    auto state = new_state<C>(info, frame);
    CollSide &s = state->send, &r = state->recv;
    parse_plain(recvbuf, Access::write, r, false);
    parse_plain(sendbuf, Access::read, s, true);
    check_reduction_pair(s, r);
    int rc =
        MPIPY_COLL(C, Exscan, Iexscan, s.buf.addr, r.buf.addr, r.count, r.buf.type, mop, c.comm);
    return finish<C>(state, rc);
}

// Neighbourhood collectives: blocks per incoming (receive) and outgoing (send) neighbour.
template <Call C>
nb::object neighbor_allgather(const Comm &self, nb::handle info, nb::handle sendbuf,
                              nb::handle recvbuf) {
    MPI_Comm comm = self.get();
    auto [indegree, outdegree] = topology_degrees(comm);
    (void)outdegree;
    CollState frame;
    auto state = new_state<C>(info, frame);
    CollSide &s = state->send, &r = state->recv;
    parse_block(recvbuf, Access::write, r, false, indegree);
    parse_plain(sendbuf, Access::read, s, false);
    int rc = MPIPY_COLL(C, Neighbor_allgather, Ineighbor_allgather, s.buf.addr, s.count, s.buf.type,
                        r.buf.addr, r.count, r.buf.type, comm);
    return finish<C>(state, rc);
}

template <Call C>
nb::object neighbor_allgatherv(const Comm &self, nb::handle info, nb::handle sendbuf,
                               nb::handle recvbuf) {
    MPI_Comm comm = self.get();
    auto [indegree, outdegree] = topology_degrees(comm);
    (void)outdegree;
    CollState frame;
    auto state = new_state<C>(info, frame);
    CollSide &s = state->send, &r = state->recv;
    parse_vector(recvbuf, Access::write, r, false, indegree);
    parse_plain(sendbuf, Access::read, s, false);
    int rc =
        MPIPY_COLL(C, Neighbor_allgatherv, Ineighbor_allgatherv, s.buf.addr, s.count, s.buf.type,
                   r.buf.addr, nonnull(r.counts), nonnull(r.displs), r.buf.type, comm);
    return finish<C>(state, rc);
}

template <Call C>
nb::object neighbor_alltoall(const Comm &self, nb::handle info, nb::handle sendbuf,
                             nb::handle recvbuf) {
    MPI_Comm comm = self.get();
    auto [indegree, outdegree] = topology_degrees(comm);
    CollState frame;
    auto state = new_state<C>(info, frame);
    CollSide &s = state->send, &r = state->recv;
    parse_block(recvbuf, Access::write, r, false, indegree);
    parse_block(sendbuf, Access::read, s, false, outdegree);
    int rc = MPIPY_COLL(C, Neighbor_alltoall, Ineighbor_alltoall, s.buf.addr, s.count, s.buf.type,
                        r.buf.addr, r.count, r.buf.type, comm);
    return finish<C>(state, rc);
}

template <Call C>
nb::object neighbor_alltoallv(const Comm &self, nb::handle info, nb::handle sendbuf,
                              nb::handle recvbuf) {
    MPI_Comm comm = self.get();
    auto [indegree, outdegree] = topology_degrees(comm);
    CollState frame;
    auto state = new_state<C>(info, frame);
    CollSide &s = state->send, &r = state->recv;
    parse_vector(recvbuf, Access::write, r, false, indegree);
    parse_vector(sendbuf, Access::read, s, false, outdegree);
    int rc = MPIPY_COLL(C, Neighbor_alltoallv, Ineighbor_alltoallv, s.buf.addr, nonnull(s.counts),
                        nonnull(s.displs), s.buf.type, r.buf.addr, nonnull(r.counts),
                        nonnull(r.displs), r.buf.type, comm);
    return finish<C>(state, rc);
}

template <Call C>
nb::object neighbor_alltoallw(const Comm &self, nb::handle info, nb::handle sendbuf,
                              nb::handle recvbuf) {
    MPI_Comm comm = self.get();
    auto [indegree, outdegree] = topology_degrees(comm);
    CollState frame;
    auto state = new_state<C>(info, frame);
    CollSide &s = state->send, &r = state->recv;
    parse_vector_w(recvbuf, Access::write, r, false, indegree);
    parse_vector_w(sendbuf, Access::read, s, false, outdegree);
    int rc = MPIPY_COLL(C, Neighbor_alltoallw, Ineighbor_alltoallw, s.buf.addr, nonnull(s.counts),
                        nonnull(s.byte_displs), nonnull(s.types), r.buf.addr, nonnull(r.counts),
                        nonnull(r.byte_displs), nonnull(r.types), comm);
    return finish<C>(state, rc);
}

// The docstrings of a collective's three forms: "Nonblocking " and "Persistent " precede what
// it does, which the blocking form's docstring may say at more length.
struct Docs {
    static std::string capitalized(std::string text) {
        if (!text.empty()) text[0] = static_cast<char>(std::toupper(text[0]));
        return text;
    }
    std::string blocking, nonblocking, persistent;
    Docs(const char *what) : Docs(capitalized(what).c_str(), what) {}
    Docs(const char *blocking, const char *what)
        : blocking(blocking), nonblocking(std::string("Nonblocking ") + what),
          persistent(std::string("Persistent ") + what) {}
};

// An implementation fn<C>(self, info, args...) of a collective in one of its forms C. The
// info argument comes first, so that the Python arguments that follow can be deduced.
template <class... Args> using Form = nb::object (*)(const Comm &, nb::handle, Args...);

// The Python methods of a form F of a collective taking Args: blocking (returns None),
// nonblocking and persistent (info last).
template <auto F, class Sig = decltype(F)> struct Methods;
template <auto F, class... Args> struct Methods<F, Form<Args...>> {
    static void blocking(nb::handle self, Args... args) {
        F(self_as<Comm>(self), nb::none(), args...);
    }
    static nb::object nonblocking(nb::handle self, Args... args) {
        return F(self_as<Comm>(self), nb::none(), args...);
    }
    static nb::object persistent(nb::handle self, Args... args, nb::handle info) {
        return F(self_as<Comm>(self), info, args...);
    }
};

// Bind a collective in its three forms: Name(args...) blocking, returning None; Iname(args...)
// nonblocking, returning a Request (Gather: Igather); Name_init(args..., info) persistent,
// returning a Prequest. The first two get fast entries (core/fastcall.hpp).
template <auto Blocking, auto Nonblocking, auto Persistent, class Class, class... ArgSpecs>
void def_collective(Class &cls, const char *name, const Docs &docs, const ArgSpecs &...specs) {
    std::string nonblocking_name = std::string("I") + name;
    nonblocking_name[1] = static_cast<char>(std::tolower(nonblocking_name[1]));
    fastcall::def<&Methods<Blocking>::blocking>(cls, name, specs..., docs.blocking.c_str());
    fastcall::def<&Methods<Nonblocking>::nonblocking>(cls, nonblocking_name.c_str(), specs...,
                                                      docs.nonblocking.c_str());
    cls.def((std::string(name) + "_init").c_str(), &Methods<Persistent>::persistent, specs...,
            nb::arg("info") = nb::none(), docs.persistent.c_str());
}

// The template arguments of def_collective for fn<C>.
#define MPIPY_FORMS(fn) &fn<Call::blocking>, &fn<Call::nonblocking>, &fn<Call::persistent>

}  // namespace

void bind_collectives(nb::module_ &m, CommClasses &classes) {
    nb::class_<Comm> &comm = classes.comm;
    nb::class_<Intracomm, Comm> &intra = classes.intracomm;
    nb::class_<Topocomm, Intracomm> &topo = classes.topocomm;
    const auto buf = nb::arg("buf").none();
    const auto sendbuf = nb::arg("sendbuf").none();
    const auto recvbuf = nb::arg("recvbuf").none();
    const auto root0 = nb::arg("root") = 0;
    const auto sum = nb::arg("op") = nb::borrow(m.attr("SUM"));

    def_collective<MPIPY_FORMS(barrier)>(comm, "Barrier",
                                         {"Barrier synchronization.", "barrier synchronization."});
    def_collective<MPIPY_FORMS(bcast)>(
        comm, "Bcast", {"Broadcast data from one process to all other processes.", "broadcast."},
        buf, root0);

    // Rooted collectives.
    def_collective<MPIPY_FORMS(gather)>(comm, "Gather", "gather to one process.", sendbuf, recvbuf,
                                        root0);
    def_collective<MPIPY_FORMS(gatherv)>(comm, "Gatherv", "gather vector to one process.", sendbuf,
                                         recvbuf, root0);
    def_collective<MPIPY_FORMS(scatter)>(comm, "Scatter", "scatter data from one process.", sendbuf,
                                         recvbuf, root0);
    def_collective<MPIPY_FORMS(scatterv)>(comm, "Scatterv", "scatter vector data from one process.",
                                          sendbuf, recvbuf, root0);

    // Unrooted collectives.
    def_collective<MPIPY_FORMS(allgather)>(comm, "Allgather", "gather to all.", sendbuf, recvbuf);
    def_collective<MPIPY_FORMS(allgatherv)>(comm, "Allgatherv", "gather vector to all.", sendbuf,
                                            recvbuf);
    def_collective<MPIPY_FORMS(alltoall)>(comm, "Alltoall", "all to all scatter/gather.", sendbuf,
                                          recvbuf);
    def_collective<MPIPY_FORMS(alltoallv)>(comm, "Alltoallv", "all to all scatter/gather vector.",
                                           sendbuf, recvbuf);
    def_collective<MPIPY_FORMS(alltoallw)>(
        comm, "Alltoallw", "generalized all to all scatter/gather.", sendbuf, recvbuf);

    // Neighbourhood collectives.
    def_collective<MPIPY_FORMS(neighbor_allgather)>(topo, "Neighbor_allgather",
                                                    "neighbor gather to all.", sendbuf, recvbuf);
    def_collective<MPIPY_FORMS(neighbor_allgatherv)>(
        topo, "Neighbor_allgatherv", "neighbor gather vector to all.", sendbuf, recvbuf);
    def_collective<MPIPY_FORMS(neighbor_alltoall)>(topo, "Neighbor_alltoall",
                                                   "neighbor all to all.", sendbuf, recvbuf);
    def_collective<MPIPY_FORMS(neighbor_alltoallv)>(
        topo, "Neighbor_alltoallv", "neighbor all to all vector.", sendbuf, recvbuf);
    def_collective<MPIPY_FORMS(neighbor_alltoallw)>(
        topo, "Neighbor_alltoallw", "neighbor generalized all to all.", sendbuf, recvbuf);

    // Reductions.
    def_collective<MPIPY_FORMS(reduce)>(comm, "Reduce", {"Reduce to root.", "reduce to root."},
                                        sendbuf, recvbuf, sum, root0);
    def_collective<MPIPY_FORMS(allreduce)>(comm, "Allreduce", "reduce to all.", sendbuf, recvbuf,
                                           sum);
    def_collective<MPIPY_FORMS(reduce_scatter_block)>(comm, "Reduce_scatter_block",
                                                      "reduce-scatter (regular-size blocks).",
                                                      sendbuf, recvbuf, sum);
    def_collective<MPIPY_FORMS(reduce_scatter)>(
        comm, "Reduce_scatter",
        {"Reduce-scatter (vector version).", "reduce-scatter (vector version)."}, sendbuf, recvbuf,
        nb::arg("recvcounts") = nb::none(), sum);
    def_collective<MPIPY_FORMS(scan)>(intra, "Scan", "inclusive scan.", sendbuf, recvbuf, sum);
    def_collective<MPIPY_FORMS(exscan)>(intra, "Exscan", "exclusive scan.", sendbuf, recvbuf, sum);
}

#undef MPIPY_FORMS

}  // namespace mpipy

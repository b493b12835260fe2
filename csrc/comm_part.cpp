// Partitioned point-to-point communication (MPI-4): Comm.Psend_init and Comm.Precv_init, and
// the partition methods of the Prequest they return (Pready, Pready_range, Pready_list,
// Parrived). Without MPI_Psend_init in the MPI, each raises NotImplementedError.
#include "core/progress.hpp"

#include <climits>
#include <vector>

namespace mpipy {

namespace {

#if MPIPY_HAVE_PARTITIONED

// What a partitioned request owns (its buffer, until freed) and knows, so that what MPIs crash
// on is refused first with the error class MPICH gives (or the closest): a partition out of
// range, marked ready twice in a round, or marked while the request is not active (Open MPI
// crashes on the first, MPICH on the second).
struct PartitionedState : RequestState {
    int partitions = 0;
    bool send = false;
    // PROC_NULL: a persistent send or receive with no peer stands in (MPICH crashes on
    // partitioned ones); partitions are checked all the same, and arrive at once.
    bool proc_null = false;
    bool active = false;      // started and not completed yet
    std::vector<bool> ready;  // the send partitions marked in this round
    void started() override {
        active = true;
        ready.assign(send ? static_cast<size_t>(partitions) : 0, false);
    }
    nb::object complete(const MPI_Status &) override {
        active = false;
        return nb::none();
    }
};

// A partition number, an int for MPI: TypeError for a non-integer, OverflowError beyond int.
int int_arg(nb::handle obj, const char *what) {
    const long long v = index_arg(obj, what);
    if (v < INT_MIN || v > INT_MAX)
        raise_error(PyExc_OverflowError,
                    std::string(what) + ": " + std::to_string(v) + " does not fit in a C int");
    return static_cast<int>(v);
}

// The peer and tag of a partitioned transfer, checked (Open MPI crashes on a rank beyond the
// communicator). Wildcards are refused, as MPICH does.
void check_peer(MPI_Comm comm, int rank, int tag) {
    if (rank != MPI_PROC_NULL) {
        int inter = 0, size = 0;
        check(MPI_Comm_test_inter(comm, &inter));
        check(inter ? MPI_Comm_remote_size(comm, &size) : MPI_Comm_size(comm, &size));
        if (rank < 0 || rank >= size) throw MpiError{MPI_ERR_RANK};
    }
    if (tag < 0) throw MpiError{MPI_ERR_TAG};
    void *ub = nullptr;
    int flag = 0;
    check(MPI_Comm_get_attr(comm, MPI_TAG_UB, &ub, &flag));
    if (flag && tag > *static_cast<int *>(ub)) throw MpiError{MPI_ERR_TAG};
}

template <bool send>
nb::object partitioned_init(nb::handle self, nb::handle buf, int partitions, int peer, int tag,
                            nb::handle info) {
    MPI_Comm comm = self_as<Comm>(self).get();
    MPI_Info inf = info_arg(info);
    if (partitions < 1) throw MpiError{MPI_ERR_ARG};
    check_peer(comm, peer, tag);
    auto state = new_request_state<PartitionedState>();
    state->notify_start = true;
    state->partitions = partitions;
    state->send = send;
    state->proc_null = peer == MPI_PROC_NULL;
    MessageBuffer &b = state->buffers[0];
    MPI_Request h = MPI_REQUEST_NULL;
    if (state->proc_null) {  // the buffer is ignored, as for any transfer with PROC_NULL
        check(send ? MPI_Send_init(nullptr, 0, MPI_BYTE, peer, tag, comm, &h)
                   : MPI_Recv_init(nullptr, 0, MPI_BYTE, peer, tag, comm, &h));
    } else {
        parse_message(buf, send ? Access::read : Access::write, b, partitions, "partition");
        check(send ? MPI_Psend_init(b.addr, partitions, b.count, b.type, peer, tag, comm, inf, &h)
                   : MPI_Precv_init(b.addr, partitions, b.count, b.type, peer, tag, comm, inf, &h));
    }
    return make_request(h, std::move(state), true);
}

// The request a partition method works on: its handle (null: ERR_REQUEST) and its partitioned
// state; none for a request mpipy did not make (fromhandle), which MPI alone checks. Any other
// state is not a partitioned request of this direction: ERR_REQUEST, as MPICH says.
struct Partitioned {
    MPI_Request handle;
    PartitionedState *state;
};
Partitioned partitioned_of(nb::handle self, bool send) {
    Request &r = self_as<Prequest>(self);
    require_active();
    if (r.state && r.state->released) {  // freed through a copy
        r.state.reset();
        r.handle = MPI_REQUEST_NULL;
    }
    const MPI_Request h = r.state ? r.state->handle : r.handle;
    if (h == MPI_REQUEST_NULL) throw_null_handle(MPI_ERR_REQUEST, "Prequest");
    PartitionedState *state = nullptr;
    if (r.state) {
        state = dynamic_cast<PartitionedState *>(r.state.get());
        if (!state || state->send != send) throw MpiError{MPI_ERR_REQUEST};
    }
    return {h, state};
}

// Mark n partitions, the i-th being partition(i), in the state's round; undone when one is out
// of range or marked already (then nothing is marked).
template <class Partition> void mark(PartitionedState &s, size_t n, Partition &&partition) {
    if (!s.active) throw MpiError{MPI_ERR_REQUEST};
    for (size_t i = 0; i < n; ++i) {
        const int p = partition(i);
        if (p < 0 || p >= s.partitions || s.ready[p]) {
            for (size_t j = 0; j < i; ++j) s.ready[partition(j)] = false;
            throw MpiError{MPI_ERR_ARG};
        }
        s.ready[p] = true;
    }
}
template <class Partition> void unmark(PartitionedState &s, size_t n, Partition &&partition) {
    for (size_t i = 0; i < n; ++i) s.ready[partition(i)] = false;
}

// Mark n partitions ready through `call` (an MPI_Pready* returning its error code).
template <class Partition, class Call>
void pready(const Partitioned &t, size_t n, Partition &&partition, Call &&call) {
    if (t.state) mark(*t.state, n, partition);
    if (t.state && t.state->proc_null) return;
    const int rc = call();
    if (rc != MPI_SUCCESS && t.state) unmark(*t.state, n, partition);
    check(rc);
}

void pready_one(nb::handle self, nb::handle partition) {
    const Partitioned t = partitioned_of(self, true);
    const int p = int_arg(partition, "partition");
    pready(t, 1, [p](size_t) { return p; }, [&] { return MPI_Pready(p, t.handle); });
}

void pready_range(nb::handle self, nb::handle low_obj, nb::handle high_obj) {
    const Partitioned t = partitioned_of(self, true);
    const int low = int_arg(low_obj, "partition_low");
    const int high = int_arg(high_obj, "partition_high");
    if (t.state && high < low) throw MpiError{MPI_ERR_ARG};
    const size_t n = high < low ? 0 : static_cast<size_t>(high) - low + 1;
    pready(
        t, n, [low](size_t i) { return static_cast<int>(low + i); },
        [&] { return MPI_Pready_range(low, high, t.handle); });
}

void pready_list(nb::handle self, nb::handle partitions) {
    const Partitioned t = partitioned_of(self, true);
    nb::object fast =
        nb::steal(PySequence_Fast(partitions.ptr(), "partitions must be a sequence of integers"));
    if (!fast) throw nb::python_error();
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(fast.ptr());
    if (n > INT_MAX) throw nb::value_error("too many partitions");
    std::vector<int> list(static_cast<size_t>(n));
    for (Py_ssize_t i = 0; i < n; ++i)
        list[i] = int_arg(PySequence_Fast_GET_ITEM(fast.ptr(), i), "partition");
    static int none[1] = {0};  // MPIs refuse a null array, even empty
    int *data = list.empty() ? none : list.data();
    pready(
        t, list.size(), [&](size_t i) { return list[i]; },
        [&] { return MPI_Pready_list(static_cast<int>(n), data, t.handle); });
}

bool parrived(nb::handle self, nb::handle partition) {
    const Partitioned t = partitioned_of(self, false);
    const int p = int_arg(partition, "partition");
    if (t.state) {
        if (p < 0 || p >= t.state->partitions) throw MpiError{MPI_ERR_ARG};
        // An inactive request has nothing pending (MPI-4.1 says true); with PROC_NULL nothing
        // comes.
        if (!t.state->active || t.state->proc_null) return true;
    }
    int flag = 0;
    check(MPI_Parrived(t.handle, p, &flag));
    return flag != 0;
}

#else  // no partitioned communication in this MPI: the methods say so

template <bool send>
nb::object partitioned_init(nb::handle, nb::handle, int, int, int, nb::handle) {
    throw_not_implemented(send ? "MPI_Psend_init" : "MPI_Precv_init");
}
void pready_one(nb::handle, nb::handle) { throw_not_implemented("MPI_Pready"); }
void pready_range(nb::handle, nb::handle, nb::handle) { throw_not_implemented("MPI_Pready_range"); }
void pready_list(nb::handle, nb::handle) { throw_not_implemented("MPI_Pready_list"); }
bool parrived(nb::handle, nb::handle) { throw_not_implemented("MPI_Parrived"); }

#endif

}  // namespace

void bind_partitioned(nb::module_ &, CommClasses &classes) {
    classes.comm
        .def("Psend_init", &partitioned_init<true>, nb::arg("buf").none(), nb::arg("partitions"),
             nb::arg("dest"), nb::arg("tag") = 0, nb::arg("info").none() = nb::none(),
             "Create request for a partitioned send operation.")
        .def("Precv_init", &partitioned_init<false>, nb::arg("buf").none(), nb::arg("partitions"),
             nb::arg("source") = static_cast<int>(MPI_ANY_SOURCE),
             nb::arg("tag") = static_cast<int>(MPI_ANY_TAG), nb::arg("info").none() = nb::none(),
             "Create request for a partitioned recv operation.");
    nb::handle prequest = nb::type<Prequest>();
    nb::cpp_function_def(&pready_one, nb::scope(prequest), nb::name("Pready"), nb::is_method(),
                         nb::arg("partition"), "Mark a given partition as ready.");
    nb::cpp_function_def(&pready_range, nb::scope(prequest), nb::name("Pready_range"),
                         nb::is_method(), nb::arg("partition_low"), nb::arg("partition_high"),
                         "Mark a range of partitions as ready.");
    nb::cpp_function_def(&pready_list, nb::scope(prequest), nb::name("Pready_list"),
                         nb::is_method(), nb::arg("partitions"),
                         "Mark a sequence of partitions as ready.");
    nb::cpp_function_def(&parrived, nb::scope(prequest), nb::name("Parrived"), nb::is_method(),
                         nb::arg("partition"),
                         "Test partial completion of a partitioned receive operation.");
}

}  // namespace mpipy

// Collective communication of Python objects (lowercase methods). Data moves with MPI
// collectives (sizes first, then bytes); reductions and scans combine with the Python-level
// operation over a binomial tree / recursive doubling on a private communicator (a duplicate
// of an intracommunicator, the merge of an intercommunicator), created at the first object
// reduction (a collective call) and freed with the user's communicator.
#include "pickled.hpp"
#include "request.hpp"

#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

namespace mpipy {

namespace {

// ---------------------------------------------------------------------------------------------
// Byte payloads.

nb::object dumps_bytes(nb::handle obj) {
    OutgoingObject out;
    pickle_outgoing(obj, MPI_COMM_NULL, MPI_PROC_NULL, out);  // in-band only
    return out.stream;
}

nb::object loads_bytes(const char *data, MPI_Count size) {
    nb::object view =
        nb::steal(PyMemoryView_FromMemory(const_cast<char *>(data), size, PyBUF_READ));
    if (!view) throw nb::python_error();
    return unpickle(view, nb::handle());
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

int run(int rc) {
    check(rc);
    return rc;
}

// ---------------------------------------------------------------------------------------------

nb::object bcast_obj(const Comm &self, nb::handle obj, int root) {
    MPI_Comm comm = self.get();
    const bool inter = comm_is_inter(comm);
    int rank = 0;
    check(MPI_Comm_rank(comm, &rank));
    const bool sender = inter ? root == MPI_ROOT : rank == root;
    // On intercommunicators the other processes of the root's group (PROC_NULL) take part
    // in both MPI calls too, with nothing to send or receive.
    const bool receiver = !sender && !(inter && root == MPI_PROC_NULL);
    nb::object data;
    MPI_Count size = 0;
    if (sender) {
        data = dumps_bytes(obj);
        size = PyBytes_GET_SIZE(data.ptr());
    }
    {
        nb::gil_scoped_release nogil;
        run(MPI_Bcast(&size, 1, MPI_COUNT, root, comm));
    }
    if (!sender) {
        data = nb::steal(PyBytes_FromStringAndSize(nullptr, receiver ? size : 0));
        if (!data) throw nb::python_error();
    }
    int rc;
    {
        nb::gil_scoped_release nogil;
        CallCount c(receiver || sender ? size : 0, MPI_BYTE);
        rc = MPIPY_C(MPI_Bcast)(PyBytes_AS_STRING(data.ptr()), c.count, c.type, root, comm);
    }
    check(rc);
    if (sender) return inter ? nb::none() : nb::borrow(obj);
    if (!receiver) return nb::none();
    return loads_bytes(PyBytes_AS_STRING(data.ptr()), size);
}

// Gather byte strings from every process (of the remote group on intercomms) at `root`
// (or everywhere with root < 0 meaning "all"), as a list of objects.
nb::list unpack_all(const std::vector<MPI_Count> &sizes, const std::string &bytes) {
    nb::list out;
    MPI_Count at = 0;
    for (MPI_Count s : sizes) {
        out.append(loads_bytes(bytes.data() + at, s));
        at += s;
    }
    return out;
}

#if MPIPY_HAVE_LARGE_COUNT
using vcount_t = MPI_Count;
using vdispl_t = MPI_Aint;
#else
using vcount_t = int;
using vdispl_t = int;
#endif

void counts_displs(const std::vector<MPI_Count> &sizes, std::vector<vcount_t> &counts,
                   std::vector<vdispl_t> &displs) {
    MPI_Count at = 0;
    for (MPI_Count s : sizes) {
        if (!MPIPY_HAVE_LARGE_COUNT && (s > INT_MAX || at > INT_MAX))
            throw nb::value_error("objects beyond 2 GiB in a gather need MPI-4 large counts");
        counts.push_back(static_cast<vcount_t>(s));
        displs.push_back(static_cast<vdispl_t>(at));
        at += s;
    }
}

nb::object gather_obj(const Comm &self, nb::handle obj, int root, bool all) {
    MPI_Comm comm = self.get();
    const bool inter = comm_is_inter(comm);
    int rank = 0;
    check(MPI_Comm_rank(comm, &rank));
    const int n = group_size(comm, inter);
    const bool receiver = all || (inter ? root == MPI_ROOT : rank == root);
    const bool sender = all || !inter || root >= 0;
    nb::object data = sender ? dumps_bytes(obj) : nb::bytes("", 0);
    MPI_Count size = PyBytes_GET_SIZE(data.ptr());
    std::vector<MPI_Count> sizes(receiver ? n : 0);
    {
        nb::gil_scoped_release nogil;
        if (all)
            run(MPI_Allgather(&size, 1, MPI_COUNT, sizes.data(), 1, MPI_COUNT, comm));
        else
            run(MPI_Gather(&size, 1, MPI_COUNT, sizes.data(), 1, MPI_COUNT, root, comm));
    }
    std::vector<vcount_t> counts;
    std::vector<vdispl_t> displs;
    MPI_Count total = 0;
    for (MPI_Count s : sizes) total += s;
    counts_displs(sizes, counts, displs);
    std::string bytes(static_cast<size_t>(total), '\0');
    int rc;
    {
        nb::gil_scoped_release nogil;
        CallCount c(size, MPI_BYTE);
#if MPIPY_HAVE_LARGE_COUNT
        if (all)
            rc = MPI_Allgatherv_c(PyBytes_AS_STRING(data.ptr()), size, MPI_BYTE, bytes.data(),
                                  counts.data(), displs.data(), MPI_BYTE, comm);
        else
            rc = MPI_Gatherv_c(PyBytes_AS_STRING(data.ptr()), size, MPI_BYTE, bytes.data(),
                               counts.data(), displs.data(), MPI_BYTE, root, comm);
#else
        if (size > INT_MAX)
            rc = MPI_ERR_COUNT;
        else if (all)
            rc = MPI_Allgatherv(PyBytes_AS_STRING(data.ptr()), static_cast<int>(size), MPI_BYTE,
                                bytes.data(), counts.data(), displs.data(), MPI_BYTE, comm);
        else
            rc = MPI_Gatherv(PyBytes_AS_STRING(data.ptr()), static_cast<int>(size), MPI_BYTE,
                             bytes.data(), counts.data(), displs.data(), MPI_BYTE, root, comm);
#endif
        (void)c;
    }
    check(rc);
    if (!receiver) return nb::none();
    return unpack_all(sizes, bytes);
}

nb::object scatter_obj(const Comm &self, nb::handle objs, int root) {
    MPI_Comm comm = self.get();
    const bool inter = comm_is_inter(comm);
    int rank = 0;
    check(MPI_Comm_rank(comm, &rank));
    const int n = group_size(comm, inter);
    const bool sender = inter ? root == MPI_ROOT : rank == root;
    const bool receiver = !inter || root >= 0;
    std::vector<MPI_Count> sizes;
    std::string bytes;
    if (sender) {
        nb::object seq =
            nb::steal(PySequence_Fast(objs.ptr(), "scatter needs a sequence at the root"));
        if (!seq) throw nb::python_error();
        if (PySequence_Fast_GET_SIZE(seq.ptr()) != n)
            throw nb::value_error(
                ("scatter: expecting " + std::to_string(n) + " objects at the root").c_str());
        for (int i = 0; i < n; ++i) {
            nb::object d = dumps_bytes(PySequence_Fast_GET_ITEM(seq.ptr(), i));
            sizes.push_back(PyBytes_GET_SIZE(d.ptr()));
            bytes.append(PyBytes_AS_STRING(d.ptr()), static_cast<size_t>(sizes.back()));
        }
    }
    MPI_Count size = 0;
    {
        nb::gil_scoped_release nogil;
        run(MPI_Scatter(sizes.data(), 1, MPI_COUNT, &size, 1, MPI_COUNT, root, comm));
    }
    std::vector<vcount_t> counts;
    std::vector<vdispl_t> displs;
    counts_displs(sizes, counts, displs);
    std::string mine(static_cast<size_t>(receiver ? size : 0), '\0');
    int rc;
    {
        nb::gil_scoped_release nogil;
#if MPIPY_HAVE_LARGE_COUNT
        rc = MPI_Scatterv_c(bytes.data(), counts.data(), displs.data(), MPI_BYTE, mine.data(), size,
                            MPI_BYTE, root, comm);
#else
        rc = size > INT_MAX
                 ? MPI_ERR_COUNT
                 : MPI_Scatterv(bytes.data(), counts.data(), displs.data(), MPI_BYTE, mine.data(),
                                static_cast<int>(size), MPI_BYTE, root, comm);
#endif
    }
    check(rc);
    if (!receiver) return nb::none();
    return loads_bytes(mine.data(), size);
}

nb::object alltoall_obj(const Comm &self, nb::handle objs) {
    MPI_Comm comm = self.get();
    const bool inter = comm_is_inter(comm);
    const int n = group_size(comm, inter);
    nb::object seq = nb::steal(PySequence_Fast(objs.ptr(), "alltoall needs a sequence"));
    if (!seq) throw nb::python_error();
    if (PySequence_Fast_GET_SIZE(seq.ptr()) != n)
        throw nb::value_error(("alltoall: expecting " + std::to_string(n) + " objects").c_str());
    std::vector<MPI_Count> ssizes, rsizes(n);
    std::string sbytes;
    for (int i = 0; i < n; ++i) {
        nb::object d = dumps_bytes(PySequence_Fast_GET_ITEM(seq.ptr(), i));
        ssizes.push_back(PyBytes_GET_SIZE(d.ptr()));
        sbytes.append(PyBytes_AS_STRING(d.ptr()), static_cast<size_t>(ssizes.back()));
    }
    {
        nb::gil_scoped_release nogil;
        run(MPI_Alltoall(ssizes.data(), 1, MPI_COUNT, rsizes.data(), 1, MPI_COUNT, comm));
    }
    std::vector<vcount_t> sc, rc_;
    std::vector<vdispl_t> sd, rd;
    counts_displs(ssizes, sc, sd);
    counts_displs(rsizes, rc_, rd);
    MPI_Count total = 0;
    for (MPI_Count s : rsizes) total += s;
    std::string rbytes(static_cast<size_t>(total), '\0');
    int rc;
    {
        nb::gil_scoped_release nogil;
        rc = MPIPY_C(MPI_Alltoallv)(sbytes.data(), sc.data(), sd.data(), MPI_BYTE, rbytes.data(),
                                    rc_.data(), rd.data(), MPI_BYTE, comm);
    }
    check(rc);
    return unpack_all(rsizes, rbytes);
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
    int rc;
    {
        nb::gil_scoped_release nogil;
        rc = inter ? MPI_Intercomm_merge(comm, 0, &dup) : MPI_Comm_dup(comm, &dup);
    }
    check(rc);
    MPI_Comm_set_errhandler(dup, MPI_ERRORS_RETURN);
    check(MPI_Comm_set_attr(comm, coll_keyval, reinterpret_cast<void *>(handle_to_int(dup))));
    return dup;
}

// The predefined operations apply_op knows.
bool object_op_supported(MPI_Op op) {
    return op == MPI_SUM || op == MPI_PROD || op == MPI_MAX || op == MPI_MIN || op == MPI_LAND ||
           op == MPI_LOR || op == MPI_LXOR || op == MPI_BAND || op == MPI_BOR || op == MPI_BXOR ||
           op == MPI_REPLACE || op == MPI_NO_OP || op == MPI_MAXLOC || op == MPI_MINLOC;
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
// Partial results on trees. When combining (or pickling) fails on a process, the exception
// takes the place of the partial result in every later message (error_tag instead of
// value_tag), so every process still plays its part and nobody is left waiting. At the end a
// process raises the exception when its result depended on it, and the process where it was
// raised raises its own (with its traceback) in any case.

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

// Pickled exception; one that does not pickle travels as a RuntimeError with its text.
nb::object dumps_error(nb::handle error) {
    try {
        return dumps_bytes(error);
    } catch (nb::python_error &) {
        nb::str text(
            (std::string(nb::type_name(error.type()).c_str()) + ": " + nb::str(error).c_str())
                .c_str());
        return dumps_bytes(nb::borrow(PyExc_RuntimeError)(text));
    }
}

// The bytes a partial result travels as, and whether they hold an exception.
std::pair<nb::object, bool> dumps_partial(Partial &p) {
    if (!p.error.is_valid()) {
        try {
            return {dumps_bytes(p.value), false};
        } catch (nb::python_error &e) {
            fail(p, e);
        }
    }
    return {dumps_error(p.error), true};
}

[[noreturn]] void raise_exception(nb::handle error) {
    PyErr_SetObject(reinterpret_cast<PyObject *>(Py_TYPE(error.ptr())), error.ptr());
    throw nb::python_error();
}

// What a process returns: its result (`holder`) or None; or raises as said above.
nb::object outcome(const Partial &p, bool holder) {
    if (p.own.is_valid()) raise_exception(p.own);
    if (!holder) return nb::none();
    if (p.error.is_valid()) raise_exception(p.error);
    return p.value;
}

void send_partial(Partial &p, int dest, MPI_Comm comm) {
    auto [d, failed] = dumps_partial(p);
    int rc;
    {
        nb::gil_scoped_release nogil;
        CallCount c(PyBytes_GET_SIZE(d.ptr()), MPI_BYTE);
        rc = MPIPY_C(MPI_Send)(PyBytes_AS_STRING(d.ptr()), c.count, c.type, dest,
                               failed ? error_tag : value_tag, comm);
    }
    check(rc);
}

Partial recv_partial(int source, MPI_Comm comm) {
    MPI_Status st;
    MPI_Message msg;
    int rc;
    {
        nb::gil_scoped_release nogil;
        rc = MPI_Mprobe(source, MPI_ANY_TAG, comm, &msg, &st);
    }
    check(rc);
    MPI_Count size = status_count(st, MPI_BYTE);
    std::string bytes(static_cast<size_t>(size), '\0');
    {
        nb::gil_scoped_release nogil;
        CallCount c(size, MPI_BYTE);
        rc = MPIPY_C(MPI_Mrecv)(bytes.data(), c.count, c.type, &msg, MPI_STATUS_IGNORE);
    }
    check(rc);
    Partial p;
    try {
        (st.MPI_TAG == error_tag ? p.error : p.value) = loads_bytes(bytes.data(), size);
    } catch (nb::python_error &e) {
        fail(p, e);
    }
    return p;
}

// Broadcast a partial result from root of the intracommunicator pcomm; the sender keeps its
// own, the others get the root's (and keep their own exception).
Partial bcast_partial(Partial &p, MPI_Comm pcomm, int root, bool sender) {
    nb::object data;
    MPI_Count head[2] = {0, 0};  // size, and whether it is an exception
    if (sender) {
        auto [d, failed] = dumps_partial(p);
        data = d;
        head[0] = PyBytes_GET_SIZE(d.ptr());
        head[1] = failed ? 1 : 0;
    }
    {
        nb::gil_scoped_release nogil;
        run(MPI_Bcast(head, 2, MPI_COUNT, root, pcomm));
    }
    if (!sender) {
        data = nb::steal(PyBytes_FromStringAndSize(nullptr, head[0]));
        if (!data) throw nb::python_error();
    }
    int rc;
    {
        nb::gil_scoped_release nogil;
        CallCount c(head[0], MPI_BYTE);
        rc = MPIPY_C(MPI_Bcast)(PyBytes_AS_STRING(data.ptr()), c.count, c.type, root, pcomm);
    }
    check(rc);
    if (sender) return p;
    Partial out;
    out.own = p.own;
    try {
        (head[1] ? out.error : out.value) = loads_bytes(PyBytes_AS_STRING(data.ptr()), head[0]);
    } catch (nb::python_error &e) {
        fail(out, e);
    }
    return out;
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
        Partial first = bcast_partial(mine, pcomm, 0, prank == 0);
        Partial second = bcast_partial(mine, pcomm, second_root, prank == second_root);
        Partial &theirs = base == 0 ? second : first;
        theirs.own = mine.own;
        return outcome(theirs, true);
    }
    if (root_group) {
        if (root != MPI_ROOT) return nb::none();
        return outcome(recv_partial(remote_base, pcomm), true);
    }
    Partial result = reduce_to_first(obj, op, pcomm, base, rank, size);
    if (rank == 0) send_partial(result, remote_base + root, pcomm);
    return outcome(result, false);
}

// Small objects skip the tree: every pickled object goes to where it is needed in two
// collectives (sizes, then bytes), and is combined there in rank order. Two synchronisations
// instead of one per tree level (each costing milliseconds when processes outnumber cores);
// every process knows every size, so all take the same path.
constexpr MPI_Count small_reduction_bytes = 64 * 1024;  // all pickled objects together

struct Pickles {
    std::vector<MPI_Count> sizes;  // of every process's pickled object
    MPI_Count total = 0;
    nb::object mine;
};

// An object that does not pickle shares size -1: everyone raises instead of waiting.
Pickles pickle_and_share_sizes(nb::handle obj, MPI_Comm comm, int size) {
    Pickles p;
    nb::object error;
    MPI_Count n = -1;
    try {
        p.mine = dumps_bytes(obj);
        n = PyBytes_GET_SIZE(p.mine.ptr());
    } catch (nb::python_error &e) {
        error = nb::borrow(e.value());
    }
    p.sizes.resize(static_cast<size_t>(size));
    {
        nb::gil_scoped_release nogil;
        run(MPI_Allgather(&n, 1, MPI_COUNT, p.sizes.data(), 1, MPI_COUNT, comm));
    }
    if (error.is_valid()) raise_exception(error);
    for (size_t r = 0; r < p.sizes.size(); ++r) {
        if (p.sizes[r] < 0)
            throw std::runtime_error("object reduction: the object of process " +
                                     std::to_string(r) + " could not be pickled");
        p.total += p.sizes[r];
    }
    return p;
}

// Gather the small pickles everywhere (root < 0) or at root; fold those of ranks
// [0, upto) in rank order at the processes that get them (None elsewhere, or for upto 0).
nb::object gather_and_fold(const Pickles &p, nb::handle op, MPI_Comm comm, int rank, int root,
                           int upto) {
    std::vector<int> counts, displs;
    int at = 0;
    for (MPI_Count s : p.sizes) {
        counts.push_back(static_cast<int>(s));
        displs.push_back(at);
        at += static_cast<int>(s);
    }
    std::string bytes(static_cast<size_t>(p.total), '\0');
    const char *mine = PyBytes_AS_STRING(p.mine.ptr());
    const int n = counts[static_cast<size_t>(rank)];
    {
        nb::gil_scoped_release nogil;
        if (root < 0)
            run(MPI_Allgatherv(mine, n, MPI_BYTE, bytes.data(), counts.data(), displs.data(),
                               MPI_BYTE, comm));
        else
            run(MPI_Gatherv(mine, n, MPI_BYTE, bytes.data(), counts.data(), displs.data(), MPI_BYTE,
                            root, comm));
    }
    if ((root >= 0 && rank != root) || upto == 0) return nb::none();
    nb::object acc = loads_bytes(bytes.data(), counts[0]);
    for (int i = 1; i < upto; ++i)
        acc = combine(op, acc,
                      loads_bytes(bytes.data() + displs[static_cast<size_t>(i)],
                                  counts[static_cast<size_t>(i)]));
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
    if (size == 1) return nb::borrow(obj);
    Pickles p = pickle_and_share_sizes(obj, comm, size);
    if (p.total <= small_reduction_bytes)
        return gather_and_fold(p, op, comm, rank, all ? -1 : root, size);
    MPI_Comm pcomm = private_comm(comm, false);
    Partial result = reduce_to_first(obj, op, pcomm, 0, rank, size);
    if (all) return outcome(bcast_partial(result, pcomm, 0, rank == 0), true);
    if (root != 0) {
        if (rank == 0) send_partial(result, root, pcomm);
        if (rank == root) {
            Partial got = recv_partial(0, pcomm);
            got.own = result.own;
            result = got;
        }
    }
    return outcome(result, rank == root);
}

// Inclusive (or exclusive) scan by recursive doubling, order preserved.
nb::object scan_obj(const Comm &self, nb::handle obj, nb::handle op, bool exclusive) {
    MPI_Comm comm = self.get();
    check_object_op(op);
    int rank = 0, size = 0;
    check(MPI_Comm_rank(comm, &rank));
    check(MPI_Comm_size(comm, &size));
    if (size == 1) return exclusive ? nb::none() : nb::borrow(obj);
    Pickles p = pickle_and_share_sizes(obj, comm, size);
    if (p.total <= small_reduction_bytes)
        return gather_and_fold(p, op, comm, rank, -1, exclusive ? rank : rank + 1);
    MPI_Comm pcomm = private_comm(comm, false);
    Partial acc{nb::borrow(obj), nb::object(), nb::object()};  // op over (rank - 2^k, rank]
    for (int d = 1; d < size; d <<= 1) {
        if (rank + d < size) send_partial(acc, rank + d, pcomm);
        if (rank - d >= 0) absorb(acc, recv_partial(rank - d, pcomm), true, op);
    }
    if (!exclusive) return outcome(acc, true);
    if (rank + 1 < size) send_partial(acc, rank + 1, pcomm);
    if (rank == 0) return outcome(acc, false);
    Partial before = recv_partial(rank - 1, pcomm);
    before.own = acc.own;
    return outcome(before, true);
}

// A vector's storage as MPI gets it: never null, since MPICH rejects null buffers even
// for a process without neighbours.
template <class T> T *nonnull(std::vector<T> &v) {
    static T none{};
    return v.empty() ? &none : v.data();
}

// Neighbourhood object collectives: None for PROC_NULL neighbours (nothing arrives there).
nb::list unpack_neighbors(const std::vector<MPI_Count> &sizes, const std::string &bytes) {
    nb::list out;
    MPI_Count at = 0;
    for (MPI_Count s : sizes) {
        out.append(s > 0 ? loads_bytes(bytes.data() + at, s) : nb::none());
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
        nb::gil_scoped_release nogil;
        run(MPI_Neighbor_allgather(&size, 1, MPI_COUNT, nonnull(sizes), 1, MPI_COUNT, comm));
    }
    std::vector<vcount_t> counts;
    std::vector<vdispl_t> displs;
    counts_displs(sizes, counts, displs);
    MPI_Count total = 0;
    for (MPI_Count n : sizes) total += n;
    std::string bytes(static_cast<size_t>(total), '\0');
    int rc;
    {
        nb::gil_scoped_release nogil;
        CallCount c(size, MPI_BYTE);
        rc = MPIPY_C(MPI_Neighbor_allgatherv)(PyBytes_AS_STRING(data.ptr()), c.count, c.type,
                                              bytes.data(), nonnull(counts), nonnull(displs),
                                              MPI_BYTE, comm);
    }
    check(rc);
    return unpack_neighbors(sizes, bytes);
}

nb::object neighbor_alltoall_obj(const Comm &self, nb::handle objs) {
    MPI_Comm comm = self.get();
    auto [indegree, outdegree] = topology_degrees(comm);
    nb::object seq = nb::steal(PySequence_Fast(objs.ptr(), "neighbor_alltoall needs a sequence"));
    if (!seq) throw nb::python_error();
    if (PySequence_Fast_GET_SIZE(seq.ptr()) != outdegree)
        throw nb::value_error(("neighbor_alltoall: expecting " + std::to_string(outdegree) +
                               " objects (one per outgoing neighbor)")
                                  .c_str());
    std::vector<MPI_Count> ssizes, rsizes(static_cast<size_t>(indegree), 0);
    std::string sbytes;
    for (int i = 0; i < outdegree; ++i) {
        nb::object d = dumps_bytes(PySequence_Fast_GET_ITEM(seq.ptr(), i));
        ssizes.push_back(PyBytes_GET_SIZE(d.ptr()));
        sbytes.append(PyBytes_AS_STRING(d.ptr()), static_cast<size_t>(ssizes.back()));
    }
    {
        nb::gil_scoped_release nogil;
        run(MPI_Neighbor_alltoall(nonnull(ssizes), 1, MPI_COUNT, nonnull(rsizes), 1, MPI_COUNT,
                                  comm));
    }
    std::vector<vcount_t> sc, rc_;
    std::vector<vdispl_t> sd, rd;
    counts_displs(ssizes, sc, sd);
    counts_displs(rsizes, rc_, rd);
    MPI_Count total = 0;
    for (MPI_Count n : rsizes) total += n;
    std::string rbytes(static_cast<size_t>(total), '\0');
    int rc;
    {
        nb::gil_scoped_release nogil;
        rc = MPIPY_C(MPI_Neighbor_alltoallv)(sbytes.data(), nonnull(sc), nonnull(sd), MPI_BYTE,
                                             rbytes.data(), nonnull(rc_), nonnull(rd), MPI_BYTE,
                                             comm);
    }
    check(rc);
    return unpack_neighbors(rsizes, rbytes);
}

}  // namespace

// A predefined operation applied to Python objects, with Python's semantics.
nb::object apply_op(MPI_Op op, nb::handle a, nb::handle b) {
    auto result = [](PyObject *r) {
        if (!r) throw nb::python_error();
        return nb::steal(r);
    };
    auto truth = [](nb::handle x) {
        int t = PyObject_IsTrue(x.ptr());
        if (t < 0) throw nb::python_error();
        return t != 0;
    };
    auto less = [](nb::handle x, nb::handle y) {
        int t = PyObject_RichCompareBool(x.ptr(), y.ptr(), Py_LT);
        if (t < 0) throw nb::python_error();
        return t != 0;
    };
    if (op == MPI_SUM) return result(PyNumber_Add(a.ptr(), b.ptr()));
    if (op == MPI_PROD) return result(PyNumber_Multiply(a.ptr(), b.ptr()));
    if (op == MPI_MAX) return nb::borrow(less(a, b) ? b : a);
    if (op == MPI_MIN) return nb::borrow(less(b, a) ? b : a);
    if (op == MPI_LAND) return nb::bool_(truth(a) && truth(b));
    if (op == MPI_LOR) return nb::bool_(truth(a) || truth(b));
    if (op == MPI_LXOR) return nb::bool_(truth(a) != truth(b));
    if (op == MPI_BAND) return result(PyNumber_And(a.ptr(), b.ptr()));
    if (op == MPI_BOR) return result(PyNumber_Or(a.ptr(), b.ptr()));
    if (op == MPI_BXOR) return result(PyNumber_Xor(a.ptr(), b.ptr()));
    if (op == MPI_REPLACE) return nb::borrow(b);
    if (op == MPI_NO_OP) return nb::borrow(a);
    if (op == MPI_MAXLOC || op == MPI_MINLOC) {  // (value, index) pairs; ties: lower index
        nb::handle av = a[0], bv = b[0];
        bool a_wins = op == MPI_MAXLOC ? less(bv, av) : less(av, bv);
        bool b_wins = op == MPI_MAXLOC ? less(av, bv) : less(bv, av);
        if (a_wins) return nb::borrow(a);
        if (b_wins) return nb::borrow(b);
        return nb::make_tuple(av, less(b[1], a[1]) ? b[1] : a[1]);
    }
    throw nb::value_error("this operation cannot be applied to Python objects");
}

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

// The C++ types behind the Python classes of mpipy.MPI, one per MPI object kind, and the
// registration function of each concept family (called in order by module.cpp).
#pragma once

#include "core.hpp"

#include <compare>
#include <memory>

namespace mpipy {

// Python object for a communicator handle, of the subclass matching what it is
// (Intercomm, Cartcomm, Graphcomm, Distgraphcomm or Intracomm).
nb::object wrap_comm(MPI_Comm comm);

struct Comm : Handle<CommKind> {
    using Handle::Handle;
    static nb::object wrap(MPI_Comm comm) { return wrap_comm(comm); }
};
// validate(handle) raises TypeError when a handle is not of the class's kind.
struct Intracomm : Comm {
    static void validate(MPI_Comm comm);
};
struct Topocomm : Intracomm {
    static void validate(MPI_Comm comm);
};
struct Cartcomm : Topocomm {
    static void validate(MPI_Comm comm);
};
struct Graphcomm : Topocomm {
    static void validate(MPI_Comm comm);
};
struct Distgraphcomm : Topocomm {
    static void validate(MPI_Comm comm);
};
struct Intercomm : Comm {
    static void validate(MPI_Comm comm);
};

struct Group : Handle<GroupKind> {
    using Handle::Handle;
};
struct Datatype : Handle<DatatypeKind> {
    using Handle::Handle;
    static nb::object reduce(nb::handle self);      // derived ones: rebuilt from their contents
    static bool predefined_handle(MPI_Datatype t);  // Fortran 90 ones, made by MPI
};
struct RequestState;
struct Request : Handle<RequestKind> {
    using Handle::Handle;
    Request() = default;
    Request(const Request &other) = default;
    ~Request();
    // What MPI still uses (buffers, pickled data), shared by copies of the request, kept
    // until MPI completes it (see request.cpp for requests dropped while pending).
    std::shared_ptr<RequestState> state;
    WeakRefs weakrefs;  // see enable_weak_references
    void copy_extra(const Request &other) { state = other.state; }
    // Python truth: in flight. An object receive still looking for its message is, though it
    // has no MPI handle yet (request.cpp).
    bool in_flight();
};
struct Prequest : Request {};
struct Grequest : Request {};
struct Op : Handle<OpKind> {
    using Handle::Handle;
    // Made by Op.Create (or a copy of one made so): it knows its function, and pickles as
    // Op.Create again. An Op rebuilt from a bare handle (fromint, fromhandle) does not.
    bool created = false;
    void copy_extra(const Op &other) { created = other.created; }
    static nb::object reduce(nb::handle self);
};
struct Info : Handle<InfoKind> {
    using Handle::Handle;
    static nb::object reduce(nb::handle self);  // Info.Create of its items
};
struct Errhandler : Handle<ErrhandlerKind> {
    using Handle::Handle;
};
struct Message : Handle<MessageKind> {
    using Handle::Handle;
    // What the matching probe saw, for lowercase receives of the message.
    MPI_Comm comm = MPI_COMM_NULL;
    int source = MPI_PROC_NULL;
    MPI_Count size = 0;
    WeakRefs weakrefs;  // see enable_weak_references
    // After a receive of the message: MPI's new handle (null), except for the module's
    // constants, which stay what they are (MESSAGE_NO_PROC can be received any number of times).
    void consumed(MPI_Message h) {
        if (!predefined) handle = h;
    }
    void copy_extra(const Message &other) {
        comm = other.comm;
        source = other.source;
        size = other.size;
    }
};
// A matched message as a Python Message object (remembering what the probe saw).
nb::object make_message(MPI_Message msg, MPI_Comm comm, const MPI_Status &status);
struct Win : Handle<WinKind> {
    using Handle::Handle;
};
struct File : Handle<FileKind> {
    using Handle::Handle;
};
struct Status {
    MPI_Status status;
    Status();
};
// BOTTOM, IN_PLACE and BUFFER_AUTOMATIC (msgbuffer.cpp): one object each, recognized by
// identity (their classes only ever give back the same object).
enum class AddressConstant { bottom, in_place, buffer_automatic };
extern PyObject *address_constants[3];
inline bool is_constant(nb::handle obj, AddressConstant which) {
    return obj.ptr() == address_constants[static_cast<int>(which)];
}
inline bool is_bottom_constant(nb::handle obj) { return is_constant(obj, AddressConstant::bottom); }
inline bool is_in_place(nb::handle obj) { return is_constant(obj, AddressConstant::in_place); }

#if MPIPY_HAVE_SESSIONS
struct Session : Handle<SessionKind> {
    using Handle::Handle;
};
#endif
// Sessions still open when Python exits are finalized first, unless rc.finalize is False
// (session.cpp); the error handler rc.errors chose, for what mpipy creates with an errhandler
// argument of None (environment.cpp).
void finalize_sessions_at_exit();
MPI_Errhandler default_errhandler();
// Whether this MPI can start again once everything initialized has ended (the world model
// finalized and no session open): Open MPI 5 hangs or aborts if asked to (session.cpp).
void require_restartable();
void note_world_finalized();

// Datatype helpers (datatype.cpp): the combiner of a datatype; whether a combiner marks a
// predefined datatype (named or Fortran 90 parameterized: never freed); the Python object for
// a datatype handle (the module constant of a named one, else a new Datatype).
int combiner_of(MPI_Datatype t);
int query_combiner(MPI_Datatype t, int &combiner);  // no check: returns MPI's error code
bool combiner_is_predefined(int combiner);
nb::object datatype_object(MPI_Datatype t);

// Derived datatypes mpipy made and nobody committed yet. MPI requires committed datatypes
// for communication and packing, and some MPIs crash instead of failing on some calls
// (Open MPI's MPI_Pack_size), so require_committed() raises MPI.Exception (ERR_TYPE) first,
// as it does for a datatype mpipy freed (FreedHandles: where a handle is read without get()).
// Handles from elsewhere (fromhandle, ...) are never in the set: MPI alone checks them.
void note_uncommitted(MPI_Datatype t);
void forget_uncommitted(MPI_Datatype t);  // committed or freed
bool is_uncommitted(MPI_Datatype t);
void require_committed(MPI_Datatype t);

// The MPI_Info of an optional info argument: None is MPI_INFO_NULL (info.cpp).
MPI_Info info_arg(nb::handle info);

// Set the error handler rc.errors chose (ERRORS_RETURN by default, so errors raise) on a
// communicator mpipy creates or receives.
void set_default_errhandler(MPI_Comm comm);
void set_default_win_errhandler(MPI_Win win);  // the same, for a window

// Registration, one per concept family, in dependency order.
void bind_errors(nb::module_ &m);
void bind_environment(nb::module_ &m);
nb::class_<Datatype> bind_datatype(nb::module_ &m);
void bind_datatype_derived(nb::module_ &m, nb::class_<Datatype> &cls);  // datatype_derived.cpp
void bind_pack(nb::module_ &m, nb::class_<Datatype> &cls);              // pack.cpp
void bind_abi_info(nb::module_ &m);  // datatype.cpp: the MPI-5 ABI queries
void bind_group(nb::module_ &m);
void bind_info(nb::module_ &m);
void bind_op(nb::module_ &m);
void bind_request(nb::module_ &m);
void bind_message(nb::module_ &m);
void bind_grequest(nb::module_ &m);  // grequest.cpp: Grequest.Start, Complete, complete
// Communicator locks (MPI._comm_lock and _comm_lock_table, comm.cpp): per communicator, a dict
// {key: threading.Lock} made on first request. While a communicator has one, its object
// bcast, gather and scatter hold the lock named after them, as mpi4py's do; without one they
// pay a single test. A null key takes no lock.
extern bool comm_lock_tables_exist;
class CommLock {
  public:
    CommLock(MPI_Comm comm, const char *key) {
        if (comm_lock_tables_exist) [[unlikely]]
            acquire(comm, key);
    }
    CommLock(const CommLock &) = delete;
    CommLock &operator=(const CommLock &) = delete;
    ~CommLock() {
        if (lock_.is_valid()) release();
    }

  private:
    void acquire(MPI_Comm comm, const char *key);
    void release() noexcept;
    nb::object lock_;
};
void forget_comm_locks(MPI_Comm comm);  // when mpipy frees the communicator

// The communicator classes, created by bind_comm and extended by the other comm families.
struct CommClasses {
    nb::class_<Comm> comm;
    nb::class_<Intracomm, Comm> intracomm;
    nb::class_<Topocomm, Intracomm> topocomm;
    nb::class_<Cartcomm, Topocomm> cartcomm;
    nb::class_<Graphcomm, Topocomm> graphcomm;
    nb::class_<Distgraphcomm, Topocomm> distgraphcomm;
    nb::class_<Intercomm, Comm> intercomm;
};
CommClasses bind_comm(nb::module_ &m);
void bind_p2p(nb::module_ &m, CommClasses &classes);
// Buffers for buffered sends (comm_p2p.cpp): attached to the process (the default scope), to a
// communicator or to a session (MPI-4.1); NotImplementedError where the MPI lacks the latter.
struct BufferScope {
    enum Kind { process, comm, session } kind = process;
    std::intptr_t handle = 0;
    static BufferScope of_comm(MPI_Comm c) { return {BufferScope::comm, handle_to_int(c)}; }
    MPI_Comm as_comm() const { return handle_from_int<MPI_Comm>(handle); }
#if MPIPY_HAVE_SESSIONS
    static BufferScope of_session(MPI_Session s) {
        return {BufferScope::session, handle_to_int(s)};
    }
    MPI_Session as_session() const { return handle_from_int<MPI_Session>(handle); }
#endif
    auto operator<=>(const BufferScope &) const = default;
};
void attach_buffer(BufferScope scope, nb::handle buf);
nb::object detach_buffer(BufferScope scope);
void flush_buffer(BufferScope scope);
nb::object iflush_buffer(BufferScope scope);
void bind_status(nb::module_ &m);
void bind_buffer(nb::module_ &m);
void bind_pickle(nb::module_ &m);
void bind_p2p_objects(nb::module_ &m, CommClasses &classes);
void bind_collectives(nb::module_ &m, CommClasses &classes);
void bind_collectives_objects(nb::module_ &m, CommClasses &classes);
void bind_topology(nb::module_ &m, CommClasses &classes);
void bind_attributes(nb::module_ &m, CommClasses &classes);
void bind_dpm(nb::module_ &m, CommClasses &classes);
void bind_ulfm(nb::module_ &m, CommClasses &classes);         // comm_ulfm.cpp
void bind_partitioned(nb::module_ &m, CommClasses &classes);  // comm_part.cpp

// Python exceptions raised in callbacks MPI runs (errors.cpp): stash_callback_error keeps
// the current one (GIL held, error set); the next failing check raises it instead of
// MPI.Exception, or raise_pending_callback_error does after an MPI call that succeeded.
void stash_callback_error();
// Attribute copy and delete callbacks, as mpi4py: the exception (GIL held, error set) is
// printed to sys.stderr and cleared; the MPI call then fails with ERR_OTHER.
void print_callback_error();
void raise_pending_callback_error();
// Comm.Create_errhandler, bound once the communicator classes exist (errors.cpp).
void bind_errhandler_functions(CommClasses &classes);
// Win.Create_errhandler, from the same table of Python error handlers (errors.cpp).
void bind_win_errhandler_functions(nb::class_<Win> &cls);

// Attributes of keyvals created from Python (attributes.cpp).
bool get_python_attr(MPI_Comm comm, int keyval, nb::object &out);
void delete_python_attributes();

// (indegree, outdegree) of a topology communicator, as neighbour collectives count them.
std::pair<int, int> topology_degrees(MPI_Comm comm);

// A predefined operation applied to Python objects (MPI.SUM(a, b) is a + b, ...), and whether
// apply_op knows op (op.cpp).
nb::object apply_op(MPI_Op op, nb::handle a, nb::handle b);
bool object_op_supported(MPI_Op op);
// The Python function of a user operation made by Op.Create (an invalid object otherwise), and
// the exception it raised inside an MPI call, raised after the call (op.cpp).
nb::object user_op_function(MPI_Op op);
void raise_op_error();
void bind_buffer_constants(nb::module_ &m);
void bind_win(nb::module_ &m);
// Window keyvals and attributes, by the mechanism of communicators and datatypes
// (attributes.cpp); one-sided operations and synchronization (win_rma.cpp).
void bind_win_attributes(nb::class_<Win> &cls);
void bind_win_rma(nb::class_<Win> &cls);
void bind_file(nb::module_ &m);
// Parallel I/O helpers: the data access methods (file_io.cpp); what a split collective begun on
// a file pins, dropped when the file closes (file_io.cpp); File.Create_errhandler's error
// handler calling a Python function (errors.cpp); the error handler rc.errors chose, set on
// every file mpipy opens (environment.cpp).
void bind_file_io(nb::class_<File> &cls);
void forget_split_collective(MPI_File file);
nb::object create_file_errhandler(nb::handle errhandler_fn);
#if MPIPY_HAVE_SESSIONS
nb::object create_session_errhandler(nb::handle errhandler_fn);  // the same, for sessions
#endif
void set_default_file_errhandler(MPI_File file);
void bind_session(nb::module_ &m);
void bind_objmodel(nb::module_ &m);
void bind_capi(nb::module_ &m);  // capi.cpp: the C API capsule MPI._C_API

}  // namespace mpipy

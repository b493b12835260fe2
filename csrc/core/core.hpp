// Shared core of the extension: MPI error checking, the life-cycle guard, and the handle
// template that gives every MPI object kind the same Python behaviour.
#pragma once

#include <mpi.h>
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

#include <cstdint>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>

#include "config.hpp"

namespace nb = nanobind;

namespace mpipy {

// ---------------------------------------------------------------------------------------------
// Errors. A failed MPI call throws MpiError; one translator (errors.cpp) turns it into
// MPI.Exception. The throwing helpers are cold so the inline checks stay small.

struct MpiError {
    int code;
};

[[noreturn]] void throw_mpi_error(int code);
[[noreturn]] void throw_not_active();  // MPI not initialized yet, or already finalized
[[noreturn]] void throw_null_handle(int error_class, const char *kind);
[[noreturn]] void throw_not_implemented(const char *what);
// The one way an argument error leaves C++: the Python exception `kind` (PyExc_TypeError,
// PyExc_ValueError, PyExc_BufferError, ...) with `message`; spec_error prefixes "message: ",
// for malformed buffer specs.
[[noreturn]] void raise_error(PyObject *kind, const std::string &message);
[[noreturn]] void spec_error(PyObject *kind, const std::string &what);
// The name of obj's type, for error messages.
std::string type_name_of(nb::handle obj);
// An integer argument: a Python int or anything with __index__ (a NumPy integer, ...);
// TypeError naming `what` for anything else, OverflowError beyond long long.
long long index_arg(nb::handle obj, const char *what);

inline void check(int rc) {
    if (rc != MPI_SUCCESS) [[unlikely]]
        throw_mpi_error(rc);
}

// An integer property (MPI_Group_size, MPI_Group_rank) of a group MPI handed out, which is
// freed: the group_size and group_rank of windows and files.
inline int group_property(MPI_Group group, int (*query)(MPI_Group, int *)) {
    int value = MPI_UNDEFINED;
    const int rc = query(group, &value);
    MPI_Group_free(&group);
    check(rc);
    return value;
}

// True between MPI initialization and finalization (the world model). Every entry point that
// calls MPI (other than the few MPI allows at any time) checks it, so that calls before Init
// or after Finalize raise instead of crashing inside MPI. MPI is also usable while a session
// is open (MPI-4 sessions, without or beside the world model): the check's cold path lets
// such calls through, so the hot paths test one flag either way.
extern bool mpi_active;
extern int sessions_open;  // sessions mpipy initialized and did not finalize yet (session.cpp)

inline bool mpi_usable() { return mpi_active || sessions_open > 0; }

// Cold: returns when a session is open, raises otherwise (throw_not_active).
void require_usable();
// The world model's communicators (COMM_WORLD, COMM_SELF) used while only sessions are open:
// raises (some MPIs crash on them).
[[noreturn]] void throw_world_model_inactive();

inline void require_active() {
    if (!mpi_active) [[unlikely]]
        require_usable();
}

// Who made the MPI library in use (MPICH or a derivative: Intel MPI, MVAPICH), for the
// workarounds of one library's behaviour. Read from the library at run time (environment.cpp),
// not from its mpi.h: a build against the MPI standard ABI runs on any of them.
enum class MpiVendor { mpich, open_mpi, other };
MpiVendor mpi_vendor();

// ---------------------------------------------------------------------------------------------
// The GIL around blocking MPI calls. Releasing and retaking it costs ~0.1 us, so it is kept
// when provably nobody can want it meanwhile: this is the only Python thread, and no Python
// callback (user op, error handler, attribute callback, ...) has been handed to MPI, which
// could run it from a thread of its own.

extern bool python_callbacks_registered;

inline bool others_may_need_gil() {
    if (python_callbacks_registered) return true;
    PyThreadState *self = PyThreadState_Get();
    PyThreadState *head = PyInterpreterState_ThreadHead(PyThreadState_GetInterpreter(self));
    return head != self || PyThreadState_Next(head) != nullptr;
}

class ReleaseGIL {
  public:
    ReleaseGIL() : state_(others_may_need_gil() ? PyEval_SaveThread() : nullptr) {}
    ReleaseGIL(const ReleaseGIL &) = delete;
    ReleaseGIL &operator=(const ReleaseGIL &) = delete;
    ~ReleaseGIL() {
        if (state_) PyEval_RestoreThread(state_);
    }

  private:
    PyThreadState *state_;
};

// Make an MPI call that may block (`call` returns its error code) with the GIL released, then
// raise its error with the GIL held again.
template <class F> void check_released(F &&call) {
    int rc;
    {
        ReleaseGIL nogil;
        rc = call();
    }
    check(rc);
}

// ---------------------------------------------------------------------------------------------
// Handles. One kind struct per MPI object kind (a tag: in MPICH every handle type is int, so
// the handle type alone cannot select them), one template for the Python behaviour.

// Integer forms of a handle: toint/fromint (MPI_Comm_toint, MPI-5; else the Fortran handle of
// older MPIs) and py2f/f2py (the Fortran handle, MPI_Comm_c2f). The MPI-5 standard ABI has no
// Fortran handles: there py2f/f2py raise NotImplementedError naming the function, as in mpi4py.
#if MPIPY_HAVE_FORTRAN_HANDLES
using fortran_int = MPI_Fint;
#define MPIPY_HANDLE_C2F(P)                                                                        \
    static fortran_int c2f(H h) { return MPI_##P##_c2f(h); }                                       \
    static H f2c(fortran_int i) { return MPI_##P##_f2c(i); }
#else
using fortran_int = int;
#define MPIPY_HANDLE_C2F(P)                                                                        \
    static fortran_int c2f(H) { throw_not_implemented("MPI_" #P "_c2f"); }                         \
    static H f2c(fortran_int) { throw_not_implemented("MPI_" #P "_f2c"); }
#endif
#if MPIPY_HAVE_TOINT
#define MPIPY_HANDLE_TOINT(P)                                                                      \
    static int toint(H h) { return MPI_##P##_toint(h); }                                           \
    static H fromint(int i) { return MPI_##P##_fromint(i); }
#else
#define MPIPY_HANDLE_TOINT(P)                                                                      \
    static int toint(H h) { return MPI_##P##_c2f(h); }                                             \
    static H fromint(int i) { return MPI_##P##_f2c(i); }
#endif

// P: the kind's infix in MPI's function names (MPI_<P>_c2f).
#define MPIPY_HANDLE_KIND(Kind, H_, Name, Null, ErrClass, P)                                       \
    struct Kind {                                                                                  \
        using handle_type = H_;                                                                    \
        using H = H_;                                                                              \
        static constexpr const char *name = Name;                                                  \
        static constexpr int error_class = ErrClass;                                               \
        static H null() { return Null; }                                                           \
        MPIPY_HANDLE_C2F(P)                                                                        \
        MPIPY_HANDLE_TOINT(P)                                                                      \
    };

MPIPY_HANDLE_KIND(CommKind, MPI_Comm, "Comm", MPI_COMM_NULL, MPI_ERR_COMM, Comm)
MPIPY_HANDLE_KIND(GroupKind, MPI_Group, "Group", MPI_GROUP_NULL, MPI_ERR_GROUP, Group)
MPIPY_HANDLE_KIND(DatatypeKind, MPI_Datatype, "Datatype", MPI_DATATYPE_NULL, MPI_ERR_TYPE, Type)
MPIPY_HANDLE_KIND(RequestKind, MPI_Request, "Request", MPI_REQUEST_NULL, MPI_ERR_REQUEST, Request)
MPIPY_HANDLE_KIND(OpKind, MPI_Op, "Op", MPI_OP_NULL, MPI_ERR_OP, Op)
MPIPY_HANDLE_KIND(InfoKind, MPI_Info, "Info", MPI_INFO_NULL, MPI_ERR_INFO, Info)
#ifdef MPIPY_HAVE_MPI_ERR_ERRHANDLER
#define MPIPY_ERR_ERRHANDLER MPI_ERR_ERRHANDLER
#else
#define MPIPY_ERR_ERRHANDLER MPI_ERR_ARG
#endif
MPIPY_HANDLE_KIND(ErrhandlerKind, MPI_Errhandler, "Errhandler", MPI_ERRHANDLER_NULL,
                  MPIPY_ERR_ERRHANDLER, Errhandler)
MPIPY_HANDLE_KIND(MessageKind, MPI_Message, "Message", MPI_MESSAGE_NULL, MPI_ERR_REQUEST, Message)
MPIPY_HANDLE_KIND(WinKind, MPI_Win, "Win", MPI_WIN_NULL, MPI_ERR_WIN, Win)
MPIPY_HANDLE_KIND(FileKind, MPI_File, "File", MPI_FILE_NULL, MPI_ERR_FILE, File)
#if MPIPY_HAVE_SESSIONS
MPIPY_HANDLE_KIND(SessionKind, MPI_Session, "Session", MPI_SESSION_NULL, MPI_ERR_SESSION, Session)
#endif
#undef MPIPY_HANDLE_KIND
#undef MPIPY_HANDLE_C2F
#undef MPIPY_HANDLE_TOINT

// Info objects may be used at any time, before initialization and after finalization too
// (MPI-4.1), so that a program can hand one to Session.Init.
template <class Kind> constexpr bool usable_anytime = std::is_same_v<Kind, InfoKind>;
template <class Kind> bool kind_usable() { return usable_anytime<Kind> || mpi_usable(); }

template <class Kind>
constexpr bool is_session_kind =
#if MPIPY_HAVE_SESSIONS
    std::is_same_v<Kind, SessionKind>;
#else
    false;
#endif

// Handle values cross into Python as integers, whatever their C type (int in MPICH,
// pointer in Open MPI).
template <class H> std::intptr_t handle_to_int(H h) {
    if constexpr (std::is_pointer_v<H>)
        return reinterpret_cast<std::intptr_t>(h);
    else
        return static_cast<std::intptr_t>(h);
}
template <class H> H handle_from_int(std::intptr_t i) {
    if constexpr (std::is_pointer_v<H>)
        return reinterpret_cast<H>(i);
    else
        return static_cast<H>(i);
}

// Handles freed while another Python object may still hold them (one handle, two objects:
// fromhandle, T(other), a pickle). MPIs do not check for them: MPICH asserts on a freed datatype
// or info, Open MPI's handles are pointers to freed memory. So mpipy counts the references MPI
// gave it (each new Python object of a handle from MPI: new_handle, new_like; MPI may give the
// same handle again, as MPI_Comm_group or MPI_Type_get_contents do) and each Free gives one
// back; at none left, get() raises MPI.Exception (the kind's error class) for the handle, until
// MPI hands it out again. Objects made from a bare handle (fromhandle, T(other)) are aliases
// and count nothing. Communicators are not counted: programs free them routinely, and then
// every Send would pay a lookup (operations and windows are, as programs seldom free them:
// Allreduce pays one predictable branch while none is freed). Files are: a copy of a closed
// file must raise, not reach MPI.
template <class Kind> struct FreedHandles {
    using H = typename Kind::handle_type;
    static constexpr bool tracked =
        std::is_same_v<Kind, DatatypeKind> || std::is_same_v<Kind, GroupKind> ||
        std::is_same_v<Kind, InfoKind> || std::is_same_v<Kind, ErrhandlerKind> ||
        std::is_same_v<Kind, OpKind> || std::is_same_v<Kind, WinKind> ||
        std::is_same_v<Kind, FileKind> || is_session_kind<Kind>;
    static inline std::unordered_map<std::intptr_t, int> references;
    static inline std::unordered_set<std::intptr_t> freed_set;
    static void given(H h) {
        if constexpr (tracked) {
            if (h == Kind::null()) return;
            ++references[handle_to_int(h)];
            if (!freed_set.empty()) [[unlikely]]
                freed_set.erase(handle_to_int(h));
        }
    }
    static void freed(H h) {
        if constexpr (tracked) {
            auto it = references.find(handle_to_int(h));
            if (it == references.end()) return;  // not counted: MPI alone knows
            if (--it->second > 0) return;
            references.erase(it);
            freed_set.insert(handle_to_int(h));
        }
    }
    static void check(H h) {
        if constexpr (tracked)
            if (!freed_set.empty()) [[unlikely]]
                if (freed_set.count(handle_to_int(h))) throw MpiError{Kind::error_class};
    }
};

// The C++ side of every Python handle object. `predefined` marks the module's constants
// (COMM_WORLD, INT, SUM, ...): they are never freed.
template <class Kind> struct Handle {
    using traits = Kind;
    using handle_type = typename Kind::handle_type;
    using H = handle_type;

    H handle = traits::null();
    bool predefined = false;

    Handle() = default;
    explicit Handle(H h) : handle(h) {}

    bool is_null() const { return handle == traits::null(); }

    // The handle, checked: MPI is running and the handle is not null (or freed).
    H get() const {
        if (!mpi_active) [[unlikely]] {
            if constexpr (!usable_anytime<Kind>) require_usable();
            if constexpr (std::is_same_v<Kind, CommKind>)
                if (handle == MPI_COMM_WORLD || handle == MPI_COMM_SELF)
                    throw_world_model_inactive();
        }
        if (is_null()) [[unlikely]]
            throw_null_handle(traits::error_class, traits::name);
        if (!predefined) FreedHandles<Kind>::check(handle);  // constants are never freed
        return handle;
    }
};

// nb::isinstance for hot paths, with the Python type cached: nanobind's own looks the C++ type
// up in a hash table each time.
// Remembers the last subclass it accepted (the objects calls see are mostly of one class:
// Intracomm for Comm's methods, Prequest for Request's), so that the MRO walk of
// PyType_IsSubtype is paid once; it holds a reference, so the type cannot go away and
// another take its address. Called with the GIL held.
template <class T> bool isinstance_cached(nb::handle h) {
    static PyTypeObject *const type = reinterpret_cast<PyTypeObject *>(nb::type<T>().ptr());
    static PyTypeObject *subclass = nullptr;
    PyTypeObject *t = Py_TYPE(h.ptr());
    if (t == type || t == subclass) [[likely]]
        return true;
    if (!PyType_IsSubtype(t, type)) return false;
    Py_INCREF(t);
    Py_XSETREF(subclass, t);
    return true;
}

// `self` of a method bound with an nb::handle first parameter, checked. For an instance of
// a subclass (COMM_WORLD is an Intracomm, Send is Comm's), this is much cheaper than
// nanobind's conversion to `const T &`, which the per-message methods feel.
template <class T> T &self_as(nb::handle self) {
    if (!isinstance_cached<T>(self)) [[unlikely]]
        throw nb::type_error("method called on an object of the wrong class");
    return *nb::inst_ptr<T>(self);
}

// Name of a module constant holding this handle (for pickling), or empty.
std::string predefined_name(const char *kind, std::intptr_t handle);
void register_predefined_name(const char *kind, std::intptr_t handle, const char *name);

// Create a Python object of the same class as `like` (so subclasses are preserved), holding h.
template <class T> nb::object new_like(nb::handle like, typename T::handle_type h) {
    nb::object obj = nb::borrow(like.type())();
    nb::inst_ptr<T>(obj)->handle = h;
    FreedHandles<typename T::traits>::given(h);
    return obj;
}

// A Python object of class T holding h, which MPI lent for the length of a callback (the
// datatype of a user reduction, the object of an attribute callback): no reference counted.
// Allocated directly (not through T's Python constructor): this is on the path of every
// Isend/Irecv.
template <class T> nb::object lent_handle(typename T::handle_type h) {
    static const nb::handle type = nb::type<T>();  // classes live as long as the module
    nb::object obj = nb::inst_alloc(type);
    T *p = nb::inst_ptr<T>(obj);
    new (p) T();
    p->handle = h;
    nb::inst_mark_ready(obj);
    return obj;
}

// A Python object of class T holding h, a reference MPI just gave (counted: FreedHandles).
template <class T> nb::object new_handle(typename T::handle_type h) {
    FreedHandles<typename T::traits>::given(h);
    return lent_handle<T>(h);
}

// Define a module constant of class T, flagged predefined, and record its name for pickling.
template <class T> void add_constant(nb::module_ &m, const char *name, typename T::handle_type h) {
    nb::object obj = new_handle<T>(h);
    nb::inst_ptr<T>(obj)->predefined = true;
    register_predefined_name(T::traits::name, handle_to_int(h), name);
    m.attr(name) = obj;
}

// Handle values as Python sees them (`handle`, fromhandle, MPI._handleof): unsigned, as in
// mpi4py (an int handle sign-extended to the width of a pointer). Any integer is taken back,
// negative ones too.
template <class H> std::uintptr_t handle_to_python(H h) {
    return static_cast<std::uintptr_t>(handle_to_int(h));
}
template <class H> H handle_from_python(nb::handle value) {
    if (!PyLong_Check(value.ptr()))
        throw nb::type_error(
            ("handle must be an integer, not " + std::string(nb::type_name(value.type()).c_str()))
                .c_str());
    const unsigned long long bits = PyLong_AsUnsignedLongLongMask(value.ptr());
    if (bits == static_cast<unsigned long long>(-1) && PyErr_Occurred()) throw nb::python_error();
    return handle_from_int<H>(static_cast<std::intptr_t>(bits));
}

// An object of class `cls` (T or a subclass) holding h; T::wrap picks the class instead where
// T defines it.
template <class T> nb::object wrap_handle_as(nb::handle cls, typename T::handle_type h) {
    if constexpr (requires { T::wrap(h); }) {
        return T::wrap(h);
    } else {
        nb::object obj = nb::borrow(cls)();
        if (!nb::isinstance<T>(obj)) throw nb::type_error("fromhandle: not a handle class");
        nb::inst_ptr<T>(obj)->handle = h;
        return obj;
    }
}

// For classmethod constructors (Info.Create, Session.Init): an empty object of class `cls` (T or
// a subclass), made before MPI is asked for the handle, then given it (counted: FreedHandles).
template <class T> nb::object empty_instance_of(nb::handle cls) {
    nb::object obj = nb::borrow(cls)();
    if (!nb::isinstance<T>(obj))
        throw nb::type_error((std::string("expecting a subclass of ") + T::traits::name).c_str());
    return obj;
}
template <class T> void give_handle(nb::handle obj, typename T::handle_type h) {
    nb::inst_ptr<T>(obj)->handle = h;
    FreedHandles<typename T::traits>::given(h);
}

// cls.name = classmethod(func): func gets the class it is called on first. nanobind has no
// classmethods of its own.
template <class C, class F, class... Extra>
void def_classmethod(C &cls, const char *name, F &&func, const Extra &...extra) {
    nb::object function =
        nb::cpp_function(std::forward<F>(func), nb::name(name), nb::arg("cls"), extra...);
    cls.attr(name) = nb::module_::import_("builtins").attr("classmethod")(function);
}

// Whether h is a handle MPI predefines (a module constant's, or one T::predefined_handle says
// is, as Fortran 90 datatypes): never freed.
template <class T> bool predefined_handle(typename T::handle_type h) {
    if (!predefined_name(T::traits::name, handle_to_int(h)).empty()) return true;
    if constexpr (requires { T::predefined_handle(h); })
        return T::predefined_handle(h);
    else
        return false;
}

// The module constant of that name (mpipy.MPI.<name>).
nb::object module_constant(const std::string &name);
[[noreturn]] void throw_cannot_serialize(nb::handle self);

// Pickling, as in mpi4py: a module constant by its name; another object holding a constant's
// handle as its class called on the constant; else as T::reduce says where T defines it
// (derived datatypes, user operations, info objects). Any other handle means nothing in
// another process: ValueError.
template <class T> nb::object reduce_handle(nb::handle self) {
    const T &obj = *nb::inst_ptr<T>(self);
    const std::string name = predefined_name(T::traits::name, handle_to_int(obj.handle));
    if (!name.empty()) {
        nb::object constant = module_constant(name);
        if (constant.is(self)) return nb::str(name.c_str());
        return nb::make_tuple(nb::borrow(self.type()), nb::make_tuple(constant));
    }
    if constexpr (requires { T::reduce(self); }) return T::reduce(self);
    throw_cannot_serialize(self);
}

// Weak references for the classes whose objects come and go per message (Request, Message).
// nanobind's is_weak_referenceable makes a class garbage-collected, which costs every
// Isend/Irecv about 300 instructions (GC tracking, no instance pooling); here the list of weak
// references is a member of the C++ object instead (`WeakRefs weakrefs;`), which
// enable_weak_references(cls) points the class's tp_weaklistoffset at.
class WeakRefs {
  public:
    WeakRefs() = default;
    WeakRefs(const WeakRefs &) {}  // a copy is another object: nothing refers to it yet
    WeakRefs &operator=(const WeakRefs &) { return *this; }
    // Only ever set inside a Python object, whose deallocation this is: clear what refers to
    // it (each weak reference knows its object).
    ~WeakRefs() {
        if (list_) PyObject_ClearWeakRefs(reinterpret_cast<PyWeakReference *>(list_)->wr_object);
    }

  private:
    PyObject *list_ = nullptr;
};

template <class T, class... Extra> void enable_weak_references(nb::class_<T, Extra...> &cls) {
    nb::object probe = new_handle<T>(T::traits::null());  // where the member is, in an object
    const Py_ssize_t offset = reinterpret_cast<char *>(&nb::inst_ptr<T>(probe)->weakrefs) -
                              reinterpret_cast<char *>(probe.ptr());
    auto *type = reinterpret_cast<PyTypeObject *>(cls.ptr());
    type->tp_weaklistoffset = offset;
    PyType_Modified(type);
}

// Constructors of a handle class: T() is the null handle, T(other) copies the handle of any
// object of the same kind (Root), after T::validate(handle) where T defines it (so that
// Intracomm(intercomm) raises TypeError). As in mpi4py, the object is made in __new__ and
// __init__ does nothing: a Python subclass's __new__ may then hand its base another object
// than the one it was called with (a Cartcomm subclass made from COMM_WORLD passes a
// Cartesian communicator made from it). nanobind calls a class's own __new__ directly.
// Bound subclasses may still construct in __init__ instead (request.cpp's Prequest).
template <class Root, class T, class... Extra> void bind_handle_init(nb::class_<T, Extra...> &cls) {
    cls.def_static(
        "__new__",
        [](nb::handle type, nb::handle other) -> nb::object {
            if (!PyType_Check(type.ptr()) ||
                !PyType_IsSubtype(reinterpret_cast<PyTypeObject *>(type.ptr()),
                                  reinterpret_cast<PyTypeObject *>(nb::type<T>().ptr())))
                throw nb::type_error("__new__: not a subclass of this class");
            // A bound subclass constructing in its own __init__ (Prequest, Grequest): left
            // to it, uninitialized.
            if (nb::type_info(type) != typeid(T)) return nb::inst_alloc(type);
            const Root *from = nullptr;
            if (!other.is_none()) {
                if (!nb::isinstance<Root>(other))
                    throw nb::type_error((std::string("expecting an MPI.") + Root::traits::name +
                                          " or None, not " + type_name_of(other))
                                             .c_str());
                from = nb::inst_ptr<Root>(other);
                if constexpr (requires { T::validate(from->handle); }) T::validate(from->handle);
            }
            nb::object obj = nb::inst_alloc(type);
            T *self = nb::inst_ptr<T>(obj);
            new (self) T();
            if (from) {
                self->handle = from->handle;
                if constexpr (requires { self->copy_extra(*from); }) self->copy_extra(*from);
            }
            nb::inst_mark_ready(obj);
            return obj;
        },
        nb::arg("cls"), nb::arg("other").none() = nb::none());
    cls.def("__init__", [](nb::handle, nb::handle) {}, nb::arg("other").none() = nb::none());
}

// Give the root class of a handle kind the behaviour shared by all kinds: constructors,
// equality, truth, no hashing (handles are mutable), handle/fromhandle, py2f/f2py,
// toint/fromint, free, and pickling of predefined constants.
template <class T, class... Extra> void bind_handle_protocol(nb::class_<T, Extra...> &cls) {
    using H = typename T::handle_type;
    using Traits = typename T::traits;
    bind_handle_init<T>(cls);
    cls.def(
           "__eq__",
           [](const T &self, nb::handle other) -> nb::object {
               if (!nb::isinstance<T>(other)) return nb::borrow(Py_NotImplemented);
               return nb::bool_(self.handle == nb::inst_ptr<T>(other)->handle);
           },
           nb::arg("other").none())
        .def(
            "__ne__",
            [](const T &self, nb::handle other) -> nb::object {
                if (!nb::isinstance<T>(other)) return nb::borrow(Py_NotImplemented);
                return nb::bool_(self.handle != nb::inst_ptr<T>(other)->handle);
            },
            nb::arg("other").none())
        .def("__bool__",
             [](T &self) {
                 if constexpr (requires { self.in_flight(); })
                     return self.in_flight();
                 else
                     return !self.is_null();
             })
        .def(
            "py2f",
            [](const T &self) {
                require_active();
                return Traits::c2f(self.handle);
            },
            "Get Fortran integer handle.")
        .def(
            "toint",
            [](const T &self) {
                require_active();
                return Traits::toint(self.handle);
            },
            "Translate object to integer handle.")
        .def("__reduce__", &reduce_handle<T>)
        .def(
            "free",
            [](nb::handle self) {
                T &obj = *nb::inst_ptr<T>(self);
                if (obj.is_null() || obj.predefined) return;
                if (kind_usable<Traits>()) FreedHandles<Traits>::check(obj.handle);  // first
                if (!kind_usable<Traits>() || predefined_handle<T>(obj.handle)) {
                    obj.handle = Traits::null();  // a copy of a constant: forget the handle
                    return;
                }
                // The kind's destructor: Free, or Close for files, Finalize for sessions.
                for (const char *method : {"Free", "Close", "Finalize"})
                    if (nb::hasattr(self, method)) {
                        self.attr(method)();
                        return;
                    }
            },
            "Call `Free` if not null or predefined.");
    cls.def_prop_ro(
        "handle", [](const T &self) { return handle_to_python(self.handle); },
        "MPI handle, as an integer.");
    // mpi4py 4.2's name for the same value, the inverse of fromhandle.
    cls.def(
        "tohandle", [](const T &self) { return handle_to_python(self.handle); },
        "Return the MPI handle, as an integer.");
    // Classmethods: the object made is of the class they are called on (Prequest.fromhandle
    // gives a Prequest), or of the subclass T::wrap picks (Comm.fromhandle an Intracomm).
    def_classmethod(
        cls, "fromhandle",
        [](nb::handle cls, nb::handle h) {
            return wrap_handle_as<T>(cls, handle_from_python<H>(h));
        },
        nb::arg("handle"), "Create object from MPI handle.");
    def_classmethod(
        cls, "f2py",
        [](nb::handle cls, fortran_int i) {
            require_active();
            return wrap_handle_as<T>(cls, Traits::f2c(i));
        },
        nb::arg("arg"), "Create object from Fortran integer handle.");
    def_classmethod(
        cls, "fromint",
        [](nb::handle cls, std::intptr_t i) {
            require_active();
            return wrap_handle_as<T>(cls, Traits::fromint(static_cast<int>(i)));
        },
        nb::arg("arg"), "Translate integer handle to object.");
    cls.attr("__hash__") = nb::none();
}

// Room for a port name, and MPI.MAX_PORT_NAME: MPICH's names outgrow its MPI_MAX_PORT_NAME
// (see PortName in dpm.cpp).
constexpr int port_name_capacity = MPI_MAX_PORT_NAME > 1024 ? MPI_MAX_PORT_NAME : 1024;

// A str argument as std::string; a TypeError naming `what` for other types.
std::string str_arg(nb::handle obj, const char *what);

// Get_name of a null handle: MPI's name for it ("MPI_COMM_NULL"), which MPICH gives and other
// MPIs may refuse, given here without asking MPI.
template <class T> nb::str null_object_name() {
    return nb::str(
        ("MPI_" + predefined_name(T::traits::name, handle_to_int(T::traits::null()))).c_str());
}

// An object name from MPI as str. MPI truncates long names to a byte count, maybe inside a
// UTF-8 sequence, so undecodable bytes are replaced rather than raised.
nb::str object_name(const char *name, int len);

}  // namespace mpipy

// Errors: MPI.Exception, the error class constants, user error classes/codes/strings, and
// the Errhandler class. The one translator from MpiError to MPI.Exception lives here.
#include "core/callbacks.hpp"
#include "core/fastcall.hpp"
#include "core/objects.hpp"

#include <algorithm>
#include <set>
#include <cstdint>
#include <exception>

namespace mpipy {

static PyObject *exception_type = nullptr;

// MPI.Exception is a RuntimeError subclass; written in Python since it is built only on
// the cold error path and must subclass a Python exception.
static const char *exception_source = R"PY(
class Exception(RuntimeError):
    """Exception class."""

    def __init__(self, ierr=0, /):
        if not isinstance(ierr, int):
            raise TypeError(f"an integer error code is required, not {type(ierr).__name__}")
        if ierr < SUCCESS:  # no valid code is negative
            ierr = ERR_UNKNOWN
        RuntimeError.__init__(self, ierr)
        self.ob_mpi = ierr

    # Compared by error code, with another MPI.Exception or with a number.
    def __eq__(self, other):
        if isinstance(other, Exception):
            other = other.ob_mpi
        return self.ob_mpi == other

    def __ne__(self, other):
        if isinstance(other, Exception):
            other = other.ob_mpi
        return self.ob_mpi != other

    def __lt__(self, other):
        if isinstance(other, Exception):
            other = other.ob_mpi
        return self.ob_mpi < other

    def __le__(self, other):
        if isinstance(other, Exception):
            other = other.ob_mpi
        return self.ob_mpi <= other

    def __gt__(self, other):
        if isinstance(other, Exception):
            other = other.ob_mpi
        return self.ob_mpi > other

    def __ge__(self, other):
        if isinstance(other, Exception):
            other = other.ob_mpi
        return self.ob_mpi >= other

    def __hash__(self):
        return hash(self.ob_mpi)

    def __bool__(self):
        return self.ob_mpi != SUCCESS

    def __int__(self):
        return self.ob_mpi

    def __repr__(self):
        return f"MPI.Exception({self.ob_mpi})"

    def __str__(self):
        try:
            return Get_error_string(self.ob_mpi)
        except BaseException:
            return f"MPI error code {self.ob_mpi}"

    def Get_error_code(self):
        """Error code."""
        return self.ob_mpi

    def Get_error_class(self):
        """Error class."""
        return Get_error_class(self.ob_mpi)

    def Get_error_string(self):
        """Error string."""
        return Get_error_string(self.ob_mpi)

    error_code = property(Get_error_code, doc="Error code.")
    error_class = property(Get_error_class, doc="Error class.")
    error_string = property(Get_error_string, doc="Error string.")

Exception.__module__ = __name__
)PY";

// Codes MPI_Add_error_class/MPI_Add_error_code handed out in this process.
static std::set<int> &added_error_codes() {
    static std::set<int> codes;
    return codes;
}

// No valid code is negative. MPICH marks the codes it hands out at run time with bit 30 and
// crashes when asked about such a code it never handed out: those are refused here.
static void require_valid_code(int code) {
    if (code < 0) throw MpiError{MPI_ERR_ARG};
    if (mpi_vendor() == MpiVendor::mpich && (code & (1 << 30)) && !added_error_codes().count(code))
        throw MpiError{MPI_ERR_ARG};
}

static int error_class_of(int code) {
    require_valid_code(code);
    int cls = MPI_SUCCESS;
    check(MPI_Error_class(code, &cls));
    return cls;
}

// Error strings are decoded leniently: some MPIs return stray bytes for unknown codes.
static nb::str error_string_of(int code) {
    require_valid_code(code);
    char text[MPI_MAX_ERROR_STRING + 1] = {0};
    int len = 0;
    check(MPI_Error_string(code, text, &len));
    len = std::clamp(len, 0, static_cast<int>(MPI_MAX_ERROR_STRING));
    PyObject *str = PyUnicode_DecodeUTF8(text, len, "replace");
    if (!str) throw nb::python_error();
    return nb::steal<nb::str>(str);
}

// ---------------------------------------------------------------------------------------------
// Exceptions of Python callbacks run by MPI (error handlers, attribute copy and delete
// functions). They cannot unwind through MPI: the callback keeps the exception here and
// returns; the MPI call then fails (or, for Call_errhandler, returns) and the exception is
// raised to its caller instead of the MPI.Exception, which becomes its context. Some MPIs
// (MPICH) make the call succeed once a user error handler has returned: for error handlers,
// a pending call also raises the exception as soon as the interpreter runs again (in the
// main thread), which is in the caller.

static thread_local PyObject *pending_callback_error = nullptr;

// Sets the Python error indicator to the pending callback exception, if any.
static bool restore_callback_error() {
    PyObject *value = pending_callback_error;
    if (!value) return false;
    pending_callback_error = nullptr;
    PyErr_SetObject(reinterpret_cast<PyObject *>(Py_TYPE(value)), value);
    Py_DECREF(value);
    return true;
}

// Runs in the main thread at the interpreter's next check: there the exception is still
// pending only if the MPI call that ran the callback succeeded.
static int raise_late_callback_error(void *) { return restore_callback_error() ? -1 : 0; }

void stash_callback_error() {
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyErr_NormalizeException(&type, &value, &traceback);
    if (traceback) PyException_SetTraceback(value, traceback);
    Py_XDECREF(type);
    Py_XDECREF(traceback);
    Py_XDECREF(pending_callback_error);  // only the latest is kept
    pending_callback_error = value;
}

void print_callback_error() {
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyErr_NormalizeException(&type, &value, &traceback);
    PyErr_Display(type, value, traceback);  // unlike PyErr_Print, never exits on SystemExit
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(traceback);
    PyErr_Clear();
}

void raise_pending_callback_error() {
    if (restore_callback_error()) throw nb::python_error();
}

static void translate(const std::exception_ptr &p, void *) {
    try {
        std::rethrow_exception(p);
    } catch (const MpiError &e) {
        nb::object code = nb::int_(e.code);
        if (PyObject *value = pending_callback_error) {
            // Taken first: building MPI.Exception runs Python code, and so pending calls.
            pending_callback_error = nullptr;
            PyObject *mpi_exc = PyObject_CallOneArg(exception_type, code.ptr());
            if (mpi_exc) PyException_SetContext(value, mpi_exc);  // steals mpi_exc
            PyErr_Clear();
            PyErr_SetObject(reinterpret_cast<PyObject *>(Py_TYPE(value)), value);
            Py_DECREF(value);
            return;
        }
        PyErr_SetObject(exception_type, code.ptr());
    }
}

void set_error_from_exception() noexcept {
    try {
        throw;
    } catch (nb::python_error &e) {
        e.restore();
    } catch (const nb::builtin_exception &e) {
        PyObject *kind = PyExc_RuntimeError;
        switch (e.type()) {
        case nb::exception_type::stop_iteration:
            kind = PyExc_StopIteration;
            break;
        case nb::exception_type::index_error:
            kind = PyExc_IndexError;
            break;
        case nb::exception_type::key_error:
            kind = PyExc_KeyError;
            break;
        case nb::exception_type::value_error:
            kind = PyExc_ValueError;
            break;
        case nb::exception_type::type_error:
            kind = PyExc_TypeError;
            break;
        case nb::exception_type::buffer_error:
            kind = PyExc_BufferError;
            break;
        case nb::exception_type::import_error:
            kind = PyExc_ImportError;
            break;
        case nb::exception_type::attribute_error:
            kind = PyExc_AttributeError;
            break;
        default:
            break;
        }
        PyErr_SetString(kind, e.what());
    } catch (const MpiError &) {
        translate(std::current_exception(), nullptr);
    } catch (const std::bad_alloc &) {
        PyErr_NoMemory();
    } catch (const std::exception &e) {
        PyErr_SetString(PyExc_RuntimeError, e.what());
    } catch (...) {
        PyErr_SetString(PyExc_SystemError, "an unknown C++ exception");
    }
}

// ---------------------------------------------------------------------------------------------
// Error handlers with Python functions. MPI calls a C function with only the communicator
// and the error code, and may hold its own locks meanwhile (MPICH refuses to be asked for
// the communicator's handler from inside): so each Python handler gets a C function of its
// own, from a fixed table of slots.

namespace {

CallbackSlots<32> errhandler_slots;  // as many as mpi4py allows

// Call the Python handler in `slot` with the object (made by `wrap`) and the error code; what
// it raises is raised in the program as soon as Python runs again.
template <class Wrap> void run_errhandler(std::size_t slot, Wrap &&wrap, int errorcode) {
    if (!Py_IsInitialized()) return;
    PyGILState_STATE gil = PyGILState_Ensure();
    if (nb::object function = errhandler_slots.function(slot); function.is_valid()) {
        try {
            function(wrap(), errorcode);
        } catch (nb::python_error &e) {
            e.restore();
            stash_callback_error();
            Py_AddPendingCall(raise_late_callback_error, nullptr);
        } catch (const MpiError &e) {
            PyErr_SetObject(exception_type, nb::int_(e.code).ptr());
            stash_callback_error();
            Py_AddPendingCall(raise_late_callback_error, nullptr);
        }
    }
    PyGILState_Release(gil);
}

template <std::size_t Slot> struct CommErrhandlerTrampoline {
    static void call(MPI_Comm *comm, int *errorcode, ...) {
        run_errhandler(Slot, [&] { return wrap_comm(*comm); }, *errorcode);
    }
};
template <std::size_t Slot> struct WinErrhandlerTrampoline {
    static void call(MPI_Win *win, int *errorcode, ...) {
        run_errhandler(Slot, [&] { return lent_handle<Win>(*win); }, *errorcode);
    }
};
// A file's handler gets FILE_NULL for a failed open.
template <std::size_t Slot> struct FileErrhandlerTrampoline {
    static void call(MPI_File *file, int *errorcode, ...) {
        run_errhandler(Slot, [&] { return lent_handle<File>(*file); }, *errorcode);
    }
};
#if MPIPY_HAVE_SESSIONS
template <std::size_t Slot> struct SessionErrhandlerTrampoline {
    static void call(MPI_Session *session, int *errorcode, ...) {
        run_errhandler(Slot, [&] { return lent_handle<Session>(*session); }, *errorcode);
    }
};
constexpr auto session_errhandler_trampolines =
    decltype(errhandler_slots)::c_functions<SessionErrhandlerTrampoline>();
#endif
constexpr auto comm_errhandler_trampolines =
    decltype(errhandler_slots)::c_functions<CommErrhandlerTrampoline>();
constexpr auto win_errhandler_trampolines =
    decltype(errhandler_slots)::c_functions<WinErrhandlerTrampoline>();
constexpr auto file_errhandler_trampolines =
    decltype(errhandler_slots)::c_functions<FileErrhandlerTrampoline>();

// X.Create_errhandler(errhandler_fn): a slot, its trampoline made an MPI error handler by
// `create` (MPI_Comm_create_errhandler, MPI_Win_..., MPI_File_...).
// Sessions' may be made before any initialization (to hand to Session.Init): `anytime`.
template <class Trampolines, class Create>
nb::object create_errhandler(nb::handle errhandler_fn, const Trampolines &trampolines,
                             Create create, bool anytime = false) {
    if (!anytime) require_active();
    if (!PyCallable_Check(errhandler_fn.ptr()))
        throw nb::type_error("errhandler_fn must be callable");
    std::size_t slot = errhandler_slots.take("error handlers");
    MPI_Errhandler eh = MPI_ERRHANDLER_NULL;
    check(create(trampolines[slot], &eh));
    errhandler_slots.fill(slot, errhandler_fn, handle_to_int(eh));
    return new_handle<Errhandler>(eh);
}

}  // namespace

nb::object create_file_errhandler(nb::handle errhandler_fn) {
    return create_errhandler(errhandler_fn, file_errhandler_trampolines,
                             MPI_File_create_errhandler);
}

#if MPIPY_HAVE_SESSIONS
nb::object create_session_errhandler(nb::handle errhandler_fn) {
    return create_errhandler(errhandler_fn, session_errhandler_trampolines,
                             MPI_Session_create_errhandler, true);
}
#endif

void bind_errhandler_functions(CommClasses &classes) {
    classes.comm.def_static(
        "Create_errhandler",
        [](nb::handle errhandler_fn) {
            return create_errhandler(errhandler_fn, comm_errhandler_trampolines,
                                     MPI_Comm_create_errhandler);
        },
        nb::arg("errhandler_fn"), "Create a new error handler for communicators.");
}

void bind_win_errhandler_functions(nb::class_<Win> &cls) {
    cls.def_static(
        "Create_errhandler",
        [](nb::handle errhandler_fn) {
            return create_errhandler(errhandler_fn, win_errhandler_trampolines,
                                     MPI_Win_create_errhandler);
        },
        nb::arg("errhandler_fn"), "Create a new error handler for windows.");
}

void bind_errors(nb::module_ &m) {
    struct ErrorClass {
        const char *name;
        int value;
    };
    static const ErrorClass classes[] = {
        {"SUCCESS", MPI_SUCCESS},
        {"ERR_LASTCODE", MPI_ERR_LASTCODE},
        {"ERR_TYPE", MPI_ERR_TYPE},
        {"ERR_REQUEST", MPI_ERR_REQUEST},
        {"ERR_OP", MPI_ERR_OP},
        {"ERR_GROUP", MPI_ERR_GROUP},
        {"ERR_INFO", MPI_ERR_INFO},
        {"ERR_INFO_KEY", MPI_ERR_INFO_KEY},
        {"ERR_INFO_VALUE", MPI_ERR_INFO_VALUE},
        {"ERR_INFO_NOKEY", MPI_ERR_INFO_NOKEY},
        {"ERR_ERRHANDLER",
#ifdef MPIPY_HAVE_MPI_ERR_ERRHANDLER
         MPI_ERR_ERRHANDLER
#else
         MPI_ERR_ARG
#endif
        },
        {"ERR_SESSION",
#ifdef MPIPY_HAVE_MPI_ERR_SESSION
         MPI_ERR_SESSION
#else
         MPI_ERR_OTHER
#endif
        },
        {"ERR_COMM", MPI_ERR_COMM},
        {"ERR_WIN", MPI_ERR_WIN},
        {"ERR_FILE", MPI_ERR_FILE},
        {"ERR_BUFFER", MPI_ERR_BUFFER},
        {"ERR_COUNT", MPI_ERR_COUNT},
        {"ERR_TAG", MPI_ERR_TAG},
        {"ERR_RANK", MPI_ERR_RANK},
        {"ERR_ROOT", MPI_ERR_ROOT},
        {"ERR_TRUNCATE", MPI_ERR_TRUNCATE},
        {"ERR_IN_STATUS", MPI_ERR_IN_STATUS},
        {"ERR_PENDING", MPI_ERR_PENDING},
        {"ERR_TOPOLOGY", MPI_ERR_TOPOLOGY},
        {"ERR_DIMS", MPI_ERR_DIMS},
        {"ERR_ARG", MPI_ERR_ARG},
        {"ERR_OTHER", MPI_ERR_OTHER},
        {"ERR_UNKNOWN", MPI_ERR_UNKNOWN},
        {"ERR_INTERN", MPI_ERR_INTERN},
        {"ERR_KEYVAL", MPI_ERR_KEYVAL},
        {"ERR_NO_MEM", MPI_ERR_NO_MEM},
        {"ERR_BASE", MPI_ERR_BASE},
        {"ERR_SPAWN", MPI_ERR_SPAWN},
        {"ERR_PORT", MPI_ERR_PORT},
        {"ERR_SERVICE", MPI_ERR_SERVICE},
        {"ERR_NAME", MPI_ERR_NAME},
        {"ERR_PROC_ABORTED",
#ifdef MPIPY_HAVE_MPI_ERR_PROC_ABORTED
         MPI_ERR_PROC_ABORTED
#else
         MPI_ERR_OTHER
#endif
        },
        {"ERR_SIZE", MPI_ERR_SIZE},
        {"ERR_DISP", MPI_ERR_DISP},
        {"ERR_ASSERT", MPI_ERR_ASSERT},
        {"ERR_LOCKTYPE", MPI_ERR_LOCKTYPE},
        {"ERR_RMA_CONFLICT", MPI_ERR_RMA_CONFLICT},
        {"ERR_RMA_SYNC", MPI_ERR_RMA_SYNC},
        {"ERR_RMA_RANGE", MPI_ERR_RMA_RANGE},
        {"ERR_RMA_ATTACH", MPI_ERR_RMA_ATTACH},
        {"ERR_RMA_SHARED", MPI_ERR_RMA_SHARED},
        {"ERR_RMA_FLAVOR", MPI_ERR_RMA_FLAVOR},
        {"ERR_BAD_FILE", MPI_ERR_BAD_FILE},
        {"ERR_NO_SUCH_FILE", MPI_ERR_NO_SUCH_FILE},
        {"ERR_FILE_EXISTS", MPI_ERR_FILE_EXISTS},
        {"ERR_FILE_IN_USE", MPI_ERR_FILE_IN_USE},
        {"ERR_AMODE", MPI_ERR_AMODE},
        {"ERR_ACCESS", MPI_ERR_ACCESS},
        {"ERR_READ_ONLY", MPI_ERR_READ_ONLY},
        {"ERR_NO_SPACE", MPI_ERR_NO_SPACE},
        {"ERR_QUOTA", MPI_ERR_QUOTA},
        {"ERR_NOT_SAME", MPI_ERR_NOT_SAME},
        {"ERR_IO", MPI_ERR_IO},
        {"ERR_UNSUPPORTED_OPERATION", MPI_ERR_UNSUPPORTED_OPERATION},
        {"ERR_UNSUPPORTED_DATAREP", MPI_ERR_UNSUPPORTED_DATAREP},
        {"ERR_CONVERSION", MPI_ERR_CONVERSION},
        {"ERR_DUP_DATAREP", MPI_ERR_DUP_DATAREP},
        {"ERR_VALUE_TOO_LARGE",
#ifdef MPIPY_HAVE_MPI_ERR_VALUE_TOO_LARGE
         MPI_ERR_VALUE_TOO_LARGE
#else
         MPI_ERR_OTHER
#endif
        },
        // Fault tolerance: the standard name where mpi.h has it (Open MPI 5), else the MPIX_
        // one (MPICH), else ERR_UNKNOWN (the MPI reports no such errors).
        {"ERR_REVOKED",
#if defined(MPI_ERR_REVOKED)
         MPI_ERR_REVOKED
#elif defined(MPIX_ERR_REVOKED)
         MPIX_ERR_REVOKED
#else
         MPI_ERR_UNKNOWN
#endif
        },
        {"ERR_PROC_FAILED",
#if defined(MPI_ERR_PROC_FAILED)
         MPI_ERR_PROC_FAILED
#elif defined(MPIX_ERR_PROC_FAILED)
         MPIX_ERR_PROC_FAILED
#else
         MPI_ERR_UNKNOWN
#endif
        },
        {"ERR_PROC_FAILED_PENDING",
#if defined(MPI_ERR_PROC_FAILED_PENDING)
         MPI_ERR_PROC_FAILED_PENDING
#elif defined(MPIX_ERR_PROC_FAILED_PENDING)
         MPIX_ERR_PROC_FAILED_PENDING
#else
         MPI_ERR_UNKNOWN
#endif
        },
        {"ERR_ABI",
#ifdef MPI_ERR_ABI
         MPI_ERR_ABI
#else
         MPI_ERR_UNKNOWN
#endif
        },
    };
    for (const auto &c : classes) m.attr(c.name) = c.value;

    nb::object globals = m.attr("__dict__");
    PyObject *result = PyRun_String(exception_source, Py_file_input, globals.ptr(), globals.ptr());
    if (!result) throw nb::python_error();
    Py_DECREF(result);
    exception_type = m.attr("Exception").ptr();
    Py_INCREF(exception_type);
    nb::register_exception_translator(translate);

    m.def(
        "Get_error_class",
        [](int errorcode) {
            require_active();
            return error_class_of(errorcode);
        },
        nb::arg("errorcode"), "Convert an *error code* into an *error class*.");
    m.def(
        "Get_error_string",
        [](int errorcode) {
            require_active();
            return error_string_of(errorcode);
        },
        nb::arg("errorcode"),
        "Return the *error string* for a given *error class* or *error code*.");
    m.def(
        "Add_error_class",
        []() {
            require_active();
            int cls = 0;
            check(MPI_Add_error_class(&cls));
            added_error_codes().insert(cls);
            return cls;
        },
        "Add an *error class* to the known error classes.");
    m.def(
        "Add_error_code",
        [](int errorclass) {
            require_active();
            int code = 0;
            check(MPI_Add_error_code(errorclass, &code));
            added_error_codes().insert(code);
            return code;
        },
        nb::arg("errorclass"), "Add an *error code* to an *error class*.");
    m.def(
        "Add_error_string",
        [](int errorcode, nb::handle string) {
            require_active();
            std::string text = str_arg(string, "string");
            require_valid_code(errorcode);
            check(MPI_Add_error_string(errorcode, text.c_str()));
        },
        nb::arg("errorcode"), nb::arg("string"),
        "Associate an *error string* with an *error class* or *error code*.");
    m.def(
        "Remove_error_class",
        [](int errorclass) {
            require_active();
#if MPIPY_HAVE_REMOVE_ERROR
            check(MPI_Remove_error_class(errorclass));
            added_error_codes().erase(errorclass);
#else
            (void)errorclass;
            throw_not_implemented("MPI_Remove_error_class");
#endif
        },
        nb::arg("errorclass"), "Remove an *error class* from the known error classes.");
    m.def(
        "Remove_error_code",
        [](int errorcode) {
            require_active();
#if MPIPY_HAVE_REMOVE_ERROR
            check(MPI_Remove_error_code(errorcode));
            added_error_codes().erase(errorcode);
#else
            (void)errorcode;
            throw_not_implemented("MPI_Remove_error_code");
#endif
        },
        nb::arg("errorcode"), "Remove an *error code* from the known error codes.");
    m.def(
        "Remove_error_string",
        [](int errorcode) {
            require_active();
#if MPIPY_HAVE_REMOVE_ERROR
            check(MPI_Remove_error_string(errorcode));
#else
            (void)errorcode;
            throw_not_implemented("MPI_Remove_error_string");
#endif
        },
        nb::arg("errorcode"),
        "Remove *error string* association from *error class* or *error code*.");

    nb::class_<Errhandler> errhandler(m, "Errhandler", nb::is_weak_referenceable(),
                                      "Error handler.");
    bind_handle_protocol(errhandler);
    errhandler.def(
        "Free",
        [](Errhandler &self) {
            MPI_Errhandler h = self.get();
            if (self.predefined) throw MpiError{ErrhandlerKind::error_class};
            // Get_errhandler may hand out a predefined handler: such an object lets go of it
            // without freeing it (a copy of a module constant holds no reference to give back).
            if (!predefined_name(ErrhandlerKind::name, handle_to_int(h)).empty())
                h = MPI_ERRHANDLER_NULL;
            else {
                std::intptr_t handle = handle_to_int(h);
                check(MPI_Errhandler_free(&h));
                FreedHandles<ErrhandlerKind>::freed(handle_from_int<MPI_Errhandler>(handle));
                errhandler_slots.give_back(handle);
            }
            self.handle = h;
        },
        "Free an error handler.");
    add_constant<Errhandler>(m, "ERRHANDLER_NULL", MPI_ERRHANDLER_NULL);
    add_constant<Errhandler>(m, "ERRORS_RETURN", MPI_ERRORS_RETURN);
    add_constant<Errhandler>(m, "ERRORS_ARE_FATAL", MPI_ERRORS_ARE_FATAL);
#if MPIPY_HAVE_ERRORS_ABORT
    add_constant<Errhandler>(m, "ERRORS_ABORT", MPI_ERRORS_ABORT);
#else
    m.attr("ERRORS_ABORT") = m.attr("ERRHANDLER_NULL");  // one object per handle (pickling)
#endif
}

}  // namespace mpipy

// Environment: initialization and finalization (driven by mpipy.rc), version and vendor
// queries, timers, Pcontrol, and the module's plain integer constants.
#include "core/objects.hpp"
#include "core/transport.hpp"

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <tuple>

#include <nanobind/stl/tuple.h>

namespace mpipy {

static bool finalize_at_exit = false;

// Error handler set on every communicator mpipy creates, from rc.errors.
static MPI_Errhandler new_comm_errhandler = MPI_ERRORS_RETURN;
static bool set_new_comm_errhandler = true;

void set_default_errhandler(MPI_Comm comm) {
    if (set_new_comm_errhandler && comm != MPI_COMM_NULL)
        MPI_Comm_set_errhandler(comm, new_comm_errhandler);
}

// The same for windows and files (MPICH's MPI_Win is an int like MPI_Comm: no overloads).
void set_default_win_errhandler(MPI_Win win) {
    if (set_new_comm_errhandler && win != MPI_WIN_NULL)
        MPI_Win_set_errhandler(win, new_comm_errhandler);
}

void set_default_file_errhandler(MPI_File file) {
    if (set_new_comm_errhandler && file != MPI_FILE_NULL)
        MPI_File_set_errhandler(file, new_comm_errhandler);
}

MPI_Errhandler default_errhandler() {
    return set_new_comm_errhandler ? new_comm_errhandler : MPI_ERRORS_ARE_FATAL;
}

static void after_init() {
    mpi_active = true;
    set_default_errhandler(MPI_COMM_SELF);
    set_default_errhandler(MPI_COMM_WORLD);
    transport_after_init();
}

static void finalize_at_python_exit() {
    finalize_sessions_at_exit();
    int initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (finalize_at_exit && initialized && !finalized) {
        transport_before_finalize();
        mpi_active = false;
        MPI_Finalize();
    }
}

static int thread_level_from_name(const std::string &name) {
    if (name == "single") return MPI_THREAD_SINGLE;
    if (name == "funneled") return MPI_THREAD_FUNNELED;
    if (name == "serialized") return MPI_THREAD_SERIALIZED;
    if (name == "multiple") return MPI_THREAD_MULTIPLE;
    throw nb::value_error(("mpipy.rc.thread_level: unknown thread level '" + name +
                           "' (expected 'single', 'funneled', 'serialized' or 'multiple')")
                              .c_str());
}

static void check_not_initialized() {
    int initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (finalized) throw std::runtime_error("MPI is finalized: it cannot be initialized again");
    if (initialized) throw MpiError{MPI_ERR_OTHER};  // as MPI: initializing twice is an error
}

static int init_thread(int required) {
    // (Not a range: the MPI standard ABI's levels are 0, 1024, 2048, 4096.)
    if (required != MPI_THREAD_SINGLE && required != MPI_THREAD_FUNNELED &&
        required != MPI_THREAD_SERIALIZED && required != MPI_THREAD_MULTIPLE)
        throw nb::value_error("required thread level must be one of THREAD_SINGLE, "
                              "THREAD_FUNNELED, THREAD_SERIALIZED, THREAD_MULTIPLE");
    check_not_initialized();
    require_restartable();
    int provided = MPI_THREAD_SINGLE;
    check_released([&] { return MPI_Init_thread(nullptr, nullptr, required, &provided); });
    // mpipy initialized MPI, so mpipy finalizes it at exit, unless rc.finalize says otherwise.
    nb::object finalize = nb::module_::import_("mpipy").attr("rc").attr("finalize");
    finalize_at_exit = finalize.is_none() ? true : nb::cast<bool>(finalize);
    after_init();
    return provided;
}

// Initialize MPI at import, as mpipy.rc says.
static void initialize_from_rc(nb::module_ &m) {
    nb::object rc = nb::module_::import_("mpipy").attr("rc");
    rc.attr("_from_environment")();
    const std::string wait_policy = nb::cast<std::string>(nb::str(rc.attr("wait_policy")));
    if (wait_policy != "mpi" && wait_policy != "backoff")
        throw nb::value_error(("mpipy.rc.wait_policy: unknown policy '" + wait_policy +
                               "' (expected 'mpi' or 'backoff')")
                                  .c_str());
    wait_with_backoff = wait_policy == "backoff";
    nb::object errors = nb::getattr(rc, "errors", nb::str("exception"));
    std::string errors_mode = nb::cast<std::string>(nb::str(errors));
    if (errors_mode == "exception") {
        new_comm_errhandler = MPI_ERRORS_RETURN;
    } else if (errors_mode == "fatal") {
        new_comm_errhandler = MPI_ERRORS_ARE_FATAL;
    } else if (errors_mode == "abort") {
#if MPIPY_HAVE_ERRORS_ABORT
        new_comm_errhandler = MPI_ERRORS_ABORT;
#else
        new_comm_errhandler = MPI_ERRORS_ARE_FATAL;
#endif
    } else if (errors_mode == "default") {
        set_new_comm_errhandler = false;
    } else {
        throw nb::value_error(("mpipy.rc.errors: unknown mode '" + errors_mode +
                               "' (expected 'exception', 'default', 'abort' or 'fatal')")
                                  .c_str());
    }

    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized) {  // someone else initialized MPI: use it, leave finalization to them
        after_init();
        return;
    }
    if (!nb::cast<bool>(rc.attr("initialize"))) return;
    int required = MPI_THREAD_SINGLE;
    if (nb::cast<bool>(rc.attr("threads")))
        required = thread_level_from_name(nb::cast<std::string>(rc.attr("thread_level")));
    init_thread(required);
    (void)m;
}

// The MPI library's name and version, read from its version string (MPI_Get_library_version,
// which MPI allows at any time) rather than from its mpi.h's macros: a build against the MPI
// standard ABI has no such macros and meets whichever library is loaded.
struct VendorInfo {
    std::string name = "unknown";
    int version[3] = {0, 0, 0};
    MpiVendor family = MpiVendor::other;
};

static VendorInfo read_vendor() {
    char text[MPI_MAX_LIBRARY_VERSION_STRING + 1] = {0};
    int len = 0;
    VendorInfo info;
    if (MPI_Get_library_version(text, &len) != MPI_SUCCESS) return info;
    const std::string_view s(text);
    // Each known library: how its version string starts, what precedes the version number.
    struct Known {
        const char *prefix, *before_version, *name;
        MpiVendor family;
    };
    static const Known known[] = {
        {"MPICH Version:", "MPICH Version:", "MPICH", MpiVendor::mpich},
        {"Open MPI", "Open MPI v", "Open MPI", MpiVendor::open_mpi},
        {"Intel(R) MPI Library", "Library ", "Intel MPI", MpiVendor::mpich},
        {"MVAPICH", "MVAPICH", "MVAPICH", MpiVendor::mpich},
        {"Microsoft MPI", "Microsoft MPI ", "Microsoft MPI", MpiVendor::other},
    };
    for (const Known &k : known) {
        if (!s.starts_with(k.prefix)) continue;
        info.name = k.name;
        info.family = k.family;
        size_t at = s.find(k.before_version);
        at = at == std::string_view::npos ? s.size() : at + std::strlen(k.before_version);
        while (at < s.size() && !std::isdigit(static_cast<unsigned char>(s[at]))) ++at;
        for (int i = 0; i < 3 && at < s.size() && std::isdigit(static_cast<unsigned char>(s[at]));
             ++i) {
            int v = 0;
            while (at < s.size() && std::isdigit(static_cast<unsigned char>(s[at])))
                v = v * 10 + (s[at++] - '0');
            info.version[i] = v;
            if (at < s.size() && s[at] == '.') ++at;
        }
        break;
    }
    return info;
}

static const VendorInfo &vendor_info() {
    static const VendorInfo info = read_vendor();
    return info;
}

MpiVendor mpi_vendor() { return vendor_info().family; }

static std::tuple<std::string, std::tuple<int, int, int>> vendor() {
    const VendorInfo &v = vendor_info();
    return {v.name, {v.version[0], v.version[1], v.version[2]}};
}

void bind_environment(nb::module_ &m) {
    struct Constant {
        const char *name;
        long long value;
    };
    static const Constant constants[] = {
        {"VERSION", MPI_VERSION},
        {"SUBVERSION", MPI_SUBVERSION},
        {"UNDEFINED", MPI_UNDEFINED},
        {"ANY_SOURCE", MPI_ANY_SOURCE},
        {"ANY_TAG", MPI_ANY_TAG},
        {"PROC_NULL", MPI_PROC_NULL},
        {"ROOT", MPI_ROOT},
        {"KEYVAL_INVALID", MPI_KEYVAL_INVALID},
        {"BSEND_OVERHEAD", MPI_BSEND_OVERHEAD},
        {"IDENT", MPI_IDENT},
        {"CONGRUENT", MPI_CONGRUENT},
        {"SIMILAR", MPI_SIMILAR},
        {"UNEQUAL", MPI_UNEQUAL},
        {"THREAD_SINGLE", MPI_THREAD_SINGLE},
        {"THREAD_FUNNELED", MPI_THREAD_FUNNELED},
        {"THREAD_SERIALIZED", MPI_THREAD_SERIALIZED},
        {"THREAD_MULTIPLE", MPI_THREAD_MULTIPLE},
        {"CART", MPI_CART},
        {"GRAPH", MPI_GRAPH},
        {"DIST_GRAPH", MPI_DIST_GRAPH},
        {"TAG_UB", MPI_TAG_UB},
#ifdef MPIPY_HAVE_MPI_HOST
        {"HOST", MPI_HOST},
#endif
        {"IO", MPI_IO},
        {"WTIME_IS_GLOBAL", MPI_WTIME_IS_GLOBAL},
        {"UNIVERSE_SIZE", MPI_UNIVERSE_SIZE},
        {"APPNUM", MPI_APPNUM},
        {"LASTUSEDCODE", MPI_LASTUSEDCODE},
        {"WIN_BASE", MPI_WIN_BASE},
        {"WIN_SIZE", MPI_WIN_SIZE},
        {"WIN_DISP_UNIT", MPI_WIN_DISP_UNIT},
        {"WIN_CREATE_FLAVOR", MPI_WIN_CREATE_FLAVOR},
        {"WIN_FLAVOR", MPI_WIN_CREATE_FLAVOR},
        {"WIN_MODEL", MPI_WIN_MODEL},
        {"WIN_FLAVOR_CREATE", MPI_WIN_FLAVOR_CREATE},
        {"WIN_FLAVOR_ALLOCATE", MPI_WIN_FLAVOR_ALLOCATE},
        {"WIN_FLAVOR_DYNAMIC", MPI_WIN_FLAVOR_DYNAMIC},
        {"WIN_FLAVOR_SHARED", MPI_WIN_FLAVOR_SHARED},
        {"WIN_SEPARATE", MPI_WIN_SEPARATE},
        {"WIN_UNIFIED", MPI_WIN_UNIFIED},
        {"MAX_PROCESSOR_NAME", MPI_MAX_PROCESSOR_NAME},
        {"MAX_ERROR_STRING", MPI_MAX_ERROR_STRING},
        {"MAX_PORT_NAME", port_name_capacity},
        {"MAX_INFO_KEY", MPI_MAX_INFO_KEY},
        {"MAX_INFO_VAL", MPI_MAX_INFO_VAL},
        {"MAX_OBJECT_NAME", MPI_MAX_OBJECT_NAME},
        {"MAX_DATAREP_STRING", MPI_MAX_DATAREP_STRING},
        {"MAX_LIBRARY_VERSION_STRING", MPI_MAX_LIBRARY_VERSION_STRING},
        {"MAX_PSET_NAME_LEN", MPI_MAX_PSET_NAME_LEN},
        {"MAX_STRINGTAG_LEN", MPI_MAX_STRINGTAG_LEN},
        {"COMM_TYPE_SHARED", MPI_COMM_TYPE_SHARED},
#ifdef MPIPY_HAVE_MPI_COMM_TYPE_HW_GUIDED
        {"COMM_TYPE_HW_GUIDED", MPI_COMM_TYPE_HW_GUIDED},
#else
        {"COMM_TYPE_HW_GUIDED", MPI_UNDEFINED},
#endif
#ifdef MPIPY_HAVE_MPI_COMM_TYPE_HW_UNGUIDED
        {"COMM_TYPE_HW_UNGUIDED", MPI_COMM_TYPE_HW_UNGUIDED},
#else
        {"COMM_TYPE_HW_UNGUIDED", MPI_UNDEFINED},
#endif
#ifdef MPIPY_HAVE_MPI_COMM_TYPE_RESOURCE_GUIDED
        {"COMM_TYPE_RESOURCE_GUIDED", MPI_COMM_TYPE_RESOURCE_GUIDED},
#else
        {"COMM_TYPE_RESOURCE_GUIDED", MPI_UNDEFINED},
#endif
        {"COMBINER_NAMED", MPI_COMBINER_NAMED},
        {"COMBINER_DUP", MPI_COMBINER_DUP},
        {"COMBINER_CONTIGUOUS", MPI_COMBINER_CONTIGUOUS},
        {"COMBINER_VECTOR", MPI_COMBINER_VECTOR},
        {"COMBINER_HVECTOR", MPI_COMBINER_HVECTOR},
        {"COMBINER_INDEXED", MPI_COMBINER_INDEXED},
        {"COMBINER_HINDEXED", MPI_COMBINER_HINDEXED},
        {"COMBINER_INDEXED_BLOCK", MPI_COMBINER_INDEXED_BLOCK},
        {"COMBINER_HINDEXED_BLOCK", MPI_COMBINER_HINDEXED_BLOCK},
        {"COMBINER_STRUCT", MPI_COMBINER_STRUCT},
        {"COMBINER_SUBARRAY", MPI_COMBINER_SUBARRAY},
        {"COMBINER_DARRAY", MPI_COMBINER_DARRAY},
        {"COMBINER_F90_REAL", MPI_COMBINER_F90_REAL},
        {"COMBINER_F90_COMPLEX", MPI_COMBINER_F90_COMPLEX},
        {"COMBINER_F90_INTEGER", MPI_COMBINER_F90_INTEGER},
        {"COMBINER_RESIZED", MPI_COMBINER_RESIZED},
#ifdef MPIPY_HAVE_MPI_COMBINER_VALUE_INDEX
        {"COMBINER_VALUE_INDEX", MPI_COMBINER_VALUE_INDEX},
#else
        {"COMBINER_VALUE_INDEX", MPI_UNDEFINED},
#endif
        {"TYPECLASS_INTEGER", MPI_TYPECLASS_INTEGER},
        {"TYPECLASS_REAL", MPI_TYPECLASS_REAL},
        {"TYPECLASS_COMPLEX", MPI_TYPECLASS_COMPLEX},
#ifdef MPIPY_HAVE_MPI_TYPECLASS_LOGICAL
        {"TYPECLASS_LOGICAL", MPI_TYPECLASS_LOGICAL},
#else
        {"TYPECLASS_LOGICAL", MPI_UNDEFINED},
#endif
        {"DISTRIBUTE_NONE", MPI_DISTRIBUTE_NONE},
        {"DISTRIBUTE_BLOCK", MPI_DISTRIBUTE_BLOCK},
        {"DISTRIBUTE_CYCLIC", MPI_DISTRIBUTE_CYCLIC},
        {"DISTRIBUTE_DFLT_DARG", MPI_DISTRIBUTE_DFLT_DARG},
        {"ORDER_C", MPI_ORDER_C},
        {"ORDER_F", MPI_ORDER_FORTRAN},
        {"ORDER_FORTRAN", MPI_ORDER_FORTRAN},
        {"MODE_RDONLY", MPI_MODE_RDONLY},
        {"MODE_WRONLY", MPI_MODE_WRONLY},
        {"MODE_RDWR", MPI_MODE_RDWR},
        {"MODE_CREATE", MPI_MODE_CREATE},
        {"MODE_EXCL", MPI_MODE_EXCL},
        {"MODE_DELETE_ON_CLOSE", MPI_MODE_DELETE_ON_CLOSE},
        {"MODE_UNIQUE_OPEN", MPI_MODE_UNIQUE_OPEN},
        {"MODE_SEQUENTIAL", MPI_MODE_SEQUENTIAL},
        {"MODE_APPEND", MPI_MODE_APPEND},
        {"MODE_NOCHECK", MPI_MODE_NOCHECK},
        {"MODE_NOSTORE", MPI_MODE_NOSTORE},
        {"MODE_NOPUT", MPI_MODE_NOPUT},
        {"MODE_NOPRECEDE", MPI_MODE_NOPRECEDE},
        {"MODE_NOSUCCEED", MPI_MODE_NOSUCCEED},
        {"SEEK_SET", MPI_SEEK_SET},
        {"SEEK_CUR", MPI_SEEK_CUR},
        {"SEEK_END", MPI_SEEK_END},
        {"DISPLACEMENT_CURRENT", MPI_DISPLACEMENT_CURRENT},
        {"DISP_CUR", MPI_DISPLACEMENT_CURRENT},
        {"LOCK_EXCLUSIVE", MPI_LOCK_EXCLUSIVE},
        {"LOCK_SHARED", MPI_LOCK_SHARED},
        {"F_SOURCE", MPI_F_SOURCE},
        {"F_TAG", MPI_F_TAG},
        {"F_ERROR", MPI_F_ERROR},
        {"F_STATUS_SIZE", MPI_F_STATUS_SIZE},
    };
    for (const auto &c : constants) m.attr(c.name) = c.value;
    m.attr("UNWEIGHTED") = reinterpret_cast<std::intptr_t>(MPI_UNWEIGHTED);
    m.attr("WEIGHTS_EMPTY") = reinterpret_cast<std::intptr_t>(MPI_WEIGHTS_EMPTY);

    m.def(
        "Init", []() { init_thread(MPI_THREAD_SINGLE); },
        "Initialize the MPI execution environment.");
    m.def("Init_thread", &init_thread, nb::arg("required") = static_cast<int>(MPI_THREAD_MULTIPLE),
          "Initialize the MPI execution environment (with thread support).");
    m.def(
        "Finalize",
        []() {
            require_active();
            transport_before_finalize();
            mpi_active = false;
            check_released([&] { return MPI_Finalize(); });
            note_world_finalized();
        },
        "Terminate the MPI execution environment.");
    m.def(
        "Is_initialized",
        []() {
            int flag = 0;
            MPI_Initialized(&flag);
            return flag != 0;
        },
        "Indicate whether ``Init`` has been called.");
    m.def(
        "Is_finalized",
        []() {
            int flag = 0;
            MPI_Finalized(&flag);
            return flag != 0;
        },
        "Indicate whether ``Finalize`` has completed.");
    m.def(
        "Query_thread",
        []() {
            require_active();
            int level = 0;
            check(MPI_Query_thread(&level));
            return level;
        },
        "Return the level of thread support provided by the MPI library.");
    m.def(
        "Is_thread_main",
        []() {
            require_active();
            int flag = 0;
            check(MPI_Is_thread_main(&flag));
            return flag != 0;
        },
        "Indicate whether this thread called ``Init`` or ``Init_thread``.");
    m.def(
        "Get_version",
        []() {
            int version = 0, subversion = 0;
            check(MPI_Get_version(&version, &subversion));
            return std::make_tuple(version, subversion);
        },
        "Obtain the version number of the MPI standard.");
    m.def(
        "Get_library_version",
        []() {
            char text[MPI_MAX_LIBRARY_VERSION_STRING + 1] = {0};
            int len = 0;
            check(MPI_Get_library_version(text, &len));
            // Open MPI counts the terminating NUL in len.
            return std::string(text, strnlen(text, static_cast<size_t>(len)));
        },
        "Obtain the version string of the MPI library.");
    m.def(
        "Get_processor_name",
        []() {
            require_active();
            char text[MPI_MAX_PROCESSOR_NAME + 1] = {0};
            int len = 0;
            check(MPI_Get_processor_name(text, &len));
            return std::string(text, static_cast<size_t>(len));
        },
        "Obtain the name of the calling processor.");
    m.def(
        "Get_hw_resource_info",
        []() -> nb::object {  // the same signature (and stub) whether the MPI has it or not
            require_active();
#if MPIPY_HAVE_HW_RESOURCE_INFO
            MPI_Info info = MPI_INFO_NULL;
            check(MPI_Get_hw_resource_info(&info));
            return new_handle<Info>(info);  // the caller's to free
#else
            throw_not_implemented("MPI_Get_hw_resource_info");
#endif
        },
        "Obtain information about the hardware platform of the calling processor.");
    // The MPI standard ABI this extension was built against (MPIPY_MPI_ABI=ON), or None.
#if MPIPY_HAVE_STANDARD_ABI
    m.attr("_mpi_abi") = nb::make_tuple(MPI_ABI_VERSION, MPI_ABI_SUBVERSION);
#else
    m.attr("_mpi_abi") = nb::none();
#endif
    m.def("get_vendor", &vendor,
          "Information about the underlying MPI implementation: (name, (major, minor, micro)).");
    m.def(
        "Wtime",
        []() {
            require_active();
            return MPI_Wtime();
        },
        "Return an elapsed time on the calling processor.");
    m.def(
        "Wtick",
        []() {
            require_active();
            return MPI_Wtick();
        },
        "Return the resolution of ``Wtime``.");
    m.def(
        "Pcontrol",
        [](int level) {
            require_active();
            if (level < 0 || level > 2) throw nb::value_error("Pcontrol level must be 0, 1 or 2");
            check(MPI_Pcontrol(level));
        },
        nb::arg("level"), "Control profiling.");

    Py_AtExit(finalize_at_python_exit);
    initialize_from_rc(m);
}

}  // namespace mpipy

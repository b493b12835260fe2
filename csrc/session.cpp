// Sessions (MPI-4): Session.Init and Finalize, process sets and the groups they name, info,
// error handlers, and a buffer for buffered sends per session (MPI-4.1). An open session makes
// MPI usable without the world model (mpi_usable, core.hpp), and a program may open one before
// MPI.Init, beside the world model, or after MPI.Finalize.
#include "core/objects.hpp"

#include <cstring>
#include <unordered_set>

namespace mpipy {

namespace {

// Set when MPI had started (the world model or a session) and everything has ended since: the
// world model is not initialized (or finalized) and no session is open. Open MPI 5 tears its
// instance down then, and hangs or aborts if started again.
bool everything_ended = false;

void note_if_everything_ended() {
    if (!mpi_active && sessions_open == 0) everything_ended = true;
}

#if MPIPY_HAVE_SESSIONS
// The sessions open now, as plain handles: still readable at exit, after Python's end.
std::unordered_set<std::intptr_t> &open_sessions = *new std::unordered_set<std::intptr_t>;
bool finalize_open_sessions = true;  // at exit (rc.finalize, read by Session.Init)

void note_opened(MPI_Session s) {
    open_sessions.insert(handle_to_int(s));
    sessions_open = static_cast<int>(open_sessions.size());
}

void note_closed(MPI_Session s) {
    open_sessions.erase(handle_to_int(s));
    sessions_open = static_cast<int>(open_sessions.size());
    FreedHandles<SessionKind>::freed(s);
    note_if_everything_ended();
}

// An Errhandler argument read without requiring MPI to be running: Session.Init takes one
// before any initialization.
MPI_Errhandler init_errhandler_arg(nb::handle errhandler) {
    if (errhandler.is_none()) return default_errhandler();
    if (!nb::isinstance<Errhandler>(errhandler))
        throw nb::type_error("errhandler must be an MPI.Errhandler or None");
    const MPI_Errhandler eh = nb::inst_ptr<Errhandler>(errhandler)->handle;
    FreedHandles<ErrhandlerKind>::check(eh);
    return eh;
}

std::string pset_name_arg(nb::handle name) { return str_arg(name, "pset_name"); }

nb::object init(nb::handle cls, nb::handle info, nb::handle errhandler) {
    const MPI_Info inf = info_arg(info);
    const MPI_Errhandler eh = init_errhandler_arg(errhandler);
    require_restartable();
    nb::object obj = empty_instance_of<Session>(cls);
    MPI_Session s = MPI_SESSION_NULL;
    check_released([&] { return MPI_Session_init(inf, eh, &s); });
    // rc.finalize False leaves the sessions open at exit to the program, as the world model.
    nb::object finalize = nb::module_::import_("mpipy").attr("rc").attr("finalize");
    finalize_open_sessions = finalize.is_none() || nb::cast<bool>(finalize);
    give_handle<Session>(obj, s);
    note_opened(s);
    return obj;
}

void finalize(Session &self) {
    const MPI_Session before = self.get();
    MPI_Session s = before;
    check_released([&] { return MPI_Session_finalize(&s); });
    note_closed(before);
    self.handle = s;
}

nb::object get_nth_pset(const Session &self, int n, nb::handle info) {
    const MPI_Session s = self.get();
    const MPI_Info inf = info_arg(info);
    char name[MPI_MAX_PSET_NAME_LEN + 1] = {0};
    int len = MPI_MAX_PSET_NAME_LEN;
    check(MPI_Session_get_nth_pset(s, inf, n, &len, name));
    return nb::str(name, strnlen(name, MPI_MAX_PSET_NAME_LEN));
}

#endif  // MPIPY_HAVE_SESSIONS

}  // namespace

void require_restartable() {
#if defined(OPEN_MPI) && OMPI_MAJOR_VERSION < 6
    if (everything_ended)
        throw std::runtime_error("Open MPI cannot start again once the world model and every "
                                 "session have ended");
#endif
}

void note_world_finalized() { note_if_everything_ended(); }

void finalize_sessions_at_exit() {
#if MPIPY_HAVE_SESSIONS
    if (!finalize_open_sessions) return;
    for (std::intptr_t h : std::unordered_set<std::intptr_t>(open_sessions)) {
        MPI_Session s = handle_from_int<MPI_Session>(h);
        MPI_Session_finalize(&s);
    }
    open_sessions.clear();
    sessions_open = 0;
#endif
}

void bind_session(nb::module_ &m) {
#if MPIPY_HAVE_SESSIONS
    nb::class_<Session> cls(m, "Session", nb::is_weak_referenceable(), "Session context.");
    bind_handle_protocol(cls);
    nb::object info_null = m.attr("INFO_NULL");
    def_classmethod(cls, "Init", &init, nb::arg("info").none() = info_null,
                    nb::arg("errhandler").none() = nb::none(), "Create a new session.");
    cls.def("Finalize", &finalize, "Finalize a session.")
        .def(
            "Get_num_psets",
            [](const Session &self, nb::handle info) {
                const MPI_Session s = self.get();
                int n = 0;
                check(MPI_Session_get_num_psets(s, info_arg(info), &n));
                return n;
            },
            nb::arg("info").none() = info_null, "Number of available process sets.")
        .def("Get_nth_pset", &get_nth_pset, nb::arg("n"), nb::arg("info").none() = info_null,
             "Name of the *n*-th process set.")
        .def(
            "Get_info",
            [](const Session &self) {
                MPI_Info info = MPI_INFO_NULL;
                check(MPI_Session_get_info(self.get(), &info));
                return new_handle<Info>(info);
            },
            "Return the current hints for a session.")
        .def(
            "Get_pset_info",
            [](const Session &self, nb::handle pset_name) {
                const MPI_Session s = self.get();
                const std::string name = pset_name_arg(pset_name);
                MPI_Info info = MPI_INFO_NULL;
                check(MPI_Session_get_pset_info(s, name.c_str(), &info));
                return new_handle<Info>(info);
            },
            nb::arg("pset_name"), "Return the current hints for a session and process set.")
        .def(
            "Create_group",
            [](const Session &self, nb::handle pset_name) {
                const MPI_Session s = self.get();
                const std::string name = pset_name_arg(pset_name);
                MPI_Group group = MPI_GROUP_NULL;
                check(MPI_Group_from_session_pset(s, name.c_str(), &group));
                return new_handle<Group>(group);
            },
            nb::arg("pset_name"), "Create a new group from session and process set.");

    // Buffered sends: the machinery of the process's and communicators' buffers (comm_p2p.cpp).
    // `function`: the MPI function the MPI lacks, for NotImplementedError.
    const auto scope = [](const Session &self, const char *function) {
        const MPI_Session s = self.get();
        if (!MPIPY_HAVE_COMM_BUFFER) throw_not_implemented(function);
        return BufferScope::of_session(s);
    };
    cls.def(
           "Attach_buffer",
           [scope](const Session &self, nb::handle buf) {
               attach_buffer(scope(self, "MPI_Session_attach_buffer"), buf);
           },
           nb::arg("buf").none(), "Attach a user-provided buffer for sending in buffered mode.")
        .def(
            "Detach_buffer",
            [scope](const Session &self) {
                return detach_buffer(scope(self, "MPI_Session_detach_buffer"));
            },
            "Remove an existing attached buffer.")
        .def(
            "Flush_buffer",
            [scope](const Session &self) { flush_buffer(scope(self, "MPI_Session_flush_buffer")); },
            "Block until all buffered messages have been transmitted.")
        .def(
            "Iflush_buffer",
            [scope](const Session &self) {
                return iflush_buffer(scope(self, "MPI_Session_iflush_buffer"));
            },
            "Nonblocking flush for buffered messages.");

    // Error handlers.
    cls.def_static("Create_errhandler", &create_session_errhandler, nb::arg("errhandler_fn"),
                   "Create a new error handler for sessions.")
        .def(
            "Get_errhandler",
            [](const Session &self) {
                MPI_Errhandler eh = MPI_ERRHANDLER_NULL;
                check(MPI_Session_get_errhandler(self.get(), &eh));
                return new_handle<Errhandler>(eh);
            },
            "Get the error handler for a session.")
        .def(
            "Set_errhandler",
            [](const Session &self, const Errhandler &errhandler) {
                const MPI_Session s = self.get();
                check(MPI_Session_set_errhandler(s, errhandler.get()));
            },
            nb::arg("errhandler"), "Set the error handler for a session.")
        .def(
            "Call_errhandler",
            [](const Session &self, int errorcode) {
                check(MPI_Session_call_errhandler(self.get(), errorcode));
                raise_pending_callback_error();  // raised by a Python error handler
            },
            nb::arg("errorcode"), "Call the error handler installed on a session.");
    add_constant<Session>(m, "SESSION_NULL", MPI_SESSION_NULL);
#else
    (void)m;
#endif
}

}  // namespace mpipy

// Communicators, management: the Comm class hierarchy, COMM_WORLD/COMM_SELF, size/rank,
// groups, comparison, duplication, splitting, names, error handlers, attributes, Abort.
#include "core/objects.hpp"

#include "core/progress.hpp"

#include <nanobind/stl/tuple.h>

namespace mpipy {

// Type checks behind Intracomm(comm), Intercomm(comm), Cartcomm(comm), ...
static int topology_of(MPI_Comm comm) {
    int topo = MPI_UNDEFINED;
    check(MPI_Topo_test(comm, &topo));
    return topo;
}
static bool is_inter(MPI_Comm comm) {
    int flag = 0;
    check(MPI_Comm_test_inter(comm, &flag));
    return flag != 0;
}
constexpr int any_topology = -1;  // not a valid MPI topology kind

// Null handles are accepted by every class (Intracomm() is a null Intracomm).
static void require_kind(MPI_Comm comm, bool ok_inter, bool ok_intra, int topo, const char *what) {
    if (comm == MPI_COMM_NULL) return;
    (void)Comm(comm).get();  // MPI running (COMM_WORLD and COMM_SELF: the world model)
    bool inter = is_inter(comm);
    bool ok = inter ? ok_inter : ok_intra;
    if (ok && topo != MPI_UNDEFINED) {
        int actual = topology_of(comm);
        ok = topo == any_topology ? actual != MPI_UNDEFINED : actual == topo;
    }
    if (!ok) throw nb::type_error((std::string("expecting ") + what).c_str());
}
void Intracomm::validate(MPI_Comm c) {
    require_kind(c, false, true, MPI_UNDEFINED, "an intracommunicator");
}
void Topocomm::validate(MPI_Comm c) {
    require_kind(c, false, true, any_topology, "a topology communicator");
}
void Cartcomm::validate(MPI_Comm c) {
    require_kind(c, false, true, MPI_CART, "a Cartesian communicator");
}
void Graphcomm::validate(MPI_Comm c) {
    require_kind(c, false, true, MPI_GRAPH, "a general graph communicator");
}
void Distgraphcomm::validate(MPI_Comm c) {
    require_kind(c, false, true, MPI_DIST_GRAPH, "a distributed graph communicator");
}
void Intercomm::validate(MPI_Comm c) {
    require_kind(c, true, false, MPI_UNDEFINED, "an intercommunicator");
}

// ---------------------------------------------------------------------------------------------
// Communicator locks: {communicator handle: {key: lock}}, a Python dict made on first use.

bool comm_lock_tables_exist = false;
static nb::dict *comm_lock_tables = nullptr;  // lives as long as the process

static nb::object comm_lock_table(MPI_Comm comm, bool create) {
    if (!comm_lock_tables) {
        if (!create) return nb::object();
        comm_lock_tables = new nb::dict();
        comm_lock_tables_exist = true;
    }
    nb::int_ key(handle_to_int(comm));
    PyObject *table = PyDict_GetItem(comm_lock_tables->ptr(), key.ptr());  // borrowed
    if (table) return nb::borrow(table);
    if (!create) return nb::object();
    nb::dict fresh;
    (*comm_lock_tables)[key] = fresh;
    return fresh;
}

static nb::object comm_lock(MPI_Comm comm, nb::handle key) {
    nb::object table = comm_lock_table(comm, true);
    PyObject *lock = PyDict_GetItemWithError(table.ptr(), key.ptr());
    if (lock) return nb::borrow(lock);
    if (PyErr_Occurred()) throw nb::python_error();  // an unhashable key
    nb::object fresh = nb::module_::import_("_thread").attr("allocate_lock")();
    if (PyDict_SetItem(table.ptr(), key.ptr(), fresh.ptr()) < 0) throw nb::python_error();
    return fresh;
}

void CommLock::acquire(MPI_Comm comm, const char *key) {
    if (!key || !comm_lock_table(comm, false).is_valid()) return;
    lock_ = comm_lock(comm, nb::str(key));
    lock_.attr("acquire")();  // waits with the GIL released, as any threading.Lock
}

void CommLock::release() noexcept {
    try {
        lock_.attr("release")();
    } catch (nb::python_error &e) {
        e.discard_as_unraisable("releasing a communicator lock");
    }
}

void forget_comm_locks(MPI_Comm comm) {
    if (!comm_lock_tables) return;
    nb::int_ key(handle_to_int(comm));
    if (PyDict_DelItem(comm_lock_tables->ptr(), key.ptr()) < 0) PyErr_Clear();
}

// ---------------------------------------------------------------------------------------------

nb::object wrap_comm(MPI_Comm comm) {
    if (comm == MPI_COMM_NULL) return new_handle<Comm>(comm);
    if (!mpi_active) [[unlikely]]
        (void)Comm(comm).get();  // as above: fromhandle(COMM_WORLD.handle) with sessions only
    if (is_inter(comm)) return new_handle<Intercomm>(comm);
    switch (topology_of(comm)) {
    case MPI_CART:
        return new_handle<Cartcomm>(comm);
    case MPI_GRAPH:
        return new_handle<Graphcomm>(comm);
    case MPI_DIST_GRAPH:
        return new_handle<Distgraphcomm>(comm);
    default:
        return new_handle<Intracomm>(comm);
    }
}

static MPI_Group group_arg(nb::handle group) {
    if (!nb::isinstance<Group>(group)) throw nb::type_error("group must be an MPI.Group");
    return nb::inst_ptr<Group>(group)->get();
}

// The error handler of a new communicator: None is ERRORS_RETURN (errors raise).
static MPI_Errhandler errhandler_arg(nb::handle errhandler) {
    if (errhandler.is_none()) return default_errhandler();  // rc.errors
    if (!nb::isinstance<Errhandler>(errhandler))
        throw nb::type_error("errhandler must be an MPI.Errhandler or None");
    return nb::inst_ptr<Errhandler>(errhandler)->get();
}

// A communicator just created by MPI: error handler set, wrapped as `cls` (or as what it is).
static nb::object new_comm(MPI_Comm out, nb::handle like = nb::handle()) {
    set_default_errhandler(out);
    if (like.is_valid()) return new_like<Comm>(like, out);
    return wrap_comm(out);
}

// Idup: the new communicator's handle is written by MPI at completion, into the Python
// object the request keeps alive.
static nb::object idup(nb::handle self, nb::handle info) {
    MPI_Comm comm = nb::inst_ptr<Comm>(self)->get();
    MPI_Info inf = info_arg(info);
    nb::object out = new_like<Comm>(self, MPI_COMM_NULL);
    MPI_Comm *slot = &nb::inst_ptr<Comm>(out)->handle;
    MPI_Request request = MPI_REQUEST_NULL;
    check(inf == MPI_INFO_NULL ? MPI_Comm_idup(comm, slot, &request)
                               : MPI_Comm_idup_with_info(comm, inf, slot, &request));
    struct IdupState : RequestState {
        nb::object complete(const MPI_Status &) override {
            set_default_errhandler(nb::inst_ptr<Comm>(keep)->handle);
            return nb::none();
        }
    };
    auto state = new_request_state<IdupState>();
    state->keep = out;
    return nb::make_tuple(out, make_request(request, std::move(state), false));
}

static void check_rank_like(int value, const char *what) {
    if (value < 0 && value != MPI_UNDEFINED)
        throw nb::value_error(
            (std::string(what) + " must be non-negative or UNDEFINED, got " + std::to_string(value))
                .c_str());
}

// Comm.Get_attr for the predefined attributes (integers, or None when not set).
static nb::object get_attr(const Comm &self, int keyval) {
    MPI_Comm comm = self.get();
    if (nb::object python; get_python_attr(comm, keyval, python)) return python;
    void *value = nullptr;
    int flag = 0;
    check(MPI_Comm_get_attr(comm, keyval, &value, &flag));
    if (!flag) return nb::none();
    if (keyval == MPI_TAG_UB || keyval == MPI_IO || keyval == MPI_WTIME_IS_GLOBAL ||
        keyval == MPI_UNIVERSE_SIZE || keyval == MPI_APPNUM || keyval == MPI_LASTUSEDCODE
#ifdef MPIPY_HAVE_MPI_HOST
        || keyval == MPI_HOST
#endif
    )
        return nb::int_(*static_cast<int *>(value));
    return nb::int_(reinterpret_cast<std::intptr_t>(value));
}

CommClasses bind_comm(nb::module_ &m) {
    m.def(
        "_comm_lock", [](const Comm &comm, nb::handle key) { return comm_lock(comm.get(), key); },
        nb::arg("comm"), nb::arg("key").none() = nb::none(), "Create/get communicator lock.");
    m.def(
        "_comm_lock_table", [](const Comm &comm) { return comm_lock_table(comm.get(), true); },
        nb::arg("comm"), "Internal communicator lock table.");
    nb::class_<Comm> comm(m, "Comm", nb::is_weak_referenceable(), "Communication context.");
    bind_handle_protocol(comm);
    comm.def(
            "Get_size",
            [](const Comm &self) {
                int size = 0;
                check(MPI_Comm_size(self.get(), &size));
                return size;
            },
            "Return the number of processes in a communicator.")
        .def(
            "Get_rank",
            [](const Comm &self) {
                int rank = 0;
                check(MPI_Comm_rank(self.get(), &rank));
                return rank;
            },
            "Return the rank of this process in a communicator.")
        .def_prop_ro(
            "size", [](nb::handle self) { return self.attr("Get_size")(); }, "Number of processes.")
        .def_prop_ro(
            "rank", [](nb::handle self) { return self.attr("Get_rank")(); },
            "Rank of this process.")
        .def(
            "Get_group",
            [](const Comm &self) {
                MPI_Group group = MPI_GROUP_NULL;
                check(MPI_Comm_group(self.get(), &group));
                return new_handle<Group>(group);
            },
            "Access the group associated with a communicator.")
        .def_prop_ro(
            "group", [](nb::handle self) { return self.attr("Get_group")(); }, "Group.")
        .def(
            "Compare",
            [](const Comm &self, const Comm &other) {
                int result = MPI_UNEQUAL;
                check(MPI_Comm_compare(self.get(), other.get(), &result));
                return result;
            },
            nb::arg("comm"), "Compare two communicators.")
        .def(
            "Clone",
            [](nb::handle self) {
                MPI_Comm comm = nb::inst_ptr<Comm>(self)->get(), dup = MPI_COMM_NULL;
                check_released([&] { return MPI_Comm_dup(comm, &dup); });
                return new_comm(dup, self);
            },
            "Clone an existing communicator.")
        .def(
            "Dup",
            [](nb::handle self, nb::handle info) {
                MPI_Comm comm = nb::inst_ptr<Comm>(self)->get(), dup = MPI_COMM_NULL;
                MPI_Info info_handle = info_arg(info);
                check_released([&] {
                    return info_handle == MPI_INFO_NULL
                               ? MPI_Comm_dup(comm, &dup)
                               : MPI_Comm_dup_with_info(comm, info_handle, &dup);
                });
                return new_comm(dup, self);
            },
            nb::arg("info").none() = nb::none(), "Duplicate a communicator.")
        .def(
            "Free",
            [](Comm &self) {
                MPI_Comm comm = self.get();
                if (self.predefined) throw MpiError{MPI_ERR_COMM};
                const MPI_Comm freed = comm;
                check_released([&] { return MPI_Comm_free(&comm); });
                forget_comm_locks(freed);
                self.handle = comm;
            },
            "Free a communicator.")
        .def(
            "Is_inter", [](const Comm &self) { return is_inter(self.get()); },
            "Indicate whether the communicator is an intercommunicator.")
        .def(
            "Is_intra", [](const Comm &self) { return !is_inter(self.get()); },
            "Indicate whether the communicator is an intracommunicator.")
        .def_prop_ro(
            "is_inter", [](const Comm &self) { return is_inter(self.get()); },
            "Is intercommunicator.")
        .def_prop_ro(
            "is_intra", [](const Comm &self) { return !is_inter(self.get()); },
            "Is intracommunicator.")
        .def(
            "Get_topology", [](const Comm &self) { return topology_of(self.get()); },
            "Return the type of topology (if any) associated with a communicator.")
        .def_prop_ro(
            "topology", [](const Comm &self) { return topology_of(self.get()); }, "Topology type.")
        .def_prop_ro(
            "is_topo", [](const Comm &self) { return topology_of(self.get()) != MPI_UNDEFINED; },
            "Is a topology.")
        .def(
            "Get_name",
            [](const Comm &self) {
                if (self.is_null()) return null_object_name<Comm>();
                char name[MPI_MAX_OBJECT_NAME + 1] = {0};
                int len = 0;
                check(MPI_Comm_get_name(self.get(), name, &len));
                return object_name(name, len);
            },
            "Get the print name for this communicator.")
        .def(
            "Set_name",
            [](const Comm &self, nb::handle name) {
                MPI_Comm comm = self.get();
                check(MPI_Comm_set_name(comm, str_arg(name, "name").c_str()));
            },
            nb::arg("name"), "Set the print name for this communicator.")
        .def_prop_rw(
            "name", [](nb::handle self) { return self.attr("Get_name")(); },
            [](nb::handle self, nb::handle name) { self.attr("Set_name")(name); }, "Print name.")
        .def(
            "Get_errhandler",
            [](const Comm &self) {
                MPI_Errhandler eh = MPI_ERRHANDLER_NULL;
                check(MPI_Comm_get_errhandler(self.get(), &eh));
                return new_handle<Errhandler>(eh);
            },
            "Get the error handler for a communicator.")
        .def(
            "Set_errhandler",
            [](const Comm &self, const Errhandler &errhandler) {
                check(MPI_Comm_set_errhandler(self.get(), errhandler.get()));
            },
            nb::arg("errhandler"), "Set the error handler for a communicator.")
        .def("Get_attr", &get_attr, nb::arg("keyval"), "Retrieve attribute value by key.")
        .def(
            "Abort",
            [](const Comm &self, int errorcode) {
                MPI_Comm comm = self.get();
                ReleaseGIL nogil;
                check(MPI_Abort(comm, errorcode));
            },
            nb::arg("errorcode") = 0, "Terminate the MPI execution environment.")
        .def(
            "Dup_with_info",
            [](nb::handle self, nb::handle info) {
                MPI_Comm comm = nb::inst_ptr<Comm>(self)->get(), dup = MPI_COMM_NULL;
                MPI_Info inf = info_arg(info);
                check_released([&] { return MPI_Comm_dup_with_info(comm, inf, &dup); });
                return new_comm(dup, self);
            },
            nb::arg("info"), "Duplicate a communicator with hints.")
        .def("Idup", &idup, nb::arg("info").none() = nb::none(),
             "Nonblocking duplicate a communicator.")
        .def("Idup_with_info", &idup, nb::arg("info"),
             "Nonblocking duplicate a communicator with hints.")
        .def(
            "Create",
            [](const Comm &self, nb::handle group) {
                MPI_Comm comm = self.get(), out = MPI_COMM_NULL;
                MPI_Group g = group_arg(group);
                check_released([&] { return MPI_Comm_create(comm, g, &out); });
                if (out == MPI_COMM_NULL)
                    return is_inter(comm) ? new_handle<Intercomm>(out) : new_handle<Intracomm>(out);
                return new_comm(out);
            },
            nb::arg("group"), "Create communicator from group.")
        .def(
            "Split_type",
            [](const Comm &self, int split_type, int key, nb::handle info) {
                MPI_Comm comm = self.get(), out = MPI_COMM_NULL;
                MPI_Info inf = info_arg(info);
                check_released(
                    [&] { return MPI_Comm_split_type(comm, split_type, key, inf, &out); });
                if (out == MPI_COMM_NULL) return new_handle<Intracomm>(out);
                return new_comm(out);
            },
            nb::arg("split_type"), nb::arg("key") = 0, nb::arg("info").none() = nb::none(),
            "Split communicator by split type.")
        .def(
            "Get_info",
            [](const Comm &self) {
                MPI_Info info = MPI_INFO_NULL;
                check(MPI_Comm_get_info(self.get(), &info));
                return new_handle<Info>(info);
            },
            "Return the current hints for a communicator.")
        .def(
            "Set_info",
            [](const Comm &self, nb::handle info) {
                check(MPI_Comm_set_info(self.get(), info_arg(info)));
            },
            nb::arg("info"), "Set new values for the hints associated with a communicator.")
        .def_prop_rw(
            "info", [](nb::handle self) { return self.attr("Get_info")(); },
            [](nb::handle self, nb::handle info) { self.attr("Set_info")(info); }, "Info hints.")
        .def(
            "Call_errhandler",
            [](const Comm &self, int errorcode) {
                check(MPI_Comm_call_errhandler(self.get(), errorcode));
                raise_pending_callback_error();  // raised by a Python error handler
            },
            nb::arg("errorcode"), "Call the error handler installed on a communicator.")
        .def(
            "Split",
            [](nb::handle self_obj, int color, int key) {
                const Comm &self = *nb::inst_ptr<Comm>(self_obj);
                MPI_Comm comm = self.get(), out = MPI_COMM_NULL;
                check_rank_like(color, "color");
                check_released([&] { return MPI_Comm_split(comm, color, key, &out); });
                set_default_errhandler(out);
                // The caller's class, but a topology does not survive splitting.
                if (nb::isinstance<Topocomm>(self_obj)) return new_handle<Intracomm>(out);
                return new_like<Comm>(self_obj, out);
            },
            nb::arg("color") = 0, nb::arg("key") = 0, "Split communicator by color and key.");

    nb::class_<Intracomm, Comm> intracomm(m, "Intracomm", "Intracommunicator.");
    bind_handle_init<Comm>(intracomm);
    intracomm.def(
        "Create_group",
        [](const Intracomm &self, nb::handle group, int tag) {
            MPI_Comm comm = self.get(), out = MPI_COMM_NULL;
            MPI_Group g = group_arg(group);
            check_released([&] { return MPI_Comm_create_group(comm, g, tag, &out); });
            if (out == MPI_COMM_NULL) return new_handle<Intracomm>(out);
            return new_comm(out);
        },
        nb::arg("group"), nb::arg("tag") = 0, "Create communicator from group.");
#if MPIPY_HAVE_SESSIONS
    intracomm.def_static(
        "Create_from_group",
        [](nb::handle group, nb::handle stringtag, nb::handle info, nb::handle errhandler) {
            require_active();
            MPI_Group g = group_arg(group);
            std::string tag = str_arg(stringtag, "stringtag");
            MPI_Errhandler eh = errhandler_arg(errhandler);
            MPI_Info inf = info_arg(info);
            MPI_Comm out = MPI_COMM_NULL;
            check_released(
                [&] { return MPI_Comm_create_from_group(g, tag.c_str(), inf, eh, &out); });
            return new_handle<Intracomm>(out);
        },
        nb::arg("group"), nb::arg("stringtag") = "org.mpi4py",
        nb::arg("info").none() = m.attr("INFO_NULL"), nb::arg("errhandler").none() = nb::none(),
        "Create communicator from group.");
#endif
    intracomm.def(
        "Create_intercomm",
        [](const Intracomm &self, int local_leader, const Intracomm &peer_comm, int remote_leader,
           int tag) {
            MPI_Comm comm = self.get(), out = MPI_COMM_NULL;
            // The peer communicator matters only at the local leader.
            MPI_Comm peer = peer_comm.handle;
            if (peer != MPI_COMM_NULL) require_active();
            check_released([&] {
                return MPI_Intercomm_create(comm, local_leader, peer, remote_leader, tag, &out);
            });
            set_default_errhandler(out);
            return new_handle<Intercomm>(out);
        },
        nb::arg("local_leader"), nb::arg("peer_comm"), nb::arg("remote_leader"), nb::arg("tag") = 0,
        "Create intercommunicator.");
    nb::class_<Topocomm, Intracomm> topocomm(m, "Topocomm", "Topology intracommunicator.");
    bind_handle_init<Comm>(topocomm);
    nb::class_<Cartcomm, Topocomm> cartcomm(m, "Cartcomm", "Cartesian topology intracommunicator.");
    bind_handle_init<Comm>(cartcomm);
    nb::class_<Graphcomm, Topocomm> graphcomm(m, "Graphcomm",
                                              "General graph topology intracommunicator.");
    bind_handle_init<Comm>(graphcomm);
    nb::class_<Distgraphcomm, Topocomm> distgraphcomm(
        m, "Distgraphcomm", "Distributed graph topology intracommunicator.");
    bind_handle_init<Comm>(distgraphcomm);
    nb::class_<Intercomm, Comm> intercomm(m, "Intercomm", "Intercommunicator.");
    bind_handle_init<Comm>(intercomm);
    intercomm
        .def(
            "Get_remote_size",
            [](const Intercomm &self) {
                int size = 0;
                check(MPI_Comm_remote_size(self.get(), &size));
                return size;
            },
            "Intercommunicator remote size.")
        .def_prop_ro(
            "remote_size", [](nb::handle self) { return self.attr("Get_remote_size")(); },
            "Number of remote processes.")
        .def(
            "Get_remote_group",
            [](const Intercomm &self) {
                MPI_Group group = MPI_GROUP_NULL;
                check(MPI_Comm_remote_group(self.get(), &group));
                return new_handle<Group>(group);
            },
            "Access the remote group associated with the inter-communicator.")
        .def_prop_ro(
            "remote_group", [](nb::handle self) { return self.attr("Get_remote_group")(); },
            "Remote group.")
        .def(
            "Merge",
            [](const Intercomm &self, bool high) {
                MPI_Comm comm = self.get(), out = MPI_COMM_NULL;
                check_released([&] { return MPI_Intercomm_merge(comm, high ? 1 : 0, &out); });
                set_default_errhandler(out);
                return new_handle<Intracomm>(out);
            },
            nb::arg("high") = false, "Merge intercommunicator into an intracommunicator.");
#if MPIPY_HAVE_SESSIONS
    intercomm.def_static(
        "Create_from_groups",
        [](nb::handle local_group, int local_leader, nb::handle remote_group, int remote_leader,
           nb::handle stringtag, nb::handle info, nb::handle errhandler) {
            require_active();
            MPI_Group lg = group_arg(local_group), rg = group_arg(remote_group);
            std::string tag = str_arg(stringtag, "stringtag");
            MPI_Errhandler eh = errhandler_arg(errhandler);
            MPI_Info inf = info_arg(info);
            MPI_Comm out = MPI_COMM_NULL;
            check_released([&] {
                return MPI_Intercomm_create_from_groups(lg, local_leader, rg, remote_leader,
                                                        tag.c_str(), inf, eh, &out);
            });
            return new_handle<Intercomm>(out);
        },
        nb::arg("local_group"), nb::arg("local_leader"), nb::arg("remote_group"),
        nb::arg("remote_leader"), nb::arg("stringtag") = "org.mpi4py",
        nb::arg("info").none() = m.attr("INFO_NULL"), nb::arg("errhandler").none() = nb::none(),
        "Create intercommunicator from a group.");
#endif

    add_constant<Comm>(m, "COMM_NULL", MPI_COMM_NULL);
    add_constant<Intracomm>(m, "COMM_SELF", MPI_COMM_SELF);
    add_constant<Intracomm>(m, "COMM_WORLD", MPI_COMM_WORLD);
    return {comm, intracomm, topocomm, cartcomm, graphcomm, distgraphcomm, intercomm};
}

}  // namespace mpipy

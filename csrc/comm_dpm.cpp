// Dynamic process management: Spawn/Spawn_multiple, Get_parent, ports and names,
// Accept/Connect, Join, Disconnect.
#include "core/objects.hpp"

#include <nanobind/stl/vector.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace mpipy {

namespace {

// A path-like, str or bytes command, as a C string.
std::string command_arg(nb::handle command) {
    nb::object path = nb::module_::import_("os").attr("fsdecode")(command);
    return nb::cast<std::string>(path);
}

bool is_text(nb::handle obj) { return PyUnicode_Check(obj.ptr()) || PyBytes_Check(obj.ptr()); }

// argv of one command: a str (one argument), a sequence of them, or None (no arguments);
// owned strings plus the NULL-terminated pointer array MPI wants.
struct Argv {
    std::vector<std::string> strings;
    std::vector<char *> pointers;
    explicit Argv(nb::handle args) {
        if (is_text(args))
            strings.push_back(command_arg(args));
        else if (!args.is_none())
            for (nb::handle a : args) strings.push_back(command_arg(a));
        for (std::string &s : strings) pointers.push_back(s.data());
        pointers.push_back(nullptr);
    }
    Argv(const Argv &) = delete;
    char **argv() { return strings.empty() ? MPI_ARGV_NULL : pointers.data(); }
};

// One value per command: `arg` is either one value for all (None gives `fallback`) or a
// sequence of exactly n of them.
template <class T, class One, class Each>
std::vector<T> per_command(nb::handle arg, size_t n, const char *what, One is_one, Each convert,
                           T fallback) {
    if (arg.is_none()) return std::vector<T>(n, fallback);
    if (is_one(arg)) return std::vector<T>(n, convert(arg));
    std::vector<T> out;
    for (nb::handle item : arg) out.push_back(convert(item));
    if (out.size() != n)
        throw nb::value_error(
            ("expecting " + std::to_string(n) + " " + what + ", got " + std::to_string(out.size()))
                .c_str());
    return out;
}

std::vector<int> maxprocs_per_command(nb::handle maxprocs, size_t n) {
    auto is_int = [](nb::handle h) { return PyLong_Check(h.ptr()) != 0; };
    auto to_int = [](nb::handle h) {
        const int p = nb::cast<int>(h);
        if (p < 0) throw nb::value_error("maxprocs must be non-negative");
        return p;
    };
    return per_command<int>(maxprocs, n, "maxprocs", is_int, to_int, 1);
}

// The Python arguments of Spawn_multiple as MPI takes them. MPI reads them at the root only,
// so elsewhere they are not looked at (they may be None).
struct SpawnPlan {
    std::vector<std::string> commands;
    std::vector<std::unique_ptr<Argv>> argvs;
    std::vector<int> maxprocs;
    std::vector<MPI_Info> infos;
    std::vector<char *> command_ptrs;
    std::vector<char **> argv_ptrs;

    SpawnPlan(nb::handle command, nb::handle args, nb::handle maxprocs_arg, nb::handle info) {
        if (is_text(command) || nb::hasattr(command, "__fspath__"))
            throw nb::value_error(
                "command must be a sequence of commands (path-like, str or bytes)");
        for (nb::handle c : command) commands.push_back(command_arg(c));
        const size_t n = commands.size();
        if (!args.is_none()) {
            if (is_text(args)) {  // one argument for every command
                for (size_t i = 0; i < n; ++i) argvs.push_back(std::make_unique<Argv>(args));
            } else {
                for (nb::handle a : args) argvs.push_back(std::make_unique<Argv>(a));
                if (argvs.size() != n)
                    throw nb::value_error(("expecting " + std::to_string(n) +
                                           " argument lists, got " + std::to_string(argvs.size()))
                                              .c_str());
            }
        }
        maxprocs = maxprocs_per_command(maxprocs_arg, n);
        auto is_info = [](nb::handle h) { return nb::isinstance<Info>(h); };
        auto to_info = [](nb::handle h) { return info_arg(h); };
        infos = per_command<MPI_Info>(info, n, "infos", is_info, to_info, MPI_INFO_NULL);
        for (std::string &c : commands) command_ptrs.push_back(c.data());
        for (auto &a : argvs) argv_ptrs.push_back(a->argv());
    }
    char ***argvs_arg() { return argvs.empty() ? MPI_ARGVS_NULL : argv_ptrs.data(); }
};

// errcodes[:] = codes, as lists of Python ints (one list per command when `split` is given).
void store_errcodes(nb::handle errcodes, const std::vector<int> &codes,
                    const std::vector<int> *split = nullptr) {
    nb::list out;
    if (!split) {
        for (int c : codes) out.append(c);
    } else {
        size_t at = 0;
        for (int p : *split) {
            nb::list one;
            for (int i = 0; i < p; ++i) one.append(codes[at++]);
            out.append(one);
        }
    }
    if (PySequence_SetSlice(errcodes.ptr(), 0, PY_SSIZE_T_MAX, out.ptr()) < 0)
        throw nb::python_error();
}

void check_errcodes_arg(nb::handle errcodes) {
    if (!errcodes.is_none() && !PyList_Check(errcodes.ptr()))
        throw nb::type_error("errcodes must be a list or None");
}

int rank_in(MPI_Comm comm) {
    int rank = MPI_UNDEFINED;
    check(MPI_Comm_rank(comm, &rank));
    return rank;
}

// A port name as MPI writes it. MPICH's can be longer than its MPI_MAX_PORT_NAME (256; 427
// characters here): it writes at most what the info key "port_name_size" allows, and fails
// without it (pmodels/mpich#5467), so the buffer is larger and the key says how large.
struct PortName {
    char text[port_name_capacity + 1] = {0};
    MPI_Info info = MPI_INFO_NULL;
    bool own_info = false;

    explicit PortName(MPI_Info given) : info(given) {
        if (mpi_vendor() != MpiVendor::mpich) return;
        check(given == MPI_INFO_NULL ? MPI_Info_create(&info) : MPI_Info_dup(given, &info));
        own_info = true;
        const std::string size = std::to_string(port_name_capacity);
        check(MPI_Info_set(info, "port_name_size", size.c_str()));
    }
    PortName(const PortName &) = delete;
    PortName &operator=(const PortName &) = delete;
    ~PortName() {
        if (own_info) MPI_Info_free(&info);
    }
    std::string str() {
        text[port_name_capacity] = 0;
        return text;
    }
};

// Accept and Connect, the two ends of forming an intercommunicator through a port.
using PortFunction = int (*)(const char *, MPI_Info, int, MPI_Comm, MPI_Comm *);

template <PortFunction mpi_function>
nb::object meet_at_port(const Intracomm &self, nb::handle port_name, nb::handle info, int root) {
    MPI_Comm comm = self.get(), out = MPI_COMM_NULL;
    // The port name matters at the root only (elsewhere it may be None).
    std::string port = rank_in(comm) == root ? str_arg(port_name, "port_name") : std::string();
    MPI_Info inf = info_arg(info);
    check_released([&] { return mpi_function(port.c_str(), inf, root, comm, &out); });
    set_default_errhandler(out);
    return new_handle<Intercomm>(out);
}

}  // namespace

void bind_dpm(nb::module_ &m, CommClasses &classes) {
    classes.comm
        .def_static(
            "Get_parent",
            []() {
                require_active();
                MPI_Comm parent = MPI_COMM_NULL;
                check(MPI_Comm_get_parent(&parent));
                set_default_errhandler(parent);
                return new_handle<Intercomm>(parent);
            },
            "Return the parent intercommunicator for this process.")
        .def(
            "Disconnect",
            [](Comm &self) {
                MPI_Comm comm = self.get();
                if (self.predefined) throw MpiError{MPI_ERR_COMM};
                const MPI_Comm freed = comm;
                check_released([&] { return MPI_Comm_disconnect(&comm); });
                forget_comm_locks(freed);
                self.handle = comm;
            },
            "Disconnect from a communicator.")
        .def_static(
            "Join",
            [](int fd) {
                require_active();
                MPI_Comm out = MPI_COMM_NULL;
                check_released([&] { return MPI_Comm_join(fd, &out); });
                set_default_errhandler(out);
                return new_handle<Intercomm>(out);
            },
            nb::arg("fd"), "Interconnect two processes connected by a socket.");

    classes.intracomm
        .def(
            "Spawn",
            [](const Intracomm &self, nb::handle command, nb::handle args, int maxprocs,
               nb::handle info, int root, nb::handle errcodes) {
                MPI_Comm comm = self.get(), out = MPI_COMM_NULL;
                check_errcodes_arg(errcodes);
                std::string cmd;
                std::unique_ptr<Argv> argv;
                if (rank_in(comm) == root) {  // elsewhere MPI ignores them
                    if (maxprocs < 0) throw nb::value_error("maxprocs must be non-negative");
                    cmd = command_arg(command);
                    argv = std::make_unique<Argv>(args);
                }
                MPI_Info inf = info_arg(info);
                std::vector<int> codes(errcodes.is_none() ? 0 : std::max(maxprocs, 0));
                check_released([&] {
                    return MPI_Comm_spawn(cmd.c_str(), argv ? argv->argv() : MPI_ARGV_NULL,
                                          maxprocs, inf, root, comm, &out,
                                          codes.empty() ? MPI_ERRCODES_IGNORE : codes.data());
                });
                set_default_errhandler(out);
                if (!errcodes.is_none()) store_errcodes(errcodes, codes);
                return new_handle<Intercomm>(out);
            },
            nb::arg("command").none(), nb::arg("args").none() = nb::none(), nb::arg("maxprocs") = 1,
            nb::arg("info").none() = nb::none(), nb::arg("root") = 0,
            nb::arg("errcodes").none() = nb::none(), "Spawn instances of a single MPI application.")
        .def(
            "Spawn_multiple",
            [](const Intracomm &self, nb::handle command, nb::handle args, nb::handle maxprocs,
               nb::handle info, int root, nb::handle errcodes) {
                MPI_Comm comm = self.get(), out = MPI_COMM_NULL;
                check_errcodes_arg(errcodes);
                std::unique_ptr<SpawnPlan> plan;
                std::vector<int> procs;  // sizes errcodes: at the root from the plan
                if (rank_in(comm) == root) {
                    plan = std::make_unique<SpawnPlan>(command, args, maxprocs, info);
                    procs = plan->maxprocs;
                } else if (!errcodes.is_none()) {
                    if (maxprocs.is_none() || PyLong_Check(maxprocs.ptr()))
                        throw nb::value_error("errcodes needs the maxprocs sequence here too");
                    procs = maxprocs_per_command(maxprocs, nb::len(maxprocs));
                }
                std::vector<int> codes;
                if (!errcodes.is_none())
                    for (int p : procs) codes.resize(codes.size() + static_cast<size_t>(p));
                check_released([&] {
                    return plan
                               ? MPI_Comm_spawn_multiple(
                                     static_cast<int>(plan->commands.size()),
                                     plan->command_ptrs.data(), plan->argvs_arg(),
                                     plan->maxprocs.data(), plan->infos.data(), root, comm, &out,
                                     errcodes.is_none() ? MPI_ERRCODES_IGNORE : codes.data())
                               : MPI_Comm_spawn_multiple(
                                     0, nullptr, MPI_ARGVS_NULL, nullptr, nullptr, root, comm, &out,
                                     errcodes.is_none() ? MPI_ERRCODES_IGNORE : codes.data());
                });
                set_default_errhandler(out);
                if (!errcodes.is_none()) store_errcodes(errcodes, codes, &procs);
                return new_handle<Intercomm>(out);
            },
            nb::arg("command").none(), nb::arg("args").none() = nb::none(),
            nb::arg("maxprocs").none() = nb::none(), nb::arg("info").none() = nb::none(),
            nb::arg("root") = 0, nb::arg("errcodes").none() = nb::none(),
            "Spawn instances of multiple MPI applications.")
        .def("Accept", &meet_at_port<MPI_Comm_accept>, nb::arg("port_name").none(),
             nb::arg("info").none() = nb::none(), nb::arg("root") = 0,
             "Accept a request to form a new intercommunicator.")
        .def("Connect", &meet_at_port<MPI_Comm_connect>, nb::arg("port_name").none(),
             nb::arg("info").none() = nb::none(), nb::arg("root") = 0,
             "Make a request to form a new intercommunicator.");

    m.def(
        "Open_port",
        [](nb::handle info) {
            require_active();
            PortName port(info_arg(info));
            check(MPI_Open_port(port.info, port.text));
            return port.str();
        },
        nb::arg("info").none() = nb::none(),
        "Return an address used to connect group of processes.");
    m.def(
        "Close_port",
        [](nb::handle port_name) {
            require_active();
            check(MPI_Close_port(str_arg(port_name, "port_name").c_str()));
        },
        nb::arg("port_name"), "Close a port.");
    m.def(
        "Publish_name",
        [](nb::handle service_name, nb::handle port_name, nb::handle info) {
            require_active();
            check(MPI_Publish_name(str_arg(service_name, "service_name").c_str(), info_arg(info),
                                   str_arg(port_name, "port_name").c_str()));
        },
        nb::arg("service_name"), nb::arg("port_name"), nb::arg("info").none() = nb::none(),
        "Publish a service name.");
    m.def(
        "Unpublish_name",
        [](nb::handle service_name, nb::handle port_name, nb::handle info) {
            require_active();
            check(MPI_Unpublish_name(str_arg(service_name, "service_name").c_str(), info_arg(info),
                                     str_arg(port_name, "port_name").c_str()));
        },
        nb::arg("service_name"), nb::arg("port_name"), nb::arg("info").none() = nb::none(),
        "Unpublish a service name.");
    m.def(
        "Lookup_name",
        [](nb::handle service_name, nb::handle info) {
            require_active();
            std::string name = str_arg(service_name, "service_name");
            PortName port(info_arg(info));
            check_released([&] { return MPI_Lookup_name(name.c_str(), port.info, port.text); });
            return port.str();
        },
        nb::arg("service_name"), nb::arg("info").none() = nb::none(),
        "Lookup a port name given a service name.");
}

}  // namespace mpipy

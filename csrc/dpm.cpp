// Dynamic process management: Spawn/Spawn_multiple, Get_parent, ports and names,
// Accept/Connect, Join, Disconnect.
#include "objects.hpp"

#include <nanobind/stl/vector.h>

#include <vector>

namespace mpipy {

namespace {

// A path-like, str or bytes command, as a C string.
std::string command_arg(nb::handle command) {
    nb::object path = nb::module_::import_("os").attr("fsdecode")(command);
    return nb::cast<std::string>(path);
}

// argv for one command: owned strings plus the NULL-terminated pointer array MPI wants.
struct Argv {
    std::vector<std::string> strings;
    std::vector<char *> pointers;
    explicit Argv(nb::handle args) {
        if (!args.is_none()) {
            if (nb::isinstance<nb::str>(args) || nb::isinstance<nb::bytes>(args))
                throw nb::type_error("args must be a sequence of strings, not a string");
            for (nb::handle a : args) strings.push_back(command_arg(a));
        }
        for (std::string &s : strings) pointers.push_back(s.data());
        pointers.push_back(nullptr);
    }
    char **argv() { return strings.empty() ? MPI_ARGV_NULL : pointers.data(); }
};

void fill_errcodes(nb::handle errcodes, const std::vector<int> &codes, size_t begin, size_t n) {
    if (errcodes.is_none()) return;
    nb::list out = nb::borrow<nb::list>(errcodes);
    for (size_t i = 0; i < n; ++i) out.append(codes[begin + i]);
}

std::string port_string(const char *port) { return std::string(port); }

// Accept and Connect, the two ends of forming an intercommunicator through a port.
using PortFunction = int (*)(const char *, MPI_Info, int, MPI_Comm, MPI_Comm *);

template <PortFunction mpi_function>
nb::object meet_at_port(const Intracomm &self, nb::handle port_name, nb::handle info, int root) {
    MPI_Comm comm = self.get(), out = MPI_COMM_NULL;
    std::string port = to_string(port_name, "port_name");
    MPI_Info inf = info_arg(info);
    int rc;
    {
        ReleaseGIL nogil;
        rc = mpi_function(port.c_str(), inf, root, comm, &out);
    }
    check(rc);
    set_errors_return(out);
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
                set_errors_return(parent);
                return new_handle<Intercomm>(parent);
            },
            "Return the parent intercommunicator for this process.")
        .def(
            "Disconnect",
            [](Comm &self) {
                MPI_Comm comm = self.get();
                if (self.predefined) throw MpiError{MPI_ERR_COMM};
                int rc;
                {
                    ReleaseGIL nogil;
                    rc = MPI_Comm_disconnect(&comm);
                }
                check(rc);
                self.handle = comm;
            },
            "Disconnect from a communicator.")
        .def_static(
            "Join",
            [](int fd) {
                require_active();
                MPI_Comm out = MPI_COMM_NULL;
                int rc;
                {
                    ReleaseGIL nogil;
                    rc = MPI_Comm_join(fd, &out);
                }
                check(rc);
                set_errors_return(out);
                return new_handle<Intercomm>(out);
            },
            nb::arg("fd"), "Interconnect two processes connected by a socket.");

    classes.intracomm
        .def(
            "Spawn",
            [](const Intracomm &self, nb::handle command, nb::handle args, int maxprocs,
               nb::handle info, int root, nb::handle errcodes) {
                MPI_Comm comm = self.get(), out = MPI_COMM_NULL;
                if (maxprocs < 0) throw nb::value_error("maxprocs must be non-negative");
                if (!errcodes.is_none() && !PyList_Check(errcodes.ptr()))
                    throw nb::type_error("errcodes must be a list or None");
                std::string cmd = command_arg(command);
                Argv argv(args);
                MPI_Info inf = info_arg(info);
                std::vector<int> codes(static_cast<size_t>(maxprocs));
                int rc;
                {
                    ReleaseGIL nogil;
                    rc = MPI_Comm_spawn(cmd.c_str(), argv.argv(), maxprocs, inf, root, comm, &out,
                                        codes.data());
                }
                check(rc);
                set_errors_return(out);
                fill_errcodes(errcodes, codes, 0, codes.size());
                return new_handle<Intercomm>(out);
            },
            nb::arg("command"), nb::arg("args").none() = nb::none(), nb::arg("maxprocs") = 1,
            nb::arg("info").none() = nb::none(), nb::arg("root") = 0,
            nb::arg("errcodes").none() = nb::none(), "Spawn instances of a single MPI application.")
        .def(
            "Spawn_multiple",
            [](const Intracomm &self, nb::handle command, nb::handle args, nb::handle maxprocs,
               nb::handle info, int root, nb::handle errcodes) {
                MPI_Comm comm = self.get(), out = MPI_COMM_NULL;
                std::vector<std::string> cmds;
                for (nb::handle c : command) cmds.push_back(command_arg(c));
                const size_t n = cmds.size();
                std::vector<Argv> argvs;
                argvs.reserve(n);
                if (args.is_none()) {
                    for (size_t i = 0; i < n; ++i) argvs.emplace_back(nb::none());
                } else {
                    for (nb::handle a : args) argvs.emplace_back(a);
                }
                if (argvs.size() != n)
                    throw nb::value_error("expecting one args sequence per command");
                std::vector<int> procs;
                if (maxprocs.is_none())
                    procs.assign(n, 1);
                else
                    for (nb::handle p : maxprocs) procs.push_back(nb::cast<int>(p));
                if (procs.size() != n) throw nb::value_error("expecting one maxprocs per command");
                std::vector<MPI_Info> infos;
                if (info.is_none() || nb::isinstance<Info>(info))
                    infos.assign(n, info_arg(info));
                else
                    for (nb::handle i : info) infos.push_back(info_arg(i));
                if (infos.size() != n) throw nb::value_error("expecting one info per command");
                std::vector<char *> cmd_ptrs;
                std::vector<char **> argv_ptrs;
                for (size_t i = 0; i < n; ++i) {
                    cmd_ptrs.push_back(cmds[i].data());
                    argv_ptrs.push_back(argvs[i].argv());
                }
                size_t total = 0;
                for (int p : procs) {
                    if (p < 0) throw nb::value_error("maxprocs must be non-negative");
                    total += static_cast<size_t>(p);
                }
                std::vector<int> codes(total);
                int rc;
                {
                    ReleaseGIL nogil;
                    rc = MPI_Comm_spawn_multiple(static_cast<int>(n), cmd_ptrs.data(),
                                                 argv_ptrs.data(), procs.data(), infos.data(), root,
                                                 comm, &out, codes.data());
                }
                check(rc);
                set_errors_return(out);
                if (!errcodes.is_none()) {
                    nb::list out_codes = nb::borrow<nb::list>(errcodes);
                    size_t at = 0;
                    for (int p : procs) {
                        nb::list one;
                        for (int i = 0; i < p; ++i) one.append(codes[at++]);
                        out_codes.append(one);
                    }
                }
                return new_handle<Intercomm>(out);
            },
            nb::arg("command"), nb::arg("args").none() = nb::none(),
            nb::arg("maxprocs").none() = nb::none(), nb::arg("info").none() = nb::none(),
            nb::arg("root") = 0, nb::arg("errcodes").none() = nb::none(),
            "Spawn instances of multiple MPI applications.")
        .def("Accept", &meet_at_port<MPI_Comm_accept>, nb::arg("port_name"),
             nb::arg("info").none() = nb::none(), nb::arg("root") = 0,
             "Accept a request to form a new intercommunicator.")
        .def("Connect", &meet_at_port<MPI_Comm_connect>, nb::arg("port_name"),
             nb::arg("info").none() = nb::none(), nb::arg("root") = 0,
             "Make a request to form a new intercommunicator.");

    m.def(
        "Open_port",
        [](nb::handle info) {
            require_active();
            char port[MPI_MAX_PORT_NAME + 1] = {0};
            check(MPI_Open_port(info_arg(info), port));
            return port_string(port);
        },
        nb::arg("info").none() = nb::none(),
        "Return an address used to connect group of processes.");
    m.def(
        "Close_port",
        [](nb::handle port_name) {
            require_active();
            check(MPI_Close_port(to_string(port_name, "port_name").c_str()));
        },
        nb::arg("port_name"), "Close a port.");
    m.def(
        "Publish_name",
        [](nb::handle service_name, nb::handle port_name, nb::handle info) {
            require_active();
            check(MPI_Publish_name(to_string(service_name, "service_name").c_str(), info_arg(info),
                                   to_string(port_name, "port_name").c_str()));
        },
        nb::arg("service_name"), nb::arg("port_name"), nb::arg("info").none() = nb::none(),
        "Publish a service name.");
    m.def(
        "Unpublish_name",
        [](nb::handle service_name, nb::handle port_name, nb::handle info) {
            require_active();
            check(MPI_Unpublish_name(to_string(service_name, "service_name").c_str(),
                                     info_arg(info), to_string(port_name, "port_name").c_str()));
        },
        nb::arg("service_name"), nb::arg("port_name"), nb::arg("info").none() = nb::none(),
        "Unpublish a service name.");
    m.def(
        "Lookup_name",
        [](nb::handle service_name, nb::handle info) {
            require_active();
            char port[MPI_MAX_PORT_NAME + 1] = {0};
            int rc;
            std::string name = to_string(service_name, "service_name");
            MPI_Info inf = info_arg(info);
            {
                ReleaseGIL nogil;
                rc = MPI_Lookup_name(name.c_str(), inf, port);
            }
            check(rc);
            return port_string(port);
        },
        nb::arg("service_name"), nb::arg("info").none() = nb::none(),
        "Lookup a port name given a service name.");
}

}  // namespace mpipy

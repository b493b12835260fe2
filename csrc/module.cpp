// mpipy.MPI: the table of contents. Each concept family registers its classes, functions
// and constants from its own file, in dependency order.
#include "core/objects.hpp"

#include <cstdlib>

NB_MODULE(MPI, m) {
    using namespace mpipy;
    m.doc() = "Message Passing Interface (MPI) for Python, with a C++ core.";
    // Module constants and cached objects live until exit by design; set
    // MPIPY_LEAK_WARNINGS=1 to see nanobind's reference-leak report when debugging.
    nb::set_leak_warnings(std::getenv("MPIPY_LEAK_WARNINGS") != nullptr);
    bind_errors(m);                   // errors.cpp: Exception, error classes, Errhandler
    auto dt = bind_datatype(m);       // datatype.cpp: Datatype, predefined datatypes, format codes
    bind_datatype_derived(m, dt);     // datatype_derived.cpp: constructors, envelope, decode
    bind_pack(m, dt);                 // pack.cpp: Pack/Unpack, external32, addresses
    bind_abi_info(m);                 // datatype.cpp: Get_abi_version, Get_abi_info, ...
    bind_group(m);                    // group.cpp: Group
    bind_info(m);                     // info.cpp: Info
    bind_op(m);                       // op.cpp: Op and predefined operations
    bind_buffer_constants(m);         // msgbuffer.cpp: BOTTOM, IN_PLACE, BUFFER_AUTOMATIC
    bind_status(m);                   // status.cpp: Status
    bind_buffer(m);                   // buffer.cpp: buffer (memory MPI owns or exposes)
    bind_pickle(m);                   // pickled.cpp: Pickle, MPI.pickle, the object transport
    bind_request(m);                  // request.cpp: Request, Prequest, Grequest
    bind_grequest(m);                 // grequest.cpp: Grequest.Start with Python callbacks
    bind_message(m);                  // message.cpp: Message
    CommClasses comm = bind_comm(m);  // comm.cpp: Comm and its subclasses, COMM_WORLD, COMM_SELF
    bind_errhandler_functions(comm);  // errors.cpp: Comm.Create_errhandler (Python functions)
    bind_p2p(m, comm);                // p2p.cpp: point-to-point of buffers
    bind_p2p_objects(m, comm);        // p2p_obj.cpp: point-to-point of Python objects
    bind_partitioned(m, comm);        // comm_part.cpp: partitioned point-to-point (MPI-4)
    bind_collectives(m, comm);        // coll.cpp: collectives of buffers
    bind_collectives_objects(m, comm);  // coll_obj.cpp: collectives of Python objects
    bind_topology(m, comm);    // topology.cpp: Cartesian, graph and distributed graph topologies
    bind_attributes(m, comm);  // attributes.cpp: keyvals and attributes with Python values
    bind_dpm(m, comm);         // dpm.cpp: spawning, ports and names, connect/accept
    bind_ulfm(m, comm);        // comm_ulfm.cpp: fault tolerance (revoke, agree, shrink)
    bind_win(m);               // win.cpp: Win
    bind_file(m);              // file.cpp: File
    bind_session(m);           // session.cpp: Session
    bind_objmodel(m);          // objmodel.cpp: _sizeof, _addressof, _handleof (C interop)
    bind_capi(m);              // capi.cpp: MPI._C_API, the table behind <mpipy/mpipy.h>
    bind_environment(m);       // environment.cpp: Init/Finalize, constants, timers; initializes MPI
}
